//! `downhill basins`: a walker on every cell, and the basins they drain to.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::common::{load_grid, print_json, DemArgs, Global, SeaArgs};
use super::params::{self, ParamArgs};
use super::surface::FormulaArgs;
use downhill::agents::{AgentKind, StepParams, StopRules};
use downhill::basins::products::ProductOptions;
use downhill::basins::report::{Report, RunSettings};
use downhill::basins::{self, BasinOptions, WalkSettings};
use downhill::dem::{Crs, Dem};
use downhill::export::{significant, OutputDir};
use downhill::geo::Bounds;
use indicatif::{ProgressBar, ProgressStyle};

use downhill::viewer;

/// Arguments of `downhill basins`.
#[derive(Debug, clap::Args)]
#[command(mut_arg("fill_voids", |a| a.help(
    "Fill voids (nodata holes) by harmonic interpolation from their rims; \
     without it walkers that reach a void stop there (ending `void`)"
)))]
#[command(mut_arg("alpha", |a| a.help(
    "Step size α per unit slope [default: gd 1.5 cells, i.e. 1.5 times the shorter \
     side of a cell at the grid's middle row, in metres (85 m on an SRTM3 tile at 52° N); \
     balls g·dt² = 2.45 m; adagrad, rmsprop, adam 10 m]"
)))]
pub struct Args {
    #[command(flatten)]
    dem: DemArgs,
    #[command(flatten)]
    surface: FormulaArgs,
    /// The agent dropped on every start.
    #[arg(long, value_parser = params::agent_kind(), default_value_t = AgentKind::Gd)]
    agent: AgentKind,
    #[command(flatten)]
    params: ParamArgs,
    #[command(flatten)]
    sea: SeaArgs,
    /// The most steps all walkers together may take, a work budget; past it
    /// the run stops and writes nothing. Default: 40 steps per walker, at
    /// least 3e8 (gd with --fill takes about 19 per walker on SRTM1).
    /// With --tiled, the budget of each block.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_total_steps: Option<u64>,
    /// Start a walker on every K-th row and column, 1 to 65536.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = parse_stride)]
    stride: usize,
    /// Only this box, W,S,E,N in the grid's units (degrees on SRTM tiles).
    #[arg(long, value_name = "W,S,E,N", value_parser = parse_bbox, allow_hyphen_values = true)]
    bbox: Option<Bounds>,
    /// Fill depressions first (Priority-Flood), so basins become drainage basins.
    #[arg(long)]
    fill: bool,
    /// Gentlest slope (m/m) the fill leaves on filled and flat ground
    /// [default: 0, one float ulp per cell as in Priority-Flood+ε]
    #[arg(long, value_name = "S", requires = "fill")]
    min_slope: Option<f64>,
    /// Simulate every walker in full (no gd shortcut through known cells).
    #[arg(long)]
    exact: bool,
    /// Write the outputs into this directory.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace files in DIR that downhill did not write.
    #[arg(long)]
    force: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Do not write index.html, the offline map viewer (written for runs on a DEM).
    #[arg(long)]
    no_html: bool,
    /// Leave basins.geojson out (with a note) when its text would pass this
    /// many megabytes: a noisy grid's outlines take hundreds of bytes a cell
    /// [range: 0.001 to 100000]
    #[arg(long, value_name = "MB", default_value_t = 100.0, value_parser = parse_geojson_mb)]
    max_geojson_mb: f64,
    /// Work tile by tile (or block by block with --block) without loading
    /// the mosaic: exact fill, gd walkers handed across tile edges; writes
    /// DIR/tiles/*.tif, basins.vrt, sinks.geojson and summary.json.
    #[arg(long, requires = "fill")]
    tiled: bool,
    /// With --tiled on one raster: cut it into blocks of N x N cells.
    #[arg(long, value_name = "N", requires = "tiled",
          value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    block: Option<u64>,
}

/// `--max-geojson-mb`: megabytes, 0.001 to 100 000.
fn parse_geojson_mb(s: &str) -> Result<f64, String> {
    let mb: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of megabytes"))?;
    if (0.001..=100_000.0).contains(&mb) {
        Ok(mb)
    } else {
        Err(format!("{s} MB is outside 0.001..100000"))
    }
}

/// Parses `W,S,E,N`.
fn parse_bbox(s: &str) -> Result<Bounds, String> {
    let v = super::surface::numbers(s, 4, "four numbers W,S,E,N")?;
    Ok(Bounds::new(v[0], v[1], v[2], v[3]))
}

impl Args {
    /// The agent's parameters; gd's α defaults to
    /// [`basins::default_gd_alpha`] of the grid.
    fn params(&self, dem: &Dem) -> downhill::Result<StepParams> {
        let mut params = self.params.agents(&[self.agent])?[0].params;
        if self.agent == AgentKind::Gd && self.params.alpha.is_none() {
            params.alpha = basins::default_gd_alpha(dem);
        }
        Ok(params)
    }

    fn rules(&self) -> downhill::Result<StopRules> {
        self.params.rules()
    }
}

/// A hint when at least 1 % of the grid is exactly 0 m, as SRTM codes the
/// sea, and no sea level was given.
fn sea_note(dem: &Dem) -> Option<String> {
    let total = dem.heights.len();
    let zeros = dem.heights.iter().filter(|&&z| z == 0.0).count();
    (total > 0 && zeros * 100 >= total).then(|| {
        format!(
            "{zeros} cells ({:.0} %) are exactly 0 m, as SRTM codes the sea, but this grid is \
             not an SRTM tile so no sea was assumed: walkers start there too and the sea drains \
             to the raster edge in thin stripes of basins; --sea-level 0 makes it an outlet",
            zeros as f64 * 100.0 / total as f64
        )
    })
}

/// The note for a run that found no basin: no walker could start, since
/// every sample was a void (`all_void`, when known) or sea or void.
pub(super) fn no_basins_note(inputs: &str, all_void: bool) -> String {
    if all_void {
        format!(
            "every sample of {inputs} is a void (no data): no walker could start, so there are \
             no basins (the files written are empty)"
        )
    } else {
        format!(
            "no basins: no walker could start on {inputs} (every start is sea or a void); \
             the files written are empty"
        )
    }
}

/// Set by Ctrl-C while the walkers run; they stop and nothing is written.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs `downhill basins`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let began = Instant::now();
    // Without a handler Ctrl-C still ends the process (before any output
    // is renamed into place), so a failure to install one is not an error.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));
    // Parameters are checked before the grid is read, α fixed after.
    args.params.agents(&[args.agent])?;
    let rules = args.rules()?;
    if args.tiled {
        return super::basins_tiled::run(
            &super::basins_tiled::TiledArgs {
                dems: &args.dem,
                agent: args.agent,
                params: &args.params,
                rules,
                sea: &args.sea,
                bbox: args.bbox.is_some(),
                min_slope: args.min_slope,
                max_total_steps: args.max_total_steps,
                exact: args.exact,
                stride: args.stride,
                out: &args.out,
                force: args.force,
                json: args.json,
                block: args.block,
            },
            global,
            &INTERRUPTED,
        );
    }
    let mut dem = load_grid(&args.dem, &args.surface, global)?;
    if let Some(bbox) = args.bbox {
        dem = basins::crop::crop(&dem, bbox)?;
    }
    let params = args.params(&dem)?;
    let out = OutputDir::create(&args.out, args.force)?;
    // A formula has no place on the Earth, so no map page.
    let html = !args.no_html && !matches!(dem.crs, Crs::Planar);
    out.check_writable(&basins::products::names(html))?;
    let options = BasinOptions {
        walk: WalkSettings {
            kind: args.agent,
            params,
            rules,
            stride: args.stride,
            exact: args.exact,
            resolve_stalls: false,
        },
        fill: args.fill,
        min_slope: args.min_slope,
        scheme: args.params.gradient,
    };
    let stride = args.stride.max(1);
    let total = dem.rows().div_ceil(stride) as u64 * dem.cols().div_ceil(stride) as u64;
    let bar = if global.show_progress() {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {wide_bar} {human_pos}/{human_len} starts  {per_sec}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{} walkers", args.agent));
        bar
    } else {
        ProgressBar::hidden()
    };
    let progress = |n: usize| bar.inc(n as u64);
    // The viewer's backdrop depends on the grid alone: made on the other
    // core while the sea and the fill, which run on one, are computed.
    let (computed, backdrop) = rayon::join(
        || -> anyhow::Result<_> {
            let sea = args.sea.mask(&dem)?;
            let run = basins::compute_within(
                &dem,
                &options,
                sea.as_ref(),
                &progress,
                &INTERRUPTED,
                Some(args.max_total_steps.unwrap_or(default_work_budget(total))),
            );
            Ok((sea, run))
        },
        || {
            let backdrop = html.then(|| viewer::Backdrop::of(&dem, dem.bounds()));
            release_freed_memory();
            backdrop
        },
    );
    bar.finish_and_clear();
    let (sea, run) = computed?;
    let run = run?;
    let backdrop = backdrop.transpose()?;
    if rules.stop_below.is_none() && sea.is_none() && !args.sea.no_sea && !global.quiet {
        if let Some(note) = sea_note(&dem) {
            eprintln!("downhill: note: {note}");
        }
    }
    let title = format!(
        "Basins of {} walkers — {}",
        args.agent,
        viewer::input_names(&dem)
    );
    let products = ProductOptions {
        stride: args.stride.max(1),
        html,
        // In range by the parser: at most 10^11 bytes.
        max_geojson_bytes: (args.max_geojson_mb * 1e6) as usize,
        title: &title,
        sea: sea.as_ref(),
    };
    let written = basins::products::write(&run, &dem, &products, backdrop, out)?;
    if let Some(left_out) = written.geojson_left_out {
        if !global.quiet {
            eprintln!(
                "downhill: note: basins.geojson left out: the outlines of {} basins would pass \
                 --max-geojson-mb {} MB (basins.tif and sinks.geojson have every basin)",
                left_out.basins, args.max_geojson_mb
            );
        }
    }
    let settings = RunSettings {
        agent: args.agent,
        params,
        fill: args.fill,
        exact: args.exact,
        stride: args.stride,
    };
    let r = Report::new(
        &run,
        &settings,
        began.elapsed().as_secs_f64(),
        written.outputs,
    );
    if r.basins == 0 && !global.quiet {
        let all_void = dem.heights.iter().all(|z| z.is_nan());
        eprintln!(
            "downhill: note: {}",
            no_basins_note(&viewer::input_names(&dem), all_void)
        );
    }
    if args.json {
        return print_json(&r);
    }
    print_table(&r);
    Ok(())
}

fn print_table(r: &Report) {
    println!(
        "agent       {} (α {} per unit slope, β {})",
        r.agent,
        significant(r.alpha, 4),
        significant(r.beta, 4)
    );
    if r.fill {
        println!(
            "fill        Priority-Flood, min slope {:.3e} m/m: {} cells raised, at most {:.2} m",
            r.min_slope.unwrap_or(0.0),
            r.fill_raised_cells.unwrap_or(0),
            r.fill_max_raise_m.unwrap_or(0.0)
        );
    }
    println!(
        "grid        {} x {} cells, every {} cell(s), {}",
        r.width,
        r.height,
        r.stride,
        if r.exact { "exact" } else { "gd shortcut on" }
    );
    println!("starts      {}", r.starts);
    println!("basins      {}", r.basins);
    let endings: Vec<String> = r.endings.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("endings     {}", endings.join(", "));
    println!(
        "steps       {} simulated ({} walkers stopped early by the shortcut, {} stall moves)",
        r.steps, r.shortcuts, r.stall_moves
    );
    println!(
        "time        {:.2} s in all, walk {:.2} s: {:.0} starts/s, {:.3e} steps/s on {} threads",
        r.seconds, r.walk_seconds, r.starts_per_second, r.steps_per_second, r.threads
    );
    println!("sizes       km²            basins");
    for s in &r.sizes {
        let range = match s.max_km2 {
            Some(hi) => format!("{} - {}", s.min_km2, hi),
            None => format!(">= {}", s.min_km2),
        };
        println!("            {range:<14} {}", s.basins);
    }
    println!("largest     id   area km²   starts  outlet (x, y, m)         ending");
    for b in &r.largest {
        println!(
            "            {:<4} {:>9.2} {:>8}  {:.5}, {:.5}, {:>6}  {}",
            b.id,
            b.area_km2,
            b.starts,
            b.x,
            b.y,
            b.elevation
                .map_or("void".to_string(), |z| format!("{z:.0}")),
            b.ending
        );
    }
    for o in &r.outputs {
        println!("wrote       {}", o.display());
    }
}

/// Parses `--stride K`, 1 to 65536 (more than any grid's side needs).
fn parse_stride(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(k) if (1..=65_536).contains(&k) => Ok(k),
        _ => Err(format!(
            "'{s}' is not a stride: give a whole number from 1 to 65536"
        )),
    }
}

/// The smallest default `--max-total-steps`: 3·10^8 walker steps. An
/// SRTM3 tile of random heights takes 2.5·10^8.
const MIN_DEFAULT_TOTAL_STEPS: u64 = 300_000_000;

/// Default steps per walker of `--max-total-steps`: gd with `--fill` takes
/// about 19 per walker on an SRTM1-sized grid (2.5·10^8 for 1.3·10^7
/// walkers), so a mosaic of several SRTM1 tiles fits with room to spare,
/// while an SRTM1 tile of random heights (steps scattered over the grid,
/// about 7·10^6 a second on two cores) stops at 5.2·10^8 steps.
const DEFAULT_STEPS_PER_WALKER: u64 = 40;

/// Default `--max-total-steps` for `walkers` starts: 40 steps each, at
/// least 3·10^8.
pub fn default_work_budget(walkers: u64) -> u64 {
    walkers
        .saturating_mul(DEFAULT_STEPS_PER_WALKER)
        .max(MIN_DEFAULT_TOTAL_STEPS)
}

/// Returns the heap memory freed so far to the system. The backdrop's
/// full-resolution buffers (about 70 MB on an SRTM1 tile) are freed while
/// the walk's arrays are being allocated; glibc would otherwise keep them
/// in its heaps and the peak resident memory would grow by about that
/// much. A no-op on other C libraries.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it takes the
    // allocator's own locks and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
