//! `downhill hillshade`: a shaded-relief PNG of an elevation grid, georeferenced.

use std::path::PathBuf;

use anyhow::Context;
use image::DynamicImage;

use super::common::{load_grid, DemArgs, Global};
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
        DynamicImage::ImageRgba8(render::tint(&dem, &shade, HeightRange::of(&dem)))
    } else {
        DynamicImage::ImageLuma8(shade)
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
