//! The descent loop shared by every agent, and by `drop` and `basins`.
//!
//! [`Agent::walk`] is the only place the stop rules run step by step
//! (divergence, edge, void, below, sea, tolerance and patience, the step
//! budget). [`Agent::descend`] wraps it for one track; `basins` calls it
//! once per start with a recorder that keeps only the end.

use std::ops::ControlFlow;

use super::recorder::{Halt, Recorder, Stop, TrackRecorder};
use super::state::AgentState;
use super::{ball, walker, AgentKind, StepParams, StopReason, StopRules, Track};
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
    /// by the others) until a stop rule fires, keeping every position.
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
                    "the start ({}, {}) lies on a void (no elevation data); fill the voids or start elsewhere",
                    start.x, start.y
                )))
            }
        };
        let mut recorder = TrackRecorder::default();
        recorder.record(start, z0);
        let stop_reason = if rules.stop_below.is_some_and(|b| z0 < b) {
            StopReason::Below
        } else if surface.in_sea(start) {
            StopReason::Sea
        } else {
            let mut state = AgentState::new(self.kind, v0);
            match self.walk(surface, start, &mut state, rules, &mut 0, &mut recorder) {
                Halt::Rule(stop) => stop.reason,
                Halt::Hook(never) => match never {},
            }
        };
        Ok(Track {
            agent: self.kind,
            params: self.params,
            points: recorder.points,
            stop_reason,
        })
    }

    /// The descent loop: steps from `from` with the agent's memory `state`
    /// until a stop rule fires or `recorder`'s hook ends the walk, passing
    /// every new position to `recorder`. `steps` counts the steps taken
    /// (it may start above 0 when a walk resumes; the budget
    /// `rules.max_steps` is for the total). The position `from` itself is
    /// neither recorded nor checked against the start rules (below, sea):
    /// the caller does that.
    ///
    /// The parameters and rules are not validated here (see
    /// [`StepParams::validate`], [`StopRules::validate`]); `basins` runs
    /// this once per cell.
    #[inline]
    pub fn walk<S: Surface + ?Sized, R: Recorder>(
        &self,
        surface: &S,
        from: Xy,
        state: &mut AgentState,
        rules: &StopRules,
        steps: &mut usize,
        recorder: &mut R,
    ) -> Halt<R::Handoff> {
        let mut still = 0usize;
        self.walk_loop(surface, from, state, rules, steps, &mut still, recorder)
    }

    /// [`Agent::walk`] resumed where an earlier run of it left off: `still`
    /// counts the consecutive steps shorter than the tolerance so far
    /// (the patience counter, 0 for a fresh walk) and holds it again when
    /// the walk ends, so that a walk stopped by its surface (the tiled
    /// engine hands a walker to another block when the surface cannot
    /// answer) continues exactly as if it had not been interrupted.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn walk_resumed<S: Surface + ?Sized, R: Recorder>(
        &self,
        surface: &S,
        from: Xy,
        state: &mut AgentState,
        rules: &StopRules,
        steps: &mut usize,
        still: &mut usize,
        recorder: &mut R,
    ) -> Halt<R::Handoff> {
        // A local counter in the loop (a register), written back once.
        let mut now = *still;
        let halt = self.walk_loop(surface, from, state, rules, steps, &mut now, recorder);
        *still = now;
        halt
    }

    /// The loop of [`Agent::walk`] with the patience counter `still` given.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn walk_loop<S: Surface + ?Sized, R: Recorder>(
        &self,
        surface: &S,
        from: Xy,
        state: &mut AgentState,
        rules: &StopRules,
        steps: &mut usize,
        still: &mut usize,
        recorder: &mut R,
    ) -> Halt<R::Handoff> {
        let mut x = from;
        loop {
            if let ControlFlow::Break(halt) =
                self.advance(surface, &mut x, state, rules, steps, still, recorder)
            {
                return halt;
            }
        }
    }

    /// One turn of [`Agent::walk`]'s loop: the next step from `x` (moved
    /// in place), with every stop rule checked as the loop checks it, or
    /// the [`Halt`] that ends the walk (`MaxSteps` once `steps` reaches the
    /// budget). Repeating it until it breaks *is* the loop, so callers that
    /// interleave several independent walks on one thread (to overlap
    /// their dependency chains, `basins`) take exactly the steps each
    /// would take alone.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn advance<S: Surface + ?Sized, R: Recorder>(
        &self,
        surface: &S,
        x: &mut Xy,
        state: &mut AgentState,
        rules: &StopRules,
        steps: &mut usize,
        still: &mut usize,
        recorder: &mut R,
    ) -> ControlFlow<Halt<R::Handoff>> {
        use ControlFlow::{Break, Continue};
        if *steps >= rules.max_steps {
            return Break(Halt::Rule(Stop::here(StopReason::MaxSteps, *x)));
        }
        let tolerance_sq = rules.tolerance_m * rules.tolerance_m;
        let is_walker = matches!(state, AgentState::Walker);
        *steps += 1;
        // The walker's and the heavy ball's rules called directly (what
        // `AgentState::step` dispatches to), so that they inline here
        // (Nesterov's measured slower inlined: 66 -> 54 M steps/s).
        let p = &self.params;
        let d = match state {
            AgentState::Walker => walker::step(surface, *x, p.alpha),
            AgentState::Ball(v) => ball::step(surface, *x, v, p.alpha, p.beta),
            _ => state.step(surface, *x, p),
        };
        let d = match d {
            Ok(d) => d,
            Err(o) => return Break(Halt::Rule(Stop::here(obstacle_reason(o), *x))),
        };
        let next = surface.displace(*x, d);
        if !d.is_finite() || !next.is_finite() {
            return Break(Halt::Rule(Stop::here(StopReason::Diverged, *x)));
        }
        let z = if rules.stop_below.is_some() || recorder.needs_elevation(next) {
            match surface.elevation(next) {
                Ok(z) => z,
                Err(o) => {
                    return Break(Halt::Rule(Stop {
                        reason: obstacle_reason(o),
                        at: next,
                        ahead: true,
                    }))
                }
            }
        } else {
            f64::NAN
        };
        *x = next;
        recorder.record(next, z);
        if rules.stop_below.is_some_and(|b| z < b) {
            return Break(Halt::Rule(Stop::here(StopReason::Below, next)));
        }
        if surface.in_sea(next) {
            return Break(Halt::Rule(Stop::here(StopReason::Sea, next)));
        }
        // |d| < tolerance, compared squared (no hypot in the loop).
        *still = if d.east * d.east + d.north * d.north < tolerance_sq {
            *still + 1
        } else {
            0
        };
        if !R::KEEPS_EVERY_STEP && is_walker && d == Vector::ZERO && *still < rules.patience {
            // A memoryless walker that did not move sees the same
            // gradient at the same place on every later step: the rest
            // of its patience is taken at once (counted, as if
            // simulated), or as much of it as the step budget allows.
            let rest = (rules.patience - *still).min(rules.max_steps - *steps);
            *steps += rest;
            *still += rest;
            if *still < rules.patience {
                return Break(Halt::Rule(Stop::here(StopReason::MaxSteps, next)));
            }
        }
        if *still >= rules.patience {
            return Break(Halt::Rule(Stop::here(StopReason::Converged, next)));
        }
        match recorder.after_step(next) {
            Break(h) => Break(Halt::Hook(h)),
            Continue(()) => Continue(()),
        }
    }
}

fn obstacle_reason(o: Obstacle) -> StopReason {
    match o {
        Obstacle::Outside => StopReason::Edge,
        Obstacle::Void => StopReason::Void,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::AnalyticSurface;

    /// Counts what the loop shows it and ends the walk after `limit` steps.
    struct StopAfter {
        limit: usize,
        recorded: usize,
        hooked: usize,
    }

    impl Recorder for StopAfter {
        type Handoff = usize;
        const KEEPS_EVERY_STEP: bool = true;

        fn record(&mut self, _position: Xy, elevation: f64) {
            assert!(elevation.is_finite());
            self.recorded += 1;
        }

        fn after_step(&mut self, _position: Xy) -> ControlFlow<usize> {
            self.hooked += 1;
            if self.hooked == self.limit {
                ControlFlow::Break(self.hooked)
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    /// On a bowl far from its bottom no stop rule fires in 5 steps, so the
    /// hook ends the walk after exactly 5 steps, each recorded once.
    #[test]
    fn the_hook_ends_a_walk_where_it_says() {
        let bowl = AnalyticSurface::parse("x^2 + y^2", [-100.0, -100.0, 100.0, 100.0]).unwrap();
        let agent = Agent {
            kind: AgentKind::Gd,
            params: StepParams::new(0.01, 0.0).unwrap(),
        };
        let mut state = AgentState::new(agent.kind, Vector::ZERO);
        let mut rec = StopAfter {
            limit: 5,
            recorded: 0,
            hooked: 0,
        };
        let mut steps = 0;
        let halt = agent.walk(
            &bowl,
            Xy::new(50.0, 50.0),
            &mut state,
            &StopRules::default(),
            &mut steps,
            &mut rec,
        );
        assert_eq!(halt, Halt::Hook(5));
        assert_eq!((steps, rec.recorded), (5, 5));
    }

    /// A walk cut by the hook and resumed with its patience counter ends
    /// where, when and why the uncut walk does: a walker standing at the
    /// bottom of a bowl converges after exactly `patience` steps in all,
    /// not `patience` more after the cut.
    #[test]
    fn a_resumed_walk_keeps_its_patience() {
        let bowl = AnalyticSurface::parse("x^2 + y^2", [-100.0, -100.0, 100.0, 100.0]).unwrap();
        let agent = Agent {
            kind: AgentKind::Momentum,
            params: StepParams::new(0.01, 0.5).unwrap(),
        };
        let rules = StopRules::default();
        assert!(rules.patience > 2);
        let at = Xy::new(0.0, 0.0);
        let mut state = AgentState::new(agent.kind, Vector::ZERO);
        let (mut steps, mut still) = (0, 0);
        let mut cut = StopAfter {
            limit: 2,
            recorded: 0,
            hooked: 0,
        };
        let halt = agent.walk_resumed(
            &bowl, at, &mut state, &rules, &mut steps, &mut still, &mut cut,
        );
        assert_eq!((halt, steps, still), (Halt::Hook(2), 2, 2));
        let mut rest = StopAfter {
            limit: usize::MAX,
            recorded: 0,
            hooked: 0,
        };
        let halt = agent.walk_resumed(
            &bowl, at, &mut state, &rules, &mut steps, &mut still, &mut rest,
        );
        let mut whole = StopAfter {
            limit: usize::MAX,
            recorded: 0,
            hooked: 0,
        };
        let mut fresh = AgentState::new(agent.kind, Vector::ZERO);
        let mut uncut_steps = 0;
        let uncut = agent.walk(&bowl, at, &mut fresh, &rules, &mut uncut_steps, &mut whole);
        assert_eq!(halt, uncut);
        assert!(matches!(halt, Halt::Rule(s) if s.reason == StopReason::Converged));
        assert_eq!((steps, uncut_steps), (rules.patience, rules.patience));
    }
}
