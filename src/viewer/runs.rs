//! Pages for the runs downhill makes: tracks (`drop`, `demo`) and basins.

use crate::agents::Track;
use crate::basins::Basins;
use crate::dem::{Dem, Projection};
use crate::error::{Error, Result};
use crate::geo::Bounds;
use crate::render::{hillshade, map_bounds, tint, Extent, HeightRange, MapOptions, ShadeOptions};
use crate::terrain::Terrain;

use super::basins::{hex_colour, BasinLayer, Sink};
use super::overlay::PictureRows;
use super::{HeightGrid, ImageOverlay, Page, Sampling, TrackLayer};
use super::{MAX_HEIGHT_GRID_SIDE, MAX_OVERLAY_SIDE_PX, MAX_PROFILE_POINTS};

/// The credit line for the elevation data of `dem`: its input files and
/// their formats, e.g. "Elevation: N52W007.hgt (SRTM .hgt)".
pub fn attribution(dem: &Dem) -> String {
    let files: Vec<String> = dem
        .inputs
        .iter()
        .map(|i| {
            let name = i.path.file_name().map_or_else(
                || i.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            format!("{name} ({})", i.format)
        })
        .collect();
    let srtm = dem.inputs.iter().any(|i| i.format.contains("SRTM"));
    let mut text = if files.is_empty() {
        "Elevation: the run's grid".to_string()
    } else {
        format!("Elevation: {}", files.join(", "))
    };
    if srtm {
        text.push_str(
            "; SRTM tiles: NASA Shuttle Radar Topography Mission or a product derived from it",
        );
    }
    text
}

/// The tinted, shaded relief of the samples of `dem` inside `bounds_xy`
/// (in the grid's CRS units, outer cell edges),
/// as `map.png` draws it under the tracks, resampled onto the map with its
/// longer side at most `max_side_px`.
pub fn relief(dem: &Dem, bounds_xy: Bounds, max_side_px: u32) -> Result<ImageOverlay> {
    // Copies of `dem` only where the bounds cut into it (a whole grid's
    // relief, as `basins` draws it, copies nothing).
    let window = crate::basins::crop::crop_or_whole(dem, bounds_xy)?;
    // Shade with one more sample on every side, so the window's edges see
    // their real neighbours, then cut it away.
    let t = dem.transform;
    let [w, s, e, n] = bounds_xy.to_array();
    let padded = crate::basins::crop::crop_or_whole(
        dem,
        Bounds::new(w - t.cell_x, s - t.cell_y, e + t.cell_x, n + t.cell_y),
    )?;
    let (dr, dc) = offset_within(&window, &padded);
    let (rows, cols) = (window.rows(), window.cols());
    let (padded_rows, padded_cols) = padded.heights.dim();
    let z = padded.heights.as_slice();
    let (Some(z), true) = (z, dr + rows <= padded_rows && dc + cols <= padded_cols) else {
        return relief_whole(&window, &padded, max_side_px);
    };
    // Each band of rows the resampling reads is shaded and tinted as it
    // is asked for: the whole grid's relief is never held.
    let shader = crate::render::GridShader::new(&padded, &ShadeOptions::default())?;
    let tinter = crate::render::RowTinter::new(HeightRange::of(&window));
    let make = |first: usize, out: &mut [u8]| {
        let mut grey = vec![0u8; padded_cols];
        for (k, o) in out.chunks_exact_mut(cols * 4).enumerate() {
            let r = first + k + dr;
            // The padded row is shaded whole (its edges need their
            // neighbours); only the window's columns are tinted.
            shader.row(r, &mut grey);
            let heights = &z[r * padded_cols + dc..][..cols];
            tinter.row(heights.iter().copied(), &grey[dc..dc + cols], o);
        }
    };
    let picture = PictureRows {
        width: u32::try_from(cols)
            .map_err(|_| Error::param("the grid is too wide for a picture"))?,
        height: u32::try_from(rows)
            .map_err(|_| Error::param("the grid is too high for a picture"))?,
        rows: &make,
    };
    ImageOverlay::from_grid_rows(
        &picture,
        window.bounds(),
        &dem.crs,
        Sampling::Bilinear,
        max_side_px,
    )
}

/// The row and column of `padded` where `window`, a window of the same
/// grid, starts (samples).
fn offset_within(window: &Dem, padded: &Dem) -> (usize, usize) {
    let (w, p) = (&window.transform, &padded.transform);
    (
        ((p.origin_y - w.origin_y) / w.cell_y).round() as usize,
        ((w.origin_x - p.origin_x) / w.cell_x).round() as usize,
    )
}

/// [`relief`] of `window` from its whole shaded, tinted picture, `padded`
/// being `window` grown by a sample on every side where the grid has one.
fn relief_whole(window: &Dem, padded: &Dem, max_side_px: u32) -> Result<ImageOverlay> {
    let shade = hillshade(padded, &ShadeOptions::default())?;
    let colours = tint(padded, &shade, HeightRange::of(window));
    drop(shade);
    let (dr, dc) = offset_within(window, padded);
    let (dc, dr) = (dc as u32, dr as u32);
    let (cols, rows) = (window.cols() as u32, window.rows() as u32);
    let cut = if (dc, dr, cols, rows) == (0, 0, colours.width(), colours.height()) {
        std::borrow::Cow::Borrowed(&colours)
    } else {
        std::borrow::Cow::Owned(image::imageops::crop_imm(&colours, dc, dr, cols, rows).to_image())
    };
    ImageOverlay::from_grid_image(
        &cut,
        window.bounds(),
        &window.crs,
        Sampling::Bilinear,
        max_side_px,
    )
}

/// How far the relief of a tracks page reaches beyond the tracks: their
/// bounding box grown on every side by this fraction of its larger side
/// (`map.png` uses 0.3), so there is terrain to pan over around them.
pub const TRACKS_PAGE_MARGIN: f64 = 1.0;

/// The names of the files `dem` was read from, comma-separated ("the grid"
/// when it has none, e.g. a formula).
pub fn input_names(dem: &Dem) -> String {
    let names: Vec<String> = dem
        .inputs
        .iter()
        .filter_map(|i| i.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if names.is_empty() {
        "the grid".into()
    } else {
        names.join(", ")
    }
}

/// The page of a `drop` or `demo` run from the start called `start_label`:
/// every track, over the relief of the whole grid (`full_extent`) or of
/// the tracks with a margin of [`TRACKS_PAGE_MARGIN`], with the cursor's
/// heights there.
pub fn tracks_page(
    terrain: &Terrain,
    tracks: &[Track],
    full_extent: bool,
    start_label: &str,
) -> Result<Page> {
    let dem = terrain.dem();
    let extent = if full_extent {
        Extent::Full
    } else {
        Extent::Tracks {
            margin: TRACKS_PAGE_MARGIN,
        }
    };
    let options = MapOptions {
        extent,
        ..MapOptions::default()
    };
    let bounds_xy = map_bounds(terrain, tracks, &options)?;
    let mut page = Page::new(format!("{start_label} — {}", input_names(dem)));
    page.attribution = attribution(dem);
    page.relief = Some(relief(dem, bounds_xy, MAX_OVERLAY_SIDE_PX)?);
    page.heights = Some(HeightGrid::of(dem, bounds_xy, MAX_HEIGHT_GRID_SIDE)?);
    for t in tracks {
        page.tracks
            .push(TrackLayer::from_track(t, terrain, MAX_PROFILE_POINTS)?);
    }
    Ok(page)
}

/// Most sinks a `basins` page embeds (the largest basins' first): about
/// 10 MB of the page's JSON at some 95 bytes a sink.
pub const MAX_EMBEDDED_SINKS: usize = 100_000;

/// The colour of every basin, `#rrggbb`, index `id - 1`, as `basins.png` paints them.
pub fn basin_colours(count: usize) -> Vec<String> {
    (1..=count as u32)
        .map(|id| hex_colour(crate::basins::render::basin_colour(id)))
        .collect()
}

/// The outlets of `basins` on `surface` (the grid the walkers descended).
pub fn sinks(basins: &Basins, surface: &Dem) -> Result<Vec<Sink>> {
    let projection = Projection::for_crs(&surface.crs)?;
    basins
        .basins
        .iter()
        .map(|b| {
            let p = surface.sample_position(b.outlet_row as f64, b.outlet_col as f64);
            let (lon, lat) = projection.to_wgs84(p.x, p.y).ok_or_else(|| {
                Error::param(format!(
                    "the outlet of basin {} has no longitude and latitude",
                    b.id
                ))
            })?;
            // 0.1 m in position, 1 m² in area: tens of thousands of sinks stay small.
            let round = |v: f64, k: f64| (v * k).round() / k;
            Ok(Sink {
                id: b.id,
                lon: round(lon, 1e6),
                lat: round(lat, 1e6),
                elevation_m: b.elevation.is_finite().then_some(b.elevation),
                area_km2: round(b.area_km2, 1e6),
                ending: b.ending.as_str().to_string(),
            })
        })
        .collect()
}

/// What a page shows under its layers: the relief of a grid and the
/// heights under the cursor. It depends on the grid alone, not on a run's
/// results, so `basins` makes it beside the walk (while the sea and the
/// fill keep one core busy) rather than after it.
#[derive(Debug, Clone)]
pub struct Backdrop {
    relief: ImageOverlay,
    heights: HeightGrid,
}

impl Backdrop {
    /// The backdrop of `dem` over `bounds` (in the grid's CRS units, outer
    /// cell edges): its [`relief`] and its [`HeightGrid`].
    pub fn of(dem: &Dem, bounds: Bounds) -> Result<Backdrop> {
        Ok(Backdrop {
            relief: relief(dem, bounds, MAX_OVERLAY_SIDE_PX)?,
            heights: HeightGrid::of(dem, bounds, MAX_HEIGHT_GRID_SIDE)?,
        })
    }
}

/// The page of a `basins` run over `dem` (the grid before any fill):
/// `backdrop` (of `dem` over `surface`'s bounds, [`Backdrop::of`]; made
/// here when `None`), the basins of `basins` on `surface`
/// as outlines from `basins_geojson` (the text of `basins.geojson`, `None`
/// when the run left it out) when it is at most `max_geojson_bytes` long
/// ([`BasinLayer::outlines_fit`]), else as `basins_png` (the bytes of
/// `basins.png`, one pixel per cell of `surface`), and the sinks.
///
/// `basins_png` is read only when the outlines do not fit, so a caller
/// may make the page before the picture exists when they do (`None`);
/// a page that needs the picture and is given `None` is an error.
#[allow(clippy::too_many_arguments)]
pub fn basins_page(
    dem: &Dem,
    backdrop: Option<Backdrop>,
    surface: &Dem,
    basins: &Basins,
    basins_geojson: Option<&[u8]>,
    basins_png: Option<&[u8]>,
    max_geojson_bytes: usize,
    title: &str,
) -> Result<Page> {
    let mut page = Page::new(title);
    page.attribution = attribution(dem);
    let bounds = surface.bounds();
    let backdrop = match backdrop {
        Some(backdrop) => backdrop,
        None => Backdrop::of(dem, bounds)?,
    };
    page.relief = Some(backdrop.relief);
    page.heights = Some(backdrop.heights);
    let mut outlets = sinks(basins, surface)?;
    if outlets.len() > MAX_EMBEDDED_SINKS {
        // Ids count from the largest basin, so these are the largest.
        page.notes.push(format!(
            "{} basins: the page holds the sinks of the {MAX_EMBEDDED_SINKS} largest; \
             sinks.geojson has them all.",
            outlets.len()
        ));
        outlets.truncate(MAX_EMBEDDED_SINKS);
    }
    // Colours are for outlines only, and there are only as many outlines
    // as fit in the GeoJSON limit.
    let colours = if BasinLayer::outlines_fit(basins_geojson, max_geojson_bytes) {
        basin_colours(basins.basins.len())
    } else {
        Vec::new()
    };
    let layer = BasinLayer::choose(basins_geojson, colours, outlets, max_geojson_bytes, || {
        let png = basins_png.ok_or_else(|| {
            Error::param("the basins page needs basins.png (the outlines do not fit)")
        })?;
        let picture = image::load_from_memory(png)
            .map_err(|e| Error::param(format!("cannot read back basins.png: {e}")))?
            .to_rgba8();
        ImageOverlay::from_grid_image(
            &picture,
            bounds,
            &surface.crs,
            Sampling::Nearest,
            MAX_OVERLAY_SIDE_PX,
        )
    })?;
    page.basins = Some(layer);
    Ok(page)
}

/// The page of a `peaks` run over `dem`: the relief of the whole grid, the
/// cursor's heights, and `summits` as markers (named by their gazetteer
/// name, or by their rank `#N` when they have none).
pub fn summits_page(dem: &Dem, summits: &[crate::peaks::Summit], title: &str) -> Result<Page> {
    let mut page = Page::new(title);
    page.attribution = attribution(dem);
    let bounds = dem.bounds();
    page.relief = Some(relief(dem, bounds, MAX_OVERLAY_SIDE_PX)?);
    page.heights = Some(HeightGrid::of(dem, bounds, MAX_HEIGHT_GRID_SIDE)?);
    page.summits = summits
        .iter()
        .map(|s| super::Summit {
            name: s.name.clone().unwrap_or_else(|| format!("#{}", s.rank)),
            lon: s.summit.lon,
            lat: s.summit.lat,
            elevation_m: s.summit.elevation_m,
            prominence_m: Some(s.prominence_m),
        })
        .collect();
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basins::crop::crop_or_whole;

    /// The relief made band by band is, byte for byte, the relief made from
    /// the whole shaded and tinted picture: over a whole tile with voids,
    /// over windows inside it (their edges shaded with their real
    /// neighbours) and over one reaching its edge, and with the picture
    /// shrunk to a smaller side than the grid's.
    #[test]
    fn the_relief_made_by_rows_is_the_relief_made_whole() {
        let dem = crate::dem::open(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/N43E007.hgt")
                .as_path(),
            &crate::dem::LoadOptions::default(),
        )
        .unwrap();
        assert!(dem.heights.iter().any(|z| z.is_nan()), "the tile has voids");
        let t = dem.transform;
        let cell = (t.cell_x, t.cell_y);
        let windows = [
            dem.bounds(),
            Bounds::new(7.2, 43.6, 7.45, 43.9),
            Bounds::new(7.0, 43.0, 7.31, 43.2),
            Bounds::new(7.6, 43.7, 8.0, 44.0),
        ];
        for (k, bounds) in windows.into_iter().enumerate() {
            for side in [MAX_OVERLAY_SIDE_PX, 300] {
                let by_rows = relief(&dem, bounds, side).unwrap();
                let window = crop_or_whole(&dem, bounds).unwrap();
                let [w, s, e, n] = bounds.to_array();
                let padded = crop_or_whole(
                    &dem,
                    Bounds::new(w - cell.0, s - cell.1, e + cell.0, n + cell.1),
                )
                .unwrap();
                let whole = relief_whole(&window, &padded, side).unwrap();
                assert_eq!(by_rows.size_px, whole.size_px, "window {k}, side {side}");
                assert_eq!(by_rows.bounds, whole.bounds, "window {k}, side {side}");
                let pixels =
                    |o: &ImageOverlay| image::load_from_memory(&o.bytes).unwrap().to_rgba8();
                assert!(
                    pixels(&by_rows) == pixels(&whole),
                    "window {k}, side {side}: the pictures differ"
                );
            }
        }
    }
}
