//! Summits as files: GeoJSON Points and CSV rows.
//!
//! Longitudes and latitudes are WGS84 degrees rounded to 7 decimals (about
//! 1 cm); heights, prominences and distances are metres rounded to 0.01 m.

use serde_json::{json, Map, Value};

use super::{SamplePoint, Summit};

fn round(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (v * k).round() / k
}

fn deg(v: f64) -> f64 {
    round(v, 7)
}

fn metres(v: f64) -> f64 {
    round(v, 2)
}

/// An RFC 7946 FeatureCollection: one Point per summit (longitude,
/// latitude, elevation), with the summit's measures as properties
/// (`rank`, `name`, `elevation_m`, `prominence_m`, `key_col_lon`,
/// `key_col_lat`, `key_col_elevation_m`, `parent_rank`, `isolation_m`,
/// `edge_limited`, `reaches_edge`, `plateau_samples`).
pub fn summits_geojson(summits: &[Summit]) -> String {
    let features: Vec<Value> = summits
        .iter()
        .map(|s| {
            let m = &s.summit;
            let mut p = Map::new();
            p.insert("rank".into(), json!(s.rank));
            p.insert("name".into(), json!(s.name));
            p.insert("elevation_m".into(), json!(metres(m.elevation_m)));
            p.insert("prominence_m".into(), json!(metres(s.prominence_m)));
            let col = |f: fn(&SamplePoint) -> f64| s.key_col.as_ref().map(f);
            p.insert("key_col_lon".into(), json!(col(|c| deg(c.lon))));
            p.insert("key_col_lat".into(), json!(col(|c| deg(c.lat))));
            p.insert(
                "key_col_elevation_m".into(),
                json!(col(|c| metres(c.elevation_m))),
            );
            p.insert("parent_rank".into(), json!(s.parent));
            p.insert("isolation_m".into(), json!(s.isolation_m.map(metres)));
            p.insert("edge_limited".into(), json!(s.edge_limited));
            p.insert("reaches_edge".into(), json!(s.reaches_edge));
            p.insert("plateau_samples".into(), json!(s.plateau_samples));
            json!({
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [deg(m.lon), deg(m.lat), metres(m.elevation_m)],
                },
                "properties": p,
            })
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": features});
    let mut text = serde_json::to_string_pretty(&fc).unwrap_or_default();
    text.push('\n');
    text
}

/// The header of [`summits_csv`].
pub const SUMMITS_CSV_HEADER: &str = "rank,name,lon,lat,elevation_m,prominence_m,key_col_lon,key_col_lat,key_col_elevation_m,parent_rank,isolation_m,edge_limited,reaches_edge,plateau_samples";

/// One row per summit under [`SUMMITS_CSV_HEADER`]; empty fields where a
/// value does not exist (no key col, no name, no higher ground).
pub fn summits_csv(summits: &[Summit]) -> String {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let mut out = String::from(SUMMITS_CSV_HEADER);
    out.push('\n');
    for s in summits {
        let m = &s.summit;
        let c = s.key_col.as_ref();
        let record = [
            s.rank.to_string(),
            s.name.clone().unwrap_or_default(),
            deg(m.lon).to_string(),
            deg(m.lat).to_string(),
            metres(m.elevation_m).to_string(),
            metres(s.prominence_m).to_string(),
            opt(c.map(|c| deg(c.lon))),
            opt(c.map(|c| deg(c.lat))),
            opt(c.map(|c| metres(c.elevation_m))),
            s.parent.map_or(String::new(), |p| p.to_string()),
            opt(s.isolation_m.map(metres)),
            s.edge_limited.to_string(),
            s.reaches_edge.to_string(),
            s.plateau_samples.to_string(),
        ];
        // Writing into memory cannot fail.
        let _ = w.write_record(&record);
    }
    let bytes = w.into_inner().unwrap_or_default();
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}
