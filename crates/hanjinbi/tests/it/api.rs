use crate::support::{assert_problem, spawn, TestApp};
use serde_json::{json, Value};

async fn new_cart(app: &TestApp) -> (String, String) {
    let r = app
        .http
        .post(app.url("/api/v1/carts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert!(r.headers().get("location").is_some());
    let body: Value = r.json().await.unwrap();
    (
        body["id"].as_str().unwrap().into(),
        body["token"].as_str().unwrap().into(),
    )
}

async fn cart(app: &TestApp, id: &str, token: &str) -> Value {
    let r = app
        .http
        .get(app.url(&format!("/api/v1/carts/{id}")))
        .header("x-cart-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn categories_and_products_are_listed() {
    let app = spawn().await;
    let (status, body) = app.get_json("/api/v1/categories").await;
    assert_eq!(status, 200);
    let categories = body["categories"].as_array().unwrap();
    assert!(categories.len() >= 6);
    assert!(categories
        .iter()
        .any(|c| c["name"]["vi"] == "Đầm & váy" || c["slug"] == "dam-vay"));
    let (_, page) = app.get_json("/api/v1/products?per_page=100").await;
    assert!(page["total"].as_i64().unwrap() >= 60);
    assert_eq!(page["pages"], 1);
    let (_, product) = app.get_json("/api/v1/products/dam-maxi-hoa-nhi").await;
    assert_eq!(product["product"]["name"]["vi"], "Đầm maxi hoa nhí");
    assert!(!product["variants"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn cart_lines_are_priced_by_the_server_and_bounded_by_stock() {
    let app = spawn().await;
    let (id, token) = new_cart(&app).await;
    let items = app.url(&format!("/api/v1/carts/{id}/items"));
    let r = app
        .http
        .post(&items)
        .header("x-cart-token", &token)
        .json(&json!({"sku": "AKG2L-DEN-M", "quantity": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let unit = body["lines"][0]["unit_price"].as_i64().unwrap();
    assert_eq!(body["subtotal"].as_i64().unwrap(), unit * 2);
    assert_eq!(body["item_count"], 2);

    // Adding again adds on top.
    app.http
        .post(&items)
        .header("x-cart-token", &token)
        .json(&json!({"sku": "AKG2L-DEN-M", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(cart(&app, &id, &token).await["lines"][0]["quantity"], 3);

    // More than the stock is refused and changes nothing.
    let stock = body["lines"][0]["stock"].as_i64().unwrap();
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/carts/{id}/items/AKG2L-DEN-M")))
        .header("x-cart-token", &token)
        .json(&json!({"quantity": stock + 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "not_enough_stock").await;
    assert_eq!(cart(&app, &id, &token).await["lines"][0]["quantity"], 3);

    let r = app
        .http
        .patch(app.url(&format!("/api/v1/carts/{id}/items/AKG2L-DEN-M")))
        .header("x-cart-token", &token)
        .json(&json!({"quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let r = app
        .http
        .delete(app.url(&format!("/api/v1/carts/{id}/items/AKG2L-DEN-M")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let emptied: Value = r.json().await.unwrap();
    assert_eq!(emptied["lines"], json!([]));
    assert_eq!(emptied["subtotal"], 0);

    let r = app
        .http
        .delete(app.url(&format!("/api/v1/carts/{id}/items/AKG2L-DEN-M")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "not_in_cart").await;
}

#[tokio::test]
async fn sold_out_variants_cannot_be_added() {
    let app = spawn().await;
    let (_, product) = app.get_json("/api/v1/products/bot-da-co-ngan").await;
    let sku = product["variants"][0]["sku"].as_str().unwrap().to_owned();
    let (id, token) = new_cart(&app).await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", &token)
        .json(&json!({"sku": sku, "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "not_enough_stock").await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/v1/categories", "get"),
        ("/api/v1/products", "get"),
        ("/api/v1/products/{slug}", "get"),
        ("/api/v1/carts", "post"),
        ("/api/v1/carts/{id}", "get"),
        ("/api/v1/carts/{id}/items", "post"),
        ("/api/v1/carts/{id}/items/{sku}", "patch"),
        ("/api/v1/carts/{id}/items/{sku}", "delete"),
        ("/api/v1/checkout", "post"),
        ("/api/v1/orders/{number}", "get"),
        ("/api/v1/address/provinces", "get"),
        ("/api/v1/address/provinces/{code}/wards", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not described"
        );
    }
}

#[tokio::test]
async fn problems_follow_accept_language() {
    let app = spawn().await;
    let r = app
        .http
        .get(app.url("/api/v1/products?page=0"))
        .send()
        .await
        .unwrap();
    let vi = assert_problem(r, 400, "invalid_page").await;
    let r = app
        .http
        .get(app.url("/api/v1/products?page=0"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let en = assert_problem(r, 400, "invalid_page").await;
    assert_ne!(vi["detail"], en["detail"]);
    assert!(vi["detail"].as_str().unwrap().contains("Số trang"));
}
