//! OpenAPI schemas of the domain's parsed types, built from the same constants their parsers
//! check, so the API's document states exactly the limits the code enforces.

use crate::catalog::{SKU_MAX, SKU_PATTERN, SLUG_MAX, SLUG_PATTERN};
use crate::paging::{Page, PerPage, SortOrder};
use crate::search::{
    LAST_WORD_PREFIX_MIN_CHARS, MAX_QUERY_CHARS, MAX_QUERY_WORDS, WHOLE_WORD_MAX_CHARS,
};
use crate::{CategorySlug, ProductSlug, Quantity, Sku};
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

fn string(pattern: &str, max: usize, description: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(1))
        .max_length(Some(max))
        .description(Some(description))
        .into()
}

fn whole_number(min: i64, max: i64, default: Option<i64>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(min))
        .maximum(Some(max))
        .default(default.map(Into::into))
        .description(Some(description))
        .into()
}

macro_rules! named {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

named!(
    ProductSlug,
    "ProductSlug",
    string(
        SLUG_PATTERN,
        SLUG_MAX,
        format!("A product's address part: lowercase letters, digits and single hyphens, at most {SLUG_MAX} characters.")
    )
);
named!(
    CategorySlug,
    "CategorySlug",
    string(
        SLUG_PATTERN,
        SLUG_MAX,
        format!("A category's address part: lowercase letters, digits and single hyphens, at most {SLUG_MAX} characters.")
    )
);
named!(
    Sku,
    "Sku",
    string(
        SKU_PATTERN,
        SKU_MAX,
        format!("A stock-keeping unit: uppercase letters, digits and single hyphens, at most {SKU_MAX} characters.")
    )
);
named!(
    Quantity,
    "Quantity",
    whole_number(
        Quantity::MIN,
        Quantity::MAX,
        None,
        "Units of one SKU in a cart line."
    )
);
named!(
    Page,
    "Page",
    whole_number(
        1,
        i64::from(Page::MAX),
        Some(1),
        "The page to show, from 1."
    )
);
named!(
    PerPage,
    "PerPage",
    whole_number(
        1,
        i64::from(PerPage::MAX),
        Some(i64::from(PerPage::DEFAULT.get())),
        "How many products a page shows."
    )
);
named!(
    SortOrder,
    "SortOrder",
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SortOrder::ALL.map(SortOrder::code)))
        .description(Some(
            "The order of a product list. Default: relevance when searching, featured otherwise."
        ))
        .into()
);

/// The schema of a search text: what [`crate::SearchQuery::parse`] accepts.
pub fn search_text_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(MAX_QUERY_CHARS))
        .description(Some(format!(
            "Search words, case- and diacritic-insensitive (đ matches d; fullwidth letters match \
             their plain forms). They are searched in the request's language only: the `lang` \
             query parameter (`vi` or `en`), else the `lang` cookie, else Accept-Language; \
             Vietnamese when none names a language the shop speaks. Every word must be found \
             in that language's product name, category name or description: a word of up to \
             {WHOLE_WORD_MAX_CHARS} characters as a whole word (`dam` finds đầm, not damp), a \
             longer one at the start of a word (`khoac` finds khoác, `shoe` finds shoes), and \
             so does the last of several words from {LAST_WORD_PREFIX_MIN_CHARS} characters \
             (`ao kho` finds áo khoác). Sorted by relevance, products with every word in their \
             name come first, then those with every word in their name or category name, then \
             those matching partly in their description, then those matching only there. At \
             most {MAX_QUERY_CHARS} characters; the first {MAX_QUERY_WORDS} different words \
             are used and any further ones ignored. Blank means no search."
        )))
        .into()
}
