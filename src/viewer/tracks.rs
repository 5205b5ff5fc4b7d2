//! Tracks as the page draws them: the line, the numbers, the profile.

use serde::Serialize;

use crate::agents::Track;
use crate::error::{Error, Result};
use crate::terrain::Surface;

/// Most points kept per track for the map line and the profile. A ball can
/// take 100 000 steps; at most this many, evenly spread along the ground
/// distance, are drawn (the first and last always among them). The
/// numbers in the popup come from the full track.
pub const MAX_PROFILE_POINTS: usize = 2000;

/// One agent's track as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackLayer {
    /// Agent name, e.g. `momentum`.
    pub agent: String,
    /// Agent title for people, e.g. "Rolling ball (momentum)".
    pub title: String,
    /// Stroke colour, `#rrggbb` (the GeoJSON `stroke`).
    pub colour: String,
    /// Steps taken.
    pub steps: usize,
    /// Why it stopped, e.g. `converged`.
    pub stop_reason: String,
    /// Ground length of the whole path, metres.
    pub length_m: f64,
    /// Sum of every downhill change of height, metres.
    pub descent_m: f64,
    /// Height at the start, metres.
    pub start_elevation_m: f64,
    /// Height at the end, metres.
    pub end_elevation_m: f64,
    /// Step size α, metres per unit slope.
    pub alpha: f64,
    /// Momentum β (0 for the walker).
    pub beta: f64,
    /// Time step of a physical ball, seconds.
    pub dt_s: Option<f64>,
    /// Friction of a physical ball, 1/s.
    pub friction_per_s: Option<f64>,
    /// Longitudes of the drawn points, degrees east.
    pub lon: Vec<f64>,
    /// Latitudes of the drawn points, degrees north.
    pub lat: Vec<f64>,
    /// Heights of the drawn points, metres.
    pub elevation_m: Vec<f64>,
    /// Ground distance from the start to each drawn point, metres.
    pub distance_m: Vec<f64>,
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (v * k).round() / k
}

impl TrackLayer {
    /// The layer of `track` on `surface`, which must know longitudes and
    /// latitudes (a DEM, not a planar formula). At most `max_points`
    /// points (at least 2) are kept for drawing.
    pub fn from_track<S: Surface + ?Sized>(
        track: &Track,
        surface: &S,
        max_points: usize,
    ) -> Result<TrackLayer> {
        if track.points.is_empty() {
            return Err(Error::param("an empty track cannot be drawn"));
        }
        let summary = track.summary(surface);
        let mut distance = Vec::with_capacity(track.points.len());
        let mut total = 0.0;
        for (i, p) in track.points.iter().enumerate() {
            if i > 0 {
                total += surface.distance(track.points[i - 1].position, p.position);
            }
            distance.push(total);
        }
        let spacing = total / max_points.max(2).saturating_sub(1) as f64;
        let last = track.points.len() - 1;
        let mut layer = TrackLayer {
            agent: track.agent.name().to_string(),
            title: track.agent.title().to_string(),
            colour: track.agent.colour().hex(),
            steps: summary.steps,
            stop_reason: summary.stop_reason.to_string(),
            length_m: summary.length_m,
            descent_m: summary.descent_m,
            start_elevation_m: summary.start.elevation(),
            end_elevation_m: summary.end.elevation(),
            alpha: summary.alpha,
            beta: summary.beta,
            dt_s: summary.dt,
            friction_per_s: summary.friction,
            lon: vec![],
            lat: vec![],
            elevation_m: vec![],
            distance_m: vec![],
        };
        let mut next = 0.0;
        for (i, p) in track.points.iter().enumerate() {
            if i != last && distance[i] < next && i != 0 {
                continue;
            }
            if layer.lon.len() + 1 >= max_points.max(2) && i != last {
                continue;
            }
            let ll = surface.lon_lat(p.position).ok_or_else(|| {
                Error::param(
                    "the map viewer needs longitudes and latitudes; a planar surface has none",
                )
            })?;
            layer.lon.push(round_to(ll.lon, 7));
            layer.lat.push(round_to(ll.lat, 7));
            layer.elevation_m.push(round_to(p.elevation, 2));
            layer.distance_m.push(round_to(distance[i], 1));
            next = distance[i] + spacing;
        }
        Ok(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{Agent, AgentKind, StopRules};
    use crate::dem::{Crs, Dem, GeoTransform};
    use crate::geo::Xy;
    use crate::terrain::{GradientScheme, Terrain, Vector};
    use ndarray::Array2;

    /// A tilted plane: the ball rolls a long way; the layer keeps at most
    /// the asked-for number of its points, each one of the track's own, with
    /// the first and the last among them.
    #[test]
    fn long_tracks_are_thinned_to_points_of_the_track() {
        let heights = Array2::from_shape_fn((200, 200), |(r, c)| {
            1000.0 - 2.0 * c as f32 - 0.5 * r as f32
        });
        let dem = Dem {
            heights,
            transform: GeoTransform {
                origin_x: 7.0,
                origin_y: 46.0,
                cell_x: 1.0 / 1200.0,
                cell_y: 1.0 / 1200.0,
            },
            crs: Crs::Geographic,
            inputs: vec![],
        };
        let terrain = Terrain::new(dem, GradientScheme::Central).unwrap();
        let start = Xy::new(7.0 + 150.0 / 1200.0, 46.0 - 100.0 / 1200.0);
        let track = Agent::new(AgentKind::Momentum)
            .descend(&terrain, start, Vector::ZERO, &StopRules::default())
            .unwrap();
        assert!(track.points.len() > 60, "{}", track.points.len());
        let layer = TrackLayer::from_track(&track, &terrain, 50).unwrap();
        assert!(
            layer.lon.len() <= 50 && layer.lon.len() >= 10,
            "{}",
            layer.lon.len()
        );
        let all: Vec<(f64, f64)> = track
            .points
            .iter()
            .map(|p| (p.position.x, p.position.y))
            .collect();
        for (lon, lat) in layer.lon.iter().zip(&layer.lat) {
            assert!(
                all.iter()
                    .any(|(x, y)| (x - lon).abs() < 1e-7 && (y - lat).abs() < 1e-7),
                "({lon}, {lat}) is not a point of the track"
            );
        }
        let last = track.points.last().unwrap();
        assert!((layer.lon.last().unwrap() - last.position.x).abs() < 1e-7);
        assert!((layer.elevation_m.last().unwrap() - last.elevation).abs() < 0.006);
        assert_eq!(layer.end_elevation_m, last.elevation);
        assert!(layer.distance_m.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(layer.steps, track.points.len() - 1);
    }
}
