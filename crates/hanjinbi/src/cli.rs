//! The command line: `serve`, `migrate`, `demo`.

use crate::config::{self, FileConfig, ShopFile};
use crate::server::{self, ServerSettings};
use crate::telemetry::{self, LogFormat};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hanjinbi_services::checkout::ShippingFees;
use hanjinbi_services::mail::MailSettings;
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
    /// with new keys, mode 0600, when missing.
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
    /// Make a new master key and rewrap every buyer's data key under it, while the shop keeps
    /// serving. Data is not re-encrypted. The old master key stays in the file until
    /// `--retire-old` is given (servers running with the old file need it until restarted).
    Rotate {
        /// Remove earlier master keys from the file once every data key is rewrapped.
        #[arg(long)]
        retire_old: bool,
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
    /// Largest number of database connections [default: 16 on PostgreSQL, 8 on SQLite].
    #[arg(long, env = "HANJINBI_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_connections: Option<u32>,
    /// Send email through this SMTP server: smtp://USER:PASSWORD@HOST:587 (STARTTLS) or
    /// smtps://…:465. Without it, emails are written as .eml files to DATA_DIR/mail.
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
    #[command(flatten)]
    pub shop: ShopArgs,
}

/// The shop's legal details, shown in every page's footer (Decree 52/2013/NĐ-CP).
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
    let key_file = common
        .key_file
        .clone()
        .unwrap_or_else(|| data_dir.join("keys.toml"));
    if let Some(parent) = key_file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder of {}", key_file.display()))?;
    }
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
            let mail = match (&args.smtp_url, &args.smtp_url_file) {
                (Some(url), _) => MailSettings::Smtp { url: url.clone() },
                (None, Some(path)) => MailSettings::Smtp {
                    url: std::fs::read_to_string(path)
                        .with_context(|| {
                            format!("cannot read the SMTP URL file {}", path.display())
                        })?
                        .trim()
                        .to_owned(),
                },
                (None, None) => MailSettings::Folder(resolved.data_dir.join("mail")),
            };
            let settings = ServerSettings {
                key_file: resolved.key_file.clone(),
                mail,
                fees: ShippingFees {
                    standard: hanjinbi_domain::Dong(args.fee_standard),
                    express: hanjinbi_domain::Dong(args.fee_express),
                },
                outbox_every: Some(std::time::Duration::from_secs(5)),
                catalog_cache: std::time::Duration::from_millis(args.catalog_cache_ms),
                max_connections: args
                    .max_connections
                    .or(resolved.file.max_connections)
                    .unwrap_or_else(|| default_connections(&resolved.database_url)),
                database_url: resolved.database_url,
                shop,
                load_demo: args.demo,
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
        Command::Keys(KeysCommand::Rotate { retire_old }) => {
            let db = hanjinbi_store::Db::connect(&resolved.database_url, 2).await?;
            db.migrate().await?;
            crate::admin::rotate_keys(&db, &resolved.key_file, retire_old).await
        }
    }
}
