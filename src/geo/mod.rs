//! Points, areas and colours in the domain's words, in the manner of
//! georust's `geo` crate: each coordinate system has its own type, and a
//! conversion exists only where it makes sense (through a grid's
//! georeferencing, never by reinterpreting two numbers).
//!
//! - [`LonLat`]: a WGS84 longitude/latitude, degrees;
//! - [`Xy`]: a point in a surface's own plane, which is also the position
//!   the agents carry (see its documentation for the units);
//! - [`Cell`]: a grid index (row, column);
//! - [`Bounds`]: a west/south/east/north rectangle in one of those planes;
//! - [`Rgb`]: an 8-bit sRGB colour, written `#rrggbb`;
//! - [`geodesy`]: the WGS84 ellipsoid (radii of curvature, geodesics),
//!   below both [`crate::dem`] and [`crate::terrain`].
//!
//! Conversions between [`Xy`] and [`Cell`] go through a
//! [`crate::dem::GeoTransform`]; between [`Xy`] and [`LonLat`] through a
//! [`crate::dem::Dem`] (its CRS and, for projected grids, its projection).

mod bounds;
mod cell;
pub mod geodesy;
mod lonlat;
mod rgb;
mod xy;

pub use bounds::Bounds;
pub use cell::Cell;
pub use lonlat::LonLat;
pub use rgb::Rgb;
pub use xy::Xy;
