//! Storage limitation: the records of a guest address go on their own three years after the
//! last order placed with it (every buyer record made with the address, exactly as an erasure
//! request erases them), unless a verified account holds the address; the orders stay without
//! identity, each erased subject has its audit entry by `system:retention`, and the operator
//! can run the same from the command line.

use crate::accounts::{verified_account, PASSWORD};
use crate::checkout::{buyer, checkout};
use crate::privacy_proofs::assert_audit_intact;
use crate::support::{cart_with, spawn, TestApp};
use hanjinbi_domain::deadline::VIETNAM;
use hanjinbi_privacy::gate::{items, GateError};
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_services::retention::{self, RetentionReport};
use hanjinbi_services::{Clock, SystemClock};
use hanjinbi_store::erasure;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::Command;

async fn guest_order(app: &TestApp, email: &str) -> Value {
    let r = checkout(app, &cart_with(app, "AKG2L-DEN-M", 1).await, buyer(email)).await;
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

fn number(placed: &Value) -> &str {
    placed["number"].as_str().unwrap()
}

/// The start, in Vietnam's time, of the day `years` whole years before `now`'s day, moved
/// `days` days: 29 February of a year without one is 1 March (the first day of a later period).
fn day_start(now: i64, years: i32, days: i64) -> i64 {
    let today = time::OffsetDateTime::from_unix_timestamp(now)
        .unwrap()
        .to_offset(VIETNAM)
        .date();
    let year = today.year() - years;
    let day = today
        .replace_year(year)
        .unwrap_or_else(|_| time::Date::from_calendar_date(year, time::Month::March, 1).unwrap());
    (day + time::Duration::days(days))
        .midnight()
        .assume_offset(VIETNAM)
        .unix_timestamp()
}

/// Sets the order back to `placed_at`, as if it had been placed then.
async fn placed_at(app: &TestApp, placed: &Value, at: i64) {
    let changed = app
        .server
        .services
        .db
        .raw_execute(
            "UPDATE orders SET placed_at = $1 WHERE number = $2",
            &[at.into(), number(placed).into()],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
}

/// The data subject of the buyer record an order was placed with.
async fn subject_of(app: &TestApp, placed: &Value) -> String {
    app.server
        .services
        .db
        .raw_one(
            "SELECT buyer_id FROM orders WHERE number = $1",
            &[number(placed).into()],
        )
        .await
        .unwrap()
}

/// The blind index of the address an order was placed with.
async fn index_of(app: &TestApp, placed: &Value) -> Vec<u8> {
    app.server
        .services
        .db
        .raw_one(
            "SELECT b.email_index FROM buyers b JOIN orders o ON o.buyer_id = b.id \
             WHERE o.number = $1",
            &[number(placed).into()],
        )
        .await
        .unwrap()
}

/// The order as its buyer's token opens it through the API.
async fn order_json(app: &TestApp, placed: &Value) -> Value {
    let r = app
        .http
        .get(app.url(&format!("/api/v1/orders/{}", number(placed))))
        .header("x-order-token", placed["lookup_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

async fn opened_ship_to(app: &TestApp, placed: &Value) -> Result<(), GateError> {
    let gate = &app.server.services.gate;
    let (principal, _) = gate
        .buyer_of_order(number(placed), placed["lookup_token"].as_str().unwrap())
        .await
        .unwrap();
    gate.open::<items::ShipTo>(&principal, PurposeId::OrderFulfilment, SystemClock.now())
        .await
        .map(|_| ())
}

/// The erase entries of the audit log: (who, actor, purpose, subject, fields).
async fn erase_entries(app: &TestApp) -> Vec<(String, String, String, String, String)> {
    app.server
        .services
        .db
        .raw_rows(
            "SELECT who, actor, purpose, subject, fields FROM audit_log \
             WHERE action = 'erase' ORDER BY seq",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.get("who").unwrap(),
                row.get("actor").unwrap(),
                row.get("purpose").unwrap(),
                row.get("subject").unwrap(),
                row.get("fields").unwrap(),
            )
        })
        .collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.server.services.db.raw_one(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn a_guests_records_go_three_years_after_the_last_order_placed_with_the_address() {
    let app = spawn().await;
    let now = SystemClock.now();
    // Three years and a day ago, at noon in Vietnam.
    let long_ago = day_start(now, 3, -1) + 12 * 3600;

    // Its only order is three years and a day old: due.
    let gone = guest_order(&app, "het.han@example.vn").await;
    placed_at(&app, &gone, long_ago).await;
    // An old order and a recent one with the same address: the last order counts.
    let old = guest_order(&app, "mua.lai@example.vn").await;
    placed_at(&app, &old, long_ago).await;
    let recent = guest_order(&app, "Mua.Lai@Example.vn").await;
    // An old order whose address a verified account holds: the account's rule applies.
    let held = guest_order(&app, "co.tai.khoan@example.vn").await;
    placed_at(&app, &held, long_ago).await;
    verified_account(&app, "co.tai.khoan@example.vn").await;
    // Placed on the first day still kept: three years end with today, so it is due tomorrow.
    let today_three_years_ago = guest_order(&app, "dung.ba.nam@example.vn").await;
    placed_at(&app, &today_three_years_ago, day_start(now, 3, 0)).await;
    // An old order whose address has an account never verified: both go.
    let unverified = guest_order(&app, "chua.xac.nhan@example.vn").await;
    placed_at(&app, &unverified, long_ago).await;
    let r = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "chua.xac.nhan@example.vn", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    app.send_mail().await;

    let mut expected: BTreeSet<String> = BTreeSet::new();
    expected.insert(subject_of(&app, &gone).await);
    expected.insert(subject_of(&app, &unverified).await);
    expected.insert(
        app.server
            .services
            .db
            .raw_one(
                "SELECT subject_id FROM accounts WHERE verified_at IS NULL",
                &[],
            )
            .await
            .unwrap(),
    );
    // Exactly the two due addresses are found, in one statement.
    let rule = retention::guest_rule(app.server.services.gate.policy())
        .unwrap()
        .unwrap();
    let cutoff = retention::cutoff(rule, now).unwrap().unwrap();
    let due: BTreeSet<Vec<u8>> = erasure::retention_due(&app.server.services.db, cutoff, &[], 200)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut due_indexes = BTreeSet::new();
    due_indexes.insert(index_of(&app, &gone).await);
    due_indexes.insert(index_of(&app, &unverified).await);
    assert_eq!(due, due_indexes);
    let erase_before = erase_entries(&app).await.len();
    let accounts_before = count(&app, "SELECT COUNT(*) AS n FROM accounts").await;

    let report = app.server.services.retention.run(now).await.unwrap();
    assert_eq!(
        report,
        RetentionReport {
            addresses: 2,
            records: 3,
            orders_kept: 2
        }
    );

    // The erased buyers: the gate answers "erased", the orders stay without delivery details.
    for placed in [&gone, &unverified] {
        let opened = opened_ship_to(&app, placed).await;
        assert!(matches!(opened, Err(GateError::Erased)), "{opened:?}");
        let order = order_json(&app, placed).await;
        assert!(order["ship_to"].is_null(), "{order}");
        assert!(order["note"].is_null(), "{order}");
        assert_eq!(order["total"], placed["total"]);
        assert_eq!(order["lines"].as_array().unwrap().len(), 1);
    }
    // The others are untouched.
    for placed in [&old, &recent, &held, &today_three_years_ago] {
        assert!(
            opened_ship_to(&app, placed).await.is_ok(),
            "{}",
            number(placed)
        );
        assert!(order_json(&app, placed).await["ship_to"].is_object());
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM accounts").await,
        accounts_before - 1,
        "the account never verified went with its address"
    );

    // One entry per erased subject, by the retention run, naming what went and no value.
    let entries = erase_entries(&app).await;
    let new = &entries[erase_before..];
    assert_eq!(new.len(), 3, "{new:?}");
    let subjects: BTreeSet<String> = new.iter().map(|e| e.3.clone()).collect();
    assert_eq!(subjects, expected);
    for (who, actor, purpose, _, fields) in new {
        assert_eq!(who, "system:retention");
        assert_eq!(actor, "system");
        assert_eq!(purpose, "legal_obligations");
        assert!(fields.contains("data_key"), "{fields}");
        assert!(!fields.contains('@'), "{fields}");
    }
    assert_audit_intact(&app).await;

    // Nothing is due any more.
    let again = app.server.services.retention.run(now).await.unwrap();
    assert_eq!(again, RetentionReport::default());
    assert_eq!(erase_entries(&app).await.len(), entries.len());

    // A day later, the order placed three years ago today is due.
    let tomorrow = app
        .server
        .services
        .retention
        .run(now + 24 * 3600)
        .await
        .unwrap();
    assert_eq!(
        tomorrow,
        RetentionReport {
            addresses: 1,
            records: 1,
            orders_kept: 1
        }
    );
    let opened = opened_ship_to(&app, &today_three_years_ago).await;
    assert!(matches!(opened, Err(GateError::Erased)), "{opened:?}");
    assert_audit_intact(&app).await;
}

fn hanjinbi(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
        .args(args)
        .arg("--data-dir")
        .arg(app.dir.path())
        .env("HANJINBI_DATABASE_URL", &app.database_url)
        .env_remove("HANJINBI_KEY_FILE")
        .output()
        .unwrap()
}

#[tokio::test]
async fn hanjinbi_retention_run_erases_what_is_due_and_prints_the_counts() {
    let app = spawn().await;
    let now = SystemClock.now();
    let gone = guest_order(&app, "het.han@example.vn").await;
    placed_at(&app, &gone, day_start(now, 3, -1)).await;
    let kept = guest_order(&app, "con.moi@example.vn").await;

    // Without the shop's key file, nothing is erased.
    let missing = app.dir.path().join("not-here.toml");
    let out = hanjinbi(
        &app,
        &["retention", "run", "--key-file", missing.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing was erased"), "{stderr}");
    assert!(opened_ship_to(&app, &gone).await.is_ok());

    let out = hanjinbi(&app, &["retention", "run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "retention run: 1 addresses erased, 1 records, 1 orders kept without identity"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("het.han"), "{stderr}");
    let opened = opened_ship_to(&app, &gone).await;
    assert!(matches!(opened, Err(GateError::Erased)), "{opened:?}");
    assert!(opened_ship_to(&app, &kept).await.is_ok());
    assert_audit_intact(&app).await;

    let out = hanjinbi(&app, &["retention", "run"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "retention run: 0 addresses erased, 0 records, 0 orders kept without identity"
    );
}
