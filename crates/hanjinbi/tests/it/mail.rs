//! Outgoing mail: never in clear, never stuck, retried from each failure's own time, sent
//! once even with several workers.

use crate::checkout::{buyer, checkout};
use crate::support::{cart_with, postgres_admin_url, spawn, spawn_tuned, TestApp};
use hanjinbi::server::RunningServer;
use hanjinbi_domain::ShopInfo;
use hanjinbi_services::mail::{MailSettings, Mailer, SmtpSettings};
use hanjinbi_services::notifications::{backoff, Notifier};
use hanjinbi_services::Clock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Far longer than any SMTP timeout these tests configure.
const GENEROUS: Duration = Duration::from_secs(30);

#[derive(Clone, Copy)]
enum Behaviour {
    /// Speaks SMTP and offers AUTH, but not STARTTLS.
    NoStartTls,
    /// Accepts connections and never says a word.
    Silent,
}

/// A local SMTP server that records what clients send it.
#[derive(Clone)]
struct FakeSmtp {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    connected: Arc<tokio::sync::Notify>,
}

impl FakeSmtp {
    async fn start(behaviour: Behaviour) -> FakeSmtp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeSmtp {
            addr: listener.local_addr().unwrap(),
            lines: Arc::default(),
            connections: Arc::default(),
            connected: Arc::default(),
        };
        let shared = fake.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                shared.connected.notify_waiters();
                let lines = shared.lines.clone();
                tokio::spawn(async move {
                    match behaviour {
                        Behaviour::Silent => {
                            let _held = stream;
                            std::future::pending::<()>().await;
                        }
                        Behaviour::NoStartTls => converse(stream, lines).await,
                    }
                });
            }
        });
        fake
    }

    fn url(&self) -> String {
        format!("smtp://shop:s3cret-pass@{}", self.addr)
    }

    fn said(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

async fn converse(stream: tokio::net::TcpStream, lines: Arc<Mutex<Vec<String>>>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let _ = writer.write_all(b"220 fake.local ESMTP\r\n").await;
    let mut in_data = false;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        lines.lock().unwrap().push(line.clone());
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if in_data {
            if line == ".\r\n" {
                in_data = false;
                b"250 queued\r\n"
            } else {
                continue;
            }
        } else if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-fake.local\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("AUTH") {
            b"235 2.7.0 accepted\r\n"
        } else if upper.starts_with("DATA") {
            in_data = true;
            b"354 go on\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = writer.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if writer.write_all(answer).await.is_err() {
            return;
        }
    }
}

fn smtp(url: String, timeout: Duration) -> MailSettings {
    MailSettings::Smtp(SmtpSettings {
        timeout,
        ..SmtpSettings::new(url)
    })
}

async fn spawn_mailing_to(mail: MailSettings, outbox_every: Option<Duration>) -> TestApp {
    spawn_tuned(true, ShopInfo::default(), |s| {
        s.mail = mail;
        s.outbox_every = outbox_every;
    })
    .await
}

async fn place_order(app: &TestApp) -> String {
    place_order_of(app, "AKG2L-DEN-M").await
}

async fn place_order_of(app: &TestApp, sku: &str) -> String {
    let cart = cart_with(app, sku, 1).await;
    let r = checkout(app, &cart, buyer("lan@example.vn")).await;
    assert_eq!(r.status().as_u16(), 201);
    r.json::<serde_json::Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `(attempts, next_attempt_at, last_error)` of the only outbox message.
async fn outbox_row(app: &TestApp) -> (i64, i64, Option<String>) {
    let row = app
        .server
        .services
        .db
        .raw_row(
            "SELECT attempts, next_attempt_at, last_error FROM outbox",
            &[],
        )
        .await
        .unwrap();
    (
        row.get("attempts").unwrap(),
        row.get("next_attempt_at").unwrap(),
        row.get("last_error").unwrap(),
    )
}

#[tokio::test]
async fn without_starttls_neither_the_password_nor_the_mail_is_sent() {
    let fake = FakeSmtp::start(Behaviour::NoStartTls).await;
    let app = spawn_mailing_to(smtp(fake.url(), Duration::from_secs(5)), None).await;
    place_order(&app).await;
    let sent = tokio::time::timeout(GENEROUS, app.send_mail())
        .await
        .expect("the pass ends");
    assert_eq!(sent, 0);
    let said = fake.said();
    assert!(
        said.iter()
            .any(|l| l.to_ascii_uppercase().starts_with("EHLO")),
        "{said:?}"
    );
    for line in &said {
        let upper = line.to_ascii_uppercase();
        assert!(
            !upper.starts_with("AUTH") && !upper.starts_with("MAIL") && !upper.starts_with("RCPT"),
            "sent in clear: {said:?}"
        );
    }
    let (attempts, _, error) = outbox_row(&app).await;
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| !e.contains("s3cret")));
}

#[test]
fn plaintext_smtp_needs_the_named_setting_and_a_local_relay() {
    let remote = SmtpSettings {
        insecure_plaintext_local_relay: true,
        ..SmtpSettings::new("smtp://shop:pw@mail.example.vn:25".into())
    };
    assert!(Mailer::new(&MailSettings::Smtp(remote)).is_err());
    let local = SmtpSettings {
        insecure_plaintext_local_relay: true,
        ..SmtpSettings::new("smtp://127.0.0.1:25".into())
    };
    assert!(Mailer::new(&MailSettings::Smtp(local)).is_ok());
}

#[tokio::test]
async fn an_smtp_server_that_never_answers_fails_the_send_within_its_timeout() {
    let fake = FakeSmtp::start(Behaviour::Silent).await;
    let app = spawn_mailing_to(smtp(fake.url(), Duration::from_secs(1)), None).await;
    place_order(&app).await;
    let sent = tokio::time::timeout(GENEROUS, app.send_mail())
        .await
        .expect("a silent SMTP server does not hold the outbox");
    assert_eq!(sent, 0);
    assert_eq!(fake.connections.load(Ordering::SeqCst), 1);
    let (attempts, _, error) = outbox_row(&app).await;
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| e.contains("timeout")));
}

#[tokio::test]
async fn a_stuck_smtp_server_does_not_block_the_shutdown() {
    let fake = FakeSmtp::start(Behaviour::Silent).await;
    let connected = fake.connected.notified();
    let app = spawn_mailing_to(
        smtp(fake.url(), Duration::from_secs(600)),
        Some(Duration::from_millis(50)),
    )
    .await;
    place_order(&app).await;
    tokio::time::timeout(GENEROUS, connected)
        .await
        .expect("the worker is sending");
    let TestApp { server, dir, .. } = app;
    let stopped = tokio::time::timeout(GENEROUS, server.stop()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the server stopped while a send hung"
    );
    drop(dir);
}

/// A clock the test sets.
struct FakeClock(AtomicI64);

impl Clock for FakeClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_failed_message_is_retried_after_a_back_off_from_its_own_failure_time() {
    let fake = FakeSmtp::start(Behaviour::Silent).await;
    let app = spawn(/* mail to a folder; this test's worker mails through the fake */).await;
    place_order(&app).await;
    let settings = smtp(fake.url(), Duration::from_secs(5));
    let start = hanjinbi_services::SystemClock.now() + 10;
    let clock = Arc::new(FakeClock(AtomicI64::new(start)));
    let services = &app.server.services;
    let notifier = Notifier::new(
        services.db.clone(),
        clock.clone(),
        services.gate.clone(),
        Mailer::new(&settings).unwrap(),
        Arc::new(ShopInfo::default()),
    );
    // The send fails long after the pass began: by then the clock says start + 1000.
    let connected = fake.connected.notified();
    let pass = notifier.send_due();
    let late = async {
        connected.await;
        clock.0.store(start + 1000, Ordering::SeqCst);
    };
    let (sent, ()) = tokio::time::timeout(GENEROUS, async { tokio::join!(pass, late) })
        .await
        .expect("the pass ends");
    assert_eq!(sent.unwrap(), 0);
    let (attempts, next_attempt_at, _) = outbox_row(&app).await;
    assert_eq!(attempts, 1);
    assert_eq!(next_attempt_at, start + 1000 + backoff(1));

    clock.0.store(next_attempt_at - 1, Ordering::SeqCst);
    assert_eq!(notifier.send_due().await.unwrap(), 0);
    assert_eq!(fake.connections.load(Ordering::SeqCst), 1, "not due yet");
    assert!(backoff(2) > backoff(1));
}

#[tokio::test]
async fn two_outbox_workers_on_one_postgresql_send_each_message_once() {
    if postgres_admin_url().is_none() {
        eprintln!(
            "skipped: two workers on one PostgreSQL needs HANJINBI_TEST_DATABASE_URL=postgres://…"
        );
        return;
    }
    let app = spawn().await;
    const SKUS: [&str; 6] = [
        "AKG2L-DEN-M",
        "AKG2L-DEN-L",
        "AKG2L-DEN-XL",
        "AKG2L-NAVY-M",
        "AKG2L-NAVY-L",
        "AKG2L-NAVY-XL",
    ];
    const ORDERS: usize = 2 * SKUS.len();
    for sku in SKUS.iter().chain(SKUS.iter()) {
        place_order_of(&app, sku).await;
    }
    let second = RunningServer::start(crate::support::settings(
        &app.database_url,
        app.dir.path(),
        false,
        ShopInfo::default(),
    ))
    .await
    .unwrap();
    let workers = [
        app.server.services.notifier.clone(),
        second.services.notifier.clone(),
    ];
    for _ in 0..50 {
        let (a, b) = tokio::join!(workers[0].send_due(), workers[1].send_due());
        a.unwrap();
        b.unwrap();
        if hanjinbi_store::outbox::pending_count(&app.server.services.db)
            .await
            .unwrap()
            == 0
        {
            break;
        }
    }
    assert_eq!(app.mails().len(), ORDERS);
    let max_attempts: i64 = app
        .server
        .services
        .db
        .raw_one("SELECT MAX(attempts) AS n FROM outbox", &[])
        .await
        .unwrap();
    assert_eq!(max_attempts, 1, "a message was sent more than once");
    second.stop().await.unwrap();
}

// ---- What the emails say, and how they are put together ----

mod content {
    use crate::checkout::buyer;
    use crate::mailbox::{self, Mail};
    use crate::support::{cart_with, spawn, TestApp};
    use hanjinbi_domain::ShopInfo;
    use hanjinbi_services::emails::{
        BankTransfer, PaymentInstructions, PaymentInstructionsError, PaymentOrder,
    };
    use hanjinbi_services::mail::{MailSettings, Mailer};
    use hanjinbi_services::notifications::Notifier;
    use hanjinbi_services::{Clock, SystemClock};
    use serde_json::{json, Value};
    use std::sync::Arc;

    /// Places an order through the API in `lang` ("vi" or "en"); returns the answer.
    async fn order_in(app: &TestApp, lang: &str, mut body: Value) -> Value {
        let cart = cart_with(app, "AKG2L-DEN-M", 2).await;
        body["cart_id"] = json!(cart.0);
        let r = app
            .http
            .post(app.url("/api/v1/checkout"))
            .header("x-cart-token", &cart.1)
            .header("accept-language", lang)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json().await.unwrap()
    }

    fn only_mail(app: &TestApp) -> Mail {
        let mut mails = mailbox::mails(app);
        assert_eq!(mails.len(), 1);
        mails.remove(0)
    }

    fn clear(app: &TestApp) {
        for e in std::fs::read_dir(app.dir.path().join("mail")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
    }

    #[tokio::test]
    async fn an_english_checkout_is_confirmed_in_english_and_a_vietnamese_one_in_vietnamese() {
        let app = spawn().await;
        let placed = order_in(&app, "en", buyer("lan@example.vn")).await;
        let number = placed["number"].as_str().unwrap();
        let token = placed["lookup_token"].as_str().unwrap();
        assert_eq!(app.send_mail().await, 1);
        let mail = only_mail(&app);
        assert_eq!(mail.subject, format!("Hanjinbi: order {number} confirmed"));
        for part in [&mail.text, &mail.html] {
            assert!(
                part.contains("Men's two-layer windbreaker")
                    || part.contains("Men&#39;s two-layer windbreaker")
            );
            assert!(part.contains("M / Black"));
            assert!(
                !part.contains("Áo khoác"),
                "no Vietnamese name in an English email"
            );
            assert!(
                part.contains("0912 345 678"),
                "the phone as Vietnamese people write it"
            );
            assert!(part.contains("Giao giờ hành chính"), "the buyer's note");
            assert!(
                part.contains("News and promotions"),
                "the consent's purpose by name"
            );
            assert!(part.contains("https://www.hanjinbi.com/privacy"));
            assert!(!part.contains("chinh-sach-bao-mat"));
        }
        assert!(mail
            .text
            .contains(&format!("/don-hang/{number}?token={token}&lang=en")));
        assert!(mail.text.contains("(Vietnam time)"));
        // The wording shown beside the box, word for word, as recorded.
        assert!(mail.text.contains(
            "“I agree to receive emails from Hanjinbi about new products and promotions. I can unsubscribe at any time.”"
        ));
        clear(&app);

        let placed = order_in(&app, "vi", buyer("lan@example.vn")).await;
        let number = placed["number"].as_str().unwrap();
        assert_eq!(app.send_mail().await, 1);
        let mail = only_mail(&app);
        assert_eq!(
            mail.subject,
            format!("Hanjinbi: xác nhận đơn hàng {number}")
        );
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("Áo khoác gió nam 2 lớp"));
            assert!(part.contains("M / Đen"));
            assert!(!part.contains("windbreaker"));
            assert!(part.contains("Tin sản phẩm mới và khuyến mãi"));
            assert!(part.contains("https://www.hanjinbi.com/chinh-sach-bao-mat"));
        }
        assert!(mail.text.contains("(giờ Việt Nam)"));
        // Its order, in the API: the language, and both names of each line.
        let order: Value = app
            .http
            .get(app.url(&format!("/api/v1/orders/{number}")))
            .header("x-order-token", placed["lookup_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(order["lang"], "vi");
        assert_eq!(order["lines"][0]["name"], "Áo khoác gió nam 2 lớp");
        assert_eq!(order["lines"][0]["name_en"], "Men's two-layer windbreaker");
        assert_eq!(order["lines"][0]["variant_en"], "M / Black");
    }

    #[tokio::test]
    async fn every_message_has_a_date_a_message_id_both_parts_and_no_personal_header_but_to() {
        let app = spawn().await;
        let mut body = buyer("lan.nguyen@example.vn");
        body["name"] = json!("Trần Thị Bích Ngọc");
        body["phone"] = json!("0987 654 321");
        body["note"] = json!("Để hàng ở phòng bảo vệ");
        let placed = order_in(&app, "vi", body).await;
        let number = placed["number"].as_str().unwrap();
        let r = app
            .post_form(
                "/don-hang/tra-cuu",
                &[
                    ("action", "send_code"),
                    ("number", number),
                    ("contact", "0987654321"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 200);
        let sent_around = SystemClock.now();
        assert_eq!(app.send_mail().await, 2, "the confirmation and the code");
        let mails = mailbox::mails(&app);
        assert_eq!(mails.len(), 2);
        let personal = [
            "lan.nguyen",
            "Trần Thị Bích Ngọc",
            "Ngọc",
            "0987654321",
            "0987 654 321",
            "987654321",
            "Số 12 ngõ 34",
            "Để hàng ở phòng bảo vệ",
        ];
        for mail in &mails {
            assert!(
                (mail.date - sent_around).abs() <= 60,
                "Date is when it was sent"
            );
            let (id, domain) = mail.message_id.split_once('@').expect("id@domain");
            assert_eq!(domain, "www.hanjinbi.com", "under the shop's own domain");
            assert_eq!(id.len(), 32, "128 random bits: {id}");
            assert_eq!(
                mail.structure
                    .iter()
                    .map(|(depth, kind, charset)| (*depth, kind.as_str(), charset.as_deref()))
                    .collect::<Vec<_>>(),
                [
                    (0, "multipart/alternative", None),
                    (1, "text/plain", Some("utf-8")),
                    (1, "text/html", Some("utf-8")),
                ]
            );
            assert_eq!(mail.to, "lan.nguyen@example.vn");
            for (name, value) in &mail.headers {
                if name.eq_ignore_ascii_case("to") {
                    continue;
                }
                for p in personal {
                    assert!(!value.contains(p), "{name} holds {p}");
                }
            }
            for p in personal {
                assert!(!mail.subject.contains(p), "the subject holds {p}");
            }
        }
        assert_ne!(mails[0].message_id, mails[1].message_id);
        // The code email reaches the address of the order, in full words.
        let code_mail = mails
            .iter()
            .find(|m| mailbox::code_in(m).is_some())
            .expect("the code email");
        assert!(code_mail.text.contains("Mã có hiệu lực trong 15 phút"));
    }

    /// A payment block as the integrator's settings would give it; the image is not a QR code.
    struct DummyBankTransfer;

    const DUMMY_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not a real image";

    impl PaymentInstructions for DummyBankTransfer {
        fn bank_transfer(
            &self,
            order: &PaymentOrder<'_>,
        ) -> Result<Option<BankTransfer>, PaymentInstructionsError> {
            Ok(Some(BankTransfer {
                bank: "Vietcombank".into(),
                account_number: "0071000123456".into(),
                account_holder: "CONG TY TNHH HANJINBI".into(),
                amount: order.total,
                reference: order.number.to_owned(),
                qr_png: Some(DUMMY_PNG.to_vec()),
            }))
        }
    }

    #[tokio::test]
    async fn a_bank_transfer_confirmation_carries_its_qr_code_inline_beside_the_html() {
        let app = spawn().await;
        let mut body = buyer("lan@example.vn");
        body["payment_method"] = json!("bank_transfer");
        let placed = order_in(&app, "en", body).await;
        let number = placed["number"].as_str().unwrap();
        let outbox = tempfile::tempdir().unwrap();
        let services = &app.server.services;
        let notifier = Notifier::new(
            services.db.clone(),
            Arc::new(SystemClock),
            services.gate.clone(),
            Mailer::new(&MailSettings::Folder(outbox.path().to_owned())).unwrap(),
            Arc::new(ShopInfo::default()),
        )
        .with_payment_instructions(Arc::new(DummyBankTransfer));
        assert_eq!(notifier.send_due().await.unwrap(), 1);
        let file = std::fs::read_dir(outbox.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let mail = mailbox::parse(&std::fs::read_to_string(file.path()).unwrap());
        assert_eq!(
            mail.structure
                .iter()
                .map(|(depth, kind, _)| (*depth, kind.as_str()))
                .collect::<Vec<_>>(),
            [
                (0, "multipart/alternative"),
                (1, "text/plain"),
                (1, "multipart/related"),
                (2, "text/html"),
                (2, "image/png"),
            ]
        );
        assert_eq!(mail.inline.len(), 1);
        let (content_id, png) = &mail.inline[0];
        assert_eq!(png.as_slice(), DUMMY_PNG);
        assert!(content_id.ends_with("@www.hanjinbi.com"));
        assert!(mail.html.contains(&format!("src=\"cid:{content_id}\"")));
        let total = hanjinbi_domain::Dong(placed["total"].as_i64().unwrap()).to_string();
        for row in [
            "Bank: Vietcombank".to_owned(),
            "Account number: 0071000123456".to_owned(),
            "Account holder: CONG TY TNHH HANJINBI".to_owned(),
            format!("Amount: {total}"),
            format!("Transfer reference: {number}"),
        ] {
            assert!(mail.text.contains(&row), "the plain text has {row:?}");
        }
    }

    #[tokio::test]
    async fn the_shops_bank_account_and_a_scannable_code_reach_a_bank_transfer_confirmation() {
        // The test shop has a bank account in its settings (`support::test_bank`).
        let app = spawn().await;
        let mut body = buyer("lan@example.vn");
        body["payment_method"] = json!("bank_transfer");
        let placed = order_in(&app, "vi", body).await;
        let number = placed["number"].as_str().unwrap();
        assert_eq!(app.send_mail().await, 1);
        let mail = mailbox::mails(&app).pop().expect("the confirmation");
        let total = hanjinbi_domain::Dong(placed["total"].as_i64().unwrap()).to_string();
        for row in [
            "0071000123456".to_owned(),
            "CONG TY TNHH HANJINBI".to_owned(),
            total.clone(),
            number.to_owned(),
        ] {
            assert!(mail.text.contains(&row), "the plain text has {row:?}");
            assert!(mail.html.contains(&row), "the HTML has {row:?}");
        }
        assert_eq!(mail.inline.len(), 1, "one inline image: the code");
        if let Some(text) = crate::support::scan_png_qr(&mail.inline[0].1) {
            let read = hanjinbi_vietqr::decode(&text).expect("a VietQR payload");
            assert_eq!(read.bin().as_str(), "970436");
            assert_eq!(read.account().as_str(), "0071000123456");
            assert_eq!(
                read.amount().map(|a| a.get()),
                Some(u64::try_from(placed["total"].as_i64().unwrap()).unwrap())
            );
            assert_eq!(read.reference().map(|r| r.as_str()), Some(number));
        }

        // Cash on delivery: no transfer, no image.
        let placed = order_in(&app, "vi", buyer("lan@example.vn")).await;
        assert_eq!(app.send_mail().await, 1);
        let mail = mailbox::mails(&app)
            .into_iter()
            .find(|m| m.subject.contains(placed["number"].as_str().unwrap()))
            .expect("the second confirmation");
        assert!(mail.inline.is_empty());
        assert!(!mail.text.contains("0071000123456"));
    }
}
