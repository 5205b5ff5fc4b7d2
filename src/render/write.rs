//! Writing a PNG with the files that place it on the map.
//!
//! Beside `NAME.png` go `NAME.pgw`, the ESRI world file that QGIS and GDAL
//! read (pixel size and the centre of the upper-left pixel, in CRS units),
//! and `NAME.bounds.json`, the outer edges `{"west", "south", "east",
//! "north"}` plus the CRS, as Leaflet's `imageOverlay` and MapLibre's image
//! sources want them. Every file is written to a temporary file in the same
//! directory and renamed into place, so a reader never sees half a file.
//!
//! PNGs are encoded with the `png` crate's `Fast` compression (the fdeflate
//! encoder) and the `Up` filter: on hillshades this is several times faster
//! than zlib's default level and within a few percent of its size.

use std::io::Write;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use serde::Serialize;

use crate::dem::Crs;
use crate::error::{Error, Result};

/// The outer edges of an image in CRS units, as written to `NAME.bounds.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bounds {
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

/// Encodes an 8-bit grey or RGBA image as PNG into `out` (other pixel
/// types are converted to RGBA first).
pub fn encode_png(image: &DynamicImage, out: &mut dyn Write) -> std::io::Result<()> {
    let converted;
    let (colour, data): (png::ColorType, &[u8]) = match image {
        DynamicImage::ImageLuma8(g) => (png::ColorType::Grayscale, g.as_raw()),
        DynamicImage::ImageRgba8(c) => (png::ColorType::Rgba, c.as_raw()),
        other => {
            converted = other.to_rgba8();
            (png::ColorType::Rgba, converted.as_raw())
        }
    };
    let mut encoder = png::Encoder::new(out, image.width(), image.height());
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Up);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(data)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

/// The six lines of an ESRI world file for an image `width` x `height`
/// pixels covering `[west, south, east, north]`.
pub fn world_file(bounds_xy: [f64; 4], width: u32, height: u32) -> String {
    let [w, s, e, n] = bounds_xy;
    let px = (e - w) / width as f64;
    let py = (n - s) / height as f64;
    format!(
        "{px:.12}\n0.0\n0.0\n{:.12}\n{:.12}\n{:.12}\n",
        -py,
        w + px / 2.0,
        n - py / 2.0
    )
}

/// The three files of a georeferenced PNG named `png_name`: the PNG itself,
/// `NAME.pgw` (world file) and `NAME.bounds.json`, as `(file name, bytes)`.
/// `bounds_xy` is `[west, south, east, north]` of the image's outer edges in
/// `crs` units.
pub fn georeferenced_png(
    png_name: &str,
    image: &DynamicImage,
    bounds_xy: [f64; 4],
    crs: &Crs,
) -> Result<Vec<(String, Vec<u8>)>> {
    let [w, s, e, n] = bounds_xy;
    if !(bounds_xy.iter().all(|v| v.is_finite()) && e > w && n > s) {
        return Err(Error::param(format!(
            "cannot georeference {png_name}: bounds {bounds_xy:?} are not west < east, south < north"
        )));
    }
    let mut png = Vec::new();
    encode_png(image, &mut png).map_err(|e| Error::io(png_name, e))?;
    let pgw = world_file(bounds_xy, image.width(), image.height());
    let [png_file, pgw_file, bounds_file] = georeferenced_names(png_name);
    Ok(vec![
        (png_file, png),
        (pgw_file, pgw.into_bytes()),
        (bounds_file, bounds_json(bounds_xy, crs)?),
    ])
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

/// The text of `NAME.bounds.json`: `{"west", "south", "east", "north", "crs"}`
/// of an image's outer edges, for Leaflet's imageOverlay or MapLibre.
pub fn bounds_json(bounds_xy: [f64; 4], crs: &Crs) -> Result<Vec<u8>> {
    let [west, south, east, north] = bounds_xy;
    let bounds = Bounds {
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

/// Writes `image` to `path` as PNG with `NAME.pgw` and `NAME.bounds.json`
/// beside it, each atomically. Returns the paths written.
pub fn write_png_with_georef(
    path: &Path,
    image: &DynamicImage,
    bounds_xy: [f64; 4],
    crs: &Crs,
) -> Result<Vec<PathBuf>> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::param(format!("{}: not a file name", path.display())))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut written = Vec::new();
    for (file, bytes) in georeferenced_png(name, image, bounds_xy, crs)? {
        let p = dir.join(file);
        crate::export::write_atomic(&p, &bytes)?;
        written.push(p);
    }
    Ok(written)
}
