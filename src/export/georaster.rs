//! The one place that writes georeferenced rasters: a GeoTIFF, or a PNG
//! with its world file and bounds.
//!
//! - [`geotiff`]: a tiled, deflate-compressed GeoTIFF of 8-bit grey, RGB or
//!   RGBA, 32-bit unsigned or 32-bit float pixels, with ModelPixelScale
//!   (33550), ModelTiepoint (33922) tying the outer corner of pixel (0, 0)
//!   to the geotransform's origin (PixelIsArea), a GeoKeyDirectory (34735)
//!   naming EPSG:4326 or the projected EPSG code, and GDAL_NODATA (42113)
//!   when given. Tiles are compressed in parallel.
//! - [`georeferenced_png`]: `NAME.png` (encoded in parallel stripes), the
//!   ESRI world file `NAME.pgw` (pixel size and centre of the upper-left
//!   pixel, in CRS units, as QGIS and GDAL read it) and `NAME.bounds.json`
//!   (outer edges `{"west", "south", "east", "north"}` and the CRS, as
//!   Leaflet's `imageOverlay` and MapLibre's image sources want them).
//!
//! Both go through [`OutputDir`] with [`write_geotiff`] and
//! [`write_georeferenced_png`], or return bytes for callers that stage
//! their own files.

use std::path::PathBuf;

use serde::Serialize;

use super::png::{encode_png_parallel, PngColour};
use super::tiff::{encode_tiled, SampleLayout, TagValue};
use super::FileBytes;
use super::OutputDir;
use crate::dem::{Crs, GeoTransform};
use crate::error::{Error, Result};
use crate::geo::Bounds;

/// The pixels of a raster, row-major, row 0 north.
#[derive(Debug, Clone, Copy)]
pub enum Pixels<'a> {
    /// 8-bit grey, one byte per pixel.
    Gray8(&'a [u8]),
    /// 8-bit red, green, blue, three bytes per pixel.
    Rgb8(&'a [u8]),
    /// 8-bit red, green, blue, alpha, four bytes per pixel.
    Rgba8(&'a [u8]),
    /// One 32-bit unsigned band (labels, counts).
    U32(&'a [u32]),
    /// One 32-bit float band (heights in metres, slopes).
    F32(&'a [f32]),
}

impl Pixels<'_> {
    /// Number of values per pixel.
    fn channels(&self) -> usize {
        match self {
            Pixels::Rgb8(_) => 3,
            Pixels::Rgba8(_) => 4,
            _ => 1,
        }
    }

    /// Number of values held.
    fn len(&self) -> usize {
        match self {
            Pixels::Gray8(v) | Pixels::Rgb8(v) | Pixels::Rgba8(v) => v.len(),
            Pixels::U32(v) => v.len(),
            Pixels::F32(v) => v.len(),
        }
    }
}

/// A raster of `width` x `height` pixels.
#[derive(Debug, Clone, Copy)]
pub struct Raster<'a> {
    width: u32,
    height: u32,
    pixels: Pixels<'a>,
}

impl<'a> Raster<'a> {
    /// A raster of `width` x `height` pixels (columns x rows); fails unless
    /// both are positive and `pixels` holds exactly that many pixels.
    pub fn new(width: u32, height: u32, pixels: Pixels<'a>) -> Result<Self> {
        let want = width as u64 * height as u64 * pixels.channels() as u64;
        if width == 0 || height == 0 || pixels.len() as u64 != want {
            return Err(Error::param(format!(
                "internal error: {} values for a raster of {width} x {height} pixels",
                pixels.len()
            )));
        }
        Ok(Raster {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
}

/// GeoKey ids and values (GeoTIFF 1.0 specification, section 6).
const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GEOGRAPHIC_TYPE: u16 = 2048;
const PROJECTED_CS_TYPE: u16 = 3072;
const MODEL_TYPE_PROJECTED: u16 = 1;
const MODEL_TYPE_GEOGRAPHIC: u16 = 2;
const RASTER_PIXEL_IS_AREA: u16 = 1;
/// GeoTIFF's "user-defined" code (no EPSG CRS).
const USER_DEFINED: u32 = 32767;
/// TIFF tags of GeoTIFF and GDAL.
const MODEL_PIXEL_SCALE: u16 = 33550;
const MODEL_TIEPOINT: u16 = 33922;
const GEO_KEY_DIRECTORY: u16 = 34735;
const GDAL_NODATA: u16 = 42113;

/// The GeoKeyDirectory of `crs`: header `[1, 1, 0, keys]` then
/// `[key, location 0 (inline), count 1, value]` per key, keys ascending.
fn geo_keys(crs: &Crs) -> Result<Vec<u16>> {
    let (model, crs_key, code) = match crs {
        Crs::Geographic => (MODEL_TYPE_GEOGRAPHIC, GEOGRAPHIC_TYPE, 4326u32),
        Crs::Projected { epsg, .. } => (MODEL_TYPE_PROJECTED, PROJECTED_CS_TYPE, *epsg),
        // An analytic surface has no place on the Earth: user-defined model, no CRS code.
        Crs::Planar => (MODEL_TYPE_PROJECTED, PROJECTED_CS_TYPE, USER_DEFINED),
    };
    let code = u16::try_from(code).map_err(|_| {
        Error::param(format!(
            "EPSG:{code} does not fit a GeoTIFF key (codes above 65535 are not representable)"
        ))
    })?;
    #[rustfmt::skip]
    let keys = vec![
        1, 1, 0, 3,
        GT_MODEL_TYPE, 0, 1, model,
        GT_RASTER_TYPE, 0, 1, RASTER_PIXEL_IS_AREA,
        crs_key, 0, 1, code,
    ];
    Ok(keys)
}

/// The bytes of a GeoTIFF of `raster` placed by `transform` (the outer
/// corner of pixel (0, 0) and the pixel size, in `crs` units) in `crs`.
/// `nodata`, when given, is written as GDAL_NODATA.
pub fn geotiff(
    raster: &Raster,
    transform: &GeoTransform,
    crs: &Crs,
    nodata: Option<f64>,
) -> Result<Vec<u8>> {
    let fail = |m: String| Error::param(format!("cannot encode the GeoTIFF: {m}"));
    let extra = geo_tags(transform, crs, nodata)?;
    let w = raster.width as usize;
    let (width, height) = (raster.width, raster.height);
    match raster.pixels {
        Pixels::Gray8(v) => encode_tiled(width, height, GRAY8, bytes(v, w, 1), &extra),
        Pixels::Rgb8(v) => encode_tiled(width, height, bytes8(2, 3, false), bytes(v, w, 3), &extra),
        Pixels::Rgba8(v) => encode_tiled(width, height, bytes8(2, 4, true), bytes(v, w, 4), &extra),
        Pixels::U32(v) => {
            let layout = SampleLayout { bits: 32, ..GRAY8 };
            encode_tiled(
                width,
                height,
                layout,
                le_words(v, w, u32::to_le_bytes),
                &extra,
            )
        }
        Pixels::F32(v) => {
            let layout = SampleLayout {
                bits: 32,
                format: 3,
                ..GRAY8
            };
            encode_tiled(
                width,
                height,
                layout,
                le_words(v, w, f32::to_le_bytes),
                &extra,
            )
        }
    }
    .map_err(fail)
}

/// 8-bit unsigned samples: `samples` of them a pixel, `photometric` 1
/// (grey) or 2 (RGB), the fourth of four an unassociated `alpha`.
const fn bytes8(photometric: u16, samples: u16, alpha: bool) -> SampleLayout {
    SampleLayout {
        samples,
        bits: 8,
        format: 1,
        photometric,
        alpha,
    }
}

/// One 8-bit grey sample a pixel.
const GRAY8: SampleLayout = bytes8(1, 1, false);

/// [`geotiff`] of an 8-bit grey picture `width` x `height` pixels made a
/// band of rows at a time by `rows(first, out)` (`out` holding whole rows
/// from row `first`), never whole in memory: bands of 256 rows (one row of
/// tiles) are made in parallel and their tiles compressed as each is done;
/// the file comes back in pieces.
pub fn geotiff_gray8_rows(
    width: u32,
    height: u32,
    rows: impl Fn(usize, &mut [u8]) -> Result<()> + Sync,
    transform: &GeoTransform,
    crs: &Crs,
    nodata: Option<f64>,
) -> Result<FileBytes> {
    let extra = geo_tags(transform, crs, nodata)?;
    super::tiff::encode_tiled_rows(width, height, GRAY8, rows, &extra)
}

/// The GeoTIFF tags that place a raster by `transform` in `crs`, and
/// GDAL_NODATA when `nodata` is given.
fn geo_tags(
    transform: &GeoTransform,
    crs: &Crs,
    nodata: Option<f64>,
) -> Result<Vec<(u16, TagValue)>> {
    let mut extra = vec![
        (
            MODEL_PIXEL_SCALE,
            TagValue::Double(vec![transform.cell_x, transform.cell_y, 0.0]),
        ),
        (
            MODEL_TIEPOINT,
            TagValue::Double(vec![
                0.0,
                0.0,
                0.0,
                transform.origin_x,
                transform.origin_y,
                0.0,
            ]),
        ),
        (GEO_KEY_DIRECTORY, TagValue::Short(geo_keys(crs)?)),
    ];
    if let Some(v) = nodata {
        extra.push((GDAL_NODATA, TagValue::Ascii(format!("{v}"))));
    }
    Ok(extra)
}

/// Copies pixels `x0..x1` of row `y` of `v` (`w` pixels of `n` bytes a row).
fn bytes(v: &[u8], w: usize, n: usize) -> impl Fn(usize, usize, usize, &mut Vec<u8>) + Sync + '_ {
    move |y, x0, x1, out| out.extend_from_slice(&v[(y * w + x0) * n..(y * w + x1) * n])
}

/// Row pieces of `v` (`w` 4-byte samples a row) as little-endian bytes,
/// for [`encode_tiled`].
fn le_words<T: Copy + Sync>(
    v: &[T],
    w: usize,
    le: fn(T) -> [u8; 4],
) -> impl Fn(usize, usize, usize, &mut Vec<u8>) + Sync + '_ {
    move |y, x0, x1, out| out.extend(v[y * w + x0..y * w + x1].iter().flat_map(|&x| le(x)))
}

/// The bytes of a PNG of `raster` (8-bit grey, RGB or RGBA only),
/// compressed on every core.
pub fn png(raster: &Raster) -> Result<Vec<u8>> {
    let (colour, data) = match raster.pixels {
        Pixels::Gray8(v) => (PngColour::Gray, v),
        Pixels::Rgb8(v) => (PngColour::Rgb, v),
        Pixels::Rgba8(v) => (PngColour::Rgba, v),
        Pixels::U32(_) | Pixels::F32(_) => {
            return Err(Error::param(
                "internal error: 32-bit bands go to GeoTIFF, not PNG",
            ))
        }
    };
    encode_png_parallel(raster.width, raster.height, colour, data)
        .map_err(|e| Error::param(format!("cannot encode the PNG: {e}")))
}

/// The geotransform of an image `width` x `height` pixels whose outer edges
/// are `bounds_xy` (CRS units); fails unless west < east and south < north,
/// all finite.
pub fn transform_of_bounds(bounds_xy: Bounds, width: u32, height: u32) -> Result<GeoTransform> {
    let [w, s, e, n] = bounds_xy.to_array();
    if !(bounds_xy.is_proper() && width > 0 && height > 0) {
        return Err(Error::param(format!(
            "cannot georeference an image: bounds {bounds_xy:?} are not west < east, south < north"
        )));
    }
    Ok(GeoTransform {
        origin_x: w,
        origin_y: n,
        cell_x: (e - w) / width as f64,
        cell_y: (n - s) / height as f64,
    })
}

/// The six lines of an ESRI world file: pixel width, two zero rotations,
/// negative pixel height, and the centre of the upper-left pixel (CRS units).
pub fn world_file(transform: &GeoTransform) -> String {
    format!(
        "{:.12}\n0.0\n0.0\n{:.12}\n{:.12}\n{:.12}\n",
        transform.cell_x,
        -transform.cell_y,
        transform.origin_x + transform.cell_x / 2.0,
        transform.origin_y - transform.cell_y / 2.0
    )
}

/// The outer edges of an image in CRS units with the CRS's name, as
/// written to `NAME.bounds.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundsFile {
    /// West edge (degrees east or metres).
    pub west: f64,
    /// South edge (degrees north or metres).
    pub south: f64,
    /// East edge (degrees east or metres).
    pub east: f64,
    /// North edge (degrees north or metres).
    pub north: f64,
    /// The CRS of the four numbers, e.g. `EPSG:4326`.
    pub crs: String,
}

/// The text of `NAME.bounds.json`: `{"west", "south", "east", "north", "crs"}`
/// of an image's outer edges (CRS units), for Leaflet's imageOverlay or MapLibre.
pub fn bounds_json(bounds_xy: Bounds, crs: &Crs) -> Result<Vec<u8>> {
    let [west, south, east, north] = bounds_xy.to_array();
    let bounds = BoundsFile {
        west,
        south,
        east,
        north,
        crs: crs.label(),
    };
    let json = serde_json::to_string_pretty(&bounds)
        .map_err(|e| Error::param(format!("cannot serialise bounds: {e}")))?;
    Ok(format!("{json}\n").into_bytes())
}

/// The names of the three files [`georeferenced_png`] makes for
/// `png_name`: the PNG, `NAME.pgw` and `NAME.bounds.json`.
pub fn georeferenced_names(png_name: &str) -> [String; 3] {
    let stem = png_name.strip_suffix(".png").unwrap_or(png_name);
    [
        png_name.to_string(),
        format!("{stem}.pgw"),
        format!("{stem}.bounds.json"),
    ]
}

/// The three files of a georeferenced PNG named `png_name`, as
/// `(file name, bytes)`: the PNG, `NAME.pgw` and `NAME.bounds.json`.
/// `bounds_xy` are the image's outer edges in `crs` units.
pub fn georeferenced_png(
    png_name: &str,
    raster: &Raster,
    bounds_xy: Bounds,
    crs: &Crs,
) -> Result<Vec<(String, Vec<u8>)>> {
    georeferenced_files(
        png_name,
        raster.width,
        raster.height,
        bounds_xy,
        crs,
        || png(raster),
    )
}

/// [`georeferenced_png`] of an 8-bit grey picture `width` x `height`
/// pixels made a band of rows at a time by `rows(first, out)` (`out`
/// holding whole rows from row `first`), never whole in memory: see
/// [`super::png::encode_png_rows`].
pub fn georeferenced_png_gray8_rows(
    png_name: &str,
    width: u32,
    height: u32,
    rows: impl Fn(usize, &mut [u8]) -> Result<()> + Sync,
    bounds_xy: Bounds,
    crs: &Crs,
) -> Result<Vec<(String, FileBytes)>> {
    georeferenced_files(png_name, width, height, bounds_xy, crs, || {
        super::png::encode_png_rows(width, height, PngColour::Gray, rows)
    })
}

/// The PNG that `encode` makes, a `width` x `height` picture covering
/// `bounds_xy`, with its world file and bounds file, named after
/// `png_name`; the placement is checked before anything is encoded.
fn georeferenced_files<B: From<Vec<u8>>>(
    png_name: &str,
    width: u32,
    height: u32,
    bounds_xy: Bounds,
    crs: &Crs,
    encode: impl FnOnce() -> Result<B>,
) -> Result<Vec<(String, B)>> {
    let transform = transform_of_bounds(bounds_xy, width, height)
        .map_err(|e| Error::param(format!("{png_name}: {e}")))?;
    let bounds = bounds_json(bounds_xy, crs)?;
    let [png_file, pgw_file, bounds_file] = georeferenced_names(png_name);
    Ok(vec![
        (png_file, encode()?),
        (pgw_file, world_file(&transform).into_bytes().into()),
        (bounds_file, bounds.into()),
    ])
}

/// Stages the three files of [`georeferenced_png`] in `out`; returns the
/// paths they will have once `out` is committed.
pub fn write_georeferenced_png(
    out: &mut OutputDir,
    png_name: &str,
    raster: &Raster,
    bounds_xy: Bounds,
    crs: &Crs,
) -> Result<Vec<PathBuf>> {
    georeferenced_png(png_name, raster, bounds_xy, crs)?
        .into_iter()
        .map(|(name, bytes)| out.write(&name, &bytes))
        .collect()
}

/// Stages [`geotiff`] of `raster` as `name` in `out`; returns the path it
/// will have once `out` is committed.
pub fn write_geotiff(
    out: &mut OutputDir,
    name: &str,
    raster: &Raster,
    transform: &GeoTransform,
    crs: &Crs,
    nodata: Option<f64>,
) -> Result<PathBuf> {
    let bytes = geotiff(raster, transform, crs, nodata)?;
    out.write(name, &bytes)
}
