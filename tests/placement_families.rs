//! The analyzer's own placement (no placement or samples given, default settings) on pairs
//! with known truth from the generator, pushed as a host would (interleaved by time, bg
//! whole first, fg whole first), with a host that provides frames on request: scales 0.5,
//! 0.75, 1.5 and 2; letterboxed and pillarboxed fg (the content box is reported); burned-in
//! graphics that bg lacks (an opaque box over 15 % of fg, a moving box); a 10-bit fg over an
//! 8-bit bg. Each must give the exact integer position, the scale within 0.5 %, and at least
//! 99.5 % of frames exact.

mod common;

use common::families::{Edit, moving_box, scaled, static_box, ten_bit, unedited};

use std::sync::Arc;

use vidkompy::alignment::Alignment;
use vidkompy::session::analyzer::FrameProvider;
use vidkompy::session::{Analyzer, Stream};
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, Settings};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    ByTime,
    BgFirst,
    FgFirst,
}

fn analyse(fg: Arc<Vec<FrameBuf>>, bg: Arc<Vec<FrameBuf>>, order: Order) -> Alignment {
    analyse_with(fg, bg, order, true).unwrap()
}

/// The analysis, with or without a host that provides frames on request.
fn analyse_with(
    fg: Arc<Vec<FrameBuf>>,
    bg: Arc<Vec<FrameBuf>>,
    order: Order,
    provides: bool,
) -> vidkompy::Result<Alignment> {
    let mut a = Analyzer::new(Settings::default());
    if std::env::var("VK_DEBUG").is_ok() {
        a.set_log(Some(Box::new(|_, m: &str| eprintln!("log: {m}"))));
    }
    let (fg_kept, bg_kept) = (Arc::clone(&fg), Arc::clone(&bg));
    let provider: Box<dyn FrameProvider> =
        Box::new(
            move |stream: Stream, k: usize| {
                if stream == Stream::Fg { fg_kept.get(k).cloned() } else { bg_kept.get(k).cloned() }
            },
        );
    if provides {
        a.set_frame_provider(Some(provider));
    }
    let seconds = |f: &FrameBuf| f.as_frame().seconds().unwrap();
    let mut sequence: Vec<(Stream, usize)> = match order {
        Order::BgFirst => {
            (0..bg.len()).map(|j| (Stream::Bg, j)).chain((0..fg.len()).map(|i| (Stream::Fg, i))).collect()
        }
        _ => (0..fg.len()).map(|i| (Stream::Fg, i)).chain((0..bg.len()).map(|j| (Stream::Bg, j))).collect(),
    };
    if order == Order::ByTime {
        let at = |&(s, k): &(Stream, usize)| if s == Stream::Fg { seconds(&fg[k]) } else { seconds(&bg[k]) };
        sequence.sort_by(|a, b| at(a).total_cmp(&at(b)));
    }
    for (stream, k) in sequence {
        let f = if stream == Stream::Fg { &fg[k] } else { &bg[k] };
        a.push(stream, Some(&f.as_frame())).unwrap();
    }
    a.finish()
}

/// Runs a family in the given orders and checks placement and map against the truth.
fn family(name: &str, spec: PairSpec, edit: Edit, orders: &[Order]) {
    let pair = SyntheticPair::new(spec.clone());
    let fg: Arc<Vec<FrameBuf>> = Arc::new((0..spec.fg_frames).map(|i| edit(i, pair.fg_frame(i))).collect());
    let bg: Arc<Vec<FrameBuf>> = Arc::new((0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect());
    // The generator puts fg's content box (inside any bars) at (x, y).
    let (rows, cols) = spec.letterbox;
    let (x, y) = (spec.x, spec.y);
    for &order in orders {
        let a = analyse(Arc::clone(&fg), Arc::clone(&bg), order);
        let p = a.placement;
        let what = format!("{name}, {order:?}: {p:?}");
        assert_eq!((p.x, p.y), (x.round() as i32, y.round() as i32), "{what}");
        assert!((p.scale / spec.scale - 1.0).abs() <= 0.005, "{what}");
        assert_eq!((p.content.x, p.content.y), (cols, rows), "{what}");
        let score = common::score(&pair, &a.time);
        assert!(score.exact * 1000 >= score.frames * 995, "{what}: {score:?}");
    }
}

const ALL: &[Order] = &[Order::ByTime, Order::BgFirst, Order::FgFirst];

#[test]
fn scale_one_half_is_found_by_default() {
    // fg is twice as sharp as its 160x90 region of bg.
    family("scale 0.5", scaled(0.5, 320, 180), unedited, ALL);
}

#[test]
fn scale_three_quarters_is_found_by_default() {
    family("scale 0.75", scaled(0.75, 256, 144), unedited, &[Order::ByTime]);
}

#[test]
fn scale_one_and_a_half_is_found_by_default() {
    family("scale 1.5", scaled(1.5, 128, 72), unedited, &[Order::ByTime]);
}

#[test]
fn scale_two_is_found_by_default() {
    family("scale 2", scaled(2.0, 96, 54), unedited, ALL);
}

#[test]
fn letterboxed_and_pillarboxed_fg_report_the_content_box() {
    let spec = |letterbox| PairSpec { letterbox, bg_frames: 160, fg_frames: 90, fg_start: 1.6, ..PairSpec::default() };
    family("letterbox", spec((14, 0)), unedited, ALL);
    family("pillarbox", spec((0, 24)), unedited, &[Order::ByTime]);
}

#[test]
fn burned_in_graphics_on_fg_do_not_move_the_placement() {
    let spec = PairSpec { bg_frames: 160, fg_frames: 90, fg_start: 1.6, ..PairSpec::default() };
    family("static box", spec.clone(), static_box, ALL);
    family("moving box", spec, moving_box, &[Order::ByTime]);
}

#[test]
fn a_ten_bit_fg_over_an_eight_bit_bg() {
    let spec = PairSpec { bg_frames: 160, fg_frames: 90, fg_start: 1.6, ..PairSpec::default() };
    family("10-bit fg", spec, ten_bit, ALL);
}

/// A long bg with fg from its end, pushed interleaved by time (so all of fg comes first): the
/// placement is not decided from bg's first minutes, where fg's content is not yet.
#[test]
fn fg_near_the_end_of_a_long_bg() {
    // 10.5 minutes of bg at 25 fps: its copies are thinned in time before fg's content
    // appears, and the frames the map needs are asked of the provider.
    let spec = PairSpec {
        bg_width: 160,
        bg_height: 90,
        fg_width: 96,
        fg_height: 54,
        x: 40.0,
        y: 20.0,
        bg_frames: 15_750,
        fg_frames: 150,
        fg_start: 620.0,
        grade: Grade { brightness: 0.03, contrast: 1.1, gamma: 0.95 },
        ..PairSpec::default()
    };
    family("long bg", spec.clone(), unedited, &[Order::ByTime]);
    // Without a provider: refused with what to do, not a map from every other frame.
    let pair = SyntheticPair::new(spec.clone());
    let fg = Arc::new((0..spec.fg_frames).map(|i| pair.fg_frame(i)).collect());
    let bg = Arc::new((0..spec.bg_frames).map(|j| pair.bg_frame(j)).collect());
    match analyse_with(fg, bg, Order::BgFirst, false) {
        Err(e @ vidkompy::Error::BadState(_)) => assert!(e.to_string().contains("frame provider"), "{e}"),
        other => panic!("expected a refusal naming the frame provider, got {other:?}"),
    }
}
