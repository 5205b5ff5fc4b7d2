//! Where a drop run starts: a point given in degrees, a named peak from a
//! gazetteer (snapped to the DEM's highest sample nearby), or one of the
//! DEM's own summits by rank.

use std::path::PathBuf;

use crate::dem::Dem;
use crate::error::{Error, Result};
use crate::geo::{LonLat, Xy};
use crate::peaks::{self, Gazetteer, SummitChoice};
use crate::terrain::{Surface, Terrain};

/// What the user asked for as a start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartRequest {
    /// A WGS84 point (degrees).
    At(LonLat),
    /// A peak: a gazetteer name (case and accents ignored), `highest`, or
    /// `#N` for the DEM's N-th most prominent summit.
    Peak(String),
}

/// The start of a run: where, and how it was chosen.
#[derive(Debug, Clone)]
pub struct Start {
    /// Position in the grid's own plane (CRS units).
    pub position: Xy,
    /// A name for the start (peak name, or the coordinates).
    pub label: String,
    /// For a peak: its record, and how far snapping moved the start (metres).
    pub peak: Option<(peaks::Peak, f64)>,
    /// For `highest` or `#N`: the DEM's summit.
    pub summit: Option<peaks::Summit>,
}

/// The grid position of a WGS84 point, refused ([`Error::BadStart`]) when
/// it lies outside the grid. `what` names the point in the message.
pub fn grid_position(dem: &Dem, ll: LonLat, what: &str) -> Result<Xy> {
    let position = dem.position_of(ll)?;
    dem.clamp_inside(position).ok_or_else(|| {
        let [w, s, e, n] = dem.bounds().to_array();
        Error::BadStart(format!(
            "{what} {ll} lies outside the elevation data (bounds: west {w:.4}, south {s:.4}, east {e:.4}, north {n:.4}); \
             give a start inside them or load the tile that covers it"
        ))
    })
}

impl Start {
    /// Resolves `request` on `dem`. `summits` are the DEM's summits, most
    /// prominent first (for `highest` and `#N`); a gazetteer peak's
    /// published position moves to the highest sample within `snap_m`
    /// metres. An unknown name is [`Error::UnknownPeak`] (with the closest
    /// names); a peak off the grid is [`Error::BadStart`].
    pub fn resolve(
        request: &StartRequest,
        dem: &Dem,
        gazetteer: &Gazetteer,
        summits: &[peaks::Summit],
        snap_m: f64,
    ) -> Result<Start> {
        let name = match request {
            StartRequest::At(ll) => {
                return Ok(Start {
                    position: grid_position(dem, *ll, "the start")?,
                    label: ll.to_string(),
                    peak: None,
                    summit: None,
                })
            }
            StartRequest::Peak(name) => name.as_str(),
        };
        if let Some(choice) = SummitChoice::parse(name)? {
            let summit = choice.pick(summits)?;
            // A summit on the grid's edge sample: its position, computed back
            // from the indices, may round a hair outside.
            let position = dem
                .clamp_inside(summit.summit.position)
                .unwrap_or(summit.summit.position);
            return Ok(Start {
                position,
                label: summit.label(),
                peak: None,
                summit: Some(summit),
            });
        }
        let peak = match gazetteer.find(name) {
            Ok(p) => p.clone(),
            Err(_) => {
                let close = gazetteer.closest(name, 5);
                let close = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (closest names: {})", close.join(", "))
                };
                return Err(Error::UnknownPeak(format!(
                    "no peak called '{name}' in the gazetteer{close}."
                )));
            }
        };
        let published = grid_position(dem, LonLat::new(peak.lon, peak.lat), &peak.name)?;
        let snapped = peaks::snap_to_summit(dem, published, snap_m)
            .map_err(|e| Error::BadStart(format!("{}: {e}", peak.name)))?;
        Ok(Start {
            position: snapped.position,
            label: peak.name.clone(),
            peak: Some((peak, snapped.offset_m)),
            summit: None,
        })
    }

    /// `downhill-out/<peak name or position>`, as a plain ASCII slug that
    /// cannot be `.`, `..` or empty ([`peaks::slug`]).
    pub fn default_dir(&self) -> PathBuf {
        PathBuf::from("downhill-out").join(peaks::slug(&self.label))
    }

    /// One line on how the start was chosen, with its height (metres) on `terrain`.
    pub fn describe(&self, terrain: &Terrain) -> String {
        let p = self.position;
        let z = terrain.elevation(p).unwrap_or(f64::NAN);
        let at = terrain
            .lon_lat(p)
            .map_or(format!("({}, {})", p.x, p.y), |ll| ll.to_string());
        if let Some(s) = &self.summit {
            let name = s
                .name
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"));
            return format!(
                "start: summit #{}{name} at {at}, {z:.0} m, prominence {:.0} m",
                s.rank, s.prominence_m
            );
        }
        match &self.peak {
            Some((peak, offset)) => {
                let published = peak
                    .elevation
                    .map_or(String::new(), |e| format!(", published {e} m"));
                format!(
                    "start: {} at {at}, {z:.0} m (the highest DEM sample, {offset:.0} m from the published summit{published})",
                    peak.name
                )
            }
            None => format!("start: {at}, {z:.0} m"),
        }
    }
}
