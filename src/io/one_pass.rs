//! One pass of a file job: both inputs decoded once, in the order the live session asks for
//! them, its composited frames handed to the encoder thread. Like the two passes, a pipeline of
//! threads joined by bounded channels. The live session decides everything; this module only
//! moves frames and writes down its decisions for the report.

use std::thread::ScopedJoinHandle;

use crossbeam::channel::{Receiver, Sender, bounded};

use crate::alignment::Alignment;
use crate::error::{Error, Result, Status};
use crate::frame::{FrameBuf, FrameRef, PixelFormat};
use crate::io::files::{InputFile, InputFrame, OutputFile};
use crate::io::job::{CompJob, JobObserver, JobPath, given_placement};
use crate::io::scouting::{BgWindow, open_bg_window};
use crate::io::threads::{CHANNEL_FRAMES, FrameMessage, ToEncoder, decode_into, encode_from, joined, receive};
use crate::session::{Live, LiveDecision, LiveTimes, Received, Sent, Stream, no_run_matched_nowhere};

/// What the one pass did.
pub struct OnePass {
    pub alignment: Alignment,
    pub decode_ms: f64,
    pub live: LiveTimes,
    pub encode_ms: f64,
    pub decoded: [u64; 2],
}

/// How the one pass ended: done, or fg's start was not within the session's window of bg
/// (nothing was written; two passes may still find it further on), or fg ran to an edge of
/// the scout's window of bg, or bg's frames there did not follow its packets (what was written
/// is not trusted: two passes decide).
pub enum Outcome {
    Done(Box<OnePass>),
    NotInWindow(Error),
    WindowTooNarrow,
}

/// A send to an encoder thread that has ended (its own error says why).
const ENCODER_GONE: &str = "the encoder stopped early";

/// The encoder thread, started at the first composited frame (when bg's shape is known).
struct Encoder<'scope> {
    tx: Sender<ToEncoder>,
    recycle: Receiver<FrameBuf>,
    thread: ScopedJoinHandle<'scope, Result<f64>>,
}

impl<'scope> Encoder<'scope> {
    fn start<'env, O: OutputFile>(s: &'scope std::thread::Scope<'scope, 'env>, output: O) -> Encoder<'scope> {
        let (tx, rx) = bounded(CHANNEL_FRAMES);
        let (recycle_tx, recycle) = bounded(CHANNEL_FRAMES + 2);
        let thread = s.spawn(move || encode_from(output, rx, recycle_tx));
        Encoder { tx, recycle, thread }
    }

    /// Hands a composited frame to the encoder.
    fn send(&self, buf: FrameBuf) -> Result<()> {
        let pts = buf.pts;
        self.tx.send(ToEncoder::Frame(buf, pts)).map_err(|_| Error::Internal(ENCODER_GONE.into()))
    }
}

/// A frame of bg's shape for the session to composite into (no copy: the encoder takes it
/// as it is): the one kept from the last call, one the encoder gave back, or a new one. `None`
/// before bg's first frame, when the session can only ask for frames.
fn output_buffer(live: &Live, encoder: &Option<Encoder<'_>>, kept: &mut Option<FrameBuf>) -> Result<Option<FrameBuf>> {
    let Some(shape) = live.output_shape() else { return Ok(None) };
    let fits = |b: &FrameBuf| (b.format(), b.width(), b.height()) == shape;
    if let Some(b) = kept.take().filter(fits) {
        return Ok(Some(b));
    }
    if let Some(b) = encoder.as_ref().and_then(|e| e.recycle.try_recv().ok()).filter(fits) {
        return Ok(Some(b));
    }
    Ok(Some(FrameBuf::new(shape.0, shape.1, shape.2)?))
}

/// The session's next step: `None` once it composited into `out`, else AGAIN or EOF. Without
/// `out` (bg's shape not known yet) it can only ask for a frame or end.
fn received(live: &mut Live, out: Option<&mut FrameBuf>) -> Result<Option<Received<'static>>> {
    match out {
        Some(buf) => live.receive_into(&mut buf.as_frame_mut()),
        None => match live.receive()? {
            Received::Again(stream) => Ok(Some(Received::Again(stream))),
            Received::Eof => Ok(Some(Received::Eof)),
            Received::Frame(_) => Err(Error::Internal("a composited frame before bg's first frame".into())),
        },
    }
}

/// The decoders' channels, and the frame the session refused (AGAIN), sent again when it asks
/// for that stream.
struct Inputs<F> {
    fg: Receiver<FrameMessage<F>>,
    bg: Receiver<FrameMessage<F>>,
    pending: Option<(Stream, Option<F>)>,
    /// Reading the scout's window: the pts bg's packets said its frames have from there, and
    /// how many came; the first frame that differs (`(got, expected)`) stops the pass.
    bg_expected: Option<(Vec<i64>, usize)>,
    bg_off_packets: Option<(i64, Option<i64>)>,
}

/// The error that stops the one pass when bg's frames do not follow its packets (see
/// `Inputs::next`); the job then reads all of bg in two passes.
const OFF_PACKETS: &str = "bg's frames do not follow its packets";

impl<F: InputFrame> Inputs<F> {
    fn new(fg: Receiver<FrameMessage<F>>, bg: Receiver<FrameMessage<F>>, window: Option<&BgWindow>) -> Inputs<F> {
        let bg_expected = window.map(|w| (w.expected_pts.clone(), 0));
        Inputs { fg, bg, pending: None, bg_expected, bg_off_packets: None }
    }

    /// The next frame of `stream` (`None` at its end): the refused one, or a new one. In the
    /// scout's window, each bg frame must have the pts its packet had: the alignment numbers bg
    /// frames by the packets, so a frame the decoder dropped or added would shift every later
    /// one.
    fn next(&mut self, stream: Stream) -> Result<Option<F>> {
        match self.pending.take() {
            Some((s, f)) if s == stream => Ok(f),
            other => {
                self.pending = other;
                let frame = receive(if stream == Stream::Fg { &self.fg } else { &self.bg })?;
                if stream == Stream::Bg
                    && let (Some(f), Some((expected, seen))) = (&frame, self.bg_expected.as_mut())
                {
                    let (got, want) = (f.as_frame().pts, expected.get(*seen).copied());
                    if want != Some(got) {
                        self.bg_off_packets = Some((got, want));
                        return Err(Error::Internal(OFF_PACKETS.into()));
                    }
                    *seen += 1;
                }
                Ok(frame)
            }
        }
    }

    fn refused(&mut self, stream: Stream, frame: Option<F>) -> Result<()> {
        match self.pending.replace((stream, frame)) {
            Some(other) => {
                Err(Error::Internal(format!("the live session refused both streams ({} held)", other.0.name())))
            }
            None => Ok(()),
        }
    }
}

/// The live session of a job, with its log lines collected (the start analyses tell where the
/// placement came from) for the observer at the end.
fn live_session(job: &CompJob) -> (Live, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let mut settings = job.settings.clone();
    // --path auto can run two passes instead: one window of bg without fg's start says the
    // one pass would slide a full analysis along bg (17 of them for fg 8 s into a 30 s bg,
    // 58 s against 4 s for the two passes), and a pair that does not match is refused by
    // the two passes' analysis at once.
    if job.path == JobPath::Auto && settings.live_start_windows == 0 {
        settings.live_start_windows = AUTO_START_WINDOWS;
    }
    let mut live = Live::new(settings);
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let teller = std::sync::Arc::clone(&told);
    live.set_log(Some(Box::new(move |_, line: &str| {
        if let Ok(mut lines) = teller.lock() {
            lines.push(line.to_string());
        }
    })));
    (live, told)
}

/// Failed start analyses after which `--path auto` runs two passes instead.
const AUTO_START_WINDOWS: u32 = 1;

/// The one pass: `create` makes the output at the first composited frame, from bg's shape.
/// With a `window` (the scout's), bg is read only there and the alignment's bg frames are
/// still numbered from bg's first frame.
pub fn composite<I: InputFile, O: OutputFile>(
    job: &CompJob,
    observer: &mut dyn JobObserver,
    window: Option<&BgWindow>,
    create: impl FnOnce((u32, u32, PixelFormat)) -> Result<O>,
) -> Result<Outcome> {
    let fg = I::open(&job.fg)?;
    let (bg, first_bg) = open_bg_window::<I>(job, window, |_| {})?;
    let until = window.map(|w| w.end_seconds);
    let (mut live, told) = live_session(job);
    live.set_start_scouted(window.is_some())?;
    let mut decisions: Vec<LiveDecision> = Vec::new();
    std::thread::scope(|s| {
        let (fg_tx, fg_rx) = bounded::<FrameMessage<I::Frame>>(CHANNEL_FRAMES);
        let (bg_tx, bg_rx) = bounded::<FrameMessage<I::Frame>>(CHANNEL_FRAMES);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx, None));
        let bg_thread = s.spawn(move || decode_into(bg, first_bg, bg_tx, until));
        let mut inputs = Inputs::new(fg_rx, bg_rx, window);
        let mut encoder: Option<Encoder<'_>> = None;
        let mut create = Some(create);
        let mut start_encoder = |shape| -> Result<Encoder<'_>> {
            Ok(Encoder::start(s, create.take().ok_or_else(|| Error::Internal("output made twice".into()))?(shape)?))
        };
        let result = drive(job, &mut live, &mut inputs, &mut encoder, &mut start_encoder, &mut decisions, observer);
        for line in told.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default() {
            observer.status(&line);
        }
        let off_packets = inputs.bg_off_packets;
        drop(inputs);
        let (fg_ms, fg_decoded) = joined(fg_thread)?;
        let (bg_ms, bg_decoded) = joined(bg_thread)?;
        if let Some((got, want)) = off_packets {
            // What was written is let go; the two passes write the output again.
            if let Some(Encoder { tx, thread, .. }) = encoder {
                drop(tx);
                let _ = joined(thread)?;
            }
            let want = want.map_or("none".to_string(), |p| p.to_string());
            observer.status(&format!("one pass: bg frame with pts {got} where its packets said {want}"));
            return Ok(Outcome::WindowTooNarrow);
        }
        // In a window the scout cut from bg, a refusal may be the window's (fg lies partly
        // beyond it, where a keyframe's lookalike misled the scout): the two passes decide.
        let cut = window.is_some_and(|w| w.cuts.start || w.cuts.end);
        let refused_in_cut =
            |r: &Result<Option<Error>>| cut && r.as_ref().is_err_and(|e| e.status() == Status::NoMatch);
        // A session that cannot follow fg once its output began (its pictures at another
        // speed than its timestamps): what was written is let go, and the two passes decide.
        let cannot_follow = |r: &Result<Option<Error>>| r.as_ref().is_err_and(|e| e.status() == Status::Unsupported);
        if refused_in_cut(&result) || cannot_follow(&result) {
            if let Some(Encoder { tx, thread, .. }) = encoder {
                drop(tx);
                let _ = joined(thread);
            }
            let why = result.err().map_or(String::new(), |e| e.to_string());
            observer.status(&format!("one pass: {why}"));
            return Ok(Outcome::WindowTooNarrow);
        }
        let encode_ms = match encoder {
            Some(Encoder { tx, thread, .. }) => {
                drop(tx);
                // The encoder's own error (a full disk, say) explains a send to it that failed
                // best; otherwise the session's (its end verdict, say) explains why the encoder
                // was never told to finish.
                let encoded = joined(thread)?;
                match (result, encoded) {
                    (Err(Error::Internal(m)), Err(enc)) if m == ENCODER_GONE => return Err(enc),
                    (Err(e), _) => return Err(e),
                    (Ok(_), Err(enc)) => return Err(enc),
                    (Ok(Some(e)), Ok(_)) => {
                        return Err(Error::Internal(format!("the one pass ended after its output began: {e}")));
                    }
                    (Ok(None), Ok(ms)) => ms,
                }
            }
            None => match result? {
                Some(not_found) => return Ok(Outcome::NotInWindow(not_found)),
                None => return Err(Error::Internal("the one pass ended without output".into())),
            },
        };
        observer.status(&summary(&live));
        let alignment = live.alignment_of(&decisions)?;
        // Without a scout's window the pass read bg from its start and cut nothing; a long run
        // of fg matched nowhere may still lie in bg the session no longer holds.
        let held = match window {
            Some(w) => w.held_fg(&alignment),
            None => no_run_matched_nowhere(&alignment),
        };
        if let Err(why) = held {
            observer.status(&format!("one pass: {why}"));
            return Ok(Outcome::WindowTooNarrow);
        }
        let alignment = match window {
            Some(w) => w.in_whole_bg(alignment),
            None => alignment,
        };
        Ok(Outcome::Done(Box::new(OnePass {
            alignment,
            decode_ms: fg_ms + bg_ms,
            live: live.times(),
            encode_ms,
            decoded: [fg_decoded, bg_decoded],
        })))
    })
}

/// Moves frames between the decoders, the session and the encoder until the session's end:
/// `Some(NO_MATCH)` when fg's start was not within the session's window (nothing written).
fn drive<'scope, F: InputFrame>(
    job: &CompJob,
    live: &mut Live,
    inputs: &mut Inputs<F>,
    encoder: &mut Option<Encoder<'scope>>,
    start_encoder: &mut dyn FnMut((u32, u32, PixelFormat)) -> Result<Encoder<'scope>>,
    decisions: &mut Vec<LiveDecision>,
    observer: &mut dyn JobObserver,
) -> Result<Option<Error>> {
    // fg's first frame first: a given placement is sized from it.
    let first = inputs.next(Stream::Fg)?;
    if let (Some(f), Some(given)) = (&first, job.placement) {
        let view = f.as_frame();
        live.set_placement(given_placement(given, view.width(), view.height()))?;
    }
    inputs.refused(Stream::Fg, first)?;
    let mut kept: Option<FrameBuf> = None;
    loop {
        // NO_MATCH before the lock: fg's start was not within the window; UNSUPPORTED: the
        // window does not fit the session's memory budget at these frame sizes.
        let seeking = !live.status().locked;
        let no_match_while_seeking = |e: &Error| seeking && matches!(e.status(), Status::NoMatch | Status::Unsupported);
        let mut out = output_buffer(live, encoder, &mut kept)?;
        match received(live, out.as_mut()) {
            Err(e) if no_match_while_seeking(&e) => return Ok(Some(e)),
            Err(e) => return Err(e),
            Ok(None) => {
                let mut buf = out.take().ok_or_else(|| Error::Internal("no frame was written".into()))?;
                (buf.pts, buf.time_base) =
                    live.last_pts().ok_or_else(|| Error::Internal("a frame without pts".into()))?;
                let enc = match encoder {
                    Some(enc) => enc,
                    None => encoder.insert(start_encoder((buf.width(), buf.height(), buf.format()))?),
                };
                enc.send(buf)?;
                decisions.push(live.last_decision().expect("a frame came out"));
                if decisions.len().is_multiple_of(10) {
                    observer.progress("one pass", decisions.len(), None);
                }
            }
            Ok(Some(Received::Again(stream))) => {
                kept = out;
                let frame = inputs.next(stream)?;
                let view: Option<FrameRef<'_>> = frame.as_ref().map(InputFrame::as_frame);
                // The window slides as bg comes: NO_MATCH may come from a send too.
                match live.send(stream, view.as_ref()) {
                    Err(e) if no_match_while_seeking(&e) => return Ok(Some(e)),
                    Err(e) => return Err(e),
                    Ok(Sent::Again) => inputs.refused(stream, frame)?,
                    Ok(Sent::Accepted) => {}
                }
            }
            Ok(Some(Received::Frame(_))) => return Err(Error::Internal("receive_into lent a frame".into())),
            Ok(Some(Received::Eof)) => {
                observer.progress("one pass", decisions.len(), Some(decisions.len()));
                if let Some(enc) = encoder {
                    let _ = enc.tx.send(ToEncoder::Finish);
                }
                return Ok(None);
            }
        }
    }
}

/// What the session did, for the observer.
fn summary(live: &Live) -> String {
    let st = live.status();
    format!(
        "one pass: {} fg and {} bg frames in, {} out ({} outside bg); {} start windows ({} ruled out by the scout), {} bg frames before fg's start dropped; {} matches moved a frame by the full-resolution pictures",
        st.fg_received,
        st.bg_received,
        st.output,
        st.outside,
        st.start_attempts,
        st.sure_misses,
        st.bg_dropped,
        st.picture_moves
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::TimeBase;

    fn frame(pts: i64) -> FrameBuf {
        let mut f = FrameBuf::new(PixelFormat::Gray8, 2, 2).unwrap();
        (f.pts, f.time_base) = (pts, TimeBase::new(1, 25));
        f
    }

    #[test]
    fn a_bg_frame_off_its_packets_stops_the_pass_and_says_which() {
        let (fg_tx, fg_rx) = bounded(4);
        let (bg_tx, bg_rx) = bounded(4);
        let mut inputs = Inputs::<FrameBuf>::new(fg_rx, bg_rx, None);
        inputs.bg_expected = Some((vec![10, 11, 12], 0));
        for pts in [10, 11, 13] {
            bg_tx.send(Ok(frame(pts))).unwrap();
        }
        fg_tx.send(Ok(frame(0))).unwrap();
        assert_eq!(inputs.next(Stream::Bg).unwrap().unwrap().pts, 10);
        // A frame sent again after AGAIN is not counted twice.
        let again = inputs.next(Stream::Bg).unwrap();
        inputs.refused(Stream::Bg, again).unwrap();
        assert_eq!(inputs.next(Stream::Fg).unwrap().unwrap().pts, 0);
        assert_eq!(inputs.next(Stream::Bg).unwrap().unwrap().pts, 11);
        assert!(inputs.next(Stream::Bg).is_err());
        assert_eq!(inputs.bg_off_packets, Some((13, Some(12))));
    }
}
