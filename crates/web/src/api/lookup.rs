//! Looking an order up with a one-time code, as the lookup page does: ask for a code with the
//! order number and the email or phone used for it, then exchange the code for the order's
//! lookup token. The answers, and what each may reveal, are those of the page
//! (`docs/lookup.md`).

use super::doc::{ProblemsLookupCode, ProblemsLookupToken, ProblemsServer};
use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::timing::{answer_no_sooner_than, CODE_REQUEST_ANSWER_AFTER};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::clock_text::vietnam_time_machine;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

/// Who asks for a code: the email address or phone number given with the order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LookupCodeRequest)]
pub struct CodeRequestBody {
    /// The order's email address, or its phone number (0…, 84… or +84…).
    #[schema(max_length = 254)]
    contact: String,
}

/// A request for a code that was accepted. It does not say whether the details matched: if
/// they did, a 6-digit code was sent to the order's email address.
#[derive(Serialize, ToSchema)]
#[schema(as = LookupCodeRequested)]
pub struct CodeRequestedJson {
    /// How long a code works once sent, in seconds.
    code_lifetime_secs: i64,
    /// From when the same number and contact may ask again, in Vietnam's time.
    #[schema(format = DateTime)]
    ask_again_at: String,
}

/// The code from the email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LookupCodeRedemption)]
pub struct RedeemBody {
    /// Six digits.
    #[schema(pattern = "^[0-9]{6}$")]
    code: String,
}

/// The order's lookup token, for the holder of its newest code.
#[derive(Serialize, ToSchema)]
#[schema(as = LookupToken)]
pub struct TokenJson {
    /// With the number, opens the order (`X-Order-Token`). Keep it secret.
    lookup_token: String,
    order_url: String,
}

fn number_of(path: Result<Path<String>, PathRejection>) -> Result<String, Failure> {
    path.map(|Path(n)| n).map_err(|_| Failure::not_found())
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/lookup-code",
    operation_id = "requestLookupCode",
    summary = "Ask for a one-time code to look an order up",
    description = "When the contact (the order's email address or phone number) matches the \
        order, a 6-digit code is emailed to the order's address; it works for 15 minutes, once. \
        The answer is the same whether or not the details match an order. The same number and \
        contact may ask once a minute (429 code_requested_too_soon, for matching and other \
        details alike); codes asked for are limited per contact and per client (429 \
        lookup_locked). Both say until when, in `detail` and Retry-After.",
    params(("number" = String, Path, description = "The order number, HJ and 10 letters or digits")),
    request_body = CodeRequestBody,
    responses(
        (status = 202, description = "Accepted; a code was sent if the details match an order", body = CodeRequestedJson),
        ProblemsLookupCode,
        ProblemsServer,
    )
)]
pub async fn request_code(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<CodeRequestBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let number = number_of(path)?;
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let requested = answer_no_sooner_than(
            CODE_REQUEST_ANSWER_AFTER,
            app.services
                .orders
                .request_code(&number, &body.contact, client.ip()),
        )
        .await?;
        app.services.notifier.wake();
        let ask_again_at = vietnam_time_machine(requested.ask_again_at).ok_or_else(|| {
            Failure::internal(&format_args!(
                "the time {} cannot be written as a date",
                requested.ask_again_at
            ))
        })?;
        Ok::<_, Failure>(
            (
                StatusCode::ACCEPTED,
                Json(CodeRequestedJson {
                    code_lifetime_secs: requested.code_lifetime_secs,
                    ask_again_at,
                }),
            )
                .into_response(),
        )
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/lookup-token",
    operation_id = "redeemLookupCode",
    summary = "Exchange a one-time code for the order's lookup token",
    description = "A wrong code answers 422 code_wrong with `tries_left`, whether or not an order \
        has this number; an expired or already used code (410) is said only to whoever presents \
        the right code. After 5 wrong codes a new code must be asked for (410 \
        code_tries_used_up); wrong codes are also limited per order number, per contact and \
        per client (429 lookup_locked, with Retry-After).",
    params(("number" = String, Path, description = "The order number, HJ and 10 letters or digits")),
    request_body = RedeemBody,
    responses(
        (status = 200, description = "The order's lookup token", body = TokenJson),
        ProblemsLookupToken,
        ProblemsServer,
    )
)]
pub async fn redeem_code(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<RedeemBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let number = number_of(path)?;
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let token = app
            .services
            .orders
            .redeem_code(&number, &body.code, client.ip())
            .await?;
        let number = number.trim().to_ascii_uppercase();
        Ok::<_, Failure>(
            (
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                Json(TokenJson {
                    order_url: format!("/don-hang/{number}?token={token}"),
                    lookup_token: token,
                }),
            )
                .into_response(),
        )
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}
