//! Writing a `u32` label grid as a georeferenced GeoTIFF.
//!
//! The file is a single-band 32-bit unsigned TIFF (deflate-compressed) with
//! the three GeoTIFF tags GDAL needs: ModelPixelScale (33550), ModelTiepoint
//! (33922) tying the outer corner of pixel (0, 0) to the geotransform's
//! origin (PixelIsArea), and a GeoKeyDirectory (34735) naming EPSG:4326 or
//! the grid's projected EPSG code. GDAL_NODATA (42113) is "0": no walker
//! started there.

use std::io::{Seek, Write};
use std::path::Path;

use ndarray::Array2;
use tiff::encoder::{colortype::Gray32, Compression, DeflateLevel, TiffEncoder};
use tiff::tags::Tag;

use crate::dem::{Crs, GeoTransform};
use crate::error::{Error, Result};

/// GeoKey ids and values (GeoTIFF 1.0 specification, section 6).
const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GEOGRAPHIC_TYPE: u16 = 2048;
const PROJECTED_CS_TYPE: u16 = 3072;
const MODEL_TYPE_PROJECTED: u16 = 1;
const MODEL_TYPE_GEOGRAPHIC: u16 = 2;
const RASTER_PIXEL_IS_AREA: u16 = 1;
/// GeoTIFF's "user-defined" code (no EPSG CRS).
const USER_DEFINED: u32 = 32767;

/// The GeoKeyDirectory of `crs`: header `[1, 1, 0, keys]` then
/// `[key, location 0 (inline), count 1, value]` per key, keys ascending.
fn geo_keys(crs: &Crs) -> Result<Vec<u16>> {
    let (model, crs_key, code) = match crs {
        Crs::Geographic => (MODEL_TYPE_GEOGRAPHIC, GEOGRAPHIC_TYPE, 4326u32),
        Crs::Projected { epsg, .. } => (MODEL_TYPE_PROJECTED, PROJECTED_CS_TYPE, *epsg),
        // An analytic surface has no place on the Earth: user-defined model, no CRS code.
        Crs::Planar => (MODEL_TYPE_PROJECTED, PROJECTED_CS_TYPE, USER_DEFINED),
    };
    let code = u16::try_from(code).map_err(|_| {
        Error::param(format!(
            "EPSG:{code} does not fit a GeoTIFF key (codes above 65535 are not representable)"
        ))
    })?;
    Ok(vec![
        1,
        1,
        0,
        3, //
        GT_MODEL_TYPE,
        0,
        1,
        model, //
        GT_RASTER_TYPE,
        0,
        1,
        RASTER_PIXEL_IS_AREA, //
        crs_key,
        0,
        1,
        code,
    ])
}

fn encode<W: Write + Seek>(
    out: W,
    labels: &Array2<u32>,
    transform: &GeoTransform,
    crs: &Crs,
) -> std::result::Result<(), String> {
    let (rows, cols) = labels.dim();
    let (w, h) = (
        u32::try_from(cols).map_err(|e| e.to_string())?,
        u32::try_from(rows).map_err(|e| e.to_string())?,
    );
    let keys = geo_keys(crs).map_err(|e| e.to_string())?;
    let mut encoder = TiffEncoder::new(out)
        .map_err(|e| e.to_string())?
        .with_compression(Compression::Deflate(DeflateLevel::Fast));
    let mut image = encoder
        .new_image::<Gray32>(w, h)
        .map_err(|e| e.to_string())?;
    let scale = [transform.cell_x, transform.cell_y, 0.0];
    let tiepoint = [0.0, 0.0, 0.0, transform.origin_x, transform.origin_y, 0.0];
    let dir = image.encoder();
    dir.write_tag(Tag::Unknown(33550), &scale[..])
        .map_err(|e| e.to_string())?;
    dir.write_tag(Tag::Unknown(33922), &tiepoint[..])
        .map_err(|e| e.to_string())?;
    dir.write_tag(Tag::Unknown(34735), &keys[..])
        .map_err(|e| e.to_string())?;
    dir.write_tag(Tag::Unknown(42113), "0")
        .map_err(|e| e.to_string())?;
    let data: Vec<u32> = labels.iter().copied().collect();
    image.write_data(&data).map_err(|e| e.to_string())
}

/// The bytes of a GeoTIFF holding `labels` (row 0 north) placed by
/// `transform` in `crs`.
pub fn labels_geotiff(
    labels: &Array2<u32>,
    transform: &GeoTransform,
    crs: &Crs,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    encode(std::io::Cursor::new(&mut bytes), labels, transform, crs)
        .map_err(|m| Error::param(format!("cannot encode the basins GeoTIFF: {m}")))?;
    Ok(bytes)
}

/// Writes `labels` as a GeoTIFF to `path` atomically.
pub fn write_labels(
    path: &Path,
    labels: &Array2<u32>,
    transform: &GeoTransform,
    crs: &Crs,
) -> Result<()> {
    crate::export::write_atomic(path, &labels_geotiff(labels, transform, crs)?)
}
