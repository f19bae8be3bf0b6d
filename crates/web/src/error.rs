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
    pub clear_cookies: Vec<&'static str>,
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
            clear_cookies: Vec::new(),
        }
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

impl From<hanjinbi_services::orders::OrderError> for Failure {
    fn from(e: hanjinbi_services::orders::OrderError) -> Failure {
        use hanjinbi_services::orders::OrderError;
        match e {
            OrderError::NoMatch => Failure::new(
                StatusCode::NOT_FOUND,
                "order_not_found",
                "Không tìm thấy đơn hàng khớp với thông tin này.",
                "No order matches these details.",
            ),
            OrderError::CodeSpent => Failure::new(
                StatusCode::GONE,
                "code_spent",
                "Mã đã hết hạn hoặc đã nhập sai quá nhiều lần. Vui lòng yêu cầu mã mới.",
                "The code has expired or was mistyped too often. Please ask for a new one.",
            ),
            OrderError::LockedOut {
                retry_after_secs, ..
            } => {
                let minutes = (retry_after_secs + 59) / 60;
                Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "lookup_locked",
                    format!("Quá nhiều lần thử. Vui lòng thử lại sau {minutes} phút, hoặc dùng đường dẫn trong email xác nhận đơn hàng."),
                    format!("Too many attempts. Please try again in {minutes} minutes, or use the link in the order confirmation email."),
                )
            }
            OrderError::TooManyViews => Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_views",
                "Đơn hàng này được mở quá nhiều lần trong một phút. Vui lòng thử lại sau ít phút.",
                "This order was opened too often in the last minute. Please try again shortly.",
            ),
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
        for name in &self.0.clear_cookies {
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
    /// The input fields at fault (invalid_checkout).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Option<Vec<String>>)]
    fields: &'a [&'static str],
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
    };
    match serde_json::to_string(&body) {
        Ok(json) => (
            failure.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            json,
        )
            .into_response(),
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
