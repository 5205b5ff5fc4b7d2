//! Sampling an analytic surface onto a grid, for the raster commands
//! (`hillshade`, `basins`) that need one.

use ndarray::Array2;
use rayon::prelude::*;

use super::AnalyticSurface;
use crate::dem::{Crs, Dem, GeoTransform, InputInfo};
use crate::geo::Xy;

impl AnalyticSurface {
    /// Samples `f` on a `resolution` x `resolution` grid whose first and last
    /// samples lie on the edges of the extent (pixel-is-point, as SRTM), so
    /// cells are `(xmax - xmin) / (resolution - 1)` wide and
    /// `(ymax - ymin) / (resolution - 1)` high, in the formula's units.
    ///
    /// The grid's CRS is [`Crs::Planar`]; samples where `f` is not a finite
    /// number are voids (`NaN`). A `resolution` below 2 is taken as 2.
    pub fn to_dem(&self, resolution: usize) -> Dem {
        let n = resolution.max(2);
        let [x0, y0, x1, y1] = self.extent().to_array();
        let (dx, dy) = ((x1 - x0) / (n - 1) as f64, (y1 - y0) / (n - 1) as f64);
        let transform = GeoTransform::from_first_sample(x0, y1, dx, dy);
        let mut heights = Array2::<f32>::zeros((n, n));
        heights
            .axis_iter_mut(ndarray::Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(r, mut row)| {
                for (c, h) in row.iter_mut().enumerate() {
                    // Exact edges for the last sample, free of rounding.
                    let x = if c == n - 1 { x1 } else { x0 + c as f64 * dx };
                    let y = if r == n - 1 { y0 } else { y1 - r as f64 * dy };
                    let z = self.value(Xy::new(x, y));
                    *h = if z.is_finite() { z as f32 } else { f32::NAN };
                }
            });
        Dem {
            heights,
            transform,
            crs: Crs::Planar,
            inputs: vec![InputInfo {
                path: format!("f(x, y) = {}", self.expression()).into(),
                format: "analytic surface".to_string(),
                height: n,
                width: n,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_sit_on_the_extent_edges_and_hold_the_formula() {
        let s = AnalyticSurface::parse("2*x + 3*y", [-1.0, 0.0, 1.0, 4.0]).unwrap();
        let dem = s.to_dem(5);
        assert_eq!(dem.heights.dim(), (5, 5));
        assert_eq!(dem.sample_position(0.0, 0.0), Xy::new(-1.0, 4.0));
        assert_eq!(dem.sample_position(4.0, 4.0), Xy::new(1.0, 0.0));
        // Row 1 is y = 3, column 3 is x = 0.5: 2 * 0.5 + 3 * 3 = 10.
        assert_eq!(dem.heights[[1, 3]], 10.0);
        assert_eq!(dem.cell_size_m(0.0), (0.5, 1.0));
    }
}
