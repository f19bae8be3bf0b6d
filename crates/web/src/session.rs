//! Who is signed in: the session a request carries, as the `hj_session` cookie (browsers) or
//! an `Authorization: Bearer` token (apps), proved by the accounts service against the
//! database. Forms that change anything for a signed-in browser carry the session's form
//! token, which another site cannot read: see [`SignedIn::check_form`].

use crate::context::{cookie_value, set_cookie};
use crate::error::Failure;
use crate::AppState;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use hanjinbi_privacy::credentials;
use hanjinbi_services::accounts::{AccountError, Session, SessionKind};

/// The cookie that carries a browser's session.
pub const SESSION_COOKIE: &str = "hj_session";
/// The header that carries a signed-in browser's form token on API calls that change state.
pub const FORM_TOKEN_HEADER: &str = "x-csrf-token";

/// A token a request presents, and how.
fn presented(headers: &HeaderMap) -> Option<(String, SessionKind)> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = auth.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (token.trim().to_owned(), SessionKind::Bearer));
    }
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    cookie_value(&cookies, SESSION_COOKIE).map(|t| (t.to_owned(), SessionKind::Cookie))
}

/// A signed-in request.
pub struct SignedIn {
    pub session: Session,
    pub token: String,
    pub kind: SessionKind,
}

impl SignedIn {
    /// The form token of this session, for the hidden field of every form.
    pub fn form_token(&self) -> String {
        credentials::form_token(&self.token)
    }

    /// Refuses a change asked for by a browser's cookie without this session's form token.
    /// A bearer token is not sent by browsers on their own, so it needs none.
    pub fn check_form(&self, presented: Option<&str>) -> Result<(), Failure> {
        match self.kind {
            SessionKind::Bearer => Ok(()),
            SessionKind::Cookie => {
                if presented.is_some_and(|p| credentials::check_form_token(&self.token, p)) {
                    Ok(())
                } else {
                    Err(Failure::new(
                        StatusCode::FORBIDDEN,
                        "form_token_invalid",
                        "Biểu mẫu đã cũ hoặc không đến từ trang của cửa hàng. Vui lòng tải lại trang và thử lại.",
                        "This form is out of date or did not come from the shop's own page. Please reload the page and try again.",
                    ))
                }
            }
        }
    }
}

/// The session a request carries, if it is live: `Ok(None)` when it carries none, or one
/// that is no longer live (signed out, expired).
pub async fn signed_in(app: &AppState, parts: &Parts) -> Result<Option<SignedIn>, Failure> {
    signed_in_from(app, &parts.headers).await
}

pub async fn signed_in_from(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, Failure> {
    let Some((token, kind)) = presented(headers) else {
        return Ok(None);
    };
    match app.services.accounts.session(&token).await {
        Ok(session) => Ok(Some(SignedIn {
            session,
            token,
            kind,
        })),
        Err(AccountError::NotSignedIn) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The session a request carries, or 401.
pub async fn require(app: &AppState, headers: &HeaderMap) -> Result<SignedIn, Failure> {
    signed_in_from(app, headers)
        .await?
        .ok_or_else(|| AccountError::NotSignedIn.into())
}

/// The form token a request carries in `X-CSRF-Token`, if any.
pub fn form_token_in(headers: &HeaderMap) -> Option<&str> {
    headers.get(FORM_TOKEN_HEADER).and_then(|v| v.to_str().ok())
}

/// The session of an API call that changes something: with the cookie, its form token too.
pub async fn require_for_change(app: &AppState, headers: &HeaderMap) -> Result<SignedIn, Failure> {
    let signed_in = require(app, headers).await?;
    signed_in.check_form(form_token_in(headers))?;
    Ok(signed_in)
}

/// Marks an answer that carries a session, a token or personal data: no cache keeps it.
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Adds `cookie` (from [`session_cookie`] or [`clear_session_cookie`]) to `response`.
pub fn with_cookie(mut response: Response, cookie: &str) -> Result<Response, Failure> {
    let value = HeaderValue::from_str(cookie).map_err(|e| Failure::internal(&e))?;
    response.headers_mut().append(header::SET_COOKIE, value);
    Ok(response)
}

/// Whether cookies must be `Secure`: the shop's public address is https, or this request
/// came over https.
pub fn secure_cookies(app: &AppState, request_secure: bool) -> bool {
    request_secure || app.shop.public_url.starts_with("https://")
}

/// `Set-Cookie` for a new session until `expires_at`.
pub fn session_cookie(token: &str, now: i64, expires_at: i64, secure: bool) -> String {
    let max_age = u64::try_from(expires_at - now).unwrap_or(0);
    set_cookie(SESSION_COOKIE, token, max_age, secure)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    set_cookie(SESSION_COOKIE, "", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_bearer_header_wins_over_the_cookie_and_other_schemes_carry_nothing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("hj_session=fromcookie"),
        );
        assert_eq!(
            presented(&h),
            Some(("fromcookie".to_owned(), SessionKind::Cookie))
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(presented(&h), Some(("abc".to_owned(), SessionKind::Bearer)));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(presented(&h), None);
    }
}
