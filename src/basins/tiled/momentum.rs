//! One block's terrain as a momentum walker needs it, and the in-memory
//! walk of a start (`basins::walk`: the descent loop, stall resolution,
//! D8 moves) run on it up to the point where it needs terrain the block
//! does not know exactly; there it is handed over ([`super::handoff`]).
//!
//! # What a block knows exactly
//!
//! Positions are mosaic sample coordinates (`x` column, `y` row), and a
//! move is converted to samples with the mosaic's own row sizes
//! ([`super::TileSet::metrics`]), so a walker's arithmetic is the
//! in-memory [`crate::basins::GridField`]'s, operation for operation. The
//! block [`super::TiledFill::block`] fills exactly, grown by a one-sample
//! halo at final fill heights, gives exact heights on that window, and
//! exact gradients (the stencil of [`crate::terrain::gradient_at`] with
//! the mosaic's row sizes) on the block's own samples. The gradients of
//! the halo samples need heights two samples out, in the neighbours'
//! interiors; each block's perimeter gradients are published after the
//! first round ([`BlockTerrain::ring_gradients`]), so from the second
//! round on a block knows exact gradients on its whole window. A bilinear
//! lookup whose four samples are all known is exactly the in-memory one;
//! one that is not marks the walker for a hand-off to the block holding
//! the lookup's top-left sample, and the step is taken there instead.
//!
//! The sea, when the run has one, is the whole mosaic's mask cut to the
//! window ([`super::TiledFill::window_sea`]), exact wherever the four
//! samples around a position lie in the window. A step that lands where
//! they do not ends the walk with its sea test pending ([`Phase::SeaTest`]):
//! the block holding the position's top-left sample makes the test and
//! then updates the patience counter as [`crate::agents::Agent::walk`]
//! would have (a ball's move is its new velocity).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ndarray::Array2;
use rayon::prelude::*;

use super::flood::ring_index;
use super::handoff::{Ending, Flight, Phase};
use super::walkers::block_window;
use super::{Block, TileSet, TiledFill};
use crate::agents::{Agent, AgentState, Halt, Recorder, StopReason};
use crate::basins::WalkSettings;
use crate::error::{Error, Result};
use crate::geo::{LonLat, Xy};
use crate::terrain::{
    bilinear_f32, gradient_at, GradientScheme, Obstacle, RowMetrics, Surface, Vector,
};

/// One block, filled, with its window's heights and the gradients known
/// exactly (see the module documentation).
#[derive(Debug)]
pub struct BlockTerrain<'m> {
    /// The block's index in [`TileSet::blocks`].
    pub k: usize,
    block: Block,
    /// Mosaic rows and columns.
    dim: (usize, usize),
    metrics: &'m RowMetrics,
    /// Mosaic row and column of the window's first sample.
    w0: (usize, usize),
    /// Window rows and columns.
    wdim: (usize, usize),
    /// Filled heights of the window (metres, row-major).
    heights: Vec<f32>,
    /// Slope east and north (m/m) of the window's samples, row-major.
    slopes: Vec<[f32; 2]>,
    /// Mosaic rows `[0, 1)` and columns `[2, 3)` where `slopes` is exact.
    exact: [usize; 4],
    /// Whether each sample of the block grown by two samples is a void
    /// (first sample at mosaic row and column `b.r0 - 2`, `b.c0 - 2`).
    voids: Array2<bool>,
    /// The sea of the window (window rows and columns), equal to the whole
    /// mosaic's cut to it ([`TiledFill::window_sea`]), if the run has one.
    sea: Option<crate::dem::SeaMask>,
}

/// A stencil's neighbour at (`dr`, `dc`) of a sample.
const NEIGHBOURS: [(isize, isize); 8] = crate::basins::fill::NEIGHBOURS;

impl<'m> BlockTerrain<'m> {
    /// Reads and fills block `k` of `tiles` and computes its gradients with
    /// `scheme` and the mosaic's row sizes `metrics`; with `rings` (every
    /// block's [`BlockTerrain::ring_gradients`]) the halo's gradients too.
    pub fn load(
        tiles: &TileSet,
        fill: &TiledFill,
        k: usize,
        metrics: &'m RowMetrics,
        scheme: GradientScheme,
        rings: Option<&[Vec<[f32; 2]>]>,
    ) -> Result<BlockTerrain<'m>> {
        let b = tiles.blocks()[k].clone();
        let (dem, top, left, sea) = block_window(tiles, fill, k)?;
        let w0 = (b.r0 - top, b.c0 - left);
        let wdim = dem.heights.dim();
        // The window's row sizes are the mosaic's (not recomputed from the
        // window's own placement, which may round differently).
        let wm = RowMetrics {
            dx: metrics.dx[w0.0..w0.0 + wdim.0].to_vec(),
            dy: metrics.dy[w0.0..w0.0 + wdim.0].to_vec(),
        };
        let mut slopes = vec![[f32::NAN; 2]; wdim.0 * wdim.1];
        slopes
            .par_chunks_mut(wdim.1)
            .enumerate()
            .for_each(|(wr, row)| {
                if wr < top || wr >= top + b.rows {
                    return;
                }
                for (wc, slot) in row.iter_mut().enumerate().skip(left).take(b.cols) {
                    if let Some(g) = gradient_at(&dem, &wm, scheme, wr, wc) {
                        *slot = [g.east as f32, g.north as f32];
                    }
                }
            });
        let mut exact = [b.r0, b.r0 + b.rows, b.c0, b.c0 + b.cols];
        if let Some(rings) = rings {
            for wr in 0..wdim.0 {
                for wc in 0..wdim.1 {
                    let (r, c) = (w0.0 + wr, w0.1 + wc);
                    if (b.r0..b.r0 + b.rows).contains(&r) && (b.c0..b.c0 + b.cols).contains(&c) {
                        continue;
                    }
                    let n = tiles.block_of(r, c);
                    let nb = &tiles.blocks()[n];
                    let i = ring_index(nb.rows, nb.cols, r - nb.r0, c - nb.c0);
                    let g = i.and_then(|i| rings.get(n).and_then(|ring| ring.get(i)));
                    let Some(g) = g else {
                        return Err(Error::param(format!(
                            "the perimeter gradients of block {} are missing",
                            nb.name
                        )));
                    };
                    slopes[wr * wdim.1 + wc] = *g;
                }
            }
            exact = [w0.0, w0.0 + wdim.0, w0.1, w0.1 + wdim.1];
        }
        let raw = tiles.window(b.r0 as isize - 2, b.c0 as isize - 2, b.rows + 4, b.cols + 4)?;
        let voids = raw.mapv(f32::is_nan);
        let heights = match dem.heights.as_slice() {
            Some(h) => h.to_vec(),
            None => dem.heights.iter().copied().collect(),
        };
        Ok(BlockTerrain {
            k,
            block: b,
            dim: tiles.dim(),
            metrics,
            w0,
            wdim,
            heights,
            slopes,
            exact,
            voids,
            sea,
        })
    }

    /// The gradients (m/m east and north) of the block's perimeter samples
    /// in ring order ([`ring_index`]): what the neighbours' windows need.
    pub fn ring_gradients(&self) -> Vec<[f32; 2]> {
        let b = &self.block;
        let mut ring = vec![[f32::NAN; 2]; super::flood::ring_len(b.rows, b.cols)];
        for r in 0..b.rows {
            for c in 0..b.cols {
                if let Some(i) = ring_index(b.rows, b.cols, r, c) {
                    ring[i] = self.slopes[self.w(b.r0 + r, b.c0 + c)];
                }
            }
        }
        ring
    }

    /// Row-major index in the window of mosaic sample (`r`, `c`).
    #[inline(always)]
    fn w(&self, r: usize, c: usize) -> usize {
        (r - self.w0.0) * self.wdim.1 + (c - self.w0.1)
    }

    /// `true` when mosaic sample `(r, c)`, in the window, is sea.
    fn is_sea_sample(&self, (r, c): (usize, usize)) -> bool {
        self.sea.as_ref().is_some_and(|sea| {
            r >= self.w0.0 && c >= self.w0.1 && sea.is_sea_sample(r - self.w0.0, c - self.w0.1)
        })
    }

    /// The sea sample nearest to `p` among the four around it, as
    /// [`crate::dem::SeaMask::nearest_sea_sample`] on the whole mosaic
    /// (`p`'s bilinear cell lies in the window when the walker stopped
    /// at the sea here).
    fn nearest_sea_sample(&self, p: Xy) -> Option<(usize, usize)> {
        let sea = self.sea.as_ref()?;
        let (r, c) = sea.nearest_sea_sample(p.y - self.w0.0 as f64, p.x - self.w0.1 as f64)?;
        Some((r + self.w0.0, c + self.w0.1))
    }

    /// `true` when mosaic cell `(r, c)` belongs to this block.
    #[inline]
    pub fn holds(&self, (r, c): (usize, usize)) -> bool {
        let b = &self.block;
        (b.r0..b.r0 + b.rows).contains(&r) && (b.c0..b.c0 + b.cols).contains(&c)
    }

    /// Filled height (metres) of mosaic sample `(r, c)`, `NaN` outside the window.
    fn height(&self, (r, c): (usize, usize)) -> f32 {
        let inside = (self.w0.0..self.w0.0 + self.wdim.0).contains(&r)
            && (self.w0.1..self.w0.1 + self.wdim.1).contains(&c);
        if inside {
            self.heights[self.w(r, c)]
        } else {
            f32::NAN
        }
    }

    /// `true` when `p` lies within the mosaic's sample centres.
    #[inline(always)]
    fn in_mosaic(&self, p: Xy) -> bool {
        p.y >= 0.0 && p.x >= 0.0 && p.y <= (self.dim.0 - 1) as f64 && p.x <= (self.dim.1 - 1) as f64
    }

    /// The mosaic cell nearest to `p`, clamped into the mosaic (as
    /// `basins::walk::nearest_cell` on the whole mosaic).
    #[inline]
    fn nearest_cell(&self, p: Xy) -> (usize, usize) {
        let r = ((p.y + 0.5).max(0.0) as i64 as usize).min(self.dim.0 - 1);
        let c = ((p.x + 0.5).max(0.0) as i64 as usize).min(self.dim.1 - 1);
        (r, c)
    }

    /// The top-left sample of the bilinear cell around `p` (inside the mosaic).
    #[inline(always)]
    fn quad_corner(&self, p: Xy) -> (usize, usize) {
        let r0 = (p.y as i64 as usize).min(self.dim.0 - 2);
        let c0 = (p.x as i64 as usize).min(self.dim.1 - 2);
        (r0, c0)
    }

    /// The void sample nearest to `p` within two cells of its nearest cell
    /// (which this block holds), or that cell (as `basins::walk`).
    fn nearest_void(&self, p: Xy) -> (usize, usize) {
        let (rows, cols) = self.dim;
        let (r, c) = self.nearest_cell(p);
        let (vr0, vc0) = (self.block.r0 as isize - 2, self.block.c0 as isize - 2);
        let mut best: Option<((usize, usize), f64)> = None;
        for rr in r.saturating_sub(2)..(r + 3).min(rows) {
            for cc in c.saturating_sub(2)..(c + 3).min(cols) {
                let (vr, vc) = (rr as isize - vr0, cc as isize - vc0);
                let void =
                    vr >= 0 && vc >= 0 && self.voids.get((vr as usize, vc as usize)) == Some(&true);
                if void {
                    let d = (rr as f64 - p.y).hypot(cc as f64 - p.x);
                    if !matches!(best, Some((_, bd)) if bd <= d) {
                        best = Some(((rr, cc), d));
                    }
                }
            }
        }
        best.map_or((r, c), |(cell, _)| cell)
    }

    /// The 8-neighbour of cell (`r`, `c`) (held by this block) with the
    /// steepest drop per metre, if one is strictly lower (as
    /// [`crate::basins::GridField::steepest_lower_neighbour`] on the mosaic).
    fn steepest_lower_neighbour(&self, r: usize, c: usize) -> Option<(usize, usize)> {
        let z = self.heights[self.w(r, c)] as f64;
        let (dx, dy) = (self.metrics.dx[r], self.metrics.dy[r]);
        let diagonal = dx.hypot(dy);
        let mut best: Option<((usize, usize), f64)> = None;
        for &(dr, dc) in &NEIGHBOURS {
            let (nr, nc) = (r as isize + dr, c as isize + dc);
            if nr < 0 || nc < 0 || nr as usize >= self.dim.0 || nc as usize >= self.dim.1 {
                continue;
            }
            let zn = self.heights[self.w(nr as usize, nc as usize)] as f64;
            let distance = match (dr, dc) {
                (0, _) => dx,
                (_, 0) => dy,
                _ => diagonal,
            };
            let drop = (z - zn) / distance;
            if drop > 0.0 && !matches!(best, Some((_, b)) if b >= drop) {
                best = Some(((nr as usize, nc as usize), drop));
            }
        }
        best.map(|(cell, _)| cell)
    }
}

/// The block's terrain as a [`Surface`] for one walker: a lookup that
/// needs samples the block does not know exactly fails as if outside, and
/// records where it was asked for (see [`Probe::escape`]).
struct Probe<'t, 'm> {
    t: &'t BlockTerrain<'m>,
    escaped: AtomicBool,
    /// The escape was the sea test of a position a step had reached (the
    /// step was taken; only its sea test is left).
    sea_test: AtomicBool,
    at: [AtomicU64; 2],
}

impl<'t, 'm> Probe<'t, 'm> {
    fn new(t: &'t BlockTerrain<'m>) -> Self {
        Probe {
            t,
            escaped: AtomicBool::new(false),
            sea_test: AtomicBool::new(false),
            at: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    /// Where a lookup needed terrain the block does not know exactly, if
    /// one did.
    fn escape(&self) -> Option<Xy> {
        self.escaped.load(Ordering::Relaxed).then(|| {
            Xy::new(
                f64::from_bits(self.at[0].load(Ordering::Relaxed)),
                f64::from_bits(self.at[1].load(Ordering::Relaxed)),
            )
        })
    }

    /// The window index of the bilinear cell around `p` and its weights,
    /// if the four samples lie in `rect` (mosaic rows and columns, ends
    /// excluded); `Outside` past the mosaic, as in memory; an escape
    /// (recorded) where the mosaic goes on beyond what the block knows.
    #[inline(always)]
    fn cell(&self, p: Xy, rect: [usize; 4]) -> std::result::Result<(usize, f64, f64), Obstacle> {
        let t = self.t;
        if !t.in_mosaic(p) {
            return Err(Obstacle::Outside);
        }
        let (r0, c0) = t.quad_corner(p);
        if r0 < rect[0] || r0 + 1 >= rect[1] || c0 < rect[2] || c0 + 1 >= rect[3] {
            self.escaped.store(true, Ordering::Relaxed);
            self.at[0].store(p.x.to_bits(), Ordering::Relaxed);
            self.at[1].store(p.y.to_bits(), Ordering::Relaxed);
            return Err(Obstacle::Outside);
        }
        Ok((t.w(r0, c0), p.y - r0 as f64, p.x - c0 as f64))
    }

    #[inline(always)]
    fn quad<T: Copy>(&self, a: &[T], i0: usize) -> [T; 4] {
        let cols = self.t.wdim.1;
        [a[i0], a[i0 + 1], a[i0 + cols], a[i0 + cols + 1]]
    }
}

impl Surface for Probe<'_, '_> {
    #[inline(always)]
    fn elevation(&self, p: Xy) -> std::result::Result<f64, Obstacle> {
        let t = self.t;
        let window = [t.w0.0, t.w0.0 + t.wdim.0, t.w0.1, t.w0.1 + t.wdim.1];
        let (i0, fr, fc) = self.cell(p, window)?;
        let z = bilinear_f32(self.quad(&t.heights, i0), fr, fc);
        if z.is_nan() {
            Err(Obstacle::Void)
        } else {
            Ok(z)
        }
    }

    #[inline(always)]
    fn gradient(&self, p: Xy) -> std::result::Result<Vector, Obstacle> {
        let t = self.t;
        let (i0, fr, fc) = self.cell(p, t.exact)?;
        let [a, b, c, d] = self.quad(&t.slopes, i0);
        let east = bilinear_f32([a[0], b[0], c[0], d[0]], fr, fc);
        let north = bilinear_f32([a[1], b[1], c[1], d[1]], fr, fc);
        if east.is_nan() || north.is_nan() {
            Err(Obstacle::Void)
        } else {
            Ok(Vector::new(east, north))
        }
    }

    #[inline(always)]
    fn displace(&self, p: Xy, d: Vector) -> Xy {
        // As `GridField::displace`, on the mosaic's rows.
        let (dx, dy) = self.t.metrics.spacing_at(p.y);
        Xy::new(p.x + d.east / dx, p.y - d.north / dy)
    }

    fn distance(&self, a: Xy, b: Xy) -> f64 {
        let m = self.t.metrics;
        let r = (((a.y + b.y) / 2.0).max(0.0) as usize).min(self.t.dim.0 - 1);
        ((b.x - a.x) * m.dx[r]).hypot((b.y - a.y) * m.dy[r])
    }

    fn lon_lat(&self, _p: Xy) -> Option<LonLat> {
        None
    }

    /// The window's sea at `p` ([`crate::dem::SeaMask::contains`], whose
    /// four samples around `p` must lie in the window). Where they do not,
    /// the test is left to the block that knows them: the escape is
    /// recorded as a sea test and `true` ends the walk here.
    #[inline(always)]
    fn in_sea(&self, p: Xy) -> bool {
        let t = self.t;
        let Some(sea) = t.sea.as_ref() else {
            return false;
        };
        if !t.in_mosaic(p) {
            return false;
        }
        let (r0, c0) = t.quad_corner(p);
        let inside = r0 >= t.w0.0
            && r0 + 1 < t.w0.0 + t.wdim.0
            && c0 >= t.w0.1
            && c0 + 1 < t.w0.1 + t.wdim.1;
        if !inside {
            self.escaped.store(true, Ordering::Relaxed);
            self.sea_test.store(true, Ordering::Relaxed);
            self.at[0].store(p.x.to_bits(), Ordering::Relaxed);
            self.at[1].store(p.y.to_bits(), Ordering::Relaxed);
            return true;
        }
        sea.contains(p.y - t.w0.0 as f64, p.x - t.w0.1 as f64)
    }
}

/// The basins walker's recorder on a block: keeps nothing and looks
/// heights up only where a step may have left the mosaic (as the
/// in-memory one without the gd shortcut).
struct Quiet<'t, 'm> {
    t: &'t BlockTerrain<'m>,
}

impl Recorder for Quiet<'_, '_> {
    type Handoff = Infallible;
    const KEEPS_EVERY_STEP: bool = false;

    #[inline(always)]
    fn needs_elevation(&self, next: Xy) -> bool {
        !self.t.in_mosaic(next)
    }

    #[inline(always)]
    fn record(&mut self, _position: Xy, _elevation: f64) {}
}

/// What became of a walker on a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// It ended.
    Done(Ending),
    /// It goes on in this block next round.
    Handoff(usize, Flight),
}

/// The velocity an agent's state carries (zero for memoryless agents).
fn velocity_of(state: &AgentState) -> Vector {
    match state {
        AgentState::Ball(v) | AgentState::Nesterov(v) => *v,
        _ => Vector::ZERO,
    }
}

impl BlockTerrain<'_> {
    /// The walker dropped on start (`r`, `c`) of this block, walked as
    /// far as the block can take it; the steps it took here come second.
    pub fn start(
        &self,
        s: &WalkSettings,
        tiles: &TileSet,
        (r, c): (usize, usize),
    ) -> Result<(Outcome, u64)> {
        let at = Xy::new(c as f64, r as f64);
        let probe = Probe::new(self);
        if probe.elevation(at).is_err() {
            if probe.escape().is_some() {
                return Err(Error::param(format!(
                    "block {}: the start ({r}, {c}) lies outside the block's window",
                    self.block.name
                )));
            }
            let end = self.nearest_void(at);
            return Ok((
                Outcome::Done(Ending {
                    start: (r, c),
                    end,
                    reason: StopReason::Void,
                    height: f32::NAN,
                }),
                0,
            ));
        }
        let flight = Flight {
            start: (r, c),
            at,
            phase: Phase::Walk,
            velocity: Vector::ZERO,
            steps: 0,
            still: 0,
            moves: 0,
            last_stall_z: f64::INFINITY,
            d8_only: false,
        };
        self.resume(s, tiles, flight)
    }

    /// Walks `f` on from where it was handed over (see [`Phase`]) until it
    /// ends or needs another block; the steps it took here come second.
    pub fn resume(
        &self,
        s: &WalkSettings,
        tiles: &TileSet,
        mut f: Flight,
    ) -> Result<(Outcome, u64)> {
        let began = f.steps;
        let agent = Agent {
            kind: s.kind,
            params: s.params,
        };
        let centre = |(r, c): (usize, usize)| Xy::new(c as f64, r as f64);
        let handoff =
            |to: usize, f: Flight| Ok((Outcome::Handoff(to, f), (f.steps - began) as u64));
        let done = |f: &Flight, end: (usize, usize), reason: StopReason| {
            let height = if reason == StopReason::Void {
                f32::NAN
            } else {
                self.height(end)
            };
            Ok((
                Outcome::Done(Ending {
                    start: f.start,
                    end,
                    reason,
                    height,
                }),
                (f.steps - began) as u64,
            ))
        };
        let owner = |p: Xy| {
            let (r0, c0) = self.quad_corner(p);
            tiles.block_of(r0, c0)
        };
        loop {
            match f.phase {
                Phase::Walk => {
                    let mut state = AgentState::new(s.kind, f.velocity);
                    let probe = Probe::new(self);
                    let mut quiet = Quiet { t: self };
                    let halt = agent.walk_resumed(
                        &probe,
                        f.at,
                        &mut state,
                        &s.rules,
                        &mut f.steps,
                        &mut f.still,
                        &mut quiet,
                    );
                    let stop = match halt {
                        Halt::Rule(stop) => stop,
                        Halt::Hook(never) => match never {},
                    };
                    if let Some(p) = probe.escape() {
                        if probe.sea_test.load(Ordering::Relaxed) {
                            // The step to `p` was taken; its sea test is
                            // next, on the block that knows the sea there.
                            f.at = stop.at;
                            f.velocity = velocity_of(&state);
                            f.phase = Phase::SeaTest;
                            return handoff(owner(p), f);
                        }
                        if stop.ahead {
                            return Err(Error::param(format!(
                                "block {}: a walker's step led where the block cannot tell the \
                                 height (only with a height threshold, which the tiled momentum \
                                 walkers do not take)",
                                self.block.name
                            )));
                        }
                        // The step that needed `p` was counted, not taken.
                        f.steps -= 1;
                        f.at = stop.at;
                        f.velocity = velocity_of(&state);
                        return handoff(owner(p), f);
                    }
                    f.at = stop.at;
                    f.velocity = velocity_of(&state);
                    f.phase = Phase::Stop(stop.reason, stop.ahead);
                }
                Phase::SeaTest => {
                    // The rest of the descent loop's iteration after the
                    // step to `at` (`Agent::walk`): the sea test, then the
                    // patience counter with the step's move, which for a
                    // momentum or Nesterov ball is its new velocity.
                    let probe = Probe::new(self);
                    let wet = probe.in_sea(f.at);
                    if probe.escape().is_some() {
                        return Err(Error::param(format!(
                            "block {}: a walker was handed over for a sea test the block cannot \
                             make",
                            self.block.name
                        )));
                    }
                    if wet {
                        f.phase = Phase::Stop(StopReason::Sea, false);
                        continue;
                    }
                    let d = f.velocity;
                    let tolerance_sq = s.rules.tolerance_m * s.rules.tolerance_m;
                    f.still = if d.east * d.east + d.north * d.north < tolerance_sq {
                        f.still + 1
                    } else {
                        0
                    };
                    f.phase = if f.still >= s.rules.patience {
                        Phase::Stop(StopReason::Converged, false)
                    } else {
                        Phase::Walk
                    };
                }
                Phase::Stop(reason, ahead) => {
                    let cell = self.nearest_cell(f.at);
                    if !self.holds(cell) {
                        return handoff(tiles.block_of(cell.0, cell.1), f);
                    }
                    // `basins::walk::finish` with `resolve_stalls` (the
                    // tiled engine always fills).
                    let d8_only = match reason {
                        StopReason::Void => return done(&f, self.nearest_void(f.at), reason),
                        StopReason::Sea => {
                            let end = self.nearest_sea_sample(f.at).unwrap_or(cell);
                            return done(&f, end, reason);
                        }
                        StopReason::Edge if ahead => true,
                        StopReason::MaxSteps => true,
                        StopReason::Converged => {
                            let z = self.height(cell) as f64;
                            f.d8_only |= z >= f.last_stall_z;
                            f.last_stall_z = z;
                            f.d8_only
                        }
                        _ => return done(&f, cell, reason),
                    };
                    // D8-only moves never resume a walk, so the walker's
                    // own flag may carry the moves' one.
                    f.d8_only |= d8_only;
                    f.at = centre(cell);
                    f.phase = Phase::D8;
                }
                Phase::D8 => {
                    let cell = self.nearest_cell(f.at);
                    if !self.holds(cell) {
                        return handoff(tiles.block_of(cell.0, cell.1), f);
                    }
                    let Some(next) = self.steepest_lower_neighbour(cell.0, cell.1) else {
                        let (rows, cols) = self.dim;
                        let on_edge =
                            cell.0 == 0 || cell.1 == 0 || cell.0 + 1 == rows || cell.1 + 1 == cols;
                        let ending = if on_edge {
                            StopReason::Edge
                        } else {
                            StopReason::Converged
                        };
                        return done(&f, cell, ending);
                    };
                    f.moves += 1;
                    f.steps += 1;
                    f.at = centre(next);
                    f.phase = Phase::D8Arrived;
                }
                Phase::D8Arrived => {
                    let cell = self.nearest_cell(f.at);
                    if !f.d8_only && f.steps >= s.rules.max_steps {
                        return done(&f, cell, StopReason::MaxSteps);
                    }
                    let probe = Probe::new(self);
                    let g = probe.gradient(f.at);
                    if let Some(p) = probe.escape() {
                        return handoff(owner(p), f);
                    }
                    let steep = g.is_ok_and(|g| s.params.alpha * g.norm() >= s.rules.tolerance_m);
                    if steep && !f.d8_only {
                        // Walks on from the cell's centre, at rest.
                        f.velocity = Vector::ZERO;
                        f.still = 0;
                        f.phase = Phase::Walk;
                    } else {
                        f.phase = Phase::D8;
                    }
                }
            }
        }
    }

    /// The starts of this block: every `stride`-th mosaic row and column
    /// from 0 whose filled height is not a void (as `walk_all_within`).
    pub fn starts(&self, stride: usize) -> Vec<(usize, usize)> {
        let b = &self.block;
        let s = stride.max(1);
        let first = |a: usize| a.div_ceil(s) * s;
        let mut out = Vec::new();
        let mut r = first(b.r0);
        while r < b.r0 + b.rows {
            let mut c = first(b.c0);
            while c < b.c0 + b.cols {
                // As in memory: no walker on a void or a sea sample.
                if !self.height((r, c)).is_nan() && !self.is_sea_sample((r, c)) {
                    out.push((r, c));
                }
                c += s;
            }
            r += s;
        }
        out
    }

    /// The block's name.
    pub fn name(&self) -> &str {
        &self.block.name
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::agents::{AgentKind, StepParams, StopRules};
    use crate::basins::tiled::FillSettings;
    use crate::basins::walk::{walk_one, Attempt};
    use crate::basins::{priority_flood, GridField};
    use crate::dem::LoadOptions;
    use crate::terrain::GradientGrid;

    /// A synthetic SRTM3 tile: a V-shaped valley falling north (2 m per
    /// row), its floor on column 400.5, the edge between the first two
    /// columns of 401-sample blocks; the sides rise 6 m per column.
    fn valley(dir: &std::path::Path) -> std::path::PathBuf {
        let mut bytes = Vec::with_capacity(1201 * 1201 * 2);
        for r in 0..1201i32 {
            for c in 0..1201i32 {
                let z = 3 * (2 * c - 801).abs() + 2 * r + 10;
                bytes.extend_from_slice(&(z as i16).to_be_bytes());
            }
        }
        let path = dir.join("N43E006.hgt");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Walkers rolling down the valley swing across its floor, so across
    /// a block edge, again and again, and down across two more; handed
    /// from block to block they end in the cell, and for the reason, that
    /// the in-memory walk of the whole tile gives (`basins::walk`).
    #[test]
    fn walkers_crossing_block_edges_back_and_forth_end_as_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = valley(dir.path());
        let options = LoadOptions::default();
        let tiles = TileSet::from_raster(&path, 401, &options).unwrap();
        let settings = FillSettings {
            min_slope: 0.0,
            sea_below: None,
            sea: None,
        };
        let fill = TiledFill::plan(&tiles, settings, &|_| {}).unwrap();
        // The in-memory reference: the whole tile filled, its gradient, a walk.
        let mut whole = crate::dem::open(&path, &options).unwrap();
        let metrics = RowMetrics::of(&whole);
        priority_flood(&mut whole.heights, &metrics, 0.0, None);
        let gradient = GradientGrid::compute(&whole, GradientScheme::Central);
        let field = GridField::new(&whole.heights, &gradient, &metrics);
        let mosaic = tiles.metrics();
        let rings: Vec<Vec<[f32; 2]>> = (0..tiles.blocks().len())
            .map(|k| {
                let t =
                    BlockTerrain::load(&tiles, &fill, k, &mosaic, GradientScheme::Central, None);
                t.unwrap().ring_gradients()
            })
            .collect();
        let mut loaded: HashMap<usize, BlockTerrain> = HashMap::new();
        let mut returned = 0;
        for kind in [AgentKind::Momentum, AgentKind::Nesterov] {
            let s = WalkSettings {
                kind,
                params: StepParams::default_for(kind),
                rules: StopRules::default(),
                stride: 1,
                exact: false,
                resolve_stalls: true,
            };
            for (r, c) in [(1150, 120), (1000, 700), (1190, 390), (600, 1100)] {
                let Attempt::Done { end, ending, .. } =
                    walk_one(&field, &whole.heights, &s, r, c, None)
                else {
                    panic!("no memo, no block");
                };
                let home = tiles.block_of(r, c);
                let first =
                    BlockTerrain::load(&tiles, &fill, home, &mosaic, GradientScheme::Central, None);
                let mut outcome = first.unwrap().start(&s, &tiles, (r, c)).unwrap().0;
                let mut visits = vec![home];
                let e = loop {
                    match outcome {
                        Outcome::Done(e) => break e,
                        Outcome::Handoff(k, f) => {
                            assert!(visits.len() < 10_000, "{kind} from ({r}, {c}): {visits:?}");
                            visits.push(k);
                            let t = loaded.entry(k).or_insert_with(|| {
                                let t = BlockTerrain::load(
                                    &tiles,
                                    &fill,
                                    k,
                                    &mosaic,
                                    GradientScheme::Central,
                                    Some(&rings),
                                );
                                t.unwrap()
                            });
                            outcome = t.resume(&s, &tiles, f).unwrap().0;
                        }
                    }
                };
                let cols = 1201;
                assert_eq!(
                    (e.start, e.end, e.reason),
                    ((r, c), (end as usize / cols, end as usize % cols), ending),
                    "{kind} from ({r}, {c}) through blocks {visits:?}"
                );
                // A block left and entered again later (not only the
                // hand-off to itself the first round makes).
                let mut moves: Vec<usize> = visits.clone();
                moves.dedup();
                if moves
                    .iter()
                    .enumerate()
                    .any(|(i, k)| moves[i + 1..].contains(k))
                {
                    returned += 1;
                }
                eprintln!(
                    "{kind} from ({r}, {c}): {:?} {:?} via {moves:?}",
                    e.end, e.reason
                );
            }
        }
        assert!(
            returned >= 2,
            "{returned} walkers came back to a block they had left"
        );
    }
}
