//! A shop whose database was made by the code at migration 0006 is upgraded by today's
//! server when it starts, and loses nothing: every order opens with the token its buyer was
//! given and shows the same buyer, lines and total; carts keep their lines; featured products
//! stay featured; search lists exactly what it lists in a new shop; consent records are as
//! given; the audit log still holds the head published before the upgrade and keeps growing
//! as an unbroken chain; a lookup code and a new checkout work. The fixtures (`tests/fixtures/v0006`, with the script that made them) were made once
//! by that code; `journey.json` there is what its buyers were told.

use crate::support::{self, TestApp};
use hanjinbi::server::RunningServer;
use hanjinbi_domain::{Dong, ShopInfo};
use hanjinbi_services::checkout::ShippingFees;
use hanjinbi_store::Db;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v0006")
}

/// What the journey that made the fixtures recorded for `backend` ("sqlite" or "postgres").
fn journey(backend: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("journey.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all[backend].clone()
}

#[tokio::test]
async fn a_sqlite_shop_made_at_migration_0006_upgrades_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    // The whole data folder, as `serve --demo` left it (the emails it wrote aside).
    for entry in std::fs::read_dir(fixtures().join("sqlite")).unwrap() {
        let from = entry.unwrap().path();
        copy_private(&from, &dir.path().join(from.file_name().unwrap()));
    }
    let database_url = format!("sqlite://{}", dir.path().join("hanjinbi.sqlite3").display());
    upgrade_and_check(dir, database_url, Backend::Sqlite).await;
}

#[tokio::test]
async fn a_postgresql_shop_made_at_migration_0006_upgrades_without_loss() {
    if support::postgres_admin_url().is_none() {
        eprintln!(
            "skipped: upgrading a PostgreSQL database needs \
             HANJINBI_TEST_DATABASE_URL=postgres://…"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database_url = support::fresh_database(dir.path()).await;
    load_dump(&database_url, &fixtures().join("postgres.sql"));
    copy_private(
        &fixtures().join("postgres-keys.toml"),
        &dir.path().join("keys.toml"),
    );
    upgrade_and_check(dir, database_url, Backend::Postgres).await;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Its name in `journey.json` and in the store's migration folders.
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

async fn upgrade_and_check(dir: tempfile::TempDir, database_url: String, backend: Backend) {
    let journey = journey(backend.name());
    assert_eq!(
        applied_migrations(&database_url).await,
        (1..=6).map(|v| (v, true)).collect::<Vec<_>>(),
        "the fixture is a database at migration 0006"
    );
    carts_touched_now(&database_url).await;

    // The upgrade: the server migrates the database as it starts.
    let app = start(dir, database_url).await;
    assert_eq!(
        applied_migrations(&app.database_url).await,
        migrations(backend)
            .into_iter()
            .map(|v| (v, true))
            .collect::<Vec<_>>(),
        "every migration this code carries is applied, once, successfully"
    );

    let orders = journey["orders"].as_array().unwrap();
    assert!(orders.len() >= 3);
    for order in orders {
        assert_order_intact(&app, order).await;
        assert_consents_intact(&app.server.services.db, order).await;
    }
    // A token opens its own order only.
    let (status, _) = app
        .get_text(&format!(
            "/don-hang/{}?token={}",
            orders[0]["number"].as_str().unwrap(),
            orders[1]["token"].as_str().unwrap()
        ))
        .await;
    assert_ne!(status, 200, "another order's token opens nothing");

    for cart in journey["carts"].as_array().unwrap() {
        assert_cart_intact(&app, cart).await;
    }
    assert_featured_intact(&app, &journey).await;
    // The search text the database had was folded with both languages together, in columns
    // migration 0008 drops; the store refolded it per language as the server started, so the
    // upgraded shop finds exactly what a new one does.
    crate::search::assert_search_cases(&app).await;

    // After the upgrade the shop works on the old data: a code for an old order, emailed to
    // its buyer and redeemed for the order's own token...
    let asked = journey["lookup_code_requested_for"].as_str().unwrap();
    let asked_order = orders.iter().find(|o| o["number"] == asked).unwrap();
    let code = lookup_code(&app, asked_order).await;
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[("action", "code"), ("number", asked), ("code", &code)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let location =
        reqwest::Url::parse(&app.url(r.headers()["location"].to_str().unwrap())).unwrap();
    assert_eq!(location.path(), format!("/don-hang/{asked}"));
    let token = location
        .query_pairs()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned());
    assert_eq!(
        token.as_deref(),
        asked_order["token"].as_str(),
        "the code opens the order with the token its buyer was given"
    );

    // ... and a checkout of a cart filled before the upgrade.
    let left = &journey["carts"][0];
    let placed = checkout_left_cart(&app, left).await;
    assert_eq!(
        placed["total"].as_i64().unwrap(),
        left["subtotal"].as_i64().unwrap() + ShippingFees::default().standard.0
    );
    let (status, page) = app.get_text(placed["order_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Phạm Quốc Anh"));
    let cart = support::cart_json(
        &app,
        left["id"].as_str().unwrap(),
        left["token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(cart["lines"], json!([]), "the checked-out cart is emptied");
    let new_buyer = buyer_of(&app.server.services.db, placed["number"].as_str().unwrap()).await;
    let decisions = hanjinbi_store::subjects::consents(&app.server.services.db, &new_buyer)
        .await
        .unwrap();
    assert_eq!(
        decisions
            .iter()
            .map(|c| (c.purpose.as_str(), c.granted, c.verified))
            .collect::<Vec<_>>(),
        [("marketing", true, false)],
        "a consent given after the upgrade is recorded as given, unverified"
    );
    assert_eq!(app.send_mail().await, 1, "the new order's confirmation");

    // The audit log: stop the server (its last page views are written), then the operator's
    // command finds the head published before the upgrade and an unbroken chain after it.
    let TestApp {
        server,
        database_url,
        dir,
        ..
    } = app;
    server.stop().await.unwrap();
    let head = journey["audit_head"].as_str().unwrap();
    let verified = hanjinbi(
        dir.path(),
        &database_url,
        &["audit", "verify", "--expect", head],
    );
    assert!(
        verified.contains("audit log intact and holds the expected head"),
        "{verified}"
    );
    let before: i64 = head.split_once(':').unwrap().0.parse().unwrap();
    let now = hanjinbi(dir.path(), &database_url, &["audit", "head"]);
    let after: i64 = now.trim().split_once(':').unwrap().0.parse().unwrap();
    assert!(
        after > before,
        "the views, code and checkout after the upgrade are in the chain ({before} → {after})"
    );
}

/// Today's server on the copied fixture, as `support` starts one: no demo load, no outbox
/// worker, keys and mail in the test's folder.
async fn start(dir: tempfile::TempDir, database_url: String) -> TestApp {
    let server = RunningServer::start(support::settings(
        &database_url,
        dir.path(),
        false,
        ShopInfo::default(),
    ))
    .await
    .expect("the server upgrades the database and starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        server,
        http,
        database_url,
        dir,
    }
}

/// The order page and the API show what the buyer was shown before the upgrade.
async fn assert_order_intact(app: &TestApp, order: &Value) {
    let number = order["number"].as_str().unwrap();
    let token = order["token"].as_str().unwrap();

    let now: Value = app
        .http
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .header("x-order-token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Every field recorded then is the same now, at every depth (fields added later, such as
    // the lines' English names, are not compared).
    assert_holds(&now, &order["order"], number);
    assert_eq!(now["ship_to"]["name"], order["buyer"]["name"]);
    assert_eq!(now["total"], order["total"]);
    assert_eq!(now["payment_method"], order["payment_method"]);
    assert_eq!(now["note"], order["note"]);
    // Placed before orders recorded their language and English names: Vietnamese, and named
    // as they were sold.
    assert_eq!(now["lang"], "vi", "{number}");
    for line in now["lines"].as_array().unwrap() {
        assert_eq!(line["name_en"], Value::Null, "{number}");
        assert_eq!(line["variant_en"], Value::Null, "{number}");
    }

    // The link the buyer was given, as the checkout answered it.
    let (status, page) = app.get_text(order["order_url"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{number} opens with its token");
    assert!(page.contains(number));
    assert!(page.contains(order["buyer"]["name"].as_str().unwrap()));
    let total = Dong(order["total"].as_i64().unwrap()).to_string();
    assert!(page.contains(&total), "{number} shows its total {total}");
    for line in order["order"]["lines"].as_array().unwrap() {
        // Shoppers are shown the name and the variant; the SKU stays in the API.
        assert!(page.contains(line["variant"].as_str().unwrap()));
        assert!(page.contains(line["name"].as_str().unwrap()));
    }
    if let Some(note) = order["note"].as_str() {
        assert!(page.contains(note), "{number} shows its note");
    }
}

/// `now` holds every field of `then` with the same value, in objects and arrays alike; it
/// may hold more fields.
fn assert_holds(now: &Value, then: &Value, at: &str) {
    match then {
        Value::Object(fields) => {
            for (field, value) in fields {
                assert_holds(&now[field], value, &format!("{at}.{field}"));
            }
        }
        Value::Array(items) => {
            let now_items = now.as_array().unwrap_or_else(|| panic!("{at}: {now}"));
            assert_eq!(now_items.len(), items.len(), "{at}");
            for (i, (now, then)) in now_items.iter().zip(items).enumerate() {
                assert_holds(now, then, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(now, then, "{at}"),
    }
}

/// The buyer (data subject) of order `number`.
async fn buyer_of(db: &Db, number: &str) -> String {
    hanjinbi_store::orders::by_number(db, number)
        .await
        .unwrap()
        .expect("the order exists")
        .buyer_id
}

/// The buyer's consent records are those written before the upgrade, field by field, and
/// the decision that counts for each purpose (a refusal, or a verified grant) is the same.
async fn assert_consents_intact(db: &Db, order: &Value) {
    let number = order["number"].as_str().unwrap();
    let subject = buyer_of(db, number).await;
    let now = hanjinbi_store::subjects::consents(db, &subject)
        .await
        .unwrap();
    let then = order["consent_records"].as_array().unwrap();
    assert_eq!(now.len(), then.len(), "{number}: consent records");
    for (now, then) in now.iter().zip(then) {
        assert_eq!(now.purpose, then["purpose"].as_str().unwrap());
        assert_eq!(now.granted, then["granted"].as_bool().unwrap(), "{number}");
        assert_eq!(
            now.verified,
            then["verified"].as_bool().unwrap(),
            "{number}"
        );
        assert_eq!(now.policy_version, then["policy_version"].as_str().unwrap());
        assert_eq!(now.wording, then["wording"].as_str().unwrap());
        assert_eq!(now.channel, then["channel"].as_str().unwrap());
        assert_eq!(now.at, then["at"].as_i64().unwrap());
    }
    for (purpose, given) in order["consents_given"].as_object().unwrap() {
        let granted = then
            .iter()
            .any(|r| r["purpose"] == purpose.as_str() && r["granted"] == true);
        assert_eq!(
            granted,
            given.as_bool().unwrap(),
            "{number}: {purpose} as given"
        );
        let counts = then
            .iter()
            .rev()
            .find(|r| {
                r["purpose"] == purpose.as_str() && (r["verified"] == true || r["granted"] == false)
            })
            .map(|r| r["granted"].as_bool().unwrap());
        let latest = hanjinbi_store::subjects::latest_consent(db, &subject, purpose)
            .await
            .unwrap()
            .map(|c| c.granted);
        assert_eq!(
            latest, counts,
            "{number}: the {purpose} decision that counts"
        );
    }
}

async fn assert_cart_intact(app: &TestApp, cart: &Value) {
    let id = cart["id"].as_str().unwrap();
    let token = cart["token"].as_str().unwrap();
    let now = support::cart_json(app, id, token).await;
    let lines = |v: &Value| {
        let mut lines: Vec<(String, i64)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["sku"].as_str().unwrap().to_owned(),
                    l["quantity"].as_i64().unwrap(),
                )
            })
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(lines(&now["lines"]), lines(&cart["lines"]), "cart {id}");
    assert!(!lines(&cart["lines"]).is_empty());
    assert_eq!(now["subtotal"], cart["subtotal"], "cart {id}");
    if cart["made_through"] == "pages" {
        // The cookie the storefront set still opens it on the cart page.
        let page = app
            .http
            .get(app.url("/gio-hang"))
            .header("cookie", format!("hj_cart={id}.{token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let page = page.text().await.unwrap();
        // Shoppers see a line as its product, colour and size, never its SKU.
        for line in now["lines"].as_array().unwrap() {
            let product = line["product"].as_str().unwrap();
            let name = line["name"]["vi"].as_str().unwrap();
            let quantity = line["quantity"].as_i64().unwrap();
            assert!(
                page.contains(&format!("href=\"/san-pham/{product}?color=")),
                "the cart page links to {product}"
            );
            assert!(page.contains(name), "the cart page shows {name}");
            assert!(
                page.contains(&format!(">{quantity}</output>")),
                "the cart page shows {quantity} of {name}"
            );
        }
    }
}

async fn assert_featured_intact(app: &TestApp, journey: &Value) {
    let (status, list) = app.get_json("/api/v1/products?per_page=100").await;
    assert_eq!(status, 200);
    assert!(
        list["total"].as_i64().unwrap() <= 100,
        "one page holds them all"
    );
    let mut featured: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["featured"] == true)
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    featured.sort_unstable();
    let then: Vec<&str> = journey["featured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(featured, then, "the same products are featured");

    let (status, home) = app.get_text("/").await;
    assert_eq!(status, 200);
    let mut shown: Vec<&str> = home
        .split("href=\"/san-pham/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(slug, _)| slug))
        .collect();
    shown.sort_unstable();
    let mut home_then: Vec<&str> = journey["home_featured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    home_then.sort_unstable();
    assert!(!home_then.is_empty());
    assert_eq!(shown, home_then, "the home page features the same products");
}

/// Asks for a one-time code for `order` with its buyer's email, sends the mail and reads the
/// code from it.
async fn lookup_code(app: &TestApp, order: &Value) -> String {
    let number = order["number"].as_str().unwrap();
    let email = order["buyer"]["email"].as_str().unwrap();
    let r = app
        .post_form(
            "/don-hang/tra-cuu",
            &[
                ("action", "send_code"),
                ("number", number),
                ("contact", email),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(app.send_mail().await, 1, "the code's email");
    // Orders placed before the order's language was recorded were placed in Vietnamese.
    let needle = format!("Mã tra cứu đơn hàng {number} của quý khách là:");
    let mail = crate::mailbox::mails(app)
        .into_iter()
        .find(|m| m.to == email && m.text.contains(&needle))
        .expect("an email with the code, to the order's buyer, in Vietnamese");
    crate::mailbox::code_in(&mail).expect("the code")
}

/// Checks out `cart`, filled before the upgrade, for a new buyer who gives news consent.
async fn checkout_left_cart(app: &TestApp, cart: &Value) -> Value {
    let r = app
        .http
        .post(app.url("/api/v1/checkout"))
        .header("x-cart-token", cart["token"].as_str().unwrap())
        .json(&json!({
            "cart_id": cart["id"],
            "email": "anh.pham@example.vn",
            "name": "Phạm Quốc Anh",
            "phone": "0977 123 456",
            "address": {"province_code": "01", "ward_code": "00008", "line": "Số 5 phố Đội Cấn"},
            "shipping_method": "standard",
            "payment_method": "bank_transfer",
            "consents": {"marketing": true, "suggestions": false},
            "expected_subtotal": cart["subtotal"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

/// A fixture file copied for the server: mode 0600, as the shop keeps its files (and the
/// key file must be: a checkout gives it the mode of any file).
fn copy_private(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(from, to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Loads a `pg_dump` script into the empty database at `url` with `psql`.
fn load_dump(url: &str, dump: &Path) {
    let text = std::fs::read_to_string(dump).unwrap();
    // pg_dump fences its output with `\restrict KEY` … `\unrestrict KEY`, which older psql
    // does not know; the fence guards against a hostile dump, and this one is ours.
    let script: String = text
        .lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .flat_map(|l| [l, "\n"])
        .collect();
    let mut psql = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql is installed");
    psql.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(
        psql.wait().unwrap().success(),
        "psql loads {}",
        dump.display()
    );
}

/// The migrations the database records as applied: version and success, in order.
async fn applied_migrations(url: &str) -> Vec<(i64, bool)> {
    let db = Db::open_existing(url, 1).await.unwrap();
    let applied = db.applied_migrations().await.unwrap();
    db.close().await;
    applied
}

/// The migrations this code carries for `backend`, in order: the `NNNN_` of each file in
/// its folder.
fn migrations(backend: Backend) -> Vec<i64> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../store/migrations")
        .join(backend.name());
    let mut versions: Vec<i64> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.split_once('_')?.0.parse::<i64>().ok()
        })
        .collect();
    versions.sort_unstable();
    assert!(versions.len() > 6, "migrations");
    versions
}

/// The fixture's carts were last touched when it was made, and the shop forgets a cart idle
/// for 30 days. So that the test reads as an upgrade soon after the journey however old the
/// fixture grows, their last activity moves to now, before the upgrade; nothing else changes.
async fn carts_touched_now(url: &str) {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let db = Db::open_existing(url, 1).await.unwrap();
    db.raw_execute("UPDATE carts SET updated_at = $1", &[now.into()])
        .await
        .unwrap();
    db.close().await;
}

/// Runs the `hanjinbi` command on the upgraded shop; returns its standard output, failing
/// the test when it exits non-zero.
fn hanjinbi(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(database_url)
        .arg("--key-file")
        .arg(dir.join("keys.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hanjinbi {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
