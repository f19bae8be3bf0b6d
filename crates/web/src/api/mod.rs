//! The JSON API, version 1, described by `openapi.json` served at `/api/v1/openapi.json`.

mod carts;
mod catalog;
mod checkout;
mod json;

use crate::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::Router;

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/categories", get(catalog::categories))
        .route("/api/v1/products", get(catalog::products))
        .route("/api/v1/products/{slug}", get(catalog::product))
        .route("/api/v1/carts", post(carts::create))
        .route("/api/v1/carts/{id}", get(carts::show))
        .route("/api/v1/carts/{id}/items", post(carts::add))
        .route(
            "/api/v1/carts/{id}/items/{sku}",
            patch(carts::set).delete(carts::remove),
        )
        .route("/api/v1/checkout", post(checkout::checkout))
        .route("/api/v1/orders/{number}", get(checkout::order))
        .route("/api/v1/address/provinces", get(checkout::provinces))
        .route(
            "/api/v1/address/provinces/{code}/wards",
            get(checkout::wards),
        )
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
