//! Pictures placed on the map by their bounds, resampled to Web Mercator.

use std::borrow::Cow;

use base64::Engine;
use image::{Rgba, RgbaImage};
use rayon::prelude::*;
use serde::Serialize;

use crate::dem::{Crs, Projection};
use crate::error::{Error, Result};
use crate::geo::Bounds;

/// Longest side of an embedded picture, pixels. Larger pictures are
/// resampled down to it, which bounds the page's size (a 2048 x 2048
/// relief is about a megabyte of JPEG, several of PNG).
pub const MAX_OVERLAY_SIDE_PX: u32 = 2048;

/// The latest latitude Web Mercator can show, degrees.
const MERCATOR_MAX_LAT: f64 = 85.051_128_78;

/// A box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatLonBounds {
    /// Southern edge, degrees north.
    pub south: f64,
    /// Western edge, degrees east.
    pub west: f64,
    /// Northern edge, degrees north.
    pub north: f64,
    /// Eastern edge, degrees east.
    pub east: f64,
}

/// How a picture is resampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Bilinear: for continuous pictures such as shaded relief.
    Bilinear,
    /// Nearest pixel: for categorical colours such as basin ids.
    Nearest,
}

/// How an [`ImageOverlay`]'s picture is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureFormat {
    /// Lossless: categorical colours, and pictures with transparent pixels.
    Png,
    /// Lossy, at [`crate::export::jpeg::RELIEF_QUALITY`]: opaque
    /// continuous-tone pictures (a shaded relief), about an eighth of the
    /// PNG's bytes.
    Jpeg,
}

impl PictureFormat {
    /// The media type of a file in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            PictureFormat::Png => "image/png",
            PictureFormat::Jpeg => "image/jpeg",
        }
    }
}

/// A picture shown over the map between its bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageOverlay {
    /// The picture file's bytes, rows evenly spaced in Web Mercator `y`.
    pub bytes: Vec<u8>,
    /// How `bytes` are encoded.
    pub format: PictureFormat,
    /// Where its outer edges lie, WGS84 degrees.
    pub bounds: LatLonBounds,
    /// Width and height of the picture, pixels.
    pub size_px: (u32, u32),
}

fn mercator_y(lat_deg: f64) -> f64 {
    let lat = lat_deg
        .clamp(-MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
        .to_radians();
    (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln()
}

fn mercator_lat(y: f64) -> f64 {
    y.sinh().atan().to_degrees()
}

/// The WGS84 box around the grid box `bounds_xy` (in `crs` units), from 65 points along each side.
pub(crate) fn lat_lon_box(bounds_xy: Bounds, crs: &Crs) -> Result<LatLonBounds> {
    let projection = Projection::for_crs(crs)?;
    let [w, s, e, n] = bounds_xy.to_array();
    let mut b = LatLonBounds {
        south: f64::INFINITY,
        west: f64::INFINITY,
        north: f64::NEG_INFINITY,
        east: f64::NEG_INFINITY,
    };
    const STEPS: usize = 64;
    for k in 0..=STEPS {
        let f = k as f64 / STEPS as f64;
        let (x, y) = (w + f * (e - w), s + f * (n - s));
        for (px, py) in [(x, s), (x, n), (w, y), (e, y)] {
            if let Some((lon, lat)) = projection.to_wgs84(px, py) {
                b.south = b.south.min(lat);
                b.north = b.north.max(lat);
                b.west = b.west.min(lon);
                b.east = b.east.max(lon);
            }
        }
    }
    if !(b.west < b.east && b.south < b.north) {
        return Err(Error::param(format!(
            "the box {:?} in {} has no extent in longitude and latitude",
            bounds_xy.to_array(),
            crs.label()
        )));
    }
    Ok(b)
}

/// Where a sample falls along one axis of a picture: the pixels on either
/// side (the same one for [`Sampling::Nearest`]) and the weight of the
/// second, 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tap {
    lo: u32,
    hi: u32,
    frac: f64,
}

/// The tap of the fractional pixel-centre coordinate `at` on an axis of
/// `size` pixels, or `None` beyond the outer edges of its pixels.
fn tap(at: f64, size: u32, sampling: Sampling) -> Option<Tap> {
    let last = size as f64 - 1.0;
    if !(at >= -0.5 && at <= last + 0.5) {
        return None;
    }
    Some(match sampling {
        Sampling::Nearest => {
            let i = crate::terrain::round_half_away(at).clamp(0.0, last) as u32;
            Tap {
                lo: i,
                hi: i,
                frac: 0.0,
            }
        }
        Sampling::Bilinear => {
            let a = at.clamp(0.0, last);
            // `floor` of the non-negative value, by conversion.
            let a0 = a as u64 as f64;
            let lo = a0 as u32;
            Tap {
                lo,
                hi: (lo + 1).min(size - 1),
                frac: a - a0,
            }
        }
    })
}

/// The colour of `image` where the taps `col` and `row` cross.
fn sample_taps(image: &RgbaImage, col: Tap, row: Tap, sampling: Sampling) -> Rgba<u8> {
    if sampling == Sampling::Nearest {
        return *image.get_pixel(col.lo, row.lo);
    }
    let px = [
        image.get_pixel(col.lo, row.lo).0,
        image.get_pixel(col.hi, row.lo).0,
        image.get_pixel(col.lo, row.hi).0,
        image.get_pixel(col.hi, row.hi).0,
    ];
    Rgba(blend(px, col.frac, row.frac))
}

/// The bilinear blend of four RGBA pixels (top-left, top-right,
/// bottom-left, bottom-right) at weights `fc` across and `fr` down.
#[inline]
fn blend(px: [[u8; 4]; 4], fc: f64, fr: f64) -> [u8; 4] {
    let k = [
        (1.0 - fc) * (1.0 - fr),
        fc * (1.0 - fr),
        (1.0 - fc) * fr,
        fc * fr,
    ];
    // The weighted sum of a value of each pixel, in the pixels' order.
    let weighted = |f: fn(&[u8; 4], usize) -> f64, ch: usize| -> f64 {
        f(&px[0], ch) * k[0] + f(&px[1], ch) * k[1] + f(&px[2], ch) * k[2] + f(&px[3], ch) * k[3]
    };
    if px.iter().all(|p| p[3] == 255) {
        // Opaque (a relief away from voids): the weighted mean of each
        // channel, the premultiplied formula below with the alphas
        // cancelled.
        let mut out = [255u8; 4];
        for (ch, o) in out.iter_mut().enumerate().take(3) {
            let v = weighted(|p, ch| p[ch] as f64, ch);
            *o = crate::terrain::round_half_away(v).clamp(0.0, 255.0) as u8;
        }
        return out;
    }
    // Premultiplied, so transparent voids do not darken their rims.
    let alpha = weighted(|p, _| p[3] as f64, 3);
    if alpha < 0.5 {
        return [0, 0, 0, 0];
    }
    let mut out = [0u8; 4];
    for (ch, o) in out.iter_mut().enumerate().take(3) {
        let v = weighted(|p, ch| p[ch] as f64 * p[3] as f64, ch);
        *o = crate::terrain::round_half_away(v / alpha).clamp(0.0, 255.0) as u8;
    }
    out[3] = crate::terrain::round_half_away(alpha).clamp(0.0, 255.0) as u8;
    out
}

/// One row of a geographic picture resampled bilinearly: `out` (RGBA
/// bytes) gets, for each of `col_taps`, the blend of the picture's rows
/// `top` and `bottom` (those of a row tap's `lo` and `hi`) at the row
/// tap's fraction `fr` (left as it is where the column tap is `None`).
fn blend_row(top: &[u8], bottom: &[u8], col_taps: &[Option<Tap>], fr: f64, out: &mut [u8]) {
    let pixel = |line: &[u8], i: u32| -> [u8; 4] {
        let at = i as usize * 4;
        [line[at], line[at + 1], line[at + 2], line[at + 3]]
    };
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        unsafe { blend_row_avx2(top, bottom, col_taps, fr, out) };
        return;
    }
    for (o, col) in out.chunks_exact_mut(4).zip(col_taps) {
        if let Some(col) = col {
            let px = [
                pixel(top, col.lo),
                pixel(top, col.hi),
                pixel(bottom, col.lo),
                pixel(bottom, col.hi),
            ];
            o.copy_from_slice(&blend(px, col.frac, fr));
        }
    }
}

/// [`blend_row`]'s loop over the lines `top` and `bottom` with the four
/// channels of a pixel in the lanes of one AVX2 register: where all four
/// pixels are opaque (nearly everywhere), the same products and sums as
/// [`blend`], in the same order, and the same rounding (half away from
/// zero, of values that are never negative), so the same bytes; elsewhere
/// [`blend`] itself.
///
/// # Safety
/// Only on a CPU with AVX2. The taps must lie within the lines.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn blend_row_avx2(
    top: &[u8],
    bottom: &[u8],
    col_taps: &[Option<Tap>],
    fr: f64,
    out: &mut [u8],
) {
    use std::arch::x86_64::*;
    let word = |line: &[u8], i: u32| -> u32 {
        let at = i as usize * 4;
        u32::from_le_bytes([line[at], line[at + 1], line[at + 2], line[at + 3]])
    };
    // The four channels of a pixel, as f64 lanes.
    let lanes = |w: u32| _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(w as i32)));
    const OPAQUE: u32 = 0xff00_0000;
    let (half, one, top_value) = (
        _mm256_set1_pd(0.5),
        _mm256_set1_pd(1.0),
        _mm256_set1_pd(255.0),
    );
    for (o, col) in out.chunks_exact_mut(4).zip(col_taps) {
        let Some(col) = col else { continue };
        let px = [
            word(top, col.lo),
            word(top, col.hi),
            word(bottom, col.lo),
            word(bottom, col.hi),
        ];
        if px.iter().any(|p| p & OPAQUE != OPAQUE) {
            o.copy_from_slice(&blend(px.map(u32::to_le_bytes), col.frac, fr));
            continue;
        }
        let fc = col.frac;
        let k = [
            (1.0 - fc) * (1.0 - fr),
            fc * (1.0 - fr),
            (1.0 - fc) * fr,
            fc * fr,
        ];
        let mut v = _mm256_mul_pd(lanes(px[0]), _mm256_set1_pd(k[0]));
        for (p, k) in px[1..].iter().zip(&k[1..]) {
            v = _mm256_add_pd(v, _mm256_mul_pd(lanes(*p), _mm256_set1_pd(*k)));
        }
        // round_half_away of a value >= 0: its integer part, plus one
        // where the rest is at least a half; then clamped to 0..=255.
        let t = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
        let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_sub_pd(v, t), half), one);
        let r = _mm256_min_pd(
            _mm256_max_pd(_mm256_add_pd(t, up), _mm256_setzero_pd()),
            top_value,
        );
        let q = _mm256_cvttpd_epi32(r);
        let bytes = _mm_cvtsi128_si32(_mm_packus_epi16(
            _mm_packus_epi32(q, q),
            _mm_setzero_si128(),
        )) as u32;
        // Opaque pixels blend to an opaque one.
        o.copy_from_slice(&(bytes | OPAQUE).to_le_bytes());
    }
}

/// Rows of the result [`ImageOverlay::from_grid_rows`] makes in one task
/// (and reads the picture's rows for).
const OVERLAY_BLOCK_ROWS: usize = 16;

/// A picture of `width` x `height` RGBA pixels that
/// [`ImageOverlay::from_grid_rows`] reads a band of rows at a time:
/// `rows(first, out)` fills `out` with rows `first..first + out.len() /
/// (width * 4)`, whole, row-major.
pub(crate) struct PictureRows<'p> {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// Makes a band of rows.
    pub rows: &'p (dyn Fn(usize, &mut [u8]) + Sync),
}

/// The picture [`ImageOverlay::from_picture`] resamples: whole in memory,
/// or made a band of rows at a time.
#[derive(Clone, Copy)]
enum Picture<'p> {
    Whole(&'p RgbaImage),
    Rows(&'p PictureRows<'p>),
}

impl Picture<'_> {
    /// `(width, height)`, pixels.
    fn size(&self) -> (u32, u32) {
        match self {
            Picture::Whole(image) => image.dimensions(),
            Picture::Rows(rows) => (rows.width, rows.height),
        }
    }

    /// Rows `lo..=hi`, RGBA bytes, row-major.
    fn lines(&self, lo: usize, hi: usize) -> Cow<'_, [u8]> {
        let stride = self.size().0 as usize * 4;
        match self {
            Picture::Whole(image) => image.as_raw()[lo * stride..(hi + 1) * stride].into(),
            Picture::Rows(rows) => {
                let mut lines = vec![0u8; (hi + 1 - lo) * stride];
                (rows.rows)(lo, &mut lines);
                lines.into()
            }
        }
    }

    /// The whole picture.
    fn whole(&self) -> Result<Cow<'_, RgbaImage>> {
        match self {
            Picture::Whole(image) => Ok(Cow::Borrowed(*image)),
            Picture::Rows(_) => {
                let (width, height) = self.size();
                let all = self.lines(0, height as usize - 1).into_owned();
                RgbaImage::from_raw(width, height, all)
                    .map(Cow::Owned)
                    .ok_or_else(|| Error::param("internal error: picture size mismatch"))
            }
        }
    }
}

/// Pixel of `image` at fractional pixel-centre coordinates (`col`, `row`),
/// or `None` outside it.
fn sample(image: &RgbaImage, col: f64, row: f64, sampling: Sampling) -> Option<Rgba<u8>> {
    let col = tap(col, image.width(), sampling)?;
    let row = tap(row, image.height(), sampling)?;
    Some(sample_taps(image, col, row, sampling))
}

impl ImageOverlay {
    /// Resamples `image`, whose outer edges are `bounds_xy` (in the units
    /// of `crs`: degrees on geographic grids,
    /// metres on projected ones), onto a picture whose columns are evenly
    /// spaced in longitude and rows in Web Mercator `y`, as Leaflet's
    /// image overlays are drawn. The picture keeps about as many pixels as
    /// `image` has, with its longer side at most `max_side_px`; pixels
    /// outside `image` are transparent.
    ///
    /// Fails on a planar CRS (no place on the Earth), on empty bounds, or if
    /// the picture cannot be encoded. How it is encoded: see [`PictureFormat`].
    pub fn from_grid_image(
        image: &RgbaImage,
        bounds_xy: Bounds,
        crs: &Crs,
        sampling: Sampling,
        max_side_px: u32,
    ) -> Result<ImageOverlay> {
        Self::from_picture(Picture::Whole(image), bounds_xy, crs, sampling, max_side_px)
    }

    /// [`ImageOverlay::from_grid_image`] of the picture that `rows` makes
    /// row by row: on a geographic grid only the rows each block of the
    /// result reads are made, so the whole picture is never held.
    pub(crate) fn from_grid_rows(
        rows: &PictureRows<'_>,
        bounds_xy: Bounds,
        crs: &Crs,
        sampling: Sampling,
        max_side_px: u32,
    ) -> Result<ImageOverlay> {
        Self::from_picture(Picture::Rows(rows), bounds_xy, crs, sampling, max_side_px)
    }

    /// Both of the above.
    fn from_picture(
        picture: Picture<'_>,
        bounds_xy: Bounds,
        crs: &Crs,
        sampling: Sampling,
        max_side_px: u32,
    ) -> Result<ImageOverlay> {
        let [w, s, e, n] = bounds_xy.to_array();
        if !bounds_xy.is_proper() {
            return Err(Error::param(format!(
                "cannot place a picture with bounds {:?}: not west < east, south < north",
                bounds_xy.to_array()
            )));
        }
        let (width, height) = picture.size();
        if width == 0 || height == 0 || max_side_px == 0 {
            return Err(Error::param("cannot place an empty picture on the map"));
        }
        let projection = Projection::for_crs(crs)?;
        let ll = lat_lon_box(bounds_xy, crs)?;
        let (x0, x1) = (ll.west.to_radians(), ll.east.to_radians());
        let (y0, y1) = (mercator_y(ll.south), mercator_y(ll.north));
        // About as many pixels as the source, square in Mercator.
        let pixels = width as f64 * height as f64;
        let mut size = ((x1 - x0) * (y1 - y0) / pixels).sqrt();
        let longest = (x1 - x0).max(y1 - y0);
        size = size.max(longest / max_side_px as f64);
        let out_w = ((x1 - x0) / size).round().clamp(1.0, max_side_px as f64) as u32;
        let out_h = ((y1 - y0) / size).round().clamp(1.0, max_side_px as f64) as u32;
        let (sx, sy) = ((x1 - x0) / out_w as f64, (y1 - y0) / out_h as f64);
        let (iw, ih) = (width as f64, height as f64);
        let lon_of = |c: u32| (x0 + (c as f64 + 0.5) * sx).to_degrees();
        let lat_of = |r: usize| mercator_lat(y1 - (r as f64 + 0.5) * sy);
        let col_of = |x: f64| (x - w) / (e - w) * iw - 0.5;
        let row_of = |y: f64| (n - y) / (n - s) * ih - 0.5;
        // Clear (all zero) where nothing of the picture falls.
        let mut warped = RgbaImage::new(out_w, out_h);
        let out_row = out_w as usize * 4;
        if !projection.is_identity() {
            // Any pixel may be read: the whole picture.
            let image = picture.whole()?;
            let image = image.as_ref();
            let clear = Rgba([0, 0, 0, 0]);
            warped
                .par_chunks_mut(out_row)
                .enumerate()
                .for_each(|(r, row)| {
                    let lat = lat_of(r);
                    for (c, o) in (0..out_w).zip(row.chunks_exact_mut(4)) {
                        let px = projection
                            .from_wgs84(lon_of(c), lat)
                            .and_then(|(x, y)| sample(image, col_of(x), row_of(y), sampling));
                        o.copy_from_slice(&px.unwrap_or(clear).0);
                    }
                });
        } else {
            // On a geographic grid a column's longitude is its grid x and a
            // row's latitude its grid y: each column's tap is found once,
            // and each block of rows reads the picture's rows its taps
            // name.
            let col_taps: Vec<Option<Tap>> = (0..out_w)
                .map(|c| tap(col_of(lon_of(c)), width, sampling))
                .collect();
            let stride = width as usize * 4;
            warped
                .par_chunks_mut(out_row * OVERLAY_BLOCK_ROWS)
                .enumerate()
                .for_each(|(b, block)| {
                    let first = b * OVERLAY_BLOCK_ROWS;
                    let row_taps: Vec<Option<Tap>> = (first..first + block.len() / out_row)
                        .map(|r| tap(row_of(lat_of(r)), height, sampling))
                        .collect();
                    let taps = || row_taps.iter().flatten();
                    let (Some(lo), Some(hi)) =
                        (taps().map(|t| t.lo).min(), taps().map(|t| t.hi).max())
                    else {
                        return;
                    };
                    let (lo, hi) = (lo as usize, hi as usize);
                    let lines = picture.lines(lo, hi);
                    let line = |i: u32| &lines[(i as usize - lo) * stride..][..stride];
                    for (row, t) in block.chunks_exact_mut(out_row).zip(&row_taps) {
                        let Some(t) = t else { continue };
                        if sampling == Sampling::Bilinear {
                            blend_row(line(t.lo), line(t.hi), &col_taps, t.frac, row);
                            continue;
                        }
                        // Nearest: the pixel of the column's tap in the row's.
                        let top = line(t.lo);
                        for (o, ct) in row.chunks_exact_mut(4).zip(&col_taps) {
                            if let Some(ct) = ct {
                                let at = ct.lo as usize * 4;
                                o.copy_from_slice(&top[at..at + 4]);
                            }
                        }
                    }
                });
        }
        let (bytes, format) = encode(warped, sampling)?;
        Ok(ImageOverlay {
            bytes,
            format,
            bounds: ll,
            size_px: (out_w, out_h),
        })
    }

    /// The picture as a `data:image/png;base64,...` (or `image/jpeg`) URI.
    pub fn data_uri(&self) -> String {
        format!(
            "data:{};base64,{}",
            self.format.media_type(),
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        )
    }
}

/// `picture` encoded for the page: an opaque picture sampled bilinearly
/// (continuous tones: a relief away from voids and from the grid's edges)
/// as JPEG, anything else as PNG, RGB when opaque (a quarter fewer bytes
/// to deflate), RGBA when not.
fn encode(picture: RgbaImage, sampling: Sampling) -> Result<(Vec<u8>, PictureFormat)> {
    let picture = opaque_as_rgb(picture);
    if let (image::DynamicImage::ImageRgb8(rgb), Sampling::Bilinear) = (&picture, sampling) {
        let jpeg = crate::export::jpeg::encode_rgb(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            crate::export::jpeg::RELIEF_QUALITY,
        )?;
        return Ok((jpeg, PictureFormat::Jpeg));
    }
    let mut png = Vec::new();
    crate::render::encode_png(&picture, &mut png)
        .map_err(|e| Error::io("index.html (relief picture)", e))?;
    Ok((png, PictureFormat::Png))
}

/// `picture` as RGB when every pixel is opaque (a relief that covers its
/// whole rectangle), else as it is: a quarter fewer bytes to deflate, and
/// the page smaller by about a tenth, for the same pixels.
fn opaque_as_rgb(picture: RgbaImage) -> image::DynamicImage {
    let picture = image::DynamicImage::ImageRgba8(picture);
    if picture.as_bytes().chunks_exact(4).all(|p| p[3] == 255) {
        image::DynamicImage::ImageRgb8(picture.to_rgb8())
    } else {
        picture
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An opaque picture is encoded as RGB with the same pixels (across
    /// the chunks the check and the copy use); one transparent pixel keeps
    /// it RGBA, untouched.
    #[test]
    fn opaque_pictures_drop_their_alpha_and_nothing_else() {
        let (w, h) = (301, 250);
        let pixel =
            |x: u32, y: u32| image::Rgba([(x * 7) as u8, (y * 3) as u8, (x ^ y) as u8, 255]);
        let opaque = RgbaImage::from_fn(w, h, pixel);
        match opaque_as_rgb(opaque.clone()) {
            image::DynamicImage::ImageRgb8(rgb) => {
                assert_eq!(rgb.dimensions(), (w, h));
                for (x, y, p) in rgb.enumerate_pixels() {
                    assert_eq!(p.0[..], pixel(x, y).0[..3], "({x}, {y})");
                }
            }
            other => panic!("not RGB: {:?}", other.color()),
        }
        let mut holed = opaque;
        holed.put_pixel(w - 1, h - 1, image::Rgba([1, 2, 3, 254]));
        match opaque_as_rgb(holed.clone()) {
            image::DynamicImage::ImageRgba8(same) => assert_eq!(same, holed),
            other => panic!("not RGBA: {:?}", other.color()),
        }
    }

    /// Only an opaque picture sampled bilinearly (a relief) becomes a JPEG,
    /// which reads back close to the pixels resampled; one with a
    /// transparent pixel, or categorical colours (nearest), stays a PNG
    /// that reads back exactly.
    #[test]
    fn only_opaque_continuous_pictures_become_jpeg() {
        let img = RgbaImage::from_fn(40, 30, |c, r| Rgba([(c * 5) as u8, (r * 7) as u8, 90, 255]));
        let bounds = Bounds::new(0.0, 0.0, 4.0, 3.0);
        let place = |img: &RgbaImage, sampling| {
            ImageOverlay::from_grid_image(img, bounds, &Crs::Geographic, sampling, 4096).unwrap()
        };
        let relief = place(&img, Sampling::Bilinear);
        assert_eq!(relief.format, PictureFormat::Jpeg);
        assert_eq!(&relief.bytes[..3], &[0xFF, 0xD8, 0xFF]);
        let nearest = place(&img, Sampling::Nearest);
        assert_eq!(nearest.format, PictureFormat::Png);
        assert!(nearest
            .data_uri()
            .starts_with("data:image/png;base64,iVBOR"));
        // The JPEG is the same picture as the lossless one of the same
        // resampling, within a few levels.
        let mut exact = img.clone();
        exact.put_pixel(39, 29, Rgba([0, 0, 0, 0]));
        let lossless = place(&exact, Sampling::Bilinear);
        assert_eq!(lossless.format, PictureFormat::Png);
        let (a, b) = (
            image::load_from_memory(&relief.bytes).unwrap().to_rgb8(),
            image::load_from_memory(&lossless.bytes).unwrap().to_rgba8(),
        );
        assert_eq!(a.dimensions(), b.dimensions());
        let mut worst = 0;
        for (x, y, p) in a.enumerate_pixels() {
            let q = b.get_pixel(x, y);
            if q[3] == 255 {
                for k in 0..3 {
                    worst = worst.max(p[k].abs_diff(q[k]));
                }
            }
        }
        assert!(worst <= 12, "{worst}");
    }

    /// The vector loop of `blend_row` gives the bytes of `blend` pixel by
    /// pixel: on opaque pixels (its own arithmetic), on pixels with
    /// alpha (handed to `blend`), at fractions 0, ½ and just below ½ and
    /// 1, and where a weighted mean lands on a half exactly.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_blend_matches_the_scalar_one_byte_for_byte() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("skipped: this CPU has no AVX2");
            return;
        }
        let width = 257u32;
        // Pixels from a small generator: mostly opaque, some not.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut line = |opaque_one_in: u64| -> Vec<u8> {
            (0..width)
                .flat_map(|_| {
                    let r = next();
                    let alpha = if r % opaque_one_in == 0 {
                        (r >> 40) as u8
                    } else {
                        255
                    };
                    [(r >> 8) as u8, (r >> 16) as u8, (r >> 24) as u8, alpha]
                })
                .collect()
        };
        let (top, bottom) = (line(7), line(11));
        let fracs = [0.0, 0.5, 0.5 - f64::EPSILON, 1.0 - f64::EPSILON, 0.25, 0.3];
        for fr in fracs {
            let taps: Vec<Option<Tap>> = (0..width)
                .map(|c| {
                    (c % 13 != 5).then(|| Tap {
                        lo: c,
                        hi: (c + 1).min(width - 1),
                        frac: if c < 6 {
                            fracs[c as usize]
                        } else {
                            (c as f64 * 0.618) % 1.0
                        },
                    })
                })
                .collect();
            let mut fast = vec![9u8; width as usize * 4];
            // SAFETY: AVX2 checked above; the taps lie within the lines.
            unsafe { blend_row_avx2(&top, &bottom, &taps, fr, &mut fast) };
            for (c, tap) in taps.iter().enumerate() {
                let got = &fast[c * 4..c * 4 + 4];
                let Some(t) = tap else {
                    assert_eq!(got, [9; 4], "column {c} has no tap and stays as it was");
                    continue;
                };
                let px = |line: &[u8], i: u32| -> [u8; 4] {
                    line[i as usize * 4..i as usize * 4 + 4].try_into().unwrap()
                };
                let want = blend(
                    [
                        px(&top, t.lo),
                        px(&top, t.hi),
                        px(&bottom, t.lo),
                        px(&bottom, t.hi),
                    ],
                    t.frac,
                    fr,
                );
                assert_eq!(got, want, "column {c}, row fraction {fr}");
            }
        }
        // A weighted mean of exactly 100.5 rounds up, 100.4999... down.
        let two = |a: u8, b: u8| -> Vec<u8> { [a, a, a, 255, b, b, b, 255].to_vec() };
        let tap = [Some(Tap {
            lo: 0,
            hi: 1,
            frac: 0.5,
        })];
        let mut out = [0u8; 4];
        // SAFETY: as above.
        unsafe { blend_row_avx2(&two(100, 101), &two(100, 101), &tap, 0.0, &mut out) };
        assert_eq!(out, [101, 101, 101, 255]);
    }

    /// On a geographic grid each Mercator row samples the source row of its
    /// own latitude: a picture whose rows encode their latitude reads back,
    /// row by row, the latitude computed independently from the inverse
    /// Mercator formula.
    #[test]
    fn rows_follow_mercator_latitudes() {
        let (south, north) = (40.0, 60.0);
        let rows = 200u32;
        // Row r's centre lies at latitude north - (r + 0.5) * 0.1; store r.
        let img = RgbaImage::from_fn(4, rows, |_, r| Rgba([r as u8, 0, 0, 255]));
        let o = ImageOverlay::from_grid_image(
            &img,
            Bounds::new(0.0, south, 4.0, north),
            &Crs::Geographic,
            Sampling::Nearest,
            4096,
        )
        .unwrap();
        assert_eq!(o.bounds.south, south);
        assert_eq!(o.bounds.north, north);
        let out = image::load_from_memory(&o.bytes).unwrap().to_rgba8();
        let h = out.height() as f64;
        let (y0, y1) = (
            (std::f64::consts::FRAC_PI_4 + south.to_radians() / 2.0)
                .tan()
                .ln(),
            (std::f64::consts::FRAC_PI_4 + north.to_radians() / 2.0)
                .tan()
                .ln(),
        );
        for r in [0u32, out.height() / 3, out.height() / 2, out.height() - 1] {
            let y = y1 - (r as f64 + 0.5) / h * (y1 - y0);
            let lat = (2.0 * y.exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
            let expected = ((north - lat) / 0.1 - 0.5).round();
            let got = out.get_pixel(0, r)[0] as f64;
            assert!(
                (got - expected).abs() <= 1.0,
                "row {r}: {got} vs {expected}"
            );
        }
        // A linear stretch would put 50° N at mid-height; Mercator does not.
        let mid = out.get_pixel(0, out.height() / 2)[0] as f64;
        assert!((mid - 100.0).abs() > 5.0, "{mid}");
    }

    /// Bilinear samples worked by hand: an opaque picture gives each
    /// channel's weighted mean; with a transparent pixel among the four,
    /// the colours are weighted by their alphas too (premultiplied), so
    /// the transparent one's colour does not bleed in.
    #[test]
    fn bilinear_samples_match_the_weights_by_hand() {
        let mut img = RgbaImage::from_pixel(2, 2, Rgba([0, 0, 0, 255]));
        img.put_pixel(0, 0, Rgba([10, 200, 0, 255]));
        img.put_pixel(1, 0, Rgba([30, 100, 255, 255]));
        img.put_pixel(0, 1, Rgba([50, 0, 128, 255]));
        img.put_pixel(1, 1, Rgba([70, 50, 64, 255]));
        // Column 0.25, row 0.75: weights nw 0.75 * 0.25, ne 0.25 * 0.25,
        // sw 0.75 * 0.75, se 0.25 * 0.75.
        let w = [0.1875, 0.0625, 0.5625, 0.1875];
        let by_hand = |c: [f64; 4]| (0..4).map(|i| c[i] * w[i]).sum::<f64>().round() as u8;
        let got = sample(&img, 0.25, 0.75, Sampling::Bilinear).unwrap();
        assert_eq!(
            got.0,
            [
                by_hand([10.0, 30.0, 50.0, 70.0]),
                by_hand([200.0, 100.0, 0.0, 50.0]),
                by_hand([0.0, 255.0, 128.0, 64.0]),
                255
            ]
        );
        assert_eq!(got.0, [45, 53, 100, 255]);
        // The south-west pixel transparent (and white, which must not show).
        img.put_pixel(0, 1, Rgba([255, 255, 255, 0]));
        let got = sample(&img, 0.25, 0.75, Sampling::Bilinear).unwrap();
        let alpha = 255.0 * (w[0] + w[1] + w[3]);
        let mean = |c: [f64; 3]| {
            ((c[0] * w[0] + c[1] * w[1] + c[2] * w[3]) / (w[0] + w[1] + w[3])).round() as u8
        };
        assert_eq!(
            got.0,
            [
                mean([10.0, 30.0, 70.0]),
                mean([200.0, 100.0, 50.0]),
                mean([0.0, 255.0, 64.0]),
                alpha.round() as u8
            ]
        );
        // Beyond the outer edges of the pixels: nothing.
        assert_eq!(sample(&img, -0.6, 0.0, Sampling::Bilinear), None);
    }

    /// A row blended at once is the row sampled pixel by pixel, voids
    /// (transparent pixels) and taps beyond the picture included.
    #[test]
    fn a_row_blended_at_once_is_the_row_sampled_pixel_by_pixel() {
        let img = RgbaImage::from_fn(7, 5, |c, r| {
            let v = (c * 37 + r * 91) % 256;
            let alpha = if (c + 2 * r) % 5 == 0 { 0 } else { 255 };
            Rgba([v as u8, (255 - v) as u8, (c * r * 11 % 256) as u8, alpha])
        });
        let cols: Vec<f64> = (-3..=28).map(|i| i as f64 * 0.23 - 0.4).collect();
        let col_taps: Vec<Option<Tap>> = cols
            .iter()
            .map(|&c| tap(c, img.width(), Sampling::Bilinear))
            .collect();
        assert!(col_taps.iter().any(Option::is_none) && col_taps.iter().any(Option::is_some));
        for row in [0.0, 0.3, 1.5, 2.99, 4.0, 4.4] {
            let row_tap = tap(row, img.height(), Sampling::Bilinear).unwrap();
            let mut out = vec![0u8; cols.len() * 4];
            let line = |r: u32| &img.as_raw()[r as usize * 28..][..28];
            blend_row(
                line(row_tap.lo),
                line(row_tap.hi),
                &col_taps,
                row_tap.frac,
                &mut out,
            );
            for (k, &c) in cols.iter().enumerate() {
                let want = sample(&img, c, row, Sampling::Bilinear).map_or([0; 4], |p| p.0);
                assert_eq!(out[4 * k..4 * k + 4], want, "column {c}, row {row}");
            }
        }
    }

    #[test]
    fn large_pictures_are_capped_and_planar_grids_refused() {
        let img = RgbaImage::from_pixel(300, 100, Rgba([1, 2, 3, 255]));
        let o = ImageOverlay::from_grid_image(
            &img,
            Bounds::new(0.0, 0.0, 3.0, 1.0),
            &Crs::Geographic,
            Sampling::Bilinear,
            64,
        )
        .unwrap();
        assert!(o.size_px.0 <= 64 && o.size_px.1 <= 64, "{:?}", o.size_px);
        // Opaque and bilinear (a relief): JPEG, whose file starts FF D8 FF.
        assert_eq!(o.format, PictureFormat::Jpeg);
        assert!(o.data_uri().starts_with("data:image/jpeg;base64,/9j/"));
        assert!(ImageOverlay::from_grid_image(
            &img,
            Bounds::new(0.0, 0.0, 3.0, 1.0),
            &Crs::Planar,
            Sampling::Bilinear,
            64
        )
        .is_err());
    }
}
