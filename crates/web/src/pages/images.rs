//! Product pictures drawn as SVG from the product's colour and name, so the demo shop has an
//! image for every product without shipping photographs.

use crate::error::{Failure, PageError};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hanjinbi_domain::{Lang, ProductSlug};

pub async fn product_image(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let file = path.map(|Path(f)| f).map_err(|_| Failure::not_found())?;
    let slug = file.strip_suffix(".svg").ok_or_else(Failure::not_found)?;
    let slug = ProductSlug::parse(slug)?;
    let product = app
        .services
        .catalog
        .product(&slug)
        .await?
        .ok_or_else(Failure::not_found)?;
    let svg = draw(
        &product.summary.color_hex,
        product.summary.name.get(Lang::Vi),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response())
}

/// A square tile in the product's colour with its name in two lines.
fn draw(color_hex: &str, name: &str) -> String {
    let color = if is_hex_color(color_hex) {
        color_hex
    } else {
        "#888888"
    };
    let ink = if is_dark(color) { "#ffffff" } else { "#1a1a1a" };
    let words: Vec<&str> = name.split_whitespace().collect();
    let split = words.len().div_ceil(2);
    let line1 = escape(&words[..split].join(" "));
    let line2 = escape(&words[split..].join(" "));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600" role="img"><rect width="600" height="600" fill="{color}"/><circle cx="300" cy="250" r="150" fill="{ink}" fill-opacity="0.12"/><text x="300" y="470" text-anchor="middle" font-family="sans-serif" font-size="38" fill="{ink}">{line1}</text><text x="300" y="520" text-anchor="middle" font-family="sans-serif" font-size="38" fill="{ink}">{line2}</text></svg>"##
    )
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Perceived brightness below the middle (ITU-R BT.601 weights).
fn is_dark(hex: &str) -> bool {
    let channel =
        |i: usize| u32::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    (channel(1) * 299 + channel(3) * 587 + channel(5) * 114) / 1000 < 140
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawings_escape_text_and_reject_odd_colours() {
        let svg = draw("red;<script>", "Áo <b> & khoác");
        assert!(svg.contains("#888888"));
        assert!(svg.contains("&lt;b&gt;"));
        assert!(svg.contains("&amp; khoác"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn ink_contrasts_with_the_tile() {
        assert!(is_dark("#1b2a4a"));
        assert!(!is_dark("#f5e6c8"));
    }
}
