//! Exported tracks read back by independent readers: serde_json and the
//! geojson crate for GeoJSON, the gpx crate and quick-xml for GPX, and the
//! file system for atomic writes.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use downhill::agents::{Agent, AgentKind, StepParams, StopRules, Track};
use downhill::dem::{self, Crs, Dem, GeoTransform, LoadOptions};
use downhill::export::{
    track_csv, tracks_geojson, tracks_gpx, write_atomic, OutputDir, MANIFEST_NAME,
};
use downhill::geo::Xy;
use downhill::terrain::{GradientScheme, Terrain, Vector};
use downhill::{Error, Refusal};
use ndarray::Array2;
use serde_json::Value;

// ---------------------------------------------------------------------------
// A synthetic geographic grid: an inclined plane, exact under bilinear
// interpolation, so the height at any exported lon/lat is known analytically.

/// Longitude of the west column, degrees.
const LON0: f64 = 10.0;
/// Latitude of the south row, degrees.
const LAT0: f64 = 45.0;
/// Sample spacing, degrees (3 arc-seconds, as SRTM3).
const STEP: f64 = 1.0 / 1200.0;
/// Samples per side.
const N: usize = 41;

/// The plane: 1000 m at (LON0, LAT0), falling 3000 m per degree east and
/// 1000 m per degree north.
fn plane_height(lon: f64, lat: f64) -> f64 {
    1000.0 - 3000.0 * (lon - LON0) - 1000.0 * (lat - LAT0)
}

fn plane_terrain() -> Terrain {
    let north = LAT0 + (N - 1) as f64 * STEP;
    let heights = Array2::from_shape_fn((N, N), |(r, c)| {
        plane_height(LON0 + c as f64 * STEP, north - r as f64 * STEP) as f32
    });
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(LON0, north, STEP, STEP),
        crs: Crs::Geographic,
        inputs: Vec::new(),
    };
    Terrain::new(dem, GradientScheme::Central).unwrap()
}

/// The centre of the synthetic grid.
fn plane_start() -> Xy {
    let half = (N / 2) as f64 * STEP;
    Xy::new(LON0 + half, LAT0 + half)
}

fn rules(max_steps: usize) -> StopRules {
    StopRules {
        max_steps,
        ..StopRules::default()
    }
}

/// A walker and a physical ball with a time step of 0.25 s on the plane.
fn plane_tracks(terrain: &Terrain) -> Vec<Track> {
    let walker = Agent::new(AgentKind::Gd);
    let ball = Agent {
        kind: AgentKind::Momentum,
        params: StepParams::physical(0.25, 0.05).unwrap(),
    };
    [walker, ball]
        .iter()
        .map(|a| {
            a.descend(terrain, plane_start(), Vector::ZERO, &rules(150))
                .unwrap()
        })
        .collect()
}

/// A fixed instant: 2024-05-01T12:00:00Z.
fn noon() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_714_564_800)
}

/// Number of decimals in the shortest decimal form of `v`.
fn decimals(v: f64) -> usize {
    let s = v.to_string();
    s.split_once('.').map_or(0, |(_, f)| f.len())
}

/// Seconds since the epoch of a GPX time, parsed back without downhill.
fn gpx_seconds(t: &gpx::Time) -> f64 {
    let text = t.format().unwrap();
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))
        .unwrap_or(&text);
    let t = humantime::parse_rfc3339_weak(text).unwrap();
    t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

// ---------------------------------------------------------------------------
// GeoJSON

#[test]
fn geojson_is_a_feature_collection_of_lon_lat_elevation_lines() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let text = tracks_geojson(&tracks, &terrain, Some("Centre")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(doc["type"], "FeatureCollection");
    assert_eq!(doc["generator"], "downhill");
    let features = doc["features"].as_array().unwrap();
    assert_eq!(
        features.len(),
        tracks.len() + 1,
        "one line per agent + start"
    );

    let start = plane_start();
    for (feature, track) in features.iter().zip(&tracks) {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["geometry"]["type"], "LineString");
        let coords = feature["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(coords.len(), track.points.len());
        // Longitude first: the first position is the known start.
        let first: Vec<f64> = coords[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(first.len(), 3);
        assert!((first[0] - start.x).abs() <= 0.6e-7, "lon {}", first[0]);
        assert!((first[1] - start.y).abs() <= 0.6e-7, "lat {}", first[1]);
        for c in coords {
            let c: Vec<f64> = c
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert!(decimals(c[0]) <= 7 && decimals(c[1]) <= 7, "{c:?}");
            assert!(decimals(c[2]) <= 2, "{c:?}");
            // Elevation matches the plane at the exported lon/lat (1e-7° of
            // rounding moves at most 3000 m/° * 1e-7° = 0.3 mm).
            assert!((c[2] - plane_height(c[0], c[1])).abs() <= 0.006, "{c:?}");
        }

        let props = feature["properties"].as_object().unwrap();
        assert_eq!(props["agent"], track.agent.name());
        assert_eq!(props["steps"], coords.len() - 1);
        assert_eq!(props["stop_reason"], track.stop_reason.as_str());
        for key in [
            "length_m",
            "descent_m",
            "ascent_m",
            "drop_m",
            "alpha",
            "beta",
        ] {
            assert!(props[key].is_number(), "{key} missing");
        }
        // Net drop against the exported first and last heights.
        let z = |c: &Value| c[2].as_f64().unwrap();
        let drop = z(&coords[0]) - z(&coords[coords.len() - 1]);
        assert!((props["drop_m"].as_f64().unwrap() - drop).abs() < 0.01);
        let stroke = props["stroke"].as_str().unwrap();
        assert_eq!(stroke, track.agent.colour().hex());
        assert!(stroke.len() == 7 && stroke.starts_with('#'));
        assert!(props["stroke-width"].as_f64().unwrap() > 0.0);
        assert!(props["title"].is_string());
    }
    // The ball has a time step, the walker does not.
    assert!(features[0]["properties"].get("dt").is_none());
    assert_eq!(features[1]["properties"]["dt"], 0.25);

    let marker = &features[tracks.len()];
    assert_eq!(marker["geometry"]["type"], "Point");
    let at = marker["geometry"]["coordinates"].as_array().unwrap();
    assert!((at[0].as_f64().unwrap() - start.x).abs() <= 0.6e-7);
    assert!((at[1].as_f64().unwrap() - start.y).abs() <= 0.6e-7);
    assert_eq!(marker["properties"]["title"], "Centre");
    assert!(marker["properties"]["marker-color"].is_string());
}

#[test]
fn geojson_parses_with_the_geojson_crate() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let text = tracks_geojson(&tracks, &terrain, None).unwrap();
    let parsed: geojson::GeoJson = text.parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = parsed else {
        panic!("not a FeatureCollection");
    };
    assert_eq!(fc.features.len(), 3);
    assert_eq!(
        fc.foreign_members.as_ref().unwrap()["generator"],
        "downhill"
    );
    let marker = &fc.features[2];
    assert_eq!(marker.property("title").unwrap(), "start");
    for (feature, track) in fc.features.iter().zip(&tracks) {
        let geometry = feature.geometry.as_ref().unwrap();
        match &geometry.value {
            geojson::GeometryValue::LineString { coordinates } => {
                assert_eq!(coordinates.len(), track.points.len())
            }
            other => panic!("expected a LineString, got {}", other.type_name()),
        }
    }
}

#[test]
fn a_track_that_never_moved_is_still_a_valid_line_string() {
    let terrain = plane_terrain();
    let start = plane_start();
    // Stop at once: the start is already below the threshold.
    let rules = StopRules {
        stop_below: Some(plane_height(start.x, start.y) + 1.0),
        ..StopRules::default()
    };
    let track = Agent::new(AgentKind::Gd)
        .descend(&terrain, start, Vector::ZERO, &rules)
        .unwrap();
    assert_eq!(track.points.len(), 1);
    let text = tracks_geojson(&[track], &terrain, None).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let coords = doc["features"][0]["geometry"]["coordinates"]
        .as_array()
        .unwrap();
    assert_eq!(coords.len(), 2, "RFC 7946 3.1.4: two or more positions");
    assert_eq!(coords[0], coords[1]);
    assert_eq!(doc["features"][0]["properties"]["steps"], 0);
    // The crate's own reader accepts it too.
    assert!(text.parse::<geojson::GeoJson>().is_ok());
}

/// A projected grid with no conversion to WGS84: a planar surface.
fn planar_terrain() -> Terrain {
    let heights = Array2::from_shape_fn((5, 5), |(r, c)| (r * r + c * c) as f32);
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(0.0, 400.0, 100.0, 100.0),
        crs: Crs::Projected {
            epsg: 32629,
            proj: String::new(),
        },
        inputs: Vec::new(),
    };
    Terrain::new(dem, GradientScheme::Central).unwrap()
}

#[test]
fn planar_surfaces_are_refused_by_geojson_and_gpx_but_written_as_csv() {
    let terrain = planar_terrain();
    let track = Agent::new(AgentKind::Gd)
        .descend(&terrain, Xy::new(300.0, 100.0), Vector::ZERO, &rules(3))
        .unwrap();
    let tracks = [track];
    match tracks_geojson(&tracks, &terrain, None) {
        Err(Error::BadParameter(msg)) => {
            assert!(msg.contains("geographic") && msg.contains("CSV"), "{msg}")
        }
        other => panic!("expected a parameter error, got {other:?}"),
    }
    assert!(matches!(
        tracks_gpx(&tracks, &terrain, noon(), None),
        Err(Error::BadParameter(_))
    ));

    let csv = track_csv(&tracks, &terrain);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("agent,step,x,y,lon,lat,elevation"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), tracks[0].points.len());
    let first = &rows[0];
    assert_eq!(first[..2], ["gd", "0"]);
    assert_eq!(first[2].parse::<f64>().unwrap(), 300.0);
    assert_eq!(first[3].parse::<f64>().unwrap(), 100.0);
    assert_eq!(first[4..6], ["", ""]);
    // Sample (row 3, col 3): 3² + 3² = 18.
    assert_eq!(first[6].parse::<f64>().unwrap(), 18.0);
}

#[test]
fn csv_on_a_geographic_grid_gives_lon_and_lat() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let csv = track_csv(&tracks, &terrain);
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|f| f.parse().unwrap()).collect())
        .collect();
    assert_eq!(
        rows.len(),
        tracks.iter().map(|t| t.points.len()).sum::<usize>()
    );
    for r in &rows {
        // step, x, y, lon, lat, elevation: lon/lat are x/y on this grid.
        assert_eq!((r[3], r[4]), (r[1], r[2]));
        assert!((r[5] - plane_height(r[3], r[4])).abs() < 1e-3);
    }
}

// ---------------------------------------------------------------------------
// GPX

#[test]
fn gpx_reads_back_with_the_gpx_crate() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let text = tracks_gpx(&tracks, &terrain, noon(), Some("Centre")).unwrap();
    let doc = gpx::read(text.as_bytes()).unwrap();

    assert_eq!(doc.version, gpx::GpxVersion::Gpx11);
    assert_eq!(doc.creator.as_deref(), Some("downhill"));
    let meta_time = doc.metadata.as_ref().unwrap().time.as_ref().unwrap();
    assert_eq!(gpx_seconds(meta_time), 1_714_564_800.0);

    assert_eq!(doc.waypoints.len(), 1);
    let wpt = &doc.waypoints[0];
    assert_eq!(wpt.name.as_deref(), Some("Centre"));
    let p = wpt.point();
    let start = plane_start();
    assert!((p.x() - start.x).abs() <= 0.6e-7 && (p.y() - start.y).abs() <= 0.6e-7);

    assert_eq!(doc.tracks.len(), tracks.len());
    for (trk, track) in doc.tracks.iter().zip(&tracks) {
        assert_eq!(trk.segments.len(), 1);
        let desc = trk.description.as_deref().unwrap();
        assert!(desc.contains(track.stop_reason.as_str()), "{desc}");
        assert!(desc.contains(&track.steps().to_string()), "{desc}");
        let points = &trk.segments[0].points;
        assert_eq!(points.len(), track.points.len());
        for w in points {
            let (lon, lat) = (w.point().x(), w.point().y());
            let ele = w.elevation.unwrap();
            assert!((ele - plane_height(lon, lat)).abs() <= 0.006, "{ele}");
        }
    }

    // The walker has no physical time; the ball's points are 0.25 s apart.
    assert!(doc.tracks[0].segments[0]
        .points
        .iter()
        .all(|w| w.time.is_none()));
    let ball = &doc.tracks[1].segments[0].points;
    assert!(ball.len() > 2);
    for (i, w) in ball.iter().enumerate() {
        let t = gpx_seconds(w.time.as_ref().unwrap());
        assert!(
            (t - (1_714_564_800.0 + 0.25 * i as f64)).abs() < 1e-3,
            "{i}: {t}"
        );
    }
}

/// Names of the child elements of the element at `path` (a list of names
/// from the root), in document order, for every occurrence.
fn child_sequences(xml: &str, parent: &str) -> Vec<Vec<String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out: Vec<Vec<String>> = Vec::new();
    loop {
        let event = reader.read_event().unwrap();
        let (name, opens) = match &event {
            Event::Start(e) => (
                String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                true,
            ),
            Event::Empty(e) => (
                String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                false,
            ),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if stack.last().map(String::as_str) == Some(parent) {
            if let Some(seq) = out.last_mut() {
                seq.push(name.clone());
            }
        }
        if name == parent {
            out.push(Vec::new());
        }
        if opens {
            stack.push(name);
        }
    }
    out
}

/// `true` when every name in `seq` appears in `order` and in that order.
fn follows(seq: &[String], order: &[&str]) -> bool {
    let ranks: Option<Vec<usize>> = seq
        .iter()
        .map(|n| order.iter().position(|o| o == n))
        .collect();
    ranks.is_some_and(|r| r.windows(2).all(|w| w[0] <= w[1]))
}

#[test]
fn gpx_elements_follow_the_gpx_1_1_schema_order() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let text = tracks_gpx(&tracks, &terrain, noon(), Some("Centre")).unwrap();

    // Sequences from the xsd:sequence definitions of gpx.xsd (GPX 1.1).
    let gpx_type = ["metadata", "wpt", "rte", "trk", "extensions"];
    let metadata_type = [
        "name",
        "desc",
        "author",
        "copyright",
        "link",
        "time",
        "keywords",
        "bounds",
        "extensions",
    ];
    let trk_type = [
        "name",
        "cmt",
        "desc",
        "src",
        "link",
        "number",
        "type",
        "extensions",
        "trkseg",
    ];
    let wpt_type = [
        "ele",
        "time",
        "magvar",
        "geoidheight",
        "name",
        "cmt",
        "desc",
        "src",
        "link",
        "sym",
        "type",
        "fix",
        "sat",
        "hdop",
        "vdop",
        "pdop",
        "ageofdgpsdata",
        "dgpsid",
        "extensions",
    ];
    let gpx = child_sequences(&text, "gpx");
    assert_eq!(gpx.len(), 1);
    assert!(follows(&gpx[0], &gpx_type), "{:?}", gpx[0]);
    assert_eq!(gpx[0].iter().filter(|n| *n == "trk").count(), 2);
    for seq in child_sequences(&text, "metadata") {
        assert!(follows(&seq, &metadata_type), "{seq:?}");
    }
    for seq in child_sequences(&text, "trk") {
        assert!(follows(&seq, &trk_type), "{seq:?}");
    }
    let points = child_sequences(&text, "trkpt");
    assert!(points.iter().any(|s| s.len() == 2), "no point has a time");
    for seq in points.iter().chain(&child_sequences(&text, "wpt")) {
        assert!(follows(seq, &wpt_type), "{seq:?}");
    }
}

#[test]
fn names_with_xml_special_characters_stay_well_formed() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let name = r#"Tom & Jerry's <"peak"> ]]>"#;

    let text = tracks_gpx(&tracks, &terrain, noon(), Some(name)).unwrap();
    // quick-xml reads the whole document without an error...
    let mut reader = quick_xml::Reader::from_str(&text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}"),
        }
    }
    // ...and the gpx crate gives the name back unchanged.
    let doc = gpx::read(text.as_bytes()).unwrap();
    assert_eq!(doc.waypoints[0].name.as_deref(), Some(name));

    let json = tracks_geojson(&tracks, &terrain, Some(name)).unwrap();
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["features"][2]["properties"]["title"], name);
}

#[test]
fn gpx_refuses_times_it_cannot_write() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let before_1970 = UNIX_EPOCH - Duration::from_secs(10);
    assert!(matches!(
        tracks_gpx(&tracks, &terrain, before_1970, None),
        Err(Error::BadParameter(_))
    ));
    // 9999-12-31T23:59:59Z: the ball's later points fall in the year 10000.
    let last_second = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    assert!(matches!(
        tracks_gpx(&tracks, &terrain, last_second, None),
        Err(Error::BadParameter(_))
    ));
}

// ---------------------------------------------------------------------------
// On real data: Mount Leinster, SE Ireland.

#[test]
fn mount_leinster_tracks_export_inside_their_tile() {
    let grid = dem::open(Path::new("data/N52W007.hgt"), &LoadOptions::default()).unwrap();
    let terrain = Terrain::new(grid, GradientScheme::Central).unwrap();
    let start = Xy::new(-6.78, 52.6177);
    let tracks: Vec<Track> = AgentKind::CLASSIC
        .iter()
        .map(|&k| {
            Agent::new(k)
                .descend(&terrain, start, Vector::ZERO, &rules(2000))
                .unwrap()
        })
        .collect();

    let json = tracks_geojson(&tracks, &terrain, Some("Mount Leinster")).unwrap();
    let doc: Value = serde_json::from_str(&json).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    for f in &features[..3] {
        let coords = f["geometry"]["coordinates"].as_array().unwrap();
        let first = &coords[0];
        assert_eq!(first[0], -6.78);
        assert_eq!(first[1], 52.6177);
        // Mount Leinster is 795 m high; the start is near its summit.
        let z0 = first[2].as_f64().unwrap();
        assert!((760.0..=800.0).contains(&z0), "{z0}");
        for c in coords {
            let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            // Tile N52W007 spans 7°W..6°W, 52°N..53°N (lon first).
            assert!((-7.0..=-6.0).contains(&lon) && (52.0..=53.0).contains(&lat));
        }
    }

    let text = tracks_gpx(&tracks, &terrain, noon(), Some("Mount Leinster")).unwrap();
    let doc = gpx::read(text.as_bytes()).unwrap();
    assert_eq!(doc.tracks.len(), 3);
    for (trk, track) in doc.tracks.iter().zip(&tracks) {
        let points = &trk.segments[0].points;
        assert_eq!(points.len(), track.points.len());
        for (w, p) in points.iter().zip(&track.points) {
            assert!((w.elevation.unwrap() - p.elevation).abs() <= 0.005);
        }
        let dt = track.params.dt;
        assert_eq!(points[0].time.is_some(), dt.is_some());
        if let (Some(dt), Some(last)) = (dt, points.last()) {
            let span = gpx_seconds(last.time.as_ref().unwrap()) - 1_714_564_800.0;
            assert!((span - dt * (points.len() - 1) as f64).abs() < 1e-3);
        }
    }
}

// ---------------------------------------------------------------------------
// Atomic writes and the output directory

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("tracks.geojson");
    write_atomic(&target, b"first version, rather longer").unwrap();
    write_atomic(&target, b"second").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"second");
    assert_eq!(entries(tmp.path()), ["tracks.geojson"]);

    // A failed write (the directory is missing) leaves nothing behind.
    let missing = tmp.path().join("no-such-dir").join("x.gpx");
    assert!(matches!(
        write_atomic(&missing, b"x"),
        Err(Error::Io { .. })
    ));
    assert_eq!(entries(tmp.path()), ["tracks.geojson"]);
}

#[test]
fn output_dir_refuses_foreign_files_but_replaces_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run").join("one");
    let mut dir = OutputDir::create(&out, false).unwrap();
    assert!(out.is_dir());
    std::fs::write(out.join("notes.txt"), b"mine, not downhill's").unwrap();

    let written = dir.write("tracks.gpx", b"v1").unwrap();
    assert_eq!(written, out.join("tracks.gpx"));
    assert!(!written.exists(), "published before the commit");
    assert_eq!(dir.commit().unwrap(), [out.join("tracks.gpx")]);
    assert_eq!(std::fs::read(out.join("tracks.gpx")).unwrap(), b"v1");

    // A later run (a new OutputDir) may replace what downhill wrote...
    let mut again = OutputDir::create(&out, false).unwrap();
    again.check_writable(&["tracks.gpx"]).unwrap();
    again.write("tracks.gpx", b"v2").unwrap();

    // ...but not a file it did not write; the refusal names the file and the way out.
    let before = entries(&out);
    // The refusal is structured (the command line words it with its flags).
    match again.check_writable(&["tracks.geojson", "notes.txt"]) {
        Err(Error::Refused { path, refusal }) => {
            assert_eq!(path, out.join("notes.txt"));
            assert_eq!(refusal, Refusal::NotOurs);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(entries(&out), before, "a refused check wrote something");
    let err = again
        .write("notes.txt", b"clobbered")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("notes.txt")
            && err.contains("force")
            && err.contains("another output directory"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out.join("notes.txt")).unwrap(),
        b"mine, not downhill's"
    );
    again.commit().unwrap();
    assert_eq!(std::fs::read(out.join("tracks.gpx")).unwrap(), b"v2");
    assert_eq!(
        entries(&out),
        [MANIFEST_NAME, "notes.txt", "tracks.gpx"],
        "no temporaries left"
    );

    // With --force it may.
    let mut forced = OutputDir::create(&out, true).unwrap();
    forced.check_writable(&["notes.txt"]).unwrap();
    forced.write("notes.txt", b"replaced").unwrap();
    forced.commit().unwrap();
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"replaced");
}

#[test]
fn output_dir_on_an_existing_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("out");
    std::fs::write(&file, b"x").unwrap();
    let err = OutputDir::create(&file, true).unwrap_err();
    assert!(
        matches!(&err, Error::Refused { path, refusal: Refusal::NotADirectory } if *path == file),
        "{err:?}"
    );
    assert!(err.to_string().contains("not a directory"), "{err}");
}

// ---------------------------------------------------------------------------
// GDAL/OGR as a third independent reader (skipped when it is not installed).

/// `ogrinfo` output for `args`, or `None` (with a note) when GDAL is absent.
fn ogrinfo(args: &[&str]) -> Option<String> {
    match std::process::Command::new("ogrinfo").args(args).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "ogrinfo {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(_) => {
            common::skipped("ogrinfo (GDAL) is not installed; the OGR cross-check did not run");
            None
        }
    }
}

/// The number after `Feature Count:` in `ogrinfo -so` output.
fn feature_count(summary: &str) -> usize {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in:\n{summary}"))
}

#[test]
fn gdal_ogr_reads_the_geojson_and_gpx() {
    let terrain = plane_terrain();
    let tracks = plane_tracks(&terrain);
    let tmp = tempfile::tempdir().unwrap();
    let json_path = tmp.path().join("tracks.geojson");
    let gpx_path = tmp.path().join("tracks.gpx");
    let name = r#"Tom & Jerry's <"peak">"#;
    write_atomic(
        &json_path,
        tracks_geojson(&tracks, &terrain, Some(name))
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    write_atomic(
        &gpx_path,
        tracks_gpx(&tracks, &terrain, noon(), Some(name))
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let (json, gpx) = (json_path.to_str().unwrap(), gpx_path.to_str().unwrap());

    let Some(summary) = ogrinfo(&["-ro", "-so", "-al", json]) else {
        return;
    };
    assert_eq!(feature_count(&summary), tracks.len() + 1, "{summary}");

    let summary = ogrinfo(&["-ro", "-so", gpx, "tracks"]).unwrap_or_default();
    assert_eq!(feature_count(&summary), tracks.len(), "{summary}");
    let summary = ogrinfo(&["-ro", "-so", gpx, "track_points"]).unwrap_or_default();
    let points: usize = tracks.iter().map(|t| t.points.len()).sum();
    assert_eq!(feature_count(&summary), points, "{summary}");
    let waypoints = ogrinfo(&["-ro", gpx, "waypoints"]).unwrap_or_default();
    assert!(
        waypoints.contains(&format!("name (String) = {name}")),
        "{waypoints}"
    );
}
