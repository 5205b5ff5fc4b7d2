//! Helpers shared by the DEM integration tests: GDAL command-line tools as
//! independent references, and synthetic SRTM tiles.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `true` when the GDAL tool `name` runs; otherwise prints why the test is skipped.
pub fn have_tool(name: &str) -> bool {
    let ok = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skipped(&format!(
            "{name} is not installed (CI installs gdal-bin); the comparison did not run"
        ));
    }
    ok
}

/// `gdal_translate -q OPTIONS src DIR/NAME`; returns the file written.
pub fn translate(dir: &Path, src: &Path, name: &str, options: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args: Vec<&str> = vec!["-q"];
    args.extend_from_slice(options);
    args.push(src.to_str().expect("utf-8"));
    args.push(out.to_str().expect("utf-8"));
    run("gdal_translate", &args);
    out
}

/// Runs a command and returns its stdout, failing the test on error.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command feeding `input` on stdin, returns stdout.
pub fn run_with_input(program: &str, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{program} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `gdalinfo -json` of a file, parsed.
pub fn gdalinfo(path: &Path) -> serde_json::Value {
    let text = run("gdalinfo", &["-json", path.to_str().expect("utf-8 path")]);
    serde_json::from_str(&text).expect("gdalinfo -json output")
}

/// The six geotransform numbers of `gdalinfo -json`.
pub fn gdal_geotransform(path: &Path) -> [f64; 6] {
    let info = gdalinfo(path);
    let gt = info["geoTransform"].as_array().expect("geoTransform");
    let mut out = [0.0; 6];
    for (o, v) in out.iter_mut().zip(gt) {
        *o = v.as_f64().expect("number");
    }
    out
}

/// Big-endian `i16` samples of a raw `.hgt` tile, read directly from its bytes.
pub fn raw_hgt(path: &Path) -> Vec<i16> {
    std::fs::read(path)
        .expect("read tile")
        .chunks_exact(2)
        .map(|b| i16::from_be_bytes([b[0], b[1]]))
        .collect()
}

/// Writes a synthetic SRTM tile `name` of `n` x `n` samples, heights from `f(row, col)`.
pub fn write_hgt(dir: &Path, name: &str, n: usize, f: impl Fn(usize, usize) -> i16) -> PathBuf {
    let mut bytes = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            bytes.extend_from_slice(&f(r, c).to_be_bytes());
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write tile");
    path
}

/// Path of a bundled data file.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
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
