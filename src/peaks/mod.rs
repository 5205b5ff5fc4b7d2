//! Named summits to start from.
//!
//! A [`Gazetteer`] maps names to published summit positions; the bundled one
//! (`data/peaks.csv`) holds well-known summits worldwide and every named
//! summit on the bundled tiles, and users add their own with `--gazetteer`.
//! A published position is approximate, so [`snap_to_summit`] moves the start
//! to the highest DEM sample nearby.

mod gazetteer;
mod name;
mod snap;

pub use gazetteer::{Gazetteer, Peak, MAX_GAZETTEER_BYTES};
pub use name::{normalise, slug, MAX_SLUG_CHARS};
pub use snap::{snap_to_summit, Snapped, MAX_SNAP_M};
