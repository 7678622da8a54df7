//! Pass 2 driven by `Compositor::run` when the decoder loses or repeats frames: frames are
//! matched by pts, so a lost bg frame costs one stand-in and shifts nothing after it.

use vidkompy::FrameBuf;
use vidkompy::Settings;
use vidkompy::alignment::Alignment;
use vidkompy::error::Result;
use vidkompy::frame::FrameRef;
use vidkompy::session::{Analyzer, BufferedFrames, Compositor, FrameSource, Received, Stream, composite_frame};
use vidkompy::synth::{PairSpec, SyntheticPair};

/// Frames in order, minus the indices in `skip`, with `repeat` sent twice.
struct Lossy<'a> {
    frames: &'a [FrameBuf],
    next: usize,
    skip: Option<usize>,
    repeat: Option<usize>,
    repeated: bool,
}

impl FrameSource for Lossy<'_> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>> {
        if Some(self.next) == self.skip {
            self.next += 1;
        }
        if self.next > 0 && Some(self.next - 1) == self.repeat && !self.repeated {
            self.repeated = true;
            return Ok(Some(self.frames[self.next - 1].as_frame()));
        }
        let frame = self.frames.get(self.next).map(FrameBuf::as_frame);
        self.next += 1;
        Ok(frame)
    }
}

fn lossy(frames: &[FrameBuf], skip: Option<usize>, repeat: Option<usize>) -> Lossy<'_> {
    Lossy { frames, next: 0, skip, repeat, repeated: false }
}

/// A generated pair (fg 30 frames from bg frame 15 of 60), its frames and its alignment.
fn analysed_pair() -> (Vec<FrameBuf>, Vec<FrameBuf>, Alignment) {
    let pair = SyntheticPair::new(PairSpec { bg_frames: 60, fg_frames: 30, fg_start: 0.6, ..PairSpec::default() });
    let fg: Vec<FrameBuf> = (0..30).map(|i| pair.fg_frame(i)).collect();
    let bg: Vec<FrameBuf> = (0..60).map(|j| pair.bg_frame(j)).collect();
    let mut analyzer = Analyzer::new(Settings::default());
    for f in &bg {
        analyzer.push(Stream::Bg, Some(&f.as_frame())).unwrap();
    }
    for f in &fg {
        analyzer.push(Stream::Fg, Some(&f.as_frame())).unwrap();
    }
    (fg, bg, analyzer.finish().unwrap())
}

#[test]
fn a_lost_or_repeated_frame_shifts_nothing_after_it() {
    let (fg, bg, alignment) = analysed_pair();
    let run = |bg_skip, bg_repeat| {
        let mut compositor = Compositor::new(alignment.clone(), &Settings::default()).unwrap();
        let mut outputs = Vec::new();
        compositor
            .run(&mut lossy(&fg, None, None), &mut lossy(&bg, bg_skip, bg_repeat), |frame| {
                outputs.push(FrameBuf::from_frame(frame)?);
                Ok(())
            })
            .unwrap();
        (outputs, compositor.stats())
    };
    let (reference, stats) = run(None, None);
    assert_eq!((reference.len(), stats.bg_missing, stats.bg_stand_ins), (30, 0, 0));
    let lost = alignment.bg_index(10).unwrap() as usize;
    let (outputs, stats) = run(Some(lost), Some(lost + 5));
    assert_eq!(outputs.len(), 30);
    assert_eq!((stats.bg_missing, stats.bg_stand_ins, stats.bg_repeated), (1, 1, 1), "{stats:?}");
    for (i, (a, b)) in outputs.iter().zip(&reference).enumerate() {
        let same = a.as_frame().row(0, 40) == b.as_frame().row(0, 40);
        assert_eq!(same, i != 10, "fg frame {i}: only the frame over the lost bg frame may differ");
    }
}

/// A map that goes back in bg (fg's second shot from earlier footage than its first): the
/// compositor asks for bg to be sought back, and every frame equals random access's.
#[test]
fn a_map_that_goes_back_has_bg_sought_back() {
    let (fg, bg, mut alignment) = analysed_pair();
    // fg 0-14 over bg 40-54, then fg 15-29 over bg 5-19: the edit goes back 50 frames.
    alignment.time.map = (40..55).chain(5..20).collect();
    alignment.time.outside.clear();
    assert_eq!(alignment.legs(), vec![0..15, 15..30]);
    let settings = Settings::default();
    let mut compositor = Compositor::new(alignment.clone(), &settings).unwrap();
    assert_eq!(compositor.first_needed_bg(), 40, "the first leg's first bg frame, not the map's lowest");
    let mut outputs = Vec::new();
    compositor
        .run(&mut BufferedFrames::new(&fg), &mut BufferedFrames::new(&bg), |frame| {
            outputs.push(FrameBuf::from_frame(frame)?);
            Ok(())
        })
        .unwrap();
    assert_eq!(outputs.len(), 30);
    for (i, out) in outputs.iter().enumerate() {
        let j = alignment.time.map[i] as usize;
        let mut expected = FrameBuf::new(out.format(), out.width(), out.height()).unwrap();
        composite_frame(&alignment, &settings, i, &fg[i].as_frame(), &bg[j].as_frame(), &mut expected.as_frame_mut())
            .unwrap();
        let planes = out.format().plane_count();
        assert!((0..planes).all(|p| out.plane(p) == expected.plane(p)), "fg frame {i} over bg frame {j}");
    }

    // A source that cannot seek: refused where the map goes back, never a wrong background.
    let mut compositor = Compositor::new(alignment.clone(), &settings).unwrap();
    let mut written = 0;
    let e = compositor
        .run(&mut lossy(&fg, None, None), &mut lossy(&bg, None, None), |_| {
            written += 1;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(written, 15, "the first leg is composited");
    assert!(e.to_string().contains("needs bg frame 5, which bg has passed"), "{e}");

    // Driven by hand: a bg frame sent forward at the rewind is refused; seek_bg only then.
    let mut compositor = Compositor::new(alignment, &settings).unwrap();
    assert!(compositor.seek_bg(0).is_err(), "nothing to seek back to yet");
    let (mut next_fg, mut next_bg) = (0, 0);
    while compositor.bg_rewind().is_none() {
        match compositor.receive().unwrap() {
            Received::Frame(_) => {}
            Received::Again(Stream::Fg) => {
                compositor.send(Stream::Fg, Some(&fg[next_fg].as_frame())).unwrap();
                next_fg += 1;
            }
            Received::Again(Stream::Bg) => {
                compositor.send(Stream::Bg, Some(&bg[next_bg].as_frame())).unwrap();
                next_bg += 1;
            }
            Received::Eof => panic!("ended before the second leg"),
        }
    }
    assert_eq!(compositor.bg_rewind(), Some(5));
    assert!(compositor.send(Stream::Bg, Some(&bg[next_bg].as_frame())).is_err());
    assert!(compositor.seek_bg(6).is_err(), "not past the frame needed");
    compositor.seek_bg(3).unwrap();
    assert_eq!(compositor.bg_rewind(), None);
}
