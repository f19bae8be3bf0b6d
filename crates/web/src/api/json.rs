//! JSON bodies in and out of the API, with every rejection turned into problem+json.
//!
//! serde's messages quote what was sent ("invalid type: integer `912345678`, expected a
//! string"), and what was sent may be a phone number or an email. A problem answer names the
//! field and the type it expects, never the submitted value.

use crate::context::ApiContext;
use crate::error::{body_failure, ApiError, Failure};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

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
        JsonRejection::JsonSyntaxError(e) => {
            let place = serde_error(e).map(|e| (e.inner().line(), e.inner().column()));
            let (vi, en) = match place {
                Some((line, column)) => (
                    format!("JSON không hợp lệ (dòng {line}, cột {column})."),
                    format!("Malformed JSON (line {line}, column {column})."),
                ),
                None => (
                    "JSON không hợp lệ.".to_owned(),
                    "Malformed JSON.".to_owned(),
                ),
            };
            Failure::bad_request("malformed_json", vi, en)
        }
        JsonRejection::JsonDataError(e) => {
            let shape = serde_error(e).map(Shape::of).unwrap_or(Shape::Other);
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("Dữ liệu JSON không đúng dạng: {}", shape.vi()),
                format!("The JSON does not have the expected shape: {}", shape.en()),
            )
        }
        JsonRejection::BytesRejection(e) => body_failure(e.status()),
        other => body_failure(other.status()),
    }
}

type SerdeError = serde_path_to_error::Error<serde_json::Error>;

/// The deserialiser's error under axum's rejection, with the path to the field at fault.
fn serde_error<'a>(rejection: &'a (dyn std::error::Error + 'static)) -> Option<&'a SerdeError> {
    let mut cause = rejection.source();
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<SerdeError>() {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// What was wrong with a well-formed JSON body, in words that hold no submitted value.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    /// A field is missing; the name is one of ours.
    Missing(String),
    /// A field nobody asked for (its name, which the client chose, is not repeated).
    Extra { at: String },
    /// A value of the wrong type or out of the type's range.
    Expected { at: String, expected: String },
    /// Anything else serde reports; its message may quote the value, so it is not shown.
    Other,
}

impl Shape {
    fn of(e: &SerdeError) -> Shape {
        let at = field_path(e.path());
        let message = e.inner().to_string();
        // serde_json appends " at line L column C"; what precedes it is serde's own message.
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |end| &message[..end]);
        if let Some(rest) = message.strip_prefix("missing field `") {
            let name = rest.strip_suffix('`').unwrap_or(rest);
            return if is_field_name(name) {
                Shape::Missing(join(&at, name))
            } else {
                Shape::Other
            };
        }
        if message.starts_with("unknown field") {
            // The path ends in the unknown key itself, which the client chose: name its parent.
            let segments: Vec<&Segment> = e.path().iter().collect();
            let parent = segments.split_last().map_or(&[][..], |(_, parent)| parent);
            return Shape::Extra {
                at: segments_path(parent.iter().copied()),
            };
        }
        let typed = [
            "invalid type:",
            "invalid value:",
            "invalid length",
            "unknown variant",
        ];
        if typed.iter().any(|p| message.starts_with(p)) {
            // The submitted value sits between the prefix and the last ", expected ": what
            // follows that is the type's own description of what it accepts.
            if let Some(start) = message.rfind(", expected ") {
                let expected = &message[start + ", expected ".len()..];
                return Shape::Expected {
                    at,
                    expected: expected.to_owned(),
                };
            }
        }
        Shape::Other
    }

    fn where_(at: &str) -> String {
        if at.is_empty() {
            "(root)".to_owned()
        } else {
            format!("`{at}`")
        }
    }

    fn vi(&self) -> String {
        match self {
            Shape::Missing(name) => format!("thiếu trường `{name}`."),
            Shape::Extra { at } if at.is_empty() => {
                "có một trường không được chấp nhận.".to_owned()
            }
            Shape::Extra { at } => format!("`{at}` có một trường không được chấp nhận."),
            Shape::Expected { at, expected } => {
                format!("trường {} phải là {}.", Self::where_(at), kind(expected).1)
            }
            Shape::Other => "một giá trị không đúng kiểu.".to_owned(),
        }
    }

    fn en(&self) -> String {
        match self {
            Shape::Missing(name) => format!("the field `{name}` is missing."),
            Shape::Extra { at } if at.is_empty() => {
                "the body has a field that is not accepted.".to_owned()
            }
            Shape::Extra { at } => format!("`{at}` has a field that is not accepted."),
            Shape::Expected { at, expected } => {
                format!("{} must be {}.", Self::where_(at), kind(expected).0)
            }
            Shape::Other => "a value does not have the expected type.".to_owned(),
        }
    }
}

/// serde's description of an expected type, in English and Vietnamese.
fn kind(expected: &str) -> (&str, &str) {
    const INTEGERS: [&str; 8] = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"];
    if INTEGERS.contains(&expected) {
        ("a whole number", "một số nguyên")
    } else if expected == "a string" {
        ("a string", "một chuỗi ký tự")
    } else if expected == "a boolean" {
        ("true or false", "true hoặc false")
    } else if expected.starts_with("struct ") || expected == "a map" {
        ("a JSON object", "một đối tượng JSON")
    } else if expected.starts_with("a sequence") {
        ("a JSON array", "một mảng JSON")
    } else {
        (expected, expected)
    }
}

/// Our field names are lowercase words with underscores; a key that is anything else came
/// from the client and is not repeated.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

fn field_path(path: &serde_path_to_error::Path) -> String {
    segments_path(path.iter())
}

fn segments_path<'a>(segments: impl Iterator<Item = &'a Segment>) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if is_field_name(key) => out = join(&out, key),
            Segment::Enum { variant } if is_field_name(variant) => out = join(&out, variant),
            _ => out = join(&out, "?"),
        }
    }
    out
}

/// JSON Schema calls `2.0` an integer, so the API accepts it wherever it asks for one: a
/// number with no fractional part within the range of `i64`.
pub fn integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Whole;

    impl serde::de::Visitor<'_> for Whole {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("i64")
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<i64, E> {
            Ok(n)
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<i64, E> {
            i64::try_from(n)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
        }

        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<i64, E> {
            // 2^63 as f64 is exact; every whole f64 in [-2^63, 2^63) converts without loss.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
                Ok(n as i64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(n), &self))
            }
        }
    }

    d.deserialize_any(Whole)
}

/// [`integer`] for an optional field (`null` or absent: `None`).
pub fn optional_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "integer")] i64);
    Ok(<Option<Wrapped> as serde::Deserialize>::deserialize(d)?.map(|Wrapped(n)| n))
}
