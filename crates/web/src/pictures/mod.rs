//! Product pictures drawn as SVG: the garment of the product's category, in the fabric of
//! one of its colours, seen from the front, the back, or close up.
//!
//! The demo shop ships no photographs; these illustrations give every product and colour a
//! picture that looks like what is sold. A drawing holds no text from the catalog (only
//! colours checked as `#rrggbb` and the fixed outlines of [`garments`]), so nothing a shop
//! owner types can reach the SVG.

mod garments;
pub mod palette;

pub use garments::Figure;
#[cfg(test)]
use garments::Garment;
pub use palette::{fabric_of, Fabric, Pattern, Rgb};

use garments::Mark;
use std::fmt::Write;

/// Which way a picture looks at the garment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Front,
    Back,
    Detail,
}

impl View {
    pub const ALL: [View; 3] = [View::Front, View::Back, View::Detail];

    /// The view's name in picture addresses.
    pub fn slug(self) -> &'static str {
        match self {
            View::Front => "truoc",
            View::Back => "sau",
            View::Detail => "chi-tiet",
        }
    }

    pub fn from_slug(text: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == text)
    }
}

/// The canvas every outline is drawn on.
const SIDE: u16 = 600;
const BACKDROP: &str = "#f3efe9";

/// The SVG document of `figure` in `fabric`, seen as `view`.
pub fn draw(figure: Figure, fabric: Fabric, view: View) -> String {
    let shape = figure.garment.shape();
    let base = fabric.base;
    let ink = base.ink();
    let outline = if base.is_dark() {
        base.darker(0.5)
    } else {
        base.darker(0.45)
    };
    let view_box = match view {
        View::Detail => {
            let (x, y, side) = shape.focus;
            let half = side / 2;
            format!(
                "{} {} {side} {side}",
                x.saturating_sub(half),
                y.saturating_sub(half)
            )
        }
        View::Front | View::Back => format!("0 0 {SIDE} {SIDE}"),
    };
    let mut svg = String::with_capacity(4096);
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SIDE}" height="{SIDE}" viewBox="{view_box}">"#
    );
    svg.push_str("<defs>");
    fabric_pattern(&mut svg, fabric);
    svg.push_str("</defs>");
    let _ = write!(
        svg,
        r##"<rect x="-600" y="-600" width="1800" height="1800" fill="{BACKDROP}"/><ellipse cx="300" cy="548" rx="210" ry="16" fill="#000000" fill-opacity="0.08"/>"##
    );
    let mirrored = view == View::Back && shape.mirror_back;
    if mirrored {
        svg.push_str(r#"<g transform="translate(600 0) scale(-1 1)">"#);
    } else {
        svg.push_str("<g>");
    }
    for body in shape.body {
        let _ = write!(
            svg,
            r#"<path d="{body}" fill="url(#fabric)" fill-rule="evenodd" stroke="{outline}" stroke-width="4" stroke-linejoin="round"/>"#
        );
    }
    let side_marks = match view {
        View::Back => shape.back,
        View::Front | View::Detail => shape.front,
    };
    for mark in shape.both.iter().chain(side_marks) {
        draw_mark(&mut svg, *mark, base, ink, outline);
    }
    if figure.kids && view != View::Back {
        if let Some((x, y)) = shape.motif {
            star(&mut svg, x, y, base);
        }
    }
    svg.push_str("</g></svg>");
    svg
}

fn draw_mark(svg: &mut String, mark: Mark, base: Rgb, ink: Rgb, outline: Rgb) {
    const METAL: &str = "#b9b9b4";
    const METAL_EDGE: &str = "#6f6f6a";
    let trim = if base.is_dark() {
        base.lighter(0.12)
    } else {
        base.darker(0.14)
    };
    let sole = if base.is_dark() {
        Rgb(0xf2, 0xf0, 0xea)
    } else {
        Rgb(0x3a, 0x36, 0x32)
    };
    let _ = match mark {
        Mark::Line(d) => write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{ink}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>"#
        ),
        Mark::Stitch(d) => write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{ink}" stroke-width="2.5" stroke-dasharray="7 6" stroke-linecap="round"/>"#
        ),
        Mark::Thread(d) => write!(
            svg,
            r##"<path d="{d}" fill="none" stroke="#d9a441" stroke-width="3" stroke-dasharray="8 5" stroke-linecap="round"/>"##
        ),
        Mark::Trim(d) => write!(
            svg,
            r#"<path d="{d}" fill="{trim}" fill-rule="evenodd" stroke="{outline}" stroke-width="3" stroke-linejoin="round"/>"#
        ),
        Mark::Sole(d) => write!(
            svg,
            r#"<path d="{d}" fill="{sole}" stroke="{outline}" stroke-width="3" stroke-linejoin="round"/>"#
        ),
        Mark::Zip(d) => write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{METAL_EDGE}" stroke-width="7" stroke-linecap="round"/><path d="{d}" fill="none" stroke="{METAL}" stroke-width="4" stroke-dasharray="3 3"/>"#
        ),
        Mark::Metal(d) => write!(
            svg,
            r#"<path d="{d}" fill="{METAL}" fill-rule="evenodd" stroke="{METAL_EDGE}" stroke-width="3" stroke-linejoin="round"/>"#
        ),
        Mark::Button(x, y, r) => write!(
            svg,
            r#"<circle cx="{x}" cy="{y}" r="{r}" fill="{trim}" stroke="{ink}" stroke-width="2"/>"#
        ),
        Mark::Hole(x, y, r) => write!(
            svg,
            r#"<circle cx="{x}" cy="{y}" r="{r}" fill="{outline}"/>"#
        ),
        Mark::Glass(d) => write!(
            svg,
            r##"<path d="{d}" fill="#2b2f36" fill-opacity="0.88" fill-rule="evenodd"/>"##
        ),
        Mark::Chain(d) => write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{outline}" stroke-width="7" stroke-linecap="round"/><path d="{d}" fill="none" stroke="{base}" stroke-width="4" stroke-dasharray="6 3"/>"#
        ),
    };
}

/// A five-pointed star centred on (x, y): the motif that marks children's wear.
fn star(svg: &mut String, x: u16, y: u16, base: Rgb) {
    let fill = if base.is_dark() {
        Rgb(0xff, 0xd1, 0x66)
    } else {
        base.darker(0.45)
    };
    let (cx, cy) = (f32::from(x), f32::from(y));
    let mut d = String::new();
    for i in 0..10u8 {
        let radius = if i % 2 == 0 { 30.0 } else { 13.0 };
        let angle = std::f32::consts::PI * (f32::from(i) / 5.0 - 0.5);
        let command = if i == 0 { 'M' } else { 'L' };
        let _ = write!(
            d,
            "{command}{:.1} {:.1} ",
            cx + radius * angle.cos(),
            cy + radius * angle.sin()
        );
    }
    d.push('Z');
    let _ = write!(
        svg,
        r#"<path d="{d}" fill="{fill}" stroke="{}" stroke-width="2" stroke-linejoin="round"/>"#,
        fill.darker(0.3)
    );
}

/// `<pattern id="fabric">`: the fabric's colour with a faint weave, and its pattern.
fn fabric_pattern(svg: &mut String, fabric: Fabric) {
    let base = fabric.base;
    let weave = base.ink();
    let _ = match fabric.pattern {
        Pattern::Plain => write!(
            svg,
            r#"<pattern id="fabric" width="12" height="12" patternUnits="userSpaceOnUse"><rect width="12" height="12" fill="{base}"/><path d="M0 12 L12 0" stroke="{weave}" stroke-opacity="0.12" stroke-width="1.5"/></pattern>"#
        ),
        Pattern::Dots(flower) => write!(
            svg,
            r#"<pattern id="fabric" width="32" height="32" patternUnits="userSpaceOnUse"><rect width="32" height="32" fill="{base}"/><circle cx="8" cy="8" r="4.5" fill="{flower}"/><circle cx="24" cy="24" r="4.5" fill="{flower}"/><circle cx="8" cy="8" r="1.6" fill="{base}"/><circle cx="24" cy="24" r="1.6" fill="{base}"/></pattern>"#
        ),
        Pattern::Check(line) => write!(
            svg,
            r#"<pattern id="fabric" width="48" height="48" patternUnits="userSpaceOnUse"><rect width="48" height="48" fill="{base}"/><rect y="18" width="48" height="12" fill="{line}" fill-opacity="0.45"/><rect x="18" width="12" height="48" fill="{line}" fill-opacity="0.45"/><path d="M0 4 H48 M4 0 V48" stroke="{line}" stroke-width="1.5"/></pattern>"#
        ),
        Pattern::Bands(second, third) => write!(
            svg,
            r#"<pattern id="fabric" width="60" height="60" patternUnits="userSpaceOnUse"><rect width="60" height="60" fill="{base}"/><rect y="20" width="60" height="20" fill="{second}"/><rect y="40" width="60" height="20" fill="{third}"/><path d="M0 30 L10 22 L20 30 L30 22 L40 30 L50 22 L60 30" fill="none" stroke="{base}" stroke-width="2"/></pattern>"#
        ),
        Pattern::Weave(line) => write!(
            svg,
            r#"<pattern id="fabric" width="20" height="20" patternUnits="userSpaceOnUse"><rect width="20" height="20" fill="{base}"/><rect width="10" height="10" fill="{line}" fill-opacity="0.5"/><rect x="10" y="10" width="10" height="10" fill="{line}" fill-opacity="0.5"/></pattern>"#
        ),
        Pattern::Spots(spot) => write!(
            svg,
            r#"<pattern id="fabric" width="50" height="50" patternUnits="userSpaceOnUse"><rect width="50" height="50" fill="{base}"/><ellipse cx="12" cy="14" rx="9" ry="6" fill="{spot}" fill-opacity="0.8"/><ellipse cx="36" cy="34" rx="7" ry="10" fill="{spot}" fill-opacity="0.7"/><ellipse cx="40" cy="8" rx="4" ry="3" fill="{spot}" fill-opacity="0.6"/></pattern>"#
        ),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL_GARMENTS: [Garment; 42] = {
        use Garment as G;
        [
            G::Tee,
            G::Polo,
            G::Shirt,
            G::Jacket,
            G::Puffer,
            G::Sweater,
            G::Cardigan,
            G::Vest,
            G::SportsBra,
            G::Trousers,
            G::Jeans,
            G::WideTrousers,
            G::Joggers,
            G::Leggings,
            G::Shorts,
            G::Dress,
            G::MaxiDress,
            G::SlipDress,
            G::Skirt,
            G::PleatedSkirt,
            G::Sneaker,
            G::Heel,
            G::Boot,
            G::Sandal,
            G::Slide,
            G::Flat,
            G::Loafer,
            G::Handbag,
            G::Tote,
            G::Backpack,
            G::Crossbody,
            G::Clutch,
            G::BeltBag,
            G::Scarf,
            G::BucketHat,
            G::Beanie,
            G::Belt,
            G::Wallet,
            G::Sunglasses,
            G::Necklace,
            G::YogaMat,
            G::Socks,
        ]
    };

    /// Parses `svg` as XML and checks what a browser needs to show it: an `svg` root in the
    /// SVG namespace with a view box, and every path's data made only of path commands and
    /// numbers.
    fn assert_valid_svg(svg: &str) {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let view_box: Vec<f32> = root
            .attribute("viewBox")
            .unwrap()
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(view_box.len(), 4);
        assert!(view_box[2] > 0.0 && view_box[3] > 0.0);
        let mut paths = 0;
        for node in doc.descendants().filter(|n| n.has_tag_name("path")) {
            let d = node.attribute("d").unwrap();
            assert!(
                d.chars().all(|c| "MLHVQAZmlhvqaz0123456789.- ".contains(c)),
                "path data {d:?}"
            );
            assert!(d.trim_start().starts_with(['M', 'm']), "{d:?}");
            paths += 1;
        }
        assert!(paths > 0, "nothing drawn: {svg}");
        for node in doc.descendants() {
            for attribute in node.attributes() {
                if matches!(attribute.name(), "fill" | "stroke") {
                    let value = attribute.value();
                    assert!(
                        value == "none" || value == "url(#fabric)" || Rgb::parse(value).is_some(),
                        "{} = {value:?}",
                        attribute.name()
                    );
                }
            }
        }
    }

    #[test]
    fn every_garment_in_every_view_is_valid_svg() {
        for garment in ALL_GARMENTS {
            for kids in [false, true] {
                for view in View::ALL {
                    let figure = Figure { garment, kids };
                    assert_valid_svg(&draw(figure, Fabric::plain(Rgb(0x1f, 0x2f, 0x4f)), view));
                }
            }
        }
    }

    #[test]
    fn every_pattern_is_valid_svg() {
        let second = Rgb(0xd9, 0x58, 0x7a);
        for pattern in [
            Pattern::Plain,
            Pattern::Dots(second),
            Pattern::Check(second),
            Pattern::Bands(second, Rgb(1, 2, 3)),
            Pattern::Weave(second),
            Pattern::Spots(second),
        ] {
            let fabric = Fabric {
                base: Rgb(0xf5, 0xd3, 0xdc),
                pattern,
            };
            let figure = Figure::for_product("dam-vay", "Đầm maxi hoa nhí");
            assert_valid_svg(&draw(figure, fabric, View::Front));
        }
    }

    #[test]
    fn the_three_views_differ() {
        let figure = Figure::for_product("ao", "Áo sơ mi lụa công sở");
        let fabric = Fabric::plain(Rgb(0xf3, 0xe3, 0xd3));
        let [front, back, detail] = View::ALL.map(|v| draw(figure, fabric, v));
        assert_ne!(front, back);
        assert_ne!(front, detail);
        assert!(detail.contains(r#"viewBox="180 70 240 240""#), "{detail}");
        let shoe = Figure::for_product("giay", "Giày thể thao nam đế êm");
        let back = draw(shoe, fabric, View::Back);
        assert!(
            back.contains("scale(-1 1)"),
            "a shoe's back is its other side"
        );
    }

    #[test]
    fn the_fabric_colour_is_what_is_drawn() {
        let figure = Figure::for_product("quan", "Quần tây nam slim fit");
        let svg = draw(figure, Fabric::plain(Rgb(0x12, 0x34, 0x56)), View::Front);
        assert!(svg.contains(r##"fill="#123456""##), "{svg}");
        let other = draw(figure, Fabric::plain(Rgb(0xab, 0xcd, 0xef)), View::Front);
        assert!(!other.contains("#123456"));
    }

    #[test]
    fn only_children_s_wear_carries_the_motif() {
        let fabric = Fabric::plain(Rgb(0xf4, 0xa2, 0x61));
        let kids = draw(
            Figure::for_product("do-tre-em", "Áo khoác phao trẻ em"),
            fabric,
            View::Front,
        );
        let adult = draw(
            Figure {
                garment: Garment::Puffer,
                kids: false,
            },
            fabric,
            View::Front,
        );
        assert_eq!(
            kids.matches("<path").count(),
            adult.matches("<path").count() + 1
        );
    }

    #[test]
    fn view_slugs_round_trip() {
        for view in View::ALL {
            assert_eq!(View::from_slug(view.slug()), Some(view));
        }
        assert_eq!(View::from_slug("front"), None);
    }

    proptest! {
        #[test]
        fn any_colour_any_category_and_any_name_draw_valid_svg(
            r in any::<u8>(), g in any::<u8>(), b in any::<u8>(),
            category in "[a-z-]{0,12}|ao|quan|giay|do-tre-em",
            name in "\\PC{0,40}",
            view in 0usize..3,
        ) {
            let figure = Figure::for_product(&category, &name);
            assert_valid_svg(&draw(figure, Fabric::plain(Rgb(r, g, b)), View::ALL[view]));
        }
    }
}
