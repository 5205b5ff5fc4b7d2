//! What an agent carries from one step to the next.

use super::{adagrad, adam, ball, nesterov, rmsprop, walker, AgentKind, StepParams};
use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// The memory of one agent during a descent: nothing for the walker, a
/// velocity (metres per step) for the balls, running averages of the slope
/// for the adaptive agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AgentState {
    /// The walker remembers nothing.
    Walker,
    /// Heavy-ball momentum: the velocity, metres per step east and north.
    Ball(Vector),
    /// Nesterov's ball: the velocity, metres per step east and north.
    Nesterov(Vector),
    /// AdaGrad's sum of squared slopes.
    Adagrad(adagrad::State),
    /// RMSprop's running mean of squared slopes.
    Rmsprop(rmsprop::State),
    /// Adam's running means and step count.
    Adam(adam::State),
}

impl AgentState {
    /// The state at the start of a descent; `v0` (metres per step) is the
    /// initial velocity of the balls, ignored by the other agents.
    pub fn new(kind: AgentKind, v0: Vector) -> Self {
        match kind {
            AgentKind::Gd => AgentState::Walker,
            AgentKind::Momentum => AgentState::Ball(v0),
            AgentKind::Nesterov => AgentState::Nesterov(v0),
            AgentKind::Adagrad => AgentState::Adagrad(adagrad::State::default()),
            AgentKind::Rmsprop => AgentState::Rmsprop(rmsprop::State::default()),
            AgentKind::Adam => AgentState::Adam(adam::State::default()),
        }
    }

    /// One update at `x`: advances the memory and returns the displacement
    /// in metres east and north.
    #[inline]
    pub fn step<S: Surface + ?Sized>(
        &mut self,
        surface: &S,
        x: Xy,
        p: &StepParams,
    ) -> Result<Vector, Obstacle> {
        let eps = p.epsilon_or_default();
        match self {
            AgentState::Walker => walker::step(surface, x, p.alpha),
            AgentState::Ball(v) => ball::step(surface, x, v, p.alpha, p.beta),
            AgentState::Nesterov(v) => nesterov::step(surface, x, v, p.alpha, p.beta),
            AgentState::Adagrad(s) => adagrad::step(surface, x, s, p.alpha, eps),
            AgentState::Rmsprop(s) => rmsprop::step(surface, x, s, p.alpha, p.beta, eps),
            AgentState::Adam(s) => {
                adam::step(surface, x, s, p.alpha, (p.beta, p.beta2_or_default()), eps)
            }
        }
    }
}
