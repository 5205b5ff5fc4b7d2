//! Writing output files whole or not at all, without clobbering foreign files.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Name of the file, inside an output directory, that lists (one name per
/// line) the files downhill wrote there and may therefore replace.
pub const MANIFEST_NAME: &str = ".downhill-manifest";

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, flushed to disk (fsync), then renamed over `path`.
///
/// Readers see either the old file or the complete new one, never a
/// half-written file; if anything fails the temporary file is removed and
/// `path` is untouched. On Unix the new file gets the usual permissions of a
/// created file (0666 less the umask), not the private 0600 of temporary
/// files.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = temp_file_in(dir).map_err(|e| Error::io(path, e))?;
    temp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    sync_directory(dir);
    Ok(())
}

/// A temporary file in `dir`, named so that a leftover is recognisable.
fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".downhill-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0666 & !umask, like any file a program creates.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Makes the rename itself durable where the platform allows it.
///
/// Best effort: some file systems refuse to fsync a directory, and by then
/// the file is complete and in place, so a failure here is not an error.
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// An output directory (`--out DIR`) that downhill writes into.
///
/// downhill records every file it writes in [`MANIFEST_NAME`]; a file listed
/// there may be replaced by a later run, any other existing file is left
/// alone unless `force` is set.
#[derive(Debug, Clone)]
pub struct OutputDir {
    path: PathBuf,
    force: bool,
    written: BTreeSet<String>,
}

impl OutputDir {
    /// Opens `path` as an output directory, creating it (and its parents) if
    /// needed. With `force`, existing files may be replaced even if downhill
    /// did not write them.
    ///
    /// Fails if `path` exists and is not a directory, cannot be created, or
    /// holds a manifest that cannot be read.
    pub fn create(path: &Path, force: bool) -> Result<OutputDir> {
        if path.exists() && !path.is_dir() {
            return Err(Error::bad_file(
                path,
                "exists and is not a directory; choose another --out",
            ));
        }
        std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
        let manifest = path.join(MANIFEST_NAME);
        let written = match std::fs::read_to_string(&manifest) {
            Ok(text) => text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
            Err(e) => return Err(Error::io(&manifest, e)),
        };
        Ok(OutputDir {
            path: path.to_path_buf(),
            force,
            written,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks, before anything is computed or written, that every file in
    /// `names` may be written: each is a plain file name, none would replace
    /// a file downhill did not write (unless `force`), and the directory
    /// accepts new files.
    pub fn check_writable(&self, names: &[&str]) -> Result<()> {
        for name in names {
            self.check_one(name)?;
        }
        // Creating (and at once removing) a file proves the directory is writable.
        temp_file_in(&self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(())
    }

    /// Writes `bytes` atomically to the file `name` in this directory and
    /// returns its path. Refuses, naming the file, to replace an existing
    /// file downhill did not write, unless `force`.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let target = self.check_one(name)?;
        // Recorded first: a crash between the two writes leaves a manifest
        // entry for a file that may be missing, which is harmless, rather
        // than a file of ours that a later run would refuse to replace.
        if self.written.insert(name.to_owned()) {
            let mut list = String::new();
            for n in &self.written {
                list.push_str(n);
                list.push('\n');
            }
            write_atomic(&self.path.join(MANIFEST_NAME), list.as_bytes())?;
        }
        write_atomic(&target, bytes)?;
        Ok(target)
    }

    /// Validates `name` and returns the path it would be written to.
    fn check_one(&self, name: &str) -> Result<PathBuf> {
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && name != MANIFEST_NAME
            && !name.contains(['/', '\\', '\n', '\r'])
            && Path::new(name).file_name() == Some(std::ffi::OsStr::new(name));
        if !plain {
            return Err(Error::param(format!(
                "'{name}' is not a plain file name for the output directory {}",
                self.path.display()
            )));
        }
        let target = self.path.join(name);
        let meta = match std::fs::symlink_metadata(&target) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(target),
            Err(e) => return Err(Error::io(&target, e)),
        };
        if meta.is_dir() {
            return Err(Error::bad_file(
                &target,
                "is a directory where downhill would write a file; choose another --out",
            ));
        }
        if !self.force && !self.written.contains(name) {
            return Err(Error::bad_file(
                &target,
                "already exists and was not written by downhill; pass --force to replace it, \
                 or choose another --out",
            ));
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_leave_the_directory_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutputDir::create(tmp.path(), true).unwrap();
        for bad in ["", ".", "..", "../x", "a/b", MANIFEST_NAME] {
            assert!(
                matches!(dir.check_writable(&[bad]), Err(Error::BadParameter(_))),
                "{bad:?} accepted"
            );
        }
        assert!(dir.check_writable(&["tracks.gpx"]).is_ok());
    }

    #[test]
    fn the_manifest_lists_one_written_name_per_line() {
        let tmp = tempfile::tempdir().unwrap();
        let mut dir = OutputDir::create(tmp.path(), false).unwrap();
        dir.write("b.gpx", b"1").unwrap();
        dir.write("a.geojson", b"2").unwrap();
        dir.write("b.gpx", b"3").unwrap();
        let manifest = std::fs::read_to_string(tmp.path().join(MANIFEST_NAME)).unwrap();
        let mut names: Vec<&str> = manifest.lines().collect();
        names.sort_unstable();
        assert_eq!(names, ["a.geojson", "b.gpx"]);
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_ordinary_permissions_not_private_temp_ones() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        // Reference: the mode the OS gives a file created the ordinary way.
        let reference = tmp.path().join("reference");
        std::fs::write(&reference, b"x").unwrap();
        let ours = tmp.path().join("ours");
        write_atomic(&ours, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&reference));
    }
}
