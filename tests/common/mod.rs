//! Helpers shared by the end-to-end tests (each test file uses some).
#![allow(dead_code)]

pub mod labels;

use std::process::Output;

use assert_cmd::Command;

/// The `downhill` binary of this build, ready for arguments.
pub fn downhill() -> Command {
    Command::cargo_bin("downhill").unwrap()
}

/// Asserts that `out` is a success, showing its stderr otherwise.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reports a skipped test: `SKIPPED: <test>: <reason>` written straight to
/// the process's stderr, so it shows even where the test harness captures
/// the output of passing tests.
pub fn skipped(reason: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

/// CI's second pass over the tests, with `--features gdal`, sets
/// `DOWNHILL_FEATURE_RERUN=gdal`: a slow test whose code the feature does
/// not touch (the feature only adds readers of other raster formats) ran
/// in the first pass, so it says so and returns `true` here.
pub fn ran_in_the_first_pass() -> bool {
    let rerun = cfg!(feature = "gdal")
        && std::env::var("DOWNHILL_FEATURE_RERUN").is_ok_and(|v| v == "gdal");
    if rerun {
        skipped("ran in CI's first pass (cargo test); --features gdal changes none of its code");
    }
    rerun
}
