//! Tracks as GeoJSON (RFC 7946), styled for map viewers.

use crate::geo::Rgb;
use geojson::{Feature, FeatureCollection, Geometry, JsonObject, JsonValue};

use super::coordinates::{geo_points, GeoPoint};
use crate::agents::Track;
use crate::error::{Error, Result};
use crate::terrain::Surface;

/// Width of the track lines, pixels (simplestyle `stroke-width`).
pub const STROKE_WIDTH_PX: f64 = 3.0;

/// Colour of the start marker (simplestyle `marker-color`, `#rrggbb`).
pub const START_MARKER_COLOUR: Rgb = Rgb::new(0x2c, 0xa0, 0x2c);

/// The tracks as an RFC 7946 GeoJSON FeatureCollection.
///
/// Each track becomes a LineString Feature of `[longitude, latitude,
/// elevation]` positions (degrees rounded to 7 decimals, metres to 2) whose
/// `properties` are the track's [`Summary`](crate::agents::Summary) fields
/// plus the simplestyle keys `stroke` (the agent's colour), `stroke-width`
/// and `title`. A LineString needs at least two positions, so a track that
/// never moved repeats its start.
///
/// After the lines (so viewers draw it on top) comes a Point Feature at the
/// start, titled `start_name` or "start", with a `marker-color`; tracks that
/// begin elsewhere get a start Point each. The collection carries the
/// foreign member `"generator": "downhill"`.
///
/// Fails with [`Error::BadParameter`] if the surface has no longitude and
/// latitude (a planar analytic surface: write CSV or JSON instead) or a
/// track is empty.
pub fn tracks_geojson(
    tracks: &[Track],
    surface: &dyn Surface,
    start_name: Option<&str>,
) -> Result<String> {
    let start_title = start_name.unwrap_or("start");
    let mut lines = Vec::with_capacity(tracks.len());
    let mut starts: Vec<GeoPoint> = Vec::new();
    for track in tracks {
        let points = geo_points(track, surface, "GeoJSON")?;
        let first = points[0];
        if !starts.contains(&first) {
            starts.push(first);
        }
        lines.push(line_feature(track, surface, &points)?);
    }
    let markers = starts.iter().map(|p| start_feature(p, start_title));
    let mut collection = FeatureCollection::new(lines.into_iter().chain(markers));
    let mut generator = JsonObject::new();
    generator.insert("generator".into(), "downhill".into());
    collection.foreign_members = Some(generator);
    let mut text = serde_json::to_string(&collection)
        .map_err(|e| Error::param(format!("cannot serialise the tracks as GeoJSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// The LineString Feature of one track.
fn line_feature(track: &Track, surface: &dyn Surface, points: &[GeoPoint]) -> Result<Feature> {
    let mut positions: Vec<[f64; 3]> = points.iter().map(|p| [p.lon, p.lat, p.elevation]).collect();
    if positions.len() == 1 {
        positions.push(positions[0]);
    }
    let summary = serde_json::to_value(track.summary(surface))
        .map_err(|e| Error::param(format!("cannot serialise the track summary: {e}")))?;
    let mut properties = match summary {
        JsonValue::Object(map) => map,
        _ => JsonObject::new(),
    };
    properties.insert("stroke".into(), track.agent.colour().hex().into());
    properties.insert("stroke-width".into(), STROKE_WIDTH_PX.into());
    properties.insert("title".into(), track.agent.title().into());
    Ok(Feature {
        geometry: Some(Geometry::new_line_string(positions)),
        properties: Some(properties),
        ..Feature::default()
    })
}

/// The Point Feature marking a start.
fn start_feature(p: &GeoPoint, title: &str) -> Feature {
    let mut properties = JsonObject::new();
    properties.insert("title".into(), title.into());
    properties.insert("marker-color".into(), START_MARKER_COLOUR.hex().into());
    properties.insert("elevation".into(), p.elevation.into());
    Feature {
        geometry: Some(Geometry::new_point([p.lon, p.lat, p.elevation])),
        properties: Some(properties),
        ..Feature::default()
    }
}
