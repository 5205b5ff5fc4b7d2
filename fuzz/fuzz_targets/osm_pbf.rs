//! The OpenStreetMap PBF reader on arbitrary bytes.
#![no_main]

use std::path::Path;

use downhill::peaks::osm::{read_pbf_from, LonLatBox};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(found) = read_pbf_from(data, Path::new("fuzz.osm.pbf"), &LonLatBox::WORLD) {
        for p in &found.peaks {
            let _ = downhill::peaks::slug(&p.name);
        }
    }
});
