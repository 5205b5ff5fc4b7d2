//! Writing a PNG with the files that place it on the map.
//!
//! The encoding and the georeferencing live in
//! [`crate::export::georaster`]; this module adapts `image`'s pictures to
//! it. Beside `NAME.png` go `NAME.pgw` (the ESRI world file) and
//! `NAME.bounds.json` (outer edges and CRS). PNGs are encoded in parallel
//! stripes (see [`crate::export::encode_png_parallel`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use image::DynamicImage;

use crate::dem::Crs;
use crate::error::{Error, Result};
use crate::export::georaster::{self, Pixels, Raster};
use crate::geo::Bounds;

pub use crate::export::georaster::{bounds_json, georeferenced_names, BoundsFile};

/// Runs `f` on the pixels of an 8-bit grey, RGB or RGBA image (other pixel
/// types are converted to RGBA first).
fn with_raster<T>(image: &DynamicImage, f: impl FnOnce(&Raster) -> Result<T>) -> Result<T> {
    let converted;
    let pixels = match image {
        DynamicImage::ImageLuma8(g) => Pixels::Gray8(g.as_raw()),
        DynamicImage::ImageRgb8(c) => Pixels::Rgb8(c.as_raw()),
        DynamicImage::ImageRgba8(c) => Pixels::Rgba8(c.as_raw()),
        other => {
            converted = other.to_rgba8();
            Pixels::Rgba8(converted.as_raw())
        }
    };
    f(&Raster::new(image.width(), image.height(), pixels)?)
}

/// Encodes an 8-bit grey, RGB or RGBA image as PNG into `out` (other pixel
/// types are converted to RGBA first).
pub fn encode_png(image: &DynamicImage, out: &mut dyn Write) -> std::io::Result<()> {
    let bytes = with_raster(image, georaster::png).map_err(std::io::Error::other)?;
    out.write_all(&bytes)
}

/// The six lines of an ESRI world file for an image `width` x `height`
/// pixels covering `bounds_xy` (CRS units); empty if the bounds are not
/// west < east, south < north.
pub fn world_file(bounds_xy: Bounds, width: u32, height: u32) -> String {
    georaster::transform_of_bounds(bounds_xy, width, height)
        .map(|t| georaster::world_file(&t))
        .unwrap_or_default()
}

/// The three files of a georeferenced PNG named `png_name`: the PNG itself,
/// `NAME.pgw` (world file) and `NAME.bounds.json`, as `(file name, bytes)`.
/// `bounds_xy` are the image's outer edges in `crs` units.
pub fn georeferenced_png(
    png_name: &str,
    image: &DynamicImage,
    bounds_xy: Bounds,
    crs: &Crs,
) -> Result<Vec<(String, Vec<u8>)>> {
    with_raster(image, |r| {
        georaster::georeferenced_png(png_name, r, bounds_xy, crs)
    })
}

/// Writes `image` to `path` as PNG with `NAME.pgw` and `NAME.bounds.json`
/// beside it, each atomically. Returns the paths written.
pub fn write_png_with_georef(
    path: &Path,
    image: &DynamicImage,
    bounds_xy: Bounds,
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
