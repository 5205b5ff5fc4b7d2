//! A momentum walker in flight between blocks, and the ending it sends
//! home: what one block hands to another in the rounds of
//! [`super::momentum`], as flat byte records (see [`super::wire`]) read
//! back with every field checked.
//!
//! A [`Flight`] is everything the in-memory walk of a start
//! (`basins::walk`) keeps between two steps: the position in mosaic
//! sample coordinates, the velocity, the step count, the patience counter,
//! the D8 moves taken and the stall state, and which part of the walk
//! comes next ([`Phase`]). Resumed from it, a block continues the walk
//! exactly where the block that handed it over stopped.

use super::wire::{Reader, Writer};
use crate::agents::StopReason;
use crate::error::{Error, Result};
use crate::geo::Xy;
use crate::terrain::Vector;

/// Which part of the in-memory walk a walker in flight resumes with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// The agent's descent loop, from `at` with the carried velocity and
    /// patience counter (the step that needed the other block's terrain
    /// was not taken).
    Walk,
    /// A stop rule fired at `at` (`ahead`: met at the position a step led
    /// to); what `basins` does about it (D8 moves, an ending) is next.
    Stop(StopReason, bool),
    /// A D8 move has just arrived in the cell at `at`; its checks (the
    /// step budget, whether the ground is steep enough to walk on) are next.
    D8Arrived,
    /// D8 moves go on from the cell at `at`.
    D8,
    /// A step has just reached `at`; its sea test (and the patience
    /// counter after it) is next, on the block that knows the sea there.
    SeaTest,
}

/// A walker handed from one block to another, with its whole state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flight {
    /// The start it was dropped on: mosaic row and column.
    pub start: (usize, usize),
    /// Its position, mosaic sample coordinates (`x` column, `y` row).
    pub at: Xy,
    /// What comes next.
    pub phase: Phase,
    /// Its velocity, metres per step east and north.
    pub velocity: Vector,
    /// Steps taken so far (D8 moves included).
    pub steps: usize,
    /// The patience counter: consecutive steps shorter than the tolerance.
    pub still: usize,
    /// D8 moves taken so far.
    pub moves: u32,
    /// Height of the last stall resolved, metres (`+inf`: none yet).
    pub last_stall_z: f64,
    /// Once set, stalls are resolved by D8 moves only.
    pub d8_only: bool,
}

/// How a walker ended, sent to the block it started in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ending {
    /// The start: mosaic row and column.
    pub start: (usize, usize),
    /// The cell it ended in: mosaic row and column.
    pub end: (usize, usize),
    /// Why it ended there.
    pub reason: StopReason,
    /// The filled height of the end cell, metres (`NaN` on a void).
    pub height: f32,
}

/// Bytes of one [`Flight`] on the wire.
pub const FLIGHT_BYTES: usize = 8 * 2 + 8 * 2 + 3 + 8 * 2 + 8 * 2 + 4 + 8 + 1;

/// Bytes of one [`Ending`] on the wire.
pub const ENDING_BYTES: usize = 8 * 4 + 1 + 4;

fn phase_code(p: Phase) -> (u8, u8, u8) {
    match p {
        Phase::Walk => (0, 0, 0),
        Phase::Stop(reason, ahead) => (1, reason as u8, u8::from(ahead)),
        Phase::D8Arrived => (2, 0, 0),
        Phase::D8 => (3, 0, 0),
        Phase::SeaTest => (4, 0, 0),
    }
}

/// A stop reason from its byte, refusing bytes no reason has.
fn reason_of(b: u8) -> Result<StopReason> {
    let r = StopReason::from_u8(b);
    if r as u8 != b {
        return Err(Error::param(format!(
            "a walker handed between the blocks of a tiled run carries the unknown ending {b}"
        )));
    }
    Ok(r)
}

impl Flight {
    /// Appends the flight to `w` ([`FLIGHT_BYTES`] bytes).
    pub fn write(&self, w: &mut Writer) {
        let (p, reason, ahead) = phase_code(self.phase);
        w.usize(self.start.0)
            .usize(self.start.1)
            .f64(self.at.x)
            .f64(self.at.y)
            .u8(p)
            .u8(reason)
            .u8(ahead)
            .f64(self.velocity.east)
            .f64(self.velocity.north)
            .usize(self.steps)
            .usize(self.still)
            .u32(self.moves)
            .f64(self.last_stall_z)
            .u8(u8::from(self.d8_only));
    }

    /// Reads a flight written by [`Flight::write`] on a mosaic of `dim`
    /// (rows, columns) samples: the start must lie on it and the position
    /// must be finite.
    pub fn read(r: &mut Reader, dim: (usize, usize)) -> Result<Flight> {
        let start = (r.index(dim.0)?, r.index(dim.1)?);
        let at = Xy::new(r.f64()?, r.f64()?);
        let (p, reason, ahead) = (r.u8()?, r.u8()?, r.u8()?);
        let phase = match p {
            0 => Phase::Walk,
            1 => Phase::Stop(reason_of(reason)?, ahead != 0),
            2 => Phase::D8Arrived,
            3 => Phase::D8,
            4 => Phase::SeaTest,
            _ => {
                return Err(Error::param(format!(
                    "a walker handed between the blocks of a tiled run is in the unknown phase {p}"
                )))
            }
        };
        let velocity = Vector::new(r.f64()?, r.f64()?);
        let steps = r.index(usize::MAX)?;
        let still = r.index(usize::MAX)?;
        let moves = r.u32()?;
        let last_stall_z = r.f64()?;
        let d8_only = r.u8()? != 0;
        if !at.is_finite() {
            return Err(Error::param(
                "a walker handed between the blocks of a tiled run has no finite position",
            ));
        }
        Ok(Flight {
            start,
            at,
            phase,
            velocity,
            steps,
            still,
            moves,
            last_stall_z,
            d8_only,
        })
    }
}

impl Ending {
    /// Appends the ending to `w` ([`ENDING_BYTES`] bytes).
    pub fn write(&self, w: &mut Writer) {
        w.usize(self.start.0)
            .usize(self.start.1)
            .usize(self.end.0)
            .usize(self.end.1)
            .u8(self.reason as u8)
            .f32(self.height);
    }

    /// Reads an ending written by [`Ending::write`] on a mosaic of `dim`
    /// (rows, columns) samples: both cells must lie on it.
    pub fn read(r: &mut Reader, dim: (usize, usize)) -> Result<Ending> {
        Ok(Ending {
            start: (r.index(dim.0)?, r.index(dim.1)?),
            end: (r.index(dim.0)?, r.index(dim.1)?),
            reason: reason_of(r.u8()?)?,
            height: r.f32()?,
        })
    }
}

/// What a rank sends in one round: walkers for other blocks (with the
/// block each goes to) and endings for the blocks they started in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbox {
    /// `(block, flight)`: a walker the block resumes next round.
    pub flights: Vec<(usize, Flight)>,
    /// `(block, ending)`: a walker of that block that ended elsewhere.
    pub endings: Vec<(usize, Ending)>,
}

impl Outbox {
    /// The outbox as one message.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.usize(self.flights.len());
        for (k, f) in &self.flights {
            w.usize(*k);
            f.write(&mut w);
        }
        w.usize(self.endings.len());
        for (k, e) in &self.endings {
            w.usize(*k);
            e.write(&mut w);
        }
        w.finish()
    }

    /// Reads a message of [`Outbox::encode`] for a mosaic of `dim`
    /// samples in `blocks` blocks; the counts are checked against the
    /// message's length before anything is allocated, and the message must
    /// end where the outbox does.
    pub fn decode(bytes: &[u8], dim: (usize, usize), blocks: usize) -> Result<Outbox> {
        let mut r = Reader::new(bytes);
        let n = r.index(bytes.len() / (8 + FLIGHT_BYTES) + 1)?;
        let mut flights = Vec::with_capacity(n);
        for _ in 0..n {
            let k = r.index(blocks)?;
            flights.push((k, Flight::read(&mut r, dim)?));
        }
        let n = r.index(bytes.len() / (8 + ENDING_BYTES) + 1)?;
        let mut endings = Vec::with_capacity(n);
        for _ in 0..n {
            let k = r.index(blocks)?;
            endings.push((k, Ending::read(&mut r, dim)?));
        }
        if !r.is_done() {
            return Err(Error::param(
                "a message of walkers between the ranks of a tiled run has bytes past its end",
            ));
        }
        Ok(Outbox { flights, endings })
    }

    /// Appends `other`'s walkers and endings.
    pub fn extend(&mut self, other: Outbox) {
        self.flights.extend(other.flights);
        self.endings.extend(other.endings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flight(phase: Phase) -> Flight {
        Flight {
            start: (7, 1200),
            at: Xy::new(1199.75, -0.0),
            phase,
            velocity: Vector::new(-3.5e-7, 12.25),
            steps: 9_999,
            still: 3,
            moves: 17,
            last_stall_z: f64::INFINITY,
            d8_only: true,
        }
    }

    /// Every phase and field comes back bit for bit, the sizes are the
    /// documented ones, and a message cut short anywhere, with a trailing
    /// byte, or naming a block or a cell off the mosaic, is an error.
    #[test]
    fn outboxes_come_back_bit_for_bit_and_bad_ones_are_refused() {
        let phases = [
            Phase::Walk,
            Phase::Stop(StopReason::Edge, true),
            Phase::Stop(StopReason::MaxSteps, false),
            Phase::D8Arrived,
            Phase::D8,
            Phase::SeaTest,
        ];
        let out = Outbox {
            flights: phases
                .iter()
                .enumerate()
                .map(|(k, &p)| (k, flight(p)))
                .collect(),
            endings: vec![(
                4,
                Ending {
                    start: (0, 3),
                    end: (1200, 1200),
                    reason: StopReason::Void,
                    height: f32::NAN,
                },
            )],
        };
        let bytes = out.encode();
        assert_eq!(
            bytes.len(),
            8 + phases.len() * (8 + FLIGHT_BYTES) + 8 + (8 + ENDING_BYTES)
        );
        let back = Outbox::decode(&bytes, (1201, 1201), phases.len()).unwrap();
        assert_eq!(back.flights, out.flights);
        assert_eq!(back.endings.len(), 1);
        let (k, e) = back.endings[0];
        assert_eq!(
            (k, e.start, e.end, e.reason),
            (4, (0, 3), (1200, 1200), StopReason::Void)
        );
        assert!(e.height.is_nan());
        assert_eq!(back.flights[0].1.at.y.to_bits(), (-0.0f64).to_bits());
        for cut in [1, 9, 8 + FLIGHT_BYTES / 2, bytes.len() - 1] {
            assert!(
                Outbox::decode(&bytes[..cut], (1201, 1201), phases.len()).is_err(),
                "cut {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Outbox::decode(&longer, (1201, 1201), phases.len()).is_err());
        // Block 4 does not exist among 4 blocks; column 1200 not among 1200.
        assert!(Outbox::decode(&bytes, (1201, 1201), 4).is_err());
        assert!(Outbox::decode(&bytes, (1201, 1200), phases.len()).is_err());
        // A count far beyond the message is refused before allocating.
        let mut w = Writer::new();
        w.u64(1 << 40);
        assert!(Outbox::decode(&w.finish(), (10, 10), 1).is_err());
    }

    /// An unknown phase byte is an error, not a guess.
    #[test]
    fn an_unknown_phase_is_refused() {
        let mut w = Writer::new();
        flight(Phase::D8).write(&mut w);
        let mut bytes = w.finish();
        bytes[32] = 9;
        assert!(Flight::read(&mut Reader::new(&bytes), (1201, 1201)).is_err());
    }
}
