//! Isolation: how far a summit is from the nearest higher ground.
//!
//! The search looks at square rings of blocks around the summit, nearest
//! first, and skips every block whose highest sample is not above the
//! summit; it stops once no sample of the next ring can be nearer than the
//! best found. Candidates are compared by ground distance in the local
//! metric (cell sizes at the latitude midway between the two samples); the
//! winner's distance is then measured along the WGS84 geodesic.

use crate::dem::Dem;

/// Side of a block of samples, in samples.
const BLOCK: usize = 32;

/// The grid summarised for isolation searches.
pub(crate) struct HigherGround<'a> {
    dem: &'a Dem,
    rows: usize,
    cols: usize,
    brows: usize,
    bcols: usize,
    /// Highest height of each block, metres (`-inf` for an all-void block).
    block_max: Vec<f32>,
    /// Whether each block holds a void.
    block_void: Vec<bool>,
    /// Ground size `(east-west, north-south)` of a cell at each row, metres.
    cell_m: Vec<(f64, f64)>,
    /// Smallest ground size of a cell anywhere in the grid, metres.
    min_cell_m: f64,
}

/// What the search found for one summit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Nearest {
    /// The nearest sample strictly higher than the summit, `(row, col)`.
    pub higher: Option<(usize, usize)>,
    /// `true` when the raster's border or a void is nearer than that sample
    /// (or there is no higher sample): higher ground may hide there.
    pub edge_limited: bool,
}

impl<'a> HigherGround<'a> {
    /// Summarises `dem` in blocks.
    pub fn new(dem: &'a Dem) -> Self {
        let (rows, cols) = (dem.rows(), dem.cols());
        let (brows, bcols) = (rows.div_ceil(BLOCK), cols.div_ceil(BLOCK));
        let mut block_max = vec![f32::NEG_INFINITY; brows * bcols];
        let mut block_void = vec![false; brows * bcols];
        for ((r, c), &h) in dem.heights.indexed_iter() {
            let b = (r / BLOCK) * bcols + c / BLOCK;
            if h.is_nan() {
                block_void[b] = true;
            } else if h > block_max[b] {
                block_max[b] = h;
            }
        }
        let cell_m: Vec<(f64, f64)> = (0..rows).map(|r| dem.cell_size_m(r as f64)).collect();
        let min_cell_m = cell_m
            .iter()
            .map(|&(x, y)| x.min(y))
            .fold(f64::INFINITY, f64::min)
            .max(1e-9);
        HigherGround {
            dem,
            rows,
            cols,
            brows,
            bcols,
            block_max,
            block_void,
            cell_m,
            min_cell_m,
        }
    }

    /// Local-metric ground distance in metres between two samples.
    fn distance_m(&self, (r0, c0): (usize, usize), (r1, c1): (usize, usize)) -> f64 {
        let (dx, dy) = self.cell_m[(r0 + r1) / 2];
        ((r1 as f64 - r0 as f64) * dy).hypot((c1 as f64 - c0 as f64) * dx)
    }

    /// Ground distance in metres from a sample to the nearest raster border
    /// (to the outer edge of the border samples).
    fn border_m(&self, (r, c): (usize, usize)) -> f64 {
        let (dx, dy) = self.cell_m[r];
        let north = (r as f64 + 0.5) * dy;
        let south = ((self.rows - 1 - r) as f64 + 0.5) * dy;
        let west = (c as f64 + 0.5) * dx;
        let east = ((self.cols - 1 - c) as f64 + 0.5) * dx;
        north.min(south).min(west).min(east)
    }

    /// The nearest sample higher than `elevation` from `at`.
    pub fn nearest_higher(&self, at: (usize, usize), elevation: f32) -> Nearest {
        let (br, bc) = ((at.0 / BLOCK) as isize, (at.1 / BLOCK) as isize);
        let mut best: Option<(f64, (usize, usize))> = None;
        let mut nearest_void = f64::INFINITY;
        let max_ring = self.brows.max(self.bcols) as isize;
        for k in 0..=max_ring {
            // No sample of ring k is nearer than (k - 1) whole blocks.
            let bound = ((k - 1).max(0) as usize * BLOCK) as f64 * self.min_cell_m;
            if best.is_some_and(|(d, _)| bound > d) {
                break;
            }
            for rr in (br - k)..=(br + k) {
                if rr < 0 || rr as usize >= self.brows {
                    continue;
                }
                let on_ring_row = rr == br - k || rr == br + k;
                let step = if on_ring_row { 1 } else { (2 * k).max(1) };
                let mut cc = bc - k;
                while cc <= bc + k {
                    if cc >= 0 && (cc as usize) < self.bcols {
                        self.scan_block(
                            rr as usize,
                            cc as usize,
                            at,
                            elevation,
                            &mut best,
                            &mut nearest_void,
                        );
                    }
                    cc += step;
                }
            }
        }
        let border = self.border_m(at);
        match best {
            Some((d, sample)) => Nearest {
                higher: Some(sample),
                edge_limited: border < d || nearest_void < d,
            },
            None => Nearest {
                higher: None,
                edge_limited: true,
            },
        }
    }

    fn scan_block(
        &self,
        br: usize,
        bc: usize,
        at: (usize, usize),
        elevation: f32,
        best: &mut Option<(f64, (usize, usize))>,
        nearest_void: &mut f64,
    ) {
        let b = br * self.bcols + bc;
        let higher_here = self.block_max[b] > elevation;
        let void_here = self.block_void[b];
        if !higher_here && !void_here {
            return;
        }
        let h = &self.dem.heights;
        for r in br * BLOCK..((br + 1) * BLOCK).min(self.rows) {
            for c in bc * BLOCK..((bc + 1) * BLOCK).min(self.cols) {
                let v = h[[r, c]];
                if v.is_nan() {
                    let d = self.distance_m(at, (r, c));
                    if d < *nearest_void {
                        *nearest_void = d;
                    }
                } else if v > elevation {
                    let d = self.distance_m(at, (r, c));
                    if best.is_none_or(|(bd, bs)| d < bd || (d == bd && (r, c) < bs)) {
                        *best = Some((d, (r, c)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dem::{Crs, GeoTransform};
    use ndarray::Array2;

    fn dem(h: Array2<f32>) -> Dem {
        Dem {
            heights: h,
            transform: GeoTransform::from_first_sample(0.0, 1000.0, 10.0, 10.0),
            crs: Crs::Projected {
                epsg: 32631,
                proj: String::new(),
            },
            inputs: vec![],
        }
    }

    #[test]
    fn finds_the_nearest_higher_sample_far_away_across_blocks() {
        let mut h = Array2::from_elem((100, 150), 1.0f32);
        h[[50, 75]] = 10.0;
        h[[50, 140]] = 11.0; // 65 cells east
        h[[10, 75]] = 12.0; // 40 cells north: nearer
        let d = dem(h);
        let g = HigherGround::new(&d);
        let n = g.nearest_higher((50, 75), 10.0);
        assert_eq!(n.higher, Some((10, 75)));
        // The border is 500 m west of... 50 rows = 505 m south; 400 m to the higher sample.
        assert!(!n.edge_limited);
        let n = g.nearest_higher((10, 75), 12.0);
        assert_eq!(n.higher, None);
        assert!(n.edge_limited);
        // From (50, 140) the east border (95 m) is nearer than any higher ground.
        let n = g.nearest_higher((50, 140), 11.0);
        assert_eq!(n.higher, Some((10, 75)));
        assert!(n.edge_limited);
    }
}
