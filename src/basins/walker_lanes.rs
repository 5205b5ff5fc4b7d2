//! Hill-walkers stepped four at a time, one per lane of an AVX2 register.
//!
//! A walker's step on a [`GridField`] is a bilinear lookup of the gradient,
//! one product with `-α` and the move by the row's cell size (two
//! divisions). Under the gd shortcut most steps are small: a walker on
//! gentle ground or settling into a pit takes about a hundred of them for
//! every cell it enters, and only entering a cell asks the memo anything.
//! [`walk4`] computes the *ordinary* step of each lane: the step that
//! [`Agent::advance`](crate::agents::Agent::advance) takes when no stop
//! rule fires and the memo's hook has nothing to say because the walker
//! stays nearest the same sample. It uses the very operations of the
//! scalar code (`walker::step`, `GridField::gradient` and `displace`) in
//! the same order, so an ordinary lane's new position is the scalar one
//! bit for bit. A lane whose step is not ordinary is reported as such and
//! its results are not to be used: the caller redoes that step with the
//! scalar loop, which applies the stop rule or asks the memo.
//!
//! x86-64 only (the module is compiled there alone).

use std::arch::x86_64::*;

use super::lane_grid::{finite, LaneGrid};

/// What [`walk4`] found.
#[derive(Debug, Clone, Copy)]
pub(super) struct Walked {
    /// Columns after the step, in samples (meaningful in ordinary lanes).
    pub x: __m256d,
    /// Rows after the step, in samples.
    pub y: __m256d,
    /// All ones in the lanes whose step is ordinary.
    pub ordinary: __m256d,
    /// All ones in the lanes whose displacement is shorter than the tolerance.
    pub short: __m256d,
}

/// Four walkers, lane by lane, in registers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Walkers {
    /// Column of each walker, in samples.
    pub x: __m256d,
    /// Row of each walker, in samples (growing southwards).
    pub y: __m256d,
    /// Row of each walker's nearest sample before the step (the memo's cell).
    pub here_r: __m128i,
    /// Column of each walker's nearest sample.
    pub here_c: __m128i,
    /// All ones in the lanes where no cell around the nearest sample
    /// touches the coast ([`LaneGrid::inland_around`]).
    pub inland: __m256d,
}

/// One gd step of four `walkers` on `grid`: `x ← x − α ∇h(x)`, the
/// displacement in metres converted to samples by the row's cell size.
/// `tolerance_sq` is the squared step tolerance, square metres.
///
/// Ordinary lanes: inside the sample centres before and after, no void in
/// the cell, a finite and non-zero displacement (a walker that does not
/// move takes the rest of its patience at once in the scalar loop), nearest
/// the same sample as before, and inland there. Step and patience counts
/// are the caller's.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn walk4(
    grid: &LaneGrid<'_>,
    alpha: f64,
    tolerance_sq: f64,
    walkers: &Walkers,
) -> Walked {
    let Walkers {
        x,
        y,
        here_r,
        here_c,
        inland,
    } = *walkers;
    let inside = grid.inside(x, y);
    let cells = grid.cell(x, y, inside);
    let (dx, dy) = grid.sizes(&cells);
    let (ge, gn) = grid.gradient(&cells);
    let no_void = _mm256_cmp_pd::<_CMP_ORD_Q>(ge, gn);
    // `walker::step`: d = (−α) g.
    let minus_alpha = _mm256_set1_pd(-alpha);
    let de = _mm256_mul_pd(minus_alpha, ge);
    let dn = _mm256_mul_pd(minus_alpha, gn);
    // `GridField::displace`: x + d.east / dx, y − d.north / dy.
    let nx = _mm256_add_pd(x, _mm256_div_pd(de, dx));
    let ny = _mm256_sub_pd(y, _mm256_div_pd(dn, dy));
    let next_inside = grid.inside(nx, ny);
    let zero = _mm256_setzero_pd();
    let moved = _mm256_or_pd(
        _mm256_cmp_pd::<_CMP_NEQ_UQ>(de, zero),
        _mm256_cmp_pd::<_CMP_NEQ_UQ>(dn, zero),
    );
    // `GridField::nearest_sample` (inside): the truncation of each
    // coordinate plus one half, exact below 2^31.
    let half = _mm256_set1_pd(0.5);
    let near_r = _mm256_cvttpd_epi32(_mm256_add_pd(ny, half));
    let near_c = _mm256_cvttpd_epi32(_mm256_add_pd(nx, half));
    let same = _mm_and_si128(
        _mm_cmpeq_epi32(near_r, here_r),
        _mm_cmpeq_epi32(near_c, here_c),
    );
    // The four 32-bit lane masks widened to 64 bits.
    let same = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(same));
    let ordinary = _mm256_and_pd(
        _mm256_and_pd(_mm256_and_pd(inside, no_void), finite(de, dn)),
        _mm256_and_pd(
            _mm256_and_pd(moved, same),
            _mm256_and_pd(next_inside, inland),
        ),
    );
    let length_sq = _mm256_add_pd(_mm256_mul_pd(de, de), _mm256_mul_pd(dn, dn));
    let short = _mm256_cmp_pd::<_CMP_LT_OQ>(length_sq, _mm256_set1_pd(tolerance_sq));
    Walked {
        x: nx,
        y: ny,
        ordinary,
        short,
    }
}
