//! Moving a published summit position to the DEM's own summit.

use serde::Serialize;

use crate::dem::Dem;
use crate::error::{Error, Result};
use crate::geo::Xy;
use crate::terrain::{GradientScheme, Surface, Terrain};

/// The farthest a start may be snapped, metres (10 km): published summit
/// positions are off by metres to hundreds of metres, never more.
pub const MAX_SNAP_M: f64 = 10_000.0;

/// A start moved to the DEM's summit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Snapped {
    /// The chosen start, in the grid's coordinates.
    pub position: Xy,
    /// Height at the start, metres.
    pub elevation: f64,
    /// Ground distance from the published position to the start, metres.
    pub offset_m: f64,
    /// The published position, in the grid's coordinates.
    pub published: Xy,
}

/// The highest non-void sample whose centre lies within `radius_m` ground
/// metres of `at`; with `radius_m == 0`, `at` itself with its interpolated
/// height.
///
/// Distances are measured in sample space scaled by each row's ground
/// spacing, so the rule is the same on geographic and projected grids.
/// If no sample lies within the radius, the nearest sample is taken.
pub fn snap_to_summit(dem: &Dem, at: Xy, radius_m: f64) -> Result<Snapped> {
    if !(radius_m.is_finite() && (0.0..=MAX_SNAP_M).contains(&radius_m)) {
        return Err(Error::invalid(
            "snap_radius_m",
            radius_m,
            format!("give a distance in metres from 0 to {MAX_SNAP_M}"),
        ));
    }
    let Some(at) = dem.clamp_inside(at) else {
        let [w, s, e, n] = dem.bounds().to_array();
        return Err(Error::BadStart(format!(
            "({}, {}) lies outside the elevation data (bounds: west {w:.4}, south {s:.4}, east {e:.4}, north {n:.4})",
            at.x, at.y
        )));
    };
    if radius_m == 0.0 {
        let terrain = Terrain::new(dem.clone(), GradientScheme::Central)?;
        let elevation = terrain.elevation(at).map_err(|_| {
            Error::BadStart(format!(
                "({}, {}) lies on a void (no elevation data)",
                at.x, at.y
            ))
        })?;
        return Ok(Snapped {
            position: at,
            elevation,
            offset_m: 0.0,
            published: at,
        });
    }
    let (r, c) = dem.sample_index(at);
    let (dx, dy) = dem.cell_size_m(r);
    // The search window, in samples, clipped to the grid: its cost is
    // bounded by the grid's size, whatever the radius and the cell size.
    let (rows, cols) = (dem.rows() as f64, dem.cols() as f64);
    let window = |centre: f64, reach: f64, n: f64| {
        let lo = (centre - reach - 1.0).floor().clamp(0.0, n - 1.0) as isize;
        let hi = (centre + reach + 1.0).ceil().clamp(0.0, n - 1.0) as isize;
        (lo, hi)
    };
    let (r_lo, r_hi) = window(r, radius_m / dy, rows);
    let (c_lo, c_hi) = window(c, radius_m / dx, cols);
    let mut best: Option<(f32, f64, isize, isize)> = None;
    let mut nearest: Option<(f64, isize, isize)> = None;
    for rr in r_lo..=r_hi {
        for cc in c_lo..=c_hi {
            let Some(h) = dem.height(rr, cc) else {
                continue;
            };
            let (dx, dy) = dem.cell_size_m(rr as f64);
            let d = ((rr as f64 - r) * dy).hypot((cc as f64 - c) * dx);
            if nearest.is_none_or(|(nd, _, _)| d < nd) {
                nearest = Some((d, rr, cc));
            }
            if d <= radius_m && best.is_none_or(|(bh, bd, _, _)| h > bh || (h == bh && d < bd)) {
                best = Some((h, d, rr, cc));
            }
        }
    }
    let (h, d, rr, cc) = match (best, nearest) {
        (Some(b), _) => b,
        (None, Some((d, rr, cc))) => (dem.height(rr, cc).unwrap_or(f32::NAN), d, rr, cc),
        (None, None) => {
            return Err(Error::BadStart(format!(
                "({}, {}) has only voids within {radius_m} m",
                at.x, at.y
            )))
        }
    };
    Ok(Snapped {
        position: dem.sample_position(rr as f64, cc as f64),
        elevation: h as f64,
        offset_m: d,
        published: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dem::{Crs, GeoTransform};
    use ndarray::Array2;

    fn grid() -> Dem {
        // 10 m cells; a 50 m hill at (row 5, col 5) and a 60 m one at (row 5, col 15).
        let mut h = Array2::from_elem((11, 21), 10.0f32);
        h[[5, 5]] = 50.0;
        h[[5, 15]] = 60.0;
        h[[4, 4]] = f32::NAN;
        Dem {
            heights: h,
            transform: GeoTransform::from_first_sample(0.0, 100.0, 10.0, 10.0),
            crs: Crs::Projected {
                epsg: 32631,
                proj: String::new(),
            },
            inputs: vec![],
        }
    }

    #[test]
    fn snaps_to_the_highest_sample_within_reach_only() {
        let d = grid();
        let at = Xy::new(70.0, 50.0); // col 7, row 5
        let s = snap_to_summit(&d, at, 30.0).unwrap();
        assert_eq!(s.position, Xy::new(50.0, 50.0));
        assert_eq!(s.elevation, 50.0);
        assert!((s.offset_m - 20.0).abs() < 1e-9);
        let s = snap_to_summit(&d, at, 80.0).unwrap();
        assert_eq!(s.elevation, 60.0);
        assert_eq!(s.position, Xy::new(150.0, 50.0));
    }

    #[test]
    fn zero_radius_keeps_the_point_and_bad_input_is_refused() {
        let d = grid();
        let s = snap_to_summit(&d, Xy::new(72.0, 50.0), 0.0).unwrap();
        assert_eq!(s.position, Xy::new(72.0, 50.0));
        assert!((s.elevation - 10.0).abs() < 1e-9);
        assert!(snap_to_summit(&d, Xy::new(-50.0, 50.0), 100.0).is_err());
        assert!(snap_to_summit(&d, Xy::new(70.0, 50.0), -1.0).is_err());
        assert!(snap_to_summit(&d, Xy::new(70.0, 50.0), f64::NAN).is_err());
    }
}
