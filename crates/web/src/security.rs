//! Browser-facing protections: refusing cross-site form posts, and security headers.

use crate::error::{Failure, PageError};
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses state-changing requests that a browser says come from another site.
///
/// Browsers send `Sec-Fetch-Site` (and `Origin`) on cross-origin posts; a form on another site
/// cannot forge them. Clients that are not browsers send neither and pass: they hold their
/// own cart tokens and are not at risk of being tricked. SameSite=Lax cookies add a second
/// layer.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && is_cross_site(req.headers()) {
        return PageError(Failure::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "Yêu cầu đến từ một trang web khác nên đã bị từ chối.",
            "This request came from another website and was refused.",
        ))
        .into_response();
    }
    next.run(req).await
}

/// Refuses a read that hands out a buyer's data in bulk (the data download) when a browser
/// says another site started it: a link on another page would otherwise make a signed-in
/// browser fetch (and the gate open, audited) everything, for nothing the buyer wanted.
/// Clients that are not browsers send neither header and pass, as with writes.
pub fn refuse_cross_site_download(headers: &HeaderMap) -> Result<(), Failure> {
    if is_cross_site(headers) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "Yêu cầu tải dữ liệu đến từ một trang web khác nên đã bị từ chối. Hãy tải từ trang Dữ liệu của tôi.",
            "This download was started from another website and was refused. Download it from the page My data.",
        ));
    }
    Ok(())
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            origin == "null" || !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// Headers every response carries.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.insert(*n, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "shop.vn")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "shop.vn")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://shop.vn"),
            ("host", "shop.vn")
        ])));
        assert!(!is_cross_site(&headers(&[])));
    }
}
