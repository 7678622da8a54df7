//! aarch64 NEON level. NEON is part of the aarch64 baseline, so it is always available.

use std::arch::aarch64::*;

use super::{CpuLevel, Kernels, THUMB_BYTES, Thumb};

static NEON: Kernels = Kernels {
    level: CpuLevel::Neon,
    accumulate_row: super::scalar::accumulate_row,
    hamming_row,
    sad_thumb,
    dot_sum_sq: super::scalar::dot_sum_sq,
    weigh_row: super::scalar::weigh_row,
    taps_row: super::scalar::taps_row,
};

pub fn available() -> Vec<&'static Kernels> {
    vec![&NEON]
}

fn hamming_row(a: u64, b: &[u64], out: &mut [u32]) {
    assert_eq!(b.len(), out.len());
    let mut bc = b.chunks_exact(2);
    let mut oc = out.chunks_exact_mut(2);
    for (bi, oi) in (&mut bc).zip(&mut oc) {
        // SAFETY: `bi` is 2 readable u64 (16 bytes); NEON is baseline on aarch64.
        let counts = unsafe {
            let x = veorq_u64(vld1q_u64(bi.as_ptr()), vdupq_n_u64(a));
            vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(vcntq_u8(vreinterpretq_u8_u64(x)))))
        };
        // SAFETY: reading lanes of a register value.
        unsafe {
            oi[0] = vgetq_lane_u64::<0>(counts) as u32;
            oi[1] = vgetq_lane_u64::<1>(counts) as u32;
        }
    }
    for (o, &x) in oc.into_remainder().iter_mut().zip(bc.remainder()) {
        *o = (a ^ x).count_ones();
    }
}

fn sad_thumb(a: &Thumb, b: &Thumb) -> u32 {
    let mut total = 0u32;
    for i in (0..THUMB_BYTES).step_by(16) {
        // SAFETY: i + 16 <= 256 = the length of both arrays; NEON is baseline on aarch64.
        total += unsafe {
            let x = vld1q_s8(a.as_ptr().add(i));
            let y = vld1q_s8(b.as_ptr().add(i));
            vaddlvq_u8(vreinterpretq_u8_s8(vabdq_s8(x, y))) as u32
        };
    }
    total
}
