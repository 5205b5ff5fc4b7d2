//! When an agent stops, and why.

use serde::Serialize;

/// Why a descent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// Steps stayed shorter than the tolerance for several steps running:
    /// the agent is at rest in a pit or stalled on flat ground.
    Converged,
    /// The elevation fell below the `--stop-below` threshold (a river, the sea).
    Below,
    /// The agent reached the sea (see [`crate::dem::SeaMask`]).
    Sea,
    /// The agent left the raster.
    Edge,
    /// The agent reached a void (nodata) sample.
    Void,
    /// The step budget ran out.
    MaxSteps,
    /// Positions or velocities stopped being finite numbers.
    Diverged,
}

impl StopReason {
    /// The name used in tables and JSON, e.g. `max-steps`.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Converged => "converged",
            StopReason::Below => "below",
            StopReason::Sea => "sea",
            StopReason::Edge => "edge",
            StopReason::Void => "void",
            StopReason::MaxSteps => "max-steps",
            StopReason::Diverged => "diverged",
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Default step budget.
pub const DEFAULT_MAX_STEPS: usize = 100_000;
/// Default convergence tolerance, metres per step.
pub const DEFAULT_TOLERANCE_M: f64 = 0.01;
/// Default number of consecutive short steps that count as converged.
pub const DEFAULT_PATIENCE: usize = 20;

/// The rules that end a descent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StopRules {
    /// At most this many steps.
    pub max_steps: usize,
    /// A step shorter than this many metres counts as standing still.
    pub tolerance_m: f64,
    /// Converged after this many consecutive steps shorter than the tolerance.
    pub patience: usize,
    /// Stop once the elevation is below this many metres.
    pub stop_below: Option<f64>,
}

impl Default for StopRules {
    fn default() -> Self {
        StopRules {
            max_steps: DEFAULT_MAX_STEPS,
            tolerance_m: DEFAULT_TOLERANCE_M,
            patience: DEFAULT_PATIENCE,
            stop_below: None,
        }
    }
}

impl StopRules {
    /// Checks the rules are usable.
    pub fn validate(&self) -> crate::Result<()> {
        if self.max_steps == 0 {
            return Err(crate::Error::param("--max-steps must be at least 1"));
        }
        if !(self.tolerance_m.is_finite() && self.tolerance_m > 0.0) {
            return Err(crate::Error::param(
                "--tolerance must be a positive number of metres",
            ));
        }
        if self.patience == 0 {
            return Err(crate::Error::param("--patience must be at least 1"));
        }
        if let Some(b) = self.stop_below {
            if !b.is_finite() {
                return Err(crate::Error::param(
                    "--stop-below must be a finite number of metres",
                ));
            }
        }
        Ok(())
    }
}
