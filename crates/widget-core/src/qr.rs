//! The QR code of an LPA string, as SVG for the page.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The QR code's modules: `true` for dark, row by row, and the width. Error
/// correction M, as printed eSIM QR codes use.
///
/// # Errors
/// When the text is too long for a QR code.
pub fn modules(text: &str) -> Result<(Vec<bool>, usize), qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok((dark, width))
}

/// An SVG of the QR code with its 4-module quiet zone, at least 256 px wide so that
/// another phone's camera reads it from the screen. Dark on white, whatever the theme.
///
/// # Errors
/// When the text is too long for a QR code.
pub fn svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws the modules into a greyscale image (4 px a module, with the quiet zone)
    /// and reads it back with an independent decoder.
    fn decode(text: &str) -> String {
        let (dark, width) = modules(text).expect("encodes");
        let scale = 4;
        let quiet = 4;
        let size = (width + 2 * quiet) * scale;
        let pixel = |x: usize, y: usize| -> u8 {
            let (mx, my) = (x / scale, y / scale);
            if mx < quiet || my < quiet || mx >= width + quiet || my >= width + quiet {
                return 255;
            }
            if dark[(my - quiet) * width + (mx - quiet)] {
                0
            } else {
                255
            }
        };
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, pixel);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code found");
        let (_, content) = grids[0].decode().expect("decodes");
        content
    }

    #[test]
    fn the_qr_code_decodes_to_the_lpa_string() {
        let lpa = "LPA:1$sm-dp-plus.sandbox.simology.net$SIMO-ABCDE-FGHJK-LMNPQ";
        assert_eq!(decode(lpa), lpa);
        let with_oid = "LPA:1$smdp.example.com$K2-1X$1.3.6.1.4.1.31746$1";
        assert_eq!(decode(with_oid), with_oid);
    }

    #[test]
    fn the_svg_has_a_quiet_zone_and_scannable_size() {
        let svg = svg("LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234").expect("encodes");
        assert!(svg.starts_with("<?xml") || svg.contains("<svg"));
        let (_, width) = modules("LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234").expect("encodes");
        let size: usize = svg
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("a width");
        assert!(size >= 256, "{size}");
        assert_eq!(
            size % (width + 8),
            0,
            "whole pixels per module, 4-module quiet zone each side"
        );
        assert!(svg.contains("#ffffff") && svg.contains("#000000"));
    }
}
