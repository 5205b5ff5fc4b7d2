//! Digital elevation models: loading, mosaics and georeferencing.
//!
//! A [`Dem`] is a grid of heights in metres (`f32`, `NaN` for voids) plus the
//! [`GeoTransform`] and [`Crs`] that place every sample on the Earth.
//!
//! Heights are stored as `f32`, deliberately: GeoTIFF and GDAL inputs are
//! often floating point and must be represented exactly; filled voids take
//! fractional values; and `NaN` marks a void without a separate mask. A
//! 3 x 3 mosaic of SRTM1 tiles (10 801 x 10 801 = 117 M samples) takes
//! 467 MB, comfortably inside 1 GiB.

mod georef;
mod grid;
pub mod hgt;
mod load;

pub use georef::{Crs, GeoTransform, LonLat, Position};
pub use grid::{Dem, DemStats, InputInfo};
pub use load::{open, open_all, LoadOptions};
