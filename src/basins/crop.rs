//! Cutting a DEM down to a bounding box.

use std::borrow::Cow;

use crate::dem::{Dem, GeoTransform};
use crate::error::{Error, Result};
use crate::geo::Bounds;

/// [`crop`], borrowing `dem` itself when `bbox` holds all of it (the crop
/// would be a copy of it, sample for sample, with the same geotransform).
pub fn crop_or_whole(dem: &Dem, bbox: Bounds) -> Result<Cow<'_, Dem>> {
    let (r0, r1, c0, c1) = window(dem, bbox)?;
    if (r0, c0) == (0, 0) && (r1 + 1, c1 + 1) == dem.heights.dim() {
        Ok(Cow::Borrowed(dem))
    } else {
        crop(dem, bbox).map(Cow::Owned)
    }
}

/// The rows and columns (first and last, inclusive) of the samples of `dem`
/// whose centres lie inside `bbox`; an error if the box is inverted or holds
/// fewer than 2 x 2 of them.
fn window(dem: &Dem, bbox: Bounds) -> Result<(usize, usize, usize, usize)> {
    let [w, s, e, n] = bbox.to_array();
    if !(w < e && s < n) {
        return Err(Error::invalid(
            "bbox",
            bbox,
            "west must be less than east and south less than north",
        ));
    }
    let t = &dem.transform;
    let (rows, cols) = (dem.rows() as f64, dem.cols() as f64);
    // Sample (r, c) has its centre at origin + (index + 0.5) * cell; centres
    // on the box's edges (within a billionth of a cell) are inside.
    const SLACK: f64 = 1e-9;
    let c0 = ((w - t.origin_x) / t.cell_x - 0.5 - SLACK).ceil().max(0.0);
    let c1 = ((e - t.origin_x) / t.cell_x - 0.5 + SLACK)
        .floor()
        .min(cols - 1.0);
    let r0 = ((t.origin_y - n) / t.cell_y - 0.5 - SLACK).ceil().max(0.0);
    let r1 = ((t.origin_y - s) / t.cell_y - 0.5 + SLACK)
        .floor()
        .min(rows - 1.0);
    if !(c1 - c0 >= 1.0 && r1 - r0 >= 1.0) {
        return Err(Error::invalid(
            "bbox",
            bbox,
            format!(
                "holds fewer than 2 x 2 samples of the grid, which covers {}",
                dem.bounds()
            ),
        ));
    }
    Ok((r0 as usize, r1 as usize, c0 as usize, c1 as usize))
}

/// The part of `dem` whose sample centres lie inside `bbox` (CRS units:
/// degrees on geographic grids), with its own
/// geotransform. Fails if the box is inverted or holds fewer than 2 x 2 samples.
pub fn crop(dem: &Dem, bbox: Bounds) -> Result<Dem> {
    let (r0, r1, c0, c1) = window(dem, bbox)?;
    let t = &dem.transform;
    let heights = dem.heights.slice(ndarray::s![r0..=r1, c0..=c1]).to_owned();
    Ok(Dem {
        heights,
        transform: GeoTransform {
            origin_x: t.origin_x + c0 as f64 * t.cell_x,
            origin_y: t.origin_y - r0 as f64 * t.cell_y,
            cell_x: t.cell_x,
            cell_y: t.cell_y,
        },
        crs: dem.crs.clone(),
        inputs: dem.inputs.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dem::Crs;
    use ndarray::Array2;

    /// A 5 x 6 grid of 1° cells from (10 E, 50 N), each height its index.
    fn grid() -> Dem {
        Dem {
            heights: Array2::from_shape_fn((5, 6), |(r, c)| (r * 6 + c) as f32),
            transform: GeoTransform {
                origin_x: 10.0,
                origin_y: 50.0,
                cell_x: 1.0,
                cell_y: 1.0,
            },
            crs: Crs::Geographic,
            inputs: Vec::new(),
        }
    }

    /// A box holding every sample centre borrows the grid (its own bounds,
    /// or wider); one that cuts into it is the same copy `crop` makes: the
    /// samples whose centres lie inside, by hand.
    #[test]
    fn whole_grids_are_borrowed_and_parts_copied() {
        let dem = grid();
        for whole in [dem.bounds(), Bounds::new(9.0, 44.0, 17.0, 51.0)] {
            let got = crop_or_whole(&dem, whole).unwrap();
            assert!(matches!(got, Cow::Borrowed(_)), "{whole:?}");
            assert_eq!(got.heights, crop(&dem, whole).unwrap().heights);
            assert_eq!(got.transform, crop(&dem, whole).unwrap().transform);
        }
        // Centres at 10.5 .. 15.5 E and 49.5 .. 45.5 N: this box holds the
        // columns 1-3 (11.5, 12.5, 13.5 E) of rows 1-2 (48.5, 47.5 N).
        let part = Bounds::new(11.2, 47.2, 13.9, 48.9);
        let got = crop_or_whole(&dem, part).unwrap();
        assert!(matches!(got, Cow::Owned(_)));
        assert_eq!(
            got.heights,
            ndarray::array![[7.0, 8.0, 9.0], [13.0, 14.0, 15.0]]
        );
        assert_eq!(
            (got.transform.origin_x, got.transform.origin_y),
            (11.0, 49.0)
        );
        assert!(crop_or_whole(&dem, Bounds::new(11.2, 47.2, 11.9, 48.9)).is_err());
    }
}
