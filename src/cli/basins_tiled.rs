//! `downhill basins --tiled`: the block-by-block run (see
//! [`downhill::basins::tiled`]).

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};

use super::common::{print_json, DemArgs, Global, SeaArgs};
use super::params::ParamArgs;
use downhill::agents::{AgentKind, StopRules};
use downhill::basins::tiled::exchange::{agree, Alone, Exchange};
use downhill::basins::tiled::run::{run_with as run_tiled, TiledOptions};
use downhill::basins::tiled::{FillSettings, TileSet};
use downhill::basins::{WalkSettings, DEFAULT_GD_ALPHA_CELLS};

/// The arguments of `basins` that a tiled run reads.
pub struct TiledArgs<'a> {
    pub dems: &'a DemArgs,
    pub agent: AgentKind,
    pub params: &'a ParamArgs,
    pub rules: StopRules,
    pub sea: &'a SeaArgs,
    pub bbox: bool,
    pub min_slope: Option<f64>,
    /// `None`: [`super::basins::default_work_budget`] of the largest block.
    pub max_total_steps: Option<u64>,
    pub exact: bool,
    pub stride: usize,
    pub out: &'a Path,
    pub force: bool,
    pub json: bool,
    pub block: Option<u64>,
}

/// Runs `downhill basins --tiled`.
pub fn run(args: &TiledArgs, global: &Global, cancel: &AtomicBool) -> anyhow::Result<()> {
    if args.stride != 1 && !args.agent.has_momentum() {
        bail!(
            "--tiled starts a {} walker on every cell: leave --stride at 1 (momentum and nesterov take --stride)",
            args.agent
        );
    }
    if args.agent.has_momentum() && args.rules.stop_below.is_some() {
        bail!(
            "--tiled hands {} walkers across block edges without --stop-below only: drop it, or run without --tiled",
            args.agent
        );
    }
    if args.bbox {
        bail!("--tiled reads whole tiles: crop the inputs instead of --bbox");
    }
    if args.dems.fill_voids {
        bail!("--tiled cannot fill voids (a whole-mosaic interpolation); fill them before");
    }
    if args.block.is_some() && args.dems.dems.len() != 1 {
        bail!("--block N cuts one raster into blocks: name exactly one file");
    }
    // Under mpirun (built with the `mpi` feature) the ranks share the
    // blocks; otherwise this process runs alone.
    #[cfg(feature = "mpi")]
    let ranks = downhill::basins::tiled::mpi_ranks::MpiRanks::from_launcher()?;
    #[cfg(feature = "mpi")]
    let ex: &dyn Exchange = match &ranks {
        Some(r) => r,
        None => &Alone,
    };
    #[cfg(not(feature = "mpi"))]
    if downhill::basins::tiled::exchange::launched_by_mpirun() {
        // Each process would run the whole mosaic alone, all into one --out.
        bail!(
            "started by mpirun, but this downhill was built without MPI: \
             build it with `cargo build --release --features mpi`"
        );
    }
    #[cfg(not(feature = "mpi"))]
    let ex: &dyn Exchange = &Alone;
    let result = run_ranked(args, global, cancel, ex);
    if ex.rank() != 0 && result.is_err() {
        // Every error reaches every rank (`exchange::merge_on_root`); rank
        // 0 prints it and its exit code (2) is the job's. A non-zero exit
        // here could make mpirun abort the job before rank 0 has printed.
        return Ok(());
    }
    result
}

/// The tiled run on the ranks of `ex` (this process alone: [`Alone`]).
fn run_ranked(
    args: &TiledArgs,
    global: &Global,
    cancel: &AtomicBool,
    ex: &dyn Exchange,
) -> anyhow::Result<()> {
    let lead = ex.rank() == 0;
    let options = args.dems.options();
    let tiles = match (args.block, args.dems.dems.as_slice()) {
        (Some(n), [one]) => TileSet::from_raster(one, n as usize, &options),
        _ => TileSet::from_files(&args.dems.dems, &options),
    };
    // Every rank opens the same files; one that cannot stops all.
    let (tiles, status) = match tiles {
        Ok(t) => (Some(t), Ok(())),
        Err(e) => (None, Err(e)),
    };
    agree(ex, status)?;
    let Some(tiles) = tiles else {
        bail!("the tiles could not be opened");
    };
    let mut params = args.params.agents(&[args.agent])?[0].params;
    if args.agent == AgentKind::Gd && args.params.alpha.is_none() {
        let middle = tiles.dim().0.saturating_sub(1) as f64 / 2.0;
        let (dx, dy) = tiles.cell_size_m(middle);
        params.alpha = DEFAULT_GD_ALPHA_CELLS * dx.min(dy);
    }
    let walk = WalkSettings {
        kind: args.agent,
        params,
        rules: args.rules,
        stride: args.stride,
        exact: args.exact,
        resolve_stalls: true,
    };
    let formats: Vec<&str> = tiles.formats().iter().map(String::as_str).collect();
    let sea = args.sea.level(&formats)?;
    let options = TiledOptions {
        walk,
        fill: FillSettings {
            min_slope: args.min_slope.unwrap_or(0.0),
            sea_below: args.rules.stop_below,
            sea,
        },
        scheme: args.params.gradient,
        max_block_steps: Some(args.max_total_steps.unwrap_or_else(|| {
            let largest = tiles.blocks().iter().map(|b| b.rows as u64 * b.cols as u64);
            super::basins::default_work_budget(largest.max().unwrap_or(0))
        })),
    };
    let bar = if lead && global.show_progress() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {human_pos} block passes  {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("{} blocks", tiles.blocks().len()));
        bar
    } else {
        ProgressBar::hidden()
    };
    let progress = |n: usize| bar.inc(n as u64);
    let run = run_tiled(
        &tiles, &options, args.out, args.force, &progress, cancel, ex,
    );
    bar.finish_and_clear();
    let run = run?;
    if !lead {
        return Ok(());
    }
    if run.basins == 0 && !global.quiet {
        eprintln!(
            "downhill: note: {}",
            super::basins::no_basins_note("the tiles", false)
        );
    }
    if args.json {
        print_json(&run)?;
    } else if !global.quiet {
        println!("tiles          {}", run.tiles);
        println!("ranks          {}", run.ranks);
        println!("grid           {} x {}", run.height, run.width);
        println!("basins         {}", run.basins);
        println!("sea samples    {}", run.sea_samples);
        println!(
            "fill rounds    {} ({} block floods)",
            run.fill_rounds, run.fill_block_floods
        );
        if args.agent.has_momentum() {
            println!(
                "hand-offs      {} ({} walkers, {} rounds)",
                run.handoffs, run.walkers_handed_off, run.walk_rounds
            );
        }
        println!("merge          {:.3} s", run.merge_seconds);
        println!("total          {:.1} s", run.seconds);
        if let Some(m) = run.peak_rss_mib {
            println!("peak RSS       {m:.0} MiB");
        }
        println!(
            "written        {} files in {}",
            run.outputs.len(),
            args.out.display()
        );
        for note in &run.notes {
            eprintln!("downhill: note: {note}");
        }
    }
    Ok(())
}
