//! Identifiers of the catalog and the cart: slugs, SKUs, quantities.

use serde::Serialize;
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentifierError {
    #[error("a slug is 1–{max} lowercase letters, digits and single hyphens", max = SLUG_MAX)]
    Slug,
    #[error("a SKU is 1–{max} uppercase letters, digits and single hyphens", max = SKU_MAX)]
    Sku,
    #[error("a quantity is a whole number from {min} to {max}", min = Quantity::MIN, max = Quantity::MAX)]
    Quantity,
}

/// The longest slug, in bytes.
pub const SLUG_MAX: usize = 100;
/// The longest SKU, in bytes.
pub const SKU_MAX: usize = 32;
/// What [`ProductSlug::parse`] and [`CategorySlug::parse`] accept, as a regular expression.
pub const SLUG_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";
/// What [`Sku::parse`] accepts, as a regular expression.
pub const SKU_PATTERN: &str = "^[A-Z0-9]+(-[A-Z0-9]+)*$";

/// `[a-z0-9]+(-[a-z0-9]+)*` within `max` bytes, or `upper` for the uppercase form.
fn is_hyphenated_word(text: &str, max: usize, upper: bool) -> bool {
    let allowed = |c: char| {
        c.is_ascii_digit()
            || if upper {
                c.is_ascii_uppercase()
            } else {
                c.is_ascii_lowercase()
            }
    };
    !text.is_empty()
        && text.len() <= max
        && text
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(allowed))
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, IdentifierError> {
                if is_hyphenated_word(text, SLUG_MAX, false) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(IdentifierError::Slug)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(
    /// The address part of a product page: `ao-khoac-gio-nam`.
    ProductSlug
);
slug_type!(
    /// The address part of a category page: `dam-vay`.
    CategorySlug
);

/// A stock-keeping unit: one variant (size, colour) of a product.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sku(String);

impl Sku {
    pub fn parse(text: &str) -> Result<Sku, IdentifierError> {
        if is_hyphenated_word(text, SKU_MAX, true) {
            Ok(Sku(text.to_owned()))
        } else {
            Err(IdentifierError::Sku)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many of one SKU a cart line holds. Bounded so that no line total can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Quantity(u16);

impl Quantity {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 999;

    pub fn new(n: i64) -> Result<Quantity, IdentifierError> {
        if (Self::MIN..=Self::MAX).contains(&n) {
            // The range check above keeps `n` within u16.
            Ok(Quantity(n as u16))
        } else {
            Err(IdentifierError::Quantity)
        }
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_hyphenated_words() {
        assert!(ProductSlug::parse("ao-khoac-gio-nam").is_ok());
        assert!(ProductSlug::parse("giay-36").is_ok());
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Ao",
            "áo",
            "a b",
            "a/b",
            "../etc",
            &"a".repeat(101),
        ] {
            assert_eq!(
                ProductSlug::parse(bad),
                Err(IdentifierError::Slug),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn skus_are_uppercase_hyphenated_words() {
        assert!(Sku::parse("AKG2L-DEN-M").is_ok());
        for bad in ["", "akg", "A_B", "A--B", &"A".repeat(33)] {
            assert_eq!(Sku::parse(bad), Err(IdentifierError::Sku), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_documented_patterns_accept_exactly_what_the_parsers_accept(
            text in "[a-zA-Z0-9_ -]{0,40}|[a-z0-9-]{95,105}|[A-Z0-9-]{28,36}",
        ) {
            let slug = regex::Regex::new(SLUG_PATTERN).unwrap();
            let sku = regex::Regex::new(SKU_PATTERN).unwrap();
            proptest::prop_assert_eq!(
                ProductSlug::parse(&text).is_ok(),
                slug.is_match(&text) && text.len() <= SLUG_MAX
            );
            proptest::prop_assert_eq!(
                Sku::parse(&text).is_ok(),
                sku.is_match(&text) && text.len() <= SKU_MAX
            );
        }
    }

    #[test]
    fn quantities_are_bounded() {
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
        assert_eq!(Quantity::new(999).map(Quantity::get), Ok(999));
        for bad in [0, -1, 1000, 1_000_000_000_000, i64::MIN] {
            assert_eq!(Quantity::new(bad), Err(IdentifierError::Quantity));
        }
    }
}

/// Text the shop shows in both of its languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Localized {
    pub vi: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::Vi => &self.vi,
            crate::Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub slug: CategorySlug,
    pub name: Localized,
    pub description: Localized,
}

/// A product as a list shows it: the price range over its variants and their stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSummary {
    pub slug: ProductSlug,
    pub category: CategorySlug,
    pub name: Localized,
    pub color_hex: String,
    pub featured: bool,
    pub price_from: crate::Dong,
    pub price_to: crate::Dong,
    pub stock: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// One orderable form of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub sku: Sku,
    pub size: String,
    pub color: Localized,
    pub price: crate::Dong,
    pub stock: i64,
}

/// A product with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub summary: ProductSummary,
    pub category: Category,
    pub description: Localized,
    pub variants: Vec<Variant>,
}

/// Whether a product or variant can be bought, and how urgently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StockState {
    InStock,
    LowStock,
    OutOfStock,
}

impl StockState {
    /// At or below this many units a product is shown as running low.
    pub const LOW: i64 = 5;

    pub fn of(units: i64) -> StockState {
        match units {
            i64::MIN..=0 => StockState::OutOfStock,
            n if n <= Self::LOW => StockState::LowStock,
            _ => StockState::InStock,
        }
    }
}
