//! JPEG, for continuous-tone pictures whose exact bytes nobody reads back:
//! the viewer's shaded relief. Encoded by the `jpeg-encoder` crate (AVX2
//! where the processor has it), baseline. The encoder is based in part on
//! the work of the Independent JPEG Group (its quantisation tables and
//! transform; see the README's credits).

use crate::error::{Error, Result};

/// Quality of an embedded relief, 1 to 100: 85, with the colour at half
/// resolution each way (4:2:0, the encoder's choice below 90), as web maps
/// serve hillshade tiles. On SRTM3 reliefs the picture is about an eighth
/// of the lossless PNG's bytes (N52W007 1.18 MB -> 0.14 MB; a land-only
/// tile 2.50 -> 0.29 MB, its viewer page 4.7 -> 1.8 MB) and looks the same:
/// the tints vary slowly, and the shading, in the brightness, keeps its
/// full resolution.
pub const RELIEF_QUALITY: u8 = 85;

/// The JPEG of an RGB picture `width` x `height` pixels (`rgb` row by
/// row, three bytes a pixel) at `quality` (1 to 100).
///
/// Fails on a side of 0 or over 65535 pixels (JPEG's limit), on `rgb` of
/// another length than the sides give, or on a quality out of range.
pub fn encode_rgb(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>> {
    let side = |n: u32| u16::try_from(n).ok().filter(|&s| s > 0);
    let (Some(w), Some(h)) = (side(width), side(height)) else {
        return Err(Error::param(format!(
            "a JPEG picture is 1 to 65535 pixels a side, not {width} x {height}"
        )));
    };
    if rgb.len() as u64 != u64::from(width) * u64::from(height) * 3 {
        return Err(Error::param(format!(
            "{} bytes are not an RGB picture of {width} x {height} pixels",
            rgb.len()
        )));
    }
    if !(1..=100).contains(&quality) {
        return Err(Error::param(format!(
            "JPEG quality is 1 to 100, not {quality}"
        )));
    }
    let mut out = Vec::with_capacity(rgb.len() / 8);
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| Error::param(format!("cannot encode the JPEG picture: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth picture (a shaded-relief-like mix of gradients and gentle
    /// waves) read back by an independent decoder (zune-jpeg, through
    /// `image`) has its size and differs from the original by little:
    /// at [`RELIEF_QUALITY`] under one level in 256 on average and a few at
    /// most; at quality 10 by clearly more, so the check can fail.
    #[test]
    fn a_smooth_picture_reads_back_close_to_the_original() {
        let (w, h) = (203u32, 77u32);
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f64, y as f64);
                let shade = 128.0 + 60.0 * (fx / 23.0).sin() * (fy / 17.0).cos();
                rgb.push((shade * 0.9 + fy * 0.3) as u8);
                rgb.push((shade + fx * 0.2) as u8);
                rgb.push((shade * 0.7 + 30.0) as u8);
            }
        }
        let errors = |quality: u8| {
            let jpeg = encode_rgb(&rgb, w, h, quality).unwrap();
            assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG starts with SOI");
            let back = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
                .unwrap()
                .to_rgb8();
            assert_eq!(back.dimensions(), (w, h));
            let diffs: Vec<f64> = back
                .as_raw()
                .iter()
                .zip(&rgb)
                .map(|(&a, &b)| (a as f64 - b as f64).abs())
                .collect();
            let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
            let max = diffs.iter().cloned().fold(0.0, f64::max);
            (mean, max, jpeg.len())
        };
        let (mean, max, size) = errors(RELIEF_QUALITY);
        assert!(mean < 1.0 && max <= 8.0, "mean {mean}, max {max}");
        let (rough_mean, _, rough_size) = errors(10);
        assert!(rough_mean > 2.0 * mean, "{rough_mean} vs {mean}");
        assert!(rough_size < size);
    }

    /// Sides JPEG cannot hold, a buffer of the wrong length and a quality
    /// out of range are refused with what is wrong.
    #[test]
    fn impossible_pictures_are_refused() {
        let err = |r: Result<Vec<u8>>| r.unwrap_err().to_string();
        assert!(err(encode_rgb(&[], 0, 5, 90)).contains("0 x 5"));
        assert!(err(encode_rgb(&[0; 3], 65_536, 1, 90)).contains("65536 x 1"));
        assert!(err(encode_rgb(&[0; 5], 1, 2, 90)).contains("5 bytes"));
        assert!(err(encode_rgb(&[0; 3], 1, 1, 0)).contains("quality"));
        assert!(err(encode_rgb(&[0; 3], 1, 1, 101)).contains("quality"));
        assert!(encode_rgb(&[0; 3], 1, 1, 100).is_ok());
    }
}
