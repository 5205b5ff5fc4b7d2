//! Projected grids: UTM conversions against geodesy and GDAL, and the same
//! drop on a tile, its GeoTIFF copy and its UTM-warped copy.

mod dem_support;

use dem_support::{data, have_tool, run, run_with_input};
use downhill::agents::{Agent, AgentKind, StopRules, Track};
use downhill::dem::{self, Crs, LoadOptions, Projection};
use downhill::geo::geodesy as earth;
use downhill::geo::LonLat;
use downhill::terrain::{GradientScheme, Surface, Terrain, Vector};
use geographiclib_rs::{Geodesic, InverseGeodesic};

fn utm29() -> Projection {
    let crs = dem::projection::projected_crs(32629).unwrap_or_else(|e| panic!("{e}"));
    Projection::for_crs(&crs).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn utm_on_the_central_meridian_is_the_scaled_meridian_arc() {
    // On a UTM central meridian, easting is the false easting and northing
    // is 0.9996 times the geodesic distance from the equator.
    let p = utm29();
    for lat in [0.0, 10.0, 45.0, 52.6175, 70.0] {
        let (e, n) = p.from_wgs84(-9.0, lat).expect("projects");
        let arc: f64 = Geodesic::wgs84().inverse(0.0, -9.0, lat, -9.0);
        assert!((e - 500_000.0).abs() < 1e-6, "lat {lat}: easting {e}");
        assert!(
            (n - 0.9996 * arc).abs() < 1e-3,
            "lat {lat}: northing {n} vs {}",
            0.9996 * arc
        );
    }
}

#[test]
fn utm_of_mount_leinster_matches_proj_and_round_trips() {
    let p = utm29();
    // PROJ 9 (`echo -6.7792 52.6175 | gdaltransform -s_srs EPSG:4326 -t_srs EPSG:32629`).
    let (e, n) = p.from_wgs84(-6.7792, 52.6175).expect("projects");
    assert!(
        (e - 650_342.629).abs() < 0.01 && (n - 5_832_037.635).abs() < 0.01,
        "{e} {n}"
    );
    let (lon, lat) = p.to_wgs84(e, n).expect("inverts");
    assert!(
        (lon + 6.7792).abs() < 1e-9 && (lat - 52.6175).abs() < 1e-9,
        "{lon} {lat}"
    );
}

#[test]
fn utm_matches_gdaltransform_across_the_zone() {
    if !have_tool("gdaltransform") {
        return;
    }
    let p = utm29();
    let mut points = Vec::new();
    for lat in [-60.0, -20.0, 0.5, 30.0, 52.0, 71.0] {
        for lon in [-12.0, -10.5, -9.0, -7.5, -6.0] {
            points.push((lon, lat));
        }
    }
    let input: String = points
        .iter()
        .map(|(lon, lat)| format!("{lon} {lat}\n"))
        .collect();
    let out = run_with_input(
        "gdaltransform",
        &["-s_srs", "EPSG:4326", "-t_srs", "EPSG:32629", "-output_xy"],
        &input,
    );
    for ((lon, lat), line) in points.iter().zip(out.lines()) {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|s| s.parse().expect("number"))
            .collect();
        let (e, n) = p.from_wgs84(*lon, *lat).expect("projects");
        // proj4rs uses the classic series, PROJ the exact Poder/Engsager one:
        // they agree to millimetres within the zone, centimetres 3 degrees out.
        assert!(
            (e - v[0]).abs() < 0.05 && (n - v[1]).abs() < 0.05,
            "({lon}, {lat}): {e} {n} vs GDAL {} {}",
            v[0],
            v[1]
        );
    }
}

#[test]
fn a_grid_position_is_projected_only_on_a_projected_grid() {
    let hgt = dem::open(&data("N52W007.hgt"), &LoadOptions::default()).expect("open");
    let ll = LonLat::new(-6.7792, 52.6175);
    let p = hgt.position_of(ll).expect("geographic");
    assert_eq!((p.x, p.y), (ll.lon, ll.lat));
    let mut utm = hgt.clone();
    utm.crs = dem::projection::projected_crs(32629).expect("crs");
    let p = utm.position_of(ll).expect("projected");
    assert!((p.x - 650_342.629).abs() < 0.01 && (p.y - 5_832_037.635).abs() < 0.01);
    utm.crs = Crs::Projected {
        epsg: 0,
        proj: "+proj=nonsense".into(),
    };
    assert!(utm.position_of(ll).is_err());
}

/// A walker from the summit of Mount Leinster on `dem`; returns the terrain and its track.
fn leinster_descent(dem: dem::Dem) -> (Terrain, Track) {
    let start = dem
        .position_of(LonLat::new(-6.7792, 52.6175))
        .expect("start");
    let t = Terrain::new(dem, GradientScheme::Central).expect("terrain");
    let track = Agent::new(AgentKind::Gd)
        .descend(&t, start, Vector::ZERO, &StopRules::default())
        .expect("descend");
    (t, track)
}

#[test]
fn the_same_drop_on_the_tile_and_on_its_geotiff_gives_the_same_track() {
    if !have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tif = dir.path().join("leinster.tif");
    run(
        "gdal_translate",
        &[
            "-q",
            "-co",
            "COMPRESS=DEFLATE",
            data("N52W007.hgt").to_str().expect("utf-8"),
            tif.to_str().expect("utf-8"),
        ],
    );
    let (_, a) =
        leinster_descent(dem::open(&data("N52W007.hgt"), &LoadOptions::default()).expect("hgt"));
    let (_, b) = leinster_descent(dem::open(&tif, &LoadOptions::default()).expect("tif"));
    assert!(a.steps() > 10);
    assert_eq!(a.stop_reason, b.stop_reason);
    assert_eq!(a.points, b.points);
}

#[test]
fn the_drop_on_a_utm_warped_copy_ends_within_tens_of_metres() {
    if !have_tool("gdalwarp") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let utm = dir.path().join("leinster_utm.tif");
    run(
        "gdalwarp",
        &[
            "-q",
            "-t_srs",
            "EPSG:32629",
            "-tr",
            "60",
            "60",
            "-r",
            "bilinear",
            "-te",
            "630000",
            "5810000",
            "670000",
            "5850000",
            data("N52W007.hgt").to_str().expect("utf-8"),
            utm.to_str().expect("utf-8"),
        ],
    );
    let (tg, geo) =
        leinster_descent(dem::open(&data("N52W007.hgt"), &LoadOptions::default()).expect("hgt"));
    let utm_dem = dem::open(&utm, &LoadOptions::default()).expect("utm");
    assert_eq!(utm_dem.crs.label(), "EPSG:32629");
    let (tu, proj) = leinster_descent(utm_dem);
    let end = |t: &Terrain, tr: &Track| {
        t.lon_lat(tr.points.last().expect("end").position)
            .expect("WGS84 end")
    };
    let (a, b) = (end(&tg, &geo), end(&tu, &proj));
    let apart = earth::geodesic_distance(a.lon, a.lat, b.lon, b.lat);
    let run_m = earth::geodesic_distance(-6.7792, 52.6175, a.lon, a.lat);
    eprintln!("geographic end {a}, UTM end {b}: {apart:.1} m apart after {run_m:.0} m");
    assert_eq!(geo.stop_reason, proj.stop_reason);
    assert!(run_m > 500.0, "the walk goes somewhere ({run_m} m)");
    assert!(apart < 50.0, "ends {apart} m apart");
    // Steps are metres on the UTM grid: the same descent takes a similar path length.
    let (lg, lu) = (geo.summary(&tg).length_m, proj.summary(&tu).length_m);
    assert!((lg - lu).abs() < 0.1 * lg, "path {lg} m vs {lu} m");
}
