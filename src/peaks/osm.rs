//! Summit names from OpenStreetMap: `natural=peak` and `natural=volcano`
//! nodes with a `name` (and usually an `ele`), read from `.osm.pbf`
//! extracts (the format regional downloads come in) or `.osm` XML.
//!
//! Both readers stream: a PBF file is decoded block by block (at most
//! 32 MiB each, the format's own limit, several blocks at a time on the
//! rayon pool), an XML file element by element, so a country extract of
//! several gigabytes is never held in memory. Only nodes inside a
//! [`LonLatBox`] (usually the DEM's bounds) are kept.

use std::io::BufRead;
use std::path::Path;

use super::Peak;
use crate::dem::{Dem, Projection};
use crate::error::{Error, Result};
use crate::geo::geodesy::{metres_per_degree_lat, metres_per_degree_lon};

/// Longest name kept, in bytes; longer values are cut at a character boundary.
const MAX_NAME_BYTES: usize = 200;

/// Tags read per node at most; a node with more is read for its first ones only.
const MAX_TAGS_PER_NODE: usize = 1000;

/// A box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    /// Western edge, degrees east.
    pub west: f64,
    /// Southern edge, degrees north.
    pub south: f64,
    /// Eastern edge, degrees east.
    pub east: f64,
    /// Northern edge, degrees north.
    pub north: f64,
}

impl LonLatBox {
    /// The whole Earth.
    pub const WORLD: LonLatBox = LonLatBox {
        west: -180.0,
        south: -90.0,
        east: 180.0,
        north: 90.0,
    };

    /// `true` when (`lon`, `lat`) in degrees lies inside the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lat >= self.south && lat <= self.north && lon >= self.west && lon <= self.east
    }

    /// The box around `dem`'s extent (its corners and edge midpoints in
    /// WGS84), widened by `margin_m` metres on every side, so that a
    /// published position just outside the grid can still name a summit
    /// on its edge.
    pub fn around(dem: &Dem, margin_m: f64) -> Result<LonLatBox> {
        let projection = Projection::for_crs(&dem.crs)?;
        let [w, s, e, n] = dem.bounds().to_array();
        let mut b = LonLatBox {
            west: f64::INFINITY,
            south: f64::INFINITY,
            east: f64::NEG_INFINITY,
            north: f64::NEG_INFINITY,
        };
        for fx in [0.0, 0.5, 1.0] {
            for fy in [0.0, 0.5, 1.0] {
                let (x, y) = (w + fx * (e - w), s + fy * (n - s));
                if let Some((lon, lat)) = projection.to_wgs84(x, y) {
                    b.west = b.west.min(lon);
                    b.east = b.east.max(lon);
                    b.south = b.south.min(lat);
                    b.north = b.north.max(lat);
                }
            }
        }
        if !(b.west.is_finite() && b.south.is_finite()) {
            return Err(Error::param(
                "the elevation data's extent has no longitude and latitude",
            ));
        }
        let margin = margin_m.max(0.0);
        let lat_far = b.south.abs().max(b.north.abs()).min(89.0);
        let dlat = margin / metres_per_degree_lat(lat_far);
        let dlon = margin / metres_per_degree_lon(lat_far).max(1.0);
        Ok(LonLatBox {
            west: (b.west - dlon).max(-180.0),
            south: (b.south - dlat).max(-90.0),
            east: (b.east + dlon).min(180.0),
            north: (b.north + dlat).min(90.0),
        })
    }
}

impl std::fmt::Display for LonLatBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "west {:.4}, south {:.4}, east {:.4}, north {:.4}",
            self.west, self.south, self.east, self.north
        )
    }
}

/// What reading an OpenStreetMap file found.
#[derive(Debug, Clone, Default)]
pub struct OsmPeaks {
    /// Named summits inside the box, in node id order.
    pub peaks: Vec<Peak>,
    /// Named `natural=peak`/`volcano` nodes skipped as outside the box.
    pub outside: usize,
    /// Nodes read in all.
    pub nodes: u64,
}

/// A summit node as read, before the box test.
struct Node {
    id: i64,
    lat: f64,
    lon: f64,
}

/// Keeps the node if its tags make it a named summit.
fn summit_from_tags<'a>(
    node: &Node,
    tags: impl Iterator<Item = (&'a str, &'a str)>,
    path: &Path,
) -> Option<(i64, Peak)> {
    let (mut natural, mut name, mut ele) = (false, None, None);
    for (k, v) in tags.take(MAX_TAGS_PER_NODE) {
        match k {
            "natural" => natural = v == "peak" || v == "volcano",
            "name" => name = Some(v),
            "ele" => ele = parse_ele(v),
            _ => {}
        }
    }
    let name = name.map(str::trim).filter(|n| !n.is_empty())?;
    if !natural {
        return None;
    }
    Some((
        node.id,
        Peak {
            name: cut(name, MAX_NAME_BYTES).to_string(),
            lat: node.lat,
            lon: node.lon,
            elevation: ele,
            country: None,
            source: Some(format!(
                "OpenStreetMap node {} ({})",
                node.id,
                path.display()
            )),
        },
    ))
}

/// The height in metres of an `ele` tag: a number, perhaps followed by `m`;
/// `None` for anything else (feet, ranges, text).
fn parse_ele(v: &str) -> Option<f64> {
    let v = v.trim();
    let v = v.strip_suffix('m').map_or(v, str::trim_end);
    let x: f64 = v.parse().ok()?;
    (x.is_finite() && (-500.0..=9000.0).contains(&x)).then_some(x)
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The named summits of an OpenStreetMap file inside `bounds`, read by
/// the reader its name asks for: `.pbf` for the binary format, anything
/// else as XML.
///
/// Only a regular file is read (devices, FIFOs and symlinks to them are
/// refused, as for every input).
pub fn read_osm(path: &Path, bounds: &LonLatBox) -> Result<OsmPeaks> {
    drop(crate::input::open_regular(path)?);
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".pbf") {
        read_pbf(path, bounds)
    } else {
        read_xml(path, bounds)
    }
}

/// `true` for a file name an OpenStreetMap reader handles: `.osm`, `.osm.pbf`, `.pbf`, `.osm.xml`.
pub fn is_osm_file(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    [".osm", ".pbf", ".osm.xml"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Reads an `.osm.pbf` file.
pub fn read_pbf(path: &Path, bounds: &LonLatBox) -> Result<OsmPeaks> {
    let (file, size) = crate::input::open_regular(path)?;
    if size == 0 {
        return Err(Error::bad_file(
            path,
            "is empty, not an OpenStreetMap PBF file",
        ));
    }
    read_pbf_from(std::io::BufReader::new(file), path, bounds)
}

/// Reads OpenStreetMap PBF from `input`; `path` names it in errors and sources.
pub fn read_pbf_from<R: std::io::Read + Send>(
    input: R,
    path: &Path,
    bounds: &LonLatBox,
) -> Result<OsmPeaks> {
    use osmpbf::{Element, ElementReader};
    let reader = ElementReader::new(input);
    let found = reader
        .par_map_reduce(
            |element| match element {
                Element::Node(n) => keep_node(
                    Node {
                        id: n.id(),
                        lat: n.lat(),
                        lon: n.lon(),
                    },
                    n.tags(),
                    path,
                    bounds,
                ),
                Element::DenseNode(n) => keep_node(
                    Node {
                        id: n.id(),
                        lat: n.lat(),
                        lon: n.lon(),
                    },
                    n.tags(),
                    path,
                    bounds,
                ),
                _ => Found::default(),
            },
            Found::default,
            |mut a, mut b| {
                a.peaks.append(&mut b.peaks);
                a.outside += b.outside;
                a.nodes += b.nodes;
                a
            },
        )
        .map_err(|e| {
            Error::bad_file(
                path,
                format!("is not a readable OpenStreetMap PBF file ({e})"),
            )
        })?;
    Ok(found.finish())
}

/// One node of a PBF file, as a partial result.
fn keep_node<'a>(
    node: Node,
    tags: impl Iterator<Item = (&'a str, &'a str)>,
    path: &Path,
    bounds: &LonLatBox,
) -> Found {
    let mut found = Found {
        nodes: 1,
        ..Found::default()
    };
    if let Some(p) = summit_from_tags(&node, tags, path) {
        if bounds.contains(node.lon, node.lat) {
            found.peaks.push(p);
        } else {
            found.outside = 1;
        }
    }
    found
}

/// Partial results of the PBF reader.
#[derive(Default)]
struct Found {
    peaks: Vec<(i64, Peak)>,
    outside: usize,
    nodes: u64,
}

impl Found {
    fn finish(mut self) -> OsmPeaks {
        self.peaks.sort_by_key(|(id, _)| *id);
        OsmPeaks {
            peaks: self.peaks.into_iter().map(|(_, p)| p).collect(),
            outside: self.outside,
            nodes: self.nodes,
        }
    }
}

/// Reads an `.osm` XML file.
pub fn read_xml(path: &Path, bounds: &LonLatBox) -> Result<OsmPeaks> {
    let (file, _) = crate::input::open_regular(path)?;
    read_xml_from(std::io::BufReader::new(file), path, bounds)
}

/// Reads OpenStreetMap XML from `input`; `path` names it in errors and sources.
pub fn read_xml_from<R: BufRead>(input: R, path: &Path, bounds: &LonLatBox) -> Result<OsmPeaks> {
    use quick_xml::events::{BytesStart, Event};
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut found = Found::default();
    let mut seen_root = false;
    // Elements opened and not yet closed.
    let mut depth = 0usize;
    // The node being read: its place, and its tags (owned: the buffer is reused).
    let mut current: Option<(Node, Vec<(String, String)>)> = None;
    let bad = |reader: &quick_xml::Reader<R>, what: String| {
        Error::bad_file(
            path,
            format!(
                "is not valid OpenStreetMap XML near byte {}: {what}",
                reader.buffer_position()
            ),
        )
    };
    let attr = |e: &BytesStart, key: &[u8]| -> std::result::Result<Option<String>, String> {
        for a in e.attributes() {
            let a = a.map_err(|err| err.to_string())?;
            if a.key.as_ref() == key {
                let v = a.unescape_value().map_err(|err| err.to_string())?;
                return Ok(Some(v.into_owned()));
            }
        }
        Ok(None)
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(&reader, e.to_string()))?;
        let (start, empty) = match &event {
            Event::Start(e) => {
                depth += 1;
                (Some(e.clone()), false)
            }
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.name().as_ref() == b"node" {
                    if let Some((node, tags)) = current.take() {
                        finish_node(node, &tags, path, bounds, &mut found);
                    }
                }
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = e.name();
            if !seen_root {
                if name.as_ref() != b"osm" {
                    return Err(Error::bad_file(
                        path,
                        format!(
                            "is not an OpenStreetMap file: its root element is <{}>, not <osm>",
                            String::from_utf8_lossy(name.as_ref())
                        ),
                    ));
                }
                seen_root = true;
            } else if name.as_ref() == b"node" {
                found.nodes += 1;
                let number = |key: &[u8]| -> Result<f64> {
                    let v = attr(&e, key).map_err(|m| bad(&reader, m))?.ok_or_else(|| {
                        bad(
                            &reader,
                            format!("a node has no {} attribute", String::from_utf8_lossy(key)),
                        )
                    })?;
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            bad(
                                &reader,
                                format!(
                                    "a node's {} '{v}' is not a number",
                                    String::from_utf8_lossy(key)
                                ),
                            )
                        })
                };
                let id = attr(&e, b"id")
                    .map_err(|m| bad(&reader, m))?
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .unwrap_or(0);
                let (lat, lon) = (number(b"lat")?, number(b"lon")?);
                if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
                    return Err(bad(
                        &reader,
                        format!("node {id} lies at lat {lat}, lon {lon}, off the Earth"),
                    ));
                }
                let node = Node { id, lat, lon };
                if empty {
                    finish_node(node, &[], path, bounds, &mut found);
                } else {
                    current = Some((node, Vec::new()));
                }
            } else if name.as_ref() == b"tag" {
                if let Some((_, tags)) = current.as_mut() {
                    if tags.len() < MAX_TAGS_PER_NODE {
                        let k = attr(&e, b"k").map_err(|m| bad(&reader, m))?;
                        let v = attr(&e, b"v").map_err(|m| bad(&reader, m))?;
                        if let (Some(k), Some(v)) = (k, v) {
                            if matches!(k.as_str(), "natural" | "name" | "ele") {
                                tags.push((k, v));
                            }
                        }
                    }
                }
            }
        }
        buf.clear();
    }
    if !seen_root {
        return Err(Error::bad_file(
            path,
            "is not an OpenStreetMap file: it holds no <osm> element",
        ));
    }
    if depth > 0 {
        return Err(Error::bad_file(
            path,
            "ends before its elements are closed: the file is cut short",
        ));
    }
    Ok(found.finish())
}

fn finish_node(
    node: Node,
    tags: &[(String, String)],
    path: &Path,
    bounds: &LonLatBox,
    found: &mut Found,
) {
    let inside = bounds.contains(node.lon, node.lat);
    if let Some(p) = summit_from_tags(
        &node,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        path,
    ) {
        if inside {
            found.peaks.push(p);
        } else {
            found.outside += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ele_tags_in_metres_only() {
        assert_eq!(parse_ele("925"), Some(925.0));
        assert_eq!(parse_ele(" 794.5 m"), Some(794.5));
        assert_eq!(parse_ele("3000 ft"), None);
        assert_eq!(parse_ele("approx. 300"), None);
        assert_eq!(parse_ele("1e400"), None);
    }

    #[test]
    fn long_names_are_cut_on_a_character() {
        let s = "é".repeat(150);
        let c = cut(&s, MAX_NAME_BYTES);
        assert!(c.len() <= MAX_NAME_BYTES && c.chars().all(|ch| ch == 'é'));
    }
}
