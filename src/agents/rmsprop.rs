//! RMSprop (Hinton, Coursera lecture 6e, 2012): AdaGrad with a memory that
//! fades, so steps recover their length when the ground steepens again.
//!
//! With `g = ∇h(x)` (slope, m/m) and all operations axis by axis:
//!
//! `s ← ρ s + (1 - ρ) g²`, `x ← x - α g / (√s + ε)`
//!
//! `ρ` (the agent's β, default 0.9) is the fraction of the squared-slope
//! average kept each step; `α` is in metres per step.

use super::componentwise::{scaled_step, squared, zip_with};
use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// What RMSprop remembers: the running mean of squared slopes on each axis.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct State {
    /// `s`, the exponentially weighted mean of squared slopes, east and north.
    pub mean_squares: Vector,
}

/// Updates `state` with the slope at `x` and returns the displacement (metres east, north).
pub fn step<S: Surface + ?Sized>(
    surface: &S,
    x: Xy,
    state: &mut State,
    alpha: f64,
    rho: f64,
    epsilon: f64,
) -> Result<Vector, Obstacle> {
    let g = surface.gradient(x)?;
    state.mean_squares = zip_with(state.mean_squares, squared(g), |s, g2| {
        rho * s + (1.0 - rho) * g2
    });
    Ok(scaled_step(alpha, g, state.mean_squares, epsilon))
}
