//! Placement of a 1280×720 fg in a 1920×1080 bg on one core: with the default settings (scale
//! searched; target: at most 1.3× the scale-1 search), with scale 1 pinned (target: < 15 ms),
//! and of a fg shrunk to 0.75 (the scale search's whole path).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vidkompy::Settings;
use vidkompy::spatial::locate;
use vidkompy::synth::{PairSpec, SyntheticPair};

fn spatial(c: &mut Criterion) {
    let spec = PairSpec::placement_bench();
    let pair = SyntheticPair::new(spec.clone());
    let (fg, bg) = (pair.fg_frame(3), pair.bg_frame(3));
    let settings = Settings::default();
    let p = locate(&[fg.as_frame()], &[bg.as_frame()], &settings).unwrap();
    assert_eq!((p.x, p.y), (311, 173), "{p:?}");
    let mut group = c.benchmark_group("spatial");
    group.sample_size(20);
    group.bench_function("locate_720p_in_1080p_default", |b| {
        b.iter(|| black_box(locate(&[fg.as_frame()], &[bg.as_frame()], &settings).unwrap()))
    });
    let pinned = Settings { scale_search: false, ..Settings::default() };
    group.bench_function("locate_720p_in_1080p_scale_1", |b| {
        b.iter(|| black_box(locate(&[fg.as_frame()], &[bg.as_frame()], &pinned).unwrap()))
    });
    let shrunk = SyntheticPair::new(PairSpec { scale: 0.75, ..spec.clone() });
    let (sfg, sbg) = (shrunk.fg_frame(3), shrunk.bg_frame(3));
    let p = locate(&[sfg.as_frame()], &[sbg.as_frame()], &settings).unwrap();
    assert_eq!((p.x, p.y, p.width), (311, 173, 960), "{p:?}");
    group.bench_function("locate_720p_at_0.75_in_1080p_default", |b| {
        b.iter(|| black_box(locate(&[sfg.as_frame()], &[sbg.as_frame()], &settings).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, spatial);
criterion_main!(benches);
