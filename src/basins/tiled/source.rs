//! The tiles of a tiled run: where each block of the mosaic lies, and
//! reading one block with a one-cell halo without building the mosaic.
//!
//! The inputs are either several files on one lattice (SRTM `.hgt` /
//! `.hgt.zip`, GeoTIFFs) or one raster cut into square blocks of
//! `block` cells. Either way the *mosaic* is the virtual grid
//! [`crate::dem::open_all`] would build: the smallest rectangle holding
//! every file, each sample taken from the last file (north to south, then
//! west to east) that has data there. It is never allocated: a window of it
//! is composed from the files that overlap the window, a few decoded files
//! being kept in a small cache.
//!
//! The mosaic is cut into *blocks* that partition it: for files, the cuts
//! are the files' first rows and columns (adjacent SRTM tiles share an edge
//! row, which goes to the later tile, as in the mosaic); for one raster,
//! every `block` rows and columns. Each block is the unit of work.
//!
//! Memory: one file is decoded at a time per worker, and the cache holds at
//! most [`CACHE_FILES`] decoded files. A single raster cut into blocks is
//! one file, so it is decoded whole once (the bound holds for directories
//! of tiles, the case that does not fit in memory).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ndarray::{s, Array2};

use crate::dem::{self, Crs, Dem, GeoTransform, LoadOptions};
use crate::error::{Error, Result};
use crate::terrain::RowMetrics;

/// How many decoded input files the window reader keeps.
pub const CACHE_FILES: usize = 4;

/// Relative tolerance on the alignment of files on the lattice, in cells.
const ALIGN_TOLERANCE: f64 = 1e-3;

/// One input file and where it lies in the mosaic.
#[derive(Debug, Clone)]
struct InputFile {
    path: PathBuf,
    /// First row and column of the file in the mosaic.
    r0: usize,
    c0: usize,
    rows: usize,
    cols: usize,
    /// The grid itself, when the set was made from a grid in memory.
    preloaded: Option<Arc<Dem>>,
}

/// One block of the mosaic: the unit of work of a tiled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// A name for the block's outputs: the stem of the file that starts
    /// there, or `r<row>c<col>` (block row and column).
    pub name: String,
    /// First row of the block in the mosaic (samples, north to south).
    pub r0: usize,
    /// First column of the block in the mosaic (samples, west to east).
    pub c0: usize,
    /// Rows of the block (samples).
    pub rows: usize,
    /// Columns of the block (samples).
    pub cols: usize,
}

/// The inputs of a tiled run and their blocks.
#[derive(Debug)]
pub struct TileSet {
    files: Vec<InputFile>,
    options: LoadOptions,
    /// Rows and columns of the mosaic (samples).
    rows: usize,
    cols: usize,
    transform: GeoTransform,
    crs: Crs,
    formats: Vec<String>,
    /// Cuts between blocks: block `i` spans rows `row_cuts[i]..row_cuts[i + 1]`.
    row_cuts: Vec<usize>,
    col_cuts: Vec<usize>,
    blocks: Vec<Block>,
    cache: Mutex<Vec<(usize, Arc<Dem>)>>,
}

impl TileSet {
    /// The files named (directories expand to the elevation files in them),
    /// one block per file. Every file is read once here to learn its
    /// placement; none is kept.
    pub fn from_files(paths: &[PathBuf], options: &LoadOptions) -> Result<TileSet> {
        let paths = dem::expand_inputs(paths)?;
        if paths.is_empty() {
            return Err(Error::param("no elevation file given"));
        }
        Self::build(&paths, options, None)
    }

    /// One raster file cut into blocks of `block` x `block` samples (the
    /// last row and column of blocks take what is left).
    pub fn from_raster(path: &Path, block: usize, options: &LoadOptions) -> Result<TileSet> {
        check_block(block)?;
        Self::build(&[path.to_path_buf()], options, Some(block))
    }

    /// A grid already in memory cut into blocks of `block` x `block`
    /// samples (for tests, and for grids that fit but whose fill should
    /// run block by block).
    pub fn from_dem(dem: Dem, block: usize) -> Result<TileSet> {
        check_block(block)?;
        let (rows, cols) = (dem.rows(), dem.cols());
        if rows == 0 || cols == 0 {
            return Err(Error::param("the elevation grid is empty"));
        }
        let cuts = |n: usize| -> Vec<usize> { (0..n).step_by(block).chain([n]).collect() };
        let (row_cuts, col_cuts) = (cuts(rows), cuts(cols));
        let blocks = block_list(&row_cuts, &col_cuts, &[]);
        Ok(TileSet {
            formats: dem.inputs.iter().map(|i| i.format.clone()).collect(),
            options: LoadOptions::default(),
            rows,
            cols,
            transform: dem.transform,
            crs: dem.crs.clone(),
            row_cuts,
            col_cuts,
            blocks,
            cache: Mutex::new(Vec::new()),
            files: vec![InputFile {
                path: PathBuf::from("memory"),
                r0: 0,
                c0: 0,
                rows,
                cols,
                preloaded: Some(Arc::new(dem)),
            }],
        })
    }

    fn build(paths: &[PathBuf], options: &LoadOptions, block: Option<usize>) -> Result<TileSet> {
        let placed = place(paths, options)?;
        let crs = placed[0].4.clone();
        check_alike(&placed)?;
        let (rows, cols, transform) = mosaic_lattice(&placed)?;
        let files = input_files(&placed, rows, cols, &transform)?;
        let (row_cuts, col_cuts) = cuts(block, &files, rows, cols);
        let named: Vec<&InputFile> = if block.is_none() {
            files.iter().collect()
        } else {
            Vec::new()
        };
        let blocks = block_list(&row_cuts, &col_cuts, &named);
        Ok(TileSet {
            formats: placed.iter().map(|p| p.5.clone()).collect(),
            files,
            options: options.clone(),
            rows,
            cols,
            transform,
            crs,
            row_cuts,
            col_cuts,
            blocks,
            cache: Mutex::new(Vec::new()),
        })
    }

    /// Rows and columns of the mosaic (samples).
    pub fn dim(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Placement of the mosaic's samples.
    pub fn transform(&self) -> GeoTransform {
        self.transform
    }

    /// Coordinate reference system of the mosaic.
    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// The format of every input file (e.g. `SRTM .hgt`), in mosaic order.
    pub fn formats(&self) -> &[String] {
        &self.formats
    }

    /// The blocks, north to south, then west to east.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Blocks per column and per row of the block grid.
    pub fn grid(&self) -> (usize, usize) {
        (self.row_cuts.len() - 1, self.col_cuts.len() - 1)
    }

    /// Ground size of one cell `(east-west, north-south)` in metres at
    /// (fractional) row `row` of the mosaic, as [`Dem::cell_size_m`].
    pub fn cell_size_m(&self, row: f64) -> (f64, f64) {
        let probe = Dem {
            heights: Array2::zeros((0, 0)),
            transform: self.transform,
            crs: self.crs.clone(),
            inputs: Vec::new(),
        };
        probe.cell_size_m(row)
    }

    /// The ground size of the cells of every row of the mosaic, metres,
    /// exactly as [`RowMetrics::of`] gives them for the loaded mosaic.
    pub fn metrics(&self) -> RowMetrics {
        let probe = Dem {
            heights: Array2::zeros((0, 0)),
            transform: self.transform,
            crs: self.crs.clone(),
            inputs: Vec::new(),
        };
        let (dx, dy) = (0..self.rows).map(|r| probe.cell_size_m(r as f64)).unzip();
        RowMetrics { dx, dy }
    }

    /// The block holding mosaic sample (`row`, `col`), as an index into
    /// [`TileSet::blocks`].
    pub fn block_of(&self, row: usize, col: usize) -> usize {
        let i = self.row_cuts.partition_point(|&c| c <= row) - 1;
        let j = self.col_cuts.partition_point(|&c| c <= col) - 1;
        i * (self.col_cuts.len() - 1) + j
    }

    /// Heights (metres, `NaN` for voids and outside the mosaic) of the
    /// `rows` x `cols` window of the mosaic whose first sample is
    /// (`r0`, `c0`), which may lie outside the mosaic.
    pub fn window(&self, r0: isize, c0: isize, rows: usize, cols: usize) -> Result<Array2<f32>> {
        let mut out = Array2::from_elem((rows, cols), f32::NAN);
        let (r1, c1) = (r0 + rows as isize, c0 + cols as isize);
        for (k, f) in self.files.iter().enumerate() {
            let (fr0, fc0) = (f.r0 as isize, f.c0 as isize);
            let (fr1, fc1) = (fr0 + f.rows as isize, fc0 + f.cols as isize);
            let (a0, a1) = (r0.max(fr0), r1.min(fr1));
            let (b0, b1) = (c0.max(fc0), c1.min(fc1));
            if a0 >= a1 || b0 >= b1 {
                continue;
            }
            let d = self.decoded(k)?;
            let src = d.heights.slice(s![
                (a0 - fr0) as usize..(a1 - fr0) as usize,
                (b0 - fc0) as usize..(b1 - fc0) as usize
            ]);
            let mut dst = out.slice_mut(s![
                (a0 - r0) as usize..(a1 - r0) as usize,
                (b0 - c0) as usize..(b1 - c0) as usize
            ]);
            for (o, &v) in dst.iter_mut().zip(src.iter()) {
                if !v.is_nan() {
                    *o = v;
                }
            }
        }
        Ok(out)
    }

    /// Input file `k`, decoded (from the cache when it is there).
    fn decoded(&self, k: usize) -> Result<Arc<Dem>> {
        if let Some(d) = &self.files[k].preloaded {
            return Ok(d.clone());
        }
        if let Some(d) = self
            .lock()
            .iter()
            .find(|(i, _)| *i == k)
            .map(|e| e.1.clone())
        {
            return Ok(d);
        }
        let f = &self.files[k];
        let d = dem::open(&f.path, &self.options)?;
        if d.rows() != f.rows || d.cols() != f.cols {
            return Err(Error::bad_file(
                &f.path,
                "its size changed while the tiled run was reading it",
            ));
        }
        let d = Arc::new(d);
        let mut cache = self.lock();
        cache.retain(|(i, _)| *i != k);
        cache.push((k, d.clone()));
        if cache.len() > CACHE_FILES {
            cache.remove(0);
        }
        Ok(d)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(usize, Arc<Dem>)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where a file lies: its path, transform, rows, columns, CRS and format.
type Placed = (PathBuf, GeoTransform, usize, usize, Crs, String);

/// The placement of every file, read from the file itself, north to south
/// then west to east as the mosaic lays them.
fn place(paths: &[PathBuf], options: &LoadOptions) -> Result<Vec<Placed>> {
    let mut placed: Vec<Placed> = Vec::new();
    for path in paths {
        let d = dem::open(path, options)?;
        let format = d
            .inputs
            .first()
            .map(|i| i.format.clone())
            .unwrap_or_default();
        placed.push((
            path.clone(),
            d.transform,
            d.rows(),
            d.cols(),
            d.crs.clone(),
            format,
        ));
    }
    // North to south, then west to east, as the mosaic lays them.
    placed.sort_by(|a, b| {
        b.1.origin_y
            .total_cmp(&a.1.origin_y)
            .then(a.1.origin_x.total_cmp(&b.1.origin_x))
    });
    Ok(placed)
}

/// Refuses files whose CRS or cell size differs from the first's.
fn check_alike(placed: &[Placed]) -> Result<()> {
    let first = &placed[0];
    for p in &placed[1..] {
        if p.4 != first.4 {
            return Err(Error::bad_file(
                &p.0,
                format!(
                    "its coordinate system {} differs from {} of {}; tiles of one mosaic must share one",
                    p.4.label(),
                    first.4.label(),
                    first.0.display()
                ),
            ));
        }
        let same = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs());
        if !same(p.1.cell_x, first.1.cell_x) || !same(p.1.cell_y, first.1.cell_y) {
            return Err(Error::bad_file(
                &p.0,
                format!(
                    "its cells differ in size from those of {}; resample the tiles to one resolution first",
                    first.0.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Rows, columns and transform of the rectangle holding every file.
fn mosaic_lattice(placed: &[Placed]) -> Result<(usize, usize, GeoTransform)> {
    let first = &placed[0];
    Ok(if placed.len() == 1 {
        (first.2, first.3, first.1)
    } else {
        let bounds: Vec<[f64; 4]> = placed
            .iter()
            .map(|p| p.1.bounds(p.2, p.3).to_array())
            .collect();
        let west = bounds.iter().map(|b| b[0]).fold(f64::INFINITY, f64::min);
        let south = bounds.iter().map(|b| b[1]).fold(f64::INFINITY, f64::min);
        let east = bounds
            .iter()
            .map(|b| b[2])
            .fold(f64::NEG_INFINITY, f64::max);
        let north = bounds
            .iter()
            .map(|b| b[3])
            .fold(f64::NEG_INFINITY, f64::max);
        let (cell_x, cell_y) = (first.1.cell_x, first.1.cell_y);
        let cols_f = ((east - west) / cell_x).round();
        let rows_f = ((north - south) / cell_y).round();
        if !(rows_f >= 1.0 && cols_f >= 1.0 && rows_f * cols_f < u64::MAX as f64 / 16.0) {
            return Err(Error::param(format!(
                "the {} tiles span an impossible {rows_f} x {cols_f} samples",
                placed.len()
            )));
        }
        let transform = GeoTransform {
            origin_x: west,
            origin_y: north,
            cell_x,
            cell_y,
        };
        (rows_f as usize, cols_f as usize, transform)
    })
}

/// Every file placed on the mosaic's lattice (`rows` x `cols` samples,
/// `transform`), refused if it is off the lattice or reaches past it.
fn input_files(
    placed: &[Placed],
    rows: usize,
    cols: usize,
    transform: &GeoTransform,
) -> Result<Vec<InputFile>> {
    let first = &placed[0];
    let mut files = Vec::with_capacity(placed.len());
    for p in placed {
        let r = (transform.origin_y - p.1.origin_y) / transform.cell_y;
        let c = (p.1.origin_x - transform.origin_x) / transform.cell_x;
        if (r - r.round()).abs() > ALIGN_TOLERANCE || (c - c.round()).abs() > ALIGN_TOLERANCE {
            return Err(Error::bad_file(
                &p.0,
                format!(
                    "its samples do not fall on the lattice of {}; resample it onto one grid first",
                    first.0.display()
                ),
            ));
        }
        let (r0, c0) = (r.round().max(0.0) as usize, c.round().max(0.0) as usize);
        if r0 + p.2 > rows || c0 + p.3 > cols {
            return Err(Error::bad_file(
                &p.0,
                "it reaches past the rectangle of the tiles",
            ));
        }
        files.push(InputFile {
            path: p.0.clone(),
            r0,
            c0,
            rows: p.2,
            cols: p.3,
            preloaded: None,
        });
    }
    Ok(files)
}

/// Row and column cuts between the blocks: every `block` samples when
/// given, else where the files begin.
fn cuts(
    block: Option<usize>,
    files: &[InputFile],
    rows: usize,
    cols: usize,
) -> (Vec<usize>, Vec<usize>) {
    match block {
        Some(n) => (
            (0..rows).step_by(n).chain([rows]).collect(),
            (0..cols).step_by(n).chain([cols]).collect(),
        ),
        None => {
            let cuts = |starts: Vec<usize>, end: usize| {
                let mut v: Vec<usize> = starts.into_iter().chain([0, end]).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            (
                cuts(files.iter().map(|f| f.r0).collect(), rows),
                cuts(files.iter().map(|f| f.c0).collect(), cols),
            )
        }
    }
}

/// A block must be at least 2 x 2 samples.
fn check_block(block: usize) -> Result<()> {
    if block < 2 {
        return Err(Error::invalid(
            "block",
            block,
            "a block must be at least 2 cells on a side",
        ));
    }
    Ok(())
}

/// The blocks between the cuts, north to south then west to east, named
/// after the file of `named` that starts at their first sample, if any.
fn block_list(row_cuts: &[usize], col_cuts: &[usize], named: &[&InputFile]) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (i, w) in row_cuts.windows(2).enumerate() {
        for (j, v) in col_cuts.windows(2).enumerate() {
            let name = match named.iter().find(|f| f.r0 == w[0] && f.c0 == v[0]) {
                Some(f) => stem(&f.path),
                None => format!("r{i}c{j}"),
            };
            blocks.push(Block {
                name,
                r0: w[0],
                c0: v[0],
                rows: w[1] - w[0],
                cols: v[1] - v[0],
            });
        }
    }
    blocks
}

/// A file's name without its elevation extensions (`N43E006` for `N43E006.hgt.zip`).
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let lower = name.to_ascii_lowercase();
    for ext in [".hgt.zip", ".hgt", ".tiff", ".tif"] {
        if lower.ends_with(ext) {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name
}
