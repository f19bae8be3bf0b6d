//! Buyer accounts through the storefront's HTML forms, as a browser without JavaScript uses
//! them: registering and confirming by the emailed link, the account page with the guest
//! orders placed with the address, changing and resetting the password, signing out here
//! and everywhere, and every failure shown on its form with the right status.

use crate::checkout::{buyer, checkout};
use crate::mailbox;
use crate::support::{cart_with, spawn, TestApp};
use reqwest::header::HeaderMap;

const PASSWORD: &str = "mưa rơi trên phố cổ Hội An";
const NEW_PASSWORD: &str = "gió thổi qua cầu Trường Tiền";

/// What a browser got back.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    /// The session token this answer sets, if it sets one.
    fn session_set(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("hj_session="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .filter(|token| !token.is_empty())
    }

    /// Whether this answer removes the session cookie.
    fn session_cleared(&self) -> bool {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("hj_session=;") && c.contains("Max-Age=0"))
    }

    /// The value of the hidden (or other) input `name`, HTML-escaped as the page has it.
    fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name} in the page"))
            + marker.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

/// A browser: its own cookies, redirects not followed, forms posted from this site.
#[derive(Clone)]
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    /// The test app's own client.
    fn of(app: &TestApp) -> Browser {
        Browser {
            http: app.http.clone(),
            base: app.url(""),
        }
    }

    /// Another browser, on another device.
    fn another(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
            base: app.url(""),
        }
    }

    async fn read(r: reqwest::Response) -> Page {
        Page {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        Self::read(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(
            self.http
                .post(format!("{}{path}", self.base))
                .header("sec-fetch-site", "same-origin")
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// A client holding nothing but the session cookie it is given.
async fn get_with_session(app: &TestApp, path: &str, session: &str) -> Page {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", format!("hj_session={session}"))
        .send()
        .await
        .unwrap();
    Browser::read(r).await
}

/// Sends what is due, then the path and query of every link to `path` emailed to `to`.
async fn links_to(app: &TestApp, to: &str, path: &str) -> Vec<String> {
    app.send_mail().await;
    mailbox::mails(app)
        .iter()
        .filter(|m| m.to == to)
        .filter_map(|m| {
            let at = m.text.find(&format!("{path}?token="))?;
            Some(m.text[at..].split_whitespace().next()?.to_owned())
        })
        .collect()
}

/// The one link to `path` emailed to `to`.
async fn link_to(app: &TestApp, to: &str, path: &str) -> String {
    let links = links_to(app, to, path).await;
    assert_eq!(links.len(), 1, "one link to {path} for {to}: {links:?}");
    links[0].clone()
}

/// Registers `email` through the forms, confirms it with the emailed link, and returns the
/// session the confirmation started.
async fn sign_up(app: &TestApp, browser: &Browser, email: &str) -> String {
    assert_eq!(browser.get("/tai-khoan/dang-ky").await.status, 200);
    let r = browser
        .post(
            "/tai-khoan/dang-ky",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let link = link_to(app, email, "/tai-khoan/xac-nhan").await;
    let form = browser.get(&link).await;
    assert_eq!(form.status, 200);
    let r = browser
        .post(
            "/tai-khoan/xac-nhan",
            &[("token", &form.input("token")), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/tai-khoan");
    r.session_set().expect("a session cookie")
}

/// Places a guest order for `email` through the API; returns its number.
async fn guest_order(app: &TestApp, email: &str) -> String {
    let cart = cart_with(app, "AKG2L-DEN-M", 2).await;
    let r = checkout(app, &cart, buyer(email)).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: serde_json::Value = r.json().await.unwrap();
    placed["number"].as_str().unwrap().to_owned()
}

/// The `<form>` posting to `action` in `page`.
fn form<'a>(page: &'a str, action: &str) -> &'a str {
    let at = page
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let start = page[..at].rfind("<form").unwrap();
    let end = at + page[at..].find("</form>").unwrap();
    &page[start..end]
}

fn assert_private(page: &Page) {
    assert_eq!(page.header("cache-control"), "no-store");
}

fn assert_token_page(page: &Page) {
    assert_private(page);
    assert_eq!(page.header("referrer-policy"), "same-origin");
}

#[tokio::test]
async fn a_buyer_registers_confirms_and_finds_the_guest_order_placed_before() {
    let app = spawn().await;
    let browser = Browser::of(&app);
    let email = "thu.ha@example.vn";
    let number = guest_order(&app, email).await;

    // Not signed in: the account sends to the sign-in page, which comes back to it.
    let r = browser.get("/tai-khoan").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan/dang-nhap?next=/tai-khoan");
    let home = browser.get("/").await;
    assert!(home
        .body
        .contains("<a class=\"account-link\" href=\"/tai-khoan\">Tài khoản</a>"));

    let page = browser.get("/tai-khoan/dang-ky").await;
    assert_eq!(page.status, 200);
    assert_private(&page);
    let register = form(&page.body, "/tai-khoan/dang-ky");
    assert!(register.contains("method=\"post\""));
    assert!(register.contains("novalidate"));
    assert!(register.contains("<label for=\"email\">Email</label>"));
    assert!(register.contains("autocomplete=\"email\""));
    assert!(register.contains("autocomplete=\"new-password\""));
    assert!(register.contains("Ít nhất 10 ký tự; một câu ngắn sẽ dễ nhớ."));
    assert!(register.contains("aria-describedby=\"password-hint\""));

    let r = browser
        .post(
            "/tai-khoan/dang-ky",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    let sent = browser.get(r.location()).await;
    assert_eq!(sent.status, 200);
    assert!(sent.body.contains("Vui lòng kiểm tra email"));
    assert!(sent
        .body
        .contains("Hãy mở liên kết trong email để tiếp tục."));

    // The emailed link opens a form asking for the password, the token in a hidden field.
    let link = link_to(&app, email, "/tai-khoan/xac-nhan").await;
    let confirm = browser.get(&link).await;
    assert_eq!(confirm.status, 200);
    assert_token_page(&confirm);
    let token = confirm.input("token");
    assert!(link.ends_with(&token), "{link} carries {token}");
    let fields = form(&confirm.body, "/tai-khoan/xac-nhan");
    assert!(fields.contains("type=\"hidden\" name=\"token\""));
    assert!(fields.contains("autocomplete=\"current-password\""));

    // The wrong password: the form again, the token kept, the password not.
    let wrong = "không phải mật khẩu này";
    let r = browser
        .post(
            "/tai-khoan/xac-nhan",
            &[("token", &token), ("password", wrong)],
        )
        .await;
    assert_eq!(r.status, 401);
    assert_token_page(&r);
    assert!(r.body.contains("Email hoặc mật khẩu chưa đúng."));
    assert!(r.body.contains("<a href=\"#password\">"));
    assert!(r.body.contains("aria-describedby=\"password-error\""));
    assert!(!r.body.contains(wrong));
    assert_eq!(r.input("token"), token);

    let r = browser
        .post(
            "/tai-khoan/xac-nhan",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan");
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("hj_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!r.body.contains(PASSWORD));

    // The account: the address, when it was registered and confirmed, the guest order.
    let account = browser.get("/tai-khoan").await;
    assert_eq!(account.status, 200);
    assert_private(&account);
    assert!(account.body.contains("Đang đăng nhập với"));
    assert!(account.body.contains(email));
    assert!(account.body.contains("Xác nhận email lúc"));
    assert!(account.body.contains("(giờ Việt Nam)"));
    assert!(account
        .body
        .contains("Tài khoản đang đăng nhập trên 1 thiết bị"));
    let order_link = format!("href=\"/don-hang/{number}?token=");
    let at = account
        .body
        .find(&order_link)
        .expect("the order links its page")
        + 6;
    let order_href = account.body[at..].split('"').next().unwrap().to_owned();
    let row = &account.body[at..at + account.body[at..].find("</tr>").unwrap()];
    assert!(row.contains("Đã đặt hàng"), "{row}");
    assert!(row.contains("<td class=\"num\">2</td>"), "two items: {row}");
    assert!(row.contains('₫'), "{row}");
    let order = browser.get(&order_href).await;
    assert_eq!(order.status, 200);
    assert!(order.body.contains(&number));
    for action in [
        "/tai-khoan/mat-khau",
        "/tai-khoan/dang-xuat",
        "/tai-khoan/dang-xuat-moi-noi",
    ] {
        let f = form(&account.body, action);
        assert!(f.contains("method=\"post\""), "{action}");
        assert!(f.contains("name=\"csrf\" value=\""), "{action}");
    }
    assert!(account.body.contains("Đăng xuất khỏi mọi thiết bị"));

    // The link worked once.
    let r = browser
        .post(
            "/tai-khoan/xac-nhan",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 410);
    assert!(r.body.contains("Liên kết đã được dùng."));
}

#[tokio::test]
async fn a_changed_password_ends_the_old_session_and_signs_in_after_sign_out() {
    let app = spawn().await;
    let browser = Browser::of(&app);
    let email = "minh.anh@example.vn";
    // In English: the language chosen once is kept by the forms that follow.
    assert_eq!(browser.get("/tai-khoan/dang-ky?lang=en").await.status, 200);
    let old_session = sign_up(&app, &browser, email).await;
    let links = links_to(&app, email, "/tai-khoan/xac-nhan").await;
    assert!(links[0].ends_with("&lang=en"), "{links:?}");

    let account = browser.get("/tai-khoan").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("<h1>Your account</h1>"));
    assert!(account.body.contains("Signed in as"));
    assert!(account
        .body
        .contains("No orders have been placed with this email address yet."));
    assert!(account
        .body
        .contains("<a class=\"account-link\" href=\"/tai-khoan\">Account</a>"));
    let csrf = account.input("csrf");
    let change = form(&account.body, "/tai-khoan/mat-khau");
    assert!(change.contains("autocomplete=\"current-password\""));
    assert!(change.contains("autocomplete=\"new-password\""));

    // A wrong current password: 401 beside it; neither password comes back.
    let r = browser
        .post(
            "/tai-khoan/mat-khau",
            &[
                ("csrf", &csrf),
                ("current_password", "not the password at all"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r
        .body
        .contains("The email address or the password is wrong."));
    assert!(r.body.contains("<a href=\"#current_password\">"));
    assert!(r.body.contains("id=\"current_password-error\""));
    assert!(!r.body.contains("not the password at all"));
    assert!(!r.body.contains(NEW_PASSWORD));
    // Too short a new one: 422 beside it.
    let r = browser
        .post(
            "/tai-khoan/mat-khau",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("The password needs at least 10 characters."));
    assert!(r
        .body
        .contains("aria-describedby=\"new_password-hint new_password-error\""));
    assert!(!r.body.contains(PASSWORD));

    let r = browser
        .post(
            "/tai-khoan/mat-khau",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan?changed=1");
    let new_session = r.session_set().expect("a new session");
    assert_ne!(new_session, old_session);
    let account = browser.get(r.location()).await;
    assert_eq!(account.status, 200);
    assert!(account
        .body
        .contains("Your password has been changed. Other devices have been signed out."));

    // The session from before the change opens nothing; the stale cookie is removed.
    let old = get_with_session(&app, "/tai-khoan", &old_session).await;
    assert_eq!(old.status, 303);
    assert!(old.location().starts_with("/tai-khoan/dang-nhap"));
    assert!(old.session_cleared());
    assert_eq!(
        get_with_session(&app, "/tai-khoan", &new_session)
            .await
            .status,
        200
    );

    // Signing out: the cookie goes, and the session with it.
    let r = browser
        .post("/tai-khoan/dang-xuat", &[("csrf", &account.input("csrf"))])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/");
    assert!(r.session_cleared());
    assert_eq!(browser.get("/tai-khoan").await.status, 303);
    assert_eq!(
        get_with_session(&app, "/tai-khoan", &new_session)
            .await
            .status,
        303
    );

    // The old password: 401 on the form, the address kept, the password not.
    let sign_in = browser.get("/tai-khoan/dang-nhap?next=/tai-khoan").await;
    assert_eq!(sign_in.status, 200);
    assert!(sign_in.body.contains("Forgot your password?"));
    assert!(sign_in.body.contains("href=\"/tai-khoan/quen-mat-khau\""));
    assert_eq!(sign_in.input("next"), "/tai-khoan");
    let r = browser
        .post(
            "/tai-khoan/dang-nhap",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("next", "/tai-khoan"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r
        .body
        .contains("The email address or the password is wrong."));
    assert!(r.body.contains(&format!("value=\"{email}\"")));
    assert!(!r.body.contains(PASSWORD));
    assert!(r.session_set().is_none());

    // The new one signs in, and goes on to a page of this site only.
    let r = browser
        .post(
            "/tai-khoan/dang-nhap",
            &[
                ("email", email),
                ("password", NEW_PASSWORD),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan");
    assert!(r.session_set().is_some());
    let r = browser
        .post(
            "/tai-khoan/dang-nhap",
            &[
                ("email", email),
                ("password", NEW_PASSWORD),
                ("next", "/gio-hang"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/gio-hang");
    let account = browser.get("/tai-khoan").await;
    assert_eq!(account.status, 200);
    // The sign-in replaced the session this browser held: one device, not two.
    assert!(account
        .body
        .contains("Your account is signed in on 1 device (this one)."));
}

#[tokio::test]
async fn signing_out_everywhere_needs_this_sessions_form_token() {
    let app = spawn().await;
    let phone = Browser::of(&app);
    let laptop = Browser::another(&app);
    let email = "quoc.bao@example.vn";
    sign_up(&app, &phone, email).await;
    let r = laptop
        .post(
            "/tai-khoan/dang-nhap",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    let laptops_form_token = laptop.get("/tai-khoan").await.input("csrf");
    let account = phone.get("/tai-khoan").await;
    assert!(account.body.contains("trên 2 thiết bị"));
    let phones_form_token = account.input("csrf");
    assert_ne!(phones_form_token, laptops_form_token);

    // Without the form token, or with another session's: refused, and nothing changes.
    for fields in [vec![], vec![("csrf", laptops_form_token.as_str())]] {
        let r = phone.post("/tai-khoan/dang-xuat-moi-noi", &fields).await;
        assert_eq!(r.status, 403);
        assert!(r
            .body
            .contains("Biểu mẫu đã cũ hoặc không đến từ trang của cửa hàng."));
        assert!(!r.session_cleared());
        let r = phone.post("/tai-khoan/dang-xuat", &fields).await;
        assert_eq!(r.status, 403);
        let mut change = fields.clone();
        change.extend([
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ]);
        assert_eq!(phone.post("/tai-khoan/mat-khau", &change).await.status, 403);
    }
    for browser in [&phone, &laptop] {
        let account = browser.get("/tai-khoan").await;
        assert_eq!(account.status, 200);
        assert!(account.body.contains("trên 2 thiết bị"));
    }
    let r = phone
        .post(
            "/tai-khoan/dang-nhap",
            &[("email", email), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 401, "the password did not change");

    // With it: every session ends, the other device's too.
    let r = phone
        .post(
            "/tai-khoan/dang-xuat-moi-noi",
            &[("csrf", &phones_form_token)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan/dang-nhap");
    assert!(r.session_cleared());
    for browser in [&phone, &laptop] {
        let r = browser.get("/tai-khoan").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.location(), "/tai-khoan/dang-nhap?next=/tai-khoan");
    }
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_link_that_works_once() {
    let app = spawn().await;
    let browser = Browser::of(&app);
    let email = "lan.chi@example.vn";
    let session = sign_up(&app, &browser, email).await;

    let forgot = browser.get("/tai-khoan/quen-mat-khau").await;
    assert_eq!(forgot.status, 200);
    assert!(form(&forgot.body, "/tai-khoan/quen-mat-khau").contains("autocomplete=\"email\""));
    let r = browser
        .post("/tai-khoan/quen-mat-khau", &[("email", "not an address")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("<a href=\"#email\">"));
    assert!(r.body.contains("value=\"not an address\""));

    // An address without an account and one with: the same answer, one email.
    let stranger = "nobody@example.vn";
    let r = browser
        .post("/tai-khoan/quen-mat-khau", &[("email", stranger)])
        .await;
    assert_eq!(r.status, 303);
    let for_stranger = r.location().to_owned();
    let r = browser
        .post("/tai-khoan/quen-mat-khau", &[("email", email)])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), for_stranger);
    let sent = browser.get(&for_stranger).await;
    assert!(sent
        .body
        .contains("Nếu địa chỉ này có tài khoản, chúng tôi đã gửi tới đó một liên kết"));
    assert!(links_to(&app, stranger, "/tai-khoan/dat-lai-mat-khau")
        .await
        .is_empty());
    let link = link_to(&app, email, "/tai-khoan/dat-lai-mat-khau").await;

    let reset = browser.get(&link).await;
    assert_eq!(reset.status, 200);
    assert_token_page(&reset);
    let token = reset.input("token");
    assert!(
        form(&reset.body, "/tai-khoan/dat-lai-mat-khau").contains("autocomplete=\"new-password\"")
    );
    let r = browser
        .post(
            "/tai-khoan/dat-lai-mat-khau",
            &[("token", &token), ("password", "1234567890")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_token_page(&r);
    assert!(r.body.contains("Mật khẩu này quá phổ biến"));
    assert!(r.body.contains("id=\"password-error\""));
    assert!(!r.body.contains("1234567890"));

    let r = browser
        .post(
            "/tai-khoan/dat-lai-mat-khau",
            &[("token", &token), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan/dang-nhap?reset=1");
    let sign_in = browser.get(r.location()).await;
    assert!(sign_in
        .body
        .contains("Đã đổi mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới."));
    // Every session ended with the reset.
    assert_eq!(
        get_with_session(&app, "/tai-khoan", &session).await.status,
        303
    );

    let r = browser
        .post(
            "/tai-khoan/dang-nhap",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Email hoặc mật khẩu chưa đúng."));
    let r = browser
        .post(
            "/tai-khoan/dang-nhap",
            &[("email", email), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/tai-khoan");

    // The link again: gone.
    let r = browser
        .post(
            "/tai-khoan/dat-lai-mat-khau",
            &[("token", &token), ("password", "một mật khẩu khác hẳn")],
        )
        .await;
    assert_eq!(r.status, 410);
    assert_token_page(&r);
    assert!(r.body.contains("Liên kết đã được dùng."));
    assert!(r.body.contains("href=\"/tai-khoan/quen-mat-khau\""));
    let r = browser
        .post(
            "/tai-khoan/dat-lai-mat-khau",
            &[("token", "not-a-token"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn bad_forms_come_back_with_the_reason_and_guessing_is_slowed() {
    let app = spawn().await;
    let browser = Browser::of(&app);

    let r = browser
        .post(
            "/tai-khoan/dang-ky?lang=en",
            &[("email", "lan at home"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Please correct the following:"));
    assert!(r
        .body
        .contains("<a href=\"#email\">This is not an email address"));
    assert!(r.body.contains("aria-describedby=\"email-error\""));
    assert!(!r.body.contains(PASSWORD));
    let r = browser
        .post(
            "/tai-khoan/dang-ky?lang=vi",
            &[("email", "an@example.vn"), ("password", "hoasen99")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Mật khẩu cần ít nhất 10 ký tự."));
    assert!(r.body.contains("<a href=\"#password\">"));
    assert!(r.body.contains("value=\"an@example.vn\""));
    assert!(!r.body.contains("hoasen99"));

    // Registered, not confirmed: the right password says what is missing.
    let r = browser
        .post(
            "/tai-khoan/dang-ky",
            &[("email", "an@example.vn"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = browser
        .post(
            "/tai-khoan/dang-nhap",
            &[("email", "an@example.vn"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Địa chỉ email chưa được xác nhận."));

    // Guessing one address's password: slowed down on the form, with Retry-After.
    let mut last = None;
    for _ in 0..12 {
        let r = browser
            .post(
                "/tai-khoan/dang-nhap",
                &[
                    ("email", "guess@example.vn"),
                    ("password", "đoán thử mật khẩu"),
                ],
            )
            .await;
        if r.status != 401 {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("guessing is slowed down");
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").parse().unwrap();
    assert!(wait >= 1);
    assert!(r.body.contains("Quá nhiều lần thử."));
    assert!(form(&r.body, "/tai-khoan/dang-nhap").contains("value=\"guess@example.vn\""));
    assert!(!r.body.contains("đoán thử mật khẩu"));

    // A form from another site is refused before it reaches the accounts.
    let r = browser
        .http
        .post(app.url("/tai-khoan/dang-nhap"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "an@example.vn"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Signing out without a session is no error: the browser is signed out either way.
    let r = browser.post("/tai-khoan/dang-xuat", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/");
}
