//! A downsampled height grid for the cursor's elevation readout.

use base64::Engine;
use serde::Serialize;

use crate::dem::{Dem, Projection};
use crate::error::Result;
use crate::geo::Bounds;

use super::overlay::lat_lon_box;

/// Most nodes along either side of a [`HeightGrid`]: 400 x 400 heights are
/// 320 kB of 16-bit integers, 427 kB in base64.
pub const MAX_HEIGHT_GRID_SIDE: usize = 400;

/// The marker of a missing height (a void, or outside the DEM).
const NO_HEIGHT: i16 = i16::MIN;

/// Heights on a regular lattice of longitudes and latitudes, which the
/// page interpolates bilinearly under the cursor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeightGrid {
    /// Longitude of the westernmost nodes, degrees east.
    pub west: f64,
    /// Latitude of the northernmost nodes, degrees north.
    pub north: f64,
    /// Spacing of the nodes in longitude, degrees.
    pub step_lon: f64,
    /// Spacing of the nodes in latitude, degrees.
    pub step_lat: f64,
    /// Nodes per row (west to east).
    pub cols: usize,
    /// Rows (north to south).
    pub rows: usize,
    /// Heights in whole metres, row-major from the north-west, `-32768` where there is none.
    #[serde(skip)]
    pub metres: Vec<i16>,
}

/// Height of `dem` at grid position (`x`, `y`) by bilinear interpolation of
/// the four samples around it; `None` outside the samples or next to a void.
fn height_at(dem: &Dem, x: f64, y: f64) -> Option<f64> {
    let (r, c) = dem.transform.xy_to_sample(x, y);
    let (rows, cols) = (dem.rows() as f64, dem.cols() as f64);
    // Nodes on the outermost samples may land a rounding error outside them.
    const SLACK: f64 = 1e-6;
    if !(r >= -SLACK && c >= -SLACK && r <= rows - 1.0 + SLACK && c <= cols - 1.0 + SLACK) {
        return None;
    }
    let (r, c) = (r.clamp(0.0, rows - 1.0), c.clamp(0.0, cols - 1.0));
    let (r0, c0) = (
        r.floor().min(rows - 2.0).max(0.0),
        c.floor().min(cols - 2.0).max(0.0),
    );
    let (fr, fc) = (r - r0, c - c0);
    let (r0, c0) = (r0 as isize, c0 as isize);
    let h = |dr: isize, dc: isize| dem.height(r0 + dr, c0 + dc).map(f64::from);
    let quad = [h(0, 0)?, h(0, 1)?, h(1, 0)?, h(1, 1)?];
    Some(crate::terrain::bilinear(quad, fr, fc))
}

impl HeightGrid {
    /// The heights of `dem` within `bounds_xy` (in the grid's CRS
    /// units) on a lattice of at most `max_side` nodes a
    /// side, never finer than the DEM's own samples. On a geographic grid
    /// at full resolution the nodes are the DEM's samples themselves.
    ///
    /// Fails on a planar grid, which has no longitude and latitude.
    pub fn of(dem: &Dem, bounds_xy: Bounds, max_side: usize) -> Result<HeightGrid> {
        let projection = Projection::for_crs(&dem.crs)?;
        let ll = lat_lon_box(bounds_xy, &dem.crs)?;
        let max_side = max_side.max(2);
        // Samples of the DEM across the box, in each direction.
        let t = dem.transform;
        let across_x = (bounds_xy.width() / t.cell_x).round().max(2.0);
        let across_y = (bounds_xy.height() / t.cell_y).round().max(2.0);
        let cols = (across_x as usize).min(max_side);
        let rows = (across_y as usize).min(max_side);
        // Nodes at the centres of `cols` x `rows` equal cells of the box.
        let step_lon = (ll.east - ll.west) / cols as f64;
        let step_lat = (ll.north - ll.south) / rows as f64;
        let (west, north) = (ll.west + step_lon / 2.0, ll.north - step_lat / 2.0);
        let mut metres = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            let lat = north - r as f64 * step_lat;
            for c in 0..cols {
                let lon = west + c as f64 * step_lon;
                let z = projection
                    .from_wgs84(lon, lat)
                    .and_then(|(x, y)| height_at(dem, x, y));
                metres.push(z.map_or(NO_HEIGHT, |z| {
                    crate::terrain::round_half_away(z).clamp(-32767.0, 32767.0) as i16
                }));
            }
        }
        Ok(HeightGrid {
            west,
            north,
            step_lon,
            step_lat,
            cols,
            rows,
            metres,
        })
    }

    /// The heights as base64 of little-endian 16-bit integers, as the page reads them.
    pub fn base64(&self) -> String {
        let bytes: Vec<u8> = self.metres.iter().flat_map(|v| v.to_le_bytes()).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dem::{Crs, GeoTransform};
    use ndarray::Array2;

    /// On a plane z = 100 + 2·col − 3·row (in samples) every node holds the
    /// plane's height at its own longitude and latitude.
    #[test]
    fn nodes_hold_the_heights_of_their_positions() {
        let t = GeoTransform {
            origin_x: 10.0,
            origin_y: 50.0,
            cell_x: 0.01,
            cell_y: 0.01,
        };
        let heights =
            Array2::from_shape_fn((50, 80), |(r, c)| 500.0 + 2.0 * c as f32 - 3.0 * r as f32);
        let dem = Dem {
            heights,
            transform: t,
            crs: Crs::Geographic,
            inputs: vec![],
        };
        let g = HeightGrid::of(&dem, dem.bounds(), 20).unwrap();
        assert_eq!((g.cols, g.rows), (20, 20));
        for (r, c) in [(0, 0), (7, 13), (19, 19)] {
            let lon = g.west + c as f64 * g.step_lon;
            let lat = g.north - r as f64 * g.step_lat;
            let col = (lon - 10.0) / 0.01 - 0.5;
            let row = (50.0 - lat) / 0.01 - 0.5;
            let expected = 500.0 + 2.0 * col - 3.0 * row;
            let got = g.metres[r * g.cols + c] as f64;
            if (0.0..=79.0).contains(&col) && (0.0..=49.0).contains(&row) {
                assert!(
                    (got - expected).abs() <= 0.5,
                    "({r}, {c}): {got} vs {expected}"
                );
            }
        }
        // Full resolution on a geographic grid: the nodes are the samples.
        let full = HeightGrid::of(&dem, dem.bounds(), 1000).unwrap();
        assert_eq!((full.cols, full.rows), (80, 50));
        assert_eq!(full.metres[0], 500);
        assert_eq!(full.metres[79], 658);
        assert_eq!(full.metres[49 * 80], 353);
        assert_eq!(full.base64().len(), (80 * 50 * 2usize).div_ceil(3) * 4);
    }
}
