//! A 3 x 3 mosaic of SRTM1 tiles (10 801 x 10 801 = 117 M samples) loads
//! within 1 GiB of memory, measured as the peak resident set (VmHWM).
//! Ignored by default (it writes 233 MB of tiles); `scripts/mosaic-memory.sh` runs it.

mod dem_support;

use dem_support::write_hgt;
use downhill::dem::{self, LoadOptions};

/// Peak resident set size of this process in bytes, from /proc/self/status.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Height of sample (r, c) of the tile at (lat, lon): distinct per tile and place.
fn height(lat: usize, lon: usize, r: usize, c: usize) -> i16 {
    (lat * 1000 + lon * 100 + (r + c) % 97) as i16
}

#[test]
#[ignore = "writes nine SRTM1 tiles (233 MB); run scripts/mosaic-memory.sh"]
fn nine_srtm1_tiles_load_within_one_gib() {
    let Some(before) = peak_rss() else {
        dem_support::skipped("no /proc/self/status here; the memory measurement did not run");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for lat in 0..3 {
        for lon in 0..3 {
            write_hgt(
                dir.path(),
                &format!("N{lat:02}E{lon:03}.hgt"),
                3601,
                |r, c| height(lat, lon, r, c),
            );
        }
    }
    let dem = dem::open_all(&[dir.path().to_path_buf()], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let peak = peak_rss().expect("VmHWM");
    assert_eq!((dem.rows(), dem.cols()), (10_801, 10_801));
    // Sample (r, c) of tile N01E002 sits at mosaic row (2 - 1) * 3600 + r
    // (rows run north to south), column 2 * 3600 + c; shared edges are the
    // southern / eastern tile's.
    for (r, c) in [(1, 1), (1800, 2000), (3599, 3599)] {
        assert_eq!(dem.heights[[3600 + r, 7200 + c]], height(1, 2, r, c) as f32);
    }
    assert_eq!(dem.heights[[3600, 3600]], height(1, 1, 0, 0) as f32);
    assert_eq!(dem.stats().voids, 0);
    let gib = (1u64 << 30) as f64;
    eprintln!(
        "peak resident memory {:.2} GiB (before loading {:.2} GiB) for {} samples",
        peak as f64 / gib,
        before as f64 / gib,
        dem.heights.len()
    );
    assert!(peak < 1 << 30, "peak {:.2} GiB", peak as f64 / gib);
}
