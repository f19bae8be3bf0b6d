//! HTTP for the shop: the storefront pages, the JSON API and the operations endpoints.
//!
//! Handlers parse what arrives into domain types, call a service, and render. This crate
//! writes no SQL and never sees personal plaintext except through services that hand it out.

pub mod api;
pub mod cart_count;
mod context;
mod error;
mod form;
mod i18n;
pub mod limits;
mod listing;
pub mod ops;
pub mod pages;
mod pictures;
mod query;
mod security;
pub mod session;
mod size_guide;
mod timing;
mod views;

pub use error::Failure;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use hanjinbi_domain::ShopInfo;
use hanjinbi_services::Services;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub shop: Arc<ShopInfo>,
    pub metrics: Option<PrometheusHandle>,
    /// Body and write-rate limits with their running state.
    pub limiter: limits::Limiter,
}

const STYLE_CSS: &str = include_str!("../assets/style.css");
const CHECKOUT_JS: &str = include_str!("../assets/checkout.js");
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}

/// Pages and API answers depend on the language cookie and, for the API and the pages'
/// language suggestion, on `Accept-Language`: caches must keep one copy per value. Static
/// files depend on neither and stay shareable.
async fn vary_on_language(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let fixed = {
        let path = req.uri().path();
        path.starts_with("/static/")
            || path.starts_with("/images/")
            || path.starts_with("/favicon.")
            || matches!(path, "/ping" | "/healthz" | "/metrics")
    };
    let mut response = next.run(req).await;
    if !fixed {
        response.headers_mut().append(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
    }
    response
}
const PRODUCT_JS: &str = include_str!("../assets/product.js");

async fn checkout_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CHECKOUT_JS,
    )
}

async fn product_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PRODUCT_JS,
    )
}

async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

async fn not_found() -> error::PageError {
    error::PageError(Failure::not_found())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .route("/static/style.css", get(style_css))
        .route("/static/checkout.js", get(checkout_js))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/static/product.js", get(product_js))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/ping", get(ops::ping))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.limiter.clone(),
            limits::bounded_bodies,
        ))
        .layer(middleware::from_fn_with_state(
            state.limiter.clone(),
            limits::limit_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            pages::render_failures,
        ))
        .layer(middleware::from_fn(vary_on_language))
        .layer(middleware::from_fn(security::same_origin_writes))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .route_layer(middleware::from_fn(ops::track))
        .with_state(state);
    for (name, value) in security::SECURITY_HEADERS {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    app
}
