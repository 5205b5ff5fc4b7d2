//! The map viewer: one self-contained `index.html` per run.
//!
//! A [`Page`] gathers what a run produced — the tinted relief as a picture
//! placed by its bounds ([`ImageOverlay`]), a downsampled height grid for
//! the cursor's elevation ([`HeightGrid`]), the agents' tracks with their
//! elevation profiles ([`TrackLayer`]), basins ([`BasinLayer`]) and summits
//! ([`Summit`]) — and [`Page::to_html`] writes it out as one HTML file with
//! Leaflet (vendored under `assets/leaflet`, BSD-2-Clause), the styles, the
//! script and every byte of data inline.
//!
//! The page opens from `file://` without a network. Its
//! Content-Security-Policy allows no request to anywhere except one: map
//! tiles (images only) from `tile.openstreetmap.org`, which the page asks
//! for only after the reader switches the OpenStreetMap basemap on (it is
//! off by default). A `<meta>` policy cannot be loosened by script later,
//! so the switch needs that one host in `img-src` from the start; every
//! other host, and every script, style, font, frame or fetch from outside,
//! is refused by the browser. See [`CONTENT_SECURITY_POLICY`].
//!
//! Leaflet draws in Web Mercator (EPSG:3857), the projection of web
//! basemaps. Pictures are therefore resampled onto Mercator rows before they
//! are embedded ([`ImageOverlay::from_grid_image`]), so the relief lies
//! exactly under the tracks and the basemap on geographic and projected
//! grids alike, not stretched linearly between its corners.
//!
//! The viewer is library code: it takes data, not command-line flags. A
//! summit list from any source (the `peaks` command, a gazetteer) is just a
//! `Vec<Summit>`:
//!
//! ```
//! use downhill::viewer::{Page, Summit};
//! let mut page = Page::new("Blackstairs Mountains");
//! page.summits.push(Summit {
//!     name: "Mount Leinster".into(),
//!     lon: -6.7797,
//!     lat: 52.6178,
//!     elevation_m: 794.0,
//!     prominence_m: Some(707.0),
//! });
//! let html = page.to_html().unwrap();
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! ```

mod basins;
mod heights;
mod html;
mod overlay;
mod runs;
mod summits;
mod tracks;

pub use basins::{hex_colour, BasinLayer, Sink, MAX_EMBEDDED_GEOJSON_BYTES};
pub use heights::{HeightGrid, MAX_HEIGHT_GRID_SIDE};
pub use html::{PreparedPage, CONTENT_SECURITY_POLICY};
pub use overlay::{ImageOverlay, LatLonBounds, PictureFormat, Sampling, MAX_OVERLAY_SIDE_PX};
pub use runs::{
    attribution, basin_colours, basins_page, input_names, relief, sinks, summits_page, tracks_page,
    Backdrop, MAX_EMBEDDED_SINKS, TRACKS_PAGE_MARGIN,
};
pub use summits::Summit;
pub use tracks::{TrackLayer, MAX_PROFILE_POINTS};

use crate::error::Result;

/// File name of the page, written beside a run's other outputs.
pub const PAGE_NAME: &str = "index.html";

/// Everything one viewer page shows. Build it, then call [`Page::to_html`].
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Heading of the page and the browser tab, e.g. "Mount Leinster — N52W007.hgt".
    pub title: String,
    /// Credit for the data shown, plain text (e.g. the elevation source);
    /// shown in the map's attribution corner.
    pub attribution: String,
    /// The relief under everything else.
    pub relief: Option<ImageOverlay>,
    /// Heights for the cursor's elevation readout.
    pub heights: Option<HeightGrid>,
    /// Agents' tracks, drawn in order (the last on top).
    pub tracks: Vec<TrackLayer>,
    /// Basins of attraction, as outlines or as a coloured picture.
    pub basins: Option<BasinLayer>,
    /// Summits with their heights and prominences.
    pub summits: Vec<Summit>,
    /// Sentences shown under the map, e.g. why a layer is a picture.
    pub notes: Vec<String>,
}

impl Page {
    /// An empty page titled `title`.
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            ..Page::default()
        }
    }

    /// The whole page as one HTML document (UTF-8 text).
    ///
    /// Fails only if the data cannot be serialised (e.g. a non-finite
    /// coordinate in a layer).
    pub fn to_html(&self) -> Result<String> {
        html::render(self)
    }

    /// The page checked and its data gathered, to be written out with
    /// [`PreparedPage::write_to`] (e.g. straight into a file, without the
    /// whole document held in memory as [`Page::to_html`] holds it).
    ///
    /// Fails as [`Page::to_html`] does.
    pub fn prepare(&self) -> Result<PreparedPage<'_>> {
        html::prepare(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data block of a page, parsed back.
    fn data_of(html: &str) -> serde_json::Value {
        let start = html.find("id=\"downhill-data\">").unwrap() + "id=\"downhill-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    /// A peaks layer is just data: the summits reach the page with their
    /// names, positions, heights and prominences.
    #[test]
    fn a_page_of_summits_carries_every_summit() {
        let mut page = Page::new("Peaks of N52W007");
        for (name, lon, lat, z, p) in [
            ("Mount Leinster", -6.7797, 52.6178, 794.0, Some(707.0)),
            ("Blackstairs", -6.8059, 52.5510, 735.0, None),
        ] {
            page.summits.push(Summit {
                name: name.into(),
                lon,
                lat,
                elevation_m: z,
                prominence_m: p,
            });
        }
        let data = data_of(&page.to_html().unwrap());
        let s = data["summits"].as_array().unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0]["name"], "Mount Leinster");
        assert_eq!(s[0]["lon"], -6.7797);
        assert_eq!(s[0]["lat"], 52.6178);
        assert_eq!(s[0]["elevation_m"], 794.0);
        assert_eq!(s[0]["prominence_m"], 707.0);
        assert!(s[1]["prominence_m"].is_null());
        assert!(data["tracks"].as_array().unwrap().is_empty());
    }
}
