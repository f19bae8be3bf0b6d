//! Answers whose timing must not tell what matched.

use std::time::Duration;

/// A code request is answered this long after it arrived at the earliest, whether the order
/// exists, the contact matched and a code was queued, or not: the service does the same reads
/// and keyed hashes either way, and this hides the few statements a match adds.
pub const CODE_REQUEST_ANSWER_AFTER: Duration = Duration::from_millis(200);

/// Registrations, reset-link and erasure-link requests are answered this long after they
/// arrived at the earliest, whether or not the address has an account or any record: the
/// work differs by a few statements (and sealing a link) when it has, and this hides them.
/// Above the Argon2id hash a registration always does.
pub const ACCOUNT_REQUEST_ANSWER_AFTER: Duration = Duration::from_millis(250);

/// Runs `work`, then waits until `floor` has passed since the start.
pub async fn answer_no_sooner_than<T>(
    floor: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    let started = tokio::time::Instant::now();
    let answer = work.await;
    tokio::time::sleep_until(started + floor).await;
    answer
}
