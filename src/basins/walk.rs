//! Many walkers at once: one walker per start, and the parallel driver.
//!
//! Each start runs the agents' own descent loop,
//! [`Agent::walk`](crate::agents::Agent::walk), on a [`GridField`]: the
//! same update rules and the same [`StopRules`] as `drop`, in the same
//! order, with a recorder that keeps nothing except where the walker ended
//! (`memo.rs`). What `basins` adds is at the ends of that loop:
//! where a stop rule leaves the walker (`finish`), D8 moves on filled
//! ground (`d8.rs`) and the gd shortcut below.
//!
//! # The gd shortcut, and what is exact
//!
//! With `exact = false` and the memoryless walker (`gd`), starts are ordered
//! by their height (ties by raster index). A walker that enters (its
//! position rounds to) the centre cell of a *lower* start takes that
//! start's ending, which is itself defined the same way (the recursion ends
//! because every link goes strictly down the order), provided the lower
//! starts at the four corners of the bilinear cell it is in (the samples
//! whose gradients move it) all end there too (or in sinks within one cell
//! of it, which labelling merges into one basin); where they do not, a divide
//! passes close by and it walks on, checking again at the next cell it
//! enters. Stall moves (below) take the ending of the cell they move to.
//! This is **approximate**: the walker is somewhere in that cell, not at
//! its centre, so the two share a fate only if no drainage divide of the
//! walker's flow passes between the two positions unseen by the corner
//! check, and if the step budget and patience counter would not have ended
//! the walk differently. Disagreements are confined to cells next to a
//! divide (measured against `exact = true` in `tests/basins_d8.rs` and
//! reported in the README). The result is a function of the terrain and the
//! settings alone: threads take starts lowest first, and a walker that
//! needs the ending of a lower start nobody has finished yet computes it
//! itself, so neither the thread count nor the scheduling changes it.
//!
//! On a filled surface (stalls resolved, below) many starts are settled
//! before their first step (`settled_start`): where all eight neighbours
//! are starts, the lower ones all end in one basin, and the descent at the
//! start heads straight into a lower neighbour's cell, the start takes the
//! lowest neighbour's ending. Its walker would have crawled out of its own
//! cell (on gentle slopes, dozens to hundreds of steps of a few
//! centimetres) into that cell, where the corner check above, whose
//! corners are the start and three of these neighbours, hands it the same
//! basin; a walker that stalls on the way moves to its steepest lower
//! neighbour, again into that basin. Only a path that curves into another
//! neighbour's cell first can end otherwise: on the SRTM1-sized benchmark
//! grid the basins are identical to those of walking every start out of
//! its cell, on N52W007 99.999 % of the cells keep their basin, and the
//! agreement with full simulation is unchanged (README, "Exact and
//! approximate"), for 2.6-1.8x fewer steps.
//!
//! # Stalls on a filled surface
//!
//! Priority-Flood leaves every cell of a filled surface with a strictly
//! lower neighbour, so it has no pits; yet gd on the bilinear
//! central-difference gradient still stalls on it where the gradient is
//! shorter than `tolerance / α`: on gentle filled slopes, and in one-cell
//! channels running diagonally, where the east-west and north-south
//! differences are taken across the channel's banks and cancel. With
//! `resolve_stalls` (set by `--fill`), a walker that converges on a cell
//! with a lower neighbour moves to the centre of the steepest one (drop per
//! metre), at rest, and walks on; the moves are counted and reported
//! (`stall_moves`). Divides are still drawn by the walkers, which on
//! hillslopes never stall; the moves only carry them along valley floors
//! the gradient cannot resolve. A walker that stalls again no lower than
//! its previous stall continues by D8 moves only, so no walker cycles, and
//! so does a walker whose step budget runs out (gd bouncing across a valley
//! too sharp for its α); D8-only moves strictly descend, so they end
//! without a budget.
//! Such a bouncing walker is usually caught in a cycle of a few steps,
//! its position repeating bit for bit, for the rest of its budget (the
//! default 100 000 steps): a gd walk still going after
//! [`CYCLE_PROBE_FROM`] steps looks for a cycle, and the whole laps left
//! within its budget are counted as taken without being simulated
//! (`Walk::advance_probing`), so it ends exactly as before, in the same
//! cell after the same count, at a fraction of the cost. The steps the
//! report calls simulated leave those laps out.
//! Likewise a walker that leaves the filled raster continues from its exit
//! cell by D8 moves along the edge to the cell with no lower neighbour
//! that the fill made the outlet. Without `--fill` stalls are sinks and an
//! exit cell is its own outlet.
//!
//! With `exact = true`, or for the momentum agents (whose state includes a
//! velocity, so the cell they enter says nothing about their fate), every
//! start is simulated in full.

/// Default step of the basins walker (`gd`), in cells per unit slope: α is
/// this many times the shorter side of a cell (at the grid's middle row),
/// so a slope of 2/3 moves a walker one cell per step, at any resolution.
///
/// A basin walker has to find which way each cell drains, not mimic a
/// person's stride (the hill-walker of `drop` uses 10 m). Basins of gradient
/// descent converge to those of the gradient flow as α shrinks, and they
/// stay the same while steps are short against a cell; tying α to the cell
/// keeps that ratio on SRTM1 and SRTM3 alike, and gives a formula's grid an
/// α in its own units. On the bundled SRTM3 tiles it is 85 m (N52W007) and
/// 101 m (N43E006, N43E007). Measured with `--fill` against the D8 oracle
/// (`tests/basins_d8.rs`), any α from 10 m to 120 m gives the same
/// agreement there (within 0.01 points), and the shortcut's basins at
/// 100 m match full simulation at 10 m on 99.45-99.53 % of the cells of a
/// gentle and of a steep box, as at 40 m; larger steps only mean fewer of
/// them.
pub const DEFAULT_GD_ALPHA_CELLS: f64 = 1.5;

/// The default α of the basins walker on `dem`, metres (or the grid's
/// planar units) per unit slope: [`DEFAULT_GD_ALPHA_CELLS`] times the
/// shorter side of a cell at the middle row.
pub fn default_gd_alpha(dem: &crate::dem::Dem) -> f64 {
    let middle = (dem.rows().saturating_sub(1)) as f64 / 2.0;
    let (dx, dy) = dem.cell_size_m(middle);
    DEFAULT_GD_ALPHA_CELLS * dx.min(dy)
}

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ndarray::Array2;
use rayon::prelude::*;

use super::d8::{d8_moves, d8_moves_resumed, D8};
use super::field::GridField;
use super::memo::{MemoRecorder, Shortcut};
use super::starts::{in_height_order, picked_from_order, StartBits};
use crate::agents::{Agent, AgentKind, AgentState, Halt, StepParams, Stop, StopReason, StopRules};
use crate::geo::Xy;
use crate::terrain::{floor_index, Surface, Vector};

/// Marks a cell where no walker started.
pub const NO_START: u32 = u32::MAX;

/// How to run the walkers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkSettings {
    /// The agent.
    pub kind: AgentKind,
    /// Its step parameters (α in metres per unit slope, β).
    pub params: StepParams,
    /// When to stop.
    pub rules: StopRules,
    /// Start on every `stride`-th row and column (1 = every cell).
    pub stride: usize,
    /// Switch the gd shortcut off: simulate every start in full.
    pub exact: bool,
    /// Resolve stalls on a filled surface: a walker that converges on a
    /// cell with a strictly lower neighbour moves to the centre of the
    /// steepest one (at rest) and walks on. See the module documentation.
    pub resolve_stalls: bool,
}

/// Where every walker ended.
#[derive(Debug, Clone)]
pub struct Walks {
    /// Per cell (row-major): the index of the cell the walker started there
    /// ended in, or [`NO_START`].
    pub end: Vec<u32>,
    /// Per cell: the [`StopReason`] as `u8` (meaningless where `end` is `NO_START`).
    pub ending: Vec<u8>,
    /// Number of walkers.
    pub starts: usize,
    /// Steps simulated, summed over walkers (steps skipped by the shortcut
    /// and the laps of a cycle known to repeat not counted).
    pub steps: u64,
    /// Walkers stopped early by the gd shortcut.
    pub shortcuts: usize,
    /// Stalls resolved by a move to the steepest lower neighbour, summed over walkers.
    pub stall_moves: u64,
}

/// The cell nearest to fractional position `p`, clamped into the grid.
#[inline]
pub(super) fn nearest_cell(p: Xy, rows: usize, cols: usize) -> (usize, usize) {
    // `floor_index` is `floor` for the non-negative values, 0 for NaN
    // and negative ones; no libm call.
    let r = floor_index(p.y + 0.5).min(rows - 1);
    let c = floor_index(p.x + 0.5).min(cols - 1);
    (r, c)
}

/// The void cell nearest to `p` within two cells (where a stencil that
/// failed can reach), or the cell under `p` if none is found.
fn nearest_void(heights: &Array2<f32>, p: Xy) -> (usize, usize) {
    let (rows, cols) = heights.dim();
    let (r, c) = nearest_cell(p, rows, cols);
    let mut best: Option<((usize, usize), f64)> = None;
    for rr in r.saturating_sub(2)..(r + 3).min(rows) {
        for cc in c.saturating_sub(2)..(c + 3).min(cols) {
            if heights[[rr, cc]].is_nan() {
                let d = (rr as f64 - p.y).hypot(cc as f64 - p.x);
                if !matches!(best, Some((_, bd)) if bd <= d) {
                    best = Some(((rr, cc), d));
                }
            }
        }
    }
    best.map_or((r, c), |(cell, _)| cell)
}

/// How one attempt at a walk ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Attempt {
    /// The walk is over.
    Done {
        /// The cell it ended in (row-major index).
        end: u32,
        /// Why it ended there.
        ending: StopReason,
        /// Steps simulated (D8 moves included).
        steps: u32,
        /// `true` when it took over a lower start's ending (the gd shortcut).
        shortcut: bool,
        /// Stalls resolved by D8 moves.
        stall_moves: u32,
    },
    /// It entered the cell of a lower start whose ending is not known yet;
    /// `steps` were simulated before. `paused` when the memo's hook
    /// stopped it between two steps or its D8 moves stopped in `cell`: the
    /// [`Walk`] can go on from there once `cell` is known
    /// ([`Walk::resume`]); otherwise (a start settled before its first
    /// step, [`settled_start`]) it is redone.
    Blocked { cell: u32, steps: u32, paused: bool },
}

/// Where a walker stands between runs of the descent loop: its step count,
/// the D8 moves taken, and the state of stall resolution.
struct Walker {
    step: usize,
    moves: u32,
    /// The height (metres) of the last stall resolved, to detect a walker
    /// that stalls again no lower.
    last_stall_z: f64,
    /// Once set, stalls are resolved by D8 moves only, to the end.
    d8_only: bool,
    /// Where its D8 moves were blocked (the pending start's cell), with
    /// the `d8_only` they ran with: [`Walk::resume`] goes on from there.
    d8_blocked: Option<(u32, bool)>,
    /// Steps among `step` that were not simulated: whole laps of a cycle
    /// the walker was found in ([`Walk::advance_probing`]).
    repeated: usize,
}

/// How the walk of the start at (`r`, `c`) ends before its first step
/// under the gd shortcut, if it does: on a filled surface (stalls
/// resolved, no `stop_below`), a start whose neighbours are all starts,
/// whose lower neighbours all end in one basin ([`Memo::settled`], or
/// blocked by one not finished yet) and whose descent heads straight into
/// a lower neighbour's cell ([`GridField::first_cell_downhill`]). Its
/// walker would leave its cell into that one and take its ending there
/// (see [`super::memo`]); checking the cell it heads for keeps out the
/// starts whose walkers cross into a higher neighbour's cell first, whose
/// fate the lower neighbours do not tell.
///
/// [`Memo::settled`]: super::memo::Memo::settled
pub(super) fn settled_start(
    field: &GridField<'_>,
    s: &WalkSettings,
    r: usize,
    c: usize,
    sc: Shortcut<'_, '_>,
) -> Option<Attempt> {
    if !s.resolve_stalls || s.rules.stop_below.is_some() {
        return None;
    }
    let (rows, cols) = (field.rows(), field.cols());
    if r == 0 || c == 0 || r + 1 >= rows || c + 1 >= cols {
        return None;
    }
    // No height is read: every neighbour must be a start, which the memo
    // tells, and a void (or sea) sample is none. A void neighbour makes
    // the slopes here NaN, and then no neighbour is the first downhill.
    if let Some((nr, nc)) = field.first_cell_downhill(r, c) {
        if !sc.memo.is_lower_start(nr * cols + nc, sc.own) {
            return None;
        }
    }
    let settled = sc.memo.settled(r, c, rows, cols, sc.own);
    debug_assert!(
        settled == Ok(None)
            || (r - 1..=r + 1)
                .all(|nr| (c - 1..=c + 1).all(|nc| field.sample_height(nr, nc).is_finite())),
        "a start settled beside a void at ({r}, {c})"
    );
    match settled {
        Ok(Some((end, ending))) => Some(Attempt::Done {
            end,
            ending,
            steps: 0,
            shortcut: true,
            stall_moves: 0,
        }),
        Ok(None) => None,
        Err(j) => Some(Attempt::Blocked {
            cell: j,
            steps: 0,
            paused: false,
        }),
    }
}

impl Walker {
    /// The cell to walk on from after a run of D8 moves that ran with
    /// `d8_only`, or how the walk ended or was blocked (kept, to go on).
    fn after_d8(&mut self, d8: D8, d8_only: bool) -> Result<(usize, usize), Attempt> {
        match d8 {
            D8::Resume(cell) => Ok(cell),
            // Its steps are in `self.step`, the moves counted there.
            D8::Done {
                end,
                ending,
                shortcut,
            } => Err(Attempt::Done {
                end,
                ending,
                steps: self.simulated(),
                shortcut,
                stall_moves: self.moves,
            }),
            D8::Blocked(cell) => {
                self.d8_blocked = Some((cell, d8_only));
                Err(Attempt::Blocked {
                    cell,
                    steps: self.simulated(),
                    paused: true,
                })
            }
        }
    }

    /// The steps simulated so far: `step` but the laps of a cycle skipped.
    fn simulated(&self) -> u32 {
        (self.step - self.repeated) as u32
    }

    /// The walk is over, in cell `end`, after `steps` steps simulated.
    fn done(&self, end: u32, ending: StopReason, steps: u32) -> Attempt {
        Attempt::Done {
            end,
            ending,
            steps,
            shortcut: false,
            stall_moves: self.moves,
        }
    }
}

/// One walker from the centre of cell (`r`, `c`), consulting the memo as
/// the start of rank `shortcut.own` if given: the agents' own descent loop
/// ([`Agent::walk`]), resumed after each stall that D8 moves resolve. The
/// reference the interleaved lanes are tested against.
#[cfg(test)]
pub(super) fn walk_one(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    r: usize,
    c: usize,
    shortcut: Option<Shortcut<'_, '_>>,
) -> Attempt {
    let mut walk = match Walk::begin(field, heights, s, r, c, shortcut) {
        Ok(walk) => walk,
        Err(over) => return over,
    };
    let agent = Agent {
        kind: s.kind,
        params: s.params,
    };
    loop {
        if let Some(over) = walk.advance(&agent, field, heights, s) {
            return over;
        }
    }
}

/// One `walk_one` (the test reference) in progress, advanced a step at a time
/// ([`Walk::advance`]) so that one thread can interleave several
/// independent walks (`walk_lanes`).
pub(super) struct Walk<'f, 'a, 'm> {
    /// The agent's position, fractional (column, row).
    x: Xy,
    state: AgentState,
    /// The patience counter of [`Agent::advance`].
    still: usize,
    w: Walker,
    /// Also holds the memo consulted, if any (`finish` needs it too).
    recorder: MemoRecorder<'f, 'a, 'm>,
    /// The step count at which the walk next looks for a cycle
    /// ([`Walk::advance_probing`]); `usize::MAX` for none.
    probe_at: usize,
}

impl<'f, 'a, 'm> Walk<'f, 'a, 'm> {
    /// A walker at rest on the centre of cell (`r`, `c`), or how its walk
    /// ends before a step (a void or a start below `stop_below`).
    #[inline]
    pub(super) fn begin(
        field: &'f GridField<'f>,
        heights: &Array2<f32>,
        s: &WalkSettings,
        r: usize,
        c: usize,
        shortcut: Option<Shortcut<'a, 'm>>,
    ) -> Result<Self, Attempt> {
        let cols = field.cols();
        let start = Xy::new(c as f64, r as f64);
        let w = Walker {
            step: 0,
            moves: 0,
            last_stall_z: f64::INFINITY,
            d8_only: false,
            d8_blocked: None,
            repeated: 0,
        };
        let z0 = match field.elevation(start) {
            Ok(z) => z,
            Err(_) => {
                let (vr, vc) = nearest_void(heights, start);
                return Err(w.done((vr * cols + vc) as u32, StopReason::Void, 0));
            }
        };
        if s.rules.stop_below.is_some_and(|b| z0 < b) {
            return Err(w.done((r * cols + c) as u32, StopReason::Below, 0));
        }
        if let Some(over) = shortcut.and_then(|sc| settled_start(field, s, r, c, sc)) {
            return Err(over);
        }
        Ok(Walk {
            x: start,
            state: AgentState::new(s.kind, Vector::ZERO),
            still: 0,
            w,
            recorder: MemoRecorder::new(field, shortcut, (r, c)),
            probe_at: if s.kind == AgentKind::Gd {
                CYCLE_PROBE_FROM
            } else {
                usize::MAX
            },
        })
    }

    /// One step of the agent, or, when its walk stops, `finish` there:
    /// `Some` once the walk is over; after a stall resolved by D8 moves it
    /// walks on, at rest, from the cell they reached.
    #[inline(always)]
    pub(super) fn advance(
        &mut self,
        agent: &Agent,
        field: &GridField<'_>,
        heights: &Array2<f32>,
        s: &WalkSettings,
    ) -> Option<Attempt> {
        if self.w.step >= self.probe_at {
            return self.advance_probing(agent, field, heights, s);
        }
        match self.step_once(agent, field, &s.rules) {
            ControlFlow::Continue(()) => None,
            ControlFlow::Break(halt) => self.halted(halt, field, heights, s),
        }
    }

    /// [`Walk::advance`] for `CYCLE_WINDOW` steps at most, looking for a
    /// cycle (Brent's method): a gd walker's state is its position and its
    /// patience counter, so once both repeat after `lap` ordinary steps
    /// (no stop rule fired, the memo's hook let it on), the walker goes
    /// round the same `lap` steps until its budget runs out. The memo's
    /// answers on the way were final (a pending start would have paused
    /// it; a known ending never changes), and stall resolution, which
    /// changes the walker's state, is a stop, so nothing else can end the
    /// laps. The whole laps left within the budget are counted as taken,
    /// not simulated: the walk goes on from the same position with the
    /// same count to its budget's end as it would have. A walk in a cycle
    /// runs out of budget, so only walks longer than [`CYCLE_PROBE_FROM`]
    /// steps are probed, in windows at doubling step counts.
    #[cold]
    #[inline(never)]
    fn advance_probing(
        &mut self,
        agent: &Agent,
        field: &GridField<'_>,
        heights: &Array2<f32>,
        s: &WalkSettings,
    ) -> Option<Attempt> {
        let key = |w: &Self| (w.x.x.to_bits(), w.x.y.to_bits(), w.still);
        let mut saved = key(self);
        let (mut power, mut lap) = (1usize, 0usize);
        self.probe_at = self.w.step.saturating_mul(2);
        for _ in 0..CYCLE_WINDOW {
            // Only ordinary steps: a halt (a stop rule, the memo's answer)
            // ends the window.
            if let ControlFlow::Break(halt) = self.step_once(agent, field, &s.rules) {
                return self.halted(halt, field, heights, s);
            }
            lap += 1;
            let now = key(self);
            if now == saved {
                let left = s.rules.max_steps.saturating_sub(self.w.step);
                let skipped = left - left % lap;
                self.w.step += skipped;
                self.w.repeated += skipped;
                self.probe_at = usize::MAX;
                return None;
            }
            if lap == power {
                (saved, power, lap) = (now, power * 2, 0);
            }
        }
        None
    }

    /// One step of the agent by its own loop, or why it halts.
    #[inline(always)]
    fn step_once(
        &mut self,
        agent: &Agent,
        field: &GridField<'_>,
        rules: &StopRules,
    ) -> ControlFlow<Halt<Result<(u32, StopReason), u32>>> {
        agent.advance(
            field,
            &mut self.x,
            &mut self.state,
            rules,
            &mut self.w.step,
            &mut self.still,
            &mut self.recorder,
        )
    }

    /// After a halt of the agent's loop: the memo's answer handed off, or
    /// the stop rule's `finish`, after which the walk may go on.
    #[inline(always)]
    fn halted(
        &mut self,
        halt: Halt<Result<(u32, StopReason), u32>>,
        field: &GridField<'_>,
        heights: &Array2<f32>,
        s: &WalkSettings,
    ) -> Option<Attempt> {
        let stop = match halt {
            Halt::Rule(stop) => stop,
            Halt::Hook(answer) => return Some(self.handoff(answer)),
        };
        let finished = finish(field, heights, s, stop, self.recorder.shortcut, &mut self.w);
        self.walk_on(finished, s)
    }

    /// After a stop rule's finish: walks on from the cell D8 moves
    /// reached (`None`), at rest, or the walk's end or block.
    #[inline(always)]
    fn walk_on(
        &mut self,
        finished: Result<(usize, usize), Attempt>,
        s: &WalkSettings,
    ) -> Option<Attempt> {
        match finished {
            Ok(cell) => {
                // A fresh run of the loop: at rest, patience counter reset.
                self.x = Xy::new(cell.1 as f64, cell.0 as f64);
                self.state = AgentState::new(s.kind, Vector::ZERO);
                self.still = 0;
                self.recorder.here = cell;
                None
            }
            Err(over) => Some(over),
        }
    }

    /// Where a walker stands for a step in a lane
    /// (`super::walker_lanes::walk4`): its position (fractional column and
    /// row), steps taken, patience counter, and the cell the memo last saw
    /// it in (row, column).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) fn lane_view(&self) -> (Xy, usize, usize, (usize, usize)) {
        (self.x, self.w.step, self.still, self.recorder.here)
    }

    /// The step count up to which a lane may take this walk's ordinary
    /// steps (given the budget `max_steps`): the budget, or the count
    /// where [`Walk::advance`] looks for a cycle.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) fn step_limit(&self, max_steps: usize) -> usize {
        max_steps.min(self.probe_at)
    }

    /// Sets where a walker stands after ordinary steps computed in a lane
    /// (what [`Walk::advance`] does when no stop rule fires and the memo's
    /// hook stays silent): at `x` after `step` steps, with patience counter
    /// `still`.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) fn set_lane_view(&mut self, x: Xy, step: usize, still: usize) {
        self.x = x;
        self.w.step = step;
        self.still = still;
    }

    /// Asks the memo again where its hook paused the walk (an
    /// [`Attempt::Blocked`] with `paused`), once the start it waited for
    /// may be known: `Some` when the walk is over or blocked again, `None`
    /// to step on; the answer the hook gives there with that start known,
    /// so a resumed walk ends as one redone from its start would (every
    /// cell and corner it consulted before was known or no lower start,
    /// and stays so).
    ///
    /// A walk whose D8 moves were blocked goes on with them from the cell
    /// where they stopped ([`d8_moves_resumed`]).
    pub(super) fn resume(&mut self, field: &GridField<'_>, s: &WalkSettings) -> Option<Attempt> {
        if let Some((cell, d8_only)) = self.w.d8_blocked.take() {
            let cols = field.cols();
            let at = (cell as usize / cols, cell as usize % cols);
            let shortcut = self.recorder.shortcut;
            let w = &mut self.w;
            let d8 = d8_moves_resumed(field, s, at, d8_only, shortcut, &mut w.step, &mut w.moves);
            let finished = w.after_d8(d8, d8_only);
            return self.walk_on(finished, s);
        }
        match self.recorder.ask(self.x) {
            ControlFlow::Continue(()) => None,
            ControlFlow::Break(answer) => Some(self.handoff(answer)),
        }
    }

    /// Whether the walk was blocked in its D8 moves (and [`Walk::resume`]
    /// goes on with them).
    #[cfg(test)]
    pub(super) fn blocked_in_d8(&self) -> bool {
        self.w.d8_blocked.is_some()
    }

    /// The attempt the memo's answer ends: a known ending taken over, or
    /// blocked (paused) by a pending lower start.
    fn handoff(&self, answer: Result<(u32, StopReason), u32>) -> Attempt {
        match answer {
            Ok((end, ending)) => Attempt::Done {
                end,
                ending,
                steps: self.w.simulated(),
                shortcut: true,
                stall_moves: self.w.moves,
            },
            Err(cell) => Attempt::Blocked {
                cell,
                steps: self.w.simulated(),
                paused: true,
            },
        }
    }
}

/// The step count at which a gd walk first looks for a cycle
/// ([`Walk::advance_probing`]): past almost every walk's end (on the SRTM3
/// tiles a few hundred of a million walk longer), well before the default
/// budget of [`StopRules`].
pub(super) const CYCLE_PROBE_FROM: usize = 4096;

/// Steps of one look for a cycle: cycles of up to half as many steps are
/// found (on the tiles, of 2 to 16 steps: gd bouncing across a channel).
const CYCLE_WINDOW: usize = 256;

/// How many walks [`walk_lanes`] interleaves on one thread.
pub(super) const LANES: usize = 4;

/// The walks from `starts` (row-major cell indices) without a memo, `LANES`
/// at a time on this thread: each turn advances every lane by one step, so
/// the processor overlaps their dependency chains (one walk's step waits on
/// its previous step's position; different walks' steps do not wait on each
/// other). A lane whose walk ends takes the next start. Every walk takes
/// exactly the steps it takes alone (`walk_one`), so the endings do not
/// depend on the interleaving. `None` for starts not run because `cancel`
/// was set.
fn walk_lanes(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    starts: &[u32],
    cancel: &AtomicBool,
) -> Vec<Option<Attempt>> {
    #[cfg(target_arch = "x86_64")]
    if balls_in_lanes(field, s) {
        // SAFETY: `balls_in_lanes` checked that the CPU has AVX2 and the
        // grid's size.
        return unsafe {
            if s.kind == AgentKind::Nesterov {
                walk_ball_lanes::<true>(field, heights, s, starts, cancel)
            } else {
                walk_ball_lanes::<false>(field, heights, s, starts, cancel)
            }
        };
    }
    let mut batch = Batch::new(field, heights, s, starts, cancel);
    let mut lanes = Vec::with_capacity(LANES);
    while lanes.len() < LANES {
        match batch.take() {
            Some(lane) => lanes.push(lane),
            None => break,
        }
    }
    if let Ok(full) = <&mut [(usize, Walk<'_, '_, '_>); LANES]>::try_from(lanes.as_mut_slice()) {
        // The lane left empty when the starts run out.
        let empty = 'turns: loop {
            for (j, lane) in full.iter_mut().enumerate() {
                if let Some(over) = batch.advance(&mut lane.1) {
                    batch.out[lane.0] = Some(over);
                    match batch.take() {
                        Some(next) => *lane = next,
                        None => break 'turns j,
                    }
                }
            }
        };
        lanes.swap_remove(empty);
    }
    batch.finish_alone(lanes)
}

/// The starts a thread's lanes walk ([`walk_lanes`], `walk_ball_lanes`):
/// their walks handed out in order, and their endings.
struct Batch<'b, 'f> {
    field: &'f GridField<'f>,
    heights: &'b Array2<f32>,
    s: &'b WalkSettings,
    agent: Agent,
    starts: &'b [u32],
    cancel: &'b AtomicBool,
    /// The index in `starts` of the next start to hand out.
    next: usize,
    /// The endings so far, by index in `starts`.
    out: Vec<Option<Attempt>>,
}

impl<'b, 'f> Batch<'b, 'f> {
    fn new(
        field: &'f GridField<'f>,
        heights: &'b Array2<f32>,
        s: &'b WalkSettings,
        starts: &'b [u32],
        cancel: &'b AtomicBool,
    ) -> Self {
        Batch {
            field,
            heights,
            s,
            agent: Agent {
                kind: s.kind,
                params: s.params,
            },
            starts,
            cancel,
            next: 0,
            out: vec![None; starts.len()],
        }
    }

    /// The next start that needs a step (its index in `starts`) with its
    /// walk begun, recording the endings of those that need none; `None`
    /// once the starts are out or `cancel` is set.
    fn take(&mut self) -> Option<(usize, Walk<'f, 'static, 'static>)> {
        let cols = self.field.cols();
        while self.next < self.starts.len() && !self.cancel.load(Ordering::Relaxed) {
            let k = self.next;
            self.next += 1;
            let i = self.starts[k] as usize;
            match Walk::begin(self.field, self.heights, self.s, i / cols, i % cols, None) {
                Ok(walk) => return Some((k, walk)),
                Err(over) => self.out[k] = Some(over),
            }
        }
        None
    }

    /// One step of `walk` by the agents' own loop ([`Walk::advance`]).
    #[inline(always)]
    fn advance(&self, walk: &mut Walk<'f, '_, '_>) -> Option<Attempt> {
        walk.advance(&self.agent, self.field, self.heights, self.s)
    }

    /// The endings, once `walks` (each with its index in `starts`) are
    /// walked to their ends one after the other.
    fn finish_alone(
        mut self,
        walks: impl IntoIterator<Item = (usize, Walk<'f, 'static, 'static>)>,
    ) -> Vec<Option<Attempt>> {
        for (at, mut walk) in walks {
            self.out[at] = loop {
                if let Some(over) = self.advance(&mut walk) {
                    break Some(over);
                }
            };
        }
        self.out
    }
}

/// `true` when [`walk_lanes`] steps its walkers four at a time in AVX2
/// lanes ([`walk_ball_lanes`]): heavy or Nesterov balls, where the lanes
/// fit ([`lanes_fit`](super::lane_grid::lanes_fit)).
#[cfg(target_arch = "x86_64")]
fn balls_in_lanes(field: &GridField<'_>, s: &WalkSettings) -> bool {
    matches!(s.kind, AgentKind::Momentum | AgentKind::Nesterov)
        && super::lane_grid::lanes_fit(field, s.rules.stop_below)
}

/// [`walk_lanes`] for heavy balls (or, with `NESTEROV`, Nesterov's),
/// [`BALL_LANES`] at a time in the lanes of AVX2 registers ([`super::ball_lanes::step4`]), where their positions,
/// velocities, step counts and patience counters stay from one step to
/// the next. Each turn steps the four walks; a walk whose step is ordinary
/// (no stop rule fires: inside before and after, no void, no coast, a
/// finite move, within its budget and patience) takes the lanes' result,
/// which is the scalar step's bit for bit; any other step is redone by
/// [`Walk::advance`], which applies the stop rule (or resolves the stall)
/// as it does alone. So every walk takes exactly the steps it takes alone,
/// as in [`walk_lanes`]. Once the starts run out, the walks left move into
/// the first lanes and only the groups holding one are stepped: the last
/// walks of a batch (the longest, often balls orbiting in a pit to the end
/// of their budget) keep overlapping their steps.
///
/// # Safety
/// The CPU must support AVX2; the grid must have fewer than 2^31 rows and
/// columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn walk_ball_lanes<const NESTEROV: bool>(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    starts: &[u32],
    cancel: &AtomicBool,
) -> Vec<Option<Attempt>> {
    use super::ball_lanes::{step4, Balls};
    use std::arch::x86_64::*;
    let (alpha, beta) = (s.params.alpha, s.params.beta);
    let tolerance_sq = s.rules.tolerance_m * s.rules.tolerance_m;
    let mut batch = Batch::new(field, heights, s, starts, cancel);
    // Filled in order: the lanes holding a walk are the first ones.
    let mut lanes: [Option<(usize, Walk<'_, '_, '_>)>; BALL_LANES] =
        std::array::from_fn(|_| batch.take());

    // A walk's state lives in the registers while it is in a lane, and in
    // its `Walk` while the scalar loop steps it. Counts are i64 lanes;
    // limits past i64::MAX are never reached.
    let limit = |n: usize| _mm256_set1_epi64x(n.min(i64::MAX as usize) as i64);
    let (max_steps, patience) = (limit(s.rules.max_steps), limit(s.rules.patience));
    let one = _mm256_set1_epi64x(1);
    #[derive(Default)]
    struct Lanes {
        x: [f64; BALL_LANES],
        y: [f64; BALL_LANES],
        ve: [f64; BALL_LANES],
        vn: [f64; BALL_LANES],
        step: [i64; BALL_LANES],
        still: [i64; BALL_LANES],
    }
    let to_lane = |l: &mut Lanes, k: usize, walk: &Walk<'_, '_, '_>| {
        let v = match walk.state {
            AgentState::Ball(v) | AgentState::Nesterov(v) => v,
            _ => Vector::ZERO,
        };
        (l.x[k], l.y[k], l.ve[k], l.vn[k]) = (walk.x.x, walk.x.y, v.east, v.north);
        (l.step[k], l.still[k]) = (walk.w.step as i64, walk.still as i64);
    };
    let to_walk = |l: &Lanes, k: usize, walk: &mut Walk<'_, '_, '_>| {
        walk.x = Xy::new(l.x[k], l.y[k]);
        let v = Vector::new(l.ve[k], l.vn[k]);
        walk.state = if NESTEROV {
            AgentState::Nesterov(v)
        } else {
            AgentState::Ball(v)
        };
        (walk.w.step, walk.still) = (l.step[k] as usize, l.still[k] as usize);
    };
    // A lane without a walk stands outside the grid (NaN), where its
    // step is computed on sample (0, 0) and never used.
    let to_idle = |l: &mut Lanes, k: usize| (l.x[k], l.y[k]) = (f64::NAN, f64::NAN);
    let mut held = Lanes::default();
    // The lanes holding a walk, as a mask.
    let mut active = 0u32;
    for (k, lane) in lanes.iter().enumerate() {
        match lane {
            Some((_, walk)) => {
                to_lane(&mut held, k, walk);
                active |= 1 << k;
            }
            None => to_idle(&mut held, k),
        }
    }
    // Group `g` holds lanes 4g..4g + 4.
    let load = |l: &Lanes, g: usize| {
        let at = 4 * g;
        (
            Balls {
                x: _mm256_loadu_pd(l.x[at..].as_ptr()),
                y: _mm256_loadu_pd(l.y[at..].as_ptr()),
                ve: _mm256_loadu_pd(l.ve[at..].as_ptr()),
                vn: _mm256_loadu_pd(l.vn[at..].as_ptr()),
            },
            _mm256_loadu_si256(l.step[at..].as_ptr() as *const __m256i),
            _mm256_loadu_si256(l.still[at..].as_ptr() as *const __m256i),
        )
    };
    let save = |l: &mut Lanes, g: usize, (balls, step, still): (Balls, __m256i, __m256i)| {
        let at = 4 * g;
        _mm256_storeu_pd(l.x[at..].as_mut_ptr(), balls.x);
        _mm256_storeu_pd(l.y[at..].as_mut_ptr(), balls.y);
        _mm256_storeu_pd(l.ve[at..].as_mut_ptr(), balls.ve);
        _mm256_storeu_pd(l.vn[at..].as_mut_ptr(), balls.vn);
        _mm256_storeu_si256(l.step[at..].as_mut_ptr() as *mut __m256i, step);
        _mm256_storeu_si256(l.still[at..].as_mut_ptr() as *mut __m256i, still);
    };
    // One step of a group: the ordinary lanes take it; the mask of those.
    let turn = |(balls, step, still): &mut (Balls, __m256i, __m256i)| {
        let stepped = step4::<NESTEROV>(field, alpha, beta, tolerance_sq, *balls);
        let short = _mm256_castpd_si256(stepped.short);
        let still_next = _mm256_and_si256(short, _mm256_add_epi64(*still, one));
        let ordinary = _mm256_and_si256(
            _mm256_castpd_si256(stepped.ordinary),
            _mm256_and_si256(
                _mm256_cmpgt_epi64(max_steps, *step),
                _mm256_cmpgt_epi64(patience, still_next),
            ),
        );
        let keep = _mm256_castsi256_pd(ordinary);
        let new = stepped.next;
        *balls = Balls {
            x: _mm256_blendv_pd(balls.x, new.x, keep),
            y: _mm256_blendv_pd(balls.y, new.y, keep),
            ve: _mm256_blendv_pd(balls.ve, new.ve, keep),
            vn: _mm256_blendv_pd(balls.vn, new.vn, keep),
        };
        *step = _mm256_sub_epi64(*step, ordinary);
        *still = _mm256_blendv_epi8(*still, still_next, ordinary);
        _mm256_movemask_pd(keep) as u32
    };
    // Only the groups holding a walk are stepped: once the starts run
    // out, the walks left are moved into the first lanes, so that the
    // last few still overlap their steps instead of running one after
    // the other.
    let mut stepped_groups = (active.count_ones() as usize).div_ceil(4);
    let mut groups: [(Balls, __m256i, __m256i); GROUPS] = std::array::from_fn(|g| load(&held, g));
    while active != 0 {
        // The groups' steps are independent chains the processor overlaps.
        let mut done = 0u32;
        for (g, group) in groups.iter_mut().enumerate().take(stepped_groups) {
            done |= turn(group) << (4 * g);
        }
        if done & active == active {
            continue;
        }
        // Some lane's step is not ordinary: the scalar loop takes it.
        for (g, group) in groups.iter().enumerate().take(stepped_groups) {
            save(&mut held, g, *group);
        }
        for (k, lane) in lanes.iter_mut().enumerate() {
            if done >> k & 1 != 0 {
                continue;
            }
            let Some((at, walk)) = lane else { continue };
            to_walk(&held, k, walk);
            match batch.advance(walk) {
                None => to_lane(&mut held, k, walk),
                Some(over) => {
                    batch.out[*at] = Some(over);
                    *lane = batch.take();
                    match lane {
                        Some((_, walk)) => to_lane(&mut held, k, walk),
                        None => {
                            to_idle(&mut held, k);
                            active &= !(1 << k);
                        }
                    }
                }
            }
        }
        // The walks left moved down into the lanes emptied below them.
        while active != 0 && active.trailing_ones() < active.count_ones() {
            let (free, last) = (
                active.trailing_ones() as usize,
                31 - active.leading_zeros() as usize,
            );
            lanes.swap(free, last);
            (held.x[free], held.y[free]) = (held.x[last], held.y[last]);
            (held.ve[free], held.vn[free]) = (held.ve[last], held.vn[last]);
            (held.step[free], held.still[free]) = (held.step[last], held.still[last]);
            to_idle(&mut held, last);
            active = active & !(1 << last) | 1 << free;
        }
        stepped_groups = (active.count_ones() as usize).div_ceil(4);
        for (g, group) in groups.iter_mut().enumerate().take(stepped_groups) {
            *group = load(&held, g);
        }
    }
    batch.out
}

/// Groups of four lanes [`walk_ball_lanes`] steps in turn, and the walks
/// it holds.
#[cfg(target_arch = "x86_64")]
const GROUPS: usize = 2;
#[cfg(target_arch = "x86_64")]
const BALL_LANES: usize = 4 * GROUPS;

/// The cell a stop rule leaves a walker in, and how `basins` finishes
/// there: D8 moves on a filled surface (`resolve_stalls`) after a stall,
/// an exit from the raster or a spent budget; `Ok(cell)` when the agent
/// walks on from `cell` (at rest).
fn finish(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    stop: Stop,
    shortcut: Option<Shortcut<'_, '_>>,
    w: &mut Walker,
) -> Result<(usize, usize), Attempt> {
    let (rows, cols) = (field.rows(), field.cols());
    let at = |(r, c): (usize, usize)| (r * cols + c) as u32;
    let taken = w.simulated();
    let x = stop.at;
    let cell = match stop.reason {
        StopReason::Void => return Err(w.done(at(nearest_void(heights, x)), stop.reason, taken)),
        StopReason::Sea => field
            .sea()
            .and_then(|sea| sea.nearest_sea_sample(x.y, x.x))
            .unwrap_or_else(|| nearest_cell(x, rows, cols)),
        _ => nearest_cell(x, rows, cols),
    };
    let d8_only = match stop.reason {
        _ if !s.resolve_stalls => return Err(w.done(at(cell), stop.reason, taken)),
        // On a filled surface the edge cell drains on to the lowest edge
        // point the fill made its outlet.
        StopReason::Edge if stop.ahead => true,
        // Out of budget on a filled surface (gd bouncing across a valley
        // too sharp for its α): the walker finishes by D8 moves, which
        // strictly descend and so end without a budget.
        StopReason::MaxSteps => true,
        // Stall resolution: D8 moves while the ground is too flat for the
        // agent, for good once it stalls no lower than last time.
        StopReason::Converged => {
            let z = heights[[cell.0, cell.1]] as f64;
            w.d8_only |= z >= w.last_stall_z;
            w.last_stall_z = z;
            w.d8_only
        }
        _ => return Err(w.done(at(cell), stop.reason, taken)),
    };
    let d8 = d8_moves(field, s, cell, d8_only, shortcut, &mut w.step, &mut w.moves);
    // D8-only moves never resume the agent: they end the walk.
    w.after_d8(d8, d8_only)
}

/// Work done by one thread (or one batch) of walkers.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Tally {
    pub steps: u64,
    pub shortcuts: usize,
    pub stall_moves: u64,
}

impl Tally {
    /// Counts a finished walk: its steps, whether it took the shortcut,
    /// its stall moves (the fields of [`Attempt::Done`]).
    pub fn done(&mut self, steps: u32, shortcut: bool, stall_moves: u32) {
        self.walked(steps, stall_moves);
        self.shortcuts += shortcut as usize;
    }

    /// Counts the steps and stall moves of a finished walk, not whether
    /// it took the shortcut (which the gd shortcut's memo keeps).
    pub fn walked(&mut self, steps: u32, stall_moves: u32) {
        self.steps += steps as u64;
        self.stall_moves += stall_moves as u64;
    }

    pub fn add(&mut self, other: Tally) {
        self.steps += other.steps;
        self.shortcuts += other.shortcuts;
        self.stall_moves += other.stall_moves;
    }
}

/// A cap on the walkers' total steps, shared by the threads: work on
/// adversarial terrain (random heights) grows with the terrain as well as
/// the grid, so it is bounded by steps, not only by starts.
#[derive(Debug)]
pub struct StepBudget {
    limit: u64,
    spent: AtomicU64,
    exceeded: AtomicBool,
}

impl StepBudget {
    /// A budget of `limit` steps in all (`None`: unlimited).
    pub fn new(limit: Option<u64>) -> Self {
        StepBudget {
            limit: limit.unwrap_or(u64::MAX),
            spent: AtomicU64::new(0),
            exceeded: AtomicBool::new(false),
        }
    }

    /// Records `steps` more; `false` once the total passes the limit.
    pub(super) fn spend(&self, steps: u64) -> bool {
        let total = self.spent.fetch_add(steps, Ordering::Relaxed) + steps;
        if total > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        !self.exceeded()
    }

    /// `true` once the walkers have taken more steps than the limit.
    pub fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    /// The limit, steps.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// [`walk_all_within`] without a step budget.
pub fn walk_all(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    settings: &WalkSettings,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Walks {
    walk_all_within(
        field,
        heights,
        settings,
        progress,
        cancel,
        &StepBudget::new(None),
    )
}

/// Runs a walker from every `stride`-th cell (rows and columns) that is not
/// void, not below `stop_below` and not in the field's sea (no walker is
/// dropped into the sea), in
/// parallel, calling `progress(n)` as groups of `n` walkers finish.
/// `cancel` stops the work early, and so does passing `budget` (the result
/// is then partial: cells whose walker did not run keep [`NO_START`]).
pub fn walk_all_within(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    settings: &WalkSettings,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    budget: &StepBudget,
) -> Walks {
    walk_all_ordered(field, heights, settings, progress, cancel, budget, None)
}

/// [`walk_all_within`] given the cells of `heights` in height order if
/// known: every non-void cell's row-major index by `fill::order_key`
/// of its height, ties by index, as [`super::fill::priority_flood_in_order`]
/// visits a filled grid. The gd shortcut then takes its starts in that
/// order instead of sorting them (the same order: the starts are a subset
/// of the cells, and both sort by the same key).
pub fn walk_all_ordered(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    settings: &WalkSettings,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    budget: &StepBudget,
    height_order: Option<Vec<u32>>,
) -> Walks {
    let (rows, cols) = heights.dim();
    let bits = StartBits::of(rows, cols, settings.stride, |r, c| {
        let z = heights[[r, c]];
        !z.is_nan()
            && !settings.rules.stop_below.is_some_and(|b| (z as f64) < b)
            && !field.is_sea_sample(r, c)
    });
    let shortcut = settings.kind == AgentKind::Gd && !settings.exact;
    // The shortcut's starts by height: out of the flood's order if given
    // (and it is this grid's), else sorted.
    let starts = match height_order.filter(|_| shortcut) {
        Some(order) => picked_from_order(order, &bits),
        None => None,
    }
    .unwrap_or_else(|| {
        let starts = bits.in_raster_order();
        if shortcut {
            in_height_order(&starts, heights)
        } else {
            starts
        }
    });
    drop(bits);
    let mut walks = Walks {
        end: (0..rows * cols).into_par_iter().map(|_| NO_START).collect(),
        ending: vec![0; rows * cols],
        starts: starts.len(),
        steps: 0,
        shortcuts: 0,
        stall_moves: 0,
    };
    let tally = if shortcut {
        super::shortcut::walk_with_shortcut(
            field, heights, settings, &starts, &mut walks, progress, cancel, budget,
        )
    } else {
        walk_in_full(
            field, heights, settings, &starts, &mut walks, progress, cancel, budget,
        )
    };
    walks.steps = tally.steps;
    walks.shortcuts = tally.shortcuts;
    walks.stall_moves = tally.stall_moves;
    walks
}

/// Starts per [`walk_lanes`] call (one rayon task): large enough that the
/// last few walks of a batch, which run one at a time (but the balls'
/// in AVX2 lanes, which keep overlapping them), are a small part.
const LANE_BATCH: usize = 512;

/// Every start simulated in full, in raster-ordered batches.
// The walk's inputs, its output and its two ways to stop: grouping them
// in a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
fn walk_in_full(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    settings: &WalkSettings,
    starts: &[u32],
    walks: &mut Walks,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    budget: &StepBudget,
) -> Tally {
    let mut tally = Tally::default();
    for chunk in starts.chunks(16_384) {
        if cancel.load(Ordering::Relaxed) || budget.exceeded() {
            break;
        }
        let before = tally.steps;
        // Checked per walker: a chunk of long walks can take a while.
        let results: Vec<Option<Attempt>> = chunk
            .par_chunks(LANE_BATCH)
            .flat_map_iter(|batch| walk_lanes(field, heights, settings, batch, cancel))
            .collect();
        for (&i, attempt) in chunk.iter().zip(&results) {
            // Without a memo no walk can be blocked.
            if let &Some(Attempt::Done {
                end,
                ending,
                steps,
                shortcut,
                stall_moves,
            }) = attempt
            {
                walks.end[i as usize] = end;
                walks.ending[i as usize] = ending as u8;
                tally.done(steps, shortcut, stall_moves);
            }
        }
        progress(chunk.len());
        if !budget.spend(tally.steps - before) {
            break;
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terrain::{GradientGrid, RowMetrics};

    /// A 6 x 7 flat of 30 m cells with one 1 m step down to the east in
    /// the last column.
    fn flat_with_a_step() -> (Array2<f32>, GradientGrid, RowMetrics) {
        let heights = Array2::from_shape_fn((6, 7), |(_, c)| if c == 6 { 99.0 } else { 100.0 });
        let metrics = RowMetrics {
            dx: vec![30.0; 6],
            dy: vec![30.0; 6],
        };
        // Central differences by hand: only columns 5 and 6 feel the step.
        let east = Array2::from_shape_fn((6, 7), |(_, c)| match c {
            5 => -1.0 / 60.0,
            6 => -1.0 / 30.0,
            _ => 0.0,
        });
        let gradient = GradientGrid {
            north: Array2::zeros((6, 7)),
            east,
        };
        (heights, gradient, metrics)
    }

    fn settings(exact: bool, max_steps: usize) -> WalkSettings {
        WalkSettings {
            kind: AgentKind::Gd,
            params: StepParams {
                alpha: 10.0,
                ..StepParams::default_for(AgentKind::Gd)
            },
            rules: StopRules {
                max_steps,
                ..StopRules::default()
            },
            stride: 1,
            exact,
            resolve_stalls: false,
        }
    }

    /// A start settles before its first step only where its walker would
    /// leave its cell into a neighbour no higher than itself, on a filled
    /// surface, away from voids: a 3 x 3 grid by hand, the start in the
    /// middle (height 10, rank 3), its three western neighbours lower
    /// (ranks 0-2) and all ending at the western edge cell 3.
    #[test]
    fn a_start_settles_only_heading_into_a_neighbour_no_higher() {
        use super::super::memo::{word, Memo};
        let heights = Array2::from_shape_vec(
            (3, 3),
            vec![6.0, 11.0, 13.0, 5.0, 10.0, 12.0, 7.0, 14.0, 15.0],
        )
        .unwrap();
        let ranks = [1, 4, 6, 0, 3, 5, 2, 7, 8];
        let words: Vec<AtomicU64> = ranks
            .iter()
            .map(|&k| AtomicU64::new(word(Some(k))))
            .collect();
        let memo = Memo { words: &words };
        for i in [0, 3, 6] {
            memo.store(i, 3, StopReason::Edge, false);
        }
        let sc = Shortcut {
            memo: &memo,
            own: 3,
        };
        let metrics = RowMetrics {
            dx: vec![30.0; 3],
            dy: vec![30.0; 3],
        };
        let filled = WalkSettings {
            resolve_stalls: true,
            ..settings(false, 1000)
        };
        let at = |heights: &Array2<f32>, east: f32, north: f32, s: &WalkSettings| {
            let gradient = GradientGrid {
                east: Array2::from_elem((3, 3), east),
                north: Array2::from_elem((3, 3), north),
            };
            let field = GridField::new(heights, &gradient, &metrics);
            settled_start(&field, s, 1, 1, sc)
        };
        let settled = Some(Attempt::Done {
            end: 3,
            ending: StopReason::Edge,
            steps: 0,
            shortcut: true,
            stall_moves: 0,
        });
        // Rising to the east: it heads west, into the lower (1, 0).
        assert_eq!(at(&heights, 0.1, 0.02, &filled), settled);
        // Level: a stall, moved to the steepest lower neighbour.
        assert_eq!(at(&heights, 0.0, 0.0, &filled), settled);
        // Rising to the west: it heads east, into the higher (1, 2).
        assert_eq!(at(&heights, -0.1, 0.02, &filled), None);
        // Rising to the south: it heads north, into the higher (0, 1).
        assert_eq!(at(&heights, 0.02, -0.1, &filled), None);
        // Stalls not resolved (a raw surface), or a height to stop below.
        assert_eq!(at(&heights, 0.1, 0.02, &settings(false, 1000)), None);
        let below = WalkSettings {
            rules: StopRules {
                stop_below: Some(0.0),
                ..filled.rules
            },
            ..filled
        };
        assert_eq!(at(&heights, 0.1, 0.02, &below), None);
        // A void beside it, which is no start (the memo holds no rank
        // there; its height is never read).
        let mut void = heights.clone();
        void[[2, 2]] = f32::NAN;
        words[8].store(word(None), Ordering::Relaxed);
        assert_eq!(at(&void, 0.1, 0.02, &filled), None);
        words[8].store(word(Some(8)), Ordering::Relaxed);
        // A lower neighbour not finished: blocked on it.
        words[6].store(word(Some(2)), Ordering::Relaxed);
        assert_eq!(
            at(&heights, 0.1, 0.02, &filled),
            Some(Attempt::Blocked {
                cell: 6,
                steps: 0,
                paused: false
            })
        );
    }

    /// α is 1.5 cells: on a formula's grid in its own units, exactly; on
    /// SRTM3 at 52.5° N the shorter side is the east-west one, 3" of
    /// longitude = 92.77 m x cos 52.5° on a sphere of radius 6 371 km
    /// (56.47 m, by hand), which WGS84's ellipsoid changes by under 0.5 %.
    #[test]
    fn the_default_alpha_is_one_and_a_half_cells() {
        let surface =
            crate::analytic::AnalyticSurface::parse("x^2 + y", [0.0, 0.0, 2.0, 4.0]).unwrap();
        // 201 samples over 2 units across and 4 down: cells 0.01 x 0.02.
        let grid = surface.to_dem(201);
        assert!((default_gd_alpha(&grid) - 0.015).abs() < 1e-12);
        let tile = crate::dem::open(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/N52W007.hgt")),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap();
        let by_hand = 1.5 * 3.0 / 3600.0 * std::f64::consts::PI / 180.0
            * 6_371_000.0
            * 52.5f64.to_radians().cos();
        let alpha = default_gd_alpha(&tile);
        assert!(
            (alpha / by_hand - 1.0).abs() < 0.005,
            "{alpha} vs {by_hand}"
        );
    }

    /// On the flat the walker never moves: it converges where it started
    /// after exactly `patience` steps (all counted), or runs out of a
    /// smaller budget there.
    #[test]
    fn a_walker_on_a_flat_stands_for_its_patience() {
        let (heights, gradient, metrics) = flat_with_a_step();
        let field = GridField::new(&heights, &gradient, &metrics);
        let patience = StopRules::default().patience;
        for exact in [true, false] {
            let s = settings(exact, 1000);
            match walk_one(&field, &heights, &s, 2, 1, None) {
                Attempt::Done {
                    end, ending, steps, ..
                } => {
                    assert_eq!(end, 2 * 7 + 1);
                    assert_eq!(ending, StopReason::Converged);
                    assert_eq!(steps as usize, patience);
                }
                Attempt::Blocked { .. } => panic!("no memo, no block"),
            }
        }
        let s = settings(true, 5);
        match walk_one(&field, &heights, &s, 2, 1, None) {
            Attempt::Done {
                end, ending, steps, ..
            } => {
                assert_eq!((end, ending, steps), (2 * 7 + 1, StopReason::MaxSteps, 5));
            }
            Attempt::Blocked { .. } => panic!("no memo, no block"),
        }
        // Next to the step the walker moves east and leaves the grid.
        match walk_one(&field, &heights, &settings(true, 1000), 2, 5, None) {
            Attempt::Done { end, ending, .. } => {
                assert_eq!((end, ending), (2 * 7 + 6, StopReason::Edge));
            }
            Attempt::Blocked { .. } => panic!("no memo, no block"),
        }
    }

    /// A walker across a V-shaped channel whose walls are too steep for
    /// its step bounces from wall to wall for good: the gradient grows
    /// linearly from -g one column west of the floor to g one column east
    /// (bilinear between the columns), and α g / dx = 2 throws it to its
    /// mirror image across the floor. Found in its cycle, it ends where
    /// the walk simulated to its budget ends (the parity of the budget
    /// decides the wall) in as many steps, most of them not simulated.
    #[test]
    fn a_walker_in_a_cycle_ends_as_if_simulated_to_its_budget() {
        let (rows, cols, floor) = (5, 9, 4usize);
        let heights = Array2::from_shape_fn((rows, cols), |(r, c)| {
            10.0 * (c as f32 - floor as f32).abs() + r as f32
        });
        let metrics = RowMetrics {
            dx: vec![30.0; rows],
            dy: vec![30.0; rows],
        };
        let g = 0.2f32;
        let gradient = GradientGrid {
            east: Array2::from_shape_fn((rows, cols), |(_, c)| {
                g * (c as f32 - floor as f32).signum()
            }),
            north: Array2::zeros((rows, cols)),
        };
        let field = GridField::new(&heights, &gradient, &metrics);
        let alpha = 2.0 * 30.0 / g as f64;
        let walk = |probe: bool, resolve_stalls: bool, max_steps: usize| {
            let s = WalkSettings {
                params: StepParams {
                    alpha,
                    ..StepParams::default_for(AgentKind::Gd)
                },
                resolve_stalls,
                ..settings(true, max_steps)
            };
            let agent = Agent {
                kind: s.kind,
                params: s.params,
            };
            let mut w = match Walk::begin(&field, &heights, &s, 2, floor - 1, None) {
                Ok(w) => w,
                Err(over) => panic!("no step taken: {over:?}"),
            };
            if !probe {
                w.probe_at = usize::MAX;
            }
            loop {
                if let Some(Attempt::Done {
                    end,
                    ending,
                    steps,
                    stall_moves,
                    ..
                }) = w.advance(&agent, &field, &heights, &s)
                {
                    return ((end, ending, stall_moves), steps as usize, w.w.step);
                }
            }
        };
        let mut walls = std::collections::BTreeSet::new();
        for max_steps in [
            CYCLE_PROBE_FROM + 1000,
            CYCLE_PROBE_FROM + 1001,
            30_001,
            30_002,
        ] {
            for resolve_stalls in [false, true] {
                let (simulated_end, simulated, taken) = walk(false, resolve_stalls, max_steps);
                assert_eq!(simulated, taken, "every step simulated");
                assert!(taken >= max_steps, "it bounces to its budget's end");
                let (end, steps, probed_taken) = walk(true, resolve_stalls, max_steps);
                assert_eq!(end, simulated_end, "budget {max_steps}");
                assert_eq!(probed_taken, taken, "budget {max_steps}");
                assert!(
                    steps < CYCLE_PROBE_FROM + CYCLE_WINDOW,
                    "{steps} steps simulated of {taken}"
                );
                if !resolve_stalls {
                    assert_eq!(end.1, StopReason::MaxSteps);
                    walls.insert(end.0);
                }
            }
        }
        // Odd and even budgets leave it on opposite walls.
        assert_eq!(walls.len(), 2, "{walls:?}");
    }

    /// The interleaved lanes take every walk exactly as [`walk_one`] takes
    /// it alone (the same end cell, ending, steps and stall moves), on a
    /// real tile with its sea, for both balls, with and without stall
    /// resolution, in batches shorter and longer than the lanes; and a
    /// cancelled batch runs no walk.
    #[test]
    fn interleaved_lanes_walk_each_walker_as_alone() {
        let tile = crate::dem::open(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/N52W007.hgt")),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap();
        let heights = &tile.heights;
        let metrics = RowMetrics::of(&tile);
        let gradient = GradientGrid::compute(&tile, crate::terrain::GradientScheme::Central);
        let sea = crate::dem::SeaMask::detect(heights, crate::dem::SeaLevel::SrtmZero);
        assert!(sea.samples() > 1000, "the tile's sea is in the test");
        let field = GridField::new(heights, &gradient, &metrics).with_sea(&sea);
        let (rows, cols) = heights.dim();
        let starts: Vec<u32> = (0..rows * cols)
            .step_by(1999)
            .filter(|&i| !field.is_sea_sample(i / cols, i % cols))
            .map(|i| i as u32)
            .collect();
        let never = AtomicBool::new(false);
        let mut endings = std::collections::HashSet::new();
        for kind in [AgentKind::Momentum, AgentKind::Nesterov] {
            for resolve_stalls in [false, true] {
                let s = WalkSettings {
                    kind,
                    params: StepParams::default_for(kind),
                    rules: StopRules::default(),
                    stride: 1,
                    exact: true,
                    resolve_stalls,
                };
                let alone: Vec<Option<Attempt>> = starts
                    .iter()
                    .map(|&i| {
                        let (r, c) = (i as usize / cols, i as usize % cols);
                        Some(walk_one(&field, heights, &s, r, c, None))
                    })
                    .collect();
                for batch in [1, LANES - 1, LANES + 1, 97, starts.len()] {
                    let mut lanes = Vec::new();
                    for part in starts.chunks(batch) {
                        lanes.extend(walk_lanes(&field, heights, &s, part, &never));
                    }
                    assert_eq!(lanes, alone, "{kind:?}, batch {batch}");
                }
                for a in alone.iter().flatten() {
                    if let Attempt::Done { ending, .. } = a {
                        endings.insert(*ending as u8);
                    }
                }
            }
        }
        // The walks end in several ways, the sea among them.
        assert!(endings.contains(&(StopReason::Sea as u8)), "{endings:?}");
        assert!(endings.len() >= 3, "{endings:?}");
        let cancelled = AtomicBool::new(true);
        let s = settings(true, 1000);
        assert!(walk_lanes(&field, heights, &s, &starts, &cancelled)
            .iter()
            .all(Option::is_none));
    }

    /// The heavy and Nesterov balls stepped in AVX2 lanes end exactly
    /// as each alone (`walk_one`, the scalar loop): the same cell, the same
    /// ending, the same steps and stall moves, on the tile with its sea and
    /// without, with a block of voids, under budgets and patience that cut
    /// walks short and steps from small to overshooting, and for batches
    /// smaller and larger than the lanes.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn balls_in_lanes_walk_each_ball_as_alone() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("skipped: this CPU has no AVX2, so the lanes are not used");
            return;
        }
        let mut tile = crate::dem::open(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/N52W007.hgt")),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap();
        let (rows, cols) = tile.heights.dim();
        for r in 500..540 {
            for c in 600..660 {
                tile.heights[[r, c]] = f32::NAN;
            }
        }
        let heights = &tile.heights;
        let metrics = RowMetrics::of(&tile);
        let gradient = GradientGrid::compute(&tile, crate::terrain::GradientScheme::Central);
        let sea = crate::dem::SeaMask::detect(heights, crate::dem::SeaLevel::SrtmZero);
        let dry = GridField::new(heights, &gradient, &metrics);
        let wet = dry.clone().with_sea(&sea);
        let starts: Vec<u32> = (0..rows * cols)
            .step_by(1499)
            .filter(|&i| !wet.is_sea_sample(i / cols, i % cols))
            .map(|i| i as u32)
            .collect();
        let never = AtomicBool::new(false);
        let mut endings = std::collections::HashSet::new();
        for kind in [AgentKind::Momentum, AgentKind::Nesterov] {
            let default = StepParams::default_for(kind);
            let variants = [
                (default, StopRules::default()),
                (
                    StepParams {
                        beta: 0.0,
                        ..default
                    },
                    StopRules {
                        max_steps: 40,
                        ..StopRules::default()
                    },
                ),
                (
                    StepParams {
                        alpha: default.alpha * 8.0,
                        beta: 0.95,
                        ..default
                    },
                    StopRules {
                        patience: 1,
                        tolerance_m: 5.0,
                        ..StopRules::default()
                    },
                ),
            ];
            for field in [&dry, &wet] {
                for (params, rules) in variants {
                    for resolve_stalls in [false, true] {
                        let s = WalkSettings {
                            kind,
                            params,
                            rules,
                            stride: 1,
                            exact: true,
                            resolve_stalls,
                        };
                        assert!(balls_in_lanes(field, &s));
                        let alone: Vec<Option<Attempt>> = starts
                            .iter()
                            .map(|&i| {
                                let (r, c) = (i as usize / cols, i as usize % cols);
                                Some(walk_one(field, heights, &s, r, c, None))
                            })
                            .collect();
                        for batch in [LANES - 1, BALL_LANES - 1, BALL_LANES + 1, 97, starts.len()] {
                            let mut lanes = Vec::new();
                            for part in starts.chunks(batch) {
                                lanes.extend(walk_lanes(field, heights, &s, part, &never));
                            }
                            assert_eq!(lanes, alone, "{kind:?} {params:?} {rules:?} batch {batch}");
                        }
                        for a in alone.iter().flatten() {
                            if let Attempt::Done { ending, .. } = a {
                                endings.insert(*ending as u8);
                            }
                        }
                    }
                }
            }
        }
        for reason in [
            StopReason::Sea,
            StopReason::Void,
            StopReason::MaxSteps,
            StopReason::Converged,
            StopReason::Edge,
        ] {
            assert!(
                endings.contains(&(reason as u8)),
                "no {reason:?} in {endings:?}"
            );
        }
    }

    /// The flood's visiting order picks the gd shortcut's starts in the
    /// order a sort by height key and index gives, for every start and for
    /// a strided subset without the sea; an order that is not the grid's
    /// (missing cells) is refused (the walk then sorts).
    #[test]
    fn the_flood_order_is_the_sorted_order_of_the_starts() {
        let tile = crate::dem::open(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/N52W007.hgt")),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap();
        let mut heights = tile.heights.clone();
        let metrics = RowMetrics::of(&tile);
        let sea = crate::dem::SeaMask::detect(&heights, crate::dem::SeaLevel::SrtmZero);
        let (_, order) = super::super::fill::priority_flood_in_order(
            &mut heights,
            &metrics,
            1e-4,
            None,
            Some(&sea),
            true,
        );
        let order = order.unwrap();
        let (rows, cols) = heights.dim();
        assert_eq!(order.len(), heights.iter().filter(|z| !z.is_nan()).count());
        for stride in [1, 3] {
            let starts: Vec<u32> = (0..rows * cols)
                .filter(|&i| (i / cols) % stride == 0 && (i % cols) % stride == 0)
                .filter(|&i| !sea.is_sea_sample(i / cols, i % cols))
                .map(|i| i as u32)
                .collect();
            let bits = StartBits::of(rows, cols, stride, |r, c| !sea.is_sea_sample(r, c));
            assert_eq!(bits.in_raster_order(), starts);
            let sorted = in_height_order(&starts, &heights);
            assert!(picked_from_order(order.clone(), &bits).as_ref() == Some(&sorted));
            // By hand: heights never decrease along the sorted starts.
            assert!(sorted
                .windows(2)
                .all(|w| heights.as_slice().unwrap()[w[0] as usize]
                    <= heights.as_slice().unwrap()[w[1] as usize]));
            let mut short = order.clone();
            short.retain(|&i| i != sorted[0]);
            assert!(picked_from_order(short, &bits).is_none());
        }
    }
}
