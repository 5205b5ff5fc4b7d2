//! Writing output files whole or not at all, without clobbering foreign files.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Refusal, Result};

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
    temp.persist(path)
        .map_err(|e| Error::io(path, without_temp_path(e.error)))?;
    sync_directory(dir);
    Ok(())
}

/// A temporary file in `dir`, named so that a leftover is recognisable.
///
/// Its errors do not name the temporary (the `tempfile` crate appends its
/// path, a name the user never chose): the caller names the real target.
/// A complete temporary in `dir` holding `pieces` one after the other,
/// flushed to disk, for the file `target` (named in errors).
fn stage_pieces<'a>(
    dir: &Path,
    target: &Path,
    pieces: impl Iterator<Item = &'a [u8]>,
) -> Result<tempfile::TempPath> {
    stage_with(dir, target, |file| {
        for piece in pieces {
            file.write_all(piece)?;
        }
        Ok(())
    })
}

/// A complete temporary in `dir` holding what `fill` writes, flushed to
/// disk, for the file `target` (named in errors).
fn stage_with(
    dir: &Path,
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<tempfile::TempPath> {
    let mut temp = temp_file_in(dir).map_err(|e| Error::io(target, e))?;
    {
        // Small pieces (chunk headers) gather in the buffer; large ones go
        // straight to the file.
        let mut file = std::io::BufWriter::with_capacity(1 << 16, temp.as_file_mut());
        fill(&mut file).map_err(|e| Error::io(target, e))?;
        file.flush().map_err(|e| Error::io(target, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(target, e))?;
    Ok(temp.into_temp_path())
}

fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    temp_file_named_in(dir).map_err(without_temp_path)
}

/// The operating system's error inside one that `tempfile` wrapped with the
/// temporary's path.
fn without_temp_path(e: std::io::Error) -> std::io::Error {
    let os = e
        .get_ref()
        .and_then(|inner| inner.source())
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error)
        .or_else(|| e.raw_os_error());
    match os {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None if e.get_ref().is_some() => std::io::Error::from(e.kind()),
        None => e,
    }
}

fn temp_file_named_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
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

/// A file of an [`OutputDir`] written to its temporary, complete and
/// flushed, but not yet staged ([`OutputDir::prepare_with`]).
#[derive(Debug)]
pub struct PendingFile {
    name: String,
    target: PathBuf,
    temp: tempfile::TempPath,
}

/// The prefix and suffix of every temporary file downhill creates.
const TEMP_PREFIX: &str = ".downhill-";
const TEMP_SUFFIX: &str = ".tmp";

/// An output directory (`--out DIR`) that downhill writes a run's files into.
///
/// The contract, for every command that writes:
///
/// - **No clobbering.** downhill records every file it writes in
///   [`MANIFEST_NAME`]; a file listed there may be replaced by a later run,
///   any other existing file is left alone unless `force` is set.
/// - **One run at a time.** The directory is locked (an advisory `flock`
///   on the directory itself) from [`OutputDir::create`] until the
///   `OutputDir` is dropped; a second run into the same directory waits
///   there, before it has read or written anything.
/// - **Published together.** [`OutputDir::write`] only stages a file (a
///   complete, flushed temporary beside its target); [`OutputDir::commit`]
///   renames every staged file into place in one final step, after every
///   product is ready. A run that fails or is dropped before committing
///   leaves the directory as it found it.
/// - **No debris.** Temporaries left by killed runs (`.downhill-*.tmp`) are
///   removed when the next run takes the lock: while it holds the lock no
///   other live run can own them.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    force: bool,
    written: BTreeSet<String>,
    staged: Vec<(String, tempfile::TempPath)>,
    /// Files of an earlier run that this run does not produce, removed on commit.
    retired: Vec<String>,
    /// Held open for the lock; released when dropped.
    _lock: std::fs::File,
    /// Stale temporaries removed when the lock was taken.
    cleaned: usize,
}

impl OutputDir {
    /// Opens `path` as an output directory, creating it (and its parents) if
    /// needed, and locks it for this run (waiting while another run holds
    /// it). With `force`, existing files may be replaced even if downhill
    /// did not write them.
    ///
    /// Fails if `path` exists and is not a directory, cannot be created, or
    /// holds a manifest that cannot be read.
    pub fn create(path: &Path, force: bool) -> Result<OutputDir> {
        if path.exists() && !path.is_dir() {
            return Err(Error::Refused {
                path: path.to_path_buf(),
                refusal: Refusal::NotADirectory,
            });
        }
        std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
        Self::open(path, force)
    }

    /// Opens the existing directory `path` (for `-o DIR/NAME`, whose
    /// directory the user names and downhill does not create) and locks it
    /// as [`OutputDir::create`] does.
    pub fn existing(path: &Path, force: bool) -> Result<OutputDir> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Self::open(path, force),
            Ok(_) => Err(Error::bad_file(path, "is not a directory")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::bad_file(
                path,
                "the directory does not exist; create it first or write elsewhere",
            )),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    fn open(path: &Path, force: bool) -> Result<OutputDir> {
        let lock = lock_directory(path)?;
        let cleaned = remove_stale_temporaries(path);
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
            staged: Vec::new(),
            retired: Vec::new(),
            _lock: lock,
            cleaned,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many stale temporaries of killed runs were removed when the
    /// directory was opened.
    pub fn stale_removed(&self) -> usize {
        self.cleaned
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

    /// Stages `bytes` as the file `name` in this directory: checks the name
    /// (refusing, naming the file, to replace an existing file downhill did
    /// not write, unless `force`), writes a complete, flushed temporary
    /// beside it, and returns the path the file will have once
    /// [`OutputDir::commit`] publishes it. Staging a name again replaces the
    /// earlier bytes.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        self.write_pieces(name, std::iter::once(bytes))
    }

    /// [`OutputDir::write`] of a file held in pieces ([`super::FileBytes`]),
    /// written one after the other without joining them first.
    pub fn write_file(&mut self, name: &str, file: &super::FileBytes) -> Result<PathBuf> {
        self.write_pieces(name, file.pieces())
    }

    /// [`OutputDir::write`] of a file whose bytes `fill` writes (through a
    /// buffer), so that a large file made of pieces need not be gathered
    /// in memory first. An error of `fill` is reported for the file `name`.
    pub fn write_with(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<PathBuf> {
        let file = self.prepare_with(name, fill)?;
        Ok(self.add(file))
    }

    /// Writes the temporary of the file `name` (checked as
    /// [`OutputDir::write`] does) from what `fill` writes, without
    /// recording it: this takes `&self`, so several threads can write
    /// files side by side while other work goes on, each flush waiting on
    /// the disk alone. [`OutputDir::add`] records the file for
    /// [`OutputDir::commit`]; a [`PendingFile`] dropped unrecorded removes
    /// its temporary.
    pub fn prepare_with(
        &self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<PendingFile> {
        let target = self.check_one(name)?;
        let temp = stage_with(&self.path, &target, fill)?;
        Ok(PendingFile {
            name: name.to_owned(),
            target,
            temp,
        })
    }

    /// [`OutputDir::prepare_with`] of `bytes`.
    pub fn prepare(&self, name: &str, bytes: &[u8]) -> Result<PendingFile> {
        self.prepare_with(name, |w| w.write_all(bytes))
    }

    /// Records a file written by [`OutputDir::prepare_with`] as staged, in
    /// place of an earlier one of its name, and returns the path it will
    /// have once [`OutputDir::commit`] publishes it.
    pub fn add(&mut self, file: PendingFile) -> PathBuf {
        self.stage(&file.name, file.temp);
        file.target
    }

    fn write_pieces<'a>(
        &mut self,
        name: &str,
        pieces: impl Iterator<Item = &'a [u8]>,
    ) -> Result<PathBuf> {
        let target = self.check_one(name)?;
        let temp = stage_pieces(&self.path, &target, pieces)?;
        self.stage(name, temp);
        Ok(target)
    }

    /// Records `temp` as the staged file `name`, in place of an earlier one.
    fn stage(&mut self, name: &str, temp: tempfile::TempPath) {
        self.staged.retain(|(n, _)| n != name);
        self.staged.push((name.to_owned(), temp));
    }

    /// Marks `name` as a product this run leaves out: if an earlier run of
    /// downhill wrote it (it is in the manifest), [`OutputDir::commit`]
    /// removes it together with publishing the new files, so the directory
    /// never holds one run's files beside another's. A file downhill did not
    /// write is never removed.
    pub fn retire(&mut self, name: &str) -> Result<()> {
        self.check_one(name)?;
        self.staged.retain(|(n, _)| n != name);
        if !self.retired.iter().any(|n| n == name) {
            self.retired.push(name.to_owned());
        }
        Ok(())
    }

    /// Publishes every staged file: records the names in the manifest, then
    /// renames each temporary over its target, removes the files of earlier
    /// runs that were [retired](OutputDir::retire), and returns the paths
    /// written, in the order they were staged.
    ///
    /// Nothing is renamed before every file of the run has been staged, and
    /// the lock keeps other runs out until the last rename, so files of two
    /// runs never mix.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let staged = std::mem::take(&mut self.staged);
        let mut names = self.written.clone();
        for (name, _) in &staged {
            self.check_one(name)?;
            names.insert(name.clone());
        }
        // Recorded first: a crash between the two steps leaves a manifest
        // entry for a file that may be missing, which is harmless, rather
        // than a file of ours that a later run would refuse to replace.
        if names != self.written {
            let mut list = String::new();
            for n in &names {
                list.push_str(n);
                list.push('\n');
            }
            write_atomic(&self.path.join(MANIFEST_NAME), list.as_bytes())?;
            self.written = names;
        }
        let staged_names: BTreeSet<String> = staged.iter().map(|(n, _)| n.clone()).collect();
        let mut paths = Vec::with_capacity(staged.len());
        for (name, temp) in staged {
            let target = self.path.join(&name);
            temp.persist(&target)
                .map_err(|e| Error::io(&target, without_temp_path(e.error)))?;
            paths.push(target);
        }
        for name in std::mem::take(&mut self.retired) {
            if !self.written.contains(&name) || staged_names.contains(&name) {
                continue;
            }
            let target = self.path.join(&name);
            match std::fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&target, e)),
            }
        }
        sync_directory(&self.path);
        Ok(paths)
    }

    /// Validates `name` and returns the path it would be written to.
    fn check_one(&self, name: &str) -> Result<PathBuf> {
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && name != MANIFEST_NAME
            && !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX))
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
            return Err(Error::Refused {
                path: target,
                refusal: Refusal::DirectoryInTheWay,
            });
        }
        if !self.force && !self.written.contains(name) {
            return Err(Error::Refused {
                path: target,
                refusal: Refusal::NotOurs,
            });
        }
        Ok(target)
    }
}

/// Takes the run's exclusive advisory lock on the directory `path`,
/// waiting while another run holds it.
fn lock_directory(path: &Path) -> Result<std::fs::File> {
    use fs4::fs_std::FileExt;
    #[cfg(unix)]
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // Elsewhere a directory cannot be opened as a file: lock a file in it.
    #[cfg(not(unix))]
    let file = {
        let lock = path.join(".downhill-lock");
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| Error::io(&lock, e))?
    };
    FileExt::lock_exclusive(&file).map_err(|e| {
        Error::io(
            path,
            std::io::Error::new(e.kind(), format!("cannot lock the output directory ({e})")),
        )
    })?;
    Ok(file)
}

/// Removes `.downhill-*.tmp` files in `dir` (left by killed runs; the
/// caller holds the directory's lock, so no live run owns them) and returns
/// how many. Best effort: one that cannot be removed is left.
fn remove_stale_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(TEMP_PREFIX)
                && name.ends_with(TEMP_SUFFIX)
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
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
        dir.commit().unwrap();
        assert_eq!(std::fs::read(tmp.path().join("b.gpx")).unwrap(), b"3");
        let manifest = std::fs::read_to_string(tmp.path().join(MANIFEST_NAME)).unwrap();
        let mut names: Vec<&str> = manifest.lines().collect();
        names.sort_unstable();
        assert_eq!(names, ["a.geojson", "b.gpx"]);
    }

    #[test]
    fn a_retired_product_of_an_earlier_run_goes_and_a_users_file_stays() {
        let tmp = tempfile::tempdir().unwrap();
        let mut first = OutputDir::create(tmp.path(), false).unwrap();
        first.write("basins.geojson", b"old").unwrap();
        first.write("sinks.geojson", b"old").unwrap();
        first.commit().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), b"mine").unwrap();

        let mut second = OutputDir::create(tmp.path(), true).unwrap();
        second.write("sinks.geojson", b"new").unwrap();
        second.retire("basins.geojson").unwrap();
        second.retire("notes.txt").unwrap();
        // Retired before the commit: still the earlier run's file.
        assert!(tmp.path().join("basins.geojson").exists());
        second.commit().unwrap();
        assert!(!tmp.path().join("basins.geojson").exists());
        assert_eq!(
            std::fs::read(tmp.path().join("sinks.geojson")).unwrap(),
            b"new"
        );
        assert_eq!(
            std::fs::read(tmp.path().join("notes.txt")).unwrap(),
            b"mine"
        );
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

    /// Files written side by side on several threads
    /// ([`OutputDir::prepare`]) land as staged one by one would once added:
    /// each with its bytes, a later one of a name replacing an earlier
    /// one, nothing visible before the commit; a refused name is an error
    /// for that file alone, and a file never added leaves no temporary.
    #[test]
    fn files_written_side_by_side_are_staged_like_one_by_one() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("mine.txt"), b"mine").unwrap();
        let mut dir = OutputDir::create(tmp.path(), false).unwrap();
        dir.write("b.png", b"first").unwrap();
        let big = vec![7u8; 300_000];
        let files: [(&str, &[u8]); 4] = [
            ("a.tif", &big),
            ("b.png", b"second"),
            ("c.json", b"{}"),
            ("d.json", b"dropped"),
        ];
        let shared = &dir;
        let pending: Vec<PendingFile> = std::thread::scope(|s| {
            let handles: Vec<_> = files
                .iter()
                .map(|(name, bytes)| s.spawn(move || shared.prepare(name, bytes).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // The user's file is refused.
        assert!(matches!(
            dir.prepare("mine.txt", b"2"),
            Err(Error::Refused { .. })
        ));
        let mut pending = pending.into_iter();
        for (name, _) in &files[..3] {
            let file = pending.next().unwrap();
            assert_eq!(dir.add(file), tmp.path().join(name));
        }
        assert!(
            !tmp.path().join("a.tif").exists(),
            "published before the commit"
        );
        // Written but never added: its temporary goes with it.
        drop(pending);
        dir.commit().unwrap();
        assert_eq!(std::fs::read(tmp.path().join("a.tif")).unwrap(), big);
        assert_eq!(std::fs::read(tmp.path().join("b.png")).unwrap(), b"second");
        assert_eq!(std::fs::read(tmp.path().join("c.json")).unwrap(), b"{}");
        assert_eq!(std::fs::read(tmp.path().join("mine.txt")).unwrap(), b"mine");
        assert!(!tmp.path().join("d.json").exists());
        let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
        // a.tif, b.png, c.json, mine.txt and the manifest: no temporaries.
        assert_eq!(leftovers, 5);
    }

    #[test]
    fn a_file_written_by_its_maker_is_staged_whole_or_not_at_all() {
        let tmp = tempfile::tempdir().unwrap();
        let mut dir = OutputDir::create(tmp.path(), false).unwrap();
        // Pieces large and small, more than the buffer holds.
        let big = vec![b'x'; 200_000];
        dir.write_with("page.html", |w| {
            w.write_all(b"<head>")?;
            w.write_all(&big)?;
            w.write_all(b"</head>")
        })
        .unwrap();
        // A maker that fails half-way is reported for its file, and
        // leaves neither it nor a temporary behind.
        let failed = dir.write_with("half.html", |w| {
            w.write_all(&big)?;
            Err(std::io::Error::other("out of ink"))
        });
        match failed {
            Err(Error::Io { path, cause }) => {
                assert_eq!(path, tmp.path().join("half.html"));
                assert_eq!(cause.to_string(), "out of ink");
            }
            other => panic!("{other:?}"),
        }
        dir.commit().unwrap();
        let page = std::fs::read(tmp.path().join("page.html")).unwrap();
        assert_eq!(page.len(), 200_013);
        assert!(page.starts_with(b"<head>x") && page.ends_with(b"x</head>"));
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(!tmp.path().join("half.html").exists());
    }
}
