//! The phases of [`super::TiledFill::plan_with`]: the first pass over the
//! blocks, rank 0's merge of the spill graph, and the rounds that settle
//! the blocks' perimeters. Messages between ranks are flat byte buffers
//! ([`super::wire`]), checked as they are read.

use std::time::Instant;

use rayon::prelude::*;

use super::exchange::{all_gather, owns, Exchange};
use super::flood::{self, ring_index, ring_len, ring_of, FloodRules, SpillEdges};
use super::sea::SeaPlan;
use super::wire::{Reader, Writer};
use super::{halo_heights, merge, read_window, Block, TileSet, MAX_ROUNDS_PER_BLOCK};
use crate::error::{Error, Result};

/// The sea samples of block `k` whose window (block and halo) is `z`.
fn block_sea(
    tiles: &TileSet,
    sea: Option<&SeaPlan>,
    k: usize,
    z: &ndarray::Array2<f32>,
) -> Option<ndarray::Array2<bool>> {
    let b = &tiles.blocks()[k];
    sea.map(|s| s.block_sea(tiles, k, z.slice(ndarray::s![1..=b.rows, 1..=b.cols])))
}

/// Where each block's perimeter labels start in the spill graph (label 0
/// is the outside), and the number of labels in all.
pub(super) fn perimeter_labels(blocks: &[Block]) -> Result<(Vec<u32>, usize)> {
    let mut base = Vec::with_capacity(blocks.len());
    let mut labels = 1usize;
    for b in blocks {
        base.push(labels as u32 - 1);
        labels += ring_len(b.rows, b.cols);
    }
    if labels >= u32::MAX as usize {
        return Err(Error::param(
            "the blocks have more than 4 294 967 294 perimeter samples in all; use larger blocks",
        ));
    }
    Ok((base, labels))
}

/// The first pass over the blocks `mine`: for each, its spill edges, which
/// perimeter samples clearly drain, and the perimeter's heights, as the
/// message rank 0 merges.
pub(super) fn first_pass(
    tiles: &TileSet,
    mine: &[usize],
    rules: &FloodRules,
    sea: Option<&SeaPlan>,
    base: &[u32],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<u8>> {
    let blocks = tiles.blocks();
    let halo_label = |gr: usize, gc: usize| -> u32 {
        let k = tiles.block_of(gr, gc);
        let b = &blocks[k];
        ring_index(b.rows, b.cols, gr - b.r0, gc - b.c0).map_or(0, |i| base[k] + i as u32 + 1)
    };
    let parts = mine
        .par_iter()
        .map(|&k| {
            let b = &blocks[k];
            let z = read_window(tiles, b)?;
            let own = block_sea(tiles, sea, k, &z);
            let rules = FloodRules {
                sea: own.as_ref(),
                ..*rules
            };
            let (edges, drains) = flood::label_flood(b, &z, &rules, base[k], &halo_label);
            let ring_z = ring_of(&z.slice(ndarray::s![1..=b.rows, 1..=b.cols]).to_owned());
            progress(1);
            let mut w = Writer::new();
            w.usize(k).usize(edges.len());
            for ((a, c), h) in edges {
                w.u32(a).u32(c).f32(h);
            }
            w.usize(drains.len());
            for d in drains {
                w.u8(u8::from(d));
            }
            for z in ring_z {
                w.f32(z);
            }
            Ok(w.finish())
        })
        .collect::<Result<Vec<Vec<u8>>>>()?;
    let mut w = Writer::new();
    w.usize(parts.len());
    for p in &parts {
        w.bytes(p);
    }
    Ok(w.finish())
}

/// Each block's perimeter as the first pass saw it: which samples clearly
/// drain, and their heights (metres).
type FirstRing = (Vec<bool>, Vec<f32>);

/// Reads the first-pass messages of every rank into the spill graph and
/// each block's [`FirstRing`].
fn read_first_pass(
    parts: Vec<&[u8]>,
    blocks: &[Block],
) -> Result<(SpillEdges, Vec<Option<FirstRing>>)> {
    let mut edges = SpillEdges::new();
    let mut rings: Vec<Option<FirstRing>> = vec![None; blocks.len()];
    for part in parts {
        let mut r = Reader::new(part);
        for _ in 0..r.index(blocks.len() + 1)? {
            let bytes = r.bytes()?;
            let mut r = Reader::new(bytes);
            let k = r.index(blocks.len())?;
            for _ in 0..r.index(bytes.len() / 12 + 1)? {
                let key = (r.u32()?, r.u32()?);
                let h = r.f32()?;
                edges.entry(key).and_modify(|x| *x = x.min(h)).or_insert(h);
            }
            let n = ring_len(blocks[k].rows, blocks[k].cols);
            let drains = (0..r.index(n + 1)?)
                .map(|_| r.u8().map(|d| d != 0))
                .collect::<Result<_>>()?;
            let ring_z = (0..n).map(|_| r.f32()).collect::<Result<_>>()?;
            rings[k] = Some((drains, ring_z));
        }
    }
    Ok((edges, rings))
}

/// Rank 0's merge of every rank's first pass: the seconds the merge took,
/// the number of spill edges, and the perimeter heights the rounds start
/// from, as the message every rank reads with [`read_start`].
pub(super) fn merge_first_pass(
    parts: Vec<&[u8]>,
    blocks: &[Block],
    base: &[u32],
    labels: usize,
) -> Result<Vec<u8>> {
    let merge_began = Instant::now();
    let (edges, rings) = read_first_pass(parts, blocks)?;
    let level = merge::spill_levels(labels, &edges);
    let mut w = Writer::new();
    w.f64(merge_began.elapsed().as_secs_f64())
        .usize(edges.len());
    // The rounds start from the fill's water level where a perimeter
    // sample is certainly not raised by ε (not under water and clearly
    // draining), from +inf elsewhere; see the module documentation.
    for (k, s) in rings.iter().enumerate() {
        let Some((drains, ring_z)) = s else {
            return Err(Error::param(format!(
                "block {} was flooded by no rank",
                blocks[k].name
            )));
        };
        for (i, &z) in ring_z.iter().enumerate() {
            let w_level = level[base[k] as usize + i + 1];
            let clear = drains.get(i).copied().unwrap_or(false);
            w.f32(if clear && w_level == z {
                w_level
            } else {
                f32::INFINITY
            });
        }
    }
    Ok(w.finish())
}

/// The merge's seconds, the number of spill edges and every block's
/// starting perimeter heights, from [`merge_first_pass`]'s message.
pub(super) fn read_start(start: &[u8], blocks: &[Block]) -> Result<(f64, usize, Vec<Vec<f32>>)> {
    let mut r = Reader::new(start);
    let merge_seconds = r.f64()?;
    let spill_edges = r.index(usize::MAX)?;
    let rings = blocks
        .iter()
        .map(|b| (0..ring_len(b.rows, b.cols)).map(|_| r.f32()).collect())
        .collect::<Result<_>>()?;
    Ok((merge_seconds, spill_edges, rings))
}

/// What the rounds took.
pub(super) struct Rounds {
    /// Rounds until the perimeters settled.
    pub rounds: usize,
    /// Block floods in all the rounds.
    pub block_floods: usize,
    /// Whether the rounds started again from above.
    pub restarted: bool,
}

/// Floods the blocks whose halo changed until nothing changes. Every rank
/// holds every perimeter (`rings`) and applies the same updates.
pub(super) fn settle(
    tiles: &TileSet,
    rules: &FloodRules,
    sea: Option<&SeaPlan>,
    rings: &mut [Vec<f32>],
    ex: &dyn Exchange,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Rounds> {
    let blocks = tiles.blocks();
    let mut dirty = vec![true; blocks.len()];
    let mut done = Rounds {
        rounds: 0,
        block_floods: 0,
        restarted: false,
    };
    let max_rounds = MAX_ROUNDS_PER_BLOCK * blocks.len() + 64;
    while dirty.iter().any(|&d| d) {
        if done.rounds >= max_rounds {
            return Err(Error::invalid(
                "min_slope",
                rules.min_slope,
                format!(
                    "the tiled fill did not settle after {} rounds over {} blocks at \
                     this drainage slope (m/m); fill this mosaic in memory, or with a slope of 0",
                    done.rounds,
                    blocks.len()
                ),
            ));
        }
        done.rounds += 1;
        done.block_floods += dirty.iter().filter(|&&d| d).count();
        let todo: Vec<usize> = (0..blocks.len())
            .filter(|&k| dirty[k] && owns(ex, k))
            .collect();
        let flooded = flood_blocks(tiles, rules, sea, rings, &todo, progress);
        let fresh = read_fresh(all_gather(ex, flooded)?, rings)?;
        let rose = apply_fresh(tiles, rings, &mut dirty, fresh);
        if rose && !done.restarted {
            // A perimeter height rose: a guessed start was below the fill
            // there. Start again from above everywhere (+inf), from where
            // the rounds can only lower heights (min slope 0).
            done.restarted = true;
            rings.iter_mut().flatten().for_each(|v| *v = f32::INFINITY);
            dirty.iter_mut().for_each(|d| *d = true);
        }
    }
    Ok(done)
}

/// Floods the blocks `todo` against the current perimeters; their new
/// perimeters as a message for every rank.
fn flood_blocks(
    tiles: &TileSet,
    rules: &FloodRules,
    sea: Option<&SeaPlan>,
    rings: &[Vec<f32>],
    todo: &[usize],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<u8>> {
    let blocks = tiles.blocks();
    let fresh = todo
        .par_iter()
        .map(|&k| {
            let b = &blocks[k];
            let z = read_window(tiles, b)?;
            let halo = halo_heights(tiles, rings, b);
            let own = block_sea(tiles, sea, k, &z);
            let rules = FloodRules {
                sea: own.as_ref(),
                ..*rules
            };
            let filled = flood::exact_flood(b, &z, &halo, &rules);
            progress(1);
            Ok((k, ring_of(&filled)))
        })
        .collect::<Result<Vec<(usize, Vec<f32>)>>>()?;
    let mut w = Writer::new();
    w.usize(fresh.len());
    for (k, ring) in fresh {
        w.usize(k);
        ring.into_iter().for_each(|v| {
            w.f32(v);
        });
    }
    Ok(w.finish())
}

/// Every rank's new perimeters, in block order.
fn read_fresh(parts: Vec<Vec<u8>>, rings: &[Vec<f32>]) -> Result<Vec<(usize, Vec<f32>)>> {
    let mut fresh: Vec<(usize, Vec<f32>)> = Vec::new();
    for part in parts {
        let mut r = Reader::new(&part);
        for _ in 0..r.index(rings.len() + 1)? {
            let k = r.index(rings.len())?;
            let ring = (0..rings[k].len())
                .map(|_| r.f32())
                .collect::<Result<_>>()?;
            fresh.push((k, ring));
        }
    }
    fresh.sort_by_key(|(k, _)| *k);
    Ok(fresh)
}

/// Takes the new perimeters that changed and marks their neighbours for
/// the next round (and nothing else); `true` if any height rose.
fn apply_fresh(
    tiles: &TileSet,
    rings: &mut [Vec<f32>],
    dirty: &mut [bool],
    fresh: Vec<(usize, Vec<f32>)>,
) -> bool {
    let (grid_rows, grid_cols) = tiles.grid();
    dirty.iter_mut().for_each(|d| *d = false);
    let mut rose = false;
    for (k, ring) in fresh {
        let mut same = true;
        for (new, old) in ring.iter().zip(&rings[k]) {
            if new.to_bits() != old.to_bits() && !(new.is_nan() && old.is_nan()) {
                same = false;
                rose |= new > old;
            }
        }
        if same {
            continue;
        }
        rings[k] = ring;
        let (i, j) = (k / grid_cols, k % grid_cols);
        for ni in i.saturating_sub(1)..=(i + 1).min(grid_rows - 1) {
            for nj in j.saturating_sub(1)..=(j + 1).min(grid_cols - 1) {
                if (ni, nj) != (i, j) {
                    dirty[ni * grid_cols + nj] = true;
                }
            }
        }
    }
    rose
}
