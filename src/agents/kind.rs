//! The kinds of agent.

use serde::Serialize;

/// Which update rule an agent follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// The hill-walker: plain gradient descent.
    Gd,
    /// The rolling ball: heavy-ball (Polyak) momentum.
    Momentum,
    /// The rolling ball with Nesterov's look-ahead gradient.
    Nesterov,
}

impl AgentKind {
    /// Every kind, in the order tables list them.
    pub const ALL: [AgentKind; 3] = [AgentKind::Gd, AgentKind::Momentum, AgentKind::Nesterov];

    /// The short name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            AgentKind::Gd => "gd",
            AgentKind::Momentum => "momentum",
            AgentKind::Nesterov => "nesterov",
        }
    }

    /// A name a person reads, e.g. "hill-walker".
    pub fn title(self) -> &'static str {
        match self {
            AgentKind::Gd => "hill-walker (gradient descent)",
            AgentKind::Momentum => "rolling ball (heavy-ball momentum)",
            AgentKind::Nesterov => "Nesterov ball (look-ahead momentum)",
        }
    }

    /// `true` for the agents that carry a velocity.
    pub fn has_momentum(self) -> bool {
        !matches!(self, AgentKind::Gd)
    }

    /// The colour of this agent's line on maps and in GeoJSON `stroke` (`#rrggbb`).
    pub fn colour(self) -> &'static str {
        match self {
            AgentKind::Gd => "#d62728",
            AgentKind::Momentum => "#1f77b4",
            AgentKind::Nesterov => "#9467bd",
        }
    }
}

impl std::fmt::Display for AgentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
