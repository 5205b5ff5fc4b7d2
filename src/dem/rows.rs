//! Elevation read a band of rows at a time, for work that needs only a few
//! rows at once (a hillshade needs three) and should not hold the grid.
//!
//! A [`Dem`] in memory is a [`RowSource`]; so is an SRTM tile still on
//! disk ([`super::hgt::HgtRows`]), whose rows are read from the file as
//! they are asked for.

use super::{Crs, Dem, GeoTransform};
use crate::error::{Error, Result};
use crate::geo::Bounds;

/// A north-up grid of heights whose rows can be read in any order, from
/// several threads at once.
pub trait RowSource: Sync {
    /// Rows (north to south) and columns (west to east).
    fn shape(&self) -> (usize, usize);

    /// Placement of the samples.
    fn transform(&self) -> &GeoTransform;

    /// Coordinate reference system of the transform.
    fn crs(&self) -> &Crs;

    /// Reads the heights in metres of rows `first..first + out.len() / cols`
    /// into `out` (row-major, `NaN` for voids). `out.len()` must be a whole
    /// number of rows that lie inside the grid.
    fn read_rows(&self, first: usize, out: &mut [f32]) -> Result<()>;

    /// The outer edges of the grid, in CRS units.
    fn bounds(&self) -> Bounds {
        let (rows, cols) = self.shape();
        self.transform().bounds(rows, cols)
    }

    /// The ground size of a cell on (fractional) row `row`: metres east-west
    /// and north-south, as [`Dem::cell_size_m`] gives it.
    fn cell_size_m(&self, row: f64) -> (f64, f64) {
        super::grid::cell_size_m(self.transform(), self.crs(), row)
    }
}

/// Checks that `len` samples are whole rows of `cols` from row `first` on,
/// inside a grid of `rows`; returns how many rows they are.
pub(crate) fn rows_asked(first: usize, len: usize, rows: usize, cols: usize) -> Result<usize> {
    let n = len.checked_div(cols).unwrap_or(0);
    if cols == 0 || !len.is_multiple_of(cols) || first.checked_add(n).is_none_or(|end| end > rows) {
        return Err(Error::param(format!(
            "internal error: {len} samples from row {first} are not whole rows of a {rows} x {cols} grid"
        )));
    }
    Ok(n)
}

impl RowSource for Dem {
    fn shape(&self) -> (usize, usize) {
        self.heights.dim()
    }

    fn transform(&self) -> &GeoTransform {
        &self.transform
    }

    fn crs(&self) -> &Crs {
        &self.crs
    }

    fn read_rows(&self, first: usize, out: &mut [f32]) -> Result<()> {
        let (rows, cols) = self.heights.dim();
        let n = rows_asked(first, out.len(), rows, cols)?;
        for (r, row) in (first..first + n).zip(out.chunks_exact_mut(cols)) {
            for (o, h) in row.iter_mut().zip(self.heights.row(r)) {
                *o = *h;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn grid() -> Dem {
        Dem {
            heights: Array2::from_shape_fn((5, 3), |(r, c)| (10 * r + c) as f32),
            transform: GeoTransform {
                origin_x: 0.0,
                origin_y: 5.0,
                cell_x: 1.0,
                cell_y: 1.0,
            },
            crs: Crs::Geographic,
            inputs: vec![],
        }
    }

    #[test]
    fn a_grid_in_memory_hands_out_the_rows_asked_for() {
        let dem = grid();
        let mut out = vec![0.0; 6];
        dem.read_rows(3, &mut out).unwrap();
        assert_eq!(out, [30.0, 31.0, 32.0, 40.0, 41.0, 42.0]);
    }

    #[test]
    fn rows_past_the_grid_or_partial_rows_are_refused() {
        let dem = grid();
        assert!(dem.read_rows(4, &mut [0.0; 6]).is_err());
        assert!(dem.read_rows(0, &mut [0.0; 4]).is_err());
        assert!(dem.read_rows(usize::MAX, &mut [0.0; 3]).is_err());
    }
}
