//! How the processes (ranks) of a tiled run share the blocks and their
//! results: one algorithm, two engines.
//!
//! The tiled driver ([`super::TiledFill::plan_with`], [`super::run::run_with`])
//! does the per-block work of the blocks its rank owns ([`owns`]: block `k`
//! belongs to rank `k mod ranks`, a static round-robin) and meets the other
//! ranks only through [`Exchange`]: rank 0 gathers every rank's bytes, runs
//! the merges, and broadcasts the result ([`merge_on_root`]).
//!
//! - [`Alone`]: one process (the rayon engine); gathering and broadcasting
//!   hand the bytes back.
//! - `MpiRanks` (feature `mpi`, `src/basins/tiled/mpi_ranks.rs`): the
//!   ranks of an `mpirun` launch, over MPI collectives.
//!
//! An error on any rank (a file it cannot read, a block that does not
//! settle) is carried to rank 0 in the same messages and given back to
//! every rank, so that no rank waits forever for a rank that gave up; the
//! rank where it happened keeps the error itself, the others get its
//! message prefixed with the rank.

use super::wire::{Reader, Writer};
use crate::error::{Error, Result};

/// The communication layer of a tiled run.
///
/// Every rank must call the same methods in the same order (they are
/// collective operations).
pub trait Exchange {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// Every rank's `mine`, in rank order, on rank 0; `None` on the others.
    fn gather(&self, mine: &[u8]) -> Result<Option<Vec<Vec<u8>>>>;

    /// Rank 0's `bytes` on every rank (the others' `bytes` are ignored).
    fn broadcast(&self, bytes: Vec<u8>) -> Result<Vec<u8>>;
}

/// One process alone: the single-machine engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Alone;

impl Exchange for Alone {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn gather(&self, mine: &[u8]) -> Result<Option<Vec<Vec<u8>>>> {
        Ok(Some(vec![mine.to_vec()]))
    }

    fn broadcast(&self, bytes: Vec<u8>) -> Result<Vec<u8>> {
        Ok(bytes)
    }
}

/// Whether an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx) started
/// this process: it set `OMPI_COMM_WORLD_SIZE`, `PMI_SIZE` or `PMIX_RANK`.
pub fn launched_by_mpirun() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

/// Whether block `k` is worked by this rank (round-robin).
pub fn owns(ex: &dyn Exchange, k: usize) -> bool {
    k % ex.size().max(1) == ex.rank()
}

const OK: u8 = 0;
const FAILED: u8 = 1;

/// `Ok` bytes or an error's message, tagged.
fn tagged(result: std::result::Result<Vec<u8>, String>) -> Vec<u8> {
    let (tag, mut body) = match result {
        Ok(bytes) => (OK, bytes),
        Err(message) => (FAILED, message.into_bytes()),
    };
    body.insert(0, tag);
    body
}

/// The inverse of [`tagged`].
fn untagged(bytes: &[u8]) -> Result<std::result::Result<&[u8], String>> {
    match Reader::new(bytes).u8()? {
        OK => Ok(Ok(&bytes[1..])),
        _ => Ok(Err(String::from_utf8_lossy(&bytes[1..]).into_owned())),
    }
}

/// Gathers every rank's `mine` on rank 0, runs `merge` there over them (in
/// rank order), and gives its bytes to every rank. If any rank's `mine`
/// (or the merge) failed, every rank returns an error instead (see the
/// module documentation).
pub fn merge_on_root(
    ex: &dyn Exchange,
    mine: Result<Vec<u8>>,
    merge: impl FnOnce(Vec<&[u8]>) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    let (sent, own_error) = match mine {
        Ok(bytes) => (tagged(Ok(bytes)), None),
        Err(e) => (tagged(Err(e.to_string())), Some(e)),
    };
    let gathered = ex.gather(&sent)?;
    drop(sent);
    let mut merge_error = None;
    let outcome = match gathered {
        Some(all) => {
            let mut parts = Vec::with_capacity(all.len());
            let mut failure = None;
            for (r, m) in all.iter().enumerate() {
                match untagged(m)? {
                    Ok(p) => parts.push(p),
                    Err(msg) => {
                        failure.get_or_insert(format!("rank {r} of {}: {msg}", all.len()));
                    }
                }
            }
            match failure {
                Some(msg) => tagged(Err(msg)),
                None => match merge(parts) {
                    Ok(bytes) => tagged(Ok(bytes)),
                    Err(e) => {
                        let msg = format!("rank 0 of {}: {e}", all.len());
                        merge_error = Some(e);
                        tagged(Err(msg))
                    }
                },
            }
        }
        None => Vec::new(),
    };
    let result = ex.broadcast(outcome)?;
    if let Some(e) = own_error.or(merge_error) {
        return Err(e);
    }
    match untagged(&result)? {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(msg) => Err(Error::param(msg)),
    }
}

/// Every rank's `mine`, in rank order, on every rank.
pub fn all_gather(ex: &dyn Exchange, mine: Result<Vec<u8>>) -> Result<Vec<Vec<u8>>> {
    let joined = merge_on_root(ex, mine, |parts| {
        let mut w = Writer::new();
        for p in parts {
            w.bytes(p);
        }
        Ok(w.finish())
    })?;
    let mut r = Reader::new(&joined);
    (0..ex.size())
        .map(|_| r.bytes().map(<[u8]>::to_vec))
        .collect()
}

/// Waits until every rank has reached this point; an error on any rank
/// becomes an error on all.
pub fn agree(ex: &dyn Exchange, mine: Result<()>) -> Result<()> {
    merge_on_root(ex, mine.map(|()| Vec::new()), |_| Ok(Vec::new())).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alone_hands_back_results_and_keeps_its_own_error() {
        let got = all_gather(&Alone, Ok(vec![1, 2, 3])).unwrap();
        assert_eq!(got, vec![vec![1, 2, 3]]);
        let merged = merge_on_root(&Alone, Ok(vec![5]), |p| {
            Ok(p.iter().flat_map(|b| b.iter().map(|x| x * 2)).collect())
        })
        .unwrap();
        assert_eq!(merged, vec![10]);
        let e = merge_on_root(&Alone, Err(Error::Interrupted), |_| Ok(vec![])).unwrap_err();
        assert!(matches!(e, Error::Interrupted));
        let e =
            merge_on_root(&Alone, Ok(vec![]), |_| Err(Error::param("merge broke"))).unwrap_err();
        assert_eq!(e.to_string(), "merge broke");
        assert!(owns(&Alone, 0) && owns(&Alone, 7));
    }

    /// Three ranks simulated in one thread: each call of the collective
    /// sees what the test says the other ranks sent.
    struct Fake {
        rank: usize,
        others: Vec<Vec<u8>>,
        root_says: std::cell::RefCell<Option<Vec<u8>>>,
    }

    impl Exchange for Fake {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            3
        }
        fn gather(&self, mine: &[u8]) -> Result<Option<Vec<Vec<u8>>>> {
            if self.rank != 0 {
                return Ok(None);
            }
            let mut all = vec![mine.to_vec()];
            all.extend(self.others.iter().cloned());
            Ok(Some(all))
        }
        fn broadcast(&self, bytes: Vec<u8>) -> Result<Vec<u8>> {
            Ok(self.root_says.borrow_mut().take().unwrap_or(bytes))
        }
    }

    #[test]
    fn an_error_on_another_rank_reaches_the_root_and_names_the_rank() {
        let root = Fake {
            rank: 0,
            others: vec![
                tagged(Ok(vec![1])),
                tagged(Err("N44E007.hgt: truncated".into())),
            ],
            root_says: Default::default(),
        };
        let e =
            merge_on_root(&root, Ok(vec![0]), |_| panic!("no merge after a failure")).unwrap_err();
        assert_eq!(e.to_string(), "rank 2 of 3: N44E007.hgt: truncated");
        // A rank that did not fail gets the root's verdict.
        let other = Fake {
            rank: 1,
            others: vec![],
            root_says: std::cell::RefCell::new(Some(tagged(Err("rank 2 of 3: broken".into())))),
        };
        let e = merge_on_root(&other, Ok(vec![1]), |_| unreachable!()).unwrap_err();
        assert_eq!(e.to_string(), "rank 2 of 3: broken");
    }
}
