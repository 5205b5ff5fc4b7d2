//! Tracks as GPX 1.1, for GPS tools and hiking apps.
//!
//! The document is built as text: the GPX subset written here is a dozen
//! elements in the fixed order of the schema, and the only subtlety, XML
//! escaping of names, is handled by [`super::xml::escape`]; an XML writer
//! crate would add a dependency without removing any of that ordering work.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::coordinates::{geo_points, GeoPoint};
use super::xml::escape;
use crate::agents::Track;
use crate::error::{Error, Result};
use crate::terrain::Surface;

/// Seconds from the Unix epoch to 10000-01-01T00:00:00Z, the first instant
/// an RFC 3339 timestamp cannot express.
const YEAR_10000_S: u64 = 253_402_300_800;

/// The tracks as a GPX 1.1 document.
///
/// Layout, in the order the GPX 1.1 schema requires: `<metadata>` (name,
/// `start_time`, bounds), a `<wpt>` at each distinct start named
/// `start_name` (or "start"), then one `<trk>` per track with `<name>` (the
/// agent), `<desc>` (stop reason, steps, drop), `<type>` (the agent's short
/// name) and a single `<trkseg>` of `<trkpt lat lon>` with `<ele>` (metres)
/// and, for tracks whose parameters have a physical time step `dt`
/// (seconds), `<time>` = `start_time` + i·dt in RFC 3339 UTC with
/// milliseconds. Coordinates are degrees rounded to 7 decimals.
///
/// Fails with [`Error::BadParameter`] on a planar surface (no longitude and
/// latitude), an empty track, a non-positive `dt`, or times before 1970 or
/// after the year 9999.
pub fn tracks_gpx(
    tracks: &[Track],
    surface: &dyn Surface,
    start_time: SystemTime,
    start_name: Option<&str>,
) -> Result<String> {
    let start_title = escape(start_name.unwrap_or("start"));
    let mut all = Vec::with_capacity(tracks.len());
    for track in tracks {
        all.push(geo_points(track, surface, "GPX")?);
    }
    let mut starts: Vec<GeoPoint> = Vec::new();
    for points in &all {
        if !starts.contains(&points[0]) {
            starts.push(points[0]);
        }
    }

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<gpx version=\"1.1\" creator=\"downhill\" xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 \
         http://www.topografix.com/GPX/1/1/gpx.xsd\">\n",
    );
    let when = timestamp(start_time, Duration::ZERO, false)?;
    let _ = writeln!(out, "  <metadata>");
    let _ = writeln!(out, "    <name>downhill from {start_title}</name>");
    let _ = writeln!(out, "    <time>{when}</time>");
    if let Some([min_lat, min_lon, max_lat, max_lon]) = bounds(&all) {
        let _ = writeln!(
            out,
            "    <bounds minlat=\"{min_lat}\" minlon=\"{min_lon}\" maxlat=\"{max_lat}\" maxlon=\"{max_lon}\"/>"
        );
    }
    let _ = writeln!(out, "  </metadata>");
    for p in &starts {
        let _ = writeln!(out, "  <wpt lat=\"{}\" lon=\"{}\">", p.lat, p.lon);
        let _ = writeln!(out, "    <ele>{}</ele>", p.elevation);
        let _ = writeln!(out, "    <time>{when}</time>");
        let _ = writeln!(out, "    <name>{start_title}</name>");
        let _ = writeln!(out, "  </wpt>");
    }
    for (track, points) in tracks.iter().zip(&all) {
        write_track(&mut out, track, points, start_time)?;
    }
    out.push_str("</gpx>\n");
    Ok(out)
}

/// Appends one `<trk>`.
fn write_track(
    out: &mut String,
    track: &Track,
    points: &[GeoPoint],
    start_time: SystemTime,
) -> Result<()> {
    let dt = match track.params.dt {
        Some(dt) if dt.is_finite() && dt > 0.0 => Some(dt),
        Some(dt) => {
            return Err(Error::param(format!(
                "the {} track has a time step of {dt} s; it must be a positive number of seconds",
                track.agent
            )))
        }
        None => None,
    };
    let drop = points[0].elevation - points[points.len() - 1].elevation;
    let _ = writeln!(out, "  <trk>");
    let _ = writeln!(out, "    <name>{}</name>", escape(track.agent.title()));
    let _ = writeln!(
        out,
        "    <desc>stopped: {} after {} steps; dropped {drop:.1} m</desc>",
        track.stop_reason,
        track.steps()
    );
    let _ = writeln!(out, "    <type>{}</type>", track.agent.name());
    let _ = writeln!(out, "    <trkseg>");
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            out,
            "      <trkpt lat=\"{}\" lon=\"{}\"><ele>{}</ele>",
            p.lat, p.lon, p.elevation
        );
        if let Some(dt) = dt {
            let offset =
                Duration::try_from_secs_f64(i as f64 * dt).map_err(|_| time_range_error(track))?;
            let _ = write!(out, "<time>{}</time>", timestamp(start_time, offset, true)?);
        }
        let _ = writeln!(out, "</trkpt>");
    }
    let _ = writeln!(out, "    </trkseg>");
    let _ = writeln!(out, "  </trk>");
    Ok(())
}

/// `start + offset` in RFC 3339 UTC, whole seconds or milliseconds.
fn timestamp(start: SystemTime, offset: Duration, millis: bool) -> Result<String> {
    let since_epoch = start.duration_since(UNIX_EPOCH).map_err(|_| {
        Error::param("the start time lies before 1970, which GPX timestamps here cannot express")
    })?;
    let total = since_epoch
        .checked_add(offset)
        .filter(|t| t.as_secs() < YEAR_10000_S)
        .ok_or_else(|| Error::param("the track times run past the year 9999"))?;
    let t = UNIX_EPOCH + total;
    Ok(if millis {
        humantime::format_rfc3339_millis(t).to_string()
    } else {
        humantime::format_rfc3339_seconds(t).to_string()
    })
}

fn time_range_error(track: &Track) -> Error {
    Error::param(format!(
        "the {} track is too long for its time step to give valid times",
        track.agent
    ))
}

/// `[min_lat, min_lon, max_lat, max_lon]` of every point, `None` if there are none.
fn bounds(all: &[Vec<GeoPoint>]) -> Option<[f64; 4]> {
    let mut points = all.iter().flatten();
    let first = points.next()?;
    let init = [first.lat, first.lon, first.lat, first.lon];
    Some(points.fold(init, |b, p| {
        [
            b[0].min(p.lat),
            b[1].min(p.lon),
            b[2].max(p.lat),
            b[3].max(p.lon),
        ]
    }))
}
