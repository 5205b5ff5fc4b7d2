//! Hillshading with Horn's 3 x 3 gradient in true metres, value for value as
//! `gdaldem hillshade -compute_edges` computes it.
//!
//! The slope at every sample comes from Horn's stencil on the window of
//! [`crate::terrain::window_with_voids`] (edges extrapolated as gdaldem does), each row's
//! east-west difference divided by that row's own ground spacing
//! ([`RowMetrics`]), so geographic grids shade in metres like projected ones.
//! A void neighbour takes the centre's height (gdaldem's rule with
//! `-compute_edges`); a void centre gives grey 0, gdaldem's nodata.
//!
//! Grey levels follow gdaldem: `1 + 254 * max(0, cos i)` rounded, where `i`
//! is the angle between the surface normal and the light, so lit slopes
//! span 1..=255 and 0 stays free for nodata. The multidirectional and
//! combined variants use gdaldem's formulas (USGS's oblique weighting of four
//! lights; the illumination angle scaled by the slope).

use image::GrayImage;
use rayon::prelude::*;

use crate::dem::{Dem, RowSource};
use crate::error::{Error, Result};
use crate::terrain::{window_with_voids_of, HornDifferences, RowMetrics};

/// Which shading formula to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShadeMode {
    /// One light at the given azimuth and altitude (gdaldem's default).
    #[default]
    Single,
    /// Four lights at azimuths 225°, 270°, 315° and 360°, weighted by the
    /// slope's aspect (gdaldem `-multidirectional`); the azimuth is ignored.
    Multidirectional,
    /// The illumination angle darkened by the slope (gdaldem `-combined`).
    Combined,
}

/// Light and exaggeration of a hillshade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShadeOptions {
    /// Direction the light comes from, degrees clockwise from north.
    pub azimuth_deg: f64,
    /// Height of the light above the horizon, degrees (0..=90).
    pub altitude_deg: f64,
    /// Vertical exaggeration applied to the heights (dimensionless).
    pub z_factor: f64,
    /// The shading formula.
    pub mode: ShadeMode,
}

impl Default for ShadeOptions {
    fn default() -> Self {
        ShadeOptions {
            azimuth_deg: 315.0,
            altitude_deg: 45.0,
            z_factor: 1.0,
            mode: ShadeMode::Single,
        }
    }
}

impl ShadeOptions {
    /// Checks that the angles and the z factor are usable numbers.
    pub fn validate(&self) -> Result<()> {
        if !self.azimuth_deg.is_finite() {
            return Err(Error::invalid(
                "azimuth_deg",
                self.azimuth_deg,
                "must be a finite number of degrees",
            ));
        }
        if !(0.0..=90.0).contains(&self.altitude_deg) {
            return Err(Error::invalid(
                "altitude_deg",
                self.altitude_deg,
                "must lie between 0 and 90 degrees",
            ));
        }
        if !(self.z_factor.is_finite() && self.z_factor > 0.0) {
            return Err(Error::invalid(
                "z_factor",
                self.z_factor,
                "must be a positive number",
            ));
        }
        Ok(())
    }
}

/// The constants of one shading run, computed once.
#[derive(Debug, Clone, Copy)]
struct Light {
    sin_alt: f64,
    /// `z * cos(alt)`.
    z_cos_alt: f64,
    sin_az: f64,
    cos_az: f64,
    z_squared: f64,
}

impl Light {
    fn new(o: &ShadeOptions) -> Self {
        let (alt, az) = (o.altitude_deg.to_radians(), o.azimuth_deg.to_radians());
        Light {
            sin_alt: alt.sin(),
            z_cos_alt: o.z_factor * alt.cos(),
            sin_az: az.sin(),
            cos_az: az.cos(),
            z_squared: o.z_factor * o.z_factor,
        }
    }

    /// Cosine of the incidence angle for a light from (`sin_az`, `cos_az`),
    /// before clamping, on a slope `p` east and `q` north (m/m).
    fn cos_incidence(&self, p: f64, q: f64, sin_az: f64, cos_az: f64, norm: f64) -> f64 {
        (self.sin_alt - self.z_cos_alt * (p * sin_az + q * cos_az)) / norm
    }

    /// Grey level 1..=255 of a sample whose slope is `p` east and `q` north
    /// (m/m), one light.
    #[inline(always)]
    fn single(&self, p: f64, q: f64) -> u8 {
        let norm = (1.0 + self.z_squared * (p * p + q * q)).sqrt();
        to_grey(
            self.cos_incidence(p, q, self.sin_az, self.cos_az, norm)
                .max(0.0),
        )
    }

    /// [`Light::single`] over the inside of a row, in `f32` and without
    /// branches so that the compiler vectorises it: `above`, `here` and
    /// `below` are the three rows of heights, `inv_dx`/`inv_dy` as for
    /// [`horn`], `out` the `len - 2` grey levels of columns `1..len - 1`.
    /// Returns `false` when a void (NaN) touched the row, whose levels must
    /// then be computed again with the voids' rules. Uses AVX-512 or AVX2
    /// where the CPU has them (the same arithmetic, sixteen or eight lanes
    /// at a time: no fused multiply-add, so the levels are the same bits).
    /// On the 2-core AMD EPYC of `scripts/bench-hillshade.sh` the AVX-512
    /// version takes about half the AVX2 one's share of a hillshade's CPU.
    fn single_row(
        &self,
        above: &[f32],
        here: &[f32],
        below: &[f32],
        inv_dx: [f32; 3],
        inv_dy: f32,
        out: &mut [u8],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            // SAFETY: the CPU has AVX-512 F, BW and VL, as checked just
            // above.
            return unsafe { self.single_row_avx512(above, here, below, inv_dx, inv_dy, out) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, as checked just above.
            return unsafe { self.single_row_avx2(above, here, below, inv_dx, inv_dy, out) };
        }
        self.single_row_lanes(above, here, below, inv_dx, inv_dy, out)
    }

    /// [`Light::single_row`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn single_row_avx2(
        &self,
        above: &[f32],
        here: &[f32],
        below: &[f32],
        inv_dx: [f32; 3],
        inv_dy: f32,
        out: &mut [u8],
    ) -> bool {
        self.single_row_lanes(above, here, below, inv_dx, inv_dy, out)
    }

    /// [`Light::single_row`] compiled for AVX-512.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW and VL.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    unsafe fn single_row_avx512(
        &self,
        above: &[f32],
        here: &[f32],
        below: &[f32],
        inv_dx: [f32; 3],
        inv_dy: f32,
        out: &mut [u8],
    ) -> bool {
        self.single_row_lanes(above, here, below, inv_dx, inv_dy, out)
    }

    /// The body of [`Light::single_row`], inlined into each instruction-set
    /// version of it.
    #[inline(always)]
    fn single_row_lanes(
        &self,
        above: &[f32],
        here: &[f32],
        below: &[f32],
        inv_dx: [f32; 3],
        inv_dy: f32,
        out: &mut [u8],
    ) -> bool {
        let n = out.len();
        let (a0, a1, a2) = (&above[..n], &above[1..n + 1], &above[2..n + 2]);
        let (h0, h1, h2) = (&here[..n], &here[1..n + 1], &here[2..n + 2]);
        let (b0, b1, b2) = (&below[..n], &below[1..n + 1], &below[2..n + 2]);
        let sin_alt = self.sin_alt as f32;
        let east_w = (self.z_cos_alt * self.sin_az) as f32;
        let north_w = (self.z_cos_alt * self.cos_az) as f32;
        let zz = self.z_squared as f32;
        let (k0, k1, k2) = (inv_dx[0], 2.0 * inv_dx[1], inv_dx[2]);
        let mut void = false;
        for i in 0..n {
            let p = (a2[i] - a0[i]) * k0 + (h2[i] - h0[i]) * k1 + (b2[i] - b0[i]) * k2;
            let q = ((a0[i] + 2.0 * a1[i] + a2[i]) - (b0[i] + 2.0 * b1[i] + b2[i])) * inv_dy;
            let cos_i =
                (sin_alt - (p * east_w + q * north_w)) / (1.0 + zz * (p * p + q * q)).sqrt();
            // Every neighbour enters p or q, so a void among them makes
            // cos_i NaN; the centre enters neither and is tested apart.
            void |= (cos_i + h1[i] * 0.0).is_nan();
            let level = (cos_i.max(0.0) * 254.0 + 1.5).min(255.0);
            // SAFETY: `max` returns 0 for a NaN `cos_i` and `min` caps the
            // rest, so `level` is a finite number in 1.5..=255, which
            // truncates to an i32 (and then a u8) exactly. Unlike the
            // saturating `as` cast, this one vectorises.
            out[i] = unsafe { level.to_int_unchecked::<i32>() } as u8;
        }
        !void
    }

    /// Grey level of a slope under gdaldem's four weighted lights.
    fn multidirectional(&self, p: f64, q: f64) -> u8 {
        let pp_qq = p * p + q * q;
        if pp_qq == 0.0 {
            return to_grey(self.sin_alt);
        }
        let norm = (1.0 + self.z_squared * pp_qq).sqrt();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let lit = |s: f64, c: f64| self.cos_incidence(p, q, s, c, norm).max(0.0);
        // Weights sin²(aspect - azimuth) written in p and q; they sum to 2(p² + q²).
        let w225 = 0.5 * pp_qq + p * q;
        let w315 = 0.5 * pp_qq - p * q;
        to_grey(
            (w225 * lit(-h, -h)
                + p * p * lit(-1.0, 0.0)
                + w315 * lit(-h, h)
                + q * q * lit(0.0, 1.0))
                / (2.0 * pp_qq),
        )
    }

    /// Grey level of a slope with gdaldem's combined shading.
    fn combined(&self, p: f64, q: f64) -> u8 {
        let pp_qq = p * p + q * q;
        let norm = (1.0 + self.z_squared * pp_qq).sqrt();
        let cos_i = self.cos_incidence(p, q, self.sin_az, self.cos_az, norm);
        let slope = (self.z_squared * pp_qq).sqrt().atan();
        let quarter_turn = std::f64::consts::FRAC_PI_2;
        to_grey(
            (1.0 - cos_i.clamp(-1.0, 1.0).acos() * slope / (quarter_turn * quarter_turn)).max(0.0),
        )
    }
}

/// `true` on a CPU with the AVX-512 features `Light::single_row_avx512`
/// is compiled for (F, BW and VL).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// The inside of a row: three rows of heights, `1 / (8 dx)` of each,
/// `1 / (8 dy)`, and the grey levels to fill; `false` when a void touched
/// the row and its levels must be computed again.
type FastRow = dyn Fn(&[f32], &[f32], &[f32], [f32; 3], f32, &mut [u8]) -> bool + Sync;

/// `1 + 254 * lit`, rounded, for `lit` in 0..=1.
#[inline(always)]
fn to_grey(lit: f64) -> u8 {
    (1.0 + 254.0 * lit + 0.5).min(255.0) as u8
}

/// Horn's slope `(east, north)` in m/m from a 3 x 3 window and the
/// reciprocal spacings: `inv_dx[k] = 1 / (8 dx)` of window row `k`, `inv_dy = 1 / (8 dy)`.
#[inline(always)]
fn horn(w: &[[f64; 3]; 3], inv_dx: [f64; 3], inv_dy: f64) -> (f64, f64) {
    HornDifferences::of(w).slope_by_reciprocals(inv_dx, inv_dy)
}

/// Rows `first..first + z.len() / cols` of the heights of a grid of
/// `rows` x `cols` samples, row-major.
#[derive(Clone, Copy)]
struct Band<'a> {
    z: &'a [f32],
    first: usize,
    rows: usize,
    cols: usize,
}

impl<'a> Band<'a> {
    /// The heights of grid row `r`, which must be in the band.
    fn row(&self, r: usize) -> &'a [f32] {
        let start = (r - self.first) * self.cols;
        &self.z[start..start + self.cols]
    }

    /// [`crate::terrain::window_with_voids`] around grid sample (`r`, `c`); the band must
    /// hold rows `r - 1 ..= r + 1` that lie inside the grid.
    fn window(&self, r: usize, c: usize) -> [[f64; 3]; 3] {
        window_with_voids_of(self.rows, self.cols, r, c, |rr, cc| {
            self.z[(rr - self.first) * self.cols + cc]
        })
    }
}

/// Shades grid row `r` of `band` (which holds the rows around it) into
/// `out` with `shade(p, q)`.
/// `fast`, when given, shades the inside of the row first; when it says a
/// void touched the row, the samples whose window holds a void are shaded
/// again by the rules for voids.
fn shade_row<F: Fn(f64, f64) -> u8>(
    band: &Band,
    metrics: &RowMetrics,
    r: usize,
    out: &mut [u8],
    shade: F,
    fast: Option<&FastRow>,
) {
    let (rows, cols) = (band.rows, band.cols);
    let inv8 = |d: f64| 1.0 / (8.0 * d);
    let inv_dx = [
        inv8(metrics.dx[r.saturating_sub(1)]),
        inv8(metrics.dx[r]),
        inv8(metrics.dx[(r + 1).min(rows - 1)]),
    ];
    let inv_dy = inv8(metrics.dy[r]);
    let here = band.row(r);
    let edge = |c: usize| -> u8 {
        let centre = here[c];
        if centre.is_nan() {
            return 0;
        }
        let mut w = band.window(r, c);
        for v in w.iter_mut().flatten() {
            if v.is_nan() {
                *v = centre as f64;
            }
        }
        let (p, q) = horn(&w, inv_dx, inv_dy);
        shade(p, q)
    };
    if r == 0 || r + 1 == rows {
        for (c, o) in out.iter_mut().enumerate() {
            *o = edge(c);
        }
        return;
    }
    let (above, below) = (band.row(r - 1), band.row(r + 1));
    out[0] = edge(0);
    out[cols - 1] = edge(cols - 1);
    if let Some(kernel) = fast {
        let k = inv_dx.map(|v| v as f32);
        if kernel(above, here, below, k, inv_dy as f32, &mut out[1..cols - 1]) {
            return;
        }
        // A void touched the row: only the samples whose window holds
        // one take the voids' rules; the kernel's levels stand for the
        // rest. Columns are looked at sixteen at a time, without
        // branches (a NaN makes the column's sum NaN), and a block is
        // looked into only when it holds a void. A void in column `j`
        // touches the windows of samples `j - 1 ..= j + 1`.
        let n = cols - 2;
        let column_void = |j: usize| (above[j] + here[j] + below[j]).is_nan();
        let mut settled = 0; // windows 0..settled are done
        for j0 in (0..cols).step_by(16) {
            let j1 = (j0 + 16).min(cols);
            let any = above[j0..j1]
                .iter()
                .zip(&here[j0..j1])
                .zip(&below[j0..j1])
                .fold(false, |void, ((a, h), b)| void | (a + h + b).is_nan());
            if !any {
                continue;
            }
            for j in (j0..j1).filter(|&j| column_void(j)) {
                let touched = j.saturating_sub(2).max(settled)..(j + 1).min(n);
                for i in touched.clone() {
                    out[i + 1] = edge(i + 1);
                }
                settled = settled.max(touched.end);
            }
        }
        return;
    }
    let inner = above
        .windows(3)
        .zip(here.windows(3))
        .zip(below.windows(3))
        .zip(&mut out[1..cols - 1]);
    for (c, (((a, h), b), o)) in inner.enumerate() {
        let w = [
            [a[0] as f64, a[1] as f64, a[2] as f64],
            [h[0] as f64, h[1] as f64, h[2] as f64],
            [b[0] as f64, b[1] as f64, b[2] as f64],
        ];
        let (p, q) = horn(&w, inv_dx, inv_dy);
        // Any void in the window makes p or q NaN (every neighbour enters one of them).
        *o = if h[1].is_nan() {
            0
        } else if p.is_nan() || q.is_nan() {
            edge(c + 1)
        } else {
            shade(p, q)
        };
    }
}

/// A hillshade's light and formula, and the row spacings of its grid.
struct Shader {
    light: Light,
    mode: ShadeMode,
    metrics: RowMetrics,
}

impl Shader {
    /// Checks `options` and the grid's size (at least 2 x 2 samples).
    fn new(source: &dyn RowSource, options: &ShadeOptions) -> Result<Self> {
        options.validate()?;
        let (rows, cols) = source.shape();
        if rows < 2 || cols < 2 {
            return Err(Error::param(format!(
                "the elevation grid has {rows} x {cols} samples; hillshading needs at least 2 x 2"
            )));
        }
        Ok(Shader {
            light: Light::new(options),
            mode: options.mode,
            metrics: RowMetrics::of_source(source),
        })
    }

    /// Shades grid row `r` of `band` into `out`.
    fn row(&self, band: &Band, r: usize, out: &mut [u8]) {
        let light = self.light;
        let metrics = &self.metrics;
        match self.mode {
            ShadeMode::Single => {
                let fast =
                    move |a: &[f32], h: &[f32], b: &[f32], k: [f32; 3], ky: f32, o: &mut [u8]| {
                        light.single_row(a, h, b, k, ky, o)
                    };
                shade_row(
                    band,
                    metrics,
                    r,
                    out,
                    |p, q| light.single(p, q),
                    Some(&fast),
                )
            }
            ShadeMode::Multidirectional => shade_row(
                band,
                metrics,
                r,
                out,
                |p, q| light.multidirectional(p, q),
                None,
            ),
            ShadeMode::Combined => {
                shade_row(band, metrics, r, out, |p, q| light.combined(p, q), None)
            }
        }
    }
}

/// [`hillshade`] of a grid in memory one row at a time, for callers that
/// use each row once and need not hold the whole picture: row `r` has the
/// grey levels of [`hillshade`]'s row `r`.
pub(crate) struct GridShader<'a> {
    shader: Shader,
    band: Band<'a>,
}

impl<'a> GridShader<'a> {
    /// Fails as [`hillshade`] does, or when the heights are not contiguous
    /// in memory (row-major).
    pub(crate) fn new(dem: &'a Dem, options: &ShadeOptions) -> Result<Self> {
        let shader = Shader::new(dem, options)?;
        let (rows, cols) = dem.heights.dim();
        let z = dem
            .heights
            .as_slice()
            .ok_or_else(|| Error::param("the elevation grid is not contiguous in memory"))?;
        Ok(GridShader {
            shader,
            band: Band {
                z,
                first: 0,
                rows,
                cols,
            },
        })
    }

    /// Shades grid row `r` (below the grid's rows) into `out` (one byte
    /// per column).
    pub(crate) fn row(&self, r: usize, out: &mut [u8]) {
        self.shader.row(&self.band, r, out)
    }
}

/// Computes the hillshade of `dem` as 8-bit grey, one pixel per sample,
/// rows in parallel. Grey 0 marks voids.
pub fn hillshade(dem: &Dem, options: &ShadeOptions) -> Result<GrayImage> {
    let shader = Shader::new(dem, options)?;
    let (rows, cols) = dem.heights.dim();
    let width = u32::try_from(cols).map_err(|_| Error::param("the grid is too wide for a PNG"))?;
    let height = u32::try_from(rows).map_err(|_| Error::param("the grid is too high for a PNG"))?;
    let heights = dem.heights.as_standard_layout();
    let z = heights
        .as_slice()
        .ok_or_else(|| Error::param("the elevation grid is not contiguous in memory"))?;
    let band = Band {
        z,
        first: 0,
        rows,
        cols,
    };
    let mut grey = vec![0u8; rows * cols];
    grey.par_chunks_mut(cols)
        .enumerate()
        .for_each(|(r, out)| shader.row(&band, r, out));
    GrayImage::from_raw(width, height, grey)
        .ok_or_else(|| Error::param("internal error: hillshade buffer size mismatch"))
}

/// The hillshade of a [`RowSource`] made a band of rows at a time, for
/// grids that need not be in memory: each call reads only the rows it
/// shades and the one above and below them. [`RowShader::shade`] gives,
/// row for row, the grey levels of [`hillshade`] of the whole grid.
pub struct RowShader<'a> {
    source: &'a dyn RowSource,
    shader: Shader,
}

impl<'a> RowShader<'a> {
    /// Checks `options` and the grid's size (at least 2 x 2 samples).
    pub fn new(source: &'a dyn RowSource, options: &ShadeOptions) -> Result<Self> {
        Ok(RowShader {
            source,
            shader: Shader::new(source, options)?,
        })
    }

    /// Rows and columns of the grid (and of the hillshade).
    pub fn shape(&self) -> (usize, usize) {
        self.source.shape()
    }

    /// Shades rows `first..first + out.len() / cols` of the grid into
    /// `out` (whole rows, grey 0 for voids), reading them and the rows
    /// around them from the source.
    pub fn shade(&self, first: usize, out: &mut [u8]) -> Result<()> {
        let (rows, cols) = self.source.shape();
        let count = crate::dem::rows_asked(first, out.len(), rows, cols)?;
        if count == 0 {
            return Ok(());
        }
        let end = first + count;
        let to = (end + 1).min(rows);
        // Heights are read `BAND_ROWS` at a time into a buffer that holds
        // them and the two rows before them, which the next rows' windows
        // still need: every row is read once, and the buffer stays small
        // enough for a core's cache.
        crate::scratch::with_scratch(&HEIGHTS, (BAND_ROWS + 2) * cols, |z| {
            let mut lo = first.saturating_sub(1); // grid row of z's first row
            let mut hi = (lo + BAND_ROWS + 2).min(to); // rows lo..hi are in z
            self.source.read_rows(lo, &mut z[..(hi - lo) * cols])?;
            let mut r = first;
            loop {
                // Row `r` can be shaded once row `r + 1` is in, or is past the grid.
                let ready = if hi == rows { hi } else { hi - 1 };
                let band = Band {
                    z: &z[..(hi - lo) * cols],
                    first: lo,
                    rows,
                    cols,
                };
                for rr in r..ready.min(end) {
                    let at = (rr - first) * cols;
                    self.shader.row(&band, rr, &mut out[at..at + cols]);
                }
                r = ready.min(end);
                if r == end {
                    return Ok(());
                }
                // Rows r - 1 and r stay for row r's window; the next ones follow.
                z.copy_within((r - 1 - lo) * cols..(hi - lo) * cols, 0);
                let kept = hi - (r - 1);
                lo = r - 1;
                let next = (lo + BAND_ROWS + 2).min(to);
                self.source
                    .read_rows(hi, &mut z[kept * cols..(next - lo) * cols])?;
                hi = next;
            }
        })
    }
}

/// Rows of heights [`RowShader::shade`] reads from its source at a time.
const BAND_ROWS: usize = 16;

thread_local! {
    /// The heights a thread's [`RowShader::shade`] reads into.
    static HEIGHTS: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dem::{Crs, GeoTransform};
    use ndarray::Array2;

    /// A projected grid with 10 m square cells whose heights follow `f(x, y)` in metres.
    fn plane(rows: usize, cols: usize, f: impl Fn(f64, f64) -> f64) -> Dem {
        let cell = 10.0;
        let heights = Array2::from_shape_fn((rows, cols), |(r, c)| {
            f(c as f64 * cell, -(r as f64) * cell) as f32
        });
        Dem {
            heights,
            transform: GeoTransform {
                origin_x: 0.0,
                origin_y: 0.0,
                cell_x: cell,
                cell_y: cell,
            },
            crs: Crs::Projected {
                epsg: 32629,
                proj: String::new(),
            },
            inputs: vec![],
        }
    }

    /// The textbook hillshade (Burrough & McDonnell 1998, p. 190) of a plane
    /// rising `p` m/m to the east and `q` m/m to the north, with the slope and
    /// aspect computed by trigonometry rather than by the module's algebra.
    fn textbook(p: f64, q: f64, az_deg: f64, alt_deg: f64) -> u8 {
        let zenith = (90.0 - alt_deg).to_radians();
        let slope = p.hypot(q).atan();
        // Downslope direction, clockwise from north.
        let aspect = (-p).atan2(-q);
        let cos_i = zenith.cos() * slope.cos()
            + zenith.sin() * slope.sin() * (az_deg.to_radians() - aspect).cos();
        (1.0 + 254.0 * cos_i.max(0.0)).round() as u8
    }

    #[test]
    fn planes_shade_as_the_textbook_formula_says_everywhere_including_edges() {
        // Except the four corners, where gdaldem (and so downhill) repeats the
        // edge column and sees half the east-west slope.
        for &(p, q) in &[(0.3, 0.0), (0.0, -0.5), (-0.2, 0.7), (1.5, 1.5), (0.0, 0.0)] {
            let dem = plane(6, 7, |x, y| 100.0 + p * x + q * y);
            let img = hillshade(&dem, &ShadeOptions::default()).unwrap();
            let want = textbook(p, q, 315.0, 45.0);
            for (x, y, px) in img.enumerate_pixels() {
                if (x == 0 || x == 6) && (y == 0 || y == 5) {
                    continue;
                }
                assert!(
                    (px.0[0] as i32 - want as i32).abs() <= 1,
                    "plane ({p}, {q}): got {} want {want}",
                    px.0[0]
                );
            }
        }
    }

    #[test]
    fn a_slope_facing_away_from_the_light_is_grey_one_and_voids_are_zero() {
        // Rising steeply towards the north-west: its face looks south-east, away from a 315° light.
        let mut dem = plane(5, 5, |x, y| -3.0 * x + 3.0 * y);
        dem.heights[[2, 2]] = f32::NAN;
        let img = hillshade(&dem, &ShadeOptions::default()).unwrap();
        assert_eq!(img.get_pixel(2, 2).0[0], 0);
        assert_eq!(img.get_pixel(0, 4).0[0], 1);
        // Neighbours of the void take the centre's height: still a (flattened) plane, lit.
        assert!(img.get_pixel(1, 1).0[0] >= 1);
    }

    #[test]
    fn voids_change_only_the_samples_whose_window_they_touch() {
        // A lit slope (facing north-west, towards a 315° light), 40 columns
        // wide so that rows hold several of the kernel's blocks, with voids
        // at the edges, side by side, and alone.
        let (rows, cols) = (9, 40);
        let whole = plane(rows, cols, |x, y| 0.4 * x - 0.3 * y);
        let voids = [(0, 5), (3, 0), (3, 17), (3, 18), (4, 39), (6, 31), (8, 12)];
        let mut holed = whole.clone();
        for &(r, c) in &voids {
            holed.heights[[r, c]] = f32::NAN;
        }
        let (a, b) = (
            hillshade(&whole, &ShadeOptions::default()).unwrap(),
            hillshade(&holed, &ShadeOptions::default()).unwrap(),
        );
        for r in 0..rows {
            for c in 0..cols {
                let (want, got) = (
                    a.get_pixel(c as u32, r as u32).0[0],
                    b.get_pixel(c as u32, r as u32).0[0],
                );
                let touched = voids
                    .iter()
                    .any(|&(vr, vc)| vr.abs_diff(r) <= 1 && vc.abs_diff(c) <= 1);
                if voids.contains(&(r, c)) {
                    assert_eq!(got, 0, "void ({r}, {c})");
                } else if touched {
                    // The void's neighbours take the centre's height: a
                    // flattened but still lit window, never the level 1 a
                    // NaN slope would give.
                    assert!(got > 1, "({r}, {c}) beside a void: {got}");
                } else {
                    assert_eq!(got, want, "({r}, {c}) is out of every void's reach");
                }
            }
        }
    }

    #[test]
    fn flat_ground_is_lit_by_the_sine_of_the_altitude_in_every_mode() {
        let dem = plane(4, 4, |_, _| 50.0);
        for (mode, want) in [
            (ShadeMode::Single, 1.0 + 254.0 * 30f64.to_radians().sin()),
            (
                ShadeMode::Multidirectional,
                1.0 + 254.0 * 30f64.to_radians().sin(),
            ),
            // Combined: no slope, so nothing darkens it.
            (ShadeMode::Combined, 255.0),
        ] {
            let o = ShadeOptions {
                altitude_deg: 30.0,
                mode,
                ..ShadeOptions::default()
            };
            let img = hillshade(&dem, &o).unwrap();
            assert_eq!(img.get_pixel(1, 1).0[0], want.round() as u8, "{mode:?}");
        }
    }

    #[test]
    fn bad_light_is_a_parameter_error() {
        let dem = plane(3, 3, |_, _| 0.0);
        let o = ShadeOptions {
            altitude_deg: 120.0,
            ..ShadeOptions::default()
        };
        match hillshade(&dem, &o) {
            Err(Error::Invalid(e)) => {
                assert_eq!(e.parameter, "altitude_deg", "{e}");
                assert_eq!(e.value, "120", "{e}");
            }
            other => panic!("expected the altitude refused, got {other:?}"),
        }
    }

    #[test]
    fn every_row_kernel_gives_the_same_levels() {
        // Rough ground (heights from a fixed-seed generator, a few voids and
        // steep steps among them), in rows whose lengths leave every
        // remainder after the vector widths; several lights and cell sizes.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (len, voids) in [3usize, 9, 17, 18, 33, 100, 3603]
            .into_iter()
            .flat_map(|len| [(len, false), (len, true)])
        {
            let mut row = || -> Vec<f32> {
                (0..len)
                    .map(|_| match next() % 97 {
                        0 if voids => f32::NAN,
                        1 => 3000.0,
                        k => (k as f32) * 0.37 + (next() % 1000) as f32 * 0.01,
                    })
                    .collect()
            };
            let (above, here, below) = (row(), row(), row());
            for (az, alt, z, dx) in [(315.0, 45.0, 1.0, 30.0), (90.0, 10.0, 3.0, 0.7)] {
                let light = Light::new(&ShadeOptions {
                    azimuth_deg: az,
                    altitude_deg: alt,
                    z_factor: z,
                    ..ShadeOptions::default()
                });
                let inv_dx = [
                    1.0 / (8.0 * dx),
                    1.0 / (8.0 * dx * 1.01),
                    1.0 / (8.0 * dx * 1.02),
                ];
                let inv_dy = 1.0 / (8.0 * 30.0);
                let mut want = vec![0u8; len - 2];
                let ok = light.single_row_lanes(&above, &here, &below, inv_dx, inv_dy, &mut want);
                #[cfg(target_arch = "x86_64")]
                for (name, has, kernel) in [
                    (
                        "avx2",
                        std::arch::is_x86_feature_detected!("avx2"),
                        Light::single_row_avx2
                            as unsafe fn(
                                &Light,
                                &[f32],
                                &[f32],
                                &[f32],
                                [f32; 3],
                                f32,
                                &mut [u8],
                            ) -> bool,
                    ),
                    ("avx512", has_avx512(), Light::single_row_avx512),
                ] {
                    if !has {
                        eprintln!("skipped: the {name} kernel (this CPU lacks {name})");
                        continue;
                    }
                    let mut got = vec![7u8; len - 2];
                    // SAFETY: the CPU has the features, checked just above.
                    let got_ok =
                        unsafe { kernel(&light, &above, &here, &below, inv_dx, inv_dy, &mut got) };
                    assert_eq!(got_ok, ok, "{name}, row of {len}");
                    // A row without voids is whole; a long one with them is not.
                    assert!(ok || voids, "row of {len} without voids");
                    assert!(!ok || !voids || len < 1000, "row of {len} with voids");
                    if ok {
                        assert_eq!(got, want, "{name}, row of {len}");
                    }
                }
                // The levels the vector kernels agree on are the textbook's
                // own, computed in f64 (within a grey: the kernels are f32).
                if ok {
                    for (i, &level) in want.iter().enumerate() {
                        let p = (above[i + 2] - above[i]) as f64 * inv_dx[0] as f64
                            + 2.0 * (here[i + 2] - here[i]) as f64 * inv_dx[1] as f64
                            + (below[i + 2] - below[i]) as f64 * inv_dx[2] as f64;
                        let q = ((above[i] + 2.0 * above[i + 1] + above[i + 2]) as f64
                            - (below[i] + 2.0 * below[i + 1] + below[i + 2]) as f64)
                            * inv_dy as f64;
                        let grey = light.single(p, q);
                        assert!(
                            level.abs_diff(grey) <= 1,
                            "column {i}: {level} against {grey}"
                        );
                    }
                }
            }
        }
    }
}
