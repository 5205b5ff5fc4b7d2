//! The sea: SRTM's 0 m connected to the raster edge stops agents (`sea`),
//! is an outlet for `basins`, and `--no-sea` / `--sea-level` change it.

mod common;

use common::{assert_success, downhill};
use std::path::Path;

/// Runs `drop --json` and returns the agents' JSON objects.
fn drop_json(args: &[&str], out: &Path) -> Vec<serde_json::Value> {
    let o = downhill()
        .arg("drop")
        .args(args)
        .args(["--json", "--force", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert_success(&o);
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Height of the raw SRTM3 sample nearest to (lat, lon) in an `.hgt` tile
/// whose south-west corner is (lat0, lon0), read straight from the bytes.
fn raw_height(tile: &[u8], lat0: f64, lon0: f64, lat: f64, lon: f64) -> i16 {
    let r = ((lat0 + 1.0 - lat) * 1200.0).round() as usize;
    let c = ((lon - lon0) * 1200.0).round() as usize;
    let i = 2 * (r * 1201 + c);
    i16::from_be_bytes([tile[i], tile[i + 1]])
}

#[test]
fn balls_from_mont_agel_stop_at_the_sea_and_no_sea_keeps_them_rolling() {
    let dir = tempfile::tempdir().unwrap();
    let tile = std::fs::read("data/N43E007.hgt").unwrap();
    let rows = drop_json(
        &[
            "data/N43E007.hgt",
            "--peak",
            "Mont Agel",
            "--agent",
            "momentum,nesterov",
        ],
        dir.path(),
    );
    for r in &rows {
        assert_eq!(r["stop_reason"], "sea", "{r}");
        let (lon, lat) = (
            r["end"]["lon"].as_f64().unwrap(),
            r["end"]["lat"].as_f64().unwrap(),
        );
        // It ended within a cell of the coast: the nearest raw sample is
        // either the sea itself (0 m) or the shore just above it.
        let z = raw_height(&tile, 43.0, 7.0, lat, lon);
        assert!((0..=5).contains(&z), "ended on a {z} m sample: {r}");
        assert!(r["end"]["elevation"].as_f64().unwrap() < 5.0, "{r}");
    }
    let rows = drop_json(
        &[
            "data/N43E007.hgt",
            "--peak",
            "Mont Agel",
            "--agent",
            "momentum",
            "--no-sea",
        ],
        dir.path(),
    );
    assert_ne!(rows[0]["stop_reason"], "sea", "{}", rows[0]);
}

/// A hand-made SRTM3 tile: a slope falling east to a 0 m sea in the
/// eastern quarter, an inland lake at exactly 0 m in a pit, and a polder
/// 5 m below sea level behind a dyke right at the coast.
fn handmade_tile(dir: &Path) -> std::path::PathBuf {
    let n = 1201usize;
    let mut z = vec![0i16; n * n];
    for r in 0..n {
        for c in 0..n {
            let h = if c >= 900 {
                0.0
            } else {
                // 1 m per column falling east, to 1 m next to the sea.
                (900 - c) as f64
            };
            z[r * n + c] = h as i16;
        }
    }
    // The inland lake: a pit 40 cells wide at exactly 0 m around (300, 300).
    for r in 280..320 {
        for c in 280..320 {
            z[r * n + c] = 0;
        }
    }
    // The polder: 20 x 20 cells at -5 m just west of the coast, dyke column 899 at 3 m.
    for r in 600..620 {
        for c in 879..899 {
            z[r * n + c] = -5;
        }
        z[r * n + 899] = 3;
    }
    let bytes: Vec<u8> = z.iter().flat_map(|v| v.to_be_bytes()).collect();
    let p = dir.join("N10E010.hgt");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_handmade_coast_inland_zero_and_a_polder() {
    let dir = tempfile::tempdir().unwrap();
    let tile = handmade_tile(dir.path());
    let tile = tile.to_str().unwrap();
    let cell = 1.0 / 1200.0;
    // On the slope at row 100: the walker rolls east and reaches the sea
    // at the coast, half-way between columns 899 and 900.
    let lat = 11.0 - 100.0 * cell;
    let at = format!("{lat},{}", 10.0 + 500.0 * cell);
    let rows = drop_json(
        &[tile, "--at", &at, "--agent", "gd", "--alpha", "200"],
        dir.path(),
    );
    assert_eq!(rows[0]["stop_reason"], "sea", "{}", rows[0]);
    let lon = rows[0]["end"]["lon"].as_f64().unwrap();
    let col = (lon - 10.0) / cell;
    assert!(
        (899.5..901.0).contains(&col),
        "the coast is at column 899.5, the walker stopped at {col}"
    );
    // In the inland 0 m lake: at rest on its flat floor, not in the sea.
    let at = format!("{},{}", 11.0 - 300.0 * cell, 10.0 + 300.0 * cell);
    let rows = drop_json(&[tile, "--at", &at, "--agent", "gd"], dir.path());
    assert_eq!(rows[0]["stop_reason"], "converged", "{}", rows[0]);
    // Into the polder below sea level: land, not sea.
    let at = format!("{},{}", 11.0 - 610.0 * cell, 10.0 + 878.0 * cell);
    let rows = drop_json(&[tile, "--at", &at, "--agent", "gd"], dir.path());
    assert_ne!(rows[0]["stop_reason"], "sea", "{}", rows[0]);
    // --sea-level -10: nothing here is that low, so there is no sea.
    let at = format!("{lat},{}", 10.0 + 500.0 * cell);
    let rows = drop_json(
        &[
            tile,
            "--at",
            &at,
            "--agent",
            "gd",
            "--alpha",
            "200",
            "--sea-level",
            "-10",
        ],
        dir.path(),
    );
    assert_ne!(rows[0]["stop_reason"], "sea", "{}", rows[0]);
}

#[test]
fn basins_on_the_wexford_coast_start_no_walker_in_the_sea() {
    let tile = std::fs::read("data/N52W007.hgt").unwrap();
    // The box's samples: rows and columns of the tile, counted by hand.
    let (w, s, e, n) = (-6.6, 52.15, -6.3, 52.45);
    let idx = |v: f64| (v * 1200.0).round() as usize;
    let (r0, r1) = (idx(53.0 - n), idx(53.0 - s));
    let (c0, c1) = (idx(w + 7.0), idx(e + 7.0));
    let total = (r1 - r0 + 1) * (c1 - c0 + 1);
    let zeros = (r0..=r1)
        .flat_map(|r| (c0..=c1).map(move |c| (r, c)))
        .filter(|&(r, c)| {
            let i = 2 * (r * 1201 + c);
            i16::from_be_bytes([tile[i], tile[i + 1]]) == 0
        })
        .count();
    assert!(zeros > 10_000, "the box should hold Wexford's sea: {zeros}");
    let run = |extra: &[&str]| -> serde_json::Value {
        let dir = tempfile::tempdir().unwrap();
        let o = downhill()
            .args([
                "-q",
                "basins",
                "data/N52W007.hgt",
                "--bbox=-6.6,52.15,-6.3,52.45",
            ])
            .args(extra)
            .args(["--json", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_success(&o);
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let with_sea = run(&[]);
    let starts = with_sea["starts"].as_u64().unwrap() as usize;
    // Every sea cell is a 0 m cell; nearly all of the 0 m cells here are sea.
    assert!(starts >= total - zeros, "{starts} starts of {total}");
    assert!(
        starts < total - zeros * 9 / 10,
        "{starts} starts of {total}"
    );
    assert!(
        with_sea["endings"]["sea"].as_u64().unwrap() > 1000,
        "{}",
        with_sea["endings"]
    );
    let no_sea = run(&["--no-sea"]);
    assert_eq!(no_sea["starts"].as_u64().unwrap() as usize, total);
    assert!(
        no_sea["endings"].get("sea").is_none(),
        "{}",
        no_sea["endings"]
    );
}

/// `info` counts the sea: on N43E007 it is most of the 0 m samples (read
/// from the raw bytes), none with `--no-sea`.
#[test]
fn info_counts_the_sea() {
    let zeros = std::fs::read("data/N43E007.hgt")
        .unwrap()
        .chunks_exact(2)
        .filter(|b| i16::from_be_bytes([b[0], b[1]]) == 0)
        .count();
    let info = |extra: &[&str]| -> serde_json::Value {
        let o = downhill()
            .args(["info", "--json", "data/N43E007.hgt"])
            .args(extra)
            .output()
            .unwrap();
        assert_success(&o);
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let sea = info(&[])["sea"].as_u64().unwrap() as usize;
    assert!(
        sea <= zeros && sea * 10 > zeros * 9,
        "{sea} sea of {zeros} zeros"
    );
    assert_eq!(info(&["--no-sea"])["sea"], 0);
}

/// A start in the sea is refused in one line naming the problem.
#[test]
fn a_start_in_the_sea_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = downhill()
        .args(["drop", "data/N52W007.hgt", "--at", "52.2,-6.1", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("in the sea") && e.contains("--no-sea"), "{e}");
    assert!(!dir.path().join("out").join("tracks.geojson").exists());
}
