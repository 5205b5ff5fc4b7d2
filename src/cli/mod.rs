//! Command-line interface: argument parsing and the subcommands.
//!
//! Each subcommand lives in its own file with an `Args` struct (clap) and a
//! `run` function; errors end as one line on stderr and exit code 2 (130
//! when Ctrl-C interrupted the work).

mod basins;
mod basins_tiled;
mod common;
mod demo;
mod drop;
mod errors;
mod hillshade;
mod info;
mod lab;
mod params;
mod peaks;
mod surface;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use common::Global;

/// Gradient descent on the real Earth.
#[derive(Debug, Parser)]
#[command(name = "downhill", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drainage basins: drop a walker on every cell and map where they end.
    Basins(basins::Args),
    /// Tell the Mount Leinster story on the bundled tile: walker, ball and Nesterov ball.
    Demo(demo::Args),
    /// Drop agents on a peak or a point and write their tracks (GeoJSON, GPX).
    Drop(Box<drop::Args>),
    /// Describe elevation files: size, bounds, cell size, heights, voids.
    Info(info::Args),
    /// Reproduce the reference notes' optimiser experiments, one PNG figure each.
    Lab(lab::Args),
    /// Every summit of a DEM with its prominence, key col, parent and isolation, named from gazetteers.
    Peaks(peaks::Args),
    /// Shaded relief of an elevation grid as a georeferenced PNG (gdaldem's grey levels).
    Hillshade(hillshade::Args),
}

/// Parses the command line, runs the subcommand and maps errors to exit code 2.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match &cli.command {
        Command::Basins(args) => basins::run(args, &cli.global),
        Command::Demo(args) => demo::run(args, &cli.global),
        Command::Drop(args) => drop::run(args, &cli.global),
        Command::Info(args) => info::run(args, &cli.global),
        Command::Lab(args) => lab::run(args, &cli.global),
        Command::Hillshade(args) => hillshade::run(args, &cli.global),
        Command::Peaks(args) => peaks::run(args, &cli.global),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = errors::message(&e);
            eprintln!("downhill: error: {msg}");
            // 128 + SIGINT, as a shell reports a process Ctrl-C ended.
            let interrupted = matches!(
                e.downcast_ref::<downhill::Error>(),
                Some(downhill::Error::Interrupted)
            );
            ExitCode::from(if interrupted { 130 } else { 2 })
        }
    }
}

/// Help and version go to stdout as usual; a usage error becomes one line and exit code 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    eprintln!(
        "downhill: error: {}",
        one_line(&e.render().to_string(), subcommand_named().as_deref())
    );
    ExitCode::from(2)
}

/// The first paragraph of a clap error as one line: clap puts the missing
/// argument's name or the list of possible values on the lines after the
/// first, and those are the part a user needs. The usage and "For more
/// information" paragraphs are replaced by a pointer to the `--help` of
/// `subcommand` (or of downhill).
fn one_line(rendered: &str, subcommand: Option<&str>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() {
            if parts.is_empty() {
                continue;
            }
            break;
        }
        parts.push(line.trim_start_matches("error: "));
    }
    let mut text = parts.join(" ");
    if text.is_empty() {
        text = "invalid arguments".into();
    }
    let help = match subcommand {
        Some(name) => format!("downhill {name} --help"),
        None => "downhill --help".into(),
    };
    format!("{text} (see '{help}')")
}

/// The subcommand named on the command line, if any.
fn subcommand_named() -> Option<String> {
    use clap::CommandFactory;
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    std::env::args().skip(1).find(|a| names.contains(a))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_missing_argument_is_named() {
        let rendered = "error: the following required arguments were not provided:\n  --out <DIR>\n\nUsage: downhill basins --out <DIR> [DEM]...\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered, Some("basins")),
            "the following required arguments were not provided: --out <DIR> (see 'downhill basins --help')"
        );
    }
}
