//! Basins of a mosaic too large for memory: the block is the unit of work.
//!
//! A [`TileSet`] names the blocks of a mosaic (one per input tile, or one
//! raster cut into `block` x `block` cells) and reads any block with a
//! one-cell halo without building the mosaic. [`TiledFill`] fills the
//! depressions of the whole mosaic from work on one block at a time, and
//! gives every block *exactly* the heights that
//! [`crate::basins::priority_flood`] gives it in the loaded mosaic,
//! bit for bit, ε rule (one ulp or `min_slope` per cell) included.
//!
//! # The fill, from local work
//!
//! 1. **Labels and spill graph** (Barnes 2016, "Parallel Priority-Flood
//!    depression filling for trillion cell digital elevation models"):
//!    each block is flooded (plain fill, no ε) from its perimeter and its
//!    true outlets (mosaic edge, voids, `sea_below`); each perimeter sample
//!    labels the samples it floods, and where labels meet, inside the block
//!    or across its edge through the halo, the lowest crossing height is an
//!    edge of a global graph ([`flood::label_flood`]).
//! 2. **One merge** ([`merge::spill_levels`]) floods the graph from the
//!    true outlets and gives every label, so every perimeter sample, the
//!    water level `W` of the filled mosaic there.
//! 3. **ε across block edges.** The in-memory fill raises each sample to
//!    at least one ulp (or `min_slope` x distance) above the neighbour that
//!    reaches it first, so a filled lake's heights depend on paths that can
//!    cross many blocks; `W` alone is not enough. The idea used here: a
//!    block flooded by the same Priority-Flood+ε, with its halo samples as
//!    seeds fixed at their *final* heights, comes out exactly as in the
//!    whole mosaic ([`flood::exact_flood`]). Proof sketch: the in-memory
//!    flood pops samples in increasing (height, row-major index) order and
//!    gives each sample its height from the first neighbour popped; a
//!    sample inside a block has all its neighbours in the block or its halo,
//!    and with the halo at final heights the block's own flood pops its
//!    samples in the same relative order with the same neighbour heights
//!    (induction over the pops). The final perimeter heights are found by
//!    rounds: every block is flooded with its halo at the current perimeter
//!    heights of its neighbours, and blocks whose halo changed are flooded
//!    again, until no perimeter height changes. A fixed point of the rounds
//!    is the in-memory fill (every sample then obeys the in-memory rule).
//!
//!    Where the rounds start matters. Started *below* the fill (at `W`),
//!    two neighbouring perimeter samples on a filled flat hold each other
//!    up one ulp per round (counting to infinity: thousands of rounds on
//!    an SRTM3 tile in 3 x 3 blocks). Started *above* it (`+inf`), the
//!    flood is monotone in its seeds (with `min_slope = 0`), so each round
//!    can only lower heights and the rounds settle once every sample's
//!    drainage path has been followed across the blocks it crosses. The
//!    start used: `W` where a perimeter sample is not under water (`W =
//!    z`) and has a neighbour clearly lower ([`flood::clear_drop`]), so
//!    its fill is surely its own height; `+inf` elsewhere. If that guess
//!    was wrong somewhere, some perimeter height rises in a round; then
//!    the rounds start again from `+inf` everywhere ([`TiledFill::restarted`]).
//!    The rounds are bounded ([`MAX_ROUNDS_PER_BLOCK`] per block): with
//!    `min_slope > 0` the flood is not monotone in its seeds and settling
//!    is checked by the tests, not proved; an error says so if it fails.
//!
//! # The sea
//!
//! With [`FillSettings::sea`] the sea is found first, as
//! [`crate::dem::SeaMask::detect`] finds it in the whole mosaic, by
//! components per block joined on rank 0 ([`sea`]). Every block then
//! knows its own sea samples and those of its neighbours' bands (3 samples
//! deep), and from them: its fill (sea samples are true outlets that keep
//! their heights, in both floods, exactly as in
//! [`crate::basins::priority_flood_to_sea`]) and its walkers' sea mask,
//! equal bit for bit to the whole mosaic's cut to the block's window
//! ([`TiledFill::window_sea`]), so walkers stop at the same coast
//! ([`walkers`]).
//!
//! Memory: the perimeter heights of every block (4 bytes per perimeter
//! sample), the spill graph (one node per perimeter sample), with a sea
//! the bands (about 3 bytes per perimeter sample), and per worker one
//! block's window, fill and queue.
//!
//! # The walkers
//!
//! gd walkers run block by block and their local basins are joined across
//! block edges ([`walkers`]). Momentum and Nesterov walkers carry a
//! velocity: they are handed across block edges whole, in rounds, until
//! none is in flight ([`rounds`], [`momentum`], [`handoff`]), and follow
//! the in-memory trajectory, sea included.

pub mod exchange;
pub mod flood;
pub mod handoff;
pub mod merge;
pub mod momentum;
#[cfg(feature = "mpi")]
pub mod mpi_ranks;
mod plan;
pub mod rounds;
pub mod run;
pub mod sea;
pub mod source;
pub mod walkers;
pub mod wire;

use ndarray::Array2;

pub use source::{Block, TileSet};

use crate::dem::{SeaLevel, SeaMask};
use crate::error::{Error, Result};
use crate::terrain::RowMetrics;
use exchange::{merge_on_root, owns, Alone, Exchange};
use flood::{ring_index, FloodRules};
use sea::SeaPlan;

/// The rounds of ε refinement stop with an error past this many per block
/// (plus 16).
pub const MAX_ROUNDS_PER_BLOCK: usize = 4;

/// What the tiled fill needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillSettings {
    /// Minimum drainage slope, m/m (0: one `f32` ulp per cell), as
    /// [`crate::basins::priority_flood`] takes it.
    pub min_slope: f64,
    /// Samples lower than this many metres are outlets.
    pub sea_below: Option<f64>,
    /// The sea, found at this level as [`crate::dem::SeaMask::detect`]
    /// finds it in the whole mosaic ([`sea`]): its samples are outlets of
    /// the fill, and the walkers stop on reaching it. `None`: no sea.
    pub sea: Option<SeaLevel>,
}

/// One block, read and filled.
#[derive(Debug, Clone)]
pub struct FilledBlock {
    /// The block's heights as read, metres (`NaN` voids).
    pub heights: Array2<f32>,
    /// The block's heights after the fill, metres.
    pub filled: Array2<f32>,
    /// The block's sea samples, when the fill has a sea.
    pub sea: Option<Array2<bool>>,
}

impl FilledBlock {
    /// Samples raised by the fill, and the largest raise (metres).
    pub fn raised(&self) -> (usize, f64) {
        let mut n = 0;
        let mut max = 0f64;
        for (&z, &f) in self.heights.iter().zip(self.filled.iter()) {
            if f > z {
                n += 1;
                max = max.max((f - z) as f64);
            }
        }
        (n, max)
    }
}

/// The global part of a tiled fill: the final height of every block's
/// perimeter samples, from which any block is filled on its own.
#[derive(Debug, Clone)]
pub struct TiledFill {
    settings: FillSettings,
    metrics: RowMetrics,
    /// Final filled heights of each block's perimeter samples (ring order).
    rings: Vec<Vec<f32>>,
    /// Labels of the spill graph (perimeter samples plus the sea).
    pub labels: usize,
    /// Edges of the spill graph.
    pub spill_edges: usize,
    /// Rounds of ε refinement until the perimeters settled.
    pub rounds: usize,
    /// Block floods run in all the rounds.
    pub block_floods: usize,
    /// Whether the rounds had to start again from above (see the module
    /// documentation).
    pub restarted: bool,
    /// Wall-clock seconds of the merge of the spill graph (and of the
    /// union of the sea's components on rank 0).
    pub merge_seconds: f64,
    /// The sea of the mosaic, when the settings have one.
    pub sea: Option<SeaPlan>,
}

impl TiledFill {
    /// Runs the first pass on every block, the merge, and the rounds that
    /// settle the blocks' perimeters, in this process alone; `progress(n)`
    /// is told as `n` more block floods finish.
    pub fn plan(
        tiles: &TileSet,
        settings: FillSettings,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<TiledFill> {
        Self::plan_with(tiles, settings, progress, &Alone)
    }

    /// [`TiledFill::plan`] shared by the ranks of `ex`: each rank floods the
    /// blocks it [`exchange::owns`], rank 0 merges the spill graph, and
    /// every rank ends with the same perimeter heights of every block.
    pub fn plan_with(
        tiles: &TileSet,
        settings: FillSettings,
        progress: &(dyn Fn(usize) + Sync),
        ex: &dyn Exchange,
    ) -> Result<TiledFill> {
        if !(settings.min_slope.is_finite() && settings.min_slope >= 0.0) {
            return Err(Error::invalid(
                "min_slope",
                settings.min_slope,
                "the fill's drainage slope must be zero or a positive number (m/m)",
            ));
        }
        let metrics = tiles.metrics();
        let sea = match settings.sea {
            // A mosaic without sea samples floods and walks as without a sea.
            Some(level) => {
                Some(SeaPlan::plan_with(tiles, level, progress, ex)?).filter(|s| s.samples > 0)
            }
            None => None,
        };
        let rules = FloodRules {
            mosaic: tiles.dim(),
            metrics: &metrics,
            min_slope: settings.min_slope,
            sea_below: settings.sea_below,
            sea: None,
        };
        let blocks = tiles.blocks();
        let (base, labels) = plan::perimeter_labels(blocks)?;
        // Pass 1: labels and spill edges of this rank's blocks.
        let mine: Vec<usize> = (0..blocks.len()).filter(|&k| owns(ex, k)).collect();
        let pass1 = plan::first_pass(tiles, &mine, &rules, sea.as_ref(), &base, progress);
        // Rank 0: the merge, and the perimeter heights the rounds start from.
        let start = merge_on_root(ex, pass1, |parts| {
            plan::merge_first_pass(parts, blocks, &base, labels)
        })?;
        let (merge_seconds, spill_edges, mut rings) = plan::read_start(&start, blocks)?;
        drop(start);
        // Rounds: flood the blocks whose halo changed until nothing changes.
        let plan::Rounds {
            rounds,
            block_floods,
            restarted,
        } = plan::settle(tiles, &rules, sea.as_ref(), &mut rings, ex, progress)?;
        Ok(TiledFill {
            settings,
            metrics,
            rings,
            labels,
            spill_edges,
            rounds,
            block_floods,
            restarted,
            merge_seconds: merge_seconds + sea.as_ref().map_or(0.0, |s| s.merge_seconds),
            sea,
        })
    }

    /// Block `k` of `tiles` (the set this fill was planned on), read and
    /// filled exactly as the whole mosaic's fill fills it.
    pub fn block(&self, tiles: &TileSet, k: usize) -> Result<FilledBlock> {
        let b = &tiles.blocks()[k];
        let z = read_window(tiles, b)?;
        let heights = z.slice(ndarray::s![1..=b.rows, 1..=b.cols]).to_owned();
        let sea = self
            .sea
            .as_ref()
            .map(|s| s.block_sea(tiles, k, heights.view()));
        let rules = FloodRules {
            mosaic: tiles.dim(),
            metrics: &self.metrics,
            min_slope: self.settings.min_slope,
            sea_below: self.settings.sea_below,
            sea: sea.as_ref(),
        };
        let halo = halo_heights(tiles, &self.rings, b);
        let filled = flood::exact_flood(b, &z, &halo, &rules);
        Ok(FilledBlock {
            heights,
            filled,
            sea,
        })
    }

    /// Sea samples in the whole mosaic (0 without a sea).
    pub fn sea_samples(&self) -> u64 {
        self.sea.as_ref().map_or(0, |s| s.samples)
    }

    /// The sea mask of the `rows` x `cols` window of the mosaic starting
    /// at sample (`r0`, `c0`), holding block `k` (filled as `block`) and
    /// reaching at most one sample beyond it, equal to
    /// [`crate::dem::SeaMask::detect`]'s of the whole mosaic cut to the
    /// window; `None` without a sea.
    pub fn window_sea(
        &self,
        tiles: &TileSet,
        k: usize,
        block: &FilledBlock,
        origin: (usize, usize),
        dim: (usize, usize),
    ) -> Option<SeaMask> {
        let plan = self.sea.as_ref()?;
        plan.window_mask(tiles, k, block.sea.as_ref()?, origin, dim)
    }
}

impl TiledFill {
    /// The window of block `k` (the block grown by one sample on every
    /// side) whose halo holds the final filled heights of the neighbouring
    /// blocks' perimeters (`NaN` outside the mosaic; the block itself `NaN`).
    pub fn halo_window(&self, tiles: &TileSet, k: usize) -> Array2<f32> {
        halo_heights(tiles, &self.rings, &tiles.blocks()[k])
    }
}

/// Block `b` grown by one sample on every side, `NaN` outside the mosaic.
fn read_window(tiles: &TileSet, b: &Block) -> Result<Array2<f32>> {
    tiles.window(b.r0 as isize - 1, b.c0 as isize - 1, b.rows + 2, b.cols + 2)
}

/// A window of block `b` whose halo holds the current perimeter heights of
/// the neighbouring blocks (`NaN` outside the mosaic; the block itself is
/// not read).
fn halo_heights(tiles: &TileSet, rings: &[Vec<f32>], b: &Block) -> Array2<f32> {
    let (rows, cols) = tiles.dim();
    let mut halo = Array2::from_elem((b.rows + 2, b.cols + 2), f32::NAN);
    let blocks = tiles.blocks();
    let mut set = |r: usize, c: usize| {
        let (gr, gc) = (
            b.r0 as isize + r as isize - 1,
            b.c0 as isize + c as isize - 1,
        );
        if gr < 0 || gc < 0 || gr as usize >= rows || gc as usize >= cols {
            return;
        }
        let (gr, gc) = (gr as usize, gc as usize);
        let k = tiles.block_of(gr, gc);
        let n = &blocks[k];
        if let Some(i) = ring_index(n.rows, n.cols, gr - n.r0, gc - n.c0) {
            halo[[r, c]] = rings[k][i];
        }
    };
    for c in 0..b.cols + 2 {
        set(0, c);
        set(b.rows + 1, c);
    }
    for r in 1..=b.rows {
        set(r, 0);
        set(r, b.cols + 1);
    }
    halo
}
