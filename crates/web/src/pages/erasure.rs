//! Erasure in the storefront, for anyone who controls an address, account or not: a page that
//! says what erasure does and asks for the address; a single-use link emailed to it; a page
//! that states what will happen, with one button; and the page that says what was kept and
//! why. The account page erases a signed-in buyer with the password again (`account::erase`)
//! and ends on the same last page.
//!
//! Asking answers the same "check your email" whether or not the shop holds anything for the
//! address. A link that is used, expired or unknown brings the buyer back to the first form
//! with the reason, to ask for a new one.

use super::account::{
    email_sent, field, form_failed, form_page, no_store, texts, token_of, token_page, AccountTexts,
    Form, EMAIL,
};
use super::html;
use crate::context::{PageContext, RequestContext};
use crate::error::{Failure, PageError};
use crate::form::FormBody;
use crate::views::Chrome;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use hanjinbi_domain::Lang;
use hanjinbi_privacy::policy::DataCategory;
use hanjinbi_services::erasure::ERASURE_LINK_SECS;
use std::net::SocketAddr;

/// The section of the privacy policy on erasure and backups, in `lang`.
pub(super) fn erasure_policy_path(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "/chinh-sach-bao-mat#xoa-du-lieu",
        Lang::En => "/privacy#xoa-du-lieu",
    }
}

/// What erasure does, as the points of `form` (asking for a link also says how the link
/// works), and why orders are kept: the policy's own reason for keeping transaction records,
/// so the page says what the policy says.
pub(super) fn erasure_explained(app: &AppState, form: Form, lang: Lang) -> (Vec<String>, String) {
    let t = texts(lang);
    let mut points = vec![
        t.erasure_what.to_owned(),
        t.erasure_kept.to_owned(),
        t.erasure_final.to_owned(),
    ];
    if form == Form::Erasure {
        points.push(
            t.erasure_how
                .replace("{minutes}", &(ERASURE_LINK_SECS / 60).to_string()),
        );
    }
    (points, transaction_retention(app, lang))
}

fn transaction_retention(app: &AppState, lang: Lang) -> String {
    app.services
        .gate
        .policy()
        .category(DataCategory::Transaction)
        .retention_reason()
        .get(lang.into())
        .to_owned()
}

/// The last page of an erasure.
#[derive(Template)]
#[template(path = "account_erased.html")]
struct ErasedPage {
    chrome: Chrome,
    t: &'static AccountTexts,
    /// The account was erased from its own page, and this browser signed out.
    signed_out: bool,
    kept: String,
    /// Why orders are kept; empty when none were.
    why: String,
    policy_path: &'static str,
}

/// "Erased": how many orders were kept and why.
pub(super) fn erased_page(
    app: &AppState,
    ctx: &RequestContext,
    orders_kept: i64,
    signed_out: bool,
) -> Result<Response, PageError> {
    let t = texts(ctx.lang);
    let kept = match orders_kept {
        0 => t.erased_none.to_owned(),
        1 => t.erased_one.replace("{n}", "1"),
        n => t.erased_many.replace("{n}", &n.to_string()),
    };
    let page = ErasedPage {
        chrome: Chrome::new(&app.shop, ctx),
        t,
        signed_out,
        kept,
        why: if orders_kept == 0 {
            String::new()
        } else {
            transaction_retention(app, ctx.lang)
        },
        policy_path: erasure_policy_path(ctx.lang),
    };
    Ok(no_store(html(&page, ctx)?))
}

// ---- Asking for a link ----

pub async fn request_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    Ok(no_store(html(&form_page(&app, &ctx, Form::Erasure), &ctx)?))
}

pub async fn request(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let email = field(&form, EMAIL);
    let sent = app.services.erasures.request(email, ctx.lang, client.ip());
    email_sent(&app, &ctx, Form::Erasure, email, "xoa-du-lieu", sent).await
}

// ---- Following the link ----

/// What will happen, and the button. The link is checked when the button is pressed: opening
/// it changes nothing, so a mail scanner that follows links erases nothing.
pub async fn confirm_form(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let token = token_of(ctx.params.get("token"));
    let page = form_page(&app, &ctx, Form::EraseConfirm).with_hidden("token", token);
    Ok(token_page(html(&page, &ctx)?))
}

pub async fn confirm(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    form: FormBody,
) -> Result<Response, PageError> {
    let token = token_of(form.params.get("token"));
    match app.services.erasures.confirm(&token).await {
        Ok(done) => {
            app.services.notifier.wake();
            erased_page(&app, &ctx, done.orders_kept, false)
        }
        // A used, expired or unknown link: the form that asks for a new one, with the reason.
        Err(e) => form_failed(
            form_page(&app, &ctx, Form::Erasure),
            Form::Erasure,
            Failure::from(e),
            &ctx,
        )
        .map(token_page),
    }
}
