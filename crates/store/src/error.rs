use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite://… or postgres://…)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(DatabaseError),
    #[error("migration failed: {0}")]
    Migration(DatabaseError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(
        "there is no database at {0}; nothing was created (`hanjinbi migrate` or \
         `hanjinbi serve` makes a new one)"
    )]
    NoDatabase(std::path::PathBuf),
    #[error("cannot prepare the database file {path}: {source}")]
    File {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// An error the database driver reported. Opaque outside the store: callers ask
/// [`StoreError`] what kind of failure it was, never the driver.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct DatabaseError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Database(DatabaseError(Box::new(e)))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(DatabaseError(Box::new(e)))
    }
}

impl From<crate::pg_copy::CopyError> for StoreError {
    fn from(e: crate::pg_copy::CopyError) -> StoreError {
        StoreError::Database(DatabaseError(Box::new(e)))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migration(DatabaseError(Box::new(e)))
    }
}

impl DatabaseError {
    fn sqlx(&self) -> Option<&sqlx::Error> {
        self.0.downcast_ref::<sqlx::Error>()
    }
}

impl StoreError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(e)
            if matches!(e.sqlx(), Some(sqlx::Error::Database(d)) if d.is_unique_violation()))
    }

    /// The database could not be reached or the pool is exhausted: worth a retry later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Database(e) if matches!(
            e.sqlx(),
            Some(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_))
        ))
    }
}
