//! The live session's throughput on 1080p bg with a 720p fg (frames generated beforehand, so
//! decoding is excluded), one core: every fg frame composited over its bg frame, lock included.
//! Target: at least 60 fg frames per second. Two cases: the placement given (a host that knows
//! it), and searched at the start.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vidkompy::session::{Live, Received, Sent, Stream};
use vidkompy::spatial::Placement;
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, Rect, Settings};

const FRAMES: usize = 120;

/// Runs a session over the frames, sending what it asks for; the number of frames out.
fn run(live: &mut Live, fg: &[FrameBuf], bg: &[FrameBuf]) -> usize {
    let (mut i, mut j, mut out) = (0, 0, 0);
    loop {
        match live.receive().unwrap() {
            Received::Frame(_) => out += 1,
            Received::Again(stream) => {
                let (frames, k) = if stream == Stream::Fg { (fg, &mut i) } else { (bg, &mut j) };
                if live.send(stream, frames.get(*k).map(FrameBuf::as_frame).as_ref()).unwrap() == Sent::Accepted {
                    *k += 1;
                }
            }
            Received::Eof => return out,
        }
    }
}

fn live_1080p(c: &mut Criterion) {
    let spec = PairSpec { bg_frames: FRAMES + 20, fg_frames: FRAMES, fg_start: 0.2, ..PairSpec::placement_bench() };
    let pair = SyntheticPair::new(spec.clone());
    let fg: Vec<FrameBuf> = (0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect();
    let bg: Vec<FrameBuf> = (0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect();
    let given = Placement {
        x: 311,
        y: 173,
        width: 1280,
        height: 720,
        scale: 1.0,
        confidence: 1.0,
        content: Rect::full(1280, 720),
        x_subpixel: 311.0,
        y_subpixel: 173.0,
    };
    let mut group = c.benchmark_group("live");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.bench_function("1080p_bg_720p_fg_placement_given", |b| {
        b.iter(|| {
            let mut live = Live::new(Settings::default());
            live.set_placement(given).unwrap();
            assert_eq!(run(&mut live, &fg, &bg), FRAMES);
        })
    });
    group.bench_function("1080p_bg_720p_fg_placement_searched", |b| {
        b.iter(|| {
            let mut live = Live::new(Settings::default());
            assert_eq!(run(&mut live, &fg, &bg), FRAMES);
        })
    });
    group.finish();
}

criterion_group!(benches, live_1080p);
criterion_main!(benches);
