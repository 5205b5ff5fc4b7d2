//! Contour lines of a sampled function by marching squares.

/// Segments of the contour `z = level` of samples `z[i][j]` at
/// (`xs[j]`, `ys[i]`), each crossing placed by linear interpolation along
/// the cell edge.
pub(crate) fn segments(xs: &[f64], ys: &[f64], z: &[Vec<f64>], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut out = Vec::new();
    let cross = |(xa, ya, za): (f64, f64, f64), (xb, yb, zb): (f64, f64, f64)| {
        if (za < level) == (zb < level) || za == zb {
            return None;
        }
        let t = (level - za) / (zb - za);
        Some((xa + t * (xb - xa), ya + t * (yb - ya)))
    };
    for i in 0..ys.len().saturating_sub(1) {
        for j in 0..xs.len().saturating_sub(1) {
            let c00 = (xs[j], ys[i], z[i][j]);
            let c01 = (xs[j + 1], ys[i], z[i][j + 1]);
            let c11 = (xs[j + 1], ys[i + 1], z[i + 1][j + 1]);
            let c10 = (xs[j], ys[i + 1], z[i + 1][j]);
            let points: Vec<(f64, f64)> = [(c00, c01), (c01, c11), (c11, c10), (c10, c00)]
                .into_iter()
                .filter_map(|(a, b)| cross(a, b))
                .collect();
            for pair in points.chunks_exact(2) {
                out.push([pair[0], pair[1]]);
            }
        }
    }
    out
}
