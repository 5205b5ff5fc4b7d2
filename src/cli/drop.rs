//! `downhill drop`: agents descending from one start, tracks written for map viewers.

use std::path::PathBuf;

use super::common::{parse_lat_lon, print_json, DemArgs, Global, SeaArgs};
use super::params;
pub use super::params::ParamArgs;
use super::surface::SurfaceArgs;
use downhill::agents::{AgentKind, StopReason, Track};
use downhill::analytic::AnalyticSurface;
use downhill::drop::{self as drop_run, Outcome, Plan, Start, StartRequest, TrackFormat};
use downhill::export::{self, OutputDir};
use downhill::geo::LonLat;
use downhill::peaks::{self, DEFAULT_MIN_PROMINENCE_M};
use downhill::terrain::{Surface, Terrain};
use downhill::Error;

/// Arguments of `downhill drop`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dem: DemArgs,
    #[command(flatten)]
    pub surface: SurfaceArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub sea: SeaArgs,
}

/// The values of `--format`: every [`TrackFormat`] by its short name,
/// with its summary as help (the library's type knows nothing of clap).
fn track_format() -> impl clap::builder::TypedValueParser<Value = TrackFormat> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        TrackFormat::ALL.map(|f| PossibleValue::new(f.name()).help(f.summary())),
    )
    .try_map(|name| TrackFormat::from_name(&name).ok_or(format!("unknown format {name}")))
}

/// Where to start, which agents, and where the results go.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Start at LAT,LON (degrees: latitude -90..90, longitude -180..180); a
    /// point on the edge of the data, within a thousandth of a cell, counts as inside.
    #[arg(long, value_name = "LAT,LON", value_parser = parse_lat_lon, conflicts_with = "peak", allow_hyphen_values = true)]
    pub at: Option<(f64, f64)>,
    /// Start on a named summit from the gazetteer (case and accents ignored),
    /// on the DEM's `highest` summit, or on its N-th most prominent, '#N'
    /// (as `downhill peaks` numbers them).
    #[arg(long, value_name = "NAME")]
    pub peak: Option<String>,
    /// Extra gazetteer: CSV (name,lat,lon[,elevation]), GeoJSON Points with a `name`,
    /// or OpenStreetMap `.osm` / `.osm.pbf` (natural=peak and natural=volcano nodes).
    #[arg(long, value_name = "FILE")]
    pub gazetteer: Vec<PathBuf>,
    /// Move a peak's published position to the highest DEM sample within this many metres, 0 to 10000 (0: no snapping).
    #[arg(long, value_name = "M", default_value_t = 250.0)]
    pub snap: f64,
    /// Agents to run, comma-separated.
    #[arg(long, value_parser = params::agent_kind(), value_delimiter = ',', default_values_t = AgentKind::CLASSIC)]
    pub agent: Vec<AgentKind>,
    #[command(flatten)]
    pub params: ParamArgs,
    /// Write the results into this directory (default: downhill-out/<peak or position>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files in DIR that downhill did not write.
    #[arg(long)]
    pub force: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Track files to write [default: geojson,gpx on a DEM; csv,json on a --surface].
    #[arg(long, value_parser = track_format(), value_delimiter = ',')]
    pub format: Vec<TrackFormat>,
    /// Do not write index.html, the offline map viewer (written for runs on a DEM).
    #[arg(long)]
    pub no_html: bool,
}

impl RunArgs {
    /// The start asked for: `--at` or `--peak` (`None` when neither was given).
    fn start_request(&self) -> Option<StartRequest> {
        match (self.at, &self.peak) {
            (Some((lat, lon)), _) => Some(StartRequest::At(LonLat::new(lon, lat))),
            (None, Some(name)) => Some(StartRequest::Peak(name.clone())),
            (None, None) => None,
        }
    }
}

/// Resolves the start, adding to a peak that cannot be found or placed
/// the DEM's most prominent summits, ready to paste as `--peak` or `--at`.
fn resolve_start(
    request: &StartRequest,
    dem: &downhill::dem::Dem,
    gazetteer: &peaks::Gazetteer,
    summits: &[peaks::Summit],
    snap_m: f64,
) -> anyhow::Result<Start> {
    Start::resolve(request, dem, gazetteer, summits, snap_m).map_err(|e| match (request, e) {
        (StartRequest::Peak(_), Error::UnknownPeak(m)) => {
            anyhow::anyhow!("{m} {}", summits_hint(summits))
        }
        (StartRequest::Peak(_), Error::BadStart(m)) => {
            anyhow::anyhow!("{m}. {}", summits_hint(summits))
        }
        (_, e) => e.into(),
    })
}

/// The DEM's five most prominent summits, each ready to paste as `--peak` or `--at`.
fn summits_hint(summits: &[peaks::Summit]) -> String {
    if summits.is_empty() {
        return format!(
            "The elevation data holds no summit with a prominence of {DEFAULT_MIN_PROMINENCE_M} m or more; \
             start with --at LAT,LON"
        );
    }
    let list: Vec<String> = summits
        .iter()
        .take(5)
        .map(|s| {
            let m = &s.summit;
            let name = s
                .name
                .as_deref()
                .map_or(String::new(), |n| format!("{n}, "));
            format!(
                "--peak '#{}' ({name}{:.0} m, prominence {:.0} m) or --at {:.5},{:.5}",
                s.rank, m.elevation_m, s.prominence_m, m.lat, m.lon
            )
        })
        .collect();
    format!(
        "The most prominent summits of this elevation data: {}. Name more summits with --gazetteer FILE \
         (CSV name,lat,lon; GeoJSON; or an OpenStreetMap .osm or .osm.pbf extract); downhill peaks DEM lists them all",
        list.join("; ")
    )
}

/// Runs the agents and writes the track files; shared by `drop` and `demo`.
pub fn execute(args: &Args, global: &Global) -> anyhow::Result<Outcome> {
    // Everything the user controls is checked before any work or any write.
    let plan = Plan {
        agents: args.run.params.agents(&args.run.agent)?,
        rules: args.run.params.rules()?,
        initial_velocity: args.surface.initial_velocity(),
        formats: args.run.format.clone(),
        html: !args.run.no_html,
        full_extent: args.surface.full_extent(),
    };
    if !(args.run.snap.is_finite() && (0.0..=peaks::MAX_SNAP_M).contains(&args.run.snap)) {
        anyhow::bail!(
            "--snap {}: give a distance in metres from 0 to {}",
            args.run.snap,
            peaks::MAX_SNAP_M
        );
    }
    let tracks = plan.agents.len() * args.surface.starts.len().max(1);
    args.dem
        .budget()
        .check_track_points(plan.rules.max_steps as u64, tracks as u64)?;
    if let Some(surface) = args.surface.analytic()? {
        return execute_on_formula(args, &plan, &surface);
    }
    if args.dem.dems.is_empty() {
        anyhow::bail!("name an elevation file (DEM), or give an analytic --surface EXPR --extent XMIN,YMIN,XMAX,YMAX");
    }
    if !args.surface.starts.is_empty() {
        anyhow::bail!(
            "--start X,Y is for analytic surfaces; on a DEM start with --at LAT,LON or --peak NAME"
        );
    }
    let Some(request) = args.run.start_request() else {
        anyhow::bail!("say where to start: --at LAT,LON or --peak NAME");
    };
    let dem = args.dem.load_for(global)?;
    // Read once: a gazetteer may be standard input.
    let gazetteer = super::peaks::gazetteer_for(&args.run.gazetteer, &dem, args.run.snap)?;
    // One sweep serves the start (`--peak highest|#N`, the not-found hint)
    // and the map's summit marks.
    let summits = super::peaks::named_summits(
        &dem,
        DEFAULT_MIN_PROMINENCE_M,
        &gazetteer,
        args.run.snap,
        global,
    )?;
    let start = resolve_start(&request, &dem, &gazetteer, &summits, args.run.snap)?;
    let tiles: Vec<String> = args
        .dem
        .dems
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let title = format!("{} — {}", start.label, tiles.join(", "));
    let sea = args.sea.mask(&dem)?;
    let mut terrain = Terrain::new(dem, args.run.params.gradient)?;
    if let Some(sea) = sea {
        terrain = terrain.with_sea(sea);
    }
    if terrain.in_sea(start.position) {
        anyhow::bail!(
            "the start {} lies in the sea (SRTM's 0 m connected to the edge of the grid); \
             start on land, or pass --no-sea to treat 0 m as land",
            start.label
        );
    }
    if let Err(downhill::terrain::Obstacle::Void) = terrain.elevation(start.position) {
        anyhow::bail!(
            "the start {} lies on a void (no elevation data); try --fill-voids or another start",
            start.label
        );
    }
    let dir = args.run.out.clone().unwrap_or_else(|| start.default_dir());
    let out = OutputDir::create(&dir, args.run.force)?;
    Ok(drop_run::on_terrain(
        &terrain, start, &summits, &title, &plan, out,
    )?)
}

fn execute_on_formula(
    args: &Args,
    plan: &Plan,
    surface: &AnalyticSurface,
) -> anyhow::Result<Outcome> {
    if !args.dem.dems.is_empty() {
        anyhow::bail!("give either elevation files or --surface, not both");
    }
    if args.run.at.is_some() || args.run.peak.is_some() {
        anyhow::bail!("--at and --peak are places on the Earth; on an analytic --surface start with --start X,Y");
    }
    if args.surface.starts.is_empty() {
        anyhow::bail!("say where to start on the surface: --start X,Y (repeatable)");
    }
    plan.check_formats_for_surface()?;
    let dir = args
        .run
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("downhill-out/surface"));
    let out = OutputDir::create(&dir, args.run.force)?;
    Ok(drop_run::on_surface(
        surface,
        &args.surface.starts,
        plan,
        out,
    )?)
}

/// A hint when agents left a formula's extent on their very first step:
/// their step `α |∇f|` is then out of scale with the extent, the usual
/// mistake with the terrain defaults (α = 10 per unit slope) on a unit-sized
/// formula. Suggests an α whose first step is a twentieth of the extent.
fn first_step_hint(tracks: &[Track], surface: &AnalyticSurface) -> Option<String> {
    let gone: Vec<&Track> = tracks
        .iter()
        .filter(|t| t.stop_reason == StopReason::Edge && t.points.len() <= 1)
        .collect();
    let first = gone.first()?;
    let extent = surface.extent();
    let size = extent.width().min(extent.height());
    let slope = surface.exact_gradient(first.points[0].position).norm();
    let mut names: Vec<&str> = gone.iter().map(|t| t.agent.name()).collect();
    names.dedup();
    let alpha = first.params.alpha;
    let sig2 = |v: f64| export::significant(v, 2);
    let mut hint = format!(
        "hint: {} left the extent on the first step (α·|∇f| = {} × {} = {} against an extent {} wide)",
        names.join(", "),
        sig2(alpha),
        sig2(slope),
        sig2(alpha * slope),
        sig2(size)
    );
    if slope > 0.0 && size > 0.0 {
        hint.push_str(&format!(
            "; try --alpha {} (and for the balls --beta, or --dt)",
            sig2(0.05 * size / slope)
        ));
    }
    Some(hint)
}

/// Runs `downhill drop`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let outcome = execute(args, global)?;
    if args.run.json {
        print_json(&outcome.to_json()?)?;
    } else {
        if !global.quiet {
            for note in &outcome.start_notes {
                eprintln!("{note}");
            }
        }
        print!(
            "{}",
            export::summaries_table(&outcome.summaries, outcome.units)
        );
    }
    if !global.quiet {
        if let Some(surface) = args.surface.analytic()? {
            if let Some(hint) = first_step_hint(&outcome.tracks, &surface) {
                eprintln!("{hint}");
            }
        }
    }
    if !global.quiet {
        for p in &outcome.written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}
