//! The privacy invariants, proved against the real server and database: no personal
//! plaintext at rest or in logs, a tamper-evident audit log, sealed values bound to their
//! place, and a gate that refuses and records.

use crate::checkout::{buyer, checkout};
use crate::support::{cart_with, postgres_admin_url, spawn, TestApp};
use hanjinbi_privacy::audit::{self, AuditError, BreakReason};
use hanjinbi_privacy::gate::{Access, GateError, PersonalItem};
use hanjinbi_privacy::policy::{Actor, PurposeId};
use serde_json::Value;
use sqlx::Row;
use std::process::{Command, Stdio};

/// The personal values a test buyer types, in every form they could be stored in.
const SECRETS: &[&str] = &[
    "thu.ha.secret@example.vn",
    "Phạm Thu Hà",
    "Pha\u{0323}m", // a decomposed fragment, in case anything normalised it
    "0934 567 891",
    "+84934567891",
    "84934567891",
    "Số 77 Đường Bí Mật",
    "Bí Mật",
];

fn secret_buyer() -> Value {
    let mut b = buyer(SECRETS[0]);
    b["name"] = SECRETS[1].into();
    b["phone"] = SECRETS[3].into();
    b["address"]["line"] = SECRETS[6].into();
    b
}

fn assert_no_secrets(what: &str, bytes: &[u8]) {
    let haystack = String::from_utf8_lossy(bytes);
    for secret in SECRETS {
        assert!(
            !haystack.contains(secret),
            "{what} contains {secret:?} in plaintext"
        );
        let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(
            !bytes.windows(utf16.len()).any(|w| w == utf16.as_slice()),
            "{what} contains {secret:?} as UTF-16"
        );
    }
}

pub async fn assert_audit_intact(app: &TestApp) {
    let verified = audit::verify(&app.server.services.db)
        .await
        .expect("the audit log verifies");
    assert!(verified.count > 0);
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql)
        .execute(app.server.services.db.pool())
        .await
        .unwrap();
}

fn broken_at(result: Result<audit::Verified, AuditError>) -> i64 {
    match result {
        Err(AuditError::Broken { seq, .. }) => seq,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

/// A checkout through a real `hanjinbi serve` process logging at TRACE: its log output and
/// its database (the SQLite file with WAL and SHM, or a `pg_dump`) hold no personal value.
#[tokio::test]
async fn no_personal_plaintext_in_the_database_files_dumps_or_logs() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::support::fresh_database(dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
        .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env("HANJINBI_DATABASE_URL", &database_url)
        .env("HANJINBI_LOG", "trace")
        .env_remove("RUST_LOG")
        // Files, not pipes: a pipe nobody reads fills up and stalls a server logging at TRACE.
        .stdout(Stdio::from(
            std::fs::File::create(dir.path().join("stdout.log")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("stderr.log")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server started");
    let cart: Value = http
        .post(format!("{base}/api/v1/carts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, token) = (
        cart["id"].as_str().unwrap(),
        cart["token"].as_str().unwrap(),
    );
    http.post(format!("{base}/api/v1/carts/{id}/items"))
        .header("x-cart-token", token)
        .json(&serde_json::json!({"sku": "AKG2L-DEN-M", "quantity": 1}))
        .send()
        .await
        .unwrap();
    let mut body = secret_buyer();
    body["cart_id"] = id.into();
    let r = http
        .post(format!("{base}/api/v1/checkout"))
        .header("x-cart-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    // The order page and the lookup open the data through the gate; the worker emails it.
    let order = http
        .get(format!(
            "{base}/api/v1/orders/{}",
            placed["number"].as_str().unwrap()
        ))
        .header("x-order-token", placed["lookup_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(order.status().as_u16(), 200);
    for _ in 0..100 {
        if std::fs::read_dir(dir.path().join("mail")).is_ok_and(|mut d| d.next().is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "graceful shutdown on SIGTERM");
    let logs = [
        std::fs::read(dir.path().join("stdout.log")).unwrap(),
        std::fs::read(dir.path().join("stderr.log")).unwrap(),
    ]
    .concat();
    assert!(
        String::from_utf8_lossy(&logs).contains("TRACE")
            || String::from_utf8_lossy(&logs).contains("DEBUG"),
        "the logs are verbose"
    );
    assert_no_secrets("the logs", &logs);

    if postgres_admin_url().is_some() {
        let dump = Command::new("pg_dump")
            .arg("--no-owner")
            .arg(&database_url)
            .output()
            .expect("pg_dump is installed");
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        assert!(String::from_utf8_lossy(&dump.stdout).contains("ship_to_sealed"));
        assert_no_secrets("the pg_dump", &dump.stdout);
    } else {
        let mut files = 0;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("shop.sqlite3")
            {
                assert_no_secrets(&path.display().to_string(), &std::fs::read(&path).unwrap());
                files += 1;
            }
        }
        assert!(files >= 1);
    }
    // The one place plaintext may appear is the email itself, sent to the buyer.
    let mail = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(std::fs::read_to_string(mail).unwrap().contains(SECRETS[0]));
}

#[tokio::test]
async fn editing_deleting_or_reordering_audit_rows_is_found_at_that_entry() {
    let app = spawn().await;
    for email in ["a@example.vn", "b@example.vn"] {
        let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
        checkout(&app, &cart, buyer(email)).await;
    }
    app.send_mail().await;
    let db = &app.server.services.db;
    let total = audit::verify(db).await.unwrap().count;
    assert!(total >= 6, "{total}");

    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
            .args(args)
            .arg("--data-dir")
            .arg(app.dir.path())
            .env("HANJINBI_DATABASE_URL", &app.database_url)
            .output()
            .unwrap()
    };
    let intact = cli(&["audit", "verify"]);
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains(&format!("{total} entries")));
    let head = cli(&["audit", "head"]);
    assert!(String::from_utf8_lossy(&head.stdout).starts_with(&format!("{total} ")));

    exec(
        &app,
        "UPDATE audit_log SET subject = 'someone-else' WHERE seq = 3",
    )
    .await;
    assert_eq!(broken_at(audit::verify(db).await), 3);
    let broken = cli(&["audit", "verify"]);
    assert!(
        !broken.status.success(),
        "audit verify exits non-zero on a broken chain"
    );
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(
        said.contains("BROKEN at entry 3") && said.contains("edited"),
        "{said}"
    );
    exec(&app, "DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(
        broken_at(audit::verify(db).await),
        4,
        "a deleted entry leaves a gap"
    );
}

#[tokio::test]
async fn swapped_or_truncated_audit_rows_are_found() {
    let app = spawn().await;
    for email in ["a@example.vn", "b@example.vn"] {
        let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
        checkout(&app, &cart, buyer(email)).await;
    }
    let db = &app.server.services.db;
    let total = audit::verify(db).await.unwrap().count;
    // Swap entries 2 and 4 by renumbering them.
    exec(&app, "UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
    exec(&app, "UPDATE audit_log SET seq = 2 WHERE seq = 4").await;
    exec(&app, "UPDATE audit_log SET seq = 4 WHERE seq = -2").await;
    assert_eq!(broken_at(audit::verify(db).await), 2);
    exec(&app, "UPDATE audit_log SET seq = -2 WHERE seq = 4").await;
    exec(&app, "UPDATE audit_log SET seq = 4 WHERE seq = 2").await;
    exec(&app, "UPDATE audit_log SET seq = 2 WHERE seq = -2").await;
    assert_eq!(audit::verify(db).await.unwrap().count, total, "restored");
    exec(&app, &format!("DELETE FROM audit_log WHERE seq = {total}")).await;
    match audit::verify(db).await {
        Err(AuditError::Broken { seq, reason }) => {
            assert_eq!(seq, total);
            assert_eq!(reason, BreakReason::Truncated);
        }
        other => panic!("{other:?}"),
    }
}

async fn order_of(app: &TestApp, email: &str) -> (String, String) {
    let cart = cart_with(app, "AKG2L-DEN-M", 1).await;
    let placed: Value = checkout(app, &cart, buyer(email))
        .await
        .json()
        .await
        .unwrap();
    let row = sqlx::query("SELECT id, buyer_id FROM orders WHERE number = $1")
        .bind(placed["number"].as_str().unwrap())
        .fetch_one(app.server.services.db.pool())
        .await
        .unwrap();
    (row.try_get("id").unwrap(), row.try_get("buyer_id").unwrap())
}

#[tokio::test]
async fn a_sealed_value_moved_to_another_row_or_field_does_not_open() {
    let app = spawn().await;
    let (order_a, buyer_a) = order_of(&app, "a@example.vn").await;
    let (order_b, buyer_b) = order_of(&app, "b@example.vn").await;
    let gate = &app.server.services.gate;
    let fulfil = |subject| Access {
        actor: Actor::Fulfilment,
        purpose: PurposeId::OrderFulfilment,
        subject,
    };
    assert!(gate
        .open(fulfil(&buyer_b), &[PersonalItem::BuyerEmail], 0)
        .await
        .is_ok());

    // Buyer A's email copied into buyer B's row.
    let a_email: Vec<u8> = sqlx::query("SELECT email_sealed FROM buyers WHERE id = $1")
        .bind(&buyer_a)
        .fetch_one(app.server.services.db.pool())
        .await
        .unwrap()
        .try_get("email_sealed")
        .unwrap();
    sqlx::query("UPDATE buyers SET email_sealed = $1 WHERE id = $2")
        .bind(&a_email)
        .bind(&buyer_b)
        .execute(app.server.services.db.pool())
        .await
        .unwrap();
    assert!(matches!(
        gate.open(fulfil(&buyer_b), &[PersonalItem::BuyerEmail], 0)
            .await,
        Err(GateError::Vault(_))
    ));

    // Buyer A's name moved into A's own email field.
    sqlx::query("UPDATE buyers SET email_sealed = name_sealed WHERE id = $1")
        .bind(&buyer_a)
        .execute(app.server.services.db.pool())
        .await
        .unwrap();
    assert!(matches!(
        gate.open(fulfil(&buyer_a), &[PersonalItem::BuyerEmail], 0)
            .await,
        Err(GateError::Vault(_))
    ));
    assert!(gate
        .open(fulfil(&buyer_a), &[PersonalItem::BuyerName], 0)
        .await
        .is_ok());

    // Order A's delivery details copied to order B (same buyer key would not help either).
    sqlx::query("UPDATE orders SET ship_to_sealed = (SELECT ship_to_sealed FROM orders WHERE id = $1) WHERE id = $2")
        .bind(&order_a).bind(&order_b).execute(app.server.services.db.pool()).await.unwrap();
    let item = PersonalItem::ShipTo {
        order_id: order_b.clone(),
    };
    assert!(matches!(
        gate.open(fulfil(&buyer_b), &[item], 0).await,
        Err(GateError::Vault(_))
    ));
}

#[tokio::test]
async fn the_gate_refuses_what_the_policy_does_not_allow_and_records_it() {
    let app = spawn().await;
    let (order, buyer_id) = order_of(&app, "a@example.vn").await;
    let gate = &app.server.services.gate;
    let db = &app.server.services.db;
    let entries = || async {
        sqlx::query("SELECT action, actor, purpose, subject, fields FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_one(db.pool()).await.unwrap()
    };

    // Marketing staff may not read a delivery address to fulfil orders.
    let access = Access {
        actor: Actor::Marketing,
        purpose: PurposeId::OrderFulfilment,
        subject: &buyer_id,
    };
    let refused = gate
        .open(
            access,
            &[PersonalItem::ShipTo {
                order_id: order.clone(),
            }],
            0,
        )
        .await;
    assert!(matches!(refused, Err(GateError::Denied(_))), "{refused:?}");
    let last = entries().await;
    assert_eq!(last.try_get::<String, _>("action").unwrap(), "deny");
    assert_eq!(last.try_get::<String, _>("actor").unwrap(), "marketing");
    assert_eq!(last.try_get::<String, _>("subject").unwrap(), buyer_id);
    assert_eq!(last.try_get::<String, _>("fields").unwrap(), "ship_to");

    // Marketing email needs consent at the moment of use; this buyer ticked the box, but at
    // a checkout, which proves no control of the email address: not yet ...
    let marketing = Access {
        actor: Actor::Marketing,
        purpose: PurposeId::Marketing,
        subject: &buyer_id,
    };
    let refused = gate.open(marketing, &[PersonalItem::BuyerEmail], 0).await;
    assert!(
        matches!(refused, Err(GateError::NoConsent("marketing"))),
        "{refused:?}"
    );
    // ... until the address is confirmed.
    sqlx::query("UPDATE consents SET verified = 1 WHERE subject_id = $1")
        .bind(&buyer_id)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(gate
        .open(marketing, &[PersonalItem::BuyerEmail], 0)
        .await
        .is_ok());
    assert_eq!(
        entries().await.try_get::<String, _>("action").unwrap(),
        "open"
    );
    // ... and suggestions were not consented to.
    let suggestions = Access {
        actor: Actor::System,
        purpose: PurposeId::Suggestions,
        subject: &buyer_id,
    };
    let refused = gate
        .open(suggestions, &[PersonalItem::ShipTo { order_id: order }], 0)
        .await;
    assert!(
        matches!(refused, Err(GateError::Denied(_) | GateError::NoConsent(_))),
        "{refused:?}"
    );
    assert_eq!(
        entries().await.try_get::<String, _>("action").unwrap(),
        "deny"
    );
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn consent_is_recorded_with_its_wording_and_policy_version() {
    let app = spawn().await;
    let (_, buyer_id) = order_of(&app, "a@example.vn").await;
    let row = sqlx::query("SELECT purpose, granted, policy_version, wording, channel FROM consents WHERE subject_id = $1")
        .bind(&buyer_id).fetch_one(app.server.services.db.pool()).await.unwrap();
    assert_eq!(row.try_get::<String, _>("purpose").unwrap(), "marketing");
    assert_eq!(row.try_get::<i64, _>("granted").unwrap(), 1);
    assert_eq!(row.try_get::<String, _>("channel").unwrap(), "api");
    assert_eq!(
        row.try_get::<String, _>("policy_version").unwrap(),
        app.server.services.gate.policy().version()
    );
    assert!(row
        .try_get::<String, _>("wording")
        .unwrap()
        .contains("Hanjinbi"));
}

#[tokio::test]
async fn keys_rotate_while_the_shop_keeps_serving() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let placed: Value = checkout(&app, &cart, buyer("a@example.vn"))
        .await
        .json()
        .await
        .unwrap();
    let key_file = app.dir.path().join("keys.toml");
    let before = std::fs::read_to_string(&key_file).unwrap();

    hanjinbi::admin::rotate_keys(
        &app.server.services.db,
        &key_file,
        &hanjinbi::admin::RotateOptions::new(false),
        &hanjinbi_services::SystemClock,
    )
    .await
    .unwrap();
    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(before, after);
    let masters: Vec<String> = sqlx::query("SELECT DISTINCT master_key_id FROM data_keys")
        .fetch_all(app.server.services.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("master_key_id").unwrap())
        .collect();
    assert_eq!(masters.len(), 1);
    assert!(
        after.contains(&format!("current = \"{}\"", masters[0])),
        "every data key is under the new master key"
    );

    // The running server meets a key wrapped by a master it has not seen, re-reads the file,
    // and goes on opening data: no restart.
    let r = app
        .http
        .get(app.url(&format!(
            "/api/v1/orders/{}",
            placed["number"].as_str().unwrap()
        )))
        .header("x-order-token", placed["lookup_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    assert_eq!(
        checkout(&app, &cart, buyer("b@example.vn"))
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(app.send_mail().await, 2);
    assert_audit_intact(&app).await;
}
