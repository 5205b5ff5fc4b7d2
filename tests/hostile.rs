//! Hostile inputs meet budgets, not crashes: every family of issue 12 run
//! through the real binary. Each must end with exit code 0 or 2 (one line
//! on stderr naming the problem), never a panic, an abort or an OOM kill,
//! and runs that write must never mix or leave debris.
//!
//! Memory-hungry cases run under a 4 GiB address-space cap (`prlimit
//! --as`), as the checker does; where `prlimit` is missing they run
//! uncapped and say so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TILE: &str = "data/N52W007.hgt";
const CAP_BYTES: &str = "4294967296";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_downhill")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// Runs downhill with `args` under the 4 GiB cap when `prlimit` exists.
fn capped(args: &[&str]) -> Output {
    capped_in(None, args)
}

fn capped_in(cwd: Option<&Path>, args: &[&str]) -> Output {
    let have_prlimit = Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut cmd = if have_prlimit {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={CAP_BYTES}")).arg("--").arg(bin());
        c
    } else {
        eprintln!("SKIPPED: prlimit not found; running {args:?} without the 4 GiB cap");
        Command::new(bin())
    };
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.args(args).stdin(Stdio::null()).output().unwrap()
}

/// Asserts the refusal contract: exit 2, one line, no panic; returns the line.
fn refused(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{what}: one line expected: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(!stderr.contains("18446744073709551615"), "{what}: {stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---------------------------------------------------------------------------
// A classic little-endian TIFF, written entry by entry so that every claim
// in it is ours to make.

enum Value {
    Short(Vec<u16>),
    Long(Vec<u32>),
    Double(Vec<f64>),
}

/// A TIFF with the given IFD entries (tag, value) and `data` as its only
/// strip; StripOffsets points at `data`, StripByteCounts says its length.
fn tiff(mut entries: Vec<(u16, Value)>, data: &[u8]) -> Vec<u8> {
    let data_at = 8u32;
    entries.push((273, Value::Long(vec![data_at])));
    entries.push((279, Value::Long(vec![data.len() as u32])));
    entries.sort_by_key(|e| e.0);
    let ifd_at = data_at + data.len() as u32 + (data.len() as u32 % 2);
    let ifd_len = 2 + 12 * entries.len() as u32 + 4;
    let mut out = b"II*\0".to_vec();
    out.extend(ifd_at.to_le_bytes());
    out.extend(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    let mut extra: Vec<u8> = Vec::new();
    let mut ifd = (entries.len() as u16).to_le_bytes().to_vec();
    for (tag, value) in &entries {
        let (typ, count, bytes): (u16, u32, Vec<u8>) = match value {
            Value::Short(v) => (
                3,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Value::Long(v) => (
                4,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Value::Double(v) => (
                12,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
        };
        ifd.extend(tag.to_le_bytes());
        ifd.extend(typ.to_le_bytes());
        ifd.extend(count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = bytes.clone();
            inline.resize(4, 0);
            ifd.extend(inline);
        } else {
            let at = ifd_at + ifd_len + extra.len() as u32;
            ifd.extend(at.to_le_bytes());
            extra.extend(bytes);
        }
    }
    ifd.extend(0u32.to_le_bytes());
    out.extend(ifd);
    out.extend(extra);
    out
}

/// The tags of a single-strip Int16 geographic GeoTIFF of `w` x `h` cells of
/// `cell` degrees, tied at (`lon`, `lat`), with `geokey_count` as the
/// GeoKeyDirectory's claimed number of keys.
fn geotiff_tags(
    w: u32,
    h: u32,
    cell: f64,
    lon: f64,
    lat: f64,
    geokey_count: u16,
) -> Vec<(u16, Value)> {
    vec![
        (256, Value::Long(vec![w])),
        (257, Value::Long(vec![h])),
        (258, Value::Short(vec![16])),
        (259, Value::Short(vec![1])),
        (262, Value::Short(vec![1])),
        (277, Value::Short(vec![1])),
        (278, Value::Long(vec![h])),
        (339, Value::Short(vec![2])),
        (33550, Value::Double(vec![cell, cell, 0.0])),
        (33922, Value::Double(vec![0.0, 0.0, 0.0, lon, lat, 0.0])),
        (
            34735,
            Value::Short(vec![
                1,
                1,
                0,
                geokey_count,
                1024,
                0,
                1,
                2,
                1025,
                0,
                1,
                1,
                2048,
                0,
                1,
                4326,
            ]),
        ),
    ]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_honest_handmade_geotiff_reads_so_the_claims_below_are_what_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..6i16).flat_map(|v| (100 + v).to_le_bytes()).collect();
    let p = write(
        dir.path(),
        "ok.tif",
        &tiff(geotiff_tags(3, 2, 0.5, 6.0, 44.0, 3), &data),
    );
    let out = capped(&["info", "--json", s(&p)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    assert!(text.contains("105") && text.contains("100"), "{text}");
}

#[test]
fn a_300_byte_geotiff_claiming_a_million_squared_samples_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 1e6 x 1e6 cells of 1e-6 degrees: one square degree, on the Earth.
    let bytes = tiff(
        geotiff_tags(1_000_000, 1_000_000, 1e-6, 6.0, 44.0, 3),
        &[0u8; 8],
    );
    assert!(bytes.len() < 300, "{}", bytes.len());
    let p = write(dir.path(), "huge.tif", &bytes);
    let e = refused(&capped(&["info", s(&p)]), "1e6 x 1e6");
    assert!(e.contains("huge.tif") && e.contains("1000000"), "{e}");
    // Even with the budget raised, the file's size gives the lie away.
    let e = refused(
        &capped(&["info", "--max-cells", "1000000000000", s(&p)]),
        "1e6 x 1e6 raised",
    );
    assert!(e.contains("file's") && e.contains("bytes can hold"), "{e}");
}

#[test]
fn a_geotiff_claiming_the_largest_u32_sides_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let n = u32::MAX;
    let p = write(
        dir.path(),
        "max.tif",
        // Cells of 1e-9 degrees: 4.3 degrees a side, on the Earth.
        &tiff(geotiff_tags(n, n, 1e-9, 6.0, 44.0, 3), &[0u8; 8]),
    );
    let e = refused(&capped(&["info", s(&p)]), "2^32-1 squared");
    assert!(e.contains("max.tif") && e.contains("4294967295"), "{e}");
}

#[test]
fn a_geotiff_claiming_forty_thousand_squared_fails_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "forty.tif",
        &tiff(geotiff_tags(40_000, 40_000, 1e-5, 6.0, 44.0, 3), &[0u8; 8]),
    );
    // 1 GiB of address space: a 6 GiB allocation would abort, not exit 2.
    let out = Command::new("prlimit")
        .args([
            "--as=1073741824",
            "--",
            bin(),
            "info",
            s(&p),
            "--max-cells",
            "2000000000",
        ])
        .output();
    match out {
        Ok(out) => {
            let e = refused(&out, "40000 squared under 1 GiB");
            assert!(e.contains("forty.tif"), "{e}");
        }
        Err(_) => eprintln!("SKIPPED: prlimit not found for the 1 GiB run"),
    }
}

#[test]
fn a_geokey_directory_claiming_a_billion_keys_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut tags = geotiff_tags(2, 2, 0.5, 6.0, 44.0, 3);
    // The tag's own count says 2^30 shorts follow (2 GiB); the file has 16.
    let mut bytes = tiff(std::mem::take(&mut tags), &[0u8; 8]);
    let ifd_at = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes(bytes[ifd_at..ifd_at + 2].try_into().unwrap()) as usize;
    let mut patched = false;
    for i in 0..n {
        let e = ifd_at + 2 + 12 * i;
        if u16::from_le_bytes(bytes[e..e + 2].try_into().unwrap()) == 34735 {
            bytes[e + 4..e + 8].copy_from_slice(&(1u32 << 30).to_le_bytes());
            patched = true;
        }
    }
    assert!(patched);
    let p = write(dir.path(), "keys.tif", &bytes);
    let e = refused(&capped(&["info", s(&p)]), "GeoKeyDirectory 2^30");
    assert!(
        e.contains("keys.tif") && e.contains("GeoKeyDirectory"),
        "{e}"
    );
}

#[test]
fn a_geotiff_tied_at_latitude_200_is_refused_not_written_into_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let data = [0u8; 8];
    let p = write(
        dir.path(),
        "lat200.tif",
        &tiff(geotiff_tags(2, 2, 0.5, 6.0, 200.0, 3), &data),
    );
    let e = refused(&capped(&["info", s(&p)]), "latitude 200");
    assert!(e.contains("lat200.tif") && e.contains("latitude"), "{e}");
    let out_png = dir.path().join("x.png");
    refused(
        &capped(&["hillshade", s(&p), "-o", s(&out_png)]),
        "hillshade lat 200",
    );
    assert!(!out_png.exists() && !dir.path().join("x.bounds.json").exists());
    // Longitudes past 360 likewise.
    let p = write(
        dir.path(),
        "lon400.tif",
        &tiff(geotiff_tags(2, 2, 0.5, 400.0, 44.0, 3), &data),
    );
    let e = refused(&capped(&["info", s(&p)]), "longitude 400");
    assert!(e.contains("longitude"), "{e}");
}

#[test]
fn a_mosaic_spanning_the_globe_in_tiny_cells_is_refused_with_real_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let data = [0u8; 8];
    let a = write(
        dir.path(),
        "a.tif",
        &tiff(geotiff_tags(2, 2, 1e-5, -179.0, 44.0, 3), &data),
    );
    let b = write(
        dir.path(),
        "b.tif",
        &tiff(geotiff_tags(2, 2, 1e-5, 179.0, 44.0, 3), &data),
    );
    // 358 degrees of 1e-5-degree cells: 35.8 M columns. Whatever the
    // reason given (budget, or tiles too far apart), the numbers are real.
    let e = refused(
        &capped(&["info", s(&a), s(&b), "--max-cells", "1000000"]),
        "globe mosaic",
    );
    assert!(!e.contains("0.0 GiB"), "{e}");
}

// ---------------------------------------------------------------------------
// Zips that lie, devices, FIFOs and symlinks.

/// A zip holding `N52W007.hgt` whose headers claim the SRTM3 size while its
/// deflate stream inflates to `real` zero bytes.
fn lying_zip(real: usize) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("N52W007.hgt", options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        let mut left = real;
        while left > 0 {
            let n = left.min(chunk.len());
            z.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        z.finish().unwrap();
    }
    let mut bytes = cursor.into_inner();
    let claim = (1201u32 * 1201 * 2).to_le_bytes();
    // Local header: uncompressed size at offset 22.
    assert_eq!(&bytes[0..4], b"PK\x03\x04");
    bytes[22..26].copy_from_slice(&claim);
    // Central directory entry: uncompressed size at offset 24.
    let cd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x01\x02")
        .expect("central directory");
    bytes[cd + 24..cd + 28].copy_from_slice(&claim);
    bytes
}

#[test]
fn a_zip_whose_header_lies_is_not_inflated_past_the_claim() {
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of zeros behind a header claiming an SRTM3 tile (2.9 MB).
    let p = write(dir.path(), "N52W007.hgt.zip", &lying_zip(1 << 30));
    assert!(std::fs::metadata(&p).unwrap().len() < 4 << 20);
    let started = Instant::now();
    let e = refused(&capped(&["info", s(&p)]), "lying zip");
    assert!(
        e.contains("N52W007.hgt.zip") && e.contains("inflates to more"),
        "{e}"
    );
    // Inflating the whole gigabyte would take seconds; stopping at the claim is quick.
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[cfg(unix)]
#[test]
fn dev_zero_as_a_tile_a_symlink_to_it_and_as_a_gazetteer_are_refused() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        eprintln!("SKIPPED: no /dev/zero");
        return;
    }
    let e = refused(
        &capped(&["info", "/dev/zero", "--origin", "52,-7"]),
        "/dev/zero tile",
    );
    assert!(
        e.contains("/dev/zero") && e.contains("character device"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("N52W007.hgt");
    std::os::unix::fs::symlink(zero, &link).unwrap();
    let e = refused(&capped(&["info", s(&link)]), "symlink to /dev/zero");
    assert!(
        e.contains("N52W007.hgt") && e.contains("character device"),
        "{e}"
    );
    let zip_link = dir.path().join("N52W006.hgt.zip");
    std::os::unix::fs::symlink(zero, &zip_link).unwrap();
    refused(&capped(&["info", s(&zip_link)]), "zip symlink to /dev/zero");
    let out = dir.path().join("out");
    let e = refused(
        &capped(&[
            "drop",
            TILE,
            "--peak",
            "Mount Leinster",
            "--gazetteer",
            "/dev/zero",
            "--out",
            s(&out),
        ]),
        "/dev/zero gazetteer",
    );
    assert!(
        e.contains("/dev/zero") && e.contains("character device"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_tile_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("N52W007.hgt");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: mkfifo not available");
        return;
    }
    let mut child = Command::new(bin())
        .args(["info", s(&fifo)])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("downhill blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let e = refused(&out, "FIFO");
    assert!(e.contains("FIFO"), "{e}");
}

#[test]
fn a_gazetteer_over_the_size_cap_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.csv");
    let f = std::fs::File::create(&p).unwrap();
    // Sparse: 65 MiB of claimed size, no disk used.
    f.set_len(downhill::peaks::MAX_GAZETTEER_BYTES + 1).unwrap();
    let out = dir.path().join("out");
    let e = refused(
        &capped(&[
            "drop",
            TILE,
            "--peak",
            "Mount Leinster",
            "--gazetteer",
            s(&p),
            "--out",
            s(&out),
        ]),
        "huge gazetteer",
    );
    assert!(e.contains("big.csv") && e.contains("gazetteer"), "{e}");
}

#[test]
fn a_gazetteer_from_standard_input_named_dash_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = Command::new(bin())
        .args([
            "-q",
            "drop",
            TILE,
            "--peak",
            "Hill Of Dashes",
            "--gazetteer",
            "-",
            "--json",
            "--out",
            s(&out),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Hill Of Dashes,52.6177,-6.78\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Hill Of Dashes"));
}

// ---------------------------------------------------------------------------
// Formulas and parameters: bounded work.

fn surface_drop(formula: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec![
        "drop",
        "--surface",
        formula,
        "--extent",
        "-1,-1,1,1",
        "--start",
        "0.5,0.5",
        "--alpha",
        "0.01",
        "--out",
        s(&out),
    ];
    args.extend(extra);
    let started = Instant::now();
    let o = capped(&args);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{formula:.40}: too slow"
    );
    o
}

#[test]
fn formulas_over_the_limits_are_refused_quickly_with_the_limit_named() {
    let nested = format!("{}x{}", "sin(".repeat(1000), ")".repeat(1000));
    let e = refused(&surface_drop(&nested, &[]), "1000 nested sin(");
    assert!(e.contains("--surface") && e.contains("characters"), "{e}");
    let nested = format!("{}x{}", "sin(".repeat(40), ")".repeat(40));
    let e = refused(&surface_drop(&nested, &[]), "40 nested sin(");
    assert!(e.contains("40 levels"), "{e}");
    let sum = vec!["x*y"; 500].join("+");
    let e = refused(&surface_drop(&sum, &[]), "500-term sum");
    assert!(e.contains("--surface"), "{e}");
    let sum = vec!["x*y"; 40].join("+");
    let e = refused(&surface_drop(&sum, &[]), "40-term sum");
    assert!(e.contains("operators"), "{e}");
    let tower = vec!["x"; 400].join("^");
    let e = refused(&surface_drop(&tower, &[]), "x^x^... tower");
    assert!(e.contains("--surface"), "{e}");
    // Within the limits, formulas still work.
    let sum = vec!["x*y"; 20].join("+");
    let o = surface_drop(
        &sum,
        &["--agent", "gd", "--max-steps", "1", "--format", "json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn snap_beyond_ten_km_is_refused_and_ten_km_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for snap in ["1e7", "1e308", "10000.5", "-1", "NaN"] {
        let arg = format!("--snap={snap}");
        let e = refused(
            &capped(&[
                "drop",
                TILE,
                "--peak",
                "Mount Leinster",
                &arg,
                "--out",
                s(&out),
            ]),
            snap,
        );
        assert!(e.contains("--snap") && e.contains("10000"), "{snap}: {e}");
    }
    let started = Instant::now();
    let o = capped(&[
        "-q",
        "drop",
        TILE,
        "--peak",
        "Mount Leinster",
        "--snap",
        "10000",
        "--agent",
        "gd",
        "--max-steps",
        "5",
        "--json",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(started.elapsed() < Duration::from_secs(60));
    // Within 10 km of the published summit (795 m) nothing on N52W007 is higher.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let z = v[0]["start"]["elevation"].as_f64().unwrap();
    assert!((z - 795.0).abs() < 10.0, "{z}");
}

#[test]
fn max_steps_beyond_the_memory_budget_is_refused_before_walking() {
    let e = refused(
        &surface_drop(
            "x^2 + y^2",
            &["--max-steps", "1000000000000", "--tolerance", "1e-300"],
        ),
        "1e12 steps",
    );
    assert!(
        e.contains("--max-steps") && e.contains("--max-cells"),
        "{e}"
    );
    // The same steps fit a budget large enough: the message's own figure.
    let e = refused(
        &surface_drop(
            "x^2 + y^2",
            &["--max-steps", "1000000", "--max-cells", "1000"],
        ),
        "tiny budget",
    );
    let most: u64 = e
        .split("give --max-steps ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .expect("a --max-steps figure");
    // 1000 cells x 64 bytes / 256 bytes a point / 3 agents = 83 points, 82 steps.
    assert_eq!(most, 1000 * 64 / 256 / 3 - 1, "{e}");
}

#[test]
fn resolution_beyond_the_cell_budget_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let e = refused(
        &capped(&[
            "basins",
            "--surface",
            "x^2 + y^2",
            "--extent",
            "-1,-1,1,1",
            "--resolution",
            "20000",
            "--out",
            s(&out),
        ]),
        "resolution 20000",
    );
    assert!(
        e.contains("--resolution 20000") && e.contains("--max-cells"),
        "{e}"
    );
    let e = refused(
        &capped(&[
            "basins",
            "--surface",
            "x^2 + y^2",
            "--extent",
            "-1,-1,1,1",
            "--resolution",
            "40",
            "--max-cells",
            "1000",
            "--out",
            s(&out),
        ]),
        "resolution 40 in 1000 cells",
    );
    assert!(e.contains("1600 cells (40 x 40)"), "{e}");
}

#[test]
fn every_reader_answers_to_the_cell_budget_and_stride_is_bounded() {
    let e = refused(
        &capped(&["info", TILE, "--max-cells", "1000000"]),
        "SRTM3 over budget",
    );
    assert!(
        e.contains("N52W007.hgt") && e.contains("1442401 cells (1201 x 1201)"),
        "{e}"
    );
    let o = capped(&["info", TILE, "--max-cells", "1442401"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let e = refused(
        &capped(&[
            "basins",
            TILE,
            "--stride",
            "99999999999999",
            "--out",
            s(&out),
        ]),
        "huge stride",
    );
    assert!(e.contains("--stride"), "{e}");
}

#[test]
fn basins_on_random_heights_stop_at_the_work_budget_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // An SRTM3 tile of uniformly random plausible heights (xorshift, 0..3000 m).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..1201 * 1201)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x % 3001) as i16).to_be_bytes()
        })
        .collect();
    let tile = write(dir.path(), "N10E010.hgt", &bytes);
    let out = dir.path().join("out");
    let started = Instant::now();
    let e = refused(
        &capped(&[
            "basins",
            s(&tile),
            "--max-total-steps",
            "2000000",
            "--out",
            s(&out),
        ]),
        "random heights",
    );
    assert!(
        e.contains("2000000 steps") && e.contains("--max-total-steps"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let written = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "a refused run wrote files");
    // An ordinary run is not touched by the default budget.
    let o = capped(&[
        "-q",
        "basins",
        TILE,
        "--fill",
        "--bbox=-6.9,52.5,-6.7,52.7",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

// ---------------------------------------------------------------------------
// Edges.

#[test]
fn an_exact_corner_sample_is_inside_the_tile() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for at in ["52.0,-7.0", "53.0,-6.0", "52.0,-6.0", "53.0,-7.0"] {
        let o = capped(&[
            "-q",
            "drop",
            TILE,
            "--at",
            at,
            "--agent",
            "gd",
            "--json",
            // The south-west corner is in the Celtic Sea; this checks bounds only.
            "--no-sea",
            "--out",
            s(&out),
        ]);
        assert!(
            o.status.success(),
            "{at}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // A thousandth of a degree out (1.2 cells) is still outside.
    let e = refused(
        &capped(&["drop", TILE, "--at", "51.999,-7.0", "--out", s(&out)]),
        "outside",
    );
    assert!(e.contains("outside"), "{e}");
}

#[test]
fn origins_off_the_earth_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tile.hgt");
    std::fs::copy(TILE, &p).unwrap();
    for origin in ["0,360", "90,180", "90,0", "0,180", "-91,0", "0,-181"] {
        let e = refused(&capped(&["info", s(&p), "--origin", origin]), origin);
        assert!(
            e.contains("--origin") || e.contains(origin),
            "{origin}: {e}"
        );
    }
    let o = capped(&["info", s(&p), "--origin", "89,179"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e = refused(&capped(&["drop", TILE, "--at", "52.5,200"]), "--at lon 200");
    assert!(e.contains("-180..180"), "{e}");
}

// ---------------------------------------------------------------------------
// One rule for every command that writes.

#[test]
fn hillshade_output_follows_the_no_clobber_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // -o DIR/ names a directory: an error, and no file named DIR.
    let target = d.join("shade");
    let arg = format!("{}/", s(&target));
    let e = refused(&capped(&["hillshade", TILE, "-o", &arg]), "-o dir/");
    assert!(e.contains("directory"), "{e}");
    assert!(!target.exists());
    std::fs::create_dir(&target).unwrap();
    refused(
        &capped(&["hillshade", TILE, "-o", s(&target)]),
        "-o existing dir",
    );
    assert!(target.is_dir());
    // A foreign file is not replaced without --force, and is with it.
    let png = d.join("relief.png");
    std::fs::write(&png, b"mine").unwrap();
    let e = refused(&capped(&["hillshade", TILE, "-o", s(&png)]), "foreign png");
    assert!(e.contains("relief.png") && e.contains("--force"), "{e}");
    assert_eq!(std::fs::read(&png).unwrap(), b"mine");
    let o = capped(&["-q", "hillshade", TILE, "-o", s(&png), "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
    // Its own file it replaces without --force.
    let o = capped(&["-q", "hillshade", TILE, "-o", s(&png)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A missing directory is named; no temporary's name leaks.
    let missing = d.join("missing_dir").join("x.png");
    let e = refused(
        &capped(&["hillshade", TILE, "-o", s(&missing)]),
        "missing dir",
    );
    assert!(
        e.contains("missing_dir") && !e.contains(".downhill-"),
        "{e}"
    );
}

#[test]
fn lab_writes_through_the_output_directory_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lab");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("quartic.png"), b"mine").unwrap();
    let e = refused(
        &capped(&["lab", "--out", s(&out), "--tile", TILE]),
        "lab foreign file",
    );
    assert!(e.contains("quartic.png") && e.contains("--force"), "{e}");
    assert_eq!(std::fs::read(out.join("quartic.png")).unwrap(), b"mine");
    assert!(
        !out.join("least-squares.png").exists(),
        "wrote before refusing"
    );
}

#[cfg(unix)]
#[test]
fn lab_figures_get_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lab");
    let o = capped(&[
        "-q",
        "lab",
        "--out",
        s(&out),
        "--tile",
        "/nonexistent/N52W007.hgt",
    ]);
    // The tile is missing, so the run fails at the last experiment and
    // publishes nothing: the figures come together or not at all.
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.join("least-squares.png").exists());
    let o = capped(&["-q", "lab", "--out", s(&out), "--tile", TILE]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Reference: the mode of a file created the ordinary way in the same place.
    let reference = out.join("reference");
    std::fs::write(&reference, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for f in [
        "least-squares.png",
        "quartic.png",
        "saddle.png",
        "leinster.png",
    ] {
        assert_eq!(mode(&out.join(f)), mode(&reference), "{f}");
    }
}

// ---------------------------------------------------------------------------
// Writes that cannot mix.

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".downhill-") && n.ends_with(".tmp"))
        .collect()
}

/// The start (lon, lat) of the first track in tracks.geojson and tracks.gpx.
fn starts(dir: &Path) -> ((f64, f64), (f64, f64)) {
    let gj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tracks.geojson")).unwrap())
            .unwrap();
    let line = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["geometry"]["type"] == "LineString")
        .unwrap();
    let p = &line["geometry"]["coordinates"][0];
    let from_json = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    let gpx = std::fs::read_to_string(dir.join("tracks.gpx")).unwrap();
    let at = gpx.find("<trkpt").unwrap();
    let attr = |name: &str| -> f64 {
        let key = format!("{name}=\"");
        let i = gpx[at..].find(&key).unwrap() + at + key.len();
        let j = gpx[i..].find('"').unwrap() + i;
        gpx[i..j].parse().unwrap()
    };
    (from_json, (attr("lon"), attr("lat")))
}

#[test]
fn four_concurrent_drops_into_one_directory_all_succeed_and_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for round in 0..3 {
        let ats = ["52.62,-6.78", "52.60,-6.70", "52.55,-6.85", "52.65,-6.75"];
        let children: Vec<_> = ats
            .iter()
            .map(|at| {
                Command::new(bin())
                    .args([
                        "-q",
                        "drop",
                        TILE,
                        "--at",
                        at,
                        "--agent",
                        "gd,momentum",
                        "--out",
                        s(&out),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let (json, gpx) = starts(&out);
        assert!(
            (json.0 - gpx.0).abs() < 1e-6 && (json.1 - gpx.1).abs() < 1e-6,
            "round {round}: tracks.geojson starts at {json:?}, tracks.gpx at {gpx:?}"
        );
        assert!(
            ats.iter().any(|a| {
                let (lat, lon) = a.split_once(',').unwrap();
                (lat.parse::<f64>().unwrap() - json.1).abs() < 1e-6
                    && (lon.parse::<f64>().unwrap() - json.0).abs() < 1e-6
            }),
            "{json:?} is none of the starts"
        );
        assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
    }
}

#[test]
fn a_killed_runs_temporaries_are_removed_by_the_next_run_but_not_while_it_lives() {
    use fs4::fs_std::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let stale = out.join(".downhill-AbC123.tmp");
    std::fs::write(&stale, b"half a track").unwrap();
    // While another run holds the directory, a new run waits and writes nothing.
    let lock = std::fs::File::open(&out).unwrap();
    FileExt::lock_exclusive(&lock).unwrap();
    let mut child = Command::new(bin())
        .args([
            "-q",
            "drop",
            TILE,
            "--at",
            "52.62,-6.78",
            "--agent",
            "gd",
            "--out",
            s(&out),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "did not wait for the lock"
    );
    assert!(stale.exists(), "removed a temporary a live run may own");
    assert!(!out.join("tracks.geojson").exists());
    FileExt::unlock(&lock).unwrap();
    drop(lock);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!stale.exists(), "the stale temporary is still there");
    assert!(temporaries(&out).is_empty());
    assert!(out.join("tracks.geojson").exists() && out.join("tracks.gpx").exists());
}

#[cfg(unix)]
#[test]
fn runs_killed_at_random_moments_never_leave_a_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Deterministic "random" moments from 0 to 600 ms.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..6 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut child = Command::new(bin())
            .args(["-q", "drop", TILE, "--at", "52.62,-6.78", "--out", s(&out)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(x % 600));
        let _ = child.kill();
        let _ = child.wait();
        for f in ["tracks.geojson", "tracks.gpx", "map.bounds.json"] {
            let p = out.join(f);
            if let Ok(text) = std::fs::read_to_string(&p) {
                if f.ends_with("json") {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .unwrap_or_else(|e| panic!("{f} corrupt: {e}"));
                } else {
                    assert!(text.trim_end().ends_with("</gpx>"), "{f} truncated");
                }
            }
        }
    }
    let o = capped(&["-q", "drop", TILE, "--at", "52.62,-6.78", "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
}

#[test]
fn peak_names_that_slug_to_dots_stay_inside_downhill_out() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let gazetteer = cwd.join("dots.csv");
    // "..", full-width dots, TWO DOT LEADER, "." and an empty-looking name.
    let names = [
        "..",
        "\u{FF0E}\u{FF0E}",
        "\u{2025}",
        ".",
        "/",
        "\u{2024}\u{2024}",
    ];
    let mut csv = String::from("name,lat,lon\n");
    for n in names {
        csv.push_str(&format!("\"{n}\",52.6177,-6.78\n"));
    }
    std::fs::write(&gazetteer, csv).unwrap();
    let tile = data("N52W007.hgt");
    for n in names {
        let o = capped_in(
            Some(cwd),
            &[
                "-q",
                "drop",
                s(&tile),
                "--peak",
                n,
                "--gazetteer",
                s(&gazetteer),
                "--agent",
                "gd",
            ],
        );
        // "." and "/" fold to nothing as names; those may be unknown peaks.
        if !o.status.success() {
            refused(&o, n);
            continue;
        }
        assert!(
            !cwd.join("tracks.geojson").exists(),
            "{n:?} wrote into the working directory"
        );
        assert!(
            !dir.path()
                .join("downhill-out")
                .join("tracks.geojson")
                .exists(),
            "{n:?}"
        );
        assert!(
            cwd.join("downhill-out")
                .join("peak")
                .join("tracks.geojson")
                .exists(),
            "{n:?}"
        );
    }
}
