//! Migrations carried inside the binary, one folder per backend.

use crate::db::Pools;
use crate::search_text;
use crate::{Backend, Db, StoreError};
use futures_core::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;

type Script = (i64, &'static str, &'static str);

const SQLITE: &[Script] = &[
    (
        1,
        "catalog and carts",
        include_str!("../migrations/sqlite/0001_catalog_and_carts.sql"),
    ),
    (
        2,
        "privacy",
        include_str!("../migrations/sqlite/0002_privacy.sql"),
    ),
    (
        3,
        "orders",
        include_str!("../migrations/sqlite/0003_orders.sql"),
    ),
    (
        4,
        "audit who and format",
        include_str!("../migrations/sqlite/0004_audit_who_and_format.sql"),
    ),
    (
        5,
        "key fingerprints",
        include_str!("../migrations/sqlite/0005_key_fingerprints.sql"),
    ),
    (
        6,
        "checkout integrity",
        include_str!("../migrations/sqlite/0006_checkout_integrity.sql"),
    ),
    (
        7,
        "native types",
        include_str!("../migrations/sqlite/0007_native_types.sql"),
    ),
    (
        8,
        "search per language",
        include_str!("../migrations/sqlite/0008_search_per_language.sql"),
    ),
    (
        9,
        "order language",
        include_str!("../migrations/sqlite/0009_order_language.sql"),
    ),
    (
        10,
        "accounts",
        include_str!("../migrations/sqlite/0010_accounts.sql"),
    ),
];

const POSTGRES: &[Script] = &[
    (
        1,
        "catalog and carts",
        include_str!("../migrations/postgres/0001_catalog_and_carts.sql"),
    ),
    (
        2,
        "privacy",
        include_str!("../migrations/postgres/0002_privacy.sql"),
    ),
    (
        3,
        "orders",
        include_str!("../migrations/postgres/0003_orders.sql"),
    ),
    (
        4,
        "audit who and format",
        include_str!("../migrations/postgres/0004_audit_who_and_format.sql"),
    ),
    (
        5,
        "key fingerprints",
        include_str!("../migrations/postgres/0005_key_fingerprints.sql"),
    ),
    (
        6,
        "checkout integrity",
        include_str!("../migrations/postgres/0006_checkout_integrity.sql"),
    ),
    (
        7,
        "native types",
        include_str!("../migrations/postgres/0007_native_types.sql"),
    ),
    (
        8,
        "search per language",
        include_str!("../migrations/postgres/0008_search_per_language.sql"),
    ),
    (
        9,
        "order language",
        include_str!("../migrations/postgres/0009_order_language.sql"),
    ),
    (
        10,
        "accounts",
        include_str!("../migrations/postgres/0010_accounts.sql"),
    ),
];

#[derive(Debug)]
struct Embedded(&'static [Script]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Applies the migrations the database has not seen, then fills what SQL cannot: the folded
/// search text of rows folded by an earlier folding, or never (see [`search_text::refold`]).
pub(crate) async fn run(db: &Db) -> Result<(), StoreError> {
    let scripts = match db.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrator = Migrator::new(Embedded(scripts)).await?;
    match &db.pools {
        Pools::Sqlite { write, .. } => migrator.run(write).await?,
        Pools::Postgres(pool) => migrator.run(pool).await?,
    }
    search_text::refold(db).await?;
    Ok(())
}

/// The migrations the database records as applied, in version order: version and whether
/// it completed.
pub(crate) async fn applied(db: &Db) -> Result<Vec<(i64, bool)>, StoreError> {
    const APPLIED: &str = "SELECT version, success FROM _sqlx_migrations ORDER BY version";
    Ok(match &db.pools {
        Pools::Sqlite { read, .. } => sqlx::query_as(APPLIED).fetch_all(read).await?,
        Pools::Postgres(pool) => sqlx::query_as(APPLIED).fetch_all(pool).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_carry_the_same_versions() {
        let versions = |s: &[Script]| s.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
    }
}
