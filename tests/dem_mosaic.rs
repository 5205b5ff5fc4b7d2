//! Mosaics: bounds and samples against `gdalbuildvrt`, seams walked across,
//! and the errors and notes of ill-matched tiles (hand-computed values).

mod dem_support;

use dem_support::{data, gdal_geotransform, gdalinfo, have_tool, raw_hgt, run, write_hgt};
use downhill::agents::{Agent, AgentKind, StopReason, StopRules};
use downhill::dem::{self, LoadOptions};
use downhill::geo::Xy;
use downhill::terrain::{GradientScheme, Surface, Terrain, Vector};

fn provence() -> dem::Loaded {
    let paths = vec![data("N43E007.hgt"), data("N43E006.hgt")];
    dem::load(&paths, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn two_tiles_give_the_bounds_and_samples_of_gdalbuildvrt() {
    let loaded = provence();
    let dem = &loaded.dem;
    // Hand-computed: 6 E to 8 E sharing the 7 E column, plus half a cell all round.
    assert_eq!((dem.rows(), dem.cols()), (1201, 2401));
    let half = 0.5 / 1200.0;
    let expected = [6.0 - half, 43.0 - half, 8.0 + half, 44.0 + half];
    for (a, b) in dem.bounds().to_array().iter().zip(expected) {
        assert!((a - b).abs() < 1e-9, "{:?}", dem.bounds());
    }
    assert_eq!(dem.inputs.len(), 2);

    if !have_tool("gdalbuildvrt") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let vrt = dir.path().join("m.vrt");
    // West tile first, so the east tile's shared column wins, as in downhill.
    run(
        "gdalbuildvrt",
        &[
            "-q",
            vrt.to_str().expect("utf-8"),
            data("N43E006.hgt").to_str().expect("utf-8"),
            data("N43E007.hgt").to_str().expect("utf-8"),
        ],
    );
    let info = gdalinfo(&vrt);
    assert_eq!(info["size"][0].as_u64(), Some(dem.cols() as u64));
    assert_eq!(info["size"][1].as_u64(), Some(dem.rows() as u64));
    let gt = gdal_geotransform(&vrt);
    for (a, b) in dem.transform.to_gdal().iter().zip(gt) {
        assert!((a - b).abs() < 1e-12, "{gt:?}");
    }
    // Every sample, from GDAL's own mosaic dumped as raw little-endian int16.
    let raw = dir.path().join("m.bin");
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "ENVI",
            vrt.to_str().expect("utf-8"),
            raw.to_str().expect("utf-8"),
        ],
    );
    let bytes = std::fs::read(&raw).expect("read raw");
    assert_eq!(bytes.len(), dem.heights.len() * 2);
    for (i, (b, &h)) in bytes.chunks_exact(2).zip(dem.heights.iter()).enumerate() {
        let v = i16::from_le_bytes([b[0], b[1]]);
        if v == -32768 {
            assert!(h.is_nan(), "sample {i}: GDAL has a void, downhill {h}");
        } else {
            assert_eq!(h, v as f32, "sample {i}");
        }
    }
}

#[test]
fn the_shared_column_is_the_east_tiles_and_disagreement_is_noted() {
    let loaded = provence();
    let west = raw_hgt(&data("N43E006.hgt"));
    let east = raw_hgt(&data("N43E007.hgt"));
    let h = &loaded.dem.heights;
    let mut disagree = 0;
    for r in 0..1201 {
        assert_eq!(h[[r, 1200]], east[r * 1201] as f32, "seam row {r}");
        assert_eq!(h[[r, 1199]], west[r * 1201 + 1199] as f32);
        assert_eq!(h[[r, 1201]], east[r * 1201 + 1] as f32);
        if (west[r * 1201 + 1200] - east[r * 1201]).abs() > 5 {
            disagree += 1;
        }
    }
    assert!(disagree > 0, "the bundled tiles do disagree on their seam");
    let note = loaded
        .notes
        .iter()
        .find(|n| n.contains("N43E007.hgt") && n.contains("disagrees"))
        .unwrap_or_else(|| panic!("no seam note in {:?}", loaded.notes));
    assert!(
        note.contains(&format!("on {disagree} of the 1201 samples")),
        "{note}"
    );
    assert!(note.contains("N43E006.hgt"), "{note}");
}

/// Ground displacement of each step, metres east and north.
fn steps_m(t: &Terrain, points: &[Xy]) -> Vec<(f64, f64)> {
    points
        .windows(2)
        .map(|w| {
            let d = t.distance(w[0], w[1]);
            let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
            let norm = dx.hypot(dy).max(1e-300);
            (d * dx / norm, d * dy / norm)
        })
        .collect()
}

#[test]
fn walkers_cross_the_7e_seam_without_a_stop_or_a_kink() {
    let t = Terrain::new(provence().dem, GradientScheme::Central).expect("terrain");
    // Starts found to descend across 7 E (one westward, one eastward).
    for (kind, start) in [
        (AgentKind::Gd, Xy::new(6.99, 43.68)),
        (AgentKind::Momentum, Xy::new(6.97, 43.67)),
    ] {
        let track = Agent::new(kind)
            .descend(&t, start, Vector::ZERO, &StopRules::default())
            .expect("descend");
        assert_eq!(track.stop_reason, StopReason::Converged, "{kind:?}");
        let points: Vec<Xy> = track.points.iter().map(|p| p.position).collect();
        let crossing = points
            .windows(2)
            .position(|w| (w[0].x < 7.0) != (w[1].x < 7.0))
            .unwrap_or_else(|| panic!("{kind:?} never crossed 7 E"));
        assert!(
            points.last().expect("end").x > 7.0,
            "{kind:?} ends east of the seam"
        );
        // The crossing step is like its neighbours: no jump in length or direction.
        let steps = steps_m(&t, &points);
        let k = crossing;
        assert!(
            k >= 5 && k + 5 < steps.len(),
            "{kind:?}: crossing too close to an end"
        );
        let len = |s: (f64, f64)| s.0.hypot(s.1);
        let around: Vec<f64> = (k - 5..=k + 5)
            .filter(|&i| i != k)
            .map(|i| len(steps[i]))
            .collect();
        let (lo, hi) = around.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
            (lo.min(l), hi.max(l))
        });
        let l = len(steps[k]);
        assert!(
            l >= 0.5 * lo && l <= 2.0 * hi,
            "{kind:?}: seam step {l} m vs neighbours {lo}..{hi} m"
        );
        for i in [k - 1, k] {
            let (a, b) = (steps[i], steps[i + 1]);
            let cos = (a.0 * b.0 + a.1 * b.1) / (len(a) * len(b));
            assert!(
                cos > 0.8,
                "{kind:?}: direction turns by {:.0} deg at the seam",
                cos.acos().to_degrees()
            );
        }
    }
}

#[test]
fn a_directory_and_gaps_and_disagreements_and_resolutions() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Three SRTM3 tiles in an L: N00E000 (100 m), N00E001 (130 m), N01E000 (100 m).
    write_hgt(dir.path(), "N00E000.hgt", 1201, |_, _| 100);
    write_hgt(dir.path(), "N00E001.hgt", 1201, |_, _| 130);
    write_hgt(dir.path(), "N01E000.hgt", 1201, |_, _| 100);
    std::fs::write(dir.path().join("readme.txt"), "not a tile").expect("write");
    let loaded = dem::load(&[dir.path().to_path_buf()], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let dem = &loaded.dem;
    assert_eq!((dem.rows(), dem.cols()), (2401, 2401));
    // The missing north-east tile: voids, except the edges its neighbours share.
    assert!(dem.heights[[600, 1800]].is_nan());
    assert_eq!(dem.stats().voids, 1200 * 1200);
    assert_eq!(dem.heights[[1800, 1800]], 130.0);
    // The shared column between N00E000 and N00E001 is the east tile's.
    assert_eq!(dem.heights[[1800, 1200]], 130.0);
    assert!(
        loaded.notes.iter().any(|n| n.contains("N00E001.hgt")
            && n.contains("on 1201 of the 1201")
            && n.contains("up to 30 m")),
        "{:?}",
        loaded.notes
    );
    assert!(
        loaded.notes.iter().any(|n| n.contains("do not fill")),
        "{:?}",
        loaded.notes
    );

    // An SRTM1 tile among SRTM3 ones.
    let one = tempfile::tempdir().expect("tempdir");
    let fine = write_hgt(one.path(), "N00E002.hgt", 3601, |_, _| 0);
    let msg = dem::load(
        &[dir.path().join("N00E001.hgt"), fine],
        &LoadOptions::default(),
    )
    .expect_err("mixed resolutions")
    .to_string();
    assert!(
        msg.contains("different resolutions") && msg.contains("N00E002.hgt"),
        "{msg}"
    );
    assert!(msg.contains("1.000\"") && msg.contains("3.000\""), "{msg}");
}

#[test]
fn an_empty_directory_and_a_mixed_crs_are_named_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let msg = dem::load(&[dir.path().to_path_buf()], &LoadOptions::default())
        .expect_err("empty")
        .to_string();
    assert!(msg.contains("no elevation file"), "{msg}");
    if !have_tool("gdalwarp") {
        return;
    }
    let utm = dir.path().join("utm.tif");
    run(
        "gdalwarp",
        &[
            "-q",
            "-t_srs",
            "EPSG:32632",
            data("N43E007.hgt").to_str().expect("utf-8"),
            utm.to_str().expect("utf-8"),
        ],
    );
    let msg = dem::load(&[data("N43E006.hgt"), utm], &LoadOptions::default())
        .expect_err("mixed CRS")
        .to_string();
    assert!(
        msg.contains("EPSG:32632") && msg.contains("EPSG:4326"),
        "{msg}"
    );
}
