//! Which cells a basins run starts walkers on, and in what order.
//!
//! Full simulations take their starts in raster order; the gd shortcut
//! takes them by height, lowest first ([`super::shortcut`]). A filled
//! grid's flood visits every non-void cell in exactly that order, so the
//! shortcut's starts are picked out of the flood's order, in place
//! ([`picked_from_order`]), rather than listed and sorted: on an SRTM1
//! grid that spares three arrays of 30-50 MB, which would be new memory.

use ndarray::Array2;
use rayon::prelude::*;

/// Which cells are starts: a bit per cell, row-major, and how many are set.
#[derive(Debug, Clone)]
pub(super) struct StartBits {
    words: Vec<u64>,
    count: usize,
}

impl StartBits {
    /// The cells of a `rows` x `cols` grid on every `stride`-th row and
    /// column (at least 1) for which `is_start(row, col)` holds, found on
    /// every core, 64 cells to a task.
    pub(super) fn of(
        rows: usize,
        cols: usize,
        stride: usize,
        is_start: impl Fn(usize, usize) -> bool + Sync,
    ) -> StartBits {
        let stride = stride.max(1);
        let n = rows * cols;
        let words: Vec<u64> = (0..n.div_ceil(64))
            .into_par_iter()
            .with_min_len(256)
            .map(|w| {
                let first = w * 64;
                let (mut r, mut c) = (first / cols, first % cols);
                let mut bits = 0u64;
                for b in 0..(n - first).min(64) {
                    if r % stride == 0 && c % stride == 0 && is_start(r, c) {
                        bits |= 1 << b;
                    }
                    c += 1;
                    if c == cols {
                        (r, c) = (r + 1, 0);
                    }
                }
                bits
            })
            .collect();
        let count = words.par_iter().map(|w| w.count_ones() as usize).sum();
        StartBits { words, count }
    }

    /// How many cells are starts.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Whether cell `i` (row-major) is a start; `false` past the grid.
    pub(super) fn holds(&self, i: u32) -> bool {
        let i = i as usize;
        self.words
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// The starts in raster order.
    pub(super) fn in_raster_order(&self) -> Vec<u32> {
        let mut starts = Vec::with_capacity(self.count);
        for (w, &bits) in self.words.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                starts.push((w * 64) as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        starts
    }
}

/// Entries of `order` a task of [`picked_from_order`] filters.
const PICK_CHUNK: usize = 1 << 16;

/// The starts of `bits` in the order of `order` (every non-void cell's
/// row-major index, by height key, ties by index, as the flood visits a
/// filled grid): `order` filtered in place, a chunk per task, the kept
/// pieces then moved together. `None` when `order` does not hold as many
/// starts as `bits` counts (it is not this grid's order).
pub(super) fn picked_from_order(mut order: Vec<u32>, bits: &StartBits) -> Option<Vec<u32>> {
    let kept: Vec<usize> = order
        .par_chunks_mut(PICK_CHUNK)
        .map(|chunk| {
            let mut k = 0;
            for j in 0..chunk.len() {
                let i = chunk[j];
                if bits.holds(i) {
                    chunk[k] = i;
                    k += 1;
                }
            }
            k
        })
        .collect();
    let mut len = 0;
    for (chunk, &k) in kept.iter().enumerate() {
        let from = chunk * PICK_CHUNK;
        order.copy_within(from..from + k, len);
        len += k;
    }
    (len == bits.count()).then(|| {
        order.truncate(len);
        order
    })
}

/// `starts` (row-major cell indices of `heights`) sorted by height key,
/// ties by index.
pub(super) fn in_height_order(starts: &[u32], heights: &Array2<f32>) -> Vec<u32> {
    let cols = heights.ncols();
    // Sorted as one u64 per start, height key above the index: the same
    // order as (key, index), without a height lookup per comparison.
    let mut keyed: Vec<u64> = starts
        .par_iter()
        .map(|&i| {
            let z = heights[[i as usize / cols, i as usize % cols]];
            (super::fill::order_key(z) as u64) << 32 | i as u64
        })
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|k| k as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits hold what the predicate says on every strided cell, by a
    /// plain double loop, on a grid whose rows do not fill whole words.
    #[test]
    fn the_bits_are_the_cells_the_predicate_picks() {
        let (rows, cols) = (37, 29);
        let is_start = |r: usize, c: usize| !(r * 7 + c * 3).is_multiple_of(5);
        for stride in [1, 2, 3] {
            let bits = StartBits::of(rows, cols, stride, is_start);
            let mut by_hand = Vec::new();
            for r in (0..rows).step_by(stride) {
                for c in (0..cols).step_by(stride) {
                    if is_start(r, c) {
                        by_hand.push((r * cols + c) as u32);
                    }
                }
            }
            assert_eq!(bits.count(), by_hand.len());
            assert_eq!(bits.in_raster_order(), by_hand);
            for i in 0..(rows * cols) as u32 + 70 {
                assert_eq!(bits.holds(i), by_hand.contains(&i), "cell {i}");
            }
        }
    }

    /// Picked in place, across many chunks, the starts keep the order's
    /// order; an order short of a start is refused.
    #[test]
    fn picking_from_an_order_keeps_its_order() {
        let (rows, cols) = (611, 499);
        let n = rows * cols;
        assert!(n > 4 * PICK_CHUNK);
        let is_start = |r: usize, c: usize| !(r ^ c).is_multiple_of(3);
        let bits = StartBits::of(rows, cols, 1, is_start);
        // A scrambled order of every cell.
        let order: Vec<u32> = (0..n as u64)
            .map(|i| ((i * 7919) % n as u64) as u32)
            .collect();
        let expected: Vec<u32> = order
            .iter()
            .copied()
            .filter(|&i| is_start(i as usize / cols, i as usize % cols))
            .collect();
        assert_eq!(picked_from_order(order.clone(), &bits), Some(expected));
        let first_start = order.iter().position(|&i| bits.holds(i)).unwrap();
        let mut short = order;
        short.remove(first_start);
        assert_eq!(picked_from_order(short, &bits), None);
    }
}
