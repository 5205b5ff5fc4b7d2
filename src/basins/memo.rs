//! The memo of finished walks behind the gd shortcut (see [`super::walk`]):
//! each start's place in the height order, the endings known so far, and
//! the recorder whose hook stops a walker that enters a resolved cell.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::field::GridField;
use crate::agents::{Recorder, StopReason};
use crate::geo::Xy;

/// What the gd shortcut consults: each start's place in the height order
/// and the endings computed so far.
pub(super) struct Memo<'m> {
    /// Per cell: the start's rank in the height order, or
    /// [`super::NO_START`] (atomics only to be built in parallel; never
    /// written during the walk).
    pub rank: &'m [AtomicU32],
    /// Per cell: a packed ending once known (see [`pack`]), else 0.
    pub known: &'m [AtomicU64],
}

/// The flag that marks a packed ending as known.
const KNOWN: u64 = 1 << 63;

/// The flag that marks a start whose walk some lane has begun
/// ([`Memo::claim`]); below the packed ending's bits, so `unpack` ignores it.
const CLAIMED: u64 = 1 << 62;

/// Who walks a start ([`Memo::claim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Claim {
    /// Its ending is known already.
    Known,
    /// Another walker began it first and will store its ending.
    Taken,
    /// The caller: nobody else will walk it.
    Mine,
}

/// Packs an end cell and its ending into one word (with [`KNOWN`] set).
#[inline]
pub(super) fn pack(end: u32, ending: StopReason) -> u64 {
    KNOWN | (ending as u64) << 32 | end as u64
}

/// The end cell and ending of a packed word, if it is known.
#[inline]
pub(super) fn unpack(w: u64) -> Option<(u32, StopReason)> {
    (w & KNOWN != 0).then(|| (w as u32, StopReason::from_u8((w >> 32) as u8)))
}

/// Whether two endings are one basin's for the corner check: the same end
/// cell, or two sinks within one cell of each other (which
/// [`super::labels`] merges into one basin).
#[inline]
fn same_sink(a: u32, a_ending: StopReason, b: u32, b_ending: StopReason, cols: usize) -> bool {
    if a == b {
        return true;
    }
    if !(a_ending.is_sink() && b_ending.is_sink()) {
        return false;
    }
    let (ar, ac) = (a as usize / cols, a as usize % cols);
    let (br, bc) = (b as usize / cols, b as usize % cols);
    ar.abs_diff(br) <= 1 && ac.abs_diff(bc) <= 1
}

/// What the memo says about cell `i` for the walker that started at rank
/// `own`: nothing (not a lower start), its ending, or that it is a lower
/// start whose ending nobody has computed yet.
pub(super) enum Lookup {
    Unrelated,
    Known(u32, StopReason),
    Pending(u32),
}

impl Memo<'_> {
    /// `true` once the ending of the start in cell `i` is known.
    #[inline]
    pub fn is_known(&self, i: usize) -> bool {
        self.known[i].load(Ordering::Acquire) & KNOWN != 0
    }

    /// Claims the walk of the start in cell `i` for the caller, unless its
    /// ending is known or another walker claimed it first (who then stores
    /// its ending: claimed walks are always finished).
    #[inline]
    pub fn claim(&self, i: usize) -> Claim {
        let prior = self.known[i].fetch_or(CLAIMED, Ordering::AcqRel);
        if prior & KNOWN != 0 {
            Claim::Known
        } else if prior & CLAIMED != 0 {
            Claim::Taken
        } else {
            Claim::Mine
        }
    }

    /// Records the ending of the start in cell `i`.
    #[inline]
    pub fn store(&self, i: usize, end: u32, ending: StopReason) {
        self.known[i].store(pack(end, ending), Ordering::Release);
    }

    /// The ending a walker of rank `own` at `p`, in cell `i`, takes over:
    /// `Ok(Some(..))` when cell `i` is a lower start with a known ending
    /// and the lower starts at the four samples around `p` (the corners of
    /// the bilinear cell whose gradients move the walker) agree with it;
    /// `Ok(None)` when it must walk on (`i` is no lower start, or a corner
    /// ends elsewhere: a divide passes near `p`); `Err(j)` for a lower
    /// start `j` whose ending is not known yet.
    fn take_over(
        &self,
        i: usize,
        p: Xy,
        rows: usize,
        cols: usize,
        own: u32,
    ) -> Result<Option<(u32, StopReason)>, u32> {
        let (end, end_ending) = match self.lookup(i, own) {
            Lookup::Unrelated => return Ok(None),
            Lookup::Pending(j) => return Err(j),
            Lookup::Known(end, ending) => (end, ending),
        };
        let r0 = (p.y.max(0.0) as usize).min(rows - 2);
        let c0 = (p.x.max(0.0) as usize).min(cols - 2);
        for (r, c) in [(r0, c0), (r0, c0 + 1), (r0 + 1, c0), (r0 + 1, c0 + 1)] {
            match self.lookup(r * cols + c, own) {
                Lookup::Unrelated => {}
                Lookup::Known(e, ending) if same_sink(e, ending, end, end_ending, cols) => {}
                Lookup::Known(..) => return Ok(None),
                Lookup::Pending(j) => return Err(j),
            }
        }
        Ok(Some((end, end_ending)))
    }

    /// What the memo says about cell `i` to the walker of rank `own`.
    #[inline]
    pub fn lookup(&self, i: usize, own: u32) -> Lookup {
        if self.rank[i].load(Ordering::Relaxed) >= own {
            return Lookup::Unrelated;
        }
        match unpack(self.known[i].load(Ordering::Acquire)) {
            Some((end, ending)) => Lookup::Known(end, ending),
            None => Lookup::Pending(i as u32),
        }
    }
}

/// The memo and the rank of the walker consulting it.
#[derive(Clone, Copy)]
pub(super) struct Shortcut<'a, 'm> {
    pub memo: &'a Memo<'m>,
    pub own: u32,
}

/// The basins walker's recorder: keeps nothing, looks heights up only
/// where the walker may have left the grid, and, with a shortcut, asks the
/// memo at every cell the walker enters whether its fate is known.
///
/// Its hook answers `Ok((end cell, ending))` to take over a known ending,
/// or `Err(j)` when the walker entered lower start `j`, not finished yet.
pub(super) struct MemoRecorder<'f, 'a, 'm> {
    field: &'f GridField<'f>,
    /// The memo and the walker's rank in it, if the shortcut is on.
    pub shortcut: Option<Shortcut<'a, 'm>>,
    /// The cell the walker was last seen in, (row, column).
    pub here: (usize, usize),
}

impl<'f, 'a, 'm> MemoRecorder<'f, 'a, 'm> {
    /// A recorder for a walker starting in cell `here`.
    pub fn new(
        field: &'f GridField<'f>,
        shortcut: Option<Shortcut<'a, 'm>>,
        here: (usize, usize),
    ) -> Self {
        MemoRecorder {
            field,
            shortcut,
            here,
        }
    }
}

impl Recorder for MemoRecorder<'_, '_, '_> {
    type Handoff = Result<(u32, StopReason), u32>;
    const KEEPS_EVERY_STEP: bool = false;

    /// Without a sea level the height is only needed to detect leaving
    /// the grid or reaching a void; the next gradient detects a void at
    /// the same position, so inside the grid the lookup is skipped.
    #[inline(always)]
    fn needs_elevation(&self, next: Xy) -> bool {
        !self.field.is_inside(next)
    }

    #[inline(always)]
    fn record(&mut self, _position: Xy, _elevation: f64) {}

    #[inline(always)]
    fn after_step(&mut self, x: Xy) -> ControlFlow<Self::Handoff> {
        if self.shortcut.is_none() {
            return ControlFlow::Continue(());
        }
        let cell = self.field.nearest_sample(x);
        if cell == self.here {
            return ControlFlow::Continue(());
        }
        self.here = cell;
        self.ask(x)
    }
}

impl MemoRecorder<'_, '_, '_> {
    /// The hook's question at `x`, in the cell `here`: whether the walker
    /// takes over a known ending there, is blocked by a pending lower
    /// start, or walks on. Asked again when a paused walk resumes.
    #[inline(always)]
    pub(super) fn ask(&self, x: Xy) -> ControlFlow<<Self as Recorder>::Handoff> {
        let Some(sc) = self.shortcut else {
            return ControlFlow::Continue(());
        };
        let (rows, cols) = (self.field.rows(), self.field.cols());
        let cell = self.here;
        match sc
            .memo
            .take_over(cell.0 * cols + cell.1, x, rows, cols, sc.own)
        {
            Ok(Some(ending)) => ControlFlow::Break(Ok(ending)),
            Ok(None) => ControlFlow::Continue(()),
            Err(j) => ControlFlow::Break(Err(j)),
        }
    }
}
