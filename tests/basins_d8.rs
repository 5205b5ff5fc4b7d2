//! The gd walkers' drainage basins against an independent D8 labelling.
//!
//! The oracle below is written from the textbook definition and shares no
//! code with `downhill::basins` except the Priority-Flood fill (which
//! `src/basins/fill.rs` tests against hand-built examples): each cell
//! drains to the neighbour with the steepest drop per metre of ground
//! distance; a cell with no lower neighbour is a terminal; a basin is every
//! cell with the same terminal.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use downhill::agents::{AgentKind, StepParams, StopRules};
use downhill::basins::{self, crop::crop, BasinOptions, WalkSettings};
use downhill::dem::{self, Dem, LoadOptions};
use downhill::geo::Bounds;
use downhill::terrain::{GradientScheme, RowMetrics};
use ndarray::Array2;

/// D8 basin labels (terminal cell index + 1; 0 on voids).
fn d8_labels(h: &Array2<f32>, m: &RowMetrics, sea_below: Option<f64>) -> Array2<u32> {
    let (rows, cols) = h.dim();
    let mut receiver = vec![usize::MAX; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let z = h[[r, c]];
            if z.is_nan() || sea_below.is_some_and(|s| (z as f64) < s) {
                continue;
            }
            let mut best = (0.0f64, usize::MAX);
            for dr in -1i64..=1 {
                for dc in -1i64..=1 {
                    let (nr, nc) = (r as i64 + dr, c as i64 + dc);
                    if (dr, dc) == (0, 0)
                        || nr < 0
                        || nc < 0
                        || nr >= rows as i64
                        || nc >= cols as i64
                    {
                        continue;
                    }
                    let zn = h[[nr as usize, nc as usize]];
                    if zn.is_nan() {
                        continue;
                    }
                    let dist = (m.dx[r] * dc as f64).hypot(m.dy[r] * dr as f64);
                    let drop = (z as f64 - zn as f64) / dist;
                    if drop > best.0 {
                        best = (drop, nr as usize * cols + nc as usize);
                    }
                }
            }
            receiver[r * cols + c] = best.1;
        }
    }
    let mut label = vec![0u32; rows * cols];
    for start in 0..rows * cols {
        if h[[start / cols, start % cols]].is_nan() || label[start] != 0 {
            continue;
        }
        let mut path = vec![start];
        let mut i = start;
        let terminal = loop {
            if label[i] != 0 {
                break label[i];
            }
            let j = receiver[i];
            if j == usize::MAX {
                break i as u32 + 1;
            }
            path.push(j);
            i = j;
        };
        for p in path {
            label[p] = terminal;
        }
    }
    Array2::from_shape_vec((rows, cols), label).unwrap()
}

/// Share of the cells of D8 basins larger than `min_km2` that fall in the
/// walker basin matched to their D8 basin, basins matched one to one by
/// largest overlap first (so one walker basin cannot claim two D8 basins).
fn agreement(d8: &Array2<u32>, walk: &Array2<u32>, m: &RowMetrics, min_km2: f64) -> (f64, usize) {
    let cols = d8.ncols();
    let mut area: HashMap<u32, f64> = HashMap::new();
    for ((r, _), &d) in d8.indexed_iter() {
        *area.entry(d).or_default() += m.dx[r] * m.dy[r] / 1e6;
    }
    let big: HashMap<u32, f64> = area
        .into_iter()
        .filter(|&(d, a)| d != 0 && a > min_km2)
        .collect();
    let mut overlap: HashMap<(u32, u32), usize> = HashMap::new();
    let mut total = 0usize;
    for (i, (&d, &w)) in d8.iter().zip(walk.iter()).enumerate() {
        let _ = i / cols;
        if big.contains_key(&d) {
            total += 1;
            if w != 0 {
                *overlap.entry((d, w)).or_default() += 1;
            }
        }
    }
    let mut pairs: Vec<((u32, u32), usize)> = overlap.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (mut used_d, mut used_w) = (HashMap::new(), HashMap::new());
    let mut matched = 0usize;
    for ((d, w), n) in pairs {
        if used_d.contains_key(&d) || used_w.contains_key(&w) {
            continue;
        }
        used_d.insert(d, w);
        used_w.insert(w, d);
        matched += n;
    }
    (matched as f64 / total.max(1) as f64, big.len())
}

/// The options of `downhill basins --agent gd --fill` on `dem`.
fn gd_options(dem: &Dem, exact: bool) -> BasinOptions {
    BasinOptions {
        walk: WalkSettings {
            kind: AgentKind::Gd,
            params: StepParams {
                alpha: basins::default_gd_alpha(dem),
                ..StepParams::default_for(AgentKind::Gd)
            },
            rules: StopRules::default(),
            stride: 1,
            exact,
            resolve_stalls: false,
        },
        fill: true,
        min_slope: None,
        scheme: GradientScheme::Central,
    }
}

/// gd basins of `dem` (filled or raw), with the shortcut or `--exact`.
fn run_gd(dem: &Dem, exact: bool, fill: bool) -> basins::BasinRun {
    let mut options = gd_options(dem, exact);
    options.fill = fill;
    basins::compute(dem, &options, &|_| {}, &AtomicBool::new(false)).unwrap()
}

/// The share of cells in the same basin with the shortcut as in full
/// simulation, by the same one-to-one matching, exact basins the reference.
fn same_as_exact(fast: &basins::BasinRun, exact: &basins::BasinRun) -> f64 {
    let metrics = RowMetrics::of(&exact.surface);
    agreement(&exact.basins.labels, &fast.basins.labels, &metrics, 0.0).0
}

/// Walker basins and D8 basins of the same filled surface, and their agreement.
fn compare(dem: &Dem, exact: bool) -> (f64, usize, basins::BasinRun) {
    let run = run_gd(dem, exact, true);
    let metrics = RowMetrics::of(&run.surface);
    let d8 = d8_labels(&run.surface.heights, &metrics, None);
    let (share, n) = agreement(&d8, &run.basins.labels, &metrics, 1.0);
    (share, n, run)
}

fn load(name: &str) -> Dem {
    dem::open(format!("data/{name}").as_ref(), &LoadOptions::default()).unwrap()
}

/// A crop of the Blackstairs (Mount Leinster) small enough for a debug build.
#[test]
fn gd_basins_agree_with_d8_on_a_crop_of_n52w007() {
    let dem = crop(
        &load("N52W007.hgt"),
        Bounds::new(-6.85, 52.58, -6.75, 52.65),
    )
    .unwrap();
    let (share, n, _) = compare(&dem, false);
    println!(
        "N52W007 crop: {n} D8 basins > 1 km², agreement {:.2} %",
        share * 100.0
    );
    assert!(n >= 1);
    assert!(share >= 0.95, "agreement {share}");
}

/// Every bundled tile in full: run with `cargo test --release --test basins_d8 -- --ignored --nocapture`.
#[test]
#[ignore = "full tiles: minutes in a debug build; run with --release"]
fn gd_basins_agree_with_d8_on_the_bundled_tiles() {
    for name in ["N52W007.hgt", "N43E006.hgt", "N43E007.hgt"] {
        let (share, n, run) = compare(&load(name), false);
        println!(
            "{name}: {n} D8 basins > 1 km², agreement {:.2} %, {} walker basins, {:.1} s",
            share * 100.0,
            run.basins.basins.len(),
            run.seconds
        );
        assert!(share >= 0.95, "{name}: agreement {share}");
    }
}

/// How far the gd shortcut departs from full simulation: run with
/// `cargo test --release --test basins_d8 -- --ignored --nocapture`.
#[test]
#[ignore = "full simulation of every walker: run with --release"]
fn gd_shortcut_stays_close_to_exact() {
    let dem = crop(&load("N52W007.hgt"), Bounds::new(-6.9, 52.55, -6.7, 52.7)).unwrap();
    let (share_fast, _, fast) = compare(&dem, false);
    let (share_exact, n, exact) = compare(&dem, true);
    let same = same_as_exact(&fast, &exact);
    println!(
        "crop: shortcut vs exact {:.2} % of cells; D8 agreement ({n} basins > 1 km²) {:.2} % exact, {:.2} % shortcut; steps {} exact, {} shortcut",
        same * 100.0,
        share_exact * 100.0,
        share_fast * 100.0,
        exact.walks.steps,
        fast.walks.steps
    );
    assert!(same >= 0.99, "{same}");
}

/// The shortcut against full simulation on a crop small enough for every
/// `cargo test`: the same basin for at least 99 % of the cells.
#[test]
fn gd_shortcut_matches_exact_on_a_small_crop() {
    let dem = crop(
        &load("N52W007.hgt"),
        Bounds::new(-6.82, 52.60, -6.77, 52.64),
    )
    .unwrap();
    let (fast, exact) = (run_gd(&dem, false, true), run_gd(&dem, true, true));
    let same = same_as_exact(&fast, &exact);
    assert!(same >= 0.99, "shortcut vs exact: {same}");
    assert!(
        fast.walks.steps * 10 < exact.walks.steps,
        "the shortcut saved too little: {} against {} steps",
        fast.walks.steps,
        exact.walks.steps
    );
}

/// The shortcut's result does not depend on how many threads run it: a
/// walker that needs a lower start's ending nobody has finished computes it.
#[test]
fn gd_shortcut_is_the_same_on_one_and_on_three_threads() {
    let dem = crop(
        &load("N52W007.hgt"),
        Bounds::new(-6.85, 52.58, -6.75, 52.65),
    )
    .unwrap();
    let run_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run_gd(&dem, false, true))
    };
    let one = run_on(1);
    let three = run_on(3);
    assert!(one.walks.starts > 5000);
    assert_eq!(one.walks.end, three.walks.end);
    assert_eq!(one.walks.ending, three.walks.ending);
    assert_eq!(one.basins.labels, three.basins.labels);
}

/// On a filled surface a walker whose step budget runs out finishes by D8
/// moves, like a stalled one: with a budget of 3 steps every walker of the
/// crop still reaches an outlet on the crop's edge, none ends at max-steps.
#[test]
fn out_of_budget_walkers_on_a_filled_surface_still_reach_the_edge() {
    let dem = crop(
        &load("N52W007.hgt"),
        Bounds::new(-6.82, 52.60, -6.77, 52.64),
    )
    .unwrap();
    let mut options = gd_options(&dem, false);
    options.walk.rules.max_steps = 3;
    let run = basins::compute(&dem, &options, &|_| {}, &AtomicBool::new(false)).unwrap();
    assert!(run.walks.starts > 1000);
    let edge = basins::Ending::Edge as u8;
    let not_edge = run.walks.ending.iter().filter(|&&e| e != edge).count();
    assert_eq!(not_edge, 0, "{not_edge} walkers did not reach the edge");
    // Their outlets are edge cells.
    let (rows, cols) = dem.heights.dim();
    for &end in &run.walks.end {
        let (r, c) = (end as usize / cols, end as usize % cols);
        assert!(r == 0 || c == 0 || r + 1 == rows || c + 1 == cols);
    }
}

/// The shortcut without `--fill`, where walkers settle in the raw
/// terrain's own pits: run with
/// `cargo test --release --test basins_d8 -- --ignored --nocapture`.
#[test]
#[ignore = "full simulation of every walker: run with --release"]
fn raw_gd_shortcut_stays_close_to_exact() {
    let dem = crop(&load("N52W007.hgt"), Bounds::new(-6.9, 52.55, -6.7, 52.7)).unwrap();
    let (fast, exact) = (run_gd(&dem, false, false), run_gd(&dem, true, false));
    let same = same_as_exact(&fast, &exact);
    println!(
        "raw crop: shortcut vs exact {:.2} % of cells; basins {} exact, {} shortcut; steps {} exact, {} shortcut",
        same * 100.0,
        exact.basins.basins.len(),
        fast.basins.basins.len(),
        exact.walks.steps,
        fast.walks.steps
    );
    assert!(same >= 0.98, "{same}");
}
