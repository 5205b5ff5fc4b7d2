//! `downhill info`: what is in an elevation file.

use serde::Serialize;

use super::common::{print_json, DemArgs, Global, SeaArgs};
use downhill::dem::{Crs, Dem, InputInfo};
use downhill::geo::Bounds;

/// Arguments of `downhill info`.
#[derive(Debug, clap::Args)]
#[command(mut_arg("fill_voids", |a| a.help(
    "Fill voids (nodata holes) by harmonic interpolation from their rims before \
     reporting: heights and the void count are then those of the filled grid"
)))]
pub struct Args {
    #[command(flatten)]
    dem: DemArgs,
    #[command(flatten)]
    sea: SeaArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What `info --json` prints.
#[derive(Debug, Serialize)]
struct Report {
    width: usize,
    height: usize,
    /// Outer edges in CRS units, cell edges included (`[west, south, east, north]` in JSON).
    bounds: Bounds,
    /// Cell size in metres (east-west, north-south) at the centre row.
    cell_size_m: [f64; 2],
    min: f64,
    max: f64,
    voids: usize,
    /// Samples that are sea (SRTM: exactly 0 m connected to the edge; see --sea-level).
    sea: usize,
    /// CRS label such as `EPSG:4326` or `EPSG:32629`.
    crs: String,
    /// PROJ.4 definition of a projected CRS.
    #[serde(skip_serializing_if = "Option::is_none")]
    proj: Option<String>,
    /// Every file read: path, format, size (the tiles of a mosaic).
    inputs: Vec<InputInfo>,
}

fn report(dem: &Dem, sea: usize) -> Report {
    let stats = dem.stats();
    let (dx, dy) = dem.cell_size_m((dem.rows() as f64 - 1.0) / 2.0);
    Report {
        width: dem.cols(),
        height: dem.rows(),
        bounds: dem.bounds(),
        cell_size_m: [dx, dy],
        min: stats.min,
        max: stats.max,
        voids: stats.voids,
        sea,
        crs: dem.crs.label(),
        proj: match &dem.crs {
            Crs::Projected { proj, .. } => Some(proj.clone()),
            _ => None,
        },
        inputs: dem.inputs.clone(),
    }
}

/// Runs `downhill info`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let dem = args.dem.load_for(global)?;
    let sea = args.sea.mask(&dem)?.map_or(0, |m| m.samples());
    let r = report(&dem, sea);
    if args.json {
        return print_json(&r);
    }
    let [w, s, e, n] = r.bounds.to_array();
    println!(
        "size        {} x {} samples (width x height)",
        r.width, r.height
    );
    println!("bounds      west {w:.6}  south {s:.6}  east {e:.6}  north {n:.6}");
    match &r.proj {
        Some(p) => println!("crs         {} ({p})", r.crs),
        None => println!("crs         {} (WGS84 longitude/latitude)", r.crs),
    }
    println!(
        "cell size   {:.1} m east-west x {:.1} m north-south (at the centre)",
        r.cell_size_m[0], r.cell_size_m[1]
    );
    println!("elevation   min {} m  max {} m", r.min, r.max);
    println!("voids       {}", r.voids);
    println!("sea         {} samples", r.sea);
    let label = if r.inputs.len() > 1 {
        "tile       "
    } else {
        "input      "
    };
    for i in &r.inputs {
        println!(
            "{label} {} ({}, {} x {})",
            i.path.display(),
            i.format,
            i.width,
            i.height
        );
    }
    Ok(())
}
