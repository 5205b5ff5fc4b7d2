//! `downhill demo`: the Mount Leinster story on the bundled tile.

use std::path::PathBuf;

use super::common::{DemArgs, Global, SeaArgs};
use super::drop::{self, ParamArgs, RunArgs};
use super::surface::SurfaceArgs;
use downhill::agents::{
    AgentKind, Endpoint, StopReason, Summary, DEFAULT_MAX_STEPS, DEFAULT_PATIENCE,
    DEFAULT_TOLERANCE_M,
};
use downhill::export;
use downhill::geo::{geodesy, LonLat};
use downhill::terrain::GradientScheme;

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

/// The bundled tile: next to the sources when run from a checkout, else `./data`.
fn bundled_tile() -> PathBuf {
    let beside_sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/N52W007.hgt");
    if beside_sources.exists() {
        beside_sources
    } else {
        PathBuf::from("data/N52W007.hgt")
    }
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
    let drop_args = drop::Args {
        dem: DemArgs {
            dems: vec![bundled_tile()],
            origin: None,
            fill_voids: false,
            mosaic_anyway: false,
            max_cells: None,
        },
        surface: SurfaceArgs::default(),
        run: RunArgs {
            at: None,
            peak: Some("Mount Leinster".into()),
            gazetteer: vec![],
            snap: 250.0,
            agent: AgentKind::CLASSIC.to_vec(),
            params: ParamArgs {
                alpha: None,
                beta: None,
                dt: None,
                friction: None,
                max_steps: DEFAULT_MAX_STEPS,
                stop_below: None,
                tolerance: DEFAULT_TOLERANCE_M,
                patience: DEFAULT_PATIENCE,
                gradient: GradientScheme::Central,
            },
            out: Some(args.out.clone()),
            force: args.force,
            json: false,
            format: vec![],
            no_html: args.no_html,
        },
        sea: SeaArgs::default(),
    };
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
