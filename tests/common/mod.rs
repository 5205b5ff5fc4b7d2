//! Helpers shared by the end-to-end tests (each test file uses some).
#![allow(dead_code)]

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
