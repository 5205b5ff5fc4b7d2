//! `basins.png`: every basin in its own colour over a hillshade, borders drawn.
//!
//! One pixel per cell. The PNG gets a world file (`.pgw`: pixel size and the
//! centre of the top-left pixel, in CRS units) so GIS tools place it.

use image::{Rgb, RgbImage};
use ndarray::Array2;

use crate::dem::Dem;
use crate::dem::GeoTransform;
use crate::error::{Error, Result};

/// Sun azimuth of the shading, degrees clockwise from north (north-west light).
pub const SUN_AZIMUTH_DEG: f64 = 315.0;
/// Sun altitude of the shading, degrees above the horizon.
pub const SUN_ALTITUDE_DEG: f64 = 45.0;

/// Shading in `0..=1` under the basins: the shared gdaldem-compatible
/// hillshade (Horn, light from 315° at 45°), voids mid-grey.
pub fn hillshade(dem: &Dem) -> Result<Array2<f32>> {
    let grey = crate::render::hillshade(dem, &crate::render::ShadeOptions::default())?;
    let (w, h) = grey.dimensions();
    Ok(Array2::from_shape_fn(
        (h as usize, w as usize),
        |(r, c)| match grey.get_pixel(c as u32, r as u32)[0] {
            0 => 0.5,
            g => (g - 1) as f32 / 254.0,
        },
    ))
}

/// A distinct, stable colour for basin `id` (hues spread by the golden ratio).
pub fn basin_colour(id: u32) -> [f64; 3] {
    let h = (id as f64 * 0.618_033_988_75).fract() * 6.0;
    let (s, v) = (0.6, 1.0);
    let c = v * s;
    let x = c * (1.0 - ((h % 2.0) - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r + m, g + m, b + m]
}

/// The picture: basin colours times the shade, borders dark, cells
/// without a start in plain grey shading.
pub fn picture(labels: &Array2<u32>, shade: &Array2<f32>) -> RgbImage {
    let (rows, cols) = labels.dim();
    RgbImage::from_fn(cols as u32, rows as u32, |x, y| {
        let (r, c) = (y as usize, x as usize);
        let l = labels[[r, c]];
        let s = 0.3 + 0.7 * shade[[r, c]] as f64;
        if l == 0 {
            let g = (255.0 * (0.15 + 0.7 * s)) as u8;
            return Rgb([g, g, g]);
        }
        let border =
            (c + 1 < cols && labels[[r, c + 1]] != l) || (r + 1 < rows && labels[[r + 1, c]] != l);
        let k = if border { 0.25 } else { s };
        let [cr, cg, cb] = basin_colour(l);
        Rgb([
            (255.0 * cr * k) as u8,
            (255.0 * cg * k) as u8,
            (255.0 * cb * k) as u8,
        ])
    })
}

/// The world file text: pixel width, rotations, negative pixel height, and
/// the centre of the top-left pixel, one per line.
pub fn world_file(transform: &GeoTransform) -> String {
    format!(
        "{:.12}\n0\n0\n{:.12}\n{:.12}\n{:.12}\n",
        transform.cell_x,
        -transform.cell_y,
        transform.origin_x + transform.cell_x / 2.0,
        transform.origin_y - transform.cell_y / 2.0
    )
}

/// The bytes of `basins.png`.
pub fn png(labels: &Array2<u32>, shade: &Array2<f32>) -> Result<Vec<u8>> {
    let image = image::DynamicImage::ImageRgb8(picture(labels, shade));
    let mut png = Vec::new();
    crate::render::encode_png(&image, &mut png).map_err(|e| Error::io("basins.png", e))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flat ground gets sin(altitude) as Lambert's law says (to one grey
    /// level of the 8-bit hillshade); a void is mid-grey.
    #[test]
    fn shading_follows_lamberts_law_on_flat_ground() {
        let mut heights = Array2::from_elem((5, 5), 100.0f32);
        heights[[4, 4]] = f32::NAN;
        let dem = Dem {
            heights,
            transform: GeoTransform {
                origin_x: 0.0,
                origin_y: 0.0,
                cell_x: 30.0,
                cell_y: 30.0,
            },
            crs: crate::dem::Crs::Projected {
                epsg: 32629,
                proj: String::new(),
            },
            inputs: vec![],
        };
        let s = hillshade(&dem).unwrap();
        assert!((s[[2, 2]] as f64 - 45f64.to_radians().sin()).abs() < 1.0 / 254.0);
        assert_eq!(s[[4, 4]], 0.5);
    }

    #[test]
    fn world_file_names_the_top_left_pixel_centre() {
        let t = GeoTransform {
            origin_x: -7.0,
            origin_y: 53.0,
            cell_x: 0.5,
            cell_y: 0.25,
        };
        let lines: Vec<f64> = world_file(&t).lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(lines, vec![0.5, 0.0, 0.0, -0.25, -6.75, 52.875]);
    }
}
