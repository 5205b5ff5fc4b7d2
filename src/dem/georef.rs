//! Georeferencing: where the samples of a grid lie on the Earth.
//!
//! downhill keeps one convention internally, GDAL's: an affine, north-up
//! geotransform whose origin is the outer corner of cell (0, 0), so that the
//! *centre* of sample (row, col) lies at
//! `x = origin_x + (col + 0.5) * cell_x`, `y = origin_y - (row + 0.5) * cell_y`.
//! SRTM's pixel-is-point samples therefore map to a geotransform shifted by
//! half a cell, exactly as `gdalinfo` reports for an `.hgt` file.

use serde::Serialize;

use crate::geo::{Bounds, Cell, Xy};

/// The coordinate reference system of a grid's `x` and `y`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Crs {
    /// Longitude and latitude in degrees on WGS84 (EPSG:4326).
    Geographic,
    /// A projected CRS in metres, identified by its EPSG code, with a PROJ
    /// definition string used to convert to and from WGS84.
    Projected {
        /// EPSG code, e.g. 32629 for UTM zone 29 N.
        epsg: u32,
        /// PROJ.4-style definition of the projection.
        proj: String,
    },
    /// Plain planar `x`/`y` with no place on the Earth (an analytic surface).
    Planar,
}

impl Crs {
    /// `true` when `x`/`y` are longitude/latitude in degrees.
    pub fn is_geographic(&self) -> bool {
        matches!(self, Crs::Geographic)
    }

    /// A short label such as `EPSG:4326`.
    pub fn label(&self) -> String {
        match self {
            Crs::Geographic => "EPSG:4326".to_string(),
            Crs::Projected { epsg, .. } => format!("EPSG:{epsg}"),
            Crs::Planar => "planar".to_string(),
        }
    }
}

/// The farthest a projected coordinate of a real grid can lie from its
/// projection's origin, metres: the Earth's circumference, twice over.
pub const MAX_PROJECTED_M: f64 = 8.0e7;

/// A north-up affine geotransform (no rotation terms).
///
/// Units are those of the [`Crs`]: degrees for geographic grids, metres for
/// projected ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoTransform {
    /// `x` of the west edge of column 0 (degrees or metres).
    pub origin_x: f64,
    /// `y` of the north edge of row 0 (degrees or metres).
    pub origin_y: f64,
    /// Cell width along `x`, positive (degrees or metres).
    pub cell_x: f64,
    /// Cell height along `y`, positive; rows run north to south (degrees or metres).
    pub cell_y: f64,
}

impl GeoTransform {
    /// The geotransform of a pixel-is-point grid whose sample (0, 0) lies at
    /// (`x0`, `y0`) with spacings `dx`, `dy`.
    pub fn from_first_sample(x0: f64, y0: f64, dx: f64, dy: f64) -> Self {
        GeoTransform {
            origin_x: x0 - dx / 2.0,
            origin_y: y0 + dy / 2.0,
            cell_x: dx,
            cell_y: dy,
        }
    }

    /// Centre of sample (`row`, `col`), fractional indices allowed: `(x, y)`.
    pub fn sample_to_xy(&self, row: f64, col: f64) -> (f64, f64) {
        (
            self.origin_x + (col + 0.5) * self.cell_x,
            self.origin_y - (row + 0.5) * self.cell_y,
        )
    }

    /// Fractional sample indices `(row, col)` of the point (`x`, `y`).
    pub fn xy_to_sample(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (self.origin_y - y) / self.cell_y - 0.5,
            (x - self.origin_x) / self.cell_x - 0.5,
        )
    }

    /// The centre of `cell`, in CRS units.
    pub fn cell_centre(&self, cell: Cell) -> Xy {
        let (x, y) = self.sample_to_xy(cell.row as f64, cell.col as f64);
        Xy::new(x, y)
    }

    /// The cell of a `rows` x `cols` grid whose sample centre is nearest to
    /// `p` (CRS units), `None` when `p` is not finite or lies outside the
    /// grid's outer edges.
    pub fn cell_containing(&self, p: Xy, rows: usize, cols: usize) -> Option<Cell> {
        let (r, c) = self.xy_to_sample(p.x, p.y);
        let (r, c) = ((r + 0.5).floor(), (c + 0.5).floor());
        let inside = |v: f64, n: usize| v >= 0.0 && v < n as f64;
        (inside(r, rows) && inside(c, cols)).then(|| Cell::new(r as usize, c as usize))
    }

    /// Outer bounds of a `rows` x `cols` grid, cell edges included (as
    /// `gdalinfo` reports them), in CRS units.
    pub fn bounds(&self, rows: usize, cols: usize) -> Bounds {
        Bounds::new(
            self.origin_x,
            self.origin_y - rows as f64 * self.cell_y,
            self.origin_x + cols as f64 * self.cell_x,
            self.origin_y,
        )
    }

    /// Checks that a `rows` x `cols` grid placed by this transform lies on
    /// the Earth: finite, positive cell sizes; on a geographic grid the
    /// outer edges within latitude ±90° and longitude -180°..360° (grids in
    /// the 0..360 convention wrap) and at most 360° wide; on a projected
    /// grid within [`MAX_PROJECTED_M`] metres of the projection's origin.
    /// Half a cell beyond those limits is tolerated (pixel-is-point grids
    /// whose samples sit on the pole or the antimeridian). Returns a
    /// sentence saying what is wrong.
    pub fn check_on_earth(&self, rows: usize, cols: usize, crs: &Crs) -> Result<(), String> {
        let finite = [self.origin_x, self.origin_y, self.cell_x, self.cell_y]
            .iter()
            .all(|v| v.is_finite());
        if !finite || self.cell_x <= 0.0 || self.cell_y <= 0.0 {
            return Err(format!(
                "its georeferencing is not a north-up grid with positive, finite cell sizes \
                 (origin {}, {}; cells {} x {})",
                self.origin_x, self.origin_y, self.cell_x, self.cell_y
            ));
        }
        // A cell must be distinguishable from its neighbour in f64 at this
        // position (1e-12 of the coordinate: a tenth of a micrometre in
        // degrees), or samples collapse onto one another.
        let tiny = |cell: f64, at: f64| cell <= at.abs().max(1.0) * 1e-12;
        if tiny(self.cell_x, self.origin_x) || tiny(self.cell_y, self.origin_y) {
            return Err(format!(
                "its cells ({} x {}) are too small to tell apart at ({}, {})",
                self.cell_x, self.cell_y, self.origin_x, self.origin_y
            ));
        }
        let [west, south, east, north] = self.bounds(rows, cols).to_array();
        if ![west, south, east, north].iter().all(|v| v.is_finite()) {
            return Err(format!(
                "its georeferencing places {rows} x {cols} cells of {} x {} beyond any finite coordinate",
                self.cell_x, self.cell_y
            ));
        }
        let (tol_x, tol_y) = (self.cell_x / 2.0 + 1e-9, self.cell_y / 2.0 + 1e-9);
        match crs {
            Crs::Geographic => {
                if south < -90.0 - tol_y || north > 90.0 + tol_y {
                    return Err(format!(
                        "its georeferencing puts it from latitude {south} to {north}, \
                         beyond the poles (latitudes lie within -90..90)"
                    ));
                }
                if west < -180.0 - tol_x
                    || east > 360.0 + tol_x
                    || east - west > 360.0 + 2.0 * tol_x
                {
                    return Err(format!(
                        "its georeferencing puts it from longitude {west} to {east}, \
                         which is not on the Earth (longitudes lie within -180..180, or 0..360)"
                    ));
                }
            }
            Crs::Projected { epsg, .. } => {
                if [west, south, east, north]
                    .iter()
                    .any(|v| v.abs() > MAX_PROJECTED_M)
                {
                    return Err(format!(
                        "its georeferencing puts it at x {west}..{east}, y {south}..{north} metres in EPSG:{epsg}, \
                         farther from the projection's origin than the Earth reaches"
                    ));
                }
            }
            Crs::Planar => {}
        }
        Ok(())
    }

    /// GDAL's six-number form `[x0, dx, 0, y0, 0, -dy]`.
    pub fn to_gdal(&self) -> [f64; 6] {
        [
            self.origin_x,
            self.cell_x,
            0.0,
            self.origin_y,
            0.0,
            -self.cell_y,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SRTM3 tile's geotransform: samples on whole degrees every 3",
    /// 1201 x 1201, the first sample at the north-west corner.
    fn srtm3(lon0: f64, lat0: f64) -> GeoTransform {
        let d = 1.0 / 1200.0;
        GeoTransform::from_first_sample(lon0, lat0 + 1.0, d, d)
    }

    #[test]
    fn cell_centres_of_an_srtm3_tile_by_hand() {
        let t = srtm3(-7.0, 52.0);
        // Sample (0, 0) is the tile's north-west corner, N53 W7.
        let c = t.cell_centre(Cell::new(0, 0));
        assert!((c.x + 7.0).abs() < 1e-12 && (c.y - 53.0).abs() < 1e-12);
        // Sample (600, 600) is the middle, N52.5 W6.5.
        let c = t.cell_centre(Cell::new(600, 600));
        assert!((c.x + 6.5).abs() < 1e-12 && (c.y - 52.5).abs() < 1e-12);
        // Sample (1200, 1200) is the south-east corner, N52 W6.
        let c = t.cell_centre(Cell::new(1200, 1200));
        assert!((c.x + 6.0).abs() < 1e-12 && (c.y - 52.0).abs() < 1e-12);
        // Row 417, column 266: 417 * 3" south of 53°, 266 * 3" east of -7°.
        let c = t.cell_centre(Cell::new(417, 266));
        assert!((c.x - (-7.0 + 266.0 * 3.0 / 3600.0)).abs() < 1e-12);
        assert!((c.y - (53.0 - 417.0 * 3.0 / 3600.0)).abs() < 1e-12);
    }

    #[test]
    fn the_cell_containing_a_point_is_the_nearest_sample() {
        let t = srtm3(-7.0, 52.0);
        let d = 1.0 / 1200.0;
        let cell = t.cell_containing(Xy::new(-6.5 + 0.4 * d, 52.5 - 0.4 * d), 1201, 1201);
        assert_eq!(cell, Some(Cell::new(600, 600)));
        let cell = t.cell_containing(Xy::new(-6.5 + 0.6 * d, 52.5 - 0.6 * d), 1201, 1201);
        assert_eq!(cell, Some(Cell::new(601, 601)));
        // Within the outer edge (half a cell beyond the corner sample), and beyond it.
        assert_eq!(
            t.cell_containing(Xy::new(-7.0 - 0.4 * d, 53.0 + 0.4 * d), 1201, 1201),
            Some(Cell::new(0, 0))
        );
        assert_eq!(
            t.cell_containing(Xy::new(-7.0 - 0.6 * d, 52.5), 1201, 1201),
            None
        );
        assert_eq!(t.cell_containing(Xy::new(f64::NAN, 52.5), 1201, 1201), None);
        for cell in [Cell::new(0, 0), Cell::new(17, 1133), Cell::new(1200, 1200)] {
            assert_eq!(
                t.cell_containing(t.cell_centre(cell), 1201, 1201),
                Some(cell)
            );
        }
    }

    #[test]
    fn outer_bounds_stick_out_half_a_cell() {
        let h = 0.5 / 1200.0;
        let b = srtm3(-7.0, 52.0).bounds(1201, 1201);
        let want = [-7.0 - h, 52.0 - h, -6.0 + h, 53.0 + h];
        for (a, w) in b.to_array().iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{b:?}");
        }
    }
}
