//! A small deterministic random generator (SplitMix64) for tests, benchmarks and traffic
//! tools: the same stream for the same seed on every run and machine, no dependency. Not for
//! anything an attacker may predict.

/// SplitMix64 (Steele, Lea, Flood 2014): fast, and every seed gives a full-period stream.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next value. (Not an `Iterator`: the stream never ends, and callers want a value,
    /// not an `Option`.)
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[inline]
    pub fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n) (n > 0), by multiply-shift.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_stream_and_values_in_range() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        for _ in 0..1000 {
            assert_eq!(a.next(), b.next());
            let (x, y) = (a.below(10), b.below(10));
            assert!(x < 10 && x == y);
            let f = a.f64();
            assert!((0.0..1.0).contains(&f) && f == b.f64());
        }
        assert_ne!(Rng(1).next(), Rng(2).next());
    }
}
