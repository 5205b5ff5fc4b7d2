//! What an agent needs to know about the ground under it.

use super::Vector;
use crate::geo::{LonLat, Xy};

/// Why a surface has no value at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obstacle {
    /// The position is outside the raster (or the surface's extent).
    Outside,
    /// The position touches a void (nodata) sample.
    Void,
}

/// A height field that agents can descend.
///
/// Positions are in the surface's own coordinates ([`Xy`]); agents
/// move in metres on the ground and let the surface convert.
pub trait Surface: Sync {
    /// Height in metres at `p`.
    fn elevation(&self, p: Xy) -> Result<f64, Obstacle>;

    /// Gradient of height at `p`: dimensionless slope (m/m) towards east and north.
    fn gradient(&self, p: Xy) -> Result<Vector, Obstacle>;

    /// The position reached from `p` by moving `d` metres east and north on the ground.
    fn displace(&self, p: Xy, d: Vector) -> Xy;

    /// Ground distance in metres between two positions.
    fn distance(&self, a: Xy, b: Xy) -> f64;

    /// WGS84 longitude/latitude of `p`, if the surface is on the Earth.
    fn lon_lat(&self, p: Xy) -> Option<LonLat>;

    /// `true` when `p` lies in the sea (see [`crate::dem::SeaMask`]); a
    /// surface without a sea never is.
    fn in_sea(&self, _p: Xy) -> bool {
        false
    }
}
