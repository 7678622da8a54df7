//! The composite of two files through FFmpeg. Pass 1 decodes both files and builds the time
//! map; pass 2 decodes them again (bg from the first frame it needs) and encodes. Each pass is
//! a pipeline of threads joined by bounded channels: one decoder per file, the library's work
//! on the calling thread, and in pass 2 the encoder, so both cores stay busy while memory stays
//! at a few frames per channel.

use std::path::{Path, PathBuf};
use std::thread::ScopedJoinHandle;
use std::time::Instant;

use crossbeam::channel::{Receiver, Sender, bounded};

use super::{AudioPlan, DecodedFrame, VideoInfo, VideoInput, VideoOutput};
use crate::alignment::{Alignment, Timings};
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameRef};
use crate::io::job::{
    AudioChoice, BG_SAMPLES, CompJob, JobObserver, JobOutputs, REFINE_PAIRS, Silent, given_placement, refine_picks,
};
use crate::io::staging::Staged;
use crate::session::{Analyzer, Compositor, Received, Sent, Stream};
use crate::settings::Settings;
use crate::spatial::{Placement, locate, locate_near};

/// Frames decoded to reach a pair that are worth one twentieth of a bg frame period of timing
/// error when picking refinement pairs.
const SEEK_COST_STEP: f64 = 24.0;

/// A move of a pixel or two changes the time map too little to be worth checking again (each
/// check decodes and searches several frame pairs).
fn small_move(a: &Placement, b: &Placement) -> bool {
    (a.width, a.height) == (b.width, b.height) && (a.x - b.x).abs() <= 2 && (a.y - b.y).abs() <= 2
}

/// At most this many times a refined placement is analyzed again.
const REFINE_ROUNDS: usize = 3;

/// Decoded frames waiting in each channel: enough to smooth out uneven decode times.
const CHANNEL_FRAMES: usize = 4;

/// Where fg sits in bg, from frames sampled evenly over both (pictures are one sample).
pub fn locate_files(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let (fg_frames, bg_frames) = std::thread::scope(|s| {
        let fg_samples = s.spawn(|| VideoInput::open(fg)?.samples(settings.placement_samples as usize));
        let bg_frames = VideoInput::open(bg).and_then(|mut input| input.samples(BG_SAMPLES));
        Ok::<_, Error>((joined(fg_samples)??, bg_frames?))
    })?;
    let f: Vec<_> = fg_frames.iter().map(FrameBuf::as_frame).collect();
    let b: Vec<_> = bg_frames.iter().map(FrameBuf::as_frame).collect();
    locate(&f, &b, settings)
}

/// Where fg sits in bg, for `align`: from samples, and for two videos checked on frames the
/// time map matches (samples from different instants of a moving picture can be a pixel or
/// two off).
pub fn align_files(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let placement = locate_files(fg, bg, settings)?;
    let videos = [fg, bg]
        .iter()
        .map(|p| VideoInput::open(p).map(|i| i.info().frame_estimate.unwrap_or(1) > 1))
        .collect::<Result<Vec<_>>>()?;
    if videos.contains(&false) {
        return Ok(placement);
    }
    let job = CompJob {
        bg: bg.to_path_buf(),
        fg: fg.to_path_buf(),
        output: PathBuf::new(),
        report: None,
        placement: None,
        overwrite: false,
        settings: settings.clone(),
        encode: Default::default(),
        audio: AudioChoice::None,
    };
    let mut pass = analyze(&job, placement, &mut Silent)?;
    for _ in 0..REFINE_ROUNDS {
        let before = pass.alignment.placement;
        let Checked { placement: refined, map_agrees } = refine_placement(&job, &pass)?;
        if (refined.x, refined.y, refined.width, refined.height) == (before.x, before.y, before.width, before.height) {
            break;
        }
        if map_agrees && small_move(&before, &refined) {
            return Ok(refined);
        }
        pass = analyze(&job, refined, &mut Silent)?;
        if small_move(&before, &refined) {
            break;
        }
    }
    Ok(pass.alignment.placement)
}

type FrameMessage = Result<DecodedFrame>;

/// Decodes `input` into `tx` (after `first`, when given) until the end, an error, or the
/// receiver leaving. Returns the milliseconds spent decoding.
fn decode_into(mut input: VideoInput, first: Option<DecodedFrame>, tx: Sender<FrameMessage>) -> f64 {
    if let Some(f) = first
        && tx.send(Ok(f)).is_err()
    {
        return 0.0;
    }
    let mut busy = 0.0;
    loop {
        let t = Instant::now();
        let next = input.next_frame();
        busy += t.elapsed().as_secs_f64() * 1e3;
        match next {
            Ok(Some(f)) => {
                if tx.send(Ok(f)).is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(e));
                break;
            }
        }
    }
    busy
}

fn receive(rx: &Receiver<FrameMessage>) -> Result<Option<DecodedFrame>> {
    match rx.recv() {
        Ok(Ok(f)) => Ok(Some(f)),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

fn joined<T>(handle: ScopedJoinHandle<'_, T>) -> Result<T> {
    handle.join().map_err(|_| Error::Internal("a pipeline thread panicked".into()))
}

fn seconds(f: &DecodedFrame) -> f64 {
    f.time_base.seconds(f.pts).unwrap_or(f64::INFINITY)
}

/// What pass 1 learned beyond the alignment: every frame's timestamp, for seeking later, and
/// how many frames a seek to it decodes.
struct Pass1 {
    alignment: Alignment,
    fg_info: VideoInfo,
    bg_info: VideoInfo,
    fg_pts: Vec<i64>,
    bg_pts: Vec<i64>,
    fg_since_key: Vec<u32>,
    bg_since_key: Vec<u32>,
    decode_ms: f64,
    analyze_ms: f64,
}

fn analyze(job: &CompJob, placement: Placement, observer: &mut dyn JobObserver) -> Result<Pass1> {
    observer.status(&format!(
        "placement x={} y={} scale={:.3} confidence={:.3}",
        placement.x, placement.y, placement.scale, placement.confidence
    ));
    let (mut fg, mut bg) = (VideoInput::open(&job.fg)?, VideoInput::open(&job.bg)?);
    fg.skip_deblocking();
    bg.skip_deblocking();
    let (fg_info, bg_info) = (fg.info().clone(), bg.info().clone());
    let total = fg.info().frame_estimate.zip(bg.info().frame_estimate).map(|(a, b)| a + b);
    let mut analyzer = Analyzer::new(job.settings.clone());
    analyzer.set_placement(placement)?;
    let mut analyze_ms = 0.0;
    let (mut fg_pts, mut bg_pts) = (Vec::new(), Vec::new());
    let (mut fg_since_key, mut bg_since_key) = (Vec::<u32>::new(), Vec::<u32>::new());
    std::thread::scope(|s| {
        let (fg_tx, fg_rx) = bounded(CHANNEL_FRAMES);
        let (bg_tx, bg_rx) = bounded(CHANNEL_FRAMES);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx));
        let bg_thread = s.spawn(move || decode_into(bg, None, bg_tx));
        let mut run = || -> Result<()> {
            let rx = [&fg_rx, &bg_rx];
            let mut next = [receive(rx[0])?, receive(rx[1])?];
            let mut count = 0usize;
            // Frames go in by time, as a player would show them.
            while next[0].is_some() || next[1].is_some() {
                let t = [0, 1].map(|k| next[k].as_ref().map_or(f64::INFINITY, seconds));
                let k = if t[0] <= t[1] { 0 } else { 1 };
                let frame = next[k].take().expect("chosen because it is there");
                [&mut fg_pts, &mut bg_pts][k].push(frame.pts);
                let since_key = if k == 0 { &mut fg_since_key } else { &mut bg_since_key };
                let previous = since_key.last().map_or(0, |&n| n + 1);
                since_key.push(if frame.is_key() { 0 } else { previous });
                let started = Instant::now();
                analyzer.push([Stream::Fg, Stream::Bg][k], Some(&frame.as_frame()))?;
                analyze_ms += started.elapsed().as_secs_f64() * 1e3;
                drop(frame);
                next[k] = receive(rx[k])?;
                count += 1;
                if count.is_multiple_of(10) {
                    observer.progress("analyze", count, total);
                }
            }
            observer.progress("analyze", count, Some(count));
            Ok(())
        };
        let result = run();
        // On an error the decoders stop at their next send.
        drop((fg_rx, bg_rx));
        let decode_ms = joined(fg_thread)? + joined(bg_thread)?;
        result?;
        let started = Instant::now();
        analyzer.push(Stream::Fg, None)?;
        analyzer.push(Stream::Bg, None)?;
        let alignment = analyzer.finish()?;
        analyze_ms += started.elapsed().as_secs_f64() * 1e3;
        Ok(Pass1 { alignment, fg_info, bg_info, fg_pts, bg_pts, fg_since_key, bg_since_key, decode_ms, analyze_ms })
    })
}

/// A reader that fetches frames by timestamp, decoding forward when the next one asked for lies
/// ahead and seeking only when it lies behind.
struct FrameFetcher<'a> {
    path: &'a Path,
    input: Option<VideoInput>,
    last_pts: Option<i64>,
}

impl<'a> FrameFetcher<'a> {
    fn new(path: &'a Path) -> FrameFetcher<'a> {
        FrameFetcher { path, input: None, last_pts: None }
    }

    fn frame_at(&mut self, pts: i64) -> Result<Option<FrameBuf>> {
        let copy = |f: &DecodedFrame| FrameBuf::from_frame(&f.as_frame()).map_err(Error::from);
        if let (Some(input), Some(last)) = (self.input.as_mut(), self.last_pts)
            && last < pts
        {
            while let Some(f) = input.next_frame()? {
                self.last_pts = Some(f.pts);
                if f.pts == pts {
                    return copy(&f).map(Some);
                }
                if f.pts > pts {
                    break;
                }
            }
        }
        let input = match &mut self.input {
            Some(i) => i,
            None => self.input.insert(VideoInput::open(self.path)?),
        };
        if let Some(f) = input.seek_to_frame(pts)? {
            self.last_pts = Some(f.pts);
            return copy(&f).map(Some);
        }
        // Cannot seek there: read from the start.
        let mut fresh = VideoInput::open(self.path)?;
        while let Some(f) = fresh.next_frame()? {
            if f.pts == pts {
                self.last_pts = Some(f.pts);
                self.input = Some(fresh);
                return copy(&f).map(Some);
            }
        }
        self.input = None;
        self.last_pts = None;
        Ok(None)
    }
}

/// The best placement found on a few matched (fg, bg) frame pairs of the time map.
/// A placement checked on matched frame pairs.
struct Checked {
    placement: Placement,
    /// Every pair matched best with the bg frame the time map gave it (not a neighbour), so
    /// the map stands with the checked placement.
    map_agrees: bool,
}

fn refine_placement(job: &CompJob, pass: &Pass1) -> Result<Checked> {
    let a = &pass.alignment;
    let (fg_info, bg_info) = (&pass.fg_info, &pass.bg_info);
    let fg_tb = fg_info.time_base;
    let bg_period = bg_info.frame_period();
    let off_grid = |i: usize| {
        let t = fg_tb.seconds(pass.fg_pts[i]).unwrap_or(0.0) + a.time.offset_seconds;
        let pos = (t - bg_info.start_seconds) / bg_period;
        (pos - pos.round()).abs()
    };
    // Among equally good pairs, those near keyframes cost the fewest decoded frames to reach.
    let seek_cost = |i: usize| {
        let j = a.time.map[i] as usize;
        pass.fg_since_key.get(i).copied().unwrap_or(0) + pass.bg_since_key.get(j).copied().unwrap_or(0)
    };
    let picks = refine_picks(a, off_grid, |i| seek_cost(i) as f64 / SEEK_COST_STEP, REFINE_PAIRS);
    let (mut fg_reader, mut bg_reader) = (FrameFetcher::new(&job.fg), FrameFetcher::new(&job.bg));
    let mut best = a.placement;
    best.confidence = f64::NEG_INFINITY;
    let mut map_agrees = true;
    // In a pan, a placement a pixel or two off matches the neighbouring bg frame about as well
    // as the true placement matches the true frame; the true pair matches best, so the bg
    // frames either side of the mapped one are tried too.
    for i in picks {
        let Some(&fp) = pass.fg_pts.get(i) else { continue };
        let Some(f) = fg_reader.frame_at(fp)? else { continue };
        let j = a.time.map[i] as usize;
        let mut pick_best: Option<(Placement, usize)> = None;
        for bj in j.saturating_sub(1)..=j + 1 {
            let Some(&bp) = pass.bg_pts.get(bj) else { continue };
            let Some(b) = bg_reader.frame_at(bp)? else { continue };
            if let Some(p) = check_pair(&f.as_frame(), &b.as_frame(), &a.placement, &job.settings)
                && pick_best.as_ref().is_none_or(|(q, _)| p.confidence > q.confidence)
            {
                pick_best = Some((p, bj));
            }
        }
        if let Some((p, bj)) = pick_best {
            map_agrees &= bj == j;
            if p.confidence > best.confidence {
                best = p;
            }
        }
    }
    if best.confidence == f64::NEG_INFINITY {
        return Ok(Checked { placement: a.placement, map_agrees: false });
    }
    Ok(Checked { placement: best, map_agrees })
}

/// The placement on one matched pair: a full-resolution search near the current one, or the
/// whole frame when the best lies on the edge of that neighbourhood (it may be further out).
fn check_pair(fg: &FrameRef<'_>, bg: &FrameRef<'_>, around: &Placement, settings: &Settings) -> Option<Placement> {
    match locate_near(fg, bg, around, NEAR_RADIUS) {
        Some(p) if (p.x - around.x).abs() < NEAR_RADIUS as i32 && (p.y - around.y).abs() < NEAR_RADIUS as i32 => {
            Some(p)
        }
        // A search of the whole frame, kept only when it sees the same content box (one frame's
        // dark rows are not bars).
        _ => locate(&[*fg], &[*bg], settings).ok().filter(|p| p.content == around.content),
    }
}

/// How far (pixels) a matched pair is searched around the placement from samples.
const NEAR_RADIUS: u32 = 8;

/// The audio the output carries, as asked and as the inputs allow.
fn audio_plan(job: &CompJob, pass: &Pass1) -> Result<AudioPlan> {
    let (fg, bg) = (&pass.fg_info, &pass.bg_info);
    let y4m = job.output.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
    let from_fg = || AudioPlan::Copy { path: job.fg.clone(), shift_seconds: 0.0, window: None };
    let from_bg = || {
        // bg audio moves onto fg's clock and covers exactly fg's frames.
        let tb = fg.time_base;
        let first = pass.fg_pts.first().and_then(|&p| tb.seconds(p)).unwrap_or(0.0);
        let last = pass.fg_pts.last().and_then(|&p| tb.seconds(p)).unwrap_or(0.0) + fg.frame_period();
        AudioPlan::Copy {
            path: job.bg.clone(),
            shift_seconds: pass.alignment.time.offset_seconds,
            window: Some((first, last)),
        }
    };
    let (has_fg, has_bg) = (fg.audio_stream.is_some(), bg.audio_stream.is_some());
    Ok(match job.audio {
        AudioChoice::None => AudioPlan::None,
        AudioChoice::Auto if y4m => AudioPlan::None,
        AudioChoice::Auto if has_fg => from_fg(),
        AudioChoice::Auto if has_bg => from_bg(),
        AudioChoice::Auto => AudioPlan::None,
        AudioChoice::Fg if has_fg => from_fg(),
        AudioChoice::Bg if has_bg => from_bg(),
        AudioChoice::Fg => return Err(Error::InvalidArgument(format!("{}: no audio stream", job.fg.display()))),
        AudioChoice::Bg => return Err(Error::InvalidArgument(format!("{}: no audio stream", job.bg.display()))),
    })
}

enum ToEncoder {
    Frame(FrameBuf, i64),
    /// Everything was sent: finish the file. Without it the encoder thread discards its work.
    Finish,
}

/// Encodes what arrives until `Finish`; returns the milliseconds spent.
fn encode_from(mut output: VideoOutput, rx: Receiver<ToEncoder>, recycle: Sender<FrameBuf>) -> Result<f64> {
    let mut busy = 0.0;
    loop {
        match rx.recv() {
            Ok(ToEncoder::Frame(buf, pts)) => {
                let t = Instant::now();
                output.write(&buf.as_frame(), pts)?;
                busy += t.elapsed().as_secs_f64() * 1e3;
                let _ = recycle.try_send(buf);
            }
            Ok(ToEncoder::Finish) => {
                let t = Instant::now();
                output.finish()?;
                return Ok(busy + t.elapsed().as_secs_f64() * 1e3);
            }
            Err(_) => return Err(Error::Internal("the composite stopped before its end".into())),
        }
    }
}

struct Pass2 {
    decode_ms: f64,
    compose_ms: f64,
    encode_ms: f64,
    audio_note: &'static str,
}

fn compose(job: &CompJob, pass: &Pass1, video: &Staged, observer: &mut dyn JobObserver) -> Result<Pass2> {
    let mut compositor = Compositor::new(pass.alignment.clone(), &job.settings)?;
    let fg = VideoInput::open(&job.fg)?;
    let mut bg = VideoInput::open(&job.bg)?;
    // Start bg where it is first needed when the file can seek there.
    let first_needed = compositor.first_needed_bg();
    let mut first_bg = None;
    if first_needed > 0
        && let Some(&pts) = pass.bg_pts.get(first_needed)
        && let Some(frame) = bg.seek_to_frame(pts)?
    {
        compositor.start_bg_at(first_needed)?;
        first_bg = Some(frame);
    } else if first_needed > 0 {
        bg = VideoInput::open(&job.bg)?;
    }
    let first_bg = match first_bg {
        Some(f) => f,
        None => bg.next_frame()?.ok_or_else(|| Error::InvalidData(format!("{}: no video frames", job.bg.display())))?,
    };
    let shape = {
        let f = first_bg.as_frame();
        (f.width(), f.height(), f.format())
    };
    let fg_info = fg.info().clone();
    let audio = audio_plan(job, pass)?;
    let output = VideoOutput::create(video, shape, fg_info.frame_rate, fg_info.time_base, &job.encode, &audio)?;
    let audio_note = match (output.has_audio(), output.audio_transcoded()) {
        (false, _) => "no audio",
        (true, false) => "audio copied",
        (true, true) => "audio re-encoded to AAC (its codec does not fit the container)",
    };
    let total = pass.alignment.fg_frames;
    let mut compose_ms = 0.0;
    std::thread::scope(|s| {
        let (fg_tx, fg_rx) = bounded(CHANNEL_FRAMES);
        let (bg_tx, bg_rx) = bounded(CHANNEL_FRAMES);
        let (enc_tx, enc_rx) = bounded(CHANNEL_FRAMES);
        let (recycle_tx, recycle_rx) = bounded(CHANNEL_FRAMES + 2);
        let fg_thread = s.spawn(move || decode_into(fg, None, fg_tx));
        let bg_thread = s.spawn(move || decode_into(bg, Some(first_bg), bg_tx));
        let enc_thread = s.spawn(move || encode_from(output, enc_rx, recycle_tx));
        // Not `Compositor::run`: its sink borrows the compositor's own output frame, which
        // would have to be copied to cross to the encoder thread. Here each frame is composited
        // straight into a buffer the encoder thread owns next and then hands back for reuse.
        let mut run = || -> Result<bool> {
            let mut spare: Option<FrameBuf> = None;
            // A frame `send` answered AGAIN to (it follows one the decoder lost): sent again
            // after the next composited frame.
            let mut pending: Option<(Stream, Option<DecodedFrame>)> = None;
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
                            let view: Option<FrameRef<'_>> = frame.as_ref().map(DecodedFrame::as_frame);
                            if compositor.send(stream, view.as_ref())? == Sent::Again {
                                pending = Some((stream, frame));
                            }
                        }
                    }
                    Some(Received::Again(stream)) => {
                        spare = Some(buf);
                        let rx = if stream == Stream::Fg { &fg_rx } else { &bg_rx };
                        let frame = receive(rx)?;
                        let view: Option<FrameRef<'_>> = frame.as_ref().map(DecodedFrame::as_frame);
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
        drop((fg_rx, bg_rx, enc_tx));
        let decode_ms = joined(fg_thread)? + joined(bg_thread)?;
        // The encoder's own error (a full disk, say) explains a refused send best.
        let encoded = joined(enc_thread)?;
        let finished = result?;
        let encode_ms = encoded?;
        if !finished {
            return Err(Error::Internal("the encoder stopped early".into()));
        }
        Ok(Pass2 { decode_ms, compose_ms, encode_ms, audio_note })
    })
}

/// Runs both passes on any files FFmpeg reads, writing by the output's extension.
pub fn composite(job: &CompJob, observer: &mut dyn JobObserver) -> Result<(Alignment, Timings)> {
    let total = Instant::now();
    let outputs = JobOutputs::reserve(job)?;
    // Opened first so that a bad input fails before any work.
    let fg_info = VideoInput::open(&job.fg)?.info().clone();
    VideoInput::open(&job.bg)?;
    let (placement, located) = match job.placement {
        Some(given) => (given_placement(given, fg_info.width, fg_info.height), false),
        None => (locate_files(&job.fg, &job.bg, &job.settings)?, true),
    };
    if located {
        observer.status(&format!("placement from samples in {:.0} ms", total.elapsed().as_secs_f64() * 1e3));
    }
    let mut pass = analyze(job, placement, observer)?;
    let (mut decode_ms, mut analyze_ms) = (pass.decode_ms, pass.analyze_ms);
    if located {
        // Samples from different instants can be a little off when the picture moves; the time
        // map says which frames show the same instant, so locate again on those and, when
        // that moves the placement, analyze again with it (a better placement gives a better
        // map, which gives better pairs).
        for _ in 0..REFINE_ROUNDS {
            let started = Instant::now();
            let before = pass.alignment.placement;
            let Checked { placement: refined, map_agrees } = refine_placement(job, &pass)?;
            observer.status(&format!(
                "placement checked on matched frames in {:.0} ms",
                started.elapsed().as_secs_f64() * 1e3
            ));
            if (refined.x, refined.y, refined.width, refined.height)
                == (before.x, before.y, before.width, before.height)
            {
                break;
            }
            if map_agrees && small_move(&before, &refined) {
                observer.status(&format!(
                    "placement refined on matched frames to x={} y={}; the time map stands",
                    refined.x, refined.y
                ));
                pass.alignment.placement = refined;
                break;
            }
            observer.status(&format!("placement refined on matched frames to x={} y={}", refined.x, refined.y));
            pass = analyze(job, refined, observer)?;
            decode_ms += pass.decode_ms;
            analyze_ms += pass.analyze_ms;
            if small_move(&before, &refined) {
                break;
            }
        }
    }
    let a = &pass.alignment;
    observer.status(&format!(
        "time map: {} fg frames, {} outside, confidence {:.3}, bg - fg = {:.3} s",
        a.fg_frames,
        a.time.outside.len(),
        a.time.overall_confidence,
        a.time.offset_seconds
    ));
    let composed = compose(job, &pass, &outputs.video, observer)?;
    observer.status(composed.audio_note);
    let timings = Timings {
        decode: decode_ms + composed.decode_ms,
        analyze: analyze_ms,
        compose: composed.compose_ms,
        encode: composed.encode_ms,
        total: total.elapsed().as_secs_f64() * 1e3,
    };
    outputs.commit(&pass.alignment, &timings)?;
    Ok((pass.alignment, timings))
}
