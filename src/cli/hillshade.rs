//! `downhill hillshade`: a shaded-relief PNG of an elevation grid, georeferenced.

use std::path::PathBuf;

use anyhow::Context;
use image::DynamicImage;

use super::common::{load_grid, DemArgs, Global, SeaArgs};
use downhill::analytic::FormulaArgs;
use downhill::render::{self, HeightRange, ShadeMode, ShadeOptions};

/// Arguments of `downhill hillshade`.
#[derive(Debug, clap::Args)]
#[command(mut_arg("fill_voids", |a| a.help(
    "Fill voids (nodata holes) by harmonic interpolation from their rims; \
     without it they are nodata in the PNG (grey 0, transparent with --tint)"
)))]
pub struct Args {
    #[command(flatten)]
    dem: DemArgs,
    #[command(flatten)]
    surface: FormulaArgs,
    /// Output PNG; `NAME.pgw` and `NAME.bounds.json` are written beside it.
    #[arg(short, long, value_name = "OUT.png")]
    output: PathBuf,
    /// Direction the light comes from, degrees clockwise from north.
    #[arg(long, default_value_t = 315.0, allow_negative_numbers = true)]
    azimuth: f64,
    /// Height of the light above the horizon, degrees.
    #[arg(long, default_value_t = 45.0)]
    altitude: f64,
    /// Vertical exaggeration.
    #[arg(long, default_value_t = 1.0)]
    z_factor: f64,
    /// Light from four directions weighted by aspect (gdaldem -multidirectional).
    #[arg(long, conflicts_with = "combined")]
    multidirectional: bool,
    /// Darken by slope as well as by aspect (gdaldem -combined).
    #[arg(long)]
    combined: bool,
    /// Colour by height (hypsometric tints) under the shading: RGBA instead of grey.
    #[arg(long)]
    tint: bool,
    #[command(flatten)]
    sea: SeaArgs,
    /// One pixel per sample, as gdaldem writes it. By default a geographic
    /// grid is resampled east-west so that pixels are square on the ground
    /// at its middle row (nearest sample for grey, so grey levels stay
    /// gdaldem's; bilinear for --tint).
    #[arg(long)]
    per_sample: bool,
}

/// Runs `downhill hillshade`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let dem = load_grid(&args.dem, &args.surface, global)?;
    let options = ShadeOptions {
        azimuth_deg: args.azimuth,
        altitude_deg: args.altitude,
        z_factor: args.z_factor,
        mode: if args.multidirectional {
            ShadeMode::Multidirectional
        } else if args.combined {
            ShadeMode::Combined
        } else {
            ShadeMode::Single
        },
    };
    let shade = render::hillshade(&dem, &options)?;
    let image = if args.tint {
        let range = HeightRange::of(&dem);
        DynamicImage::ImageRgba8(match args.sea.mask(&dem)? {
            Some(sea) => render::tint_with_sea(&dem, &shade, range, &sea),
            None => render::tint(&dem, &shade, range),
        })
    } else {
        DynamicImage::ImageLuma8(shade)
    };
    let image = if dem.crs.is_geographic() && !args.per_sample {
        // Square pixels on the ground: a cell is dx wide and dy tall.
        let (dx, dy) = dem.cell_size_m((dem.rows() as f64 - 1.0) / 2.0);
        let width = ((dem.cols() as f64 * dx / dy).round() as u32).max(1);
        let filter = if args.tint {
            image::imageops::FilterType::Triangle
        } else {
            image::imageops::FilterType::Nearest
        };
        image.resize_exact(width, dem.rows() as u32, filter)
    } else {
        image
    };
    let written = render::write_png_with_georef(&args.output, &image, dem.bounds(), &dem.crs)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if !global.quiet {
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}
