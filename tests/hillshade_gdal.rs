//! `downhill`'s hillshade against GDAL's own `gdaldem hillshade -compute_edges`
//! on SRTM tiles warped to UTM (square 90 m pixels, so both tools agree on
//! metres). Skipped, with a note, where gdal-bin is not installed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use downhill::dem::{Crs, Dem, GeoTransform};
use downhill::render::{hillshade, ShadeMode, ShadeOptions};
use ndarray::Array2;

fn gdal_available() -> bool {
    let ok = ["gdaldem", "gdalwarp", "gdal_translate", "gdalinfo"]
        .iter()
        .all(|t| Command::new(t).arg("--version").output().is_ok());
    if !ok {
        common::skipped("gdal-bin is not installed; the comparison with gdaldem did not run");
    }
    ok
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .expect("run a GDAL tool");
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn gdalinfo(path: &Path) -> serde_json::Value {
    let out = Command::new("gdalinfo")
        .args(["-json"])
        .arg(path)
        .output()
        .expect("run gdalinfo");
    serde_json::from_slice(&out.stdout).expect("gdalinfo -json prints JSON")
}

/// Raw band 1 of `path` as GDAL reads it, converted to `ot` (`Float32` or `Byte`).
fn raw_band(path: &Path, ot: &str) -> Vec<u8> {
    let bin = path.with_extension(format!("{ot}.bin"));
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "ENVI",
            "-ot",
            ot,
            path.to_str().unwrap(),
            bin.to_str().unwrap(),
        ],
    );
    std::fs::read(&bin).expect("read the ENVI raw file")
}

/// A tile warped to `epsg` with 90 m pixels, read back as a `Dem` (nodata as NaN).
fn warped(dir: &Path, tile: &str, epsg: u32) -> (PathBuf, Dem) {
    let tif = dir.join(format!("{tile}-{epsg}.tif"));
    let src = format!("{}/data/{tile}.hgt", env!("CARGO_MANIFEST_DIR"));
    run(
        "gdalwarp",
        &[
            "-q",
            "-overwrite",
            "-t_srs",
            &format!("EPSG:{epsg}"),
            "-tr",
            "90",
            "90",
            "-r",
            "bilinear",
            &src,
            tif.to_str().unwrap(),
        ],
    );
    let info = gdalinfo(&tif);
    let size = info["size"].as_array().unwrap();
    let (cols, rows) = (
        size[0].as_u64().unwrap() as usize,
        size[1].as_u64().unwrap() as usize,
    );
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let nodata = info["bands"][0]["noDataValue"].as_f64().unwrap() as f32;
    let bytes = raw_band(&tif, "Float32");
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .map(|v| if v == nodata { f32::NAN } else { v })
        .collect();
    let dem = Dem {
        heights: Array2::from_shape_vec((rows, cols), values).unwrap(),
        transform: GeoTransform {
            origin_x: gt[0],
            origin_y: gt[3],
            cell_x: gt[1],
            cell_y: -gt[5],
        },
        crs: Crs::Projected {
            epsg,
            proj: String::new(),
        },
        inputs: vec![],
    };
    (tif, dem)
}

/// Compares with gdaldem run with `extra` flags; asserts ≥ 99.9 % of pixels
/// within one grey level and returns that fraction.
fn compare(dir: &Path, tif: &Path, dem: &Dem, options: ShadeOptions, extra: &[&str]) -> f64 {
    let out = dir.join(format!(
        "gdaldem{}.tif",
        extra.join("").replace(['-', ' '], "")
    ));
    let mut args = vec!["hillshade", "-q", "-compute_edges"];
    args.extend_from_slice(extra);
    args.extend([tif.to_str().unwrap(), out.to_str().unwrap()]);
    run("gdaldem", &args);
    let want = raw_band(&out, "Byte");
    let got = hillshade(dem, &options).unwrap().into_raw();
    assert_eq!(want.len(), got.len());
    let close = want
        .iter()
        .zip(&got)
        .filter(|(a, b)| (**a as i32 - **b as i32).abs() <= 1)
        .count();
    let lit = want.iter().filter(|&&v| v > 0).count();
    // The comparison means something only if most of the picture is data.
    assert!(lit > want.len() / 2, "gdaldem output is mostly nodata");
    let frac = close as f64 / want.len() as f64;
    eprintln!(
        "gdaldem {extra:?}: {:.5} of pixels within one grey level",
        frac
    );
    assert!(
        frac >= 0.999,
        "only {frac} of pixels match gdaldem {extra:?}"
    );
    frac
}

#[test]
fn hillshade_matches_gdaldem_on_srtm_warped_to_utm() {
    if !gdal_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (tile, epsg) in [("N52W007", 32629), ("N43E007", 32632)] {
        let (tif, dem) = warped(dir.path(), tile, epsg);
        let d = ShadeOptions::default();
        compare(dir.path(), &tif, &dem, d, &[]);
        let custom = ShadeOptions {
            azimuth_deg: 120.0,
            altitude_deg: 30.0,
            z_factor: 2.5,
            ..d
        };
        compare(
            dir.path(),
            &tif,
            &dem,
            custom,
            &["-az", "120", "-alt", "30", "-z", "2.5"],
        );
        let multi = ShadeOptions {
            mode: ShadeMode::Multidirectional,
            ..d
        };
        compare(dir.path(), &tif, &dem, multi, &["-multidirectional"]);
        let combined = ShadeOptions {
            mode: ShadeMode::Combined,
            ..d
        };
        compare(dir.path(), &tif, &dem, combined, &["-combined"]);
    }
}
