//! `sinks.geojson` and `basins.geojson`.
//!
//! Coordinates are the grid's own: longitude and latitude in degrees on
//! geographic grids (RFC 7946), easting and northing on projected ones.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::atomic::write_atomic;
use super::labels::Basins;
use super::polygons::{trace, Polygon};
use crate::dem::Dem;
use crate::error::Result;

/// Streams a FeatureCollection of `features` to `out`.
fn collection(
    out: &mut dyn Write,
    features: impl Iterator<Item = serde_json::Value>,
) -> std::io::Result<()> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for (i, f) in features.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &f)?;
    }
    out.write_all(b"\n]}\n")
}

/// Writes one Point per basin at the centre of its outlet cell, with `id`,
/// `elevation` (metres, `null` on a void), `area_km2`, `starts` and `ending`.
pub fn write_sinks(path: &Path, basins: &Basins, dem: &Dem) -> Result<()> {
    let features = basins.basins.iter().map(|b| {
        let p = dem.sample_position(b.outlet_row as f64, b.outlet_col as f64);
        json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.x, p.y]},
            "properties": {
                "id": b.id,
                "elevation": if b.elevation.is_finite() { json!(b.elevation) } else { json!(null) },
                "area_km2": b.area_km2,
                "starts": b.starts,
                "ending": b.ending.as_str(),
            }
        })
    });
    write_atomic(path, |out| collection(out, features))
}

/// The outlines of every basin in the grid's coordinates (see [`trace`]).
pub fn outlines(basins: &Basins, dem: &Dem) -> Vec<Vec<Polygon>> {
    let t = dem.transform;
    let to_xy = move |r: f64, c: f64| [t.origin_x + c * t.cell_x, t.origin_y - r * t.cell_y];
    trace(&basins.labels, basins.basins.len(), &to_xy)
}

/// Writes one Polygon (or MultiPolygon) per basin with `id`, `area_km2`
/// and `starts`.
pub fn write_basins(path: &Path, basins: &Basins, dem: &Dem) -> Result<()> {
    let shapes = outlines(basins, dem);
    let features = basins.basins.iter().zip(shapes).filter_map(|(b, polys)| {
        let geometry = match polys.len() {
            0 => return None,
            1 => json!({"type": "Polygon", "coordinates": polys[0]}),
            _ => json!({"type": "MultiPolygon", "coordinates": polys}),
        };
        Some(json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {"id": b.id, "area_km2": b.area_km2, "starts": b.starts}
        }))
    });
    write_atomic(path, |out| collection(out, features))
}
