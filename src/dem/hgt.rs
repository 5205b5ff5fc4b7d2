//! NASA SRTM `.hgt` tiles, raw or zipped as NASA and USGS distribute them.
//!
//! A tile is a headerless square of big-endian `i16` heights in metres, row 0
//! to the north. Its resolution is told by its size: 1201 x 1201 samples
//! (SRTM3, 3 arc-seconds) or 3601 x 3601 (SRTM1, 1 arc-second). The file name
//! gives the south-west corner (`N52W007`: 52° N, 7° W); samples are
//! pixel-is-point, so sample (r, c) of an `n` x `n` tile lies at
//! `lat0 + 1 - r/(n-1)`, `lon0 + c/(n-1)`. The value -32768 marks a void.

use std::io::Read;
use std::path::Path;

use ndarray::Array2;
use rayon::prelude::*;

use super::{Crs, Dem, GeoTransform, InputInfo};
use crate::error::{Error, Result};

/// The SRTM void value.
pub const VOID: i16 = -32768;

/// Heights outside this range (metres) cannot be on Earth: a file holding
/// them is not an elevation tile, whatever its size.
pub const PLAUSIBLE_HEIGHTS: std::ops::RangeInclusive<i16> = -1000..=9000;

/// Samples per side of the tile sizes downhill knows.
const SIDES: [(usize, &str); 2] = [(1201, "SRTM3"), (3601, "SRTM1")];

/// The south-west corner `(lat, lon)` in whole degrees parsed from an SRTM
/// tile name such as `N52W007.hgt`, `s33e151.hgt` or `N52W007.SRTMGL1.hgt.zip`.
pub fn corner_from_name(path: &Path) -> Option<(f64, f64)> {
    let name = path.file_name()?.to_str()?;
    let b = name.as_bytes();
    if b.len() < 7 {
        return None;
    }
    let digits = |s: &[u8]| -> Option<f64> {
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(s).ok()?.parse().ok())?
    };
    let lat_sign = match b[0].to_ascii_uppercase() {
        b'N' => 1.0,
        b'S' => -1.0,
        _ => return None,
    };
    let lon_sign = match b[3].to_ascii_uppercase() {
        b'E' => 1.0,
        b'W' => -1.0,
        _ => return None,
    };
    let lat = digits(&b[1..3])?;
    let lon = digits(&b[4..7])?;
    if b.len() > 7 && b[7].is_ascii_alphanumeric() {
        return None;
    }
    if lat > 90.0 || lon > 180.0 {
        return None;
    }
    Some((lat_sign * lat, lon_sign * lon))
}

/// `true` when the path looks like an SRTM tile (`.hgt` or `.hgt.zip`).
pub fn is_hgt_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    name.ends_with(".hgt") || name.ends_with(".hgt.zip")
}

/// Reads an SRTM tile (`.hgt`, or a `.zip` holding one `.hgt`).
///
/// `origin` gives the south-west corner `(lat, lon)` in degrees when the
/// file name is not a tile name. Only regular files are read, and never
/// more bytes than an SRTM1 tile holds, whatever a zip header claims.
pub fn read(path: &Path, origin: Option<(f64, f64)>) -> Result<Dem> {
    let (lat0, lon0) = corner(path, origin)?;
    let (file, len) = crate::input::open_regular(path)?;
    #[cfg(unix)]
    if !is_zip(path) {
        return read_in_bands(path, &file, len, lat0, lon0);
    }
    let bytes = tile_bytes(path, std::io::BufReader::new(file), len)?;
    decode(path, &bytes, lat0, lon0)
}

/// Rows per band of [`read_in_bands`]: a band of SRTM1 rows is 450 KiB
/// of file, so it stays in a core's cache between the read and the decode.
#[cfg(unix)]
const BAND_ROWS: usize = 64;

/// Reads a raw (not zipped) tile of `len` bytes straight into its heights:
/// bands of rows in parallel, each read at its own offset into a small
/// buffer and decoded there, so no copy of the whole file is ever held.
/// The checks and the result are those of [`decode`].
#[cfg(unix)]
fn read_in_bands(path: &Path, file: &std::fs::File, len: u64, lat0: f64, lon0: f64) -> Result<Dem> {
    let n = side(path, len)?;
    let mut heights = vec![0f32; n * n];
    let checks: Vec<Vec<RowCheck>> = heights
        .par_chunks_mut(BAND_ROWS * n)
        .enumerate()
        .map(|(band, rows)| read_rows_at(path, file, n, band * BAND_ROWS, rows))
        .collect::<Result<_>>()?;
    let checks: Vec<RowCheck> = checks.into_iter().flatten().collect();
    finish(path, n, heights, &checks, lat0, lon0)
}

/// Reads whole rows from row `first` of the raw tile `file` (`n` samples a
/// side) into `out`, decoded where they land: one read at the rows' own
/// offset into a buffer this thread keeps. The checks of each row.
#[cfg(unix)]
fn read_rows_at(
    path: &Path,
    file: &std::fs::File,
    n: usize,
    first: usize,
    out: &mut [f32],
) -> Result<Vec<RowCheck>> {
    use std::os::unix::fs::FileExt;
    crate::scratch::with_scratch(&RAW, out.len() * 2, |raw| {
        file.read_exact_at(raw, (first * n * 2) as u64)
            .map_err(|e| Error::io(path, e))?;
        Ok(out
            .chunks_exact_mut(n)
            .zip(raw.chunks_exact(2 * n))
            .map(|(row, raw)| decode_row(row, raw))
            .collect())
    })
}

/// A raw (not zipped) SRTM tile read from its file a band of rows at a
/// time, as [`super::RowSource`] asks for them: nothing of the tile is held
/// in memory. The checks are those of [`read`]: a band holding an
/// implausible height fails with the error [`read`] gives for the file.
#[cfg(unix)]
#[derive(Debug)]
pub struct HgtRows {
    path: std::path::PathBuf,
    file: std::fs::File,
    side: usize,
    corner: (f64, f64),
    transform: GeoTransform,
    crs: Crs,
}

#[cfg(unix)]
impl HgtRows {
    /// Opens the tile at `path` (`origin` as for [`read`]) for reading by
    /// rows; `None` for a zipped tile, which can only be read whole.
    pub fn open(path: &Path, origin: Option<(f64, f64)>) -> Result<Option<HgtRows>> {
        if is_zip(path) {
            return Ok(None);
        }
        let (lat0, lon0) = corner(path, origin)?;
        let (file, len) = crate::input::open_regular(path)?;
        let side = side(path, len)?;
        Ok(Some(HgtRows {
            path: path.to_path_buf(),
            file,
            side,
            corner: (lat0, lon0),
            transform: tile_transform(side, lat0, lon0),
            crs: Crs::Geographic,
        }))
    }
}

#[cfg(unix)]
impl super::RowSource for HgtRows {
    fn shape(&self) -> (usize, usize) {
        (self.side, self.side)
    }

    fn transform(&self) -> &GeoTransform {
        &self.transform
    }

    fn crs(&self) -> &Crs {
        &self.crs
    }

    fn read_rows(&self, first: usize, out: &mut [f32]) -> Result<()> {
        let n = self.side;
        super::rows::rows_asked(first, out.len(), n, n)?;
        let checks = read_rows_at(&self.path, &self.file, n, first, out)?;
        let bad = checks.iter().any(|&(count, _)| count > 0);
        if bad {
            // The whole file's count and first bad sample, as `read` words it.
            return Err(read(&self.path, Some(self.corner))
                .err()
                .unwrap_or_else(|| {
                    Error::bad_file(&self.path, "the file changed while it was read")
                }));
        }
        Ok(())
    }
}

#[cfg(unix)]
thread_local! {
    /// The file's bytes of the rows a thread reads ([`read_rows_at`]).
    static RAW: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads a tile held in memory (raw, or zipped when `path` ends in
/// `.zip`); `path` names it in messages and gives its corner unless
/// `origin` does. The same checks as [`read`] apply (this is what the fuzz
/// target drives).
pub fn read_bytes(path: &Path, bytes: &[u8], origin: Option<(f64, f64)>) -> Result<Dem> {
    let (lat0, lon0) = corner(path, origin)?;
    let raw = tile_bytes(path, std::io::Cursor::new(bytes), bytes.len() as u64)?;
    decode(path, &raw, lat0, lon0)
}

/// The geometry of an SRTM tile from its name and size, without reading its
/// samples: `(transform, samples per side, format)`.
pub fn probe(path: &Path, origin: Option<(f64, f64)>) -> Result<(GeoTransform, usize, String)> {
    let (lat0, lon0) = corner(path, origin)?;
    let (file, file_len) = crate::input::open_regular(path)?;
    let len = if is_zip(path) {
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| Error::bad_file(path, format!("not a readable zip archive ({e})")))?;
        let entry = hgt_entry(path, &archive)?;
        let size = archive
            .by_name(&entry)
            .map_err(|e| {
                Error::bad_file(path, format!("cannot open {entry} in the archive ({e})"))
            })?
            .size();
        size
    } else {
        file_len
    };
    let n = side(path, len)?;
    Ok((tile_transform(n, lat0, lon0), n, format_name(path)))
}

/// The south-west corner `(lat, lon)` of the tile, from `origin` or the
/// file name, checked to be a whole tile on the Earth.
fn corner(path: &Path, origin: Option<(f64, f64)>) -> Result<(f64, f64)> {
    let (lat, lon) = origin.or_else(|| corner_from_name(path)).ok_or_else(|| {
        Error::bad_file(
            path,
            "the file name is not an SRTM tile name like N52W007.hgt, so its position is unknown; \
             give its south-west corner with --origin LAT,LON",
        )
    })?;
    check_corner(lat, lon).map_err(|m| Error::bad_file(path, m))?;
    Ok((lat, lon))
}

/// Checks that (`lat`, `lon`) in degrees is the south-west corner of a
/// one-degree tile on the Earth: latitude -90..=89, longitude -180..=179.
pub fn check_corner(lat: f64, lon: f64) -> std::result::Result<(), String> {
    if !(lat.is_finite() && (-90.0..=89.0).contains(&lat)) {
        return Err(format!(
            "a tile's south-west corner lies at latitude -90..89 (its north edge at most 90), not {lat}"
        ));
    }
    if !(lon.is_finite() && (-180.0..=179.0).contains(&lon)) {
        return Err(format!(
            "a tile's south-west corner lies at longitude -180..179 (its east edge at most 180), not {lon}"
        ));
    }
    Ok(())
}

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn format_name(path: &Path) -> String {
    if is_zip(path) {
        "SRTM .hgt (zipped)".into()
    } else {
        "SRTM .hgt".into()
    }
}

fn tile_transform(n: usize, lat0: f64, lon0: f64) -> GeoTransform {
    let step = 1.0 / (n - 1) as f64;
    GeoTransform::from_first_sample(lon0, lat0 + 1.0, step, step)
}

/// Samples per side of a tile of `len` bytes, or an error naming the sizes expected.
fn side(path: &Path, len: u64) -> Result<usize> {
    match SIDES.iter().find(|(n, _)| (n * n * 2) as u64 == len) {
        Some(&(n, _)) => Ok(n),
        None => {
            let detail = if len == 0 {
                "the file is empty".to_string()
            } else {
                format!("{len} bytes is not an SRTM tile size")
            };
            Err(Error::bad_file(
                path,
                format!(
                    "{detail} (expected 2884802 bytes for SRTM3 1201x1201 or 25934402 for SRTM1 3601x3601); \
                     the file may be truncated or not a tile"
                ),
            ))
        }
    }
}

/// The name of the one `.hgt` entry of a zip archive.
fn hgt_entry<R: Read + std::io::Seek>(path: &Path, archive: &zip::ZipArchive<R>) -> Result<String> {
    let hgt: Vec<&str> = archive
        .file_names()
        .filter(|n| n.to_ascii_lowercase().ends_with(".hgt"))
        .collect();
    match hgt.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Error::bad_file(path, "the zip archive holds no .hgt file")),
        _ => Err(Error::bad_file(
            path,
            format!(
                "the zip archive holds {} .hgt files; downhill expects one tile per archive",
                hgt.len()
            ),
        )),
    }
}

/// The largest tile, bytes: SRTM1, 3601 x 3601 samples of 2 bytes.
const MAX_TILE_BYTES: u64 = 3601 * 3601 * 2;

/// The raw samples of a tile from a `len`-byte source: the bytes themselves,
/// or the one `.hgt` entry of a zip archive. Sizes are checked before
/// reading, and a zip entry is inflated no further than the largest tile,
/// whatever its header claims.
fn tile_bytes<R: Read + std::io::Seek>(path: &Path, source: R, len: u64) -> Result<Vec<u8>> {
    if !is_zip(path) {
        side(path, len)?;
        let mut bytes = Vec::with_capacity(len as usize);
        source
            .take(len)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        return Ok(bytes);
    }
    let mut archive = zip::ZipArchive::new(source)
        .map_err(|e| Error::bad_file(path, format!("not a readable zip archive ({e})")))?;
    let entry = hgt_entry(path, &archive)?;
    let f = archive
        .by_name(&entry)
        .map_err(|e| Error::bad_file(path, format!("cannot open {entry} in the archive ({e})")))?;
    let declared = f.size();
    if declared > MAX_TILE_BYTES {
        return Err(Error::bad_file(
            path,
            format!("{entry} in the archive claims {declared} bytes, more than any SRTM tile ({MAX_TILE_BYTES})"),
        ));
    }
    side(path, declared)?;
    let mut bytes = Vec::with_capacity(declared as usize);
    // The header may lie: inflate at most one byte past the claim.
    f.take(declared + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::bad_file(path, format!("{entry} in the archive is damaged ({e})")))?;
    let got = bytes.len() as u64;
    if got > declared {
        return Err(Error::bad_file(
            path,
            format!("{entry} in the archive inflates to more than the {declared} bytes its header claims; the archive is damaged"),
        ));
    }
    if got < declared {
        return Err(Error::bad_file(
            path,
            format!("{entry} in the archive inflates to {got} bytes, fewer than the {declared} its header claims; the archive is damaged"),
        ));
    }
    Ok(bytes)
}

/// How a decoded row fared: how many samples hold implausible heights, and
/// the first of them (column, value).
type RowCheck = (usize, Option<(usize, i16)>);

/// Decodes one row of big-endian samples `raw` into `row` (voids as NaN).
/// Uses AVX-512 or AVX2 where the CPU has them (the same conversions,
/// more at a time).
fn decode_row(row: &mut [f32], raw: &[u8]) -> RowCheck {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has AVX-512 F and BW, as checked just above.
        return unsafe { decode_row_avx512(row, raw) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as checked just above.
        return unsafe { decode_row_avx2(row, raw) };
    }
    decode_row_lanes(row, raw)
}

/// `true` on a CPU with the AVX-512 features [`decode_row_avx512`] is
/// compiled for (F and BW).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
}

/// [`decode_row`] for CPUs with AVX2: eight samples at a time, each
/// load of 16 bytes swapped to little-endian words by one byte shuffle,
/// widened to `i32` and converted, voids blended to `NaN`; the conversions
/// are exact, so the heights are those of [`decode_row_lanes`], bit for bit.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn decode_row_avx2(row: &mut [f32], raw: &[u8]) -> RowCheck {
    use std::arch::x86_64::*;
    let n = row.len().min(raw.len() / 2);
    let swap = _mm_setr_epi8(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    let void = _mm256_set1_epi32(VOID as i32);
    let nan = _mm256_set1_ps(f32::NAN);
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n, so the 16 bytes from 2 i lie inside `raw`
        // (2 n <= raw.len()) and the 8 heights from i inside `row`; both
        // accesses are unaligned loads and stores.
        unsafe {
            let bytes = _mm_loadu_si128(raw.as_ptr().add(2 * i).cast());
            let words = _mm256_cvtepi16_epi32(_mm_shuffle_epi8(bytes, swap));
            let is_void = _mm256_castsi256_ps(_mm256_cmpeq_epi32(words, void));
            let heights = _mm256_blendv_ps(_mm256_cvtepi32_ps(words), nan, is_void);
            _mm256_storeu_ps(row.as_mut_ptr().add(i), heights);
        }
        i += 8;
    }
    decode_values(&mut row[i..n], &raw[2 * i..2 * n]);
    check_row(&row[..n], &raw[..2 * n])
}

/// [`decode_row`] for CPUs with AVX-512 F and BW: [`decode_row_avx2`] sixteen
/// samples at a time (32 bytes swapped by one shuffle, voids blended to
/// `NaN` under a mask), so the heights are again those of
/// [`decode_row_lanes`], bit for bit.
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn decode_row_avx512(row: &mut [f32], raw: &[u8]) -> RowCheck {
    use std::arch::x86_64::*;
    let n = row.len().min(raw.len() / 2);
    let swap = _mm256_setr_epi8(
        1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10,
        13, 12, 15, 14,
    );
    let void = _mm512_set1_epi32(VOID as i32);
    let nan = _mm512_set1_ps(f32::NAN);
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so the 32 bytes from 2 i lie inside `raw`
        // (2 n <= raw.len()) and the 16 heights from i inside `row`; both
        // accesses are unaligned loads and stores.
        unsafe {
            let bytes = _mm256_loadu_si256(raw.as_ptr().add(2 * i).cast());
            let words = _mm512_cvtepi16_epi32(_mm256_shuffle_epi8(bytes, swap));
            let is_void = _mm512_cmpeq_epi32_mask(words, void);
            let heights = _mm512_mask_blend_ps(is_void, _mm512_cvtepi32_ps(words), nan);
            _mm512_storeu_ps(row.as_mut_ptr().add(i), heights);
        }
        i += 16;
    }
    decode_values(&mut row[i..n], &raw[2 * i..2 * n]);
    check_row(&row[..n], &raw[..2 * n])
}

/// The body of [`decode_row`] without AVX2.
fn decode_row_lanes(row: &mut [f32], raw: &[u8]) -> RowCheck {
    decode_values(row, raw);
    check_row(row, raw)
}

/// Heights of the big-endian samples `raw` into `row`, voids as `NaN`.
#[inline(always)]
fn decode_values(row: &mut [f32], raw: &[u8]) {
    let height = |hi: u8, lo: u8| {
        let v = i16::from_be_bytes([hi, lo]);
        if v == VOID {
            f32::NAN
        } else {
            v as f32
        }
    };
    for (h, b) in row.iter_mut().zip(raw.chunks_exact(2)) {
        *h = height(b[0], b[1]);
    }
}

/// How many of the decoded heights `row` are implausible, and the first
/// of them (read again from `raw`, the row's bytes), without branches
/// except in a row that has one.
#[inline(always)]
fn check_row(row: &[f32], raw: &[u8]) -> RowCheck {
    let implausible = |v: i16| v != VOID && !PLAUSIBLE_HEIGHTS.contains(&v);
    // Voids are NaN, and compare false.
    let (low, high) = (
        *PLAUSIBLE_HEIGHTS.start() as f32,
        *PLAUSIBLE_HEIGHTS.end() as f32,
    );
    let count = row
        .iter()
        .fold(0u32, |n, &h| n + u32::from(h < low || h > high)) as usize;
    let first = (count > 0)
        .then(|| {
            raw.chunks_exact(2)
                .map(|pair| i16::from_be_bytes([pair[0], pair[1]]))
                .enumerate()
                .find(|&(_, v)| implausible(v))
        })
        .flatten();
    (count, first)
}

/// Decodes the raw bytes of a tile whose south-west corner is (`lat0`, `lon0`).
pub fn decode(path: &Path, bytes: &[u8], lat0: f64, lon0: f64) -> Result<Dem> {
    let n = side(path, bytes.len() as u64)?;
    // Rows decode in parallel: an SRTM1 tile is 13 M samples.
    let mut heights = vec![0f32; n * n];
    let checks: Vec<RowCheck> = heights
        .par_chunks_mut(n)
        .zip(bytes.par_chunks(2 * n))
        .map(|(row, raw)| decode_row(row, raw))
        .collect();
    finish(path, n, heights, &checks, lat0, lon0)
}

/// The tile from its decoded `heights` (`n` x `n`) and the checks of its
/// rows: an error naming the first implausible height, if any.
fn finish(
    path: &Path,
    n: usize,
    heights: Vec<f32>,
    checks: &[RowCheck],
    lat0: f64,
    lon0: f64,
) -> Result<Dem> {
    let implausible: usize = checks.iter().map(|c| c.0).sum();
    let first_bad = checks
        .iter()
        .enumerate()
        .find_map(|(r, c)| c.1.map(|(col, v)| (r, col, v)));
    if let Some((r, c, v)) = first_bad {
        return Err(Error::bad_file(
            path,
            format!(
                "{implausible} samples hold heights no place on Earth has (first: {v} m at row {r}, column {c}); \
                 this is not an SRTM tile, or it is corrupt"
            ),
        ));
    }
    let heights = Array2::from_shape_vec((n, n), heights)
        .map_err(|e| Error::bad_file(path, format!("internal shape error: {e}")))?;
    Ok(Dem {
        heights,
        transform: tile_transform(n, lat0, lon0),
        crs: Crs::Geographic,
        inputs: vec![InputInfo {
            path: path.to_path_buf(),
            format: format_name(path),
            height: n,
            width: n,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn every_decoder_gives_the_same_heights_and_checks() {
        // Every 16-bit pattern, voids and implausible heights among them, in
        // rows of lengths that leave every remainder after groups of eight.
        let samples: Vec<u8> = (0..=u16::MAX).rev().flat_map(|v| v.to_be_bytes()).collect();
        for len in [1usize, 7, 8, 9, 23, 3601] {
            for raw in samples
                .chunks_exact(2 * len)
                .step_by((65_536 / len / 40).max(1))
            {
                let mut portable = vec![0f32; len];
                let mut chosen = vec![1f32; len];
                let a = decode_row_lanes(&mut portable, raw);
                let b = decode_row(&mut chosen, raw);
                let bits = |v: &[f32]| v.iter().map(|h| h.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&chosen), bits(&portable), "row of {len}");
                assert_eq!(a, b, "row of {len}");
                // Each vector version the CPU has, whichever `decode_row` chose.
                #[cfg(target_arch = "x86_64")]
                for (name, has, decode) in [
                    (
                        "avx2",
                        std::arch::is_x86_feature_detected!("avx2"),
                        decode_row_avx2 as unsafe fn(&mut [f32], &[u8]) -> RowCheck,
                    ),
                    ("avx512", has_avx512(), decode_row_avx512),
                ] {
                    if !has {
                        eprintln!("skipped: the {name} decoder (this CPU lacks {name})");
                        continue;
                    }
                    let mut vector = vec![2f32; len];
                    // SAFETY: the CPU has the features, checked just above.
                    let c = unsafe { decode(&mut vector, raw) };
                    assert_eq!(bits(&vector), bits(&portable), "{name}, row of {len}");
                    assert_eq!(a, c, "{name}, row of {len}");
                }
                for (h, pair) in portable.iter().zip(raw.chunks_exact(2)) {
                    let v = i16::from_be_bytes([pair[0], pair[1]]);
                    assert!(if v == VOID {
                        h.is_nan()
                    } else {
                        *h == v as f32
                    });
                }
            }
        }
    }

    /// An SRTM3-sized tile of big-endian samples, `f(row, col)` metres.
    fn tile(f: impl Fn(usize, usize) -> i16) -> Vec<u8> {
        (0..1201 * 1201)
            .flat_map(|i| f(i / 1201, i % 1201).to_be_bytes())
            .collect()
    }

    #[test]
    fn samples_decode_big_endian_with_voids_as_nan() {
        let bytes = tile(|r, c| match (r, c) {
            (3, 4) => VOID,
            (7, 8) => -1000,
            (1200, 1200) => 9000,
            _ => (r as i16 % 100) * 3 - c as i16 % 7,
        });
        let dem = decode(Path::new("N52W007.hgt"), &bytes, 52.0, -7.0).unwrap();
        assert!(dem.heights[[3, 4]].is_nan());
        assert_eq!(dem.heights[[7, 8]], -1000.0);
        assert_eq!(dem.heights[[1200, 1200]], 9000.0);
        assert_eq!(dem.heights[[250, 13]], (50 * 3 - 6) as f32);
    }

    #[test]
    fn implausible_heights_are_counted_and_the_first_is_named() {
        let bytes = tile(|r, c| match (r, c) {
            (0, 0) => VOID,
            (5, 7) => 12000,
            (5, 9) => -1001,
            (900, 3) => 9001,
            _ => 100,
        });
        let e = decode(Path::new("N52W007.hgt"), &bytes, 52.0, -7.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("N52W007.hgt"), "{e}");
        assert!(
            e.contains("3 samples") && e.contains("first: 12000 m at row 5, column 7"),
            "{e}"
        );
    }

    /// The banded file reader gives what the whole-buffer decode gives:
    /// the same heights (voids NaN, the last, short band included) and the
    /// same error for an implausible height in a later band.
    #[test]
    fn a_tile_read_from_its_file_in_bands_is_the_tile_decoded_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("N52W007.hgt");
        let bytes = tile(|r, c| match (r, c) {
            (0, 0) | (1200, 1200) | (640, 17) => VOID,
            _ => ((r * 7 + c * 3) % 2000) as i16 - 500,
        });
        std::fs::write(&path, &bytes).unwrap();
        let banded = read(&path, None).unwrap();
        let whole = decode(&path, &bytes, 52.0, -7.0).unwrap();
        assert_eq!(banded.heights.dim(), (1201, 1201));
        assert!(banded
            .heights
            .iter()
            .zip(whole.heights.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        assert!(banded.heights[[640, 17]].is_nan() && banded.heights[[1200, 1200]].is_nan());
        assert_eq!(banded.transform, whole.transform);

        let bytes = tile(|r, c| match (r, c) {
            (700, 5) => 9500,
            (1199, 3) => -2000,
            _ => 10,
        });
        std::fs::write(&path, &bytes).unwrap();
        let e = read(&path, None).unwrap_err().to_string();
        assert!(e.contains("N52W007.hgt"), "{e}");
        assert!(
            e.contains("2 samples") && e.contains("first: 9500 m at row 700, column 5"),
            "{e}"
        );
    }

    #[test]
    fn tile_names_in_any_case_and_distribution_style() {
        let p = |s: &str| corner_from_name(&PathBuf::from(s));
        assert_eq!(p("N52W007.hgt"), Some((52.0, -7.0)));
        assert_eq!(p("s33e151.hgt"), Some((-33.0, 151.0)));
        assert_eq!(p("/x/y/N43E006.SRTMGL1.hgt.zip"), Some((43.0, 6.0)));
        assert_eq!(p("dem.hgt"), None);
        assert_eq!(p("N52W0071.hgt"), None);
        assert_eq!(p("N95W007.hgt"), None);
    }

    #[test]
    fn sizes_other_than_srtm_are_refused_with_the_expected_sizes() {
        let err = decode(Path::new("x/N00E000.hgt"), &[0u8; 1000], 0.0, 0.0).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x/N00E000.hgt"), "{msg}");
        assert!(msg.contains("1000 bytes"), "{msg}");
        assert!(msg.contains("2884802"), "{msg}");
    }

    #[test]
    fn a_tiny_srtm3_tile_decodes_with_pixel_is_point_geometry() {
        let n = 1201;
        let mut bytes = vec![0u8; n * n * 2];
        // sample (0, 0) = 100 m, (1200, 1200) = void
        bytes[0..2].copy_from_slice(&100i16.to_be_bytes());
        let last = (n * n - 1) * 2;
        bytes[last..last + 2].copy_from_slice(&VOID.to_be_bytes());
        let dem = decode(Path::new("S01W002.hgt"), &bytes, -1.0, -2.0).unwrap();
        assert_eq!(dem.height(0, 0), Some(100.0));
        assert_eq!(dem.height(1200, 1200), None);
        let p = dem.sample_position(0.0, 0.0);
        assert!((p.x + 2.0).abs() < 1e-12 && (p.y - 0.0).abs() < 1e-12);
        let p = dem.sample_position(1200.0, 1200.0);
        assert!((p.x + 1.0).abs() < 1e-12 && (p.y + 1.0).abs() < 1e-12);
        assert_eq!(dem.stats().voids, 1);
    }
}
