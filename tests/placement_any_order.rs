//! The analyzer finds the placement itself, whatever the push order and wherever fg starts in
//! bg: the measured case (a graded 960x540 crop at (480, 270) of the interview clip,
//! from 1.5 s in), pushed interleaved by time, bg whole first, fg whole first, and in chunks,
//! with and without a host that provides frames on request.

mod common;

use std::sync::Arc;

use vidkompy::alignment::Alignment;
use vidkompy::session::analyzer::FrameProvider;
use vidkompy::session::{Analyzer, Stream};
use vidkompy::synth::Grade;
use vidkompy::{FrameBuf, Rect, Settings, TimeBase};

/// How a host pushes the two streams.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// By time, as a player would show them (fg's timestamps start at 0).
    Interleaved,
    BgFirst,
    FgFirst,
    /// 40 bg frames, then 25 fg frames, and so on.
    Chunks,
}

const ORDERS: [Order; 4] = [Order::Interleaved, Order::BgFirst, Order::FgFirst, Order::Chunks];

struct RealPair {
    fg: Arc<Vec<FrameBuf>>,
    bg: Arc<Vec<FrameBuf>>,
    /// bg frame under fg frame 0.
    start: usize,
    crop: Rect,
}

fn interview_pair() -> Option<RealPair> {
    let path = common::media("interview-1080p24.mp4")?;
    let (bg, _) = common::decode(&path, 1920, 1080, 5.5)?;
    let crop = Rect::new(480, 270, 960, 540);
    let grade = Grade { brightness: 0.04, contrast: 1.1, gamma: 0.9 };
    let start = 36;
    let fg: Vec<FrameBuf> =
        (start..start + 72).map(|j| common::crop_grade(&bg[j], crop, grade, 2.0, j as u64)).collect();
    Some(RealPair { fg: Arc::new(fg), bg: Arc::new(bg), start, crop })
}

fn stamped(f: &FrameBuf, k: usize) -> vidkompy::FrameRef<'_> {
    f.as_frame().with_pts(k as i64, TimeBase::new(1, 24))
}

fn analyse(pair: &RealPair, order: Order, provide: bool) -> Alignment {
    let mut a = Analyzer::new(Settings::default());
    if std::env::var("VK_DEBUG").is_ok() {
        a.set_log(Some(Box::new(|_, m: &str| eprintln!("log: {m}"))));
    }
    if provide {
        let (fg, bg) = (Arc::clone(&pair.fg), Arc::clone(&pair.bg));
        let provider: Box<dyn FrameProvider> = Box::new(move |stream, k| {
            let frames = if stream == Stream::Fg { &fg } else { &bg };
            frames.get(k).map(|f| FrameBuf::from_frame(&stamped(f, k)).unwrap())
        });
        a.set_frame_provider(Some(provider));
    }
    let (nf, nb) = (pair.fg.len(), pair.bg.len());
    let mut push = |stream: Stream, k: usize| {
        let f = if stream == Stream::Fg { &pair.fg[k] } else { &pair.bg[k] };
        a.push(stream, Some(&stamped(f, k))).unwrap();
    };
    let sequence: Vec<(Stream, usize)> = match order {
        Order::Interleaved => {
            let mut s: Vec<(Stream, usize)> =
                (0..nb).map(|j| (Stream::Bg, j)).chain((0..nf).map(|i| (Stream::Fg, i))).collect();
            s.sort_by_key(|&(stream, k)| (k, stream == Stream::Fg));
            s
        }
        Order::BgFirst => (0..nb).map(|j| (Stream::Bg, j)).chain((0..nf).map(|i| (Stream::Fg, i))).collect(),
        Order::FgFirst => (0..nf).map(|i| (Stream::Fg, i)).chain((0..nb).map(|j| (Stream::Bg, j))).collect(),
        Order::Chunks => {
            let mut s = Vec::new();
            let (mut i, mut j) = (0, 0);
            while i < nf || j < nb {
                s.extend((j..(j + 40).min(nb)).map(|k| (Stream::Bg, k)));
                s.extend((i..(i + 25).min(nf)).map(|k| (Stream::Fg, k)));
                (i, j) = ((i + 25).min(nf), (j + 40).min(nb));
            }
            s
        }
    };
    for (stream, k) in sequence {
        push(stream, k);
    }
    a.push(Stream::Fg, None).unwrap();
    a.push(Stream::Bg, None).unwrap();
    a.finish().unwrap()
}

fn exact_frames(pair: &RealPair, a: &Alignment) -> usize {
    (0..pair.fg.len()).filter(|&i| a.time.map[i] as usize == pair.start + i).count()
}

#[test]
fn the_placement_is_exact_in_every_push_order_with_a_frame_provider() {
    let Some(pair) = interview_pair() else { return };
    for order in ORDERS {
        let a = analyse(&pair, order, true);
        let p = a.placement;
        assert_eq!((p.x, p.y, p.width, p.height, p.scale), (480, 270, 960, 540, 1.0), "{order:?}: {p:?}");
        let exact = exact_frames(&pair, &a);
        assert_eq!(exact, pair.fg.len(), "{order:?}: {exact} of {} frames exact", pair.fg.len());
    }
}

#[test]
fn without_a_provider_every_order_is_within_the_copies_resolution() {
    let Some(pair) = interview_pair() else { return };
    let results: Vec<Alignment> = ORDERS.iter().map(|&order| analyse(&pair, order, false)).collect();
    for (order, a) in ORDERS.iter().zip(&results) {
        let p = a.placement;
        let off = (p.x - pair.crop.x as i32).abs().max((p.y - pair.crop.y as i32).abs());
        // The analyzer's copies of this pair are a quarter of full size: half a copy pixel.
        assert!(off <= 2 && p.scale == 1.0, "{order:?}: {p:?}");
        let exact = exact_frames(&pair, a);
        assert_eq!(exact, pair.fg.len(), "{order:?}: {exact} of {} frames exact", pair.fg.len());
    }
}
