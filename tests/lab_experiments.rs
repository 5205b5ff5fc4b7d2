//! The lab's experiments against closed forms and steps iterated by hand.

use downhill::agents::AgentKind;
use downhill::analytic::AnalyticSurface;
use downhill::geo::Xy;
use downhill::lab::{self, least_squares, quartic, run_exactly, saddle};
use downhill::terrain::Vector;

#[test]
fn quartic_ball_settles_at_nine_quarters_after_steps_by_hand() {
    let s = quartic::surface().unwrap();
    let t = quartic::run(&s).unwrap();
    assert_eq!(t.steps(), 100);
    // f'(x) = 4x³ - 9x² vanishes at 9/4 (and at the flat inflection 0).
    let end = t.points[100].position.x;
    assert!((end - 2.25).abs() < 1e-9, "ended at {end}");
    // v ← 0.5 v - 0.1 f'(x); x ← x + v, from x = -0.5, v = 0.
    let fp = |x: f64| 4.0 * x * x * x - 9.0 * x * x;
    let (mut x, mut v) = (-0.5f64, 0.0f64);
    for k in 1..=5 {
        v = 0.5 * v - 0.1 * fp(x);
        x += v;
        assert!((t.points[k].position.x - x).abs() < 1e-13, "step {k}");
        assert_eq!(t.points[k].position.y, 0.0);
    }
    // First step by pencil: f'(-0.5) = -2.75, so x1 = -0.5 + 0.275.
    assert!((t.points[1].position.x + 0.225).abs() < 1e-15);
}

#[test]
fn ball_on_the_saddle_line_stays_there_unless_kicked() {
    let s = saddle::surface().unwrap();
    for kind in [AgentKind::Momentum, AgentKind::Nesterov] {
        let runs = saddle::run(&s, kind).unwrap();
        let at = |start: (f64, f64), kicked: bool| {
            runs.iter()
                .find(|r| (r.start.x, r.start.y) == start && (r.v0.norm() > 0.0) == kicked)
                .unwrap()
                .track
                .points
                .last()
                .unwrap()
                .position
        };
        // ∂f/∂x = 4x³ - 4x is exactly 0 on x = 0: the ball slides to the saddle.
        let still = at((0.0, 1.0), false);
        assert_eq!(still.x, 0.0, "{kind}");
        assert!(still.y.abs() < 1e-6, "{kind}: {still:?}");
        // Minima of x⁴ - 2x² + y² are (±1, 0).
        for (start, kicked, x_end) in [
            ((0.0, 1.0), true, 1.0),
            ((0.01, 1.0), false, 1.0),
            ((1.5, 1.5), false, 1.0),
            ((-1.5, -1.5), false, -1.0),
        ] {
            let e = at(start, kicked);
            assert!(
                (e.x - x_end).abs() < 1e-6 && e.y.abs() < 1e-6,
                "{kind} from {start:?}: {e:?}"
            );
        }
    }
}

#[test]
fn momentum_and_nesterov_match_steps_by_hand() {
    let s = saddle::surface().unwrap();
    let grad = |p: [f64; 2]| [4.0 * p[0].powi(3) - 4.0 * p[0], 2.0 * p[1]];
    let (a, b) = (0.1, 0.5);
    let start = Xy::new(-1.5, -1.5);
    let m = run_exactly(&s, AgentKind::Momentum, (a, b), start, Vector::ZERO, 4).unwrap();
    let n = run_exactly(&s, AgentKind::Nesterov, (a, b), start, Vector::ZERO, 4).unwrap();
    let (mut xm, mut vm) = ([-1.5, -1.5], [0.0; 2]);
    let (mut xn, mut vn) = ([-1.5, -1.5], [0.0; 2]);
    for k in 1..=4 {
        // Heavy ball: v ← βv - α∇f(x); Nesterov: v ← βv - α∇f(x + βv).
        let g = grad(xm);
        let ahead = [xn[0] + b * vn[0], xn[1] + b * vn[1]];
        let gn = grad(ahead);
        for i in 0..2 {
            vm[i] = b * vm[i] - a * g[i];
            xm[i] += vm[i];
            vn[i] = b * vn[i] - a * gn[i];
            xn[i] += vn[i];
        }
        let (pm, pn) = (m.points[k].position, n.points[k].position);
        assert!((pm.x - xm[0]).abs() < 1e-13 && (pm.y - xm[1]).abs() < 1e-13);
        assert!((pn.x - xn[0]).abs() < 1e-13 && (pn.y - xn[1]).abs() < 1e-13);
    }
}

#[test]
fn nesterov_overshoots_less_than_momentum() {
    // Count how often x crosses the minimum x = 1 coming from (1.5, 1.5).
    let s = saddle::surface().unwrap();
    let crossings = |kind| {
        let t = run_exactly(&s, kind, (0.1, 0.5), Xy::new(1.5, 1.5), Vector::ZERO, 100).unwrap();
        let ys: Vec<f64> = t.points.iter().map(|p| p.position.y).collect();
        ys.windows(2).filter(|w| w[0] * w[1] < 0.0).count()
    };
    let (m, n) = (
        crossings(AgentKind::Momentum),
        crossings(AgentKind::Nesterov),
    );
    assert!(n < m, "crossings of y = 0: nesterov {n}, momentum {m}");
}

#[test]
fn fixed_iterations_run_exactly_n_steps_even_at_rest() {
    // At the minimum of a bowl every step is zero: the run must still last n steps.
    let s = AnalyticSurface::parse("x^2 + y^2", [-1.0, -1.0, 1.0, 1.0]).unwrap();
    for n in [1, 7, 250] {
        let t = run_exactly(
            &s,
            AgentKind::Momentum,
            (0.1, 0.5),
            Xy::new(0.0, 0.0),
            Vector::ZERO,
            n,
        )
        .unwrap();
        assert_eq!(t.steps(), n);
    }
    assert_eq!(lab::fixed_iterations(9).max_steps, 9);
}

// ---- least squares against the eigen-decomposition of AᵀA ----

/// Cyclic Jacobi: eigenvalues and eigenvectors (columns of V) of a symmetric matrix.
/// Written with indices as in the textbooks, the easier to check by eye.
#[allow(clippy::needless_range_loop)]
fn jacobi(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|p| ((p + 1)..n).map(move |q| (p, q)))
            .map(|(p, q)| a[p][q] * a[p][q])
            .sum();
        if off < 1e-26 {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                if a[p][q] == 0.0 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (kp, kq) = (a[k][p], a[k][q]);
                    a[k][p] = c * kp - s * kq;
                    a[k][q] = s * kp + c * kq;
                }
                for k in 0..n {
                    let (pk, qk) = (a[p][k], a[q][k]);
                    a[p][k] = c * pk - s * qk;
                    a[q][k] = s * pk + c * qk;
                }
                for row in v.iter_mut() {
                    let (kp, kq) = (row[p], row[q]);
                    row[p] = c * kp - s * kq;
                    row[q] = s * kp + c * kq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i][i]).collect(), v)
}

/// Error along one eigenvector after k steps of heavy ball with v₀ = 0,
/// from the closed form of e_{k+1} = (1 + β - αλ) e_k - β e_{k-1},
/// e₀ = c, e₁ = (1 - αλ) c.
fn mode_after(c: f64, alpha: f64, beta: f64, lambda: f64, k: i32) -> f64 {
    let tr = 1.0 + beta - alpha * lambda;
    let e1 = (1.0 - alpha * lambda) * c;
    let disc = tr * tr - 4.0 * beta;
    if disc >= 0.0 {
        let (z1, z2) = ((tr + disc.sqrt()) / 2.0, (tr - disc.sqrt()) / 2.0);
        if (z1 - z2).abs() < 1e-12 {
            return (c + f64::from(k) * (e1 / z1 - c)) * z1.powi(k);
        }
        let a1 = (e1 - c * z2) / (z1 - z2);
        a1 * z1.powi(k) + (c - a1) * z2.powi(k)
    } else {
        // Complex pair r e^{±iθ}: e_k = r^k (c cos kθ + q sin kθ).
        let r = beta.sqrt();
        let theta = (tr / (2.0 * r)).acos();
        let q = (e1 / r - c * theta.cos()) / theta.sin();
        r.powi(k) * (c * (f64::from(k) * theta).cos() + q * (f64::from(k) * theta).sin())
    }
}

#[test]
fn least_squares_distances_follow_the_closed_form_per_eigenmode() {
    let p = least_squares::Problem::notes();
    assert_eq!(p.a.dim(), (50, 35));
    let out = p.run();
    // Step from the Frobenius norm, summed here independently.
    let fro2: f64 = p.a.iter().map(|v| v * v).sum();
    assert!((out.alpha - 1.0 / fro2).abs() < 1e-18);
    // AᵀA by explicit loops.
    let n = 35;
    let ata: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..50).map(|r| p.a[[r, i]] * p.a[[r, j]]).sum())
                .collect()
        })
        .collect();
    let (lambda, vecs) = jacobi(ata.clone());
    // The decomposition really is one: AᵀA v = λ v.
    for (i, &l) in lambda.iter().enumerate() {
        for r in 0..n {
            let av: f64 = (0..n).map(|j| ata[r][j] * vecs[j][i]).sum();
            assert!((av - l * vecs[r][i]).abs() < 1e-8 * lambda[0].abs().max(1.0));
        }
    }
    let e0: Vec<f64> = (0..n).map(|j| p.start[j] - p.x_star[j]).collect();
    let coeff: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| vecs[j][i] * e0[j]).sum())
        .collect();
    let predicted = |beta: f64, k: i32| -> f64 {
        (0..n)
            .map(|i| mode_after(coeff[i], out.alpha, beta, lambda[i], k).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    for k in [0, 1, 10, 100, 500] {
        let (gd, hb) = (out.gradient_descent[k as usize], out.heavy_ball[k as usize]);
        let (gd_ref, hb_ref) = (predicted(0.0, k), predicted(0.9, k));
        assert!(
            (gd - gd_ref).abs() <= 1e-8 * gd_ref,
            "gd at {k}: {gd} vs {gd_ref}"
        );
        assert!(
            (hb - hb_ref).abs() <= 1e-8 * hb_ref,
            "hb at {k}: {hb} vs {hb_ref}"
        );
    }
    // Theory: with α ≤ 1/λ_max every mode of gradient descent shrinks by
    // |1 - αλ| ≤ 1 - αλ_min per step, so the distance never grows and
    // stays under (1 - αλ_min)^k ‖e₀‖; heavy ball is ahead after 500 steps.
    let lmin = lambda.iter().copied().fold(f64::INFINITY, f64::min);
    let lmax = lambda.iter().copied().fold(0.0, f64::max);
    assert!(out.alpha * lmax <= 1.0 && lmin > 0.0);
    for k in 1..out.gradient_descent.len() {
        let d = out.gradient_descent[k];
        assert!(d <= out.gradient_descent[k - 1] * (1.0 + 1e-12));
        let bound = (1.0 - out.alpha * lmin).powi(k as i32) * out.gradient_descent[0];
        assert!(d <= bound * (1.0 + 1e-9));
    }
    assert!(out.heavy_ball[500] < out.gradient_descent[500] / 2.0);
}
