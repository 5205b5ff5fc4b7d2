//! Filling voids (nodata holes) from their rims.
//!
//! Each hole, a 4-connected region of void samples, is filled with the
//! *harmonic* (Laplace) interpolation of the heights around it: the filled
//! surface is the one whose every filled sample equals the mean of its four
//! neighbours, with the valid samples on the rim held fixed (a Dirichlet
//! boundary). It is the smoothest surface through the rim, has no peak or
//! pit of its own inside the hole (the maximum principle), and reproduces
//! any plane, and any other discrete-harmonic surface, exactly. Where a
//! hole reaches the raster edge, the missing neighbours beyond the edge are
//! left out of the mean (a zero-slope boundary).
//!
//! The mean is taken in sample space (each neighbour weighs the same), so on
//! a geographic grid whose cells are not square on the ground the fill is
//! harmonic in grid indices rather than in metres. The equations are solved
//! by successive over-relaxation, started from line-by-line linear
//! interpolation across the hole, until no sample moves by more than 0.1 mm.

use std::collections::VecDeque;

use ndarray::Array2;

/// The largest change (metres) of any filled sample in the last iteration
/// at which the solution counts as converged.
pub const FILL_TOLERANCE_M: f64 = 1e-4;

/// Holes larger than this many samples are left void: interpolating over
/// them (a whole missing tile, a lake masked out) would invent a landscape.
pub const MAX_FILL_SAMPLES: usize = 250_000;

/// What [`fill_voids`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FillReport {
    /// Number of holes (4-connected void regions) filled.
    pub holes: usize,
    /// Number of samples filled.
    pub samples: usize,
    /// Holes left void because they exceed [`MAX_FILL_SAMPLES`].
    pub too_large: usize,
}

/// Marks a sample of the hole being collected (never a real height).
const IN_HOLE: f32 = f32::INFINITY;
/// Marks a sample of a hole too large to fill, until the pass ends.
const TOO_LARGE: f32 = f32::NEG_INFINITY;

/// Fills every void of `heights` (`NaN`) by harmonic interpolation from the
/// rim of its hole. Holes over [`MAX_FILL_SAMPLES`] samples, and a grid with
/// no valid sample at all, are left void.
pub fn fill_voids(heights: &mut Array2<f32>) -> FillReport {
    let mut report = FillReport::default();
    if heights.iter().all(|h| h.is_nan()) {
        return report;
    }
    let (rows, cols) = heights.dim();
    let mut skipped = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            if heights[[r, c]].is_nan() {
                let hole = collect_hole(heights, r, c);
                if hole.len() > MAX_FILL_SAMPLES {
                    report.too_large += 1;
                    for &(r, c) in &hole {
                        heights[[r as usize, c as usize]] = TOO_LARGE;
                    }
                    skipped.extend_from_slice(&hole);
                    continue;
                }
                report.holes += 1;
                report.samples += hole.len();
                fill_hole(heights, &hole);
            }
        }
    }
    for (r, c) in skipped {
        heights[[r as usize, c as usize]] = f32::NAN;
    }
    report
}

/// The samples of the hole containing (`r`, `c`), each marked [`IN_HOLE`].
fn collect_hole(h: &mut Array2<f32>, r: usize, c: usize) -> Vec<(u32, u32)> {
    let (rows, cols) = h.dim();
    let mut hole = Vec::new();
    let mut queue = VecDeque::from([(r, c)]);
    h[[r, c]] = IN_HOLE;
    while let Some((r, c)) = queue.pop_front() {
        hole.push((r as u32, c as u32));
        for (rr, cc) in neighbours(r, c, rows, cols).into_iter().flatten() {
            if h[[rr, cc]].is_nan() {
                h[[rr, cc]] = IN_HOLE;
                queue.push_back((rr, cc));
            }
        }
    }
    hole
}

/// The up-to-four edge neighbours of (`r`, `c`) inside a `rows` x `cols` grid.
fn neighbours(r: usize, c: usize, rows: usize, cols: usize) -> [Option<(usize, usize)>; 4] {
    [
        (r > 0).then(|| (r - 1, c)),
        (r + 1 < rows).then(|| (r + 1, c)),
        (c > 0).then(|| (r, c - 1)),
        (c + 1 < cols).then(|| (r, c + 1)),
    ]
}

fn fill_hole(h: &mut Array2<f32>, hole: &[(u32, u32)]) {
    let (rows, cols) = h.dim();
    let (mut r0, mut r1, mut c0, mut c1) = (u32::MAX, 0, u32::MAX, 0);
    for &(r, c) in hole {
        (r0, r1, c0, c1) = (r0.min(r), r1.max(r), c0.min(c), c1.max(c));
    }
    let (r0, c0) = (r0 as usize, c0 as usize);
    let (bh, bw) = (r1 as usize - r0 + 1, c1 as usize - c0 + 1);
    // Index of each hole sample in `values`, by position in the bounding box.
    let mut index = Array2::<u32>::from_elem((bh, bw), u32::MAX);
    for (i, &(r, c)) in hole.iter().enumerate() {
        index[[r as usize - r0, c as usize - c0]] = i as u32;
    }
    let mut values = initial_guess(h, &index, r0, c0, hole.len());
    // Neighbour lists: each entry is either a hole index or a fixed height.
    enum Nb {
        Hole(u32),
        Fixed(f64),
    }
    let stencils: Vec<Vec<Nb>> = hole
        .iter()
        .map(|&(r, c)| {
            neighbours(r as usize, c as usize, rows, cols)
                .into_iter()
                .flatten()
                .filter(|&(rr, cc)| h[[rr, cc]] != TOO_LARGE)
                .map(|(rr, cc)| {
                    let v = h[[rr, cc]];
                    if v == IN_HOLE {
                        Nb::Hole(index[[rr - r0, cc - c0]])
                    } else {
                        Nb::Fixed(v as f64)
                    }
                })
                .collect()
        })
        .collect();
    let span = bh.max(bw) as f64;
    let omega = 2.0 / (1.0 + (std::f64::consts::PI / (span + 1.0)).sin());
    let max_iterations = 50 * (bh.max(bw) + 10);
    for _ in 0..max_iterations {
        let mut largest = 0.0f64;
        for (i, stencil) in stencils.iter().enumerate() {
            if stencil.is_empty() {
                continue;
            }
            let sum: f64 = stencil
                .iter()
                .map(|nb| match *nb {
                    Nb::Hole(j) => values[j as usize],
                    Nb::Fixed(z) => z,
                })
                .sum();
            let mean = sum / stencil.len() as f64;
            let delta = omega * (mean - values[i]);
            values[i] += delta;
            largest = largest.max(delta.abs());
        }
        if largest < FILL_TOLERANCE_M {
            break;
        }
    }
    for (&(r, c), v) in hole.iter().zip(values) {
        h[[r as usize, c as usize]] = v as f32;
    }
}

/// A starting surface: the mean of linear interpolation across the hole
/// along its row and along its column (one-sided where the hole reaches the
/// raster edge or another hole), in one pass over the bounding box.
fn initial_guess(h: &Array2<f32>, index: &Array2<u32>, r0: usize, c0: usize, n: usize) -> Vec<f64> {
    let known = |v: f32| v.is_finite().then_some(v as f64);
    let (rows, cols) = h.dim();
    let (bh, bw) = index.dim();
    let mut sum = vec![0.0f64; n];
    let mut count = vec![0u8; n];
    // Interpolates across each run of hole samples on one line of the grid.
    let mut sweep = |line: &[(usize, usize)], outside: (Option<f64>, Option<f64>)| {
        let mut i = 0;
        while i < line.len() {
            let (r, c) = line[i];
            if index[[r - r0, c - c0]] == u32::MAX {
                i += 1;
                continue;
            }
            let start = i;
            while i < line.len() && index[[line[i].0 - r0, line[i].1 - c0]] != u32::MAX {
                i += 1;
            }
            let before = if start == 0 {
                outside.0
            } else {
                known(h[line[start - 1]])
            };
            let after = if i == line.len() {
                outside.1
            } else {
                known(h[line[i]])
            };
            let len = (i - start + 1) as f64;
            for (k, &(r, c)) in line[start..i].iter().enumerate() {
                let v = match (before, after) {
                    (Some(a), Some(b)) => a + (b - a) * (k + 1) as f64 / len,
                    (Some(z), None) | (None, Some(z)) => z,
                    (None, None) => continue,
                };
                let j = index[[r - r0, c - c0]] as usize;
                sum[j] += v;
                count[j] += 1;
            }
        }
    };
    for r in r0..r0 + bh {
        let line: Vec<(usize, usize)> = (c0..c0 + bw).map(|c| (r, c)).collect();
        let before = (c0 > 0).then(|| known(h[[r, c0 - 1]])).flatten();
        let after = (c0 + bw < cols).then(|| known(h[[r, c0 + bw]])).flatten();
        sweep(&line, (before, after));
    }
    for c in c0..c0 + bw {
        let line: Vec<(usize, usize)> = (r0..r0 + bh).map(|r| (r, c)).collect();
        let before = (r0 > 0).then(|| known(h[[r0 - 1, c]])).flatten();
        let after = (r0 + bh < rows).then(|| known(h[[r0 + bh, c]])).flatten();
        sweep(&line, (before, after));
    }
    let (mut total, mut seen) = (0.0, 0usize);
    for (s, &k) in sum.iter().zip(&count) {
        if k > 0 {
            total += s / k as f64;
            seen += 1;
        }
    }
    let fallback = if seen > 0 { total / seen as f64 } else { 0.0 };
    sum.iter()
        .zip(&count)
        .map(|(s, &k)| if k > 0 { s / k as f64 } else { fallback })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A discrete-harmonic surface: its 4-neighbour mean equals its value.
    fn saddle(r: usize, c: usize) -> f32 {
        let (x, y) = (c as f32 - 20.0, r as f32 - 15.0);
        500.0 + 0.05 * (x * x - y * y) + 1.5 * x - 0.7 * y
    }

    #[test]
    fn a_hole_in_a_harmonic_surface_is_filled_with_that_surface() {
        let mut h = Array2::from_shape_fn((40, 50), |(r, c)| saddle(r, c));
        // an irregular hole: a rectangle plus a notch
        for r in 10..25 {
            for c in 12..30 {
                h[[r, c]] = f32::NAN;
            }
        }
        for r in 25..30 {
            h[[r, 20]] = f32::NAN;
        }
        let report = fill_voids(&mut h);
        assert_eq!(report.holes, 1);
        assert_eq!(report.samples, 15 * 18 + 5);
        for ((r, c), &v) in h.indexed_iter() {
            assert!(
                (v - saddle(r, c)).abs() < 0.01,
                "({r},{c}): {v} vs {}",
                saddle(r, c)
            );
        }
    }

    #[test]
    fn separate_holes_are_counted_and_a_void_grid_is_left_alone() {
        let mut h = Array2::from_shape_fn((10, 10), |(r, c)| (r + c) as f32);
        h[[2, 2]] = f32::NAN;
        h[[7, 7]] = f32::NAN;
        h[[7, 8]] = f32::NAN;
        let report = fill_voids(&mut h);
        assert_eq!(
            report,
            FillReport {
                holes: 2,
                samples: 3,
                too_large: 0
            }
        );
        assert!((h[[7, 8]] - 15.0).abs() < 1e-3);
        let mut all_void = Array2::from_elem((3, 3), f32::NAN);
        assert_eq!(fill_voids(&mut all_void), FillReport::default());
        assert!(all_void.iter().all(|v| v.is_nan()));
    }
}
