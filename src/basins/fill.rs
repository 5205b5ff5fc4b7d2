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
use rayon::prelude::*;

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
    let spec = FloodSpec {
        metrics,
        min_slope,
        sea_below,
        sea,
    };
    flood(heights, spec, None, None)
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
    let spec = FloodSpec {
        metrics,
        min_slope,
        sea_below,
        sea,
    };
    in_order(heights, spec, keep_order, None)
}

/// What a flood needs besides the heights: see [`priority_flood_to_sea`].
#[derive(Clone, Copy)]
pub(crate) struct FloodSpec<'s> {
    /// Ground size of the cells of each row, metres.
    pub metrics: &'s RowMetrics,
    /// Minimum drainage slope left, m/m.
    pub min_slope: f64,
    /// Cells below this many metres are outlets.
    pub sea_below: Option<f64>,
    /// Sea samples, outlets too.
    pub sea: Option<&'s crate::dem::SeaMask>,
}

/// [`priority_flood_in_order`] on `heights`, a copy of `original` made by
/// the caller: the flood in bands of rows reads the heights before the
/// fill from `original` rather than copying them again.
pub(crate) fn priority_flood_in_order_of(
    original: &Array2<f32>,
    heights: &mut Array2<f32>,
    spec: FloodSpec<'_>,
    keep_order: bool,
) -> (FillStats, Option<Vec<u32>>) {
    let before = (original.dim() == heights.dim())
        .then(|| original.as_slice())
        .flatten();
    in_order(heights, spec, keep_order, before)
}

/// [`flood`], keeping the order if asked and the grid allows.
fn in_order(
    heights: &mut Array2<f32>,
    spec: FloodSpec<'_>,
    keep_order: bool,
    original: Option<&[f32]>,
) -> (FillStats, Option<Vec<u32>>) {
    let (rows, cols) = heights.dim();
    let mut order = (keep_order && rows * cols <= 1 << 32).then(Vec::new);
    let stats = flood(heights, spec, order.as_mut(), original);
    (stats, order)
}

/// The flood on `heights`, recording the visiting order in `order` if given.
fn flood(
    heights: &mut Array2<f32>,
    spec: FloodSpec<'_>,
    order: Option<&mut Vec<u32>>,
    original: Option<&[f32]>,
) -> FillStats {
    let FloodSpec {
        metrics,
        min_slope,
        sea_below,
        sea,
    } = spec;
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
        Some(flat) if in_bands(&grid) => {
            let threads = rayon::current_num_threads();
            match original {
                Some(original) => flood_in_bands(original, flat, &grid, threads, order),
                None => {
                    let original: Vec<f32> = flat.par_iter().copied().collect();
                    flood_in_bands(&original, flat, &grid, threads, order)
                }
            }
        }
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

/// Whether the flood of `grid` runs in bands of rows ([`flood_in_bands`]):
/// with a minimum slope of 0, on more than one thread, for grids of a
/// million cells and more (up to 2^32, the order's limit).
fn in_bands(grid: &Grid<'_>) -> bool {
    let n = grid.rows * grid.cols;
    grid.min_slope == 0.0
        && rayon::current_num_threads() > 1
        && grid.rows >= 2 * MIN_BAND_ROWS
        && n >= 1 << 20
        && n as u64 <= 1 << 32
}

/// Rows a band of [`flood_in_bands`] holds at least.
const MIN_BAND_ROWS: usize = 16;

/// [`flood_flat`] with a minimum slope of 0, on `bands` bands of rows at
/// once. `original` holds the heights before the fill; `flat` starts equal
/// to it. The result, stats and order are [`flood_flat`]'s, bit for bit:
/// with a minimum slope of 0 a cell's filled height is one ulp above the
/// lowest filled height among its neighbours, or its own if higher (an
/// outlet keeps its own), whichever neighbour the flood reaches it from
/// first, so the fill is the least solution of those equations however it
/// is reached, and the order is the cells sorted by filled height, ties by
/// index.
///
/// Each band is flooded on its own first, as if the rows beyond it were
/// not there, which can only leave cells too high. A second flood, seeded
/// from the rows on either side of each band edge, then lowers what a path
/// across an edge lowers ([`lower_across_edges`]). The order is the bands'
/// orders without the lowered cells, merged with those.
fn flood_in_bands(
    original: &[f32],
    flat: &mut [f32],
    grid: &Grid<'_>,
    bands: usize,
    order: Option<&mut Vec<u32>>,
) -> FillStats {
    let (rows, cols) = (grid.rows, grid.cols);
    let k = bands.clamp(1, (rows / MIN_BAND_ROWS).max(1));
    let edges: Vec<usize> = (0..=k).map(|b| b * rows / k).collect();
    let keep = order.is_some();
    let orders: Vec<Keyed> = {
        let mut pieces: Vec<(usize, &mut [f32])> = Vec::with_capacity(k);
        let mut rest: &mut [f32] = &mut *flat;
        for b in 0..k {
            let (piece, tail) = rest.split_at_mut((edges[b + 1] - edges[b]) * cols);
            pieces.push((edges[b], piece));
            rest = tail;
        }
        pieces
            .into_par_iter()
            .map(|(r0, piece)| {
                let r1 = r0 + piece.len() / cols;
                let above = (r0 > 0).then(|| &original[(r0 - 1) * cols..r0 * cols]);
                let below = (r1 < rows).then(|| &original[r1 * cols..(r1 + 1) * cols]);
                let mut o = Keyed::default();
                if keep {
                    o.cells.reserve(piece.len());
                }
                let sink = keep.then_some((&mut o.cells, Some(&mut o.runs)));
                flood_rows(piece, grid, r0, [above, below], sink);
                o
            })
            .collect()
    };
    let lowered = lower_across_edges(original, flat, cols, &edges);
    if let Some(order) = order {
        merge_orders(flat, &orders, &lowered, order);
    }
    raise_stats(original, flat)
}

/// The second flood of [`flood_in_bands`]: lowers the cells of `flat`
/// (filled band by band, `edges` the bands' first rows and the raster's
/// row count) that a path across a band edge drains lower, and returns
/// them in order of their new heights, ties by index.
fn lower_across_edges(
    original: &[f32],
    flat: &mut [f32],
    cols: usize,
    edges: &[usize],
) -> Vec<u32> {
    let rows = flat.len() / cols;
    // The height cell `n` takes when reached from a neighbour at `from`,
    // if lower than its own now.
    let lower = |flat: &[f32], n: usize, from: f32| -> Option<f32> {
        let z = original[n];
        if z.is_nan() || from.is_nan() {
            return None;
        }
        let floor = next_up(from);
        let v = if z < floor { floor } else { z };
        (v < flat[n]).then_some(v)
    };
    let mut open: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::new();
    for &e in &edges[1..edges.len() - 1] {
        for (r, across) in [(e - 1, e), (e, e - 1)] {
            for c in 0..cols {
                let x = r * cols + c;
                for nc in c.saturating_sub(1)..(c + 2).min(cols) {
                    if let Some(v) = lower(flat, x, flat[across * cols + nc]) {
                        flat[x] = v;
                        open.push(Reverse((order_key(v), x as u32)));
                    }
                }
            }
        }
    }
    let mut lowered = Vec::new();
    while let Some(Reverse((key, i))) = open.pop() {
        let i = i as usize;
        if order_key(flat[i]) != key {
            continue;
        }
        lowered.push(i as u32);
        let (r, c) = (i / cols, i % cols);
        for &(dr, dc) in &NEIGHBOURS {
            let (nr, nc) = (r as isize + dr, c as isize + dc);
            if nr < 0 || nc < 0 || nr as usize >= rows || nc as usize >= cols {
                continue;
            }
            let n = nr as usize * cols + nc as usize;
            if let Some(v) = lower(flat, n, flat[i]) {
                flat[n] = v;
                open.push(Reverse((order_key(v), n as u32)));
            }
        }
    }
    lowered
}

/// A band's order with its height keys, as runs of equal keys.
#[derive(Default)]
struct Keyed {
    cells: Vec<u32>,
    /// (key, how many cells in a row have it).
    runs: Vec<(u32, u32)>,
}

impl Keyed {
    /// Cursors over the cells below `split` (key << 32 | index) and the
    /// rest.
    fn split_at(&self, split: u64) -> (KeyedCursor<'_>, KeyedCursor<'_>) {
        // The first run whose key reaches the split's, then the first cell
        // in it at or past the split's index (a run's cells rise).
        let key = (split >> 32) as u32;
        let mut begins = 0;
        let mut r = 0;
        while r < self.runs.len() && self.runs[r].0 < key {
            begins += self.runs[r].1 as usize;
            r += 1;
        }
        let mut p = begins;
        if let Some(&(k, n)) = self.runs.get(r) {
            if k == key {
                let cells = &self.cells[begins..begins + n as usize];
                p += cells.partition_point(|&i| (i as u64) < split & 0xFFFF_FFFF);
            }
        }
        let below = KeyedCursor {
            cells: &self.cells[..p],
            ..KeyedCursor::new(self)
        };
        // From run `r` on, less the cells of it below the split (none
        // left of it: the cursor moves to the next run).
        let above = match self.runs.get(r) {
            Some(&(k, n)) => KeyedCursor {
                cells: &self.cells[p..],
                runs: &self.runs[r + 1..],
                key: k,
                left: (begins + n as usize - p) as u32,
            },
            None => KeyedCursor::empty(),
        };
        (below, above)
    }
}

/// A place in a [`Keyed`] order.
struct KeyedCursor<'o> {
    cells: &'o [u32],
    runs: &'o [(u32, u32)],
    key: u32,
    left: u32,
}

impl<'o> KeyedCursor<'o> {
    fn new(k: &'o Keyed) -> Self {
        KeyedCursor {
            cells: &k.cells,
            runs: &k.runs,
            key: 0,
            left: 0,
        }
    }

    /// A cursor with nothing left.
    fn empty() -> Self {
        KeyedCursor {
            cells: &[],
            runs: &[],
            key: 0,
            left: 0,
        }
    }

    /// The next cell and its key.
    fn next(&mut self) -> Option<(u32, u32)> {
        let (&cell, rest) = self.cells.split_first()?;
        self.cells = rest;
        while self.left == 0 {
            let (&(key, n), rest) = self.runs.split_first()?;
            self.runs = rest;
            (self.key, self.left) = (key, n);
        }
        self.left -= 1;
        Some((self.key, cell))
    }
}

/// Cells [`merge_orders`] samples from its lists to choose where to split
/// them, about this many in all.
const SPLIT_SAMPLES: usize = 1024;

/// Merges the bands' `orders` (each by height key, ties by index), less
/// the cells in `lowered` (in that order too), with `lowered` into
/// `order`: the cells below a split and those above it, on two threads.
/// The split is the median of cells sampled evenly from all the lists, so
/// that the two halves hold about as many cells each whatever the bands'
/// heights (the middle of one band's order may lie near the bottom or the
/// top of another's: a coastal band against a mountain one).
fn merge_orders(flat: &[f32], orders: &[Keyed], lowered: &[u32], order: &mut Vec<u32>) {
    let mut out_of_place = vec![0u64; flat.len().div_ceil(64)];
    for &i in lowered {
        out_of_place[i as usize / 64] |= 1 << (i % 64);
    }
    let moved = |i: u32| out_of_place[i as usize / 64] >> (i % 64) & 1 == 1;
    let key_of = |i: u32| (order_key(flat[i as usize]) as u64) << 32 | i as u64;
    let split = split_key(orders, lowered, &key_of);
    let (below, above): (Vec<_>, Vec<_>) = orders
        .iter()
        .map(|o| match split {
            Some(s) => o.split_at(s),
            None => (KeyedCursor::new(o), KeyedCursor::empty()),
        })
        .unzip();
    let at = split.map_or(lowered.len(), |s| {
        lowered.partition_point(|&i| key_of(i) < s)
    });
    let (low, high) = lowered.split_at(at);
    order.clear();
    order.reserve(orders.iter().map(|o| o.cells.len()).sum::<usize>());
    let (_, upper) = rayon::join(
        || merge_into(below, low, &moved, &key_of, order),
        || {
            let mut upper =
                Vec::with_capacity(above.iter().map(|a| a.cells.len()).sum::<usize>() + high.len());
            merge_into(above, high, &moved, &key_of, &mut upper);
            upper
        },
    );
    order.extend_from_slice(&upper);
}

/// Where [`merge_orders`] splits its lists, as key << 32 | index: the
/// median of cells sampled evenly from the bands' `orders` and `lowered`
/// (`None` when all are empty). A cell of a band's order that was lowered
/// is sampled at its new key, a few samples off their place.
fn split_key(orders: &[Keyed], lowered: &[u32], key_of: &impl Fn(u32) -> u64) -> Option<u64> {
    let listed = orders.iter().map(|o| o.cells.len()).sum::<usize>() + lowered.len();
    let every = (listed / SPLIT_SAMPLES).max(1);
    let mut samples: Vec<u64> = orders
        .iter()
        .flat_map(|o| o.cells.iter().step_by(every))
        .chain(lowered.iter().step_by(every))
        .map(|&i| key_of(i))
        .collect();
    let middle = samples.len() / 2;
    (!samples.is_empty()).then(|| *samples.select_nth_unstable(middle).1)
}

/// The merge of [`merge_orders`] on one thread, onto `out`.
fn merge_into(
    mut bands: Vec<KeyedCursor<'_>>,
    lowered: &[u32],
    moved: &impl Fn(u32) -> bool,
    key_of: &impl Fn(u32) -> u64,
    out: &mut Vec<u32>,
) {
    let mut lowered = lowered.iter();
    let lists = bands.len() + 1;
    // The next cell of list `l` (the bands, then the lowered) as
    // key << 32 | index, skipping moved cells in the bands.
    let mut advance = |l: usize| -> Option<u64> {
        match bands.get_mut(l) {
            Some(band) => loop {
                let (key, i) = band.next()?;
                if !moved(i) {
                    return Some((key as u64) << 32 | i as u64);
                }
            },
            None => lowered.next().map(|&i| key_of(i)),
        }
    };
    let mut heads: Vec<Option<u64>> = (0..lists).map(&mut advance).collect();
    while let Some((k, l)) = heads
        .iter()
        .enumerate()
        .filter_map(|(l, h)| h.map(|k| (k, l)))
        .min()
    {
        out.push(k as u32);
        heads[l] = advance(l);
    }
}

/// The fill's stats from the heights before (`original`) and after.
fn raise_stats(original: &[f32], flat: &[f32]) -> FillStats {
    original
        .par_iter()
        .zip(flat)
        .with_min_len(1 << 16)
        .fold(
            || FillStats {
                raised_cells: 0,
                max_raise_m: 0.0,
            },
            |mut s, (&z, &f)| {
                if z < f {
                    s.raised_cells += 1;
                    s.max_raise_m = s.max_raise_m.max((f - z) as f64);
                }
                s
            },
        )
        .reduce(
            || FillStats {
                raised_cells: 0,
                max_raise_m: 0.0,
            },
            |a, b| FillStats {
                raised_cells: a.raised_cells + b.raised_cells,
                max_raise_m: a.max_raise_m.max(b.max_raise_m),
            },
        )
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

/// Where a flood writes its order: the cells, and optionally their height
/// keys as runs of (key, how many cells in a row have it).
type OrderSink<'o> = (&'o mut Vec<u32>, Option<&'o mut Vec<(u32, u32)>>);

/// The flood on the row-major heights `flat` of `grid` (at least 1 x 1),
/// pushing each cell's index onto `order` as it leaves the queue.
fn flood_flat(flat: &mut [f32], grid: &Grid<'_>, order: Option<&mut Vec<u32>>) -> FillStats {
    flood_rows(flat, grid, 0, [None, None], order.map(|o| (o, None)))
}

/// The flood on rows `r0..r0 + band.len() / cols` of `grid`, whose
/// heights `band` holds (row-major), as if the band were the whole grid
/// but for its outlets: only the raster's own edges are edges, and the
/// rows just outside the band (`outside`: above, below; `None` at the
/// raster's edge) count for cells next to a void. Indices pushed onto
/// the order are the raster's; with the order can come its height keys,
/// as runs of (key, how many cells in a row have it).
fn flood_rows(
    flat: &mut [f32],
    grid: &Grid<'_>,
    r0: usize,
    outside: [Option<&[f32]>; 2],
    mut order: Option<OrderSink<'_>>,
) -> FillStats {
    let Grid {
        rows: raster_rows,
        cols,
        metrics,
        min_slope,
        sea_below,
        sea,
    } = *grid;
    let rows = flat.len() / cols;
    let base = r0 * cols;
    let mut closed = vec![false; rows * cols];
    let mut open = OpenSet::for_cells(raster_rows * cols);
    // The ground distance to each neighbour from a cell of row `r`, metres:
    // `hypot` of the neighbour row's east and north offsets, as the flood
    // has always computed it, once per row and direction.
    let step: Vec<[f64; 8]> = (r0..r0 + rows)
        .map(|nr| {
            NEIGHBOURS.map(|(dr, dc)| {
                let ex = metrics.dx[nr] * dc.unsigned_abs() as f64;
                let ny = metrics.dy[nr] * dr.unsigned_abs() as f64;
                ex.hypot(ny)
            })
        })
        .collect();
    let has_voids = flat.iter().any(|z| z.is_nan())
        || outside
            .iter()
            .flatten()
            .any(|row| row.iter().any(|z| z.is_nan()));
    // (`r` is the band's row, `rows` the band's.)
    let is_outlet = |h: &[f32], r: usize, c: usize| {
        let g = r0 + r;
        if g == 0 || c == 0 || g + 1 == raster_rows || c + 1 == cols {
            return true;
        }
        if sea_below.is_some_and(|s| (h[r * cols + c] as f64) < s) {
            return true;
        }
        if sea.is_some_and(|s| s.is_sea_sample(g, c)) {
            return true;
        }
        has_voids
            && NEIGHBOURS.iter().any(|&(dr, dc)| {
                let nc = (c as isize + dc) as usize;
                match (r as isize + dr, outside) {
                    (-1, [Some(above), _]) => above[nc].is_nan(),
                    (nr, [_, Some(below)]) if nr as usize == rows => below[nc].is_nan(),
                    (nr, _) => h[nr as usize * cols + nc].is_nan(),
                }
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
                open.push(order_key(z), (base + i) as u64);
            }
        }
    }
    let mut stats = FillStats {
        raised_cells: 0,
        max_raise_m: 0.0,
    };
    while let Some(i) = open.pop() {
        let g = i;
        let i = i as usize - base;
        if let Some((order, runs)) = order.as_mut() {
            // At most 2^32 cells when an order is asked for.
            order.push(g as u32);
            if let Some(runs) = runs {
                let key = order_key(flat[i]);
                match runs.last_mut() {
                    Some((k, n)) if *k == key => *n += 1,
                    _ => runs.push((key, 1)),
                }
            }
        }
        if let Some(j) = open.peek_ahead(FLOOD_PREFETCH_AHEAD) {
            let j = j - base;
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
            open.push(order_key(flat[n]), (base + n) as u64);
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

    /// Floods `h` in one piece ([`flood_flat`], the reference) and in
    /// each of `bands` bands of rows, and asserts the same heights bit for
    /// bit, the same stats and the same order.
    fn assert_bands_agree(
        h: &Array2<f32>,
        sea_below: Option<f64>,
        sea: Option<&crate::dem::SeaMask>,
        bands: &[usize],
    ) {
        let (rows, cols) = h.dim();
        let metrics = unit_metrics(rows);
        let grid = Grid {
            rows,
            cols,
            metrics: &metrics,
            min_slope: 0.0,
            sea_below,
            sea,
        };
        let original: Vec<f32> = h.iter().copied().collect();
        let mut one = original.clone();
        let mut one_order = Vec::new();
        let one_stats = flood_flat(&mut one, &grid, Some(&mut one_order));
        assert!(one_stats.raised_cells > 0, "the grid has something to fill");
        for &k in bands {
            let mut flat = original.clone();
            let mut order = Vec::new();
            let stats = flood_in_bands(&original, &mut flat, &grid, k, Some(&mut order));
            for (i, (a, b)) in one.iter().zip(&flat).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{k} bands: cell {i}: {a} vs {b}");
            }
            assert_eq!(stats, one_stats, "{k} bands");
            assert_eq!(order, one_order, "{k} bands: order");
        }
    }

    /// A band's order of `cells` with their keys, as the band flood makes it.
    fn keyed(cells: &[u32], key_of: impl Fn(u32) -> u32) -> Keyed {
        let mut k = Keyed::default();
        for &i in cells {
            match k.runs.last_mut() {
                Some((key, n)) if *key == key_of(i) => *n += 1,
                _ => k.runs.push((key_of(i), 1)),
            }
            k.cells.push(i);
        }
        k
    }

    /// A coastal band (cells 0..3000, heights 0-29) beside a mountain band
    /// twice its size (cells 3000..9000, heights 1000-1599): the split
    /// leaves about half of all the cells below it, where the middle of
    /// the longest band would leave two thirds.
    #[test]
    fn the_merge_splits_its_lists_in_halves() {
        let height = |i: u32| {
            if i < 3000 {
                (i % 30) as f32
            } else {
                1000.0 + (i % 600) as f32
            }
        };
        let key_of = |i: u32| (order_key(height(i)) as u64) << 32 | i as u64;
        let band = |range: std::ops::Range<u32>| {
            let mut cells: Vec<u32> = range.collect();
            cells.sort_by_key(|&i| key_of(i));
            keyed(&cells, |i| order_key(height(i)))
        };
        let orders = [band(0..3000), band(3000..9000)];
        // Cells 10..20 were lowered: in the bands' orders, and listed again.
        let lowered: Vec<u32> = (10..20).collect();
        let split = split_key(&orders, &lowered, &key_of).expect("cells to split");
        let below = (0..9000u32).filter(|&i| key_of(i) < split).count();
        assert!(
            (4300..=4700).contains(&below),
            "{below} of 9000 cells below the split"
        );
        assert_eq!(split_key(&[], &[], &key_of), None);
    }

    /// A value in 0..1 for cell (r, c), fixed (a hash, no generator).
    fn noise(r: usize, c: usize) -> f32 {
        let x = (r as u64 * 7919 + c as u64 * 104_729) ^ 0x9E37_79B9_7F4A_7C15;
        let x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 29);
        (x % 10_000) as f32 / 10_000.0
    }

    /// Rough ground full of pits: paths to the outlets cross band edges
    /// everywhere.
    #[test]
    fn bands_fill_rough_ground_as_one_piece() {
        let h = Array2::from_shape_fn((96, 50), |(r, c)| {
            (noise(r, c) * 40.0).round() + (r as f32 - 48.0).abs() * 0.5
        });
        assert_bands_agree(&h, None, None, &[2, 3, 5]);
    }

    /// A canyon at 5 m between walls at 100 m that winds across the middle
    /// row four times and leaves the raster only at the top: filled band by
    /// band, the bottom half of it has no outlet but over the walls, and
    /// the second flood has to bring it down through every crossing.
    #[test]
    fn bands_drain_a_canyon_that_crosses_their_edge_again_and_again() {
        let (rows, cols) = (64, 41);
        let mut h = Array2::from_elem((rows, cols), 100.0f32);
        // Legs down and up at columns 4, 12, 20, 28 and 36, joined at rows
        // 10 and 54 in turn; the first leg opens at the top edge.
        let legs = [4, 12, 20, 28, 36];
        for (k, &c) in legs.iter().enumerate() {
            let (top, bottom) = if k == 0 { (0, 54) } else { (10, 54) };
            for r in top..=bottom {
                h[[r, c]] = 5.0;
            }
            if let Some(&next) = legs.get(k + 1) {
                let r = if k % 2 == 0 { 54 } else { 10 };
                for cc in c..=next {
                    h[[r, cc]] = 5.0;
                }
            }
        }
        // A pit in the last leg, so something is raised.
        h[[30, 36]] = 1.0;
        assert_bands_agree(&h, None, None, &[2, 3, 4]);
    }

    /// Voids on and beside the band edges (cells next to a void are
    /// outlets, also when the void is in the other band), cells below a
    /// sea level, and cells at +∞.
    #[test]
    fn bands_see_voids_across_their_edges_and_the_sea_level() {
        let mut h = Array2::from_shape_fn((64, 30), |(r, c)| 20.0 + (noise(r, c) * 30.0).round());
        for c in [3, 9, 10, 22] {
            h[[31, c]] = f32::NAN;
        }
        h[[32, 15]] = f32::NAN;
        h[[21, 7]] = f32::NAN;
        h[[40, 12]] = f32::INFINITY;
        h[[10, 10]] = -3.0;
        h[[11, 10]] = -2.0;
        assert_bands_agree(&h, Some(0.0), None, &[2, 3, 4]);
    }

    /// Real ground: N43E007 (voids) whole, and a coastal window of
    /// N52W007 with its sea as outlets.
    #[test]
    fn bands_fill_real_tiles_as_one_piece() {
        let open = |name: &str| {
            crate::dem::open(
                std::path::Path::new(&format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR"))),
                &crate::dem::LoadOptions::default(),
            )
            .unwrap()
        };
        let tile = open("N43E007.hgt");
        assert!(tile.heights.iter().any(|z| z.is_nan()));
        assert_bands_agree(&tile.heights, None, None, &[2, 3]);
        let window = crate::geo::Bounds::new(-6.4167, 52.425, -6.2167, 52.625);
        let coast = crate::basins::crop::crop(&open("N52W007.hgt"), window).unwrap();
        let sea = crate::dem::SeaMask::detect(&coast.heights, crate::dem::SeaLevel::SrtmZero);
        assert!(sea.samples() > 1000);
        assert_bands_agree(&coast.heights, None, Some(&sea), &[2, 7]);
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
