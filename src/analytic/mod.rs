//! Analytic surfaces: a formula `f(x, y)` instead of a DEM.
//!
//! The reference notes try each agent on formulas before the Earth;
//! [`AnalyticSurface`] lets the same agents run unchanged on both. The
//! gradient is exact: the expression is differentiated symbolically (the
//! `exmex` crate), not by finite differences. Coordinates are planar `x`,
//! `y` in the formula's own units, and so are heights and step lengths.

mod raster;
mod surface;
mod tracks;

pub use surface::{
    AnalyticSurface, MAX_DERIVATIVE_CHARS, MAX_FORMULA_CHARS, MAX_FORMULA_DEPTH,
    MAX_FORMULA_OPERATIONS,
};
pub use tracks::{refuse_geographic_export, tracks_json, write_tracks_json};
