//! Cart endpoints. The cart token travels in the `X-Cart-Token` header, or in the storefront's
//! cart cookie.

use super::doc::{
    Currency, ProblemsCartCreate, ProblemsCartRead, ProblemsCartRemove, ProblemsCartWrite,
    ProblemsServer,
};
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
use hanjinbi_domain::{Localized, ProductSlug, Quantity, Sku};
use hanjinbi_services::CartAccess;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TOKEN_HEADER: &str = "x-cart-token";

/// One SKU in a cart, priced by the server at the current catalog price.
#[derive(Serialize, ToSchema)]
#[schema(as = CartLine)]
pub struct CartLineJson<'a> {
    #[schema(value_type = Sku)]
    sku: &'a Sku,
    #[schema(value_type = ProductSlug)]
    product: &'a ProductSlug,
    #[schema(value_type = Localized)]
    name: &'a Localized,
    size: &'a str,
    #[schema(value_type = Localized)]
    color: &'a Localized,
    /// In đồng.
    unit_price: i64,
    #[schema(value_type = Quantity)]
    quantity: i64,
    /// `unit_price × quantity`, in đồng.
    line_total: i64,
    /// Units in stock now; a line above it cannot be checked out as it stands.
    #[schema(minimum = 0)]
    stock: i64,
}

/// A cart with current prices.
#[derive(Serialize, ToSchema)]
#[schema(as = Cart)]
pub struct CartJson<'a> {
    id: &'a str,
    lines: Vec<CartLineJson<'a>>,
    /// Units over all lines.
    item_count: i64,
    /// In đồng, computed by the server at current prices.
    subtotal: i64,
    currency: Currency,
}

fn cart_json(cart: &Cart) -> CartJson<'_> {
    CartJson {
        id: &cart.id,
        lines: cart
            .lines
            .iter()
            .map(|l| CartLineJson {
                sku: &l.sku,
                product: &l.product,
                name: &l.name,
                size: &l.size,
                color: &l.color,
                unit_price: l.unit_price.amount(),
                quantity: l.quantity,
                line_total: l.line_total().amount(),
                stock: l.stock.max(0),
            })
            .collect(),
        item_count: cart.item_count(),
        subtotal: cart.subtotal().amount(),
        currency: Currency::VND,
    }
}

fn cart_response(cart: &Cart) -> Response {
    Json(cart_json(cart)).into_response()
}

/// A new cart and the secret token that opens it.
#[derive(Serialize, ToSchema)]
#[schema(as = NewCart)]
pub struct NewCartJson<'a> {
    id: &'a str,
    /// Shown only here: send it in X-Cart-Token with every later call on this cart.
    token: &'a str,
    cart: CartJson<'a>,
}

#[utoipa::path(
    post,
    path = "/api/v1/carts",
    operation_id = "createCart",
    summary = "Create an empty cart",
    description = "Returns the cart id and its secret token. The token is shown only here; send \
        it in X-Cart-Token with every later call on this cart.",
    responses(
        (status = 201, description = "Created", body = NewCartJson,
            headers(("Location" = String, description = "The cart's address")),
            links(
                ("getCart" = (
                    operation_id = "getCart",
                    parameters(
                        ("id" = "$response.body#/id"),
                        ("header.X-Cart-Token" = "$response.body#/token")
                    )
                ))
            )),
        ProblemsCartCreate,
        ProblemsServer,
    )
)]
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
    let body = NewCartJson {
        id: new.access.id(),
        token: &new.token,
        cart: cart_json(&cart),
    };
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

#[utoipa::path(
    get,
    path = "/api/v1/carts/{id}",
    operation_id = "getCart",
    summary = "A cart with current prices",
    params(CartId, CartToken),
    responses(
        (status = 200, description = "The cart", body = CartJson),
        ProblemsCartRead,
        ProblemsServer,
    )
)]
pub async fn show(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let run = async {
        let access = open(&app, &ctx, &headers, one(path)).await?;
        Ok::<_, Failure>(cart_response(&app.services.carts.view(&access).await?))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    #[schema(value_type = Sku)]
    sku: String,
    #[schema(value_type = Quantity)]
    #[serde(deserialize_with = "super::json::integer")]
    quantity: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    #[schema(value_type = Quantity)]
    #[serde(deserialize_with = "super::json::integer")]
    quantity: i64,
}

/// The cart in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CartId {
    /// The cart's id, as returned by `POST /api/v1/carts`.
    #[param(min_length = 1)]
    #[allow(dead_code)]
    id: String,
}

/// The cart line in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LineSku {
    #[param(value_type = Sku)]
    #[allow(dead_code)]
    sku: String,
}

/// The secret that opens a cart.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CartToken {
    /// The cart's secret token, as returned by `POST /api/v1/carts`. The storefront's cart
    /// cookie is accepted instead.
    #[param(rename = "X-Cart-Token")]
    #[allow(dead_code)]
    token: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/carts/{id}/items",
    operation_id = "addCartItem",
    summary = "Add units of a SKU (on top of what the cart holds)",
    params(CartId, CartToken),
    request_body = AddItem,
    responses(
        (status = 200, description = "The updated cart", body = CartJson),
        ProblemsCartWrite,
        ProblemsServer,
    )
)]
pub async fn add(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<AddItem>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let access = open(&app, &ctx, &headers, one(path)).await?;
        let JsonBody(item) = body.map_err(|e| e.failure)?;
        let sku = Sku::parse(item.sku.trim())?;
        let quantity = Quantity::new(item.quantity)?;
        Ok::<_, Failure>(cart_response(
            &app.services.carts.add(&access, &sku, quantity).await?,
        ))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

type LinePath = Result<Path<(String, String)>, PathRejection>;

fn line_path(path: LinePath) -> (Result<String, PathRejection>, Option<String>) {
    match path {
        Ok(Path((id, sku))) => (Ok(id), Some(sku)),
        Err(e) => (Err(e), None),
    }
}

#[utoipa::path(
    patch,
    path = "/api/v1/carts/{id}/items/{sku}",
    operation_id = "setCartItem",
    summary = "Set a line's quantity",
    params(CartId, LineSku, CartToken),
    request_body = SetQuantity,
    responses(
        (status = 200, description = "The updated cart", body = CartJson),
        ProblemsCartWrite,
        ProblemsServer,
    )
)]
pub async fn set(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: LinePath,
    body: Result<JsonBody<SetQuantity>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let (id, sku) = line_path(path);
        let access = open(&app, &ctx, &headers, id).await?;
        let sku = Sku::parse(sku.unwrap_or_default().trim())?;
        let JsonBody(change) = body.map_err(|e| e.failure)?;
        let quantity = Quantity::new(change.quantity)?;
        Ok::<_, Failure>(cart_response(
            &app.services.carts.set(&access, &sku, quantity).await?,
        ))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    delete,
    path = "/api/v1/carts/{id}/items/{sku}",
    operation_id = "removeCartItem",
    summary = "Remove a line",
    params(CartId, LineSku, CartToken),
    responses(
        (status = 200, description = "The updated cart", body = CartJson),
        ProblemsCartRemove,
        ProblemsServer,
    )
)]
pub async fn remove(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: LinePath,
) -> Result<Response, ApiError> {
    let run = async {
        let (id, sku) = line_path(path);
        let access = open(&app, &ctx, &headers, id).await?;
        let sku = Sku::parse(sku.unwrap_or_default().trim())?;
        Ok::<_, Failure>(cart_response(
            &app.services.carts.remove(&access, &sku).await?,
        ))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}
