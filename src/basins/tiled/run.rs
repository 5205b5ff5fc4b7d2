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

/// One block's walked labels, parked in a temporary file until the merge
/// gives their global ids, with the labels of its perimeter kept at hand.
struct Parked {
    /// The block's local labels, `u32` little-endian, row-major.
    file: std::fs::File,
    /// The local labels of the block's perimeter (see [`ring_index`]).
    ring: Vec<u32>,
    /// The block's local basins.
    basins: Vec<LocalBasin>,
}

/// Walks block `k` and parks its labels in a temporary file (I/O errors
/// named after `dir`).
fn park(
    tiles: &TileSet,
    fill: &TiledFill,
    k: usize,
    options: &TiledOptions,
    dir: &Path,
    cancel: &AtomicBool,
) -> Result<Parked> {
    let local = block_basins(
        tiles,
        fill,
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
    Ok(Parked {
        file,
        ring,
        basins: local.basins,
    })
}

/// The parked labels of a `rows` x `cols` block read back and renumbered
/// with `ids` (the global id of each local basin; 0 stays 0).
fn unpark(
    p: &mut Parked,
    rows: usize,
    cols: usize,
    ids: &[u32],
    dir: &Path,
) -> Result<Array2<u32>> {
    let mut bytes = Vec::with_capacity(rows * cols * 4);
    p.file
        .seek(SeekFrom::Start(0))
        .and_then(|_| p.file.read_to_end(&mut bytes))
        .map_err(|e| Error::io(dir, e))?;
    Ok(Array2::from_shape_fn((rows, cols), |(r, c)| {
        let i = (r * cols + c) * 4;
        let v = u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        if v == 0 {
            0
        } else {
            ids[v as usize - 1]
        }
    }))
}

/// The VRT `SimpleSource` placing the block GeoTIFF `tiles/{name}` of
/// `rows` x `cols` samples at mosaic row `r0`, column `c0`.
fn vrt_source(name: &str, rows: usize, cols: usize, r0: usize, c0: usize) -> String {
    format!(
        "    <SimpleSource>\n      <SourceFilename relativeToVRT=\"1\">tiles/{name}</SourceFilename>\n      \
         <SourceBand>1</SourceBand>\n      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{w}\" ySize=\"{h}\"/>\n      \
         <DstRect xOff=\"{x}\" yOff=\"{y}\" xSize=\"{w}\" ySize=\"{h}\"/>\n    </SimpleSource>\n",
        w = cols,
        h = rows,
        x = c0,
        y = r0,
    )
}

/// `basins.vrt`: the mosaic of the block GeoTIFFs whose `vrt_sources` are given.
fn vrt(tiles: &TileSet, vrt_sources: &str) -> String {
    let (rows, cols) = tiles.dim();
    let t = tiles.transform();
    let srs = match tiles.crs() {
        crate::dem::Crs::Geographic => "EPSG:4326".to_string(),
        crate::dem::Crs::Projected { epsg, .. } => format!("EPSG:{epsg}"),
        crate::dem::Crs::Planar => String::new(),
    };
    format!(
        "<VRTDataset rasterXSize=\"{cols}\" rasterYSize=\"{rows}\">\n  <SRS>{srs}</SRS>\n  \
         <GeoTransform>{:e}, {:e}, 0, {:e}, 0, {:e}</GeoTransform>\n  \
         <VRTRasterBand dataType=\"UInt32\" band=\"1\">\n    <NoDataValue>0</NoDataValue>\n{vrt_sources}  \
         </VRTRasterBand>\n</VRTDataset>\n",
        t.origin_x, t.cell_x, t.origin_y, -t.cell_y
    )
}

/// `sinks.geojson`: every global basin's outlet as a point feature, in the
/// mosaic's coordinates `t`.
fn sinks_geojson(basins: &[GlobalBasin], t: &GeoTransform) -> serde_json::Value {
    let sinks: Vec<serde_json::Value> = basins
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
    serde_json::json!({"type": "FeatureCollection", "features": sinks})
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
    let parked: Vec<Parked> = (0..blocks.len())
        .map(|k| {
            let p = park(tiles, &fill, k, options, dir, cancel)?;
            progress(1);
            Ok(p)
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
        let labels = unpark(&mut p, b.rows, b.cols, &global.ids[k], dir)?;
        let name = format!("{}.tif", b.name);
        let tif = labels_geotiff(&labels, &block_transform(tiles, k), tiles.crs())?;
        tile_dir.write(&name, &tif)?;
        vrt_sources.push_str(&vrt_source(&name, b.rows, b.cols, b.r0, b.c0));
        progress(1);
    }
    out.write("basins.vrt", vrt(tiles, &vrt_sources).as_bytes())?;
    let geojson = sinks_geojson(&global.basins, &tiles.transform());
    out.write("sinks.geojson", geojson.to_string().as_bytes())?;
    let (rows, cols) = tiles.dim();
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
