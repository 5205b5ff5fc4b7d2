//! Nesterov's accelerated ball: momentum with a look-ahead gradient.
//!
//! `v ← β v - α ∇h(x + β v)`, `x ← x + v`
//!
//! The ball feels the slope where its momentum is about to carry it, so it
//! brakes before climbing the far side of a valley and oscillates less.

use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// Updates the velocity `v` in place and returns it as the displacement.
#[inline]
pub fn step<S: Surface + ?Sized>(
    surface: &S,
    x: Xy,
    v: &mut Vector,
    alpha: f64,
    beta: f64,
) -> Result<Vector, Obstacle> {
    let ahead = surface.displace(x, beta * *v);
    *v = beta * *v - alpha * surface.gradient(ahead)?;
    Ok(*v)
}
