//! Voids: counted as the raw tile has them, stopping agents, and filled by
//! harmonic interpolation (exact on planes, bounded by the rim elsewhere).

mod dem_support;

use dem_support::{data, raw_hgt, write_hgt};
use downhill::agents::{Agent, AgentKind, StopReason, StopRules};
use downhill::dem::{self, LoadOptions};
use downhill::geo::Xy;
use downhill::terrain::{GradientScheme, Terrain, Vector};

#[test]
fn the_voids_of_a_tile_are_those_of_its_bytes_and_fill_within_their_rims() {
    let raw = raw_hgt(&data("N43E007.hgt"));
    let voids: Vec<(usize, usize)> = raw
        .iter()
        .enumerate()
        .filter(|(_, &v)| v == -32768)
        .map(|(i, _)| (i / 1201, i % 1201))
        .collect();
    assert!(!voids.is_empty());
    let dem = dem::open(&data("N43E007.hgt"), &LoadOptions::default()).expect("open");
    assert_eq!(dem.stats().voids, voids.len());
    for &(r, c) in &voids {
        assert!(dem.heights[[r, c]].is_nan());
    }

    let mut loaded = dem::load(&[data("N43E007.hgt")], &LoadOptions::default()).expect("open");
    loaded.fill_voids();
    assert_eq!(loaded.dem.stats().voids, 0);
    assert!(
        loaded
            .notes
            .iter()
            .any(|n| n.contains(&format!("filled {} void samples", voids.len()))),
        "{:?}",
        loaded.notes
    );
    // Maximum principle: a harmonic fill lies between the lowest and the
    // highest valid sample around its hole (the 8-neighbourhood here).
    for &(r, c) in &voids {
        let rim: Vec<f32> = (r - 2..=r + 2)
            .flat_map(|rr| (c - 2..=c + 2).map(move |cc| (rr, cc)))
            .map(|(rr, cc)| raw[rr * 1201 + cc])
            .filter(|&v| v != -32768)
            .map(f32::from)
            .collect();
        let lo = rim.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = rim.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let v = loaded.dem.heights[[r, c]];
        assert!(
            v >= lo && v <= hi,
            "({r},{c}) filled with {v}, rim {lo}..{hi}"
        );
    }
}

/// A synthetic SRTM3 tile sloping down to the east (3 m per sample) with a
/// void hole of 21 x 21 samples in the middle.
fn slope_with_hole(dir: &std::path::Path) -> std::path::PathBuf {
    write_hgt(dir, "N10E010.hgt", 1201, |r, c| {
        if (590..=610).contains(&r) && (700..=720).contains(&c) {
            -32768
        } else {
            5000 - 3 * c as i16
        }
    })
}

#[test]
fn agents_stop_at_a_void_unless_voids_are_filled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tile = slope_with_hole(dir.path());
    // Start due west of the hole on row 600: the descent runs east into it.
    let start = Xy::new(10.0 + 690.0 / 1200.0, 11.0 - 600.0 / 1200.0);
    let rules = StopRules {
        max_steps: 20_000,
        ..StopRules::default()
    };
    let raw = dem::open(&tile, &LoadOptions::default()).expect("open");
    let t = Terrain::new(raw, GradientScheme::Central).expect("terrain");
    let track = Agent::new(AgentKind::Gd)
        .descend(&t, start, Vector::ZERO, &rules)
        .expect("descend");
    assert_eq!(track.stop_reason, StopReason::Void);
    let last = track.points.last().expect("end").position;
    assert!(
        last.x < 10.0 + 700.0 / 1200.0,
        "stopped before the hole: {last:?}"
    );

    let mut loaded = dem::load(std::slice::from_ref(&tile), &LoadOptions::default()).expect("open");
    loaded.fill_voids();
    let filled = loaded.dem;
    // A harmonic fill reproduces the plane exactly.
    for r in 590..=610 {
        for c in 700..=720 {
            let expected = 5000.0 - 3.0 * c as f32;
            assert!(
                (filled.heights[[r, c]] - expected).abs() < 1e-3,
                "({r},{c})"
            );
        }
    }
    let t = Terrain::new(filled, GradientScheme::Central).expect("terrain");
    let track = Agent::new(AgentKind::Gd)
        .descend(&t, start, Vector::ZERO, &rules)
        .expect("descend");
    assert_ne!(track.stop_reason, StopReason::Void);
    let last = track.points.last().expect("end").position;
    assert!(
        last.x > 10.0 + 720.0 / 1200.0,
        "walked through the filled hole: {last:?}"
    );
}
