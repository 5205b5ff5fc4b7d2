//! `basins.png`: every basin in its own colour over a hillshade, borders drawn.
//!
//! One pixel per cell. The PNG gets a world file (`.pgw`: pixel size and the
//! centre of the top-left pixel, in CRS units) so GIS tools place it.

use std::path::Path;

use image::{ImageFormat, Rgb, RgbImage};
use ndarray::Array2;

use super::atomic::write_atomic;
use crate::dem::GeoTransform;
use crate::error::{Error, Result};
use crate::terrain::GradientGrid;

/// Sun azimuth of the shading, degrees clockwise from north (north-west light).
pub const SUN_AZIMUTH_DEG: f64 = 315.0;
/// Sun altitude of the shading, degrees above the horizon.
pub const SUN_ALTITUDE_DEG: f64 = 45.0;

/// Lambertian hillshade in `0..=1` from a gradient grid (slope east and
/// north, m/m), lit from [`SUN_AZIMUTH_DEG`] at [`SUN_ALTITUDE_DEG`]; voids
/// are mid-grey (0.5).
///
/// Replacement point: when the shared `render` module's hillshade lands,
/// this one function is the call to swap.
pub fn hillshade(gradient: &GradientGrid) -> Array2<f32> {
    let (az, alt) = (SUN_AZIMUTH_DEG.to_radians(), SUN_ALTITUDE_DEG.to_radians());
    let sun = [az.sin() * alt.cos(), az.cos() * alt.cos(), alt.sin()];
    ndarray::Zip::from(&gradient.east)
        .and(&gradient.north)
        .par_map_collect(|&p, &q| {
            if p.is_nan() || q.is_nan() {
                return 0.5;
            }
            let (p, q) = (p as f64, q as f64);
            let norm = (1.0 + p * p + q * q).sqrt();
            let lit = (-p * sun[0] - q * sun[1] + sun[2]) / norm;
            lit.clamp(0.0, 1.0) as f32
        })
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

/// Writes `basins.png` at `path` and its world file beside it (`.pgw`).
pub fn write_png(
    path: &Path,
    labels: &Array2<u32>,
    shade: &Array2<f32>,
    transform: &GeoTransform,
) -> Result<()> {
    let mut png = Vec::new();
    picture(labels, shade)
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| Error::bad_file(path, format!("cannot encode the PNG: {e}")))?;
    write_atomic(path, |out| out.write_all(&png))?;
    write_atomic(&path.with_extension("pgw"), |out| {
        out.write_all(world_file(transform).as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slope facing the sun at exactly its altitude angle is lit fully;
    /// flat ground gets sin(altitude), as Lambert's law says.
    #[test]
    fn hillshade_follows_lamberts_law() {
        let g = GradientGrid {
            east: Array2::from_shape_vec((1, 2), vec![0.0, 1.0 / 2f32.sqrt()]).unwrap(),
            north: Array2::from_shape_vec((1, 2), vec![0.0, -1.0 / 2f32.sqrt()]).unwrap(),
        };
        let s = hillshade(&g);
        assert!((s[[0, 0]] as f64 - 45f64.to_radians().sin()).abs() < 1e-6);
        // Rising to the south-east by 1 m/m: its normal points north-west at 45°.
        assert!((s[[0, 1]] - 1.0).abs() < 1e-6);
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
