//! `downhill lab`: the reference notes' experiments, one PNG figure each.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use super::common::Global;
use downhill::export::OutputDir;
use downhill::lab;

/// Arguments of `downhill lab`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the figures (created if missing).
    #[arg(long, value_name = "DIR", default_value = "lab")]
    out: PathBuf,
    /// SRTM tile with Mount Leinster for the walker-against-ball run
    /// [default: data/N52W007.hgt, skipped with a note if absent].
    #[arg(long, value_name = "HGT")]
    tile: Option<PathBuf>,
    /// Replace files in DIR that downhill did not write.
    #[arg(long)]
    force: bool,
}

/// Runs `downhill lab`.
pub fn run(args: &Args, global: &Global) -> anyhow::Result<()> {
    let default_tile = PathBuf::from(lab::leinster::TILE);
    let tile = match &args.tile {
        Some(t) => Some(t.clone()),
        None if default_tile.exists() => Some(default_tile),
        None => {
            if !global.quiet {
                eprintln!(
                    "note: {} not found, skipping the Mount Leinster run (give --tile)",
                    lab::leinster::TILE
                );
            }
            None
        }
    };
    let bar = if global.show_progress() {
        let steps = lab::EXPERIMENTS.len() - usize::from(tile.is_none());
        let bar = ProgressBar::new(steps as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let mut started = 0;
    let mut dir = OutputDir::create(&args.out, args.force)?;
    let found = lab::run_all_into(&mut dir, tile.as_deref(), |name| {
        if let Some(b) = &bar {
            b.set_position(started);
            b.set_message(name.to_string());
        }
        started += 1;
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let found = found?;
    dir.commit()?;
    for f in found {
        println!("{}: {}", f.experiment, f.figure.display());
        for line in &f.results {
            println!("  {line}");
        }
    }
    Ok(())
}
