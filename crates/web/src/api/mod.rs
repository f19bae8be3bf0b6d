//! The JSON API, version 1, described by `openapi.json` served at `/api/v1/openapi.json`.

mod carts;
mod catalog;
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
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
