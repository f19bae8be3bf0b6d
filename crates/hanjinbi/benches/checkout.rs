//! Checkout throughput over HTTP, and the share of a checkout's time spent on privacy work.
//!
//! ```sh
//! cargo bench -p hanjinbi --bench checkout
//! HANJINBI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p hanjinbi --bench checkout
//! ```
//!
//! For each backend (SQLite in a temporary folder; PostgreSQL too when
//! `HANJINBI_BENCH_POSTGRES_URL` names a server's admin database, on a database the bench
//! creates and drops):
//!
//! 1. **Throughput.** For C = 1, 4 and 16 concurrent clients, on a fresh database with the demo
//!    catalog, the real server (started in-process on a random port) takes a fixed number of
//!    orders, each one `POST /api/v1/carts`, `POST /api/v1/carts/{id}/items` (one unit of a
//!    SKU in stock; orders are spread over every SKU so stock never runs out) and
//!    `POST /api/v1/checkout` with its own email. Reports orders/s and the p50/p99 latency of
//!    the checkout request.
//! 2. **Privacy share.** On another fresh database, alternately: one service-level
//!    `Checkout::place` (a cart made and filled beforehand through the cart service, outside
//!    the timing), and the privacy work of one checkout alone inside a write transaction that
//!    is then rolled back: `records::buyer_for_checkout` with the marketing consent granted
//!    (as the HTTP orders do), sealing the delivery details and their audit entry.
//!    Reports mean privacy time / mean checkout time. To show where that time goes it also
//!    times, in the same rounds, the checkout's three audit appends alone (rolled back too),
//!    and the pure computation of the privacy work (blind indexes, data key, seals, entry
//!    hashes) without the database.
//!
//! `HANJINBI_BENCH_ORDERS` (default 400, a multiple of 16) and `HANJINBI_BENCH_SHARE_ROUNDS`
//! (default 600) change the counts. The clients, the server and (for PostgreSQL) the database
//! share the machine's cores: compare figures within one run.

use anyhow::{bail, ensure, Context};
use hanjinbi::server::{RunningServer, ServerSettings};
use hanjinbi_domain::address::Place;
use hanjinbi_domain::contact::{Email, FullName, PhoneVn, StreetLine};
use hanjinbi_domain::{Lang, Quantity, ShopInfo, Sku};
use hanjinbi_privacy::audit::{self, AuditAction, AuditBatch, AuditEvent, GENESIS};
use hanjinbi_privacy::gate::{slots, Gate};
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::records::{self, BuyerContact, CheckoutConsents};
use hanjinbi_privacy::vault::{seal, IndexKind};
use hanjinbi_services::checkout::{CheckoutRequest, ShippingFees};
use hanjinbi_services::mail::MailSettings;
use hanjinbi_store::audit::AuditRow;
use hanjinbi_store::testing::{create_postgres_database, drop_postgres_database};
use hanjinbi_store::{Db, WriteTx};
use rand::RngCore;
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CONCURRENCY: [usize; 3] = [1, 4, 16];
const NAME: &str = "Nguyễn Thị Lan";
const PHONE: &str = "0912345678";
const PROVINCE: &str = "01";
const WARD: &str = "00004";
const LINE: &str = "Số 12 ngõ 34 Phố Huế";

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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mean(xs: &[Duration]) -> Duration {
    let n = u32::try_from(xs.len()).unwrap_or(u32::MAX).max(1);
    xs.iter().sum::<Duration>() / n
}

/// The value at quantile `q` (0–1) of `xs`, nearest rank.
fn quantile(xs: &[Duration], q: f64) -> Duration {
    let mut sorted = xs.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
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

/// A database nobody else uses, with the folder for the key file and mail.
struct Fresh {
    url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Fresh {
    async fn new(backend: Backend, admin: Option<&str>) -> anyhow::Result<Fresh> {
        let dir = tempfile::tempdir()?;
        match (backend, admin) {
            (Backend::Sqlite, _) => Ok(Fresh {
                url: format!("sqlite://{}/shop.sqlite3", dir.path().display()),
                dir,
                postgres: None,
            }),
            (Backend::Postgres, Some(admin)) => {
                let name = format!("hj_bench_{:016x}", rand::rng().next_u64());
                let url = create_postgres_database(admin, &name)
                    .await
                    .context("create a database through HANJINBI_BENCH_POSTGRES_URL")?;
                Ok(Fresh {
                    url,
                    dir,
                    postgres: Some((admin.to_owned(), name)),
                })
            }
            (Backend::Postgres, None) => bail!("no PostgreSQL admin URL"),
        }
    }

    /// Settings as `hanjinbi serve` has them by default (pool size, a one-second catalog
    /// cache), with keys and mail in the temporary folder.
    fn settings(&self, backend: Backend, outbox_every: Option<Duration>) -> ServerSettings {
        ServerSettings {
            database_url: self.url.clone(),
            max_connections: backend.connections(),
            shop: ShopInfo::default(),
            load_demo: true,
            key_file: self.dir.path().join("keys.toml"),
            mail: MailSettings::Folder(self.dir.path().join("mail")),
            fees: ShippingFees::default(),
            limits: hanjinbi_services::checkout::OrderLimits::default(),
            bank: None,
            catalog_cache: Duration::from_secs(1),
            outbox_every,
            http: hanjinbi::server::HttpLimits::default().without_write_limit(),
        }
    }

    /// Drops the PostgreSQL database (the SQLite folder goes with `dir`).
    async fn remove(self) -> anyhow::Result<()> {
        if let Some((admin, name)) = &self.postgres {
            drop_postgres_database(admin, name).await?;
        }
        Ok(())
    }
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().build()?)
}

async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let r = http.get(url).send().await?;
    ensure!(r.status().as_u16() == 200, "GET {url}: {}", r.status());
    Ok(r.json().await?)
}

/// `n` SKUs to order one unit of each, spread round-robin over every variant in stock (read
/// from `/api/v1/products/{slug}`), so that no order runs out of stock.
async fn sku_plan(server: &RunningServer, n: usize) -> anyhow::Result<Vec<String>> {
    let http = http_client()?;
    let list = get_json(&http, &server.url("/api/v1/products?per_page=100")).await?;
    ensure!(
        list["pages"] == 1,
        "the demo catalog has more than 100 products"
    );
    let mut stocks: Vec<(String, i64)> = Vec::new();
    for item in list["items"].as_array().context("items")? {
        let slug = item["slug"].as_str().context("slug")?;
        let product = get_json(&http, &server.url(&format!("/api/v1/products/{slug}"))).await?;
        for v in product["variants"].as_array().context("variants")? {
            let sku = v["sku"].as_str().context("sku")?;
            let stock = v["stock"].as_i64().context("stock")?;
            if stock > 0 {
                stocks.push((sku.to_owned(), stock));
            }
        }
    }
    let total: i64 = stocks.iter().map(|(_, s)| s).sum();
    ensure!(
        usize::try_from(total).unwrap_or(0) >= n,
        "the demo catalog holds {total} units, fewer than the {n} orders planned"
    );
    let mut plan = Vec::with_capacity(n);
    let mut round = 0;
    while plan.len() < n {
        for (sku, stock) in &stocks {
            if *stock > round && plan.len() < n {
                plan.push(sku.clone());
            }
        }
        round += 1;
    }
    Ok(plan)
}

/// One order over HTTP. Returns the checkout request's latency.
async fn http_order(
    http: &reqwest::Client,
    server: &RunningServer,
    sku: &str,
    email: &str,
) -> anyhow::Result<Duration> {
    let r = http.post(server.url("/api/v1/carts")).send().await?;
    ensure!(r.status().as_u16() == 201, "new cart: {}", r.status());
    let cart: Value = r.json().await?;
    let id = cart["id"].as_str().context("cart id")?;
    let token = cart["token"].as_str().context("cart token")?;
    let r = http
        .post(server.url(&format!("/api/v1/carts/{id}/items")))
        .header("x-cart-token", token)
        .json(&json!({"sku": sku, "quantity": 1}))
        .send()
        .await?;
    ensure!(r.status().as_u16() == 200, "add {sku}: {}", r.status());
    let _: Value = r.json().await?;
    let body = json!({
        "cart_id": id,
        "email": email,
        "name": NAME,
        "phone": PHONE,
        "address": {"province_code": PROVINCE, "ward_code": WARD, "line": LINE},
        "shipping_method": "standard",
        "payment_method": "cash_on_delivery",
        "consents": {"marketing": true, "suggestions": false},
    });
    let started = Instant::now();
    let r = http
        .post(server.url("/api/v1/checkout"))
        .header("x-cart-token", token)
        .json(&body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    let latency = started.elapsed();
    ensure!(status == 201, "checkout: {status} {text}");
    Ok(latency)
}

/// `plan.len()` orders from `c` concurrent clients, client k taking orders k, k + c, ….
/// Returns the wall time and every checkout latency.
async fn run_clients(
    server: &RunningServer,
    c: usize,
    plan: &[String],
    tag: &str,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let started = Instant::now();
    let clients = (0..c).map(|k| async move {
        let http = http_client()?;
        let mut latencies = Vec::new();
        for (i, sku) in plan.iter().enumerate().skip(k).step_by(c) {
            let email = format!("khach.{tag}.{i}@example.vn");
            latencies.push(http_order(&http, server, sku, &email).await?);
        }
        anyhow::Ok(latencies)
    });
    let results = futures_util::future::join_all(clients).await;
    let wall = started.elapsed();
    let mut all = Vec::with_capacity(plan.len());
    for r in results {
        all.extend(r?);
    }
    Ok((wall, all))
}

struct Throughput {
    c: usize,
    orders: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

async fn throughput(
    backend: Backend,
    admin: Option<&str>,
    c: usize,
    orders: usize,
) -> anyhow::Result<Throughput> {
    let fresh = Fresh::new(backend, admin).await?;
    let result = async {
        // As `hanjinbi serve`: the outbox worker wakes after each checkout and sends its mail
        // (to a folder here), so that work is part of the measured load.
        let server =
            RunningServer::start(fresh.settings(backend, Some(Duration::from_secs(5)))).await?;
        let warmup = (2 * c).max(8);
        let plan = sku_plan(&server, warmup + orders).await?;
        let (warm, measured) = plan.split_at(warmup);
        run_clients(&server, c, warm, &format!("w{c}")).await?;
        let (wall, latencies) = run_clients(&server, c, measured, &format!("c{c}")).await?;
        server.stop().await?;
        anyhow::Ok(Throughput {
            c,
            orders,
            wall,
            latencies,
        })
    }
    .await;
    fresh.remove().await?;
    result
}

/// The privacy work of one checkout, as `Checkout::place` does it, inside `tx`.
async fn privacy_work(
    tx: &mut WriteTx,
    gate: &Gate,
    email: &Email,
    name: &FullName,
    phone: &PhoneVn,
    now: i64,
) -> anyhow::Result<()> {
    let mut batch = AuditBatch::new("cart:bench");
    let buyer = records::buyer_for_checkout(
        tx,
        gate.vault(),
        BuyerContact { email, name, phone },
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
    let ship_to = DeliveryDetails::new(
        name.clone(),
        phone.clone(),
        Place::parse(PROVINCE, WARD)?,
        StreetLine::parse(LINE)?,
    );
    let sealed = ship_to.seal(&buyer, &order_id)?.to_stored();
    black_box(sealed);
    batch.record(AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: PurposeId::OrderFulfilment.code(),
        action: AuditAction::Seal,
        subject: &buyer.subject,
        fields: &["ship_to"],
    });
    batch.write(tx, &gate.audit_key()).await?;
    Ok(())
}

/// The computation alone in that privacy work: two blind indexes, a new data key, four
/// seals and three entry hashes, without the database.
fn privacy_computation(gate: &Gate, email: &Email, ship_to_json: &str) -> usize {
    let vault = gate.vault();
    let audit_key = gate.audit_key();
    let email_index = vault.blind_index(IndexKind::Email, &email.lookup_key());
    let phone_index = vault.blind_index(IndexKind::Phone, PHONE);
    let id = records::new_id();
    let (key, wrapped) = vault.new_data_key(&id).expect("a new data key");
    let order_id = records::new_id();
    let sealed = [
        seal(&key, slots::buyer(&id, "email"), email.expose()),
        seal(&key, slots::buyer(&id, "name"), NAME),
        seal(&key, slots::buyer(&id, "phone"), PHONE),
        seal(&key, slots::order(&order_id, "ship_to"), ship_to_json),
    ];
    let mut prev = GENESIS.to_vec();
    for (fields, action) in [
        ("email,name,phone", "seal"),
        ("ship_to", "seal"),
        ("granted", "consent"),
    ] {
        let row = AuditRow {
            seq: 1,
            format: audit::FORMAT_KEYED,
            at: 1_760_000_000,
            who: format!("cart:{id}"),
            actor: "system".into(),
            purpose: "order_fulfilment".into(),
            action: action.into(),
            subject: id.clone(),
            fields: fields.into(),
            prev_hash: prev.clone(),
            hash: Vec::new(),
        };
        prev = audit_key.entry_mac(&row.prev_hash, &row).to_vec();
    }
    email_index.len()
        + phone_index.len()
        + wrapped.bytes.len()
        + sealed
            .iter()
            .map(|s| s.as_ref().expect("sealed").to_stored().len())
            .sum::<usize>()
        + prev.len()
}

struct Share {
    place: Vec<Duration>,
    privacy: Vec<Duration>,
    audit: Vec<Duration>,
    computation: Duration,
}

/// The three audit entries of a checkout alone, inside `tx`, written as the checkout writes
/// them: one batch just before commit.
async fn audit_entries(
    tx: &mut WriteTx,
    key: &audit::AuditKey,
    subject: &str,
    now: i64,
) -> anyhow::Result<()> {
    let entries: [(&str, &str, AuditAction, &[&str]); 3] = [
        (
            Actor::System.code(),
            PurposeId::OrderFulfilment.code(),
            AuditAction::Seal,
            &["email", "name", "phone"],
        ),
        (
            Actor::System.code(),
            PurposeId::OrderFulfilment.code(),
            AuditAction::Seal,
            &["ship_to"],
        ),
        (
            Actor::Buyer.code(),
            PurposeId::Marketing.code(),
            AuditAction::Consent,
            &["granted"],
        ),
    ];
    let mut batch = AuditBatch::new("cart:bench");
    for (actor, purpose, action, fields) in entries {
        batch.record(AuditEvent {
            at: now,
            actor,
            purpose,
            action,
            subject,
            fields,
        });
    }
    batch.write(tx, key).await?;
    Ok(())
}

async fn new_filled_cart(
    server: &RunningServer,
    sku: &str,
) -> anyhow::Result<hanjinbi_services::CartAccess> {
    // Each cart as if from its own client, so the new-cart limit per address never applies.
    let client = std::net::IpAddr::from(rand::random::<[u8; 4]>());
    let cart = server.services.carts.create(client).await?;
    server
        .services
        .carts
        .add(&cart.access, &Sku::parse(sku)?, Quantity::new(1)?)
        .await?;
    Ok(cart.access)
}

async fn privacy_share(
    backend: Backend,
    admin: Option<&str>,
    rounds: usize,
) -> anyhow::Result<Share> {
    let fresh = Fresh::new(backend, admin).await?;
    let result = measure_share(backend, &fresh, rounds).await;
    fresh.remove().await?;
    result
}

async fn measure_share(backend: Backend, fresh: &Fresh, rounds: usize) -> anyhow::Result<Share> {
    // No outbox worker: nothing but the measured work touches the database.
    let server = RunningServer::start(fresh.settings(backend, None)).await?;
    let warmup = 50;
    let plan = sku_plan(&server, warmup + rounds).await?;
    let db: &Db = &server.services.db;
    let gate = &server.services.gate;
    let name = FullName::parse(NAME)?;
    let phone = PhoneVn::parse(PHONE)?;
    let mut place = Vec::with_capacity(rounds);
    let mut privacy = Vec::with_capacity(rounds);
    let mut audit = Vec::with_capacity(rounds);
    for (i, sku) in plan.iter().enumerate() {
        let access = new_filled_cart(&server, sku).await?;
        let request = CheckoutRequest {
            email: format!("mua.{i}@example.vn"),
            name: NAME.into(),
            phone: PHONE.into(),
            province_code: PROVINCE.into(),
            ward_code: WARD.into(),
            line: LINE.into(),
            shipping_method: "standard".into(),
            payment_method: "cash_on_delivery".into(),
            marketing: true,
            suggestions: false,
            lang: Lang::Vi,
            channel: "api",
            ..CheckoutRequest::default()
        };
        let email = Email::parse(&format!("rieng.{i}@example.vn"))?;

        let time_place = async {
            let started = Instant::now();
            let placed = server.services.checkout.place(&access, &request).await?;
            let took = started.elapsed();
            ensure!(!placed.replayed);
            anyhow::Ok(took)
        };
        let time_privacy = async {
            let mut tx = db.begin_write().await?;
            let started = Instant::now();
            privacy_work(&mut tx, gate, &email, &name, &phone, now()).await?;
            let took = started.elapsed();
            tx.rollback().await?;
            anyhow::Ok(took)
        };
        let time_audit = async {
            let mut tx = db.begin_write().await?;
            let started = Instant::now();
            audit_entries(&mut tx, &gate.audit_key(), &records::new_id(), now()).await?;
            let took = started.elapsed();
            tx.rollback().await?;
            anyhow::Ok(took)
        };
        // Alternate which goes first, so none always runs on a warmer cache.
        let (p, q, a) = if i % 2 == 0 {
            let p = time_place.await?;
            let q = time_privacy.await?;
            (p, q, time_audit.await?)
        } else {
            let a = time_audit.await?;
            let q = time_privacy.await?;
            (time_place.await?, q, a)
        };
        if i >= warmup {
            place.push(p);
            privacy.push(q);
            audit.push(a);
        }
    }

    let email = Email::parse("lan.nguyen@example.vn")?;
    let ship_to_json = serde_json::json!({
        "name": NAME,
        "phone": PHONE,
        "province_code": PROVINCE,
        "ward_code": WARD,
        "line": LINE,
    })
    .to_string();
    let iterations = 20_000u32;
    let started = Instant::now();
    for _ in 0..iterations {
        black_box(privacy_computation(gate, &email, &ship_to_json));
    }
    let computation = started.elapsed() / iterations;

    server.stop().await?;
    Ok(Share {
        place,
        privacy,
        audit,
        computation,
    })
}

async fn bench_backend(
    backend: Backend,
    admin: Option<&str>,
    orders: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let b = backend.name();
    let mut runs = Vec::new();
    for c in CONCURRENCY {
        eprintln!("{b}: {orders} orders over HTTP from {c} concurrent clients…");
        runs.push(throughput(backend, admin, c, orders).await?);
    }
    eprintln!("{b}: privacy share, {rounds} rounds…");
    let share = privacy_share(backend, admin, rounds).await?;

    println!("\n# checkout over HTTP, {b} ({orders} orders per row, fresh database each)");
    println!("| clients | orders/s | checkout p50 | checkout p99 | checkout mean |");
    println!("|---:|---:|---:|---:|---:|");
    for r in &runs {
        println!(
            "| {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
            r.c,
            r.orders as f64 / r.wall.as_secs_f64(),
            ms(quantile(&r.latencies, 0.50)),
            ms(quantile(&r.latencies, 0.99)),
            ms(mean(&r.latencies)),
        );
    }

    let place = mean(&share.place);
    let privacy = mean(&share.privacy);
    let place_p50 = quantile(&share.place, 0.5);
    let privacy_p50 = quantile(&share.privacy, 0.5);
    println!(
        "\n# privacy share of a checkout, {b} ({} rounds, single client, in process)",
        share.place.len()
    );
    println!("| measure | mean | p50 |");
    println!("|---|---:|---:|");
    println!(
        "| `Checkout::place` | {:.3} ms | {:.3} ms |",
        ms(place),
        ms(place_p50)
    );
    println!(
        "| privacy work alone (buyer record, ship_to seal, consent, 3 audit entries) | {:.3} ms | {:.3} ms |",
        ms(privacy),
        ms(privacy_p50)
    );
    println!(
        "| the 3 audit entries alone (one batch, 3 statements) | {:.3} ms | {:.3} ms |",
        ms(mean(&share.audit)),
        ms(quantile(&share.audit, 0.5))
    );
    println!(
        "| the computation alone (2 blind indexes, data key, 4 seals, 3 entry hashes) | {:.4} ms | |",
        ms(share.computation)
    );
    println!(
        "| **share = privacy / checkout** | **{:.1} %** | {:.1} % |",
        100.0 * privacy.as_secs_f64() / place.as_secs_f64(),
        100.0 * privacy_p50.as_secs_f64() / place_p50.as_secs_f64()
    );
    println!(
        "| audit appends / checkout | {:.1} % | |",
        100.0 * mean(&share.audit).as_secs_f64() / place.as_secs_f64()
    );
    println!(
        "| computation / checkout | {:.2} % | |",
        100.0 * share.computation.as_secs_f64() / place.as_secs_f64()
    );
    if let Some(single) = runs.iter().find(|r| r.c == 1) {
        println!(
            "| privacy / HTTP checkout p50 at 1 client | {:.1} % | |",
            100.0 * privacy.as_secs_f64() / quantile(&single.latencies, 0.5).as_secs_f64()
        );
    }
    Ok(())
}

async fn run() -> anyhow::Result<()> {
    let orders = env_number("HANJINBI_BENCH_ORDERS", 400)?;
    ensure!(
        orders > 0 && orders % 16 == 0,
        "HANJINBI_BENCH_ORDERS must be a positive multiple of 16"
    );
    let rounds = env_number("HANJINBI_BENCH_SHARE_ROUNDS", 600)?.max(1);
    let admin = std::env::var("HANJINBI_BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));

    bench_backend(Backend::Sqlite, None, orders, rounds).await?;
    match &admin {
        Some(admin) => bench_backend(Backend::Postgres, Some(admin), orders, rounds).await?,
        None => println!("\npostgres: skipped (HANJINBI_BENCH_POSTGRES_URL is not set)"),
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}
