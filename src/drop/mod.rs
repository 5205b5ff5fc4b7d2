//! A drop run: agents descending from one start on a DEM (or from starts on
//! an analytic surface), with every product staged in an [`OutputDir`] and
//! published together.
//!
//! The command line's `drop` and `demo` parse arguments into a [`Plan`],
//! resolve a [`Start`] and call [`on_terrain`] or [`on_surface`]; anything
//! else (a program, a test) can do the same without the command line:
//!
//! ```no_run
//! use downhill::agents::{Agent, AgentKind, StopRules};
//! use downhill::drop::{self, Plan, Start, StartRequest};
//! use downhill::export::OutputDir;
//! use downhill::peaks::Gazetteer;
//! use downhill::terrain::{GradientScheme, Terrain, Vector};
//!
//! # fn main() -> downhill::Result<()> {
//! let dem = downhill::dem::open("data/N52W007.hgt".as_ref(), &Default::default())?;
//! let request = StartRequest::Peak("Mount Leinster".into()); // or StartRequest::At(LonLat)
//! let start = Start::resolve(&request, &dem, &Gazetteer::bundled()?, &[], 250.0)?;
//! let terrain = Terrain::new(dem, GradientScheme::Central)?;
//! let plan = Plan {
//!     agents: AgentKind::CLASSIC.map(Agent::new).to_vec(),
//!     rules: StopRules::default(),
//!     initial_velocity: Vector::ZERO,
//!     formats: Vec::new(), // the default on a DEM: GeoJSON and GPX
//!     html: true,
//!     full_extent: false,
//! };
//! let out = OutputDir::create("leinster".as_ref(), false)?;
//! let outcome = drop::on_terrain(&terrain, start, &[], "Mount Leinster", &plan, out)?;
//! for file in &outcome.written {
//!     println!("wrote {}", file.display());
//! }
//! # Ok(()) }
//! ```

mod files;
mod start;

pub use files::{encode, map_files, summit_marks, MapRequest, TrackFormat, MAP_FILES};
pub use start::{grid_position, Start, StartRequest};

use serde_json::{json, Value};
use std::path::PathBuf;

use crate::agents::{descend_all, Agent, StopRules, Summary, Track};
use crate::analytic::{refuse_geographic_export, AnalyticSurface};
use crate::error::{Error, Result};
use crate::export::{self, OutputDir};
use crate::geo::Xy;
use crate::peaks;
use crate::terrain::{Surface, Terrain, Vector};
use crate::viewer;

/// What to run and what to write.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The agents, each from every start.
    pub agents: Vec<Agent>,
    /// When the agents stop.
    pub rules: StopRules,
    /// Initial velocity of the balls (CRS units per step); zero for a walker.
    pub initial_velocity: Vector,
    /// Track files to write; empty: the default of the surface
    /// ([`TrackFormat::ON_TERRAIN`] or [`TrackFormat::ON_SURFACE`]).
    pub formats: Vec<TrackFormat>,
    /// Write `index.html`, the offline map viewer (on a DEM only).
    pub html: bool,
    /// Draw the map and the viewer over the whole grid rather than the tracks.
    pub full_extent: bool,
}

/// Everything a finished run produced.
#[derive(Debug)]
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
    /// The tracks themselves, start by start, each start's in the plan's
    /// order of agents.
    pub tracks: Vec<Track>,
}

impl Plan {
    /// Refuses the geographic formats (GeoJSON, GPX) for a run on an
    /// analytic surface, which is not on the Earth; [`on_surface`] checks
    /// it too, after its output directory exists.
    pub fn check_formats_for_surface(&self) -> Result<()> {
        match self.formats.iter().find(|f| f.is_geographic()) {
            Some(TrackFormat::Gpx) => Err(refuse_geographic_export("GPX")),
            Some(_) => Err(refuse_geographic_export("GeoJSON")),
            None => Ok(()),
        }
    }

    fn formats_or(&self, default: &[TrackFormat]) -> Vec<TrackFormat> {
        if self.formats.is_empty() {
            default.to_vec()
        } else {
            self.formats.clone()
        }
    }
}

/// Runs the plan's agents from `start` on `terrain` and writes the tracks,
/// `map.png` (titled `map_title`, with the named `summits` in view) and the
/// viewer into `out`, then publishes them together. A start in the sea is
/// [`Error::BadStart`]; nothing is written on any error.
pub fn on_terrain(
    terrain: &Terrain,
    start: Start,
    summits: &[peaks::Summit],
    map_title: &str,
    plan: &Plan,
    mut out: OutputDir,
) -> Result<Outcome> {
    if terrain.in_sea(start.position) {
        return Err(Error::BadStart(format!(
            "the start {} lies in the sea (SRTM's 0 m connected to the edge of the grid); start on land",
            start.label
        )));
    }
    let formats = plan.formats_or(&TrackFormat::ON_TERRAIN);
    let mut names: Vec<&str> = formats.iter().map(|f| f.file_name()).collect();
    names.extend(MAP_FILES);
    if plan.html {
        names.push(viewer::PAGE_NAME);
    }
    out.check_writable(&names)?;

    let tracks = descend_all(
        &plan.agents,
        terrain,
        &[start.position],
        plan.initial_velocity,
        &plan.rules,
    )?;
    let summaries: Vec<Summary> = tracks.iter().map(|t| t.summary(terrain)).collect();
    for (name, text) in encode(&formats, &tracks, terrain, Some(start.label.as_str()))? {
        out.write(name, text.as_bytes())?;
    }
    let map = MapRequest {
        full_extent: plan.full_extent,
        title: map_title.to_string(),
        start_label: start.peak.as_ref().map(|(peak, _)| peak.name.clone()),
    };
    for (name, bytes) in map_files(terrain, &tracks, &map, summits)? {
        out.write(&name, &bytes)?;
    }
    if plan.html {
        let page = viewer::tracks_page(terrain, &tracks, plan.full_extent, &start.label)?;
        out.write(viewer::PAGE_NAME, page.to_html()?.as_bytes())?;
    }
    // Every product is ready: publish them together.
    let written = out.commit()?;
    Ok(Outcome {
        summaries,
        start_notes: vec![start.describe(terrain)],
        start: Some(start),
        written,
        units: export::Units::Metres,
        tracks,
    })
}

/// Runs the plan's agents from every one of `starts` (the surface's own
/// units) on an analytic `surface` and writes the tracks into `out`. The
/// geographic formats (GeoJSON, GPX) are refused: a formula is not on the
/// Earth.
pub fn on_surface(
    surface: &AnalyticSurface,
    starts: &[Xy],
    plan: &Plan,
    mut out: OutputDir,
) -> Result<Outcome> {
    plan.check_formats_for_surface()?;
    if starts.is_empty() {
        return Err(Error::BadStart(
            "no start on the surface: give at least one".into(),
        ));
    }
    let formats = plan.formats_or(&TrackFormat::ON_SURFACE);
    let names: Vec<&str> = formats.iter().map(|f| f.file_name()).collect();
    out.check_writable(&names)?;
    let tracks = descend_all(
        &plan.agents,
        surface,
        starts,
        plan.initial_velocity,
        &plan.rules,
    )?;
    let summaries: Vec<Summary> = tracks.iter().map(|t| t.summary(surface)).collect();
    for (name, text) in encode(&formats, &tracks, surface, None)? {
        out.write(name, text.as_bytes())?;
    }
    let written = out.commit()?;
    let start_notes = starts
        .iter()
        .map(|p| format!("start: ({}, {}) on z = {}", p.x, p.y, surface.expression()))
        .collect();
    Ok(Outcome {
        summaries,
        start_notes,
        start: None,
        written,
        units: export::Units::Formula,
        tracks,
    })
}

impl Outcome {
    /// The JSON report of the run: one object per agent (and start), with
    /// the peak's published record and snap offset (metres) when the start
    /// was a gazetteer peak.
    pub fn to_json(&self) -> Result<Value> {
        let mut rows = Vec::new();
        for s in &self.summaries {
            let mut v = serde_json::to_value(s)
                .map_err(|e| Error::param(format!("cannot serialise a summary: {e}")))?;
            let peak = self.start.as_ref().and_then(|s| s.peak.as_ref());
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentKind, StepParams};
    use crate::dem::{Crs, Dem, GeoTransform};
    use crate::geo::LonLat;
    use crate::peaks::{Gazetteer, SummitOptions};
    use ndarray::Array2;
    use std::path::Path;

    fn walker_plan(alpha: f64, max_steps: usize) -> Plan {
        Plan {
            agents: vec![Agent {
                kind: AgentKind::Gd,
                params: StepParams::new(alpha, 0.0).unwrap(),
            }],
            rules: StopRules {
                max_steps,
                ..StopRules::default()
            },
            initial_velocity: Vector::default(),
            formats: Vec::new(),
            html: false,
            full_extent: false,
        }
    }

    #[test]
    fn a_walker_on_a_bowl_follows_the_closed_form_and_its_files_are_published_together() {
        // On z = x² + y² the walker's step x ← x − α·2x is a contraction
        // by (1 − 2α) in each coordinate: after k steps (1, 2)·0.8^k.
        let bowl = AnalyticSurface::parse("x^2 + y^2", [-4.0, -4.0, 4.0, 4.0]).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = OutputDir::create(&tmp.path().join("run"), false).unwrap();
        let outcome = on_surface(&bowl, &[Xy::new(1.0, 2.0)], &walker_plan(0.1, 6), out).unwrap();
        let track = &outcome.tracks[0];
        for (k, p) in track.points.iter().enumerate() {
            let f = 0.8f64.powi(k as i32);
            assert!(
                (p.position.x - f).abs() < 1e-6,
                "step {k}: {:?}",
                p.position
            );
            assert!(
                (p.position.y - 2.0 * f).abs() < 1e-6,
                "step {k}: {:?}",
                p.position
            );
        }
        assert_eq!(track.points.len(), 7, "the start and six steps");
        let mut names: Vec<String> = outcome
            .written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["tracks.csv", "tracks.json"]);
        let csv = std::fs::read_to_string(tmp.path().join("run/tracks.csv")).unwrap();
        assert_eq!(csv.lines().count(), 1 + 7, "a header and one row per point");
        assert_eq!(outcome.summaries.len(), 1);
        assert_eq!(outcome.units, export::Units::Formula);
    }

    #[test]
    fn a_formula_refuses_geographic_formats_and_writes_nothing() {
        let bowl = AnalyticSurface::parse("x^2 + y^2", [-4.0, -4.0, 4.0, 4.0]).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        for format in [TrackFormat::Geojson, TrackFormat::Gpx] {
            let mut plan = walker_plan(0.1, 6);
            plan.formats = vec![TrackFormat::Csv, format];
            let out = OutputDir::create(&dir, false).unwrap();
            assert!(on_surface(&bowl, &[Xy::new(1.0, 2.0)], &plan, out).is_err());
            let left = std::fs::read_dir(&dir).map_or(0, |d| d.count());
            assert_eq!(left, 0, "{format:?}: nothing may be written");
        }
        let out = OutputDir::create(&dir, false).unwrap();
        assert!(on_surface(&bowl, &[], &walker_plan(0.1, 6), out).is_err());
    }

    /// A 0.1° square of 11 x 11 samples north-east of (10 E, 50 N): flat at
    /// 100 m, with a 300 m hill at row 3, col 7 and a 200 m one at row 8, col 2.
    fn hills() -> Dem {
        let mut h = Array2::from_elem((11, 11), 100.0f32);
        h[[3, 7]] = 300.0;
        h[[8, 2]] = 200.0;
        Dem {
            heights: h,
            transform: GeoTransform::from_first_sample(10.0, 50.1, 0.01, 0.01),
            crs: Crs::Geographic,
            inputs: vec![],
        }
    }

    #[test]
    fn starts_come_from_degrees_a_summit_rank_or_a_snapped_gazetteer_name() {
        let dem = hills();
        let summits = crate::peaks::find_summits(
            &dem,
            &SummitOptions {
                min_prominence_m: 0.0,
            },
        )
        .unwrap();
        // A published position 0.01° (about 1.1 km) west of the 300 m hill.
        let gazetteer = Gazetteer::from_csv(
            "Big Hill,50.07,10.06,300\nSmall Hill,50.02,10.02,200\n",
            Path::new("test.csv"),
        )
        .unwrap();
        let resolve =
            |r: StartRequest, snap: f64| Start::resolve(&r, &dem, &gazetteer, &summits, snap);

        let at = resolve(StartRequest::At(LonLat::new(10.035, 50.045)), 0.0).unwrap();
        assert!((at.position.x - 10.035).abs() < 1e-12 && (at.position.y - 50.045).abs() < 1e-12);
        assert!(at.peak.is_none() && at.summit.is_none());

        let highest = resolve(StartRequest::Peak("highest".into()), 0.0).unwrap();
        assert!(
            (highest.position.x - 10.07).abs() < 1e-9,
            "{:?}",
            highest.position
        );
        assert!(
            (highest.position.y - 50.07).abs() < 1e-9,
            "{:?}",
            highest.position
        );
        let second = resolve(StartRequest::Peak("#2".into()), 0.0).unwrap();
        assert!(
            (second.position.x - 10.02).abs() < 1e-9,
            "{:?}",
            second.position
        );

        // Snapping reaches the hill 0.01° of longitude away (about 715 m
        // at 50° N) with 1000 m, and not with 500 m.
        let snapped = resolve(StartRequest::Peak("big hill".into()), 1000.0).unwrap();
        assert!(
            (snapped.position.x - 10.07).abs() < 1e-9,
            "{:?}",
            snapped.position
        );
        let (peak, offset) = snapped.peak.unwrap();
        assert_eq!(peak.name, "Big Hill");
        assert!((600.0..800.0).contains(&offset), "{offset}");
        let near = resolve(StartRequest::Peak("Big Hill".into()), 500.0).unwrap();
        assert!(
            (near.position.x - 10.06).abs() < 1e-9,
            "{:?}",
            near.position
        );

        match resolve(StartRequest::Peak("Big Hil".into()), 0.0) {
            Err(Error::UnknownPeak(m)) => assert!(m.contains("Big Hill"), "{m}"),
            other => panic!("{other:?}"),
        }
        match resolve(StartRequest::At(LonLat::new(11.0, 50.05)), 0.0) {
            Err(Error::BadStart(m)) => assert!(m.contains("outside the elevation data"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
