//! The demo catalog: believable Vietnamese fashion products so that a newcomer's first run
//! shows a real shop. Loaded by `hanjinbi demo` and `hanjinbi serve --demo`.

use crate::Clock;
use hanjinbi_domain::{Category, CategorySlug, Dong, Localized, ProductSlug, Sku, Variant};
use hanjinbi_store::catalog::{self, NewCategory, NewProduct};
use hanjinbi_store::{Db, StoreError};
use serde::Deserialize;
use thiserror::Error;

const DEMO_CATALOG: &str = include_str!("../data/demo-catalog.json");

#[derive(Debug, Error)]
pub enum DemoError {
    #[error("the demo catalog is malformed: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    categories: Vec<CategoryEntry>,
    products: Vec<ProductEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    slug: String,
    name_vi: String,
    name_en: String,
    description_vi: String,
    description_en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductEntry {
    slug: String,
    category: String,
    name_vi: String,
    name_en: String,
    description_vi: String,
    description_en: String,
    featured: bool,
    color_hex: String,
    created_days_ago: i64,
    variants: Vec<VariantEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantEntry {
    sku: String,
    size: String,
    color_vi: String,
    color_en: String,
    price: i64,
    stock: i64,
}

/// What [`load`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoOutcome {
    Loaded {
        categories: usize,
        products: usize,
    },
    /// The database already has a catalog; nothing was changed.
    AlreadyPresent,
}

fn malformed(what: impl std::fmt::Display) -> DemoError {
    DemoError::Malformed(what.to_string())
}

fn parse_file() -> Result<CatalogFile, DemoError> {
    serde_json::from_str(DEMO_CATALOG).map_err(malformed)
}

/// Loads the demo catalog in one transaction, unless a catalog is already there.
pub async fn load(db: &Db, clock: &dyn Clock) -> Result<DemoOutcome, DemoError> {
    if catalog::has_catalog(db).await? {
        return Ok(DemoOutcome::AlreadyPresent);
    }
    let file = parse_file()?;
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    let mut category_ids = Vec::with_capacity(file.categories.len());
    for (position, entry) in (0i64..).zip(&file.categories) {
        let category = Category {
            slug: CategorySlug::parse(&entry.slug).map_err(malformed)?,
            name: Localized {
                vi: entry.name_vi.clone(),
                en: entry.name_en.clone(),
            },
            description: Localized {
                vi: entry.description_vi.clone(),
                en: entry.description_en.clone(),
            },
        };
        let id = catalog::insert_category(
            &mut tx,
            NewCategory {
                category: &category,
                position,
            },
        )
        .await?;
        category_ids.push((entry.slug.as_str(), id));
    }
    for entry in &file.products {
        let category_id = category_ids
            .iter()
            .find(|(slug, _)| *slug == entry.category)
            .map(|(_, id)| *id)
            .ok_or_else(|| malformed(format!("unknown category {:?}", entry.category)))?;
        let variants = entry
            .variants
            .iter()
            .map(|v| {
                if v.price < 0 || v.stock < 0 {
                    return Err(malformed(format!("negative price or stock in {}", v.sku)));
                }
                Ok(Variant {
                    sku: Sku::parse(&v.sku).map_err(malformed)?,
                    size: v.size.clone(),
                    color: Localized {
                        vi: v.color_vi.clone(),
                        en: v.color_en.clone(),
                    },
                    price: Dong(v.price),
                    stock: v.stock,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if variants.is_empty() {
            return Err(malformed(format!("{} has no variants", entry.slug)));
        }
        catalog::insert_product(
            &mut tx,
            NewProduct {
                category_id,
                slug: &ProductSlug::parse(&entry.slug).map_err(malformed)?,
                name: &Localized {
                    vi: entry.name_vi.clone(),
                    en: entry.name_en.clone(),
                },
                description: &Localized {
                    vi: entry.description_vi.clone(),
                    en: entry.description_en.clone(),
                },
                featured: entry.featured,
                color_hex: &entry.color_hex,
                created_at: now - entry.created_days_ago.clamp(0, 3650) * 86_400,
                variants: &variants,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(DemoOutcome::Loaded {
        categories: file.categories.len(),
        products: file.products.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_is_well_formed() {
        let file = parse_file().unwrap();
        assert!(file.categories.len() >= 6);
        assert!(file.products.len() >= 60);
        for p in &file.products {
            assert!(ProductSlug::parse(&p.slug).is_ok(), "{}", p.slug);
            assert!(file.categories.iter().any(|c| c.slug == p.category));
            assert!(!p.variants.is_empty());
            assert!(p.color_hex.len() == 7 && p.color_hex.starts_with('#'));
            for v in &p.variants {
                assert!(Sku::parse(&v.sku).is_ok(), "{}", v.sku);
            }
        }
    }
}
