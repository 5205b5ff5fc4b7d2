//! The sample index under a fractional position: `floor` as one
//! conversion instruction.
//!
//! `x as i64` in Rust saturates (NaN becomes 0, out-of-range values the
//! nearest bound), which on x86-64 takes about six instructions around the
//! conversion; the walkers convert positions to indices several times per
//! step. Inside the range where truncation is exact and fits, the plain
//! conversion is the same value; [`floor_index`] checks that range with
//! two compares that the compiler can share with a caller's own bounds test.

/// 2^52: below it every `f64` truncates to an exact `i64`.
const EXACT: f64 = 4_503_599_627_370_496.0;

/// The largest index `n` as a float bound of a bounds test: `n` itself,
/// capped below 2^52 (no grid comes near). A finite `x` with
/// `0 <= x <= index_bound(n)` truncates exactly to an `i64`, so after such
/// a test `x.to_int_unchecked::<i64>()` is sound: the one conversion
/// instruction the per-step lookups of `GridField` and `SeaMask` use.
#[inline]
pub fn index_bound(n: usize) -> f64 {
    (n as f64).min(EXACT - 1.0)
}

/// `floor(x)` as an index for `x` ≥ 0 (a sample coordinate, in samples):
/// 0 for negative `x` and NaN, `usize::MAX` from 2^52 up (callers clamp
/// it to their grid).
#[inline(always)]
pub fn floor_index(x: f64) -> usize {
    if (0.0..EXACT).contains(&x) {
        // SAFETY: `x` is finite and in [0, 2^52), so its truncation is
        // representable in `i64`, which is all `to_int_unchecked` needs.
        unsafe { x.to_int_unchecked::<i64>() as usize }
    } else if x >= EXACT {
        usize::MAX
    } else {
        0
    }
}

/// `x.round()`, halves away from zero, for every `x`, without the libm
/// call `f64::round` compiles to on x86-64 without SSE4.1 (about 5 ns; the
/// viewer's relief and the basins map round several times a pixel):
/// below 2^52 the truncation by conversion is exact and so is `|x| - t`;
/// from there up (and for infinities and NaN) `x` is its own rounding.
#[inline]
pub fn round_half_away(x: f64) -> f64 {
    let a = x.abs();
    if a.is_nan() || a >= EXACT {
        return x;
    }
    let t = a as u64 as f64;
    let r = if a - t >= 0.5 { t + 1.0 } else { t };
    r.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against `floor` and the saturating conversion, by hand at the edges.
    #[test]
    fn floor_index_is_floor_where_defined() {
        for x in [
            0.0,
            0.25,
            0.999_999,
            1.0,
            1.5,
            2.0,
            3600.999,
            1e9 + 0.5,
            1e15,
        ] {
            assert_eq!(floor_index(x), x.floor() as usize, "{x}");
            assert_eq!(floor_index(x), x as i64 as usize, "{x}");
        }
        assert_eq!(floor_index(-0.0), 0);
        assert_eq!(floor_index(-0.5), 0);
        assert_eq!(floor_index(-7.0), 0);
        assert_eq!(floor_index(f64::NAN), 0);
        assert_eq!(floor_index(EXACT - 1.0), (EXACT - 1.0) as usize);
        assert_eq!(floor_index(EXACT), usize::MAX);
        assert_eq!(floor_index(f64::INFINITY), usize::MAX);
        assert_eq!(floor_index(f64::NEG_INFINITY), 0);
    }

    /// `round_half_away` is `f64::round`, bit for bit (the sign of zero
    /// included): whole numbers, halves and the floats either side of
    /// them, both signs, tiny, huge and non-finite values.
    #[test]
    fn round_half_away_is_round() {
        let mut xs = vec![
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            0.49999999999999994,
            4503599627370495.5,
            4503599627370496.0,
            9007199254740993.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for k in 0..3000u32 {
            let half = k as f64 + 0.5;
            xs.extend([
                k as f64,
                half,
                half.next_down(),
                half.next_up(),
                k as f64 * 1.37,
            ]);
        }
        for x in xs.clone() {
            for x in [x, -x] {
                assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
            }
        }
        assert!(round_half_away(f64::NAN).is_nan());
    }
}
