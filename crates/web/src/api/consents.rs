//! The signed-in buyer's consent centre in the API: consent to each consent purpose of the
//! privacy policy, given and withdrawn as easily, and objections to and restrictions of the
//! other purposes. Changes made with the session cookie carry `X-CSRF-Token`, like every
//! change under `/api/v1/me`.

use super::doc::{ProblemsConsentDecision, ProblemsLimit, ProblemsServer};
use super::json::JsonBody;
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::session::{self, SignedIn};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hanjinbi_domain::clock_text::vietnam_time_machine;
use hanjinbi_domain::Lang;
use hanjinbi_privacy::policy::{Language, LegalBasis, Policy, PurposeRule};
use hanjinbi_services::accounts::SessionKind;
use hanjinbi_services::consents::{
    Centre, Channel, ConsentError, ConsentState, Decision, LimitKind,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Where a consent purpose stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ConsentState)]
pub enum StateJson {
    Granted,
    Withdrawn,
    /// No decision that counts: never asked, or only a box ticked at a guest checkout, which
    /// proved nothing about who controls the address.
    NeverAsked,
}

/// One decision, as the consent ledger keeps it.
#[derive(Serialize, ToSchema)]
#[schema(as = ConsentDecision)]
pub struct DecisionJson {
    granted: bool,
    /// Made by someone who had proved control of the address (an unverified grant counts
    /// for nothing; a withdrawal always counts).
    verified: bool,
    /// The version of the privacy policy the wording belonged to.
    policy_version: String,
    /// The exact wording the buyer was shown.
    wording: String,
    /// Where it was made: `web`, `api`.
    channel: String,
    #[schema(format = DateTime)]
    at: String,
}

/// A purpose that needs the buyer's consent.
#[derive(Serialize, ToSchema)]
#[schema(as = ConsentPurpose)]
pub struct ConsentJson {
    /// The purpose's code, as in the path of `PUT /api/v1/me/consents/{purpose}`.
    purpose: String,
    label: String,
    /// The exact wording of the policy in force, in the answer's language: what a decision
    /// made now records.
    wording: String,
    state: StateJson,
    /// When the decision that counts now was made.
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    /// The policy version of the decision that counts now.
    decided_under_version: Option<String>,
    /// The wording the buyer was shown with the decision that counts now.
    decided_wording: Option<String>,
    /// The consent counting now was given under wording the policy no longer uses: the buyer
    /// is asked to answer again. The policy has no rule for such a grant, so it still counts
    /// until they answer.
    needs_answer: bool,
    /// Every decision on the account's record, newest first.
    history: Vec<DecisionJson>,
}

/// A purpose the buyer may object to or restrict (every purpose but those the law
/// requires).
#[derive(Serialize, ToSchema)]
#[schema(as = ProcessingLimits)]
pub struct LimitJson {
    purpose: String,
    label: String,
    objected: bool,
    #[schema(format = DateTime)]
    objected_since: Option<String>,
    restricted: bool,
    #[schema(format = DateTime)]
    restricted_since: Option<String>,
}

/// The signed-in buyer's consents, objections and restrictions.
#[derive(Serialize, ToSchema)]
#[schema(as = ConsentCentre)]
pub struct CentreJson {
    /// The privacy policy version in force.
    policy_version: String,
    /// Every purpose that needs consent, in the policy's order.
    consents: Vec<ConsentJson>,
    /// Every purpose that can be objected to or restricted, in the policy's order.
    limits: Vec<LimitJson>,
    /// For a session carried by the cookie: the value of `X-CSRF-Token` on every change.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

/// A consent decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConsentChoice)]
pub struct ConsentBody {
    /// `true` grants consent, `false` withdraws it.
    granted: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ObjectionChoice)]
pub struct ObjectionBody {
    /// `true` objects to the purpose, `false` lifts the objection.
    objected: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RestrictionChoice)]
pub struct RestrictionBody {
    /// `true` restricts the purpose, `false` lifts the restriction.
    restricted: bool,
}

/// A purpose named in a path, documented as the purposes of the policy the server enforces
/// that the route takes.
fn purpose_codes(takes: fn(&PurposeRule) -> bool, description: &str) -> RefOr<Schema> {
    let string = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description));
    // The server refuses to start on a policy that does not load (`server::prepare`), so a
    // served document always lists the purposes.
    match Policy::embedded() {
        Ok(policy) => string
            .enum_values(Some(
                policy
                    .purposes()
                    .filter(|p| takes(p))
                    .map(|p| p.id().code())
                    .collect::<Vec<_>>(),
            ))
            .into(),
        Err(_) => string.into(),
    }
}

/// A purpose that needs consent.
pub struct ConsentPurposeCode;

impl PartialSchema for ConsentPurposeCode {
    fn schema() -> RefOr<Schema> {
        purpose_codes(
            |p| p.consent_wording().is_some(),
            "A purpose of the privacy policy that needs consent. Another purpose answers 422 \
             not_a_consent_purpose; a name that is no purpose, 404 unknown_purpose.",
        )
    }
}

impl ToSchema for ConsentPurposeCode {}

/// A purpose that can be objected to or restricted.
pub struct LimitablePurposeCode;

impl PartialSchema for LimitablePurposeCode {
    fn schema() -> RefOr<Schema> {
        purpose_codes(
            |p| p.basis() != LegalBasis::LegalObligation,
            "A purpose of the privacy policy other than those the law requires, which answer \
             422 cannot_be_limited; a name that is no purpose answers 404 unknown_purpose.",
        )
    }
}

impl ToSchema for LimitablePurposeCode {}

fn time(secs: i64) -> Result<String, Failure> {
    vietnam_time_machine(secs).ok_or_else(|| {
        Failure::internal(&format_args!("the time {secs} cannot be written as a date"))
    })
}

fn optional_time(secs: Option<i64>) -> Result<Option<String>, Failure> {
    secs.map(time).transpose()
}

fn decision_json(d: &Decision) -> Result<DecisionJson, Failure> {
    Ok(DecisionJson {
        granted: d.granted,
        verified: d.verified,
        policy_version: d.policy_version.clone(),
        wording: d.wording.clone(),
        channel: d.channel.clone(),
        at: time(d.at)?,
    })
}

fn centre_json(
    policy: &Policy,
    centre: Centre,
    lang: Lang,
    csrf_token: Option<String>,
) -> Result<CentreJson, Failure> {
    let language = Language::from(lang);
    let consents = centre
        .consents
        .iter()
        .map(|c| {
            let rule = policy.purpose(c.purpose);
            let wording = rule
                .consent_wording()
                .map(|w| w.get(language).to_owned())
                .ok_or_else(|| {
                    Failure::internal(&format_args!(
                        "the consent purpose {} has no wording",
                        c.purpose
                    ))
                })?;
            Ok(ConsentJson {
                purpose: c.purpose.code().to_owned(),
                label: rule.label().get(language).to_owned(),
                wording,
                state: match c.state {
                    ConsentState::Granted => StateJson::Granted,
                    ConsentState::Withdrawn => StateJson::Withdrawn,
                    ConsentState::NeverAsked => StateJson::NeverAsked,
                },
                decided_at: optional_time(c.decided.as_ref().map(|d| d.at))?,
                decided_under_version: c.decided.as_ref().map(|d| d.policy_version.clone()),
                decided_wording: c.decided.as_ref().map(|d| d.wording.clone()),
                needs_answer: c.needs_answer,
                history: c
                    .history
                    .iter()
                    .map(decision_json)
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let limits = centre
        .limits
        .iter()
        .map(|l| {
            Ok(LimitJson {
                purpose: l.purpose.code().to_owned(),
                label: policy.purpose(l.purpose).label().get(language).to_owned(),
                objected: l.objected_since.is_some(),
                objected_since: optional_time(l.objected_since)?,
                restricted: l.restricted_since.is_some(),
                restricted_since: optional_time(l.restricted_since)?,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(CentreJson {
        policy_version: centre.policy_version,
        consents,
        limits,
        csrf_token,
    })
}

/// The consent centre as it stands, for `signed_in`. A cookie session also gets its form
/// token here, so a buyer whose objection keeps `GET /api/v1/me` from opening their address
/// can still lift it.
async fn answer(app: &AppState, signed_in: &SignedIn, lang: Lang) -> Result<Response, Failure> {
    let centre = app.services.consents.list(&signed_in.session).await?;
    let csrf_token = (signed_in.kind == SessionKind::Cookie).then(|| signed_in.form_token());
    let json = centre_json(app.services.gate.policy(), centre, lang, csrf_token)?;
    Ok(session::no_store(Json(json).into_response()))
}

/// The purpose named in the path; one that cannot even be read names no purpose.
fn purpose_in(path: Result<Path<String>, PathRejection>) -> Result<String, Failure> {
    path.map(|Path(p)| p)
        .map_err(|_| ConsentError::UnknownPurpose.into())
}

#[utoipa::path(
    get,
    path = "/api/v1/me/consents",
    operation_id = "getMyConsents",
    summary = "The signed-in buyer's consents, objections and restrictions",
    description = "Every purpose of the privacy policy that needs consent, with where it stands \
        (granted, withdrawn, never asked), when and under which policy version and exact wording \
        the decision that counts was made, every decision newest first, and whether the buyer \
        is to answer again because the wording changed; and every purpose but those the law \
        requires, with its objection and restriction. Reads no sealed data.",
    responses(
        (status = 200, description = "The consent centre", body = CentreJson),
        (status = 401, description = "Not signed in (not_signed_in)", content_type = "application/problem+json", body = crate::error::Problem),
        ProblemsServer,
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = session::require(&app, &headers).await?;
        answer(&app, &signed_in, ctx.lang).await
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    put,
    path = "/api/v1/me/consents/{purpose}",
    operation_id = "decideConsent",
    summary = "Grant or withdraw consent to a purpose",
    description = "Recorded with the exact wording of the policy in force in the answer's \
        language, its version and the time, as a verified decision (the account proved control \
        of its address): a grant counts at once. A withdrawal is also recorded on every guest \
        order record placed with the account's address, and the privacy gate refuses the \
        purpose from that moment. Every call is recorded and audited. With the cookie, send \
        `X-CSRF-Token`.",
    params(("purpose" = inline(ConsentPurposeCode), Path)),
    request_body = ConsentBody,
    responses(
        (status = 200, description = "Recorded; the consent centre as it now stands", body = CentreJson),
        ProblemsConsentDecision,
        ProblemsServer,
    ),
)]
pub async fn decide(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<ConsentBody>, ApiError>,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = session::require_for_change(&app, &headers).await?;
        let JsonBody(body) = body.map_err(|e| e.failure)?;
        let purpose = purpose_in(path)?;
        app.services
            .consents
            .decide(
                &signed_in.session,
                &purpose,
                body.granted,
                ctx.lang,
                Channel::Api,
            )
            .await?;
        answer(&app, &signed_in, ctx.lang).await
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

/// Sets or lifts a limit of `kind` for the signed-in buyer.
async fn limit(
    app: &AppState,
    lang: Lang,
    headers: &HeaderMap,
    path: Result<Path<String>, PathRejection>,
    kind: LimitKind,
    on: Result<bool, ApiError>,
) -> Result<Response, Failure> {
    let signed_in = session::require_for_change(app, headers).await?;
    let on = on.map_err(|e| e.failure)?;
    let purpose = purpose_in(path)?;
    app.services
        .consents
        .limit(&signed_in.session, &purpose, kind, on)
        .await?;
    answer(app, &signed_in, lang).await
}

#[utoipa::path(
    put,
    path = "/api/v1/me/objections/{purpose}",
    operation_id = "setObjection",
    summary = "Object to a purpose, or lift the objection",
    description = "An objection is recorded on the account's record and on every guest order \
        record placed with its address; from that moment the privacy gate refuses the purpose, \
        as it refuses a purpose without consent. Purposes the law requires cannot be objected \
        to (422 cannot_be_limited). Objecting again, or lifting an objection not in force, \
        changes nothing. Each change is audited. With the cookie, send `X-CSRF-Token`.",
    params(("purpose" = inline(LimitablePurposeCode), Path)),
    request_body = ObjectionBody,
    responses(
        (status = 200, description = "Done; the consent centre as it now stands", body = CentreJson),
        ProblemsLimit,
        ProblemsServer,
    ),
)]
pub async fn object(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<ObjectionBody>, ApiError>,
) -> Result<Response, ApiError> {
    let on = body.map(|JsonBody(b)| b.objected);
    limit(&app, ctx.lang, &headers, path, LimitKind::Objection, on)
        .await
        .map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    put,
    path = "/api/v1/me/restrictions/{purpose}",
    operation_id = "setRestriction",
    summary = "Restrict a purpose, or lift the restriction",
    description = "A restriction pauses the purpose while a question is settled: it is recorded \
        on the account's record and on every guest order record placed with its address, and \
        the privacy gate refuses the purpose until it is lifted. Purposes the law requires \
        cannot be restricted (422 cannot_be_limited). Restricting again, or lifting a \
        restriction not in force, changes nothing. Each change is audited. With the cookie, \
        send `X-CSRF-Token`.",
    params(("purpose" = inline(LimitablePurposeCode), Path)),
    request_body = RestrictionBody,
    responses(
        (status = 200, description = "Done; the consent centre as it now stands", body = CentreJson),
        ProblemsLimit,
        ProblemsServer,
    ),
)]
pub async fn restrict(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<RestrictionBody>, ApiError>,
) -> Result<Response, ApiError> {
    let on = body.map(|JsonBody(b)| b.restricted);
    limit(&app, ctx.lang, &headers, path, LimitKind::Restriction, on)
        .await
        .map_err(|e| ApiError::new(e, ctx.lang))
}
