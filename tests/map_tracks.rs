//! Track maps from Mount Leinster: where the lines are drawn, what is
//! transparent, and how the picture is georeferenced, checked against GDAL's
//! reading of the world file and against geodesic distances.

mod common;

use std::process::Command;

use downhill::agents::{Agent, AgentKind, StopRules, Track};
use downhill::dem;
use downhill::geo::geodesy as earth;
use downhill::geo::Xy;
use downhill::render::{render_map, write_png_with_georef, Extent, MapOptions};
use downhill::terrain::{GradientScheme, Terrain, Vector};
use image::DynamicImage;

fn leinster() -> (Terrain, Vec<Track>) {
    let path = format!("{}/data/N52W007.hgt", env!("CARGO_MANIFEST_DIR"));
    let grid = dem::open(path.as_ref(), &dem::LoadOptions::default()).unwrap();
    let terrain = Terrain::new(grid, GradientScheme::Central).unwrap();
    let start = Xy::new(-6.7792, 52.6175);
    let tracks = AgentKind::CLASSIC
        .iter()
        .map(|&k| {
            Agent::new(k)
                .descend(&terrain, start, Vector::ZERO, &StopRules::default())
                .unwrap()
        })
        .collect();
    (terrain, tracks)
}

fn hex(s: &str) -> [i32; 3] {
    let v = i32::from_str_radix(&s[1..], 16).unwrap();
    [v >> 16, (v >> 8) & 255, v & 255]
}

#[test]
fn tracks_are_drawn_in_their_stroke_colours_where_the_world_file_puts_them() {
    let (terrain, tracks) = leinster();
    let options = MapOptions {
        title: Some("Mount Leinster".into()),
        ..MapOptions::default()
    };
    let map = render_map(&terrain, &tracks, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let png = match std::env::var_os("DOWNHILL_MAP_OUT") {
        Some(p) => std::path::PathBuf::from(p),
        None => dir.path().join("map.png"),
    };
    let image = DynamicImage::ImageRgba8(map.image.clone());
    write_png_with_georef(&png, &image, map.bounds_xy, &terrain.dem().crs).unwrap();

    // Ground aspect ratio: width over height as geodesics across the middle.
    let [w, s, e, n] = map.bounds_xy.to_array();
    let (mid_lat, mid_lon) = ((s + n) / 2.0, (w + e) / 2.0);
    let ground_w = earth::geodesic_distance(w, mid_lat, e, mid_lat);
    let ground_h = earth::geodesic_distance(mid_lon, s, mid_lon, n);
    let aspect = map.image.width() as f64 / map.image.height() as f64;
    assert!((aspect / (ground_w / ground_h) - 1.0).abs() < 0.01);

    // Where GDAL says each track's last-but-a-few points lie, the pixel has
    // the agent's colour (the line is 3 px wide, so look within 1 px).
    let Ok(out) = Command::new("gdalinfo").arg("-json").arg(&png).output() else {
        common::skipped("gdalinfo is not installed; the georeferencing check did not run");
        return;
    };
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let to_px = |p: Xy| ((p.x - gt[0]) / gt[1], (p.y - gt[3]) / gt[5]);
    let markers: Vec<(f64, f64)> = tracks
        .iter()
        .flat_map(|t| [t.points[0].position, t.points[t.points.len() - 1].position])
        .map(to_px)
        .collect();
    let mut checked = 0;
    for (i, t) in tracks.iter().enumerate() {
        // Points clear of the markers and of the tracks drawn after this one
        // (their white halo would hide it).
        let clear: Vec<(f64, f64)> = t
            .points
            .iter()
            .map(|p| to_px(p.position))
            .filter(|&(x, y)| markers.iter().all(|m| (m.0 - x).hypot(m.1 - y) > 15.0))
            .filter(|&(x, y)| {
                tracks[i + 1..].iter().flat_map(|o| &o.points).all(|q| {
                    let (qx, qy) = to_px(q.position);
                    (qx - x).hypot(qy - y) > 8.0
                })
            })
            .collect();
        let Some(&(col, row)) = clear.get(clear.len() / 2) else {
            continue;
        };
        let want = hex(&t.agent.colour().hex());
        let near = (-1..=1)
            .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
            .any(|(dx, dy)| {
                let px = map
                    .image
                    .get_pixel((col as i64 + dx) as u32, (row as i64 + dy) as u32);
                (0..3).all(|k| (px.0[k] as i32 - want[k]).abs() <= 30)
            });
        assert!(near, "{} line not found at ({col}, {row})", t.agent);
        checked += 1;
    }
    // The walker and the last-drawn Nesterov ball at least are visible.
    assert!(checked >= 2, "only {checked} tracks could be checked");
    // GDAL reads the bounds back from the world file.
    let corners = &info["cornerCoordinates"];
    let ul = corners["upperLeft"].as_array().unwrap();
    let lr = corners["lowerRight"].as_array().unwrap();
    let got = [
        ul[0].as_f64().unwrap(),
        lr[1].as_f64().unwrap(),
        lr[0].as_f64().unwrap(),
        ul[1].as_f64().unwrap(),
    ];
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(png.with_extension("bounds.json")).unwrap())
            .unwrap();
    for (k, name) in ["west", "south", "east", "north"].iter().enumerate() {
        assert!(
            (got[k] - json[name].as_f64().unwrap()).abs() < 1e-6,
            "{name}"
        );
    }
}

#[test]
fn voids_are_transparent_on_a_full_extent_map() {
    let path = format!("{}/data/N52W007.hgt", env!("CARGO_MANIFEST_DIR"));
    let mut grid = dem::open(path.as_ref(), &dem::LoadOptions::default()).unwrap();
    // A void block in the north-west quarter: rows and columns 100..300.
    grid.heights
        .slice_mut(ndarray::s![100..300, 100..300])
        .fill(f32::NAN);
    let terrain = Terrain::new(grid, GradientScheme::Central).unwrap();
    let options = MapOptions {
        extent: Extent::Full,
        width_px: 600,
        title: None,
        start_label: None,
        summits: Vec::new(),
    };
    let map = render_map(&terrain, &[], &options).unwrap();
    let (w, h) = (map.image.width() as f64, map.image.height() as f64);
    // The block's centre (sample 200, 200 of 1201) in picture pixels.
    let (x, y) = (200.5 / 1201.0 * w, 200.5 / 1201.0 * h);
    assert_eq!(map.image.get_pixel(x as u32, y as u32).0[3], 0);
    // Data well away from the void (and from the legend and scale bar) is opaque.
    assert_eq!(
        map.image.get_pixel((0.8 * w) as u32, (0.5 * h) as u32).0[3],
        255
    );
}

/// Fraction of the points of `t` (every 10th, away from the start and the
/// markers) that have a pixel within 2 px in the agent's colour.
fn visible_share(map: &image::RgbaImage, bounds: [f64; 4], t: &Track, all: &[Track]) -> f64 {
    let [w, s, e, n] = bounds;
    let to_px = |p: Xy| {
        (
            (p.x - w) / (e - w) * map.width() as f64,
            (n - p.y) / (n - s) * map.height() as f64,
        )
    };
    let markers: Vec<(f64, f64)> = all
        .iter()
        .flat_map(|t| [t.points[0].position, t.points[t.points.len() - 1].position])
        .map(to_px)
        .collect();
    let want = hex(&t.agent.colour().hex());
    let (mut seen, mut total) = (0, 0);
    for p in t.points.iter().step_by(10) {
        let (x, y) = to_px(p.position);
        if markers.iter().any(|m| (m.0 - x).hypot(m.1 - y) < 25.0) {
            continue;
        }
        total += 1;
        let found = (-2..=2)
            .flat_map(|dy| (-2..=2).map(move |dx| (dx, dy)))
            .any(|(dx, dy)| {
                let (px, py) = ((x as i64 + dx) as u32, (y as i64 + dy) as u32);
                px < map.width()
                    && py < map.height()
                    && (0..3).all(|k| (map.get_pixel(px, py).0[k] as i32 - want[k]).abs() <= 30)
            });
        seen += usize::from(found);
    }
    seen as f64 / total.max(1) as f64
}

/// On the demo's map the rolling ball and the Nesterov ball share most of
/// their way down the valley; both must stay visible along it, and the
/// start marker must be the GeoJSON start Point's colour.
#[test]
fn both_balls_stay_visible_and_the_start_has_the_geojson_colour() {
    let (terrain, tracks) = leinster();
    let options = MapOptions {
        start_label: Some("Mount Leinster".into()),
        ..MapOptions::default()
    };
    let map = render_map(&terrain, &tracks, &options).unwrap();
    for t in &tracks {
        let share = visible_share(&map.image, map.bounds_xy.to_array(), t, &tracks);
        assert!(
            share > 0.8,
            "{}: visible at {share:.2} of its points",
            t.agent
        );
    }
    // The start ring, 7.5 px (times the map's scale 1.4) around the start.
    let [w, s, e, n] = map.bounds_xy.to_array();
    let p = tracks[0].points[0].position;
    let (x, y) = (
        (p.x - w) / (e - w) * map.image.width() as f64,
        (n - p.y) / (n - s) * map.image.height() as f64,
    );
    let want = hex(&downhill::export::START_MARKER_COLOUR.hex());
    let ring = (0..360).step_by(10).filter(|a| {
        let a = (*a as f64).to_radians();
        let (px, py) = (x + 10.5 * a.cos(), y + 10.5 * a.sin());
        let c = map.image.get_pixel(px as u32, py as u32).0;
        (0..3).all(|k| (c[k] as i32 - want[k]).abs() <= 40)
    });
    assert!(ring.count() >= 30, "the start ring is not {:?}", want);
    // The summit's name is written beside it (left or right): the map
    // differs there from one drawn without it.
    let unnamed = render_map(&terrain, &tracks, &MapOptions::default()).unwrap();
    let differ = (-170..170i64)
        .filter(|dx| dx.abs() > 15)
        .flat_map(|dx| (-10..10i64).map(move |dy| (dx, dy)))
        .filter(|&(dx, dy)| {
            let (px, py) = ((x as i64 + dx) as u32, (y as i64 + dy) as u32);
            px < map.image.width() && map.image.get_pixel(px, py) != unnamed.image.get_pixel(px, py)
        })
        .count();
    assert!(
        differ > 200,
        "no name beside the start ({differ} pixels differ)"
    );
}

/// Mont Agel's balls reach the sea: it is drawn in the sea colour, the
/// coast has no cell-sized stair steps (no long straight runs along pixel
/// rows or columns), and the map carries its north arrow and colour key.
#[test]
fn the_sea_is_drawn_with_a_smooth_coast() {
    let path = format!("{}/data/N43E007.hgt", env!("CARGO_MANIFEST_DIR"));
    let grid = dem::open(path.as_ref(), &dem::LoadOptions::default()).unwrap();
    let sea = dem::SeaMask::detect(&grid.heights, dem::SeaLevel::SrtmZero);
    let terrain = Terrain::new(grid, GradientScheme::Central)
        .unwrap()
        .with_sea(sea);
    // Mont Agel's summit sample (43°46'36" N, 7°25'27" E, 1120 m).
    let start = Xy::new(7.0 + 509.0 / 1200.0, 43.0 + 932.0 / 1200.0);
    let track = Agent::new(AgentKind::Momentum)
        .descend(&terrain, start, Vector::ZERO, &StopRules::default())
        .unwrap();
    assert_eq!(track.stop_reason, downhill::agents::StopReason::Sea);
    let map = render_map(&terrain, &[track], &MapOptions::default()).unwrap();
    let sea_rgb = [148, 196, 230];
    let is_sea = |x: u32, y: u32| {
        let c = map.image.get_pixel(x, y).0;
        (0..3).all(|k| (c[k] as i32 - sea_rgb[k]).abs() <= 6)
    };
    let (w, h) = (map.image.width(), map.image.height());
    let sea_px = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| is_sea(x, y))
        .count();
    assert!(sea_px > (w * h / 20) as usize, "{sea_px} sea pixels");
    // A stair-stepped coast of cells about 20 px wide would run straight
    // along pixel columns for ~20 px at a time: look for the longest run of
    // rows where the first sea pixel of the row sits in the same column.
    let first_sea: Vec<Option<u32>> = (h / 2..h * 9 / 10)
        .map(|y| (w / 4..w * 3 / 4).find(|&x| is_sea(x, y)))
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for pair in first_sea.windows(2) {
        run = match pair {
            [Some(a), Some(b)] if a == b => run + 1,
            _ => 0,
        };
        longest = longest.max(run);
    }
    assert!(
        longest < 12,
        "the coast runs straight down a pixel column for {longest} rows"
    );
}
