//! A horizontal vector on the ground.

use std::ops::{Add, Mul, Neg, Sub};

/// A horizontal vector with components east and north.
///
/// Used for displacements and velocities (metres, or metres per step) and for
/// gradients (dimensionless slope, metres of height per metre on the ground).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Vector {
    /// Component towards east.
    pub east: f64,
    /// Component towards north.
    pub north: f64,
}

impl Vector {
    /// The zero vector.
    pub const ZERO: Vector = Vector {
        east: 0.0,
        north: 0.0,
    };

    /// A vector from its east and north components.
    pub fn new(east: f64, north: f64) -> Self {
        Vector { east, north }
    }

    /// Euclidean length.
    pub fn norm(self) -> f64 {
        self.east.hypot(self.north)
    }

    /// `true` when both components are finite.
    pub fn is_finite(self) -> bool {
        self.east.is_finite() && self.north.is_finite()
    }
}

impl Add for Vector {
    type Output = Vector;
    fn add(self, o: Vector) -> Vector {
        Vector::new(self.east + o.east, self.north + o.north)
    }
}

impl Sub for Vector {
    type Output = Vector;
    fn sub(self, o: Vector) -> Vector {
        Vector::new(self.east - o.east, self.north - o.north)
    }
}

impl Mul<Vector> for f64 {
    type Output = Vector;
    fn mul(self, v: Vector) -> Vector {
        Vector::new(self * v.east, self * v.north)
    }
}

impl Neg for Vector {
    type Output = Vector;
    fn neg(self) -> Vector {
        Vector::new(-self.east, -self.north)
    }
}
