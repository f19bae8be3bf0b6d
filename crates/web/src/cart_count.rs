//! The number of items in the cart, shown on the header's cart link on every page.
//!
//! Reading the cart on every page would cost a database read per request, so the cart's
//! handlers (add, update, remove, and the cart page itself) keep the count in a small cookie
//! and the header renders it from the request. The cookie is only ever a hint for the
//! header: what is bought is always read from the cart on the server. A value that is not
//! plain digits counts as an empty cart.

use crate::context::{set_cookie, RequestContext};
use axum::http::{header, HeaderValue};
use axum::response::Response;

/// The cookie holding the count.
pub const CART_COUNT_COOKIE: &str = "hj_cart_count";
/// The largest count the header shows; a cart holding more shows this.
pub const MAX_SHOWN: u32 = 999;
/// As long as the cart cookie lives.
const MAX_AGE_SECS: u64 = 30 * 86_400;

/// The count in the request's cookie: digits only (at most ten, so it fits before capping),
/// capped at [`MAX_SHOWN`]; anything else is 0.
pub fn from_request(ctx: &RequestContext) -> u32 {
    parse(ctx.cookie(CART_COUNT_COOKIE))
}

/// The count in a raw `Cookie` header, for pages rendered outside a handler (error pages).
pub fn from_cookie_header(header: &str) -> u32 {
    parse(crate::context::cookie_value(header, CART_COUNT_COOKIE))
}

fn parse(value: Option<&str>) -> u32 {
    let Some(text) = value else { return 0 };
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    text.parse::<u64>().map_or(0, |n| {
        u32::try_from(n.min(u64::from(MAX_SHOWN))).unwrap_or(MAX_SHOWN)
    })
}

/// Sets the count cookie on `response` to `items` (negative counts as 0).
pub fn set(response: &mut Response, items: i64, secure: bool) {
    let shown = items.clamp(0, i64::from(MAX_SHOWN));
    let cookie = set_cookie(CART_COUNT_COOKIE, &shown.to_string(), MAX_AGE_SECS, secure);
    // Digits and fixed cookie attributes are always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Sets the count to 0: for checkout, which empties the cart, to call on the response that
/// follows a placed order.
pub fn set_empty(response: &mut Response, secure: bool) {
    set(response, 0, secure);
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn only_plain_digits_count() {
        assert_eq!(parse(Some("3")), 3);
        assert_eq!(parse(Some("0")), 0);
        assert_eq!(parse(Some("0012")), 12);
        for bad in ["", "-1", "3 ", " 3", "1e3", "３", "3;x", "abc", "+4"] {
            assert_eq!(parse(Some(bad)), 0, "{bad:?}");
        }
        assert_eq!(parse(None), 0);
    }

    #[test]
    fn large_counts_are_capped() {
        assert_eq!(parse(Some("999")), 999);
        assert_eq!(parse(Some("1000")), MAX_SHOWN);
        assert_eq!(parse(Some("9999999999")), MAX_SHOWN);
        assert_eq!(
            parse(Some("99999999999")),
            0,
            "longer than any count we set"
        );
    }

    #[test]
    fn the_cookie_set_reads_back() {
        for (items, shown) in [(0, 0), (7, 7), (-2, 0), (5_000, MAX_SHOWN)] {
            let mut response = ().into_response();
            set(&mut response, items, true);
            let cookie = response.headers()[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .to_owned();
            let value = cookie
                .strip_prefix("hj_cart_count=")
                .and_then(|rest| rest.split(';').next());
            assert_eq!(parse(value), shown, "{cookie}");
            assert!(cookie.contains("Secure"), "{cookie}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_cookie_text_reads_as_a_capped_count(text in "\\PC{0,16}") {
            let n = parse(Some(&text));
            proptest::prop_assert!(n <= MAX_SHOWN);
            if n > 0 {
                proptest::prop_assert!(text.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
