//! `basins.png`: every basin in its own colour over a hillshade, borders drawn.
//!
//! [`picture`] is the plain one-pixel-per-cell picture. [`map`] draws the
//! `basins.png` map: at the ground's aspect ratio (on geographic grids a
//! cell is narrower than it is tall) and at least about 1200 pixels across,
//! every start's block of `stride` x `stride` cells in its basin's colour,
//! the sea with a smooth coast, a legend, a scale bar, a north arrow and a
//! coordinate frame. The PNG gets a world file (`.pgw`) computed from its
//! bounds and size, so GIS tools place it.

use image::{Rgb, RgbImage};
use ndarray::Array2;

use crate::dem::GeoTransform;
use crate::dem::{Dem, SeaMask};
use crate::error::{Error, Result};
use crate::terrain::round_half_away;

/// Sun azimuth of the shading, degrees clockwise from north (north-west light).
pub const SUN_AZIMUTH_DEG: f64 = 315.0;
/// Sun altitude of the shading, degrees above the horizon.
pub const SUN_ALTITUDE_DEG: f64 = 45.0;

/// Shading in `0..=1` under the basins: the shared gdaldem-compatible
/// hillshade (Horn, light from 315° at 45°), voids mid-grey.
pub fn hillshade(dem: &Dem) -> Result<Array2<f32>> {
    let grey = crate::render::hillshade(dem, &crate::render::ShadeOptions::default())?;
    let (w, h) = grey.dimensions();
    Ok(Array2::from_shape_fn(
        (h as usize, w as usize),
        |(r, c)| match grey.get_pixel(c as u32, r as u32)[0] {
            0 => 0.5,
            g => (g - 1) as f32 / 254.0,
        },
    ))
}

/// A distinct, stable colour for basin `id` (hues spread by the golden ratio).
pub fn basin_colour(id: u32) -> [f64; 3] {
    let h = (id as f64 * 0.618_033_988_75).fract() * 6.0;
    let (s, v) = (0.6, 1.0);
    let c = v * s;
    let x = c * (1.0 - ((h % 2.0) - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r + m, g + m, b + m]
}

/// The picture: basin colours times the shade, borders dark, cells
/// without a start in plain grey shading.
pub fn picture(labels: &Array2<u32>, shade: &Array2<f32>) -> RgbImage {
    let (rows, cols) = labels.dim();
    RgbImage::from_fn(cols as u32, rows as u32, |x, y| {
        let (r, c) = (y as usize, x as usize);
        let l = labels[[r, c]];
        let s = 0.3 + 0.7 * shade[[r, c]] as f64;
        if l == 0 {
            let g = (255.0 * (0.15 + 0.7 * s)) as u8;
            return Rgb([g, g, g]);
        }
        let border =
            (c + 1 < cols && labels[[r, c + 1]] != l) || (r + 1 < rows && labels[[r + 1, c]] != l);
        let k = if border { 0.25 } else { s };
        let [cr, cg, cb] = basin_colour(l);
        Rgb([
            (255.0 * cr * k) as u8,
            (255.0 * cg * k) as u8,
            (255.0 * cb * k) as u8,
        ])
    })
}

/// The basins map drawn by [`map`], and its size in pixels.
#[derive(Debug, Clone)]
pub struct BasinsMap {
    /// The PNG's bytes.
    pub png: Vec<u8>,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

/// The label of the start whose block holds cell (`r`, `c`): starts sit
/// on every `stride`-th row and column from 0, and each colours the cells
/// nearer to it than to any other start.
#[cfg(test)]
fn block_label(labels: &Array2<u32>, stride: usize, r: usize, c: usize) -> u32 {
    let (rows, cols) = labels.dim();
    labels[[
        nearest_start(r, rows, stride),
        nearest_start(c, cols, stride),
    ]]
}

/// The index of the start nearest to index `i` along an axis of `n` cells
/// with starts every `stride` (at least 1) from 0.
fn nearest_start(i: usize, n: usize, stride: usize) -> usize {
    let s = stride.max(1);
    ((i + s / 2) / s * s).min((n - 1) / s * s)
}

/// The size of the `basins.png` picture and how its pixels map to cells.
struct Frame {
    rows: usize,
    cols: usize,
    /// Picture width, pixels.
    width: u32,
    /// Picture height, pixels.
    height: u32,
    /// Pixels per cell across (west to east).
    sx: f64,
    /// Pixels per cell down (north to south).
    sy: f64,
}

impl Frame {
    /// A frame at the ground's aspect ratio of a `rows` x `cols` grid whose
    /// ground is `ground_w` x `ground_h` metres: whole pixels per cell down
    /// the rows (1 to 8), at least about 1200 pixels across.
    fn new(rows: usize, cols: usize, ground_w: f64, ground_h: f64) -> Frame {
        let k = (1200.0 / rows.max(cols) as f64).ceil().clamp(1.0, 8.0);
        let height = (rows as f64 * k).round() as u32;
        let width = ((height as f64 * ground_w / ground_h).round() as u32).max(1);
        let (sx, sy) = (width as f64 / cols as f64, height as f64 / rows as f64);
        Frame {
            rows,
            cols,
            width,
            height,
            sx,
            sy,
        }
    }

    /// Where each pixel column falls on the grid ([`AxisPlace`]).
    fn columns(&self, stride: usize) -> Vec<AxisPlace> {
        AxisPlace::along(self.width, self.sx, self.cols, stride)
    }

    /// Where each pixel row falls on the grid ([`AxisPlace`]).
    fn rows(&self, stride: usize) -> Vec<AxisPlace> {
        AxisPlace::along(self.height, self.sy, self.rows, stride)
    }
}

/// Where the centre of a pixel column (or row) falls along the grid's
/// columns (or rows): everything a pixel needs that depends on one axis
/// alone, found once per column and per row instead of once per pixel.
#[derive(Debug, Clone, Copy)]
struct AxisPlace {
    /// Fractional cell index of the pixel's centre.
    at: f64,
    /// The first cell of the two the shade is interpolated between, and
    /// the weight of the second (the index clamped to the grid).
    lo: usize,
    frac: f64,
    /// The cell of the start block nearest to the pixel.
    block: usize,
}

impl AxisPlace {
    /// The places of `pixels` pixels at `scale` pixels per cell along an
    /// axis of `cells` cells (at least 2) with starts every `stride`.
    fn along(pixels: u32, scale: f64, cells: usize, stride: usize) -> Vec<AxisPlace> {
        (0..pixels)
            .map(|p| {
                let at = (p as f64 + 0.5) / scale - 0.5;
                let clamped = at.clamp(0.0, (cells - 1) as f64);
                let lo = (clamped as usize).min(cells - 2);
                let nearest = (round_half_away(at).max(0.0) as usize).min(cells - 1);
                AxisPlace {
                    at,
                    lo,
                    frac: clamped - lo as f64,
                    block: nearest_start(nearest, cells, stride),
                }
            })
            .collect()
    }
}

/// `shade` interpolated bilinearly at the pixel whose row and column fall
/// at `row` and `col`, clamped to the grid (at least 2 x 2 cells).
fn shade_at(shade: &Array2<f32>, row: &AxisPlace, col: &AxisPlace) -> f64 {
    let (r0, c0) = (row.lo, col.lo);
    let v = |r, c| shade[[r, c]] as f64;
    let quad = [v(r0, c0), v(r0, c0 + 1), v(r0 + 1, c0), v(r0 + 1, c0 + 1)];
    crate::terrain::bilinear(quad, row.frac, col.frac)
}

/// Paints every pixel of `pixmap` (sized as `frame`): its basin's colour
/// shaded by `shade`, dark on a divide, grey where no walker started, the
/// sea blended over with a smooth coast.
fn paint_basins(
    pixmap: &mut tiny_skia::Pixmap,
    frame: &Frame,
    labels: &Array2<u32>,
    shade: &Array2<f32>,
    stride: usize,
    sea: Option<&SeaMask>,
) {
    use rayon::prelude::*;
    let (width, height) = (frame.width, frame.height);
    let w = width as usize;
    // Rows of the picture in parallel, each pixel as alone: the same
    // picture whatever the threads.
    let (columns, rows) = (frame.columns(stride), frame.rows(stride));
    let mut row_labels = vec![0u32; w * height as usize];
    row_labels
        .par_chunks_mut(w)
        .zip(&rows)
        .for_each(|(row, place)| {
            for (l, col) in row.iter_mut().zip(&columns) {
                *l = labels[[place.block, col.block]];
            }
        });
    let sharpness = frame.sx.max(frame.sy);
    // Each basin's colour once, not once per pixel.
    let most = row_labels.par_iter().copied().max().unwrap_or(0);
    let colours: Vec<[f64; 3]> = (0..=most).map(basin_colour).collect();
    let [r, g, b] = crate::render::decor::SEA_RGB;
    let deep_sea = tiny_skia::PremultipliedColorU8::from_rgba(r, g, b, 255)
        .unwrap_or(tiny_skia::PremultipliedColorU8::TRANSPARENT);
    pixmap
        .pixels_mut()
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, row)| {
            let place = &rows[y];
            for (x, px) in row.iter_mut().enumerate() {
                let i = y * w + x;
                let col = &columns[x];
                // Opacity of the sea over this pixel.
                let sea_alpha = sea.map_or(0.0, |sea| {
                    let f = sea.fraction(place.at, col.at);
                    if f > 0.0 {
                        ((f - 0.5) * sharpness + 0.5).clamp(0.0, 1.0) as f32
                    } else {
                        0.0
                    }
                });
                if sea_alpha >= 1.0 {
                    // Open sea: what `blend` gives at full opacity.
                    *px = deep_sea;
                    continue;
                }
                let l = row_labels[i];
                let s = 0.3 + 0.7 * shade_at(shade, place, col);
                let rgb = if l == 0 {
                    let g = (255.0 * (0.15 + 0.7 * s)) as u8;
                    [g, g, g]
                } else {
                    let right = x + 1 < w && row_labels[i + 1] != l;
                    let below = y + 1 < height as usize && row_labels[i + w] != l;
                    let k = if right || below { 0.25 } else { s };
                    colours[l as usize].map(|v| (255.0 * v * k) as u8)
                };
                let mut colour =
                    tiny_skia::PremultipliedColorU8::from_rgba(rgb[0], rgb[1], rgb[2], 255)
                        .unwrap_or(*px);
                if sea_alpha > 0.0 {
                    colour = crate::render::text::blend(
                        colour,
                        crate::render::decor::SEA_RGB,
                        sea_alpha,
                    );
                }
                *px = colour;
            }
        });
}

/// Draws `basins.png` (see the module documentation): `labels` per cell
/// (0: no start), `shade` in 0..=1 per cell, `dem` the surface (its size,
/// cell metres and CRS), `stride` the starts' spacing, `sea` drawn if given.
pub fn map(
    labels: &Array2<u32>,
    shade: &Array2<f32>,
    dem: &Dem,
    stride: usize,
    sea: Option<&SeaMask>,
    basins: usize,
) -> Result<BasinsMap> {
    use crate::render::decor;
    use tiny_skia::Pixmap;
    let (rows, cols) = labels.dim();
    if rows < 2 || cols < 2 || shade.dim() != (rows, cols) {
        return Err(Error::param("the basins map needs at least 2 x 2 cells"));
    }
    let (dx, dy) = dem.cell_size_m((rows - 1) as f64 / 2.0);
    let (ground_w, ground_h) = (cols as f64 * dx, rows as f64 * dy);
    let frame = Frame::new(rows, cols, ground_w, ground_h);
    let (width, height) = (frame.width, frame.height);
    let mut pixmap =
        Pixmap::new(width, height).ok_or_else(|| Error::param("the basins map is empty"))?;
    paint_basins(&mut pixmap, &frame, labels, shade, stride, sea);
    let scale = (width.max(height) as f32 / 1200.0).max(0.8);
    let text = crate::render::text::Text::new(15.0 * scale)?;
    legend(&mut pixmap, &text, scale, basins, stride, sea.is_some());
    decor::scale_bar(&mut pixmap, ground_w / width as f64, &text, scale);
    decor::north_arrow(&mut pixmap, &text, scale);
    decor::coordinate_frame(&mut pixmap, dem.bounds(), &dem.crs, &text, scale);
    let mut image = image::RgbaImage::new(width, height);
    for (dst, src) in image.pixels_mut().zip(pixmap.pixels()) {
        let c = src.demultiply();
        dst.0 = [c.red(), c.green(), c.blue(), c.alpha()];
    }
    let mut png = Vec::new();
    crate::render::encode_png(&image::DynamicImage::ImageRgba8(image), &mut png)
        .map_err(|e| Error::io("basins.png", e))?;
    Ok(BasinsMap { png, width, height })
}

/// What the colours of `basins.png` mean, in the top-left corner.
fn legend(
    map: &mut tiny_skia::Pixmap,
    text: &crate::render::text::Text,
    scale: f32,
    basins: usize,
    stride: usize,
    sea: bool,
) {
    use crate::render::decor::{paint, panel, SEA_RGB};
    let mut rows: Vec<([u8; 3], String)> = vec![
        (
            basin_colour(1).map(|v| (255.0 * v) as u8),
            if stride > 1 {
                format!("{basins} basins, one colour each; every {stride} x {stride} block coloured by its start")
            } else {
                format!("{basins} basins, one colour each")
            },
        ),
        ([40, 40, 40], "dark lines: divides between basins".into()),
        ([150, 150, 150], "grey: no walker started (void)".into()),
    ];
    if sea {
        rows.push((SEA_RGB, "blue: the sea, an outlet".into()));
    }
    let line = text.line_height() * 1.35;
    let pad = 10.0 * scale;
    let swatch = 18.0 * scale;
    let w = rows.iter().map(|(_, s)| text.width(s)).fold(0.0, f32::max) + swatch + 3.0 * pad;
    let h = rows.len() as f32 * line + 2.0 * pad - (line - text.line_height());
    let (x, y) = (12.0 * scale, 12.0 * scale);
    panel(map, x, y, w, h);
    for (i, (rgb, s)) in rows.iter().enumerate() {
        let ty = y + pad + i as f32 * line;
        if let Some(r) = tiny_skia::Rect::from_xywh(x + pad, ty, swatch, text.line_height()) {
            map.fill_rect(r, &paint(*rgb, 255), tiny_skia::Transform::identity(), None);
        }
        text.draw(map, s, x + 2.0 * pad + swatch, ty, [20; 3]);
    }
}

/// The world file text: pixel width, rotations, negative pixel height, and
/// the centre of the top-left pixel, one per line (see
/// [`crate::export::georaster::world_file`]).
pub fn world_file(transform: &GeoTransform) -> String {
    crate::export::georaster::world_file(transform)
}

/// The bytes of `basins.png`.
pub fn png(labels: &Array2<u32>, shade: &Array2<f32>) -> Result<Vec<u8>> {
    let image = image::DynamicImage::ImageRgb8(picture(labels, shade));
    let mut png = Vec::new();
    crate::render::encode_png(&image, &mut png).map_err(|e| Error::io("basins.png", e))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flat ground gets sin(altitude) as Lambert's law says (to one grey
    /// level of the 8-bit hillshade); a void is mid-grey.
    #[test]
    fn shading_follows_lamberts_law_on_flat_ground() {
        let mut heights = Array2::from_elem((5, 5), 100.0f32);
        heights[[4, 4]] = f32::NAN;
        let dem = Dem {
            heights,
            transform: GeoTransform {
                origin_x: 0.0,
                origin_y: 0.0,
                cell_x: 30.0,
                cell_y: 30.0,
            },
            crs: crate::dem::Crs::Projected {
                epsg: 32629,
                proj: String::new(),
            },
            inputs: vec![],
        };
        let s = hillshade(&dem).unwrap();
        assert!((s[[2, 2]] as f64 - 45f64.to_radians().sin()).abs() < 1.0 / 254.0);
        assert_eq!(s[[4, 4]], 0.5);
    }

    /// With stride 3 on a 7 x 7 grid the starts sit on rows and columns 0,
    /// 3 and 6; each cell takes the label of the nearest one.
    #[test]
    fn blocks_take_their_starts_label() {
        let mut labels = Array2::zeros((7, 7));
        for r in [0, 3, 6] {
            for c in [0, 3, 6] {
                labels[[r, c]] = (r * 10 + c + 1) as u32;
            }
        }
        assert_eq!(block_label(&labels, 3, 1, 1), 1);
        assert_eq!(block_label(&labels, 3, 2, 2), 34);
        assert_eq!(block_label(&labels, 3, 4, 5), 37);
        assert_eq!(block_label(&labels, 3, 6, 5), 67);
        assert_eq!(block_label(&labels, 1, 4, 5), 0);
    }

    /// `paint_basins` paints open sea (opacity 1) with the sea colour
    /// straight away: what blending the sea over any colour at full
    /// opacity gives, opaque or not, so the shortcut changes no pixel.
    #[test]
    fn the_sea_at_full_opacity_covers_any_colour() {
        use tiny_skia::PremultipliedColorU8 as C;
        let [r, g, b] = crate::render::decor::SEA_RGB;
        let sea = C::from_rgba(r, g, b, 255).unwrap();
        for v in [0u8, 1, 37, 128, 200, 254, 255] {
            for a in [0u8, 1, v, 255] {
                let dst = C::from_rgba(v.min(a), (255 - v).min(a), (v / 2).min(a), a).unwrap();
                assert_eq!(
                    crate::render::text::blend(dst, [r, g, b], 1.0),
                    sea,
                    "{v} {a}"
                );
            }
        }
        // Below full opacity the colour underneath still shows.
        let grey = C::from_rgba(100, 100, 100, 255).unwrap();
        assert_ne!(crate::render::text::blend(grey, [r, g, b], 0.99), sea);
    }

    #[test]
    fn world_file_names_the_top_left_pixel_centre() {
        let t = GeoTransform {
            origin_x: -7.0,
            origin_y: 53.0,
            cell_x: 0.5,
            cell_y: 0.25,
        };
        let lines: Vec<f64> = world_file(&t).lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(lines, vec![0.5, 0.0, 0.0, -0.25, -6.75, 52.875]);
    }
}
