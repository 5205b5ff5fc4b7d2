//! A tiled, deflate-compressed baseline TIFF writer whose tiles are
//! compressed in parallel (rayon).
//!
//! Classic little-endian TIFF 6.0: the header, the tiles (256 x 256 pixels,
//! pixel-interleaved, edge tiles padded with zeros as the specification
//! asks), then one IFD with its out-of-line values. Compression 8 (Adobe
//! deflate, a zlib stream per tile). 8-bit images and 32-bit unsigned
//! integers (basin ids) use the horizontal predictor (2: each sample less
//! the same sample of the pixel to its left) and the encoder of
//! [`super::rle_deflate`], built for such differences (runs of zeros);
//! 32-bit floats are deflated by zlib at level 1 without a predictor. Extra tags (the GeoTIFF ones) come from the caller. Files
//! past 4 GiB (BigTIFF) are refused.

use std::io::Write;

use rayon::prelude::*;

use super::FileBytes;

/// Tile width and height in pixels (a multiple of 16, as TIFF requires).
pub const TILE: u32 = 256;

/// The value of one TIFF tag.
#[derive(Debug, Clone, PartialEq)]
pub enum TagValue {
    /// SHORT (16-bit unsigned) values.
    Short(Vec<u16>),
    /// LONG (32-bit unsigned) values.
    Long(Vec<u32>),
    /// DOUBLE values.
    Double(Vec<f64>),
    /// An ASCII string (written NUL-terminated).
    Ascii(String),
}

impl TagValue {
    /// TIFF field type code, element count and little-endian bytes.
    fn encoded(&self) -> (u16, u32, Vec<u8>) {
        match self {
            TagValue::Short(v) => (
                3,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            TagValue::Long(v) => (
                4,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            TagValue::Double(v) => (
                12,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            TagValue::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                (2, b.len() as u32, b)
            }
        }
    }
}

/// What the pixels are: the tags that describe a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleLayout {
    /// Samples per pixel (1 grey or single band, 3 RGB, 4 RGBA).
    pub samples: u16,
    /// Bits per sample (8, 32).
    pub bits: u16,
    /// SampleFormat: 1 unsigned integer, 3 IEEE float.
    pub format: u16,
    /// PhotometricInterpretation: 1 BlackIsZero, 2 RGB.
    pub photometric: u16,
    /// With 4 samples: the fourth is unassociated alpha (ExtraSamples 2).
    pub alpha: bool,
}

impl SampleLayout {
    fn bytes_per_pixel(&self) -> usize {
        self.samples as usize * self.bits as usize / 8
    }
}

/// Encodes a `width` x `height` image as a tiled TIFF.
///
/// `row_bytes(y, x0, x1, out)` appends the little-endian bytes of pixels
/// `x0..x1` of row `y` to `out`; it is called from several threads.
/// `extra` tags are added to the baseline ones (their ids must not repeat
/// baseline ids).
pub fn encode_tiled<F>(
    width: u32,
    height: u32,
    layout: SampleLayout,
    row_bytes: F,
    extra: &[(u16, TagValue)],
) -> Result<Vec<u8>, String>
where
    F: Fn(usize, usize, usize, &mut Vec<u8>) + Sync,
{
    check_size(width, height)?;
    let bpp = layout.bytes_per_pixel();
    let across = width.div_ceil(TILE) as usize;
    let down = height.div_ceil(TILE) as usize;
    let tile = TILE as usize;
    let tiles: Vec<Vec<u8>> = (0..across * down)
        .into_par_iter()
        .map(|t| {
            let (tx, ty) = (t % across, t / across);
            let x0 = tx * tile;
            let x1 = (x0 + tile).min(width as usize);
            let mut raw = Vec::with_capacity(tile * tile * bpp);
            for y in ty * tile..ty * tile + tile {
                let start = raw.len();
                if y < height as usize {
                    row_bytes(y, x0, x1, &mut raw);
                }
                raw.resize(start + tile * bpp, 0);
            }
            compress_tile(raw, layout)
        })
        .collect::<Result<_, String>>()?;
    assemble(width, height, layout, tiles, extra).map(FileBytes::into_bytes)
}

/// [`encode_tiled`] of an image whose rows are made a band of tiles at a
/// time: `rows(first, out)` fills every byte of `out` with the little-endian bytes of
/// rows `first..first + out.len() / (width * bytes per pixel)`, whole rows.
/// Bands of 256 rows are made in parallel and their tiles compressed as
/// each band is done, so the image is never whole in memory, only its
/// compressed tiles. The first error `rows` returns ends the encoding.
pub fn encode_tiled_rows(
    width: u32,
    height: u32,
    layout: SampleLayout,
    rows: impl Fn(usize, &mut [u8]) -> crate::error::Result<()> + Sync,
    extra: &[(u16, TagValue)],
) -> crate::error::Result<FileBytes> {
    let fail = |m: String| crate::error::Error::param(format!("cannot encode the TIFF: {m}"));
    check_size(width, height).map_err(fail)?;
    let bpp = layout.bytes_per_pixel();
    let stride = width as usize * bpp;
    let tile = TILE as usize;
    let across = width.div_ceil(TILE) as usize;
    let down = height.div_ceil(TILE) as usize;
    let bands: Vec<Vec<Vec<u8>>> = (0..down)
        .into_par_iter()
        .map(|ty| {
            let first = ty * tile;
            let count = tile.min(height as usize - first);
            crate::scratch::with_scratch(&BAND, count * stride, |band| {
                rows(first, band)?;
                (0..across)
                    .into_par_iter()
                    .map(|tx| {
                        let (x0, x1) = (tx * tile * bpp, ((tx + 1) * tile * bpp).min(stride));
                        if layout.bits == 8 {
                            // Copied and differenced in one pass into a
                            // buffer every byte of which is written: the
                            // rows (padding included) and the rows below
                            // the image.
                            return Ok(crate::scratch::with_scratch(
                                &TILE_BYTES,
                                tile * tile * bpp,
                                |raw| {
                                    let (rows, below) = raw.split_at_mut(count * tile * bpp);
                                    for (to, from) in rows
                                        .chunks_exact_mut(tile * bpp)
                                        .zip(band.chunks_exact(stride))
                                    {
                                        difference_row(to, &from[x0..x1], layout.samples as usize);
                                    }
                                    below.fill(0);
                                    super::rle_deflate::zlib(raw)
                                },
                            ));
                        }
                        let mut raw = vec![0u8; tile * tile * bpp];
                        let rows = raw
                            .chunks_exact_mut(tile * bpp)
                            .zip(band.chunks_exact(stride));
                        for (to, from) in rows {
                            to[..x1 - x0].copy_from_slice(&from[x0..x1]);
                        }
                        compress_tile(raw, layout).map_err(fail)
                    })
                    .collect()
            })
        })
        .collect::<crate::error::Result<_>>()?;
    assemble(
        width,
        height,
        layout,
        bands.into_iter().flatten().collect(),
        extra,
    )
    .map_err(fail)
}

/// Writes into `to` (a tile's row, zero-padded past `from`) the
/// horizontal differences of the pixels `from` (`step` samples a pixel):
/// the bytes that padding `from` with zeros and then differencing in place
/// gives, as [`compress_tile`] does, without the in-place pass.
fn difference_row(to: &mut [u8], from: &[u8], step: usize) {
    let n = from.len();
    let head = step.min(n);
    to[..head].copy_from_slice(&from[..head]);
    for ((o, x), left) in to[head..n].iter_mut().zip(&from[head..]).zip(from) {
        *o = x.wrapping_sub(*left);
    }
    // The first padding pixel is 0 less the last real one; the rest are 0.
    let pad_end = (n + step).min(to.len());
    for (o, left) in to[n..pad_end]
        .iter_mut()
        .zip(&from[n.saturating_sub(step)..])
    {
        *o = 0u8.wrapping_sub(*left);
    }
    to[pad_end..].fill(0);
}

thread_local! {
    /// A thread's band of rows made by [`encode_tiled_rows`].
    static BAND: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    /// A thread's 8-bit tile being differenced for [`encode_tiled_rows`].
    static TILE_BYTES: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Refuses an image with no pixels.
fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!(
            "a TIFF of {width} x {height} pixels cannot be written"
        ));
    }
    Ok(())
}

/// Whether tiles of `layout` take the horizontal predictor on 32-bit
/// words: unsigned integers (basin ids, labels) of up to 4 samples.
fn differenced_words(layout: SampleLayout) -> bool {
    layout.bits == 32 && layout.format == 1 && (1..=4).contains(&layout.samples)
}

/// The compressed bytes of one tile's `raw` pixels (`TILE` rows of `TILE`
/// pixels): 8-bit samples and 32-bit unsigned ones differenced across
/// (TIFF 6.0, section 14) and deflated by [`super::rle_deflate`], floats
/// deflated by zlib.
fn compress_tile(mut raw: Vec<u8>, layout: SampleLayout) -> Result<Vec<u8>, String> {
    let step = layout.samples as usize;
    let row_bytes = TILE as usize * layout.bytes_per_pixel();
    if layout.bits == 8 {
        for row in raw.chunks_exact_mut(row_bytes) {
            for i in (step..row.len()).rev() {
                row[i] = row[i].wrapping_sub(row[i - step]);
            }
        }
        return Ok(super::rle_deflate::zlib(&raw));
    }
    if differenced_words(layout) {
        // Little-endian words, each less the same sample of the pixel to
        // its left: a run of equal ids becomes a run of zero bytes.
        for row in raw.chunks_exact_mut(row_bytes) {
            let mut before = [0u32; 4];
            for (k, word) in row.chunks_exact_mut(4).enumerate() {
                let v = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
                let left = &mut before[k % step];
                word.copy_from_slice(&v.wrapping_sub(*left).to_le_bytes());
                *left = v;
            }
        }
        return Ok(super::rle_deflate::zlib(&raw));
    }
    let mut z = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(raw.len() / 3),
        flate2::Compression::new(1),
    );
    z.write_all(&raw).map_err(|e| e.to_string())?;
    z.finish().map_err(|e| e.to_string())
}

/// The TIFF file of `tiles` (compressed, row by row of tiles) of a `width`
/// x `height` image, in pieces: header, tiles (moved, not copied), then
/// the IFD with the baseline tags and `extra`.
fn assemble(
    width: u32,
    height: u32,
    layout: SampleLayout,
    tiles: Vec<Vec<u8>>,
    extra: &[(u16, TagValue)],
) -> Result<FileBytes, String> {
    let mut offsets = Vec::with_capacity(tiles.len());
    let mut counts = Vec::with_capacity(tiles.len());
    let too_big = || "the TIFF would pass 4 GiB, which needs BigTIFF (not supported)".to_string();
    let mut at = 8usize;
    for t in &tiles {
        offsets.push(u32::try_from(at).map_err(|_| too_big())?);
        counts.push(u32::try_from(t.len()).map_err(|_| too_big())?);
        at += t.len();
    }
    let n = layout.samples as usize;
    let mut tags: Vec<(u16, TagValue)> = vec![
        (256, TagValue::Long(vec![width])),
        (257, TagValue::Long(vec![height])),
        (258, TagValue::Short(vec![layout.bits; n])),
        (259, TagValue::Short(vec![8])),
        (262, TagValue::Short(vec![layout.photometric])),
        (277, TagValue::Short(vec![layout.samples])),
        (284, TagValue::Short(vec![1])),
        (322, TagValue::Long(vec![TILE])),
        (323, TagValue::Long(vec![TILE])),
        (324, TagValue::Long(offsets)),
        (325, TagValue::Long(counts)),
        (339, TagValue::Short(vec![layout.format; n])),
    ];
    if layout.alpha {
        tags.push((338, TagValue::Short(vec![2])));
    }
    if layout.bits == 8 || differenced_words(layout) {
        tags.push((317, TagValue::Short(vec![2])));
    }
    tags.extend(extra.iter().cloned());
    tags.sort_by_key(|(id, _)| *id);
    if tags.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err("a TIFF tag is given twice".into());
    }
    let (ifd_at, ifd) = ifd(at, &tags).map_err(|_| too_big())?;
    let mut header = b"II*\0".to_vec();
    header.extend_from_slice(&ifd_at.to_le_bytes());
    let mut file = FileBytes::new();
    file.push(header);
    for t in tiles {
        file.push(t);
    }
    file.push(ifd);
    Ok(file)
}

/// The IFD of `tags` (sorted by id) and its out-of-line values, for a
/// file whose bytes so far are `len` long: the offset the header must
/// point at, and the bytes to append (a pad byte first when `len` is odd,
/// since an IFD starts on a word boundary).
fn ifd(len: usize, tags: &[(u16, TagValue)]) -> Result<(u32, Vec<u8>), ()> {
    let mut out = Vec::new();
    if len % 2 == 1 {
        out.push(0);
    }
    let ifd = len + out.len();
    let values_at = ifd + 2 + 12 * tags.len() + 4;
    let mut values: Vec<u8> = Vec::new();
    let mut entries = Vec::with_capacity(12 * tags.len());
    for (id, value) in tags {
        let (kind, count, bytes) = value.encoded();
        entries.extend_from_slice(&id.to_le_bytes());
        entries.extend_from_slice(&kind.to_le_bytes());
        entries.extend_from_slice(&count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..bytes.len()].copy_from_slice(&bytes);
            entries.extend_from_slice(&inline);
        } else {
            let at = u32::try_from(values_at + values.len()).map_err(|_| ())?;
            entries.extend_from_slice(&at.to_le_bytes());
            values.extend_from_slice(&bytes);
            if values.len() % 2 == 1 {
                values.push(0);
            }
        }
    }
    u32::try_from(values_at + values.len()).map_err(|_| ())?;
    let ifd32 = u32::try_from(ifd).map_err(|_| ())?;
    out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
    out.extend_from_slice(&entries);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&values);
    Ok((ifd32, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiles are made in buffers the threads keep from one image to the
    /// next: what an earlier, larger image left there never reaches the
    /// file (the padding right of and below a partial tile included).
    #[test]
    fn a_file_does_not_depend_on_what_earlier_images_left_in_the_buffers() {
        let gray8 = SampleLayout {
            samples: 1,
            bits: 8,
            format: 1,
            photometric: 1,
            alpha: false,
        };
        let encode = |width: u32, height: u32, seed: u32| {
            encode_tiled_rows(
                width,
                height,
                gray8,
                |first, out: &mut [u8]| {
                    for (i, o) in out.iter_mut().enumerate() {
                        let k = first as u32 * width + i as u32;
                        *o = (k.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 24) as u8;
                    }
                    Ok(())
                },
                &[],
            )
            .unwrap()
            .into_bytes()
        };
        let small = encode(300, 270, 1);
        for _ in 0..3 {
            let large = encode(600, 600, 7);
            assert_ne!(large, small);
            assert_eq!(encode(300, 270, 1), small);
        }
    }

    /// 32-bit ids go through the horizontal predictor and back: the
    /// `tiff` crate (an independent decoder) reads every id, in partial
    /// edge tiles too, and the file says Predictor 2; floats keep none.
    #[test]
    fn u32_ids_are_differenced_and_read_back_exactly() {
        use ::tiff::decoder::{Decoder, DecodingResult};
        use ::tiff::tags::Tag;
        let (width, height) = (300u32, 270u32);
        // Runs of equal ids, some wide jumps (wrapping differences).
        let id = |x: u32, y: u32| match (x / 37 + y / 41) % 5 {
            4 => u32::MAX - y,
            k => k * 1_000_003 + (y / 90),
        };
        for (format, predictor) in [(1u16, Some(2u16)), (3, None)] {
            let layout = SampleLayout {
                samples: 1,
                bits: 32,
                format,
                photometric: 1,
                alpha: false,
            };
            let bytes = encode_tiled(
                width,
                height,
                layout,
                |y, x0, x1, out: &mut Vec<u8>| {
                    for x in x0..x1 {
                        out.extend_from_slice(&id(x as u32, y as u32).to_le_bytes());
                    }
                },
                &[],
            )
            .unwrap();
            let mut d = Decoder::new(std::io::Cursor::new(bytes)).unwrap();
            let tag = d
                .find_tag(Tag::Predictor)
                .unwrap()
                .map(|v| v.into_u16().unwrap());
            assert_eq!(tag, predictor);
            let words: Vec<u32> = match d.read_image().unwrap() {
                DecodingResult::U32(v) => v,
                DecodingResult::F32(v) => v.iter().map(|f| f.to_bits()).collect(),
                _ => panic!("not 32-bit"),
            };
            for y in 0..height {
                for x in 0..width {
                    assert_eq!(words[(y * width + x) as usize], id(x, y), "({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn a_row_differenced_while_copied_matches_padding_then_differencing_in_place() {
        for step in [1usize, 3, 4] {
            for n_pixels in [1usize, 2, 7, 16] {
                let from: Vec<u8> = (0..n_pixels * step)
                    .map(|i| (i * 37 % 251) as u8 + 3)
                    .collect();
                let width = 16 * step;
                // The in-place way, as TIFF 6.0 section 14 words it.
                let mut expected = from.clone();
                expected.resize(width, 0);
                for i in (step..width).rev() {
                    expected[i] = expected[i].wrapping_sub(expected[i - step]);
                }
                let mut got = vec![0xAA; width];
                difference_row(&mut got, &from, step);
                assert_eq!(got, expected, "step {step}, {n_pixels} pixels");
            }
        }
    }
}
