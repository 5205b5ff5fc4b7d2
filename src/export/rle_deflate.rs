//! A fast deflate encoder for filtered raster rows: every byte is a
//! Huffman-coded literal except runs of zeros, which become matches at
//! distance 1, and each call writes one dynamic block whose code is built
//! from that call's own byte counts.
//!
//! Filtered rows of shaded relief (PNG's `Up` filter, TIFF tiles) are mostly
//! small differences and runs of zeros, so this finds most of what a
//! general matcher finds at a fraction of its time: on the SRTM1-sized
//! hillshade of `scripts/bench-hillshade.sh` it writes about a third less
//! than zlib's level 1 (which there uses fixed codes) in about half the
//! time. The same idea drives the `fdeflate` crate (a fixed code tuned for
//! PNG); a block of our own is needed here because stripes are joined into
//! one stream (see [`crate::export::png`]), which needs blocks that are not
//! final and end on a byte boundary.
//!
//! The format is RFC 1951's: a dynamic block (BTYPE 2) with literal/length
//! and distance codes limited to 15 bits and a code-length code limited to
//! 7, the code lengths themselves run-length coded with symbols 16, 17, 18.

/// Longest literal/length code this encoder makes (deflate allows 15):
/// four literals then fit in one 48-bit write. Only symbols rarer than
/// about one in 2^12 pay for the limit, by a bit or two each.
const MAX_BITS: u8 = 12;

/// Longest code of the code-length alphabet.
const MAX_CL_BITS: u8 = 7;

/// The order in which the code-length code's lengths are sent (RFC 1951 3.2.7).
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Base match length of each length symbol 257..=285 and its extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// Bits written least significant first, as deflate packs them, without a
/// branch per write: [`BitWriter::put`] gathers up to 56 bits in a 64-bit
/// register and [`BitWriter::flush`] stores all eight of its bytes and
/// moves on by the whole bytes it held.
struct BitWriter {
    /// The bytes written so far (its length is the position): reserved
    /// ahead, never zeroed.
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// A writer that appends to `out`, with room for about `bytes` bytes
    /// more (it grows if it must).
    fn onto(mut out: Vec<u8>, bytes: usize) -> Self {
        out.reserve(bytes + 8);
        BitWriter { out, acc: 0, n: 0 }
    }

    /// Appends the low `bits` bits of `value`; at most 56 bits may be put
    /// between two flushes.
    #[inline(always)]
    fn put(&mut self, value: u64, bits: u32) {
        debug_assert!(self.n + bits <= 63 && (bits == 64 || value >> bits == 0));
        self.acc |= value << self.n;
        self.n += bits;
    }

    /// Moves the whole bytes gathered so far to the output: all eight
    /// bytes of the register are appended and the partial ones taken back.
    #[inline(always)]
    fn flush(&mut self) {
        let at = self.out.len();
        self.out.extend_from_slice(&self.acc.to_le_bytes());
        let bytes = self.n / 8;
        self.out.truncate(at + bytes as usize);
        self.acc >>= bytes * 8;
        self.n -= bytes * 8;
    }

    /// Pads with zero bits to a byte boundary and returns the bytes.
    fn finish(mut self) -> Vec<u8> {
        self.flush();
        if self.n > 0 {
            self.n = 8;
            self.flush();
        }
        self.out
    }
}

/// For each match length 3..=258, the index of its length symbol in
/// [`LENGTH_BASE`]: the last base not above it, but 258's own (28). A
/// table, not a search per match (a binary search there was 4-5 % of a
/// hillshade's CPU samples).
const LENGTH_INDEX: [u8; 259] = {
    let mut table = [0u8; 259];
    let mut len = 3;
    while len < 258 {
        let mut i = 0;
        while i + 1 < 28 && LENGTH_BASE[i + 1] as usize <= len {
            i += 1;
        }
        table[len] = i as u8;
        len += 1;
    }
    table[258] = 28;
    table
};

/// The length symbol (257..=285) of a match of `len` bytes (3..=258), with
/// its extra bits' value and count.
#[inline(always)]
fn length_symbol(len: usize) -> (usize, u32, u32) {
    let i = LENGTH_INDEX[len] as usize;
    (
        257 + i,
        (len - LENGTH_BASE[i] as usize) as u32,
        LENGTH_EXTRA[i] as u32,
    )
}

/// Runs of zeros shorter than this are sent as literals.
const MIN_RUN: usize = 4;

/// The runs of zeros that [`deflate_block`] sends as matches, as
/// `(start, length)` in bytes, in order. Eight bytes are looked at a time,
/// and a run is a stretch of zero bytes that reaches a chunk's start or
/// end (or fills chunks): a zero among nonzero bytes stays a literal, and
/// no byte is branched on alone. Runs are at least [`MIN_RUN`] long.
fn zero_runs(input: &[u8]) -> Vec<(u32, u32)> {
    let mut runs = Vec::new();
    let mut zeros = 0usize;
    let mut push = |end: usize, zeros: usize| {
        if zeros >= MIN_RUN {
            runs.push(((end - zeros) as u32, zeros as u32));
        }
    };
    let mut chunks = input.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let x = u64::from_le_bytes(bytes);
        if x == 0 {
            zeros += 8;
        } else {
            let head = (x.trailing_zeros() / 8) as usize;
            push(at + head, zeros + head);
            zeros = (x.leading_zeros() / 8) as usize;
        }
        at += 8;
    }
    for &b in chunks.remainder() {
        if b == 0 {
            zeros += 1;
        } else {
            push(at, zeros);
            zeros = 0;
        }
        at += 1;
    }
    push(at, zeros);
    runs
}

/// The matches that send a run of `zeros` zeros after its first, which is
/// a literal: lengths of 3..=258 summing to `zeros - 1`, less the 0..=2
/// zeros left over (sent as literals), in `(lengths, left over)`.
fn run_matches(zeros: usize) -> (impl Iterator<Item = usize>, usize) {
    let total = zeros - 1;
    // Whole 258s while what follows can still be a match of 3 or more.
    let mut rest = total;
    let matches = std::iter::from_fn(move || {
        if rest < 3 {
            return None;
        }
        let len = match rest {
            r if r <= 258 => r,
            r if r - 258 >= 3 => 258,
            r => r - 3,
        };
        rest -= len;
        Some(len)
    });
    // The left-over count is known without running the iterator: the
    // splitting above leaves nothing unless `total` is below 3.
    (matches, if total < 3 { total } else { 0 })
}

/// How often [`deflate_block`] sends each literal/length symbol of `input`
/// whose matched runs are `runs`: the histogram of the bytes between the
/// runs (four interleaved tables, so that repeated bytes do not wait on
/// each other's increments), the zeros of each run sent as literals, and
/// the matches' length symbols. The bytes the matches cover (about 40 % of
/// a filtered hillshade) are not looked at.
fn symbol_counts(input: &[u8], runs: &[(u32, u32)]) -> [u32; 286] {
    let mut tables = [[0u32; 256]; 4];
    let mut histogram = |bytes: &[u8]| {
        let mut quads = bytes.chunks_exact(4);
        for q in &mut quads {
            tables[0][q[0] as usize] += 1;
            tables[1][q[1] as usize] += 1;
            tables[2][q[2] as usize] += 1;
            tables[3][q[3] as usize] += 1;
        }
        for &b in quads.remainder() {
            tables[0][b as usize] += 1;
        }
    };
    let mut counts = [0u32; 286];
    let mut at = 0usize;
    for &(start, zeros) in runs {
        histogram(&input[at..start as usize]);
        let (matches, _) = run_matches(zeros as usize);
        let mut covered = 0u32;
        for len in matches {
            counts[length_symbol(len).0] += 1;
            covered += len as u32;
        }
        counts[0] += zeros - covered;
        at = (start + zeros) as usize;
    }
    histogram(&input[at..]);
    for (b, c) in counts.iter_mut().take(256).enumerate() {
        *c += tables.iter().map(|t| t[b]).sum::<u32>();
    }
    counts
}

/// Writes literals and matches with a literal/length code: each table
/// entry is a symbol's code in its low 16 bits and its length above.
struct Coder<'a> {
    w: &'a mut BitWriter,
    table: [u32; 286],
    /// The literals' codes as byte tables for [`literal_lanes`], where the
    /// CPU has the instructions it needs.
    #[cfg(target_arch = "x86_64")]
    lanes: Option<literal_lanes::ByteTables>,
}

impl<'a> Coder<'a> {
    /// A coder writing to `w` with the code `table`, in the registers'
    /// lanes where the CPU can and `lanes` allows.
    fn new(w: &'a mut BitWriter, table: [u32; 286], lanes: bool) -> Self {
        #[cfg(not(target_arch = "x86_64"))]
        let _ = lanes;
        Coder {
            w,
            #[cfg(target_arch = "x86_64")]
            lanes: if lanes {
                literal_lanes::ByteTables::of(&table)
            } else {
                None
            },
            table,
        }
    }

    /// Sends `bytes` as literals, four codes (at most 48 bits) per write;
    /// with AVX-512, 32 bytes' codes at a time are looked up and joined
    /// into fours in registers ([`literal_lanes`]), and what is left
    /// over is sent here.
    #[inline(always)]
    fn literals(&mut self, bytes: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        let bytes = match &self.lanes {
            // SAFETY: `ByteTables::of` gave tables only on a CPU with the
            // features `literal_lanes::send` needs.
            Some(t) if bytes.len() >= literal_lanes::CHUNK => unsafe {
                literal_lanes::send(self.w, t, bytes)
            },
            _ => bytes,
        };
        let mut quads = bytes.chunks_exact(4);
        for q in &mut quads {
            let mut bits = 0u64;
            let mut n = 0u32;
            for &b in &q[..4] {
                let e = self.table[b as usize];
                bits |= ((e & 0xffff) as u64) << n;
                n += e >> 16;
            }
            self.w.put(bits, n);
            self.w.flush();
        }
        for &b in quads.remainder() {
            self.symbol(b as usize);
        }
    }

    /// Sends one symbol.
    #[inline(always)]
    fn symbol(&mut self, s: usize) {
        let e = self.table[s];
        self.w.put((e & 0xffff) as u64, e >> 16);
        self.w.flush();
    }

    /// Sends a run of `zeros` zeros: a literal zero, then matches at
    /// distance 1 and any zeros left over as literals.
    fn run(&mut self, zeros: usize) {
        self.symbol(0);
        let (matches, left) = run_matches(zeros);
        for len in matches {
            let (sym, extra, bits) = length_symbol(len);
            let e = self.table[sym];
            self.w.put((e & 0xffff) as u64, e >> 16);
            self.w.put(extra as u64, bits);
            // Distance code 0 (distance 1), no extra bits: one 0 bit.
            self.w.put(0, 1);
            self.w.flush();
        }
        for _ in 0..left {
            self.symbol(0);
        }
    }
}

/// Huffman code lengths for `freqs`, none longer than `limit` bits; unused
/// symbols get 0. At least two symbols get a code (a lone symbol is given
/// a partner), so the code is always complete.
///
/// The lengths are those of a minimum-redundancy code (Moffat and
/// Katajainen's in-place construction over the sorted counts); when some
/// exceed `limit` they are cut to it, the Kraft sum is restored one unit
/// of 2^-limit at a time by splitting the deepest leaf above the limit (as
/// miniz does), and the lengths are handed out again, the shortest to the
/// most frequent symbols.
fn code_lengths(freqs: &[u32], limit: u8) -> Vec<u8> {
    // Used symbols by count, then symbol: a deterministic order.
    let mut order: Vec<u64> = freqs
        .iter()
        .enumerate()
        .filter(|(_, &f)| f > 0)
        .map(|(s, &f)| (f as u64) << 16 | s as u64)
        .collect();
    // A lone symbol (or none) is given partners from the first two.
    for (s, _) in freqs.iter().enumerate().take(2).filter(|(_, &f)| f == 0) {
        if order.len() < 2 {
            order.push(1 << 16 | s as u64);
        }
    }
    order.sort_unstable();
    debug_assert!(
        order.len() <= 1 << limit,
        "more symbols than codes of {limit} bits"
    );
    let symbol = |key: u64| (key & 0xffff) as usize;
    let mut depth: Vec<u64> = order.iter().map(|&key| key >> 16).collect();
    minimum_redundancy_lengths(&mut depth);
    // Deepest first in `depth` (least frequent first): cap, then repair.
    let limit = limit as usize;
    let mut per_length = vec![0u32; limit + 1];
    for &d in &depth {
        per_length[(d as usize).min(limit)] += 1;
    }
    let kraft = |per_length: &[u32]| -> u64 {
        (1..=limit)
            .map(|l| (per_length[l] as u64) << (limit - l))
            .sum()
    };
    let mut excess = kraft(&per_length).saturating_sub(1 << limit);
    while excess > 0 {
        // One leaf at the limit goes; one leaf above it splits into two
        // one level deeper: the sum drops by one unit of 2^-limit.
        per_length[limit] -= 1;
        if let Some(l) = (1..limit).rev().find(|&l| per_length[l] > 0) {
            per_length[l] -= 1;
            per_length[l + 1] += 2;
        }
        excess -= 1;
    }
    debug_assert_eq!(kraft(&per_length), 1 << limit);
    let mut lengths = vec![0u8; freqs.len()];
    // Most frequent first, shortest lengths first.
    let mut assigned = order.iter().rev();
    for (l, &count) in per_length.iter().enumerate().skip(1) {
        for key in assigned.by_ref().take(count as usize) {
            lengths[symbol(*key)] = l as u8;
        }
    }
    lengths
}

/// Replaces the counts `a` (ascending, at least two) by the code lengths of
/// a minimum-redundancy (Huffman) code for them, in place: the
/// construction of Moffat and Katajainen (1995), which needs no heap
/// because merged weights come out in ascending order.
fn minimum_redundancy_lengths(a: &mut [u64]) {
    let n = a.len();
    debug_assert!(n >= 2);
    // Phase 1: a[t] becomes the weight of internal node t, and then the
    // index of its parent once merged.
    let (mut leaf, mut root) = (0usize, 0usize);
    for next in 0..n - 1 {
        for child in 0..2 {
            let take_node = leaf >= n || (root < next && a[root] < a[leaf]);
            let w = if take_node {
                let w = a[root];
                a[root] = next as u64;
                root += 1;
                w
            } else {
                let w = a[leaf];
                leaf += 1;
                w
            };
            a[next] = if child == 0 { w } else { a[next] + w };
        }
    }
    // Phase 2: the depth of each internal node, from the root down.
    a[n - 2] = 0;
    for t in (0..n - 2).rev() {
        a[t] = a[a[t] as usize] + 1;
    }
    // Phase 3: leaf depths, filled from the most frequent end.
    let (mut available, mut depth) = (1u64, 0u64);
    let mut internal = n as isize - 2;
    let mut next = n as isize - 1;
    while available > 0 {
        let mut used = 0u64;
        while internal >= 0 && a[internal as usize] == depth {
            used += 1;
            internal -= 1;
        }
        while available > used {
            a[next as usize] = depth;
            next -= 1;
            available -= 1;
        }
        available = 2 * used;
        depth += 1;
    }
}

/// Canonical codes (RFC 1951 3.2.2) for `lengths`, bit-reversed so that
/// they can be written least significant bit first.
fn canonical_codes(lengths: &[u8]) -> Vec<u16> {
    let mut count = [0u16; 16];
    for &l in lengths {
        count[l as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[l as usize];
            next[l as usize] += 1;
            c.reverse_bits() >> (16 - l as u32)
        })
        .collect()
}

/// The code lengths `lengths` run-length coded with the code-length
/// alphabet: `(symbol, extra value, extra bits)`.
fn code_length_runs(lengths: &[u8]) -> Vec<(u8, u8, u8)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let l = lengths[i];
        let run = lengths[i..].iter().take_while(|&&x| x == l).count();
        let mut left = run;
        if l == 0 {
            while left >= 11 {
                let k = left.min(138);
                runs.push((18, (k - 11) as u8, 7));
                left -= k;
            }
            if left >= 3 {
                runs.push((17, (left - 3) as u8, 3));
                left = 0;
            }
        } else {
            runs.push((l, 0, 0));
            left -= 1;
            while left >= 3 {
                let k = left.min(6);
                runs.push((16, (k - 3) as u8, 2));
                left -= k;
            }
        }
        runs.extend(std::iter::repeat_n((l, 0, 0), left));
        i += run;
    }
    runs
}

/// Raw deflate of `input` as one dynamic block. With `last` the block is
/// the final one of its stream; without, it is followed by an empty stored
/// block (a sync flush), so the bytes end on a block boundary and another
/// block may follow them directly.
pub fn deflate_block(input: &[u8], last: bool) -> Vec<u8> {
    deflate_block_with(input, last, true)
}

/// [`deflate_block`], its literals sent in registers' lanes where the CPU
/// can and `lanes` allows (the bytes are the same either way).
fn deflate_block_with(input: &[u8], last: bool, lanes: bool) -> Vec<u8> {
    deflate_block_onto(Vec::new(), input, last, lanes)
}

/// [`deflate_block_with`] appended to `out`.
fn deflate_block_onto(out: Vec<u8>, input: &[u8], last: bool, lanes: bool) -> Vec<u8> {
    let runs_of_zeros = zero_runs(input);
    let mut lit_freq = symbol_counts(input, &runs_of_zeros);
    lit_freq[256] = 1;
    let lit_len = code_lengths(&lit_freq, MAX_BITS);
    let lit_code = canonical_codes(&lit_len);
    // Distance 1 is code 0; a second code of the same length keeps the
    // distance code complete, as some decoders require.
    let dist_len = [1u8, 1];
    let hlit = 257
        + lit_len[257..]
            .iter()
            .rposition(|&l| l > 0)
            .map_or(0, |p| p + 1);
    let mut all_lengths = lit_len[..hlit].to_vec();
    all_lengths.extend_from_slice(&dist_len);
    let runs = code_length_runs(&all_lengths);
    let mut cl_freq = [0u32; 19];
    for &(s, _, _) in &runs {
        cl_freq[s as usize] += 1;
    }
    let cl_len = code_lengths(&cl_freq, MAX_CL_BITS);
    let cl_code = canonical_codes(&cl_len);
    let hclen = 4.max(
        CL_ORDER
            .iter()
            .rposition(|&s| cl_len[s] > 0)
            .map_or(0, |p| p + 1),
    );

    // At most 12 bits a byte (a match covers 3 bytes or more with at most 18).
    let mut w = BitWriter::onto(out, input.len() / 2 * 3 + 1024);
    w.put(u64::from(last), 1);
    w.put(2, 2);
    w.put((hlit - 257) as u64, 5);
    w.put((dist_len.len() - 1) as u64, 5);
    w.put((hclen - 4) as u64, 4);
    w.flush();
    for &s in &CL_ORDER[..hclen] {
        w.put(cl_len[s] as u64, 3);
        w.flush();
    }
    for &(s, extra, bits) in &runs {
        w.put(cl_code[s as usize] as u64, cl_len[s as usize] as u32);
        w.put(extra as u64, bits as u32);
        w.flush();
    }
    {
        let mut table = [0u32; 286];
        for (t, (&c, &l)) in table.iter_mut().zip(lit_code.iter().zip(&lit_len)) {
            *t = c as u32 | (l as u32) << 16;
        }
        let mut coder = Coder::new(&mut w, table, lanes);
        let mut at = 0usize;
        for &(start, zeros) in &runs_of_zeros {
            coder.literals(&input[at..start as usize]);
            coder.run(zeros as usize);
            at = (start + zeros) as usize;
        }
        coder.literals(&input[at..]);
    }
    w.put(lit_code[256] as u64, lit_len[256] as u32);
    w.flush();
    if !last {
        // An empty stored block: header 000, padding, LEN 0, NLEN 0xffff.
        w.put(0, 3);
        let mut out = w.finish();
        out.extend_from_slice(&[0, 0, 0xff, 0xff]);
        return out;
    }
    w.finish()
}

/// Literal codes looked up and joined in the lanes of AVX-512 registers:
/// the same bits as [`Coder::literals`]' scalar loop, with fewer
/// instructions per byte (filtered hillshade is about 60 % literals, 80 %
/// of them in stretches of 32 or more between runs of zeros).
#[cfg(target_arch = "x86_64")]
mod literal_lanes {
    use std::arch::x86_64::*;

    use super::BitWriter;

    /// Bytes sent per round of [`send`].
    pub(super) const CHUNK: usize = 32;

    /// `true` on a CPU with the features [`send`] is compiled for
    /// (AVX-512 F, BW and VBMI).
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
    }

    /// The code of each byte value as two 256-byte tables, each four
    /// 64-byte registers: the code's low eight bits, and its high four bits
    /// with its length (at most [`super::MAX_BITS`], so four bits too)
    /// above them.
    pub(super) struct ByteTables {
        low: [__m512i; 4],
        high_and_length: [__m512i; 4],
    }

    impl ByteTables {
        /// The tables of a literal/length code `table` (as in
        /// [`super::Coder`]), or `None` on a CPU without AVX-512 F, BW and
        /// VBMI.
        pub(super) fn of(table: &[u32; 286]) -> Option<Self> {
            if !available() {
                return None;
            }
            let mut low = [0u8; 256];
            let mut high_and_length = [0u8; 256];
            for b in 0..256 {
                let (code, length) = (table[b] & 0xffff, table[b] >> 16);
                debug_assert!(code < 1 << 12 && length <= u32::from(super::MAX_BITS));
                low[b] = code as u8;
                high_and_length[b] = ((code >> 8) | length << 4) as u8;
            }
            let registers = |bytes: &[u8; 256]| {
                // SAFETY: each load reads 64 of the table's 256 bytes; the
                // CPU has AVX-512 F (checked above).
                std::array::from_fn(|k| unsafe {
                    _mm512_loadu_si512(bytes.as_ptr().add(64 * k).cast())
                })
            };
            Some(ByteTables {
                low: registers(&low),
                high_and_length: registers(&high_and_length),
            })
        }
    }

    /// The entries of a 256-byte `table` at the byte indices `idx`: two
    /// two-register permutes (bit 6 of an index picks the register, bits
    /// 0-5 the byte) and a blend on bit 7.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[inline]
    fn look_up(table: &[__m512i; 4], idx: __m512i) -> __m512i {
        let below_128 = _mm512_permutex2var_epi8(table[0], idx, table[1]);
        let above_128 = _mm512_permutex2var_epi8(table[2], idx, table[3]);
        _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), below_128, above_128)
    }

    /// Sends the first whole [`CHUNK`]s of `bytes` as literals and returns
    /// the rest. Each chunk's 32 codes are looked up at once, widened to
    /// 16-bit lanes, joined in pairs within 32-bit lanes and in fours
    /// within 64-bit lanes (a later code shifted past the earlier one's
    /// length, as the scalar loop does), and the eight fours (at most 48
    /// bits each) are written in order.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW and VBMI (as `ByteTables::of`
    /// checks).
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) unsafe fn send<'b>(w: &mut BitWriter, t: &ByteTables, bytes: &'b [u8]) -> &'b [u8] {
        let mut chunks = bytes.chunks_exact(CHUNK);
        let mask16 = _mm512_set1_epi32(0xffff);
        let mask32 = _mm512_set1_epi64(0xffff_ffff);
        let nibble = _mm512_set1_epi16(0x0f);
        for chunk in &mut chunks {
            // SAFETY: the chunk holds CHUNK = 32 bytes, one 256-bit load.
            let idx = _mm512_zextsi256_si512(unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) });
            let low = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(look_up(&t.low, idx)));
            let high =
                _mm512_cvtepu8_epi16(_mm512_castsi512_si256(look_up(&t.high_and_length, idx)));
            let code = _mm512_or_si512(low, _mm512_slli_epi16::<8>(_mm512_and_si512(high, nibble)));
            let length = _mm512_srli_epi16::<4>(high);
            // Pairs: the odd byte's code after the even one's.
            let pair = _mm512_or_si512(
                _mm512_and_si512(code, mask16),
                _mm512_sllv_epi32(
                    _mm512_srli_epi32::<16>(code),
                    _mm512_and_si512(length, mask16),
                ),
            );
            let pair_length = _mm512_add_epi32(
                _mm512_and_si512(length, mask16),
                _mm512_srli_epi32::<16>(length),
            );
            // Fours: the odd pair's bits after the even one's.
            let four = _mm512_or_si512(
                _mm512_and_si512(pair, mask32),
                _mm512_sllv_epi64(
                    _mm512_srli_epi64::<32>(pair),
                    _mm512_and_si512(pair_length, mask32),
                ),
            );
            let four_length = _mm512_add_epi64(
                _mm512_and_si512(pair_length, mask32),
                _mm512_srli_epi64::<32>(pair_length),
            );
            let mut bits = [0u64; 8];
            let mut lengths = [0u64; 8];
            // SAFETY: each store writes 64 bytes into an array of 64 bytes.
            unsafe {
                _mm512_storeu_si512(bits.as_mut_ptr().cast(), four);
                _mm512_storeu_si512(lengths.as_mut_ptr().cast(), four_length);
            }
            for (&b, &n) in bits.iter().zip(&lengths) {
                w.put(b, n as u32);
                w.flush();
            }
        }
        chunks.remainder()
    }
}

/// The Adler-32 checksum (RFC 1950) of `bytes`, with the processor's
/// vector instructions where it has them (`simd-adler32`).
pub fn adler32(bytes: &[u8]) -> u32 {
    let mut hash = simd_adler32::Adler32::new();
    hash.write(bytes);
    hash.finish()
}

/// A complete zlib stream (RFC 1950) of `input`: header, one final
/// [`deflate_block`], Adler-32.
pub fn zlib(input: &[u8]) -> Vec<u8> {
    // CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest; 0x7801 % 31 == 0),
    // the block written after them in place.
    let mut out = deflate_block_onto(vec![0x78, 0x01], input, true, true);
    out.extend_from_slice(&adler32(input).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    /// Inflated by flate2 (zlib-rs), an independent decoder.
    fn inflate_raw(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn length_symbols_follow_the_rfc_table() {
        // RFC 1951 3.2.5, by hand: 3 -> 257; 10 -> 264; 11 -> 265 + 0;
        // 12 -> 265 + 1; 130 -> 280 + 15; 227 -> 284 + 0; 257 -> 284 + 30; 258 -> 285.
        for (len, want) in [
            (3, (257, 0, 0)),
            (10, (264, 0, 0)),
            (11, (265, 0, 1)),
            (12, (265, 1, 1)),
            (130, (280, 15, 4)),
            (227, (284, 0, 5)),
            (257, (284, 30, 5)),
            (258, (285, 0, 0)),
        ] {
            assert_eq!(length_symbol(len), want, "length {len}");
        }
        // Every length: its symbol's base plus the extra value is the
        // length, and the extra value fits its bits (so the symbol is the
        // one RFC 1951 gives; 258 has symbol 285, not 284 + 31).
        for len in 3..=258 {
            let (sym, extra, bits) = length_symbol(len);
            assert_eq!(LENGTH_BASE[sym - 257] as usize + extra as usize, len);
            assert!(
                extra < 1 << bits || (bits == 0 && extra == 0),
                "length {len}"
            );
            assert_eq!(LENGTH_EXTRA[sym - 257] as u32, bits);
        }
        assert_eq!(length_symbol(258).0, 285);
    }

    /// A pseudo-random input with long and short runs of zeros.
    fn runny(len: usize) -> Vec<u8> {
        let mut state = 7u32;
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if (i / 37) % 3 == 0 || (i / 5) % 4 == 0 {
                    0
                } else {
                    (state >> 28) as u8 % 3
                }
            })
            .collect()
    }

    #[test]
    fn zero_runs_are_in_order_apart_and_all_zeros() {
        let input = runny(20_011);
        let runs = zero_runs(&input);
        assert!(!runs.is_empty());
        let mut end = 0;
        for &(start, len) in &runs {
            let (start, len) = (start as usize, len as usize);
            assert!(start >= end && len >= MIN_RUN, "run {start} + {len}");
            assert!(input[start..start + len].iter().all(|&b| b == 0));
            end = start + len;
        }
    }

    #[test]
    fn symbol_counts_are_the_counts_of_what_is_sent() {
        // Sent one symbol at a time: the literals between runs, and per
        // run a literal zero, its matches and the zeros left over.
        let input = runny(20_011);
        let runs = zero_runs(&input);
        let mut slow = [0u32; 286];
        let mut at = 0;
        for &(start, zeros) in &runs {
            for &b in &input[at..start as usize] {
                slow[b as usize] += 1;
            }
            slow[0] += 1;
            let (matches, left) = run_matches(zeros as usize);
            let mut covered = 1 + left;
            for len in matches {
                slow[length_symbol(len).0] += 1;
                covered += len;
            }
            assert_eq!(covered, zeros as usize, "a run is sent whole");
            slow[0] += left as u32;
            at = (start + zeros) as usize;
        }
        for &b in &input[at..] {
            slow[b as usize] += 1;
        }
        assert_eq!(symbol_counts(&input, &runs), slow);
    }

    #[test]
    fn blocks_joined_by_sync_flushes_inflate_to_the_input() {
        let a: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 13) as u8).collect();
        let b = vec![0u8; 1000];
        let c: Vec<u8> = (0..5000u32).map(|i| (i % 3) as u8).collect();
        let mut stream = deflate_block(&a, false);
        stream.extend(deflate_block(&b, false));
        stream.extend(deflate_block(&c, true));
        let want: Vec<u8> = [a, b, c].concat();
        assert_eq!(inflate_raw(&stream), want);
    }

    #[test]
    fn degenerate_inputs_inflate() {
        for input in [
            vec![],
            vec![0u8],
            vec![0u8; 3],
            vec![0u8; 300_000],
            vec![9u8; 10],
        ] {
            assert_eq!(inflate_raw(&deflate_block(&input, true)), input);
        }
    }

    #[test]
    fn skewed_counts_keep_codes_within_the_limit() {
        // Fibonacci-like counts would give a 30-bit-deep plain Huffman code.
        let mut input = Vec::new();
        let (mut x, mut y) = (1usize, 1usize);
        for sym in 1..=30u8 {
            input.extend(std::iter::repeat_n(sym, x));
            (x, y) = (y, x + y);
        }
        let lengths = {
            let mut f = [0u32; 286];
            for &b in &input {
                f[b as usize] += 1;
            }
            f[256] = 1;
            code_lengths(&f, MAX_BITS)
        };
        assert!(lengths.iter().all(|&l| l <= MAX_BITS));
        // Kraft: a complete prefix code sums to exactly 1.
        let kraft: f64 = lengths
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 0.5f64.powi(l as i32))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-12, "{kraft}");
        assert_eq!(inflate_raw(&deflate_block(&input, true)), input);
    }

    #[test]
    fn a_zlib_stream_inflates_with_its_checksum() {
        let input: Vec<u8> = (0..100_000u32).map(|i| ((i / 50) % 5) as u8).collect();
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&zlib(&input)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, input);
    }

    /// The cost (sum of count times length) of an optimal prefix code,
    /// by Huffman's own procedure done naively: merge the two smallest
    /// weights until one is left; the cost is the sum of the merged weights.
    fn huffman_cost_by_definition(counts: &[u64]) -> u64 {
        let mut w: Vec<u64> = counts.iter().copied().filter(|&c| c > 0).collect();
        let mut cost = 0;
        while w.len() > 1 {
            w.sort_unstable();
            let merged = w[0] + w[1];
            cost += merged;
            w.splice(0..2, [merged]);
        }
        cost
    }

    /// `(cost, Kraft sum in units of 2^-15)` of `lengths` for `counts`.
    fn cost_and_kraft(counts: &[u32], lengths: &[u8]) -> (u64, u64) {
        let cost = counts
            .iter()
            .zip(lengths)
            .map(|(&c, &l)| c as u64 * l as u64)
            .sum();
        let kraft = lengths
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 1u64 << (15 - l))
            .sum();
        (cost, kraft)
    }

    proptest! {
        /// Within the deflate limit, the lengths are an optimal code for
        /// the counts (the naive Huffman's cost) and a complete one.
        #[test]
        fn unlimited_lengths_are_an_optimal_complete_code(
            counts in prop::collection::vec(prop_oneof![Just(0u32), 1u32..1000], 2..40)
        ) {
            prop_assume!(counts.iter().filter(|&&c| c > 0).count() >= 2);
            let lengths = code_lengths(&counts, 15);
            let (cost, kraft) = cost_and_kraft(&counts, &lengths);
            let wide: Vec<u64> = counts.iter().map(|&c| c as u64).collect();
            prop_assert_eq!(cost, huffman_cost_by_definition(&wide));
            prop_assert_eq!(kraft, 1 << 15);
        }

        /// Under a tight limit: every used symbol has a code, no unused
        /// one does, none is longer than the limit, the code is complete,
        /// and a more frequent symbol never has a longer code.
        #[test]
        fn limited_lengths_are_complete_and_ordered(
            counts in prop::collection::vec(prop_oneof![Just(0u32), 1u32..4, 1u32..1_000_000], 2..286),
            limit in 9u8..=12,
        ) {
            let lengths = code_lengths(&counts, limit);
            let used = counts.iter().filter(|&&c| c > 0).count();
            // Fewer than two used symbols: the first unused of 0 and 1 are
            // the partners, as many as needed to make two.
            let partners: Vec<usize> = (0..2)
                .filter(|&s| counts[s] == 0)
                .take(2usize.saturating_sub(used))
                .collect();
            for (s, (&c, &l)) in counts.iter().zip(&lengths).enumerate() {
                prop_assert!(l <= limit);
                let coded = c > 0 || partners.contains(&s);
                prop_assert_eq!(coded, l > 0, "symbol {} count {} length {} ({} used)", s, c, l, used);
            }
            let (_, kraft) = cost_and_kraft(&counts, &lengths);
            prop_assert_eq!(kraft, 1 << 15);
            for (a, b) in counts.iter().zip(&lengths).zip(counts.iter().zip(&lengths)).filter(|((ca, _), (cb, _))| ca > cb && **cb > 0) {
                prop_assert!(a.1 <= b.1, "count {} has length {}, count {} length {}", a.0, a.1, b.0, b.1);
            }
        }

        #[test]
        fn literals_in_lanes_are_the_scalar_bits(
            parts in prop::collection::vec(
                (prop::collection::vec(any::<u8>(), 0..200), 0usize..40, 0u32..8), 1..40)
        ) {
            // Stretches of bytes of every value, skewed by a shift so that
            // codes run from short to the longest, between runs of zeros.
            let mut input = Vec::new();
            for (bytes, zeros, shift) in &parts {
                input.extend(bytes.iter().map(|&b| b >> shift));
                input.extend(std::iter::repeat_n(0, *zeros));
            }
            #[cfg(target_arch = "x86_64")]
            if !literal_lanes::available() {
                eprintln!("skipped: literals in lanes (this CPU lacks AVX-512 F, BW or VBMI)");
            }
            let scalar = deflate_block_with(&input, true, false);
            prop_assert_eq!(&deflate_block_with(&input, true, true), &scalar);
            prop_assert_eq!(inflate_raw(&scalar), input);
        }

        #[test]
        fn any_bytes_round_trip(
            parts in prop::collection::vec(
                (prop::collection::vec(0u8..4, 0..3000), 0usize..700), 1..5)
        ) {
            let mut stream = Vec::new();
            let mut want = Vec::new();
            for (i, (bytes, zeros)) in parts.iter().enumerate() {
                let mut input = bytes.clone();
                input.extend(std::iter::repeat_n(0, *zeros));
                stream.extend(deflate_block(&input, i + 1 == parts.len()));
                want.extend(input);
            }
            prop_assert_eq!(inflate_raw(&stream), want);
        }
    }
}
