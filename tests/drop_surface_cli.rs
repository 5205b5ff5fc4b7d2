//! `downhill drop --surface`: the summary in the formula's own units, and a
//! hint when the step size is out of scale with the formula.

mod common;

use common::{assert_success, downhill};

fn drop(extra: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = downhill()
        .args([
            "drop",
            "--surface",
            "x^2 + 3*y^2",
            "--extent=-2,-2,2,2",
            "--start",
            "1,1",
        ])
        .args(extra)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_success(&out);
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn terrain_step_sizes_on_a_unit_formula_get_a_hint_with_a_working_alpha() {
    let (table, stderr) = drop(&[]);
    // No metres on a formula.
    assert!(!table.contains("(m)") && !table.contains(" km"), "{table}");
    assert!(table.lines().next().unwrap().contains("end z"), "{table}");
    // ∇f(1, 1) = (2, 6), |∇f| = 6.32; a twentieth of the 4-wide extent
    // per first step is α = 0.2 / 6.32 = 0.0316, by hand.
    assert!(
        stderr.contains("left the extent on the first step"),
        "{stderr}"
    );
    assert!(stderr.contains("--alpha 0.032"), "{stderr}");

    let (table, stderr) = drop(&["--agent", "gd", "--alpha", "0.032"]);
    assert!(!stderr.contains("hint"), "{stderr}");
    let gd = table.lines().nth(1).unwrap();
    assert!(gd.contains("converged"), "{table}");
    // It ends at the minimum f(0, 0) = 0: the end z is a small number.
    let end_z: f64 = gd.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(end_z.abs() < 0.01, "{table}");
}
