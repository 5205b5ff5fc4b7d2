//! Depression filling by Priority-Flood with a guaranteed drainage gradient.
//!
//! Barnes, Lehman and Mulla (2014), "Priority-Flood: an optimal
//! depression-filling and watershed-labeling algorithm", Computers &
//! Geosciences 62. The flood starts from the outlets (every cell on the
//! raster edge, every cell next to a void, and optionally every cell below
//! a sea level) and visits cells in order of elevation with a priority
//! queue. A cell reached from a lower or equal neighbour `c` that is not at
//! least `ε` above it is raised to `z(c) + ε` and queued at its new height
//! (the paper's Priority-Flood+ε; its FIFO "pit" queue is an optimisation
//! that is only order-preserving when ε is the same for every neighbour,
//! which it is not here, so raised cells go through the priority queue too).
//!
//! # Why ε is a slope here, not one ulp
//!
//! The paper raises each cell by the smallest representable step
//! (`nextafter`). That is enough for D8 routing, which only compares
//! neighbours, but not for a gradient-descent walker: at 100 m one ulp of an
//! `f32` is 7.6 µm, so a filled flat slopes by about 1e-7 m/m and a walker
//! with α = 10 m takes steps of 1 µm, far below any tolerance, and stalls in
//! the middle of the filled lake. So ε is given as a *minimum slope*
//! `s` (m/m): a cell is raised to at least `s` times the ground distance (metres,
//! 1 cell east-west, north-south or diagonal) above the neighbour it drains
//! to, and never by less than one ulp. With `s = 0` the fill is exactly the
//! paper's `nextafter` variant. With `s > 0` every cell off the outlets has a
//! neighbour at least `s` lower per metre of distance, so both D8 and a
//! walker with `α s` above its tolerance drain to an outlet; the price is that
//! valley floors flatter than `s` are tilted up, by at most `s` times their
//! length.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ndarray::Array2;

use super::radix::RadixQueue;
use crate::terrain::RowMetrics;

/// What the fill changed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FillStats {
    /// Cells whose height was raised.
    pub raised_cells: usize,
    /// Largest raise, metres.
    pub max_raise_m: f64,
}

/// The eight neighbours as (row offset, column offset).
pub(crate) const NEIGHBOURS: [(isize, isize); 8] = [
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -1),
    (0, 1),
    (1, -1),
    (1, 0),
    (1, 1),
];

/// The smallest `f32` strictly greater than `z` (for finite `z`).
pub fn next_up(z: f32) -> f32 {
    if z.is_nan() || z == f32::INFINITY {
        return z;
    }
    if z == 0.0 {
        return f32::from_bits(1);
    }
    let bits = z.to_bits();
    if z > 0.0 {
        f32::from_bits(bits + 1)
    } else {
        f32::from_bits(bits - 1)
    }
}

/// The smallest `f32` at least `target` and strictly above `floor`.
pub(crate) fn raised(floor: f32, target: f64) -> f32 {
    let mut v = target as f32;
    if (v as f64) < target {
        v = next_up(v);
    }
    if v <= floor {
        v = next_up(floor);
    }
    v
}

/// A key that orders `f32` heights (no NaN) as unsigned integers.
pub(crate) fn order_key(z: f32) -> u32 {
    let b = z.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// The flood's open set: cells by height key, ties by raster index (the
/// same order either way). A raised or reached cell is queued strictly
/// above the cell it was reached from, so the keys are monotone and a
/// [`RadixQueue`] of `key << 32 | index` serves; grids of more than 2^32
/// cells use a binary heap of the pair.
enum OpenSet {
    Radix(Box<RadixQueue>),
    Heap(BinaryHeap<Reverse<(u32, u64)>>),
}

impl OpenSet {
    fn for_cells(n: usize) -> Self {
        if n as u64 <= 1 << 32 {
            OpenSet::Radix(Box::new(RadixQueue::new()))
        } else {
            OpenSet::Heap(BinaryHeap::new())
        }
    }

    #[inline]
    fn push(&mut self, key: u32, index: u64) {
        match self {
            OpenSet::Radix(q) => q.push((key as u64) << 32 | index),
            OpenSet::Heap(h) => h.push(Reverse((key, index))),
        }
    }

    /// A cell likely popped `ahead` pops after the next one (a hint).
    #[inline]
    fn peek_ahead(&self, ahead: usize) -> Option<usize> {
        match self {
            OpenSet::Radix(q) => q.peek_ahead(ahead).map(|k| (k & 0xFFFF_FFFF) as usize),
            OpenSet::Heap(_) => None,
        }
    }

    /// The raster index of the lowest cell queued.
    #[inline]
    fn pop(&mut self) -> Option<u64> {
        match self {
            OpenSet::Radix(q) => q.pop().map(|k| k & 0xFFFF_FFFF),
            OpenSet::Heap(h) => h.pop().map(|Reverse((_, i))| i),
        }
    }
}

/// Fills every depression of `heights` in place so that each non-void cell
/// drains to an outlet, each step down by at least `min_slope` (m/m) times
/// the ground distance in metres and by at least one `f32` ulp.
///
/// Outlets are the cells on the raster edge, the cells next to a void
/// (`NaN`, which stays void) and, when `sea_below` is given, every cell lower
/// than `sea_below` metres (those keep their heights). `metrics` gives the
/// ground size of the cells of each row.
pub fn priority_flood(
    heights: &mut Array2<f32>,
    metrics: &RowMetrics,
    min_slope: f64,
    sea_below: Option<f64>,
) -> FillStats {
    priority_flood_to_sea(heights, metrics, min_slope, sea_below, None)
}

/// [`priority_flood`] with the samples of `sea` as outlets too (they keep
/// their heights), so the land drains to the coast rather than across the
/// sea to the raster edge.
pub fn priority_flood_to_sea(
    heights: &mut Array2<f32>,
    metrics: &RowMetrics,
    min_slope: f64,
    sea_below: Option<f64>,
    sea: Option<&crate::dem::SeaMask>,
) -> FillStats {
    flood(heights, metrics, min_slope, sea_below, sea, None)
}

/// [`priority_flood_to_sea`], also giving, when `keep_order` is set, the
/// order the flood visited the cells in: every non-void cell's row-major
/// index, by filled height and ties by index (`order_key`, the order the
/// gd shortcut takes its starts in, so `basins` need not sort them again).
/// `None` for the order when not kept or for a grid of more than 2^32 cells.
pub fn priority_flood_in_order(
    heights: &mut Array2<f32>,
    metrics: &RowMetrics,
    min_slope: f64,
    sea_below: Option<f64>,
    sea: Option<&crate::dem::SeaMask>,
    keep_order: bool,
) -> (FillStats, Option<Vec<u32>>) {
    let (rows, cols) = heights.dim();
    let mut order = (keep_order && rows * cols <= 1 << 32).then(Vec::new);
    let stats = flood(heights, metrics, min_slope, sea_below, sea, order.as_mut());
    (stats, order)
}

/// The flood on `heights`, recording the visiting order in `order` if given.
fn flood(
    heights: &mut Array2<f32>,
    metrics: &RowMetrics,
    min_slope: f64,
    sea_below: Option<f64>,
    sea: Option<&crate::dem::SeaMask>,
    order: Option<&mut Vec<u32>>,
) -> FillStats {
    let (rows, cols) = heights.dim();
    if rows == 0 || cols == 0 {
        return FillStats {
            raised_cells: 0,
            max_raise_m: 0.0,
        };
    }
    let grid = Grid {
        rows,
        cols,
        metrics,
        min_slope,
        sea_below,
        sea,
    };
    // Row-major and flat (a copy only if `heights` is not in standard layout).
    match heights.as_slice_mut() {
        Some(flat) => flood_flat(flat, &grid, order),
        None => {
            let mut flat: Vec<f32> = heights.iter().copied().collect();
            let stats = flood_flat(&mut flat, &grid, order);
            for (h, z) in heights.iter_mut().zip(flat) {
                *h = z;
            }
            stats
        }
    }
}

/// How many pops ahead the flood prefetches the neighbourhood of the
/// cell it will pop then (the flood front jumps about the grid, so each
/// popped cell's rows miss the caches otherwise).
const FLOOD_PREFETCH_AHEAD: usize = 3;

/// The grid and settings of one flood.
struct Grid<'g> {
    rows: usize,
    cols: usize,
    metrics: &'g RowMetrics,
    min_slope: f64,
    sea_below: Option<f64>,
    sea: Option<&'g crate::dem::SeaMask>,
}

/// The flood on the row-major heights `flat` of `grid` (at least 1 x 1),
/// pushing each cell's index onto `order` as it leaves the queue.
fn flood_flat(flat: &mut [f32], grid: &Grid<'_>, mut order: Option<&mut Vec<u32>>) -> FillStats {
    let Grid {
        rows,
        cols,
        metrics,
        min_slope,
        sea_below,
        sea,
    } = *grid;
    let mut closed = vec![false; rows * cols];
    let mut open = OpenSet::for_cells(rows * cols);
    // The ground distance to each neighbour from a cell of row `r`, metres:
    // `hypot` of the neighbour row's east and north offsets, as the flood
    // has always computed it, once per row and direction.
    let step: Vec<[f64; 8]> = (0..rows)
        .map(|nr| {
            NEIGHBOURS.map(|(dr, dc)| {
                let ex = metrics.dx[nr] * dc.unsigned_abs() as f64;
                let ny = metrics.dy[nr] * dr.unsigned_abs() as f64;
                ex.hypot(ny)
            })
        })
        .collect();
    let has_voids = flat.iter().any(|z| z.is_nan());
    let is_outlet = |h: &[f32], r: usize, c: usize| {
        if r == 0 || c == 0 || r + 1 == rows || c + 1 == cols {
            return true;
        }
        if sea_below.is_some_and(|s| (h[r * cols + c] as f64) < s) {
            return true;
        }
        if sea.is_some_and(|s| s.is_sea_sample(r, c)) {
            return true;
        }
        has_voids
            && NEIGHBOURS.iter().any(|&(dr, dc)| {
                h[(r as isize + dr) as usize * cols + (c as isize + dc) as usize].is_nan()
            })
    };
    for r in 0..rows {
        for c in 0..cols {
            let i = r * cols + c;
            let z = flat[i];
            if z.is_nan() {
                closed[i] = true;
            } else if is_outlet(flat, r, c) {
                closed[i] = true;
                open.push(order_key(z), i as u64);
            }
        }
    }
    let mut stats = FillStats {
        raised_cells: 0,
        max_raise_m: 0.0,
    };
    while let Some(i) = open.pop() {
        if let Some(order) = order.as_mut() {
            // At most 2^32 cells when an order is asked for.
            order.push(i as u32);
        }
        let i = i as usize;
        if let Some(j) = open.peek_ahead(FLOOD_PREFETCH_AHEAD) {
            for n in [j.saturating_sub(cols), j, j + cols] {
                super::prefetch::prefetch(flat, n);
                super::prefetch::prefetch(&closed, n);
            }
        }
        let (r, c) = (i / cols, i % cols);
        let zc = flat[i];
        let inner = r > 0 && c > 0 && r + 1 < rows && c + 1 < cols;
        for (k, &(dr, dc)) in NEIGHBOURS.iter().enumerate() {
            let (nr, nc) = (r as isize + dr, c as isize + dc);
            if !inner && (nr < 0 || nc < 0 || nr as usize >= rows || nc as usize >= cols) {
                continue;
            }
            let (nr, nc) = (nr as usize, nc as usize);
            let n = nr * cols + nc;
            if closed[n] {
                continue;
            }
            closed[n] = true;
            let floor = raised(zc, zc as f64 + min_slope * step[nr][k]);
            let zn = flat[n];
            if zn < floor {
                stats.raised_cells += 1;
                stats.max_raise_m = stats.max_raise_m.max((floor - zn) as f64);
                flat[n] = floor;
            }
            open.push(order_key(flat[n]), n as u64);
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn unit_metrics(rows: usize) -> RowMetrics {
        RowMetrics {
            dx: vec![1.0; rows],
            dy: vec![1.0; rows],
        }
    }

    #[test]
    fn next_up_steps_one_ulp() {
        assert_eq!(next_up(1.0), 1.0 + f32::EPSILON);
        assert_eq!(next_up(-1.0), -1.0 + f32::EPSILON / 2.0);
        assert!(next_up(0.0) > 0.0);
        assert!(next_up(100.0) > 100.0);
    }

    /// A 5 x 5 bowl: rim at 10, floor at 1 and a notch at 5 in the rim.
    /// By hand: with ε = 0 the floor fills to the notch height 5 plus a few
    /// ulps, nothing outside the bowl changes.
    #[test]
    fn fills_a_bowl_to_its_spill_height() {
        let mut h = array![
            [10.0f32, 10.0, 10.0, 10.0, 10.0],
            [10.0, 1.0, 1.0, 1.0, 10.0],
            [10.0, 1.0, 1.0, 1.0, 5.0],
            [10.0, 1.0, 1.0, 1.0, 10.0],
            [10.0, 10.0, 10.0, 10.0, 10.0],
        ];
        let stats = priority_flood(&mut h, &unit_metrics(5), 0.0, None);
        assert_eq!(stats.raised_cells, 9);
        for r in 1..4 {
            for c in 1..4 {
                assert!(
                    h[[r, c]] > 5.0 && h[[r, c]] < 5.0001,
                    "{r},{c}: {}",
                    h[[r, c]]
                );
            }
        }
        assert_eq!(h[[2, 4]], 5.0);
        assert_eq!(h[[0, 0]], 10.0);
        // The cell next to the notch is the lowest of the floor, the far
        // column the highest: drainage runs to the notch.
        assert!(h[[2, 3]] < h[[2, 2]] && h[[2, 2]] < h[[2, 1]]);
    }

    /// With a minimum slope of 0.5 m/m on 1 m cells, the floor becomes a
    /// cone that rises 0.5 m per cell (0.5·√2 on diagonals) from the notch:
    /// hand-computed values below.
    #[test]
    fn minimum_slope_builds_a_draining_cone() {
        let mut h = array![
            [10.0f32, 10.0, 10.0, 10.0, 10.0],
            [10.0, 1.0, 1.0, 1.0, 10.0],
            [10.0, 1.0, 1.0, 1.0, 5.0],
            [10.0, 1.0, 1.0, 1.0, 10.0],
            [10.0, 10.0, 10.0, 10.0, 10.0],
        ];
        priority_flood(&mut h, &unit_metrics(5), 0.5, None);
        let d = 0.5 * 2f64.sqrt();
        let expect = [
            ((2, 3), 5.5),
            ((1, 3), 5.0 + d),
            ((3, 3), 5.0 + d),
            ((2, 2), 6.0),
            ((1, 2), 5.5 + d),
            ((2, 1), 6.5),
            ((1, 1), 6.0 + d),
        ];
        for ((r, c), z) in expect {
            assert!(
                (h[[r, c]] as f64 - z).abs() < 1e-5,
                "{r},{c}: {} vs {z}",
                h[[r, c]]
            );
        }
    }

    /// Cells at +∞ (a formula's grid can hold them) cannot be raised above
    /// themselves, so the flood queues them at the height it pops (the
    /// radix heap's order still holds: they come in raster order). The
    /// fill ends, leaves them at +∞ and fills the rest: by hand, the pit
    /// at 1 is walled in by +∞ but for the edge row at 9 below it, so it
    /// fills to just above 9.
    #[test]
    fn cells_at_infinity_are_filled_around() {
        let inf = f32::INFINITY;
        let mut h = array![
            [9.0f32, 9.0, 9.0, 9.0, 9.0],
            [9.0, inf, inf, inf, 9.0],
            [9.0, inf, inf, inf, 5.0],
            [9.0, inf, 1.0, inf, 9.0],
            [9.0, 9.0, 9.0, 9.0, 9.0],
        ];
        priority_flood(&mut h, &unit_metrics(5), 0.0, None);
        assert_eq!(h[[1, 1]], inf);
        assert_eq!(h[[2, 2]], inf);
        assert!(h[[3, 2]] > 9.0 && h[[3, 2]] < 9.001, "{}", h[[3, 2]]);
        assert_eq!(h[[2, 4]], 5.0);
    }

    #[test]
    fn voids_and_sea_are_outlets() {
        // The pit at (2,2) is next to a void: it drains into it, nothing is raised.
        let mut h = array![
            [9.0f32, 9.0, 9.0, 9.0, 9.0],
            [9.0, 8.0, 8.0, 8.0, 9.0],
            [9.0, 8.0, 1.0, f32::NAN, 9.0],
            [9.0, 8.0, 8.0, 8.0, 9.0],
            [9.0, 9.0, 9.0, 9.0, 9.0],
        ];
        let stats = priority_flood(&mut h, &unit_metrics(5), 0.0, None);
        assert_eq!(stats.raised_cells, 0);
        assert!(h[[2, 3]].is_nan());
        // A sea at 0 inside a rim stays at 0 when it is declared an outlet.
        let mut h = array![
            [9.0f32, 9.0, 9.0, 9.0],
            [9.0, 0.0, 0.0, 9.0],
            [9.0, 0.0, 0.0, 9.0],
            [9.0, 9.0, 9.0, 9.0],
        ];
        priority_flood(&mut h, &unit_metrics(4), 0.1, Some(0.5));
        assert_eq!(h[[1, 1]], 0.0);
        assert_eq!(h[[2, 2]], 0.0);
    }
}
