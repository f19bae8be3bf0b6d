//! The cart as buyers see it: lines priced by the server at the current catalog price.

use crate::{Dong, Localized, ProductSlug, Sku};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartLine {
    pub sku: Sku,
    pub product: ProductSlug,
    pub name: Localized,
    pub size: String,
    pub color: Localized,
    pub color_hex: String,
    pub unit_price: Dong,
    pub quantity: i64,
    /// Units in stock now; a line above it cannot be checked out as it stands.
    pub stock: i64,
}

impl CartLine {
    /// `unit_price × quantity`. Quantities are at most [`crate::Quantity::MAX`] and prices are
    /// stored amounts, so this saturates only on corrupt data rather than wrapping.
    pub fn line_total(&self) -> Dong {
        self.unit_price
            .checked_mul(self.quantity)
            .unwrap_or(Dong(i64::MAX))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cart {
    pub id: String,
    pub lines: Vec<CartLine>,
}

impl Cart {
    pub fn subtotal(&self) -> Dong {
        self.lines
            .iter()
            .map(CartLine::line_total)
            .fold(Dong::ZERO, |sum, t| {
                sum.checked_add(t).unwrap_or(Dong(i64::MAX))
            })
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, price: i64, quantity: i64) -> CartLine {
        let text = |s: &str| Localized {
            vi: s.into(),
            en: s.into(),
        };
        CartLine {
            sku: Sku::parse(sku).unwrap(),
            product: ProductSlug::parse("ao").unwrap(),
            name: text("Áo"),
            size: "M".into(),
            color: text("Đen"),
            color_hex: "#000000".into(),
            unit_price: Dong(price),
            quantity,
            stock: 10,
        }
    }

    #[test]
    fn subtotal_sums_line_totals() {
        let cart = Cart {
            id: "c".into(),
            lines: vec![line("A", 450_000, 2), line("B", 99_000, 1)],
        };
        assert_eq!(cart.subtotal(), Dong(999_000));
        assert_eq!(cart.item_count(), 3);
    }

    #[test]
    fn totals_saturate_instead_of_wrapping() {
        let cart = Cart {
            id: "c".into(),
            lines: vec![line("A", i64::MAX, 2), line("B", 1, 1)],
        };
        assert_eq!(cart.subtotal(), Dong(i64::MAX));
    }
}
