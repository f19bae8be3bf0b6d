//! A product's variants as two separate choices, colour and size, and the rule that turns a
//! shopper's choice back into one variant.
//!
//! Shoppers choose a colour and a size; they never see or send a SKU. A form names the colour
//! by its key (the folded Vietnamese name, `xanh-navy`, the same key picture addresses use)
//! and the size by its label (`M`, `105 cm`). A dimension with a single value is not a
//! choice: it is filled in when the form leaves it out.

use crate::catalog::{Localized, Product, Variant};
use crate::search::fold;
use std::fmt;
use thiserror::Error;

/// The longest colour key, in bytes: colour names are a few words.
pub const COLOUR_KEY_MAX: usize = 60;

/// A colour's address form: its Vietnamese name folded to lowercase ASCII words joined by
/// hyphens (`Đỏ rượu vang` → `do-ruou-vang`), unique within its product.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColourKey(String);

impl ColourKey {
    /// The key of a colour name, or `None` for a name with no letter or digit.
    pub fn of_name(name_vi: &str) -> Option<ColourKey> {
        let folded = fold(name_vi);
        let key: String = folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let key = truncate_at_word(&key, COLOUR_KEY_MAX);
        (!key.is_empty()).then(|| ColourKey(key.to_owned()))
    }

    /// Parses a key sent by a form or found in an address: lowercase ASCII words joined by
    /// single hyphens, at most [`COLOUR_KEY_MAX`] bytes.
    pub fn parse(text: &str) -> Option<ColourKey> {
        let well_formed = !text.is_empty()
            && text.len() <= COLOUR_KEY_MAX
            && text.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        well_formed.then(|| ColourKey(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ColourKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` cut to at most `max` bytes at a hyphen, so a long key still ends with a whole word.
fn truncate_at_word(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    // `text` is ASCII here, so every byte index is a character boundary.
    match text[..=max].rfind('-') {
        Some(cut) if cut > 0 => &text[..cut],
        _ => &text[..max],
    }
}

/// One colour a product comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColourOption {
    pub key: ColourKey,
    pub name: Localized,
    /// Units in stock over every size of this colour.
    pub stock: i64,
}

/// One size a product comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeOption {
    pub label: String,
    /// Units in stock over every colour of this size.
    pub stock: i64,
}

/// A product's variants as a colour × size grid, each in the order of the variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub colours: Vec<ColourOption>,
    pub sizes: Vec<SizeOption>,
    /// For each variant of the product, in its order: its colour and size index.
    cells: Vec<(usize, usize)>,
}

/// Why a choice does not name a variant that can be bought.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChoiceError {
    #[error("choose a colour and a size")]
    MissingColourAndSize,
    #[error("choose a colour")]
    MissingColour,
    #[error("choose a size")]
    MissingSize,
    #[error("this product does not come in that colour")]
    UnknownColour,
    #[error("this product does not come in that size")]
    UnknownSize,
    #[error("this colour does not come in this size")]
    NoSuchCombination,
    #[error("this colour and size are sold out")]
    SoldOut,
}

impl Options {
    /// The colours and sizes of `product`'s variants. Two colour names that fold to the same
    /// key (`Hồng` and `Hông`) get keys `hong` and `hong-2`, so every colour stays choosable.
    pub fn of(product: &Product) -> Options {
        let mut colours: Vec<ColourOption> = Vec::new();
        let mut sizes: Vec<SizeOption> = Vec::new();
        let mut cells = Vec::with_capacity(product.variants.len());
        for variant in &product.variants {
            let colour = match colours.iter().position(|c| c.name == variant.color) {
                Some(i) => i,
                None => {
                    let key = unique_key(&colours, &variant.color.vi);
                    colours.push(ColourOption {
                        key,
                        name: variant.color.clone(),
                        stock: 0,
                    });
                    colours.len() - 1
                }
            };
            let size = match sizes.iter().position(|s| s.label == variant.size) {
                Some(i) => i,
                None => {
                    sizes.push(SizeOption {
                        label: variant.size.clone(),
                        stock: 0,
                    });
                    sizes.len() - 1
                }
            };
            let units = variant.stock.max(0);
            colours[colour].stock = colours[colour].stock.saturating_add(units);
            sizes[size].stock = sizes[size].stock.saturating_add(units);
            cells.push((colour, size));
        }
        Options {
            colours,
            sizes,
            cells,
        }
    }

    /// The variant at colour `colour` and size `size`, if the product has it.
    pub fn cell<'p>(
        &self,
        product: &'p Product,
        colour: usize,
        size: usize,
    ) -> Option<&'p Variant> {
        self.cells
            .iter()
            .position(|&cell| cell == (colour, size))
            .and_then(|i| product.variants.get(i))
    }

    /// The colour and size index of `variant`, found by SKU.
    pub fn position_of(&self, product: &Product, variant: &Variant) -> Option<(usize, usize)> {
        product
            .variants
            .iter()
            .position(|v| v.sku == variant.sku)
            .and_then(|i| self.cells.get(i).copied())
    }

    /// The colour whose key is `key`.
    pub fn colour_index(&self, key: &str) -> Option<usize> {
        self.colours.iter().position(|c| c.key.as_str() == key)
    }

    /// The size whose label is `label`.
    pub fn size_index(&self, label: &str) -> Option<usize> {
        self.sizes.iter().position(|s| s.label == label)
    }

    /// The variant a shopper chose to buy: [`Options::find`], and in stock.
    pub fn resolve<'p>(
        &self,
        product: &'p Product,
        colour: Option<&str>,
        size: Option<&str>,
    ) -> Result<&'p Variant, ChoiceError> {
        let variant = self.find(product, colour, size)?;
        if variant.stock <= 0 {
            return Err(ChoiceError::SoldOut);
        }
        Ok(variant)
    }

    /// The variant named by a colour key and a size label, as the product page's and the
    /// cart's forms send them, whatever its stock (a cart line of a sold-out variant can still
    /// be lowered or removed). Blank or absent means not chosen, which is fine only for a
    /// dimension with a single value.
    pub fn find<'p>(
        &self,
        product: &'p Product,
        colour: Option<&str>,
        size: Option<&str>,
    ) -> Result<&'p Variant, ChoiceError> {
        let colour = chosen(colour, self.colours.len());
        let size = chosen(size, self.sizes.len());
        let (colour, size) = match (colour, size) {
            (Chosen::Missing, Chosen::Missing) => return Err(ChoiceError::MissingColourAndSize),
            (Chosen::Missing, _) => return Err(ChoiceError::MissingColour),
            (_, Chosen::Missing) => return Err(ChoiceError::MissingSize),
            (colour, size) => (colour, size),
        };
        let colour = match colour {
            Chosen::Given(key) => self.colour_index(key).ok_or(ChoiceError::UnknownColour)?,
            _ => 0,
        };
        let size = match size {
            Chosen::Given(label) => self.size_index(label).ok_or(ChoiceError::UnknownSize)?,
            _ => 0,
        };
        self.cell(product, colour, size)
            .ok_or(ChoiceError::NoSuchCombination)
    }
}

enum Chosen<'a> {
    Given(&'a str),
    /// Not given, and the dimension has only one value: that one.
    Only,
    Missing,
}

fn chosen(value: Option<&str>, count: usize) -> Chosen<'_> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Chosen::Given(v),
        None if count == 1 => Chosen::Only,
        None => Chosen::Missing,
    }
}

/// The key of `name_vi`, made unique among `taken` with a numeric suffix.
fn unique_key(taken: &[ColourOption], name_vi: &str) -> ColourKey {
    let base = ColourKey::of_name(name_vi).map_or_else(|| "mau".to_owned(), |k| k.0);
    let free = |candidate: &str| taken.iter().all(|c| c.key.as_str() != candidate);
    if free(&base) {
        return ColourKey(base);
    }
    let mut n = 2usize;
    loop {
        let suffix = format!("-{n}");
        let stem = truncate_at_word(&base, COLOUR_KEY_MAX - suffix.len());
        let candidate = format!("{stem}{suffix}");
        if free(&candidate) {
            return ColourKey(candidate);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Category, CategorySlug, ProductSlug, ProductSummary, Sku};
    use crate::Dong;

    fn text(vi: &str) -> Localized {
        Localized {
            vi: vi.to_owned(),
            en: format!("{vi} (en)"),
        }
    }

    fn product(variants: &[(&str, &str, &str, i64)]) -> Product {
        let category = Category {
            slug: CategorySlug::parse("ao").unwrap(),
            name: text("Áo"),
            description: text("Áo"),
        };
        Product {
            summary: ProductSummary {
                slug: ProductSlug::parse("ao-thun").unwrap(),
                category: category.slug.clone(),
                name: text("Áo thun"),
                color_hex: "#000000".into(),
                featured: false,
                price_from: Dong(1),
                price_to: Dong(1),
                stock: 0,
                created_at: 0,
            },
            category,
            description: text("Áo"),
            variants: variants
                .iter()
                .map(|(sku, colour, size, stock)| Variant {
                    sku: Sku::parse(sku).unwrap(),
                    size: (*size).to_owned(),
                    color: text(colour),
                    price: Dong(100_000),
                    stock: *stock,
                })
                .collect(),
        }
    }

    fn jacket() -> Product {
        product(&[
            ("AK-DEN-M", "Đen", "M", 3),
            ("AK-DEN-L", "Đen", "L", 0),
            ("AK-NAVY-M", "Xanh navy", "M", 5),
            ("AK-NAVY-L", "Xanh navy", "L", 2),
            ("AK-NAVY-XL", "Xanh navy", "XL", 1),
        ])
    }

    #[test]
    fn colour_keys_are_folded_names() {
        let key = |n: &str| ColourKey::of_name(n).map(|k| k.0);
        assert_eq!(key("Đỏ rượu vang").as_deref(), Some("do-ruou-vang"));
        assert_eq!(key("Xanh navy").as_deref(), Some("xanh-navy"));
        assert_eq!(key("  Nhiều   màu ").as_deref(), Some("nhieu-mau"));
        assert_eq!(key("Bạc mạ vàng").as_deref(), Some("bac-ma-vang"));
        assert_eq!(key("—"), None);
        let long = ColourKey::of_name(&"xanh ".repeat(40)).unwrap();
        assert!(long.as_str().len() <= COLOUR_KEY_MAX);
        assert!(!long.as_str().ends_with('-'));
    }

    #[test]
    fn options_list_colours_and_sizes_in_variant_order_with_their_stock() {
        let p = jacket();
        let o = Options::of(&p);
        let colours: Vec<(&str, i64)> = o
            .colours
            .iter()
            .map(|c| (c.key.as_str(), c.stock))
            .collect();
        assert_eq!(colours, [("den", 3), ("xanh-navy", 8)]);
        let sizes: Vec<(&str, i64)> = o
            .sizes
            .iter()
            .map(|s| (s.label.as_str(), s.stock))
            .collect();
        assert_eq!(sizes, [("M", 8), ("L", 2), ("XL", 1)]);
    }

    #[test]
    fn a_colour_and_a_size_name_one_variant() {
        let p = jacket();
        let o = Options::of(&p);
        let sku = |c, s| o.resolve(&p, c, s).map(|v| v.sku.as_str().to_owned());
        assert_eq!(
            sku(Some("xanh-navy"), Some("L")).as_deref(),
            Ok("AK-NAVY-L")
        );
        assert_eq!(sku(Some(" den "), Some("M")).as_deref(), Ok("AK-DEN-M"));
    }

    #[test]
    fn a_missing_choice_says_which_one_is_missing() {
        let p = jacket();
        let o = Options::of(&p);
        assert_eq!(
            o.resolve(&p, None, None),
            Err(ChoiceError::MissingColourAndSize)
        );
        assert_eq!(
            o.resolve(&p, Some(""), Some("M")),
            Err(ChoiceError::MissingColour)
        );
        assert_eq!(
            o.resolve(&p, Some("den"), Some("  ")),
            Err(ChoiceError::MissingSize)
        );
    }

    #[test]
    fn unknown_sold_out_and_absent_combinations_are_refused() {
        let p = jacket();
        let o = Options::of(&p);
        assert_eq!(
            o.resolve(&p, Some("do"), Some("M")),
            Err(ChoiceError::UnknownColour)
        );
        assert_eq!(
            o.resolve(&p, Some("den"), Some("S")),
            Err(ChoiceError::UnknownSize)
        );
        assert_eq!(
            o.resolve(&p, Some("den"), Some("L")),
            Err(ChoiceError::SoldOut)
        );
        // Found all the same, for a cart line that must still be removable.
        assert_eq!(
            o.find(&p, Some("den"), Some("L")).map(|v| v.sku.as_str()),
            Ok("AK-DEN-L")
        );
        assert_eq!(
            o.resolve(&p, Some("den"), Some("XL")),
            Err(ChoiceError::NoSuchCombination)
        );
    }

    #[test]
    fn a_dimension_with_one_value_fills_itself_in() {
        let bag = product(&[
            ("TUI-BE", "Be", "Một cỡ", 4),
            ("TUI-DEN", "Đen", "Một cỡ", 1),
        ]);
        let o = Options::of(&bag);
        assert_eq!(
            o.resolve(&bag, Some("den"), None).map(|v| v.sku.as_str()),
            Ok("TUI-DEN")
        );
        assert_eq!(o.resolve(&bag, None, None), Err(ChoiceError::MissingColour));
        let shoe = product(&[("G-36", "Trắng", "36", 1), ("G-37", "Trắng", "37", 1)]);
        let o = Options::of(&shoe);
        assert_eq!(
            o.resolve(&shoe, None, Some("37")).map(|v| v.sku.as_str()),
            Ok("G-37")
        );
        assert_eq!(o.resolve(&shoe, None, None), Err(ChoiceError::MissingSize));
    }

    #[test]
    fn colours_folding_alike_get_distinct_keys() {
        let p = product(&[("A-1", "Hồng", "M", 1), ("A-2", "Hông", "M", 1)]);
        let o = Options::of(&p);
        let keys: Vec<&str> = o.colours.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["hong", "hong-2"]);
        assert_eq!(
            o.resolve(&p, Some("hong-2"), None).map(|v| v.sku.as_str()),
            Ok("A-2")
        );
    }

    #[test]
    fn parsed_keys_are_lowercase_hyphenated_words() {
        assert!(ColourKey::parse("xanh-navy").is_some());
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Den",
            "đen",
            "a b",
            "../x",
            &"a".repeat(61),
        ] {
            assert_eq!(ColourKey::parse(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_variant_in_stock_is_reached_by_its_own_colour_and_size(
            grid in proptest::collection::vec(
                ("[A-Za-zÀ-ỹđĐ ]{1,12}", "[A-Z0-9]{1,3}( cm)?", 0i64..3),
                1..12,
            )
        ) {
            let rows: Vec<(String, &str, &str, i64)> = grid
                .iter()
                .enumerate()
                .map(|(i, (c, s, n))| (format!("S-{i}"), c.as_str(), s.as_str(), *n))
                .collect();
            let spec: Vec<(&str, &str, &str, i64)> =
                rows.iter().map(|(k, c, s, n)| (k.as_str(), *c, *s, *n)).collect();
            let p = product(&spec);
            let o = Options::of(&p);
            for colour in &o.colours {
                proptest::prop_assert!(ColourKey::parse(colour.key.as_str()).is_some());
            }
            for v in &p.variants {
                // The first variant of a colour and size is the one the grid keeps.
                let (c, s) = o.position_of(&p, v).unwrap();
                let first = o.cell(&p, c, s).unwrap();
                let got = o.resolve(
                    &p,
                    Some(o.colours[c].key.as_str()),
                    Some(o.sizes[s].label.as_str()),
                );
                if first.stock > 0 {
                    proptest::prop_assert_eq!(got.map(|x| &x.sku), Ok(&first.sku));
                } else {
                    proptest::prop_assert_eq!(got, Err(ChoiceError::SoldOut));
                }
            }
        }
    }
}
