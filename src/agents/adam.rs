//! Adam (Kingma & Ba 2015): a running mean of the slope (momentum) divided
//! by a running root-mean-square of the slope (RMSprop), both corrected for
//! starting at zero.
//!
//! With `g = ∇h(x)` (slope, m/m), `t` the step number from 1, and all
//! operations axis by axis:
//!
//! `m ← β₁ m + (1 - β₁) g`, `v ← β₂ v + (1 - β₂) g²`,
//! `m̂ = m / (1 - β₁ᵗ)`, `v̂ = v / (1 - β₂ᵗ)`, `x ← x - α m̂ / (√v̂ + ε)`
//!
//! Defaults β₁ = 0.9 (the agent's β), β₂ = 0.999, ε = 1e-8; `α` is in metres
//! per step, the longest step Adam takes on a steady slope.

use super::componentwise::{scaled_step, squared, zip_with};
use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// What Adam remembers: the two running means and how many steps it took.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct State {
    /// `m`, the exponentially weighted mean slope, east and north.
    pub mean: Vector,
    /// `v`, the exponentially weighted mean squared slope, east and north.
    pub mean_squares: Vector,
    /// `t`, steps taken so far.
    pub steps: i32,
}

/// Updates `state` with the slope at `x` and returns the displacement (metres east, north).
pub fn step<S: Surface + ?Sized>(
    surface: &S,
    x: Xy,
    state: &mut State,
    alpha: f64,
    (beta1, beta2): (f64, f64),
    epsilon: f64,
) -> Result<Vector, Obstacle> {
    let g = surface.gradient(x)?;
    state.steps = state.steps.saturating_add(1);
    state.mean = zip_with(state.mean, g, |m, g| beta1 * m + (1.0 - beta1) * g);
    state.mean_squares = zip_with(state.mean_squares, squared(g), |v, g2| {
        beta2 * v + (1.0 - beta2) * g2
    });
    let mean_hat = (1.0 / (1.0 - beta1.powi(state.steps))) * state.mean;
    let mean_squares_hat = (1.0 / (1.0 - beta2.powi(state.steps))) * state.mean_squares;
    Ok(scaled_step(alpha, mean_hat, mean_squares_hat, epsilon))
}
