//! A buyer's data export and access view, for a buyer with many orders.
//!
//! ```sh
//! cargo bench -p hanjinbi --bench export
//! HANJINBI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p hanjinbi --bench export
//! ```
//!
//! For each backend (SQLite in a temporary folder; PostgreSQL too when
//! `HANJINBI_BENCH_POSTGRES_URL` names a server's admin database, on a database the bench
//! creates and drops), the real server starts in-process on a fresh database with the demo
//! catalog. The bench then seeds, in write transactions of 500 orders, `ORDERS` guest orders
//! placed with one address and `OTHERS` orders of other addresses, each as a checkout writes
//! it (a buyer record with its own data key and sealed contact details, the consent given,
//! sealed delivery details and note, two lines, the first status, the audit entries), and a
//! verified account of that address with a bearer session. It measures:
//!
//! - `export`: `Export::export`, the whole document (every order's buyer record and delivery
//!   details opened through the gate, one audit transaction for them all);
//! - `GET /api/v1/me/export`: the same over HTTP, as JSON, the body read;
//! - `GET /api/v1/me/export?format=csv`: the ZIP of CSV files over HTTP;
//! - `access`: `Export::access`, the access view (opens nothing).
//!
//! Every export writes one audit entry per buyer record it opens (`ORDERS` + 1), and lists
//! every entry about the buyer, its own earlier exports included; so that each measured
//! export sees the same database, the bench deletes the entries an export wrote before the
//! next one (outside the timing; a scratch database, whose chain nothing verifies after).
//!
//! `HANJINBI_BENCH_EXPORT_ORDERS` (default 5000) and `HANJINBI_BENCH_EXPORT_OTHERS` (default
//! 5000) change the counts. The client, the server and (for PostgreSQL) the database share
//! the machine's cores: compare figures within one run.

use anyhow::{ensure, Context};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use hanjinbi::server::{RunningServer, ServerSettings};
use hanjinbi_domain::address::Place;
use hanjinbi_domain::contact::{Email, FullName, PhoneVn, StreetLine};
use hanjinbi_domain::password::NewPassword;
use hanjinbi_domain::{Lang, ShopInfo};
use hanjinbi_privacy::audit::{AuditAction, AuditBatch, AuditEvent};
use hanjinbi_privacy::credentials::{self, SecretToken};
use hanjinbi_privacy::gate::slots;
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::records::{self, BuyerContact, CheckoutConsents};
use hanjinbi_services::accounts::Session;
use hanjinbi_services::checkout::ShippingFees;
use hanjinbi_services::mail::MailSettings;
use hanjinbi_store::orders::{self, OrderLineRow, OrderRow};
use hanjinbi_store::testing::{create_postgres_database, drop_postgres_database, Param};
use hanjinbi_store::{accounts, Db};
use rand::RngCore;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const EMAIL: &str = "mua.nhieu@example.vn";
const PASSWORD: &str = "trăng sáng trên sông Hương";
const ORDERS_PER_TRANSACTION: usize = 500;

fn env_number(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number")),
        Err(_) => Ok(default),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The server's default pool size for the backend (`hanjinbi serve`).
    fn connections(self) -> u32 {
        match self {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        }
    }
}

/// A running shop on a database nobody else uses, seeded for one buyer.
struct Shop {
    server: RunningServer,
    session: Session,
    bearer: String,
    /// The audit head after seeding: what each export's entries are cut back to.
    head: (i64, Vec<u8>),
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Shop {
    async fn start(backend: Backend, orders: usize, others: usize) -> anyhow::Result<Shop> {
        let dir = tempfile::tempdir()?;
        let (url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/shop.sqlite3", dir.path().display()),
                None,
            ),
            Backend::Postgres => {
                let admin = std::env::var("HANJINBI_BENCH_POSTGRES_URL")
                    .context("HANJINBI_BENCH_POSTGRES_URL")?;
                let name = format!("hj_bench_{:016x}", rand::rng().next_u64());
                let url = create_postgres_database(&admin, &name)
                    .await
                    .context("create a database through HANJINBI_BENCH_POSTGRES_URL")?;
                (url, Some((admin, name)))
            }
        };
        let server = RunningServer::start(ServerSettings {
            database_url: url,
            max_connections: backend.connections(),
            shop: ShopInfo::default(),
            load_demo: true,
            key_file: dir.path().join("keys.toml"),
            mail: MailSettings::Folder(dir.path().join("mail")),
            fees: ShippingFees::default(),
            limits: hanjinbi_services::checkout::OrderLimits::default(),
            bank: None,
            catalog_cache: Duration::from_secs(1),
            outbox_every: None,
            http: hanjinbi::server::HttpLimits::default().without_write_limit(),
        })
        .await?;
        let started = Instant::now();
        seed_orders(&server, EMAIL, orders, 0).await?;
        for chunk in (0..others).step_by(ORDERS_PER_TRANSACTION) {
            // Each of the others with an address of their own.
            let emails: Vec<String> = (chunk..(chunk + ORDERS_PER_TRANSACTION).min(others))
                .map(|i| format!("khach.{i}@example.vn"))
                .collect();
            seed_each(&server, &emails, orders + chunk).await?;
        }
        let bearer = verified_account(&server).await?;
        let session = server.services.accounts.session(&bearer).await?;
        let head = audit_head(&server.services.db).await?;
        eprintln!(
            "export/{}: seeded {orders} orders of the buyer and {others} of others in {:.1} s; \
             the audit log holds {} entries",
            backend.name(),
            started.elapsed().as_secs_f64(),
            head.0
        );
        Ok(Shop {
            server,
            session,
            bearer,
            head,
            _dir: dir,
            postgres,
        })
    }

    /// Cuts the audit log back to its state after seeding.
    async fn forget_exports(&self) -> anyhow::Result<()> {
        let db = &self.server.services.db;
        db.raw_execute(
            "DELETE FROM audit_log WHERE seq > $1",
            &[Param::Int(self.head.0)],
        )
        .await?;
        db.raw_execute(
            "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
            &[Param::Int(self.head.0), Param::Bytes(self.head.1.clone())],
        )
        .await?;
        Ok(())
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.server.stop().await?;
        if let Some((admin, name)) = &self.postgres {
            drop_postgres_database(admin, name).await?;
        }
        Ok(())
    }
}

async fn audit_head(db: &Db) -> anyhow::Result<(i64, Vec<u8>)> {
    let row = db
        .raw_row("SELECT seq, hash FROM audit_head WHERE id = 1", &[])
        .await?;
    Ok((row.get("seq")?, row.get("hash")?))
}

/// `count` orders placed with `email`, numbered from `first`.
async fn seed_orders(
    server: &RunningServer,
    email: &str,
    count: usize,
    first: usize,
) -> anyhow::Result<()> {
    for chunk in (0..count).step_by(ORDERS_PER_TRANSACTION) {
        let emails = vec![email.to_owned(); ORDERS_PER_TRANSACTION.min(count - chunk)];
        seed_each(server, &emails, first + chunk).await?;
    }
    Ok(())
}

/// One order per address of `emails`, numbered from `first`, in one write transaction, each
/// written as `Checkout::place` writes it (less the cart, the stock and the outbox).
async fn seed_each(server: &RunningServer, emails: &[String], first: usize) -> anyhow::Result<()> {
    let gate = &server.services.gate;
    let now = now();
    let name = FullName::parse("Nguyễn Thị Lan")?;
    let phone = PhoneVn::parse("0912345678")?;
    let place = Place::parse("01", "00004")?;
    let street = StreetLine::parse("Số 12 ngõ 34 Phố Huế")?;
    let mut tx = server.services.db.begin_write().await?;
    for (i, email) in emails.iter().enumerate() {
        let n = first + i;
        let email = Email::parse(email)?;
        let mut batch = AuditBatch::new(format!("cart:bench{n}"));
        let buyer = records::buyer_for_checkout(
            &mut tx,
            gate.vault(),
            BuyerContact {
                email: &email,
                name: &name,
                phone: &phone,
            },
            CheckoutConsents {
                policy: gate.policy(),
                granted: &[PurposeId::Marketing],
                lang: Lang::Vi,
                channel: "api",
            },
            now,
            &mut batch,
        )
        .await?;
        let order_id = records::new_id();
        let ship_to =
            DeliveryDetails::new(name.clone(), phone.clone(), place.clone(), street.clone());
        let note = n
            .is_multiple_of(3)
            .then(|| format!("Giao giờ hành chính, đơn số {n}"));
        let note_sealed = match &note {
            Some(note) => Some(
                buyer
                    .seal(slots::order(&order_id, "note"), note)?
                    .to_stored(),
            ),
            None => None,
        };
        let line =
            |sku: &str, product: &str, label: &str, price: i64, quantity: i64| OrderLineRow {
                sku: sku.to_owned(),
                product_slug: product.to_owned(),
                product_name: "Áo khoác jean nữ".to_owned(),
                variant_label: label.to_owned(),
                unit_price: price,
                quantity,
                line_total: price * quantity,
                product_name_en: Some("Women's denim jacket".to_owned()),
                variant_label_en: Some(label.replace("Đen", "Black")),
            };
        let lines = [
            line("AKG2L-DEN-M", "ao-khoac-jean-nu", "M / Đen", 450_000, 1),
            line("AKG2L-DEN-L", "ao-khoac-jean-nu", "L / Đen", 450_000, 2),
        ];
        let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
        let order = OrderRow {
            id: order_id.clone(),
            number: format!("HJ{n:010}"),
            buyer_id: buyer.subject.clone(),
            status: "placed".to_owned(),
            subtotal,
            shipping_fee: 30_000,
            total: subtotal + 30_000,
            shipping_method: "standard".to_owned(),
            payment_method: "cash_on_delivery".to_owned(),
            ship_to_sealed: ship_to.seal(&buyer, &order_id)?.to_stored(),
            note_sealed,
            policy_version: gate.policy().version().to_owned(),
            placed_at: now,
            lang: "vi".to_owned(),
        };
        orders::insert(&mut tx, &order, &lines, Actor::Buyer.code()).await?;
        let fields: &[&str] = if note.is_some() {
            &["ship_to", "note"]
        } else {
            &["ship_to"]
        };
        batch.record(AuditEvent {
            at: now,
            actor: Actor::System.code(),
            purpose: PurposeId::OrderFulfilment.code(),
            action: AuditAction::Seal,
            subject: &buyer.subject,
            fields,
        });
        batch.write(&mut tx, &gate.audit_key()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A verified account of `EMAIL` with a live bearer session, as registration and
/// verification leave it; returns the session's token.
async fn verified_account(server: &RunningServer) -> anyhow::Result<String> {
    let gate = &server.services.gate;
    let email = Email::parse(EMAIL)?;
    let digest = credentials::hash_password(&NewPassword::parse(PASSWORD, Some(email.expose()))?)?;
    let now = now();
    let token = SecretToken::generate();
    let mut tx = server.services.db.begin_write().await?;
    let mut batch = AuditBatch::new("system:accounts");
    let account = records::account_for_registration(
        &mut tx,
        gate.vault(),
        &email,
        &digest,
        Lang::Vi,
        now,
        &mut batch,
    )
    .await?;
    accounts::mark_verified(&mut tx, &account.account_id, now).await?;
    accounts::insert_session(
        &mut tx,
        token.hash().as_bytes(),
        &account.account_id,
        "bearer",
        now,
        now + 30 * 24 * 3600,
    )
    .await?;
    batch.write(&mut tx, &gate.audit_key()).await?;
    tx.commit().await?;
    Ok(token.expose().to_owned())
}

/// Runs `work` `iters` times on `shop`, forgetting each export's audit entries before the
/// next (outside the timing); returns the time spent in `work`.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, shop: &Shop, iters: u64, work: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    rt.block_on(async {
        let mut spent = Duration::ZERO;
        for _ in 0..iters {
            shop.forget_exports().await.expect("cut the audit log back");
            let started = Instant::now();
            let size = work().await.expect("an export");
            spent += started.elapsed();
            black_box(size);
        }
        spent
    })
}

async fn http_get(http: &reqwest::Client, shop: &Shop, path: &str) -> anyhow::Result<usize> {
    let r = http
        .get(shop.server.url(path))
        .bearer_auth(&shop.bearer)
        .send()
        .await?;
    ensure!(r.status().as_u16() == 200, "GET {path}: {}", r.status());
    Ok(r.bytes().await?.len())
}

/// The median of `runs` timings of `work`, the audit log cut back before each.
async fn median<F, Fut, T, E>(shop: &Shop, runs: usize, work: F) -> anyhow::Result<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        shop.forget_exports().await?;
        let started = Instant::now();
        black_box(work().await?);
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

/// Where an export's time goes: each of its reads alone, the gate's openings alone, and the
/// document's serialisation, each the median of five runs (printed, not a criterion result).
async fn breakdown(shop: &Shop, backend: Backend) -> anyhow::Result<()> {
    use hanjinbi_privacy::gate::items;
    use hanjinbi_store::export;
    let db = &shop.server.services.db;
    let gate = &shop.server.services.gate;
    let index = &shop.session.account.email_index;
    let subjects: Vec<String> = {
        let mut s = vec![shop.session.account.subject_id.clone()];
        s.extend(
            export::subjects_of_email(db, index)
                .await?
                .into_iter()
                .map(|r| r.subject_id),
        );
        s
    };
    let principal = &shop.session.principal;
    let purpose = PurposeId::AnsweringRequests;
    type Opened = (
        items::BuyerEmail,
        items::BuyerName,
        items::BuyerPhone,
        items::ShipTo,
        items::Note,
    );
    let doc = shop.server.services.export.export(&shop.session).await?;
    let parts: Vec<(&str, Duration)> = vec![
        (
            "orders_of_email",
            median(shop, 5, || export::orders_of_email(db, index)).await?,
        ),
        (
            "linked_buyers",
            median(shop, 5, || export::linked_buyers(db, index)).await?,
        ),
        (
            "lines_of_email",
            median(shop, 5, || export::lines_of_email(db, index)).await?,
        ),
        (
            "history_of_email",
            median(shop, 5, || export::history_of_email(db, index)).await?,
        ),
        (
            "subjects_of_email",
            median(shop, 5, || export::subjects_of_email(db, index)).await?,
        ),
        (
            "consents_of",
            median(shop, 5, || export::consents_of(db, &subjects)).await?,
        ),
        (
            "audit_of",
            median(shop, 5, || export::audit_of(db, &subjects, 0)).await?,
        ),
        (
            "Gate::open_linked_orders",
            median(shop, 5, || {
                gate.open_linked_orders::<Opened>(principal, purpose, now())
            })
            .await?,
        ),
        (
            "JSON serialisation",
            median(shop, 5, || async {
                serde_json::to_vec(&doc).map(|j| j.len())
            })
            .await?,
        ),
        (
            "ZIP of CSV",
            median(shop, 5, || async {
                hanjinbi_services::export::archive(&doc).map(|z| z.len())
            })
            .await?,
        ),
    ];
    for (part, time) in parts {
        eprintln!(
            "export/{}: {part}: {:.1} ms",
            backend.name(),
            time.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

fn bench_backend(c: &mut Criterion, backend: Backend) {
    let orders = env_number("HANJINBI_BENCH_EXPORT_ORDERS", 5000).expect("a number of orders");
    let others = env_number("HANJINBI_BENCH_EXPORT_OTHERS", 5000).expect("a number of orders");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let shop = rt
        .block_on(Shop::start(backend, orders, others))
        .expect("a seeded shop");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let export = &shop.server.services.export;

    // What one export holds, once, to check the seeding and report the sizes.
    let (doc, json, zip) = rt
        .block_on(async {
            shop.forget_exports().await?;
            let doc = export.export(&shop.session).await?;
            let json = serde_json::to_vec(&doc)?.len();
            let zip = hanjinbi_services::export::archive(&doc)?.len();
            anyhow::Ok((doc, json, zip))
        })
        .expect("one export");
    assert_eq!(
        doc.orders.len(),
        orders,
        "every order of the buyer, no other"
    );
    assert!(doc.orders.iter().all(|o| o.personal_data == "present"));
    eprintln!(
        "export/{}: {} orders, {} consents, {} accesses; JSON {:.1} MiB, ZIP {:.1} MiB",
        backend.name(),
        doc.orders.len(),
        doc.consents.len(),
        doc.accesses.len(),
        json as f64 / 1_048_576.0,
        zip as f64 / 1_048_576.0
    );
    drop(doc);
    rt.block_on(breakdown(&shop, backend))
        .expect("the breakdown");

    let mut g = c.benchmark_group(format!("export/{}/{orders} orders", backend.name()));
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g.bench_function("Export::export", |b| {
        b.iter_custom(|iters| {
            timed(&rt, &shop, iters, || async {
                Ok(export.export(&shop.session).await?.orders.len())
            })
        })
    });
    g.bench_function("GET /api/v1/me/export", |b| {
        b.iter_custom(|iters| {
            timed(&rt, &shop, iters, || {
                http_get(&http, &shop, "/api/v1/me/export")
            })
        })
    });
    g.bench_function("GET /api/v1/me/export?format=csv", |b| {
        b.iter_custom(|iters| {
            timed(&rt, &shop, iters, || {
                http_get(&http, &shop, "/api/v1/me/export?format=csv")
            })
        })
    });
    g.bench_function("Export::access", |b| {
        b.iter_custom(|iters| {
            timed(&rt, &shop, iters, || async {
                Ok(export.access(&shop.session).await?.accesses.len())
            })
        })
    });
    g.finish();
    rt.block_on(shop.stop()).expect("the shop stops");
}

fn export_benches(c: &mut Criterion) {
    bench_backend(c, Backend::Sqlite);
    if std::env::var("HANJINBI_BENCH_POSTGRES_URL").is_ok() {
        bench_backend(c, Backend::Postgres);
    } else {
        eprintln!("export/postgres: skipped (set HANJINBI_BENCH_POSTGRES_URL to run it)");
    }
}

criterion_group!(benches, export_benches);
criterion_main!(benches);
