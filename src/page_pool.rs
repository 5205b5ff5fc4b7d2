//! A global allocator that recycles the pages of large blocks.
//!
//! A basins run on an SRTM1 tile allocates about 1.5 GB in blocks of 1 MiB
//! and more (heights, fill, field, memo, labels, pictures) for a peak of
//! about 0.5 GB live: each phase frees arrays the next allocates again in
//! other sizes. The system allocator maps each such block afresh and
//! unmaps it on free, so every phase has the kernel find, zero and map
//! pages again (a minor fault per 4 KiB page; under a hypervisor each new
//! page may also be faulted in by the host). That was a third of the CPU
//! samples of the SRTM1-sized run.
//!
//! [`PagePool`] keeps the pages of freed large blocks mapped, up to
//! [`PagePool::KEEP_BYTES`], and hands them out again:
//!
//! - a request that fits in a kept range takes a piece of it (best fit);
//! - a larger one maps a fresh range and moves kept ranges' pages into it
//!   with `mremap` (page tables move, no byte is copied), so only the rest
//!   is new memory. The pool is emptied before any fresh page is touched,
//!   so a run's peak resident memory stays that of its live blocks;
//! - `alloc_zeroed` clears the recycled pages it hands out (fresh pages
//!   come zeroed from the kernel).
//!
//! Small blocks, and blocks aligned beyond a page, go to the system
//! allocator. Off Linux (no `mremap`) every request does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Blocks of this many bytes and more are the pool's.
pub const LARGE_BYTES: usize = 1 << 20;

/// How many kept ranges the pool holds at most.
const SLOTS: usize = 32;

/// A run of mapped pages: its first byte's address and its length in bytes
/// (whole pages).
#[derive(Debug, Clone, Copy, Default)]
struct Range {
    at: usize,
    len: usize,
}

/// The kept ranges, in no order.
#[derive(Debug)]
struct Kept {
    ranges: [Range; SLOTS],
    count: usize,
    bytes: usize,
}

impl Kept {
    /// The index of the smallest range of at least `len` bytes.
    fn best_fit(&self, len: usize) -> Option<usize> {
        (0..self.count)
            .filter(|&i| self.ranges[i].len >= len)
            .min_by_key(|&i| self.ranges[i].len)
    }

    /// Takes out range `i`.
    fn remove(&mut self, i: usize) -> Range {
        let r = self.ranges[i];
        self.count -= 1;
        self.ranges[i] = self.ranges[self.count];
        self.bytes -= r.len;
        r
    }

    /// Keeps `r`, joined to a range it continues or that continues it;
    /// `false` when every slot is taken.
    fn add(&mut self, r: Range) -> bool {
        for i in 0..self.count {
            let k = &mut self.ranges[i];
            if k.at + k.len == r.at {
                k.len += r.len;
                self.bytes += r.len;
                return true;
            }
            if r.at + r.len == k.at {
                k.at = r.at;
                k.len += r.len;
                self.bytes += r.len;
                return true;
            }
        }
        if self.count == SLOTS {
            return false;
        }
        self.ranges[self.count] = r;
        self.count += 1;
        self.bytes += r.len;
        true
    }
}

/// The allocator: see the [module](self) docs. Declare it with
/// `#[global_allocator] static POOL: PagePool = PagePool::new();`.
#[derive(Debug)]
pub struct PagePool {
    lock: AtomicBool,
    kept: UnsafeCell<Kept>,
    keep_bytes: usize,
    /// Bytes of the pool's blocks in use (whole pages).
    live: AtomicUsize,
    page: AtomicUsize,
}

// SAFETY: `kept` is only reached under `lock` (see `with_kept`).
unsafe impl Sync for PagePool {}

impl Default for PagePool {
    fn default() -> Self {
        Self::new()
    }
}

impl PagePool {
    /// How many bytes of freed pages the pool keeps at most (1 GiB);
    /// pages freed beyond it go back to the system.
    pub const KEEP_BYTES: usize = 1 << 30;

    /// Kept bytes are held to the bytes of large blocks in use, or this
    /// many (64 MiB) when fewer are, so that between pieces of work (a
    /// tile's, say) freed pages do not sit beside the next piece's
    /// fresh small allocations and raise the peak.
    pub const KEEP_FLOOR_BYTES: usize = 64 << 20;

    /// An empty pool keeping up to [`Self::KEEP_BYTES`].
    pub const fn new() -> Self {
        Self::keeping(Self::KEEP_BYTES)
    }

    /// An empty pool keeping up to `keep_bytes` bytes of freed pages.
    pub const fn keeping(keep_bytes: usize) -> Self {
        PagePool {
            lock: AtomicBool::new(false),
            kept: UnsafeCell::new(Kept {
                ranges: [Range { at: 0, len: 0 }; SLOTS],
                count: 0,
                bytes: 0,
            }),
            keep_bytes,
            live: AtomicUsize::new(0),
            page: AtomicUsize::new(0),
        }
    }

    /// Bytes of freed pages the pool holds now.
    pub fn kept_bytes(&self) -> usize {
        self.with_kept(|k| k.bytes)
    }

    fn with_kept<R>(&self, f: impl FnOnce(&mut Kept) -> R) -> R {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference.
        let r = f(unsafe { &mut *self.kept.get() });
        self.lock.store(false, Ordering::Release);
        r
    }

    /// The system's page size, bytes.
    fn page(&self) -> usize {
        match self.page.load(Ordering::Relaxed) {
            0 => {
                // SAFETY: sysconf has no preconditions and does not allocate.
                let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
                let p = usize::try_from(p)
                    .ok()
                    .filter(|p| p.is_power_of_two())
                    .unwrap_or(4096);
                self.page.store(p, Ordering::Relaxed);
                p
            }
            p => p,
        }
    }

    /// Whether a block of `layout` is the pool's.
    fn owns(&self, size: usize, align: usize) -> bool {
        cfg!(target_os = "linux") && size >= LARGE_BYTES && align <= self.page()
    }

    /// `len` rounded up to whole pages, `None` past the address space.
    fn pages(&self, len: usize) -> Option<usize> {
        let p = self.page();
        len.checked_add(p - 1).map(|l| l & !(p - 1))
    }
}

#[cfg(target_os = "linux")]
impl PagePool {
    /// `len` bytes (whole pages) from the pool, mapped afresh where the
    /// kept ranges fall short; the first `clear` bytes zeroed. Null when
    /// the system has no memory left.
    unsafe fn take(&self, len: usize, clear: usize) -> *mut u8 {
        let fit = self.with_kept(|k| {
            k.best_fit(len).map(|i| {
                let r = k.ranges[i];
                if r.len == len {
                    k.remove(i);
                } else {
                    k.ranges[i] = Range {
                        at: r.at + len,
                        len: r.len - len,
                    };
                    k.bytes -= len;
                }
                r.at
            })
        });
        if let Some(at) = fit {
            self.live.fetch_add(len, Ordering::Relaxed);
            // SAFETY: the range is mapped, writable and now this block's.
            unsafe { std::ptr::write_bytes(at as *mut u8, 0, clear) };
            return at as *mut u8;
        }
        // SAFETY: an anonymous private mapping; the result is checked.
        let fresh = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if fresh == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        let fresh = fresh as usize;
        self.live.fetch_add(len, Ordering::Relaxed);
        // SAFETY: the whole mapping is this block's.
        unsafe { self.move_kept_into(fresh, 0, len, clear) };
        fresh as *mut u8
    }

    /// Moves kept pages into `block + from .. block + len` (a mapping of
    /// the pool's whose pages there are untouched) from `from` on, as far
    /// as they go, and zeroes the first `clear` bytes of the block among
    /// them; the rest stays as the kernel maps it, zeroed on first touch.
    ///
    /// # Safety
    /// `block .. + len` must be a mapping of the pool's, page-aligned, that
    /// only the caller uses.
    unsafe fn move_kept_into(&self, block: usize, from: usize, len: usize, clear: usize) {
        let mut filled = from;
        while filled < len {
            let Some(r) = self.with_kept(|k| {
                (0..k.count)
                    .max_by_key(|&i| k.ranges[i].len)
                    .map(|i| k.remove(i))
            }) else {
                break;
            };
            let moved = r.len.min(len - filled);
            // SAFETY: `r` is a mapped range of ours and `block + filled ..
            // + moved` lies within the caller's block.
            unsafe { self.move_pages(r.at, block + filled, moved) };
            if moved < r.len {
                self.give_range(Range {
                    at: r.at + moved,
                    len: r.len - moved,
                });
            }
            let clear_here = clear.saturating_sub(filled).min(moved);
            // SAFETY: the moved pages are now at `block + filled`, ours.
            unsafe { std::ptr::write_bytes((block + filled) as *mut u8, 0, clear_here) };
            filled += moved;
        }
    }

    /// Moves the pages of `from .. + len` to `to .. + len`, replacing what
    /// is mapped there. Before Linux 6.17 `mremap` moves only within one
    /// mapping, and a block stitched from kept ranges spans several, so a
    /// range it refuses is moved in halves; a page it still refuses is
    /// unmapped at `from` and `to` keeps its own page.
    ///
    /// # Safety
    /// Both ranges must be page-aligned mappings of the pool's that
    /// nothing else uses.
    unsafe fn move_pages(&self, from: usize, to: usize, len: usize) {
        // SAFETY: as the caller promised.
        unsafe { self.move_pages_by(from, to, len, &|from, to, len| remap(from, to, len)) }
    }

    /// [`Self::move_pages`] with `remap` as the one move it tries (`false`
    /// when refused).
    ///
    /// # Safety
    /// As for `move_pages`; `remap` must move as `mremap` does or not at all.
    unsafe fn move_pages_by(
        &self,
        from: usize,
        to: usize,
        len: usize,
        remap: &dyn Fn(usize, usize, usize) -> bool,
    ) {
        if remap(from, to, len) {
            return;
        }
        let page = self.page();
        if len <= page {
            // SAFETY: `from` is ours and unused.
            unsafe { libc::munmap(from as *mut libc::c_void, len) };
            return;
        }
        let half = ((len / 2) & !(page - 1)).max(page);
        // SAFETY: both halves lie within the caller's ranges.
        unsafe {
            self.move_pages_by(from, to, half, remap);
            self.move_pages_by(from + half, to + half, len - half, remap);
        }
    }

    /// Keeps `r` (whole pages, ours) for later requests, or unmaps it when
    /// the pool is full.
    fn give_range(&self, r: Range) {
        if r.len == 0 {
            return;
        }
        let limit = self.keep_bytes.min(
            self.live
                .load(Ordering::Relaxed)
                .max(Self::KEEP_FLOOR_BYTES),
        );
        let kept = self.with_kept(|k| k.bytes + r.len <= limit && k.add(r));
        if !kept {
            // SAFETY: `r` is a mapping of ours that nothing uses any more.
            unsafe { libc::munmap(r.at as *mut libc::c_void, r.len) };
        }
    }
}

/// `mremap` of `from .. + len` onto `to .. + len` (page-aligned ranges of
/// the caller's, `to`'s pages replaced); `false` when refused.
#[cfg(target_os = "linux")]
fn remap(from: usize, to: usize, len: usize) -> bool {
    // SAFETY: the caller's ranges; MREMAP_FIXED replaces `to`'s pages.
    let moved = unsafe {
        libc::mremap(
            from as *mut libc::c_void,
            len,
            len,
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            to as *mut libc::c_void,
        )
    };
    moved != libc::MAP_FAILED
}

// SAFETY: every block the pool hands out is a distinct page-aligned
// mapping of at least the requested size, used by no one else until it is
// freed; `dealloc` and `realloc` tell the pool's blocks from the system's
// by the layout, which Rust passes unchanged.
unsafe impl GlobalAlloc for PagePool {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(target_os = "linux")]
        if self.owns(layout.size(), layout.align()) {
            return match self.pages(layout.size()) {
                // SAFETY: see `take`.
                Some(len) => unsafe { self.take(len, 0) },
                None => std::ptr::null_mut(),
            };
        }
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(target_os = "linux")]
        if self.owns(layout.size(), layout.align()) {
            return match self.pages(layout.size()) {
                // SAFETY: see `take`.
                Some(len) => unsafe { self.take(len, layout.size()) },
                None => std::ptr::null_mut(),
            };
        }
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(target_os = "linux")]
        if self.owns(layout.size(), layout.align()) {
            if let Some(len) = self.pages(layout.size()) {
                self.live.fetch_sub(len, Ordering::Relaxed);
                self.give_range(Range {
                    at: ptr as usize,
                    len,
                });
            }
            return;
        }
        // SAFETY: a block of the system's, forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old_ours, new_ours) = (
            self.owns(layout.size(), layout.align()),
            self.owns(new_size, layout.align()),
        );
        #[cfg(target_os = "linux")]
        if old_ours && new_ours {
            let (Some(old_len), Some(new_len)) = (self.pages(layout.size()), self.pages(new_size))
            else {
                return std::ptr::null_mut();
            };
            if new_len <= old_len {
                // The block stays; its unused tail is kept.
                self.live.fetch_sub(old_len - new_len, Ordering::Relaxed);
                self.give_range(Range {
                    at: ptr as usize + new_len,
                    len: old_len - new_len,
                });
                return ptr;
            }
            // SAFETY: `ptr .. + old_len` is a mapping of ours; the kernel
            // grows it in place or moves it whole.
            let to = unsafe {
                libc::mremap(
                    ptr as *mut libc::c_void,
                    old_len,
                    new_len,
                    libc::MREMAP_MAYMOVE,
                )
            };
            if to != libc::MAP_FAILED {
                self.live.fetch_add(new_len - old_len, Ordering::Relaxed);
                // SAFETY: the block is ours; its tail is untouched.
                unsafe { self.move_kept_into(to as usize, old_len, new_len, 0) };
                return to as *mut u8;
            }
            // A block stitched from several mappings: copied below.
        }
        if !old_ours && !new_ours {
            // SAFETY: a block of the system's, forwarded as given.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // One side is the pool's (or a stitched block grows): a new block,
        // the bytes copied over.
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: a valid layout of non-zero size (one side is large).
        let to = unsafe { self.alloc(new_layout) };
        if !to.is_null() {
            // SAFETY: both blocks are valid for the shorter length and
            // distinct.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, to, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        to
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    fn layout(bytes: usize) -> Layout {
        Layout::from_size_align(bytes, 8).unwrap()
    }

    /// Fills `len` bytes at `p` with `v`.
    fn fill(p: *mut u8, len: usize, v: u8) {
        unsafe { std::ptr::write_bytes(p, v, len) };
    }

    fn all(p: *mut u8, len: usize, v: u8) -> bool {
        unsafe { std::slice::from_raw_parts(p, len) }
            .iter()
            .all(|&b| b == v)
    }

    /// `all` on a few bytes of every page: enough to see a page mapped
    /// twice or lost, and quick in a debug build.
    fn all_sampled(p: *mut u8, len: usize, v: u8) -> bool {
        let bytes = unsafe { std::slice::from_raw_parts(p, len) };
        (0..len)
            .step_by(1021)
            .chain([len - 1])
            .all(|i| bytes[i] == v)
    }

    #[test]
    fn a_freed_block_is_handed_out_again_and_zeroed_when_asked() {
        let pool = PagePool::new();
        unsafe {
            let a = pool.alloc(layout(3 * MIB));
            fill(a, 3 * MIB, 0xab);
            pool.dealloc(a, layout(3 * MIB));
            assert_eq!(pool.kept_bytes(), 3 * MIB);
            let b = pool.alloc_zeroed(layout(2 * MIB + 5));
            assert_eq!(b, a, "the kept range is reused");
            assert!(all(b, 2 * MIB + 5, 0), "recycled pages are cleared");
            // The rest of the range stays kept.
            assert_eq!(
                pool.kept_bytes(),
                3 * MIB - pool.pages(2 * MIB + 5).unwrap()
            );
            pool.dealloc(b, layout(2 * MIB + 5));
            assert_eq!(pool.kept_bytes(), 3 * MIB, "the pieces join again");
        }
    }

    #[test]
    fn a_larger_request_takes_the_kept_pages_and_maps_the_rest() {
        let pool = PagePool::new();
        unsafe {
            let a = pool.alloc(layout(2 * MIB));
            let b = pool.alloc(layout(3 * MIB));
            fill(a, 2 * MIB, 1);
            fill(b, 3 * MIB, 2);
            pool.dealloc(a, layout(2 * MIB));
            pool.dealloc(b, layout(3 * MIB));
            let c = pool.alloc_zeroed(layout(8 * MIB));
            assert_eq!(pool.kept_bytes(), 0, "every kept page is moved in");
            assert!(all(c, 8 * MIB, 0));
            fill(c, 8 * MIB, 7);
            assert!(all(c, 8 * MIB, 7));
            // Partly from a kept range: the remainder stays kept.
            pool.dealloc(c, layout(8 * MIB));
            let d = pool.alloc(layout(3 * MIB));
            let e = pool.alloc(layout(6 * MIB));
            assert_eq!(pool.kept_bytes(), 0);
            let f = pool.alloc_zeroed(layout(MIB));
            assert!(all(f, MIB, 0));
            for (p, n) in [(d, 3 * MIB), (e, 6 * MIB), (f, MIB)] {
                pool.dealloc(p, layout(n));
            }
        }
    }

    #[test]
    fn blocks_keep_their_bytes_through_realloc() {
        let pool = PagePool::new();
        unsafe {
            // Small to large to larger to smaller to small.
            let mut p = pool.alloc(layout(1000));
            fill(p, 1000, 9);
            let sizes = [
                (1000, 3 * MIB),
                (3 * MIB, 5 * MIB),
                (5 * MIB, 2 * MIB),
                (2 * MIB, 500),
            ];
            for (old, new) in sizes {
                let q = pool.realloc(p, layout(old), new);
                assert!(!q.is_null());
                assert!(all(q, old.min(new).min(1000), 9));
                if new > old {
                    fill(q.add(old), new - old, 9);
                }
                p = q;
                if new >= 1000 {
                    assert!(all(p, 1000, 9));
                }
            }
            pool.dealloc(p, layout(500));
        }
    }

    #[test]
    fn the_pool_keeps_no_more_than_it_may() {
        let pool = PagePool::keeping(4 * MIB);
        unsafe {
            let a = pool.alloc(layout(3 * MIB));
            let b = pool.alloc(layout(3 * MIB));
            pool.dealloc(a, layout(3 * MIB));
            pool.dealloc(b, layout(3 * MIB));
            assert_eq!(pool.kept_bytes(), 3 * MIB);
            // Small blocks are the system's.
            let s = pool.alloc(layout(64));
            assert_eq!(pool.kept_bytes(), 3 * MIB);
            pool.dealloc(s, layout(64));
        }
    }

    #[test]
    fn freed_pages_are_kept_only_up_to_the_blocks_in_use_or_the_floor() {
        let pool = PagePool::new();
        let n = 40 * MIB;
        unsafe {
            let blocks = [0; 3].map(|_| pool.alloc(layout(n)));
            // 80 MiB still in use: the first 40 are kept.
            pool.dealloc(blocks[0], layout(n));
            assert_eq!(pool.kept_bytes(), n);
            // 40 in use, floor 64: 80 kept would be too many.
            pool.dealloc(blocks[1], layout(n));
            assert_eq!(pool.kept_bytes(), n);
            pool.dealloc(blocks[2], layout(n));
            assert_eq!(pool.kept_bytes(), n);
            assert!(n <= PagePool::KEEP_FLOOR_BYTES && 2 * n > PagePool::KEEP_FLOOR_BYTES);
        }
    }

    #[test]
    fn pages_moved_across_mappings_keep_their_bytes() {
        let pool = PagePool::new();
        let page = pool.page();
        let len = 64 * page;
        let map = || unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            p as usize
        };
        let (from, to) = (map(), map());
        for i in 0..64 {
            fill((from + i * page) as *mut u8, page, i as u8 + 1);
        }
        // Pages 21-22 with a flag of their own: three mappings, which
        // mremap before Linux 6.17 refuses to move at once; the move
        // below refuses whatever crosses their edges on any kernel.
        let split = unsafe {
            libc::madvise(
                (from + 21 * page) as *mut libc::c_void,
                2 * page,
                libc::MADV_DONTFORK,
            )
        };
        assert_eq!(split, 0);
        let edges = [from + 21 * page, from + 23 * page];
        let refused = std::cell::Cell::new(0);
        let within_one = |f: usize, t: usize, l: usize| {
            if edges.iter().any(|&e| f < e && e < f + l) {
                refused.set(refused.get() + 1);
                return false;
            }
            remap(f, t, l)
        };
        unsafe { pool.move_pages_by(from, to, len, &within_one) };
        assert!(refused.get() > 0);
        for i in 0..64 {
            assert!(
                all((to + i * page) as *mut u8, page, i as u8 + 1),
                "page {i}"
            );
        }
        unsafe { libc::munmap(to as *mut libc::c_void, len) };
    }

    #[test]
    fn random_blocks_never_share_bytes() {
        use rand::{RngExt, SeedableRng};
        let pool = PagePool::keeping(16 * MIB);
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(15);
        let mut live: Vec<(*mut u8, usize, u8)> = Vec::new();
        for step in 0..400u32 {
            let v = (step % 251) as u8 + 1;
            match rng.random_range(0..4) {
                0 | 1 if live.len() < 12 => {
                    let n = rng.random_range(1..6 * MIB);
                    let zeroed = rng.random_bool(0.5);
                    let p = unsafe {
                        if zeroed {
                            pool.alloc_zeroed(layout(n))
                        } else {
                            pool.alloc(layout(n))
                        }
                    };
                    assert!(!p.is_null());
                    if zeroed {
                        assert!(all_sampled(p, n, 0), "step {step}: zeroed block of {n}");
                    }
                    fill(p, n, v);
                    live.push((p, n, v));
                }
                2 if !live.is_empty() => {
                    let i = rng.random_range(0..live.len());
                    let (p, n, w) = live[i];
                    let m = rng.random_range(1..6 * MIB);
                    let q = unsafe { pool.realloc(p, layout(n), m) };
                    assert!(!q.is_null());
                    assert!(
                        all_sampled(q, n.min(m), w),
                        "step {step}: realloc {n} -> {m}"
                    );
                    fill(q, m, v);
                    live[i] = (q, m, v);
                }
                _ if !live.is_empty() => {
                    let i = rng.random_range(0..live.len());
                    let (p, n, _) = live.swap_remove(i);
                    unsafe { pool.dealloc(p, layout(n)) };
                }
                _ => {}
            }
            for &(p, n, w) in &live {
                assert!(
                    all_sampled(p, n, w),
                    "step {step}: a live block was overwritten"
                );
            }
            assert!(pool.kept_bytes() <= 16 * MIB);
        }
        for (p, n, _) in live {
            unsafe { pool.dealloc(p, layout(n)) };
        }
    }
}
