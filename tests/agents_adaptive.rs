//! AdaGrad, RMSprop and Adam: hand-iterated steps, a quadratic bowl, and
//! the real terrain of N52W007.

use downhill::agents::{Agent, AgentKind, StepParams, StopReason, StopRules};
use downhill::analytic::AnalyticSurface;
use downhill::dem::{self, LoadOptions};
use downhill::geo::Xy;
use downhill::lab::fixed_iterations;
use downhill::terrain::{GradientScheme, Terrain, Vector};

/// f = x² + 3y², ∇f = (2x, 6y).
fn bowl() -> AnalyticSurface {
    AnalyticSurface::parse("x^2 + 3*y^2", [-3.0, -3.0, 3.0, 3.0]).unwrap()
}

fn agent(kind: AgentKind, alpha: f64, beta: f64) -> Agent {
    Agent {
        kind,
        params: StepParams::new(alpha, beta).unwrap(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn adam_matches_two_steps_by_hand() {
    let (alpha, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-8);
    let track = agent(AgentKind::Adam, alpha, b1)
        .descend(
            &bowl(),
            Xy::new(1.0, 1.0),
            Vector::ZERO,
            &fixed_iterations(2),
        )
        .unwrap();
    // Kingma & Ba, per axis: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
    // x -= alpha (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps).
    let grad = |x: f64, y: f64| [2.0 * x, 6.0 * y];
    let (mut x, mut m, mut v) = ([1.0, 1.0], [0.0; 2], [0.0; 2]);
    for t in 1..=2 {
        let g = grad(x[0], x[1]);
        for i in 0..2 {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let mh = m[i] / (1.0 - f64::powi(b1, t));
            let vh = v[i] / (1.0 - f64::powi(b2, t));
            x[i] -= alpha * mh / (vh.sqrt() + eps);
        }
        let p = track.points[t as usize].position;
        assert!(
            close(p.x, x[0]) && close(p.y, x[1]),
            "step {t}: {p:?} vs {x:?}"
        );
    }
    // The first Adam step is alpha along each axis whatever the slope (up to ε).
    let first = track.points[1].position;
    assert!((first.x - 0.9).abs() < 1e-8 && (first.y - 0.9).abs() < 1e-8);
}

#[test]
fn adagrad_and_rmsprop_match_two_steps_by_hand() {
    let (alpha, rho, eps) = (0.2, 0.9, 1e-8);
    let start = Xy::new(1.0, -0.5);
    let grad = |x: [f64; 2]| [2.0 * x[0], 6.0 * x[1]];
    // AdaGrad: G += g²; x -= alpha g / (sqrt(G) + eps).
    let ada = agent(AgentKind::Adagrad, alpha, 0.0)
        .descend(&bowl(), start, Vector::ZERO, &fixed_iterations(2))
        .unwrap();
    let (mut x, mut big_g) = ([1.0, -0.5], [0.0; 2]);
    for k in 1..=2 {
        let g = grad(x);
        for i in 0..2 {
            big_g[i] += g[i] * g[i];
            x[i] -= alpha * g[i] / (big_g[i].sqrt() + eps);
        }
        let p = ada.points[k].position;
        assert!(close(p.x, x[0]) && close(p.y, x[1]), "adagrad step {k}");
    }
    // RMSprop: s = rho s + (1-rho) g²; x -= alpha g / (sqrt(s) + eps).
    let rms = agent(AgentKind::Rmsprop, alpha, rho)
        .descend(&bowl(), start, Vector::ZERO, &fixed_iterations(2))
        .unwrap();
    let (mut x, mut s) = ([1.0, -0.5], [0.0; 2]);
    for k in 1..=2 {
        let g = grad(x);
        for i in 0..2 {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            x[i] -= alpha * g[i] / (s[i].sqrt() + eps);
        }
        let p = rms.points[k].position;
        assert!(close(p.x, x[0]) && close(p.y, x[1]), "rmsprop step {k}");
    }
}

#[test]
fn adaptive_agents_reach_the_bottom_of_a_bowl() {
    // The minimum of x² + 3y² is (0, 0).
    for (kind, alpha, beta, tol) in [
        (AgentKind::Adagrad, 0.5, 0.0, 1e-3),
        (AgentKind::Rmsprop, 0.01, 0.9, 0.02),
        (AgentKind::Adam, 0.05, 0.9, 1e-3),
    ] {
        let t = agent(kind, alpha, beta)
            .descend(
                &bowl(),
                Xy::new(2.0, -1.5),
                Vector::ZERO,
                &fixed_iterations(3000),
            )
            .unwrap();
        let end = t.points.last().unwrap().position;
        assert!(end.x.hypot(end.y) < tol, "{kind} ended at {end:?}");
    }
}

#[test]
fn adaptive_agents_descend_the_real_terrain() {
    let grid = dem::open("data/N52W007.hgt".as_ref(), &LoadOptions::default()).unwrap();
    let terrain = Terrain::new(grid, GradientScheme::Central).unwrap();
    let summit = Xy::new(-6.78, 52.6177);
    let rules = StopRules {
        max_steps: 3000,
        ..StopRules::default()
    };
    for kind in [AgentKind::Adagrad, AgentKind::Rmsprop, AgentKind::Adam] {
        let t = Agent::new(kind)
            .descend(&terrain, summit, Vector::ZERO, &rules)
            .unwrap();
        let s = t.summary(&terrain);
        assert!(t.steps() > 10, "{kind} took {} steps", t.steps());
        assert!(
            s.drop_m > 100.0,
            "{kind} dropped only {} m ({})",
            s.drop_m,
            s.stop_reason
        );
        assert_ne!(s.stop_reason, StopReason::Diverged);
    }
}

#[test]
fn bad_adaptive_parameters_are_refused_with_their_name() {
    let mut p = StepParams::new(0.1, 0.9).unwrap();
    p.beta2 = Some(1.0);
    let e = Agent {
        kind: AgentKind::Adam,
        params: p,
    }
    .descend(
        &bowl(),
        Xy::new(1.0, 1.0),
        Vector::ZERO,
        &StopRules::default(),
    )
    .unwrap_err();
    // The library names its own parameter (the CLI maps it to a flag).
    assert!(
        matches!(&e, downhill::Error::Invalid(i) if i.parameter == "beta2" && i.value == "1"),
        "{e}"
    );
    p.beta2 = None;
    p.epsilon = Some(0.0);
    let e = p.validate().unwrap_err();
    assert!(
        matches!(&e, downhill::Error::Invalid(i) if i.parameter == "epsilon"),
        "{e}"
    );
}
