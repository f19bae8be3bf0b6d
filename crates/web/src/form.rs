//! HTML form bodies, decoded as strictly as query strings.

use crate::error::{Failure, PageError};
use crate::query::Params;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};

pub struct FormBody {
    pub params: Params,
}

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(PageError(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Biểu mẫu phải được gửi dưới dạng application/x-www-form-urlencoded.",
                "Forms must be sent as application/x-www-form-urlencoded.",
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| PageError(crate::error::body_failure(e.status())))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            PageError(Failure::bad_request(
                "invalid_encoding",
                "Dữ liệu gửi lên không phải UTF-8 hợp lệ.",
                "The submitted data is not valid UTF-8.",
            ))
        })?;
        Ok(FormBody {
            params: Params::parse_body(text)?,
        })
    }
}
