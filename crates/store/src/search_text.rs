//! The folded text the catalog search reads, kept per language: what is stored with a new
//! product or category, which columns a search in a language reads, and the refolding of
//! rows whose text an earlier folding made, or none did (the rows a database held when
//! migration 0008 added these columns). SQL cannot fold Vietnamese, so this is done here, in
//! Rust, with the same [`fold`](hanjinbi_domain::search::fold) that folds the queries.

use crate::db::on_tx;
use crate::{Db, StoreError};
use hanjinbi_domain::search::{searchable, FOLDING};
use hanjinbi_domain::{Lang, Localized};

/// A product's name and description, folded per language (`products.search_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductSearchText {
    pub name_vi: String,
    pub body_vi: String,
    pub name_en: String,
    pub body_en: String,
}

impl ProductSearchText {
    pub fn of(name: &Localized, description: &Localized) -> ProductSearchText {
        ProductSearchText {
            name_vi: searchable(&name.vi),
            body_vi: searchable(&description.vi),
            name_en: searchable(&name.en),
            body_en: searchable(&description.en),
        }
    }
}

/// A category's name, folded per language (`categories.search_*`). Its description is not
/// searched: it lists every kind of product the category holds, so it would put a product
/// under words that describe its neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CategorySearchText {
    pub name_vi: String,
    pub name_en: String,
}

impl CategorySearchText {
    pub fn of(name: &Localized) -> CategorySearchText {
        CategorySearchText {
            name_vi: searchable(&name.vi),
            name_en: searchable(&name.en),
        }
    }
}

/// The columns a search in one language reads, as a product list statement names them
/// (products `p`, categories `c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SearchColumns {
    pub name: &'static str,
    pub category: &'static str,
    pub description: &'static str,
}

/// The columns of `lang`: a search reads only the language the shopper reads.
pub(crate) fn columns(lang: Lang) -> SearchColumns {
    match lang {
        Lang::Vi => SearchColumns {
            name: "p.search_name_vi",
            category: "c.search_name_vi",
            description: "p.search_body_vi",
        },
        Lang::En => SearchColumns {
            name: "p.search_name_en",
            category: "c.search_name_en",
            description: "p.search_body_en",
        },
    }
}

/// Rows refolded per write transaction: a large catalog is refolded without holding the
/// write lock for long, and an interrupted refold resumes where it stopped.
const REFOLD_BATCH: i64 = 500;

/// How many rows [`refold`] filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Refolded {
    pub products: u64,
    pub categories: u64,
}

#[derive(sqlx::FromRow)]
struct ProductTextRow {
    id: i64,
    name_vi: String,
    name_en: String,
    description_vi: String,
    description_en: String,
}

#[derive(sqlx::FromRow)]
struct CategoryTextRow {
    id: i64,
    name_vi: String,
    name_en: String,
}

/// Fills the search columns of every product and category whose text is missing or was
/// folded by an older [`FOLDING`]. Run by `Db::migrate` after the migrations, so a database
/// made by earlier code can be searched as soon as the shop starts; when nothing is stale
/// it costs one scan of each table and writes nothing. Safe to run by several servers at
/// once: a row is written only while it is still stale, and a newer folding's text (a newer
/// server sharing the database) is left alone.
pub(crate) async fn refold(db: &Db) -> Result<Refolded, StoreError> {
    let mut done = Refolded::default();
    loop {
        let mut tx = db.begin_write().await?;
        let rows: Vec<ProductTextRow> = on_tx!(tx, |e| sqlx::query_as(
            "SELECT id, name_vi, name_en, description_vi, description_en FROM products \
             WHERE search_folding IS NULL OR search_folding < $1 ORDER BY id LIMIT $2"
        )
        .bind(FOLDING)
        .bind(REFOLD_BATCH)
        .fetch_all(e)
        .await)?;
        if rows.is_empty() {
            tx.rollback().await?;
            break;
        }
        for row in rows {
            let text = ProductSearchText::of(
                &Localized {
                    vi: row.name_vi,
                    en: row.name_en,
                },
                &Localized {
                    vi: row.description_vi,
                    en: row.description_en,
                },
            );
            done.products += on_tx!(tx, |e| sqlx::query(
                "UPDATE products SET search_name_vi = $1, search_body_vi = $2, \
                 search_name_en = $3, search_body_en = $4, search_folding = $5 \
                 WHERE id = $6 AND (search_folding IS NULL OR search_folding < $7)"
            )
            .bind(&text.name_vi)
            .bind(&text.body_vi)
            .bind(&text.name_en)
            .bind(&text.body_en)
            .bind(FOLDING)
            .bind(row.id)
            .bind(FOLDING)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
    }
    loop {
        let mut tx = db.begin_write().await?;
        let rows: Vec<CategoryTextRow> = on_tx!(tx, |e| sqlx::query_as(
            "SELECT id, name_vi, name_en FROM categories \
             WHERE search_folding IS NULL OR search_folding < $1 ORDER BY id LIMIT $2"
        )
        .bind(FOLDING)
        .bind(REFOLD_BATCH)
        .fetch_all(e)
        .await)?;
        if rows.is_empty() {
            tx.rollback().await?;
            break;
        }
        for row in rows {
            let text = CategorySearchText::of(&Localized {
                vi: row.name_vi,
                en: row.name_en,
            });
            done.categories += on_tx!(tx, |e| sqlx::query(
                "UPDATE categories SET search_name_vi = $1, search_name_en = $2, \
                 search_folding = $3 WHERE id = $4 \
                 AND (search_folding IS NULL OR search_folding < $5)"
            )
            .bind(&text.name_vi)
            .bind(&text.name_en)
            .bind(FOLDING)
            .bind(row.id)
            .bind(FOLDING)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
    }
    if done != Refolded::default() {
        tracing::info!(
            products = done.products,
            categories = done.categories,
            folding = FOLDING,
            "search text refolded"
        );
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn localized(vi: &str, en: &str) -> Localized {
        Localized {
            vi: vi.to_owned(),
            en: en.to_owned(),
        }
    }

    #[test]
    fn each_language_is_folded_apart() {
        let text = ProductSearchText::of(
            &localized("Đầm suông linen", "Linen shift dress"),
            &localized("Lau bằng khăn ẩm.", "Wipe with a damp cloth."),
        );
        assert_eq!(text.name_vi, " dam suong linen ");
        assert_eq!(text.name_en, " linen shift dress ");
        assert_eq!(text.body_vi, " lau bang khan am ");
        assert_eq!(text.body_en, " wipe with a damp cloth ");
        let category = CategorySearchText::of(&localized("Giày", "Shoes"));
        assert_eq!(
            (category.name_vi.as_str(), category.name_en.as_str()),
            (" giay ", " shoes ")
        );
    }

    #[test]
    fn a_search_reads_only_its_language() {
        for lang in [Lang::Vi, Lang::En] {
            let c = columns(lang);
            for column in [c.name, c.category, c.description] {
                assert!(column.ends_with(&format!("_{}", lang.code())), "{column}");
            }
        }
    }
}
