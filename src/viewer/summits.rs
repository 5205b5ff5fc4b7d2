//! Summits shown as markers with their heights and prominences.

use serde::Serialize;

/// A named summit on the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summit {
    /// Name for people, e.g. "Mount Leinster".
    pub name: String,
    /// Longitude, degrees east (WGS84).
    pub lon: f64,
    /// Latitude, degrees north (WGS84).
    pub lat: f64,
    /// Height of the summit, metres.
    pub elevation_m: f64,
    /// Topographic prominence, metres (`None` where it is not known).
    pub prominence_m: Option<f64>,
}
