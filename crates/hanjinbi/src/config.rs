//! Settings: command-line flags, then `HANJINBI_*` environment variables, then an optional
//! TOML file, then defaults. Unknown keys in the file are errors, not silently ignored.

use anyhow::{bail, Context};
use hanjinbi_domain::ShopInfo;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The optional configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub max_connections: Option<u32>,
    #[serde(default)]
    pub shop: ShopFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopFile {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub address: Option<String>,
    pub registration_number: Option<String>,
    pub registration_issuer: Option<String>,
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
    Ok(info)
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
    }

    #[test]
    fn database_urls_are_checked() {
        assert!(database_url(Some("mysql://x".into()), Path::new(".")).is_err());
        assert!(database_url(Some("postgres://h/db".into()), Path::new(".")).is_ok());
    }
}
