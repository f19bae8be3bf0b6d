//! Erasure in the API: a signed-in buyer with the password again, or whoever controls an
//! address with the single-use link emailed to it. Either destroys the data keys of every
//! record made with the address; orders stay as transaction records without identity, and a
//! last email says what was kept and why.

use super::auth::{check_email, CheckEmailJson};
use super::doc::{ProblemsErase, ProblemsErasureConfirm, ProblemsErasureRequest, ProblemsServer};
use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::session::{self, no_store, require_for_change, with_cookie};
use crate::timing::{answer_no_sooner_than, ACCOUNT_REQUEST_ANSWER_AFTER};
use crate::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EraseMe)]
pub struct EraseBody {
    /// The account's password, asked again.
    #[schema(min_length = 1, max_length = 128)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ErasureRequest)]
pub struct RequestBody {
    /// The address whose records to erase; the link goes there.
    #[schema(format = Email, max_length = 254)]
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ErasureConfirmation)]
pub struct ConfirmBody {
    /// The `token` of the link in the email.
    #[schema(min_length = 43, max_length = 43)]
    token: String,
}

/// Done: every data key of the address is destroyed.
#[derive(Serialize, ToSchema)]
#[schema(as = Erased)]
pub struct ErasedJson {
    /// Orders kept as transaction records (items, amounts, dates, methods), without identity.
    orders_kept: i64,
}

fn erased(orders_kept: i64) -> Response {
    no_store(Json(ErasedJson { orders_kept }).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/me/erase",
    operation_id = "eraseMe",
    summary = "Erase the signed-in buyer's data",
    description = "Needs the password again. Destroys the data keys of the account and of every \
        guest order record made with its address: every sealed copy becomes unreadable at once. \
        Orders stay as transaction records without identity; a last email says what was kept \
        and why. Every session ends. With the cookie, send `X-CSRF-Token`.",
    request_body = EraseBody,
    responses(
        (status = 200, description = "Erased", body = ErasedJson),
        ProblemsErase,
        ProblemsServer,
    )
)]
pub async fn erase_me(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    body: Result<JsonBody<EraseBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = require_for_change(&app, &headers).await?;
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let done = app
            .services
            .erasures
            .erase_account(&signed_in.session, &body.password, client.ip())
            .await?;
        app.services.notifier.wake();
        with_cookie(
            erased(done.orders_kept),
            &session::clear_session_cookie(session::secure_cookies(&app, ctx.secure)),
        )
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/erasure-requests",
    operation_id = "requestErasure",
    summary = "Ask for a link that erases everything held with an address",
    description = "For buyers without an account (or who cannot sign in). When the shop holds \
        any record made with the address, a link that works for an hour, once, is emailed to \
        it; the answer is the same either way. Limited per address and per client address \
        (429 too_many_attempts, with Retry-After).",
    request_body = RequestBody,
    responses(
        (status = 202, description = "An email is on its way if the shop holds anything for the address", body = CheckEmailJson),
        ProblemsErasureRequest,
        ProblemsServer,
    )
)]
pub async fn request(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<RequestBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        answer_no_sooner_than(
            ACCOUNT_REQUEST_ANSWER_AFTER,
            app.services
                .erasures
                .request(&body.email, ctx.lang, client.ip()),
        )
        .await?;
        app.services.notifier.wake();
        Ok::<_, Failure>(check_email(ctx.lang))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/erasure-requests/confirm",
    operation_id = "confirmErasure",
    summary = "Erase everything held with the address the link was sent to",
    description = "Destroys the data keys of every record made with the address (guest orders \
        and the account, if any). Orders stay as transaction records without identity; a last \
        email says what was kept and why.",
    request_body = ConfirmBody,
    responses(
        (status = 200, description = "Erased", body = ErasedJson),
        ProblemsErasureConfirm,
        ProblemsServer,
    )
)]
pub async fn confirm(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<ConfirmBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let done = app.services.erasures.confirm(&body.token).await?;
        app.services.notifier.wake();
        Ok::<_, Failure>(erased(done.orders_kept))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}
