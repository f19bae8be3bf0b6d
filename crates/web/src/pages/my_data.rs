//! "What we hold about you" in the storefront (`/tai-khoan/du-lieu`): every category of
//! personal data the shop holds about the signed-in buyer (the account and every guest order
//! placed with its address), what it is used for, how long it is kept and why; who received
//! it outside the shop; every entry of the audit log about it (staff by role, never by name);
//! and the buyer's requests about their data with their due dates. Two links download
//! everything (`/tai-khoan/du-lieu/tai-ve?format=json|csv`), the same file the API's
//! `GET /api/v1/me/export` gives.
//!
//! The page shows no personal value and opens nothing; a download opens the sealed values
//! through the gate for answering the buyer's request, audited by the export service, so it
//! shows in the page's list of openings afterwards.

use super::account::{no_store, to_sign_in_then, ErrorLink};
use super::html;
use super::orders::TimeView;
use super::privacy::Filler;
use crate::api::export::{export_download, ExportFormat};
use crate::context::{PageContext, RequestContext};
use crate::error::{set_retry_after, Failure, PageError};
use crate::session::{signed_in_from, SignedIn};
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use hanjinbi_domain::Lang;
use hanjinbi_privacy::policy::{
    Actor, DisclosureBasis, Field, Language, LegalBasis, Policy, PurposeId, RecipientKind,
};
use hanjinbi_services::accounts::Session;
use hanjinbi_services::export::{Access, AccessView, Disclosure, ExportError, HeldCategory};
use hanjinbi_services::rights::{self, RightsKind, RightsRequest, RightsStatus};
use hanjinbi_store::StoreError;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The page, and where the sign-in comes back to.
const DATA_PATH: &str = "/tai-khoan/du-lieu";

pub struct DataTexts {
    pub title: &'static str,
    pub intro: &'static str,
    /// `{time}`: when the view was made; `{version}`: the policy version quoted.
    pub generated: &'static str,
    pub error_summary: &'static str,
    pub vietnam_time: &'static str,
    pub download_heading: &'static str,
    pub download_intro: &'static str,
    pub download_json: &'static str,
    pub download_csv: &'static str,
    pub categories_heading: &'static str,
    pub no_categories: &'static str,
    pub held_in: &'static str,
    pub held_account: &'static str,
    pub held_checkout: &'static str,
    pub held_orders: &'static str,
    pub held_consents: &'static str,
    pub kept_for: &'static str,
    pub kept_why: &'static str,
    pub used_for: &'static str,
    pub basis: &'static str,
    pub only_with_consent: &'static str,
    pub who_may: &'static str,
    pub disclosures_heading: &'static str,
    pub no_disclosures: &'static str,
    pub recipient: &'static str,
    pub fields: &'static str,
    pub when: &'static str,
    pub disclosure_contract: &'static str,
    pub disclosure_consent: &'static str,
    pub disclosure_legal_request: &'static str,
    pub disclosure_protection: &'static str,
    pub accesses_heading: &'static str,
    pub accesses_intro: &'static str,
    pub no_accesses: &'static str,
    pub who: &'static str,
    pub purpose: &'static str,
    pub action: &'static str,
    pub record: &'static str,
    pub by_account: &'static str,
    pub by_order_link: &'static str,
    pub by_checkout: &'static str,
    /// `{job}`: the job's name.
    pub by_system: &'static str,
    pub action_seal: &'static str,
    pub action_open: &'static str,
    pub action_deny: &'static str,
    pub action_consent: &'static str,
    pub action_share: &'static str,
    pub action_erase: &'static str,
    pub action_policy_change: &'static str,
    pub action_staff: &'static str,
    pub action_key_rotation: &'static str,
    pub field_email: &'static str,
    pub field_name: &'static str,
    pub field_phone: &'static str,
    pub field_ship_to: &'static str,
    pub field_note: &'static str,
    pub field_message: &'static str,
    pub field_account_email: &'static str,
    pub field_requester_email: &'static str,
    pub record_account: &'static str,
    /// `{orders}`: the numbers of the orders placed with the record.
    pub record_checkout: &'static str,
    pub record_checkout_none: &'static str,
    pub requests_heading: &'static str,
    pub no_requests: &'static str,
    pub request_kind: &'static str,
    pub request_received: &'static str,
    pub request_first_answer: &'static str,
    pub request_due: &'static str,
    pub request_status: &'static str,
    pub kind_access: &'static str,
    pub kind_rectification: &'static str,
    pub kind_portability: &'static str,
    pub kind_erasure: &'static str,
    pub kind_withdrawal: &'static str,
    pub kind_restriction: &'static str,
    pub kind_objection: &'static str,
    pub status_open: &'static str,
    pub status_done: &'static str,
    pub status_refused: &'static str,
    pub consents_link: &'static str,
    pub account_link: &'static str,
}

static VI: DataTexts = DataTexts {
    title: "Dữ liệu của tôi",
    intro: "Những gì cửa hàng đang giữ về quý khách: tài khoản và mọi đơn hàng đã đặt bằng địa chỉ email này, kể cả các đơn đặt khi chưa có tài khoản. Trang này không hiện giá trị nào của dữ liệu; tệp tải về có đầy đủ.",
    generated: "Lập lúc {time} (giờ Việt Nam), theo chính sách bảo mật phiên bản {version}.",
    error_summary: "Vui lòng sửa các mục sau:",
    vietnam_time: "giờ Việt Nam",
    download_heading: "Tải về toàn bộ dữ liệu",
    download_intro: "Một tệp gồm mọi thông tin quý khách đã nhập hoặc cửa hàng đã ghi về quý khách, để lưu giữ hoặc chuyển sang dịch vụ khác. Khi tải về, cửa hàng mở dữ liệu đã niêm phong để trả lời yêu cầu của quý khách, và lần mở đó được ghi vào nhật ký bên dưới.",
    download_json: "Tải tệp JSON",
    download_csv: "Tải tệp ZIP gồm các bảng CSV (mở bằng Excel)",
    categories_heading: "Loại dữ liệu cửa hàng đang giữ",
    no_categories: "Cửa hàng không giữ dữ liệu cá nhân nào của quý khách.",
    held_in: "Lưu ở",
    held_account: "tài khoản",
    held_checkout: "thông tin người mua khi đặt hàng",
    held_orders: "đơn hàng",
    held_consents: "các lựa chọn đồng ý",
    kept_for: "Thời gian lưu",
    kept_why: "Vì sao",
    used_for: "Được dùng cho",
    basis: "cơ sở pháp lý",
    only_with_consent: "chỉ khi quý khách đồng ý",
    who_may: "ai được dùng",
    disclosures_heading: "Ai đã nhận dữ liệu của quý khách",
    no_disclosures: "Không ai. Cửa hàng chưa chuyển dữ liệu của quý khách cho bên nào ngoài cửa hàng.",
    recipient: "Bên nhận",
    fields: "Thông tin",
    when: "Thời điểm",
    disclosure_contract: "để thực hiện đơn hàng",
    disclosure_consent: "theo sự đồng ý của quý khách",
    disclosure_legal_request: "theo yêu cầu hợp pháp của cơ quan nhà nước",
    disclosure_protection: "để bảo vệ quyền lợi hợp pháp",
    accesses_heading: "Ai đã mở hoặc ghi dữ liệu của quý khách",
    accesses_intro: "Mọi lần dữ liệu của quý khách được niêm phong, mở, từ chối mở hay thay đổi đều được ghi vào nhật ký kiểm toán, mới nhất ở trên. Nhân viên chỉ được nêu theo vai trò, không nêu tên.",
    no_accesses: "Chưa có lần nào.",
    who: "Ai",
    purpose: "Mục đích",
    action: "Việc",
    record: "Hồ sơ",
    by_account: "Quý khách (đã đăng nhập)",
    by_order_link: "Quý khách (bằng liên kết đơn hàng hoặc mã tra cứu)",
    by_checkout: "Trang đặt hàng",
    by_system: "Hệ thống tự động ({job})",
    action_seal: "niêm phong (lưu đã mã hóa)",
    action_open: "mở",
    action_deny: "từ chối mở",
    action_consent: "ghi nhận lựa chọn",
    action_share: "chuyển cho bên nhận",
    action_erase: "xóa",
    action_policy_change: "đổi chính sách",
    action_staff: "thao tác của nhân viên",
    action_key_rotation: "đổi khóa mã hóa",
    field_email: "email",
    field_name: "họ tên",
    field_phone: "số điện thoại",
    field_ship_to: "thông tin giao hàng",
    field_note: "ghi chú",
    field_message: "nội dung email gửi quý khách",
    field_account_email: "email tài khoản",
    field_requester_email: "email người yêu cầu",
    record_account: "Tài khoản",
    record_checkout: "Thông tin đặt hàng (đơn {orders})",
    record_checkout_none: "Thông tin đặt hàng",
    requests_heading: "Yêu cầu của quý khách về dữ liệu",
    no_requests: "Chưa có yêu cầu nào.",
    request_kind: "Yêu cầu",
    request_received: "Nhận lúc",
    request_first_answer: "Hạn phản hồi đầu tiên",
    request_due: "Hạn giải quyết",
    request_status: "Trạng thái",
    kind_access: "Xem dữ liệu",
    kind_rectification: "Sửa dữ liệu",
    kind_portability: "Nhận bản sao dữ liệu",
    kind_erasure: "Xóa dữ liệu",
    kind_withdrawal: "Rút lại sự đồng ý",
    kind_restriction: "Hạn chế xử lý",
    kind_objection: "Phản đối xử lý",
    status_open: "Đang xử lý",
    status_done: "Đã thực hiện",
    status_refused: "Đã từ chối",
    consents_link: "Sự đồng ý của tôi",
    account_link: "Về trang tài khoản",
};

static EN: DataTexts = DataTexts {
    title: "My data",
    intro: "What the shop holds about you: your account and every order placed with this email address, including orders placed before you had an account. This page shows none of the values; the download has them all.",
    generated: "As of {time} (Vietnam time), under privacy policy version {version}.",
    error_summary: "Please correct the following:",
    vietnam_time: "Vietnam time",
    download_heading: "Download all your data",
    download_intro: "One file with everything you entered or the shop recorded about you, to keep or to take to another service. To make it, the shop opens your sealed data for answering your request, and that opening is recorded in the log below.",
    download_json: "Download as JSON",
    download_csv: "Download as a ZIP of CSV tables (for spreadsheets)",
    categories_heading: "What we hold",
    no_categories: "The shop holds no personal data about you.",
    held_in: "Held in",
    held_account: "your account",
    held_checkout: "the buyer details given at checkout",
    held_orders: "orders",
    held_consents: "your consent choices",
    kept_for: "Kept for",
    kept_why: "Why",
    used_for: "Used for",
    basis: "legal basis",
    only_with_consent: "only with your consent",
    who_may: "who may use it",
    disclosures_heading: "Who received your data",
    no_disclosures: "No one. The shop has not handed your data to anyone outside it.",
    recipient: "Recipient",
    fields: "Details",
    when: "When",
    disclosure_contract: "to fulfil your order",
    disclosure_consent: "with your consent",
    disclosure_legal_request: "on a lawful request from an authority",
    disclosure_protection: "to protect lawful rights",
    accesses_heading: "Who opened or recorded your data",
    accesses_intro: "Every time your data is sealed, opened, refused or changed, the audit log records it; newest first. Staff appear by role, never by name.",
    no_accesses: "Nothing yet.",
    who: "Who",
    purpose: "Purpose",
    action: "What",
    record: "Record",
    by_account: "You (signed in)",
    by_order_link: "You (with the order's link or a lookup code)",
    by_checkout: "The checkout",
    by_system: "An automatic job ({job})",
    action_seal: "sealed (stored encrypted)",
    action_open: "opened",
    action_deny: "refused to open",
    action_consent: "recorded a choice",
    action_share: "handed to a recipient",
    action_erase: "erased",
    action_policy_change: "policy changed",
    action_staff: "staff action",
    action_key_rotation: "encryption key changed",
    field_email: "email",
    field_name: "name",
    field_phone: "phone",
    field_ship_to: "delivery details",
    field_note: "note",
    field_message: "content of an email to you",
    field_account_email: "account email",
    field_requester_email: "requester's email",
    record_account: "Account",
    record_checkout: "Checkout details (order {orders})",
    record_checkout_none: "Checkout details",
    requests_heading: "Your requests about your data",
    no_requests: "No request yet.",
    request_kind: "Request",
    request_received: "Received",
    request_first_answer: "First answer due",
    request_due: "Due",
    request_status: "Status",
    kind_access: "See your data",
    kind_rectification: "Correct your data",
    kind_portability: "Get a copy of your data",
    kind_erasure: "Erase your data",
    kind_withdrawal: "Withdraw a consent",
    kind_restriction: "Restrict processing",
    kind_objection: "Object to processing",
    status_open: "Open",
    status_done: "Done",
    status_refused: "Refused",
    consents_link: "My consents",
    account_link: "Back to your account",
};

fn texts(lang: Lang) -> &'static DataTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// A purpose that may read a category.
pub struct PurposeUseView {
    pub label: String,
    pub basis: String,
    pub needs_consent: bool,
    pub actors: String,
}

/// A category of data held.
pub struct CategoryView {
    pub code: String,
    pub label: String,
    pub description: String,
    pub held_in: String,
    pub retention: String,
    pub reason: String,
    pub purposes: Vec<PurposeUseView>,
}

pub struct DisclosureRow {
    pub at: TimeView,
    pub recipient: String,
    pub fields: String,
    pub basis: String,
}

pub struct AccessRow {
    pub at: TimeView,
    pub by: String,
    pub purpose: String,
    pub action: String,
    pub fields: String,
    pub record: String,
}

pub struct RequestRow {
    pub kind: &'static str,
    pub received: TimeView,
    pub first_answer_due: String,
    pub due: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "account_data.html")]
struct DataPage {
    chrome: Chrome,
    t: &'static DataTexts,
    generated: String,
    categories: Vec<CategoryView>,
    disclosures: Vec<DisclosureRow>,
    accesses: Vec<AccessRow>,
    requests: Vec<RequestRow>,
    error: String,
    error_links: Vec<ErrorLink>,
}

/// A time of the access view (RFC 3339), as pages show times.
fn moment(text: &str) -> Result<TimeView, Failure> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|at| TimeView::at(at.unix_timestamp()))
        .map_err(|e| Failure::internal(&format_args!("the time {text:?} is not RFC 3339: {e}")))
}

/// A calendar date as pages show dates: `25/11/2026`.
fn date_text(date: time::Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// Codes of the view in words; a code this page has no words for is shown as recorded. The
/// policy's own words come with the shop's details filled in, as the privacy page shows them.
struct Words<'a> {
    t: &'static DataTexts,
    policy: &'a Policy,
    language: Language,
    filler: Filler,
}

impl Words<'_> {
    /// A text of the policy, filled.
    fn policy_text(&self, text: &hanjinbi_privacy::policy::Localized) -> String {
        self.filler.fill(text.get(self.language))
    }

    /// A text of the access view (the policy's, in both languages), filled.
    fn view_text(&self, text: &hanjinbi_domain::Localized, lang: Lang) -> String {
        self.filler.fill(text.get(lang))
    }

    fn held_in(&self, place: &str) -> String {
        let t = self.t;
        match place {
            "account" => t.held_account,
            "checkout" => t.held_checkout,
            "orders" => t.held_orders,
            "consents" => t.held_consents,
            other => other,
        }
        .to_owned()
    }

    fn purpose(&self, code: &str) -> String {
        PurposeId::parse(code).map_or_else(
            || code.to_owned(),
            |id| self.policy_text(self.policy.purpose(id).label()),
        )
    }

    fn basis(&self, code: &str) -> String {
        LegalBasis::parse(code).map_or_else(
            || code.to_owned(),
            |b| self.policy_text(self.policy.page().legal_basis(b)),
        )
    }

    fn actor(&self, code: &str) -> String {
        Actor::parse(code).map_or_else(
            || code.to_owned(),
            |a| self.policy_text(self.policy.actor(a).label()),
        )
    }

    /// Who acted: the buyer's own ways in and the shop's jobs by name, staff by role.
    fn by(&self, by: &str) -> String {
        let t = self.t;
        match by {
            "account" => t.by_account.to_owned(),
            "order_link" => t.by_order_link.to_owned(),
            "checkout" => t.by_checkout.to_owned(),
            _ => match by.strip_prefix("system:") {
                Some(job) => t.by_system.replace("{job}", job),
                None => self.actor(by),
            },
        }
    }

    fn action(&self, code: &str) -> String {
        let t = self.t;
        match code {
            "seal" => t.action_seal,
            "open" => t.action_open,
            "deny" => t.action_deny,
            "consent" => t.action_consent,
            "share" => t.action_share,
            "erase" => t.action_erase,
            "policy_change" => t.action_policy_change,
            "staff_action" => t.action_staff,
            "key_rotation" => t.action_key_rotation,
            other => other,
        }
        .to_owned()
    }

    /// A field named by the audit log.
    fn audit_field(&self, name: &str) -> String {
        let t = self.t;
        match name {
            "email" => t.field_email,
            "name" => t.field_name,
            "phone" => t.field_phone,
            "ship_to" => t.field_ship_to,
            "note" => t.field_note,
            "message_payload" => t.field_message,
            "account_email" => t.field_account_email,
            "requester_email" => t.field_requester_email,
            other => other,
        }
        .to_owned()
    }

    /// A field handed to a recipient, as the policy names it.
    fn disclosed_field(&self, code: &str) -> String {
        Field::parse(code).map_or_else(
            || code.to_owned(),
            |f| self.policy_text(self.policy.page().field(f)),
        )
    }

    fn recipient(&self, code: &str) -> String {
        RecipientKind::parse(code).map_or_else(
            || code.to_owned(),
            |k| self.policy_text(self.policy.recipient(k).label()),
        )
    }

    fn disclosure_basis(&self, code: &str) -> String {
        let t = self.t;
        match DisclosureBasis::parse(code) {
            Some(DisclosureBasis::Contract) => t.disclosure_contract.to_owned(),
            Some(DisclosureBasis::Consent) => t.disclosure_consent.to_owned(),
            Some(DisclosureBasis::LegalRequest) => t.disclosure_legal_request.to_owned(),
            Some(DisclosureBasis::Protection) => t.disclosure_protection.to_owned(),
            None => code.to_owned(),
        }
    }

    fn record(&self, record: &str, orders: &[String]) -> String {
        let t = self.t;
        match record {
            "account" => t.record_account.to_owned(),
            "checkout" if orders.is_empty() => t.record_checkout_none.to_owned(),
            "checkout" => t.record_checkout.replace("{orders}", &orders.join(", ")),
            other => other.to_owned(),
        }
    }

    fn category(&self, c: &HeldCategory, lang: Lang) -> CategoryView {
        CategoryView {
            code: c.category.clone(),
            label: self.view_text(&c.label, lang),
            description: self.view_text(&c.description, lang),
            held_in: c
                .held_in
                .iter()
                .map(|p| self.held_in(p))
                .collect::<Vec<_>>()
                .join(", "),
            retention: self.view_text(&c.retention.text, lang),
            reason: self.view_text(&c.retention.reason, lang),
            purposes: c
                .purposes
                .iter()
                .map(|p| PurposeUseView {
                    label: self.view_text(&p.label, lang),
                    basis: self.basis(&p.basis),
                    needs_consent: p.needs_consent,
                    actors: p
                        .actors
                        .iter()
                        .map(|a| self.actor(a))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
        }
    }

    fn disclosure(&self, d: &Disclosure) -> Result<DisclosureRow, Failure> {
        Ok(DisclosureRow {
            at: moment(&d.at)?,
            recipient: self.recipient(&d.recipient),
            fields: d
                .fields
                .iter()
                .map(|f| self.disclosed_field(f))
                .collect::<Vec<_>>()
                .join(", "),
            basis: self.disclosure_basis(&d.basis),
        })
    }

    fn access(&self, a: &Access) -> Result<AccessRow, Failure> {
        Ok(AccessRow {
            at: moment(&a.at)?,
            by: self.by(&a.by),
            purpose: self.purpose(&a.purpose),
            action: self.action(&a.action),
            fields: a
                .fields
                .iter()
                .map(|f| self.audit_field(f))
                .collect::<Vec<_>>()
                .join(", "),
            record: self.record(&a.record, &a.order_numbers),
        })
    }

    fn request(&self, r: &RightsRequest) -> RequestRow {
        let t = self.t;
        RequestRow {
            kind: match r.kind {
                RightsKind::Access => t.kind_access,
                RightsKind::Rectification => t.kind_rectification,
                RightsKind::Portability => t.kind_portability,
                RightsKind::Erasure => t.kind_erasure,
                RightsKind::Withdrawal => t.kind_withdrawal,
                RightsKind::Restriction => t.kind_restriction,
                RightsKind::Objection => t.kind_objection,
            },
            received: TimeView::at(r.received_at),
            first_answer_due: date_text(r.first_answer_due),
            due: date_text(r.due_on),
            status: match r.status {
                RightsStatus::Open => t.status_open,
                RightsStatus::Done => t.status_done,
                RightsStatus::Refused => t.status_refused,
            },
        }
    }
}

/// A failure of the database, as every use case reports one (unavailable: 503).
fn store_failure(e: StoreError) -> Failure {
    ExportError::Store(e).into()
}

/// The rights requests recorded for the buyer: the account's own and those of every guest
/// record made with its address, newest first.
async fn requests_of(app: &AppState, session: &Session) -> Result<Vec<RightsRequest>, Failure> {
    let db = &app.services.db;
    let account = &session.account;
    let mut subjects = vec![account.subject_id.clone()];
    for guest in hanjinbi_store::subjects::buyers_by_email_index(db, &account.email_index)
        .await
        .map_err(store_failure)?
    {
        if !subjects.contains(&guest) {
            subjects.push(guest);
        }
    }
    rights::requests_of_subjects(db, &subjects)
        .await
        .map_err(|e| match e {
            rights::RightsError::Store(e) => store_failure(e),
            other => Failure::internal(&other),
        })
}

/// The page, with `problem` (a refused download) shown at the top and its status.
async fn data_page(
    app: &AppState,
    ctx: &RequestContext,
    signed: &SignedIn,
    problem: Option<Failure>,
) -> Result<Response, PageError> {
    if let Some(failure) = &problem {
        if failure.status.is_server_error() {
            return Err(PageError(failure.clone()));
        }
    }
    let lang = ctx.lang;
    let t = texts(lang);
    let (view, requests): (AccessView, _) = tokio::try_join!(
        async {
            app.services
                .export
                .access(&signed.session)
                .await
                .map_err(Failure::from)
        },
        requests_of(app, &signed.session),
    )?;
    let words = Words {
        t,
        policy: app.services.gate.policy(),
        language: Language::from(lang),
        filler: Filler::new(&app.shop, &view.policy_version, &view.policy_version),
    };
    let generated = moment(&view.generated_at)?;
    let page = DataPage {
        chrome: Chrome::new(&app.shop, ctx),
        t,
        generated: t
            .generated
            .replace("{time}", &generated.text)
            .replace("{version}", &view.policy_version),
        categories: view
            .categories
            .iter()
            .map(|c| words.category(c, lang))
            .collect(),
        disclosures: view
            .disclosures
            .iter()
            .map(|d| words.disclosure(d))
            .collect::<Result<_, _>>()?,
        // Newest first: the latest openings are what a buyer comes to check.
        accesses: view
            .accesses
            .iter()
            .rev()
            .map(|a| words.access(a))
            .collect::<Result<_, _>>()?,
        requests: requests.iter().map(|r| words.request(r)).collect(),
        error: problem
            .as_ref()
            .map(|f| f.message(lang).to_owned())
            .unwrap_or_default(),
        error_links: Vec::new(),
    };
    let mut response = html(&page, ctx)?;
    if let Some(failure) = &problem {
        *response.status_mut() = failure.status;
        set_retry_after(&mut response, failure);
    }
    Ok(no_store(response))
}

pub async fn show(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in_then(&app, &ctx, DATA_PATH));
    };
    data_page(&app, &ctx, &signed, None).await
}

/// Everything, as the file of `format=json` (the default) or `format=csv` (a ZIP of CSV
/// files): the same file as `GET /api/v1/me/export`. A refused download comes back on the
/// page with the reason.
pub async fn download(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in_then(&app, &ctx, DATA_PATH));
    };
    let run = async {
        crate::security::refuse_cross_site_download(&headers)?;
        let format = ExportFormat::parse(ctx.params.get("format"))?;
        let document = app.services.export.export(&signed.session).await?;
        export_download(&document, format)
    };
    match run.await {
        Ok(file) => Ok(file),
        Err(failure) => data_page(&app, &ctx, &signed, Some(failure)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates_read_as_pages_show_them() {
        let at = moment("2026-11-25T18:38:09+07:00").unwrap();
        assert_eq!(at.text, "25/11/2026 18:38");
        assert_eq!(at.machine, "2026-11-25T18:38:09+07:00");
        assert!(moment("25/11/2026").is_err());
        let date = time::Date::from_calendar_date(2026, time::Month::March, 2).unwrap();
        assert_eq!(date_text(date), "02/03/2026");
    }

    #[test]
    fn staff_appear_by_role_and_jobs_by_name_in_both_languages() {
        let policy = Policy::embedded().unwrap();
        for (lang, t) in [(Lang::Vi, &VI), (Lang::En, &EN)] {
            let shop = hanjinbi_domain::shop::ShopInfo::default();
            let words = Words {
                t,
                policy: &policy,
                language: Language::from(lang),
                filler: Filler::new(&shop, policy.version(), policy.version()),
            };
            assert_eq!(words.by("account"), t.by_account);
            assert_eq!(
                words.by("customer_care"),
                policy
                    .actor(Actor::CustomerCare)
                    .label()
                    .get(Language::from(lang))
            );
            assert!(words.by("system:outbox-mailer").contains("outbox-mailer"));
            assert_eq!(words.action("open"), t.action_open);
            // The policy's words name the shop, filled from its settings.
            let protection = words.basis("legitimate_protection");
            assert!(protection.contains(&shop.name), "{protection}");
            assert!(!protection.contains('{'), "{protection}");
            assert_eq!(words.action("something_new"), "something_new");
            assert_eq!(
                words.record("checkout", &["HJ1".into(), "HJ2".into()]),
                t.record_checkout.replace("{orders}", "HJ1, HJ2")
            );
        }
    }
}
