//! x86_64 levels: AVX2 (+POPCNT) and AVX-512 (F + BW).
//!
//! Popcount uses the nibble lookup (`pshufb`) and `psadbw`, whose per-64-bit-lane sums are exactly
//! one popcount per u64, so no VPOPCNTDQ is needed. Thumb SAD flips the sign bit (x ^ 0x80) to turn
//! i8 into biased u8, which keeps |a - b| unchanged, then uses `psadbw`.
//!
//! Safety: the `#[target_feature]` functions may only run on CPUs that have the features. They are
//! reached only through the `Kernels` tables below, and `available()` hands out a table only after
//! `is_x86_feature_detected!` confirmed its features. Loads are unaligned (`loadu`) from indices
//! bounded by the slice lengths.

use std::arch::x86_64::*;

use super::{CpuLevel, Kernels, TAPS_ROUND, TAPS_SHIFT, THUMB_BYTES, TapsRow, Thumb};

static AVX2: Kernels = Kernels {
    level: CpuLevel::Avx2,
    accumulate_row: |a, s, w| unsafe { accumulate_row_avx2(a, s, w) },
    hamming_row: |a, b, o| unsafe { hamming_row_avx2(a, b, o) },
    sad_thumb: |a, b| unsafe { sad_thumb_avx2(a, b) },
    dot_sum_sq: |a, b| unsafe { dot_sum_sq_avx2(a, b) },
    weigh_row: |a, s, w| unsafe { weigh_row_avx2(a, s, w) },
    taps_row: |r, s, o| unsafe { taps_row_avx2(r, s, o) },
};

static AVX512: Kernels = Kernels {
    level: CpuLevel::Avx512,
    accumulate_row: |a, s, w| unsafe { accumulate_row_avx512(a, s, w) },
    hamming_row: |a, b, o| unsafe { hamming_row_avx512(a, b, o) },
    sad_thumb: |a, b| unsafe { sad_thumb_avx512(a, b) },
    dot_sum_sq: |a, b| unsafe { dot_sum_sq_avx2(a, b) },
    weigh_row: |a, s, w| unsafe { weigh_row_avx2(a, s, w) },
    taps_row: |r, s, o| unsafe { taps_row_avx2(r, s, o) },
};

pub fn available() -> Vec<&'static Kernels> {
    let mut levels = Vec::new();
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt") {
        levels.push(&AVX2);
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
            levels.push(&AVX512);
        }
    }
    levels
}

/// The scalar loop compiled for AVX2: the compiler vectorizes it; mul and add stay separate
/// (Rust never contracts them into FMA), so results equal the scalar level bit for bit.
#[target_feature(enable = "avx2")]
fn accumulate_row_avx2(acc: &mut [f32], src: &[u8], weight: f32) {
    super::scalar::accumulate_row(acc, src, weight)
}

/// The scalar reference's eight lanes in one register each: lane k adds the products of
/// elements k, k + 8, ... in the same order, multiplied then added (no FMA), and the lanes are
/// folded as the reference folds them, so the sums are bit-identical. The compiler did not
/// turn the reference into this: it built each register from single loads and spilled.
#[target_feature(enable = "avx2")]
fn dot_sum_sq_avx2(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    assert_eq!(a.len(), b.len());
    let whole = a.len() / 8 * 8;
    let (mut d, mut s1, mut s2) = (_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps());
    for k in (0..whole).step_by(8) {
        // SAFETY: `k + 8 <= whole <= a.len() == b.len()`: both loads read within the slices.
        let (va, vb) = unsafe { (_mm256_loadu_ps(a.as_ptr().add(k)), _mm256_loadu_ps(b.as_ptr().add(k))) };
        d = _mm256_add_ps(d, _mm256_mul_ps(va, vb));
        s1 = _mm256_add_ps(s1, va);
        s2 = _mm256_add_ps(s2, _mm256_mul_ps(va, va));
    }
    let lanes = |v: __m256| {
        let mut out = [0f32; 8];
        // SAFETY: `out` holds eight f32, the 32 bytes stored.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) };
        out
    };
    let (mut td, mut t1, mut t2) = (0f32, 0f32, 0f32);
    for (x, y) in a[whole..].iter().zip(&b[whole..]) {
        td += x * y;
        t1 += x;
        t2 += x * x;
    }
    let fold = |v: __m256| super::scalar::fold_lanes(lanes(v));
    (fold(d) + td, fold(s1) + t1, fold(s2) + t2)
}

/// The scalar loop compiled for AVX2 (`vpmulld` on eight lanes; integers, so exact).
#[target_feature(enable = "avx2")]
fn weigh_row_avx2(acc: &mut [u32], src: &[u8], weight: u32) {
    super::scalar::weigh_row(acc, src, weight)
}

/// Eight outputs at a time: each tap's sums gathered at the outputs' first index plus the tap,
/// multiplied by the tap's weights (contiguous, tap-major) and added; then shifted, capped at
/// 255 and packed to bytes. The tail runs the scalar loop.
#[target_feature(enable = "avx2")]
fn taps_row_avx2(row: &TapsRow<'_>, sums: &[u32], out: &mut [u8]) {
    let n = row.first.len();
    assert_eq!(out.len(), n);
    // Every gathered index in bounds: `TapsRow::new` checked each against `sums_len`.
    assert!(sums.len() >= row.sums_len);
    let (round, cap, origin) =
        (_mm256_set1_epi32(TAPS_ROUND as i32), _mm256_set1_epi32(255), _mm256_set1_epi32(row.origin as i32));
    let whole = n / 8 * 8;
    for k in (0..whole).step_by(8) {
        // SAFETY: `k + 8 <= n`, so the loads of `first` and of each tap's weights (`taps * n`
        // of them, checked by `TapsRow::new`) read within their slices; each gathered lane
        // reads `sums[first - origin + t]`, `t < taps`, below `sums_len <= sums.len()`
        // (`TapsRow::new` and the check above); the two 4-byte stores write `out[k..k + 8]`.
        unsafe {
            let index = _mm256_sub_epi32(_mm256_loadu_si256(row.first.as_ptr().add(k).cast()), origin);
            let mut acc = round;
            for t in 0..row.taps {
                let at = _mm256_add_epi32(index, _mm256_set1_epi32(t as i32));
                let values = _mm256_i32gather_epi32::<4>(sums.as_ptr().cast(), at);
                let weights = _mm256_loadu_si256(row.weights.as_ptr().add(t * n + k).cast());
                acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(values, weights));
            }
            let bytes = _mm256_min_epu32(_mm256_srli_epi32::<{ TAPS_SHIFT as i32 }>(acc), cap);
            let words = _mm256_packus_epi32(bytes, bytes);
            let packed = _mm256_packus_epi16(words, words);
            let (low, high) = (_mm256_castsi256_si128(packed), _mm256_extracti128_si256::<1>(packed));
            out.as_mut_ptr().add(k).cast::<i32>().write_unaligned(_mm_cvtsi128_si32(low));
            out.as_mut_ptr().add(k + 4).cast::<i32>().write_unaligned(_mm_cvtsi128_si32(high));
        }
    }
    super::scalar::taps_any(row, sums, out, whole);
}

#[target_feature(enable = "avx2")]
fn popcount_lanes_avx2(v: __m256i) -> __m256i {
    let lut = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let lo = _mm256_and_si256(v, low);
    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low);
    let counts = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
    _mm256_sad_epu8(counts, _mm256_setzero_si256())
}

#[target_feature(enable = "avx2,popcnt")]
fn hamming_row_avx2(a: u64, b: &[u64], out: &mut [u32]) {
    assert_eq!(b.len(), out.len());
    let av = _mm256_set1_epi64x(a as i64);
    let pick_low_dwords = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
    let mut bc = b.chunks_exact(4);
    let mut oc = out.chunks_exact_mut(4);
    for (bi, oi) in (&mut bc).zip(&mut oc) {
        // SAFETY: `bi` is 4 readable u64 (32 bytes), `oi` 4 writable u32 (16 bytes).
        unsafe {
            let x = _mm256_xor_si256(_mm256_loadu_si256(bi.as_ptr().cast()), av);
            let counts = _mm256_permutevar8x32_epi32(popcount_lanes_avx2(x), pick_low_dwords);
            _mm_storeu_si128(oi.as_mut_ptr().cast(), _mm256_castsi256_si128(counts));
        }
    }
    for (o, &x) in oc.into_remainder().iter_mut().zip(bc.remainder()) {
        *o = (a ^ x).count_ones();
    }
}

#[target_feature(enable = "avx2")]
fn sad_thumb_avx2(a: &Thumb, b: &Thumb) -> u32 {
    let flip = _mm256_set1_epi8(i8::MIN);
    let mut acc = _mm256_setzero_si256();
    for i in (0..THUMB_BYTES).step_by(32) {
        // SAFETY: i + 32 <= 256 = the length of both arrays.
        let (x, y) =
            unsafe { (_mm256_loadu_si256(a.as_ptr().add(i).cast()), _mm256_loadu_si256(b.as_ptr().add(i).cast())) };
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_xor_si256(x, flip), _mm256_xor_si256(y, flip)));
    }
    let mut lanes = [0u64; 4];
    // SAFETY: `lanes` is 32 writable bytes.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc) };
    lanes.iter().sum::<u64>() as u32
}

#[target_feature(enable = "avx512f,avx512bw")]
fn accumulate_row_avx512(acc: &mut [f32], src: &[u8], weight: f32) {
    super::scalar::accumulate_row(acc, src, weight)
}

#[target_feature(enable = "avx512f,avx512bw,popcnt")]
fn hamming_row_avx512(a: u64, b: &[u64], out: &mut [u32]) {
    assert_eq!(b.len(), out.len());
    let av = _mm512_set1_epi64(a as i64);
    let lut = _mm512_set4_epi32(0x04030302, 0x03020201, 0x03020201, 0x02010100);
    let low = _mm512_set1_epi8(0x0f);
    let mut bc = b.chunks_exact(8);
    let mut oc = out.chunks_exact_mut(8);
    for (bi, oi) in (&mut bc).zip(&mut oc) {
        // SAFETY: `bi` is 8 readable u64 (64 bytes), `oi` 8 writable u32 (32 bytes).
        unsafe {
            let x = _mm512_xor_si512(_mm512_loadu_si512(bi.as_ptr().cast()), av);
            let lo = _mm512_and_si512(x, low);
            let hi = _mm512_and_si512(_mm512_srli_epi16::<4>(x), low);
            let counts = _mm512_add_epi8(_mm512_shuffle_epi8(lut, lo), _mm512_shuffle_epi8(lut, hi));
            let lanes = _mm512_sad_epu8(counts, _mm512_setzero_si512());
            _mm256_storeu_si256(oi.as_mut_ptr().cast(), _mm512_cvtepi64_epi32(lanes));
        }
    }
    for (o, &x) in oc.into_remainder().iter_mut().zip(bc.remainder()) {
        *o = (a ^ x).count_ones();
    }
}

#[target_feature(enable = "avx512f,avx512bw")]
fn sad_thumb_avx512(a: &Thumb, b: &Thumb) -> u32 {
    let flip = _mm512_set1_epi8(i8::MIN);
    let mut acc = _mm512_setzero_si512();
    for i in (0..THUMB_BYTES).step_by(64) {
        // SAFETY: i + 64 <= 256 = the length of both arrays.
        let (x, y) =
            unsafe { (_mm512_loadu_si512(a.as_ptr().add(i).cast()), _mm512_loadu_si512(b.as_ptr().add(i).cast())) };
        acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(x, flip), _mm512_xor_si512(y, flip)));
    }
    _mm512_reduce_add_epi64(acc) as u32
}
