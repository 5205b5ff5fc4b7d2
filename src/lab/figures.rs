//! The lab's figures, one PNG per experiment, axes and legends labelled.

use crate::geo::Rgb;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::contour;
use super::png::{plot_colour, ramp, render_png as write_png, DrawResult, FONT};
use super::{least_squares, leinster, quartic, saddle};
use crate::agents::{AgentKind, Track};
use crate::analytic::AnalyticSurface;
use crate::error::Result;
use crate::geo::Xy;
use crate::terrain::Surface;

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Distinct colours for the starts of one figure (matplotlib's tab10).
const PALETTE: [Rgb; 5] = [
    Rgb::new(0x1f, 0x77, 0xb4),
    Rgb::new(0xff, 0x7f, 0x0e),
    Rgb::new(0x2c, 0xa0, 0x2c),
    Rgb::new(0xd6, 0x27, 0x28),
    Rgb::new(0x94, 0x67, 0xbd),
];

const TITLE: u32 = 26;
const LABEL: u32 = 18;

fn legend_line(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
}

/// Distance to x* per iteration for gradient descent and heavy ball, log scale.
pub fn least_squares(path: &Path, outcome: &least_squares::Outcome) -> Result<Vec<u8>> {
    write_png(path, (1000, 650), |root| {
        root.fill(&WHITE)?;
        let all = outcome.gradient_descent.iter().chain(&outcome.heavy_ball);
        let lo = all
            .clone()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(1e-300);
        let hi = all.copied().fold(0.0, f64::max);
        let n = outcome.gradient_descent.len().saturating_sub(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Least squares y = A x*, A {} x {} uniform [0, 1): step 1/||A||²",
                    least_squares::ROWS,
                    least_squares::COLS
                ),
                (FONT, TITLE),
            )
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(90)
            .build_cartesian_2d(0usize..n, (lo / 2.0..hi * 2.0).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("iteration k")
            .y_desc("distance to x*, ||x_k - x*|| (log scale)")
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, LABEL + 2))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()?;
        let series = [
            (
                &outcome.gradient_descent,
                plot_colour(AgentKind::Gd.colour()),
                "gradient descent".to_string(),
            ),
            (
                &outcome.heavy_ball,
                plot_colour(AgentKind::Momentum.colour()),
                format!("heavy ball, β = {}", least_squares::BETA),
            ),
        ];
        for (d, c, label) in series {
            chart
                .draw_series(LineSeries::new(
                    d.iter().enumerate().map(|(k, &v)| (k, v.max(lo))),
                    c.stroke_width(3),
                ))?
                .label(label)
                .legend(legend_line(c));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, LABEL + 2))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    })
}

/// The ball's path over the quartic, and x per iteration settling at 9/4.
pub fn quartic(path: &Path, surface: &AnalyticSurface, track: &Track) -> Result<Vec<u8>> {
    write_png(path, (1500, 620), |root| {
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(750);
        quartic_curve(&left, surface, track)?;
        quartic_iterations(&right, track)?;
        root.present()?;
        Ok(())
    })
}

fn quartic_curve(area: &Area<'_>, surface: &AnalyticSurface, track: &Track) -> DrawResult {
    let f = |x: f64| surface.value(Xy::new(x, 0.0));
    let (x0, x1) = (-1.0, 3.0);
    let mut chart = ChartBuilder::on(area)
        .caption("f(x) = x⁴ - 3x³ + 2: the ball's path", (FONT, TITLE))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, -8.0..12.0)?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("f(x)")
        .label_style((FONT, LABEL))
        .axis_desc_style((FONT, LABEL + 2))
        .draw()?;
    let grey = RGBColor(90, 90, 90);
    chart
        .draw_series(LineSeries::new(
            (0..=400).map(|i| {
                let x = x0 + (x1 - x0) * i as f64 / 400.0;
                (x, f(x))
            }),
            grey.stroke_width(2),
        ))?
        .label("f(x)")
        .legend(legend_line(grey));
    let c = plot_colour(AgentKind::Momentum.colour());
    let pts: Vec<(f64, f64)> = track
        .points
        .iter()
        .map(|p| (p.position.x, p.elevation))
        .collect();
    chart
        .draw_series(LineSeries::new(
            pts.iter().copied(),
            c.mix(0.6).stroke_width(1),
        ))?
        .label(format!(
            "momentum from x = {} (α = {}, β = {})",
            quartic::START_X,
            quartic::ALPHA,
            quartic::BETA
        ))
        .legend(legend_line(c));
    chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
    if let Some(&last) = pts.last() {
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(std::iter::once(Circle::new(last, 7, red.filled())))?
            .label(format!("final point x = {:.4}", last.0))
            .legend(move |(x, y)| Circle::new((x + 12, y), 6, red.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, LABEL))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn quartic_iterations(area: &Area<'_>, track: &Track) -> DrawResult {
    let xs: Vec<f64> = track.points.iter().map(|p| p.position.x).collect();
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min).min(0.0) - 0.25;
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) + 0.25;
    let n = xs.len().saturating_sub(1);
    let mut chart = ChartBuilder::on(area)
        .caption("x per iteration", (FONT, TITLE))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(0usize..n, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("x")
        .label_style((FONT, LABEL))
        .axis_desc_style((FONT, LABEL + 2))
        .draw()?;
    let red = RGBColor(214, 39, 40);
    chart
        .draw_series(DashedLineSeries::new(
            [(0, quartic::MINIMUM_X), (n, quartic::MINIMUM_X)],
            10,
            6,
            red.stroke_width(2),
        ))?
        .label("minimum x = 9/4")
        .legend(legend_line(red));
    let c = plot_colour(AgentKind::Momentum.colour());
    chart
        .draw_series(LineSeries::new(
            xs.iter().copied().enumerate(),
            c.stroke_width(2),
        ))?
        .label("x, momentum")
        .legend(legend_line(c));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, LABEL))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Momentum (left) and Nesterov (right) paths over the contours of the double well.
pub fn saddle(
    path: &Path,
    surface: &AnalyticSurface,
    momentum: &[saddle::Run],
    nesterov: &[saddle::Run],
) -> Result<Vec<u8>> {
    let runs = momentum.iter().chain(nesterov);
    let mut b = [-1.5f64, -1.5, 1.5, 1.5];
    for p in runs.flat_map(|r| r.track.points.iter()) {
        b = [
            b[0].min(p.position.x),
            b[1].min(p.position.y),
            b[2].max(p.position.x),
            b[3].max(p.position.y),
        ];
    }
    let pad = 0.1;
    let b = [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad];
    write_png(path, (1600, 820), |root| {
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(800);
        saddle_panel(&left, surface, b, AgentKind::Momentum, momentum)?;
        saddle_panel(&right, surface, b, AgentKind::Nesterov, nesterov)?;
        root.present()?;
        Ok(())
    })
}

fn saddle_panel(
    area: &Area<'_>,
    surface: &AnalyticSurface,
    [x0, y0, x1, y1]: [f64; 4],
    kind: AgentKind,
    runs: &[saddle::Run],
) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{}: f = x⁴ - 2x² + y², α = {}, β = {}",
                if kind == AgentKind::Nesterov {
                    "Nesterov"
                } else {
                    "Momentum"
                },
                saddle::ALPHA,
                saddle::BETA
            ),
            (FONT, TITLE - 2),
        )
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x")
        .y_desc("y")
        .label_style((FONT, LABEL))
        .axis_desc_style((FONT, LABEL + 2))
        .draw()?;
    // Filled colour map and 30 contour lines, as in the notes.
    let n = 160;
    let xs: Vec<f64> = (0..=n)
        .map(|i| x0 + (x1 - x0) * i as f64 / n as f64)
        .collect();
    let ys: Vec<f64> = (0..=n)
        .map(|i| y0 + (y1 - y0) * i as f64 / n as f64)
        .collect();
    let z: Vec<Vec<f64>> = ys
        .iter()
        .map(|&y| xs.iter().map(|&x| surface.value(Xy::new(x, y))).collect())
        .collect();
    let (zmin, zmax) = z
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let stops = [
        (0.0, (68, 1, 84)),
        (0.25, (59, 82, 139)),
        (0.5, (33, 145, 140)),
        (0.75, (94, 201, 98)),
        (1.0, (253, 231, 37)),
    ];
    // Colour by the square root of the height above the minimum, so the
    // wells are not lost in one colour next to the steep rim.
    let shade = |v: f64| ramp(&stops, ((v - zmin) / (zmax - zmin)).sqrt()).mix(0.35);
    chart.draw_series((0..n).flat_map(|i| {
        let (xs, ys, z) = (&xs, &ys, &z);
        (0..n).map(move |j| {
            let v = (z[i][j] + z[i][j + 1] + z[i + 1][j] + z[i + 1][j + 1]) / 4.0;
            Rectangle::new([(xs[j], ys[i]), (xs[j + 1], ys[i + 1])], shade(v).filled())
        })
    }))?;
    let levels = 30;
    for k in 0..levels {
        let t = (k as f64 + 0.5) / levels as f64;
        let level = zmin + (zmax - zmin) * t * t;
        let c = ramp(&stops, t).mix(0.9);
        chart.draw_series(
            contour::segments(&xs, &ys, &z, level)
                .into_iter()
                .map(|s| PathElement::new(s.to_vec(), c.stroke_width(1))),
        )?;
    }
    for (i, run) in runs.iter().enumerate() {
        let c = plot_colour(PALETTE[i % PALETTE.len()]);
        let pts: Vec<(f64, f64)> = run
            .track
            .points
            .iter()
            .map(|p| (p.position.x, p.position.y))
            .collect();
        let end = pts.last().copied().unwrap_or((run.start.x, run.start.y));
        let kick = if run.v0.norm() > 0.0 {
            format!(", v0 = ({}, {})", run.v0.east, run.v0.north)
        } else {
            String::new()
        };
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
            .label(format!(
                "({}, {}){kick} → ({:.3}, {:.3})",
                run.start.x,
                run.start.y,
                end.0 + 0.0,
                end.1 + 0.0
            ))
            .legend(legend_line(c));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, c.filled())))?;
        chart.draw_series(std::iter::once(TriangleMarker::new(
            (run.start.x, run.start.y),
            8,
            c.filled(),
        )))?;
        chart.draw_series(std::iter::once(Cross::new(end, 8, BLACK.stroke_width(2))))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, LABEL - 2))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The walker's and the ball's tracks from Mount Leinster over the
/// terrain (left) and their elevation profiles (right).
pub fn leinster(path: &Path, outcome: &leinster::Outcome) -> Result<Vec<u8>> {
    let t = &outcome.terrain;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in outcome.tracks.iter().flat_map(|t| t.points.iter()) {
        b = [
            b[0].min(p.position.x),
            b[1].min(p.position.y),
            b[2].max(p.position.x),
            b[3].max(p.position.y),
        ];
    }
    let (dx, dy) = ((b[2] - b[0]).max(0.02), (b[3] - b[1]).max(0.02));
    let [w, s, e, n] = t.dem().bounds().to_array();
    let b = [
        (b[0] - 0.15 * dx).max(w),
        (b[1] - 0.15 * dy).max(s),
        (b[2] + 0.15 * dx).min(e),
        (b[3] + 0.15 * dy).min(n),
    ];
    let lat = (b[1] + b[3]) / 2.0;
    let aspect = (b[2] - b[0]) * lat.to_radians().cos() / (b[3] - b[1]);
    let map_h = 760u32;
    let map_w = ((map_h - 120) as f64 * aspect + 150.0).clamp(500.0, 1300.0) as u32;
    write_png(path, (map_w + 700, map_h), |root| {
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(map_w);
        leinster_map(&left, outcome, b)?;
        leinster_profiles(&right, outcome)?;
        root.present()?;
        Ok(())
    })
}

fn track_label(t: &Track, surface: &dyn Surface) -> String {
    let s = t.summary(surface);
    format!(
        "{}: {} steps, {:.1} km, {:.0} m down, {}",
        t.agent.title(),
        s.steps,
        s.length_m / 1000.0,
        s.drop_m,
        s.stop_reason
    )
}

fn leinster_map(area: &Area<'_>, o: &leinster::Outcome, [x0, y0, x1, y1]: [f64; 4]) -> DrawResult {
    let dem = o.terrain.dem();
    let mut chart = ChartBuilder::on(area)
        .caption("From Mount Leinster (SRTM3 N52W007)", (FONT, TITLE - 2))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("longitude (degrees east)")
        .y_desc("latitude (degrees north)")
        .label_style((FONT, LABEL - 2))
        .axis_desc_style((FONT, LABEL))
        .x_label_formatter(&|v| format!("{v:.2}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()?;
    let (r0, c0) = dem.sample_index(Xy::new(x0, y1));
    let (r1, c1) = dem.sample_index(Xy::new(x1, y0));
    let clampi = |v: f64, n: usize| (v.round().max(0.0) as usize).min(n - 1);
    let (r0, r1) = (clampi(r0, dem.rows()), clampi(r1, dem.rows()));
    let (c0, c1) = (clampi(c0, dem.cols()), clampi(c1, dem.cols()));
    let step = ((r1 - r0).max(c1 - c0) / 300).max(1);
    let mut zmax = 1.0f32;
    for r in (r0..=r1).step_by(step) {
        for c in (c0..=c1).step_by(step) {
            zmax = zmax.max(dem.heights[[r, c]]);
        }
    }
    let stops = [
        (0.0, (40, 110, 60)),
        (0.3, (150, 190, 110)),
        (0.6, (200, 170, 110)),
        (0.85, (150, 110, 80)),
        (1.0, (245, 245, 245)),
    ];
    let t = &dem.transform;
    let cells = (r0..=r1)
        .step_by(step)
        .flat_map(|r| (c0..=c1).step_by(step).map(move |c| (r, c)));
    chart.draw_series(cells.map(|(r, c)| {
        let z = dem.heights[[r, c]];
        let colour = if z.is_nan() {
            RGBColor(200, 200, 255)
        } else {
            ramp(&stops, (z / zmax) as f64)
        };
        let half = step as f64 / 2.0;
        let (xa, ya) = t.sample_to_xy(r as f64 - half, c as f64 - half);
        let (xb, yb) = t.sample_to_xy(r as f64 + half, c as f64 + half);
        Rectangle::new([(xa, ya), (xb, yb)], colour.filled())
    }))?;
    for track in &o.tracks {
        let c = plot_colour(track.agent.colour());
        chart
            .draw_series(LineSeries::new(
                track.points.iter().map(|p| (p.position.x, p.position.y)),
                c.stroke_width(3),
            ))?
            .label(track.agent.title())
            .legend(legend_line(c));
        if let Some(end) = track.points.last() {
            chart.draw_series(std::iter::once(Cross::new(
                (end.position.x, end.position.y),
                9,
                c.stroke_width(3),
            )))?;
        }
    }
    let summit = (leinster::SUMMIT.0, leinster::SUMMIT.1);
    chart
        .draw_series(std::iter::once(TriangleMarker::new(
            summit,
            10,
            BLACK.filled(),
        )))?
        .label("Mount Leinster summit")
        .legend(|(x, y)| TriangleMarker::new((x + 12, y), 7, BLACK.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, LABEL - 2))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// An agent, its legend line, and (distance km, elevation m) along its track.
type Profile = (AgentKind, String, Vec<(f64, f64)>);

fn leinster_profiles(area: &Area<'_>, o: &leinster::Outcome) -> DrawResult {
    let profiles: Vec<Profile> = o
        .tracks
        .iter()
        .map(|t| {
            let mut d = 0.0;
            let pts = t
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if i > 0 {
                        d += o.terrain.distance(t.points[i - 1].position, p.position);
                    }
                    (d / 1000.0, p.elevation)
                })
                .collect();
            (t.agent, track_label(t, &o.terrain), pts)
        })
        .collect();
    let all = profiles.iter().flat_map(|p| p.2.iter());
    let xmax = all.clone().map(|p| p.0).fold(0.1, f64::max);
    let zmax = all.map(|p| p.1).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption("Elevation along each track", (FONT, TITLE - 2))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..xmax * 1.02, 0.0..zmax * 1.25)?;
    chart
        .configure_mesh()
        .x_desc("distance along the track (km)")
        .y_desc("elevation (m)")
        .label_style((FONT, LABEL - 2))
        .axis_desc_style((FONT, LABEL))
        .draw()?;
    for (kind, label, pts) in profiles {
        let c = plot_colour(kind.colour());
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(3)))?
            .label(label)
            .legend(legend_line(c));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, LABEL - 4))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
