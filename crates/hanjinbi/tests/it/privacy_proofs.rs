//! The privacy invariants, proved against the real server and database: no personal
//! plaintext at rest or in logs, a tamper-evident audit log, sealed values bound to their
//! place, and a gate that refuses and records.

use crate::checkout::{buyer, checkout, count};
use crate::support::{cart_with, postgres_admin_url, spawn, TestApp};
use hanjinbi_privacy::audit::{self, Anchor, AuditError, AuditKey, BreakReason};
use hanjinbi_privacy::gate::{items, GateError};
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_privacy::Principal;
use hanjinbi_store::audit::AuditRow;
use hanjinbi_store::testing::Row;
use serde_json::Value;
use std::process::{Command, Stdio};

/// The password of the test buyer's account: neither it nor any part of it may be stored.
const ACCOUNT_PASSWORD: &str = "Mật khẩu bí mật của Hà 2026";

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
    ACCOUNT_PASSWORD,
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

async fn verify(app: &TestApp, anchor: Option<Anchor>) -> Result<audit::Verified, AuditError> {
    let gate = &app.server.services.gate;
    gate.flush_views().await.expect("page views written");
    audit::verify(&app.server.services.db, gate.audit_key(), anchor).await
}

pub async fn assert_audit_intact(app: &TestApp) {
    let verified = verify(app, None).await.expect("the audit log verifies");
    assert!(verified.count > 0);
}

async fn exec(app: &TestApp, sql: &str) {
    app.server.services.db.raw_execute(sql, &[]).await.unwrap();
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
    // The same buyer registers an account with the address, verifies it with the emailed
    // link and signs in: the account's address is sealed and indexed like the order's.
    let r = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({"email": SECRETS[0], "password": ACCOUNT_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let mut link_token = None;
    for _ in 0..200 {
        link_token = std::fs::read_dir(dir.path().join("mail"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find_map(|raw| crate::accounts::link_token_in(&crate::mailbox::parse(&raw)));
        if link_token.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let link_token = link_token.expect("the verification email was written");
    let r = http
        .post(format!("{base}/api/v1/auth/verify"))
        .json(&serde_json::json!({"token": link_token, "password": ACCOUNT_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let session: Value = r.json().await.unwrap();
    let me = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(session["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);

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

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
        .args(args)
        .arg("--data-dir")
        .arg(app.dir.path())
        .env("HANJINBI_DATABASE_URL", &app.database_url)
        .output()
        .unwrap()
}

async fn two_orders_and_their_mail(app: &TestApp) -> i64 {
    for email in ["a@example.vn", "b@example.vn"] {
        let cart = cart_with(app, "AKG2L-DEN-M", 1).await;
        checkout(app, &cart, buyer(email)).await;
    }
    app.send_mail().await;
    let total = verify(app, None).await.unwrap().count;
    assert!(total >= 6, "{total}");
    total
}

/// The rows of the log as stored.
async fn rows(app: &TestApp) -> Vec<AuditRow> {
    let mut scan = hanjinbi_store::audit::scan(&app.server.services.db)
        .await
        .unwrap();
    let mut rows = Vec::new();
    while let Some(batch) = scan.next().await {
        rows.extend(batch.unwrap());
    }
    rows
}

/// Rewrites entry `row` in place, as someone with write access to the database would.
async fn overwrite(app: &TestApp, row: &AuditRow) {
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE audit_log SET format = $1, subject = $2, prev_hash = $3, hash = $4 \
             WHERE seq = $5",
            &[
                row.format.into(),
                (&row.subject).into(),
                (&row.prev_hash).into(),
                (&row.hash).into(),
                row.seq.into(),
            ],
        )
        .await
        .unwrap();
}

async fn set_head(app: &TestApp, seq: i64, hash: &[u8]) {
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
            &[seq.into(), hash.into()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn editing_deleting_or_reordering_audit_rows_is_found_at_that_entry() {
    let app = spawn().await;
    let total = two_orders_and_their_mail(&app).await;
    let intact = cli(&app, &["audit", "verify"]);
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains(&format!("{total} entries")));

    exec(
        &app,
        "UPDATE audit_log SET subject = 'someone-else' WHERE seq = 3",
    )
    .await;
    assert_eq!(broken_at(verify(&app, None).await), 3);
    let broken = cli(&app, &["audit", "verify"]);
    assert!(
        !broken.status.success(),
        "audit verify exits non-zero on a broken chain"
    );
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(said.contains("BROKEN at entry 3"), "{said}");
    assert!(said.contains("edited"), "{said}");
    exec(&app, "DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(
        broken_at(verify(&app, None).await),
        4,
        "a deleted entry leaves a gap"
    );
}

#[tokio::test]
async fn swapped_or_truncated_audit_rows_are_found() {
    let app = spawn().await;
    let total = two_orders_and_their_mail(&app).await;
    // Swap entries 2 and 4 by renumbering them.
    exec(&app, "UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
    exec(&app, "UPDATE audit_log SET seq = 2 WHERE seq = 4").await;
    exec(&app, "UPDATE audit_log SET seq = 4 WHERE seq = -2").await;
    assert_eq!(broken_at(verify(&app, None).await), 2);
    exec(&app, "UPDATE audit_log SET seq = -2 WHERE seq = 4").await;
    exec(&app, "UPDATE audit_log SET seq = 4 WHERE seq = 2").await;
    exec(&app, "UPDATE audit_log SET seq = 2 WHERE seq = -2").await;
    assert_eq!(verify(&app, None).await.unwrap().count, total, "restored");
    exec(&app, &format!("DELETE FROM audit_log WHERE seq = {total}")).await;
    match verify(&app, None).await {
        Err(AuditError::Broken { seq, reason }) => {
            assert_eq!(seq, total);
            assert_eq!(reason, BreakReason::Truncated);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_cut_tail_with_a_rewritten_head_row_is_found_against_the_published_head() {
    let app = spawn().await;
    let total = two_orders_and_their_mail(&app).await;
    let head = cli(&app, &["audit", "head"]);
    assert!(head.status.success());
    let published = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    assert!(published.starts_with(&format!("{total}:")), "{published}");
    let anchored = cli(&app, &["audit", "verify", "--expect", &published]);
    assert!(
        anchored.status.success(),
        "{}",
        String::from_utf8_lossy(&anchored.stderr)
    );

    let kept = &rows(&app).await[..(total - 2) as usize];
    let last = kept.last().unwrap();
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq > {}", last.seq),
    )
    .await;
    set_head(&app, last.seq, &last.hash).await;
    assert!(
        cli(&app, &["audit", "verify"]).status.success(),
        "without a head kept elsewhere a clean cut cannot be told from a shorter log"
    );
    let cut = cli(&app, &["audit", "verify", "--expect", &published]);
    assert!(!cut.status.success());
    let said = String::from_utf8_lossy(&cut.stderr);
    assert!(said.contains("tail was cut"), "{said}");

    let bad = cli(&app, &["audit", "verify", "--expect", "12:nonsense"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("COUNT:HEX"));
}

#[tokio::test]
async fn a_chain_recomputed_after_an_edit_without_the_audit_key_does_not_verify() {
    let app = spawn().await;
    two_orders_and_their_mail(&app).await;
    let original = rows(&app).await;

    // In the unkeyed format: what anyone can compute from the database alone.
    let mut forged = original.clone();
    forged[2].subject = "someone-else".into();
    let mut prev = audit::GENESIS.to_vec();
    for row in &mut forged {
        row.format = audit::FORMAT_UNKEYED;
        row.prev_hash = prev;
        row.hash = audit::entry_hash(&row.prev_hash, row).to_vec();
        prev = row.hash.clone();
        overwrite(&app, row).await;
    }
    set_head(&app, forged.len() as i64, &prev).await;
    match verify(&app, None).await {
        Err(AuditError::Broken { seq, reason }) => {
            assert_eq!((seq, reason), (1, BreakReason::Unkeyed));
        }
        other => panic!("{other:?}"),
    }

    // In the keyed format, under a key that is not the shop's.
    let stranger = AuditKey::new(&hanjinbi_privacy::keys::Key::random(), 0);
    let mut prev = audit::GENESIS.to_vec();
    for row in &mut forged {
        row.format = audit::FORMAT_KEYED;
        row.prev_hash = prev;
        row.hash = stranger.entry_mac(&row.prev_hash, row).to_vec();
        prev = row.hash.clone();
        overwrite(&app, row).await;
    }
    set_head(&app, forged.len() as i64, &prev).await;
    match verify(&app, None).await {
        Err(AuditError::Broken { seq, reason }) => {
            assert_eq!((seq, reason), (1, BreakReason::Edited));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_appended_forged_audit_entry_does_not_verify() {
    let app = spawn().await;
    let total = two_orders_and_their_mail(&app).await;
    let last = rows(&app).await.pop().unwrap();
    let mut forged = AuditRow {
        seq: total + 1,
        who: "system:outbox-mailer".into(),
        action: "erase".into(),
        prev_hash: last.hash.clone(),
        ..last
    };
    forged.hash = AuditKey::new(&hanjinbi_privacy::keys::Key::random(), 0)
        .entry_mac(&forged.prev_hash, &forged)
        .to_vec();
    let mut tx = app.server.services.db.begin_write().await.unwrap();
    hanjinbi_store::audit::insert(&mut tx, std::slice::from_ref(&forged))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    set_head(&app, total + 1, &forged.hash).await;
    match verify(&app, None).await {
        Err(AuditError::Broken { seq, reason }) => {
            assert_eq!((seq, reason), (total + 1, BreakReason::Edited));
        }
        other => panic!("{other:?}"),
    }
}

/// An order placed through the API: its number, token, id and buyer.
struct Placed {
    number: String,
    token: String,
    id: String,
    buyer: String,
}

async fn order_of(app: &TestApp, email: &str) -> Placed {
    let cart = cart_with(app, "AKG2L-DEN-M", 1).await;
    let placed: Value = checkout(app, &cart, buyer(email))
        .await
        .json()
        .await
        .unwrap();
    let number = placed["number"].as_str().unwrap().to_owned();
    let row = app
        .server
        .services
        .db
        .raw_row(
            "SELECT id, buyer_id FROM orders WHERE number = $1",
            &[(&number).into()],
        )
        .await
        .unwrap();
    Placed {
        number,
        token: placed["lookup_token"].as_str().unwrap().to_owned(),
        id: row.get("id").unwrap(),
        buyer: row.get("buyer_id").unwrap(),
    }
}

async fn as_buyer(app: &TestApp, order: &Placed) -> Principal {
    app.server
        .services
        .gate
        .buyer_of_order(&order.number, &order.token)
        .await
        .unwrap()
        .0
}

async fn as_mailer(app: &TestApp, order: &Placed) -> Principal {
    let id: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT id FROM outbox WHERE order_id = $1",
            &[(&order.id).into()],
        )
        .await
        .unwrap();
    app.server.services.gate.mailer_for(id).await.unwrap().0
}

async fn last_entry(app: &TestApp) -> Row {
    app.server
        .services
        .db
        .raw_row(
            "SELECT action, who, actor, purpose, subject, fields, format FROM audit_log \
             ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_principal_needs_its_proof() {
    let app = spawn().await;
    let a = order_of(&app, "a@example.vn").await;
    let b = order_of(&app, "b@example.vn").await;
    let gate = &app.server.services.gate;
    assert!(matches!(
        gate.buyer_of_order(&a.number, &b.token).await,
        Err(GateError::NotFound)
    ));
    assert!(matches!(
        gate.buyer_of_order("HJ0000000000", &a.token).await,
        Err(GateError::NotFound)
    ));
    assert_eq!(as_buyer(&app, &a).await.subject(), Some(a.buyer.as_str()));
    assert_eq!(
        as_buyer(&app, &a).await.who(),
        format!("order:{}", a.number)
    );
    app.send_mail().await;
    let sent: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT id FROM outbox WHERE order_id = $1",
            &[(&a.id).into()],
        )
        .await
        .unwrap();
    assert!(
        matches!(gate.mailer_for(sent).await, Err(GateError::NotFound)),
        "a message already sent proves nothing"
    );

    let (cart_id, cart_token) = cart_with(&app, "AKG2L-DEN-M", 1).await;
    assert!(matches!(
        gate.buyer_of_cart(&cart_id, &a.token, 0).await,
        Err(GateError::NotFound)
    ));
    let holder = gate.buyer_of_cart(&cart_id, &cart_token, 0).await.unwrap();
    assert_eq!(holder.who(), format!("cart:{cart_id}"));
    assert_eq!(holder.subject(), None);
    assert!(
        matches!(
            gate.open::<items::BuyerEmail>(&holder, PurposeId::OrderFulfilment, 0)
                .await,
            Err(GateError::NotFound)
        ),
        "a cart's holder opens nothing"
    );
    let last = last_entry(&app).await;
    assert_eq!(last.get::<String>("action").unwrap(), "deny");
    assert_eq!(
        last.get::<String>("who").unwrap(),
        format!("cart:{cart_id}")
    );
}

#[tokio::test]
async fn a_sealed_value_moved_to_another_row_or_field_does_not_open() {
    let app = spawn().await;
    let a = order_of(&app, "a@example.vn").await;
    let b = order_of(&app, "b@example.vn").await;
    let gate = &app.server.services.gate;
    let (buyer_a, buyer_b) = (as_buyer(&app, &a).await, as_buyer(&app, &b).await);
    let email_of = |p: &Principal| {
        let p = p.clone();
        async move {
            gate.open::<items::BuyerEmail>(&p, PurposeId::OrderFulfilment, 0)
                .await
        }
    };
    assert_eq!(email_of(&buyer_b).await.unwrap().expose(), "b@example.vn");

    // Buyer A's email copied into buyer B's row.
    let db = &app.server.services.db;
    let a_email: Vec<u8> = db
        .raw_one(
            "SELECT email_sealed FROM buyers WHERE id = $1",
            &[(&a.buyer).into()],
        )
        .await
        .unwrap();
    db.raw_execute(
        "UPDATE buyers SET email_sealed = $1 WHERE id = $2",
        &[a_email.into(), (&b.buyer).into()],
    )
    .await
    .unwrap();
    assert!(matches!(email_of(&buyer_b).await, Err(GateError::Vault(_))));

    // Buyer A's name moved into A's own email field.
    db.raw_execute(
        "UPDATE buyers SET email_sealed = name_sealed WHERE id = $1",
        &[(&a.buyer).into()],
    )
    .await
    .unwrap();
    assert!(matches!(email_of(&buyer_a).await, Err(GateError::Vault(_))));
    assert!(gate
        .open::<items::BuyerName>(&buyer_a, PurposeId::OrderFulfilment, 0)
        .await
        .is_ok());

    // Order A's delivery details copied to order B.
    db.raw_execute(
        "UPDATE orders SET ship_to_sealed = (SELECT ship_to_sealed FROM orders WHERE id = $1) \
         WHERE id = $2",
        &[(&a.id).into(), (&b.id).into()],
    )
    .await
    .unwrap();
    assert!(matches!(
        gate.open::<items::ShipTo>(&buyer_b, PurposeId::OrderFulfilment, 0)
            .await,
        Err(GateError::Vault(_))
    ));
}

#[tokio::test]
async fn the_gate_refuses_what_the_policy_does_not_allow_and_records_who_asked() {
    let app = spawn().await;
    let order = order_of(&app, "a@example.vn").await;
    let gate = &app.server.services.gate;
    let buyer = as_buyer(&app, &order).await;

    // The marketing purpose is not the buyer's to act for.
    let refused = gate
        .open::<items::ShipTo>(&buyer, PurposeId::Marketing, 0)
        .await;
    assert!(matches!(refused, Err(GateError::Denied(_))), "{refused:?}");
    let last = last_entry(&app).await;
    assert_eq!(last.get::<String>("action").unwrap(), "deny");
    assert_eq!(
        last.get::<String>("who").unwrap(),
        format!("order:{}", order.number)
    );
    assert_eq!(last.get::<String>("actor").unwrap(), "buyer");
    assert_eq!(last.get::<String>("subject").unwrap(), order.buyer);
    assert_eq!(last.get::<String>("fields").unwrap(), "ship_to");
    assert_eq!(last.get::<i64>("format").unwrap(), audit::FORMAT_KEYED);

    // Suggestions may not read an address, consent or not.
    let refused = gate
        .open::<items::ShipTo>(&buyer, PurposeId::Suggestions, 0)
        .await;
    assert!(matches!(refused, Err(GateError::Denied(_))), "{refused:?}");

    let (email, name, ship_to) = gate
        .open::<(items::BuyerEmail, items::BuyerName, items::ShipTo)>(
            &as_mailer(&app, &order).await,
            PurposeId::OrderFulfilment,
            0,
        )
        .await
        .unwrap();
    assert_eq!(email.expose(), "a@example.vn");
    assert_eq!(name.expose(), "Nguyễn Thị Lan");
    assert_eq!(ship_to.phone().expose(), "+84912345678");
    let last = last_entry(&app).await;
    assert_eq!(last.get::<String>("action").unwrap(), "open");
    assert!(last
        .get::<String>("who")
        .unwrap()
        .starts_with("system:outbox-mailer/message:"));
    assert_eq!(last.get::<String>("fields").unwrap(), "email,name,ship_to");
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn a_consent_purpose_is_refused_at_the_moment_of_use_without_consent() {
    let app = spawn().await;
    let gate = &app.server.services.gate;
    let mut never = buyer("never@example.vn");
    never["consents"]["marketing"] = false.into();
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    checkout(&app, &cart, never).await;
    let db = &app.server.services.db;
    let never_row = db
        .raw_row(
            "SELECT id FROM orders ORDER BY placed_at DESC, id LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let never_id: String = never_row.get("id").unwrap();
    let never_mailer = {
        let id: i64 = db
            .raw_one(
                "SELECT id FROM outbox WHERE order_id = $1",
                &[(&never_id).into()],
            )
            .await
            .unwrap();
        gate.mailer_for(id).await.unwrap().0
    };
    let refused = gate
        .open::<items::BuyerEmail>(&never_mailer, PurposeId::Marketing, 0)
        .await;
    assert!(
        matches!(refused, Err(GateError::NoConsent("marketing"))),
        "{refused:?}"
    );
    assert_eq!(
        last_entry(&app).await.get::<String>("action").unwrap(),
        "deny"
    );

    // Ticked at a checkout, which proves no control of the email address: not yet ...
    let given = order_of(&app, "given@example.vn").await;
    let mailer = as_mailer(&app, &given).await;
    let refused = gate
        .open::<items::BuyerEmail>(&mailer, PurposeId::Marketing, 0)
        .await;
    assert!(
        matches!(refused, Err(GateError::NoConsent("marketing"))),
        "{refused:?}"
    );
    // ... until the address is confirmed.
    db.raw_execute(
        "UPDATE consents SET verified = TRUE WHERE subject_id = $1",
        &[(&given.buyer).into()],
    )
    .await
    .unwrap();
    assert!(gate
        .open::<items::BuyerEmail>(&mailer, PurposeId::Marketing, 0)
        .await
        .is_ok());
    db.raw_execute(
        "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, channel, at) \
         VALUES ($1, 'marketing', FALSE, $2, 'withdrawn', 'web', 1)",
        &[(&given.buyer).into(), gate.policy().version().into()],
    )
    .await
    .unwrap();
    let refused = gate
        .open::<items::BuyerEmail>(&mailer, PurposeId::Marketing, 0)
        .await;
    assert!(
        matches!(refused, Err(GateError::NoConsent("marketing"))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn order_page_views_are_all_audited_in_few_write_transactions() {
    let app = spawn().await;
    let order = order_of(&app, "a@example.vn").await;
    let gate = &app.server.services.gate;
    gate.flush_views().await.unwrap();
    let before = count(&app, "audit_log").await;
    let writes = gate.view_log().writes();

    app.server
        .services
        .orders
        .view(&order.number, &order.token)
        .await
        .unwrap();
    gate.flush_views().await.unwrap();
    assert_eq!(count(&app, "audit_log").await, before + 1);
    let last = last_entry(&app).await;
    assert_eq!(last.get::<String>("action").unwrap(), "open");
    assert_eq!(
        last.get::<String>("who").unwrap(),
        format!("order:{}", order.number)
    );

    let views = 20;
    for _ in 0..views {
        app.server
            .services
            .orders
            .view(&order.number, &order.token)
            .await
            .unwrap();
    }
    gate.flush_views().await.unwrap();
    assert_eq!(count(&app, "audit_log").await, before + 1 + views);
    let transactions = gate.view_log().writes() - writes;
    assert!(
        transactions <= (views as u64 + 1) / 4,
        "{transactions} write transactions for {} views",
        views + 1
    );
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn an_order_opened_too_often_in_a_minute_answers_429() {
    let app = spawn().await;
    let order = order_of(&app, "a@example.vn").await;
    let view = || {
        app.http
            .get(app.url(&format!("/api/v1/orders/{}", order.number)))
            .header("x-order-token", &order.token)
            .send()
    };
    for _ in 0..hanjinbi_services::orders::VIEWS_PER_MINUTE {
        assert_eq!(view().await.unwrap().status().as_u16(), 200);
    }
    let refused = view().await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "too_many_views", "{body}");
}

#[tokio::test]
async fn consent_is_recorded_with_its_wording_and_policy_version() {
    let app = spawn().await;
    let buyer_id = order_of(&app, "a@example.vn").await.buyer;
    let row = app
        .server
        .services
        .db
        .raw_row(
            "SELECT purpose, granted, policy_version, wording, channel FROM consents \
             WHERE subject_id = $1",
            &[(&buyer_id).into()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<String>("purpose").unwrap(), "marketing");
    assert!(row.get::<bool>("granted").unwrap());
    assert_eq!(row.get::<String>("channel").unwrap(), "api");
    assert_eq!(
        row.get::<String>("policy_version").unwrap(),
        app.server.services.gate.policy().version()
    );
    assert!(row.get::<String>("wording").unwrap().contains("Hanjinbi"));
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
    let masters: Vec<String> = app
        .server
        .services
        .db
        .raw_rows("SELECT DISTINCT master_key_id FROM data_keys", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("master_key_id").unwrap())
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

#[test]
fn audit_verify_on_a_folder_that_does_not_exist_fails_and_creates_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-shop");
    for command in [&["audit", "verify"][..], &["audit", "head"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
            .args(command)
            .arg("--data-dir")
            .arg(&missing)
            .env_remove("HANJINBI_DATABASE_URL")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{command:?} succeeded");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("intact"));
        assert!(!missing.join("hanjinbi.sqlite3").exists());
    }
}

#[tokio::test]
async fn a_shop_from_before_audit_keys_gets_one_only_by_add_key_and_its_old_entries_still_verify() {
    let app = spawn().await;
    let total = two_orders_and_their_mail(&app).await;
    // The log as the shop wrote it before audit keys: every entry unkeyed.
    let mut prev = audit::GENESIS.to_vec();
    for mut row in rows(&app).await {
        row.format = audit::FORMAT_UNKEYED;
        row.prev_hash = prev;
        row.hash = audit::entry_hash(&row.prev_hash, &row).to_vec();
        prev = row.hash.clone();
        overwrite(&app, &row).await;
    }
    set_head(&app, total, &prev).await;
    let key_file = app.dir.path().join("keys.toml");
    let old: String = std::fs::read_to_string(&key_file)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("audit_"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&key_file, old).unwrap();

    let refused = cli(&app, &["audit", "verify"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("hanjinbi audit add-key"));

    let added = cli(&app, &["audit", "add-key"]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stderr).contains("ADDED AN AUDIT KEY"));
    let intact = cli(&app, &["audit", "verify"]);
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout)
        .contains(&format!("{total} entries ({total} unkeyed")));
    assert!(!cli(&app, &["audit", "add-key"]).status.success());
}
