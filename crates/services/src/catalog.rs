//! Browsing and searching the catalog.

use crate::cache::TtlCache;
use hanjinbi_domain::{Category, CategorySlug, Page, PerPage, Product, ProductSlug, SortOrder};
use hanjinbi_store::catalog::{self, ProductFilter, ProductPage};
use hanjinbi_store::{Db, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("no such category")]
    UnknownCategory,
    #[error(transparent)]
    Store(#[from] StoreError),
}

type ListKey = (ProductFilter, SortOrder, Page, PerPage);

/// Recent answers, shared by every clone of the service.
struct Caches {
    categories: TtlCache<(), Arc<Vec<Category>>>,
    lists: TtlCache<ListKey, Arc<ProductPage>>,
    products: TtlCache<ProductSlug, Option<Arc<Product>>>,
}

#[derive(Clone)]
pub struct Catalog {
    db: Db,
    caches: Arc<Caches>,
}

/// How many featured products the home page shows.
pub const HOME_FEATURED: u32 = 8;

impl Catalog {
    /// A catalog whose reads are kept for `cache_for` (zero: always read the database).
    pub fn new(db: Db, cache_for: Duration) -> Catalog {
        Catalog {
            db,
            caches: Arc::new(Caches {
                categories: TtlCache::new(cache_for, 1),
                lists: TtlCache::new(cache_for, 4096),
                products: TtlCache::new(cache_for, 4096),
            }),
        }
    }

    /// Forgets cached reads; called after this server changes the catalog or its stock.
    pub fn invalidate(&self) {
        self.caches.categories.clear();
        self.caches.lists.clear();
        self.caches.products.clear();
    }

    pub async fn categories(&self) -> Result<Arc<Vec<Category>>, CatalogError> {
        let now = Instant::now();
        if let Some(hit) = self.caches.categories.get(&(), now) {
            return Ok(hit);
        }
        let fresh = Arc::new(catalog::categories(&self.db).await?);
        self.caches.categories.put((), Arc::clone(&fresh), now);
        Ok(fresh)
    }

    pub async fn category(&self, slug: &CategorySlug) -> Result<Category, CatalogError> {
        self.categories()
            .await?
            .iter()
            .find(|c| &c.slug == slug)
            .cloned()
            .ok_or(CatalogError::UnknownCategory)
    }

    /// Products passing `filter`. A filter naming a category that does not exist is an error,
    /// not an empty list, so that a mistyped link says so.
    pub async fn products(
        &self,
        filter: &ProductFilter,
        sort: SortOrder,
        page: Page,
        per_page: PerPage,
    ) -> Result<Arc<ProductPage>, CatalogError> {
        let key = (filter.clone(), sort, page, per_page);
        let now = Instant::now();
        if let Some(hit) = self.caches.lists.get(&key, now) {
            return Ok(hit);
        }
        let found = catalog::products(&self.db, filter, sort, page, per_page).await?;
        if found.total == 0 {
            if let Some(slug) = &filter.category {
                self.category(slug).await?;
            }
        }
        let found = Arc::new(found);
        self.caches.lists.put(key, Arc::clone(&found), now);
        Ok(found)
    }

    pub async fn featured(&self) -> Result<Arc<ProductPage>, CatalogError> {
        let filter = ProductFilter {
            featured_only: true,
            ..ProductFilter::default()
        };
        let per_page = PerPage::parse(&HOME_FEATURED.to_string()).unwrap_or(PerPage::DEFAULT);
        self.products(&filter, SortOrder::Featured, Page::FIRST, per_page)
            .await
    }

    pub async fn product(&self, slug: &ProductSlug) -> Result<Option<Arc<Product>>, CatalogError> {
        let now = Instant::now();
        if let Some(hit) = self.caches.products.get(slug, now) {
            return Ok(hit);
        }
        let fresh = catalog::product(&self.db, slug).await?.map(Arc::new);
        self.caches.products.put(slug.clone(), fresh.clone(), now);
        Ok(fresh)
    }
}
