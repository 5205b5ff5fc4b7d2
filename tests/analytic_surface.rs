//! Analytic surfaces: exact gradients against derivatives worked by hand,
//! the planar geometry, rasterising, and the JSON track writer.

use downhill::agents::{Agent, AgentKind, StopRules};
use downhill::analytic::{refuse_geographic_export, tracks_json, AnalyticSurface};
use downhill::dem::Crs;
use downhill::geo::Xy;
use downhill::terrain::{Obstacle, Surface, Vector};

const BOX: [f64; 4] = [-3.0, -3.0, 3.0, 3.0];

#[test]
fn gradients_match_hand_derivatives() {
    type Hand = fn(f64, f64) -> (f64, f64);
    let cases: [(&str, Hand); 6] = [
        ("x^4 - 2*x^2 + y^2", |x, y| {
            (4.0 * x.powi(3) - 4.0 * x, 2.0 * y)
        }),
        ("x^4 - 3*x^3 + 2", |x, _| {
            (4.0 * x.powi(3) - 9.0 * x * x, 0.0)
        }),
        ("(1 - x)^2 + 100*(y - x^2)^2", |x, y| {
            (
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            )
        }),
        ("sin(x) * cos(2*y)", |x, y| {
            (x.cos() * (2.0 * y).cos(), -2.0 * x.sin() * (2.0 * y).sin())
        }),
        ("exp(-(x^2 + y^2) / 2)", |x, y| {
            let e = (-(x * x + y * y) / 2.0).exp();
            (-x * e, -y * e)
        }),
        ("3*y - 0.5*y^3", |_, y| (0.0, 3.0 - 1.5 * y * y)),
    ];
    for (expr, hand) in cases {
        let s = AnalyticSurface::parse(expr, BOX).unwrap();
        for &(x, y) in &[(-1.5, -1.5), (0.3, 0.7), (1.1, -0.2), (-0.9, 2.4)] {
            let g = s.gradient(Xy::new(x, y)).unwrap();
            let (gx, gy) = hand(x, y);
            let ok = |a: f64, b: f64| (a - b).abs() <= 1e-10 * (1.0 + b.abs());
            assert!(
                ok(g.east, gx) && ok(g.north, gy),
                "{expr} at ({x}, {y}): {g:?} vs ({gx}, {gy})"
            );
        }
    }
}

#[test]
fn geometry_is_planar_and_bounded_by_the_extent() {
    let s = AnalyticSurface::parse("x*y", [-1.0, 0.0, 2.0, 1.0]).unwrap();
    let p = s.displace(Xy::new(0.5, 0.5), Vector::new(0.25, -0.5));
    assert_eq!(p, Xy::new(0.75, 0.0));
    assert_eq!(s.distance(Xy::new(0.0, 0.0), Xy::new(3.0, 4.0)), 5.0);
    assert!(s.lon_lat(p).is_none());
    assert_eq!(s.elevation(Xy::new(2.0, 1.0)), Ok(2.0));
    assert_eq!(s.elevation(Xy::new(2.01, 0.5)), Err(Obstacle::Outside));
    assert_eq!(s.gradient(Xy::new(0.0, -0.1)), Err(Obstacle::Outside));
    // ln of a negative number is a hole, not a panic.
    let ln = AnalyticSurface::parse("ln(x)", [-1.0, -1.0, 1.0, 1.0]).unwrap();
    assert_eq!(ln.elevation(Xy::new(-0.5, 0.0)), Err(Obstacle::Void));
}

#[test]
fn bad_formulas_and_extents_are_explained() {
    let msg = |e: &str, ext| AnalyticSurface::parse(e, ext).unwrap_err().to_string();
    assert!(msg("x + t", BOX).contains("'t'"));
    assert!(msg("x + (y", BOX).contains("x + (y"));
    // A bad box is a structured error on the library's `extent` parameter
    // (the CLI names it --extent).
    for bad in [[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, f64::NAN, 1.0]] {
        match AnalyticSurface::parse("x", bad).unwrap_err() {
            downhill::Error::Invalid(e) => assert_eq!(e.parameter, "extent", "{e}"),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn rasterised_surface_holds_the_formula_on_a_planar_grid() {
    let s = AnalyticSurface::parse("x^2 - y", [0.0, -2.0, 4.0, 2.0]).unwrap();
    let dem = s.to_dem(9);
    assert_eq!(dem.crs, Crs::Planar);
    assert_eq!(dem.crs.label(), "planar");
    assert!(!dem.crs.is_geographic());
    assert_eq!(dem.bounds().to_array(), [-0.25, -2.25, 4.25, 2.25]);
    for r in 0..9 {
        for c in 0..9 {
            // Column c is x = c/2, row r is y = 2 - r/2.
            let (x, y) = (c as f64 / 2.0, 2.0 - r as f64 / 2.0);
            assert_eq!(dem.heights[[r, c]], (x * x - y) as f32);
        }
    }
}

#[test]
fn track_json_holds_planar_points() {
    let s = AnalyticSurface::parse("x^2 + y^2", BOX).unwrap();
    let start = Xy::new(1.0, 2.0);
    let rules = StopRules {
        max_steps: 3,
        ..StopRules::default()
    };
    let t = Agent::new(AgentKind::Gd).descend(&s, start, Vector::ZERO, &rules);
    // The default walker (alpha 10) leaves this small box at once: the run
    // ends at the edge after the start, which is still a valid track.
    let t = t.unwrap();
    let v: serde_json::Value = serde_json::from_str(&tracks_json(&[t], &s)).unwrap();
    let first = &v["tracks"][0];
    assert_eq!(first["agent"], "gd");
    assert_eq!(first["points"][0]["x"], 1.0);
    assert_eq!(first["points"][0]["y"], 2.0);
    assert_eq!(first["points"][0]["elevation"], 5.0);
    assert_eq!(first["summary"]["start"]["x"], 1.0);
    assert!(first["summary"]["start"].get("lon").is_none());
    let e = refuse_geographic_export("GPX").to_string();
    assert!(e.contains("GPX") && e.contains("CSV or JSON"), "{e}");
}
