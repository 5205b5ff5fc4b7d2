//! GeoTIFF variants written by `gdal_translate` from a bundled SRTM tile read
//! exactly as the tile itself does (the heights straight from the .hgt
//! bytes), with the placement `gdalinfo` reports.

mod dem_support;

use std::path::Path;

use dem_support::{data, gdal_geotransform, have_tool, raw_hgt, run, translate};
use downhill::dem::{self, Dem, LoadOptions};

fn open(path: &Path) -> Dem {
    dem::open(path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_placed_as_gdal_says(dem: &Dem, path: &Path) {
    let gt = gdal_geotransform(path);
    let ours = dem.transform.to_gdal();
    for (a, b) in ours.iter().zip(gt) {
        assert!(
            (a - b).abs() < 1e-9,
            "{}: {ours:?} vs gdalinfo {gt:?}",
            path.display()
        );
    }
}

/// Heights of the tile, from its raw bytes; `None` for the SRTM void value.
fn reference(tile: &str) -> Vec<Option<f32>> {
    raw_hgt(&data(tile))
        .into_iter()
        .map(|v| (v != -32768).then_some(v as f32))
        .collect()
}

fn assert_same_heights(dem: &Dem, expected: &[Option<f32>], what: &str) {
    assert_eq!(dem.heights.len(), expected.len(), "{what}: size");
    for (i, (&h, e)) in dem.heights.iter().zip(expected).enumerate() {
        match e {
            Some(v) => assert_eq!(h, *v, "{what}: sample {i}"),
            None => assert!(h.is_nan(), "{what}: sample {i} should be a void, is {h}"),
        }
    }
}

#[test]
fn compressed_tiled_bigtiff_and_typed_variants_read_like_the_tile() {
    if !have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // N43E007 has four voids, which must survive as nodata in every type.
    for tile in ["N52W007.hgt", "N43E007.hgt"] {
        let src = data(tile);
        let expected = reference(tile);
        let variants: &[(&str, &[&str])] = &[
            ("plain.tif", &[]),
            ("deflate.tif", &["-co", "COMPRESS=DEFLATE"]),
            (
                "lzw_pred2.tif",
                &["-co", "COMPRESS=LZW", "-co", "PREDICTOR=2"],
            ),
            (
                "deflate_pred2_tiled.tif",
                &[
                    "-co",
                    "COMPRESS=DEFLATE",
                    "-co",
                    "PREDICTOR=2",
                    "-co",
                    "TILED=YES",
                ],
            ),
            (
                "tiled_odd.tif",
                &[
                    "-co",
                    "TILED=YES",
                    "-co",
                    "BLOCKXSIZE=160",
                    "-co",
                    "BLOCKYSIZE=96",
                ],
            ),
            (
                "bigtiff.tif",
                &["-co", "BIGTIFF=YES", "-co", "COMPRESS=LZW"],
            ),
            ("int32.tif", &["-ot", "Int32", "-co", "COMPRESS=DEFLATE"]),
            (
                "float32_pred3.tif",
                &[
                    "-ot",
                    "Float32",
                    "-co",
                    "COMPRESS=LZW",
                    "-co",
                    "PREDICTOR=3",
                ],
            ),
            (
                "float32_pred3_tiled_big.tif",
                &[
                    "-ot",
                    "Float32",
                    "-co",
                    "COMPRESS=DEFLATE",
                    "-co",
                    "PREDICTOR=3",
                    "-co",
                    "TILED=YES",
                    "-co",
                    "BIGTIFF=YES",
                ],
            ),
            (
                "float64.tif",
                &[
                    "-ot",
                    "Float64",
                    "-co",
                    "COMPRESS=DEFLATE",
                    "-co",
                    "PREDICTOR=3",
                ],
            ),
            ("strips_of_7.tif", &["-co", "BLOCKYSIZE=7"]),
        ];
        for (name, options) in variants {
            let path = translate(dir.path(), &src, name, options);
            let dem = open(&path);
            let what = format!("{tile} as {name}");
            assert_same_heights(&dem, &expected, &what);
            assert_placed_as_gdal_says(&dem, &path);
            assert!(dem.crs.is_geographic(), "{what}");
            assert!(
                dem.inputs[0].format.starts_with("GeoTIFF"),
                "{what}: {}",
                dem.inputs[0].format
            );
        }
    }
}

#[test]
fn unsigned_16_bit_reads_the_values_gdal_clamped() {
    if !have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // GDAL clamps negative heights to 0 when converting to UInt16.
    let path = translate(
        dir.path(),
        &data("N52W007.hgt"),
        "u16.tif",
        &["-ot", "UInt16", "-a_nodata", "none"],
    );
    let expected: Vec<Option<f32>> = raw_hgt(&data("N52W007.hgt"))
        .into_iter()
        .map(|v| Some(v.max(0) as f32))
        .collect();
    assert_same_heights(&open(&path), &expected, "UInt16");
}

#[test]
fn pixel_is_point_files_are_shifted_half_a_cell_as_gdal_does() {
    if !have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = translate(
        dir.path(),
        &data("N52W007.hgt"),
        "point.tif",
        &["-mo", "AREA_OR_POINT=Point"],
    );
    let dem = open(&path);
    assert_placed_as_gdal_says(&dem, &path);
    // and the sample centres are where the SRTM tile puts them
    let p = dem.sample_position(0.0, 0.0);
    assert!(
        (p.x + 7.0).abs() < 1e-9 && (p.y - 53.0).abs() < 1e-9,
        "{p:?}"
    );
}

#[test]
fn projected_geotiff_gets_its_epsg_code_and_gdal_placement() {
    if !have_tool("gdalwarp") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("utm.tif");
    run(
        "gdalwarp",
        &[
            "-q",
            "-t_srs",
            "EPSG:32629",
            "-tr",
            "90",
            "90",
            "-co",
            "COMPRESS=DEFLATE",
            "-co",
            "TILED=YES",
            data("N52W007.hgt").to_str().expect("utf-8"),
            out.to_str().expect("utf-8"),
        ],
    );
    let dem = open(&out);
    assert_eq!(dem.crs.label(), "EPSG:32629");
    assert_placed_as_gdal_says(&dem, &out);
    assert_eq!(dem.cell_size_m(10.0), (90.0, 90.0));
}

#[test]
fn a_multi_band_file_is_refused_natively_or_read_by_gdal() {
    if !have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = translate(
        dir.path(),
        &data("N52W007.hgt"),
        "two.tif",
        &["-b", "1", "-b", "1"],
    );
    let result = dem::open(&path, &LoadOptions::default());
    if cfg!(feature = "gdal") {
        let dem = result.unwrap_or_else(|e| panic!("{e}"));
        assert_same_heights(&dem, &reference("N52W007.hgt"), "band 1 through GDAL");
    } else {
        let msg = result.expect_err("two bands are refused").to_string();
        assert!(msg.contains("two.tif") && msg.contains("2 bands"), "{msg}");
        assert!(msg.contains("--features gdal"), "{msg}");
    }
}

#[test]
fn a_tiff_without_georeferencing_and_a_damaged_one_are_named_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A bare TIFF header that claims a first IFD far beyond the end.
    let broken = dir.path().join("broken.tif");
    std::fs::write(&broken, b"II*\0\xff\xff\xff\x00").expect("write");
    let msg = dem::open(&broken, &LoadOptions::default())
        .expect_err("damaged")
        .to_string();
    assert!(msg.contains("broken.tif"), "{msg}");

    if !have_tool("gdal_translate") {
        return;
    }
    let plain = translate(
        dir.path(),
        &data("N52W007.hgt"),
        "nogeo.tif",
        &["-co", "PROFILE=BASELINE"],
    );
    // BASELINE writes georeferencing to a side .aux.xml / .tfw, not to GeoKeys.
    let result = dem::open(&plain, &LoadOptions::default());
    if !cfg!(feature = "gdal") {
        let msg = result.expect_err("no GeoKeys").to_string();
        assert!(
            msg.contains("nogeo.tif") && msg.contains("coordinate system"),
            "{msg}"
        );
    }
}
