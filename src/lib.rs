//! # downhill
//!
//! Gradient descent on the real Earth. downhill reads elevation models (NASA
//! SRTM tiles and other DEMs) into a grid, samples the terrain gradient in
//! true metres, and lets agents descend it: the hill-walker (plain gradient
//! descent), the rolling ball (heavy-ball momentum) and Nesterov's ball.
//!
//! The library is organised as the domain is:
//!
//! - [`geo`]: points, cells, bounds and colours in their own types; the WGS84 geodesy;
//! - [`dem`]: loading elevation files, georeferencing;
//! - [`analytic`]: formulas `f(x, y)` as surfaces with exact gradients;
//! - [`terrain`]: heights and gradients at any position, in metres;
//! - [`agents`]: the update rules, stop rules and tracks;
//! - [`drop`](mod@crate::drop): a whole run from one start (a place, a peak, a summit's rank): tracks, map and viewer written together;
//! - [`lab`]: the reference notes' experiments and their figures;
//! - [`render`]: hillshades, colour relief and track maps as georeferenced PNGs;
//! - [`basins`]: basins of attraction from a walker on every cell, and the files a run writes ([`basins::products`]);
//! - [`peaks`]: named summits to start from;
//! - [`export`]: GeoJSON and GPX tracks, written atomically;
//! - [`budget`] and [`input`]: the limits hostile inputs meet (cells, bytes, regular files).
//! - [`viewer`]: one self-contained `index.html` to explore a run in a browser, offline.
//! - [`page_pool`]: the command's allocator, which recycles large blocks' pages between a run's phases.
//!
//! ```no_run
//! use downhill::{agents::{Agent, AgentKind, StopRules}, dem, geo, terrain::{Terrain, GradientScheme, Vector}};
//! # fn main() -> downhill::Result<()> {
//! let grid = dem::open("data/N52W007.hgt".as_ref(), &dem::LoadOptions::default())?;
//! let terrain = Terrain::new(grid, GradientScheme::Central)?;
//! let start = geo::Xy::new(-6.78, 52.6177); // lon, lat on a geographic tile
//! let track = Agent::new(AgentKind::Momentum).descend(&terrain, start, Vector::ZERO, &StopRules::default())?;
//! println!("{} steps, stopped: {}", track.steps(), track.stop_reason);
//! # Ok(()) }
//! ```

pub mod agents;
pub mod analytic;
pub mod basins;
pub mod budget;
pub mod dem;
pub mod drop;
mod error;
pub mod export;
pub mod geo;
pub mod input;
pub mod lab;
pub mod page_pool;
pub mod peaks;
pub mod render;
mod scratch;
pub mod terrain;
pub mod viewer;

pub use error::{Error, InvalidParameter, Refusal, Result};
