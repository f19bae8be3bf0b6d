//! Server-side carts. A cart is found by its public id; the secret token that proves
//! ownership is kept only as a hash.

use crate::{catalog::sku, Db, StoreError, WriteTx};
use hanjinbi_domain::cart::CartLine;
use hanjinbi_domain::{Dong, Localized, ProductSlug};
use sqlx::Row;

pub async fn create(db: &Db, id: &str, token_hash: &[u8], now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO carts (id, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(now)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The stored token hash of cart `id`, if the cart exists.
pub async fn token_hash(db: &Db, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let row = sqlx::query("SELECT token_hash FROM carts WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("token_hash")).transpose()?)
}

/// The cart's lines at today's prices and stock, oldest first.
pub async fn lines(db: &Db, cart_id: &str) -> Result<Vec<CartLine>, StoreError> {
    lines_with(db.pool(), cart_id).await
}

/// [`lines`] inside a write transaction, so that what is ordered is what was read.
pub async fn lines_in(tx: &mut WriteTx, cart_id: &str) -> Result<Vec<CartLine>, StoreError> {
    lines_with(&mut **tx, cart_id).await
}

async fn lines_with<'c, E>(executor: E, cart_id: &str) -> Result<Vec<CartLine>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT v.sku, p.slug, p.name_vi, p.name_en, p.color_hex, v.size_label, v.color_vi, \
         v.color_en, v.price, v.stock, i.quantity \
         FROM cart_items i JOIN variants v ON v.id = i.variant_id \
         JOIN products p ON p.id = v.product_id \
         WHERE i.cart_id = $1 ORDER BY i.added_at, v.sku",
    )
    .bind(cart_id)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|r| {
            let slug: String = r.try_get("slug")?;
            Ok(CartLine {
                sku: sku(r.try_get("sku")?)?,
                product: ProductSlug::parse(&slug)
                    .map_err(|_| StoreError::Corrupt(format!("product slug {slug:?}")))?,
                name: Localized {
                    vi: r.try_get("name_vi")?,
                    en: r.try_get("name_en")?,
                },
                size: r.try_get("size_label")?,
                color: Localized {
                    vi: r.try_get("color_vi")?,
                    en: r.try_get("color_en")?,
                },
                color_hex: r.try_get("color_hex")?,
                unit_price: Dong(r.try_get("price")?),
                quantity: r.try_get("quantity")?,
                stock: r.try_get("stock")?,
            })
        })
        .collect()
}

/// The quantity of a variant in a cart, inside a write transaction.
pub async fn quantity(
    tx: &mut WriteTx,
    cart_id: &str,
    variant_id: i64,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT quantity FROM cart_items WHERE cart_id = $1 AND variant_id = $2")
        .bind(cart_id)
        .bind(variant_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| r.try_get("quantity")).transpose()?)
}

/// Sets a line's quantity, adding the line when the cart does not have it.
pub async fn set_quantity(
    tx: &mut WriteTx,
    cart_id: &str,
    variant_id: i64,
    quantity: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cart_items (cart_id, variant_id, quantity, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity",
    )
    .bind(cart_id)
    .bind(variant_id)
    .bind(quantity)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    touch(tx, cart_id, now).await
}

/// Removes a line; `false` when the cart had no such line.
pub async fn remove(
    tx: &mut WriteTx,
    cart_id: &str,
    variant_id: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2")
        .bind(cart_id)
        .bind(variant_id)
        .execute(&mut **tx)
        .await?;
    touch(tx, cart_id, now).await?;
    Ok(done.rows_affected() > 0)
}

async fn touch(tx: &mut WriteTx, cart_id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE carts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(cart_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
