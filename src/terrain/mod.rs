//! Sampling heights and gradients of a DEM at any position, in true metres.
//!
//! [`Terrain`] wraps a [`Dem`] as a continuous [`Surface`]: heights are
//! interpolated bilinearly between samples, and so is the gradient grid
//! (central differences, or Horn's 3 x 3 stencil), so the slope an agent
//! feels varies continuously as it moves. The gradient at each of the four
//! surrounding samples is computed on demand from the heights, which gives
//! exactly the field a precomputed [`GradientGrid`] interpolated bilinearly
//! would, without doubling the memory of a large mosaic; whole-raster work
//! (basins, maps) uses [`GradientGrid`] itself.

mod bilinear;
mod gradient;
mod horn;
mod index;
mod surface;
mod vector;

pub use bilinear::{bilinear, bilinear_f32};
pub use gradient::{
    gradient_at, window, window_with_voids, window_with_voids_of, GradientGrid, GradientScheme,
    RowMetrics,
};
pub use horn::HornDifferences;
pub use index::{floor_index, index_bound, round_half_away};
pub use surface::{Obstacle, Surface};
pub use vector::Vector;

use std::sync::Arc;

use crate::dem::{Dem, SeaMask};
use crate::error::{Error, Result};
use crate::geo::geodesy;
use crate::geo::{LonLat, Xy};

/// Converts a projected `(x, y)` to WGS84 `(lon, lat)` in degrees.
pub type ToWgs84 = Arc<dyn Fn(f64, f64) -> Option<(f64, f64)> + Send + Sync>;

/// A DEM seen as a continuous surface.
pub struct Terrain {
    dem: Dem,
    scheme: GradientScheme,
    metrics: RowMetrics,
    to_wgs84: Option<ToWgs84>,
    sea: Option<Arc<SeaMask>>,
}

impl std::fmt::Debug for Terrain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terrain")
            .field("rows", &self.dem.rows())
            .field("cols", &self.dem.cols())
            .field("scheme", &self.scheme)
            .finish()
    }
}

impl Terrain {
    /// Wraps `dem`; the grid must have at least 2 x 2 samples. A projected
    /// grid gets its conversion to WGS84 attached (an unusable PROJ
    /// definition is an error; an empty one means no conversion).
    pub fn new(dem: Dem, scheme: GradientScheme) -> Result<Self> {
        if dem.rows() < 2 || dem.cols() < 2 {
            return Err(Error::param(format!(
                "the elevation grid has {} x {} samples; at least 2 x 2 are needed",
                dem.rows(),
                dem.cols()
            )));
        }
        let metrics = RowMetrics::of(&dem);
        // Projected grids export their tracks in WGS84 through their projection.
        // An empty PROJ definition (synthetic grids) has no known relation to WGS84.
        let to_wgs84: Option<ToWgs84> = match &dem.crs {
            crate::dem::Crs::Projected { proj, .. } if !proj.trim().is_empty() => {
                let p = crate::dem::Projection::for_crs(&dem.crs)?;
                Some(Arc::new(move |x, y| p.to_wgs84(x, y)))
            }
            _ => None,
        };
        Ok(Terrain {
            dem,
            scheme,
            metrics,
            to_wgs84,
            sea: None,
        })
    }

    /// Sets how projected coordinates convert to WGS84 for export.
    pub fn with_projection(mut self, to_wgs84: ToWgs84) -> Self {
        self.to_wgs84 = Some(to_wgs84);
        self
    }

    /// Makes the samples `sea` marks the sea: agents that reach it stop
    /// there. A mask of another size than the grid, or an empty one, is
    /// no sea.
    pub fn with_sea(mut self, sea: SeaMask) -> Self {
        let fits = sea.dim() == self.dem.heights.dim();
        self.sea = (fits && !sea.is_empty()).then(|| Arc::new(sea));
        self
    }

    /// The sea agents stop at, if any.
    pub fn sea(&self) -> Option<&SeaMask> {
        self.sea.as_deref()
    }

    /// The underlying grid.
    pub fn dem(&self) -> &Dem {
        &self.dem
    }

    /// The gradient scheme in use.
    pub fn scheme(&self) -> GradientScheme {
        self.scheme
    }

    /// Gradient at sample (`r`, `c`), `None` on a void stencil.
    pub fn gradient_at_sample(&self, r: usize, c: usize) -> Option<Vector> {
        gradient_at(&self.dem, &self.metrics, self.scheme, r, c)
    }

    /// The four samples around `p` and the bilinear weights `(r0, c0, fr, fc)`.
    fn cell(&self, p: Xy) -> Result<(usize, usize, f64, f64), Obstacle> {
        if !p.is_finite() {
            return Err(Obstacle::Outside);
        }
        let (r, c) = self.dem.sample_index(p);
        let (rows, cols) = (self.dem.rows() as f64, self.dem.cols() as f64);
        if !(r >= 0.0 && c >= 0.0 && r <= rows - 1.0 && c <= cols - 1.0) {
            return Err(Obstacle::Outside);
        }
        let r0 = (r.floor() as usize).min(self.dem.rows() - 2);
        let c0 = (c.floor() as usize).min(self.dem.cols() - 2);
        Ok((r0, c0, r - r0 as f64, c - c0 as f64))
    }
}

impl Surface for Terrain {
    fn elevation(&self, p: Xy) -> Result<f64, Obstacle> {
        let (r0, c0, fr, fc) = self.cell(p)?;
        let h = &self.dem.heights;
        let v = [
            h[[r0, c0]] as f64,
            h[[r0, c0 + 1]] as f64,
            h[[r0 + 1, c0]] as f64,
            h[[r0 + 1, c0 + 1]] as f64,
        ];
        let z = bilinear(v, fr, fc);
        if z.is_nan() {
            Err(Obstacle::Void)
        } else {
            Ok(z)
        }
    }

    fn gradient(&self, p: Xy) -> Result<Vector, Obstacle> {
        let (r0, c0, fr, fc) = self.cell(p)?;
        let g = |r, c| self.gradient_at_sample(r, c).ok_or(Obstacle::Void);
        let v = [
            g(r0, c0)?,
            g(r0, c0 + 1)?,
            g(r0 + 1, c0)?,
            g(r0 + 1, c0 + 1)?,
        ];
        Ok(bilinear(v, fr, fc))
    }

    fn displace(&self, p: Xy, d: Vector) -> Xy {
        if self.dem.crs.is_geographic() {
            Xy::new(
                p.x + d.east / geodesy::metres_per_degree_lon(p.y),
                p.y + d.north / geodesy::metres_per_degree_lat(p.y),
            )
        } else {
            Xy::new(p.x + d.east, p.y + d.north)
        }
    }

    fn distance(&self, a: Xy, b: Xy) -> f64 {
        if self.dem.crs.is_geographic() {
            geodesy::geodesic_distance(a.x, a.y, b.x, b.y)
        } else {
            (b.x - a.x).hypot(b.y - a.y)
        }
    }

    fn in_sea(&self, p: Xy) -> bool {
        self.sea.as_ref().is_some_and(|sea| {
            let (r, c) = self.dem.sample_index(p);
            sea.contains(r, c)
        })
    }

    fn lon_lat(&self, p: Xy) -> Option<LonLat> {
        if self.dem.crs.is_geographic() {
            Some(LonLat::new(p.x, p.y))
        } else {
            let f = self.to_wgs84.as_ref()?;
            f(p.x, p.y).map(|(lon, lat)| LonLat::new(lon, lat))
        }
    }
}
