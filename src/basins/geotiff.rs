//! Writing a `u32` label grid as a georeferenced GeoTIFF.
//!
//! A single-band 32-bit unsigned GeoTIFF (tiled, deflate) written by
//! [`crate::export::georaster::geotiff`], which holds the georeferencing
//! (pixel scale, tiepoint at the outer corner of pixel (0, 0), GeoKeys).
//! GDAL_NODATA is "0": no walker started there.

use std::path::Path;

use ndarray::Array2;

use crate::dem::{Crs, GeoTransform};
use crate::error::{Error, Result};
use crate::export::georaster::{geotiff, Pixels, Raster};

/// The bytes of a GeoTIFF holding `labels` (row 0 north) placed by
/// `transform` in `crs`.
pub fn labels_geotiff(
    labels: &Array2<u32>,
    transform: &GeoTransform,
    crs: &Crs,
) -> Result<Vec<u8>> {
    let (rows, cols) = labels.dim();
    let too_big = || {
        Error::param(format!(
            "a {rows} x {cols} label grid is too large for a GeoTIFF"
        ))
    };
    let (w, h) = (
        u32::try_from(cols).map_err(|_| too_big())?,
        u32::try_from(rows).map_err(|_| too_big())?,
    );
    let standard = labels.as_standard_layout();
    let data = standard
        .as_slice()
        .ok_or_else(|| Error::param("internal error: the label grid is not contiguous"))?;
    geotiff(
        &Raster::new(w, h, Pixels::U32(data))?,
        transform,
        crs,
        Some(0.0),
    )
    .map_err(|e| Error::param(format!("cannot encode the basins GeoTIFF: {e}")))
}

/// Writes `labels` as a GeoTIFF to `path` atomically.
pub fn write_labels(
    path: &Path,
    labels: &Array2<u32>,
    transform: &GeoTransform,
    crs: &Crs,
) -> Result<()> {
    crate::export::write_atomic(path, &labels_geotiff(labels, transform, crs)?)
}
