//! The privacy policy as data: which actor may read which category of personal data for which
//! purpose, how long each category is kept, what the buyer is asked to consent to, and which
//! outside recipients may receive which fields.
//!
//! The rules live in `policy/privacy-policy.toml` (embedded in the binary, see
//! [`Policy::embedded`]) so that the published policy and the enforced policy are one document.
//! Loading validates the whole file and fails with a [`PolicyError`] naming the offending entry;
//! a loaded [`Policy`] is complete: every category, actor, purpose and recipient kind the code
//! knows has exactly one entry, so lookups cannot miss.
//!
//! Access is denied by default: [`Policy::allows`] grants only what a purpose lists, for the
//! actors it lists. Consent-based purposes come back with `needs_consent = true`; the caller
//! must check the buyer's consent at the moment of use, because consent can be withdrawn at any
//! time and the policy cannot know about one buyer.

mod error;
mod features;
mod ids;
mod load;

use std::marker::PhantomData;
use std::num::NonZeroU32;

use hanjinbi_domain::deadline::Term;

pub use error::PolicyError;
pub use features::Evidence;
pub use ids::{
    Actor, BuyerNotice, DataCategory, DisclosureBasis, Feature, Field, Language, LegalBasis,
    PageBlock, PageWord, ProcessorKind, PromiseGroup, PurposeId, RecipientKind, RightsKind,
    UnknownCode,
};

use ids::Vocabulary;

/// The policy file shipped with the binary.
pub const EMBEDDED_POLICY_TOML: &str = include_str!("../policy/privacy-policy.toml");

/// Every version of the policy ever published, oldest first, as `(version, policy file text)`.
/// The last entry is the current policy, [`EMBEDDED_POLICY_TOML`].
///
/// Buyers consented to the version they saw, and the page of each version is written in its
/// own file, so every published version stays readable, as buyers then read it, at its own
/// address for as long as the shop runs. Publishing a new version therefore means: copy the
/// current `policy/privacy-policy.toml` to `policy/published/<its version>.toml`, replace its
/// entry below with `("<its version>", include_str!("../policy/published/<its
/// version>.toml"))`, then edit `privacy-policy.toml` and give it a new, later `version`. The
/// tests check that every entry parses, carries the version it is listed under, that versions
/// are unique and in order, and that the current file is the last entry.
pub const POLICY_VERSIONS: &[(&str, &str)] = &[
    (
        "2026-11-24",
        include_str!("../policy/published/2026-11-24.toml"),
    ),
    (
        "2026-11-25",
        include_str!("../policy/published/2026-11-25.toml"),
    ),
    ("2026-12-04", EMBEDDED_POLICY_TOML),
];

/// The key in `[page.words]` of the words for a retention counted from the last order. Not a
/// [`PageWord`], which every published version has: versions published before this kind of
/// retention existed do not have these words.
pub const RETENTION_AFTER_LAST_ORDER: &str = "retention_after_last_order";

/// The names a text of the policy may contain in braces, filled in when the page is shown:
/// the shop's details from its settings (`name`, `legal_name`, `registration_number`,
/// `address`, `public_url`, `email`, `hotline`), the versions (`version`, `current`), numbers
/// of a retention period (`days`, `years`) and, in a per-partner consent wording, `partner`.
pub const PLACEHOLDERS: &[&str] = &[
    "name",
    "legal_name",
    "registration_number",
    "address",
    "public_url",
    "email",
    "hotline",
    "version",
    "current",
    "days",
    "years",
    "partner",
];

/// A loaded, validated privacy policy.
#[derive(Debug, Clone)]
pub struct Policy {
    version: String,
    effective_date: String,
    controller: Controller,
    categories: Table<DataCategory, CategoryRule>,
    actors: Table<Actor, ActorRule>,
    purposes: Table<PurposeId, PurposeRule>,
    recipients: Table<RecipientKind, RecipientRule>,
    laws: Vec<LawRule>,
    /// Always present in the policy in force; absent in versions published before it.
    rights_deadlines: Option<RightsDeadlines>,
    features: Vec<FeatureRule>,
    processors: Vec<ProcessorRule>,
    promises: Vec<PromiseRule>,
    page: Page,
}

impl Policy {
    /// Parses and validates a policy written in TOML, as the policy in force: every rule of
    /// the loader applies.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        load::parse(text, load::Mode::Current)
    }

    /// Parses and validates an earlier, published version, kept so that its page can be read
    /// as buyers then read it. Every rule applies except those that only a version written
    /// since can meet: its promises may name no feature (an earlier version may have promised
    /// what nothing kept, which is why it was replaced), its categories need not say what
    /// collects them, and it need not list laws, processors or every feature.
    pub fn archived_from_toml(text: &str) -> Result<Policy, PolicyError> {
        load::parse(text, load::Mode::Archived)
    }

    /// The policy shipped with the binary ([`EMBEDDED_POLICY_TOML`]).
    pub fn embedded() -> Result<Policy, PolicyError> {
        Policy::from_toml(EMBEDDED_POLICY_TOML)
    }

    /// The published policy with this exact version: `None` if no such version was ever
    /// published, else the result of loading its file (which the tests guarantee is `Ok`).
    pub fn published(version: &str) -> Option<Result<Policy, PolicyError>> {
        let last = POLICY_VERSIONS.len().checked_sub(1)?;
        POLICY_VERSIONS
            .iter()
            .enumerate()
            .find(|(_, (published, _))| *published == version)
            .map(|(position, (_, text))| {
                if position == last {
                    Policy::from_toml(text)
                } else {
                    Policy::archived_from_toml(text)
                }
            })
    }

    /// The versions of every published policy, oldest first; the last is the current one.
    pub fn published_versions() -> impl DoubleEndedIterator<Item = &'static str> + ExactSizeIterator
    {
        POLICY_VERSIONS.iter().map(|(version, _)| *version)
    }

    /// The policy version; consents record the version the buyer saw.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The date (YYYY-MM-DD) from which this version applies.
    pub fn effective_date(&self) -> &str {
        &self.effective_date
    }

    /// Who is responsible for the data and how buyers reach them.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// Whether `actor` may read `category` for `purpose`. Denied unless the purpose lists both.
    pub fn allows(&self, actor: Actor, purpose: PurposeId, category: DataCategory) -> Decision {
        let rule = self.purpose(purpose);
        if !rule.may_act(actor) {
            Decision::Denied(DenyReason::ActorNotAllowed { actor, purpose })
        } else if !rule.may_read(category) {
            Decision::Denied(DenyReason::CategoryNotAllowed { category, purpose })
        } else {
            Decision::Allowed {
                needs_consent: rule.needs_consent(),
            }
        }
    }

    /// The rule for one purpose.
    pub fn purpose(&self, id: PurposeId) -> &PurposeRule {
        self.purposes.get(id)
    }

    /// Every purpose, in the order of the policy file.
    pub fn purposes(&self) -> impl Iterator<Item = &PurposeRule> + '_ {
        self.purposes.iter()
    }

    /// The purposes that need the buyer's consent, with the checkbox wording, in file order.
    pub fn consent_purposes(&self) -> impl Iterator<Item = ConsentPurpose<'_>> + '_ {
        self.purposes.iter().filter_map(|purpose| {
            purpose
                .consent
                .as_ref()
                .map(|wording| ConsentPurpose { purpose, wording })
        })
    }

    /// The rule (labels, retention) for one category.
    pub fn category(&self, category: DataCategory) -> &CategoryRule {
        self.categories.get(category)
    }

    /// Every category, in the order of the policy file.
    pub fn categories(&self) -> impl Iterator<Item = &CategoryRule> + '_ {
        self.categories.iter()
    }

    /// The labels of one actor.
    pub fn actor(&self, actor: Actor) -> &ActorRule {
        self.actors.get(actor)
    }

    /// Every actor, in the order of the policy file.
    pub fn actors(&self) -> impl Iterator<Item = &ActorRule> + '_ {
        self.actors.iter()
    }

    /// The rule for one kind of recipient.
    pub fn recipient(&self, kind: RecipientKind) -> &RecipientRule {
        self.recipients.get(kind)
    }

    /// Every recipient kind, in the order of the policy file.
    pub fn recipients(&self) -> impl Iterator<Item = &RecipientRule> + '_ {
        self.recipients.iter()
    }

    /// Exactly the fields this kind of recipient may receive; the sharing gate sends no other.
    pub fn recipient_fields(&self, kind: RecipientKind) -> &[Field] {
        &self.recipient(kind).fields
    }

    /// The laws this version follows, in file order.
    pub fn laws(&self) -> &[LawRule] {
        &self.laws
    }

    /// The law with this `id`, if an entry of `[[laws]]` has it.
    pub fn law(&self, id: &str) -> Option<&LawRule> {
        self.laws.iter().find(|law| law.id.as_deref() == Some(id))
    }

    /// The terms for answering data subjects' requests: always `Some` for the policy in
    /// force ([`Policy::from_toml`] refuses a file without them), `None` for a version
    /// published before the policy stated them.
    pub fn rights_deadlines(&self) -> Option<&RightsDeadlines> {
        self.rights_deadlines.as_ref()
    }

    /// The term within which a request of `kind` must be answered in full; `None` only for
    /// a version published before the policy stated its terms.
    pub fn rights_deadline(&self, kind: RightsKind) -> Option<Term> {
        self.rights_deadlines.as_ref().map(|terms| terms.term(kind))
    }

    /// The term within which every request must get a first answer; `None` only for a
    /// version published before the policy stated its terms.
    pub fn first_answer_term(&self) -> Option<Term> {
        self.rights_deadlines
            .as_ref()
            .map(RightsDeadlines::first_answer)
    }

    /// The features named by this version, with their labels, in file order.
    pub fn features(&self) -> &[FeatureRule] {
        &self.features
    }

    /// The label of a feature. The loader refuses a promise or category naming a feature
    /// without an entry in `[[features]]`, so for those this is always `Some`.
    pub fn feature(&self, feature: Feature) -> Option<&FeatureRule> {
        self.features.iter().find(|rule| rule.feature == feature)
    }

    /// The processors, in file order.
    pub fn processors(&self) -> &[ProcessorRule] {
        &self.processors
    }

    /// Every promise, in file order.
    pub fn promises(&self) -> &[PromiseRule] {
        &self.promises
    }

    /// The promises of one group, in file order.
    pub fn promises_in(&self, group: PromiseGroup) -> impl Iterator<Item = &PromiseRule> + '_ {
        self.promises.iter().filter(move |p| p.group == group)
    }

    /// The privacy page's own text.
    pub fn page(&self) -> &Page {
        &self.page
    }

    /// A retention period in words, from the page's words, with its numbers filled in.
    pub fn describe_retention(&self, retention: Retention, language: Language) -> String {
        let word = |word| self.page.word(word).get(language);
        match retention {
            Retention::UntilErasure => word(PageWord::RetentionUntilErasure).to_owned(),
            Retention::Days(days) => {
                let days = days.get();
                let template = match (days % 365 == 0).then_some(days / 365) {
                    Some(1) => word(PageWord::RetentionDaysOneYear),
                    Some(_) => word(PageWord::RetentionDaysYears),
                    None => word(PageWord::RetentionDays),
                };
                template
                    .replace("{days}", &days.to_string())
                    .replace("{years}", &(days / 365).to_string())
            }
            Retention::AfterFinancialYear { years, .. } => {
                word(PageWord::RetentionAfterFinancialYear)
                    .replace("{years}", &years.get().to_string())
            }
            Retention::AfterLastOrder { years } => match &self.page.retention_after_last_order {
                Some(words) => words
                    .get(language)
                    .replace("{years}", &years.get().to_string()),
                // Only a version published before this kind existed lacks the words, and the
                // loader refuses one whose categories use the kind: this is a retention from
                // elsewhere. It shows as an unfilled placeholder does, not in invented words.
                None => format!("{{{RETENTION_AFTER_LAST_ORDER}}}"),
            },
        }
    }
}

/// The answer of [`Policy::allows`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The policy allows it. If `needs_consent`, the caller must also find the buyer's current
    /// consent to the purpose before reading.
    Allowed { needs_consent: bool },
    /// The policy does not allow it.
    Denied(DenyReason),
}

impl Decision {
    /// Whether the policy allows it (consent aside).
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// Why [`Policy::allows`] said no. Names only codes, never personal data, so it can be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DenyReason {
    /// The purpose does not list this actor.
    #[error("actor \"{actor}\" may not act for purpose \"{purpose}\"")]
    ActorNotAllowed { actor: Actor, purpose: PurposeId },
    /// The purpose does not list this category.
    #[error("purpose \"{purpose}\" may not read category \"{category}\"")]
    CategoryNotAllowed {
        category: DataCategory,
        purpose: PurposeId,
    },
}

/// A text in Vietnamese and English, both present and non-blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    vi: String,
    en: String,
}

impl Localized {
    /// The text in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Vi => &self.vi,
            Language::En => &self.en,
        }
    }

    /// The Vietnamese text.
    pub fn vi(&self) -> &str {
        &self.vi
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }
}

/// How long a category is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Deleted this many days after it was collected.
    Days(NonZeroU32),
    /// Kept until the buyer asks for erasure.
    UntilErasure,
    /// Kept `years` whole years from the end of the financial year in which the transaction
    /// took place, as accounting records are (`retention = { from = "end_of_financial_year",
    /// years = 10 }`).
    AfterFinancialYear {
        years: NonZeroU32,
        year_end: FinancialYearEnd,
    },
    /// Kept `years` whole years from the last order placed with the buyer's email address,
    /// then erased (`retention = { from = "last_order", years = 3 }`): every guest buyer record
    /// made with the address goes at once, unless a verified account holds the address. Only
    /// the categories of a guest's buyer record (contact, identity, address) may have it.
    AfterLastOrder { years: NonZeroU32 },
}

/// The last day of the shop's financial year, the same every year: 31 December unless the
/// policy says otherwise (`financial_year_ends = "MM-DD"`, never 29 February).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinancialYearEnd {
    month: time::Month,
    day: u8,
}

impl FinancialYearEnd {
    /// The calendar year: the financial year ends on 31 December.
    pub const CALENDAR: FinancialYearEnd = FinancialYearEnd {
        month: time::Month::December,
        day: 31,
    };

    /// A year end on this month and day, if every year has that day (29 February does not).
    pub fn new(month: u8, day: u8) -> Option<FinancialYearEnd> {
        let month = time::Month::try_from(month).ok()?;
        // 2023 is not a leap year: a day it has, every year has.
        time::Date::from_calendar_date(2023, month, day).ok()?;
        Some(FinancialYearEnd { month, day })
    }

    /// The last day of the financial year that contains `date`.
    fn end_of_year_containing(self, date: time::Date) -> Result<time::Date, DateOutOfRange> {
        let this_year = self.in_year(date.year())?;
        if date <= this_year {
            Ok(this_year)
        } else {
            self.in_year(date.year() + 1)
        }
    }

    fn in_year(self, year: i32) -> Result<time::Date, DateOutOfRange> {
        time::Date::from_calendar_date(year, self.month, self.day).map_err(|_| DateOutOfRange)
    }
}

/// A deletion date past the last date the calendar can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the deletion date is beyond the dates the calendar can hold")]
pub struct DateOutOfRange;

impl Retention {
    /// The number of days, if the retention is a fixed number of days.
    pub fn days(self) -> Option<u32> {
        match self {
            Retention::Days(days) => Some(days.get()),
            Retention::UntilErasure
            | Retention::AfterFinancialYear { .. }
            | Retention::AfterLastOrder { .. } => None,
        }
    }

    /// The first day on which a record made on `date` is due for deletion: `None` when it is
    /// kept until the buyer asks for erasure. Ten years from the end of a calendar financial
    /// year means a transaction of 31 December 2026 is due on 1 January 2037, and one of
    /// 1 January 2027 on 1 January 2038.
    ///
    /// For [`Retention::AfterLastOrder`], `date` is the day of the last order placed with the
    /// address. As the Civil Code counts a period in years (Art. 147, 148), the period starts
    /// the day after the order and ends on the same day and month of its last year, or on 28
    /// February for an order of 29 February when that year has none: three years from an
    /// order of 4 December 2026 end with 4 December 2029, and the records are due on
    /// 5 December 2029.
    pub fn deletion_due(self, date: time::Date) -> Result<Option<time::Date>, DateOutOfRange> {
        match self {
            Retention::UntilErasure => Ok(None),
            Retention::Days(days) => date
                .checked_add(time::Duration::days(i64::from(days.get())))
                .map(Some)
                .ok_or(DateOutOfRange),
            Retention::AfterFinancialYear { years, year_end } => {
                let end = year_end.end_of_year_containing(date)?;
                let years = i32::try_from(years.get()).map_err(|_| DateOutOfRange)?;
                let kept_until = end
                    .year()
                    .checked_add(years)
                    .ok_or(DateOutOfRange)
                    .and_then(|year| year_end.in_year(year))?;
                kept_until.next_day().map(Some).ok_or(DateOutOfRange)
            }
            Retention::AfterLastOrder { years } => {
                let year = i32::try_from(years.get())
                    .ok()
                    .and_then(|years| date.year().checked_add(years))
                    .ok_or(DateOutOfRange)?;
                let kept_until = same_day_in(year, date, LeapDayFallsTo::EndOfFebruary)?;
                kept_until.next_day().map(Some).ok_or(DateOutOfRange)
            }
        }
    }

    /// For [`Retention::AfterLastOrder`]: the earliest day of a last order whose records are
    /// still kept on `today`. The records of an address whose last order was placed on an
    /// earlier day are due (their [`Retention::deletion_due`] is `today` or before), those of
    /// a last order placed on that day or later are not. `None` for the other kinds, which do
    /// not count from the last order. Three years before 5 December 2029 is 5 December 2026:
    /// an address whose last order was on 4 December 2026 is due on 5 December 2029.
    pub fn last_orders_kept_from(
        self,
        today: time::Date,
    ) -> Result<Option<time::Date>, DateOutOfRange> {
        match self {
            Retention::AfterLastOrder { years } => {
                let year = i32::try_from(years.get())
                    .ok()
                    .and_then(|years| today.year().checked_sub(years))
                    .ok_or(DateOutOfRange)?;
                // On 29 February, an order of 28 February of a year without one is past its
                // period (it ended on 28 February), and one of 1 March is not.
                same_day_in(year, today, LeapDayFallsTo::FirstOfMarch).map(Some)
            }
            Retention::UntilErasure | Retention::Days(_) | Retention::AfterFinancialYear { .. } => {
                Ok(None)
            }
        }
    }
}

/// Where 29 February goes in a year that has none.
#[derive(Debug, Clone, Copy)]
enum LeapDayFallsTo {
    EndOfFebruary,
    FirstOfMarch,
}

/// The day with `date`'s month and day in `year`; 29 February, in a year without one, as
/// `leap_day` says.
fn same_day_in(
    year: i32,
    date: time::Date,
    leap_day: LeapDayFallsTo,
) -> Result<time::Date, DateOutOfRange> {
    match time::Date::from_calendar_date(year, date.month(), date.day()) {
        Ok(day) => Ok(day),
        Err(_) if date.month() == time::Month::February && date.day() == 29 => {
            let (month, day) = match leap_day {
                LeapDayFallsTo::EndOfFebruary => (time::Month::February, 28),
                LeapDayFallsTo::FirstOfMarch => (time::Month::March, 1),
            };
            time::Date::from_calendar_date(year, month, day).map_err(|_| DateOutOfRange)
        }
        Err(_) => Err(DateOutOfRange),
    }
}

/// Who is responsible for the data and how buyers reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    name: String,
    website: String,
    email: String,
    hotline: String,
}

impl Controller {
    /// The shop's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The shop's website.
    pub fn website(&self) -> &str {
        &self.website
    }

    /// Where buyers send requests about their data.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The support hotline.
    pub fn hotline(&self) -> &str {
        &self.hotline
    }
}

/// What the policy says about one data category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRule {
    category: DataCategory,
    label: Localized,
    description: Localized,
    retention: Retention,
    retention_reason: Localized,
    collected_by: Option<Vec<Feature>>,
}

impl CategoryRule {
    /// The features that collect this category today: empty when nothing collects it yet;
    /// `None` in an earlier version that did not say.
    pub fn collected_by(&self) -> Option<&[Feature]> {
        self.collected_by.as_deref()
    }

    /// Which category this is.
    pub fn category(&self) -> DataCategory {
        self.category
    }

    /// Short name, e.g. "Thông tin liên lạc".
    pub fn label(&self) -> &Localized {
        &self.label
    }

    /// What the category holds.
    pub fn description(&self) -> &Localized {
        &self.description
    }

    /// How long it is kept.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Why it is kept that long.
    pub fn retention_reason(&self) -> &Localized {
        &self.retention_reason
    }
}

/// The labels of one actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRule {
    actor: Actor,
    label: Localized,
    description: Localized,
}

impl ActorRule {
    /// Which actor this is.
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Short name, e.g. "Giao vận".
    pub fn label(&self) -> &Localized {
        &self.label
    }

    /// What this actor does.
    pub fn description(&self) -> &Localized {
        &self.description
    }
}

/// What the policy says about one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurposeRule {
    id: PurposeId,
    basis: LegalBasis,
    label: Localized,
    description: Localized,
    categories: Vec<DataCategory>,
    actors: Vec<Actor>,
    consent: Option<Localized>,
    // Bit sets of the two lists above, because `allows` sits on the path of every read.
    category_mask: u32,
    actor_mask: u32,
}

impl PurposeRule {
    /// Which purpose this is.
    pub fn id(&self) -> PurposeId {
        self.id
    }

    /// Its legal basis.
    pub fn basis(&self) -> LegalBasis {
        self.basis
    }

    /// Short name, e.g. "Xử lý đơn hàng".
    pub fn label(&self) -> &Localized {
        &self.label
    }

    /// What the purpose is, as told to buyers.
    pub fn description(&self) -> &Localized {
        &self.description
    }

    /// The categories it may read, in file order (empty: it reads no personal data).
    pub fn categories(&self) -> &[DataCategory] {
        &self.categories
    }

    /// The actors allowed to act for it, in file order.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    /// The checkbox wording, present exactly when the basis is consent.
    pub fn consent_wording(&self) -> Option<&Localized> {
        self.consent.as_ref()
    }

    /// Whether each use needs the buyer's current consent.
    pub fn needs_consent(&self) -> bool {
        self.basis == LegalBasis::Consent
    }

    /// Whether the purpose lists `category`.
    pub fn may_read(&self, category: DataCategory) -> bool {
        self.category_mask & (1 << category.position()) != 0
    }

    /// Whether the purpose lists `actor`.
    pub fn may_act(&self, actor: Actor) -> bool {
        self.actor_mask & (1 << actor.position()) != 0
    }
}

/// A purpose the buyer can consent to, with the wording of its (unticked) checkbox.
#[derive(Debug, Clone, Copy)]
pub struct ConsentPurpose<'a> {
    purpose: &'a PurposeRule,
    wording: &'a Localized,
}

impl<'a> ConsentPurpose<'a> {
    /// Which purpose.
    pub fn id(&self) -> PurposeId {
        self.purpose.id
    }

    /// The whole purpose rule.
    pub fn purpose(&self) -> &'a PurposeRule {
        self.purpose
    }

    /// The exact checkbox wording.
    pub fn wording(&self) -> &'a Localized {
        self.wording
    }
}

/// What the policy says about one kind of recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRule {
    kind: RecipientKind,
    basis: DisclosureBasis,
    buyer_notice: BuyerNotice,
    fields: Vec<Field>,
    label: Localized,
    description: Localized,
    ground: Localized,
    consent: Option<Localized>,
}

impl RecipientRule {
    /// The ground on which it receives data, in words for the page.
    pub fn ground(&self) -> &Localized {
        &self.ground
    }

    /// Which kind of recipient.
    pub fn kind(&self) -> RecipientKind {
        self.kind
    }

    /// The only ground on which it may receive data.
    pub fn basis(&self) -> DisclosureBasis {
        self.basis
    }

    /// When the buyer is told about a disclosure to it.
    pub fn buyer_notice(&self) -> BuyerNotice {
        self.buyer_notice
    }

    /// Exactly the fields it may receive, in file order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Whether it may receive `field`.
    pub fn may_receive(&self, field: Field) -> bool {
        self.fields.contains(&field)
    }

    /// Short name, e.g. "Đơn vị vận chuyển".
    pub fn label(&self) -> &Localized {
        &self.label
    }

    /// What it receives and why, as told to buyers.
    pub fn description(&self) -> &Localized {
        &self.description
    }

    /// The per-partner consent wording with its `{partner}` placeholder; present exactly when
    /// the basis is consent.
    pub fn consent_template(&self) -> Option<&Localized> {
        self.consent.as_ref()
    }

    /// The consent wording for one partner, ready to show beside an unticked checkbox.
    pub fn consent_wording(&self, language: Language, partner: &str) -> Option<String> {
        self.consent.as_ref().map(|wording| {
            wording
                .get(language)
                .replace(load::PARTNER_PLACEHOLDER, partner)
        })
    }
}

/// A law the policy follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LawRule {
    id: Option<String>,
    name: Localized,
    role: Localized,
    in_force_since: String,
}

impl LawRule {
    /// The id other sections cite it by (lowercase letters, digits and hyphens, unique):
    /// always present in the policy in force, absent in earlier versions.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Its name and number, e.g. "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15".
    pub fn name(&self) -> &Localized {
        &self.name
    }

    /// What it means for the shop and the buyer.
    pub fn role(&self) -> &Localized {
        &self.role
    }

    /// The date (YYYY-MM-DD) it came into force, never after the policy's effective date.
    pub fn in_force_since(&self) -> &str {
        &self.in_force_since
    }
}

/// How soon the shop answers a data subject's request (`[rights_deadlines]`): a first
/// answer to every request, then a term per kind of request, all from one law.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsDeadlines {
    first_answer: Term,
    /// One per [`RightsKind`], in its order.
    terms: Vec<Term>,
    law: String,
}

impl RightsDeadlines {
    /// The term for the first answer, whatever the request.
    pub fn first_answer(&self) -> Term {
        self.first_answer
    }

    /// The term for answering a request of `kind` in full.
    pub fn term(&self, kind: RightsKind) -> Term {
        self.terms[kind.position()]
    }

    /// The id of the `[[laws]]` entry that sets the terms (see [`Policy::law`]).
    pub fn law(&self) -> &str {
        &self.law
    }
}

/// The words for one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRule {
    feature: Feature,
    label: Localized,
}

impl FeatureRule {
    /// Which feature.
    pub fn feature(&self) -> Feature {
        self.feature
    }

    /// Its name for buyers.
    pub fn label(&self) -> &Localized {
        &self.label
    }
}

/// A processor (bên xử lý dữ liệu cá nhân): what it receives and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorRule {
    kind: ProcessorKind,
    label: Localized,
    receives: Localized,
    why: Localized,
    categories: Vec<DataCategory>,
}

impl ProcessorRule {
    /// Which processor.
    pub fn kind(&self) -> ProcessorKind {
        self.kind
    }

    /// Its name for buyers.
    pub fn label(&self) -> &Localized {
        &self.label
    }

    /// What it receives, in words.
    pub fn receives(&self) -> &Localized {
        &self.receives
    }

    /// Why it receives it.
    pub fn why(&self) -> &Localized {
        &self.why
    }

    /// The categories of personal data it handles.
    pub fn categories(&self) -> &[DataCategory] {
        &self.categories
    }
}

/// One promise of the page, with the features that keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseRule {
    id: String,
    group: PromiseGroup,
    title: Option<Localized>,
    text: Localized,
    kept_by: Vec<Feature>,
}

impl PromiseRule {
    /// Its id, unique in the file.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The group it is shown with.
    pub fn group(&self) -> PromiseGroup {
        self.group
    }

    /// A short title, e.g. the name of a right.
    pub fn title(&self) -> Option<&Localized> {
        self.title.as_ref()
    }

    /// What is promised.
    pub fn text(&self) -> &Localized {
        &self.text
    }

    /// The features that keep it; never empty in the policy in force.
    pub fn kept_by(&self) -> &[Feature] {
        &self.kept_by
    }
}

/// The privacy page's own text: its sections in order, and the words it puts around the
/// policy's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    title: Localized,
    lead: Localized,
    /// One per [`PageWord`], in its order.
    words: Vec<Localized>,
    /// One per [`LegalBasis`], in its order.
    legal_bases: Vec<Localized>,
    /// One per [`Field`], in its order.
    fields: Vec<Localized>,
    /// One per [`BuyerNotice`], in its order.
    notices: Vec<Localized>,
    /// The words for a retention counted from the last order
    /// ([`RETENTION_AFTER_LAST_ORDER`] in `[page.words]`): required in the policy in force
    /// and wherever a category has that retention; absent from versions published before it.
    retention_after_last_order: Option<Localized>,
    sections: Vec<Section>,
}

impl Page {
    /// The page's title.
    pub fn title(&self) -> &Localized {
        &self.title
    }

    /// The paragraph under the title.
    pub fn lead(&self) -> &Localized {
        &self.lead
    }

    /// One of the page's words (the loader requires every one).
    pub fn word(&self, word: PageWord) -> &Localized {
        &self.words[word.position()]
    }

    /// A legal basis in words.
    pub fn legal_basis(&self, basis: LegalBasis) -> &Localized {
        &self.legal_bases[basis.position()]
    }

    /// A recipient's field in words.
    pub fn field(&self, field: Field) -> &Localized {
        &self.fields[field.position()]
    }

    /// When the buyer is told of a disclosure, in words.
    pub fn notice(&self, notice: BuyerNotice) -> &Localized {
        &self.notices[notice.position()]
    }

    /// The words for a retention counted from the last order, with `{years}` to fill: `None`
    /// only in a version published before that kind of retention existed.
    pub fn retention_after_last_order(&self) -> Option<&Localized> {
        self.retention_after_last_order.as_ref()
    }

    /// The sections, in order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }
}

/// One section of the page: a heading and its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    anchor: String,
    heading: Localized,
    blocks: Vec<Block>,
}

impl Section {
    /// Its id in the page (lowercase letters, digits and hyphens), unique on the page.
    pub fn anchor(&self) -> &str {
        &self.anchor
    }

    /// Its heading.
    pub fn heading(&self) -> &Localized {
        &self.heading
    }

    /// Its blocks, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }
}

/// One block of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Text(Localized),
    /// A heading inside the section.
    Subheading(Localized),
    /// A bulleted list.
    List(Vec<Localized>),
    /// A part built from the policy's data.
    Show(PageBlock),
    /// One group of promises with the features that keep them.
    Promises(PromiseGroup),
}

/// Entries of one section, in file order, with a complete index by id (the loader refuses a
/// file that leaves any id out, which is what makes `get` total).
#[derive(Debug, Clone)]
struct Table<K, V> {
    entries: Vec<V>,
    index: Vec<usize>,
    key: PhantomData<K>,
}

impl<K: Vocabulary, V> Table<K, V> {
    fn get(&self, key: K) -> &V {
        &self.entries[self.index[key.position()]]
    }

    fn iter(&self) -> std::slice::Iter<'_, V> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn embedded() -> Policy {
        Policy::embedded().expect("the embedded policy loads")
    }

    /// Loads the embedded text with `from` replaced by `to` (exactly once, so a typo in a test
    /// fails loudly instead of testing nothing).
    fn mutated(from: &str, to: &str) -> Result<Policy, PolicyError> {
        assert_eq!(
            EMBEDDED_POLICY_TOML.matches(from).count(),
            1,
            "test fixture: {from:?} must occur exactly once in the policy"
        );
        Policy::from_toml(&EMBEDDED_POLICY_TOML.replacen(from, to, 1))
    }

    fn error_message(from: &str, to: &str) -> String {
        match mutated(from, to) {
            Ok(_) => panic!("policy with {from:?} -> {to:?} should be refused"),
            Err(error) => error.to_string(),
        }
    }

    fn assert_mentions(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(
                message.contains(part),
                "message {message:?} should mention {part:?}"
            );
        }
    }

    #[test]
    fn embedded_policy_loads() {
        let policy = embedded();
        assert_eq!(policy.version(), "2026-12-04");
        assert_eq!(policy.effective_date(), "2026-12-04");
        assert_eq!(policy.purposes().count(), PurposeId::COUNT);
        assert_eq!(policy.categories().count(), DataCategory::COUNT);
        assert_eq!(policy.actors().count(), Actor::COUNT);
        assert_eq!(policy.recipients().count(), RecipientKind::COUNT);
        assert_eq!(policy.controller().email(), "contact.hanjinbi@gmail.com");
    }

    #[test]
    fn every_published_version_loads_under_its_own_version() {
        assert!(!POLICY_VERSIONS.is_empty());
        let last = POLICY_VERSIONS.len() - 1;
        for (position, (version, text)) in POLICY_VERSIONS.iter().enumerate() {
            // Earlier versions load as archived; the last one under every rule.
            let policy = if position == last {
                Policy::from_toml(text)
            } else {
                Policy::archived_from_toml(text)
            }
            .unwrap_or_else(|error| panic!("published version {version} is invalid: {error}"));
            assert_eq!(policy.version(), *version, "listed under the wrong version");
            let published = Policy::published(version)
                .expect("listed versions are found")
                .expect("listed versions load");
            assert_eq!(published.version(), *version);
        }
        // Versions are dates: unique and oldest first, so the last is the current one.
        let versions: Vec<&str> = Policy::published_versions().collect();
        assert!(
            versions.windows(2).all(|pair| pair[0] < pair[1]),
            "versions must be unique and oldest first: {versions:?}"
        );
    }

    #[test]
    fn the_current_policy_is_the_last_published_version() {
        let current = embedded();
        assert_eq!(
            Policy::published_versions().next_back(),
            Some(current.version())
        );
        let (version, text) = POLICY_VERSIONS.last().expect("at least one version");
        assert_eq!(*version, current.version());
        assert_eq!(
            *text, EMBEDDED_POLICY_TOML,
            "the current entry must be the embedded file itself"
        );
        assert!(Policy::published("1999-01-01").is_none());
        assert!(Policy::published("").is_none());
        assert!(Policy::published(&format!("{version} ")).is_none());
    }

    #[test]
    fn fulfilment_staff_may_read_address_for_order_fulfilment() {
        assert_eq!(
            embedded().allows(
                Actor::Fulfilment,
                PurposeId::OrderFulfilment,
                DataCategory::Address
            ),
            Decision::Allowed {
                needs_consent: false
            }
        );
    }

    #[test]
    fn marketing_staff_may_not_read_address_for_order_fulfilment() {
        assert_eq!(
            embedded().allows(
                Actor::Marketing,
                PurposeId::OrderFulfilment,
                DataCategory::Address
            ),
            Decision::Denied(DenyReason::ActorNotAllowed {
                actor: Actor::Marketing,
                purpose: PurposeId::OrderFulfilment,
            })
        );
    }

    #[test]
    fn marketing_purpose_needs_consent() {
        let policy = embedded();
        assert_eq!(
            policy.allows(Actor::System, PurposeId::Marketing, DataCategory::Contact),
            Decision::Allowed {
                needs_consent: true
            }
        );
        assert!(policy.purpose(PurposeId::Marketing).needs_consent());
        // Marketing may email a buyer who opted in, but never learns where they live.
        assert!(!policy
            .allows(
                Actor::Marketing,
                PurposeId::Marketing,
                DataCategory::Address
            )
            .is_allowed());
    }

    #[test]
    fn combinations_not_listed_are_denied() {
        let policy = embedded();
        assert_eq!(
            policy.allows(
                Actor::Marketing,
                PurposeId::LegalObligations,
                DataCategory::Transaction
            ),
            Decision::Denied(DenyReason::ActorNotAllowed {
                actor: Actor::Marketing,
                purpose: PurposeId::LegalObligations,
            })
        );
        assert_eq!(
            policy.allows(Actor::System, PurposeId::Suggestions, DataCategory::Address),
            Decision::Denied(DenyReason::CategoryNotAllowed {
                category: DataCategory::Address,
                purpose: PurposeId::Suggestions,
            })
        );
        // Service improvement works on anonymous aggregates only: it opens nothing personal.
        for &actor in Actor::ALL {
            for &category in DataCategory::ALL {
                assert!(!policy
                    .allows(actor, PurposeId::ServiceImprovement, category)
                    .is_allowed());
            }
        }
    }

    #[test]
    fn every_grant_is_listed_in_its_purpose() {
        let policy = embedded();
        for &purpose in PurposeId::ALL {
            let rule = policy.purpose(purpose);
            for &actor in Actor::ALL {
                for &category in DataCategory::ALL {
                    let listed =
                        rule.actors().contains(&actor) && rule.categories().contains(&category);
                    assert_eq!(
                        policy.allows(actor, purpose, category).is_allowed(),
                        listed,
                        "{actor} / {purpose} / {category}"
                    );
                }
            }
        }
    }

    #[test]
    fn deny_reason_names_codes() {
        let reason = DenyReason::CategoryNotAllowed {
            category: DataCategory::Address,
            purpose: PurposeId::Marketing,
        };
        assert_eq!(
            reason.to_string(),
            "purpose \"marketing\" may not read category \"address\""
        );
    }

    #[test]
    fn transaction_records_are_kept_ten_years_from_the_end_of_the_financial_year() {
        let policy = embedded();
        let rule = policy.category(DataCategory::Transaction);
        assert_eq!(
            rule.retention(),
            Retention::AfterFinancialYear {
                years: NonZeroU32::new(10).expect("non-zero"),
                year_end: FinancialYearEnd::CALENDAR,
            }
        );
        assert_eq!(
            policy.describe_retention(rule.retention(), Language::En),
            "10 years from the end of the financial year of the transaction"
        );
        assert_eq!(
            policy.describe_retention(rule.retention(), Language::Vi),
            "10 năm kể từ khi kết thúc năm tài chính có giao dịch"
        );
        assert_mentions(rule.retention_reason().vi(), &["88/2015/QH13", "Điều 41"]);
        assert_mentions(
            rule.retention_reason().en(),
            &["88/2015/QH13", "Article 41"],
        );
        assert_eq!(
            policy.category(DataCategory::Account).retention(),
            Retention::UntilErasure
        );
    }

    fn three_years_from_the_last_order() -> Retention {
        Retention::AfterLastOrder {
            years: NonZeroU32::new(3).expect("non-zero"),
        }
    }

    #[test]
    fn a_guests_records_are_kept_three_years_from_the_last_order_under_the_civil_code() {
        let policy = embedded();
        for category in [
            DataCategory::Contact,
            DataCategory::Identity,
            DataCategory::Address,
        ] {
            let rule = policy.category(category);
            assert_eq!(
                rule.retention(),
                three_years_from_the_last_order(),
                "{category}"
            );
            assert_mentions(
                rule.retention_reason().vi(),
                &[
                    "3 năm",
                    "đơn hàng cuối cùng",
                    "91/2015/QH13",
                    "Điều 429",
                    "mục 8",
                ],
            );
            assert_mentions(
                rule.retention_reason().en(),
                &[
                    "3 years",
                    "last order",
                    "91/2015/QH13",
                    "Article 429",
                    "section 8",
                ],
            );
        }
        assert_mentions(
            policy
                .category(DataCategory::Contact)
                .retention_reason()
                .vi(),
            &[
                "thời hiệu khởi kiện tranh chấp hợp đồng là 03 năm",
                "04/12/2029",
                "05/12/2029",
            ],
        );
        assert_eq!(
            policy.describe_retention(three_years_from_the_last_order(), Language::Vi),
            "3 năm kể từ đơn hàng cuối cùng đặt bằng cùng địa chỉ email; với tài khoản đã xác \
             nhận, cho đến khi quý khách xóa tài khoản"
        );
        assert_eq!(
            policy.describe_retention(three_years_from_the_last_order(), Language::En),
            "3 years from the last order placed with the same email address; with a confirmed \
             account, until you erase the account"
        );
        let civil_code = policy
            .law("law-91-2015-qh13")
            .expect("the Civil Code is cited");
        assert_eq!(civil_code.name().vi(), "Bộ luật Dân sự số 91/2015/QH13");
        assert_eq!(civil_code.in_force_since(), "2017-01-01");
        assert_mentions(civil_code.role().vi(), &["Điều 429"]);
    }

    #[test]
    fn carriers_receive_exactly_name_phone_address_and_cod_amount() {
        let policy = embedded();
        assert_eq!(
            policy.recipient_fields(RecipientKind::Carrier),
            &[Field::Name, Field::Phone, Field::Address, Field::CodAmount]
        );
        assert!(!policy
            .recipient(RecipientKind::Carrier)
            .may_receive(Field::Email));
    }

    #[test]
    fn recipients_have_their_bases() {
        let policy = embedded();
        let basis = |kind| policy.recipient(kind).basis();
        assert_eq!(basis(RecipientKind::Carrier), DisclosureBasis::Contract);
        assert_eq!(
            basis(RecipientKind::PaymentGateway),
            DisclosureBasis::Contract
        );
        assert_eq!(
            basis(RecipientKind::CoPromotionPartner),
            DisclosureBasis::Consent
        );
        assert_eq!(
            basis(RecipientKind::GovernmentAgency),
            DisclosureBasis::LegalRequest
        );
        assert_eq!(
            basis(RecipientKind::ProtectionRecipient),
            DisclosureBasis::Protection
        );
        assert_eq!(
            policy
                .recipient(RecipientKind::GovernmentAgency)
                .buyer_notice(),
            BuyerNotice::UnlessRequestForbids
        );
        let partner = policy.recipient(RecipientKind::CoPromotionPartner);
        let wording = partner
            .consent_wording(Language::Vi, "Công ty A")
            .expect("partners need consent wording");
        assert!(wording.contains("Công ty A") && !wording.contains("{partner}"));
        assert_eq!(
            policy
                .recipient(RecipientKind::Carrier)
                .consent_wording(Language::Vi, "X"),
            None
        );
    }

    #[test]
    fn consent_purposes_carry_checkout_wording() {
        let policy = embedded();
        let ids: Vec<PurposeId> = policy.consent_purposes().map(|c| c.id()).collect();
        assert_eq!(ids, [PurposeId::Suggestions, PurposeId::Marketing]);
        let marketing = policy
            .purpose(PurposeId::Marketing)
            .consent_wording()
            .expect("marketing needs consent wording");
        assert_eq!(marketing.vi(), MARKETING_VI);
        assert_eq!(marketing.en(), MARKETING_EN);
        for purpose in policy.purposes() {
            assert_eq!(
                purpose.consent_wording().is_some(),
                purpose.basis() == LegalBasis::Consent,
                "{}",
                purpose.id()
            );
        }
    }

    #[test]
    fn purposes_have_their_bases_in_file_order() {
        let policy = embedded();
        let bases: Vec<(PurposeId, LegalBasis)> =
            policy.purposes().map(|p| (p.id(), p.basis())).collect();
        assert_eq!(
            bases,
            [
                (PurposeId::OrderFulfilment, LegalBasis::Contract),
                (PurposeId::AnsweringRequests, LegalBasis::Contract),
                (PurposeId::Suggestions, LegalBasis::Consent),
                (PurposeId::Marketing, LegalBasis::Consent),
                (PurposeId::ServiceImprovement, LegalBasis::Contract),
                (PurposeId::DisputeResolution, LegalBasis::Contract),
                (
                    PurposeId::PreventingUnlawfulActivity,
                    LegalBasis::LegitimateProtection
                ),
                (PurposeId::LegalObligations, LegalBasis::LegalObligation),
            ]
        );
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        let policy = embedded();
        let texts = policy
            .categories()
            .flat_map(|c| [c.label(), c.description(), c.retention_reason()])
            .chain(policy.actors().flat_map(|a| [a.label(), a.description()]))
            .chain(policy.purposes().flat_map(|p| [p.label(), p.description()]))
            .chain(
                policy
                    .recipients()
                    .flat_map(|r| [r.label(), r.description()]),
            );
        for text in texts {
            assert!(!text.vi().is_empty() && !text.en().is_empty());
            assert_ne!(text.vi(), text.en(), "untranslated text {:?}", text.vi());
        }
    }

    #[test]
    fn codes_round_trip_through_parse_and_serde() {
        use serde::de::value::{Error as DeError, StrDeserializer};
        use serde::de::IntoDeserializer;
        use serde::Deserialize;

        for &actor in Actor::ALL {
            assert_eq!(Actor::parse(actor.code()), Some(actor));
            assert_eq!(actor.code().parse::<Actor>(), Ok(actor));
            let deserializer: StrDeserializer<'_, DeError> = actor.code().into_deserializer();
            assert_eq!(Actor::deserialize(deserializer), Ok(actor));
        }
        for &category in DataCategory::ALL {
            let deserializer: StrDeserializer<'_, DeError> = category.code().into_deserializer();
            assert_eq!(DataCategory::deserialize(deserializer), Ok(category));
        }
    }

    #[test]
    fn unknown_actor_code_is_a_clear_error() {
        let error = "courier".parse::<Actor>().expect_err("not an actor");
        assert_eq!(
            error.to_string(),
            "unknown actor \"courier\"; expected one of: buyer, system, customer_care, \
             marketing, fulfilment, legal, owner"
        );
    }

    #[test]
    fn retention_is_described_in_both_languages_with_the_pages_words() {
        let policy = embedded();
        let days = |n| Retention::Days(NonZeroU32::new(n).expect("non-zero"));
        let describe = |retention, language| policy.describe_retention(retention, language);
        assert_eq!(describe(days(365), Language::En), "365 days (1 year)");
        assert_eq!(describe(days(1095), Language::En), "1095 days (3 years)");
        assert_eq!(describe(days(1095), Language::Vi), "1095 ngày (3 năm)");
        assert_eq!(describe(days(30), Language::Vi), "30 ngày");
        assert_eq!(
            describe(Retention::UntilErasure, Language::Vi),
            "Cho đến khi quý khách yêu cầu xóa"
        );
    }

    fn date(year: i32, month: u8, day: u8) -> time::Date {
        let month = time::Month::try_from(month).expect("a month");
        time::Date::from_calendar_date(year, month, day).expect("a date")
    }

    fn ten_years(year_end: FinancialYearEnd) -> Retention {
        Retention::AfterFinancialYear {
            years: NonZeroU32::new(10).expect("non-zero"),
            year_end,
        }
    }

    #[test]
    fn a_transaction_of_31_december_is_due_for_deletion_ten_years_after_that_day() {
        let due = ten_years(FinancialYearEnd::CALENDAR).deletion_due(date(2026, 12, 31));
        assert_eq!(due, Ok(Some(date(2037, 1, 1))));
    }

    #[test]
    fn a_transaction_of_1_january_waits_for_the_end_of_its_own_financial_year() {
        let due = ten_years(FinancialYearEnd::CALENDAR).deletion_due(date(2027, 1, 1));
        assert_eq!(due, Ok(Some(date(2038, 1, 1))));
        let due = ten_years(FinancialYearEnd::CALENDAR).deletion_due(date(2028, 2, 29));
        assert_eq!(due, Ok(Some(date(2039, 1, 1))));
    }

    #[test]
    fn a_financial_year_ending_in_march_counts_from_its_own_end() {
        let year_end = FinancialYearEnd::new(3, 31).expect("31 March exists every year");
        let retention = ten_years(year_end);
        assert_eq!(
            retention.deletion_due(date(2026, 3, 31)),
            Ok(Some(date(2036, 4, 1)))
        );
        assert_eq!(
            retention.deletion_due(date(2026, 4, 1)),
            Ok(Some(date(2037, 4, 1)))
        );
        assert_eq!(FinancialYearEnd::new(2, 29), None);
        assert_eq!(FinancialYearEnd::new(13, 1), None);
    }

    #[test]
    fn deletion_due_for_days_and_until_erasure() {
        let days = Retention::Days(NonZeroU32::new(365).expect("non-zero"));
        assert_eq!(
            days.deletion_due(date(2026, 11, 25)),
            Ok(Some(date(2027, 11, 25)))
        );
        assert_eq!(
            Retention::UntilErasure.deletion_due(date(2026, 11, 25)),
            Ok(None)
        );
        assert_eq!(
            ten_years(FinancialYearEnd::CALENDAR).deletion_due(time::Date::MAX),
            Err(DateOutOfRange)
        );
    }

    #[test]
    fn a_guests_records_are_due_the_day_after_the_last_orders_period_ends() {
        let retention = three_years_from_the_last_order();
        // The period starts the day after the order and ends on its third anniversary.
        assert_eq!(
            retention.deletion_due(date(2026, 12, 4)),
            Ok(Some(date(2029, 12, 5)))
        );
        assert_eq!(
            retention.deletion_due(date(2026, 12, 31)),
            Ok(Some(date(2030, 1, 1)))
        );
        // An order of 29 February: the period ends on 28 February of a year without one.
        assert_eq!(
            retention.deletion_due(date(2028, 2, 29)),
            Ok(Some(date(2031, 3, 1)))
        );
        let four_years = Retention::AfterLastOrder {
            years: NonZeroU32::new(4).expect("non-zero"),
        };
        assert_eq!(
            four_years.deletion_due(date(2028, 2, 29)),
            Ok(Some(date(2032, 3, 1)))
        );
        assert_eq!(retention.deletion_due(time::Date::MAX), Err(DateOutOfRange));
    }

    #[test]
    fn the_last_orders_still_kept_start_whole_years_back() {
        let retention = three_years_from_the_last_order();
        assert_eq!(
            retention.last_orders_kept_from(date(2029, 12, 5)),
            Ok(Some(date(2026, 12, 5)))
        );
        // 28 February 2027's period ends with 28 February 2030: gone on 1 March, not before.
        assert_eq!(
            retention.last_orders_kept_from(date(2030, 2, 28)),
            Ok(Some(date(2027, 2, 28)))
        );
        assert_eq!(
            retention.last_orders_kept_from(date(2030, 3, 1)),
            Ok(Some(date(2027, 3, 1)))
        );
        // On 29 February, a 28 February three years back has ended; 1 March has not.
        assert_eq!(
            retention.last_orders_kept_from(date(2032, 2, 29)),
            Ok(Some(date(2029, 3, 1)))
        );
        let four_years = Retention::AfterLastOrder {
            years: NonZeroU32::new(4).expect("non-zero"),
        };
        assert_eq!(
            four_years.last_orders_kept_from(date(2032, 2, 29)),
            Ok(Some(date(2028, 2, 29)))
        );
        for other in [
            Retention::UntilErasure,
            Retention::Days(NonZeroU32::new(1095).expect("non-zero")),
            ten_years(FinancialYearEnd::CALENDAR),
        ] {
            assert_eq!(other.last_orders_kept_from(date(2029, 12, 5)), Ok(None));
            assert_eq!(other.days().is_some(), matches!(other, Retention::Days(_)));
        }
        assert_eq!(
            retention.last_orders_kept_from(time::Date::MIN),
            Err(DateOutOfRange)
        );
    }

    #[test]
    fn the_earlier_version_is_refused_as_the_policy_in_force() {
        let (_, text) = POLICY_VERSIONS[0];
        let message = Policy::from_toml(text)
            .expect_err("its promises name no feature")
            .to_string();
        assert_mentions(&message, &["category \"contact\"", "collected_by"]);
    }

    #[test]
    fn every_promise_in_force_names_a_feature_and_the_page_shows_every_group() {
        let policy = embedded();
        assert!(!policy.promises().is_empty());
        for promise in policy.promises() {
            assert!(!promise.kept_by().is_empty(), "{}", promise.id());
            for &feature in promise.kept_by() {
                assert!(policy.feature(feature).is_some(), "{feature}");
            }
        }
        let shown: Vec<PromiseGroup> = policy
            .page()
            .sections()
            .iter()
            .flat_map(|section| section.blocks())
            .filter_map(|block| match block {
                Block::Promises(group) => Some(*group),
                _ => None,
            })
            .collect();
        for promise in policy.promises() {
            assert!(
                shown.contains(&promise.group()),
                "{} is never shown",
                promise.id()
            );
        }
    }

    #[test]
    fn the_policy_in_force_cites_no_replaced_decree() {
        let policy = embedded();
        let mut texts: Vec<&Localized> = policy.laws().iter().map(LawRule::name).collect();
        texts.extend(policy.laws().iter().map(LawRule::role));
        for text in texts {
            for language in [Language::Vi, Language::En] {
                assert!(
                    !text.get(language).contains("13/2023"),
                    "{}",
                    text.get(language)
                );
            }
        }
        assert!(!EMBEDDED_POLICY_TOML.contains("13/2023"));
    }

    #[test]
    fn rejects_a_promise_kept_by_a_feature_that_does_not_exist() {
        let message = error_message(
            "kept_by = [\"shop_contact\"]\n\n[[promises]]\nid = \"erase\"",
            "kept_by = [\"disclosure_register\"]\n\n[[promises]]\nid = \"erase\"",
        );
        assert_mentions(
            &message,
            &[
                "promise \"rectify\"",
                "unknown feature \"disclosure_register\"",
                "`kept_by`",
            ],
        );
    }

    #[test]
    fn an_earlier_version_still_refuses_a_feature_the_code_does_not_know() {
        let (_, text) = POLICY_VERSIONS[0];
        let text = text.replacen(
            "group = \"protection\"\ntext.vi",
            "group = \"protection\"\nkept_by = [\"backups_erased\"]\ntext.vi",
            1,
        );
        let text = text.replacen(
            "kept_by = []\n\n[[promises]]\nid = \"p10\"",
            "\n[[promises]]\nid = \"p10\"",
            1,
        );
        let message = Policy::archived_from_toml(&text)
            .expect_err("an unknown feature")
            .to_string();
        assert_mentions(
            &message,
            &["promise \"p9\"", "unknown feature \"backups_erased\""],
        );
    }

    #[test]
    fn rejects_an_unclosed_placeholder() {
        let message = error_message(
            "text.en = \"{name} never sells",
            "text.en = \"{name never sells",
        );
        assert_mentions(
            &message,
            &[
                "promise \"never_sold\"",
                "the en text of `text`",
                "unknown placeholder {name never sells",
            ],
        );
    }

    #[test]
    fn rejects_a_promise_kept_by_nothing() {
        let message = error_message("kept_by = [\"privacy_page\"]", "kept_by = []");
        assert_eq!(
            message,
            "promise \"informed\": `kept_by` is empty; it must name at least one feature"
        );
    }

    #[test]
    fn rejects_a_feature_without_words_for_the_page() {
        let entry = "[[features]]\nid = \"privacy_page\"\nlabel.vi = \"Trang chính sách này và các phiên bản trước\"\nlabel.en = \"This page and its earlier versions\"\n";
        // In force, every feature needs an entry; an earlier version needs one for each
        // feature it names.
        let message = error_message(entry, "");
        assert_eq!(
            message,
            "the policy does not declare feature \"privacy_page\"; every feature the code knows \
             must have an entry in [[features]]"
        );
        let text = EMBEDDED_POLICY_TOML.replacen(entry, "", 1);
        let message = Policy::archived_from_toml(&text)
            .expect_err("a named feature without words")
            .to_string();
        assert_eq!(
            message,
            "promise \"informed\": names feature \"privacy_page\", which has no entry in [[features]]"
        );
    }

    #[test]
    fn rejects_a_category_that_does_not_say_what_collects_it() {
        let message = error_message(
            "collected_by = [\"consent_ledger\", \"buyer_accounts\", \"consent_centre\", \"processing_limits\"]\n",
            "",
        );
        assert_eq!(message, "category \"account\": missing `collected_by`");
    }

    #[test]
    fn rejects_a_processor_left_out_or_with_unknown_data() {
        let message = error_message("id = \"backups\"", "id = \"archive\"");
        assert_mentions(
            &message,
            &["entry 3 of [[processors]]", "unknown processor \"archive\""],
        );
        let start = EMBEDDED_POLICY_TOML
            .find("[[processors]]\nid = \"backups\"")
            .expect("fixture");
        let end = start + EMBEDDED_POLICY_TOML[start..].find("\n\n").expect("fixture");
        let text = format!(
            "{}{}",
            &EMBEDDED_POLICY_TOML[..start],
            &EMBEDDED_POLICY_TOML[end..]
        );
        assert_eq!(
            Policy::from_toml(&text).expect_err("left out").to_string(),
            "the policy does not declare processor \"backups\"; every processor the code knows \
             must have an entry in [[processors]]"
        );
    }

    #[test]
    fn rejects_a_processor_without_what_it_receives_or_why() {
        let message = error_message(
            "why.en = \"To run the shop: take orders, send emails, show you your orders.\"\n",
            "",
        );
        assert_eq!(
            message,
            "processor \"hosting\": `why` has no en text (both \"vi\" and \"en\" are required)"
        );
    }

    #[test]
    fn rejects_a_law_not_yet_in_force() {
        let message = error_message(
            "in_force_since = \"2026-07-01\"",
            "in_force_since = \"2027-01-01\"",
        );
        assert_eq!(
            message,
            "entry 3 of [[laws]]: in force only from 2027-01-01, after the policy's effective \
             date 2026-12-04; cite only laws in force"
        );
    }

    #[test]
    fn every_kind_of_request_has_a_term_in_the_policy_in_force() {
        let policy = embedded();
        for &kind in RightsKind::ALL {
            assert!(policy.rights_deadline(kind).is_some(), "no term for {kind}");
        }
        // Decree 356/2025/NĐ-CP Art. 5, in working days.
        assert_eq!(policy.first_answer_term(), Some(Term::WorkingDays(2)));
        for (kind, days) in [
            (RightsKind::Access, 10),
            (RightsKind::Rectification, 10),
            (RightsKind::Portability, 10),
            (RightsKind::Withdrawal, 15),
            (RightsKind::Restriction, 15),
            (RightsKind::Objection, 15),
            (RightsKind::Erasure, 20),
        ] {
            assert_eq!(
                policy.rights_deadline(kind),
                Some(Term::WorkingDays(days)),
                "{kind}"
            );
        }
        let deadlines = policy.rights_deadlines().expect("stated in force");
        let law = policy.law(deadlines.law()).expect("a law of the policy");
        assert!(law.name().en().contains("Decree 356/2025/NĐ-CP"), "{law:?}");
    }

    #[test]
    fn every_law_in_force_has_an_id_and_an_earlier_version_had_none() {
        let policy = embedded();
        for law in policy.laws() {
            let id = law.id().expect("an id");
            assert_eq!(policy.law(id), Some(law));
        }
        assert!(policy.law("decree-52-2013-nd-cp").is_none());
        let (_, text) = POLICY_VERSIONS[0];
        let earlier = Policy::archived_from_toml(text).expect("the earlier version loads");
        assert!(earlier.laws().iter().all(|law| law.id().is_none()));
    }

    #[test]
    fn rejects_a_policy_in_force_without_rights_deadlines() {
        let start = EMBEDDED_POLICY_TOML
            .find("[rights_deadlines]\n")
            .expect("fixture");
        let end = start + EMBEDDED_POLICY_TOML[start..].find("\n\n").expect("fixture");
        let text = format!(
            "{}{}",
            &EMBEDDED_POLICY_TOML[..start],
            &EMBEDDED_POLICY_TOML[end..]
        );
        assert_eq!(
            Policy::from_toml(&text).expect_err("no terms").to_string(),
            "the policy: missing `rights_deadlines`"
        );
    }

    #[test]
    fn an_earlier_version_loads_without_rights_deadlines() {
        let (version, text) = POLICY_VERSIONS[0];
        assert!(!text.contains("[rights_deadlines]"));
        let earlier = Policy::archived_from_toml(text).expect("the earlier version loads");
        assert_eq!(earlier.version(), version);
        assert!(earlier.rights_deadlines().is_none());
        assert_eq!(earlier.rights_deadline(RightsKind::Erasure), None);
        assert_eq!(earlier.first_answer_term(), None);
    }

    #[test]
    fn rejects_a_term_that_does_not_read_as_one() {
        let message = error_message("erasure = \"20 working days\"", "erasure = \"20 ngày\"");
        assert_eq!(
            message,
            "[rights_deadlines]: `erasure`: \"20 ngày\" is not a term: write \"N days\" or \"N \
             working days\", N a whole number from 1 to 65535 without leading zeros"
        );
        let message = error_message(
            "first_answer = \"2 working days\"",
            "first_answer = \"0 working days\"",
        );
        assert_mentions(
            &message,
            &["[rights_deadlines]", "`first_answer`", "\"0 working days\""],
        );
    }

    #[test]
    fn rejects_rights_deadlines_missing_a_kind_of_request() {
        let message = error_message("objection = \"15 working days\"\n", "");
        assert_eq!(message, "[rights_deadlines]: missing `objection`");
    }

    #[test]
    fn rejects_rights_deadlines_without_a_first_answer() {
        let message = error_message("first_answer = \"2 working days\"\n", "");
        assert_eq!(message, "[rights_deadlines]: missing `first_answer`");
    }

    #[test]
    fn rejects_an_unknown_key_in_rights_deadlines() {
        let message = error_message(
            "erasure = \"20 working days\"\n",
            "erasure = \"20 working days\"\ndeletion = \"20 working days\"\n",
        );
        assert_eq!(
            message,
            "[rights_deadlines]: unknown key \"deletion\" in `keys`; expected one of: \
             first_answer, law, access, rectification, portability, erasure, withdrawal, \
             restriction, objection"
        );
    }

    #[test]
    fn rejects_rights_deadlines_citing_a_law_by_an_unknown_id() {
        let message = error_message(
            "law = \"decree-356-2025-nd-cp\"",
            "law = \"decree-13-2023-nd-cp\"",
        );
        assert_eq!(
            message,
            "[rights_deadlines]: `law` names law \"decree-13-2023-nd-cp\", which no entry of \
             [[laws]] has as its `id`; ids: law-91-2025-qh15, decree-356-2025-nd-cp, \
             law-122-2025-qh15, law-88-2015-qh13, law-91-2015-qh13"
        );
        let message = error_message("law = \"decree-356-2025-nd-cp\"\n", "");
        assert_eq!(message, "[rights_deadlines]: missing `law`");
    }

    #[test]
    fn rejects_a_law_in_force_without_an_id() {
        let message = error_message("id = \"law-122-2025-qh15\"\n", "");
        assert_eq!(message, "entry 3 of [[laws]]: missing `id`");
    }

    #[test]
    fn rejects_a_law_id_given_twice() {
        let message = error_message("id = \"law-88-2015-qh13\"", "id = \"law-122-2025-qh15\"");
        assert_eq!(
            message,
            "the policy: \"law-122-2025-qh15\" appears more than once in `laws`"
        );
    }

    #[test]
    fn rejects_a_law_id_that_is_not_lowercase_letters_digits_and_hyphens() {
        let message = error_message(
            "id = \"decree-356-2025-nd-cp\"",
            "id = \"Decree 356/2025/NĐ-CP\"",
        );
        assert_eq!(
            message,
            "entry 2 of [[laws]]: `id` must be lowercase letters, digits and hyphens, found \
             \"Decree 356/2025/NĐ-CP\""
        );
    }

    #[test]
    fn rejects_a_policy_in_force_without_laws() {
        let start = EMBEDDED_POLICY_TOML.find("[[laws]]").expect("fixture");
        let end = EMBEDDED_POLICY_TOML.find("[[features]]").expect("fixture");
        let text = format!(
            "{}{}",
            &EMBEDDED_POLICY_TOML[..start],
            &EMBEDDED_POLICY_TOML[end..]
        );
        assert_eq!(
            Policy::from_toml(&text).expect_err("no laws").to_string(),
            "the policy: [[laws]] is missing; the policy in force must have at least one entry"
        );
    }

    #[test]
    fn rejects_an_unknown_retention_start_or_bad_years() {
        let from = "retention = { from = \"end_of_financial_year\", years = 10 }";
        let message = error_message(from, "retention = { from = \"order_date\", years = 10 }");
        assert_eq!(
            message,
            "category \"transaction\": `retention.from` must be \"end_of_financial_year\" or \
             \"last_order\", found \"order_date\""
        );
        let message = error_message(
            from,
            "retention = { from = \"end_of_financial_year\", years = 0 }",
        );
        assert_eq!(
            message,
            "category \"transaction\": `retention.years` must be between 1 and 1000, found 0"
        );
        let message = error_message(
            from,
            "retention = { from = \"end_of_financial_year\", years = 10, financial_year_ends = \"02-29\" }",
        );
        assert_mentions(
            &message,
            &[
                "category \"transaction\"",
                "financial_year_ends",
                "\"02-29\"",
            ],
        );
        let policy = mutated(
            from,
            "retention = { from = \"end_of_financial_year\", years = 10, financial_year_ends = \"03-31\" }",
        )
        .expect("a financial year ending on 31 March loads");
        assert_eq!(
            policy.category(DataCategory::Transaction).retention(),
            ten_years(FinancialYearEnd::new(3, 31).expect("a day every year has"))
        );
    }

    /// The retention of the delivery address, the one entry the tests below change.
    const ADDRESS_RETENTION: &str = "retention = { from = \"last_order\", years = 3 }\n\
         retention_reason.vi = \"Giữ cùng đơn hàng";

    fn address_retention(retention: &str) -> String {
        format!("{retention}\nretention_reason.vi = \"Giữ cùng đơn hàng")
    }

    #[test]
    fn rejects_a_retention_from_the_last_order_without_whole_years() {
        for years in ["0", "-3", "1001"] {
            let message = error_message(
                ADDRESS_RETENTION,
                &address_retention(&format!(
                    "retention = {{ from = \"last_order\", years = {years} }}"
                )),
            );
            assert_eq!(
                message,
                format!(
                    "category \"address\": `retention.years` must be between 1 and 1000, found \
                     {years}"
                )
            );
        }
        let message = error_message(
            ADDRESS_RETENTION,
            &address_retention("retention = { from = \"last_order\" }"),
        );
        assert_eq!(message, "category \"address\": missing `retention.years`");
        let policy = mutated(
            ADDRESS_RETENTION,
            &address_retention("retention = { from = \"last_order\", years = 5 }"),
        )
        .expect("five years from the last order loads");
        assert_eq!(
            policy.category(DataCategory::Address).retention(),
            Retention::AfterLastOrder {
                years: NonZeroU32::new(5).expect("non-zero")
            }
        );
    }

    #[test]
    fn rejects_a_financial_year_end_on_a_retention_from_the_last_order() {
        let message = error_message(
            ADDRESS_RETENTION,
            &address_retention(
                "retention = { from = \"last_order\", years = 3, financial_year_ends = \"03-31\" }",
            ),
        );
        assert_eq!(
            message,
            "category \"address\": `retention.financial_year_ends` belongs only to a retention \
             from \"end_of_financial_year\""
        );
    }

    #[test]
    fn rejects_a_retention_from_the_last_order_on_what_a_guests_record_does_not_hold() {
        let message = error_message(
            "retention = \"until_erasure\"",
            "retention = { from = \"last_order\", years = 3 }",
        );
        assert_eq!(
            message,
            "category \"account\": a retention from \"last_order\" applies only to what a \
             guest's buyer record holds (categories contact, identity, address)"
        );
        let message = error_message(
            "retention = { from = \"end_of_financial_year\", years = 10 }",
            "retention = { from = \"last_order\", years = 10 }",
        );
        assert_mentions(&message, &["category \"transaction\"", "last_order"]);
    }

    #[test]
    fn rejects_a_policy_in_force_without_words_for_a_retention_from_the_last_order() {
        let words = "retention_after_last_order.vi = \"{years} năm kể từ đơn hàng cuối cùng đặt \
                     bằng cùng địa chỉ email; với tài khoản đã xác nhận, cho đến khi quý khách xóa \
                     tài khoản\"\n";
        let message = error_message(words, "");
        assert_eq!(
            message,
            "[page.words] \"retention_after_last_order\": `text` has no vi text (both \"vi\" \
             and \"en\" are required)"
        );
        let english = "retention_after_last_order.en = \"{years} years from the last order \
                       placed with the same email address; with a confirmed account, until you \
                       erase the account\"\n";
        let text = EMBEDDED_POLICY_TOML
            .replacen(words, "", 1)
            .replacen(english, "", 1);
        assert_eq!(
            Policy::from_toml(&text)
                .expect_err("no words for the kind")
                .to_string(),
            "[page.words]: missing `retention_after_last_order`"
        );
    }

    #[test]
    fn an_earlier_version_needs_the_words_only_if_a_category_counts_from_the_last_order() {
        let (_, text) = POLICY_VERSIONS[1];
        let earlier = Policy::archived_from_toml(text).expect("published 2026-11-25 loads");
        assert!(earlier.page().retention_after_last_order().is_none());
        assert!(embedded().page().retention_after_last_order().is_some());
        let from = "retention = \"until_erasure\"\nretention_reason.vi = \"Giữ cùng đơn hàng";
        assert_eq!(text.matches(from).count(), 1, "test fixture");
        let counting = text.replacen(
            from,
            "retention = { from = \"last_order\", years = 3 }\nretention_reason.vi = \"Giữ cùng đơn hàng",
            1,
        );
        assert_eq!(
            Policy::archived_from_toml(&counting)
                .expect_err("nothing describes the retention")
                .to_string(),
            "category \"address\": its retention counts from the last order, so [page.words] \
             needs `retention_after_last_order` (vi and en)"
        );
        // Its page describes no retention it lacks words for; one from elsewhere shows as a
        // placeholder it cannot fill, not in words it never had.
        assert_eq!(
            earlier.describe_retention(three_years_from_the_last_order(), Language::Vi),
            "{retention_after_last_order}"
        );
    }

    #[test]
    fn rejects_an_unknown_placeholder() {
        let message = error_message(
            "Không có tài khoản, quý khách gửi email tới {email} hoặc gọi hotline {hotline}. Việc rút lại",
            "Không có tài khoản, quý khách gửi email tới {mail} hoặc gọi hotline {hotline}. Việc rút lại",
        );
        assert_mentions(
            &message,
            &[
                "promise \"withdraw\"",
                "the vi text of `text`",
                "unknown placeholder {mail}",
            ],
        );
    }

    #[test]
    fn rejects_a_page_word_left_out_or_unknown() {
        let message = error_message("told.en = \"Are you told?\"\n", "");
        assert_eq!(
            message,
            "[page.words] \"told\": `text` has no en text (both \"vi\" and \"en\" are required)"
        );
        let message = error_message(
            "told.vi = \"Quý khách có được thông báo không\"\ntold.en = \"Are you told?\"\n",
            "",
        );
        assert_eq!(message, "[page.words]: missing `told`");
        let message = error_message(
            "told.en = \"Are you told?\"",
            "told.en = \"Are you told?\"\nfax.vi = \"x\"\nfax.en = \"y\"",
        );
        assert_mentions(&message, &["[page.words]", "unknown page word \"fax\""]);
    }

    #[test]
    fn rejects_a_block_that_is_not_exactly_one_thing() {
        let message = error_message(
            "[[page.sections.blocks]]\nshow = \"laws\"\n",
            "[[page.sections.blocks]]\nshow = \"laws\"\nsubheading.vi = \"Luật\"\nsubheading.en = \"Laws\"\n",
        );
        assert_eq!(
            message,
            "block 3 of section \"chung-toi-la-ai\": a block must have exactly one of `text`, \
             `subheading`, `list` or `show`"
        );
    }

    #[test]
    fn rejects_an_unknown_block_or_a_group_without_promises() {
        let message = error_message("show = \"laws\"", "show = \"statutes\"");
        assert_mentions(
            &message,
            &[
                "block 3 of section \"chung-toi-la-ai\"",
                "unknown page block \"statutes\"",
            ],
        );
        let message = error_message("show = \"laws\"", "show = \"laws\"\ngroup = \"rights\"");
        assert_eq!(
            message,
            "block 3 of section \"chung-toi-la-ai\": `group` belongs only to a block with show = \"promises\""
        );
        let message = error_message(
            "show = \"promises\"\ngroup = \"sharing\"",
            "show = \"promises\"\ngroup = \"withdrawal\"",
        );
        assert_mentions(
            &message,
            &[
                "section \"khong-ban-du-lieu\"",
                "unknown promise group \"withdrawal\"",
            ],
        );
    }

    #[test]
    fn rejects_a_shown_promise_group_with_no_promise() {
        let text = EMBEDDED_POLICY_TOML
            .replace("group = \"sharing\"\ntext", "group = \"protection\"\ntext");
        let message = Policy::from_toml(&text)
            .expect_err("no sharing promise")
            .to_string();
        assert_eq!(
            message,
            "block 1 of section \"khong-ban-du-lieu\": shows the promises of group \"sharing\", but no promise is in that group"
        );
    }

    #[test]
    fn rejects_a_bad_or_repeated_section_anchor() {
        let message = error_message("anchor = \"ben-xu-ly\"", "anchor = \"Bên xử lý\"");
        assert_eq!(
            message,
            "entry 4 of [[page.sections]]: `anchor` must be lowercase letters, digits and \
             hyphens, found \"Bên xử lý\""
        );
        let message = error_message("anchor = \"ben-xu-ly\"", "anchor = \"thu-thap\"");
        assert_eq!(
            message,
            "[page]: \"thu-thap\" appears more than once in `sections`"
        );
    }

    #[test]
    fn rejects_a_repeated_promise_id() {
        let message = error_message("id = \"rectify\"", "id = \"access\"");
        assert_eq!(
            message,
            "the policy: \"access\" appears more than once in `promises`"
        );
    }

    // One test per validation rule: each mutates the embedded text and checks that the error
    // names the offending entry.

    #[test]
    fn rejects_unknown_category_name() {
        let message = error_message(
            "categories = [\"behaviour\", \"transaction\"]",
            "categories = [\"behavior\", \"transaction\"]",
        );
        assert_eq!(
            message,
            "purpose \"suggestions\": unknown data category \"behavior\" in `categories`; \
             expected one of: contact, identity, address, account, transaction, support, \
             behaviour"
        );
    }

    #[test]
    fn rejects_unknown_category_id() {
        let message = error_message("id = \"behaviour\"", "id = \"habits\"");
        assert_mentions(
            &message,
            &[
                "entry 7 of [[categories]]",
                "unknown data category \"habits\"",
            ],
        );
    }

    #[test]
    fn rejects_purpose_without_basis() {
        let message = error_message(
            "id = \"dispute_resolution\"\nbasis = \"contract\"\n",
            "id = \"dispute_resolution\"\n",
        );
        assert_eq!(message, "purpose \"dispute_resolution\": missing `basis`");
    }

    #[test]
    fn rejects_unknown_basis() {
        let message = error_message(
            "id = \"dispute_resolution\"\nbasis = \"contract\"",
            "id = \"dispute_resolution\"\nbasis = \"contrat\"",
        );
        assert_mentions(&message, &["\"contrat\"", "legal_obligation", "line"]);
    }

    #[test]
    fn rejects_consent_purpose_without_wording() {
        let message = error_message(
            &format!("consent.vi = \"{MARKETING_VI}\"\nconsent.en = \"{MARKETING_EN}\"\n"),
            "",
        );
        assert_eq!(
            message,
            "purpose \"marketing\": basis is consent, so it needs the checkbox wording in \
             `consent` (vi and en)"
        );
    }

    #[test]
    fn rejects_consent_wording_in_one_language_only() {
        let message = error_message(&format!("consent.en = \"{MARKETING_EN}\"\n"), "");
        assert_eq!(
            message,
            "purpose \"marketing\": `consent` has no en text (both \"vi\" and \"en\" are required)"
        );
        let message = error_message(
            &format!("consent.vi = \"{MARKETING_VI}\""),
            "consent.vi = \"  \"",
        );
        assert_mentions(
            &message,
            &["purpose \"marketing\"", "`consent` has no vi text"],
        );
    }

    #[test]
    fn rejects_consent_wording_on_a_purpose_without_consent_basis() {
        let message = error_message(
            "actors = [\"buyer\", \"customer_care\", \"legal\", \"owner\"]\n",
            "actors = [\"buyer\", \"customer_care\", \"legal\", \"owner\"]\n\
             consent.vi = \"Đồng ý\"\nconsent.en = \"Agree\"\n",
        );
        assert_eq!(
            message,
            "purpose \"dispute_resolution\": has `consent` wording but its basis is contract, \
             not consent"
        );
    }

    #[test]
    fn rejects_recipient_without_fields() {
        let message = error_message("fields = [\"order_reference\", \"order_total\"]\n", "");
        assert_eq!(message, "recipient \"payment_gateway\": missing `fields`");
        let message = error_message(
            "fields = [\"order_reference\", \"order_total\"]",
            "fields = []",
        );
        assert_eq!(
            message,
            "recipient \"payment_gateway\": `fields` is empty; it must name at least one field"
        );
    }

    #[test]
    fn rejects_unknown_recipient_field() {
        let message = error_message(
            "fields = [\"name\", \"phone\", \"address\", \"cod_amount\"]",
            "fields = [\"name\", \"phone\", \"address\", \"cod_amount\", \"national_id\"]",
        );
        assert_mentions(
            &message,
            &[
                "recipient \"carrier\"",
                "unknown field \"national_id\"",
                "`fields`",
            ],
        );
    }

    #[test]
    fn rejects_partner_consent_that_does_not_name_the_partner() {
        let message = error_message(
            "my name and email with {partner} for",
            "my name and email with our partners for",
        );
        assert_eq!(
            message,
            "recipient \"co_promotion_partner\": the en consent wording must contain the \
             placeholder {partner}, so the buyer sees which partner they agree to"
        );
    }

    #[test]
    fn rejects_duplicate_purpose_ids() {
        let message = error_message("id = \"legal_obligations\"", "id = \"marketing\"");
        assert_eq!(
            message,
            "the policy: \"marketing\" appears more than once in `purposes`"
        );
    }

    #[test]
    fn rejects_a_known_purpose_left_out() {
        let message = error_message("id = \"legal_obligations\"", "id = \"legal_duties\"");
        assert_mentions(
            &message,
            &[
                "entry 8 of [[purposes]]",
                "unknown purpose \"legal_duties\"",
            ],
        );
        let start = EMBEDDED_POLICY_TOML
            .find("[[purposes]]\nid = \"legal_obligations\"")
            .expect("fixture");
        let end = start + EMBEDDED_POLICY_TOML[start..].find("\n\n").expect("fixture");
        let text = format!(
            "{}{}",
            &EMBEDDED_POLICY_TOML[..start],
            &EMBEDDED_POLICY_TOML[end..]
        );
        let message = Policy::from_toml(&text)
            .expect_err("purpose left out")
            .to_string();
        assert_eq!(
            message,
            "the policy does not declare purpose \"legal_obligations\"; every purpose the code \
             knows must have an entry in [[purposes]]"
        );
    }

    #[test]
    fn rejects_an_actor_that_does_not_exist() {
        let message = error_message(
            "actors = [\"system\", \"legal\", \"owner\"]\n\n# ---",
            "actors = [\"system\", \"legal\", \"auditor\"]\n\n# ---",
        );
        assert_eq!(
            message,
            "purpose \"legal_obligations\": unknown actor \"auditor\" in `actors`; expected one \
             of: buyer, system, customer_care, marketing, fulfilment, legal, owner"
        );
    }

    #[test]
    fn rejects_purpose_without_actors_or_with_repeats() {
        let message = error_message("actors = [\"buyer\", \"system\"]", "actors = []");
        assert_eq!(
            message,
            "purpose \"suggestions\": `actors` is empty; it must name at least one actor"
        );
        let message = error_message(
            "actors = [\"buyer\", \"system\"]",
            "actors = [\"buyer\", \"system\", \"buyer\"]",
        );
        assert_eq!(
            message,
            "purpose \"suggestions\": \"buyer\" appears more than once in `actors`"
        );
    }

    #[test]
    fn rejects_a_retention_of_zero_days() {
        let message = error_message("retention = 1095", "retention = 0");
        assert_eq!(
            message,
            "category \"support\": retention must be between 1 and 4294967295 days or \
             \"until_erasure\", found 0"
        );
        let message = error_message("retention = 365\n", "retention = -1\n");
        assert_mentions(&message, &["category \"behaviour\"", "found -1"]);
        let message = error_message("retention = 365\n", "retention = \"forever\"\n");
        assert_mentions(&message, &["\"forever\"", "until_erasure"]);
    }

    #[test]
    fn rejects_missing_version_or_effective_date() {
        let message = error_message("version = \"2026-12-04\"\n", "");
        assert_eq!(message, "the policy: missing `version`");
        let message = error_message("effective_date = \"2026-12-04\"\n", "");
        assert_eq!(message, "the policy: missing `effective_date`");
        let message = error_message(
            "effective_date = \"2026-12-04\"",
            "effective_date = \"2026-02-30\"",
        );
        assert_eq!(
            message,
            "the policy: `effective_date` must be a date written YYYY-MM-DD, found \"2026-02-30\""
        );
    }

    #[test]
    fn rejects_missing_translation() {
        let message = error_message("label.en = \"Delivery carriers\"\n", "");
        assert_eq!(
            message,
            "recipient \"carrier\": `label` has no en text (both \"vi\" and \"en\" are required)"
        );
    }

    #[test]
    fn rejects_unknown_keys() {
        let message = error_message(
            "id = \"marketing\"\nbasis = \"consent\"",
            "id = \"marketing\"\nbasis = \"consent\"\npre_ticked = true",
        );
        assert_mentions(&message, &["pre_ticked", "line"]);
        let message = error_message("hotline = \"0964 242 408\"", "fax = \"none\"");
        assert_mentions(&message, &["fax"]);
    }

    #[test]
    fn rejects_text_that_is_not_toml() {
        let error = Policy::from_toml("version = ").expect_err("not TOML");
        assert!(matches!(error, PolicyError::Toml(_)), "{error}");
        assert_eq!(
            Policy::from_toml("").expect_err("empty").to_string(),
            "the policy: missing `version`"
        );
    }

    const MARKETING_VI: &str = "Tôi đồng ý nhận email giới thiệu sản phẩm mới và chương trình \
                                khuyến mãi của Hanjinbi. Tôi có thể hủy đăng ký bất cứ lúc nào.";
    const MARKETING_EN: &str = "I agree to receive emails from Hanjinbi about new products and \
                                promotions. I can unsubscribe at any time.";

    proptest! {
        #[test]
        fn an_address_is_due_exactly_when_its_last_order_is_before_the_first_day_kept(
            order_day in 0i64..20_000,
            days_later in 0i64..3_000,
            years in 1u32..=10,
        ) {
            let epoch = date(2020, 1, 1);
            let order = epoch + time::Duration::days(order_day);
            let today = order + time::Duration::days(days_later);
            let retention = Retention::AfterLastOrder {
                years: NonZeroU32::new(years).expect("non-zero"),
            };
            let due = retention.deletion_due(order).expect("in range").expect("a date");
            let kept_from = retention
                .last_orders_kept_from(today)
                .expect("in range")
                .expect("a date");
            prop_assert_eq!(due <= today, order < kept_from);
        }

        #[test]
        fn from_toml_never_panics_on_arbitrary_text(text in ".{0,512}") {
            let _ = Policy::from_toml(&text);
        }

        #[test]
        fn from_toml_never_panics_on_damaged_policy(
            start in 0..EMBEDDED_POLICY_TOML.len(),
            length in 0usize..200,
            insert in "[\\[\\]=\"a-z0-9_., \n-]{0,20}",
        ) {
            // Cut a range out of the real policy (at character boundaries) and splice in a
            // little TOML-ish noise, so most cases get past the parser into validation.
            let text = EMBEDDED_POLICY_TOML;
            let floor = |mut i: usize| { while !text.is_char_boundary(i) { i -= 1; } i };
            let start = floor(start);
            let end = floor((start + length).min(text.len()));
            let damaged = format!("{}{}{}", &text[..start], insert, &text[end..]);
            let _ = Policy::from_toml(&damaged);
        }
    }
}
