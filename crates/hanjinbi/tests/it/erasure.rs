//! Erasure by key destruction: from the account (password again) or by a link sent to the
//! address; every record made with the address becomes unreadable at once, orders stay as
//! transaction records without identity, and the buyer is told what was kept and why.

use crate::accounts::{link_mail_since, link_token_in, message_ids, verified_account, PASSWORD};
use crate::checkout::{buyer, checkout};
use crate::mailbox;
use crate::privacy_proofs::assert_audit_intact;
use crate::support::{assert_problem, cart_with, spawn, TestApp};
use hanjinbi_privacy::gate::{items, GateError};
use hanjinbi_privacy::policy::PurposeId;
use serde_json::{json, Value};

async fn guest_order(app: &TestApp, email: &str) -> Value {
    let r = checkout(app, &cart_with(app, "AKG2L-DEN-M", 1).await, buyer(email)).await;
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str, bearer: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(app.url(path)).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn live_keys(app: &TestApp) -> i64 {
    app.server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM data_keys WHERE wrapped_key IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
}

/// The order as its buyer's token opens it through the API.
async fn order_json(app: &TestApp, placed: &Value) -> Value {
    let r = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/orders/{}",
            placed["number"].as_str().unwrap()
        )))
        .header("x-order-token", placed["lookup_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_account_erases_itself_and_every_guest_record_of_its_address() {
    let app = spawn().await;
    let email = "xoa.het@example.vn";
    let first = guest_order(&app, email).await;
    let second = guest_order(&app, "Xoa.Het@Example.vn").await;
    let other = guest_order(&app, "giu.lai@example.vn").await;
    let bearer = verified_account(&app, email).await;
    app.send_mail().await;
    assert!(order_json(&app, &first).await["ship_to"].is_object());
    let keys_before = live_keys(&app).await;

    let r = post(
        &app,
        "/api/v1/me/erase",
        Some(&bearer),
        json!({"password": "sai rồi"}),
    )
    .await;
    assert_problem(r, 401, "wrong_credentials").await;
    assert_eq!(
        live_keys(&app).await,
        keys_before,
        "a refusal erases nothing"
    );

    let before = message_ids(&app);
    let r = post(
        &app,
        "/api/v1/me/erase",
        Some(&bearer),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["orders_kept"], 2);

    // The last email was written before the keys went, and says what was kept and why.
    app.send_mail().await;
    let notice = mailbox::mails(&app)
        .into_iter()
        .find(|m| m.to == email && !before.contains(&m.message_id))
        .expect("the last email");
    assert!(notice.subject.contains("đã được xóa"), "{}", notice.subject);
    assert!(notice.text.contains("2 đơn hàng"), "{}", notice.text);
    assert!(notice.text.contains("88/2015/QH13"), "{}", notice.text);
    // Three keys fewer: the two guest records and the account; the notice's own key was made
    // and destroyed once it was sent.
    assert_eq!(live_keys(&app).await, keys_before - 3);

    // The session, the account and the address's records are gone; the orders stay.
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "not_signed_in").await;
    let r = post(
        &app,
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_problem(r, 401, "wrong_credentials").await;
    for placed in [&first, &second] {
        let order = order_json(&app, placed).await;
        assert!(order["ship_to"].is_null(), "{order}");
        assert!(order["note"].is_null());
        assert_eq!(order["total"], placed["total"]);
        assert_eq!(order["lines"].as_array().unwrap().len(), 1);
    }
    let (status, page) = app
        .get_text(&format!(
            "/don-hang/{}?token={}",
            first["number"].as_str().unwrap(),
            first["lookup_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("đã được xóa theo yêu cầu"));
    assert!(!page.contains("Nguyễn Thị Lan"));
    // Another buyer's order is untouched.
    assert!(order_json(&app, &other).await["ship_to"].is_object());

    // The gate answers "erased" for the erased buyer's order, and the chain still verifies.
    let (principal, _) = app
        .server
        .services
        .gate
        .buyer_of_order(
            first["number"].as_str().unwrap(),
            first["lookup_token"].as_str().unwrap(),
        )
        .await
        .unwrap();
    let opened = app
        .server
        .services
        .gate
        .open::<items::ShipTo>(&principal, PurposeId::OrderFulfilment, 1_900_000_000)
        .await;
    assert!(matches!(opened, Err(GateError::Erased)), "{opened:?}");
    let erase_entries: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'erase'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(erase_entries, 1);
    // Answered at once, recorded with its due dates like every rights request.
    let recorded: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM rights_requests WHERE kind = 'erasure' \
             AND channel = 'self_service' AND status = 'done' AND due_on > first_answer_due",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(recorded, 1);
    assert_audit_intact(&app).await;

    // The address can start again from nothing.
    assert_eq!(
        post(
            &app,
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD})
        )
        .await
        .status()
        .as_u16(),
        202
    );
}

#[tokio::test]
async fn a_guest_erases_the_records_of_an_address_with_the_link_sent_to_it() {
    let app = spawn().await;
    let email = "khach.vang.lai@example.vn";
    let placed = guest_order(&app, email).await;
    app.send_mail().await;

    let before = message_ids(&app);
    let unknown = post(
        &app,
        "/api/v1/erasure-requests",
        None,
        json!({"email": "chua.tung.mua@example.vn"}),
    )
    .await;
    let known = post(
        &app,
        "/api/v1/erasure-requests",
        None,
        json!({"email": email}),
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 202);
    assert_eq!(known.status().as_u16(), 202);
    assert_eq!(unknown.text().await.unwrap(), known.text().await.unwrap());
    let mail = link_mail_since(&app, email, &before).await;
    assert!(mail.subject.contains("xóa dữ liệu"), "{}", mail.subject);
    assert!(mail.text.contains("/xoa-du-lieu/xac-nhan?token="));
    assert_eq!(
        mailbox::mails(&app)
            .iter()
            .filter(|m| !before.contains(&m.message_id))
            .count(),
        1,
        "nothing is sent to an address the shop holds nothing for"
    );
    let token = link_token_in(&mail).unwrap();

    let confirm = |token: String| {
        let app = &app;
        async move {
            post(
                app,
                "/api/v1/erasure-requests/confirm",
                None,
                json!({"token": token}),
            )
            .await
        }
    };
    assert_problem(confirm("A".repeat(43)).await, 404, "link_invalid").await;
    assert_problem(confirm("nope".into()).await, 404, "link_invalid").await;
    let r = confirm(token.clone()).await;
    assert_eq!(r.status().as_u16(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["orders_kept"], 1);
    assert_problem(confirm(token).await, 410, "link_used").await;
    assert!(order_json(&app, &placed).await["ship_to"].is_null());

    app.send_mail().await;
    let notice = mailbox::mails(&app)
        .into_iter()
        .find(|m| m.to == email && m.subject.contains("đã được xóa"))
        .expect("the last email");
    assert!(notice.text.contains("1 đơn hàng"), "{}", notice.text);
    // Only the other buyers' keys are left: the guest record, the request and both messages'
    // keys are destroyed.
    let left: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM data_keys WHERE wrapped_key IS NOT NULL",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn an_expired_erasure_link_erases_nothing() {
    let app = spawn().await;
    let email = "cham.tre@example.vn";
    let placed = guest_order(&app, email).await;
    let before = message_ids(&app);
    post(
        &app,
        "/api/v1/erasure-requests",
        None,
        json!({"email": email}),
    )
    .await;
    let token = link_token_in(&link_mail_since(&app, email, &before).await).unwrap();
    app.server
        .services
        .db
        .raw_execute("UPDATE erasure_links SET expires_at = created_at", &[])
        .await
        .unwrap();
    let r = post(
        &app,
        "/api/v1/erasure-requests/confirm",
        None,
        json!({"token": token}),
    )
    .await;
    assert_problem(r, 410, "link_expired").await;
    assert!(order_json(&app, &placed).await["ship_to"].is_object());
}

#[tokio::test]
async fn erasing_twice_at_once_erases_once() {
    let app = spawn().await;
    let email = "hai.lan@example.vn";
    guest_order(&app, email).await;
    let before = message_ids(&app);
    post(
        &app,
        "/api/v1/erasure-requests",
        None,
        json!({"email": email}),
    )
    .await;
    let token = link_token_in(&link_mail_since(&app, email, &before).await).unwrap();
    let attempts = (0..8).map(|_| {
        let token = token.clone();
        let app = &app;
        async move {
            post(
                app,
                "/api/v1/erasure-requests/confirm",
                None,
                json!({"token": token}),
            )
            .await
            .status()
            .as_u16()
        }
    });

    let mut statuses = futures_util::future::join_all(attempts).await;
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses[1..].iter().all(|&s| s == 410), "{statuses:?}");
    let erase_entries: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'erase'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(erase_entries, 1);
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn an_account_erased_eight_times_at_once_is_erased_once_and_told_once() {
    let app = spawn().await;
    let email = "tam.lan@example.vn";
    guest_order(&app, email).await;
    let bearer = verified_account(&app, email).await;
    app.send_mail().await;
    let before = message_ids(&app);
    let attempts = (0..8).map(|_| {
        let bearer = bearer.clone();
        let app = &app;
        async move {
            post(
                app,
                "/api/v1/me/erase",
                Some(&bearer),
                json!({"password": PASSWORD}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let mut statuses = futures_util::future::join_all(attempts).await;
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses[1..].iter().all(|&s| s == 401), "{statuses:?}");
    app.send_mail().await;
    let notices = mailbox::mails(&app)
        .into_iter()
        .filter(|m| !before.contains(&m.message_id))
        .count();
    assert_eq!(notices, 1);
    assert_audit_intact(&app).await;
}
