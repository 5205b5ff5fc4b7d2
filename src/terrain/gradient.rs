//! Finite-difference gradients of a grid in true metres.
//!
//! Both schemes return the slope towards east and north (m/m) at a sample.
//! On a geographic grid the east-west spacing is that of each row's own
//! latitude. Where a stencil reaches past the raster edge, the scheme falls
//! back to a one-sided difference (central) or extrapolates the missing
//! samples linearly (Horn, exactly as `gdaldem -compute_edges` does). A stencil
//! touching a void yields no gradient.

use ndarray::Array2;
use rayon::prelude::*;

use super::{HornDifferences, Vector};
use crate::dem::Dem;

/// Which finite-difference stencil to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GradientScheme {
    /// Central differences of the four edge neighbours (second-order accurate).
    #[default]
    Central,
    /// Horn's 3 x 3 weighted stencil (smoother; what GIS slope tools use).
    Horn,
}

/// Per-row ground spacing of a grid in metres.
#[derive(Debug, Clone)]
pub struct RowMetrics {
    /// East-west size of a cell on each row, metres.
    pub dx: Vec<f64>,
    /// North-south size of a cell on each row, metres.
    pub dy: Vec<f64>,
}

impl RowMetrics {
    /// Spacing of every row of `dem`.
    pub fn of(dem: &Dem) -> Self {
        Self::of_source(dem)
    }

    /// Spacing of every row of a grid read by rows.
    pub fn of_source(source: &dyn crate::dem::RowSource) -> Self {
        let (dx, dy) = (0..source.shape().0)
            .map(|r| source.cell_size_m(r as f64))
            .unzip();
        RowMetrics { dx, dy }
    }

    /// The cell size (metres east-west, north-south) at fractional row
    /// `r`, interpolated linearly between the rows around it (clamped into
    /// the grid): what a move in metres is divided by to give samples.
    #[inline(always)]
    pub fn spacing_at(&self, r: f64) -> (f64, f64) {
        let last = self.dx.len() - 1;
        // Through `i64`: one conversion instruction each way on x86-64
        // (`usize` <-> `f64` is several), the same values for any grid.
        let r = r.clamp(0.0, last as i64 as f64);
        let r0 = super::floor_index(r).min(last.saturating_sub(1));
        let r1 = (r0 + 1).min(last);
        let f = r - r0 as i64 as f64;
        (
            self.dx[r0] + f * (self.dx[r1] - self.dx[r0]),
            self.dy[r0] + f * (self.dy[r1] - self.dy[r0]),
        )
    }
}

/// Gradient at sample (`r`, `c`) with the given scheme, `None` if the stencil touches a void.
pub fn gradient_at(
    dem: &Dem,
    metrics: &RowMetrics,
    scheme: GradientScheme,
    r: usize,
    c: usize,
) -> Option<Vector> {
    match scheme {
        GradientScheme::Central => central(dem, metrics, r, c),
        GradientScheme::Horn => horn(dem, metrics, r, c),
    }
}

fn central(dem: &Dem, m: &RowMetrics, r: usize, c: usize) -> Option<Vector> {
    let h = &dem.heights;
    let (rows, cols) = h.dim();
    let centre = h[[r, c]];
    if centre.is_nan() {
        return None;
    }
    let (cw, ce) = (c.saturating_sub(1), (c + 1).min(cols - 1));
    let (rn, rs) = (r.saturating_sub(1), (r + 1).min(rows - 1));
    let (w, e, n, s) = (h[[r, cw]], h[[r, ce]], h[[rn, c]], h[[rs, c]]);
    if w.is_nan() || e.is_nan() || n.is_nan() || s.is_nan() {
        return None;
    }
    let east = if ce > cw {
        (e - w) as f64 / ((ce - cw) as f64 * m.dx[r])
    } else {
        0.0
    };
    let north = if rs > rn {
        (n - s) as f64 / ((rs - rn) as f64 * m.dy[r])
    } else {
        0.0
    };
    Some(Vector::new(east, north))
}

/// Horn (1981): `dz/dx = ((c + 2f + i) - (a + 2d + g)) / 8dx` over the 3 x 3 window
/// `a b c / d e f / g h i`, each row's difference scaled by that row's own spacing.
fn horn(dem: &Dem, m: &RowMetrics, r: usize, c: usize) -> Option<Vector> {
    let w = window(dem, r, c)?;
    let rows = dem.rows();
    let dx = |k: usize| m.dx[(r + k).saturating_sub(1).min(rows - 1)];
    let (east, north) = HornDifferences::of(&w).slope([dx(0), dx(1), dx(2)], m.dy[r]);
    Some(Vector::new(east, north))
}

/// The 3 x 3 window around (`r`, `c`) in metres, `None` if any sample it
/// uses is void. Samples beyond the raster edge are extrapolated as
/// `gdaldem -compute_edges` does (see [`window_with_voids`]).
pub fn window(dem: &Dem, r: usize, c: usize) -> Option<[[f64; 3]; 3]> {
    let w = window_with_voids(dem, r, c);
    w.iter().flatten().all(|v| !v.is_nan()).then_some(w)
}

/// The 3 x 3 window around (`r`, `c`) in metres, voids left as `NaN`.
///
/// Samples beyond the raster edge follow `gdaldem -compute_edges` exactly:
/// a missing row above or below is extrapolated linearly down each column
/// (`2 z[r][col] - z[opposite row][col]`); a missing column is extrapolated
/// linearly along each row (`2 z[row][c] - z[row][opposite column]`),
/// except on the first and last rows, where gdaldem repeats the edge column
/// instead (so the four corner samples see half the east-west slope). A
/// grid one sample wide or high repeats the centre instead.
pub fn window_with_voids(dem: &Dem, r: usize, c: usize) -> [[f64; 3]; 3] {
    let h = &dem.heights;
    let (rows, cols) = h.dim();
    window_with_voids_of(rows, cols, r, c, |rr, cc| h[[rr, cc]])
}

/// [`window_with_voids`] on a grid of `rows` x `cols` whose height at
/// (`row`, `col`) is `at(row, col)`: only rows `r - 1 ..= r + 1` (those
/// inside the grid) are asked for, so a band of rows around `r` is enough.
pub fn window_with_voids_of(
    rows: usize,
    cols: usize,
    r: usize,
    c: usize,
    at: impl Fn(usize, usize) -> f32,
) -> [[f64; 3]; 3] {
    let at = |rr: usize, cc: usize| at(rr, cc) as f64;
    // Column index of offset `j` (0, 1, 2) and its mirror, when inside.
    let col = |j: usize| (c + j).checked_sub(1).filter(|&cc| cc < cols);
    let mirror = |k: usize, n: usize, i: usize| (k + 2 - i).checked_sub(1).filter(|&x| x < n);
    let clamp_cols = r == 0 || r + 1 == rows;
    let mut w = [[f64::NAN; 3]; 3];
    for (i, row) in w.iter_mut().enumerate() {
        match (r + i).checked_sub(1).filter(|&rr| rr < rows) {
            Some(rr) => {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = match (col(j), mirror(c, cols, j)) {
                        (Some(cc), _) => at(rr, cc),
                        (None, Some(opposite)) if !clamp_cols => 2.0 * at(rr, c) - at(rr, opposite),
                        (None, _) => at(rr, c),
                    };
                }
            }
            None => {
                let opposite = mirror(r, rows, i);
                for (j, v) in row.iter_mut().enumerate() {
                    let cc = (c + j).saturating_sub(1).min(cols - 1);
                    *v = match opposite {
                        Some(ro) => 2.0 * at(r, cc) - at(ro, cc),
                        None => at(r, cc),
                    };
                }
            }
        }
    }
    w
}

/// A precomputed gradient grid: slope east and north (m/m) at every sample,
/// `NaN` where the stencil touches a void.
#[derive(Debug, Clone)]
pub struct GradientGrid {
    /// Slope towards east at each sample.
    pub east: Array2<f32>,
    /// Slope towards north at each sample.
    pub north: Array2<f32>,
}

impl GradientGrid {
    /// Computes the gradient at every sample of `dem`, rows in parallel.
    pub fn compute(dem: &Dem, scheme: GradientScheme) -> Self {
        let metrics = RowMetrics::of(dem);
        let (rows, cols) = dem.heights.dim();
        let mut east = Array2::<f32>::zeros((rows, cols));
        let mut north = Array2::<f32>::zeros((rows, cols));
        east.axis_iter_mut(ndarray::Axis(0))
            .into_par_iter()
            .zip(north.axis_iter_mut(ndarray::Axis(0)).into_par_iter())
            .enumerate()
            .for_each(|(r, (mut e_row, mut n_row))| {
                for c in 0..cols {
                    [e_row[c], n_row[c]] = slope_pair(dem, &metrics, scheme, r, c);
                }
            });
        GradientGrid { east, north }
    }

    /// The same gradients as [`GradientGrid::compute`], as one
    /// `[east, north]` pair (m/m) per sample in row-major order, rows in
    /// parallel: the layout the whole-raster walkers read
    /// ([`GridField`](crate::basins::GridField)), built without the two
    /// arrays in between.
    pub fn interleaved(dem: &Dem, scheme: GradientScheme) -> Vec<[f32; 2]> {
        let metrics = RowMetrics::of(dem);
        let (rows, cols) = dem.heights.dim();
        let mut pairs = vec![[0.0f32; 2]; rows * cols];
        pairs
            .par_chunks_mut(cols.max(1))
            .enumerate()
            .for_each(|(r, out)| {
                for (c, o) in out.iter_mut().enumerate() {
                    *o = slope_pair(dem, &metrics, scheme, r, c);
                }
            });
        pairs
    }
}

/// The gradient at sample (`r`, `c`) as `f32` east and north slopes (m/m),
/// both `NaN` where the stencil touches a void.
#[inline]
fn slope_pair(
    dem: &Dem,
    metrics: &RowMetrics,
    scheme: GradientScheme,
    r: usize,
    c: usize,
) -> [f32; 2] {
    gradient_at(dem, metrics, scheme, r, c)
        .map_or([f32::NAN; 2], |g| [g.east as f32, g.north as f32])
}
