//! No heap allocation per frame once the first frame of each stream has been seen: a counting
//! global allocator watches push/send/receive over a few hundred frames. The same allocator
//! records the largest single allocation, so hostile sizes (a Y4M header declaring a huge
//! picture, a saved alignment with a huge placement) are shown to cost memory only in
//! proportion to real data.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use vidkompy::session::analyzer::FrameProvider;
use vidkompy::session::{Analyzer, Compositor, Received, Stream};
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, Settings};

struct Counting;

thread_local! {
    static COUNT: Cell<Option<usize>> = const { Cell::new(None) };
    static LARGEST: Cell<Option<usize>> = const { Cell::new(None) };
    /// Bytes live on this thread, and their peak (while watched).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<Option<isize>> = const { Cell::new(None) };
}

fn note_size(size: usize) {
    let _ = LARGEST.try_with(|c| c.set(c.get().map(|n| n.max(size))));
}

fn note_live(delta: isize) {
    let live = LIVE.try_with(|l| {
        l.set(l.get() + delta);
        l.get()
    });
    if let Ok(live) = live {
        let _ = PEAK.try_with(|p| p.set(p.get().map(|n| n.max(live))));
    }
}

// SAFETY: forwards to the system allocator; the thread-local counter is a const-initialized
// Cell, which neither allocates nor recurses into the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get().map(|n| n + 1)));
        note_size(layout.size());
        note_live(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_live(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get().map(|n| n + 1)));
        note_size(new_size);
        note_live(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(Some(0)));
    f();
    COUNT.with(|c| c.replace(None)).unwrap_or(0)
}

/// The largest single allocation `f` makes on this thread.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|c| c.set(Some(0)));
    f();
    LARGEST.with(|c| c.replace(None)).unwrap_or(0)
}

/// The most bytes `f` had allocated at once on this thread, beyond what was live before.
fn peak_bytes(f: impl FnOnce()) -> usize {
    let before = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(Some(before)));
    f();
    (PEAK.with(|p| p.replace(None)).unwrap_or(before) - before).max(0) as usize
}

#[test]
fn placement_on_large_frames_stays_within_the_pyramid_budget() {
    // 4K bg samples: only levels up to about 2 Mpx are kept for every sample; the chosen pair
    // alone is searched at full resolution. Holding every sample's full-resolution level (as
    // f32) would need 8 × 33 MB.
    let (bw, bh, fw, fh) = (3840u32, 2160u32, 1920u32, 1080u32);
    let texture = |x: u32, y: u32| -> u8 {
        let h = (x / 3).wrapping_mul(0x9E37_79B1) ^ (y / 3).wrapping_mul(0x85EB_CA77);
        (h >> 24) as u8 / 2 + ((x / 40 + y / 40) % 2) as u8 * 100
    };
    let bg: Vec<FrameBuf> = (0..8)
        .map(|t| {
            let mut f = FrameBuf::new(vidkompy::PixelFormat::Gray8, bw, bh).unwrap();
            for y in 0..bh {
                for (x, v) in f.row_mut(0, y as usize).iter_mut().enumerate() {
                    *v = texture(x as u32 + 7 * t, y);
                }
            }
            f
        })
        .collect();
    let mut fg = FrameBuf::new(vidkompy::PixelFormat::Gray8, fw, fh).unwrap();
    for y in 0..fh {
        for (x, v) in fg.row_mut(0, y as usize).iter_mut().enumerate() {
            *v = texture(x as u32 + 1000 + 21, y + 500);
        }
    }
    let fg_frames = [fg.as_frame()];
    let bg_frames: Vec<_> = bg.iter().map(|f| f.as_frame()).collect();
    let mut found = None;
    let peak = peak_bytes(|| found = Some(vidkompy::spatial::locate(&fg_frames, &bg_frames, &Settings::default())));
    let p = found.unwrap().unwrap();
    // bg sample t shows fg at (1000 + 7 (3 - t), 500): the picture pans 7 px a frame.
    assert!(p.y == 500 && (p.x - 1000) % 7 == 0 && (979..=1021).contains(&p.x), "{p:?}");
    let full_levels = 8 * bw as usize * bh as usize * 4;
    assert!(peak < full_levels / 2, "placement peaked at {} MB", peak >> 20);
}

/// A panning 1080p Gray8 bg (7 px right, 3 down per frame over a hashed texture, and a wide
/// bright band sweeping across the screen, which no pan can imitate) and fg = a 1280x720 crop at (311, 173) of bg frame `i + 20`: cheap to make at full size,
/// unambiguous in place and time.
fn panning_pair(bg_frames: usize, fg_frames: usize) -> (Vec<FrameBuf>, Vec<FrameBuf>) {
    let picture = |x: u32, y: u32, t: u32| -> u8 {
        let (wx, wy) = (x + 7 * t, y + 3 * t);
        // Hashed blocks of three sizes: detail at every scale, no period.
        let noise = |s: u32| ((wx / s).wrapping_mul(0x9E37_79B1) ^ (wy / s).wrapping_mul(0x85EB_CA77)) >> 26;
        let v = (noise(3) + 2 * noise(17) + 3 * noise(61)) as u8;
        let band = (x + y / 2) as i64 - 19 * t as i64;
        if (0..160).contains(&band) { v / 3 + 150 } else { v }
    };
    let frame = |w: u32, h: u32, x0: u32, y0: u32, t: usize| {
        let mut f = FrameBuf::new(vidkompy::PixelFormat::Gray8, w, h).unwrap();
        for y in 0..h {
            for (x, v) in f.row_mut(0, y as usize).iter_mut().enumerate() {
                *v = picture(x as u32 + x0, y + y0, t as u32);
            }
        }
        (f.pts, f.time_base) = (t as i64, vidkompy::TimeBase::new(1, 25));
        f
    };
    let bg = (0..bg_frames).map(|j| frame(1920, 1080, 0, 0, j)).collect();
    let fg = (0..fg_frames)
        .map(|i| {
            let mut f = frame(1280, 720, 311, 173, i + 20);
            f.pts = i as i64;
            f
        })
        .collect();
    (fg, bg)
}

/// The analyzer's memory is bounded whatever the push order: 1080p bg pushed whole before a
/// 720p fg, and the other way round, without a placement. Holding bg's frames would take
/// 100 x 2 MB; the analyzer keeps small copies within its 48 MiB budget, so its peak
/// (placement search, the check on full-size frames the host provides, and descriptors
/// included) stays under 64 MiB plus the descriptors.
#[test]
fn analysis_memory_is_bounded_in_either_push_order() {
    let (fg, bg) = panning_pair(100, 60);
    let (fg, bg) = (std::sync::Arc::new(fg), std::sync::Arc::new(bg));
    let descriptors = (fg.len() + bg.len()) * 300;
    for bg_first in [true, false] {
        let mut result = None;
        let peak = peak_bytes(|| {
            let mut a = Analyzer::new(Settings::default());
            // A host that keeps its frames: the copies it gives count against the peak.
            let (fg_kept, bg_kept) = (std::sync::Arc::clone(&fg), std::sync::Arc::clone(&bg));
            let provider: Box<dyn FrameProvider> = Box::new(move |stream: Stream, k: usize| {
                let frames = if stream == Stream::Fg { &fg_kept } else { &bg_kept };
                frames.get(k).cloned()
            });
            a.set_frame_provider(Some(provider));
            let mut push_all = |stream: Stream, frames: &[FrameBuf]| {
                for f in frames {
                    a.push(stream, Some(&f.as_frame())).unwrap();
                }
            };
            if bg_first {
                push_all(Stream::Bg, &bg);
                push_all(Stream::Fg, &fg);
            } else {
                push_all(Stream::Fg, &fg);
                push_all(Stream::Bg, &bg);
            }
            result = Some(a.finish());
        });
        let alignment = result.unwrap().unwrap();
        let p = alignment.placement;
        assert_eq!((p.x, p.y, p.scale), (311, 173, 1.0), "bg first {bg_first}: {p:?}");
        let exact = (0..fg.len()).filter(|&i| alignment.time.map[i] as usize == i + 20).count();
        assert_eq!(exact, fg.len(), "bg first {bg_first}");
        println!("bg first {bg_first}: peak {:.1} MiB", peak as f64 / (1 << 20) as f64);
        assert!(peak <= (64 << 20) + descriptors, "bg first {bg_first}: peak {} MiB", peak >> 20);
    }
}

#[test]
fn a_y4m_header_alone_allocates_no_frame() {
    // 41 bytes declaring 16384x16384 (a 384 MiB frame), then a few bytes of "frame".
    let mut bytes = b"YUV4MPEG2 W16384 H16384 F25:1 C420jpeg\n".to_vec();
    bytes.extend_from_slice(b"FRAME\n0123456789");
    let largest = largest_allocation(|| {
        let mut reader = vidkompy::io::y4m::Y4mReader::new(&bytes[..]).unwrap();
        let e = reader.read_frame().unwrap_err().to_string();
        assert!(e.contains("truncated: got 10 of 402653184 bytes"), "{e}");
    });
    assert!(largest <= 2 << 20, "largest allocation {largest} bytes");
}

#[test]
fn a_huge_saved_placement_allocates_for_the_visible_area() {
    // An 8x8 content at scale 64 is a 512x512 paste, and its corner may lie far outside bg:
    // only the part inside the 8x8 bg frame is scaled.
    let json = r#"{"placement": {"x": -100, "y": -200, "width": 512, "height": 512, "scale": 64, "confidence": 1,
                   "content": [0, 0, 8, 8]},
                   "temporal": {"fg_frames": 1, "bg_frames": 1, "map": [0], "outside": [], "confidence": 1}}"#;
    let alignment = vidkompy::alignment::Alignment::from_json(json).unwrap();
    let frame = FrameBuf::new(vidkompy::PixelFormat::I420, 8, 8).unwrap();
    let mut compositor = Compositor::new(alignment, &Settings { feather: 3, ..Settings::default() }).unwrap();
    compositor.send(Stream::Fg, Some(&frame.as_frame())).unwrap();
    compositor.send(Stream::Bg, Some(&frame.as_frame())).unwrap();
    let largest = largest_allocation(|| assert!(matches!(compositor.receive().unwrap(), Received::Frame(_))));
    assert!(largest < 4096, "largest allocation {largest} bytes for an 8x8 frame");
}

#[test]
fn steady_state_allocates_nothing_per_frame() {
    let spec = PairSpec { bg_frames: 330, fg_frames: 300, fg_start: 0.4, ..PairSpec::default() };
    let pair = SyntheticPair::new(spec.clone());
    let fg: Vec<FrameBuf> = (0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect();
    let bg: Vec<FrameBuf> = (0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect();

    // Pass 1 with a given placement: after the first frames, only the descriptor tracks grow,
    // by doubling (amortized, not per frame).
    let mut analyzer = Analyzer::new(Settings::default());
    let placement = vidkompy::spatial::Placement {
        x: spec.x as i32,
        y: spec.y as i32,
        width: spec.fg_width,
        height: spec.fg_height,
        scale: 1.0,
        confidence: 1.0,
        content: vidkompy::Rect::full(spec.fg_width, spec.fg_height),
        x_subpixel: spec.x,
        y_subpixel: spec.y,
    };
    analyzer.set_placement(placement).unwrap();
    for k in 0..10 {
        analyzer.push(Stream::Bg, Some(&bg[k].as_frame())).unwrap();
        analyzer.push(Stream::Fg, Some(&fg[k].as_frame())).unwrap();
    }
    let pushes = allocations(|| {
        for k in 10..300 {
            analyzer.push(Stream::Bg, Some(&bg[k].as_frame())).unwrap();
            analyzer.push(Stream::Fg, Some(&fg[k].as_frame())).unwrap();
        }
    });
    // Four vectors per stream (a descriptor's hash, thumb and time, the pts the frame provider
    // is told), each doubling from 16 to 512 entries: at most 8 · 6 growths.
    assert!(pushes <= 48, "{pushes} allocations over 580 pushes");
    for f in &bg[300..] {
        analyzer.push(Stream::Bg, Some(&f.as_frame())).unwrap();
    }
    let alignment = analyzer.finish().unwrap();

    // Pass 2: after the first output frame, send/receive allocate nothing at all.
    let mut compositor = Compositor::new(alignment, &Settings { feather: 4, ..Settings::default() }).unwrap();
    let (mut i, mut j, mut out) = (0usize, 0usize, 0usize);
    let mut counting = false;
    loop {
        if out == 2 && !counting {
            COUNT.with(|c| c.set(Some(0)));
            counting = true;
        }
        match compositor.receive().unwrap() {
            Received::Frame(_) => out += 1,
            Received::Again(Stream::Fg) => {
                compositor.send(Stream::Fg, fg.get(i).map(|f| f.as_frame()).as_ref()).unwrap();
                i += 1;
            }
            Received::Again(Stream::Bg) => {
                compositor.send(Stream::Bg, bg.get(j).map(|f| f.as_frame()).as_ref()).unwrap();
                j += 1;
            }
            Received::Eof => break,
        }
    }
    let n = COUNT.with(|c| c.replace(None)).unwrap_or(0);
    assert_eq!(out, spec.fg_frames);
    assert_eq!(n, 0, "{n} allocations while compositing {} frames", spec.fg_frames - 2);
}

/// A scaled paste (shrunk by the area filter, enlarged bilinearly) reuses its tables and
/// planes: after the first frame, not one allocation.
#[test]
fn a_scaled_paste_allocates_nothing_after_the_first() {
    use vidkompy::compose::{ComposeScratch, PasteSpec, compose};
    let bg = FrameBuf::new(vidkompy::PixelFormat::I420, 320, 180).unwrap();
    let mut out = FrameBuf::new(vidkompy::PixelFormat::I420, 320, 180).unwrap();
    for (fw, fh) in [(256u32, 144u32), (96, 54)] {
        let fg = FrameBuf::new(vidkompy::PixelFormat::I420, fw, fh).unwrap();
        let spec = PasteSpec {
            content: vidkompy::Rect::full(fw, fh),
            x: 41,
            y: 23,
            width: 192,
            height: 108,
            feather: 3,
            matrix: vidkompy::ColorMatrix::Bt709,
        };
        let mut scratch = ComposeScratch::default();
        compose(&bg.as_frame(), &fg.as_frame(), &spec, &mut scratch, &mut out.as_frame_mut()).unwrap();
        let n = allocations(|| {
            for _ in 0..5 {
                compose(&bg.as_frame(), &fg.as_frame(), &spec, &mut scratch, &mut out.as_frame_mut()).unwrap();
            }
        });
        assert_eq!(n, 0, "{n} allocations in 5 pastes of {fw}x{fh} at 192x108");
    }
}

/// The live session in steady state reuses its picture buffers, its output, the window's time
/// map and the buffers it is computed in: over 100 frames, not one allocation, and no growth
/// of what it holds.
#[test]
fn live_steady_state_allocates_nothing() {
    let spec = PairSpec { bg_frames: 260, fg_frames: 200, fg_start: 0.4, ..PairSpec::default() };
    let pair = SyntheticPair::new(spec.clone());
    let fg: Vec<FrameBuf> = (0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect();
    let bg: Vec<FrameBuf> = (0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect();
    let mut live = vidkompy::session::Live::new(Settings { live_lag: 10, ..Settings::default() });
    let (mut i, mut j, mut out) = (0usize, 0usize, 0usize);
    let mut step = |live: &mut vidkompy::session::Live, out: &mut usize| match live.receive().unwrap() {
        Received::Frame(_) => *out += 1,
        Received::Again(stream) => {
            let (frames, k) = if stream == Stream::Fg { (&fg, &mut i) } else { (&bg, &mut j) };
            if live.send(stream, frames.get(*k).map(FrameBuf::as_frame).as_ref()).unwrap()
                == vidkompy::session::Sent::Accepted
            {
                *k += 1;
            }
        }
        Received::Eof => panic!("ended early"),
    };
    while out < 40 {
        step(&mut live, &mut out);
    }
    let held_before = live.held_bytes();
    let frame = bg[0].byte_size();
    let mut count = 0;
    let largest = largest_allocation(|| {
        count = allocations(|| {
            while out < 140 {
                step(&mut live, &mut out);
            }
        })
    });
    eprintln!("live: {count} allocations over 100 frames, largest {largest} bytes (a bg frame is {frame})");
    assert_eq!(count, 0, "{count} allocations over 100 frames, the largest {largest} bytes (a bg frame is {frame})");
    assert!(live.held_bytes() <= held_before + frame, "held {} bytes, was {held_before}", live.held_bytes());
}

/// A saved alignment is read within about its own size: a 40 MB map array ("1,1,1,...")
/// peaks under twice the text's size on top of the text (the text and the parse within three
/// times it), then is refused for its frame count; larger than the cap, it is refused unread.
#[test]
fn a_huge_saved_alignment_is_read_within_three_times_its_size() {
    let items = 20_000_000;
    let mut text = String::with_capacity(2 * items + 400);
    text.push_str(r#"{"placement": {"x": 0, "y": 0, "width": 8, "height": 8, "scale": 1, "confidence": 1, "content": [0, 0, 8, 8]}, "temporal": {"fg_frames": 1, "bg_frames": 1, "outside": [], "confidence": 1, "map": ["#);
    for k in 0..items {
        text.push_str(if k == 0 { "1" } else { ",1" });
    }
    text.push_str("]}}");
    let mut result = None;
    let peak = peak_bytes(|| result = Some(vidkompy::alignment::Alignment::from_json(&text)));
    let e = result.unwrap().unwrap_err().to_string();
    assert!(e.contains("map"), "{e}");
    println!("{} MB of JSON: {} MB at peak beyond it", text.len() >> 20, peak >> 20);
    // The map's 4 bytes an item are twice its 2 bytes of text; the rest of the tree is small.
    assert!(peak <= 2 * text.len() + (64 << 10), "{peak} bytes at peak for {} bytes of JSON", text.len());
    let dup = r#"{"format_version": 2, "format_version": 99, "placement": {}}"#;
    let e = vidkompy::alignment::Alignment::from_json(dup).unwrap_err().to_string();
    assert!(e.contains("duplicate key \"format_version\""), "{e}");
}
