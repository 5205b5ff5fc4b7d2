//! The hill-walker against the rolling ball from the top of Mount Leinster.
//!
//! The notes start both on the summit (52.6177° N, 6.78° W) of the
//! bundled SRTM tile N52W007 and stop them below 4 m above sea level (or
//! when they stall, or leave the tile). The walker follows the steep
//! slopes and stalls on the flat valley floor; the ball rolls on.

use std::path::Path;

use crate::agents::{Agent, AgentKind, StopRules, Track};
use crate::dem::{self, Dem, LoadOptions};
use crate::error::Result;
use crate::geo::Xy;
use crate::terrain::{GradientScheme, Terrain, Vector};

/// The summit of Mount Leinster, longitude and latitude in degrees.
pub const SUMMIT: (f64, f64) = (-6.78, 52.6177);
/// The notes' threshold: stop below this many metres above sea level.
pub const STOP_BELOW_M: f64 = 4.0;
/// The bundled tile, relative to the repository root.
pub const TILE: &str = "data/N52W007.hgt";

/// Both descents and the terrain they ran on.
pub struct Outcome {
    /// The terrain.
    pub terrain: Terrain,
    /// The walker's track, then the ball's.
    pub tracks: Vec<Track>,
}

/// Loads `tile` and runs the walker and the ball with their default parameters.
pub fn run(tile: &Path) -> Result<Outcome> {
    let grid: Dem = dem::open(tile, &LoadOptions::default())?;
    let terrain = Terrain::new(grid, GradientScheme::Central)?;
    let rules = StopRules {
        stop_below: Some(STOP_BELOW_M),
        ..StopRules::default()
    };
    let start = Xy::new(SUMMIT.0, SUMMIT.1);
    let tracks = [AgentKind::Gd, AgentKind::Momentum]
        .into_iter()
        .map(|k| Agent::new(k).descend(&terrain, start, Vector::ZERO, &rules))
        .collect::<Result<Vec<_>>>()?;
    Ok(Outcome { terrain, tracks })
}
