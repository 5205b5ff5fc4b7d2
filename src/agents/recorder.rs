//! What a descent keeps of its walk, and the hook that may end it early.
//!
//! [`Agent::walk`](super::Agent::walk) is the one descent loop: `drop`
//! runs it with a [`TrackRecorder`] that keeps every position, `basins`
//! with a recorder that keeps nothing and whose hook consults the memo of
//! finished walks (`basins::memo`). The stop rules themselves live in the
//! loop and in [`StopRules`](super::StopRules), once.

use std::convert::Infallible;
use std::ops::ControlFlow;

use super::{StopReason, TrackPoint};
use crate::geo::Xy;

/// What a descent keeps, and where something outside the stop rules may
/// end it. Generic (monomorphised) so a recorder that keeps nothing costs
/// nothing in the loop.
pub trait Recorder {
    /// What the hook answers when it ends the walk.
    type Handoff;

    /// `true` when [`record`](Recorder::record) keeps every position. A
    /// recorder that does not lets the loop take the rest of a motionless
    /// walker's patience at once instead of step by step (same ending,
    /// same step count).
    const KEEPS_EVERY_STEP: bool;

    /// Whether the loop must look up the height (metres) at `next`, the
    /// position a step leads to. Stop rules that need it (a
    /// [`stop_below`](super::StopRules::stop_below)) get it regardless; a
    /// recorder that keeps no heights may answer `false` where it knows
    /// `next` lies on the surface, since the next gradient finds a void
    /// there anyway.
    #[inline(always)]
    fn needs_elevation(&self, _next: Xy) -> bool {
        true
    }

    /// Called with each position the agent moves to and its height in
    /// metres (NaN when [`needs_elevation`](Recorder::needs_elevation)
    /// said no and no stop rule needed it).
    fn record(&mut self, position: Xy, elevation: f64);

    /// Called after each step that no stop rule ended, at the agent's new
    /// position: `Break` ends the walk there with the hook's answer.
    #[inline(always)]
    fn after_step(&mut self, _position: Xy) -> ControlFlow<Self::Handoff> {
        ControlFlow::Continue(())
    }
}

/// Keeps every position and its height: the full track `drop` draws.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TrackRecorder {
    /// The positions so far, first one first.
    pub points: Vec<TrackPoint>,
}

impl Recorder for TrackRecorder {
    type Handoff = Infallible;
    const KEEPS_EVERY_STEP: bool = true;

    #[inline]
    fn record(&mut self, position: Xy, elevation: f64) {
        self.points.push(TrackPoint {
            position,
            elevation,
        });
    }
}

/// How and where a walk ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Halt<H> {
    /// A stop rule fired.
    Rule(Stop),
    /// The recorder's hook ended the walk with this answer.
    Hook(H),
}

/// A stop rule that fired, and where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stop {
    /// Which rule.
    pub reason: StopReason,
    /// The agent's position (the surface's coordinates) when it fired;
    /// for an obstacle met on arrival (see `ahead`), the position the
    /// step led to.
    pub at: Xy,
    /// `true` when the obstacle (edge or void) lay at the position the
    /// step led to, `false` when it was met where the agent stood (its
    /// gradient could not be sampled there).
    pub ahead: bool,
}

impl Stop {
    /// A rule that fired where the agent stands.
    #[inline(always)]
    pub fn here(reason: StopReason, at: Xy) -> Self {
        Stop {
            reason,
            at,
            ahead: false,
        }
    }
}
