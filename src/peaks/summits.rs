//! Every summit of a DEM with its prominence, key col, parent and isolation.
//!
//! [`find_summits`] runs the prominence sweep ([`super::prominence`]) and
//! measures each summit's isolation. Definitions, as used throughout:
//!
//! - a **summit** is a sample, or a plateau of equal samples (8-connected),
//!   with no higher neighbour; a plateau is reported at its sample nearest
//!   its centroid;
//! - its **key col** is the highest point to which one must descend to reach
//!   higher ground; its **prominence** is its height minus the key col's.
//!   Summits of equal height are ordered by their first sample in row-major
//!   order (north, then west, first), the earlier one counting as higher;
//! - its **parent** is the highest summit of the higher region its key col
//!   joins;
//! - the highest summit of a connected piece of land (the DEM's highest, or
//!   an island cut off by voids) has no key col; its prominence is measured
//!   down to the lowest sample of its piece of land;
//! - its **isolation** is the geodesic distance to the nearest sample
//!   strictly higher, `None` for the highest summit of the DEM;
//! - it is **edge-limited** when the DEM's edge (its border, or a void)
//!   bounds these values rather than the terrain: it has no key col (the
//!   DEM's highest summit, or the highest of an island among voids), its
//!   key col touches the edge, or the edge is nearer than the nearest
//!   higher ground (nearer higher ground may lie beyond it);
//! - more cautiously, it **reaches the edge** when the ground it dominates
//!   above its key col touches the edge: a higher col beyond the edge
//!   cannot be ruled out from this DEM alone, so its prominence is an upper
//!   bound. Large summits with low cols usually reach the edge of a single
//!   tile; give a mosaic of the neighbouring tiles to settle them.
//!
//! Voids are neither land nor cols: no path runs through them.

use rayon::prelude::*;
use serde::Serialize;

use super::isolation::HigherGround;
use super::prominence::sweep;
use crate::dem::{Dem, Projection};
use crate::error::{Error, Result};
use crate::geo::geodesy::geodesic_distance;
use crate::geo::Bounds;
use crate::geo::Xy;

/// Default smallest prominence reported, metres (the peak-baggers' usual
/// 100 ft threshold, rounded).
pub const DEFAULT_MIN_PROMINENCE_M: f64 = 30.0;

/// What [`find_summits`] reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummitOptions {
    /// Smallest prominence reported, metres (0 or more).
    pub min_prominence_m: f64,
}

impl Default for SummitOptions {
    fn default() -> Self {
        SummitOptions {
            min_prominence_m: DEFAULT_MIN_PROMINENCE_M,
        }
    }
}

/// A point of the DEM: a sample, where it lies, and its height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SamplePoint {
    /// Longitude, degrees east (WGS84).
    pub lon: f64,
    /// Latitude, degrees north (WGS84).
    pub lat: f64,
    /// Height, metres.
    pub elevation_m: f64,
    /// Row of the sample (0 to the north).
    pub row: usize,
    /// Column of the sample (0 to the west).
    pub col: usize,
    /// Centre of the sample in the DEM's own coordinates (degrees on a
    /// geographic grid, metres on a projected one).
    #[serde(skip)]
    pub position: Xy,
}

/// A summit and what measures it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summit {
    /// Rank by prominence, 1 for the most prominent (ties: higher first,
    /// then north-west first); `--peak '#N'` refers to it.
    pub rank: usize,
    /// The summit's sample (on a plateau, the sample nearest its centroid).
    #[serde(flatten)]
    pub summit: SamplePoint,
    /// Prominence, metres: the height above the key col, or above the
    /// lowest sample of its piece of land when there is no key col.
    pub prominence_m: f64,
    /// The key col, `None` for the highest summit of a piece of land.
    pub key_col: Option<SamplePoint>,
    /// Rank of the parent: the highest summit of the higher region across
    /// the key col (always reported: its prominence is larger).
    pub parent: Option<usize>,
    /// Geodesic distance to the nearest higher sample, metres; `None` when
    /// no sample of the DEM is higher.
    pub isolation_m: Option<f64>,
    /// The nearest higher sample (WGS84 degrees and metres), as measured.
    pub higher_ground: Option<SamplePoint>,
    /// `true` when the DEM's border or a void bounds the prominence or the
    /// isolation rather than the terrain (see the module documentation).
    pub edge_limited: bool,
    /// `true` when the isolation is the edge-limited part: the DEM's border
    /// or a void is nearer than the nearest higher ground, or none is higher.
    pub isolation_edge_limited: bool,
    /// `true` when the ground the summit dominates above its key col
    /// reaches the DEM's border or a void, so that a higher col beyond the
    /// edge cannot be ruled out: the prominence is then an upper bound.
    pub reaches_edge: bool,
    /// Number of samples of the summit's plateau.
    pub plateau_samples: usize,
    /// The name given by a gazetteer, if any ([`super::name_summits`]).
    pub name: Option<String>,
}

impl Summit {
    /// The summit's name, or `summit #N` without one.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("summit #{}", self.rank))
    }
}

/// Every summit of `dem` whose prominence is at least
/// `options.min_prominence_m`, most prominent first (see the module
/// documentation for the definitions). Names are left empty; see
/// [`super::name_summits`].
///
/// Fails on a negative or non-finite threshold, and on a grid whose
/// coordinates have no relation to longitude and latitude.
pub fn find_summits(dem: &Dem, options: &SummitOptions) -> Result<Vec<Summit>> {
    let min = options.min_prominence_m;
    if !(min.is_finite() && min >= 0.0) {
        return Err(Error::invalid(
            "min_prominence_m",
            min,
            "give a height in metres, 0 or more",
        ));
    }
    let projection = Projection::for_crs(&dem.crs)?;
    let found = sweep(&dem.heights).map_err(Error::param)?;
    let prominence = |s: &super::prominence::SweepSummit| {
        s.elevation as f64 - s.key_col.map_or(s.base, |c| c.elevation) as f64
    };
    let kept: Vec<usize> = (0..found.len())
        .filter(|&i| prominence(&found[i]) >= min)
        .collect();
    let point = |(row, col): (usize, usize)| -> Result<SamplePoint> {
        let position = dem.sample_position(row as f64, col as f64);
        let (lon, lat) = projection.to_wgs84(position.x, position.y).ok_or_else(|| {
            Error::param(format!(
                "sample (row {row}, column {col}) has no longitude and latitude in {}",
                dem.crs.label()
            ))
        })?;
        Ok(SamplePoint {
            lon,
            lat,
            elevation_m: dem.heights[[row, col]] as f64,
            row,
            col,
            position,
        })
    };
    let ground = HigherGround::new(dem);
    let mut summits: Vec<(usize, Summit)> = kept
        .par_iter()
        .map(|&i| {
            let s = &found[i];
            let summit = point(s.sample)?;
            let nearest = ground.nearest_higher(s.sample, s.elevation);
            let higher_ground = nearest.higher.map(point).transpose()?;
            let isolation_m =
                higher_ground.map(|h| geodesic_distance(summit.lon, summit.lat, h.lon, h.lat));
            Ok((
                i,
                Summit {
                    rank: 0,
                    summit,
                    prominence_m: prominence(s),
                    key_col: s.key_col.map(|c| point(c.sample)).transpose()?,
                    parent: None,
                    isolation_m,
                    higher_ground,
                    edge_limited: s.edge_limited || nearest.edge_limited,
                    isolation_edge_limited: nearest.edge_limited,
                    reaches_edge: s.reached_edge,
                    plateau_samples: s.plateau_samples,
                    name: None,
                },
            ))
        })
        .collect::<Result<_>>()?;
    // Most prominent first; then higher first; then the sweep's order.
    summits.sort_by(|(i, a), (j, b)| {
        b.prominence_m
            .total_cmp(&a.prominence_m)
            .then(b.summit.elevation_m.total_cmp(&a.summit.elevation_m))
            .then(i.cmp(j))
    });
    let mut rank_of = vec![0usize; found.len()];
    for (k, (i, s)) in summits.iter_mut().enumerate() {
        s.rank = k + 1;
        rank_of[*i] = k + 1;
    }
    for (i, s) in summits.iter_mut() {
        s.parent = found[*i]
            .key_col
            .map(|c| rank_of[c.parent])
            .filter(|&r| r > 0);
    }
    Ok(summits.into_iter().map(|(_, s)| s).collect())
}

/// The named summits among `summits` whose position lies within `bounds`
/// (edges included; in the DEM's own coordinates, as
/// [`crate::render::RenderedMap`]'s `bounds_xy`), in the given order: what a
/// map labels.
pub fn named_summits_within(summits: &[Summit], bounds: Bounds) -> Vec<&Summit> {
    summits
        .iter()
        .filter(|m| m.name.is_some() && bounds.contains(m.summit.position))
        .collect()
}
