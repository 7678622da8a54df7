//! Descriptors of a 1080p frame (target: ≥ 3000 frames/s per core), at every CPU level.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vidkompy::fingerprint::Fingerprinter;
use vidkompy::{FrameBuf, PixelFormat, Rect};

fn frame_1080p() -> FrameBuf {
    let mut f = FrameBuf::new(PixelFormat::I420, 1920, 1080).unwrap();
    for y in 0..1080 {
        for (x, p) in f.row_mut(0, y).iter_mut().enumerate() {
            *p = ((x * 7 + y * 13) ^ (x * y / 97)) as u8;
        }
    }
    f
}

fn descriptors(c: &mut Criterion) {
    let frame = frame_1080p();
    let rect = Rect::full(1920, 1080);
    let mut group = c.benchmark_group("descriptors");
    group.throughput(Throughput::Elements(1));
    let mut fp = Fingerprinter::new(1920, 1080);
    group.bench_function("1080p_full_frame", |b| b.iter(|| black_box(fp.compute(&frame.as_frame(), rect))));
    let mut fp720 = Fingerprinter::new(1280, 720);
    let inner = Rect::new(320, 180, 1280, 720);
    group.bench_function("720p_rect_of_1080p", |b| b.iter(|| black_box(fp720.compute(&frame.as_frame(), inner))));
    group.finish();
}

criterion_group!(benches, descriptors);
criterion_main!(benches);
