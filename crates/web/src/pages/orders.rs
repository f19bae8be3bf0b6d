//! A guest's order: the page behind the confirmation link, and looking an order up with its
//! number and either the secret token or a one-time code sent to the buyer.

use super::html;
use crate::context::{href, PageContext};
use crate::error::{set_retry_after, Failure, PageError};
use crate::form::FormBody;
use crate::timing::{answer_no_sooner_than, CODE_REQUEST_ANSWER_AFTER};
use crate::views::{product_href, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hanjinbi_domain::clock_text::{vietnam_time, vietnam_time_machine};
use hanjinbi_domain::order::{OrderStatus, PaymentMethod};
use hanjinbi_domain::Lang;
use hanjinbi_services::orders::OrderError;
use std::net::SocketAddr;

pub struct OrderTexts {
    pub title: &'static str,
    pub placed_heading: &'static str,
    pub placed_body: &'static str,
    pub progress: &'static str,
    pub step_done: &'static str,
    pub step_current: &'static str,
    pub transfer_heading: &'static str,
    pub transfer_intro: &'static str,
    pub transfer_scan: &'static str,
    pub transfer_qr_label: &'static str,
    pub transfer_bank: &'static str,
    pub transfer_account: &'static str,
    pub transfer_holder: &'static str,
    pub transfer_amount: &'static str,
    pub transfer_reference: &'static str,
    pub transfer_once: &'static str,
    pub transfer_unavailable: &'static str,
    pub status: &'static str,
    pub thanks: &'static str,
    pub product: &'static str,
    pub unit_price: &'static str,
    pub quantity: &'static str,
    pub line_total: &'static str,
    pub subtotal: &'static str,
    pub shipping_fee: &'static str,
    pub total: &'static str,
    pub recipient: &'static str,
    pub delivery_erased: &'static str,
    pub phone: &'static str,
    pub address: &'static str,
    pub shipping: &'static str,
    pub payment: &'static str,
    pub note: &'static str,
    pub history: &'static str,
    pub keep_link: &'static str,
}

static VI: OrderTexts = OrderTexts {
    title: "Đơn hàng",
    placed_heading: "Đặt hàng thành công",
    placed_body: "Mã đơn hàng của quý khách là",
    progress: "Tiến trình đơn hàng",
    step_done: "đã xong",
    step_current: "hiện tại",
    transfer_heading: "Thanh toán bằng chuyển khoản",
    transfer_intro: "Vui lòng chuyển đúng số tiền dưới đây, với mã đơn hàng làm nội dung chuyển khoản, để cửa hàng đối chiếu khoản chuyển với đơn hàng.",
    transfer_scan: "Quét mã bằng ứng dụng ngân hàng: số tài khoản, số tiền và nội dung được điền sẵn.",
    transfer_qr_label: "Mã VietQR chuyển khoản cho đơn hàng",
    transfer_bank: "Ngân hàng",
    transfer_account: "Số tài khoản",
    transfer_holder: "Chủ tài khoản",
    transfer_amount: "Số tiền",
    transfer_reference: "Nội dung chuyển khoản",
    transfer_once: "Nếu quý khách đã chuyển khoản cho đơn hàng này, xin đừng chuyển lại.",
    transfer_unavailable: "Cửa hàng hiện không nhận chuyển khoản. Vui lòng liên hệ đường dây nóng để thanh toán đơn hàng này.",
    status: "Trạng thái",
    thanks:
        "Cảm ơn quý khách đã mua sắm. Email xác nhận đã được gửi đến địa chỉ quý khách cung cấp.",
    product: "Sản phẩm",
    unit_price: "Đơn giá",
    quantity: "Số lượng",
    line_total: "Thành tiền",
    subtotal: "Tạm tính",
    shipping_fee: "Phí giao hàng",
    total: "Tổng cộng",
    recipient: "Người nhận",
    delivery_erased: "Thông tin giao hàng của đơn này đã được xóa theo yêu cầu của người mua; đơn hàng được giữ lại làm chứng từ giao dịch.",
    phone: "Điện thoại",
    address: "Địa chỉ",
    shipping: "Vận chuyển",
    payment: "Thanh toán",
    note: "Ghi chú",
    history: "Lịch sử đơn hàng",
    keep_link: "Giữ lại đường dẫn trong email xác nhận để xem đơn hàng sau này.",
};

static EN: OrderTexts = OrderTexts {
    title: "Order",
    placed_heading: "Your order has been placed",
    placed_body: "Your order number is",
    progress: "Order progress",
    step_done: "done",
    step_current: "current",
    transfer_heading: "Paying by bank transfer",
    transfer_intro: "Please transfer exactly the amount below, with the order number as the transfer's reference, so that we can match your payment to the order.",
    transfer_scan: "Scan the code with your banking app: the account, amount and reference are filled in for you.",
    transfer_qr_label: "VietQR transfer code for order",
    transfer_bank: "Bank",
    transfer_account: "Account number",
    transfer_holder: "Account holder",
    transfer_amount: "Amount",
    transfer_reference: "Transfer reference",
    transfer_once: "If you have already paid for this order, please do not transfer again.",
    transfer_unavailable: "The shop does not take bank transfers at the moment. Please call the hotline to pay for this order.",
    status: "Status",
    thanks: "Thank you for shopping with us. A confirmation email is on its way to the address you gave.",
    product: "Product",
    unit_price: "Unit price",
    quantity: "Quantity",
    line_total: "Line total",
    subtotal: "Subtotal",
    shipping_fee: "Delivery",
    total: "Total",
    recipient: "Recipient",
    delivery_erased: "The delivery details of this order were erased at the buyer's request; the order is kept as a transaction record.",
    phone: "Phone",
    address: "Address",
    shipping: "Delivery method",
    payment: "Payment",
    note: "Note",
    history: "Order history",
    keep_link: "Keep the link in the confirmation email to see this order later.",
};

pub struct LineView {
    pub href: String,
    pub name: String,
    pub variant: String,
    pub unit_price: String,
    pub quantity: i64,
    pub total: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    chrome: Chrome,
    t: &'static OrderTexts,
    number: String,
    status: &'static str,
    lines: Vec<LineView>,
    subtotal: String,
    shipping_fee: String,
    total: String,
    /// The buyer's data was erased: no delivery details to show.
    erased: bool,
    recipient: String,
    phone: String,
    address: String,
    shipping: &'static str,
    payment: &'static str,
    note: String,
    /// Arrived straight from placing the order: say so first.
    just_placed: bool,
    /// How to pay an order waiting for its bank transfer.
    transfer: Option<TransferView>,
    /// The order waits for a transfer the shop can no longer describe (its bank account was
    /// removed from the settings).
    transfer_unavailable: bool,
    steps: Vec<Step>,
    history: Vec<HistoryView>,
}

/// The transfer code's width on the page, in CSS pixels: large enough for a phone camera
/// across a desk, small enough to sit beside the details on a computer.
const QR_WIDTH: std::num::NonZeroU32 = match std::num::NonZeroU32::new(240) {
    Some(width) => width,
    // Evaluated at compile time: 240 is not zero, so this arm cannot be reached.
    None => panic!("the QR width is not zero"),
};

/// What a buyer paying by transfer needs, and the VietQR code holding it.
pub struct TransferView {
    pub bank: String,
    pub account: String,
    pub holder: String,
    pub amount: String,
    pub reference: String,
    /// The code as inline SVG, drawn by the VietQR crate with its label escaped.
    pub qr_svg: String,
}

/// One step of the order's progress.
pub struct Step {
    pub label: &'static str,
    /// `done`, `current` or `todo`: the step's class, and whether it carries a time.
    pub state: &'static str,
    pub at: Option<TimeView>,
}

/// A moment as shoppers read it, with its machine form for `<time datetime>`.
pub struct TimeView {
    pub text: String,
    pub machine: String,
}

impl TimeView {
    pub fn at(secs: i64) -> TimeView {
        TimeView {
            text: vietnam_time(secs).unwrap_or_else(|| secs.to_string()),
            machine: vietnam_time_machine(secs).unwrap_or_default(),
        }
    }
}

pub struct HistoryView {
    pub label: &'static str,
    pub at: TimeView,
}

/// The path an order takes when all goes well.
const PROGRESS: [OrderStatus; 4] = [
    OrderStatus::Placed,
    OrderStatus::Confirmed,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
];

/// The order's progress as steps: on the usual path, the steps passed, the current one and
/// those to come; for a cancelled or returned order, the steps it went through and where it
/// ended, with nothing promised after.
fn progress_steps(status: OrderStatus, history: &[(OrderStatus, i64)], lang: Lang) -> Vec<Step> {
    let reached = |s: OrderStatus| {
        history
            .iter()
            .rev()
            .find(|(h, _)| *h == s)
            .map(|(_, at)| *at)
    };
    match PROGRESS.iter().position(|&s| s == status) {
        Some(now) => PROGRESS
            .iter()
            .enumerate()
            .map(|(i, &s)| Step {
                label: s.label(lang),
                state: match i.cmp(&now) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "todo",
                },
                at: (i <= now).then(|| reached(s)).flatten().map(TimeView::at),
            })
            .collect(),
        None => {
            let mut steps: Vec<Step> = PROGRESS
                .iter()
                .filter_map(|&s| {
                    reached(s).map(|at| Step {
                        label: s.label(lang),
                        state: "done",
                        at: Some(TimeView::at(at)),
                    })
                })
                .collect();
            steps.push(Step {
                label: status.label(lang),
                state: "current",
                at: reached(status).map(TimeView::at),
            });
            steps
        }
    }
}

/// Seconds since the epoch as an ISO 8601 UTC time.
pub fn iso_time(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub async fn show(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let number = path.map(|Path(n)| n).map_err(|_| Failure::not_found())?;
    let token = ctx.params.get("token").unwrap_or_default();
    let order = app.services.orders.view(&number, token).await?;
    let lang = ctx.lang;
    let t = if lang == Lang::Vi { &VI } else { &EN };
    // Instructions stay up while the order waits to be confirmed; afterwards they could
    // only invite a second payment.
    let awaiting_transfer =
        order.payment_method == PaymentMethod::BankTransfer && order.status == OrderStatus::Placed;
    let transfer = match app.services.checkout.bank_account() {
        Some(bank) if awaiting_transfer => {
            let pay = bank
                .instructions(&order.number, order.total)
                .map_err(|e| Failure::internal(&e))?;
            let label = format!("{} {}", t.transfer_qr_label, order.number);
            Some(TransferView {
                qr_svg: pay
                    .qr_svg(QR_WIDTH, &label)
                    .map_err(|e| Failure::internal(&e))?,
                bank: pay.bank_name,
                account: pay.account,
                holder: pay.holder,
                amount: pay.amount.to_string(),
                reference: pay.reference,
            })
        }
        _ => None,
    };
    let page = OrderPage {
        t,
        transfer_unavailable: awaiting_transfer && transfer.is_none(),
        transfer,
        number: order.number,
        status: order.status.label(lang),
        lines: order
            .lines
            .iter()
            .map(|l| LineView {
                href: product_href(&l.product_slug),
                name: l.name_in(lang).to_owned(),
                variant: l.variant_in(lang).to_owned(),
                unit_price: l.unit_price.to_string(),
                quantity: l.quantity,
                total: l.line_total.to_string(),
            })
            .collect(),
        subtotal: order.subtotal.to_string(),
        shipping_fee: order.shipping_fee.to_string(),
        total: order.total.to_string(),
        erased: order.ship_to.is_none(),
        recipient: order
            .ship_to
            .as_ref()
            .map(|s| s.name().expose().to_owned())
            .unwrap_or_default(),
        phone: order
            .ship_to
            .as_ref()
            .map(|s| s.phone().national_display())
            .unwrap_or_default(),
        address: order
            .ship_to
            .as_ref()
            .map(|s| s.address())
            .unwrap_or_default(),
        shipping: order.shipping_method.label(lang),
        payment: order.payment_method.label(lang),
        note: order
            .note
            .as_ref()
            .map(|n| n.expose().to_owned())
            .unwrap_or_default(),
        just_placed: ctx.params.get("placed") == Some("1"),
        steps: progress_steps(order.status, &order.history, lang),
        history: order
            .history
            .iter()
            .map(|&(s, at)| HistoryView {
                label: s.label(lang),
                at: TimeView::at(at),
            })
            .collect(),
        chrome: Chrome::new(&app.shop, &ctx),
    };
    let mut response = html(&page, &ctx)?;
    // The page shows personal data: keep it out of shared caches and the back button's.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub struct LookupTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub have_link: &'static str,
    pub number: &'static str,
    pub contact: &'static str,
    pub send_code: &'static str,
    pub why: &'static str,
    pub code_heading: &'static str,
    pub for_order: &'static str,
    pub code: &'static str,
    pub open: &'static str,
    pub code_sent: &'static str,
    /// `{time}`: when a new code may be asked for.
    pub ask_again_at: &'static str,
    pub new_code: &'static str,
}

static LOOKUP_VI: LookupTexts = LookupTexts {
    title: "Tra cứu đơn hàng",
    intro: "Nhập mã đơn hàng và email hoặc số điện thoại đã dùng khi đặt hàng. Chúng tôi sẽ gửi mã 6 số tới email của đơn hàng.",
    have_link: "Còn giữ email xác nhận đơn hàng? Bấm “Xem đơn hàng” trong email để mở đơn hàng ngay.",
    number: "Mã đơn hàng (ví dụ HJ7K3M9QX2AB)",
    contact: "Email hoặc số điện thoại đã dùng khi đặt hàng",
    send_code: "Gửi mã",
    why: "Email hoặc số điện thoại chỉ dùng để so khớp với đơn hàng, không được lưu lại.",
    code_heading: "Nhập mã 6 số",
    for_order: "Đơn hàng",
    code: "Mã 6 số trong email",
    open: "Xem đơn hàng",
    code_sent: "Nếu thông tin khớp với một đơn hàng, mã 6 số đã được gửi tới email của đơn hàng đó. Mã có hiệu lực 15 phút và chỉ dùng được một lần.",
    ask_again_at: "Chưa nhận được mã? Quý khách có thể yêu cầu mã mới từ {time} (giờ Việt Nam).",
    new_code: "Yêu cầu mã mới",
};

static LOOKUP_EN: LookupTexts = LookupTexts {
    title: "Look up an order",
    intro: "Enter the order number and the email or phone number used for the order. We will email a 6-digit code to the order's email address.",
    have_link: "Still have the order confirmation email? Its “View your order” link opens the order straight away.",
    number: "Order number (e.g. HJ7K3M9QX2AB)",
    contact: "The email or phone number used for the order",
    send_code: "Send the code",
    why: "The email or phone number is only compared with the order's and is not kept.",
    code_heading: "Enter the 6-digit code",
    for_order: "Order",
    code: "The 6-digit code from the email",
    open: "Open the order",
    code_sent: "If the details match an order, a 6-digit code has been sent to that order's email address. It works for 15 minutes, once.",
    ask_again_at: "No code? You can ask for a new one from {time} (Vietnam time).",
    new_code: "Ask for a new code",
};

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    chrome: Chrome,
    t: &'static LookupTexts,
    number: String,
    error: String,
    notice: &'static str,
    /// When a new code may be asked for, in words; empty when not known.
    ask_again: String,
    /// The second step: only the code is asked for, the number travels in a hidden field.
    code_step: bool,
    privacy_href: &'static str,
}

fn lookup_page(app: &AppState, ctx: &crate::context::RequestContext, number: &str) -> LookupPage {
    LookupPage {
        t: if ctx.lang == Lang::Vi {
            &LOOKUP_VI
        } else {
            &LOOKUP_EN
        },
        number: number.chars().take(12).collect(),
        error: String::new(),
        notice: "",
        ask_again: String::new(),
        code_step: false,
        privacy_href: if ctx.lang == Lang::Vi {
            "/chinh-sach-bao-mat"
        } else {
            "/privacy"
        },
        chrome: Chrome::new(&app.shop, ctx),
    }
}

pub async fn lookup_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    html(&lookup_page(&app, &ctx, ""), &ctx)
}

/// Which step of the lookup a failure sends the buyer back to: the code step when typing
/// the code again can still succeed, else the first step (to ask for a new code).
fn step_after(e: &OrderError) -> bool {
    matches!(
        e,
        OrderError::NotACode | OrderError::CodeRequestedTooSoon { .. }
    ) || matches!(e, OrderError::WrongCode { tries_left } if *tries_left > 0)
}

pub async fn lookup(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let number = form
        .params
        .get("number")
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let field = |n: &str| form.params.get(n).unwrap_or_default().to_owned();
    let mut page = lookup_page(&app, &ctx, &number);
    let failed = match form.params.get("action").unwrap_or_default() {
        // Back to the first step, the number filled in, to ask for a new code.
        "start" => return html(&page, &ctx),
        "send_code" => match answer_no_sooner_than(
            CODE_REQUEST_ANSWER_AFTER,
            app.services
                .orders
                .request_code(&number, &field("contact"), client.ip()),
        )
        .await
        {
            Ok(requested) => {
                app.services.notifier.wake();
                page.code_step = true;
                page.notice = page.t.code_sent;
                page.ask_again = ask_again(page.t, requested.ask_again_at);
                return html(&page, &ctx);
            }
            Err(e) => e,
        },
        "code" => match app
            .services
            .orders
            // People paste codes with spaces around them; the service takes six digits.
            .redeem_code(&number, field("code").trim(), client.ip())
            .await
        {
            Ok(token) => {
                return Ok(Redirect::to(&href(
                    &format!("/don-hang/{number}"),
                    &[("token", &token)],
                ))
                .into_response())
            }
            Err(e) => e,
        },
        _ => {
            return Err(Failure::bad_request(
                "invalid_action",
                "Thao tác không hợp lệ.",
                "Unknown action.",
            )
            .into())
        }
    };
    match failed {
        e @ (OrderError::NotAnOrderNumber
        | OrderError::NotAContact
        | OrderError::NotACode
        | OrderError::WrongCode { .. }
        | OrderError::CodeExpired
        | OrderError::CodeAlreadyUsed
        | OrderError::CodeTriesUsedUp
        | OrderError::CodeRequestedTooSoon { .. }
        | OrderError::LockedOut { .. }) => {
            page.code_step = step_after(&e);
            let failure = Failure::from(e);
            page.error = failure.message(ctx.lang).to_owned();
            let mut response = html(&page, &ctx)?;
            *response.status_mut() = failure.status;
            set_retry_after(&mut response, &failure);
            Ok(response)
        }
        e => Err(e.into()),
    }
}

/// "You can ask for a new code from 18:39", or nothing for a moment no calendar holds.
fn ask_again(t: &LookupTexts, at: i64) -> String {
    vietnam_time(at)
        .map(|time| t.ask_again_at.replace("{time}", &time))
        .unwrap_or_default()
}
