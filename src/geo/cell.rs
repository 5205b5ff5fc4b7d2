//! A grid index.

use serde::Serialize;

/// The index of one sample of a grid: `row` counts from the north edge,
/// `col` from the west edge, both from 0.
///
/// A cell's centre in the grid's plane is
/// [`crate::dem::GeoTransform::cell_centre`]; the cell under a point is
/// [`crate::dem::GeoTransform::cell_containing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Cell {
    /// Row index, 0 at the north edge.
    pub row: usize,
    /// Column index, 0 at the west edge.
    pub col: usize,
}

impl Cell {
    /// The cell at (`row`, `col`).
    pub fn new(row: usize, col: usize) -> Self {
        Cell { row, col }
    }

    /// The index of this cell in a row-major array `cols` wide.
    pub fn flat_index(&self, cols: usize) -> usize {
        self.row * cols + self.col
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}, column {}", self.row, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_index_is_row_major() {
        assert_eq!(Cell::new(0, 0).flat_index(1201), 0);
        assert_eq!(Cell::new(2, 3).flat_index(1201), 2 * 1201 + 3);
    }
}
