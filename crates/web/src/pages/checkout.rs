//! The checkout page: the form that collects exactly what payment and delivery need, the
//! optional consents (unticked), and the order placement.

use super::cart::current_cart;
use super::html;
use crate::context::{PageContext, RequestContext};
use crate::error::{Failure, PageError};
use crate::form::FormBody;
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hanjinbi_domain::address::provinces_for_pickers;
use hanjinbi_domain::order::{PaymentMethod, ShippingMethod};
use hanjinbi_domain::{Dong, Lang};
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_services::checkout::{CheckoutError, CheckoutField, CheckoutRequest};
use hanjinbi_services::CartAccess;

pub struct CheckoutTexts {
    pub title: &'static str,
    pub contact: &'static str,
    pub why: &'static str,
    pub privacy_link: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub address: &'static str,
    pub province: &'static str,
    pub choose_province: &'static str,
    pub find_province: &'static str,
    pub find_ward: &'static str,
    pub show_wards: &'static str,
    pub ward: &'static str,
    pub choose_ward: &'static str,
    pub street: &'static str,
    pub shipping: &'static str,
    pub payment: &'static str,
    pub note: &'static str,
    pub consents: &'static str,
    pub consents_hint: &'static str,
    pub policy_version: &'static str,
    pub place_order: &'static str,
    pub summary: &'static str,
    pub subtotal: &'static str,
    pub shipping_fee: &'static str,
    pub total: &'static str,
    pub update_total: &'static str,
    pub error_summary: &'static str,
}

static VI: CheckoutTexts = CheckoutTexts {
    title: "Thanh toán",
    contact: "Thông tin liên hệ",
    why: "Chúng tôi chỉ hỏi những gì cần để thanh toán và giao hàng.",
    privacy_link: "Chính sách bảo mật",
    email: "Email",
    name: "Họ và tên",
    phone: "Số điện thoại",
    address: "Địa chỉ giao hàng",
    province: "Tỉnh/thành phố",
    choose_province: "— Chọn tỉnh/thành phố —",
    find_province: "Gõ để tìm tỉnh/thành phố",
    find_ward: "Gõ để tìm phường/xã",
    show_wards: "Hiện danh sách phường/xã",
    ward: "Phường/xã/đặc khu",
    choose_ward: "— Chọn phường/xã —",
    street: "Số nhà, tên đường, thôn/xóm",
    shipping: "Vận chuyển",
    payment: "Thanh toán",
    note: "Ghi chú cho đơn hàng (không bắt buộc)",
    consents: "Tùy chọn (không bắt buộc)",
    consents_hint: "Quý khách vẫn mua hàng bình thường dù không chọn ô nào, và có thể rút lại sự đồng ý bất cứ lúc nào bằng cách liên hệ với cửa hàng qua email hoặc đường dây nóng.",
    policy_version: "Phiên bản chính sách",
    place_order: "Đặt hàng",
    summary: "Đơn hàng của quý khách",
    subtotal: "Tạm tính",
    shipping_fee: "Phí vận chuyển",
    total: "Tổng thanh toán",
    update_total: "Cập nhật tổng tiền",
    error_summary: "Vui lòng sửa các mục sau:",
};

static EN: CheckoutTexts = CheckoutTexts {
    title: "Checkout",
    contact: "Contact details",
    why: "We only ask for what payment and delivery need.",
    privacy_link: "Privacy policy",
    email: "Email",
    name: "Full name",
    phone: "Phone number",
    address: "Delivery address",
    province: "Province/city",
    choose_province: "— Choose a province or city —",
    find_province: "Type to find a province or city",
    find_ward: "Type to find a ward",
    show_wards: "Show the wards",
    ward: "Ward/commune/special zone",
    choose_ward: "— Choose a ward —",
    street: "House number, street, hamlet",
    shipping: "Delivery",
    payment: "Payment",
    note: "Note for the order (optional)",
    consents: "Options (not required)",
    consents_hint: "You can buy without ticking any box, and withdraw consent at any time by contacting the shop by email or hotline.",
    policy_version: "Policy version",
    place_order: "Place order",
    summary: "Your order",
    subtotal: "Subtotal",
    shipping_fee: "Delivery",
    total: "Total to pay",
    update_total: "Update the total",
    error_summary: "Please correct the following:",
};

fn field_error(field: CheckoutField, lang: Lang) -> &'static str {
    let vi = lang == Lang::Vi;
    match field {
        CheckoutField::Email => {
            if vi {
                "Email chưa đúng, ví dụ: ten@gmail.com"
            } else {
                "Enter an email address like name@example.com"
            }
        }
        CheckoutField::Name => {
            if vi {
                "Vui lòng nhập họ và tên (2–100 chữ cái nhìn thấy được, không chứa ký tự ẩn hay ký tự đổi chiều văn bản)."
            } else {
                "Enter your full name (2–100 visible letters, no hidden or text-direction characters)."
            }
        }
        CheckoutField::Phone => {
            if vi {
                "Số điện thoại Việt Nam chưa đúng, ví dụ: 0912 345 678."
            } else {
                "Enter a Vietnamese phone number, e.g. 0912 345 678."
            }
        }
        CheckoutField::Province => {
            if vi {
                "Vui lòng chọn tỉnh/thành phố."
            } else {
                "Choose a province or city."
            }
        }
        CheckoutField::Ward => {
            if vi {
                "Vui lòng chọn phường/xã thuộc tỉnh/thành phố đã chọn."
            } else {
                "Choose a ward of the chosen province."
            }
        }
        CheckoutField::Street => {
            if vi {
                "Vui lòng nhập số nhà, tên đường (5–200 ký tự nhìn thấy được, không chứa ký tự ẩn hay ký tự đổi chiều văn bản)."
            } else {
                "Enter the house number and street (5–200 visible characters, no hidden or text-direction characters)."
            }
        }
        CheckoutField::Shipping => {
            if vi {
                "Vui lòng chọn cách vận chuyển."
            } else {
                "Choose a delivery method."
            }
        }
        CheckoutField::Payment => {
            if vi {
                "Vui lòng chọn cách thanh toán."
            } else {
                "Choose a payment method."
            }
        }
        CheckoutField::Note => {
            if vi {
                "Ghi chú tối đa 500 ký tự."
            } else {
                "The note is at most 500 characters."
            }
        }
        CheckoutField::IdempotencyKey => {
            if vi {
                "Biểu mẫu đã cũ, vui lòng tải lại trang."
            } else {
                "The form is out of date; please reload the page."
            }
        }
    }
}

pub struct InputField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub max: usize,
    pub value: String,
    pub error: &'static str,
}

pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

pub struct MethodChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub price: String,
    /// The order's total with this method, for the summary to show when it is picked.
    pub total: String,
    pub checked: bool,
}

/// A line of the error summary: the message, and the field it is about.
pub struct ErrorLink {
    pub target: &'static str,
    pub message: &'static str,
}

pub struct ConsentBox {
    pub name: &'static str,
    pub wording: String,
    pub checked: bool,
}

pub struct LineSummary {
    pub name: String,
    pub variant: String,
    pub quantity: i64,
    pub total: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    chrome: Chrome,
    t: &'static CheckoutTexts,
    error: String,
    idempotency_key: String,
    expected_subtotal: i64,
    privacy_href: &'static str,
    policy_version: String,
    contact_fields: Vec<InputField>,
    provinces: Vec<Choice>,
    wards: Vec<Choice>,
    province_error: &'static str,
    ward_error: &'static str,
    line: String,
    line_error: &'static str,
    shipping: Vec<MethodChoice>,
    payment: Vec<MethodChoice>,
    note: String,
    note_error: &'static str,
    consents: Vec<ConsentBox>,
    lines: Vec<LineSummary>,
    subtotal: String,
    shipping_fee: String,
    total: String,
    error_links: Vec<ErrorLink>,
}

/// The form as the buyer filled it, kept when the page comes back with errors.
#[derive(Default)]
struct Typed {
    email: String,
    name: String,
    phone: String,
    province_code: String,
    ward_code: String,
    line: String,
    shipping_method: String,
    payment_method: String,
    note: String,
    marketing: bool,
    suggestions: bool,
    idempotency_key: String,
}

impl Typed {
    fn from_form(form: &FormBody) -> Typed {
        let get = |n: &str| form.params.get(n).unwrap_or_default().to_owned();
        Typed {
            email: get("email"),
            name: get("name"),
            phone: get("phone"),
            province_code: get("province_code"),
            ward_code: get("ward_code"),
            line: get("line"),
            shipping_method: get("shipping_method"),
            payment_method: get("payment_method"),
            note: get("note"),
            marketing: form.params.get("marketing").is_some(),
            suggestions: form.params.get("suggestions").is_some(),
            idempotency_key: get("idempotency_key"),
        }
    }
}

/// A fresh key per form, so a double submission of the same form places one order.
fn random_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn render(
    app: &AppState,
    ctx: &RequestContext,
    access: &CartAccess,
    typed: &Typed,
    problem: Option<(String, Vec<CheckoutField>)>,
) -> Result<Response, PageError> {
    let cart = app.services.carts.view(access).await?;
    if cart.is_empty() {
        return Ok(to_cart());
    }
    let lang = ctx.lang;
    let t = match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    };
    let (message, bad) = problem.unwrap_or_default();
    let error_of = |f: CheckoutField| {
        if bad.contains(&f) {
            field_error(f, lang)
        } else {
            ""
        }
    };
    let field = |name, label, kind, autocomplete, max, value: &str, f| InputField {
        name,
        label,
        kind,
        autocomplete,
        max,
        value: value.to_owned(),
        error: error_of(f),
    };
    let policy = app.services.gate.policy();
    let fees = app.services.checkout.fees();
    let shipping_choice =
        ShippingMethod::parse(&typed.shipping_method).unwrap_or(ShippingMethod::Standard);
    let payment_choice =
        PaymentMethod::parse(&typed.payment_method).unwrap_or(PaymentMethod::CashOnDelivery);
    let province = hanjinbi_domain::address::province(typed.province_code.trim());
    let subtotal = cart.subtotal();
    let page = CheckoutPage {
        t,
        error: message,
        idempotency_key: if typed.idempotency_key.is_empty() {
            random_key()
        } else {
            typed.idempotency_key.clone()
        },
        expected_subtotal: subtotal.amount(),
        privacy_href: if lang == Lang::Vi {
            "/chinh-sach-bao-mat"
        } else {
            "/privacy"
        },
        policy_version: policy.version().to_owned(),
        contact_fields: vec![
            field(
                "email",
                t.email,
                "email",
                "email",
                254,
                &typed.email,
                CheckoutField::Email,
            ),
            field(
                "name",
                t.name,
                "text",
                "name",
                100,
                &typed.name,
                CheckoutField::Name,
            ),
            field(
                "phone",
                t.phone,
                "tel",
                "tel",
                32,
                &typed.phone,
                CheckoutField::Phone,
            ),
        ],
        provinces: provinces_for_pickers()
            .iter()
            .map(|p| Choice {
                code: p.code.clone(),
                name: p.name.clone(),
                selected: Some(p.code.as_str()) == province.map(|x| x.code.as_str()),
            })
            .collect(),
        wards: province
            .map(|p| {
                p.wards_for_pickers()
                    .iter()
                    .map(|w| Choice {
                        code: w.code.clone(),
                        name: w.name.clone(),
                        selected: w.code == typed.ward_code.trim(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        province_error: error_of(CheckoutField::Province),
        ward_error: error_of(CheckoutField::Ward),
        line: typed.line.clone(),
        line_error: error_of(CheckoutField::Street),
        shipping: ShippingMethod::ALL
            .into_iter()
            .map(|m| MethodChoice {
                code: m.code(),
                label: m.label(lang),
                price: fees.fee(m).to_string(),
                total: total_text(subtotal, fees.fee(m)),
                checked: m == shipping_choice,
            })
            .collect(),
        payment: app
            .services
            .checkout
            .payment_methods()
            .into_iter()
            .map(|m| MethodChoice {
                code: m.code(),
                label: m.label(lang),
                price: String::new(),
                total: String::new(),
                checked: m == payment_choice,
            })
            .collect(),
        note: typed.note.clone(),
        note_error: error_of(CheckoutField::Note),
        consents: [
            (PurposeId::Marketing, "marketing", typed.marketing),
            (PurposeId::Suggestions, "suggestions", typed.suggestions),
        ]
        .into_iter()
        .filter_map(|(purpose, name, checked)| {
            policy
                .purpose(purpose)
                .consent_wording()
                .map(|w| ConsentBox {
                    name,
                    wording: w.get(lang.into()).to_owned(),
                    checked,
                })
        })
        .collect(),
        lines: cart
            .lines
            .iter()
            .map(|l| LineSummary {
                name: l.name.get(lang).to_owned(),
                variant: super::catalog::variant_label(&l.size, l.color.get(lang)),
                quantity: l.quantity,
                total: l.line_total().to_string(),
            })
            .collect(),
        subtotal: subtotal.to_string(),
        shipping_fee: fees.fee(shipping_choice).to_string(),
        total: total_text(subtotal, fees.fee(shipping_choice)),
        error_links: bad
            .iter()
            .map(|&f| ErrorLink {
                target: field_target(f),
                message: field_error(f, lang),
            })
            .collect(),
        chrome: Chrome::new(&app.shop, ctx),
    };
    let mut response = html(&page, ctx)?;
    if !bad.is_empty() || !page.error.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// What the buyer will pay: the subtotal and the delivery fee. A sum too large to compute
/// is refused when the order is placed; until then the summary says so rather than guess.
fn total_text(subtotal: Dong, fee: Dong) -> String {
    subtotal
        .checked_add(fee)
        .map_or_else(|| "—".to_owned(), |total| total.to_string())
}

/// The element an error summary's link moves to: the field itself, or the first choice of a
/// group of radio buttons.
fn field_target(field: CheckoutField) -> &'static str {
    match field {
        CheckoutField::Shipping => "ship-standard",
        CheckoutField::Payment => "pay-cash_on_delivery",
        CheckoutField::IdempotencyKey => "form-error",
        other => other.code(),
    }
}

fn to_cart() -> Response {
    Redirect::to("/gio-hang").into_response()
}

pub async fn show(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    match current_cart(&app, &ctx).await? {
        Some(access) => render(&app, &ctx, &access, &Typed::default(), None).await,
        None => Ok(to_cart()),
    }
}

pub async fn submit(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let Some(access) = current_cart(&app, &ctx).await? else {
        return Ok(to_cart());
    };
    let typed = Typed::from_form(&form);
    if form.params.get("action") == Some("update") {
        return render(&app, &ctx, &access, &typed, None).await;
    }
    let request = CheckoutRequest {
        email: typed.email.clone(),
        name: typed.name.clone(),
        phone: typed.phone.clone(),
        province_code: typed.province_code.clone(),
        ward_code: typed.ward_code.clone(),
        line: typed.line.clone(),
        shipping_method: typed.shipping_method.clone(),
        payment_method: typed.payment_method.clone(),
        note: typed.note.clone(),
        marketing: typed.marketing,
        suggestions: typed.suggestions,
        expected_subtotal: form
            .params
            .get("expected_subtotal")
            .and_then(|v| v.trim().parse().ok()),
        idempotency_key: Some(typed.idempotency_key.clone()).filter(|k| !k.is_empty()),
        lang: ctx.lang,
        channel: "web",
    };
    match app.services.checkout.place(&access, &request).await {
        Ok(placed) => {
            app.services.notifier.wake();
            let mut response = Redirect::to(&format!(
                "/don-hang/{}?token={}&placed=1",
                placed.number, placed.token
            ))
            .into_response();
            // The order took every line of the cart.
            crate::cart_count::set_empty(&mut response, ctx.secure);
            Ok(response)
        }
        Err(CheckoutError::Invalid(fields)) => {
            let failure = Failure::from(CheckoutError::Invalid(fields.clone()));
            render(
                &app,
                &ctx,
                &access,
                &typed,
                Some((failure.message(ctx.lang).to_owned(), fields)),
            )
            .await
        }
        Err(e @ (CheckoutError::TotalChanged { .. } | CheckoutError::OutOfStock { .. })) => {
            let failure = Failure::from(e);
            render(
                &app,
                &ctx,
                &access,
                &typed,
                Some((failure.message(ctx.lang).to_owned(), Vec::new())),
            )
            .await
        }
        Err(CheckoutError::EmptyCart) => Ok(to_cart()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_links_point_at_the_ids_the_template_gives_the_first_choices() {
        // checkout.html names radio buttons `ship-{code}` and `pay-{code}`.
        assert_eq!(
            field_target(CheckoutField::Shipping),
            format!("ship-{}", ShippingMethod::ALL[0].code())
        );
        assert_eq!(
            field_target(CheckoutField::Payment),
            format!("pay-{}", PaymentMethod::ALL[0].code())
        );
        // Cash on delivery, the first payment choice, is offered in every shop.
        assert_eq!(PaymentMethod::ALL[0], PaymentMethod::CashOnDelivery);
        assert_eq!(field_target(CheckoutField::Email), "email");
    }
}
