//! Basin label grids in the tests: read back from GeoTIFF with the `tiff`
//! crate (not downhill's reader) and compared as partitions.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;

/// Reads a `u32` GeoTIFF (the `tiff` crate, not downhill's reader).
pub fn read_u32_tiff(path: &Path) -> Array2<u32> {
    let mut d =
        tiff::decoder::Decoder::new(std::fs::File::open(path).expect("open tif")).expect("tiff");
    let (w, h) = d.dimensions().expect("dimensions");
    match d.read_image().expect("decode") {
        tiff::decoder::DecodingResult::U32(v) => {
            Array2::from_shape_vec((h as usize, w as usize), v).expect("shape")
        }
        _ => panic!("{} is not u32", path.display()),
    }
}

/// Share of cells whose basin in `a` is the basin of `b` it overlaps most
/// (a partition comparison: ids need not be equal).
pub fn best_match_agreement(a: &Array2<u32>, b: &Array2<u32>) -> f64 {
    let mut overlap: HashMap<(u32, u32), usize> = HashMap::new();
    for (&x, &y) in a.iter().zip(b.iter()) {
        *overlap.entry((x, y)).or_insert(0) += 1;
    }
    let mut best: HashMap<u32, usize> = HashMap::new();
    for (&(x, _), &n) in &overlap {
        let e = best.entry(x).or_insert(0);
        *e = (*e).max(n);
    }
    best.values().sum::<usize>() as f64 / a.len() as f64
}
