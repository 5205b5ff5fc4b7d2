//! Writing what the agents did: tracks for map viewers, tables for people.
//!
//! - [`tracks_geojson`]: an RFC 7946 FeatureCollection (one LineString per
//!   agent, a Point at the start), styled for viewers that read simplestyle;
//! - [`tracks_gpx`]: a GPX 1.1 document for GPS tools and hiking apps, with
//!   times on the tracks of physical balls;
//! - [`track_csv`]: every point of every track, also on planar surfaces;
//! - [`summaries_table`]: an aligned plain-text table of summaries;
//! - [`write_atomic`] and [`OutputDir`]: files are replaced whole or not at
//!   all, and files downhill did not write are never clobbered by accident.
//!
//! Coordinates are exported as WGS84 longitude/latitude (degrees, rounded to
//! [`COORDINATE_DECIMALS`] places, about 1 cm) and heights in metres
//! (rounded to [`ELEVATION_DECIMALS`] places).

mod atomic;
mod coordinates;
mod csv;
mod geojson;
mod gpx;
mod table;
mod xml;

pub use atomic::{write_atomic, OutputDir, MANIFEST_NAME};
pub use coordinates::{COORDINATE_DECIMALS, ELEVATION_DECIMALS};
pub use csv::{track_csv, CSV_HEADER};
pub use geojson::{tracks_geojson, START_MARKER_COLOUR, STROKE_WIDTH_PX};
pub use gpx::tracks_gpx;
pub use table::summaries_table;
