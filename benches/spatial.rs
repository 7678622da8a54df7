//! Placement of a 1280×720 fg in a 1920×1080 bg, full search on one core (target: < 15 ms),
//! and the same with scale search on.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vidkompy::Settings;
use vidkompy::spatial::locate;
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};

fn spatial(c: &mut Criterion) {
    let spec = PairSpec {
        bg_width: 1920,
        bg_height: 1080,
        fg_width: 1280,
        fg_height: 720,
        x: 311.0,
        y: 173.0,
        fg_start: 0.0,
        bg_frames: 10,
        fg_frames: 10,
        grade: Grade { brightness: 0.05, contrast: 1.1, gamma: 0.95 },
        ..PairSpec::default()
    };
    let pair = SyntheticPair::new(spec);
    let (fg, bg) = (pair.fg_frame(3), pair.bg_frame(3));
    let settings = Settings::default();
    let p = locate(&[fg.as_frame()], &[bg.as_frame()], &settings).unwrap();
    assert_eq!((p.x, p.y), (311, 173), "{p:?}");
    let mut group = c.benchmark_group("spatial");
    group.sample_size(20);
    group.bench_function("locate_720p_in_1080p", |b| {
        b.iter(|| black_box(locate(&[fg.as_frame()], &[bg.as_frame()], &settings).unwrap()))
    });
    let scaled = Settings { scale_search: true, ..Settings::default() };
    group.bench_function("locate_720p_in_1080p_scale_search", |b| {
        b.iter(|| black_box(locate(&[fg.as_frame()], &[bg.as_frame()], &scaled).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, spatial);
criterion_main!(benches);
