//! `downhill demo`: the Mount Leinster story on the bundled tile.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Parser;

use super::common::Global;
use super::drop;
use downhill::agents::{AgentKind, Endpoint, StopReason, Summary};
use downhill::export;
use downhill::geo::{geodesy, LonLat};

/// Arguments of `downhill demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the results into this directory.
    #[arg(long, value_name = "DIR", default_value = "downhill-out/demo")]
    out: PathBuf,
    /// Replace files in DIR that downhill did not write.
    #[arg(long)]
    force: bool,
    /// Do not write index.html, the offline map viewer.
    #[arg(long)]
    no_html: bool,
}

/// The bundled tile, as a path relative to a checkout of downhill.
const BUNDLED_TILE: &str = "data/N52W007.hgt";

/// Where the bundled tile is looked for, in order: the working directory
/// (`./data/...`), the checkout around the executable
/// (`<exe dir>/../../data/...`, as `cargo build` lays out `target/<profile>/`)
/// and beside the executable (`<exe dir>/data/...`).
fn tile_candidates(cwd: &Path, exe: Option<&Path>) -> Vec<PathBuf> {
    let mut places = vec![cwd.join(BUNDLED_TILE)];
    if let Some(dir) = exe.and_then(Path::parent) {
        places.push(dir.join("../..").join(BUNDLED_TILE));
        places.push(dir.join(BUNDLED_TILE));
    }
    places
}

/// The first of `candidates` that is a file, or an error saying where it looked.
fn first_existing(candidates: &[PathBuf]) -> anyhow::Result<PathBuf> {
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    anyhow::bail!(
        "the demo's tile {BUNDLED_TILE} was not found (looked in {}); run the demo from a checkout of downhill, \
         or pass a tile yourself: downhill drop N52W007.hgt --peak 'Mount Leinster'",
        looked.join(", ")
    )
}

/// The bundled tile, found relative to the working directory or the
/// executable (never through a path compiled into the binary).
fn bundled_tile() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let exe = std::env::current_exe().ok();
    first_existing(&tile_candidates(&cwd, exe.as_deref()))
}

/// `drop` as a command of its own, to parse the demo's preset arguments.
#[derive(Debug, clap::Parser)]
#[command(name = "downhill drop")]
struct DropCommand {
    #[command(flatten)]
    args: drop::Args,
}

/// The demo's run: `downhill drop TILE --peak 'Mount Leinster' --out DIR`
/// (and `--force`, `--no-html` when given), every other option at drop's
/// own default.
fn preset(tile: &Path, args: &Args) -> anyhow::Result<drop::Args> {
    let flag = |name: &str, value: &Path| {
        let mut f = OsString::from(name);
        f.push("=");
        f.push(value);
        f
    };
    let mut argv: Vec<OsString> = vec![
        "drop".into(),
        "--peak=Mount Leinster".into(),
        flag("--out", &args.out),
    ];
    if args.force {
        argv.push("--force".into());
    }
    if args.no_html {
        argv.push("--no-html".into());
    }
    argv.push("--".into());
    argv.push(tile.into());
    Ok(DropCommand::try_parse_from(argv)?.args)
}

/// Compass direction (16 points) and ground distance in km from `a` to `b`.
fn heading(a: &Endpoint, b: &Endpoint) -> (String, f64) {
    let (
        Endpoint::Geo { lon, lat, .. },
        Endpoint::Geo {
            lon: lon2,
            lat: lat2,
            ..
        },
    ) = (a, b)
    else {
        return (String::new(), f64::NAN);
    };
    let (metres, azimuth) = geodesy::inverse(LonLat::new(*lon, *lat), LonLat::new(*lon2, *lat2));
    (geodesy::compass_point(azimuth).to_string(), metres / 1000.0)
}

fn sentence(s: &Summary) -> String {
    let (dir, km) = heading(&s.start, &s.end);
    let end = s.end.elevation();
    let how = match s.stop_reason {
        StopReason::Converged => "came to rest",
        StopReason::Below => "dropped below the threshold height",
        StopReason::Sea => "reached the sea",
        StopReason::Edge => "left the map",
        StopReason::Void => "ran into a hole in the data",
        StopReason::MaxSteps => "was still moving when the step budget ran out",
        StopReason::Diverged => "diverged",
    };
    format!(
        "The {} took {} steps over {:.1} km of ground and {how} at {end:.0} m, {km:.1} km {dir} of the summit.",
        s.agent.title(),
        s.steps,
        s.length_m / 1000.0,
    )
}

/// Runs `downhill demo`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let drop_args = preset(&bundled_tile()?, args)?;
    let outcome = drop::execute(&drop_args, global)?;
    println!("downhill demo: a hill-walker and two rolling balls dropped on Mount Leinster (Blackstairs Mountains, Ireland)\n");
    if !global.quiet {
        for note in &outcome.start_notes {
            println!("{note}");
        }
    }
    print!(
        "{}",
        export::summaries_table(&outcome.summaries, export::Units::Metres)
    );
    println!();
    for s in &outcome.summaries {
        println!("{}", sentence(s));
    }
    let by = |k: AgentKind| outcome.summaries.iter().find(|s| s.agent == k);
    if let (Some(walker), Some(ball)) = (by(AgentKind::Gd), by(AgentKind::Momentum)) {
        let (w, b) = (walker.end.elevation(), ball.end.elevation());
        println!();
        if b + 1.0 < w {
            println!(
                "Why: the walker steps in proportion to the slope under its feet, so where the valley floor flattens \
                 its strides shrink to nothing and it stalls in the first hollow, {w:.0} m up. The ball carries momentum \
                 (it keeps {:.1}% of its velocity each {} s step), rolls through that shallow hollow and on down the \
                 valley, {:.0} m lower, to {b:.0} m{}.",
                ball.beta * 100.0,
                ball.dt.unwrap_or(1.0),
                w - b,
                if b < 30.0 { ", the floor of the River Barrow's valley" } else { "" }
            );
        } else {
            println!("Here momentum did not carry the ball further than the walker: both ended near {w:.0} m.");
        }
    }
    println!();
    for p in &outcome.written {
        println!("wrote {}", p.display());
    }
    if args.no_html {
        println!("Open map.png to see the paths, tracks.geojson in geojson.io or QGIS, or tracks.gpx in any GPS viewer.");
    } else {
        println!(
            "Open {} in a browser (offline) to pan over the relief, click the tracks and follow their elevation profiles;",
            args.out.join(downhill::viewer::PAGE_NAME).display()
        );
        println!("map.png is the still picture, tracks.geojson opens in QGIS, tracks.gpx in any GPS viewer.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_is_looked_for_by_the_working_directory_then_the_executable() {
        let cwd = Path::new("/work/here");
        let exe = Path::new("/opt/downhill/target/release/downhill");
        let places = tile_candidates(cwd, Some(exe));
        assert_eq!(
            places,
            vec![
                PathBuf::from("/work/here/data/N52W007.hgt"),
                PathBuf::from("/opt/downhill/target/release/../../data/N52W007.hgt"),
                PathBuf::from("/opt/downhill/target/release/data/N52W007.hgt"),
            ]
        );
        assert_eq!(tile_candidates(cwd, None).len(), 1);
    }

    #[test]
    fn the_first_existing_place_wins_and_a_miss_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.hgt"), dir.path().join("b.hgt"));
        std::fs::write(&b, b"").unwrap();
        assert_eq!(first_existing(&[a.clone(), b.clone()]).unwrap(), b);
        let e = first_existing(std::slice::from_ref(&a))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&a.display().to_string()), "{e}");
        assert!(e.contains("downhill drop"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn the_preset_is_drops_defaults_with_the_peak_and_the_directory() {
        let args = Args {
            out: PathBuf::from("-odd dir"),
            force: true,
            no_html: false,
        };
        let d = preset(Path::new("-tile.hgt"), &args).unwrap();
        assert_eq!(d.dem.dems, vec![PathBuf::from("-tile.hgt")]);
        assert_eq!(d.run.peak.as_deref(), Some("Mount Leinster"));
        assert_eq!(d.run.out, Some(PathBuf::from("-odd dir")));
        assert!(d.run.force && !d.run.no_html && !d.run.json);
        assert_eq!(d.run.agent, AgentKind::CLASSIC.to_vec());
        assert_eq!(d.run.snap, 250.0);
        assert!(d.run.at.is_none() && d.surface.surface.is_none());
    }
}
