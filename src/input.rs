//! Opening the files users name: regular files only, never more bytes than
//! a reader can use.
//!
//! A device (`/dev/zero`), a FIFO or a socket has no size to check and may
//! never end, so readers refuse them, symlinks to them included; standard
//! input is read only when named `-`, and then only up to the reader's cap.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// `true` when `path` is `-`, the conventional name of standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens `path` for reading if it is a regular file (symlinks followed) and
/// returns it with its size in bytes; anything else is refused, naming the
/// file and what it is.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    // Checked on the opened file, so a swap between check and open cannot
    // slip a device in; opening a FIFO would block, so the path is checked
    // first as well.
    check_regular(
        path,
        &std::fs::metadata(path).map_err(|e| Error::io(path, e))?,
    )?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    check_regular(path, &meta)?;
    Ok((file, meta.len()))
}

fn check_regular(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let kind = if meta.is_dir() {
        "a directory"
    } else {
        kind_of_special(meta)
    };
    Err(Error::bad_file(
        path,
        format!("is {kind}, not a regular file; downhill reads only regular files (or standard input named '-', where a reader accepts it)"),
    ))
}

#[cfg(unix)]
fn kind_of_special(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of_special(_meta: &std::fs::Metadata) -> &'static str {
    "a special file"
}

/// Reads all of `path` (a regular file, or standard input when `-`) if it
/// holds at most `max_bytes`; a larger input is refused before it is read
/// (a file) or as soon as it passes the cap (standard input), with a message
/// naming `what` the cap is for.
pub fn read_capped(path: &Path, max_bytes: u64, what: &str) -> Result<Vec<u8>> {
    let too_big = |size: String| {
        Error::OverBudget(format!(
            "{}: {size}, more than the {max_bytes} bytes downhill reads as {what} \
             (a fixed limit: split the input into smaller files)",
            path.display()
        ))
    };
    if is_stdin(path) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_big("standard input holds more".to_string()));
        }
        return Ok(bytes);
    }
    let (file, len) = open_regular(path)?;
    if len > max_bytes {
        return Err(too_big(format!("the file is {len} bytes")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow after the size was read: never read past the cap.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(
            "the file grew while it was read and is".to_string() + " larger",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn devices_and_symlinks_to_them_are_refused_by_kind() {
        let zero = Path::new("/dev/zero");
        if !zero.exists() {
            eprintln!("SKIPPED: no /dev/zero");
            return;
        }
        let e = open_regular(zero).unwrap_err().to_string();
        assert!(
            e.contains("/dev/zero") && e.contains("character device"),
            "{e}"
        );
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("N52W007.hgt");
        std::os::unix::fs::symlink(zero, &link).unwrap();
        let e = read_capped(&link, 10, "a tile").unwrap_err().to_string();
        assert!(
            e.contains("N52W007.hgt") && e.contains("character device"),
            "{e}"
        );
    }

    #[test]
    fn files_over_the_cap_are_refused_before_reading() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("g.csv");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_capped(&p, 10, "a gazetteer").unwrap().len(), 10);
        let e = read_capped(&p, 9, "a gazetteer").unwrap_err();
        assert!(matches!(e, Error::OverBudget(_)));
        assert!(e.to_string().contains("10 bytes"), "{e}");
    }
}
