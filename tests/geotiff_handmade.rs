//! Small GeoTIFFs written tag by tag with the `tiff` encoder, so the
//! georeferencing the reader must find is known by construction.

use std::path::{Path, PathBuf};

use downhill::dem::{self, LoadOptions};
use tiff::encoder::{colortype, TiffEncoder};
use tiff::tags::Tag;

/// GeoKey directory: version 1.1.0, then (key, location 0, count 1, value) entries.
fn geokeys(entries: &[(u16, u16)]) -> Vec<u16> {
    let mut v = vec![1, 1, 0, entries.len() as u16];
    for &(k, value) in entries {
        v.extend_from_slice(&[k, 0, 1, value]);
    }
    v
}

/// Writes a 4 x 3 (width x height) int16 GeoTIFF with the given tags.
fn write(
    dir: &Path,
    name: &str,
    tags: &[(u16, Vec<f64>)],
    keys: &[(u16, u16)],
    nodata: Option<&str>,
) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create");
    let mut tiff = TiffEncoder::new(file).expect("encoder");
    let mut image = tiff.new_image::<colortype::GrayI16>(4, 3).expect("image");
    for (tag, values) in tags {
        image
            .encoder()
            .write_tag(Tag::Unknown(*tag), &values[..])
            .expect("tag");
    }
    image
        .encoder()
        .write_tag(Tag::GeoKeyDirectoryTag, &geokeys(keys)[..])
        .expect("geokeys");
    if let Some(text) = nodata {
        image
            .encoder()
            .write_tag(Tag::GdalNodata, text)
            .expect("nodata");
    }
    let data: Vec<i16> = (0..12).map(|i| 100 + i as i16).collect();
    image.write_data(&data).expect("data");
    path
}

const MODEL_TYPE: u16 = 1024;
const RASTER_TYPE: u16 = 1025;
const PROJECTED: u16 = 3072;
const GEOGRAPHIC: u16 = 2048;

#[test]
fn a_model_transformation_places_the_grid_like_the_matrix_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    // x = 30 i + 500000, y = -30 j + 5800000 (UTM 29 N), area pixels.
    #[rustfmt::skip]
    let matrix = vec![
        30.0, 0.0, 0.0, 500_000.0,
        0.0, -30.0, 0.0, 5_800_000.0,
        0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 1.0,
    ];
    let path = write(
        dir.path(),
        "matrix.tif",
        &[(34264, matrix)],
        &[(MODEL_TYPE, 1), (PROJECTED, 32629)],
        Some("105"),
    );
    let dem = dem::open(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dem.crs.label(), "EPSG:32629");
    assert_eq!(
        dem.transform.to_gdal(),
        [500_000.0, 30.0, 0.0, 5_800_000.0, 0.0, -30.0]
    );
    assert_eq!((dem.rows(), dem.cols()), (3, 4));
    assert_eq!(dem.height(0, 0), Some(100.0));
    assert_eq!(dem.height(2, 3), Some(111.0));
    // GDAL_NODATA "105" is sample 5 = row 1, column 1.
    assert_eq!(dem.height(1, 1), None);
    assert_eq!(dem.stats().voids, 1);
}

#[test]
fn a_tie_point_on_a_pixel_is_point_grid_moves_the_origin_half_a_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scale = vec![0.5, 0.25, 0.0];
    // Tie pixel (1, 2) to lon 10, lat 50.
    let tie = vec![1.0, 2.0, 0.0, 10.0, 50.0, 0.0];
    let path = write(
        dir.path(),
        "point.tif",
        &[(33550, scale), (33922, tie)],
        &[(MODEL_TYPE, 2), (RASTER_TYPE, 2), (GEOGRAPHIC, 4326)],
        None,
    );
    let dem = dem::open(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(dem.crs.is_geographic());
    // Sample centre (row 2, col 1) is the tie point; its outer corner half a cell up-left.
    let p = dem.sample_position(2.0, 1.0);
    assert_eq!((p.x, p.y), (10.0, 50.0));
    assert_eq!(dem.transform.origin_x, 10.0 - 0.5 - 0.25);
    assert_eq!(dem.transform.origin_y, 50.0 + 2.0 * 0.25 + 0.125);
}

#[test]
fn rotated_grids_and_unknown_crs_are_refused_with_the_gdal_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    #[rustfmt::skip]
    let rotated = vec![
        30.0, 5.0, 0.0, 500_000.0,
        5.0, -30.0, 0.0, 5_800_000.0,
        0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 1.0,
    ];
    let path = write(
        dir.path(),
        "rotated.tif",
        &[(34264, rotated)],
        &[(MODEL_TYPE, 1), (PROJECTED, 32629)],
        None,
    );
    let result = dem::open(&path, &LoadOptions::default());
    if !cfg!(feature = "gdal") {
        let msg = result.expect_err("rotated").to_string();
        assert!(
            msg.contains("rotated.tif")
                && msg.contains("rotated")
                && msg.contains("--features gdal"),
            "{msg}"
        );
    } else {
        assert!(result.is_err(), "GDAL refuses rotated grids too");
    }

    let tie = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let scale = vec![1.0, 1.0, 0.0];
    let path = write(
        dir.path(),
        "feet.tif",
        &[(33550, scale), (33922, tie)],
        &[(MODEL_TYPE, 1), (PROJECTED, 2227)],
        None,
    );
    let msg = dem::open(&path, &LoadOptions::default())
        .expect_err("US feet")
        .to_string();
    assert!(msg.contains("feet.tif") && msg.contains("2227"), "{msg}");
}
