//! A west/south/east/north rectangle.

use serde::{Serialize, Serializer};

use super::Xy;

/// A rectangle aligned with the axes of one plane: a grid's outer edges, a
/// map's extent, a crop box. The units are the plane's (see [`Xy`]):
/// degrees on a geographic grid, metres on a projected one, the formula's
/// units on an analytic surface.
///
/// It serialises as GDAL and GeoJSON write a bounding box,
/// `[west, south, east, north]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Smallest `x` (west edge).
    pub west: f64,
    /// Smallest `y` (south edge).
    pub south: f64,
    /// Largest `x` (east edge).
    pub east: f64,
    /// Largest `y` (north edge).
    pub north: f64,
}

impl From<[f64; 4]> for Bounds {
    /// `[west, south, east, north]`, as GDAL and GeoJSON write a bounding box.
    fn from(edges: [f64; 4]) -> Self {
        Bounds::from_array(edges)
    }
}

impl Bounds {
    /// The rectangle from its four edges, in the plane's units.
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Self {
        Bounds {
            west,
            south,
            east,
            north,
        }
    }

    /// The rectangle from `[west, south, east, north]`.
    pub fn from_array([west, south, east, north]: [f64; 4]) -> Self {
        Bounds::new(west, south, east, north)
    }

    /// The edges as `[west, south, east, north]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.west, self.south, self.east, self.north]
    }

    /// The smallest rectangle holding every point of `points` (`None` for
    /// no points).
    pub fn around(points: impl IntoIterator<Item = Xy>) -> Option<Bounds> {
        points.into_iter().fold(None, |b, p| {
            Some(match b {
                None => Bounds::new(p.x, p.y, p.x, p.y),
                Some(b) => Bounds::new(
                    b.west.min(p.x),
                    b.south.min(p.y),
                    b.east.max(p.x),
                    b.north.max(p.y),
                ),
            })
        })
    }

    /// `true` when all four edges are finite and west < east, south < north.
    pub fn is_proper(&self) -> bool {
        self.to_array().iter().all(|v| v.is_finite())
            && self.west < self.east
            && self.south < self.north
    }

    /// East-west extent, `east - west`, in the plane's units.
    pub fn width(&self) -> f64 {
        self.east - self.west
    }

    /// North-south extent, `north - south`, in the plane's units.
    pub fn height(&self) -> f64 {
        self.north - self.south
    }

    /// The centre point.
    pub fn centre(&self) -> Xy {
        Xy::new(
            (self.west + self.east) / 2.0,
            (self.south + self.north) / 2.0,
        )
    }

    /// `true` when `p` lies inside or on an edge.
    pub fn contains(&self, p: Xy) -> bool {
        p.x >= self.west && p.x <= self.east && p.y >= self.south && p.y <= self.north
    }

    /// The common part of two rectangles, `None` when they share no area
    /// (touching along an edge only counts as no area).
    pub fn intersection(&self, other: &Bounds) -> Option<Bounds> {
        let b = Bounds::new(
            self.west.max(other.west),
            self.south.max(other.south),
            self.east.min(other.east),
            self.north.min(other.north),
        );
        (b.west < b.east && b.south < b.north).then_some(b)
    }

    /// The rectangle grown by `margin` (plane units) on every side.
    pub fn expanded(&self, margin: f64) -> Bounds {
        Bounds::new(
            self.west - margin,
            self.south - margin,
            self.east + margin,
            self.north + margin,
        )
    }
}

impl Serialize for Bounds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_array().serialize(s)
    }
}

impl std::fmt::Display for Bounds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.west, self.south, self.east, self.north
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile() -> Bounds {
        // The outer edges of the SRTM3 tile N52W007 (pixel-is-point samples
        // on whole degrees, so the edges stick out half a 3" cell).
        let h = 0.5 / 1200.0;
        Bounds::new(-7.0 - h, 52.0 - h, -6.0 + h, 53.0 + h)
    }

    #[test]
    fn contains_its_edges_and_not_beyond() {
        let b = Bounds::new(-7.0, 52.0, -6.0, 53.0);
        assert!(b.contains(Xy::new(-6.78, 52.6177)));
        assert!(b.contains(Xy::new(-7.0, 52.0)));
        assert!(b.contains(Xy::new(-6.0, 53.0)));
        assert!(!b.contains(Xy::new(-5.999, 52.5)));
        assert!(!b.contains(Xy::new(-6.5, 51.999)));
        assert!(!b.contains(Xy::new(f64::NAN, 52.5)));
    }

    #[test]
    fn intersection_by_hand() {
        let a = Bounds::new(0.0, 0.0, 4.0, 3.0);
        let b = Bounds::new(2.0, -1.0, 6.0, 1.5);
        assert_eq!(a.intersection(&b), Some(Bounds::new(2.0, 0.0, 4.0, 1.5)));
        assert_eq!(b.intersection(&a), Some(Bounds::new(2.0, 0.0, 4.0, 1.5)));
        // Sharing an edge only: no area.
        let c = Bounds::new(4.0, 0.0, 5.0, 3.0);
        assert_eq!(a.intersection(&c), None);
        let d = Bounds::new(10.0, 10.0, 11.0, 11.0);
        assert_eq!(a.intersection(&d), None);
    }

    #[test]
    fn size_centre_and_around() {
        let t = tile();
        assert!((t.width() - (1.0 + 1.0 / 1200.0)).abs() < 1e-12);
        assert!((t.height() - (1.0 + 1.0 / 1200.0)).abs() < 1e-12);
        assert_eq!(t.centre(), Xy::new(-6.5, 52.5));
        let b = Bounds::around([Xy::new(1.0, 5.0), Xy::new(-2.0, 7.0), Xy::new(0.0, 6.0)]);
        assert_eq!(b, Some(Bounds::new(-2.0, 5.0, 1.0, 7.0)));
        assert_eq!(Bounds::around(std::iter::empty()), None);
        assert!(t.is_proper());
        assert!(!Bounds::new(1.0, 0.0, 1.0, 1.0).is_proper());
        assert!(!Bounds::new(0.0, 0.0, f64::INFINITY, 1.0).is_proper());
    }

    #[test]
    fn serialises_as_a_bbox_array() {
        let json = serde_json::to_string(&Bounds::new(-7.0, 52.0, -6.0, 53.0)).unwrap();
        assert_eq!(json, "[-7.0,52.0,-6.0,53.0]");
    }
}
