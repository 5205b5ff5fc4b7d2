//! Named summits on a map: a small triangle on each, its name and height
//! beside it where the name does not cover another.

use tiny_skia::{FillRule, PathBuilder, Pixmap, Stroke, Transform};

use super::decor::{halo_text, paint};
use super::text::Text;
use crate::geo::Xy;

/// Most summits one map marks; past that a map is clutter.
pub const MAX_MARKED_SUMMITS: usize = 40;

/// A named summit to mark on a map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSummit {
    /// Where it is, in the grid's own coordinates (degrees on a geographic
    /// grid, metres on a projected one), as a track point's position.
    pub position: Xy,
    /// Its name, e.g. "Lugnaquilla".
    pub name: String,
    /// Its height, metres.
    pub elevation_m: f64,
}

/// A screen rectangle `[x0, y0, x1, y1]` in pixels.
type Rect = [f32; 4];

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Marks `summits` (most important first) on `map`. `to_px` turns a grid
/// position into pixels; `taken` holds rectangles already used (the start
/// and its label), which no summit label may cover. Summits outside the
/// picture are skipped; a summit whose label would cover an earlier one
/// keeps its triangle without a label. Returns the summits marked.
pub(crate) fn draw_summits(
    map: &mut Pixmap,
    summits: &[MapSummit],
    to_px: &dyn Fn(f64, f64) -> (f32, f32),
    taken: &mut Vec<Rect>,
    text: &Text,
    scale: f32,
) -> usize {
    let (w, h) = (map.width() as f32, map.height() as f32);
    let size = 6.0 * scale;
    let mut marked = 0;
    for s in summits {
        if marked == MAX_MARKED_SUMMITS {
            break;
        }
        let (x, y) = to_px(s.position.x, s.position.y);
        if !(x.is_finite() && y.is_finite()) || x < 0.0 || y < 0.0 || x >= w || y >= h {
            continue;
        }
        let mark: Rect = [x - size, y - size, x + size, y + size];
        if taken.iter().any(|r| overlaps(r, &mark)) {
            // The start itself, or a summit marked already.
            continue;
        }
        triangle(map, x, y, size, scale);
        taken.push(mark);
        marked += 1;
        let label = format!("{} {:.0} m", s.name, s.elevation_m);
        let tw = text.width(&label);
        let th = text.line_height();
        let gap = size + 3.0 * scale;
        let right = [x + gap, y - th / 2.0, x + gap + tw, y + th / 2.0];
        let left = [x - gap - tw, y - th / 2.0, x - gap, y + th / 2.0];
        // The right-hand strip holds the colour key, the north arrow and
        // the latitude ticks: labels keep out of it, as the start's does.
        let fits = |r: &Rect| {
            r[0] >= 0.0 && r[2] <= w - 120.0 * scale && !taken.iter().any(|t| overlaps(t, r))
        };
        if let Some(r) = [right, left].into_iter().find(|r| fits(r)) {
            halo_text(map, text, &label, r[0], r[1], [40; 3]);
            taken.push(r);
        }
    }
    marked
}

/// A summit triangle: dark brown with a white rim.
fn triangle(map: &mut Pixmap, x: f32, y: f32, size: f32, scale: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(x, y - size);
    pb.line_to(x + size * 0.9, y + size * 0.6);
    pb.line_to(x - size * 0.9, y + size * 0.6);
    pb.close();
    if let Some(path) = pb.finish() {
        let rim = Stroke {
            width: 2.0 * scale,
            ..Stroke::default()
        };
        map.stroke_path(
            &path,
            &paint([255; 3], 255),
            &rim,
            Transform::identity(),
            None,
        );
        map.fill_path(
            &path,
            &paint([90, 50, 20], 255),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROWN: [u8; 3] = [90, 50, 20];

    fn pixel(map: &Pixmap, x: u32, y: u32) -> [u8; 3] {
        let p = map.pixel(x, y).expect("inside").demultiply();
        [p.red(), p.green(), p.blue()]
    }

    fn summit(x: f64, y: f64, name: &str) -> MapSummit {
        MapSummit {
            position: Xy::new(x, y),
            name: name.into(),
            elevation_m: 500.0,
        }
    }

    /// Grid positions are pixels here: a summit in view gets its triangle,
    /// one outside the picture and one on top of a marked one do not, and
    /// the start's rectangle is left alone.
    #[test]
    fn marks_summits_in_view_without_overlap() {
        let mut map = Pixmap::new(400, 300).unwrap();
        map.fill(tiny_skia::Color::WHITE);
        let text = Text::new(15.0).unwrap();
        let to_px = |x: f64, y: f64| (x as f32, y as f32);
        let mut taken = vec![[290.0, 190.0, 310.0, 210.0]];
        let summits = [
            summit(100.0, 100.0, "A"),
            summit(-50.0, 100.0, "outside"),
            summit(102.0, 101.0, "on top of A"),
            summit(300.0, 200.0, "on the start"),
        ];
        let marked = draw_summits(&mut map, &summits, &to_px, &mut taken, &text, 1.0);
        assert_eq!(marked, 1);
        // The triangle's inside, a little below its apex.
        assert_eq!(pixel(&map, 100, 101), BROWN);
        assert_ne!(pixel(&map, 300, 201), BROWN);
        // A's label lies to its right, in dark text somewhere on that row.
        let dark = (108..140).any(|x| pixel(&map, x, 100)[0] < 128);
        assert!(dark, "no label right of the summit");
    }
}
