//! Erasure: destroying the data keys of every record made with an address, and what goes
//! with them, in a handful of set-based statements whatever the history's size. Transaction
//! records (orders, lines, amounts, dates, methods) stay, without identity: their buyer's key
//! is gone, so their sealed delivery details open for nobody.

use crate::db::{on_read, on_tx};
use crate::{Db, StoreError, WriteTx};

/// A guest's erasure link as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ErasureLinkRow {
    pub token_hash: Vec<u8>,
    pub email_index: Vec<u8>,
    /// The request's own data subject, under which the address is sealed.
    pub subject_id: String,
    pub email_sealed: Vec<u8>,
    pub lang: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_link(tx: &mut WriteTx, link: &ErasureLinkRow) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO erasure_links (token_hash, email_index, subject_id, email_sealed, lang, \
         created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(&link.token_hash)
    .bind(&link.email_index)
    .bind(&link.subject_id)
    .bind(&link.email_sealed)
    .bind(&link.lang)
    .bind(link.created_at)
    .bind(link.expires_at)
    .bind(link.used_at)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

const LINK_COLUMNS: &str = "token_hash, email_index, subject_id, email_sealed, lang, created_at, \
     expires_at, used_at";

pub async fn link(db: &Db, token_hash: &[u8]) -> Result<Option<ErasureLinkRow>, StoreError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM erasure_links WHERE token_hash = $1");
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_optional(e)
        .await)?)
}

/// Uses the link once, in one conditional statement: its row when it was unused and
/// unexpired at `now`.
pub async fn use_link(
    tx: &mut WriteTx,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<ErasureLinkRow>, StoreError> {
    let sql = format!(
        "UPDATE erasure_links SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3 RETURNING {LINK_COLUMNS}"
    );
    Ok(on_tx!(tx, |e| sqlx::query_as(&sql)
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(e)
        .await)?)
}

/// The request subjects of unused links for an address, which a newer link or an erasure
/// makes worthless; marks them used and returns their subjects (whose keys the caller
/// destroys).
pub async fn retire_links(
    tx: &mut WriteTx,
    email_index: &[u8],
    now: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_scalar(
        "UPDATE erasure_links SET used_at = $1 WHERE email_index = $2 AND used_at IS NULL \
         RETURNING subject_id"
    )
    .bind(now)
    .bind(email_index)
    .fetch_all(e)
    .await)?)
}

/// Whether any record was made with the address: a guest buyer record or an account.
pub async fn address_known(db: &Db, email_index: &[u8]) -> Result<bool, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM buyers WHERE email_index = $1) \
         OR EXISTS (SELECT 1 FROM accounts WHERE email_index = $2)"
    )
    .bind(email_index)
    .bind(email_index)
    .fetch_one(e)
    .await)?)
}

/// What an erasure did, in counts (no identifiers, no personal values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Data keys destroyed (buyer records and the account).
    pub keys: u64,
    /// Orders kept as transaction records, now without identity.
    pub orders_kept: i64,
}

/// Erases every buyer record made with the address whose blind index is `email_index`, and
/// the account `account` if given: destroys their data keys, deletes the buyer records (and
/// with them the address's blind indexes), consents, processing limits, one-time lookup
/// codes and messages not yet sent about their orders, and the account with its sessions,
/// links and messages. Orders and their lines stay. Set-based: the same few statements for
/// one order or ten thousand.
pub async fn erase_address(
    tx: &mut WriteTx,
    email_index: &[u8],
    account: Option<(&str, &str)>,
    now: i64,
) -> Result<Erased, StoreError> {
    const BUYERS: &str = "SELECT id FROM buyers WHERE email_index = $1";
    let orders_kept: i64 = on_tx!(tx, |e| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders WHERE buyer_id IN (SELECT id FROM buyers WHERE email_index = $1)"
    )
    .bind(email_index)
    .fetch_one(&mut *e)
    .await
    })?;
    let statements = [
        format!(
            "UPDATE data_keys SET wrapped_key = NULL, destroyed_at = $1 \
             WHERE subject_id IN ({}) AND wrapped_key IS NOT NULL",
            BUYERS.replace("$1", "$2")
        ),
        format!(
            "DELETE FROM lookup_codes WHERE order_id IN \
             (SELECT id FROM orders WHERE buyer_id IN ({BUYERS}))"
        ),
        format!(
            "DELETE FROM outbox WHERE sent_at IS NULL AND order_id IN \
             (SELECT id FROM orders WHERE buyer_id IN ({BUYERS}))"
        ),
        format!("DELETE FROM consents WHERE subject_id IN ({BUYERS})"),
        format!("DELETE FROM processing_limits WHERE subject_id IN ({BUYERS})"),
    ];
    let mut keys = 0;
    for (i, sql) in statements.iter().enumerate() {
        let affected = on_tx!(tx, |e| {
            let query = sqlx::query(sql);
            let query = if i == 0 {
                query.bind(now).bind(email_index)
            } else {
                query.bind(email_index)
            };
            query
                .execute(&mut *e)
                .await
                .map(|done| done.rows_affected())
        })?;
        if i == 0 {
            keys += affected;
        }
    }
    on_tx!(tx, |e| sqlx::query(
        "DELETE FROM buyers WHERE email_index = $1"
    )
    .bind(email_index)
    .execute(&mut *e)
    .await
    .map(|done| done.rows_affected()))?;
    if let Some((account_id, subject)) = account {
        keys += u64::from(crate::subjects::destroy_key(tx, subject, now).await?);
        for sql in [
            "DELETE FROM consents WHERE subject_id = $1",
            "DELETE FROM processing_limits WHERE subject_id = $1",
        ] {
            on_tx!(tx, |e| sqlx::query(sql)
                .bind(subject)
                .execute(&mut *e)
                .await
                .map(|done| done.rows_affected()))?;
        }
        for sql in [
            "DELETE FROM account_sessions WHERE account_id = $1",
            "DELETE FROM account_links WHERE account_id = $1",
            "DELETE FROM outbox WHERE account_id = $1",
            "DELETE FROM accounts WHERE id = $1",
        ] {
            on_tx!(tx, |e| sqlx::query(sql)
                .bind(account_id)
                .execute(&mut *e)
                .await
                .map(|done| done.rows_affected()))?;
        }
    }
    Ok(Erased { keys, orders_kept })
}

/// The erasure link whose request subject is `subject`.
pub async fn link_of_subject(db: &Db, subject: &str) -> Result<Option<ErasureLinkRow>, StoreError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM erasure_links WHERE subject_id = $1");
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(subject)
        .fetch_optional(e)
        .await)?)
}

/// The email blind indexes of guest addresses whose last order (the latest over every buyer
/// record made with the address) was placed before `last_order_before`, and which no verified
/// account holds (an account's own rule applies to its address's records): at most `limit`,
/// in index order, after `after` (an empty slice for the first page: every index is greater).
/// One statement, read outside any write transaction, so finding the due addresses never
/// holds the write lock: the caller checks them again in the transaction that erases them
/// ([`still_due_in`]). Paging by index, not by offset, reads each address once however many
/// are kept.
pub async fn retention_due(
    db: &Db,
    last_order_before: i64,
    after: &[u8],
    limit: u32,
) -> Result<Vec<Vec<u8>>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT b.email_index FROM buyers b JOIN orders o ON o.buyer_id = b.id \
         WHERE b.email_index > $1 AND NOT EXISTS (SELECT 1 FROM accounts a \
         WHERE a.email_index = b.email_index AND a.verified_at IS NOT NULL) \
         GROUP BY b.email_index HAVING MAX(o.placed_at) < $2 ORDER BY b.email_index LIMIT $3"
    )
    .bind(after)
    .bind(last_order_before)
    .bind(i64::from(limit))
    .fetch_all(e)
    .await)?)
}

/// An address still due inside the erasing transaction, with the unverified account that
/// holds it, if one does (it goes with the address's records).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueAddress {
    pub email_index: Vec<u8>,
    pub account_id: Option<String>,
    pub account_subject: Option<String>,
}

/// Of `email_indexes`, those still due inside the transaction, in one statement: an order
/// placed, or an account verified, since [`retention_due`] read them keeps an address. On
/// SQLite the transaction holds the write lock, so nothing changes before it commits; on
/// PostgreSQL the caller locks an unverified account's row before erasing it.
pub async fn still_due_in(
    tx: &mut WriteTx,
    email_indexes: &[Vec<u8>],
    last_order_before: i64,
) -> Result<Vec<DueAddress>, StoreError> {
    if email_indexes.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (2..email_indexes.len() + 2)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    // accounts.email_index is unique: at most one account per address, so grouping by its
    // columns too keeps one row per address; a verified one keeps the address.
    let sql = format!(
        "SELECT b.email_index AS email_index, a.id AS account_id, \
         a.subject_id AS account_subject FROM buyers b JOIN orders o ON o.buyer_id = b.id \
         LEFT JOIN accounts a ON a.email_index = b.email_index \
         WHERE a.verified_at IS NULL AND b.email_index IN ({placeholders}) \
         GROUP BY b.email_index, a.id, a.subject_id HAVING MAX(o.placed_at) < $1 \
         ORDER BY b.email_index"
    );
    Ok(on_tx!(tx, |e| {
        let mut query = sqlx::query_as(&sql).bind(last_order_before);
        for index in email_indexes {
            query = query.bind(index.as_slice());
        }
        query.fetch_all(e).await
    })?)
}
