//! The reference implementations. Every SIMD level must give exactly these results.

use super::{CpuLevel, Kernels, Thumb};

pub static KERNELS: Kernels = Kernels {
    level: CpuLevel::Scalar,
    sum_u8,
    hamming_row,
    sad_thumb,
};

pub fn sum_u8(bytes: &[u8]) -> u32 {
    bytes.iter().map(|&b| b as u32).sum()
}

pub fn hamming_row(a: u64, b: &[u64], out: &mut [u32]) {
    assert_eq!(b.len(), out.len());
    for (o, &x) in out.iter_mut().zip(b) {
        *o = (a ^ x).count_ones();
    }
}

pub fn sad_thumb(a: &Thumb, b: &Thumb) -> u32 {
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs())
        .sum()
}
