//! `downhill hillshade`: a shaded-relief PNG of an elevation grid, georeferenced.

use std::path::{Path, PathBuf};

use anyhow::Context;
use image::DynamicImage;

use super::common::{load_grid, DemArgs, Global};
use downhill::analytic::SurfaceArgs;
use downhill::export::OutputDir;
use downhill::render::{self, HeightRange, ShadeMode, ShadeOptions};

/// Arguments of `downhill hillshade`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dem: DemArgs,
    #[command(flatten)]
    surface: SurfaceArgs,
    /// Output PNG; `NAME.pgw` and `NAME.bounds.json` are written beside it
    /// (its directory must exist).
    #[arg(short, long, value_name = "OUT.png")]
    output: PathBuf,
    /// Replace existing files that downhill did not write.
    #[arg(long)]
    force: bool,
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

/// Splits `-o` into the directory to write into and the PNG's file name;
/// a directory (`-o out/`, or an existing directory) is refused rather
/// than replaced by a file of its name.
fn output_parts(output: &Path) -> anyhow::Result<(PathBuf, String)> {
    let text = output.to_string_lossy();
    let names_directory = text.ends_with('/')
        || text.ends_with(std::path::MAIN_SEPARATOR)
        || output.is_dir()
        || output.file_name().is_none();
    if names_directory {
        anyhow::bail!(
            "-o {}: names a directory; give the PNG's file name, e.g. -o {}",
            output.display(),
            Path::new(text.trim_end_matches('/'))
                .join("relief.png")
                .display()
        );
    }
    let name = output
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow::anyhow!("-o {}: the file name is not UTF-8", output.display()))?;
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name.to_string()))
}

/// Runs `downhill hillshade`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    // Where the files go is checked before the grid is read.
    let (dir, name) = output_parts(&args.output)?;
    let names = render::georeferenced_names(&name);
    let dem = load_grid(&args.dem, &args.surface, global)?;
    let mut out = OutputDir::existing(&dir, args.force)?;
    out.check_writable(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
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
    for (file, bytes) in render::georeferenced_png(&name, &image, dem.bounds(), &dem.crs)
        .with_context(|| format!("cannot write {}", args.output.display()))?
    {
        out.write(&file, &bytes)?;
    }
    let written = out.commit()?;
    if !global.quiet {
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}
