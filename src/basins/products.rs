//! The files a basins run writes: encoded side by side, staged in an
//! [`OutputDir`] and renamed into place together.

use std::path::PathBuf;

use super::{export, geotiff, render, BasinRun};
use crate::dem::{Dem, SeaMask};
use crate::error::Result;
use crate::export::{OutputDir, PendingFile};
use crate::viewer;

/// The files every basins run writes, in the order they are staged.
pub const OUTPUTS: [&str; 6] = [
    "basins.tif",
    "basins.png",
    "basins.pgw",
    "basins.bounds.json",
    "sinks.geojson",
    "basins.geojson",
];

/// The name of the basins' outlines, left out when over
/// [`ProductOptions::max_geojson_bytes`].
pub const BASINS_GEOJSON: &str = OUTPUTS[5];

/// How the products of a basins run are written.
#[derive(Debug, Clone, Copy)]
pub struct ProductOptions<'a> {
    /// Walkers started on every `stride`-th row and column (cells, at least 1).
    pub stride: usize,
    /// Write `index.html`, the offline map viewer (only for grids on the Earth).
    pub html: bool,
    /// Leave `basins.geojson` out when its text would pass this many bytes.
    pub max_geojson_bytes: usize,
    /// The viewer page's title.
    pub title: &'a str,
    /// The sea, drawn on the map; must have the grid's size.
    pub sea: Option<&'a SeaMask>,
}

/// Why `basins.geojson` was left out of a run's products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeojsonLeftOut {
    /// How many basins' outlines it would have held.
    pub basins: usize,
    /// The budget its text would have passed, bytes.
    pub max_bytes: usize,
}

/// What [`write()`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The files now in place, in the order they were staged.
    pub outputs: Vec<PathBuf>,
    /// `Some` when `basins.geojson` was over budget and left out (an
    /// earlier run's copy retired).
    pub geojson_left_out: Option<GeojsonLeftOut>,
}

/// The names [`write()`] may write with `html`; check them with
/// [`OutputDir::check_writable`] before the run's long work.
pub fn names(html: bool) -> Vec<&'static str> {
    let mut names = OUTPUTS.to_vec();
    if html {
        names.push(viewer::PAGE_NAME);
    }
    names
}

/// Encodes every product of `run` (computed on `dem`), rasters and vectors
/// side by side, stages them in `out`, retires an earlier `basins.geojson`
/// when this one is over budget, and commits the directory. `backdrop` is
/// the viewer page's backdrop if made already ([`viewer::Backdrop::of`]
/// `dem` over its bounds, e.g. beside the walk); with `options.html` and
/// `None` it is made here.
///
/// Each file is written to its temporary as soon as its bytes are ready
/// ([`OutputDir::prepare_with`]), so that the rasters' files are flushed
/// to disk while the vectors and the page are still being made, and the
/// other way round. The page needs `basins.png` only when the outlines do
/// not fit in it ([`viewer::BasinLayer::outlines_fit`]); otherwise it is
/// made and written as soon as the outlines are ready, while the map is
/// still being drawn.
pub fn write(
    run: &BasinRun,
    dem: &Dem,
    options: &ProductOptions,
    backdrop: Option<viewer::Backdrop>,
    mut out: OutputDir,
) -> Result<Written> {
    use rayon::prelude::*;
    let surface = &run.surface;
    let bounds = surface.bounds();
    // The page of a run, from `png` (basins.png's bytes) when it needs them.
    let page = |backdrop: Option<viewer::Backdrop>,
                polygons: Option<&[u8]>,
                png: Option<&[u8]>|
     -> Result<viewer::Page> {
        viewer::basins_page(
            dem,
            backdrop,
            surface,
            &run.basins,
            polygons,
            png,
            viewer::MAX_EMBEDDED_GEOJSON_BYTES,
            options.title,
        )
    };
    // Whether the page shows the outlines (and then needs no basins.png).
    let outlines_fit = |polygons: &Option<Vec<u8>>| {
        viewer::BasinLayer::outlines_fit(polygons.as_deref(), viewer::MAX_EMBEDDED_GEOJSON_BYTES)
    };
    // Written straight from its pieces: the page is the largest file.
    let write_page = |out: &OutputDir, page: viewer::Page| -> Result<PendingFile> {
        let page = page.prepare()?;
        out.prepare_with(viewer::PAGE_NAME, |w| page.write_to(w))
    };
    // Files written side by side, in the order given.
    let write_all = |out: &OutputDir, files: &[(&str, &[u8])]| -> Result<Vec<PendingFile>> {
        files
            .par_iter()
            .map(|(name, bytes)| out.prepare(name, bytes))
            .collect()
    };
    // Taken by the page wherever it is made.
    let mut backdrop = backdrop;
    let (rasters, vectors) = {
        let (out, backdrop) = (&out, &mut backdrop);
        rayon::join(
            || -> Result<(Vec<PendingFile>, Vec<u8>)> {
                let shade = render::hillshade(surface)?;
                let (tif, map) = rayon::join(
                    || {
                        geotiff::labels_geotiff(
                            &run.basins.labels,
                            &surface.transform,
                            &surface.crs,
                        )
                    },
                    || {
                        render::map(
                            &run.basins.labels,
                            &shade,
                            surface,
                            options.stride.max(1),
                            options.sea,
                            run.basins.basins.len(),
                        )
                    },
                );
                let (tif, map) = (tif?, map?);
                let world = crate::render::world_file(bounds, map.width, map.height);
                let bounds_json = crate::render::bounds_json(bounds, &surface.crs)?;
                let files = write_all(
                    out,
                    &[
                        (OUTPUTS[0], &tif),
                        (OUTPUTS[2], world.as_bytes()),
                        (OUTPUTS[1], &map.png),
                        (OUTPUTS[3], &bounds_json),
                    ],
                )?;
                Ok((files, map.png))
            },
            || -> Result<(Vec<PendingFile>, Option<Vec<u8>>)> {
                let (sinks, polygons) = rayon::join(
                    || export::sinks_geojson(&run.basins, surface),
                    || {
                        export::basins_geojson_within(
                            &run.basins,
                            surface,
                            options.max_geojson_bytes,
                        )
                    },
                );
                let (sinks, polygons) = (sinks?, polygons?);
                let (page_file, files) = rayon::join(
                    || -> Result<Option<PendingFile>> {
                        if !(options.html && outlines_fit(&polygons)) {
                            return Ok(None);
                        }
                        let page = page(backdrop.take(), polygons.as_deref(), None)?;
                        write_page(out, page).map(Some)
                    },
                    || {
                        let mut files = vec![(OUTPUTS[4], sinks.as_slice())];
                        if let Some(bytes) = &polygons {
                            files.push((BASINS_GEOJSON, bytes));
                        }
                        write_all(out, &files)
                    },
                );
                let mut files = files?;
                files.extend(page_file?);
                Ok((files, polygons))
            },
        )
    };
    let (raster_files, png) = rasters?;
    let (vector_files, polygons) = vectors?;
    for file in raster_files.into_iter().chain(vector_files) {
        out.add(file);
    }
    if polygons.is_none() {
        // An earlier run's outlines must not stay beside this run's files.
        out.retire(BASINS_GEOJSON)?;
    }
    // A page that draws the basins from basins.png, once the picture is made.
    if options.html && !outlines_fit(&polygons) {
        let page = page(backdrop, polygons.as_deref(), Some(&png))?;
        let file = write_page(&out, page)?;
        out.add(file);
    }
    let mut outputs = out.commit()?;
    // In the order of `names`, whichever was staged first.
    let order = names(options.html);
    outputs.sort_by_key(|p| {
        order
            .iter()
            .position(|n| p.file_name().is_some_and(|f| f == *n))
            .unwrap_or(order.len())
    });
    Ok(Written {
        outputs,
        geojson_left_out: polygons.is_none().then_some(GeojsonLeftOut {
            basins: run.basins.basins.len(),
            max_bytes: options.max_geojson_bytes,
        }),
    })
}
