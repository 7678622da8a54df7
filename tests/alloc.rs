//! No heap allocation per frame once the first frame of each stream has been seen: a counting
//! global allocator watches push/send/receive over a few hundred frames. The same allocator
//! records the largest single allocation, so hostile sizes (a Y4M header declaring a huge
//! picture, a saved alignment with a huge placement) are shown to cost memory only in
//! proportion to real data.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

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

#[test]
fn placement_of_y4m_files_holds_only_the_samples() {
    // 500 frames of 320x180 (43 MB of picture in bg): placement samples 6 fg and 24 bg
    // frames, and must not hold the rest.
    let spec = vidkompy::synth::PairSpec { bg_frames: 500, fg_frames: 500, fg_start: 0.0, ..Default::default() };
    let pair = SyntheticPair::new(spec.clone());
    let dir = std::env::temp_dir().join(format!("vidkompy-alloc-y4m-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, w: u32, h: u32, frame: &dyn Fn(usize) -> FrameBuf| {
        let path = dir.join(name);
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut writer = vidkompy::io::y4m::Y4mWriter::new(file, vidkompy::PixelFormat::I420, w, h, 25, 1).unwrap();
        for k in 0..500 {
            writer.write_frame(&frame(k).as_frame()).unwrap();
        }
        writer.flush().unwrap();
        path
    };
    let bg = write("bg.y4m", spec.bg_width, spec.bg_height, &|j| pair.bg_frame(j));
    let fg = write("fg.y4m", spec.fg_width, spec.fg_height, &|i| pair.fg_frame(i));
    let whole_bg = std::fs::metadata(&bg).unwrap().len() as usize;
    let mut found = None;
    let peak = peak_bytes(|| found = Some(vidkompy::io::job::locate_files(&fg, &bg, &Settings::default())));
    let p = found.unwrap().unwrap();
    assert_eq!((p.x, p.y), (64, 36));
    assert!(peak < whole_bg / 2, "placement peaked at {} MB for a {} MB bg", peak >> 20, whole_bg >> 20);
    let _ = std::fs::remove_dir_all(&dir);
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
    // Three vectors per stream, each doubling from 16 to 512 entries: at most 6 · 6 growths.
    assert!(pushes <= 36, "{pushes} allocations over 580 pushes");
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
