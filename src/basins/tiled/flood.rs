//! Priority-Flood on one block with its one-cell halo.
//!
//! Two floods run on a block:
//!
//! - [`label_flood`] (Barnes 2016, first pass): a plain fill (no ε) from
//!   the block's perimeter and from its true outlets. Every perimeter
//!   sample starts a label of its own; the true outlets inside carry the
//!   label of the sea, 0. Where two labels meet, the lower of their meeting
//!   heights is a *spill* edge of the global graph; perimeter samples add
//!   edges to the halo samples they touch (labels of the neighbouring
//!   blocks) and, if they are true outlets, to the sea.
//! - [`exact_flood`]: the Priority-Flood+ε of [`crate::basins::fill`] run on
//!   the block alone, its halo samples being fixed seeds at given heights.
//!   When those heights are the final heights of the whole mosaic's fill,
//!   the block comes out exactly as in the whole mosaic (see
//!   [`super`] for the argument); the same index order (row-major in the
//!   mosaic) breaks ties between equal heights.
//!
//! Windows are the block grown by one sample on every side, `NaN` where
//! the mosaic has a void or ends.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use ndarray::Array2;

use super::source::Block;
// The in-memory fill's own neighbour order, height order and raise rule:
// the equality of the two fills rests on sharing them.
pub(super) use crate::basins::fill::order_key;
use crate::basins::fill::{raised, NEIGHBOURS};
use crate::terrain::RowMetrics;

/// Number of perimeter samples of a `rows` x `cols` block.
pub fn ring_len(rows: usize, cols: usize) -> usize {
    if rows <= 1 || cols <= 1 {
        rows * cols
    } else {
        2 * cols + 2 * (rows - 2)
    }
}

/// Index of sample (`r`, `c`) of a `rows` x `cols` block among its
/// perimeter samples (north row, south row, west column, east column), or
/// `None` inside.
pub fn ring_index(rows: usize, cols: usize, r: usize, c: usize) -> Option<usize> {
    if rows <= 1 {
        return Some(c);
    }
    if cols <= 1 {
        return Some(r);
    }
    if r == 0 {
        Some(c)
    } else if r + 1 == rows {
        Some(cols + c)
    } else if c == 0 {
        Some(2 * cols + r - 1)
    } else if c + 1 == cols {
        Some(2 * cols + rows - 2 + r - 1)
    } else {
        None
    }
}

/// The perimeter samples of `values` (a block-sized array) in ring order.
pub fn ring_of(values: &Array2<f32>) -> Vec<f32> {
    let (rows, cols) = values.dim();
    let mut ring = vec![f32::NAN; ring_len(rows, cols)];
    for ((r, c), &v) in values.indexed_iter() {
        if let Some(i) = ring_index(rows, cols, r, c) {
            ring[i] = v;
        }
    }
    ring
}

/// What is fixed for every block of one fill.
#[derive(Debug, Clone, Copy)]
pub struct FloodRules<'a> {
    /// Rows and columns of the mosaic.
    pub mosaic: (usize, usize),
    /// Ground size of the cells of every row of the mosaic, metres.
    pub metrics: &'a RowMetrics,
    /// Minimum drainage slope, m/m (0: one ulp per cell).
    pub min_slope: f64,
    /// Samples lower than this many metres are outlets.
    pub sea_below: Option<f64>,
    /// The sea samples of the block flooded (block-sized; see
    /// [`super::sea::SeaPlan::block_sea`]): outlets that keep their heights.
    pub sea: Option<&'a Array2<bool>>,
}

impl FloodRules<'_> {
    /// `true` when window sample (`r`, `c`) (inside the block) is a true
    /// outlet of the mosaic: on its edge, below the sea level, sea, or next
    /// to a void.
    fn is_outlet(&self, block: &Block, z: &Array2<f32>, r: usize, c: usize) -> bool {
        let (gr, gc) = (block.r0 + r - 1, block.c0 + c - 1);
        let (rows, cols) = self.mosaic;
        if gr == 0 || gc == 0 || gr + 1 == rows || gc + 1 == cols {
            return true;
        }
        if self.sea_below.is_some_and(|s| (z[[r, c]] as f64) < s) {
            return true;
        }
        if self
            .sea
            .is_some_and(|s| s.get([r - 1, c - 1]).copied().unwrap_or(false))
        {
            return true;
        }
        NEIGHBOURS
            .iter()
            .any(|&(dr, dc)| z[[(r as isize + dr) as usize, (c as isize + dc) as usize]].is_nan())
    }

    /// The row-major index of window sample (`r`, `c`) in the mosaic.
    fn global_index(&self, block: &Block, r: usize, c: usize) -> u64 {
        let gr = (block.r0 + r) as u64 - 1;
        let gc = (block.c0 + c) as u64 - 1;
        gr * self.mosaic.1 as u64 + gc
    }
}

/// Spill edges between labels: (lower label, higher label) to the lowest
/// height (metres) at which water crosses between them.
pub type SpillEdges = HashMap<(u32, u32), f32>;

fn add_edge(edges: &mut SpillEdges, a: u32, b: u32, height: f32) {
    if a == b {
        return;
    }
    let key = (a.min(b), a.max(b));
    edges
        .entry(key)
        .and_modify(|h| *h = h.min(height))
        .or_insert(height);
}

/// The first pass on one block: `z` is its window (heights with halo),
/// `base` the label before its first perimeter label (perimeter sample `i`
/// has label `base + i + 1`), `halo_label(row, col)` the label of a
/// mosaic sample on the perimeter of another block. Returns the spill
/// edges and, per perimeter sample (ring order), whether it drains clearly:
/// some neighbour is lower by more than [`clear_drop`].
pub fn label_flood(
    block: &Block,
    z: &Array2<f32>,
    rules: &FloodRules,
    base: u32,
    halo_label: &dyn Fn(usize, usize) -> u32,
) -> (SpillEdges, Vec<bool>) {
    let mut drains = vec![false; ring_len(block.rows, block.cols)];
    let (h, w) = (block.rows, block.cols);
    let mut fill = z.clone();
    let mut label = Array2::<u32>::from_elem((h + 2, w + 2), u32::MAX);
    let mut open: BinaryHeap<Reverse<(u32, u64, usize)>> = BinaryHeap::new();
    let mut edges = SpillEdges::new();
    let cols2 = w + 2;
    for r in 1..=h {
        for c in 1..=w {
            let zc = z[[r, c]];
            if zc.is_nan() {
                continue;
            }
            let ring = ring_index(h, w, r - 1, c - 1);
            let outlet = rules.is_outlet(block, z, r, c);
            let l = match ring {
                Some(i) => {
                    if outlet {
                        add_edge(&mut edges, base + i as u32 + 1, 0, zc);
                    }
                    base + i as u32 + 1
                }
                None if outlet => 0,
                None => continue,
            };
            label[[r, c]] = l;
            open.push(Reverse((
                order_key(zc),
                rules.global_index(block, r, c),
                r * cols2 + c,
            )));
            if let Some(i) = ring {
                for &(dr, dc) in &NEIGHBOURS {
                    let (nr, nc) = ((r as isize + dr) as usize, (c as isize + dc) as usize);
                    let inside = (1..=h).contains(&nr) && (1..=w).contains(&nc);
                    let zn = z[[nr, nc]];
                    if (zn as f64) < zc as f64 - clear_drop(zc) {
                        drains[i] = true;
                    }
                    if !inside && !zn.is_nan() {
                        let (gr, gc) = (block.r0 + nr - 1, block.c0 + nc - 1);
                        add_edge(&mut edges, l, halo_label(gr, gc), zc.max(zn));
                    }
                }
            }
        }
    }
    while let Some(Reverse((_, _, i))) = open.pop() {
        let (r, c) = (i / cols2, i % cols2);
        let (fc, lc) = (fill[[r, c]], label[[r, c]]);
        for &(dr, dc) in &NEIGHBOURS {
            let (nr, nc) = ((r as isize + dr) as usize, (c as isize + dc) as usize);
            if !((1..=h).contains(&nr) && (1..=w).contains(&nc)) || z[[nr, nc]].is_nan() {
                continue;
            }
            let ln = label[[nr, nc]];
            if ln != u32::MAX {
                add_edge(&mut edges, lc, ln, fc.max(fill[[nr, nc]]));
                continue;
            }
            label[[nr, nc]] = lc;
            let f = fill[[nr, nc]].max(fc);
            fill[[nr, nc]] = f;
            open.push(Reverse((
                order_key(f),
                rules.global_index(block, nr, nc),
                nr * cols2 + nc,
            )));
        }
    }
    (edges, drains)
}

/// A drop (metres) below a sample of height `z` that the ε raises of a
/// fill with no minimum slope will rarely close: 1 mm plus 1e-3 of `z`
/// (about 8000 ulps of `z`). Only a guess that speeds up the rounds;
/// nothing depends on it for exactness.
pub fn clear_drop(z: f32) -> f64 {
    1e-3 + 1e-3 * (z as f64).abs()
}

/// The exact fill of one block: `z` is its window (heights with halo) and
/// `halo` the same window holding the heights the halo samples are fixed
/// at (only its halo is read). Returns the block's filled heights (metres,
/// `NaN` voids kept).
pub fn exact_flood(
    block: &Block,
    z: &Array2<f32>,
    halo: &Array2<f32>,
    rules: &FloodRules,
) -> Array2<f32> {
    let (h, w) = (block.rows, block.cols);
    let cols2 = w + 2;
    let mut fill = z.clone();
    let mut closed = Array2::<bool>::from_elem((h + 2, w + 2), false);
    let mut open: BinaryHeap<Reverse<(u32, u64, usize)>> = BinaryHeap::new();
    for r in 0..h + 2 {
        for c in 0..w + 2 {
            closed[[r, c]] = true;
            let inside = (1..=h).contains(&r) && (1..=w).contains(&c);
            if z[[r, c]].is_nan() {
                continue;
            }
            let seed = if inside {
                if !rules.is_outlet(block, z, r, c) {
                    closed[[r, c]] = false;
                    continue;
                }
                z[[r, c]]
            } else {
                halo[[r, c]]
            };
            fill[[r, c]] = seed;
            open.push(Reverse((
                order_key(seed),
                rules.global_index(block, r, c),
                r * cols2 + c,
            )));
        }
    }
    while let Some(Reverse((_, _, i))) = open.pop() {
        let (r, c) = (i / cols2, i % cols2);
        let zc = fill[[r, c]];
        for &(dr, dc) in &NEIGHBOURS {
            let (nr, nc) = ((r as isize + dr), (c as isize + dc));
            if nr < 0 || nc < 0 || nr as usize >= h + 2 || nc as usize >= w + 2 {
                continue;
            }
            let (nr, nc) = (nr as usize, nc as usize);
            if closed[[nr, nc]] {
                continue;
            }
            closed[[nr, nc]] = true;
            let grow = block.r0 + nr - 1;
            let ex = rules.metrics.dx[grow] * dc.unsigned_abs() as f64;
            let ny = rules.metrics.dy[grow] * dr.unsigned_abs() as f64;
            let floor = raised(zc, zc as f64 + rules.min_slope * ex.hypot(ny));
            if fill[[nr, nc]] < floor {
                fill[[nr, nc]] = floor;
            }
            open.push(Reverse((
                order_key(fill[[nr, nc]]),
                rules.global_index(block, nr, nc),
                nr * cols2 + nc,
            )));
        }
    }
    fill.slice(ndarray::s![1..=h, 1..=w]).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_indices_cover_the_perimeter_once() {
        for (rows, cols) in [(1, 1), (1, 5), (4, 1), (2, 2), (3, 7), (6, 4)] {
            let mut seen = vec![0; ring_len(rows, cols)];
            let mut count = 0;
            for r in 0..rows {
                for c in 0..cols {
                    let edge = r == 0 || c == 0 || r + 1 == rows || c + 1 == cols;
                    match ring_index(rows, cols, r, c) {
                        Some(i) => {
                            assert!(edge, "{rows}x{cols} ({r},{c})");
                            seen[i] += 1;
                            count += 1;
                        }
                        None => assert!(!edge, "{rows}x{cols} ({r},{c})"),
                    }
                }
            }
            assert_eq!(count, ring_len(rows, cols));
            assert!(seen.iter().all(|&n| n == 1), "{rows}x{cols}: {seen:?}");
        }
    }
}
