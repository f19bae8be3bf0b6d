//! Turns every failure into what the client can read: a full HTML page on the storefront,
//! problem+json under `/api/`.

use super::html;
use crate::context::{lang_of, RequestContext};
use crate::error::{problem_response, Failure};
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    message: String,
}

pub async fn render_failures(State(app): State<AppState>, req: Request, next: Next) -> Response {
    // Kept cheaply (reference-counted clones) so that the language is worked out only for
    // the rare request that fails, not on every request.
    let uri = req.uri().clone();
    let language_headers: Vec<_> = [header::COOKIE, header::ACCEPT_LANGUAGE]
        .into_iter()
        .filter_map(|name| req.headers().get(&name).cloned().map(|v| (name, v)))
        .collect();
    let mut response = next.run(req).await;
    let failure = match response.extensions_mut().remove::<Failure>() {
        Some(failure) => failure,
        None if response.status() == StatusCode::METHOD_NOT_ALLOWED => Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Phương thức HTTP này không được hỗ trợ ở địa chỉ này.",
            "This HTTP method is not allowed here.",
        ),
        None => return response,
    };
    let request_headers = HeaderMap::from_iter(language_headers);
    let api = uri.path().starts_with("/api/");
    let lang = lang_of(&request_headers, uri.query(), api);
    // A client told to slow down is also told for how long, whatever the answer's form.
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    if api {
        let mut problem = problem_response(&failure, lang);
        if let Some(value) = retry_after {
            problem.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return problem;
    }
    let ctx = RequestContext::minimal(lang, uri.path().to_owned());
    let mut chrome = Chrome::new(&app.shop, &ctx);
    // The minimal context carries no cookies; the header's cart count comes from the request.
    chrome.cart_count = request_headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map_or(0, crate::cart_count::from_cookie_header);
    let title = if failure.status == StatusCode::NOT_FOUND {
        chrome.t.not_found_title
    } else {
        chrome.t.error_title
    };
    let message = if failure.status == StatusCode::NOT_FOUND && failure.code == "not_found" {
        chrome.t.not_found_body.to_owned()
    } else {
        failure.message(lang).to_owned()
    };
    let page = ErrorPage {
        title: title.to_owned(),
        message,
        chrome,
    };
    let cookies: Vec<_> = response
        .headers()
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    let mut rendered = match html(&page, &ctx) {
        Ok(rendered) => rendered,
        Err(_) => failure.status.into_response(),
    };
    *rendered.status_mut() = failure.status;
    if let Some(value) = retry_after {
        rendered.headers_mut().insert(header::RETRY_AFTER, value);
    }
    // Cookies the handler set (or cleared) still apply when the answer is an error page.
    for cookie in cookies {
        rendered
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    rendered
}
