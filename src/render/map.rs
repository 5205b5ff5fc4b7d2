//! Track maps: the colour relief around agents' paths, with a legend and a scale bar.
//!
//! The picture is drawn at a true ground aspect ratio (on geographic grids
//! the east-west size of a cell is shrunk by the cosine of the latitude),
//! tracks are anti-aliased lines in each agent's GeoJSON `stroke` colour
//! ([`AgentKind::colour`](crate::agents::AgentKind::colour)) on a white
//! halo, each drawn narrower than the one before so that tracks running
//! together all stay visible (and the Nesterov ball's dashed); the start
//! is one hollow ring in the GeoJSON start marker's colour, named, and the
//! ends are filled dots. The sea (when the terrain has one) is drawn with a
//! smooth, anti-aliased coast at the picture's own resolution. A legend, a
//! scale bar, a north arrow, an elevation colour key and a coordinate frame
//! with ticks complete the map.

use image::RgbaImage;
use tiny_skia::{
    FillRule, IntSize, LineCap, LineJoin, PathBuilder, Pixmap, PixmapPaint, Stroke, StrokeDash,
    Transform,
};

use super::decor::{self, halo_text, paint, SEA_RGB};
use super::summit_marks::{draw_summits, MapSummit};
use super::text::{blend, Text};
use super::{hillshade, tint, HeightRange, ShadeOptions};
use crate::agents::{AgentKind, Track};
use crate::dem::{Dem, GeoTransform, SeaMask};
use crate::error::{Error, Result};
use crate::export::START_MARKER_COLOUR;
use crate::geo::Bounds;
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
    /// A name written beside the start marker, e.g. the summit's.
    pub start_label: Option<String>,
    /// Other named summits to mark where they are in view, most important
    /// first (at most [`super::MAX_MARKED_SUMMITS`] are drawn).
    pub summits: Vec<MapSummit>,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            extent: Extent::Tracks { margin: 0.3 },
            width_px: 1400,
            title: None,
            start_label: None,
            summits: Vec::new(),
        }
    }
}

/// A finished map and where it lies.
#[derive(Debug, Clone)]
pub struct RenderedMap {
    /// The picture, RGBA; voids are transparent.
    pub image: RgbaImage,
    /// Outer edges of the picture in the grid's CRS units.
    pub bounds_xy: Bounds,
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

/// The relief of `window`, tinted and shaded, RGBA at one pixel per
/// sample, and the height range of its colours. With a `sea`, only sea
/// samples are coloured as water: land at or below 0 m (a polder, a 0 m
/// shore) takes the lowest land colour.
fn relief(dem: &Dem, w: Window, sea: Option<&SeaMask>) -> Result<(Pixmap, HeightRange)> {
    // Shade with a one-sample border so the crop's edges see their real neighbours.
    let (pr0, pc0) = (w.r0.saturating_sub(1), w.c0.saturating_sub(1));
    let (pr1, pc1) = ((w.r1 + 1).min(dem.rows()), (w.c1 + 1).min(dem.cols()));
    let padded = crop(dem, pr0, pr1, pc0, pc1);
    let inner = crop(dem, w.r0, w.r1, w.c0, w.c1);
    let range = HeightRange::of(&inner);
    let shade = hillshade(&padded, &ShadeOptions::default())?;
    let mut coloured = padded.clone();
    if let Some(sea) = sea {
        for ((r, c), h) in coloured.heights.indexed_iter_mut() {
            let sea_here = sea.is_sea_sample(r + pr0, c + pc0);
            if sea_here {
                *h = 0.0;
            } else if *h <= 0.0 {
                *h = 0.01;
            }
        }
    }
    let full = tint(&coloured, &shade, range);
    let (dr, dc) = ((w.r0 - pr0) as u32, (w.c0 - pc0) as u32);
    let (cols, rows) = ((w.c1 - w.c0) as u32, (w.r1 - w.r0) as u32);
    let cut = image::imageops::crop_imm(&full, dc, dr, cols, rows).to_image();
    let size = IntSize::from_wh(cols, rows).ok_or_else(|| Error::param("empty map"))?;
    // Opaque or fully transparent pixels: already premultiplied.
    let pixmap = Pixmap::from_vec(cut.into_raw(), size).ok_or_else(|| Error::param("empty map"))?;
    Ok((pixmap, range))
}

/// Paints the sea over the relief at the picture's resolution: each pixel
/// takes the sea colour in proportion to how far the bilinear sea mask at
/// its centre lies past the coast (its 1/2 level), over about one pixel,
/// so the coast is a smooth anti-aliased curve, not the cells' stair steps.
fn paint_sea(map: &mut Pixmap, sea: &SeaMask, w: Window, sx: f64, sy: f64) {
    let width = map.width() as usize;
    let sharpness = sx.max(sy);
    for (i, px) in map.pixels_mut().iter_mut().enumerate() {
        let (x, y) = ((i % width) as f64, (i / width) as f64);
        let c = w.c0 as f64 + (x + 0.5) / sx - 0.5;
        let r = w.r0 as f64 + (y + 0.5) / sy - 0.5;
        let f = sea.fraction(r, c);
        if f <= 0.0 {
            continue;
        }
        let a = ((f - 0.5) * sharpness + 0.5).clamp(0.0, 1.0) as f32;
        if a > 0.0 {
            *px = blend(*px, SEA_RGB, a);
        }
    }
}

/// The outer edges (CRS units) of the map that
/// [`track_map`] draws for these tracks and options.
pub fn map_bounds(terrain: &Terrain, tracks: &[Track], options: &MapOptions) -> Result<Bounds> {
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
    let (base, range) = relief(dem, win, terrain.sea())?;
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
    if let Some(sea) = terrain.sea() {
        paint_sea(&mut map, sea, win, sx as f64, sy as f64);
    }
    let [west, south, east, north] = bounds_xy.to_array();
    let to_px = |x: f64, y: f64| {
        (
            ((x - west) / (east - west) * width as f64) as f32,
            ((north - y) / (north - south) * height as f64) as f32,
        )
    };
    let scale = (width as f32 / 1000.0).max(0.8);
    let text = Text::new(15.0 * scale)?;
    // All white halos first, then the lines widest first, so no halo
    // hides a line drawn before it.
    for halo in [true, false] {
        for (i, t) in tracks.iter().enumerate() {
            let style = track_style(i, tracks.len(), t.agent);
            draw_track(&mut map, t, &to_px, scale, style, halo);
        }
    }
    let mut taken = Vec::new();
    if let Some(p) = tracks.first().and_then(|t| t.points.first()) {
        let (x, y) = to_px(p.position.x, p.position.y);
        taken = draw_start(&mut map, x, y, options.start_label.as_deref(), &text, scale);
    }
    draw_summits(&mut map, &options.summits, &to_px, &mut taken, &text, scale);
    draw_legend(&mut map, tracks, options.title.as_deref(), &text, scale);
    decor::scale_bar(&mut map, ground_w / width as f64, &text, scale);
    decor::north_arrow(&mut map, &text, scale);
    // The key shows the sea only when some of it is on the map.
    let sea_in_view = terrain.sea().is_some_and(|sea| {
        (win.r0..win.r1).any(|r| (win.c0..win.c1).any(|c| sea.is_sea_sample(r, c)))
    });
    decor::colour_key(&mut map, range, sea_in_view, &text, scale);
    decor::coordinate_frame(&mut map, bounds_xy, &dem.crs, &text, scale);
    let mut image = RgbaImage::new(width, height);
    for (dst, src) in image.pixels_mut().zip(map.pixels()) {
        let c = src.demultiply();
        dst.0 = [c.red(), c.green(), c.blue(), c.alpha()];
    }
    Ok(RenderedMap { image, bounds_xy })
}

/// How one track is stroked: its width in pixels (before the map's scale)
/// and whether it is dashed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TrackStyle {
    width: f32,
    dashed: bool,
}

/// Track `i` of `n` is drawn narrower than the ones before it (the first
/// 3 + 2.5 (n - 1) px wide, the last 3 px), so tracks running along the same
/// valley all stay visible; the Nesterov ball, which usually shadows the
/// rolling ball, is dashed as well.
fn track_style(i: usize, n: usize, kind: AgentKind) -> TrackStyle {
    TrackStyle {
        width: 3.0 + 2.5 * (n.saturating_sub(1).saturating_sub(i)) as f32,
        dashed: kind == AgentKind::Nesterov,
    }
}

fn track_stroke(style: TrackStyle, extra: f32, scale: f32) -> Stroke {
    let width = (style.width + extra) * scale;
    Stroke {
        width,
        line_cap: if style.dashed {
            LineCap::Butt
        } else {
            LineCap::Round
        },
        line_join: LineJoin::Round,
        dash: if style.dashed && extra == 0.0 {
            StrokeDash::new(vec![4.0 * width, 2.0 * width], 0.0)
        } else {
            None
        },
        ..Stroke::default()
    }
}

fn draw_track(
    map: &mut Pixmap,
    t: &Track,
    to_px: &dyn Fn(f64, f64) -> (f32, f32),
    scale: f32,
    style: TrackStyle,
    halo: bool,
) {
    let rgb = t.agent.colour().to_array();
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
    if let Some(path) = pb.finish() {
        let (colour, stroke) = if halo {
            (paint([255; 3], 210), track_stroke(style, 3.0, scale))
        } else {
            (paint(rgb, 255), track_stroke(style, 0.0, scale))
        };
        map.stroke_path(&path, &colour, &stroke, Transform::identity(), None);
    }
    if halo {
        return;
    }
    let Some(end) = t.points.last() else {
        return;
    };
    let (x1, y1) = to_px(end.position.x, end.position.y);
    if let Some(dot) = PathBuilder::from_circle(x1, y1, 6.5 * scale) {
        map.fill_path(
            &dot,
            &paint(rgb, 255),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        let s = Stroke {
            width: 2.0 * scale,
            ..Stroke::default()
        };
        map.stroke_path(&dot, &paint([255; 3], 255), &s, Transform::identity(), None);
    }
}

/// The start: a hollow ring in the GeoJSON start marker's colour, and its
/// name beside it. Returns the pixel rectangles `[x0, y0, x1, y1]` they cover.
fn draw_start(
    map: &mut Pixmap,
    x: f32,
    y: f32,
    label: Option<&str>,
    text: &Text,
    scale: f32,
) -> Vec<[f32; 4]> {
    let r = 9.0 * scale;
    let mut covered = vec![[x - r, y - r, x + r, y + r]];
    let rgb = START_MARKER_COLOUR.to_array();
    if let Some(ring) = PathBuilder::from_circle(x, y, 7.5 * scale) {
        map.fill_path(
            &ring,
            &paint([255; 3], 255),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        let s = Stroke {
            width: 3.5 * scale,
            ..Stroke::default()
        };
        map.stroke_path(&ring, &paint(rgb, 255), &s, Transform::identity(), None);
    }
    if let Some(name) = label {
        let tw = text.width(name);
        let gap = 13.0 * scale;
        // Right of the marker, or left of it near the right edge.
        let tx = if x + gap + tw < map.width() as f32 - 90.0 * scale {
            x + gap
        } else {
            x - gap - tw
        };
        let ty = y - text.line_height() / 2.0;
        halo_text(map, text, name, tx, ty, [20; 3]);
        covered.push([tx, ty, tx + tw, ty + text.line_height()]);
    }
    covered
}

fn draw_legend(map: &mut Pixmap, tracks: &[Track], title: Option<&str>, text: &Text, scale: f32) {
    let line = text.line_height() * 1.35;
    let swatch = 34.0 * scale;
    let pad = 10.0 * scale;
    let mut rows: Vec<(Option<(AgentKind, TrackStyle)>, String)> = Vec::new();
    if let Some(t) = title {
        rows.push((None, t.to_string()));
    }
    for (i, t) in tracks.iter().enumerate() {
        let end = t.points.last().map_or(f64::NAN, |p| p.elevation);
        rows.push((
            Some((t.agent, track_style(i, tracks.len(), t.agent))),
            format!(
                "{}: {} steps, ends at {:.0} m ({})",
                t.agent.title(),
                t.steps(),
                end,
                t.stop_reason
            ),
        ));
    }
    let (start_key, end_key) = ("○ start", "   ● end");
    let text_w = rows
        .iter()
        .map(|(c, s)| text.width(s) + if c.is_some() { swatch + pad } else { 0.0 })
        .fold(text.width(start_key) + text.width(end_key), f32::max);
    let (x, y) = (12.0 * scale, 12.0 * scale);
    let n = rows.len() + 1;
    decor::panel(
        map,
        x,
        y,
        text_w + 2.0 * pad,
        n as f32 * line + 2.0 * pad - (line - text.line_height()),
    );
    for (i, (style, s)) in rows.iter().enumerate() {
        let ty = y + pad + i as f32 * line;
        let mut tx = x + pad;
        if let Some((kind, style)) = style {
            let mid = ty + text.line_height() / 2.0;
            let mut pb = PathBuilder::new();
            pb.move_to(tx + 2.0 * scale, mid);
            pb.line_to(tx + swatch - 2.0 * scale, mid);
            if let Some(p) = pb.finish() {
                // The swatch at the track's own width (capped to fit the row) and dash.
                let capped = TrackStyle {
                    width: style.width.min(text.line_height() / scale * 0.7),
                    ..*style
                };
                let stroke = track_stroke(capped, 0.0, scale);
                let stroke = Stroke {
                    dash: if capped.dashed {
                        StrokeDash::new(vec![8.0 * scale, 4.0 * scale], 0.0)
                    } else {
                        None
                    },
                    ..stroke
                };
                let rgb = kind.colour().to_array();
                map.stroke_path(&p, &paint(rgb, 255), &stroke, Transform::identity(), None);
            }
            tx += swatch + pad;
        }
        text.draw(map, s, tx, ty, [20, 20, 20]);
    }
    let ty = y + pad + rows.len() as f32 * line;
    text.draw(map, start_key, x + pad, ty, START_MARKER_COLOUR.to_array());
    text.draw(
        map,
        end_key,
        x + pad + text.width(start_key),
        ty,
        [20, 20, 20],
    );
}
