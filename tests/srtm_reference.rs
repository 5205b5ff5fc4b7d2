//! The SRTM loader checked against the raw bytes, the tile name and published heights.

use std::path::Path;

use downhill::dem::{self, LoadOptions};
use downhill::geo::Xy;
use downhill::terrain::{GradientScheme, Surface, Terrain};

const TILE: &str = "data/N52W007.hgt";

/// Reads sample (r, c) straight from the file, independently of the loader.
fn raw_sample(path: &str, n: usize, r: usize, c: usize) -> i16 {
    let bytes = std::fs::read(path).unwrap();
    let i = (r * n + c) * 2;
    i16::from_be_bytes([bytes[i], bytes[i + 1]])
}

fn load(path: &str) -> dem::Dem {
    dem::open(Path::new(path), &LoadOptions::default()).unwrap()
}

#[test]
fn size_corners_and_bounds_follow_the_tile_name() {
    let d = load(TILE);
    assert_eq!((d.rows(), d.cols()), (1201, 1201));
    // Pixel-is-point: sample (0, 0) sits on 53 N 7 W, (1200, 1200) on 52 N 6 W.
    let nw = d.sample_position(0.0, 0.0);
    let se = d.sample_position(1200.0, 1200.0);
    assert!((nw.x + 7.0).abs() < 1e-12 && (nw.y - 53.0).abs() < 1e-12);
    assert!((se.x + 6.0).abs() < 1e-12 && (se.y - 52.0).abs() < 1e-12);
    // Cell edges half a sample (1.5 arc-seconds) outside, as gdalinfo reports.
    let half = 0.5 / 1200.0;
    let b = d.bounds();
    let expected = [-7.0 - half, 52.0 - half, -6.0 + half, 53.0 + half];
    for (got, want) in b.to_array().iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{b:?}");
    }
}

#[test]
fn heights_equal_the_raw_big_endian_samples() {
    let d = load(TILE);
    for &(r, c) in &[
        (0, 0),
        (0, 1200),
        (1200, 0),
        (1200, 1200),
        (600, 600),
        (459, 265),
        (39, 642),
    ] {
        let raw = raw_sample(TILE, 1201, r, c) as f32;
        assert_eq!(
            d.height(r as isize, c as isize),
            Some(raw),
            "sample ({r}, {c})"
        );
    }
}

#[test]
fn known_heights_lugnaquilla_is_the_tile_maximum() {
    let d = load(TILE);
    let s = d.stats();
    assert_eq!(s.max, 922.0);
    assert_eq!(s.min, -8.0);
    assert_eq!(s.voids, 0);
    // 922 m at 52.9675 N 6.465 W (Lugnaquilla, published 925 m).
    let t = Terrain::new(d, GradientScheme::Central).unwrap();
    let z = t.elevation(Xy::new(-6.465, 52.9675)).unwrap();
    assert!((z - 922.0).abs() < 1e-6, "{z}");
    assert!((z - 925.0).abs() < 10.0);
    // Mount Leinster, published 795 m, within 10 m of the DEM near its summit.
    let z = t.elevation(Xy::new(-6.779_166_7, 52.6175)).unwrap();
    assert!((z - 795.0).abs() < 10.0, "{z}");
}

#[test]
fn the_french_pair_shares_its_seam_column() {
    let w = load("data/N43E006.hgt");
    let e = load("data/N43E007.hgt");
    assert_eq!(e.stats().voids, 4);
    // The east column of N43E006 and the west column of N43E007 both lie on 7 E.
    assert!((w.sample_position(0.0, 1200.0).x - 7.0).abs() < 1e-12);
    assert!((e.sample_position(0.0, 0.0).x - 7.0).abs() < 1e-12);
    // They are the same column: most samples agree, but SRTM3's per-tile
    // resampling leaves real disagreements in rugged terrain (up to 174 m here).
    let mut diffs: Vec<f32> = (0..1201)
        .filter_map(|r| Some((w.height(r, 1200)? - e.height(r, 0)?).abs()))
        .collect();
    diffs.sort_by(f32::total_cmp);
    assert_eq!(diffs[diffs.len() / 2], 0.0);
    let close = diffs.iter().filter(|&&d| d <= 5.0).count();
    assert!(close * 100 > diffs.len() * 80, "{close} of {}", diffs.len());
}

#[test]
fn zipped_tiles_read_like_the_raw_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("N52W007.hgt.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    z.start_file(
        "N52W007.hgt",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    z.write_all(&std::fs::read(TILE).unwrap()).unwrap();
    z.finish().unwrap();
    let a = load(TILE);
    let b = dem::open(&zpath, &LoadOptions::default()).unwrap();
    assert_eq!(a.heights, b.heights);
    assert_eq!(a.transform, b.transform);
}

#[test]
fn origin_places_a_tile_with_an_uninformative_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("leinster.hgt");
    std::fs::copy(TILE, &p).unwrap();
    let err = dem::open(&p, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("leinster.hgt") && err.contains("--origin"),
        "{err}"
    );
    let d = dem::open(
        &p,
        &LoadOptions {
            origin: Some((52.0, -7.0)),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(d.transform, load(TILE).transform);
}
