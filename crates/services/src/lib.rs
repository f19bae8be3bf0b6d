//! The shop's use cases. Each service takes parsed domain values, applies the shop's rules and
//! calls the store; none of them knows about HTTP.

pub mod carts;
pub mod catalog;
pub mod checkout;
pub mod clock;
pub mod demo;
pub mod mail;

pub use carts::{CartAccess, CartError, Carts};
pub use catalog::{Catalog, CatalogError};
pub use clock::{Clock, SystemClock};

use hanjinbi_store::Db;
use std::sync::Arc;

/// Every service of the shop, sharing one database and one clock.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub catalog: Catalog,
    pub carts: Carts,
}

impl Services {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Services {
        Services {
            catalog: Catalog::new(db.clone()),
            carts: Carts::new(db.clone(), clock),
            db,
        }
    }
}
