//! The privacy page, generated from the same policy file the privacy gate enforces, so that
//! what buyers read and what the code does cannot drift apart.
//!
//! The language is fixed by the address: Vietnamese at `/chinh-sach-bao-mat`, English at
//! `/privacy`. Every published version stays readable at `/chinh-sach-bao-mat/{version}` and
//! `/privacy/{version}`, because consents record the version the buyer saw.
//!
//! Every word of the page comes from the policy file of the version shown (its `[page]`
//! sections and words, and the data they show), so an earlier version reads exactly as buyers
//! then read it; the contact details and the business identity come from the shop's settings
//! and fill the placeholders of those texts.

use super::html;
use crate::context::{PageContext, RequestContext};
use crate::error::{Failure, PageError};
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use hanjinbi_domain::{Lang, ShopInfo};
use hanjinbi_privacy::policy::{
    Block, Feature, Language, PageBlock, PageWord, Policy, PLACEHOLDERS,
};

/// The Vietnamese address of the privacy page.
pub const VI_PATH: &str = "/chinh-sach-bao-mat";
/// The English address of the privacy page.
pub const EN_PATH: &str = "/privacy";

/// The current policy in Vietnamese.
pub async fn vietnamese(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    current(&app, ctx, Lang::Vi)
}

/// The current policy in English.
pub async fn english(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    current(&app, ctx, Lang::En)
}

/// One published version of the policy in Vietnamese; unknown versions are not found.
pub async fn vietnamese_version(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    version(&app, ctx, Lang::Vi, path)
}

/// One published version of the policy in English; unknown versions are not found.
pub async fn english_version(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    version(&app, ctx, Lang::En, path)
}

fn current(app: &AppState, ctx: RequestContext, lang: Lang) -> Result<Response, PageError> {
    let policy = app.services.gate.policy();
    render(app, ctx, lang, policy, policy.version(), false)
}

fn version(
    app: &AppState,
    ctx: RequestContext,
    lang: Lang,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let Ok(Path(wanted)) = path else {
        return Err(PageError(Failure::not_found()));
    };
    let current = app.services.gate.policy();
    if wanted == current.version() {
        // The enforced policy itself, not a second copy parsed from the list.
        return render(app, ctx, lang, current, current.version(), true);
    }
    match Policy::published(&wanted) {
        None => Err(PageError(Failure::not_found())),
        Some(Err(error)) => Err(PageError(Failure::internal(&error))),
        Some(Ok(policy)) => render(app, ctx, lang, &policy, current.version(), true),
    }
}

fn render(
    app: &AppState,
    mut ctx: RequestContext,
    lang: Lang,
    policy: &Policy,
    current_version: &str,
    versioned: bool,
) -> Result<Response, PageError> {
    // The address decides the language; a `?lang=` for the other language is not remembered.
    ctx.lang_chosen = ctx.lang_chosen && ctx.lang == lang;
    ctx.lang = lang;
    let mut chrome = Chrome::new(&app.shop, &ctx);
    let other = match lang {
        Lang::Vi => Lang::En,
        Lang::En => Lang::Vi,
    };
    chrome.switch_href = if versioned {
        version_href(other, policy.version())
    } else {
        base_path(other).to_owned()
    };
    let page = PrivacyPage::new(chrome, &app.shop, lang, policy, current_version, versioned);
    html(&page, &ctx)
}

fn base_path(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => VI_PATH,
        Lang::En => EN_PATH,
    }
}

fn version_href(lang: Lang, version: &str) -> String {
    format!("{}/{version}", base_path(lang))
}

/// Fills the placeholders of the policy's texts: the shop's details from its settings, and the
/// versions.
pub(super) struct Filler {
    values: Vec<(String, String)>,
}

impl Filler {
    pub(super) fn new(shop: &ShopInfo, version: &str, current: &str) -> Filler {
        let value = |name: &str| -> String {
            match name {
                "name" => shop.name.clone(),
                "legal_name" => shop.legal_name.clone(),
                "registration_number" => shop.registration_number.clone(),
                "address" => shop.address.clone(),
                "public_url" => shop.public_url.clone(),
                "email" => shop.email.clone(),
                "hotline" => shop.hotline.clone(),
                "version" => version.to_owned(),
                "current" => current.to_owned(),
                // Retention numbers and a partner's name are filled where they are known.
                other => format!("{{{other}}}"),
            }
        };
        Filler {
            values: PLACEHOLDERS
                .iter()
                .map(|name| (format!("{{{name}}}"), value(name)))
                .collect(),
        }
    }

    pub(super) fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_owned();
        }
        self.values
            .iter()
            .fold(text.to_owned(), |text, (placeholder, value)| {
                text.replace(placeholder, value)
            })
    }
}

/// Declares the words the template prints, each filled from `[page.words]`.
macro_rules! words {
    ($($field:ident = $word:ident),* $(,)?) => {
        pub struct Words {
            $(pub $field: String,)*
        }

        impl Words {
            fn new(policy: &Policy, language: Language, filler: &Filler) -> Words {
                let page = policy.page();
                Words {
                    $($field: filler.fill(page.word(PageWord::$word).get(language)),)*
                }
            }
        }
    };
}

words! {
    contents = Contents,
    version = Version,
    effective_from = EffectiveFrom,
    read_current = ReadCurrent,
    earlier_notice = EarlierNotice,
    collect_caption = CollectCaption,
    col_category = ColCategory,
    col_holds = ColHolds,
    col_used_for = ColUsedFor,
    col_kept = ColKept,
    no_purpose = NoPurpose,
    not_collected = NotCollected,
    collected_by = CollectedBy,
    optional = Optional,
    basis = Basis,
    data_used = DataUsed,
    no_personal_data = NoPersonalData,
    who_may_act = WhoMayAct,
    consent_note = ConsentNote,
    consent_wording = ConsentWording,
    roles_heading = RolesHeading,
    receives = Receives,
    ground = Ground,
    told = Told,
    partner_consent_note = PartnerConsentNote,
    partner_consent_wording = PartnerConsentWording,
    processor_receives = ProcessorReceives,
    processor_why = ProcessorWhy,
    processor_data = ProcessorData,
    law_in_force_since = LawInForceSince,
    kept_by = KeptBy,
    email = Email,
    hotline = Hotline,
    postal_address = PostalAddress,
    versions_label = VersionsLabel,
    in_force = InForce,
}

pub struct CategoryView {
    pub id: String,
    pub label: String,
    pub description: String,
    /// Whether this version says which features collect the category.
    pub states_collection: bool,
    /// Labels of the features that collect it today; empty: not collected.
    pub collected_by: Vec<String>,
    pub used_for: Vec<String>,
    pub retention: String,
    pub retention_reason: String,
}

pub struct PurposeView {
    pub id: String,
    pub label: String,
    pub description: String,
    pub basis: String,
    /// Labels of the categories it uses; empty when it uses no personal data.
    pub categories: Vec<String>,
    pub actors: Vec<String>,
    /// The exact checkbox wording, for consent purposes only.
    pub consent: Option<String>,
}

pub struct ActorView {
    pub label: String,
    pub description: String,
}

pub struct RecipientView {
    pub id: String,
    pub label: String,
    pub description: String,
    pub fields: Vec<String>,
    pub ground: String,
    pub notice: String,
    /// The consent wording with the partner's name left as a blank, for consent recipients.
    pub consent: Option<String>,
}

pub struct ProcessorView {
    pub id: String,
    pub label: String,
    pub receives: String,
    pub why: String,
    pub categories: Vec<String>,
}

pub struct LawView {
    pub name: String,
    pub role: String,
    pub since: String,
    pub since_text: String,
}

pub struct PromiseView {
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    /// Labels of the features that keep it.
    pub kept_by: Vec<String>,
}

/// One block of a section. `kind` says which: "text", "subheading", "list", "promises", or
/// the name of a part built from the policy's data ("categories", "purposes", …).
pub struct BlockView {
    pub kind: &'static str,
    pub text: String,
    pub items: Vec<String>,
    pub promises: Vec<PromiseView>,
}

pub struct SectionView {
    pub anchor: String,
    pub heading: String,
    pub blocks: Vec<BlockView>,
}

pub struct VersionLink {
    pub href: String,
    pub version: String,
    pub in_force: bool,
    pub shown: bool,
}

/// Shown on an earlier version: which version is in force now and where to read it.
pub struct EarlierNotice {
    pub text: String,
    pub current_href: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    chrome: Chrome,
    w: Words,
    title: String,
    lead: String,
    version: String,
    effective_date: String,
    effective_date_text: String,
    earlier: Option<EarlierNotice>,
    sections: Vec<SectionView>,
    categories: Vec<CategoryView>,
    purposes: Vec<PurposeView>,
    actors: Vec<ActorView>,
    recipients: Vec<RecipientView>,
    processors: Vec<ProcessorView>,
    laws: Vec<LawView>,
    email: String,
    mailto: String,
    hotline: String,
    hotline_tel: String,
    postal_address: String,
    versions: Vec<VersionLink>,
}

impl PrivacyPage {
    fn new(
        chrome: Chrome,
        shop: &ShopInfo,
        lang: Lang,
        policy: &Policy,
        current_version: &str,
        versioned: bool,
    ) -> PrivacyPage {
        let language = Language::from(lang);
        let filler = Filler::new(shop, policy.version(), current_version);
        let text =
            |localized: &hanjinbi_privacy::policy::Localized| filler.fill(localized.get(language));
        let page = policy.page();
        let w = Words::new(policy, language, &filler);
        let category_label = |category| text(policy.category(category).label());
        let feature_labels = |features: &[Feature]| -> Vec<String> {
            features
                .iter()
                .filter_map(|&feature| policy.feature(feature))
                .map(|rule| text(rule.label()))
                .collect()
        };
        let categories = policy
            .categories()
            .map(|rule| CategoryView {
                id: format!("du-lieu-{}", rule.category()),
                label: text(rule.label()),
                description: text(rule.description()),
                states_collection: rule.collected_by().is_some(),
                collected_by: rule.collected_by().map(feature_labels).unwrap_or_default(),
                used_for: policy
                    .purposes()
                    .filter(|purpose| purpose.may_read(rule.category()))
                    .map(|purpose| text(purpose.label()))
                    .collect(),
                retention: policy.describe_retention(rule.retention(), language),
                retention_reason: text(rule.retention_reason()),
            })
            .collect();
        let purposes = policy
            .purposes()
            .map(|rule| PurposeView {
                id: format!("muc-dich-{}", rule.id()),
                label: text(rule.label()),
                description: text(rule.description()),
                basis: text(page.legal_basis(rule.basis())),
                categories: rule
                    .categories()
                    .iter()
                    .map(|&c| category_label(c))
                    .collect(),
                actors: rule
                    .actors()
                    .iter()
                    .map(|&actor| text(policy.actor(actor).label()))
                    .collect(),
                consent: rule
                    .consent_wording()
                    .map(|wording| wording.get(language).to_owned()),
            })
            .collect();
        let actors = policy
            .actors()
            .map(|rule| ActorView {
                label: text(rule.label()),
                description: text(rule.description()),
            })
            .collect();
        let partner_blank = page.word(PageWord::PartnerBlank).get(language);
        let recipients = policy
            .recipients()
            .map(|rule| RecipientView {
                id: format!("ben-nhan-{}", rule.kind()),
                label: text(rule.label()),
                description: text(rule.description()),
                fields: rule.fields().iter().map(|&f| text(page.field(f))).collect(),
                ground: text(rule.ground()),
                notice: text(page.notice(rule.buyer_notice())),
                consent: rule.consent_wording(language, partner_blank),
            })
            .collect();
        let processors = policy
            .processors()
            .iter()
            .map(|rule| ProcessorView {
                id: format!("ben-xu-ly-{}", rule.kind()),
                label: text(rule.label()),
                receives: text(rule.receives()),
                why: text(rule.why()),
                categories: rule
                    .categories()
                    .iter()
                    .map(|&c| category_label(c))
                    .collect(),
            })
            .collect();
        let laws = policy
            .laws()
            .iter()
            .map(|rule| LawView {
                name: text(rule.name()),
                role: text(rule.role()),
                since: rule.in_force_since().to_owned(),
                since_text: date_text(lang, rule.in_force_since()),
            })
            .collect();
        let sections = page
            .sections()
            .iter()
            .map(|section| SectionView {
                anchor: section.anchor().to_owned(),
                heading: text(section.heading()),
                blocks: section
                    .blocks()
                    .iter()
                    .map(|block| {
                        let mut view = BlockView {
                            kind: "text",
                            text: String::new(),
                            items: Vec::new(),
                            promises: Vec::new(),
                        };
                        match block {
                            Block::Text(paragraph) => view.text = text(paragraph),
                            Block::Subheading(heading) => {
                                view.kind = "subheading";
                                view.text = text(heading);
                            }
                            Block::List(items) => {
                                view.kind = "list";
                                view.items = items.iter().map(text).collect();
                            }
                            Block::Promises(group) => {
                                view.kind = "promises";
                                view.promises = policy
                                    .promises_in(*group)
                                    .map(|promise| PromiseView {
                                        id: format!("cam-ket-{}", promise.id()),
                                        title: promise.title().map(text),
                                        text: text(promise.text()),
                                        kept_by: feature_labels(promise.kept_by()),
                                    })
                                    .collect();
                            }
                            Block::Show(what) => view.kind = shown(*what),
                        }
                        view
                    })
                    .collect(),
            })
            .collect();
        let versions = Policy::published_versions()
            .rev()
            .map(|version| VersionLink {
                href: version_href(lang, version),
                version: version.to_owned(),
                in_force: version == current_version,
                shown: versioned && version == policy.version(),
            })
            .collect();
        let earlier = (policy.version() != current_version).then(|| EarlierNotice {
            text: w.earlier_notice.clone(),
            current_href: base_path(lang).to_owned(),
        });
        PrivacyPage {
            title: text(page.title()),
            lead: text(page.lead()),
            w,
            version: policy.version().to_owned(),
            effective_date: policy.effective_date().to_owned(),
            effective_date_text: date_text(lang, policy.effective_date()),
            earlier,
            sections,
            categories,
            purposes,
            actors,
            recipients,
            processors,
            laws,
            email: shop.email.clone(),
            mailto: format!("mailto:{}", shop.email),
            hotline: shop.hotline.clone(),
            hotline_tel: format!("tel:{}", shop.hotline_tel()),
            postal_address: format!("{}, {}", shop.legal_name, shop.address),
            versions,
            chrome,
        }
    }
}

/// The template's name for a part built from the policy's data.
fn shown(what: PageBlock) -> &'static str {
    match what {
        PageBlock::Categories => "categories",
        PageBlock::Purposes => "purposes",
        PageBlock::Roles => "roles",
        PageBlock::Recipients => "recipients",
        PageBlock::RecipientsWithNotice => "recipients_with_notice",
        PageBlock::Processors => "processors",
        PageBlock::Laws => "laws",
        // A promises block carries its group and is built above; a bare one shows nothing.
        PageBlock::Promises => "promises",
        PageBlock::Contact => "contact",
        PageBlock::Versions => "versions",
    }
}

/// A `YYYY-MM-DD` date as people write it: "24/11/2026" or "24 November 2026". Anything else
/// is shown as it is.
fn date_text(lang: Lang, date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = date.splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return date.to_owned();
    };
    let (Ok(month_number), Ok(day_number)) = (month.parse::<usize>(), day.parse::<u32>()) else {
        return date.to_owned();
    };
    match (
        lang,
        month_number.checked_sub(1).and_then(|i| MONTHS.get(i)),
    ) {
        (Lang::Vi, Some(_)) => format!("{day}/{month}/{year}"),
        (Lang::En, Some(month_name)) => format!("{day_number} {month_name} {year}"),
        (_, None) => date.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_people_read_them() {
        assert_eq!(date_text(Lang::Vi, "2026-11-24"), "24/11/2026");
        assert_eq!(date_text(Lang::En, "2026-11-24"), "24 November 2026");
        assert_eq!(date_text(Lang::En, "2026-01-05"), "5 January 2026");
        assert_eq!(date_text(Lang::En, "2026-13-05"), "2026-13-05");
        assert_eq!(date_text(Lang::Vi, "soon"), "soon");
    }

    #[test]
    fn placeholders_are_filled_from_the_shops_settings() {
        let shop = ShopInfo::default();
        let filler = Filler::new(&shop, "2026-11-24", "2026-11-25");
        assert_eq!(
            filler.fill("{name} ({legal_name}), {version} → {current}, {partner}"),
            format!(
                "{} ({}), 2026-11-24 → 2026-11-25, {{partner}}",
                shop.name, shop.legal_name
            )
        );
    }
}
