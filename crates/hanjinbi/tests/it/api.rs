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

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A request to `path` with its parameters filled in so that the route's own handler answers
/// (never the fallback's generic `not_found`).
fn concrete(template: &str, cart_id: &str) -> String {
    template
        .replace("{slug}", "dam-maxi-hoa-nhi")
        .replace("{id}", cart_id)
        .replace("{sku}", "AKG2L-DEN-M")
        .replace("{number}", "HJ0000000000")
        .replace("{code}", "01")
        .replace("{purpose}", "marketing")
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_every_routed_method_is_documented() {
    let app = spawn().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let (cart_id, _) = new_cart(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort_unstable();
    let mut expected = vec![
        "/api/v1/address/provinces",
        "/api/v1/address/provinces/{code}/wards",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-everywhere",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/register",
        "/api/v1/auth/verify",
        "/api/v1/carts",
        "/api/v1/carts/{id}",
        "/api/v1/carts/{id}/items",
        "/api/v1/carts/{id}/items/{sku}",
        "/api/v1/categories",
        "/api/v1/checkout",
        "/api/v1/checkout/options",
        "/api/v1/erasure-requests",
        "/api/v1/erasure-requests/confirm",
        "/api/v1/me",
        "/api/v1/me/consents",
        "/api/v1/me/consents/{purpose}",
        "/api/v1/me/data",
        "/api/v1/me/erase",
        "/api/v1/me/export",
        "/api/v1/me/objections/{purpose}",
        "/api/v1/me/orders",
        "/api/v1/me/password",
        "/api/v1/me/restrictions/{purpose}",
        "/api/v1/openapi.json",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/lookup-code",
        "/api/v1/orders/{number}/lookup-token",
        "/api/v1/products",
        "/api/v1/products/{slug}",
    ];
    expected.sort_unstable();
    assert_eq!(documented, expected, "the API's paths");
    for (template, item) in paths {
        assert!(template.starts_with("/api/v1/"), "{template}");
        let url = app.url(&concrete(template, &cart_id));
        let documented: Vec<&str> = METHODS
            .into_iter()
            .filter(|m| item[*m].is_object())
            .collect();
        assert!(!documented.is_empty(), "{template} has no operation");
        for method in METHODS {
            let r = app
                .http
                .request(method.to_uppercase().parse().unwrap(), &url)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            if documented.contains(&method) {
                assert_ne!(
                    status, 405,
                    "{method} {template} is documented but not routed"
                );
                let documented_statuses = item[method]["responses"].as_object().unwrap();
                assert!(
                    documented_statuses.contains_key(&status.to_string()),
                    "{method} {template} answered an undocumented {status}"
                );
                if status == 404 {
                    let problem: Value = r.json().await.unwrap();
                    assert_ne!(
                        problem["code"], "not_found",
                        "{method} {template} fell through"
                    );
                }
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {template} is routed but not documented"
                );
                let mut allowed: Vec<String> = r.headers()["allow"]
                    .to_str()
                    .unwrap()
                    .split(',')
                    .map(|m| m.trim().to_lowercase())
                    .filter(|m| m != "head")
                    .collect();
                allowed.sort();
                let mut expected: Vec<String> = documented.iter().map(|m| m.to_string()).collect();
                expected.sort();
                assert_eq!(allowed, expected, "methods routed on {template}");
            }
        }
    }
}

#[tokio::test]
async fn the_documented_limits_are_the_ones_the_parsers_enforce() {
    let app = spawn().await;
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    let params = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is documented"))["schema"]
            .clone()
    };
    assert_eq!(param("q")["maxLength"], 200);
    for (name, max) in [("page", 10_000), ("per_page", 100)] {
        let number = &param(name)["anyOf"][0];
        assert_eq!(number["minimum"], 1, "{name}");
        assert_eq!(number["maximum"], max, "{name}");
        let (ok, _) = app
            .get_json(&format!("/api/v1/products?{name}={max}"))
            .await;
        assert_eq!(ok, 200, "{name}={max}");
        let (over, _) = app
            .get_json(&format!("/api/v1/products?{name}={}", max + 1))
            .await;
        assert_eq!(over, 400, "{name}={}", max + 1);
    }
    let quantity = &doc["components"]["schemas"]["Quantity"];
    assert_eq!(
        (&quantity["minimum"], &quantity["maximum"]),
        (&json!(1), &json!(999))
    );
    let slug = doc["components"]["schemas"]["ProductSlug"]["pattern"]
        .as_str()
        .unwrap();
    assert_eq!(slug, "^[a-z0-9]+(-[a-z0-9]+)*$");
}

#[tokio::test]
async fn an_empty_category_filter_lists_every_category_and_a_blank_one_is_unknown() {
    let app = spawn().await;
    let (_, all) = app.get_json("/api/v1/products?per_page=100").await;
    let (status, empty) = app
        .get_json("/api/v1/products?per_page=100&category=")
        .await;
    assert_eq!(status, 200);
    assert_eq!(empty["total"], all["total"]);
    let r = app.get("/api/v1/products?category=%20").await;
    assert_problem(r, 404, "unknown_category").await;
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    let category = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "category")
        .unwrap()["schema"]["pattern"]
        .clone();
    assert_eq!(category, "^$|^[a-z0-9]+(-[a-z0-9]+)*$");
}

#[tokio::test]
async fn a_search_of_more_than_eight_words_searches_for_its_first_eight() {
    let app = spawn().await;
    let eight = "dam maxi hoa nhi dam maxi hoa nhi";
    let (_, found) = app
        .get_json(&format!("/api/v1/products?q={}", eight.replace(' ', "+")))
        .await;
    assert!(found["total"].as_i64().unwrap() >= 1);
    let nine_distinct = "dam maxi hoa nhi a b c d khongcotu";
    let first_eight = "dam maxi hoa nhi a b c d";
    let (status, long) = app
        .get_json(&format!(
            "/api/v1/products?q={}",
            nine_distinct.replace(' ', "+")
        ))
        .await;
    assert_eq!(status, 200);
    let (_, short) = app
        .get_json(&format!(
            "/api/v1/products?q={}",
            first_eight.replace(' ', "+")
        ))
        .await;
    assert_eq!(long["total"], short["total"]);
    assert_eq!(long["items"], short["items"]);
    let (status, _) = app
        .get_json("/api/v1/products?q=dam+maxi+hoa+nhi+vay+ao+quan+giay+tui+non+khan")
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn problems_for_wrongly_typed_json_name_the_field_and_type_never_the_value() {
    let app = spawn().await;
    let (cart_id, token) = crate::support::cart_with(&app, "AKG2L-DEN-M", 1).await;
    let phone = "0912345678";
    let bodies = [
        json!({"cart_id": cart_id, "email": "a@example.vn", "name": "Nguyễn Văn A",
            "phone": 912345678, "address": {"province_code": "01", "ward_code": "00004",
            "line": "12 Lý Thái Tổ"}, "shipping_method": "standard",
            "payment_method": "cash_on_delivery"}),
        json!({"cart_id": cart_id, "email": phone, "name": phone, "phone": [phone],
            "address": {"province_code": "01", "ward_code": "00004", "line": "12 Lý Thái Tổ"},
            "shipping_method": "standard", "payment_method": "cash_on_delivery"}),
        json!({"cart_id": cart_id, "email": "a@example.vn", "name": "Nguyễn Văn A",
            "phone": phone, "address": {"province_code": "01", "ward_code": "00004",
            "line": "12 Lý Thái Tổ", phone: phone}, "shipping_method": "standard",
            "payment_method": "cash_on_delivery"}),
        json!({"cart_id": cart_id, "email": "a@example.vn", "name": "Nguyễn Văn A",
            "phone": phone, "address": {"province_code": "01", "ward_code": "00004",
            "line": "12 Lý Thái Tổ"}, "shipping_method": phone,
            "payment_method": "cash_on_delivery", "expected_subtotal": phone}),
        json!({"cart_id": cart_id, "email": "a@example.vn", "name": "Nguyễn Văn A",
            "phone": phone, "province_code": "01", "address": {"province_code": "01",
            "ward_code": "00004", "line": "12 Lý Thái Tổ"}, "shipping_method": "standard",
            "payment_method": "cash_on_delivery"}),
    ];
    let mut details = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        for lang in ["vi", "en"] {
            let r = app
                .http
                .post(app.url("/api/v1/checkout"))
                .header("x-cart-token", &token)
                .header("accept-language", lang)
                .json(body)
                .send()
                .await
                .unwrap();
            let problem = assert_problem(r, 422, "invalid_body").await;
            let text = problem.to_string();
            assert!(
                !text.contains("912345678"),
                "body {i} ({lang}) echoed: {text}"
            );
            details.push(problem["detail"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        details[1],
        "The JSON does not have the expected shape: `phone` must be a string."
    );
    assert_eq!(
        details[0],
        "Dữ liệu JSON không đúng dạng: trường `phone` phải là một chuỗi ký tự."
    );
    assert_eq!(
        details[5],
        "The JSON does not have the expected shape: `address` has a field that is not accepted."
    );
    assert_eq!(
        details[9],
        "The JSON does not have the expected shape: the body has a field that is not accepted."
    );
    assert_eq!(
        details[8],
        "Dữ liệu JSON không đúng dạng: có một trường không được chấp nhận."
    );
    assert!(
        details[7].contains("`expected_subtotal` must be a whole number"),
        "{}",
        details[7]
    );

    let items = app.url(&format!("/api/v1/carts/{cart_id}/items"));
    for (raw, expected) in [
        (
            format!("{{\"sku\": \"AKG2L-DEN-M\", \"quantity\": \"{phone}\"}}"),
            422,
        ),
        (
            format!("{{\"sku\": {}, \"quantity\": 1}}", &phone[1..]),
            422,
        ),
        (
            format!("{{\"sku\": \"AKG2L-DEN-M\", \"quantity\": 1, \"{phone}\": 1}}"),
            422,
        ),
        (
            format!(
                "{{\"sku\": \"AKG2L-DEN-M\", \"quantity\": {}.5}}",
                &phone[1..]
            ),
            422,
        ),
        (
            format!("{{\"sku\": \"{phone}\", \"quantity\": 1 {phone}}}"),
            400,
        ),
    ] {
        let r = app
            .http
            .post(&items)
            .header("x-cart-token", &token)
            .header("content-type", "application/json")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, expected, "{raw}: {text}");
        assert!(!text.contains("912345678"), "{raw} echoed: {text}");
    }
}

#[tokio::test]
async fn whole_numbers_written_with_a_fraction_are_integers() {
    let app = spawn().await;
    let (id, token) = new_cart(&app).await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", &token)
        .json(&json!({"sku": "AKG2L-DEN-M", "quantity": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(cart(&app, &id, &token).await["lines"][0]["quantity"], 2);
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

/// Whether `value` has the shape `schema` documents: every property documented, every
/// required one present, types as stated. Enough of JSON Schema for this document.
fn conforms(value: &Value, schema: &Value, doc: &Value, at: &str) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return conforms(value, &doc["components"]["schemas"][name], doc, at);
    }
    // `oneOf` (an optional object is `oneOf: [null, $ref]`): the value fits exactly one.
    if let Some(choices) = schema["oneOf"].as_array() {
        let fitting = choices
            .iter()
            .filter(|choice| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    conforms(value, choice, doc, at)
                }))
                .is_ok()
            })
            .count();
        assert_eq!(fitting, 1, "{at}: {value} fits {fitting} of {choices:?}");
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty() {
        assert!(
            types.contains(&actual),
            "{at}: {actual} is not one of {types:?}"
        );
    }
    if let Some(allowed) = schema["enum"].as_array() {
        assert!(
            allowed.contains(value),
            "{at}: {value} is not one of {allowed:?}"
        );
    }
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"].as_object().unwrap();
            for (name, field) in fields {
                let documented = properties
                    .get(name)
                    .unwrap_or_else(|| panic!("{at}.{name} is not documented"));
                conforms(field, documented, doc, &format!("{at}.{name}"));
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap();
                assert!(fields.contains_key(name), "{at}.{name} is missing");
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(item, &schema["items"], doc, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn placed_orders_and_order_views_have_the_documented_shape() {
    let app = spawn().await;
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    let cart = crate::support::cart_with(&app, "AKG2L-DEN-M", 2).await;
    let r = crate::checkout::checkout(&app, &cart, crate::checkout::buyer("lan@example.vn")).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    let responses = &doc["paths"]["/api/v1/checkout"]["post"]["responses"];
    let schema = &responses["201"]["content"]["application/json"]["schema"];
    conforms(&placed, schema, &doc, "placed");

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
    let order: Value = r.json().await.unwrap();
    let responses = &doc["paths"]["/api/v1/orders/{number}"]["get"]["responses"];
    let schema = &responses["200"]["content"]["application/json"]["schema"];
    conforms(&order, schema, &doc, "order");
    assert_eq!(order["lines"][0]["quantity"], 2);
}
