//! `downhill info` on mosaics and projected grids: CRS, inputs and notes.

mod dem_support;

use assert_cmd::Command;
use dem_support::{data, have_tool, run};

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

#[test]
fn info_json_of_a_mosaic_lists_its_tiles_and_crs() {
    let out = downhill()
        .args(["info", "--json"])
        .arg(data("N43E006.hgt"))
        .arg(data("N43E007.hgt"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["crs"], "EPSG:4326");
    assert_eq!(v["width"], 2401);
    let inputs = v["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 2);
    for (i, tile) in ["N43E006.hgt", "N43E007.hgt"].iter().enumerate() {
        assert!(inputs[i]["path"].as_str().expect("path").ends_with(tile));
        assert_eq!(inputs[i]["format"], "SRTM .hgt");
        assert_eq!(inputs[i]["width"], 1201);
    }
    // The seam disagreement is a note on stderr, silenced by --quiet.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note:") && stderr.contains("disagrees"),
        "{stderr}"
    );
    let quiet = downhill()
        .args(["--quiet", "info", "--json"])
        .arg(data("N43E006.hgt"))
        .arg(data("N43E007.hgt"))
        .output()
        .expect("run");
    assert!(quiet.status.success() && quiet.stderr.is_empty());
}

#[test]
fn info_fills_voids_on_request_and_refuses_unknown_files() {
    let out = downhill()
        .args(["info", "--json", "--fill-voids"])
        .arg(data("N43E007.hgt"))
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["voids"], 0);

    let dir = tempfile::tempdir().expect("tempdir");
    let odd = dir.path().join("heights.dat");
    std::fs::write(&odd, "not a raster at all\n").expect("write");
    let out = downhill().arg("info").arg(&odd).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "gdal") {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr.contains("heights.dat") && stderr.contains("--features gdal"),
            "{stderr}"
        );
    }
}

#[test]
fn info_of_a_utm_geotiff_shows_its_projection() {
    if !have_tool("gdalwarp") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let utm = dir.path().join("utm.tif");
    run(
        "gdalwarp",
        &[
            "-q",
            "-t_srs",
            "EPSG:32629",
            data("N52W007.hgt").to_str().expect("utf-8"),
            utm.to_str().expect("utf-8"),
        ],
    );
    let out = downhill()
        .args(["info", "--json"])
        .arg(&utm)
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["crs"], "EPSG:32629");
    assert!(v["inputs"][0]["format"]
        .as_str()
        .expect("format")
        .starts_with("GeoTIFF"));
}

/// `info data/` names Ireland and Provence together: two groups of tiles
/// 9 degrees apart. Refused with the groups listed, unless --mosaic-anyway.
#[test]
fn separate_groups_of_tiles_are_refused_unless_asked_for() {
    let out = downhill().args(["info", "data/"]).output().expect("run");
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("2 separate groups"), "{e}");
    assert!(
        e.contains("[N43E006.hgt, N43E007.hgt]") && e.contains("[N52W007.hgt]"),
        "{e}"
    );
    assert!(e.contains("--mosaic-anyway"), "{e}");
    let out = downhill()
        // --no-sea: the sea of a 216 M-sample grid is slow to find in a debug build.
        // --max-cells: the mosaic is larger than the default cell budget of a small machine.
        .args([
            "info",
            "--json",
            "--mosaic-anyway",
            "--no-sea",
            "--max-cells",
            "300000000",
            "data/",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // 7 W to 8 E and 43 N to 53 N at 3": 15 x 1200 + 1 by 10 x 1200 + 1.
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(18001), Some(12001))
    );
}
