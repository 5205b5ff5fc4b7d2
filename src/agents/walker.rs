//! The hill-walker: plain gradient descent.
//!
//! A person lost in fog feels the slope underfoot and steps straight down
//! it, a stride proportional to the steepness:
//!
//! `x ← x - α ∇h(x)`
//!
//! with α in metres per unit slope. The walker has no memory, so on flat
//! valley floors its strides shrink to nothing and it stalls; in a pit it
//! stays.

use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// The walker's displacement (metres east, north) from `x`.
#[inline]
pub fn step<S: Surface + ?Sized>(surface: &S, x: Xy, alpha: f64) -> Result<Vector, Obstacle> {
    Ok(-alpha * surface.gradient(x)?)
}
