//! Bilinear interpolation inside one grid cell, the one formula every
//! sampler of heights and gradients uses (terrain, basins walker, viewer).

use std::ops::{Add, Mul};

/// The value at row weight `fr` and column weight `fc` (fractions of a cell,
/// 0..=1, from the top-left sample) of the cell whose corners are
/// `[top-left, top-right, bottom-left, bottom-right]`, in the corners' unit
/// (metres for heights, m/m for slopes).
///
/// The operations are always `(1 - fc) v00 + fc v01` along the top and the
/// bottom rows, then `(1 - fr) top + fr bottom`, in that order, so that
/// every caller gets bit-for-bit the same number for the same cell.
#[inline(always)]
pub fn bilinear<T>([v00, v01, v10, v11]: [T; 4], fr: f64, fc: f64) -> T
where
    T: Copy + Add<Output = T>,
    f64: Mul<T, Output = T>,
{
    let top = (1.0 - fc) * v00 + fc * v01;
    let bottom = (1.0 - fc) * v10 + fc * v11;
    (1.0 - fr) * top + fr * bottom
}

/// [`bilinear`] of `f32` corners (a height grid's or a gradient grid's
/// samples), computed in `f64`.
#[inline(always)]
pub fn bilinear_f32([v00, v01, v10, v11]: [f32; 4], fr: f64, fc: f64) -> f64 {
    bilinear([v00 as f64, v01 as f64, v10 as f64, v11 as f64], fr, fc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terrain::Vector;

    #[test]
    fn corners_centre_and_a_plane_by_hand() {
        let q = [1.0, 3.0, 5.0, 11.0];
        assert_eq!(bilinear(q, 0.0, 0.0), 1.0);
        assert_eq!(bilinear(q, 0.0, 1.0), 3.0);
        assert_eq!(bilinear(q, 1.0, 0.0), 5.0);
        assert_eq!(bilinear(q, 1.0, 1.0), 11.0);
        // Centre: the mean of the four corners, (1 + 3 + 5 + 11) / 4.
        assert_eq!(bilinear(q, 0.5, 0.5), 5.0);
        // On a plane z = 2 col + 4 row the interpolation is exact.
        let plane = [0.0, 2.0, 4.0, 6.0];
        assert_eq!(bilinear(plane, 0.25, 0.75), 2.0 * 0.75 + 4.0 * 0.25);
    }

    #[test]
    fn vectors_interpolate_component_by_component() {
        let v = |e, n| Vector::new(e, n);
        let q = [v(1.0, -1.0), v(3.0, -3.0), v(5.0, -5.0), v(11.0, -11.0)];
        let got = bilinear(q, 0.5, 0.5);
        assert_eq!((got.east, got.north), (5.0, -5.0));
    }
}
