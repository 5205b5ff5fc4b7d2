//! The gd shortcut's driver: starts in height order, resolved by every
//! thread in interleaved lanes (see [`super::walk`] for what the shortcut
//! is and why its result does not depend on the scheduling).
//!
//! Each thread takes groups of starts from a shared counter, lowest first,
//! and keeps [`RESOLVE_LANES`] walks going at once, one step of each in
//! turn, so the processor overlaps their dependency chains and cache
//! misses; with AVX2 the walkers' ordinary steps (most of them: a walker
//! takes about a hundred steps for every cell it enters) run four to a
//! register ([`super::walker_lanes`]). A walk that runs into a lower start
//! nobody has finished pauses while its lane walks that start first, or,
//! when another lane or thread claimed it ([`Memo::claim`]), until that
//! one stores the ending: parked ([`ParkedWalks`]) while its lane takes
//! other work, or, with the parking full, waiting in its lane. Then it asks
//! the memo again where it stopped and goes on. Every claimed start is
//! walked once, by its claimant. A few starts ahead of the one taken, the
//! memory the next walks read first is prefetched.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use ndarray::Array2;

use super::field::GridField;
use super::memo::{took_shortcut, unpack, word, Claim, Memo, Shortcut, MAX_MEMO_CELLS};
use super::prefetch::prefetch;
#[cfg(test)]
use super::walk::walk_one;
use super::walk::{settled_start, Attempt, StepBudget, Tally, Walk, WalkSettings, Walks};
use crate::agents::Agent;

/// How many walks [`resolve_in_lanes`] keeps going on one thread.
const RESOLVE_LANES: usize = 8;

/// Starts a thread of [`walk_with_shortcut`] takes at a time from the
/// shared counter.
const SHORTCUT_GROUP: usize = 256;

/// The gd shortcut: `starts` in height order, lowest first. The grid is
/// cut into one band of rows per thread ([`Bands`]); every thread takes
/// the next group of its band's starts in that order, so the starts in
/// flight are the lowest unfinished ones of each band, and resolves them
/// in `RESOLVE_LANES` interleaved [`ResolveLane`]s. A walk that needs the
/// ending of a start another thread is walking waits for it, and in one
/// band that happens only along its edges; a thread whose band is done
/// helps with the band that is furthest behind.
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
    let words = memo_words(starts, n);
    let memo = Memo { words: &words };
    let bands = Bands::new(
        starts,
        field.rows(),
        field.cols(),
        rayon::current_num_threads(),
    );
    let tallies: Vec<Tally> = rayon::broadcast(|ctx| {
        let mut feed = Feed {
            starts,
            bands: &bands,
            band: ctx.index() % bands.count(),
            group: Vec::with_capacity(bands.chunk),
            taken: 0,
            spent: 0,
            progress,
            cancel,
            budget,
        };
        resolve_in_lanes(field, heights, settings, &memo, &mut feed)
    });
    // Unpacked on every core (a serial pass reads 104 MB on an SRTM1 grid).
    let shortcuts = walks
        .end
        .par_iter_mut()
        .zip(walks.ending.par_iter_mut())
        .zip(words.par_iter())
        .with_min_len(1 << 14)
        .map(|((end, ending), w)| {
            let w = w.load(Ordering::Relaxed);
            if let Some((e, how)) = unpack(w) {
                *end = e;
                *ending = how as u8;
            }
            took_shortcut(w) as usize
        })
        .sum();
    let mut total = Tally::default();
    for t in tallies {
        total.add(t);
    }
    // Counted from the memo, where each start's word says whether it took
    // the shortcut: a start settled before its first step may be found so
    // by two walkers (`take_fresh` does not claim it), so the threads'
    // tallies do not count them.
    total.shortcuts = shortcuts;
    total
}

/// The memo's words of a grid of `n` cells (at most [`MAX_MEMO_CELLS`])
/// before the walk: each cell's place in `starts` (distinct cells below
/// `n`), no ending known. Filled and scattered on every core, through
/// atomics (plain stores on x86-64) since a chunk of `starts` reaches cells
/// anywhere in the grid (a serial pass over an SRTM1 grid's 104 MB is
/// most of a tenth of a second of wall).
fn memo_words(starts: &[u32], n: usize) -> Vec<AtomicU64> {
    debug_assert!(n <= MAX_MEMO_CELLS);
    let words: Vec<AtomicU64> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU64::new(word(None)))
        .collect();
    starts
        .par_iter()
        .enumerate()
        .with_min_len(1 << 14)
        .for_each(|(k, &i)| words[i as usize].store(word(Some(k as u32)), Ordering::Relaxed));
    words
}

/// The rows of the grid cut into bands holding about as many starts each,
/// one per thread of [`walk_with_shortcut`]. Each band's starts are taken
/// in the order of `starts`, a chunk of `starts` at a time: the starts of
/// a chunk that lie in the band (a range of row-major cell indices).
struct Bands {
    /// Cell index where each band begins, and one past the last band's end.
    edges: Vec<u64>,
    /// Per band, the next chunk of `starts` to look through.
    next: Vec<AtomicUsize>,
    /// Places in `starts` per chunk: about [`SHORTCUT_GROUP`] starts of
    /// each band.
    chunk: usize,
}

impl Bands {
    /// `k` bands (at least one, at most one per row) over a grid of
    /// `rows` x `cols` cells for `starts` (row-major cell indices).
    fn new(starts: &[u32], rows: usize, cols: usize, k: usize) -> Bands {
        let k = k.clamp(1, rows.max(1));
        // Starts per row, counted on every core.
        let per_row = starts
            .par_chunks(1 << 16)
            .fold(
                || vec![0usize; rows],
                |mut n, chunk| {
                    for &i in chunk {
                        n[i as usize / cols] += 1;
                    }
                    n
                },
            )
            .reduce(
                || vec![0usize; rows],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        // Band b begins at the first row before which at least b/k of the
        // starts lie.
        let mut edges = vec![0u64];
        let mut seen = 0usize;
        for (r, n) in per_row.iter().enumerate() {
            if edges.len() < k && seen * k >= edges.len() * starts.len() && r > 0 {
                edges.push((r * cols) as u64);
            }
            seen += n;
        }
        while edges.len() < k {
            edges.push((rows * cols) as u64);
        }
        edges.push((rows * cols) as u64);
        Bands {
            next: (0..k).map(|_| AtomicUsize::new(0)).collect(),
            edges,
            chunk: SHORTCUT_GROUP * k,
        }
    }

    /// How many bands there are.
    fn count(&self) -> usize {
        self.next.len()
    }

    /// Whether cell `i` lies in band `b`.
    #[inline]
    fn holds(&self, b: usize, i: u32) -> bool {
        (self.edges[b]..self.edges[b + 1]).contains(&(i as u64))
    }

    /// Fills `group` with the starts of band `b` in its next chunk of
    /// `starts`; `false` once the band's chunks are out (and stays so).
    fn next_group(&self, b: usize, starts: &[u32], group: &mut Vec<u32>) -> bool {
        let c = self.next[b].fetch_add(1, Ordering::Relaxed);
        let from = c.saturating_mul(self.chunk);
        if from >= starts.len() {
            return false;
        }
        let to = (from + self.chunk).min(starts.len());
        group.clear();
        group.extend(starts[from..to].iter().filter(|&&i| self.holds(b, i)));
        true
    }

    /// The band furthest behind (the fewest chunks looked through) that
    /// has chunks left, if any.
    fn furthest_behind(&self, starts: &[u32]) -> Option<usize> {
        (0..self.count())
            .map(|b| (self.next[b].load(Ordering::Relaxed), b))
            .filter(|&(c, _)| c.saturating_mul(self.chunk) < starts.len())
            .min()
            .map(|(_, b)| b)
    }
}

/// One thread's share of the starts of [`walk_with_shortcut`]: groups of
/// its band's starts (see [`Bands`]), then of the band furthest behind,
/// reported to `progress` and charged to the budget as they are used up.
struct Feed<'s> {
    starts: &'s [u32],
    bands: &'s Bands,
    /// The band the thread takes its starts from.
    band: usize,
    /// The group being handed out, and how many of it were.
    group: Vec<u32>,
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
                self.group.clear();
            }
            let within = self.budget.spend(steps - self.spent);
            self.spent = steps;
            if !within || self.cancel.load(Ordering::Relaxed) {
                return None;
            }
            // The band's next chunk, else the band furthest behind; out
            // once every band is (they stay so).
            while !self
                .bands
                .next_group(self.band, self.starts, &mut self.group)
            {
                self.band = self.bands.furthest_behind(self.starts)?;
            }
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
        prefetch(memo.words, j);
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
    /// this cell, which the walk on top of `below` needs (when the
    /// thread's parking is full, [`ParkedWalks::park`]).
    Waiting(u32),
}

/// Walks of [`resolve_in_lanes`] set aside until another walker stores
/// the ending of the start in cell `on`, which the walk on top of `walks`
/// needs: the `below` stack of the lane that ran into it (see
/// [`ResolveLane`]), which meanwhile takes other work.
struct Parked<'f, 'a, 'm> {
    on: u32,
    walks: Vec<(u32, Option<Walk<'f, 'a, 'm>>)>,
}

/// The walks a thread of [`resolve_in_lanes`] has parked.
#[derive(Default)]
struct ParkedWalks<'f, 'a, 'm> {
    stacks: Vec<Parked<'f, 'a, 'm>>,
    /// The stack [`ParkedWalks::resume`] looked at last.
    cursor: usize,
}

/// How many stacks a thread of [`resolve_in_lanes`] parks at most; beyond
/// it a lane waits. Parked walks hold claimed starts that other walks may
/// run into and park on in turn, so the lanes look for ready stacks (a
/// few at every fresh start, in turn: [`RESUME_LOOKS`]) and keep them few.
const MAX_PARKED: usize = 16;

/// How many parked stacks [`ParkedWalks::resume`] looks at, in turn, each
/// time a lane wants work. Each look reads the memo word of a start that
/// another thread is walking, whose cache line that thread writes: looking
/// at every stack at every fresh start cost a twentieth of the whole run's
/// CPU time on N43E006. A ready stack is still found within
/// `MAX_PARKED / RESUME_LOOKS` fresh starts.
const RESUME_LOOKS: usize = 2;

impl<'f, 'a, 'm> ParkedWalks<'f, 'a, 'm> {
    /// Parks `lane`'s stack of walks until the start in cell `on` is
    /// known, unless [`MAX_PARKED`] are parked already: `false` then.
    fn park(&mut self, lane: &mut ResolveLane<'f, 'a, 'm>, on: u32) -> bool {
        if self.stacks.len() >= MAX_PARKED {
            return false;
        }
        self.stacks.push(Parked {
            on,
            walks: std::mem::take(&mut lane.below),
        });
        true
    }

    /// The index of a parked stack whose awaited start is known, if one of
    /// the next [`RESUME_LOOKS`] stacks in turn is.
    fn ready(&mut self, memo: &Memo<'_>) -> Option<usize> {
        let n = self.stacks.len();
        for _ in 0..n.min(RESUME_LOOKS) {
            self.cursor += 1;
            if self.cursor >= n {
                self.cursor = 0;
            }
            if memo.is_known(self.stacks[self.cursor].on as usize) {
                return Some(self.cursor);
            }
        }
        None
    }

    /// Parks the stack of `lane`, waiting for the start in cell `on`, in
    /// place of a ready one ([`ParkedWalks::ready`]), which the lane takes:
    /// `false` when none is. A lane waiting with the parking full must not
    /// wait on a stack parked behind it.
    fn swap_ready(&mut self, lane: &mut ResolveLane<'f, 'a, 'm>, on: u32, memo: &Memo<'_>) -> bool {
        let Some(ready) = self.ready(memo) else {
            return false;
        };
        let mine = Parked {
            on,
            walks: std::mem::take(&mut lane.below),
        };
        lane.below = std::mem::replace(&mut self.stacks[ready], mine).walks;
        true
    }

    /// Gives `lane` back a parked stack whose awaited start is known, and
    /// takes its top walk off it, if one is ready ([`ParkedWalks::ready`]).
    fn resume(
        &mut self,
        lane: &mut ResolveLane<'f, 'a, 'm>,
        memo: &Memo<'_>,
    ) -> Option<(u32, Option<Walk<'f, 'a, 'm>>)> {
        let ready = self.ready(memo)?;
        lane.below = self.stacks.swap_remove(ready).walks;
        lane.below.pop()
    }
}

/// A lane of [`resolve_in_lanes`]: what it does now, and the starts whose
/// walks wait for it, innermost last, each with its walk paused at the
/// memo's hook or in its D8 moves (resumed when its turn comes back) or
/// `None` (a start settled before its first step, checked again). Every
/// start in a lane is claimed by it ([`Memo::claim`]).
struct ResolveLane<'f, 'a, 'm> {
    now: LaneNow<'f, 'a, 'm>,
    below: Vec<(u32, Option<Walk<'f, 'a, 'm>>)>,
}

/// Resolves the starts of `feed` under the gd shortcut, `RESOLVE_LANES` at a time
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
    // The next start from the feed that nobody has claimed, claimed; `None`
    // (the lane idle) once the feed is out. A start settled before its
    // first step (most of them) is stored on the way without a claim, a
    // locked read-modify-write of its word, which would cost more than
    // settling it: another walker that needs it meanwhile settles it too,
    // to the same ending.
    let take_fresh = |lane: &mut ResolveLane<'f, 'a, 'm>, feed: &mut Feed<'_>, tally: &Tally| loop {
        if let Some(j) = feed.peek(PREFETCH_AHEAD) {
            prefetch_start(field, memo, j as usize);
        }
        let Some(i) = feed.take(tally.steps) else {
            lane.now = LaneNow::Idle;
            return None;
        };
        let t = i as usize;
        if memo.is_taken(t) {
            continue;
        }
        let shortcut = Shortcut {
            memo,
            own: memo.rank(t),
        };
        if let Some(Attempt::Done { end, ending, .. }) =
            settled_start(field, s, t / cols, t % cols, shortcut)
        {
            memo.store(t, end, ending, true);
        } else if memo.claim(t) == Claim::Mine {
            return Some(i);
        }
    };
    // Books `over` (the attempt of start `t`'s walk, kept if paused) if
    // given, and sets the lane to its next work: the walk waiting below,
    // else a ready parked stack, else a fresh start from the feed; idle
    // once the feed is out.
    let settle = |lane: &mut ResolveLane<'f, 'a, 'm>,
                  over: Option<(u32, Option<Walk<'f, 'a, 'm>>, Attempt)>,
                  tally: &mut Tally,
                  feed: &mut Feed<'_>,
                  parked: &mut ParkedWalks<'f, 'a, 'm>| {
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
                    tally.walked(steps, stall_moves);
                    memo.store(t as usize, end, ending, shortcut);
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
            let next = match blocked_on.map(|j| (j, memo.claim(j as usize))) {
                Some((j, Claim::Mine)) => Some((j, None)),
                // Parked until `j` is known while the lane takes other
                // work, else the lane waits.
                Some((j, Claim::Taken)) if !parked.park(lane, j) => {
                    lane.now = LaneNow::Waiting(j);
                    return;
                }
                // Parked (the lane's stack is now empty), known, or nothing
                // blocked: the walk below, else a parked stack whose start
                // is known, else a fresh start nobody has claimed.
                _ => lane
                    .below
                    .pop()
                    .or_else(|| parked.resume(lane, memo))
                    .or_else(|| take_fresh(lane, feed, tally).map(|i| (i, None))),
            };
            let Some((t, walk)) = next else { return };
            let attempt = match walk {
                Some(mut w) => match w.resume(field, s) {
                    None => Ok(w),
                    Some(o) => Err((Some(w), o)),
                },
                None => {
                    let shortcut = Shortcut {
                        memo,
                        own: memo.rank(t as usize),
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
    let mut lanes: [ResolveLane<'f, 'a, 'm>; RESOLVE_LANES] =
        std::array::from_fn(|_| ResolveLane {
            now: LaneNow::Idle,
            below: Vec::new(),
        });
    let mut parked = ParkedWalks::default();
    for lane in &mut lanes {
        settle(lane, None, &mut tally, feed, &mut parked);
    }
    // One turn of a lane: its walker's next step (or the rest of its
    // patience, or its stop rule) by `advance`, or a look whether what it
    // waits for is known. `false` once the lane has nothing left to do.
    let mut turn = |lane: &mut ResolveLane<'f, 'a, 'm>| -> bool {
        match &mut lane.now {
            // Idle once the feed is out: parked stacks may come back.
            LaneNow::Idle if parked.stacks.is_empty() => return false,
            LaneNow::Idle => settle(lane, None, &mut tally, feed, &mut parked),
            &mut LaneNow::Waiting(j) => {
                // Once `j` is known; or a parked stack may be what `j`
                // waits for.
                if memo.is_known(j as usize) || parked.swap_ready(lane, j, memo) {
                    settle(lane, None, &mut tally, feed, &mut parked);
                }
            }
            LaneNow::Walking(_, walk) => {
                if let Some(o) = walk.advance(&agent, field, heights, s) {
                    if let LaneNow::Walking(t, w) = std::mem::replace(&mut lane.now, LaneNow::Idle)
                    {
                        settle(lane, Some((t, Some(w), o)), &mut tally, feed, &mut parked);
                    }
                }
            }
        }
        true
    };
    #[cfg(target_arch = "x86_64")]
    if walkers_in_lanes(field, s) {
        // SAFETY: `walkers_in_lanes` checked the CPU and the grid's size.
        unsafe {
            let grid = super::lane_grid::LaneGrid::new(field);
            walk_in_registers(&grid, s, &mut lanes, &mut turn);
        }
        return tally;
    }
    loop {
        let mut busy = false;
        for lane in &mut lanes {
            busy |= turn(lane);
        }
        if !busy {
            return tally;
        }
    }
}

/// Whether [`resolve_in_lanes`] steps its walkers in the lanes of AVX2
/// registers ([`walk_in_registers`]): hill-walkers, where the lanes fit
/// ([`lanes_fit`](super::lane_grid::lanes_fit)).
#[cfg(target_arch = "x86_64")]
fn walkers_in_lanes(field: &GridField<'_>, s: &WalkSettings) -> bool {
    s.kind == crate::agents::AgentKind::Gd && super::lane_grid::lanes_fit(field, s.rules.stop_below)
}

/// Groups of four lanes [`walk_in_registers`] steps in turn (their steps
/// are independent chains the processor overlaps).
#[cfg(target_arch = "x86_64")]
const GROUPS: usize = RESOLVE_LANES / 4;

/// [`resolve_in_lanes`]' turns with its walkers stepped in the lanes of
/// AVX2 registers ([`walk4`](super::walker_lanes::walk4)), all walking
/// lanes one step a turn, where their positions and counts stay while
/// every step is ordinary and within its walk's budget and patience. At
/// the first turn where some lane's step is not, the lanes whose step is
/// take it; each of the others, and each lane that does not walk, takes a
/// `turn` (which redoes the step by `Walk::advance`, applying the stop rule
/// or asking the memo, or looks whether the lane can go on); then the
/// registers take up the lanes' walks again. Returns once no lane has
/// anything left to do.
///
/// # Safety
/// Only where [`walkers_in_lanes`] holds (`grid` is the field's).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn walk_in_registers<'f, 'a, 'm>(
    grid: &super::lane_grid::LaneGrid<'_>,
    s: &WalkSettings,
    lanes: &mut [ResolveLane<'f, 'a, 'm>; RESOLVE_LANES],
    turn: &mut impl FnMut(&mut ResolveLane<'f, 'a, 'm>) -> bool,
) {
    use super::walker_lanes::{walk4, Walkers};
    use crate::geo::Xy;
    use std::arch::x86_64::*;
    const { assert!(RESOLVE_LANES == 4 * GROUPS) };
    /// The lanes' walks while the registers hold them, lane by lane.
    struct Held {
        x: [f64; RESOLVE_LANES],
        y: [f64; RESOLVE_LANES],
        here_r: [i32; RESOLVE_LANES],
        here_c: [i32; RESOLVE_LANES],
        /// All ones where no cell around `here` touches the coast.
        inland: [f64; RESOLVE_LANES],
        step: [i64; RESOLVE_LANES],
        still: [i64; RESOLVE_LANES],
        /// The step count where the registers hand the walk back: its
        /// budget, or where it looks for a cycle (`Walk::step_limit`).
        limit: [i64; RESOLVE_LANES],
    }
    /// One group of four lanes in registers.
    struct Group {
        walkers: Walkers,
        step: __m256i,
        still: __m256i,
        limit: __m256i,
    }
    // Takes up lane `k`'s walk, if it walks: `true` then. Lanes that do
    // not stand outside the grid (NaN), where no step is ordinary.
    let take_up = |held: &mut Held, k: usize, lane: &ResolveLane<'_, '_, '_>| -> bool {
        let LaneNow::Walking(_, walk) = &lane.now else {
            held.x[k] = f64::NAN;
            return false;
        };
        let (p, n, patience, here) = walk.lane_view();
        (held.x[k], held.y[k]) = (p.x, p.y);
        // Below 2^31 (`walkers_in_lanes`).
        (held.here_r[k], held.here_c[k]) = (here.0 as i32, here.1 as i32);
        held.inland[k] = if grid.inland_around(here.0, here.1) {
            f64::from_bits(u64::MAX)
        } else {
            0.0
        };
        // Counts past i64::MAX are never reached.
        (held.step[k], held.still[k]) = (n as i64, patience as i64);
        held.limit[k] = walk.step_limit(s.rules.max_steps).min(i64::MAX as usize) as i64;
        true
    };
    // Hands lane `k`'s walk back to it after steps in the registers.
    let hand_back = |held: &Held, k: usize, lane: &mut ResolveLane<'_, '_, '_>| {
        if let LaneNow::Walking(_, walk) = &mut lane.now {
            let (x, y) = (held.x[k], held.y[k]);
            walk.set_lane_view(Xy::new(x, y), held.step[k] as usize, held.still[k] as usize);
        }
    };
    let load = |held: &Held, g: usize| {
        let at = 4 * g;
        Group {
            walkers: Walkers {
                x: _mm256_loadu_pd(held.x[at..].as_ptr()),
                y: _mm256_loadu_pd(held.y[at..].as_ptr()),
                here_r: _mm_loadu_si128(held.here_r[at..].as_ptr() as *const __m128i),
                here_c: _mm_loadu_si128(held.here_c[at..].as_ptr() as *const __m128i),
                inland: _mm256_loadu_pd(held.inland[at..].as_ptr()),
            },
            step: _mm256_loadu_si256(held.step[at..].as_ptr() as *const __m256i),
            still: _mm256_loadu_si256(held.still[at..].as_ptr() as *const __m256i),
            limit: _mm256_loadu_si256(held.limit[at..].as_ptr() as *const __m256i),
        }
    };
    let save = |held: &mut Held, g: usize, group: &Group| {
        let at = 4 * g;
        _mm256_storeu_pd(held.x[at..].as_mut_ptr(), group.walkers.x);
        _mm256_storeu_pd(held.y[at..].as_mut_ptr(), group.walkers.y);
        _mm256_storeu_si256(held.step[at..].as_mut_ptr() as *mut __m256i, group.step);
        _mm256_storeu_si256(held.still[at..].as_mut_ptr() as *mut __m256i, group.still);
    };
    let limit = |n: usize| _mm256_set1_epi64x(n.min(i64::MAX as usize) as i64);
    let patience = limit(s.rules.patience);
    let one = _mm256_set1_epi64x(1);
    let (alpha, tolerance_sq) = (s.params.alpha, s.rules.tolerance_m * s.rules.tolerance_m);
    let mut held = Held {
        x: [0.0; RESOLVE_LANES],
        y: [0.0; RESOLVE_LANES],
        here_r: [0; RESOLVE_LANES],
        here_c: [0; RESOLVE_LANES],
        inland: [0.0; RESOLVE_LANES],
        step: [0; RESOLVE_LANES],
        still: [0; RESOLVE_LANES],
        limit: [0; RESOLVE_LANES],
    };
    let mut walking = 0u32;
    for (k, lane) in lanes.iter().enumerate() {
        walking |= (take_up(&mut held, k, lane) as u32) << k;
    }
    loop {
        // The walking lanes whose step is not ordinary this turn.
        let left = if walking == 0 {
            0
        } else {
            let mut groups: [Group; GROUPS] = std::array::from_fn(|g| load(&held, g));
            let left = loop {
                let mut stepped = 0u32;
                for (g, group) in groups.iter_mut().enumerate() {
                    let walked = walk4(grid, alpha, tolerance_sq, &group.walkers);
                    let short = _mm256_castpd_si256(walked.short);
                    let still_next = _mm256_and_si256(short, _mm256_add_epi64(group.still, one));
                    let ordinary = _mm256_and_si256(
                        _mm256_castpd_si256(walked.ordinary),
                        _mm256_and_si256(
                            _mm256_cmpgt_epi64(group.limit, group.step),
                            _mm256_cmpgt_epi64(patience, still_next),
                        ),
                    );
                    let keep = _mm256_castsi256_pd(ordinary);
                    let w = &mut group.walkers;
                    w.x = _mm256_blendv_pd(w.x, walked.x, keep);
                    w.y = _mm256_blendv_pd(w.y, walked.y, keep);
                    group.step = _mm256_sub_epi64(group.step, ordinary);
                    group.still = _mm256_blendv_epi8(group.still, still_next, ordinary);
                    stepped |= (_mm256_movemask_pd(keep) as u32) << (4 * g);
                }
                if stepped != walking {
                    break walking & !stepped;
                }
            };
            for (g, group) in groups.iter().enumerate() {
                save(&mut held, g, group);
            }
            left
        };
        // The scalar turns: the lanes left, and those that do not walk.
        let stepped = walking & !left;
        let mut busy = stepped != 0;
        for (k, lane) in lanes.iter_mut().enumerate() {
            if stepped >> k & 1 != 0 {
                continue;
            }
            hand_back(&held, k, lane);
            busy |= turn(lane);
            let walks = take_up(&mut held, k, lane);
            walking = walking & !(1 << k) | (walks as u32) << k;
        }
        if !busy {
            return;
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
            own: memo.rank(t),
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
                memo.store(t, end, ending, shortcut);
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
    use crate::basins::starts::in_height_order;
    use crate::basins::walk::{default_gd_alpha, walk_all, NO_START};
    use crate::terrain::{GradientGrid, RowMetrics};

    /// Feeds of three threads, drained in turns (one is faster, and helps
    /// the others once its band is out), hand out every start once, each
    /// band's in height order; the bands are runs of whole rows holding
    /// about a third of the starts each.
    #[test]
    fn feeds_hand_out_every_start_once_by_bands_of_rows() {
        let (rows, cols) = (200usize, 30usize);
        // Every cell but every seventh, in a scrambled order (a
        // stand-in for the height order).
        let starts: Vec<u32> = (0..(rows * cols) as u32)
            .map(|i| (i * 2111) % (rows * cols) as u32)
            .filter(|i| i % 7 != 3)
            .collect();
        let bands = Bands::new(&starts, rows, cols, 3);
        assert_eq!(bands.count(), 3);
        let band_of = |i: u32| (0..3).find(|&b| bands.holds(b, i)).unwrap();
        // Band edges fall between rows, and each band holds a third of
        // the starts, give or take one row's worth.
        for b in 0..3 {
            assert_eq!(bands.edges[b] % cols as u64, 0);
            let n = starts.iter().filter(|&&i| band_of(i) == b).count();
            assert!(n.abs_diff(starts.len() / 3) <= cols, "band {b}: {n} starts");
        }
        let (cancel, budget) = (AtomicBool::new(false), StepBudget::new(None));
        let reported = AtomicUsize::new(0);
        let progress = |n: usize| {
            reported.fetch_add(n, Ordering::Relaxed);
        };
        let mut feeds: Vec<Feed<'_>> = (0..3)
            .map(|t| Feed {
                starts: &starts,
                bands: &bands,
                band: t,
                group: Vec::new(),
                taken: 0,
                spent: 0,
                progress: &progress,
                cancel: &cancel,
                budget: &budget,
            })
            .collect();
        let mut handed: Vec<Vec<u32>> = vec![Vec::new(); 3];
        loop {
            let mut any = false;
            // The first thread is four times as fast.
            for (t, feed) in feeds.iter_mut().enumerate() {
                for _ in 0..if t == 0 { 4 } else { 1 } {
                    if let Some(i) = feed.take(0) {
                        handed[t].push(i);
                        any = true;
                    }
                }
            }
            if !any {
                break;
            }
        }
        let mut all: Vec<u32> = handed.concat();
        all.sort_unstable();
        let mut expected = starts.clone();
        expected.sort_unstable();
        assert_eq!(all, expected, "every start exactly once");
        // Each thread hands out the starts of any one band in the order of
        // `starts`; the fast thread all of its own band first.
        let place: std::collections::HashMap<u32, usize> =
            starts.iter().enumerate().map(|(p, &i)| (i, p)).collect();
        for got in &handed {
            for b in 0..3 {
                let seq: Vec<usize> = got
                    .iter()
                    .filter(|&&i| band_of(i) == b)
                    .map(|i| place[i])
                    .collect();
                assert!(seq.windows(2).all(|w| w[0] < w[1]), "band {b} out of order");
            }
        }
        let band0: Vec<u32> = starts
            .iter()
            .copied()
            .filter(|&i| band_of(i) == 0)
            .collect();
        assert_eq!(handed[0][..band0.len()], band0[..]);
        // Done with its band, the first thread helped with the others.
        assert!(handed[0].iter().any(|&i| band_of(i) != 0));
        // The last group of each feed is reported when it asks again.
        for feed in &mut feeds {
            assert_eq!(feed.take(0), None);
        }
        assert_eq!(reported.load(Ordering::Relaxed), starts.len());
    }

    /// The gd shortcut's lanes (walks paused while the lower start they
    /// need is resolved, starts claimed so none is walked twice, memory
    /// prefetched) end every start as [`resolve`] does, one start at a time
    /// in height order on one thread: on a coastal window of N52W007, raw
    /// and filled (with stall resolution), in full and every other cell.
    #[test]
    fn shortcut_lanes_end_every_start_as_one_at_a_time() {
        let tile = open_tile("N52W007");
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
        // A void inland (rows 80-95, columns 150-170 of the window).
        let mut holed = raw.clone();
        holed
            .slice_mut(ndarray::s![80..96, 150..171])
            .fill(f32::NAN);
        // Tight budgets and an impatient walker stop many walks in the
        // lanes, by `max_steps` and by patience.
        let tight = StopRules {
            max_steps: 40,
            ..StopRules::default()
        };
        let impatient = StopRules {
            patience: 1,
            tolerance_m: 2.0,
            ..StopRules::default()
        };
        let cases = [
            (raw, false, StopRules::default(), 1),
            (raw_again(&tile, window), false, tight, 1),
            (holed, false, impatient, 1),
            (filled.clone(), true, StopRules::default(), 1),
            (filled.clone(), true, StopRules::default(), 2),
            (filled, true, impatient, 1),
        ];
        for (heights, resolve_stalls, rules, stride) in cases {
            dem.heights = heights;
            let s = gd_settings(&dem, rules, stride, resolve_stalls);
            lanes_end_as_one_at_a_time(&dem, &metrics, Some(&sea), &s);
        }
    }

    /// Walks blocked in their D8 moves go on from where they stopped
    /// ([`Walk::resume`]) and end as when redone: on a window of N43E006
    /// (hills east of Draguignan, filled, stalls resolved), every start
    /// is walked against a memo that knows nothing at first, each block
    /// answered by copying in the ending [`resolve`] found for the start
    /// it waits on, the walk then resumed; each must end, after the same
    /// steps and moves, as the walk redone with every lower start known.
    #[test]
    fn walks_blocked_in_d8_moves_end_as_redone() {
        let tile = open_tile("N43E006");
        // Rows 300-540 and columns 700-940.
        let window = crate::geo::Bounds::new(6.5833, 43.55, 6.7833, 43.75);
        let mut dem = crate::basins::crop::crop(&tile, window).unwrap();
        let metrics = RowMetrics::of(&dem);
        crate::basins::fill::priority_flood(&mut dem.heights, &metrics, 0.0, None);
        let s = gd_settings(&dem, StopRules::default(), 1, true);
        let heights = &dem.heights;
        let gradient = GradientGrid::compute(&dem, crate::terrain::GradientScheme::Central);
        let field = GridField::new(heights, &gradient, &metrics);
        let (rows, cols) = heights.dim();
        let starts: Vec<u32> = (0..(rows * cols) as u32).collect();
        let starts = in_height_order(&starts, heights);
        let (known, answered) = (
            memo_words(&starts, rows * cols),
            memo_words(&starts, rows * cols),
        );
        let reference = Memo { words: &known };
        let (mut stack, mut tally) = (Vec::new(), Tally::default());
        for &i in &starts {
            resolve(&field, heights, &s, &reference, i, &mut stack, &mut tally);
        }
        let memo = Memo { words: &answered };
        let answer = |j: u32| {
            let k = known[j as usize].load(Ordering::Relaxed);
            answered[j as usize].store(k, Ordering::Relaxed);
        };
        let agent = Agent {
            kind: s.kind,
            params: s.params,
        };
        let reference_for = |t: u32| Shortcut {
            memo: &reference,
            own: reference.rank(t as usize),
        };
        let (mut d8_blocks, mut hook_blocks) = (0, 0);
        for &t in &starts {
            let shortcut = Shortcut {
                memo: &memo,
                own: memo.rank(t as usize),
            };
            let (r, c) = (t as usize / cols, t as usize % cols);
            let mut walk = loop {
                match Walk::begin(&field, heights, &s, r, c, Some(shortcut)) {
                    Ok(walk) => break Some(walk),
                    // Settled before a step, or waiting to be: redone.
                    Err(Attempt::Blocked { cell, .. }) => answer(cell),
                    Err(Attempt::Done { .. }) => break None,
                }
            };
            let Some(walk) = walk.as_mut() else { continue };
            // What the resumed walk said, if anything; else it steps on.
            let mut said = None;
            let done = loop {
                let over = said.take().unwrap_or_else(|| loop {
                    if let Some(over) = walk.advance(&agent, &field, heights, &s) {
                        break over;
                    }
                });
                let Attempt::Blocked { cell, paused, .. } = over else {
                    break over;
                };
                assert!(paused, "a walk under way is paused, not redone");
                if walk.blocked_in_d8() {
                    d8_blocks += 1;
                } else {
                    hook_blocks += 1;
                }
                answer(cell);
                said = walk.resume(&field, &s);
            };
            // The walk redone with every lower start known takes the same
            // steps and moves to the same end.
            let redone = walk_one(&field, heights, &s, r, c, Some(reference_for(t)));
            assert_eq!(done, redone, "start ({r}, {c})");
            answer(t);
        }
        assert!(d8_blocks > 100, "{d8_blocks} walks blocked in D8 moves");
        assert!(hook_blocks > 100, "{hook_blocks} walks paused by the hook");
    }

    fn open_tile(name: &str) -> crate::dem::Dem {
        let path = format!("{}/data/{name}.hgt", env!("CARGO_MANIFEST_DIR"));
        crate::dem::open(
            std::path::Path::new(&path),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap()
    }

    fn gd_settings(
        dem: &crate::dem::Dem,
        rules: StopRules,
        stride: usize,
        resolve_stalls: bool,
    ) -> WalkSettings {
        WalkSettings {
            kind: AgentKind::Gd,
            params: StepParams {
                alpha: default_gd_alpha(dem),
                ..StepParams::default_for(AgentKind::Gd)
            },
            rules,
            stride,
            exact: false,
            resolve_stalls,
        }
    }

    /// Asserts that the lanes (`walk_all`) end every start of `dem` as
    /// [`resolve`] does, one at a time in height order, and that most
    /// take a shortcut.
    fn lanes_end_as_one_at_a_time(
        dem: &crate::dem::Dem,
        metrics: &RowMetrics,
        sea: Option<&crate::dem::SeaMask>,
        s: &WalkSettings,
    ) {
        let heights = &dem.heights;
        let gradient = GradientGrid::compute(dem, crate::terrain::GradientScheme::Central);
        let field = GridField::new(heights, &gradient, metrics);
        let field = match sea {
            Some(sea) => field.with_sea(sea),
            None => field,
        };
        let (stride, resolve_stalls, rules) = (s.stride, s.resolve_stalls, s.rules);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert!(
                walkers_in_lanes(&field, s),
                "the registers step these walkers"
            );
        } else {
            eprintln!("this CPU has no AVX2: the walkers' register lanes are not tested");
        }
        let never = AtomicBool::new(false);
        let lanes = walk_all(&field, heights, s, &|_| {}, &never);
        // One at a time: the same starts, in the same order.
        let (rows, cols) = heights.dim();
        let starts: Vec<u32> = (0..rows * cols)
            .filter(|&i| lanes.end[i] != NO_START)
            .map(|i| i as u32)
            .collect();
        assert_eq!(starts.len(), lanes.starts);
        let starts = in_height_order(&starts, heights);
        let known = memo_words(&starts, rows * cols);
        let memo = Memo { words: &known };
        let (mut stack, mut tally) = (Vec::new(), Tally::default());
        for &i in &starts {
            resolve(&field, heights, s, &memo, i, &mut stack, &mut tally);
        }
        let mut shortcuts = 0;
        for &i in &starts {
            let (end, ending) = unpack(known[i as usize].load(Ordering::Relaxed)).unwrap();
            let at = (i as usize / cols, i as usize % cols);
            assert_eq!(
                (lanes.end[i as usize], lanes.ending[i as usize]),
                (end, ending as u8),
                "start {at:?}, stride {stride}, stalls resolved {resolve_stalls}, {rules:?}"
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
        // Counted from the memo, the lanes' shortcuts are those of one
        // start at a time, whoever settled each start.
        assert_eq!(lanes.shortcuts, tally.shortcuts);
    }

    /// The raw heights of the test window of N52W007.
    fn raw_again(tile: &crate::dem::Dem, window: crate::geo::Bounds) -> ndarray::Array2<f32> {
        crate::basins::crop::crop(tile, window).unwrap().heights
    }
}
