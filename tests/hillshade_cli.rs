//! `downhill hillshade` end to end: the files it writes are placed where GDAL
//! places the input tile, and bad options fail with one line and exit code 2.

mod common;

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn corners(path: &std::path::Path) -> Option<[f64; 4]> {
    let out = Command::new("gdalinfo")
        .arg("-json")
        .arg(path)
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let c = &v["cornerCoordinates"];
    let f = |k: &str, i: usize| c[k][i].as_f64();
    Some([
        f("upperLeft", 0)?,
        f("lowerRight", 1)?,
        f("lowerRight", 0)?,
        f("upperLeft", 1)?,
    ])
}

#[test]
fn grey_and_tinted_pngs_land_where_gdal_puts_the_tile() {
    let dir = tempfile::tempdir().unwrap();
    let hgt = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/N52W007.hgt");
    for (name, extra) in [("grey.png", vec![]), ("tint.png", vec!["--tint"])] {
        let png = dir.path().join(name);
        let status = Command::cargo_bin("downhill")
            .unwrap()
            .args(["-q", "hillshade"])
            .arg(&hgt)
            .arg("-o")
            .arg(&png)
            .args(&extra)
            .status()
            .unwrap();
        assert!(status.success());
        let img = image::open(&png).unwrap();
        assert_eq!((img.width(), img.height()), (1201, 1201));
        let bounds: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(png.with_extension("bounds.json")).unwrap(),
        )
        .unwrap();
        let Some(want) = corners(&hgt) else {
            common::skipped("gdalinfo is not installed; the georeferencing check did not run");
            continue;
        };
        let got = corners(&png).expect("GDAL reads the world file");
        for k in 0..4 {
            assert!(
                (got[k] - want[k]).abs() < 1e-9,
                "corner {k}: {got:?} vs {want:?}"
            );
        }
        assert!((bounds["west"].as_f64().unwrap() - want[0]).abs() < 1e-6);
        assert!((bounds["north"].as_f64().unwrap() - want[3]).abs() < 1e-6);
    }
}

#[test]
fn an_impossible_light_is_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let hgt = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/N52W007.hgt");
    let out = Command::cargo_bin("downhill")
        .unwrap()
        .args(["hillshade", "--altitude", "95"])
        .arg(&hgt)
        .arg("-o")
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("altitude"), "{err}");
    assert!(!dir.path().join("x.png").exists());
}
