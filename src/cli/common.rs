//! Options shared by several subcommands.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use downhill::budget::Budget;
use downhill::dem::{self, Dem, LoadOptions, SeaLevel, SeaMask};

/// Options that apply to every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Print nothing but results and errors (no progress bars, no notes).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

impl Global {
    /// `true` when progress bars should be drawn: stderr is a terminal and not `--quiet`.
    #[allow(dead_code)]
    pub fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

/// The elevation inputs of a command.
#[derive(Debug, Clone, clap::Args)]
pub struct DemArgs {
    /// Elevation files (SRTM .hgt or .hgt.zip, GeoTIFF; any raster GDAL opens
    /// in the GDAL build) or directories of them; several form one mosaic.
    #[arg(value_name = "DEM")]
    pub dems: Vec<PathBuf>,
    /// South-west corner LAT,LON (degrees) of an SRTM tile whose file name
    /// does not say it: latitude -90..89, longitude -180..179.
    #[arg(long, value_name = "LAT,LON", value_parser = parse_origin, allow_hyphen_values = true)]
    pub origin: Option<(f64, f64)>,
    /// The most cells (rows x columns) a grid may have, checked before it is
    /// read or sampled [default: half of this machine's memory at 64 bytes a
    /// cell]; raise it for larger mosaics when the memory is there.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_cells: Option<u64>,
    /// Fill voids (nodata holes) by harmonic interpolation from their rims;
    /// without it agents stop at voids and maps leave them transparent.
    #[arg(long)]
    pub fill_voids: bool,
    /// Join tiles that form separate groups (e.g. Ireland and Provence) into
    /// one mosaic anyway, the space between them void; refused without it.
    #[arg(long)]
    pub mosaic_anyway: bool,
}

impl DemArgs {
    /// The reading options these arguments ask for.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            origin: self.origin,
            mosaic_anyway: self.mosaic_anyway,
            budget: self.budget(),
        }
    }

    /// The memory budget: `--max-cells`, or the machine's default.
    pub fn budget(&self) -> Budget {
        self.max_cells
            .map_or_else(Budget::default, Budget::with_max_cells)
    }

    /// Loads the named files into one grid, with a spinner on a terminal
    /// while a mosaic is read or voids are filled, and the loader's notes on
    /// stderr unless `--quiet` was given.
    pub fn load_for(&self, global: &Global) -> anyhow::Result<Dem> {
        self.load_with(global.quiet, global.show_progress())
    }

    fn load_with(&self, quiet: bool, progress: bool) -> anyhow::Result<Dem> {
        let paths = dem::expand_inputs(&self.dems)?;
        let spinner = |message: String| {
            progress.then(|| {
                let pb = indicatif::ProgressBar::new_spinner();
                pb.set_message(message);
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
                pb
            })
        };
        let pb = (paths.len() > 1)
            .then(|| spinner(format!("joining {} elevation files", paths.len())))
            .flatten();
        let loaded = dem::load(&paths, &self.options());
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        let mut loaded = loaded?;
        if self.fill_voids {
            let pb = spinner("filling voids".into());
            loaded.fill_voids();
            if let Some(pb) = pb {
                pb.finish_and_clear();
            }
        }
        if !quiet {
            for note in &loaded.notes {
                eprintln!("downhill: note: {note}");
            }
        }
        Ok(loaded.dem)
    }
}

/// Where the sea is.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SeaArgs {
    /// Samples at or below this height (metres) that connect to the raster
    /// edge are sea [default on SRTM tiles: exactly 0 m connected to the
    /// edge, as SRTM codes the sea; on other grids: no sea]
    #[arg(
        long,
        value_name = "M",
        allow_negative_numbers = true,
        conflicts_with = "no_sea"
    )]
    pub sea_level: Option<f64>,
    /// No sea: 0 m is land like any other height.
    #[arg(long)]
    pub no_sea: bool,
}

impl SeaArgs {
    /// The sea of `dem`, or `None` when there is none or it was switched off.
    pub fn mask(&self, dem: &Dem) -> anyhow::Result<Option<SeaMask>> {
        let formats: Vec<&str> = dem.inputs.iter().map(|i| i.format.as_str()).collect();
        let Some(level) = self.level(&formats)? else {
            return Ok(None);
        };
        let sea = SeaMask::detect(&dem.heights, level);
        Ok((!sea.is_empty()).then_some(sea))
    }

    /// What counts as sea level for inputs of these `formats` (one per
    /// input file), or `None` when there is no sea: SRTM's 0 m when every
    /// input is an SRTM tile, unless a level was given or the sea switched off.
    pub fn level(&self, formats: &[&str]) -> anyhow::Result<Option<SeaLevel>> {
        if self.no_sea {
            return Ok(None);
        }
        Ok(match self.sea_level {
            Some(m) if !m.is_finite() => {
                anyhow::bail!("--sea-level {m}: give a height in metres")
            }
            Some(m) => Some(SeaLevel::AtOrBelow(m)),
            None if is_srtm(formats) => Some(SeaLevel::SrtmZero),
            None => None,
        })
    }
}

/// `true` when every input is an SRTM tile (which codes the sea as 0 m),
/// by the inputs' `formats`.
fn is_srtm(formats: &[&str]) -> bool {
    !formats.is_empty() && formats.iter().all(|f| f.starts_with("SRTM"))
}

/// Parses `LAT,LON` in degrees: latitude -90..90, longitude -180..180.
pub fn parse_lat_lon(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = parse_pair(s)?;
    if !(-90.0..=90.0).contains(&a) || !(-180.0..=180.0).contains(&b) {
        return Err(format!(
            "'{s}' is not LAT,LON in degrees (latitude -90..90 first, then longitude -180..180)"
        ));
    }
    Ok((a, b))
}

/// Parses `--origin LAT,LON`, the south-west corner of a one-degree tile.
pub fn parse_origin(s: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = parse_pair(s)?;
    downhill::dem::hgt::check_corner(lat, lon).map_err(|m| format!("'{s}': {m}"))?;
    Ok((lat, lon))
}

/// Parses two comma-separated numbers.
pub fn parse_pair(s: &str) -> Result<(f64, f64), String> {
    let mut it = s.split(',').map(|p| p.trim().parse::<f64>());
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(a)), Some(Ok(b)), None) if a.is_finite() && b.is_finite() => Ok((a, b)),
        _ => Err(format!("'{s}' is not two numbers separated by a comma")),
    }
}

/// Serialises `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("cannot serialise the result")?;
    println!("{text}");
    Ok(())
}

/// The grid of a raster command: the DEM files, or an analytic `--surface`
/// sampled on `--resolution` x `--resolution` points.
pub fn load_grid(
    dem: &DemArgs,
    surface: &super::surface::FormulaArgs,
    global: &Global,
) -> anyhow::Result<Dem> {
    match surface.analytic()? {
        Some(formula) => {
            if !dem.dems.is_empty() {
                anyhow::bail!("give either elevation files or --surface, not both");
            }
            let r = surface.resolution as u64;
            dem.budget().check_cells(
                r,
                r,
                &format!("--resolution {r} (an {r} x {r} raster of the formula)"),
            )?;
            Ok(formula.to_dem(surface.resolution))
        }
        None if dem.dems.is_empty() => anyhow::bail!(
            "name an elevation file (DEM), or give an analytic --surface EXPR --extent XMIN,YMIN,XMAX,YMAX"
        ),
        None => dem.load_for(global),
    }
}
