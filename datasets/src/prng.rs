//! The generator's own pseudo-random number generator.
//!
//! Why not the `rand` crate: its algorithms and the way its helpers turn bits
//! into ranges have changed between versions, and a dataset named by
//! `(config, seed)` must produce the same bytes forever. Both algorithms here
//! are public-domain reference designs by Blackman and Vigna
//! (<https://prng.di.unimi.it/>), short enough to pin down with test vectors:
//!
//! - [`SplitMix64`] expands one `u64` seed into well-mixed state words;
//! - [`Xoshiro256StarStar`] is the stream every stage of the generator draws from.
//!
//! Range reduction ([`Xoshiro256StarStar::below`]) is Lemire's multiply-shift
//! with rejection, written out here so it cannot change underneath us either.

/// SplitMix64: a 64-bit counter passed through a bijective mixer.
///
/// Used only to seed [`Xoshiro256StarStar`], as its authors recommend, so that
/// nearby seeds (0, 1, 2, ...) still give unrelated streams.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Golden-ratio increment from the reference implementation.
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    /// Starts the sequence at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// Returns the next 64 bits of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256**: fast, 256 bits of state, passes BigCrush; plenty for test data.
#[derive(Debug, Clone)]
pub struct Xoshiro256StarStar {
    s: [u64; 4],
}

impl Xoshiro256StarStar {
    /// Seeds the state from SplitMix64(`seed`), as the reference recommends.
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        Self::from_state(s)
    }

    /// Uses `s` as the raw state (for test vectors). An all-zero state is a
    /// fixed point of the algorithm, so it is replaced by a fixed non-zero one.
    pub fn from_state(s: [u64; 4]) -> Self {
        if s == [0; 4] {
            return Self::seed_from_u64(0);
        }
        Xoshiro256StarStar { s }
    }

    /// A stream for one generator stage, derived from the dataset seed and a
    /// stage label. Stages draw from separate streams so that, for example,
    /// asking for more payments does not change the customer master.
    pub fn for_stage(seed: u64, stage: u64) -> Self {
        // Mix the label through SplitMix64 first so stage 1 and stage 2 of
        // seed 0 are as unrelated as seeds 0 and 1.
        let label = SplitMix64::new(stage).next_u64();
        Self::seed_from_u64(seed ^ label)
    }

    /// Returns the next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no valid result");
        // Lemire, "Fast Random Integer Generation in an Interval" (2019).
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// A uniform index into a collection of `len` elements (`len > 0`).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }

    /// One element of a non-empty slice, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_vector() {
        // First outputs of the reference C code for seed 0.
        let mut sm = SplitMix64::new(0);
        assert_eq!(sm.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(sm.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(sm.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn xoshiro256starstar_matches_reference_vector() {
        // Reference C code from state {1, 2, 3, 4} (also rand_xoshiro's vector).
        let mut x = Xoshiro256StarStar::from_state([1, 2, 3, 4]);
        let expected: [u64; 6] = [
            11520,
            0,
            1509978240,
            1215971899390074240,
            1216172134540287360,
            607988272756665600,
        ];
        for want in expected {
            assert_eq!(x.next_u64(), want);
        }
    }

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut x = Xoshiro256StarStar::seed_from_u64(7);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = x.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn stages_of_one_seed_differ() {
        let a = Xoshiro256StarStar::for_stage(42, 1).next_u64();
        let b = Xoshiro256StarStar::for_stage(42, 2).next_u64();
        assert_ne!(a, b);
    }
}
