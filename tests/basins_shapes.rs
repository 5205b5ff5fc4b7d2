//! Basin outlines, the GeoTIFF and the analytic two-pit surface.

mod common;

use std::process::Command;
use std::sync::atomic::AtomicBool;

use downhill::agents::{AgentKind, StepParams, StopRules};
use downhill::basins::{self, export, geotiff, polygons, BasinOptions, WalkSettings};
use downhill::dem::{Crs, Dem, GeoTransform};
use downhill::terrain::GradientScheme;
use geo::{Area, Coord, LineString, MultiPolygon, Polygon, Validation};
use ndarray::Array2;

fn to_geo(polys: &[polygons::Polygon]) -> MultiPolygon<f64> {
    let ring = |r: &polygons::Ring| {
        LineString::from(
            r.iter()
                .map(|p| Coord { x: p[0], y: p[1] })
                .collect::<Vec<_>>(),
        )
    };
    MultiPolygon::new(
        polys
            .iter()
            .map(|p| Polygon::new(ring(&p[0]), p[1..].iter().map(ring).collect()))
            .collect(),
    )
}

/// Traces `labels` on unit cells and checks every basin: valid (geo's OGC
/// rules), shells anticlockwise and holes clockwise (RFC 7946), and its
/// area equal to its number of cells.
fn check_outlines(labels: &Array2<u32>) {
    let count = *labels.iter().max().unwrap() as usize;
    let rows = labels.nrows() as f64;
    let shapes = polygons::trace(labels, count, &|r, c| [c, rows - r]);
    for (k, polys) in shapes.iter().enumerate() {
        let id = k as u32 + 1;
        let cells = labels.iter().filter(|&&l| l == id).count() as f64;
        let mp = to_geo(polys);
        assert!(
            mp.is_valid(),
            "basin {id} invalid: {:?}\n{labels:?}",
            mp.validation_errors()
        );
        assert!((mp.unsigned_area() - cells).abs() < 1e-9, "basin {id} area");
        for p in &mp.0 {
            assert!(p.exterior().is_closed());
            assert!(Polygon::new(p.exterior().clone(), vec![]).signed_area() > 0.0);
            for h in p.interiors() {
                assert!(Polygon::new(h.clone(), vec![]).signed_area() < 0.0);
            }
        }
    }
}

#[test]
fn outlines_of_pinches_holes_and_rings_are_valid() {
    // Diagonal pinch between two cells of basin 1; a U of basin 2 whose
    // tips meet at a corner round a hole; basin 3 an island in basin 4.
    let grid = [
        [1, 2, 2, 2, 2, 4, 4, 4],
        [2, 1, 5, 5, 2, 4, 3, 4],
        [2, 5, 5, 2, 5, 4, 4, 4],
        [2, 2, 2, 5, 5, 1, 1, 1],
        [5, 5, 5, 5, 1, 5, 1, 5],
    ];
    let labels = Array2::from_shape_fn((5, 8), |(r, c)| grid[r][c]);
    check_outlines(&labels);
}

#[test]
fn outlines_of_random_label_grids_are_valid() {
    // A fixed linear congruential sequence: reproducible noise, few labels
    // so basins interlock with many pinches and holes.
    let mut state = 12_345u64;
    for size in [3usize, 6, 12, 25] {
        for _ in 0..20 {
            let labels = Array2::from_shape_fn((size, size + 1), |_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                ((state >> 33) % 3) as u32 + 1
            });
            check_outlines(&labels);
        }
    }
}

/// z = 50·((x/250)² − 1)² + 20·(y/250)² on 10 m cells: two pits at
/// x = ±250 m, their divide the line x = 0.
fn two_pits() -> Dem {
    let n = 101;
    let heights = Array2::from_shape_fn((n, n), |(r, c)| {
        let (x, y) = ((c as f64 - 50.0) * 10.0, (50.0 - r as f64) * 10.0);
        (50.0 * ((x / 250.0).powi(2) - 1.0).powi(2) + 20.0 * (y / 250.0).powi(2)) as f32
    });
    Dem {
        heights,
        transform: GeoTransform {
            origin_x: -505.0,
            origin_y: 505.0,
            cell_x: 10.0,
            cell_y: 10.0,
        },
        crs: Crs::Projected {
            epsg: 32629,
            proj: "+proj=utm +zone=29 +datum=WGS84".into(),
        },
        inputs: vec![],
    }
}

fn options(kind: AgentKind, exact: bool) -> BasinOptions {
    BasinOptions {
        walk: WalkSettings {
            kind,
            params: StepParams::default_for(kind),
            rules: StopRules::default(),
            stride: 1,
            exact,
            resolve_stalls: false,
        },
        fill: false,
        min_slope: None,
        scheme: GradientScheme::Central,
    }
}

#[test]
fn two_pits_split_along_the_analytic_divide() {
    let dem = two_pits();
    for exact in [true, false] {
        let run = basins::compute(
            &dem,
            &options(AgentKind::Gd, exact),
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        let l = &run.basins.labels;
        let (west, east) = (l[[50, 25]], l[[50, 75]]);
        assert_ne!(west, east);
        for r in 0..101 {
            for c in 0..101 {
                // Off the divide column, the side of x = 0 decides.
                if c < 50 {
                    assert_eq!(l[[r, c]], west, "exact {exact}: ({r},{c})");
                } else if c > 50 {
                    assert_eq!(l[[r, c]], east, "exact {exact}: ({r},{c})");
                }
            }
        }
        // The two big basins' sinks are the analytic pits (cell 25 and 75 of row 50).
        let outlets: Vec<(usize, usize)> = run
            .basins
            .basins
            .iter()
            .take(2)
            .map(|b| (b.outlet_row, b.outlet_col))
            .collect();
        assert!(
            outlets.contains(&(50, 25)) && outlets.contains(&(50, 75)),
            "{outlets:?}"
        );
    }
}

fn gdal(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        common::skipped(&format!(
            "{tool} is not installed; the GDAL check did not run"
        ));
    }
    ok
}

#[test]
fn geotiff_opens_in_gdal_with_its_georeferencing_and_values() {
    if !gdal("gdalinfo") || !gdal("gdallocationinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let labels = Array2::from_shape_fn((7, 9), |(r, c)| (r * 100 + c) as u32 + 70_000);
    let t = GeoTransform {
        origin_x: -7.0,
        origin_y: 53.0,
        cell_x: 1.0 / 1200.0,
        cell_y: 1.0 / 1200.0,
    };
    let path = dir.path().join("basins.tif");
    geotiff::write_labels(&path, &labels, &t, &Crs::Geographic).unwrap();
    let out = Command::new("gdalinfo")
        .arg("-json")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["size"], serde_json::json!([9, 7]));
    assert_eq!(info["bands"][0]["type"], "UInt32");
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let want = t.to_gdal();
    for k in 0..6 {
        assert!(
            (gt[k] - want[k]).abs() < 1e-12,
            "geotransform {gt:?} vs {want:?}"
        );
    }
    let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.contains("WGS 84") && wkt.contains("4326"), "{wkt}");
    for (r, c) in [(0usize, 0usize), (3, 4), (6, 8)] {
        let out = Command::new("gdallocationinfo")
            .args([
                "-valonly",
                path.to_str().unwrap(),
                &c.to_string(),
                &r.to_string(),
            ])
            .output()
            .unwrap();
        let v: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert_eq!(v, labels[[r, c]]);
    }
}

#[test]
fn basins_geojson_polygons_cover_their_cells() {
    let dem = two_pits();
    let run = basins::compute(
        &dem,
        &options(AgentKind::Momentum, false),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let shapes = export::outlines(&run.basins, &run.surface);
    let total: f64 = shapes.iter().map(|p| to_geo(p).unsigned_area()).sum();
    // Every cell has a start, so the outlines tile the grid: 1010 m x 1010 m.
    assert!((total - 1010.0 * 1010.0).abs() < 1e-6, "{total}");
    for p in &shapes {
        assert!(to_geo(p).is_valid());
    }
}
