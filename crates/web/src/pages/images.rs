//! Product pictures: `/images/products/{slug}.svg` (the product's first colour, front view:
//! what cards in lists show) and `/images/products/{slug}/{colour}/{view}.svg` (one colour,
//! one view: the product page's gallery). Drawn by [`crate::pictures`]; cached by browsers
//! for a day, since a product's pictures change only with its catalog entry.

use crate::error::{Failure, PageError};
use crate::pictures::{self, Fabric, Figure, Rgb, View};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hanjinbi_domain::choice::Options;
use hanjinbi_domain::{Product, ProductSlug};
use std::sync::Arc;

const CACHE_CONTROL: &str = "public, max-age=86400";

async fn product_named(app: &AppState, slug: &str) -> Result<Arc<Product>, PageError> {
    let slug = ProductSlug::parse(slug)?;
    Ok(app
        .services
        .catalog
        .product(&slug)
        .await?
        .ok_or_else(Failure::not_found)?)
}

/// The fabric of the product's colour number `colour`: the palette's, else the product's own
/// colour (see `pictures::palette`), else a neutral grey for a product whose colour is not
/// `#rrggbb`.
fn fabric(product: &Product, options: &Options, colour: usize) -> Fabric {
    options
        .colours
        .get(colour)
        .and_then(|c| pictures::fabric_of(&c.name.vi))
        .unwrap_or_else(|| {
            Fabric::plain(Rgb::parse(&product.summary.color_hex).unwrap_or(Rgb(0x88, 0x88, 0x88)))
        })
}

fn svg_response(svg: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        svg,
    )
        .into_response()
}

fn figure_of(product: &Product) -> Figure {
    Figure::for_product(
        product.category.slug.as_str(),
        product.summary.name.get(hanjinbi_domain::Lang::Vi),
    )
}

pub async fn product_image(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let file = path.map(|Path(f)| f).map_err(|_| Failure::not_found())?;
    let slug = file.strip_suffix(".svg").ok_or_else(Failure::not_found)?;
    let product = product_named(&app, slug).await?;
    let options = Options::of(&product);
    // The first colour in stock, as the product page's gallery shows first.
    let colour = options
        .colours
        .iter()
        .position(|c| c.stock > 0)
        .unwrap_or(0);
    Ok(svg_response(pictures::draw(
        figure_of(&product),
        fabric(&product, &options, colour),
        View::Front,
    )))
}

pub async fn colour_image(
    State(app): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, PageError> {
    let (slug, colour, file) = path.map(|Path(p)| p).map_err(|_| Failure::not_found())?;
    let view = file
        .strip_suffix(".svg")
        .and_then(View::from_slug)
        .ok_or_else(Failure::not_found)?;
    let product = product_named(&app, &slug).await?;
    let options = Options::of(&product);
    let colour = options
        .colour_index(&colour)
        .ok_or_else(Failure::not_found)?;
    Ok(svg_response(pictures::draw(
        figure_of(&product),
        fabric(&product, &options, colour),
        view,
    )))
}
