//! Starting the real server on a random port against a fresh database.
//!
//! By default each test gets a new SQLite file in a temporary folder. With
//! `HANJINBI_TEST_DATABASE_URL=postgres://…` each test instead gets a new PostgreSQL database
//! created on that server, so the same tests pin both backends.

use hanjinbi::server::{RunningServer, ServerSettings};
use hanjinbi_domain::ShopInfo;
use rand::RngCore;
use serde_json::{json, Value};

pub struct TestApp {
    pub server: RunningServer,
    pub http: reqwest::Client,
    pub database_url: String,
    pub dir: tempfile::TempDir,
}

/// The PostgreSQL server to test against, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("HANJINBI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// A URL to a database nobody else uses.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| match postgres_admin_url() {
        None => eprintln!(
            "integration tests run on SQLite; set HANJINBI_TEST_DATABASE_URL=postgres://… to run \
             them on PostgreSQL"
        ),
        Some(_) => eprintln!("integration tests run on PostgreSQL (HANJINBI_TEST_DATABASE_URL)"),
    });
    match postgres_admin_url() {
        None => format!("sqlite://{}/shop.sqlite3", dir.display()),
        Some(admin) => {
            let name = format!("hj_test_{:016x}", rand::rng().next_u64());
            hanjinbi_store::testing::create_postgres_database(&admin, &name)
                .await
                .expect("create a test database")
        }
    }
}

pub async fn spawn_with(load_demo: bool, shop: ShopInfo) -> TestApp {
    spawn_tuned(load_demo, shop, |_| {}).await
}

/// A shop whose settings `tune` adjusts before it starts.
pub async fn spawn_tuned(
    load_demo: bool,
    shop: ShopInfo,
    tune: impl FnOnce(&mut ServerSettings),
) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary folder");
    let database_url = fresh_database(dir.path()).await;
    let mut settings = settings(&database_url, dir.path(), load_demo, shop);
    tune(&mut settings);
    let server = RunningServer::start(settings)
        .await
        .expect("the server starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("HTTP client");
    TestApp {
        server,
        http,
        database_url,
        dir,
    }
}

/// Server settings for a test: keys and mail in the test's own folder. No outbox worker
/// runs; tests send mail when they want with `send_mail()`.
pub fn settings(
    database_url: &str,
    dir: &std::path::Path,
    load_demo: bool,
    shop: ShopInfo,
) -> ServerSettings {
    ServerSettings {
        database_url: database_url.to_owned(),
        max_connections: 8,
        shop,
        load_demo,
        key_file: dir.join("keys.toml"),
        mail: hanjinbi_services::mail::MailSettings::Folder(dir.join("mail")),
        fees: hanjinbi_services::checkout::ShippingFees::default(),
        limits: hanjinbi_services::checkout::OrderLimits::default(),
        bank: Some(test_bank()),
        outbox_every: None,
        catalog_cache: std::time::Duration::ZERO,
        http: hanjinbi::server::HttpLimits::default().without_write_limit(),
    }
}

/// Units of `sku` in stock.
pub async fn stock(app: &TestApp, sku: &str) -> i64 {
    app.server
        .services
        .db
        .raw_one("SELECT stock FROM variants WHERE sku = $1", &[sku.into()])
        .await
        .unwrap()
}

/// Sets the stock of `sku`.
pub async fn set_stock(app: &TestApp, sku: &str, stock: i64) {
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE variants SET stock = $1 WHERE sku = $2",
            &[stock.into(), sku.into()],
        )
        .await
        .unwrap();
}

/// The account the test shop takes bank transfers on (Vietcombank's BIN).
pub fn test_bank() -> hanjinbi_services::payments::BankTransferAccount {
    hanjinbi_services::payments::BankTransferAccount::parse(
        "970436",
        "0071000123456",
        "CONG TY TNHH HANJINBI",
        None,
    )
    .unwrap()
}

/// The shop with the demo catalog.
pub async fn spawn() -> TestApp {
    spawn_with(true, ShopInfo::default()).await
}

impl TestApp {
    /// Stops this server and starts a new one on the same database, key file and mail
    /// folder; the HTTP client (and its cookies) carries over.
    pub async fn restart(self) -> TestApp {
        let TestApp {
            server,
            http,
            database_url,
            dir,
        } = self;
        server.stop().await.expect("the server stops");
        let server = RunningServer::start(settings(
            &database_url,
            dir.path(),
            false,
            ShopInfo::default(),
        ))
        .await
        .expect("the server starts again");
        TestApp {
            server,
            http,
            database_url,
            dir,
        }
    }

    /// Sends every due email now; returns how many went out.
    pub async fn send_mail(&self) -> usize {
        self.server
            .services
            .notifier
            .send_due()
            .await
            .expect("outbox pass")
    }

    /// The emails written so far, as raw `.eml` text.
    pub fn mails(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON body"))
    }

    /// Posts a storefront form as a browser on this site would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("sec-fetch-site", "same-origin")
            .form(fields)
            .send()
            .await
            .expect("POST")
    }
}

/// Asserts a problem+json answer with `status` and `code`, returning the body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        content_type, "application/problem+json",
        "content type for {code}"
    );
    let body: serde_json::Value = response.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// A new cart holding `quantity` of `sku`, made through the API: its id and token.
pub async fn cart_with(app: &TestApp, sku: &str, quantity: i64) -> (String, String) {
    let body: Value = app
        .http
        .post(app.url("/api/v1/carts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    let token = body["token"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(app.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", &token)
        .json(&json!({"sku": sku, "quantity": quantity}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    (id, token)
}

/// A cart as the API shows it.
pub async fn cart_json(app: &TestApp, id: &str, token: &str) -> Value {
    app.http
        .get(app.url(&format!("/api/v1/carts/{id}")))
        .header("x-cart-token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Whether `tool` can be run; a missing tool is a visible skip, except in CI (`CI=true`),
/// where `.ci/run` installs it and its absence fails the test.
fn qr_tool_present(tool: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} not found, and CI=true: .ci/run must install it"
        );
        eprintln!("skipped: {tool} not found, the QR code was not scanned");
    }
    found
}

/// The text the QR code in a PNG image holds, read by ZBar's `zbarimg`: a reader written by
/// others, not our own decoder. `None` when zbarimg is missing outside CI.
pub fn scan_png_qr(png: &[u8]) -> Option<String> {
    if !qr_tool_present("zbarimg") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("code.png");
    std::fs::write(&path, png).expect("write the PNG");
    let scanned = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output()
        .expect("run zbarimg");
    assert!(
        scanned.status.success(),
        "zbarimg found no code in the image"
    );
    Some(
        String::from_utf8(scanned.stdout)
            .expect("the code holds text")
            .trim_end_matches('\n')
            .to_owned(),
    )
}

/// The text the QR code in an SVG image holds: `rsvg-convert` turns it into a PNG, which
/// [`scan_png_qr`] reads. `None` when a tool is missing outside CI.
pub fn scan_svg_qr(svg: &str) -> Option<String> {
    if !qr_tool_present("rsvg-convert") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let svg_path = dir.path().join("code.svg");
    let png_path = dir.path().join("code.png");
    std::fs::write(&svg_path, svg).expect("write the SVG");
    let converted = std::process::Command::new("rsvg-convert")
        .arg("--width=480")
        .arg("--background-color=white")
        .arg("--output")
        .arg(&png_path)
        .arg(&svg_path)
        .status()
        .expect("run rsvg-convert");
    assert!(converted.success(), "rsvg-convert failed");
    scan_png_qr(&std::fs::read(&png_path).expect("read the PNG"))
}
