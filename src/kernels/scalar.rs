//! The reference implementations. Every SIMD level must give exactly these results.

use super::{CpuLevel, Kernels, TAPS_ROUND, TAPS_SHIFT, TapsRow, Thumb};

pub static KERNELS: Kernels =
    Kernels { level: CpuLevel::Scalar, accumulate_row, hamming_row, sad_thumb, dot_sum_sq, weigh_row, taps_row };

#[inline(always)]
pub fn weigh_row(acc: &mut [u32], src: &[u8], weight: u32) {
    assert_eq!(acc.len(), src.len());
    for (a, &s) in acc.iter_mut().zip(src) {
        *a += weight * s as u32;
    }
}

/// With the tap count fixed for the common counts: loops the compiler unrolls.
pub fn taps_row(row: &TapsRow<'_>, sums: &[u32], out: &mut [u8]) {
    match row.taps {
        1 => taps_fixed::<1>(row, sums, out),
        2 => taps_fixed::<2>(row, sums, out),
        3 => taps_fixed::<3>(row, sums, out),
        4 => taps_fixed::<4>(row, sums, out),
        _ => taps_any(row, sums, out, 0),
    }
}

fn taps_fixed<const TAPS: usize>(row: &TapsRow<'_>, sums: &[u32], out: &mut [u8]) {
    let n = row.first.len();
    assert_eq!(out.len(), n);
    for (k, (o, &first)) in out.iter_mut().zip(row.first).enumerate() {
        let at = &sums[(first - row.origin) as usize..][..TAPS];
        let mut acc = TAPS_ROUND;
        for (t, &sum) in at.iter().enumerate() {
            acc += row.weights[t * n + k] * sum;
        }
        *o = (acc >> TAPS_SHIFT).min(255) as u8;
    }
}

/// Outputs `from..` of any tap count (also the SIMD levels' tail).
pub fn taps_any(row: &TapsRow<'_>, sums: &[u32], out: &mut [u8], from: usize) {
    let n = row.first.len();
    assert_eq!(out.len(), n);
    for k in from..n {
        let at = &sums[(row.first[k] - row.origin) as usize..][..row.taps];
        let acc = (0..row.taps).fold(TAPS_ROUND, |acc, t| acc + row.weights[t * n + k] * at[t]);
        out[k] = (acc >> TAPS_SHIFT).min(255) as u8;
    }
}

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

/// Eight independent accumulators per sum, combined in a fixed order: the compiler vectorizes
/// the lanes, and every level that compiles this same code rounds identically.
#[inline(always)]
pub fn dot_sum_sq(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    assert_eq!(a.len(), b.len());
    let (mut d, mut s1, mut s2) = ([0f32; 8], [0f32; 8], [0f32; 8]);
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for k in 0..8 {
            d[k] += xa[k] * xb[k];
            s1[k] += xa[k];
            s2[k] += xa[k] * xa[k];
        }
    }
    let (mut td, mut t1, mut t2) = (0f32, 0f32, 0f32);
    for (x, y) in ra.iter().zip(rb) {
        td += x * y;
        t1 += x;
        t2 += x * x;
    }
    (fold_lanes(d) + td, fold_lanes(s1) + t1, fold_lanes(s2) + t2)
}

/// The eight lanes of a sum added in the one order every level uses: a level that folds
/// otherwise rounds otherwise.
#[inline(always)]
pub fn fold_lanes(v: [f32; 8]) -> f32 {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}
