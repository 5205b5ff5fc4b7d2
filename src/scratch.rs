//! Buffers a thread keeps from one band of work to the next.
//!
//! Work done a band of rows at a time (reading a tile, shading, filtering a
//! PNG stripe) needs a few hundred KiB of scratch per band. Allocated afresh
//! each time, a buffer that size comes from the kernel as new zeroed pages
//! and goes back on free, so every band pays page faults for memory it
//! touched a moment before; kept per thread, it stays in the core's cache.

use std::cell::Cell;
use std::thread::LocalKey;

/// Runs `f` on `len` values held in this thread's buffer `key`, which
/// keeps them for the next call. They are not filled afresh (a memset of
/// each band, 2 % of a hillshade's CPU): they are whatever an earlier call
/// left there (or `T::default()` where the buffer grew), so `f` must write
/// every value before it reads it. Safe to nest and to re-enter (a nested
/// call on the same key, e.g. from work rayon runs while this thread
/// waits, gets a buffer of its own). The buffer keeps its length as well as its
/// capacity, so a shorter call does not shorten what a longer one finds.
pub(crate) fn with_scratch<T: Copy + Default, R>(
    key: &'static LocalKey<Cell<Vec<T>>>,
    len: usize,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
    let mut buffer = key.take();
    if buffer.len() < len {
        buffer.resize(len, T::default());
    }
    let result = f(&mut buffer[..len]);
    key.set(buffer);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static BYTES: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }

    #[test]
    fn scratch_has_the_length_asked_and_keeps_what_was_left() {
        with_scratch(&BYTES, 6, |b| {
            assert_eq!(b.len(), 6);
            b.copy_from_slice(&[1, 2, 3, 4, 5, 6]);
        });
        with_scratch(&BYTES, 3, |b| assert_eq!(b, &[1, 2, 3]));
        // Grown: the old values, then defaults.
        with_scratch(&BYTES, 8, |b| assert_eq!(b, &[1, 2, 3, 4, 5, 6, 0, 0]));
        with_scratch(&BYTES, 2, |outer| {
            with_scratch(&BYTES, 2, |inner| inner.fill(9));
            assert_eq!(outer, &[1, 2]);
        });
    }

    #[test]
    fn a_nested_call_gets_a_buffer_of_its_own() {
        with_scratch(&BYTES, 4, |outer| {
            outer.fill(1);
            with_scratch(&BYTES, 4, |inner| inner.fill(3));
            assert_eq!(outer, &[1; 4]);
        });
        assert!(BYTES.take().capacity() >= 4);
    }
}
