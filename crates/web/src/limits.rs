//! Limits that keep one client from holding or flooding the server: request bodies that must
//! arrive whole and in time, and a rate of writes per client address.

use crate::error::{body_failure, Failure, PageError};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hanjinbi_services::throttle::client_bucket;
use http_body_util::BodyExt;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// How many writes (POST, PUT, PATCH, DELETE) one client address may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRate {
    /// Writes a minute, on average.
    pub per_minute: NonZeroU32,
    /// Writes allowed at once before the average applies.
    pub burst: NonZeroU32,
}

/// The limits the web layer enforces for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebLimits {
    /// The whole request body must arrive within this time.
    pub body_timeout: Duration,
    /// `None`: writes are not limited (tests of other behaviour).
    pub write_rate: Option<WriteRate>,
}

impl Default for WebLimits {
    fn default() -> WebLimits {
        WebLimits {
            body_timeout: Duration::from_secs(30),
            write_rate: None,
        }
    }
}

/// The limits with their running state, shared by every request.
#[derive(Clone)]
pub struct Limiter {
    limits: WebLimits,
    writes: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    pub fn new(limits: WebLimits) -> Limiter {
        let writes = limits.write_rate.map(|rate| {
            // One cell every 60 s / per_minute; `Quota::per_minute` does that division.
            let quota = Quota::per_minute(rate.per_minute).allow_burst(rate.burst);
            Arc::new(RateLimiter::keyed(quota))
        });
        Limiter { limits, writes }
    }

    /// Forgets clients that have their whole allowance back, so the table does not grow
    /// with every address ever seen.
    pub fn forget_idle_clients(&self) {
        if let Some(writes) = &self.writes {
            writes.retain_recent();
            writes.shrink_to_fit();
        }
    }

    /// `Err(seconds to wait)` when this client has used up its writes.
    fn check_write(&self, client: IpAddr) -> Result<(), u64> {
        let Some(writes) = &self.writes else {
            return Ok(());
        };
        writes
            .check_key(&client_bucket(client))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            })
    }
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Refuses a client's writes beyond its rate with 429 and `Retry-After`.
pub async fn limit_writes(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    if is_write(req.method()) {
        let client = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        if let Some(client) = client {
            if let Err(wait) = limiter.check_write(client) {
                let mut response = PageError(Failure::too_many_requests(wait)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
                return response;
            }
        }
    }
    next.run(req).await
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// A body larger than the limit is refused as soon as its `Content-Length` says so, without
/// waiting for it; any body must arrive whole within the body timeout.
pub async fn bounded_bodies(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    let declared = declared_length(req.headers());
    if declared.is_some_and(|n| n > crate::MAX_BODY_BYTES as u64) {
        return PageError(body_failure(StatusCode::PAYLOAD_TOO_LARGE)).into_response();
    }
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.unwrap_or(0) == 0 && !chunked {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, crate::MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(limiter.limits.body_timeout, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return PageError(body_failure(StatusCode::PAYLOAD_TOO_LARGE)).into_response();
        }
        Ok(Err(_)) => {
            return PageError(body_failure(StatusCode::BAD_REQUEST)).into_response();
        }
        Err(_) => return PageError(Failure::body_timeout()).into_response(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_bucket(a), client_bucket(b));
        assert_ne!(client_bucket(a), client_bucket(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            client_bucket(mapped),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_client_past_its_burst_is_told_how_long_to_wait() {
        let limiter = Limiter::new(WebLimits {
            write_rate: Some(WriteRate {
                per_minute: NonZeroU32::new(6).unwrap(),
                burst: NonZeroU32::new(2).unwrap(),
            }),
            ..WebLimits::default()
        });
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(limiter.check_write(one), Ok(()));
        assert_eq!(limiter.check_write(one), Ok(()));
        let wait = limiter.check_write(one).unwrap_err();
        assert!((1..=10).contains(&wait), "{wait}");
        assert_eq!(limiter.check_write(two), Ok(()));
    }
}
