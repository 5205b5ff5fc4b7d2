//! Buffers a thread keeps from one band of work to the next.
//!
//! Work done a band of rows at a time (reading a tile, shading, filtering a
//! PNG stripe) needs a few hundred KiB of scratch per band. Allocated afresh
//! each time, a buffer that size comes from the kernel as new zeroed pages
//! and goes back on free, so every band pays page faults for memory it
//! touched a moment before; kept per thread, it stays in the core's cache.

use std::cell::Cell;
use std::thread::LocalKey;

/// Runs `f` on `len` copies of `fill` held in this thread's buffer `key`,
/// which keeps its capacity for the next call. Safe to nest and to re-enter
/// (a nested call on the same key, e.g. from work rayon runs while this
/// thread waits, gets a buffer of its own).
pub(crate) fn with_buffer<T: Clone, R>(
    key: &'static LocalKey<Cell<Vec<T>>>,
    len: usize,
    fill: T,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
    let mut buffer = key.take();
    buffer.clear();
    buffer.resize(len, fill);
    let result = f(&mut buffer);
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
    fn a_buffer_comes_filled_and_keeps_its_capacity() {
        with_buffer(&BYTES, 1000, 7u8, |b| {
            assert_eq!(b.len(), 1000);
            assert!(b.iter().all(|&x| x == 7));
            b[0] = 1;
        });
        with_buffer(&BYTES, 10, 0u8, |b| assert_eq!(b, &[0; 10]));
        let kept = BYTES.take();
        assert!(kept.capacity() >= 1000);
    }

    #[test]
    fn a_nested_call_gets_a_buffer_of_its_own() {
        with_buffer(&BYTES, 4, 1u8, |outer| {
            with_buffer(&BYTES, 4, 2u8, |inner| inner.fill(3));
            assert_eq!(outer, &[1; 4]);
        });
    }
}
