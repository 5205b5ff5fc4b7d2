//! The gazetteer: summit names and their published positions.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::normalise;
use super::osm::{self, LonLatBox};
use crate::error::{Error, Result};

/// The bundled gazetteer, `data/peaks.csv`.
const BUNDLED: &str = include_str!("../../data/peaks.csv");

/// The largest gazetteer file read, bytes (64 MiB: about a million peaks
/// as CSV; parsed GeoJSON takes several times its size in memory).
pub const MAX_GAZETTEER_BYTES: u64 = 64 << 20;

/// A named summit as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peak {
    /// Name as written locally, accents included.
    pub name: String,
    /// Latitude of the published summit, degrees north.
    pub lat: f64,
    /// Longitude of the published summit, degrees east.
    pub lon: f64,
    /// Published height, metres.
    pub elevation: Option<f64>,
    /// Country or countries.
    pub country: Option<String>,
    /// Where the published values come from.
    pub source: Option<String>,
}

/// A set of named summits, looked up by name ignoring case, accents and punctuation.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    peaks: Vec<Peak>,
    index: HashMap<String, usize>,
}

impl Gazetteer {
    /// The summits bundled with downhill.
    pub fn bundled() -> Result<Self> {
        Self::from_csv(BUNDLED, Path::new("data/peaks.csv"))
    }

    /// Reads a user's gazetteer: CSV (`name,lat,lon[,elevation]`, header
    /// optional) or GeoJSON (Point features with a `name` property), told
    /// apart by the extension (`.geojson`/`.json`) or a leading `{`; or
    /// OpenStreetMap (`.osm`, `.osm.pbf`), see [`Gazetteer::from_file_within`].
    ///
    /// Only a regular file is read, CSV and GeoJSON of at most
    /// [`MAX_GAZETTEER_BYTES`] (or standard input when `path` is `-`).
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_file_within(path, &LonLatBox::WORLD)
    }

    /// As [`Gazetteer::from_file`]; from an OpenStreetMap file (`.osm`,
    /// `.osm.xml`, `.osm.pbf`) only the named `natural=peak` and
    /// `natural=volcano` nodes inside `bounds` are read, streaming (see
    /// [`super::osm`]). Same-named summits of one file are all kept.
    pub fn from_file_within(path: &Path, bounds: &LonLatBox) -> Result<Self> {
        if osm::is_osm_file(path) {
            let found = osm::read_osm(path, bounds)?;
            if found.peaks.is_empty() {
                let outside = if found.outside > 0 {
                    format!(" ({} lie outside it)", found.outside)
                } else {
                    String::new()
                };
                return Err(Error::bad_file(
                    path,
                    format!(
                        "holds no named natural=peak or natural=volcano node within {bounds}{outside}; \
                         is it the extract for this area?"
                    ),
                ));
            }
            let mut g = Gazetteer::default();
            for p in found.peaks {
                g.push(p);
            }
            return Ok(g);
        }
        let bytes = crate::input::read_capped(path, MAX_GAZETTEER_BYTES, "a gazetteer")?;
        let text = String::from_utf8(bytes)
            .map_err(|e| Error::bad_file(path, format!("is not UTF-8 text ({e})")))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ext == "geojson" || ext == "json" || text.trim_start().starts_with('{') {
            Self::from_geojson(&text, path)
        } else {
            Self::from_csv(&text, path)
        }
    }

    /// Every summit, in file order.
    pub fn peaks(&self) -> &[Peak] {
        &self.peaks
    }

    /// Number of summits.
    pub fn len(&self) -> usize {
        self.peaks.len()
    }

    /// `true` when there are no summits.
    pub fn is_empty(&self) -> bool {
        self.peaks.is_empty()
    }

    /// Adds a summit; one with the same (normalised) name is replaced.
    pub fn insert(&mut self, peak: Peak) {
        let key = normalise(&peak.name);
        match self.index.get(&key) {
            Some(&i) => self.peaks[i] = peak,
            None => {
                self.index.insert(key, self.peaks.len());
                self.peaks.push(peak);
            }
        }
    }

    /// Adds a summit, keeping any of the same name (lookups by name find the first).
    pub fn push(&mut self, peak: Peak) {
        self.index
            .entry(normalise(&peak.name))
            .or_insert(self.peaks.len());
        self.peaks.push(peak);
    }

    /// Adds every summit of `other`, its entries replacing same-named ones
    /// here; same-named entries within `other` are all kept.
    pub fn extend(&mut self, other: Gazetteer) {
        let mut seen = std::collections::HashSet::new();
        for p in other.peaks {
            if seen.insert(normalise(&p.name)) {
                self.insert(p);
            } else {
                self.push(p);
            }
        }
    }

    /// The summit called `name`, or an error listing the closest names.
    pub fn find(&self, name: &str) -> Result<&Peak> {
        let key = normalise(name);
        if let Some(&i) = self.index.get(&key) {
            return Ok(&self.peaks[i]);
        }
        let close = self.closest(name, 5);
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!(" Closest names: {}.", close.join(", "))
        };
        Err(Error::UnknownPeak(format!(
            "no peak called '{name}' in the gazetteer.{hint} Add your own gazetteer \
             (CSV name,lat,lon[,elevation] or GeoJSON Points with a name), or start at a position"
        )))
    }

    /// Up to `n` names closest to `name`, best first.
    pub fn closest(&self, name: &str, n: usize) -> Vec<String> {
        let key = normalise(name);
        let mut scored: Vec<(f64, &str)> = self
            .peaks
            .iter()
            .map(|p| {
                let other = normalise(&p.name);
                let mut score = strsim::jaro_winkler(&key, &other)
                    .max(strsim::normalized_damerau_levenshtein(&key, &other));
                if !key.is_empty() && (other.contains(&key) || key.contains(&other)) {
                    score += 0.5;
                }
                (score, p.name.as_str())
            })
            .filter(|(s, _)| *s > 0.55)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(n)
            .map(|(_, s)| s.to_string())
            .collect()
    }

    /// Parses CSV gazetteer text (`name,lat,lon[,elevation[,country[,source]]]`
    /// rows, or columns named by a header row); `path` names it in messages.
    pub fn from_csv(text: &str, path: &Path) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let mut g = Gazetteer::default();
        let mut columns = Columns::positional();
        for (i, record) in reader.records().enumerate() {
            let record =
                record.map_err(|e| Error::bad_file(path, format!("not valid CSV ({e})")))?;
            let line = record.position().map_or(i as u64 + 1, |p| p.line());
            if i == 0 {
                if let Some(c) = Columns::from_header(&record) {
                    columns = c;
                    continue;
                }
            }
            if record.iter().all(str::is_empty) {
                continue;
            }
            g.insert(
                columns
                    .peak(&record)
                    .map_err(|m| Error::bad_file(path, format!("line {line}: {m}")))?,
            );
        }
        if g.is_empty() {
            return Err(Error::bad_file(
                path,
                "holds no peaks (expected name,lat,lon[,elevation] rows)",
            ));
        }
        Ok(g)
    }

    /// Parses GeoJSON gazetteer text (Point features with a `name`
    /// property); `path` names it in messages.
    pub fn from_geojson(text: &str, path: &Path) -> Result<Self> {
        let gj: geojson::GeoJson = text
            .parse()
            .map_err(|e| Error::bad_file(path, format!("not valid GeoJSON ({e})")))?;
        let features = match gj {
            geojson::GeoJson::FeatureCollection(fc) => fc.features,
            geojson::GeoJson::Feature(f) => vec![f],
            geojson::GeoJson::Geometry(_) => {
                return Err(Error::bad_file(
                    path,
                    "is a bare geometry; give Point features with a name property",
                ))
            }
        };
        let mut g = Gazetteer::default();
        for (i, f) in features.iter().enumerate() {
            let name = f
                .property("name")
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Error::bad_file(path, format!("feature {i} has no 'name' property"))
                })?;
            let Some(geojson::GeometryValue::Point { coordinates: pos }) =
                f.geometry.as_ref().map(|g| &g.value)
            else {
                continue;
            };
            let pos = pos.as_slice();
            if pos.len() < 2 {
                return Err(Error::bad_file(
                    path,
                    format!("feature {i} ({name}) has a Point without two coordinates"),
                ));
            }
            let (lon, lat) = (pos[0], pos[1]);
            check_position(lat, lon)
                .map_err(|m| Error::bad_file(path, format!("feature {i} ({name}): {m}")))?;
            let elevation = pos
                .get(2)
                .copied()
                .or_else(|| f.property("elevation").and_then(|v| v.as_f64()));
            g.insert(Peak {
                name: name.to_string(),
                lat,
                lon,
                elevation,
                country: f
                    .property("country")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                source: Some(path.display().to_string()),
            });
        }
        if g.is_empty() {
            return Err(Error::bad_file(path, "holds no named Point features"));
        }
        Ok(g)
    }
}

fn check_position(lat: f64, lon: f64) -> std::result::Result<(), String> {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(format!("latitude {lat} is not between -90 and 90"));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(format!("longitude {lon} is not between -180 and 180"));
    }
    Ok(())
}

/// Which CSV column holds what.
struct Columns {
    name: usize,
    lat: usize,
    lon: usize,
    elevation: Option<usize>,
    country: Option<usize>,
    source: Option<usize>,
}

impl Columns {
    fn positional() -> Self {
        Columns {
            name: 0,
            lat: 1,
            lon: 2,
            elevation: Some(3),
            country: Some(4),
            source: Some(5),
        }
    }

    /// Columns named by a header row, if this record is one.
    fn from_header(record: &csv::StringRecord) -> Option<Self> {
        let find = |names: &[&str]| {
            record
                .iter()
                .position(|h| names.contains(&h.to_ascii_lowercase().as_str()))
        };
        let lat = find(&["lat", "latitude"]);
        let lon = find(&["lon", "lng", "long", "longitude"]);
        match (find(&["name"]), lat, lon) {
            (Some(name), Some(lat), Some(lon)) => Some(Columns {
                name,
                lat,
                lon,
                elevation: find(&["elevation", "ele", "height", "elev", "altitude"]),
                country: find(&["country"]),
                source: find(&["source"]),
            }),
            _ => None,
        }
    }

    fn peak(&self, r: &csv::StringRecord) -> std::result::Result<Peak, String> {
        let text = |i: Option<usize>| i.and_then(|i| r.get(i)).filter(|s| !s.is_empty());
        let number = |i: usize, what: &str| -> std::result::Result<f64, String> {
            let s = r.get(i).unwrap_or("");
            s.parse::<f64>().map_err(|_| {
                format!("{what} '{s}' is not a number (expected name,lat,lon[,elevation])")
            })
        };
        let name = text(Some(self.name))
            .ok_or("the name is missing")?
            .to_string();
        let lat = number(self.lat, "latitude")?;
        let lon = number(self.lon, "longitude")?;
        check_position(lat, lon).map_err(|m| format!("{name}: {m}"))?;
        let elevation = match text(self.elevation) {
            Some(s) => Some(
                s.parse::<f64>()
                    .map_err(|_| format!("{name}: elevation '{s}' is not a number"))?,
            ),
            None => None,
        };
        Ok(Peak {
            name,
            lat,
            lon,
            elevation,
            country: text(self.country).map(str::to_string),
            source: text(self.source).map(str::to_string),
        })
    }
}
