//! Support for tests and benchmarks (feature `testing`): scratch PostgreSQL databases.
//! Never compiled into the shop.

use crate::StoreError;
use sqlx::{Connection, Executor, PgConnection};

/// Whether `name` is safe to splice into `CREATE DATABASE`: lower-case letters, digits and
/// underscores, starting with a letter.
fn plain_identifier(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The URL of database `name` on the server of `admin_url`.
pub fn database_url(admin_url: &str, name: &str) -> Result<String, StoreError> {
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or(StoreError::UnsupportedUrl)?;
    Ok(format!("{base}/{name}"))
}

/// Creates the empty PostgreSQL database `name` through the server at `admin_url`, and
/// returns its URL.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String, StoreError> {
    if !plain_identifier(name) {
        return Err(StoreError::Corrupt(format!(
            "not a plain database name: {name:?}"
        )));
    }
    let mut conn = PgConnection::connect(admin_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    database_url(admin_url, name)
}

/// Drops the PostgreSQL database `name`, closing its connections.
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
    if !plain_identifier(name) {
        return Err(StoreError::Corrupt(format!(
            "not a plain database name: {name:?}"
        )));
    }
    let mut conn = PgConnection::connect(admin_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}
