//! A hint to the processor to start loading memory that will be read soon.
//!
//! The gd shortcut takes its starts in height order, so consecutive starts
//! lie far apart on the grid and each one's first lookups (its height, its
//! gradient, its place in the memo) miss the caches. Asking for those lines
//! a few starts ahead overlaps the misses with the walks in between.

/// Hints that `items[i]` will be read soon; nothing when `i` is out of
/// range or on a processor without a prefetch instruction. Never changes
/// a result: a prefetch has no visible effect but timing.
#[inline(always)]
pub(super) fn prefetch<T>(items: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = items.get(i) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch reads nothing into the program and cannot
        // fault; the pointer is to a live element anyway. (`unsafe` is
        // needed on Rust before 1.87, where the intrinsic was unsafe.)
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast::<i8>())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (items, i);
}
