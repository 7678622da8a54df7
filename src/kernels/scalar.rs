//! The reference implementations. Every SIMD level must give exactly these results.

use super::{CpuLevel, Kernels, Thumb};

pub static KERNELS: Kernels = Kernels { level: CpuLevel::Scalar, accumulate_row, hamming_row, sad_thumb };

/// Separate multiply and add (never fused), so every level rounds identically.
#[inline(always)]
pub fn accumulate_row(acc: &mut [f32], src: &[u8], weight: f32) {
    assert_eq!(acc.len(), src.len());
    for (a, &s) in acc.iter_mut().zip(src) {
        *a += weight * s as f32;
    }
}

pub fn hamming_row(a: u64, b: &[u64], out: &mut [u32]) {
    assert_eq!(b.len(), out.len());
    for (o, &x) in out.iter_mut().zip(b) {
        *o = (a ^ x).count_ones();
    }
}

pub fn sad_thumb(a: &Thumb, b: &Thumb) -> u32 {
    a.iter().zip(b.iter()).map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs()).sum()
}
