//! Buyer accounts in the storefront: registering, confirming the address, signing in and out
//! (here or on every device), changing or resetting the password, the account page with the
//! orders placed with the address, and erasing the account from it. The form pages and texts
//! here also serve erasure by an emailed link (`erasure.rs`).
//!
//! Every form works without JavaScript. A failure brings the buyer back to the form with the
//! reason, beside the field at fault and in a summary linking to it; what the buyer typed is
//! kept, except passwords, which are never written back into a page. Registering and asking
//! for a reset link answer the same "check your email" whatever the address, so no page tells
//! whether an address has an account. Forms of a signed-in browser carry the session's form
//! token (`csrf`); a form without it changes nothing.

use super::erasure::{erased_page, erasure_explained, erasure_policy_path};
use super::html;
use super::orders::TimeView;
use crate::context::{href, same_site_path, PageContext, RequestContext};
use crate::error::{set_retry_after, Failure, PageError};
use crate::form::FormBody;
use crate::session::{
    clear_session_cookie, secure_cookies, session_cookie, signed_in_from, SignedIn, SESSION_COOKIE,
};
use crate::timing::{answer_no_sooner_than, ACCOUNT_REQUEST_ANSWER_AFTER};
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hanjinbi_domain::order::OrderStatus;
use hanjinbi_domain::{Dong, Lang};
use hanjinbi_services::accounts::{self, AccountError, SessionKind, RESET_LINK_SECS};
use hanjinbi_services::erasure::ERASURE_LINK_SECS;
use std::net::SocketAddr;

/// Where the account lives, and where a browser without a session is sent.
const ACCOUNT_PATH: &str = "/tai-khoan";
const SIGN_IN_PATH: &str = "/tai-khoan/dang-nhap";
pub(super) const CHECK_EMAIL_PATH: &str = "/tai-khoan/kiem-tra-email";
/// Erasure by a link sent to the address, for anyone; and its confirmation.
const ERASURE_PATH: &str = "/xoa-du-lieu";
const ERASURE_CONFIRM_PATH: &str = "/xoa-du-lieu/xac-nhan";

/// The longest `next` path a sign-in follows.
const MAX_NEXT_CHARS: usize = 512;
/// The longest token a link page keeps in its form (ours are 43 characters).
const MAX_TOKEN_CHARS: usize = 128;
/// The longest email address a form writes back.
const MAX_EMAIL_CHARS: usize = 254;

pub struct AccountTexts {
    pub email: &'static str,
    pub password: &'static str,
    /// The rule for a new password; `{min}`: its least length.
    pub password_rule: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub error_summary: &'static str,
    pub register_title: &'static str,
    pub register_intro: &'static str,
    pub register_submit: &'static str,
    pub have_account: &'static str,
    pub check_email_title: &'static str,
    pub check_email_register: &'static str,
    /// `{minutes}`: how long a reset link works.
    pub check_email_reset: &'static str,
    pub check_email_spam: &'static str,
    pub verify_title: &'static str,
    pub verify_intro: &'static str,
    pub verify_submit: &'static str,
    pub verify_new_link: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_submit: &'static str,
    pub forgot_link: &'static str,
    pub no_account: &'static str,
    pub reset_done: &'static str,
    pub forgot_title: &'static str,
    pub forgot_intro: &'static str,
    pub forgot_submit: &'static str,
    pub reset_title: &'static str,
    pub reset_intro: &'static str,
    pub reset_submit: &'static str,
    pub reset_new_link: &'static str,
    pub account_title: &'static str,
    pub signed_in_as: &'static str,
    pub registered_at: &'static str,
    pub verified_at: &'static str,
    pub vietnam_time: &'static str,
    pub orders_heading: &'static str,
    pub no_orders: &'static str,
    pub order_number: &'static str,
    pub order_placed: &'static str,
    pub order_items: &'static str,
    pub order_total: &'static str,
    pub order_status: &'static str,
    pub devices_heading: &'static str,
    /// `{n}`: sessions live, this one included.
    pub devices_one: &'static str,
    pub devices_many: &'static str,
    pub change_heading: &'static str,
    pub change_hint: &'static str,
    pub change_submit: &'static str,
    pub changed: &'static str,
    pub sign_out: &'static str,
    pub sign_out_everywhere: &'static str,
    pub sign_out_everywhere_hint: &'static str,
    pub erase_heading: &'static str,
    pub erase_intro: &'static str,
    pub erase_password_hint: &'static str,
    pub erase_submit: &'static str,
    pub erase_more: &'static str,
    /// On the sign-in page: erasure for those without an account.
    pub erase_by_email: &'static str,
    pub erasure_title: &'static str,
    pub erasure_intro: &'static str,
    pub erasure_what: &'static str,
    pub erasure_kept: &'static str,
    pub erasure_final: &'static str,
    /// `{minutes}`: how long an erasure link works.
    pub erasure_how: &'static str,
    /// Followed by the policy's reason for keeping transaction records.
    pub erasure_why: &'static str,
    pub erasure_submit: &'static str,
    pub erasure_signed_in: &'static str,
    pub erasure_policy: &'static str,
    /// `{minutes}`: how long an erasure link works.
    pub check_email_erasure: &'static str,
    pub erasure_confirm_title: &'static str,
    pub erasure_confirm_intro: &'static str,
    pub erasure_confirm_submit: &'static str,
    pub erasure_keep: &'static str,
    pub erased_title: &'static str,
    pub erased_intro: &'static str,
    pub erased_signed_out: &'static str,
    pub erased_none: &'static str,
    /// `{n}`: orders kept.
    pub erased_one: &'static str,
    pub erased_many: &'static str,
    pub erased_email: &'static str,
    pub home_link: &'static str,
    pub privacy_heading: &'static str,
    pub consents_link: &'static str,
    pub data_link: &'static str,
}

static VI: AccountTexts = AccountTexts {
    email: "Email",
    password: "Mật khẩu",
    password_rule: "Ít nhất {min} ký tự; một câu ngắn sẽ dễ nhớ.",
    current_password: "Mật khẩu hiện tại",
    new_password: "Mật khẩu mới",
    error_summary: "Vui lòng sửa các mục sau:",
    register_title: "Đăng ký tài khoản",
    register_intro: "Tài khoản giúp quý khách xem lại mọi đơn hàng đã đặt bằng địa chỉ email của mình. Chúng tôi sẽ gửi một liên kết để xác nhận địa chỉ.",
    register_submit: "Đăng ký",
    have_account: "Đã có tài khoản? Đăng nhập",
    check_email_title: "Vui lòng kiểm tra email",
    check_email_register: "Chúng tôi đã gửi một email tới địa chỉ quý khách vừa nhập. Hãy mở liên kết trong email để tiếp tục.",
    check_email_reset: "Nếu địa chỉ này có tài khoản, chúng tôi đã gửi tới đó một liên kết để đặt lại mật khẩu. Liên kết có hiệu lực {minutes} phút và chỉ dùng được một lần.",
    check_email_spam: "Không thấy email sau vài phút? Hãy xem thư mục Spam hoặc Quảng cáo, rồi thử lại nếu cần.",
    verify_title: "Xác nhận địa chỉ email",
    verify_intro: "Nhập mật khẩu quý khách đã chọn khi đăng ký để xác nhận địa chỉ email và đăng nhập.",
    verify_submit: "Xác nhận và đăng nhập",
    verify_new_link: "Liên kết hết hạn hoặc đã dùng? Đăng ký lại để nhận liên kết mới",
    sign_in_title: "Đăng nhập",
    sign_in_submit: "Đăng nhập",
    forgot_link: "Quên mật khẩu?",
    no_account: "Chưa có tài khoản? Đăng ký",
    reset_done: "Đã đổi mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới.",
    forgot_title: "Quên mật khẩu",
    forgot_intro: "Nhập địa chỉ email của tài khoản. Chúng tôi sẽ gửi một liên kết để đặt mật khẩu mới.",
    forgot_submit: "Gửi liên kết",
    reset_title: "Đặt mật khẩu mới",
    reset_intro: "Chọn mật khẩu mới cho tài khoản. Mọi thiết bị đang đăng nhập tài khoản sẽ được đăng xuất.",
    reset_submit: "Lưu mật khẩu mới",
    reset_new_link: "Liên kết hết hạn hoặc đã dùng? Yêu cầu liên kết mới",
    account_title: "Tài khoản của quý khách",
    signed_in_as: "Đang đăng nhập với",
    registered_at: "Đăng ký lúc",
    verified_at: "Xác nhận email lúc",
    vietnam_time: "giờ Việt Nam",
    orders_heading: "Đơn hàng đã đặt bằng địa chỉ này",
    no_orders: "Chưa có đơn hàng nào được đặt bằng địa chỉ email này.",
    order_number: "Mã đơn hàng",
    order_placed: "Ngày đặt",
    order_items: "Số sản phẩm",
    order_total: "Tổng cộng",
    order_status: "Trạng thái",
    devices_heading: "Thiết bị đang đăng nhập",
    devices_one: "Tài khoản đang đăng nhập trên {n} thiết bị (thiết bị này).",
    devices_many: "Tài khoản đang đăng nhập trên {n} thiết bị, kể cả thiết bị này.",
    change_heading: "Đổi mật khẩu",
    change_hint: "Sau khi đổi mật khẩu, các thiết bị khác sẽ được đăng xuất.",
    change_submit: "Đổi mật khẩu",
    changed: "Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất.",
    sign_out: "Đăng xuất",
    sign_out_everywhere: "Đăng xuất khỏi mọi thiết bị",
    sign_out_everywhere_hint: "Dùng khi quý khách quên đăng xuất trên một máy lạ hoặc mất điện thoại.",
    erase_heading: "Xóa tài khoản và dữ liệu",
    erase_intro: "Tài khoản và mọi thông tin cá nhân cửa hàng giữ gắn với địa chỉ email này sẽ không thể đọc được nữa ngay lập tức, kể cả thông tin giao hàng của các đơn đã đặt. Các đơn hàng được giữ lại làm chứng từ giao dịch, không còn gắn với danh tính của quý khách. Việc này không thể hoàn tác.",
    erase_password_hint: "Nhập mật khẩu để xác nhận đúng là quý khách.",
    erase_submit: "Xóa vĩnh viễn tài khoản và dữ liệu",
    erase_more: "Điều gì bị xóa, điều gì được giữ lại và vì sao",
    erase_by_email: "Không có tài khoản? Yêu cầu xóa dữ liệu bằng email",
    erasure_title: "Xóa dữ liệu cá nhân",
    erasure_intro: "Quý khách có thể yêu cầu xóa mọi dữ liệu cá nhân cửa hàng đang giữ gắn với một địa chỉ email, dù có tài khoản hay không.",
    erasure_what: "Mọi thông tin cá nhân gắn với địa chỉ này trở nên không thể đọc được ngay lập tức, kể cả với cửa hàng: tài khoản nếu có; họ tên, số điện thoại, địa chỉ giao hàng và ghi chú của mọi đơn hàng; các lựa chọn đồng ý.",
    erasure_kept: "Các đơn hàng vẫn được giữ làm chứng từ giao dịch (sản phẩm, số lượng, số tiền, ngày, phương thức giao hàng và thanh toán), không còn gắn với thông tin nào nhận ra quý khách.",
    erasure_final: "Việc xóa không thể hoàn tác. Một email cuối cùng gửi tới địa chỉ này sẽ xác nhận những gì đã xóa và những gì được giữ lại.",
    erasure_how: "Để chắc chắn người yêu cầu là chủ địa chỉ, chúng tôi gửi tới đó một liên kết có hiệu lực {minutes} phút, chỉ dùng được một lần. Chưa có gì bị xóa cho đến khi quý khách mở liên kết và xác nhận.",
    erasure_why: "Vì sao đơn hàng được giữ lại:",
    erasure_submit: "Gửi liên kết xóa dữ liệu",
    erasure_signed_in: "Có tài khoản? Đăng nhập để xóa ngay trong trang tài khoản",
    erasure_policy: "Chính sách bảo mật, mục 8: xóa dữ liệu và bản sao lưu",
    check_email_erasure: "Nếu cửa hàng đang giữ dữ liệu gắn với địa chỉ này, chúng tôi đã gửi tới đó một liên kết để xác nhận việc xóa. Liên kết có hiệu lực {minutes} phút và chỉ dùng được một lần. Chưa có gì bị xóa cho đến khi quý khách mở liên kết và xác nhận.",
    erasure_confirm_title: "Xác nhận xóa dữ liệu",
    erasure_confirm_intro: "Khi quý khách bấm nút dưới đây, mọi dữ liệu cá nhân cửa hàng giữ gắn với địa chỉ email đã nhận liên kết này sẽ bị xóa.",
    erasure_confirm_submit: "Xóa vĩnh viễn dữ liệu của tôi",
    erasure_keep: "Đổi ý? Về trang chủ, không có gì bị xóa",
    erased_title: "Đã xóa dữ liệu của quý khách",
    erased_intro: "Mọi thông tin cá nhân cửa hàng giữ gắn với địa chỉ email này đã không thể đọc được nữa, kể cả với chúng tôi.",
    erased_signed_out: "Tài khoản đã bị xóa và mọi thiết bị đã được đăng xuất.",
    erased_none: "Không có đơn hàng nào được đặt bằng địa chỉ này, nên không có gì được giữ lại.",
    erased_one: "{n} đơn hàng được giữ lại làm chứng từ giao dịch, không còn gắn với thông tin nào nhận ra quý khách.",
    erased_many: "{n} đơn hàng được giữ lại làm chứng từ giao dịch, không còn gắn với thông tin nào nhận ra quý khách.",
    erased_email: "Chúng tôi gửi một email cuối cùng tới địa chỉ này để xác nhận những gì đã xóa và những gì được giữ lại.",
    home_link: "Về trang chủ",
    privacy_heading: "Quyền riêng tư",
    consents_link: "Sự đồng ý của tôi",
    data_link: "Dữ liệu của tôi",
};

static EN: AccountTexts = AccountTexts {
    email: "Email",
    password: "Password",
    password_rule: "At least {min} characters; a short sentence is easy to remember.",
    current_password: "Current password",
    new_password: "New password",
    error_summary: "Please correct the following:",
    register_title: "Create an account",
    register_intro: "An account shows every order placed with your email address. We will send a link to confirm the address.",
    register_submit: "Create the account",
    have_account: "Already have an account? Sign in",
    check_email_title: "Please check your email",
    check_email_register: "We have sent an email to the address you entered. Open the link in it to continue.",
    check_email_reset: "If this address has an account, we have sent it a link to reset the password. The link works for {minutes} minutes, once.",
    check_email_spam: "No email after a few minutes? Look in the spam or promotions folder, then try again if needed.",
    verify_title: "Confirm your email address",
    verify_intro: "Enter the password you chose when you registered to confirm the address and sign in.",
    verify_submit: "Confirm and sign in",
    verify_new_link: "Link expired or already used? Register again for a new one",
    sign_in_title: "Sign in",
    sign_in_submit: "Sign in",
    forgot_link: "Forgot your password?",
    no_account: "No account yet? Create one",
    reset_done: "Your password has been changed. Please sign in with the new one.",
    forgot_title: "Forgot your password",
    forgot_intro: "Enter your account's email address. We will send a link to set a new password.",
    forgot_submit: "Send the link",
    reset_title: "Set a new password",
    reset_intro: "Choose a new password for the account. Every device signed in to it will be signed out.",
    reset_submit: "Save the new password",
    reset_new_link: "Link expired or already used? Ask for a new one",
    account_title: "Your account",
    signed_in_as: "Signed in as",
    registered_at: "Registered",
    verified_at: "Email confirmed",
    vietnam_time: "Vietnam time",
    orders_heading: "Orders placed with this address",
    no_orders: "No orders have been placed with this email address yet.",
    order_number: "Order number",
    order_placed: "Placed",
    order_items: "Items",
    order_total: "Total",
    order_status: "Status",
    devices_heading: "Signed-in devices",
    devices_one: "Your account is signed in on {n} device (this one).",
    devices_many: "Your account is signed in on {n} devices, this one included.",
    change_heading: "Change the password",
    change_hint: "Other devices are signed out when the password changes.",
    change_submit: "Change the password",
    changed: "Your password has been changed. Other devices have been signed out.",
    sign_out: "Sign out",
    sign_out_everywhere: "Sign out on every device",
    sign_out_everywhere_hint: "For when you forgot to sign out on someone else's computer, or lost your phone.",
    erase_heading: "Erase the account and your data",
    erase_intro: "The account and every personal detail the shop holds with this email address become unreadable at once, the delivery details of your orders included. The orders stay as transaction records that no longer identify you. This cannot be undone.",
    erase_password_hint: "Enter your password to confirm it is you.",
    erase_submit: "Permanently erase the account and data",
    erase_more: "What is erased, what is kept, and why",
    erase_by_email: "No account? Ask to erase your data by email",
    erasure_title: "Erase your personal data",
    erasure_intro: "You can ask us to erase every personal detail the shop holds with an email address, whether or not it has an account.",
    erasure_what: "Every personal detail held with the address becomes unreadable at once, to the shop too: the account if there is one; the name, phone number, delivery address and note of every order; your consent choices.",
    erasure_kept: "The orders stay as transaction records (items, quantities, amounts, dates, shipping and payment methods), with nothing left that identifies you.",
    erasure_final: "Erasure cannot be undone. A last email to the address confirms what was erased and what was kept.",
    erasure_how: "To be sure the request comes from whoever holds the address, we send it a link that works for {minutes} minutes, once. Nothing is erased until you open the link and confirm.",
    erasure_why: "Why the orders are kept:",
    erasure_submit: "Send the erasure link",
    erasure_signed_in: "Have an account? Sign in to erase it at once from the account page",
    erasure_policy: "Privacy policy, section 8: erasure and backups",
    check_email_erasure: "If the shop holds data with this address, we have sent it a link to confirm the erasure. The link works for {minutes} minutes, once. Nothing is erased until you open it and confirm.",
    erasure_confirm_title: "Confirm the erasure",
    erasure_confirm_intro: "When you press the button below, every personal detail the shop holds with the email address this link was sent to is erased.",
    erasure_confirm_submit: "Permanently erase my data",
    erasure_keep: "Changed your mind? Back to the shop; nothing is erased",
    erased_title: "Your data has been erased",
    erased_intro: "Every personal detail the shop held with this email address is now unreadable, to us too.",
    erased_signed_out: "The account is gone, and every device has been signed out.",
    erased_none: "No orders were placed with this address, so nothing is kept.",
    erased_one: "{n} order is kept as a transaction record, with nothing left that identifies you.",
    erased_many: "{n} orders are kept as transaction records, with nothing left that identifies you.",
    erased_email: "A last email to this address confirms what was erased and what was kept.",
    home_link: "Back to the shop",
    privacy_heading: "Your privacy",
    consents_link: "My consents",
    data_link: "My data",
};

pub(super) fn texts(lang: Lang) -> &'static AccountTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// Form field names, which are also the ids of their inputs.
pub(super) const EMAIL: &str = "email";
const PASSWORD: &str = "password";
const CURRENT_PASSWORD: &str = "current_password";
const NEW_PASSWORD: &str = "new_password";
/// The password asked again to erase the account (its own id: the page has two forms).
const ERASE_PASSWORD: &str = "erase_password";

/// One input of a form.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    /// `email` or `password`.
    pub kind: &'static str,
    pub autocomplete: &'static str,
    /// What the buyer typed; always empty for a password.
    pub value: String,
    pub hint: String,
    pub error: String,
}

impl FieldView {
    fn email(t: &AccountTexts, value: &str) -> FieldView {
        FieldView {
            name: EMAIL,
            label: t.email,
            kind: "email",
            autocomplete: "email",
            value: value.chars().take(MAX_EMAIL_CHARS).collect(),
            hint: String::new(),
            error: String::new(),
        }
    }

    fn password(name: &'static str, label: &'static str, autocomplete: &'static str) -> FieldView {
        FieldView {
            name,
            label,
            kind: "password",
            autocomplete,
            value: String::new(),
            hint: String::new(),
            error: String::new(),
        }
    }

    /// A password being chosen, with the rule it must meet.
    fn new_password(t: &AccountTexts, name: &'static str, label: &'static str) -> FieldView {
        FieldView {
            hint: t
                .password_rule
                .replace("{min}", &hanjinbi_domain::password::MIN_CHARS.to_string()),
            ..FieldView::password(name, label, "new-password")
        }
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if !self.error.is_empty() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

/// A line of the error summary: the message, and the field it is about.
pub struct ErrorLink {
    pub target: &'static str,
    pub message: String,
}

/// A form's failure as the page shows it.
#[derive(Default)]
struct Shown {
    /// A failure about no one field, shown at the top.
    error: String,
    error_links: Vec<ErrorLink>,
}

/// Puts `failure` beside `field` (and in the summary, linking to it), or at the top when
/// it is about no field of this form.
fn show_on(
    fields: &mut [FieldView],
    failure: &Failure,
    field: Option<&'static str>,
    lang: Lang,
) -> Shown {
    let message = failure.message(lang).to_owned();
    match field.and_then(|name| fields.iter_mut().find(|f| f.name == name)) {
        Some(f) => {
            f.error.clone_from(&message);
            Shown {
                error: String::new(),
                error_links: vec![ErrorLink {
                    target: f.name,
                    message,
                }],
            }
        }
        None => Shown {
            error: message,
            error_links: Vec::new(),
        },
    }
}

/// The field of a form a failure is about. `password_field` is where a wrong password is
/// typed; `new_field` where a new one is chosen.
fn field_of(
    failure: &Failure,
    password_field: Option<&'static str>,
    new_field: Option<&'static str>,
) -> Option<&'static str> {
    if failure.code == "wrong_credentials" {
        return password_field;
    }
    match failure.fields.first().copied() {
        Some(EMAIL) => Some(EMAIL),
        Some(PASSWORD) => new_field,
        _ => None,
    }
}

/// A page of one form: register, confirm, sign in, forgot, reset, ask for erasure, confirm
/// erasure.
#[derive(Template)]
#[template(path = "account_form.html")]
pub(super) struct FormPage {
    chrome: Chrome,
    t: &'static AccountTexts,
    title: &'static str,
    intro: &'static str,
    /// What the form does, one point a line, under the intro.
    points: Vec<String>,
    /// Why something is kept (`t.erasure_why`), when the form says so.
    why: String,
    notice: &'static str,
    error: String,
    error_links: Vec<ErrorLink>,
    action: &'static str,
    hidden: Vec<(&'static str, String)>,
    fields: Vec<FieldView>,
    submit: &'static str,
    /// Links under the form: `(href, label)`.
    links: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "account_check_email.html")]
struct CheckEmailPage {
    chrome: Chrome,
    t: &'static AccountTexts,
    message: String,
}

pub struct OrderRow {
    pub number: String,
    pub href: String,
    pub placed: TimeView,
    pub items: i64,
    pub total: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "account_home.html")]
struct AccountPage {
    chrome: Chrome,
    t: &'static AccountTexts,
    email: String,
    registered: TimeView,
    verified: TimeView,
    devices: String,
    orders: Vec<OrderRow>,
    csrf: String,
    notice: &'static str,
    error: String,
    error_links: Vec<ErrorLink>,
    fields: Vec<FieldView>,
    /// The password field of the erasure form.
    erase_fields: Vec<FieldView>,
}

pub(super) use crate::session::no_store;

/// Marks a page whose address holds a single-use token: the referrer (with the token) goes
/// only to this site, never to another (the site's pages load nothing from elsewhere). Not
/// `no-referrer`: browsers then send `Origin: null` with the page's form, which the
/// cross-site check must refuse where `Sec-Fetch-Site` is not sent.
pub(super) fn token_page(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    no_store(response)
}

/// `303 See Other` to a path of ours.
pub(super) fn see_other(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    no_store((StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response())
}

/// Adds a session cookie to a redirect. The cookies here come from `session_cookie` and
/// `clear_session_cookie`: a fixed name, a base64url token, digits and fixed attributes, all
/// visible ASCII, which a header value always holds. Were one ever refused, that is logged as
/// the bug it would be, and the browser is redirected without it (signed out, never signed
/// in as someone else).
fn with_cookie(response: Response, cookie: &str) -> Response {
    let mut response = response;
    match HeaderValue::from_str(cookie) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        Err(e) => tracing::error!(error = %e, "a session cookie is not a valid header value"),
    }
    response
}

/// `303` to `location` with the new session's cookie.
fn signed_in_to(
    app: &AppState,
    ctx: &RequestContext,
    started: &accounts::SignedIn,
    location: &str,
) -> Response {
    // The session started now; the service does not hand out its clock.
    let now = started.started_at;
    let cookie = session_cookie(
        started.token.expose(),
        now,
        started.expires_at,
        secure_cookies(app, ctx.secure),
    );
    with_cookie(see_other(location), &cookie)
}

/// `303` to `location`, removing the session cookie.
fn signed_out_to(app: &AppState, ctx: &RequestContext, location: &str) -> Response {
    with_cookie(
        see_other(location),
        &clear_session_cookie(secure_cookies(app, ctx.secure)),
    )
}

/// The sign-in page for a browser without a live session, coming back to the account after.
fn to_sign_in(app: &AppState, ctx: &RequestContext) -> Response {
    to_sign_in_then(app, ctx, ACCOUNT_PATH)
}

/// The sign-in page for a browser without a live session, coming back to `next` (a path of
/// this site, without a query) after. A session cookie that no longer opens anything is
/// removed.
pub(super) fn to_sign_in_then(app: &AppState, ctx: &RequestContext, next: &str) -> Response {
    let mut location = format!("{SIGN_IN_PATH}?next={next}");
    if ctx.lang_chosen {
        location.push_str("&lang=");
        location.push_str(ctx.lang.code());
    }
    if ctx.cookie(SESSION_COOKIE).is_some() {
        signed_out_to(app, ctx, &location)
    } else {
        see_other(&location)
    }
}

/// Where a sign-in goes next: a path of this site, never another site's address.
fn next_path(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with('/')
                && path.len() <= MAX_NEXT_CHARS
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            same_site_path(path)
        }
        _ => ACCOUNT_PATH.to_owned(),
    }
}

pub(super) fn token_of(raw: Option<&str>) -> String {
    raw.unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_TOKEN_CHARS)
        .collect()
}

/// The form pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Register,
    Verify,
    SignIn,
    Forgot,
    Reset,
    /// Asking for an erasure link.
    Erasure,
    /// Confirming an erasure with the link's token.
    EraseConfirm,
}

impl Form {
    /// Where a wrong password is typed, and where a new one is chosen.
    fn password_fields(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Form::Register | Form::Reset => (None, Some(PASSWORD)),
            Form::Verify | Form::SignIn => (Some(PASSWORD), None),
            Form::Forgot | Form::Erasure | Form::EraseConfirm => (None, None),
        }
    }
}

pub(super) fn form_page(app: &AppState, ctx: &RequestContext, form: Form) -> FormPage {
    let t = texts(ctx.lang);
    let (title, intro, action, fields, submit, links) = match form {
        Form::Register => (
            t.register_title,
            t.register_intro,
            "/tai-khoan/dang-ky",
            vec![
                FieldView::email(t, ""),
                FieldView::new_password(t, PASSWORD, t.password),
            ],
            t.register_submit,
            vec![(SIGN_IN_PATH, t.have_account)],
        ),
        Form::Verify => (
            t.verify_title,
            t.verify_intro,
            "/tai-khoan/xac-nhan",
            vec![FieldView::password(
                PASSWORD,
                t.password,
                "current-password",
            )],
            t.verify_submit,
            vec![("/tai-khoan/dang-ky", t.verify_new_link)],
        ),
        Form::SignIn => (
            t.sign_in_title,
            "",
            SIGN_IN_PATH,
            vec![
                FieldView::email(t, ""),
                FieldView::password(PASSWORD, t.password, "current-password"),
            ],
            t.sign_in_submit,
            vec![
                ("/tai-khoan/quen-mat-khau", t.forgot_link),
                ("/tai-khoan/dang-ky", t.no_account),
                (ERASURE_PATH, t.erase_by_email),
            ],
        ),
        Form::Forgot => (
            t.forgot_title,
            t.forgot_intro,
            "/tai-khoan/quen-mat-khau",
            vec![FieldView::email(t, "")],
            t.forgot_submit,
            vec![(SIGN_IN_PATH, t.sign_in_title)],
        ),
        Form::Reset => (
            t.reset_title,
            t.reset_intro,
            "/tai-khoan/dat-lai-mat-khau",
            vec![FieldView::new_password(t, PASSWORD, t.new_password)],
            t.reset_submit,
            vec![("/tai-khoan/quen-mat-khau", t.reset_new_link)],
        ),
        Form::Erasure => (
            t.erasure_title,
            t.erasure_intro,
            ERASURE_PATH,
            vec![FieldView::email(t, "")],
            t.erasure_submit,
            vec![
                (ACCOUNT_PATH, t.erasure_signed_in),
                (erasure_policy_path(ctx.lang), t.erasure_policy),
            ],
        ),
        Form::EraseConfirm => (
            t.erasure_confirm_title,
            t.erasure_confirm_intro,
            ERASURE_CONFIRM_PATH,
            Vec::new(),
            t.erasure_confirm_submit,
            vec![
                (ERASURE_PATH, t.reset_new_link),
                ("/", t.erasure_keep),
                (erasure_policy_path(ctx.lang), t.erasure_policy),
            ],
        ),
    };
    let (points, why) = match form {
        Form::Erasure | Form::EraseConfirm => erasure_explained(app, form, ctx.lang),
        _ => (Vec::new(), String::new()),
    };
    FormPage {
        chrome: Chrome::new(&app.shop, ctx),
        t,
        title,
        intro,
        points,
        why,
        notice: "",
        error: String::new(),
        error_links: Vec::new(),
        action,
        hidden: Vec::new(),
        fields,
        submit,
        links,
    }
}

impl FormPage {
    pub(super) fn with_email(mut self, typed: &str) -> FormPage {
        if let Some(f) = self.fields.iter_mut().find(|f| f.name == EMAIL) {
            f.value = typed.chars().take(MAX_EMAIL_CHARS).collect();
        }
        self
    }

    pub(super) fn with_hidden(mut self, name: &'static str, value: String) -> FormPage {
        self.hidden.push((name, value));
        self
    }
}

/// The form again, with `failure` shown and its status (and `Retry-After`). A failure on our
/// side is an error page, not a form.
pub(super) fn form_failed(
    mut page: FormPage,
    form: Form,
    failure: Failure,
    ctx: &RequestContext,
) -> Result<Response, PageError> {
    if failure.status.is_server_error() {
        return Err(PageError(failure));
    }
    let (password_field, new_field) = form.password_fields();
    let field = field_of(&failure, password_field, new_field);
    let shown = show_on(&mut page.fields, &failure, field, ctx.lang);
    page.error = shown.error;
    page.error_links = shown.error_links;
    let mut response = html(&page, ctx)?;
    *response.status_mut() = failure.status;
    set_retry_after(&mut response, &failure);
    Ok(no_store(response))
}

pub(super) fn field<'a>(form: &'a FormBody, name: &str) -> &'a str {
    form.params.get(name).unwrap_or_default()
}

// ---- Registering ----

pub async fn register_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    Ok(no_store(html(
        &form_page(&app, &ctx, Form::Register),
        &ctx,
    )?))
}

pub async fn register(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let email = field(&form, EMAIL);
    let sent = app
        .services
        .accounts
        .register(email, field(&form, PASSWORD), ctx.lang, client.ip());
    email_sent(&app, &ctx, Form::Register, email, "dang-ky", sent).await
}

/// Answers a form that emails a link to the address typed (registration, reset, erasure):
/// no sooner than [`ACCOUNT_REQUEST_ANSWER_AFTER`] whatever the address, then "check your
/// email" (`after` says which words), or the form again with the reason and the address.
pub(super) async fn email_sent(
    app: &AppState,
    ctx: &RequestContext,
    form: Form,
    email: &str,
    after: &str,
    work: impl std::future::Future<Output = Result<(), AccountError>>,
) -> Result<Response, PageError> {
    match answer_no_sooner_than(ACCOUNT_REQUEST_ANSWER_AFTER, work).await {
        Ok(()) => {
            app.services.notifier.wake();
            Ok(see_other(&format!("{CHECK_EMAIL_PATH}?sau={after}")))
        }
        Err(e) => form_failed(
            form_page(app, ctx, form).with_email(email),
            form,
            e.into(),
            ctx,
        ),
    }
}

/// "Check your email": the same words whatever happened to the address.
pub async fn check_email(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let t = texts(ctx.lang);
    let message = match ctx.params.get("sau") {
        Some("quen-mat-khau") => t
            .check_email_reset
            .replace("{minutes}", &(RESET_LINK_SECS / 60).to_string()),
        Some("xoa-du-lieu") => t
            .check_email_erasure
            .replace("{minutes}", &(ERASURE_LINK_SECS / 60).to_string()),
        _ => t.check_email_register.to_owned(),
    };
    let page = CheckEmailPage {
        chrome: Chrome::new(&app.shop, &ctx),
        t,
        message,
    };
    Ok(no_store(html(&page, &ctx)?))
}

// ---- Confirming the address ----

pub async fn verify_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let token = token_of(ctx.params.get("token"));
    let page = form_page(&app, &ctx, Form::Verify).with_hidden("token", token);
    Ok(token_page(html(&page, &ctx)?))
}

pub async fn verify(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let token = token_of(form.params.get("token"));
    match app
        .services
        .accounts
        .verify(
            &token,
            field(&form, PASSWORD),
            SessionKind::Cookie,
            client.ip(),
        )
        .await
    {
        Ok(started) => {
            // The session this browser held before, if any, ends: the new one replaces it.
            if let Some(old) = ctx.cookie(SESSION_COOKIE) {
                if let Err(error) = app.services.accounts.sign_out(old).await {
                    tracing::warn!(%error, "ending the session replaced by a verification");
                }
            }
            Ok(signed_in_to(&app, &ctx, &started, ACCOUNT_PATH))
        }
        Err(e) => form_failed(
            form_page(&app, &ctx, Form::Verify).with_hidden("token", token),
            Form::Verify,
            e.into(),
            &ctx,
        )
        .map(token_page),
    }
}

// ---- Signing in and out ----

pub async fn sign_in_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let mut page =
        form_page(&app, &ctx, Form::SignIn).with_hidden("next", next_path(ctx.params.get("next")));
    if ctx.params.get("reset") == Some("1") {
        page.notice = page.t.reset_done;
    }
    Ok(no_store(html(&page, &ctx)?))
}

pub async fn sign_in(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let email = field(&form, EMAIL);
    let next = next_path(form.params.get("next"));
    match app
        .services
        .accounts
        .sign_in(
            email,
            field(&form, PASSWORD),
            SessionKind::Cookie,
            ctx.cookie(SESSION_COOKIE),
            client.ip(),
        )
        .await
    {
        Ok(started) => Ok(signed_in_to(&app, &ctx, &started, &next)),
        Err(e) => form_failed(
            form_page(&app, &ctx, Form::SignIn)
                .with_email(email)
                .with_hidden("next", next),
            Form::SignIn,
            e.into(),
            &ctx,
        ),
    }
}

pub async fn sign_out(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    form: FormBody,
) -> Result<Response, PageError> {
    if let Some(signed) = signed_in_from(&app, &headers).await? {
        if let Err(refused) = signed.check_form(form.params.get("csrf")) {
            return account_page(&app, &ctx, &signed, "", Some((refused, None))).await;
        }
        app.services.accounts.sign_out(&signed.token).await?;
    }
    Ok(signed_out_to(&app, &ctx, "/"))
}

pub async fn sign_out_everywhere(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    form: FormBody,
) -> Result<Response, PageError> {
    if let Some(signed) = signed_in_from(&app, &headers).await? {
        if let Err(refused) = signed.check_form(form.params.get("csrf")) {
            return account_page(&app, &ctx, &signed, "", Some((refused, None))).await;
        }
        app.services
            .accounts
            .sign_out_everywhere(&signed.session)
            .await?;
    }
    Ok(signed_out_to(&app, &ctx, SIGN_IN_PATH))
}

// ---- The account ----

pub async fn home(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in(&app, &ctx));
    };
    let notice = if ctx.params.get("changed") == Some("1") {
        texts(ctx.lang).changed
    } else {
        ""
    };
    account_page(&app, &ctx, &signed, notice, None).await
}

pub async fn change_password(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    form: FormBody,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in(&app, &ctx));
    };
    if let Err(refused) = signed.check_form(form.params.get("csrf")) {
        return account_page(&app, &ctx, &signed, "", Some((refused, None))).await;
    }
    match app
        .services
        .accounts
        .change_password(
            &signed.session,
            field(&form, CURRENT_PASSWORD),
            field(&form, NEW_PASSWORD),
            SessionKind::Cookie,
            client.ip(),
        )
        .await
    {
        Ok(started) => Ok(signed_in_to(
            &app,
            &ctx,
            &started,
            &format!("{ACCOUNT_PATH}?changed=1"),
        )),
        Err(e) => {
            let failure = Failure::from(e);
            let at = field_of(&failure, Some(CURRENT_PASSWORD), Some(NEW_PASSWORD));
            account_page(&app, &ctx, &signed, "", Some((failure, at))).await
        }
    }
}

/// Erases the account and every record made with its address, with the password again; the
/// browser is signed out and shown what was kept.
pub async fn erase(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    headers: HeaderMap,
    form: FormBody,
) -> Result<Response, PageError> {
    let Some(signed) = signed_in_from(&app, &headers).await? else {
        return Ok(to_sign_in(&app, &ctx));
    };
    if let Err(refused) = signed.check_form(form.params.get("csrf")) {
        return account_page(&app, &ctx, &signed, "", Some((refused, None))).await;
    }
    match app
        .services
        .erasures
        .erase_account(&signed.session, field(&form, ERASE_PASSWORD), client.ip())
        .await
    {
        Ok(done) => {
            app.services.notifier.wake();
            let page = erased_page(&app, &ctx, done.orders_kept, true)?;
            Ok(with_cookie(
                page,
                &clear_session_cookie(secure_cookies(&app, ctx.secure)),
            ))
        }
        // Another request of this session erased the account a moment ago.
        Err(AccountError::NotSignedIn) => Ok(to_sign_in(&app, &ctx)),
        Err(e) => {
            let failure = Failure::from(e);
            let at = field_of(&failure, Some(ERASE_PASSWORD), None);
            account_page(&app, &ctx, &signed, "", Some((failure, at))).await
        }
    }
}

/// The account page, with `problem` (a failure, and the field of the password form it is
/// about) shown and its status.
async fn account_page(
    app: &AppState,
    ctx: &RequestContext,
    signed: &SignedIn,
    notice: &'static str,
    problem: Option<(Failure, Option<&'static str>)>,
) -> Result<Response, PageError> {
    if let Some((failure, _)) = &problem {
        if failure.status.is_server_error() {
            return Err(PageError(failure.clone()));
        }
    }
    let lang = ctx.lang;
    let t = texts(lang);
    let accounts = &app.services.accounts;
    let overview = accounts.overview(&signed.session).await?;
    let mut fields = vec![
        FieldView::password(CURRENT_PASSWORD, t.current_password, "current-password"),
        FieldView::new_password(t, NEW_PASSWORD, t.new_password),
    ];
    let mut erase_fields = vec![FieldView {
        hint: t.erase_password_hint.to_owned(),
        ..FieldView::password(ERASE_PASSWORD, t.password, "current-password")
    }];
    let shown = problem
        .as_ref()
        .map(|(failure, at)| {
            // Beside the field of whichever form it is about; at the top otherwise.
            let form = if at.is_some_and(|name| erase_fields.iter().any(|f| f.name == name)) {
                &mut erase_fields
            } else {
                &mut fields
            };
            show_on(form, failure, *at, lang)
        })
        .unwrap_or_default();
    let devices = if overview.sessions == 1 {
        t.devices_one
    } else {
        t.devices_many
    };
    let page = AccountPage {
        chrome: Chrome::new(&app.shop, ctx),
        t,
        email: overview.email.expose().to_owned(),
        registered: TimeView::at(overview.created_at),
        verified: TimeView::at(overview.verified_at),
        devices: devices.replace("{n}", &overview.sessions.to_string()),
        orders: overview
            .orders
            .iter()
            .map(|o| OrderRow {
                href: href(
                    &format!("/don-hang/{}", o.number),
                    &[("token", &accounts.order_token(o))],
                ),
                number: o.number.clone(),
                placed: TimeView::at(o.placed_at),
                items: o.items,
                total: Dong(o.total).to_string(),
                status: OrderStatus::parse(&o.status)
                    .map_or_else(|| o.status.clone(), |s| s.label(lang).to_owned()),
            })
            .collect(),
        csrf: signed.form_token(),
        notice,
        error: shown.error,
        error_links: shown.error_links,
        fields,
        erase_fields,
    };
    let mut response = html(&page, ctx)?;
    if let Some((failure, _)) = &problem {
        *response.status_mut() = failure.status;
        set_retry_after(&mut response, failure);
    }
    Ok(no_store(response))
}

// ---- Resetting the password ----

pub async fn forgot_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    Ok(no_store(html(&form_page(&app, &ctx, Form::Forgot), &ctx)?))
}

pub async fn forgot(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let email = field(&form, EMAIL);
    let sent = app.services.accounts.request_reset(email, client.ip());
    email_sent(&app, &ctx, Form::Forgot, email, "quen-mat-khau", sent).await
}

pub async fn reset_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let token = token_of(ctx.params.get("token"));
    let page = form_page(&app, &ctx, Form::Reset).with_hidden("token", token);
    Ok(token_page(html(&page, &ctx)?))
}

pub async fn reset(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let token = token_of(form.params.get("token"));
    match app
        .services
        .accounts
        .confirm_reset(&token, field(&form, PASSWORD))
        .await
    {
        Ok(()) => Ok(see_other(&format!("{SIGN_IN_PATH}?reset=1"))),
        Err(e) => form_failed(
            form_page(&app, &ctx, Form::Reset).with_hidden("token", token),
            Form::Reset,
            e.into(),
            &ctx,
        )
        .map(token_page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hanjinbi_services::accounts::AccountError;

    #[test]
    fn sign_in_goes_on_only_to_paths_of_this_site() {
        assert_eq!(next_path(Some("/gio-hang")), "/gio-hang");
        assert_eq!(
            next_path(Some("/tai-khoan?changed=1")),
            "/tai-khoan?changed=1"
        );
        assert_eq!(next_path(Some("//evil.example/x")), "/evil.example/x");
        assert_eq!(next_path(Some("/\\evil.example")), "/evil.example");
        for refused in [
            "https://evil.example/",
            "evil.example",
            "",
            "/a b",
            "/a\r\nSet-Cookie: x=1",
            "/áo",
        ] {
            assert_eq!(next_path(Some(refused)), ACCOUNT_PATH, "{refused:?}");
        }
        assert_eq!(
            next_path(Some(&format!("/{}", "a".repeat(600)))),
            ACCOUNT_PATH
        );
        assert_eq!(next_path(None), ACCOUNT_PATH);
    }

    #[test]
    fn failures_land_beside_the_field_they_are_about() {
        let weak = Failure::from(AccountError::WeakPassword(
            hanjinbi_domain::password::PasswordError::Common,
        ));
        let wrong = Failure::from(AccountError::WrongCredentials);
        let email = Failure::from(AccountError::NotAnEmail);
        let used = Failure::from(AccountError::LinkUsed);
        let (password, new) = Form::Register.password_fields();
        assert_eq!(field_of(&weak, password, new), Some(PASSWORD));
        assert_eq!(field_of(&email, password, new), Some(EMAIL));
        let (password, new) = Form::SignIn.password_fields();
        assert_eq!(field_of(&wrong, password, new), Some(PASSWORD));
        assert_eq!(field_of(&used, password, new), None);
        assert_eq!(
            field_of(&weak, Some(CURRENT_PASSWORD), Some(NEW_PASSWORD)),
            Some(NEW_PASSWORD)
        );
        assert_eq!(
            field_of(&wrong, Some(CURRENT_PASSWORD), Some(NEW_PASSWORD)),
            Some(CURRENT_PASSWORD)
        );
    }

    #[test]
    fn the_password_rule_states_the_least_length_in_both_languages() {
        for t in [&VI, &EN] {
            let field = FieldView::new_password(t, PASSWORD, t.password);
            assert!(field
                .hint
                .contains(&hanjinbi_domain::password::MIN_CHARS.to_string()));
            assert!(!field.hint.contains('{'));
            assert_eq!(field.described_by(), "password-hint");
        }
    }
}
