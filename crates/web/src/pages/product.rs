//! The product page: a gallery per colour, colour and size as two separate choices, the size
//! guide, and the buy form ("Thêm vào giỏ", "Mua ngay").
//!
//! The form works without JavaScript: colours and sizes are radio buttons styled as buttons,
//! and the server resolves the pair to a variant (`choice::Options`). `assets/product.js`
//! only adds what a script can: sizes missing in the chosen colour shown unavailable, and
//! the chosen option's price and stock. The SKU is never part of the page.

use super::html;
use crate::context::{PageContext, RequestContext};
use crate::error::{Failure, PageError};
use crate::i18n::Texts;
use crate::pictures::View;
use crate::size_guide;
use crate::views::{category_href, price_range_text, stock_class, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hanjinbi_domain::choice::{ChoiceError, Options};
use hanjinbi_domain::{Lang, Product, ProductSlug, StockState};
use serde::Serialize;

/// The product page with a colour and size chosen (the cart's links back to a line, the page
/// after "Thêm vào giỏ"). Colour keys are URL-safe as they are; size labels are encoded.
pub fn choice_href(slug: &str, colour: &str, size: &str, added: bool) -> String {
    let added = if added { "added=1&" } else { "" };
    format!(
        "/san-pham/{slug}?{added}color={colour}&size={}",
        crate::query::encode(size)
    )
}

/// The address of a product picture: one colour, one view.
pub fn picture_href(slug: &str, colour: &str, view: View) -> String {
    format!("/images/products/{slug}/{colour}/{}.svg", view.slug())
}

pub struct ColourChoice {
    pub key: String,
    pub name: String,
    pub picture: String,
    pub sold_out: bool,
    pub checked: bool,
}

pub struct SizeChoice {
    /// Position, for element ids (labels like `105 cm` do not make good ids).
    pub index: usize,
    pub label: String,
    pub sold_out: bool,
    pub checked: bool,
}

pub struct Slide {
    pub id: String,
    pub colour: String,
    pub href: String,
    pub alt: String,
    pub first: bool,
}

pub struct GuideTable {
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<GuideRow>,
    pub note: &'static str,
}

pub struct GuideRow {
    pub label: &'static str,
    pub values: &'static [&'static str],
    /// The product comes in this size.
    pub offered: bool,
}

/// What the buy form says after a post: a confirmation or what to fix.
pub enum Message {
    Added {
        what: String,
    },
    Problem {
        text: String,
        field: Option<&'static str>,
    },
}

/// What the script needs to show each combination: kept out of the SKU's way, it names
/// colours by key and sizes by position.
#[derive(Serialize)]
struct ScriptData<'a> {
    cells: Vec<ScriptCell>,
    sold_out: &'a str,
    unavailable: &'a str,
    choose_colour: &'a str,
    choose_size: &'a str,
    choose_colour_and_size: &'a str,
}

#[derive(Serialize)]
struct ScriptCell {
    colour: String,
    size: usize,
    price: String,
    stock: &'static str,
    stock_class: &'static str,
    available: bool,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductView {
    chrome: Chrome,
    slug: String,
    name: String,
    description: String,
    category_href: String,
    category_name: String,
    price_text: String,
    stock_text: &'static str,
    stock_class: &'static str,
    colours: Vec<ColourChoice>,
    sizes: Vec<SizeChoice>,
    /// The only colour or size, when there is nothing to choose: shown as a fact.
    fixed_colour: Option<(String, String)>,
    fixed_size: Option<String>,
    slides: Vec<Slide>,
    guide: Vec<GuideTable>,
    buyable: bool,
    quantity: String,
    added: Option<String>,
    problem: Option<String>,
    problem_field: &'static str,
    script_data: String,
}

/// A shopper's choice as the page keeps it across a post: colour key, size label, quantity.
#[derive(Default)]
pub struct Chosen<'a> {
    pub colour: Option<&'a str>,
    pub size: Option<&'a str>,
    pub quantity: Option<&'a str>,
}

fn view_name(t: &Texts, view: View) -> &'static str {
    match view {
        View::Front => t.view_front,
        View::Back => t.view_back,
        View::Detail => t.view_detail,
    }
}

/// `Đen / M`, or just the colour or the size when the other has a single value.
pub fn choice_label(options: &Options, lang: Lang, colour: usize, size: usize) -> String {
    let colour_name = options.colours.get(colour).map(|c| c.name.get(lang));
    let size_label = options.sizes.get(size).map(|s| s.label.as_str());
    match (colour_name, size_label) {
        (Some(c), Some(s)) if options.colours.len() > 1 && options.sizes.len() > 1 => {
            format!("{c} / {s}")
        }
        (Some(c), _) if options.colours.len() > 1 => c.to_owned(),
        (_, Some(s)) if options.sizes.len() > 1 => s.to_owned(),
        (Some(c), Some(s)) => format!("{c} / {s}"),
        (c, s) => c.or(s).unwrap_or_default().to_owned(),
    }
}

/// The message for a choice that names no variant to buy, and the fieldset at fault.
pub fn choice_message(
    t: &Texts,
    error: &ChoiceError,
    label: &str,
) -> (StatusCode, String, Option<&'static str>) {
    match error {
        ChoiceError::MissingColourAndSize => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.choose_colour_and_size.to_owned(),
            Some("colour"),
        ),
        ChoiceError::MissingColour => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.choose_colour.to_owned(),
            Some("colour"),
        ),
        ChoiceError::MissingSize => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.choose_size.to_owned(),
            Some("size"),
        ),
        ChoiceError::UnknownColour => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.choice_unknown.to_owned(),
            Some("colour"),
        ),
        ChoiceError::UnknownSize => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.choice_unknown.to_owned(),
            Some("size"),
        ),
        ChoiceError::NoSuchCombination => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} {label}. {}", t.choice_unavailable, t.choose_other),
            Some("size"),
        ),
        ChoiceError::SoldOut => (
            StatusCode::CONFLICT,
            format!("{} {label}. {}", t.choice_sold_out, t.choose_other),
            Some("size"),
        ),
    }
}

pub async fn show(
    State(app): State<AppState>,
    PageContext(ctx): PageContext,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let slug = path.map(|Path(s)| s).map_err(|_| Failure::not_found())?;
    let slug = ProductSlug::parse(&slug)?;
    let product = app
        .services
        .catalog
        .product(&slug)
        .await?
        .ok_or_else(Failure::not_found)?;
    // A link may name a colour and size (the cart links back to the line's own choice; the
    // page after "Thêm vào giỏ" keeps what was chosen). Unknown values are just not chosen.
    let chosen = Chosen {
        colour: ctx.params.non_blank("color"),
        size: ctx.params.non_blank("size"),
        quantity: None,
    };
    let added = (ctx.params.get("added") == Some("1"))
        .then(|| {
            let options = Options::of(&product);
            options
                .find(&product, chosen.colour, chosen.size)
                .ok()
                .and_then(|v| options.position_of(&product, v))
                .map(|(c, s)| {
                    let variant_price = options
                        .cell(&product, c, s)
                        .map(|v| v.price.to_string())
                        .unwrap_or_default();
                    format!(
                        "{} ({}), {variant_price}",
                        product.summary.name.get(ctx.lang),
                        choice_label(&options, ctx.lang, c, s)
                    )
                })
        })
        .flatten();
    let message = added.map(|what| Message::Added { what });
    render(&app, &ctx, &product, &chosen, message, StatusCode::OK)
}

/// The product page, with the shopper's choice kept and a message if there is one.
pub fn render(
    app: &AppState,
    ctx: &RequestContext,
    product: &Product,
    chosen: &Chosen<'_>,
    message: Option<Message>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&app.shop, ctx);
    let t = chrome.t;
    let lang = ctx.lang;
    let slug = product.summary.slug.as_str();
    let options = Options::of(product);
    let colour_chosen = chosen
        .colour
        .and_then(|key| options.colour_index(key.trim()));
    let size_chosen = chosen
        .size
        .and_then(|label| options.size_index(label.trim()));

    let colours: Vec<ColourChoice> = options
        .colours
        .iter()
        .enumerate()
        .map(|(i, c)| ColourChoice {
            key: c.key.to_string(),
            name: c.name.get(lang).to_owned(),
            picture: picture_href(slug, c.key.as_str(), View::Front),
            sold_out: c.stock <= 0,
            checked: colour_chosen == Some(i) && c.stock > 0,
        })
        .collect();
    let sizes: Vec<SizeChoice> = options
        .sizes
        .iter()
        .enumerate()
        .map(|(i, s)| SizeChoice {
            index: i,
            label: s.label.clone(),
            sold_out: s.stock <= 0,
            checked: size_chosen == Some(i) && s.stock > 0,
        })
        .collect();
    let fixed_colour =
        (colours.len() == 1).then(|| (colours[0].key.clone(), colours[0].name.clone()));
    let fixed_size = (sizes.len() == 1).then(|| sizes[0].label.clone());

    let name = product.summary.name.get(lang).to_owned();
    let slides = options
        .colours
        .iter()
        .flat_map(|c| View::ALL.map(move |view| (c, view)))
        .enumerate()
        .map(|(i, (c, view))| Slide {
            id: format!("anh-{}-{}", c.key, view.slug()),
            colour: c.key.to_string(),
            href: picture_href(slug, c.key.as_str(), view),
            alt: format!("{name} — {}, {}", c.name.get(lang), view_name(t, view)),
            first: i == 0,
        })
        .collect();

    let guide = size_guide::for_product(
        product.category.slug.as_str(),
        options.sizes.iter().map(|s| s.label.as_str()),
    )
    .into_iter()
    .map(|table| GuideTable {
        title: table.title.get(lang),
        columns: table.columns.iter().map(|c| c.get(lang)).collect(),
        rows: table
            .rows
            .iter()
            .map(|(label, values)| GuideRow {
                label,
                values,
                offered: options.size_index(label).is_some(),
            })
            .collect(),
        note: table.note.get(lang),
    })
    .collect();

    let script = ScriptData {
        cells: product
            .variants
            .iter()
            .filter_map(|v| {
                let (c, s) = options.position_of(product, v)?;
                let state = StockState::of(v.stock);
                Some(ScriptCell {
                    colour: options.colours[c].key.to_string(),
                    size: s,
                    price: v.price.to_string(),
                    stock: t.stock_name(state),
                    stock_class: stock_class(state),
                    available: v.stock > 0,
                })
            })
            .collect(),
        sold_out: t.sold_out_mark,
        unavailable: t.unavailable_mark,
        choose_colour: t.choose_colour,
        choose_size: t.choose_size,
        choose_colour_and_size: t.choose_colour_and_size,
    };
    let script_data = serde_json::to_string(&script).map_err(|e| Failure::internal(&e))?;

    let (added, problem, problem_field) = match message {
        None => (None, None, ""),
        Some(Message::Added { what }) => (Some(what), None, ""),
        Some(Message::Problem { text, field }) => (None, Some(text), field.unwrap_or("")),
    };
    let state = StockState::of(product.summary.stock);
    let view = ProductView {
        slug: slug.to_owned(),
        name,
        description: product.description.get(lang).to_owned(),
        category_href: category_href(product.category.slug.as_str()),
        category_name: product.category.name.get(lang).to_owned(),
        price_text: price_range_text(t, &product.summary),
        stock_text: t.stock_name(state),
        stock_class: stock_class(state),
        buyable: product.variants.iter().any(|v| v.stock > 0),
        colours,
        sizes,
        fixed_colour,
        fixed_size,
        slides,
        guide,
        quantity: chosen
            .quantity
            .map(str::trim)
            .filter(|q| !q.is_empty() && q.len() <= 6)
            .unwrap_or("1")
            .to_owned(),
        added,
        problem,
        problem_field,
        script_data,
        chrome,
    };
    let mut response = html(&view, ctx)?;
    *response.status_mut() = status;
    Ok(response)
}
