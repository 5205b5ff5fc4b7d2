//! Drawing text on a map with the bundled DejaVu Sans font.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use tiny_skia::{Pixmap, PremultipliedColorU8};

use crate::error::{Error, Result};

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A font at one size, in pixels.
pub struct Text {
    font: FontRef<'static>,
    scale: PxScale,
}

impl Text {
    /// DejaVu Sans at `size_px` pixels (the height of a line).
    pub fn new(size_px: f32) -> Result<Self> {
        let font = FontRef::try_from_slice(DEJAVU_SANS)
            .map_err(|e| Error::param(format!("the bundled font cannot be read: {e}")))?;
        Ok(Text {
            font,
            scale: PxScale::from(size_px),
        })
    }

    /// Height of a line in pixels (ascent minus descent).
    pub fn line_height(&self) -> f32 {
        let f = self.font.as_scaled(self.scale);
        f.ascent() - f.descent()
    }

    /// Width of `s` in pixels.
    pub fn width(&self, s: &str) -> f32 {
        let f = self.font.as_scaled(self.scale);
        let mut x = 0.0;
        let mut prev = None;
        for ch in s.chars() {
            let id = f.glyph_id(ch);
            if let Some(p) = prev {
                x += f.kern(p, id);
            }
            x += f.h_advance(id);
            prev = Some(id);
        }
        x
    }

    /// Draws `s` with its top-left corner at (`x`, `y`) pixels, in `rgb`.
    pub fn draw(&self, pixmap: &mut Pixmap, s: &str, x: f32, y: f32, rgb: [u8; 3]) {
        let f = self.font.as_scaled(self.scale);
        let baseline = y + f.ascent();
        let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
        let mut pen = x;
        let mut prev = None;
        for ch in s.chars() {
            let id = f.glyph_id(ch);
            if let Some(p) = prev {
                pen += f.kern(p, id);
            }
            let glyph = id.with_scale_and_position(self.scale, ab_glyph::point(pen, baseline));
            pen += f.h_advance(id);
            prev = Some(id);
            let Some(outlined) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let b = outlined.px_bounds();
            let pixels = pixmap.pixels_mut();
            outlined.draw(|gx, gy, coverage| {
                let (px, py) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                if px < 0 || py < 0 || px >= w || py >= h {
                    return;
                }
                let i = (py * w + px) as usize;
                pixels[i] = blend(pixels[i], rgb, coverage.clamp(0.0, 1.0));
            });
        }
    }
}

/// `dst` with an opaque colour `rgb` laid over it at opacity `a` (premultiplied "over").
pub fn blend(dst: PremultipliedColorU8, rgb: [u8; 3], a: f32) -> PremultipliedColorU8 {
    let mix = |s: u8, d: u8| (s as f32 * a + d as f32 * (1.0 - a)).round() as u8;
    let alpha = mix(255, dst.alpha());
    let (r, g, b) = (
        mix(rgb[0], dst.red()).min(alpha),
        mix(rgb[1], dst.green()).min(alpha),
        mix(rgb[2], dst.blue()).min(alpha),
    );
    PremultipliedColorU8::from_rgba(r, g, b, alpha).unwrap_or(dst)
}
