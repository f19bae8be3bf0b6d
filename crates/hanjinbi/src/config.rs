//! Settings: command-line flags, then `HANJINBI_*` environment variables, then an optional
//! TOML file, then defaults. Unknown keys in the file are errors, not silently ignored.

use crate::server::HttpLimits;
use anyhow::{bail, Context};
use hanjinbi_domain::ShopInfo;
use hanjinbi_services::payments::BankTransferAccount;
use hanjinbi_web::limits::{WebLimits, WriteRate};
use serde::Deserialize;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The optional configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub max_connections: Option<u32>,
    pub smtp_timeout_secs: Option<u64>,
    pub smtp_insecure_plaintext_local_relay: Option<bool>,
    #[serde(default)]
    pub shop: ShopFile,
    #[serde(default)]
    pub limits: LimitsFile,
    #[serde(default)]
    pub bank: BankFile,
}

/// The account that receives bank transfers (`[bank]` in the file).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankFile {
    pub bin: Option<String>,
    pub account: Option<String>,
    pub holder: Option<String>,
    pub name: Option<String>,
}

/// The bank account from flags/environment (`cli`) over the file, each value taken whole
/// from one place; `None` when neither names one. Part of an account is an error, not a
/// shop without bank transfer.
pub fn bank_account(
    cli: &BankFile,
    file: &BankFile,
) -> anyhow::Result<Option<BankTransferAccount>> {
    let bin = cli.bin.as_ref().or(file.bin.as_ref());
    let account = cli.account.as_ref().or(file.account.as_ref());
    let holder = cli.holder.as_ref().or(file.holder.as_ref());
    let name = cli.name.as_ref().or(file.name.as_ref());
    match (bin, account, holder) {
        (None, None, None) => {
            if name.is_some() {
                bail!("a bank name is set without the bank account: set the BIN, the account number and the holder too");
            }
            Ok(None)
        }
        (Some(bin), Some(account), Some(holder)) => {
            BankTransferAccount::parse(bin, account, holder, name.map(String::as_str))
                .map(Some)
                .map_err(|e| anyhow::anyhow!("the bank account for transfers is invalid: {e}"))
        }
        _ => {
            let missing: Vec<&str> = [
                ("BIN", bin),
                ("account number", account),
                ("holder", holder),
            ]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(what, _)| what)
            .collect();
            bail!(
                "the bank account for transfers is incomplete: also set its {}",
                missing.join(" and ")
            )
        }
    }
}

/// Timeouts and limits against slow or greedy clients (`[limits]` in the file).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    pub header_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub body_timeout_secs: Option<u64>,
    pub max_open_connections: Option<u32>,
    pub shutdown_grace_secs: Option<u64>,
    pub writes_per_minute: Option<u32>,
    pub write_burst: Option<u32>,
    pub metrics_upkeep_secs: Option<u64>,
}

/// The limits from flags/environment (`cli`) over the file over the defaults, each checked.
pub fn http_limits(cli: &LimitsFile, file: &LimitsFile) -> anyhow::Result<HttpLimits> {
    fn pick<T: Copy + PartialOrd + std::fmt::Display>(
        a: Option<T>,
        b: Option<T>,
        default: T,
        range: std::ops::RangeInclusive<T>,
        what: &str,
    ) -> anyhow::Result<T> {
        let value = a.or(b).unwrap_or(default);
        if !range.contains(&value) {
            bail!(
                "{what} must be between {} and {} (got {value})",
                range.start(),
                range.end()
            );
        }
        Ok(value)
    }
    let d = HttpLimits::default();
    let secs = |a, b, default: Duration, range, what| {
        pick(a, b, default.as_secs(), range, what).map(Duration::from_secs)
    };
    let default_rate = d
        .web
        .write_rate
        .map_or((0, 1), |r| (r.per_minute.get(), r.burst.get()));
    let per_minute = pick(
        cli.writes_per_minute,
        file.writes_per_minute,
        default_rate.0,
        0..=100_000,
        "writes_per_minute (0 turns the limit off)",
    )?;
    let burst = pick(
        cli.write_burst,
        file.write_burst,
        default_rate.1,
        1..=100_000,
        "write_burst",
    )?;
    Ok(HttpLimits {
        header_timeout: secs(
            cli.header_timeout_secs,
            file.header_timeout_secs,
            d.header_timeout,
            1..=3600,
            "header_timeout_secs",
        )?,
        idle_timeout: secs(
            cli.idle_timeout_secs,
            file.idle_timeout_secs,
            d.idle_timeout,
            1..=86_400,
            "idle_timeout_secs",
        )?,
        max_connections: pick(
            cli.max_open_connections,
            file.max_open_connections,
            u32::try_from(d.max_connections).unwrap_or(u32::MAX),
            1..=1_000_000,
            "max_open_connections",
        )? as usize,
        shutdown_grace: secs(
            cli.shutdown_grace_secs,
            file.shutdown_grace_secs,
            d.shutdown_grace,
            0..=3600,
            "shutdown_grace_secs",
        )?,
        metrics_upkeep: secs(
            cli.metrics_upkeep_secs,
            file.metrics_upkeep_secs,
            d.metrics_upkeep,
            1..=3600,
            "metrics_upkeep_secs",
        )?,
        web: WebLimits {
            body_timeout: secs(
                cli.body_timeout_secs,
                file.body_timeout_secs,
                d.web.body_timeout,
                1..=3600,
                "body_timeout_secs",
            )?,
            write_rate: match (NonZeroU32::new(per_minute), NonZeroU32::new(burst)) {
                (Some(per_minute), Some(burst)) => Some(WriteRate { per_minute, burst }),
                _ => None,
            },
        },
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopFile {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub address: Option<String>,
    pub registration_number: Option<String>,
    pub registration_issuer: Option<String>,
    pub registration_date: Option<String>,
    pub moit_notice_url: Option<String>,
    pub return_window_days: Option<u16>,
    pub email: Option<String>,
    pub hotline: Option<String>,
    pub public_url: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("the configuration file {} is invalid", path.display()))
    }
}

/// The shop's identity from flags/environment (`cli`) over the file over the defaults.
pub fn shop_info(cli: &ShopFile, file: &ShopFile) -> anyhow::Result<ShopInfo> {
    let d = ShopInfo::default();
    let pick = |a: &Option<String>, b: &Option<String>, default: String, what: &str| {
        let value = a.clone().or_else(|| b.clone()).unwrap_or(default);
        if value.trim().is_empty() || value.len() > 300 {
            bail!("the shop's {what} must be 1–300 characters");
        }
        Ok(value)
    };
    let info = ShopInfo {
        name: pick(&cli.name, &file.name, d.name, "name")?,
        legal_name: pick(
            &cli.legal_name,
            &file.legal_name,
            d.legal_name,
            "legal name",
        )?,
        address: pick(&cli.address, &file.address, d.address, "address")?,
        registration_number: pick(
            &cli.registration_number,
            &file.registration_number,
            d.registration_number,
            "registration number",
        )?,
        registration_issuer: pick(
            &cli.registration_issuer,
            &file.registration_issuer,
            d.registration_issuer,
            "registration issuer",
        )?,
        registration_date: pick(
            &cli.registration_date,
            &file.registration_date,
            d.registration_date,
            "registration date",
        )?,
        moit_notice_url: cli
            .moit_notice_url
            .clone()
            .or_else(|| file.moit_notice_url.clone())
            .filter(|url| !url.trim().is_empty()),
        return_window_days: cli
            .return_window_days
            .or(file.return_window_days)
            .unwrap_or(d.return_window_days),
        email: pick(&cli.email, &file.email, d.email, "email")?,
        hotline: pick(&cli.hotline, &file.hotline, d.hotline, "hotline")?,
        public_url: pick(
            &cli.public_url,
            &file.public_url,
            d.public_url,
            "public URL",
        )?,
    };
    if !info.email.contains('@') {
        bail!("the shop's email {:?} is not an email address", info.email);
    }
    if !info.public_url.starts_with("http://") && !info.public_url.starts_with("https://") {
        bail!("the shop's public URL must start with http:// or https://");
    }
    if info.hotline.chars().filter(char::is_ascii_digit).count() < 8 {
        bail!("the shop's hotline must have at least 8 digits");
    }
    if !is_calendar_date(&info.registration_date) {
        bail!(
            "the shop's registration date must be a date written dd/mm/yyyy, as on the certificate (got {:?})",
            info.registration_date
        );
    }
    if !(1..=365).contains(&info.return_window_days) {
        bail!(
            "the shop's return window must be 1–365 days (got {})",
            info.return_window_days
        );
    }
    if let Some(url) = &info.moit_notice_url {
        if !url.starts_with("https://") || url.len() > 300 || url.chars().any(char::is_whitespace) {
            bail!("the shop's Ministry of Industry and Trade notice URL must be an https:// address of at most 300 characters, without spaces");
        }
    }
    Ok(info)
}

/// `dd/mm/yyyy` naming a day that exists.
fn is_calendar_date(text: &str) -> bool {
    let format = time::macros::format_description!("[day]/[month]/[year]");
    text.len() == 10 && time::Date::parse(text, &format).is_ok()
}

/// The database URL: explicit, else an SQLite file in the data folder. Creates nothing: the
/// folder (mode 0700) and the file (0600) are made when a command opens the database to write.
pub fn database_url(explicit: Option<String>, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(url) = explicit {
        hanjinbi_store::Backend::from_url(&url).map_err(|_| {
            anyhow::anyhow!("HANJINBI_DATABASE_URL must start with sqlite:// or postgres://")
        })?;
        return Ok(url);
    }
    let file = data_dir.join("hanjinbi.sqlite3");
    let path = file
        .to_str()
        .context("the data folder's path is not valid UTF-8")?;
    Ok(format!("sqlite://{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<FileConfig>("adr = \"x\"").is_err());
        assert!(toml::from_str::<FileConfig>("[shop]\nnmae = \"x\"").is_err());
        let ok: FileConfig =
            toml::from_str("addr = \"0.0.0.0:80\"\n[shop]\nname = \"Shop\"").unwrap();
        assert_eq!(ok.shop.name.as_deref(), Some("Shop"));
    }

    #[test]
    fn flags_win_over_the_file_and_bad_values_are_refused() {
        let cli = ShopFile {
            name: Some("Cli".into()),
            ..ShopFile::default()
        };
        let file = ShopFile {
            name: Some("File".into()),
            hotline: Some("1900 1234".into()),
            ..ShopFile::default()
        };
        let info = shop_info(&cli, &file).unwrap();
        assert_eq!(info.name, "Cli");
        assert_eq!(info.hotline, "1900 1234");
        let bad = ShopFile {
            email: Some("nope".into()),
            ..ShopFile::default()
        };
        assert!(shop_info(&bad, &ShopFile::default()).is_err());
        for date in ["31/02/2024", "2024-03-15", "15/3/2024", ""] {
            let bad = ShopFile {
                registration_date: Some(date.into()),
                ..ShopFile::default()
            };
            assert!(shop_info(&bad, &ShopFile::default()).is_err(), "{date}");
        }
        let bad = ShopFile {
            moit_notice_url: Some("http://online.gov.vn/x".into()),
            ..ShopFile::default()
        };
        assert!(shop_info(&bad, &ShopFile::default()).is_err());
    }

    #[test]
    fn limits_come_from_flags_then_the_file_then_defaults_and_are_checked() {
        let file: FileConfig = toml::from_str(
            "[limits]\nheader_timeout_secs = 3\nwrites_per_minute = 10\nwrite_burst = 4",
        )
        .unwrap();
        let cli = LimitsFile {
            header_timeout_secs: Some(5),
            ..LimitsFile::default()
        };
        let limits = http_limits(&cli, &file.limits).unwrap();
        assert_eq!(limits.header_timeout, Duration::from_secs(5));
        let rate = limits.web.write_rate.unwrap();
        assert_eq!((rate.per_minute.get(), rate.burst.get()), (10, 4));
        assert_eq!(limits.idle_timeout, HttpLimits::default().idle_timeout);
        let off = LimitsFile {
            writes_per_minute: Some(0),
            ..LimitsFile::default()
        };
        assert_eq!(
            http_limits(&off, &LimitsFile::default())
                .unwrap()
                .web
                .write_rate,
            None
        );
        let zero = LimitsFile {
            header_timeout_secs: Some(0),
            ..LimitsFile::default()
        };
        let err = http_limits(&zero, &LimitsFile::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("header_timeout_secs"), "{err}");
        assert!(toml::from_str::<FileConfig>("[limits]\nheader_timeout = 3").is_err());
    }

    #[test]
    fn database_urls_are_checked() {
        assert!(database_url(Some("mysql://x".into()), Path::new(".")).is_err());
        assert!(database_url(Some("postgres://h/db".into()), Path::new(".")).is_ok());
    }

    #[test]
    fn a_bank_account_is_whole_or_absent() {
        let none = BankFile::default();
        assert!(bank_account(&none, &none).unwrap().is_none());
        let whole = BankFile {
            bin: Some("970436".into()),
            account: Some("0071000123456".into()),
            holder: Some("Công ty TNHH Hanjinbi".into()),
            name: None,
        };
        let account = bank_account(&none, &whole).unwrap().unwrap();
        assert_eq!(account.holder(), "CONG TY TNHH HANJINBI");
        let part = BankFile {
            holder: None,
            ..whole.clone()
        };
        let err = bank_account(&part, &none).unwrap_err().to_string();
        assert!(err.contains("holder"), "{err}");
        let bad = BankFile {
            bin: Some("97043X".into()),
            ..whole
        };
        assert!(bank_account(&bad, &none).is_err());
        assert!(toml::from_str::<FileConfig>("[bank]\nbin = \"970436\"\nacount = \"1\"").is_err());
    }
}
