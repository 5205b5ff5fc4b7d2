//! The native GeoTIFF reader on arbitrary bytes, with a 4 M-cell budget.
//! Besides crashes, an accepted grid that breaks the reader's promises
//! (within the budget, at least one sample, bounds on the Earth in order)
//! is a finding.
#![no_main]

use std::path::Path;

use downhill::budget::Budget;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let budget = Budget::with_max_cells(1 << 22);
    if let Ok(dem) = downhill::dem::geotiff::read_bytes(Path::new("fuzz.tif"), data, &budget) {
        assert!(dem.rows() >= 1 && dem.cols() >= 1);
        assert!(dem.rows() as u64 * dem.cols() as u64 <= budget.max_cells);
        let [w, s, e, n] = dem.bounds();
        assert!(w < e && s < n, "bounds {w} {s} {e} {n}");
        let _ = dem.stats();
    }
});
