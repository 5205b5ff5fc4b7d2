//! The agents that descend: the hill-walker, the rolling ball, Nesterov's
//! ball, and the adaptive agents AdaGrad, RMSprop and Adam.
//!
//! Every agent moves in metres on the ground (east and north) and lets the
//! [`Surface`](crate::terrain::Surface) convert each step back to its own
//! coordinates, so the same rules run on geographic grids, projected grids
//! and analytic surfaces.

pub mod adagrad;
pub mod adam;
pub mod ball;
mod componentwise;
mod descend;
mod kind;
pub mod nesterov;
mod params;
pub mod rmsprop;
mod state;
mod stopping;
mod track;
pub mod walker;

pub use descend::Agent;
pub use kind::AgentKind;
pub use params::{
    StepParams, DEFAULT_ADAM_BETA1, DEFAULT_ADAM_BETA2, DEFAULT_ADAPTIVE_ALPHA_M, DEFAULT_DT_S,
    DEFAULT_EPSILON, DEFAULT_FRICTION_PER_S, DEFAULT_RMSPROP_RHO, DEFAULT_WALKER_ALPHA_M,
};
pub use state::AgentState;
pub use stopping::{
    StopReason, StopRules, DEFAULT_MAX_STEPS, DEFAULT_PATIENCE, DEFAULT_TOLERANCE_M,
};
pub use track::{Endpoint, Summary, Track, TrackPoint};
