//! The GDAL backend (`--features gdal`): rasters the native readers do not
//! know read like the SRTM tile they were made from by GDAL's own tools.
//! Without the feature, such inputs get an error that points to it.

mod dem_support;

use std::path::Path;

use dem_support::{data, have_tool, raw_hgt, run};
use downhill::dem::{self, LoadOptions};

fn tile_heights() -> Vec<f32> {
    raw_hgt(&data("N52W007.hgt"))
        .into_iter()
        .map(f32::from)
        .collect()
}

fn zip_one(zip_path: &Path, file: &Path) {
    use std::io::Write;
    let out = std::fs::File::create(zip_path).expect("create zip");
    let mut zip = zip::ZipWriter::new(out);
    let name = file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    zip.start_file(name, zip::write::SimpleFileOptions::default())
        .expect("start");
    zip.write_all(&std::fs::read(file).expect("read"))
        .expect("write");
    zip.finish().expect("finish");
}

#[test]
fn vsizip_and_foreign_formats_follow_the_build() {
    if !have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let src = data("N52W007.hgt");
    let asc = dir.path().join("tile.asc");
    let img = dir.path().join("tile.img");
    let tif = dir.path().join("tile.tif");
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "AAIGrid",
            src.to_str().expect("utf-8"),
            asc.to_str().expect("utf-8"),
        ],
    );
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "HFA",
            src.to_str().expect("utf-8"),
            img.to_str().expect("utf-8"),
        ],
    );
    run(
        "gdal_translate",
        &[
            "-q",
            src.to_str().expect("utf-8"),
            tif.to_str().expect("utf-8"),
        ],
    );
    let zip = dir.path().join("tile.zip");
    zip_one(&zip, &tif);
    let vsizip = std::path::PathBuf::from(format!("/vsizip/{}/tile.tif", zip.display()));
    let expected = tile_heights();
    let reference = dem::open(&src, &LoadOptions::default()).expect("hgt");
    for path in [&asc, &img, &vsizip] {
        let result = dem::open(path, &LoadOptions::default());
        if cfg!(feature = "gdal") {
            let dem = result.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                dem.heights.iter().copied().eq(expected.iter().copied()),
                "{}",
                path.display()
            );
            for (a, b) in dem
                .transform
                .to_gdal()
                .iter()
                .zip(reference.transform.to_gdal())
            {
                assert!((a - b).abs() < 1e-9, "{}", path.display());
            }
            assert!(dem.crs.is_geographic());
            assert!(
                dem.inputs[0].format.starts_with("GDAL "),
                "{}",
                dem.inputs[0].format
            );
        } else {
            let msg = result.expect_err("needs GDAL").to_string();
            assert!(msg.contains("--features gdal"), "{msg}");
        }
    }
}

#[cfg(feature = "gdal")]
#[test]
fn a_vrt_mosaic_and_a_projected_img_read_through_gdal() {
    if !have_tool("gdalbuildvrt") || !have_tool("gdalwarp") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let vrt = dir.path().join("m.vrt");
    run(
        "gdalbuildvrt",
        &[
            "-q",
            vrt.to_str().expect("utf-8"),
            data("N43E006.hgt").to_str().expect("utf-8"),
            data("N43E007.hgt").to_str().expect("utf-8"),
        ],
    );
    let through_gdal = dem::open(&vrt, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let native = dem::open_all(
        &[data("N43E006.hgt"), data("N43E007.hgt")],
        &LoadOptions::default(),
    )
    .expect("native mosaic");
    assert_eq!(through_gdal.heights.dim(), native.heights.dim());
    for (a, b) in through_gdal.heights.iter().zip(native.heights.iter()) {
        assert!(a == b || (a.is_nan() && b.is_nan()), "{a} vs {b}");
    }
    // A UTM grid in Erdas IMG reads like the same grid in GeoTIFF.
    let tif = dir.path().join("utm.tif");
    let img = dir.path().join("utm.img");
    run(
        "gdalwarp",
        &[
            "-q",
            "-t_srs",
            "EPSG:32629",
            data("N52W007.hgt").to_str().expect("utf-8"),
            tif.to_str().expect("utf-8"),
        ],
    );
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "HFA",
            tif.to_str().expect("utf-8"),
            img.to_str().expect("utf-8"),
        ],
    );
    let a = dem::open(&tif, &LoadOptions::default()).expect("tif");
    let b = dem::open(&img, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.crs.label(), "EPSG:32629");
    assert_eq!(a.transform, b.transform);
    for (x, y) in a.heights.iter().zip(b.heights.iter()) {
        assert!(x == y || (x.is_nan() && y.is_nan()));
    }
}
