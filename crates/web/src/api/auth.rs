//! Accounts in the API: registration, verification, sign-in and out, password reset, and the
//! signed-in buyer's own account (`/api/v1/me`). A session is a bearer token
//! (`Authorization: Bearer …`) or the `hj_session` cookie; a change made with the cookie must
//! also carry the session's form token in `X-CSRF-Token` (given by `GET /api/v1/me`), so a
//! page of another site cannot act for a signed-in browser.

use super::doc::{
    ProblemsLogin, ProblemsPasswordChange, ProblemsRegister, ProblemsResetConfirm,
    ProblemsResetRequest, ProblemsServer, ProblemsSignedIn, ProblemsVerify,
};
use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::session::{self, form_token_in, no_store, require_for_change, with_cookie};
use crate::timing::{answer_no_sooner_than, ACCOUNT_REQUEST_ANSWER_AFTER};
use crate::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::clock_text::vietnam_time_machine;
use hanjinbi_domain::password::{MAX_CHARS, MIN_CHARS};
use hanjinbi_domain::Lang;
use hanjinbi_services::accounts::{SessionKind, SignedIn as NewSession};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

/// An address and a password for a new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Registration)]
pub struct RegisterBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 10 to 128 characters, not a common password, not the address itself.
    #[schema(min_length = 10, max_length = 128)]
    password: String,
}

/// Accepted: an email is on its way to the address. The same answer whether or not the
/// address already had an account.
#[derive(Serialize, ToSchema)]
#[schema(as = CheckYourEmail)]
pub struct CheckEmailJson {
    /// What to do next, in the caller's language.
    detail: String,
}

/// The link's token from the verification email, and the account's password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Verification)]
pub struct VerifyBody {
    /// The `token` of the link in the email.
    #[schema(min_length = 43, max_length = 43)]
    token: String,
    #[schema(min_length = 1, max_length = 128)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SignInRequest)]
pub struct LoginBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 128)]
    password: String,
}

/// A new session: the bearer token (also set as the `hj_session` cookie) and when it ends.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionToken)]
pub struct TokenJson {
    /// Send as `Authorization: Bearer <token>`. Keep it secret.
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordResetRequest)]
pub struct ResetRequestBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordResetConfirmation)]
pub struct ResetConfirmBody {
    /// The `token` of the link in the reset email.
    #[schema(min_length = 43, max_length = 43)]
    token: String,
    /// The new password: 10 to 128 characters, not a common password.
    #[schema(min_length = 10, max_length = 128)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordChange)]
pub struct PasswordChangeBody {
    #[schema(min_length = 1, max_length = 128)]
    current_password: String,
    /// 10 to 128 characters, not a common password, not the address itself.
    #[schema(min_length = 10, max_length = 128)]
    new_password: String,
}

/// The signed-in buyer's account.
#[derive(Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeJson {
    #[schema(format = Email)]
    email: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    email_verified_at: String,
    /// The language of the account's emails.
    #[schema(pattern = "^(vi|en)$")]
    lang: String,
    /// Live sessions of the account (this one included).
    sessions: i64,
    /// For a session carried by the cookie: the value of `X-CSRF-Token` on every change.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

/// An order placed with the account's address (guest orders included).
#[derive(Serialize, ToSchema)]
#[schema(as = AccountOrder)]
pub struct AccountOrderJson {
    number: String,
    status: String,
    /// In đồng.
    total: i64,
    items: i64,
    #[schema(format = DateTime)]
    placed_at: String,
    /// Opens the order: `GET /api/v1/orders/{number}` with this as `X-Order-Token`.
    order_token: String,
}

fn time(secs: i64) -> Result<String, Failure> {
    vietnam_time_machine(secs).ok_or_else(|| {
        Failure::internal(&format_args!("the time {secs} cannot be written as a date"))
    })
}

pub(super) fn check_email(lang: Lang) -> Response {
    let detail = match lang {
        Lang::Vi => {
            "Nếu địa chỉ dùng được, một email đã được gửi tới đó. Hãy mở liên kết trong email."
        }
        Lang::En => {
            "If the address can be used, an email is on its way to it. Open the link in it."
        }
    };
    (
        StatusCode::ACCEPTED,
        Json(CheckEmailJson {
            detail: detail.to_owned(),
        }),
    )
        .into_response()
}

/// A new session as the answer: the token in the body and as the cookie.
fn session_answer(app: &AppState, ctx_secure: bool, new: NewSession) -> Result<Response, Failure> {
    let cookie = session::session_cookie(
        new.token.expose(),
        new.started_at,
        new.expires_at,
        session::secure_cookies(app, ctx_secure),
    );
    let response = Json(TokenJson {
        token: new.token.expose().to_owned(),
        expires_at: time(new.expires_at)?,
    })
    .into_response();
    Ok(no_store(with_cookie(response, &cookie)?))
}

/// `204 No Content` that removes the session cookie.
pub(super) fn signed_out(app: &AppState, ctx_secure: bool) -> Result<Response, Failure> {
    with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &session::clear_session_cookie(session::secure_cookies(app, ctx_secure)),
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    operation_id = "register",
    summary = "Register an account",
    description = "Sends a verification link to the address (it works for 24 hours, once; \
        verifying needs the link and this password). When the address already has an account, \
        its owner gets a sign-in and password-reset link instead. The answer is the same either \
        way. Registrations are limited per address and per client address (429 \
        too_many_attempts, with Retry-After).",
    request_body = RegisterBody,
    responses(
        (status = 202, description = "An email is on its way if the address can be used", body = CheckEmailJson),
        ProblemsRegister,
        ProblemsServer,
    )
)]
pub async fn register(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<RegisterBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        answer_no_sooner_than(
            ACCOUNT_REQUEST_ANSWER_AFTER,
            app.services
                .accounts
                .register(&body.email, &body.password, ctx.lang, client.ip()),
        )
        .await?;
        app.services.notifier.wake();
        Ok::<_, Failure>(check_email(ctx.lang))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/verify",
    operation_id = "verifyEmail",
    summary = "Verify the address with the emailed link and the password, and sign in",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified and signed in", body = TokenJson),
        ProblemsVerify,
        ProblemsServer,
    )
)]
pub async fn verify(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<VerifyBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let new = app
            .services
            .accounts
            .verify(
                &body.token,
                &body.password,
                SessionKind::Bearer,
                client.ip(),
            )
            .await?;
        session_answer(&app, ctx.secure, new)
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "login",
    summary = "Sign in",
    description = "Returns a bearer token and sets the same session as the `hj_session` cookie. \
        Sessions end 30 days after sign-in, or after 7 days unused. A wrong password and an \
        unknown address get the same answer (401 wrong_credentials); attempts are limited per \
        address and per client address (429 too_many_attempts, with Retry-After).",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in", body = TokenJson),
        ProblemsLogin,
        ProblemsServer,
    )
)]
pub async fn login(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<LoginBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let replacing = ctx.cookie(session::SESSION_COOKIE).map(str::to_owned);
        let new = app
            .services
            .accounts
            .sign_in(
                &body.email,
                &body.password,
                SessionKind::Bearer,
                replacing.as_deref(),
                client.ip(),
            )
            .await?;
        session_answer(&app, ctx.secure, new)
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout",
    summary = "Sign out this session",
    responses(
        (status = 204, description = "Signed out (also when the session had already ended)"),
        ProblemsSignedIn,
        ProblemsServer,
    )
)]
pub async fn logout(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        if let Some(signed_in) = session::signed_in_from(&app, &headers).await? {
            signed_in.check_form(form_token_in(&headers))?;
            app.services.accounts.sign_out(&signed_in.token).await?;
        }
        signed_out(&app, ctx.secure)
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout-everywhere",
    operation_id = "logoutEverywhere",
    summary = "Sign out every session of the account, this one included",
    responses(
        (status = 204, description = "Every session ended"),
        ProblemsSignedIn,
        ProblemsServer,
    )
)]
pub async fn logout_everywhere(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = require_for_change(&app, &headers).await?;
        app.services
            .accounts
            .sign_out_everywhere(&signed_in.session)
            .await?;
        signed_out(&app, ctx.secure)
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    operation_id = "requestPasswordReset",
    summary = "Ask for a password-reset link",
    description = "When the address has an account, a link that works for an hour, once, is \
        emailed to it. The answer is the same either way. Limited per address and per client \
        address (429 too_many_attempts, with Retry-After).",
    request_body = ResetRequestBody,
    responses(
        (status = 202, description = "An email is on its way if the address has an account", body = CheckEmailJson),
        ProblemsResetRequest,
        ProblemsServer,
    )
)]
pub async fn request_reset(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<ResetRequestBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        answer_no_sooner_than(
            ACCOUNT_REQUEST_ANSWER_AFTER,
            app.services
                .accounts
                .request_reset(&body.email, client.ip()),
        )
        .await?;
        app.services.notifier.wake();
        Ok::<_, Failure>(check_email(ctx.lang))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    operation_id = "confirmPasswordReset",
    summary = "Set a new password with the emailed link",
    description = "Also verifies the address (only its owner received the link). Every session \
        of the account ends; sign in with the new password.",
    request_body = ResetConfirmBody,
    responses(
        (status = 204, description = "The password is changed"),
        ProblemsResetConfirm,
        ProblemsServer,
    )
)]
pub async fn confirm_reset(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    body: Result<JsonBody<ResetConfirmBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        app.services
            .accounts
            .confirm_reset(&body.token, &body.password)
            .await?;
        Ok::<_, Failure>(StatusCode::NO_CONTENT.into_response())
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "getMe",
    summary = "The signed-in buyer's account",
    description = "Reading the address is an opening through the privacy gate, for answering \
        the buyer's own request, and is in the audit log.",
    responses(
        (status = 200, description = "The account", body = MeJson),
        (status = 401, description = "Not signed in (not_signed_in)", content_type = "application/problem+json", body = crate::error::Problem),
        (status = 409, description = "The buyer restricted or objected to answering their own requests, so the address is not opened (processing_limited)", content_type = "application/problem+json", body = crate::error::Problem),
        ProblemsServer,
    ),
)]
pub async fn me(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = session::require(&app, &headers).await?;
        let overview = app.services.accounts.overview(&signed_in.session).await?;
        let csrf_token = (signed_in.kind == SessionKind::Cookie).then(|| signed_in.form_token());
        let response = Json(MeJson {
            email: overview.email.expose().to_owned(),
            created_at: time(overview.created_at)?,
            email_verified_at: time(overview.verified_at)?,
            lang: overview.lang.code().to_owned(),
            sessions: overview.sessions,
            csrf_token,
        })
        .into_response();
        Ok::<_, Failure>(no_store(response))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/orders",
    operation_id = "getMyOrders",
    summary = "Orders placed with the account's address, newest first",
    description = "Guest orders placed with the same address before or after registering are \
        included: they are found through the address's keyed blind index, without opening any \
        buyer's record. At most 200.",
    responses(
        (status = 200, description = "The orders", body = Vec<AccountOrderJson>),
        (status = 401, description = "Not signed in (not_signed_in)", content_type = "application/problem+json", body = crate::error::Problem),
        ProblemsServer,
    ),
)]
pub async fn my_orders(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = session::require(&app, &headers).await?;
        let accounts = &app.services.accounts;
        let orders = accounts.orders(&signed_in.session).await?;
        let listed = orders
            .iter()
            .map(|o| {
                Ok(AccountOrderJson {
                    number: o.number.clone(),
                    status: o.status.clone(),
                    total: o.total,
                    items: o.items,
                    placed_at: time(o.placed_at)?,
                    order_token: accounts.order_token(o),
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        Ok::<_, Failure>(no_store(Json(listed).into_response()))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    put,
    path = "/api/v1/me/password",
    operation_id = "changePassword",
    summary = "Change the password",
    description = "Needs the current password. Every session of the account ends and a new one \
        is returned (and set as the cookie). With the cookie, send `X-CSRF-Token`.",
    request_body = PasswordChangeBody,
    responses(
        (status = 200, description = "Changed; the new session", body = TokenJson),
        ProblemsPasswordChange,
        ProblemsServer,
    ),
)]
pub async fn change_password(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    body: Result<JsonBody<PasswordChangeBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = require_for_change(&app, &headers).await?;
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let new = app
            .services
            .accounts
            .change_password(
                &signed_in.session,
                &body.current_password,
                &body.new_password,
                signed_in.kind,
                client.ip(),
            )
            .await?;
        session_answer(&app, ctx.secure, new)
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

// The password limits written in the schemas above are the parser's.
const _: () = assert!(MIN_CHARS == 10 && MAX_CHARS == 128);
