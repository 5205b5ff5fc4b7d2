//! The statistics of a basins run: counts, endings, sizes and the largest
//! basins, as `basins --json` prints them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::{BasinRun, NO_START};
use crate::agents::{AgentKind, StepParams, StopReason};

/// One of the largest basins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Largest {
    /// The basin's id (its label in `basins.tif`).
    pub id: u32,
    /// Its area, km².
    pub area_km2: f64,
    /// How many walkers started in it.
    pub starts: usize,
    /// Outlet position, x (grid units: degrees of longitude on SRTM tiles).
    pub x: f64,
    /// Outlet position, y (grid units: degrees of latitude on SRTM tiles).
    pub y: f64,
    /// The outlet's height, metres; `None` on a void.
    pub elevation: Option<f64>,
    /// How its walkers ended (a [`StopReason`] name).
    pub ending: &'static str,
}

/// How many basins fall in a range of areas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeClass {
    /// Lower bound, km² (inclusive).
    pub min_km2: f64,
    /// Upper bound, km² (exclusive; `None` for no bound).
    pub max_km2: Option<f64>,
    /// How many basins have an area in the range.
    pub basins: usize,
}

/// The lower bounds of the size classes, km².
const SIZE_CLASSES_KM2: [f64; 7] = [0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0];

/// How many of the largest basins a report lists.
const LARGEST: usize = 10;

/// What a basins run did, as `basins --json` prints it (the field order
/// is the JSON's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The agent dropped on every start.
    pub agent: AgentKind,
    /// Its step size α per unit slope, metres.
    pub alpha: f64,
    /// Its momentum β (0 to 1).
    pub beta: f64,
    /// Whether depressions were filled first.
    pub fill: bool,
    /// The fill's minimum slope, m/m, if it ran.
    pub min_slope: Option<f64>,
    /// How many cells the fill raised, if it ran.
    pub fill_raised_cells: Option<usize>,
    /// The most the fill raised a cell, metres, if it ran.
    pub fill_max_raise_m: Option<f64>,
    /// Whether every walker was simulated in full (no gd shortcut).
    pub exact: bool,
    /// Walkers started on every `stride`-th row and column (cells).
    pub stride: usize,
    /// Grid width, cells.
    pub width: usize,
    /// Grid height, cells.
    pub height: usize,
    /// How many basins.
    pub basins: usize,
    /// How many walkers started.
    pub starts: usize,
    /// How many steps the walkers simulated in all.
    pub steps: u64,
    /// How many walkers the gd shortcut stopped early.
    pub shortcuts: usize,
    /// How many stall moves (D8 moves across flats) the walkers made.
    pub stall_moves: u64,
    /// How many walkers ended each way, by [`StopReason`] name.
    pub endings: BTreeMap<&'static str, usize>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Wall-clock seconds of the walk alone.
    pub walk_seconds: f64,
    /// Steps per second of the walk.
    pub steps_per_second: f64,
    /// Starts per second of the walk.
    pub starts_per_second: f64,
    /// Threads the walkers ran on.
    pub threads: usize,
    /// How many basins fall in each size class.
    pub sizes: Vec<SizeClass>,
    /// The largest basins, largest first (at most 10).
    pub largest: Vec<Largest>,
    /// The files written.
    pub outputs: Vec<PathBuf>,
}

/// What a run was asked for that [`BasinRun`] does not record.
#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    /// The agent dropped on every start.
    pub agent: AgentKind,
    /// Its parameters (α in metres per unit slope, β).
    pub params: StepParams,
    /// Whether depressions were filled first.
    pub fill: bool,
    /// Whether the gd shortcut was turned off.
    pub exact: bool,
    /// Walkers started on every `stride`-th row and column (cells).
    pub stride: usize,
}

impl Report {
    /// The report of `run`, asked for with `settings`, which took
    /// `seconds` (wall clock) and wrote `outputs`.
    pub fn new(
        run: &BasinRun,
        settings: &RunSettings,
        seconds: f64,
        outputs: Vec<PathBuf>,
    ) -> Report {
        let w = &run.walks;
        Report {
            agent: settings.agent,
            alpha: settings.params.alpha,
            beta: settings.params.beta,
            fill: settings.fill,
            min_slope: run.min_slope,
            fill_raised_cells: run.fill.map(|f| f.raised_cells),
            fill_max_raise_m: run.fill.map(|f| f.max_raise_m),
            exact: settings.exact || settings.agent.has_momentum(),
            stride: settings.stride,
            width: run.surface.cols(),
            height: run.surface.rows(),
            basins: run.basins.basins.len(),
            starts: w.starts,
            steps: w.steps,
            shortcuts: w.shortcuts,
            stall_moves: w.stall_moves,
            endings: endings(run),
            seconds,
            walk_seconds: run.walk_seconds,
            steps_per_second: w.steps as f64 / run.walk_seconds.max(1e-9),
            starts_per_second: w.starts as f64 / run.walk_seconds.max(1e-9),
            threads: rayon::current_num_threads(),
            sizes: sizes(run),
            largest: largest(run),
            outputs,
        }
    }
}

/// How many walkers ended each way.
fn endings(run: &BasinRun) -> BTreeMap<&'static str, usize> {
    // Counted per code first (a map lookup per cell was a tenth of a
    // second on an SRTM1 tile), then named.
    let mut counts = [0usize; 256];
    for (&end, &ending) in run.walks.end.iter().zip(&run.walks.ending) {
        if end != NO_START {
            counts[ending as usize] += 1;
        }
    }
    let mut endings = BTreeMap::new();
    for (code, &n) in counts.iter().enumerate() {
        if n > 0 {
            *endings
                .entry(StopReason::from_u8(code as u8).as_str())
                .or_insert(0) += n;
        }
    }
    endings
}

/// How many basins fall in each of [`SIZE_CLASSES_KM2`].
fn sizes(run: &BasinRun) -> Vec<SizeClass> {
    (0..SIZE_CLASSES_KM2.len())
        .map(|k| {
            let lo = SIZE_CLASSES_KM2[k];
            let hi = SIZE_CLASSES_KM2.get(k + 1).copied();
            let top = hi.unwrap_or(f64::INFINITY);
            SizeClass {
                min_km2: lo,
                max_km2: hi,
                basins: run
                    .basins
                    .basins
                    .iter()
                    .filter(|b| b.area_km2 >= lo && b.area_km2 < top)
                    .count(),
            }
        })
        .collect()
}

/// The largest basins (the labels list them largest first).
fn largest(run: &BasinRun) -> Vec<Largest> {
    run.basins
        .basins
        .iter()
        .take(LARGEST)
        .map(|b| {
            let p = run
                .surface
                .sample_position(b.outlet_row as f64, b.outlet_col as f64);
            Largest {
                id: b.id,
                area_km2: b.area_km2,
                starts: b.starts,
                x: p.x,
                y: p.y,
                elevation: b.elevation.is_finite().then_some(b.elevation),
                ending: b.ending.as_str(),
            }
        })
        .collect()
}
