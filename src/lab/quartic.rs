//! Momentum on the one-dimensional quartic `f(x) = x⁴ - 3x³ + 2`.
//!
//! `f'(x) = 4x³ - 9x² = x²(4x - 9)`: a flat inflection (a one-dimensional
//! saddle) at 0 and the minimum at `x = 9/4`. From `x = -0.5` the ball
//! (α = 0.1, β = 0.5) rolls through the flat point, overshoots and settles
//! at 9/4 within 100 iterations. It runs as the planar surface
//! `f(x, y) = x⁴ - 3x³ + 2`, whose slope along y is zero, so y never moves.

use crate::agents::{AgentKind, Track};
use crate::analytic::AnalyticSurface;
use crate::error::Result;
use crate::geo::Xy;
use crate::terrain::Vector;

/// The formula.
pub const FORMULA: &str = "x^4 - 3*x^3 + 2";
/// Where the ball starts, `x`.
pub const START_X: f64 = -0.5;
/// Step α.
pub const ALPHA: f64 = 0.1;
/// Momentum β.
pub const BETA: f64 = 0.5;
/// Iterations.
pub const ITERATIONS: usize = 100;
/// The minimum, `x = 9/4`.
pub const MINIMUM_X: f64 = 9.0 / 4.0;

/// The surface, over x in [-2, 4] (y in [-1, 1] is irrelevant).
pub fn surface() -> Result<AnalyticSurface> {
    AnalyticSurface::parse(FORMULA, [-2.0, -1.0, 4.0, 1.0])
}

/// The ball's 100 iterations from `x = -0.5`.
pub fn run(surface: &AnalyticSurface) -> Result<Track> {
    super::run_exactly(
        surface,
        AgentKind::Momentum,
        (ALPHA, BETA),
        Xy::new(START_X, 0.0),
        Vector::ZERO,
        ITERATIONS,
    )
}
