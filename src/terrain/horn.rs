//! Horn's (1981) 3 x 3 slope stencil, shared by the terrain's gradients and
//! the hillshade.
//!
//! Over the window `a b c / d e f / g h i` (north row first, west column
//! first) Horn's slope is `dz/dx = ((c + 2f + i) - (a + 2d + g)) / 8dx` and
//! `dz/dy = ((a + 2b + c) - (g + 2h + i)) / 8dy`, each row's east-west
//! difference scaled by that row's own spacing on a geographic grid.
//! [`HornDifferences`] holds the weighted differences; the two ways of scaling
//! them round differently, so both are kept: dividing by the spacings
//! ([`HornDifferences::slope`], the terrain's gradients) and multiplying by
//! precomputed `1 / 8d` ([`HornDifferences::slope_by_reciprocals`], the
//! hillshade, as gdaldem does).

/// The weighted differences of Horn's stencil on one 3 x 3 window of
/// heights in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HornDifferences {
    /// East-minus-west difference of each window row (north to south),
    /// weighted 1, 2, 1, metres.
    pub east: [f64; 3],
    /// `(a + 2b + c) - (g + 2h + i)`: north row minus south row, weighted
    /// 1, 2, 1 along each, metres.
    pub north: f64,
}

impl HornDifferences {
    /// The differences of window `w` (`w[row][col]`, north row and west
    /// column first, heights in metres).
    #[inline(always)]
    pub fn of(w: &[[f64; 3]; 3]) -> Self {
        HornDifferences {
            east: [
                w[0][2] - w[0][0],
                2.0 * (w[1][2] - w[1][0]),
                w[2][2] - w[2][0],
            ],
            north: (w[0][0] + 2.0 * w[0][1] + w[0][2]) - (w[2][0] + 2.0 * w[2][1] + w[2][2]),
        }
    }

    /// Slope `(east, north)` in m/m given the east-west cell size of each
    /// window row `dx` and the north-south cell size `dy`, metres:
    /// `(e0 / dx0 + e1 / dx1 + e2 / dx2) / 8` and `n / (8 dy)`.
    #[inline(always)]
    pub fn slope(&self, dx: [f64; 3], dy: f64) -> (f64, f64) {
        let e = self.east;
        let east = (e[0] / dx[0] + e[1] / dx[1] + e[2] / dx[2]) / 8.0;
        (east, self.north / (8.0 * dy))
    }

    /// Slope `(east, north)` in m/m given the reciprocals `inv_dx[k] =
    /// 1 / (8 dx)` of each window row and `inv_dy = 1 / (8 dy)`, in 1/metres:
    /// `e0 inv_dx0 + e1 inv_dx1 + e2 inv_dx2` and `n inv_dy` (gdaldem's
    /// rounding, cheaper per sample).
    #[inline(always)]
    pub fn slope_by_reciprocals(&self, inv_dx: [f64; 3], inv_dy: f64) -> (f64, f64) {
        let e = self.east;
        let east = e[0] * inv_dx[0] + e[1] * inv_dx[1] + e[2] * inv_dx[2];
        (east, self.north * inv_dy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plane z = 3 x - 5 y (x east, y north, metres) sampled on 10 m x
    /// 20 m cells: Horn's stencil is exact on a plane.
    #[test]
    fn a_plane_gives_its_slope_both_ways() {
        let (dx, dy) = (10.0, 20.0);
        let z = |col: f64, row: f64| 3.0 * col * dx - 5.0 * (-row * dy);
        let mut w = [[0.0; 3]; 3];
        for (r, row) in w.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = z(c as f64, r as f64);
            }
        }
        let d = HornDifferences::of(&w);
        let (e, n) = d.slope([dx; 3], dy);
        assert!(
            (e - 3.0).abs() < 1e-12 && (n + 5.0).abs() < 1e-12,
            "{e} {n}"
        );
        let inv = |s: f64| 1.0 / (8.0 * s);
        let (e, n) = d.slope_by_reciprocals([inv(dx); 3], inv(dy));
        assert!(
            (e - 3.0).abs() < 1e-12 && (n + 5.0).abs() < 1e-12,
            "{e} {n}"
        );
    }
}
