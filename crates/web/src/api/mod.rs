//! The JSON API, version 1. Its OpenAPI document is generated from the handlers' own
//! annotations and types (`#[utoipa::path]`, `ToSchema`, `IntoParams`) as the router is
//! built, so a route cannot exist without being described, and is served at
//! `/api/v1/openapi.json`.

mod carts;
mod catalog;
mod checkout;
mod doc;
mod json;

use crate::error::{ApiError, Failure};
use crate::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hanjinbi_domain::Lang;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every API route with its description. Routes are added only through `routes!`, which
/// registers the handler's `#[utoipa::path]` description together with the route.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(doc::ApiDoc::openapi())
        .routes(routes!(openapi))
        .routes(routes!(catalog::categories))
        .routes(routes!(catalog::products))
        .routes(routes!(catalog::product))
        .routes(routes!(carts::create))
        .routes(routes!(carts::show))
        .routes(routes!(carts::add))
        .routes(routes!(carts::set, carts::remove))
        .routes(routes!(checkout::checkout))
        .routes(routes!(checkout::order))
        .routes(routes!(checkout::provinces))
        .routes(routes!(checkout::wards))
}

pub fn routes() -> Router<AppState> {
    api().split_for_parts().0
}

/// The OpenAPI 3.1 document of this API.
pub fn document() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApi",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn openapi() -> Response {
    static DOCUMENT: OnceLock<Result<String, String>> = OnceLock::new();
    let rendered = DOCUMENT.get_or_init(|| document().to_pretty_json().map_err(|e| e.to_string()));
    match rendered {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(cause) => ApiError::new(Failure::internal(cause), Lang::default()).into_response(),
    }
}
