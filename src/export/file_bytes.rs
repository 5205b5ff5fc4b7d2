//! A file's bytes held as the pieces they were made in.
//!
//! Encoders that compress in parallel end with many buffers (a PNG's
//! stripes, a TIFF's tiles); joining them into one buffer before writing
//! would copy the whole file and hold it twice. [`FileBytes`] keeps the
//! pieces in order, and [`super::OutputDir::write_file`] writes them one
//! after the other.

/// The bytes of a file, in order, as pieces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileBytes {
    pieces: Vec<Vec<u8>>,
}

impl FileBytes {
    /// No bytes yet.
    pub fn new() -> Self {
        FileBytes::default()
    }

    /// Appends `piece` (moved, not copied).
    pub fn push(&mut self, piece: Vec<u8>) {
        if !piece.is_empty() {
            self.pieces.push(piece);
        }
    }

    /// The file's length in bytes.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(Vec::len).sum()
    }

    /// `true` when the file has no bytes.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces.iter().map(Vec::as_slice)
    }

    /// The file's bytes joined into one buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        match <[Vec<u8>; 1]>::try_from(self.pieces) {
            Ok([one]) => one,
            Err(pieces) => pieces.concat(),
        }
    }
}

impl From<Vec<u8>> for FileBytes {
    fn from(bytes: Vec<u8>) -> Self {
        let mut file = FileBytes::new();
        file.push(bytes);
        file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_in_order_and_empty_ones_are_dropped() {
        let mut f = FileBytes::new();
        assert!(f.is_empty());
        f.push(b"ab".to_vec());
        f.push(Vec::new());
        f.push(b"cde".to_vec());
        assert_eq!(f.len(), 5);
        assert_eq!(f.pieces().count(), 2);
        assert_eq!(f.into_bytes(), b"abcde");
        assert_eq!(FileBytes::from(b"xy".to_vec()).into_bytes(), b"xy");
    }
}
