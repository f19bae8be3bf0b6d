//! The shop's use cases. Each service takes parsed domain values, applies the shop's rules and
//! calls the store; none of them knows about HTTP.

pub mod accounts;
pub mod cache;
pub mod carts;
pub mod catalog;
pub mod checkout;
pub mod clock;
pub mod consents;
pub mod demo;
pub mod emails;
pub mod erasure;
pub mod export;
pub mod mail;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod retention;
pub mod rights;
pub mod throttle;

pub use carts::{CartAccess, CartError, Carts};
pub use catalog::{Catalog, CatalogError};
pub use clock::{Clock, FakeClock, SystemClock};

use hanjinbi_domain::ShopInfo;
use hanjinbi_privacy::gate::Gate;
use hanjinbi_store::Db;
use std::sync::Arc;

/// What the services need besides the database, the clock and the gate.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub fees: checkout::ShippingFees,
    pub limits: checkout::OrderLimits,
    /// The account that receives bank transfers; without one, bank transfer is not offered.
    pub bank: Option<payments::BankTransferAccount>,
    /// Carts untouched this long are deleted by [`Services::sweep_carts`].
    pub cart_idle: std::time::Duration,
    pub mailer: mail::Mailer,
    pub shop: Arc<ShopInfo>,
    /// How long catalog reads are kept (zero: not at all).
    pub catalog_cache: std::time::Duration,
}

/// Every service of the shop, sharing one database, one clock and one privacy gate.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub gate: Gate,
    pub catalog: Catalog,
    pub carts: Carts,
    pub checkout: checkout::Checkout,
    pub orders: orders::Orders,
    pub notifier: notifications::Notifier,
    pub accounts: accounts::Accounts,
    pub consents: consents::ConsentCentre,
    pub erasures: erasure::Erasures,
    /// The buyer's access view and data export.
    pub export: export::Export,
    /// Guests' records erased once their period from the last order has ended.
    pub retention: retention::Retention,
    clock: Arc<dyn Clock>,
}

impl Services {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate, settings: ServiceSettings) -> Services {
        let catalog = Catalog::new(db.clone(), settings.catalog_cache);
        let mut notifier = notifications::Notifier::new(
            db.clone(),
            Arc::clone(&clock),
            gate.clone(),
            settings.mailer,
            settings.shop,
        );
        if let Some(bank) = &settings.bank {
            // Orders paid by transfer get the transfer to make, and its code, in their mail.
            notifier = notifier.with_payment_instructions(Arc::new(bank.clone()));
        }
        let accounts = accounts::Accounts::new(db.clone(), Arc::clone(&clock), gate.clone());
        let erasures = erasure::Erasures::new(
            db.clone(),
            Arc::clone(&clock),
            gate.clone(),
            accounts.limits().clone(),
        );
        Services {
            catalog: catalog.clone(),
            carts: Carts::new(
                db.clone(),
                Arc::clone(&clock),
                settings.limits.max_line_quantity,
                settings.cart_idle,
                gate.vault().clone(),
            ),
            checkout: checkout::Checkout::new(
                db.clone(),
                Arc::clone(&clock),
                gate.clone(),
                settings.fees,
                settings.limits,
                settings.bank.clone(),
                catalog,
            ),
            orders: orders::Orders::new(db.clone(), Arc::clone(&clock), gate.clone()),
            consents: consents::ConsentCentre::new(db.clone(), Arc::clone(&clock), gate.clone()),
            export: export::Export::new(db.clone(), Arc::clone(&clock), gate.clone()),
            retention: retention::Retention::new(db.clone(), Arc::clone(&clock), gate.clone()),
            accounts,
            erasures,
            notifier,
            gate,
            db,
            clock,
        }
    }

    /// Deletes idle carts, lookup counters whose window ended, and ended sessions and links;
    /// returns how many rows.
    pub async fn sweep(&self, now: i64) -> Result<u64, hanjinbi_store::StoreError> {
        let carts = self.carts.sweep(now).await?;
        let limits = self.orders.sweep_limits(now).await?;
        let accounts = self.accounts.sweep(now).await?;
        Ok(carts + limits + accounts)
    }

    /// Runs [`Services::sweep`] every `every`, for as long as the task lives. A failed sweep
    /// is logged and tried again next time: nothing is lost by waiting.
    pub async fn sweep_every(self, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match self.sweep(self.clock.now()).await {
                Ok(rows) => tracing::debug!(rows, "swept idle carts and lookup counters"),
                Err(error) => tracing::warn!(%error, "sweeping idle carts failed"),
            }
        }
    }
}
