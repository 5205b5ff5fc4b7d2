//! The georeferenced raster writer (`export::georaster`) read back by
//! independent decoders: the `tiff` crate always, GDAL's own tools where
//! gdal-bin is installed (skipped with a note elsewhere). Covers basins.tif
//! and `downhill hillshade -o NAME.tif`.

mod common;

use std::path::Path;
use std::process::Command;

use downhill::basins::geotiff;
use downhill::dem::{Crs, GeoTransform};
use downhill::export::georaster::{self, Pixels, Raster};
use ndarray::Array2;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

fn decoder(bytes: &[u8]) -> Decoder<std::io::Cursor<&[u8]>> {
    Decoder::new(std::io::Cursor::new(bytes)).expect("the tiff crate opens the file")
}

/// The GeoKeyDirectory the GeoTIFF 1.0 specification (section 2.7, 6.3)
/// gives for a model type, PixelIsArea, and a geographic (2048) or
/// projected (3072) CRS code, written out by hand.
fn keys(model: u16, crs_key: u16, code: u16) -> Vec<u16> {
    vec![
        1, 1, 0, 3, 1024, 0, 1, model, 1025, 0, 1, 1, crs_key, 0, 1, code,
    ]
}

fn labels_grid(rows: usize, cols: usize) -> Array2<u32> {
    // Values across the whole u32 range, including 0 (nodata) and the maximum.
    Array2::from_shape_fn((rows, cols), |(r, c)| match (r * cols + c) % 5 {
        0 => 0,
        1 => u32::MAX,
        _ => ((r as u32).wrapping_mul(2_654_435_761)) ^ (c as u32 * 40_503),
    })
}

#[test]
fn basins_tif_reads_back_in_the_tiff_crate_with_values_and_georeferencing() {
    // Several tiles each way, with partial edge tiles.
    let labels = labels_grid(517, 300);
    let t = GeoTransform {
        origin_x: -7.000_416_666_666_667,
        origin_y: 53.000_416_666_666_67,
        cell_x: 1.0 / 1200.0,
        cell_y: 1.0 / 1200.0,
    };
    for (crs, want_keys) in [
        (Crs::Geographic, keys(2, 2048, 4326)),
        (
            Crs::Projected {
                epsg: 32629,
                proj: String::new(),
            },
            keys(1, 3072, 32629),
        ),
    ] {
        let bytes = geotiff::labels_geotiff(&labels, &t, &crs).unwrap();
        let mut d = decoder(&bytes);
        assert_eq!(d.dimensions().unwrap(), (300, 517));
        assert_eq!(
            d.get_tag_f64_vec(Tag::Unknown(33550)).unwrap(),
            vec![t.cell_x, t.cell_y, 0.0]
        );
        assert_eq!(
            d.get_tag_f64_vec(Tag::Unknown(33922)).unwrap(),
            vec![0.0, 0.0, 0.0, t.origin_x, t.origin_y, 0.0]
        );
        assert_eq!(d.get_tag_u16_vec(Tag::Unknown(34735)).unwrap(), want_keys);
        assert_eq!(d.get_tag_ascii_string(Tag::Unknown(42113)).unwrap(), "0");
        assert_eq!(d.get_tag_u32(Tag::TileWidth).unwrap(), 256);
        assert_eq!(d.get_tag_u32(Tag::Compression).unwrap(), 8);
        match d.read_image().unwrap() {
            DecodingResult::U32(v) => assert_eq!(v, labels.iter().copied().collect::<Vec<_>>()),
            other => panic!(
                "expected u32 pixels, got {:?}",
                std::mem::discriminant(&other)
            ),
        }
    }
}

#[test]
fn every_band_type_round_trips_through_the_tiff_crate() {
    let (w, h) = (259u32, 261u32);
    let n = (w * h) as usize;
    let t = GeoTransform {
        origin_x: 500_000.0,
        origin_y: 5_800_000.0,
        cell_x: 30.0,
        cell_y: 30.0,
    };
    let bytes_of = |p: Pixels| {
        georaster::geotiff(&Raster::new(w, h, p).unwrap(), &t, &Crs::Planar, None).unwrap()
    };
    let grey: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
    let rgb: Vec<u8> = (0..3 * n).map(|i| (i * 13 % 256) as u8).collect();
    let rgba: Vec<u8> = (0..4 * n).map(|i| (i * 31 % 256) as u8).collect();
    let f: Vec<f32> = (0..n)
        .map(|i| {
            if i % 97 == 0 {
                f32::NAN
            } else {
                i as f32 * 0.37 - 900.0
            }
        })
        .collect();
    match decoder(&bytes_of(Pixels::Gray8(&grey)))
        .read_image()
        .unwrap()
    {
        DecodingResult::U8(v) => assert_eq!(v, grey),
        _ => panic!("grey did not decode as u8"),
    }
    let rgb_tif = bytes_of(Pixels::Rgb8(&rgb));
    let mut d = decoder(&rgb_tif);
    assert_eq!(d.colortype().unwrap(), tiff::ColorType::RGB(8));
    match d.read_image().unwrap() {
        DecodingResult::U8(v) => assert_eq!(v, rgb),
        _ => panic!("rgb did not decode as u8"),
    }
    let rgba_tif = bytes_of(Pixels::Rgba8(&rgba));
    let mut d = decoder(&rgba_tif);
    assert_eq!(d.colortype().unwrap(), tiff::ColorType::RGBA(8));
    match d.read_image().unwrap() {
        DecodingResult::U8(v) => assert_eq!(v, rgba),
        _ => panic!("rgba did not decode as u8"),
    }
    let f32_tif = bytes_of(Pixels::F32(&f));
    let mut d = decoder(&f32_tif);
    // A planar surface: user-defined projected CRS.
    assert_eq!(
        d.get_tag_u16_vec(Tag::Unknown(34735)).unwrap(),
        keys(1, 3072, 32767)
    );
    match d.read_image().unwrap() {
        DecodingResult::F32(v) => {
            assert!(v.iter().zip(&f).all(|(a, b)| a.to_bits() == b.to_bits()))
        }
        _ => panic!("f32 did not decode as f32"),
    }
}

fn tool(name: &str) -> bool {
    let ok = Command::new(name).arg("--version").output().is_ok();
    if !ok {
        common::skipped(&format!(
            "{name} is not installed (gdal-bin); the GDAL check did not run"
        ));
    }
    ok
}

fn gdalinfo(path: &Path) -> serde_json::Value {
    let out = Command::new("gdalinfo")
        .arg("-json")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn geo_transform(info: &serde_json::Value) -> Vec<f64> {
    info["geoTransform"]
        .as_array()
        .expect("a geotransform")
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Band 1 of `path` as GDAL decodes it, as raw native-endian bytes of `ot`.
fn gdal_raw(path: &Path, ot: &str) -> Vec<u8> {
    let bin = path.with_extension("bin");
    let out = Command::new("gdal_translate")
        .args(["-q", "-of", "ENVI", "-ot", ot])
        .arg(path)
        .arg(&bin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(bin).unwrap()
}

#[test]
fn basins_tif_reads_back_in_gdal_value_for_value() {
    if !tool("gdalinfo") || !tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let labels = labels_grid(300, 517);
    let t = GeoTransform {
        origin_x: 6.999_583_333_333_333,
        origin_y: 44.000_416_666_666_67,
        cell_x: 1.0 / 1200.0,
        cell_y: 1.0 / 1200.0,
    };
    let path = dir.path().join("basins.tif");
    geotiff::write_labels(&path, &labels, &t, &Crs::Geographic).unwrap();
    let info = gdalinfo(&path);
    assert_eq!(info["size"], serde_json::json!([517, 300]));
    assert_eq!(info["bands"][0]["type"], "UInt32");
    assert_eq!(info["bands"][0]["noDataValue"], 0.0);
    assert_eq!(
        info["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"],
        "DEFLATE"
    );
    // gdalinfo -json prints 16 significant digits.
    let (got, want) = (geo_transform(&info), t.to_gdal());
    for k in 0..6 {
        assert!((got[k] - want[k]).abs() < 1e-14, "{got:?} vs {want:?}");
    }
    let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.contains("4326"), "{wkt}");
    let raw = gdal_raw(&path, "UInt32");
    let values: Vec<u32> = raw
        .chunks_exact(4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(values, labels.iter().copied().collect::<Vec<_>>());
}

fn png_pixels(path: &Path) -> (u32, u32, Vec<u8>) {
    let img = image::open(path).unwrap().to_luma8();
    (img.width(), img.height(), img.into_raw())
}

#[test]
fn hillshade_tif_has_the_pngs_pixels_and_the_inputs_georeferencing() {
    let dir = tempfile::tempdir().unwrap();
    let hgt = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/N43E006.hgt");
    let tif = dir.path().join("relief.tif");
    let png = dir.path().join("relief.png");
    for (out, extra) in [(&tif, None), (&png, Some("--per-sample"))] {
        let mut cmd = common::downhill();
        cmd.arg("-q").arg("hillshade").arg(&hgt).arg("-o").arg(out);
        if let Some(e) = extra {
            cmd.arg(e);
        }
        common::assert_success(&cmd.output().unwrap());
    }
    let (w, h, want) = png_pixels(&png);
    let bytes = std::fs::read(&tif).unwrap();
    let mut d = decoder(&bytes);
    assert_eq!(d.dimensions().unwrap(), (w, h));
    // SRTM3 tile N43E006: samples at whole 1/1200 degrees, so outer edges half a cell beyond.
    let half = 0.5 / 1200.0;
    let scale = d.get_tag_f64_vec(Tag::Unknown(33550)).unwrap();
    let tie = d.get_tag_f64_vec(Tag::Unknown(33922)).unwrap();
    assert!((scale[0] - 1.0 / 1200.0).abs() < 1e-15 && (scale[1] - 1.0 / 1200.0).abs() < 1e-15);
    assert!((tie[3] - (6.0 - half)).abs() < 1e-12 && (tie[4] - (44.0 + half)).abs() < 1e-12);
    assert_eq!(
        d.get_tag_u16_vec(Tag::Unknown(34735)).unwrap(),
        keys(2, 2048, 4326)
    );
    match d.read_image().unwrap() {
        DecodingResult::U8(v) => {
            assert!(v == want, "the GeoTIFF's grey levels differ from the PNG's")
        }
        _ => panic!("expected 8-bit grey"),
    }

    if !tool("gdalinfo") || !tool("gdal_translate") || !tool("gdallocationinfo") {
        return;
    }
    let info = gdalinfo(&tif);
    let input = gdalinfo(&hgt);
    let (got, expect) = (geo_transform(&info), geo_transform(&input));
    for k in 0..6 {
        assert!(
            (got[k] - expect[k]).abs() < 1e-12,
            "{got:?} vs the input's {expect:?}"
        );
    }
    assert_eq!(info["size"], input["size"]);
    assert_eq!(info["bands"][0]["noDataValue"], 0.0);
    assert!(info["coordinateSystem"]["wkt"]
        .as_str()
        .unwrap()
        .contains("4326"));
    assert_eq!(gdal_raw(&tif, "Byte"), want);
    for (col, row) in [(0u32, 0u32), (600, 600), (w - 1, h - 1), (17, 1100)] {
        let out = Command::new("gdallocationinfo")
            .args(["-valonly"])
            .arg(&tif)
            .args([col.to_string(), row.to_string()])
            .output()
            .unwrap();
        let v: u8 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert_eq!(v, want[(row * w + col) as usize], "pixel ({col}, {row})");
    }
}
