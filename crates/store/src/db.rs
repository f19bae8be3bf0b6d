//! The connection pool and the few places where SQLite and PostgreSQL differ.

use crate::{migrate, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Once;
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

/// A write transaction. On SQLite it holds the write lock from its first statement
/// (`BEGIN IMMEDIATE`), so concurrent writers wait their turn instead of failing with
/// SQLITE_BUSY when a read inside the transaction turns into a write.
pub type WriteTx = sqlx::Transaction<'static, sqlx::Any>;

/// The shop's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// Per-connection SQLite settings: write-ahead log for concurrent readers, enforced foreign
/// keys, a wait instead of an error when the write lock is taken, and `synchronous = NORMAL`,
/// which in WAL mode keeps every committed transaction across a crash of the process.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

/// The file of an SQLite URL; `None` for an in-memory database.
fn sqlite_file(url: &str) -> Result<Option<PathBuf>, StoreError> {
    if url.contains("mode=memory") {
        return Ok(None);
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    let file = options.get_filename();
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        return Ok(None);
    }
    Ok(Some(file.to_owned()))
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
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => {
                if let Some(file) = sqlite_file(url)? {
                    prepare_sqlite_file(&file, create)?;
                }
                if url.contains("mode=") {
                    url.to_owned()
                } else {
                    let sep = if url.contains('?') { '&' } else { '?' };
                    let mode = if create { "rwc" } else { "rw" };
                    format!("{url}{sep}mode={mode}")
                }
            }
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the migrations this binary carries that the database has not seen.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(self).await
    }

    /// Starts a write transaction (see [`WriteTx`]).
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
