//! Update and stop parameters shared by `drop` and `basins`.

use downhill::agents::{
    Agent, AgentKind, StepParams, StopRules, DEFAULT_DT_S, DEFAULT_FRICTION_PER_S,
    DEFAULT_MAX_STEPS, DEFAULT_PATIENCE, DEFAULT_TOLERANCE_M,
};
use downhill::terrain::GradientScheme;

/// The values of `--agent`: every kind by its short name, with its
/// summary as help (the library's [`AgentKind`] knows nothing of clap).
pub fn agent_kind() -> impl clap::builder::TypedValueParser<Value = AgentKind> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        AgentKind::ALL.map(|k| PossibleValue::new(k.name()).help(k.summary())),
    )
    .try_map(|name| AgentKind::from_name(&name).ok_or(format!("unknown agent {name}")))
}

/// `--gradient`'s values: the command line's spelling of
/// [`GradientScheme`], which knows nothing of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Stencil {
    /// Central differences of the four edge neighbours (second-order accurate).
    Central,
    /// Horn's 3 x 3 weighted stencil (smoother; what GIS slope tools use).
    Horn,
}

impl From<Stencil> for GradientScheme {
    fn from(s: Stencil) -> Self {
        match s {
            Stencil::Central => GradientScheme::Central,
            Stencil::Horn => GradientScheme::Horn,
        }
    }
}

/// Parses `--gradient` into a [`GradientScheme`] (help lists [`Stencil`]'s values).
fn gradient_parser() -> impl clap::builder::TypedValueParser<Value = GradientScheme> {
    use clap::builder::TypedValueParser;
    clap::builder::EnumValueParser::<Stencil>::new().map(GradientScheme::from)
}

/// Update and stop parameters of the agents.
#[derive(Debug, Clone, clap::Args)]
pub struct ParamArgs {
    /// Step size α in metres per unit slope, for every agent
    /// [default: walker 10, ball g·dt² = 2.45]
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// Momentum β of the balls, 0 <= β < 1 [default: 1 - friction·dt = 0.995]
    #[arg(long, value_name = "B", allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Time step of the physical ball in seconds (α = g·dt²) [default: 0.5]
    #[arg(long, value_name = "S", allow_negative_numbers = true, conflicts_with_all = ["alpha", "beta"])]
    pub dt: Option<f64>,
    /// Friction of the physical ball in 1/s (β = 1 - friction·dt) [default: 0.01]
    #[arg(long, value_name = "G", allow_negative_numbers = true, conflicts_with_all = ["alpha", "beta"])]
    pub friction: Option<f64>,
    /// Stop after this many steps; with `drop`, every step of every track
    /// must fit the memory budget (256 bytes a step, see --max-cells).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STEPS)]
    pub max_steps: usize,
    /// Stop once below this height in metres (a river, the sea).
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    pub stop_below: Option<f64>,
    /// A step shorter than this many metres counts as standing still.
    #[arg(long, value_name = "M", default_value_t = DEFAULT_TOLERANCE_M)]
    pub tolerance: f64,
    /// Converged after this many consecutive still steps.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PATIENCE)]
    pub patience: usize,
    /// Finite-difference stencil for the gradient.
    #[arg(long, default_value = "central", value_parser = gradient_parser())]
    pub gradient: GradientScheme,
}

impl ParamArgs {
    /// The agents to run, each with its checked parameters.
    pub fn agents(&self, kinds: &[AgentKind]) -> downhill::Result<Vec<Agent>> {
        let mut agents = Vec::new();
        for &kind in kinds {
            if agents.iter().any(|a: &Agent| a.kind == kind) {
                continue;
            }
            let default = StepParams::default_for(kind);
            let params = if kind.has_momentum() && self.alpha.is_none() && self.beta.is_none() {
                StepParams::physical(
                    self.dt.unwrap_or(DEFAULT_DT_S),
                    self.friction.unwrap_or(DEFAULT_FRICTION_PER_S),
                )?
            } else {
                let beta = if kind == AgentKind::Gd {
                    0.0
                } else {
                    self.beta.unwrap_or(default.beta)
                };
                let p = StepParams {
                    alpha: self.alpha.unwrap_or(default.alpha),
                    beta,
                    ..default
                };
                p.validate()?;
                p
            };
            agents.push(Agent { kind, params });
        }
        Ok(agents)
    }

    /// The stop rules.
    pub fn rules(&self) -> downhill::Result<StopRules> {
        let rules = StopRules {
            max_steps: self.max_steps,
            tolerance_m: self.tolerance,
            patience: self.patience,
            stop_below: self.stop_below,
        };
        rules.validate()?;
        Ok(rules)
    }
}
