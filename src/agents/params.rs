//! Step parameters of the agents and their physical meaning.
//!
//! The rolling ball obeys `m x'' = -m g ∇h - m γ x'` (a heavy ball on a slope
//! with linear friction γ in 1/s). One explicit Euler step of `Δt` seconds is
//! `v ← β v - α ∇h`, `x ← x + v` with `α = g Δt²` (metres per unit slope) and
//! `β = 1 - γ Δt` (dimensionless). `β = 0` is plain gradient descent; `β ≥ 1`
//! is friction that accelerates, and the ball never settles.

use serde::Serialize;

use super::AgentKind;
use crate::error::{Error, Result};
use crate::terrain::earth::GRAVITY;

/// Default time step of the physical ball, seconds.
///
/// Chosen so that one step stays shorter than one SRTM cell: a heavy ball
/// coming off a mountain reaches up to ~90 m/s in this frictional model, and
/// SRTM3 cells are 56-92 m at mid latitudes, so `Δt = 0.5 s` keeps each step
/// under ~45 m and the terrain is resolved (the integration is the same to a
/// few percent for any `Δt` between 0.5 and 2 s).
pub const DEFAULT_DT_S: f64 = 0.5;

/// Default friction of the physical ball, 1/s.
///
/// A heavy ball (a boulder, a bowling ball) rolling on firm ground loses
/// speed to rolling resistance at `c_rr g` with `c_rr ≈ 0.01`, about
/// 0.1 m/s² at a typical 10 m/s: linearised, a drag of γ = 0.01 per second,
/// a coasting time constant `1/γ` of 100 s. With `Δt = 1 s` this is the
/// β = 0.99 of the reference notes.
pub const DEFAULT_FRICTION_PER_S: f64 = 0.01;

/// Default walker step, metres per unit slope.
///
/// A walker lost in fog takes one stride (about 1 m) where the ground falls
/// 1 in 10, shorter strides on gentler ground: `α = 1 m / 0.1 = 10 m`.
pub const DEFAULT_WALKER_ALPHA_M: f64 = 10.0;

/// The numbers that define one agent's update rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepParams {
    /// Learning rate α: metres moved per unit of slope per step.
    pub alpha: f64,
    /// Momentum β (0 for the walker): fraction of the velocity kept each step.
    pub beta: f64,
    /// Time step in seconds, when the parameters come from physics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dt: Option<f64>,
    /// Friction γ in 1/s, when the parameters come from physics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friction: Option<f64>,
}

impl StepParams {
    /// Plain α and β, checked.
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        let p = StepParams {
            alpha,
            beta,
            dt: None,
            friction: None,
        };
        p.validate()?;
        Ok(p)
    }

    /// The physical ball: time step `dt` (s) and friction `gamma` (1/s),
    /// giving `α = g dt²` and `β = 1 - γ dt`.
    pub fn physical(dt: f64, gamma: f64) -> Result<Self> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::param(format!(
                "--dt {dt}: the time step must be a positive number of seconds"
            )));
        }
        if !(gamma.is_finite() && gamma > 0.0) {
            return Err(Error::param(format!(
                "--friction {gamma}: friction must be positive (1/s); with none the ball never loses energy \
                 (β = 1 - γ·dt ≥ 1) and rolls forever or climbs out of every valley"
            )));
        }
        let beta = 1.0 - gamma * dt;
        if beta < 0.0 {
            return Err(Error::param(format!(
                "--friction {gamma} with --dt {dt} gives β = 1 - γ·dt = {beta:.3} < 0: friction this strong \
                 over one step would reverse the ball; use a smaller --dt or --friction (γ·dt ≤ 1)"
            )));
        }
        Ok(StepParams {
            alpha: GRAVITY * dt * dt,
            beta,
            dt: Some(dt),
            friction: Some(gamma),
        })
    }

    /// The defaults for `kind`: a walker's stride, or the physical ball.
    pub fn default_for(kind: AgentKind) -> Self {
        if kind.has_momentum() {
            StepParams::physical(DEFAULT_DT_S, DEFAULT_FRICTION_PER_S).unwrap_or(StepParams {
                alpha: GRAVITY,
                beta: 0.9,
                dt: Some(DEFAULT_DT_S),
                friction: Some(DEFAULT_FRICTION_PER_S),
            })
        } else {
            StepParams {
                alpha: DEFAULT_WALKER_ALPHA_M,
                beta: 0.0,
                dt: None,
                friction: None,
            }
        }
    }

    /// Checks α > 0 and 0 ≤ β < 1, explaining what goes wrong otherwise.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::param(format!(
                "--alpha {}: the step size α must be a positive number (metres per unit slope); \
                 α ≤ 0 would stand still or walk uphill",
                self.alpha
            )));
        }
        if !self.beta.is_finite() || self.beta >= 1.0 {
            return Err(Error::param(format!(
                "--beta {}: momentum β must be below 1. β = 1 - γ·dt ≥ 1 means friction that accelerates \
                 the ball, which then never settles and diverges; typical values are 0.5 to 0.95",
                self.beta
            )));
        }
        if self.beta < 0.0 {
            return Err(Error::param(format!(
                "--beta {}: momentum β must not be negative (β = 0 is plain gradient descent; β < 0 \
                 would reverse the velocity every step, which no friction does)",
                self.beta
            )));
        }
        Ok(())
    }
}
