//! Orders, their lines and status history, idempotency keys, stock decrements, lookup codes
//! and the fixed-window counters and intervals that limit lookups.

use crate::db::{on_read, on_tx, on_write};
use crate::{Db, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub number: String,
    pub buyer_id: String,
    pub status: String,
    pub subtotal: i64,
    pub shipping_fee: i64,
    pub total: i64,
    pub shipping_method: String,
    pub payment_method: String,
    pub ship_to_sealed: Vec<u8>,
    pub note_sealed: Option<Vec<u8>>,
    pub policy_version: String,
    pub placed_at: i64,
    /// The language the order was placed in (`vi` or `en`); its emails are written in it.
    pub lang: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderLineRow {
    pub sku: String,
    pub product_slug: String,
    /// The product's Vietnamese name when it was sold.
    pub product_name: String,
    /// The variant in Vietnamese ("M / Đen").
    pub variant_label: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
    /// The product's English name when it was sold; `None` for lines of orders placed
    /// before it was recorded (migration 0009).
    pub product_name_en: Option<String>,
    /// The variant in English ("M / Black"); `None` like `product_name_en`.
    pub variant_label_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusRow {
    pub status: String,
    pub actor: String,
    pub at: i64,
}

/// Takes `quantity` units of a variant if that many are in stock; `false` when not.
/// The check and the decrement are one statement, so concurrent checkouts never oversell.
pub async fn take_stock(tx: &mut WriteTx, sku: &str, quantity: i64) -> Result<bool, StoreError> {
    let affected = on_tx!(tx, |e| sqlx::query(
        "UPDATE variants SET stock = stock - $1 WHERE sku = $2 AND stock >= $1"
    )
    .bind(quantity)
    .bind(sku)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(affected == 1)
}

pub async fn insert(
    tx: &mut WriteTx,
    order: &OrderRow,
    lines: &[OrderLineRow],
    actor: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO orders (id, number, buyer_id, status, subtotal, shipping_fee, total, \
         shipping_method, payment_method, ship_to_sealed, note_sealed, policy_version, placed_at, \
         lang) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )
    .bind(order.id.as_str())
    .bind(order.number.as_str())
    .bind(order.buyer_id.as_str())
    .bind(order.status.as_str())
    .bind(order.subtotal)
    .bind(order.shipping_fee)
    .bind(order.total)
    .bind(order.shipping_method.as_str())
    .bind(order.payment_method.as_str())
    .bind(order.ship_to_sealed.as_slice())
    .bind(order.note_sealed.as_deref())
    .bind(order.policy_version.as_str())
    .bind(order.placed_at)
    .bind(order.lang.as_str())
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    for (position, line) in (0i64..).zip(lines) {
        on_tx!(tx, |e| sqlx::query(
            "INSERT INTO order_lines (order_id, position, sku, product_slug, product_name, \
             variant_label, unit_price, quantity, line_total, product_name_en, variant_label_en) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )
        .bind(order.id.as_str())
        .bind(position)
        .bind(line.sku.as_str())
        .bind(line.product_slug.as_str())
        .bind(line.product_name.as_str())
        .bind(line.variant_label.as_str())
        .bind(line.unit_price)
        .bind(line.quantity)
        .bind(line.line_total)
        .bind(line.product_name_en.as_deref())
        .bind(line.variant_label_en.as_deref())
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    }
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO order_status_history (order_id, seq, status, actor, at) \
         VALUES ($1, 1, $2, $3, $4)"
    )
    .bind(order.id.as_str())
    .bind(order.status.as_str())
    .bind(actor)
    .bind(order.placed_at)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// An order's columns, then `$condition`.
macro_rules! select_order {
    ($condition:literal) => {
        concat!(
            "SELECT id, number, buyer_id, status, subtotal, shipping_fee, total, \
             shipping_method, payment_method, ship_to_sealed, note_sealed, policy_version, \
             placed_at, lang FROM orders WHERE ",
            $condition
        )
    };
}

const ORDER_BY_NUMBER: &str = select_order!("number = $1");
const ORDER_BY_ID: &str = select_order!("id = $1");

pub async fn by_number(db: &Db, number: &str) -> Result<Option<OrderRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(ORDER_BY_NUMBER)
        .bind(number)
        .fetch_optional(e)
        .await)?)
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<OrderRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(ORDER_BY_ID)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

pub async fn lines(db: &Db, order_id: &str) -> Result<Vec<OrderLineRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT sku, product_slug, product_name, variant_label, unit_price, quantity, line_total, \
         product_name_en, variant_label_en FROM order_lines WHERE order_id = $1 ORDER BY position"
    )
    .bind(order_id)
    .fetch_all(e)
    .await)?)
}

pub async fn history(db: &Db, order_id: &str) -> Result<Vec<StatusRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT status, actor, at FROM order_status_history WHERE order_id = $1 ORDER BY seq"
    )
    .bind(order_id)
    .fetch_all(e)
    .await)?)
}

/// The order an idempotency key already produced, with the hash of the request it came with
/// (`None` for keys stored before requests were hashed).
pub async fn by_idempotency_key(
    tx: &mut WriteTx,
    key_hash: &[u8],
) -> Result<Option<(String, Option<Vec<u8>>)>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_as(
        "SELECT order_id, request_hash FROM idempotency_keys WHERE key_hash = $1"
    )
    .bind(key_hash)
    .fetch_optional(e)
    .await)?)
}

pub async fn insert_idempotency_key(
    tx: &mut WriteTx,
    key_hash: &[u8],
    request_hash: &[u8],
    order_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO idempotency_keys (key_hash, request_hash, order_id, created_at) \
         VALUES ($1, $2, $3, $4)"
    )
    .bind(key_hash)
    .bind(request_hash)
    .bind(order_id)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Empties a cart after its order is placed.
pub async fn clear_cart(tx: &mut WriteTx, cart_id: &str) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "DELETE FROM cart_items WHERE cart_id = $1"
    )
    .bind(cart_id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Stores a new one-time code for the order unless an unused one was issued after
/// `issued_after` (`false` then). One statement decides, so parallel requests cannot send two
/// codes.
pub async fn issue_lookup_code(
    tx: &mut WriteTx,
    order_id: &str,
    code_hash: &[u8],
    expires_at: i64,
    now: i64,
    issued_after: i64,
) -> Result<bool, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, |e| sqlx::query_as(
        "INSERT INTO lookup_codes (order_id, code_hash, expires_at, issued_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (order_id) DO UPDATE SET code_hash = excluded.code_hash, \
         expires_at = excluded.expires_at, issued_at = excluded.issued_at, used_at = NULL \
         WHERE lookup_codes.issued_at <= $5 OR lookup_codes.used_at IS NOT NULL \
         RETURNING order_id"
    )
    .bind(order_id)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
    .bind(issued_after)
    .fetch_optional(e)
    .await)?;
    Ok(row.is_some())
}

/// The newest one-time code of an order: its keyed hash, when it stops working and when it
/// was used (`None`: not yet).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LookupCodeRow {
    pub code_hash: Vec<u8>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The order's newest code, read inside the caller's write transaction.
pub async fn lookup_code(
    tx: &mut WriteTx,
    order_id: &str,
) -> Result<Option<LookupCodeRow>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_as(
        "SELECT code_hash, expires_at, used_at FROM lookup_codes WHERE order_id = $1"
    )
    .bind(order_id)
    .fetch_optional(e)
    .await)?)
}

/// Marks the order's code used at `now`; `false` when it already was (a concurrent request
/// used it first). The row stays, so the code presented again is known as used, and its
/// issue time still spaces out the next code.
pub async fn use_lookup_code(
    tx: &mut WriteTx,
    order_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let affected = on_tx!(tx, |e| sqlx::query(
        "UPDATE lookup_codes SET used_at = $1 WHERE order_id = $2 AND used_at IS NULL"
    )
    .bind(now)
    .bind(order_id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(affected == 1)
}

/// A fixed-window counter as it stands: hits in the window that started at `window_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct LimitWindow {
    pub hits: i64,
    pub window_start: i64,
}

/// Counts one hit on the counter `(scope, bucket)` and returns it. A window that started at
/// or before `expired_at_or_before` is over: the count starts again at one from `now`.
pub async fn hit_limit(
    tx: &mut WriteTx,
    scope: &str,
    bucket: &[u8],
    now: i64,
    expired_at_or_before: i64,
) -> Result<LimitWindow, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_as(
        "INSERT INTO rate_limits (scope, bucket, window_start, hits) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, bucket) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start <= $4 THEN 1 \
                ELSE rate_limits.hits + 1 END, \
         window_start = CASE WHEN rate_limits.window_start <= $5 \
                THEN excluded.window_start ELSE rate_limits.window_start END \
         RETURNING hits, window_start"
    )
    .bind(scope)
    .bind(bucket)
    .bind(now)
    .bind(expired_at_or_before)
    .bind(expired_at_or_before)
    .fetch_one(e)
    .await)?)
}

/// The counter `(scope, bucket)`, read inside the caller's write transaction.
pub async fn limit(
    tx: &mut WriteTx,
    scope: &str,
    bucket: &[u8],
) -> Result<Option<LimitWindow>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_as(
        "SELECT hits, window_start FROM rate_limits WHERE scope = $1 AND bucket = $2"
    )
    .bind(scope)
    .bind(bucket)
    .fetch_optional(e)
    .await)?)
}

/// Claims the interval `(scope, bucket)` at `now` unless it was last claimed after
/// `claimed_after`: `None` when claimed, else the time of the claim that still holds. One
/// conditional statement decides, so of parallel claims exactly one succeeds (on PostgreSQL
/// the others wait for its row, then find it claimed).
pub async fn claim_interval(
    tx: &mut WriteTx,
    scope: &str,
    bucket: &[u8],
    now: i64,
    claimed_after: i64,
) -> Result<Option<i64>, StoreError> {
    let claimed: Option<(i64,)> = on_tx!(tx, |e| sqlx::query_as(
        "INSERT INTO rate_limits (scope, bucket, window_start, hits) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, bucket) DO UPDATE SET window_start = excluded.window_start, \
         hits = rate_limits.hits + 1 \
         WHERE rate_limits.window_start <= $4 \
         RETURNING window_start"
    )
    .bind(scope)
    .bind(bucket)
    .bind(now)
    .bind(claimed_after)
    .fetch_optional(e)
    .await)?;
    if claimed.is_some() {
        return Ok(None);
    }
    match limit(tx, scope, bucket).await? {
        Some(held) => Ok(Some(held.window_start)),
        None => Err(StoreError::Corrupt(format!(
            "the {scope} interval was neither claimed nor held"
        ))),
    }
}

/// Starts the counter `(scope, bucket)` again from zero at `now`.
pub async fn reset_limit(
    tx: &mut WriteTx,
    scope: &str,
    bucket: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO rate_limits (scope, bucket, window_start, hits) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (scope, bucket) DO UPDATE SET window_start = excluded.window_start, hits = 0"
    )
    .bind(scope)
    .bind(bucket)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Deletes counters whose window started before `before`: they no longer limit anything.
pub async fn sweep_limits(db: &Db, before: i64) -> Result<u64, StoreError> {
    Ok(on_write!(db, |e| sqlx::query(
        "DELETE FROM rate_limits WHERE window_start < $1"
    )
    .bind(before)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?)
}
