//! The whole tiled basins run: fill, walkers, merge, and the outputs.
//!
//! Outputs, all through [`crate::export::OutputDir`] (the block GeoTIFFs
//! in `DIR/tiles`, published before the files of `DIR`):
//!
//! - `tiles/<block>.tif`: global basin ids (`u32`, 0 = none), deflate
//!   GeoTIFF, one per block;
//! - `basins.vrt`: a GDAL VRT mosaic of them;
//! - `sinks.geojson`: every global outlet with its basin's total area;
//! - `summary.json`: the figures of [`TiledRun`].

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ndarray::Array2;
use serde::Serialize;

use super::flood::ring_index;
use super::walkers::{block_basins, merge_exits, GlobalBasin, LocalBasin};
use super::{FillSettings, TileSet, TiledFill};
use crate::basins::geotiff::labels_geotiff;
use crate::basins::WalkSettings;
use crate::dem::GeoTransform;
use crate::error::{Error, Result};
use crate::export::OutputDir;
use crate::terrain::GradientScheme;

/// Everything that defines a tiled basins run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiledOptions {
    /// The walkers (gd only, stride 1).
    pub walk: WalkSettings,
    /// The fill.
    pub fill: FillSettings,
    /// The gradient stencil.
    pub scheme: GradientScheme,
    /// Work budget per block, steps.
    pub max_block_steps: Option<u64>,
}

/// What a tiled run did, as `summary.json` tells it.
#[derive(Debug, Clone, Serialize)]
pub struct TiledRun {
    /// Blocks (tiles) processed.
    pub tiles: usize,
    /// Processes that shared them (1 without MPI).
    pub ranks: usize,
    /// Rows and columns of the mosaic.
    pub height: usize,
    /// Columns of the mosaic.
    pub width: usize,
    /// Global basins.
    pub basins: usize,
    /// Rounds of the fill until the block perimeters settled.
    pub fill_rounds: usize,
    /// Block floods of the fill in all.
    pub fill_block_floods: usize,
    /// Wall-clock seconds of the merges (spill graph and exits).
    pub merge_seconds: f64,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Peak resident memory of the process, MiB (`VmHWM`; `null` where
    /// the system does not tell).
    pub peak_rss_mib: Option<f64>,
    /// Files written.
    pub outputs: Vec<PathBuf>,
    /// The largest basins (at most 10).
    pub largest: Vec<GlobalBasin>,
}

/// Peak resident memory of this process, MiB, from `/proc/self/status`.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The placement of block `k`'s samples.
fn block_transform(tiles: &TileSet, k: usize) -> GeoTransform {
    let t = tiles.transform();
    let b = &tiles.blocks()[k];
    GeoTransform {
        origin_x: t.origin_x + b.c0 as f64 * t.cell_x,
        origin_y: t.origin_y - b.r0 as f64 * t.cell_y,
        ..t
    }
}

/// Runs the tiled basins computation on `tiles` and writes its outputs into
/// `dir` (replacing files downhill wrote there before; others only with
/// `force`). `progress(n)` is told as `n` more block passes finish.
pub fn run(
    tiles: &TileSet,
    options: &TiledOptions,
    dir: &Path,
    force: bool,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<TiledRun> {
    let began = Instant::now();
    let fill = TiledFill::plan(tiles, options.fill, progress)?;
    let blocks = tiles.blocks();
    // Pass: walkers per block; local labels parked in a temporary file.
    // One block at a time: the walkers and the gradient are parallel
    // inside a block, and blocks run side by side under rayon's work
    // stealing would keep many blocks' working sets alive at once (2.4 GiB
    // on 36 SRTM3 tiles when they did).
    struct Parked {
        file: std::fs::File,
        ring: Vec<u32>,
        basins: Vec<LocalBasin>,
    }
    let parked: Vec<Parked> = (0..blocks.len())
        .map(|k| {
            let local = block_basins(
                tiles,
                &fill,
                k,
                &options.walk,
                options.scheme,
                cancel,
                options.max_block_steps,
            )?;
            let (rows, cols) = local.labels.dim();
            let mut ring = vec![0u32; super::flood::ring_len(rows, cols)];
            for ((r, c), &v) in local.labels.indexed_iter() {
                if let Some(i) = ring_index(rows, cols, r, c) {
                    ring[i] = v;
                }
            }
            let mut file = tempfile::tempfile().map_err(|e| Error::io(dir, e))?;
            let bytes: Vec<u8> = local.labels.iter().flat_map(|v| v.to_le_bytes()).collect();
            file.write_all(&bytes).map_err(|e| Error::io(dir, e))?;
            progress(1);
            Ok(Parked {
                file,
                ring,
                basins: local.basins,
            })
        })
        .collect::<Result<_>>()?;
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Interrupted);
    }
    let merge_began = Instant::now();
    let locals: Vec<Vec<LocalBasin>> = parked.iter().map(|p| p.basins.clone()).collect();
    let ring_label = |k: usize, r: usize, c: usize| -> u32 {
        let b = &blocks[k];
        ring_index(b.rows, b.cols, r - b.r0, c - b.c0).map_or(0, |i| parked[k].ring[i])
    };
    let global = merge_exits(tiles, &locals, &ring_label);
    let merge_seconds = fill.merge_seconds + merge_began.elapsed().as_secs_f64();
    // Outputs.
    let mut tile_dir = OutputDir::create(&dir.join("tiles"), force)?;
    let mut out = OutputDir::create(dir, force)?;
    let mut vrt_sources = String::new();
    for (k, mut p) in parked.into_iter().enumerate() {
        let b = &blocks[k];
        let mut bytes = Vec::with_capacity(b.rows * b.cols * 4);
        p.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| p.file.read_to_end(&mut bytes))
            .map_err(|e| Error::io(dir, e))?;
        let ids = &global.ids[k];
        let labels = Array2::from_shape_fn((b.rows, b.cols), |(r, c)| {
            let i = (r * b.cols + c) * 4;
            let v = u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
            if v == 0 {
                0
            } else {
                ids[v as usize - 1]
            }
        });
        let name = format!("{}.tif", b.name);
        let tif = labels_geotiff(&labels, &block_transform(tiles, k), tiles.crs())?;
        tile_dir.write(&name, &tif)?;
        vrt_sources.push_str(&format!(
            "    <SimpleSource>\n      <SourceFilename relativeToVRT=\"1\">tiles/{name}</SourceFilename>\n      \
             <SourceBand>1</SourceBand>\n      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{w}\" ySize=\"{h}\"/>\n      \
             <DstRect xOff=\"{x}\" yOff=\"{y}\" xSize=\"{w}\" ySize=\"{h}\"/>\n    </SimpleSource>\n",
            w = b.cols,
            h = b.rows,
            x = b.c0,
            y = b.r0,
        ));
        progress(1);
    }
    let (rows, cols) = tiles.dim();
    let t = tiles.transform();
    let srs = match tiles.crs() {
        crate::dem::Crs::Geographic => "EPSG:4326".to_string(),
        crate::dem::Crs::Projected { epsg, .. } => format!("EPSG:{epsg}"),
        crate::dem::Crs::Planar => String::new(),
    };
    let vrt = format!(
        "<VRTDataset rasterXSize=\"{cols}\" rasterYSize=\"{rows}\">\n  <SRS>{srs}</SRS>\n  \
         <GeoTransform>{:e}, {:e}, 0, {:e}, 0, {:e}</GeoTransform>\n  \
         <VRTRasterBand dataType=\"UInt32\" band=\"1\">\n    <NoDataValue>0</NoDataValue>\n{vrt_sources}  \
         </VRTRasterBand>\n</VRTDataset>\n",
        t.origin_x, t.cell_x, t.origin_y, -t.cell_y
    );
    out.write("basins.vrt", vrt.as_bytes())?;
    let sinks: Vec<serde_json::Value> = global
        .basins
        .iter()
        .map(|g| {
            let (x, y) = t.sample_to_xy(g.outlet.0 as f64, g.outlet.1 as f64);
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {
                    "id": g.id,
                    "area_km2": g.area_km2,
                    "ending": g.ending.as_str(),
                    "elevation": g.elevation.is_finite().then_some(g.elevation),
                }
            })
        })
        .collect();
    let geojson = serde_json::json!({"type": "FeatureCollection", "features": sinks});
    out.write("sinks.geojson", geojson.to_string().as_bytes())?;
    let mut summary = TiledRun {
        tiles: blocks.len(),
        ranks: 1,
        height: rows,
        width: cols,
        basins: global.basins.len(),
        fill_rounds: fill.rounds,
        fill_block_floods: fill.block_floods,
        merge_seconds,
        seconds: began.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
        outputs: Vec::new(),
        largest: global.basins.iter().take(10).cloned().collect(),
    };
    let json = serde_json::to_vec_pretty(&summary)
        .map_err(|e| Error::param(format!("cannot encode the summary: {e}")))?;
    out.write("summary.json", &json)?;
    let mut outputs = tile_dir.commit()?;
    outputs.extend(out.commit()?);
    summary.outputs = outputs;
    Ok(summary)
}
