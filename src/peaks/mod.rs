//! Summits: named ones to start from, and every one the DEM holds.
//!
//! A [`Gazetteer`] maps names to published summit positions; the bundled one
//! (`data/peaks.csv`) holds well-known summits worldwide and every named
//! summit on the bundled tiles, and users add their own with `--gazetteer`
//! (CSV, GeoJSON, or OpenStreetMap `.osm` / `.osm.pbf`, see [`osm`]).
//! A published position is approximate, so [`snap_to_summit`] moves the start
//! to the highest DEM sample nearby.
//!
//! [`find_summits`] finds every summit of a DEM with its prominence, key
//! col, parent and isolation ([`summits`] defines them), and
//! [`name_summits`] names them from a gazetteer.

mod choice;
mod files;
mod gazetteer;
mod isolation;
mod name;
mod naming;
pub mod osm;
pub mod prominence;
mod snap;
pub mod summits;

pub use choice::SummitChoice;
pub use files::{summits_csv, summits_geojson, SUMMITS_CSV_HEADER};
pub use gazetteer::{Gazetteer, Peak, MAX_GAZETTEER_BYTES};
pub use name::{normalise, slug, MAX_SLUG_CHARS};
pub use naming::name_summits;
pub use snap::{snap_to_summit, Snapped, MAX_SNAP_M};
pub use summits::{
    find_summits, named_summits_within, SamplePoint, Summit, SummitOptions,
    DEFAULT_MIN_PROMINENCE_M,
};
