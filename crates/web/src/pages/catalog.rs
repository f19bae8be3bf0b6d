//! Home, category and search pages.

use super::html;
use crate::context::PageContext;
use crate::error::{Failure, PageError};
use crate::listing::ListQuery;
use crate::views::{card, category_href, pager, Card, Chrome, PageLink};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use hanjinbi_domain::SortOrder;
use hanjinbi_store::catalog::ProductPage;

pub struct CategoryLink {
    pub href: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    categories: Vec<CategoryLink>,
    cards: Vec<Card>,
}

pub async fn home(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let (categories, featured) = tokio::try_join!(
        app.services.catalog.categories(),
        app.services.catalog.featured()
    )?;
    let chrome = Chrome::new(&app.shop, &ctx);
    let page = HomePage {
        categories: categories
            .iter()
            .map(|c| CategoryLink {
                href: category_href(c.slug.as_str()),
                name: c.name.get(ctx.lang).to_owned(),
            })
            .collect(),
        cards: featured
            .items
            .iter()
            .map(|p| card(chrome.t, ctx.lang, p))
            .collect(),
        chrome,
    };
    html(&page, &ctx)
}

pub struct SortChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    chrome: Chrome,
    heading: String,
    intro: String,
    hidden: Vec<(&'static str, String)>,
    sorts: Vec<SortChoice>,
    total: i64,
    cards: Vec<Card>,
    empty_text: &'static str,
    pages: Vec<PageLink>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

impl ListingPage {
    fn new(
        chrome: Chrome,
        ctx: &crate::context::RequestContext,
        query: &ListQuery,
        found: &ProductPage,
    ) -> ListingPage {
        let searching = query.filter.search.is_some();
        let sorts = SortOrder::ALL
            .into_iter()
            .filter(|s| searching || *s != SortOrder::Relevance)
            .map(|s| SortChoice {
                code: s.code(),
                label: chrome.t.sort_name(s),
                selected: s == query.sort,
            })
            .collect();
        let (pages, prev_href, next_href) = pager(
            ctx,
            query.page.number(),
            query.per_page.page_count(found.total),
        );
        let hidden = ["q", "per_page"]
            .into_iter()
            .filter_map(|n| ctx.params.non_blank(n).map(|v| (n, v.to_owned())))
            .collect();
        ListingPage {
            cards: found
                .items
                .iter()
                .map(|p| card(chrome.t, ctx.lang, p))
                .collect(),
            empty_text: if searching {
                chrome.t.no_results
            } else {
                chrome.t.no_products
            },
            heading: String::new(),
            intro: String::new(),
            hidden,
            sorts,
            total: found.total,
            pages,
            prev_href,
            next_href,
            chrome,
        }
    }
}

fn slug_from(path: Result<Path<String>, PathRejection>) -> Result<String, Failure> {
    path.map(|Path(s)| s).map_err(|_| Failure::not_found())
}

pub async fn category(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let slug = hanjinbi_domain::CategorySlug::parse(&slug_from(path)?)?;
    let mut query = ListQuery::parse(&ctx.params, ctx.lang)?;
    query.filter.category = Some(slug.clone());
    query.filter.search = None;
    if query.sort == SortOrder::Relevance {
        query.sort = SortOrder::Featured;
    }
    let (category, found) = tokio::try_join!(
        app.services.catalog.category(&slug),
        app.services
            .catalog
            .products(&query.filter, query.sort, query.page, query.per_page)
    )?;
    let mut page = ListingPage::new(Chrome::new(&app.shop, &ctx), &ctx, &query, &found);
    page.heading = category.name.get(ctx.lang).to_owned();
    page.intro = category.description.get(ctx.lang).to_owned();
    html(&page, &ctx)
}

pub async fn search(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
) -> Result<Response, PageError> {
    let query = ListQuery::parse(&ctx.params, ctx.lang)?;
    let found = app
        .services
        .catalog
        .products(&query.filter, query.sort, query.page, query.per_page)
        .await?;
    let mut page = ListingPage::new(Chrome::new(&app.shop, &ctx), &ctx, &query, &found);
    let typed = page.chrome.q.clone();
    page.heading = if typed.trim().is_empty() {
        page.chrome.t.search.to_owned()
    } else {
        format!("{} “{}”", page.chrome.t.results_for, typed.trim())
    };
    html(&page, &ctx)
}

/// "M / Đen", or only the colour for one-size products.
pub fn variant_label(size: &str, color: &str) -> String {
    if size.is_empty() {
        color.to_owned()
    } else {
        format!("{size} / {color}")
    }
}
