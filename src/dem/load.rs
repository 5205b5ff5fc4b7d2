//! Opening elevation files of any supported kind.

use std::path::{Path, PathBuf};

use super::{hgt, Dem};
use crate::error::{Error, Result};

/// Options that apply when reading elevation files.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// South-west corner `(lat, lon)` in degrees for an SRTM tile whose file
    /// name does not say it.
    pub origin: Option<(f64, f64)>,
}

/// Opens one elevation file, choosing the reader from its name and content.
pub fn open(path: &Path, options: &LoadOptions) -> Result<Dem> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::bad_file(
            path,
            "is a directory; name the elevation files in it",
        ));
    }
    if hgt::is_hgt_path(path) || options.origin.is_some() {
        return hgt::read(path, options.origin);
    }
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if lower.ends_with(".zip") {
        return hgt::read(path, options.origin);
    }
    Err(Error::bad_file(
        path,
        "is not a format downhill reads (SRTM .hgt or .hgt.zip)",
    ))
}

/// Opens every file named and joins them into one grid.
pub fn open_all(paths: &[PathBuf], options: &LoadOptions) -> Result<Dem> {
    match paths {
        [] => Err(Error::param("no elevation file given")),
        [one] => open(one, options),
        _ => Err(Error::param(
            "several elevation files were given, but mosaics are not supported yet; name one tile",
        )),
    }
}
