//! `downhill basins --tiled`: the block-by-block run (see
//! [`downhill::basins::tiled`]).

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};

use super::common::{print_json, DemArgs, Global, SeaArgs};
use super::params::ParamArgs;
use downhill::agents::{AgentKind, StopRules};
use downhill::basins::tiled::run::{run as run_tiled, TiledOptions};
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
    pub max_total_steps: u64,
    pub exact: bool,
    pub stride: usize,
    pub out: &'a Path,
    pub force: bool,
    pub json: bool,
    pub block: Option<u64>,
}

/// Runs `downhill basins --tiled`.
pub fn run(args: &TiledArgs, global: &Global, cancel: &AtomicBool) -> anyhow::Result<()> {
    if args.agent.has_momentum() {
        bail!(
            "--tiled runs gd walkers only: {} carries a velocity across tile edges, which is not done yet; run it without --tiled",
            args.agent
        );
    }
    if args.stride != 1 {
        bail!("--tiled starts a walker on every cell: leave --stride at 1");
    }
    if args.bbox {
        bail!("--tiled reads whole tiles: crop the inputs instead of --bbox");
    }
    if args.dems.fill_voids {
        bail!("--tiled cannot fill voids (a whole-mosaic interpolation); fill them before");
    }
    if !args.sea.no_sea {
        bail!(
            "--tiled does not detect the sea yet (a whole-mosaic search): add --no-sea, \
             and --stop-below H to make ground below H metres an outlet"
        );
    }
    let options = args.dems.options();
    let tiles = match args.block {
        Some(n) => {
            let [one] = args.dems.dems.as_slice() else {
                bail!("--block N cuts one raster into blocks: name exactly one file");
            };
            TileSet::from_raster(one, n as usize, &options)?
        }
        None => TileSet::from_files(&args.dems.dems, &options)?,
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
        stride: 1,
        exact: args.exact,
        resolve_stalls: true,
    };
    let options = TiledOptions {
        walk,
        fill: FillSettings {
            min_slope: args.min_slope.unwrap_or(0.0),
            sea_below: args.rules.stop_below,
        },
        scheme: args.params.gradient,
        max_block_steps: Some(args.max_total_steps),
    };
    let bar = if global.show_progress() {
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
    let run = run_tiled(&tiles, &options, args.out, args.force, &progress, cancel);
    bar.finish_and_clear();
    let run = run?;
    if args.json {
        print_json(&run)?;
    } else if !global.quiet {
        println!("tiles          {}", run.tiles);
        println!("grid           {} x {}", run.height, run.width);
        println!("basins         {}", run.basins);
        println!(
            "fill rounds    {} ({} block floods)",
            run.fill_rounds, run.fill_block_floods
        );
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
    }
    Ok(())
}
