//! Writing what the agents did: tracks for map viewers, tables for people.
//!
//! - [`tracks_geojson`]: an RFC 7946 FeatureCollection (one LineString per
//!   agent, a Point at the start), styled for viewers that read simplestyle;
//! - [`tracks_gpx`]: a GPX 1.1 document for GPS tools and hiking apps, with
//!   times on the tracks of physical balls;
//! - [`track_csv`]: every point of every track, also on planar surfaces;
//! - [`summaries_table`]: an aligned plain-text table of summaries;
//! - [`georaster`]: georeferenced rasters, a tiled GeoTIFF or a PNG with
//!   its world file and bounds, encoded on every core;
//! - [`write_atomic`] and [`OutputDir`]: files are replaced whole or not at
//!   all, and files downhill did not write are never clobbered by accident.
//!
//! Coordinates are exported as WGS84 longitude/latitude (degrees, rounded to
//! [`COORDINATE_DECIMALS`] places, about 1 cm) and heights in metres
//! (rounded to [`ELEVATION_DECIMALS`] places).
//!
//! A command that writes into `--out DIR` checks every planned file first,
//! so a refused run computes and writes nothing:
//!
//! ```no_run
//! use std::time::SystemTime;
//! use downhill::agents::{Agent, AgentKind, StopRules};
//! use downhill::dem;
//! use downhill::geo::Xy;
//! use downhill::export::{tracks_geojson, tracks_gpx, OutputDir};
//! use downhill::terrain::{GradientScheme, Terrain, Vector};
//! # fn main() -> downhill::Result<()> {
//! let mut out = OutputDir::create("runs/leinster".as_ref(), false)?;
//! out.check_writable(&["tracks.geojson", "tracks.gpx"])?;
//! let grid = dem::open("data/N52W007.hgt".as_ref(), &Default::default())?;
//! let terrain = Terrain::new(grid, GradientScheme::Central)?;
//! let start = Xy::new(-6.78, 52.6177);
//! let mut tracks = Vec::new();
//! for kind in AgentKind::ALL {
//!     tracks.push(Agent::new(kind).descend(&terrain, start, Vector::ZERO, &StopRules::default())?);
//! }
//! let name = Some("Mount Leinster");
//! out.write("tracks.geojson", tracks_geojson(&tracks, &terrain, name)?.as_bytes())?;
//! out.write("tracks.gpx", tracks_gpx(&tracks, &terrain, SystemTime::now(), name)?.as_bytes())?;
//! # Ok(()) }
//! ```

mod atomic;
pub(crate) mod coordinates;
mod csv;
mod file_bytes;
mod geojson;
pub mod georaster;
mod gpx;
pub(crate) mod jpeg;
mod png;
mod rle_deflate;
mod table;
mod tiff;
mod xml;

pub use atomic::{write_atomic, OutputDir, PendingFile, MANIFEST_NAME};
pub use coordinates::{COORDINATE_DECIMALS, ELEVATION_DECIMALS};
pub use csv::{track_csv, CSV_HEADER};
pub use file_bytes::FileBytes;
pub use geojson::{tracks_geojson, START_MARKER_COLOUR, STROKE_WIDTH_PX};
pub use gpx::tracks_gpx;
pub use png::{adler32_combine, encode_png_parallel, encode_png_rows, PngColour};
pub use table::{significant, summaries_table, Units};
