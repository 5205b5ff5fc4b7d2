//! `sinks.geojson` and `basins.geojson`.
//!
//! Coordinates are the grid's own: longitude and latitude in degrees on
//! geographic grids (RFC 7946), easting and northing on projected ones.

use std::io::Write;

use serde_json::json;

use super::labels::Basins;
use super::polygons::{trace, Polygon};
use crate::dem::{Crs, Dem, Projection};
use crate::error::{Error, Result};

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

/// A conversion from grid `(x, y)` to GeoJSON coordinates.
type ToXy = Box<dyn Fn(f64, f64) -> [f64; 2] + Sync>;

/// Converts grid coordinates to the GeoJSON's: WGS84 longitude/latitude
/// (RFC 7946) on geographic and projected grids, the plane's own `x`, `y`
/// on an analytic surface.
fn to_geojson_xy(dem: &Dem) -> Result<ToXy> {
    match &dem.crs {
        Crs::Projected { .. } => {
            let projection = Projection::for_crs(&dem.crs)?;
            Ok(Box::new(move |x, y| {
                projection
                    .to_wgs84(x, y)
                    .map_or([f64::NAN, f64::NAN], |(lon, lat)| [lon, lat])
            }))
        }
        Crs::Geographic | Crs::Planar => Ok(Box::new(|x, y| [x, y])),
    }
}

/// One Point per basin at the centre of its outlet cell, with `id`,
/// `elevation` (metres, `null` on a void), `area_km2`, `starts` and `ending`:
/// the bytes of `sinks.geojson`.
pub fn sinks_geojson(basins: &Basins, dem: &Dem) -> Result<Vec<u8>> {
    let xy = to_geojson_xy(dem)?;
    let features = basins.basins.iter().map(|b| {
        let p = dem.sample_position(b.outlet_row as f64, b.outlet_col as f64);
        json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": xy(p.x, p.y)},
            "properties": {
                "id": b.id,
                "elevation": if b.elevation.is_finite() { json!(b.elevation) } else { json!(null) },
                "area_km2": b.area_km2,
                "starts": b.starts,
                "ending": b.ending.as_str(),
            }
        })
    });
    let mut bytes = Vec::new();
    collection(&mut bytes, features).map_err(|e| Error::io("sinks.geojson", e))?;
    Ok(bytes)
}

/// The outlines of every basin in the grid's coordinates (see [`trace`]).
pub fn outlines(basins: &Basins, dem: &Dem) -> Vec<Vec<Polygon>> {
    let t = dem.transform;
    let to_xy = move |r: f64, c: f64| [t.origin_x + c * t.cell_x, t.origin_y - r * t.cell_y];
    trace(&basins.labels, basins.basins.len(), &to_xy)
}

/// One Polygon (or MultiPolygon) per basin with `id`, `area_km2` and
/// `starts`: the bytes of `basins.geojson` (WGS84 lon/lat, see [`sinks_geojson`]).
pub fn basins_geojson(basins: &Basins, dem: &Dem) -> Result<Vec<u8>> {
    let t = dem.transform;
    let xy = to_geojson_xy(dem)?;
    let to_xy = move |r: f64, c: f64| xy(t.origin_x + c * t.cell_x, t.origin_y - r * t.cell_y);
    let shapes = trace(&basins.labels, basins.basins.len(), &to_xy);
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
    let mut bytes = Vec::new();
    collection(&mut bytes, features).map_err(|e| Error::io("basins.geojson", e))?;
    Ok(bytes)
}
