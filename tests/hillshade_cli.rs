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
    // Square pixels on the ground at the middle row (52.5° N): a degree of
    // longitude is N cos φ / M of a degree of latitude on the WGS84
    // ellipsoid (N, M the prime-vertical and meridional radii), so the
    // 1201 samples across shrink to 1201 cos φ (1 - e² sin² φ) / (1 - e²).
    let (phi, e2) = (52.5f64.to_radians(), 0.006_694_379_990_14);
    let ground_cols = 1201.0 * phi.cos() * (1.0 - e2 * phi.sin().powi(2)) / (1.0 - e2);
    for (name, extra, per_sample) in [
        ("grey.png", vec![], false),
        ("tint.png", vec!["--tint"], false),
        ("grey-gdaldem.png", vec!["--per-sample"], true),
    ] {
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
        assert_eq!(img.height(), 1201);
        if per_sample {
            assert_eq!(img.width(), 1201);
        } else {
            assert!(
                (img.width() as f64 - ground_cols).abs() <= 1.0,
                "{name}: {} pixels across, {ground_cols:.1} expected",
                img.width()
            );
        }
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

/// A geographic GeoTIFF whose cells are 1° wide and 0.00001° tall asks for
/// square pixels 100,000 times as many as its columns: refused, naming the
/// file and the way out, before anything is allocated or written;
/// `--per-sample` shades it one pixel per sample.
#[test]
fn square_pixels_that_would_not_fit_the_budget_are_refused() {
    use downhill::export::georaster::{self, Pixels, Raster};
    let dir = tempfile::tempdir().unwrap();
    let heights: Vec<f32> = (0..50 * 50).map(|i| (i % 50 + i / 50) as f32).collect();
    let transform = downhill::dem::GeoTransform {
        origin_x: 10.0,
        origin_y: 45.0,
        cell_x: 1.0,
        cell_y: 0.00001,
    };
    let raster = Raster::new(50, 50, Pixels::F32(&heights)).unwrap();
    let tif = dir.path().join("thin.tif");
    let bytes =
        georaster::geotiff(&raster, &transform, &downhill::dem::Crs::Geographic, None).unwrap();
    std::fs::write(&tif, bytes).unwrap();
    let run = |extra: &[&str]| {
        Command::cargo_bin("downhill")
            .unwrap()
            .args(["hillshade", "--max-cells", "1000000"])
            .args(extra)
            .arg(&tif)
            .arg("-o")
            .arg(dir.path().join("x.png"))
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("thin.tif") && err.contains("--per-sample"),
        "{err}"
    );
    assert!(!dir.path().join("x.png").exists());
    let out = run(&["--per-sample"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = image::open(dir.path().join("x.png")).unwrap();
    assert_eq!((png.width(), png.height()), (50, 50));
}

/// A tile damaged in its last rows, read while the picture is made, fails
/// as reading it does: the message names the tile and the damage, not the
/// output, and nothing is written.
#[test]
fn a_tile_damaged_late_is_named_as_the_input_not_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/N52W007.hgt");
    let mut bytes = std::fs::read(src).unwrap();
    let at = bytes.len() - 2 * 1201 * 3 + 2 * 500; // row 1198, column 500
    bytes[at..at + 2].copy_from_slice(&30_000i16.to_be_bytes());
    let tile = dir.path().join("N52W007.hgt");
    std::fs::write(&tile, bytes).unwrap();
    for out_name in ["x.png", "x.tif"] {
        let out = Command::cargo_bin("downhill")
            .unwrap()
            .arg("hillshade")
            .arg(&tile)
            .arg("-o")
            .arg(dir.path().join(out_name))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("N52W007.hgt") && err.contains("row 1198"),
            "{err}"
        );
        assert!(!err.contains("cannot write"), "{err}");
        assert!(!dir.path().join(out_name).exists());
    }
}
