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
