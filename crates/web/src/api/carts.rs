//! Cart endpoints. The cart token travels in the `X-Cart-Token` header, or in the storefront's
//! cart cookie.

use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::pages::CART_COOKIE;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::cart::Cart;
use hanjinbi_domain::{Quantity, Sku};
use hanjinbi_services::CartAccess;
use serde::Deserialize;
use serde_json::{json, Value};

pub const TOKEN_HEADER: &str = "x-cart-token";

fn cart_json(cart: &Cart) -> Value {
    json!({
        "id": cart.id,
        "lines": cart.lines.iter().map(|l| json!({
            "sku": l.sku,
            "product": l.product,
            "name": l.name,
            "size": l.size,
            "color": l.color,
            "unit_price": l.unit_price.amount(),
            "quantity": l.quantity,
            "line_total": l.line_total().amount(),
            "stock": l.stock.max(0),
        })).collect::<Vec<_>>(),
        "item_count": cart.item_count(),
        "subtotal": cart.subtotal().amount(),
        "currency": "VND",
    })
}

pub async fn create(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    ApiContext(ctx): ApiContext,
) -> Result<Response, ApiError> {
    let new = app
        .services
        .carts
        .create(client.ip())
        .await
        .map_err(|e| ApiError::new(e, ctx.lang))?;
    let cart = Cart {
        id: new.access.id().to_owned(),
        lines: Vec::new(),
    };
    let body = json!({ "id": new.access.id(), "token": new.token, "cart": cart_json(&cart) });
    Ok((
        StatusCode::CREATED,
        [(
            axum::http::header::LOCATION,
            format!("/api/v1/carts/{}", new.access.id()),
        )],
        Json(body),
    )
        .into_response())
}

fn token_missing() -> Failure {
    Failure::new(
        StatusCode::UNAUTHORIZED,
        "cart_token_missing",
        "Thiếu mã truy cập giỏ hàng (header X-Cart-Token).",
        "The cart token is missing (X-Cart-Token header).",
    )
}

/// The token from the header, else from the cart cookie when it names this cart.
fn presented_token<'a>(
    headers: &'a HeaderMap,
    ctx: &'a crate::context::RequestContext,
    id: &str,
) -> Option<&'a str> {
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            ctx.cookie(CART_COOKIE)
                .and_then(|c| c.split_once('.'))
                .filter(|(cookie_id, _)| *cookie_id == id)
                .map(|(_, token)| token)
        })
}

async fn open(
    app: &AppState,
    ctx: &crate::context::RequestContext,
    headers: &HeaderMap,
    id: Result<String, PathRejection>,
) -> Result<CartAccess, Failure> {
    let id = id.map_err(|_| Failure::not_found())?;
    let token = presented_token(headers, ctx, &id).ok_or_else(token_missing)?;
    Ok(app.services.carts.open(&id, token).await?)
}

fn one(path: Result<Path<String>, PathRejection>) -> Result<String, PathRejection> {
    path.map(|Path(id)| id)
}

pub async fn show(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let run = async {
        let access = open(&app, &ctx, &headers, one(path)).await?;
        Ok::<_, Failure>(cart_json(&app.services.carts.view(&access).await?))
    };
    run.await.map(Json).map_err(|e| ApiError::new(e, ctx.lang))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    sku: String,
    quantity: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    quantity: i64,
}

pub async fn add(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<AddItem>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let run = async {
        let access = open(&app, &ctx, &headers, one(path)).await?;
        let JsonBody(item) = body.map_err(|e| e.failure)?;
        let sku = Sku::parse(item.sku.trim())?;
        let quantity = Quantity::new(item.quantity)?;
        Ok::<_, Failure>(cart_json(
            &app.services.carts.add(&access, &sku, quantity).await?,
        ))
    };
    run.await.map(Json).map_err(|e| ApiError::new(e, ctx.lang))
}

type LinePath = Result<Path<(String, String)>, PathRejection>;

fn line_path(path: LinePath) -> (Result<String, PathRejection>, Option<String>) {
    match path {
        Ok(Path((id, sku))) => (Ok(id), Some(sku)),
        Err(e) => (Err(e), None),
    }
}

pub async fn set(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: LinePath,
    body: Result<JsonBody<SetQuantity>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let run = async {
        let (id, sku) = line_path(path);
        let access = open(&app, &ctx, &headers, id).await?;
        let sku = Sku::parse(sku.unwrap_or_default().trim())?;
        let JsonBody(change) = body.map_err(|e| e.failure)?;
        let quantity = Quantity::new(change.quantity)?;
        Ok::<_, Failure>(cart_json(
            &app.services.carts.set(&access, &sku, quantity).await?,
        ))
    };
    run.await.map(Json).map_err(|e| ApiError::new(e, ctx.lang))
}

pub async fn remove(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: LinePath,
) -> Result<Json<Value>, ApiError> {
    let run = async {
        let (id, sku) = line_path(path);
        let access = open(&app, &ctx, &headers, id).await?;
        let sku = Sku::parse(sku.unwrap_or_default().trim())?;
        Ok::<_, Failure>(cart_json(&app.services.carts.remove(&access, &sku).await?))
    };
    run.await.map(Json).map_err(|e| ApiError::new(e, ctx.lang))
}
