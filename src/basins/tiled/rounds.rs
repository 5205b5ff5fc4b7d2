//! Momentum and Nesterov walkers across block edges: rounds of hand-offs
//! (bulk-synchronous supersteps) until no walker is in flight, then basin
//! ids from the walkers' endings.
//!
//! 1. **Round 0.** Every rank loads its blocks one at a time
//!    ([`BlockTerrain::load`]) and drops a walker on every start (every
//!    `stride`-th mosaic row and column from 0, as in memory). A walker
//!    runs the in-memory walk ([`BlockTerrain::start`]) until it ends or
//!    needs terrain its block does not know exactly; then it is handed over,
//!    whole ([`super::handoff::Flight`]), to the block that knows it. Each
//!    block's perimeter gradients are then shared by all ranks, so that
//!    from round 1 on every loaded block knows its halo's gradients too.
//! 2. **Rounds.** The walkers in flight go to the ranks owning their
//!    blocks ([`super::exchange::owns`]) through rank 0; every rank learns
//!    how many are in flight, so all stop together when none is. Each rank
//!    loads only the blocks with walkers for it and resumes them. A walker
//!    that ends away from the block it started in sends its ending there in
//!    the next exchange. The rounds are bounded: a walker takes a step or a
//!    D8 move at least every second round, its steps are bounded by
//!    `max_steps` and its D8-only moves strictly descend through distinct
//!    cells, crossing block edges at most once per perimeter sample, so
//!    past `2 (max_steps + perimeter samples) + 16` rounds the run stops
//!    with an error; the steps taken in each block, over all rounds, are
//!    bounded by the work budget (`--max-total-steps`).
//! 3. **Labels.** Each block's endings wait in a temporary file. Rank 0
//!    gathers the end cells (at most one record per distinct end cell and
//!    rank) and merges them as [`crate::basins::label`] does: one node per
//!    end cell, sinks within one cell of each other joined, the outlet the
//!    lowest node, ids by decreasing area; void outlets next to each other
//!    joined too. Not done: the in-memory merge of sinks on one exactly
//!    flat region (the filled surface has no flats) and of void outlets in
//!    one void region that are not next to each other (they stay separate
//!    basins; the in-memory merge floods the void region).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ndarray::Array2;
use rayon::prelude::*;

use super::exchange::{all_gather, merge_on_root, owns, Exchange};
use super::handoff::{Ending, Flight, Outbox, ENDING_BYTES};
use super::momentum::{BlockTerrain, Outcome};
use super::walkers::{GlobalBasin, Union};
use super::wire::{Reader, Writer};
use super::{TileSet, TiledFill};
use crate::agents::StopReason;
use crate::basins::WalkSettings;
use crate::error::{Error, Result};
use crate::terrain::{GradientScheme, RowMetrics};

/// What the rounds produced on this rank.
#[derive(Debug)]
pub struct Walked {
    /// Per block of this rank, in the order given: its labels (`u32`
    /// little-endian, row-major, local ids from 1, 0 where no walker
    /// started) in a temporary file, and the global id of each local id.
    pub blocks: Vec<(std::fs::File, Vec<u32>)>,
    /// Global basins.
    pub basins: usize,
    /// The global basins, largest first (on rank 0; empty on the others).
    pub global: Vec<GlobalBasin>,
    /// Rounds of hand-offs after the first pass over the blocks.
    pub rounds: usize,
    /// Hand-offs in all (a walker handed on three times counts three).
    pub handoffs: u64,
    /// Walkers handed off at least once.
    pub walkers_handed_off: u64,
    /// Wall-clock seconds of rank 0's merge of the endings.
    pub merge_seconds: f64,
}

/// How the walkers run, and the bounds on their work.
#[derive(Debug, Clone, Copy)]
pub struct RoundSettings<'a> {
    /// The walkers (momentum or Nesterov, any stride).
    pub walk: &'a WalkSettings,
    /// The gradient stencil.
    pub scheme: GradientScheme,
    /// Steps the walkers may take in one block over all rounds.
    pub max_block_steps: Option<u64>,
}

/// Walkers started per parallel batch (their endings are written between
/// batches).
const BATCH: usize = 16_384;

/// A block's parked endings and its bookkeeping.
struct Parking {
    file: std::fs::File,
    /// Walkers started in the block.
    starts: usize,
    /// Endings parked so far.
    parked: usize,
    /// Steps taken in the block over all rounds.
    steps: u64,
}

/// Runs the rounds on the blocks `mine` of this rank (see the module
/// documentation); temporary files are named after `dir` in errors.
#[allow(clippy::too_many_arguments)]
pub fn walk_rounds(
    tiles: &TileSet,
    fill: &TiledFill,
    mine: &[usize],
    settings: RoundSettings,
    dir: &Path,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    ex: &dyn Exchange,
) -> Result<Walked> {
    let s = settings.walk;
    s.params.validate()?;
    s.rules.validate()?;
    if !s.kind.has_momentum() {
        return Err(Error::invalid(
            "agent",
            s.kind,
            "the rounds of hand-offs are for the momentum and Nesterov walkers",
        ));
    }
    if s.rules.stop_below.is_some() {
        return Err(Error::invalid(
            "stop_below",
            s.rules.stop_below.unwrap_or(f64::NAN),
            "the tiled momentum walkers do not take a height threshold yet",
        ));
    }
    if s.stride == 0 {
        return Err(Error::invalid("stride", s.stride, "must be at least 1"));
    }
    let metrics = tiles.metrics();
    let mut park: HashMap<usize, Parking> = HashMap::new();
    let ctx = Context {
        tiles,
        fill,
        metrics: &metrics,
        settings,
        dir,
        cancel,
    };
    // Round 0: every start, and the perimeter gradients. An error on one
    // rank travels with the next exchange, so that every rank stops.
    let first = ctx
        .open_parking(mine, &mut park)
        .and_then(|()| ctx.first_pass(mine, &mut park, progress));
    let (out, rings) = match first {
        Ok((out, rings)) => (out, Ok(encode_rings(&rings))),
        Err(e) => (Outbox::default(), Err(e)),
    };
    let rings = decode_rings(tiles, &all_gather(ex, rings)?)?;
    let perimeter: usize = tiles
        .blocks()
        .iter()
        .map(|b| super::flood::ring_len(b.rows, b.cols))
        .sum();
    let max_rounds = s
        .rules
        .max_steps
        .saturating_add(perimeter)
        .saturating_mul(2)
        .saturating_add(16);
    let mut out = Ok(out);
    let mut rounds = 0;
    let mut handoffs = 0u64;
    let mut walkers_handed_off = None;
    let delivered = loop {
        let (inbox, in_flight) = route(ex, tiles, out)?;
        walkers_handed_off.get_or_insert(in_flight);
        handoffs += in_flight;
        let delivered = ctx.deliver(&inbox.endings, &mut park);
        if in_flight == 0 {
            break delivered;
        }
        rounds += 1;
        if rounds > max_rounds {
            // Every rank knows `in_flight`, so every rank stops here.
            return Err(Error::param(format!(
                "{in_flight} walkers were still handed between blocks after {max_rounds} rounds \
                 (the bound set by the step limit and the blocks' perimeters)"
            )));
        }
        out = delivered.and_then(|()| ctx.round(inbox.flights, &rings, &mut park, progress));
    };
    // Labels: the end cells merged on rank 0, then each block's ids.
    let nodes = delivered.and_then(|()| ctx.nodes(mine, &mut park));
    let mut global = Vec::new();
    let mut merge_seconds = 0.0;
    let table = merge_on_root(ex, nodes, |parts| {
        let began = Instant::now();
        let (message, basins) = merge_nodes(tiles, &parts)?;
        global = basins;
        merge_seconds = began.elapsed().as_secs_f64();
        Ok(message)
    })?;
    let (basins, table) = read_table(tiles, &table)?;
    let blocks = mine
        .iter()
        .map(|&k| ctx.labels(k, &mut park, &table))
        .collect::<Result<Vec<_>>>()?;
    Ok(Walked {
        blocks,
        basins,
        global,
        rounds,
        handoffs,
        walkers_handed_off: walkers_handed_off.unwrap_or(0),
        merge_seconds,
    })
}

/// What every part of the rounds reads.
struct Context<'a> {
    tiles: &'a TileSet,
    fill: &'a TiledFill,
    metrics: &'a RowMetrics,
    settings: RoundSettings<'a>,
    dir: &'a Path,
    cancel: &'a AtomicBool,
}

impl Context<'_> {
    /// A temporary file for the endings of each block of `mine`.
    fn open_parking(&self, mine: &[usize], park: &mut HashMap<usize, Parking>) -> Result<()> {
        for &k in mine {
            let file = tempfile::tempfile().map_err(|e| Error::io(self.dir, e))?;
            park.insert(
                k,
                Parking {
                    file,
                    starts: 0,
                    parked: 0,
                    steps: 0,
                },
            );
        }
        Ok(())
    }

    /// Round 0 on the blocks `mine`: the walkers to hand over, and each
    /// block's perimeter gradients.
    #[allow(clippy::type_complexity)]
    fn first_pass(
        &self,
        mine: &[usize],
        park: &mut HashMap<usize, Parking>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(Outbox, Vec<(usize, Vec<[f32; 2]>)>)> {
        let mut out = Outbox::default();
        let mut rings = Vec::with_capacity(mine.len());
        for &k in mine {
            self.check_cancel()?;
            let t = BlockTerrain::load(
                self.tiles,
                self.fill,
                k,
                self.metrics,
                self.settings.scheme,
                None,
            )?;
            rings.push((k, t.ring_gradients()));
            let starts = t.starts(self.settings.walk.stride);
            if let Some(p) = park.get_mut(&k) {
                p.starts = starts.len();
            }
            let s = self.settings.walk;
            self.batches(&t, &starts, park, &mut out, |&cell| {
                t.start(s, self.tiles, cell)
            })?;
            progress(1);
        }
        Ok((out, rings))
    }

    /// One round: the walkers `inbound` resumed on their blocks.
    fn round(
        &self,
        inbound: Vec<(usize, Flight)>,
        rings: &[Vec<[f32; 2]>],
        park: &mut HashMap<usize, Parking>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Outbox> {
        let mut by_block: BTreeMap<usize, Vec<Flight>> = BTreeMap::new();
        for (k, f) in inbound {
            by_block.entry(k).or_default().push(f);
        }
        let mut out = Outbox::default();
        for (k, flights) in by_block {
            self.check_cancel()?;
            let t = BlockTerrain::load(
                self.tiles,
                self.fill,
                k,
                self.metrics,
                self.settings.scheme,
                Some(rings),
            )?;
            let s = self.settings.walk;
            self.batches(&t, &flights, park, &mut out, |&f| {
                t.resume(s, self.tiles, f)
            })?;
            progress(1);
        }
        Ok(out)
    }

    fn check_cancel(&self) -> Result<()> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        Ok(())
    }

    /// Runs `walk` on `items` in parallel batches on block `t`: endings of
    /// this rank's blocks are parked, the others and the hand-offs go to
    /// `out`; the steps are charged to the block's budget.
    fn batches<T: Sync>(
        &self,
        t: &BlockTerrain,
        items: &[T],
        park: &mut HashMap<usize, Parking>,
        out: &mut Outbox,
        walk: impl Fn(&T) -> Result<(Outcome, u64)> + Sync,
    ) -> Result<()> {
        for chunk in items.chunks(BATCH) {
            self.check_cancel()?;
            let results = chunk
                .par_iter()
                .map(&walk)
                .collect::<Result<Vec<(Outcome, u64)>>>()?;
            let mut endings = Vec::new();
            let mut steps = 0u64;
            for (outcome, n) in results {
                steps += n;
                match outcome {
                    Outcome::Done(e) => endings.push(e),
                    Outcome::Handoff(k, f) => out.flights.push((k, f)),
                }
            }
            if let Some(p) = park.get_mut(&t.k) {
                p.steps += steps;
                let limit = self.settings.max_block_steps.unwrap_or(u64::MAX);
                if p.steps > limit {
                    return Err(Error::invalid(
                        "max_total_steps",
                        limit,
                        format!(
                            "the walkers of block {} took more than that many steps; raise it",
                            t.name()
                        ),
                    ));
                }
            }
            for e in endings {
                let home = self.tiles.block_of(e.start.0, e.start.1);
                if park.contains_key(&home) {
                    self.park_endings(home, &[e], park)?;
                } else {
                    out.endings.push((home, e));
                }
            }
        }
        Ok(())
    }

    /// Parks the endings `endings` of block `k`'s walkers.
    fn park_endings(
        &self,
        k: usize,
        endings: &[Ending],
        park: &mut HashMap<usize, Parking>,
    ) -> Result<()> {
        let Some(p) = park.get_mut(&k) else {
            return Err(Error::param(format!(
                "endings for block {} reached a rank that does not work it",
                self.tiles.blocks()[k].name
            )));
        };
        let mut w = Writer::new();
        for e in endings {
            e.write(&mut w);
        }
        p.file
            .write_all(&w.finish())
            .map_err(|e| Error::io(self.dir, e))?;
        p.parked += endings.len();
        Ok(())
    }

    /// Parks the endings another rank sent for this rank's blocks.
    fn deliver(
        &self,
        endings: &[(usize, Ending)],
        park: &mut HashMap<usize, Parking>,
    ) -> Result<()> {
        for &(k, e) in endings {
            self.park_endings(k, &[e], park)?;
        }
        Ok(())
    }

    /// Reads block `k`'s parked endings back, one after another, after
    /// checking that every walker started there came back once.
    fn each_ending(
        &self,
        k: usize,
        park: &mut HashMap<usize, Parking>,
        mut each: impl FnMut(Ending) -> Result<()>,
    ) -> Result<()> {
        let name = &self.tiles.blocks()[k].name;
        let Some(p) = park.get_mut(&k) else {
            return Err(Error::param(format!("block {name} has no parked endings")));
        };
        if p.parked != p.starts {
            return Err(Error::param(format!(
                "block {name}: {} of its {} walkers came back",
                p.parked, p.starts
            )));
        }
        p.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(self.dir, e))?;
        let mut reader = BufReader::new(&mut p.file);
        let mut record = [0u8; ENDING_BYTES];
        for _ in 0..p.starts {
            reader
                .read_exact(&mut record)
                .map_err(|e| Error::io(self.dir, e))?;
            each(Ending::read(&mut Reader::new(&record), self.tiles.dim())?)?;
        }
        Ok(())
    }

    /// This rank's end cells with what rank 0's merge needs: per end cell
    /// whether a walker settled there as a sink, its ending, its height and
    /// the area (km²) of the starts that ended there.
    fn nodes(&self, mine: &[usize], park: &mut HashMap<usize, Parking>) -> Result<Vec<u8>> {
        let stride = self.settings.walk.stride as f64;
        let mut acc: BTreeMap<(usize, usize), Node> = BTreeMap::new();
        for &k in mine {
            self.each_ending(k, park, |e| {
                let r = e.start.0;
                let km2 = self.metrics.dx[r] * self.metrics.dy[r] * stride * stride / 1e6;
                acc.entry(e.end)
                    .or_insert_with(|| Node::new(e.reason, e.height))
                    .add(e.reason, km2);
                Ok(())
            })?;
        }
        let mut w = Writer::new();
        w.usize(acc.len());
        for (&(r, c), n) in &acc {
            n.write(r, c, &mut w);
        }
        Ok(w.finish())
    }

    /// Block `k`'s labels from its parked endings and the end cells' ids
    /// `table` (sorted by cell).
    fn labels(
        &self,
        k: usize,
        park: &mut HashMap<usize, Parking>,
        table: &[((usize, usize), u32)],
    ) -> Result<(std::fs::File, Vec<u32>)> {
        let b = &self.tiles.blocks()[k];
        let mut labels = Array2::<u32>::zeros((b.rows, b.cols));
        let mut local: HashMap<u32, u32> = HashMap::new();
        let mut ids = Vec::new();
        self.each_ending(k, park, |e| {
            let Ok(i) = table.binary_search_by(|(cell, _)| cell.cmp(&e.end)) else {
                return Err(Error::param(format!(
                    "block {}: the merge gave no basin to the end cell ({}, {})",
                    b.name, e.end.0, e.end.1
                )));
            };
            let id = table[i].1;
            let l = *local.entry(id).or_insert_with(|| {
                ids.push(id);
                ids.len() as u32
            });
            if !(b.r0..b.r0 + b.rows).contains(&e.start.0)
                || !(b.c0..b.c0 + b.cols).contains(&e.start.1)
            {
                return Err(Error::param(format!(
                    "block {}: an ending came back for the start ({}, {}) of another block",
                    b.name, e.start.0, e.start.1
                )));
            }
            labels[[e.start.0 - b.r0, e.start.1 - b.c0]] = l;
            Ok(())
        })?;
        let mut file = tempfile::tempfile().map_err(|e| Error::io(self.dir, e))?;
        let bytes: Vec<u8> = labels.iter().flat_map(|v| v.to_le_bytes()).collect();
        file.write_all(&bytes).map_err(|e| Error::io(self.dir, e))?;
        Ok((file, ids))
    }
}

/// One end cell as the merge sees it.
#[derive(Debug, Clone, Copy)]
struct Node {
    sink: bool,
    ending: StopReason,
    height: f32,
    /// Area in units of [`AREA_UNIT`] km², summed exactly, so that the
    /// totals (and the ids by area) do not depend on how the ranks grouped
    /// the sums.
    area: u128,
}

/// The area unit of [`Node`]: 2^-64 km² (a `u128` of them holds 10^22
/// SRTM1 cells).
const AREA_UNIT: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// `km2` in units of [`AREA_UNIT`], rounded.
fn area_units(km2: f64) -> u128 {
    (km2 / AREA_UNIT).round() as u128
}

impl Node {
    fn new(ending: StopReason, height: f32) -> Node {
        Node {
            sink: false,
            ending,
            height,
            area: 0,
        }
    }

    /// One more walker that ended here (`reason`) standing for `km2`; a
    /// sink's ending wins, as in [`crate::basins::label`].
    fn add(&mut self, reason: StopReason, km2: f64) {
        if reason.is_sink() && !self.sink {
            self.sink = true;
            self.ending = reason;
        }
        self.area += area_units(km2);
    }

    fn join(&mut self, other: Node) {
        if other.sink && !self.sink {
            self.sink = true;
            self.ending = other.ending;
        }
        self.area += other.area;
    }

    fn write(&self, r: usize, c: usize, w: &mut Writer) {
        w.usize(r)
            .usize(c)
            .u8(u8::from(self.sink))
            .u8(self.ending as u8)
            .f32(self.height)
            .u64((self.area >> 64) as u64)
            .u64(self.area as u64);
    }
}

/// Bytes of one node on the wire.
const NODE_BYTES: usize = 8 + 8 + 1 + 1 + 4 + 16;

/// Rank 0's merge of every rank's end cells: the message of every end
/// cell's global id ([`read_table`]), and the global basins, largest first.
fn merge_nodes(tiles: &TileSet, parts: &[&[u8]]) -> Result<(Vec<u8>, Vec<GlobalBasin>)> {
    let dim = tiles.dim();
    let mut all: BTreeMap<(usize, usize), Node> = BTreeMap::new();
    for part in parts {
        let mut r = Reader::new(part);
        for _ in 0..r.index(part.len() / NODE_BYTES + 1)? {
            let cell = (r.index(dim.0)?, r.index(dim.1)?);
            let sink = r.u8()? != 0;
            let ending = StopReason::from_u8(r.u8()?);
            let height = r.f32()?;
            let area = (r.u64()? as u128) << 64 | r.u64()? as u128;
            let node = Node {
                sink,
                ending,
                height,
                area,
            };
            match all.get_mut(&cell) {
                Some(n) => n.join(node),
                None => {
                    all.insert(cell, node);
                }
            }
        }
    }
    let cells: Vec<(usize, usize)> = all.keys().copied().collect();
    let nodes: Vec<Node> = all.values().copied().collect();
    let index: HashMap<(usize, usize), u32> = cells
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u32))
        .collect();
    // Sinks within one cell of each other are one basin, and so are void
    // outlets (a void region's cells next to each other).
    let void = |n: &Node| n.height.is_nan();
    let mut union = Union::new(nodes.len());
    for (i, &(r, c)) in cells.iter().enumerate() {
        let n = &nodes[i];
        if !(n.sink || void(n)) {
            continue;
        }
        for &(dr, dc) in &crate::basins::fill::NEIGHBOURS {
            let (nr, nc) = (r as isize + dr, c as isize + dc);
            if nr < 0 || nc < 0 {
                continue;
            }
            if let Some(&j) = index.get(&(nr as usize, nc as usize)) {
                let m = &nodes[j as usize];
                if (n.sink && m.sink) || (void(n) && void(m)) {
                    union.join(i as u32, j);
                }
            }
        }
    }
    // Per root: the outlet (lowest node, voids last; cells in order break
    // ties) and the area.
    let mut roots: BTreeMap<u32, (usize, u128)> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let root = union.find(i as u32);
        let rank = |n: &Node| {
            if n.height.is_nan() {
                f64::INFINITY
            } else {
                n.height as f64
            }
        };
        let e = roots.entry(root).or_insert((i, 0));
        if rank(n) < rank(&nodes[e.0]) {
            e.0 = i;
        }
        e.1 += n.area;
    }
    let mut order: Vec<(u32, usize, u128)> = roots.iter().map(|(&r, &(o, a))| (r, o, a)).collect();
    order.sort_by(|a, b| b.2.cmp(&a.2).then(cells[a.1].cmp(&cells[b.1])));
    let mut id_of: HashMap<u32, u32> = HashMap::with_capacity(order.len());
    let mut basins = Vec::with_capacity(order.len());
    for (i, &(root, outlet, area)) in order.iter().enumerate() {
        id_of.insert(root, i as u32 + 1);
        let n = &nodes[outlet];
        basins.push(GlobalBasin {
            id: i as u32 + 1,
            outlet: cells[outlet],
            ending: n.ending,
            elevation: n.height as f64,
            area_km2: area as f64 * AREA_UNIT,
        });
    }
    let mut w = Writer::new();
    w.usize(basins.len()).usize(cells.len());
    for (i, &(r, c)) in cells.iter().enumerate() {
        w.usize(r).usize(c).u32(id_of[&union.find(i as u32)]);
    }
    Ok((w.finish(), basins))
}

/// The number of global basins and every end cell's id, sorted by cell,
/// from [`merge_nodes`]'s message.
#[allow(clippy::type_complexity)]
fn read_table(tiles: &TileSet, bytes: &[u8]) -> Result<(usize, Vec<((usize, usize), u32)>)> {
    let dim = tiles.dim();
    let mut r = Reader::new(bytes);
    let basins = r.index(usize::MAX)?;
    let n = r.index(bytes.len() / 20 + 1)?;
    let mut table = Vec::with_capacity(n);
    for _ in 0..n {
        table.push(((r.index(dim.0)?, r.index(dim.1)?), r.u32()?));
    }
    if !table.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err(Error::param(
            "the end cells of the merge of a tiled run came out of order",
        ));
    }
    Ok((basins, table))
}

/// Every block's perimeter gradients of this rank, as one message.
fn encode_rings(rings: &[(usize, Vec<[f32; 2]>)]) -> Vec<u8> {
    let mut w = Writer::new();
    w.usize(rings.len());
    for (k, ring) in rings {
        w.usize(*k).usize(ring.len());
        for g in ring {
            w.f32(g[0]).f32(g[1]);
        }
    }
    w.finish()
}

/// Every block's perimeter gradients from every rank's [`encode_rings`];
/// each block must come once, with its perimeter's length.
fn decode_rings(tiles: &TileSet, parts: &[Vec<u8>]) -> Result<Vec<Vec<[f32; 2]>>> {
    let blocks = tiles.blocks();
    let mut rings: Vec<Option<Vec<[f32; 2]>>> = vec![None; blocks.len()];
    for part in parts {
        let mut r = Reader::new(part);
        for _ in 0..r.index(blocks.len() + 1)? {
            let k = r.index(blocks.len())?;
            let n = super::flood::ring_len(blocks[k].rows, blocks[k].cols);
            if r.index(n + 1)? != n || rings[k].is_some() {
                return Err(Error::param(format!(
                    "the perimeter gradients of block {} came twice or with the wrong length",
                    blocks[k].name
                )));
            }
            rings[k] = Some(
                (0..n)
                    .map(|_| Ok([r.f32()?, r.f32()?]))
                    .collect::<Result<_>>()?,
            );
        }
    }
    rings
        .into_iter()
        .enumerate()
        .map(|(k, ring)| {
            ring.ok_or_else(|| {
                Error::param(format!(
                    "no rank sent the perimeter gradients of block {}",
                    blocks[k].name
                ))
            })
        })
        .collect()
}

/// Sends every rank's outbox `out` through rank 0 to the ranks owning the
/// blocks its walkers and endings are for; returns this rank's inbox and
/// the number of walkers in flight on all ranks (the same on every rank).
fn route(ex: &dyn Exchange, tiles: &TileSet, out: Result<Outbox>) -> Result<(Outbox, u64)> {
    let dim = tiles.dim();
    let nb = tiles.blocks().len();
    let size = ex.size().max(1);
    let routed = merge_on_root(ex, out.map(|o| o.encode()), |parts| {
        let mut per_rank = vec![Outbox::default(); size];
        let mut in_flight = 0u64;
        for part in parts {
            let o = Outbox::decode(part, dim, nb)?;
            in_flight += o.flights.len() as u64;
            for (k, f) in o.flights {
                per_rank[k % size].flights.push((k, f));
            }
            for (k, e) in o.endings {
                per_rank[k % size].endings.push((k, e));
            }
        }
        let mut w = Writer::new();
        w.u64(in_flight);
        for o in &per_rank {
            w.bytes(&o.encode());
        }
        Ok(w.finish())
    })?;
    let mut r = Reader::new(&routed);
    let in_flight = r.u64()?;
    let mut mine = None;
    for rank in 0..size {
        let bytes = r.bytes()?;
        if rank == ex.rank() {
            mine = Some(Outbox::decode(bytes, dim, nb)?);
        }
    }
    let mine = mine.unwrap_or_default();
    if let Some((k, _)) = mine.flights.iter().find(|(k, _)| !owns(ex, *k)) {
        return Err(Error::param(format!(
            "rank {} was sent walkers of block {}, which it does not work",
            ex.rank(),
            tiles.blocks()[*k].name
        )));
    }
    Ok((mine, in_flight))
}
