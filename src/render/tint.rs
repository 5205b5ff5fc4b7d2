//! Colour relief: a hypsometric ramp blended with the hillshade.
//!
//! Land is coloured by its height within the data's own range, from green
//! lowlands through tan and browns to white summits; ground at or below sea
//! level is blue, darker with depth (SRTM stores the sea surface as 0 m, so
//! 0 m counts as water). The colour is then lit by the hillshade, as on
//! printed shaded-relief maps. Voids are transparent.

use image::{GrayImage, Rgba, RgbaImage};
use rayon::prelude::*;

use crate::dem::Dem;

/// Land colours by normalised height (0 = lowest land, 1 = highest), sRGB.
const LAND: [(f32, [f32; 3]); 7] = [
    (0.00, [86.0, 146.0, 88.0]),
    (0.15, [150.0, 188.0, 110.0]),
    (0.30, [212.0, 208.0, 142.0]),
    (0.50, [196.0, 160.0, 108.0]),
    (0.70, [160.0, 118.0, 84.0]),
    (0.88, [196.0, 184.0, 174.0]),
    (1.00, [255.0, 255.0, 255.0]),
];

/// Water colours from the shore (0) to the deepest point of the data (1), sRGB.
const WATER: [(f32, [f32; 3]); 2] = [(0.0, [148.0, 196.0, 230.0]), (1.0, [40.0, 90.0, 160.0])];

fn ramp(stops: &[(f32, [f32; 3])], t: f32) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0);
    let i = stops
        .iter()
        .position(|s| s.0 >= t)
        .unwrap_or(stops.len() - 1);
    if i == 0 {
        return stops[0].1;
    }
    let ((t0, a), (t1, b)) = (stops[i - 1], stops[i]);
    let f = (t - t0) / (t1 - t0);
    [0, 1, 2].map(|k| a[k] + f * (b[k] - a[k]))
}

/// The heights a ramp is stretched over, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeightRange {
    /// Lowest height, metres (the deepest water if below 0).
    pub min: f32,
    /// Highest height, metres.
    pub max: f32,
}

impl HeightRange {
    /// The range of the non-void heights of `dem` (0..1 m if all are void).
    pub fn of(dem: &Dem) -> Self {
        let s = dem.stats();
        if s.min.is_nan() {
            return HeightRange { min: 0.0, max: 1.0 };
        }
        HeightRange {
            min: s.min as f32,
            max: s.max as f32,
        }
    }

    /// Colour of height `h` metres (not yet shaded), sRGB 0..255.
    pub fn colour(&self, h: f32) -> [f32; 3] {
        if h <= 0.0 {
            let depth = if self.min < 0.0 { h / self.min } else { 0.0 };
            return ramp(&WATER, depth);
        }
        let low = self.min.max(0.0);
        let span = (self.max - low).max(1.0);
        // A gamma below 1 spreads the lowlands, where rivers and valleys lie.
        ramp(&LAND, ((h - low) / span).max(0.0).powf(0.7))
    }
}

/// Blends the hypsometric colour of every sample with its hillshade grey
/// (as [`super::hillshade`] computes it, same size as `dem`): RGBA, one pixel
/// per sample, voids transparent. `range` stretches the ramp.
pub fn tint(dem: &Dem, shade: &GrayImage, range: HeightRange) -> RgbaImage {
    let (rows, cols) = dem.heights.dim();
    let heights = dem.heights.as_standard_layout();
    let tinter = RowTinter::new(range);
    let mut out = RgbaImage::new(cols as u32, rows as u32);
    out.par_chunks_mut(cols * 4)
        .zip(heights.axis_iter(ndarray::Axis(0)).into_par_iter())
        .zip(shade.par_chunks(cols))
        .for_each(|((px, hs), grey)| tinter.row(hs.iter().copied(), grey, px));
    out
}

/// [`tint`] one row at a time.
pub(crate) struct RowTinter {
    range: WholeMetres,
    /// [`light_factor`] of every grey level, on land (`[0]`) and water
    /// (`[1]`): a table, not a division per pixel.
    light: [[f32; 256]; 2],
}

impl RowTinter {
    /// Tints heights in `range`.
    pub(crate) fn new(range: HeightRange) -> Self {
        RowTinter {
            range: WholeMetres::new(range),
            light: [false, true].map(|water| std::array::from_fn(|g| light_factor(g as u8, water))),
        }
    }

    /// The RGBA pixels of a row of `heights` (metres) shaded `grey` (the
    /// row of the hillshade) into `out`, as [`tint`] makes them.
    pub(crate) fn row(&self, heights: impl IntoIterator<Item = f32>, grey: &[u8], out: &mut [u8]) {
        for ((p, h), &g) in out.chunks_exact_mut(4).zip(heights).zip(grey) {
            if h.is_nan() || g == 0 {
                p.copy_from_slice(&[0, 0, 0, 0]);
                continue;
            }
            let colour = self.range.colour(h);
            let light = self.light[(h <= 0.0) as usize][g as usize];
            let rgb = colour.map(|v| (v * light).clamp(0.0, 255.0) as u8);
            p.copy_from_slice(&Rgba([rgb[0], rgb[1], rgb[2], 255]).0);
        }
    }
}

/// [`HeightRange::colour`] of every whole metre in the range worked out
/// once: SRTM and most DEMs store whole metres, and the ramp's `powf` was
/// most of a tinted pixel's time. Any other height is computed as it comes,
/// so every colour is exactly [`HeightRange::colour`]'s.
struct WholeMetres {
    range: HeightRange,
    /// The lowest whole metre in the table.
    first: f32,
    colours: Vec<[f32; 3]>,
}

impl WholeMetres {
    /// Tables ranges of up to 2^16 whole metres (the Earth's spans 20 000);
    /// a wider one (a grid in other units) gets no table.
    fn new(range: HeightRange) -> Self {
        let (first, last) = (range.min.ceil(), range.max.floor());
        let count = last - first + 1.0;
        let colours = if count.is_finite() && (1.0..=65536.0).contains(&count) {
            (0..count as usize)
                .map(|k| range.colour(first + k as f32))
                .collect()
        } else {
            Vec::new()
        };
        WholeMetres {
            range,
            first,
            colours,
        }
    }

    /// [`HeightRange::colour`] of `h`.
    #[inline]
    fn colour(&self, h: f32) -> [f32; 3] {
        let k = h - self.first;
        // A whole metre whose offset is in the table: exact (both below
        // 2^16 from each other, so the difference and the casts lose
        // nothing). Whole is tested by a cast there and back, not by
        // `fract`, a call to `truncf` on baseline x86-64.
        if k >= 0.0 && k < self.colours.len() as f32 && (k as u32) as f32 == k {
            return self.colours[k as usize];
        }
        self.range.colour(h)
    }
}

/// How much a grey level brightens or darkens the colour: about 1 on flat
/// ground under a 45° light (grey 181), down to 0.35 on slopes facing away.
/// Water is left almost flat.
fn light_factor(grey: u8, water: bool) -> f32 {
    let s = (grey as f32 - 1.0) / 254.0;
    if water {
        0.9 + 0.15 * s
    } else {
        0.35 + 0.92 * s
    }
}

/// [`tint`] with a known sea: only the samples of `sea` are water (land at
/// or below 0 m takes the lowest land colour), and each pixel is blended
/// towards the water colour by how far the smoothed sea mask at the sample
/// lies past the coast, so the coast is anti-aliased rather than stepped.
pub fn tint_with_sea(
    dem: &Dem,
    shade: &GrayImage,
    range: HeightRange,
    sea: &crate::dem::SeaMask,
) -> RgbaImage {
    let mut land = dem.clone();
    for ((r, c), h) in land.heights.indexed_iter_mut() {
        if sea.is_sea_sample(r, c) {
            *h = 0.0;
        } else if *h <= 0.0 {
            *h = 0.01;
        }
    }
    let mut out = tint(&land, shade, range);
    let water = ramp(&WATER, 0.0).map(|v| v as u8);
    let cols = out.width() as usize;
    for (i, p) in out.pixels_mut().enumerate() {
        let (r, c) = ((i / cols) as f64, (i % cols) as f64);
        let a = sea.fraction(r, c).clamp(0.0, 1.0);
        if a > 0.0 && p.0[3] > 0 {
            for (v, w) in p.0.iter_mut().zip(water) {
                *v = (w as f64 * a + *v as f64 * (1.0 - a)).round() as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of whole metres gives every height the colour
    /// `HeightRange::colour` computes for it: whole metres in the range
    /// and out of it, fractions, water, and ranges too wide to table.
    #[test]
    fn whole_metres_are_coloured_as_computed() {
        for range in [
            HeightRange {
                min: -30.0,
                max: 1040.0,
            },
            HeightRange {
                min: 0.4,
                max: 12.6,
            },
            HeightRange {
                min: -2.0e6,
                max: 3.0e6,
            },
        ] {
            let table = WholeMetres::new(range);
            let lo = range.min.floor() as i64 - 3;
            let hi = (range.max.ceil() as i64 + 3).min(lo + 5000);
            for whole in lo..=hi {
                for h in [whole as f32, whole as f32 + 0.25, whole as f32 - 0.5] {
                    assert_eq!(table.colour(h), range.colour(h), "{range:?} at {h}");
                }
            }
        }
        // The first range is tabled, the last one is not.
        assert_eq!(
            WholeMetres::new(HeightRange {
                min: -30.0,
                max: 1040.0
            })
            .colours
            .len(),
            1071
        );
        assert!(WholeMetres::new(HeightRange {
            min: -2.0e6,
            max: 3.0e6
        })
        .colours
        .is_empty());
    }
}
