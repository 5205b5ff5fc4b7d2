//! Balls stepped four at a time, one per lane of an AVX2 register.
//!
//! A heavy-ball step on a [`GridField`] is a bilinear lookup of the
//! gradient (eight `f32` loads), the velocity update, the row's cell size
//! (four `f64` loads) and two divisions; Nesterov's adds a displacement to
//! the look-ahead point. The field is read four balls at a time through
//! [`LaneGrid`].
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
use super::lane_grid::{finite, LaneGrid};

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
    let grid = LaneGrid::new(field);
    let Balls { x, y, ve, vn } = balls;
    let (a, b) = (_mm256_set1_pd(alpha), _mm256_set1_pd(beta));
    let here = grid.inside(x, y);
    let cells = grid.cell(x, y, here);
    let (dx, dy) = grid.sizes(&cells);
    let (ge, gn, looked) = if NESTEROV {
        // `nesterov::step`: the gradient at x + β v (displaced as a move).
        let ahead_x = _mm256_add_pd(x, _mm256_div_pd(_mm256_mul_pd(b, ve), dx));
        let ahead_y = _mm256_sub_pd(y, _mm256_div_pd(_mm256_mul_pd(b, vn), dy));
        let there = grid.inside(ahead_x, ahead_y);
        let (ge, gn) = grid.gradient(&grid.cell(ahead_x, ahead_y, there));
        (ge, gn, there)
    } else {
        let (ge, gn) = grid.gradient(&cells);
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
    // it is tested as such), and no coast in the cell reached.
    let next_inside = grid.inside(nx, ny);
    let ordinary = _mm256_and_pd(
        _mm256_and_pd(_mm256_and_pd(here, looked), no_void),
        _mm256_and_pd(finite(nve, nvn), grid.inland(nx, ny, next_inside)),
    );
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
