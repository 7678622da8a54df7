//! Pass 2 driven by `Compositor::run` when the decoder loses or repeats frames: frames are
//! matched by pts, so a lost bg frame costs one stand-in and shifts nothing after it.

use vidkompy::FrameBuf;
use vidkompy::Settings;
use vidkompy::error::Result;
use vidkompy::frame::FrameRef;
use vidkompy::session::{Analyzer, Compositor, FrameSource, Stream};
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

#[test]
fn a_lost_or_repeated_frame_shifts_nothing_after_it() {
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
    let alignment = analyzer.finish().unwrap();
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
