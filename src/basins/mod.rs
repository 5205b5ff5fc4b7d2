//! Basins of attraction: a walker on every cell, and where they all end.
//!
//! [`compute`] drops an agent on every `stride`-th cell of a DEM, runs them
//! all in parallel ([`walk`]), merges their endings into basins
//! ([`labels`]) and returns the basin id of every cell. With
//! [`BasinOptions::fill`] the DEM is first filled by Priority-Flood with a
//! minimum drainage slope ([`fill`]), so every walker drains to the raster
//! edge, a void or the sea, and the basins are drainage basins; without it
//! they are the raw terrain's own pits.
//!
//! The results are written by [`geotiff`] (`basins.tif`), [`render`]
//! (`basins.png` and its world file) and [`export`] (`sinks.geojson`,
//! `basins.geojson`, whose polygons [`polygons`] traces); [`products`]
//! writes them all into an output directory and [`report`] sums a run up.
//!
//! # The walkers
//!
//! Every walker runs the agents' own loop,
//! [`Agent::walk`](crate::agents::Agent::walk), with a recorder that keeps
//! only the end (`memo.rs`); [`walk`] drives them in parallel and finishes
//! walks on filled ground by D8 moves (`d8.rs`). How a walker ended is a
//! [`StopReason`](crate::agents::StopReason), as for `drop`.
//!
//! # Where to change what
//!
//! - **A stop rule**: in `src/agents/` (see its "Where to change what");
//!   what `basins` does at the end a rule leaves a walker in (its outlet
//!   or sink cell, a D8 finish) is `finish` in `walk.rs`.
//! - **The gd shortcut**: `memo.rs` (what a walker may take over) and
//!   `walk_with_shortcut`/`resolve` in `walk.rs` (the order starts run in).
//! - **An output format**: a writer beside [`export`] or [`render`] (one
//!   file), a name in `OUTPUTS` and a line that writes it in
//!   [`products`]: two files.
//! - **A statistic of the run**: a field of [`report::Report`].

#[cfg(target_arch = "x86_64")]
mod ball_lanes;
pub mod crop;
mod d8;
pub mod export;
pub mod field;
pub mod fill;
pub mod geotiff;
pub mod labels;
#[cfg(target_arch = "x86_64")]
mod lane_grid;
mod memo;
pub mod polygons;
mod prefetch;
pub mod products;
mod radix;
pub mod render;
pub mod report;
mod shortcut;
mod starts;
pub mod tiled;
pub mod walk;
#[cfg(target_arch = "x86_64")]
mod walker_lanes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use field::GridField;
pub use fill::{priority_flood, priority_flood_in_order, priority_flood_to_sea, FillStats};
pub use labels::{label, Basin, Basins};
pub use walk::{
    default_gd_alpha, walk_all, walk_all_ordered, walk_all_within, StepBudget, WalkSettings, Walks,
    DEFAULT_GD_ALPHA_CELLS, NO_START,
};

use crate::dem::{Dem, SeaMask};

/// How a walker ended: the agents' own [`StopReason`](crate::agents::StopReason)
/// (the former basins-only `Ending` merged into it; the name is kept for
/// callers written against it).
pub type Ending = crate::agents::StopReason;
use crate::error::{Error, Result};
use crate::terrain::{GradientGrid, GradientScheme, RowMetrics};

/// Everything that defines a basins run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BasinOptions {
    /// The agents and their stop rules.
    pub walk: WalkSettings,
    /// Fill depressions first (Priority-Flood with a minimum slope).
    pub fill: bool,
    /// Minimum drainage slope (m/m) the fill leaves; `None` for
    /// [`default_min_slope`].
    pub min_slope: Option<f64>,
    /// The finite-difference stencil of the gradient grid.
    pub scheme: GradientScheme,
}

/// The default minimum slope of the fill: 0, i.e. one `f32` ulp per cell,
/// the paper's Priority-Flood+ε, which leaves the terrain as it is outside
/// depressions. Walkers cross the nearly flat filled areas by stall
/// resolution (see [`walk`]). A positive slope tilts flats so that gd
/// walks them itself, at the price of raising long gentle valley floors.
pub fn default_min_slope(_walk: &WalkSettings) -> f64 {
    0.0
}

/// The outcome of [`compute`].
#[derive(Debug, Clone)]
pub struct BasinRun {
    /// The surface the walkers descended (the DEM, filled if asked).
    pub surface: Dem,
    /// Where each walker ended.
    pub walks: Walks,
    /// The basins and the id of every cell.
    pub basins: Basins,
    /// What the fill changed, if it ran.
    pub fill: Option<FillStats>,
    /// The minimum slope the fill used (m/m), if it ran.
    pub min_slope: Option<f64>,
    /// Wall-clock seconds of the walk alone.
    pub walk_seconds: f64,
    /// Wall-clock seconds of the whole computation (fill, gradient, walk, labels).
    pub seconds: f64,
}

/// Checks the run's settings and that `dem` has a size the walkers can
/// index (2 x 2 to under 2³² samples).
fn check(dem: &Dem, options: &BasinOptions) -> Result<()> {
    options.walk.params.validate()?;
    options.walk.rules.validate()?;
    if options.walk.stride == 0 {
        return Err(Error::invalid(
            "stride",
            options.walk.stride,
            "must be at least 1",
        ));
    }
    if dem.rows() < 2 || dem.cols() < 2 {
        return Err(Error::param(format!(
            "the elevation grid has {} x {} samples; at least 2 x 2 are needed",
            dem.rows(),
            dem.cols()
        )));
    }
    if (dem.rows() * dem.cols()) as u64 >= u32::MAX as u64 {
        return Err(Error::param(
            "the elevation grid has more than 4 294 967 294 samples; crop it with --bbox",
        ));
    }
    let shortcut = options.walk.kind == crate::agents::AgentKind::Gd && !options.walk.exact;
    if shortcut && dem.rows() * dem.cols() > memo::MAX_MEMO_CELLS {
        return Err(Error::param(format!(
            "the elevation grid has {} x {} samples, more than the gd shortcut's memo holds \
             ({} in all); run it --tiled, crop it with --bbox, or walk every start with --exact",
            dem.rows(),
            dem.cols(),
            memo::MAX_MEMO_CELLS
        )));
    }
    Ok(())
}

/// Runs the basins computation on `dem`; `progress(n)` is called as `n`
/// more walkers finish. Setting `cancel` stops the walkers early and makes
/// this return [`Error::Interrupted`].
pub fn compute(
    dem: &Dem,
    options: &BasinOptions,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<BasinRun> {
    compute_within(dem, options, None, progress, cancel, None)
}

/// [`compute`] with a sea: no walker starts on a sea sample, walkers that
/// reach the sea end there ([`Ending::Sea`], one outlet per sea sample
/// reached), and the fill drains the land to the coast. `sea` must have
/// the grid's size (otherwise it is ignored).
pub fn compute_with_sea(
    dem: &Dem,
    options: &BasinOptions,
    sea: Option<&SeaMask>,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<BasinRun> {
    compute_within(dem, options, sea, progress, cancel, None)
}

/// [`compute_with_sea`] with a cap on the walkers' total steps: past
/// `max_total_steps` the walkers stop and this returns
/// [`Error::OverBudget`], naming the budget.
pub fn compute_within(
    dem: &Dem,
    options: &BasinOptions,
    sea: Option<&SeaMask>,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    max_total_steps: Option<u64>,
) -> Result<BasinRun> {
    let budget = StepBudget::new(max_total_steps);
    let began = Instant::now();
    check(dem, options)?;
    let mut surface = dem.clone();
    let metrics = RowMetrics::of(&surface);
    // The gd shortcut takes its starts by height: the flood visits the
    // cells in that order, so it keeps the order for the walk.
    let shortcut = options.walk.kind == crate::agents::AgentKind::Gd && !options.walk.exact;
    let mut height_order = None;
    let (fill, min_slope) = if options.fill {
        let slope = options
            .min_slope
            .unwrap_or_else(|| default_min_slope(&options.walk));
        if !(slope.is_finite() && slope >= 0.0) {
            return Err(Error::invalid(
                "min_slope",
                slope,
                "the fill's drainage slope must be zero or a positive number (m/m)",
            ));
        }
        // `surface` is a copy of `dem`, whose heights the fill reads.
        let spec = fill::FloodSpec {
            metrics: &metrics,
            min_slope: slope,
            sea_below: options.walk.rules.stop_below,
            sea,
        };
        let (stats, order) =
            fill::priority_flood_in_order_of(&dem.heights, &mut surface.heights, spec, shortcut);
        height_order = order;
        (Some(stats), Some(slope))
    } else {
        (None, None)
    };
    // The walkers read the slopes interleaved, built without the two
    // arrays of a `GradientGrid` (104 MB on an SRTM1 grid, kept to the end).
    let slopes = GradientGrid::interleaved(&surface, options.scheme);
    let mut field = GridField::with_slopes(&surface.heights, slopes, &metrics);
    if let Some(sea) = sea {
        field = field.with_sea(sea);
    }
    let walk_began = Instant::now();
    let settings = WalkSettings {
        resolve_stalls: options.walk.resolve_stalls || options.fill,
        ..options.walk
    };
    let walks = walk_all_ordered(
        &field,
        &surface.heights,
        &settings,
        progress,
        cancel,
        &budget,
        height_order,
    );
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::Interrupted);
    }
    if budget.exceeded() {
        return Err(Error::OverBudget(format!(
            "the {} walkers took more than {} steps in all before finishing (the terrain keeps \
             them wandering: random or very rough heights?); raise the work budget with \
             --max-total-steps N, or start fewer walkers with --stride",
            walks.starts,
            budget.limit()
        )));
    }
    let walk_seconds = walk_began.elapsed().as_secs_f64();
    let basins = label(&walks, &surface.heights, &metrics, options.walk.stride);
    Ok(BasinRun {
        surface,
        walks,
        basins,
        fill,
        min_slope,
        walk_seconds,
        seconds: began.elapsed().as_secs_f64(),
    })
}
