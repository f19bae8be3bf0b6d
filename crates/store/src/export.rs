//! The reads behind a buyer's access view and data export: everything recorded under the
//! email blind index of a verified account, each read one statement for all of the buyer's
//! orders or subjects at once, so that a buyer with thousands of orders costs a handful of
//! round trips, not thousands. Nothing here is plaintext personal data: sealed columns stay
//! sealed, and the gate opens them.
//!
//! A list of subjects travels as one parameter: a PostgreSQL `text[]`, or a JSON array that
//! SQLite's `json_each` reads. The statements are otherwise the same on both databases.

use crate::db::{on_read, Pools};
use crate::orders::OrderRow;
use crate::subjects::{ConsentRow, SealedBuyer, StoredKey};
use crate::{Db, StoreError};

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
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT b.id, b.email_index, b.phone_index, b.email_sealed, b.name_sealed, \
         b.phone_sealed, k.master_key_id, k.wrapped_key \
         FROM buyers b JOIN data_keys k ON k.subject_id = b.id \
         WHERE b.email_index = $1 ORDER BY b.created_at, b.id"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
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
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT b.id AS subject_id, o.number AS order_number \
         FROM buyers b LEFT JOIN orders o ON o.buyer_id = b.id \
         WHERE b.email_index = $1 ORDER BY b.created_at, b.id, o.placed_at, o.number"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
}

/// Every order placed with the address, oldest first.
pub async fn orders_of_email(db: &Db, email_index: &[u8]) -> Result<Vec<OrderRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT o.id, o.number, o.buyer_id, o.status, o.subtotal, o.shipping_fee, o.total, \
         o.shipping_method, o.payment_method, o.ship_to_sealed, o.note_sealed, \
         o.policy_version, o.placed_at, o.lang \
         FROM orders o JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY o.placed_at, o.number"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
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
pub async fn lines_of_email(
    db: &Db,
    email_index: &[u8],
) -> Result<Vec<ExportLineRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT l.order_id, l.position, l.sku, l.product_slug, l.product_name, \
         l.variant_label, l.unit_price, l.quantity, l.line_total, l.product_name_en, \
         l.variant_label_en \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY l.order_id, l.position"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
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
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT h.order_id, h.seq, h.status, h.actor, h.at \
         FROM order_status_history h JOIN orders o ON o.id = h.order_id \
         JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY h.order_id, h.seq"
    )
    .bind(email_index)
    .fetch_all(e)
    .await)?)
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

/// Runs `$sql` (whose `$1` is the list of `$subjects`) and fetches every row as `$row`.
macro_rules! fetch_for_subjects {
    ($db:expr, $sql:expr, $subjects:expr) => {
        match &$db.pools {
            Pools::Sqlite { read, .. } => {
                sqlx::query_as($sql)
                    .bind(json_array($subjects))
                    .fetch_all(read)
                    .await
            }
            Pools::Postgres(pool) => {
                sqlx::query_as($sql)
                    .bind($subjects)
                    .fetch_all(pool)
                    .await
            }
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
    Ok(fetch_for_subjects!(db, &sql, subjects)?)
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

/// Every audit entry whose subject is one of `subjects`, in the order they were written.
pub async fn audit_of(db: &Db, subjects: &[String]) -> Result<Vec<SubjectAuditRow>, StoreError> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT seq, at, who, actor, purpose, action, subject, fields FROM audit_log \
         WHERE subject IN ({}) ORDER BY seq",
        subject_list(db)
    );
    Ok(fetch_for_subjects!(db, &sql, subjects)?)
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
