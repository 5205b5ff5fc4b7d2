//! The memo of finished walks behind the gd shortcut (see [`super::walk`]):
//! each start's place in the height order, the endings known so far, and
//! the recorder whose hook stops a walker that enters a resolved cell.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};

use super::field::GridField;
use crate::agents::{Recorder, StopReason};
use crate::geo::Xy;

/// What the gd shortcut consults: each start's place in the height order
/// and the endings computed so far, one word per cell (see [`word`]), so
/// that a walker asking about a cell reads one place in memory, not two.
pub(super) struct Memo<'m> {
    /// Per cell: the start's rank in the height order ([`NO_RANK`] where
    /// no walker starts; never changed during the walk), whether its walk
    /// is claimed, and its ending once known.
    pub words: &'m [AtomicU64],
}

/// The flag that marks a word's ending as known.
const KNOWN: u64 = 1 << 63;

/// The flag that marks a start whose walk some lane has begun
/// ([`Memo::claim`]).
const CLAIMED: u64 = 1 << 62;

/// The flag that marks a known ending taken over by the gd shortcut
/// (from a lower start, before or after the walker's first step).
const SHORTCUT: u64 = 1 << 61;

/// Where a word keeps the ending (3 bits, as `StopReason as u8`).
const ENDING_SHIFT: u32 = 58;

/// The ending's bits, shifted down.
const ENDING_MASK: u64 = 0x7;

// Every ending fits in its bits.
const _: () = assert!(StopReason::ALL.len() <= ENDING_MASK as usize + 1);

/// Where a word keeps the start's rank (29 bits).
const RANK_SHIFT: u32 = 29;

/// The end cell (the low 29 bits) and, shifted, the rank.
const FIELD_MASK: u64 = (1 << 29) - 1;

/// A word's rank bits, in place.
const RANK_MASK: u64 = FIELD_MASK << RANK_SHIFT;

/// The rank field of a cell where no walker starts: above every rank.
pub(super) const NO_RANK: u32 = FIELD_MASK as u32;

/// The most cells a grid may have for the memo: every rank stays below
/// [`NO_RANK`] and every end cell fits in its 29 bits (a grid of 23 000 x
/// 23 000 samples; larger ones run `--tiled` or `--exact`).
pub const MAX_MEMO_CELLS: usize = FIELD_MASK as usize;

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

/// The word of a cell before the walk: the start's rank in the height
/// order (below [`NO_RANK`]), or `None` where no walker starts.
#[inline]
pub(super) fn word(rank: Option<u32>) -> u64 {
    u64::from(rank.unwrap_or(NO_RANK)) << RANK_SHIFT
}

/// The bits of a known ending: an end cell (below [`MAX_MEMO_CELLS`]) and
/// how the walk ended, with [`KNOWN`] set; or-ed into the cell's word.
#[inline]
pub(super) fn pack(end: u32, ending: StopReason) -> u64 {
    KNOWN | (ending as u64) << ENDING_SHIFT | u64::from(end)
}

/// The end cell and ending of a word, if it is known.
#[inline]
pub(super) fn unpack(w: u64) -> Option<(u32, StopReason)> {
    (w & KNOWN != 0).then(|| {
        (
            (w & FIELD_MASK) as u32,
            StopReason::from_u8((w >> ENDING_SHIFT & ENDING_MASK) as u8),
        )
    })
}

/// Whether a word's known ending was taken over by the gd shortcut
/// ([`Memo::store`]).
#[inline]
pub(super) fn took_shortcut(w: u64) -> bool {
    w & (KNOWN | SHORTCUT) == KNOWN | SHORTCUT
}

/// The rank of a word's start, [`NO_RANK`] where no walker starts.
#[inline]
fn rank_of(w: u64) -> u32 {
    ((w & RANK_MASK) >> RANK_SHIFT) as u32
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
        self.words[i].load(Ordering::Acquire) & KNOWN != 0
    }

    /// The rank of the start in cell `i` in the height order, or
    /// [`NO_RANK`].
    #[inline]
    pub fn rank(&self, i: usize) -> u32 {
        rank_of(self.words[i].load(Ordering::Relaxed))
    }

    /// Claims the walk of the start in cell `i` for the caller, unless its
    /// ending is known or another walker claimed it first (who then stores
    /// its ending: claimed walks are always finished).
    #[inline]
    pub fn claim(&self, i: usize) -> Claim {
        let prior = self.words[i].fetch_or(CLAIMED, Ordering::AcqRel);
        if prior & KNOWN != 0 {
            Claim::Known
        } else if prior & CLAIMED != 0 {
            Claim::Taken
        } else {
            Claim::Mine
        }
    }

    /// Records the ending of the start in cell `i`, and whether it was
    /// taken over by the `shortcut`: by the walker that claimed it, or,
    /// for a start settled before its first step ([`Memo::settled`]),
    /// by any walker that finds it so, unclaimed. Those all store the
    /// same word, since the endings a settled start reads are final. Its
    /// word keeps its rank and is marked claimed.
    ///
    /// A plain store, not a locked read-modify-write: the rank never
    /// changes, and the other writes a word sees are claims, which set
    /// [`CLAIMED`], set here too, and stores of this same word.
    #[inline]
    pub fn store(&self, i: usize, end: u32, ending: StopReason, shortcut: bool) {
        let rank = self.words[i].load(Ordering::Relaxed) & RANK_MASK;
        let taken = if shortcut { SHORTCUT } else { 0 };
        self.words[i].store(
            rank | CLAIMED | taken | pack(end, ending),
            Ordering::Release,
        );
    }

    /// `true` when the start in cell `i` is claimed or its ending known:
    /// someone else walks it, or has.
    #[inline]
    pub fn is_taken(&self, i: usize) -> bool {
        self.words[i].load(Ordering::Acquire) & (KNOWN | CLAIMED) != 0
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

    /// The ending the start in cell (`r`, `c`), of rank `own`, takes
    /// before its first step: `Ok(Some(..))` when all eight neighbours are
    /// starts and the lower ones (at least one) all end in one basin
    /// (pairwise [`same_sink`]); the ending is the lowest one's. `Ok(None)`
    /// when it must walk (an edge cell, a neighbour that is no start: void,
    /// sea, off the stride; no lower neighbour; two that disagree: a divide
    /// passes by); `Err(j)` for a lower neighbour `j` whose ending is not
    /// known yet. A disagreement among known neighbours stays one once the
    /// rest are known, so the answer does not depend on which are.
    ///
    /// Why it holds: a walker leaving the cell into a lower neighbour's
    /// cell stands in a bilinear cell whose corners are this cell and three
    /// of its neighbours, where [`Memo::take_over`] hands it that
    /// neighbour's ending; a walker that stalls in the cell moves to its
    /// steepest lower neighbour (with stalls resolved). The caller checks
    /// which neighbour's cell the walker heads into (`walk::settled_start`).
    pub fn settled(
        &self,
        r: usize,
        c: usize,
        rows: usize,
        cols: usize,
        own: u32,
    ) -> Result<Option<(u32, StopReason)>, u32> {
        if r == 0 || c == 0 || r + 1 >= rows || c + 1 >= cols {
            return Ok(None);
        }
        // The distinct endings seen so far (almost always one), and the
        // lowest neighbour's.
        let mut seen: [(u32, StopReason); 8] = [(0, StopReason::Converged); 8];
        let mut distinct = 0;
        let mut lowest: Option<(u32, (u32, StopReason))> = None;
        let mut pending = None;
        for (dr, dc) in super::fill::NEIGHBOURS {
            let i = (r as isize + dr) as usize * cols + (c as isize + dc) as usize;
            let w = self.words[i].load(Ordering::Acquire);
            let rank = rank_of(w);
            if rank == NO_RANK {
                return Ok(None);
            }
            if rank >= own {
                continue;
            }
            let Some(e) = unpack(w) else {
                pending = Some(i as u32);
                continue;
            };
            if !seen[..distinct].contains(&e) {
                if seen[..distinct]
                    .iter()
                    .any(|s| !same_sink(s.0, s.1, e.0, e.1, cols))
                {
                    return Ok(None);
                }
                seen[distinct] = e;
                distinct += 1;
            }
            if lowest.is_none_or(|(k, _)| rank < k) {
                lowest = Some((rank, e));
            }
        }
        if let Some(j) = pending {
            return Err(j);
        }
        Ok(lowest.map(|(_, e)| e))
    }

    /// `true` when cell `i` holds a start lower in the height order than
    /// the walker of rank `own`.
    #[inline]
    pub fn is_lower_start(&self, i: usize, own: u32) -> bool {
        self.rank(i) < own
    }

    /// What the memo says about cell `i` to the walker of rank `own`.
    #[inline]
    pub fn lookup(&self, i: usize, own: u32) -> Lookup {
        let w = self.words[i].load(Ordering::Acquire);
        if rank_of(w) >= own {
            return Lookup::Unrelated;
        }
        match unpack(w) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A memo over a 4 x 4 grid: ranks by hand (`None`: no start), and
    /// the endings known so far.
    fn memo_of(rank: [[Option<u32>; 4]; 4], known: &[(usize, u32, StopReason)]) -> Vec<AtomicU64> {
        let words: Vec<AtomicU64> = rank
            .iter()
            .flatten()
            .map(|&r| AtomicU64::new(word(r)))
            .collect();
        let memo = Memo { words: &words };
        for &(i, end, ending) in known {
            memo.store(i, end, ending, false);
        }
        words
    }

    /// Ranks around the start at (1, 1), rank 4: lower neighbours at
    /// (0, 0), (0, 1), (1, 0) and (2, 2), ranks 0-3.
    const RANKS: [[Option<u32>; 4]; 4] = [
        [Some(0), Some(1), Some(5), Some(9)],
        [Some(2), Some(4), Some(6), Some(10)],
        [Some(7), Some(8), Some(3), Some(11)],
        [Some(12), Some(13), Some(14), Some(15)],
    ];
    const LOWER: [usize; 4] = [0, 1, 4, 10];

    fn settled_with(
        ranks: [[Option<u32>; 4]; 4],
        known: &[(usize, u32, StopReason)],
        r: usize,
        c: usize,
    ) -> Result<Option<(u32, StopReason)>, u32> {
        let words = memo_of(ranks, known);
        let memo = Memo { words: &words };
        let own = memo.rank(r * 4 + c);
        memo.settled(r, c, 4, 4, own)
    }

    #[test]
    fn a_start_whose_lower_neighbours_share_an_outlet_takes_it() {
        let edge = StopReason::Edge;
        let all: Vec<_> = LOWER.iter().map(|&i| (i, 3, edge)).collect();
        assert_eq!(settled_with(RANKS, &all, 1, 1), Ok(Some((3, edge))));
        // Higher neighbours, known or not, are not asked.
        let mut more = all.clone();
        more.push((2, 15, edge));
        assert_eq!(settled_with(RANKS, &more, 1, 1), Ok(Some((3, edge))));
    }

    #[test]
    fn a_lower_neighbour_not_finished_blocks_the_start() {
        let edge = StopReason::Edge;
        let three: Vec<_> = LOWER[..3].iter().map(|&i| (i, 3, edge)).collect();
        assert_eq!(settled_with(RANKS, &three, 1, 1), Err(10));
    }

    #[test]
    fn lower_neighbours_in_two_basins_leave_the_start_to_walk() {
        let edge = StopReason::Edge;
        let split = [(0, 3, edge), (1, 3, edge), (4, 12, edge), (10, 3, edge)];
        assert_eq!(settled_with(RANKS, &split, 1, 1), Ok(None));
        // Known to disagree while one is pending: the same answer as once
        // all are known, whatever it turns out to be.
        let pending = [(0, 3, edge), (4, 12, edge)];
        assert_eq!(settled_with(RANKS, &pending, 1, 1), Ok(None));
    }

    #[test]
    fn sinks_a_cell_apart_count_as_one_basin_and_the_lowest_neighbour_speaks() {
        let sink = StopReason::Converged;
        // Sinks at cells 15 and 10 are diagonal neighbours; the lowest
        // neighbour (rank 0, cell 0) ends at 15.
        let near = [(0, 15, sink), (1, 10, sink), (4, 10, sink), (10, 10, sink)];
        assert_eq!(settled_with(RANKS, &near, 1, 1), Ok(Some((15, sink))));
        // Sinks two cells apart (8 and 10) are two basins.
        let apart = [(0, 8, sink), (1, 10, sink), (4, 10, sink), (10, 10, sink)];
        assert_eq!(settled_with(RANKS, &apart, 1, 1), Ok(None));
        // An outlet next to a sink is not the sink's basin.
        let mixed = [
            (0, 15, StopReason::Edge),
            (1, 10, sink),
            (4, 10, sink),
            (10, 10, sink),
        ];
        assert_eq!(settled_with(RANKS, &mixed, 1, 1), Ok(None));
    }

    /// A word keeps its rank through a claim and a stored ending, at the
    /// largest rank and end cell it can hold and with every ending; a cell
    /// with no start ranks above every start.
    #[test]
    fn words_keep_rank_claim_and_ending_apart() {
        let top_rank = NO_RANK - 1;
        let top_end = (MAX_MEMO_CELLS - 1) as u32;
        for ending in StopReason::ALL {
            for (rank, end) in [(0, 0), (top_rank, top_end), (12_345, 678), (7, top_end)] {
                let words = [AtomicU64::new(word(Some(rank))), AtomicU64::new(word(None))];
                let memo = Memo { words: &words };
                assert_eq!((memo.rank(0), memo.is_known(0)), (rank, false));
                assert_eq!(memo.claim(0), Claim::Mine);
                assert_eq!(memo.claim(0), Claim::Taken);
                assert_eq!(memo.rank(0), rank);
                assert!(memo.is_taken(0) && !memo.is_taken(1));
                let shortcut = rank % 2 == 1;
                memo.store(0, end, ending, shortcut);
                assert_eq!(memo.claim(0), Claim::Known);
                assert_eq!(memo.rank(0), rank);
                let w = words[0].load(Ordering::Relaxed);
                assert_eq!(unpack(w), Some((end, ending)));
                assert_eq!(took_shortcut(w), shortcut);
                assert!(!took_shortcut(word(Some(rank))));
                // The cell without a start: above `rank`, never lower.
                assert_eq!(memo.rank(1), NO_RANK);
                assert!(!memo.is_lower_start(1, rank) && !memo.is_lower_start(1, top_rank));
                assert!(matches!(memo.lookup(1, top_rank), Lookup::Unrelated));
                assert!(
                    matches!(memo.lookup(0, rank + 1), Lookup::Known(e, h) if (e, h) == (end, ending))
                );
                assert!(matches!(memo.lookup(0, rank), Lookup::Unrelated));
            }
        }
    }

    #[test]
    fn edges_gaps_and_lowest_starts_walk() {
        let edge = StopReason::Edge;
        let all: Vec<_> = (0..16).map(|i| (i, 3, edge)).collect();
        // On the grid's edge.
        assert_eq!(settled_with(RANKS, &all, 0, 1), Ok(None));
        assert_eq!(settled_with(RANKS, &all, 1, 3), Ok(None));
        // A neighbour where no walker starts (sea, a void, the stride).
        let mut gap = RANKS;
        gap[2][0] = None;
        assert_eq!(settled_with(gap, &all, 1, 1), Ok(None));
        // No lower neighbour: the start is the lowest around.
        let mut lowest = RANKS;
        lowest[1][1] = Some(0);
        lowest[0][0] = Some(4);
        assert_eq!(settled_with(lowest, &all, 1, 1), Ok(None));
    }
}
