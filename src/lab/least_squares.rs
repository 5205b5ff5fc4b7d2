//! Gradient descent against heavy-ball momentum on least squares.
//!
//! The notes' higher-dimensional experiment: observe `y = A x*` with `A` a
//! 50 x 35 matrix of uniform [0, 1) entries, and minimise
//! `f(x) = ½ ‖A x - y‖²`, whose gradient is `Aᵀ(A x - y)`, from a random
//! start. Both methods use the step `α = 1 / ‖A‖_F²` (Frobenius norm, which
//! bounds the largest eigenvalue of `AᵀA`, so gradient descent is stable);
//! heavy-ball uses `β = 0.9`. The rules are the walker's and the ball's
//! ([`crate::agents::walker`], [`crate::agents::ball`]) in 35 dimensions:
//!
//! gradient descent `x ← x - α ∇f(x)`; heavy ball `v ← β v - α ∇f(x)`, `x ← x + v`, `v₀ = 0`.

use ndarray::{Array1, Array2};
use rand::{rngs::ChaCha8Rng, RngExt, SeedableRng};

/// Rows of `A` (observations).
pub const ROWS: usize = 50;
/// Columns of `A` (unknowns).
pub const COLS: usize = 35;
/// Iterations of both methods.
pub const ITERATIONS: usize = 500;
/// Heavy-ball momentum β.
pub const BETA: f64 = 0.9;
/// Seed of the ChaCha8 generator that draws `A`, `x*` and the start.
pub const SEED: u64 = 42;

/// A least-squares problem with a known solution.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The matrix `A`, `ROWS` x `COLS`.
    pub a: Array2<f64>,
    /// The true solution `x*`.
    pub x_star: Array1<f64>,
    /// The observations `y = A x*`.
    pub y: Array1<f64>,
    /// The starting guess of both methods.
    pub start: Array1<f64>,
}

/// Distances `‖x_k - x*‖` for `k = 0..=ITERATIONS`, one list per method.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Gradient descent.
    pub gradient_descent: Vec<f64>,
    /// Heavy-ball momentum.
    pub heavy_ball: Vec<f64>,
    /// The step size used, `1 / ‖A‖_F²`.
    pub alpha: f64,
}

impl Problem {
    /// Draws `A` (`rows` x `cols`), `x*` and the start, all uniform in [0, 1),
    /// from a ChaCha8 generator seeded with `seed`.
    pub fn seeded(seed: u64, rows: usize, cols: usize) -> Problem {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = Array2::from_shape_simple_fn((rows, cols), || rng.random::<f64>());
        let x_star = Array1::from_shape_simple_fn(cols, || rng.random::<f64>());
        let start = Array1::from_shape_simple_fn(cols, || rng.random::<f64>());
        let y = a.dot(&x_star);
        Problem {
            a,
            x_star,
            y,
            start,
        }
    }

    /// The notes' problem: 50 x 35, seed [`SEED`].
    pub fn notes() -> Problem {
        Problem::seeded(SEED, ROWS, COLS)
    }

    /// The step `1 / ‖A‖_F²`.
    pub fn step_size(&self) -> f64 {
        1.0 / self.a.iter().map(|v| v * v).sum::<f64>()
    }

    /// `∇f(x) = Aᵀ(A x - y)`.
    pub fn gradient(&self, x: &Array1<f64>) -> Array1<f64> {
        self.a.t().dot(&(self.a.dot(x) - &self.y))
    }

    fn distance(&self, x: &Array1<f64>) -> f64 {
        (x - &self.x_star).iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// Runs heavy-ball momentum with `beta` for `iterations` (β = 0 is
    /// gradient descent), returning the distance to `x*` before the first
    /// iteration and after each.
    pub fn distances(&self, alpha: f64, beta: f64, iterations: usize) -> Vec<f64> {
        let mut x = self.start.clone();
        let mut v = Array1::<f64>::zeros(x.len());
        let mut out = Vec::with_capacity(iterations + 1);
        out.push(self.distance(&x));
        for _ in 0..iterations {
            v = beta * &v - alpha * self.gradient(&x);
            x += &v;
            out.push(self.distance(&x));
        }
        out
    }

    /// Both methods, `ITERATIONS` each, step `1 / ‖A‖_F²`.
    pub fn run(&self) -> Outcome {
        let alpha = self.step_size();
        Outcome {
            gradient_descent: self.distances(alpha, 0.0, ITERATIONS),
            heavy_ball: self.distances(alpha, BETA, ITERATIONS),
            alpha,
        }
    }
}
