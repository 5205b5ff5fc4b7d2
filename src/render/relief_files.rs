//! Shaded relief written to a file a band of rows at a time: the grid is
//! read, shaded, resampled and compressed in stripes, in parallel, and only
//! the compressed file is ever whole in memory.
//!
//! For an SRTM1 tile read from disk ([`crate::dem::open_rows`]) this never
//! holds the 52 MB of heights or the 13 MB of grey levels that
//! [`super::hillshade`] of a loaded grid does; every stripe's work stays in
//! a core's cache, and the pixels are those of the whole-grid path.

use std::cell::Cell;

use crate::dem::RowSource;
use crate::error::{Error, Result};
use crate::export::{georaster, FileBytes};

use super::resample::nearest_columns;
use super::shade::{RowShader, ShadeOptions};

/// The width in pixels that makes a geographic grid's pixels square on
/// the ground at its middle row (a cell there is `dx` by `dy` metres), or
/// `None` for a projected grid, whose pixels are square already.
pub fn square_pixel_width(source: &dyn RowSource) -> Option<u32> {
    if !source.crs().is_geographic() {
        return None;
    }
    let (rows, cols) = source.shape();
    let (dx, dy) = source.cell_size_m((rows as f64 - 1.0) / 2.0);
    Some(((cols as f64 * dx / dy).round().min(u32::MAX as f64) as u32).max(1))
}

/// The hillshade of `source` as a georeferenced PNG named `png_name`, with
/// its world file and bounds file, as `(file name, bytes in pieces)` (see
/// [`georaster::georeferenced_png`]). With `width`, each row is stretched
/// to that many pixels by nearest sample (as
/// [`super::stretch_columns_nearest`] does), e.g. to the
/// [`square_pixel_width`]; without it, one pixel per sample.
pub fn hillshade_png_by_rows(
    source: &dyn RowSource,
    options: &ShadeOptions,
    png_name: &str,
    width: Option<u32>,
) -> Result<Vec<(String, FileBytes)>> {
    let shader = RowShader::new(source, options)?;
    let (rows, cols) = shader.shape();
    let height = u32::try_from(rows).map_err(|_| Error::param("the grid is too high for a PNG"))?;
    let samples =
        u32::try_from(cols).map_err(|_| Error::param("the grid is too wide for a PNG"))?;
    let bounds = source.bounds();
    let crs = source.crs();
    match width.filter(|&w| w != samples) {
        None => georaster::georeferenced_png_gray8_rows(
            png_name,
            samples,
            height,
            |first, out| shader.shade(first, out),
            bounds,
            crs,
        ),
        Some(width) => {
            let columns = nearest_columns(samples, width);
            let stretched = |first: usize, out: &mut [u8]| {
                let count = out.len() / width as usize;
                crate::scratch::with_scratch(&GREY, count * cols, |grey| {
                    shader.shade(first, grey)?;
                    for (row, source) in out
                        .chunks_exact_mut(width as usize)
                        .zip(grey.chunks_exact(cols))
                    {
                        for (o, &c) in row.iter_mut().zip(&columns) {
                            *o = source[c as usize];
                        }
                    }
                    Ok(())
                })
            };
            georaster::georeferenced_png_gray8_rows(png_name, width, height, stretched, bounds, crs)
        }
    }
}

/// The hillshade of `source` as a tiled, deflate-compressed GeoTIFF, one
/// pixel per sample, grey 0 as nodata (see [`georaster::geotiff`]).
pub fn hillshade_geotiff_by_rows(
    source: &dyn RowSource,
    options: &ShadeOptions,
) -> Result<FileBytes> {
    let shader = RowShader::new(source, options)?;
    let (rows, cols) = shader.shape();
    let too_large = || Error::param("the grid is too large for a TIFF");
    let height = u32::try_from(rows).map_err(|_| too_large())?;
    let width = u32::try_from(cols).map_err(|_| too_large())?;
    georaster::geotiff_gray8_rows(
        width,
        height,
        |first, out| shader.shade(first, out),
        source.transform(),
        source.crs(),
        Some(0.0),
    )
}

thread_local! {
    /// A thread's grey levels before they are stretched, kept between
    /// stripes.
    static GREY: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}
