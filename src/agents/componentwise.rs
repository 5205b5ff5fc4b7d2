//! Per-axis arithmetic on ground vectors, which the adaptive agents need:
//! they scale the east and north components of a step separately.

use crate::terrain::Vector;

/// Applies `f` to the east components and to the north components of `a` and `b`.
pub(crate) fn zip_with(a: Vector, b: Vector, f: impl Fn(f64, f64) -> f64) -> Vector {
    Vector::new(f(a.east, b.east), f(a.north, b.north))
}

/// The vector of squared components `(g_east², g_north²)`.
pub(crate) fn squared(g: Vector) -> Vector {
    zip_with(g, g, |a, b| a * b)
}

/// `-α a / (√s + ε)` axis by axis: the step shared by every adaptive agent.
pub(crate) fn scaled_step(alpha: f64, a: Vector, s: Vector, epsilon: f64) -> Vector {
    zip_with(a, s, |a, s| -alpha * a / (s.sqrt() + epsilon))
}
