//! Opening elevation files of any supported kind, alone or as a mosaic.
//!
//! The reader is chosen from the file's content and name: a TIFF signature
//! means GeoTIFF, a `.hgt` or `.hgt.zip` name (or `--origin`) an SRTM tile.
//! In the build with the `gdal` feature, anything else, and any GeoTIFF
//! variant the native reader does not handle, goes to GDAL.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::georef::{Crs, GeoTransform};
use super::voids::{fill_voids, MAX_FILL_SAMPLES};
use super::{geotiff, hgt, mosaic, Dem};
use crate::budget::Budget;
use crate::error::{Error, Result};

/// Options that apply when reading elevation files.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// South-west corner `(lat, lon)` in degrees for an SRTM tile whose file
    /// name does not say it.
    pub origin: Option<(f64, f64)>,
    /// Join tiles into one mosaic even when they form separate groups that
    /// do not touch (the space between them becomes void); without it such
    /// a set of tiles is refused (see [`super::mosaic`]).
    pub mosaic_anyway: bool,
    /// The most cells a grid (one file or the mosaic) may have; checked
    /// against every header before samples are read.
    pub budget: Budget,
}

/// A loaded grid and the warnings met while building it (tiles that
/// disagree on a shared edge, gaps in a mosaic, voids filled), one
/// sentence each, for the caller to show.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The grid.
    pub dem: Dem,
    /// Warnings and remarks, in the order they arose.
    pub notes: Vec<String>,
}

/// The reader that handles a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    Hgt,
    GeoTiff,
    #[cfg(feature = "gdal")]
    Gdal,
}

/// What a reader tells about a file before reading its samples.
#[derive(Debug, Clone)]
pub(super) struct Probe {
    pub reader: Reader,
    pub transform: GeoTransform,
    pub crs: Crs,
    pub rows: usize,
    pub cols: usize,
}

/// File extensions (lower case) picked up when a directory is named.
#[cfg(not(feature = "gdal"))]
const DEM_EXTENSIONS: &[&str] = &[".hgt", ".hgt.zip", ".tif", ".tiff"];
#[cfg(feature = "gdal")]
const DEM_EXTENSIONS: &[&str] = &[
    ".hgt", ".hgt.zip", ".tif", ".tiff", ".vrt", ".img", ".asc", ".dem",
];

/// `true` for GDAL virtual file system paths such as `/vsizip/a.zip/b.tif`.
fn is_gdal_virtual(path: &Path) -> bool {
    path.to_string_lossy().starts_with("/vsi")
}

/// Replaces each directory in `paths` by the elevation files directly in
/// it (`.hgt`, `.hgt.zip`, `.tif`, `.tiff`, and with GDAL `.vrt`, `.img`,
/// `.asc`, `.dem`), sorted by name.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(path, e))?;
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if entry.path().is_file() && DEM_EXTENSIONS.iter().any(|x| name.ends_with(x)) {
                found.push(entry.path());
            }
        }
        if found.is_empty() {
            return Err(Error::bad_file(
                path,
                format!(
                    "the directory holds no elevation file (looked for {})",
                    DEM_EXTENSIONS.join(", ")
                ),
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Decides which reader handles `path`.
pub(super) fn detect(path: &Path, options: &LoadOptions) -> Result<Reader> {
    if is_gdal_virtual(path) {
        return gdal_or_refuse(path, "is a GDAL virtual file system path");
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::bad_file(
            path,
            "is a directory; name the elevation files in it",
        ));
    }
    // Devices and FIFOs are refused before a byte is read from them.
    let (mut file, _) = crate::input::open_regular(path)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|e| Error::io(path, e))?;
    if geotiff::has_tiff_signature(&magic[..n]) {
        return Ok(Reader::GeoTiff);
    }
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if hgt::is_hgt_path(path) || options.origin.is_some() {
        return Ok(Reader::Hgt);
    }
    if meta.len() == 0 {
        return Err(Error::bad_file(
            path,
            "the file is empty (0 bytes): not an elevation file; was a download or copy cut short?",
        ));
    }
    if lower.ends_with(".zip") && zip_holds_hgt(path) {
        return Ok(Reader::Hgt);
    }
    gdal_or_refuse(
        path,
        "is not a format downhill reads natively (SRTM .hgt or .hgt.zip, GeoTIFF)",
    )
}

fn zip_holds_hgt(path: &Path) -> bool {
    std::fs::File::open(path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|a| {
            a.file_names()
                .any(|n| n.to_ascii_lowercase().ends_with(".hgt"))
        })
}

#[cfg(feature = "gdal")]
fn gdal_or_refuse(_path: &Path, _why: &str) -> Result<Reader> {
    Ok(Reader::Gdal)
}

#[cfg(not(feature = "gdal"))]
fn gdal_or_refuse(path: &Path, why: &str) -> Result<Reader> {
    Err(Error::bad_file(
        path,
        format!("{why}; a build with `--features gdal` reads any raster GDAL opens"),
    ))
}

/// The geometry of `path` without reading its samples.
pub(super) fn probe(path: &Path, options: &LoadOptions) -> Result<Probe> {
    let reader = detect(path, options)?;
    match reader {
        Reader::Hgt => {
            let (transform, n, _) = hgt::probe(path, options.origin)?;
            Ok(Probe {
                reader,
                transform,
                crs: Crs::Geographic,
                rows: n,
                cols: n,
            })
        }
        Reader::GeoTiff => match geotiff::probe(path) {
            Ok(h) => Ok(Probe {
                reader,
                transform: h.transform,
                crs: h.crs,
                rows: h.rows,
                cols: h.cols,
            }),
            #[cfg(feature = "gdal")]
            Err(geotiff::ReadError::Unsupported(_)) => gdal_probe(path),
            Err(e) => Err(e.into()),
        },
        #[cfg(feature = "gdal")]
        Reader::Gdal => gdal_probe(path),
    }
}

#[cfg(feature = "gdal")]
fn gdal_probe(path: &Path) -> Result<Probe> {
    let (transform, crs, rows, cols, _) = super::gdal::probe(path)?;
    Ok(Probe {
        reader: Reader::Gdal,
        transform,
        crs,
        rows,
        cols,
    })
}

/// Reads `path` with `reader`, voids left as `NaN`.
pub(super) fn read_with(path: &Path, reader: Reader, options: &LoadOptions) -> Result<Dem> {
    match reader {
        Reader::Hgt => {
            // Tiles have fixed sizes, but the budget is the user's: checked too.
            let (_, n, _) = hgt::probe(path, options.origin)?;
            options
                .budget
                .check_cells(n as u64, n as u64, &path.display().to_string())?;
            hgt::read(path, options.origin)
        }
        Reader::GeoTiff => match geotiff::read(path, &options.budget) {
            Ok(dem) => Ok(dem),
            #[cfg(feature = "gdal")]
            Err(geotiff::ReadError::Unsupported(_)) => super::gdal::read(path),
            Err(e) => Err(e.into()),
        },
        #[cfg(feature = "gdal")]
        Reader::Gdal => {
            let p = gdal_probe(path)?;
            options.budget.check_cells(
                p.rows as u64,
                p.cols as u64,
                &path.display().to_string(),
            )?;
            super::gdal::read(path)
        }
    }
}

/// Opens one elevation file, choosing the reader from its name and content
/// (a directory: the mosaic of the files in it).
pub fn open(path: &Path, options: &LoadOptions) -> Result<Dem> {
    load(std::slice::from_ref(&path.to_path_buf()), options).map(|l| l.dem)
}

/// Opens every file named (directories expand to the elevation files in
/// them) and joins them into one grid; the notes are dropped, see [`load`].
pub fn open_all(paths: &[PathBuf], options: &LoadOptions) -> Result<Dem> {
    load(paths, options).map(|l| l.dem)
}

/// Opens every file named (directories expand to the elevation files in
/// them), joins several into one seamless mosaic (see [`super::mosaic`]),
/// and returns the grid with the notes worth telling the user. Voids stay
/// `NaN`; [`Loaded::fill_voids`] fills them.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<Loaded> {
    let paths = expand_inputs(paths)?;
    let mut notes = Vec::new();
    let dem = match paths.as_slice() {
        [] => return Err(Error::param("no elevation file given")),
        [one] => read_with(one, detect(one, options)?, options)?,
        many => {
            let (dem, mosaic_notes) = mosaic::assemble(many, options)?;
            notes.extend(mosaic_notes);
            dem
        }
    };
    Ok(Loaded { dem, notes })
}

/// Opens the named input for reading a band of rows at a time, when it is
/// one file whose format allows that (a raw SRTM `.hgt`, or a GeoTIFF the
/// native reader reads whose strips or tiles are not too large); `None`
/// when the input must be read whole with [`load`] (zipped tiles, GDAL
/// rasters, mosaics). The same checks as [`load`] apply first, the memory
/// budget among them, so a run is refused or accepted the same either way.
pub fn open_rows(
    paths: &[PathBuf],
    options: &LoadOptions,
) -> Result<Option<Box<dyn super::RowSource>>> {
    let paths = expand_inputs(paths)?;
    let [one] = paths.as_slice() else {
        return Ok(None);
    };
    match detect(one, options)? {
        Reader::Hgt => {}
        Reader::GeoTiff => {
            return match geotiff::GeoTiffRows::open(one, &options.budget) {
                Ok(rows) => Ok(rows.map(|r| Box::new(r) as Box<dyn super::RowSource>)),
                // What the native reader cannot read, `load` may (GDAL).
                Err(geotiff::ReadError::Unsupported(_)) => Ok(None),
                Err(geotiff::ReadError::Failed(e)) => Err(e),
            };
        }
        #[cfg(feature = "gdal")]
        Reader::Gdal => return Ok(None),
    }
    let (_, n, _) = hgt::probe(one, options.origin)?;
    options
        .budget
        .check_cells(n as u64, n as u64, &one.display().to_string())?;
    #[cfg(unix)]
    if let Some(rows) = hgt::HgtRows::open(one, options.origin)? {
        return Ok(Some(Box::new(rows)));
    }
    Ok(None)
}

impl Loaded {
    /// Fills the grid's voids by harmonic interpolation from their rims (see
    /// [`fill_voids`]) and adds a note saying how many were filled.
    pub fn fill_voids(&mut self) {
        let report = fill_voids(&mut self.dem.heights);
        if report.samples > 0 {
            self.notes.push(format!(
                "filled {} void samples in {} holes by harmonic interpolation from their rims",
                report.samples, report.holes
            ));
        }
        if report.too_large > 0 {
            self.notes.push(format!(
                "left {} holes of more than {MAX_FILL_SAMPLES} samples void: too large to interpolate honestly",
                report.too_large
            ));
        }
    }
}
