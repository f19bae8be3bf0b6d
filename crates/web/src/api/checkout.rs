//! Checkout, orders and address units in the API.

use super::carts::TOKEN_HEADER;
use super::doc::{Currency, ProblemsCheckout, ProblemsOrder, ProblemsProvince, ProblemsServer};
use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::address::{province, provinces_for_pickers, units};
use hanjinbi_services::checkout::CheckoutRequest;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

pub const ORDER_TOKEN_HEADER: &str = "x-order-token";

/// Where to deliver, in the administrative units in force since 1 July 2025.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Address)]
pub struct AddressBody {
    /// A province code from `GET /api/v1/address/provinces`.
    province_code: String,
    /// A ward code of that province, from `GET /api/v1/address/provinces/{code}/wards`.
    ward_code: String,
    /// House number and street, 5–200 characters.
    #[schema(min_length = 5, max_length = 200)]
    line: String,
}

/// Optional uses of the buyer's details; each is off unless ticked.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Consents)]
pub struct ConsentsBody {
    /// News of products and promotions by email.
    #[serde(default)]
    marketing: bool,
    /// Suggestions fitted to past purchases.
    #[serde(default)]
    suggestions: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckoutRequest)]
pub struct CheckoutBody {
    cart_id: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// Letters, 2–100 characters.
    #[schema(min_length = 2, max_length = 100)]
    name: String,
    /// Vietnamese mobile (03/05/07/08/09 + 8 digits) or landline (02 + 9 digits), written
    /// 0…, 84… or +84…; stored as +84….
    phone: String,
    address: AddressBody,
    #[schema(value_type = ShippingMethodCode)]
    shipping_method: String,
    #[schema(value_type = PaymentMethodCode)]
    payment_method: String,
    /// For the courier, at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    note: Option<String>,
    #[serde(default)]
    consents: ConsentsBody,
    /// The subtotal the buyer was shown, in đồng; a different one now answers 409
    /// cart_changed.
    #[serde(default, deserialize_with = "super::json::optional_integer")]
    expected_subtotal: Option<i64>,
}

/// How an order travels.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ShippingMethodCode {
    Standard,
    Express,
}

/// How an order is paid.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PaymentMethodCode {
    CashOnDelivery,
    BankTransfer,
}

/// The secret that opens a cart, required to check it out.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CheckoutHeaders {
    /// The cart's secret token.
    #[param(rename = "X-Cart-Token")]
    #[allow(dead_code)]
    token: String,
    /// Makes a retry safe: the same key with the same body answers the first order (200).
    #[param(rename = "Idempotency-Key", max_length = 200)]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// A placed order.
#[derive(Serialize, ToSchema)]
#[schema(as = PlacedOrder)]
#[allow(dead_code)]
pub struct PlacedOrderDoc {
    number: String,
    status: String,
    /// In đồng.
    total: i64,
    currency: Currency,
    /// With the number, opens the order. Keep it secret.
    lookup_token: String,
    order_url: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderLine)]
#[allow(dead_code)]
pub struct OrderLineDoc {
    sku: String,
    product: String,
    /// The product's Vietnamese name when it was sold.
    name: String,
    /// The variant in Vietnamese.
    variant: String,
    unit_price: i64,
    quantity: i64,
    line_total: i64,
    /// The product's English name when it was sold; null for orders placed before English
    /// names were recorded, which are named in Vietnamese in every language.
    name_en: Option<String>,
    /// The variant in English; null like `name_en`.
    variant_en: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ShipTo)]
#[allow(dead_code)]
pub struct ShipToDoc {
    name: String,
    phone: String,
    address: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderStatusChange)]
#[allow(dead_code)]
pub struct HistoryDoc {
    status: String,
    #[schema(format = DateTime)]
    at: String,
}

/// An order with its delivery details.
#[derive(Serialize, ToSchema)]
#[schema(as = Order)]
#[allow(dead_code)]
pub struct OrderDoc {
    number: String,
    /// The language the order was placed in, in which its emails are written.
    #[schema(value_type = OrderLanguage)]
    lang: String,
    status: String,
    #[schema(format = DateTime)]
    placed_at: String,
    lines: Vec<OrderLineDoc>,
    subtotal: i64,
    shipping_fee: i64,
    total: i64,
    currency: Currency,
    shipping_method: String,
    payment_method: String,
    /// `null` once the buyer's data was erased: the order stays as a transaction record.
    ship_to: Option<ShipToDoc>,
    note: Option<String>,
    history: Vec<HistoryDoc>,
}

#[utoipa::path(
    post,
    path = "/api/v1/checkout",
    operation_id = "checkout",
    summary = "Place an order from a cart (guest checkout)",
    description = "Validates every field (Vietnamese phone numbers, province and ward of the \
        2025 units), then in one transaction takes the stock, seals the buyer's details, records \
        the consents and queues the confirmation email. Nothing is written when anything is \
        wrong. A retry with the same Idempotency-Key returns the first order (200). Consents \
        are optional and default to false.",
    params(CheckoutHeaders),
    request_body = CheckoutBody,
    responses(
        (status = 201, description = "Order placed", body = PlacedOrderDoc,
            headers(("Location" = String, description = "The order's API address"))),
        (status = 200, description = "The order a previous request with the same Idempotency-Key placed",
            body = PlacedOrderDoc,
            headers(("Location" = String, description = "The order's API address"))),
        ProblemsCheckout,
        ProblemsServer,
    )
)]
pub async fn checkout(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    body: Result<JsonBody<CheckoutBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let token = headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::UNAUTHORIZED,
                    "cart_token_missing",
                    "Thiếu mã truy cập giỏ hàng (header X-Cart-Token).",
                    "The cart token is missing (X-Cart-Token header).",
                )
            })?;
        let access = app.services.carts.open(&body.cart_id, token).await?;
        let request = CheckoutRequest {
            email: body.email,
            name: body.name,
            phone: body.phone,
            province_code: body.address.province_code,
            ward_code: body.address.ward_code,
            line: body.address.line,
            shipping_method: body.shipping_method,
            payment_method: body.payment_method,
            note: body.note.unwrap_or_default(),
            marketing: body.consents.marketing,
            suggestions: body.consents.suggestions,
            expected_subtotal: body.expected_subtotal,
            idempotency_key: headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            lang: ctx.lang,
            channel: "api",
        };
        let placed = app.services.checkout.place(&access, &request).await?;
        app.services.notifier.wake();
        let status = if placed.replayed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok::<_, Failure>(
            (
                status,
                [(
                    axum::http::header::LOCATION,
                    format!("/api/v1/orders/{}", placed.number),
                )],
                Json(json!({
                    "number": placed.number,
                    "status": placed.status,
                    "total": placed.total.amount(),
                    "currency": "VND",
                    "lookup_token": placed.token,
                    "order_url": format!("/don-hang/{}?token={}", placed.number, placed.token),
                })),
            )
                .into_response(),
        )
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}",
    operation_id = "getOrder",
    summary = "An order, for the holder of its lookup token",
    params(
        ("number" = String, Path, description = "The order number"),
        ("X-Order-Token" = String, Header, description = "The order's lookup token"),
    ),
    responses(
        (status = 200, description = "The order, with its delivery details", body = OrderDoc),
        ProblemsOrder,
        ProblemsServer,
    )
)]
pub async fn order(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let run = async {
        let number = path.map(|Path(n)| n).map_err(|_| Failure::not_found())?;
        let token = headers
            .get(ORDER_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::UNAUTHORIZED,
                    "order_token_missing",
                    "Thiếu mã truy cập đơn hàng (header X-Order-Token).",
                    "The order token is missing (X-Order-Token header).",
                )
            })?;
        let o = app.services.orders.view(&number, token).await?;
        Ok::<_, Failure>(
            (
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                Json(json!({
                    "number": o.number,
                    "lang": o.lang.code(),
                    "status": o.status,
                    "placed_at": crate::pages::iso_time(o.placed_at),
                    "lines": o.lines.iter().map(|l| json!({
                        "sku": l.sku, "product": l.product_slug, "name": l.product_name, "variant": l.variant_label,
                        "unit_price": l.unit_price.amount(), "quantity": l.quantity, "line_total": l.line_total.amount(),
                        "name_en": l.product_name_en, "variant_en": l.variant_label_en,
                    })).collect::<Vec<_>>(),
                    "subtotal": o.subtotal.amount(),
                    "shipping_fee": o.shipping_fee.amount(),
                    "total": o.total.amount(),
                    "currency": "VND",
                    "shipping_method": o.shipping_method,
                    "payment_method": o.payment_method,
                    "ship_to": o.ship_to.as_ref().map(|s| json!({
                        "name": s.name().expose(),
                        "phone": s.phone().expose(),
                        "address": s.address(),
                    })),
                    "note": o.note.as_ref().map(|n| n.expose()),
                    "history": o.history.iter().map(|(s, at)| json!({"status": s, "at": crate::pages::iso_time(*at)})).collect::<Vec<_>>(),
                })),
            )
                .into_response(),
        )
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

/// The languages an order can be placed in.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum OrderLanguage {
    Vi,
    En,
}

/// A province or centrally-run city.
#[derive(Serialize, ToSchema)]
#[schema(as = Province)]
pub struct ProvinceJson<'a> {
    code: &'a str,
    name: &'a str,
    short_name: &'a str,
    kind: &'a str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ProvinceList)]
pub struct ProvincesJson<'a> {
    /// Where the list of units comes from.
    source: &'a str,
    /// Since when the units are in force.
    effective: &'a str,
    provinces: Vec<ProvinceJson<'a>>,
}

#[utoipa::path(
    get,
    path = "/api/v1/address/provinces",
    operation_id = "listProvinces",
    summary = "The 34 provinces and centrally-run cities (units in force since 1 July 2025)",
    description = "In the order pickers show them: the six centrally-run cities, largest first, then the provinces in Vietnamese alphabetical order.",
    responses((status = 200, description = "Provinces", body = ProvincesJson))
)]
pub async fn provinces() -> Response {
    let u = units();
    Json(ProvincesJson {
        source: &u.source,
        effective: &u.effective,
        provinces: provinces_for_pickers()
            .iter()
            .map(|p| ProvinceJson {
                code: &p.code,
                name: &p.name,
                short_name: &p.short_name,
                kind: &p.kind,
            })
            .collect(),
    })
    .into_response()
}

/// A ward, commune or special zone.
#[derive(Serialize, ToSchema)]
#[schema(as = Ward)]
pub struct WardJson<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ProvinceRef)]
pub struct ProvinceRefJson<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WardList)]
pub struct WardsJson<'a> {
    province: ProvinceRefJson<'a>,
    wards: Vec<WardJson<'a>>,
}

#[utoipa::path(
    get,
    path = "/api/v1/address/provinces/{code}/wards",
    operation_id = "listWards",
    summary = "The wards, communes and special zones of a province",
    description = "In Vietnamese alphabetical order of their names without the kind (\"Ba Đình\" for \"Phường Ba Đình\").",
    params(("code" = String, Path, description = "A province code")),
    responses(
        (status = 200, description = "Wards", body = WardsJson),
        ProblemsProvince,
    )
)]
pub async fn wards(
    ApiContext(ctx): ApiContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let code = path.map(|Path(c)| c).unwrap_or_default();
    let p = province(code.trim()).ok_or_else(|| {
        ApiError::new(
            Failure::new(
                StatusCode::NOT_FOUND,
                "unknown_province",
                "Không có tỉnh/thành phố mang mã này.",
                "No province or city has this code.",
            ),
            ctx.lang,
        )
    })?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "public, max-age=86400")],
        Json(WardsJson {
            province: ProvinceRefJson {
                code: &p.code,
                name: &p.name,
            },
            wards: p
                .wards_for_pickers()
                .iter()
                .map(|w| WardJson {
                    code: &w.code,
                    name: &w.name,
                    kind: &w.kind,
                })
                .collect(),
        }),
    )
        .into_response())
}
