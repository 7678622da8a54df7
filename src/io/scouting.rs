//! A file job's scout: fg decoded whole and bg's keyframes only, both into the library's
//! [`Scout`], which says which stretch of bg can hold fg; the one pass then decodes bg only
//! there. This module only moves frames and turns the scout's seconds into frame indices of bg
//! (from the packets' timestamps, read while scanning).

use std::path::Path;
use std::time::Instant;

use crossbeam::channel::{bounded, never, select};

use crate::alignment::Alignment;
use crate::error::{Error, Result, Status};
use crate::io::files::{InputFile, InputFrame};
use crate::io::job::CompJob;
use crate::io::report::ScoutCost;
use crate::io::threads::{CHANNEL_FRAMES, FrameMessage, decode_into, joined};
use crate::session::stream::Shape;
use crate::session::{
    DenseWindow, Scout, ScoutAnswer, ScoutReport, Stream, WindowCuts, map_entered_every_span, window_held_fg,
};

/// The stretch of bg the one pass decodes: from frame `first_index` (pts `first_pts`, reached
/// by seeking) to the last frame at or before `end_seconds`.
#[derive(Debug, Clone)]
pub struct BgWindow {
    pub first_index: usize,
    pub first_pts: i64,
    pub end_seconds: f64,
    /// bg's frame count and its first frame's time, from the packets.
    pub total_frames: usize,
    pub bg_start_seconds: f64,
    /// Whether the window leaves frames out before it, after it.
    pub cuts: WindowCuts,
    /// The pts of bg's frames from `first_index` on, by its packets: each frame the one pass
    /// reads must have the next (frames are numbered by them).
    pub expected_pts: Vec<i64>,
    /// The window's frames (from `first_index`, inclusive) in each span the scout read: the
    /// map must enter each (`map_entered_every_span`).
    pub spans: Vec<(u32, u32)>,
}

/// `path` opened (`prepare` applied before its first frame is decoded) at the frame of `pts`:
/// by seeking, or, for a file that cannot seek there, read from its start up to the first
/// frame at or after it; `None` when the file ends first.
pub fn open_at_pts<I: InputFile>(path: &Path, pts: i64, prepare: impl Fn(&mut I)) -> Result<Option<(I, I::Frame)>> {
    let open = || -> Result<I> {
        let mut input = I::open(path)?;
        prepare(&mut input);
        Ok(input)
    };
    let mut input = open()?;
    if let Some(frame) = input.seek_to_frame(pts)? {
        return Ok(Some((input, frame)));
    }
    let mut input = open()?;
    while let Some(frame) = input.next_frame()? {
        if frame.as_frame().pts >= pts {
            return Ok(Some((input, frame)));
        }
    }
    Ok(None)
}

/// bg opened at the scout's window (`open_at_pts`), and the window's first frame; without a
/// window, bg from its start.
pub fn open_bg_window<I: InputFile>(
    job: &CompJob,
    window: Option<&BgWindow>,
    prepare: impl Fn(&mut I),
) -> Result<(I, Option<I::Frame>)> {
    let Some(w) = window.filter(|w| w.first_index > 0) else {
        let mut bg = I::open(&job.bg)?;
        prepare(&mut bg);
        return Ok((bg, None));
    };
    let (bg, first) = open_at_pts(&job.bg, w.first_pts, prepare)?
        .ok_or_else(|| Error::InvalidData(format!("{}: ended before the frame the scout named", job.bg.display())))?;
    Ok((bg, Some(first)))
}

/// What the scout told the job.
pub enum Scouted {
    /// Decode bg only in this window.
    Window(BgWindow),
    /// Read all of bg: the scout could not help or was not sure (`kind` for the report, a
    /// sentence for the observer).
    Unsure { kind: &'static str, why: String },
}

/// The scout's run: its verdict, what it cost, and the spans it found (seconds of bg).
pub struct ScoutRun {
    pub scouted: Scouted,
    pub ms: f64,
    pub decoded: [u64; 2],
    pub span: Option<(f64, f64)>,
    /// fg's and bg's frame shapes, when the scout saw frames of both.
    pub shapes: Option<[Shape; 2]>,
}

impl ScoutRun {
    /// The window to read bg in, when the scout is sure of one.
    pub fn window(&self) -> Option<&BgWindow> {
        match &self.scouted {
            Scouted::Window(w) => Some(w),
            Scouted::Unsure { .. } => None,
        }
    }

    /// Whether the scout saw no keyframe clearly like fg where keyframes were dense enough to
    /// show it: the one pass would search bg from its start for nothing likelier.
    pub fn found_nothing(&self) -> bool {
        matches!(self.scouted, Scouted::Unsure { kind: "no-match" | "weak-match", .. })
    }

    /// NO_MATCH when the scout saw no keyframe like fg where keyframes were dense enough to
    /// show it, and none came near (`--path two-pass` still analyses every frame of both).
    pub fn refusal(&self) -> Option<Error> {
        let Scouted::Unsure { kind: "no-match", why } = &self.scouted else { return None };
        Some(Error::NotInBg(format!("the scout: {why}; `--path two-pass` analyses every frame of both")))
    }

    /// For the report.
    pub fn cost(&self) -> ScoutCost {
        let verdict = match &self.scouted {
            Scouted::Window(_) => "window",
            Scouted::Unsure { kind, .. } => kind,
        };
        ScoutCost { verdict, span_seconds: self.span, ms: self.ms }
    }

    /// A line for the observer.
    pub fn summary(&self) -> String {
        let [fg, bg] = self.decoded;
        match (&self.scouted, self.span) {
            (Scouted::Window(w), Some((a, b))) => format!(
                "scout: fg ({fg} frames) can lie in bg from {a:.2} s to {b:.2} s, found from {bg} keyframes in {:.0} ms; reading bg from frame {}",
                self.ms, w.first_index
            ),
            (Scouted::Unsure { kind: "no-match", why }, _) => {
                format!("scout: {why} ({fg} fg frames, {bg} bg keyframes, {:.0} ms)", self.ms)
            }
            (Scouted::Unsure { why, .. }, _) => {
                format!(
                    "scout: {why} ({fg} fg frames, {bg} bg keyframes, {:.0} ms); analysing the whole of both files",
                    self.ms
                )
            }
            (Scouted::Window(_), None) => format!("scout: a window without a span ({:.0} ms)", self.ms),
        }
    }
}

/// Scouts the job's bg for fg: fg decoded whole on one thread, bg's keyframes on another.
pub fn scout<I: InputFile>(job: &CompJob) -> Result<ScoutRun> {
    let started = Instant::now();
    let (mut fg, mut bg) = (I::open(&job.fg)?, I::open(&job.bg)?);
    fg.for_scouting();
    let mut scout = Scout::new(job.settings.clone());
    let mut refused: Option<Error> = None;
    let mut bg_time_base = None;
    let mut shapes: [Option<Shape>; 2] = [None, None];
    let (scan, decoded) = std::thread::scope(|s| -> Result<(Option<Vec<i64>>, [u64; 2])> {
        let (fg_tx, fg_rx) = bounded::<FrameMessage<I::Frame>>(CHANNEL_FRAMES);
        let (bg_tx, bg_rx) = bounded::<I::Frame>(CHANNEL_FRAMES);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx, None));
        let bg_thread = s.spawn(move || {
            let scan = bg.scan_keyframes(&mut |f| bg_tx.send(f).is_ok());
            (scan, bg.frames_decoded())
        });
        // A stream that ended is waited on as `never()`: its closed channel would answer every
        // select at once, and the loop spun on it (taking a core from the other stream's
        // decoder) until the other stream ended too.
        let (mut fg_rx, mut bg_rx) = (fg_rx, bg_rx);
        let (mut fg_open, mut bg_open) = (true, true);
        while fg_open || bg_open {
            let (stream, frame) = select! {
                recv(fg_rx) -> m => match m {
                    Ok(f) => (Stream::Fg, Some(f?)),
                    Err(_) => { fg_open = false; fg_rx = never(); (Stream::Fg, None) }
                },
                recv(bg_rx) -> m => match m {
                    Ok(f) => (Stream::Bg, Some(f)),
                    Err(_) => { bg_open = false; bg_rx = never(); (Stream::Bg, None) }
                },
            };
            // A frame the scout refuses (timestamps out of order, say) ends the scouting, not
            // the job: the two passes read such files by count.
            let Some(f) = frame else { continue };
            let view = f.as_frame();
            shapes[stream as usize].get_or_insert((view.format(), view.width(), view.height()));
            if stream == Stream::Bg {
                bg_time_base.get_or_insert(view.time_base);
            }
            if refused.is_none()
                && let Err(e) = scout.push(stream, &view)
            {
                refused = Some(e);
            }
        }
        let (_, fg_decoded) = joined(fg_thread)?;
        let (scan, bg_decoded) = joined(bg_thread)?;
        Ok((scan?, [fg_decoded, bg_decoded]))
    })?;
    let shapes = shapes[0].zip(shapes[1]).map(<[Shape; 2]>::from);
    let run = |scouted, span| ScoutRun { scouted, ms: started.elapsed().as_secs_f64() * 1e3, decoded, span, shapes };
    if let Some(e) = refused {
        return Ok(run(
            Scouted::Unsure { kind: "refused", why: format!("the scout could not take the frames: {e}") },
            None,
        ));
    }
    let (Some(all_pts), Some(time_base)) = (scan, bg_time_base) else {
        let why = "bg's frames cannot be indexed without decoding them (packets without timestamps)".to_string();
        return Ok(run(Scouted::Unsure { kind: "not-indexed", why }, None));
    };
    // bg's extent from its packets: one frame period past the last (the mean period).
    let seconds = |pts: i64| time_base.seconds(pts).unwrap_or(f64::NAN);
    let (first, last) = (seconds(all_pts[0]), seconds(all_pts[all_pts.len() - 1]));
    let period = if all_pts.len() > 1 { (last - first) / (all_pts.len() - 1) as f64 } else { 0.0 };
    if scout.set_bg_extent(first, last + period).is_err() {
        let why = "bg's timestamps do not make a time span".to_string();
        return Ok(run(Scouted::Unsure { kind: "not-indexed", why }, None));
    }
    let report = match scout.finish() {
        Ok(r) => r,
        Err(e) if e.status() == Status::NoMatch => {
            let why = format!("no keyframe of bg showed fg ({e})");
            return Ok(run(Scouted::Unsure { kind: "no-match", why }, None));
        }
        Err(e) => return Err(e),
    };
    Ok(match window_of(&report, &all_pts, time_base) {
        Ok((window, span)) => run(Scouted::Window(window), Some(span)),
        Err(unsure) => run(unsure, None),
    })
}

/// The scout's dense window (`ScoutReport::dense_window`) as frame indices of bg, from its
/// packets' timestamps.
fn window_of(
    report: &ScoutReport,
    all_pts: &[i64],
    time_base: crate::frame::TimeBase,
) -> std::result::Result<(BgWindow, (f64, f64)), Scouted> {
    if let ScoutAnswer::NeedDenser { every_seconds } = &report.answer {
        let why = format!(
            "bg's keyframes are up to {:.1} s apart and none showed fg; a sample every {:.2} s is needed",
            report.largest_gap_seconds, every_seconds
        );
        return Err(Scouted::Unsure { kind: "need-denser", why });
    }
    if report.answer == ScoutAnswer::Unsure {
        let why = format!(
            "no keyframe of bg clearly showed fg (the best scored {:.3}, between a miss and a hit)",
            report.best_score
        );
        return Err(Scouted::Unsure { kind: "weak-match", why });
    }
    let seconds = |pts: i64| time_base.seconds(pts).unwrap_or(f64::NAN);
    let window = report.dense_window().filter(|_| seconds(all_pts[0]).is_finite());
    let Some(DenseWindow { start_seconds: start, end_seconds: end }) = window else {
        return Err(Scouted::Unsure { kind: "no-span", why: "the scout gave no usable span".into() });
    };
    // The last frame at or before the span's start.
    let first_index = all_pts.partition_point(|&p| seconds(p) <= start).saturating_sub(1);
    let last_index = all_pts.partition_point(|&p| seconds(p) <= end).saturating_sub(1);
    let cuts = WindowCuts { start: first_index > 0, end: last_index + 1 < all_pts.len() };
    let spans = report
        .read_spans()
        .iter()
        .map(|span| {
            let first = all_pts.partition_point(|&p| seconds(p) < span.start_seconds).max(first_index);
            let last = all_pts.partition_point(|&p| seconds(p) <= span.end_seconds).saturating_sub(1);
            ((first - first_index) as u32, last.saturating_sub(first_index) as u32)
        })
        .filter(|(a, b)| a <= b)
        .collect();
    Ok((
        BgWindow {
            first_index,
            first_pts: all_pts[first_index],
            end_seconds: end,
            total_frames: all_pts.len(),
            bg_start_seconds: seconds(all_pts[0]),
            cuts,
            expected_pts: all_pts[first_index..].to_vec(),
            spans,
        },
        (start, end),
    ))
}

impl BgWindow {
    /// Whether the one pass over the window saw all of fg's match (`relative`: its alignment,
    /// bg frames numbered from the window's first): the library's check, `window_held_fg`.
    /// Whether bg's frames read from the window's first (`read_pts`) are the frames its
    /// packets name, one for one: the alignment's frames are numbered by them.
    pub fn read_as_packed(&self, read_pts: &[i64]) -> std::result::Result<(), String> {
        match read_pts.iter().zip(&self.expected_pts).position(|(got, want)| got != want) {
            Some(k) => {
                Err(format!("bg frame with pts {} where its packets said {}", read_pts[k], self.expected_pts[k]))
            }
            None if read_pts.len() > self.expected_pts.len() => Err("bg gave more frames than its packets".into()),
            None => Ok(()),
        }
    }

    pub fn held_fg(&self, relative: &Alignment) -> std::result::Result<(), String> {
        window_held_fg(relative, self.cuts)?;
        map_entered_every_span(relative, &self.spans)
    }

    /// A window's alignment with bg's frames numbered from bg's first frame.
    pub fn in_whole_bg(&self, mut relative: Alignment) -> Alignment {
        let shift = self.first_index as u32;
        relative.time.map.iter_mut().for_each(|j| *j += shift);
        relative.bg_frames = self.total_frames;
        if let Some(media) = relative.media.as_mut() {
            media.bg.frames = self.total_frames;
            media.bg.start_seconds = self.bg_start_seconds;
        }
        relative
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ScoutSpan;
    use crate::spatial::Placement;

    fn placement() -> Placement {
        let content = crate::frame::Rect::new(0, 0, 16, 16);
        Placement {
            x: 0,
            y: 0,
            width: 16,
            height: 16,
            scale: 1.0,
            confidence: 1.0,
            content,
            x_subpixel: 0.0,
            y_subpixel: 0.0,
        }
    }

    fn found(spans: Vec<ScoutSpan>) -> ScoutReport {
        let placement = placement();
        ScoutReport {
            answer: ScoutAnswer::Found { placement, spans },
            bg_samples: 30,
            fg_frames: 50,
            largest_gap_seconds: 2.0,
            best_score: 0.99,
        }
    }

    fn span(start: f64, end: f64) -> ScoutSpan {
        ScoutSpan { start_seconds: start, end_seconds: end, hits: 3, best_score: 0.99 }
    }

    #[test]
    fn the_window_in_frame_indices_and_the_ends_it_cuts() {
        // 25 fps from pts 0, 1500 frames.
        let pts: Vec<i64> = (0..1500).collect();
        let tb = crate::frame::TimeBase::new(1, 25);
        let Ok((w, (a, b))) = window_of(&found(vec![span(10.0, 20.0)]), &pts, tb) else { panic!("a window") };
        assert_eq!((w.first_index, w.first_pts, a, b), (250, 250, 10.0, 20.0));
        assert_eq!(w.cuts, WindowCuts { start: true, end: true });
        assert_eq!(w.expected_pts.len(), 1250);
        // A span from before bg's start to past its end cuts nothing.
        let Ok((w, _)) = window_of(&found(vec![span(-3.0, 90.0)]), &pts, tb) else { panic!("a window") };
        assert!(w.cuts == WindowCuts::default() && w.first_index == 0);
        let denser = ScoutReport { answer: ScoutAnswer::NeedDenser { every_seconds: 0.5 }, ..found(vec![]) };
        assert!(matches!(window_of(&denser, &pts, tb), Err(Scouted::Unsure { kind: "need-denser", .. })));
    }

    #[test]
    fn a_window_alignment_is_renumbered_to_the_whole_of_bg() {
        let pts: Vec<i64> = (0..1500).collect();
        let tb = crate::frame::TimeBase::new(1, 25);
        let Ok((w, _)) = window_of(&found(vec![span(10.0, 20.0)]), &pts, tb) else { panic!("a window") };
        let time = crate::temporal::TimeMap { map: vec![3, 4, 5], ..Default::default() };
        let a = Alignment {
            placement: placement(),
            fg_frames: 3,
            bg_frames: 60,
            time,
            media: None,
            placement_approximate: false,
        };
        let whole = w.in_whole_bg(a);
        assert_eq!(whole.time.map, vec![253, 254, 255]);
        assert_eq!(whole.bg_frames, 1500);
    }

    #[test]
    fn frames_read_in_a_window_must_be_the_ones_its_packets_name() {
        let pts: Vec<i64> = (0..1500).collect();
        let tb = crate::frame::TimeBase::new(1, 25);
        let Ok((w, _)) = window_of(&found(vec![span(10.0, 20.0)]), &pts, tb) else { panic!("a window") };
        assert!(w.read_as_packed(&[250, 251, 252]).is_ok());
        // A frame the decoder dropped shifts every later one: not the packets' numbering.
        let e = w.read_as_packed(&[250, 252, 253]).unwrap_err();
        assert!(e.contains("pts 252") && e.contains("said 251"), "{e}");
        let all: Vec<i64> = (250..1500).chain([1500]).collect();
        assert!(w.read_as_packed(&all).is_err());
    }
}
