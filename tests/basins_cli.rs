//! `downhill basins` end to end on a small box of the bundled tile.

mod common;

use common::{assert_success, downhill};

#[test]
fn basins_writes_its_outputs_and_a_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = downhill()
        .args([
            "basins",
            "data/N52W007.hgt",
            "--bbox=-6.80,52.60,-6.76,52.63",
            "--fill",
            "--json",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_success(&out);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The box holds the sample centres 52.60..52.63 N, -6.80..-6.76 W at 3":
    // 37 rows and 49 columns, every one a start.
    assert_eq!(r["starts"], 37 * 49);
    assert!(r["basins"].as_u64().unwrap() >= 1);
    assert!(r["steps"].as_u64().unwrap() > 0 && r["seconds"].as_f64().unwrap() > 0.0);
    for f in [
        "basins.tif",
        "basins.png",
        "basins.pgw",
        "basins.bounds.json",
        "sinks.geojson",
        "basins.geojson",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    // The bounds are the outer cell edges: half a 3" sample outside the box's
    // sample centres (52.60..52.63 N, -6.80..-6.76 W), as gdalinfo reports.
    let b: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("basins.bounds.json")).unwrap(),
    )
    .unwrap();
    let half = 0.5 / 1200.0;
    for (key, want) in [
        ("west", -6.80 - half),
        ("east", -6.76 + half),
        ("south", 52.60 - half),
        ("north", 52.63 + half),
    ] {
        assert!((b[key].as_f64().unwrap() - want).abs() < 1e-9, "{key}: {b}");
    }
    let sinks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("sinks.geojson")).unwrap())
            .unwrap();
    let features = sinks["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, r["basins"].as_u64().unwrap());
    let starts: u64 = features
        .iter()
        .map(|f| f["properties"]["starts"].as_u64().unwrap())
        .sum();
    assert_eq!(starts, 37 * 49);
}

#[test]
fn bad_parameters_are_one_line_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--stride", "0"],
        vec!["--bbox=10,50,11,51"],
        vec!["--alpha=-1"],
    ] {
        let out = downhill()
            .args(["basins", "data/N52W007.hgt", "--out"])
            .arg(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// Ctrl-C while the walkers run: exit code 130, one line, no output file.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_walkers_and_writes_nothing() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Millions of momentum walkers, each simulated in full: minutes of work.
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("downhill"))
        .args([
            "basins",
            "--surface",
            "sin(x/7)*cos(y/5) + x*y/10000",
            "--extent=-500,-500,500,500",
            "--resolution",
            "1500",
            "--agent",
            "momentum",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The output directory is created once the surface is loaded and the
    // interrupt handler is in place; the walk starts right after.
    let began = Instant::now();
    while !out.is_dir() {
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "the output directory never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(60),
        "the walkers did not stop promptly"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

/// A box of Wexford Harbour, most of it sea (SRTM's exact 0 m): on an
/// SRTM tile the sea is found by default and no walker starts on it;
/// `--no-sea` starts one on every cell, `--stop-below` still works.
#[test]
fn a_grid_that_is_mostly_sea_starts_no_walker_on_the_sea() {
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = downhill()
            .args([
                "basins",
                "data/N52W007.hgt",
                "--bbox=-6.45,52.30,-6.30,52.40",
                "--fill",
                "--json",
            ])
            .args(extra)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap();
        assert_success(&out);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (r, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (plain, note) = run(&[]);
    assert!(note.is_empty(), "{note}");
    let cells = plain["width"].as_u64().unwrap() * plain["height"].as_u64().unwrap();
    let starts = plain["starts"].as_u64().unwrap();
    assert!(starts > 0 && starts * 2 < cells, "{starts} of {cells}");
    assert!(plain["endings"]["sea"].as_u64().unwrap() > 0, "{plain}");
    let (no_sea, _) = run(&["--no-sea"]);
    assert_eq!(no_sea["starts"].as_u64().unwrap(), cells);
    let (below, silent) = run(&["--no-sea", "--stop-below", "0.5"]);
    assert!(silent.is_empty(), "{silent}");
    let starts = below["starts"].as_u64().unwrap();
    assert!(starts > 0 && starts * 2 < cells, "{starts} of {cells}");
}

/// With `--stride 4` every start colours its 4 x 4 block: the middle of
/// basins.png has no grey cells without a colour (a dot grid would leave
/// 15 of 16 grey), and the picture is as wide as the ground is (a cell on
/// N52W007 is about 0.61 times as wide as it is tall), georeferenced by
/// its world file.
#[test]
fn a_stride_colours_whole_blocks_on_a_ground_shaped_map() {
    let dir = tempfile::tempdir().unwrap();
    let out = downhill()
        .args([
            "-q",
            "basins",
            "data/N52W007.hgt",
            "--bbox=-6.90,52.50,-6.70,52.70",
            "--stride",
            "4",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_success(&out);
    let img = image::open(dir.path().join("basins.png"))
        .unwrap()
        .to_rgba8();
    let (w, h) = img.dimensions();
    // 0.2° x 0.2° at 52.6° N: cos(52.6°) (1 - e² sin²) / (1 - e²) ≈ 0.609.
    let ratio = w as f64 / h as f64;
    assert!((ratio - 0.609).abs() < 0.01, "{w} x {h}");
    let (mut grey, mut total) = (0, 0);
    for y in h / 4..h * 3 / 4 {
        for x in w / 4..w * 3 / 4 {
            let [r, g, b, _] = img.get_pixel(x, y).0;
            total += 1;
            grey += usize::from(r == g && g == b && r > 70);
        }
    }
    assert!(
        grey * 100 < total,
        "{grey} of {total} middle pixels are grey"
    );
    // The world file spans the bounds with w x h pixels.
    let pgw: Vec<f64> = std::fs::read_to_string(dir.path().join("basins.pgw"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let b: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("basins.bounds.json")).unwrap(),
    )
    .unwrap();
    let (west, east) = (b["west"].as_f64().unwrap(), b["east"].as_f64().unwrap());
    assert!((pgw[0] * w as f64 - (east - west)).abs() < 1e-9, "{pgw:?}");
}

/// basins.geojson has a size budget: over it the file is left out with a
/// note, and an earlier run's outlines do not stay beside the new files.
#[test]
fn outlines_over_the_geojson_budget_are_left_out_and_old_ones_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        downhill()
            .args([
                "basins",
                "--surface",
                "sin(x)*sin(y)",
                "--extent=-100,-100,100,100",
                "--resolution",
                "600",
                "--json",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert_success(&first);
    let written = std::fs::metadata(out.join("basins.geojson")).unwrap().len();
    assert!(written > 2_000_000, "the outlines take {written} bytes");

    let second = run(&["--max-geojson-mb", "2"]);
    assert_success(&second);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("basins.geojson left out") && stderr.contains("--max-geojson-mb 2"),
        "{stderr}"
    );
    assert!(
        !out.join("basins.geojson").exists(),
        "a stale basins.geojson stayed"
    );
    for kept in ["basins.tif", "basins.png", "sinks.geojson"] {
        assert!(out.join(kept).is_file(), "{kept} is missing");
    }
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    let outputs = report["outputs"].as_array().unwrap();
    assert!(outputs
        .iter()
        .all(|p| !p.as_str().unwrap().ends_with("basins.geojson")));
}

/// With basins.geojson left out, the page draws the basins from basins.png
/// (it once read the world file in its place and failed) and says why.
#[test]
fn the_page_of_a_run_without_outlines_shows_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = downhill()
        .args([
            "basins",
            "data/N52W007.hgt",
            "--bbox=-6.90,52.50,-6.70,52.70",
            "--max-geojson-mb",
            "0.01",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_success(&run);
    assert!(!out.join("basins.geojson").exists());
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        page.contains("basins.geojson was left out"),
        "no reason on the page"
    );
}

/// A tile with no data at all: the run still succeeds (its files are
/// empty), but says why there is no basin, for the mosaic engine too, and
/// `--quiet` keeps it quiet.
#[test]
fn a_tile_of_voids_says_why_it_has_no_basins() {
    let dir = tempfile::tempdir().unwrap();
    let tile = dir.path().join("N10E010.hgt");
    // 1201 x 1201 big-endian samples of -32768, SRTM's void.
    std::fs::write(&tile, [0x80u8, 0x00].repeat(1201 * 1201)).unwrap();
    let run = |extra: &[&str]| {
        let out = downhill()
            .arg("basins")
            .arg(&tile)
            .args(["--fill", "--json"])
            .args(extra)
            .arg("--out")
            .arg(dir.path().join("out"))
            .arg("--force")
            .output()
            .unwrap();
        assert_success(&out);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["basins"], 0, "{r}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let note = run(&[]);
    assert!(
        note.contains("every sample of N10E010.hgt is a void") && note.contains("no basins"),
        "{note}"
    );
    let tiled = run(&["--tiled"]);
    assert!(
        tiled.contains("no basins: no walker could start"),
        "{tiled}"
    );
    let quiet = downhill()
        .arg("-q")
        .arg("basins")
        .arg(&tile)
        .args(["--json", "--out"])
        .arg(dir.path().join("quiet"))
        .output()
        .unwrap();
    assert_success(&quiet);
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}
