//! The consent centre in the storefront (`/tai-khoan/dong-y`): every purpose of the privacy
//! policy that needs consent, where it stands for the signed-in buyer (given, withdrawn or
//! never answered), when and under which policy version and exact wording the decision that
//! counts was made, and every decision, newest first; then every purpose that can be
//! objected to or restricted. Each change is one button, a form posting the session's form
//! token, and comes back to the page with a notice; a refused change comes back with the
//! reason and its status. The service records each decision and the gate reads it at the next
//! use, so the page shows what the gate does.

use super::account::{no_store, see_other, to_sign_in_then, ErrorLink};
use super::html;
use super::orders::TimeView;
use super::privacy::Filler;
use crate::context::{href, PageContext, RequestContext};
use crate::error::{set_retry_after, Failure, PageError};
use crate::form::FormBody;
use crate::session::{signed_in_from, SignedIn};
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hanjinbi_domain::Lang;
use hanjinbi_privacy::policy::{Language, Policy, PurposeId};
use hanjinbi_services::consents::{
    Centre, Channel, ConsentError, ConsentState, Decision, LimitKind,
};

/// The consent centre; its forms post to `/tai-khoan/dong-y/{purpose}`,
/// `/tai-khoan/phan-doi/{purpose}` and `/tai-khoan/han-che/{purpose}`.
const CONSENTS_PATH: &str = "/tai-khoan/dong-y";

pub struct ConsentTexts {
    pub title: &'static str,
    pub intro: &'static str,
    /// `{version}`: the policy version in force.
    pub policy_in_force: &'static str,
    pub policy_link: &'static str,
    pub error_summary: &'static str,
    pub vietnam_time: &'static str,
    pub consents_heading: &'static str,
    pub state: &'static str,
    pub state_granted: &'static str,
    pub state_withdrawn: &'static str,
    pub state_never: &'static str,
    pub decided_at: &'static str,
    pub decided_version: &'static str,
    pub decided_wording: &'static str,
    pub wording_now: &'static str,
    pub needs_answer: &'static str,
    pub give: &'static str,
    pub give_again: &'static str,
    pub withdraw: &'static str,
    /// `{n}`: the number of decisions.
    pub history: &'static str,
    pub no_history: &'static str,
    pub history_when: &'static str,
    pub history_decision: &'static str,
    pub history_version: &'static str,
    pub history_where: &'static str,
    pub history_wording: &'static str,
    pub decision_granted: &'static str,
    pub decision_refused: &'static str,
    pub unverified: &'static str,
    pub channel_web: &'static str,
    pub channel_api: &'static str,
    pub limits_heading: &'static str,
    pub limits_objection: &'static str,
    pub limits_restriction: &'static str,
    pub limits_effect: &'static str,
    pub limits_fulfilment: &'static str,
    pub limits_required: &'static str,
    pub purpose: &'static str,
    pub objection: &'static str,
    pub restriction: &'static str,
    pub in_force_since: &'static str,
    pub not_in_force: &'static str,
    pub object: &'static str,
    pub lift_objection: &'static str,
    pub restrict: &'static str,
    pub lift_restriction: &'static str,
    /// The notices after a change; `{purpose}`: its label.
    pub done_granted: &'static str,
    pub done_withdrawn: &'static str,
    pub done_objected: &'static str,
    pub done_objection_lifted: &'static str,
    pub done_restricted: &'static str,
    pub done_restriction_lifted: &'static str,
    pub data_link: &'static str,
    pub account_link: &'static str,
}

static VI: ConsentTexts = ConsentTexts {
    title: "Sự đồng ý của tôi",
    intro: "Tại đây quý khách xem và thay đổi sự đồng ý cho từng mục đích cần sự đồng ý, và phản đối hoặc hạn chế các mục đích khác. Mỗi thay đổi chỉ cần một lần bấm và có hiệu lực ngay, cho tài khoản và mọi đơn hàng đã đặt bằng địa chỉ email này.",
    policy_in_force: "Chính sách bảo mật đang áp dụng: phiên bản {version}.",
    policy_link: "Đọc chính sách bảo mật",
    error_summary: "Vui lòng sửa các mục sau:",
    vietnam_time: "giờ Việt Nam",
    consents_heading: "Các mục đích cần sự đồng ý",
    state: "Trạng thái",
    state_granted: "Đã đồng ý",
    state_withdrawn: "Đã rút lại hoặc không đồng ý",
    state_never: "Chưa trả lời",
    decided_at: "Quyết định lúc",
    decided_version: "Theo chính sách phiên bản",
    decided_wording: "Nội dung quý khách đã đọc khi đó",
    wording_now: "Nội dung đồng ý",
    needs_answer: "Nội dung của mục đích này đã thay đổi kể từ khi quý khách đồng ý. Vui lòng đọc nội dung mới và trả lời lại. Cho đến khi đó, sự đồng ý trước vẫn được tính.",
    give: "Đồng ý",
    give_again: "Đồng ý với nội dung mới",
    withdraw: "Rút lại sự đồng ý",
    history: "Lịch sử quyết định ({n})",
    no_history: "Chưa có quyết định nào.",
    history_when: "Thời điểm",
    history_decision: "Quyết định",
    history_version: "Phiên bản chính sách",
    history_where: "Ở đâu",
    history_wording: "Nội dung đã đọc",
    decision_granted: "Đồng ý",
    decision_refused: "Không đồng ý hoặc rút lại",
    unverified: "email chưa xác nhận, không được tính",
    channel_web: "Trang web",
    channel_api: "Ứng dụng (API)",
    limits_heading: "Phản đối và hạn chế xử lý dữ liệu",
    limits_objection: "Phản đối: quý khách không muốn dữ liệu của mình được dùng cho mục đích đó nữa.",
    limits_restriction: "Hạn chế: tạm dừng việc dùng dữ liệu cho mục đích đó, chẳng hạn trong lúc chờ giải đáp một thắc mắc, cho đến khi quý khách bỏ hạn chế.",
    limits_effect: "Với cả hai, từ lúc quý khách bấm nút, cổng bảo mật của cửa hàng từ chối mọi việc dùng dữ liệu cho mục đích đó, như khi thiếu sự đồng ý.",
    limits_fulfilment: "Lưu ý: phản đối hoặc hạn chế mục đích xử lý đơn hàng khiến cửa hàng không đọc được thông tin giao hàng của các đơn của quý khách cho đến khi quý khách bỏ, nên đơn chưa giao có thể không giao được.",
    limits_required: "Các mục đích pháp luật bắt buộc (như lưu chứng từ kế toán) không có ở đây: không thể phản đối hay hạn chế chúng.",
    purpose: "Mục đích",
    objection: "Phản đối",
    restriction: "Hạn chế",
    in_force_since: "Đang áp dụng từ",
    not_in_force: "Không",
    object: "Phản đối",
    lift_objection: "Bỏ phản đối",
    restrict: "Hạn chế",
    lift_restriction: "Bỏ hạn chế",
    done_granted: "Đã ghi nhận: quý khách đồng ý với “{purpose}”.",
    done_withdrawn: "Đã ghi nhận: quý khách không đồng ý với “{purpose}”. Cửa hàng ngừng dùng dữ liệu cho mục đích này ngay từ bây giờ.",
    done_objected: "Đã ghi nhận phản đối của quý khách với “{purpose}”.",
    done_objection_lifted: "Đã bỏ phản đối với “{purpose}”.",
    done_restricted: "Đã ghi nhận yêu cầu hạn chế “{purpose}”.",
    done_restriction_lifted: "Đã bỏ hạn chế với “{purpose}”.",
    data_link: "Dữ liệu của tôi",
    account_link: "Về trang tài khoản",
};

static EN: ConsentTexts = ConsentTexts {
    title: "My consents",
    intro: "Here you can see and change your consent to each purpose that needs it, and object to or restrict the other purposes. Each change is one click and takes effect at once, for your account and every order placed with this email address.",
    policy_in_force: "Privacy policy in force: version {version}.",
    policy_link: "Read the privacy policy",
    error_summary: "Please correct the following:",
    vietnam_time: "Vietnam time",
    consents_heading: "Purposes that need your consent",
    state: "Status",
    state_granted: "Given",
    state_withdrawn: "Withdrawn or refused",
    state_never: "Not answered",
    decided_at: "Decided on",
    decided_version: "Under policy version",
    decided_wording: "The words you read then",
    wording_now: "What you agree to",
    needs_answer: "The wording of this purpose has changed since you agreed. Please read the new wording and answer again. Until you do, your earlier consent still counts.",
    give: "Give consent",
    give_again: "Agree to the new wording",
    withdraw: "Withdraw consent",
    history: "History of decisions ({n})",
    no_history: "No decision yet.",
    history_when: "When",
    history_decision: "Decision",
    history_version: "Policy version",
    history_where: "Where",
    history_wording: "Words read",
    decision_granted: "Given",
    decision_refused: "Refused or withdrawn",
    unverified: "address not confirmed, does not count",
    channel_web: "Website",
    channel_api: "App (API)",
    limits_heading: "Objecting to or restricting the use of your data",
    limits_objection: "Objection: you no longer want your data used for that purpose.",
    limits_restriction: "Restriction: the use of your data for that purpose is paused, for instance while a question is settled, until you lift it.",
    limits_effect: "Either way, from the moment you press the button, the shop's privacy gate refuses every use of your data for that purpose, as it does when consent is missing.",
    limits_fulfilment: "Note: objecting to or restricting order fulfilment stops the shop from reading the delivery details of your orders until you lift it, so an order not yet delivered may not be delivered.",
    limits_required: "Purposes the law requires (such as keeping accounting records) are not listed: they cannot be objected to or restricted.",
    purpose: "Purpose",
    objection: "Objection",
    restriction: "Restriction",
    in_force_since: "In force since",
    not_in_force: "None",
    object: "Object",
    lift_objection: "Lift the objection",
    restrict: "Restrict",
    lift_restriction: "Lift the restriction",
    done_granted: "Recorded: you agree to “{purpose}”.",
    done_withdrawn: "Recorded: you do not agree to “{purpose}”. The shop stops using your data for it from now on.",
    done_objected: "Your objection to “{purpose}” is recorded.",
    done_objection_lifted: "Your objection to “{purpose}” is lifted.",
    done_restricted: "Your restriction of “{purpose}” is recorded.",
    done_restriction_lifted: "Your restriction of “{purpose}” is lifted.",
    data_link: "My data",
    account_link: "Back to your account",
};

fn texts(lang: Lang) -> &'static ConsentTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// What a change did, as the query of the page it comes back to names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Granted,
    Withdrawn,
    Objected,
    ObjectionLifted,
    Restricted,
    RestrictionLifted,
}

impl Done {
    const ALL: [Done; 6] = [
        Done::Granted,
        Done::Withdrawn,
        Done::Objected,
        Done::ObjectionLifted,
        Done::Restricted,
        Done::RestrictionLifted,
    ];

    const fn code(self) -> &'static str {
        match self {
            Done::Granted => "dong-y",
            Done::Withdrawn => "rut-lai",
            Done::Objected => "phan-doi",
            Done::ObjectionLifted => "bo-phan-doi",
            Done::Restricted => "han-che",
            Done::RestrictionLifted => "bo-han-che",
        }
    }

    fn parse(code: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|d| d.code() == code)
    }

    fn of_limit(kind: LimitKind, on: bool) -> Done {
        match (kind, on) {
            (LimitKind::Objection, true) => Done::Objected,
            (LimitKind::Objection, false) => Done::ObjectionLifted,
            (LimitKind::Restriction, true) => Done::Restricted,
            (LimitKind::Restriction, false) => Done::RestrictionLifted,
        }
    }

    fn notice(self, t: &ConsentTexts) -> &'static str {
        match self {
            Done::Granted => t.done_granted,
            Done::Withdrawn => t.done_withdrawn,
            Done::Objected => t.done_objected,
            Done::ObjectionLifted => t.done_objection_lifted,
            Done::Restricted => t.done_restricted,
            Done::RestrictionLifted => t.done_restriction_lifted,
        }
    }
}

/// One decision, as a row of a purpose's history.
pub struct DecisionRow {
    pub at: TimeView,
    pub granted: bool,
    pub verified: bool,
    pub version: String,
    pub channel: String,
    pub wording: String,
}

/// A purpose that needs consent.
pub struct ConsentView {
    pub code: &'static str,
    pub label: String,
    pub description: String,
    /// Where the purpose is described in the privacy policy.
    pub policy_href: String,
    pub state: &'static str,
    /// `granted`, `withdrawn` or `never_asked`: the state's class.
    pub state_code: &'static str,
    pub granted: bool,
    pub decided: Option<DecisionRow>,
    /// The wording in force, in the page's language: what a decision made now records.
    pub wording: String,
    pub needs_answer: bool,
    pub history_label: String,
    pub history: Vec<DecisionRow>,
}

/// A purpose that can be objected to or restricted.
pub struct LimitView {
    pub code: &'static str,
    pub label: String,
    pub objected_since: Option<TimeView>,
    pub restricted_since: Option<TimeView>,
}

#[derive(Template)]
#[template(path = "account_consents.html")]
struct ConsentsPage {
    chrome: Chrome,
    t: &'static ConsentTexts,
    policy_in_force: String,
    policy_path: &'static str,
    consents: Vec<ConsentView>,
    limits: Vec<LimitView>,
    csrf: String,
    notice: String,
    error: String,
    error_links: Vec<ErrorLink>,
}

fn policy_path(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "/chinh-sach-bao-mat",
        Lang::En => "/privacy",
    }
}

/// Where a decision was made, in words; a channel this code does not write is shown as
/// recorded.
fn channel_text(t: &ConsentTexts, code: &str) -> String {
    if code == Channel::Web.code() {
        t.channel_web.to_owned()
    } else if code == Channel::Api.code() {
        t.channel_api.to_owned()
    } else {
        code.to_owned()
    }
}

fn decision_row(t: &ConsentTexts, d: &Decision) -> DecisionRow {
    DecisionRow {
        at: TimeView::at(d.at),
        granted: d.granted,
        verified: d.verified,
        version: d.policy_version.clone(),
        channel: channel_text(t, &d.channel),
        wording: d.wording.clone(),
    }
}

/// The page's views of `centre`. Labels and descriptions are the policy's words with the
/// shop's details filled in, as the privacy page shows them; a wording is shown exactly as
/// the ledger records it.
fn views(
    policy: &Policy,
    filler: &Filler,
    centre: &Centre,
    t: &ConsentTexts,
    lang: Lang,
) -> Result<(Vec<ConsentView>, Vec<LimitView>), Failure> {
    let language = Language::from(lang);
    let consents = centre
        .consents
        .iter()
        .map(|c| {
            let rule = policy.purpose(c.purpose);
            let wording = rule
                .consent_wording()
                .map(|w| w.get(language).to_owned())
                .ok_or_else(|| {
                    Failure::internal(&format_args!(
                        "the consent purpose {} has no wording",
                        c.purpose
                    ))
                })?;
            let (state, state_code) = match c.state {
                ConsentState::Granted => (t.state_granted, "granted"),
                ConsentState::Withdrawn => (t.state_withdrawn, "withdrawn"),
                ConsentState::NeverAsked => (t.state_never, "never_asked"),
            };
            Ok(ConsentView {
                code: c.purpose.code(),
                label: filler.fill(rule.label().get(language)),
                description: filler.fill(rule.description().get(language)),
                policy_href: format!("{}#muc-dich-{}", policy_path(lang), c.purpose.code()),
                state,
                state_code,
                granted: c.state == ConsentState::Granted,
                decided: c.decided.as_ref().map(|d| decision_row(t, d)),
                wording,
                needs_answer: c.needs_answer,
                history_label: t.history.replace("{n}", &c.history.len().to_string()),
                history: c.history.iter().map(|d| decision_row(t, d)).collect(),
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let limits = centre
        .limits
        .iter()
        .map(|l| LimitView {
            code: l.purpose.code(),
            label: filler.fill(policy.purpose(l.purpose).label().get(language)),
            objected_since: l.objected_since.map(TimeView::at),
            restricted_since: l.restricted_since.map(TimeView::at),
        })
        .collect();
    Ok((consents, limits))
}

/// The label of `purpose` in `lang`, for a notice; `None` for a name that is no purpose.
fn purpose_label(app: &AppState, purpose: &str, lang: Lang) -> Option<String> {
    let id = PurposeId::parse(purpose)?;
    let policy = app.services.gate.policy();
    let filler = Filler::new(&app.shop, policy.version(), policy.version());
    Some(filler.fill(policy.purpose(id).label().get(Language::from(lang))))
}

/// The consent centre with `notice`, or with `problem` shown at the top and its status.
async fn consents_page(
    app: &AppState,
    ctx: &RequestContext,
    signed: &SignedIn,
    notice: String,
    problem: Option<Failure>,
) -> Result<Response, PageError> {
    if let Some(failure) = &problem {
        if failure.status.is_server_error() {
            return Err(PageError(failure.clone()));
        }
    }
    let lang = ctx.lang;
    let t = texts(lang);
    let policy = app.services.gate.policy();
    let centre = app.services.consents.list(&signed.session).await?;
    let filler = Filler::new(&app.shop, &centre.policy_version, &centre.policy_version);
    let (consents, limits) = views(policy, &filler, &centre, t, lang)?;
    let page = ConsentsPage {
        chrome: Chrome::new(&app.shop, ctx),
        t,
        policy_in_force: t
            .policy_in_force
            .replace("{version}", &centre.policy_version),
        policy_path: policy_path(lang),
        consents,
        limits,
        csrf: signed.form_token(),
        notice,
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
        return Ok(to_sign_in_then(&app, &ctx, CONSENTS_PATH));
    };
    // The notice names what was done and to which purpose; anything else shows none.
    let notice = ctx
        .params
        .get("sau")
        .and_then(Done::parse)
        .zip(
            ctx.params
                .get("muc-dich")
                .and_then(|p| purpose_label(&app, p, ctx.lang)),
        )
        .map(|(done, label)| done.notice(texts(ctx.lang)).replace("{purpose}", &label))
        .unwrap_or_default();
    consents_page(&app, &ctx, &signed, notice, None).await
}

/// `true` or `false`, as the buttons send it.
fn choice(form: &FormBody, name: &str) -> Result<bool, Failure> {
    match form.params.get(name) {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(Failure::bad_request(
            "invalid_choice",
            "Biểu mẫu không cho biết quý khách chọn gì. Vui lòng tải lại trang và bấm lại nút.",
            "The form does not say what you chose. Please reload the page and press the button again.",
        )),
    }
}

/// The purpose named in the path; one that cannot even be read names no purpose.
fn purpose_in(path: Result<Path<String>, PathRejection>) -> Result<String, Failure> {
    path.map(|Path(p)| p)
        .map_err(|_| ConsentError::UnknownPurpose.into())
}

/// Back to the centre, saying what was done to `purpose`.
fn done_to(done: Done, purpose: &str) -> Response {
    see_other(&href(
        CONSENTS_PATH,
        &[("sau", done.code()), ("muc-dich", purpose)],
    ))
}

/// Gives or withdraws consent to the purpose of the path: `granted=true|false`.
pub async fn decide(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: FormBody,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in_then(&app, &ctx, CONSENTS_PATH));
    };
    let run = async {
        signed.check_form(form.params.get("csrf"))?;
        let granted = choice(&form, "granted")?;
        let purpose = purpose_in(path)?;
        app.services
            .consents
            .decide(&signed.session, &purpose, granted, ctx.lang, Channel::Web)
            .await?;
        let done = if granted {
            Done::Granted
        } else {
            Done::Withdrawn
        };
        Ok::<_, Failure>(done_to(done, &purpose))
    };
    match run.await {
        Ok(response) => Ok(response),
        Err(failure) => consents_page(&app, &ctx, &signed, String::new(), Some(failure)).await,
    }
}

/// Sets or lifts an objection (`kind`) or a restriction of the purpose of the path, as
/// `on=true|false` asks.
async fn limit(
    app: AppState,
    ctx: RequestContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: FormBody,
    kind: LimitKind,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in_then(&app, &ctx, CONSENTS_PATH));
    };
    let run = async {
        signed.check_form(form.params.get("csrf"))?;
        let on = choice(&form, "on")?;
        let purpose = purpose_in(path)?;
        app.services
            .consents
            .limit(&signed.session, &purpose, kind, on)
            .await?;
        Ok::<_, Failure>(done_to(Done::of_limit(kind, on), &purpose))
    };
    match run.await {
        Ok(response) => Ok(response),
        Err(failure) => consents_page(&app, &ctx, &signed, String::new(), Some(failure)).await,
    }
}

pub async fn object(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: FormBody,
) -> Result<Response, PageError> {
    limit(app, ctx, headers, path, form, LimitKind::Objection).await
}

pub async fn restrict(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: FormBody,
) -> Result<Response, PageError> {
    limit(app, ctx, headers, path, form, LimitKind::Restriction).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn every_notice_code_reads_back_and_names_the_purpose_in_both_languages() {
        for done in Done::ALL {
            assert_eq!(Done::parse(done.code()), Some(done));
            for t in [&VI, &EN] {
                assert!(done.notice(t).contains("{purpose}"), "{done:?}");
            }
        }
        assert_eq!(Done::parse("xoa"), None);
    }

    #[test]
    fn only_true_and_false_are_choices() {
        let form = |body: &str| FormBody {
            params: crate::query::Params::parse_body(body).unwrap(),
        };
        assert!(choice(&form("granted=true"), "granted").unwrap());
        assert!(!choice(&form("granted=false"), "granted").unwrap());
        for bad in ["granted=1", "granted=", "on=true", ""] {
            let refused = choice(&form(bad), "granted").unwrap_err();
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad:?}");
            assert_eq!(refused.code, "invalid_choice");
        }
    }

    #[test]
    fn the_ledgers_channels_read_back_and_another_is_shown_as_recorded() {
        assert_eq!(channel_text(&VI, "web"), "Trang web");
        assert_eq!(channel_text(&EN, "api"), "App (API)");
        assert_eq!(channel_text(&EN, "kiosk"), "kiosk");
    }
}
