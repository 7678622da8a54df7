//! Hostile and careless input to the library, as fuzzers and hosts found it: each case is a
//! clear error (or a right answer), never a panic, an abort or unbounded memory.

use vidkompy::alignment::Alignment;
use vidkompy::io::y4m::Y4mReader;
use vidkompy::session::analyzer::{KEPT_BG_BYTES, KEPT_FG_BYTES, STORE_BUDGET};
use vidkompy::session::{Analyzer, Stream};
use vidkompy::spatial::Placement;
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::{Error, FrameBuf, FrameRef, PixelFormat, Rect, Settings, TimeBase};

fn json_with_placement(x: i64, width: u64, height: u64, scale: &str, content: [u64; 4]) -> String {
    format!(
        r#"{{"placement": {{"x": {x}, "y": 0, "width": {width}, "height": {height}, "scale": {scale}, "confidence": 0.9,
              "content": [{}, {}, {}, {}]}},
            "temporal": {{"fg_frames": 2, "bg_frames": 3, "map": [0, 1], "outside": [], "confidence": 0.8}}}}"#,
        content[0], content[1], content[2], content[3]
    )
}

#[test]
fn saved_alignments_are_checked_against_the_frame_limits() {
    let ok = json_with_placement(4, 8, 8, "1", [0, 0, 8, 8]);
    Alignment::from_json(&ok).unwrap();
    // A map that goes back in bg is an edit to earlier footage: two legs, not an error.
    let back = Alignment::from_json(&ok.replace("[0, 1]", "[1, 0]")).unwrap();
    assert_eq!(back.legs(), vec![0..1, 1..2]);
    let refused = [
        (json_with_placement(0, 1_000_000, 1_000_000, "1", [0, 0, 8, 8]), "size"),
        (json_with_placement(0, 100_000, 100_000, "1", [0, 0, 100_000, 100_000]), "largest frame"),
        (json_with_placement(0, 16000, 16000, "2000", [0, 0, 8, 8]), "scale"),
        (json_with_placement(0, 0, 0, "1", [0, 0, 0, 0]), "empty"),
        (json_with_placement(5_000_000, 8, 8, "1", [0, 0, 8, 8]), "corner"),
        (json_with_placement(0, 8, 8, "1e999", [0, 0, 8, 8]), "out of range"),
        (json_with_placement(0, 8, 8, "-1", [0, 0, 8, 8]), "scale"),
        (ok.replace("\"confidence\": 0.8", "\"confidence\": 1e999"), "out of range"),
        (ok.replace("\"confidence\": 0.8", "\"confidence\": 0.8, \"rate\": 0"), "rate"),
        (ok.replace("[0, 1]", "[0, 3]"), "bg frame 3"),
    ];
    for (json, why) in refused {
        match Alignment::from_json(&json) {
            Err(Error::InvalidData(m)) => assert!(m.contains(why), "expected '{why}' in: {m}"),
            other => panic!("accepted or wrong error ({other:?}) for {json}"),
        }
    }
}

#[test]
fn json_never_holds_infinity_or_nan() {
    let mut a = Alignment::from_json(&json_with_placement(4, 8, 8, "1", [0, 0, 8, 8])).unwrap();
    a.time.overall_confidence = f64::INFINITY;
    a.time.offset_seconds = f64::NAN;
    let text = a.to_json();
    assert!(!text.contains("inf") && !text.contains("NaN"), "{text}");
    assert!(Alignment::from_json(&text).is_err(), "null is not a number");
    // A valid alignment survives a round trip exactly.
    let b = Alignment::from_json(&json_with_placement(-3, 12, 12, "1.5", [0, 0, 8, 8])).unwrap();
    assert_eq!(Alignment::from_json(&b.to_json()).unwrap(), b);
}

#[test]
fn a_non_ascii_y4m_header_is_an_error() {
    for header in ["YUV4MPEG2 \u{e9}\n", "YUV4MPEG2 W4 H2 \u{e9}x\n", "YUV4MPEG2 W4 H2 C\u{e9}\n"] {
        match Y4mReader::new(header.as_bytes()) {
            Ok(mut r) => assert!(r.read_frame().is_ok_and(|f| f.is_none()) || r.read_frame().is_err()),
            Err(e) => assert!(matches!(e, Error::InvalidData(_) | Error::Unsupported(_)), "{e:?}"),
        }
    }
}

#[test]
fn frames_with_absurd_strides_are_refused() {
    let data = [0u8; 64];
    for stride in [isize::MAX / 2, isize::MIN / 2, 1 << 29, -(1 << 29)] {
        for height in [2u32, 3] {
            // SAFETY: the pointer is valid for 64 bytes; validation must refuse the stride
            // before any slice is formed.
            let r = unsafe {
                FrameRef::from_raw(
                    PixelFormat::Gray8,
                    8,
                    height,
                    [data.as_ptr(), std::ptr::null(), std::ptr::null(), std::ptr::null()],
                    [stride, 0, 0, 0],
                )
            };
            assert!(r.is_err(), "stride {stride}, height {height} was accepted");
        }
    }
    // A negative stride that would reach below address 0.
    // SAFETY: as above; the rows below the pointer are not valid and must not be accepted.
    let r = unsafe {
        FrameRef::from_raw(PixelFormat::Gray8, 8, 3, [std::ptr::without_provenance::<u8>(8); 4], [-(1 << 20), 0, 0, 0])
    };
    assert!(r.is_err());
}

fn small_pair() -> SyntheticPair {
    SyntheticPair::new(PairSpec {
        bg_width: 160,
        bg_height: 90,
        fg_width: 64,
        fg_height: 36,
        x: 120.0,
        y: 70.0,
        bg_frames: 40,
        fg_frames: 20,
        fg_start: 0.4,
        ..PairSpec::default()
    })
}

fn placement(x: i32, y: i32, w: u32, h: u32) -> Placement {
    Placement {
        x,
        y,
        width: w,
        height: h,
        scale: 1.0,
        confidence: 1.0,
        content: Rect::full(w, h),
        x_subpixel: x as f64,
        y_subpixel: y as f64,
    }
}

#[test]
fn finishing_without_fg_frames_is_a_bad_state() {
    let pair = small_pair();
    let mut a = Analyzer::new(Settings::default());
    for j in 0..5 {
        a.push(Stream::Bg, Some(&pair.bg_frame(j).as_frame())).unwrap();
    }
    match a.finish() {
        Err(Error::BadState(m)) => assert!(m.contains("fg: 0, bg: 5"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_stream_running_ahead_is_kept_within_a_bound() {
    // bg alone, frame after frame: its copies shrink, then thin out in time, to stay within
    // the budget; every push is taken.
    let frame = FrameBuf::new(PixelFormat::Gray8, 64, 36).unwrap();
    let mut a = Analyzer::new(Settings::default());
    let mut most = 0;
    for j in 0..200_000usize {
        let f = frame.as_frame().with_pts(j as i64, TimeBase::new(1, 25));
        a.push(Stream::Bg, Some(&f)).unwrap();
        most = most.max(a.held_bytes());
    }
    // The copies, and the full-size frames kept for the placement check without a provider.
    assert!(most <= STORE_BUDGET + KEPT_FG_BYTES + KEPT_BG_BYTES, "{most} bytes held");
    // 64x36 copies fill the budget at about 21800 frames; thinned, it fills again and again.
    assert!(most > STORE_BUDGET / 2, "{most} bytes held at most");
    let f = frame.as_frame().with_pts(0, TimeBase::new(1, 25));
    a.push(Stream::Fg, Some(&f)).unwrap();
    // Grey frames match nothing: refused, without a panic.
    assert!(a.finish().is_err());
}

/// fg's rectangle depends on bg's size when the placement overhangs bg's right or bottom
/// edge; fg frames pushed before any bg frame wait for it, so push order does not matter.
#[test]
fn an_overhanging_placement_works_whichever_stream_comes_first() {
    let pair = small_pair();
    let spec = &pair.spec;
    let run = |fg_first: bool| {
        let mut a = Analyzer::new(Settings::default());
        a.set_placement(placement(120, 70, spec.fg_width, spec.fg_height)).unwrap();
        let fg: Vec<FrameBuf> = (0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect();
        let bg: Vec<FrameBuf> = (0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect();
        let (first, second) = if fg_first { (&fg, &bg) } else { (&bg, &fg) };
        let (s1, s2) = if fg_first { (Stream::Fg, Stream::Bg) } else { (Stream::Bg, Stream::Fg) };
        for f in first {
            a.push(s1, Some(&f.as_frame())).unwrap();
        }
        for f in second {
            a.push(s2, Some(&f.as_frame())).unwrap();
        }
        a.finish().unwrap()
    };
    let (fg_first, bg_first) = (run(true), run(false));
    assert_eq!(fg_first.time.map, bg_first.time.map);
    let exact = (0..spec.fg_frames).filter(|&i| pair.accepts(i, fg_first.time.map[i] as usize)).count();
    assert!(exact * 1000 >= spec.fg_frames * 995, "{exact} of {} exact", spec.fg_frames);
}

#[test]
fn an_empty_placement_is_refused_when_set() {
    let mut a = Analyzer::new(Settings::default());
    let e = a.set_placement(placement(0, 0, 0, 0)).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn timestamps_are_checked_at_the_frame() {
    let pair = small_pair();
    let mut a = Analyzer::new(Settings::default());
    a.set_placement(placement(120, 70, 64, 36)).unwrap();
    let tb = TimeBase::new(1, 25);
    a.push(Stream::Bg, Some(&pair.bg_frame(0).as_frame().with_pts(0, tb))).unwrap();
    a.push(Stream::Bg, Some(&pair.bg_frame(1).as_frame().with_pts(1, tb))).unwrap();
    // A duplicate pts fails at once, naming the frame; the analyzer stays usable.
    let e = a.push(Stream::Bg, Some(&pair.bg_frame(2).as_frame().with_pts(1, tb))).unwrap_err();
    assert!(e.to_string().contains("bg frame 2") && e.to_string().contains("duplicate"), "{e}");
    // AV_NOPTS_VALUE is "no timestamp": the frame is placed one period on.
    a.push(Stream::Bg, Some(&pair.bg_frame(2).as_frame().with_pts(i64::MIN, tb))).unwrap();
    a.push(Stream::Bg, Some(&pair.bg_frame(3).as_frame().with_pts(3, tb))).unwrap();
    let e = a.push(Stream::Fg, Some(&pair.fg_frame(0).as_frame().with_pts(0, TimeBase::new(-1, 30)))).unwrap_err();
    assert!(e.to_string().contains("fg frame 0"), "{e}");
}

/// fg from another world than bg, with a placement given: the time map finds no counterpart,
/// and finish refuses instead of compositing garbage (unless told to accept it).
#[test]
fn fg_that_bg_does_not_contain_is_refused() {
    let bg_pair = small_pair();
    let other = SyntheticPair::new(PairSpec { seed: 99, ..small_pair().spec });
    let run = |settings: Settings| {
        let mut a = Analyzer::new(settings);
        a.set_placement(placement(120, 70, 64, 36)).unwrap();
        for j in 0..bg_pair.spec.bg_frames {
            a.push(Stream::Bg, Some(&bg_pair.bg_frame(j).as_frame())).unwrap();
        }
        for i in 0..other.spec.fg_frames {
            a.push(Stream::Fg, Some(&other.fg_frame(i).as_frame())).unwrap();
        }
        a.finish()
    };
    match run(Settings::default()) {
        Err(e @ Error::NotInBg(_)) => {
            assert_eq!(e.status(), vidkompy::Status::NoMatch);
            assert!(e.to_string().contains("fg frames have no counterpart in bg"), "{e}");
        }
        other => panic!("expected NO_MATCH, got {other:?}"),
    }
    let accepted = run(Settings { min_matched_share: 0.0, ..Settings::default() }).unwrap();
    assert!(accepted.time.outside.len() * 2 > accepted.fg_frames);
}

/// With a placement given, fg may be pushed whole before bg (any order): fg is kept as
/// copies until bg's first frame gives bg's size, so a placement overhanging bg works too.
#[test]
fn fg_pushed_whole_before_bg_with_a_placement() {
    let run = |x: f64| {
        let pair = SyntheticPair::new(PairSpec {
            x,
            y: 30.0,
            bg_frames: 260,
            fg_frames: 232,
            fg_start: 0.4,
            ..small_pair().spec
        });
        let mut a = Analyzer::new(Settings::default());
        a.set_placement(placement(x as i32, 30, 64, 36)).unwrap();
        for i in 0..pair.spec.fg_frames {
            a.push(Stream::Fg, Some(&pair.fg_frame(i).as_frame())).unwrap();
        }
        for j in 0..pair.spec.bg_frames {
            a.push(Stream::Bg, Some(&pair.bg_frame(j).as_frame())).unwrap();
        }
        (pair, a.finish().unwrap())
    };
    for x in [40.0, 120.0] {
        let (pair, a) = run(x);
        let exact = (0..pair.spec.fg_frames).filter(|&i| pair.accepts(i, a.time.map[i] as usize)).count();
        assert!(exact * 1000 >= pair.spec.fg_frames * 995, "x {x}: {exact} of {} exact", pair.spec.fg_frames);
    }
}
