//! What every handler needs to know about the request: the visitor's language, the decoded
//! query string and cookies.

use crate::error::{ApiError, Failure, PageError};
use crate::query::Params;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use hanjinbi_domain::Lang;

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub lang: Lang,
    /// The visitor chose the language with `?lang=` on this request; remember it.
    pub lang_chosen: bool,
    pub params: Params,
    pub path: String,
    /// The request came over HTTPS (directly or through a proxy that says so).
    pub secure: bool,
    /// The browser prefers a language other than the one shown, and the visitor has not
    /// chosen: pages offer the switch rather than decide for them.
    pub suggested: Option<Lang>,
    cookie_header: String,
}

/// Who decides the language when the visitor has not chosen one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Negotiation {
    /// Storefront pages: Vietnamese; the browser's language is only a suggestion.
    Suggest,
    /// The API: `Accept-Language`, as HTTP clients expect.
    Header,
}

impl RequestContext {
    fn from_parts(
        parts: &Parts,
        negotiation: Negotiation,
    ) -> Result<RequestContext, Box<(Failure, Lang)>> {
        let cookie_header = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let remembered = cookie_value(&cookie_header, LANG_COOKIE).and_then(Lang::from_code);
        let preferred = browser_language(&parts.headers);
        let fallback_lang = match negotiation {
            Negotiation::Suggest => remembered.unwrap_or_default(),
            Negotiation::Header => remembered.or(preferred).unwrap_or_default(),
        };
        let params = Params::parse(parts.uri.query()).map_err(|f| Box::new((f, fallback_lang)))?;
        let chosen = params.get("lang").and_then(Lang::from_code);
        let lang = chosen.unwrap_or(fallback_lang);
        Ok(RequestContext {
            lang,
            suggested: preferred.filter(|&p| {
                negotiation == Negotiation::Suggest
                    && p != lang
                    && chosen.is_none()
                    && remembered.is_none()
            }),
            lang_chosen: chosen.is_some(),
            path: same_site_path(parts.uri.path()),
            secure: parts.uri.scheme_str() == Some("https")
                || parts
                    .headers
                    .get("x-forwarded-proto")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")),
            params,
            cookie_header,
        })
    }

    /// A context for pages rendered outside a handler, such as error pages.
    pub fn minimal(lang: Lang, path: String) -> RequestContext {
        RequestContext {
            lang,
            lang_chosen: false,
            suggested: None,
            params: Params::default(),
            path: same_site_path(&path),
            secure: false,
            cookie_header: String::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie_value(&self.cookie_header, name)
    }

    /// The current address with `extra` query parameters replacing those of the same name.
    pub fn href_with(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(n, _)| !extra.iter().any(|(e, _)| e == n))
            .collect();
        pairs.extend(extra.iter().filter(|(_, v)| !v.is_empty()).copied());
        href(&self.path, &pairs)
    }
}

/// The request's path made safe to put back into a link on our own pages: one leading `/`
/// (a path starting `//` or `/\` is read by browsers as another site's address) and no
/// backslash (which browsers read as `/`).
pub fn same_site_path(raw: &str) -> String {
    let rest = raw.trim_start_matches(['/', '\\']);
    let mut out = String::with_capacity(rest.len() + 1);
    out.push('/');
    for c in rest.chars() {
        match c {
            '\\' => out.push_str("%5C"),
            c => out.push(c),
        }
    }
    out
}

/// `path?n=v&…` with values percent-encoded.
pub fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    for (i, (name, value)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        out.push_str(&crate::query::encode(value));
    }
    out
}

/// The language `Accept-Language` prefers among ours, when it names one.
fn browser_language(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .map(Lang::negotiate)
}

/// The value of cookie `name` in a `Cookie` header (RFC 6265 §4.2.1).
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (n, v) = pair.trim().split_once('=')?;
        (n == name).then(|| v.trim_matches('"'))
    })
}

/// A `Set-Cookie` value for a first-party cookie that scripts cannot read.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// The context of a storefront page; bad query strings become error pages.
pub struct PageContext(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        RequestContext::from_parts(parts, Negotiation::Suggest)
            .map(PageContext)
            .map_err(|rejected| PageError(rejected.0))
    }
}

/// The context of an API call; bad query strings become problem+json.
pub struct ApiContext(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for ApiContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        RequestContext::from_parts(parts, Negotiation::Header)
            .map(ApiContext)
            .map_err(|rejected| ApiError::new(rejected.0, rejected.1))
    }
}

/// The visitor's language for places that cannot fail, such as error pages: chosen by the
/// query, else remembered by the cookie, else — for the API only — `Accept-Language`, else
/// Vietnamese. The same rule as [`PageContext`] and [`ApiContext`].
pub fn lang_of(parts_headers: &HeaderMap, query: Option<&str>, api: bool) -> Lang {
    let cookies = parts_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    query
        .and_then(|q| Params::parse(Some(q)).ok())
        .and_then(|p| p.get("lang").and_then(Lang::from_code))
        .or_else(|| cookie_value(&cookies, LANG_COOKIE).and_then(Lang::from_code))
        .or_else(|| api.then(|| browser_language(parts_headers)).flatten())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_browsers_read_as_another_site_become_same_site_paths() {
        assert_eq!(same_site_path("//evil.example/x"), "/evil.example/x");
        assert_eq!(same_site_path("/\\evil.example"), "/evil.example");
        assert_eq!(same_site_path("/\\/evil.example"), "/evil.example");
        assert_eq!(same_site_path("/a\\b"), "/a%5Cb");
        assert_eq!(same_site_path("/danh-muc/ao"), "/danh-muc/ao");
        assert_eq!(same_site_path(""), "/");
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let header = "a=1; hj_cart=abc.def; lang=en";
        assert_eq!(cookie_value(header, "hj_cart"), Some("abc.def"));
        assert_eq!(cookie_value(header, "lang"), Some("en"));
        assert_eq!(cookie_value(header, "cart"), None);
    }

    #[test]
    fn hrefs_encode_values() {
        assert_eq!(
            href("/tim-kiem", &[("q", "áo khoác"), ("page", "2")]),
            "/tim-kiem?q=%C3%A1o%20kho%C3%A1c&page=2"
        );
    }
}
