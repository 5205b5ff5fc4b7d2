//! `sinks.geojson` and `basins.geojson`.
//!
//! Coordinates are WGS84 longitude and latitude in degrees (RFC 7946),
//! from geographic grids as they are and from projected ones through their
//! projection, rounded to [`COORDINATE_DECIMALS`] places as the tracks are
//! (1e-7 degrees is at most 1.1 cm, far below a cell; RFC 7946 section
//! 11.2 asks for no more than is meaningful). Outlines follow cell edges,
//! and rounding keeps equal coordinates equal and their order, so the
//! rounded outlines keep their shape and validity. Analytic surfaces keep
//! their plane's own `x`, `y` unrounded.

use std::io::Write;

use serde_json::json;

use super::labels::Basins;
use super::polygons::{trace, Polygon};
use crate::dem::{Crs, Dem, Projection};
use crate::error::{Error, Result};
use crate::export::coordinates::{round_to, COORDINATE_DECIMALS};

/// Streams a FeatureCollection of `features` to `out`.
fn collection(
    out: &mut dyn Write,
    features: impl Iterator<Item = impl serde::Serialize>,
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
pub(crate) type ToXy = Box<dyn Fn(f64, f64) -> [f64; 2] + Sync>;

/// Cells narrower than this many degrees (about a metre) keep their
/// outlines' coordinates unrounded.
const MIN_ROUNDED_CELL_DEGREES: f64 = 1e-5;

/// Cells of a projected grid narrower than this many metres keep their
/// outlines' coordinates unrounded.
const MIN_ROUNDED_CELL_METRES: f64 = 1.0;

/// Converts grid coordinates to the GeoJSON's: WGS84 longitude/latitude
/// (RFC 7946) rounded to [`COORDINATE_DECIMALS`] on geographic and
/// projected grids (unless their cells are finer than about a metre), the
/// plane's own `x`, `y` on an analytic surface.
fn to_geojson_xy(dem: &Dem) -> Result<ToXy> {
    geojson_xy(&dem.transform, &dem.crs)
}

/// [`to_geojson_xy`] of a grid placed by `t` in `crs` (a mosaic's, say).
pub(crate) fn geojson_xy(t: &crate::dem::GeoTransform, crs: &Crs) -> Result<ToXy> {
    // Rounded where a cell spans thousands of rounding steps, so that the
    // corners of distinct cells stay distinct (all but grids finer than
    // about a metre).
    let cell = t.cell_x.abs().min(t.cell_y.abs());
    let fine = match crs {
        Crs::Geographic => cell < MIN_ROUNDED_CELL_DEGREES,
        _ => cell < MIN_ROUNDED_CELL_METRES,
    };
    let degrees = move |lon: f64, lat: f64| {
        if fine {
            return [lon, lat];
        }
        [
            round_to(lon, COORDINATE_DECIMALS),
            round_to(lat, COORDINATE_DECIMALS),
        ]
    };
    match crs {
        Crs::Projected { .. } => {
            let projection = Projection::for_crs(crs)?;
            Ok(Box::new(move |x, y| {
                projection
                    .to_wgs84(x, y)
                    .map_or([f64::NAN, f64::NAN], |(lon, lat)| degrees(lon, lat))
            }))
        }
        Crs::Geographic => Ok(Box::new(degrees)),
        Crs::Planar => Ok(Box::new(|x, y| [x, y])),
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
    basins_geojson_within(basins, dem, usize::MAX).map(|bytes| bytes.unwrap_or_default())
}

/// [`basins_geojson`], or `None` as soon as its text would pass `max_bytes`
/// bytes: the outlines of a noisy grid (a basin or two per handful of
/// cells) take hundreds of bytes per cell, more than any viewer opens.
pub fn basins_geojson_within(
    basins: &Basins,
    dem: &Dem,
    max_bytes: usize,
) -> Result<Option<Vec<u8>>> {
    // Every outline vertex takes at least `[x,y],` (6 bytes) of text: a
    // count of the corners, one pass over the labels, spares the tracing
    // of outlines that could never fit.
    if corner_count(&basins.labels).saturating_mul(6) > max_bytes as u64 {
        return Ok(None);
    }
    let t = dem.transform;
    let xy = to_geojson_xy(dem)?;
    let to_xy = move |r: f64, c: f64| xy(t.origin_x + c * t.cell_x, t.origin_y - r * t.cell_y);
    let shapes = trace(&basins.labels, basins.basins.len(), &to_xy);
    let features = basins.basins.iter().zip(&shapes).filter_map(|(b, polys)| {
        let (coordinates, kind) = match polys.len() {
            0 => return None,
            1 => (Coordinates::Polygon(&polys[0]), "Polygon"),
            _ => (Coordinates::MultiPolygon(polys), "MultiPolygon"),
        };
        Some(OutlineFeature {
            geometry: OutlineGeometry { coordinates, kind },
            properties: OutlineProperties {
                area_km2: b.area_km2,
                id: b.id,
                starts: b.starts,
            },
            kind: "Feature",
        })
    });
    let mut out = Capped {
        bytes: Vec::new(),
        max_bytes,
    };
    match collection(&mut out, features) {
        Ok(()) => Ok(Some(out.bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Ok(None),
        Err(e) => Err(Error::io("basins.geojson", e)),
    }
}

/// The number of vertices the outlines of `labels` have where they turn:
/// at each grid corner, a basin covering one or three of the four cells
/// around it turns there once, one covering two diagonal cells twice
/// (label 0 and the outside have no outline).
fn corner_count(labels: &ndarray::Array2<u32>) -> u64 {
    use rayon::prelude::*;
    let (rows, cols) = labels.dim();
    // Grid row `r - 1` for the corners' row `r`, none beyond the grid.
    let row = |r: usize| (1..=rows).contains(&r).then(|| labels.row(r - 1));
    // The label of column `c - 1` of `row`, 0 outside.
    let at = |row: &Option<ndarray::ArrayView1<u32>>, c: usize| match row {
        Some(cells) if (1..=cols).contains(&c) => cells[c - 1],
        _ => 0,
    };
    (0..=rows)
        .into_par_iter()
        .map(|r| {
            let (above, below) = (row(r), row(r + 1));
            let mut corners = 0u64;
            for c in 0..=cols {
                // The four cells around corner (r, c): nw, ne, sw, se.
                let quad = [
                    at(&above, c),
                    at(&above, c + 1),
                    at(&below, c),
                    at(&below, c + 1),
                ];
                // Inside one basin (or outside all): no turn. Most corners.
                if quad[0] == quad[1] && quad[2] == quad[3] && quad[0] == quad[2] {
                    continue;
                }
                for (i, &l) in quad.iter().enumerate() {
                    if l == 0 || quad[..i].contains(&l) {
                        continue;
                    }
                    let inside = quad.map(|q| q == l);
                    corners += match inside.iter().filter(|&&b| b).count() {
                        1 | 3 => 1,
                        2 if inside[0] == inside[3] => 2,
                        _ => 0,
                    };
                }
            }
            corners
        })
        .sum()
}

/// A basin's outline as a GeoJSON Feature. Serialised directly (no
/// `serde_json::Value` tree per vertex); the keys are in the order of a
/// `serde_json` map's, sorted, as the file has always had them.
#[derive(serde::Serialize)]
struct OutlineFeature<'p> {
    geometry: OutlineGeometry<'p>,
    properties: OutlineProperties,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(serde::Serialize)]
struct OutlineGeometry<'p> {
    coordinates: Coordinates<'p>,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A Polygon's rings, or a MultiPolygon's polygons.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Coordinates<'p> {
    Polygon(&'p Polygon),
    MultiPolygon(&'p [Polygon]),
}

#[derive(serde::Serialize)]
struct OutlineProperties {
    area_km2: f64,
    id: u32,
    starts: usize,
}

/// A byte buffer that refuses to grow past `max_bytes`.
struct Capped {
    bytes: Vec<u8>,
    max_bytes: usize,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.max_bytes {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// On an SRTM1-like geographic grid the outlines come out rounded to
    /// 7 decimals, vertex for vertex the exact outlines rounded, and still
    /// valid polygons of their cells' area; a grid of centimetre cells
    /// keeps them exact.
    #[test]
    fn rounded_outlines_keep_their_shape() {
        use geo::{Area, Validation};
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
        let cell = 1.0 / 3600.0;
        let labels = ndarray::Array2::from_shape_fn((40, 50), |_| rng.random_range(1..=6u32));
        for (cell, rounded) in [(cell, true), (1e-7, false)] {
            let dem = Dem {
                heights: ndarray::Array2::zeros((40, 50)),
                transform: crate::dem::GeoTransform {
                    origin_x: -6.0 - cell / 2.0,
                    origin_y: 53.0 + cell / 2.0,
                    cell_x: cell,
                    cell_y: cell,
                },
                crs: Crs::Geographic,
                inputs: Vec::new(),
            };
            let t = dem.transform;
            let xy = to_geojson_xy(&dem).unwrap();
            let exact = trace(&labels, 6, &|r, c| {
                [t.origin_x + c * t.cell_x, t.origin_y - r * t.cell_y]
            });
            let out = trace(&labels, 6, &|r, c| {
                xy(t.origin_x + c * t.cell_x, t.origin_y - r * t.cell_y)
            });
            for (id, (exact, out)) in exact.iter().zip(&out).enumerate() {
                let cells = labels.iter().filter(|&&l| l as usize == id + 1).count();
                let mut area = 0.0;
                for (pe, po) in exact.iter().zip(out) {
                    for (re, ro) in pe.iter().zip(po) {
                        assert_eq!(re.len(), ro.len());
                        for (e, o) in re.iter().zip(ro) {
                            let want = if rounded {
                                [round_to(e[0], 7), round_to(e[1], 7)]
                            } else {
                                *e
                            };
                            assert_eq!(*o, want);
                        }
                    }
                    let ring = |r: &Vec<[f64; 2]>| {
                        geo::LineString::from(r.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>())
                    };
                    let polygon =
                        geo::Polygon::new(ring(&po[0]), po[1..].iter().map(ring).collect());
                    assert!(polygon.is_valid(), "basin {}", id + 1);
                    area += polygon.unsigned_area();
                }
                let cells = cells as f64 * cell * cell;
                assert!((area - cells).abs() < 1e-3 * cells, "basin {}", id + 1);
            }
        }
    }

    /// The corner count equals the vertices of the traced outlines (each
    /// ring closed by repeating its first vertex) on random label grids.
    #[test]
    fn corners_are_the_traced_outlines_vertices() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        for round in 0..200 {
            let (rows, cols) = (rng.random_range(1..9), rng.random_range(1..9));
            let count = rng.random_range(1..5u32);
            let labels =
                ndarray::Array2::from_shape_fn((rows, cols), |_| rng.random_range(0..=count));
            let traced: usize = trace(&labels, count as usize, &|r, c| [c, -r])
                .iter()
                .flatten()
                .flatten()
                .map(|ring| ring.len() - 1)
                .sum();
            assert_eq!(
                corner_count(&labels),
                traced as u64,
                "round {round}: {labels:?}"
            );
        }
    }
}
