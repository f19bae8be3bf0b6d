//! The parameters of a product list, shared by the storefront and the API.

use crate::error::Failure;
use crate::query::Params;
use hanjinbi_domain::{CategorySlug, Lang, Page, PerPage, SearchQuery, SortOrder};
use hanjinbi_services::CatalogError;
use hanjinbi_store::catalog::{ProductFilter, ProductSearch};

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: ProductFilter,
    pub sort: SortOrder,
    pub page: Page,
    pub per_page: PerPage,
}

impl ListQuery {
    /// Reads `q`, `category`, `sort`, `page` and `per_page`; empty values mean "not given".
    /// `q` is searched in `lang`, the language the request is answered in, so a shopper finds
    /// products by the words the shop shows them. The API's document states the same rules
    /// (`api::doc::ProductListParams`).
    pub fn parse(params: &Params, lang: Lang) -> Result<ListQuery, Failure> {
        let search = SearchQuery::parse(params.get("q").unwrap_or_default())?
            .map(|query| ProductSearch { query, lang });
        let category = params
            .non_empty("category")
            .map(|c| CategorySlug::parse(c).map_err(|_| CatalogError::UnknownCategory))
            .transpose()?;
        let sort = match params.non_empty("sort") {
            Some(s) => SortOrder::parse(s)?,
            None if search.is_some() => SortOrder::Relevance,
            None => SortOrder::Featured,
        };
        let page = params.non_empty("page").map(Page::parse).transpose()?;
        let per_page = params
            .non_empty("per_page")
            .map(PerPage::parse)
            .transpose()?;
        Ok(ListQuery {
            filter: ProductFilter {
                category,
                search,
                featured_only: false,
            },
            sort,
            page: page.unwrap_or(Page::FIRST),
            per_page: per_page.unwrap_or(PerPage::DEFAULT),
        })
    }
}
