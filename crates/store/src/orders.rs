//! Orders, their lines and status history, idempotency keys, stock decrements and lookup
//! codes.

use crate::{Db, StoreError, WriteTx};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineRow {
    pub sku: String,
    pub product_slug: String,
    pub product_name: String,
    pub variant_label: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub status: String,
    pub actor: String,
    pub at: i64,
}

/// Takes `quantity` units of a variant if that many are in stock; `false` when not.
/// The check and the decrement are one statement, so concurrent checkouts never oversell.
pub async fn take_stock(tx: &mut WriteTx, sku: &str, quantity: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE variants SET stock = stock - $1 WHERE sku = $2 AND stock >= $3")
        .bind(quantity)
        .bind(sku)
        .bind(quantity)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert(
    tx: &mut WriteTx,
    order: &OrderRow,
    lines: &[OrderLineRow],
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO orders (id, number, buyer_id, status, subtotal, shipping_fee, total, \
         shipping_method, payment_method, ship_to_sealed, note_sealed, policy_version, placed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
    .execute(&mut **tx)
    .await?;
    for (position, line) in (0i64..).zip(lines) {
        sqlx::query(
            "INSERT INTO order_lines (order_id, position, sku, product_slug, product_name, \
             variant_label, unit_price, quantity, line_total) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO order_status_history (order_id, seq, status, actor, at) \
         VALUES ($1, 1, $2, $3, $4)",
    )
    .bind(order.id.as_str())
    .bind(order.status.as_str())
    .bind(actor)
    .bind(order.placed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const ORDER_COLUMNS: &str = "SELECT id, number, buyer_id, status, subtotal, shipping_fee, total, \
     shipping_method, payment_method, ship_to_sealed, note_sealed, policy_version, placed_at \
     FROM orders";

fn order_from(r: &sqlx::any::AnyRow) -> Result<OrderRow, StoreError> {
    Ok(OrderRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        buyer_id: r.try_get("buyer_id")?,
        status: r.try_get("status")?,
        subtotal: r.try_get("subtotal")?,
        shipping_fee: r.try_get("shipping_fee")?,
        total: r.try_get("total")?,
        shipping_method: r.try_get("shipping_method")?,
        payment_method: r.try_get("payment_method")?,
        ship_to_sealed: r.try_get("ship_to_sealed")?,
        note_sealed: r.try_get("note_sealed")?,
        policy_version: r.try_get("policy_version")?,
        placed_at: r.try_get("placed_at")?,
    })
}

pub async fn by_number(db: &Db, number: &str) -> Result<Option<OrderRow>, StoreError> {
    let row = sqlx::query(&format!("{ORDER_COLUMNS} WHERE number = $1"))
        .bind(number)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(order_from).transpose()
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<OrderRow>, StoreError> {
    let row = sqlx::query(&format!("{ORDER_COLUMNS} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(order_from).transpose()
}

pub async fn lines(db: &Db, order_id: &str) -> Result<Vec<OrderLineRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT sku, product_slug, product_name, variant_label, unit_price, quantity, line_total \
         FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(order_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OrderLineRow {
                sku: r.try_get("sku")?,
                product_slug: r.try_get("product_slug")?,
                product_name: r.try_get("product_name")?,
                variant_label: r.try_get("variant_label")?,
                unit_price: r.try_get("unit_price")?,
                quantity: r.try_get("quantity")?,
                line_total: r.try_get("line_total")?,
            })
        })
        .collect()
}

pub async fn history(db: &Db, order_id: &str) -> Result<Vec<StatusRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT status, actor, at FROM order_status_history WHERE order_id = $1 ORDER BY seq",
    )
    .bind(order_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StatusRow {
                status: r.try_get("status")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// The order an idempotency key already produced, with the hash of the request it came with
/// (`None` for keys stored before requests were hashed).
pub async fn by_idempotency_key(
    tx: &mut WriteTx,
    key_hash: &[u8],
) -> Result<Option<(String, Option<Vec<u8>>)>, StoreError> {
    let row =
        sqlx::query("SELECT order_id, request_hash FROM idempotency_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|r| Ok((r.try_get("order_id")?, r.try_get("request_hash")?)))
        .transpose()
}

pub async fn insert_idempotency_key(
    tx: &mut WriteTx,
    key_hash: &[u8],
    request_hash: &[u8],
    order_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (key_hash, request_hash, order_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(key_hash)
    .bind(request_hash)
    .bind(order_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Empties a cart after its order is placed.
pub async fn clear_cart(tx: &mut WriteTx, cart_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM cart_items WHERE cart_id = $1")
        .bind(cart_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores a new one-time code for the order unless one was issued after `issued_after`
/// (`false` then). One statement decides, so parallel requests cannot send two codes.
pub async fn issue_lookup_code(
    tx: &mut WriteTx,
    order_id: &str,
    code_hash: &[u8],
    expires_at: i64,
    now: i64,
    issued_after: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "INSERT INTO lookup_codes (order_id, code_hash, expires_at, attempts, issued_at) \
         VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (order_id) DO UPDATE SET code_hash = excluded.code_hash, \
         expires_at = excluded.expires_at, attempts = 0, issued_at = excluded.issued_at \
         WHERE lookup_codes.issued_at <= $5 \
         RETURNING order_id",
    )
    .bind(order_id)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
    .bind(issued_after)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Counts an attempt at the code and returns the stored hash, expiry and attempts so far.
pub async fn attempt_lookup_code(
    tx: &mut WriteTx,
    order_id: &str,
) -> Result<Option<(Vec<u8>, i64, i64)>, StoreError> {
    let row = sqlx::query(
        "UPDATE lookup_codes SET attempts = attempts + 1 WHERE order_id = $1 \
         RETURNING code_hash, expires_at, attempts",
    )
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("code_hash")?,
            r.try_get("expires_at")?,
            r.try_get("attempts")?,
        ))
    })
    .transpose()
}

/// Removes a code that was used. The row of a code that was guessed at too often or ran out
/// is kept: its issue time still spaces out the next code.
pub async fn delete_lookup_code(tx: &mut WriteTx, order_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM lookup_codes WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A fixed-window counter as it stands: hits in the window that started at `window_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let row = sqlx::query(
        "INSERT INTO rate_limits (scope, bucket, window_start, hits) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, bucket) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start <= $4 THEN 1 \
                ELSE rate_limits.hits + 1 END, \
         window_start = CASE WHEN rate_limits.window_start <= $5 \
                THEN excluded.window_start ELSE rate_limits.window_start END \
         RETURNING hits, window_start",
    )
    .bind(scope)
    .bind(bucket)
    .bind(now)
    .bind(expired_at_or_before)
    .bind(expired_at_or_before)
    .fetch_one(&mut **tx)
    .await?;
    Ok(LimitWindow {
        hits: row.try_get("hits")?,
        window_start: row.try_get("window_start")?,
    })
}

/// The counter `(scope, bucket)`, read inside the caller's write transaction.
pub async fn limit(
    tx: &mut WriteTx,
    scope: &str,
    bucket: &[u8],
) -> Result<Option<LimitWindow>, StoreError> {
    let row =
        sqlx::query("SELECT hits, window_start FROM rate_limits WHERE scope = $1 AND bucket = $2")
            .bind(scope)
            .bind(bucket)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|r| {
        Ok(LimitWindow {
            hits: r.try_get("hits")?,
            window_start: r.try_get("window_start")?,
        })
    })
    .transpose()
}

/// Deletes counters whose window started before `before`: they no longer limit anything.
pub async fn sweep_limits(db: &Db, before: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
