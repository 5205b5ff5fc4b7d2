//! The WGS84 ellipsoid: the Earth model used to turn degrees into ground
//! metres, and the geodesics between two places.
//!
//! It sits below both [`crate::dem`] (cell sizes in metres) and
//! [`crate::terrain`] (gradients and track lengths), which need it and
//! need nothing of each other for it.
//!
//! downhill uses the WGS84 ellipsoid's radii of curvature at each latitude
//! (not a mean sphere): the meridional radius `M(φ)` for north-south
//! distances and the prime-vertical radius `N(φ)` times `cos φ` for
//! east-west ones. At 52.5° N one degree of latitude is 111 257 m and one
//! degree of longitude 67 960 m. Track lengths are geodesics on the same
//! ellipsoid (Karney's algorithm through `geographiclib-rs`).

use super::LonLat;

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

/// Geodesic distance in metres and initial azimuth in degrees (clockwise
/// from north, -180..180) of the shortest path from `from` to `to` on WGS84.
pub fn inverse(from: LonLat, to: LonLat) -> (f64, f64) {
    use geographiclib_rs::{Geodesic, InverseGeodesic};
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) =
        Geodesic::wgs84().inverse(from.lat, from.lon, to.lat, to.lon);
    (s12, azi1)
}

/// The nearest of the 16 compass points to `azimuth_deg` (degrees clockwise
/// from north, any range), spelled out: `"north"`, `"north-north-east"`, ...
pub fn compass_point(azimuth_deg: f64) -> &'static str {
    const POINTS: [&str; 16] = [
        "north",
        "north-north-east",
        "north-east",
        "east-north-east",
        "east",
        "east-south-east",
        "south-east",
        "south-south-east",
        "south",
        "south-south-west",
        "south-west",
        "west-south-west",
        "west",
        "west-north-west",
        "north-west",
        "north-north-west",
    ];
    POINTS[((azimuth_deg.rem_euclid(360.0) / 22.5).round() as usize) % 16]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compass_points_by_hand() {
        assert_eq!(compass_point(0.0), "north");
        assert_eq!(compass_point(359.0), "north");
        assert_eq!(compass_point(-90.0), "west");
        assert_eq!(compass_point(22.5), "north-north-east");
        assert_eq!(compass_point(135.0), "south-east");
        assert_eq!(compass_point(-170.0), "south");
    }

    #[test]
    fn inverse_due_north_and_east() {
        // Along a meridian the azimuth is 0 and the length one degree of latitude.
        let (d, az) = inverse(LonLat::new(-6.8, 52.0), LonLat::new(-6.8, 52.001));
        assert!(az.abs() < 1e-9);
        assert!((d - metres_per_degree_lat(52.0005) * 0.001).abs() < 0.01);
        let (_, az) = inverse(LonLat::new(-6.8, 0.0), LonLat::new(-6.7, 0.0));
        assert!((az - 90.0).abs() < 1e-9);
    }

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
