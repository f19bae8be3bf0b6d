//! Data subjects' requests, each recorded with the two dates it is due: the first answer
//! (every request) and the full answer (a term per kind of request), both from the terms of
//! the policy in force (`[rights_deadlines]`, Decree 356/2025/NĐ-CP Art. 5) counted in
//! Vietnam's calendar with its public holidays (`hanjinbi_domain::deadline`).
//!
//! A request the buyer makes themself and the shop answers at once (an export, a withdrawn
//! consent, an erasure by link) is recorded answered, in the same write transaction as the
//! change it made: [`record_self_service`] takes the caller's [`WriteTx`]. A request that
//! staff will answer (by email or phone) is recorded open with [`record_received`] and
//! closed with [`answer`]. A due date that needs the holidays of a year the data does not
//! cover is an error, never a guess: nothing is recorded, and the caller's transaction
//! should be rolled back with it.

use hanjinbi_domain::deadline::{due_date, DeadlineError, Holidays};
use hanjinbi_privacy::policy::Policy;
pub use hanjinbi_privacy::policy::RightsKind;
use hanjinbi_privacy::records;
use hanjinbi_store::rights::{self as store, RightsRequestRow};
use hanjinbi_store::{Db, StoreError, WriteTx};
use thiserror::Error;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// How a request reached the shop. The codes are those of `rights_requests.channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The buyer did it themself, signed in or by a link sent to their address.
    SelfService,
    /// By email to the shop.
    Email,
    /// By phone to the shop's hotline.
    Phone,
}

impl Channel {
    pub const ALL: &'static [Channel] = &[Channel::SelfService, Channel::Email, Channel::Phone];

    pub const fn code(self) -> &'static str {
        match self {
            Channel::SelfService => "self_service",
            Channel::Email => "email",
            Channel::Phone => "phone",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.iter().copied().find(|c| c.code() == code)
    }
}

/// Where a request stands. The codes are those of `rights_requests.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RightsStatus {
    /// Not answered yet.
    Open,
    /// Done as asked.
    Done,
    /// Refused, on a ground the law allows.
    Refused,
}

impl RightsStatus {
    pub const ALL: &'static [RightsStatus] = &[
        RightsStatus::Open,
        RightsStatus::Done,
        RightsStatus::Refused,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            RightsStatus::Open => "open",
            RightsStatus::Done => "done",
            RightsStatus::Refused => "refused",
        }
    }

    pub fn parse(code: &str) -> Option<RightsStatus> {
        RightsStatus::ALL.iter().copied().find(|s| s.code() == code)
    }
}

/// How staff closed an open request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Done,
    Refused,
}

impl Outcome {
    fn status(self) -> RightsStatus {
        match self {
            Outcome::Done => RightsStatus::Done,
            Outcome::Refused => RightsStatus::Refused,
        }
    }
}

/// The two dates a request is due, in Vietnam's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDates {
    /// The first answer, whatever the request.
    pub first_answer: Date,
    /// The full answer to a request of its kind.
    pub due: Date,
}

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    pub id: String,
    pub subject_id: String,
    pub kind: RightsKind,
    pub channel: Channel,
    /// Seconds since the Unix epoch.
    pub received_at: i64,
    pub first_answer_due: Date,
    pub due_on: Date,
    /// Seconds since the Unix epoch; `None` while open.
    pub answered_at: Option<i64>,
    pub status: RightsStatus,
}

#[derive(Debug, Error)]
pub enum RightsError {
    /// The policy given is a version published before the policy stated its terms.
    #[error("privacy policy version {version} states no terms for answering requests")]
    NoTerms { version: String },
    /// Seconds that no calendar date holds.
    #[error("{0} seconds since 1970 is not a moment the calendar can hold")]
    Moment(i64),
    /// A due date needs holidays the data lacks (or the term has no due date).
    #[error("the due date cannot be worked out: {0}")]
    Deadline(#[from] DeadlineError),
    /// Answering a request that is not open (answered already, or unknown).
    #[error("request {id} is not open: it was answered already or does not exist")]
    NotOpen { id: String },
    /// A stored value the shop never writes.
    #[error("request {id}: stored {column} {value:?} is not a value the shop writes")]
    Corrupt {
        id: String,
        column: &'static str,
        value: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// When a request of `kind` that arrived at `received_at` (seconds) is due under `policy`'s
/// terms. Pure: the same path [`record_self_service`] and [`record_received`] take.
pub fn due_dates(
    policy: &Policy,
    holidays: &Holidays,
    kind: RightsKind,
    received_at: i64,
) -> Result<DueDates, RightsError> {
    let no_terms = || RightsError::NoTerms {
        version: policy.version().to_owned(),
    };
    let first_term = policy.first_answer_term().ok_or_else(no_terms)?;
    let term = policy.rights_deadline(kind).ok_or_else(no_terms)?;
    let arrived = OffsetDateTime::from_unix_timestamp(received_at)
        .map_err(|_| RightsError::Moment(received_at))?;
    Ok(DueDates {
        first_answer: due_date(arrived, first_term, holidays)?,
        due: due_date(arrived, term, holidays)?,
    })
}

/// Records a request the buyer made themself and the shop answered at once, at `now`:
/// status `done`, answered at `now`, with its due dates. Call it inside the write
/// transaction of the change that answered it.
pub async fn record_self_service(
    tx: &mut WriteTx,
    policy: &Policy,
    holidays: &Holidays,
    subject: &str,
    kind: RightsKind,
    now: i64,
) -> Result<RightsRequest, RightsError> {
    record(
        tx,
        policy,
        holidays,
        subject,
        kind,
        Channel::SelfService,
        now,
        Some(now),
    )
    .await
}

/// Records a request received at `received_at` that staff will answer: status `open`,
/// with its due dates.
pub async fn record_received(
    tx: &mut WriteTx,
    policy: &Policy,
    holidays: &Holidays,
    subject: &str,
    kind: RightsKind,
    channel: Channel,
    received_at: i64,
) -> Result<RightsRequest, RightsError> {
    record(
        tx,
        policy,
        holidays,
        subject,
        kind,
        channel,
        received_at,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut WriteTx,
    policy: &Policy,
    holidays: &Holidays,
    subject: &str,
    kind: RightsKind,
    channel: Channel,
    received_at: i64,
    answered_at: Option<i64>,
) -> Result<RightsRequest, RightsError> {
    let due = due_dates(policy, holidays, kind, received_at)?;
    let request = RightsRequest {
        id: records::new_id(),
        subject_id: subject.to_owned(),
        kind,
        channel,
        received_at,
        first_answer_due: due.first_answer,
        due_on: due.due,
        answered_at,
        status: match answered_at {
            Some(_) => RightsStatus::Done,
            None => RightsStatus::Open,
        },
    };
    store::insert(tx, &row_of(&request)).await?;
    Ok(request)
}

/// Closes an open request at `now`. A request answered already, or unknown, is an error
/// and stays as it was.
pub async fn answer(
    tx: &mut WriteTx,
    id: &str,
    outcome: Outcome,
    now: i64,
) -> Result<(), RightsError> {
    if store::mark_answered(tx, id, outcome.status().code(), now).await? {
        Ok(())
    } else {
        Err(RightsError::NotOpen { id: id.to_owned() })
    }
}

/// One request by id.
pub async fn request(db: &Db, id: &str) -> Result<Option<RightsRequest>, RightsError> {
    store::by_id(db, id).await?.map(request_of).transpose()
}

/// Every request of one subject, newest first.
pub async fn requests_of(db: &Db, subject: &str) -> Result<Vec<RightsRequest>, RightsError> {
    store::of_subject(db, subject)
        .await?
        .into_iter()
        .map(request_of)
        .collect()
}

/// Every request of any of `subjects` (an account and the guest records made with its
/// address), newest first.
pub async fn requests_of_subjects(
    db: &Db,
    subjects: &[String],
) -> Result<Vec<RightsRequest>, RightsError> {
    store::of_subjects(db, subjects)
        .await?
        .into_iter()
        .map(request_of)
        .collect()
}

/// Open requests, the one due first first, at most `limit`.
pub async fn open_by_due(db: &Db, limit: u32) -> Result<Vec<RightsRequest>, RightsError> {
    store::open_by_due(db, i64::from(limit))
        .await?
        .into_iter()
        .map(request_of)
        .collect()
}

/// `YYYY-MM-DD`. The due dates come from covered holiday years, four-digit years all.
fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn row_of(request: &RightsRequest) -> RightsRequestRow {
    RightsRequestRow {
        id: request.id.clone(),
        subject_id: request.subject_id.clone(),
        kind: request.kind.code().to_owned(),
        channel: request.channel.code().to_owned(),
        received_at: request.received_at,
        first_answer_due: date_text(request.first_answer_due),
        due_on: date_text(request.due_on),
        answered_at: request.answered_at,
        status: request.status.code().to_owned(),
    }
}

fn request_of(row: RightsRequestRow) -> Result<RightsRequest, RightsError> {
    let corrupt = |column: &'static str, value: &str| RightsError::Corrupt {
        id: row.id.clone(),
        column,
        value: value.to_owned(),
    };
    let date = |column: &'static str, text: &str| {
        Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map_err(|_| corrupt(column, text))
    };
    let kind = RightsKind::parse(&row.kind).ok_or_else(|| corrupt("kind", &row.kind))?;
    let channel = Channel::parse(&row.channel).ok_or_else(|| corrupt("channel", &row.channel))?;
    let status = RightsStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
    let first_answer_due = date("first_answer_due", &row.first_answer_due)?;
    let due_on = date("due_on", &row.due_on)?;
    // An open request has no answer time and a closed one has one, as the writers above
    // keep them.
    if (status == RightsStatus::Open) != row.answered_at.is_none() {
        return Err(corrupt(
            "answered_at",
            &row.answered_at
                .map_or("NULL".to_owned(), |at| at.to_string()),
        ));
    }
    Ok(RightsRequest {
        id: row.id,
        subject_id: row.subject_id,
        kind,
        channel,
        received_at: row.received_at,
        first_answer_due,
        due_on,
        answered_at: row.answered_at,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hanjinbi_domain::deadline::Term;
    use hanjinbi_privacy::policy::POLICY_VERSIONS;
    use hanjinbi_store::subjects;
    use time::macros::{date, datetime};

    fn policy() -> Policy {
        Policy::embedded().expect("the policy in force loads")
    }

    fn holidays() -> &'static Holidays {
        Holidays::try_load().expect("the holiday data loads")
    }

    fn secs(at: OffsetDateTime) -> i64 {
        at.unix_timestamp()
    }

    /// A fresh in-memory shop with the data keys of `subject_ids` (requests refer to them).
    async fn shop(subject_ids: &[&str]) -> Db {
        let db = Db::connect("sqlite::memory:", 1).await.unwrap();
        db.migrate().await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        for subject in subject_ids {
            subjects::insert_key(&mut tx, subject, "m1", &[7; 40], 0)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        db
    }

    async fn count(db: &Db) -> usize {
        requests_of(db, "s1").await.unwrap().len()
    }

    #[tokio::test]
    async fn a_self_service_request_is_recorded_answered_with_its_due_dates() {
        let db = shop(&["s1"]).await;
        // Fri 13/2/2026 09:00 in Vietnam, the last working day before Tết.
        let now = secs(datetime!(2026-02-13 09:00 +7));
        let mut tx = db.begin_write().await.unwrap();
        let recorded = record_self_service(
            &mut tx,
            &policy(),
            holidays(),
            "s1",
            RightsKind::Erasure,
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(recorded.status, RightsStatus::Done);
        assert_eq!(recorded.answered_at, Some(now));
        assert_eq!(recorded.channel, Channel::SelfService);
        // Tết 16–20/2 and two weekends are not counted.
        assert_eq!(recorded.first_answer_due, date!(2026 - 02 - 24));
        assert_eq!(recorded.due_on, date!(2026 - 03 - 20));
        assert_eq!(
            request(&db, &recorded.id).await.unwrap(),
            Some(recorded.clone())
        );
        assert_eq!(requests_of(&db, "s1").await.unwrap(), vec![recorded]);
        assert!(open_by_due(&db, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_received_request_stays_open_until_answered_once() {
        let db = shop(&["s1"]).await;
        let at = secs(datetime!(2026-03-04 10:00 +7));
        let mut tx = db.begin_write().await.unwrap();
        let open = record_received(
            &mut tx,
            &policy(),
            holidays(),
            "s1",
            RightsKind::Access,
            Channel::Email,
            at,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(open.status, RightsStatus::Open);
        assert_eq!(open.answered_at, None);
        assert_eq!(open.first_answer_due, date!(2026 - 03 - 06));
        assert_eq!(open.due_on, date!(2026 - 03 - 18));
        assert_eq!(open_by_due(&db, 10).await.unwrap(), vec![open.clone()]);

        let later = at + 3600;
        let mut tx = db.begin_write().await.unwrap();
        answer(&mut tx, &open.id, Outcome::Refused, later)
            .await
            .unwrap();
        // A second answer changes nothing and says so.
        let again = answer(&mut tx, &open.id, Outcome::Done, later + 1).await;
        assert!(matches!(again, Err(RightsError::NotOpen { ref id }) if *id == open.id));
        let unknown = answer(&mut tx, "no-such-request", Outcome::Done, later).await;
        assert!(matches!(unknown, Err(RightsError::NotOpen { .. })));
        tx.commit().await.unwrap();

        let answered = request(&db, &open.id).await.unwrap().unwrap();
        assert_eq!(answered.status, RightsStatus::Refused);
        assert_eq!(answered.answered_at, Some(later));
        assert_eq!(answered.due_on, open.due_on);
        assert!(open_by_due(&db, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn open_requests_are_listed_by_due_date_and_subjects_requests_newest_first() {
        let db = shop(&["s1", "s2"]).await;
        let p = policy();
        let h = holidays();
        // 10:00 in Vietnam on day `d` of March 2026.
        let day = |d: i64| secs(datetime!(2026-03-01 10:00 +7)) + (d - 1) * 86_400;
        let mut tx = db.begin_write().await.unwrap();
        // Received first but due last (20 working days); then two due sooner.
        let erasure = record_received(
            &mut tx,
            &p,
            h,
            "s1",
            RightsKind::Erasure,
            Channel::Phone,
            day(2),
        )
        .await
        .unwrap();
        let access = record_received(
            &mut tx,
            &p,
            h,
            "s2",
            RightsKind::Access,
            Channel::Email,
            day(3),
        )
        .await
        .unwrap();
        let objection = record_received(
            &mut tx,
            &p,
            h,
            "s1",
            RightsKind::Objection,
            Channel::Email,
            day(4),
        )
        .await
        .unwrap();
        let withdrawal = record_self_service(&mut tx, &p, h, "s1", RightsKind::Withdrawal, day(5))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let due: Vec<String> = open_by_due(&db, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            due,
            [access.id.clone(), objection.id.clone(), erasure.id.clone()]
        );
        assert_eq!(open_by_due(&db, 1).await.unwrap(), vec![access.clone()]);

        let ids = |list: Vec<RightsRequest>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(requests_of(&db, "s1").await.unwrap()),
            [
                withdrawal.id.clone(),
                objection.id.clone(),
                erasure.id.clone()
            ]
        );
        assert_eq!(
            ids(
                requests_of_subjects(&db, &["s2".into(), "s1".into(), "s2".into()])
                    .await
                    .unwrap()
            ),
            [
                withdrawal.id.clone(),
                objection.id.clone(),
                access.id.clone(),
                erasure.id.clone()
            ]
        );
        assert!(requests_of_subjects(&db, &[]).await.unwrap().is_empty());
        assert!(requests_of(&db, "s3").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_due_date_in_a_year_without_holiday_data_is_an_error_and_records_nothing() {
        let db = shop(&["s1"]).await;
        // 20 working days from 20/12/2030 end in 2031, which the data does not cover.
        let at = secs(datetime!(2030-12-20 10:00 +7));
        let mut tx = db.begin_write().await.unwrap();
        let result = record_self_service(
            &mut tx,
            &policy(),
            holidays(),
            "s1",
            RightsKind::Erasure,
            at,
        )
        .await;
        assert!(
            matches!(
                result,
                Err(RightsError::Deadline(DeadlineError::YearNotCovered(2031)))
            ),
            "{result:?}"
        );
        // The first answer would fall in 2030 (Tue 24/12), but a request is recorded with
        // both dates or not at all.
        let first = hanjinbi_domain::deadline::due_date(
            datetime!(2030-12-20 10:00 +7),
            policy().first_answer_term().unwrap(),
            holidays(),
        );
        assert_eq!(first, Ok(date!(2030 - 12 - 24)));
        tx.commit().await.unwrap();
        assert_eq!(count(&db).await, 0);
    }

    #[tokio::test]
    async fn a_policy_version_without_terms_records_nothing() {
        let db = shop(&["s1"]).await;
        let (version, text) = POLICY_VERSIONS[0];
        let earlier = Policy::archived_from_toml(text).unwrap();
        let mut tx = db.begin_write().await.unwrap();
        let result = record_self_service(
            &mut tx,
            &earlier,
            holidays(),
            "s1",
            RightsKind::Access,
            secs(datetime!(2026-03-04 10:00 +7)),
        )
        .await;
        assert!(
            matches!(result, Err(RightsError::NoTerms { version: ref v }) if v == version),
            "{result:?}"
        );
        tx.commit().await.unwrap();
        assert_eq!(count(&db).await, 0);
    }

    #[tokio::test]
    async fn a_request_for_a_subject_without_a_data_key_is_refused_by_the_database() {
        let db = shop(&[]).await;
        let mut tx = db.begin_write().await.unwrap();
        let result = record_self_service(
            &mut tx,
            &policy(),
            holidays(),
            "nobody",
            RightsKind::Access,
            secs(datetime!(2026-03-04 10:00 +7)),
        )
        .await;
        assert!(matches!(result, Err(RightsError::Store(_))), "{result:?}");
    }

    #[tokio::test]
    async fn a_stored_value_the_shop_never_writes_is_an_error_not_a_default() {
        let db = shop(&["s1"]).await;
        let good = RightsRequestRow {
            id: "r1".into(),
            subject_id: "s1".into(),
            kind: "access".into(),
            channel: "email".into(),
            received_at: 0,
            first_answer_due: "2026-03-06".into(),
            due_on: "2026-03-18".into(),
            answered_at: None,
            status: "open".into(),
        };
        let bad_date = RightsRequestRow {
            id: "r2".into(),
            due_on: "2026-02-30".into(),
            ..good.clone()
        };
        let done_without_time = RightsRequestRow {
            id: "r3".into(),
            status: "done".into(),
            ..good.clone()
        };
        let mut tx = db.begin_write().await.unwrap();
        for row in [&good, &bad_date, &done_without_time] {
            store::insert(&mut tx, row).await.unwrap();
        }
        tx.commit().await.unwrap();
        assert!(request(&db, "r1").await.unwrap().is_some());
        let err = request(&db, "r2").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "request r2: stored due_on \"2026-02-30\" is not a value the shop writes"
        );
        let err = request(&db, "r3").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "request r3: stored answered_at \"NULL\" is not a value the shop writes"
        );
        // A list with one unreadable row is an error, not a shorter list.
        assert!(requests_of(&db, "s1").await.is_err());
    }

    #[test]
    fn codes_read_back_as_written() {
        for &channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.code()), Some(channel));
        }
        for &status in RightsStatus::ALL {
            assert_eq!(RightsStatus::parse(status.code()), Some(status));
        }
        for &kind in RightsKind::ALL {
            assert_eq!(RightsKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!(RightsStatus::parse("Open"), None);
        assert_eq!(
            RightsKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
            [
                "access",
                "rectification",
                "portability",
                "erasure",
                "withdrawal",
                "restriction",
                "objection"
            ]
        );
    }

    #[test]
    fn every_kind_has_a_term_in_the_policy_in_force() {
        let policy = policy();
        assert!(policy.first_answer_term().is_some());
        for &kind in RightsKind::ALL {
            assert!(
                matches!(policy.rights_deadline(kind), Some(Term::WorkingDays(_))),
                "{kind}"
            );
            // And each gives due dates for a request arriving today's years.
            let at = secs(datetime!(2026-06-15 10:00 +7));
            assert!(due_dates(&policy, holidays(), kind, at).is_ok(), "{kind}");
        }
    }

    #[test]
    fn seconds_out_of_the_calendar_are_an_error() {
        let result = due_dates(&policy(), holidays(), RightsKind::Access, i64::MAX);
        assert!(matches!(result, Err(RightsError::Moment(i64::MAX))));
    }
}
