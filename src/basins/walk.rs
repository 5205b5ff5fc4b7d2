//! Many walkers at once: the lean descent loop and the parallel driver.
//!
//! Each start runs the agent's own update rule ([`walker::step`],
//! [`crate::agents::ball::step`], [`crate::agents::nesterov::step`]) on a [`GridField`] under the same
//! [`StopRules`] as [`crate::agents::Agent::descend`] (tolerance and
//! patience, edge, void, below, max-steps, divergence), in the same order,
//! but records nothing except where the walker ended.
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

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use ndarray::Array2;
use rayon::prelude::*;

use super::field::GridField;
use crate::agents::{walker, AgentKind, AgentState, StepParams, StopRules};
use crate::geo::Xy;
use crate::terrain::{Obstacle, Surface, Vector};

/// Marks a cell where no walker started.
pub const NO_START: u32 = u32::MAX;

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum Ending {
    /// At rest in a pit or stalled on flat ground (tolerance and patience).
    Converged = 0,
    /// The step budget ran out; the walker's last cell counts as its sink.
    MaxSteps = 1,
    /// Left the raster; the edge cell where it left is its outlet.
    Edge = 2,
    /// Reached a void; the void is its outlet.
    Void = 3,
    /// Went below the `stop_below` height (the sea); that cell is its outlet.
    Below = 4,
    /// Position or velocity stopped being finite.
    Diverged = 5,
    /// Reached the sea (see [`crate::dem::SeaMask`]); the sea sample where
    /// it arrived is its outlet.
    Sea = 6,
}

impl Ending {
    /// All endings, in `repr` order.
    pub const ALL: [Ending; 7] = [
        Ending::Converged,
        Ending::MaxSteps,
        Ending::Edge,
        Ending::Void,
        Ending::Below,
        Ending::Diverged,
        Ending::Sea,
    ];

    /// The ending with this `repr` value.
    pub fn from_u8(v: u8) -> Ending {
        Ending::ALL[(v as usize).min(Ending::ALL.len() - 1)]
    }

    /// The name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Converged => "converged",
            Ending::MaxSteps => "max-steps",
            Ending::Edge => "edge",
            Ending::Void => "void",
            Ending::Below => "below",
            Ending::Diverged => "diverged",
            Ending::Sea => "sea",
        }
    }

    /// `true` for endings at a sink inside the raster (merged with sinks
    /// within a cell and on the same flat); `false` for outlets.
    pub fn is_sink(self) -> bool {
        matches!(
            self,
            Ending::Converged | Ending::MaxSteps | Ending::Diverged
        )
    }
}

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
    /// Per cell: the [`Ending`] as `u8` (meaningless where `end` is `NO_START`).
    pub ending: Vec<u8>,
    /// Number of walkers.
    pub starts: usize,
    /// Steps simulated, summed over walkers (steps skipped by the shortcut not counted).
    pub steps: u64,
    /// Walkers stopped early by the gd shortcut.
    pub shortcuts: usize,
    /// Stalls resolved by a move to the steepest lower neighbour, summed over walkers.
    pub stall_moves: u64,
}

/// The cell nearest to fractional position `p`, clamped into the grid.
#[inline]
fn nearest_cell(p: Xy, rows: usize, cols: usize) -> (usize, usize) {
    // `as usize` truncates, which is `floor` for the non-negative values
    // left by `max` (and saturates; NaN becomes 0); no libm call.
    let r = ((p.y + 0.5).max(0.0) as usize).min(rows - 1);
    let c = ((p.x + 0.5).max(0.0) as usize).min(cols - 1);
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

/// What the gd shortcut consults: each start's place in the height order
/// and the endings computed so far.
struct Memo<'m> {
    /// Per cell: the start's rank in the height order, or [`NO_START`].
    rank: &'m [u32],
    /// Per cell: a packed ending once known (see [`pack`]), else 0.
    known: &'m [AtomicU64],
}

/// Whether two endings are one basin's for the corner check: the same end
/// cell, or two sinks within one cell of each other (which
/// [`super::labels`] merges into one basin).
#[inline]
fn same_sink(a: u32, a_ending: Ending, b: u32, b_ending: Ending, cols: usize) -> bool {
    if a == b {
        return true;
    }
    if !(a_ending.is_sink() && b_ending.is_sink()) {
        return false;
    }
    let (ar, ac) = (a as usize / cols, a as usize % cols);
    let (br, bc) = (b as usize / cols, b as usize % cols);
    ar.abs_diff(br) <= 1 && ac.abs_diff(bc) <= 1
}

/// The flag that marks a packed ending as known.
const KNOWN: u64 = 1 << 63;

/// Packs an end cell and its ending into one word (with [`KNOWN`] set).
#[inline]
fn pack(end: u32, ending: Ending) -> u64 {
    KNOWN | (ending as u64) << 32 | end as u64
}

/// The end cell and ending of a packed word.
#[inline]
fn unpack(w: u64) -> (u32, Ending) {
    (w as u32, Ending::from_u8((w >> 32) as u8))
}

/// What the memo says about cell `i` for the walker that started at rank
/// `own`: nothing (not a lower start), its ending, or that it is a lower
/// start whose ending nobody has computed yet.
enum Lookup {
    Unrelated,
    Known(u32, Ending),
    Pending(u32),
}

impl Memo<'_> {
    /// The ending a walker of rank `own` at `p`, in cell `i`, takes over:
    /// `Ok(Some(..))` when cell `i` is a lower start with a known ending
    /// and the lower starts at the four samples around `p` (the corners of
    /// the bilinear cell whose gradients move the walker) agree with it;
    /// `Ok(None)` when it must walk on (`i` is no lower start, or a corner
    /// ends elsewhere: a divide passes near `p`); `Err(j)` for a lower
    /// start `j` whose ending is not known yet.
    fn take_over(
        &self,
        i: usize,
        p: Xy,
        rows: usize,
        cols: usize,
        own: u32,
    ) -> Result<Option<(u32, Ending)>, u32> {
        let (end, end_ending) = match self.lookup(i, own) {
            Lookup::Unrelated => return Ok(None),
            Lookup::Pending(j) => return Err(j),
            Lookup::Known(end, ending) => (end, ending),
        };
        let r0 = (p.y.max(0.0) as usize).min(rows - 2);
        let c0 = (p.x.max(0.0) as usize).min(cols - 2);
        for (r, c) in [(r0, c0), (r0, c0 + 1), (r0 + 1, c0), (r0 + 1, c0 + 1)] {
            match self.lookup(r * cols + c, own) {
                Lookup::Unrelated => {}
                Lookup::Known(e, ending) if same_sink(e, ending, end, end_ending, cols) => {}
                Lookup::Known(..) => return Ok(None),
                Lookup::Pending(j) => return Err(j),
            }
        }
        Ok(Some((end, end_ending)))
    }

    #[inline]
    fn lookup(&self, i: usize, own: u32) -> Lookup {
        if self.rank[i] >= own {
            return Lookup::Unrelated;
        }
        let w = self.known[i].load(Ordering::Acquire);
        if w & KNOWN != 0 {
            let (end, ending) = unpack(w);
            Lookup::Known(end, ending)
        } else {
            Lookup::Pending(i as u32)
        }
    }
}

/// How one attempt at a walk ended.
enum Attempt {
    /// `(end cell, ending, steps, shortcut taken, stall moves)`.
    Done(u32, Ending, u32, bool, u32),
    /// It entered the cell of a lower start whose ending is not known yet;
    /// `steps` were simulated before.
    Blocked { cell: u32, steps: u32 },
}

/// What a run of D8 moves led to.
enum D8 {
    /// The walk is over: `(end cell, ending, steps, shortcut taken)`.
    Done(u32, Ending, u32, bool),
    /// The ground is steep enough for the agent again at this cell.
    Resume((usize, usize)),
    /// It entered a lower start whose ending is not known yet.
    Blocked(u32),
}

impl D8 {
    /// The cell to walk on from, or how the walk ended (`step` and
    /// `moves` as counted so far).
    fn or_over(self, step: usize, moves: u32) -> Result<(usize, usize), Attempt> {
        match self {
            D8::Resume(cell) => Ok(cell),
            D8::Done(end, ending, steps, cut) => Err(Attempt::Done(end, ending, steps, cut, moves)),
            D8::Blocked(cell) => Err(Attempt::Blocked {
                cell,
                steps: step as u32,
            }),
        }
    }
}

/// The memo and the rank of the walker consulting it.
#[derive(Clone, Copy)]
struct Shortcut<'a, 'm> {
    memo: &'a Memo<'m>,
    own: u32,
}

/// D8 moves from `cell` (each counted as a step and a move): to the
/// steepest lower neighbour, until a cell without one (an outlet), a cell
/// the memo knows, or, unless `d8_only`, the step budget or a cell where the
/// agent's step `α |∇h|` reaches the tolerance.
#[allow(clippy::too_many_arguments)]
fn d8_moves(
    field: &GridField<'_>,
    s: &WalkSettings,
    mut cell: (usize, usize),
    d8_only: bool,
    shortcut: Option<Shortcut<'_, '_>>,
    step: &mut usize,
    moves: &mut u32,
) -> D8 {
    let (rows, cols) = (field.rows(), field.cols());
    let at = |(r, c): (usize, usize)| (r * cols + c) as u32;
    loop {
        let Some(next_cell) = field.steepest_lower_neighbour(cell.0, cell.1) else {
            let on_edge = cell.0 == 0 || cell.1 == 0 || cell.0 + 1 == rows || cell.1 + 1 == cols;
            let ending = if on_edge {
                Ending::Edge
            } else {
                Ending::Converged
            };
            return D8::Done(at(cell), ending, *step as u32, false);
        };
        cell = next_cell;
        *moves += 1;
        *step += 1;
        if field.is_sea_sample(cell.0, cell.1) {
            return D8::Done(at(cell), Ending::Sea, *step as u32, false);
        }
        if let Some(sc) = shortcut {
            match sc.memo.lookup(at(cell) as usize, sc.own) {
                Lookup::Unrelated => {}
                Lookup::Known(end, ending) => return D8::Done(end, ending, *step as u32, true),
                Lookup::Pending(i) => return D8::Blocked(i),
            }
        }
        // D8-only moves strictly descend, so they end without a budget.
        if !d8_only && *step >= s.rules.max_steps {
            return D8::Done(at(cell), Ending::MaxSteps, *step as u32, false);
        }
        let centre = Xy::new(cell.1 as f64, cell.0 as f64);
        let steep = field
            .gradient(centre)
            .is_ok_and(|g| s.params.alpha * g.norm() >= s.rules.tolerance_m);
        if steep && !d8_only {
            return D8::Resume(cell);
        }
    }
}

/// One walker from the centre of cell (`r`, `c`), consulting the memo as
/// the start of rank `shortcut.own` if given.
fn walk_one(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    s: &WalkSettings,
    r: usize,
    c: usize,
    shortcut: Option<Shortcut<'_, '_>>,
) -> Attempt {
    let (rows, cols) = (field.rows(), field.cols());
    let at = |(r, c): (usize, usize)| (r * cols + c) as u32;
    let start = Xy::new(c as f64, r as f64);
    let rules = &s.rules;
    let z0 = match field.elevation(start) {
        Ok(z) => z,
        Err(_) => {
            return Attempt::Done(at(nearest_void(heights, start)), Ending::Void, 0, false, 0)
        }
    };
    if rules.stop_below.is_some_and(|b| z0 < b) {
        return Attempt::Done(at((r, c)), Ending::Below, 0, false, 0);
    }
    let mut x = start;
    let mut state = AgentState::new(s.kind, Vector::ZERO);
    let mut still = 0usize;
    let mut here = (r, c);
    let mut moves = 0u32;
    let tolerance_sq = rules.tolerance_m * rules.tolerance_m;
    let mut last_stall_z = f64::INFINITY;
    let mut d8_only = false;
    let mut step = 0usize;
    let is_walker = matches!(state, AgentState::Walker);
    let done = |end: u32, ending: Ending, steps: u32, moves: u32| {
        Attempt::Done(end, ending, steps, false, moves)
    };
    while step < rules.max_steps {
        step += 1;
        let taken = step as u32;
        // The walker's rule called directly: the same `walker::step`
        // `AgentState::step` dispatches to, inlined into this loop.
        let d = if is_walker {
            walker::step(field, x, s.params.alpha)
        } else {
            state.step(field, x, &s.params)
        };
        let d = match d {
            Ok(d) => d,
            Err(Obstacle::Outside) => {
                return done(at(nearest_cell(x, rows, cols)), Ending::Edge, taken, moves)
            }
            Err(Obstacle::Void) => {
                return done(at(nearest_void(heights, x)), Ending::Void, taken, moves)
            }
        };
        let next = field.displace(x, d);
        if !d.is_finite() || !next.is_finite() {
            return done(
                at(nearest_cell(x, rows, cols)),
                Ending::Diverged,
                taken,
                moves,
            );
        }
        // Without a sea level the height is only needed to detect leaving
        // the grid or reaching a void; the next gradient detects a void at
        // the same position, so inside the grid the lookup is skipped.
        let needs_height = rules.stop_below.is_some() || !field.is_inside(next);
        let z = match if needs_height {
            field.elevation(next)
        } else {
            Ok(0.0)
        } {
            Ok(z) => z,
            Err(Obstacle::Outside) => {
                let cell = nearest_cell(next, rows, cols);
                if s.resolve_stalls {
                    // On a filled surface the edge cell drains on to the
                    // lowest edge point the fill made its outlet.
                    let d8 = d8_moves(field, s, cell, true, shortcut, &mut step, &mut moves);
                    if let Err(over) = d8.or_over(step, moves) {
                        return over;
                    }
                }
                return done(at(cell), Ending::Edge, taken, moves);
            }
            Err(Obstacle::Void) => {
                return done(at(nearest_void(heights, next)), Ending::Void, taken, moves)
            }
        };
        x = next;
        if rules.stop_below.is_some_and(|b| z < b) {
            return done(at(nearest_cell(x, rows, cols)), Ending::Below, taken, moves);
        }
        if let Some(sea) = field.sea() {
            if sea.contains(x.y, x.x) {
                let cell = sea
                    .nearest_sea_sample(x.y, x.x)
                    .unwrap_or_else(|| nearest_cell(x, rows, cols));
                return done(at(cell), Ending::Sea, taken, moves);
            }
        }
        // |d| < tolerance, compared squared (no hypot in the hot loop).
        still = if d.east * d.east + d.north * d.north < tolerance_sq {
            still + 1
        } else {
            0
        };
        if is_walker && d == Vector::ZERO && still < rules.patience {
            // A memoryless walker that did not move sees the same gradient
            // at the same place on every later step: the rest of its
            // patience is taken at once (counted, as if simulated), or as
            // much of it as the step budget allows.
            let rest = (rules.patience - still).min(rules.max_steps - step);
            step += rest;
            still += rest;
            if still < rules.patience {
                break;
            }
        }
        let taken = step as u32;
        if still >= rules.patience {
            let mut cell = nearest_cell(x, rows, cols);
            if !s.resolve_stalls {
                return done(at(cell), Ending::Converged, taken, moves);
            }
            // Stall resolution: D8 moves while the ground is too flat for
            // the agent, for good once it stalls no lower than last time.
            let z = heights[[cell.0, cell.1]] as f64;
            d8_only |= z >= last_stall_z;
            last_stall_z = z;
            let d8 = d8_moves(field, s, cell, d8_only, shortcut, &mut step, &mut moves);
            cell = match d8.or_over(step, moves) {
                Ok(cell) => cell,
                Err(over) => return over,
            };
            x = Xy::new(cell.1 as f64, cell.0 as f64);
            here = cell;
            state = AgentState::new(s.kind, Vector::ZERO);
            still = 0;
            continue;
        }
        if let Some(sc) = shortcut {
            let cell = nearest_cell(x, rows, cols);
            if cell != here {
                here = cell;
                match sc.memo.take_over(at(cell) as usize, x, rows, cols, sc.own) {
                    Ok(Some((end, ending))) => {
                        return Attempt::Done(end, ending, taken, true, moves)
                    }
                    Ok(None) => {}
                    Err(i) => {
                        return Attempt::Blocked {
                            cell: i,
                            steps: taken,
                        }
                    }
                }
            }
        }
    }
    let cell = nearest_cell(x, rows, cols);
    if s.resolve_stalls {
        // Out of budget on a filled surface (gd bouncing across a valley too
        // sharp for its α): the walker finishes by D8 moves, which strictly
        // descend and so end without a budget.
        let d8 = d8_moves(field, s, cell, true, shortcut, &mut step, &mut moves);
        if let Err(over) = d8.or_over(step, moves) {
            return over;
        }
    }
    done(
        at(cell),
        Ending::MaxSteps,
        rules.max_steps.min(u32::MAX as usize) as u32,
        moves,
    )
}

/// Work done by one thread (or one batch) of walkers.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    steps: u64,
    shortcuts: usize,
    stall_moves: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.steps += other.steps;
        self.shortcuts += other.shortcuts;
        self.stall_moves += other.stall_moves;
    }
}

/// The ending of the start in cell `i` under the gd shortcut, computing
/// first, on this thread, the endings of the lower starts it runs into that
/// nobody has finished yet. Every pending link goes strictly down the
/// height order, so this ends; a walk redone after such a detour counts its
/// steps again (they were simulated).
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
        if memo.known[t].load(Ordering::Acquire) & KNOWN != 0 {
            stack.pop();
            continue;
        }
        let shortcut = Shortcut {
            memo,
            own: memo.rank[t],
        };
        match walk_one(field, heights, s, t / cols, t % cols, Some(shortcut)) {
            Attempt::Done(end, ending, steps, cut, moves) => {
                tally.steps += steps as u64;
                tally.stall_moves += moves as u64;
                tally.shortcuts += cut as usize;
                memo.known[t].store(pack(end, ending), Ordering::Release);
                stack.pop();
            }
            Attempt::Blocked { cell, steps } => {
                tally.steps += steps as u64;
                stack.push(cell);
            }
        }
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
    fn spend(&self, steps: u64) -> bool {
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
    let (rows, cols) = heights.dim();
    let stride = settings.stride.max(1);
    let mut starts: Vec<u32> = (0..rows)
        .step_by(stride)
        .flat_map(|r| (0..cols).step_by(stride).map(move |c| (r, c)))
        .filter(|&(r, c)| {
            let z = heights[[r, c]];
            !z.is_nan()
                && !settings.rules.stop_below.is_some_and(|b| (z as f64) < b)
                && !field.is_sea_sample(r, c)
        })
        .map(|(r, c)| (r * cols + c) as u32)
        .collect();
    let mut walks = Walks {
        end: vec![NO_START; rows * cols],
        ending: vec![0; rows * cols],
        starts: starts.len(),
        steps: 0,
        shortcuts: 0,
        stall_moves: 0,
    };
    let tally = if settings.kind == AgentKind::Gd && !settings.exact {
        // Sorted as one u64 per start, height key above the index: the
        // same order as (key, index), without a height lookup per comparison.
        let mut keyed: Vec<u64> = starts
            .par_iter()
            .map(|&i| {
                let z = heights[[i as usize / cols, i as usize % cols]];
                (super::fill::order_key(z) as u64) << 32 | i as u64
            })
            .collect();
        keyed.par_sort_unstable();
        starts = keyed.into_iter().map(|k| k as u32).collect();
        walk_with_shortcut(
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
    let cols = field.cols();
    let mut tally = Tally::default();
    for chunk in starts.chunks(16_384) {
        if cancel.load(Ordering::Relaxed) || budget.exceeded() {
            break;
        }
        let before = tally.steps;
        let results: Vec<Option<Attempt>> = chunk
            .par_iter()
            .map(|&i| {
                // Checked per walker: a chunk of long walks can take a while.
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let (r, c) = (i as usize / cols, i as usize % cols);
                Some(walk_one(field, heights, settings, r, c, None))
            })
            .collect();
        for (&i, attempt) in chunk.iter().zip(&results) {
            // Without a memo no walk can be blocked.
            if let &Some(Attempt::Done(end, ending, steps, _, moves)) = attempt {
                walks.end[i as usize] = end;
                walks.ending[i as usize] = ending as u8;
                tally.steps += steps as u64;
                tally.stall_moves += moves as u64;
            }
        }
        progress(chunk.len());
        if !budget.spend(tally.steps - before) {
            break;
        }
    }
    tally
}

/// The gd shortcut: `starts` in height order, lowest first; every thread
/// takes the next group of starts from a shared counter, so the starts in
/// flight are always the lowest unfinished ones.
#[allow(clippy::too_many_arguments)]
fn walk_with_shortcut(
    field: &GridField<'_>,
    heights: &Array2<f32>,
    settings: &WalkSettings,
    starts: &[u32],
    walks: &mut Walks,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    budget: &StepBudget,
) -> Tally {
    const GROUP: usize = 256;
    let n = field.rows() * field.cols();
    let mut rank = vec![NO_START; n];
    for (k, &i) in starts.iter().enumerate() {
        rank[i as usize] = k as u32;
    }
    let known: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let memo = Memo {
        rank: &rank,
        known: &known,
    };
    let next = AtomicUsize::new(0);
    let groups = starts.len().div_ceil(GROUP);
    let tallies: Vec<Tally> = rayon::broadcast(|_| {
        let mut tally = Tally::default();
        // One stack per thread, reused by every start it resolves.
        let mut stack = Vec::new();
        loop {
            let g = next.fetch_add(1, Ordering::Relaxed);
            if g >= groups || cancel.load(Ordering::Relaxed) || budget.exceeded() {
                break;
            }
            let group = &starts[g * GROUP..((g + 1) * GROUP).min(starts.len())];
            let before = tally.steps;
            for &i in group {
                resolve(field, heights, settings, &memo, i, &mut stack, &mut tally);
            }
            progress(group.len());
            if !budget.spend(tally.steps - before) {
                break;
            }
        }
        tally
    });
    for (i, w) in known.iter().enumerate() {
        let w = w.load(Ordering::Relaxed);
        if w & KNOWN != 0 {
            let (end, ending) = unpack(w);
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
                Attempt::Done(end, ending, steps, _, _) => {
                    assert_eq!(end, 2 * 7 + 1);
                    assert_eq!(ending, Ending::Converged);
                    assert_eq!(steps as usize, patience);
                }
                Attempt::Blocked { .. } => panic!("no memo, no block"),
            }
        }
        let s = settings(true, 5);
        match walk_one(&field, &heights, &s, 2, 1, None) {
            Attempt::Done(end, ending, steps, _, _) => {
                assert_eq!((end, ending, steps), (2 * 7 + 1, Ending::MaxSteps, 5));
            }
            Attempt::Blocked { .. } => panic!("no memo, no block"),
        }
        // Next to the step the walker moves east and leaves the grid.
        match walk_one(&field, &heights, &settings(true, 1000), 2, 5, None) {
            Attempt::Done(end, ending, _, _, _) => {
                assert_eq!((end, ending), (2 * 7 + 6, Ending::Edge));
            }
            Attempt::Blocked { .. } => panic!("no memo, no block"),
        }
    }
}
