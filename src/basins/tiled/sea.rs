//! The sea of a tiled run, found from work on one block at a time.
//!
//! [`crate::dem::SeaMask::detect`] takes for sea the samples at sea level
//! that are 4-connected through other such samples to the raster edge, in
//! regions of at least [`MIN_SEA_SAMPLES`] samples (voids never sea, never
//! connecting). A region can cross many blocks, reach the mosaic's edge in
//! a block far away, and pass the size threshold only summed over blocks,
//! so the decision is global; it is made as Barnes makes the fill's
//! (connected components per block, joined across block edges on rank 0):
//!
//! 1. **Per block** ([`summarize`]): the 4-connected components of its
//!    at-level, non-void samples. Only components touching the block's
//!    perimeter can be sea (the mosaic's edge is made of block
//!    perimeters); for each, its size and whether it touches the mosaic's
//!    edge, and per perimeter sample the component it belongs to.
//! 2. **Rank 0** ([`merge_summaries`]): a union-find over those
//!    components; two are joined where perimeter samples of neighbouring
//!    blocks are 4-neighbours and both at level. A joined region is sea
//!    when its summed size reaches [`MIN_SEA_SAMPLES`] and it touches the
//!    mosaic's edge. Every rank gets, per block, which perimeter samples
//!    are sea.
//! 3. **Per block again**: a block's sea samples are the samples of its
//!    components holding a sea perimeter sample ([`SeaPlan::block_sea`]).
//!    Each rank sends the sea bits of its blocks' *bands* (the samples
//!    within [`BAND`] of the perimeter) to every rank: a block's walkers
//!    see one halo sample beyond the block, and the sea's smoothing reaches
//!    2 more ([`SeaPlan::window_mask`]).
//!
//! Memory: per block one component label per sample while it is worked;
//! kept for every block, the bands (one byte per band sample, about
//! [`BAND`] per perimeter sample) and, on rank 0, one node per component
//! touching a perimeter.

use std::collections::VecDeque;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::exchange::{all_gather, merge_on_root, owns, Exchange};
use super::flood::{ring_index, ring_len};
use super::walkers::Union;
use super::wire::{Reader, Writer};
use super::{Block, TileSet};
use crate::dem::{SeaLevel, SeaMask, MIN_SEA_SAMPLES};
use crate::error::{Error, Result};

/// Depth of the band of a block kept for its neighbours, samples: one halo
/// sample plus the smoothing filter's reach of 2.
pub const BAND: usize = 3;

/// No component: the sample is not at sea level, or is void.
const NONE: u32 = u32::MAX;

/// The sea of a whole mosaic, as every rank holds it.
#[derive(Debug, Clone)]
pub struct SeaPlan {
    level: SeaLevel,
    /// Per block, the sea bits of its band ([`band_index`] order).
    bands: Vec<Vec<bool>>,
    /// Sea samples in the whole mosaic.
    pub samples: u64,
    /// Wall-clock seconds of rank 0's union of the blocks' components.
    pub merge_seconds: f64,
}

/// The 4-connected components of the at-`level`, non-void samples of `z`
/// (metres, `NaN` voids), numbered from 0 in the order a row-major scan
/// first meets them (`NONE` elsewhere), and their sizes (samples).
pub fn components(z: ArrayView2<f32>, level: SeaLevel) -> (Array2<u32>, Vec<u64>) {
    let (rows, cols) = z.dim();
    let at = |r: usize, c: usize| {
        let v = z[[r, c]];
        !v.is_nan() && level.holds(v)
    };
    let mut label = Array2::from_elem((rows, cols), NONE);
    let mut sizes = Vec::new();
    let mut queue = VecDeque::new();
    for r in 0..rows {
        for c in 0..cols {
            if label[[r, c]] != NONE || !at(r, c) {
                continue;
            }
            let id = sizes.len() as u32;
            let mut size = 0u64;
            label[[r, c]] = id;
            queue.push_back((r, c));
            while let Some((r, c)) = queue.pop_front() {
                size += 1;
                let up = r.checked_sub(1).map(|r| (r, c));
                let down = (r + 1 < rows).then_some((r + 1, c));
                let left = c.checked_sub(1).map(|c| (r, c));
                let right = (c + 1 < cols).then_some((r, c + 1));
                for n in [up, down, left, right].into_iter().flatten() {
                    if label[n] == NONE && at(n.0, n.1) {
                        label[n] = id;
                        queue.push_back(n);
                    }
                }
            }
            sizes.push(size);
        }
    }
    (label, sizes)
}

/// The perimeter samples of a `rows` x `cols` block, each once, with its
/// index in ring order ([`ring_index`]).
fn perimeter(rows: usize, cols: usize) -> impl Iterator<Item = (usize, usize, usize)> {
    let cols_ = (0..cols).flat_map(move |c| {
        let last = (rows > 1).then_some((rows - 1, c));
        [Some((0, c)), last].into_iter().flatten()
    });
    let rows_ = (1..rows.saturating_sub(1)).flat_map(move |r| {
        let last = (cols > 1).then_some((r, cols - 1));
        [Some((r, 0)), last].into_iter().flatten()
    });
    cols_
        .chain(rows_)
        .filter_map(move |(r, c)| ring_index(rows, cols, r, c).map(|i| (r, c, i)))
}

/// Index of sample (`r`, `c`) of a `rows` x `cols` block among the samples
/// within `depth` of its perimeter (row-major order), or `None` deeper in.
pub fn band_index(rows: usize, cols: usize, depth: usize, r: usize, c: usize) -> Option<usize> {
    let top = depth.min(rows);
    let bottom = rows.saturating_sub(depth).max(top);
    if r < top {
        return Some(r * cols + c);
    }
    if r >= bottom {
        return Some((top + r - bottom) * cols + c);
    }
    let lw = depth.min(cols);
    let rs = cols.saturating_sub(depth).max(lw);
    let per_row = lw + cols - rs;
    let base = (top + rows - bottom) * cols + (r - top) * per_row;
    if c < lw {
        Some(base + c)
    } else if c >= rs {
        Some(base + lw + c - rs)
    } else {
        None
    }
}

/// Number of samples within `depth` of the perimeter of a `rows` x `cols` block.
pub fn band_len(rows: usize, cols: usize, depth: usize) -> usize {
    let top = depth.min(rows);
    let bottom = rows.saturating_sub(depth).max(top);
    let lw = depth.min(cols);
    let rs = cols.saturating_sub(depth).max(lw);
    (top + rows - bottom) * cols + (bottom - top) * (lw + cols - rs)
}

/// Step 1 on block `k` whose heights (block only, no halo) are `z`: the
/// message rank 0 merges. Its block index, then per perimeter sample its
/// component among those touching the perimeter (`NONE` if not at
/// level), then per such component its size and whether it touches the
/// mosaic's edge.
pub fn summarize(tiles: &TileSet, k: usize, z: ArrayView2<f32>, level: SeaLevel) -> Vec<u8> {
    let b = &tiles.blocks()[k];
    let (rows, cols) = tiles.dim();
    let (label, sizes) = components(z, level);
    let mut renumber = vec![NONE; sizes.len()];
    let mut ring = vec![NONE; ring_len(b.rows, b.cols)];
    let mut found: Vec<(u64, bool)> = Vec::new();
    for (r, c, i) in perimeter(b.rows, b.cols) {
        let l = label[[r, c]];
        if l == NONE {
            continue;
        }
        if renumber[l as usize] == NONE {
            renumber[l as usize] = found.len() as u32;
            found.push((sizes[l as usize], false));
        }
        let id = renumber[l as usize];
        let (gr, gc) = (b.r0 + r, b.c0 + c);
        found[id as usize].1 |= gr == 0 || gc == 0 || gr + 1 == rows || gc + 1 == cols;
        ring[i] = id;
    }
    let mut w = Writer::new();
    w.usize(k).usize(ring.len());
    for id in ring {
        w.u32(id);
    }
    w.usize(found.len());
    for (size, edge) in found {
        w.u64(size).u8(u8::from(edge));
    }
    w.finish()
}

/// One block's [`summarize`] message, read back.
struct Summary {
    ring: Vec<u32>,
    components: Vec<(u64, bool)>,
}

/// Step 2, on rank 0: every rank's [`summarize`] messages (each a list of
/// blocks) into the message every rank reads with `read_ring_sea`: the
/// seconds it took, the number of sea samples, then per block which
/// perimeter samples are sea.
pub fn merge_summaries(parts: Vec<&[u8]>, tiles: &TileSet) -> Result<Vec<u8>> {
    let began = std::time::Instant::now();
    let sums = read_summaries(parts, tiles.blocks())?;
    let (sea, samples) = sea_components(&sums, tiles)?;
    let mut w = Writer::new();
    w.f64(began.elapsed().as_secs_f64()).u64(samples);
    for (s, sea) in sums.iter().zip(&sea) {
        w.usize(s.ring.len());
        for &id in &s.ring {
            w.u8(u8::from(id != NONE && sea[id as usize]));
        }
    }
    Ok(w.finish())
}

/// Every block's [`Summary`] from the ranks' messages, checked as read.
fn read_summaries(parts: Vec<&[u8]>, blocks: &[Block]) -> Result<Vec<Summary>> {
    let mut sums: Vec<Option<Summary>> = (0..blocks.len()).map(|_| None).collect();
    for part in parts {
        let mut r = Reader::new(part);
        for _ in 0..r.index(blocks.len() + 1)? {
            let bytes = r.bytes()?;
            let mut r = Reader::new(bytes);
            let k = r.index(blocks.len())?;
            let n = ring_len(blocks[k].rows, blocks[k].cols);
            if r.index(n + 1)? != n {
                return Err(Error::param(format!(
                    "the sea perimeter of block {} came with the wrong length",
                    blocks[k].name
                )));
            }
            let ring: Vec<u32> = (0..n).map(|_| r.u32()).collect::<Result<_>>()?;
            let m = r.index(n + 1)?;
            let components: Vec<(u64, bool)> = (0..m)
                .map(|_| Ok((r.u64()?, r.u8()? != 0)))
                .collect::<Result<_>>()?;
            if ring.iter().any(|&id| id != NONE && id as usize >= m) {
                return Err(Error::param(format!(
                    "the sea perimeter of block {} names a component it does not have",
                    blocks[k].name
                )));
            }
            sums[k] = Some(Summary { ring, components });
        }
    }
    sums.into_iter()
        .enumerate()
        .map(|(k, s)| {
            s.ok_or_else(|| {
                Error::param(format!(
                    "block {} was searched for the sea by no rank",
                    blocks[k].name
                ))
            })
        })
        .collect()
}

/// The union of the blocks' components (see the module documentation):
/// per block, which of its components are sea; and the number of sea
/// samples in the mosaic.
fn sea_components(sums: &[Summary], tiles: &TileSet) -> Result<(Vec<Vec<bool>>, u64)> {
    let mut offset = Vec::with_capacity(sums.len());
    let mut nodes = 0usize;
    for s in sums {
        offset.push(nodes);
        nodes += s.components.len();
    }
    if nodes >= u32::MAX as usize {
        return Err(Error::param(
            "the blocks' perimeters cross more than 4 294 967 294 regions at sea level; \
             use larger blocks",
        ));
    }
    let node = |k: usize, id: u32| (offset[k] + id as usize) as u32;
    let mut union = Union::new(nodes);
    join_across_edges(sums, tiles, &mut |k, id, k2, id2| {
        union.join(node(k, id), node(k2, id2))
    });
    let mut size = vec![0u64; nodes];
    let mut edge = vec![false; nodes];
    for (k, s) in sums.iter().enumerate() {
        for (j, &(n, e)) in s.components.iter().enumerate() {
            let root = union.find(node(k, j as u32)) as usize;
            size[root] += n;
            edge[root] |= e;
        }
    }
    let is_sea = |root: usize| edge[root] && size[root] >= MIN_SEA_SAMPLES as u64;
    let samples: u64 = (0..nodes)
        .filter(|&root| union.find(root as u32) as usize == root && is_sea(root))
        .map(|root| size[root])
        .sum();
    let sea = sums
        .iter()
        .enumerate()
        .map(|(k, s)| {
            (0..s.components.len())
                .map(|j| is_sea(union.find(node(k, j as u32)) as usize))
                .collect()
        })
        .collect();
    Ok((sea, samples))
}

/// Calls `join(k, id, k2, id2)` for every pair of 4-neighbouring perimeter
/// samples of different blocks that are both at sea level: component `id`
/// of block `k` meets component `id2` of block `k2`.
fn join_across_edges(
    sums: &[Summary],
    tiles: &TileSet,
    join: &mut dyn FnMut(usize, u32, usize, u32),
) {
    let blocks = tiles.blocks();
    let (rows, cols) = tiles.dim();
    for (k, b) in blocks.iter().enumerate() {
        for (r, c, i) in perimeter(b.rows, b.cols) {
            let id = sums[k].ring[i];
            if id == NONE {
                continue;
            }
            let (gr, gc) = (b.r0 + r, b.c0 + c);
            // Down and right: every pair of 4-neighbours once.
            for (nr, nc) in [(gr + 1, gc), (gr, gc + 1)] {
                if nr >= rows || nc >= cols {
                    continue;
                }
                let k2 = tiles.block_of(nr, nc);
                let n = &blocks[k2];
                let i2 = ring_index(n.rows, n.cols, nr - n.r0, nc - n.c0);
                if let Some(id2) = i2.map(|i2| sums[k2].ring[i2]) {
                    if k2 != k && id2 != NONE {
                        join(k, id, k2, id2);
                    }
                }
            }
        }
    }
}

/// [`merge_summaries`]' message: its seconds, the number of sea samples
/// and, per block, which of its perimeter samples are sea.
fn read_ring_sea(bytes: &[u8], tiles: &TileSet) -> Result<(f64, u64, Vec<Vec<bool>>)> {
    let mut r = Reader::new(bytes);
    let seconds = r.f64()?;
    let samples = r.u64()?;
    let rings = tiles
        .blocks()
        .iter()
        .map(|b| {
            let n = ring_len(b.rows, b.cols);
            if r.index(n + 1)? != n {
                return Err(Error::param(format!(
                    "the sea perimeter of block {} came back with the wrong length",
                    b.name
                )));
            }
            (0..n).map(|_| r.u8().map(|v| v != 0)).collect()
        })
        .collect::<Result<_>>()?;
    Ok((seconds, samples, rings))
}

/// The sea samples of a block whose heights are `z` (block only), given
/// which of its perimeter samples are sea (`ring_sea`, ring order): the
/// samples of the components holding one.
fn sea_from_ring(z: ArrayView2<f32>, level: SeaLevel, ring_sea: &[bool]) -> Array2<bool> {
    let (rows, cols) = z.dim();
    let (label, sizes) = components(z, level);
    let mut sea = vec![false; sizes.len()];
    for (r, c, i) in perimeter(rows, cols) {
        let l = label[[r, c]];
        if l != NONE && ring_sea.get(i).copied().unwrap_or(false) {
            sea[l as usize] = true;
        }
    }
    label.mapv(|l| l != NONE && sea[l as usize])
}

/// The heights of block `k` alone (metres, `NaN` voids).
fn read_block(tiles: &TileSet, k: usize) -> Result<Array2<f32>> {
    let b = &tiles.blocks()[k];
    tiles.window(b.r0 as isize, b.c0 as isize, b.rows, b.cols)
}

/// Step 3 on this rank's blocks `mine`: the sea bits of their bands (given
/// which perimeter samples are sea, `rings`), as the message every rank
/// reads with [`read_bands`].
fn band_message(
    tiles: &TileSet,
    mine: &[usize],
    level: SeaLevel,
    rings: &[Vec<bool>],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<u8>> {
    let blocks = tiles.blocks();
    let bands = mine
        .par_iter()
        .map(|&k| {
            let b = &blocks[k];
            let sea = sea_from_ring(read_block(tiles, k)?.view(), level, &rings[k]);
            let mut band = vec![false; band_len(b.rows, b.cols, BAND)];
            for ((r, c), &s) in sea.indexed_iter() {
                if let Some(i) = band_index(b.rows, b.cols, BAND, r, c) {
                    band[i] = s;
                }
            }
            progress(1);
            Ok((k, band))
        })
        .collect::<Result<Vec<(usize, Vec<bool>)>>>()?;
    let mut w = Writer::new();
    w.usize(bands.len());
    for (k, band) in bands {
        w.usize(k).usize(band.len());
        for s in band {
            w.u8(u8::from(s));
        }
    }
    Ok(w.finish())
}

/// Every block's band from every rank's [`band_message`], checked as read.
fn read_bands(parts: Vec<Vec<u8>>, blocks: &[Block]) -> Result<Vec<Vec<bool>>> {
    let mut all: Vec<Option<Vec<bool>>> = vec![None; blocks.len()];
    for part in parts {
        let mut r = Reader::new(&part);
        for _ in 0..r.index(blocks.len() + 1)? {
            let k = r.index(blocks.len())?;
            let n = band_len(blocks[k].rows, blocks[k].cols, BAND);
            if r.index(n + 1)? != n {
                return Err(Error::param(format!(
                    "the sea band of block {} came with the wrong length",
                    blocks[k].name
                )));
            }
            all[k] = Some(
                (0..n)
                    .map(|_| r.u8().map(|v| v != 0))
                    .collect::<Result<_>>()?,
            );
        }
    }
    all.into_iter()
        .enumerate()
        .map(|(k, b)| {
            b.ok_or_else(|| {
                Error::param(format!(
                    "block {} had its sea band sent by no rank",
                    blocks[k].name
                ))
            })
        })
        .collect()
}

impl SeaPlan {
    /// Finds the sea at `level` of the mosaic of `tiles`, shared by the
    /// ranks of `ex` (see the module documentation); `progress(n)` is told
    /// as `n` more block passes finish.
    pub fn plan_with(
        tiles: &TileSet,
        level: SeaLevel,
        progress: &(dyn Fn(usize) + Sync),
        ex: &dyn Exchange,
    ) -> Result<SeaPlan> {
        let blocks = tiles.blocks();
        let mine: Vec<usize> = (0..blocks.len()).filter(|&k| owns(ex, k)).collect();
        let summaries = mine
            .par_iter()
            .map(|&k| {
                let z = read_block(tiles, k)?;
                progress(1);
                Ok(summarize(tiles, k, z.view(), level))
            })
            .collect::<Result<Vec<Vec<u8>>>>()
            .map(|parts| {
                let mut w = Writer::new();
                w.usize(parts.len());
                for p in &parts {
                    w.bytes(p);
                }
                w.finish()
            });
        let merged = merge_on_root(ex, summaries, |parts| merge_summaries(parts, tiles))?;
        let (merge_seconds, samples, rings) = read_ring_sea(&merged, tiles)?;
        drop(merged);
        let bands = band_message(tiles, &mine, level, &rings, progress);
        let bands = read_bands(all_gather(ex, bands)?, blocks)?;
        Ok(SeaPlan {
            level,
            bands,
            samples,
            merge_seconds,
        })
    }

    /// The sea samples of block `k` of `tiles`, whose heights (block only,
    /// metres, `NaN` voids) are `z`: exactly the samples of the block that
    /// [`SeaMask::detect`] takes for sea in the whole mosaic.
    pub fn block_sea(&self, tiles: &TileSet, k: usize, z: ArrayView2<f32>) -> Array2<bool> {
        let b = &tiles.blocks()[k];
        let ring: Vec<bool> = perimeter(b.rows, b.cols).map(|(r, c, i)| (i, r, c)).fold(
            vec![false; ring_len(b.rows, b.cols)],
            |mut ring, (i, r, c)| {
                if let Some(j) = band_index(b.rows, b.cols, BAND, r, c) {
                    ring[i] = self.bands[k][j];
                }
                ring
            },
        );
        sea_from_ring(z, self.level, &ring)
    }

    /// `true` when mosaic sample (`r`, `c`), within [`BAND`] of its block's
    /// perimeter, is sea (`false` deeper in, or outside the mosaic).
    fn band_sea(&self, tiles: &TileSet, r: usize, c: usize) -> bool {
        let (rows, cols) = tiles.dim();
        if r >= rows || c >= cols {
            return false;
        }
        let k = tiles.block_of(r, c);
        let b = &tiles.blocks()[k];
        band_index(b.rows, b.cols, BAND, r - b.r0, c - b.c0)
            .and_then(|i| self.bands[k].get(i).copied())
            .unwrap_or(false)
    }

    /// The sea mask of the `rows` x `cols` window of the mosaic starting at
    /// sample (`r0`, `c0`) that holds block `k` (whose sea samples are
    /// `own`, from [`SeaPlan::block_sea`]) and reaches at most one sample
    /// beyond it: equal to [`SeaMask::detect`]'s mask of the whole mosaic
    /// cut to the window (see [`SeaMask::from_margin`]).
    pub fn window_mask(
        &self,
        tiles: &TileSet,
        k: usize,
        own: &Array2<bool>,
        (r0, c0): (usize, usize),
        (rows, cols): (usize, usize),
    ) -> Option<SeaMask> {
        let (mr, mc) = tiles.dim();
        let b = &tiles.blocks()[k];
        let top = r0.min(2);
        let left = c0.min(2);
        let bottom = mr.saturating_sub(r0 + rows).min(2);
        let right = mc.saturating_sub(c0 + cols).min(2);
        let (gr0, gc0) = (r0 - top, c0 - left);
        let bits = Array2::from_shape_fn((rows + top + bottom, cols + left + right), |(r, c)| {
            let (gr, gc) = (gr0 + r, gc0 + c);
            let inside = (b.r0..b.r0 + b.rows).contains(&gr) && (b.c0..b.c0 + b.cols).contains(&gc);
            if inside {
                own[[gr - b.r0, gc - b.c0]]
            } else {
                self.band_sea(tiles, gr, gc)
            }
        });
        SeaMask::from_margin(&bits, (top, left), (rows, cols))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basins::tiled::exchange::Alone;
    use crate::dem::{Crs, Dem, GeoTransform};

    fn dem(heights: Array2<f32>) -> Dem {
        Dem {
            heights,
            transform: GeoTransform {
                origin_x: 6.0,
                origin_y: 44.0,
                cell_x: 1.0 / 1200.0,
                cell_y: 1.0 / 1200.0,
            },
            crs: Crs::Geographic,
            inputs: Vec::new(),
        }
    }

    #[test]
    fn band_indices_cover_the_band_once() {
        for (rows, cols) in [(1, 1), (1, 7), (5, 1), (2, 3), (6, 6), (7, 9), (12, 5)] {
            for depth in [1, 2, 3] {
                let mut seen = vec![0; band_len(rows, cols, depth)];
                for r in 0..rows {
                    for c in 0..cols {
                        let d = r.min(c).min(rows - 1 - r).min(cols - 1 - c);
                        match band_index(rows, cols, depth, r, c) {
                            Some(i) => {
                                assert!(d < depth, "{rows}x{cols} d{depth} ({r},{c})");
                                seen[i] += 1;
                            }
                            None => assert!(d >= depth, "{rows}x{cols} d{depth} ({r},{c})"),
                        }
                    }
                }
                assert!(seen.iter().all(|&n| n == 1), "{rows}x{cols} d{depth}");
            }
        }
    }

    /// Every block's sea, and every walker window's mask, against
    /// [`SeaMask::detect`] on the whole grid (the independent reference),
    /// for several block sizes.
    fn check_against_detect(heights: Array2<f32>, level: SeaLevel, expect_sea: bool) {
        let whole = SeaMask::detect(&heights, level);
        assert_eq!(whole.is_empty(), !expect_sea);
        let (rows, cols) = heights.dim();
        for block in [3usize, 4, 7, 10, 16] {
            let tiles = TileSet::from_dem(dem(heights.clone()), block).unwrap();
            let plan = SeaPlan::plan_with(&tiles, level, &|_| {}, &Alone).unwrap();
            assert_eq!(plan.samples as usize, whole.samples(), "block {block}");
            for (k, b) in tiles.blocks().iter().enumerate() {
                let z = tiles
                    .window(b.r0 as isize, b.c0 as isize, b.rows, b.cols)
                    .unwrap();
                let own = plan.block_sea(&tiles, k, z.view());
                for ((r, c), &s) in own.indexed_iter() {
                    assert_eq!(
                        s,
                        whole.is_sea_sample(b.r0 + r, b.c0 + c),
                        "block {block}: {} ({r}, {c})",
                        b.name
                    );
                }
                // The walkers' window: the block and its halo, clipped.
                let (top, left) = (usize::from(b.r0 > 0), usize::from(b.c0 > 0));
                let bottom = usize::from(b.r0 + b.rows < rows);
                let right = usize::from(b.c0 + b.cols < cols);
                let (wr0, wc0) = (b.r0 - top, b.c0 - left);
                let (wr, wc) = (b.rows + top + bottom, b.cols + left + right);
                let m = plan
                    .window_mask(&tiles, k, &own, (wr0, wc0), (wr, wc))
                    .unwrap();
                // Quarter-sample positions: exact in both frames, so the
                // interpolation must agree bit for bit.
                for i in 0..=(wr - 1) * 4 {
                    for j in 0..=(wc - 1) * 4 {
                        let (y, x) = (i as f64 / 4.0, j as f64 / 4.0);
                        let (gy, gx) = (y + wr0 as f64, x + wc0 as f64);
                        let want = whole.fraction(gy, gx);
                        assert_eq!(m.fraction(y, x).to_bits(), want.to_bits(), "({gy}, {gx})");
                        assert_eq!(m.contains(y, x), whole.contains(gy, gx));
                    }
                }
            }
        }
    }

    /// A sea of 8 x 13 = 104 samples in the middle of the west edge: no
    /// block of 3, 4, 7 or 10 holds 100 of them, so only the sum over
    /// blocks makes it sea. A 9 x 11 = 99 region beside it stays land.
    #[test]
    fn a_sea_counted_over_blocks_is_sea_and_one_sample_less_is_land() {
        let h = Array2::from_shape_fn((34, 31), |(r, c)| {
            let sea = (10..18).contains(&r) && c < 13;
            let small = (22..31).contains(&r) && c < 11;
            if sea || small {
                0.0f32
            } else {
                3.0 + (r * c % 5) as f32
            }
        });
        check_against_detect(h, SeaLevel::SrtmZero, true);
    }

    /// A 0 m region inside the grid that reaches the grid's edge only
    /// through a long corridor in other blocks (a one-sample-wide channel
    /// that bends), with an island of land, a void in it, a below-level
    /// polder behind a diagonal dyke and an inland 0 m lake.
    #[test]
    fn a_region_reaching_the_edge_through_other_blocks_is_sea() {
        let h = Array2::from_shape_fn((30, 33), |(r, c)| {
            let lagoon = (12..24).contains(&r) && (12..26).contains(&c) && !(r == 17 && c == 18);
            let channel = (r == 12 && c < 12) || (c == 2 && r < 12);
            let lake = (3..7).contains(&r) && (20..30).contains(&c);
            if r == 15 && c == 15 {
                f32::NAN
            } else if lagoon || channel || lake {
                -0.5
            } else if (26..29).contains(&r) && (26..29).contains(&c) {
                -3.0
            } else {
                7.0
            }
        });
        check_against_detect(h.clone(), SeaLevel::AtOrBelow(0.0), true);
        // Cut the channel with a void: then nothing is sea.
        let mut cut = h;
        cut[[12, 6]] = f32::NAN;
        check_against_detect(cut, SeaLevel::AtOrBelow(0.0), false);
    }

    /// The component union on its own: regions that meet only across block
    /// edges (blocks of 3 to 16 samples) are one.
    #[test]
    fn pieces_in_many_blocks_join_into_one_region() {
        // A 0 m comb along the north edge: the teeth are one region only
        // through the spine, which crosses every block edge.
        let h = Array2::from_shape_fn((25, 40), |(r, c)| {
            let spine = r == 1 && c > 0;
            let tooth = c % 4 == 1 && (1..12).contains(&r);
            let edge_link = r == 0 && c == 39;
            if spine || tooth || edge_link {
                0.0f32
            } else {
                2.0
            }
        });
        let whole = SeaMask::detect(&h, SeaLevel::SrtmZero);
        assert!(whole.samples() > 100);
        check_against_detect(h, SeaLevel::SrtmZero, true);
    }
}
