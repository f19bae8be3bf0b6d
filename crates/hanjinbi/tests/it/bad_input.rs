//! Every kind of bad input gets a clear 4xx and changes nothing.

use crate::support::{assert_problem, cart_json, cart_with, spawn, TestApp};
use serde_json::{json, Value};

async fn cart_with_one_line(app: &TestApp) -> (String, String, Value) {
    let (id, token) = cart_with(app, "AKG2L-DEN-M", 2).await;
    let cart = cart_json(app, &id, &token).await;
    (id, token, cart)
}

#[tokio::test]
async fn bad_list_parameters_are_400s() {
    let app = spawn().await;
    let long_q = "a".repeat(10_000);
    for (query, status, code) in [
        ("page=-1", 400, "invalid_page"),
        ("page=0", 400, "invalid_page"),
        ("page=abc", 400, "invalid_page"),
        ("per_page=100000", 400, "invalid_per_page"),
        ("sort=cheapest", 400, "invalid_sort"),
        ("q=%zz", 400, "invalid_encoding"),
        ("q=%FF%FE", 400, "invalid_encoding"),
        ("category=nope", 404, "unknown_category"),
        (&format!("q={}", &long_q[..300]), 400, "query_too_long"),
        (&format!("q={long_q}"), 414, "query_too_long"),
    ] {
        let r = app.get(&format!("/api/v1/products?{query}")).await;
        assert_problem(r, status, code).await;
    }
    for query in [
        "page=-1",
        "per_page=100000",
        "q=%zz",
        &format!("q={long_q}"),
    ] {
        let (status, html) = app.get_text(&format!("/tim-kiem?{query}")).await;
        assert!((400..500).contains(&status), "{query}: {status}");
        assert!(html.contains("role=\"alert\""), "{query}: an error page");
    }
}

#[tokio::test]
async fn unknown_slugs_and_skus_are_404s() {
    let app = spawn().await;
    assert_problem(app.get("/api/v1/products/khong-co").await, 404, "not_found").await;
    assert_problem(
        app.get("/api/v1/products/..%2F..%2Fetc").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
    let (id, token, _) = cart_with_one_line(&app).await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", &token)
        .json(&json!({"sku": "NO-SUCH-SKU", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "unknown_sku").await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", &token)
        .json(&json!({"sku": "lower-case", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "invalid_sku").await;
}

#[tokio::test]
async fn bad_quantities_bodies_and_tokens_never_change_the_cart() {
    let app = spawn().await;
    let (id, token, before) = cart_with_one_line(&app).await;
    let items = app.url(&format!("/api/v1/carts/{id}/items"));
    let line = app.url(&format!("/api/v1/carts/{id}/items/AKG2L-DEN-M"));

    for (quantity, status, code) in [
        (json!(0), 422, "invalid_quantity"),
        (json!(-1), 422, "invalid_quantity"),
        (json!(1_000_000_000_000i64), 422, "invalid_quantity"),
        (json!(1e30), 422, "invalid_body"),
        (json!("two"), 422, "invalid_body"),
        (json!(1.5), 422, "invalid_body"),
    ] {
        let r = app
            .http
            .post(&items)
            .header("x-cart-token", &token)
            .json(&json!({"sku": "AKG2L-DEN-M", "quantity": quantity}))
            .send()
            .await
            .unwrap();
        assert_problem(r, status, code).await;
        let r = app
            .http
            .patch(&line)
            .header("x-cart-token", &token)
            .json(&json!({"quantity": quantity}))
            .send()
            .await
            .unwrap();
        assert_problem(r, status, code).await;
    }

    let send = |body: &'static str, content_type: &'static str| {
        app.http
            .post(&items)
            .header("x-cart-token", &token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_problem(
        send("{\"sku\": ", "application/json").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    assert_problem(
        send(
            "sku=AKG2L-DEN-M&quantity=1",
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        send(
            "{\"sku\":\"AKG2L-DEN-M\",\"quantity\":1,\"price\":1}",
            "application/json",
        )
        .await
        .unwrap(),
        422,
        "invalid_body",
    )
    .await;
    let huge = format!(
        "{{\"sku\":\"AKG2L-DEN-M\",\"quantity\":1,\"pad\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let r = app
        .http
        .post(&items)
        .header("x-cart-token", &token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, "body_too_large").await;
    let invalid_utf8: Vec<u8> = b"{\"sku\":\"\xff\xfe\",\"quantity\":1}".to_vec();
    let r = app
        .http
        .post(&items)
        .header("x-cart-token", &token)
        .header("content-type", "application/json")
        .body(invalid_utf8)
        .send()
        .await
        .unwrap();
    assert!((400..500).contains(&r.status().as_u16()));

    // Missing, forged and foreign tokens.
    let r = app
        .http
        .post(&items)
        .json(&json!({"sku": "AKG2L-DEN-M", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "cart_token_missing").await;
    // The real token with its last character changed (to one it certainly is not).
    let last = if token.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    for bad in [forged.as_str(), "x", &"A".repeat(10_000)] {
        let r = app
            .http
            .post(&items)
            .header("x-cart-token", bad)
            .json(&json!({"sku": "AKG2L-DEN-M", "quantity": 1}))
            .send()
            .await
            .unwrap();
        assert_problem(r, 403, "cart_token_invalid").await;
        let r = app
            .http
            .delete(&line)
            .header("x-cart-token", bad)
            .send()
            .await
            .unwrap();
        assert_problem(r, 403, "cart_token_invalid").await;
    }
    let (_, other_token, _) = cart_with_one_line(&app).await;
    let r = app
        .http
        .get(app.url(&format!("/api/v1/carts/{id}")))
        .header("x-cart-token", &other_token)
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "cart_token_invalid").await;
    let r = app
        .http
        .get(app.url("/api/v1/carts/AAAAAAAAAAAAAAAAAAAAAA"))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "unknown_cart").await;

    assert_eq!(
        cart_json(&app, &id, &token).await,
        before,
        "nothing changed the cart"
    );
}

#[tokio::test]
async fn storefront_forms_refuse_bad_input_and_cross_site_posts() {
    let app = spawn().await;
    for fields in [
        vec![("sku", "AKG2L-DEN-M"), ("quantity", "0")],
        vec![("sku", "AKG2L-DEN-M"), ("quantity", "-1")],
        vec![("sku", "AKG2L-DEN-M"), ("quantity", "1000000000000")],
        vec![("sku", "AKG2L-DEN-M"), ("quantity", "many")],
        vec![("sku", "NO-SUCH"), ("quantity", "1")],
        vec![("sku", ""), ("quantity", "1")],
    ] {
        let r = app.post_form("/gio-hang/them", &fields).await;
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "{fields:?}: {status}");
        assert!(
            r.headers().get("set-cookie").is_none(),
            "{fields:?}: no cart was created"
        );
        assert!(r.text().await.unwrap().contains("role=\"alert\""));
    }
    let r = app
        .http
        .post(app.url("/gio-hang/them"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("sku", "AKG2L-DEN-M"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .http
        .post(app.url("/gio-hang/them"))
        .header("origin", "https://evil.example")
        .form(&[("sku", "AKG2L-DEN-M"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .http
        .post(app.url("/gio-hang/them"))
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("sku=%zz&quantity=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = app
        .http
        .post(app.url("/gio-hang/them"))
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "text/plain")
        .body("sku=AKG2L-DEN-M")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // A forged cart cookie is refused, not silently replaced.
    let r = app
        .http
        .post(app.url("/gio-hang/them"))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", "hj_cart=AAAAAAAAAAAAAAAAAAAAAA.forged")
        .form(&[("sku", "AKG2L-DEN-M"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().as_u16() == 303,
        "an unknown cart id starts a new cart"
    );
    let (id, _, _) = cart_with_one_line(&app).await;
    let r = reqwest::Client::new()
        .post(app.url("/gio-hang/them"))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("hj_cart={id}.{}", "B".repeat(43)))
        .form(&[("sku", "AKG2L-DEN-M"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let cleared = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cleared.starts_with("hj_cart=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = spawn().await;
    let r = app
        .http
        .put(app.url("/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 405, "method_not_allowed").await;
}
