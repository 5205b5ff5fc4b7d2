//! Basins on the page: outlines when they fit, the coloured picture when not.

use crate::geo::Rgb;
use serde::Serialize;

use super::overlay::ImageOverlay;

/// The largest `basins.geojson` embedded as outlines, bytes (20 MB). Above
/// it the page shows the coloured picture of `basins.png` instead, and says
/// so: a browser takes many seconds to parse and draw more polygons.
pub const MAX_EMBEDDED_GEOJSON_BYTES: usize = 20_000_000;

/// A basin's outlet, shown as a marker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sink {
    /// Basin id (1 = the largest).
    pub id: u32,
    /// Longitude, degrees east (WGS84).
    pub lon: f64,
    /// Latitude, degrees north (WGS84).
    pub lat: f64,
    /// Height of the outlet, metres (`None` on a void).
    pub elevation_m: Option<f64>,
    /// Area of the basin, km².
    pub area_km2: f64,
    /// How its walkers ended there, e.g. `sink`, `edge`.
    pub ending: String,
}

/// How the basins are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum BasinLayer {
    /// Outlines from `basins.geojson`, each filled with its basin's colour.
    Outlines {
        /// The text of `basins.geojson` (a FeatureCollection whose features
        /// have an `id`, `area_km2` and `starts` property).
        geojson: String,
        /// The colour of basin `id` at index `id - 1`, `#rrggbb`, as `basins.png` paints it.
        colours: Vec<String>,
        /// The outlets.
        sinks: Vec<Sink>,
    },
    /// The coloured picture, when the outlines are too large to embed.
    Picture {
        /// `basins.png` resampled onto the map.
        image: ImageOverlay,
        /// Why the outlines are not shown, for the page.
        reason: String,
        /// The outlets.
        sinks: Vec<Sink>,
    },
}

impl BasinLayer {
    /// Whether [`BasinLayer::choose`] embeds `geojson` (the bytes of
    /// `basins.geojson`, `None` when a run left it out) as outlines: when it
    /// is at most `max_bytes` long. Otherwise the layer is a picture.
    pub fn outlines_fit(geojson: Option<&[u8]>, max_bytes: usize) -> bool {
        geojson.is_some_and(|g| g.len() <= max_bytes)
    }

    /// Outlines when `geojson` (the bytes of `basins.geojson`) is at most
    /// `max_bytes` long, otherwise the picture that `picture()` makes
    /// (called only then), with a sentence saying why.
    /// `colours[id - 1]` is basin `id`'s colour.
    pub fn choose(
        geojson: Option<&[u8]>,
        colours: Vec<String>,
        sinks: Vec<Sink>,
        max_bytes: usize,
        picture: impl FnOnce() -> crate::Result<ImageOverlay>,
    ) -> crate::Result<BasinLayer> {
        let Some(geojson) = geojson else {
            return Ok(BasinLayer::Picture {
                image: picture()?,
                reason: "basins.geojson was left out of this run (over its size budget), so the \
                         basins are drawn from basins.png and hovering shows no basin ids."
                    .into(),
                sinks,
            });
        };
        if Self::outlines_fit(Some(geojson), max_bytes) {
            let geojson = String::from_utf8(geojson.to_vec())
                .map_err(|_| crate::Error::param("basins.geojson is not UTF-8 text"))?;
            return Ok(BasinLayer::Outlines {
                geojson,
                colours,
                sinks,
            });
        }
        let reason = format!(
            "The basin outlines ({:.1} MB of GeoJSON) are too large to embed (more than {:.0} MB); \
             the basins are drawn from basins.png instead, so hovering shows no basin ids. \
             Open basins.geojson in a GIS for the outlines.",
            geojson.len() as f64 / 1e6,
            max_bytes as f64 / 1e6
        );
        Ok(BasinLayer::Picture {
            image: picture()?,
            reason,
            sinks,
        })
    }

    /// The outlets.
    pub fn sinks(&self) -> &[Sink] {
        match self {
            BasinLayer::Outlines { sinks, .. } | BasinLayer::Picture { sinks, .. } => sinks,
        }
    }
}

/// `#rrggbb` of an RGB colour with channels in 0..=1 (see [`Rgb::from_unit`]).
pub fn hex_colour(rgb: [f64; 3]) -> String {
    Rgb::from_unit(rgb).hex()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viewer::LatLonBounds;

    fn sink() -> Sink {
        Sink {
            id: 1,
            lon: 7.0,
            lat: 46.0,
            elevation_m: Some(372.0),
            area_km2: 2.5,
            ending: "sink".into(),
        }
    }

    #[test]
    fn outlines_over_the_limit_become_the_picture_and_say_why() {
        let geojson = br#"{"type":"FeatureCollection","features":[]}"#;
        let small = BasinLayer::choose(Some(geojson), vec![], vec![sink()], 1000, || {
            panic!("the picture is not needed under the limit")
        })
        .unwrap();
        assert!(matches!(small, BasinLayer::Outlines { .. }));
        let big = BasinLayer::choose(Some(geojson), vec![], vec![sink()], 10, || {
            Ok(ImageOverlay {
                bytes: vec![],
                format: crate::viewer::PictureFormat::Png,
                bounds: LatLonBounds {
                    south: 46.0,
                    west: 7.0,
                    north: 47.0,
                    east: 8.0,
                },
                size_px: (1, 1),
            })
        })
        .unwrap();
        match big {
            BasinLayer::Picture { reason, sinks, .. } => {
                assert!(reason.contains("basins.png"), "{reason}");
                assert_eq!(sinks.len(), 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn colours_are_written_as_hex() {
        assert_eq!(hex_colour([1.0, 0.0, 0.5]), "#ff007f");
    }
}
