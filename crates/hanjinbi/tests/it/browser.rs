//! End-to-end journeys in headless Chromium: a visitor searches, opens a product, puts two of
//! it in the cart and sees the right subtotal.
//!
//! Needs Debian's `chromium` and `chromium-driver`. The driver is `HANJINBI_CHROMEDRIVER`, else
//! `/usr/bin/chromedriver`, else `chromedriver` on `PATH`; the browser is `HANJINBI_CHROMIUM`,
//! else `/usr/bin/chromium`. Without them the test says so and passes, except in CI
//! (`CI=true`), where it fails: nothing may be skipped there.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{spawn, TestApp};

/// The longest any one wait may take: a page, an element, the driver starting.
const WAIT: Duration = Duration::from_secs(20);
/// The longest the whole journey may take.
const JOURNEY: Duration = Duration::from_secs(120);
const INSTALL_HINT: &str = "apt-get install chromium chromium-driver";

fn find_chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HANJINBI_CHROMEDRIVER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let debian = PathBuf::from("/usr/bin/chromedriver");
    if debian.is_file() {
        return Some(debian);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("chromedriver"))
        .find(|path| path.is_file())
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("HANJINBI_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    path.is_file().then_some(path)
}

/// The driver and browser, or `None` after saying why the test is skipped. In CI a missing
/// one fails the test.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let missing = match (find_chromedriver(), find_chromium()) {
        (Some(driver), Some(browser)) => return Some((driver, browser)),
        (None, _) => "chromedriver not found",
        (Some(_), None) => "chromium not found",
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the browser test must run in CI, but {missing} ({INSTALL_HINT})");
    }
    eprintln!("skipping the browser test: {missing} ({INSTALL_HINT})");
    None
}

/// A chromedriver process of our own, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// Starts chromedriver on a free port and waits until it says it is ready.
async fn start_driver(path: &Path) -> Driver {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", path.display()));
    let mut driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = driver.child.try_wait().expect("chromedriver status") {
            panic!("chromedriver exited at start: {status}");
        }
        if let Ok(response) = http.get(format!("{}/status", driver.url)).send().await {
            if let Ok(body) = response.json::<serde_json::Value>().await {
                if body["value"]["ready"] == true {
                    return driver;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer on port {port} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A headless Chromium session for a Vietnamese visitor with a profile of its own.
async fn connect(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": { "intl.accept_languages": "vi-VN,vi" },
        },
        "timeouts": { "pageLoad": WAIT.as_millis(), "script": WAIT.as_millis(), "implicit": 0 },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("capabilities are a JSON object")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    tokio::time::timeout(
        WAIT,
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url),
    )
    .await
    .expect("a browser session within the time limit")
    .expect("a browser session")
}

/// Waits until the browser is on a page whose path is `path`.
async fn wait_for_path(client: &Client, path: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = client.current_url().await.expect("current URL");
        if url.path() == path {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still on {url} after {WAIT:?}, expected {path}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => element,
        Err(e) => panic!("no {css} on {:?}: {e}", client.current_url().await),
    }
}

async fn text_content(element: &fantoccini::elements::Element) -> String {
    element
        .prop("textContent")
        .await
        .expect("textContent")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

async fn assert_vietnamese_page(client: &Client) {
    let lang = find(client, "html").await.attr("lang").await.expect("lang");
    assert_eq!(lang.as_deref(), Some("vi"), "the page is in Vietnamese");
}

/// Search, open the first match, add two of the preselected variant, check the cart.
async fn shop_for_a_jacket(app: &TestApp, client: &Client) {
    client
        .goto(&app.url("/"))
        .await
        .expect("open the home page");
    assert_vietnamese_page(client).await;

    let search_box = find(client, "form.search input#q").await;
    search_box
        .send_keys("ao khoac")
        .await
        .expect("type a query");
    find(client, "form.search button[type=submit]")
        .await
        .click()
        .await
        .expect("press the search button");
    wait_for_path(client, "/tim-kiem").await;
    assert_vietnamese_page(client).await;

    let first = find(client, "li.card").await;
    let name = text_content(&first.find(Locator::Css("span.name")).await.expect("a name")).await;
    assert!(
        name.starts_with("Áo khoác"),
        "first result for \"ao khoac\" is {name:?}"
    );
    first
        .find(Locator::Css("a"))
        .await
        .expect("a link")
        .click()
        .await
        .expect("open the product");

    let product_url = {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = client.current_url().await.expect("current URL");
            if url.path().starts_with("/san-pham/") {
                break url;
            }
            assert!(Instant::now() < deadline, "still on {url} after {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let slug = product_url
        .path()
        .trim_start_matches("/san-pham/")
        .to_owned();
    assert_vietnamese_page(client).await;
    let heading = text_content(&find(client, "h1").await).await;
    assert_eq!(heading, name, "the product page is the one clicked");

    let sku = find(client, "input[name=sku]:checked")
        .await
        .attr("value")
        .await
        .expect("SKU")
        .expect("the checked variant has a SKU");
    let quantity = find(client, "input#quantity").await;
    quantity.clear().await.expect("clear the quantity");
    quantity.send_keys("2").await.expect("type the quantity");
    let add = find(client, "form[action='/gio-hang/them'] button[type=submit]").await;
    assert_eq!(text_content(&add).await, "Thêm vào giỏ");
    add.click().await.expect("press Thêm vào giỏ");

    wait_for_path(client, "/gio-hang").await;
    assert_vietnamese_page(client).await;

    let (status, product) = app.get_json(&format!("/api/v1/products/{slug}")).await;
    assert_eq!(status, 200, "{product}");
    let price = product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["sku"] == sku.as_str())
        .unwrap_or_else(|| panic!("{slug} has no variant {sku}: {product}"))["price"]
        .as_i64()
        .expect("a price in đồng");
    let subtotal = text_content(&find(client, "#subtotal").await).await;
    assert_eq!(subtotal, hanjinbi_domain::Dong(2 * price).to_string());
    let cart = text_content(&find(client, "table.cart").await).await;
    assert!(cart.contains(&sku), "the cart shows {sku}: {cart}");
}

#[tokio::test]
async fn a_visitor_finds_a_jacket_and_puts_two_in_the_cart() {
    let Some((chromedriver, chromium)) = browser_tools() else {
        return;
    };
    let app = spawn().await;
    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().expect("a browser profile folder");
    let client = connect(&driver, &chromium, profile.path()).await;

    // The journey runs as its own task so that a failed assertion still lets us close the
    // session (and so the browser) before the failure is passed on.
    let journey = tokio::spawn({
        let client = client.clone();
        async move {
            tokio::time::timeout(JOURNEY, shop_for_a_jacket(&app, &client))
                .await
                .unwrap_or_else(|_| panic!("the journey took longer than {JOURNEY:?}"));
        }
    });
    let outcome = journey.await;
    let closed = tokio::time::timeout(WAIT, client.close()).await;
    drop(driver);
    match outcome {
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        outcome => outcome.expect("the journey ran"),
    }
    closed
        .expect("the browser closed in time")
        .expect("the browser closed");
}
