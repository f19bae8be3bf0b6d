//! The connection pools, the write transaction, and the small dispatch layer that runs one
//! statement on whichever database the shop was started with.
//!
//! Nothing outside this crate sees a driver type: [`Db`] and [`WriteTx`] are opaque, and
//! store functions take them. Inside the crate, the [`on_read!`], [`on_write!`] and
//! [`on_tx!`] macros compile a statement's code once per driver (SQLite and PostgreSQL
//! through their native sqlx drivers), so shared SQL is written once and dialects differ
//! only where a function matches on [`Db::backend`].

use crate::{migrate, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The pools behind a [`Db`].
#[derive(Debug, Clone)]
pub(crate) enum Pools {
    /// One connection writes, so writers queue in the process instead of spinning on the
    /// file lock; readers have their own read-only pool, and in write-ahead-log mode a long
    /// write never blocks a page read.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// The database file; `None` for an in-memory database.
        file: Option<PathBuf>,
    },
    Postgres(PgPool),
}

/// The shop's database. Cheap to clone: clones share the pools.
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pools: Pools,
}

/// A write transaction, opaque outside the store: store functions that change data take
/// one, and [`WriteTx::commit`] makes the changes visible together. Dropped without a commit,
/// it rolls back. On SQLite it holds the write lock from its first statement
/// (`BEGIN IMMEDIATE`), so a read inside it that turns into a write never fails with
/// SQLITE_BUSY.
#[derive(Debug)]
pub struct WriteTx {
    pub(crate) inner: TxInner,
}

#[derive(Debug)]
pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await?,
            TxInner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs `$body` with `$e` bound to a pool that reads: SQLite's read-only pool or the
/// PostgreSQL pool. The body is compiled once per driver.
macro_rules! on_read {
    ($db:expr, |$e:ident| $body:expr) => {
        match &$db.pools {
            $crate::db::Pools::Sqlite { read: $e, .. } => $body,
            $crate::db::Pools::Postgres($e) => $body,
        }
    };
}

/// Runs `$body` with `$e` bound to a pool that writes outside a transaction (one statement,
/// committed on its own): SQLite's writer or the PostgreSQL pool.
macro_rules! on_write {
    ($db:expr, |$e:ident| $body:expr) => {
        match &$db.pools {
            $crate::db::Pools::Sqlite { write: $e, .. } => $body,
            $crate::db::Pools::Postgres($e) => $body,
        }
    };
}

/// Runs `$body` with `$e` bound to the connection of the write transaction `$tx`.
macro_rules! on_tx {
    ($tx:expr, |$e:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::db::TxInner::Sqlite(t) => {
                let $e = &mut **t;
                $body
            }
            $crate::db::TxInner::Postgres(t) => {
                let $e = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use {on_read, on_tx, on_write};

/// The file of an SQLite URL; `None` for an in-memory database.
fn sqlite_file(options: &SqliteConnectOptions, url: &str) -> Option<PathBuf> {
    // `sqlite::memory:` and `sqlite://:memory:` reach here with a made-up file name
    // (`file:sqlx-in-memory-N`, the driver's name for a shared in-memory database), which
    // must not be created on disk.
    if url.contains("mode=memory") || url.contains(":memory:") {
        return None;
    }
    let file = options.get_filename();
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        return None;
    }
    Some(file.to_owned())
}

/// Makes sure the database file exists (when `create`) with mode 0600, and that neither it
/// nor its `-wal`/`-shm` files can be read by group or others.
fn prepare_sqlite_file(file: &Path, create: bool) -> Result<(), StoreError> {
    let io = |source| StoreError::File {
        path: file.to_owned(),
        source,
    };
    if !file.exists() {
        if !create {
            return Err(StoreError::NoDatabase(file.to_owned()));
        }
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(io)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(file) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
            tracing::warn!(file = %path.display(), "database file was readable by other users; now mode 0600");
        }
    }
    Ok(())
}

/// Creates `dir` (and missing parents) with mode 0700; an existing folder is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// How long a request waits for a connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

/// How long an SQLite connection waits for a lock held by another process (another
/// `hanjinbi` command on the same file) before giving up.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    /// Opens the database at `url`, creating an SQLite file when missing: the file mode 0600
    /// in a folder mode 0700 (SQLite gives its `-wal` and `-shm` files the mode of the
    /// database file). Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        Db::open(url, max_connections, true).await
    }

    /// Opens the database at `url` only if it exists: for commands that read, which must not
    /// leave an empty database (or data folder) behind when pointed at the wrong place.
    pub async fn open_existing(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        Db::open(url, max_connections, false).await
    }

    async fn open(url: &str, max_connections: u32, create: bool) -> Result<Db, StoreError> {
        let max_connections = max_connections.max(1);
        let pools = match Backend::from_url(url)? {
            Backend::Sqlite => Db::open_sqlite(url, max_connections, create).await?,
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .min_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await?;
                Pools::Postgres(pool)
            }
        };
        Ok(Db { pools })
    }

    async fn open_sqlite(
        url: &str,
        max_connections: u32,
        create: bool,
    ) -> Result<Pools, StoreError> {
        // Write-ahead log for concurrent readers, enforced foreign keys, a wait instead of an
        // error when another process holds the lock, and `synchronous = NORMAL`, which in WAL
        // mode keeps every committed transaction across a crash of the process.
        let options = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);
        let file = sqlite_file(&options, url);
        if let Some(file) = &file {
            prepare_sqlite_file(file, create)?;
        }
        let write_options = options
            .clone()
            .journal_mode(SqliteJournalMode::Wal)
            .create_if_missing(create);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(write_options)
            .await?;
        let read = match &file {
            // An in-memory database lives in its one connection.
            None => write.clone(),
            Some(_) => {
                SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .min_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options.read_only(true))
                    .await?
            }
        };
        Ok(Pools::Sqlite { write, read, file })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite database file, for readers that open it directly; `None` on PostgreSQL
    /// and for an in-memory database.
    pub(crate) fn sqlite_file(&self) -> Option<&Path> {
        match &self.pools {
            Pools::Sqlite { file, .. } => file.as_deref(),
            Pools::Postgres(_) => None,
        }
    }

    /// Applies the migrations this binary carries that the database has not seen, then
    /// folds the search text SQL cannot (rows a migration added empty search columns to, or
    /// that an older folding made: see `search_text::refold`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(self).await
    }

    /// The migrations the database records as applied, in version order: version and
    /// whether it completed.
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, bool)>, StoreError> {
        migrate::applied(self).await
    }

    /// Starts a write transaction (see [`WriteTx`]).
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let inner = match &self.pools {
            Pools::Sqlite { write, .. } => {
                TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)
            }
            Pools::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(WriteTx { inner })
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_read!(self, |e| sqlx::query("SELECT 1")
            .execute(e)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}
