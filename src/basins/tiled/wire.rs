//! The flat little-endian byte messages that the ranks of a tiled run
//! exchange (see [`super::exchange`]): numbers written one after another,
//! read back in the same order, with every read checked against the end.

use crate::error::{Error, Result};

/// A message being written.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes.push(v);
        self
    }

    /// Appends a `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends a `u64` (counts, indices and sizes travel as `u64`).
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends a `usize` as a `u64`.
    pub fn usize(&mut self, v: usize) -> &mut Self {
        self.u64(v as u64)
    }

    /// Appends an `f32` (bit pattern kept, `NaN` and infinities included).
    pub fn f32(&mut self, v: f32) -> &mut Self {
        self.u32(v.to_bits())
    }

    /// Appends an `f64` (bit pattern kept).
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(v.to_bits())
    }

    /// Appends a length-prefixed byte string.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.usize(v.len());
        self.bytes.extend_from_slice(v);
        self
    }

    /// The message.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// A message being read.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Whether every byte has been read.
    pub fn is_done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(Error::param(format!(
                "a message between the ranks of a tiled run ended early ({} bytes, {} more wanted at byte {})",
                self.bytes.len(),
                n,
                self.at
            )));
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// Reads a `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Reads a `u64` that must be below `bound` (a count or an index the
    /// reader will allocate or index with).
    pub fn index(&mut self, bound: usize) -> Result<usize> {
        let v = self.u64()?;
        if v >= bound as u64 {
            return Err(Error::param(format!(
                "a message between the ranks of a tiled run holds {v} where less than {bound} was expected"
            )));
        }
        Ok(v as usize)
    }

    /// Reads an `f32`.
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.u32()?))
    }

    /// Reads an `f64`.
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// Reads a length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.index(self.bytes.len() - self.at + 1)?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_back_bit_for_bit_and_a_short_message_is_an_error() {
        let mut w = Writer::new();
        w.u8(7)
            .u32(0xdead_beef)
            .u64(u64::MAX - 3)
            .f32(f32::NAN)
            .f32(f32::NEG_INFINITY)
            .f64(-0.0)
            .bytes(b"abc");
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32().unwrap(), 0xdead_beef);
        assert_eq!(r.u64().unwrap(), u64::MAX - 3);
        assert_eq!(r.f32().unwrap().to_bits(), f32::NAN.to_bits());
        assert_eq!(r.f32().unwrap(), f32::NEG_INFINITY);
        assert_eq!(r.f64().unwrap().to_bits(), (-0.0f64).to_bits());
        assert_eq!(r.bytes().unwrap(), b"abc");
        assert!(r.is_done());
        assert!(r.u8().is_err());
        // A length prefix larger than what is left is refused, not allocated.
        let mut w = Writer::new();
        w.u64(1 << 40);
        let bytes = w.finish();
        assert!(Reader::new(&bytes).bytes().is_err());
        assert!(Reader::new(&bytes[..5]).u64().is_err());
    }
}
