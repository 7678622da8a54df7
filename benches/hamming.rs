//! Hamming rows, thumb SAD and the placement's row sums (`dot_sum_sq`, a 1280-pixel template
//! row) at every CPU level this machine has (target: ≥ 2·10⁹ Hamming pairs/s per core).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vidkompy::kernels;

fn hamming(c: &mut Criterion) {
    let n = 108_000;
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let row: Vec<u64> = (0..n).map(|_| next()).collect();
    let mut out = vec![0u32; n];
    let a: kernels::Thumb = std::array::from_fn(|i| (i as i8).wrapping_mul(37));
    let b: kernels::Thumb = std::array::from_fn(|i| (i as i8).wrapping_mul(59));
    let pixels: Vec<f32> = (0..1280).map(|i| ((i * 37) % 256) as f32).collect();
    let template: Vec<f32> = (0..1280).map(|i| ((i * 59) % 201) as f32 - 100.0).collect();
    let mut group = c.benchmark_group("kernels");
    for k in kernels::available() {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("hamming_row_108k/{}", k.level.name()), |bench| {
            bench.iter(|| (k.hamming_row)(black_box(0xdead_beef_cafe_f00d), black_box(&row), &mut out))
        });
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("sad_thumb/{}", k.level.name()), |bench| {
            bench.iter(|| black_box((k.sad_thumb)(black_box(&a), black_box(&b))))
        });
        group.throughput(Throughput::Elements(pixels.len() as u64));
        group.bench_function(format!("dot_sum_sq_1280/{}", k.level.name()), |bench| {
            bench.iter(|| black_box((k.dot_sum_sq)(black_box(&pixels), black_box(&template))))
        });
    }
    group.finish();
}

criterion_group!(benches, hamming);
criterion_main!(benches);
