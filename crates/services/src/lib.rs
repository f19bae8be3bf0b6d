//! The shop's use cases. Each service takes parsed domain values, applies the shop's rules and
//! calls the store; none of them knows about HTTP.

pub mod cache;
pub mod carts;
pub mod catalog;
pub mod checkout;
pub mod clock;
pub mod demo;
pub mod mail;
pub mod notifications;
pub mod orders;

pub use carts::{CartAccess, CartError, Carts};
pub use catalog::{Catalog, CatalogError};
pub use clock::{Clock, SystemClock};

use hanjinbi_domain::ShopInfo;
use hanjinbi_privacy::gate::Gate;
use hanjinbi_store::Db;
use std::sync::Arc;

/// What the services need besides the database, the clock and the gate.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub fees: checkout::ShippingFees,
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
}

impl Services {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate, settings: ServiceSettings) -> Services {
        let catalog = Catalog::new(db.clone(), settings.catalog_cache);
        Services {
            catalog: catalog.clone(),
            carts: Carts::new(db.clone(), Arc::clone(&clock)),
            checkout: checkout::Checkout::new(
                db.clone(),
                Arc::clone(&clock),
                gate.clone(),
                settings.fees,
                catalog,
            ),
            orders: orders::Orders::new(db.clone(), Arc::clone(&clock), gate.clone()),
            notifier: notifications::Notifier::new(
                db.clone(),
                clock,
                gate.clone(),
                settings.mailer,
                settings.shop,
            ),
            gate,
            db,
        }
    }
}
