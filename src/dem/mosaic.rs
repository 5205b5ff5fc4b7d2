//! Joining several tiles into one seamless grid.
//!
//! Every tile must share the CRS, the cell size and the sample lattice of
//! the others; the mosaic is the smallest rectangle holding them all.
//! Tiles are laid north to south, then west to east, each over the ones
//! before, as `gdalbuildvrt` does with its inputs in that order: where
//! tiles overlap (adjacent SRTM tiles share their edge row or column), the
//! sample of the later tile (to the south or east) is kept, unless it is a
//! void and the earlier one has data. A note tells when the shared samples
//! disagree by more than [`SHARED_EDGE_TOLERANCE_M`]. Parts of the rectangle no tile covers are
//! voids.
//!
//! Tiles that fall into separate groups, none of whose tiles touches a
//! tile of another group (Ireland and Provence named together, or a
//! directory holding both), are refused with the groups listed: their
//! mosaic would be mostly void and far larger than either. The caller can
//! ask for it anyway ([`LoadOptions::mosaic_anyway`]).
//!
//! Memory: the output grid is allocated once, from the tiles' headers, and
//! the tiles are then read and copied in one at a time, so the peak is the
//! mosaic plus one decoded tile (a 3 x 3 SRTM1 mosaic: 467 MB + 78 MB).

use crate::geo::Bounds;
use std::path::{Path, PathBuf};

use ndarray::{s, Array2};

use super::georef::GeoTransform;
use super::load::{probe, read_with, LoadOptions, Probe};
use super::Dem;
use crate::error::{Error, Result};

/// Shared samples of neighbouring tiles may differ by this many metres
/// without a warning.
pub const SHARED_EDGE_TOLERANCE_M: f32 = 5.0;

/// The largest mosaic built, in samples (4 GiB of `f32`).
pub const MAX_MOSAIC_SAMPLES: usize = 1 << 30;

/// Relative tolerance on cell sizes and on the alignment of tiles, in cells.
const ALIGN_TOLERANCE: f64 = 1e-3;

/// Builds the mosaic of `paths`; returns it with its notes.
pub(super) fn assemble(paths: &[PathBuf], options: &LoadOptions) -> Result<(Dem, Vec<String>)> {
    let mut tiles: Vec<(PathBuf, Probe)> = Vec::with_capacity(paths.len());
    for path in paths {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if tiles
            .iter()
            .any(|(p, _)| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()) == canonical)
        {
            continue;
        }
        let p = probe(path, options)?;
        tiles.push((path.clone(), p));
    }
    if tiles.len() == 1 {
        let (path, p) = &tiles[0];
        return Ok((read_with(path, p.reader, options)?, Vec::new()));
    }
    check_compatible(&tiles)?;
    if !options.mosaic_anyway {
        refuse_separate_groups(&tiles)?;
    }
    // North to south, then west to east.
    tiles.sort_by(|a, b| {
        b.1.transform
            .origin_y
            .total_cmp(&a.1.transform.origin_y)
            .then(a.1.transform.origin_x.total_cmp(&b.1.transform.origin_x))
    });
    let first = &tiles[0].1;
    let (cell_x, cell_y) = (first.transform.cell_x, first.transform.cell_y);
    let bounds: Vec<Bounds> = tiles
        .iter()
        .map(|(_, p)| p.transform.bounds(p.rows, p.cols))
        .collect();
    let west = bounds.iter().map(|b| b.west).fold(f64::INFINITY, f64::min);
    let south = bounds.iter().map(|b| b.south).fold(f64::INFINITY, f64::min);
    let east = bounds
        .iter()
        .map(|b| b.east)
        .fold(f64::NEG_INFINITY, f64::max);
    let north = bounds
        .iter()
        .map(|b| b.north)
        .fold(f64::NEG_INFINITY, f64::max);
    let (cols_f, rows_f) = (
        ((east - west) / cell_x).round(),
        ((north - south) / cell_y).round(),
    );
    let what = format!("the mosaic of {} tiles", tiles.len());
    options.budget.check_cells_f64(rows_f, cols_f, &what)?;
    if rows_f * cols_f > MAX_MOSAIC_SAMPLES as f64 {
        return Err(Error::param(format!(
            "{what} would span {rows_f:.0} x {cols_f:.0} samples ({:.1} GiB), more than downhill joins ({MAX_MOSAIC_SAMPLES} samples); name fewer or closer tiles",
            rows_f * cols_f * 4.0 / (1u64 << 30) as f64,
        )));
    }
    let (rows, cols) = (rows_f as usize, cols_f as usize);
    let transform = GeoTransform {
        origin_x: west,
        origin_y: north,
        cell_x,
        cell_y,
    };
    // Offsets of every tile in the mosaic, checked to fall on its lattice.
    let mut offsets = Vec::with_capacity(tiles.len());
    for (path, p) in &tiles {
        let r = (north - p.transform.origin_y) / cell_y;
        let c = (p.transform.origin_x - west) / cell_x;
        if (r - r.round()).abs() > ALIGN_TOLERANCE || (c - c.round()).abs() > ALIGN_TOLERANCE {
            return Err(Error::bad_file(
                path,
                format!(
                    "its samples do not fall on the lattice of {} (offset by {:.3} rows, {:.3} columns); resample it onto one grid first",
                    tiles[0].0.display(),
                    r - r.round(),
                    c - c.round()
                ),
            ));
        }
        offsets.push((r.round() as usize, c.round() as usize));
    }

    let mut heights = Array2::<f32>::from_elem((rows, cols), f32::NAN);
    let mut notes = Vec::new();
    let mut inputs = Vec::with_capacity(tiles.len());
    let mut placed: Vec<usize> = Vec::new();
    for (i, ((path, p), &(r0, c0))) in tiles.iter().zip(&offsets).enumerate() {
        let tile = read_with(path, p.reader, options)?;
        if tile.rows() != p.rows || tile.cols() != p.cols {
            return Err(Error::bad_file(
                path,
                "its size changed between reading its header and its samples",
            ));
        }
        let mut target = heights.slice_mut(s![r0..r0 + p.rows, c0..c0 + p.cols]);
        let (mut shared, mut disagree, mut worst) = (0usize, 0usize, 0f32);
        for (out, &v) in target.iter_mut().zip(tile.heights.iter()) {
            if v.is_nan() {
                continue;
            }
            if !out.is_nan() {
                shared += 1;
                let d = (*out - v).abs();
                if d > SHARED_EDGE_TOLERANCE_M {
                    disagree += 1;
                    worst = worst.max(d);
                }
            }
            *out = v;
        }
        if disagree > 0 {
            let others: Vec<String> = placed
                .iter()
                .filter(|&&j| bounds[j].intersection(&bounds[i]).is_some())
                .map(|&j| file_name(&tiles[j].0))
                .collect();
            notes.push(format!(
                "{} disagrees with {} by more than {SHARED_EDGE_TOLERANCE_M} m on {disagree} of the {shared} samples they share (up to {worst} m); kept its own",
                path.display(),
                others.join(", "),
            ));
        }
        placed.push(i);
        inputs.extend(tile.inputs);
    }
    let covered: usize = tiles.iter().map(|(_, p)| p.rows * p.cols).sum();
    if covered < rows * cols {
        notes.push(format!(
            "the {} tiles do not fill the {rows} x {cols} rectangle they span; the samples of the missing parts are voids",
            tiles.len()
        ));
    }
    let dem = Dem {
        heights,
        transform,
        crs: first.crs.clone(),
        inputs,
    };
    Ok((dem, notes))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Same CRS and cell size for every tile, or an error naming the odd one out.
fn check_compatible(tiles: &[(PathBuf, Probe)]) -> Result<()> {
    let (first_path, first) = &tiles[0];
    let size = |t: &GeoTransform| {
        if first.crs.is_geographic() {
            format!("{:.3}\" x {:.3}\"", t.cell_x * 3600.0, t.cell_y * 3600.0)
        } else {
            format!("{} m x {} m", t.cell_x, t.cell_y)
        }
    };
    for (path, p) in &tiles[1..] {
        if p.crs != first.crs {
            return Err(Error::bad_file(
                path,
                format!(
                    "its coordinate system {} differs from {} of {}; tiles of one mosaic must share one",
                    p.crs.label(),
                    first.crs.label(),
                    first_path.display()
                ),
            ));
        }
        let same = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs());
        if !same(p.transform.cell_x, first.transform.cell_x)
            || !same(p.transform.cell_y, first.transform.cell_y)
        {
            return Err(Error::bad_file(
                path,
                format!(
                    "tiles of different resolutions cannot form one mosaic: its cells are {}, those of {} are {}; resample them to one resolution first",
                    size(&p.transform),
                    first_path.display(),
                    size(&first.transform)
                ),
            ));
        }
    }
    Ok(())
}

/// The groups of tiles that touch or overlap each other (directly or
/// through other tiles), as indices into `bounds` (outer cell edges); tiles closer than `tolerance` count as
/// touching. Groups are ordered by their first tile.
pub fn touching_groups(bounds: &[Bounds], tolerance: f64) -> Vec<Vec<usize>> {
    let n = bounds.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (bounds[i], bounds[j]);
            let touch = a.west <= b.east + tolerance
                && b.west <= a.east + tolerance
                && a.south <= b.north + tolerance
                && b.south <= a.north + tolerance;
            if touch {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of = vec![usize::MAX; n];
    for i in 0..n {
        let r = root(&mut parent, i);
        if group_of[r] == usize::MAX {
            group_of[r] = groups.len();
            groups.push(Vec::new());
        }
        groups[group_of[r]].push(i);
    }
    groups
}

/// Refuses tiles that form more than one group of touching tiles.
fn refuse_separate_groups(tiles: &[(PathBuf, Probe)]) -> Result<()> {
    let bounds: Vec<Bounds> = tiles
        .iter()
        .map(|(_, p)| p.transform.bounds(p.rows, p.cols))
        .collect();
    let cell = tiles[0].1.transform.cell_x.abs();
    let groups = touching_groups(&bounds, cell / 2.0);
    if groups.len() < 2 {
        return Ok(());
    }
    let described: Vec<String> = groups
        .iter()
        .map(|g| {
            let names: Vec<String> = g
                .iter()
                .map(|&i| {
                    tiles[i].0.file_name().map_or_else(
                        || tiles[i].0.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect();
            let w = g
                .iter()
                .map(|&i| bounds[i].west)
                .fold(f64::INFINITY, f64::min);
            let s = g
                .iter()
                .map(|&i| bounds[i].south)
                .fold(f64::INFINITY, f64::min);
            let e = g
                .iter()
                .map(|&i| bounds[i].east)
                .fold(f64::NEG_INFINITY, f64::max);
            let n = g
                .iter()
                .map(|&i| bounds[i].north)
                .fold(f64::NEG_INFINITY, f64::max);
            format!(
                "[{}] (west {w:.2}, south {s:.2}, east {e:.2}, north {n:.2})",
                names.join(", ")
            )
        })
        .collect();
    Err(Error::param(format!(
        "the {} elevation files form {} separate groups that do not touch: {}; \
         name the files of one group (or pass --mosaic-anyway to join them, the space between them void)",
        tiles.len(),
        groups.len(),
        described.join(" and ")
    )))
}

#[cfg(test)]
mod tests {
    use super::touching_groups;
    use crate::geo::Bounds;

    #[test]
    fn tiles_group_by_touching() {
        // Two neighbours sharing an edge column, one touching them only at a
        // corner, and one far away.
        let b = [
            Bounds::new(0.0, 0.0, 1.0, 1.0),
            Bounds::new(1.0, 0.0, 2.0, 1.0),
            Bounds::new(2.0, 1.0, 3.0, 2.0),
            Bounds::new(10.0, 10.0, 11.0, 11.0),
        ];
        assert_eq!(touching_groups(&b, 1e-3), vec![vec![0, 1, 2], vec![3]]);
        // A gap of 0.5 is not touching, a gap within tolerance is.
        let b = [
            Bounds::new(0.0, 0.0, 1.0, 1.0),
            Bounds::new(1.5, 0.0, 2.5, 1.0),
        ];
        assert_eq!(touching_groups(&b, 0.1).len(), 2);
        assert_eq!(touching_groups(&b, 0.6).len(), 1);
    }
}
