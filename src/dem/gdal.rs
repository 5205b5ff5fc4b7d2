//! Any raster GDAL opens (VRT, COG, Erdas IMG, ASCII grid, `/vsizip/` ...),
//! through the system libgdal; only in the build with `--features gdal`.
//!
//! The first band is read as `f32` metres, its nodata value becoming `NaN`.
//! The CRS must be WGS84 longitude/latitude (or a datum within a metre of
//! it) or a projection in metres; a projection is identified by its EPSG
//! code where GDAL finds one, and converted to WGS84 with its PROJ.4
//! definition as GDAL writes it.

use std::path::Path;

use gdal::Dataset;
use ndarray::Array2;

use super::georef::{Crs, GeoTransform};
use super::projection::Projection;
use super::{Dem, InputInfo};
use crate::error::{Error, Result};

/// Geographic EPSG codes treated as WGS84 (see the GeoTIFF reader).
const WGS84_LIKE: [i32; 4] = [4326, 4269, 4258, 4283];

/// The geometry of a raster, from its header: `(transform, crs, rows, cols, format)`.
pub fn probe(path: &Path) -> Result<(GeoTransform, Crs, usize, usize, String)> {
    let ds = open(path)?;
    let (transform, crs, rows, cols) = geometry(path, &ds)?;
    Ok((transform, crs, rows, cols, format_of(&ds)))
}

/// Reads the first band of the raster at `path` into a grid.
pub fn read(path: &Path) -> Result<Dem> {
    let ds = open(path)?;
    let (transform, crs, rows, cols) = geometry(path, &ds)?;
    let band = ds
        .rasterband(1)
        .map_err(|e| Error::bad_file(path, format!("cannot read band 1 ({e})")))?;
    let mut heights = Array2::<f32>::zeros((rows, cols));
    let slice = heights
        .as_slice_mut()
        .ok_or_else(|| Error::bad_file(path, "internal error: grid not contiguous"))?;
    band.read_into_slice::<f32>((0, 0), (cols, rows), (cols, rows), slice, None)
        .map_err(|e| Error::bad_file(path, format!("cannot read the samples ({e})")))?;
    let nodata = band.no_data_value().map(|n| n as f32);
    for h in heights.iter_mut() {
        if !h.is_finite() || Some(*h) == nodata {
            *h = f32::NAN;
        }
    }
    Ok(Dem {
        heights,
        transform,
        crs,
        inputs: vec![InputInfo {
            path: path.to_path_buf(),
            format: format_of(&ds),
            height: rows,
            width: cols,
        }],
    })
}

fn open(path: &Path) -> Result<Dataset> {
    Dataset::open(path).map_err(|e| {
        Error::bad_file(
            path,
            format!("is not a raster downhill or GDAL can read ({e})"),
        )
    })
}

fn format_of(ds: &Dataset) -> String {
    format!("GDAL {}", ds.driver().short_name())
}

fn geometry(path: &Path, ds: &Dataset) -> Result<(GeoTransform, Crs, usize, usize)> {
    if ds.raster_count() == 0 {
        return Err(Error::bad_file(path, "holds no raster band"));
    }
    let (cols, rows) = ds.raster_size();
    let gt = ds
        .geo_transform()
        .map_err(|e| Error::bad_file(path, format!("has no georeferencing ({e})")))?;
    if gt[2] != 0.0 || gt[4] != 0.0 {
        return Err(Error::bad_file(
            path,
            "the grid is rotated (not north-up); warp it north-up first, e.g. with gdalwarp",
        ));
    }
    if !(gt[1] > 0.0 && gt[5] < 0.0) {
        return Err(Error::bad_file(
            path,
            format!(
                "the grid is not north-up with positive cell sizes ({} x {})",
                gt[1], gt[5]
            ),
        ));
    }
    let transform = GeoTransform {
        origin_x: gt[0],
        origin_y: gt[3],
        cell_x: gt[1],
        cell_y: -gt[5],
    };
    Ok((transform, crs_of(path, ds)?, rows, cols))
}

fn crs_of(path: &Path, ds: &Dataset) -> Result<Crs> {
    let mut srs = ds
        .spatial_ref()
        .map_err(|e| Error::bad_file(path, format!("has no coordinate system ({e})")))?;
    let name = srs.name().unwrap_or_else(|| "unnamed".into());
    if srs.is_geographic() {
        let _ = srs.auto_identify_epsg();
        // Without an EPSG code (an ESRI .prj), the ellipsoid tells: WGS84 and
        // GRS80 differ by 0.1 mm in their semi-minor axes.
        let wgs84_ellipsoid = srs
            .semi_major()
            .is_ok_and(|a| (a - 6_378_137.0).abs() < 1e-3)
            && srs
                .semi_minor()
                .is_ok_and(|b| (b - 6_356_752.314_2).abs() < 1e-3)
            && (srs.angular_units() - 1f64.to_radians()).abs() < 1e-12;
        return match srs.auth_code() {
            Ok(code) if WGS84_LIKE.contains(&code) => Ok(Crs::Geographic),
            Err(_) if wgs84_ellipsoid => Ok(Crs::Geographic),
            _ => Err(Error::bad_file(
                path,
                format!("its geographic coordinate system ({name}) is not WGS84 or a datum within a metre of it"),
            )),
        };
    }
    if !srs.is_projected() {
        return Err(Error::bad_file(
            path,
            format!("its coordinate system ({name}) is neither geographic nor projected"),
        ));
    }
    let _ = srs.auto_identify_epsg();
    if (srs.linear_units() - 1.0).abs() > 1e-12 {
        let code = srs
            .auth_code()
            .map(|c| format!("EPSG:{c}, "))
            .unwrap_or_default();
        return Err(Error::bad_file(
            path,
            format!(
                "its coordinate system ({code}{name}) is in units of {} m, not metres",
                srs.linear_units()
            ),
        ));
    }
    let epsg = srs
        .auth_code()
        .ok()
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0);
    let proj = srs
        .to_proj4()
        .map_err(|e| Error::bad_file(path, format!("cannot express {name} for PROJ ({e})")))?;
    let crs = Crs::Projected {
        epsg,
        proj: proj.trim().to_string(),
    };
    Projection::for_crs(&crs).map_err(|e| Error::bad_file(path, e.to_string()))?;
    Ok(crs)
}
