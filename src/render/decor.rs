//! Map furniture shared by `map.png` and `basins.png`: panels, a scale bar,
//! a north arrow, an elevation colour key and a coordinate frame with
//! ticks, all drawn on a [`Pixmap`] whose pixels cover known bounds.

use tiny_skia::{FillRule, LineCap, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform};

use super::text::Text;
use super::HeightRange;
use crate::dem::Crs;
use crate::geo::Bounds;

/// A paint of colour `rgb` at opacity `alpha` (0..=255), anti-aliased.
pub(crate) fn paint(rgb: [u8; 3], alpha: u8) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(rgb[0], rgb[1], rgb[2], alpha);
    p.anti_alias = true;
    p
}

/// A white, slightly transparent panel with a grey outline, pixels.
pub(crate) fn panel(map: &mut Pixmap, x: f32, y: f32, w: f32, h: f32) {
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        map.fill_rect(r, &paint([255; 3], 225), Transform::identity(), None);
        let path = PathBuilder::from_rect(r);
        let s = Stroke {
            width: 1.0,
            ..Stroke::default()
        };
        map.stroke_path(&path, &paint([90; 3], 255), &s, Transform::identity(), None);
    }
}

/// Text in `rgb` with a white halo, readable over any relief.
pub(crate) fn halo_text(map: &mut Pixmap, text: &Text, s: &str, x: f32, y: f32, rgb: [u8; 3]) {
    for (dx, dy) in [
        (-1.0, -1.0),
        (0.0, -1.5),
        (1.0, -1.0),
        (-1.5, 0.0),
        (1.5, 0.0),
        (-1.0, 1.0),
        (0.0, 1.5),
        (1.0, 1.0),
    ] {
        text.draw(map, s, x + dx, y + dy, [255; 3]);
    }
    text.draw(map, s, x, y, rgb);
}

/// The longest "nice" length (1, 2 or 5 times a power of ten) not above `max`.
pub(crate) fn nice_length(max: f64) -> f64 {
    let p = 10f64.powf(max.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * p)
        .find(|&l| l <= max)
        .unwrap_or(p)
}

/// A scale bar in the bottom-left corner for `metres_per_px` ground metres per pixel.
pub(crate) fn scale_bar(map: &mut Pixmap, metres_per_px: f64, text: &Text, scale: f32) {
    let (w, h) = (map.width() as f32, map.height() as f32);
    let length_m = nice_length(metres_per_px * (w as f64 / 4.0));
    let bar = (length_m / metres_per_px) as f32;
    let label = if length_m >= 1000.0 {
        format!("{} km", length_m / 1000.0)
    } else {
        format!("{length_m} m")
    };
    let pad = 10.0 * scale;
    let thick = 7.0 * scale;
    let panel_h = text.line_height() + thick + 3.0 * pad;
    // Above the bottom frame's tick labels.
    let (x, y) = (
        12.0 * scale,
        h - 2.0 * text.line_height() - 12.0 * scale - panel_h,
    );
    let label_w = text.width(&label);
    let zero_w = text.width("0");
    panel(
        map,
        x,
        y,
        bar + (label_w + zero_w) / 2.0 + 2.0 * pad,
        panel_h,
    );
    let (bx, by) = (
        x + pad + zero_w / 2.0,
        y + pad + text.line_height() + pad / 2.0,
    );
    // Two halves, black and white, outlined: the classic alternating bar.
    for (k, rgb) in [(0.0, [20u8; 3]), (0.5, [255u8; 3])] {
        if let Some(r) = Rect::from_xywh(bx + k * bar, by, bar / 2.0, thick) {
            map.fill_rect(r, &paint(rgb, 255), Transform::identity(), None);
        }
    }
    if let Some(r) = Rect::from_xywh(bx, by, bar, thick) {
        let s = Stroke {
            width: 1.5,
            ..Stroke::default()
        };
        map.stroke_path(
            &PathBuilder::from_rect(r),
            &paint([20; 3], 255),
            &s,
            Transform::identity(),
            None,
        );
    }
    text.draw(map, "0", bx - zero_w / 2.0, y + pad, [20; 3]);
    text.draw(map, &label, bx + bar - label_w / 2.0, y + pad, [20; 3]);
}

/// A north arrow in the top-right corner (the maps are drawn north up).
pub(crate) fn north_arrow(map: &mut Pixmap, text: &Text, scale: f32) {
    let w = map.width() as f32;
    let size = 34.0 * scale;
    let pad = 8.0 * scale;
    let (pw, ph) = (size + 2.0 * pad, size + text.line_height() + 2.5 * pad);
    // Inside the right frame's tick labels.
    let (x, y) = (w - pw - 12.0 * scale - text.width("00.00°N "), 12.0 * scale);
    panel(map, x, y, pw, ph);
    let cx = x + pw / 2.0;
    text.draw(map, "N", cx - text.width("N") / 2.0, y + pad, [20; 3]);
    let top = y + pad * 1.5 + text.line_height();
    let bottom = top + size;
    // Two halves: dark on the left, white on the right, as on printed maps.
    for (side, rgb) in [(-1.0f32, [20u8; 3]), (1.0, [255u8; 3])] {
        let mut pb = PathBuilder::new();
        pb.move_to(cx, top);
        pb.line_to(cx + side * size * 0.32, bottom);
        pb.line_to(cx, bottom - size * 0.28);
        pb.close();
        if let Some(p) = pb.finish() {
            map.fill_path(
                &p,
                &paint(rgb, 255),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
            let s = Stroke {
                width: 1.2,
                ..Stroke::default()
            };
            map.stroke_path(&p, &paint([20; 3], 255), &s, Transform::identity(), None);
        }
    }
}

/// An elevation colour key in the bottom-right corner: the unshaded ramp
/// of `range` from its lowest land to its highest height, labelled in
/// metres, and a sea swatch when `sea` is shown.
pub(crate) fn colour_key(map: &mut Pixmap, range: HeightRange, sea: bool, text: &Text, scale: f32) {
    let (w, h) = (map.width() as f32, map.height() as f32);
    let pad = 10.0 * scale;
    let bar_w = 18.0 * scale;
    let bar_h = (h * 0.28).clamp(60.0, 320.0 * scale);
    let low = range.min.max(0.0);
    let high = range.max.max(low + 1.0);
    let label = |z: f32| format!("{z:.0} m");
    let label_w = text.width(&label(high)).max(text.width(&label(low)));
    let sea_h = if sea { text.line_height() * 1.4 } else { 0.0 };
    let title = "elevation";
    let pw = (bar_w + pad + label_w).max(text.width(title)) + 2.0 * pad;
    let ph = text.line_height() * 1.3 + bar_h + text.line_height() + sea_h + 2.0 * pad;
    let x = w - pw - 12.0 * scale - text.width("00.00°N ");
    let y = h - ph - 2.0 * text.line_height() - 12.0 * scale;
    panel(map, x, y, pw, ph);
    text.draw(map, title, x + pad, y + pad, [20; 3]);
    let (bx, by) = (
        x + pad,
        y + pad + text.line_height() * 1.3 + text.line_height() / 2.0,
    );
    let steps = bar_h.ceil() as u32;
    for i in 0..steps {
        let t = 1.0 - i as f32 / (steps.max(2) - 1) as f32;
        let z = low + t * (high - low);
        let rgb = range.colour(z.max(0.01)).map(|v| v.clamp(0.0, 255.0) as u8);
        if let Some(r) = Rect::from_xywh(bx, by + i as f32, bar_w, 1.0) {
            map.fill_rect(r, &paint(rgb, 255), Transform::identity(), None);
        }
    }
    if let Some(r) = Rect::from_xywh(bx, by, bar_w, bar_h) {
        let s = Stroke {
            width: 1.0,
            ..Stroke::default()
        };
        map.stroke_path(
            &PathBuilder::from_rect(r),
            &paint([60; 3], 255),
            &s,
            Transform::identity(),
            None,
        );
    }
    let lx = bx + bar_w + pad / 2.0;
    let half = text.line_height() / 2.0;
    text.draw(map, &label(high), lx, by - half, [20; 3]);
    text.draw(map, &label(low), lx, by + bar_h - half, [20; 3]);
    if sea {
        let sy = by + bar_h + text.line_height() * 0.9;
        if let Some(r) = Rect::from_xywh(bx, sy, bar_w, text.line_height()) {
            let rgb = SEA_RGB;
            map.fill_rect(r, &paint(rgb, 255), Transform::identity(), None);
        }
        text.draw(map, "sea", lx, sy, [20; 3]);
    }
}

/// The colour the sea is drawn in, sRGB.
pub(crate) const SEA_RGB: [u8; 3] = [148, 196, 230];

/// A coordinate frame: ticks at round values of the CRS coordinates along
/// the four edges, labelled along the bottom (x) and the right (y) edges.
/// `bounds` are the picture's outer edges in
/// CRS units (degrees on geographic grids, labelled °N/°S/°E/°W; metres
/// otherwise).
pub(crate) fn coordinate_frame(
    map: &mut Pixmap,
    bounds: Bounds,
    crs: &Crs,
    text: &Text,
    scale: f32,
) {
    let (w, h) = (map.width() as f32, map.height() as f32);
    let [west, south, east, north] = bounds.to_array();
    if !(east > west && north > south) {
        return;
    }
    let geographic = crs.is_geographic();
    let tick = 8.0 * scale;
    let line = |map: &mut Pixmap, x0: f32, y0: f32, x1: f32, y1: f32, width: f32, rgb: [u8; 3]| {
        let mut pb = PathBuilder::new();
        pb.move_to(x0, y0);
        pb.line_to(x1, y1);
        if let Some(p) = pb.finish() {
            let s = Stroke {
                width,
                line_cap: LineCap::Butt,
                ..Stroke::default()
            };
            map.stroke_path(&p, &paint(rgb, 255), &s, Transform::identity(), None);
        }
    };
    // The frame itself.
    if let Some(r) = Rect::from_xywh(0.5, 0.5, w - 1.0, h - 1.0) {
        let s = Stroke {
            width: 1.5 * scale,
            ..Stroke::default()
        };
        map.stroke_path(
            &PathBuilder::from_rect(r),
            &paint([30; 3], 255),
            &s,
            Transform::identity(),
            None,
        );
    }
    let label = |v: f64, step: f64, is_x: bool| -> String {
        if geographic {
            let decimals = (-step.log10().floor()).max(0.0) as usize;
            let hemi = match (is_x, v < 0.0) {
                (true, false) => "E",
                (true, true) => "W",
                (false, false) => "N",
                (false, true) => "S",
            };
            format!("{:.*}°{hemi}", decimals, v.abs())
        } else {
            format!("{v:.0}")
        }
    };
    // x ticks, bottom and top; labels along the bottom.
    let step_x = nice_length((east - west) / 4.0);
    let mut v = (west / step_x).ceil() * step_x;
    while v <= east {
        let px = ((v - west) / (east - west) * w as f64) as f32;
        line(map, px, h, px, h - tick, 2.0 * scale, [30; 3]);
        line(map, px, 0.0, px, tick, 2.0 * scale, [30; 3]);
        let s = label(v, step_x, true);
        let tw = text.width(&s);
        // Clear of the corner, where the right edge's labels are.
        if px - tw / 2.0 >= 2.0 && px + tw / 2.0 <= w - text.width("00.00°N ") - tick {
            let ty = h - tick - text.line_height() - 2.0;
            halo_text(map, text, &s, px - tw / 2.0, ty, [20; 3]);
        }
        v += step_x;
    }
    // y ticks, left and right; labels along the right.
    let step_y = nice_length((north - south) / 4.0);
    let mut v = (south / step_y).ceil() * step_y;
    while v <= north {
        let py = ((north - v) / (north - south) * h as f64) as f32;
        line(map, 0.0, py, tick, py, 2.0 * scale, [30; 3]);
        line(map, w, py, w - tick, py, 2.0 * scale, [30; 3]);
        let s = label(v, step_y, false);
        let tw = text.width(&s);
        let ty = py - text.line_height() / 2.0;
        // Clear of the top edge and of the bottom edge's labels.
        if ty >= 2.0 && ty + text.line_height() <= h - tick - 1.5 * text.line_height() {
            halo_text(map, text, &s, w - tick - tw - 3.0, ty, [20; 3]);
        }
        v += step_y;
    }
}

#[cfg(test)]
mod tests {
    use super::nice_length;

    #[test]
    fn nice_lengths_are_one_two_five() {
        for (max, want) in [(2600.0, 2000.0), (999.0, 500.0), (0.3, 0.2), (0.07, 0.05)] {
            assert!((nice_length(max) - want).abs() < 1e-12, "{max}");
        }
    }
}
