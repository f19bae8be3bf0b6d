//! Checkout: orders placed in one transaction, idempotent, never oversold; bad input writes
//! nothing; orders reachable only with their token or a one-time code.

use crate::support::{assert_problem, cart_with, spawn, TestApp};
use serde_json::{json, Value};
use sqlx::Row;

pub fn buyer(email: &str) -> Value {
    json!({
        "email": email,
        "name": "Nguyễn Thị Lan",
        "phone": "0912 345 678",
        "address": {"province_code": "01", "ward_code": "00004", "line": "Số 12 ngõ 34 Phố Huế"},
        "shipping_method": "standard",
        "payment_method": "cash_on_delivery",
        "note": "Giao giờ hành chính",
        "consents": {"marketing": true, "suggestions": false}
    })
}

pub async fn checkout(
    app: &TestApp,
    cart: &(String, String),
    mut body: Value,
) -> reqwest::Response {
    body["cart_id"] = json!(cart.0);
    app.http
        .post(app.url("/api/v1/checkout"))
        .header("x-cart-token", &cart.1)
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(app.server.services.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn stock(app: &TestApp, sku: &str) -> i64 {
    sqlx::query("SELECT stock FROM variants WHERE sku = $1")
        .bind(sku)
        .fetch_one(app.server.services.db.pool())
        .await
        .unwrap()
        .try_get("stock")
        .unwrap()
}

/// Rows of every table checkout writes, and the stock of `sku`.
async fn footprint(app: &TestApp, sku: &str) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "orders",
        "order_lines",
        "buyers",
        "data_keys",
        "consents",
        "audit_log",
        "outbox",
        "idempotency_keys",
    ] {
        counts.push(count(app, table).await);
    }
    counts.push(stock(app, sku).await);
    counts
}

#[tokio::test]
async fn a_guest_checkout_places_the_order_and_emails_a_confirmation() {
    let app = spawn().await;
    let before = stock(&app, "AKG2L-DEN-M").await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 2).await;
    let r = checkout(&app, &cart, buyer("lan@example.vn")).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    let number = placed["number"].as_str().unwrap();
    let token = placed["lookup_token"].as_str().unwrap();
    assert_eq!(placed["status"], "placed");
    assert_eq!(stock(&app, "AKG2L-DEN-M").await, before - 2);

    let (_, cart_now) = (
        0,
        app.http
            .get(app.url(&format!("/api/v1/carts/{}", cart.0)))
            .header("x-cart-token", &cart.1)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(cart_now["lines"], json!([]), "the cart is emptied");

    let order: Value = app
        .http
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .header("x-order-token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["ship_to"]["name"], "Nguyễn Thị Lan");
    assert_eq!(order["ship_to"]["phone"], "+84912345678");
    assert!(order["ship_to"]["address"]
        .as_str()
        .unwrap()
        .contains("Phường Ba Đình, Thành phố Hà Nội"));
    assert_eq!(order["total"], placed["total"]);
    assert_eq!(order["lines"][0]["quantity"], 2);
    assert_eq!(order["shipping_fee"], 30_000);
    assert_eq!(order["history"][0]["status"], "placed");
    assert_eq!(order["note"], "Giao giờ hành chính");

    // The number alone opens nothing.
    let r = app
        .http
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "order_token_missing").await;
    let r = app
        .http
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .header("x-order-token", "wrong")
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "order_not_found").await;
    let (status, _) = app.get_text(&format!("/don-hang/{number}")).await;
    assert_eq!(status, 404);
    let (status, html) = app
        .get_text(&format!("/don-hang/{number}?token={token}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Nguyễn Thị Lan"));

    assert_eq!(app.send_mail().await, 1);
    let mails = app.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("To: lan@example.vn"));
    assert!(mail.contains(number));
    assert!(mail.contains("multipart/alternative"));
    assert!(
        mail.to_lowercase().contains("marketing"),
        "the consent receipt is in the email"
    );
    assert_eq!(app.send_mail().await, 0, "sent once");
}

#[tokio::test]
async fn the_storefront_checkout_form_places_an_order() {
    let app = spawn().await;
    app.post_form(
        "/gio-hang/them",
        &[("sku", "AKG2L-DEN-M"), ("quantity", "1")],
    )
    .await;
    let (status, form) = app.get_text("/thanh-toan").await;
    assert_eq!(status, 200);
    assert!(
        form.contains("name=\"marketing\" value=\"yes\">"),
        "consent boxes start unticked"
    );
    assert!(
        !form.contains("checked>") || !form.contains("name=\"marketing\" value=\"yes\" checked")
    );
    assert!(
        form.contains("/chinh-sach-bao-mat"),
        "the form links the privacy policy"
    );
    let key = form
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let subtotal = form
        .split("name=\"expected_subtotal\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut fields = vec![
        ("email", "minh@example.vn"),
        ("name", "Trần Văn Minh"),
        ("phone", "0987654321"),
        ("province_code", "79"),
        ("ward_code", "26740"),
        ("line", "45 Lê Lợi"),
        ("shipping_method", "express"),
        ("payment_method", "bank_transfer"),
        ("idempotency_key", &key),
        ("expected_subtotal", &subtotal),
        ("action", "place"),
    ];
    // A mistake first: the form comes back with the typed values and a message.
    fields[2] = ("phone", "12345");
    let r = app.post_form("/thanh-toan", &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"minh@example.vn\""));
    assert!(html.contains("value=\"12345\""));
    assert!(html.contains("Số điện thoại Việt Nam chưa đúng"));
    assert_eq!(count(&app, "orders").await, 0);

    fields[2] = ("phone", "0987654321");
    let r = app.post_form("/thanh-toan", &fields).await;
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/don-hang/HJ"));
    // A double click sends the same form again: still one order.
    let again = app.post_form("/thanh-toan", &fields).await;
    assert!(again.status().as_u16() == 303 || again.status().is_redirection());
    assert_eq!(count(&app, "orders").await, 1);
    let (status, page) = app.get_text(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Trần Văn Minh"));
    assert!(page.contains("Phường Sài Gòn"));
}

#[tokio::test]
async fn wards_narrow_to_the_province_without_javascript_too() {
    let app = spawn().await;
    app.post_form(
        "/gio-hang/them",
        &[("sku", "AKG2L-DEN-M"), ("quantity", "1")],
    )
    .await;
    let r = app
        .post_form(
            "/thanh-toan",
            &[
                ("email", "a@b.vn"),
                ("province_code", "79"),
                ("action", "update"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Phường Sài Gòn"));
    assert!(!html.contains("Phường Ba Đình"));
    assert!(html.contains("value=\"a@b.vn\""));
    let (status, wards) = app.get_json("/api/v1/address/provinces/01/wards").await;
    assert_eq!(status, 200);
    assert!(wards["wards"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["name"] == "Phường Ba Đình"));
    let (_, provinces) = app.get_json("/api/v1/address/provinces").await;
    assert_eq!(provinces["provinces"].as_array().unwrap().len(), 34);
    assert_problem(
        app.get("/api/v1/address/provinces/99/wards").await,
        404,
        "unknown_province",
    )
    .await;
}

#[tokio::test]
async fn bad_checkouts_write_nothing() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let before = footprint(&app, "AKG2L-DEN-M").await;
    let base = buyer("lan@example.vn");
    let with = |path: &[&str], value: Value| {
        let mut b = base.clone();
        let mut slot = &mut b;
        for key in &path[..path.len() - 1] {
            slot = &mut slot[*key];
        }
        slot[path[path.len() - 1]] = value;
        b
    };
    for (body, field) in [
        (with(&["email"], json!("lan@")), "email"),
        (with(&["phone"], json!("+1 415 555 0100")), "phone"),
        (with(&["name"], json!("")), "name"),
        (with(&["name"], json!("x".repeat(300))), "name"),
        (with(&["address", "ward_code"], json!("26740")), "ward_code"),
        (
            with(&["address", "province_code"], json!("99")),
            "province_code",
        ),
        (with(&["address", "line"], json!("")), "line"),
        (
            with(&["shipping_method"], json!("drone")),
            "shipping_method",
        ),
        (
            with(&["payment_method"], json!("bitcoin")),
            "payment_method",
        ),
        (with(&["note"], json!("n".repeat(501))), "note"),
    ] {
        let problem =
            assert_problem(checkout(&app, &cart, body).await, 422, "invalid_checkout").await;
        assert!(
            problem["fields"]
                .as_array()
                .unwrap()
                .contains(&json!(field)),
            "{problem}"
        );
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("phone");
    assert_problem(checkout(&app, &cart, missing).await, 422, "invalid_body").await;
    assert_problem(
        checkout(&app, &cart, with(&["expected_subtotal"], json!(1))).await,
        409,
        "cart_changed",
    )
    .await;
    let forged = (cart.0.clone(), "A".repeat(43));
    assert_problem(
        checkout(&app, &forged, base.clone()).await,
        403,
        "cart_token_invalid",
    )
    .await;
    let r = app
        .http
        .post(app.url("/api/v1/checkout"))
        .json(&json!({"cart_id": cart.0}))
        .send()
        .await
        .unwrap();
    assert!((400..500).contains(&r.status().as_u16()));

    // More than the stock: set the stock below the cart's quantity.
    sqlx::query("UPDATE variants SET stock = 0 WHERE sku = 'AKG2L-DEN-M'")
        .execute(app.server.services.db.pool())
        .await
        .unwrap();
    assert_problem(
        checkout(&app, &cart, base.clone()).await,
        409,
        "out_of_stock",
    )
    .await;
    sqlx::query("UPDATE variants SET stock = $1 WHERE sku = 'AKG2L-DEN-M'")
        .bind(before[8])
        .execute(app.server.services.db.pool())
        .await
        .unwrap();

    let empty = cart_with(&app, "AKG2L-DEN-L", 1).await;
    app.http
        .delete(app.url(&format!("/api/v1/carts/{}/items/AKG2L-DEN-L", empty.0)))
        .header("x-cart-token", &empty.1)
        .send()
        .await
        .unwrap();
    assert_problem(
        checkout(&app, &empty, base.clone()).await,
        409,
        "empty_cart",
    )
    .await;

    assert_eq!(
        footprint(&app, "AKG2L-DEN-M").await,
        before,
        "no order, stock, buyer, consent or audit row was written"
    );
    assert_eq!(
        checkout(&app, &cart, base).await.status().as_u16(),
        201,
        "the same cart still checks out"
    );
}

#[tokio::test]
async fn fifty_parallel_checkouts_of_ten_in_stock_make_exactly_ten_orders() {
    let app = spawn().await;
    sqlx::query("UPDATE variants SET stock = 10 WHERE sku = 'AKG2L-DEN-M'")
        .execute(app.server.services.db.pool())
        .await
        .unwrap();
    let mut carts = Vec::new();
    for _ in 0..50 {
        carts.push(cart_with(&app, "AKG2L-DEN-M", 1).await);
    }
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = carts
        .into_iter()
        .enumerate()
        .map(|(i, cart)| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move {
                checkout(&app, &cart, buyer(&format!("buyer{i}@example.vn")))
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        40,
        "{statuses:?}"
    );
    assert_eq!(count(&app, "orders").await, 10);
    assert_eq!(stock(&app, "AKG2L-DEN-M").await, 0);
    crate::privacy_proofs::assert_audit_intact(&app).await;
}

#[tokio::test]
async fn a_retried_checkout_with_the_same_idempotency_key_gives_one_order() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let send = || async {
        let mut body = buyer("lan@example.vn");
        body["cart_id"] = json!(cart.0);
        app.http
            .post(app.url("/api/v1/checkout"))
            .header("x-cart-token", &cart.1)
            .header("idempotency-key", "retry-7f3a")
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let first = send().await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    let second = send().await;
    assert_eq!(second.status().as_u16(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(count(&app, "orders").await, 1);
}

#[tokio::test]
async fn the_same_email_finds_the_same_buyer() {
    let app = spawn().await;
    for email in ["lan@example.vn", "LAN@Example.VN"] {
        let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
        assert_eq!(
            checkout(&app, &cart, buyer(email)).await.status().as_u16(),
            201
        );
    }
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    assert_eq!(
        checkout(&app, &cart, buyer("someone.else@example.vn"))
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(count(&app, "orders").await, 3);
    assert_eq!(count(&app, "buyers").await, 2);
}

#[tokio::test]
async fn a_guest_can_open_an_order_with_a_one_time_code() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let placed: Value = checkout(&app, &cart, buyer("lan@example.vn"))
        .await
        .json()
        .await
        .unwrap();
    let number = placed["number"].as_str().unwrap();
    app.send_mail().await;

    // A contact that does not match gets the same answer and no email.
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[
                ("action", "send_code"),
                ("number", number),
                ("contact", "other@example.vn"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(app.send_mail().await, 0);

    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[
                ("action", "send_code"),
                ("number", number),
                ("contact", "0912345678"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let sent = app.send_mail().await;
    let dbg: Vec<(String, Option<String>)> = sqlx::query("SELECT kind, last_error FROM outbox")
        .fetch_all(app.server.services.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("kind").unwrap(), r.try_get("last_error").unwrap()))
        .collect();
    assert_eq!(sent, 1, "{dbg:?}");
    // Asking again at once sends nothing new: one code a minute per order.
    let again = app
        .post_form(
            "/don-hang/tra-cuu",
            &[
                ("action", "send_code"),
                ("number", number),
                ("contact", "0912345678"),
            ],
        )
        .await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(app.send_mail().await, 0);
    let mail = app
        .mails()
        .into_iter()
        .find(|m| !m.contains("multipart/alternative"))
        .unwrap();
    let body = mail
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    let code: String = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[("action", "code"), ("number", number), ("code", wrong)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[("action", "code"), ("number", number), ("code", &code)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(app.get_text(&location).await.0, 200);
    // A code works once.
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[("action", "code"), ("number", number), ("code", &code)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
}

#[tokio::test]
async fn a_checkout_clears_this_servers_catalog_cache() {
    let app = crate::support::spawn_tuned(true, hanjinbi_domain::ShopInfo::default(), |s| {
        s.catalog_cache = std::time::Duration::from_secs(600);
    })
    .await;
    sqlx::query("UPDATE variants SET stock = 1 WHERE sku = 'AKG2L-DEN-M'")
        .execute(app.server.services.db.pool())
        .await
        .unwrap();
    app.server.services.catalog.invalidate();
    let (_, before) = app
        .get_json("/api/v1/products/ao-khoac-gio-nam-2-lop")
        .await;
    let variant = |p: &Value| {
        p["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["sku"] == "AKG2L-DEN-M")
            .unwrap()
            .clone()
    };
    assert_eq!(variant(&before)["stock"], 1);
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    assert_eq!(
        checkout(&app, &cart, buyer("lan@example.vn"))
            .await
            .status()
            .as_u16(),
        201
    );
    let (_, after) = app
        .get_json("/api/v1/products/ao-khoac-gio-nam-2-lop")
        .await;
    assert_eq!(variant(&after)["stock"], 0);
    assert_eq!(variant(&after)["stock_state"], "out_of_stock");
}
