//! The terrain as a lean [`Surface`] in sample-index coordinates.
//!
//! Whole-raster descent cannot afford [`crate::terrain::Terrain`]'s
//! on-demand stencils and geodesic conversions for millions of walkers, so
//! this surface samples a precomputed [`GradientGrid`] bilinearly, exactly
//! the field `Terrain` interpolates, and moves in fractional sample indices:
//! `x` is the column, `y` the row (growing southwards). A displacement of
//! `d` metres becomes `d.east / dx` columns and `-d.north / dy` rows, with
//! the row's cell size in metres ([`RowMetrics`]) interpolated linearly
//! between rows. The agents' own update rules (`walker::step`,
//! `ball::step`, `nesterov::step`) run on it unchanged.
//!
//! The hot path reads flat row-major slices: heights as they are, and the
//! two slope components interleaved per sample, so one bilinear gradient
//! touches two cache lines rather than four.

use std::borrow::Cow;

use ndarray::Array2;

use crate::dem::SeaMask;
use crate::geo::{LonLat, Xy};
use crate::terrain::{
    bilinear_f32, floor_index, index_bound, GradientGrid, Obstacle, RowMetrics, Surface, Vector,
};

/// A DEM's heights and gradients as a surface in sample-index coordinates.
#[derive(Debug, Clone)]
pub struct GridField<'a> {
    /// Heights (metres) row-major (borrowed when the array is in standard layout).
    flat: Cow<'a, [f32]>,
    /// Slope east and north (m/m) of each sample, row-major.
    slopes: Vec<[f32; 2]>,
    metrics: &'a RowMetrics,
    /// Per row `r`: the cell size east-west and its change to row `r + 1`,
    /// then the same north-south, metres (`RowMetrics::spacing_at`'s
    /// operands, read as one cache line per step).
    row_spacing: Vec<[f64; 4]>,
    /// Length of a cell's diagonal on each row, metres.
    diagonal: Vec<f64>,
    rows: usize,
    cols: usize,
    /// `rows - 1` and `cols - 1` as floats ([`index_bound`]): the bounds of
    /// [`Self::is_inside`], converted once rather than on every step. Below
    /// 2^52, so a position inside truncates exactly (see `cell`).
    last_row: f64,
    last_col: f64,
    /// The sea walkers stop at, if any.
    sea: Option<&'a SeaMask>,
}

impl<'a> GridField<'a> {
    /// A field over `heights` (metres) with its gradient grid and row sizes;
    /// the grid must have at least 2 x 2 samples.
    pub fn new(
        heights: &'a Array2<f32>,
        gradient: &'a GradientGrid,
        metrics: &'a RowMetrics,
    ) -> Self {
        let (rows, cols) = heights.dim();
        // Interleaved a row at a time on every core (a serial pass over an
        // SRTM1 grid's 13 M samples is tens of milliseconds of wall).
        let mut slopes = vec![[0.0f32; 2]; rows * cols];
        {
            use rayon::prelude::*;
            slopes
                .par_chunks_mut(cols)
                .enumerate()
                .for_each(|(r, out)| {
                    let (east, north) = (gradient.east.row(r), gradient.north.row(r));
                    for ((o, &e), &n) in out.iter_mut().zip(&east).zip(&north) {
                        *o = [e, n];
                    }
                });
        }
        Self::with_slopes(heights, slopes, metrics)
    }

    /// A field over `heights` (metres) with the slopes of every sample as
    /// [`GradientGrid::interleaved`] gives them (`[east, north]`, m/m,
    /// row-major), and row sizes; the grid must have at least 2 x 2
    /// samples and `slopes` one pair per sample.
    pub fn with_slopes(
        heights: &'a Array2<f32>,
        slopes: Vec<[f32; 2]>,
        metrics: &'a RowMetrics,
    ) -> Self {
        let (rows, cols) = heights.dim();
        assert_eq!(slopes.len(), rows * cols, "one slope pair per sample");
        let flat = match heights.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(heights.iter().copied().collect()),
        };
        let row_spacing = (0..rows)
            .map(|r| {
                let next = (r + 1).min(rows - 1);
                let (dx, dy) = (&metrics.dx, &metrics.dy);
                [dx[r], dx[next] - dx[r], dy[r], dy[next] - dy[r]]
            })
            .collect();
        let diagonal = metrics
            .dx
            .iter()
            .zip(&metrics.dy)
            .map(|(dx, dy)| dx.hypot(*dy))
            .collect();
        GridField {
            flat,
            slopes,
            metrics,
            row_spacing,
            diagonal,
            rows,
            cols,
            last_row: index_bound(rows - 1),
            last_col: index_bound(cols - 1),
            sea: None,
        }
    }

    /// The field with `sea` as the sea walkers stop at (ignored when its
    /// size is not the grid's or the sea reaches none of it,
    /// [`SeaMask::is_dry`]).
    pub fn with_sea(mut self, sea: &'a SeaMask) -> Self {
        self.sea = (sea.dim() == (self.rows, self.cols) && !sea.is_dry()).then_some(sea);
        self
    }

    /// The sea, if any.
    pub fn sea(&self) -> Option<&'a SeaMask> {
        self.sea
    }

    /// `true` when sample (`r`, `c`) is sea.
    #[inline]
    pub fn is_sea_sample(&self, r: usize, c: usize) -> bool {
        self.sea.is_some_and(|s| s.is_sea_sample(r, c))
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The largest row and column inside the sample centres, as floats
    /// (the bounds of [`Self::is_inside`]).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) fn bounds(&self) -> (f64, f64) {
        (self.last_row, self.last_col)
    }

    /// The slopes east and north (m/m) of each sample, row-major.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) fn slopes(&self) -> &[[f32; 2]] {
        &self.slopes
    }

    /// Per row: the cell size east-west and its change to the next row,
    /// then the same north-south, metres.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) fn row_spacing(&self) -> &[[f64; 4]] {
        &self.row_spacing
    }

    /// The height of sample (`r`, `c`), metres (NaN on a void).
    #[inline]
    pub(super) fn sample_height(&self, r: usize, c: usize) -> f32 {
        self.flat[r * self.cols + c]
    }

    /// The neighbour (row, column) whose cell a walker at rest on sample
    /// (`r`, `c`) enters first when it heads straight down the gradient
    /// there: a straight line from a sample leaves its nearest-sample
    /// square through an edge, into the east or west neighbour's cell where
    /// the descent moves farther across columns than across rows (in
    /// samples), else into the north or south one's. `None` on level
    /// ground, at a tie (a line through a corner), or off the grid.
    pub(super) fn first_cell_downhill(&self, r: usize, c: usize) -> Option<(usize, usize)> {
        let [east, north] = self.slopes[r * self.cols + c];
        let [dx, _, dy, _] = self.row_spacing[r];
        // Descent in samples: east is +column, north is -row.
        let (across, down) = (-east as f64 / dx, north as f64 / dy);
        let (nr, nc) = if across.abs() > down.abs() {
            (r as isize, c as isize + across.signum() as isize)
        } else if down.abs() > across.abs() {
            (r as isize + down.signum() as isize, c as isize)
        } else {
            return None;
        };
        (nr >= 0 && nc >= 0 && (nr as usize) < self.rows && (nc as usize) < self.cols)
            .then_some((nr as usize, nc as usize))
    }

    /// The 8-neighbour of sample (`r`, `c`) with the steepest drop per
    /// metre of ground distance, if any is strictly lower.
    pub fn steepest_lower_neighbour(&self, r: usize, c: usize) -> Option<(usize, usize)> {
        let z = self.flat[r * self.cols + c] as f64;
        let (dx, dy) = (self.metrics.dx[r], self.metrics.dy[r]);
        let diagonal = self.diagonal[r];
        let mut best: Option<((usize, usize), f64)> = None;
        for &(dr, dc) in &super::fill::NEIGHBOURS {
            let (nr, nc) = (r as isize + dr, c as isize + dc);
            if nr < 0 || nc < 0 || nr as usize >= self.rows || nc as usize >= self.cols {
                continue;
            }
            let zn = self.flat[nr as usize * self.cols + nc as usize] as f64;
            let distance = match (dr, dc) {
                (0, _) => dx,
                (_, 0) => dy,
                _ => diagonal,
            };
            let drop = (z - zn) / distance;
            if drop > 0.0 && !matches!(best, Some((_, b)) if b >= drop) {
                best = Some(((nr as usize, nc as usize), drop));
            }
        }
        best.map(|(cell, _)| cell)
    }

    /// Prefetches the heights and gradients of the bilinear cell whose
    /// top-left sample has row-major index `i` (see `basins::prefetch`).
    #[inline(always)]
    pub(super) fn prefetch_cell(&self, i: usize) {
        for j in [i, i + self.cols] {
            super::prefetch::prefetch(&self.flat, j);
            super::prefetch::prefetch(&self.slopes, j);
        }
    }

    /// The sample nearest to `p`, clamped into the grid (as
    /// `walk::nearest_cell`); inside the sample centres by one truncation
    /// each way after the same bounds test as [`Self::is_inside`], which the
    /// compiler shares with a step's other lookups at `p`.
    #[inline(always)]
    pub fn nearest_sample(&self, p: Xy) -> (usize, usize) {
        if self.is_inside(p) {
            // SAFETY: 0 <= p.y <= last_row < 2^52 (`index_bound`), so
            // p.y + 0.5 lies in [0.5, last_row + 0.5] and truncates exactly
            // to an `i64`, at most `last_row`; the same for `p.x`.
            unsafe {
                (
                    (p.y + 0.5).to_int_unchecked::<i64>() as usize,
                    (p.x + 0.5).to_int_unchecked::<i64>() as usize,
                )
            }
        } else {
            super::walk::nearest_cell(p, self.rows, self.cols)
        }
    }

    /// `true` when `p` lies within the sample centres (where heights interpolate).
    #[inline(always)]
    pub fn is_inside(&self, p: Xy) -> bool {
        p.y >= 0.0 && p.x >= 0.0 && p.y <= self.last_row && p.x <= self.last_col
    }

    /// The row-major index of the top-left sample of the bilinear cell
    /// around `p`, and the weights (row, column).
    #[inline(always)]
    fn cell(&self, p: Xy) -> Result<(usize, f64, f64), Obstacle> {
        if !self.is_inside(p) {
            return Err(Obstacle::Outside);
        }
        let (r, c) = (p.y, p.x);
        // SAFETY: `is_inside` checked 0 <= r <= last_row and the same for
        // `c` (false for NaN), and the bounds are below 2^52 (`index_bound`),
        // so both truncate exactly to an `i64`.
        let (ri, ci) = unsafe { (r.to_int_unchecked::<i64>(), c.to_int_unchecked::<i64>()) };
        let r0 = (ri as usize).min(self.rows - 2);
        let c0 = (ci as usize).min(self.cols - 2);
        Ok((
            r0 * self.cols + c0,
            r - r0 as i64 as f64,
            c - c0 as i64 as f64,
        ))
    }

    /// The four samples of the bilinear cell at `i0`: top-left, top-right,
    /// bottom-left, bottom-right.
    #[inline(always)]
    fn quad<T: Copy>(&self, a: &[T], i0: usize) -> [T; 4] {
        let top = &a[i0..i0 + 2];
        let bottom = &a[i0 + self.cols..i0 + self.cols + 2];
        [top[0], top[1], bottom[0], bottom[1]]
    }

    /// The cell size in metres `(east-west, north-south)` at fractional row `r`.
    #[inline(always)]
    fn spacing(&self, r: f64) -> (f64, f64) {
        // `RowMetrics::spacing_at` with its operands precomputed: the same
        // clamp, row and fraction, the same differences, so the same values.
        let r0 = if r >= 0.0 && r <= self.last_row {
            // SAFETY: 0 <= r <= last_row < 2^52 (`index_bound`; false for
            // NaN), so `r` truncates exactly to an `i64`. The same test and
            // truncation as `cell`'s, which the compiler shares when a step
            // samples the gradient and moves from the same position.
            unsafe { r.to_int_unchecked::<i64>() as usize }
        } else {
            floor_index(r.clamp(0.0, self.last_row))
        }
        .min(self.rows - 2);
        let r = r.clamp(0.0, self.last_row);
        let f = r - r0 as i64 as f64;
        let [dx, ddx, dy, ddy] = self.row_spacing[r0];
        (dx + f * ddx, dy + f * ddy)
    }
}

impl Surface for GridField<'_> {
    #[inline(always)]
    fn elevation(&self, p: Xy) -> Result<f64, Obstacle> {
        let (i0, fr, fc) = self.cell(p)?;
        let z = bilinear_f32(self.quad(&self.flat, i0), fr, fc);
        if z.is_nan() {
            Err(Obstacle::Void)
        } else {
            Ok(z)
        }
    }

    #[inline(always)]
    fn gradient(&self, p: Xy) -> Result<Vector, Obstacle> {
        let (i0, fr, fc) = self.cell(p)?;
        let [a, b, c, d] = self.quad(&self.slopes, i0);
        let east = bilinear_f32([a[0], b[0], c[0], d[0]], fr, fc);
        let north = bilinear_f32([a[1], b[1], c[1], d[1]], fr, fc);
        if east.is_nan() || north.is_nan() {
            Err(Obstacle::Void)
        } else {
            Ok(Vector::new(east, north))
        }
    }

    #[inline(always)]
    fn displace(&self, p: Xy, d: Vector) -> Xy {
        let (dx, dy) = self.spacing(p.y);
        Xy::new(p.x + d.east / dx, p.y - d.north / dy)
    }

    fn distance(&self, a: Xy, b: Xy) -> f64 {
        let (dx, dy) = self.spacing((a.y + b.y) / 2.0);
        ((b.x - a.x) * dx).hypot((b.y - a.y) * dy)
    }

    fn lon_lat(&self, _p: Xy) -> Option<LonLat> {
        None
    }

    /// [`SeaMask::contains`] through this field's own bounds test and
    /// cell index (the sea has the grid's size, `with_sea`), which the
    /// compiler shares with the step's other lookups at `p`.
    #[inline(always)]
    fn in_sea(&self, p: Xy) -> bool {
        let Some(sea) = self.sea else {
            return false;
        };
        match self.cell(p) {
            Ok((i0, _, _)) => sea.near_coast_cell(i0) && sea.fraction(p.y, p.x) >= 0.5,
            // `contains` is false outside the sample centres.
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gradient grid of `rows` x `cols` samples, zero everywhere.
    fn no_slope(rows: usize, cols: usize) -> GradientGrid {
        GradientGrid {
            east: Array2::zeros((rows, cols)),
            north: Array2::zeros((rows, cols)),
        }
    }

    /// `rows` rows of square cells `side` metres across.
    fn square_cells(rows: usize, side: f64) -> RowMetrics {
        RowMetrics {
            dx: vec![side; rows],
            dy: vec![side; rows],
        }
    }

    /// The first cell a descent from a sample enters, by hand: on 10 m x
    /// 20 m cells, a slope of 0.2 east and -0.3 north falls fastest to the
    /// north-west in metres, but per sample it moves 0.02 columns west to
    /// 0.015 rows north, so it leaves its square through the west edge.
    #[test]
    fn a_descent_leaves_its_sample_through_the_nearer_edge_in_samples() {
        let heights = Array2::from_elem((3, 3), 100.0f32);
        let metrics = RowMetrics {
            dx: vec![10.0; 3],
            dy: vec![20.0; 3],
        };
        let with = |east: f32, north: f32| GradientGrid {
            east: Array2::from_elem((3, 3), east),
            north: Array2::from_elem((3, 3), north),
        };
        let case = |east, north, r, c| {
            let gradient = with(east, north);
            GridField::new(&heights, &gradient, &metrics).first_cell_downhill(r, c)
        };
        assert_eq!(case(0.2, -0.3, 1, 1), Some((1, 0)));
        // Steeper north-south in samples: 0.01 columns west, 0.02 rows north.
        assert_eq!(case(0.1, -0.4, 1, 1), Some((0, 1)));
        // Rising to the north and west: descends south-east, by rows.
        assert_eq!(case(-0.1, 0.4, 1, 1), Some((2, 1)));
        assert_eq!(case(-0.3, 0.2, 1, 1), Some((1, 2)));
        // Level, a line through a corner (0.02 columns and rows), off the grid.
        assert_eq!(case(0.0, 0.0, 1, 1), None);
        assert_eq!(case(0.2, -0.4, 1, 1), None);
        assert_eq!(case(0.2, 0.0, 1, 0), None);
    }

    /// A tilted plane z = 2·col + 3·row on 10 m x 20 m cells: slope east is
    /// 2/10, north is -3/20 (rows run south), by hand.
    #[test]
    fn plane_gradient_and_displacement_in_metres() {
        let heights = Array2::from_shape_fn((4, 5), |(r, c)| (2 * c + 3 * r) as f32);
        let metrics = RowMetrics {
            dx: vec![10.0; 4],
            dy: vec![20.0; 4],
        };
        let gradient = GradientGrid {
            east: Array2::from_elem((4, 5), 0.2),
            north: Array2::from_elem((4, 5), -0.15),
        };
        let f = GridField::new(&heights, &gradient, &metrics);
        let p = Xy::new(1.25, 2.5);
        let z = f.elevation(p).unwrap();
        assert!((z - (2.0 * 1.25 + 3.0 * 2.5)).abs() < 1e-6);
        let g = f.gradient(p).unwrap();
        assert!((g.east - 0.2).abs() < 1e-7 && (g.north + 0.15).abs() < 1e-7);
        let q = f.displace(p, Vector::new(5.0, 10.0));
        assert!((q.x - 1.75).abs() < 1e-12 && (q.y - 2.0).abs() < 1e-12);
        assert_eq!(f.elevation(Xy::new(4.01, 0.0)), Err(Obstacle::Outside));
        assert_eq!(f.gradient(Xy::new(-0.01, 0.0)), Err(Obstacle::Outside));
    }

    /// The field's sea test (its own bounds and cell index, then the mask's
    /// coast bit and fraction) answers as `SeaMask::contains` does, inside,
    /// on the edges, outside and at NaN: a bay and a strip of sea on a
    /// 40 x 33 grid, sampled every 1/7 of a cell and beyond the edges.
    #[test]
    fn sea_test_matches_the_mask() {
        use crate::dem::SeaLevel;
        let (rows, cols) = (40usize, 33usize);
        let heights = Array2::from_shape_fn((rows, cols), |(r, c)| {
            if (r < 12 && c + r < 14) || (r >= 36 && c > 5) {
                0.0f32
            } else {
                5.0
            }
        });
        let sea = SeaMask::detect(&heights, SeaLevel::SrtmZero);
        let metrics = square_cells(rows, 30.0);
        let gradient = no_slope(rows, cols);
        let f = GridField::new(&heights, &gradient, &metrics).with_sea(&sea);
        assert!(f.sea().is_some(), "the mask reaches the grid");
        let (mut wet, mut dry) = (0, 0);
        for i in -7..=(rows as i64 + 1) * 7 {
            for j in -7..=(cols as i64 + 1) * 7 {
                let p = Xy::new(j as f64 / 7.0, i as f64 / 7.0);
                let want = sea.contains(p.y, p.x);
                assert_eq!(f.in_sea(p), want, "at {p:?}");
                if want {
                    wet += 1;
                } else {
                    dry += 1;
                }
            }
        }
        assert!(wet > 1000 && dry > 1000, "{wet} wet, {dry} dry");
        assert!(!f.in_sea(Xy::new(f64::NAN, 1.0)) && !f.in_sea(Xy::new(1.0, f64::NAN)));
    }

    /// A move's metres become the same fractional indices as through
    /// `RowMetrics::spacing_at` (the reference the precomputed rows and the
    /// shared truncation must reproduce), bit for bit: rows of changing
    /// size, positions inside, on the edges, beyond them and NaN.
    #[test]
    fn displacement_uses_the_row_metrics_spacing() {
        let rows = 9;
        let metrics = RowMetrics {
            dx: (0..rows).map(|r| 20.0 + 3.5 * r as f64).collect(),
            dy: (0..rows).map(|r| 31.0 - 0.25 * (r * r) as f64).collect(),
        };
        let heights = Array2::zeros((rows, 6));
        let gradient = no_slope(rows, 6);
        let f = GridField::new(&heights, &gradient, &metrics);
        let d = Vector::new(7.0, -11.0);
        let ys = (-20..=100)
            .map(|i| i as f64 / 10.0)
            .chain([f64::NAN, 1e300, -1e300]);
        for y in ys {
            let p = Xy::new(2.5, y);
            let (dx, dy) = metrics.spacing_at(y);
            let want = Xy::new(p.x + d.east / dx, p.y - d.north / dy);
            let got = f.displace(p, d);
            assert_eq!(got.x.to_bits(), want.x.to_bits(), "x at row {y}");
            assert_eq!(got.y.to_bits(), want.y.to_bits(), "y at row {y}");
        }
    }

    /// The nearest sample by the field's shared bounds test is
    /// `walk::nearest_cell`'s, inside, on the half-way lines, on the edges,
    /// beyond them and at NaN.
    #[test]
    fn nearest_sample_matches_nearest_cell() {
        let (rows, cols) = (6, 9);
        let heights = Array2::zeros((rows, cols));
        let metrics = square_cells(rows, 30.0);
        let gradient = no_slope(rows, cols);
        let f = GridField::new(&heights, &gradient, &metrics);
        let near = |v: i64| {
            [
                v as f64 / 8.0,
                v as f64 / 8.0 - 1e-12,
                v as f64 / 8.0 + 1e-12,
            ]
        };
        let ys = (-16..=(rows as i64 + 2) * 8)
            .flat_map(near)
            .chain([f64::NAN, 1e300]);
        for y in ys {
            let xs = (-16..=(cols as i64 + 2) * 8)
                .flat_map(near)
                .chain([f64::NAN, -1e300]);
            for x in xs {
                let p = Xy::new(x, y);
                let want = crate::basins::walk::nearest_cell(p, rows, cols);
                assert_eq!(f.nearest_sample(p), want, "at {p:?}");
            }
        }
    }
}
