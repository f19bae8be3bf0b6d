//! The reads behind a buyer's access view and data export: everything recorded under the
//! email blind index of a verified account, each read one statement for all of the buyer's
//! orders or subjects at once, so that a buyer with thousands of orders costs a handful of
//! round trips, not thousands. Nothing here is plaintext personal data: sealed columns stay
//! sealed, and the gate opens them.
//!
//! A list of subjects travels as one parameter: a PostgreSQL `text[]`, or a JSON array that
//! SQLite's `json_each` reads. The statements are otherwise the same on both databases.
//!
//! An SQLite file is read directly, on a blocking thread, as `audit::scan` reads it: sqlx's
//! SQLite driver hands every row from its worker thread to the task that polls it, which
//! costs more than reading the row, and these reads return thousands of rows.

use crate::db::{on_read, Pools, SQLITE_BUSY_TIMEOUT};
use crate::orders::OrderRow;
use crate::subjects::{ConsentRow, SealedBuyer, StoredKey};
use crate::{Db, StoreError};
use rusqlite::types::Value as SqliteValue;
use std::path::Path;

/// A row type read straight from an SQLite file, by column position: each implementation
/// reads the columns in the order its statement selects them (looking a column up by name
/// costs more than reading it).
trait FromSqlite: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// Every row of `sql` (its parameters `$1`, `$2`, … bound to `params`), read from the SQLite
/// `file` through a connection of its own on a blocking thread.
async fn read_file<T: FromSqlite + Send + 'static>(
    file: &Path,
    sql: String,
    params: Vec<SqliteValue>,
) -> Result<Vec<T>, StoreError> {
    let file = file.to_owned();
    let read = move || -> Result<Vec<T>, StoreError> {
        let conn = rusqlite::Connection::open_with_flags(
            &file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        let mut statement = conn.prepare(&sql)?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(params), T::from_sqlite)?
            .collect::<Result<Vec<T>, _>>()?;
        Ok(rows)
    };
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| StoreError::Corrupt(format!("a read of the database stopped: {e}")))?
}

/// Runs `$sql` with `$1` bound to the bytes `$param`: straight from an SQLite file, else
/// through the pool.
macro_rules! fetch_by_bytes {
    ($db:expr, $sql:expr, $param:expr) => {
        match $db.sqlite_file() {
            Some(file) => {
                read_file(
                    file,
                    $sql.to_owned(),
                    vec![SqliteValue::Blob($param.to_vec())],
                )
                .await
            }
            None => Ok(on_read!($db, |e| sqlx::query_as($sql)
                .bind($param)
                .fetch_all(e)
                .await)?),
        }
    };
}

/// A buyer record made with the address, with its data key as stored (`wrapped` is `None`
/// once the key was destroyed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkedBuyerRow {
    #[sqlx(flatten)]
    pub buyer: SealedBuyer,
    #[sqlx(flatten)]
    pub key: StoredKey,
}

/// Every buyer record made with the address whose blind index is `email_index`, with its
/// stored data key.
pub async fn linked_buyers(db: &Db, email_index: &[u8]) -> Result<Vec<LinkedBuyerRow>, StoreError> {
    fetch_by_bytes!(
        db,
        "SELECT b.id, b.email_index, b.phone_index, b.email_sealed, b.name_sealed, \
         b.phone_sealed, k.master_key_id, k.wrapped_key \
         FROM buyers b JOIN data_keys k ON k.subject_id = b.id \
         WHERE b.email_index = $1 ORDER BY b.created_at, b.id",
        email_index
    )
}

impl FromSqlite for LinkedBuyerRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(LinkedBuyerRow {
            buyer: SealedBuyer {
                id: row.get(0)?,
                email_index: row.get(1)?,
                phone_index: row.get(2)?,
                email: row.get(3)?,
                name: row.get(4)?,
                phone: row.get(5)?,
            },
            key: StoredKey {
                master_key_id: row.get(6)?,
                wrapped: row.get(7)?,
            },
        })
    }
}

/// A buyer record of the address and the number of an order placed with it (`None` for a
/// record without an order). A record with several orders comes once per order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectOrderRow {
    pub subject_id: String,
    pub order_number: Option<String>,
}

/// The buyer records made with the address and their orders' numbers, oldest first.
pub async fn subjects_of_email(
    db: &Db,
    email_index: &[u8],
) -> Result<Vec<SubjectOrderRow>, StoreError> {
    fetch_by_bytes!(
        db,
        "SELECT b.id AS subject_id, o.number AS order_number \
         FROM buyers b LEFT JOIN orders o ON o.buyer_id = b.id \
         WHERE b.email_index = $1 ORDER BY b.created_at, b.id, o.placed_at, o.number",
        email_index
    )
}

impl FromSqlite for SubjectOrderRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(SubjectOrderRow {
            subject_id: row.get(0)?,
            order_number: row.get(1)?,
        })
    }
}

/// Every order placed with the address, oldest first.
pub async fn orders_of_email(db: &Db, email_index: &[u8]) -> Result<Vec<OrderRow>, StoreError> {
    fetch_by_bytes!(
        db,
        "SELECT o.id, o.number, o.buyer_id, o.status, o.subtotal, o.shipping_fee, o.total, \
         o.shipping_method, o.payment_method, o.ship_to_sealed, o.note_sealed, \
         o.policy_version, o.placed_at, o.lang \
         FROM orders o JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY o.placed_at, o.number",
        email_index
    )
}

impl FromSqlite for OrderRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(OrderRow {
            id: row.get(0)?,
            number: row.get(1)?,
            buyer_id: row.get(2)?,
            status: row.get(3)?,
            subtotal: row.get(4)?,
            shipping_fee: row.get(5)?,
            total: row.get(6)?,
            shipping_method: row.get(7)?,
            payment_method: row.get(8)?,
            ship_to_sealed: row.get(9)?,
            note_sealed: row.get(10)?,
            policy_version: row.get(11)?,
            placed_at: row.get(12)?,
            lang: row.get(13)?,
        })
    }
}

/// A line of an order, with the order it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportLineRow {
    pub order_id: String,
    pub position: i64,
    pub sku: String,
    pub product_slug: String,
    pub product_name: String,
    pub variant_label: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
    /// `None` for lines of orders placed before English names were recorded.
    pub product_name_en: Option<String>,
    pub variant_label_en: Option<String>,
}

/// The lines of every order placed with the address, by order, in their order.
pub async fn lines_of_email(db: &Db, email_index: &[u8]) -> Result<Vec<ExportLineRow>, StoreError> {
    fetch_by_bytes!(
        db,
        "SELECT l.order_id, l.position, l.sku, l.product_slug, l.product_name, \
         l.variant_label, l.unit_price, l.quantity, l.line_total, l.product_name_en, \
         l.variant_label_en \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY l.order_id, l.position",
        email_index
    )
}

impl FromSqlite for ExportLineRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(ExportLineRow {
            order_id: row.get(0)?,
            position: row.get(1)?,
            sku: row.get(2)?,
            product_slug: row.get(3)?,
            product_name: row.get(4)?,
            variant_label: row.get(5)?,
            unit_price: row.get(6)?,
            quantity: row.get(7)?,
            line_total: row.get(8)?,
            product_name_en: row.get(9)?,
            variant_label_en: row.get(10)?,
        })
    }
}

/// A status an order took, with the order it belongs to. `actor` is a role, never a person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportStatusRow {
    pub order_id: String,
    pub seq: i64,
    pub status: String,
    pub actor: String,
    pub at: i64,
}

/// The status history of every order placed with the address, by order, oldest first.
pub async fn history_of_email(
    db: &Db,
    email_index: &[u8],
) -> Result<Vec<ExportStatusRow>, StoreError> {
    fetch_by_bytes!(
        db,
        "SELECT h.order_id, h.seq, h.status, h.actor, h.at \
         FROM order_status_history h JOIN orders o ON o.id = h.order_id \
         JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY h.order_id, h.seq",
        email_index
    )
}

impl FromSqlite for ExportStatusRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(ExportStatusRow {
            order_id: row.get(0)?,
            seq: row.get(1)?,
            status: row.get(2)?,
            actor: row.get(3)?,
            at: row.get(4)?,
        })
    }
}

/// `IN (…)` over the subjects of parameter `$1`, as each database reads a list.
fn subject_list(db: &Db) -> &'static str {
    match db.pools {
        Pools::Sqlite { .. } => "SELECT value FROM json_each($1)",
        Pools::Postgres(_) => "SELECT UNNEST($1::text[])",
    }
}

/// `subjects` as a JSON array of strings, for SQLite's `json_each`.
fn json_array(subjects: &[String]) -> String {
    let mut json = String::with_capacity(subjects.iter().map(|s| s.len() + 3).sum::<usize>() + 2);
    json.push('[');
    for (i, subject) in subjects.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('"');
        for c in subject.chars() {
            match c {
                '"' => json.push_str("\\\""),
                '\\' => json.push_str("\\\\"),
                c if u32::from(c) < 0x20 => json.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => json.push(c),
            }
        }
        json.push('"');
    }
    json.push(']');
    json
}

/// Runs `$sql`, whose `$1` is the list of `$subjects` and whose `$2`, … are the integers
/// `$n`, and fetches every row.
macro_rules! fetch_for_subjects {
    ($db:expr, $sql:expr, $subjects:expr $(, $n:expr)*) => {
        match (&$db.pools, $db.sqlite_file()) {
            (Pools::Sqlite { .. }, Some(file)) => {
                let params = vec![
                    SqliteValue::Text(json_array($subjects)),
                    $(SqliteValue::Integer($n),)*
                ];
                read_file(file, $sql.to_owned(), params).await
            }
            (Pools::Sqlite { read, .. }, None) => Ok(sqlx::query_as($sql)
                .bind(json_array($subjects))
                $(.bind($n))*
                .fetch_all(read)
                .await?),
            (Pools::Postgres(pool), _) => Ok(sqlx::query_as($sql)
                .bind($subjects)
                $(.bind($n))*
                .fetch_all(pool)
                .await?),
        }
    };
}

/// Every consent decision of `subjects`, oldest first.
pub async fn consents_of(db: &Db, subjects: &[String]) -> Result<Vec<ConsentRow>, StoreError> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT subject_id, purpose, granted, policy_version, wording, channel, at, verified \
         FROM consents WHERE subject_id IN ({}) ORDER BY id",
        subject_list(db)
    );
    fetch_for_subjects!(db, sql.as_str(), subjects)
}

impl FromSqlite for ConsentRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(ConsentRow {
            subject_id: row.get(0)?,
            purpose: row.get(1)?,
            granted: row.get(2)?,
            policy_version: row.get(3)?,
            wording: row.get(4)?,
            channel: row.get(5)?,
            at: row.get(6)?,
            verified: row.get(7)?,
        })
    }
}

/// An audit entry about a subject, without its chain links.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectAuditRow {
    pub seq: i64,
    pub at: i64,
    /// Who acted: a stable identifier of the principal, never a personal value.
    pub who: String,
    /// The role the policy judged.
    pub actor: String,
    pub purpose: String,
    pub action: String,
    pub subject: String,
    /// The fields concerned, comma separated; never their values.
    pub fields: String,
}

/// Every audit entry numbered after `after_seq` whose subject is one of `subjects`, in the
/// order they were written (`after_seq` 0: all of them). The log is numbered in the order its
/// writers committed, so entries after the last one read are found by their numbers alone,
/// without reading the log again.
pub async fn audit_of(
    db: &Db,
    subjects: &[String],
    after_seq: i64,
) -> Result<Vec<SubjectAuditRow>, StoreError> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT seq, at, who, actor, purpose, action, subject, fields FROM audit_log \
         WHERE subject IN ({}) AND seq > $2 ORDER BY seq",
        subject_list(db)
    );
    fetch_for_subjects!(db, sql.as_str(), subjects, after_seq)
}

impl FromSqlite for SubjectAuditRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(SubjectAuditRow {
            seq: row.get(0)?,
            at: row.get(1)?,
            who: row.get(2)?,
            actor: row.get(3)?,
            purpose: row.get(4)?,
            action: row.get(5)?,
            subject: row.get(6)?,
            fields: row.get(7)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::json_array;

    #[test]
    fn a_list_of_subjects_is_a_json_array_whatever_they_hold() {
        assert_eq!(json_array(&[]), "[]");
        assert_eq!(
            json_array(&["ab12".into(), "c\"d\\e\u{1}".into()]),
            r#"["ab12","c\"d\\e\u0001"]"#
        );
    }
}
