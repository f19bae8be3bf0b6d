//! Catalog endpoints.

use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::listing::ListQuery;
use crate::views::image_href;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use hanjinbi_domain::{Localized, Product, ProductSlug, ProductSummary, StockState};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
pub struct SummaryJson<'a> {
    slug: &'a str,
    category: &'a str,
    name: &'a Localized,
    price_from: i64,
    price_to: i64,
    currency: &'static str,
    stock_state: StockState,
    featured: bool,
    image: String,
}

fn summary_json(p: &ProductSummary) -> SummaryJson<'_> {
    SummaryJson {
        slug: p.slug.as_str(),
        category: p.category.as_str(),
        name: &p.name,
        price_from: p.price_from.amount(),
        price_to: p.price_to.amount(),
        currency: "VND",
        stock_state: StockState::of(p.stock),
        featured: p.featured,
        image: image_href(p.slug.as_str()),
    }
}

pub async fn categories(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
) -> Result<Json<Value>, ApiError> {
    let categories = app
        .services
        .catalog
        .categories()
        .await
        .map_err(|e| ApiError::new(e, ctx.lang))?;
    Ok(Json(json!({ "categories": categories })))
}

/// A page of products, serialised straight from borrowed data (no intermediate JSON tree:
/// this is the busiest API call).
#[derive(Serialize)]
pub struct ProductListJson<'a> {
    items: Vec<SummaryJson<'a>>,
    page: hanjinbi_domain::Page,
    per_page: hanjinbi_domain::PerPage,
    total: i64,
    pages: u32,
    sort: hanjinbi_domain::SortOrder,
}

pub async fn products(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
) -> Result<axum::response::Response, ApiError> {
    let fail = |e: Failure| ApiError::new(e, ctx.lang);
    let query = ListQuery::parse(&ctx.params).map_err(fail)?;
    let found = app
        .services
        .catalog
        .products(&query.filter, query.sort, query.page, query.per_page)
        .await
        .map_err(|e| fail(e.into()))?;
    let body = ProductListJson {
        items: found.items.iter().map(summary_json).collect(),
        page: query.page,
        per_page: query.per_page,
        total: found.total,
        pages: query.per_page.page_count(found.total),
        sort: query.sort,
    };
    Ok(axum::response::IntoResponse::into_response(Json(body)))
}

fn product_json(p: &Product) -> Value {
    json!({
        "product": summary_json(&p.summary),
        "category": p.category,
        "description": p.description,
        "variants": p.variants.iter().map(|v| json!({
            "sku": v.sku,
            "size": v.size,
            "color": v.color,
            "price": v.price.amount(),
            "stock": v.stock.max(0),
            "stock_state": StockState::of(v.stock),
        })).collect::<Vec<_>>(),
    })
}

pub async fn product(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let fail = |e: Failure| ApiError::new(e, ctx.lang);
    let slug = path
        .map(|Path(s)| s)
        .map_err(|_| fail(Failure::not_found()))?;
    let slug = ProductSlug::parse(&slug).map_err(|e| fail(e.into()))?;
    let product = app
        .services
        .catalog
        .product(&slug)
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| fail(Failure::not_found()))?;
    Ok(Json(product_json(&product)))
}
