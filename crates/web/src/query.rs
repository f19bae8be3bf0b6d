//! Strict parsing of query strings and form bodies.
//!
//! Lenient decoders turn `%zz` into literal text and invalid UTF-8 into U+FFFD, so a broken
//! link would silently search for garbage. We refuse both with a clear 400 instead.

use crate::error::Failure;
use percent_encoding::percent_decode;

/// The longest query string we read; anything longer is not a link a person followed.
pub const MAX_QUERY_BYTES: usize = 4096;

/// Decoded `name=value` pairs, in order.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, Failure> {
        let Some(raw) = raw else {
            return Ok(Params::default());
        };
        if raw.len() > MAX_QUERY_BYTES {
            return Err(Failure::new(
                axum::http::StatusCode::URI_TOO_LONG,
                "query_too_long",
                "Địa chỉ quá dài.",
                "The address is too long.",
            ));
        }
        split_pairs(raw)
    }

    /// A form body: like a query string, but up to the body limit rather than the URL limit.
    pub fn parse_body(raw: &str) -> Result<Params, Failure> {
        split_pairs(raw)
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, unless it is empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The first non-blank value of `name`.
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

fn split_pairs(raw: &str) -> Result<Params, Failure> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Params)
}

fn bad_encoding() -> Failure {
    Failure::bad_request(
        "invalid_encoding",
        "Địa chỉ hoặc dữ liệu gửi lên có mã hóa phần trăm hoặc UTF-8 không hợp lệ.",
        "The address or submitted data has invalid percent-encoding or UTF-8.",
    )
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte, and the bytes
/// must be UTF-8.
fn decode(text: &str) -> Result<String, Failure> {
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad_encoding)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(bad_encoding());
            }
        }
    }
    let spaced = text.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| bad_encoding())
}

/// Percent-encodes a value for a query string we build.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_vietnamese_and_plus() {
        let p = Params::parse(Some("q=%C3%A1o+kho%C3%A1c&page=2&flag")).unwrap();
        assert_eq!(p.get("q"), Some("áo khoác"));
        assert_eq!(p.get("page"), Some("2"));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn refuses_broken_encoding() {
        for raw in ["q=%zz", "q=%", "q=%C3", "q=%FF%FE", "q=abc%2"] {
            assert!(Params::parse(Some(raw)).is_err(), "{raw}");
        }
        assert!(Params::parse(Some(&"q=a".repeat(2000))).is_err());
    }

    #[test]
    fn encoding_round_trips() {
        let text = "Đầm & váy = 100%";
        let p = Params::parse(Some(&format!("q={}", encode(text)))).unwrap();
        assert_eq!(p.get("q"), Some(text));
    }
}
