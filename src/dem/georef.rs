//! Georeferencing: where the samples of a grid lie on the Earth.
//!
//! downhill keeps one convention internally, GDAL's: an affine, north-up
//! geotransform whose origin is the outer corner of cell (0, 0), so that the
//! *centre* of sample (row, col) lies at
//! `x = origin_x + (col + 0.5) * cell_x`, `y = origin_y - (row + 0.5) * cell_y`.
//! SRTM's pixel-is-point samples therefore map to a geotransform shifted by
//! half a cell, exactly as `gdalinfo` reports for an `.hgt` file.

use serde::Serialize;

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

    /// Outer bounds `[west, south, east, north]` of a `rows` x `cols` grid,
    /// cell edges included (as `gdalinfo` reports them).
    pub fn bounds(&self, rows: usize, cols: usize) -> [f64; 4] {
        [
            self.origin_x,
            self.origin_y - rows as f64 * self.cell_y,
            self.origin_x + cols as f64 * self.cell_x,
            self.origin_y,
        ]
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
        let [west, south, east, north] = self.bounds(rows, cols);
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

/// A position in a grid's own coordinates: longitude/latitude in degrees on a
/// geographic grid, easting/northing in metres on a projected one, plain
/// `x`/`y` on an analytic surface.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Position {
    /// Longitude (degrees) or easting (metres).
    pub x: f64,
    /// Latitude (degrees) or northing (metres).
    pub y: f64,
}

impl Position {
    /// A position from its two coordinates.
    pub fn new(x: f64, y: f64) -> Self {
        Position { x, y }
    }

    /// `true` when both coordinates are finite numbers.
    pub fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }
}

/// A WGS84 longitude/latitude pair in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    /// Longitude, degrees east.
    pub lon: f64,
    /// Latitude, degrees north.
    pub lat: f64,
}

impl LonLat {
    /// A point from longitude and latitude in degrees.
    pub fn new(lon: f64, lat: f64) -> Self {
        LonLat { lon, lat }
    }
}

impl std::fmt::Display for LonLat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = if self.lat >= 0.0 { 'N' } else { 'S' };
        let ew = if self.lon >= 0.0 { 'E' } else { 'W' };
        write!(
            f,
            "{:.5}°{} {:.5}°{}",
            self.lat.abs(),
            ns,
            self.lon.abs(),
            ew
        )
    }
}
