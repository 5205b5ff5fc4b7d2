//! A [`GridField`] read four walkers at a time, one per `f64` lane of an
//! AVX2 register: the bounds test, the bilinear cell, the gradient and the
//! row's cell size of `GridField`, with the very operations of its scalar
//! code in the same order (no fused multiply-adds), so every lane's value
//! is the scalar one bit for bit.
//!
//! Each walker's loads stay what they were (two 16-byte loads of its
//! cell's slopes, one 32-byte load of its row's sizes), transposed into
//! lanes; the arithmetic and the bounds tests, which dominate a step done
//! one walker at a time, cost about a quarter. The steps built on it are
//! [`super::ball_lanes`] (heavy and Nesterov balls) and
//! [`super::walker_lanes`] (the hill-walker).
//!
//! x86-64 only (the module is compiled there alone).

use std::arch::x86_64::*;

use super::field::GridField;

/// The field's arrays and bounds, with the constants the lanes compare
/// against already broadcast into registers.
pub(super) struct LaneGrid<'f> {
    field: &'f GridField<'f>,
    cols: usize,
    slopes: &'f [[f32; 2]],
    spacing: &'f [[f64; 4]],
    zero: __m256d,
    one: __m256d,
    /// The largest row and column inside the sample centres.
    top_row: __m256d,
    top_col: __m256d,
    /// The last bilinear cell's top-left row and column, `rows - 2` and
    /// `cols - 2`.
    last_r: __m128i,
    last_c: __m128i,
}

/// The bilinear cells of four lanes: each lane's top-left sample row and
/// column, and the weights (fractions of a sample, row and column).
#[derive(Clone, Copy)]
pub(super) struct Cells {
    pub r: [i32; 4],
    pub c: [i32; 4],
    pub fr: __m256d,
    pub fc: __m256d,
}

/// `true` when the lanes can step walkers on `field` with no height rule
/// (`stop_below` unset: the lanes look up no height), on a grid whose rows
/// and columns are below 2^31, on a CPU with AVX2: what
/// [`LaneGrid::new`] asks of its callers.
pub(super) fn lanes_fit(field: &GridField<'_>, stop_below: Option<f64>) -> bool {
    stop_below.is_none()
        && field.rows() < (1 << 31)
        && field.cols() < (1 << 31)
        && std::arch::is_x86_feature_detected!("avx2")
}

/// All ones in the lanes where both components of a displacement are
/// finite.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn finite(east: __m256d, north: __m256d) -> __m256d {
    let infinity = _mm256_set1_pd(f64::INFINITY);
    let abs = |v| _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
    _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_LT_OQ>(abs(east), infinity),
        _mm256_cmp_pd::<_CMP_LT_OQ>(abs(north), infinity),
    )
}

/// The four `i32` lanes of `v`.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn lanes_of(v: __m128i) -> [i32; 4] {
    [
        _mm_cvtsi128_si32(v),
        _mm_extract_epi32::<1>(v),
        _mm_extract_epi32::<2>(v),
        _mm_extract_epi32::<3>(v),
    ]
}

/// A mask lane (all ones) where `keep`, else zero.
#[inline]
fn mask(keep: bool) -> f64 {
    if keep {
        f64::from_bits(u64::MAX)
    } else {
        0.0
    }
}

impl<'f> LaneGrid<'f> {
    /// The lanes' view of `field`.
    ///
    /// # Safety
    /// The CPU must support AVX2; the grid must have fewer than 2^31 rows
    /// and columns.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub unsafe fn new(field: &'f GridField<'f>) -> Self {
        let (rows, cols) = (field.rows(), field.cols());
        debug_assert!(rows >= 2 && cols >= 2 && rows - 2 <= i32::MAX as usize);
        debug_assert!(cols - 2 <= i32::MAX as usize);
        let (last_row, last_col) = field.bounds();
        LaneGrid {
            field,
            cols,
            slopes: field.slopes(),
            spacing: field.row_spacing(),
            zero: _mm256_setzero_pd(),
            one: _mm256_set1_pd(1.0),
            top_row: _mm256_set1_pd(last_row),
            top_col: _mm256_set1_pd(last_col),
            last_r: _mm_set1_epi32((rows - 2) as i32),
            last_c: _mm_set1_epi32((cols - 2) as i32),
        }
    }

    /// `GridField::is_inside` per lane: all ones where (`x`, `y`) lies
    /// within the sample centres (false for NaN: ordered comparisons).
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn inside(&self, x: __m256d, y: __m256d) -> __m256d {
        _mm256_and_pd(
            _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_GE_OQ>(y, self.zero),
                _mm256_cmp_pd::<_CMP_GE_OQ>(x, self.zero),
            ),
            _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_LE_OQ>(y, self.top_row),
                _mm256_cmp_pd::<_CMP_LE_OQ>(x, self.top_col),
            ),
        )
    }

    /// `GridField::cell` of the lanes `inside` at (`x`, `y`). Lanes outside
    /// compute on sample (0, 0), so that every load stays in the grid; the
    /// caller must not use their results.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn cell(&self, x: __m256d, y: __m256d, inside: __m256d) -> Cells {
        let (x, y) = (_mm256_and_pd(x, inside), _mm256_and_pd(y, inside));
        // Truncation (exact below 2^31 here), clamped to the last cell.
        let r0 = _mm_min_epi32(_mm256_cvttpd_epi32(y), self.last_r);
        let c0 = _mm_min_epi32(_mm256_cvttpd_epi32(x), self.last_c);
        Cells {
            r: lanes_of(r0),
            c: lanes_of(c0),
            fr: _mm256_sub_pd(y, _mm256_cvtepi32_pd(r0)),
            fc: _mm256_sub_pd(x, _mm256_cvtepi32_pd(c0)),
        }
    }

    /// `GridField::gradient` in `cells` (east, north; m/m): each lane's two
    /// pairs of samples [east, north, east, north] at the top and the bottom
    /// of its cell, transposed so that each register holds one corner's
    /// component for the four lanes, then `bilinear`: (1 - fc) v00 + fc v01
    /// along the top and the bottom, then (1 - fr) top + fr bottom. NaN in
    /// the lanes whose cell touches a void.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn gradient(&self, cells: &Cells) -> (__m256d, __m256d) {
        let Cells { r, c, fr, fc } = *cells;
        let cols = self.cols;
        let pair = |k: usize, below: usize| {
            let i = r[k] as usize * cols + c[k] as usize + below;
            debug_assert!(i + 1 < self.slopes.len());
            // SAFETY: `cell` gives 0 <= r < rows - 1 and 0 <= c < cols - 1,
            // so the cell's samples i and i + 1 (top) and i + cols and
            // i + cols + 1 (bottom) are in the grid of rows * cols samples.
            unsafe { _mm_loadu_ps(self.slopes.as_ptr().add(i) as *const f32) }
        };
        let transpose = |a: __m128, b: __m128, c: __m128, d: __m128| {
            let (t0, t1) = (_mm_unpacklo_ps(a, b), _mm_unpacklo_ps(c, d));
            let (t2, t3) = (_mm_unpackhi_ps(a, b), _mm_unpackhi_ps(c, d));
            [
                _mm256_cvtps_pd(_mm_movelh_ps(t0, t1)),
                _mm256_cvtps_pd(_mm_movehl_ps(t1, t0)),
                _mm256_cvtps_pd(_mm_movelh_ps(t2, t3)),
                _mm256_cvtps_pd(_mm_movehl_ps(t3, t2)),
            ]
        };
        let [e00, n00, e01, n01] = transpose(pair(0, 0), pair(1, 0), pair(2, 0), pair(3, 0));
        let [e10, n10, e11, n11] =
            transpose(pair(0, cols), pair(1, cols), pair(2, cols), pair(3, cols));
        let (gc, gr) = (_mm256_sub_pd(self.one, fc), _mm256_sub_pd(self.one, fr));
        let bilinear = |v00, v01, v10, v11| {
            let top = _mm256_add_pd(_mm256_mul_pd(gc, v00), _mm256_mul_pd(fc, v01));
            let bottom = _mm256_add_pd(_mm256_mul_pd(gc, v10), _mm256_mul_pd(fc, v11));
            _mm256_add_pd(_mm256_mul_pd(gr, top), _mm256_mul_pd(fr, bottom))
        };
        (bilinear(e00, e01, e10, e11), bilinear(n00, n01, n10, n11))
    }

    /// `GridField::spacing` at the rows of `cells` (inside) with their
    /// fractions: each lane's [dx, ddx, dy, ddy], transposed, then
    /// (dx + fr ddx, dy + fr ddy), metres.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn sizes(&self, cells: &Cells) -> (__m256d, __m256d) {
        let (r, fr) = (cells.r, cells.fr);
        let row = |k: usize| {
            debug_assert!((r[k] as usize) < self.spacing.len());
            // SAFETY: r[k] < rows - 1 indexes `row_spacing`, one entry a row.
            unsafe { _mm256_loadu_pd(self.spacing.as_ptr().add(r[k] as usize) as *const f64) }
        };
        let (s0, s1, s2, s3) = (row(0), row(1), row(2), row(3));
        let (t0, t1) = (_mm256_unpacklo_pd(s0, s1), _mm256_unpackhi_pd(s0, s1));
        let (t2, t3) = (_mm256_unpacklo_pd(s2, s3), _mm256_unpackhi_pd(s2, s3));
        let dx = _mm256_permute2f128_pd::<0x20>(t0, t2);
        let ddx = _mm256_permute2f128_pd::<0x20>(t1, t3);
        let dy = _mm256_permute2f128_pd::<0x31>(t0, t2);
        let ddy = _mm256_permute2f128_pd::<0x31>(t1, t3);
        (
            _mm256_add_pd(dx, _mm256_mul_pd(fr, ddx)),
            _mm256_add_pd(dy, _mm256_mul_pd(fr, ddy)),
        )
    }

    /// `true` when no bilinear cell a position nearest sample (`r`, `c`)
    /// can stand in touches the coast (always, when the field has no sea):
    /// there `GridField::in_sea` is false for a walker that stays nearest
    /// that sample.
    pub fn inland_around(&self, r: usize, c: usize) -> bool {
        let Some(sea) = self.field.sea() else {
            return true;
        };
        let (rows, cols) = (self.field.rows(), self.field.cols());
        // A position within half a sample of (r, c) truncates to r - 1 or
        // r (clamped to the last cell), and the same for c.
        let (r1, c1) = (r.min(rows - 2), c.min(cols - 2));
        (r.saturating_sub(1)..=r1)
            .all(|r0| (c.saturating_sub(1)..=c1).all(|c0| !sea.near_coast_cell(r0 * cols + c0)))
    }

    /// All ones in the lanes `inside` at (`x`, `y`) whose cell touches no
    /// coast (all lanes when the field has no sea): there
    /// `GridField::in_sea` is false without a look at the sea fraction.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn inland(&self, x: __m256d, y: __m256d, inside: __m256d) -> __m256d {
        let Some(sea) = self.field.sea() else {
            return inside;
        };
        let Cells { r, c, .. } = self.cell(x, y, inside);
        let cols = self.cols;
        let lane = |k: usize| mask(!sea.near_coast_cell(r[k] as usize * cols + c[k] as usize));
        _mm256_and_pd(inside, _mm256_setr_pd(lane(0), lane(1), lane(2), lane(3)))
    }
}
