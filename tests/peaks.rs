//! The gazetteer: lookups, user files, and the bundled entries checked against the tiles.

use std::path::Path;

use downhill::dem::{self, LoadOptions};
use downhill::geo::Xy;
use downhill::peaks::{normalise, snap_to_summit, Gazetteer};

#[test]
fn the_bundled_gazetteer_is_large_clean_and_unique() {
    let g = Gazetteer::bundled().unwrap();
    assert!(g.len() >= 50, "{} peaks", g.len());
    let mut keys = std::collections::HashSet::new();
    for p in g.peaks() {
        assert!(
            (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon),
            "{p:?}"
        );
        assert!(p.elevation.is_some_and(|e| e > 0.0 && e < 8850.0), "{p:?}");
        assert!(p.source.is_some(), "{} has no source", p.name);
        assert!(keys.insert(normalise(&p.name)), "duplicate {}", p.name);
    }
    // Mount Everest, as published: 27.9881 N 86.9250 E, 8849 m.
    let e = g.find("mount everest").unwrap();
    assert!((e.lat - 27.9881).abs() < 0.01 && (e.lon - 86.925).abs() < 0.01);
}

#[test]
fn lookups_ignore_case_accents_punctuation_and_abbreviations() {
    let g = Gazetteer::bundled().unwrap();
    for name in [
        "Mount Leinster",
        "MOUNT  leinster",
        "mt. leinster",
        "Mt Leinster",
    ] {
        assert_eq!(g.find(name).unwrap().name, "Mount Leinster", "{name}");
    }
    assert_eq!(g.find("mont ferion").unwrap().name, "Mont Férion");
    assert_eq!(g.find("GALDHOPIGGEN").unwrap().name, "Galdhøpiggen");
}

#[test]
fn unknown_names_get_the_closest_names() {
    let g = Gazetteer::bundled().unwrap();
    let e = g.find("Mount Lenster").unwrap_err().to_string();
    assert!(
        e.contains("Mount Leinster") && e.contains("Add your own gazetteer"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1);
    let e = g.find("Lugnaquila").unwrap_err().to_string();
    assert!(e.contains("Lugnaquilla"), "{e}");
}

#[test]
fn user_gazetteers_in_csv_and_geojson_add_and_override() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mine.csv");
    std::fs::write(
        &csv,
        "name,lat,lon,elevation\n\"Knock, the Hill\",52.70,-6.50,310\nMount Leinster,52.62,-6.78,796\n",
    )
    .unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "Cnoc Beag,52.71,-6.51\n").unwrap();
    let gj = dir.path().join("mine.geojson");
    std::fs::write(
        &gj,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Sliabh Rua"},"geometry":{"type":"Point","coordinates":[-6.6,52.65,420]}}]}"#,
    )
    .unwrap();
    let mut g = Gazetteer::bundled().unwrap();
    let n = g.len();
    g.extend(Gazetteer::from_file(&csv).unwrap());
    g.extend(Gazetteer::from_file(&plain).unwrap());
    g.extend(Gazetteer::from_file(&gj).unwrap());
    assert_eq!(g.len(), n + 3);
    assert_eq!(g.find("knock the hill").unwrap().elevation, Some(310.0));
    assert_eq!(g.find("Mount Leinster").unwrap().elevation, Some(796.0));
    let s = g.find("sliabh rua").unwrap();
    assert_eq!((s.lon, s.lat, s.elevation), (-6.6, 52.65, Some(420.0)));
    assert_eq!(g.find("Cnoc Beag").unwrap().elevation, None);
}

#[test]
fn bad_gazetteer_lines_name_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("lat.csv", "name,lat,lon\nA,52,-6\nB,95,-6\n", "line 3"),
        ("num.csv", "A,north,-6\n", "not a number"),
        ("name.csv", "name,lat,lon\n,52,-6\n", "name"),
        ("empty.csv", "", "no peaks"),
        ("bad.geojson", "{\"type\": \"Feature\"", "GeoJSON"),
    ];
    for (file, text, expect) in cases {
        let p = dir.path().join(file);
        std::fs::write(&p, text).unwrap();
        let e = Gazetteer::from_file(&p).unwrap_err().to_string();
        assert!(e.contains(file) && e.contains(expect), "{file}: {e}");
    }
}

/// Great-circle distance in metres (haversine on a 6371 km sphere): an
/// independent, approximate ruler, good to 0.5 % at these distances.
fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * a.sqrt().asin()
}

#[test]
fn every_bundled_summit_on_a_bundled_tile_matches_the_dem() {
    let g = Gazetteer::bundled().unwrap();
    let mut checked = 0;
    for tile in ["N52W007", "N43E006", "N43E007"] {
        let path = format!("data/{tile}.hgt");
        let bytes = std::fs::read(&path).unwrap();
        let (lat0, lon0) = downhill::dem::hgt::corner_from_name(Path::new(&path)).unwrap();
        let grid = dem::open(Path::new(&path), &LoadOptions::default()).unwrap();
        for p in g.peaks() {
            let inside = p.lat > lat0 && p.lat < lat0 + 1.0 && p.lon > lon0 && p.lon < lon0 + 1.0;
            if !inside {
                continue;
            }
            // Published to the arc-minute only: allow a wider search.
            let rough = p
                .source
                .as_deref()
                .is_some_and(|s| s.contains("arc-minute"));
            let radius = if rough { 1000.0 } else { 250.0 };
            // Highest raw sample within the radius, read straight from the file.
            let mut best = i16::MIN;
            for r in 0..1201usize {
                let lat = lat0 + 1.0 - r as f64 / 1200.0;
                if (lat - p.lat).abs() > 0.02 {
                    continue;
                }
                for c in 0..1201usize {
                    let lon = lon0 + c as f64 / 1200.0;
                    if (lon - p.lon).abs() > 0.03 || haversine(p.lat, p.lon, lat, lon) > radius {
                        continue;
                    }
                    let i = (r * 1201 + c) * 2;
                    best = best.max(i16::from_be_bytes([bytes[i], bytes[i + 1]]));
                }
            }
            let published = p.elevation.unwrap();
            // SRTM3 samples 90 m cells and misses sharp summit tips.
            assert!(
                (published - best as f64).abs() <= 45.0,
                "{}: published {published} m, DEM summit {best} m within {radius} m",
                p.name
            );
            let s = snap_to_summit(&grid, Xy::new(p.lon, p.lat), radius).unwrap();
            assert!(
                (s.elevation - best as f64).abs() <= 1.0,
                "{}: snapped to {}",
                p.name,
                s.elevation
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} summits on the bundled tiles");
}

#[test]
fn snapping_mount_leinster_lands_on_its_dem_summit() {
    let grid = dem::open(Path::new("data/N52W007.hgt"), &LoadOptions::default()).unwrap();
    let g = Gazetteer::bundled().unwrap();
    let p = g.find("Mount Leinster").unwrap();
    let s = snap_to_summit(&grid, Xy::new(p.lon, p.lat), 250.0).unwrap();
    assert!(s.offset_m <= 250.0);
    assert!((s.elevation - 795.0).abs() < 10.0, "{}", s.elevation);
}
