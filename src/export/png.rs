//! A PNG encoder that uses every core: the image is cut into stripes of
//! rows, each stripe is filtered and deflated on its own (rayon), and the
//! pieces are joined into one zlib stream, as pigz does for gzip.
//!
//! Every stripe but the last ends with a sync flush (an empty stored block),
//! so it ends on a byte boundary and the next stripe's blocks follow it
//! directly; the last ends with a final block. The zlib trailer's Adler-32
//! is combined from the stripes' own checksums ([`adler32_combine`]), so no
//! byte is read twice. Each stripe becomes an IDAT chunk of its own, kept
//! as its own piece of the file ([`super::FileBytes`]): written as it is by
//! [`encode_png_rows`]' callers, copied once when [`encode_png_parallel`]
//! joins the file into one buffer. A stripe starts with an empty
//! dictionary, which costs a few hundred bytes per stripe against one
//! sequential stream.
//!
//! Rows use PNG's `Up` filter (the difference from the row above, which the
//! stripe reads even when that row belongs to the previous stripe); on
//! shaded relief it compresses about as well as adaptive filtering at a
//! fraction of the time. Each stripe is one dynamic deflate block of
//! Huffman-coded bytes and runs of zeros ([`super::rle_deflate`]).

use rayon::prelude::*;

use super::FileBytes;

/// Colour types this encoder writes, all at 8 bits per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngColour {
    /// One grey sample per pixel.
    Gray,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue, alpha (not premultiplied).
    Rgba,
}

impl PngColour {
    /// Bytes per pixel.
    pub fn channels(self) -> usize {
        match self {
            PngColour::Gray => 1,
            PngColour::Rgb => 3,
            PngColour::Rgba => 4,
        }
    }

    /// The colour type byte of the IHDR chunk (PNG specification, 11.2.2).
    fn ihdr_code(self) -> u8 {
        match self {
            PngColour::Gray => 0,
            PngColour::Rgb => 2,
            PngColour::Rgba => 6,
        }
    }
}

/// The modulus of Adler-32 (the largest prime below 2^16).
const ADLER_MOD: u64 = 65_521;

/// Uncompressed bytes per stripe (filtered rows), about: large enough that
/// the empty dictionary at each stripe start costs little, small enough that
/// a 2-core machine gets dozens of stripes from a 4 k image.
const STRIPE_BYTES: usize = 1 << 18;

/// The Adler-32 of `a ++ b` from the Adler-32s of `a` and `b` and the
/// length of `b` in bytes (RFC 1950 section 8.2 defines the checksum).
///
/// With `A = 1 + Σ bytes` and `B = Σ A after each byte` (both mod 65521),
/// appending `b` adds `A_b - 1` to `A`, and adds to `B` both `B_b` and
/// `len_b * (A_a - 1)`: the bytes of `a` (summing to `A_a - 1`) are part of
/// every one of the `len_b` running sums taken over `b`.
pub fn adler32_combine(adler_a: u32, adler_b: u32, len_b: u64) -> u32 {
    let (a1, b1) = ((adler_a & 0xffff) as u64, (adler_a >> 16) as u64);
    let (a2, b2) = ((adler_b & 0xffff) as u64, (adler_b >> 16) as u64);
    let n = len_b % ADLER_MOD;
    let a = (a1 + a2 + ADLER_MOD - 1) % ADLER_MOD;
    let b = (b1 + b2 + n * ((a1 + ADLER_MOD - 1) % ADLER_MOD)) % ADLER_MOD;
    ((b << 16) | a) as u32
}

/// One compressed stripe: its deflate bytes, its Adler-32 and how many
/// uncompressed bytes it holds.
struct Stripe {
    deflated: Vec<u8>,
    adler: u32,
    len: u64,
}

/// Filters the rows of `data` (`stride` bytes each) with `Up` and deflates
/// them, ending with a sync flush, or with the final block when `last`.
/// When `above`, the first row of `data` is the row above the stripe, read
/// only as the reference of the stripe's first row; otherwise the stripe
/// starts the image, and its first row is its own reference's zero row.
fn stripe(data: &[u8], stride: usize, above: bool, last: bool) -> Stripe {
    let mut rows = data.chunks_exact(stride);
    let mut previous: Option<&[u8]> = if above { rows.next() } else { None };
    let len = rows.len() * (stride + 1);
    crate::scratch::with_scratch(&FILTERED, len, |filtered| {
        for (row, out) in rows.zip(filtered.chunks_exact_mut(stride + 1)) {
            out[0] = 2; // Up
            match previous {
                None => out[1..].copy_from_slice(row),
                Some(up) => {
                    for ((o, x), a) in out[1..].iter_mut().zip(row).zip(up) {
                        *o = x.wrapping_sub(*a);
                    }
                }
            }
            previous = Some(row);
        }
        Stripe {
            deflated: super::rle_deflate::deflate_block(filtered, last),
            adler: super::rle_deflate::adler32(filtered),
            len: len as u64,
        }
    })
}

thread_local! {
    /// A thread's rows of a stripe made by [`encode_png_rows`].
    static ROWS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    /// A thread's filtered rows of a stripe.
    static FILTERED: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Appends a PNG chunk (length, type, data, CRC-32 of type and data) whose
/// data are `pieces` one after another.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], pieces: &[&[u8]]) {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend_from_slice(kind);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    for p in pieces {
        out.extend_from_slice(p);
        crc.update(p);
    }
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// Bytes per row of a PNG of `width` x `height` pixels of `colour`, or why
/// no PNG of that size can be written (zero, or more than 2^31 - 1 pixels a
/// side).
fn row_bytes(width: u32, height: u32, colour: PngColour) -> Result<usize, String> {
    let limit = i32::MAX as u32;
    if width == 0 || height == 0 || width > limit || height > limit {
        return Err(format!(
            "a PNG of {width} x {height} pixels cannot be written"
        ));
    }
    Ok(width as usize * colour.channels())
}

/// Encodes `data` (`height` rows of `width` pixels of `colour`, 8 bits per
/// sample, row-major, no padding) as a PNG, stripes compressed in parallel.
///
/// Fails if the sizes are zero, too large for PNG (2^31 - 1 pixels a side)
/// or do not match `data`'s length.
pub fn encode_png_parallel(
    width: u32,
    height: u32,
    colour: PngColour,
    data: &[u8],
) -> std::io::Result<Vec<u8>> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    let stride = row_bytes(width, height, colour).map_err(invalid)?;
    if data.len() as u64 != stride as u64 * height as u64 {
        return Err(invalid(format!(
            "{} bytes of pixels for a {width} x {height} image of {} channels",
            data.len(),
            colour.channels()
        )));
    }
    let total = height as usize;
    let stripes = stripes(stride, total, |first, count| {
        let from = first.saturating_sub(1);
        let rows = &data[from * stride..(first + count) * stride];
        Ok::<_, std::convert::Infallible>(stripe(
            rows,
            stride,
            from < first,
            first + count == total,
        ))
    });
    match stripes {
        Ok(stripes) => Ok(assemble(width, height, colour, stripes).into_bytes()),
        Err(never) => match never {},
    }
}

/// Encodes a PNG of `height` rows of `width` pixels of `colour` (8 bits per
/// sample) whose rows are made as they are needed, stripes made and
/// compressed in parallel: `rows(first, out)` fills every byte of `out` with rows
/// `first..first + out.len() / stride`, row-major, where `stride` is
/// `width` times the channels. No more than a stripe's rows (about 256 KiB)
/// are held per thread, so a picture made a band at a time is never whole
/// in memory, only its compressed bytes. The first error `rows` returns
/// ends the encoding.
pub fn encode_png_rows(
    width: u32,
    height: u32,
    colour: PngColour,
    rows: impl Fn(usize, &mut [u8]) -> crate::error::Result<()> + Sync,
) -> crate::error::Result<FileBytes> {
    let stride = row_bytes(width, height, colour)
        .map_err(|m| crate::error::Error::param(format!("cannot encode the PNG: {m}")))?;
    let total = height as usize;
    let stripes = stripes(stride, total, |first, count| {
        // The row above the stripe is made again: the `Up` filter needs it.
        let from = first.saturating_sub(1);
        crate::scratch::with_scratch(&ROWS, (first + count - from) * stride, |data| {
            rows(from, data)?;
            Ok::<_, crate::error::Error>(stripe(data, stride, from < first, first + count == total))
        })
    })?;
    Ok(assemble(width, height, colour, stripes))
}

/// The stripes of an image of `total` rows of `stride` bytes:
/// `make(first, count)` filters and compresses rows `first..first + count`,
/// stripes in parallel, in order.
fn stripes<E: Send>(
    stride: usize,
    total: usize,
    make: impl Fn(usize, usize) -> Result<Stripe, E> + Sync,
) -> Result<Vec<Stripe>, E> {
    let per_stripe = (STRIPE_BYTES / (stride + 1)).max(1);
    let starts: Vec<usize> = (0..total).step_by(per_stripe).collect();
    starts
        .par_iter()
        .map(|&first| make(first, per_stripe.min(total - first)))
        .collect()
}

/// The PNG file of `stripes` (one zlib stream: its two-byte header, the
/// stripes, the combined Adler-32), in pieces. Each stripe goes out as an
/// IDAT chunk of its own (a PNG may split its stream anywhere), its bytes
/// moved into the file, not copied.
fn assemble(width: u32, height: u32, colour: PngColour, stripes: Vec<Stripe>) -> FileBytes {
    let adler = stripes
        .iter()
        .fold(1u32, |adler, s| adler32_combine(adler, s.adler, s.len));
    let adler = adler.to_be_bytes();
    // CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest, no dictionary; 0x7801 % 31 == 0).
    let header: &[u8] = &[0x78, 0x01];
    let mut file = FileBytes::new();
    let mut head = Vec::with_capacity(8 + 25);
    head.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type, deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, colour.ihdr_code(), 0, 0, 0]);
    chunk(&mut head, b"IHDR", &[&ihdr]);
    file.push(head);
    let last = stripes.len().saturating_sub(1);
    for (i, s) in stripes.into_iter().enumerate() {
        let lead = if i == 0 { header } else { &[] };
        let tail: &[u8] = if i == last { &adler } else { &[] };
        let len = lead.len() + s.deflated.len() + tail.len();
        let mut crc = crc32fast::Hasher::new();
        let mut before = Vec::with_capacity(10);
        before.extend_from_slice(&(len as u32).to_be_bytes());
        before.extend_from_slice(b"IDAT");
        before.extend_from_slice(lead);
        crc.update(&before[4..]);
        crc.update(&s.deflated);
        crc.update(tail);
        let mut after = Vec::with_capacity(8);
        after.extend_from_slice(tail);
        after.extend_from_slice(&crc.finalize().to_be_bytes());
        file.push(before);
        file.push(s.deflated);
        file.push(after);
    }
    let mut end = Vec::with_capacity(12);
    chunk(&mut end, b"IEND", &[]);
    file.push(end);
    file
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Adler-32 straight from RFC 1950's definition, one byte at a time.
    fn adler_by_definition(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u64, 0u64);
        for &x in bytes {
            a = (a + x as u64) % 65_521;
            b = (b + a) % 65_521;
        }
        ((b << 16) | a) as u32
    }

    fn decode(png_bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    proptest! {
        #[test]
        fn combined_adler_equals_the_adler_of_the_concatenation(
            a in proptest::collection::vec(any::<u8>(), 0..3000),
            b in proptest::collection::vec(any::<u8>(), 0..3000),
        ) {
            let whole: Vec<u8> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(
                adler32_combine(adler_by_definition(&a), adler_by_definition(&b), b.len() as u64),
                adler_by_definition(&whole)
            );
        }

        #[test]
        fn the_png_crate_decodes_the_same_pixels(
            width in 1u32..700,
            height in 1u32..700,
            colour in prop_oneof![Just(PngColour::Gray), Just(PngColour::Rgb), Just(PngColour::Rgba)],
            seed in any::<u64>(),
        ) {
            let n = width as usize * height as usize * colour.channels();
            // Smooth ramps with noise: compressible, but not trivially.
            let mut state = seed | 1;
            let data: Vec<u8> = (0..n)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((i / 7) as u64 + (state & 3)) as u8
                })
                .collect();
            let bytes = encode_png_parallel(width, height, colour, &data).unwrap();
            let (info, pixels) = decode(&bytes);
            prop_assert_eq!((info.width, info.height), (width, height));
            prop_assert_eq!(pixels, data);
        }
    }

    #[test]
    fn adler_of_a_megabyte_of_ones_matches_the_definition_across_many_stripes() {
        // Long enough that the modulus wraps inside every stripe.
        let data = vec![0xffu8; 3 << 20];
        let (head, tail) = data.split_at(1_234_567);
        assert_eq!(
            adler32_combine(
                adler_by_definition(head),
                adler_by_definition(tail),
                tail.len() as u64
            ),
            adler_by_definition(&data)
        );
    }

    #[test]
    fn a_tall_image_spans_many_stripes_and_idat_chunks_and_decodes() {
        let (w, h) = (1500u32, 2000u32);
        // Pseudo-random (xorshift) bytes: incompressible, so every stripe
        // holds about STRIPE_BYTES.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let data: Vec<u8> = (0..w as usize * h as usize)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let bytes = encode_png_parallel(w, h, PngColour::Gray, &data).unwrap();
        let idat = bytes.windows(4).filter(|w| w == b"IDAT").count();
        assert!(idat > 5, "expected several IDAT chunks, found {idat}");
        assert_eq!(decode(&bytes).1, data);
    }

    #[test]
    fn wrong_sizes_are_refused() {
        assert!(encode_png_parallel(0, 5, PngColour::Gray, &[]).is_err());
        assert!(encode_png_parallel(3, 3, PngColour::Rgb, &[0; 9]).is_err());
    }
}
