//! Stretching a grey picture east-west by nearest sample, rows in parallel.

use image::GrayImage;
use rayon::prelude::*;

/// The source column of each of `new_width` output columns when `width`
/// columns are stretched by nearest sample: the column under each output
/// pixel's centre, `floor((x + 0.5) * width / new_width)` in `f32`, the
/// last column at most. This is the mapping of `image`'s `Nearest` filter,
/// so the two give the same pixels.
pub(crate) fn nearest_columns(width: u32, new_width: u32) -> Vec<u32> {
    let ratio = width as f32 / new_width as f32;
    (0..new_width)
        .map(|x| (((x as f32 + 0.5) * ratio).floor() as u32).min(width - 1))
        .collect()
}

/// `image` resampled to `new_width` columns (its rows unchanged) by
/// nearest sample: each output pixel takes the grey level of the input
/// pixel under its centre. `image::imageops::resize` with `Nearest` gives
/// the same pixels, through a general filter and 32-bit floats per channel
/// on one core; this is a column lookup per pixel, rows in parallel.
/// An empty image or a zero width gives an empty image.
pub fn stretch_columns_nearest(image: &GrayImage, new_width: u32) -> GrayImage {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 || new_width == 0 {
        return GrayImage::new(new_width, height);
    }
    let columns = nearest_columns(width, new_width);
    let mut out = vec![0u8; new_width as usize * height as usize];
    out.par_chunks_mut(new_width as usize)
        .zip(image.as_raw().par_chunks(width as usize))
        .for_each(|(row, source)| {
            for (o, &c) in row.iter_mut().zip(&columns) {
                *o = source[c as usize];
            }
        });
    GrayImage::from_raw(new_width, height, out).unwrap_or_else(|| GrayImage::new(new_width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey picture whose pixels all differ along each row.
    fn picture(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13) % 251) as u8]))
    }

    #[test]
    fn stretching_gives_the_pixels_of_image_crates_nearest_filter() {
        for (w, h, new_w) in [
            (3601, 3, 2214),
            (1201, 2, 738),
            (10, 4, 17),
            (17, 5, 10),
            (5, 1, 5 * 3 + 1),
            (1, 3, 4),
            (4, 2, 1),
        ] {
            let img = picture(w, h);
            let want =
                image::imageops::resize(&img, new_w, h, image::imageops::FilterType::Nearest);
            assert_eq!(
                stretch_columns_nearest(&img, new_w).as_raw(),
                want.as_raw(),
                "{w} x {h} to {new_w} columns"
            );
        }
    }

    #[test]
    fn the_same_width_is_a_copy_and_empty_stays_empty() {
        let img = picture(9, 4);
        assert_eq!(stretch_columns_nearest(&img, 9), img);
        assert_eq!(
            stretch_columns_nearest(&GrayImage::new(0, 3), 5).dimensions(),
            (5, 3)
        );
    }
}
