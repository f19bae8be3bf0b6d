//! Pagination and sort order of product lists.

use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PagingError {
    #[error("the page number is a whole number from 1 to {}", Page::MAX)]
    Page,
    #[error("the page size is a whole number from 1 to {}", PerPage::MAX)]
    PerPage,
    #[error("the sort order is one of: featured, price_asc, price_desc, newest, relevance")]
    Sort,
}

/// Decimal digits only: no sign, no spaces, as the API's document says an integer is written.
fn whole_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A 1-based page number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Page(u32);

impl Page {
    pub const MAX: u32 = 10_000;
    pub const FIRST: Page = Page(1);

    pub fn parse(text: &str) -> Result<Page, PagingError> {
        match whole_number(text) {
            Some(n) if (1..=Self::MAX).contains(&n) => Ok(Page(n)),
            _ => Err(PagingError::Page),
        }
    }

    pub fn number(self) -> u32 {
        self.0
    }
}

/// How many products a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PerPage(u32);

impl PerPage {
    pub const MAX: u32 = 100;
    pub const DEFAULT: PerPage = PerPage(24);

    pub fn parse(text: &str) -> Result<PerPage, PagingError> {
        match whole_number(text) {
            Some(n) if (1..=Self::MAX).contains(&n) => Ok(PerPage(n)),
            _ => Err(PagingError::PerPage),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Rows to skip before `page`.
    pub fn offset(self, page: Page) -> i64 {
        i64::from(page.0 - 1) * i64::from(self.0)
    }

    /// How many pages `total` items fill (at least one, so an empty list has a page 1).
    pub fn page_count(self, total: i64) -> u32 {
        let pages = (total.max(0) + i64::from(self.0) - 1) / i64::from(self.0);
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }
}

/// The order of a product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Featured first, then newest. The default for browsing.
    #[default]
    Featured,
    PriceAsc,
    PriceDesc,
    Newest,
    /// Name matches above description matches. The default for a search.
    Relevance,
}

impl SortOrder {
    pub const ALL: [SortOrder; 5] = [
        SortOrder::Featured,
        SortOrder::PriceAsc,
        SortOrder::PriceDesc,
        SortOrder::Newest,
        SortOrder::Relevance,
    ];

    pub fn parse(text: &str) -> Result<SortOrder, PagingError> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == text)
            .ok_or(PagingError::Sort)
    }

    pub fn code(self) -> &'static str {
        match self {
            SortOrder::Featured => "featured",
            SortOrder::PriceAsc => "price_asc",
            SortOrder::PriceDesc => "price_desc",
            SortOrder::Newest => "newest",
            SortOrder::Relevance => "relevance",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded() {
        assert_eq!(Page::parse("1").map(Page::number), Ok(1));
        for bad in [
            "0",
            "-1",
            "abc",
            "",
            "10001",
            "99999999999",
            " 2",
            "+2",
            "2 ",
        ] {
            assert_eq!(Page::parse(bad), Err(PagingError::Page), "{bad:?}");
        }
        assert_eq!(PerPage::parse("100").map(PerPage::get), Ok(100));
        for bad in ["0", "101", "100000", "-5"] {
            assert_eq!(PerPage::parse(bad), Err(PagingError::PerPage), "{bad:?}");
        }
    }

    #[test]
    fn offsets_and_page_counts() {
        let per = PerPage::DEFAULT;
        assert_eq!(per.offset(Page::FIRST), 0);
        assert_eq!(per.offset(Page::parse("3").unwrap()), 48);
        assert_eq!(per.page_count(0), 1);
        assert_eq!(per.page_count(24), 1);
        assert_eq!(per.page_count(25), 2);
    }

    #[test]
    fn sort_codes_round_trip() {
        for s in SortOrder::ALL {
            assert_eq!(SortOrder::parse(s.code()), Ok(s));
        }
        assert_eq!(SortOrder::parse("price"), Err(PagingError::Sort));
        assert_eq!(SortOrder::parse(" newest"), Err(PagingError::Sort));
    }
}
