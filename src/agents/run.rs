//! Many descents at once: every agent from every start, in parallel.

use rayon::prelude::*;

use super::{Agent, StopRules, Track};
use crate::error::Result;
use crate::geo::Xy;
use crate::terrain::{Surface, Vector};

/// Runs every agent of `agents` from every start of `starts` (positions in
/// the surface's plane, CRS units) with initial velocity `v0` (CRS units
/// per step), in parallel. The tracks come start by start, each start's in
/// the order of `agents`; the first failure is returned.
pub fn descend_all<S: Surface + ?Sized>(
    agents: &[Agent],
    surface: &S,
    starts: &[Xy],
    v0: Vector,
    rules: &StopRules,
) -> Result<Vec<Track>> {
    let jobs: Vec<(Xy, &Agent)> = starts
        .iter()
        .flat_map(|&p| agents.iter().map(move |a| (p, a)))
        .collect();
    jobs.par_iter()
        .map(|(p, a)| a.descend(surface, *p, v0, rules))
        .collect()
}
