//! Digital elevation models: loading, mosaics and georeferencing.
//!
//! A [`Dem`] is a grid of heights in metres (`f32`, `NaN` for voids) plus the
//! [`GeoTransform`] and [`Crs`] that place every sample on the Earth.
//!
//! Heights are stored as `f32`, deliberately: GeoTIFF and GDAL inputs are
//! often floating point and must be represented exactly; filled voids take
//! fractional values; and `NaN` marks a void without a separate mask. A
//! 3 x 3 mosaic of SRTM1 tiles (10 801 x 10 801 = 117 M samples) takes
//! 467 MB, comfortably inside 1 GiB. `i16` would halve that but could not
//! hold float inputs or filled voids, and every sample would need a
//! conversion and a void test on each read; `f32` keeps one representation
//! for every source. A mosaic is built by allocating its grid once and
//! copying the tiles in one by one (see [`mosaic`]), so loading peaks at the
//! grid plus one decoded tile.
//!
//! Readers: SRTM `.hgt` ([`hgt`]), GeoTIFF in pure Rust ([`geotiff`]), and
//! with the `gdal` feature any raster GDAL opens. Projected grids (metres)
//! convert to and from WGS84 through [`Projection`].

#[cfg(feature = "gdal")]
pub mod gdal;
mod georef;
pub mod geotiff;
mod grid;
pub mod hgt;
mod load;
pub mod mosaic;
pub mod projection;
mod rows;
pub mod sea;
mod voids;

pub use georef::{Crs, GeoTransform, MAX_PROJECTED_M};
pub use grid::{Dem, DemStats, InputInfo, EDGE_TOLERANCE_CELLS};
pub use load::{expand_inputs, load, open, open_all, open_rows, LoadOptions, Loaded};
pub use projection::Projection;
pub(crate) use rows::rows_asked;
pub use rows::RowSource;
pub use sea::{SeaLevel, SeaMask, MIN_SEA_SAMPLES};
pub use voids::{fill_voids, FillReport, FILL_TOLERANCE_M, MAX_FILL_SAMPLES};
