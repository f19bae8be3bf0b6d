//! Why a privacy policy file was refused.
//!
//! Every message names the offending entry (e.g. `purpose "marketing"`) and the key, so the
//! person editing the policy can find the mistake without a debugger. Messages quote names with
//! `{:?}` so that a stray control character in the file cannot garble a log line.

use super::ids::Language;

/// A privacy policy file that cannot be used. Loading fails whole: a half-valid policy would
/// silently deny (or worse, allow) things nobody decided.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The text is not TOML, has a key the policy does not know, or a value of the wrong shape.
    #[error("privacy policy is not valid: {0}")]
    Toml(#[from] toml::de::Error),

    /// A required key is absent.
    #[error("{owner}: missing `{key}`")]
    MissingKey { owner: String, key: &'static str },

    /// A text is absent or blank in one language; every text the buyer may read is needed in
    /// both, or the page in that language would show a hole.
    #[error("{owner}: `{key}` has no {language} text (both \"vi\" and \"en\" are required)")]
    MissingText {
        owner: String,
        key: &'static str,
        language: Language,
    },

    /// A name that the code does not know (a category, actor, purpose, recipient kind or field).
    #[error("{owner}: unknown {what} {code:?} in `{key}`; expected one of: {expected}")]
    Unknown {
        owner: String,
        key: &'static str,
        what: &'static str,
        code: String,
        expected: String,
    },

    /// The same id declared twice, or the same name listed twice in one list.
    #[error("{owner}: {id:?} appears more than once in `{key}`")]
    Duplicate {
        owner: String,
        key: &'static str,
        id: String,
    },

    /// A name the code relies on has no entry in the file.
    #[error("the policy does not declare {what} {id:?}; every {what} the code knows must have an entry in [[{section}]]")]
    MissingEntry {
        section: &'static str,
        what: &'static str,
        id: &'static str,
    },

    /// A list that must name at least one item is empty.
    #[error("{owner}: `{key}` is empty; it must name at least one {what}")]
    EmptyList {
        owner: String,
        key: &'static str,
        what: &'static str,
    },

    /// A consent-based purpose or recipient without the wording the buyer ticks.
    #[error(
        "{owner}: basis is consent, so it needs the checkbox wording in `consent` (vi and en)"
    )]
    MissingConsentWording { owner: String },

    /// Consent wording on an entry whose basis is not consent: it would show a checkbox that
    /// decides nothing.
    #[error("{owner}: has `consent` wording but its basis is {basis}, not consent")]
    UnexpectedConsentWording { owner: String, basis: &'static str },

    /// A per-partner consent wording that does not name the partner.
    #[error("{owner}: the {language} consent wording must contain the placeholder {{partner}}, so the buyer sees which partner they agree to")]
    MissingPartnerPlaceholder { owner: String, language: Language },

    /// A retention that is not a positive number of days.
    #[error("{owner}: retention must be between 1 and {max} days or \"until_erasure\", found {days}", max = u32::MAX)]
    InvalidRetention { owner: String, days: i64 },

    /// A malformed effective date.
    #[error("the policy: `effective_date` must be a date written YYYY-MM-DD, found {value:?}")]
    InvalidDate { value: String },

    /// A retention period counted from something other than the end of the financial year
    /// or the last order.
    #[error("{owner}: `retention.from` must be \"end_of_financial_year\" or \"last_order\", found {from:?}")]
    UnknownRetentionStart { owner: String, from: String },

    /// A financial year end on a retention that does not count from the financial year.
    #[error("{owner}: `retention.financial_year_ends` belongs only to a retention from \"end_of_financial_year\"")]
    FinancialYearEndWithoutFinancialYear { owner: String },

    /// A retention from the last order on a category that a guest's buyer record does not
    /// hold: erasing the address's records would not remove it, so nothing would keep the
    /// promise.
    #[error("{owner}: a retention from \"last_order\" applies only to what a guest's buyer record holds (categories contact, identity, address)")]
    LastOrderRetentionOutsideGuestRecords { owner: String },

    /// A kind of retention the page has no words for.
    #[error("{owner}: its retention counts from the last order, so [page.words] needs `{key}` (vi and en)")]
    MissingRetentionWords { owner: String, key: &'static str },

    /// A retention period that is not a positive number of years.
    #[error("{owner}: `retention.years` must be between 1 and 1000, found {years}")]
    InvalidRetentionYears { owner: String, years: i64 },

    /// A financial year end that is not a day every year has.
    #[error("{owner}: `retention.financial_year_ends` must be a day every year has, written MM-DD (29 February is not), found {value:?}")]
    InvalidFinancialYearEnd { owner: String, value: String },

    /// A law's date that is not a date.
    #[error("{owner}: `in_force_since` must be a date written YYYY-MM-DD, found {value:?}")]
    InvalidLawDate { owner: String, value: String },

    /// A law cited before it is in force.
    #[error("{owner}: in force only from {since}, after the policy's effective date {effective_date}; cite only laws in force")]
    LawNotYetInForce {
        owner: String,
        since: String,
        effective_date: String,
    },

    /// A section the policy in force must have is empty or missing.
    #[error(
        "the policy: [[{section}]] is missing; the policy in force must have at least one entry"
    )]
    MissingSection { section: &'static str },

    /// A promise or category names a feature that has no words in [[features]].
    #[error("{owner}: names feature {feature:?}, which has no entry in [[features]]")]
    FeatureWithoutEntry {
        owner: String,
        feature: &'static str,
    },

    /// A text with `{name}` where name is not a known placeholder.
    #[error("{owner}: the {language} text of `{key}` has an unknown placeholder {{{name}}}; known: name, legal_name, registration_number, address, public_url, email, hotline, version, current, days, years, partner")]
    UnknownPlaceholder {
        owner: String,
        key: &'static str,
        language: Language,
        name: String,
    },

    /// A section anchor that is not lowercase letters, digits and hyphens.
    #[error("{owner}: `anchor` must be lowercase letters, digits and hyphens, found {anchor:?}")]
    InvalidAnchor { owner: String, anchor: String },

    /// A page block that is not exactly one of text, subheading, list, show.
    #[error("{owner}: a block must have exactly one of `text`, `subheading`, `list` or `show`")]
    AmbiguousBlock { owner: String },

    /// A `group` on a block that does not show promises.
    #[error("{owner}: `group` belongs only to a block with show = \"promises\"")]
    UnexpectedGroup { owner: String },

    /// A term for answering requests that does not read as one.
    #[error("{owner}: `{key}`: {source}")]
    InvalidTerm {
        owner: String,
        key: &'static str,
        source: hanjinbi_domain::deadline::TermParseError,
    },

    /// A reference to a law by an id no entry of [[laws]] has.
    #[error("{owner}: `{key}` names law {id:?}, which no entry of [[laws]] has as its `id`; ids: {known}")]
    UnknownLaw {
        owner: String,
        key: &'static str,
        id: String,
        known: String,
    },

    /// A law id that is not lowercase letters, digits and hyphens.
    #[error("{owner}: `id` must be lowercase letters, digits and hyphens, found {id:?}")]
    InvalidLawId { owner: String, id: String },

    /// A block showing a group of promises that has none.
    #[error("{owner}: shows the promises of group {group:?}, but no promise is in that group")]
    EmptyPromiseGroup { owner: String, group: &'static str },
}
