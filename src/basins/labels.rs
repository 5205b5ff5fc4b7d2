//! From walkers' endings to numbered basins.
//!
//! Every cell a walker ended in is a node. Nodes are merged with a
//! union-find:
//!
//! - sinks (converged, out of steps, diverged) within one cell of each other
//!   (8-neighbours), since walkers settle at slightly different points of the
//!   same pit;
//! - sinks on the same flat (a connected region of exactly equal heights);
//! - void outlets in the same connected void region.
//!
//! Edge and below-sea outlets are not merged: each outlet cell on the raster
//! edge or on the coast drains its own basin, as in hydrology (merging
//! neighbouring outlets would chain a whole coastline into one basin).
//!
//! Basin ids count from 1 in order of decreasing area; 0 means no walker
//! started in the cell.

use std::collections::HashMap;

use ndarray::Array2;
use rayon::prelude::*;

use super::fill::NEIGHBOURS;
use super::walk::{Walks, NO_START};
use crate::agents::StopReason;
use crate::terrain::RowMetrics;

/// One basin of attraction.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Basin {
    /// Id, from 1 (the largest).
    pub id: u32,
    /// Row of the basin's outlet: its lowest end cell.
    pub outlet_row: usize,
    /// Column of the outlet.
    pub outlet_col: usize,
    /// Height of the outlet in metres (`NaN` for a void outlet).
    pub elevation: f64,
    /// How the walkers that define the outlet ended.
    pub ending: StopReason,
    /// Walkers that ended in the basin.
    pub starts: usize,
    /// Area in km², each start standing for `stride²` cells of its row's size.
    pub area_km2: f64,
}

/// The basins of a raster.
#[derive(Debug, Clone)]
pub struct Basins {
    /// Basin id of every cell, 0 where no walker started.
    pub labels: Array2<u32>,
    /// The basins, `basins[id - 1]`.
    pub basins: Vec<Basin>,
}

/// A union-find over node indices (path halving, union by size).
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut a: u32) -> u32 {
        while self.parent[a as usize] != a {
            let p = self.parent[self.parent[a as usize] as usize];
            self.parent[a as usize] = p;
            a = p;
        }
        a
    }

    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// Calls `visit` on every cell of the 8-connected region of `start` whose
/// cells satisfy `same` (`start` included), marking them in `seen`; cells
/// already seen are not entered. Depth first, on an explicit stack: the
/// region may be a whole sea at 0 m (millions of cells).
fn flood_region(
    start: usize,
    rows: usize,
    cols: usize,
    seen: &mut [bool],
    stack: &mut Vec<usize>,
    same: impl Fn(usize) -> bool,
    mut visit: impl FnMut(usize),
) {
    stack.clear();
    stack.push(start);
    seen[start] = true;
    while let Some(i) = stack.pop() {
        visit(i);
        let (r, c) = (i / cols, i % cols);
        for &(dr, dc) in &NEIGHBOURS {
            let (nr, nc) = (r.wrapping_add_signed(dr), c.wrapping_add_signed(dc));
            if nr >= rows || nc >= cols {
                continue;
            }
            let j = nr * cols + nc;
            if !seen[j] && same(j) {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
}

/// Marks a cell where no walker started, in the basin of each start.
const NO_BASIN: u32 = u32::MAX;

/// Marks a cell where no walk ended in [`Nodes::node_of`].
const NO_NODE: u32 = u32::MAX;

/// The end cells of the walks, one node each.
struct Nodes {
    /// Node of every cell (dense, row-major), [`NO_NODE`] where no walk ended.
    node_of: Vec<u32>,
    /// Row-major cell of each node.
    cells: Vec<u32>,
    /// Whether any walker settled at the node as a sink.
    sink: Vec<bool>,
    /// How the walkers ended there (a sink's ending when there is one).
    ending: Vec<StopReason>,
}

impl Nodes {
    /// The nodes of `walks` on a raster of `len` cells.
    fn of(walks: &Walks, len: usize) -> Nodes {
        let mut nodes = Nodes {
            node_of: vec![NO_NODE; len],
            cells: Vec::new(),
            sink: Vec::new(),
            ending: Vec::new(),
        };
        for (i, &end) in walks.end.iter().enumerate() {
            if end == NO_START {
                continue;
            }
            let e = StopReason::from_u8(walks.ending[i]);
            let slot = &mut nodes.node_of[end as usize];
            if *slot == NO_NODE {
                nodes.cells.push(end);
                nodes.sink.push(false);
                nodes.ending.push(e);
                *slot = (nodes.cells.len() - 1) as u32;
            }
            let n = *slot;
            if e.is_sink() && !nodes.sink[n as usize] {
                nodes.sink[n as usize] = true;
                nodes.ending[n as usize] = e;
            }
        }
        nodes
    }
}

/// Merges sinks within a cell (8-neighbours) of each other.
fn merge_neighbouring_sinks(nodes: &Nodes, rows: usize, cols: usize, uf: &mut UnionFind) {
    for (n, &cell) in nodes.cells.iter().enumerate() {
        if !nodes.sink[n] {
            continue;
        }
        let (r, c) = (
            (cell as usize / cols) as isize,
            (cell as usize % cols) as isize,
        );
        for &(dr, dc) in &NEIGHBOURS {
            let (nr, nc) = (r + dr, c + dc);
            if nr < 0 || nc < 0 || nr as usize >= rows || nc as usize >= cols {
                continue;
            }
            let m = nodes.node_of[nr as usize * cols + nc as usize];
            if m != NO_NODE && nodes.sink[m as usize] {
                uf.union(n as u32, m);
            }
        }
    }
}

/// Merges sinks on the same flat and void outlets in the same void;
/// `height(i)` is the height of row-major cell `i`.
fn merge_flats_and_voids(
    nodes: &Nodes,
    rows: usize,
    cols: usize,
    height: &impl Fn(usize) -> f32,
    uf: &mut UnionFind,
) {
    let mut seen = vec![false; rows * cols];
    let mut stack = Vec::new();
    for (n, &cell) in nodes.cells.iter().enumerate() {
        let cell = cell as usize;
        if seen[cell] {
            continue;
        }
        let z = height(cell);
        let void = z.is_nan();
        if !void && !nodes.sink[n] {
            continue;
        }
        let same = |j: usize| {
            let h = height(j);
            if void {
                h.is_nan()
            } else {
                h == z
            }
        };
        flood_region(cell, rows, cols, &mut seen, &mut stack, same, |j| {
            let m = nodes.node_of[j];
            if m != NO_NODE && (void || nodes.sink[m as usize]) {
                uf.union(n as u32, m);
            }
        });
    }
}

/// One unnumbered basin per union-find root, each with its outlet (its
/// lowest node, voids last), and the basin index of every node.
fn basins_of_roots(
    nodes: &Nodes,
    cols: usize,
    height: &impl Fn(usize) -> f32,
    uf: &mut UnionFind,
) -> (Vec<Basin>, Vec<usize>) {
    let mut root_index: HashMap<u32, usize> = HashMap::new();
    let mut basins: Vec<Basin> = Vec::new();
    let mut outlet_rank: Vec<Option<f64>> = Vec::new();
    for n in 0..nodes.cells.len() as u32 {
        let root = uf.find(n);
        let b = *root_index.entry(root).or_insert_with(|| {
            basins.push(Basin {
                id: 0,
                outlet_row: 0,
                outlet_col: 0,
                elevation: f64::NAN,
                ending: nodes.ending[n as usize],
                starts: 0,
                area_km2: 0.0,
            });
            outlet_rank.push(None);
            basins.len() - 1
        });
        let cell = nodes.cells[n as usize] as usize;
        let z = height(cell) as f64;
        let rank = if z.is_nan() { f64::INFINITY } else { z };
        if !matches!(outlet_rank[b], Some(best) if best <= rank) {
            outlet_rank[b] = Some(rank);
            basins[b].outlet_row = cell / cols;
            basins[b].outlet_col = cell % cols;
            basins[b].elevation = z;
            basins[b].ending = nodes.ending[n as usize];
        }
    }
    let mut node_basin = vec![0usize; nodes.cells.len()];
    for (n, slot) in node_basin.iter_mut().enumerate() {
        *slot = root_index[&uf.find(n as u32)];
    }
    (basins, node_basin)
}

/// Numbers `basins` from 1 by decreasing area (ties by outlet position)
/// and labels every cell with the id of `start_basin` (`NO_BASIN`: none,
/// label 0), turning the indices into ids in place.
fn number_by_area(
    basins: Vec<Basin>,
    mut start_basin: Vec<u32>,
    rows: usize,
    cols: usize,
) -> Basins {
    let mut order: Vec<usize> = (0..basins.len()).collect();
    order.sort_by(|&a, &b| {
        basins[b].area_km2.total_cmp(&basins[a].area_km2).then(
            (basins[a].outlet_row, basins[a].outlet_col)
                .cmp(&(basins[b].outlet_row, basins[b].outlet_col)),
        )
    });
    let mut id_of = vec![0u32; basins.len()];
    for (k, &b) in order.iter().enumerate() {
        id_of[b] = k as u32 + 1;
    }
    start_basin.par_iter_mut().for_each(|b| {
        *b = if *b == NO_BASIN {
            0
        } else {
            id_of[*b as usize]
        }
    });
    let labels = Array2::from_shape_vec((rows, cols), start_basin)
        .unwrap_or_else(|_| Array2::zeros((rows, cols)));
    let mut sorted: Vec<Basin> = order
        .iter()
        .map(|&b| Basin {
            id: id_of[b],
            ..basins[b].clone()
        })
        .collect();
    sorted.sort_by_key(|b| b.id);
    Basins {
        labels,
        basins: sorted,
    }
}

/// Numbers the basins of `walks` on `heights` (the surface the walkers
/// descended), merging endings as the module describes.
pub fn label(walks: &Walks, heights: &Array2<f32>, metrics: &RowMetrics, stride: usize) -> Basins {
    let (rows, cols) = heights.dim();
    let h = heights.as_slice_memory_order();
    let height = |i: usize| match h {
        Some(s) => s[i],
        None => heights[[i / cols, i % cols]],
    };
    let nodes = Nodes::of(walks, rows * cols);
    let mut uf = UnionFind::new(nodes.cells.len());
    merge_neighbouring_sinks(&nodes, rows, cols, &mut uf);
    merge_flats_and_voids(&nodes, rows, cols, &height, &mut uf);
    let (mut basins, node_basin) = basins_of_roots(&nodes, cols, &height, &mut uf);
    // Every start counts towards the basin of the node it ended at.
    let cell_km2: Vec<f64> = (0..rows)
        .map(|r| metrics.dx[r] * metrics.dy[r] * (stride * stride) as f64 / 1e6)
        .collect();
    // The basin of every start (its node's, looked up in parallel), then
    // the sums in raster order, one row at a time.
    let start_basin: Vec<u32> = walks
        .end
        .par_iter()
        .map(|&end| match end {
            NO_START => NO_BASIN,
            end => node_basin[nodes.node_of[end as usize] as usize] as u32,
        })
        .collect();
    for (row, &km2) in start_basin.chunks(cols.max(1)).zip(&cell_km2) {
        for &b in row {
            if b != NO_BASIN {
                basins[b as usize].starts += 1;
                basins[b as usize].area_km2 += km2;
            }
        }
    }
    number_by_area(basins, start_basin, rows, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The basins on `heights` (100 m square cells) of walkers that
    /// started in every cell and ended where `ended(row, column)` says,
    /// cell and ending, or `None` where no walker started.
    fn label_by_hand(
        heights: &Array2<f32>,
        ended: impl Fn(usize, usize) -> Option<(u32, StopReason)>,
    ) -> Basins {
        let (rows, cols) = heights.dim();
        let mut end = vec![NO_START; rows * cols];
        let mut ending = vec![0u8; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                if let Some((to, why)) = ended(r, c) {
                    end[r * cols + c] = to;
                    ending[r * cols + c] = why as u8;
                }
            }
        }
        let walks = Walks {
            starts: end.iter().filter(|&&e| e != NO_START).count(),
            end,
            ending,
            steps: 0,
            shortcuts: 0,
            stall_moves: 0,
        };
        label(&walks, heights, &hundred_metre_cells(rows), 1)
    }

    /// `rows` rows of 100 m square cells.
    fn hundred_metre_cells(rows: usize) -> RowMetrics {
        RowMetrics {
            dx: vec![100.0; rows],
            dy: vec![100.0; rows],
        }
    }

    /// Worked by hand on a 5 x 7 grid: two sinks four cells apart on one
    /// flat at 1 m become one basin (the flat joins them, not adjacency);
    /// a pit at 0.5 m in the corner stays its own; two walkers that ran
    /// into the two cells of one void end in one basin (the void's).
    #[test]
    fn sinks_on_one_flat_and_endings_in_one_void_are_one_basin() {
        let (rows, cols) = (5usize, 7usize);
        let nan = f32::NAN;
        let heights = Array2::from_shape_fn((rows, cols), |(r, c)| match (r, c) {
            (0, 5) | (0, 6) => nan,
            (2, 0..=4) => 1.0,
            (4, 6) => 0.5,
            _ => 10.0,
        });
        let at = |r: usize, c: usize| (r * cols + c) as u32;
        let b = label_by_hand(&heights, |r, c| match (r, c) {
            (0, 5) | (0, 6) => None,
            (1, 5) => Some((at(0, 5), StopReason::Void)),
            (1, 6) => Some((at(0, 6), StopReason::Void)),
            (_, 0..=1) => Some((at(2, 0), StopReason::Converged)),
            (_, 2..=4) => Some((at(2, 4), StopReason::Converged)),
            _ => Some((at(4, 6), StopReason::Converged)),
        });
        let id = |r: usize, c: usize| b.labels[[r, c]];
        assert_eq!(b.basins.len(), 3, "{:?}", b.labels);
        assert_eq!(id(0, 0), id(0, 4), "the flat's two sinks");
        assert_ne!(id(0, 0), id(3, 6));
        assert_eq!(id(1, 5), id(1, 6), "the void's two cells");
        assert_ne!(id(1, 5), id(0, 0));
        assert_ne!(id(1, 5), id(3, 6));
        assert_eq!(id(0, 5), 0, "no walker started on the void");
        // Starts per basin: 25 on the flat's side (columns 0-4), 6 by the
        // pit (rows 2-4 of columns 5-6), 2 in the void.
        let starts_of = |r: usize, c: usize| b.basins[id(r, c) as usize - 1].starts;
        assert_eq!(starts_of(0, 0), 25);
        assert_eq!(starts_of(3, 6), 6);
        assert_eq!(starts_of(1, 5), 2);
    }

    /// Worked by hand on a 4 x 8 slope (every height different, so no two
    /// sinks share a flat): a chain of sinks each one cell from the next
    /// is one basin even where its ends are two cells apart; a sink two
    /// cells from any other stays its own; outlets on the edge next to
    /// each other, or next to a sink, are not merged.
    #[test]
    fn sinks_a_cell_apart_merge_in_chains_and_outlets_never() {
        let (rows, cols) = (4usize, 8usize);
        let heights = Array2::from_shape_fn((rows, cols), |(r, c)| (r * cols + c) as f32);
        let at = |r: usize, c: usize| (r * cols + c) as u32;
        let (sink, edge) = (StopReason::Converged, StopReason::Edge);
        // Column by column, where the walkers of that column ended: sinks
        // at (1, 0), (2, 1) diagonal to it and (2, 2) beside that (two
        // columns from the first); edge outlets at (3, 3), diagonal to the
        // sink (2, 2), and at (3, 4) beside it; a sink at (1, 5), two cells
        // from anything; edge outlets at (0, 6) and (0, 7), side by side.
        let ends: [(u32, StopReason); 8] = [
            (at(1, 0), sink),
            (at(2, 1), StopReason::MaxSteps),
            (at(2, 2), sink),
            (at(3, 3), edge),
            (at(3, 4), edge),
            (at(1, 5), sink),
            (at(0, 6), edge),
            (at(0, 7), edge),
        ];
        let b = label_by_hand(&heights, |_, c| Some(ends[c]));
        let id = |c: usize| b.labels[[0, c]];
        // Columns 0-2 one basin (the chain), then 3, 4, 5, 6, 7 each alone.
        assert_eq!(id(0), id(1));
        assert_eq!(id(1), id(2));
        let distinct: std::collections::HashSet<u32> = (2..8).map(id).collect();
        assert_eq!(distinct.len(), 6, "{:?}", b.labels);
        assert_eq!(b.basins.len(), 6);
        // Every column's cells share their column's basin.
        for c in 0..cols {
            assert!((0..rows).all(|r| b.labels[[r, c]] == id(c)));
        }
        // The chain's outlet is its lowest end cell, (1, 0) at 8 m, and
        // it is the largest basin: id 1, 12 starts.
        let chain = &b.basins[id(0) as usize - 1];
        assert_eq!((chain.outlet_row, chain.outlet_col), (1, 0));
        assert_eq!((chain.id, chain.starts), (1, 12));
    }
}
