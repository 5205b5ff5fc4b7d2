//! `downhill hillshade`: shaded relief of an elevation grid, georeferenced:
//! a PNG with its world file and bounds, or a GeoTIFF (`-o NAME.tif`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use image::DynamicImage;

use super::common::{load_grid, DemArgs, Global, SeaArgs};
use super::surface::FormulaArgs;
use downhill::dem::{self, RowSource};
use downhill::export::georaster::{self, Pixels, Raster};
use downhill::export::OutputDir;
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
    /// Output file (its directory must exist). `NAME.png`: a PNG with
    /// `NAME.pgw` and `NAME.bounds.json` beside it. `NAME.tif` or
    /// `NAME.tiff`: a tiled, deflate-compressed GeoTIFF carrying its own
    /// georeferencing, one pixel per sample (grey 0 is nodata).
    #[arg(short, long, value_name = "OUT.png|OUT.tif")]
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
    #[command(flatten)]
    sea: SeaArgs,
    /// One pixel per sample, as gdaldem writes it. By default a geographic
    /// grid is resampled east-west so that pixels are square on the ground
    /// at its middle row (nearest sample for grey, so grey levels stay
    /// gdaldem's; bilinear for --tint).
    #[arg(long)]
    per_sample: bool,
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
    let lower = name.to_ascii_lowercase();
    let geotiff = lower.ends_with(".tif") || lower.ends_with(".tiff");
    let names = if geotiff {
        vec![name.clone()]
    } else {
        render::georeferenced_names(&name).to_vec()
    };
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
    // Grey relief of a file that can be read by rows (a raw SRTM tile) is
    // made a band at a time, never loading the grid; anything else is
    // loaded first.
    let by_rows = !args.tint && !args.dem.fill_voids && args.surface.analytic()?.is_none();
    let streamed = if by_rows {
        dem::open_rows(&args.dem.dems, &args.dem.options())?
    } else {
        None
    };
    let dem = match streamed {
        Some(_) => None,
        None => Some(load_grid(&args.dem, &args.surface, global)?),
    };
    let mut out = OutputDir::existing(&dir, args.force)?;
    out.check_writable(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
    // The rows are read while the picture is made: an input's own error
    // (it names the input) passes as it is; the rest are the output's.
    let written = |e: downhill::Error| match e {
        downhill::Error::BadFile { .. } | downhill::Error::Io { .. } => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context(format!("cannot write {}", args.output.display())),
    };
    let source: &dyn RowSource = match (&streamed, &dem) {
        (Some(rows), _) => rows.as_ref(),
        (None, Some(dem)) => dem,
        (None, None) => anyhow::bail!("internal error: no elevation grid"),
    };
    if !args.tint {
        if geotiff {
            let bytes = render::hillshade_geotiff_by_rows(source, &options).map_err(written)?;
            out.write_file(&name, &bytes)?;
        } else {
            let width = square_pixels(args, source)?;
            for (file, bytes) in
                render::hillshade_png_by_rows(source, &options, &name, width).map_err(written)?
            {
                out.write_file(&file, &bytes)?;
            }
        }
        return report(out, global);
    }
    let Some(dem) = dem else {
        anyhow::bail!("internal error: --tint without a loaded grid");
    };
    let shade = render::hillshade(&dem, &options)?;
    let range = HeightRange::of(&dem);
    let image = DynamicImage::ImageRgba8(match args.sea.mask(&dem)? {
        Some(sea) => render::tint_with_sea(&dem, &shade, range, &sea),
        None => render::tint(&dem, &shade, range),
    });
    if geotiff {
        // The GeoTIFF carries the grid's own geotransform: one pixel per sample.
        let (w, h) = (image.width(), image.height());
        let DynamicImage::ImageRgba8(c) = &image else {
            anyhow::bail!("internal error: the tinted relief is not RGBA");
        };
        georaster::write_geotiff(
            &mut out,
            &name,
            &Raster::new(w, h, Pixels::Rgba8(c.as_raw()))?,
            &dem.transform,
            &dem.crs,
            None,
        )
        .with_context(|| format!("cannot write {}", args.output.display()))?;
        return report(out, global);
    }
    // Square pixels on the ground: a cell is dx wide and dy tall.
    let image = match square_pixels(args, &dem)? {
        Some(width) => image.resize_exact(
            width,
            dem.rows() as u32,
            image::imageops::FilterType::Triangle,
        ),
        None => image,
    };
    for (file, bytes) in render::georeferenced_png(&name, &image, dem.bounds(), &dem.crs)
        .with_context(|| format!("cannot write {}", args.output.display()))?
    {
        out.write(&file, &bytes)?;
    }
    report(out, global)
}

/// The width in pixels that makes `source`'s pixels square on the ground,
/// unless `--per-sample` or the grid is projected; refused when the picture
/// would be over the cell budget (a grid whose cells are far wider than
/// tall, in degrees, asks for an absurd width).
fn square_pixels(args: &Args, source: &dyn RowSource) -> anyhow::Result<Option<u32>> {
    let Some(width) = render::square_pixel_width(source).filter(|_| !args.per_sample) else {
        return Ok(None);
    };
    let rows = source.shape().0 as u64;
    let input = match args.dem.dems.as_slice() {
        [one] => one.display().to_string(),
        _ => "the grid".to_string(),
    };
    args.dem
        .budget()
        .check_cells(
            rows,
            width as u64,
            &format!("the square-pixel picture of {input}"),
        )
        .map_err(|e| {
            downhill::Error::OverBudget(format!(
                "{}; --per-sample writes one pixel per sample instead",
                e.to_string().trim_end_matches('.')
            ))
        })?;
    Ok(Some(width))
}

/// Publishes the staged files and names them unless quiet.
fn report(out: OutputDir, global: &Global) -> anyhow::Result<()> {
    let written = out.commit()?;
    if !global.quiet {
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}
