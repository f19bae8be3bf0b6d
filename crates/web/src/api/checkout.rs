//! Checkout, orders and address units in the API.

use super::carts::TOKEN_HEADER;
use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::address::{province, units};
use hanjinbi_services::checkout::CheckoutRequest;
use serde::Deserialize;
use serde_json::{json, Value};

pub const ORDER_TOKEN_HEADER: &str = "x-order-token";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    province_code: String,
    ward_code: String,
    line: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConsentsBody {
    #[serde(default)]
    marketing: bool,
    #[serde(default)]
    suggestions: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    cart_id: String,
    email: String,
    name: String,
    phone: String,
    address: AddressBody,
    shipping_method: String,
    payment_method: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    consents: ConsentsBody,
    #[serde(default)]
    expected_subtotal: Option<i64>,
}

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
                    "status": o.status,
                    "placed_at": crate::pages::iso_time(o.placed_at),
                    "lines": o.lines.iter().map(|l| json!({
                        "sku": l.sku, "product": l.product_slug, "name": l.product_name, "variant": l.variant_label,
                        "unit_price": l.unit_price.amount(), "quantity": l.quantity, "line_total": l.line_total.amount(),
                    })).collect::<Vec<_>>(),
                    "subtotal": o.subtotal.amount(),
                    "shipping_fee": o.shipping_fee.amount(),
                    "total": o.total.amount(),
                    "currency": "VND",
                    "shipping_method": o.shipping_method,
                    "payment_method": o.payment_method,
                    "ship_to": {
                        "name": o.ship_to.name().expose(),
                        "phone": o.ship_to.phone().expose(),
                        "address": o.ship_to.address(),
                    },
                    "note": o.note.as_ref().map(|n| n.expose()),
                    "history": o.history.iter().map(|(s, at)| json!({"status": s, "at": crate::pages::iso_time(*at)})).collect::<Vec<_>>(),
                })),
            )
                .into_response(),
        )
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

pub async fn provinces() -> Json<Value> {
    let u = units();
    Json(json!({
        "source": u.source,
        "effective": u.effective,
        "provinces": u.provinces.iter().map(|p| json!({"code": p.code, "name": p.name, "short_name": p.short_name, "kind": p.kind})).collect::<Vec<_>>(),
    }))
}

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
        Json(json!({ "province": {"code": p.code, "name": p.name}, "wards": p.wards })),
    )
        .into_response())
}
