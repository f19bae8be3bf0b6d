//! The QR code of a payload, drawn as SVG for pages and as PNG for email.
//!
//! Error correction level M (15 % of the code may be damaged or covered) and the quiet zone of
//! four modules the QR standard asks for, so phone cameras read it from a screen or a
//! printout. Both images are drawn from the same module matrix; the `qrcode` crate only
//! computes that matrix.

use crate::error::RenderError;
use crate::payload::Payload;
use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;
use std::num::NonZeroU32;

/// The light border around the code, in modules, that the QR standard requires.
pub const QUIET_ZONE_MODULES: usize = 4;

/// The largest module the PNG draws, in pixels: 32 px per module already makes a
/// print-quality image of a VietQR code (about 1,600 px wide).
pub const MAX_PNG_PIXELS_PER_MODULE: u32 = 32;

/// The modules of a payload's QR code, quiet zone not included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side.
    side: usize,
    /// Row by row, `true` for dark.
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `payload` at error correction level M, in the smallest QR version it fits.
    pub fn new(payload: &Payload) -> Result<QrMatrix, RenderError> {
        let code = QrCode::with_error_correction_level(payload.as_str(), EcLevel::M)
            .map_err(RenderError::Encode)?;
        Ok(QrMatrix {
            side: code.width(),
            dark: code
                .into_colors()
                .into_iter()
                .map(|color| color == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, quiet zone not included.
    pub fn side(&self) -> usize {
        self.side
    }

    /// Whether the module in column `x`, row `y` is dark; `false` outside the code, which is
    /// the light quiet zone.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.side && y < self.side && self.dark.get(y * self.side + x) == Some(&true)
    }

    /// Modules per side of the drawn image, quiet zone included.
    fn drawn_side(&self) -> usize {
        self.side + 2 * QUIET_ZONE_MODULES
    }

    /// The code as an SVG element to put in a page.
    ///
    /// Its `viewBox` counts modules and its only size is `width_px`: with no `height` the
    /// browser keeps it square, and the page's CSS may shrink it (`max-width: 100%`) on a narrow
    /// phone. `role="img"` and `aria-label` give screen readers `label` (say what the code is for
    /// and that the same details are written beside it). Dark modules are one path of
    /// rectangles with `shape-rendering="crispEdges"`, on a white square, so the code stays
    /// sharp and readable on a dark page too. The element has no `style` attribute, which the
    /// shop's Content-Security-Policy would block.
    pub fn to_svg(&self, width_px: NonZeroU32, label: &str) -> Result<String, RenderError> {
        if let Some(index) = label.chars().position(char::is_control) {
            return Err(RenderError::LabelControl {
                position: index + 1,
            });
        }
        let side = self.drawn_side();
        let mut svg = String::with_capacity(256 + self.side * self.side * 4);
        // Writing to a String cannot fail: `fmt::Write for String` always returns Ok.
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
             width=\"{width_px}\" role=\"img\" aria-label=\"{label}\" \
             shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
            label = escape_attribute(label),
        );
        for y in 0..self.side {
            let mut x = 0;
            while x < self.side {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.side && self.is_dark(x, y) {
                    x += 1;
                }
                let _ = write!(
                    svg,
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE_MODULES,
                    y + QUIET_ZONE_MODULES,
                    x - start,
                    x - start
                );
            }
        }
        svg.push_str("\"/></svg>");
        Ok(svg)
    }

    /// The code as a PNG: 1-bit grayscale, `pixels_per_module` pixels for each module, quiet
    /// zone included. A few hundred bytes, small enough to attach inline to every email.
    pub fn to_png(&self, pixels_per_module: u32) -> Result<Vec<u8>, RenderError> {
        if !(1..=MAX_PNG_PIXELS_PER_MODULE).contains(&pixels_per_module) {
            return Err(RenderError::ModuleSize {
                requested: pixels_per_module,
                max: MAX_PNG_PIXELS_PER_MODULE,
            });
        }
        let scale = pixels_per_module as usize;
        let side_px = self.drawn_side() * scale;
        let row_bytes = side_px.div_ceil(8);
        // In 1-bit grayscale a set bit is white: start white and clear the dark pixels.
        let mut pixels = vec![0xFF_u8; row_bytes * side_px];
        for (y_px, row) in pixels.chunks_exact_mut(row_bytes).enumerate() {
            let Some(y) = (y_px / scale).checked_sub(QUIET_ZONE_MODULES) else {
                continue;
            };
            for x_px in 0..side_px {
                let dark = (x_px / scale)
                    .checked_sub(QUIET_ZONE_MODULES)
                    .is_some_and(|x| self.is_dark(x, y));
                if dark {
                    if let Some(byte) = row.get_mut(x_px / 8) {
                        *byte &= !(0x80 >> (x_px % 8));
                    }
                }
            }
        }
        // Lossless: the side is at most (177 + 8) modules × 32 px (the largest QR version and
        // the largest module checked above), far below u32::MAX.
        let side_px_u32 = side_px as u32;
        let mut png_bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut png_bytes, side_px_u32, side_px_u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header().map_err(RenderError::Png)?;
        writer.write_image_data(&pixels).map_err(RenderError::Png)?;
        writer.finish().map_err(RenderError::Png)?;
        Ok(png_bytes)
    }
}

/// Escapes text for a double-quoted XML attribute.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountNumber, Amount, BankBin, Transfer, TransferReference};

    fn payload() -> Payload {
        Transfer::new(
            BankBin::parse("970436").expect("bin"),
            AccountNumber::parse("1017595600").expect("account"),
            Amount::new(180_000).expect("amount"),
            TransferReference::parse("HJ0123456789").expect("reference"),
        )
        .payload()
    }

    fn width(px: u32) -> NonZeroU32 {
        NonZeroU32::new(px).expect("not zero")
    }

    #[test]
    fn the_matrix_is_a_qr_code_at_level_m() {
        let matrix = QrMatrix::new(&payload()).expect("fits");
        // Versions are 21 + 4k modules wide.
        assert_eq!((matrix.side() - 21) % 4, 0);
        // Every code has its three finder patterns: dark 7×7 squares at three corners.
        let last = matrix.side() - 1;
        for (x, y) in [(0, 0), (6, 0), (0, 6), (last, 0), (0, last), (last - 6, 6)] {
            assert!(matrix.is_dark(x, y), "finder corner at {x},{y}");
        }
        assert!(!matrix.is_dark(matrix.side(), 0));
    }

    #[test]
    fn the_svg_is_square_sized_by_width_only_and_labelled() {
        let matrix = QrMatrix::new(&payload()).expect("fits");
        let svg = matrix
            .to_svg(width(240), "Mã QR chuyển khoản <đơn> \"HJ\" & 'x'")
            .expect("draws");
        let side = matrix.side() + 8;
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        assert!(svg.contains(" width=\"240\""));
        let svg_tag = svg.split('>').next().expect("an opening tag");
        assert!(!svg_tag.contains("height"), "{svg_tag}");
        assert!(svg.contains(&format!("<rect width=\"{side}\" height=\"{side}\"")));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains(
            "aria-label=\"Mã QR chuyển khoản &lt;đơn&gt; &quot;HJ&quot; &amp; &#39;x&#39;\""
        ));
        assert!(!svg.contains("style="));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn the_svg_path_covers_exactly_the_dark_modules() {
        let matrix = QrMatrix::new(&payload()).expect("fits");
        let svg = matrix.to_svg(width(200), "QR").expect("draws");
        let path = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a path");
        let mut drawn = vec![false; matrix.side() * matrix.side()];
        for run in path.split('z').filter(|run| !run.is_empty()) {
            // Each run is "M{x} {y}h{n}v1h-{n}".
            let (start, rest) = run
                .trim_start_matches('M')
                .split_once('h')
                .expect("M x y h");
            let (x, y) = start.split_once(' ').expect("x y");
            let n = rest.split('v').next().expect("h n");
            let (x, y, n): (usize, usize, usize) = (
                x.parse().expect("x"),
                y.parse().expect("y"),
                n.parse().expect("n"),
            );
            assert!(rest.ends_with(&format!("v1h-{n}")));
            for column in x..x + n {
                let (mx, my) = (column - QUIET_ZONE_MODULES, y - QUIET_ZONE_MODULES);
                assert!(!drawn[my * matrix.side() + mx], "drawn twice at {mx},{my}");
                drawn[my * matrix.side() + mx] = true;
            }
        }
        for y in 0..matrix.side() {
            for x in 0..matrix.side() {
                assert_eq!(
                    drawn[y * matrix.side() + x],
                    matrix.is_dark(x, y),
                    "{x},{y}"
                );
            }
        }
    }

    #[test]
    fn a_label_with_control_characters_is_refused() {
        let matrix = QrMatrix::new(&payload()).expect("fits");
        assert!(matches!(
            matrix.to_svg(width(200), "QR\u{0}code"),
            Err(RenderError::LabelControl { position: 3 })
        ));
    }

    #[test]
    fn the_png_has_the_modules_and_the_quiet_zone() {
        let matrix = QrMatrix::new(&payload()).expect("fits");
        let scale = 6;
        let bytes = matrix.to_png(scale).expect("draws");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let info = reader.info();
        let side_px = (matrix.side() + 8) * scale as usize;
        assert_eq!(info.width as usize, side_px);
        assert_eq!(info.height as usize, side_px);
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::One);
        let row_bytes = side_px.div_ceil(8);
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        reader.next_frame(&mut pixels).expect("one frame");
        let white = |x: usize, y: usize| pixels[y * row_bytes + x / 8] & (0x80 >> (x % 8)) != 0;
        for y_px in 0..side_px {
            for x_px in 0..side_px {
                let (mx, my) = (x_px / scale as usize, y_px / scale as usize);
                let dark = mx >= 4 && my >= 4 && matrix.is_dark(mx - 4, my - 4);
                assert_eq!(!white(x_px, y_px), dark, "pixel {x_px},{y_px}");
            }
        }
    }

    #[test]
    fn module_sizes_out_of_range_are_refused() {
        let matrix = QrMatrix::new(&payload()).expect("fits");
        assert!(matches!(
            matrix.to_png(0),
            Err(RenderError::ModuleSize { requested: 0, .. })
        ));
        assert!(matches!(
            matrix.to_png(33),
            Err(RenderError::ModuleSize { requested: 33, .. })
        ));
        assert!(matrix.to_png(1).is_ok());
        assert!(matrix.to_png(32).is_ok());
    }
}
