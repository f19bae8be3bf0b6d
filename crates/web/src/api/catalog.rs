//! Catalog endpoints.

use super::doc::{Currency, Problems404, Problems4xxList, ProblemsServer, ProductListParams};
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::listing::ListQuery;
use crate::views::image_href;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use hanjinbi_domain::{
    Category, CategorySlug, Localized, Page, PerPage, Product, ProductSlug, ProductSummary, Sku,
    SortOrder, StockState,
};
use serde::Serialize;
use utoipa::ToSchema;

/// A product as lists show it.
#[derive(Serialize, ToSchema)]
#[schema(as = ProductSummary)]
pub struct SummaryJson<'a> {
    #[schema(value_type = ProductSlug)]
    slug: &'a str,
    #[schema(value_type = CategorySlug)]
    category: &'a str,
    #[schema(value_type = Localized)]
    name: &'a Localized,
    /// The lowest variant price, in đồng.
    price_from: i64,
    /// The highest variant price, in đồng.
    price_to: i64,
    currency: Currency,
    stock_state: StockState,
    featured: bool,
    /// The product picture's address.
    image: String,
}

fn summary_json(p: &ProductSummary) -> SummaryJson<'_> {
    SummaryJson {
        slug: p.slug.as_str(),
        category: p.category.as_str(),
        name: &p.name,
        price_from: p.price_from.amount(),
        price_to: p.price_to.amount(),
        currency: Currency::VND,
        stock_state: StockState::of(p.stock),
        featured: p.featured,
        image: image_href(p.slug.as_str()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CategoryList<'a> {
    /// In display order.
    #[schema(value_type = Vec<Category>)]
    categories: &'a [Category],
}

#[utoipa::path(
    get,
    path = "/api/v1/categories",
    operation_id = "listCategories",
    summary = "All categories, in display order",
    responses((status = 200, description = "Categories", body = CategoryList), ProblemsServer)
)]
pub async fn categories(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
) -> Result<axum::response::Response, ApiError> {
    let categories = app
        .services
        .catalog
        .categories()
        .await
        .map_err(|e| ApiError::new(e, ctx.lang))?;
    Ok(axum::response::IntoResponse::into_response(Json(
        CategoryList {
            categories: &categories,
        },
    )))
}

/// A page of products, serialised straight from borrowed data (no intermediate JSON tree:
/// this is the busiest API call).
#[derive(Serialize, ToSchema)]
#[schema(as = ProductPage)]
pub struct ProductListJson<'a> {
    items: Vec<SummaryJson<'a>>,
    page: Page,
    per_page: PerPage,
    /// Products matching the filter, over all pages.
    total: i64,
    /// Pages the matching products fill (at least 1).
    pages: u32,
    sort: SortOrder,
}

#[utoipa::path(
    get,
    path = "/api/v1/products",
    operation_id = "listProducts",
    summary = "Browse or search products",
    params(ProductListParams),
    responses(
        (status = 200, description = "A page of products", body = ProductListJson),
        Problems4xxList,
        ProblemsServer,
    )
)]
pub async fn products(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
) -> Result<axum::response::Response, ApiError> {
    let fail = |e: Failure| ApiError::new(e, ctx.lang);
    let query = ListQuery::parse(&ctx.params, ctx.lang).map_err(fail)?;
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

/// One orderable size and colour of a product.
#[derive(Serialize, ToSchema)]
#[schema(as = Variant)]
pub struct VariantJson<'a> {
    #[schema(value_type = Sku)]
    sku: &'a str,
    size: &'a str,
    #[schema(value_type = Localized)]
    color: &'a Localized,
    /// In đồng.
    price: i64,
    /// Units in stock.
    #[schema(minimum = 0)]
    stock: i64,
    stock_state: StockState,
}

/// A product with its variants.
#[derive(Serialize, ToSchema)]
#[schema(as = ProductDetail)]
pub struct ProductJson<'a> {
    product: SummaryJson<'a>,
    #[schema(value_type = Category)]
    category: &'a Category,
    #[schema(value_type = Localized)]
    description: &'a Localized,
    variants: Vec<VariantJson<'a>>,
}

fn product_json(p: &Product) -> ProductJson<'_> {
    ProductJson {
        product: summary_json(&p.summary),
        category: &p.category,
        description: &p.description,
        variants: p
            .variants
            .iter()
            .map(|v| VariantJson {
                sku: v.sku.as_str(),
                size: &v.size,
                color: &v.color,
                price: v.price.amount(),
                stock: v.stock.max(0),
                stock_state: StockState::of(v.stock),
            })
            .collect(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/products/{slug}",
    operation_id = "getProduct",
    summary = "One product with its variants",
    params(("slug" = ProductSlug, Path, description = "The product's slug")),
    responses(
        (status = 200, description = "The product", body = ProductJson),
        Problems404,
        ProblemsServer,
    )
)]
pub async fn product(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::response::Response, ApiError> {
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
    Ok(axum::response::IntoResponse::into_response(Json(
        product_json(&product),
    )))
}
