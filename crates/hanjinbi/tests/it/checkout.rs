//! Checkout: orders placed in one transaction, idempotent, never oversold; bad input writes
//! nothing; orders reachable only with their token or a one-time code.

use crate::support::{assert_problem, cart_with, set_stock, spawn, stock, TestApp};
use serde_json::{json, Value};

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
    app.server
        .services
        .db
        .raw_one(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
        .await
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
    let mails = crate::mailbox::mails(&app);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "lan@example.vn");
    assert!(mail.subject.contains(number));
    assert_eq!(mail.structure[0].1, "multipart/alternative");
    assert!(
        mail.text
            .contains("Mục đích: Tin sản phẩm mới và khuyến mãi"),
        "the consent receipt is in the email, the purpose named in words"
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
    assert!(page.contains("<h1>Đặt hàng thành công</h1>"));
    assert!(
        page.contains("0987 654 321"),
        "the phone as people write it"
    );
}

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in the page"))
        + start.len();
    let rest = &html[from..];
    &rest[..rest
        .find(end)
        .unwrap_or_else(|| panic!("{end} not after {start}"))]
}

#[tokio::test]
async fn checkout_shows_the_total_to_pay_before_the_order_is_placed() {
    let app = spawn().await;
    app.post_form(
        "/gio-hang/them",
        &[("sku", "AKG2L-DEN-M"), ("quantity", "2")],
    )
    .await;
    let (_, form) = app.get_text("/thanh-toan").await;
    // 2 × 450.000 ₫ and standard delivery (30.000 ₫) until another method is chosen.
    assert!(form.contains("Tổng thanh toán"));
    assert_eq!(
        between(&form, "id=\"checkout-subtotal\">", "<"),
        "900.000\u{a0}₫"
    );
    assert_eq!(
        between(&form, "id=\"checkout-shipping-fee\">", "<"),
        "30.000\u{a0}₫"
    );
    assert_eq!(
        between(&form, "id=\"checkout-total\" aria-live=\"polite\">", "<"),
        "930.000\u{a0}₫"
    );
    // Each method carries its own total for the script, and the summary stands before the
    // button that places the order.
    assert!(form.contains("data-fee=\"50.000\u{a0}₫\" data-total=\"950.000\u{a0}₫\""));
    assert!(form.find("id=\"checkout-total\"") < form.find("value=\"place\""));

    // Without JavaScript, choosing express and asking for the total shows it.
    let (subtotal, key) = (
        between(&form, "name=\"expected_subtotal\" value=\"", "\"").to_owned(),
        between(&form, "name=\"idempotency_key\" value=\"", "\"").to_owned(),
    );
    let r = app
        .post_form(
            "/thanh-toan",
            &[
                ("shipping_method", "express"),
                ("payment_method", "cash_on_delivery"),
                ("expected_subtotal", &subtotal),
                ("idempotency_key", &key),
                ("action", "update"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert_eq!(
        between(&page, "id=\"checkout-total\" aria-live=\"polite\">", "<"),
        "950.000\u{a0}₫"
    );
    assert_eq!(
        count(&app, "orders").await,
        0,
        "asking for the total orders nothing"
    );

    // A failed submission lists each problem with a link to its field, and each field
    // names its message.
    let r = app
        .post_form(
            "/thanh-toan",
            &[
                ("email", "minh@example.vn"),
                ("name", "Trần Văn Minh"),
                ("phone", "12345"),
                ("province_code", "79"),
                ("ward_code", ""),
                ("line", "45 Lê Lợi"),
                ("shipping_method", "standard"),
                ("payment_method", "cash_on_delivery"),
                ("expected_subtotal", &subtotal),
                ("idempotency_key", &key),
                ("action", "place"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"form-error\" tabindex=\"-1\""));
    assert!(page.contains("<a href=\"#phone\">"));
    assert!(page.contains("<a href=\"#ward_code\">"));
    assert!(page.contains("aria-describedby=\"phone-error\""));
    assert!(page.contains("aria-describedby=\"ward_code-error\""));
    assert!(page.contains("id=\"ward_code-error\""));
}

#[tokio::test]
async fn a_bank_transfer_order_shows_how_to_pay_with_a_code_any_bank_app_reads() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 2).await;
    let mut body = buyer("lan@example.vn");
    body["payment_method"] = json!("bank_transfer");
    body["shipping_method"] = json!("express");
    let r = checkout(&app, &cart, body).await;
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    let order: Value = r.json().await.unwrap();
    let number = order["number"].as_str().unwrap().to_owned();
    let token = order["lookup_token"].as_str().unwrap().to_owned();
    let (status, page) = app
        .get_text(&format!("/don-hang/{number}?token={token}"))
        .await;
    assert_eq!(status, 200);
    let transfer = between(&page, "<section class=\"transfer\"", "</section>");
    assert!(transfer.contains("0071000123456"));
    assert!(transfer.contains("CONG TY TNHH HANJINBI"));
    assert!(transfer.contains("Vietcombank"));
    // 2 × 450.000 ₫ + 50.000 ₫ express.
    assert_eq!(
        between(transfer, "id=\"transfer-amount\">", "<"),
        "950.000\u{a0}₫"
    );
    assert_eq!(between(transfer, "id=\"transfer-reference\">", "<"), number);

    let svg = format!("<svg{}</svg>", between(transfer, "<svg", "</svg>"));
    if let Some(text) = crate::support::scan_svg_qr(&svg) {
        let read = hanjinbi_vietqr::decode(&text).expect("a valid VietQR payload");
        assert_eq!(read.bin().as_str(), "970436");
        assert_eq!(read.account().as_str(), "0071000123456");
        assert_eq!(read.amount().map(|a| a.get()), Some(950_000));
        assert_eq!(read.reference().map(|r| r.as_str()), Some(number.as_str()));
        assert_eq!(
            read.initiation(),
            Some(hanjinbi_vietqr::Initiation::Dynamic)
        );
    }

    // A cash-on-delivery order shows no transfer.
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let r = checkout(&app, &cart, buyer("lan@example.vn")).await;
    let order: Value = r.json().await.unwrap();
    let (_, page) = app
        .get_text(&format!(
            "/don-hang/{}?token={}",
            order["number"].as_str().unwrap(),
            order["lookup_token"].as_str().unwrap()
        ))
        .await;
    assert!(!page.contains("class=\"transfer\""));
}

#[tokio::test]
async fn without_a_bank_account_bank_transfer_is_not_offered() {
    let app = crate::support::spawn_tuned(true, hanjinbi_domain::ShopInfo::default(), |s| {
        s.bank = None;
    })
    .await;
    app.post_form(
        "/gio-hang/them",
        &[("sku", "AKG2L-DEN-M"), ("quantity", "1")],
    )
    .await;
    let (_, form) = app.get_text("/thanh-toan").await;
    assert!(form.contains("value=\"cash_on_delivery\""));
    assert!(!form.contains("value=\"bank_transfer\""));
    let (_, payment) = app.get_text("/phuong-thuc-thanh-toan").await;
    assert!(payment.contains("chỉ nhận thanh toán khi nhận hàng"));

    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let mut body = buyer("lan@example.vn");
    body["payment_method"] = json!("bank_transfer");
    let r = checkout(&app, &cart, body).await;
    let problem = assert_problem(r, 422, "invalid_checkout").await;
    assert_eq!(problem["fields"], json!(["payment_method"]));
    assert_eq!(count(&app, "orders").await, 0);
    let (status, options) = app.get_json("/api/v1/checkout/options").await;
    assert_eq!(status, 200);
    assert_eq!(
        options["payment_methods"],
        json!([{"code": "cash_on_delivery", "label": "Thanh toán khi nhận hàng (COD)", "max_total": 5_000_000}])
    );
}

#[tokio::test]
async fn the_api_lists_the_methods_a_checkout_may_choose() {
    let app = spawn().await;
    let r = app
        .http
        .get(app.url("/api/v1/checkout/options"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let options: Value = r.json().await.unwrap();
    assert_eq!(
        options,
        json!({
            "shipping_methods": [
                {"code": "standard", "label": "Standard delivery (3–5 days)", "fee": 30_000},
                {"code": "express", "label": "Express delivery (1–2 days)", "fee": 50_000},
            ],
            "payment_methods": [
                {"code": "cash_on_delivery", "label": "Cash on delivery (COD)", "max_total": 5_000_000},
                {"code": "bank_transfer", "label": "Bank transfer"},
            ],
            "currency": "VND",
        })
    );
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
        (with(&["name"], json!("\u{3164}\u{3164}\u{3164}")), "name"),
        (with(&["name"], json!("Lan \u{202E}Nguyễn")), "name"),
        (
            with(
                &["address", "line"],
                json!("\u{200B}\u{FEFF}\u{00AD}\u{200B}\u{200B}"),
            ),
            "line",
        ),
        (
            with(&["address", "line"], json!("Số 12 \u{2066}Phố Huế")),
            "line",
        ),
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
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE variants SET stock = 0 WHERE sku = 'AKG2L-DEN-M'",
            &[],
        )
        .await
        .unwrap();
    assert_problem(
        checkout(&app, &cart, base.clone()).await,
        409,
        "out_of_stock",
    )
    .await;
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE variants SET stock = $1 WHERE sku = 'AKG2L-DEN-M'",
            &[before[8].into()],
        )
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
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE variants SET stock = 10 WHERE sku = 'AKG2L-DEN-M'",
            &[],
        )
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

/// The sealed buyer record and consents of the order `number`.
async fn buyer_of(app: &TestApp, number: &str) -> (String, Vec<Vec<u8>>, i64) {
    let db = &app.server.services.db;
    let buyer: String = db
        .raw_one(
            "SELECT buyer_id FROM orders WHERE number = $1",
            &[number.into()],
        )
        .await
        .unwrap();
    let row = db
        .raw_row(
            "SELECT email_index, phone_index, email_sealed, name_sealed, phone_sealed FROM buyers \
             WHERE id = $1",
            &[(&buyer).into()],
        )
        .await
        .unwrap();
    let sealed = [
        "email_index",
        "phone_index",
        "email_sealed",
        "name_sealed",
        "phone_sealed",
    ]
    .iter()
    .map(|c| row.get::<Vec<u8>>(c).unwrap())
    .collect();
    let consents: i64 = db
        .raw_one(
            "SELECT COUNT(*) AS n FROM consents WHERE subject_id = $1",
            &[(&buyer).into()],
        )
        .await
        .unwrap();
    (buyer, sealed, consents)
}

async fn place(app: &TestApp, body: Value) -> String {
    let cart = cart_with(app, "AKG2L-DEN-M", 1).await;
    let r = checkout(app, &cart, body).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    placed["number"].as_str().unwrap().to_owned()
}

async fn ask_code(app: &TestApp, number: &str, contact: &str) {
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[
                ("action", "send_code"),
                ("number", number),
                ("contact", contact),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn a_checkout_with_a_known_email_cannot_take_over_its_buyer() {
    let app = spawn().await;
    let mut victim = buyer("lan@example.vn");
    victim["consents"] = json!({"marketing": false, "suggestions": false});
    let victims_order = place(&app, victim).await;
    let before = buyer_of(&app, &victims_order).await;
    assert_eq!(before.2, 0);

    let mut attacker = buyer("LAN@Example.VN");
    attacker["name"] = json!("Kẻ Mạo Danh");
    attacker["phone"] = json!("0987 654 321");
    attacker["consents"] = json!({"marketing": true, "suggestions": true});
    let attackers_order = place(&app, attacker).await;

    assert_eq!(
        buyer_of(&app, &victims_order).await,
        before,
        "the earlier buyer's sealed details and consents are untouched"
    );
    let theirs = buyer_of(&app, &attackers_order).await;
    assert_ne!(theirs.0, before.0, "the new order has its own data subject");
    assert_eq!(
        theirs.1[0], before.1[0],
        "both records share the email's blind index"
    );
    assert_eq!(theirs.2, 2, "its consents are its own");
    let unverified: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM consents WHERE subject_id = $1 AND NOT verified",
            &[(&theirs.0).into()],
        )
        .await
        .unwrap();
    assert_eq!(
        unverified, 2,
        "consents from an unproved email are unverified"
    );
    // The mailer of the attacker's own confirmation email, the only principal for it.
    let message: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT m.id FROM outbox m JOIN orders o ON o.id = m.order_id WHERE o.number = $1",
            &[(&attackers_order).into()],
        )
        .await
        .unwrap();
    let gate = &app.server.services.gate;
    let (mailer, _) = gate.mailer_for(message).await.unwrap();
    let refused = gate
        .open::<hanjinbi_privacy::gate::items::BuyerEmail>(
            &mailer,
            hanjinbi_privacy::policy::PurposeId::Marketing,
            0,
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(hanjinbi_privacy::gate::GateError::NoConsent("marketing"))
        ),
        "{refused:?}"
    );

    // The victim's order answers only to the victim's own contact details.
    app.send_mail().await;
    ask_code(&app, &victims_order, "0987654321").await;
    assert_eq!(app.send_mail().await, 0, "no code for the attacker's phone");
    ask_code(&app, &victims_order, "0912345678").await;
    assert_eq!(app.send_mail().await, 1);
    // Each mail is one file; one of them holds the code.
    let codes: Vec<_> = crate::mailbox::mails(&app)
        .into_iter()
        .filter(|m| crate::mailbox::code_in(m).is_some())
        .collect();
    assert_eq!(codes.len(), 1);
    assert_eq!(
        codes[0].to, "lan@example.vn",
        "the code goes to the order's own email"
    );
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
    let dbg: Vec<(String, Option<String>)> = app
        .server
        .services
        .db
        .raw_rows("SELECT kind, last_error FROM outbox", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("kind").unwrap(), r.get("last_error").unwrap()))
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
    assert_eq!(
        again.status().as_u16(),
        429,
        "asked again too soon: said so, with the time"
    );
    assert!(again.headers().contains_key("retry-after"));
    assert_eq!(app.send_mail().await, 0);
    let code = crate::mailbox::mails(&app)
        .iter()
        .find_map(crate::mailbox::code_in)
        .unwrap();

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
    assert_eq!(r.status().as_u16(), 410);
}

#[tokio::test]
async fn a_checkout_clears_this_servers_catalog_cache() {
    let app = crate::support::spawn_tuned(true, hanjinbi_domain::ShopInfo::default(), |s| {
        s.catalog_cache = std::time::Duration::from_secs(600);
    })
    .await;
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE variants SET stock = 1 WHERE sku = 'AKG2L-DEN-M'",
            &[],
        )
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

#[tokio::test]
async fn eight_parallel_checkouts_of_one_cart_make_one_order() {
    let app = std::sync::Arc::new(spawn().await);
    set_stock(&app, "AKG2L-DEN-M", 100).await;
    for round in 0..10 {
        let before = stock(&app, "AKG2L-DEN-M").await;
        let cart = cart_with(&app, "AKG2L-DEN-M", 2).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (app, cart) = (std::sync::Arc::clone(&app), cart.clone());
                tokio::spawn(async move {
                    checkout(&app, &cart, buyer("lan@example.vn"))
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
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [201, 409, 409, 409, 409, 409, 409, 409],
            "round {round}"
        );
        assert_eq!(count(&app, "orders").await, round + 1, "round {round}");
        assert_eq!(
            stock(&app, "AKG2L-DEN-M").await,
            before - 2,
            "round {round}"
        );
    }
    crate::privacy_proofs::assert_audit_intact(&app).await;
}

#[tokio::test]
async fn units_added_during_a_checkout_are_in_the_order_or_still_in_the_cart() {
    let app = std::sync::Arc::new(spawn().await);
    for round in 0..6 {
        let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
        let adds: Vec<_> = (0..4)
            .map(|_| {
                let (app, cart) = (std::sync::Arc::clone(&app), cart.clone());
                tokio::spawn(async move {
                    app.http
                        .post(app.url(&format!("/api/v1/carts/{}/items", cart.0)))
                        .header("x-cart-token", &cart.1)
                        .json(&json!({"sku": "AKG2L-DEN-L", "quantity": 1}))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let placed = {
            let (app, cart) = (std::sync::Arc::clone(&app), cart.clone());
            tokio::spawn(async move {
                let r = checkout(&app, &cart, buyer("lan@example.vn")).await;
                assert_eq!(r.status().as_u16(), 201);
                r.json::<Value>().await.unwrap()["number"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        };
        let mut accepted = 0;
        for a in adds {
            if a.await.unwrap() == 200 {
                accepted += 1;
            }
        }
        let number = placed.await.unwrap();
        let ordered: i64 = app
            .server
            .services
            .db
            .raw_one(
                "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS n FROM order_lines l \
                 JOIN orders o ON o.id = l.order_id WHERE o.number = $1 AND l.sku = 'AKG2L-DEN-L'",
                &[(&number).into()],
            )
            .await
            .unwrap();
        let left = crate::support::cart_json(&app, &cart.0, &cart.1).await["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["sku"] == "AKG2L-DEN-L")
            .map(|l| l["quantity"].as_i64().unwrap())
            .sum::<i64>();
        assert_eq!(accepted, 4, "round {round}");
        assert_eq!(
            ordered + left,
            accepted,
            "round {round}: ordered {ordered}, left {left}"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_request_is_refused() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let send = |name: &'static str| {
        let mut body = buyer("lan@example.vn");
        body["name"] = json!(name);
        body["cart_id"] = json!(cart.0);
        app.http
            .post(app.url("/api/v1/checkout"))
            .header("x-cart-token", &cart.1)
            .header("idempotency-key", "order-1")
            .json(&body)
            .send()
    };
    assert_eq!(send("Nguyễn Thị Lan").await.unwrap().status().as_u16(), 201);
    assert_problem(
        send("Trần Văn Minh").await.unwrap(),
        409,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(send("Nguyễn Thị Lan").await.unwrap().status().as_u16(), 200);
    assert_eq!(count(&app, "orders").await, 1);
}

#[tokio::test]
async fn a_line_above_the_per_order_limit_is_refused() {
    let app = spawn().await;
    set_stock(&app, "AKG2L-DEN-M", 100).await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 10).await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/carts/{}/items", cart.0)))
        .header("x-cart-token", &cart.1)
        .json(&json!({"sku": "AKG2L-DEN-M", "quantity": 1}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(r, 422, "invalid_quantity").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("10"),
        "{problem}"
    );

    // A cart filled before the limit was lowered cannot be checked out above it.
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE cart_items SET quantity = 11 WHERE cart_id = $1",
            &[(&cart.0).into()],
        )
        .await
        .unwrap();
    assert_problem(
        checkout(&app, &cart, buyer("lan@example.vn")).await,
        422,
        "line_too_large",
    )
    .await;
    assert_eq!(count(&app, "orders").await, 0);
}

#[tokio::test]
async fn cash_on_delivery_above_the_limit_is_refused_and_bank_transfer_is_not() {
    let app = crate::support::spawn_tuned(true, hanjinbi_domain::ShopInfo::default(), |s| {
        s.limits.max_cod_order = hanjinbi_domain::Dong(100_000);
    })
    .await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let before = footprint(&app, "AKG2L-DEN-M").await;
    let problem = assert_problem(
        checkout(&app, &cart, buyer("lan@example.vn")).await,
        422,
        "cash_on_delivery_too_large",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("100.000"),
        "{problem}"
    );
    assert_eq!(footprint(&app, "AKG2L-DEN-M").await, before);
    let mut transfer = buyer("lan@example.vn");
    transfer["payment_method"] = json!("bank_transfer");
    assert_eq!(checkout(&app, &cart, transfer).await.status().as_u16(), 201);
}

#[tokio::test]
async fn idle_carts_and_never_filled_carts_are_swept() {
    let app = spawn().await;
    let filled = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let empty: Value = app
        .http
        .post(app.url("/api/v1/carts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let services = &app.server.services;
    services.sweep(now).await.unwrap();
    assert_eq!(count(&app, "carts").await, 2, "nothing is idle yet");
    services.sweep(now + 2 * 3600).await.unwrap();
    assert_eq!(count(&app, "carts").await, 1, "the empty cart went");
    let gone = app
        .http
        .get(app.url(&format!("/api/v1/carts/{}", empty["id"].as_str().unwrap())))
        .header("x-cart-token", empty["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(gone, 404, "unknown_cart").await;
    services.sweep(now + 31 * 24 * 3600).await.unwrap();
    assert_eq!(count(&app, "carts").await, 0, "the idle cart went");
    assert_eq!(count(&app, "cart_items").await, 0);
    let gone = app
        .http
        .get(app.url(&format!("/api/v1/carts/{}", filled.0)))
        .header("x-cart-token", &filled.1)
        .send()
        .await
        .unwrap();
    assert_problem(gone, 404, "unknown_cart").await;
}

#[tokio::test]
async fn unknown_states_or_methods_read_back_are_errors_that_name_them() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    let placed: Value = checkout(&app, &cart, buyer("lan@example.vn"))
        .await
        .json()
        .await
        .unwrap();
    let number = placed["number"].as_str().unwrap();
    let token = placed["lookup_token"].as_str().unwrap();
    let orders = &app.server.services.orders;
    for (column, value) in [
        ("status", "misplaced"),
        ("payment_method", "barter"),
        ("shipping_method", "drone"),
    ] {
        app.server
            .services
            .db
            .raw_execute(
                &format!("UPDATE orders SET {column} = $1 WHERE number = $2"),
                &[value.into(), number.into()],
            )
            .await
            .unwrap();
        let error = match orders.view(number, token).await {
            Ok(_) => panic!("{column} = {value} was read as something else"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains(value), "{error}");
        let original = match column {
            "status" => "placed",
            "payment_method" => "cash_on_delivery",
            _ => "standard",
        };
        app.server
            .services
            .db
            .raw_execute(
                &format!("UPDATE orders SET {column} = $1 WHERE number = $2"),
                &[original.into(), number.into()],
            )
            .await
            .unwrap();
    }
    assert!(orders.view(number, token).await.is_ok());
}

#[tokio::test]
async fn an_order_amount_too_large_to_compute_is_refused_as_such() {
    let app = spawn().await;
    let cart = cart_with(&app, "AKG2L-DEN-M", 2).await;
    set_price(&app, "AKG2L-DEN-M", i64::MAX / 2 + 1).await;
    let mut transfer = buyer("lan@example.vn");
    transfer["payment_method"] = json!("bank_transfer");
    assert_problem(
        checkout(&app, &cart, transfer).await,
        422,
        "amount_too_large",
    )
    .await;
    assert_eq!(count(&app, "orders").await, 0);
}

async fn set_price(app: &TestApp, sku: &str, price: i64) {
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE variants SET price = $1 WHERE sku = $2",
            &[price.into(), sku.into()],
        )
        .await
        .unwrap();
}
