//! The SRTM reader on arbitrary bytes: a raw `.hgt` when the first byte is
//! even, a `.hgt.zip` archive otherwise (the rest of the input is the file).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let name = if selector % 2 == 0 {
        "N52W007.hgt"
    } else {
        "N52W007.hgt.zip"
    };
    // Errors are fine; panics, aborts and runaway allocations are not.
    let _ = downhill::dem::hgt::read_bytes(Path::new(name), file, None);
});
