//! Track maps from Mount Leinster: where the lines are drawn, what is
//! transparent, and how the picture is georeferenced, checked against GDAL's
//! reading of the world file and against geodesic distances.

mod common;

use std::process::Command;

use downhill::agents::{Agent, AgentKind, StopRules, Track};
use downhill::dem::{self, Position};
use downhill::render::{render_map, write_png_with_georef, Extent, MapOptions};
use downhill::terrain::{earth, GradientScheme, Terrain, Vector};
use image::DynamicImage;

fn leinster() -> (Terrain, Vec<Track>) {
    let path = format!("{}/data/N52W007.hgt", env!("CARGO_MANIFEST_DIR"));
    let grid = dem::open(path.as_ref(), &dem::LoadOptions::default()).unwrap();
    let terrain = Terrain::new(grid, GradientScheme::Central).unwrap();
    let start = Position::new(-6.7792, 52.6175);
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
    let [w, s, e, n] = map.bounds_xy;
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
    let to_px = |p: Position| ((p.x - gt[0]) / gt[1], (p.y - gt[3]) / gt[5]);
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
        let want = hex(t.agent.colour());
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
