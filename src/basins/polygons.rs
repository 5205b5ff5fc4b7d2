//! Tracing the outline of every basin as valid polygons.
//!
//! Each basin's outline follows the cell edges of the label grid. Every edge
//! between a cell of the basin and a cell of another basin (or the outside)
//! is directed so that the basin lies on its left; these edges chain into
//! closed rings that run counter-clockwise round the basin and clockwise
//! round its holes, as RFC 7946 asks (x east, y north).
//!
//! Where two cells of a basin touch only at a corner (a "pinch": the basin
//! occupies two diagonally opposite cells of the four around a vertex), the
//! tracer turns left, so the basin's cells are connected through edges only
//! and the rings do not cross there. A ring that still visits a vertex twice
//! (a basin wrapping round until its two ends meet at a corner) is split into
//! two rings at that vertex; the clockwise piece then is a hole touching its
//! shell at one point, which the OGC simple-features model allows. Holes go
//! to the smallest shell that contains them.

use std::collections::HashMap;

use ndarray::Array2;
use rayon::prelude::*;

/// A ring of `[x, y]` vertices, closed (the first vertex repeated last).
pub type Ring = Vec<[f64; 2]>;
/// A polygon: its shell then its holes.
pub type Polygon = Vec<Ring>;

/// Directions of travel along cell edges: east, south, west, north, as
/// (row step, column step).
const STEP: [(i64, i64); 4] = [(0, 1), (1, 0), (0, -1), (-1, 0)];
const EAST: u8 = 0;
const SOUTH: u8 = 1;
const WEST: u8 = 2;
const NORTH: u8 = 3;

/// The direction 90° anticlockwise of `d` (on a map, north up).
fn left_of(d: u8) -> u8 {
    (d + 3) % 4
}

/// The outline of every basin `1..=count` of `labels`, as polygons whose
/// vertices are cell corners `(row, col)` (row 0 to the north) mapped
/// through `to_xy`. Index `id - 1` of the result holds basin `id`; label 0
/// gets no outline.
pub fn trace(
    labels: &Array2<u32>,
    count: usize,
    to_xy: &(dyn Fn(f64, f64) -> [f64; 2] + Sync),
) -> Vec<Vec<Polygon>> {
    let (rows, cols) = labels.dim();
    let vcols = cols as u64 + 1;
    let vertex = |r: usize, c: usize| r as u64 * vcols + c as u64;
    let mut edges: Vec<Vec<(u64, u8)>> = vec![Vec::new(); count];
    for r in 0..rows {
        for c in 0..cols {
            let l = labels[[r, c]];
            if l == 0 || l as usize > count {
                continue;
            }
            let e = &mut edges[l as usize - 1];
            if r == 0 || labels[[r - 1, c]] != l {
                e.push((vertex(r, c + 1), WEST));
            }
            if r + 1 == rows || labels[[r + 1, c]] != l {
                e.push((vertex(r + 1, c), EAST));
            }
            if c == 0 || labels[[r, c - 1]] != l {
                e.push((vertex(r, c), SOUTH));
            }
            if c + 1 == cols || labels[[r, c + 1]] != l {
                e.push((vertex(r + 1, c + 1), NORTH));
            }
        }
    }
    edges.par_iter().map(|e| outline(e, vcols, to_xy)).collect()
}

/// The rings of one basin's directed edges, split, sorted into polygons.
fn outline(
    edges: &[(u64, u8)],
    vcols: u64,
    to_xy: &(dyn Fn(f64, f64) -> [f64; 2] + Sync),
) -> Vec<Polygon> {
    let rings: Vec<Vec<(f64, f64)>> = chain_rings(edges, vcols)
        .iter()
        .map(|ring| {
            drop_collinear(ring, vcols)
                .into_iter()
                .map(|v| ((v / vcols) as f64, (v % vcols) as f64))
                .collect()
        })
        .collect();
    group_into_polygons(&rings)
        .into_iter()
        .map(|members| {
            members
                .into_iter()
                .map(|i| {
                    let ring = &rings[i];
                    let mut out: Ring = ring.iter().map(|&(r, c)| to_xy(r, c)).collect();
                    if let Some(&first) = out.first() {
                        out.push(first);
                    }
                    out
                })
                .collect()
        })
        .collect()
}

/// Chains directed `edges` (start vertex, direction) into rings of vertex
/// indices (`row * vcols + col`), turning left first at a pinch, each ring
/// visiting every vertex once.
fn chain_rings(edges: &[(u64, u8)], vcols: u64) -> Vec<Vec<u64>> {
    let mut unused: HashMap<u64, u8> = HashMap::with_capacity(edges.len());
    for &(v, d) in edges {
        *unused.entry(v).or_insert(0) |= 1 << d;
    }
    let step = |v: u64, d: u8| {
        let (dr, dc) = STEP[d as usize];
        let (r, c) = ((v / vcols) as i64 + dr, (v % vcols) as i64 + dc);
        r as u64 * vcols + c as u64
    };
    let mut rings: Vec<Vec<u64>> = Vec::new();
    for &(v0, d0) in edges {
        if !has(unused.get(&v0), d0) {
            continue;
        }
        let mut walk = vec![v0];
        let (mut v, mut d) = (v0, d0);
        loop {
            if let Some(m) = unused.get_mut(&v) {
                *m &= !(1 << d);
            }
            v = step(v, d);
            let mask = unused.get(&v).copied().unwrap_or(0);
            if mask == 0 {
                break;
            }
            walk.push(v);
            d = [left_of(d), d, left_of(left_of(left_of(d)))]
                .into_iter()
                .find(|&k| mask & (1 << k) != 0)
                .unwrap_or(d);
        }
        rings.extend(split_at_repeats(&walk));
    }
    rings
}

/// Signed area of a ring of `(row, col)` vertices in (x = col, y = -row):
/// positive is anticlockwise, in cells.
fn signed_area(ring: &[(f64, f64)]) -> f64 {
    ring_edges(ring)
        .map(|((r1, c1), (r2, c2))| c1 * (-r2) - c2 * (-r1))
        .sum::<f64>()
        / 2.0
}

/// The edges of a closed ring, each from a vertex to the next, the last
/// back to the first.
fn ring_edges(ring: &[(f64, f64)]) -> impl Iterator<Item = ((f64, f64), (f64, f64))> + '_ {
    ring.iter()
        .copied()
        .zip(ring.iter().copied().skip(1).chain(ring.first().copied()))
}

/// The box of a ring's vertices: (least row, greatest row, least column,
/// greatest column).
type RingBox = (f64, f64, f64, f64);

/// The [`RingBox`] of `ring`.
fn bounding_box(ring: &[(f64, f64)]) -> RingBox {
    ring.iter().fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(r0, r1, c0, c1), &(r, c)| (r0.min(r), r1.max(r), c0.min(c), c1.max(c)),
    )
}

/// Sorts `rings` into polygons, as ring indices: each anticlockwise ring is
/// a shell, each clockwise ring a hole of the smallest shell that contains
/// it (a hole no shell contains is dropped).
///
/// A hole's point is tested only against the shells whose box holds it,
/// found through bands of [`SHELL_BAND_ROWS`] rows: a fragmented basin on
/// rough terrain has thousands of shells and holes, and testing every
/// shell for every hole took seconds.
fn group_into_polygons(rings: &[Vec<(f64, f64)>]) -> Vec<Vec<usize>> {
    let mut shells: Vec<(usize, f64, RingBox)> = Vec::new();
    let mut holes: Vec<usize> = Vec::new();
    for (i, ring) in rings.iter().enumerate() {
        let a = signed_area(ring);
        if a > 0.0 {
            shells.push((i, a, bounding_box(ring)));
        } else {
            holes.push(i);
        }
    }
    let mut polygons: Vec<Vec<usize>> = shells.iter().map(|&(i, ..)| vec![i]).collect();
    // The shells whose rows reach into each band, in order.
    let band_of = |row: f64| (row.max(0.0) / SHELL_BAND_ROWS) as usize;
    let bands = shells
        .iter()
        .map(|s| band_of(s.2 .1) + 1)
        .max()
        .unwrap_or(0);
    let mut in_band: Vec<Vec<usize>> = vec![Vec::new(); bands];
    for (k, &(_, _, (r0, r1, ..))) in shells.iter().enumerate() {
        for band in &mut in_band[band_of(r0)..=band_of(r1)] {
            band.push(k);
        }
    }
    for h in holes {
        let p = point_left_of_first_edge(&rings[h]);
        let in_box =
            |&(r0, r1, c0, c1): &RingBox| (r0..=r1).contains(&p.0) && (c0..=c1).contains(&p.1);
        // The smallest shell holding `p`, the first of equal ones.
        let owner = in_band
            .get(band_of(p.0))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&k| in_box(&shells[k].2) && contains(&rings[shells[k].0], p))
            .min_by(|&a, &b| shells[a].1.total_cmp(&shells[b].1));
        if let Some(k) = owner {
            polygons[k].push(h);
        }
    }
    polygons
}

/// Rows per band of [`group_into_polygons`]'s index of shells.
const SHELL_BAND_ROWS: f64 = 16.0;

/// A point a quarter cell to the left of the ring's first edge, half way
/// along it: for a hole it lies inside a cell of the basin, never on a cell
/// edge.
fn point_left_of_first_edge(ring: &[(f64, f64)]) -> (f64, f64) {
    let (r1, c1) = ring[0];
    let (r2, c2) = ring[1 % ring.len()];
    let len = ((r2 - r1).powi(2) + (c2 - c1).powi(2)).sqrt().max(1e-12);
    let (dr, dc) = ((r2 - r1) / len, (c2 - c1) / len);
    (r1 + dr * 0.5 - dc * 0.25, c1 + dc * 0.5 + dr * 0.25)
}

/// `true` when `mask` holds the direction `bit`.
fn has(mask: Option<&u8>, bit: u8) -> bool {
    matches!(mask, Some(m) if m & (1 << bit) != 0)
}

/// Splits a closed walk of vertices (first not repeated at the end) into
/// rings that each visit every vertex once.
fn split_at_repeats(walk: &[u64]) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    let mut stack: Vec<u64> = Vec::with_capacity(walk.len());
    let mut position: HashMap<u64, usize> = HashMap::new();
    for &v in walk {
        if let Some(&i) = position.get(&v) {
            for u in &stack[i + 1..] {
                position.remove(u);
            }
            out.push(stack[i..].to_vec());
            stack.truncate(i + 1);
        } else {
            position.insert(v, stack.len());
            stack.push(v);
        }
    }
    if stack.len() >= 3 {
        out.push(stack);
    }
    out.retain(|r| r.len() >= 3);
    out
}

/// The ring without vertices in the middle of a straight run.
fn drop_collinear(ring: &[u64], vcols: u64) -> Vec<u64> {
    let n = ring.len();
    let rc = |v: u64| ((v / vcols) as i64, (v % vcols) as i64);
    (0..n)
        .filter(|&i| {
            let (a, b, c) = (
                rc(ring[(i + n - 1) % n]),
                rc(ring[i]),
                rc(ring[(i + 1) % n]),
            );
            let cross = (b.0 - a.0) * (c.1 - b.1) - (b.1 - a.1) * (c.0 - b.0);
            cross != 0
        })
        .map(|i| ring[i])
        .collect()
}

/// Even-odd test of point `p` = (row, col) against a ring of (row, col) vertices.
fn contains(ring: &[(f64, f64)], p: (f64, f64)) -> bool {
    let mut inside = false;
    for ((r1, c1), (r2, c2)) in ring_edges(ring) {
        if (r1 > p.0) != (r2 > p.0) {
            let c = c1 + (p.0 - r1) * (c2 - c1) / (r2 - r1);
            if p.1 < c {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An axis-aligned square ring of `(row, col)` corners from
    /// (`r`, `c`), `side` cells a side: a shell (anticlockwise with x east,
    /// y north) or a hole (clockwise).
    fn square(r: f64, c: f64, side: f64, shell: bool) -> Vec<(f64, f64)> {
        let ring = vec![(r, c), (r + side, c), (r + side, c + side), (r, c + side)];
        if shell {
            ring
        } else {
            ring.into_iter().rev().collect()
        }
    }

    /// Holes go to the smallest shell holding them (the first of equal
    /// ones), as a search through every shell finds them, for shells and
    /// holes scattered, nested and of equal sizes over more rows than one
    /// band of the index holds; a hole outside every shell is dropped.
    #[test]
    fn holes_go_to_the_smallest_shell_holding_them_as_a_full_search_finds() {
        let mut seed = 12345u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut rings = Vec::new();
        for _ in 0..600 {
            let shell = next(3) == 0;
            let side = 1 + next(if shell { 60 } else { 8 });
            let (r, c) = (next(200) as f64, next(200) as f64);
            rings.push(square(r, c, side as f64, shell));
        }
        // Two equal shells holding the same hole: the first one takes it.
        rings.push(square(300.0, 300.0, 10.0, true));
        rings.push(square(300.0, 300.0, 10.0, true));
        rings.push(square(303.0, 303.0, 2.0, false));
        let grouped = group_into_polygons(&rings);

        // By hand: every shell, every hole, every shell against it.
        let shells: Vec<usize> = (0..rings.len())
            .filter(|&i| signed_area(&rings[i]) > 0.0)
            .collect();
        let mut expected: Vec<Vec<usize>> = shells.iter().map(|&s| vec![s]).collect();
        let mut dropped = 0;
        for h in (0..rings.len()).filter(|&i| signed_area(&rings[i]) <= 0.0) {
            let p = point_left_of_first_edge(&rings[h]);
            let mut best: Option<(usize, f64)> = None;
            for (k, &s) in shells.iter().enumerate() {
                let area = signed_area(&rings[s]);
                if contains(&rings[s], p) && best.is_none_or(|(_, a)| area < a) {
                    best = Some((k, area));
                }
            }
            match best {
                Some((k, _)) => expected[k].push(h),
                None => dropped += 1,
            }
        }
        assert_eq!(grouped, expected);
        // The case had work to do: nesting, drops, the equal shells.
        assert!(expected.iter().filter(|p| p.len() > 2).count() > 10);
        assert!(dropped > 10, "{dropped}");
        let last = rings.len() - 1;
        assert!(expected[shells.len() - 2].contains(&last));
    }
}
