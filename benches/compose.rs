//! Composing one 1080p I420 frame with a 720p fg (target: < 0.5 ms), random access against the
//! compositor, and the whole session (analyzer + compositor) on generated frames, in frames per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vidkompy::alignment::Alignment;
use vidkompy::compose::{ComposeScratch, PasteSpec, compose};
use vidkompy::session::{Analyzer, BufferedFrames, Compositor, Stream, composite_frame};
use vidkompy::spatial::Placement;
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::temporal::TimeMap;
use vidkompy::{ColorMatrix, FrameBuf, PixelFormat, Rect, Settings};

fn compose_1080p(c: &mut Criterion) {
    let (bg, fg) = (bg_of(1920, 1080), fg_of(1280, 720));
    let mut out = FrameBuf::new(PixelFormat::I420, 1920, 1080).unwrap();
    let mut scratch = ComposeScratch::default();
    let odd = paste(&fg, (311, 173), (1280, 720));
    let mut group = c.benchmark_group("compose");
    group.throughput(Throughput::Elements(1));
    // Even offsets: the row-copy path. Odd offsets: the general path (chroma re-sited).
    let even = PasteSpec { x: 312, y: 174, ..odd };
    group.bench_function("i420_720p_onto_1080p_even_offset", |b| {
        b.iter(|| {
            compose(black_box(&bg.as_frame()), &fg.as_frame(), &even, &mut scratch, &mut out.as_frame_mut()).unwrap()
        })
    });
    group.bench_function("i420_720p_onto_1080p_odd_offset", |b| {
        b.iter(|| {
            compose(black_box(&bg.as_frame()), &fg.as_frame(), &odd, &mut scratch, &mut out.as_frame_mut()).unwrap()
        })
    });
    group.finish();
}

/// All of `fg` pasted at `(x, y)` as `width × height` bg pixels, unfeathered.
fn paste(fg: &FrameBuf, (x, y): (i32, i32), (width, height): (u32, u32)) -> PasteSpec {
    let content = Rect::full(fg.width(), fg.height());
    PasteSpec { content, x, y, width, height, feather: 0, matrix: ColorMatrix::Bt709 }
}

/// An I420 frame whose luma is `pattern(x, y)`.
fn patterned(width: u32, height: u32, pattern: fn(usize, usize) -> usize) -> FrameBuf {
    let mut f = FrameBuf::new(PixelFormat::I420, width, height).unwrap();
    for y in 0..height as usize {
        f.row_mut(0, y).iter_mut().enumerate().for_each(|(x, p)| *p = pattern(x, y) as u8);
    }
    f
}

fn bg_of(width: u32, height: u32) -> FrameBuf {
    patterned(width, height, |x, y| x ^ y)
}

fn fg_of(width: u32, height: u32) -> FrameBuf {
    patterned(width, height, |x, y| x + y)
}

/// A scaled paste, 720p onto 720p (target: under 1 ms a frame): fg shrunk to 0.75 (the area
/// filter) and a 640x360 fg enlarged 1.5 times (bilinear), at odd offsets.
fn compose_scaled_720p(c: &mut Criterion) {
    let bg = bg_of(1280, 720);
    let (big, small) = (fg_of(1280, 720), fg_of(640, 360));
    let mut out = FrameBuf::new(PixelFormat::I420, 1280, 720).unwrap();
    let mut scratch = ComposeScratch::default();
    let mut group = c.benchmark_group("compose_scaled");
    group.throughput(Throughput::Elements(1));
    for (name, fg) in [("i420_720p_at_0_75_onto_720p", &big), ("i420_360p_at_1_5_onto_720p", &small)] {
        let spec = paste(fg, (161, 91), (960, 540));
        group.bench_function(name, |b| {
            b.iter(|| {
                compose(black_box(&bg.as_frame()), &fg.as_frame(), &spec, &mut scratch, &mut out.as_frame_mut())
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// An 8-bit 640x360 fg onto a 10-bit 720p bg (an HDR master under a graded crop) at an even
/// offset: fg's samples widened by row (`compose/copy.rs`); the general path took 3.3 ms.
fn compose_ten_bit_720p(c: &mut Criterion) {
    let bg = FrameBuf::new(PixelFormat::I420P10, 1280, 720).unwrap();
    let fg = fg_of(640, 360);
    let mut out = FrameBuf::new(PixelFormat::I420P10, 1280, 720).unwrap();
    let mut scratch = ComposeScratch::default();
    let spec = paste(&fg, (320, 180), (640, 360));
    let mut group = c.benchmark_group("compose_ten_bit");
    group.throughput(Throughput::Elements(1));
    group.bench_function("i420_360p_onto_i420p10_720p_even_offset", |b| {
        b.iter(|| {
            compose(black_box(&bg.as_frame()), &fg.as_frame(), &spec, &mut scratch, &mut out.as_frame_mut()).unwrap()
        })
    });
    group.finish();
}

fn session(c: &mut Criterion) {
    let spec = PairSpec { bg_frames: 130, fg_frames: 100, fg_start: 0.8, ..PairSpec::default() };
    let pair = SyntheticPair::new(spec.clone());
    let fg: Vec<FrameBuf> = (0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect();
    let bg: Vec<FrameBuf> = (0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect();
    let settings = Settings::default();
    let mut group = c.benchmark_group("session");
    group.sample_size(10);
    group.throughput(Throughput::Elements((spec.fg_frames + spec.bg_frames) as u64));
    group.bench_function("analyze_and_composite_320x180", |b| {
        b.iter(|| {
            let mut analyzer = Analyzer::new(settings.clone());
            for f in &bg {
                analyzer.push(Stream::Bg, Some(&f.as_frame())).unwrap();
            }
            for f in &fg {
                analyzer.push(Stream::Fg, Some(&f.as_frame())).unwrap();
            }
            let alignment = analyzer.finish().unwrap();
            let mut compositor = Compositor::new(alignment, &settings).unwrap();
            let (mut f, mut b) = (BufferedFrames::new(&fg), BufferedFrames::new(&bg));
            black_box(
                compositor
                    .run(&mut f, &mut b, |frame| {
                        black_box(frame.pts);
                        Ok(())
                    })
                    .unwrap(),
            );
        })
    });
    group.finish();
}

/// Random access (an editor rendering frame i on demand) against the compositor's per-frame
/// cost, 720p fg onto 1080p bg, general path (odd offset).
fn random_access(c: &mut Criterion) {
    const FRAMES: usize = 8;
    let bg = FrameBuf::new(PixelFormat::I420, 1920, 1080).unwrap();
    let mut fg = FrameBuf::new(PixelFormat::I420, 1280, 720).unwrap();
    for y in 0..720 {
        fg.row_mut(0, y).iter_mut().enumerate().for_each(|(x, p)| *p = (x + y) as u8);
    }
    let bgs = vec![bg; FRAMES];
    let fgs = vec![fg; FRAMES];
    let placement = Placement {
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
    let alignment = Alignment {
        placement,
        fg_frames: FRAMES,
        bg_frames: FRAMES,
        time: TimeMap {
            map: (0..FRAMES as u32).collect(),
            outside: vec![],
            cost: vec![0.0; FRAMES],
            confidence: vec![1.0; FRAMES],
            overall_confidence: 1.0,
            offset_seconds: 0.0,
            rate: 1.0,
        },
        media: None,
        placement_approximate: false,
    };
    let settings = Settings::default();
    let mut out = FrameBuf::new(PixelFormat::I420, 1920, 1080).unwrap();
    let mut group = c.benchmark_group("random_access");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.bench_function("composite_frame_720p_onto_1080p", |b| {
        b.iter(|| {
            for i in 0..FRAMES {
                composite_frame(
                    &alignment,
                    &settings,
                    i,
                    &fgs[i].as_frame(),
                    &bgs[i].as_frame(),
                    &mut out.as_frame_mut(),
                )
                .unwrap();
            }
        })
    });
    group.bench_function("compositor_720p_onto_1080p", |b| {
        b.iter(|| {
            let mut compositor = Compositor::new(alignment.clone(), &settings).unwrap();
            let (mut f, mut g) = (BufferedFrames::new(&fgs), BufferedFrames::new(&bgs));
            black_box(compositor.run(&mut f, &mut g, |frame| Ok(black_box(frame.pts)).map(|_| ())).unwrap());
        })
    });
    group.finish();
}

criterion_group!(benches, compose_1080p, compose_scaled_720p, compose_ten_bit_720p, session, random_access);
criterion_main!(benches);
