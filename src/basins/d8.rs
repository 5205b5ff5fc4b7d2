//! The D8 finish: moves from cell centre to the steepest lower neighbour,
//! which carry a walker along valley floors too flat for its gradient and
//! from the raster's edge to the outlet the fill made (see
//! [`super::walk`], "Stalls on a filled surface").

use super::field::GridField;
use super::memo::{Lookup, Shortcut};
use super::walk::WalkSettings;
use crate::agents::StopReason;
use crate::geo::Xy;
use crate::terrain::Surface;

/// What a run of D8 moves led to.
pub(super) enum D8 {
    /// The walk is over.
    Done {
        /// The cell it ended in (row-major index).
        end: u32,
        /// Why.
        ending: StopReason,
        /// `true` when it took over a known ending from the memo.
        shortcut: bool,
    },
    /// The ground is steep enough for the agent again at this cell.
    Resume((usize, usize)),
    /// It entered a lower start whose ending is not known yet.
    Blocked(u32),
}

/// D8 moves from `cell` (each counted as a step and a move): to the
/// steepest lower neighbour, until a cell without one (an outlet), a cell
/// the memo knows, or, unless `d8_only`, the step budget or a cell where the
/// agent's step `α |∇h|` reaches the tolerance.
pub(super) fn d8_moves(
    field: &GridField<'_>,
    s: &WalkSettings,
    mut cell: (usize, usize),
    d8_only: bool,
    shortcut: Option<Shortcut<'_, '_>>,
    step: &mut usize,
    moves: &mut u32,
) -> D8 {
    let (rows, cols) = (field.rows(), field.cols());
    let at = |cell| cell_index(field, cell);
    loop {
        let Some(next_cell) = field.steepest_lower_neighbour(cell.0, cell.1) else {
            let on_edge = cell.0 == 0 || cell.1 == 0 || cell.0 + 1 == rows || cell.1 + 1 == cols;
            let ending = if on_edge {
                StopReason::Edge
            } else {
                StopReason::Converged
            };
            return done(at(cell), ending, false);
        };
        cell = next_cell;
        *moves += 1;
        *step += 1;
        if field.is_sea_sample(cell.0, cell.1) {
            return done(at(cell), StopReason::Sea, false);
        }
        if let Some(over) = arrive(field, s, cell, d8_only, shortcut, *step) {
            return over;
        }
    }
}

/// [`d8_moves`] that were [`D8::Blocked`] in `cell` (a lower start not
/// finished then), going on from there once that start may be known: the
/// memo is asked again where it answered pending, and the moves go on as
/// they would have. Everything the moves (and the walk before them) looked
/// at on the way there was known or no lower start, and stays so, so this
/// ends as the walk redone from its start would.
pub(super) fn d8_moves_resumed(
    field: &GridField<'_>,
    s: &WalkSettings,
    cell: (usize, usize),
    d8_only: bool,
    shortcut: Option<Shortcut<'_, '_>>,
    step: &mut usize,
    moves: &mut u32,
) -> D8 {
    match arrive(field, s, cell, d8_only, shortcut, *step) {
        Some(over) => over,
        None => d8_moves(field, s, cell, d8_only, shortcut, step, moves),
    }
}

/// The row-major index of `cell` (row, column) in `field`.
fn cell_index(field: &GridField<'_>, (r, c): (usize, usize)) -> u32 {
    (r * field.cols() + c) as u32
}

/// A finished run of moves, in cell `end` (its steps are the walker's
/// count, moves included).
fn done(end: u32, ending: StopReason, shortcut: bool) -> D8 {
    D8::Done {
        end,
        ending,
        shortcut,
    }
}

/// What a move into `cell` (not sea) after `step` steps finds: the memo's
/// answer there, the end of the budget, or ground steep enough for the
/// agent again; `None` to move on.
fn arrive(
    field: &GridField<'_>,
    s: &WalkSettings,
    cell: (usize, usize),
    d8_only: bool,
    shortcut: Option<Shortcut<'_, '_>>,
    step: usize,
) -> Option<D8> {
    let at = cell_index(field, cell);
    if let Some(sc) = shortcut {
        match sc.memo.lookup(at as usize, sc.own) {
            Lookup::Unrelated => {}
            Lookup::Known(end, ending) => return Some(done(end, ending, true)),
            Lookup::Pending(i) => return Some(D8::Blocked(i)),
        }
    }
    // D8-only moves strictly descend, so they end without a budget.
    if !d8_only && step >= s.rules.max_steps {
        return Some(done(at, StopReason::MaxSteps, false));
    }
    let centre = Xy::new(cell.1 as f64, cell.0 as f64);
    let steep = field
        .gradient(centre)
        .is_ok_and(|g| s.params.alpha * g.norm() >= s.rules.tolerance_m);
    (steep && !d8_only).then_some(D8::Resume(cell))
}
