//! The ranks of an `mpirun` launch as an [`Exchange`] (feature `mpi`,
//! the `mpi` crate over the system's MPI library, e.g. OpenMPI).
//!
//! MPI is initialised only when a launcher started the process (it sets
//! `OMPI_COMM_WORLD_SIZE`, `PMI_SIZE` or `PMIX_RANK`); a binary built with
//! the feature and started without `mpirun` runs alone, as without it.
//! MPI is finalised when the [`MpiRanks`] is dropped. Only the thread that
//! created it calls MPI (the rayon workers never do).
//!
//! Limits: one gather carries at most 2^31 - 1 bytes in all (MPI counts
//! are `int`); a larger one is refused with an error on every rank.

use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

use super::exchange::{launched_by_mpirun, Exchange};
use crate::error::{Error, Result};

/// The world communicator of an MPI launch.
pub struct MpiRanks {
    // Dropped before the universe, whose drop finalises MPI.
    world: SimpleCommunicator,
    _universe: Universe,
}

impl std::fmt::Debug for MpiRanks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MpiRanks({} of {})",
            self.world.rank(),
            self.world.size()
        )
    }
}

impl MpiRanks {
    /// Initialises MPI if a launcher started this process; `None` if not
    /// (run alone). Fails if MPI was initialised before in this process.
    pub fn from_launcher() -> Result<Option<MpiRanks>> {
        if !launched_by_mpirun() {
            return Ok(None);
        }
        let universe = mpi::initialize()
            .ok_or_else(|| Error::param("MPI was already initialised in this process"))?;
        let world = universe.world();
        Ok(Some(MpiRanks {
            world,
            _universe: universe,
        }))
    }
}

impl Exchange for MpiRanks {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn gather(&self, mine: &[u8]) -> Result<Option<Vec<Vec<u8>>>> {
        let root = self.world.process_at_rank(0);
        let n = mine.len() as u64;
        let too_large = |total: u64| {
            Error::OverBudget(format!(
                "the ranks' messages to rank 0 hold {total} bytes in all, more than MPI's limit of \
                 {} bytes for one gather; use fewer or smaller blocks per run",
                Count::MAX
            ))
        };
        if self.world.rank() != 0 {
            root.gather_into(&n);
            let mut total = 0u64;
            root.broadcast_into(&mut total);
            if total > Count::MAX as u64 {
                return Err(too_large(total));
            }
            root.gather_varcount_into(mine);
            return Ok(None);
        }
        let mut counts = vec![0u64; self.size()];
        root.gather_into_root(&n, &mut counts[..]);
        let mut total: u64 = counts.iter().sum();
        root.broadcast_into(&mut total);
        if total > Count::MAX as u64 {
            return Err(too_large(total));
        }
        let counts: Vec<Count> = counts.iter().map(|&c| c as Count).collect();
        let displs: Vec<Count> = counts
            .iter()
            .scan(0, |at, &c| {
                let here = *at;
                *at += c;
                Some(here)
            })
            .collect();
        let mut buf = vec![0u8; total as usize];
        {
            let mut partition = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(mine, &mut partition);
        }
        Ok(Some(
            counts
                .iter()
                .zip(&displs)
                .map(|(&c, &d)| buf[d as usize..(d + c) as usize].to_vec())
                .collect(),
        ))
    }

    fn broadcast(&self, bytes: Vec<u8>) -> Result<Vec<u8>> {
        let root = self.world.process_at_rank(0);
        let mut n = bytes.len() as u64;
        root.broadcast_into(&mut n);
        let mut buf = if self.world.rank() == 0 {
            bytes
        } else {
            vec![0u8; n as usize]
        };
        for chunk in buf.chunks_mut(1 << 30) {
            root.broadcast_into(chunk);
        }
        Ok(buf)
    }
}
