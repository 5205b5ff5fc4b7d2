//! Command-line options that put an analytic surface where a DEM would be,
//! and the parsing of comma-separated number lists they and `--bbox` share.

use downhill::analytic::AnalyticSurface;
use downhill::geo::Xy;
use downhill::terrain::Vector;
use downhill::{Error, Result};

/// Default number of samples along each axis when an analytic surface is
/// rasterised (`hillshade`, `basins`).
pub const DEFAULT_RESOLUTION: usize = 501;

/// The largest `--resolution` parsed; the cell budget (`--max-cells`) is
/// usually the tighter bound.
pub const MAX_RESOLUTION: usize = 1 << 20;

/// Options for descending a formula instead of a DEM; flatten into a
/// command with `#[command(flatten)]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SurfaceArgs {
    /// Use the analytic surface z = f(x, y) instead of a DEM, e.g. 'x^4 - 2*x^2 + y^2'
    /// (planar coordinates; the gradient is exact).
    #[arg(
        long,
        value_name = "EXPR",
        requires = "extent",
        allow_hyphen_values = true
    )]
    pub surface: Option<String>,
    /// Extent XMIN,YMIN,XMAX,YMAX of an analytic --surface (agents stop at its
    /// edge); on a DEM, what a map shows: `tracks` (with a margin) or `full`.
    #[arg(long, value_name = "XMIN,YMIN,XMAX,YMAX|tracks|full", value_parser = parse_extent_arg,
          allow_hyphen_values = true)]
    pub extent: Option<ExtentArg>,
    /// Samples along each axis when the analytic surface is drawn as a raster
    /// (2 or more; R x R must fit the --max-cells budget).
    #[arg(long, value_name = "R", default_value_t = DEFAULT_RESOLUTION,
          value_parser = parse_resolution)]
    pub resolution: usize,
    /// Start at planar X,Y on an analytic surface (repeatable).
    #[arg(long = "start", value_name = "X,Y", value_parser = parse_xy, allow_hyphen_values = true)]
    pub starts: Vec<Xy>,
    /// Initial velocity VX,VY of the momentum and Nesterov balls, in distance
    /// units per step (metres east,north on a DEM); e.g. 0.01,0 to roll off a saddle.
    #[arg(long, value_name = "VX,VY", value_parser = parse_v0, allow_hyphen_values = true)]
    pub v0: Option<Vector>,
}

impl SurfaceArgs {
    /// The analytic surface, if `--surface` was given.
    pub fn analytic(&self) -> Result<Option<AnalyticSurface>> {
        match (&self.surface, self.extent) {
            (Some(expr), Some(ExtentArg::Box(extent))) => parse_formula(expr, extent).map(Some),
            (Some(expr), _) => Err(Error::param(format!(
                "--surface '{expr}' needs --extent XMIN,YMIN,XMAX,YMAX"
            ))),
            (None, Some(ExtentArg::Box(_))) => Err(Error::param(
                "--extent XMIN,YMIN,XMAX,YMAX belongs to an analytic --surface; \
                 on a DEM, --extent takes 'tracks' or 'full' (what the map shows)",
            )),
            _ => Ok(None),
        }
    }

    /// `true` when a map should show the whole grid (`--extent full`).
    pub fn full_extent(&self) -> bool {
        matches!(self.extent, Some(ExtentArg::Full))
    }

    /// The initial velocity, zero unless `--v0` was given.
    pub fn initial_velocity(&self) -> Vector {
        self.v0.unwrap_or(Vector::ZERO)
    }
}

/// Options that put a formula where a DEM would be in a raster command
/// (`hillshade`, `basins`): no starts or velocities, and `--extent` is only
/// the formula's box. Flatten into a command with `#[command(flatten)]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FormulaArgs {
    /// Use the analytic surface z = f(x, y) instead of a DEM, e.g. 'x^4 - 2*x^2 + y^2'
    /// (planar coordinates).
    #[arg(
        long,
        value_name = "EXPR",
        requires = "extent",
        allow_hyphen_values = true
    )]
    pub surface: Option<String>,
    /// Extent XMIN,YMIN,XMAX,YMAX of the analytic --surface.
    #[arg(long, value_name = "XMIN,YMIN,XMAX,YMAX", value_parser = parse_extent,
          allow_hyphen_values = true, requires = "surface")]
    pub extent: Option<[f64; 4]>,
    /// Samples along each axis when the analytic surface is drawn as a raster.
    #[arg(long, value_name = "R", default_value_t = DEFAULT_RESOLUTION,
          value_parser = parse_resolution)]
    pub resolution: usize,
}

impl FormulaArgs {
    /// The analytic surface, if `--surface` was given.
    pub fn analytic(&self) -> Result<Option<AnalyticSurface>> {
        match (&self.surface, self.extent) {
            (Some(expr), Some(extent)) => parse_formula(expr, extent).map(Some),
            (Some(expr), None) => Err(Error::param(format!(
                "--surface '{expr}' needs --extent XMIN,YMIN,XMAX,YMAX"
            ))),
            (None, _) => Ok(None),
        }
    }
}

/// [`AnalyticSurface::parse`], a formula over the size limits named by
/// its flag (the library says "the formula").
fn parse_formula(expr: &str, extent: [f64; 4]) -> Result<AnalyticSurface> {
    AnalyticSurface::parse(expr, extent).map_err(|e| match e {
        Error::OverBudget(why) => Error::OverBudget(format!("--surface: {why}")),
        other => other,
    })
}

/// `n` finite numbers separated by commas, or "'`s`' is not `what`".
pub fn numbers(s: &str, n: usize, what: &str) -> std::result::Result<Vec<f64>, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| format!("'{s}' is not {what}"))?;
    if v.len() != n || !v.iter().all(|x| x.is_finite()) {
        return Err(format!("'{s}' is not {what}"));
    }
    Ok(v)
}

/// The value of `--extent`: a box for an analytic surface, or what a map shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtentArg {
    /// `XMIN,YMIN,XMAX,YMAX` of an analytic surface.
    Box([f64; 4]),
    /// The map shows the tracks with a margin.
    Tracks,
    /// The map shows the whole grid.
    Full,
}

/// Parses `--extent`: `tracks`, `full`, or `XMIN,YMIN,XMAX,YMAX`.
pub fn parse_extent_arg(s: &str) -> std::result::Result<ExtentArg, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "tracks" => Ok(ExtentArg::Tracks),
        "full" => Ok(ExtentArg::Full),
        _ => parse_extent(s).map(ExtentArg::Box),
    }
}

/// Parses `XMIN,YMIN,XMAX,YMAX` with XMIN < XMAX and YMIN < YMAX.
pub fn parse_extent(s: &str) -> std::result::Result<[f64; 4], String> {
    let v = numbers(s, 4, "four numbers XMIN,YMIN,XMAX,YMAX separated by commas")?;
    if v[2] <= v[0] || v[3] <= v[1] {
        return Err(format!(
            "'{s}' is an empty extent: XMIN,YMIN,XMAX,YMAX needs XMIN < XMAX and YMIN < YMAX"
        ));
    }
    Ok([v[0], v[1], v[2], v[3]])
}

/// Parses a planar point `X,Y`.
pub fn parse_xy(s: &str) -> std::result::Result<Xy, String> {
    let v = numbers(s, 2, "a point X,Y (two numbers separated by a comma)")?;
    Ok(Xy::new(v[0], v[1]))
}

fn parse_v0(s: &str) -> std::result::Result<Vector, String> {
    let v = numbers(s, 2, "a velocity VX,VY (two numbers separated by a comma)")?;
    Ok(Vector::new(v[0], v[1]))
}

fn parse_resolution(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (2..=MAX_RESOLUTION).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}' is not a resolution: give a whole number of samples from 2 to {MAX_RESOLUTION} \
             (R x R must also fit the --max-cells budget)"
        )),
    }
}
