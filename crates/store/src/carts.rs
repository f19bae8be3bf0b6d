//! Server-side carts. A cart is found by its public id; the secret token that proves
//! ownership is kept only as a hash.

use crate::db::{on_read, on_tx, on_write};
use crate::{catalog::sku, Db, StoreError, WriteTx};
use hanjinbi_domain::cart::CartLine;
use hanjinbi_domain::{Dong, Localized, ProductSlug};

pub async fn create(
    tx: &mut WriteTx,
    id: &str,
    token_hash: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO carts (id, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(token_hash)
    .bind(now)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The stored token hash of cart `id`, if the cart exists and was changed at or after
/// `active_since` (an idle cart is as good as gone, even before the sweep deletes it).
pub async fn token_hash(
    db: &Db,
    id: &str,
    active_since: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT token_hash FROM carts WHERE id = $1 AND updated_at >= $2"
    )
    .bind(id)
    .bind(active_since)
    .fetch_optional(e)
    .await)?)
}

/// Locks cart `id` for the rest of the write transaction (and marks it used now); `false`
/// when there is no such cart. Every change to a cart's lines and every checkout starts
/// here, so on PostgreSQL they take turns on this row and each reads the lines the one
/// before left: a cart is checked out once, and units added during a checkout are either
/// in the order or still in the cart.
pub async fn lock(tx: &mut WriteTx, id: &str, now: i64) -> Result<bool, StoreError> {
    let affected = on_tx!(tx, |e| sqlx::query(
        "UPDATE carts SET updated_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(affected == 1)
}

/// Deletes carts last changed before `idle_before`, and carts that never held a line last
/// changed before `empty_before`, with their lines. Returns how many carts went.
pub async fn sweep(db: &Db, idle_before: i64, empty_before: i64) -> Result<u64, StoreError> {
    // Lines go with their cart (ON DELETE CASCADE).
    Ok(on_write!(db, |e| sqlx::query(
        "DELETE FROM carts WHERE updated_at < $1 OR (updated_at < $2 AND NOT EXISTS \
         (SELECT 1 FROM cart_items i WHERE i.cart_id = carts.id))"
    )
    .bind(idle_before)
    .bind(empty_before)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?)
}

const LINES: &str = "SELECT v.sku, p.slug, p.name_vi, p.name_en, p.color_hex, v.size_label, \
     v.color_vi, v.color_en, v.price, v.stock, i.quantity \
     FROM cart_items i JOIN variants v ON v.id = i.variant_id \
     JOIN products p ON p.id = v.product_id \
     WHERE i.cart_id = $1 ORDER BY i.added_at, v.sku";

/// A row of [`LINES`].
#[derive(sqlx::FromRow)]
struct LineRow {
    sku: String,
    slug: String,
    name_vi: String,
    name_en: String,
    color_hex: String,
    size_label: String,
    color_vi: String,
    color_en: String,
    price: i64,
    stock: i64,
    quantity: i64,
}

impl TryFrom<LineRow> for CartLine {
    type Error = StoreError;

    fn try_from(r: LineRow) -> Result<CartLine, StoreError> {
        Ok(CartLine {
            sku: sku(r.sku)?,
            product: ProductSlug::parse(&r.slug)
                .map_err(|_| StoreError::Corrupt(format!("product slug {:?}", r.slug)))?,
            name: Localized {
                vi: r.name_vi,
                en: r.name_en,
            },
            size: r.size_label,
            color: Localized {
                vi: r.color_vi,
                en: r.color_en,
            },
            color_hex: r.color_hex,
            unit_price: Dong(r.price),
            quantity: r.quantity,
            stock: r.stock,
        })
    }
}

/// The cart's lines at today's prices and stock, oldest first.
pub async fn lines(db: &Db, cart_id: &str) -> Result<Vec<CartLine>, StoreError> {
    let rows: Vec<LineRow> = on_read!(db, |e| sqlx::query_as(LINES)
        .bind(cart_id)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(CartLine::try_from).collect()
}

/// [`lines`] inside a write transaction, so that what is ordered is what was read.
pub async fn lines_in(tx: &mut WriteTx, cart_id: &str) -> Result<Vec<CartLine>, StoreError> {
    let rows: Vec<LineRow> = on_tx!(tx, |e| sqlx::query_as(LINES)
        .bind(cart_id)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(CartLine::try_from).collect()
}

/// The quantity of a variant in a cart, inside a write transaction.
pub async fn quantity(
    tx: &mut WriteTx,
    cart_id: &str,
    variant_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_scalar(
        "SELECT quantity FROM cart_items WHERE cart_id = $1 AND variant_id = $2"
    )
    .bind(cart_id)
    .bind(variant_id)
    .fetch_optional(e)
    .await)?)
}

/// Sets a line's quantity, adding the line when the cart does not have it. The caller has
/// [`lock`]ed the cart.
pub async fn set_quantity(
    tx: &mut WriteTx,
    cart_id: &str,
    variant_id: i64,
    quantity: i64,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO cart_items (cart_id, variant_id, quantity, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity"
    )
    .bind(cart_id)
    .bind(variant_id)
    .bind(quantity)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Removes a line; `false` when the cart had no such line.
pub async fn remove(tx: &mut WriteTx, cart_id: &str, variant_id: i64) -> Result<bool, StoreError> {
    let affected = on_tx!(tx, |e| sqlx::query(
        "DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2"
    )
    .bind(cart_id)
    .bind(variant_id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(affected > 0)
}
