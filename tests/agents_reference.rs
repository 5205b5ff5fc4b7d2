//! Agents checked against optimisation theory and hand-iterated steps.

use downhill::agents::{Agent, AgentKind, StepParams, StopReason, StopRules};
use downhill::dem::{Crs, Dem, GeoTransform};
use downhill::geo::Xy;
use downhill::terrain::{GradientScheme, Surface, Terrain, Vector};
use ndarray::Array2;

/// A projected grid (10 m cells) holding h(x, y) = (a x² + b y²) / 2 over
/// x in [-1000, 1000] m, y in [-ymax, ymax] m.
fn bowl(a: f64, b: f64, ymax: f64) -> Terrain {
    let cell = 10.0;
    let (cols, rows) = (201usize, (2.0 * ymax / cell) as usize + 1);
    let heights = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let x = -1000.0 + c as f64 * cell;
        let y = ymax - r as f64 * cell;
        (0.5 * (a * x * x + b * y * y)) as f32
    });
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(-1000.0, ymax, cell, cell),
        crs: Crs::Projected {
            epsg: 32631,
            proj: String::new(),
        },
        inputs: vec![],
    };
    Terrain::new(dem, GradientScheme::Central).unwrap()
}

/// A plane rising 0.1 m/m eastwards.
fn ramp() -> Terrain {
    ramp_of(0.1)
}

/// A plane rising `slope` m/m eastwards, x from 0 to 490 m.
fn ramp_of(slope: f64) -> Terrain {
    let heights = Array2::from_shape_fn((50, 50), |(_, c)| (c as f64 * 10.0 * slope) as f32);
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(0.0, 0.0, 10.0, 10.0),
        crs: Crs::Projected {
            epsg: 32631,
            proj: String::new(),
        },
        inputs: vec![],
    };
    Terrain::new(dem, GradientScheme::Central).unwrap()
}

fn agent(kind: AgentKind, alpha: f64, beta: f64) -> Agent {
    Agent {
        kind,
        params: StepParams::new(alpha, beta).unwrap(),
    }
}

fn steps_to_within(track: &downhill::agents::Track, radius: f64) -> Option<usize> {
    track
        .points
        .iter()
        .position(|p| p.position.x.hypot(p.position.y) < radius)
}

#[test]
fn the_walker_reaches_the_bottom_of_a_bowl() {
    let t = bowl(1e-3, 1e-2, 300.0);
    let rules = StopRules {
        tolerance_m: 1e-4,
        ..StopRules::default()
    };
    let track = agent(AgentKind::Gd, 50.0, 0.0)
        .descend(&t, Xy::new(700.0, 200.0), Vector::ZERO, &rules)
        .unwrap();
    assert_eq!(track.stop_reason, StopReason::Converged);
    let end = track.points.last().unwrap();
    assert!(end.position.x.hypot(end.position.y) < 0.2, "{end:?}");
    assert!(end.elevation < 0.01);
    // Plain gradient descent never goes uphill on a convex bowl with a stable step.
    assert!(track
        .points
        .windows(2)
        .all(|w| w[1].elevation <= w[0].elevation + 1e-6));
}

#[test]
fn heavy_ball_beats_the_walker_on_an_ill_conditioned_bowl() {
    // Condition number κ = b / a = 100. Theory (Polyak 1964): gradient descent
    // with its best step 2/(a+b) contracts by (κ-1)/(κ+1) per step; the heavy
    // ball with α = 4/(√a+√b)², β = ((√κ-1)/(√κ+1))² by (√κ-1)/(√κ+1).
    let (a, b) = (1e-3, 1e-1);
    // The optimal ball overshoots across the narrow axis at first (1 - αb ≈ -2.3): give it room.
    let t = bowl(a, b, 300.0);
    let rules = StopRules {
        tolerance_m: 1e-6,
        max_steps: 5000,
        ..StopRules::default()
    };
    let start = Xy::new(800.0, 20.0);
    let gd = agent(AgentKind::Gd, 2.0 / (a + b), 0.0);
    let kappa: f64 = b / a;
    let beta = ((kappa.sqrt() - 1.0) / (kappa.sqrt() + 1.0)).powi(2);
    let hb = agent(
        AgentKind::Momentum,
        4.0 / (a.sqrt() + b.sqrt()).powi(2),
        beta,
    );
    let gd_track = gd.descend(&t, start, Vector::ZERO, &rules).unwrap();
    let hb_track = hb.descend(&t, start, Vector::ZERO, &rules).unwrap();
    let gd_steps = steps_to_within(&gd_track, 1.0).unwrap();
    let hb_steps = steps_to_within(&hb_track, 1.0).unwrap();
    // Predicted: ln(800/1)/ln(101/99) ≈ 335 steps for gd, ≈ 35 for the ball.
    assert!((250..=420).contains(&gd_steps), "gd took {gd_steps}");
    assert!(
        hb_steps * 4 < gd_steps,
        "heavy ball {hb_steps} vs gd {gd_steps}"
    );
}

#[test]
fn momentum_and_nesterov_steps_match_hand_iteration_on_a_plane() {
    // Constant gradient g = (0.1, 0): v1 = -αg, v2 = βv1 - αg, x2 = x0 + v1 + v2.
    let t = ramp();
    let (alpha, beta) = (20.0, 0.5);
    let rules = StopRules {
        max_steps: 2,
        ..StopRules::default()
    };
    let x0 = Xy::new(250.0, -250.0);
    for kind in [AgentKind::Momentum, AgentKind::Nesterov] {
        let tr = agent(kind, alpha, beta)
            .descend(&t, x0, Vector::ZERO, &rules)
            .unwrap();
        assert_eq!(tr.stop_reason, StopReason::MaxSteps);
        let v1 = -alpha * 0.1;
        let v2 = beta * v1 - alpha * 0.1;
        assert!(
            (tr.points[1].position.x - (250.0 + v1)).abs() < 1e-9,
            "{kind}"
        );
        assert!(
            (tr.points[2].position.x - (250.0 + v1 + v2)).abs() < 1e-9,
            "{kind}"
        );
        assert!((tr.points[2].elevation - 0.1 * (250.0 + v1 + v2)).abs() < 1e-3);
    }
    // The walker ignores β and any initial velocity.
    let tr = agent(AgentKind::Gd, alpha, 0.0)
        .descend(&t, x0, Vector::new(5.0, 5.0), &rules)
        .unwrap();
    assert!((tr.points[2].position.x - (250.0 - 2.0 * alpha * 0.1)).abs() < 1e-9);
}

#[test]
fn an_initial_velocity_carries_the_ball() {
    let t = ramp();
    let rules = StopRules {
        max_steps: 1,
        ..StopRules::default()
    };
    let tr = agent(AgentKind::Momentum, 10.0, 0.5)
        .descend(&t, Xy::new(250.0, -250.0), Vector::new(0.0, -4.0), &rules)
        .unwrap();
    // v1 = β v0 - α g = (-1, -2)
    let p = tr.points[1].position;
    assert!(
        (p.x - 249.0).abs() < 1e-9 && (p.y + 252.0).abs() < 1e-9,
        "{p:?}"
    );
}

#[test]
fn stop_rules_report_why() {
    let t = ramp();
    let start = Xy::new(250.0, -250.0);
    let walker = agent(AgentKind::Gd, 20.0, 0.0);
    // Walking west down the ramp until the raster ends.
    let tr = walker
        .descend(&t, start, Vector::ZERO, &StopRules::default())
        .unwrap();
    assert_eq!(tr.stop_reason, StopReason::Edge);
    assert!(tr.points.iter().all(|p| p.position.x >= 0.0));
    // Below a threshold height: the ramp is 15 m high at x = 150 m.
    let rules = StopRules {
        stop_below: Some(15.0),
        ..StopRules::default()
    };
    let tr = walker.descend(&t, start, Vector::ZERO, &rules).unwrap();
    assert_eq!(tr.stop_reason, StopReason::Below);
    assert!(tr.points.last().unwrap().elevation < 15.0);
    assert!(tr.points[tr.points.len() - 2].elevation >= 15.0);
    // Non-finite steps: α ∇h overflows.
    let tr = agent(AgentKind::Gd, f64::MAX, 0.0)
        .descend(&ramp_of(2.0), start, Vector::ZERO, &StopRules::default())
        .unwrap();
    assert_eq!(tr.stop_reason, StopReason::Diverged);
}

#[test]
fn physical_parameters_follow_the_euler_mapping() {
    let p = StepParams::physical(0.5, 0.01).unwrap();
    assert!((p.alpha - 9.80665 * 0.25).abs() < 1e-12);
    assert!((p.beta - 0.995).abs() < 1e-12);
    for (dt, gamma) in [
        (1.0, 0.0),
        (1.0, -0.1),
        (2.0, 0.6),
        (0.0, 0.1),
        (f64::NAN, 0.1),
    ] {
        assert!(
            StepParams::physical(dt, gamma).is_err(),
            "dt {dt} gamma {gamma}"
        );
    }
    let err = StepParams::new(1.0, 1.2).unwrap_err().to_string();
    assert!(err.contains("β") && err.contains("diverge"), "{err}");
    assert!(StepParams::new(0.0, 0.5).is_err());
    assert!(StepParams::new(-1.0, 0.5).is_err());
    assert!(StepParams::new(1.0, -0.1).is_err());
}

#[test]
fn starts_off_the_grid_are_refused() {
    let t = ramp();
    let err = Agent::new(AgentKind::Gd)
        .descend(
            &t,
            Xy::new(-100.0, 0.0),
            Vector::ZERO,
            &StopRules::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
    assert!(t.elevation(Xy::new(-100.0, 0.0)).is_err());
}
