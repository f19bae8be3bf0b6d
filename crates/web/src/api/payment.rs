//! What a checkout may choose: the delivery methods with their fees, and the payment methods
//! this shop takes (bank transfer only when it has a bank account in its settings), so that
//! an app shows the same choices and totals as the storefront before the buyer orders.

use crate::context::ApiContext;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::order::{PaymentMethod, ShippingMethod};
use serde::Serialize;
use utoipa::ToSchema;

/// A delivery method and its fee.
#[derive(Serialize, ToSchema)]
#[schema(as = ShippingOption)]
pub struct ShippingOptionJson {
    /// The value for `shipping_method` in a checkout.
    #[schema(example = "standard")]
    code: &'static str,
    /// In the request's language.
    label: &'static str,
    /// The fee in đồng.
    fee: i64,
}

/// A payment method the shop takes.
#[derive(Serialize, ToSchema)]
#[schema(as = PaymentOption)]
pub struct PaymentOptionJson {
    /// The value for `payment_method` in a checkout.
    #[schema(example = "cash_on_delivery")]
    code: &'static str,
    /// In the request's language.
    label: &'static str,
    /// The largest order total, in đồng, this method may pay; absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    max_total: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CheckoutOptions)]
pub struct CheckoutOptionsJson {
    shipping_methods: Vec<ShippingOptionJson>,
    payment_methods: Vec<PaymentOptionJson>,
    currency: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/v1/checkout/options",
    operation_id = "getCheckoutOptions",
    summary = "The delivery and payment methods a checkout may choose",
    description = "Delivery methods with their fees, and the payment methods this shop takes: \
        cash on delivery up to `max_total`, and bank transfer only when the shop has a bank \
        account for it (a checkout naming a method not listed here is refused). The order's \
        total is its lines' subtotal plus the chosen method's fee.",
    responses((status = 200, description = "The choices", body = CheckoutOptionsJson))
)]
pub async fn checkout_options(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
) -> Response {
    let checkout = &app.services.checkout;
    let fees = checkout.fees();
    let limits = checkout.limits();
    Json(CheckoutOptionsJson {
        shipping_methods: ShippingMethod::ALL
            .into_iter()
            .map(|m| ShippingOptionJson {
                code: m.code(),
                label: m.label(ctx.lang),
                fee: fees.fee(m).amount(),
            })
            .collect(),
        payment_methods: checkout
            .payment_methods()
            .into_iter()
            .map(|m| PaymentOptionJson {
                code: m.code(),
                label: m.label(ctx.lang),
                max_total: (m == PaymentMethod::CashOnDelivery)
                    .then_some(limits.max_cod_order.amount()),
            })
            .collect(),
        currency: "VND",
    })
    .into_response()
}
