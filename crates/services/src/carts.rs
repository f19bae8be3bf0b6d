//! Carts kept on the server, owned by whoever holds the cart's secret token.
//!
//! A cart has a public id (in URLs and API paths) and a secret token (in a cookie or header).
//! Only the token's SHA-256 is stored, so a database dump cannot be used to take over carts.
//! Prices and totals always come from the catalog at the time of reading, never from clients.

use crate::Clock;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hanjinbi_domain::cart::Cart;
use hanjinbi_domain::{Quantity, Sku};
use hanjinbi_privacy::vault::IndexKind;
use hanjinbi_privacy::Vault;
use hanjinbi_store::catalog::variant_stock;
use hanjinbi_store::{carts, orders, Db, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CartError {
    #[error("no such cart")]
    UnknownCart,
    #[error("the cart token does not match this cart")]
    WrongToken,
    #[error("no product has this SKU")]
    UnknownSku,
    #[error("this cart has no line with that SKU")]
    NotInCart,
    #[error("only {available} in stock")]
    NotEnoughStock { available: i64 },
    #[error("a cart line holds at most {max} units")]
    TooMany { max: i64 },
    #[error("too many new carts from this address; try again in {retry_after_secs} s")]
    TooManyCarts { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Proof that the caller presented the right token for a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartAccess {
    id: String,
}

impl CartAccess {
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A new cart's id and the token that opens it. The token is shown once.
#[derive(Debug, Clone)]
pub struct NewCart {
    pub access: CartAccess,
    pub token: String,
}

#[derive(Clone)]
pub struct Carts {
    db: Db,
    clock: Arc<dyn Clock>,
    /// Units of one variant a line may hold (the per-order limit).
    max_line_quantity: i64,
    /// Seconds without a change after which a cart is gone.
    idle_secs: i64,
    /// Keys the client-address buckets of the new-cart limit.
    vault: Vault,
}

/// New carts one client address may make per [`NEW_CART_WINDOW_SECS`].
pub const NEW_CARTS_PER_CLIENT: i64 = 1_000;
/// The window of the new-cart limit.
pub const NEW_CART_WINDOW_SECS: i64 = 60 * 60;

/// How long a cart lives without a change, unless configured otherwise.
pub const IDLE_CART: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 60 * 60);

/// Seconds after which a cart that never held a line is deleted: an abandoned or scripted
/// cart costs a row for an hour at most.
pub const EMPTY_CART_SECS: i64 = 60 * 60;

/// Ids are 128 random bits, tokens 256: neither can be guessed.
const ID_BYTES: usize = 16;
const TOKEN_BYTES: usize = 32;

fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `text` could be an id or token we issued (base64url of the right length), checked
/// before any query so that junk never reaches the database.
fn well_formed(text: &str, bytes: usize) -> bool {
    text.len() == (bytes * 4).div_ceil(3)
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Carts {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        max_line_quantity: i64,
        idle: std::time::Duration,
        vault: Vault,
    ) -> Carts {
        Carts {
            db,
            clock,
            vault,
            max_line_quantity: max_line_quantity.min(Quantity::MAX),
            idle_secs: i64::try_from(idle.as_secs()).unwrap_or(i64::MAX),
        }
    }

    /// Deletes carts idle for the configured time and empty carts older than
    /// [`EMPTY_CART_SECS`]; returns how many.
    pub async fn sweep(&self, now: i64) -> Result<u64, StoreError> {
        carts::sweep(
            &self.db,
            now.saturating_sub(self.idle_secs),
            now.saturating_sub(EMPTY_CART_SECS),
        )
        .await
    }

    /// A new cart for `client`. One address makes at most [`NEW_CARTS_PER_CLIENT`] carts a
    /// window, so a script cannot fill the database with them (the storefront makes one
    /// only when the first item is added; empty carts are swept after an hour).
    pub async fn create(&self, client: IpAddr) -> Result<NewCart, CartError> {
        let id = random_text(ID_BYTES);
        let token = random_text(TOKEN_BYTES);
        let now = self.clock.now();
        let bucket = self
            .vault
            .blind_index(IndexKind::Lookup, &format!("new-cart\0{client}"));
        let mut tx = self.db.begin_write().await?;
        let window = orders::hit_limit(
            &mut tx,
            "new_cart",
            &bucket,
            now,
            now - NEW_CART_WINDOW_SECS,
        )
        .await?;
        if window.hits > NEW_CARTS_PER_CLIENT {
            tx.commit().await?;
            return Err(CartError::TooManyCarts {
                retry_after_secs: (window.window_start + NEW_CART_WINDOW_SECS - now).max(1),
            });
        }
        carts::create(&mut tx, &id, &token_hash(&token), now).await?;
        tx.commit().await?;
        Ok(NewCart {
            access: CartAccess { id },
            token,
        })
    }

    /// Checks `token` against cart `id`.
    pub async fn open(&self, id: &str, token: &str) -> Result<CartAccess, CartError> {
        if !well_formed(id, ID_BYTES) {
            return Err(CartError::UnknownCart);
        }
        let active_since = self.clock.now().saturating_sub(self.idle_secs);
        let stored = carts::token_hash(&self.db, id, active_since)
            .await?
            .ok_or(CartError::UnknownCart)?;
        let presented = token_hash(token);
        if well_formed(token, TOKEN_BYTES) && bool::from(stored.ct_eq(&presented)) {
            Ok(CartAccess { id: id.to_owned() })
        } else {
            Err(CartError::WrongToken)
        }
    }

    pub async fn view(&self, access: &CartAccess) -> Result<Cart, CartError> {
        Ok(Cart {
            id: access.id.clone(),
            lines: carts::lines(&self.db, &access.id).await?,
        })
    }

    /// Adds `quantity` units of `sku`, on top of what the cart already holds.
    pub async fn add(
        &self,
        access: &CartAccess,
        sku: &Sku,
        quantity: Quantity,
    ) -> Result<Cart, CartError> {
        self.change(access, sku, |held| held.unwrap_or(0) + quantity.get())
            .await
    }

    /// Sets the line of `sku` to exactly `quantity` units, adding it if needed.
    pub async fn set(
        &self,
        access: &CartAccess,
        sku: &Sku,
        quantity: Quantity,
    ) -> Result<Cart, CartError> {
        self.change(access, sku, |_| quantity.get()).await
    }

    async fn change(
        &self,
        access: &CartAccess,
        sku: &Sku,
        new_quantity: impl FnOnce(Option<i64>) -> i64,
    ) -> Result<Cart, CartError> {
        let variant = variant_stock(&self.db, sku)
            .await?
            .ok_or(CartError::UnknownSku)?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        // The cart's row first, as checkout does: a change waits for a checkout in progress
        // and then sees what it left, so no unit added is lost.
        if !carts::lock(&mut tx, &access.id, now).await? {
            return Err(CartError::UnknownCart);
        }
        let held = carts::quantity(&mut tx, &access.id, variant.id).await?;
        let wanted = new_quantity(held);
        if wanted > variant.stock {
            return Err(CartError::NotEnoughStock {
                available: variant.stock,
            });
        }
        if wanted > self.max_line_quantity {
            return Err(CartError::TooMany {
                max: self.max_line_quantity,
            });
        }
        carts::set_quantity(&mut tx, &access.id, variant.id, wanted, now).await?;
        tx.commit().await?;
        self.view(access).await
    }

    pub async fn remove(&self, access: &CartAccess, sku: &Sku) -> Result<Cart, CartError> {
        let variant = variant_stock(&self.db, sku)
            .await?
            .ok_or(CartError::UnknownSku)?;
        let mut tx = self.db.begin_write().await?;
        if !carts::lock(&mut tx, &access.id, self.clock.now()).await? {
            return Err(CartError::UnknownCart);
        }
        if !carts::remove(&mut tx, &access.id, variant.id).await? {
            return Err(CartError::NotInCart);
        }
        tx.commit().await?;
        self.view(access).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_ids_and_tokens_are_well_formed() {
        assert!(well_formed(&random_text(ID_BYTES), ID_BYTES));
        assert!(well_formed(&random_text(TOKEN_BYTES), TOKEN_BYTES));
        assert!(!well_formed("short", ID_BYTES));
        assert!(!well_formed(&"é".repeat(11), ID_BYTES));
        assert!(!well_formed(&"a".repeat(10_000), TOKEN_BYTES));
    }
}
