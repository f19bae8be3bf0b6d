//! Browsing and searching the catalog.

use hanjinbi_domain::{Category, CategorySlug, Page, PerPage, Product, ProductSlug, SortOrder};
use hanjinbi_store::catalog::{self, ProductFilter, ProductPage};
use hanjinbi_store::{Db, StoreError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("no such category")]
    UnknownCategory,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Catalog {
    db: Db,
}

/// How many featured products the home page shows.
pub const HOME_FEATURED: u32 = 8;

impl Catalog {
    pub fn new(db: Db) -> Catalog {
        Catalog { db }
    }

    pub async fn categories(&self) -> Result<Vec<Category>, CatalogError> {
        Ok(catalog::categories(&self.db).await?)
    }

    pub async fn category(&self, slug: &CategorySlug) -> Result<Category, CatalogError> {
        catalog::category(&self.db, slug)
            .await?
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
    ) -> Result<ProductPage, CatalogError> {
        let found = catalog::products(&self.db, filter, sort, page, per_page).await?;
        if found.total == 0 {
            if let Some(slug) = &filter.category {
                self.category(slug).await?;
            }
        }
        Ok(found)
    }

    pub async fn featured(&self) -> Result<ProductPage, CatalogError> {
        let filter = ProductFilter {
            featured_only: true,
            ..ProductFilter::default()
        };
        let per_page = PerPage::parse(&HOME_FEATURED.to_string()).unwrap_or(PerPage::DEFAULT);
        self.products(&filter, SortOrder::Featured, Page::FIRST, per_page)
            .await
    }

    pub async fn product(&self, slug: &ProductSlug) -> Result<Option<Product>, CatalogError> {
        Ok(catalog::product(&self.db, slug).await?)
    }
}
