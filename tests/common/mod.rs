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
