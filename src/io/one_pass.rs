//! One pass of a file job: both inputs decoded once, in the order the live session asks for
//! them, its composited frames handed to the encoder thread. Like the two passes, a pipeline of
//! threads joined by bounded channels. The live session decides everything; this module only
//! moves frames and writes down its decisions for the report.

use std::thread::ScopedJoinHandle;

use crossbeam::channel::{Receiver, Sender, bounded};

use crate::alignment::Alignment;
use crate::error::{Error, Result, Status};
use crate::frame::{FrameBuf, FrameRef, PixelFormat};
use crate::io::job::{CompJob, JobObserver, given_placement};
use crate::io::pipeline::{
    CHANNEL_FRAMES, FrameMessage, InputFile, InputFrame, OutputFile, ToEncoder, decode_into, encode_from, joined,
    receive,
};
use crate::session::{Live, LiveDecision, LiveTimes, Received, Sent, Stream};
use crate::temporal::TimeMap;

/// What the one pass did.
pub struct OnePass {
    pub alignment: Alignment,
    pub decode_ms: f64,
    pub live: LiveTimes,
    pub encode_ms: f64,
    pub decoded: [u64; 2],
}

/// How the one pass ended: done, or fg's start was not within the session's window of bg
/// (nothing was written; two passes may still find it further on).
pub enum Outcome {
    Done(Box<OnePass>),
    NotInWindow(Error),
}

/// The encoder thread, started at the first composited frame (when bg's shape is known).
struct Encoder<'scope> {
    tx: Sender<ToEncoder>,
    recycle: Receiver<FrameBuf>,
    thread: ScopedJoinHandle<'scope, Result<f64>>,
}

/// What the session's decisions say, for the report: fg frame `k`'s decision is `decisions[k]`.
fn alignment_of(live: &Live, decisions: &[LiveDecision], fg_start_seconds: f64) -> Result<Alignment> {
    let placement = *live.placement().ok_or_else(|| Error::Internal("frames came out before the lock".into()))?;
    let n = decisions.len();
    let outside: Vec<u32> = decisions.iter().filter(|d| d.outside).map(|d| d.fg_index as u32).collect();
    let confidence: Vec<f32> = decisions.iter().map(|d| d.confidence).collect();
    let matched = n - outside.len();
    let overall_confidence =
        if matched == 0 { 0.0 } else { confidence.iter().map(|&c| c as f64).sum::<f64>() / matched as f64 };
    Ok(Alignment {
        placement,
        fg_frames: n,
        bg_frames: live.status().bg_received,
        time: TimeMap {
            map: decisions.iter().map(|d| d.bg_index as u32).collect(),
            outside,
            cost: decisions.iter().map(|d| d.cost).collect(),
            confidence,
            overall_confidence,
            offset_seconds: live.bg_minus_fg_seconds().unwrap_or(0.0) + fg_start_seconds,
            rate: live.rate(),
        },
        media: None,
    })
}

/// The one pass: `create` makes the output at the first composited frame, from bg's shape.
pub fn composite<I: InputFile, O: OutputFile>(
    job: &CompJob,
    observer: &mut dyn JobObserver,
    create: impl FnOnce((u32, u32, PixelFormat)) -> Result<O>,
) -> Result<Outcome> {
    let (fg, bg) = (I::open(&job.fg)?, I::open(&job.bg)?);
    let mut live = Live::new(job.settings.clone());
    // What the start analyses tell, passed on to the observer at the end.
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let teller = std::sync::Arc::clone(&told);
    live.set_log(Some(Box::new(move |_, line: &str| {
        if let Ok(mut lines) = teller.lock() {
            lines.push(line.to_string());
        }
    })));
    let mut decisions: Vec<LiveDecision> = Vec::new();
    let mut fg_start_seconds = 0.0;
    std::thread::scope(|s| {
        let (fg_tx, fg_rx) = bounded::<FrameMessage<I::Frame>>(CHANNEL_FRAMES);
        let (bg_tx, bg_rx) = bounded::<FrameMessage<I::Frame>>(CHANNEL_FRAMES);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx));
        let bg_thread = s.spawn(move || decode_into(bg, None, bg_tx));
        let mut encoder: Option<Encoder<'_>> = None;
        let mut create = Some(create);
        let mut run = || -> Result<Option<Error>> {
            // fg's first frame first: a given placement is sized from it.
            let first = receive(&fg_rx)?;
            if let Some(f) = &first {
                let view = f.as_frame();
                fg_start_seconds = view.seconds().unwrap_or(0.0);
                if let Some(given) = job.placement {
                    live.set_placement(given_placement(given, view.width(), view.height()))?;
                }
            }
            let mut pending: Option<(Stream, Option<I::Frame>)> = Some((Stream::Fg, first));
            loop {
                // NO_MATCH before the lock: fg's start was not within the window.
                let seeking = !live.status().locked;
                let received = match live.receive() {
                    Ok(r) => r,
                    Err(e) if e.status() == Status::NoMatch && seeking => return Ok(Some(e)),
                    Err(e) => return Err(e),
                };
                match received {
                    Received::Frame(frame) => {
                        let enc = match &mut encoder {
                            Some(enc) => enc,
                            None => {
                                let shape = (frame.width(), frame.height(), frame.format());
                                let output = create.take().expect("created once")(shape)?;
                                let (tx, rx) = bounded(CHANNEL_FRAMES);
                                let (recycle_tx, recycle) = bounded(CHANNEL_FRAMES + 2);
                                let thread = s.spawn(move || encode_from(output, rx, recycle_tx));
                                encoder.insert(Encoder { tx, recycle, thread })
                            }
                        };
                        let mut buf = match enc.recycle.try_recv() {
                            Ok(mut b) => {
                                b.copy_from(&frame)?;
                                b
                            }
                            Err(_) => FrameBuf::from_frame(&frame)?,
                        };
                        let pts = frame.pts;
                        buf.pts = pts;
                        if enc.tx.send(ToEncoder::Frame(buf, pts)).is_err() {
                            return Err(Error::Internal("the encoder stopped early".into()));
                        }
                        decisions.push(live.last_decision().expect("a frame came out"));
                        if decisions.len().is_multiple_of(10) {
                            observer.progress("one pass", decisions.len(), None);
                        }
                    }
                    Received::Again(stream) => {
                        let frame = match pending.take() {
                            Some((s, f)) if s == stream => f,
                            other => {
                                pending = other;
                                receive(if stream == Stream::Fg { &fg_rx } else { &bg_rx })?
                            }
                        };
                        let view: Option<FrameRef<'_>> = frame.as_ref().map(InputFrame::as_frame);
                        // The window slides as bg comes: NO_MATCH may come from a send too.
                        let sent = match live.send(stream, view.as_ref()) {
                            Err(e) if e.status() == Status::NoMatch && seeking => return Ok(Some(e)),
                            sent => sent?,
                        };
                        if sent == Sent::Again {
                            // Sent again when the session asks for this stream next.
                            if let Some(other) = pending.replace((stream, frame)) {
                                return Err(Error::Internal(format!(
                                    "the live session refused both streams ({} held)",
                                    other.0.name()
                                )));
                            }
                        }
                    }
                    Received::Eof => {
                        observer.progress("one pass", decisions.len(), Some(decisions.len()));
                        if let Some(enc) = &encoder {
                            let _ = enc.tx.send(ToEncoder::Finish);
                        }
                        return Ok(None);
                    }
                }
            }
        };
        let result = run();
        for line in told.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default() {
            observer.status(&line);
        }
        drop((fg_rx, bg_rx));
        let (fg_ms, fg_decoded) = joined(fg_thread)?;
        let (bg_ms, bg_decoded) = joined(bg_thread)?;
        let encode_ms = match encoder {
            Some(Encoder { tx, thread, .. }) => {
                drop(tx);
                // The encoder's own error (a full disk, say) explains a failed send best.
                let encoded = joined(thread)?;
                let ended = result?;
                Some(encoded?).filter(|_| ended.is_none())
            }
            None => {
                if let Some(not_found) = result? {
                    return Ok(Outcome::NotInWindow(not_found));
                }
                None
            }
        };
        let Some(encode_ms) = encode_ms else {
            return Err(Error::Internal("the one pass ended without output".into()));
        };
        let st = live.status();
        observer.status(&format!(
            "one pass: {} fg and {} bg frames in, {} out ({} outside bg); {} start analyses, {} bg frames before fg's start dropped; {} matches moved a frame by the full-resolution pictures",
            st.fg_received, st.bg_received, st.output, st.outside, st.start_attempts, st.bg_dropped, st.picture_moves
        ));
        Ok(Outcome::Done(Box::new(OnePass {
            alignment: alignment_of(&live, &decisions, fg_start_seconds)?,
            decode_ms: fg_ms + bg_ms,
            live: live.times(),
            encode_ms,
            decoded: [fg_decoded, bg_decoded],
        })))
    })
}
