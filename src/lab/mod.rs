//! The optimiser lab: the reference notes' experiments, reproduced with one
//! command (`downhill lab`), each written as a PNG figure.
//!
//! - [`least_squares`]: gradient descent against heavy-ball momentum on a
//!   seeded random least-squares problem, distance to the solution per iteration;
//! - [`quartic`]: momentum on `f(x) = x⁴ - 3x³ + 2` from `x = -0.5`, settling at 9/4;
//! - [`saddle`]: momentum and Nesterov on `f(x, y) = x⁴ - 2x² + y²` from four
//!   starts, one of them balanced on the saddle at (0, 0);
//! - [`leinster`]: the hill-walker against the rolling ball from Mount Leinster.
//!
//! The analytic experiments run the library's own agents on an
//! [`AnalyticSurface`](crate::analytic::AnalyticSurface) for a fixed number
//! of iterations ([`fixed_iterations`]), exactly as the notes' loops do.

mod contour;
pub mod figures;
pub mod least_squares;
pub mod leinster;
mod png;
pub mod quartic;
pub mod saddle;

use crate::agents::{Agent, AgentKind, StepParams, StopRules, Track};
use crate::error::{Error, Result};
use crate::export::OutputDir;
use crate::geo::Xy;
use crate::terrain::{Surface, Vector};

/// Stop rules that let an agent run exactly `n` iterations: no tolerance
/// stop (only a step of exactly zero length counts as still, and the
/// patience is longer than the run), no height threshold. Leaving the
/// surface still ends the run early.
pub fn fixed_iterations(n: usize) -> StopRules {
    StopRules {
        max_steps: n,
        tolerance_m: f64::MIN_POSITIVE,
        patience: n.saturating_add(1),
        stop_below: None,
    }
}

/// Runs `kind` with step `alpha` and momentum `beta` on `surface` from
/// `start` with initial velocity `v0` for exactly `n` iterations; fails if
/// the agent stops earlier (it left the surface or diverged).
pub fn run_exactly<S: Surface + ?Sized>(
    surface: &S,
    kind: AgentKind,
    (alpha, beta): (f64, f64),
    start: Xy,
    v0: Vector,
    n: usize,
) -> Result<Track> {
    let agent = Agent {
        kind,
        params: StepParams::new(alpha, beta)?,
    };
    let track = agent.descend(surface, start, v0, &fixed_iterations(n))?;
    if track.steps() != n {
        return Err(Error::param(format!(
            "{kind} from ({}, {}) stopped after {} of {n} iterations ({})",
            start.x,
            start.y,
            track.steps(),
            track.stop_reason
        )));
    }
    Ok(track)
}

/// One experiment done: its figure and what it found, in a line or two.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// Short name of the experiment, e.g. `least-squares`.
    pub experiment: &'static str,
    /// The PNG written.
    pub figure: std::path::PathBuf,
    /// The numbers worth reading: final points, distances.
    pub results: Vec<String>,
}

/// The experiments in the order [`run_all`] runs them.
pub const EXPERIMENTS: [&str; 4] = ["least-squares", "quartic", "saddle", "leinster"];

/// Runs every experiment and writes its figure into `out` (created if
/// needed) through an [`OutputDir`]: published together at the end, never
/// replacing a file downhill did not write. `tile` is the SRTM tile for the Mount Leinster run (`None`
/// skips it); `progress` is told the name of each experiment as it starts.
pub fn run_all(
    out: &std::path::Path,
    tile: Option<&std::path::Path>,
    progress: impl FnMut(&str),
) -> Result<Vec<Finding>> {
    let mut dir = OutputDir::create(out, false)?;
    let found = run_all_into(&mut dir, tile, progress)?;
    dir.commit()?;
    Ok(found)
}

/// [`run_all`] into an open output directory: every figure is staged in
/// `dir`, published when the caller commits it (after the last
/// experiment), and refused up front if it would replace a file downhill
/// did not write (unless `dir` was opened with `force`).
pub fn run_all_into(
    dir: &mut OutputDir,
    tile: Option<&std::path::Path>,
    mut progress: impl FnMut(&str),
) -> Result<Vec<Finding>> {
    let mut names = vec!["least-squares.png", "quartic.png", "saddle.png"];
    if tile.is_some() {
        names.push("leinster.png");
    }
    dir.check_writable(&names)?;
    let out = dir.path().to_path_buf();
    let mut found = Vec::new();

    progress(EXPERIMENTS[0]);
    let ls = least_squares::Problem::notes().run();
    let figure = out.join("least-squares.png");
    dir.write("least-squares.png", &figures::least_squares(&figure, &ls)?)?;
    let last = |d: &[f64]| d.last().copied().unwrap_or(f64::NAN);
    found.push(Finding {
        experiment: EXPERIMENTS[0],
        figure,
        results: vec![
            format!("step 1/||A||_F^2 = {:.6e}", ls.alpha),
            format!(
                "after {} iterations ||x - x*||: gradient descent {:.6e}, heavy ball {:.6e} (start {:.6e})",
                least_squares::ITERATIONS,
                last(&ls.gradient_descent),
                last(&ls.heavy_ball),
                ls.gradient_descent.first().copied().unwrap_or(f64::NAN)
            ),
        ],
    });

    progress(EXPERIMENTS[1]);
    let q_surface = quartic::surface()?;
    let q = quartic::run(&q_surface)?;
    let figure = out.join("quartic.png");
    dir.write("quartic.png", &figures::quartic(&figure, &q_surface, &q)?)?;
    let end = q.points.last().map_or(f64::NAN, |p| p.position.x);
    found.push(Finding {
        experiment: EXPERIMENTS[1],
        figure,
        results: vec![format!(
            "momentum from x = {} after {} iterations: x = {end:.12} (minimum 9/4 = 2.25)",
            quartic::START_X,
            quartic::ITERATIONS
        )],
    });

    progress(EXPERIMENTS[2]);
    let s_surface = saddle::surface()?;
    let m = saddle::run(&s_surface, AgentKind::Momentum)?;
    let n = saddle::run(&s_surface, AgentKind::Nesterov)?;
    let figure = out.join("saddle.png");
    dir.write("saddle.png", &figures::saddle(&figure, &s_surface, &m, &n)?)?;
    let results = m
        .iter()
        .map(|r| (AgentKind::Momentum, r))
        .chain(n.iter().map(|r| (AgentKind::Nesterov, r)))
        .map(|(k, r)| {
            let e = r.track.points.last().map_or(r.start, |p| p.position);
            format!(
                "{:<9} from ({}, {}) v0 ({}, {}): ends at ({:.9}, {:.9})",
                k.name(),
                r.start.x,
                r.start.y,
                r.v0.east,
                r.v0.north,
                e.x + 0.0,
                e.y + 0.0
            )
        })
        .collect();
    found.push(Finding {
        experiment: EXPERIMENTS[2],
        figure,
        results,
    });

    if let Some(tile) = tile {
        progress(EXPERIMENTS[3]);
        let o = leinster::run(tile)?;
        let figure = out.join("leinster.png");
        dir.write("leinster.png", &figures::leinster(&figure, &o)?)?;
        let results = o
            .tracks
            .iter()
            .map(|t| {
                let s = t.summary(&o.terrain);
                format!(
                    "{:<9} {} steps, {:.0} m down to {:.0} m, {:.2} km, stopped: {}",
                    t.agent.name(),
                    s.steps,
                    s.drop_m,
                    s.end.elevation(),
                    s.length_m / 1000.0,
                    s.stop_reason
                )
            })
            .collect();
        found.push(Finding {
            experiment: EXPERIMENTS[3],
            figure,
            results,
        });
    }
    Ok(found)
}
