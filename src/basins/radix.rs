//! A monotone priority queue of `u64` keys (a radix heap over their high
//! halves): the Priority-Flood's open set, where every key pushed is above
//! the last one popped.
//!
//! Ahuja, Mehlhorn, Orlin and Tarjan (1990), "Faster algorithms for the
//! shortest path problem", J. ACM 37. Bucket `b` holds the keys whose
//! high half's highest bit differing from that of the last key popped is
//! bit `b - 1` (bucket 0: the same high half). Popping takes bucket 0 in
//! order (sorted once when it fills), or else empties the lowest non-empty
//! bucket: its least high half becomes the current one, and its keys fall
//! into lower buckets. A key only ever moves down, at most 32 times, in
//! practice a few, and every move is a sequential push onto a vector: far
//! fewer cache misses than a binary heap's sift-down over millions of
//! entries. The flood keys cells as `height key << 32 | index`, so one
//! bucket-0 batch is the cells of one height, popped in index order. It
//! pops exactly what a min-heap pops.

/// A min-priority queue of `u64` keys for monotone use: a key pushed must
/// not be below the last key popped (checked in debug builds).
#[derive(Debug, Clone)]
pub(crate) struct RadixQueue {
    buckets: [Vec<u64>; 33],
    /// The high half of the last key popped (0 before the first pop).
    high: u32,
    /// The last key popped (for the debug check).
    last: u64,
    /// Whether bucket 0 is sorted, largest first.
    sorted: bool,
    /// Room for [`sort_descending`]'s passes, kept between sorts.
    scratch: Vec<u64>,
    len: usize,
}

impl RadixQueue {
    /// An empty queue.
    pub fn new() -> Self {
        RadixQueue {
            buckets: std::array::from_fn(|_| Vec::new()),
            high: 0,
            last: 0,
            sorted: true,
            scratch: Vec::new(),
            len: 0,
        }
    }

    /// The bucket of `key` relative to the current high half `high`.
    #[inline]
    fn bucket(key: u64, high: u32) -> usize {
        (u32::BITS - ((key >> 32) as u32 ^ high).leading_zeros()) as usize
    }

    /// Adds `key` (at least the last key popped).
    #[inline]
    pub fn push(&mut self, key: u64) {
        debug_assert!(key >= self.last, "a radix queue is monotone");
        let b = Self::bucket(key, self.high);
        if b == 0 {
            self.sorted = false;
        }
        self.buckets[b].push(key);
        self.len += 1;
    }

    /// The key the pop `ahead` pops after the next one returns (0: the
    /// next pop's), when it is already known: among the keys of the
    /// current high half, sorted. A hint only (for prefetching): keys
    /// pushed later with the same high half may come before it.
    #[inline]
    pub fn peek_ahead(&self, ahead: usize) -> Option<u64> {
        let current = &self.buckets[0];
        if !self.sorted {
            return None;
        }
        current.len().checked_sub(ahead + 1).map(|k| current[k])
    }

    /// Number of keys queued.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Removes and returns the least key, if any.
    pub fn pop(&mut self) -> Option<u64> {
        if self.buckets[0].is_empty() {
            let b = self.buckets.iter().position(|v| !v.is_empty())?;
            let mut moved = std::mem::take(&mut self.buckets[b]);
            // Non-empty: `position` found it so.
            let least = moved.iter().copied().min().unwrap_or(0);
            self.high = (least >> 32) as u32;
            for &key in &moved {
                self.buckets[Self::bucket(key, self.high)].push(key);
            }
            self.sorted = false;
            // Keep the emptied bucket's allocation for its next keys.
            moved.clear();
            if self.buckets[b].is_empty() {
                self.buckets[b] = moved;
            }
        }
        if !self.sorted {
            sort_descending(&mut self.buckets[0], &mut self.scratch);
            self.sorted = true;
        }
        let key = self.buckets[0].pop()?;
        self.len -= 1;
        self.last = key;
        Some(key)
    }
}

/// Batches shorter than this are sorted by comparison.
const RADIX_SORT_MIN: usize = 256;

/// Sorts `keys`, which share their high half (one height's batch),
/// largest first: short batches by comparison, longer ones by a stable
/// least-significant-digit radix sort of their low halves, a byte at a
/// time, skipping the bytes all keys share (a grid's indices rarely use
/// all four). `scratch` is reused room for the passes.
fn sort_descending(keys: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    if keys.len() < RADIX_SORT_MIN {
        keys.sort_unstable_by(|a, b| b.cmp(a));
        return;
    }
    scratch.clear();
    scratch.resize(keys.len(), 0);
    for shift in [0u32, 8, 16, 24] {
        let digit = |k: u64| (k >> shift) as u8 as usize;
        let mut count = [0usize; 256];
        for &k in keys.iter() {
            count[digit(k)] += 1;
        }
        if count.contains(&keys.len()) {
            continue;
        }
        // Largest digit first: each digit's keys start after those of
        // every larger digit, in the order the last pass left them.
        let mut start = [0usize; 256];
        let mut at = 0;
        for d in (0..256).rev() {
            start[d] = at;
            at += count[d];
        }
        for &k in keys.iter() {
            let d = digit(k);
            scratch[start[d]] = k;
            start[d] += 1;
        }
        std::mem::swap(keys, scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Keys pushed and popped by hand: duplicates, zero, the largest key.
    #[test]
    fn pops_in_order_by_hand() {
        let mut q = RadixQueue::new();
        for k in [5, 3, 3, 9, 0, u64::MAX] {
            q.push(k);
        }
        assert_eq!(q.len(), 6);
        assert_eq!(q.pop(), Some(0));
        assert_eq!(q.pop(), Some(3));
        q.push(4);
        assert_eq!(q.pop(), Some(3));
        assert_eq!(q.pop(), Some(4));
        assert_eq!(q.pop(), Some(5));
        assert_eq!(q.pop(), Some(9));
        assert_eq!(q.pop(), Some(u64::MAX));
        assert_eq!(q.pop(), None);
        assert_eq!(q.len(), 0);
    }

    proptest! {
        /// Any monotone sequence of pushes and pops gives what the standard
        /// library's binary heap gives: each step either pops, or pushes a
        /// key at least the last popped (an offset above it, spread over
        /// all 64 bits).
        #[test]
        fn pops_what_a_binary_heap_pops(
            first in proptest::collection::vec(any::<u64>(), 0..50),
            ops in proptest::collection::vec((any::<bool>(), any::<u64>(), 0u32..64), 0..400),
        ) {
            let mut q = RadixQueue::new();
            let mut heap = BinaryHeap::new();
            for &k in &first {
                q.push(k);
                heap.push(Reverse(k));
            }
            let mut last = 0u64;
            for (pop, offset, bits) in ops {
                if pop {
                    let want = heap.pop().map(|Reverse(k)| k);
                    prop_assert_eq!(q.pop(), want);
                    if let Some(k) = want {
                        last = k;
                    }
                } else {
                    let k = last.saturating_add(offset >> bits);
                    q.push(k);
                    heap.push(Reverse(k));
                }
                prop_assert_eq!(q.len(), heap.len());
            }
            while let Some(Reverse(k)) = heap.pop() {
                prop_assert_eq!(q.pop(), Some(k));
            }
            prop_assert_eq!(q.pop(), None);
        }

        /// Batches of any length sort largest first, as the standard
        /// library sorts them: short ones, and long ones whose low halves
        /// differ in one byte or in all four.
        #[test]
        fn batches_sort_largest_first(
            high in any::<u32>(),
            lows in proptest::collection::vec(any::<u32>(), 0..2000),
            mask in prop::sample::select(vec![0xffu32, 0xff00, 0xffff_ffff, 0x00ff_ff0f]),
        ) {
            let mut keys: Vec<u64> = lows.iter().map(|&l| (high as u64) << 32 | (l & mask) as u64).collect();
            let mut want = keys.clone();
            want.sort_unstable_by(|a, b| b.cmp(a));
            sort_descending(&mut keys, &mut Vec::new());
            prop_assert_eq!(keys, want);
        }

        /// What `peek_ahead(k)` names is what the (k + 1)-th pop from there
        /// returns when nothing is pushed in between. The keys share few
        /// high halves (as heights do), so most peeks see a sorted batch.
        #[test]
        fn peek_ahead_names_a_later_pop(
            keys in proptest::collection::vec((0u64..4, any::<u32>()), 1..300),
            popped in 1usize..50,
            ahead in 0usize..8,
        ) {
            let mut q = RadixQueue::new();
            for &(high, low) in &keys {
                q.push(high << 32 | low as u64);
            }
            for _ in 0..popped.min(keys.len() - 1) {
                q.pop();
            }
            if let Some(peeked) = q.peek_ahead(ahead) {
                let mut later = q.clone();
                let pops: Vec<u64> = std::iter::from_fn(|| later.pop()).take(ahead + 1).collect();
                prop_assert_eq!(pops.get(ahead).copied(), Some(peeked));
            }
        }
    }
}
