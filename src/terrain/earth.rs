//! The Earth model used to turn degrees into ground metres.
//!
//! downhill uses the WGS84 ellipsoid's radii of curvature at each latitude
//! (not a mean sphere): the meridional radius `M(φ)` for north-south
//! distances and the prime-vertical radius `N(φ)` times `cos φ` for
//! east-west ones. At 52.5° N one degree of latitude is 111 257 m and one
//! degree of longitude 67 960 m. Track lengths are geodesics on the same
//! ellipsoid (Karney's algorithm through `geographiclib-rs`).

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// Standard gravity, m/s².
pub const GRAVITY: f64 = 9.806_65;

fn e2() -> f64 {
    WGS84_F * (2.0 - WGS84_F)
}

/// Meridional radius of curvature `M(φ)` in metres at latitude `lat_deg` (degrees).
pub fn meridional_radius(lat_deg: f64) -> f64 {
    let s = lat_deg.to_radians().sin();
    let w = 1.0 - e2() * s * s;
    WGS84_A * (1.0 - e2()) / (w * w.sqrt())
}

/// Prime-vertical radius of curvature `N(φ)` in metres at latitude `lat_deg` (degrees).
pub fn prime_vertical_radius(lat_deg: f64) -> f64 {
    let s = lat_deg.to_radians().sin();
    WGS84_A / (1.0 - e2() * s * s).sqrt()
}

/// Ground metres in one degree of latitude at latitude `lat_deg`.
pub fn metres_per_degree_lat(lat_deg: f64) -> f64 {
    meridional_radius(lat_deg).to_radians()
}

/// Ground metres in one degree of longitude at latitude `lat_deg`.
pub fn metres_per_degree_lon(lat_deg: f64) -> f64 {
    (prime_vertical_radius(lat_deg) * lat_deg.to_radians().cos()).to_radians()
}

/// Geodesic distance in metres between two WGS84 points (degrees).
pub fn geodesic_distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    use geographiclib_rs::{Geodesic, InverseGeodesic};
    let s12: f64 = Geodesic::wgs84().inverse(lat1, lon1, lat2, lon2);
    s12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degree_lengths_match_textbook_values() {
        // Published WGS84 values: 1° of latitude is 110 574 m at the equator
        // and 111 694 m at the poles; 1° of longitude is 111 320 m at the equator.
        assert!((metres_per_degree_lat(0.0) - 110_574.3).abs() < 1.0);
        assert!((metres_per_degree_lat(90.0) - 111_694.0).abs() < 1.0);
        assert!((metres_per_degree_lon(0.0) - 111_319.5).abs() < 1.0);
        assert!((metres_per_degree_lon(60.0) - 55_800.0).abs() < 5.0);
    }

    #[test]
    fn geodesic_agrees_with_local_metrics_for_short_hops() {
        let lat = 52.5;
        let d = geodesic_distance(-6.8, lat, -6.8, lat + 0.001);
        assert!((d - metres_per_degree_lat(lat) * 0.001).abs() < 0.01);
        let d = geodesic_distance(-6.8, lat, -6.799, lat);
        assert!((d - metres_per_degree_lon(lat) * 0.001).abs() < 0.01);
    }
}
