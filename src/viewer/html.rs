//! Assembling the page: Leaflet, the styles, the script and the data, inline.

use std::io::Write;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::basins::BasinLayer;
use super::Page;
use crate::error::{Error, Result};

/// Leaflet 1.9.4 (npm `leaflet`, BSD-2-Clause, `assets/leaflet/LICENSE`).
const LEAFLET_JS: &str = include_str!("../../assets/leaflet/leaflet.js");
/// Leaflet's style sheet; its three image references become data: URIs.
const LEAFLET_CSS: &str = include_str!("../../assets/leaflet/leaflet.css");
const LEAFLET_IMAGES: [(&str, &[u8]); 3] = [
    (
        "images/layers.png",
        include_bytes!("../../assets/leaflet/layers.png"),
    ),
    (
        "images/layers-2x.png",
        include_bytes!("../../assets/leaflet/layers-2x.png"),
    ),
    (
        "images/marker-icon.png",
        include_bytes!("../../assets/leaflet/marker-icon.png"),
    ),
];
/// The viewer's own script and styles.
const VIEWER_JS: &str = include_str!("../../assets/viewer/viewer.js");
const VIEWER_CSS: &str = include_str!("../../assets/viewer/viewer.css");

/// The page's Content-Security-Policy, with `{scripts}` standing for the
/// SHA-256 hashes of its two inline scripts (Leaflet and the viewer).
///
/// - `default-src 'none'`: no fetch, frame, font, worker, media or
///   connection to anywhere, `file:` included;
/// - `script-src` lists only the hashes of the two scripts the page
///   carries, so no other script runs, even one smuggled into a name;
/// - `style-src 'unsafe-inline'`: the inline style sheets (styles cannot
///   fetch anything under this policy);
/// - `img-src data: https://tile.openstreetmap.org`: the embedded pictures,
///   and the OpenStreetMap tiles the basemap switch (off by default) asks
///   for. A `<meta>` policy cannot be loosened after the page has loaded,
///   so this one host is allowed from the start; the page requests it only
///   when the reader turns the basemap on.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src {scripts}; \
     style-src 'unsafe-inline'; img-src data: https://tile.openstreetmap.org; \
     base-uri 'none'; form-action 'none'";

/// Escapes text for HTML element content and attribute values.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A writer that passes JSON on made safe inside a `<script>` element:
/// every `<` becomes the JSON escape `\u003c` (JSON has `<` only inside
/// strings), so neither `</script>` nor `<!--` can end or bend the element.
struct ScriptSafe<'w, W: Write + ?Sized>(&'w mut W);

impl<W: Write + ?Sized> Write for ScriptSafe<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let mut pieces = buf.split(|&b| b == b'<');
        if let Some(first) = pieces.next() {
            self.0.write_all(first)?;
        }
        for piece in pieces {
            self.0.write_all(b"\\u003c")?;
            self.0.write_all(piece)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn csp_hash(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Leaflet's CSS with its images inline.
fn leaflet_css() -> String {
    let mut css = LEAFLET_CSS.to_string();
    for (name, bytes) in LEAFLET_IMAGES {
        let uri = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        css = css.replace(&format!("url({name})"), &format!("url({uri})"));
    }
    css
}

/// Refuses a layer with a coordinate or height that is not a finite number
/// (JSON has no NaN: it would reach the page as `null`).
fn check_finite(page: &Page) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::param(format!(
            "the {what} holds a number that is not finite"
        )))
    };
    for s in &page.summits {
        if ![s.lon, s.lat, s.elevation_m].iter().all(|v| v.is_finite())
            || s.prominence_m.is_some_and(|p| !p.is_finite())
        {
            return bad(&format!("summit {}", s.name));
        }
    }
    for t in &page.tracks {
        let all = t
            .lon
            .iter()
            .chain(&t.lat)
            .chain(&t.distance_m)
            .chain(&t.elevation_m);
        if !all.into_iter().all(|v| v.is_finite()) {
            return bad(&format!("{} track", t.agent));
        }
    }
    if let Some(b) = &page.basins {
        if !b
            .sinks()
            .iter()
            .all(|s| s.lon.is_finite() && s.lat.is_finite())
        {
            return bad("list of sinks");
        }
    }
    Ok(())
}

/// The page's data block, serialised from the page's own fields as they
/// are (no JSON tree is built and copied), the outlines apart.
#[derive(serde::Serialize)]
struct PageData<'p> {
    attribution: &'p str,
    basins: Option<BasinsData<'p>>,
    generator: String,
    heights: Option<HeightsData<'p>>,
    notes: &'p [String],
    relief: Option<PictureData<'p>>,
    summits: &'p [super::Summit],
    title: &'p str,
    tracks: &'p [super::TrackLayer],
}

/// A picture on the map: a `data:` URI over its bounds.
#[derive(serde::Serialize)]
struct PictureData<'p> {
    bounds: &'p super::LatLonBounds,
    height: u32,
    uri: String,
    width: u32,
}

/// The height grid: its own fields, and the heights as base64 of
/// little-endian `i16`.
#[derive(serde::Serialize)]
struct HeightsData<'p> {
    #[serde(flatten)]
    grid: &'p super::HeightGrid,
    data: String,
}

/// The basin layer: the outlines' colours, or the basins' picture.
#[derive(serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum BasinsData<'p> {
    Outlines {
        colours: &'p [String],
        sinks: &'p [super::Sink],
    },
    Picture {
        bounds: &'p super::LatLonBounds,
        reason: &'p str,
        sinks: &'p [super::Sink],
        uri: String,
    },
}

/// The page's data as JSON text (the basin outlines travel separately).
fn page_data(page: &Page) -> Result<String> {
    check_finite(page)?;
    let data = PageData {
        attribution: &page.attribution,
        basins: page.basins.as_ref().map(|b| match b {
            BasinLayer::Outlines { colours, sinks, .. } => BasinsData::Outlines { colours, sinks },
            BasinLayer::Picture {
                image,
                reason,
                sinks,
            } => BasinsData::Picture {
                bounds: &image.bounds,
                reason,
                sinks,
                uri: image.data_uri(),
            },
        }),
        generator: format!("downhill {}", env!("CARGO_PKG_VERSION")),
        heights: page.heights.as_ref().map(|h| HeightsData {
            grid: h,
            data: h.base64(),
        }),
        notes: &page.notes,
        relief: page.relief.as_ref().map(|r| PictureData {
            bounds: &r.bounds,
            height: r.size_px.1,
            uri: r.data_uri(),
            width: r.size_px.0,
        }),
        summits: &page.summits,
        title: &page.title,
        tracks: &page.tracks,
    };
    serde_json::to_string(&data)
        .map_err(|e| Error::param(format!("cannot serialise the page's data: {e}")))
}

/// A page checked and its data gathered, ready to be written out as
/// HTML ([`Page::prepare`](super::Page::prepare)): every error but the
/// writer's own is behind it.
#[derive(Debug)]
pub struct PreparedPage<'p> {
    /// The page's data block, JSON text.
    data: String,
    /// The basin outlines' GeoJSON text, checked to be JSON.
    outlines: Option<&'p str>,
    /// The page's title, escaped for HTML.
    title: String,
}

impl PreparedPage<'_> {
    /// Writes the whole page to `w`, piece by piece: the large blocks of
    /// data (pictures, outlines) go to `w` as they are, never gathered
    /// into one string first.
    pub fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        let csp = CONTENT_SECURITY_POLICY.replace(
            "{scripts}",
            &format!("{} {}", csp_hash(LEAFLET_JS), csp_hash(VIEWER_JS)),
        );
        let title = &self.title;
        let version = env!("CARGO_PKG_VERSION");
        write!(
            w,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"generator\" content=\"downhill {version}\">\n<title>{title}</title>\n\
             <style>\n{}\n</style>\n<style>\n{VIEWER_CSS}\n</style>\n</head>\n<body>\n\
             <header><h1>{title}</h1><span class=\"tagline\">downhill map viewer · offline, one file</span></header>\n",
            leaflet_css()
        )?;
        w.write_all(b"<main>\n<div id=\"map\" role=\"application\" aria-label=\"map\"></div>\n")?;
        w.write_all(b"<section id=\"profile-panel\" aria-label=\"elevation profile\"><div id=\"profile\"></div></section>\n")?;
        w.write_all(b"<section id=\"notes\"></section>\n</main>\n")?;
        w.write_all(b"<noscript><p class=\"noscript\">This page needs JavaScript to draw the map.</p></noscript>\n")?;
        w.write_all(b"<script type=\"application/json\" id=\"downhill-data\">")?;
        ScriptSafe(w).write_all(self.data.as_bytes())?;
        w.write_all(b"</script>\n")?;
        if let Some(o) = self.outlines {
            w.write_all(b"<script type=\"application/json\" id=\"downhill-basins\">")?;
            ScriptSafe(w).write_all(o.as_bytes())?;
            w.write_all(b"</script>\n")?;
        }
        for piece in ["<script>", LEAFLET_JS, "</script>\n<script>", VIEWER_JS] {
            w.write_all(piece.as_bytes())?;
        }
        w.write_all(b"</script>\n</body>\n</html>\n")
    }
}

/// The page checked and its data gathered.
pub(super) fn prepare(page: &Page) -> Result<PreparedPage<'_>> {
    let data = page_data(page)?;
    let outlines = match &page.basins {
        Some(BasinLayer::Outlines { geojson, .. }) => {
            serde_json::from_str::<serde::de::IgnoredAny>(geojson)
                .map_err(|e| Error::param(format!("the basin outlines are not valid JSON: {e}")))?;
            Some(geojson.trim_end())
        }
        _ => None,
    };
    Ok(PreparedPage {
        data,
        outlines,
        title: escape_html(&page.title),
    })
}

/// The whole page as one string.
pub(super) fn render(page: &Page) -> Result<String> {
    let mut html = Vec::new();
    prepare(page)?
        .write_to(&mut html)
        .map_err(|e| Error::param(format!("cannot serialise the page: {e}")))?;
    String::from_utf8(html).map_err(|_| Error::param("the page is not UTF-8 text"))
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::viewer::Summit;

    #[test]
    fn names_cannot_break_out_of_the_page() {
        let mut page = Page::new("<script>alert(1)</script> & co");
        page.summits.push(Summit {
            name: "</script><script>alert(2)</script>".into(),
            lon: 7.0,
            lat: 46.0,
            elevation_m: 4478.0,
            prominence_m: Some(1042.0),
        });
        let html = page.to_html().unwrap();
        assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>"));
        assert!(!html.contains("alert(2)</script>"));
        // Exactly the two executable scripts and the data block end in </script>.
        assert_eq!(html.matches("</script>").count(), 3);
    }

    #[test]
    fn the_policy_lists_the_hashes_of_the_scripts_the_page_carries() {
        let html = Page::new("x").to_html().unwrap();
        let start = html.find("content=\"default-src").unwrap() + "content=\"".len();
        let csp = &html[start..start + html[start..].find('"').unwrap()];
        // Independent hashing of the bytes between the script tags.
        let mut hashes = Vec::new();
        let mut rest = html.as_str();
        while let Some(i) = rest.find("<script>") {
            let body = &rest[i + 8..];
            let end = body.find("</script>").unwrap();
            let digest = Sha256::digest(&body.as_bytes()[..end]);
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
            rest = &body[end..];
        }
        assert_eq!(hashes.len(), 2);
        for h in hashes {
            assert!(csp.contains(&format!("'sha256-{h}'")), "{csp}");
        }
        assert!(csp.starts_with("default-src 'none';"));
        assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'unsafe-inline'"));
        assert!(
            !html.contains("url(images/"),
            "Leaflet's images must be inline"
        );
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        let mut page = Page::new("x");
        page.summits.push(Summit {
            name: "nowhere".into(),
            lon: f64::NAN,
            lat: 0.0,
            elevation_m: 0.0,
            prominence_m: None,
        });
        assert!(page.to_html().is_err());
    }

    /// The data block of a page with every layer kind that carries bytes
    /// (a relief, a height grid, the basins as a picture), read back as
    /// JSON: each field where the page script looks for it, the pictures
    /// and heights decoded back to the page's own bytes.
    #[test]
    fn the_data_block_carries_every_layer_as_the_script_reads_it() {
        use crate::viewer::{HeightGrid, ImageOverlay, LatLonBounds, PictureFormat, Sink};
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        let bounds = LatLonBounds {
            south: 52.0,
            west: -7.0,
            north: 53.0,
            east: -6.0,
        };
        let picture = |bytes: &[u8], format| ImageOverlay {
            bytes: bytes.to_vec(),
            format,
            bounds,
            size_px: (3, 2),
        };
        let mut page = Page::new("layers");
        page.relief = Some(picture(b"jpeg bytes", PictureFormat::Jpeg));
        page.heights = Some(HeightGrid {
            west: -7.0,
            north: 53.0,
            step_lon: 0.5,
            step_lat: 0.25,
            cols: 3,
            rows: 2,
            metres: vec![1, -2, 300, i16::MIN, 32767, 0],
        });
        page.basins = Some(BasinLayer::Picture {
            image: picture(b"png bytes", PictureFormat::Png),
            reason: "too many outlines <here>".into(),
            sinks: vec![Sink {
                id: 1,
                lon: -6.5,
                lat: 52.5,
                elevation_m: None,
                area_km2: 12.5,
                ending: "sea".into(),
            }],
        });
        let html = page.to_html().unwrap();
        let start = html.find("id=\"downhill-data\">").unwrap() + "id=\"downhill-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        let relief = &data["relief"];
        assert_eq!(
            relief["uri"].as_str().unwrap()[..23],
            *"data:image/jpeg;base64,"
        );
        assert_eq!(b64(&relief["uri"].as_str().unwrap()[23..]), b"jpeg bytes");
        assert_eq!(
            (relief["width"].clone(), relief["height"].clone()),
            (3.into(), 2.into())
        );
        assert_eq!(relief["bounds"]["west"], -7.0);
        let heights = &data["heights"];
        assert_eq!(
            (heights["cols"].clone(), heights["rows"].clone()),
            (3.into(), 2.into())
        );
        assert_eq!(
            (heights["step_lon"].clone(), heights["step_lat"].clone()),
            (0.5.into(), 0.25.into())
        );
        let bytes = b64(heights["data"].as_str().unwrap());
        let metres: Vec<i16> = bytes
            .chunks(2)
            .map(|p| i16::from_le_bytes([p[0], p[1]]))
            .collect();
        assert_eq!(metres, [1, -2, 300, i16::MIN, 32767, 0]);
        let basins = &data["basins"];
        assert_eq!(basins["kind"], "picture");
        assert_eq!(b64(&basins["uri"].as_str().unwrap()[22..]), b"png bytes");
        assert_eq!(basins["reason"], "too many outlines <here>");
        assert_eq!(basins["bounds"]["north"], 53.0);
        let sink = &basins["sinks"][0];
        assert_eq!(
            (sink["id"].clone(), sink["ending"].clone()),
            (1.into(), "sea".into())
        );
        assert!(sink["elevation_m"].is_null());
        assert_eq!(data["title"], "layers");
        assert!(data["tracks"].as_array().unwrap().is_empty());
    }
}
