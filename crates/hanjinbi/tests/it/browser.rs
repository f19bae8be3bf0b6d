//! End-to-end journeys in headless Chromium: a visitor searches, opens a product, chooses a
//! colour and a size, puts two in the cart and sees the right subtotal; on a 390 px phone,
//! the product page and the cart fit the screen; and on both screens a buyer checks out by
//! bank transfer, sees the total change with the delivery method before ordering, and pays
//! with the order page's VietQR code, which ZBar reads from a screenshot of the page. Along
//! the way axe-core (`assets/axe.min.js`, see its `SOURCE.md`) checks every page the journey
//! passes (home, category, product, cart, checkout, order, privacy) for serious or critical
//! accessibility violations, and no page may be wider than the phone's screen.
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
/// The phone screen the pages must fit, in CSS pixels.
const PHONE_WIDTH: i64 = 390;

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

/// The screen a session shows pages on.
#[derive(Clone, Copy)]
enum Screen {
    Desktop,
    /// A 390 px wide phone (iPhone 12 to 15), through Chromium's mobile emulation.
    Phone,
}

/// A headless Chromium session for a Vietnamese visitor with a profile of its own.
async fn connect(driver: &Driver, chromium: &Path, profile: &Path, screen: Screen) -> Client {
    let mut capabilities = json!({
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
    if let Screen::Phone = screen {
        capabilities["goog:chromeOptions"]["mobileEmulation"] = json!({
            "deviceMetrics": { "width": PHONE_WIDTH, "height": 844, "pixelRatio": 3.0, "touch": true },
        });
    }
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
    // Read by a script rather than through an element handle: right after a form's redirect
    // the handle of the page before can go stale between finding it and reading it.
    let lang = client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("the page's language");
    assert_eq!(lang.as_str(), Some("vi"), "the page is in Vietnamese");
}

/// Search, open the first match, choose a colour and a size, add two, check the cart.
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

    // Nothing is chosen for the shopper; asking to add says what to choose, in the shop's
    // words, without leaving the page.
    assert!(
        client
            .find(Locator::Css(
                "input[name=color]:checked, input[name=size]:checked"
            ))
            .await
            .is_err(),
        "nothing preselected"
    );
    let add = find(client, "form[action='/gio-hang/them'] button[value=add]").await;
    assert_eq!(text_content(&add).await, "Thêm vào giỏ");
    add.click()
        .await
        .expect("press Thêm vào giỏ with nothing chosen");
    let problem = text_content(&find(client, "#choice-problem:not([hidden])").await).await;
    assert_eq!(problem, "Vui lòng chọn Màu sắc và Kích cỡ.");
    assert_eq!(
        client.current_url().await.expect("current URL").path(),
        product_url.path()
    );

    let (colour, size) = choose_colour_and_size(client).await;
    let (status, product) = app.get_json(&format!("/api/v1/products/{slug}")).await;
    assert_eq!(status, 200, "{product}");
    let price = product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["color"]["vi"] == colour.as_str() && v["size"] == size.as_str())
        .unwrap_or_else(|| panic!("{slug} has no {colour} / {size}: {product}"))["price"]
        .as_i64()
        .expect("a price in đồng");
    let shown = text_content(&find(client, "#choice-price").await).await;
    assert_eq!(
        shown,
        hanjinbi_domain::Dong(price).to_string(),
        "the option's price"
    );

    let quantity = find(client, "input#quantity").await;
    quantity.clear().await.expect("clear the quantity");
    quantity.send_keys("2").await.expect("type the quantity");
    find(client, "form[action='/gio-hang/them'] button[value=add]")
        .await
        .click()
        .await
        .expect("press Thêm vào giỏ");

    // Back on the product page, with a confirmation and the count in the header.
    let added = text_content(&find(client, ".notice.added").await).await;
    assert!(added.contains("Đã thêm vào giỏ"), "{added}");
    assert_eq!(
        client.current_url().await.expect("current URL").path(),
        product_url.path()
    );
    let count = text_content(&find(client, ".cart-link .cart-count").await).await;
    assert_eq!(count, "2");
    let label = text_content(&find(client, ".cart-link .visually-hidden").await).await;
    assert_eq!(label, "(2 sản phẩm)");

    find(client, ".notice.added a[href='/gio-hang']")
        .await
        .click()
        .await
        .expect("open the cart");
    wait_for_path(client, "/gio-hang").await;
    assert_vietnamese_page(client).await;
    let subtotal = text_content(&find(client, "#subtotal").await).await;
    assert_eq!(subtotal, hanjinbi_domain::Dong(2 * price).to_string());
    let cart = text_content(&find(client, "ul.cart-lines").await).await;
    assert!(cart.contains(&name), "the cart shows {name}: {cart}");
    assert!(cart.contains(&size), "the cart shows size {size}: {cart}");
    for variant in product["variants"].as_array().expect("variants") {
        let sku = variant["sku"].as_str().expect("a SKU");
        assert!(!cart.contains(sku), "the cart shows no SKU: {cart}");
    }
}

/// Picks the first colour that can be chosen, then the first size the script leaves
/// available in it; returns the colour's name and the size's label. A product with a single
/// colour or size shows it as a fact, read from the page instead.
async fn choose_colour_and_size(client: &Client) -> (String, String) {
    let colour = match client.find(Locator::Css("#colour-choice")).await {
        Ok(_) => {
            let label = find(client, "#colour-choice input:not([disabled]) + label").await;
            label.click().await.expect("choose a colour");
            text_content(&label).await
        }
        Err(_) => fixed_choice(client, 0).await,
    };
    let size = match client.find(Locator::Css("#size-choice")).await {
        Ok(_) => {
            let label = find(client, "#size-choice input:not([disabled]) + label").await;
            label.click().await.expect("choose a size");
            text_content(&label).await
        }
        Err(_) => fixed_choice(client, 1).await,
    };
    (colour, size)
}

/// The value of the page's `index`th fixed choice ("Màu sắc: Trắng").
async fn fixed_choice(client: &Client, index: usize) -> String {
    let facts = client
        .find_all(Locator::Css(".fixed-choice"))
        .await
        .expect("fixed choices");
    let fact = facts.get(index).expect("a fixed choice");
    let text = text_content(fact).await;
    text.split_once(':')
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or(text)
}

/// The page's width as laid out, in CSS pixels.
async fn layout_width(client: &Client) -> i64 {
    client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .expect("scrollWidth")
        .as_i64()
        .expect("a number")
}

/// On a 390 px phone: the product page and the cart (with a line in it) are no wider than the
/// screen, and "Xóa" and the quantity buttons are on it.
async fn shop_on_a_phone(app: &TestApp, client: &Client) {
    let product = "/san-pham/ao-khoac-gio-nam-2-lop";
    client
        .goto(&app.url(product))
        .await
        .expect("open a product");
    let viewport = client
        .execute("return window.innerWidth;", vec![])
        .await
        .expect("innerWidth")
        .as_i64()
        .expect("a number");
    assert_eq!(viewport, PHONE_WIDTH, "the phone's screen");
    assert!(
        layout_width(client).await <= PHONE_WIDTH,
        "the product page is {} px wide",
        layout_width(client).await
    );
    choose_colour_and_size(client).await;
    find(client, "form[action='/gio-hang/them'] button[value=buy]")
        .await
        .click()
        .await
        .expect("press Mua ngay");
    wait_for_path(client, "/thanh-toan").await;
    client
        .goto(&app.url("/gio-hang"))
        .await
        .expect("open the cart");
    find(client, "li.cart-line").await;
    assert!(
        layout_width(client).await <= PHONE_WIDTH,
        "the cart is {} px wide",
        layout_width(client).await
    );
    for control in [".line-remove button", ".stepper button[aria-label^='Tăng']"] {
        let right: f64 = client
            .execute(
                "return arguments[0].getBoundingClientRect().right;",
                vec![serde_json::to_value(find(client, control).await).expect("an element")],
            )
            .await
            .expect("a rectangle")
            .as_f64()
            .expect("a number");
        assert!(
            right <= PHONE_WIDTH as f64,
            "{control} ends at {right} px, off a {PHONE_WIDTH} px screen"
        );
    }
}

/// Runs `journey` in a fresh browser session, closing the session whatever happens.
async fn in_browser<F, Fut>(screen: Screen, journey: F)
where
    F: FnOnce(TestApp, Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let Some((chromedriver, chromium)) = browser_tools() else {
        return;
    };
    let app = spawn().await;
    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().expect("a browser profile folder");
    let client = connect(&driver, &chromium, profile.path(), screen).await;

    // The journey runs as its own task so that a failed assertion still lets us close the
    // session (and so the browser) before the failure is passed on.
    let outcome = tokio::spawn({
        let client = client.clone();
        async move {
            tokio::time::timeout(JOURNEY, journey(app, client))
                .await
                .unwrap_or_else(|_| panic!("the journey took longer than {JOURNEY:?}"));
        }
    })
    .await;
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

#[tokio::test]
async fn a_visitor_finds_a_jacket_and_puts_two_in_the_cart() {
    in_browser(Screen::Desktop, |app, client| async move {
        shop_for_a_jacket(&app, &client).await;
    })
    .await;
}

#[tokio::test]
async fn the_product_page_and_the_cart_fit_a_phone() {
    in_browser(Screen::Phone, |app, client| async move {
        shop_on_a_phone(&app, &client).await;
    })
    .await;
}

/// axe-core, injected into each page checked.
const AXE: &str = include_str!("assets/axe.min.js");

/// Runs axe-core on the page the browser shows and fails on any serious or critical
/// violation, naming the rule and the first element at fault.
async fn assert_accessible(client: &Client, page: &str) {
    client
        .execute(AXE, vec![])
        .await
        .unwrap_or_else(|e| panic!("load axe-core on {page}: {e}"));
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] })\
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact,\
                 help: v.help, nodes: v.nodes.length, first: v.nodes[0].target }))))\
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e) }]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("run axe-core on {page}: {e}"));
    let serious: Vec<_> = found
        .as_array()
        .expect("a list of violations")
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(
        serious.is_empty(),
        "{page}: serious accessibility violations: {}",
        serde_json::to_string_pretty(&serious).unwrap_or_default()
    );
}

/// On a phone, the page is no wider than the screen.
async fn assert_fits(client: &Client, screen: Screen, page: &str) {
    if let Screen::Phone = screen {
        let width = layout_width(client).await;
        if width > PHONE_WIDTH {
            // Name the elements that stick out, deepest first, so the failure says what to fix.
            let culprits = client
                .execute(
                    "return [...document.querySelectorAll('body *')]\
                       .filter(e => e.getBoundingClientRect().right > arguments[0])\
                       .reverse().slice(0, 5)\
                       .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +\
                         (e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/ +/g, '.') : '') +\
                         ' right=' + Math.round(e.getBoundingClientRect().right));",
                    vec![json!(PHONE_WIDTH)],
                )
                .await
                .expect("the elements that stick out");
            panic!("{page} is {width} px wide on a {PHONE_WIDTH} px phone: {culprits}");
        }
    }
}

/// Every check a page of the journey gets: accessible, and within the phone's screen.
async fn check_page(client: &Client, screen: Screen, page: &str) {
    assert_vietnamese_page(client).await;
    assert_fits(client, screen, page).await;
    assert_accessible(client, page).await;
}

/// Types into the search box above a picker until one choice is left, as a shopper would.
async fn pick_by_typing(client: &Client, select: &str, typed: &str, expected: &str) {
    let filter = find(
        client,
        &format!("input.picker-filter[aria-controls={select}]"),
    )
    .await;
    filter
        .send_keys(typed)
        .await
        .expect("type into the picker's search box");
    let deadline = Instant::now() + WAIT;
    loop {
        let chosen = client
            .execute(
                "const s = document.getElementById(arguments[0]);\
                 return s.selectedIndex > 0 ? s.options[s.selectedIndex].textContent : null;",
                vec![json!(select)],
            )
            .await
            .expect("the picker's choice");
        if chosen.as_str() == Some(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "typing {typed:?} above #{select} chose {chosen}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// From the home page to a placed order paid by bank transfer, checking each page.
async fn check_out_by_bank_transfer(app: &TestApp, client: &Client, screen: Screen) {
    client
        .goto(&app.url("/"))
        .await
        .expect("open the home page");
    check_page(client, screen, "home").await;
    client
        .goto(&app.url("/danh-muc/ao"))
        .await
        .expect("open a category");
    check_page(client, screen, "category").await;
    client
        .goto(&app.url("/san-pham/ao-khoac-gio-nam-2-lop"))
        .await
        .expect("open a product");
    check_page(client, screen, "product").await;
    choose_colour_and_size(client).await;
    find(client, "form[action='/gio-hang/them'] button[value=add]")
        .await
        .click()
        .await
        .expect("press Thêm vào giỏ");
    find(client, ".notice.added").await;
    client
        .goto(&app.url("/gio-hang"))
        .await
        .expect("open the cart");
    find(client, "li.cart-line").await;
    check_page(client, screen, "cart").await;
    find(client, "#to-checkout")
        .await
        .click()
        .await
        .expect("go to checkout");
    wait_for_path(client, "/thanh-toan").await;
    check_page(client, screen, "checkout").await;

    // The total follows the delivery method before anything is ordered.
    let subtotal = text_content(&find(client, "#checkout-subtotal").await).await;
    let standard_total = text_content(&find(client, "#checkout-total").await).await;
    let express = find(client, "#ship-express").await;
    let express_total = express
        .attr("data-total")
        .await
        .expect("data-total")
        .expect("the express total");
    assert_ne!(standard_total, express_total);
    find(client, "label[for=ship-express]")
        .await
        .click()
        .await
        .expect("choose express");
    assert_eq!(
        text_content(&find(client, "#checkout-total").await).await,
        express_total,
        "the total shows express delivery (subtotal {subtotal})"
    );

    for (id, value) in [
        ("email", "lan@example.vn"),
        ("name", "Nguyễn Thị Lan"),
        ("phone", "0912 345 678"),
        ("line", "Số 12 ngõ 34 Phố Huế"),
    ] {
        find(client, &format!("#{id}"))
            .await
            .send_keys(value)
            .await
            .expect("fill a field");
    }
    pick_by_typing(client, "province_code", "ho chi", "Thành phố Hồ Chí Minh").await;
    pick_by_typing(client, "ward_code", "phuong sai gon", "Phường Sài Gòn").await;
    find(client, "label[for=pay-bank_transfer]")
        .await
        .click()
        .await
        .expect("choose bank transfer");
    find(client, "button.place-order")
        .await
        .click()
        .await
        .expect("press Đặt hàng");

    let deadline = Instant::now() + WAIT;
    let number = loop {
        let url = client.current_url().await.expect("current URL");
        if let Some(number) = url.path().strip_prefix("/don-hang/") {
            break number.to_owned();
        }
        assert!(Instant::now() < deadline, "still on {url} after ordering");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        text_content(&find(client, ".notice.placed h1").await).await,
        "Đặt hàng thành công"
    );
    check_page(client, screen, "order").await;
    let amount = text_content(&find(client, "#transfer-amount").await).await;
    assert_eq!(amount, express_total, "the transfer is the order's total");
    assert_eq!(
        text_content(&find(client, "#transfer-reference").await).await,
        number
    );
    let cart_link = text_content(&find(client, ".cart-link").await).await;
    assert!(
        !cart_link.chars().any(|c| c.is_ascii_digit()),
        "the cart is empty: {cart_link}"
    );

    // The code on the screen, as a banking app's camera would see it.
    let code = find(client, ".vietqr svg").await;
    // A screenshot holds only what is on the screen: bring the whole code onto it first.
    client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&code).expect("an element")],
        )
        .await
        .expect("scroll to the code");
    let png = code.screenshot().await.expect("a screenshot of the code");
    if let Some(text) = crate::support::scan_png_qr(&png) {
        let read = hanjinbi_vietqr::decode(&text).expect("a VietQR payload");
        assert_eq!(read.bin().as_str(), "970436");
        assert_eq!(read.account().as_str(), "0071000123456");
        let paid = read.amount().expect("an amount").get();
        assert_eq!(
            hanjinbi_domain::Dong(i64::try_from(paid).expect("đồng")).to_string(),
            amount
        );
        assert_eq!(read.reference().map(|r| r.as_str()), Some(number.as_str()));
    }

    client
        .goto(&app.url("/chinh-sach-bao-mat"))
        .await
        .expect("open the privacy policy");
    check_page(client, screen, "privacy").await;
}

#[tokio::test]
async fn a_buyer_pays_by_bank_transfer_with_the_code_on_a_computer() {
    in_browser(Screen::Desktop, |app, client| async move {
        check_out_by_bank_transfer(&app, &client, Screen::Desktop).await;
    })
    .await;
}

#[tokio::test]
async fn a_buyer_pays_by_bank_transfer_with_the_code_on_a_phone() {
    in_browser(Screen::Phone, |app, client| async move {
        check_out_by_bank_transfer(&app, &client, Screen::Phone).await;
    })
    .await;
}

/// Fills the fields of the form the page shows, by id, and presses its submit button.
async fn submit_form(client: &Client, form: &str, fields: &[(&str, &str)]) {
    for (id, value) in fields {
        find(client, &format!("{form} #{id}"))
            .await
            .send_keys(value)
            .await
            .expect("fill a field");
    }
    find(client, &format!("{form} button[type=submit]"))
        .await
        .click()
        .await
        .expect("submit the form");
}

/// A buyer registers, confirms the address with the emailed link, buys, finds the order in
/// the account, gives and withdraws a consent, downloads their data and erases it all; every
/// page of it accessible and within a phone's screen.
async fn an_account_from_registration_to_erasure(app: &TestApp, client: &Client, screen: Screen) {
    const EMAIL: &str = "hanh.trinh@example.vn";
    const PASSWORD: &str = "một chuyến đi dài qua phố";
    client
        .goto(&app.url("/tai-khoan/dang-ky"))
        .await
        .expect("open registration");
    check_page(client, screen, "registration").await;
    submit_form(
        client,
        "form.account-form",
        &[("email", EMAIL), ("password", PASSWORD)],
    )
    .await;
    wait_for_path(client, "/tai-khoan/kiem-tra-email").await;
    check_page(client, screen, "check your email").await;

    app.send_mail().await;
    let before_link = crate::mailbox::mails(app);
    let link = before_link
        .iter()
        .find(|m| m.to == EMAIL)
        .and_then(crate::accounts::link_token_in)
        .expect("the verification email");
    client
        .goto(&app.url(&format!("/tai-khoan/xac-nhan?token={link}")))
        .await
        .expect("open the emailed link");
    check_page(client, screen, "confirmation").await;
    submit_form(client, "form.account-form", &[("password", PASSWORD)]).await;
    wait_for_path(client, "/tai-khoan").await;
    assert_eq!(
        text_content(&find(client, "#account-email").await).await,
        EMAIL
    );
    check_page(client, screen, "account").await;

    // A purchase with the account's address appears in the account.
    client
        .goto(&app.url("/san-pham/ao-khoac-gio-nam-2-lop"))
        .await
        .expect("open a product");
    choose_colour_and_size(client).await;
    find(client, "form[action='/gio-hang/them'] button[value=add]")
        .await
        .click()
        .await
        .expect("press Thêm vào giỏ");
    find(client, ".notice.added").await;
    client
        .goto(&app.url("/thanh-toan"))
        .await
        .expect("open checkout");
    for (id, value) in [
        ("email", EMAIL),
        ("name", "Trần Minh Hạnh"),
        ("phone", "0987 654 321"),
        ("line", "Số 5 đường Lê Lợi"),
    ] {
        find(client, &format!("#{id}"))
            .await
            .send_keys(value)
            .await
            .expect("fill a field");
    }
    pick_by_typing(client, "province_code", "ho chi", "Thành phố Hồ Chí Minh").await;
    pick_by_typing(client, "ward_code", "phuong sai gon", "Phường Sài Gòn").await;
    find(client, "button.place-order")
        .await
        .click()
        .await
        .expect("press Đặt hàng");
    let deadline = Instant::now() + WAIT;
    let number = loop {
        let url = client.current_url().await.expect("current URL");
        if let Some(number) = url.path().strip_prefix("/don-hang/") {
            break number.to_owned();
        }
        assert!(Instant::now() < deadline, "still on {url} after ordering");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    client
        .goto(&app.url("/tai-khoan"))
        .await
        .expect("open the account");
    let orders = text_content(&find(client, "table.account-orders").await).await;
    assert!(orders.contains(&number), "{orders}");

    // Give a consent, then withdraw it, one click each.
    client
        .goto(&app.url("/tai-khoan/dong-y"))
        .await
        .expect("open the consent centre");
    check_page(client, screen, "consent centre").await;
    find(client, "form[action='/tai-khoan/dong-y/marketing'] button")
        .await
        .click()
        .await
        .expect("give marketing");
    wait_for_path(client, "/tai-khoan/dong-y").await;
    find(
        client,
        "form[action='/tai-khoan/dong-y/marketing'] input[value=false]",
    )
    .await;
    find(client, "form[action='/tai-khoan/dong-y/marketing'] button")
        .await
        .click()
        .await
        .expect("withdraw marketing");
    wait_for_path(client, "/tai-khoan/dong-y").await;
    find(
        client,
        "form[action='/tai-khoan/dong-y/marketing'] input[value=true]",
    )
    .await;
    check_page(client, screen, "consent centre after withdrawal").await;

    // The data page, and the download holding the order.
    client
        .goto(&app.url("/tai-khoan/du-lieu"))
        .await
        .expect("open my data");
    check_page(client, screen, "my data").await;
    let export = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch('/tai-khoan/du-lieu/tai-ve?format=json').then(r => r.text()).then(done)\
               .catch(e => done('failed: ' + e));",
            vec![],
        )
        .await
        .expect("download the export");
    let export = export.as_str().expect("the export's text");
    assert!(
        export.contains(&number) && export.contains(EMAIL),
        "{export}"
    );

    // Erase everything, with the password again.
    client
        .goto(&app.url("/tai-khoan"))
        .await
        .expect("open the account");
    submit_form(
        client,
        "form[action='/tai-khoan/xoa']",
        &[("erase_password", PASSWORD)],
    )
    .await;
    find(client, "h1").await;
    check_page(client, screen, "erased").await;
    client
        .goto(&app.url("/tai-khoan"))
        .await
        .expect("open the account again");
    wait_for_path(client, "/tai-khoan/dang-nhap").await;
}

#[tokio::test]
async fn a_buyer_registers_buys_withdraws_a_consent_downloads_and_erases_on_a_computer() {
    in_browser(Screen::Desktop, |app, client| async move {
        an_account_from_registration_to_erasure(&app, &client, Screen::Desktop).await;
    })
    .await;
}

#[tokio::test]
async fn a_buyer_registers_buys_withdraws_a_consent_downloads_and_erases_on_a_phone() {
    in_browser(Screen::Phone, |app, client| async move {
        an_account_from_registration_to_erasure(&app, &client, Screen::Phone).await;
    })
    .await;
}
