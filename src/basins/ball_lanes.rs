//! Balls stepped four at a time, one per lane of an AVX2 register.
//!
//! A heavy-ball step on a [`GridField`] is a bilinear lookup of the
//! gradient (eight `f32` loads), the velocity update, the row's cell size
//! (four `f64` loads) and two divisions; Nesterov's adds a displacement to
//! the look-ahead point. Done for one walker at a time the arithmetic and
//! the bounds tests dominate; done for four walkers in the four `f64` lanes
//! of a register they cost about a quarter, while each walker's loads stay
//! what they were (two 16-byte loads of its cell's slopes, one 32-byte load
//! of its row's sizes), transposed into lanes.
//!
//! [`step4`] computes the *ordinary* step of each lane: the step that
//! [`Agent::advance`](crate::agents::Agent::advance) takes when no stop
//! rule fires. It uses the very operations of the scalar code
//! (`ball::step` or `nesterov::step`, `GridField::gradient` and
//! `displace`), in the same order and without fused multiply-adds, so an
//! ordinary lane's new position and velocity are the scalar ones bit for
//! bit. A lane whose step is not ordinary (it starts, looks ahead or lands
//! outside the sample centres, meets a void, diverges, or lands in a cell
//! touching the coast) is reported as such and its results are not to be
//! used: the caller redoes that step with the scalar loop, which applies
//! the stop rule.
//!
//! x86-64 only (the module is compiled there alone); `walk_lanes` uses it
//! when the CPU has AVX2.

use std::arch::x86_64::*;

use super::field::GridField;

/// Positions (fractional column `x` and row `y`, in samples) and
/// velocities (metres per step east and north) of four balls, lane by
/// lane, in registers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Balls {
    /// Column of each ball, in samples.
    pub x: __m256d,
    /// Row of each ball, in samples (growing southwards).
    pub y: __m256d,
    /// Velocity east, metres per step.
    pub ve: __m256d,
    /// Velocity north, metres per step.
    pub vn: __m256d,
}

/// What [`step4`] found.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stepped {
    /// The balls after the step (meaningful in the ordinary lanes only).
    pub next: Balls,
    /// All ones in the lanes whose step is ordinary.
    pub ordinary: __m256d,
    /// All ones in the lanes whose displacement is shorter than the tolerance.
    pub short: __m256d,
}

/// One step of four balls on `field`: the heavy ball's
/// `v ← β v − α ∇f(x)` or, with `NESTEROV`, the look-ahead
/// `v ← β v − α ∇f(x + β v)`, then `x ← x + v` (in metres, converted to
/// samples by the row's cell size). `tolerance_sq` is the squared step
/// tolerance, square metres. A lane whose next position lies in a cell
/// that touches the field's coast band is not ordinary (the scalar loop
/// decides whether it is sea).
///
/// # Safety
/// The CPU must support AVX2; the grid must have fewer than 2^31 rows and
/// columns.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) unsafe fn step4<const NESTEROV: bool>(
    field: &GridField<'_>,
    alpha: f64,
    beta: f64,
    tolerance_sq: f64,
    balls: Balls,
) -> Stepped {
    let (rows, cols) = (field.rows(), field.cols());
    let (last_row, last_col) = field.bounds();
    let slopes = field.slopes();
    let spacing = field.row_spacing();
    debug_assert!(rows >= 2 && cols >= 2 && rows - 2 <= i32::MAX as usize);
    let Balls { x, y, ve, vn } = balls;
    let zero = _mm256_setzero_pd();
    let one = _mm256_set1_pd(1.0);
    let (top_row, top_col) = (_mm256_set1_pd(last_row), _mm256_set1_pd(last_col));
    // `GridField::is_inside`: false for NaN (ordered comparisons).
    let inside = |x: __m256d, y: __m256d| {
        _mm256_and_pd(
            _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_GE_OQ>(y, zero),
                _mm256_cmp_pd::<_CMP_GE_OQ>(x, zero),
            ),
            _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_LE_OQ>(y, top_row),
                _mm256_cmp_pd::<_CMP_LE_OQ>(x, top_col),
            ),
        )
    };
    let (last_r, last_c) = (
        _mm_set1_epi32((rows - 2) as i32),
        _mm_set1_epi32((cols - 2) as i32),
    );
    let lanes = |v: __m128i| {
        [
            _mm_cvtsi128_si32(v),
            _mm_extract_epi32::<1>(v),
            _mm_extract_epi32::<2>(v),
            _mm_extract_epi32::<3>(v),
        ]
    };
    // `GridField::cell` of the lanes `inside` at (x, y): the top-left
    // sample's row and column per lane, and the weights. Lanes outside
    // compute on sample (0, 0), so that every load stays in the grid; they
    // are not ordinary.
    let cell = |x: __m256d, y: __m256d, inside: __m256d| {
        let (x, y) = (_mm256_and_pd(x, inside), _mm256_and_pd(y, inside));
        // Truncation (exact below 2^31 here), clamped to the last cell.
        let r0 = _mm_min_epi32(_mm256_cvttpd_epi32(y), last_r);
        let c0 = _mm_min_epi32(_mm256_cvttpd_epi32(x), last_c);
        let fr = _mm256_sub_pd(y, _mm256_cvtepi32_pd(r0));
        let fc = _mm256_sub_pd(x, _mm256_cvtepi32_pd(c0));
        (lanes(r0), lanes(c0), fr, fc)
    };
    // `GridField::gradient` in the cells found: each lane's two pairs of
    // samples [east, north, east, north] at the top and the bottom of its
    // cell, transposed so that each register holds one corner's component
    // for the four lanes, then `bilinear`: (1 - fc) v00 + fc v01 along the
    // top and the bottom, then (1 - fr) top + fr bottom.
    let gradient = |r: [i32; 4], c: [i32; 4], fr: __m256d, fc: __m256d| {
        let pair = |k: usize, below: usize| {
            let i = r[k] as usize * cols + c[k] as usize + below;
            debug_assert!(i + 1 < slopes.len());
            // SAFETY: 0 <= r < rows - 1 and 0 <= c < cols - 1, so the
            // cell's samples i and i + 1 (top) and i + cols and
            // i + cols + 1 (bottom) are in the grid of rows * cols samples.
            _mm_loadu_ps(slopes.as_ptr().add(i) as *const f32)
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
        let (gc, gr) = (_mm256_sub_pd(one, fc), _mm256_sub_pd(one, fr));
        let bilinear = |v00, v01, v10, v11| {
            let top = _mm256_add_pd(_mm256_mul_pd(gc, v00), _mm256_mul_pd(fc, v01));
            let bottom = _mm256_add_pd(_mm256_mul_pd(gc, v10), _mm256_mul_pd(fc, v11));
            _mm256_add_pd(_mm256_mul_pd(gr, top), _mm256_mul_pd(fr, bottom))
        };
        (bilinear(e00, e01, e10, e11), bilinear(n00, n01, n10, n11))
    };
    // `GridField::spacing` at rows `r` (inside) with fraction `fr`: each
    // lane's [dx, ddx, dy, ddy], transposed, then dx + fr ddx, dy + fr ddy.
    let sizes = |r: [i32; 4], fr: __m256d| {
        let row = |k: usize| {
            // SAFETY: r[k] < rows - 1 indexes `row_spacing`, one entry a row.
            _mm256_loadu_pd(spacing.as_ptr().add(r[k] as usize) as *const f64)
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
    };

    let (a, b) = (_mm256_set1_pd(alpha), _mm256_set1_pd(beta));
    let here = inside(x, y);
    let (r, c, fr, fc) = cell(x, y, here);
    let (dx, dy) = sizes(r, fr);
    let (ge, gn, looked) = if NESTEROV {
        // `nesterov::step`: the gradient at x + β v (displaced as a move).
        let ahead_x = _mm256_add_pd(x, _mm256_div_pd(_mm256_mul_pd(b, ve), dx));
        let ahead_y = _mm256_sub_pd(y, _mm256_div_pd(_mm256_mul_pd(b, vn), dy));
        let there = inside(ahead_x, ahead_y);
        let (ra, ca, fra, fca) = cell(ahead_x, ahead_y, there);
        let (ge, gn) = gradient(ra, ca, fra, fca);
        (ge, gn, there)
    } else {
        let (ge, gn) = gradient(r, c, fr, fc);
        (ge, gn, here)
    };
    let no_void = _mm256_cmp_pd::<_CMP_ORD_Q>(ge, gn);
    // v = β v − α g.
    let nve = _mm256_sub_pd(_mm256_mul_pd(b, ve), _mm256_mul_pd(a, ge));
    let nvn = _mm256_sub_pd(_mm256_mul_pd(b, vn), _mm256_mul_pd(a, gn));
    // `GridField::displace`: x + d.east / dx, y − d.north / dy.
    let nx = _mm256_add_pd(x, _mm256_div_pd(nve, dx));
    let ny = _mm256_sub_pd(y, _mm256_div_pd(nvn, dy));

    // Ordinary: inside before and after (and, looking ahead, there), no
    // void, a finite displacement (an infinite or NaN one fails the bounds
    // test of the next position too, but `advance` names it Diverged, so
    // it is tested as such).
    let infinity = _mm256_set1_pd(f64::INFINITY);
    let abs = |v| _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
    let finite = _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_LT_OQ>(abs(nve), infinity),
        _mm256_cmp_pd::<_CMP_LT_OQ>(abs(nvn), infinity),
    );
    let next_inside = inside(nx, ny);
    let mut ordinary = _mm256_and_pd(
        _mm256_and_pd(_mm256_and_pd(here, looked), no_void),
        _mm256_and_pd(finite, next_inside),
    );
    if let Some(sea) = field.sea() {
        // `GridField::in_sea` at the next position: its cell first.
        let (r1, c1, _, _) = cell(nx, ny, next_inside);
        let coast = |k: usize| {
            if sea.near_coast_cell(r1[k] as usize * cols + c1[k] as usize) {
                0.0
            } else {
                f64::from_bits(u64::MAX)
            }
        };
        let inland = _mm256_setr_pd(coast(0), coast(1), coast(2), coast(3));
        ordinary = _mm256_and_pd(ordinary, inland);
    }
    let length_sq = _mm256_add_pd(_mm256_mul_pd(nve, nve), _mm256_mul_pd(nvn, nvn));
    let short = _mm256_cmp_pd::<_CMP_LT_OQ>(length_sq, _mm256_set1_pd(tolerance_sq));
    Stepped {
        next: Balls {
            x: nx,
            y: ny,
            ve: nve,
            vn: nvn,
        },
        ordinary,
        short,
    }
}
