//! The tiled fill against the in-memory Priority-Flood (bit for bit) and
//! against an independent brute-force definition of the ε fill.

mod common;
mod dem_support;

use common::labels::{best_match_agreement, read_u32_tiff};

use std::path::PathBuf;

use downhill::basins::fill::next_up;
use downhill::basins::tiled::{FillSettings, TileSet, TiledFill};
use downhill::basins::{priority_flood_to_sea, Ending};
use downhill::dem::{self, Crs, Dem, GeoTransform, LoadOptions, SeaLevel, SeaMask};
use downhill::terrain::RowMetrics;
use ndarray::Array2;

/// The whole mosaic assembled from the tiled fill's blocks.
fn tiled_fill(tiles: &TileSet, settings: FillSettings) -> (Array2<f32>, TiledFill) {
    let plan = TiledFill::plan(tiles, settings, &|_| {}).expect("tiled fill");
    eprintln!(
        "{} blocks: {} labels, {} spill edges, {} rounds, {} block floods, restarted {}",
        tiles.blocks().len(),
        plan.labels,
        plan.spill_edges,
        plan.rounds,
        plan.block_floods,
        plan.restarted
    );
    let (rows, cols) = tiles.dim();
    let mut out = Array2::from_elem((rows, cols), f32::NAN);
    for (k, b) in tiles.blocks().iter().enumerate() {
        let filled = plan.block(tiles, k).expect("block").filled;
        out.slice_mut(ndarray::s![b.r0..b.r0 + b.rows, b.c0..b.c0 + b.cols])
            .assign(&filled);
    }
    (out, plan)
}

/// The in-memory fill of `dem`, with the sea [`SeaMask::detect`] finds in
/// the whole grid when `settings` has one.
fn memory_fill(dem: &Dem, settings: FillSettings) -> Array2<f32> {
    let mut h = dem.heights.clone();
    let sea = settings.sea.map(|l| SeaMask::detect(&dem.heights, l));
    priority_flood_to_sea(
        &mut h,
        &RowMetrics::of(dem),
        settings.min_slope,
        settings.sea_below,
        sea.as_ref(),
    );
    h
}

/// Number of samples whose bits differ (NaN equals NaN).
fn differences(a: &Array2<f32>, b: &Array2<f32>) -> usize {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .filter(|(x, y)| x.to_bits() != y.to_bits() && !(x.is_nan() && y.is_nan()))
        .count()
}

/// A grid in memory on a geographic lattice (so rows differ in width).
fn grid(heights: Array2<f32>) -> Dem {
    Dem {
        heights,
        transform: GeoTransform {
            origin_x: 6.0,
            origin_y: 44.0,
            cell_x: 1.0 / 1200.0,
            cell_y: 1.0 / 1200.0,
        },
        crs: Crs::Geographic,
        inputs: Vec::new(),
    }
}

/// A small deterministic pseudo-random generator (xorshift), so the test
/// needs no seed handling.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Terrain with many pits, flats and a few voids: a coarse random relief
/// plus noise, heights rounded to whole metres so that flats and ties
/// are common.
fn pitted(rows: usize, cols: usize, seed: u64, voids: bool) -> Array2<f32> {
    let mut rng = Xorshift(seed);
    let coarse: Vec<f64> = (0..64).map(|_| rng.next() * 40.0).collect();
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let k = (r / 7 % 8) * 8 + c / 7 % 8;
        let z = (coarse[k] + rng.next() * 6.0).round() as f32;
        if voids && rng.next() < 0.01 {
            f32::NAN
        } else {
            z
        }
    })
}

/// Brute force of the ε = one ulp fill from its definition, with no
/// priority queue: the smallest surface `F >= z` that keeps outlets (edge
/// samples, samples next to a void) at their heights and gives every other
/// sample a neighbour with `F(c) >= next_up(F(n))`, found by relaxing
/// `F(c) = max(z(c), min over neighbours of next_up(F(n)))` from `+inf`
/// until nothing changes.
fn brute_force_fill(z: &Array2<f32>) -> Array2<f32> {
    let (rows, cols) = z.dim();
    let at = |r: isize, c: isize| -> Option<(usize, usize)> {
        (r >= 0 && c >= 0 && (r as usize) < rows && (c as usize) < cols)
            .then_some((r as usize, c as usize))
    };
    let outlet = |r: usize, c: usize| {
        r == 0
            || c == 0
            || r + 1 == rows
            || c + 1 == cols
            || (-1..=1).any(|dr| {
                (-1..=1)
                    .any(|dc| at(r as isize + dr, c as isize + dc).is_some_and(|p| z[p].is_nan()))
            })
    };
    let mut f = Array2::from_shape_fn((rows, cols), |(r, c)| {
        if z[[r, c]].is_nan() || outlet(r, c) {
            z[[r, c]]
        } else {
            f32::INFINITY
        }
    });
    loop {
        let mut changed = false;
        for r in 0..rows {
            for c in 0..cols {
                if z[[r, c]].is_nan() || outlet(r, c) {
                    continue;
                }
                let mut best = f32::INFINITY;
                for dr in -1..=1 {
                    for dc in -1..=1 {
                        if let Some(p) = at(r as isize + dr, c as isize + dc) {
                            if (dr, dc) != (0, 0) && !f[p].is_nan() && f[p].is_finite() {
                                best = best.min(next_up(f[p]));
                            }
                        }
                    }
                }
                let v = z[[r, c]].max(best);
                if v < f[[r, c]] {
                    f[[r, c]] = v;
                    changed = true;
                }
            }
        }
        if !changed {
            return f;
        }
    }
}

const ULP: FillSettings = FillSettings {
    min_slope: 0.0,
    sea_below: None,
    sea: None,
};

/// [`ULP`] with SRTM's sea (exactly 0 m connected to the edge).
const ULP_SEA: FillSettings = FillSettings {
    sea: Some(SeaLevel::SrtmZero),
    ..ULP
};

#[test]
fn brute_force_agrees_with_in_memory_and_tiled_fill() {
    if common::ran_in_the_first_pass() {
        return;
    }
    for seed in 1..=6u64 {
        let (rows, cols) = (23 + seed as usize, 31 - seed as usize);
        let z = pitted(rows, cols, seed * 7919, seed % 2 == 0);
        let reference = brute_force_fill(&z);
        let dem = grid(z);
        let memory = memory_fill(&dem, ULP);
        assert_eq!(
            differences(&memory, &reference),
            0,
            "seed {seed}: in memory"
        );
        // The fill must have raised something, or the test proves little.
        assert!(memory.iter().zip(dem.heights.iter()).any(|(f, z)| f > z));
        for block in [2, 5, 9] {
            let tiles = TileSet::from_dem(dem.clone(), block).expect("blocks");
            let (tiled, _) = tiled_fill(&tiles, ULP);
            assert_eq!(
                differences(&tiled, &reference),
                0,
                "seed {seed}, block {block}: tiled"
            );
        }
    }
}

#[test]
fn tiled_fill_with_a_minimum_slope_and_a_sea_level_equals_in_memory() {
    if common::ran_in_the_first_pass() {
        return;
    }
    for seed in 1..=4u64 {
        let z = pitted(40, 37, seed * 104_729, seed % 2 == 1);
        let dem = grid(z);
        for settings in [
            FillSettings {
                min_slope: 0.01,
                sea_below: None,
                sea: None,
            },
            FillSettings {
                min_slope: 0.001,
                sea_below: Some(8.0),
                sea: None,
            },
            FillSettings {
                min_slope: 0.0,
                sea_below: Some(15.0),
                sea: None,
            },
        ] {
            let memory = memory_fill(&dem, settings);
            for block in [3, 8, 13] {
                let tiles = TileSet::from_dem(dem.clone(), block).expect("blocks");
                let (tiled, _) = tiled_fill(&tiles, settings);
                assert_eq!(
                    differences(&tiled, &memory),
                    0,
                    "seed {seed}, block {block}, {settings:?}"
                );
            }
        }
    }
}

fn provence() -> Vec<PathBuf> {
    vec![
        dem_support::data("N43E006.hgt"),
        dem_support::data("N43E007.hgt"),
    ]
}

/// The bundled Provence pair, one block per tile, against the in-memory
/// fill of the loaded mosaic.
#[test]
fn provence_pair_tiled_fill_equals_in_memory_bit_for_bit() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let options = LoadOptions::default();
    let dem = dem::open_all(&provence(), &options).expect("mosaic");
    let memory = memory_fill(&dem, ULP);
    let tiles = TileSet::from_files(&provence(), &options).expect("tiles");
    assert_eq!(tiles.blocks().len(), 2);
    assert_eq!(tiles.dim(), dem.heights.dim());
    assert_eq!(tiles.blocks()[0].name, "N43E006");
    let (tiled, plan) = tiled_fill(&tiles, ULP);
    let raised = memory
        .iter()
        .zip(dem.heights.iter())
        .filter(|(f, z)| f > z)
        .count();
    assert!(raised > 1000, "the fill raised only {raised} samples");
    assert_eq!(differences(&tiled, &memory), 0);
    assert!(plan.rounds >= 1);
}

/// One SRTM3 tile cut into 3 x 3 blocks (401 samples), default ε.
#[test]
fn srtm3_tile_in_3x3_blocks_equals_in_memory_bit_for_bit() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let path = dem_support::data("N43E006.hgt");
    let options = LoadOptions::default();
    let dem = dem::open(&path, &options).expect("tile");
    let memory = memory_fill(&dem, ULP);
    let tiles = TileSet::from_raster(&path, 401, &options).expect("blocks");
    assert_eq!(tiles.blocks().len(), 9);
    let (tiled, plan) = tiled_fill(&tiles, ULP);
    assert_eq!(differences(&tiled, &memory), 0, "{} rounds", plan.rounds);
}

/// An SRTM1-sized raster (3601 x 3601, the Provence tile upsampled three
/// times by repetition and a gentle tilt) cut into 3 x 3 blocks. Slow in a
/// debug build: `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn srtm1_sized_raster_in_3x3_blocks_equals_in_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dem::open(&dem_support::data("N43E006.hgt"), &LoadOptions::default())
        .expect("tile")
        .heights;
    let path = dem_support::write_hgt(dir.path(), "N43E006.hgt", 3601, |r, c| {
        let z = src[[r / 3, c / 3]];
        if z.is_nan() {
            -32768
        } else {
            z as i16
        }
    });
    let dem = dem::open(&path, &LoadOptions::default()).expect("SRTM1 tile");
    let memory = memory_fill(&dem, ULP);
    let tiles = TileSet::from_raster(&path, 1201, &LoadOptions::default()).expect("blocks");
    assert_eq!(tiles.blocks().len(), 9);
    let (tiled, _) = tiled_fill(&tiles, ULP);
    assert_eq!(differences(&tiled, &memory), 0);
}

/// The tiled basins run on `tiles` (written into `dir`) against the
/// in-memory `basins --fill` run of the same mosaic `dem`, with the sea
/// [`SeaMask::detect`] finds in the whole mosaic when `settings` has one:
/// the same cells without a basin (sea, voids) exactly, the same number of
/// sea samples, and the same basin for at least `min_agreement` of the
/// cells. Returns the assembled tiled labels and the agreement.
fn basins_match(
    dem: &Dem,
    tiles: &TileSet,
    settings: FillSettings,
    dir: &std::path::Path,
    min_agreement: f64,
) -> (Array2<u32>, f64) {
    use downhill::agents::{AgentKind, StepParams, StopRules};
    use downhill::basins::tiled::run::{run, TiledOptions};
    use downhill::basins::{compute_within, default_gd_alpha, BasinOptions, WalkSettings};
    use downhill::terrain::GradientScheme;
    use std::sync::atomic::AtomicBool;
    let walk = WalkSettings {
        kind: AgentKind::Gd,
        params: StepParams {
            alpha: default_gd_alpha(dem),
            ..StepParams::default_for(AgentKind::Gd)
        },
        rules: StopRules::default(),
        stride: 1,
        exact: false,
        resolve_stalls: false,
    };
    let cancel = AtomicBool::new(false);
    let sea = settings.sea.map(|l| SeaMask::detect(&dem.heights, l));
    let memory = compute_within(
        dem,
        &BasinOptions {
            walk,
            fill: true,
            min_slope: None,
            scheme: GradientScheme::Central,
        },
        sea.as_ref(),
        &|_| {},
        &cancel,
        None,
    )
    .expect("in-memory basins");
    let summary = run(
        tiles,
        &TiledOptions {
            walk,
            fill: settings,
            scheme: GradientScheme::Central,
            max_block_steps: None,
        },
        dir,
        false,
        &|_| {},
        &cancel,
    )
    .expect("tiled basins");
    let (rows, cols) = tiles.dim();
    let mut tiled = Array2::<u32>::zeros((rows, cols));
    for b in tiles.blocks() {
        let t = read_u32_tiff(&dir.join("tiles").join(format!("{}.tif", b.name)));
        tiled
            .slice_mut(ndarray::s![b.r0..b.r0 + b.rows, b.c0..b.c0 + b.cols])
            .assign(&t);
    }
    let sea_samples = sea.as_ref().map_or(0, |s| s.samples()) as u64;
    assert_eq!(summary.sea_samples, sea_samples);
    let unlabelled = |l: &Array2<u32>| l.iter().filter(|&&v| v == 0).count();
    let zeros_differ = tiled
        .iter()
        .zip(memory.basins.labels.iter())
        .filter(|(a, b)| (**a == 0) != (**b == 0))
        .count();
    assert_eq!(
        zeros_differ,
        0,
        "cells without a basin: {} tiled, {} in memory",
        unlabelled(&tiled),
        unlabelled(&memory.basins.labels)
    );
    let agreement = best_match_agreement(&tiled, &memory.basins.labels);
    let sea_basins = |endings: Vec<Ending>| endings.iter().filter(|&&e| e == Ending::Sea).count();
    eprintln!(
        "{} blocks: {} tiled basins ({} at sea), {} in memory ({} at sea), {} sea samples, \
         agreement {:.5}",
        summary.tiles,
        summary.basins,
        sea_basins(read_sinks(&dir.join("sinks.geojson"))),
        memory.basins.basins.len(),
        sea_basins(memory.basins.basins.iter().map(|b| b.ending).collect()),
        sea_samples,
        agreement
    );
    assert!(agreement >= min_agreement, "agreement {agreement}");
    (tiled, agreement)
}

/// The endings of the outlets in a `sinks.geojson`.
fn read_sinks(path: &std::path::Path) -> Vec<Ending> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("sinks")).expect("json");
    v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let e = f["properties"]["ending"].as_str().expect("ending");
            if e == Ending::Sea.as_str() {
                Ending::Sea
            } else {
                Ending::Edge
            }
        })
        .collect()
}

/// [`basins_match`] on the files `paths` (block `block` if given), at
/// 99.9 %; and, with gdal-bin, `basins.vrt` holds the same cells as the
/// assembled tiles (GDAL checksums).
fn tiled_basins_match(paths: &[PathBuf], block: Option<usize>, settings: FillSettings) {
    let options = LoadOptions::default();
    let dem = dem::open_all(paths, &options).expect("mosaic");
    let tiles = match block {
        Some(n) => TileSet::from_raster(&paths[0], n, &options),
        None => TileSet::from_files(paths, &options),
    }
    .expect("tiles");
    let dir = tempfile::tempdir().expect("temp dir");
    let (tiled, _) = basins_match(&dem, &tiles, settings, dir.path(), 0.999);
    if !dem_support::have_tool("gdalinfo") {
        common::skipped("gdalinfo (gdal-bin) is not installed; basins.vrt not checked");
        return;
    }
    // The assembled tiles written as one GeoTIFF; GDAL's checksums of it
    // and of the VRT must agree, and so must the VRT's size and placement.
    let whole = dir.path().join("whole.tif");
    downhill::basins::geotiff::write_labels(&whole, &tiled, &tiles.transform(), tiles.crs())
        .expect("whole tif");
    let checksum = |p: &std::path::Path| {
        let text = dem_support::run("gdalinfo", &["-json", "-checksum", &p.to_string_lossy()]);
        let v: serde_json::Value = serde_json::from_str(&text).expect("gdalinfo json");
        let sum = v["bands"][0]["checksum"].as_i64();
        assert!(sum.is_some(), "no checksum for {}", p.display());
        sum
    };
    let vrt = dir.path().join("basins.vrt");
    assert_eq!(checksum(&vrt), checksum(&whole));
    let gt = dem_support::gdal_geotransform(&vrt);
    let t = tiles.transform();
    assert!((gt[0] - t.origin_x).abs() < 1e-9 && (gt[3] - t.origin_y).abs() < 1e-9);
    assert!((gt[1] - t.cell_x).abs() < 1e-12 && (gt[5] + t.cell_y).abs() < 1e-12);
}

#[test]
fn srtm3_tile_in_3x3_blocks_gives_the_in_memory_basins() {
    if common::ran_in_the_first_pass() {
        return;
    }
    tiled_basins_match(&[dem_support::data("N43E006.hgt")], Some(401), ULP);
}

/// The Provence pair, one block per tile. Slow in a debug build.
#[test]
#[ignore]
fn provence_pair_gives_the_in_memory_basins() {
    if common::ran_in_the_first_pass() {
        return;
    }
    tiled_basins_match(&provence(), None, ULP);
}

/// The SRTM3 tile (the coast from Toulon to Cannes) in 3 x 3 blocks with
/// SRTM's sea on, as `basins --tiled` runs it by default on SRTM tiles.
#[test]
fn srtm3_tile_in_3x3_blocks_with_the_sea_gives_the_in_memory_basins() {
    if common::ran_in_the_first_pass() {
        return;
    }
    tiled_basins_match(&[dem_support::data("N43E006.hgt")], Some(401), ULP_SEA);
}

/// The Provence pair with the sea on. Slow in a debug build.
#[test]
#[ignore]
fn provence_pair_with_the_sea_gives_the_in_memory_basins() {
    tiled_basins_match(&provence(), None, ULP_SEA);
}

/// Land sloping west to a coast, with (heights in metres, 0 m = sea):
/// - a sea of 8 x 13 = 104 samples on the west edge (rows 10..18), which
///   no block of 3, 8 or 13 holds 100 samples of: sea only summed over
///   the blocks it crosses;
/// - a 0 m patch of 9 x 11 = 99 samples on the west edge: land;
/// - a 0 m lagoon in the middle that reaches the grid's north edge only
///   through a one-sample channel running through other blocks: sea;
/// - an inland 0 m lake: land; a few voids; pits and flats from noise.
fn coastal(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = Xorshift(seed);
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let sea = (10..18).contains(&r) && c < 13;
        let small = (22..31).contains(&r) && c < 11;
        let lagoon = (14..26).contains(&r) && (18..30).contains(&c);
        let channel = (r == 14 && (14..18).contains(&c)) || (c == 14 && r < 14);
        let lake = (36..40).contains(&r) && (20..26).contains(&c);
        let noise = rng.next();
        if sea || small || lagoon || channel || lake {
            0.0
        } else if noise < 0.004 {
            f32::NAN
        } else {
            let z = 3.0 + 0.4 * c as f64 + 1.5 * (1.0 + (r as f64 / 4.0).sin()) + noise * 2.5;
            z.round() as f32
        }
    })
}

/// The tiled fill with the sea against the in-memory fill with the sea
/// [`SeaMask::detect`] finds in the whole grid, bit for bit, on
/// [`coastal`] in blocks of 3, 8 and 13; every block's sea samples are
/// detect's, and the sea changes the fill (so the test sees it).
#[test]
fn tiled_fill_with_the_sea_equals_in_memory() {
    if common::ran_in_the_first_pass() {
        return;
    }
    for seed in 1..=3u64 {
        let dem = grid(coastal(44, 41, seed * 7727));
        let whole = SeaMask::detect(&dem.heights, SeaLevel::SrtmZero);
        // The 104-sample sea, the lagoon and its channel; not the rest.
        assert!(whole.is_sea_sample(12, 3) && whole.is_sea_sample(20, 20));
        assert!(whole.is_sea_sample(0, 14) && whole.is_sea_sample(5, 14));
        assert!(!whole.is_sea_sample(25, 3) && !whole.is_sea_sample(37, 22));
        let memory = memory_fill(&dem, ULP_SEA);
        assert!(differences(&memory, &memory_fill(&dem, ULP)) > 0);
        for block in [3, 8, 13] {
            let tiles = TileSet::from_dem(dem.clone(), block).expect("blocks");
            let (tiled, plan) = tiled_fill(&tiles, ULP_SEA);
            assert_eq!(
                plan.sea_samples() as usize,
                whole.samples(),
                "block {block}"
            );
            assert_eq!(
                differences(&tiled, &memory),
                0,
                "seed {seed}, block {block}"
            );
            for (k, b) in tiles.blocks().iter().enumerate() {
                let sea = plan.block(&tiles, k).expect("block").sea.expect("sea");
                for ((r, c), &s) in sea.indexed_iter() {
                    assert_eq!(s, whole.is_sea_sample(b.r0 + r, b.c0 + c));
                }
            }
        }
    }
}

/// The tiled basins with the sea on [`coastal`] (a larger copy) against
/// the in-memory basins: the same sea samples and the same cells without
/// a basin, exactly. On this small, noisy grid the tiled engine's gd
/// hand-off alone (no sea) keeps only about 98.6 % of the cells in the
/// in-memory basin (its pits and flats are cut by block edges every 13 or
/// 30 samples); the sea must not cost more than half a point on top of
/// that (the 99.9 % bound is checked on the SRTM tile).
#[test]
fn tiled_basins_with_the_sea_on_a_synthetic_coast_equal_in_memory() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let dem = grid(coastal(90, 84, 4241));
    for block in [13, 30] {
        let tiles = TileSet::from_dem(dem.clone(), block).expect("blocks");
        let dir = tempfile::tempdir().expect("temp dir");
        let (_, without) = basins_match(&dem, &tiles, ULP, dir.path(), 0.98);
        let dir = tempfile::tempdir().expect("temp dir");
        let (_, with) = basins_match(&dem, &tiles, ULP_SEA, dir.path(), 0.98);
        assert!(
            with >= without - 0.005,
            "block {block}: agreement {with} with the sea, {without} without"
        );
    }
}

/// The Provence pair, one block per tile, with the sea: the tiled fill
/// equals the in-memory fill with detect's sea bit for bit, and finds the
/// same sea samples.
#[test]
fn provence_pair_tiled_fill_with_the_sea_equals_in_memory_bit_for_bit() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let options = LoadOptions::default();
    let dem = dem::open_all(&provence(), &options).expect("mosaic");
    let whole = SeaMask::detect(&dem.heights, SeaLevel::SrtmZero);
    assert!(whole.samples() > 10_000, "{} sea samples", whole.samples());
    let memory = memory_fill(&dem, ULP_SEA);
    let tiles = TileSet::from_files(&provence(), &options).expect("tiles");
    let (tiled, plan) = tiled_fill(&tiles, ULP_SEA);
    assert_eq!(plan.sea_samples() as usize, whole.samples());
    assert_eq!(differences(&tiled, &memory), 0);
}

/// The tiled momentum (or Nesterov) run on `paths` (block `block` if
/// given), walkers on every `stride`-th row and column, against the
/// in-memory `basins --fill` run with the same walkers: the same basin
/// (partition match over the starts; every other cell is 0 in both) for at
/// least 99.9 % of the starts. `fill` says whether the sea is on (both
/// runs then stop the walkers at the sea [`SeaMask::detect`] finds in the
/// whole mosaic). Returns the tiled run's summary.
fn tiled_momentum_match(
    paths: &[PathBuf],
    block: Option<usize>,
    kind: downhill::agents::AgentKind,
    stride: usize,
    fill: FillSettings,
) -> downhill::basins::tiled::run::TiledRun {
    use downhill::agents::{StepParams, StopRules};
    use downhill::basins::tiled::run::{run, TiledOptions};
    use downhill::basins::{compute_within, BasinOptions, WalkSettings};
    use downhill::terrain::GradientScheme;
    use std::sync::atomic::AtomicBool;
    let options = LoadOptions::default();
    let dem = dem::open_all(paths, &options).expect("mosaic");
    let walk = WalkSettings {
        kind,
        params: StepParams::default_for(kind),
        rules: StopRules::default(),
        stride,
        exact: false,
        resolve_stalls: false,
    };
    let cancel = AtomicBool::new(false);
    let sea = fill.sea.map(|l| SeaMask::detect(&dem.heights, l));
    let memory = compute_within(
        &dem,
        &BasinOptions {
            walk,
            fill: true,
            min_slope: None,
            scheme: GradientScheme::Central,
        },
        sea.as_ref(),
        &|_| {},
        &cancel,
        None,
    )
    .expect("in-memory basins");
    let tiles = match block {
        Some(n) => TileSet::from_raster(&paths[0], n, &options),
        None => TileSet::from_files(paths, &options),
    }
    .expect("tiles");
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(
        &tiles,
        &TiledOptions {
            walk,
            fill,
            scheme: GradientScheme::Central,
            max_block_steps: None,
        },
        dir.path(),
        false,
        &|_| {},
        &cancel,
    )
    .expect("tiled basins");
    let (rows, cols) = tiles.dim();
    let mut tiled = Array2::<u32>::zeros((rows, cols));
    for b in tiles.blocks() {
        let t = read_u32_tiff(&dir.path().join("tiles").join(format!("{}.tif", b.name)));
        tiled
            .slice_mut(ndarray::s![b.r0..b.r0 + b.rows, b.c0..b.c0 + b.cols])
            .assign(&t);
    }
    // Cells off the starts' grid are 0 in both.
    let off_grid = |l: &Array2<u32>| {
        l.indexed_iter()
            .filter(|((r, c), &v)| (r % stride != 0 || c % stride != 0) && v != 0)
            .count()
    };
    assert_eq!((off_grid(&tiled), off_grid(&memory.basins.labels)), (0, 0));
    let starts = |l: &Array2<u32>| l.slice(ndarray::s![..;stride, ..;stride]).to_owned();
    let agreement = best_match_agreement(&starts(&tiled), &starts(&memory.basins.labels));
    let reverse = best_match_agreement(&starts(&memory.basins.labels), &starts(&tiled));
    eprintln!(
        "{kind} stride {stride}, {} blocks: {} tiled basins, {} in memory, agreement {:.5} \
         (reverse {:.5}); \
         {} hand-offs of {} walkers in {} rounds",
        summary.tiles,
        summary.basins,
        memory.basins.basins.len(),
        agreement,
        reverse,
        summary.handoffs,
        summary.walkers_handed_off,
        summary.walk_rounds
    );
    assert!(agreement >= 0.999, "agreement {agreement}");
    // Both ways: a basin split in two would still match one way.
    assert!(reverse >= 0.999, "reverse agreement {reverse}");
    assert_eq!(
        summary.basins,
        memory.basins.basins.len(),
        "the same number of basins"
    );
    summary
}

#[test]
fn srtm3_tile_in_3x3_blocks_gives_the_in_memory_momentum_basins() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let s = tiled_momentum_match(
        &[dem_support::data("N43E006.hgt")],
        Some(401),
        downhill::agents::AgentKind::Momentum,
        8,
        ULP,
    );
    // Walkers did cross block edges, some more than once.
    assert!(s.walkers_handed_off > 0 && s.handoffs > s.walkers_handed_off);
    assert!(s.walk_rounds >= 2);
}

#[test]
fn srtm3_tile_in_3x3_blocks_gives_the_in_memory_nesterov_basins() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let s = tiled_momentum_match(
        &[dem_support::data("N43E006.hgt")],
        Some(401),
        downhill::agents::AgentKind::Nesterov,
        8,
        ULP,
    );
    assert!(s.walkers_handed_off > 0 && s.handoffs > s.walkers_handed_off);
}

/// The same tile with SRTM's sea (the coast from Toulon to Cannes):
/// momentum and Nesterov balls stop at the same coast as in memory,
/// including where a step lands beyond what its block knows of the sea
/// and the block that does makes the test.
#[test]
fn srtm3_tile_in_3x3_blocks_with_the_sea_gives_the_in_memory_momentum_and_nesterov_basins() {
    if common::ran_in_the_first_pass() {
        return;
    }
    for kind in [
        downhill::agents::AgentKind::Momentum,
        downhill::agents::AgentKind::Nesterov,
    ] {
        let s = tiled_momentum_match(
            &[dem_support::data("N43E006.hgt")],
            Some(401),
            kind,
            16,
            ULP_SEA,
        );
        assert!(s.sea_samples > 0 && s.walkers_handed_off > 0);
    }
}

/// The Provence pair, one block per tile, momentum and Nesterov. Slow in a
/// debug build (stride 4: 180 000 walkers each): `cargo test --release
/// --test basins_tiled -- --ignored`.
#[test]
#[ignore]
fn provence_pair_gives_the_in_memory_momentum_and_nesterov_basins() {
    for kind in [
        downhill::agents::AgentKind::Momentum,
        downhill::agents::AgentKind::Nesterov,
    ] {
        let s = tiled_momentum_match(&provence(), None, kind, 4, ULP);
        assert!(s.walkers_handed_off > 0);
    }
}

/// What `--tiled` does not do yet is refused with one clear line (exit 2),
/// before any tile is read.
#[test]
fn tiled_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tile = dem_support::data("N43E006.hgt");
    let out = dir.path().join("out");
    for (extra, expect) in [
        (&["--no-sea", "--stride", "2"][..], "--stride"),
        (
            &["--no-sea", "--agent", "momentum", "--stop-below", "0"][..],
            "--stop-below",
        ),
    ] {
        let mut cmd = common::downhill();
        cmd.args(["-q", "basins"])
            .arg(&tile)
            .args(["--tiled", "--fill", "--out"])
            .arg(&out)
            .args(extra);
        let o = cmd.output().expect("run downhill");
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expect), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert!(!out.join("summary.json").exists());
}

/// A build without the `mpi` feature started by mpirun (its environment
/// says so) refuses, instead of running the whole mosaic once per process
/// into the same directory.
#[cfg(not(feature = "mpi"))]
#[test]
fn tiled_without_the_mpi_feature_refuses_to_run_under_mpirun() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let o = common::downhill()
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .args(["-q", "basins"])
        .arg(dem_support::data("N43E006.hgt"))
        .args(["--tiled", "--fill", "--no-sea", "--out"])
        .arg(&out)
        .output()
        .expect("run downhill");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--features mpi"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.exists());
}

/// The merge of the blocks' exits joins, by hand-made local basins on four
/// 5 x 5 blocks of a 10 x 10 grid (hand-checked expectations): a basin
/// leaving its block onto a sea sample joins the basin of the block
/// holding that sample whose walkers reached the sea there (sea samples
/// carry no walker label to join by), two blocks' basins reaching the same
/// sea sample of a third block are one basin at sea, and a basin leaving
/// onto land joins the basin of the walker started there.
#[test]
fn merge_exits_gives_one_basin_per_sea_sample_reached() {
    use downhill::basins::tiled::walkers::{merge_exits, LocalBasin};
    let tiles = TileSet::from_dem(grid(Array2::zeros((10, 10))), 5).expect("blocks");
    assert_eq!(tiles.blocks().len(), 4);
    let basin = |outlet, exits, ending, area_km2| LocalBasin {
        outlet,
        exits,
        ending,
        elevation: 0.0,
        area_km2,
    };
    let locals = vec![
        // Block 0 (rows 0..5, cols 0..5).
        vec![
            basin((2, 5), true, Ending::Sea, 1.0),
            basin((3, 5), true, Ending::Edge, 2.0),
        ],
        // Block 1 (rows 0..5, cols 5..10): sea at (2, 5) and (4, 5).
        vec![
            basin((4, 7), false, Ending::Converged, 4.0),
            basin((2, 5), false, Ending::Sea, 8.0),
        ],
        // Blocks 2 and 3 (rows 5..10): both reach the sea at (4, 5).
        vec![basin((4, 5), true, Ending::Sea, 16.0)],
        vec![basin((4, 5), true, Ending::Sea, 32.0)],
    ];
    // Block 1's walker labels on its perimeter: 1 at (3, 5) (a walker of
    // its basin 1 started there), none on its sea samples.
    let ring_label = |k: usize, r: usize, c: usize| u32::from(k == 1 && (r, c) == (3, 5));
    let g = merge_exits(&tiles, &locals, &ring_label);
    assert_eq!(g.basins.len(), 3, "{:?}", g.basins);
    let id = |k: usize, i: usize| g.ids[k][i];
    let of = |id: u32| &g.basins[id as usize - 1];
    assert_eq!(id(0, 0), id(1, 1));
    assert_eq!(of(id(0, 0)).ending, Ending::Sea);
    assert_eq!(of(id(0, 0)).outlet, (2, 5));
    assert_eq!(of(id(0, 0)).area_km2, 9.0);
    assert_eq!(id(0, 1), id(1, 0));
    assert_eq!(of(id(0, 1)).ending, Ending::Converged);
    assert_eq!(of(id(0, 1)).area_km2, 6.0);
    assert_eq!(id(2, 0), id(3, 0));
    assert_eq!(of(id(2, 0)).ending, Ending::Sea);
    assert_eq!(of(id(2, 0)).outlet, (4, 5));
    assert_eq!(of(id(2, 0)).area_km2, 48.0);
}

/// The command line decides the sea as the in-memory `basins` does: on
/// SRTM tiles by default (exactly 0 m connected to the edge), at
/// `--sea-level M` if given; `summary.json` counts the sea samples,
/// checked against [`SeaMask::detect`] on the loaded tile. (`--no-sea`
/// runs, with `sea_samples` 0, are checked by `tests/basins_mpi.rs`; here
/// they would walk a whole tile of flat 0 m.) The
/// tile: sea at 0 m everywhere but an island (a cone with an inland 0 m
/// crater lake, land) and a 0 m strip of 60 samples on the west edge
/// (land: too small), cut into 2 x 2 blocks.
#[test]
fn tiled_cli_finds_the_sea_as_the_in_memory_run() {
    if common::ran_in_the_first_pass() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let tile = dem_support::write_hgt(dir.path(), "N43E006.hgt", 1201, |r, c| {
        let d = ((r as f64 - 600.0).powi(2) + (c as f64 - 600.0).powi(2)).sqrt();
        if d < 6.0 {
            0 // the crater lake
        } else if d < 40.0 {
            (60.0 - d) as i16
        } else if c == 0 && (100..160).contains(&r) {
            0
        } else if c < 3 {
            5 // a coast along the west edge
        } else {
            0
        }
    });
    let dem = dem::open(&tile, &LoadOptions::default()).expect("tile");
    let whole = SeaMask::detect(&dem.heights, SeaLevel::SrtmZero);
    assert!(whole.samples() > 1_000_000 && !whole.is_sea_sample(600, 600));
    assert!(!whole.is_sea_sample(120, 0));
    // At 5 m the west coast is sea too.
    let at_5 = SeaMask::detect(&dem.heights, SeaLevel::AtOrBelow(5.0));
    assert_eq!(at_5.samples(), whole.samples() + 3 * 1201);
    for (extra, expect) in [
        (&[][..], whole.samples()),
        (&["--sea-level", "5"][..], at_5.samples()),
    ] {
        let out = dir.path().join(format!("out{}", extra.len()));
        let o = common::downhill()
            .args(["-q", "basins"])
            .arg(&tile)
            .args(["--tiled", "--fill", "--block", "601", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .expect("run downhill");
        assert!(
            o.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary"))
                .expect("json");
        assert_eq!(summary["sea_samples"], expect, "{extra:?}");
    }
}
