//! AdaGrad (Duchi, Hazan & Singer 2011): each axis gets its own step size,
//! shrinking with every slope felt on that axis so far.
//!
//! With `g = ∇h(x)` (slope, m/m) and all operations axis by axis:
//!
//! `G ← G + g²`, `x ← x - α g / (√G + ε)`
//!
//! `α` is in metres per step: the first step is about `α` long on each axis
//! whatever the slope; later steps shrink like `1/√t` on a steady slope,
//! so AdaGrad slows down even where the ground keeps falling.

use super::componentwise::{scaled_step, squared};
use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// What AdaGrad remembers: the sum of squared slopes on each axis.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct State {
    /// `G`, the sum of every squared slope so far, east and north.
    pub sum_squares: Vector,
}

/// Updates `state` with the slope at `x` and returns the displacement (metres east, north).
pub fn step<S: Surface + ?Sized>(
    surface: &S,
    x: Xy,
    state: &mut State,
    alpha: f64,
    epsilon: f64,
) -> Result<Vector, Obstacle> {
    let g = surface.gradient(x)?;
    state.sum_squares = state.sum_squares + squared(g);
    Ok(scaled_step(alpha, g, state.sum_squares, epsilon))
}
