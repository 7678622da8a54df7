//! The whole time map (offset search + both DP passes) for a 1-hour 30 fps pair: 108 000 fg
//! frames inside a 110 000-frame bg (target: < 0.5 s); and the live session's window, which
//! it aligns again for every frame it composites (61 fg frames in 150 of bg).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vidkompy::Settings;
use vidkompy::kernels::Thumb;
use vidkompy::temporal::{AlignScratch, TimeMap, Track, align, align_into};

/// Descriptor tracks that drift like video: each frame changes a few hash bits and thumb
/// values from the previous one; fg is bg from frame `start` on, with noise.
fn tracks(fg_frames: usize, bg_frames: usize, start: usize) -> (Track, Track) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut bg = Track::with_capacity(bg_frames);
    let mut hash = next();
    let mut thumb: Thumb = std::array::from_fn(|i| (i as i32 - 128) as i8);
    for j in 0..bg_frames {
        hash ^= 1 << (next() % 64);
        for _ in 0..24 {
            let k = (next() % 256) as usize;
            thumb[k] = thumb[k].wrapping_add((next() % 9) as i8 - 4);
        }
        bg.hashes.push(hash);
        bg.thumbs.push(thumb);
        bg.seconds.push(j as f64 / 30.0);
    }
    let mut fg = Track::with_capacity(fg_frames);
    for i in 0..fg_frames {
        let j = i + start;
        let mut t = bg.thumbs[j];
        for _ in 0..8 {
            let k = (next() % 256) as usize;
            t[k] = t[k].saturating_add((next() % 5) as i8 - 2);
        }
        fg.hashes.push(bg.hashes[j] ^ if next() % 4 == 0 { 1 << (next() % 64) } else { 0 });
        fg.thumbs.push(t);
        fg.seconds.push(i as f64 / 30.0);
    }
    (fg, bg)
}

fn temporal(c: &mut Criterion) {
    let (fg, bg) = tracks(108_000, 110_000, 1500);
    let settings = Settings::default();
    let map = align(&fg, &bg, &settings).unwrap();
    let exact = map.map.iter().enumerate().filter(|&(i, &j)| j as usize == i + 1500).count();
    eprintln!("1-hour pair: {exact} of {} fg frames exact", fg.len());
    let mut group = c.benchmark_group("temporal");
    group.sample_size(10);
    group.bench_function("align_1h_30fps", |b| b.iter(|| black_box(align(&fg, &bg, &settings).unwrap())));
    let (fg, bg) = tracks(61, 150, 40);
    let (mut scratch, mut time) = (AlignScratch::default(), TimeMap::default());
    align_into(&fg, &bg, &settings, &mut scratch, &mut time).unwrap();
    assert!(time.map.iter().enumerate().all(|(i, &j)| j as usize == i + 40), "the window's map is exact");
    group.sample_size(100);
    group.bench_function("align_live_window_61_in_150", |b| {
        b.iter(|| align_into(&fg, &bg, &settings, &mut scratch, &mut time).unwrap())
    });
    group.finish();
}

criterion_group!(benches, temporal);
criterion_main!(benches);
