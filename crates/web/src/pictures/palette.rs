//! What each colour name of the catalog looks like, in one place.
//!
//! The catalog names a variant's colour in words (`Xanh navy`, `Hoa nhí hồng`), as shops do;
//! the drawings need a colour value. Rather than store a value per variant (a schema change
//! for what only the demo's illustrations use), the drawing code maps names to fabrics here.
//! A name missing from this table is drawn in the product's own colour (`products.color_hex`),
//! and a test keeps every colour of the demo catalog in the table.

use std::fmt;

/// A colour as red, green and blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, or `None` for anything else.
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        Some(Rgb(channel(0)?, channel(2)?, channel(4)?))
    }

    /// Mixed with black by `amount` (0 = unchanged, 1 = black).
    pub fn darker(self, amount: f32) -> Rgb {
        self.mix(Rgb(0, 0, 0), amount)
    }

    /// Mixed with white by `amount` (0 = unchanged, 1 = white).
    pub fn lighter(self, amount: f32) -> Rgb {
        self.mix(Rgb(255, 255, 255), amount)
    }

    fn mix(self, other: Rgb, amount: f32) -> Rgb {
        let t = amount.clamp(0.0, 1.0);
        // Both ends are 0..=255 and t is 0..=1, so the result stays within u8.
        let channel =
            |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb(
            channel(self.0, other.0),
            channel(self.1, other.1),
            channel(self.2, other.2),
        )
    }

    /// Perceived brightness below the middle (ITU-R BT.601 weights).
    pub fn is_dark(self) -> bool {
        (u32::from(self.0) * 299 + u32::from(self.1) * 587 + u32::from(self.2) * 114) / 1000 < 140
    }

    /// The colour for lines drawn on this one: darker on light colours, lighter on dark ones,
    /// so seams and buttons show on black and on white alike.
    pub fn ink(self) -> Rgb {
        if self.is_dark() {
            self.lighter(0.35)
        } else {
            self.darker(0.35)
        }
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// How a fabric's surface looks besides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Plain,
    /// Small flowers or dots of a second colour (`Hoa nhí`).
    Dots(Rgb),
    /// Checks of a second colour (`caro`).
    Check(Rgb),
    /// Bands of two more colours (`Nhiều màu`, `Tông đỏ`: brocade and woven bands).
    Bands(Rgb, Rgb),
    /// A woven basket surface (`cói`).
    Weave(Rgb),
    /// Tortoiseshell spots.
    Spots(Rgb),
}

/// A colour with its pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fabric {
    pub base: Rgb,
    pub pattern: Pattern,
}

impl Fabric {
    pub fn plain(base: Rgb) -> Fabric {
        Fabric {
            base,
            pattern: Pattern::Plain,
        }
    }
}

const fn rgb(hex: u32) -> Rgb {
    Rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

const fn plain(hex: u32) -> Fabric {
    Fabric {
        base: rgb(hex),
        pattern: Pattern::Plain,
    }
}

const fn with(hex: u32, pattern: Pattern) -> Fabric {
    Fabric {
        base: rgb(hex),
        pattern,
    }
}

/// Every colour name the catalog uses, by its Vietnamese name.
const FABRICS: &[(&str, Fabric)] = &[
    ("Đen", plain(0x222222)),
    ("Trắng", plain(0xf7f7f4)),
    ("Be", plain(0xd9c7a7)),
    ("Nâu", plain(0x6b4a34)),
    ("Xám", plain(0x8a8d91)),
    ("Xanh navy", plain(0x1f2f4f)),
    ("Hồng", plain(0xf2a7b8)),
    ("Trắng kem", plain(0xf3ead8)),
    ("Xanh rêu", plain(0x4f5d3a)),
    ("Xanh đậm", plain(0x22406b)),
    ("Xanh nhạt", plain(0x8fb3d9)),
    ("Hồng phấn", plain(0xf4c6cf)),
    ("Xanh pastel", plain(0xaac9e8)),
    ("Bạc", plain(0xc0c4c8)),
    ("Xanh da trời", plain(0x79b8e6)),
    ("Nâu camel", plain(0xb5834f)),
    ("Đỏ mận", plain(0x7a2439)),
    ("Hồng đào", plain(0xf6b49a)),
    ("Xám than", plain(0x3b3f45)),
    ("Nâu đất", plain(0x9a5b3c)),
    ("Hoa nhí hồng", with(0xf5d3dc, Pattern::Dots(rgb(0xd9587a)))),
    ("Hoa nhí xanh", with(0xd6e4f2, Pattern::Dots(rgb(0x3d6fb0)))),
    ("Xanh ô liu", plain(0x6b6f3a)),
    ("Đỏ rượu vang", plain(0x6d1a2b)),
    ("Vàng champagne", plain(0xe3cf9e)),
    ("Tím oải hương", plain(0xb9a5d6)),
    (
        "Nhiều màu",
        with(0xa0522d, Pattern::Bands(rgb(0xd9a441), rgb(0x2f6f6a))),
    ),
    ("Cam neon", plain(0xff6b1a)),
    ("Đỏ", plain(0xc0262d)),
    ("Vàng ánh kim", plain(0xd4af37)),
    ("Hồng đất", plain(0xc08081)),
    (
        "Màu cói tự nhiên",
        with(0xd2b47c, Pattern::Weave(rgb(0xa8844c))),
    ),
    (
        "Tông xanh",
        with(0x2f5d8a, Pattern::Bands(rgb(0x5fa3c7), rgb(0xe8e0cf))),
    ),
    (
        "Tông đỏ",
        with(0x9e2a2b, Pattern::Bands(rgb(0xd9643a), rgb(0xf0dcc0))),
    ),
    ("Xám caro", with(0x8a8d91, Pattern::Check(rgb(0x45484d)))),
    ("Đỏ caro", with(0xb3262e, Pattern::Check(rgb(0x2a2a2a)))),
    ("Cam đất", plain(0xc8643b)),
    ("Xanh ngọc", plain(0x1f8a8a)),
    ("Đỏ đô", plain(0x7b1e2a)),
    ("Đồi mồi", with(0x8a5a2b, Pattern::Spots(rgb(0x3a220f)))),
    ("Bạc mạ vàng", plain(0xd8c27a)),
    ("Xanh xám", plain(0x7f9c94)),
    ("Tím than", plain(0x3a2f55)),
    ("Xanh dương", plain(0x1f6fc2)),
    ("Cam san hô", plain(0xf07b5f)),
    ("Xám tiêu", with(0xa3a6a8, Pattern::Dots(rgb(0x7c7f82)))),
    ("Tím pastel", plain(0xcdb8e6)),
    ("Cam", plain(0xf28c28)),
    ("Xanh lá", plain(0x3aa655)),
    ("Vàng", plain(0xf5c518)),
    ("Xanh mint", plain(0xa8e6cf)),
    ("Gấu nâu", plain(0x8b5a2b)),
    ("Khủng long xanh", plain(0x4caf50)),
    ("Thỏ hồng", plain(0xf7b6c8)),
];

/// The fabric of a colour name, compared without regard to case or surrounding spaces.
pub fn fabric_of(name_vi: &str) -> Option<Fabric> {
    let wanted = name_vi.trim().to_lowercase();
    FABRICS
        .iter()
        .find(|(name, _)| name.to_lowercase() == wanted)
        .map(|(_, fabric)| *fabric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_parse_exactly() {
        assert_eq!(Rgb::parse("#1b2a4a"), Some(Rgb(0x1b, 0x2a, 0x4a)));
        for bad in ["1b2a4a", "#1b2a4", "#1b2a4aa", "#zzzzzz", "red;<x>", "#ééé"] {
            assert_eq!(Rgb::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Rgb(0x1b, 0x2a, 0x4a).to_string(), "#1b2a4a");
    }

    #[test]
    fn lines_contrast_with_the_fabric() {
        assert!(Rgb(0x1b, 0x2a, 0x4a).is_dark());
        assert!(!Rgb(0xf5, 0xe6, 0xc8).is_dark());
        let black = rgb(0x222222);
        assert!(black.ink().0 > black.0, "lines on black are lighter");
        let white = rgb(0xf7f7f4);
        assert!(white.ink().0 < white.0, "lines on white are darker");
        assert_eq!(Rgb(255, 255, 255).darker(1.0), Rgb(0, 0, 0));
        assert_eq!(Rgb(0, 0, 0).lighter(1.0), Rgb(255, 255, 255));
    }

    #[test]
    fn names_are_found_whatever_their_case() {
        assert_eq!(fabric_of(" xanh NAVY "), Some(plain(0x1f2f4f)));
        assert_eq!(fabric_of("Màu không có"), None);
    }

    #[test]
    fn every_colour_of_the_demo_catalog_has_a_fabric() {
        let catalog: serde_json::Value =
            serde_json::from_str(include_str!("../../../services/data/demo-catalog.json")).unwrap();
        let mut missing = Vec::new();
        for product in catalog["products"].as_array().unwrap() {
            for variant in product["variants"].as_array().unwrap() {
                let name = variant["color_vi"].as_str().unwrap();
                if fabric_of(name).is_none() {
                    missing.push(name.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "colours without a fabric: {missing:?}");
    }
}
