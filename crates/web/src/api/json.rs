//! JSON bodies in and out of the API, with every rejection turned into problem+json.

use crate::context::ApiContext;
use crate::error::{body_failure, ApiError, Failure};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON request body; malformed JSON, a wrong content type or a body over the limit get a
/// problem+json answer in the caller's language.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ApiContext(ctx) =
            <ApiContext as axum::extract::FromRequestParts<S>>::from_request_parts(
                &mut parts, state,
            )
            .await?;
        let req = Request::from_parts(parts, body);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::new(json_failure(&rejection), ctx.lang)),
        }
    }
}

fn json_failure(rejection: &JsonRejection) -> Failure {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Nội dung phải là JSON (Content-Type: application/json).",
            "The body must be JSON (Content-Type: application/json).",
        ),
        JsonRejection::JsonSyntaxError(e) => Failure::bad_request(
            "malformed_json",
            format!("JSON không hợp lệ: {}", e.body_text()),
            format!("Malformed JSON: {}", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("Dữ liệu JSON không đúng dạng: {}", e.body_text()),
            format!(
                "The JSON does not have the expected shape: {}",
                e.body_text()
            ),
        ),
        JsonRejection::BytesRejection(e) => body_failure(e.status()),
        other => body_failure(other.status()),
    }
}
