//! Gradients checked against planes laid out with independent geodesics.

use downhill::dem::{Crs, Dem, GeoTransform};
use downhill::geo::Xy;
use downhill::terrain::{GradientGrid, GradientScheme, Surface, Terrain};
use geographiclib_rs::{Geodesic, InverseGeodesic};
use ndarray::Array2;

/// Ground distance along the parallel/meridian from (lon0, lat0), signed, by Karney's geodesics.
fn east_of(lon0: f64, lon: f64, lat: f64) -> f64 {
    let s: f64 = Geodesic::wgs84().inverse(lat, lon0, lat, lon);
    s * (lon - lon0).signum()
}
fn north_of(lat0: f64, lat: f64, lon: f64) -> f64 {
    let s: f64 = Geodesic::wgs84().inverse(lat0, lon, lat, lon);
    s * (lat - lat0).signum()
}

/// A geographic grid around `lat0` holding a plane with slopes `se` (east) and `sn` (north).
fn tilted_plane(lat0: f64, se: f64, sn: f64, scheme: GradientScheme) -> Terrain {
    let (n, step) = (101usize, 1.0 / 1200.0);
    let (lon_w, lat_n) = (10.0, lat0 + 50.0 * step);
    let heights = Array2::from_shape_fn((n, n), |(r, c)| {
        let lat = lat_n - r as f64 * step;
        let lon = lon_w + c as f64 * step;
        (1000.0 + se * east_of(lon_w + 50.0 * step, lon, lat) + sn * north_of(lat0, lat, lon))
            as f32
    });
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(lon_w, lat_n, step, step),
        crs: Crs::Geographic,
        inputs: vec![],
    };
    Terrain::new(dem, scheme).unwrap()
}

#[test]
fn a_plane_tilted_by_a_known_slope_reads_that_slope_at_any_latitude() {
    for lat0 in [0.0, 45.0, 52.6, 60.0, 75.0] {
        for scheme in [GradientScheme::Central, GradientScheme::Horn] {
            let t = tilted_plane(lat0, 0.1, -0.05, scheme);
            for p in [
                Xy::new(10.0 + 50.0 / 1200.0, lat0),
                Xy::new(10.0 + 31.3 / 1200.0, lat0 + 7.7 / 1200.0),
            ] {
                let g = t.gradient(p).unwrap();
                // f32 storage of ~1000 m heights limits precision to ~1e-4 m over 30-90 m cells.
                assert!(
                    (g.east - 0.1).abs() < 2e-4,
                    "lat {lat0} {scheme:?}: east {}",
                    g.east
                );
                assert!(
                    (g.north + 0.05).abs() < 2e-4,
                    "lat {lat0} {scheme:?}: north {}",
                    g.north
                );
            }
        }
    }
}

#[test]
fn precomputed_grid_and_on_demand_gradients_agree() {
    let t = tilted_plane(52.0, 0.03, 0.02, GradientScheme::Horn);
    let grid = GradientGrid::compute(t.dem(), GradientScheme::Horn);
    for (r, c) in [(0, 0), (10, 20), (50, 50), (100, 100), (0, 100)] {
        let g = t.gradient_at_sample(r, c).unwrap();
        assert!((grid.east[[r, c]] as f64 - g.east).abs() < 1e-6);
        assert!((grid.north[[r, c]] as f64 - g.north).abs() < 1e-6);
    }
}

#[test]
fn the_field_is_continuous_between_samples() {
    // A bumpy surface: bilinear interpolation of the gradient grid leaves no jumps.
    let n = 40;
    let heights = Array2::from_shape_fn((n, n), |(r, c)| ((r * 7 + c * 13) % 17) as f32 * 3.0);
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(0.0, 0.0, 30.0, 30.0),
        crs: Crs::Projected {
            epsg: 32631,
            proj: String::new(),
        },
        inputs: vec![],
    };
    let t = Terrain::new(dem, GradientScheme::Central).unwrap();
    let mut prev = t.gradient(Xy::new(300.0, -300.0)).unwrap();
    for i in 1..=3000 {
        let p = Xy::new(300.0 + i as f64 * 0.1, -300.0 - i as f64 * 0.05);
        let g = t.gradient(p).unwrap();
        assert!((g - prev).norm() < 0.05, "jump at step {i}");
        prev = g;
    }
}

#[test]
fn voids_are_reported_not_interpolated() {
    let mut heights = Array2::from_elem((5, 5), 10.0f32);
    heights[[2, 2]] = f32::NAN;
    let dem = Dem {
        heights,
        transform: GeoTransform::from_first_sample(0.0, 0.0, 1.0, 1.0),
        crs: Crs::Projected {
            epsg: 32631,
            proj: String::new(),
        },
        inputs: vec![],
    };
    let t = Terrain::new(dem, GradientScheme::Central).unwrap();
    use downhill::terrain::Obstacle;
    assert_eq!(t.elevation(Xy::new(2.2, -2.3)), Err(Obstacle::Void));
    assert_eq!(t.gradient(Xy::new(0.5, -0.5)).map(|_| ()), Ok(()));
    assert_eq!(t.gradient(Xy::new(1.5, -1.5)), Err(Obstacle::Void));
    assert_eq!(t.elevation(Xy::new(-0.1, -1.0)), Err(Obstacle::Outside));
}

#[test]
fn interleaved_slopes_are_the_grids_samples_on_a_tile_with_voids() {
    // N43E007 has voids: the pairs must be NaN exactly where the grid is.
    let dem = downhill::dem::open(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/N43E007.hgt")),
        &downhill::dem::LoadOptions::default(),
    )
    .unwrap();
    let voids = dem.heights.iter().filter(|z| z.is_nan()).count();
    assert!(voids > 0, "the tile has voids");
    for scheme in [GradientScheme::Central, GradientScheme::Horn] {
        let grid = GradientGrid::compute(&dem, scheme);
        let pairs = GradientGrid::interleaved(&dem, scheme);
        let (rows, cols) = dem.heights.dim();
        assert_eq!(pairs.len(), rows * cols);
        let mut nan = 0;
        for ((r, c), &e) in grid.east.indexed_iter() {
            let [pe, pn] = pairs[r * cols + c];
            assert_eq!(pe.to_bits(), e.to_bits(), "{scheme:?} east at ({r}, {c})");
            assert_eq!(
                pn.to_bits(),
                grid.north[[r, c]].to_bits(),
                "{scheme:?} north at ({r}, {c})"
            );
            nan += pe.is_nan() as usize;
        }
        assert!(nan >= voids, "{scheme:?}: every void and its rim are NaN");
    }
}
