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

use super::exchange::{agree, merge_on_root, owns, Alone, Exchange};
use super::flood::ring_index;
use super::walkers::{block_basins, merge_exits, GlobalBasin, LocalBasin};
use super::wire::{Reader, Writer};
use super::{FillSettings, TileSet, TiledFill};
use crate::basins::geotiff::labels_geotiff;
use crate::basins::{Ending, WalkSettings};
use crate::dem::GeoTransform;
use crate::error::{Error, Result};
use crate::export::OutputDir;
use crate::terrain::GradientScheme;

/// Everything that defines a tiled basins run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiledOptions {
    /// The walkers (gd on every cell; momentum and Nesterov with any stride).
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
    /// Sea samples of the mosaic (0 without a sea).
    pub sea_samples: u64,
    /// Rounds of the fill until the block perimeters settled.
    pub fill_rounds: usize,
    /// Block floods of the fill in all.
    pub fill_block_floods: usize,
    /// Wall-clock seconds of the merges (spill graph and exits).
    pub merge_seconds: f64,
    /// Rounds of walker hand-offs between blocks after the first pass
    /// (momentum and Nesterov walkers; 0 for gd, whose local basins are
    /// joined instead).
    pub walk_rounds: usize,
    /// Walkers handed from one block to another, each hand-off counted.
    pub handoffs: u64,
    /// Walkers handed off at least once.
    pub walkers_handed_off: u64,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Peak resident memory of the process, MiB (`VmHWM`; `null` where
    /// the system does not tell).
    pub peak_rss_mib: Option<f64>,
    /// Files written.
    pub outputs: Vec<PathBuf>,
    /// The largest basins (at most 10).
    pub largest: Vec<GlobalBasin>,
    /// What the run left out, and why.
    pub notes: Vec<String>,
}

/// Mosaics of fewer cells than this get `basins.geojson` (the outlines,
/// traced on rank 0 over the labels read back from `tiles/`); larger ones
/// a note saying why not.
pub const GEOJSON_MAX_CELLS: usize = 100_000_000;

/// `basins.geojson` is left out when its text would pass this many bytes
/// (the in-memory `basins`' default `--max-geojson-mb`).
pub const GEOJSON_MAX_BYTES: usize = 100_000_000;

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

/// `sinks.geojson`: every global basin's outlet as a point feature, in
/// WGS84 longitude and latitude (RFC 7946) as the in-memory run writes
/// them: a projected mosaic's (`t` in `crs`) converted, rounded to 7
/// decimals ([`crate::basins::export`]).
fn sinks_geojson(
    basins: &[GlobalBasin],
    t: &GeoTransform,
    crs: &crate::dem::Crs,
) -> Result<serde_json::Value> {
    let xy = crate::basins::export::geojson_xy(t, crs)?;
    let sinks: Vec<serde_json::Value> = basins
        .iter()
        .map(|g| {
            let (x, y) = t.sample_to_xy(g.outlet.0 as f64, g.outlet.1 as f64);
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": xy(x, y)},
                "properties": {
                    "id": g.id,
                    "area_km2": g.area_km2,
                    "ending": g.ending.as_str(),
                    "elevation": g.elevation.is_finite().then_some(g.elevation),
                }
            })
        })
        .collect();
    Ok(serde_json::json!({"type": "FeatureCollection", "features": sinks}))
}

/// Runs the tiled basins computation on `tiles` in this process alone and
/// writes its outputs into `dir` (replacing files downhill wrote there
/// before; others only with `force`). `progress(n)` is told as `n` more
/// block passes finish.
pub fn run(
    tiles: &TileSet,
    options: &TiledOptions,
    dir: &Path,
    force: bool,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<TiledRun> {
    run_with(tiles, options, dir, force, progress, cancel, &Alone)
}

/// [`run`] shared by the ranks of `ex` (see [`super::exchange`]): each rank
/// fills and walks the blocks it owns and writes their GeoTIFFs; rank 0
/// merges the exits and writes `basins.vrt`, `sinks.geojson` and
/// `summary.json`. Every rank returns the run's figures (the global ones,
/// such as `basins` and `peak_rss_mib`, as rank 0 found them).
pub fn run_with(
    tiles: &TileSet,
    options: &TiledOptions,
    dir: &Path,
    force: bool,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    ex: &dyn Exchange,
) -> Result<TiledRun> {
    let began = Instant::now();
    let fill = TiledFill::plan_with(tiles, options.fill, progress, ex)?;
    let blocks = tiles.blocks();
    let mine: Vec<usize> = (0..blocks.len()).filter(|&k| owns(ex, k)).collect();
    let mut handed = HandedOff::default();
    let (mut parked, exit_merge_seconds, basins, my_ids, global_basins) =
        if options.walk.kind.has_momentum() {
            // Momentum walkers: rounds of hand-offs (rounds.rs).
            let w = walk_handed(tiles, &fill, &mine, options, dir, progress, cancel, ex)?;
            handed = HandedOff {
                rounds: w.rounds,
                handoffs: w.handoffs,
                walkers: w.walkers_handed_off,
            };
            let (parked, ids): (Vec<Parked>, Vec<Vec<u32>>) = w
                .blocks
                .into_iter()
                .map(|(file, ids)| {
                    let p = Parked {
                        file,
                        ring: Vec::new(),
                        basins: Vec::new(),
                    };
                    (p, ids)
                })
                .unzip();
            (parked, w.merge_seconds, w.basins, ids, w.global)
        } else {
            let (parked, exits) =
                match park_mine(tiles, &fill, &mine, options, dir, progress, cancel) {
                    Ok(p) => {
                        let e = encode_exits(&mine, &p);
                        (p, Ok(e))
                    }
                    Err(e) => (Vec::new(), Err(e)),
                };
            // Rank 0 merges every block's exits into global ids.
            let mut global_basins = Vec::new();
            let ids = merge_on_root(ex, exits, |parts| {
                let (message, basins) = merge_exit_ids(tiles, &parts)?;
                global_basins = basins;
                Ok(message)
            })?;
            let (seconds, basins, my_ids) = read_my_ids(&ids, tiles, &parked, ex)?;
            (parked, seconds, basins, my_ids, global_basins)
        };
    let written = write_my_tiles(tiles, &mine, &mut parked, &my_ids, dir, force, ex, progress);
    let peak = peak_rss_mib();
    let report = written.map(|paths| rank_report(peak, &paths));
    // Rank 0 writes the mosaic's files once every rank has written its tiles.
    let (rows, cols) = tiles.dim();
    let mut summary = TiledRun {
        tiles: blocks.len(),
        ranks: ex.size(),
        height: rows,
        width: cols,
        basins,
        sea_samples: fill.sea_samples(),
        fill_rounds: fill.rounds,
        fill_block_floods: fill.block_floods,
        merge_seconds: fill.merge_seconds + exit_merge_seconds,
        walk_rounds: handed.rounds,
        handoffs: handed.handoffs,
        walkers_handed_off: handed.walkers,
        seconds: 0.0,
        peak_rss_mib: peak,
        outputs: Vec::new(),
        largest: global_basins.iter().take(10).cloned().collect(),
        notes: Vec::new(),
    };
    let mut outputs = Vec::new();
    let finished = merge_on_root(ex, report, |parts| {
        outputs = read_rank_reports(&parts, &mut summary)?;
        outputs.extend(publish_mosaic(
            tiles,
            dir,
            force,
            &global_basins,
            &mut summary,
            began,
        )?);
        let mut w = Writer::new();
        w.f64(summary.peak_rss_mib.unwrap_or(f64::NAN))
            .f64(summary.seconds);
        Ok(w.finish())
    })?;
    let mut r = Reader::new(&finished);
    let peak = r.f64()?;
    summary.peak_rss_mib = peak.is_finite().then_some(peak);
    summary.seconds = r.f64()?;
    summary.outputs = outputs;
    Ok(summary)
}

/// The hand-offs of a momentum run, for the summary.
#[derive(Debug, Default)]
struct HandedOff {
    rounds: usize,
    handoffs: u64,
    walkers: u64,
}

/// The momentum walkers' rounds of hand-offs ([`super::rounds`]); an error
/// on any rank stops every rank.
#[allow(clippy::too_many_arguments)]
fn walk_handed(
    tiles: &TileSet,
    fill: &TiledFill,
    mine: &[usize],
    options: &TiledOptions,
    dir: &Path,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    ex: &dyn Exchange,
) -> Result<super::rounds::Walked> {
    let settings = super::rounds::RoundSettings {
        walk: &options.walk,
        scheme: options.scheme,
        max_block_steps: options.max_block_steps,
    };
    match super::rounds::walk_rounds(tiles, fill, mine, settings, dir, progress, cancel, ex) {
        Ok(w) => {
            agree(ex, Ok(()))?;
            Ok(w)
        }
        Err(e) => {
            // The others learn of it here; this rank keeps its own error.
            let _ = agree(ex, Err(Error::param(e.to_string())));
            Err(e)
        }
    }
}

/// Walkers on this rank's blocks `mine`, one block after another; each
/// block's local labels parked in a temporary file in `dir`.
///
/// One block at a time: the walkers and the gradient are parallel inside a
/// block, and blocks run side by side under rayon's work stealing would
/// keep many blocks' working sets alive at once (2.4 GiB on 36 SRTM3 tiles
/// when they did).
fn park_mine(
    tiles: &TileSet,
    fill: &TiledFill,
    mine: &[usize],
    options: &TiledOptions,
    dir: &Path,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<Parked>> {
    let parked = mine
        .iter()
        .map(|&k| {
            let p = park(tiles, fill, k, options, dir, cancel)?;
            progress(1);
            Ok(p)
        })
        .collect::<Result<Vec<Parked>>>()?;
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Interrupted);
    }
    Ok(parked)
}

/// Rank 0's merge of every rank's exits ([`encode_exits`]) into global
/// ids: the message every rank reads with [`read_my_ids`] (the merge's
/// seconds, the number of basins, each block's ids), and the global basins,
/// largest first.
fn merge_exit_ids(tiles: &TileSet, parts: &[&[u8]]) -> Result<(Vec<u8>, Vec<GlobalBasin>)> {
    let merge_began = Instant::now();
    let blocks = tiles.blocks();
    let (locals, rings) = decode_exits(tiles, parts)?;
    let ring_label = |k: usize, r: usize, c: usize| -> u32 {
        let b = &blocks[k];
        ring_index(b.rows, b.cols, r - b.r0, c - b.c0).map_or(0, |i| rings[k][i])
    };
    let global = merge_exits(tiles, &locals, &ring_label);
    let mut w = Writer::new();
    w.f64(merge_began.elapsed().as_secs_f64())
        .usize(global.basins.len());
    for block_ids in &global.ids {
        w.usize(block_ids.len());
        for &id in block_ids {
            w.u32(id);
        }
    }
    Ok((w.finish(), global.basins))
}

/// From [`merge_exit_ids`]'s message: the merge's seconds, the number of
/// global basins, and the global ids of this rank's blocks' local basins
/// (checked against the basins `parked` has).
fn read_my_ids(
    ids: &[u8],
    tiles: &TileSet,
    parked: &[Parked],
    ex: &dyn Exchange,
) -> Result<(f64, usize, Vec<Vec<u32>>)> {
    let mut r = Reader::new(ids);
    let seconds = r.f64()?;
    let basins = r.index(usize::MAX)?;
    let mut my_ids: Vec<Vec<u32>> = Vec::with_capacity(parked.len());
    for (k, block) in tiles.blocks().iter().enumerate() {
        let count = r.index(ids.len() / 4 + 1)?;
        let v: Vec<u32> = (0..count).map(|_| r.u32()).collect::<Result<_>>()?;
        if owns(ex, k) {
            if parked.get(my_ids.len()).map(|p| p.basins.len()) != Some(count) {
                return Err(Error::param(format!(
                    "rank {}: the merge sent {count} ids for the basins of block {}",
                    ex.rank(),
                    block.name
                )));
            }
            my_ids.push(v);
        }
    }
    Ok((seconds, basins, my_ids))
}

/// What a rank tells rank 0 once its tiles are written: its peak memory
/// (MiB, `NaN` when unknown) and the paths it wrote.
fn rank_report(peak_mib: Option<f64>, paths: &[PathBuf]) -> Vec<u8> {
    let mut w = Writer::new();
    w.f64(peak_mib.unwrap_or(f64::NAN)).usize(paths.len());
    for p in paths {
        w.bytes(p.to_string_lossy().as_bytes());
    }
    w.finish()
}

/// Reads every rank's [`rank_report`]: the highest peak goes into
/// `summary`; returns the paths the ranks wrote.
fn read_rank_reports(parts: &[&[u8]], summary: &mut TiledRun) -> Result<Vec<PathBuf>> {
    let mut peak = None::<f64>;
    let mut outputs = Vec::new();
    for part in parts {
        let mut r = Reader::new(part);
        let p = r.f64()?;
        if p.is_finite() {
            peak = Some(peak.map_or(p, |q: f64| q.max(p)));
        }
        for _ in 0..r.index(part.len() + 1)? {
            outputs.push(PathBuf::from(
                String::from_utf8_lossy(r.bytes()?).into_owned(),
            ));
        }
    }
    summary.peak_rss_mib = peak;
    Ok(outputs)
}

/// Rank 0's files of the whole mosaic: `basins.vrt`, `sinks.geojson`,
/// `basins.geojson` (or a note in `summary` on why it was left out) and
/// `summary.json`, published together; returns their paths.
fn publish_mosaic(
    tiles: &TileSet,
    dir: &Path,
    force: bool,
    global_basins: &[GlobalBasin],
    summary: &mut TiledRun,
    began: Instant,
) -> Result<Vec<PathBuf>> {
    let mut out = OutputDir::create(dir, force)?;
    let mut vrt_sources = String::new();
    for b in tiles.blocks() {
        let name = format!("{}.tif", b.name);
        vrt_sources.push_str(&vrt_source(&name, b.rows, b.cols, b.r0, b.c0));
    }
    out.write("basins.vrt", vrt(tiles, &vrt_sources).as_bytes())?;
    let geojson = sinks_geojson(global_basins, &tiles.transform(), tiles.crs())?;
    out.write("sinks.geojson", geojson.to_string().as_bytes())?;
    match outlines(tiles, dir, global_basins)? {
        Ok(bytes) => {
            out.write("basins.geojson", &bytes)?;
        }
        Err(note) => {
            out.retire("basins.geojson")?;
            summary.notes.push(note);
        }
    }
    // Rank 0's own peak, the outlines included.
    if let Some(p) = peak_rss_mib() {
        summary.peak_rss_mib = Some(summary.peak_rss_mib.map_or(p, |q| q.max(p)));
    }
    summary.seconds = began.elapsed().as_secs_f64();
    let json = serde_json::to_vec_pretty(summary)
        .map_err(|e| Error::param(format!("cannot encode the summary: {e}")))?;
    out.write("summary.json", &json)?;
    out.commit()
}

/// This rank's blocks' exits for the merge: per block its index, its
/// perimeter's local labels and its local basins.
fn encode_exits(mine: &[usize], parked: &[Parked]) -> Vec<u8> {
    let mut w = Writer::new();
    w.usize(mine.len());
    for (&k, p) in mine.iter().zip(parked) {
        w.usize(k).usize(p.ring.len());
        for &l in &p.ring {
            w.u32(l);
        }
        w.usize(p.basins.len());
        for b in &p.basins {
            w.usize(b.outlet.0)
                .usize(b.outlet.1)
                .u8(u8::from(b.exits))
                .u8(b.ending as u8)
                .f64(b.elevation)
                .f64(b.area_km2);
        }
    }
    w.finish()
}

/// Every block's local basins and perimeter labels from the ranks'
/// [`encode_exits`] messages; every block must come exactly once.
#[allow(clippy::type_complexity)]
fn decode_exits(tiles: &TileSet, parts: &[&[u8]]) -> Result<(Vec<Vec<LocalBasin>>, Vec<Vec<u32>>)> {
    let blocks = tiles.blocks();
    let (rows, cols) = tiles.dim();
    let mut locals = vec![Vec::new(); blocks.len()];
    let mut rings = vec![Vec::new(); blocks.len()];
    let mut seen = vec![false; blocks.len()];
    for part in parts {
        let mut r = Reader::new(part);
        for _ in 0..r.index(blocks.len() + 1)? {
            let k = r.index(blocks.len())?;
            if std::mem::replace(&mut seen[k], true) {
                return Err(Error::param(format!(
                    "block {} was walked by two ranks",
                    blocks[k].name
                )));
            }
            let n = super::flood::ring_len(blocks[k].rows, blocks[k].cols);
            if r.index(n + 1)? != n {
                return Err(Error::param(format!(
                    "the perimeter of block {} came with the wrong length",
                    blocks[k].name
                )));
            }
            rings[k] = (0..n).map(|_| r.u32()).collect::<Result<_>>()?;
            let count = r.index(part.len() / 34 + 1)?;
            locals[k] = (0..count)
                .map(|_| {
                    Ok(LocalBasin {
                        outlet: (r.index(rows)?, r.index(cols)?),
                        exits: r.u8()? != 0,
                        ending: Ending::from_u8(r.u8()?),
                        elevation: r.f64()?,
                        area_km2: r.f64()?,
                    })
                })
                .collect::<Result<_>>()?;
        }
    }
    if let Some(k) = seen.iter().position(|&s| !s) {
        return Err(Error::param(format!(
            "block {} was walked by no rank",
            blocks[k].name
        )));
    }
    Ok((locals, rings))
}

/// Writes this rank's blocks' GeoTIFFs into `dir/tiles`: each is encoded
/// into a temporary file first (all ranks at once), then the ranks take
/// turns to publish theirs through one [`OutputDir`] each (the directory's
/// lock and manifest admit one writer at a time). Returns the paths written
/// by this rank.
#[allow(clippy::too_many_arguments)]
fn write_my_tiles(
    tiles: &TileSet,
    mine: &[usize],
    parked: &mut [Parked],
    ids: &[Vec<u32>],
    dir: &Path,
    force: bool,
    ex: &dyn Exchange,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<PathBuf>> {
    let blocks = tiles.blocks();
    let encoded: Result<Vec<(String, std::fs::File)>> = mine
        .iter()
        .zip(parked.iter_mut())
        .zip(ids)
        .map(|((&k, p), ids)| {
            let b = &blocks[k];
            let labels = unpark(p, b.rows, b.cols, ids, dir)?;
            let tif = labels_geotiff(&labels, &block_transform(tiles, k), tiles.crs())?;
            let mut file = tempfile::tempfile().map_err(|e| Error::io(dir, e))?;
            file.write_all(&tif).map_err(|e| Error::io(dir, e))?;
            progress(1);
            Ok((format!("{}.tif", b.name), file))
        })
        .collect();
    let (files, status) = match encoded {
        Ok(f) => (f, Ok(())),
        Err(e) => (Vec::new(), Err(e)),
    };
    agree(ex, status)?;
    let mut files = Some(files);
    let mut written = Vec::new();
    for turn in 0..ex.size() {
        let status = match if turn == ex.rank() {
            files.take()
        } else {
            None
        } {
            Some(files) => publish(&dir.join("tiles"), force, files).map(|w| written = w),
            None => Ok(()),
        };
        agree(ex, status)?;
    }
    Ok(written)
}

/// Publishes the encoded GeoTIFFs `files` into the output directory `tiles`.
fn publish(tiles: &Path, force: bool, files: Vec<(String, std::fs::File)>) -> Result<Vec<PathBuf>> {
    let mut out = OutputDir::create(tiles, force)?;
    for (name, mut file) in files {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| Error::io(tiles.join(&name), e))?;
        out.write(&name, &bytes)?;
    }
    out.commit()
}

/// The bytes of `basins.geojson` for the tiles published in `dir/tiles`
/// (read back, assembled, outlined as the in-memory `basins` does), or the
/// note saying why it is left out (the mosaic has [`GEOJSON_MAX_CELLS`] or
/// more cells, or the text would pass [`GEOJSON_MAX_BYTES`]).
fn outlines(
    tiles: &TileSet,
    dir: &Path,
    global: &[GlobalBasin],
) -> Result<std::result::Result<Vec<u8>, String>> {
    let (rows, cols) = tiles.dim();
    if rows * cols >= GEOJSON_MAX_CELLS {
        return Ok(Err(format!(
            "basins.geojson left out: the mosaic has {} cells, past the {GEOJSON_MAX_CELLS} the \
             outlines are traced for (in memory, on rank 0); outline basins.vrt with a GIS",
            rows * cols
        )));
    }
    let mut labels = Array2::<u32>::zeros((rows, cols));
    for b in tiles.blocks() {
        let path = dir.join("tiles").join(format!("{}.tif", b.name));
        let block = read_labels(&path, b.rows, b.cols)?;
        labels
            .slice_mut(ndarray::s![b.r0..b.r0 + b.rows, b.c0..b.c0 + b.cols])
            .assign(&block);
    }
    let mut starts = vec![0usize; global.len()];
    for &l in labels.iter() {
        if l > 0 && (l as usize) <= starts.len() {
            starts[l as usize - 1] += 1;
        }
    }
    let basins = crate::basins::Basins {
        labels,
        basins: global
            .iter()
            .zip(starts)
            .map(|(g, starts)| crate::basins::Basin {
                id: g.id,
                outlet_row: g.outlet.0,
                outlet_col: g.outlet.1,
                elevation: g.elevation,
                ending: g.ending,
                starts,
                area_km2: g.area_km2,
            })
            .collect(),
    };
    // The outlines need the placement only, not the heights.
    let placement = crate::dem::Dem {
        heights: Array2::zeros((0, 0)),
        transform: tiles.transform(),
        crs: tiles.crs().clone(),
        inputs: Vec::new(),
    };
    Ok(
        crate::basins::export::basins_geojson_within(&basins, &placement, GEOJSON_MAX_BYTES)?
            .ok_or_else(|| {
                format!(
                    "basins.geojson left out: the outlines of {} basins would pass {} MB \
                     (the tiles and sinks.geojson have every basin)",
                    global.len(),
                    GEOJSON_MAX_BYTES / 1_000_000
                )
            }),
    )
}

/// A block's `u32` labels read back from the GeoTIFF `path` it was
/// written to, checked to be `rows` x `cols`.
fn read_labels(path: &Path, rows: usize, cols: usize) -> Result<Array2<u32>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let bad = |m: String| Error::bad_file(path, m);
    let mut d = tiff::decoder::Decoder::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("cannot read it back as a GeoTIFF: {e}")))?;
    let (w, h) = d
        .dimensions()
        .map_err(|e| bad(format!("cannot read its size: {e}")))?;
    if (h as usize, w as usize) != (rows, cols) {
        return Err(bad(format!(
            "holds {h} x {w} cells where this run wrote {rows} x {cols}"
        )));
    }
    match d.read_image() {
        Ok(tiff::decoder::DecodingResult::U32(v)) if v.len() == rows * cols => {
            Array2::from_shape_vec((rows, cols), v).map_err(|e| bad(e.to_string()))
        }
        Ok(_) => Err(bad("does not hold one band of u32 labels".to_string())),
        Err(e) => Err(bad(format!("cannot decode it: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A projected mosaic's outlets are written as WGS84 degrees (its
    /// projection's, rounded to 7 decimals), a geographic mosaic's as its
    /// own degrees rounded: RFC 7946, as the in-memory run writes them.
    #[test]
    fn sinks_are_wgs84_degrees_rounded() {
        use crate::dem::{Crs, GeoTransform, Projection};
        let basin = GlobalBasin {
            id: 1,
            outlet: (10, 20),
            ending: crate::agents::StopReason::Converged,
            elevation: 12.5,
            area_km2: 3.0,
        };
        let utm = crate::dem::projection::projected_crs(32629).unwrap();
        let geographic = GeoTransform {
            origin_x: -7.0 - 1.0 / 2400.0,
            origin_y: 53.0 + 1.0 / 2400.0,
            cell_x: 1.0 / 1200.0,
            cell_y: 1.0 / 1200.0,
        };
        let projected = GeoTransform {
            origin_x: 600_000.0,
            origin_y: 5_830_000.0,
            cell_x: 90.0,
            cell_y: 90.0,
        };
        for (t, crs) in [(geographic, Crs::Geographic), (projected, utm)] {
            let v = sinks_geojson(std::slice::from_ref(&basin), &t, &crs).unwrap();
            let c = &v["features"][0]["geometry"]["coordinates"];
            let (x, y) = t.sample_to_xy(10.0, 20.0);
            let (lon, lat) = Projection::for_crs(&crs).unwrap().to_wgs84(x, y).unwrap();
            let round = |v: f64| (v * 1e7).round() / 1e7;
            assert_eq!(c[0].as_f64(), Some(round(lon)), "{crs:?}");
            assert_eq!(c[1].as_f64(), Some(round(lat)), "{crs:?}");
            assert!(
                (-8.0..-5.0).contains(&lon) && (52.0..54.0).contains(&lat),
                "{lon} {lat}"
            );
        }
    }
}
