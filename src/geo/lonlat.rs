//! A WGS84 longitude/latitude in degrees.

use serde::Serialize;

/// A WGS84 longitude/latitude pair in degrees.
///
/// This is a place on the Earth, not a grid coordinate: a projected grid's
/// [`super::Xy`] turns into one only through the grid's projection
/// ([`crate::terrain::Surface::lon_lat`]); the way back is
/// [`crate::dem::Dem::position_of`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
}

impl LonLat {
    /// A point from longitude and latitude in degrees.
    pub fn new(lon: f64, lat: f64) -> Self {
        LonLat { lon, lat }
    }

    /// `true` when both coordinates are finite numbers.
    pub fn is_finite(&self) -> bool {
        self.lon.is_finite() && self.lat.is_finite()
    }
}

impl std::fmt::Display for LonLat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = if self.lat >= 0.0 { 'N' } else { 'S' };
        let ew = if self.lon >= 0.0 { 'E' } else { 'W' };
        write!(
            f,
            "{:.5}°{} {:.5}°{}",
            self.lat.abs(),
            ns,
            self.lon.abs(),
            ew
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_hemispheres_by_letter() {
        assert_eq!(
            LonLat::new(-6.78, 52.6177).to_string(),
            "52.61770°N 6.78000°W"
        );
        assert_eq!(LonLat::new(7.5, -33.25).to_string(), "33.25000°S 7.50000°E");
    }
}
