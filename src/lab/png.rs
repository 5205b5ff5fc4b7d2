//! Drawing figures into memory and encoding them as PNG.

use crate::geo::Rgb;
use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::error::{Error, Result};

/// The font family name figures use; the bundled DejaVu Sans is registered under it.
pub(crate) const FONT: &str = "sans-serif";

/// What drawing code returns: plotters errors boxed.
pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::param(
            "the bundled font assets/fonts/DejaVuSans.ttf could not be read",
        ))
    }
}

/// Draws a `width` x `height` figure with `draw` and returns it encoded as
/// PNG; `path` (where it will be written, through
/// [`crate::export::OutputDir`]) names it in messages.
pub(crate) fn render_png(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> DrawResult,
) -> Result<Vec<u8>> {
    register_font()?;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(root).map_err(|e| Error::bad_file(path, format!("cannot draw the figure: {e}")))?;
    }
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| Error::bad_file(path, "the figure buffer has the wrong size"))?;
    let mut encoded = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut encoded, image::ImageFormat::Png)
        .map_err(|e| Error::bad_file(path, format!("cannot encode the PNG: {e}")))?;
    Ok(encoded.into_inner())
}

/// A colour (as [`crate::agents::AgentKind::colour`] gives) in plotters' type.
pub(crate) fn plot_colour(c: Rgb) -> RGBColor {
    RGBColor(c.r, c.g, c.b)
}

/// Linear interpolation through colour `stops` (positions 0..=1), at `t` clamped to [0, 1].
pub(crate) fn ramp(stops: &[(f64, (u8, u8, u8))], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    for w in stops.windows(2) {
        let ((t0, a), (t1, b)) = (w[0], w[1]);
        if t <= t1 {
            let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
            let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
            return RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
        }
    }
    let (_, c) = stops.last().copied().unwrap_or((1.0, (0, 0, 0)));
    RGBColor(c.0, c.1, c.2)
}
