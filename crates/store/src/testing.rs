//! Support for tests and benchmarks (feature `testing`): scratch PostgreSQL databases, and
//! raw SQL on a [`Db`] for tests that set up or inspect rows no store function reaches
//! (a stock level forced to zero, an audit row rewritten as an attacker would).
//! Never compiled into the shop.
//!
//! Raw SQL runs on whichever database the `Db` was opened on, through the same dispatch as
//! the store's own statements, and its results are plain values: no driver type crosses
//! this module's boundary, so nothing above the store needs the driver to test it.

use crate::db::{on_read, on_write};
use crate::{Backend, Db, StoreError};
use sqlx::postgres::{PgTypeInfo, Postgres};
use sqlx::sqlite::Sqlite;
use sqlx::{Connection, Executor, PgConnection};
use thiserror::Error;

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

/// A value bound to a `$n` parameter of raw SQL. Written `value.into()` from `i64`, `bool`,
/// text, bytes, or an `Option` of those (`None` is SQL `NULL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    Null,
}

impl From<i64> for Param {
    fn from(n: i64) -> Param {
        Param::Int(n)
    }
}

impl From<bool> for Param {
    fn from(b: bool) -> Param {
        Param::Bool(b)
    }
}

impl From<&str> for Param {
    fn from(s: &str) -> Param {
        Param::Text(s.to_owned())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Param {
        Param::Text(s)
    }
}

impl From<&String> for Param {
    fn from(s: &String) -> Param {
        Param::Text(s.clone())
    }
}

impl From<&[u8]> for Param {
    fn from(b: &[u8]) -> Param {
        Param::Bytes(b.to_vec())
    }
}

impl From<Vec<u8>> for Param {
    fn from(b: Vec<u8>) -> Param {
        Param::Bytes(b)
    }
}

impl From<&Vec<u8>> for Param {
    fn from(b: &Vec<u8>) -> Param {
        Param::Bytes(b.clone())
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Param {
        v.map_or(Param::Null, Into::into)
    }
}

/// A value read from a row of raw SQL, as the database stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
            Value::Bool(_) => "a boolean",
        }
    }
}

/// A row of raw SQL: its columns by name, in the order of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    backend: Backend,
    columns: Vec<(String, Value)>,
}

impl Row {
    /// Column `name` as a `T`; an error names the column when there is none of that name or
    /// when its value is not a `T`.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, SqlError> {
        let (_, value) = self
            .columns
            .iter()
            .find(|(column, _)| column == name)
            .ok_or_else(|| SqlError::NoColumn {
                column: name.to_owned(),
                columns: self.names(),
            })?;
        read(name, value, self.backend)
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", ")
    }
}

/// `value` of column `column` as a `T`.
fn read<T: FromValue>(column: &str, value: &Value, backend: Backend) -> Result<T, SqlError> {
    T::from_value(value, backend).ok_or_else(|| SqlError::Mismatch {
        column: column.to_owned(),
        wanted: T::WANTED,
        found: format!("{} ({value:?})", value.kind()),
    })
}

/// A Rust type a column of raw SQL reads as.
pub trait FromValue: Sized {
    /// What the type is called in a type-mismatch error.
    const WANTED: &'static str;
    /// The value as `Self`; `None` when it is something else.
    fn from_value(value: &Value, backend: Backend) -> Option<Self>;
}

impl FromValue for i64 {
    const WANTED: &'static str = "an integer";
    fn from_value(value: &Value, _: Backend) -> Option<i64> {
        match value {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
}

impl FromValue for bool {
    const WANTED: &'static str = "a boolean";
    fn from_value(value: &Value, backend: Backend) -> Option<bool> {
        match (value, backend) {
            (Value::Bool(b), _) => Some(*b),
            // SQLite has no boolean storage class: yes/no columns hold 0 or 1.
            (Value::Int(0), Backend::Sqlite) => Some(false),
            (Value::Int(1), Backend::Sqlite) => Some(true),
            _ => None,
        }
    }
}

impl FromValue for String {
    const WANTED: &'static str = "text";
    fn from_value(value: &Value, _: Backend) -> Option<String> {
        match value {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    const WANTED: &'static str = "bytes";
    fn from_value(value: &Value, _: Backend) -> Option<Vec<u8>> {
        match value {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const WANTED: &'static str = T::WANTED;
    fn from_value(value: &Value, backend: Backend) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other, backend).map(Some),
        }
    }
}

/// A failure of raw SQL, naming the statement or the column.
#[derive(Debug, Error)]
pub enum SqlError {
    #[error("{sql}: {source}")]
    Statement {
        sql: String,
        #[source]
        source: StoreError,
    },
    #[error("{sql}: no row")]
    NoRow { sql: String },
    #[error("{sql}: the row has no column")]
    NoValue { sql: String },
    #[error("{sql}: column {column:?} has the SQL type {sql_type}, which raw SQL does not read")]
    UnreadableType {
        sql: String,
        column: String,
        sql_type: String,
    },
    #[error("no column {column:?} in the row (it has: {columns})")]
    NoColumn { column: String, columns: String },
    #[error("column {column:?} holds {found}, not {wanted}")]
    Mismatch {
        column: String,
        wanted: &'static str,
        found: String,
    },
}

/// SQL `NULL` of no declared type: PostgreSQL infers the type from where the parameter is
/// used (parameter type 0, "unspecified"), as it would for a `NULL` literal; SQLite
/// columns take any type.
struct UntypedNull;

impl sqlx::Type<Postgres> for UntypedNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl sqlx::Encode<'_, Postgres> for UntypedNull {
    fn encode_by_ref(
        &self,
        _: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        Ok(sqlx::encode::IsNull::Yes)
    }
}

impl sqlx::Type<Sqlite> for UntypedNull {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <i64 as sqlx::Type<Sqlite>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, Sqlite> for UntypedNull {
    fn encode_by_ref(
        &self,
        _: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        // The SQLite driver binds NULL for a value that says it is null.
        Ok(sqlx::encode::IsNull::Yes)
    }
}

type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

/// `sql` with `params` bound to `$1…$n` in order; compiled once per driver.
fn query<'q, DB>(sql: &'q str, params: &'q [Param]) -> Query<'q, DB>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    UntypedNull: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    params
        .iter()
        .fold(sqlx::query(sql), |query, param| match param {
            Param::Int(n) => query.bind(*n),
            Param::Text(s) => query.bind(s.as_str()),
            Param::Bytes(b) => query.bind(b.as_slice()),
            Param::Bool(b) => query.bind(*b),
            Param::Null => query.bind(UntypedNull),
        })
}

/// A driver's row as plain values. Each column is read as the first Rust type its SQL type
/// (SQLite: the stored value's class) is compatible with; integers come before booleans
/// because the SQLite driver calls an integer a boolean too.
fn plain_row<R>(row: &R, backend: Backend, sql: &str) -> Result<Row, SqlError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i16: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use sqlx::{Column, Type, TypeInfo, ValueRef};
    let failed = |source: sqlx::Error| SqlError::Statement {
        sql: sql.to_owned(),
        source: source.into(),
    };
    let mut columns = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(failed)?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            let ty = raw.type_info().into_owned();
            if <i64 as Type<R::Database>>::compatible(&ty) {
                Value::Int(row.try_get::<i64, _>(i).map_err(failed)?)
            } else if <i32 as Type<R::Database>>::compatible(&ty) {
                Value::Int(row.try_get::<i32, _>(i).map_err(failed)?.into())
            } else if <i16 as Type<R::Database>>::compatible(&ty) {
                Value::Int(row.try_get::<i16, _>(i).map_err(failed)?.into())
            } else if <bool as Type<R::Database>>::compatible(&ty) {
                Value::Bool(row.try_get(i).map_err(failed)?)
            } else if <String as Type<R::Database>>::compatible(&ty) {
                Value::Text(row.try_get(i).map_err(failed)?)
            } else if <Vec<u8> as Type<R::Database>>::compatible(&ty) {
                Value::Bytes(row.try_get(i).map_err(failed)?)
            } else {
                return Err(SqlError::UnreadableType {
                    sql: sql.to_owned(),
                    column: column.name().to_owned(),
                    sql_type: ty.name().to_owned(),
                });
            }
        };
        columns.push((column.name().to_owned(), value));
    }
    Ok(Row { backend, columns })
}

/// Raw SQL, for tests and benchmarks only: the shop's own statements live in the store's
/// modules. Statements that change data run on the writer; queries on the readers, so a
/// query never waits for a write transaction a test holds open.
impl Db {
    /// Runs a statement that changes data; returns the number of rows it changed.
    pub async fn raw_execute(&self, sql: &str, params: &[Param]) -> Result<u64, SqlError> {
        on_write!(self, |e| query(sql, params)
            .execute(e)
            .await
            .map(|done| done.rows_affected()))
        .map_err(|e| SqlError::Statement {
            sql: sql.to_owned(),
            source: e.into(),
        })
    }

    /// Every row of a query.
    pub async fn raw_rows(&self, sql: &str, params: &[Param]) -> Result<Vec<Row>, SqlError> {
        let backend = self.backend();
        on_read!(self, |e| {
            let rows = query(sql, params)
                .fetch_all(e)
                .await
                .map_err(|e| SqlError::Statement {
                    sql: sql.to_owned(),
                    source: e.into(),
                })?;
            rows.iter()
                .map(|row| plain_row(row, backend, sql))
                .collect()
        })
    }

    /// The first row of a query; an error when there is none.
    pub async fn raw_row(&self, sql: &str, params: &[Param]) -> Result<Row, SqlError> {
        self.raw_rows(sql, params)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| SqlError::NoRow {
                sql: sql.to_owned(),
            })
    }

    /// The first column of the first row of a query, as a `T`: a count, an id, a stored
    /// value.
    pub async fn raw_one<T: FromValue>(&self, sql: &str, params: &[Param]) -> Result<T, SqlError> {
        let row = self.raw_row(sql, params).await?;
        let (column, value) = row.columns.first().ok_or_else(|| SqlError::NoValue {
            sql: sql.to_owned(),
        })?;
        read(column, value, row.backend)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Runs `check` on an in-memory SQLite database, and on a scratch PostgreSQL database
    /// when `HANJINBI_TEST_DATABASE_URL` names a server.
    async fn on_each_backend<F, Fut>(check: F)
    where
        F: Fn(Db) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        check(Db::connect("sqlite::memory:", 1).await.unwrap()).await;
        let Some(admin) = std::env::var("HANJINBI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        else {
            return;
        };
        // Tests run in parallel threads of one process: the counter tells theirs apart.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("hj_test_raw_{}_{n}", std::process::id());
        let url = create_postgres_database(&admin, &name).await.unwrap();
        let db = Db::connect(&url, 2).await.unwrap();
        check(db.clone()).await;
        db.close().await;
        drop_postgres_database(&admin, &name).await.unwrap();
    }

    async fn make_table(db: &Db) {
        let ddl = match db.backend() {
            Backend::Sqlite => {
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, \
                 flag INTEGER NOT NULL CHECK (flag IN (0, 1)))"
            }
            Backend::Postgres => {
                "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, data BYTEA, \
                 flag BOOLEAN NOT NULL)"
            }
        };
        db.raw_execute(ddl, &[]).await.unwrap();
    }

    #[tokio::test]
    async fn values_go_in_and_come_back_typed() {
        on_each_backend(|db| async move {
            make_table(&db).await;
            let inserted = db
                .raw_execute(
                    "INSERT INTO t (id, name, data, flag) VALUES ($1, $2, $3, $4), \
                     (2, NULL, NULL, FALSE)",
                    &[7.into(), "bảy".into(), vec![0u8, 255].into(), true.into()],
                )
                .await
                .unwrap();
            assert_eq!(inserted, 2);

            let row = db
                .raw_row(
                    "SELECT id, name, data, flag FROM t WHERE id = $1",
                    &[7.into()],
                )
                .await
                .unwrap();
            assert_eq!(row.get::<i64>("id").unwrap(), 7);
            assert_eq!(row.get::<String>("name").unwrap(), "bảy");
            assert_eq!(row.get::<Vec<u8>>("data").unwrap(), vec![0, 255]);
            assert!(row.get::<bool>("flag").unwrap());
            assert_eq!(
                row.get::<Option<String>>("name").unwrap().as_deref(),
                Some("bảy")
            );

            let other = db
                .raw_row("SELECT name, data, flag FROM t WHERE id = 2", &[])
                .await
                .unwrap();
            assert_eq!(other.get::<Option<String>>("name").unwrap(), None);
            assert_eq!(other.get::<Option<Vec<u8>>>("data").unwrap(), None);
            assert!(!other.get::<bool>("flag").unwrap());

            // An untyped NULL parameter takes the type of the column it lands in.
            let cleared = db
                .raw_execute(
                    "UPDATE t SET data = $1, name = $2 WHERE id = 7",
                    &[Option::<Vec<u8>>::None.into(), Param::Null],
                )
                .await
                .unwrap();
            assert_eq!(cleared, 1);
            let nulls: i64 = db
                .raw_one(
                    "SELECT COUNT(*) FROM t WHERE data IS NULL AND name IS NULL AND flag = $1",
                    &[true.into()],
                )
                .await
                .unwrap();
            assert_eq!(nulls, 1);
            let ids: Vec<i64> = db
                .raw_rows("SELECT id FROM t ORDER BY id", &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get("id").unwrap())
                .collect();
            assert_eq!(ids, vec![2, 7]);
        })
        .await;
    }

    #[tokio::test]
    async fn mistakes_name_the_column_or_the_statement() {
        on_each_backend(|db| async move {
            make_table(&db).await;
            db.raw_execute(
                "INSERT INTO t (id, name, flag) VALUES (1, 'một', TRUE)",
                &[],
            )
            .await
            .unwrap();
            let row = db.raw_row("SELECT id, name FROM t", &[]).await.unwrap();

            let wrong = row.get::<String>("id").unwrap_err();
            assert!(matches!(wrong, SqlError::Mismatch { .. }), "{wrong:?}");
            let said = wrong.to_string();
            assert!(
                said.contains("\"id\"") && said.contains("not text"),
                "{said}"
            );

            let missing = row.get::<i64>("nope").unwrap_err().to_string();
            assert!(
                missing.contains("\"nope\"") && missing.contains("id, name"),
                "{missing}"
            );

            let none = db
                .raw_row("SELECT id FROM t WHERE id = 99", &[])
                .await
                .unwrap_err();
            assert!(matches!(none, SqlError::NoRow { .. }), "{none:?}");

            let bad = db
                .raw_execute("UPDATE nowhere SET x = 1", &[])
                .await
                .unwrap_err();
            assert!(bad.to_string().starts_with("UPDATE nowhere"), "{bad}");
        })
        .await;
    }

    #[tokio::test]
    async fn a_boolean_is_not_an_integer_on_postgresql() {
        on_each_backend(|db| async move {
            make_table(&db).await;
            db.raw_execute("INSERT INTO t (id, flag) VALUES (1, TRUE)", &[])
                .await
                .unwrap();
            let flag = db.raw_one::<i64>("SELECT flag FROM t", &[]).await;
            match db.backend() {
                // SQLite stores it as the integer 1, which is what a test reads.
                Backend::Sqlite => assert_eq!(flag.unwrap(), 1),
                Backend::Postgres => {
                    let said = flag.unwrap_err().to_string();
                    assert!(said.contains("a boolean (Bool(true))"), "{said}");
                }
            }
        })
        .await;
    }
}
