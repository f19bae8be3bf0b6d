//! The JSON API, version 1. Its OpenAPI document is generated from the handlers' own
//! annotations and types (`#[utoipa::path]`, `ToSchema`, `IntoParams`) as the router is
//! built, so a route cannot exist without being described, and is served at
//! `/api/v1/openapi.json`.

mod auth;
mod carts;
mod catalog;
mod checkout;
mod consents;
mod doc;
mod erasure;
pub(crate) mod export;
mod json;
mod lookup;
mod payment;

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
        .routes(routes!(payment::checkout_options))
        .routes(routes!(checkout::checkout))
        .routes(routes!(checkout::order))
        .routes(routes!(lookup::request_code))
        .routes(routes!(lookup::redeem_code))
        .routes(routes!(checkout::provinces))
        .routes(routes!(checkout::wards))
        .routes(routes!(auth::register))
        .routes(routes!(auth::verify))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_everywhere))
        .routes(routes!(auth::request_reset))
        .routes(routes!(auth::confirm_reset))
        .routes(routes!(auth::me))
        .routes(routes!(auth::my_orders))
        .routes(routes!(auth::change_password))
        .routes(routes!(export::my_data))
        .routes(routes!(export::my_export))
        .routes(routes!(consents::list))
        .routes(routes!(consents::decide))
        .routes(routes!(consents::object))
        .routes(routes!(consents::restrict))
        .routes(routes!(erasure::erase_me))
        .routes(routes!(erasure::request))
        .routes(routes!(erasure::confirm))
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
    let rendered = DOCUMENT.get_or_init(|| render(document()).map_err(|e| e.to_string()));
    match rendered {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(cause) => ApiError::new(Failure::internal(cause), Lang::default()).into_response(),
    }
}

/// The document as JSON. utoipa 5 writes a Link object's fields in snake case
/// (`operation_id`); OpenAPI spells them in camel case, so they are renamed here.
fn render(doc: utoipa::openapi::OpenApi) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(doc)?;
    camel_case_links(&mut value);
    serde_json::to_string_pretty(&value)
}

fn camel_case_links(value: &mut serde_json::Value) {
    const RENAMED: [(&str, &str); 3] = [
        ("operation_id", "operationId"),
        ("operation_ref", "operationRef"),
        ("request_body", "requestBody"),
    ];
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut() {
                    if let serde_json::Value::Object(link) = link {
                        for (from, to) in RENAMED {
                            if let Some(v) = link.remove(from) {
                                link.insert(to.to_owned(), v);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(camel_case_links);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(camel_case_links),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_use_the_field_names_openapi_defines() {
        let json = super::render(super::document()).unwrap();
        assert!(!json.contains("\"operation_id\""));
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let links = &doc["paths"]["/api/v1/carts"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["getCart"]["operationId"], "getCart");
        assert_eq!(
            links["getCart"]["parameters"]["header.X-Cart-Token"],
            "$response.body#/token"
        );
    }
}
