//! The agents that descend: the hill-walker, the rolling ball, Nesterov's
//! ball, and the adaptive agents AdaGrad, RMSprop and Adam.
//!
//! Every agent moves in metres on the ground (east and north) and lets the
//! [`Surface`](crate::terrain::Surface) convert each step back to its own
//! coordinates, so the same rules run on geographic grids, projected grids
//! and analytic surfaces.
//!
//! # One loop for every agent and every command
//!
//! [`Agent::walk`] (in `descend.rs`) is the only descent loop: `drop`,
//! `lab` and the viewer reach it through [`Agent::descend`], which keeps
//! the full [`Track`] with a [`TrackRecorder`]; `basins` runs it on every
//! cell with a recorder that keeps only the end and whose hook
//! ([`Recorder::after_step`]) lets the memo of finished walks stop a walker
//! early (`basins::memo`). A [`Recorder`] is a generic parameter, so a
//! recorder that keeps nothing costs nothing in the loop.
//!
//! # Where to change what
//!
//! - **A stop rule**: its test runs in [`Agent::walk`] (`descend.rs`), its
//!   parameter and check in [`StopRules`] and its name in [`StopReason`]
//!   (`stopping.rs`): two files, and both `drop` and `basins` follow. A new
//!   [`StopReason`] that `basins` should treat as an outlet rather than a
//!   sink also needs [`StopReason::is_sink`] (same file), and a flag in
//!   `src/cli/params.rs` if users set it.
//! - **An agent**: its update rule in a new file here (like `nesterov.rs`),
//!   a variant of [`AgentKind`] (`kind.rs`: name, summary, title, colour),
//!   of [`AgentState`] (`state.rs`) and its defaults in [`StepParams`]
//!   (`params.rs`): four files; the command line lists it from
//!   [`AgentKind::ALL`] by itself.
//! - **What a descent keeps**: a new [`Recorder`] (one file); the loop
//!   does not change.

pub mod adagrad;
pub mod adam;
pub mod ball;
mod componentwise;
mod descend;
mod kind;
pub mod nesterov;
mod params;
mod recorder;
pub mod rmsprop;
mod run;
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
pub use recorder::{Halt, Recorder, Stop, TrackRecorder};
pub use run::descend_all;
pub use state::AgentState;
pub use stopping::{
    StopReason, StopRules, DEFAULT_MAX_STEPS, DEFAULT_PATIENCE, DEFAULT_TOLERANCE_M,
};
pub use track::{Endpoint, Summary, Track, TrackPoint};
