//! Cutting a DEM down to a bounding box.

use crate::dem::{Dem, GeoTransform};
use crate::error::{Error, Result};
use crate::geo::Bounds;

/// The part of `dem` whose sample centres lie inside `bbox` (CRS units:
/// degrees on geographic grids), with its own
/// geotransform. Fails if the box is inverted or holds fewer than 2 x 2 samples.
pub fn crop(dem: &Dem, bbox: Bounds) -> Result<Dem> {
    let [w, s, e, n] = bbox.to_array();
    if !(w < e && s < n) {
        return Err(Error::invalid(
            "bbox",
            bbox,
            "west must be less than east and south less than north",
        ));
    }
    let t = &dem.transform;
    let (rows, cols) = (dem.rows() as f64, dem.cols() as f64);
    // Sample (r, c) has its centre at origin + (index + 0.5) * cell; centres
    // on the box's edges (within a billionth of a cell) are inside.
    const SLACK: f64 = 1e-9;
    let c0 = ((w - t.origin_x) / t.cell_x - 0.5 - SLACK).ceil().max(0.0);
    let c1 = ((e - t.origin_x) / t.cell_x - 0.5 + SLACK)
        .floor()
        .min(cols - 1.0);
    let r0 = ((t.origin_y - n) / t.cell_y - 0.5 - SLACK).ceil().max(0.0);
    let r1 = ((t.origin_y - s) / t.cell_y - 0.5 + SLACK)
        .floor()
        .min(rows - 1.0);
    if !(c1 - c0 >= 1.0 && r1 - r0 >= 1.0) {
        return Err(Error::invalid(
            "bbox",
            bbox,
            format!(
                "holds fewer than 2 x 2 samples of the grid, which covers {}",
                dem.bounds()
            ),
        ));
    }
    let (r0, r1, c0, c1) = (r0 as usize, r1 as usize, c0 as usize, c1 as usize);
    let heights = dem.heights.slice(ndarray::s![r0..=r1, c0..=c1]).to_owned();
    Ok(Dem {
        heights,
        transform: GeoTransform {
            origin_x: t.origin_x + c0 as f64 * t.cell_x,
            origin_y: t.origin_y - r0 as f64 * t.cell_y,
            cell_x: t.cell_x,
            cell_y: t.cell_y,
        },
        crs: dem.crs.clone(),
        inputs: dem.inputs.clone(),
    })
}
