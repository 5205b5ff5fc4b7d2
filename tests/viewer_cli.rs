//! `index.html` from the command line: written beside the other outputs,
//! `--no-html` turns it off, a user's own `index.html` is never replaced
//! by surprise, and the page's data agree with `tracks.geojson`.

mod common;

use std::path::Path;

use common::{assert_success, downhill};
use serde_json::Value;

const TILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/N52W007.hgt");

/// The JSON data block of a viewer page.
fn page_data(page: &Path) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    let marker = "id=\"downhill-data\">";
    let start = html.find(marker).unwrap() + marker.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn drop_writes_a_page_whose_tracks_end_where_the_geojson_ends() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = downhill()
        .args([
            "-q",
            "drop",
            TILE,
            "--at",
            "52.60,-6.80",
            "--agent",
            "gd,momentum",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_success(&run);
    let data = page_data(&out.join("index.html"));
    let geojson: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("tracks.geojson")).unwrap())
            .unwrap();
    let lines: Vec<&Value> = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .collect();
    let tracks = data["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), lines.len());
    for (t, f) in tracks.iter().zip(&lines) {
        assert_eq!(t["agent"], f["properties"]["agent"]);
        assert_eq!(t["colour"], f["properties"]["stroke"]);
        let coords = f["geometry"]["coordinates"].as_array().unwrap();
        let (first, last) = (&coords[0], coords.last().unwrap());
        let n = t["lon"].as_array().unwrap().len();
        for (i, c) in [(0, first), (n - 1, last)] {
            assert_eq!(t["lon"][i].as_f64(), c[0].as_f64(), "{}", t["agent"]);
            assert_eq!(t["lat"][i].as_f64(), c[1].as_f64(), "{}", t["agent"]);
        }
        let end = last[2].as_f64().unwrap();
        assert!((t["end_elevation_m"].as_f64().unwrap() - end).abs() <= 0.005 + 1e-9);
        assert_eq!(t["steps"], f["properties"]["steps"]);
    }
    // The relief and the cursor's heights cover every track point.
    let relief = &data["relief"]["bounds"];
    let heights = &data["heights"];
    for t in tracks {
        for (lon, lat) in t["lon"]
            .as_array()
            .unwrap()
            .iter()
            .zip(t["lat"].as_array().unwrap())
        {
            let (lon, lat) = (lon.as_f64().unwrap(), lat.as_f64().unwrap());
            assert!(
                relief["west"].as_f64().unwrap() < lon && lon < relief["east"].as_f64().unwrap()
            );
            assert!(
                relief["south"].as_f64().unwrap() < lat && lat < relief["north"].as_f64().unwrap()
            );
            assert!(
                heights["west"].as_f64().unwrap() <= lon
                    && heights["north"].as_f64().unwrap() >= lat
            );
        }
    }
    let manifest = std::fs::read_to_string(out.join(".downhill-manifest")).unwrap();
    assert!(manifest.lines().any(|l| l == "index.html"), "{manifest}");
}

#[test]
fn no_html_writes_no_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = downhill()
        .args([
            "-q",
            "drop",
            TILE,
            "--at",
            "52.60,-6.80",
            "--agent",
            "gd",
            "--no-html",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_success(&run);
    assert!(out.join("tracks.geojson").exists());
    assert!(!out.join("index.html").exists());
}

#[test]
fn a_users_own_index_html_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("index.html"), "my own page").unwrap();
    let run = downhill()
        .args([
            "drop",
            TILE,
            "--at",
            "52.60,-6.80",
            "--agent",
            "gd",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("index.html") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(
        !out.join("tracks.geojson").exists(),
        "a refused run writes nothing"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).unwrap(),
        "my own page"
    );
    let run = downhill()
        .args([
            "-q",
            "drop",
            TILE,
            "--at",
            "52.60,-6.80",
            "--agent",
            "gd",
            "--no-html",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_success(&run);
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).unwrap(),
        "my own page"
    );
}

#[test]
fn basins_on_a_formula_write_no_page_and_on_a_tile_a_page_of_outlines() {
    let dir = tempfile::tempdir().unwrap();
    let formula = dir.path().join("formula");
    let run = downhill()
        .args([
            "-q",
            "basins",
            "--surface",
            "x^4 - 2*x^2 + y^2",
            "--extent=-2,-2,2,2",
            "--resolution",
            "40",
            "--alpha",
            "0.01",
            "--out",
        ])
        .arg(&formula)
        .output()
        .unwrap();
    assert_success(&run);
    assert!(formula.join("basins.geojson").exists());
    assert!(!formula.join("index.html").exists());

    let tile = dir.path().join("tile");
    let run = downhill()
        .args([
            "-q",
            "basins",
            TILE,
            "--bbox=-6.8,52.6,-6.75,52.63",
            "--fill",
            "--out",
        ])
        .arg(&tile)
        .output()
        .unwrap();
    assert_success(&run);
    let data = page_data(&tile.join("index.html"));
    let sinks: Value =
        serde_json::from_str(&std::fs::read_to_string(tile.join("sinks.geojson")).unwrap())
            .unwrap();
    let features = sinks["features"].as_array().unwrap();
    assert_eq!(data["basins"]["kind"], "outlines");
    assert_eq!(
        data["basins"]["sinks"].as_array().unwrap().len(),
        features.len()
    );
    assert_eq!(
        data["basins"]["colours"].as_array().unwrap().len(),
        features.len()
    );
    // Outlet positions agree with sinks.geojson to the page's 1e-6 degrees.
    for (s, f) in data["basins"]["sinks"]
        .as_array()
        .unwrap()
        .iter()
        .zip(features)
    {
        assert_eq!(s["id"], f["properties"]["id"]);
        let c = &f["geometry"]["coordinates"];
        assert!((s["lon"].as_f64().unwrap() - c[0].as_f64().unwrap()).abs() <= 5e-7);
        assert!((s["lat"].as_f64().unwrap() - c[1].as_f64().unwrap()).abs() <= 5e-7);
    }
    let html = std::fs::read_to_string(tile.join("index.html")).unwrap();
    assert!(html.contains("id=\"downhill-basins\""));
}
