//! The first slice end to end: info, drop on Mount Leinster, demo.

mod common;

use assert_cmd::Command;
use common::{assert_success, downhill};
use serde_json::Value;

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert_success(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn info_reports_size_bounds_heights_and_voids() {
    let v = json_of(downhill().args(["info", "data/N52W007.hgt", "--json"]));
    assert_eq!(v["width"], 1201);
    assert_eq!(v["height"], 1201);
    assert_eq!(v["min"], -8.0);
    assert_eq!(v["max"], 922.0);
    assert_eq!(v["voids"], 0);
    let b: Vec<f64> = v["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    for (got, want) in b.iter().zip([-7.0, 52.0, -6.0, 53.0]) {
        assert!((got - want).abs() < 1e-3, "{b:?}");
    }
    let v = json_of(downhill().args(["info", "data/N43E007.hgt", "--json"]));
    assert_eq!(v["voids"], 4);
}

#[test]
fn mount_leinster_walker_stalls_and_the_ball_reaches_the_barrow() {
    let dir = tempfile::tempdir().unwrap();
    let v = json_of(
        downhill()
            .args([
                "drop",
                "data/N52W007.hgt",
                "--peak",
                "Mount Leinster",
                "--json",
                "--out",
            ])
            .arg(dir.path()),
    );
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let find = |name: &str| rows.iter().find(|r| r["agent"] == name).unwrap();
    let (walker, ball, nesterov) = (find("gd"), find("momentum"), find("nesterov"));
    for r in rows {
        for key in [
            "steps",
            "stop_reason",
            "start",
            "end",
            "length_m",
            "descent_m",
            "alpha",
            "beta",
        ] {
            assert!(!r[key].is_null(), "missing {key} in {r}");
        }
        // The start snapped to the DEM summit near the published 52.6177 N 6.7800 W.
        let s = &r["start"];
        assert!((s["lat"].as_f64().unwrap() - 52.6177).abs() < 0.003, "{s}");
        assert!((s["lon"].as_f64().unwrap() + 6.78).abs() < 0.004, "{s}");
        assert!(s["elevation"].as_f64().unwrap() > 780.0);
    }
    // The walker stalls in the valley south-west of the summit, above 60 m.
    let we = &walker["end"];
    assert!(we["elevation"].as_f64().unwrap() > 60.0, "{we}");
    assert!(
        we["lat"].as_f64().unwrap() < 52.6177 && we["lon"].as_f64().unwrap() < -6.78,
        "{we}"
    );
    assert_eq!(walker["stop_reason"], "converged");
    // The ball rolls on to the River Barrow: below 30 m on its valley floor,
    // which runs north-south about 10 km west of the summit (52.54 N 6.95 W).
    for b in [ball, nesterov] {
        let e = &b["end"];
        assert!(e["elevation"].as_f64().unwrap() < 30.0, "{e}");
        let (lon, lat) = (e["lon"].as_f64().unwrap(), e["lat"].as_f64().unwrap());
        assert!(
            (-7.0..-6.88).contains(&lon) && (52.45..52.65).contains(&lat),
            "{e}"
        );
    }
    assert!(ball["beta"].as_f64().unwrap() > 0.9 && walker["beta"].as_f64().unwrap() == 0.0);
    assert!(dir.path().join("tracks.geojson").exists());
    assert!(dir.path().join("tracks.gpx").exists());
}

#[test]
fn the_demo_tells_the_story_and_writes_valid_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = downhill()
        .args(["demo", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Mount Leinster") && text.contains("Barrow"),
        "{text}"
    );
    let geo: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("tracks.geojson")).unwrap())
            .unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let lines: Vec<&Value> = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .collect();
    assert_eq!(lines.len(), 3);
    for f in lines {
        // Longitude first: the Blackstairs are at 6.8 W, 52.6 N.
        let first = &f["geometry"]["coordinates"][0];
        assert!((first[0].as_f64().unwrap() + 6.78).abs() < 0.01, "{first}");
        assert!((first[1].as_f64().unwrap() - 52.62).abs() < 0.01, "{first}");
    }
    let gpx = std::fs::read_to_string(dir.path().join("tracks.gpx")).unwrap();
    let parsed = gpx::read(gpx.as_bytes()).unwrap();
    assert_eq!(parsed.tracks.len(), 3);
}

#[test]
fn a_rerun_replaces_its_own_files_but_not_a_users() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        downhill()
            .args([
                "drop",
                "data/N52W007.hgt",
                "--at",
                "52.6,-6.8",
                "--agent",
                "gd",
                "--out",
            ])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    assert!(
        run().status.success(),
        "a rerun may replace downhill's own files"
    );
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("tracks.gpx"), b"my own precious track").unwrap();
    let out = downhill()
        .args(["drop", "data/N52W007.hgt", "--at", "52.6,-6.8", "--out"])
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read(other.path().join("tracks.gpx")).unwrap(),
        b"my own precious track"
    );
    assert!(!other.path().join("tracks.geojson").exists());
}

#[test]
fn hillshade_takes_an_analytic_surface_and_a_plane_shades_uniformly() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("plane.png");
    let out = downhill()
        .args([
            "hillshade",
            "--surface",
            "0.3*x - 0.2*y",
            "--extent",
            "0,0,100,100",
            "--resolution",
            "51",
            "-o",
        ])
        .arg(&png)
        .output()
        .unwrap();
    assert_success(&out);
    let img = image::open(&png).unwrap().to_luma8();
    assert_eq!(img.dimensions(), (51, 51));
    // Away from the four corners (gdaldem's edge rule), a plane has one grey level.
    let centre = img.get_pixel(25, 25)[0];
    assert!(centre > 1);
    for y in 1..50 {
        for x in 1..50 {
            assert_eq!(img.get_pixel(x, y)[0], centre, "pixel ({x}, {y})");
        }
    }
}
