//! Erasure through the storefront's HTML forms, as a browser without JavaScript uses them: a
//! guest asks at `/xoa-du-lieu`, follows the emailed link and confirms; a signed-in buyer
//! erases the account from its page with the password again. Each ends on the page that says
//! how many orders were kept and why, and a refused form erases nothing.

use crate::accounts::{link_mail_since, link_token_in, message_ids, verified_account, PASSWORD};
use crate::checkout::{buyer, checkout};
use crate::mailbox;
use crate::support::{cart_with, spawn, TestApp};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// What a browser got back.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    async fn of(r: reqwest::Response) -> Page {
        Page {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
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

    /// The value of the input `name`, HTML-escaped as the page has it.
    fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name} in the page"))
            + marker.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }

    /// The `<form>` posting to `action`.
    fn form(&self, action: &str) -> &str {
        let at = self
            .body
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("no form posting to {action}"));
        let start = self.body[..at].rfind("<form").unwrap();
        let end = at + self.body[at..].find("</form>").unwrap();
        &self.body[start..end]
    }

    fn assert_private(&self) {
        assert_eq!(self.header("cache-control"), "no-store");
    }
}

/// A browser with its own cookies, redirects not followed, forms posted from this site.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn get(http: &reqwest::Client, app: &TestApp, path: &str) -> Page {
    Page::of(http.get(app.url(path)).send().await.unwrap()).await
}

async fn post(http: &reqwest::Client, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    Page::of(
        http.post(app.url(path))
            .header("sec-fetch-site", "same-origin")
            .form(fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A guest order for `email` through the API: its number and order token.
async fn guest_order(app: &TestApp, email: &str) -> (String, String) {
    let r = checkout(app, &cart_with(app, "AKG2L-DEN-M", 1).await, buyer(email)).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    (
        placed["number"].as_str().unwrap().to_owned(),
        placed["lookup_token"].as_str().unwrap().to_owned(),
    )
}

/// The order's page as its buyer's link opens it, in Vietnamese.
async fn order_page(app: &TestApp, (number, token): &(String, String)) -> String {
    let page = get(
        &browser(),
        app,
        &format!("/don-hang/{number}?token={token}"),
    )
    .await;
    assert_eq!(page.status, 200);
    page.body
}

/// The delivery details of `buyer()` as an order page shows them.
const STREET: &str = "Số 12 ngõ 34 Phố Huế";
const NAME: &str = "Nguyễn Thị Lan";

#[tokio::test]
async fn a_guest_erases_an_address_with_the_emailed_link_and_is_told_what_was_kept() {
    let app = spawn().await;
    let guest = browser();
    let email = "khach.le@example.vn";
    let order = guest_order(&app, email).await;
    app.send_mail().await;
    assert!(order_page(&app, &order).await.contains(STREET));

    // The sign-in page offers erasure to those without an account.
    let sign_in = get(&guest, &app, "/tai-khoan/dang-nhap").await;
    assert!(sign_in.body.contains(
        "<a href=\"/xoa-du-lieu\">Không có tài khoản? Yêu cầu xóa dữ liệu bằng email</a>"
    ));

    // The page says what erasure does, with the policy's reason for keeping orders.
    let page = get(&guest, &app, "/xoa-du-lieu").await;
    assert_eq!(page.status, 200);
    page.assert_private();
    assert!(page.body.contains("<h1>Xóa dữ liệu cá nhân</h1>"));
    assert!(page
        .body
        .contains("trở nên không thể đọc được ngay lập tức"));
    assert!(page.body.contains("tài khoản nếu có"));
    assert!(page.body.contains("giữ làm chứng từ giao dịch"));
    assert!(page.body.contains("Một email cuối cùng"));
    assert!(page.body.contains("có hiệu lực 60 phút"));
    assert!(page
        .body
        .contains("Luật Kế toán số 88/2015/QH13 (Điều 41) yêu cầu lưu chứng từ kế toán 10 năm."));
    let form = page.form("/xoa-du-lieu");
    assert!(form.contains("method=\"post\""));
    assert!(form.contains("autocomplete=\"email\""));

    let r = post(&guest, &app, "/xoa-du-lieu", &[("email", "khach le")]).await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("<a href=\"#email\">Địa chỉ email chưa đúng"));
    assert!(r.form("/xoa-du-lieu").contains("value=\"khach le\""));

    // An address the shop holds nothing for and the buyer's: the same answer; one email.
    let before = message_ids(&app);
    let stranger = post(
        &guest,
        &app,
        "/xoa-du-lieu",
        &[("email", "chua.mua@example.vn")],
    )
    .await;
    let known = post(&guest, &app, "/xoa-du-lieu", &[("email", email)]).await;
    assert_eq!(known.status, 303);
    assert_eq!(stranger.status, 303);
    assert_eq!(known.header("location"), stranger.header("location"));
    let sent = get(&guest, &app, known.header("location")).await;
    assert_eq!(sent.status, 200);
    assert!(sent.body.contains("Vui lòng kiểm tra email"));
    assert!(sent
        .body
        .contains("Nếu cửa hàng đang giữ dữ liệu gắn với địa chỉ này, chúng tôi đã gửi tới đó một liên kết để xác nhận việc xóa."));
    let mail = link_mail_since(&app, email, &before).await;
    assert_eq!(
        mailbox::mails(&app)
            .iter()
            .filter(|m| !before.contains(&m.message_id))
            .count(),
        1,
        "nothing goes to an address the shop holds nothing for"
    );
    let token = link_token_in(&mail).unwrap();
    let at = mail.text.find("/xoa-du-lieu/xac-nhan?token=").unwrap();
    let link = mail.text[at..].split_whitespace().next().unwrap();

    // The link states what will happen and asks only for the button; opening it erases
    // nothing.
    let confirm = get(&guest, &app, link).await;
    assert_eq!(confirm.status, 200);
    confirm.assert_private();
    assert!(!confirm.header("referrer-policy").is_empty());
    assert!(confirm.body.contains("<h1>Xác nhận xóa dữ liệu</h1>"));
    assert!(confirm
        .body
        .contains("trở nên không thể đọc được ngay lập tức"));
    assert!(confirm.body.contains("88/2015/QH13"));
    let form = confirm.form("/xoa-du-lieu/xac-nhan");
    assert!(form.contains("<button type=\"submit\">Xóa vĩnh viễn dữ liệu của tôi</button>"));
    assert!(!form.contains("type=\"password\""));
    assert_eq!(confirm.input("token"), token);
    assert!(order_page(&app, &order).await.contains(STREET));

    let done = post(&guest, &app, "/xoa-du-lieu/xac-nhan", &[("token", &token)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    done.assert_private();
    assert!(done.body.contains("<h1>Đã xóa dữ liệu của quý khách</h1>"));
    assert!(done
        .body
        .contains("1 đơn hàng được giữ lại làm chứng từ giao dịch"));
    assert!(done.body.contains("Vì sao đơn hàng được giữ lại:"));
    assert!(done.body.contains("Luật Kế toán số 88/2015/QH13"));
    assert!(!done.body.contains(email));

    // The order stays, without its delivery details.
    let shown = order_page(&app, &order).await;
    assert!(shown.contains("đã được xóa theo yêu cầu"));
    assert!(shown.contains(&order.0));
    assert!(!shown.contains(STREET));
    assert!(!shown.contains(NAME));

    // The link works once; an unknown one is no link at all. Either brings back the form
    // that asks for a new one.
    let again = post(&guest, &app, "/xoa-du-lieu/xac-nhan", &[("token", &token)]).await;
    assert_eq!(again.status, 410);
    again.assert_private();
    assert!(again
        .body
        .contains("Liên kết đã được dùng. Mỗi liên kết chỉ dùng được một lần."));
    assert!(again.form("/xoa-du-lieu").contains("name=\"email\""));
    let unknown = post(
        &guest,
        &app,
        "/xoa-du-lieu/xac-nhan",
        &[("token", &"A".repeat(43))],
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("Liên kết không hợp lệ."));
    let none = post(&guest, &app, "/xoa-du-lieu/xac-nhan", &[]).await;
    assert_eq!(none.status, 404);

    // The last email says the same.
    app.send_mail().await;
    let notice = mailbox::mails(&app)
        .into_iter()
        .find(|m| m.to == email && m.subject.contains("đã được xóa"))
        .expect("the last email");
    assert!(notice.text.contains("1 đơn hàng"), "{}", notice.text);
}

#[tokio::test]
async fn an_account_erases_itself_from_its_page_with_the_password_again() {
    let app = spawn().await;
    let phone = browser();
    let email = "tai.khoan@example.vn";
    let order = guest_order(&app, email).await;
    verified_account(&app, email).await;
    app.send_mail().await;

    // In English: the language chosen once is kept by the forms that follow.
    assert_eq!(
        get(&phone, &app, "/tai-khoan/dang-nhap?lang=en")
            .await
            .status,
        200
    );
    let signed_in = post(
        &phone,
        &app,
        "/tai-khoan/dang-nhap",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(signed_in.status, 303);
    let session = signed_in.session_set().expect("a session cookie");

    let account = get(&phone, &app, "/tai-khoan").await;
    assert_eq!(account.status, 200);
    assert!(account
        .body
        .contains("<h2 id=\"erase-heading\">Erase the account and your data</h2>"));
    assert!(account.body.contains("href=\"/xoa-du-lieu\""));
    let form = account.form("/tai-khoan/xoa");
    assert!(form.contains("method=\"post\""));
    assert!(form.contains("name=\"csrf\" value=\""));
    assert!(form.contains("<label for=\"erase_password\">Password</label>"));
    assert!(form.contains("autocomplete=\"current-password\""));
    assert!(form.contains("Permanently erase the account and data"));
    let csrf = account.input("csrf");
    let before = message_ids(&app);

    let still_there = |page: Page| {
        let app = &app;
        let phone = &phone;
        let order = &order;
        async move {
            assert!(!page.session_cleared());
            assert_eq!(get(phone, app, "/tai-khoan").await.status, 200);
            assert!(order_page(app, order).await.contains(STREET));
        }
    };

    // Without the form token: refused, and nothing is erased.
    let r = post(
        &phone,
        &app,
        "/tai-khoan/xoa",
        &[("erase_password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .contains("This form is out of date or did not come from the shop"));
    still_there(r).await;

    // The wrong password: 401 beside the field, not written back, nothing erased.
    let wrong = "not my password at all";
    let r = post(
        &phone,
        &app,
        "/tai-khoan/xoa",
        &[("csrf", &csrf), ("erase_password", wrong)],
    )
    .await;
    assert_eq!(r.status, 401);
    r.assert_private();
    assert!(r
        .body
        .contains("<a href=\"#erase_password\">The email address or the password is wrong.</a>"));
    assert!(r.body.contains("id=\"erase_password-error\""));
    assert!(r
        .body
        .contains("aria-describedby=\"erase_password-hint erase_password-error\""));
    assert!(!r.body.contains(wrong));
    still_there(r).await;

    let done = post(
        &phone,
        &app,
        "/tai-khoan/xoa",
        &[("csrf", &csrf), ("erase_password", PASSWORD)],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    done.assert_private();
    assert!(done.session_cleared());
    assert!(done.body.contains("<h1>Your data has been erased</h1>"));
    assert!(done
        .body
        .contains("The account is gone, and every device has been signed out."));
    assert!(done.body.contains(
        "1 order is kept as a transaction record, with nothing left that identifies you."
    ));
    assert!(done
        .body
        .contains("The Law on Accounting No. 88/2015/QH13 (Article 41)"));
    assert!(!done.body.contains(PASSWORD));

    // The session cookie opens nothing now, the password signs in to nothing, and the order
    // stays without its delivery details.
    let r = Page::of(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url("/tai-khoan"))
            .header("cookie", format!("hj_session={session}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").starts_with("/tai-khoan/dang-nhap"));
    let r = post(
        &phone,
        &app,
        "/tai-khoan/dang-nhap",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status, 401);
    let shown = order_page(&app, &order).await;
    assert!(shown.contains("đã được xóa theo yêu cầu"));
    assert!(!shown.contains(STREET));

    app.send_mail().await;
    let notices: Vec<_> = mailbox::mails(&app)
        .into_iter()
        .filter(|m| !before.contains(&m.message_id))
        .collect();
    assert_eq!(notices.len(), 1, "one last email");
    assert_eq!(notices[0].to, email);
    assert!(
        notices[0].text.contains("88/2015/QH13"),
        "{}",
        notices[0].text
    );
}

#[tokio::test]
async fn asking_for_erasure_links_too_often_is_slowed_down_on_the_form() {
    let app = spawn().await;
    let guest = browser();
    let email = "hoi.nhieu@example.vn";
    let mut last = None;
    for _ in 0..6 {
        let r = post(&guest, &app, "/xoa-du-lieu", &[("email", email)]).await;
        if r.status != 303 {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("asking is slowed down");
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").parse().unwrap();
    assert!(wait >= 1);
    assert!(r.body.contains("Quá nhiều lần thử."));
    assert!(r
        .form("/xoa-du-lieu")
        .contains(&format!("value=\"{email}\"")));
}
