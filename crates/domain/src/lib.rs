//! The shop's vocabulary as types that can only hold valid values.
//!
//! Everything here is pure: no I/O, no clock, no randomness. Parsers turn outside input into
//! these types once, at the edge, so the layers above never re-validate.

pub mod address;
pub mod cart;
pub mod catalog;
pub mod choice;
pub mod clock_text;
pub mod collate;
pub mod contact;
pub mod deadline;
pub mod lang;
pub mod money;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod order;
pub mod paging;
pub mod password;
pub mod search;
pub mod shop;

pub use catalog::{
    Category, CategorySlug, Localized, Product, ProductSlug, ProductSummary, Quantity, Sku,
    StockState, Variant,
};
pub use lang::Lang;
pub use money::Dong;
pub use paging::{Page, PerPage, SortOrder};
pub use search::SearchQuery;
pub use shop::ShopInfo;
