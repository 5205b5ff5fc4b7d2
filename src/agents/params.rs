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
use crate::geo::geodesy::GRAVITY;

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

/// Default step of the adaptive agents (AdaGrad, RMSprop, Adam), metres per step.
///
/// Adaptive agents divide the gradient by its own running size, so their
/// first steps are about α long whatever the slope: α is a stride, not a
/// gain. The textbook α = 0.001 is meant for parameters of order one; on
/// the ground it would be a millimetre a step. 10 m is a sixth of an SRTM3
/// cell, small enough to resolve the terrain; on an analytic surface pass
/// `--alpha` in the surface's own units (0.001 to 0.1 as in the papers).
pub const DEFAULT_ADAPTIVE_ALPHA_M: f64 = 10.0;

/// Default decay of the squared-gradient average of Adam (β₂, Kingma & Ba 2015).
pub const DEFAULT_ADAM_BETA2: f64 = 0.999;

/// Default decay of RMSprop's squared-gradient average (ρ, Hinton's lecture 6e).
pub const DEFAULT_RMSPROP_RHO: f64 = 0.9;

/// Default first-moment decay of Adam (β₁, Kingma & Ba 2015).
pub const DEFAULT_ADAM_BETA1: f64 = 0.9;

/// Default ε of the adaptive agents, in units of slope (m/m): keeps the
/// division finite where the gradient has been zero so far.
pub const DEFAULT_EPSILON: f64 = 1e-8;

/// The numbers that define one agent's update rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepParams {
    /// Learning rate α: metres moved per unit of slope per step.
    pub alpha: f64,
    /// Momentum β (0 for the walker): fraction of the velocity kept each step.
    /// For RMSprop it is ρ, the fraction of the squared-gradient average kept
    /// each step; for Adam it is β₁, that of the gradient average; AdaGrad
    /// ignores it.
    pub beta: f64,
    /// Adam's β₂, the fraction of the squared-gradient average kept each
    /// step; `None` means [`DEFAULT_ADAM_BETA2`]. Ignored by the other agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta2: Option<f64>,
    /// ε of AdaGrad, RMSprop and Adam in slope units (m/m), added to the
    /// root-mean-square gradient before dividing; `None` means [`DEFAULT_EPSILON`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
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
            beta2: None,
            epsilon: None,
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
            return Err(Error::invalid(
                "dt",
                dt,
                "the time step must be a positive number of seconds",
            ));
        }
        if !(gamma.is_finite() && gamma > 0.0) {
            return Err(Error::invalid(
                "friction",
                gamma,
                "friction must be positive (1/s); with none the ball never loses energy \
                 (β = 1 - γ·dt ≥ 1) and rolls forever or climbs out of every valley",
            ));
        }
        let beta = 1.0 - gamma * dt;
        if beta < 0.0 {
            return Err(Error::invalid(
                "friction",
                gamma,
                format!(
                    "with a time step of {dt} s gives β = 1 - γ·dt = {beta:.3} < 0: friction this \
                     strong over one step would reverse the ball; use a smaller time step or \
                     friction (γ·dt ≤ 1)"
                ),
            ));
        }
        Ok(StepParams {
            alpha: GRAVITY * dt * dt,
            beta,
            beta2: None,
            epsilon: None,
            dt: Some(dt),
            friction: Some(gamma),
        })
    }

    /// The defaults for `kind`: a walker's stride, the physical ball, or
    /// the adaptive agents' stride with the papers' decay rates.
    pub fn default_for(kind: AgentKind) -> Self {
        let plain = |alpha, beta| StepParams {
            alpha,
            beta,
            beta2: None,
            epsilon: None,
            dt: None,
            friction: None,
        };
        match kind {
            AgentKind::Momentum | AgentKind::Nesterov => {
                StepParams::physical(DEFAULT_DT_S, DEFAULT_FRICTION_PER_S).unwrap_or(StepParams {
                    dt: Some(DEFAULT_DT_S),
                    friction: Some(DEFAULT_FRICTION_PER_S),
                    ..plain(GRAVITY, 0.9)
                })
            }
            AgentKind::Gd => plain(DEFAULT_WALKER_ALPHA_M, 0.0),
            AgentKind::Adagrad => plain(DEFAULT_ADAPTIVE_ALPHA_M, 0.0),
            AgentKind::Rmsprop => plain(DEFAULT_ADAPTIVE_ALPHA_M, DEFAULT_RMSPROP_RHO),
            AgentKind::Adam => plain(DEFAULT_ADAPTIVE_ALPHA_M, DEFAULT_ADAM_BETA1),
        }
    }

    /// Adam's β₂ in effect: the one set, or [`DEFAULT_ADAM_BETA2`].
    pub fn beta2_or_default(&self) -> f64 {
        self.beta2.unwrap_or(DEFAULT_ADAM_BETA2)
    }

    /// ε in effect (slope units): the one set, or [`DEFAULT_EPSILON`].
    pub fn epsilon_or_default(&self) -> f64 {
        self.epsilon.unwrap_or(DEFAULT_EPSILON)
    }

    /// Checks α > 0 and 0 ≤ β < 1, explaining what goes wrong otherwise.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::invalid(
                "alpha",
                self.alpha,
                "the step size α must be a positive number (metres per unit slope); \
                 α ≤ 0 would stand still or walk uphill",
            ));
        }
        if !self.beta.is_finite() || self.beta >= 1.0 {
            return Err(Error::invalid(
                "beta",
                self.beta,
                "momentum β must be below 1. β = 1 - γ·dt ≥ 1 means friction that accelerates \
                 the ball, which then never settles and diverges; typical values are 0.5 to 0.95",
            ));
        }
        if self.beta < 0.0 {
            return Err(Error::invalid(
                "beta",
                self.beta,
                "momentum β must not be negative (β = 0 is plain gradient descent; β < 0 \
                 would reverse the velocity every step, which no friction does)",
            ));
        }
        if let Some(b2) = self.beta2 {
            if !(b2.is_finite() && (0.0..1.0).contains(&b2)) {
                return Err(Error::invalid(
                    "beta2",
                    b2,
                    "Adam's β₂ is the fraction of the squared-gradient average kept \
                     each step and must lie in [0, 1); the usual value is 0.999",
                ));
            }
        }
        if let Some(eps) = self.epsilon {
            if !(eps.is_finite() && eps > 0.0) {
                return Err(Error::invalid(
                    "epsilon",
                    eps,
                    "ε must be a positive number (slope units); it keeps the \
                     adaptive agents from dividing by zero on flat ground; the usual value is 1e-8",
                ));
            }
        }
        Ok(())
    }
}
