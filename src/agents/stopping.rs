//! When an agent stops, and why.

use serde::Serialize;

/// Why a descent ended (for `drop`'s tracks and for every walker of
/// `basins`, which stores it per cell as its `u8` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum StopReason {
    /// Steps stayed shorter than the tolerance for several steps running:
    /// the agent is at rest in a pit or stalled on flat ground.
    Converged = 0,
    /// The step budget ran out; in `basins` the walker's last cell counts
    /// as its sink.
    MaxSteps = 1,
    /// The agent left the raster; in `basins` the edge cell where it left
    /// is its outlet.
    Edge = 2,
    /// The agent reached a void (nodata) sample, its outlet in `basins`.
    Void = 3,
    /// The elevation fell below the [`StopRules::stop_below`] threshold
    /// (a river, the sea), metres.
    Below = 4,
    /// Positions or velocities stopped being finite numbers.
    Diverged = 5,
    /// The agent reached the sea (see [`crate::dem::SeaMask`]); in
    /// `basins` the sea sample where it arrived is its outlet.
    Sea = 6,
}

impl StopReason {
    /// Every reason, in `repr` order.
    pub const ALL: [StopReason; 7] = [
        StopReason::Converged,
        StopReason::MaxSteps,
        StopReason::Edge,
        StopReason::Void,
        StopReason::Below,
        StopReason::Diverged,
        StopReason::Sea,
    ];

    /// The reason with this `repr` value (out-of-range values give the last).
    #[inline]
    pub fn from_u8(v: u8) -> StopReason {
        StopReason::ALL[(v as usize).min(StopReason::ALL.len() - 1)]
    }

    /// `true` for endings at a sink inside the raster (which `basins`
    /// merges with sinks within a cell and on the same flat); `false` for
    /// outlets (edge, void, below, sea).
    #[inline]
    pub fn is_sink(self) -> bool {
        matches!(
            self,
            StopReason::Converged | StopReason::MaxSteps | StopReason::Diverged
        )
    }

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
            return Err(crate::Error::invalid(
                "max_steps",
                self.max_steps,
                "must be at least 1",
            ));
        }
        if !(self.tolerance_m.is_finite() && self.tolerance_m > 0.0) {
            return Err(crate::Error::invalid(
                "tolerance",
                self.tolerance_m,
                "must be a positive number of metres",
            ));
        }
        if self.patience == 0 {
            return Err(crate::Error::invalid(
                "patience",
                self.patience,
                "must be at least 1",
            ));
        }
        if let Some(b) = self.stop_below {
            if !b.is_finite() {
                return Err(crate::Error::invalid(
                    "stop_below",
                    b,
                    "must be a finite number of metres",
                ));
            }
        }
        Ok(())
    }
}
