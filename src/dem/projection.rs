//! Converting between a grid's CRS and WGS84 longitude/latitude.
//!
//! Conversions go through a real projection library, never hand-written
//! formulas: [`proj4rs`] (a pure-Rust port of PROJ.4) with the PROJ.4
//! definition of the grid's CRS, which for an EPSG code comes from the
//! `crs-definitions` tables (or from GDAL in the `gdal` build).

use proj4rs::Proj;

use super::georef::Crs;
use crate::error::{Error, Result};

/// The PROJ.4 definition of WGS84 longitude/latitude (EPSG:4326).
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// The projected CRS with EPSG code `epsg`, if downhill can convert it:
/// known to the EPSG tables, with its axes in metres.
pub fn projected_crs(epsg: u32) -> Result<Crs> {
    let def = u16::try_from(epsg)
        .ok()
        .and_then(crs_definitions::from_code)
        .ok_or_else(|| {
            Error::param(format!(
                "EPSG:{epsg} is not a coordinate system downhill knows how to project"
            ))
        })?;
    let crs = Crs::Projected {
        epsg,
        proj: def.proj4.to_string(),
    };
    // Check it parses and is a projection in metres.
    Projection::for_crs(&crs)?;
    Ok(crs)
}

/// A conversion between a grid's own coordinates and WGS84 degrees.
#[derive(Debug)]
pub struct Projection {
    /// `None` on a geographic grid, where coordinates already are WGS84 degrees.
    projected: Option<(Proj, Proj)>,
}

impl Projection {
    /// The conversion for `crs`; an error names a CRS that cannot be handled.
    pub fn for_crs(crs: &Crs) -> Result<Projection> {
        #[allow(unreachable_patterns)]
        match crs {
            Crs::Geographic => Ok(Projection { projected: None }),
            Crs::Projected { epsg, proj } => {
                let bad = |why: String| {
                    Error::param(format!(
                        "cannot use the coordinate system EPSG:{epsg} ({proj}): {why}"
                    ))
                };
                let grid = Proj::from_proj_string(proj).map_err(|e| bad(e.to_string()))?;
                if grid.is_latlong() || grid.is_geocent() {
                    return Err(bad("it is not a map projection in metres".into()));
                }
                if (grid.to_meter() - 1.0).abs() > 1e-12 {
                    return Err(bad(format!(
                        "its unit is {} m, not the metre",
                        grid.to_meter()
                    )));
                }
                let wgs84 = Proj::from_proj_string(WGS84).map_err(|e| bad(e.to_string()))?;
                Ok(Projection {
                    projected: Some((grid, wgs84)),
                })
            }
            other => Err(Error::param(format!(
                "the coordinate system {} has no relation to longitude and latitude",
                other.label()
            ))),
        }
    }

    /// `true` on a geographic grid, whose `(x, y)` are longitude and
    /// latitude themselves: both conversions return what they are given.
    pub fn is_identity(&self) -> bool {
        self.projected.is_none()
    }

    /// Grid `(x, y)` (metres, or degrees on a geographic grid) to WGS84
    /// `(lon, lat)` in degrees; `None` where the projection is undefined.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let Some((grid, wgs84)) = &self.projected else {
            return Some((x, y));
        };
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(grid, wgs84, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }

    /// WGS84 `(lon, lat)` in degrees to grid `(x, y)`; `None` where the
    /// projection is undefined.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let Some((grid, wgs84)) = &self.projected else {
            return Some((lon, lat));
        };
        if !(lon.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return None;
        }
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(wgs84, grid, &mut p).ok()?;
        (p.0.is_finite() && p.1.is_finite()).then_some((p.0, p.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_non_metric_codes_are_refused_by_name() {
        let msg = projected_crs(99999).unwrap_err().to_string();
        assert!(msg.contains("EPSG:99999"), "{msg}");
        // EPSG:2227 is California zone 3 in US survey feet.
        let msg = projected_crs(2227).unwrap_err().to_string();
        assert!(msg.contains("EPSG:2227") && msg.contains("metre"), "{msg}");
    }
}
