//! The one-time order lookup codes under a clock the tests move: limits per order, per
//! contact and per client that survive reissued codes, lockouts that end, at most one code
//! per interval under parallel requests, the same answer whatever matched, and answers that
//! say what went wrong (a wrong code and its tries left, an expired or used code, a request
//! too soon and when to ask again) without telling whether an order exists.

use crate::mailbox;
use crate::support::fresh_database;
use hanjinbi_domain::{Quantity, ShopInfo, Sku};
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::keys::KeyRing;
use hanjinbi_privacy::policy::Policy;
use hanjinbi_privacy::Vault;
use hanjinbi_services::checkout::{CheckoutRequest, OrderLimits, ShippingFees};
use hanjinbi_services::mail::{MailSettings, Mailer};
use hanjinbi_services::orders::{
    OrderError, CODE_ATTEMPTS, CODE_INTERVAL_SECS, CODE_LIFETIME_SECS, FAILURES_PER_CLIENT,
    FAILURES_PER_ORDER, FAILURE_WINDOW_SECS, SENDS_PER_CONTACT,
};
use hanjinbi_services::{Clock, FakeClock, ServiceSettings, Services};
use hanjinbi_store::Db;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

struct Shop {
    services: Services,
    clock: Arc<FakeClock>,
    dir: tempfile::TempDir,
}

fn client(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, n))
}

async fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&fresh_database(dir.path()).await, 8)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let clock = Arc::new(FakeClock::at(1_800_000_000));
    hanjinbi_services::demo::load(&db, clock.as_ref())
        .await
        .unwrap();
    let gate = Gate::new(
        db.clone(),
        Arc::new(Policy::embedded().unwrap()),
        Vault::new(KeyRing::generate()),
    );
    let services = Services::new(
        db,
        Arc::clone(&clock) as Arc<dyn hanjinbi_services::Clock>,
        gate,
        ServiceSettings {
            fees: ShippingFees::default(),
            limits: OrderLimits::default(),
            bank: Some(crate::support::test_bank()),
            cart_idle: hanjinbi_services::carts::IDLE_CART,
            mailer: Mailer::new(&MailSettings::Folder(dir.path().join("mail"))).unwrap(),
            shop: Arc::new(ShopInfo::default()),
            catalog_cache: std::time::Duration::ZERO,
        },
    );
    Shop {
        services,
        clock,
        dir,
    }
}

impl Shop {
    /// Places an order for `email` / 0912 345 678; returns its number.
    async fn order(&self, email: &str) -> String {
        self.order_in(email, hanjinbi_domain::Lang::Vi).await
    }

    /// Places an order for `email` / 0912 345 678 in `lang`; returns its number.
    async fn order_in(&self, email: &str, lang: hanjinbi_domain::Lang) -> String {
        let s = &self.services;
        let cart = s.carts.create(client(250)).await.unwrap();
        s.carts
            .add(
                &cart.access,
                &Sku::parse("AKG2L-DEN-M").unwrap(),
                Quantity::new(1).unwrap(),
            )
            .await
            .unwrap();
        let request = CheckoutRequest {
            email: email.into(),
            name: "Nguyễn Thị Lan".into(),
            phone: "0912345678".into(),
            province_code: "01".into(),
            ward_code: "00004".into(),
            line: "Số 12 ngõ 34 Phố Huế".into(),
            shipping_method: "standard".into(),
            payment_method: "cash_on_delivery".into(),
            channel: "api",
            lang,
            ..CheckoutRequest::default()
        };
        let placed = s.checkout.place(&cart.access, &request).await.unwrap();
        s.notifier.send_due().await.unwrap();
        self.clear_mail();
        placed.number
    }

    fn clear_mail(&self) {
        if let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail")) {
            for e in entries.flatten() {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }

    /// Sends what is due and returns the codes that went out.
    async fn codes_sent(&self) -> Vec<String> {
        self.services.notifier.send_due().await.unwrap();
        let mut codes = Vec::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail")) {
            for e in entries.flatten() {
                let mail = mailbox::parse(&std::fs::read_to_string(e.path()).unwrap());
                codes.push(mailbox::code_in(&mail).expect("a code in the email"));
            }
        }
        self.clear_mail();
        codes
    }

    async fn ask(&self, number: &str, from: IpAddr) -> Result<(), OrderError> {
        self.services
            .orders
            .request_code(number, "0912345678", from)
            .await
            .map(|_| ())
    }

    async fn redeem(&self, number: &str, code: &str, from: IpAddr) -> Result<String, OrderError> {
        self.services.orders.redeem_code(number, code, from).await
    }

    async fn outbox_codes(&self) -> i64 {
        self.services
            .db
            .raw_one(
                "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'lookup_code'",
                &[],
            )
            .await
            .unwrap()
    }
}

fn wrong(code: &str) -> String {
    if code == "000000" { "111111" } else { "000000" }.to_owned()
}

#[tokio::test]
async fn new_carts_are_limited_per_client_address_for_a_window() {
    use hanjinbi_services::carts::{NEW_CARTS_PER_CLIENT, NEW_CART_WINDOW_SECS};
    use hanjinbi_services::CartError;
    let shop = shop().await;
    let carts = &shop.services.carts;
    for _ in 0..NEW_CARTS_PER_CLIENT {
        carts.create(client(1)).await.unwrap();
    }
    let refused = carts.create(client(1)).await;
    assert!(
        matches!(refused, Err(CartError::TooManyCarts { retry_after_secs }) if retry_after_secs == NEW_CART_WINDOW_SECS),
        "{refused:?}"
    );
    assert!(
        carts.create(client(2)).await.is_ok(),
        "other addresses are not held up"
    );
    shop.clock.advance(NEW_CART_WINDOW_SECS);
    assert!(
        carts.create(client(1)).await.is_ok(),
        "the limit ends with its window"
    );
}

#[tokio::test]
async fn wrong_codes_are_limited_per_order_across_reissued_codes() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    let mut wrong_guesses = 0;
    let mut last_code = String::new();
    // New codes, each guessed at from a different client, until the order's limit.
    for round in 0u8.. {
        shop.ask(&number, client(round)).await.unwrap();
        let codes = shop.codes_sent().await;
        assert_eq!(codes.len(), 1, "round {round}");
        last_code = codes[0].clone();
        for _ in 0..3.min(FAILURES_PER_ORDER - wrong_guesses) {
            let r = shop
                .redeem(&number, &wrong(&last_code), client(round))
                .await;
            assert!(matches!(r, Err(OrderError::WrongCode { .. })), "{r:?}");
            wrong_guesses += 1;
        }
        if wrong_guesses >= FAILURES_PER_ORDER {
            break;
        }
        shop.clock.advance(CODE_INTERVAL_SECS);
    }
    // Even the right code, from a client never seen, now waits for the window to end.
    let r = shop.redeem(&number, &last_code, client(200)).await;
    assert!(
        matches!(r, Err(OrderError::LockedOut { retry_after_secs, .. }) if retry_after_secs <= FAILURE_WINDOW_SECS),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_locked_lookup_opens_again_when_its_window_ends() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    for _ in 0..FAILURES_PER_ORDER {
        let _ = shop.redeem(&number, &wrong(&code), client(1)).await;
    }
    let locked = shop.redeem(&number, &code, client(1)).await;
    let Err(OrderError::LockedOut {
        retry_after_secs, ..
    }) = locked
    else {
        panic!("{locked:?}")
    };
    shop.clock.advance(retry_after_secs);
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    let token = shop.redeem(&number, &code, client(1)).await.unwrap();
    assert!(!token.is_empty());
}

#[tokio::test]
async fn wrong_codes_from_one_client_are_limited_across_orders() {
    let shop = shop().await;
    let real = shop.order("lan@example.vn").await;
    for i in 0..FAILURES_PER_CLIENT {
        let r = shop
            .redeem(&format!("HJ{:010}", i), "123456", client(7))
            .await;
        assert!(matches!(r, Err(OrderError::WrongCode { .. })), "{r:?}");
    }
    assert!(matches!(
        shop.redeem(&real, "123456", client(7)).await,
        Err(OrderError::LockedOut { .. })
    ));
    // Another client is not held up by it.
    shop.ask(&real, client(8)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    assert!(shop.redeem(&real, &code, client(8)).await.is_ok());
}

#[tokio::test]
async fn codes_asked_for_one_contact_are_limited_per_hour() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    for i in 0..SENDS_PER_CONTACT {
        shop.ask(&number, client(i as u8)).await.unwrap();
        shop.clock.advance(CODE_INTERVAL_SECS);
    }
    assert_eq!(shop.codes_sent().await.len() as i64, SENDS_PER_CONTACT);
    let r = shop.ask(&number, client(100)).await;
    assert!(matches!(r, Err(OrderError::LockedOut { .. })), "{r:?}");
    assert!(shop.codes_sent().await.is_empty());
    shop.clock.advance(3600);
    shop.ask(&number, client(100)).await.unwrap();
    assert_eq!(shop.codes_sent().await.len(), 1);
}

/// Eight requests at once for one order, on either database: of those naming the same
/// number and contact exactly one goes through, the others are told to wait until a minute
/// after it; one code is sent, however many contacts of the order asked.
#[tokio::test]
async fn parallel_requests_send_at_most_one_code() {
    let shop = Arc::new(shop().await);
    for round in 0..3 {
        let email = format!("lan{round}@example.vn");
        let number = shop.order(&email).await;
        let asked_at = shop.clock.now();
        // Two spellings of the order's email, two of its phone, and four of someone else's.
        let contacts = [
            email.clone(),
            email.to_uppercase(),
            "0912345678".to_owned(),
            "+84 912 345 678".to_owned(),
            "other@example.vn".to_owned(),
            "OTHER@example.vn".to_owned(),
            "0987654321".to_owned(),
            "84987654321".to_owned(),
        ];
        let tasks: Vec<_> = contacts
            .iter()
            .enumerate()
            .map(|(i, contact)| {
                let (shop, number, contact) = (Arc::clone(&shop), number.clone(), contact.clone());
                tokio::spawn(async move {
                    shop.services
                        .orders
                        .request_code(&number, &contact, client(10 * round + i as u8))
                        .await
                })
            })
            .collect();
        let mut accepted = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(requested) => {
                    accepted += 1;
                    assert_eq!(requested.ask_again_at, asked_at + CODE_INTERVAL_SECS);
                }
                Err(OrderError::CodeRequestedTooSoon { retry_at, .. }) => {
                    assert_eq!(retry_at, asked_at + CODE_INTERVAL_SECS, "round {round}");
                }
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(
            accepted, 4,
            "round {round}: one per distinct number and contact"
        );
        assert_eq!(shop.outbox_codes().await, round as i64 + 1, "round {round}");
        shop.clock.advance(CODE_INTERVAL_SECS);
    }
}

#[tokio::test]
async fn asking_for_a_code_answers_the_same_whatever_matches() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    let orders = &shop.services.orders;
    let pairs = [
        ("HJ0000000000", "0912345678"),
        (number.as_str(), "other@example.vn"),
        (number.as_str(), "0987654321"),
        (number.as_str(), "LAN@example.VN"),
    ];
    let mut answers = Vec::new();
    for (number, contact) in pairs {
        answers.push(format!(
            "{:?}",
            orders.request_code(number, contact, client(1)).await
        ));
    }
    assert!(answers[0].starts_with("Ok("), "{answers:?}");
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(
        shop.outbox_codes().await,
        1,
        "only the matching contact got a code"
    );
    // Asking again at once is told when it may ask again: the same for every pair.
    let mut again = Vec::new();
    for (number, contact) in pairs {
        again.push(format!(
            "{:?}",
            orders.request_code(number, contact, client(1)).await
        ));
    }
    assert!(
        again[0].starts_with("Err(CodeRequestedTooSoon"),
        "{again:?}"
    );
    assert!(again.iter().all(|a| a == &again[0]), "{again:?}");
    // What is not an order number or a contact is said to be so, order or no order.
    for number in ["HJ0000000000", number.as_str()] {
        let r = orders
            .request_code(number, "not a contact", client(1))
            .await;
        assert!(matches!(r, Err(OrderError::NotAContact)), "{r:?}");
    }
    let r = orders.request_code("12345", "0912345678", client(1)).await;
    assert!(matches!(r, Err(OrderError::NotAnOrderNumber)), "{r:?}");
}

#[tokio::test]
async fn a_code_asked_for_too_soon_says_when_and_sends_nothing() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    let asked_at = shop.clock.now();
    shop.ask(&number, client(1)).await.unwrap();
    assert_eq!(shop.codes_sent().await.len(), 1);
    shop.clock.advance(CODE_INTERVAL_SECS - 1);
    let r = shop.ask(&number, client(2)).await;
    let Err(OrderError::CodeRequestedTooSoon {
        retry_at,
        retry_after_secs,
    }) = r
    else {
        panic!("{r:?}")
    };
    assert_eq!(retry_at, asked_at + CODE_INTERVAL_SECS);
    assert_eq!(retry_after_secs, 1);
    assert!(
        shop.codes_sent().await.is_empty(),
        "no code claimed, none sent"
    );
    // The order's other contact is not held up, but the order gets no second code within the
    // interval: the one sent a moment ago is in the same mailbox and still works.
    let r = shop
        .services
        .orders
        .request_code(&number, "lan@example.vn", client(3))
        .await;
    assert!(r.is_ok(), "{r:?}");
    assert!(shop.codes_sent().await.is_empty());
    shop.clock.advance(1);
    shop.ask(&number, client(2)).await.unwrap();
    assert_eq!(
        shop.codes_sent().await.len(),
        1,
        "a new code from the time said"
    );
}

#[tokio::test]
async fn a_wrong_code_says_how_many_tries_are_left_whether_or_not_the_order_exists() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    let nobody = "HJ0000000000";
    shop.services
        .orders
        .request_code(nobody, "0912345678", client(2))
        .await
        .unwrap();
    for tries_left in (0..CODE_ATTEMPTS).rev() {
        for (number, from) in [(number.as_str(), client(1)), (nobody, client(2))] {
            let r = shop.redeem(number, &wrong(&code), from).await;
            assert!(
                matches!(r, Err(OrderError::WrongCode { tries_left: left }) if left == tries_left),
                "{number}: {r:?}"
            );
        }
    }
    // Out of tries: even the right code waits for a new one, and nobody's number says the same.
    for (number, try_code, from) in [
        (number.as_str(), code.as_str(), client(1)),
        (nobody, "123456", client(2)),
    ] {
        let r = shop.redeem(number, try_code, from).await;
        assert!(
            matches!(r, Err(OrderError::CodeTriesUsedUp)),
            "{number}: {r:?}"
        );
    }
    // A new request gives the number its tries again.
    shop.clock.advance(CODE_INTERVAL_SECS);
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    assert!(shop.redeem(&number, &code, client(1)).await.is_ok());
    // Input that is no code is said so, and costs no try.
    for not_a_code in ["12345", "1234567", "12a456", " 123456"] {
        let r = shop.redeem(nobody, not_a_code, client(2)).await;
        assert!(
            matches!(r, Err(OrderError::NotACode)),
            "{not_a_code:?}: {r:?}"
        );
    }
}

#[tokio::test]
async fn a_used_code_is_said_to_be_used_and_an_old_code_to_be_wrong() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    shop.ask(&number, client(1)).await.unwrap();
    let first = shop.codes_sent().await.remove(0);
    let token = shop.redeem(&number, &first, client(1)).await.unwrap();
    let again = shop.redeem(&number, &first, client(1)).await;
    assert!(
        matches!(again, Err(OrderError::CodeAlreadyUsed)),
        "{again:?}"
    );
    // A used code does not hold up the next one, and only the newest code opens the order.
    let soon = shop.ask(&number, client(1)).await;
    assert!(
        matches!(soon, Err(OrderError::CodeRequestedTooSoon { .. })),
        "{soon:?}"
    );
    shop.clock.advance(CODE_INTERVAL_SECS);
    shop.ask(&number, client(1)).await.unwrap();
    let second = shop.codes_sent().await.remove(0);
    if second != first {
        let old = shop.redeem(&number, &first, client(1)).await;
        assert!(matches!(old, Err(OrderError::WrongCode { .. })), "{old:?}");
    }
    assert_eq!(
        shop.redeem(&number, &second, client(1)).await.unwrap(),
        token
    );
}

#[tokio::test]
async fn the_code_email_is_in_the_language_of_the_order() {
    let shop = shop().await;
    for (lang, intro) in [
        (hanjinbi_domain::Lang::Vi, "Mã tra cứu đơn hàng"),
        (hanjinbi_domain::Lang::En, "Your code to look up order"),
    ] {
        let number = shop
            .order_in(&format!("{}@example.vn", lang.code()), lang)
            .await;
        shop.services
            .orders
            .request_code(&number, &format!("{}@example.vn", lang.code()), client(1))
            .await
            .unwrap();
        shop.services.notifier.send_due().await.unwrap();
        let mails: Vec<_> = std::fs::read_dir(shop.dir.path().join("mail"))
            .unwrap()
            .map(|e| mailbox::parse(&std::fs::read_to_string(e.unwrap().path()).unwrap()))
            .collect();
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert!(
            mail.text.contains(&format!("{intro} {number}")),
            "{}",
            mail.text
        );
        assert!(mail.html.contains(&format!("{intro} {number}")));
        // 15 minutes after the request, in Vietnam's time.
        let until =
            hanjinbi_domain::clock_text::vietnam_time(shop.clock.now() + CODE_LIFETIME_SECS)
                .unwrap();
        assert!(mail.text.contains(&until), "{}", mail.text);
        assert!(mailbox::code_in(mail).is_some());
        match lang {
            hanjinbi_domain::Lang::Vi => assert!(mail.subject.contains("mã tra cứu đơn hàng")),
            hanjinbi_domain::Lang::En => assert!(mail.subject.contains("your code for order")),
        }
        shop.clear_mail();
    }
}

#[tokio::test]
async fn stored_codes_are_hashes_under_the_key_file_not_the_database() {
    use hanjinbi_privacy::vault::IndexKind;
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    let row = shop
        .services
        .db
        .raw_row(
            "SELECT o.id, c.code_hash FROM lookup_codes c JOIN orders o ON o.id = c.order_id",
            &[],
        )
        .await
        .unwrap();
    let order_id: String = row.get("id").unwrap();
    let stored: Vec<u8> = row.get("code_hash").unwrap();
    let input = format!("code\0{order_id}\0{code}");
    assert_eq!(
        stored,
        shop.services
            .gate
            .vault()
            .blind_index(IndexKind::Lookup, &input)
    );
    assert_ne!(
        stored,
        Vault::new(KeyRing::generate()).blind_index(IndexKind::Lookup, &input),
        "without the shop's key the code cannot be tried offline"
    );
}

#[tokio::test]
async fn a_code_works_for_its_lifetime_and_not_a_second_longer() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;

    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    shop.clock.advance(CODE_LIFETIME_SECS);
    assert!(shop.redeem(&number, &code, client(1)).await.is_ok());

    shop.clock.advance(CODE_INTERVAL_SECS);
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    shop.clock.advance(CODE_LIFETIME_SECS + 1);
    let late = shop.redeem(&number, &code, client(1)).await;
    assert!(matches!(late, Err(OrderError::CodeExpired)), "{late:?}");
}

#[tokio::test]
async fn a_full_page_view_log_is_written_before_the_next_view() {
    use hanjinbi_privacy::gate::VIEW_LOG_CAPACITY;
    use hanjinbi_services::orders::VIEWS_PER_MINUTE;
    // No server here, so no timer flushes the views: only a full buffer does.
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    shop.ask(&number, client(1)).await.unwrap();
    let code = shop.codes_sent().await.remove(0);
    let token = shop.redeem(&number, &code, client(1)).await.unwrap();
    let views = shop.services.gate.view_log();
    let before = views.writes();
    for i in 0..VIEW_LOG_CAPACITY {
        if i > 0 && i % VIEWS_PER_MINUTE as usize == 0 {
            shop.clock.advance(60);
        }
        shop.services.orders.view(&number, &token).await.unwrap();
    }
    assert_eq!(
        views.writes(),
        before,
        "a buffer not yet full is not written"
    );
    assert_eq!(views.pending(), VIEW_LOG_CAPACITY);
    shop.clock.advance(60);
    shop.services.orders.view(&number, &token).await.unwrap();
    assert_eq!(
        views.writes(),
        before + 1,
        "the full buffer was written at once"
    );
    assert_eq!(
        views.pending(),
        1,
        "and the new view waits for the next write"
    );
}

// ---- The same answers through the storefront page and the API ----

mod through_http {
    use crate::checkout::{buyer, checkout};
    use crate::mailbox;
    use crate::support::{assert_problem, cart_with, spawn, TestApp};
    use hanjinbi_services::orders::CODE_ATTEMPTS;
    use serde_json::{json, Value};

    async fn place(app: &TestApp) -> String {
        let cart = cart_with(app, "AKG2L-DEN-M", 1).await;
        let r = checkout(app, &cart, buyer("lan@example.vn")).await;
        assert_eq!(r.status().as_u16(), 201);
        let placed: Value = r.json().await.unwrap();
        app.send_mail().await;
        placed["number"].as_str().unwrap().to_owned()
    }

    async fn form(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let r = app.post_form("/don-hang/tra-cuu", fields).await;
        let status = r.status().as_u16();
        let retry_after = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, retry_after, r.text().await.unwrap())
    }

    /// The one code emailed so far.
    async fn emailed_code(app: &TestApp) -> String {
        app.send_mail().await;
        let codes: Vec<String> = mailbox::mails(app)
            .iter()
            .filter_map(mailbox::code_in)
            .collect();
        assert_eq!(codes.len(), 1, "one code was emailed");
        codes[0].clone()
    }

    /// The `name` attributes of the inputs of the form posting `action`.
    fn inputs_of(page: &str, action: &str) -> Vec<String> {
        let marker = format!("name=\"action\" value=\"{action}\"");
        let at = page.find(&marker).expect("the form");
        let start = page[..at].rfind("<form").unwrap();
        let end = at + page[at..].find("</form>").unwrap();
        page[start..end]
            .split("<input")
            .skip(1)
            .filter_map(|i| i.split("name=\"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    /// Times move on while a test runs; pages compared for sameness ignore the digits.
    fn without_digits(page: &str) -> String {
        page.chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    }

    #[tokio::test]
    async fn the_lookup_page_says_what_went_wrong_at_each_step() {
        let app = spawn().await;
        let number = place(&app).await;

        let (status, _, page) = form(
            &app,
            &[
                ("action", "send_code"),
                ("number", "12345"),
                ("contact", "0912345678"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(page.contains("Mã đơn hàng gồm chữ HJ và 10 chữ cái hoặc chữ số"));
        let (status, _, page) = form(
            &app,
            &[
                ("action", "send_code"),
                ("number", &number),
                ("contact", "lan at home"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(page.contains("Vui lòng nhập email hoặc số điện thoại Việt Nam"));

        // Asked: the code step asks for the code only; the number rides in a hidden field.
        let (status, _, page) = form(
            &app,
            &[
                ("action", "send_code"),
                ("number", &number),
                ("contact", "0912 345 678"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert!(page.contains("mã 6 số đã được gửi tới email của đơn hàng đó"));
        assert!(page.contains("Quý khách có thể yêu cầu mã mới từ"));
        assert!(page.contains("(giờ Việt Nam)"));
        assert_eq!(inputs_of(&page, "code"), ["action", "number", "code"]);
        assert!(page.contains(&format!("name=\"number\" value=\"{number}\"")));
        assert!(
            !page.contains("name=\"token\""),
            "nothing asks for the token"
        );
        assert!(!page.contains("name=\"contact\""));

        // Asked again at once: told when it may ask again, and that no new code was sent.
        let (status, retry_after, page) = form(
            &app,
            &[
                ("action", "send_code"),
                ("number", &number),
                ("contact", "0912345678"),
            ],
        )
        .await;
        assert_eq!(status, 429);
        let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(page.contains("Quý khách vừa yêu cầu mã với đúng thông tin này"));
        assert!(page.contains("Có thể yêu cầu mã mới từ "));
        assert_eq!(inputs_of(&page, "code"), ["action", "number", "code"]);
        let code = emailed_code(&app).await;
        assert_eq!(app.send_mail().await, 0, "one code was sent, not two");

        let (status, _, page) = form(
            &app,
            &[("action", "code"), ("number", &number), ("code", "12a4")],
        )
        .await;
        assert_eq!(status, 422);
        assert!(page.contains("Mã tra cứu gồm 6 chữ số"));
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, _, page) = form(
            &app,
            &[("action", "code"), ("number", &number), ("code", wrong)],
        )
        .await;
        assert_eq!(status, 422);
        let left = CODE_ATTEMPTS - 1;
        assert!(page.contains(&format!("Mã không đúng. Quý khách còn {left} lần thử.")));
        assert_eq!(inputs_of(&page, "code"), ["action", "number", "code"]);
        // A number without an order answers a wrong code the same way.
        let (status, _, nobody) = form(
            &app,
            &[
                ("action", "code"),
                ("number", "HJ0000000000"),
                ("code", wrong),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            without_digits(&nobody.replace("HJ0000000000", &number)),
            without_digits(&page)
        );

        let r = app
            .post_form(
                "/don-hang/tra-cuu",
                &[
                    ("action", "code"),
                    ("number", &number),
                    ("code", &format!(" {code} ")),
                ],
            )
            .await;
        assert_eq!(
            r.status().as_u16(),
            303,
            "spaces around a pasted code are fine"
        );
        let (status, _, page) = form(
            &app,
            &[("action", "code"), ("number", &number), ("code", &code)],
        )
        .await;
        assert_eq!(status, 410);
        assert!(page.contains("Mã này đã được dùng"));
        assert!(
            page.contains("name=\"contact\""),
            "back at the first step to ask again"
        );
        assert!(page.contains(&format!("value=\"{number}\"")));
    }

    #[tokio::test]
    async fn the_lookup_page_answers_in_english_too() {
        let app = spawn().await;
        let number = place(&app).await;
        let r = app
            .http
            .post(app.url("/don-hang/tra-cuu?lang=en"))
            .header("sec-fetch-site", "same-origin")
            .form(&[
                ("action", "code"),
                ("number", number.as_str()),
                ("code", "000000"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("That code is not right. You have 4 tries left."),
            "{page}"
        );
    }

    #[tokio::test]
    async fn the_lookup_page_answers_a_code_request_the_same_whatever_matched() {
        let app = spawn().await;
        let number = place(&app).await;
        let mut answers = Vec::new();
        let mut again = Vec::new();
        for contact in ["0912345678", "0987654321", "other@example.vn"] {
            let fields = [
                ("action", "send_code"),
                ("number", number.as_str()),
                ("contact", contact),
            ];
            let (status, _, page) = form(&app, &fields).await;
            answers.push((status, without_digits(&page)));
            let (status, _, page) = form(&app, &fields).await;
            again.push((status, without_digits(&page)));
        }
        assert_eq!(answers[0].0, 200);
        assert_eq!(answers[0], answers[1]);
        assert_eq!(answers[0], answers[2]);
        assert_eq!(again[0].0, 429);
        assert_eq!(again[0], again[1]);
        assert_eq!(again[0], again[2]);
    }

    async fn api_post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
        app.http
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_lookup_api_says_what_went_wrong_at_each_step() {
        let app = spawn().await;
        let number = place(&app).await;
        let ask = format!("/api/v1/orders/{number}/lookup-code");
        let redeem = format!("/api/v1/orders/{number}/lookup-token");

        let r = api_post(&app, &ask, json!({"contact": "lan@example.vn"})).await;
        assert_eq!(r.status().as_u16(), 202);
        let accepted: Value = r.json().await.unwrap();
        assert_eq!(accepted["code_lifetime_secs"], 900);
        assert!(accepted["ask_again_at"]
            .as_str()
            .unwrap()
            .ends_with("+07:00"));
        // Other details get the same answer and no code.
        let r = api_post(
            &app,
            "/api/v1/orders/HJ0000000000/lookup-code",
            json!({"contact": "lan@example.vn"}),
        )
        .await;
        assert_eq!(r.status().as_u16(), 202);
        let r = api_post(&app, &ask, json!({"contact": "lan@example.vn"})).await;
        assert!(r.headers().contains_key("retry-after"));
        let problem = assert_problem(r, 429, "code_requested_too_soon").await;
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("(giờ Việt Nam)"));
        assert_problem(
            api_post(
                &app,
                "/api/v1/orders/12345/lookup-code",
                json!({"contact": "lan@example.vn"}),
            )
            .await,
            422,
            "invalid_order_number",
        )
        .await;
        assert_problem(
            api_post(&app, &ask, json!({"contact": "lan"})).await,
            422,
            "invalid_contact",
        )
        .await;
        let code = emailed_code(&app).await;

        let wrong = if code == "000000" { "111111" } else { "000000" };
        let problem = assert_problem(
            api_post(&app, &redeem, json!({"code": wrong})).await,
            422,
            "code_wrong",
        )
        .await;
        assert_eq!(problem["tries_left"], CODE_ATTEMPTS - 1);
        let nobody = assert_problem(
            api_post(
                &app,
                "/api/v1/orders/HJ0000000000/lookup-token",
                json!({"code": wrong}),
            )
            .await,
            422,
            "code_wrong",
        )
        .await;
        assert_eq!(nobody, problem, "the same answer without an order");
        assert_problem(
            api_post(&app, &redeem, json!({"code": "12345"})).await,
            422,
            "invalid_code",
        )
        .await;

        let r = api_post(&app, &redeem, json!({"code": code})).await;
        assert_eq!(r.status().as_u16(), 200);
        let token: Value = r.json().await.unwrap();
        let order = app
            .http
            .get(app.url(&format!("/api/v1/orders/{number}")))
            .header("x-order-token", token["lookup_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(order.status().as_u16(), 200);
        let r = app
            .http
            .post(app.url(&redeem))
            .header("accept-language", "en")
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(r, 410, "code_already_used").await;
        assert!(problem["detail"].as_str().unwrap().contains("already used"));
    }

    #[tokio::test]
    async fn the_lookup_api_locks_after_too_many_wrong_codes_and_says_until_when() {
        let app = spawn().await;
        let number = place(&app).await;
        let redeem = format!("/api/v1/orders/{number}/lookup-token");
        let mut codes = Vec::new();
        for _ in 0..10 {
            let r = api_post(&app, &redeem, json!({"code": "000000"})).await;
            codes.push(r.status().as_u16());
        }
        assert_eq!(
            codes,
            [422, 422, 422, 422, 422, 410, 410, 410, 410, 410],
            "five tries, then a new code is needed"
        );
        let r = api_post(&app, &redeem, json!({"code": "000000"})).await;
        let wait: i64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        let problem = assert_problem(r, 429, "lookup_locked").await;
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("(giờ Việt Nam)"));
    }
}
