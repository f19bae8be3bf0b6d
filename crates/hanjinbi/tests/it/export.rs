//! The buyer's rights of access and portability: a verified account sees what the shop holds
//! about it and who opened it, and takes everything away as JSON or as a ZIP of CSV files;
//! its guest orders are in it, another address's are not, and every opening is audited.

use crate::accounts::verified_account;
use crate::checkout::{buyer, checkout};
use crate::privacy_proofs::assert_audit_intact;
use crate::support::{assert_problem, cart_with, spawn, TestApp};
use hanjinbi_privacy::gate::{items, GateError};
use hanjinbi_privacy::policy::{DataCategory, Language, PurposeId};
use hanjinbi_store::testing::Param;
use serde_json::{json, Value};
use std::io::Read;

const EMAIL: &str = "hoa.tran@example.vn";
const OTHER: &str = "someone.else@example.vn";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(app: &TestApp, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut request = client().get(app.url(path));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    request.send().await.unwrap()
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// What one checkout of the journey entered, and what the shop answered.
struct Placed {
    body: Value,
    number: String,
    token: String,
}

async fn place(app: &TestApp, sku: &str, quantity: i64, body: Value) -> Placed {
    let r = checkout(app, &cart_with(app, sku, quantity).await, body.clone()).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    Placed {
        body,
        number: placed["number"].as_str().unwrap().to_owned(),
        token: placed["lookup_token"].as_str().unwrap().to_owned(),
    }
}

/// Two guest orders with the address (the second typed in other letter cases), with other
/// names, phones, places, notes, methods and consents; and one order of another address.
async fn journey(app: &TestApp) -> (Placed, Placed, Placed) {
    let first = place(app, "AKG2L-DEN-M", 2, buyer(EMAIL)).await;
    let mut second = buyer("Hoa.Tran@Example.VN");
    second["name"] = json!("Trần Thị Hoa");
    second["phone"] = json!("0987654321");
    second["address"] = json!({"province_code": "79", "ward_code": "26740", "line": "45 Lê Lợi"});
    second["shipping_method"] = json!("express");
    second["note"] = json!("Gọi trước khi giao, cổng màu xanh");
    second["consents"] = json!({"marketing": false, "suggestions": true});
    let second = place(app, "AKG2L-DEN-L", 1, second).await;
    let other = place(app, "AKG2L-DEN-M", 1, buyer(OTHER)).await;
    (first, second, other)
}

/// The order as its own page shows it, through its token: what the export must agree with.
async fn order_view(app: &TestApp, placed: &Placed) -> Value {
    let r = client()
        .get(app.url(&format!("/api/v1/orders/{}", placed.number)))
        .header("x-order-token", &placed.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

/// An RFC 3339 time as seconds since the Unix epoch, whatever its offset.
fn instant(value: &Value) -> i64 {
    time::OffsetDateTime::parse(
        value.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The openings by the account holder of the records in `record`, as the access list shows
/// them.
fn account_openings<'a>(accesses: &'a Value, record: &str) -> Vec<&'a Value> {
    accesses
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["by"] == "account" && a["action"] == "open" && a["record"] == record)
        .collect()
}

/// Checks one exported order field by field against what the checkout entered and what the
/// order's own page shows.
fn assert_exported(order: &Value, placed: &Placed, view: &Value) {
    let entered = &placed.body;
    assert_eq!(order["number"], placed.number.as_str());
    assert_eq!(order["personal_data"], "present");
    let email = entered["email"].as_str().unwrap();
    let (local, domain) = email.split_once('@').unwrap();
    assert_eq!(
        order["buyer"]["email"],
        format!("{local}@{}", domain.to_lowercase()),
        "the address as given, its domain in lower case"
    );
    assert_eq!(order["buyer"]["name"], entered["name"]);
    let phone = format!(
        "+84{}",
        &entered["phone"].as_str().unwrap().replace(' ', "")[1..]
    );
    assert_eq!(order["buyer"]["phone"], phone.as_str());
    let ship_to = &order["ship_to"];
    assert_eq!(ship_to["name"], entered["name"]);
    assert_eq!(ship_to["phone"], phone.as_str());
    assert_eq!(ship_to["street"], entered["address"]["line"]);
    assert_eq!(ship_to["ward_code"], entered["address"]["ward_code"]);
    assert_eq!(
        ship_to["province_code"],
        entered["address"]["province_code"]
    );
    assert_eq!(
        view["ship_to"]["address"],
        format!(
            "{}, {}, {}",
            ship_to["street"].as_str().unwrap(),
            ship_to["ward"].as_str().unwrap(),
            ship_to["province"].as_str().unwrap()
        ),
        "the ward and province names are the ones the order page shows"
    );
    assert_eq!(order["note"], entered["note"]);
    assert_eq!(order["shipping_method"], entered["shipping_method"]);
    assert_eq!(order["payment_method"], entered["payment_method"]);
    for field in ["status", "lang", "subtotal", "shipping_fee", "total"] {
        assert_eq!(order[field], view[field], "{field}");
    }
    assert!(
        order["placed_at"].as_str().unwrap().ends_with("+07:00"),
        "times are in Vietnam's time"
    );
    assert_eq!(instant(&order["placed_at"]), instant(&view["placed_at"]));
    assert_eq!(order["currency"], "VND");
    let lines = order["lines"].as_array().unwrap();
    let viewed = view["lines"].as_array().unwrap();
    assert_eq!(lines.len(), viewed.len());
    for (line, seen) in lines.iter().zip(viewed) {
        assert_eq!(line["sku"], seen["sku"]);
        assert_eq!(line["product_slug"], seen["product"]);
        assert_eq!(line["product_name"], seen["name"]);
        assert_eq!(line["variant_label"], seen["variant"]);
        assert_eq!(line["product_name_en"], seen["name_en"]);
        assert_eq!(line["variant_label_en"], seen["variant_en"]);
        for field in ["unit_price", "quantity", "line_total"] {
            assert_eq!(line[field], seen[field], "{field}");
        }
    }
    let history = order["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["status"], "placed");
    assert_eq!(
        instant(&history[0]["at"]),
        instant(&view["history"][0]["at"])
    );
    assert_eq!(history[0]["by"], "buyer");
}

/// A CSV file of the archive: its header and rows, after checking the byte order mark.
fn read_csv(
    archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    name: &str,
) -> Vec<Vec<String>> {
    let mut file = archive.by_name(name).unwrap();
    assert_eq!(
        file.compression(),
        zip::CompressionMethod::Deflated,
        "{name} is deflated"
    );
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or_else(|| panic!("{name} starts with the UTF-8 byte order mark"));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The column `name` of `rows` (the first row being the header), row by row.
fn column<'a>(rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let at = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[at].as_str()).collect()
}

fn strings(values: &[Value], field: &str) -> Vec<String> {
    values
        .iter()
        .map(|v| match &v[field] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn the_export_holds_everything_the_buyer_entered_and_nothing_of_another_address() {
    let app = spawn().await;
    let (first, second, other) = journey(&app).await;
    let bearer = verified_account(&app, EMAIL).await;
    // The orders as their own pages show them, read first: those views are openings too, and
    // the log holds them before the export reads it.
    let first_view = order_view(&app, &first).await;
    let second_view = order_view(&app, &second).await;
    app.server.services.gate.flush_views().await.unwrap();

    let r = get(&app, "/api/v1/me/export", Some(&bearer)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-type"), "application/json");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"hanjinbi-du-lieu-cua-toi.json\""
    );
    assert_eq!(header(&r, "cache-control"), "no-store");
    let text = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(doc["format_version"], 1);
    assert!(doc["generated_at"].as_str().unwrap().ends_with("+07:00"));
    assert_eq!(doc["profile"]["email"], EMAIL);
    assert_eq!(doc["profile"]["lang"], "vi");
    assert!(doc["profile"]["verified_at"].is_string());
    for empty in ["addresses", "optional_details", "messages", "disclosures"] {
        assert_eq!(doc[empty], json!([]), "{empty} is present and empty");
    }

    // Oldest first; two orders of the same second by number.
    let orders = doc["orders"].as_array().unwrap();
    let numbers: Vec<&str> = orders
        .iter()
        .map(|o| o["number"].as_str().unwrap())
        .collect();
    let mut expected = [first.number.as_str(), second.number.as_str()];
    expected.sort_unstable();
    assert_eq!(numbers, expected);
    let exported = |placed: &Placed| {
        orders
            .iter()
            .find(|o| o["number"] == placed.number.as_str())
            .unwrap()
    };
    assert_exported(exported(&first), &first, &first_view);
    assert_exported(exported(&second), &second, &second_view);
    assert!(
        !text.contains(&other.number) && !text.contains(OTHER),
        "nothing of another address's order"
    );

    // The boxes ticked at each checkout, with the words shown and where.
    let mut consents: Vec<(String, String, bool, bool)> = doc["consents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["record"] == "checkout")
        .map(|c| {
            assert!(!c["wording"].as_str().unwrap().is_empty());
            assert_eq!(c["channel"], "api");
            (
                c["order_numbers"][0].as_str().unwrap().to_owned(),
                c["purpose"].as_str().unwrap().to_owned(),
                c["granted"].as_bool().unwrap(),
                c["verified"].as_bool().unwrap(),
            )
        })
        .collect();
    consents.sort();
    let mut expected = vec![
        (first.number.clone(), "marketing".to_owned(), true, false),
        (second.number.clone(), "suggestions".to_owned(), true, false),
    ];
    expected.sort();
    assert_eq!(consents, expected);

    // The export's own openings: each guest record's details and the account's address, for
    // answering the buyer's request, by the account, staff never named.
    let openings = account_openings(&doc["accesses"], "checkout");
    let mut opened: Vec<(String, &Value)> = openings
        .iter()
        .map(|a| {
            (
                a["order_numbers"][0].as_str().unwrap().to_owned(),
                &a["fields"],
            )
        })
        .collect();
    opened.sort_by(|a, b| a.0.cmp(&b.0));
    let fields = json!(["email", "name", "phone", "ship_to", "note"]);
    let mut expected = vec![
        (first.number.clone(), &fields),
        (second.number.clone(), &fields),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(opened, expected);
    let account = account_openings(&doc["accesses"], "account");
    assert!(account
        .iter()
        .any(|a| a["fields"] == json!(["account_email"]) && a["order_numbers"] == json!([])));
    assert!(openings
        .iter()
        .chain(&account)
        .all(|a| a["purpose"] == "answering_requests" && a["actor"] == "buyer"));
    assert!(doc["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["by"] == "checkout" && a["action"] == "seal"));

    // The same rows in the archive of CSV files, read back as any ZIP and CSV reader would.
    let r = get(&app, "/api/v1/me/export?format=csv", Some(&bearer)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-type"), "application/zip");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"hanjinbi-du-lieu-cua-toi.zip\""
    );
    assert_eq!(header(&r, "cache-control"), "no-store");
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<&str> = archive.file_names().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "accesses.csv",
            "consents.csv",
            "order_lines.csv",
            "orders.csv",
            "profile.csv",
            "status_history.csv"
        ]
    );
    let profile = read_csv(&mut archive, "profile.csv");
    assert_eq!(column(&profile, "email"), [EMAIL]);
    assert_eq!(column(&profile, "lang"), ["vi"]);

    let csv_orders = read_csv(&mut archive, "orders.csv");
    for (csv_column, path) in [
        ("number", vec!["number"]),
        ("buyer_email", vec!["buyer", "email"]),
        ("buyer_name", vec!["buyer", "name"]),
        ("buyer_phone", vec!["buyer", "phone"]),
        ("ship_to_name", vec!["ship_to", "name"]),
        ("ship_to_phone", vec!["ship_to", "phone"]),
        ("ship_to_street", vec!["ship_to", "street"]),
        ("ship_to_ward", vec!["ship_to", "ward"]),
        ("ship_to_province", vec!["ship_to", "province"]),
        ("note", vec!["note"]),
        ("subtotal", vec!["subtotal"]),
        ("shipping_fee", vec!["shipping_fee"]),
        ("total", vec!["total"]),
        ("shipping_method", vec!["shipping_method"]),
        ("payment_method", vec!["payment_method"]),
        ("placed_at", vec!["placed_at"]),
    ] {
        let from_json: Vec<String> = orders
            .iter()
            .map(|o| {
                let value = path.iter().fold(o, |v, key| &v[*key]);
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
            })
            .collect();
        assert_eq!(
            column(&csv_orders, csv_column),
            from_json,
            "orders.csv {csv_column}"
        );
    }

    let lines: Vec<Value> = orders
        .iter()
        .flat_map(|o| o["lines"].as_array().unwrap().clone())
        .collect();
    let csv_lines = read_csv(&mut archive, "order_lines.csv");
    for field in [
        "sku",
        "product_name",
        "variant_label",
        "unit_price",
        "quantity",
        "line_total",
    ] {
        assert_eq!(
            column(&csv_lines, field),
            strings(&lines, field),
            "order_lines.csv {field}"
        );
    }
    assert_eq!(column(&csv_lines, "order_number"), numbers);

    let history: Vec<Value> = orders
        .iter()
        .flat_map(|o| o["history"].as_array().unwrap().clone())
        .collect();
    let csv_history = read_csv(&mut archive, "status_history.csv");
    for field in ["status", "at", "by"] {
        assert_eq!(column(&csv_history, field), strings(&history, field));
    }

    let json_consents = doc["consents"].as_array().unwrap();
    let csv_consents = read_csv(&mut archive, "consents.csv");
    for field in [
        "record", "purpose", "granted", "verified", "wording", "channel", "at",
    ] {
        assert_eq!(
            column(&csv_consents, field),
            strings(json_consents, field),
            "{field}"
        );
    }

    // The archive was made by a later export, whose own three openings come last.
    let json_accesses = doc["accesses"].as_array().unwrap();
    let csv_accesses = read_csv(&mut archive, "accesses.csv");
    assert_eq!(csv_accesses.len() - 1, json_accesses.len() + 3);
    for field in ["at", "actor", "by", "purpose", "action", "record"] {
        assert_eq!(
            column(&csv_accesses, field)[..json_accesses.len()],
            strings(json_accesses, field)[..],
            "accesses.csv {field}"
        );
    }
    assert_eq!(
        column(&csv_accesses, "fields")[json_accesses.len()..]
            .iter()
            .filter(|f| **f == "email,name,phone,ship_to,note")
            .count(),
        2
    );

    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn the_access_view_lists_what_is_held_and_every_opening_without_a_personal_value() {
    let app = spawn().await;
    let (first, second, other) = journey(&app).await;
    let bearer = verified_account(&app, EMAIL).await;

    let r = get(&app, "/api/v1/me/data", Some(&bearer)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let text = r.text().await.unwrap();
    let view: Value = serde_json::from_str(&text).unwrap();
    for personal in [
        EMAIL,
        "Nguyễn Thị Lan",
        "Trần Thị Hoa",
        "912345678",
        "987654321",
        "Phố Huế",
        "Lê Lợi",
        "Giao giờ hành chính",
        "cổng màu xanh",
        OTHER,
        &other.number,
    ] {
        assert!(
            !text.contains(personal),
            "the access view holds {personal:?}"
        );
    }

    let categories: Vec<&str> = view["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        ["contact", "identity", "address", "account", "transaction"]
    );
    let contact = &view["categories"][0];
    assert_eq!(contact["held_in"], json!(["account", "checkout", "orders"]));
    let policy = app.server.services.gate.policy();
    let rule = policy.category(DataCategory::Contact);
    for (lang, language) in [("vi", Language::Vi), ("en", Language::En)] {
        assert_eq!(
            contact["retention"]["text"][lang],
            policy.describe_retention(rule.retention(), language),
            "the policy's own words"
        );
        assert_eq!(
            contact["retention"]["reason"][lang],
            rule.retention_reason().get(language)
        );
    }
    let purposes: Vec<&str> = contact["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purpose"].as_str().unwrap())
        .collect();
    assert!(purposes.contains(&"order_fulfilment") && purposes.contains(&"marketing"));
    assert!(
        !purposes.contains(&"suggestions"),
        "suggestions never read contact details"
    );
    let transaction = &view["categories"][4];
    assert_eq!(transaction["retention"]["kind"], "after_financial_year");
    assert_eq!(view["disclosures"], json!([]));
    assert!(
        account_openings(&view["accesses"], "checkout").is_empty(),
        "nothing of the guest records was opened by the account yet"
    );
    let account_before = account_openings(&view["accesses"], "account").len();

    // The buyer opened an order page with its link; then the export opened everything.
    order_view(&app, &first).await;
    app.server.services.gate.flush_views().await.unwrap();
    assert_eq!(
        get(&app, "/api/v1/me/export", Some(&bearer))
            .await
            .status()
            .as_u16(),
        200
    );
    let view: Value = get(&app, "/api/v1/me/data", Some(&bearer))
        .await
        .json()
        .await
        .unwrap();
    let accesses = view["accesses"].as_array().unwrap();
    assert!(accesses.iter().any(|a| a["by"] == "order_link"
        && a["action"] == "open"
        && a["purpose"] == "order_fulfilment"
        && a["order_numbers"] == json!([first.number])));
    let mut opened: Vec<&str> = account_openings(&view["accesses"], "checkout")
        .iter()
        .map(|a| a["order_numbers"][0].as_str().unwrap())
        .collect();
    opened.sort_unstable();
    let mut expected = [first.number.as_str(), second.number.as_str()];
    expected.sort_unstable();
    assert_eq!(opened, expected);
    assert_eq!(
        account_openings(&view["accesses"], "account").len(),
        account_before + 1,
        "and the account's address"
    );
    assert!(accesses
        .iter()
        .all(|a| !a["by"].as_str().unwrap().starts_with("staff")));
}

#[tokio::test]
async fn a_signed_out_or_forged_session_gets_401_and_an_unknown_format_400() {
    let app = spawn().await;
    journey(&app).await;
    let bearer = verified_account(&app, EMAIL).await;
    let paths = [
        "/api/v1/me/data",
        "/api/v1/me/export",
        "/api/v1/me/export?format=csv",
    ];
    for path in paths {
        assert_problem(get(&app, path, None).await, 401, "not_signed_in").await;
        let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_problem(get(&app, path, Some(forged)).await, 401, "not_signed_in").await;
        let r = client()
            .get(app.url(path))
            .header("cookie", format!("hj_session={forged}"))
            .send()
            .await
            .unwrap();
        assert_problem(r, 401, "not_signed_in").await;
    }

    let audit_before = crate::checkout::count(&app, "audit_log").await;
    let r = get(&app, "/api/v1/me/export?format=xlsx", Some(&bearer)).await;
    let problem = assert_problem(r, 400, "unknown_format").await;
    assert!(problem["detail"].as_str().unwrap().contains("format=csv"));
    assert_eq!(
        crate::checkout::count(&app, "audit_log").await,
        audit_before,
        "an unknown format opens nothing"
    );

    let r = client()
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    for path in paths {
        assert_problem(get(&app, path, Some(&bearer)).await, 401, "not_signed_in").await;
    }
}

/// The audit entries written by `who`: (action, subject, fields).
async fn entries_by(app: &TestApp, who: &str) -> Vec<(String, String, String)> {
    app.server
        .services
        .db
        .raw_rows(
            "SELECT action, subject, fields FROM audit_log WHERE who = $1 ORDER BY seq",
            &[Param::from(who)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("action").unwrap(),
                r.get("subject").unwrap(),
                r.get("fields").unwrap(),
            )
        })
        .collect()
}

async fn buyer_of(app: &TestApp, number: &str) -> (String, String) {
    let row = app
        .server
        .services
        .db
        .raw_row(
            "SELECT id, buyer_id FROM orders WHERE number = $1",
            &[Param::from(number)],
        )
        .await
        .unwrap();
    (row.get("id").unwrap(), row.get("buyer_id").unwrap())
}

#[tokio::test]
async fn the_gate_opens_an_order_of_the_accounts_address_and_refuses_and_audits_another() {
    let app = spawn().await;
    let (first, _, other) = journey(&app).await;
    let bearer = verified_account(&app, EMAIL).await;
    let services = &app.server.services;
    let session = services.accounts.session(&bearer).await.unwrap();
    let who = session.principal.who();
    let gate = &services.gate;
    let purpose = PurposeId::AnsweringRequests;

    let (order_id, subject) = buyer_of(&app, &first.number).await;
    // What the account did before (its verification), left out of what follows.
    let earlier = entries_by(&app, &who).await.len();
    for number_or_id in [first.number.as_str(), order_id.as_str()] {
        let (ship_to, note) = gate
            .open_linked_order::<(items::ShipTo, items::Note)>(
                &session.principal,
                number_or_id,
                purpose,
                now(),
            )
            .await
            .unwrap();
        assert_eq!(ship_to.name().expose(), "Nguyễn Thị Lan");
        assert_eq!(note.unwrap().expose(), "Giao giờ hành chính");
    }
    let opened = (
        "open".to_owned(),
        subject.clone(),
        "ship_to,note".to_owned(),
    );
    assert_eq!(
        entries_by(&app, &who).await[earlier..],
        [opened.clone(), opened]
    );

    // Another address's order, an unknown one, and an item out of reach: refused, audited.
    for (number, refused) in [
        (other.number.as_str(), "ship_to,note"),
        ("HJ0000000000", "ship_to,note"),
    ] {
        let e = gate
            .open_linked_order::<(items::ShipTo, items::Note)>(
                &session.principal,
                number,
                purpose,
                now(),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, GateError::NotFound), "{e:?}");
        let last = entries_by(&app, &who).await.pop().unwrap();
        assert_eq!(
            last,
            (
                "deny".to_owned(),
                session.account.subject_id.clone(),
                refused.to_owned()
            ),
            "the refusal names the account's own subject, not the other buyer's"
        );
    }
    let e = gate
        .open_linked_order::<items::AccountEmail>(&session.principal, &first.number, purpose, now())
        .await
        .unwrap_err();
    assert!(matches!(e, GateError::NotFound), "{e:?}");
    assert_eq!(entries_by(&app, &who).await.pop().unwrap().0, "deny");

    // A purpose the policy does not give a buyer.
    let e = gate
        .open_linked_order::<items::ShipTo>(
            &session.principal,
            &first.number,
            PurposeId::LegalObligations,
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, GateError::Denied(_)), "{e:?}");
    assert_eq!(entries_by(&app, &who).await.pop().unwrap().0, "deny");

    // The order's own token proves that order, not an account: no linking through it.
    let (order_principal, _) = gate
        .buyer_of_order(&first.number, &first.token)
        .await
        .unwrap();
    let e = gate
        .open_linked_order::<items::ShipTo>(&order_principal, &first.number, purpose, now())
        .await
        .unwrap_err();
    assert!(matches!(e, GateError::NotFound), "{e:?}");
    assert_eq!(
        entries_by(&app, &order_principal.who()).await,
        [("deny".to_owned(), subject, "ship_to".to_owned())]
    );
    assert_audit_intact(&app).await;
}
