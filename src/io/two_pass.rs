//! The two passes of a file job, over any input and output format. Pass 1 pushes both inputs'
//! frames into an [`Analyzer`] by time, each decoded once; the analyzer finds the placement
//! itself (unless the user gave one) and asks for the few frames it checks it on through
//! `InputFrames`, which decodes forward (or seeks) to them. Pass 2 sends what the
//! [`Compositor`] asks for, bg from the first frame it needs (and again from an earlier frame
//! where fg's shots go back in bg), and hands each composited frame to the output.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::ScopedJoinHandle;
use std::time::Instant;

use crossbeam::channel::{Receiver, bounded};

use crate::alignment::Alignment;
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameRef, PixelFormat};
use crate::io::files::{InputFile, InputFrame, OutputFile};
use crate::io::job::{CompJob, JobObserver, given_placement};
use crate::io::report::FramesDecoded;
use crate::io::scouting::{BgWindow, open_at_pts, open_bg_window};
use crate::io::threads::{
    CHANNEL_FRAMES, FrameMessage, ToEncoder, decode_into, encode_from, joined, receive, seconds_of, thread_lost,
};
use crate::session::analyzer::{FrameProvider, StageTimes};
use crate::session::{Analyzer, Compositor, Received, Sent, Stream};

/// What pass 1 learned: the alignment, each frame's pts (to find frames again), and costs.
pub struct Pass1 {
    pub alignment: Alignment,
    pub fg_pts: Vec<i64>,
    pub bg_pts: Vec<i64>,
    /// bg was read from a window after its first frame (frame 0 is the window's first).
    pub bg_windowed: bool,
    pub decode_ms: f64,
    pub analyze_ms: f64,
    /// The analyzer's own stages, parts of `analyze_ms`.
    pub stages: StageTimes,
    /// Frames decoded for the analysis and for the analyzer's placement check, `[fg, bg]`.
    pub decoded: [u64; 2],
    pub check_decoded: [u64; 2],
}

/// What pass 2 cost.
pub struct Pass2 {
    pub decode_ms: f64,
    pub compose_ms: f64,
    pub encode_ms: f64,
    pub decoded: [u64; 2],
}

impl Pass1 {
    /// Frames decoded by both passes.
    pub fn frames_decoded(&self, pass2: Option<&Pass2>) -> FramesDecoded {
        FramesDecoded {
            analysis: self.decoded,
            placement_check: self.check_decoded,
            composite: pass2.map_or([0, 0], |p| p.decoded),
            one_pass: [0, 0],
            scout: [0, 0],
        }
    }
}

/// What pass 1 pushed of one stream: every frame's pts, and which frames decode alone.
#[derive(Default)]
struct Pushed {
    pts: Vec<i64>,
    /// Indices of the keyframes, ascending.
    keys: Vec<usize>,
}

impl Pushed {
    fn push(&mut self, pts: i64, key: bool) {
        if key {
            self.keys.push(self.pts.len());
        }
        self.pts.push(pts);
    }

    /// The last keyframe at or before frame `index`.
    fn key_before(&self, index: usize) -> Option<usize> {
        let after = self.keys.partition_point(|&k| k <= index);
        after.checked_sub(1).map(|k| self.keys[k])
    }
}

type PushedStreams = Arc<Mutex<[Pushed; 2]>>;

/// Frames the analyzer asks for, read again from the files: each file opened once for all
/// requests, decoded forward to each frame (seeking when the frame lies behind, or a keyframe
/// lies between).
struct InputFrames<I: InputFile> {
    readers: [ForwardReader<I>; 2],
    /// What pass 1 pushed, filled as it goes.
    pushed: PushedStreams,
    decoded: Arc<Mutex<[u64; 2]>>,
}

impl<I: InputFile> InputFrames<I> {
    fn new(fg: &Path, bg: &Path, pushed: PushedStreams, decoded: Arc<Mutex<[u64; 2]>>) -> InputFrames<I> {
        InputFrames { readers: [ForwardReader::new(fg), ForwardReader::new(bg)], pushed, decoded }
    }

    fn frame(&mut self, stream: Stream, index: usize) -> Result<Option<FrameBuf>> {
        let (pts, key_pts) = {
            let pushed = &self.pushed.lock().map_err(|_| thread_lost())?[stream as usize];
            let pts_of = |k: usize| pushed.pts.get(k).copied();
            (pts_of(index), pushed.key_before(index).and_then(pts_of))
        };
        let reader = &mut self.readers[stream as usize];
        let before = reader.frames_decoded();
        let frame = pts.map_or(Ok(None), |p| reader.frame_at(p, key_pts));
        self.decoded.lock().map_err(|_| thread_lost())?[stream as usize] += reader.frames_decoded() - before;
        frame
    }
}

impl<I: InputFile> FrameProvider for InputFrames<I> {
    fn frames(&mut self, wanted: &[(Stream, usize)]) -> Vec<Option<FrameBuf>> {
        // A frame that cannot be read again: the analyzer works from what it kept.
        wanted.iter().map(|&(stream, index)| self.frame(stream, index).unwrap_or(None)).collect()
    }

    fn decode_cost(&self, stream: Stream, index: usize) -> Option<u64> {
        let pushed = self.pushed.lock().ok()?;
        pushed[stream as usize].key_before(index).map(|k| (index - k) as u64)
    }
}

/// Reads frames by pts, decoding forward when the next one lies ahead with no keyframe
/// between, and seeking otherwise.
struct ForwardReader<I: InputFile> {
    path: PathBuf,
    input: Option<I>,
    last_pts: Option<i64>,
    /// Frames decoded by inputs already closed.
    closed_decoded: u64,
}

impl<I: InputFile> ForwardReader<I> {
    fn new(path: &Path) -> ForwardReader<I> {
        ForwardReader { path: path.to_path_buf(), input: None, last_pts: None, closed_decoded: 0 }
    }

    fn frames_decoded(&self) -> u64 {
        self.closed_decoded + self.input.as_ref().map_or(0, I::frames_decoded)
    }

    /// The frame of `pts`; `key_pts`, the keyframe at or before it, when known: past the
    /// last frame read, seeking there decodes fewer frames than reading on.
    fn frame_at(&mut self, pts: i64, key_pts: Option<i64>) -> Result<Option<FrameBuf>> {
        let copy = |f: &I::Frame| FrameBuf::from_frame(&f.as_frame()).map_err(Error::from);
        if let (Some(input), Some(last)) = (self.input.as_mut(), self.last_pts)
            && last < pts
            && key_pts.is_none_or(|k| k <= last)
        {
            while let Some(f) = input.next_frame()? {
                let p = f.as_frame().pts;
                self.last_pts = Some(p);
                if p == pts {
                    return copy(&f).map(Some);
                }
                if p > pts {
                    break;
                }
            }
        }
        if self.input.is_none() {
            self.input = Some(I::open(&self.path)?);
        }
        let input = self.input.as_mut().expect("opened above");
        if let Some(f) = input.seek_to_frame(pts)? {
            self.last_pts = Some(f.as_frame().pts);
            return copy(&f).map(Some);
        }
        // Cannot seek there: read from the start.
        self.close();
        let mut fresh = I::open(&self.path)?;
        while let Some(f) = fresh.next_frame()? {
            if f.as_frame().pts == pts {
                self.last_pts = Some(pts);
                self.input = Some(fresh);
                return copy(&f).map(Some);
            }
        }
        self.closed_decoded += fresh.frames_decoded();
        Ok(None)
    }

    fn close(&mut self) {
        if let Some(input) = self.input.take() {
            self.closed_decoded += input.frames_decoded();
        }
        self.last_pts = None;
    }
}

/// Pass 1: both inputs decoded once, pushed by time into the analyzer, which finds (or takes
/// the job's) placement and the time map. With a `window` (the scout's), bg is read only
/// there, and the alignment's bg frames are numbered from the window's first.
pub fn analyze<I: InputFile>(
    job: &CompJob,
    observer: &mut dyn JobObserver,
    window: Option<&BgWindow>,
) -> Result<Pass1> {
    let mut fg = I::open(&job.fg)?;
    fg.for_analysis();
    let (bg, first_bg) = open_bg_window::<I>(job, window, I::for_analysis)?;
    let until = window.map(|w| w.end_seconds);
    let mut analyzer = Analyzer::new(job.settings.clone());
    // What the analyzer tells (where the placement came from, how it was checked), passed on
    // to the observer once it returns.
    let told = Arc::new(Mutex::new(Vec::<String>::new()));
    let teller = Arc::clone(&told);
    analyzer.set_log(Some(Box::new(move |_, line: &str| {
        if let Ok(mut lines) = teller.lock() {
            lines.push(line.to_string());
        }
    })));
    let pushed: PushedStreams = Arc::default();
    let check_decoded = Arc::new(Mutex::new([0u64; 2]));
    if job.placement.is_none() {
        let frames = InputFrames::<I>::new(&job.fg, &job.bg, Arc::clone(&pushed), Arc::clone(&check_decoded));
        analyzer.set_frame_provider(Some(Box::new(frames)));
    }
    let mut analyze_ms = 0.0;
    std::thread::scope(|s| {
        let (fg_tx, fg_rx) = bounded(CHANNEL_FRAMES);
        let (bg_tx, bg_rx) = bounded(CHANNEL_FRAMES);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx, None));
        let bg_thread = s.spawn(move || decode_into(bg, first_bg, bg_tx, until));
        let mut run = || -> Result<()> {
            let rx = [&fg_rx, &bg_rx];
            let mut next = [receive(rx[0])?, receive(rx[1])?];
            if let (Some(given), Some(first)) = (job.placement, &next[0]) {
                let f = first.as_frame();
                analyzer.set_placement(given_placement(given, f.width(), f.height()))?;
            }
            let mut count = 0usize;
            // Frames go in by time, as a player would show them.
            while next[0].is_some() || next[1].is_some() {
                let t = [0, 1].map(|k| next[k].as_ref().map_or(f64::INFINITY, seconds_of));
                let k = if t[0] <= t[1] { 0 } else { 1 };
                let frame = next[k].take().expect("chosen because it is there");
                let view = frame.as_frame();
                pushed.lock().map_err(|_| thread_lost())?[k].push(view.pts, frame.is_key());
                let started = Instant::now();
                analyzer.push([Stream::Fg, Stream::Bg][k], Some(&view))?;
                analyze_ms += started.elapsed().as_secs_f64() * 1e3;
                drop(frame);
                next[k] = receive(rx[k])?;
                count += 1;
                if count.is_multiple_of(10) {
                    observer.progress("analyze", count, None);
                }
            }
            observer.progress("analyze", count, Some(count));
            Ok(())
        };
        let result = run();
        // On an error the decoders stop at their next send.
        drop((fg_rx, bg_rx));
        let (fg_ms, fg_decoded) = joined(fg_thread)?;
        let (bg_ms, bg_decoded) = joined(bg_thread)?;
        result?;
        let started = Instant::now();
        let finished = analyzer.finish();
        analyze_ms += started.elapsed().as_secs_f64() * 1e3;
        for line in told.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default() {
            observer.status(&line);
        }
        let alignment = finished?;
        let [fg, bg] = std::mem::take(&mut *pushed.lock().map_err(|_| thread_lost())?);
        let (fg_pts, bg_pts) = (fg.pts, bg.pts);
        let check_decoded = *check_decoded.lock().map_err(|_| thread_lost())?;
        Ok(Pass1 {
            alignment,
            fg_pts,
            bg_pts,
            bg_windowed: window.is_some_and(|w| w.first_index > 0),
            decode_ms: fg_ms + bg_ms,
            analyze_ms,
            stages: analyzer.stage_times(),
            decoded: [fg_decoded, bg_decoded],
            check_decoded,
        })
    })
}

/// bg opened at frame `index` of what pass 1 read (`open_at_pts`), the input, that frame and
/// its index; bg's first frame without seeking when pass 1 read bg from it.
fn open_bg_from<I: InputFile>(job: &CompJob, pass: &Pass1, index: usize) -> Result<(I, I::Frame, usize)> {
    let no_frames = || Error::InvalidData(format!("{}: no video frames", job.bg.display()));
    if index == 0 && !pass.bg_windowed {
        let mut bg = I::open(&job.bg)?;
        let first = bg.next_frame()?.ok_or_else(no_frames)?;
        return Ok((bg, first, 0));
    }
    let pts = *pass.bg_pts.get(index).ok_or_else(no_frames)?;
    let (bg, frame) = open_at_pts::<I>(&job.bg, pts, |_| {})?.ok_or_else(no_frames)?;
    // Read forward (no seeking), the frame found is pass 1's only if nothing was dropped.
    if frame.as_frame().pts != pts {
        return Err(Error::InvalidData(format!(
            "{}: bg's frame of pts {pts} was not found again (pass 1 read it)",
            job.bg.display()
        )));
    }
    Ok((bg, frame, index))
}

/// bg opened at the first frame the compositor needs, and that frame.
fn open_bg_at<I: InputFile>(job: &CompJob, pass: &Pass1, compositor: &mut Compositor) -> Result<(I, I::Frame)> {
    let (bg, first, start) = open_bg_from::<I>(job, pass, compositor.first_needed_bg())?;
    if start > 0 {
        compositor.start_bg_at(start)?;
    }
    Ok((bg, first))
}

/// bg's decoder thread in pass 2. Where the map goes back in bg (fg's shots in another order),
/// it is replaced by one reading from the frame the compositor needs.
struct BgFeed<'scope, F> {
    rx: Receiver<FrameMessage<F>>,
    thread: ScopedJoinHandle<'scope, (f64, u64)>,
    /// Milliseconds and frames of the decoders replaced so far.
    replaced: (f64, u64),
}

impl<'scope, F: InputFrame> BgFeed<'scope, F> {
    fn start<'env, I: InputFile<Frame = F>>(s: &'scope std::thread::Scope<'scope, 'env>, input: I, first: F) -> Self {
        let (tx, rx) = bounded(CHANNEL_FRAMES);
        let thread = s.spawn(move || decode_into(input, Some(first), tx, None));
        BgFeed { rx, thread, replaced: (0.0, 0) }
    }

    /// Stops the current decoder and starts `input` from `first`.
    fn restart<'env, I: InputFile<Frame = F>>(
        &mut self,
        s: &'scope std::thread::Scope<'scope, 'env>,
        input: I,
        first: F,
    ) -> Result<()> {
        let replaced = self.replaced;
        let old = std::mem::replace(self, BgFeed::start(s, input, first));
        drop(old.rx);
        let (ms, decoded) = joined(old.thread)?;
        self.replaced = (replaced.0 + ms, replaced.1 + decoded);
        Ok(())
    }

    /// Milliseconds decoding and frames decoded, over every decoder.
    fn finish(self) -> Result<(f64, u64)> {
        drop(self.rx);
        let (ms, decoded) = joined(self.thread)?;
        Ok((self.replaced.0 + ms, self.replaced.1 + decoded))
    }
}

/// Pass 2: the composite of every fg frame onto its bg frame, written by `create`'s output
/// (given bg's shape).
pub fn compose<I: InputFile, O: OutputFile>(
    job: &CompJob,
    pass: &Pass1,
    create: impl FnOnce((u32, u32, PixelFormat)) -> Result<O>,
    observer: &mut dyn JobObserver,
) -> Result<Pass2> {
    let mut compositor = Compositor::new(pass.alignment.clone(), &job.settings)?;
    let fg = I::open(&job.fg)?;
    let (bg, first_bg) = open_bg_at::<I>(job, pass, &mut compositor)?;
    let shape = {
        let f = first_bg.as_frame();
        (f.width(), f.height(), f.format())
    };
    let output = create(shape)?;
    let total = pass.alignment.fg_frames;
    let mut compose_ms = 0.0;
    std::thread::scope(|s| {
        let (fg_tx, fg_rx) = bounded(CHANNEL_FRAMES);
        let (enc_tx, enc_rx) = bounded(CHANNEL_FRAMES);
        let (recycle_tx, recycle_rx) = bounded(CHANNEL_FRAMES + 2);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx, None));
        let mut bg_feed = BgFeed::start(s, bg, first_bg);
        let enc_thread = s.spawn(move || encode_from(output, enc_rx, recycle_tx));
        // Not `Compositor::run`: its sink borrows the compositor's own output frame, which
        // would have to be copied to cross to the encoder thread. Here each frame is composited
        // straight into a buffer the encoder thread owns next and then hands back for reuse.
        let mut run = || -> Result<bool> {
            let mut spare: Option<FrameBuf> = None;
            // A frame `send` answered AGAIN to (it follows one the decoder lost): sent again
            // after the next composited frame.
            let mut pending: Option<(Stream, Option<I::Frame>)> = None;
            let mut written = 0usize;
            loop {
                let mut buf = match spare.take().or_else(|| recycle_rx.try_recv().ok()) {
                    Some(b) => b,
                    None => FrameBuf::new(shape.2, shape.0, shape.1)?,
                };
                let started = Instant::now();
                let outcome = compositor.receive_into(&mut buf.as_frame_mut());
                compose_ms += started.elapsed().as_secs_f64() * 1e3;
                match outcome? {
                    None => {
                        let (pts, _) = compositor.last_pts().expect("a frame was just composited");
                        if enc_tx.send(ToEncoder::Frame(buf, pts)).is_err() {
                            return Ok(false);
                        }
                        written += 1;
                        if written.is_multiple_of(5) {
                            observer.progress("compose", written, Some(total));
                        }
                        if let Some((stream, frame)) = pending.take() {
                            let view: Option<FrameRef<'_>> = frame.as_ref().map(InputFrame::as_frame);
                            if compositor.send(stream, view.as_ref())? == Sent::Again {
                                pending = Some((stream, frame));
                            }
                        }
                    }
                    Some(Received::Again(stream)) => {
                        spare = Some(buf);
                        if stream == Stream::Bg
                            && let Some(need) = compositor.bg_rewind()
                        {
                            let (input, first, start) = open_bg_from::<I>(job, pass, need)?;
                            compositor.seek_bg(start)?;
                            bg_feed.restart(s, input, first)?;
                        }
                        let rx = if stream == Stream::Fg { &fg_rx } else { &bg_feed.rx };
                        let frame = receive(rx)?;
                        let view: Option<FrameRef<'_>> = frame.as_ref().map(InputFrame::as_frame);
                        let started = Instant::now();
                        let sent = compositor.send(stream, view.as_ref())?;
                        compose_ms += started.elapsed().as_secs_f64() * 1e3;
                        if sent == Sent::Again {
                            pending = Some((stream, frame));
                        }
                    }
                    Some(Received::Eof) | Some(Received::Frame(_)) => {
                        observer.progress("compose", written, Some(total));
                        return Ok(enc_tx.send(ToEncoder::Finish).is_ok());
                    }
                }
            }
        };
        let result = run();
        let stats = compositor.stats();
        if stats != Default::default() {
            observer.status(&format!(
                "pass 2 frames found by pts: fg {} lost, {} repeated; bg {} lost, {} repeated; {} fg frames over the bg frame before a lost one",
                stats.fg_missing, stats.fg_repeated, stats.bg_missing, stats.bg_repeated, stats.bg_stand_ins
            ));
        }
        drop((fg_rx, enc_tx));
        let (fg_ms, fg_decoded) = joined(fg_thread)?;
        let (bg_ms, bg_decoded) = bg_feed.finish()?;
        // The encoder's own error (a full disk, say) explains a refused send best.
        let encoded = joined(enc_thread)?;
        let finished = result?;
        let encode_ms = encoded?;
        if !finished {
            return Err(Error::Internal("the encoder stopped early".into()));
        }
        Ok(Pass2 { decode_ms: fg_ms + bg_ms, compose_ms, encode_ms, decoded: [fg_decoded, bg_decoded] })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyframe_before_a_frame_is_found_from_what_pass_one_pushed() {
        let mut pushed = Pushed::default();
        for (k, key) in [true, false, false, true, false].into_iter().enumerate() {
            pushed.push(100 + k as i64, key);
        }
        assert_eq!(pushed.pts, vec![100, 101, 102, 103, 104]);
        assert_eq!([0, 2, 3, 4, 9].map(|k| pushed.key_before(k)), [Some(0), Some(0), Some(3), Some(3), Some(3)]);
        assert_eq!(Pushed::default().key_before(0), None);
    }
}
