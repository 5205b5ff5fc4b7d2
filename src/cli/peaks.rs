//! `downhill peaks`: every summit of a DEM with its prominence, key col and isolation.

use std::path::{Path, PathBuf};

use super::common::{print_json, DemArgs, Global};
use downhill::dem::Dem;
use downhill::export::OutputDir;
use downhill::peaks::{
    self, osm::LonLatBox, Gazetteer, Summit, SummitOptions, DEFAULT_MIN_PROMINENCE_M,
};
use downhill::viewer;

/// The files `peaks --out DIR` writes.
const FILES: [&str; 2] = ["peaks.geojson", "peaks.csv"];

/// Arguments of `downhill peaks`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dem: DemArgs,
    /// Report summits at least this prominent, metres.
    #[arg(long, value_name = "M", default_value_t = DEFAULT_MIN_PROMINENCE_M)]
    min_prominence: f64,
    /// Report only the N most prominent summits.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Extra gazetteer for names: CSV (name,lat,lon[,elevation]), GeoJSON
    /// Points with a `name`, or OpenStreetMap `.osm` / `.osm.pbf`
    /// (natural=peak and natural=volcano nodes).
    #[arg(long, value_name = "FILE")]
    gazetteer: Vec<PathBuf>,
    /// A summit takes the name of the nearest gazetteer entry within this many metres.
    #[arg(long, value_name = "M", default_value_t = 250.0)]
    snap: f64,
    /// Also write peaks.geojson and peaks.csv into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace files in DIR that downhill did not write.
    #[arg(long)]
    force: bool,
    /// Do not write the map viewer (index.html) into DIR.
    #[arg(long)]
    no_html: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The bundled gazetteer and the user's files, OpenStreetMap files read
/// only within `dem`'s bounds (widened by `snap_m` metres).
pub fn gazetteer_for(files: &[PathBuf], dem: &Dem, snap_m: f64) -> anyhow::Result<Gazetteer> {
    let mut gazetteer = Gazetteer::bundled()?;
    if files.is_empty() {
        return Ok(gazetteer);
    }
    let bounds = LonLatBox::around(dem, snap_m.max(1000.0))?;
    for file in files {
        gazetteer.extend(Gazetteer::from_file_within(file, &bounds)?);
    }
    Ok(gazetteer)
}

/// Every summit of `dem` at least `min_prominence_m` prominent, named from
/// the gazetteer, with a spinner on a terminal while the sweep runs.
pub fn named_summits(
    dem: &Dem,
    min_prominence_m: f64,
    gazetteer: &Gazetteer,
    snap_m: f64,
    global: &Global,
) -> anyhow::Result<Vec<Summit>> {
    let spinner = global.show_progress().then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_message("finding summits");
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    });
    let found = peaks::find_summits(dem, &SummitOptions { min_prominence_m });
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    let mut summits = found?;
    peaks::name_summits(&mut summits, gazetteer, snap_m)?;
    Ok(summits)
}

/// Runs `downhill peaks`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    if args.dem.dems.is_empty() {
        anyhow::bail!("name an elevation file (DEM): downhill peaks N52W007.hgt");
    }
    if !(args.min_prominence.is_finite() && args.min_prominence >= 0.0) {
        anyhow::bail!(
            "--min-prominence {}: give a height in metres, 0 or more",
            args.min_prominence
        );
    }
    if !(args.snap.is_finite() && args.snap >= 0.0) {
        anyhow::bail!("--snap {}: give a distance in metres, 0 or more", args.snap);
    }
    if args.limit == Some(0) {
        anyhow::bail!("--limit 0 would report nothing; give 1 or more");
    }
    // Refuse an unwritable output before any work.
    let mut out = match &args.out {
        Some(dir) => {
            let out = OutputDir::create(dir, args.force)?;
            let mut names = FILES.to_vec();
            if !args.no_html {
                names.push(viewer::PAGE_NAME);
            }
            out.check_writable(&names)?;
            Some(out)
        }
        None => None,
    };
    let dem = args.dem.load_for(global)?;
    let gazetteer = gazetteer_for(&args.gazetteer, &dem, args.snap)?;
    let mut summits = named_summits(&dem, args.min_prominence, &gazetteer, args.snap, global)?;
    let total = summits.len();
    if let Some(n) = args.limit {
        summits.truncate(n);
    }
    let mut written = Vec::new();
    if let Some(mut out) = out.take() {
        out.write(FILES[0], peaks::summits_geojson(&summits).as_bytes())?;
        out.write(FILES[1], peaks::summits_csv(&summits).as_bytes())?;
        if !args.no_html {
            let title = format!("Summits of {}", viewer::input_names(&dem));
            let page = viewer::summits_page(&dem, &summits, &title)?;
            out.write(viewer::PAGE_NAME, page.to_html()?.as_bytes())?;
        }
        // Every product is ready: publish them together.
        written = out.commit()?;
    }
    if args.json {
        print_json(&summits)?;
    } else {
        print!("{}", table(&summits));
        if !global.quiet {
            let shown = if summits.len() < total {
                format!("{} of {total}", summits.len())
            } else {
                total.to_string()
            };
            eprintln!(
                "{shown} summits with at least {} m of prominence on {}.",
                args.min_prominence,
                inputs(&args.dem.dems)
            );
            if summits.iter().any(|s| s.edge_limited) {
                eprintln!(
                    "edge: the DEM's border or a void bounds that summit's prominence (no key col, or the col \
                     on the edge) or isolation (the edge nearer than any higher ground); load the \
                     neighbouring tiles too to measure it."
                );
            }
            eprintln!(
                "Start a walker on one with: downhill drop {} --peak '#N' (or --peak NAME, --at LAT,LON)",
                inputs(&args.dem.dems)
            );
        }
    }
    if !global.quiet {
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}

fn inputs(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p: &PathBuf| shell_word(p))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A path as one shell word (quoted when it holds anything but plain characters).
fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The summits as an aligned table, most prominent first.
pub fn table(summits: &[Summit]) -> String {
    let header = [
        "#",
        "name",
        "elev m",
        "prom m",
        "lat",
        "lon",
        "key col m",
        "col lat,lon",
        "parent",
        "isolation km",
        "edge",
    ];
    let rows: Vec<Vec<String>> = summits
        .iter()
        .map(|s| {
            let m = &s.summit;
            vec![
                format!("#{}", s.rank),
                s.name.clone().unwrap_or_else(|| "-".into()),
                format!("{:.0}", m.elevation_m),
                format!("{:.0}", s.prominence_m),
                format!("{:.5}", m.lat),
                format!("{:.5}", m.lon),
                s.key_col
                    .map_or("-".into(), |c| format!("{:.0}", c.elevation_m)),
                s.key_col
                    .map_or("-".into(), |c| format!("{:.4},{:.4}", c.lat, c.lon)),
                s.parent.map_or("-".into(), |p| format!("#{p}")),
                s.isolation_m
                    .map_or("-".into(), |d| format!("{:.2}", d / 1000.0)),
                if s.edge_limited { "edge" } else { "" }.into(),
            ]
        })
        .collect();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let left = |k: usize| k == 1;
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let pad = width[k].saturating_sub(c.chars().count());
                if left(k) {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}
