//! `downhill peaks` and `drop --peak highest|'#N'` from the command line.

use assert_cmd::Command;
use downhill::geo::geodesy::geodesic_distance;
use serde_json::Value;

const TILE: &str = "data/N52W007.hgt";

fn downhill() -> Command {
    Command::cargo_bin("downhill").unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = downhill().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_is_sorted_by_prominence_and_names_the_bundled_summits() {
    let v = json(&["peaks", TILE, "--json", "--limit", "4"]);
    let s = v.as_array().unwrap();
    assert_eq!(s.len(), 4);
    for (k, w) in s.windows(2).enumerate() {
        assert_eq!(w[0]["rank"], k + 1);
        assert!(w[0]["prominence_m"].as_f64() >= w[1]["prominence_m"].as_f64());
    }
    // Lugnaquilla, published 52.9672 N 6.4644 W: the tile's highest summit.
    let top = &s[0];
    assert_eq!(top["name"], "Lugnaquilla");
    let d = geodesic_distance(
        top["lon"].as_f64().unwrap(),
        top["lat"].as_f64().unwrap(),
        -6.4644,
        52.9672,
    );
    assert!(d < 250.0, "{d}");
    assert_eq!(top["edge_limited"], true);
    assert!(top["key_col"].is_null() && top["isolation_m"].is_null());
    // Every parent is listed, and higher than its child.
    let all = json(&["peaks", TILE, "--json", "--min-prominence", "150"]);
    let all = all.as_array().unwrap();
    for m in all {
        if let Some(p) = m["parent"].as_u64() {
            let parent = &all[p as usize - 1];
            assert!(parent["elevation_m"].as_f64() >= m["elevation_m"].as_f64());
            let col = m["key_col"]["elevation_m"].as_f64().unwrap();
            let e = m["elevation_m"].as_f64().unwrap();
            assert!((e - col - m["prominence_m"].as_f64().unwrap()).abs() < 1e-9);
        }
        assert!(m["prominence_m"].as_f64().unwrap() >= 150.0);
    }
}

#[test]
fn files_agree_with_the_json_and_are_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let v = json(&[
        "peaks",
        TILE,
        "--json",
        "--min-prominence",
        "100",
        "--out",
        out.to_str().unwrap(),
    ]);
    let v = v.as_array().unwrap();
    let gj: geojson::GeoJson = std::fs::read_to_string(out.join("peaks.geojson"))
        .unwrap()
        .parse()
        .unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("not a FeatureCollection")
    };
    assert_eq!(fc.features.len(), v.len());
    for (f, s) in fc.features.iter().zip(v) {
        let Some(geojson::GeometryValue::Point { coordinates: p }) =
            f.geometry.as_ref().map(|g| &g.value)
        else {
            panic!("not a Point")
        };
        assert!((p[0] - s["lon"].as_f64().unwrap()).abs() < 1e-6);
        assert!((p[1] - s["lat"].as_f64().unwrap()).abs() < 1e-6);
        let prom = f.property("prominence_m").unwrap().as_f64().unwrap();
        assert!((prom - s["prominence_m"].as_f64().unwrap()).abs() < 0.01);
        assert_eq!(f.property("rank").unwrap(), &s["rank"]);
    }
    let csv = std::fs::read_to_string(out.join("peaks.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), v.len());
    assert_eq!(&rows[1][1], v[1]["name"].as_str().unwrap_or(""));
    // The viewer page beside them carries every summit, at the JSON's positions.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let tag = "id=\"downhill-data\">";
    let begin = html.find(tag).expect("data block") + tag.len();
    let end = begin + html[begin..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[begin..end]).unwrap();
    let page = data["summits"].as_array().unwrap();
    assert_eq!(page.len(), v.len());
    for (p, s) in page.iter().zip(v) {
        assert!((p["lon"].as_f64().unwrap() - s["lon"].as_f64().unwrap()).abs() < 1e-9);
        assert!((p["lat"].as_f64().unwrap() - s["lat"].as_f64().unwrap()).abs() < 1e-9);
        assert_eq!(p["prominence_m"], s["prominence_m"]);
    }
    // A file downhill did not write is left alone without --force.
    let foreign = dir.path().join("q");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("peaks.csv"), "mine").unwrap();
    let o = downhill()
        .args(["peaks", TILE, "--out", foreign.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(foreign.join("peaks.csv")).unwrap(),
        "mine"
    );
}

#[test]
fn bad_arguments_are_one_line_and_exit_2() {
    for args in [
        vec!["peaks", TILE, "--min-prominence", "-5"],
        vec!["peaks", TILE, "--min-prominence", "nan"],
        vec!["peaks", TILE, "--limit", "0"],
        vec!["peaks"],
        vec!["peaks", "no-such-tile.hgt"],
        vec!["drop", TILE, "--peak", "#0"],
        vec!["drop", TILE, "--peak", "#5000"],
    ] {
        let o = downhill().args(&args).output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
        assert!(!e.contains("panicked"));
    }
}

#[test]
fn drop_on_the_highest_and_the_second_most_prominent_summit() {
    let dir = tempfile::tempdir().unwrap();
    let start = |peak: &str| {
        let v = json(&[
            "drop",
            TILE,
            "--peak",
            peak,
            "--agent",
            "gd",
            "--json",
            "--out",
            dir.path().join(peak.replace('#', "n")).to_str().unwrap(),
        ]);
        let s = &v[0]["start"];
        (s["lon"].as_f64().unwrap(), s["lat"].as_f64().unwrap())
    };
    // Published summits: Lugnaquilla 52.9672 N 6.4644 W; Mount Leinster 52.6177 N 6.7800 W.
    let (lon, lat) = start("highest");
    assert!(geodesic_distance(lon, lat, -6.4644, 52.9672) < 250.0);
    let (lon, lat) = start("#2");
    assert!(geodesic_distance(lon, lat, -6.78, 52.6177) < 250.0);
}

#[test]
fn an_unknown_name_lists_five_summits_ready_to_paste() {
    let dir = tempfile::tempdir().unwrap();
    let o = downhill()
        .args(["drop", TILE, "--peak", "Mount Washington", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("no peak called 'Mount Washington'"), "{e}");
    for n in 1..=5 {
        assert!(e.contains(&format!("--peak '#{n}'")), "#{n} missing: {e}");
    }
    assert!(!e.contains("--peak '#6'"));
    assert!(
        e.contains("Lugnaquilla") && e.contains("Mount Leinster"),
        "{e}"
    );
    // Each --at is a pasteable LAT,LON that `drop` accepts as it is.
    let at: Vec<&str> = e
        .split("--at ")
        .skip(1)
        .map(|s| {
            let end = s.find([';', ' ']).unwrap_or(s.len());
            s[..end].trim_end_matches('.')
        })
        .collect();
    assert_eq!(at.len(), 5, "{e}");
    let first = at[0];
    let (lat, lon) = first.split_once(',').unwrap();
    let (lat, lon): (f64, f64) = (lat.parse().unwrap(), lon.parse().unwrap());
    assert!(
        geodesic_distance(lon, lat, -6.4644, 52.9672) < 250.0,
        "{first}"
    );
    let v = json(&[
        "drop",
        TILE,
        "--at",
        first,
        "--agent",
        "gd",
        "--json",
        "--out",
        dir.path().join("at").to_str().unwrap(),
    ]);
    assert!(v[0]["start"]["elevation"].as_f64().unwrap() > 900.0);
}

/// The highest summit of the Provence pair lies on the mosaic's northern
/// edge row; `--peak highest` starts there instead of calling it outside.
#[test]
fn drop_on_a_summit_on_the_grid_edge() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = ["data/N43E006.hgt", "data/N43E007.hgt"];
    let peaks = json(&["peaks", tiles[0], tiles[1], "--json", "--limit", "400"]);
    let highest = peaks
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["elevation_m"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let v = json(&[
        "drop",
        tiles[0],
        tiles[1],
        "--peak",
        "highest",
        "--agent",
        "gd",
        "--no-html",
        "--json",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let start = v[0]["start"]["elevation"].as_f64().unwrap();
    assert!((start - highest).abs() < 0.5, "{start} vs {highest}");
}
