//! Tracks on an analytic surface as JSON, and why they are not GeoJSON or GPX.

use std::path::Path;

use serde::Serialize;

use crate::agents::{Endpoint, StopReason, Summary, Track};
use crate::error::{Error, Result};
use crate::terrain::Surface;

#[derive(Serialize)]
struct TrackJson {
    agent: String,
    title: &'static str,
    stop_reason: StopReason,
    summary: Summary,
    points: Vec<Endpoint>,
}

/// The tracks as a JSON document `{"tracks": [...]}`: for each, the agent,
/// why it stopped, its [`Summary`] and every point (`{x, y, elevation}` on
/// a planar surface, `{lon, lat, elevation}` on the Earth).
pub fn tracks_json<S: Surface + ?Sized>(tracks: &[Track], surface: &S) -> String {
    let tracks: Vec<TrackJson> = tracks
        .iter()
        .map(|t| TrackJson {
            agent: t.agent.name().to_string(),
            title: t.agent.title(),
            stop_reason: t.stop_reason,
            summary: t.summary(surface),
            points: t.points.iter().map(|p| Endpoint::of(surface, p)).collect(),
        })
        .collect();
    let doc = serde_json::json!({ "tracks": tracks });
    format!("{doc:#}\n")
}

/// Writes [`tracks_json`] to `path` atomically, through
/// [`crate::export::write_atomic`] (ordinary file permissions, synced).
pub fn write_tracks_json<S: Surface + ?Sized>(
    path: &Path,
    tracks: &[Track],
    surface: &S,
) -> Result<()> {
    crate::export::write_atomic(path, tracks_json(tracks, surface).as_bytes())
}

/// The error for asking to write analytic tracks as `format` ("GeoJSON",
/// "GPX"): those formats hold WGS84 longitudes and latitudes, and an
/// analytic surface has no place on the Earth.
pub fn refuse_geographic_export(format: &str) -> Error {
    Error::param(format!(
        "cannot write {format} for an analytic surface: {format} holds longitude and latitude on the Earth, \
         and a formula's x, y have no place on the Earth; export the tracks as CSV or JSON instead"
    ))
}
