//! Large buffers that the kernel backs with huge pages where it can.
//!
//! A 3601 x 3601 grid of `f32` heights is 52 MB: 12,700 pages of 4 KiB,
//! each a page fault on first touch. Where Linux has transparent huge pages
//! in `madvise` mode, [`zeroed`] asks for them on the buffer, and the same
//! memory arrives in 2 MiB pages, 25 faults instead of 12,700. Elsewhere
//! (other systems, huge pages off, small buffers) it is a plain zeroed
//! `Vec`. The contents and the results never depend on it.

/// Buffers smaller than this (bytes) are left to the allocator as they are:
/// the advice pays only when a buffer spans several 2 MiB pages.
const HUGE_ADVICE_MIN_BYTES: usize = 8 << 20;

/// `n` zeroed values of `T` in a new `Vec`, advised to the kernel as huge
/// pages (Linux) before anything touches them.
///
/// `T::default()` must be all zero bits (the numbers are) so that the
/// allocator hands out fresh zeroed memory without writing to it.
pub fn zeroed<T: Copy + Default>(n: usize) -> Vec<T> {
    let v = vec![T::default(); n];
    advise_huge_pages(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v.as_slice()));
    v
}

/// Advises the kernel to back the whole 2 MiB pages inside
/// `start..start + len` with huge pages (`madvise(MADV_HUGEPAGE)`); the
/// advice is only a hint, and its failure is ignored.
fn advise_huge_pages(start: *const u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        if len < HUGE_ADVICE_MIN_BYTES {
            return;
        }
        let begin = (start as usize).next_multiple_of(HUGE);
        let end = (start as usize + len) / HUGE * HUGE;
        if end > begin {
            // SAFETY: the range lies inside the live allocation just made;
            // MADV_HUGEPAGE changes how pages are backed, never their
            // contents.
            unsafe {
                libc::madvise(begin as *mut libc::c_void, end - begin, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (start, len, HUGE_ADVICE_MIN_BYTES);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_hold_zeros_of_the_length_asked() {
        for n in [0, 1, 1000, (9 << 20) / 4 + 3] {
            let v: Vec<f32> = zeroed(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|x| x.to_bits() == 0));
            let w: Vec<u8> = zeroed(n);
            assert!(w.len() == n && w.iter().all(|&x| x == 0));
        }
    }
}
