//! The gd shortcut's driver: starts in height order, resolved by every
//! thread in interleaved lanes (see [`super::walk`] for what the shortcut
//! is and why its result does not depend on the scheduling).
//!
//! Each thread takes groups of starts from a shared counter, lowest first,
//! and keeps [`LANES`] walks going at once, one step of each in turn, so
//! the processor overlaps their dependency chains and cache misses. A walk
//! that runs into a lower start nobody has finished pauses while its lane
//! walks that start first, or, when another lane or thread claimed it
//! ([`Memo::claim`]), until that one stores the ending; then it asks the
//! memo again where it stopped and goes on. Every claimed start is walked
//! once, by its claimant. A few starts ahead of the one taken, the memory
//! the next walks read first is prefetched.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use ndarray::Array2;

use super::field::GridField;
use super::memo::{unpack, Claim, Memo, Shortcut};
use super::prefetch::prefetch;
#[cfg(test)]
use super::walk::walk_one;
use super::walk::{Attempt, StepBudget, Tally, Walk, WalkSettings, Walks, LANES, NO_START};
use crate::agents::Agent;

/// Starts a thread of [`walk_with_shortcut`] takes at a time from the
/// shared counter.
const SHORTCUT_GROUP: usize = 256;

/// The gd shortcut: `starts` in height order, lowest first; every thread
/// takes the next group of starts from a shared counter, so the starts in
/// flight are always the lowest unfinished ones, and resolves them in
/// `LANES` interleaved [`ResolveLane`]s.
#[allow(clippy::too_many_arguments)]
pub(super) fn walk_with_shortcut(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    settings: &WalkSettings,
    starts: &[u32],
    walks: &mut Walks,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    budget: &StepBudget,
) -> Tally {
    let n = field.rows() * field.cols();
    let rank = ranks(starts, n);
    // Zeroed on both cores (a serial pass over an SRTM1 grid's 104 MB is
    // most of a tenth of a second of wall).
    let known: Vec<AtomicU64> = (0..n).into_par_iter().map(|_| AtomicU64::new(0)).collect();
    let memo = Memo {
        rank: &rank,
        known: &known,
    };
    let next = AtomicUsize::new(0);
    let tallies: Vec<Tally> = rayon::broadcast(|_| {
        let mut feed = Feed {
            starts,
            next: &next,
            group: &[],
            taken: 0,
            spent: 0,
            progress,
            cancel,
            budget,
        };
        resolve_in_lanes(field, heights, settings, &memo, &mut feed)
    });
    for (i, w) in known.iter().enumerate() {
        if let Some((end, ending)) = unpack(w.load(Ordering::Relaxed)) {
            walks.end[i] = end;
            walks.ending[i] = ending as u8;
        }
    }
    let mut total = Tally::default();
    for t in tallies {
        total.add(t);
    }
    total
}

/// Each cell's place in `starts` (distinct cells below `n`), or
/// [`NO_START`]: filled and scattered in parallel, through atomics (plain
/// stores and loads on x86-64) since a chunk of `starts` reaches cells
/// anywhere in the grid.
fn ranks(starts: &[u32], n: usize) -> Vec<AtomicU32> {
    let rank: Vec<AtomicU32> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU32::new(NO_START))
        .collect();
    starts
        .par_iter()
        .enumerate()
        .with_min_len(1 << 14)
        .for_each(|(k, &i)| rank[i as usize].store(k as u32, Ordering::Relaxed));
    rank
}

/// One thread's share of the starts of [`walk_with_shortcut`]: groups of
/// [`SHORTCUT_GROUP`] taken in order from the shared counter, reported to
/// `progress` and charged to the budget as they are used up.
struct Feed<'s> {
    starts: &'s [u32],
    next: &'s AtomicUsize,
    /// The group being handed out, and how many of it were.
    group: &'s [u32],
    taken: usize,
    /// Steps charged to the budget so far.
    spent: u64,
    progress: &'s (dyn Fn(usize) + Sync),
    cancel: &'s AtomicBool,
    budget: &'s StepBudget,
}

impl Feed<'_> {
    /// The start `ahead` places after the next one [`Feed::take`] gives,
    /// if it is in the group at hand.
    fn peek(&self, ahead: usize) -> Option<u32> {
        self.group.get(self.taken + ahead).copied()
    }

    /// The next start, or `None` once the starts are out, the work is
    /// cancelled or `steps` (this thread's total so far) pass the budget.
    fn take(&mut self, steps: u64) -> Option<u32> {
        loop {
            if let Some(&i) = self.group.get(self.taken) {
                self.taken += 1;
                return Some(i);
            }
            if !self.group.is_empty() {
                (self.progress)(self.group.len());
                self.group = &[];
            }
            let within = self.budget.spend(steps - self.spent);
            self.spent = steps;
            let g = self.next.fetch_add(1, Ordering::Relaxed);
            let from = g.saturating_mul(SHORTCUT_GROUP);
            if !within || from >= self.starts.len() || self.cancel.load(Ordering::Relaxed) {
                // Stays exhausted: later calls fetch past the end too.
                return None;
            }
            self.group = &self.starts[from..(from + SHORTCUT_GROUP).min(self.starts.len())];
            self.taken = 0;
        }
    }
}

/// How many starts ahead of the one it takes [`resolve_in_lanes`] asks for
/// the memory of (`prefetch_start`).
const PREFETCH_AHEAD: usize = 4;

/// Prefetches what the walk of the start in cell `i` reads first: the
/// places in the memo of it and its neighbours (`Memo::settled`), their
/// heights and the gradients around it.
#[inline(always)]
fn prefetch_start(field: &GridField<'_>, memo: &Memo<'_>, i: usize) {
    let above = i.saturating_sub(field.cols());
    for j in [above, i, i + field.cols()] {
        prefetch(memo.known, j);
        prefetch(memo.rank, j);
    }
    field.prefetch_cell(above);
    field.prefetch_cell(i);
}

/// What a lane of [`resolve_in_lanes`] is doing.
enum LaneNow<'f, 'a, 'm> {
    /// Nothing: the feed is out.
    Idle,
    /// Walking the start in this cell.
    Walking(u32, Walk<'f, 'a, 'm>),
    /// Waiting for another walker to store the ending of the start in
    /// this cell, which the walk on top of `below` needs.
    Waiting(u32),
}

/// A lane of [`resolve_in_lanes`]: what it does now, and the starts whose
/// walks wait for it, innermost last, each with its walk paused at the
/// memo's hook (resumed when its turn comes back) or `None` (redone). Every
/// start in a lane is claimed by it ([`Memo::claim`]).
struct ResolveLane<'f, 'a, 'm> {
    now: LaneNow<'f, 'a, 'm>,
    below: Vec<(u32, Option<Walk<'f, 'a, 'm>>)>,
}

/// Resolves the starts of `feed` under the gd shortcut, `LANES` at a time
/// on this thread (one step of each lane in turn, as `walk_lanes` does
/// without a memo), and returns the work done. A walk blocked by a pending
/// lower start waits while its lane resolves that start first, or until
/// the walker that claimed it has; then it goes on. The endings are those
/// of one start at a time (`resolve`, the test reference), whichever lane or thread computes
/// them, and no start is walked twice.
fn resolve_in_lanes<'f, 'a, 'm>(
    field: &'f GridField<'f>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    memo: &'a Memo<'m>,
    feed: &mut Feed<'_>,
) -> Tally {
    let cols = field.cols();
    let agent = Agent {
        kind: s.kind,
        params: s.params,
    };
    let mut tally = Tally::default();
    // Books `over` (the attempt of start `t`'s walk, kept if paused) if
    // given, and sets the lane to its next work: the walk waiting below,
    // else a fresh start from the feed; idle once the feed is out.
    let settle = |lane: &mut ResolveLane<'f, 'a, 'm>,
                  over: Option<(u32, Option<Walk<'f, 'a, 'm>>, Attempt)>,
                  tally: &mut Tally,
                  feed: &mut Feed<'_>| {
        let mut over = over;
        loop {
            let blocked_on = match over.take() {
                Some((
                    t,
                    _,
                    Attempt::Done {
                        end,
                        ending,
                        steps,
                        shortcut,
                        stall_moves,
                    },
                )) => {
                    tally.done(steps, shortcut, stall_moves);
                    memo.store(t as usize, end, ending);
                    None
                }
                Some((
                    t,
                    walk,
                    Attempt::Blocked {
                        cell,
                        steps,
                        paused,
                    },
                )) => {
                    // A paused walk counts its steps when it is over; one
                    // to be redone has simulated these.
                    let kept = if paused { walk } else { None };
                    if kept.is_none() {
                        tally.steps += steps as u64;
                    }
                    lane.below.push((t, kept));
                    Some(cell)
                }
                None => None,
            };
            let (t, walk) = match blocked_on.map(|j| (j, memo.claim(j as usize))) {
                Some((j, Claim::Mine)) => (j, None),
                Some((j, Claim::Taken)) => {
                    lane.now = LaneNow::Waiting(j);
                    return;
                }
                // Known, or nothing blocked: the walk below, else a fresh
                // start nobody has claimed.
                Some((_, Claim::Known)) | None => match lane.below.pop() {
                    Some(frame) => frame,
                    None => loop {
                        if let Some(j) = feed.peek(PREFETCH_AHEAD) {
                            prefetch_start(field, memo, j as usize);
                        }
                        match feed.take(tally.steps) {
                            Some(i) if memo.claim(i as usize) == Claim::Mine => break (i, None),
                            Some(_) => {}
                            None => {
                                lane.now = LaneNow::Idle;
                                return;
                            }
                        }
                    },
                },
            };
            let attempt = match walk {
                Some(mut w) => match w.resume() {
                    None => Ok(w),
                    Some(o) => Err((Some(w), o)),
                },
                None => {
                    let shortcut = Shortcut {
                        memo,
                        own: memo.rank[t as usize].load(Ordering::Relaxed),
                    };
                    let (r, c) = (t as usize / cols, t as usize % cols);
                    Walk::begin(field, heights, s, r, c, Some(shortcut)).map_err(|o| (None, o))
                }
            };
            match attempt {
                Ok(w) => {
                    lane.now = LaneNow::Walking(t, w);
                    return;
                }
                Err((w, o)) => over = Some((t, w, o)),
            }
        }
    };
    let mut lanes: [ResolveLane<'f, 'a, 'm>; LANES] = std::array::from_fn(|_| ResolveLane {
        now: LaneNow::Idle,
        below: Vec::new(),
    });
    for lane in &mut lanes {
        settle(lane, None, &mut tally, feed);
    }
    loop {
        let mut busy = false;
        for lane in &mut lanes {
            match &mut lane.now {
                LaneNow::Idle => {}
                LaneNow::Walking(_, walk) => {
                    busy = true;
                    if let Some(o) = walk.advance(&agent, field, heights, s) {
                        if let LaneNow::Walking(t, w) =
                            std::mem::replace(&mut lane.now, LaneNow::Idle)
                        {
                            settle(lane, Some((t, Some(w), o)), &mut tally, feed);
                        }
                    }
                }
                LaneNow::Waiting(j) => {
                    busy = true;
                    if memo.is_known(*j as usize) {
                        settle(lane, None, &mut tally, feed);
                    }
                }
            }
        }
        if !busy {
            return tally;
        }
    }
}

/// The ending of the start in cell `i` under the gd shortcut, computing
/// first, on this thread, the endings of the lower starts it runs into that
/// nobody has finished yet: one walk at a time, each blocked one redone,
/// the reference [`resolve_in_lanes`] is tested against. Every pending
/// link goes strictly down the height order, so this ends; a walk redone
/// after such a detour counts its steps again (they were simulated).
#[cfg(test)]
fn resolve(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    memo: &Memo<'_>,
    i: u32,
    stack: &mut Vec<u32>,
    tally: &mut Tally,
) {
    let cols = field.cols();
    stack.clear();
    stack.push(i);
    while let Some(&top) = stack.last() {
        let t = top as usize;
        if memo.is_known(t) {
            stack.pop();
            continue;
        }
        let shortcut = Shortcut {
            memo,
            own: memo.rank[t].load(Ordering::Relaxed),
        };
        match walk_one(field, heights, s, t / cols, t % cols, Some(shortcut)) {
            Attempt::Done {
                end,
                ending,
                steps,
                shortcut,
                stall_moves,
            } => {
                tally.done(steps, shortcut, stall_moves);
                memo.store(t, end, ending);
                stack.pop();
            }
            Attempt::Blocked { cell, steps, .. } => {
                tally.steps += steps as u64;
                stack.push(cell);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentKind, StepParams, StopRules};
    use crate::basins::walk::{default_gd_alpha, in_height_order, walk_all};
    use crate::terrain::{GradientGrid, RowMetrics};

    /// The gd shortcut's lanes (walks paused while the lower start they
    /// need is resolved, starts claimed so none is walked twice, memory
    /// prefetched) end every start as [`resolve`] does, one start at a time
    /// in height order on one thread: on a coastal window of N52W007, raw
    /// and filled (with stall resolution), in full and every other cell.
    #[test]
    fn shortcut_lanes_end_every_start_as_one_at_a_time() {
        let tile = crate::dem::open(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/N52W007.hgt")),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap();
        // Rows 450-690 and columns 700-940: hills down to the coast.
        let window = crate::geo::Bounds::new(-6.4167, 52.425, -6.2167, 52.625);
        let mut dem = crate::basins::crop::crop(&tile, window).unwrap();
        let metrics = RowMetrics::of(&dem);
        let sea = crate::dem::SeaMask::detect(&dem.heights, crate::dem::SeaLevel::SrtmZero);
        assert!(sea.samples() > 1000, "the window reaches the sea");
        let raw = dem.heights.clone();
        crate::basins::fill::priority_flood_to_sea(
            &mut dem.heights,
            &metrics,
            0.0,
            None,
            Some(&sea),
        );
        let filled = dem.heights.clone();
        let never = AtomicBool::new(false);
        for (heights, resolve_stalls) in [(raw, false), (filled, true)] {
            dem.heights = heights;
            let heights = &dem.heights;
            let gradient = GradientGrid::compute(&dem, crate::terrain::GradientScheme::Central);
            let field = GridField::new(heights, &gradient, &metrics).with_sea(&sea);
            for stride in [1, 2] {
                let s = WalkSettings {
                    kind: AgentKind::Gd,
                    params: StepParams {
                        alpha: default_gd_alpha(&dem),
                        ..StepParams::default_for(AgentKind::Gd)
                    },
                    rules: StopRules::default(),
                    stride,
                    exact: false,
                    resolve_stalls,
                };
                let lanes = walk_all(&field, heights, &s, &|_| {}, &never);
                // One at a time: the same starts, in the same order.
                let (rows, cols) = heights.dim();
                let starts: Vec<u32> = (0..rows * cols)
                    .filter(|&i| lanes.end[i] != NO_START)
                    .map(|i| i as u32)
                    .collect();
                assert_eq!(starts.len(), lanes.starts);
                let starts = in_height_order(&starts, heights, None);
                let rank = ranks(&starts, rows * cols);
                let known: Vec<AtomicU64> = (0..rows * cols).map(|_| AtomicU64::new(0)).collect();
                let memo = Memo {
                    rank: &rank,
                    known: &known,
                };
                let (mut stack, mut tally) = (Vec::new(), Tally::default());
                for &i in &starts {
                    resolve(&field, heights, &s, &memo, i, &mut stack, &mut tally);
                }
                let mut shortcuts = 0;
                for &i in &starts {
                    let (end, ending) = unpack(known[i as usize].load(Ordering::Relaxed)).unwrap();
                    let at = (i as usize / cols, i as usize % cols);
                    assert_eq!(
                        (lanes.end[i as usize], lanes.ending[i as usize]),
                        (end, ending as u8),
                        "start {at:?}, stride {stride}, stalls resolved {resolve_stalls}"
                    );
                    shortcuts += (end != i) as usize;
                }
                // The shortcut had work to do: most walks end elsewhere.
                assert!(
                    shortcuts > starts.len() / 2,
                    "{shortcuts} of {}",
                    starts.len()
                );
                assert!(lanes.shortcuts > starts.len() / 4, "{}", lanes.shortcuts);
            }
        }
    }
}
