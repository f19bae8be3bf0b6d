//! Data subjects' requests: the dates they are due under the terms of the policy in force,
//! counted in Vietnam's calendar over its public holidays, and a recorded request read back
//! with those dates from the shop's database (SQLite, or PostgreSQL with
//! `HANJINBI_TEST_DATABASE_URL`).

use crate::checkout::{buyer, checkout};
use crate::support::{cart_with, spawn};
use hanjinbi_domain::deadline::{DeadlineError, Holidays};
use hanjinbi_privacy::policy::Policy;
use hanjinbi_services::rights::{self, Channel, DueDates, RightsError, RightsKind, RightsStatus};
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

fn policy() -> Policy {
    Policy::embedded().unwrap()
}

fn holidays() -> &'static Holidays {
    Holidays::try_load().unwrap()
}

/// Arrival (with its offset), kind, first answer due, full answer due.
const TABLE: &[(OffsetDateTime, RightsKind, Date, Date)] = &[
    // An ordinary week: Wed 4/3/2026, 2 and 10 working days.
    (
        datetime!(2026-03-04 10:00 +7),
        RightsKind::Access,
        date!(2026 - 03 - 06),
        date!(2026 - 03 - 18),
    ),
    // Arrival on a Saturday: counting starts on Monday.
    (
        datetime!(2026-03-07 15:00 +7),
        RightsKind::Erasure,
        date!(2026 - 03 - 10),
        date!(2026 - 04 - 03),
    ),
    // Tết 2026 (Mon 16 – Fri 20/2) between two weekends: nine days not counted.
    (
        datetime!(2026-02-13 09:00 +7),
        RightsKind::Access,
        date!(2026 - 02 - 24),
        date!(2026 - 03 - 06),
    ),
    (
        datetime!(2026-02-13 09:00 +7),
        RightsKind::Erasure,
        date!(2026 - 02 - 24),
        date!(2026 - 03 - 20),
    ),
    // Arrival on New Year's Eve of Tết, a day off itself.
    (
        datetime!(2026-02-16 11:00 +7),
        RightsKind::Withdrawal,
        date!(2026 - 02 - 24),
        date!(2026 - 03 - 13),
    ),
    // Tết 2025 (Mon 27/1 – Sat 1/2).
    (
        datetime!(2025-01-24 10:00 +7),
        RightsKind::Access,
        date!(2025 - 02 - 04),
        date!(2025 - 02 - 14),
    ),
    // Hùng Kings' day fell on Sun 26/4/2026, so Mon 27/4 is off; then 30/4 and 1/5.
    (
        datetime!(2026-04-24 14:00 +7),
        RightsKind::Rectification,
        date!(2026 - 04 - 29),
        date!(2026 - 05 - 13),
    ),
    // 30/4 and 1/5/2026 (Thu, Fri) then a weekend.
    (
        datetime!(2026-04-29 14:00 +7),
        RightsKind::Objection,
        date!(2026 - 05 - 05),
        date!(2026 - 05 - 22),
    ),
    // 2/9/2026 with 31/8 and 1/9 (Mon–Wed).
    (
        datetime!(2026-08-28 16:00 +7),
        RightsKind::Portability,
        date!(2026 - 09 - 04),
        date!(2026 - 09 - 16),
    ),
    // 2/9/2025 with 1/9 (Mon, Tue).
    (
        datetime!(2025-08-29 16:00 +7),
        RightsKind::Restriction,
        date!(2025 - 09 - 04),
        date!(2025 - 09 - 23),
    ),
    // The last second of Thursday 5/3/2026 in Vietnam is 16:59:59 UTC…
    (
        datetime!(2026-03-05 16:59:59 UTC),
        RightsKind::Access,
        date!(2026 - 03 - 09),
        date!(2026 - 03 - 19),
    ),
    // …and 18:30 UTC that evening is already Friday 01:30 in Vietnam.
    (
        datetime!(2026-03-05 18:30 UTC),
        RightsKind::Access,
        date!(2026 - 03 - 10),
        date!(2026 - 03 - 20),
    ),
    // Across the new year: 1/1/2027 is off.
    (
        datetime!(2026-12-23 10:00 +7),
        RightsKind::Erasure,
        date!(2026 - 12 - 25),
        date!(2027 - 01 - 21),
    ),
];

#[test]
fn due_dates_follow_the_policy_terms_over_weekends_and_public_holidays() {
    let policy = policy();
    for &(arrived, kind, first_answer, due) in TABLE {
        assert_eq!(
            rights::due_dates(&policy, holidays(), kind, arrived.unix_timestamp()).unwrap(),
            DueDates { first_answer, due },
            "{kind} arrived {arrived}"
        );
    }
    // Every kind appears in the table.
    for kind in RightsKind::ALL {
        assert!(TABLE.iter().any(|row| row.1 == *kind), "{kind}");
    }
}

#[test]
fn a_due_date_in_a_year_the_holiday_data_lacks_is_an_error() {
    let policy = policy();
    for (arrived, kind, year) in [
        // 20 working days from 20/12/2030 end in 2031.
        (datetime!(2030-12-20 10:00 +7), RightsKind::Erasure, 2031),
        // The first day counted, 31/12/2024, is before the data starts.
        (datetime!(2024-12-30 10:00 +7), RightsKind::Access, 2024),
    ] {
        let result = rights::due_dates(&policy, holidays(), kind, arrived.unix_timestamp());
        assert!(
            matches!(
                result,
                Err(RightsError::Deadline(DeadlineError::YearNotCovered(y))) if y == year
            ),
            "{arrived}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_recorded_request_reads_back_with_its_due_dates() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let r = checkout(&app, &cart, buyer("thu.ha@example.vn")).await;
    assert!(r.status().is_success(), "{}", r.status());
    let db = &app.server.services.db;
    let subject: String = db
        .raw_one("SELECT buyer_id FROM orders", &[])
        .await
        .unwrap();
    let policy = app.server.services.gate.policy();

    // An erasure done at once on Friday before Tết, and an access request by email that
    // arrived the same evening (already Saturday in Vietnam).
    let friday = datetime!(2026-02-13 09:00 +7).unix_timestamp();
    let evening = datetime!(2026-02-13 17:30 UTC).unix_timestamp();
    let mut tx = db.begin_write().await.unwrap();
    let done = rights::record_self_service(
        &mut tx,
        policy,
        holidays(),
        &subject,
        RightsKind::Erasure,
        friday,
    )
    .await
    .unwrap();
    let open = rights::record_received(
        &mut tx,
        policy,
        holidays(),
        &subject,
        RightsKind::Access,
        Channel::Email,
        evening,
    )
    .await
    .unwrap();
    // One whose due date the holiday data cannot give is refused, and the transaction
    // carries on without it.
    let refused = rights::record_received(
        &mut tx,
        policy,
        holidays(),
        &subject,
        RightsKind::Erasure,
        Channel::Phone,
        datetime!(2030-12-20 10:00 +7).unix_timestamp(),
    )
    .await;
    assert!(
        matches!(refused, Err(RightsError::Deadline(_))),
        "{refused:?}"
    );
    tx.commit().await.unwrap();

    let read = rights::requests_of(db, &subject).await.unwrap();
    assert_eq!(read, vec![open.clone(), done.clone()], "newest first");
    assert_eq!(done.status, RightsStatus::Done);
    assert_eq!(done.answered_at, Some(friday));
    assert_eq!(done.first_answer_due, date!(2026 - 02 - 24));
    assert_eq!(done.due_on, date!(2026 - 03 - 20));
    assert_eq!(open.status, RightsStatus::Open);
    assert_eq!(open.answered_at, None);
    assert_eq!(open.first_answer_due, date!(2026 - 02 - 24));
    assert_eq!(open.due_on, date!(2026 - 03 - 06));
    assert_eq!(
        rights::open_by_due(db, 10).await.unwrap(),
        vec![open.clone()]
    );
    assert_eq!(
        rights::requests_of_subjects(db, std::slice::from_ref(&subject))
            .await
            .unwrap(),
        read
    );

    // As stored: codes, seconds and dates written YYYY-MM-DD, the same on both databases.
    let row = db
        .raw_row(
            "SELECT kind, channel, received_at, first_answer_due, due_on, answered_at, status \
             FROM rights_requests WHERE id = $1",
            &[done.id.as_str().into()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<String>("kind").unwrap(), "erasure");
    assert_eq!(row.get::<String>("channel").unwrap(), "self_service");
    assert_eq!(row.get::<i64>("received_at").unwrap(), friday);
    assert_eq!(row.get::<String>("first_answer_due").unwrap(), "2026-02-24");
    assert_eq!(row.get::<String>("due_on").unwrap(), "2026-03-20");
    assert_eq!(row.get::<i64>("answered_at").unwrap(), friday);
    assert_eq!(row.get::<String>("status").unwrap(), "done");
    let n: i64 = db
        .raw_one("SELECT COUNT(*) AS n FROM rights_requests", &[])
        .await
        .unwrap();
    assert_eq!(n, 2);

    // Staff answer the open one; it leaves the list of open requests, with its dates.
    let mut tx = db.begin_write().await.unwrap();
    rights::answer(&mut tx, &open.id, rights::Outcome::Done, evening + 86_400)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(rights::open_by_due(db, 10).await.unwrap().is_empty());
    let answered = rights::request(db, &open.id).await.unwrap().unwrap();
    assert_eq!(answered.status, RightsStatus::Done);
    assert_eq!(answered.answered_at, Some(evening + 86_400));
    assert_eq!(answered.due_on, open.due_on);
}
