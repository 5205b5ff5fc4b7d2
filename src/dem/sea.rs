//! The sea: which samples of a grid are open water at sea level.
//!
//! SRTM codes the sea as exactly 0 m (the water-body mask flattened it),
//! but 0 m is also a legitimate land height, and land can lie below sea
//! level (the Dead Sea shore at -430 m, Dutch polders at -6 m). The rule
//! used here is therefore not "height 0" but connectivity:
//!
//! - a sample is sea when it is at sea level (exactly 0 m on SRTM, or at
//!   or below a level the user gives) **and** connected to the raster edge
//!   through other such samples (4-neighbours, so a one-cell diagonal dyke
//!   keeps a polder dry);
//! - a connected region of fewer than [`MIN_SEA_SAMPLES`] samples is not
//!   sea: a few 0 m land samples that happen to touch the edge of a crop
//!   are land;
//! - voids (`NaN`) are never sea and do not connect sea regions; agents
//!   stop at them with their own reason;
//! - inland 0 m and below-sea-level land not connected to the edge (the
//!   Dead Sea, a polder behind its dyke, an inland pit at 0 m) stays land.
//!
//! A sea that reaches the grid only through a void, or only diagonally, is
//! missed (its samples stay land at 0 m, where agents converge as before).
//!
//! Between samples the sea is where the 0/1 mask, smoothed by a binomial
//! 5-tap filter in each direction (a Gaussian of about one cell) and
//! interpolated bilinearly, is at least 1/2 ([`SeaMask::contains`]). A
//! straight coast stays half-way between its last land and first sea
//! sample, while the cells' stair steps become a smooth curve; the same
//! coast stops the agents and is drawn on the maps. (A one-cell spit of
//! land into the sea is then mostly sea.)

use ndarray::Array2;
use rayon::prelude::*;

use crate::terrain::{floor_index, index_bound};

/// The smallest edge-connected region of sea-level samples taken for sea.
pub const MIN_SEA_SAMPLES: usize = 100;

/// What counts as sea level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeaLevel {
    /// Exactly 0 m, as SRTM codes the sea.
    SrtmZero,
    /// At or below this many metres (for grids that code the sea otherwise).
    AtOrBelow(f64),
}

impl SeaLevel {
    /// `true` when a height `z` (metres, not `NaN`) is at this sea level.
    pub fn holds(self, z: f32) -> bool {
        match self {
            SeaLevel::SrtmZero => z == 0.0,
            SeaLevel::AtOrBelow(level) => (z as f64) <= level,
        }
    }
}

/// Which samples of a grid are sea.
#[derive(Debug, Clone, PartialEq)]
pub struct SeaMask {
    sea: Array2<bool>,
    /// The mask smoothed (see the module documentation) in 1/256ths, over
    /// the sea's bounding box grown by 2 samples (zero outside it), so a
    /// large grid with a little sea keeps a small array.
    smooth: Array2<u16>,
    /// Row and column of the grid where `smooth` starts.
    offset: (usize, usize),
    /// One bit per bilinear cell, indexed by its top-left sample
    /// (`row * cols + col`): set when any of the cell's four corners has a
    /// non-zero smoothed value. A position in a cell whose bit is clear
    /// interpolates four zeros, so [`SeaMask::fraction`] is 0 there without
    /// reading `smooth`: the walkers' per-step sea test is one bit load
    /// away from the coast.
    near_coast: Vec<u64>,
    samples: usize,
    /// The bounds of [`SeaMask::contains`], converted once; `None` where
    /// no position can be sea (no smoothed mask, or a grid too small to
    /// interpolate).
    cells: Option<CellBounds>,
}

/// The grid's extent as the per-step sea test uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CellBounds {
    /// `rows - 1` and `cols - 1` as floats ([`index_bound`]: below 2^52).
    last_row: f64,
    last_col: f64,
    /// The last top-left sample of a bilinear cell, row and column.
    max_r0: usize,
    max_c0: usize,
    cols: usize,
}

impl CellBounds {
    fn of(sea: &Array2<bool>, smooth: &Array2<u16>) -> Option<CellBounds> {
        let (rows, cols) = sea.dim();
        (!smooth.is_empty() && rows >= 2 && cols >= 2).then(|| CellBounds {
            last_row: index_bound(rows - 1),
            last_col: index_bound(cols - 1),
            max_r0: rows - 2,
            max_c0: cols - 2,
            cols,
        })
    }
}

/// The bits of [`SeaMask::near_coast`] for a `rows` x `cols` grid whose
/// smoothed mask `smooth` starts at `offset`: cell (r, c) (its top-left
/// sample; r <= rows - 2, c <= cols - 2) is near the coast when any of its
/// four corner samples has a non-zero smoothed value. Words in parallel:
/// each task marks its cells a byte each, a row at a time from the two
/// rows of `smooth` at the cells' corners (no test per sample), then packs
/// the bytes into its words.
fn near_coast_bits(
    smooth: &Array2<u16>,
    offset: (usize, usize),
    rows: usize,
    cols: usize,
) -> Vec<u64> {
    const WORDS_PER_TASK: usize = 1024;
    let mut bits = vec![0u64; (rows * cols).div_ceil(64)];
    if rows < 2 || cols < 2 || smooth.is_empty() {
        return bits;
    }
    let (sr, sc) = smooth.dim();
    let smooth = smooth.as_standard_layout();
    let Some(samples) = smooth.as_slice() else {
        return bits;
    };
    // Row `r` of the grid within `smooth`, if it is one of its rows.
    let smooth_row = |r: usize| {
        let k = r.wrapping_sub(offset.0);
        (k < sr).then(|| &samples[k * sc..(k + 1) * sc])
    };
    // Only the cells whose corners can touch `smooth`: rows and columns
    // from one before its first to its last.
    let rr = (offset.0.saturating_sub(1), (offset.0 + sr).min(rows - 1));
    let cc = (offset.1.saturating_sub(1), (offset.1 + sc).min(cols - 1));
    bits.par_chunks_mut(WORDS_PER_TASK)
        .enumerate()
        .for_each(|(k, words)| {
            let first = k * WORDS_PER_TASK * 64;
            let last = (first + words.len() * 64).min(rows * cols);
            let mut marks = vec![0u8; words.len() * 64];
            // Per column of `smooth`, one before its first and one past its
            // last: whether either corner row is non-zero there.
            let mut either = vec![0u8; sc + 2];
            let mut i = first;
            while i < last {
                let (r, c) = (i / cols, i % cols);
                let end = ((r + 1) * cols).min(last);
                let (lo, hi) = (c.max(cc.0), (c + end - i).min(cc.1));
                if (rr.0..rr.1).contains(&r) && lo < hi {
                    let (a, b) = (smooth_row(r), smooth_row(r + 1));
                    for (j, e) in either[1..=sc].iter_mut().enumerate() {
                        let nz = |row: Option<&[u16]>| row.is_some_and(|row| row[j] != 0);
                        *e = u8::from(nz(a) | nz(b));
                    }
                    // Cell column `x` has its corners at `either` x + 1 - offset
                    // and the next (in range: `cc` keeps x + 1 within `smooth`'s
                    // columns plus one on each side).
                    let from = lo + 1 - offset.1;
                    let out = &mut marks[i - first + lo - c..i - first + hi - c];
                    for (o, pair) in out.iter_mut().zip(either[from..].windows(2)) {
                        *o = pair[0] | pair[1];
                    }
                }
                i = end;
            }
            for (word, bytes) in words.iter_mut().zip(marks.chunks_exact(64)) {
                *word = pack_marks(bytes);
            }
        });
    bits
}

/// The 64 bytes `bytes` (each 0 or 1) as the bits of a word, byte `i` in
/// bit `i`: eight bytes at a time gathered into the top byte of a product
/// (byte `i` times 2^(56 - 7 i) lands on bit 56 + i, and no two terms
/// meet).
fn pack_marks(bytes: &[u8]) -> u64 {
    bytes
        .chunks_exact(8)
        .enumerate()
        .fold(0u64, |word, (k, eight)| {
            let mut b = [0u8; 8];
            b.copy_from_slice(eight);
            let x = u64::from_le_bytes(b);
            word | (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k)
        })
}

/// Rows of the smoothed mask one task of [`smoothed`] makes.
const SMOOTH_BLOCK_ROWS: usize = 64;

/// The 0/1 `mask` filtered by the binomial kernel (1 4 6 4 1) / 16 along
/// rows and then columns (edges replicated), in 1/256ths (exact), over
/// rows `r0..r1` and columns `c0..c1`; blocks of rows in parallel.
fn smoothed(
    mask: &Array2<bool>,
    (r0, r1): (usize, usize),
    (c0, c1): (usize, usize),
) -> Array2<u16> {
    const K: [u16; 5] = [1, 4, 6, 4, 1];
    let (rows, cols) = mask.dim();
    let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    let width = c1 - c0;
    // A row filtered along itself, in 1/16ths: the row's samples from two
    // before `c0` to two past `c1` (edges replicated) as 0/1 in `padded`,
    // then the five taps as five shifted slices added element-wise.
    let across = |r: usize, out: &mut [u16], padded: &mut Vec<u16>| {
        let row = mask.row(r);
        let row: std::borrow::Cow<'_, [bool]> = match row.as_slice() {
            Some(s) => s.into(),
            None => row.to_vec().into(),
        };
        padded.clear();
        let (lo, hi) = (c0.max(2) - 2, (c1 + 2).min(cols));
        let at = |i: isize| u16::from(row[clamp(i, cols)]);
        padded.extend((c0 as isize - 2..lo as isize).map(at));
        padded.extend(row[lo..hi].iter().map(|&b| u16::from(b)));
        padded.extend((hi as isize..(c1 + 2) as isize).map(at));
        let [p0, p1, p2, p3, p4] = [0, 1, 2, 3, 4].map(|t| &padded[t..t + width]);
        for (((((v, &a), &b), &c), &d), &e) in
            out.iter_mut().zip(p0).zip(p1).zip(p2).zip(p3).zip(p4)
        {
            *v = K[0] * a + K[1] * b + K[2] * c + K[3] * d + K[4] * e;
        }
    };
    // Then along the columns: five rows filtered across, added
    // element-wise. Each block of output rows filters across the rows it
    // reads (its own and two beyond each end, clamped) into a buffer of
    // its own, so the whole grid is never filtered across at once.
    let mut smooth = vec![0u16; (r1 - r0) * width];
    smooth
        .par_chunks_mut((SMOOTH_BLOCK_ROWS * width).max(1))
        .enumerate()
        .for_each(|(k, block)| {
            let first = r0 + k * SMOOTH_BLOCK_ROWS;
            let last = first + block.len() / width.max(1);
            let (a0, a1) = (first.saturating_sub(2), (last + 2).min(rows));
            let mut filtered = vec![0u16; (a1 - a0) * width];
            let mut padded = Vec::with_capacity(width + 4);
            for (i, out) in filtered.chunks_mut(width.max(1)).enumerate() {
                across(a0 + i, out, &mut padded);
            }
            for (i, out) in block.chunks_mut(width.max(1)).enumerate() {
                let [t0, t1, t2, t3, t4] = [0, 1, 2, 3, 4]
                    .map(|t| clamp((first + i) as isize + t - 2, rows) - a0)
                    .map(|t| &filtered[t * width..(t + 1) * width]);
                for (((((v, &p0), &p1), &p2), &p3), &p4) in
                    out.iter_mut().zip(t0).zip(t1).zip(t2).zip(t3).zip(t4)
                {
                    *v = K[0] * p0 + K[1] * p1 + K[2] * p2 + K[3] * p3 + K[4] * p4;
                }
            }
        });
    Array2::from_shape_vec((r1 - r0, width), smooth)
        .unwrap_or_else(|_| Array2::zeros((r1 - r0, width)))
}

impl SeaMask {
    /// Finds the sea in `heights` (metres, `NaN` voids) by the rule of the
    /// module documentation.
    pub fn detect(heights: &Array2<f32>, level: SeaLevel) -> SeaMask {
        let (rows, cols) = heights.dim();
        let z = heights.as_standard_layout();
        let z = z.as_slice().unwrap_or(&[]);
        // Every sample at level that a scan has reached, while the scans
        // run; the regions too small to be sea are cleared at the end
        // (`too_small`), leaving the sea.
        let mut seen = vec![false; rows * cols];
        let mut too_small: Vec<(u32, u32, u32)> = Vec::new();
        let mut samples = 0;
        let at_level = |i: usize| !z[i].is_nan() && level.holds(z[i]);
        let edge = (0..cols)
            .flat_map(|c| [(0, c), (rows.saturating_sub(1), c)])
            .chain((0..rows).flat_map(|r| [(r, 0), (r, cols.saturating_sub(1))]));
        // Each connected region at sea level reached from the edge, found
        // by scanlines: a seed grows into the run of samples at level left
        // and right of it on its row (a span), and every run at level
        // touching the span on the rows above and below seeds again (four
        // neighbours, as the rule says). `spans` is the region, as (row,
        // first column, last column).
        let mut spans: Vec<(u32, u32, u32)> = Vec::new();
        let mut seeds: Vec<(usize, usize)> = Vec::new();
        // The bounding box of the sea found.
        let (mut r0, mut r1, mut c0, mut c1) = (usize::MAX, 0, usize::MAX, 0);
        for (sr, sc) in edge.collect::<Vec<_>>() {
            if rows == 0 || cols == 0 || seen[sr * cols + sc] || !at_level(sr * cols + sc) {
                continue;
            }
            spans.clear();
            seeds.push((sr, sc));
            while let Some((r, c)) = seeds.pop() {
                let row = r * cols;
                if seen[row + c] {
                    continue;
                }
                let (mut first, mut last) = (c, c);
                while first > 0 && !seen[row + first - 1] && at_level(row + first - 1) {
                    first -= 1;
                }
                while last + 1 < cols && !seen[row + last + 1] && at_level(row + last + 1) {
                    last += 1;
                }
                seen[row + first..=row + last].fill(true);
                spans.push((r as u32, first as u32, last as u32));
                for next in [r.wrapping_sub(1), r + 1] {
                    if next >= rows {
                        continue;
                    }
                    let line = next * cols;
                    let mut in_run = false;
                    for cc in first..=last {
                        let open = !seen[line + cc] && at_level(line + cc);
                        if open && !in_run {
                            seeds.push((next, cc));
                        }
                        in_run = open;
                    }
                }
            }
            let size: usize = spans.iter().map(|&(_, a, b)| (b - a) as usize + 1).sum();
            if size >= MIN_SEA_SAMPLES {
                samples += size;
                for &(r, a, b) in &spans {
                    let (r, a, b) = (r as usize, a as usize, b as usize);
                    (r0, r1, c0, c1) = (r0.min(r), r1.max(r), c0.min(a), c1.max(b));
                }
            } else {
                too_small.extend_from_slice(&spans);
            }
        }
        for (r, a, b) in too_small {
            let (r, a, b) = (r as usize, a as usize, b as usize);
            seen[r * cols + a..=r * cols + b].fill(false);
        }
        let sea = Array2::from_shape_vec((rows, cols), seen)
            .unwrap_or_else(|_| Array2::from_elem((rows, cols), false));
        // The sea's bounding box, grown by the filter's reach.
        let (smooth, offset) = if samples > 0 {
            let rr = (r0.saturating_sub(2), (r1 + 3).min(rows));
            let cc = (c0.saturating_sub(2), (c1 + 3).min(cols));
            (smoothed(&sea, rr, cc), (rr.0, cc.0))
        } else {
            (Array2::zeros((0, 0)), (0, 0))
        };
        let near_coast = near_coast_bits(&smooth, offset, rows, cols);
        let cells = CellBounds::of(&sea, &smooth);
        SeaMask {
            sea,
            smooth,
            offset,
            near_coast,
            samples,
            cells,
        }
    }

    /// The mask of a `rows` x `cols` window of a larger grid whose sea is
    /// already known (the tiled engine's blocks): `bits` holds the sea
    /// samples of the window grown by `top` rows above and `left` columns
    /// left of it, and by as many below and right as `bits` has beyond the
    /// window. Each margin must be 2 samples (the smoothing filter's
    /// reach) or all the larger grid has on that side, so that the
    /// replicated edges are the grid's own. Then every query of the
    /// window's mask equals the same query of [`SeaMask::detect`]'s mask of
    /// the whole grid, shifted by the window's place, bit for bit (even
    /// where the only sea within reach lies in the margin). `None` when
    /// `bits` does not hold the window.
    pub fn from_margin(
        bits: &Array2<bool>,
        (top, left): (usize, usize),
        (rows, cols): (usize, usize),
    ) -> Option<SeaMask> {
        let (br, bc) = bits.dim();
        if top + rows > br || left + cols > bc || rows == 0 || cols == 0 {
            return None;
        }
        if !bits.iter().any(|&b| b) {
            return Some(SeaMask::none(rows, cols));
        }
        let sea = bits
            .slice(ndarray::s![top..top + rows, left..left + cols])
            .to_owned();
        let samples = sea.iter().filter(|&&b| b).count();
        let smooth = smoothed(bits, (top, top + rows), (left, left + cols));
        let near_coast = near_coast_bits(&smooth, (0, 0), rows, cols);
        let cells = CellBounds::of(&sea, &smooth);
        Some(SeaMask {
            sea,
            smooth,
            offset: (0, 0),
            near_coast,
            samples,
            cells,
        })
    }

    /// A mask with no sea, `rows` x `cols`.
    pub fn none(rows: usize, cols: usize) -> SeaMask {
        SeaMask {
            sea: Array2::from_elem((rows, cols), false),
            smooth: Array2::zeros((0, 0)),
            offset: (0, 0),
            near_coast: Vec::new(),
            samples: 0,
            cells: None,
        }
    }

    /// Number of sea samples.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// `true` when no sample is sea.
    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// `true` when the sea reaches no position of the grid: no sample is
    /// sea and (for a [`SeaMask::from_margin`] window) no sea lies within
    /// the smoothing's reach outside it, so [`SeaMask::contains`] is
    /// `false` everywhere.
    pub fn is_dry(&self) -> bool {
        self.smooth.is_empty()
    }

    /// `(rows, cols)` of the mask.
    pub fn dim(&self) -> (usize, usize) {
        self.sea.dim()
    }

    /// `true` when sample (`r`, `c`) is sea (`false` outside the grid).
    #[inline]
    pub fn is_sea_sample(&self, r: usize, c: usize) -> bool {
        self.sea.get([r, c]).copied().unwrap_or(false)
    }

    /// The bilinear interpolation of the smoothed mask at fractional sample
    /// index (`row`, `col`): 1 well inside the sea, 0 inland, in between
    /// across the coast; 0 outside the grid.
    pub fn fraction(&self, row: f64, col: f64) -> f64 {
        let (rows, cols) = self.sea.dim();
        if self.smooth.is_empty()
            || rows < 2
            || cols < 2
            || !(row >= 0.0
                && col >= 0.0
                && row <= (rows - 1) as i64 as f64
                && col <= (cols - 1) as i64 as f64)
        {
            return 0.0;
        }
        // `floor` of the non-negative values checked above (no libm call).
        let r0 = floor_index(row).min(rows - 2);
        let c0 = floor_index(col).min(cols - 2);
        let i = r0 * cols + c0;
        if !self.near_coast_cell(i) {
            // Four zero corners: the interpolation below would give +0.
            return 0.0;
        }
        let (fr, fc) = (row - r0 as f64, col - c0 as f64);
        let v = |r: usize, c: usize| {
            let (r, c) = (r.wrapping_sub(self.offset.0), c.wrapping_sub(self.offset.1));
            self.smooth
                .get([r, c])
                .map_or(0.0, |&v| f64::from(v) / 256.0)
        };
        let top = v(r0, c0) * (1.0 - fc) + v(r0, c0 + 1) * fc;
        let bottom = v(r0 + 1, c0) * (1.0 - fc) + v(r0 + 1, c0 + 1) * fc;
        top * (1.0 - fr) + bottom * fr
    }

    /// `true` when fractional sample index (`row`, `col`) lies in the sea:
    /// the smoothed, interpolated mask is at least 1/2 (see [`SeaMask::fraction`]).
    ///
    /// Inlined into the walkers' loops: away from the coast it is a range
    /// check and one bit load, and only cells near the coast interpolate.
    #[inline(always)]
    pub fn contains(&self, row: f64, col: f64) -> bool {
        let Some(b) = &self.cells else {
            // No position is sea: `fraction` is 0 everywhere.
            return false;
        };
        if !(row >= 0.0 && col >= 0.0 && row <= b.last_row && col <= b.last_col) {
            // Where `fraction` is 0.
            return false;
        }
        // SAFETY: checked just above: 0 <= row <= last_row (false for NaN)
        // and the same for `col`, with bounds below 2^52 (`index_bound`), so
        // both truncate exactly to an `i64`.
        let (ri, ci) = unsafe { (row.to_int_unchecked::<i64>(), col.to_int_unchecked::<i64>()) };
        let i = (ri as usize).min(b.max_r0) * b.cols + (ci as usize).min(b.max_c0);
        self.near_coast_cell(i) && self.fraction(row, col) >= 0.5
    }

    /// `true` when the bilinear cell whose top-left sample has row-major
    /// index `i` touches the coast band, where [`SeaMask::contains`]
    /// interpolates; `false` for every cell of a mask with no sea. For a
    /// caller that has already bounds-tested a position and found its cell
    /// on a grid of this mask's size: `contains(row, col)` is then
    /// `near_coast_cell(i) && fraction(row, col) >= 0.5`.
    #[inline(always)]
    pub fn near_coast_cell(&self, i: usize) -> bool {
        self.near_coast
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The sea sample nearest to fractional index (`row`, `col`) among the
    /// four around it, for reporting where an agent reached the sea.
    pub fn nearest_sea_sample(&self, row: f64, col: f64) -> Option<(usize, usize)> {
        let (rows, cols) = self.sea.dim();
        let r0 = row.floor().max(0.0) as usize;
        let c0 = col.floor().max(0.0) as usize;
        let mut best: Option<((usize, usize), f64)> = None;
        for r in r0..(r0 + 2).min(rows) {
            for c in c0..(c0 + 2).min(cols) {
                if self.sea[[r, c]] {
                    let d = (r as f64 - row).hypot(c as f64 - col);
                    if best.is_none_or(|(_, bd)| d < bd) {
                        best = Some(((r, c), d));
                    }
                }
            }
        }
        best.map(|(cell, _)| cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The near-coast bits, built per word in parallel, are those of the
    /// rule stated per sample: every sample with a non-zero smoothed value
    /// marks the (up to four) cells it is a corner of. Windows of a 37 x 70
    /// grid at its corners, edges and middle, on a pseudo-random mask
    /// (rows not a multiple of 64 bits, so words straddle rows).
    #[test]
    fn near_coast_bits_follow_the_per_sample_rule() {
        let (rows, cols) = (37usize, 70usize);
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33).is_multiple_of(7)
        };
        let mask = Array2::from_shape_fn((rows, cols), |_| next());
        for (rr, cc) in [
            ((0, rows), (0, cols)),
            ((0, 9), (0, 11)),
            ((30, 37), (61, 70)),
            ((12, 20), (25, 48)),
        ] {
            let smooth = smoothed(&mask, rr, cc);
            let offset = (rr.0, cc.0);
            let mut want = vec![0u64; (rows * cols).div_ceil(64)];
            for ((sr, sc), &v) in smooth.indexed_iter() {
                let (r, c) = (sr + offset.0, sc + offset.1);
                if v == 0 {
                    continue;
                }
                for cr in r.saturating_sub(1)..=r.min(rows - 2) {
                    for cc in c.saturating_sub(1)..=c.min(cols - 2) {
                        let i = cr * cols + cc;
                        want[i / 64] |= 1 << (i % 64);
                    }
                }
            }
            assert!(want.iter().any(|&w| w != 0));
            assert_eq!(
                near_coast_bits(&smooth, offset, rows, cols),
                want,
                "{rr:?} {cc:?}"
            );
        }
    }

    /// A 20 x 20 grid: land at 10 m, with the columns `c >= 14` at `sea_z`.
    fn coast(sea_z: f32) -> Array2<f32> {
        Array2::from_shape_fn((20, 20), |(_, c)| if c >= 14 { sea_z } else { 10.0 })
    }

    #[test]
    fn zero_connected_to_the_edge_is_sea() {
        let m = SeaMask::detect(&coast(0.0), SeaLevel::SrtmZero);
        assert_eq!(m.samples(), 20 * 6);
        assert!(m.is_sea_sample(5, 14) && !m.is_sea_sample(5, 13));
        // The coast runs half-way between columns 13 and 14.
        assert!(!m.contains(5.0, 13.49));
        assert!(m.contains(5.0, 13.5));
        // Smoothed by (1 4 6 4 1) / 16: 5/16 at column 13, 11/16 at 14.
        assert!((m.fraction(5.0, 13.0) - 5.0 / 16.0).abs() < 1e-6);
        assert!((m.fraction(5.0, 14.0) - 11.0 / 16.0).abs() < 1e-6);
        assert!((m.fraction(5.0, 13.25) - (5.0 + 1.5) / 16.0).abs() < 1e-6);
    }

    /// A coast of one-cell stair steps (the diagonal r + c = 20): its 1/2
    /// level runs along the diagonal, off it by much less than the half
    /// cell the raw steps stick out.
    /// The scanline flood finds the regions a plain breadth-first flood
    /// from every edge sample finds (4 neighbours, at least
    /// `MIN_SEA_SAMPLES` samples, voids not conducting): on random grids
    /// of 0 m and land, sparse to dense, with voids, and a spiral channel
    /// that turns back on itself many times.
    #[test]
    fn scanline_regions_are_the_breadth_first_ones() {
        fn by_bfs(h: &Array2<f32>) -> Vec<bool> {
            let (rows, cols) = h.dim();
            let at = |r: usize, c: usize| h[[r, c]] == 0.0;
            let mut seen = vec![false; rows * cols];
            let mut sea = vec![false; rows * cols];
            for r in 0..rows {
                for c in 0..cols {
                    if !(r == 0 || c == 0 || r + 1 == rows || c + 1 == cols)
                        || seen[r * cols + c]
                        || !at(r, c)
                    {
                        continue;
                    }
                    seen[r * cols + c] = true;
                    let mut queue = std::collections::VecDeque::from([(r, c)]);
                    let mut region = vec![];
                    while let Some((r, c)) = queue.pop_front() {
                        region.push(r * cols + c);
                        let near = [
                            (r.wrapping_sub(1), c),
                            (r + 1, c),
                            (r, c.wrapping_sub(1)),
                            (r, c + 1),
                        ];
                        for (rr, cc) in near {
                            if rr < rows && cc < cols && !seen[rr * cols + cc] && at(rr, cc) {
                                seen[rr * cols + cc] = true;
                                queue.push_back((rr, cc));
                            }
                        }
                    }
                    if region.len() >= MIN_SEA_SAMPLES {
                        for i in region {
                            sea[i] = true;
                        }
                    }
                }
            }
            sea
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut grids = vec![];
        for density in [0.3, 0.5, 0.6, 0.75, 0.95] {
            grids.push(Array2::from_shape_fn((61, 87), |_| {
                let u = next();
                if u < 0.03 {
                    f32::NAN
                } else if u < density {
                    0.0
                } else {
                    5.0
                }
            }));
        }
        // A spiral of 0 m one sample wide from the edge inwards, walls of land.
        let n = 41;
        let mut spiral = Array2::from_elem((n, n), 7.0f32);
        let (mut r, mut c, mut dir, mut len) = (0usize, 0usize, 0usize, n - 1);
        while len > 1 {
            for _ in 0..2 {
                for _ in 0..len {
                    spiral[[r, c]] = 0.0;
                    match dir % 4 {
                        0 => c += 1,
                        1 => r += 1,
                        2 => c -= 1,
                        _ => r -= 1,
                    }
                }
                dir += 1;
            }
            len = len.saturating_sub(2);
        }
        grids.push(spiral);
        for h in &grids {
            let mask = SeaMask::detect(h, SeaLevel::SrtmZero);
            let (rows, cols) = h.dim();
            let want = by_bfs(h);
            let got: Vec<bool> = (0..rows * cols)
                .map(|i| mask.is_sea_sample(i / cols, i % cols))
                .collect();
            assert_eq!(got, want);
            assert_eq!(mask.samples(), want.iter().filter(|&&b| b).count());
        }
        // The dense grids have sea, the sparse ones some small regions left out.
        assert!(grids
            .iter()
            .any(|h| SeaMask::detect(h, SeaLevel::SrtmZero).samples() > 1000));
    }

    #[test]
    fn a_stair_stepped_coast_is_drawn_smooth() {
        let h = Array2::from_shape_fn((30, 30), |(r, c)| if r + c >= 20 { 0.0f32 } else { 9.0 });
        let m = SeaMask::detect(&h, SeaLevel::SrtmZero);
        // Along the line r + c = 19.5 (between the last land and first sea
        // diagonals), sampled finely away from the grid's edges.
        for k in 0..=40 {
            let r = 6.0 + k as f64 * 0.2;
            let c = 19.5 - r;
            let f = m.fraction(r, c);
            assert!((f - 0.5).abs() < 0.1, "({r}, {c}): {f}");
        }
    }

    #[test]
    fn inland_zero_and_below_sea_level_land_stay_land() {
        let mut h = coast(0.0);
        // An inland lake at exactly 0 m, 5 x 5, not touching the edge.
        for r in 5..10 {
            for c in 3..8 {
                h[[r, c]] = 0.0;
            }
        }
        // A "polder" below sea level behind a dyke, next to the sea.
        for r in 12..16 {
            h[[r, 12]] = -4.0;
        }
        let m = SeaMask::detect(&h, SeaLevel::SrtmZero);
        assert_eq!(m.samples(), 20 * 6);
        assert!(!m.is_sea_sample(7, 5));
        assert!(!m.is_sea_sample(13, 12));
    }

    #[test]
    fn a_small_zero_patch_at_the_edge_is_land_and_voids_do_not_conduct() {
        let mut h = Array2::from_elem((30, 30), 50.0f32);
        // 3 x 3 at the edge: too small.
        for r in 0..3 {
            for c in 0..3 {
                h[[r, c]] = 0.0;
            }
        }
        // A 10 x 10 block of 0 m cut off from the edge by a void column.
        for r in 10..20 {
            h[[r, 0]] = f32::NAN;
            for c in 1..11 {
                h[[r, c]] = 0.0;
            }
        }
        let m = SeaMask::detect(&h, SeaLevel::SrtmZero);
        assert!(m.is_empty());
    }

    #[test]
    fn a_level_takes_everything_at_or_below_it_connected_to_the_edge() {
        let m = SeaMask::detect(&coast(-1.5), SeaLevel::AtOrBelow(-1.0));
        assert_eq!(m.samples(), 120);
        let m = SeaMask::detect(&coast(-1.5), SeaLevel::SrtmZero);
        assert!(m.is_empty());
    }

    /// The interpolated mask everywhere equals the definition computed the
    /// slow way: the full-grid 2-D binomial filter (1 4 6 4 1)² / 256 with
    /// replicated edges, summed sample by sample, then interpolated
    /// bilinearly. Checked on a fine lattice of positions over a grid with
    /// a bay in one corner, a separate sea strip along the bottom and a
    /// large inland area (where the per-cell shortcut answers), bit for bit.
    #[test]
    fn fraction_matches_the_brute_force_definition_everywhere() {
        let (rows, cols) = (40usize, 33usize);
        let h = Array2::from_shape_fn((rows, cols), |(r, c)| {
            let bay = r < 12 && c + r < 14;
            let strip = r >= 36 && c > 5;
            if bay || strip {
                0.0f32
            } else {
                5.0
            }
        });
        let m = SeaMask::detect(&h, SeaLevel::SrtmZero);
        assert!(m.samples() >= 2 * MIN_SEA_SAMPLES);
        let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
        const K: [f64; 5] = [1.0, 4.0, 6.0, 4.0, 1.0];
        let smooth = Array2::from_shape_fn((rows, cols), |(r, c)| {
            let mut sum = 0.0;
            for (a, wa) in K.iter().enumerate() {
                for (b, wb) in K.iter().enumerate() {
                    let rr = clamp(r as isize + a as isize - 2, rows);
                    let cc = clamp(c as isize + b as isize - 2, cols);
                    if m.is_sea_sample(rr, cc) {
                        sum += wa * wb;
                    }
                }
            }
            sum / 256.0
        });
        let mut zeros = 0;
        for i in 0..=(rows - 1) * 7 {
            for j in 0..=(cols - 1) * 7 {
                let (row, col) = (i as f64 / 7.0, j as f64 / 7.0);
                let r0 = (row.floor() as usize).min(rows - 2);
                let c0 = (col.floor() as usize).min(cols - 2);
                let (fr, fc) = (row - r0 as f64, col - c0 as f64);
                let top = smooth[[r0, c0]] * (1.0 - fc) + smooth[[r0, c0 + 1]] * fc;
                let bottom = smooth[[r0 + 1, c0]] * (1.0 - fc) + smooth[[r0 + 1, c0 + 1]] * fc;
                let want = top * (1.0 - fr) + bottom * fr;
                let got = m.fraction(row, col);
                assert_eq!(got.to_bits(), want.to_bits(), "({row}, {col})");
                assert_eq!(m.contains(row, col), want >= 0.5, "({row}, {col})");
                zeros += (want == 0.0) as usize;
            }
        }
        // Both the inland shortcut and the coast were exercised.
        assert!(zeros > 1000 && zeros < (rows * 7 + 1) * (cols * 7 + 1) - 1000);
        assert_eq!(m.fraction(-0.1, 3.0), 0.0);
        assert_eq!(m.fraction(3.0, cols as f64), 0.0);
    }

    /// A window's mask built from the window's sea samples and a margin
    /// of 2 (less where the grid ends) equals [`SeaMask::detect`]'s mask
    /// of the whole grid cut to the window, bit for bit, on a fine lattice
    /// of positions: windows at every corner and edge of the grid, inside
    /// it, and one whose only sea lies in its margin.
    #[test]
    fn a_window_with_a_margin_equals_the_whole_grids_mask() {
        let (rows, cols) = (30usize, 27usize);
        let h = Array2::from_shape_fn((rows, cols), |(r, c)| {
            let bay = r < 12 && c + r < 16;
            let strip = r >= 25 && c > 4;
            let spit = r == 27 && c == 12;
            if (bay || strip) && !spit {
                0.0f32
            } else {
                5.0
            }
        });
        let whole = SeaMask::detect(&h, SeaLevel::SrtmZero);
        assert!(whole.samples() >= 2 * MIN_SEA_SAMPLES);
        let mut dry_windows_with_sea_near = 0;
        for r0 in [0usize, 1, 2, 3, 8, 14, 21, 25] {
            for c0 in [0usize, 1, 3, 9, 16, 20] {
                for (h_, w_) in [(5usize, 7usize), (2, 2), (9, 4)] {
                    let (wr, wc) = (h_.min(rows - r0), w_.min(cols - c0));
                    if wr < 2 || wc < 2 {
                        continue;
                    }
                    let top = r0.min(2);
                    let left = c0.min(2);
                    let bottom = (rows - r0 - wr).min(2);
                    let right = (cols - c0 - wc).min(2);
                    let bits =
                        Array2::from_shape_fn((wr + top + bottom, wc + left + right), |(r, c)| {
                            whole.is_sea_sample(r + r0 - top, c + c0 - left)
                        });
                    let m = SeaMask::from_margin(&bits, (top, left), (wr, wc)).unwrap();
                    assert_eq!(m.dim(), (wr, wc));
                    let inside = (0..wr)
                        .flat_map(|r| (0..wc).map(move |c| (r, c)))
                        .filter(|&(r, c)| whole.is_sea_sample(r + r0, c + c0))
                        .count();
                    assert_eq!(m.samples(), inside);
                    let mut wet = false;
                    for i in 0..=(wr - 1) * 4 {
                        for j in 0..=(wc - 1) * 4 {
                            let (row, col) = (i as f64 / 4.0, j as f64 / 4.0);
                            let want = whole.fraction(row + r0 as f64, col + c0 as f64);
                            let got = m.fraction(row, col);
                            let at = format!("window ({r0}, {c0}) {wr}x{wc} at ({row}, {col})");
                            assert_eq!(got.to_bits(), want.to_bits(), "{at}");
                            assert_eq!(
                                m.contains(row, col),
                                whole.contains(row + r0 as f64, col + c0 as f64),
                                "{at}"
                            );
                            wet |= want > 0.0;
                        }
                    }
                    for r in 0..wr {
                        for c in 0..wc {
                            assert_eq!(m.is_sea_sample(r, c), whole.is_sea_sample(r + r0, c + c0));
                        }
                    }
                    assert_eq!(m.is_dry(), !bits.iter().any(|&b| b));
                    dry_windows_with_sea_near += usize::from(inside == 0 && wet);
                }
            }
        }
        // Some window saw the sea only in its margin.
        assert!(dry_windows_with_sea_near > 0);
        assert!(SeaMask::from_margin(&Array2::from_elem((3, 3), false), (1, 1), (3, 3)).is_none());
    }
}
