//! `downhill lab` writes four readable PNG figures and reports the final points.

use assert_cmd::Command;

#[test]
fn lab_writes_four_figures_and_the_quartic_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("downhill")
        .unwrap()
        .args(["lab", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    // 9/4, the closed-form minimum of x⁴ - 3x³ + 2.
    assert!(text.contains("x = 2.250000000000"), "{text}");
    for name in ["least-squares", "quartic", "saddle", "leinster"] {
        let path = dir.path().join(format!("{name}.png"));
        let img = image::open(&path).unwrap().to_rgb8();
        assert!(img.width() >= 800 && img.height() >= 600, "{name}");
        // Not a blank canvas: many distinct colours were drawn.
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 50, "{name}: {} colours", colours.len());
    }
}

#[test]
fn lab_names_a_missing_tile() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("downhill")
        .unwrap()
        .args(["lab", "--tile", "no/such/N52W007.hgt", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("no/such/N52W007.hgt"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// The mode a file created the ordinary way gets here (umask applied).
#[cfg(unix)]
fn ordinary_mode(dir: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let reference = dir.join("reference.txt");
    std::fs::write(&reference, b"x").unwrap();
    let mode = std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
    std::fs::remove_file(&reference).unwrap();
    mode
}

#[test]
fn lab_refuses_to_replace_a_file_it_did_not_write_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("quartic.png");
    std::fs::write(&mine, b"my own picture").unwrap();
    let out = Command::cargo_bin("downhill")
        .unwrap()
        .args(["lab", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("quartic.png"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&mine).unwrap(), b"my own picture");
    // Nothing else was published either: the figures go out together.
    for name in ["least-squares", "saddle", "leinster"] {
        assert!(!dir.path().join(format!("{name}.png")).exists(), "{name}");
    }

    Command::cargo_bin("downhill")
        .unwrap()
        .args(["lab", "--quiet", "--force", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(
        image::open(&mine).is_ok(),
        "--force replaces it with the figure"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let want = ordinary_mode(dir.path());
        for name in ["least-squares", "quartic", "saddle", "leinster"] {
            let path = dir.path().join(format!("{name}.png"));
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, want, "{name}.png has mode {mode:o}, not {want:o}");
        }
    }
}
