//! Track maps: the colour relief around agents' paths, with a legend and a scale bar.
//!
//! The picture is drawn at a true ground aspect ratio (on geographic grids
//! the east-west size of a cell is shrunk by the cosine of the latitude),
//! tracks are anti-aliased lines in each agent's GeoJSON `stroke` colour
//! ([`AgentKind::colour`](crate::agents::AgentKind::colour)) on a white
//! halo, starts are hollow rings and ends filled dots.

use image::RgbaImage;
use tiny_skia::{
    FillRule, IntSize, LineCap, LineJoin, Paint, PathBuilder, Pixmap, PixmapPaint, Rect, Stroke,
    Transform,
};

use super::text::Text;
use super::{hillshade, tint, HeightRange, ShadeOptions};
use crate::agents::Track;
use crate::dem::{Dem, GeoTransform};
use crate::error::{Error, Result};
use crate::terrain::Terrain;

/// Which part of the grid a map shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extent {
    /// The tracks' bounding box, grown on every side by `margin` times its
    /// larger side (e.g. 0.3), and to at least 60 samples across.
    Tracks {
        /// Margin as a fraction of the tracks' larger side (dimensionless).
        margin: f64,
    },
    /// The whole grid.
    Full,
}

/// How a track map is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    /// The part of the grid to show.
    pub extent: Extent,
    /// Width of the picture in pixels; the height follows the ground's aspect ratio.
    pub width_px: u32,
    /// A line of text above the legend, e.g. the start and the tile name.
    pub title: Option<String>,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            extent: Extent::Tracks { margin: 0.3 },
            width_px: 1400,
            title: None,
        }
    }
}

/// A finished map and where it lies.
#[derive(Debug, Clone)]
pub struct RenderedMap {
    /// The picture, RGBA; voids are transparent.
    pub image: RgbaImage,
    /// Outer edges `[west, south, east, north]` of the picture in the grid's CRS units.
    pub bounds_xy: [f64; 4],
}

/// Fewest samples a cropped map spans on each side.
const MIN_SAMPLES: f64 = 60.0;

/// Rows `r0..r1` and columns `c0..c1` of the grid a map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    r0: usize,
    r1: usize,
    c0: usize,
    c1: usize,
}

fn crop_window(dem: &Dem, tracks: &[Track], extent: Extent) -> Result<Window> {
    let (rows, cols) = (dem.rows(), dem.cols());
    let full = Window {
        r0: 0,
        r1: rows,
        c0: 0,
        c1: cols,
    };
    let margin = match extent {
        Extent::Full => return Ok(full),
        Extent::Tracks { margin } => margin,
    };
    if !(margin.is_finite() && margin >= 0.0) {
        return Err(Error::param(format!(
            "the map margin is {margin}; it must be a non-negative fraction"
        )));
    }
    let (mut rmin, mut rmax, mut cmin, mut cmax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in tracks.iter().flat_map(|t| &t.points) {
        let (r, c) = dem.sample_index(p.position);
        if r.is_finite() && c.is_finite() {
            (rmin, rmax, cmin, cmax) = (rmin.min(r), rmax.max(r), cmin.min(c), cmax.max(c));
        }
    }
    if rmin > rmax {
        return Ok(full);
    }
    let (dx, dy) = dem.cell_size_m((rmin + rmax) / 2.0);
    // Grow in ground metres so both sides get the same margin on the ground.
    let (mut half_w, mut half_h) = ((cmax - cmin) / 2.0 * dx, (rmax - rmin) / 2.0 * dy);
    let pad = margin * 2.0 * half_w.max(half_h);
    half_w = (half_w + pad).max(MIN_SAMPLES / 2.0 * dx);
    half_h = (half_h + pad).max(MIN_SAMPLES / 2.0 * dy);
    // Keep the picture between 3:2 landscape and 4:5 portrait.
    half_h = half_h.max(half_w / 1.5);
    half_w = half_w.max(half_h * 0.8);
    let (rc, cc) = ((rmin + rmax) / 2.0, (cmin + cmax) / 2.0);
    let clamp = |v: f64, n: usize| v.round().clamp(0.0, n as f64) as usize;
    let w = Window {
        r0: clamp(rc - half_h / dy, rows),
        r1: clamp(rc + half_h / dy + 1.0, rows),
        c0: clamp(cc - half_w / dx, cols),
        c1: clamp(cc + half_w / dx + 1.0, cols),
    };
    if w.r1 < w.r0 + 2 || w.c1 < w.c0 + 2 {
        return Ok(full);
    }
    Ok(w)
}

/// The sub-grid `rows r0..r1`, `cols c0..c1` as a grid of its own.
fn crop(dem: &Dem, r0: usize, r1: usize, c0: usize, c1: usize) -> Dem {
    let t = dem.transform;
    Dem {
        heights: dem
            .heights
            .slice(ndarray::s![r0..r1, c0..c1])
            .as_standard_layout()
            .into_owned(),
        transform: GeoTransform {
            origin_x: t.origin_x + c0 as f64 * t.cell_x,
            origin_y: t.origin_y - r0 as f64 * t.cell_y,
            ..t
        },
        crs: dem.crs.clone(),
        inputs: vec![],
    }
}

/// Parses `#rrggbb`.
fn parse_hex(s: &str) -> [u8; 3] {
    let v = u32::from_str_radix(s.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn paint(rgb: [u8; 3], alpha: u8) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(rgb[0], rgb[1], rgb[2], alpha);
    p.anti_alias = true;
    p
}

/// The relief of `window`, tinted and shaded, RGBA at one pixel per sample.
fn relief(dem: &Dem, w: Window) -> Result<Pixmap> {
    // Shade with a one-sample border so the crop's edges see their real neighbours.
    let (pr0, pc0) = (w.r0.saturating_sub(1), w.c0.saturating_sub(1));
    let (pr1, pc1) = ((w.r1 + 1).min(dem.rows()), (w.c1 + 1).min(dem.cols()));
    let padded = crop(dem, pr0, pr1, pc0, pc1);
    let inner = crop(dem, w.r0, w.r1, w.c0, w.c1);
    let range = HeightRange::of(&inner);
    let shade = hillshade(&padded, &ShadeOptions::default())?;
    let full = tint(&padded, &shade, range);
    let (dr, dc) = ((w.r0 - pr0) as u32, (w.c0 - pc0) as u32);
    let (cols, rows) = ((w.c1 - w.c0) as u32, (w.r1 - w.r0) as u32);
    let cut = image::imageops::crop_imm(&full, dc, dr, cols, rows).to_image();
    let size = IntSize::from_wh(cols, rows).ok_or_else(|| Error::param("empty map"))?;
    // Opaque or fully transparent pixels: already premultiplied.
    Pixmap::from_vec(cut.into_raw(), size).ok_or_else(|| Error::param("empty map"))
}

/// The outer edges `[west, south, east, north]` (CRS units) of the map that
/// [`track_map`] draws for these tracks and options.
pub fn map_bounds(terrain: &Terrain, tracks: &[Track], options: &MapOptions) -> Result<[f64; 4]> {
    let dem = terrain.dem();
    let w = crop_window(dem, tracks, options.extent)?;
    Ok(crop(dem, w.r0, w.r0 + 1, w.c0, w.c0 + 1)
        .transform
        .bounds(w.r1 - w.r0, w.c1 - w.c0))
}

/// Draws the tinted relief around `tracks` with their paths, a legend and a
/// scale bar, as an RGBA picture `options.width_px` wide.
pub fn track_map(terrain: &Terrain, tracks: &[Track], options: &MapOptions) -> Result<RgbaImage> {
    Ok(render_map(terrain, tracks, options)?.image)
}

/// [`track_map`] together with the picture's bounds, for
/// [`write_png_with_georef`](super::write_png_with_georef).
pub fn render_map(
    terrain: &Terrain,
    tracks: &[Track],
    options: &MapOptions,
) -> Result<RenderedMap> {
    if !(200..=20_000).contains(&options.width_px) {
        return Err(Error::param(format!(
            "the map width is {} pixels; it must lie between 200 and 20000",
            options.width_px
        )));
    }
    let dem = terrain.dem();
    let win = crop_window(dem, tracks, options.extent)?;
    let bounds_xy = map_bounds(terrain, tracks, options)?;
    let base = relief(dem, win)?;
    let (rows, cols) = (win.r1 - win.r0, win.c1 - win.c0);
    let (dx, dy) = dem.cell_size_m((win.r0 + win.r1) as f64 / 2.0);
    let (ground_w, ground_h) = (cols as f64 * dx, rows as f64 * dy);
    let width = options.width_px;
    let height = ((width as f64 * ground_h / ground_w).round() as u32).clamp(100, 4 * width);
    let mut map = Pixmap::new(width, height).ok_or_else(|| Error::param("empty map"))?;
    let (sx, sy) = (width as f32 / cols as f32, height as f32 / rows as f32);
    map.draw_pixmap(
        0,
        0,
        base.as_ref(),
        &PixmapPaint {
            quality: tiny_skia::FilterQuality::Bicubic,
            ..PixmapPaint::default()
        },
        Transform::from_scale(sx, sy),
        None,
    );
    let [west, south, east, north] = bounds_xy;
    let to_px = |x: f64, y: f64| {
        (
            ((x - west) / (east - west) * width as f64) as f32,
            ((north - y) / (north - south) * height as f64) as f32,
        )
    };
    let scale = (width as f32 / 1000.0).max(0.8);
    for t in tracks {
        draw_track(&mut map, t, &to_px, scale);
    }
    let text = Text::new(15.0 * scale)?;
    draw_legend(&mut map, tracks, options.title.as_deref(), &text, scale);
    draw_scale_bar(&mut map, ground_w / width as f64, &text, scale);
    let mut image = RgbaImage::new(width, height);
    for (dst, src) in image.pixels_mut().zip(map.pixels()) {
        let c = src.demultiply();
        dst.0 = [c.red(), c.green(), c.blue(), c.alpha()];
    }
    Ok(RenderedMap { image, bounds_xy })
}

fn draw_track(map: &mut Pixmap, t: &Track, to_px: &dyn Fn(f64, f64) -> (f32, f32), scale: f32) {
    let rgb = parse_hex(t.agent.colour());
    let mut pb = PathBuilder::new();
    let mut last = (f32::NAN, f32::NAN);
    for (i, p) in t.points.iter().enumerate() {
        let (x, y) = to_px(p.position.x, p.position.y);
        if i == 0 {
            pb.move_to(x, y);
        } else if (x - last.0).hypot(y - last.1) > 0.3 || i + 1 == t.points.len() {
            pb.line_to(x, y);
        } else {
            continue;
        }
        last = (x, y);
    }
    let stroke = |w: f32| Stroke {
        width: w * scale,
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..Stroke::default()
    };
    if let Some(path) = pb.finish() {
        map.stroke_path(
            &path,
            &paint([255; 3], 210),
            &stroke(6.0),
            Transform::identity(),
            None,
        );
        map.stroke_path(
            &path,
            &paint(rgb, 255),
            &stroke(3.0),
            Transform::identity(),
            None,
        );
    }
    let (Some(first), Some(end)) = (t.points.first(), t.points.last()) else {
        return;
    };
    let (x0, y0) = to_px(first.position.x, first.position.y);
    let (x1, y1) = to_px(end.position.x, end.position.y);
    if let Some(ring) = PathBuilder::from_circle(x0, y0, 6.5 * scale) {
        map.fill_path(
            &ring,
            &paint([255; 3], 255),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        map.stroke_path(
            &ring,
            &paint(rgb, 255),
            &stroke(3.0),
            Transform::identity(),
            None,
        );
    }
    if let Some(dot) = PathBuilder::from_circle(x1, y1, 6.5 * scale) {
        map.fill_path(
            &dot,
            &paint(rgb, 255),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        map.stroke_path(
            &dot,
            &paint([255; 3], 255),
            &stroke(2.0),
            Transform::identity(),
            None,
        );
    }
}

fn panel(map: &mut Pixmap, x: f32, y: f32, w: f32, h: f32) {
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

fn draw_legend(map: &mut Pixmap, tracks: &[Track], title: Option<&str>, text: &Text, scale: f32) {
    let line = text.line_height() * 1.35;
    let swatch = 28.0 * scale;
    let pad = 10.0 * scale;
    let mut rows: Vec<(Option<[u8; 3]>, String)> = Vec::new();
    if let Some(t) = title {
        rows.push((None, t.to_string()));
    }
    for t in tracks {
        let end = t.points.last().map_or(f64::NAN, |p| p.elevation);
        rows.push((
            Some(parse_hex(t.agent.colour())),
            format!(
                "{}: {} steps, ends at {:.0} m",
                t.agent.title(),
                t.steps(),
                end
            ),
        ));
    }
    rows.push((None, "○ start   ● end".to_string()));
    let text_w = rows
        .iter()
        .map(|(c, s)| text.width(s) + if c.is_some() { swatch + pad } else { 0.0 })
        .fold(0.0, f32::max);
    let (x, y) = (12.0 * scale, 12.0 * scale);
    panel(
        map,
        x,
        y,
        text_w + 2.0 * pad,
        rows.len() as f32 * line + 2.0 * pad - (line - text.line_height()),
    );
    for (i, (colour, s)) in rows.iter().enumerate() {
        let ty = y + pad + i as f32 * line;
        let mut tx = x + pad;
        if let Some(rgb) = colour {
            let mid = ty + text.line_height() / 2.0;
            let mut pb = PathBuilder::new();
            pb.move_to(tx, mid);
            pb.line_to(tx + swatch, mid);
            if let Some(p) = pb.finish() {
                let s = Stroke {
                    width: 4.0 * scale,
                    line_cap: LineCap::Round,
                    ..Stroke::default()
                };
                map.stroke_path(&p, &paint(*rgb, 255), &s, Transform::identity(), None);
            }
            tx += swatch + pad;
        }
        text.draw(map, s, tx, ty, [20, 20, 20]);
    }
}

/// The longest "nice" length (1, 2 or 5 times a power of ten metres) not above `max_m`.
fn nice_length(max_m: f64) -> f64 {
    let p = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * p)
        .find(|&l| l <= max_m)
        .unwrap_or(p)
}

fn draw_scale_bar(map: &mut Pixmap, metres_per_px: f64, text: &Text, scale: f32) {
    let (w, h) = (map.width() as f32, map.height() as f32);
    let _ = w;
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
    let (x, y) = (12.0 * scale, h - 12.0 * scale - panel_h);
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
    text.draw(map, "0", bx - text.width("0") / 2.0, y + pad, [20; 3]);
    text.draw(map, &label, bx + bar - label_w / 2.0, y + pad, [20; 3]);
}
