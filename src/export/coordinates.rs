//! Track points as WGS84 longitude, latitude and height, rounded for export.

use crate::agents::Track;
use crate::error::{Error, Result};
use crate::terrain::Surface;

/// Decimal places kept for longitude and latitude (degrees): 1e-7° is at
/// most 1.1 cm on the ground, finer than any DEM.
pub const COORDINATE_DECIMALS: i32 = 7;

/// Decimal places kept for heights (metres): centimetres.
pub const ELEVATION_DECIMALS: i32 = 2;

/// One exported point: degrees and metres, already rounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GeoPoint {
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Height, metres.
    pub elevation: f64,
}

/// `value` rounded to `decimals` decimal places.
pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// Every point of `track` on the Earth, for the file format named `format`.
///
/// Fails on an empty track, on a planar surface (no longitude/latitude),
/// and on non-finite coordinates, each with a message that says what to do.
pub(crate) fn geo_points(
    track: &Track,
    surface: &dyn Surface,
    format: &str,
) -> Result<Vec<GeoPoint>> {
    if track.points.is_empty() {
        return Err(Error::param(format!(
            "the {} track has no points, so there is nothing to write as {format}",
            track.agent
        )));
    }
    track
        .points
        .iter()
        .map(|p| {
            let ll = surface.lon_lat(p.position).ok_or_else(|| {
                Error::param(format!(
                    "{format} needs geographic coordinates (longitude/latitude), but this surface \
                     has none (a planar or unreferenced grid); write CSV or JSON instead"
                ))
            })?;
            if !(ll.lon.is_finite() && ll.lat.is_finite() && p.elevation.is_finite()) {
                return Err(Error::param(format!(
                    "the {} track has a point that is not a finite number (lon {}, lat {}, \
                     elevation {}); it cannot be written as {format}",
                    track.agent, ll.lon, ll.lat, p.elevation
                )));
            }
            Ok(GeoPoint {
                lon: round_to(ll.lon, COORDINATE_DECIMALS),
                lat: round_to(ll.lat, COORDINATE_DECIMALS),
                elevation: round_to(p.elevation, ELEVATION_DECIMALS),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_keeps_the_requested_decimals() {
        // Hand-computed.
        assert_eq!(round_to(-6.123_456_78, 7), -6.123_456_8);
        assert_eq!(round_to(52.617_700_04, 7), 52.6177);
        assert_eq!(round_to(795.125, 2), 795.13);
        assert_eq!(round_to(12.0, 2), 12.0);
        // The shortest decimal form has no more than the requested places.
        assert_eq!(round_to(0.1 + 0.2, 7).to_string(), "0.3");
    }
}
