//! Every track point as CSV, on any surface.

use std::fmt::Write as _;

use crate::agents::Track;
use crate::terrain::Surface;

/// The CSV header line written by [`track_csv`].
pub const CSV_HEADER: &str = "agent,step,x,y,lon,lat,elevation";

/// Every point of every track as CSV: a header
/// `agent,step,x,y,lon,lat,elevation`, then one row per point.
///
/// `step` counts from 0 at the start; `x` and `y` are the surface's own
/// coordinates (degrees on geographic grids, metres on projected ones,
/// plain units on analytic surfaces) at full precision; `lon` and `lat` are
/// WGS84 degrees, left empty on surfaces without them; `elevation` is in
/// metres (surface units on analytic surfaces). No field ever needs quoting
/// (agent names and numbers only), so the rows are written directly.
pub fn track_csv(tracks: &[Track], surface: &dyn Surface) -> String {
    let mut out = String::new();
    out.push_str(CSV_HEADER);
    out.push('\n');
    for track in tracks {
        for (step, p) in track.points.iter().enumerate() {
            let (lon, lat) = match surface.lon_lat(p.position) {
                Some(ll) => (ll.lon.to_string(), ll.lat.to_string()),
                None => (String::new(), String::new()),
            };
            let _ = writeln!(
                out,
                "{},{step},{},{},{lon},{lat},{}",
                track.agent, p.position.x, p.position.y, p.elevation
            );
        }
    }
    out
}
