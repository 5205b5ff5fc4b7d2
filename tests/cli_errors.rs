//! Bad input tried as a new user would: one line naming the problem, exit code 2, nothing written.

use assert_cmd::Command;
use std::path::Path;

const TILE: &str = "data/N52W007.hgt";

fn downhill() -> Command {
    Command::cargo_bin("downhill").unwrap()
}

/// Runs `drop` with `args`, expecting failure; returns stderr and checks the contract.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out_dir = dir.join("out");
    let out = downhill()
        .arg("drop")
        .args(args)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "args {args:?}: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line expected: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let written = std::fs::read_dir(&out_dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "args {args:?} wrote files");
    stderr
}

#[test]
fn a_truncated_tile() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("N52W007.hgt");
    std::fs::write(&p, &std::fs::read(TILE).unwrap()[..1_000_000]).unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "52.6,-6.8"]);
    assert!(
        e.contains("N52W007.hgt") && e.contains("1000000 bytes"),
        "{e}"
    );
}

#[test]
fn random_bytes_of_the_right_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("N52W007.hgt");
    // A deterministic pseudo-random byte stream (xorshift), SRTM3-sized.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..2_884_802)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&p, bytes).unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "52.6,-6.8"]);
    assert!(
        e.contains("N52W007.hgt") && e.contains("not an SRTM tile"),
        "{e}"
    );
}

#[test]
fn random_bytes_of_a_random_size_and_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("S10E020.hgt");
    std::fs::write(
        &p,
        (0..5000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "-9.5,20.5"]);
    assert!(e.contains("S10E020.hgt") && e.contains("5000 bytes"), "{e}");
    std::fs::write(&p, b"").unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "-9.5,20.5"]);
    assert!(e.contains("empty"), "{e}");
}

#[test]
fn a_zip_that_lies_about_its_size_or_is_broken() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    // A zip holding a 600-byte "N52W007.hgt": the archive name promises a tile it is not.
    let p = dir.path().join("N52W007.hgt.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    z.start_file("N52W007.hgt", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(&[0u8; 600]).unwrap();
    z.finish().unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "52.6,-6.8"]);
    assert!(
        e.contains("N52W007.hgt.zip") && e.contains("600 bytes"),
        "{e}"
    );
    // Not a zip at all.
    std::fs::write(&p, b"PK\x03\x04 this is not really a zip archive").unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "52.6,-6.8"]);
    assert!(e.contains("zip"), "{e}");
}

#[test]
fn a_name_that_is_no_tile_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ireland.hgt");
    std::fs::copy(TILE, &p).unwrap();
    let e = refused(dir.path(), &[p.to_str().unwrap(), "--at", "52.6,-6.8"]);
    assert!(e.contains("ireland.hgt") && e.contains("--origin"), "{e}");
}

#[test]
fn a_start_outside_the_tile() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(dir.path(), &[TILE, "--at", "51.5,-6.8"]);
    assert!(e.contains("outside"), "{e}");
}

#[test]
fn a_misspelled_peak_gets_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(dir.path(), &[TILE, "--peak", "Mount Lenster"]);
    assert!(e.contains("Mount Leinster"), "{e}");
}

#[test]
fn momentum_that_would_diverge() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(
        dir.path(),
        &[TILE, "--peak", "Mount Leinster", "--beta", "1.2"],
    );
    assert!(e.contains("1.2") && e.contains("β"), "{e}");
    let e = refused(
        dir.path(),
        &[TILE, "--at", "52.6,-6.8", "--friction", "0", "--dt", "1"],
    );
    assert!(e.contains("friction"), "{e}");
    let e = refused(dir.path(), &[TILE, "--at", "52.6,-6.8", "--alpha", "-3"]);
    assert!(e.contains("alpha"), "{e}");
}

#[test]
fn info_on_a_missing_file() {
    let out = downhill()
        .args(["info", "no/such/N00E000.hgt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("no/such/N00E000.hgt"), "{e}");
}

/// A reader that goes away (`downhill info ... | head -1`) ends the
/// process quietly, without a panic on the closed pipe.
#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_is_no_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("downhill"))
        .args(["info", "data/N52W007.hgt"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the table is printed.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

/// Runs downhill with `args`, expecting a usage error: exit code 2 and one line on stderr.
fn usage_refused(args: &[&str]) -> String {
    let out = downhill().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "args {args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn a_missing_required_argument_is_named() {
    let e = usage_refused(&["hillshade", TILE]);
    assert!(
        e.contains("not provided") && e.contains("--output"),
        "the missing argument must be named: {e}"
    );
    assert!(e.contains("downhill hillshade --help"), "{e}");
    let e = usage_refused(&["basins", TILE]);
    assert!(e.contains("--out <DIR>"), "{e}");
}

#[test]
fn an_unknown_agent_lists_the_valid_ones() {
    for cmd in [
        &[
            "drop",
            TILE,
            "--peak",
            "Mount Leinster",
            "--agent",
            "walker",
        ][..],
        &["basins", TILE, "--out", "unused", "--agent", "walker"][..],
    ] {
        let e = usage_refused(cmd);
        assert!(e.contains("'walker'"), "{e}");
        for agent in ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"] {
            assert!(e.contains(agent), "{agent} missing from: {e}");
        }
    }
}

#[test]
fn an_empty_file_of_any_name_is_reported_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["elevation.dat", "dem.tif", "tile"] {
        let p = dir.path().join(name);
        std::fs::write(&p, b"").unwrap();
        let out = downhill()
            .args(["info", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(name) && e.contains("empty"), "{e}");
        assert!(!e.contains("not a format"), "{e}");
    }
}

/// The options `downhill CMD --help` lists, as `--name`.
fn options_of(cmd: &str) -> String {
    let out = downhill().args([cmd, "--help"]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn each_help_shows_only_its_own_options_with_true_defaults() {
    let hillshade = options_of("hillshade");
    for foreign in ["--start", "--v0", "tracks|full", "agents", "--agent"] {
        assert!(!hillshade.contains(foreign), "hillshade lists {foreign}");
    }
    let info = options_of("info");
    for foreign in ["agent", "--surface", "--start"] {
        assert!(!info.contains(foreign), "info talks of {foreign}");
    }
    let basins = options_of("basins");
    for foreign in ["--start", "--v0", "tracks|full"] {
        assert!(!basins.contains(foreign), "basins lists {foreign}");
    }
    // basins' gd steps 1.5 cells by default, not drop's 10 m walker.
    let alpha = basins
        .split("--alpha")
        .nth(1)
        .and_then(|s| s.split("--beta").next())
        .unwrap_or_default();
    assert!(alpha.contains("1.5 cells"), "{alpha}");
    assert!(!alpha.contains("walker 10"), "{alpha}");
    let drop = options_of("drop");
    for own in ["--start", "--v0", "--peak", "walker 10"] {
        assert!(drop.contains(own), "drop lacks {own}");
    }
}
