//! Buyer accounts through the API: registration with a verified address, sessions that end
//! when they should, password reset by a single-use link, answers that never tell whether an
//! address is registered, throttled guessing, and the guest orders an account finds.

use crate::checkout::{buyer, checkout};
use crate::mailbox::{self, Mail};
use crate::privacy_proofs::assert_audit_intact;
use crate::support::{assert_problem, cart_with, spawn, TestApp};
use serde_json::{json, Value};

pub const PASSWORD: &str = "trăng sáng trên sông Hương";

/// The token of the single-use link in an account email, if it is one.
pub fn link_token_in(mail: &Mail) -> Option<String> {
    let path = mail
        .text
        .find("/tai-khoan/")
        .or_else(|| mail.text.find("/xoa-du-lieu/"))?;
    let at = path + mail.text[path..].find("?token=")? + "?token=".len();
    let token: String = mail.text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (token.len() == 43).then_some(token)
}

/// The ids of the emails written so far.
pub fn message_ids(app: &TestApp) -> Vec<String> {
    mailbox::mails(app)
        .into_iter()
        .map(|m| m.message_id)
        .collect()
}

/// Sends what is due and returns the one account email to `to` not among `before`.
pub async fn link_mail_since(app: &TestApp, to: &str, before: &[String]) -> Mail {
    app.send_mail().await;
    let mut found: Vec<Mail> = mailbox::mails(app)
        .into_iter()
        .filter(|m| m.to == to && link_token_in(m).is_some() && !before.contains(&m.message_id))
        .collect();
    assert_eq!(found.len(), 1, "one new account email to the address");
    found.pop().unwrap()
}

/// Apps hold no cookies: every call here carries only what the test gives it.
async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    client_without_cookies()
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn register(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(
        app,
        "/api/v1/auth/register",
        json!({"email": email, "password": password}),
    )
    .await
}

/// Registers and verifies `email`; returns the bearer token of the session verification
/// started.
pub async fn verified_account(app: &TestApp, email: &str) -> String {
    let before = message_ids(app);
    assert_eq!(register(app, email, PASSWORD).await.status().as_u16(), 202);
    let token = link_token_in(&link_mail_since(app, email, &before).await).unwrap();
    let r = post(
        app,
        "/api/v1/auth/verify",
        json!({"token": token, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(
        app,
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn me(app: &TestApp, bearer: &str) -> reqwest::Response {
    client_without_cookies()
        .get(app.url("/api/v1/me"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

fn client_without_cookies() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_verified_account_sees_its_address_and_the_guest_orders_placed_with_it() {
    let app = spawn().await;
    let email = "mai.anh@example.vn";
    // A guest order before the account exists, with the address in other letter cases.
    let r = checkout(
        &app,
        &cart_with(&app, "AKG2L-DEN-M", 2).await,
        buyer("Mai.Anh@Example.vn"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    // Somebody else's order, which the account must not list.
    let r = checkout(
        &app,
        &cart_with(&app, "AKG2L-DEN-M", 1).await,
        buyer("someone.else@example.vn"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);

    let before = message_ids(&app);
    let r = register(&app, email, PASSWORD).await;
    assert_eq!(r.status().as_u16(), 202);
    let mail = link_mail_since(&app, email, &before).await;
    assert!(mail.subject.contains("xác nhận"), "{}", mail.subject);
    assert!(mail.text.contains("/tai-khoan/xac-nhan?token="));
    assert!(!mail.text.contains(PASSWORD) && !mail.html.contains(PASSWORD));
    let token = link_token_in(&mail).unwrap();

    // Before verification the right password does not sign in.
    assert_problem(
        login(&app, email, PASSWORD).await,
        403,
        "email_not_verified",
    )
    .await;
    // The link alone verifies nothing.
    let r = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": token, "password": "not the password at all"}),
    )
    .await;
    assert_problem(r, 401, "wrong_credentials").await;
    let r = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": token, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("hj_session=")));
    let session: Value = r.json().await.unwrap();
    let bearer = session["token"].as_str().unwrap();
    // The link works once.
    let r = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": token, "password": PASSWORD}),
    )
    .await;
    assert_problem(r, 410, "link_used").await;

    let r = me(&app, bearer).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let account: Value = r.json().await.unwrap();
    assert_eq!(account["email"], email);
    assert_eq!(account["lang"], "vi");
    assert!(
        account.get("csrf_token").is_none(),
        "a bearer session needs no form token"
    );

    let orders: Value = app
        .http
        .get(app.url("/api/v1/me/orders"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let orders = orders.as_array().unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["number"], placed["number"]);
    assert_eq!(orders[0]["items"], 2);
    assert_eq!(orders[0]["total"], placed["total"]);
    // The token it gives opens the order.
    let r = app
        .http
        .get(app.url(&format!(
            "/api/v1/orders/{}",
            placed["number"].as_str().unwrap()
        )))
        .header("x-order-token", orders[0]["order_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // Reading the address was an audited opening by the account.
    app.server.services.gate.flush_views().await.unwrap();
    let opened: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT COUNT(*) AS n FROM audit_log WHERE who LIKE 'account:%' \
             AND action = 'open' AND fields LIKE '%account_email%'",
            &[],
        )
        .await
        .unwrap();
    assert!(opened >= 1);
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn registering_an_address_again_tells_nobody_but_its_owner() {
    let app = spawn().await;
    let email = "da.co@example.vn";
    verified_account(&app, email).await;

    let before = message_ids(&app);
    let again = register(&app, email, "một mật khẩu hoàn toàn khác").await;
    let fresh = register(&app, "chua.co@example.vn", PASSWORD).await;
    assert_eq!(again.status().as_u16(), 202);
    assert_eq!(fresh.status().as_u16(), 202);
    assert_eq!(
        again.text().await.unwrap(),
        fresh.text().await.unwrap(),
        "the same answer whether or not the address has an account"
    );
    let mail = link_mail_since(&app, email, &before).await;
    assert!(mail.subject.contains("đã có tài khoản"), "{}", mail.subject);
    assert!(mail.text.contains("/tai-khoan/dat-lai-mat-khau?token="));
    // The account is unchanged: the old password signs in, the new one does not.
    assert_eq!(login(&app, email, PASSWORD).await.status().as_u16(), 200);
    assert_problem(
        login(&app, email, "một mật khẩu hoàn toàn khác").await,
        401,
        "wrong_credentials",
    )
    .await;
}

#[tokio::test]
async fn an_impostors_registration_is_taken_back_by_the_addresss_owner() {
    let app = spawn().await;
    let email = "nan.nhan@example.vn";
    // Someone registers the address with a password of their own; the owner never verifies.
    let before = message_ids(&app);
    register(&app, email, "mật khẩu của kẻ mạo danh").await;
    let impostors_link = link_token_in(&link_mail_since(&app, email, &before).await).unwrap();
    // The owner registers too: their password replaces the other, and the first link dies.
    let before = message_ids(&app);
    register(&app, email, PASSWORD).await;
    let owners_link = link_token_in(&link_mail_since(&app, email, &before).await).unwrap();
    let r = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": impostors_link, "password": "mật khẩu của kẻ mạo danh"}),
    )
    .await;
    assert_problem(r, 410, "link_used").await;
    let r = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": owners_link, "password": "mật khẩu của kẻ mạo danh"}),
    )
    .await;
    assert_problem(r, 401, "wrong_credentials").await;
    let r = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": owners_link, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn bad_registrations_say_what_is_wrong_and_write_nothing() {
    let app = spawn().await;
    let before = crate::checkout::count(&app, "accounts").await;
    for (body, status, code, field) in [
        (
            json!({"email": "not an email", "password": PASSWORD}),
            422,
            "invalid_email",
            "email",
        ),
        (
            json!({"email": "a@example.vn", "password": "ngắn"}),
            422,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.vn", "password": "x".repeat(129)}),
            422,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.vn", "password": "password123"}),
            422,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.vn", "password": "a@example.vn"}),
            422,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.vn", "password": "aaaaaaaaaaaa"}),
            422,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.vn", "password": "mười ký tự\nbí mật riêng"}),
            422,
            "weak_password",
            "password",
        ),
    ] {
        let problem = assert_problem(
            post(&app, "/api/v1/auth/register", body.clone()).await,
            status,
            code,
        )
        .await;
        assert_eq!(problem["fields"], json!([field]), "{body}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(!detail.contains("password123") && !detail.contains("bí mật riêng"));
    }
    let r = post(
        &app,
        "/api/v1/auth/register",
        json!({"email": "a@example.vn"}),
    )
    .await;
    assert_problem(r, 422, "invalid_body").await;
    assert_eq!(crate::checkout::count(&app, "accounts").await, before);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_one_answer_and_guessing_is_throttled() {
    let app = spawn().await;
    let email = "doan.mo@example.vn";
    verified_account(&app, email).await;
    let wrong = assert_problem(
        login(&app, email, "không phải mật khẩu").await,
        401,
        "wrong_credentials",
    )
    .await;
    let unknown = assert_problem(
        login(&app, "khong.ai@example.vn", "không phải mật khẩu").await,
        401,
        "wrong_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
    // Ten tries per account, whoever makes them: the verification and the wrong password
    // above were two.
    for _ in 0..8 {
        assert_eq!(
            login(&app, email, "không phải mật khẩu")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    let r = login(&app, email, PASSWORD).await;
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_problem(r, 429, "too_many_attempts").await;
    // An address without an account is throttled the same way, so a 429 tells nothing.
    for _ in 0..9 {
        login(&app, "khong.ai@example.vn", "x").await;
    }
    assert_problem(
        login(&app, "khong.ai@example.vn", "x").await,
        429,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn sessions_end_at_sign_out_everywhere_and_at_a_password_change() {
    let app = spawn().await;
    let email = "phien@example.vn";
    let first = verified_account(&app, email).await;
    let second: Value = login(&app, email, PASSWORD).await.json().await.unwrap();
    let second = second["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &first).await.status().as_u16(), 200);

    // Signing out ends that session only.
    let r = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_problem(me(&app, &first).await, 401, "not_signed_in").await;
    assert_eq!(me(&app, &second).await.status().as_u16(), 200);

    // A password change needs the current password, ends every session, starts a new one.
    let change = |bearer: String, current: &'static str, new: &'static str| {
        let app = &app;
        async move {
            client_without_cookies()
                .put(app.url("/api/v1/me/password"))
                .bearer_auth(bearer)
                .json(&json!({"current_password": current, "new_password": new}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_problem(
        change(second.clone(), "sai mật khẩu rồi", "mật khẩu mới tinh 2027").await,
        401,
        "wrong_credentials",
    )
    .await;
    assert_problem(
        change(second.clone(), PASSWORD, "phien@example.vn").await,
        422,
        "weak_password",
    )
    .await;
    let r = change(second.clone(), PASSWORD, "mật khẩu mới tinh 2027").await;
    assert_eq!(r.status().as_u16(), 200);
    let third: Value = r.json().await.unwrap();
    let third = third["token"].as_str().unwrap().to_owned();
    assert_problem(me(&app, &second).await, 401, "not_signed_in").await;
    assert_eq!(me(&app, &third).await.status().as_u16(), 200);
    assert_problem(login(&app, email, PASSWORD).await, 401, "wrong_credentials").await;
    let fourth: Value = login(&app, email, "mật khẩu mới tinh 2027")
        .await
        .json()
        .await
        .unwrap();

    // Everywhere means every session.
    let r = app
        .http
        .post(app.url("/api/v1/auth/logout-everywhere"))
        .bearer_auth(&third)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_problem(me(&app, &third).await, 401, "not_signed_in").await;
    assert_problem(
        me(&app, fourth["token"].as_str().unwrap()).await,
        401,
        "not_signed_in",
    )
    .await;
    // A forged or malformed token is simply not a session.
    assert_problem(me(&app, "forged").await, 401, "not_signed_in").await;
    assert_problem(me(&app, &"A".repeat(43)).await, 401, "not_signed_in").await;
}

#[tokio::test]
async fn a_cookie_session_changes_nothing_without_its_form_token() {
    let app = spawn().await;
    let email = "cookie@example.vn";
    verified_account(&app, email).await;
    let r = login(&app, email, PASSWORD).await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("hj_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let http = client_without_cookies();
    let me: Value = http
        .get(app.url("/api/v1/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form_token = me["csrf_token"].as_str().unwrap().to_owned();
    for presented in [None, Some("forged"), Some(&form_token[1..])] {
        let mut request = http
            .post(app.url("/api/v1/auth/logout-everywhere"))
            .header("cookie", &pair);
        if let Some(token) = presented {
            request = request.header("x-csrf-token", token);
        }
        assert_problem(request.send().await.unwrap(), 403, "form_token_invalid").await;
    }
    let still: Value = http
        .get(app.url("/api/v1/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["email"], email, "nothing changed");
    let r = http
        .post(app.url("/api/v1/auth/logout-everywhere"))
        .header("cookie", &pair)
        .header("x-csrf-token", &form_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let r = http
        .get(app.url("/api/v1/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "not_signed_in").await;
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn().await;
    let email = "quen@example.vn";
    let session = verified_account(&app, email).await;

    // An address without an account gets the same answer and no email.
    let mails_before = app.mails().len();
    let unknown = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({"email": "khong.co@example.vn"}),
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 202);
    app.send_mail().await;
    assert_eq!(app.mails().len(), mails_before);
    let before = message_ids(&app);
    let known = post(&app, "/api/v1/auth/password-reset", json!({"email": email})).await;
    assert_eq!(known.status().as_u16(), 202);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    let mail = link_mail_since(&app, email, &before).await;
    assert!(
        mail.subject.contains("đặt lại mật khẩu"),
        "{}",
        mail.subject
    );
    let token = link_token_in(&mail).unwrap();

    let confirm = |token: String, password: &'static str| {
        let app = &app;
        async move {
            post(
                app,
                "/api/v1/auth/password-reset/confirm",
                json!({"token": token, "password": password}),
            )
            .await
        }
    };
    assert_problem(confirm(token.clone(), "123").await, 422, "weak_password").await;
    assert_problem(
        confirm("A".repeat(43), "một mật khẩu mới dài").await,
        404,
        "link_invalid",
    )
    .await;
    assert_problem(
        confirm("short".into(), "một mật khẩu mới dài").await,
        404,
        "link_invalid",
    )
    .await;
    let r = confirm(token.clone(), "một mật khẩu mới dài").await;
    assert_eq!(r.status().as_u16(), 204);
    assert_problem(
        confirm(token, "lại một mật khẩu khác").await,
        410,
        "link_used",
    )
    .await;
    assert_problem(me(&app, &session).await, 401, "not_signed_in").await;
    assert_problem(login(&app, email, PASSWORD).await, 401, "wrong_credentials").await;
    assert_eq!(
        login(&app, email, "một mật khẩu mới dài")
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn an_expired_reset_link_says_so() {
    let app = spawn().await;
    let email = "het.han@example.vn";
    verified_account(&app, email).await;
    let before = message_ids(&app);
    post(&app, "/api/v1/auth/password-reset", json!({"email": email})).await;
    let token = link_token_in(&link_mail_since(&app, email, &before).await).unwrap();
    // As if the hour had passed.
    app.server
        .services
        .db
        .raw_execute(
            "UPDATE account_links SET expires_at = created_at WHERE purpose = 'reset'",
            &[],
        )
        .await
        .unwrap();
    let r = post(
        &app,
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token, "password": "một mật khẩu mới dài"}),
    )
    .await;
    assert_problem(r, 410, "link_expired").await;
    assert_eq!(login(&app, email, PASSWORD).await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_download_started_by_another_site_is_refused() {
    let app = spawn().await;
    let bearer = verified_account(&app, "tai.ve@example.vn").await;
    let download = |site: Option<&'static str>| {
        let app = &app;
        let bearer = bearer.clone();
        async move {
            let mut request = client_without_cookies()
                .get(app.url("/api/v1/me/export"))
                .bearer_auth(bearer);
            if let Some(site) = site {
                request = request.header("sec-fetch-site", site);
            }
            request.send().await.unwrap()
        }
    };
    assert_problem(
        download(Some("cross-site")).await,
        403,
        "cross_site_request",
    )
    .await;
    assert_eq!(download(Some("same-origin")).await.status().as_u16(), 200);
    assert_eq!(download(None).await.status().as_u16(), 200);
}
