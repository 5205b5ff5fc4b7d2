//! Command-line interface: argument parsing and the subcommands.
//!
//! Each subcommand lives in its own file with an `Args` struct (clap) and a
//! `run` function; errors end as one line on stderr and exit code 2.

mod basins;
mod common;
mod info;

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
    /// Describe elevation files: size, bounds, cell size, heights, voids.
    Info(info::Args),
}

/// Parses the command line, runs the subcommand and maps errors to exit code 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Basins(args) => basins::run(args, &cli.global),
        Command::Info(args) => info::run(args, &cli.global),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("downhill: error: {msg}");
            ExitCode::from(2)
        }
    }
}
