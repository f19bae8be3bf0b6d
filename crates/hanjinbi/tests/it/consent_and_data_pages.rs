//! The consent centre (`/tai-khoan/dong-y`) and "my data" (`/tai-khoan/du-lieu`) through the
//! storefront's HTML, as a browser without JavaScript uses them: consent given and withdrawn
//! in one click each with the history in order, objections and restrictions set and lifted,
//! every refused change shown on the page with its status and nothing recorded, what the shop
//! holds and who opened it, and the export downloaded as JSON and as a ZIP of CSV files.

use crate::accounts::{verified_account, PASSWORD};
use crate::checkout::{buyer, checkout, count};
use crate::support::{cart_with, spawn, TestApp};
use hanjinbi_privacy::policy::{Language, Policy, PurposeId};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::io::Read;

const EMAIL: &str = "bich.ngoc@example.vn";

/// What a browser got back.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    fn location(&self) -> &str {
        self.header("location")
    }

    /// The value of the first input `name`.
    fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name} in the page"))
            + marker.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }

    /// The part of the page from the element with `id` to the end of its `</tag>`.
    fn element(&self, id: &str, tag: &str) -> &str {
        let at = self
            .body
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no element {id} in the page"));
        let end = at + self.body[at..].find(&format!("</{tag}>")).unwrap();
        &self.body[at..end]
    }
}

/// A browser signed in through the sign-in page: its own cookies, redirects not followed,
/// forms posted from this site.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    async fn signed_in(app: &TestApp, email: &str) -> Browser {
        let browser = Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
            base: app.url(""),
        };
        let r = browser
            .post(
                "/tai-khoan/dang-nhap",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", "/tai-khoan/dong-y"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), "/tai-khoan/dong-y");
        browser
    }

    async fn read(r: reqwest::Response) -> Page {
        Page {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        Self::read(r).await
    }

    /// A download: the status, the headers and the bytes.
    async fn download(&self, path: &str) -> (u16, HeaderMap, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.bytes().await.unwrap().to_vec())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("sec-fetch-site", "same-origin")
            .form(fields)
            .send()
            .await
            .unwrap();
        Self::read(r).await
    }

    /// Posts a button's form and follows the `303` back to the page it names.
    async fn click(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self.post(path, fields).await;
        assert_eq!(r.status, 303, "{path}: {}", r.body);
        assert_eq!(r.header("cache-control"), "no-store");
        let page = self.get(r.location()).await;
        assert_eq!(page.status, 200);
        page
    }
}

fn policy(app: &TestApp) -> &Policy {
    app.server.services.gate.policy()
}

fn label(app: &TestApp, purpose: PurposeId, language: Language) -> String {
    policy(app)
        .purpose(purpose)
        .label()
        .get(language)
        .to_owned()
}

/// The wording of a consent purpose, as a page holds it: none of them has a character that
/// HTML escapes, so the page has it as written.
fn wording(app: &TestApp, purpose: PurposeId, language: Language) -> String {
    let text = policy(app)
        .purpose(purpose)
        .consent_wording()
        .unwrap()
        .get(language)
        .to_owned();
    assert!(!text.contains(['<', '>', '&', '"', '\'']), "{text}");
    text
}

/// Places a guest order for `email` through the API; returns its number.
async fn guest_order(app: &TestApp, email: &str) -> String {
    let cart = cart_with(app, "AKG2L-DEN-M", 2).await;
    let r = checkout(app, &cart, buyer(email)).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    placed["number"].as_str().unwrap().to_owned()
}

/// The decisions of a purpose's history, newest first, as the rows of its table.
fn history(page: &Page, purpose: &str) -> Vec<String> {
    page.element(&format!("consent-{purpose}"), "section")
        .split("<tr class=\"decision\">")
        .skip(1)
        .map(|row| row[..row.find("</tr>").unwrap()].to_owned())
        .collect()
}

/// The consent centre as the API tells it, for the account's bearer session.
async fn api_centre(app: &TestApp, bearer: &str) -> Value {
    let r = app
        .http
        .get(app.url("/api/v1/me/consents"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

fn entry<'a>(list: &'a Value, purpose: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == purpose)
        .unwrap_or_else(|| panic!("{purpose} is listed"))
}

#[tokio::test]
async fn consent_is_given_and_withdrawn_in_one_click_each_and_the_history_keeps_both_in_order() {
    let app = spawn().await;
    // Boxes ticked at a guest checkout, before the address was confirmed, are the guest
    // record's: the account has answered nothing yet.
    guest_order(&app, EMAIL).await;
    let bearer = verified_account(&app, EMAIL).await;
    let browser = Browser::signed_in(&app, EMAIL).await;

    let account = browser.get("/tai-khoan").await;
    assert!(account
        .body
        .contains("<a href=\"/tai-khoan/dong-y\">Sự đồng ý của tôi</a>"));
    assert!(account
        .body
        .contains("<a href=\"/tai-khoan/du-lieu\">Dữ liệu của tôi</a>"));

    let page = browser.get("/tai-khoan/dong-y").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.body.contains("<h1>Sự đồng ý của tôi</h1>"));
    let version = policy(&app).version().to_owned();
    assert!(page.body.contains(&format!("phiên bản {version}")));
    for purpose in [PurposeId::Marketing, PurposeId::Suggestions] {
        let section = page.element(&format!("consent-{purpose}"), "section");
        assert!(
            section.contains(&label(&app, purpose, Language::Vi)),
            "{purpose}"
        );
        assert!(
            section.contains(&wording(&app, purpose, Language::Vi)),
            "{purpose}: {section}"
        );
        assert!(
            section.contains("<strong>Chưa trả lời</strong>"),
            "{purpose}"
        );
        assert!(section.contains("name=\"granted\" value=\"true\""));
        assert!(!section.contains("name=\"granted\" value=\"false\""));
        assert!(history(&page, purpose.code()).is_empty());
    }
    let csrf = page.input("csrf");

    let marketing = label(&app, PurposeId::Marketing, Language::Vi);
    let given = browser
        .click(
            "/tai-khoan/dong-y/marketing",
            &[("csrf", &csrf), ("granted", "true")],
        )
        .await;
    assert!(given
        .body
        .contains(&format!("Đã ghi nhận: quý khách đồng ý với “{marketing}”.")));
    let section = given.element("consent-marketing", "section");
    assert!(section.contains("<strong>Đã đồng ý</strong>"));
    assert!(section.contains("Quyết định lúc"));
    assert!(section.contains(&format!("<dd>{version}</dd>")));
    assert!(section.contains(&format!(
        "<q>{}</q>",
        wording(&app, PurposeId::Marketing, Language::Vi)
    )));
    assert!(section.contains("name=\"granted\" value=\"false\""));
    assert!(section.contains("Rút lại sự đồng ý"));
    assert_eq!(
        entry(&api_centre(&app, &bearer).await["consents"], "marketing")["state"],
        "granted"
    );

    let withdrawn = browser
        .click(
            "/tai-khoan/dong-y/marketing",
            &[("csrf", &csrf), ("granted", "false")],
        )
        .await;
    assert!(withdrawn.body.contains(&format!(
        "Đã ghi nhận: quý khách không đồng ý với “{marketing}”."
    )));
    let section = withdrawn.element("consent-marketing", "section");
    assert!(section.contains("<strong>Đã rút lại hoặc không đồng ý</strong>"));
    assert!(section.contains("name=\"granted\" value=\"true\""));
    assert!(section.contains("<summary>Lịch sử quyết định (2)</summary>"));
    let rows = history(&withdrawn, "marketing");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("Không đồng ý hoặc rút lại"),
        "newest first"
    );
    assert!(rows[1].contains("<td>Đồng ý</td>"), "{}", rows[1]);
    for row in &rows {
        assert!(row.contains("<td>Trang web</td>"), "{row}");
        assert!(row.contains(&format!("<td>{version}</td>")), "{row}");
        assert!(row.contains(&wording(&app, PurposeId::Marketing, Language::Vi)));
        assert!(row.contains("<time datetime=\""), "{row}");
    }
    // Suggestions were not touched.
    assert!(history(&withdrawn, "suggestions").is_empty());
    let api = api_centre(&app, &bearer).await;
    assert_eq!(entry(&api["consents"], "marketing")["state"], "withdrawn");
    assert_eq!(
        entry(&api["consents"], "suggestions")["state"],
        "never_asked"
    );
}

#[tokio::test]
async fn a_refused_change_comes_back_on_the_page_with_its_reason_and_records_nothing() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let browser = Browser::signed_in(&app, EMAIL).await;
    let page = browser.get("/tai-khoan/dong-y").await;
    let csrf = page.input("csrf");
    let before = (
        count(&app, "consents").await,
        count(&app, "processing_limits").await,
        count(&app, "rights_requests").await,
    );

    let refused = [
        (
            "/tai-khoan/dong-y/marketing",
            vec![("granted", "true")],
            403,
            "Biểu mẫu đã cũ hoặc không đến từ trang của cửa hàng.",
        ),
        (
            "/tai-khoan/dong-y/marketing",
            vec![("csrf", "not-the-token"), ("granted", "true")],
            403,
            "Biểu mẫu đã cũ hoặc không đến từ trang của cửa hàng.",
        ),
        (
            "/tai-khoan/phan-doi/suggestions",
            vec![("on", "true")],
            403,
            "Biểu mẫu đã cũ hoặc không đến từ trang của cửa hàng.",
        ),
        (
            "/tai-khoan/dong-y/no_such_purpose",
            vec![("csrf", csrf.as_str()), ("granted", "true")],
            404,
            "Chính sách bảo mật không có mục đích xử lý này.",
        ),
        (
            "/tai-khoan/dong-y/order_fulfilment",
            vec![("csrf", csrf.as_str()), ("granted", "false")],
            422,
            "Mục đích này không dựa trên sự đồng ý",
        ),
        (
            "/tai-khoan/han-che/legal_obligations",
            vec![("csrf", csrf.as_str()), ("on", "true")],
            422,
            "Pháp luật buộc cửa hàng xử lý dữ liệu cho mục đích này",
        ),
        (
            "/tai-khoan/phan-doi/legal_obligations",
            vec![("csrf", csrf.as_str()), ("on", "true")],
            422,
            "Pháp luật buộc cửa hàng xử lý dữ liệu cho mục đích này",
        ),
        (
            "/tai-khoan/dong-y/marketing",
            vec![("csrf", csrf.as_str()), ("granted", "yes")],
            400,
            "Biểu mẫu không cho biết quý khách chọn gì.",
        ),
    ];
    for (path, fields, status, message) in refused {
        let r = browser.post(path, &fields).await;
        assert_eq!(r.status, status, "{path} {fields:?}: {}", r.body);
        assert_eq!(r.header("cache-control"), "no-store");
        assert!(r.body.contains("<h1>Sự đồng ý của tôi</h1>"), "{path}");
        let alert = r.element("form-error", "div");
        assert!(alert.contains(message), "{path}: {alert}");
        assert!(
            r.body.contains("id=\"consent-marketing\""),
            "the page, whole"
        );
    }
    assert_eq!(
        (
            count(&app, "consents").await,
            count(&app, "processing_limits").await,
            count(&app, "rights_requests").await,
        ),
        before,
        "nothing recorded"
    );
    let api = api_centre(&app, &bearer).await;
    assert_eq!(entry(&api["consents"], "marketing")["state"], "never_asked");
    assert_eq!(entry(&api["limits"], "suggestions")["objected"], false);

    // Without a session: to the sign-in page, coming back here after.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/tai-khoan/dong-y", "/tai-khoan/du-lieu"] {
        let r = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            r.headers()["location"],
            format!("/tai-khoan/dang-nhap?next={path}").as_str()
        );
    }
    let r = stranger
        .post(app.url("/tai-khoan/dong-y/marketing"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", csrf.as_str()), ("granted", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(count(&app, "consents").await, before.0);
}

#[tokio::test]
async fn an_objection_and_a_restriction_show_as_set_and_are_lifted_in_one_click() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let browser = Browser::signed_in(&app, EMAIL).await;
    let page = browser.get("/tai-khoan/dong-y").await;
    let csrf = page.input("csrf");
    let limits = page.element("limits-heading", "section");
    assert!(limits.contains("cổng bảo mật của cửa hàng từ chối mọi việc dùng dữ liệu"));
    assert!(limits.contains("không đọc được thông tin giao hàng của các đơn"));
    // Every purpose the law does not require is listed; those it requires are not.
    for rule in policy(&app).purposes() {
        let listed = page.body.contains(&format!("id=\"limit-{}\"", rule.id()));
        assert_eq!(
            listed,
            rule.id() != PurposeId::LegalObligations,
            "{}",
            rule.id()
        );
    }
    let row = page.element("limit-suggestions", "tr");
    assert!(row.contains("action=\"/tai-khoan/phan-doi/suggestions\""));
    assert!(row.contains("name=\"on\" value=\"true\""));
    assert!(!row.contains("Đang áp dụng từ"));

    let suggestions = label(&app, PurposeId::Suggestions, Language::Vi);
    let objected = browser
        .click(
            "/tai-khoan/phan-doi/suggestions",
            &[("csrf", &csrf), ("on", "true")],
        )
        .await;
    assert!(objected.body.contains(&format!(
        "Đã ghi nhận phản đối của quý khách với “{suggestions}”."
    )));
    let row = objected.element("limit-suggestions", "tr");
    let objection =
        &row[row.find("class=\"objection\"").unwrap()..row.find("class=\"restriction\"").unwrap()];
    assert!(
        objection.contains("<strong>Đang áp dụng từ</strong>"),
        "{objection}"
    );
    assert!(objection.contains("Bỏ phản đối"));
    assert!(objection.contains("name=\"on\" value=\"false\""));
    let restriction = &row[row.find("class=\"restriction\"").unwrap()..];
    assert!(
        !restriction.contains("Đang áp dụng từ"),
        "only the objection"
    );
    assert_eq!(
        entry(&api_centre(&app, &bearer).await["limits"], "suggestions")["objected"],
        true
    );
    // Recorded as a request under the buyer's rights, answered at once.
    let data = browser.get("/tai-khoan/du-lieu").await;
    let requests = data.element("requests-heading", "section");
    assert!(
        requests.contains("<th scope=\"row\">Phản đối xử lý</th>"),
        "{requests}"
    );
    assert!(requests.contains("<td>Đã thực hiện</td>"));

    let lifted = browser
        .click(
            "/tai-khoan/phan-doi/suggestions",
            &[("csrf", &csrf), ("on", "false")],
        )
        .await;
    assert!(lifted
        .body
        .contains(&format!("Đã bỏ phản đối với “{suggestions}”.")));
    let row = lifted.element("limit-suggestions", "tr");
    assert!(!row.contains("Đang áp dụng từ"));
    assert!(row.contains("name=\"on\" value=\"true\""));
    assert_eq!(
        entry(&api_centre(&app, &bearer).await["limits"], "suggestions")["objected"],
        false
    );

    // In English, a restriction of order fulfilment, set and lifted.
    let english = browser.get("/tai-khoan/dong-y?lang=en").await;
    assert!(english.body.contains("<h1>My consents</h1>"));
    assert!(english
        .body
        .contains("stops the shop from reading the delivery details of your orders"));
    for purpose in [PurposeId::Marketing, PurposeId::Suggestions] {
        assert!(english
            .element(&format!("consent-{purpose}"), "section")
            .contains(&wording(&app, purpose, Language::En)));
    }
    let fulfilment = label(&app, PurposeId::OrderFulfilment, Language::En);
    let restricted = browser
        .click(
            "/tai-khoan/han-che/order_fulfilment",
            &[("csrf", &csrf), ("on", "true")],
        )
        .await;
    assert!(restricted
        .body
        .contains(&format!("Your restriction of “{fulfilment}” is recorded.")));
    let row = restricted.element("limit-order_fulfilment", "tr");
    let restriction = &row[row.find("class=\"restriction\"").unwrap()..];
    assert!(
        restriction.contains("<strong>In force since</strong>"),
        "{row}"
    );
    assert!(restriction.contains("Lift the restriction"));
    assert_eq!(
        entry(
            &api_centre(&app, &bearer).await["limits"],
            "order_fulfilment"
        )["restricted"],
        true
    );
    let lifted = browser
        .click(
            "/tai-khoan/han-che/order_fulfilment",
            &[("csrf", &csrf), ("on", "false")],
        )
        .await;
    assert!(lifted
        .element("limit-order_fulfilment", "tr")
        .contains("<td class=\"restriction\">None"));
    assert_eq!(
        entry(
            &api_centre(&app, &bearer).await["limits"],
            "order_fulfilment"
        )["restricted"],
        false
    );
}

#[tokio::test]
async fn a_grant_under_earlier_wording_shows_the_new_wording_and_asks_again() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let subject = app
        .server
        .services
        .accounts
        .session(&bearer)
        .await
        .unwrap()
        .account
        .subject_id;
    // A grant given under a version whose box said something else.
    let earlier = "Tôi đồng ý nhận thư quảng cáo.";
    app.server
        .services
        .db
        .raw_execute(
            "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, \
             channel, at, verified) VALUES ($1, 'marketing', $2, '2026-11-24', $3, 'web', 1, $4)",
            &[(&subject).into(), true.into(), earlier.into(), true.into()],
        )
        .await
        .unwrap();
    let browser = Browser::signed_in(&app, EMAIL).await;
    let page = browser.get("/tai-khoan/dong-y").await;
    let section = page.element("consent-marketing", "section");
    assert!(
        section.contains("<strong>Đã đồng ý</strong>"),
        "it still counts"
    );
    assert!(section.contains("<dd>2026-11-24</dd>"));
    assert!(
        section.contains(&format!("<q>{earlier}</q>")),
        "the words read then"
    );
    assert!(section.contains("Nội dung của mục đích này đã thay đổi"));
    let now = wording(&app, PurposeId::Marketing, Language::Vi);
    assert!(section.contains(&format!("<q class=\"consent-wording\">{now}</q>")));
    // Both answers are offered: agree to the new words, or withdraw.
    assert!(section.contains("Đồng ý với nội dung mới"));
    assert!(section.contains("name=\"granted\" value=\"true\""));
    assert!(section.contains("name=\"granted\" value=\"false\""));
    assert!(!page
        .element("consent-suggestions", "section")
        .contains("đã thay đổi"));

    let answered = browser
        .click(
            "/tai-khoan/dong-y/marketing",
            &[("csrf", &page.input("csrf")), ("granted", "true")],
        )
        .await;
    let section = answered.element("consent-marketing", "section");
    assert!(!section.contains("Nội dung của mục đích này đã thay đổi"));
    assert!(section.contains(&format!("<q>{now}</q>")));
    assert!(!section.contains("name=\"granted\" value=\"true\""));
    let rows = history(&answered, "marketing");
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].contains(&now) && rows[1].contains(earlier),
        "{rows:?}"
    );
}

/// The rows of `name` in the archive, the byte order mark dropped, with the header.
fn csv_rows(zip: &[u8], name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn the_data_page_lists_what_is_held_and_who_opened_it_and_downloads_it_all() {
    let app = spawn().await;
    let number = guest_order(&app, EMAIL).await;
    app.send_mail().await;
    let bearer = verified_account(&app, EMAIL).await;
    let browser = Browser::signed_in(&app, EMAIL).await;

    let page = browser.get("/tai-khoan/du-lieu").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.body.contains("<h1>Dữ liệu của tôi</h1>"));
    // What is held: the account's and the guest order's categories, with the policy's words.
    let policy = policy(&app);
    for category in [
        hanjinbi_privacy::policy::DataCategory::Contact,
        hanjinbi_privacy::policy::DataCategory::Identity,
        hanjinbi_privacy::policy::DataCategory::Address,
        hanjinbi_privacy::policy::DataCategory::Transaction,
    ] {
        let rule = policy.category(category);
        let section = page.element(&format!("category-{category}"), "section");
        assert!(section.contains(rule.label().vi()), "{category}");
        assert!(section.contains(rule.retention_reason().vi()), "{category}");
        assert!(
            section.contains(&label(&app, PurposeId::OrderFulfilment, Language::Vi)),
            "{category}"
        );
    }
    assert!(
        !page.body.contains("id=\"category-support\""),
        "nothing collects it"
    );
    assert!(
        !page.body.contains("{name}"),
        "the policy's words name the shop"
    );
    assert!(page.element("no-disclosures", "p").contains("Không ai."));
    // Who acted: the checkout that sealed the order's details, the mailer that opened them.
    let accesses = page.element("accesses-heading", "section").to_owned();
    assert!(accesses.contains("<td>Trang đặt hàng</td>"), "{accesses}");
    assert!(accesses.contains(&format!("Thông tin đặt hàng (đơn {number})")));
    assert!(accesses.contains("Hệ thống tự động (outbox-mailer)"));
    let answering = label(&app, PurposeId::AnsweringRequests, Language::Vi);
    let opened_by_buyer = |accesses: &str| {
        accesses
            .split("<tr class=\"access\">")
            .filter(|row| {
                row.contains("<td>Quý khách (đã đăng nhập)</td>")
                    && row.contains(&format!("<td>{answering}</td>"))
                    && row.contains("<td>mở</td>")
            })
            .count()
    };
    let opened_before = opened_by_buyer(&accesses);
    assert!(
        !page.body.contains(EMAIL.split('@').next().unwrap()),
        "no value shown"
    );
    assert!(page
        .body
        .contains("href=\"/tai-khoan/du-lieu/tai-ve?format=json\""));
    assert!(page
        .body
        .contains("href=\"/tai-khoan/du-lieu/tai-ve?format=csv\""));

    let (status, headers, json) = browser
        .download("/tai-khoan/du-lieu/tai-ve?format=json")
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"hanjinbi-du-lieu-cua-toi.json\""
    );
    assert_eq!(headers["cache-control"], "no-store");
    let document: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(document["profile"]["email"], EMAIL);
    let orders = document["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["number"], number.as_str());
    assert_eq!(orders[0]["buyer"]["email"], EMAIL);
    // The same document as the API's.
    let r = app
        .http
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let api: Value = r.json().await.unwrap();
    assert_eq!(api["orders"], document["orders"]);
    assert_eq!(api["profile"], document["profile"]);
    assert_eq!(api["consents"], document["consents"]);

    let (status, headers, zip) = browser
        .download("/tai-khoan/du-lieu/tai-ve?format=csv")
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"hanjinbi-du-lieu-cua-toi.zip\""
    );
    assert_eq!(headers["cache-control"], "no-store");
    let (header, rows) = csv_rows(&zip, "orders.csv");
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][at("number")], number);
    assert_eq!(rows[0][at("buyer_email")], EMAIL);
    let (_, profile) = csv_rows(&zip, "profile.csv");
    assert_eq!(profile[0][0], EMAIL);

    // The downloads were openings for answering the buyer's request, now on the page.
    let after = browser.get("/tai-khoan/du-lieu").await;
    let accesses = after.element("accesses-heading", "section");
    assert!(
        opened_by_buyer(accesses) >= opened_before + 2,
        "both downloads: {accesses}"
    );

    // A format that is not offered: the page again, with the reason.
    let r = browser.get("/tai-khoan/du-lieu/tai-ve?format=xml").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<h1>Dữ liệu của tôi</h1>"));
    assert!(r
        .element("form-error", "div")
        .contains("Định dạng không được hỗ trợ."));

    // In English.
    let english = browser.get("/tai-khoan/du-lieu?lang=en").await;
    assert_eq!(english.status, 200);
    assert!(english.body.contains("<h1>My data</h1>"));
    assert!(english.element("category-contact", "section").contains(
        policy
            .category(hanjinbi_privacy::policy::DataCategory::Contact)
            .label()
            .en()
    ));
    assert!(english.element("no-disclosures", "p").contains("No one."));
    assert!(english
        .element("accesses-heading", "section")
        .contains("<td>You (signed in)</td>"));
    assert!(english.body.contains("Download as a ZIP of CSV tables"));
}
