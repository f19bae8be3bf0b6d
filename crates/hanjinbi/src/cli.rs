//! The command line: `serve`, `migrate`, `demo`.

use crate::config::{self, BankFile, FileConfig, LimitsFile, ShopFile};
use crate::server::{self, ServerSettings};
use crate::telemetry::{self, LogFormat};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hanjinbi_services::checkout::{OrderLimits, ShippingFees};
use hanjinbi_services::mail::{MailSettings, SmtpSettings};
use std::path::PathBuf;

/// Hanjinbi: a Vietnamese online shop whose privacy policy is executable.
///
/// Runs on an embedded SQLite database in the data folder by default; set
/// HANJINBI_DATABASE_URL=postgres://… to share one PostgreSQL between several servers.
#[derive(Debug, Parser)]
#[command(name = "hanjinbi", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Common {
    /// A TOML configuration file; flags and HANJINBI_* variables take precedence over it.
    #[arg(long, global = true, env = "HANJINBI_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder for the embedded database and other files [default: ./hanjinbi-data].
    #[arg(long, global = true, env = "HANJINBI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data folder].
    #[arg(
        long,
        global = true,
        env = "HANJINBI_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The key file that seals buyers' personal data [default: DATA_DIR/keys.toml]. Created
    /// with new keys, mode 0600, only when missing and the database holds no sealed data;
    /// checked against the database's fingerprints before anything is sealed or opened.
    #[arg(long, global = true, env = "HANJINBI_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Log format on standard error. Levels come from HANJINBI_LOG (e.g. "debug").
    #[arg(
        long,
        global = true,
        env = "HANJINBI_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shop: migrate the database, then serve the storefront and the API.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo catalog (72 products in 8 categories) into an empty shop and exit.
    Demo,
    /// The audit log, chained under the key file's audit key.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The keys that seal personal data.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Storage limitation: how long personal data is kept.
    #[command(subcommand)]
    Retention(RetentionCommand),
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase now the records of every guest address whose period from its last order (in the
    /// privacy policy) has ended, as the server does once a day; prints what went, in counts.
    Run,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry of the chain; exits non-zero naming the first bad entry.
    Verify {
        /// A head printed earlier by `audit head` (COUNT:HEX) and kept outside the shop: the
        /// log must still hold that entry, unchanged, so a cut tail is found.
        #[arg(long, value_name = "HEAD")]
        expect: Option<hanjinbi_privacy::audit::Anchor>,
    },
    /// Verify the chain, then print its head (COUNT:HEX) to publish outside the shop.
    Head,
    /// Add an audit key to a key file written before audit keys existed (stop the shop
    /// first). Entries already written stay unkeyed and verifiable; every later one is keyed.
    AddKey,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new key file for a database that holds no sealed data (refuses otherwise, and
    /// when the key file exists).
    Init,
    /// Check that the key file holds the keys the database was sealed with; exits non-zero
    /// saying what to restore.
    Check,
    /// Make a new master key and rewrap every buyer's data key under it, while the shop keeps
    /// serving. Data is not re-encrypted. Refused while another rotation holds the key file's
    /// lock; reports success only once every data key opens under the file on disk.
    Rotate {
        /// Then remove earlier master keys from the file, once no running server wraps new
        /// data keys under them and no data key is wrapped under them (otherwise nothing is
        /// removed and the command fails).
        #[arg(long)]
        retire_old: bool,
        /// How long --retire-old waits for running servers to take up the new master key.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
        wait_secs: u64,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "HANJINBI_ADDR")]
    pub addr: Option<String>,
    /// Load the demo catalog first when the shop has none.
    #[arg(long)]
    pub demo: bool,
    /// Largest number of database connections [default: 16 on PostgreSQL; on SQLite 8 readers,
    /// besides the one connection that writes].
    #[arg(long, env = "HANJINBI_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_connections: Option<u32>,
    /// Send email through this SMTP server: smtps://USER:PASSWORD@HOST:465 (TLS) or
    /// smtp://…:587 (STARTTLS, which must succeed: nothing is sent in clear). Without it,
    /// emails are written as .eml files (mode 0600) to DATA_DIR/mail.
    #[arg(
        long,
        env = "HANJINBI_SMTP_URL",
        hide_env_values = true,
        conflicts_with = "smtp_url_file"
    )]
    pub smtp_url: Option<String>,
    /// Read the SMTP URL from this file instead (keeps the password out of the environment).
    #[arg(long, env = "HANJINBI_SMTP_URL_FILE")]
    pub smtp_url_file: Option<PathBuf>,
    /// Delivery fee for standard shipping, in đồng.
    #[arg(long, env = "HANJINBI_FEE_STANDARD", default_value_t = 30_000, value_parser = clap::value_parser!(i64).range(0..=10_000_000))]
    pub fee_standard: i64,
    /// Delivery fee for express shipping, in đồng.
    #[arg(long, env = "HANJINBI_FEE_EXPRESS", default_value_t = 50_000, value_parser = clap::value_parser!(i64).range(0..=10_000_000))]
    pub fee_express: i64,
    /// How long catalog pages' data is kept in memory, in milliseconds (0 turns it off).
    /// A checkout on this server clears it at once; with several servers on one database,
    /// others show stock changes after at most this long.
    #[arg(long, env = "HANJINBI_CATALOG_CACHE_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub catalog_cache_ms: u64,
    /// Most units of one item in one order (and in one cart line).
    #[arg(long, env = "HANJINBI_MAX_LINE_QUANTITY", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=999))]
    pub max_line_quantity: i64,
    /// Largest order total, in đồng, that may be paid in cash on delivery.
    #[arg(long, env = "HANJINBI_MAX_COD_ORDER", default_value_t = 5_000_000, value_parser = clap::value_parser!(i64).range(0..=1_000_000_000_000))]
    pub max_cod_order: i64,
    /// Longest wait for any one SMTP step, in seconds; a whole message gets three times as
    /// long [default: 30].
    #[arg(long, env = "HANJINBI_SMTP_TIMEOUT_SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub smtp_timeout_secs: Option<u64>,
    /// INSECURE: send mail without TLS, in clear. Allowed only with an smtp:// URL whose host
    /// is this machine (localhost or a loopback address), for a local relay that encrypts
    /// onwards. Without it, smtp:// must succeed with STARTTLS and smtps:// uses TLS.
    #[arg(long, env = "HANJINBI_SMTP_INSECURE_PLAINTEXT_LOCAL_RELAY")]
    pub smtp_insecure_plaintext_local_relay: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub shop: ShopArgs,
    #[command(flatten)]
    pub bank: BankArgs,
}

/// The account that receives bank transfers. Give the BIN, the account number and the
/// holder together, or none of them: without them, bank transfer is not offered.
#[derive(Debug, Args, Default)]
pub struct BankArgs {
    /// The bank's 6-digit NAPAS BIN, e.g. 970436 for Vietcombank.
    #[arg(long, env = "HANJINBI_BANK_BIN")]
    pub bank_bin: Option<String>,
    /// The account number that receives transfers.
    #[arg(long, env = "HANJINBI_BANK_ACCOUNT")]
    pub bank_account: Option<String>,
    /// The account holder's name as the bank prints it.
    #[arg(long, env = "HANJINBI_BANK_HOLDER")]
    pub bank_holder: Option<String>,
    /// The bank's name as buyers know it; needed only when the BIN is not a well-known bank.
    #[arg(long, env = "HANJINBI_BANK_NAME")]
    pub bank_name: Option<String>,
}

impl BankArgs {
    fn as_file(&self) -> BankFile {
        BankFile {
            bin: self.bank_bin.clone(),
            account: self.bank_account.clone(),
            holder: self.bank_holder.clone(),
            name: self.bank_name.clone(),
        }
    }
}

/// Timeouts and limits that keep slow or greedy clients from holding the server.
#[derive(Debug, Args, Default)]
pub struct LimitArgs {
    /// Seconds for a request's line and headers to arrive (also the longest pause between
    /// requests on a kept-alive connection) [default: 10].
    #[arg(long, env = "HANJINBI_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Seconds a connection may stay with no byte moving either way [default: 30].
    #[arg(long, env = "HANJINBI_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Seconds for a whole request body to arrive [default: 30].
    #[arg(long, env = "HANJINBI_BODY_TIMEOUT_SECS")]
    pub body_timeout_secs: Option<u64>,
    /// Connections served at once; more wait in the listen backlog [default: 1024].
    #[arg(long, env = "HANJINBI_MAX_OPEN_CONNECTIONS")]
    pub max_open_connections: Option<u32>,
    /// On shutdown, seconds for requests in flight to finish before every connection is
    /// closed [default: 10].
    #[arg(long, env = "HANJINBI_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,
    /// Writes (POST, PUT, PATCH, DELETE) a minute per client address; 0 turns the limit off
    /// [default: 120].
    #[arg(long, env = "HANJINBI_WRITES_PER_MINUTE")]
    pub writes_per_minute: Option<u32>,
    /// Writes a client address may make at once before the rate applies [default: 30].
    #[arg(long, env = "HANJINBI_WRITE_BURST")]
    pub write_burst: Option<u32>,
    /// Seconds between the metrics recorder's upkeep runs [default: 5].
    #[arg(long, env = "HANJINBI_METRICS_UPKEEP_SECS")]
    pub metrics_upkeep_secs: Option<u64>,
}

impl LimitArgs {
    fn as_file(&self) -> LimitsFile {
        LimitsFile {
            header_timeout_secs: self.header_timeout_secs,
            idle_timeout_secs: self.idle_timeout_secs,
            body_timeout_secs: self.body_timeout_secs,
            max_open_connections: self.max_open_connections,
            shutdown_grace_secs: self.shutdown_grace_secs,
            writes_per_minute: self.writes_per_minute,
            write_burst: self.write_burst,
            metrics_upkeep_secs: self.metrics_upkeep_secs,
        }
    }
}

/// The shop's legal details, shown in every page's footer.
#[derive(Debug, Args, Default)]
pub struct ShopArgs {
    /// The shop's name.
    #[arg(long, env = "HANJINBI_SHOP_NAME")]
    pub shop_name: Option<String>,
    /// The registered business name.
    #[arg(long, env = "HANJINBI_SHOP_LEGAL_NAME")]
    pub shop_legal_name: Option<String>,
    /// The business address.
    #[arg(long, env = "HANJINBI_SHOP_ADDRESS")]
    pub shop_address: Option<String>,
    /// The business registration number.
    #[arg(long, env = "HANJINBI_SHOP_REGISTRATION_NUMBER")]
    pub shop_registration_number: Option<String>,
    /// Who issued the business registration.
    #[arg(long, env = "HANJINBI_SHOP_REGISTRATION_ISSUER")]
    pub shop_registration_issuer: Option<String>,
    /// When the business registration was first issued, `dd/mm/yyyy`.
    #[arg(long, env = "HANJINBI_SHOP_REGISTRATION_DATE")]
    pub shop_registration_date: Option<String>,
    /// The shop's notice on the Ministry of Industry and Trade's e-commerce portal
    /// (https://online.gov.vn/…), once notified; the footer links to it.
    #[arg(long, env = "HANJINBI_SHOP_MOIT_NOTICE_URL")]
    pub shop_moit_notice_url: Option<String>,
    /// Days after delivery in which a buyer may return or exchange an item [default: 7].
    #[arg(long, env = "HANJINBI_SHOP_RETURN_WINDOW_DAYS")]
    pub shop_return_window_days: Option<u16>,
    /// The contact email address.
    #[arg(long, env = "HANJINBI_SHOP_EMAIL")]
    pub shop_email: Option<String>,
    /// The customer hotline.
    #[arg(long, env = "HANJINBI_SHOP_HOTLINE")]
    pub shop_hotline: Option<String>,
    /// The site's public address, e.g. https://www.hanjinbi.com.
    #[arg(long, env = "HANJINBI_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl ShopArgs {
    fn as_file(&self) -> ShopFile {
        ShopFile {
            name: self.shop_name.clone(),
            legal_name: self.shop_legal_name.clone(),
            address: self.shop_address.clone(),
            registration_number: self.shop_registration_number.clone(),
            registration_issuer: self.shop_registration_issuer.clone(),
            registration_date: self.shop_registration_date.clone(),
            moit_notice_url: self.shop_moit_notice_url.clone(),
            return_window_days: self.shop_return_window_days,
            email: self.shop_email.clone(),
            hotline: self.shop_hotline.clone(),
            public_url: self.public_url.clone(),
        }
    }
}

struct Resolved {
    file: FileConfig,
    database_url: String,
    data_dir: PathBuf,
    key_file: PathBuf,
}

fn resolve(common: &Common) -> anyhow::Result<Resolved> {
    let file = match &common.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let data_dir = common
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("hanjinbi-data"));
    let database_url = config::database_url(
        common
            .database_url
            .clone()
            .or_else(|| file.database_url.clone()),
        &data_dir,
    )?;
    // Nothing is created here: commands that only read must not leave a data folder behind.
    let key_file = common
        .key_file
        .clone()
        .unwrap_or_else(|| data_dir.join("keys.toml"));
    Ok(Resolved {
        file,
        database_url,
        data_dir,
        key_file,
    })
}

fn default_connections(url: &str) -> u32 {
    match hanjinbi_store::Backend::from_url(url) {
        Ok(hanjinbi_store::Backend::Postgres) => 16,
        _ => 8,
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    telemetry::init_logs(cli.common.log_format);
    let resolved = resolve(&cli.common)?;
    match cli.command {
        Command::Serve(args) => {
            let addr = args
                .addr
                .clone()
                .or_else(|| resolved.file.addr.clone())
                .unwrap_or_else(|| "127.0.0.1:8080".into());
            let shop = config::shop_info(&args.shop.as_file(), &resolved.file.shop)?;
            let smtp = |url: String| {
                MailSettings::Smtp(SmtpSettings {
                    url,
                    timeout: std::time::Duration::from_secs(
                        args.smtp_timeout_secs
                            .or(resolved.file.smtp_timeout_secs)
                            .unwrap_or(30),
                    ),
                    insecure_plaintext_local_relay: args.smtp_insecure_plaintext_local_relay
                        || resolved.file.smtp_insecure_plaintext_local_relay == Some(true),
                })
            };
            let mail = match (&args.smtp_url, &args.smtp_url_file) {
                (Some(url), _) => smtp(url.clone()),
                (None, Some(path)) => smtp(
                    std::fs::read_to_string(path)
                        .with_context(|| {
                            format!("cannot read the SMTP URL file {}", path.display())
                        })?
                        .trim()
                        .to_owned(),
                ),
                (None, None) => MailSettings::Folder(resolved.data_dir.join("mail")),
            };
            let http = config::http_limits(&args.limits.as_file(), &resolved.file.limits)?;
            let settings = ServerSettings {
                key_file: resolved.key_file.clone(),
                mail,
                fees: ShippingFees {
                    standard: hanjinbi_domain::Dong(args.fee_standard),
                    express: hanjinbi_domain::Dong(args.fee_express),
                },
                limits: OrderLimits {
                    max_line_quantity: args.max_line_quantity,
                    max_cod_order: hanjinbi_domain::Dong(args.max_cod_order),
                },
                bank: config::bank_account(&args.bank.as_file(), &resolved.file.bank)?,
                outbox_every: Some(std::time::Duration::from_secs(5)),
                catalog_cache: std::time::Duration::from_millis(args.catalog_cache_ms),
                max_connections: args
                    .max_connections
                    .or(resolved.file.max_connections)
                    .unwrap_or_else(|| default_connections(&resolved.database_url)),
                database_url: resolved.database_url,
                shop,
                load_demo: args.demo,
                http,
            };
            let services = server::prepare(&settings).await?;
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(
                addr = %listener.local_addr()?,
                database = services.db.backend().name(),
                "Hanjinbi is serving on http://{}",
                listener.local_addr()?
            );
            server::serve(
                listener,
                services,
                settings.shop,
                settings.outbox_every,
                settings.http,
                server::shutdown_signal(),
            )
            .await
        }
        Command::Migrate => {
            let db = hanjinbi_store::Db::connect(&resolved.database_url, 1).await?;
            db.migrate().await?;
            println!("migrations applied ({})", db.backend().name());
            Ok(())
        }
        Command::Demo => {
            let db = hanjinbi_store::Db::connect(&resolved.database_url, 1).await?;
            db.migrate().await?;
            match hanjinbi_services::demo::load(&db, &hanjinbi_services::SystemClock).await? {
                hanjinbi_services::demo::DemoOutcome::Loaded {
                    categories,
                    products,
                } => {
                    println!("demo catalog loaded: {categories} categories, {products} products");
                }
                hanjinbi_services::demo::DemoOutcome::AlreadyPresent => {
                    println!("the shop already has a catalog; nothing loaded");
                }
            }
            Ok(())
        }
        Command::Audit(command) => {
            crate::admin::audit(&resolved.database_url, &resolved.key_file, command).await
        }
        Command::Retention(RetentionCommand::Run) => {
            let report = crate::admin::run_retention(
                &resolved.database_url,
                &resolved.key_file,
                std::sync::Arc::new(hanjinbi_services::SystemClock),
            )
            .await?;
            println!(
                "retention run: {} addresses erased, {} records, {} orders kept without identity",
                report.addresses, report.records, report.orders_kept
            );
            Ok(())
        }
        Command::Keys(command) => {
            let clock = hanjinbi_services::SystemClock;
            let db = match command {
                KeysCommand::Init => hanjinbi_store::Db::connect(&resolved.database_url, 2).await?,
                _ => hanjinbi_store::Db::open_existing(&resolved.database_url, 2).await?,
            };
            db.migrate().await?;
            let key_file = &resolved.key_file;
            match command {
                KeysCommand::Init => {
                    let ring = crate::admin::init_keys(&db, key_file, &clock).await?;
                    println!(
                        "NEW KEYS written to {} (master key {}) and recorded in the database. \
                         Back this file up now, apart from the database: without it no \
                         buyer's data can be opened.",
                        key_file.display(),
                        ring.current
                    );
                }
                KeysCommand::Check => {
                    crate::admin::check_keys(&db, key_file, &clock).await?;
                    println!(
                        "the key file {} holds the keys this database was sealed with",
                        key_file.display()
                    );
                }
                KeysCommand::Rotate {
                    retire_old,
                    wait_secs,
                } => {
                    let options = crate::admin::RotateOptions {
                        wait_for_servers: std::time::Duration::from_secs(wait_secs),
                        ..crate::admin::RotateOptions::new(retire_old)
                    };
                    let done = crate::admin::rotate_keys(&db, key_file, &options, &clock).await?;
                    println!(
                        "rotated to master key {}: {} data keys rewrapped, {} checked to open \
                         under the key file on disk{}",
                        done.new_master,
                        done.rewrapped,
                        done.verified,
                        if done.retired.is_empty() {
                            "; earlier master keys kept until `keys rotate --retire-old`".to_owned()
                        } else {
                            format!("; retired {}", done.retired.join(", "))
                        }
                    );
                }
            }
            Ok(())
        }
    }
}
