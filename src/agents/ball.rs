//! The rolling ball: heavy-ball (Polyak) momentum.
//!
//! `v ← β v - α ∇h(x)`, `x ← x + v`
//!
//! `v` is the displacement per step (metres). The ball keeps a fraction β of
//! its velocity, so it rolls through small bumps and across flats where the
//! walker stalls. See [`super::StepParams`] for the physics behind α and β.

use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// Updates the velocity `v` in place and returns it as the displacement.
#[inline(always)]
pub fn step<S: Surface + ?Sized>(
    surface: &S,
    x: Xy,
    v: &mut Vector,
    alpha: f64,
    beta: f64,
) -> Result<Vector, Obstacle> {
    *v = beta * *v - alpha * surface.gradient(x)?;
    Ok(*v)
}
