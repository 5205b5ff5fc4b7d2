//! The descent loop shared by every agent.

use super::state::AgentState;
use super::{AgentKind, StepParams, StopReason, StopRules, Track, TrackPoint};
use crate::error::{Error, Result};
use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// An agent ready to descend: its kind and parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agent {
    /// The update rule.
    pub kind: AgentKind,
    /// Its parameters (β is ignored by the walker and AdaGrad).
    pub params: StepParams,
}

impl Agent {
    /// An agent with the default parameters of its kind.
    pub fn new(kind: AgentKind) -> Self {
        Agent {
            kind,
            params: StepParams::default_for(kind),
        }
    }

    /// Descends `surface` from `start` with initial velocity `v0` (metres per
    /// step east and north; used by the momentum and Nesterov balls, ignored
    /// by the others) until a stop rule fires.
    ///
    /// Fails only if the start itself is outside the surface or on a void.
    pub fn descend<S: Surface + ?Sized>(
        &self,
        surface: &S,
        start: Xy,
        v0: Vector,
        rules: &StopRules,
    ) -> Result<Track> {
        self.params.validate()?;
        rules.validate()?;
        let z0 = match surface.elevation(start) {
            Ok(z) => z,
            Err(Obstacle::Outside) => {
                return Err(Error::BadStart(format!(
                    "the start ({}, {}) lies outside the elevation grid",
                    start.x, start.y
                )))
            }
            Err(Obstacle::Void) => {
                return Err(Error::BadStart(format!(
                    "the start ({}, {}) lies on a void (no elevation data); try --fill-voids or another start",
                    start.x, start.y
                )))
            }
        };
        let mut points = vec![TrackPoint {
            position: start,
            elevation: z0,
        }];
        let stop_reason = self.run(surface, start, z0, v0, rules, &mut points);
        Ok(Track {
            agent: self.kind,
            params: self.params,
            points,
            stop_reason,
        })
    }

    fn run<S: Surface + ?Sized>(
        &self,
        surface: &S,
        start: Xy,
        z0: f64,
        v0: Vector,
        rules: &StopRules,
        points: &mut Vec<TrackPoint>,
    ) -> StopReason {
        if rules.stop_below.is_some_and(|b| z0 < b) {
            return StopReason::Below;
        }
        if surface.in_sea(start) {
            return StopReason::Sea;
        }
        let mut x = start;
        let mut state = AgentState::new(self.kind, v0);
        let mut still = 0usize;
        for _ in 0..rules.max_steps {
            let d = match state.step(surface, x, &self.params) {
                Ok(d) => d,
                Err(o) => return obstacle_reason(o),
            };
            if !d.is_finite() {
                return StopReason::Diverged;
            }
            let next = surface.displace(x, d);
            if !next.is_finite() {
                return StopReason::Diverged;
            }
            let z = match surface.elevation(next) {
                Ok(z) => z,
                Err(o) => return obstacle_reason(o),
            };
            x = next;
            points.push(TrackPoint {
                position: x,
                elevation: z,
            });
            if rules.stop_below.is_some_and(|b| z < b) {
                return StopReason::Below;
            }
            if surface.in_sea(x) {
                return StopReason::Sea;
            }
            still = if d.norm() < rules.tolerance_m {
                still + 1
            } else {
                0
            };
            if still >= rules.patience {
                return StopReason::Converged;
            }
        }
        StopReason::MaxSteps
    }
}

fn obstacle_reason(o: Obstacle) -> StopReason {
    match o {
        Obstacle::Outside => StopReason::Edge,
        Obstacle::Void => StopReason::Void,
    }
}
