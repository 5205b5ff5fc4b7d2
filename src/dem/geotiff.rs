//! GeoTIFF elevation grids, read in pure Rust with the `tiff` crate.
//!
//! Supported: one band of int8/16/32, uint8/16/32 or float32/64 samples,
//! striped or tiled, uncompressed, PackBits, LZW or deflate, with
//! predictors 1 (none), 2 (horizontal) and 3 (floating point), classic TIFF
//! or BigTIFF. Voids come from the `GDAL_NODATA` tag (42113, ASCII) and from
//! `NaN` samples.
//!
//! Georeferencing follows GDAL: the `ModelTiepointTag` (33922) with the
//! `ModelPixelScaleTag` (33550), or the `ModelTransformationTag` (34264),
//! must give a north-up grid; a `GTRasterTypeGeoKey` (1025) of
//! `PixelIsPoint` moves the origin by half a cell to the outer corner, as
//! GDAL does by default. The CRS is the EPSG code of the
//! `ProjectedCSTypeGeoKey` (3072) or `GeographicTypeGeoKey` (2048).
//!
//! Anything else (several bands, JPEG, rotated grids, user-defined CRSs)
//! gets an [`ReadError::Unsupported`] error that points to the GDAL build.

use std::io::{BufReader, Read, Seek};
use std::path::Path;

use ndarray::Array2;
use tiff::decoder::{ChunkType, Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use super::georef::{Crs, GeoTransform};
use super::projection;
use super::{Dem, InputInfo};
use crate::budget::Budget;
use crate::error::{Error, Result};

/// `GTModelTypeGeoKey`: 1 = projected, 2 = geographic.
const KEY_MODEL_TYPE: u16 = 1024;
/// `GTRasterTypeGeoKey`: 1 = PixelIsArea, 2 = PixelIsPoint.
const KEY_RASTER_TYPE: u16 = 1025;
/// `GeographicTypeGeoKey`: EPSG code of a geographic CRS.
const KEY_GEOGRAPHIC_TYPE: u16 = 2048;
/// `ProjectedCSTypeGeoKey`: EPSG code of a projected CRS.
const KEY_PROJECTED_TYPE: u16 = 3072;
/// The GeoKey value meaning "user-defined".
const USER_DEFINED: u16 = 32767;

/// Geographic EPSG codes treated as WGS84: WGS84 itself and the datums that
/// agree with it within about a metre (NAD83, ETRS89, GDA94), far below the
/// accuracy of any DEM downhill reads.
const WGS84_LIKE: [u16; 4] = [4326, 4269, 4258, 4283];

/// The hint appended to every "cannot read this variant" message.
pub const GDAL_HINT: &str =
    "downhill's built-in reader does not handle this; a build with `--features gdal` reads it through GDAL";

/// Why a GeoTIFF could not be read natively.
#[derive(Debug)]
pub enum ReadError {
    /// A valid file in a variant the native reader does not handle (the GDAL
    /// build may read it).
    Unsupported(Error),
    /// The file is damaged, unreadable, or not an elevation grid.
    Failed(Error),
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::Unsupported(e) | ReadError::Failed(e) => e,
        }
    }
}

/// `true` when `bytes` start with a TIFF or BigTIFF signature.
pub fn has_tiff_signature(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(b"II*\0") | Some(b"MM\0*") | Some(b"II+\0") | Some(b"MM\0+")
    )
}

/// The geometry of a GeoTIFF, known from its header without reading samples.
#[derive(Debug, Clone)]
pub struct Header {
    /// Placement of the samples (GDAL convention).
    pub transform: GeoTransform,
    /// Coordinate reference system.
    pub crs: Crs,
    /// Rows (north to south).
    pub rows: usize,
    /// Columns (west to east).
    pub cols: usize,
    /// Sample value marking a void, from `GDAL_NODATA`.
    pub nodata: Option<f64>,
    /// A short description, e.g. `GeoTIFF (Int16, DEFLATE, tiled)`.
    pub format: String,
}

/// Reads the header of the GeoTIFF at `path`.
pub fn probe(path: &Path) -> Result<Header, ReadError> {
    let (mut decoder, bigtiff, _) = open_file(path, &Budget::default())?;
    header(path, &mut decoder, bigtiff)
}

/// A decoder reading a file.
type FileDecoder = Decoder<BufReader<std::fs::File>>;

/// The decoder of the regular file at `path`, whether it is a BigTIFF, and
/// the file's length in bytes.
fn open_file(path: &Path, budget: &Budget) -> Result<(FileDecoder, bool, u64), ReadError> {
    let (file, len) = crate::input::open_regular(path).map_err(ReadError::Failed)?;
    let (decoder, bigtiff) = open_decoder(path, BufReader::new(file), budget)?;
    Ok((decoder, bigtiff, len))
}

/// Reads the GeoTIFF at `path` into a grid, refusing (before allocating)
/// one whose size exceeds `budget` or is more than its file can hold.
pub fn read(path: &Path, budget: &Budget) -> Result<Dem, ReadError> {
    let (file, len) = crate::input::open_regular(path).map_err(ReadError::Failed)?;
    read_from(path, BufReader::new(file), len, budget)
}

/// Reads a GeoTIFF held in memory; `path` names it in messages. The same
/// checks as [`read`] apply (this is what the fuzz target drives).
pub fn read_bytes(path: &Path, bytes: &[u8], budget: &Budget) -> Result<Dem, ReadError> {
    read_from(
        path,
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
        budget,
    )
}

fn read_from<R: Read + Seek>(
    path: &Path,
    reader: R,
    len: u64,
    budget: &Budget,
) -> Result<Dem, ReadError> {
    let (mut decoder, bigtiff) = open_decoder(path, reader, budget)?;
    let head = header(path, &mut decoder, bigtiff)?;
    check_claim(path, &mut decoder, &head, len, budget)?;
    let heights = samples(path, &mut decoder, &head)?;
    Ok(Dem {
        heights,
        transform: head.transform,
        crs: head.crs,
        inputs: vec![InputInfo {
            path: path.to_path_buf(),
            format: head.format,
            height: head.rows,
            width: head.cols,
        }],
    })
}

/// The most bytes of samples one byte of a file can decode to, by
/// compression: DEFLATE tops out near 1032:1, LZW with 12-bit codes near
/// 1300:1, PackBits at 64:1 (2 bytes for a run of 128). Generous, so no
/// honest file is refused.
fn max_expansion(compression: u16) -> u64 {
    match compression {
        1 => 1,
        32773 => 64,
        _ => 2048,
    }
}

/// Refuses a header whose claimed size is over the cell budget, or more
/// than the file's bytes could decode to, before anything is allocated.
fn check_claim<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
    head: &Header,
    len: u64,
    budget: &Budget,
) -> Result<(), ReadError> {
    let (rows, cols) = (head.rows as u64, head.cols as u64);
    budget
        .check_cells(rows, cols, &format!("{}", path.display()))
        .map_err(ReadError::Failed)?;
    let bits = tag_u16(path, d, Tag::BitsPerSample, 1)?.max(1) as u64;
    let compression = tag_u16(path, d, Tag::Compression, 1)?;
    let needed = rows * cols * bits.div_ceil(8);
    // 64 KiB of slack: a tiny file may be all one value.
    let most = len.saturating_mul(max_expansion(compression)) + (64 << 10);
    if needed > most {
        return Err(failed(
            path,
            format!(
                "claims {rows} x {cols} samples ({needed} bytes of data), more than the file's \
                 {len} bytes can hold ({}); the file is truncated or damaged",
                match compression {
                    1 => "uncompressed, a file holds one byte of data per byte".to_string(),
                    c => format!(
                        "{} compression yields at most {} bytes of data per byte",
                        compression_name(c).unwrap_or("its"),
                        max_expansion(c)
                    ),
                }
            ),
        ));
    }
    Ok(())
}

fn failed(path: &Path, msg: impl Into<String>) -> ReadError {
    ReadError::Failed(Error::bad_file(path, msg))
}

fn unsupported(path: &Path, msg: impl std::fmt::Display) -> ReadError {
    ReadError::Unsupported(Error::bad_file(path, format!("{msg}; {GDAL_HINT}")))
}

/// Decoder limits: tags and chunks are bounded so that no claim in a
/// header can make the `tiff` crate allocate more than the budget allows.
fn limits(budget: &Budget) -> Limits {
    let mut limits = Limits::default();
    // One decoded chunk: at most the whole budget as f64, within 16 MiB..1 GiB.
    let chunk = budget.max_cells.saturating_mul(8).clamp(16 << 20, 1 << 30);
    limits.decoding_buffer_size = chunk as usize;
    limits.intermediate_buffer_size = chunk as usize;
    // Tags (strip offsets of a big striped file included) up to 64 MiB.
    limits.ifd_value_size = 64 << 20;
    limits
}

/// The decoder of a TIFF stream, and whether it is a BigTIFF.
fn open_decoder<R: Read + Seek>(
    path: &Path,
    mut reader: R,
    budget: &Budget,
) -> Result<(Decoder<R>, bool), ReadError> {
    let mut magic = [0u8; 4];
    let n = reader
        .read(&mut magic)
        .and_then(|n| reader.rewind().map(|_| n))
        .map_err(|e| ReadError::Failed(Error::io(path, e)))?;
    if !has_tiff_signature(&magic[..n]) {
        return Err(failed(path, "not a TIFF file (no TIFF signature)"));
    }
    Decoder::new(reader)
        .map(|d| (d.with_limits(limits(budget)), is_bigtiff(&magic)))
        .map_err(|e| match e {
            tiff::TiffError::UnsupportedError(u) => {
                unsupported(path, format!("unsupported TIFF ({u})"))
            }
            e => failed(path, format!("not a readable TIFF file ({e})")),
        })
}

/// The sample type of the band, named as GDAL names it.
fn sample_type(path: &Path, format: u16, bits: u16) -> Result<&'static str, ReadError> {
    Ok(match (format, bits) {
        (1, 8) => "Byte",
        (2, 8) => "Int8",
        (1, 16) => "UInt16",
        (2, 16) => "Int16",
        (1, 32) => "UInt32",
        (2, 32) => "Int32",
        (3, 32) => "Float32",
        (3, 64) => "Float64",
        _ => {
            let kind = match format {
                1 => "unsigned integer",
                2 => "signed integer",
                3 => "floating-point",
                _ => "untyped",
            };
            return Err(unsupported(
                path,
                format!("samples are {bits}-bit {kind}, which is not an elevation type downhill reads natively"),
            ));
        }
    })
}

fn compression_name(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "uncompressed",
        5 => "LZW",
        8 | 32946 => "DEFLATE",
        32773 => "PackBits",
        _ => return None,
    })
}

fn tag_u16<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
    tag: Tag,
    default: u16,
) -> Result<u16, ReadError> {
    d.find_tag_unsigned::<u16>(tag)
        .map(|v| v.unwrap_or(default))
        .map_err(|e| failed(path, format!("bad {tag:?} tag ({e})")))
}

fn tag_f64s<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
    tag: Tag,
) -> Result<Option<Vec<f64>>, ReadError> {
    match d.find_tag(tag) {
        Ok(None) => Ok(None),
        Ok(Some(v)) => v
            .into_f64_vec()
            .map(Some)
            .map_err(|e| failed(path, format!("bad {tag:?} tag ({e})"))),
        Err(e) => Err(failed(path, format!("bad {tag:?} tag ({e})"))),
    }
}

fn header<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
    bigtiff: bool,
) -> Result<Header, ReadError> {
    let (w, h) = d
        .dimensions()
        .map_err(|e| failed(path, format!("no image size ({e})")))?;
    if w == 0 || h == 0 {
        return Err(failed(
            path,
            format!("the image is {w} x {h} samples: it holds no elevation grid"),
        ));
    }
    let spp = tag_u16(path, d, Tag::SamplesPerPixel, 1)?;
    if spp != 1 {
        return Err(unsupported(
            path,
            format!("the image has {spp} bands; downhill reads single-band elevation GeoTIFFs"),
        ));
    }
    let bits = tag_u16(path, d, Tag::BitsPerSample, 1)?;
    let sample_format = tag_u16(path, d, Tag::SampleFormat, 1)?;
    let type_name = sample_type(path, sample_format, bits)?;
    let compression = tag_u16(path, d, Tag::Compression, 1)?;
    let Some(compression_label) = compression_name(compression) else {
        return Err(unsupported(
            path,
            format!("compression scheme {compression} is not one downhill reads natively (it reads none, PackBits, LZW and DEFLATE)"),
        ));
    };
    let layout = match d.get_chunk_type() {
        ChunkType::Strip => "striped",
        ChunkType::Tile => "tiled",
    };
    let bigtiff = if bigtiff { ", BigTIFF" } else { "" };
    let format = format!("GeoTIFF ({type_name}, {compression_label}, {layout}{bigtiff})");

    let keys = geokeys(path, d)?;
    let key = |id: u16| keys.iter().find(|(k, _)| *k == id).map(|&(_, v)| v);
    let crs = crs_from_keys(
        path,
        key(KEY_MODEL_TYPE),
        key(KEY_GEOGRAPHIC_TYPE),
        key(KEY_PROJECTED_TYPE),
    )?;
    let mut transform = georeferencing(path, d)?;
    if key(KEY_RASTER_TYPE) == Some(2) {
        // PixelIsPoint: the tie point is the centre of cell (0, 0).
        transform.origin_x -= transform.cell_x / 2.0;
        transform.origin_y += transform.cell_y / 2.0;
    }
    transform
        .check_on_earth(h as usize, w as usize, &crs)
        .map_err(|m| failed(path, m))?;
    let nodata =
        match d.find_tag(Tag::GdalNodata) {
            Ok(None) => None,
            Ok(Some(v)) => {
                let text = v
                    .into_string()
                    .map_err(|e| failed(path, format!("bad GDAL_NODATA tag ({e})")))?;
                let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
                Some(parse_nodata(text).ok_or_else(|| {
                    failed(path, format!("GDAL_NODATA tag '{text}' is not a number"))
                })?)
            }
            Err(e) => return Err(failed(path, format!("bad GDAL_NODATA tag ({e})"))),
        };
    Ok(Header {
        transform,
        crs,
        rows: h as usize,
        cols: w as usize,
        nodata,
        format,
    })
}

fn parse_nodata(text: &str) -> Option<f64> {
    match text.to_ascii_lowercase().as_str() {
        "nan" | "-nan" => Some(f64::NAN),
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// `true` for the BigTIFF signature (`II+\0`, `MM\0+`).
fn is_bigtiff(magic: &[u8]) -> bool {
    matches!(magic.get(2..4), Some([b'+', 0]) | Some([0, b'+']))
}

/// The short-valued GeoKeys `(id, value)` of the GeoKeyDirectoryTag.
fn geokeys<R: Read + Seek>(path: &Path, d: &mut Decoder<R>) -> Result<Vec<(u16, u16)>, ReadError> {
    let dir = match d.find_tag(Tag::GeoKeyDirectoryTag) {
        Ok(None) => {
            return Err(unsupported(
                path,
                "is a TIFF without GeoTIFF keys, so its coordinate system is unknown",
            ))
        }
        Ok(Some(v)) => v
            .into_u16_vec()
            .map_err(|e| failed(path, format!("bad GeoKeyDirectoryTag ({e})")))?,
        Err(e) => return Err(failed(path, format!("bad GeoKeyDirectoryTag ({e})"))),
    };
    let count = *dir.get(3).unwrap_or(&0) as usize;
    let entries = dir.get(4..).unwrap_or(&[]);
    if entries.len() < count * 4 {
        return Err(failed(path, "the GeoKeyDirectoryTag is truncated"));
    }
    Ok(entries
        .chunks_exact(4)
        .take(count)
        // location 0: the value is stored in the entry itself
        .filter(|e| e[1] == 0)
        .map(|e| (e[0], e[3]))
        .collect())
}

fn crs_from_keys(
    path: &Path,
    model: Option<u16>,
    geographic: Option<u16>,
    projected: Option<u16>,
) -> Result<Crs, ReadError> {
    match model {
        Some(1) => match projected {
            Some(code) if code != USER_DEFINED => {
                projection::projected_crs(code as u32).map_err(|e| unsupported(path, e))
            }
            _ => Err(unsupported(
                path,
                "the projected coordinate system is user-defined (no EPSG code)",
            )),
        },
        Some(2) => match geographic {
            Some(code) if WGS84_LIKE.contains(&code) => Ok(Crs::Geographic),
            Some(code) if code != USER_DEFINED => Err(unsupported(
                path,
                format!("geographic coordinate system EPSG:{code} is not WGS84 or a datum within a metre of it"),
            )),
            _ => Err(unsupported(
                path,
                "the geographic coordinate system is user-defined (no EPSG code)",
            )),
        },
        Some(3) => Err(failed(
            path,
            "uses a geocentric coordinate system, which cannot hold an elevation grid",
        )),
        _ => Err(failed(
            path,
            "has no GTModelTypeGeoKey, so its coordinate system is unknown",
        )),
    }
}

fn georeferencing<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
) -> Result<GeoTransform, ReadError> {
    let scale = tag_f64s(path, d, Tag::ModelPixelScaleTag)?;
    let tie = tag_f64s(path, d, Tag::ModelTiepointTag)?;
    let matrix = tag_f64s(path, d, Tag::ModelTransformationTag)?;
    let (origin_x, cell_x, rot_x, origin_y, rot_y, neg_cell_y) = match (scale, tie, matrix) {
        (Some(s), Some(t), _) if s.len() >= 2 && t.len() >= 6 => {
            if t.len() > 6 {
                return Err(unsupported(
                    path,
                    format!(
                        "it is georeferenced by {} ground control points rather than one tie point",
                        t.len() / 6
                    ),
                ));
            }
            (
                t[3] - t[0] * s[0],
                s[0],
                0.0,
                t[4] + t[1] * s[1],
                0.0,
                -s[1],
            )
        }
        (_, _, Some(m)) if m.len() >= 8 => (m[3], m[0], m[1], m[7], m[4], m[5]),
        _ => return Err(failed(
            path,
            "has no usable georeferencing (ModelTiepoint + ModelPixelScale or ModelTransformation)",
        )),
    };
    if rot_x != 0.0 || rot_y != 0.0 {
        return Err(unsupported(path, "the grid is rotated (not north-up)"));
    }
    if !(cell_x > 0.0 && neg_cell_y < 0.0 && origin_x.is_finite() && origin_y.is_finite()) {
        return Err(unsupported(
            path,
            format!(
                "the grid is not north-up with positive cell sizes (cell {cell_x} x {})",
                -neg_cell_y
            ),
        ));
    }
    Ok(GeoTransform {
        origin_x,
        origin_y,
        cell_x,
        cell_y: -neg_cell_y,
    })
}

/// How a file's samples are cut into chunks (strips or tiles).
#[derive(Debug, Clone, Copy)]
struct Chunks {
    kind: ChunkType,
    /// Columns and rows of a chunk.
    width: usize,
    height: usize,
    /// Chunks in the file, and across the grid.
    count: u32,
    across: usize,
}

impl Chunks {
    fn of<R: Read + Seek>(
        path: &Path,
        d: &mut Decoder<R>,
        head: &Header,
    ) -> Result<Self, ReadError> {
        let (width, height) = d.chunk_dimensions();
        let (width, height) = (width as usize, height as usize);
        let kind = d.get_chunk_type();
        let count = match kind {
            ChunkType::Strip => d.strip_count(),
            ChunkType::Tile => d.tile_count(),
        }
        .map_err(|e| failed(path, format!("bad strip or tile layout ({e})")))?;
        if width == 0 || height == 0 {
            return Err(failed(path, "strips or tiles of size zero"));
        }
        Ok(Chunks {
            kind,
            width,
            height,
            count,
            across: head.cols.div_ceil(width),
        })
    }

    /// The first row and column of chunk `i`.
    fn origin(&self, i: u32) -> (usize, usize) {
        match self.kind {
            ChunkType::Strip => (i as usize * self.height, 0),
            ChunkType::Tile => (
                (i as usize / self.across) * self.height,
                (i as usize % self.across) * self.width,
            ),
        }
    }

    /// The chunks that hold rows `k * height .. (k + 1) * height`.
    fn in_chunk_row(&self, k: usize) -> std::ops::Range<u32> {
        let per_row = match self.kind {
            ChunkType::Strip => 1,
            ChunkType::Tile => self.across,
        };
        let start = (k * per_row).min(self.count as usize) as u32;
        let end = ((k + 1) * per_row).min(self.count as usize) as u32;
        start..end
    }
}

/// Decodes chunk `i` and hands each of its rows that lies in the grid to
/// `put(row, first column, heights)`.
fn decode_chunk<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
    head: &Header,
    chunks: &Chunks,
    i: u32,
    mut put: impl FnMut(usize, usize, &[f32]),
) -> Result<(), ReadError> {
    let (rows, cols) = (head.rows, head.cols);
    let (row0, col0) = chunks.origin(i);
    if row0 >= rows || col0 >= cols {
        return Ok(());
    }
    let (w, h) = (
        chunks.width.min(cols - col0),
        chunks.height.min(rows - row0),
    );
    let data = d.read_chunk(i).map_err(|e| match e {
        tiff::TiffError::UnsupportedError(u) => {
            unsupported(path, format!("unsupported encoding ({u})"))
        }
        e => failed(path, format!("chunk {i} is damaged ({e})")),
    })?;
    let values = to_f32(path, data, head.nodata)?;
    // A chunk decodes to its data width, or to the padded tile width.
    let stride = if values.len() >= chunks.width * h && values.len() != w * h {
        chunks.width
    } else {
        w
    };
    if values.len() < stride * (h - 1) + w {
        return Err(failed(
            path,
            format!(
                "chunk {i} holds {} samples, fewer than its {w} x {h}",
                values.len()
            ),
        ));
    }
    for r in 0..h {
        put(row0 + r, col0, &values[r * stride..r * stride + w]);
    }
    Ok(())
}

/// Decodes every chunk (strip or tile) straight into the output grid.
fn samples<R: Read + Seek>(
    path: &Path,
    d: &mut Decoder<R>,
    head: &Header,
) -> Result<Array2<f32>, ReadError> {
    let mut out = Array2::<f32>::from_elem((head.rows, head.cols), f32::NAN);
    let chunks = Chunks::of(path, d, head)?;
    for i in 0..chunks.count {
        decode_chunk(path, d, head, &chunks, i, |row, col0, src| {
            out.row_mut(row)
                .slice_mut(ndarray::s![col0..col0 + src.len()])
                .iter_mut()
                .zip(src)
                .for_each(|(o, v)| *o = *v);
        })?;
    }
    Ok(out)
}

/// The most samples a row of chunks may hold for [`GeoTiffRows`] to read
/// the file by rows (each reading thread keeps one row of chunks): 8 M
/// samples, 32 MiB. A file cut into larger chunks (one strip for the whole
/// image, say) is read whole instead.
const MAX_CHUNK_ROW_SAMPLES: usize = 8 << 20;

/// A GeoTIFF read a band of rows at a time, as [`super::RowSource`] asks
/// for them, by several threads at once: each thread decodes the strips
/// or tiles its rows lie in with a decoder of its own and keeps the last
/// row of chunks it decoded, so the grid is never whole in memory. The
/// checks before reading are those of [`read`]; the heights are the same.
pub struct GeoTiffRows {
    path: std::path::PathBuf,
    head: Header,
    chunks: Chunks,
    budget: Budget,
    /// Decoders not in use, each with the row of chunks it decoded last.
    readers: std::sync::Mutex<Vec<ChunkRowReader>>,
}

/// A decoder of the file and the heights of the row of chunks `row` (all
/// the grid's columns, `chunk height` rows), when it holds one.
struct ChunkRowReader {
    decoder: FileDecoder,
    row: Option<usize>,
    heights: Vec<f32>,
}

impl std::fmt::Debug for GeoTiffRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoTiffRows")
            .field("path", &self.path)
            .field("rows", &self.head.rows)
            .field("cols", &self.head.cols)
            .finish()
    }
}

impl GeoTiffRows {
    /// Opens the GeoTIFF at `path` for reading by rows after [`read`]'s
    /// checks (the budget among them) and decodes its first row of chunks;
    /// `Ok(None)` when its chunks are too large to be read a row of them at
    /// a time, and [`ReadError::Unsupported`] for what the native reader
    /// cannot read (its header, or the encoding of its chunks).
    pub fn open(path: &Path, budget: &Budget) -> Result<Option<GeoTiffRows>, ReadError> {
        let (mut decoder, bigtiff, len) = open_file(path, budget)?;
        let head = header(path, &mut decoder, bigtiff)?;
        check_claim(path, &mut decoder, &head, len, budget)?;
        let chunks = Chunks::of(path, &mut decoder, &head)?;
        if chunks.height.saturating_mul(head.cols) > MAX_CHUNK_ROW_SAMPLES {
            return Ok(None);
        }
        let rows = GeoTiffRows {
            path: path.to_path_buf(),
            chunks,
            budget: *budget,
            readers: std::sync::Mutex::new(Vec::new()),
            head,
        };
        // The first row of chunks is decoded now (and kept for the first
        // rows asked for): every chunk shares one encoding, so one the
        // native decoder cannot read shows here, as `Unsupported`, while
        // the file can still go to the whole-grid reader (and GDAL).
        let mut reader = ChunkRowReader {
            decoder,
            row: None,
            heights: Vec::new(),
        };
        rows.load_chunk_row(&mut reader, 0)?;
        rows.readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(reader);
        Ok(Some(rows))
    }

    /// A reader for chunk row `k`: one that holds it if any is free, else
    /// any free one, else a new decoder of the file.
    fn take_reader(&self, k: usize) -> Result<ChunkRowReader, ReadError> {
        let free = {
            let mut readers = self
                .readers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match readers.iter().position(|r| r.row == Some(k)) {
                Some(at) => Some(readers.swap_remove(at)),
                None => readers.pop(),
            }
        };
        match free {
            Some(reader) => Ok(reader),
            None => Ok(ChunkRowReader {
                decoder: open_file(&self.path, &self.budget)?.0,
                row: None,
                heights: Vec::new(),
            }),
        }
    }

    /// Decodes chunk row `k` into `reader` unless it holds it already.
    fn load_chunk_row(&self, reader: &mut ChunkRowReader, k: usize) -> Result<(), ReadError> {
        if reader.row == Some(k) {
            return Ok(());
        }
        reader.row = None;
        let (h, cols) = (self.chunks.height, self.head.cols);
        let first = k * h;
        reader.heights.clear();
        reader.heights.resize(h * cols, f32::NAN);
        let heights = &mut reader.heights;
        for i in self.chunks.in_chunk_row(k) {
            decode_chunk(
                &self.path,
                &mut reader.decoder,
                &self.head,
                &self.chunks,
                i,
                |row, col0, src| {
                    let at = (row - first) * cols + col0;
                    heights[at..at + src.len()].copy_from_slice(src);
                },
            )?;
        }
        reader.row = Some(k);
        Ok(())
    }
}

impl super::RowSource for GeoTiffRows {
    fn shape(&self) -> (usize, usize) {
        (self.head.rows, self.head.cols)
    }

    fn transform(&self) -> &GeoTransform {
        &self.head.transform
    }

    fn crs(&self) -> &Crs {
        &self.head.crs
    }

    fn read_rows(&self, first: usize, out: &mut [f32]) -> Result<()> {
        let (rows, cols) = (self.head.rows, self.head.cols);
        let count = super::rows::rows_asked(first, out.len(), rows, cols)?;
        if count == 0 {
            return Ok(());
        }
        let h = self.chunks.height;
        let mut reader = self.take_reader(first / h)?;
        for (r, row) in (first..first + count).zip(out.chunks_exact_mut(cols)) {
            let k = r / h;
            self.load_chunk_row(&mut reader, k)?;
            let at = (r - k * h) * cols;
            row.copy_from_slice(&reader.heights[at..at + cols]);
        }
        self.readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(reader);
        Ok(())
    }
}

/// Converts decoded samples to metres as `f32`, nodata and non-finite values to `NaN`.
fn to_f32(path: &Path, data: DecodingResult, nodata: Option<f64>) -> Result<Vec<f32>, ReadError> {
    fn convert<T: Copy>(v: Vec<T>, nodata: Option<f64>, as_f64: impl Fn(T) -> f64) -> Vec<f32> {
        v.into_iter()
            .map(|x| {
                let x = as_f64(x);
                if !x.is_finite() || nodata == Some(x) {
                    f32::NAN
                } else {
                    x as f32
                }
            })
            .collect()
    }
    Ok(match data {
        DecodingResult::U8(v) => convert(v, nodata, f64::from),
        DecodingResult::I8(v) => convert(v, nodata, f64::from),
        DecodingResult::U16(v) => convert(v, nodata, f64::from),
        DecodingResult::I16(v) => convert(v, nodata, f64::from),
        DecodingResult::U32(v) => convert(v, nodata, f64::from),
        DecodingResult::I32(v) => convert(v, nodata, f64::from),
        // GDAL compares float32 samples with the nodata value rounded to float32.
        DecodingResult::F32(v) => {
            let nd = nodata.map(|n| n as f32 as f64);
            convert(v, nd, f64::from)
        }
        DecodingResult::F64(v) => convert(v, nodata, |x| x),
        _ => {
            return Err(unsupported(
                path,
                "the sample type is not one downhill reads natively",
            ))
        }
    })
}
