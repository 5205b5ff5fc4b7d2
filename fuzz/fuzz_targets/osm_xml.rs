//! The OpenStreetMap XML reader on arbitrary bytes, inside a box and the world.
#![no_main]

use std::path::Path;

use downhill::peaks::osm::{read_xml_from, LonLatBox};
use libfuzzer_sys::fuzz_target;

const IRELAND: LonLatBox = LonLatBox {
    west: -7.0,
    south: 52.0,
    east: -6.0,
    north: 53.0,
};

fuzz_target!(|data: &[u8]| {
    for bounds in [&LonLatBox::WORLD, &IRELAND] {
        if let Ok(found) = read_xml_from(data, Path::new("fuzz.osm"), bounds) {
            for p in &found.peaks {
                let _ = downhill::peaks::slug(&p.name);
            }
        }
    }
});
