//! Hot loops with runtime CPU dispatch.
//!
//! Each CPU level is a table of function pointers (`Kernels`). `scalar` is the reference every
//! other level must equal bit for bit (tests check every level the machine has). The level is
//! chosen once, from the best the CPU supports, or forced lower with the environment variable
//! `VIDKOMPY_CPU_LEVEL` (`scalar`, `avx2`, `avx512`, `neon`); a forced level the CPU lacks falls
//! back to the best available one below it.

use std::sync::OnceLock;

#[cfg(target_arch = "aarch64")]
mod aarch64;
pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_64;

/// Bytes in a thumb descriptor (16×16 i8).
pub const THUMB_BYTES: usize = 256;

/// A thumb descriptor: 16×16 luma, zero mean, unit variance, quantized to i8.
pub type Thumb = [i8; THUMB_BYTES];

/// `(Σ a·b, Σ a, Σ a²)`.
pub type DotSumSq = (f32, f32, f32);

/// One row of a fixed-point filter's taps along an axis: output `k` is
/// `(Σ_t weights[t * n + k] · sums[first[k] - origin + t] + ROUND) >> TAPS_SHIFT`, at most
/// 255, for `n = first.len()` outputs of `taps` taps. Weights sum to at most `1 << 14` an
/// output and sums are below `1 << 15`, so no sum leaves a u32. Built by `new`, which checks
/// once that every tap reads within `sums_len` sums (the SIMD levels gather on that promise).
#[derive(Debug, Clone, Copy)]
pub struct TapsRow<'a> {
    first: &'a [u32],
    /// Tap-major: the first tap of every output, then the second, ...
    weights: &'a [u32],
    taps: usize,
    origin: u32,
    sums_len: usize,
}

impl<'a> TapsRow<'a> {
    /// `None` when a tap would read outside `sums_len` sums, or the weights are not `taps`
    /// per output.
    pub fn new(first: &'a [u32], weights: &'a [u32], taps: usize, origin: u32, sums_len: usize) -> Option<TapsRow<'a>> {
        let inside =
            |&f: &u32| f >= origin && ((f - origin) as usize).checked_add(taps).is_some_and(|end| end <= sums_len);
        (taps >= 1
            && weights.len() == first.len().checked_mul(taps)?
            && sums_len <= i32::MAX as usize
            && first.iter().all(inside))
        .then_some(TapsRow { first, weights, taps, origin, sums_len })
    }

    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }
}

/// The shift that brings a tap sum back to 8 bits, and its rounding.
pub const TAPS_SHIFT: u32 = 21;
pub const TAPS_ROUND: u32 = 1 << (TAPS_SHIFT - 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CpuLevel {
    Scalar,
    /// x86_64 AVX2 + POPCNT.
    Avx2,
    /// x86_64 AVX-512 F + BW.
    Avx512,
    /// aarch64 NEON.
    Neon,
}

impl CpuLevel {
    pub fn name(self) -> &'static str {
        match self {
            CpuLevel::Scalar => "scalar",
            CpuLevel::Avx2 => "avx2",
            CpuLevel::Avx512 => "avx512",
            CpuLevel::Neon => "neon",
        }
    }

    pub fn parse(s: &str) -> Option<CpuLevel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" | "none" => Some(CpuLevel::Scalar),
            "avx2" => Some(CpuLevel::Avx2),
            "avx512" => Some(CpuLevel::Avx512),
            "neon" => Some(CpuLevel::Neon),
            _ => None,
        }
    }
}

/// One CPU level's implementations of the hot loops.
pub struct Kernels {
    pub level: CpuLevel,
    /// `acc[i] += weight * src[i] as f32` (the vertical pass of the area filter).
    pub accumulate_row: fn(&mut [f32], &[u8], f32),
    /// `out[i] = popcount(a ^ b[i])`; `out.len() == b.len()`.
    pub hamming_row: fn(u64, &[u64], &mut [u32]),
    /// Sum of absolute differences of two thumbs.
    pub sad_thumb: fn(&Thumb, &Thumb) -> u32,
    /// `(Σ a·b, Σ a, Σ a²)` over equal-length rows (NCC at one position).
    pub dot_sum_sq: fn(&[f32], &[f32]) -> DotSumSq,
    /// `acc[i] += weight * src[i]` in integers (the vertical pass of the paste's filter).
    pub weigh_row: fn(&mut [u32], &[u8], u32),
    /// The horizontal pass of the paste's filter (`TapsRow`); `out.len() == row.len()` and
    /// `sums.len()` at least the row's `sums_len`.
    pub taps_row: fn(&TapsRow<'_>, &[u32], &mut [u8]),
}

/// Every level this CPU can run, lowest first (always starts with `Scalar`).
pub fn available() -> Vec<&'static Kernels> {
    let mut levels = vec![&scalar::KERNELS];
    #[cfg(target_arch = "x86_64")]
    levels.extend(x86_64::available());
    #[cfg(target_arch = "aarch64")]
    levels.extend(aarch64::available());
    levels
}

/// The kernels of a given level, if this CPU has it.
pub fn for_level(level: CpuLevel) -> Option<&'static Kernels> {
    available().into_iter().find(|k| k.level == level)
}

fn choose() -> &'static Kernels {
    let levels = available();
    let best = *levels.last().expect("scalar is always available");
    match std::env::var("VIDKOMPY_CPU_LEVEL").ok().and_then(|v| CpuLevel::parse(&v)) {
        Some(forced) => levels.iter().rev().find(|k| k.level <= forced).copied().unwrap_or(best),
        None => best,
    }
}

/// The kernels in use, chosen once per process.
pub fn active() -> &'static Kernels {
    static ACTIVE: OnceLock<&'static Kernels> = OnceLock::new();
    ACTIVE.get_or_init(choose)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 ^ (self.0 >> 29)
        }
    }

    #[test]
    fn every_level_equals_scalar_on_random_inputs_and_odd_lengths() {
        let mut rng = Lcg(7);
        let levels = available();
        assert_eq!(levels[0].level, CpuLevel::Scalar);
        for k in &levels {
            for len in [0usize, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 1920]
            {
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let start: Vec<f32> = (0..len).map(|_| (rng.next() % 1000) as f32 * 0.37).collect();
                let weight = (rng.next() % 1000) as f32 / 999.0;
                let mut want = start.clone();
                let mut got = start.clone();
                (scalar::KERNELS.accumulate_row)(&mut want, &bytes, weight);
                (k.accumulate_row)(&mut got, &bytes, weight);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "accumulate_row {} len {len}", k.level.name());

                let a = rng.next();
                let b: Vec<u64> = (0..len).map(|_| rng.next()).collect();
                let mut want = vec![0u32; len];
                let mut got = vec![u32::MAX; len];
                (scalar::KERNELS.hamming_row)(a, &b, &mut want);
                (k.hamming_row)(a, &b, &mut got);
                assert_eq!(got, want, "hamming_row {} len {len}", k.level.name());
                for (w, bi) in want.iter().zip(&b) {
                    assert_eq!(*w, (a ^ bi).count_ones());
                }
            }
            for _ in 0..200 {
                let mut x = [0i8; THUMB_BYTES];
                let mut y = [0i8; THUMB_BYTES];
                x.iter_mut().for_each(|v| *v = rng.next() as i8);
                y.iter_mut().for_each(|v| *v = rng.next() as i8);
                assert_eq!((k.sad_thumb)(&x, &y), (scalar::KERNELS.sad_thumb)(&x, &y), "sad {}", k.level.name());
            }
            // Whole pixels, and resampled ones (fractions whose products round).
            for (len, whole) in
                [0usize, 1, 7, 8, 9, 31, 64, 100, 1283].into_iter().flat_map(|n| [(n, true), (n, false)])
            {
                let pixel = |r: u64| if whole { (r % 256) as f32 } else { (r % 65536) as f32 / 257.0 };
                let a: Vec<f32> = (0..len).map(|_| pixel(rng.next())).collect();
                let b: Vec<f32> = (0..len).map(|_| (rng.next() % 2001) as f32 / 10.0 - 100.0).collect();
                let (x, y) = ((k.dot_sum_sq)(&a, &b), (scalar::KERNELS.dot_sum_sq)(&a, &b));
                assert_eq!(
                    (x.0.to_bits(), x.1.to_bits(), x.2.to_bits()),
                    (y.0.to_bits(), y.1.to_bits(), y.2.to_bits()),
                    "dot_sum_sq {} len {len}",
                    k.level.name()
                );
            }
            taps_rows_equal_scalar(k, &mut rng);
            let lo = [i8::MIN; THUMB_BYTES];
            let hi = [i8::MAX; THUMB_BYTES];
            assert_eq!((k.sad_thumb)(&lo, &hi), 255 * 256, "sad extremes {}", k.level.name());
        }
    }

    /// Every tap count from 1 to 6, output counts around the vector widths, sums and weights
    /// up to their limits, outputs reading the row's last sums.
    fn taps_rows_equal_scalar(k: &Kernels, rng: &mut Lcg) {
        for taps in 1..=6usize {
            for n in [0usize, 1, 7, 8, 9, 16, 17, 100] {
                let len = n * 2 + taps + 3;
                let origin = (rng.next() % 50) as u32;
                let sums: Vec<u32> = (0..len).map(|_| (rng.next() % (255 << 7)) as u32).collect();
                let mut first: Vec<u32> =
                    (0..n).map(|_| origin + (rng.next() % (len - taps + 1) as u64) as u32).collect();
                first.sort();
                if let Some(last) = first.last_mut() {
                    *last = origin + (len - taps) as u32;
                }
                let weights: Vec<u32> =
                    (0..n * taps).map(|_| (rng.next() % (1 << 14) as u64) as u32 / taps as u32).collect();
                let row = TapsRow::new(&first, &weights, taps, origin, len).unwrap();
                assert!(TapsRow::new(&first, &weights, taps, origin, len - 1).is_none() || n == 0);
                let (mut want, mut got) = (vec![0u8; n], vec![1u8; n]);
                (scalar::KERNELS.taps_row)(&row, &sums, &mut want);
                (k.taps_row)(&row, &sums, &mut got);
                assert_eq!(got, want, "taps_row {} taps {taps} n {n}", k.level.name());
                let src: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let (mut want, mut got) = (sums.clone(), sums.clone());
                (scalar::KERNELS.weigh_row)(&mut want, &src, 16384);
                (k.weigh_row)(&mut got, &src, 16384);
                assert_eq!(got, want, "weigh_row {} len {len}", k.level.name());
            }
        }
    }

    #[test]
    fn level_names_round_trip() {
        for l in [CpuLevel::Scalar, CpuLevel::Avx2, CpuLevel::Avx512, CpuLevel::Neon] {
            assert_eq!(CpuLevel::parse(l.name()), Some(l));
        }
        assert_eq!(CpuLevel::parse("sse9"), None);
    }

    #[test]
    fn active_level_respects_the_environment_variable() {
        // The variable is read once per process; whatever it says, the active level must be one
        // this CPU has and never above what was asked for.
        let active = active().level;
        assert!(available().iter().any(|k| k.level == active));
        if let Some(forced) = std::env::var("VIDKOMPY_CPU_LEVEL").ok().and_then(|v| CpuLevel::parse(&v)) {
            assert!(active <= forced);
        }
    }
}
