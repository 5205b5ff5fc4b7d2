//! The `--surface` formula parser and differentiator on arbitrary text,
//! then evaluation at a few points.
#![no_main]

use downhill::analytic::AnalyticSurface;
use downhill::geo::Xy;
use downhill::terrain::Surface;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = AnalyticSurface::parse(text, [-2.0, -2.0, 2.0, 2.0]) {
        for p in [(0.0, 0.0), (0.5, -1.25), (-2.0, 2.0), (1.0, 1.0)] {
            let p = Xy::new(p.0, p.1);
            let _ = s.elevation(p);
            let _ = s.gradient(p);
        }
    }
});
