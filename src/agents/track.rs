//! The path an agent took and its summary.

use serde::Serialize;

use super::{AgentKind, StepParams, StopReason};
use crate::geo::Xy;
use crate::terrain::Surface;

/// One recorded position of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrackPoint {
    /// Position in the surface's own plane (see [`Xy`] for the units).
    pub position: Xy,
    /// Height in metres.
    pub elevation: f64,
}

/// A finished descent: every position visited, and why it ended.
#[derive(Debug, Clone, Serialize)]
pub struct Track {
    /// The agent's kind.
    pub agent: AgentKind,
    /// Its update parameters.
    pub params: StepParams,
    /// Positions, starting point first; one per step taken.
    pub points: Vec<TrackPoint>,
    /// Why it stopped.
    pub stop_reason: StopReason,
}

/// A track's start or end point, as reported to people and programs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Endpoint {
    /// On the Earth: WGS84 degrees and metres.
    Geo {
        /// Longitude, degrees east.
        lon: f64,
        /// Latitude, degrees north.
        lat: f64,
        /// Height, metres.
        elevation: f64,
    },
    /// On a planar surface.
    Planar {
        /// x coordinate.
        x: f64,
        /// y coordinate.
        y: f64,
        /// Height.
        elevation: f64,
    },
}

impl Endpoint {
    /// The endpoint of a track point on `surface`.
    pub fn of<S: Surface + ?Sized>(surface: &S, p: &TrackPoint) -> Self {
        match surface.lon_lat(p.position) {
            Some(ll) => Endpoint::Geo {
                lon: ll.lon,
                lat: ll.lat,
                elevation: p.elevation,
            },
            None => Endpoint::Planar {
                x: p.position.x,
                y: p.position.y,
                elevation: p.elevation,
            },
        }
    }

    /// Height in metres.
    pub fn elevation(&self) -> f64 {
        match *self {
            Endpoint::Geo { elevation, .. } | Endpoint::Planar { elevation, .. } => elevation,
        }
    }
}

/// What a person or program wants to know about a track.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Agent name (`gd`, `momentum`, `nesterov`).
    pub agent: AgentKind,
    /// Steps taken.
    pub steps: usize,
    /// Why the descent ended.
    pub stop_reason: StopReason,
    /// Where it started.
    pub start: Endpoint,
    /// Where it ended.
    pub end: Endpoint,
    /// Ground length of the path in metres (geodesic on WGS84 for geographic grids).
    pub length_m: f64,
    /// Total descent in metres: the sum of every downhill change of height along the path.
    pub descent_m: f64,
    /// Total ascent in metres: the sum of every uphill change (the ball climbs on its momentum).
    pub ascent_m: f64,
    /// Net drop in metres, start height minus end height.
    pub drop_m: f64,
    /// Learning rate α, metres per unit slope.
    pub alpha: f64,
    /// Momentum β.
    pub beta: f64,
    /// Time step in seconds, for a physical ball.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dt: Option<f64>,
    /// Friction in 1/s, for a physical ball.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friction: Option<f64>,
}

impl Track {
    /// Steps taken (points recorded minus the start).
    pub fn steps(&self) -> usize {
        self.points.len().saturating_sub(1)
    }

    /// Summarises the track measured on `surface`.
    pub fn summary<S: Surface + ?Sized>(&self, surface: &S) -> Summary {
        let first = self.points[0];
        let last = *self.points.last().unwrap_or(&first);
        let (mut length, mut descent, mut ascent) = (0.0, 0.0, 0.0);
        for w in self.points.windows(2) {
            length += surface.distance(w[0].position, w[1].position);
            let dz = w[1].elevation - w[0].elevation;
            if dz < 0.0 {
                descent -= dz;
            } else {
                ascent += dz;
            }
        }
        Summary {
            agent: self.agent,
            steps: self.steps(),
            stop_reason: self.stop_reason,
            start: Endpoint::of(surface, &first),
            end: Endpoint::of(surface, &last),
            length_m: length,
            descent_m: descent,
            ascent_m: ascent,
            drop_m: first.elevation - last.elevation,
            alpha: self.params.alpha,
            beta: self.params.beta,
            dt: self.params.dt,
            friction: self.params.friction,
        }
    }
}
