//! The privacy page, generated from the same policy file the privacy gate enforces, so that
//! what buyers read and what the code does cannot drift apart.
//!
//! The language is fixed by the address: Vietnamese at `/chinh-sach-bao-mat`, English at
//! `/privacy`. Every published version stays readable at `/chinh-sach-bao-mat/{version}` and
//! `/privacy/{version}`, because consents record the version the buyer saw.
//!
//! Labels, descriptions, retention periods, consent wordings and recipient fields come from the
//! policy; the contact details and the business identity come from the shop's settings; the
//! prose around them is written here, in both languages.

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
    BuyerNotice, DisclosureBasis, Field, Language, LegalBasis, Policy, RecipientKind,
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

pub struct CategoryView {
    pub id: String,
    pub label: String,
    pub description: String,
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
    pub fields: Vec<&'static str>,
    pub basis: String,
    pub notice: &'static str,
    /// The consent wording with the partner's name left as a blank, for consent recipients.
    pub consent: Option<String>,
}

pub struct RightView {
    pub name: &'static str,
    pub description: &'static str,
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
    p: &'static Prose,
    version: String,
    effective_date: String,
    effective_date_text: String,
    earlier: Option<EarlierNotice>,
    who_we_are: String,
    categories: Vec<CategoryView>,
    purposes: Vec<PurposeView>,
    actors: Vec<ActorView>,
    recipients: Vec<RecipientView>,
    never_sold: String,
    disclosure_grounds: [String; 3],
    rights: Vec<RightView>,
    contact_intro: String,
    email: String,
    mailto: String,
    hotline: String,
    hotline_tel: String,
    postal_address: String,
    protections: &'static [&'static str],
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
        let p = Prose::of(lang);
        let category_label = |category| policy.category(category).label().get(language).to_owned();
        let categories = policy
            .categories()
            .map(|rule| CategoryView {
                id: format!("du-lieu-{}", rule.category()),
                label: rule.label().get(language).to_owned(),
                description: rule.description().get(language).to_owned(),
                used_for: policy
                    .purposes()
                    .filter(|purpose| purpose.may_read(rule.category()))
                    .map(|purpose| purpose.label().get(language).to_owned())
                    .collect(),
                retention: rule.retention().describe(language),
                retention_reason: rule.retention_reason().get(language).to_owned(),
            })
            .collect();
        let purposes = policy
            .purposes()
            .map(|rule| PurposeView {
                id: format!("muc-dich-{}", rule.id()),
                label: rule.label().get(language).to_owned(),
                description: rule.description().get(language).to_owned(),
                basis: legal_basis(lang, rule.basis(), &shop.name),
                categories: rule
                    .categories()
                    .iter()
                    .map(|&c| category_label(c))
                    .collect(),
                actors: rule
                    .actors()
                    .iter()
                    .map(|&actor| policy.actor(actor).label().get(language).to_owned())
                    .collect(),
                consent: rule
                    .consent_wording()
                    .map(|wording| wording.get(language).to_owned()),
            })
            .collect();
        let actors = policy
            .actors()
            .map(|rule| ActorView {
                label: rule.label().get(language).to_owned(),
                description: rule.description().get(language).to_owned(),
            })
            .collect();
        let recipients = policy
            .recipients()
            .map(|rule| RecipientView {
                id: format!("ben-nhan-{}", rule.kind()),
                label: rule.label().get(language).to_owned(),
                description: rule.description().get(language).to_owned(),
                fields: rule.fields().iter().map(|&f| field_name(lang, f)).collect(),
                basis: disclosure_basis(lang, rule.basis(), rule.kind(), &shop.name),
                notice: buyer_notice(lang, rule.buyer_notice()),
                consent: rule.consent_wording(language, p.partner_blank),
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
            text: match lang {
                Lang::Vi => format!(
                    "Đây là phiên bản {} của chính sách, được giữ lại để quý khách đối chiếu. \
                     Phiên bản đang áp dụng là {current_version}.",
                    policy.version()
                ),
                Lang::En => format!(
                    "This is version {} of the policy, kept so that you can look back at it. \
                     The version in force is {current_version}.",
                    policy.version()
                ),
            },
            current_href: base_path(lang).to_owned(),
        });
        let ShopInfo {
            name,
            legal_name,
            address,
            registration_number,
            public_url,
            ..
        } = shop;
        let who_we_are = match lang {
            Lang::Vi => format!(
                "{name} là cửa hàng trực tuyến tại {public_url}, do {legal_name} vận hành (mã số \
                 doanh nghiệp {registration_number}, địa chỉ: {address}). {legal_name} chịu trách \
                 nhiệm về dữ liệu cá nhân quý khách cung cấp khi mua sắm tại {name} và xử lý dữ \
                 liệu đó đúng như trang này mô tả."
            ),
            Lang::En => format!(
                "{name} is the online shop at {public_url}, run by {legal_name} (enterprise code \
                 {registration_number}, address: {address}). {legal_name} is responsible for the \
                 personal data you give us when you shop at {name}, and handles it exactly as \
                 this page describes."
            ),
        };
        let never_sold = match lang {
            Lang::Vi => format!(
                "{name} không bán, không cho thuê và không trao đổi dữ liệu cá nhân của quý khách \
                 với bất kỳ ai, vì bất kỳ lý do gì. Ngoài các bên nhận ở mục trên để giao hàng và \
                 thanh toán, chúng tôi chỉ cung cấp dữ liệu của quý khách khi:"
            ),
            Lang::En => format!(
                "{name} never sells, rents out or trades your personal data, to anyone, for any \
                 reason. Apart from the recipients above who deliver your orders and take \
                 payment, we disclose your data only:"
            ),
        };
        let disclosure_grounds = match lang {
            Lang::Vi => [
                "cơ quan nhà nước có thẩm quyền yêu cầu theo quy định pháp luật: chúng tôi ghi lại \
                 yêu cầu trước, rồi chỉ cung cấp đúng những thông tin được yêu cầu;"
                    .to_owned(),
                format!(
                    "việc cung cấp phù hợp với pháp luật và cần thiết để bảo vệ quyền, tài sản của \
                     {name}, khách hàng hoặc bên thứ ba: mỗi lần đều cần lý do do nhân viên có \
                     thẩm quyền ghi lại;"
                ),
                "quý khách đồng ý, sau khi được cho biết ai nhận và nhận những thông tin gì."
                    .to_owned(),
            ],
            Lang::En => [
                "when a competent authority requests it under the law: we record the request \
                 first, then provide exactly the information it asks for;"
                    .to_owned(),
                format!(
                    "when it is lawful and necessary to protect the rights or property of {name}, \
                     its customers or others: each time, an authorised member of staff records \
                     why;"
                ),
                "with your consent, after you have been told who receives what.".to_owned(),
            ],
        };
        let contact_intro = match lang {
            Lang::Vi => format!(
                "Theo Điều 69 Nghị định 52/2013/NĐ-CP, quý khách có quyền tự kiểm tra, cập nhật, \
                 điều chỉnh hoặc hủy bỏ thông tin cá nhân của mình. Để xem hoặc thay đổi dữ liệu, \
                 hay thực hiện bất kỳ quyền nào ở trên, hãy liên hệ {legal_name}:"
            ),
            Lang::En => format!(
                "Article 69 of Decree 52/2013/NĐ-CP gives you the right to check, update, correct \
                 or cancel your personal information yourself. To see or change your data, or to \
                 use any of the rights above, contact {legal_name}:"
            ),
        };
        PrivacyPage {
            p,
            version: policy.version().to_owned(),
            effective_date: policy.effective_date().to_owned(),
            effective_date_text: date_text(lang, policy.effective_date()),
            earlier,
            who_we_are,
            categories,
            purposes,
            actors,
            recipients,
            never_sold,
            disclosure_grounds,
            rights: rights(lang),
            contact_intro,
            email: shop.email.clone(),
            mailto: format!("mailto:{}", shop.email),
            hotline: shop.hotline.clone(),
            hotline_tel: format!("tel:{}", shop.hotline_tel()),
            postal_address: format!("{legal_name}, {address}"),
            protections: p.protections,
            versions,
            chrome,
        }
    }
}

/// A legal basis of a purpose, in words.
fn legal_basis(lang: Lang, basis: LegalBasis, shop: &str) -> String {
    match (lang, basis) {
        (Lang::Vi, LegalBasis::Contract) => {
            "Thực hiện hợp đồng với quý khách: cần để cung cấp hàng hóa và dịch vụ quý khách \
             yêu cầu"
                .to_owned()
        }
        (Lang::En, LegalBasis::Contract) => {
            "Performing our contract with you: needed to provide the goods and service you \
             asked for"
                .to_owned()
        }
        (Lang::Vi, LegalBasis::Consent) => {
            "Sự đồng ý của quý khách, dành riêng cho mục đích này".to_owned()
        }
        (Lang::En, LegalBasis::Consent) => "Your consent, given for this purpose alone".to_owned(),
        (Lang::Vi, LegalBasis::LegalObligation) => {
            "Nghĩa vụ mà pháp luật đặt ra cho cửa hàng".to_owned()
        }
        (Lang::En, LegalBasis::LegalObligation) => "A duty the law places on the shop".to_owned(),
        (Lang::Vi, LegalBasis::LegitimateProtection) => {
            format!("Bảo vệ quyền và lợi ích hợp pháp của {shop}, khách hàng và bên thứ ba")
        }
        (Lang::En, LegalBasis::LegitimateProtection) => format!(
            "Protecting the lawful rights and interests of {shop}, its customers and others"
        ),
    }
}

/// The ground on which a recipient may receive data, in words.
fn disclosure_basis(lang: Lang, basis: DisclosureBasis, kind: RecipientKind, shop: &str) -> String {
    match (lang, basis) {
        (Lang::Vi, DisclosureBasis::Contract) => match kind {
            RecipientKind::Carrier => "Cần để giao đơn hàng quý khách đã đặt".to_owned(),
            _ => "Cần để thực hiện đơn hàng quý khách đã đặt".to_owned(),
        },
        (Lang::En, DisclosureBasis::Contract) => match kind {
            RecipientKind::Carrier => "Needed to deliver the order you placed".to_owned(),
            _ => "Needed to carry out the order you placed".to_owned(),
        },
        (Lang::Vi, DisclosureBasis::Consent) => {
            "Sự đồng ý của quý khách với chính đối tác đó".to_owned()
        }
        (Lang::En, DisclosureBasis::Consent) => {
            "Your consent to that particular partner".to_owned()
        }
        (Lang::Vi, DisclosureBasis::LegalRequest) => {
            "Yêu cầu theo quy định pháp luật của cơ quan nhà nước có thẩm quyền, được ghi lại \
             (cơ quan, căn cứ pháp lý, số văn bản, phạm vi) trước khi cung cấp"
                .to_owned()
        }
        (Lang::En, DisclosureBasis::LegalRequest) => {
            "A request under the law from a competent authority, recorded (authority, legal \
             basis, document reference, scope) before anything is provided"
                .to_owned()
        }
        (Lang::Vi, DisclosureBasis::Protection) => format!(
            "Bảo vệ quyền, tài sản của {shop}, người dùng hoặc bên thứ ba khi phù hợp với pháp \
             luật, với lý do do nhân viên có thẩm quyền ghi lại"
        ),
        (Lang::En, DisclosureBasis::Protection) => format!(
            "Protecting the rights or property of {shop}, its users or others where the law \
             allows, with a reason recorded by an authorised member of staff"
        ),
    }
}

/// Whether the buyer is told of a disclosure, in words.
fn buyer_notice(lang: Lang, notice: BuyerNotice) -> &'static str {
    match (lang, notice) {
        (Lang::Vi, BuyerNotice::Always) => "Có, mỗi lần chia sẻ",
        (Lang::En, BuyerNotice::Always) => "Yes, every time",
        (Lang::Vi, BuyerNotice::UnlessRequestForbids) => {
            "Có, trừ khi chính yêu cầu của cơ quan nhà nước không cho phép"
        }
        (Lang::En, BuyerNotice::UnlessRequestForbids) => {
            "Yes, unless the authority's request itself forbids it"
        }
    }
}

/// A field a recipient may receive, in words.
fn field_name(lang: Lang, field: Field) -> &'static str {
    let (vi, en) = match field {
        Field::Email => ("Email", "Email address"),
        Field::Phone => ("Số điện thoại", "Phone number"),
        Field::Name => ("Họ tên", "Full name"),
        Field::Address => ("Địa chỉ giao hàng", "Delivery address"),
        Field::CodAmount => ("Số tiền thu hộ (COD)", "Cash-on-delivery amount"),
        Field::OrderReference => ("Mã đơn hàng", "Order reference"),
        Field::OrderTotal => ("Số tiền của đơn hàng", "Order total"),
        Field::OrderHistory => ("Lịch sử mua hàng", "Purchase history"),
        Field::AccountDetails => (
            "Thông tin tài khoản (không bao giờ gồm mật khẩu)",
            "Account details (never the password)",
        ),
        Field::SupportMessages => (
            "Tin nhắn và yêu cầu hỗ trợ",
            "Messages and support requests",
        ),
        Field::BrowsingHistory => ("Sản phẩm đã xem và tìm kiếm", "Browsing and searches"),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The buyer's rights under Decree 13/2023/NĐ-CP and Law 91/2025/QH15.
fn rights(lang: Lang) -> Vec<RightView> {
    let list: &[(&str, &str, &str, &str)] = &[
        (
            "Quyền được biết",
            "Biết chúng tôi giữ dữ liệu gì, vì sao, trong bao lâu và chia sẻ với ai; trang này \
             trả lời những câu hỏi đó.",
            "Being informed",
            "To know what we keep, why, for how long and who we share it with; this page \
             answers exactly that.",
        ),
        (
            "Quyền đồng ý và rút lại sự đồng ý",
            "Tự quyết định với từng mục đích tùy chọn, và đổi ý bất cứ lúc nào.",
            "Consent and its withdrawal",
            "To decide for yourself on each optional purpose, and to change your mind at any \
             time.",
        ),
        (
            "Quyền truy cập",
            "Xem và nhận bản sao dữ liệu chúng tôi giữ về quý khách.",
            "Access",
            "To see, and get a copy of, the data we hold about you.",
        ),
        (
            "Quyền chỉnh sửa",
            "Yêu cầu sửa thông tin sai hoặc cập nhật thông tin đã thay đổi.",
            "Rectification",
            "To have wrong or outdated details corrected.",
        ),
        (
            "Quyền xóa",
            "Yêu cầu xóa dữ liệu. Những gì pháp luật buộc phải giữ (như chứng từ giao dịch) vẫn \
             được giữ, nhưng không còn gắn với danh tính của quý khách.",
            "Erasure",
            "To have your data erased. What the law makes us keep (such as transaction records) \
             stays, but no longer identifies you.",
        ),
        (
            "Quyền hạn chế xử lý",
            "Yêu cầu tạm ngừng sử dụng dữ liệu của quý khách trong khi một vấn đề đang được xem \
             xét.",
            "Restriction",
            "To have the use of your data paused while an issue is looked into.",
        ),
        (
            "Quyền phản đối",
            "Phản đối việc dùng dữ liệu của quý khách vào một mục đích, chẳng hạn nhận tin \
             khuyến mãi.",
            "Objection",
            "To object to a use of your data, such as promotional email.",
        ),
        (
            "Quyền mang dữ liệu đi",
            "Nhận dữ liệu của quý khách ở dạng máy đọc được để chuyển sang nơi khác.",
            "Portability",
            "To receive your data in a machine-readable form and take it elsewhere.",
        ),
    ];
    list.iter()
        .map(|&(vi_name, vi, en_name, en)| match lang {
            Lang::Vi => RightView {
                name: vi_name,
                description: vi,
            },
            Lang::En => RightView {
                name: en_name,
                description: en,
            },
        })
        .collect()
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

/// The fixed wording of the page in one language.
pub struct Prose {
    pub title: &'static str,
    pub contents: &'static str,
    pub lead: &'static str,
    pub version: &'static str,
    pub effective_from: &'static str,
    pub read_current: &'static str,
    pub who_heading: &'static str,
    pub laws_intro: &'static str,
    pub laws: [&'static str; 3],
    pub generated_note: &'static str,
    pub collect_heading: &'static str,
    pub collect_intro: &'static str,
    pub collect_caption: &'static str,
    pub col_category: &'static str,
    pub col_holds: &'static str,
    pub col_used_for: &'static str,
    pub col_kept: &'static str,
    pub no_purpose: &'static str,
    pub purposes_heading: &'static str,
    pub purposes_intro: &'static str,
    pub optional: &'static str,
    pub basis: &'static str,
    pub data_used: &'static str,
    pub no_personal_data: &'static str,
    pub who_may_act: &'static str,
    pub consent_note: &'static str,
    pub consent_wording: &'static str,
    pub roles_heading: &'static str,
    pub recipients_heading: &'static str,
    pub recipients_intro: &'static str,
    pub receives: &'static str,
    pub ground: &'static str,
    pub told: &'static str,
    pub partner_consent_note: &'static str,
    pub partner_consent_wording: &'static str,
    pub partner_blank: &'static str,
    pub never_sold_heading: &'static str,
    pub rights_heading: &'static str,
    pub rights_intro: &'static str,
    pub contact_heading: &'static str,
    pub email: &'static str,
    pub hotline: &'static str,
    pub postal_address: &'static str,
    pub identity_check: &'static str,
    pub complaint: &'static str,
    pub protection_heading: &'static str,
    pub protection_intro: &'static str,
    pub protections: &'static [&'static str],
    pub versions_heading: &'static str,
    pub versions_intro: &'static str,
    pub versions_label: &'static str,
    pub in_force: &'static str,
}

impl Prose {
    pub fn of(lang: Lang) -> &'static Prose {
        match lang {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

static VI: Prose = Prose {
    title: "Chính sách bảo mật",
    contents: "Mục lục",
    lead: "Trang này cho quý khách biết chúng tôi thu thập dữ liệu cá nhân nào, dùng vào việc \
           gì, chia sẻ với ai, giữ trong bao lâu, và quý khách có những quyền gì.",
    version: "Phiên bản",
    effective_from: "Có hiệu lực từ",
    read_current: "Đọc chính sách đang áp dụng",
    who_heading: "1. Chúng tôi là ai",
    laws_intro: "Chúng tôi xử lý dữ liệu cá nhân theo:",
    laws: [
        "Nghị định 52/2013/NĐ-CP về thương mại điện tử;",
        "Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân;",
        "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15, có hiệu lực từ ngày 01/01/2026.",
    ],
    generated_note: "Trang này được tạo từ chính tệp chính sách mà hệ thống của cửa hàng dùng \
                     để quyết định ai được đọc dữ liệu nào và vì mục đích gì. Vì vậy điều quý \
                     khách đọc ở đây cũng là điều phần mềm thực hiện.",
    collect_heading: "2. Chúng tôi thu thập gì và vì sao",
    collect_intro: "Để nhận thanh toán và giao hàng đúng, một đơn hàng chỉ cần email, họ tên, số \
                    điện thoại và địa chỉ giao hàng. Mọi thông tin khác đều là tùy chọn: nếu quý \
                    khách không cung cấp, chỉ tiện ích cần đến thông tin đó không dùng được, còn \
                    việc mua hàng vẫn diễn ra bình thường. Bảng dưới đây liệt kê từng loại dữ \
                    liệu chúng tôi giữ, dùng vào việc gì và giữ trong bao lâu.",
    collect_caption: "Các loại dữ liệu cá nhân chúng tôi giữ",
    col_category: "Loại dữ liệu",
    col_holds: "Gồm những gì",
    col_used_for: "Dùng cho",
    col_kept: "Thời gian lưu giữ",
    no_purpose: "Không mục đích nào",
    purposes_heading: "3. Chúng tôi dùng dữ liệu vào việc gì",
    purposes_intro: "Mỗi lần hệ thống đọc dữ liệu cá nhân, nó phải nêu một trong các mục đích \
                     dưới đây. Mỗi mục đích chỉ được dùng đúng những loại dữ liệu ghi kèm, và \
                     chỉ những người hoặc quy trình ghi kèm mới được thực hiện; mọi trường hợp \
                     khác đều bị từ chối.",
    optional: "tùy chọn",
    basis: "Cơ sở pháp lý",
    data_used: "Dữ liệu được dùng",
    no_personal_data: "Không dùng dữ liệu cá nhân nào",
    who_may_act: "Ai được thực hiện",
    consent_note: "Mục đích này là tùy chọn và chỉ áp dụng khi quý khách đồng ý. Ô đồng ý luôn \
                   để trống, chúng tôi không bao giờ đánh dấu sẵn. Quý khách có thể rút lại sự \
                   đồng ý bất cứ lúc nào, dễ dàng như khi đồng ý; từ lúc đó chúng tôi ngừng \
                   ngay, và các đơn hàng của quý khách không bị ảnh hưởng.",
    consent_wording: "Nội dung ô đồng ý:",
    roles_heading: "Những người và quy trình được nêu ở trên",
    recipients_heading: "4. Ai nhận được dữ liệu của quý khách",
    recipients_intro: "Dữ liệu cá nhân chỉ rời khỏi cửa hàng qua một cổng chia sẻ duy nhất. Mỗi \
                       bên nhận dưới đây chỉ nhận đúng những thông tin ghi kèm, trên đúng căn cứ \
                       ghi kèm, và mỗi lần chia sẻ đều được ghi lại.",
    receives: "Thông tin được nhận",
    ground: "Căn cứ",
    told: "Quý khách có được thông báo không",
    partner_consent_note: "Việc chia sẻ này là tùy chọn: mỗi đối tác cần một sự đồng ý riêng, \
                           ô đồng ý luôn để trống và quý khách có thể rút lại bất cứ lúc nào.",
    partner_consent_wording: "Nội dung ô đồng ý, có ghi rõ tên đối tác:",
    partner_blank: "[tên đối tác]",
    never_sold_heading: "5. Chúng tôi không bán dữ liệu của quý khách",
    rights_heading: "6. Quyền của quý khách và cách liên hệ",
    rights_intro: "Theo Nghị định 13/2023/NĐ-CP và Luật Bảo vệ dữ liệu cá nhân, quý khách có \
                   các quyền sau đối với dữ liệu của mình:",
    contact_heading: "Xem hoặc thay đổi dữ liệu của quý khách",
    email: "Email",
    hotline: "Hotline",
    postal_address: "Địa chỉ",
    identity_check: "Để không ai khác xem hay thay đổi được dữ liệu của quý khách, chúng tôi xác \
                     minh người gửi yêu cầu trước khi thực hiện. Mỗi yêu cầu và cách chúng tôi \
                     xử lý đều được ghi lại.",
    complaint: "Nếu không đồng ý với cách chúng tôi xử lý, quý khách có quyền khiếu nại, tố cáo \
                hoặc khởi kiện theo quy định của pháp luật.",
    protection_heading: "7. Cách chúng tôi bảo vệ dữ liệu",
    protection_intro: "Những điều trên không chỉ là lời hứa: phần mềm của cửa hàng được xây dựng \
                       để không thể làm khác.",
    protections: &[
        "Dữ liệu cá nhân được niêm phong (mã hóa có xác thực) khi lưu trữ, bằng một khóa riêng \
         cho từng người mua. Cơ sở dữ liệu, bản sao lưu và nhật ký hệ thống không chứa email, số \
         điện thoại, họ tên hay địa chỉ ở dạng đọc được.",
        "Chỉ có một cổng để mở dữ liệu đã niêm phong. Cổng này hỏi ai đang đọc và vì mục đích \
         gì, đối chiếu với chính sách ở trên và từ chối mọi trường hợp không được phép; với mục \
         đích cần sự đồng ý, nó kiểm tra sự đồng ý của quý khách ngay tại thời điểm đó.",
        "Mỗi lần mở dữ liệu, mỗi lần bị từ chối và mỗi lần chia sẻ đều được ghi vào nhật ký \
         kiểm toán. Các mục nhật ký được nối với nhau bằng mã băm, nên việc sửa, xóa hay đảo thứ \
         tự bất kỳ mục nào đều bị phát hiện.",
        "Khi quý khách yêu cầu xóa, chúng tôi hủy khóa riêng của quý khách: mọi bản sao dữ liệu \
         đã niêm phong, kể cả trong bản sao lưu, lập tức không còn đọc được.",
    ],
    versions_heading: "Các phiên bản của chính sách",
    versions_intro: "Chúng tôi giữ mọi phiên bản đã công bố của chính sách này, để quý khách \
                     luôn đọc lại được phiên bản mình đã đồng ý.",
    versions_label: "Phiên bản",
    in_force: "đang áp dụng",
};

static EN: Prose = Prose {
    title: "Privacy policy",
    contents: "Contents",
    lead: "This page tells you which personal data we collect, what we use it for, who we \
           share it with, how long we keep it, and what your rights are.",
    version: "Version",
    effective_from: "In effect from",
    read_current: "Read the policy in force",
    who_heading: "1. Who we are",
    laws_intro: "We handle personal data under:",
    laws: [
        "Decree 52/2013/NĐ-CP on e-commerce;",
        "Decree 13/2023/NĐ-CP on personal data protection;",
        "Law No. 91/2025/QH15 on Personal Data Protection, in force since 1 January 2026.",
    ],
    generated_note: "This page is generated from the very policy file our system uses to decide \
                     who may read which data and for what purpose, so what you read here is \
                     what the software does.",
    collect_heading: "2. What we collect and why",
    collect_intro: "To take payment and deliver correctly, an order needs only your email, name, \
                    phone number and delivery address. Everything else is optional: if you leave \
                    it out, only the feature that needs it is unavailable, and you can still \
                    buy. The table below lists each kind of data we keep, what it is used for \
                    and how long we keep it.",
    collect_caption: "The kinds of personal data we keep",
    col_category: "Kind of data",
    col_holds: "What it holds",
    col_used_for: "Used for",
    col_kept: "How long we keep it",
    no_purpose: "No purpose",
    purposes_heading: "3. What we use your data for",
    purposes_intro: "Every time our system reads personal data, it must name one of the \
                     purposes below. A purpose may use only the kinds of data listed with it, \
                     and only the people or processes listed may act for it; everything else is \
                     refused.",
    optional: "optional",
    basis: "Legal basis",
    data_used: "Data it uses",
    no_personal_data: "No personal data",
    who_may_act: "Who may act for it",
    consent_note: "This purpose is optional and applies only if you agree. Its box is always \
                   left unticked; we never tick it for you. You can withdraw your consent at any \
                   time, as easily as you gave it; we stop at once, and your orders are not \
                   affected.",
    consent_wording: "The wording beside the box:",
    roles_heading: "The people and processes named above",
    recipients_heading: "4. Who receives your data",
    recipients_intro: "Personal data leaves the shop only through a single sharing gate. Each \
                       recipient below receives exactly the information listed with it, only on \
                       the ground listed, and every disclosure is recorded.",
    receives: "What they receive",
    ground: "On what ground",
    told: "Are you told?",
    partner_consent_note: "This sharing is optional: each partner needs a consent of its own, \
                           the box is always unticked and you can withdraw at any time.",
    partner_consent_wording: "The wording beside the box, naming the partner:",
    partner_blank: "[partner name]",
    never_sold_heading: "5. We never sell your data",
    rights_heading: "6. Your rights and how to reach us",
    rights_intro: "Under Decree 13/2023/NĐ-CP and the Law on Personal Data Protection you have \
                   these rights over your data:",
    contact_heading: "Seeing or changing your data",
    email: "Email",
    hotline: "Hotline",
    postal_address: "Address",
    identity_check: "So that nobody else can see or change your data, we check who is asking \
                     before we act on a request. Every request, and what we did about it, is \
                     recorded.",
    complaint: "If you disagree with how we handled it, you may complain, report it to the \
                authorities or go to court as the law provides.",
    protection_heading: "7. How we protect your data",
    protection_intro: "These are not just promises: the shop's software is built so that it \
                       cannot do otherwise.",
    protections: &[
        "Personal data is sealed (authenticated encryption) at rest under a key of its own for \
         each buyer. The database, its backups and the system logs hold no readable email, \
         phone number, name or address.",
        "There is one gate to open sealed data. It asks who is reading and for what purpose, \
         checks the policy above and refuses anything it does not allow; for purposes that need \
         consent, it checks your consent at that very moment.",
        "Every opening, every refusal and every disclosure is written to an audit log. Its \
         entries are chained by hashes, so editing, deleting or reordering any entry is \
         detected.",
        "When you ask for erasure, we destroy your personal key: every sealed copy of your data, \
         backups included, becomes unreadable at once.",
    ],
    versions_heading: "Versions of this policy",
    versions_intro: "We keep every published version of this policy, so that you can always \
                     read the one you agreed to.",
    versions_label: "Version",
    in_force: "in force",
};

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
    fn every_field_has_words_in_both_languages() {
        for &field in Field::ALL {
            assert!(!field_name(Lang::Vi, field).is_empty());
            assert!(!field_name(Lang::En, field).is_empty());
        }
    }
}
