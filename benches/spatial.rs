//! Placement of a 1280×720 fg in a 1920×1080 bg on one core: with the default settings (scale
//! searched; target: at most 1.3× the scale-1 search), with scale 1 pinned (target: < 15 ms),
//! and of a fg shrunk to 0.75 (the scale search's whole path). Then the placement as every
//! host gets it: the analyzer finding it itself from 10 frames of each stream (copies kept,
//! searched, checked on matched pairs at full size through a provider), default against
//! scale 1 pinned. And the unit of the placement check on matched pairs: a 640×360 fg searched
//! within `NEAR_RADIUS` of its placement in a 720p frame (the check takes three pairs, each
//! with the bg frames either side: nine of these).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use vidkompy::session::analyzer::FrameProvider;
use vidkompy::session::placement_check::NEAR_RADIUS;
use vidkompy::session::{Analyzer, Stream};
use vidkompy::spatial::{locate, locate_near};
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, Settings};

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
    let small = SyntheticPair::new(PairSpec {
        bg_width: 1280,
        bg_height: 720,
        fg_width: 640,
        fg_height: 360,
        x: 320.0,
        y: 180.0,
        ..spec.clone()
    });
    let (nfg, nbg) = (small.fg_frame(3), small.bg_frame(3));
    let placed = locate(&[nfg.as_frame()], &[nbg.as_frame()], &settings).unwrap();
    let off = vidkompy::spatial::Placement { x: placed.x - 3, y: placed.y + 2, ..placed };
    let near = locate_near(&nfg.as_frame(), &nbg.as_frame(), &off, NEAR_RADIUS).unwrap();
    assert_eq!((near.x, near.y), (placed.x, placed.y), "{near:?}");
    group.bench_function("locate_near_640x360_in_720p_radius_8", |b| {
        b.iter(|| black_box(locate_near(&nfg.as_frame(), &nbg.as_frame(), &off, NEAR_RADIUS).unwrap()))
    });
    group.finish();
}

/// The analyzer's own placement and time map over 10 frames of each stream.
fn analyse(fg: &Arc<Vec<FrameBuf>>, bg: &Arc<Vec<FrameBuf>>, settings: &Settings) -> vidkompy::spatial::Placement {
    let mut a = Analyzer::new(settings.clone());
    let (fg_kept, bg_kept) = (Arc::clone(fg), Arc::clone(bg));
    let provider: Box<dyn FrameProvider> =
        Box::new(
            move |stream: Stream, k: usize| {
                if stream == Stream::Fg { fg_kept.get(k).cloned() } else { bg_kept.get(k).cloned() }
            },
        );
    a.set_frame_provider(Some(provider));
    for (f, b) in fg.iter().zip(bg.iter()) {
        a.push(Stream::Bg, Some(&b.as_frame())).unwrap();
        a.push(Stream::Fg, Some(&f.as_frame())).unwrap();
    }
    a.finish().unwrap().placement
}

fn analyzer_placement(c: &mut Criterion) {
    let spec = PairSpec::placement_bench();
    let pair = SyntheticPair::new(spec.clone());
    let fg: Arc<Vec<FrameBuf>> = Arc::new((0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect());
    let bg: Arc<Vec<FrameBuf>> = Arc::new((0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect());
    let settings = Settings::default();
    let p = analyse(&fg, &bg, &settings);
    assert_eq!((p.x, p.y, p.scale), (311, 173, 1.0), "{p:?}");
    let pinned = Settings { scale_search: false, ..Settings::default() };
    let mut group = c.benchmark_group("analyzer");
    group.sample_size(10);
    group.bench_function("place_720p_in_1080p_10_frames_default", |b| {
        b.iter(|| black_box(analyse(&fg, &bg, &settings)))
    });
    group.bench_function("place_720p_in_1080p_10_frames_scale_1", |b| b.iter(|| black_box(analyse(&fg, &bg, &pinned))));
    group.finish();
}

criterion_group!(benches, spatial, analyzer_placement);
criterion_main!(benches);
