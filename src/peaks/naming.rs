//! Giving summits the names of gazetteer entries nearby.

use super::{Gazetteer, Summit};
use crate::error::{Error, Result};
use crate::geo::geodesy::{geodesic_distance, metres_per_degree_lat, metres_per_degree_lon};

/// Names `summits` from `gazetteer`: each summit takes the name of the
/// nearest entry within `snap_m` metres (geodesic distance from the
/// published position to the summit's sample).
///
/// A name goes to one summit only, and a summit takes one name: pairs are
/// settled nearest first, so where two entries are near one summit the
/// nearer names it and the other may name the next summit in reach.
/// Returns the number of summits named.
pub fn name_summits(summits: &mut [Summit], gazetteer: &Gazetteer, snap_m: f64) -> Result<usize> {
    if !(snap_m.is_finite() && snap_m >= 0.0) {
        return Err(Error::invalid(
            "snap_radius_m",
            snap_m,
            "give a distance in metres, 0 or more",
        ));
    }
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (p, peak) in gazetteer.peaks().iter().enumerate() {
        // A cheap box first: degrees of latitude and longitude within reach.
        let dlat = snap_m / metres_per_degree_lat(peak.lat) + 1e-9;
        let per_lon = metres_per_degree_lon(peak.lat);
        let dlon = if per_lon > 1.0 {
            snap_m / per_lon + 1e-9
        } else {
            360.0
        };
        for (s, summit) in summits.iter().enumerate() {
            let m = &summit.summit;
            if (m.lat - peak.lat).abs() > dlat {
                continue;
            }
            let dl = (m.lon - peak.lon).rem_euclid(360.0);
            if dl.min(360.0 - dl) > dlon {
                continue;
            }
            let d = geodesic_distance(peak.lon, peak.lat, m.lon, m.lat);
            if d <= snap_m {
                pairs.push((d, s, p));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used = vec![false; gazetteer.len()];
    let mut named = 0;
    for (_, s, p) in pairs {
        if used[p] || summits[s].name.is_some() {
            continue;
        }
        used[p] = true;
        summits[s].name = Some(gazetteer.peaks()[p].name.clone());
        named += 1;
    }
    Ok(named)
}
