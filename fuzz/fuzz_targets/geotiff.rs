//! The native GeoTIFF reader on arbitrary bytes, with a 4 M-cell budget.
#![no_main]

use std::path::Path;

use downhill::budget::Budget;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let budget = Budget::with_max_cells(1 << 22);
    if let Ok(dem) = downhill::dem::geotiff::read_bytes(Path::new("fuzz.tif"), data, &budget) {
        // A grid that was accepted must be usable: bounds and statistics.
        let _ = dem.bounds();
        let _ = dem.stats();
    }
});
