//! What went wrong, in words for people and a code for programs. One [`Failure`] is rendered
//! as an HTML page for the storefront ([`PageError`]) or as `application/problem+json`
//! (RFC 9457) for the API ([`ApiError`]).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use hanjinbi_domain::catalog::IdentifierError;
use hanjinbi_domain::paging::PagingError;
use hanjinbi_domain::search::SearchQueryError;
use hanjinbi_domain::Lang;
use hanjinbi_services::{CartError, CatalogError};
use std::borrow::Cow;

/// A failure with a stable machine code and a message in each language.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub vi: Cow<'static, str>,
    pub en: Cow<'static, str>,
    /// The input fields at fault, when the failure is about a form or body.
    pub fields: Vec<&'static str>,
    /// Cookies to remove with this answer (a cookie that can only ever fail again).
    pub clear_cookies: &'static [&'static str],
    /// What the client can do about it, for the few failures that say (boxed: most have
    /// nothing to say, and every `Result` carrying a failure stays small).
    pub recourse: Option<Box<Recourse>>,
}

/// How a client may get past a failure.
#[derive(Debug, Clone, Default)]
pub struct Recourse {
    /// Seconds until trying again can succeed: sent as `Retry-After`, on pages and in the API.
    pub retry_after_secs: Option<u64>,
    /// Wrong codes still accepted (code_wrong): a problem+json extension member.
    pub tries_left: Option<i64>,
}

impl Failure {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        vi: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Failure {
        Failure {
            status,
            code,
            vi: vi.into(),
            en: en.into(),
            fields: Vec::new(),
            clear_cookies: &[],
            recourse: None,
        }
    }

    /// This failure, telling the client to wait `secs` before trying again.
    pub fn retry_after(mut self, secs: i64) -> Failure {
        self.recourse.get_or_insert_default().retry_after_secs = Some(secs.max(1).unsigned_abs());
        self
    }

    /// This failure, telling the client how many more codes it may try.
    pub fn tries_left(mut self, tries: i64) -> Failure {
        self.recourse.get_or_insert_default().tries_left = Some(tries);
        self
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        self.recourse.as_ref().and_then(|r| r.retry_after_secs)
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }

    pub fn not_found() -> Failure {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Không tìm thấy trang hoặc tài nguyên quý khách yêu cầu.",
            "The page or resource you asked for does not exist.",
        )
    }

    pub fn bad_request(
        code: &'static str,
        vi: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, code, vi, en)
    }

    /// Something broke on our side. The cause goes to the log, never to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Failure {
        tracing::error!(%cause, "request failed");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút.",
            "Something went wrong on our side. Please try again in a few minutes.",
        )
    }

    /// A client that made too many writes; it may try again after `retry_after_secs`.
    pub fn too_many_requests(retry_after_secs: u64) -> Failure {
        let secs = retry_after_secs.max(1);
        Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("Quý khách gửi quá nhiều yêu cầu. Vui lòng thử lại sau {secs} giây."),
            format!("Too many requests. Please try again in {secs} seconds."),
        )
    }

    /// A request body that did not arrive in time.
    pub fn body_timeout() -> Failure {
        Failure::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "Dữ liệu gửi lên đến quá chậm nên yêu cầu đã bị dừng.",
            "The request body arrived too slowly, so the request was stopped.",
        )
    }

    pub fn unavailable() -> Failure {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Cơ sở dữ liệu tạm thời không phản hồi.",
            "The database is not answering right now.",
        )
    }
}

impl From<PagingError> for Failure {
    fn from(e: PagingError) -> Failure {
        match e {
            PagingError::Page => Failure::bad_request(
                "invalid_page",
                "Số trang phải là số nguyên từ 1 đến 10000.",
                e.to_string(),
            ),
            PagingError::PerPage => Failure::bad_request(
                "invalid_per_page",
                "Số sản phẩm mỗi trang phải là số nguyên từ 1 đến 100.",
                e.to_string(),
            ),
            PagingError::Sort => Failure::bad_request(
                "invalid_sort",
                "Cách sắp xếp phải là một trong: featured, price_asc, price_desc, newest, relevance.",
                e.to_string(),
            ),
        }
    }
}

impl From<SearchQueryError> for Failure {
    fn from(e: SearchQueryError) -> Failure {
        match e {
            SearchQueryError::TooLong => Failure::bad_request(
                "query_too_long",
                format!(
                    "Từ khóa tìm kiếm quá dài (tối đa {} ký tự).",
                    hanjinbi_domain::search::MAX_QUERY_CHARS
                ),
                e.to_string(),
            ),
        }
    }
}

impl From<IdentifierError> for Failure {
    fn from(e: IdentifierError) -> Failure {
        match e {
            IdentifierError::Slug => Failure::not_found(),
            IdentifierError::Sku => {
                Failure::bad_request("invalid_sku", "Mã hàng (SKU) không hợp lệ.", e.to_string())
            }
            IdentifierError::Quantity => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_quantity",
                "Số lượng phải là số nguyên từ 1 đến 999.",
                e.to_string(),
            ),
        }
    }
}

impl From<CatalogError> for Failure {
    fn from(e: CatalogError) -> Failure {
        match e {
            CatalogError::UnknownCategory => Failure::new(
                StatusCode::NOT_FOUND,
                "unknown_category",
                "Không có danh mục này.",
                "There is no such category.",
            ),
            CatalogError::Store(e) => store_failure(&e),
        }
    }
}

impl From<CartError> for Failure {
    fn from(e: CartError) -> Failure {
        match e {
            CartError::UnknownCart => Failure::new(
                StatusCode::NOT_FOUND,
                "unknown_cart",
                "Không tìm thấy giỏ hàng.",
                "There is no such cart.",
            ),
            CartError::WrongToken => Failure::new(
                StatusCode::FORBIDDEN,
                "cart_token_invalid",
                "Mã truy cập giỏ hàng không đúng.",
                "The cart token does not match this cart.",
            ),
            CartError::UnknownSku => Failure::new(
                StatusCode::NOT_FOUND,
                "unknown_sku",
                "Không có sản phẩm nào mang mã hàng này.",
                "No product has this SKU.",
            ),
            CartError::NotInCart => Failure::new(
                StatusCode::NOT_FOUND,
                "not_in_cart",
                "Giỏ hàng không có sản phẩm này.",
                "This cart has no line with that SKU.",
            ),
            CartError::NotEnoughStock { available } => Failure::new(
                StatusCode::CONFLICT,
                "not_enough_stock",
                format!("Không đủ hàng: chỉ còn {available} sản phẩm."),
                format!("Not enough stock: only {available} left."),
            ),
            CartError::TooMany { max } => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_quantity",
                format!("Mỗi sản phẩm được đặt tối đa {max} chiếc trong một đơn hàng."),
                format!("An order holds at most {max} units of each item."),
            ),
            CartError::TooManyCarts { retry_after_secs } => {
                let minutes = (retry_after_secs + 59) / 60;
                Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_carts",
                    format!("Quá nhiều giỏ hàng mới từ địa chỉ này. Vui lòng thử lại sau {minutes} phút."),
                    format!("Too many new carts from this address. Please try again in {minutes} minutes."),
                )
                .retry_after(retry_after_secs)
            }
            CartError::Store(e) => store_failure(&e),
        }
    }
}

impl From<hanjinbi_services::checkout::CheckoutError> for Failure {
    fn from(e: hanjinbi_services::checkout::CheckoutError) -> Failure {
        use hanjinbi_services::checkout::CheckoutError;
        match e {
            CheckoutError::Invalid(fields) => {
                let mut f = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_checkout",
                    "Một số thông tin chưa hợp lệ. Vui lòng kiểm tra các ô được đánh dấu.",
                    "Some details are not valid. Please check the marked fields.",
                );
                f.fields = fields.iter().map(|c| c.code()).collect();
                f
            }
            CheckoutError::EmptyCart => Failure::new(
                StatusCode::CONFLICT,
                "empty_cart",
                "Giỏ hàng đang trống.",
                "The cart is empty.",
            ),
            CheckoutError::TotalChanged { total } => Failure::new(
                StatusCode::CONFLICT,
                "cart_changed",
                format!("Giá hoặc số lượng trong giỏ đã thay đổi; tạm tính mới là {total}. Vui lòng xem lại giỏ hàng."),
                format!("Prices or quantities in the cart changed; the subtotal is now {total}. Please review the cart."),
            ),
            CheckoutError::OutOfStock { sku, available } => Failure::new(
                StatusCode::CONFLICT,
                "out_of_stock",
                format!("Sản phẩm {sku} không đủ hàng (còn {available}). Vui lòng giảm số lượng trong giỏ."),
                format!("{sku} is out of stock ({available} left). Please lower the quantity in your cart."),
            ),
            CheckoutError::LineTooLarge { sku, max } => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "line_too_large",
                format!("Sản phẩm {sku}: mỗi đơn hàng tối đa {max} chiếc. Vui lòng giảm số lượng trong giỏ."),
                format!("{sku}: an order holds at most {max} units. Please lower the quantity in your cart."),
            ),
            CheckoutError::CashOnDeliveryTooLarge { max, total } => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cash_on_delivery_too_large",
                format!("Thanh toán khi nhận hàng chỉ áp dụng cho đơn đến {max}; đơn này là {total}. Vui lòng chọn chuyển khoản hoặc bớt sản phẩm."),
                format!("Cash on delivery is for orders up to {max}; this one is {total}. Please pay by bank transfer or order less."),
            ),
            CheckoutError::AmountTooLarge => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_too_large",
                "Giá trị đơn hàng quá lớn. Vui lòng bớt sản phẩm.",
                "The order's amount is too large. Please order less.",
            ),
            CheckoutError::IdempotencyKeyReused => Failure::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "Mã Idempotency-Key này đã được dùng cho một yêu cầu khác. Hãy dùng mã mới cho đơn hàng mới.",
                "This Idempotency-Key was already used with a different request. Use a new key for a new order.",
            ),
            CheckoutError::Cart(e) => e.into(),
            other => Failure::internal(&other),
        }
    }
}

/// `secs` as the lookup's messages name a moment: Vietnam's time, `25/11/2026 18:39`, or,
/// for a moment no calendar holds, the wait in minutes.
fn moment(secs: i64, wait_secs: i64) -> (String, String) {
    match hanjinbi_domain::clock_text::vietnam_time(secs) {
        Some(at) => (
            format!("từ {at} (giờ Việt Nam)"),
            format!("from {at} (Vietnam time)"),
        ),
        None => {
            let minutes = (wait_secs + 59) / 60;
            (
                format!("sau {minutes} phút"),
                format!("in {minutes} minutes"),
            )
        }
    }
}

impl From<hanjinbi_services::orders::OrderError> for Failure {
    fn from(e: hanjinbi_services::orders::OrderError) -> Failure {
        use hanjinbi_services::orders::{OrderError, CODE_LIFETIME_SECS};
        match e {
            OrderError::NoMatch => Failure::new(
                StatusCode::NOT_FOUND,
                "order_not_found",
                "Không tìm thấy đơn hàng khớp với thông tin này.",
                "No order matches these details.",
            ),
            OrderError::NotAnOrderNumber => {
                let mut f = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_order_number",
                    "Mã đơn hàng gồm chữ HJ và 10 chữ cái hoặc chữ số, ví dụ HJ7K3M9QX2AB. Vui lòng kiểm tra lại.",
                    "An order number is HJ and 10 letters or digits, e.g. HJ7K3M9QX2AB. Please check it.",
                );
                f.fields = vec!["number"];
                f
            }
            OrderError::NotAContact => {
                let mut f = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_contact",
                    "Vui lòng nhập email hoặc số điện thoại Việt Nam đã dùng khi đặt hàng.",
                    "Please enter the email address or Vietnamese phone number used for the order.",
                );
                f.fields = vec!["contact"];
                f
            }
            OrderError::NotACode => {
                let mut f = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_code",
                    "Mã tra cứu gồm 6 chữ số, như trong email chúng tôi gửi.",
                    "A lookup code is 6 digits, as in the email we sent.",
                );
                f.fields = vec!["code"];
                f
            }
            OrderError::WrongCode { tries_left } => {
                let mut f = if tries_left > 0 {
                    Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "code_wrong",
                        format!("Mã không đúng. Quý khách còn {tries_left} lần thử."),
                        format!(
                            "That code is not right. You have {tries_left} {} left.",
                            if tries_left == 1 { "try" } else { "tries" }
                        ),
                    )
                } else {
                    Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "code_wrong",
                        "Mã không đúng, và đó là lần thử cuối. Vui lòng yêu cầu mã mới.",
                        "That code is not right, and that was the last try. Please ask for a new code.",
                    )
                };
                f.fields = vec!["code"];
                f.tries_left(tries_left)
            }
            OrderError::CodeExpired => {
                let minutes = CODE_LIFETIME_SECS / 60;
                Failure::new(
                    StatusCode::GONE,
                    "code_expired",
                    format!("Mã này đã hết hạn (mỗi mã có hiệu lực {minutes} phút). Vui lòng yêu cầu mã mới."),
                    format!("This code has expired (each code works for {minutes} minutes). Please ask for a new one."),
                )
            }
            OrderError::CodeAlreadyUsed => Failure::new(
                StatusCode::GONE,
                "code_already_used",
                "Mã này đã được dùng (mỗi mã chỉ dùng được một lần). Vui lòng yêu cầu mã mới.",
                "This code was already used (each code works once). Please ask for a new one.",
            ),
            OrderError::CodeTriesUsedUp => Failure::new(
                StatusCode::GONE,
                "code_tries_used_up",
                "Đã nhập sai quá nhiều lần với mã này. Vui lòng yêu cầu mã mới.",
                "Too many wrong codes were tried with this code. Please ask for a new one.",
            ),
            OrderError::CodeRequestedTooSoon {
                retry_at,
                retry_after_secs,
            } => {
                let (vi, en) = moment(retry_at, retry_after_secs);
                Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "code_requested_too_soon",
                    format!("Quý khách vừa yêu cầu mã với đúng thông tin này. Nếu thông tin khớp với một đơn hàng, mã đã được gửi tới email của đơn hàng đó. Có thể yêu cầu mã mới {vi}."),
                    format!("A code was just asked for with these same details. If they match an order, the code is in that order's mailbox. A new code can be asked for {en}."),
                )
                .retry_after(retry_after_secs)
            }
            OrderError::LockedOut {
                until,
                retry_after_secs,
            } => {
                let (vi, en) = moment(until, retry_after_secs);
                Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "lookup_locked",
                    format!("Quá nhiều lần thử. Quý khách có thể thử lại {vi}, hoặc dùng đường dẫn trong email xác nhận đơn hàng."),
                    format!("Too many attempts. You can try again {en}, or use the link in the order confirmation email."),
                )
                .retry_after(retry_after_secs)
            }
            OrderError::TooManyViews => Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_views",
                "Đơn hàng này được mở quá nhiều lần trong một phút. Vui lòng thử lại sau ít phút.",
                "This order was opened too often in the last minute. Please try again shortly.",
            )
            .retry_after(60),
            OrderError::Gate(hanjinbi_privacy::gate::GateError::Limited(_)) => processing_limited(),
            other => Failure::internal(&other),
        }
    }
}

fn store_failure(e: &hanjinbi_store::StoreError) -> Failure {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "database unavailable");
        Failure::unavailable()
    } else {
        Failure::internal(e)
    }
}

/// A storefront failure. Rendered into a full page by the `pages::render_failures` layer,
/// which knows the shop and the visitor's language.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.0.status.into_response();
        // `render_failures` keeps this header on the page it renders.
        set_retry_after(&mut response, &self.0);
        for name in self.0.clear_cookies {
            let cleared = format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
            if let Ok(value) = axum::http::HeaderValue::from_str(&cleared) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response.extensions_mut().insert(self.0);
        response
    }
}

/// An API failure as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError {
    pub failure: Failure,
    pub lang: Lang,
}

impl ApiError {
    pub fn new(failure: impl Into<Failure>, lang: Lang) -> ApiError {
        ApiError {
            failure: failure.into(),
            lang,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.failure, self.lang)
    }
}

/// An API failure as RFC 9457 describes it, with the shop's stable `code`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// A URI naming the kind of problem.
    r#type: String,
    /// The HTTP status's reason phrase.
    title: &'a str,
    status: u16,
    /// For people, in the language Accept-Language asks for. Never repeats submitted values.
    detail: &'a str,
    /// Stable machine code, e.g. not_found, invalid_page, invalid_quantity, not_enough_stock,
    /// cart_token_missing, cart_token_invalid, malformed_json, invalid_body,
    /// unsupported_media_type, body_too_large.
    code: &'a str,
    /// The input fields at fault (invalid_checkout, invalid_order_number, invalid_code,
    /// code_wrong).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Option<Vec<String>>)]
    fields: &'a [&'static str],
    /// Wrong codes still accepted before a new code must be asked for (code_wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    tries_left: Option<i64>,
}

/// `Retry-After` from the failure, when it says how long to wait.
pub fn set_retry_after(response: &mut Response, failure: &Failure) {
    if let Some(secs) = failure.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
}

pub fn problem_response(failure: &Failure, lang: Lang) -> Response {
    let body = Problem {
        r#type: format!(
            "https://www.hanjinbi.com/problems/{}",
            failure.code.replace('_', "-")
        ),
        title: failure.status.canonical_reason().unwrap_or("Error"),
        status: failure.status.as_u16(),
        detail: failure.message(lang),
        code: failure.code,
        fields: &failure.fields,
        tries_left: failure.recourse.as_ref().and_then(|r| r.tries_left),
    };
    match serde_json::to_string(&body) {
        Ok(json) => {
            let mut response = (
                failure.status,
                [(header::CONTENT_TYPE, "application/problem+json")],
                json,
            )
                .into_response();
            set_retry_after(&mut response, failure);
            response
        }
        // Strings and numbers always serialise; this arm only keeps the function total.
        Err(_) => failure.status.into_response(),
    }
}

/// A request body that could not be read: too large, or cut off.
pub fn body_failure(status: StatusCode) -> Failure {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "Dữ liệu gửi lên quá lớn (tối đa 1 MiB).",
            "The request body is too large (at most 1 MiB).",
        )
    } else {
        Failure::bad_request(
            "unreadable_body",
            "Không đọc được dữ liệu gửi lên.",
            "The request body could not be read.",
        )
    }
}

impl From<hanjinbi_services::accounts::AccountError> for Failure {
    fn from(e: hanjinbi_services::accounts::AccountError) -> Failure {
        use hanjinbi_domain::password::{PasswordError, MAX_CHARS, MIN_CHARS};
        use hanjinbi_services::accounts::AccountError;
        let with_field = |mut f: Failure, field: &'static str| {
            f.fields = vec![field];
            f
        };
        match e {
            AccountError::NotAnEmail => with_field(
                Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_email",
                    "Địa chỉ email chưa đúng, ví dụ: ten@gmail.com.",
                    "This is not an email address; for example: name@gmail.com.",
                ),
                "email",
            ),
            AccountError::WeakPassword(rule) => {
                let (vi, en): (Cow<'static, str>, Cow<'static, str>) = match rule {
                    PasswordError::TooShort { .. } => (
                        format!("Mật khẩu cần ít nhất {MIN_CHARS} ký tự.").into(),
                        format!("The password needs at least {MIN_CHARS} characters.").into(),
                    ),
                    PasswordError::TooLong { .. } => (
                        format!("Mật khẩu dài tối đa {MAX_CHARS} ký tự.").into(),
                        format!("The password may have at most {MAX_CHARS} characters.").into(),
                    ),
                    PasswordError::Common => (
                        "Mật khẩu này quá phổ biến, rất dễ bị đoán. Hãy chọn mật khẩu khác, ví dụ một câu ngắn chỉ quý khách biết.".into(),
                        "This password is too common and easy to guess. Please choose another, for example a short sentence only you know.".into(),
                    ),
                    PasswordError::ControlCharacter => (
                        "Mật khẩu có ký tự điều khiển (như xuống dòng, tab). Hãy bỏ chúng đi.".into(),
                        "The password contains control characters (such as a line break or a tab). Please remove them.".into(),
                    ),
                    PasswordError::SameAsEmail => (
                        "Mật khẩu không được trùng với địa chỉ email.".into(),
                        "The password must not be the email address.".into(),
                    ),
                    PasswordError::OneCharacterRepeated => (
                        "Mật khẩu không được chỉ gồm một ký tự lặp lại.".into(),
                        "The password must not be one character repeated.".into(),
                    ),
                };
                with_field(
                    Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", vi, en),
                    "password",
                )
            }
            AccountError::WrongCredentials => Failure::new(
                StatusCode::UNAUTHORIZED,
                "wrong_credentials",
                "Email hoặc mật khẩu chưa đúng.",
                "The email address or the password is wrong.",
            ),
            AccountError::NotVerified => Failure::new(
                StatusCode::FORBIDDEN,
                "email_not_verified",
                "Địa chỉ email chưa được xác nhận. Hãy mở liên kết trong email chúng tôi đã gửi, hoặc đăng ký lại để nhận liên kết mới.",
                "The email address is not confirmed yet. Open the link in the email we sent, or register again for a new link.",
            ),
            AccountError::LinkInvalid => Failure::new(
                StatusCode::NOT_FOUND,
                "link_invalid",
                "Liên kết không hợp lệ. Hãy kiểm tra lại địa chỉ trong email, hoặc yêu cầu liên kết mới.",
                "This link is not valid. Check the address in the email, or ask for a new link.",
            ),
            AccountError::LinkExpired => Failure::new(
                StatusCode::GONE,
                "link_expired",
                "Liên kết đã hết hạn. Vui lòng yêu cầu liên kết mới.",
                "This link has expired. Please ask for a new one.",
            ),
            AccountError::LinkUsed => Failure::new(
                StatusCode::GONE,
                "link_used",
                "Liên kết đã được dùng. Mỗi liên kết chỉ dùng được một lần.",
                "This link was already used. Each link works only once.",
            ),
            AccountError::Throttled(refused) => {
                let secs = refused.retry_after_secs;
                Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("Quá nhiều lần thử. Vui lòng thử lại sau {secs} giây."),
                    format!("Too many attempts. Please try again in {secs} seconds."),
                )
                .retry_after(i64::try_from(secs).unwrap_or(i64::MAX))
            }
            AccountError::NotSignedIn => Failure::new(
                StatusCode::UNAUTHORIZED,
                "not_signed_in",
                "Quý khách chưa đăng nhập, hoặc phiên đăng nhập đã kết thúc.",
                "You are not signed in, or your session has ended.",
            ),
            AccountError::Gate(hanjinbi_privacy::gate::GateError::Limited(_)) => {
                processing_limited()
            }
            other => Failure::internal(&other),
        }
    }
}

/// The buyer's own objection or restriction keeps the gate from opening what was asked for:
/// the buyer's doing, not the shop's failure.
pub fn processing_limited() -> Failure {
    Failure::new(
        StatusCode::CONFLICT,
        "processing_limited",
        "Quý khách đã phản đối hoặc yêu cầu hạn chế việc dùng dữ liệu của mình cho mục đích này, nên cửa hàng không mở dữ liệu đó. Quý khách có thể gỡ bỏ trong tài khoản của mình.",
        "You have objected to or restricted the use of your data for this purpose, so the shop does not open it. You can lift this in your account.",
    )
}

impl From<hanjinbi_services::consents::ConsentError> for Failure {
    fn from(e: hanjinbi_services::consents::ConsentError) -> Failure {
        use hanjinbi_privacy::records::RecordError;
        use hanjinbi_services::consents::ConsentError;
        match e {
            ConsentError::UnknownPurpose => Failure::new(
                StatusCode::NOT_FOUND,
                "unknown_purpose",
                "Chính sách bảo mật không có mục đích xử lý này.",
                "The privacy policy has no such purpose.",
            ),
            ConsentError::NotAConsentPurpose(_) => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_consent_purpose",
                "Mục đích này không dựa trên sự đồng ý, nên không có gì để đồng ý hay rút lại. Quý khách có thể phản đối hoặc yêu cầu hạn chế nó.",
                "This purpose does not rest on consent, so there is nothing to grant or withdraw. You can object to it or restrict it instead.",
            ),
            ConsentError::CannotBeLimited(_) => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cannot_be_limited",
                "Pháp luật buộc cửa hàng xử lý dữ liệu cho mục đích này, nên không thể phản đối hay hạn chế nó.",
                "The law requires the shop to process data for this purpose, so it cannot be objected to or restricted.",
            ),
            // The account stopped being a verified account's session between the two reads.
            ConsentError::Record(RecordError::NotAnAccountHolder) => {
                hanjinbi_services::accounts::AccountError::NotSignedIn.into()
            }
            ConsentError::Store(e) | ConsentError::Record(RecordError::Store(e)) => {
                store_failure(&e)
            }
            other => Failure::internal(&other),
        }
    }
}

impl From<hanjinbi_services::export::ExportError> for Failure {
    fn from(e: hanjinbi_services::export::ExportError) -> Failure {
        use hanjinbi_privacy::gate::GateError;
        use hanjinbi_services::export::ExportError;
        match e {
            ExportError::Store(e) | ExportError::Gate(GateError::Store(e)) => store_failure(&e),
            // The buyer objected to or restricted answering their requests: the gate opens
            // nothing for it until they lift that.
            ExportError::Gate(GateError::Limited(_)) => Failure::new(
                StatusCode::CONFLICT,
                "processing_limited",
                "Quý khách đã phản đối hoặc yêu cầu hạn chế việc xử lý dữ liệu để trả lời yêu cầu, nên cửa hàng không mở dữ liệu để xuất. Hãy bỏ phản đối hoặc hạn chế đó rồi thử lại.",
                "You objected to or restricted processing your data to answer your requests, so the shop opens nothing to export. Lift that objection or restriction and try again.",
            ),
            other => Failure::internal(&other),
        }
    }
}
