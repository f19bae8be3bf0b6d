//! Catalog queries: categories, product lists (browse and search), product pages, and the
//! writes that load a catalog.

use crate::db::{on_read, on_tx};
use crate::search_text::{self, CategorySearchText, ProductSearchText, SearchColumns};
use crate::{Backend, Db, StoreError, WriteTx};
use hanjinbi_domain::search::{SearchWord, WordMatch, FOLDING};
use hanjinbi_domain::{
    Category, CategorySlug, Dong, Lang, Localized, Page, PerPage, Product, ProductSlug,
    ProductSummary, SearchQuery, Sku, SortOrder, Variant,
};

/// Which products a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProductFilter {
    pub category: Option<CategorySlug>,
    pub search: Option<ProductSearch>,
    pub featured_only: bool,
}

/// A search, in the language the shopper reads: a Vietnamese search reads the Vietnamese
/// names, category names and descriptions only, an English one the English ones only, so a
/// word of one language never finds a product through the other (`dam`, a dress, in "damp").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductSearch {
    pub query: SearchQuery,
    pub lang: Lang,
}

/// One page of a product list and the size of the whole list.
#[derive(Debug, Clone)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    pub total: i64,
}

/// A parameter of a statement built at run time.
enum Param {
    Int(i64),
    Text(String),
}

/// SQL text with `$n` placeholders numbered in the order they are added (both databases
/// read `$n`).
#[derive(Default)]
struct Statement {
    text: String,
    params: Vec<Param>,
}

impl Statement {
    fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    fn param(&mut self, value: Param) -> &mut Self {
        self.params.push(value);
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
        self
    }

    /// The statement as a query of type `T` for database `DB`, its parameters bound.
    fn query_as<'q, DB, T>(
        &'q self,
    ) -> sqlx::query::QueryAs<'q, DB, T, <DB as sqlx::Database>::Arguments<'q>>
    where
        DB: sqlx::Database,
        T: for<'r> sqlx::FromRow<'r, DB::Row>,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        self.params
            .iter()
            .fold(sqlx::query_as(&self.text), |q, p| match p {
                Param::Int(n) => q.bind(*n),
                Param::Text(s) => q.bind(s.as_str()),
            })
    }
}

/// A product list's columns, with the size of the whole list (before `LIMIT`) on every row,
/// so one round trip answers a page and its count.
///
/// Each product's variants are summed up by an index lookup on its own variants, so a page
/// reads only the variants of the products it filters: on PostgreSQL through one `LATERAL`
/// subquery, on SQLite (which has no `LATERAL`) through correlated subqueries, which its
/// planner runs as index searches. Grouping every variant of the shop and joining the result
/// was 1.4–2× slower on PostgreSQL and 4–6× on SQLite for a category page (see
/// docs/benchmarks.md).
fn summary_source(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "SELECT p.slug, c.slug AS category_slug, p.name_vi, p.name_en, p.color_hex, \
             p.featured, p.created_at, v.price_from, v.price_to, v.stock, \
             COUNT(*) OVER () AS total \
             FROM products p JOIN categories c ON c.id = p.category_id \
             CROSS JOIN LATERAL (SELECT MIN(price) AS price_from, MAX(price) AS price_to, \
             CAST(SUM(stock) AS BIGINT) AS stock FROM variants WHERE product_id = p.id) v \
             WHERE v.price_from IS NOT NULL"
        }
        Backend::Sqlite => {
            "SELECT p.slug, c.slug AS category_slug, p.name_vi, p.name_en, p.color_hex, \
             p.featured, p.created_at, \
             (SELECT MIN(price) FROM variants WHERE product_id = p.id) AS price_from, \
             (SELECT MAX(price) FROM variants WHERE product_id = p.id) AS price_to, \
             (SELECT CAST(SUM(stock) AS BIGINT) FROM variants WHERE product_id = p.id) AS stock, \
             COUNT(*) OVER () AS total \
             FROM products p JOIN categories c ON c.id = p.category_id \
             WHERE EXISTS (SELECT 1 FROM variants WHERE product_id = p.id)"
        }
    }
}

/// The number of products with at least one variant, for [`filtered`].
const COUNT_SOURCE: &str = "SELECT COUNT(*) FROM products p \
     JOIN categories c ON c.id = p.category_id \
     WHERE EXISTS (SELECT 1 FROM variants WHERE product_id = p.id)";

/// A row of [`summary_source`].
#[derive(sqlx::FromRow)]
struct SummaryRow {
    slug: String,
    category_slug: String,
    name_vi: String,
    name_en: String,
    color_hex: String,
    featured: bool,
    created_at: i64,
    price_from: i64,
    price_to: i64,
    stock: i64,
    total: i64,
}

impl TryFrom<SummaryRow> for ProductSummary {
    type Error = StoreError;

    fn try_from(r: SummaryRow) -> Result<ProductSummary, StoreError> {
        Ok(ProductSummary {
            slug: product_slug(r.slug)?,
            category: category_slug(r.category_slug)?,
            name: Localized {
                vi: r.name_vi,
                en: r.name_en,
            },
            color_hex: r.color_hex,
            featured: r.featured,
            price_from: Dong(r.price_from),
            price_to: Dong(r.price_to),
            stock: r.stock,
            created_at: r.created_at,
        })
    }
}

fn product_slug(text: String) -> Result<ProductSlug, StoreError> {
    ProductSlug::parse(&text).map_err(|_| StoreError::Corrupt(format!("product slug {text:?}")))
}

fn category_slug(text: String) -> Result<CategorySlug, StoreError> {
    CategorySlug::parse(&text).map_err(|_| StoreError::Corrupt(format!("category slug {text:?}")))
}

pub(crate) fn sku(text: String) -> Result<Sku, StoreError> {
    Sku::parse(&text).map_err(|_| StoreError::Corrupt(format!("SKU {text:?}")))
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    slug: String,
    name_vi: String,
    name_en: String,
    description_vi: String,
    description_en: String,
}

impl TryFrom<CategoryRow> for Category {
    type Error = StoreError;

    fn try_from(r: CategoryRow) -> Result<Category, StoreError> {
        Ok(Category {
            slug: category_slug(r.slug)?,
            name: Localized {
                vi: r.name_vi,
                en: r.name_en,
            },
            description: Localized {
                vi: r.description_vi,
                en: r.description_en,
            },
        })
    }
}

const CATEGORIES: &str = "SELECT slug, name_vi, name_en, description_vi, description_en \
     FROM categories ORDER BY position, slug";

const CATEGORY: &str = "SELECT slug, name_vi, name_en, description_vi, description_en \
     FROM categories WHERE slug = $1";

pub async fn categories(db: &Db) -> Result<Vec<Category>, StoreError> {
    let rows: Vec<CategoryRow> = on_read!(db, |e| sqlx::query_as(CATEGORIES).fetch_all(e).await)?;
    rows.into_iter().map(Category::try_from).collect()
}

pub async fn category(db: &Db, slug: &CategorySlug) -> Result<Option<Category>, StoreError> {
    let row: Option<CategoryRow> = on_read!(db, |e| sqlx::query_as(CATEGORY)
        .bind(slug.as_str())
        .fetch_optional(e)
        .await)?;
    row.map(Category::try_from).transpose()
}

/// The `LIKE` pattern of a search word against text stored with a space at each end (see
/// [`hanjinbi_domain::search::searchable`]): `% word %` for a whole word, `% word%` for a word
/// start, as [`SearchWord::is_in`] decides in Rust.
fn like_pattern(word: &SearchWord) -> String {
    // Folded words hold only letters and digits, so they carry no LIKE wildcard.
    match word.matching() {
        WordMatch::Whole => format!("% {} %", word.text()),
        WordMatch::Prefix => format!("% {}%", word.text()),
    }
}

/// Appends `(a LIKE $n OR b LIKE $n+1 …)` for each word, over `columns`, the words' groups
/// joined by `joiner` (`AND`: every word; `OR`: any word). Each pattern is its own parameter:
/// SQLite numbers `$n` by first appearance, so none is used twice.
fn push_word_matches(st: &mut Statement, words: &[SearchWord], columns: &[&str], joiner: &str) {
    st.push("(");
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            st.push(joiner);
        }
        let pattern = like_pattern(word);
        st.push("(");
        for (j, column) in columns.iter().enumerate() {
            if j > 0 {
                st.push(" OR ");
            }
            st.push(column)
                .push(" LIKE ")
                .param(Param::Text(pattern.clone()));
        }
        st.push(")");
    }
    st.push(")");
}

/// The list's statement up to `ORDER BY`: `source` (the columns and the products that have
/// variants), narrowed to the products that pass `filter`.
/// A search keeps the products where every word is in the name, the category's name or the
/// description, in the search's language.
fn filtered(source: &str, filter: &ProductFilter) -> Statement {
    let mut st = Statement::default();
    st.push(source);
    if let Some(category) = &filter.category {
        st.push(" AND c.slug = ")
            .param(Param::Text(category.as_str().to_owned()));
    }
    if filter.featured_only {
        st.push(" AND p.featured");
    }
    if let Some(search) = &filter.search {
        let SearchColumns {
            name,
            category,
            description,
        } = search_text::columns(search.lang);
        st.push(" AND ");
        push_word_matches(
            &mut st,
            search.query.words(),
            &[name, category, description],
            " AND ",
        );
    }
    st
}

/// Appends the rank of a search result, best first:
/// 0. every word is in the product's name;
/// 1. every word is in the name or the category's name (`giay` finds the sandals of the
///    category Giày, `shoes` the loafers of Shoes): the product is a kind of what was asked;
/// 2. some words are in the name or category's name, the others only in the description;
/// 3. the words are only in the description (which often names other products: a sandal
///    "goes with a maxi dress").
fn push_rank(st: &mut Statement, search: &ProductSearch) {
    let SearchColumns { name, category, .. } = search_text::columns(search.lang);
    let words = search.query.words();
    st.push("CASE WHEN ");
    push_word_matches(st, words, &[name], " AND ");
    st.push(" THEN 0 WHEN ");
    push_word_matches(st, words, &[name, category], " AND ");
    st.push(" THEN 1 WHEN ");
    push_word_matches(st, words, &[name, category], " OR ");
    st.push(" THEN 2 ELSE 3 END");
}

/// One page of the products that pass `filter`, in `sort` order; ties broken by newest, then
/// slug, so that pages never overlap or skip. A search sorted by relevance is ranked first
/// (see [`push_rank`]), then featured first. One statement, whatever the filter.
pub async fn products(
    db: &Db,
    filter: &ProductFilter,
    sort: SortOrder,
    page: Page,
    per_page: PerPage,
) -> Result<ProductPage, StoreError> {
    let mut st = filtered(summary_source(db.backend()), filter);
    st.push(" ORDER BY ");
    match (sort, &filter.search) {
        (SortOrder::Relevance, Some(search)) => {
            // Within a rank, the order of a list that is not searched.
            push_rank(&mut st, search);
            st.push(", p.featured DESC, ");
        }
        (SortOrder::Relevance | SortOrder::Featured, _) => {
            st.push("p.featured DESC, ");
        }
        (SortOrder::PriceAsc, _) => {
            st.push("price_from ASC, ");
        }
        (SortOrder::PriceDesc, _) => {
            st.push("price_from DESC, ");
        }
        (SortOrder::Newest, _) => {}
    }
    st.push("p.created_at DESC, p.slug ASC LIMIT ")
        .param(Param::Int(i64::from(per_page.get())))
        .push(" OFFSET ")
        .param(Param::Int(per_page.offset(page)));

    let rows: Vec<SummaryRow> = on_read!(db, |e| st.query_as().fetch_all(e).await)?;
    let total = match rows.first() {
        Some(row) => row.total,
        // A page past the end has no row to carry the count.
        None if page == Page::FIRST => 0,
        None => count(db, filter).await?,
    };
    let items = rows
        .into_iter()
        .map(ProductSummary::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProductPage { items, total })
}

async fn count(db: &Db, filter: &ProductFilter) -> Result<i64, StoreError> {
    let st = filtered(COUNT_SOURCE, filter);
    let (n,): (i64,) = on_read!(db, |e| st.query_as().fetch_one(e).await)?;
    Ok(n)
}

/// A row of [`PRODUCT`]: the product and its category, repeated on each of its variants.
#[derive(sqlx::FromRow)]
struct ProductRow {
    slug: String,
    name_vi: String,
    name_en: String,
    description_vi: String,
    description_en: String,
    color_hex: String,
    featured: bool,
    created_at: i64,
    category_slug: String,
    category_name_vi: String,
    category_name_en: String,
    category_description_vi: String,
    category_description_en: String,
    #[sqlx(flatten)]
    variant: VariantRow,
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    sku: String,
    size_label: String,
    color_vi: String,
    color_en: String,
    price: i64,
    stock: i64,
}

/// A product page in one round trip: the product, its category and every variant.
const PRODUCT: &str = "SELECT p.slug, p.name_vi, p.name_en, p.description_vi, \
     p.description_en, p.color_hex, p.featured, p.created_at, c.slug AS category_slug, \
     c.name_vi AS category_name_vi, c.name_en AS category_name_en, \
     c.description_vi AS category_description_vi, c.description_en AS category_description_en, \
     v.sku, v.size_label, v.color_vi, v.color_en, v.price, v.stock \
     FROM products p JOIN categories c ON c.id = p.category_id \
     JOIN variants v ON v.product_id = p.id \
     WHERE p.slug = $1 ORDER BY v.position, v.sku";

pub async fn product(db: &Db, slug: &ProductSlug) -> Result<Option<Product>, StoreError> {
    let rows: Vec<ProductRow> = on_read!(db, |e| sqlx::query_as(PRODUCT)
        .bind(slug.as_str())
        .fetch_all(e)
        .await)?;
    let mut rows = rows.into_iter();
    // The join drops a product without variants: to the shop it does not exist.
    let Some(first) = rows.next() else {
        return Ok(None);
    };
    let mut variants = Vec::with_capacity(rows.len() + 1);
    let variant = |v: VariantRow| -> Result<Variant, StoreError> {
        Ok(Variant {
            sku: sku(v.sku)?,
            size: v.size_label,
            color: Localized {
                vi: v.color_vi,
                en: v.color_en,
            },
            price: Dong(v.price),
            stock: v.stock,
        })
    };
    let ProductRow {
        slug,
        name_vi,
        name_en,
        description_vi,
        description_en,
        color_hex,
        featured,
        created_at,
        category_slug: category_code,
        category_name_vi,
        category_name_en,
        category_description_vi,
        category_description_en,
        variant: first_variant,
    } = first;
    variants.push(variant(first_variant)?);
    for row in rows {
        variants.push(variant(row.variant)?);
    }
    let category = Category {
        slug: category_slug(category_code)?,
        name: Localized {
            vi: category_name_vi,
            en: category_name_en,
        },
        description: Localized {
            vi: category_description_vi,
            en: category_description_en,
        },
    };
    let summary = ProductSummary {
        slug: product_slug(slug)?,
        category: category.slug.clone(),
        name: Localized {
            vi: name_vi,
            en: name_en,
        },
        color_hex,
        featured,
        price_from: variants.iter().map(|v| v.price).min().unwrap_or_default(),
        price_to: variants.iter().map(|v| v.price).max().unwrap_or_default(),
        stock: variants.iter().map(|v| v.stock).sum(),
        created_at,
    };
    Ok(Some(Product {
        summary,
        category,
        description: Localized {
            vi: description_vi,
            en: description_en,
        },
        variants,
    }))
}

/// A variant as the cart needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantStock {
    pub id: i64,
    pub price: Dong,
    pub stock: i64,
}

pub async fn variant_stock(db: &Db, sku: &Sku) -> Result<Option<VariantStock>, StoreError> {
    let row: Option<(i64, i64, i64)> = on_read!(db, |e| sqlx::query_as(
        "SELECT id, price, stock FROM variants WHERE sku = $1"
    )
    .bind(sku.as_str())
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(id, price, stock)| VariantStock {
        id,
        price: Dong(price),
        stock,
    }))
}

/// Whether any category exists: a catalog has been loaded.
pub async fn has_catalog(db: &Db) -> Result<bool, StoreError> {
    let found: Option<(i64,)> =
        on_read!(db, |e| sqlx::query_as("SELECT id FROM categories LIMIT 1")
            .fetch_optional(e)
            .await)?;
    Ok(found.is_some())
}

/// A category to add to the catalog.
#[derive(Debug, Clone)]
pub struct NewCategory<'a> {
    pub category: &'a Category,
    pub position: i64,
}

pub async fn insert_category(tx: &mut WriteTx, new: NewCategory<'_>) -> Result<i64, StoreError> {
    let c = new.category;
    let search = CategorySearchText::of(&c.name);
    let (id,): (i64,) = on_tx!(tx, |e| {
        sqlx::query_as(
            "INSERT INTO categories (slug, name_vi, name_en, description_vi, description_en, \
             position, search_name_vi, search_name_en, search_folding) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(c.slug.as_str())
        .bind(c.name.vi.as_str())
        .bind(c.name.en.as_str())
        .bind(c.description.vi.as_str())
        .bind(c.description.en.as_str())
        .bind(new.position)
        .bind(&search.name_vi)
        .bind(&search.name_en)
        .bind(FOLDING)
        .fetch_one(e)
        .await
    })?;
    Ok(id)
}

/// A product to add, with its variants.
#[derive(Debug, Clone)]
pub struct NewProduct<'a> {
    pub category_id: i64,
    pub slug: &'a ProductSlug,
    pub name: &'a Localized,
    pub description: &'a Localized,
    pub featured: bool,
    pub color_hex: &'a str,
    pub created_at: i64,
    pub variants: &'a [Variant],
}

pub async fn insert_product(tx: &mut WriteTx, new: NewProduct<'_>) -> Result<i64, StoreError> {
    let search = ProductSearchText::of(new.name, new.description);
    let (id,): (i64,) = on_tx!(tx, |e| sqlx::query_as(
        "INSERT INTO products (slug, category_id, name_vi, name_en, description_vi, \
         description_en, featured, color_hex, created_at, search_name_vi, search_body_vi, \
         search_name_en, search_body_en, search_folding) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id"
    )
    .bind(new.slug.as_str())
    .bind(new.category_id)
    .bind(new.name.vi.as_str())
    .bind(new.name.en.as_str())
    .bind(new.description.vi.as_str())
    .bind(new.description.en.as_str())
    .bind(new.featured)
    .bind(new.color_hex)
    .bind(new.created_at)
    .bind(&search.name_vi)
    .bind(&search.body_vi)
    .bind(&search.name_en)
    .bind(&search.body_en)
    .bind(FOLDING)
    .fetch_one(e)
    .await)?;
    for (position, v) in (0i64..).zip(new.variants) {
        on_tx!(tx, |e| sqlx::query(
            "INSERT INTO variants (product_id, sku, size_label, color_vi, color_en, price, stock, \
             position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(id)
        .bind(v.sku.as_str())
        .bind(v.size.as_str())
        .bind(v.color.vi.as_str())
        .bind(v.color.en.as_str())
        .bind(v.price.amount())
        .bind(v.stock)
        .bind(position)
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(id)
}
