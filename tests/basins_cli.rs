//! `downhill basins` end to end on a small box of the bundled tile.

use assert_cmd::Command;

#[test]
fn basins_writes_its_outputs_and_a_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("downhill")
        .unwrap()
        .args([
            "basins",
            "data/N52W007.hgt",
            "--bbox=-6.80,52.60,-6.76,52.63",
            "--fill",
            "--json",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The box holds the sample centres 52.60..52.63 N, -6.80..-6.76 W at 3":
    // 37 rows and 49 columns, every one a start.
    assert_eq!(r["starts"], 37 * 49);
    assert!(r["basins"].as_u64().unwrap() >= 1);
    assert!(r["steps"].as_u64().unwrap() > 0 && r["seconds"].as_f64().unwrap() > 0.0);
    for f in [
        "basins.tif",
        "basins.png",
        "basins.pgw",
        "basins.bounds.json",
        "sinks.geojson",
        "basins.geojson",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    // The bounds are the outer cell edges: half a 3" sample outside the box's
    // sample centres (52.60..52.63 N, -6.80..-6.76 W), as gdalinfo reports.
    let b: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("basins.bounds.json")).unwrap(),
    )
    .unwrap();
    let half = 0.5 / 1200.0;
    for (key, want) in [
        ("west", -6.80 - half),
        ("east", -6.76 + half),
        ("south", 52.60 - half),
        ("north", 52.63 + half),
    ] {
        assert!((b[key].as_f64().unwrap() - want).abs() < 1e-9, "{key}: {b}");
    }
    let sinks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("sinks.geojson")).unwrap())
            .unwrap();
    let features = sinks["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, r["basins"].as_u64().unwrap());
    let starts: u64 = features
        .iter()
        .map(|f| f["properties"]["starts"].as_u64().unwrap())
        .sum();
    assert_eq!(starts, 37 * 49);
}

#[test]
fn bad_parameters_are_one_line_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--stride", "0"],
        vec!["--bbox=10,50,11,51"],
        vec!["--alpha=-1"],
    ] {
        let out = Command::cargo_bin("downhill")
            .unwrap()
            .args(["basins", "data/N52W007.hgt", "--out"])
            .arg(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
