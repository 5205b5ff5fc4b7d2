//! The elevation grid type.

use ndarray::Array2;
use serde::Serialize;
use std::path::PathBuf;

use super::{Crs, GeoTransform, Projection};
use crate::geo::{Bounds, LonLat, Xy};

/// Where a grid (or one tile of a mosaic) came from.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// The file as the user named it.
    pub path: PathBuf,
    /// The reader that understood it, e.g. `SRTM .hgt` or `GeoTIFF`.
    pub format: String,
    /// Number of rows of this input.
    pub height: usize,
    /// Number of columns of this input.
    pub width: usize,
}

/// An elevation model: heights in metres on a north-up grid.
#[derive(Debug, Clone)]
pub struct Dem {
    /// Heights in metres, indexed `[row, col]`, row 0 to the north; `NaN` marks a void.
    pub heights: Array2<f32>,
    /// Placement of the samples.
    pub transform: GeoTransform,
    /// Coordinate reference system of the transform.
    pub crs: Crs,
    /// The files this grid was built from.
    pub inputs: Vec<InputInfo>,
}

/// How far outside the outermost sample centres a position may lie and
/// still count as on the grid, in cells (moved onto the edge).
pub const EDGE_TOLERANCE_CELLS: f64 = 1e-3;

/// Summary statistics of a grid's heights.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DemStats {
    /// Lowest height in metres (`NaN` if every sample is void).
    pub min: f64,
    /// Highest height in metres (`NaN` if every sample is void).
    pub max: f64,
    /// Number of void samples.
    pub voids: usize,
}

impl Dem {
    /// Number of rows (north to south).
    pub fn rows(&self) -> usize {
        self.heights.nrows()
    }

    /// Number of columns (west to east).
    pub fn cols(&self) -> usize {
        self.heights.ncols()
    }

    /// Outer bounds in CRS units, cell edges included.
    pub fn bounds(&self) -> Bounds {
        self.transform.bounds(self.rows(), self.cols())
    }

    /// Height at sample (`row`, `col`) in metres, `None` outside the grid or on a void.
    pub fn height(&self, row: isize, col: isize) -> Option<f32> {
        if row < 0 || col < 0 {
            return None;
        }
        let h = *self.heights.get((row as usize, col as usize))?;
        (!h.is_nan()).then_some(h)
    }

    /// The point (grid CRS units) at the centre of sample (`row`, `col`), fractional indices allowed.
    pub fn sample_position(&self, row: f64, col: f64) -> Xy {
        let (x, y) = self.transform.sample_to_xy(row, col);
        Xy::new(x, y)
    }

    /// The position in this grid's coordinates of a WGS84 point: the point
    /// itself on a geographic grid, its projection on a projected one.
    /// Whether the grid covers it is for the caller to check ([`Dem::covers`]).
    pub fn position_of(&self, ll: LonLat) -> crate::Result<Xy> {
        let projection = Projection::for_crs(&self.crs)?;
        let (x, y) = projection.from_wgs84(ll.lon, ll.lat).ok_or_else(|| {
            crate::Error::param(format!(
                "{ll} cannot be projected into {}",
                self.crs.label()
            ))
        })?;
        Ok(Xy::new(x, y))
    }

    /// Fractional sample indices `(row, col)` of a position.
    pub fn sample_index(&self, p: Xy) -> (f64, f64) {
        self.transform.xy_to_sample(p.x, p.y)
    }

    /// `true` when `p` lies within the extent of the sample centres, where
    /// heights can be interpolated, edges included, with a tolerance of
    /// [`EDGE_TOLERANCE_CELLS`] (a corner sample given in degrees may come
    /// out a hair outside after rounding).
    pub fn covers(&self, p: Xy) -> bool {
        self.clamp_inside(p).is_some()
    }

    /// `p` moved onto the extent of the sample centres when it lies at most
    /// [`EDGE_TOLERANCE_CELLS`] outside (and unchanged inside); `None`
    /// when it lies farther out or is not finite.
    pub fn clamp_inside(&self, p: Xy) -> Option<Xy> {
        if !p.is_finite() || self.rows() == 0 || self.cols() == 0 {
            return None;
        }
        let (r, c) = self.sample_index(p);
        let (last_r, last_c) = ((self.rows() - 1) as f64, (self.cols() - 1) as f64);
        let t = EDGE_TOLERANCE_CELLS;
        let inside = |v: f64, last: f64| v >= -t && v <= last + t;
        if !(inside(r, last_r) && inside(c, last_c)) {
            return None;
        }
        if (0.0..=last_r).contains(&r) && (0.0..=last_c).contains(&c) {
            return Some(p);
        }
        // A hair inside the edge, so the way back to indices, which rounds,
        // cannot land outside again.
        let inward = |v: f64, last: f64| {
            if (0.0..=last).contains(&v) {
                v
            } else {
                v.clamp(1e-9, last - 1e-9)
            }
        };
        let (x, y) = self
            .transform
            .sample_to_xy(inward(r, last_r), inward(c, last_c));
        Some(Xy::new(x, y))
    }

    /// Minimum, maximum and void count, in one pass.
    pub fn stats(&self) -> DemStats {
        let (mut min, mut max, mut voids) = (f32::INFINITY, f32::NEG_INFINITY, 0usize);
        for &h in self.heights.iter() {
            if h.is_nan() {
                voids += 1;
            } else {
                min = min.min(h);
                max = max.max(h);
            }
        }
        if voids == self.heights.len() {
            return DemStats {
                min: f64::NAN,
                max: f64::NAN,
                voids,
            };
        }
        DemStats {
            min: min as f64,
            max: max as f64,
            voids,
        }
    }

    /// Ground size of one cell `(east-west, north-south)` in metres at row `row`.
    ///
    /// On a geographic grid the east-west size shrinks with the cosine of the
    /// row's latitude (WGS84 radii of curvature, see [`crate::geo::geodesy`]);
    /// on a projected grid both are the grid's own metres.
    pub fn cell_size_m(&self, row: f64) -> (f64, f64) {
        cell_size_m(&self.transform, &self.crs, row)
    }
}

/// [`Dem::cell_size_m`] of any grid placed by `t` in `crs`.
pub(crate) fn cell_size_m(t: &GeoTransform, crs: &Crs, row: f64) -> (f64, f64) {
    if crs.is_geographic() {
        let (_, lat) = t.sample_to_xy(row, 0.0);
        (
            t.cell_x * crate::geo::geodesy::metres_per_degree_lon(lat),
            t.cell_y * crate::geo::geodesy::metres_per_degree_lat(lat),
        )
    } else {
        (t.cell_x, t.cell_y)
    }
}
