//! A point in a surface's own plane: the position the agents carry.

use serde::Serialize;

/// A point in a surface's own plane, and the position an agent's state
/// holds while it descends.
///
/// Its units are those of the plane it lives in, and nothing converts it
/// implicitly:
///
/// - on a DEM, the grid's CRS ([`crate::dem::Crs`]): longitude/latitude in
///   **degrees** on a geographic grid (x east, y north), easting/northing in
///   **metres** on a projected one;
/// - on an analytic surface, the formula's own `x`, `y`;
/// - in the basins walker's cell field, the grid's pixel plane: `x` is the
///   fractional **column**, `y` the fractional **row** (cells; rows grow
///   southwards).
///
/// Steps are taken in metres all the same: the surface turns a ground
/// displacement into its own units ([`crate::terrain::Surface::displace`]).
/// To a [`super::LonLat`] through [`crate::terrain::Surface::lon_lat`], to a
/// [`super::Cell`] through [`crate::dem::GeoTransform::cell_containing`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Xy {
    /// Easting: longitude (degrees), easting (metres) or column (cells).
    pub x: f64,
    /// Northing: latitude (degrees), northing (metres) or row (cells).
    pub y: f64,
}

impl Xy {
    /// A point from its two coordinates, in the plane's units.
    pub fn new(x: f64, y: f64) -> Self {
        Xy { x, y }
    }

    /// `true` when both coordinates are finite numbers.
    pub fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }
}
