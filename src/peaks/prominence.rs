//! The prominence sweep: every summit of a grid with its key col, in one pass.
//!
//! This is the union-find sweep of Kirmse & de Ferranti (2017, "Calculating
//! the prominence and isolation of every mountain in the world"): samples
//! are visited from the highest down and joined to their already visited
//! 8-connected neighbours. A visited region always holds exactly one
//! summit, its highest; when a level joins two regions it is the key col of
//! the lower region's summit, whose prominence is its height minus the
//! col's, and whose parent is the higher region's summit.
//!
//! Ties and flats are handled level by level: all samples of one height are
//! visited together and split into *flats*, connected sets of equal height.
//! A flat with no higher neighbour is one summit however many samples it
//! has (a plateau); a flat touching one higher region joins it; a flat
//! touching several is their common col. Summits of equal height are
//! ordered by their first sample in row-major order (north first, then
//! west first): the earlier one counts as the higher, so every result is
//! deterministic and does not depend on threads or memory layout.
//!
//! Voids (`NaN`) are neither land nor cols: they are never visited, so no
//! region grows through them.

use ndarray::Array2;

/// Marks a sample not yet visited in the union-find parent array.
const UNVISITED: u32 = u32::MAX;

/// One summit as the sweep finds it, in sample indices.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSummit {
    /// The summit's representative sample `(row, col)`: on a plateau, the
    /// sample nearest the plateau's centroid (first in row-major order on a tie).
    pub sample: (usize, usize),
    /// Height of the summit, metres.
    pub elevation: f32,
    /// Number of samples of the summit's plateau (1 for a single-sample summit).
    pub plateau_samples: usize,
    /// The key col, `None` for the highest summit of a connected piece of land.
    pub key_col: Option<SweepCol>,
    /// For a summit without key col: the lowest height of its connected
    /// piece of land, metres (its prominence is measured down to it).
    pub base: f32,
    /// `true` when the key col touches the edge of the data (the raster's
    /// border or a void), or there is no key col: the prominence is then
    /// bounded by the edge rather than measured.
    pub edge_limited: bool,
    /// `true` when the ground the summit dominated before its key col (the
    /// samples joined to it above the col's height) touches the edge of the
    /// data: a higher col beyond the edge cannot be ruled out, so the
    /// prominence is an upper bound. Always `true` without key col.
    pub reached_edge: bool,
}

/// The key col of a summit, in sample indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepCol {
    /// A sample of the col `(row, col)`, adjacent to the summit's region.
    pub sample: (usize, usize),
    /// Height of the col, metres.
    pub elevation: f32,
    /// Index (into the sweep's summit list) of the parent: the highest
    /// summit of the higher region the col joins.
    pub parent: usize,
}

/// The visiting order: non-void sample indices from the highest down,
/// row-major within a height; and where each height's run ends in it.
fn descending_order(heights: &[f32]) -> (Vec<u32>, Vec<usize>) {
    let integer = heights
        .iter()
        .all(|&h| h.is_nan() || (h.fract() == 0.0 && (-32768.0..=32767.0).contains(&h)));
    if integer {
        // Counting sort over the 65 536 possible 16-bit heights: O(n), stable.
        let bucket = |h: f32| (32767 - h as i32) as usize;
        let mut counts = vec![0u32; 65537];
        for &h in heights {
            if !h.is_nan() {
                counts[bucket(h) + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let total = counts[65536] as usize;
        let mut ends: Vec<usize> = counts[1..].iter().map(|&c| c as usize).collect();
        ends.dedup();
        ends.retain(|&e| e > 0);
        let mut order = vec![0u32; total];
        for (i, &h) in heights.iter().enumerate() {
            if !h.is_nan() {
                let b = bucket(h);
                order[counts[b] as usize] = i as u32;
                counts[b] += 1;
            }
        }
        (order, ends)
    } else {
        use rayon::prelude::*;
        // Map the float's bits to an unsigned key with the same order, then
        // invert it so that the highest sorts first; the index breaks ties.
        let mut keys: Vec<u64> = heights
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_nan())
            .map(|(i, &h)| {
                let h = if h == 0.0 { 0.0f32 } else { h }; // -0 and +0 are one height
                let b = h.to_bits();
                let ordered = if b >> 31 == 1 { !b } else { b | 0x8000_0000 };
                ((!ordered as u64) << 32) | i as u64
            })
            .collect();
        keys.par_sort_unstable();
        let mut ends: Vec<usize> = (1..keys.len())
            .filter(|&k| keys[k] >> 32 != keys[k - 1] >> 32)
            .collect();
        if !keys.is_empty() {
            ends.push(keys.len());
        }
        (indices_of(keys), ends)
    }
}

/// A sample in the sweep: its height (metres, `NaN` for a void) and its
/// union-find parent ([`UNVISITED`] before its level is visited).
#[derive(Clone, Copy)]
struct Cell {
    h: f32,
    parent: u32,
}

/// The sample indices of sorted keys.
fn indices_of(keys: Vec<u64>) -> Vec<u32> {
    keys.into_iter().map(|k| k as u32).collect()
}

/// Union-find over sample indices, with the summit each region holds.
struct Regions {
    /// Each sample's height and union-find parent side by side, so that
    /// looking at a neighbour costs one memory access, not two.
    cells: Vec<Cell>,
    /// Size of each root's set (union by size).
    size: Vec<u32>,
    /// Summit index held by each root.
    summit: Vec<u32>,
}

impl Regions {
    fn find(&mut self, mut i: u32) -> u32 {
        // Path halving.
        while self.cells[i as usize].parent != i {
            let p = self.cells[i as usize].parent;
            let gp = self.cells[p as usize].parent;
            self.cells[i as usize].parent = gp;
            i = gp;
        }
        i
    }

    /// Joins the sets of roots `a` and `b`; the result holds `summit`.
    fn union(&mut self, a: u32, b: u32, summit: u32) -> u32 {
        if a == b {
            self.summit[a as usize] = summit;
            return a;
        }
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] {
            (a, b)
        } else {
            (b, a)
        };
        self.cells[small as usize].parent = big;
        self.size[big as usize] += self.size[small as usize];
        self.summit[big as usize] = summit;
        big
    }
}

/// Per-summit region state during the sweep.
struct RegionState {
    /// The region touches the raster border or a void.
    touches_edge: bool,
    /// Lowest height reached by the region so far, metres.
    lowest: f32,
}

/// Every summit of `heights` (row 0 to the north, `NaN` for voids), ordered
/// from the highest down (ties as described in the module documentation).
///
/// Fails only when the grid has 2³² samples or more.
pub fn sweep(heights: &Array2<f32>) -> Result<Vec<SweepSummit>, String> {
    let (rows, cols) = heights.dim();
    let n = rows * cols;
    if n >= UNVISITED as usize {
        return Err(format!(
            "the grid has {n} samples; the summit sweep handles fewer than {UNVISITED}"
        ));
    }
    let flat_heights: Vec<f32>;
    let h: &[f32] = match heights.as_slice() {
        Some(s) => s,
        None => {
            flat_heights = heights.iter().copied().collect();
            &flat_heights
        }
    };
    let (order, run_ends) = descending_order(h);
    let mut regions = Regions {
        cells: h
            .iter()
            .map(|&h| Cell {
                h,
                parent: UNVISITED,
            })
            .collect(),
        size: vec![1; n],
        summit: vec![0; n],
    };
    let mut summits: Vec<SweepSummit> = Vec::new();
    let mut state: Vec<RegionState> = Vec::new();

    // Offsets of the 8 neighbours of an interior sample.
    let w = cols as isize;
    let offsets = [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1];
    // The neighbours of sample `i` into `out`; returns how many, and
    // whether `i` lies on the raster's border.
    let neighbours = |i: usize, out: &mut [usize; 8]| -> (usize, bool) {
        let (r, c) = (i / cols, i % cols);
        if r > 0 && c > 0 && r + 1 < rows && c + 1 < cols {
            for (o, off) in out.iter_mut().zip(offsets) {
                *o = (i as isize + off) as usize;
            }
            return (8, false);
        }
        let mut k = 0;
        for dr in [-1isize, 0, 1] {
            for dc in [-1isize, 0, 1] {
                let (rr, cc) = (r as isize + dr, c as isize + dc);
                if (dr != 0 || dc != 0)
                    && rr >= 0
                    && cc >= 0
                    && (rr as usize) < rows
                    && (cc as usize) < cols
                {
                    out[k] = rr as usize * cols + cc as usize;
                    k += 1;
                }
            }
        }
        (k, true)
    };
    let mut around = [0usize; 8];

    let mut flat: Vec<u32> = Vec::new();
    // Higher regions met by the current flat: (root, a flat sample next to it).
    let mut higher: Vec<(u32, u32)> = Vec::new();
    let mut start = 0;
    for end in run_ends {
        let level = h[order[start] as usize];
        for &seed in &order[start..end] {
            if regions.cells[seed as usize].parent != UNVISITED {
                continue;
            }
            // Collect the flat of `seed` breadth-first, visiting it.
            flat.clear();
            higher.clear();
            regions.cells[seed as usize].parent = seed;
            flat.push(seed);
            let mut on_edge = false;
            let mut next = 0;
            while next < flat.len() {
                let i = flat[next] as usize;
                next += 1;
                let (count, mut edge_here) = neighbours(i, &mut around);
                for &j in &around[..count] {
                    let cell = regions.cells[j];
                    let hj = cell.h;
                    if hj.is_nan() {
                        edge_here = true;
                    } else if hj == level {
                        if cell.parent == UNVISITED {
                            regions.cells[j].parent = j as u32;
                            flat.push(j as u32);
                        }
                    } else if hj > level {
                        let root = regions.find(j as u32);
                        if !higher.iter().any(|&(r, _)| r == root) {
                            higher.push((root, i as u32));
                        }
                    }
                }
                on_edge |= edge_here;
            }
            // Make the flat one set rooted at the seed.
            for &i in &flat[1..] {
                regions.cells[i as usize].parent = seed;
            }
            regions.size[seed as usize] = flat.len() as u32;

            if higher.is_empty() {
                let id = summits.len() as u32;
                regions.summit[seed as usize] = id;
                summits.push(SweepSummit {
                    sample: centre_of(&flat, cols),
                    elevation: level,
                    plateau_samples: flat.len(),
                    key_col: None,
                    base: level,
                    edge_limited: true,
                    reached_edge: true,
                });
                state.push(RegionState {
                    touches_edge: on_edge,
                    lowest: level,
                });
                continue;
            }
            // Roots may have merged since they were recorded (not within a
            // flat: only here), so resolve them again and drop duplicates.
            for entry in higher.iter_mut() {
                entry.0 = regions.find(entry.0);
            }
            higher.sort_by_key(|&(root, _)| regions.summit[root as usize]);
            higher.dedup_by_key(|(root, _)| *root);
            let winner = regions.summit[higher[0].0 as usize];
            let mut root = regions.union(seed, higher[0].0, winner);
            for &(other, sample) in &higher[1..] {
                let loser = regions.summit[other as usize] as usize;
                let s = &mut summits[loser];
                s.key_col = Some(SweepCol {
                    sample: ((sample as usize) / cols, (sample as usize) % cols),
                    elevation: level,
                    parent: winner as usize,
                });
                s.edge_limited = on_edge;
                s.reached_edge = state[loser].touches_edge || on_edge;
                let loser_edge = state[loser].touches_edge;
                state[winner as usize].touches_edge |= loser_edge;
                root = regions.union(root, other, winner);
            }
            let w = &mut state[winner as usize];
            w.touches_edge |= on_edge;
            w.lowest = level;
        }
        start = end;
    }
    for (s, st) in summits.iter_mut().zip(&state) {
        if s.key_col.is_none() {
            s.base = st.lowest;
        }
    }
    Ok(summits)
}

/// The sample of `flat` nearest its centroid, first in row-major order on a tie.
fn centre_of(flat: &[u32], cols: usize) -> (usize, usize) {
    if flat.len() == 1 {
        let i = flat[0] as usize;
        return (i / cols, i % cols);
    }
    let k = flat.len() as f64;
    let (sr, sc) = flat.iter().fold((0.0, 0.0), |(a, b), &i| {
        let i = i as usize;
        (a + (i / cols) as f64, b + (i % cols) as f64)
    });
    let (cr, cc) = (sr / k, sc / k);
    let mut best = (f64::INFINITY, usize::MAX);
    for &i in flat {
        let i = i as usize;
        let d = ((i / cols) as f64 - cr).powi(2) + ((i % cols) as f64 - cc).powi(2);
        if d < best.0 || (d == best.0 && i < best.1) {
            best = (d, i);
        }
    }
    (best.1 / cols, best.1 % cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_hills_and_their_col() {
        // 9 and 7 m hills joined by a 4 m col, on a 1 m floor.
        let h = array![
            [1.0f32, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            [1.0, 9.0, 4.0, 4.0, 4.0, 7.0, 1.0],
            [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        ];
        let s = sweep(&h).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].sample, (1, 1));
        assert!(s[0].key_col.is_none());
        assert_eq!(s[0].base, 1.0);
        let col = s[1].key_col.unwrap();
        assert_eq!((s[1].sample, col.elevation, col.parent), ((1, 5), 4.0, 0));
        // The col is the 4 m flat's sample next to the 7 m hill.
        assert_eq!(col.sample, (1, 4));
        assert!(!s[1].edge_limited && !s[1].reached_edge);
    }

    #[test]
    fn a_plateau_is_one_summit_and_voids_do_not_connect() {
        let n = f32::NAN;
        let h = array![
            [2.0f32, 2.0, 2.0, n, 2.0],
            [2.0, 5.0, 5.0, n, 3.0],
            [2.0, 5.0, 5.0, n, 2.0],
        ];
        let s = sweep(&h).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].plateau_samples, 4);
        assert_eq!(s[0].elevation, 5.0);
        // Two pieces of land: neither summit has a col.
        assert!(s.iter().all(|s| s.key_col.is_none() && s.edge_limited));
        assert_eq!(s[1].sample, (1, 4));
        assert_eq!(s[1].base, 2.0);
    }

    #[test]
    fn float_heights_sort_like_integers() {
        let h = array![[0.5f32, -3.25, 7.75], [-0.0, 0.0, 1e-3]];
        let (order, ends) = descending_order(h.as_slice().unwrap());
        assert_eq!(order, vec![2, 0, 5, 3, 4, 1]);
        assert_eq!(ends, vec![1, 2, 3, 5, 6]);
        let h = array![[3.0f32, -2.0, 7.0], [f32::NAN, 0.0, 3.0]];
        let (order, ends) = descending_order(h.as_slice().unwrap());
        assert_eq!(order, vec![2, 0, 5, 4, 1]);
        assert_eq!(ends, vec![1, 3, 4, 5]);
    }
}
