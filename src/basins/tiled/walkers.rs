//! Walkers on filled blocks, handed across block edges, and global basin ids.
//!
//! Each block is filled exactly ([`super::TiledFill::block`]) and grown by
//! its one-cell halo at final fill heights (clipped where the mosaic
//! ends, so the mosaic's edge stays an edge). Walkers run on that window as
//! [`crate::basins::compute_within`] runs them, and
//! [`crate::basins::label`] merges their endings into local basins.
//!
//! **The approximation (gd).** A local basin whose outlet lies in the halo
//! has left its block: it is handed to the neighbouring block and continues
//! from the sample it entered, i.e. it joins the basin that the walker
//! started on that sample belongs to (the same shortcut the in-memory gd
//! walkers take through cells whose ending is known). A gd walker that
//! would have come back into its block after wandering outside is cut
//! short. Momentum and Nesterov walkers carry a velocity, so the cell they
//! enter says nothing about their fate: they do not come here but are
//! handed across block edges whole, in rounds ([`super::rounds`], on the
//! terrain of [`super::momentum`]), and follow the in-memory trajectory.
//!
//! A union-find over these exits (one per local basin that leaves, at most
//! the size of the block perimeters) gives global basin ids; a final pass
//! rewrites each block's labels.
//!
//! **The sea.** With a sea the window carries the whole mosaic's sea mask
//! cut to it ([`super::TiledFill::window_sea`]): no walker starts on a sea
//! sample, and walkers that reach the sea end there ([`Ending::Sea`]),
//! their outlet the sea sample reached, as in memory. Sea samples have no
//! walker label, so a basin reaching the sea at a sample of another block
//! (in the halo) cannot be joined through that block's labels; instead all
//! basins at sea with the same outlet sample are joined, whatever block
//! they started in: one outlet per sea sample reached. A basin leaving its
//! block onto a halo sample that is sea (the coast's smoothed mask can
//! stay below 1/2 there) counts as reaching the sea at that sample.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use ndarray::{s, Array2};

use super::{Block, TileSet, TiledFill};
use crate::basins::walk::{walk_all_within, StepBudget, WalkSettings};
use crate::basins::{label, Ending, GridField};
use crate::dem::{Dem, GeoTransform, SeaMask};
use crate::error::{Error, Result};
use crate::terrain::{GradientGrid, GradientScheme, RowMetrics};

/// One block's local basins.
#[derive(Debug, Clone)]
pub struct BlockBasins {
    /// Local basin id (from 1) of every sample of the block, 0 where no
    /// walker started.
    pub labels: Array2<u32>,
    /// Per local basin `id - 1`: where it goes.
    pub basins: Vec<LocalBasin>,
}

/// Where a local basin drains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalBasin {
    /// The outlet sample (mosaic row and column).
    pub outlet: (usize, usize),
    /// `true` when the outlet lies outside the block (in its halo): the
    /// basin continues in the block holding the outlet.
    pub exits: bool,
    /// How its walkers ended.
    pub ending: Ending,
    /// Height of the outlet, metres (`NaN` on a void).
    pub elevation: f64,
    /// Area of the block samples in the basin, km².
    pub area_km2: f64,
}

/// Walks and labels block `k` (see the module documentation).
pub fn block_basins(
    tiles: &TileSet,
    fill: &TiledFill,
    k: usize,
    settings: &WalkSettings,
    scheme: GradientScheme,
    cancel: &AtomicBool,
    max_steps: Option<u64>,
) -> Result<BlockBasins> {
    if settings.kind.has_momentum() {
        return Err(Error::invalid(
            "agent",
            settings.kind,
            "block_basins runs walkers without a velocity: momentum and Nesterov walkers are \
             handed across block edges by tiled::rounds",
        ));
    }
    if settings.stride != 1 {
        return Err(Error::invalid(
            "stride",
            settings.stride,
            "the tiled engine starts a walker on every cell: leave the stride at 1",
        ));
    }
    let b: &Block = &tiles.blocks()[k];
    let (dem, top, left, sea) = block_window(tiles, fill, k)?;
    let (wr0, wc0) = (b.r0 - top, b.c0 - left);
    let metrics = RowMetrics::of(&dem);
    let gradient = GradientGrid::compute(&dem, scheme);
    let mut field = GridField::new(&dem.heights, &gradient, &metrics);
    if let Some(sea) = &sea {
        field = field.with_sea(sea);
    }
    let run = WalkSettings {
        resolve_stalls: true,
        ..*settings
    };
    let budget = StepBudget::new(max_steps);
    let walks = walk_all_within(&field, &dem.heights, &run, &|_| {}, cancel, &budget);
    if budget.exceeded() {
        return Err(Error::invalid(
            "max_total_steps",
            budget.limit(),
            format!(
                "the walkers of block {} took more than that many steps; raise it",
                b.name
            ),
        ));
    }
    let local = label(&walks, &dem.heights, &metrics, 1);
    let labels = local
        .labels
        .slice(s![top..top + b.rows, left..left + b.cols])
        .to_owned();
    let mut area = vec![0f64; local.basins.len()];
    for ((r, _), &id) in labels.indexed_iter() {
        if id > 0 {
            let (dx, dy) = (metrics.dx[r + top], metrics.dy[r + top]);
            area[id as usize - 1] += dx * dy * 1e-6;
        }
    }
    let basins = local
        .basins
        .iter()
        .map(|lb| {
            let (r, c) = (lb.outlet_row, lb.outlet_col);
            let inside = (top..top + b.rows).contains(&r) && (left..left + b.cols).contains(&c);
            // Walkers left the block onto a sea sample of the halo, where no
            // walker starts: they reached the sea there.
            let onto_sea = !inside && sea.as_ref().is_some_and(|s| s.is_sea_sample(r, c));
            LocalBasin {
                outlet: (wr0 + r, wc0 + c),
                exits: !inside,
                ending: if onto_sea { Ending::Sea } else { lb.ending },
                elevation: lb.elevation,
                area_km2: area[lb.id as usize - 1],
            }
        })
        .collect();
    Ok(BlockBasins { labels, basins })
}

/// The filled block `k` with a one-cell halo on each side where the mosaic
/// goes on: the surface its walkers descend, with the number of halo rows
/// above and halo columns left of the block (0 or 1 each), and the sea of
/// that window when the fill has one.
pub(super) fn block_window(
    tiles: &TileSet,
    fill: &TiledFill,
    k: usize,
) -> Result<(Dem, usize, usize, Option<SeaMask>)> {
    let b: &Block = &tiles.blocks()[k];
    let (rows, cols) = tiles.dim();
    let block = fill.block(tiles, k)?;
    let filled = &block.filled;
    let halo = fill.halo_window(tiles, k);
    // The window: the block plus the halo where the mosaic goes on.
    let top = usize::from(b.r0 > 0);
    let left = usize::from(b.c0 > 0);
    let bottom = usize::from(b.r0 + b.rows < rows);
    let right = usize::from(b.c0 + b.cols < cols);
    let mut window = halo
        .slice(s![
            1 - top..b.rows + 1 + bottom,
            1 - left..b.cols + 1 + right
        ])
        .to_owned();
    window
        .slice_mut(s![top..top + b.rows, left..left + b.cols])
        .assign(filled);
    let t = tiles.transform();
    let (wr0, wc0) = (b.r0 - top, b.c0 - left);
    let sea = fill.window_sea(tiles, k, &block, (wr0, wc0), window.dim());
    let dem = Dem {
        heights: window,
        transform: GeoTransform {
            origin_x: t.origin_x + wc0 as f64 * t.cell_x,
            origin_y: t.origin_y - wr0 as f64 * t.cell_y,
            ..t
        },
        crs: tiles.crs().clone(),
        inputs: Vec::new(),
    };
    Ok((dem, top, left, sea))
}

/// A union-find over global node numbers.
#[derive(Debug, Clone)]
pub struct Union {
    parent: Vec<u32>,
}

impl Union {
    /// `n` nodes, each alone.
    pub fn new(n: usize) -> Self {
        Union {
            parent: (0..n as u32).collect(),
        }
    }

    /// The representative of `a`.
    pub fn find(&mut self, mut a: u32) -> u32 {
        while self.parent[a as usize] != a {
            let p = self.parent[self.parent[a as usize] as usize];
            self.parent[a as usize] = p;
            a = p;
        }
        a
    }

    /// Joins `a` to the set of `into` (whose representative stays).
    pub fn join(&mut self, a: u32, into: u32) {
        let (ra, rb) = (self.find(a), self.find(into));
        if ra != rb {
            self.parent[ra as usize] = rb;
        }
    }
}

/// One global basin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GlobalBasin {
    /// Id from 1, by decreasing area.
    pub id: u32,
    /// Outlet: mosaic row and column.
    pub outlet: (usize, usize),
    /// How its walkers ended.
    pub ending: Ending,
    /// Height of the outlet, metres (`NaN` on a void).
    pub elevation: f64,
    /// Total area, km².
    pub area_km2: f64,
}

/// The merge of all blocks' local basins: for block `k`, `ids[k][local - 1]`
/// is the global id of a local basin.
#[derive(Debug, Clone)]
pub struct GlobalIds {
    /// Global id of every local basin of every block.
    pub ids: Vec<Vec<u32>>,
    /// The global basins, `basins[id - 1]`.
    pub basins: Vec<GlobalBasin>,
}

/// Joins the local basins (of any block, leaving theirs or not) that
/// reached the sea at the same sea sample: as in memory, each sea sample
/// reached is one outlet, whichever block its walkers started in. (Sea
/// samples carry no walker label, so the block holding the sample cannot
/// be asked which of its basins drains there.)
fn join_at_sea(locals: &[Vec<LocalBasin>], offset: &[usize], union: &mut Union) {
    let mut at: HashMap<(usize, usize), u32> = HashMap::new();
    for (k, l) in locals.iter().enumerate() {
        for (i, lb) in l.iter().enumerate() {
            if lb.ending != Ending::Sea {
                continue;
            }
            let node = (offset[k] + i) as u32;
            match at.get(&lb.outlet) {
                Some(&first) => union.join(node, first),
                None => {
                    at.insert(lb.outlet, node);
                }
            }
        }
    }
}

/// Merges the blocks' local basins; `ring_label(k, row, col)` gives the
/// local label, in block `k`, of a mosaic sample on its perimeter.
pub fn merge_exits(
    tiles: &TileSet,
    locals: &[Vec<LocalBasin>],
    ring_label: &dyn Fn(usize, usize, usize) -> u32,
) -> GlobalIds {
    let mut offset = Vec::with_capacity(locals.len());
    let mut n = 0usize;
    for l in locals {
        offset.push(n);
        n += l.len();
    }
    let mut union = Union::new(n);
    join_at_sea(locals, &offset, &mut union);
    for (k, l) in locals.iter().enumerate() {
        for (i, lb) in l.iter().enumerate() {
            if !lb.exits || lb.ending == Ending::Sea {
                continue;
            }
            let (r, c) = lb.outlet;
            let k2 = tiles.block_of(r, c);
            let there = ring_label(k2, r, c);
            if there > 0 {
                union.join(
                    (offset[k] + i) as u32,
                    (offset[k2] + there as usize - 1) as u32,
                );
            }
        }
    }
    // Totals per root; the root's own outlet describes the basin.
    let mut total: HashMap<u32, f64> = HashMap::new();
    for (k, l) in locals.iter().enumerate() {
        for (i, lb) in l.iter().enumerate() {
            let root = union.find((offset[k] + i) as u32);
            *total.entry(root).or_insert(0.0) += lb.area_km2;
        }
    }
    let mut roots: Vec<(u32, f64)> = total.into_iter().collect();
    roots.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut id_of = HashMap::with_capacity(roots.len());
    let mut basins = Vec::with_capacity(roots.len());
    let ends: Vec<usize> = locals
        .iter()
        .zip(&offset)
        .map(|(l, o)| o + l.len())
        .collect();
    let node = |root: u32| -> &LocalBasin {
        let k = ends.partition_point(|&e| e <= root as usize);
        &locals[k][root as usize - offset[k]]
    };
    for (i, &(root, area)) in roots.iter().enumerate() {
        let lb = node(root);
        id_of.insert(root, i as u32 + 1);
        basins.push(GlobalBasin {
            id: i as u32 + 1,
            outlet: lb.outlet,
            ending: if lb.exits && lb.ending != Ending::Sea {
                Ending::Edge
            } else {
                lb.ending
            },
            elevation: lb.elevation,
            area_km2: area,
        });
    }
    let ids = locals
        .iter()
        .enumerate()
        .map(|(k, l)| {
            (0..l.len())
                .map(|i| id_of[&union.find((offset[k] + i) as u32)])
                .collect()
        })
        .collect();
    GlobalIds { ids, basins }
}
