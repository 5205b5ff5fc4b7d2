//! Memory budgets: how many grid cells a run may hold, checked before any
//! grid is allocated.
//!
//! Every grid downhill builds (a tile, a mosaic, a rasterised formula, the
//! working grids of `basins`) is checked against one number, the cell
//! budget. Its default is what fits in about half of the memory this
//! process may use at [`BYTES_PER_CELL`] bytes a cell; `--max-cells N`
//! raises or lowers it. A claim over budget is refused with one line that
//! names the budget and how to raise it ([`crate::Error::OverBudget`]),
//! before anything is allocated.

use crate::error::{Error, Result};

/// Planning cost of one grid cell across downhill's working grids, bytes.
///
/// The heights are 4 bytes a cell, but the commands keep more per cell:
/// `basins` on an SRTM1 tile peaks at about 56 bytes a cell (702 MiB for
/// 13 M cells), so the budget plans for 64.
pub const BYTES_PER_CELL: u64 = 64;

/// Planning cost of one step of one track, bytes: the point itself (24
/// bytes) and its share of the exports built from it (GeoJSON, GPX, map),
/// about 210 bytes measured on a long run, rounded up.
pub const BYTES_PER_TRACK_POINT: u64 = 256;

/// The memory this process may use, in bytes: the smallest of the machine's
/// physical memory (`MemTotal` in `/proc/meminfo`), the address-space limit
/// (`ulimit -v`, `prlimit --as`) and the cgroup v2 memory limit, whichever
/// are known; `None` when none is.
pub fn usable_memory_bytes() -> Option<u64> {
    [mem_total(), address_space_limit(), cgroup_limit()]
        .into_iter()
        .flatten()
        .min()
}

fn mem_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(unix)]
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(not(unix))]
fn address_space_limit() -> Option<u64> {
    None
}

fn cgroup_limit() -> Option<u64> {
    std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The default cell budget: half of [`usable_memory_bytes`] at
/// [`BYTES_PER_CELL`] a cell (2^26 = 67 M cells, 4 GiB of planning, when the
/// memory cannot be read).
pub fn default_max_cells() -> u64 {
    let memory = usable_memory_bytes().unwrap_or(8 << 30);
    (memory / 2 / BYTES_PER_CELL).max(1 << 20)
}

/// Limits on what one run may hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The most grid cells one grid may have (rows x columns).
    pub max_cells: u64,
}

impl Default for Budget {
    /// The machine's default: [`default_max_cells`].
    fn default() -> Self {
        Budget {
            max_cells: default_max_cells(),
        }
    }
}

impl Budget {
    /// A budget of `max_cells` cells.
    pub fn with_max_cells(max_cells: u64) -> Self {
        Budget { max_cells }
    }

    /// Checks that a grid of `rows` x `cols` cells, described by `what`
    /// ("the GeoTIFF x.tif", "the mosaic of 4 tiles"), fits the budget.
    pub fn check_cells(&self, rows: u64, cols: u64, what: &str) -> Result<()> {
        let cells = rows.checked_mul(cols);
        match cells {
            Some(n) if n <= self.max_cells => Ok(()),
            _ => {
                let size = match cells {
                    Some(n) => format!("{n} cells ({rows} x {cols})"),
                    None => format!("{rows} x {cols} cells"),
                };
                Err(Error::OverBudget(format!(
                    "{what} would hold {size}, more than the cell budget of {} ({}); \
                     raise it with --max-cells N if the machine has the memory \
                     (about {BYTES_PER_CELL} bytes a cell)",
                    self.max_cells,
                    describe_default(self.max_cells)
                )))
            }
        }
    }

    /// The memory the budget plans for, bytes: `max_cells` x [`BYTES_PER_CELL`].
    pub fn bytes(&self) -> u64 {
        self.max_cells.saturating_mul(BYTES_PER_CELL)
    }

    /// Checks that `tracks` tracks of up to `max_steps` steps each fit the
    /// memory budget ([`BYTES_PER_TRACK_POINT`] a step), before any agent
    /// moves.
    pub fn check_track_points(&self, max_steps: u64, tracks: u64) -> Result<()> {
        let need = max_steps
            .saturating_add(1)
            .saturating_mul(tracks.max(1))
            .saturating_mul(BYTES_PER_TRACK_POINT);
        if need <= self.bytes() {
            return Ok(());
        }
        let most = self.bytes() / BYTES_PER_TRACK_POINT / tracks.max(1);
        Err(Error::OverBudget(format!(
            "--max-steps {max_steps} for {tracks} track(s) could keep {:.1} GiB of track points, \
             more than the memory budget of {:.1} GiB ({} cells of {BYTES_PER_CELL} bytes, {}); \
             give --max-steps {} or less, or raise the budget with --max-cells N",
            need as f64 / GIB,
            self.bytes() as f64 / GIB,
            self.max_cells,
            describe_default(self.max_cells),
            most.saturating_sub(1)
        )))
    }

    /// [`Budget::check_cells`] for sizes computed in floating point (a
    /// mosaic's extent over its cell size): sizes beyond `u64` or not finite
    /// are refused with their real values.
    pub fn check_cells_f64(&self, rows: f64, cols: f64, what: &str) -> Result<()> {
        let fits = |v: f64| v.is_finite() && v >= 0.0 && v <= u64::MAX as f64;
        if fits(rows) && fits(cols) {
            return self.check_cells(rows as u64, cols as u64, what);
        }
        let show = |v: f64| {
            if v.abs() < 1e15 {
                format!("{v:.0}")
            } else {
                format!("{v:.3e}")
            }
        };
        Err(Error::OverBudget(format!(
            "{what} would hold {} x {} cells, more than the cell budget of {} ({}); \
             its georeferencing is probably wrong",
            show(rows),
            show(cols),
            self.max_cells,
            describe_default(self.max_cells)
        )))
    }
}

const GIB: f64 = (1u64 << 30) as f64;

fn describe_default(max_cells: u64) -> String {
    if max_cells == default_max_cells() {
        match usable_memory_bytes() {
            Some(bytes) => format!(
                "the default, half of the {:.1} GiB this process may use",
                bytes as f64 / (1u64 << 30) as f64
            ),
            None => "the default".to_string(),
        }
    } else {
        "--max-cells".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_over_the_budget_name_it_and_the_flag_that_raises_it() {
        let b = Budget::with_max_cells(100);
        assert!(b.check_cells(10, 10, "grid").is_ok());
        let e = b.check_cells(10, 11, "the GeoTIFF a.tif").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::OverBudget(_)));
        assert!(msg.contains("110 cells (10 x 11)"), "{msg}");
        assert!(msg.contains("--max-cells"), "{msg}");
        // A product that overflows u64 is still a refusal, with real numbers.
        let msg = b.check_cells(u64::MAX, 3, "grid").unwrap_err().to_string();
        assert!(msg.contains(&format!("{} x 3 cells", u64::MAX)), "{msg}");
        // Sizes past u64 or not finite are shown as they are, never wrapped.
        let msg = b
            .check_cells_f64(1e300, f64::INFINITY, "the mosaic")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("1.000e300 x inf cells"), "{msg}");
        assert!(!msg.contains("18446744073709551615"), "{msg}");
    }

    #[test]
    fn the_default_is_half_the_memory_at_the_planning_cost() {
        // Reference: /proc/meminfo read independently (Linux only).
        let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
            eprintln!("SKIPPED: no /proc/meminfo");
            return;
        };
        let kib: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        let most = kib * 1024 / 2 / BYTES_PER_CELL;
        assert!(default_max_cells() <= most.max(1 << 20));
        assert!(default_max_cells() >= 1 << 20);
    }
}
