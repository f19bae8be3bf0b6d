//! The one-time order lookup codes under a clock the tests move: limits per order, per
//! contact and per client that survive reissued codes, lockouts that end, at most one code
//! per interval under parallel requests, and the same answer whatever matched.

use crate::support::fresh_database;
use hanjinbi_domain::{Quantity, ShopInfo, Sku};
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::keys::KeyRing;
use hanjinbi_privacy::policy::Policy;
use hanjinbi_privacy::Vault;
use hanjinbi_services::checkout::{CheckoutRequest, OrderLimits, ShippingFees};
use hanjinbi_services::mail::{MailSettings, Mailer};
use hanjinbi_services::orders::{
    OrderError, CODE_INTERVAL_SECS, CODE_LIFETIME_SECS, FAILURES_PER_CLIENT, FAILURES_PER_ORDER,
    FAILURE_WINDOW_SECS, SENDS_PER_CONTACT,
};
use hanjinbi_services::{FakeClock, ServiceSettings, Services};
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
                let mail = std::fs::read_to_string(e.path()).unwrap();
                let body = mail
                    .split("\r\n\r\n")
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("\n");
                let code = body
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .unwrap()
                    .to_owned();
                codes.push(code);
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
            assert!(matches!(r, Err(OrderError::NoMatch)), "{r:?}");
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
        assert!(matches!(r, Err(OrderError::NoMatch)), "{r:?}");
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

#[tokio::test]
async fn parallel_requests_send_at_most_one_code() {
    let shop = Arc::new(shop().await);
    for round in 0..5 {
        let email = format!("lan{round}@example.vn");
        let number = shop.order(&email).await;
        let tasks: Vec<_> = (0..10u8)
            .map(|i| {
                let (shop, number, email) = (Arc::clone(&shop), number.clone(), email.clone());
                tokio::spawn(async move {
                    shop.services
                        .orders
                        .request_code(&number, &email, client(i))
                        .await
                })
            })
            .collect();
        let mut answered = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                answered += 1;
            }
        }
        assert_eq!(
            answered, SENDS_PER_CONTACT,
            "round {round}: the rest are over the limit"
        );
        assert_eq!(shop.outbox_codes().await, round + 1, "round {round}");
    }
}

#[tokio::test]
async fn asking_for_a_code_answers_the_same_whatever_matches() {
    let shop = shop().await;
    let number = shop.order("lan@example.vn").await;
    let orders = &shop.services.orders;
    for (number, contact) in [
        ("HJ0000000000", "0912345678"),
        (number.as_str(), "other@example.vn"),
        (number.as_str(), "0987654321"),
        (number.as_str(), "not a contact"),
        (number.as_str(), "LAN@example.VN"),
    ] {
        let r = orders.request_code(number, contact, client(1)).await;
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(
        shop.outbox_codes().await,
        1,
        "only the matching contact got a code"
    );
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
    assert!(matches!(late, Err(OrderError::CodeSpent)), "{late:?}");
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
