//! The files of a drop run: tracks in each format, the track map and its
//! georeferencing.

use crate::agents::Track;
use crate::error::Result;
use crate::export;
use crate::peaks;
use crate::render::{self, Extent, MapOptions};
use crate::terrain::{Surface, Terrain};

/// A track file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackFormat {
    /// RFC 7946 GeoJSON (geographic data only).
    Geojson,
    /// GPX 1.1 (geographic data only).
    Gpx,
    /// One row per track point.
    Csv,
    /// Every track point as JSON.
    Json,
}

impl TrackFormat {
    /// Every format, in the order the command line lists them.
    pub const ALL: [TrackFormat; 4] = [
        TrackFormat::Geojson,
        TrackFormat::Gpx,
        TrackFormat::Csv,
        TrackFormat::Json,
    ];

    /// The formats written on a DEM when none is asked for.
    pub const ON_TERRAIN: [TrackFormat; 2] = [TrackFormat::Geojson, TrackFormat::Gpx];

    /// The formats written on an analytic surface when none is asked for.
    pub const ON_SURFACE: [TrackFormat; 2] = [TrackFormat::Csv, TrackFormat::Json];

    /// The format's short name (`geojson`, `gpx`, `csv`, `json`).
    pub fn name(self) -> &'static str {
        match self {
            TrackFormat::Geojson => "geojson",
            TrackFormat::Gpx => "gpx",
            TrackFormat::Csv => "csv",
            TrackFormat::Json => "json",
        }
    }

    /// What the format is, in a few words.
    pub fn summary(self) -> &'static str {
        match self {
            TrackFormat::Geojson => "RFC 7946 GeoJSON (geographic data only)",
            TrackFormat::Gpx => "GPX 1.1 (geographic data only)",
            TrackFormat::Csv => "one row per track point",
            TrackFormat::Json => "every track point as JSON",
        }
    }

    /// The format of a short name, `None` for an unknown one.
    pub fn from_name(name: &str) -> Option<TrackFormat> {
        TrackFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `true` for the formats that carry WGS84 coordinates.
    pub fn is_geographic(self) -> bool {
        matches!(self, TrackFormat::Geojson | TrackFormat::Gpx)
    }

    /// The file a run writes in this format.
    pub fn file_name(self) -> &'static str {
        match self {
            TrackFormat::Geojson => "tracks.geojson",
            TrackFormat::Gpx => "tracks.gpx",
            TrackFormat::Csv => "tracks.csv",
            TrackFormat::Json => "tracks.json",
        }
    }
}

/// The files of the track map.
pub const MAP_FILES: [&str; 3] = ["map.png", "map.pgw", "map.bounds.json"];

/// Serialises the tracks in each requested format, as `(file name, text)`.
/// `start_name` names the tracks in GeoJSON and GPX.
pub fn encode(
    formats: &[TrackFormat],
    tracks: &[Track],
    surface: &dyn Surface,
    start_name: Option<&str>,
) -> Result<Vec<(&'static str, String)>> {
    let mut files = Vec::new();
    for &f in formats {
        let text = match f {
            TrackFormat::Geojson => export::tracks_geojson(tracks, surface, start_name)?,
            TrackFormat::Gpx => {
                export::tracks_gpx(tracks, surface, std::time::SystemTime::now(), start_name)?
            }
            TrackFormat::Csv => export::track_csv(tracks, surface),
            TrackFormat::Json => crate::analytic::tracks_json(tracks, surface),
        };
        files.push((f.file_name(), text));
    }
    Ok(files)
}

/// The named summits among `summits`, for the map to mark where in view.
pub fn summit_marks(summits: &[peaks::Summit]) -> Vec<render::MapSummit> {
    summits
        .iter()
        .filter_map(|s| {
            Some(render::MapSummit {
                position: s.summit.position,
                name: s.name.clone()?,
                elevation_m: s.summit.elevation_m,
            })
        })
        .collect()
}

/// How the track map is drawn.
#[derive(Debug, Clone)]
pub struct MapRequest {
    /// The whole grid (`true`) or the tracks with a margin.
    pub full_extent: bool,
    /// The title: the start's label and the input files' names.
    pub title: String,
    /// The start's peak name, drawn beside the start.
    pub start_label: Option<String>,
}

/// Draws `map.png` (tinted relief, tracks, legend, scale bar, the named
/// `summits` in view) and its georeferencing, as `(file name, bytes)`.
pub fn map_files(
    terrain: &Terrain,
    tracks: &[Track],
    request: &MapRequest,
    summits: &[peaks::Summit],
) -> Result<Vec<(String, Vec<u8>)>> {
    let options = MapOptions {
        extent: if request.full_extent {
            Extent::Full
        } else {
            Extent::Tracks { margin: 0.3 }
        },
        title: Some(request.title.clone()),
        start_label: request.start_label.clone(),
        summits: summit_marks(summits),
        ..MapOptions::default()
    };
    let map = render::render_map(terrain, tracks, &options)?;
    let image = image::DynamicImage::ImageRgba8(map.image);
    render::georeferenced_png(MAP_FILES[0], &image, map.bounds_xy, &terrain.dem().crs)
}
