//! Summits and prominence against a brute-force definition, and against a
//! published figure on the bundled tile.
//!
//! The reference below does not sweep: it finds each summit's key col by
//! flood fills from the summit at every lower level, the definition itself
//! ("the highest col over which it reaches higher ground").

use std::collections::VecDeque;

use downhill::dem::{self, Crs, Dem, GeoTransform, LoadOptions};
use downhill::peaks::{find_summits, Summit, SummitOptions};
use geographiclib_rs::{Geodesic, InverseGeodesic};
use ndarray::Array2;
use proptest::prelude::*;

/// A geographic grid of 1" cells at 46° N.
fn dem(h: Array2<f32>) -> Dem {
    let cell = 1.0 / 3600.0;
    Dem {
        heights: h,
        transform: GeoTransform::from_first_sample(7.0, 46.0, cell, cell),
        crs: Crs::Geographic,
        inputs: vec![],
    }
}

fn neighbours(r: usize, c: usize, rows: usize, cols: usize) -> Vec<Option<(usize, usize)>> {
    let mut out = Vec::new();
    for dr in -1isize..=1 {
        for dc in -1isize..=1 {
            if dr == 0 && dc == 0 {
                continue;
            }
            let (rr, cc) = (r as isize + dr, c as isize + dc);
            out.push(
                (rr >= 0 && cc >= 0 && (rr as usize) < rows && (cc as usize) < cols)
                    .then_some((rr as usize, cc as usize)),
            );
        }
    }
    out
}

/// Samples reachable from `from` over non-void samples accepted by `keep`.
fn flood(
    h: &Array2<f32>,
    from: &[(usize, usize)],
    keep: impl Fn(f32) -> bool,
) -> Vec<(usize, usize)> {
    let (rows, cols) = h.dim();
    let mut seen = Array2::from_elem((rows, cols), false);
    let mut queue: VecDeque<(usize, usize)> = VecDeque::new();
    for &p in from {
        seen[p] = true;
        queue.push_back(p);
    }
    let mut out = Vec::new();
    while let Some((r, c)) = queue.pop_front() {
        out.push((r, c));
        for (rr, cc) in neighbours(r, c, rows, cols).into_iter().flatten() {
            let v = h[[rr, cc]];
            if !seen[[rr, cc]] && !v.is_nan() && keep(v) {
                seen[[rr, cc]] = true;
                queue.push_back((rr, cc));
            }
        }
    }
    out
}

/// `true` for a sample on the raster's border or next to a void.
fn at_edge(h: &Array2<f32>, (r, c): (usize, usize)) -> bool {
    let (rows, cols) = h.dim();
    neighbours(r, c, rows, cols)
        .into_iter()
        .any(|n| n.is_none_or(|p| h[p].is_nan()))
}

/// A summit by the definition.
#[derive(Debug)]
struct Reference {
    flat: Vec<(usize, usize)>,
    elevation: f32,
    /// Key col height, `None` without higher ground in reach.
    col: Option<f32>,
    prominence: f64,
    /// Whether the ground above the col reached from the summit touches the
    /// edge (first), and whether anything joined to the summit at or above
    /// the col's height does, apart from the ground around higher summits
    /// (second): the sweep's answer lies between the two, as at the col's
    /// own height it may join flats and lower regions before the key col.
    edge_at_col: (bool, bool),
}

fn reference_summits(d: &Dem) -> Vec<Reference> {
    let h = &d.heights;
    let (rows, cols) = h.dim();
    // Flats: equal-height connected sets; summits are those with no higher neighbour.
    let mut flat_of = Array2::from_elem((rows, cols), usize::MAX);
    let mut flats: Vec<Vec<(usize, usize)>> = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let v = h[[r, c]];
            if v.is_nan() || flat_of[[r, c]] != usize::MAX {
                continue;
            }
            let members = flood(h, &[(r, c)], |x| x == v);
            for &p in &members {
                flat_of[p] = flats.len();
            }
            flats.push(members);
        }
    }
    let mut summit_flats: Vec<usize> = (0..flats.len())
        .filter(|&f| {
            let v = h[flats[f][0]];
            flats[f].iter().all(|&(r, c)| {
                neighbours(r, c, rows, cols)
                    .into_iter()
                    .flatten()
                    .all(|p| h[p].is_nan() || h[p] <= v)
            })
        })
        .collect();
    // Higher first; equal heights: the first sample in row-major order first.
    let first = |f: usize| flats[f].iter().min().copied().unwrap();
    summit_flats.sort_by(|&a, &b| {
        h[flats[b][0]]
            .total_cmp(&h[flats[a][0]])
            .then(first(a).cmp(&first(b)))
    });
    let mut levels: Vec<f32> = h.iter().copied().filter(|v| !v.is_nan()).collect();
    levels.sort_by(|a, b| b.total_cmp(a));
    levels.dedup();
    summit_flats
        .iter()
        .enumerate()
        .map(|(k, &f)| {
            let e = h[flats[f][0]];
            let higher_summit: Vec<bool> = (0..flats.len())
                .map(|g| summit_flats[..k].contains(&g) && h[flats[g][0]] == e)
                .collect();
            let is_higher = |p: (usize, usize)| h[p] > e || higher_summit[flat_of[p]];
            let mut col = None;
            for &t in levels.iter().filter(|&&t| t < e) {
                if flood(h, &flats[f], |v| v >= t).into_iter().any(is_higher) {
                    col = Some(t);
                    break;
                }
            }
            let (prominence, edge_at_col) = match col {
                Some(t) => {
                    let above = flood(h, &flats[f], |v| v > t);
                    let lower = above.iter().any(|&p| at_edge(h, p));
                    // At most: everything joined to the summit at or above the
                    // col's height, less the ground around higher summits.
                    let reach = flood(h, &flats[f], |v| v >= t);
                    let mut upper = reach.iter().any(|&p| h[p] == t && at_edge(h, p));
                    let mut done = Array2::from_elem(h.dim(), false);
                    for &p in reach.iter().filter(|&&p| h[p] > t) {
                        if done[p] {
                            continue;
                        }
                        let part = flood(h, &[p], |v| v > t);
                        for &q in &part {
                            done[q] = true;
                        }
                        if !part.iter().any(|&q| is_higher(q)) {
                            upper |= part.iter().any(|&q| at_edge(h, q));
                        }
                    }
                    let edge = (lower, upper);
                    (e as f64 - t as f64, edge)
                }
                None => {
                    let land = flood(h, &flats[f], |_| true);
                    let low = land.iter().map(|&p| h[p]).fold(f32::INFINITY, f32::min);
                    (e as f64 - low as f64, (true, true))
                }
            };
            Reference {
                flat: flats[f].clone(),
                elevation: e,
                col,
                prominence,
                edge_at_col,
            }
        })
        .collect()
}

/// Geodesic distance in metres from sample `at` to the nearest sample higher than it.
fn reference_isolation(d: &Dem, at: (usize, usize)) -> Option<f64> {
    let h = &d.heights;
    let e = h[at];
    let geodesic = Geodesic::wgs84();
    let pos = |(r, c): (usize, usize)| d.sample_position(r as f64, c as f64);
    let a = pos(at);
    h.indexed_iter()
        .filter(|(_, &v)| v > e)
        .map(|(p, _)| {
            let q = pos(p);
            let s: f64 = geodesic.inverse(a.y, a.x, q.y, q.x);
            s
        })
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.min(s))))
}

/// Compares the sweep with the reference on one grid.
fn check(h: Array2<f32>) {
    let d = dem(h);
    let h = &d.heights;
    let found = find_summits(
        &d,
        &SummitOptions {
            min_prominence_m: 0.0,
        },
    )
    .unwrap();
    let reference = reference_summits(&d);
    assert_eq!(found.len(), reference.len(), "summit count on\n{h:?}");
    let by_rank = |r: usize| -> &Summit { &found[r - 1] };
    for s in &found {
        let at = (s.summit.row, s.summit.col);
        let Some(r) = reference.iter().find(|r| r.flat.contains(&at)) else {
            panic!("summit at {at:?} is not a summit of\n{h:?}");
        };
        assert_eq!(s.summit.elevation_m, r.elevation as f64);
        assert_eq!(s.plateau_samples, r.flat.len());
        assert_eq!(
            s.prominence_m, r.prominence,
            "prominence of {at:?} on\n{h:?}"
        );
        assert_eq!(s.key_col.map(|c| c.elevation_m as f32), r.col, "{at:?}");
        let (lower, upper) = r.edge_at_col;
        assert!(
            (!lower || s.reaches_edge) && (!s.reaches_edge || upper),
            "{at:?} reaches the edge? on\n{h:?}"
        );
        // Isolation: the nearest higher ground, within the geodesic/local-metric difference.
        match (s.isolation_m, reference_isolation(&d, at)) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 0.005 * b + 1e-6, "{a} vs {b}"),
            (a, b) => assert_eq!(a, b, "{at:?}"),
        }
        if let (Some(col), Some(parent)) = (s.key_col, s.parent) {
            // The key col is reached from the summit without going below it,
            // and from it the parent, a higher summit.
            let p = by_rank(parent);
            assert!(
                p.summit.elevation_m >= s.summit.elevation_m,
                "parent lower than {at:?}"
            );
            let t = col.elevation_m as f32;
            let reach = flood(h, &r.flat, |v| v >= t);
            assert!(reach.contains(&(col.row, col.col)));
            assert!(reach.contains(&(p.summit.row, p.summit.col)));
        } else {
            assert!(s.key_col.is_none() && s.parent.is_none() && s.edge_limited);
        }
    }
    // Ranks are by prominence.
    for w in found.windows(2) {
        assert!(w[0].prominence_m >= w[1].prominence_m);
        assert_eq!(w[0].rank + 1, w[1].rank);
    }
}

fn grid(rows: usize, cols: usize, v: &[f32]) -> Array2<f32> {
    Array2::from_shape_vec((rows, cols), v.to_vec()).unwrap()
}

#[test]
fn hand_made_grids_match_the_definition() {
    let n = f32::NAN;
    // Two hills and a col.
    check(grid(
        3,
        5,
        &[1., 1., 1., 1., 1., 1., 9., 4., 7., 1., 1., 1., 1., 1., 1.],
    ));
    // A plateau summit beside a higher single sample.
    check(grid(
        4,
        6,
        &[
            0., 0., 0., 0., 0., 0., 0., 6., 6., 2., 8., 0., 0., 6., 6., 2., 0., 0., 0., 0., 0., 0.,
            0., 0.,
        ],
    ));
    // Three hills meeting at one col; equal hills; voids between.
    check(grid(
        5,
        5,
        &[
            5., 1., 5., 1., 7., 1., 1., 3., 1., 1., 1., 3., 3., 3., 1., 1., 1., 3., 1., 1., 9., 1.,
            5., 1., n,
        ],
    ));
    // A ring: the rim is one summit around a lower hollow, a void in the middle.
    check(grid(
        5,
        5,
        &[
            1., 1., 1., 1., 1., 1., 4., 4., 4., 1., 1., 4., n, 4., 1., 1., 4., 4., 4., 1., 1., 1.,
            1., 1., 1.,
        ],
    ));
    // Equal summits joined by a col: the north-west one counts as higher.
    check(grid(1, 5, &[6., 2., 6., 2., 6.]));
    // Everything void, or one sample.
    check(grid(2, 2, &[n, n, n, n]));
    check(grid(1, 1, &[3.]));
}

#[test]
fn the_two_hills_have_the_textbook_values() {
    // Independent of the reference: a 9 m and a 7 m hill, col 4 m between,
    // on a 1 m floor of 7 x 7 samples.
    let mut h = Array2::from_elem((7, 7), 1.0f32);
    h[[3, 2]] = 9.0;
    h[[3, 3]] = 4.0;
    h[[3, 4]] = 7.0;
    let d = dem(h);
    let s = find_summits(
        &d,
        &SummitOptions {
            min_prominence_m: 0.0,
        },
    )
    .unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].summit.elevation_m, s[0].prominence_m), (9.0, 8.0));
    assert_eq!((s[1].summit.elevation_m, s[1].prominence_m), (7.0, 3.0));
    assert_eq!(s[1].parent, Some(1));
    let col = s[1].key_col.unwrap();
    assert_eq!((col.row, col.col, col.elevation_m), (3, 3, 4.0));
    // Two columns of 1" at 46° N: 2 × 30.87 × cos 46°… ≈ 43.0 m.
    let iso = s[1].isolation_m.unwrap();
    assert!((iso - 43.0).abs() < 0.5, "{iso}");
    // The higher hill's prominence is measured to the tile's lowest ground.
    assert!(s[0].edge_limited && s[0].isolation_m.is_none());
    assert!(!s[1].edge_limited && !s[1].reaches_edge);
    // A threshold drops the smaller hill.
    let s = find_summits(
        &d,
        &SummitOptions {
            min_prominence_m: 3.5,
        },
    )
    .unwrap();
    assert_eq!(s.len(), 1);
    assert!(find_summits(
        &d,
        &SummitOptions {
            min_prominence_m: -1.0
        }
    )
    .is_err());
}

fn random_grid() -> impl Strategy<Value = Array2<f32>> {
    (1usize..10, 1usize..10).prop_flat_map(|(rows, cols)| {
        proptest::collection::vec(
            prop_oneof![9 => (0u8..7).prop_map(|v| v as f32), 1 => Just(f32::NAN)],
            rows * cols,
        )
        .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).unwrap())
    })
}

fn random_float_grid() -> impl Strategy<Value = Array2<f32>> {
    (2usize..9, 2usize..9).prop_flat_map(|(rows, cols)| {
        proptest::collection::vec(-50.0f32..50.0, rows * cols)
            .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_grids_with_many_ties_match_the_definition(h in random_grid()) {
        check(h);
    }

    #[test]
    fn random_float_grids_match_the_definition(h in random_float_grid()) {
        check(h);
    }
}

#[test]
fn mount_leinster_against_the_published_prominence() {
    // Published: Mount Leinster, 794 m, prominence 705 m, key col towards
    // Lugnaquilla (925 m); the col and Lugnaquilla lie on this tile.
    let d = dem::open("data/N52W007.hgt".as_ref(), &LoadOptions::default()).unwrap();
    let s = find_summits(&d, &SummitOptions::default()).unwrap();
    let near = |lat: f64, lon: f64| {
        s.iter()
            .min_by(|a, b| {
                let da = (a.summit.lat - lat).hypot(a.summit.lon - lon);
                let db = (b.summit.lat - lat).hypot(b.summit.lon - lon);
                da.total_cmp(&db)
            })
            .unwrap()
    };
    let leinster = near(52.6177, -6.7800);
    let lugnaquilla = near(52.9672, -6.4644);
    eprintln!(
        "Mount Leinster on SRTM3: {} m, prominence {} m, key col {:?}; Lugnaquilla {} m",
        leinster.summit.elevation_m,
        leinster.prominence_m,
        leinster.key_col,
        lugnaquilla.summit.elevation_m
    );
    assert!((leinster.summit.lat - 52.6177).abs() < 0.005);
    assert!((lugnaquilla.summit.lat - 52.9672).abs() < 0.005);
    assert_eq!(leinster.parent, Some(lugnaquilla.rank));
    // The key col is measured inside the tile; the isolation is not (the
    // tile's west edge is 15 km away, Lugnaquilla 40 km).
    let col = leinster.key_col.unwrap();
    assert!(col.row > 0 && col.col > 0 && col.row < 1200 && col.col < 1200);
    assert!(leinster.edge_limited && leinster.isolation_edge_limited);
    // Within 20 m of the published figure (see the README for why they differ).
    assert!(
        (leinster.prominence_m - 705.0).abs() <= 20.0,
        "{}",
        leinster.prominence_m
    );
}

#[test]
fn names_go_to_the_nearest_summit_once_and_maps_can_list_them() {
    use downhill::peaks::{name_summits, named_summits_within, Gazetteer, Peak};
    // Two hills 20 columns apart (about 430 m at 46° N with 1" cells).
    let mut h = Array2::from_elem((11, 41), 1.0f32);
    h[[5, 10]] = 50.0;
    h[[5, 30]] = 40.0;
    let d = dem(h);
    let mut s = find_summits(
        &d,
        &SummitOptions {
            min_prominence_m: 0.0,
        },
    )
    .unwrap();
    assert_eq!(s.len(), 2);
    let at = |row: f64, col: f64, name: &str| {
        let p = d.sample_position(row, col);
        Peak {
            name: name.into(),
            lat: p.y,
            lon: p.x,
            elevation: None,
            country: None,
            source: None,
        }
    };
    let mut g = Gazetteer::default();
    // Both near the west hill; the nearer names it, the other is left over
    // (the east hill is beyond the snap distance from it).
    g.push(at(5.0, 12.0, "Far West"));
    g.push(at(5.0, 10.5, "West Hill"));
    g.push(at(5.0, 31.0, "East Hill"));
    g.push(at(5.0, 40.0, "Nowhere"));
    let named = name_summits(&mut s, &g, 100.0).unwrap();
    assert_eq!(named, 2);
    let name_at = |col: usize| {
        s.iter()
            .find(|m| m.summit.col == col)
            .and_then(|m| m.name.clone())
    };
    assert_eq!(name_at(10).as_deref(), Some("West Hill"));
    assert_eq!(name_at(30).as_deref(), Some("East Hill"));
    // A map of the western half lists only the west hill.
    let mid = d.sample_position(5.0, 20.0).x;
    let west_half = downhill::geo::Bounds {
        east: mid,
        ..d.bounds()
    };
    let west: Vec<&str> = named_summits_within(&s, west_half)
        .iter()
        .filter_map(|m| m.name.as_deref())
        .collect();
    assert_eq!(west, ["West Hill"]);
    assert!(name_summits(&mut s, &g, -1.0).is_err());
}

#[test]
fn a_projected_grid_gets_longitudes_latitudes_and_ground_isolation() {
    // UTM zone 29N, 30 m cells near its central meridian (9° W), where the
    // grid's metres are the ground's to within 0.04 %.
    let crs = dem::projection::projected_crs(32629).unwrap();
    let mut h = Array2::from_elem((21, 41), 100.0f32);
    h[[10, 10]] = 300.0;
    h[[10, 30]] = 250.0; // 20 cells = 600 m east of the higher hill
    h[[10, 20]] = 150.0;
    let d = Dem {
        heights: h,
        transform: GeoTransform::from_first_sample(500_000.0, 5_800_000.0, 30.0, 30.0),
        crs,
        inputs: vec![],
    };
    let s = find_summits(
        &d,
        &SummitOptions {
            min_prominence_m: 0.0,
        },
    )
    .unwrap();
    assert_eq!(s.len(), 3);
    let lower = s.iter().find(|m| m.summit.col == 30).unwrap();
    let iso = lower.isolation_m.unwrap();
    assert!((iso - 600.0).abs() < 0.5, "{iso}");
    // Easting 500 000 m is the central meridian, 9° W; 5 800 000 m N is about 52.3° N.
    let top = &s[0];
    assert!((top.summit.lon - -9.0).abs() < 0.01, "{}", top.summit.lon);
    assert!((top.summit.lat - 52.34).abs() < 0.05, "{}", top.summit.lat);
    assert_eq!(lower.prominence_m, 150.0);
}
