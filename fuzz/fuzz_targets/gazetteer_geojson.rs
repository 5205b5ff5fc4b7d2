//! The GeoJSON gazetteer reader on arbitrary text, then a lookup.
#![no_main]

use std::path::Path;

use downhill::peaks::Gazetteer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(g) = Gazetteer::from_geojson(text, Path::new("fuzz.geojson")) {
        let _ = g.find("Mount Leinster");
        if let Some(p) = g.peaks().first() {
            let _ = downhill::peaks::slug(&p.name);
        }
    }
});
