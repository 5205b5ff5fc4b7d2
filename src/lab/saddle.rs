//! Momentum and Nesterov on the double well `f(x, y) = x⁴ - 2x² + y²`.
//!
//! `∇f = (4x³ - 4x, 2y)`: minima at (±1, 0) and a saddle at (0, 0). From
//! (0, 1) the slope along x is exactly zero on the line x = 0, so a ball
//! starting at rest slides down to the saddle and stays; a small initial
//! velocity (0.01, 0) rolls it off into the well at (1, 0). Nesterov's
//! look-ahead brakes earlier and oscillates less than heavy-ball momentum.

use crate::agents::{AgentKind, Track};
use crate::analytic::AnalyticSurface;
use crate::error::Result;
use crate::geo::Xy;
use crate::terrain::Vector;

/// The formula.
pub const FORMULA: &str = "x^4 - 2*x^2 + y^2";
/// Step α.
pub const ALPHA: f64 = 0.1;
/// Momentum β.
pub const BETA: f64 = 0.5;
/// Iterations.
pub const ITERATIONS: usize = 100;
/// The notes' starts.
pub const STARTS: [(f64, f64); 4] = [(-1.5, -1.5), (0.0, 1.0), (0.01, 1.0), (1.5, 1.5)];
/// The kick that rolls the ball off the saddle: initial velocity from (0, 1).
pub const KICK: (f64, f64) = (0.01, 0.0);

/// One run: where it started, with what velocity, and the track.
#[derive(Debug, Clone)]
pub struct Run {
    /// Start position.
    pub start: Xy,
    /// Initial velocity (x, y units per step).
    pub v0: Vector,
    /// The path.
    pub track: Track,
}

/// The surface, over [-2.5, 2.5]².
pub fn surface() -> Result<AnalyticSurface> {
    AnalyticSurface::parse(FORMULA, [-2.5, -2.5, 2.5, 2.5])
}

/// The notes' four starts at rest, then (0, 1) with the [`KICK`], for `kind`.
pub fn run(surface: &AnalyticSurface, kind: AgentKind) -> Result<Vec<Run>> {
    let at_rest = STARTS.iter().map(|&(x, y)| (x, y, Vector::ZERO));
    let kicked = std::iter::once((0.0, 1.0, Vector::new(KICK.0, KICK.1)));
    at_rest
        .chain(kicked)
        .map(|(x, y, v0)| {
            let start = Xy::new(x, y);
            let track = super::run_exactly(surface, kind, (ALPHA, BETA), start, v0, ITERATIONS)?;
            Ok(Run { start, v0, track })
        })
        .collect()
}
