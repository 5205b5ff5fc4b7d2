//! `downhill drop`: agents descending from one start, tracks written for map viewers.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{json, Value};

use super::common::{parse_lat_lon, print_json, DemArgs, Global, SeaArgs};
use super::params;
pub use super::params::ParamArgs;
use super::surface::SurfaceArgs;
use downhill::agents::{descend_all, Agent, AgentKind, StopReason, StopRules, Summary, Track};
use downhill::analytic::AnalyticSurface;
use downhill::dem::Dem;
use downhill::export::{self, OutputDir};
use downhill::geo::{LonLat, Xy};
use downhill::peaks::{self, Gazetteer, SummitChoice, DEFAULT_MIN_PROMINENCE_M};
use downhill::render::{self, Extent, MapOptions};
use downhill::terrain::{Surface, Terrain, Vector};
use downhill::viewer;

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

/// A track file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrackFormat {
    /// RFC 7946 GeoJSON (geographic data only).
    Geojson,
    /// GPX 1.1 (geographic data only).
    Gpx,
    /// One row per track point.
    Csv,
    /// Every track point as JSON.
    Json,
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
    #[arg(long, value_enum, value_delimiter = ',')]
    pub format: Vec<TrackFormat>,
    /// Do not write index.html, the offline map viewer (written for runs on a DEM).
    #[arg(long)]
    pub no_html: bool,
}

/// The start of a run: where, and how it was chosen.
#[derive(Debug, Clone)]
pub struct Start {
    /// Position in the grid's own plane (CRS units).
    pub position: Xy,
    /// A name for the start (peak name, or the coordinates).
    pub label: String,
    /// For a peak: its record, and how far snapping moved the start (metres).
    pub peak: Option<(peaks::Peak, f64)>,
    /// For `--peak highest` or `--peak '#N'`: the DEM's summit.
    pub summit: Option<peaks::Summit>,
}

/// The grid position of a WGS84 point, refused when it lies outside the grid.
fn grid_position(dem: &Dem, ll: LonLat, what: &str) -> anyhow::Result<Xy> {
    let position = dem.position_of(ll)?;
    let Some(position) = dem.clamp_inside(position) else {
        let [w, s, e, n] = dem.bounds().to_array();
        anyhow::bail!(
            "{what} {ll} lies outside the elevation data (bounds: west {w:.4}, south {s:.4}, east {e:.4}, north {n:.4}); \
             give a start inside them or load the tile that covers it"
        );
    };
    Ok(position)
}

/// The start `run` asks for on `dem`; `summits` are the DEM's named
/// summits, most prominent first, for `--peak highest|#N` and for the hint
/// when a name is not found.
fn resolve_start(
    run: &RunArgs,
    dem: &Dem,
    gazetteer: &Gazetteer,
    summits: &[peaks::Summit],
) -> anyhow::Result<Start> {
    if let Some((lat, lon)) = run.at {
        let position = grid_position(dem, LonLat::new(lon, lat), "the start")?;
        return Ok(Start {
            position,
            label: LonLat::new(lon, lat).to_string(),
            peak: None,
            summit: None,
        });
    }
    let name = run.peak.as_deref().unwrap_or_default();
    if let Some(choice) = SummitChoice::parse(name)? {
        let summit = choice.pick(summits)?;
        // A summit on the grid's edge sample: its position, computed back
        // from the indices, may round a hair outside.
        let position = dem
            .clamp_inside(summit.summit.position)
            .unwrap_or(summit.summit.position);
        return Ok(Start {
            position,
            label: summit.label(),
            peak: None,
            summit: Some(summit),
        });
    }
    let peak = match gazetteer.find(name) {
        Ok(p) => p.clone(),
        Err(_) => {
            let close = gazetteer.closest(name, 5);
            let close = if close.is_empty() {
                String::new()
            } else {
                format!(" (closest names: {})", close.join(", "))
            };
            anyhow::bail!(
                "no peak called '{name}' in the gazetteer{close}. {}",
                summits_hint(summits)
            );
        }
    };
    let published = grid_position(dem, LonLat::new(peak.lon, peak.lat), &peak.name)
        .map_err(|e| anyhow::anyhow!("{e}. {}", summits_hint(summits)))?;
    let snapped = peaks::snap_to_summit(dem, published, run.snap)
        .map_err(|e| anyhow::anyhow!("{}: {e}", peak.name))?;
    Ok(Start {
        position: snapped.position,
        label: peak.name.clone(),
        peak: Some((peak, snapped.offset_m)),
        summit: None,
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

/// `downhill-out/<peak name or position>`, as a plain ASCII slug that
/// cannot be `.`, `..` or empty ([`peaks::slug`]).
fn default_dir(start: &Start) -> PathBuf {
    PathBuf::from("downhill-out").join(peaks::slug(&start.label))
}

/// Everything a finished run produced.
pub struct Outcome {
    /// One summary per agent and start.
    pub summaries: Vec<Summary>,
    /// How the start was chosen, for people (one line per start).
    pub start_notes: Vec<String>,
    /// The start, for a run on a DEM.
    pub start: Option<Start>,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// What the table's numbers measure.
    pub units: export::Units,
    /// Hints for people, shown after the table.
    pub hints: Vec<String>,
}

impl TrackFormat {
    fn file_name(self) -> &'static str {
        match self {
            TrackFormat::Geojson => "tracks.geojson",
            TrackFormat::Gpx => "tracks.gpx",
            TrackFormat::Csv => "tracks.csv",
            TrackFormat::Json => "tracks.json",
        }
    }
}

/// The named summits of the grid (from the bundled gazetteer and the
/// user's), most prominent first, for `map.png` to mark where in view.
fn summit_marks(summits: &[peaks::Summit]) -> Vec<render::MapSummit> {
    summits
        .iter()
        .filter_map(|s| {
            Some(render::MapSummit {
                position: s.summit.position,
                name: s.name.clone()?,
                elevation_m: s.summit.elevation_m,
            })
        })
        .collect()
}

/// The files of the track map.
const MAP_FILES: [&str; 3] = ["map.png", "map.pgw", "map.bounds.json"];

/// Draws `map.png` (tinted relief, tracks, legend, scale bar) and its georeferencing.
fn map_files(
    terrain: &Terrain,
    tracks: &[Track],
    start: &Start,
    dem: &DemArgs,
    full: bool,
    summits: Vec<render::MapSummit>,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let tiles: Vec<String> = dem
        .dems
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let options = MapOptions {
        extent: if full {
            Extent::Full
        } else {
            Extent::Tracks { margin: 0.3 }
        },
        title: Some(format!("{} — {}", start.label, tiles.join(", "))),
        start_label: start.peak.as_ref().map(|(peak, _)| peak.name.clone()),
        summits,
        ..MapOptions::default()
    };
    let map = render::render_map(terrain, tracks, &options)?;
    let image = image::DynamicImage::ImageRgba8(map.image);
    Ok(render::georeferenced_png(
        MAP_FILES[0],
        &image,
        map.bounds_xy.to_array(),
        &terrain.dem().crs,
    )?)
}

/// Serialises the tracks in each requested format.
fn encode(
    formats: &[TrackFormat],
    tracks: &[Track],
    surface: &dyn Surface,
    start_name: Option<&str>,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut files = Vec::new();
    for &f in formats {
        let text = match f {
            TrackFormat::Geojson => export::tracks_geojson(tracks, surface, start_name)?,
            TrackFormat::Gpx => {
                export::tracks_gpx(tracks, surface, std::time::SystemTime::now(), start_name)?
            }
            TrackFormat::Csv => export::track_csv(tracks, surface),
            TrackFormat::Json => downhill::analytic::tracks_json(tracks, surface),
        };
        files.push((f.file_name(), text));
    }
    Ok(files)
}

/// Runs the agents and writes the track files; shared by `drop` and `demo`.
pub fn execute(args: &Args, global: &Global) -> anyhow::Result<Outcome> {
    // Everything the user controls is checked before any work or any write.
    let agents = args.run.params.agents(&args.run.agent)?;
    let rules = args.run.params.rules()?;
    if !(args.run.snap.is_finite() && (0.0..=peaks::MAX_SNAP_M).contains(&args.run.snap)) {
        anyhow::bail!(
            "--snap {}: give a distance in metres from 0 to {}",
            args.run.snap,
            peaks::MAX_SNAP_M
        );
    }
    let v0 = args.surface.initial_velocity();
    let tracks = agents.len() * args.surface.starts.len().max(1);
    args.dem
        .budget()
        .check_track_points(rules.max_steps as u64, tracks as u64)?;
    if let Some(surface) = args.surface.analytic()? {
        return execute_on_formula(args, &agents, &rules, v0, &surface);
    }
    if args.dem.dems.is_empty() {
        anyhow::bail!("name an elevation file (DEM), or give an analytic --surface EXPR --extent XMIN,YMIN,XMAX,YMAX");
    }
    if !args.surface.starts.is_empty() {
        anyhow::bail!(
            "--start X,Y is for analytic surfaces; on a DEM start with --at LAT,LON or --peak NAME"
        );
    }
    if args.run.at.is_none() && args.run.peak.is_none() {
        anyhow::bail!("say where to start: --at LAT,LON or --peak NAME");
    }
    let formats = if args.run.format.is_empty() {
        vec![TrackFormat::Geojson, TrackFormat::Gpx]
    } else {
        args.run.format.clone()
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
    let start = resolve_start(&args.run, &dem, &gazetteer, &summits)?;
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
    let dir = args.run.out.clone().unwrap_or_else(|| default_dir(&start));
    let mut out = OutputDir::create(&dir, args.run.force)?;
    let mut names: Vec<&str> = formats.iter().map(|f| f.file_name()).collect();
    names.extend(MAP_FILES);
    if !args.run.no_html {
        names.push(viewer::PAGE_NAME);
    }
    out.check_writable(&names)?;

    let tracks = descend_all(&agents, &terrain, &[start.position], v0, &rules)?;
    let summaries: Vec<Summary> = tracks.iter().map(|t| t.summary(&terrain)).collect();
    let files = encode(&formats, &tracks, &terrain, Some(start.label.as_str()))?;
    for (name, text) in files {
        out.write(name, text.as_bytes())?;
    }
    let marks = summit_marks(&summits);
    for (name, bytes) in map_files(
        &terrain,
        &tracks,
        &start,
        &args.dem,
        args.surface.full_extent(),
        marks,
    )? {
        out.write(&name, &bytes)?;
    }
    if !args.run.no_html {
        let full = args.surface.full_extent();
        let page = viewer::tracks_page(&terrain, &tracks, full, &start.label)?;
        out.write(viewer::PAGE_NAME, page.to_html()?.as_bytes())?;
    }
    // Every product is ready: publish them together.
    let written = out.commit()?;
    Ok(Outcome {
        summaries,
        start_notes: vec![describe_start(&terrain, &start)],
        start: Some(start),
        written,
        units: export::Units::Metres,
        hints: Vec::new(),
    })
}

fn execute_on_formula(
    args: &Args,
    agents: &[Agent],
    rules: &StopRules,
    v0: Vector,
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
    for f in &args.run.format {
        if matches!(f, TrackFormat::Geojson | TrackFormat::Gpx) {
            let name = if *f == TrackFormat::Gpx {
                "GPX"
            } else {
                "GeoJSON"
            };
            return Err(downhill::analytic::refuse_geographic_export(name).into());
        }
    }
    let formats = if args.run.format.is_empty() {
        vec![TrackFormat::Csv, TrackFormat::Json]
    } else {
        args.run.format.clone()
    };
    let dir = args
        .run
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("downhill-out/surface"));
    let mut out = OutputDir::create(&dir, args.run.force)?;
    let names: Vec<&str> = formats.iter().map(|f| f.file_name()).collect();
    out.check_writable(&names)?;
    let tracks = descend_all(agents, surface, &args.surface.starts, v0, rules)?;
    let summaries: Vec<Summary> = tracks.iter().map(|t| t.summary(surface)).collect();
    let files = encode(&formats, &tracks, surface, None)?;
    for (name, text) in files {
        out.write(name, text.as_bytes())?;
    }
    let written = out.commit()?;
    let start_notes = args
        .surface
        .starts
        .iter()
        .map(|p| format!("start: ({}, {}) on z = {}", p.x, p.y, surface.expression()))
        .collect();
    let hints = first_step_hint(&tracks, surface).into_iter().collect();
    Ok(Outcome {
        summaries,
        start_notes,
        start: None,
        written,
        units: export::Units::Formula,
        hints,
    })
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
    let [x0, y0, x1, y1] = surface.extent();
    let size = (x1 - x0).min(y1 - y0);
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

/// The JSON array `drop --json` prints: one object per agent (and start).
pub fn json_report(outcome: &Outcome) -> anyhow::Result<Value> {
    let mut rows = Vec::new();
    for s in &outcome.summaries {
        let mut v = serde_json::to_value(s).context("cannot serialise a summary")?;
        let peak = outcome.start.as_ref().and_then(|s| s.peak.as_ref());
        if let (Some(obj), Some((peak, offset))) = (v.as_object_mut(), peak) {
            obj.insert(
                "peak".into(),
                json!({
                    "name": peak.name,
                    "published": {"lon": peak.lon, "lat": peak.lat, "elevation": peak.elevation},
                    "snap_offset_m": offset,
                }),
            );
        }
        rows.push(v);
    }
    Ok(Value::Array(rows))
}

/// One line on how the start was chosen.
pub fn describe_start(terrain: &Terrain, start: &Start) -> String {
    let p = start.position;
    let z = terrain.elevation(p).unwrap_or(f64::NAN);
    let at = terrain
        .lon_lat(p)
        .map_or(format!("({}, {})", p.x, p.y), |ll| ll.to_string());
    if let Some(s) = &start.summit {
        let name = s
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" ({n})"));
        return format!(
            "start: summit #{}{name} at {at}, {z:.0} m, prominence {:.0} m",
            s.rank, s.prominence_m
        );
    }
    match &start.peak {
        Some((peak, offset)) => {
            let published = peak
                .elevation
                .map_or(String::new(), |e| format!(", published {e} m"));
            format!(
                "start: {} at {at}, {z:.0} m (the highest DEM sample, {offset:.0} m from the published summit{published})",
                peak.name
            )
        }
        None => format!("start: {at}, {z:.0} m"),
    }
}

/// Runs `downhill drop`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let outcome = execute(args, global)?;
    if args.run.json {
        print_json(&json_report(&outcome)?)?;
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
        for hint in &outcome.hints {
            eprintln!("{hint}");
        }
    }
    if !global.quiet {
        for p in &outcome.written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}
