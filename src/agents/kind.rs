//! The kinds of agent.

use serde::Serialize;

/// Which update rule an agent follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// The hill-walker: plain gradient descent.
    Gd,
    /// The rolling ball: heavy-ball (Polyak) momentum.
    Momentum,
    /// The rolling ball with Nesterov's look-ahead gradient.
    Nesterov,
    /// AdaGrad: steps scaled down by the root of all squared gradients so far.
    Adagrad,
    /// RMSprop: steps scaled by a running root-mean-square of the gradient.
    Rmsprop,
    /// Adam: a running mean of the gradient over its running root-mean-square.
    Adam,
}

impl AgentKind {
    /// Every kind, in the order tables list them.
    /// The three agents of the reference notes, run by default: walker, ball, Nesterov ball.
    pub const CLASSIC: [AgentKind; 3] = [AgentKind::Gd, AgentKind::Momentum, AgentKind::Nesterov];

    pub const ALL: [AgentKind; 6] = [
        AgentKind::Gd,
        AgentKind::Momentum,
        AgentKind::Nesterov,
        AgentKind::Adagrad,
        AgentKind::Rmsprop,
        AgentKind::Adam,
    ];

    /// The short name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            AgentKind::Gd => "gd",
            AgentKind::Momentum => "momentum",
            AgentKind::Nesterov => "nesterov",
            AgentKind::Adagrad => "adagrad",
            AgentKind::Rmsprop => "rmsprop",
            AgentKind::Adam => "adam",
        }
    }

    /// The kind whose [`name`](AgentKind::name) is `name`, if any.
    pub fn from_name(name: &str) -> Option<AgentKind> {
        AgentKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// One line on how the agent moves, for help texts.
    pub fn summary(self) -> &'static str {
        match self {
            AgentKind::Gd => "The hill-walker: plain gradient descent",
            AgentKind::Momentum => "The rolling ball: heavy-ball (Polyak) momentum",
            AgentKind::Nesterov => "The rolling ball with Nesterov's look-ahead gradient",
            AgentKind::Adagrad => {
                "AdaGrad: steps scaled down by the root of all squared gradients so far"
            }
            AgentKind::Rmsprop => {
                "RMSprop: steps scaled by a running root-mean-square of the gradient"
            }
            AgentKind::Adam => {
                "Adam: a running mean of the gradient over its running root-mean-square"
            }
        }
    }

    /// A name a person reads, e.g. "hill-walker".
    pub fn title(self) -> &'static str {
        match self {
            AgentKind::Gd => "hill-walker (gradient descent)",
            AgentKind::Momentum => "rolling ball (heavy-ball momentum)",
            AgentKind::Nesterov => "Nesterov ball (look-ahead momentum)",
            AgentKind::Adagrad => "AdaGrad (steps shrink with the slope seen so far)",
            AgentKind::Rmsprop => "RMSprop (steps scaled by the recent slope)",
            AgentKind::Adam => "Adam (averaged slope over its recent size)",
        }
    }

    /// `true` for the agents that carry a velocity (and so accept an initial one).
    pub fn has_momentum(self) -> bool {
        matches!(self, AgentKind::Momentum | AgentKind::Nesterov)
    }

    /// The colour of this agent's line on maps and in GeoJSON `stroke`.
    pub fn colour(self) -> crate::geo::Rgb {
        use crate::geo::Rgb;
        match self {
            AgentKind::Gd => Rgb::new(0xd6, 0x27, 0x28),
            AgentKind::Momentum => Rgb::new(0x1f, 0x77, 0xb4),
            AgentKind::Nesterov => Rgb::new(0x94, 0x67, 0xbd),
            AgentKind::Adagrad => Rgb::new(0x2c, 0xa0, 0x2c),
            AgentKind::Rmsprop => Rgb::new(0xff, 0x7f, 0x0e),
            AgentKind::Adam => Rgb::new(0x8c, 0x56, 0x4b),
        }
    }
}

impl std::fmt::Display for AgentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
