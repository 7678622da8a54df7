//! Pass 1: frames of both streams in, an [`Alignment`] out.
//!
//! Frames may arrive in any interleaving of the two streams, in order within each stream. The
//! placement is given (`set_placement`), located from host-chosen sample frames
//! (`add_sample`, e.g. frames the host seeked to), or located automatically from the first
//! `AUTO_BUFFER` frames of each stream, which are held (copied) until then. fg frames that
//! arrive before the first bg frame are held too, since the part of fg that lies inside bg
//! depends on bg's size. Once the placement is known, each frame is reduced to its
//! descriptors (264 bytes) at once and not kept. What is held is bounded (`MAX_HELD_FRAMES`,
//! `MAX_HELD_BYTES`): past that, without a placement a push fails with a message saying what
//! to do instead; with one, fg is described assuming the placement lies inside bg, which bg's
//! first frame confirms or refuses.
//! Timestamps are checked as each frame arrives (`clock.rs`).

use crate::alignment::Alignment;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprinter;
use crate::frame::{FrameBuf, FrameError, FrameRef, PixelFormat, Rect, TimeBase};
use crate::media::{MediaIdentity, StreamInfo};
use crate::session::Stream;
use crate::session::clock::{NO_PTS, StreamClock};
use crate::settings::Settings;
use crate::spatial::{Placement, locate};
use crate::temporal::{Track, align};

/// Frames of each stream held for automatic placement.
pub const AUTO_BUFFER: usize = 24;
/// Most frames one stream may have held while waiting for the other.
pub const MAX_HELD_FRAMES: usize = 8 * AUTO_BUFFER;
/// Most bytes of held frames, beyond the first `AUTO_BUFFER` of each stream.
pub const MAX_HELD_BYTES: usize = 512 << 20;

/// The rectangles compared: fg's (content, clipped to what lies inside bg) and bg's.
pub fn matched_rects(p: &Placement, bg_width: u32, bg_height: u32) -> Option<(Rect, Rect)> {
    let (bx0, by0) = (p.x.max(0) as i64, p.y.max(0) as i64);
    let bx1 = (p.x as i64 + p.width as i64).min(bg_width as i64);
    let by1 = (p.y as i64 + p.height as i64).min(bg_height as i64);
    if bx1 <= bx0 || by1 <= by0 {
        return None;
    }
    let to_fg = |b: i64, origin: i32, content_origin: u32| content_origin as f64 + (b - origin as i64) as f64 / p.scale;
    let fx0 = to_fg(bx0, p.x, p.content.x).round() as u32;
    let fy0 = to_fg(by0, p.y, p.content.y).round() as u32;
    let fx1 = (to_fg(bx1, p.x, p.content.x).round() as u32).min(p.content.x + p.content.width);
    let fy1 = (to_fg(by1, p.y, p.content.y).round() as u32).min(p.content.y + p.content.height);
    if fx1 <= fx0 || fy1 <= fy0 {
        return None;
    }
    Some((
        Rect::new(fx0, fy0, fx1 - fx0, fy1 - fy0),
        Rect::new(bx0 as u32, by0 as u32, (bx1 - bx0) as u32, (by1 - by0) as u32),
    ))
}

struct StreamState {
    shape: Option<(PixelFormat, u32, u32)>,
    count: usize,
    ended: bool,
    clock: StreamClock,
    /// The first frame's time base (0/0 when it had no timestamp).
    time_base: TimeBase,
    track: Track,
    fingerprinter: Option<Fingerprinter>,
    rect: Rect,
    samples: Vec<FrameBuf>,
    /// Frames that cannot be described yet, with their times.
    held: Vec<(FrameBuf, f64)>,
}

impl StreamState {
    fn new() -> StreamState {
        StreamState {
            shape: None,
            count: 0,
            ended: false,
            clock: StreamClock::default(),
            time_base: TimeBase::NONE,
            track: Track::new(),
            fingerprinter: None,
            rect: Rect::default(),
            samples: Vec::new(),
            held: Vec::new(),
        }
    }

    fn check_shape(&mut self, frame: &FrameRef<'_>) -> Result<()> {
        let shape = (frame.format(), frame.width(), frame.height());
        match self.shape {
            None => self.shape = Some(shape),
            Some(s) if s != shape => {
                return Err(FrameError::Mismatch {
                    expected: format!("{} {}x{}", s.0, s.1, s.2),
                    got: frame.describe(),
                }
                .into());
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The stream as analysed, for the alignment's media identity.
    fn info(&self) -> StreamInfo {
        let (format, width, height) = self.shape.expect("finish checked that each stream has a frame");
        let (start_seconds, frame_rate, constant_rate) = self.clock.rate();
        StreamInfo {
            format,
            width,
            height,
            frames: self.track.len(),
            start_seconds,
            frame_rate,
            constant_rate,
            time_base: self.time_base,
        }
    }

    fn held_bytes(&self) -> usize {
        self.held.iter().map(|(f, _)| f.byte_size()).sum()
    }
}

/// Pass 1 of the pipeline.
pub struct Analyzer {
    settings: Settings,
    placement: Option<Placement>,
    streams: [StreamState; 2],
    finished: bool,
    log: Option<LogFn>,
    progress: Option<ProgressFn>,
}

/// Log levels passed to the log callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum LogLevel {
    Error = 0,
    Warning = 1,
    Info = 2,
}

/// Receives log messages, on the thread that calls the analyzer.
pub type LogFn = Box<dyn FnMut(LogLevel, &str) + Send>;
/// Receives progress: (frames of fg, frames of bg) described so far, after each frame.
pub type ProgressFn = Box<dyn FnMut(usize, usize) + Send>;

impl Analyzer {
    pub fn new(settings: Settings) -> Analyzer {
        Analyzer {
            settings,
            placement: None,
            streams: [StreamState::new(), StreamState::new()],
            finished: false,
            log: None,
            progress: None,
        }
    }

    /// Sets (or clears) the log callback. It runs on the thread calling the analyzer.
    pub fn set_log(&mut self, log: Option<LogFn>) {
        self.log = log;
    }

    /// Sets (or clears) the progress callback. It runs on the thread calling the analyzer,
    /// after each frame is described.
    pub fn set_progress(&mut self, progress: Option<ProgressFn>) {
        self.progress = progress;
    }

    fn log(&mut self, level: LogLevel, message: impl FnOnce() -> String) {
        if let Some(log) = &mut self.log {
            log(level, &message());
        }
    }

    fn placed(&mut self, placement: Placement, from: &str) {
        self.log(LogLevel::Info, || {
            format!(
                "placement from {from}: x={} y={} {}x{} scale={:.4} confidence={:.3}",
                placement.x, placement.y, placement.width, placement.height, placement.scale, placement.confidence
            )
        });
        self.placement = Some(placement);
    }

    fn started(&self) -> bool {
        self.streams.iter().any(|s| s.count > 0 || !s.held.is_empty())
    }

    /// Uses this placement instead of locating one. Only before the first frame is pushed.
    pub fn set_placement(&mut self, placement: Placement) -> Result<()> {
        if self.started() || self.finished {
            return Err(Error::bad_state("set_placement must come before the first frame"));
        }
        placement.validate()?;
        self.placement = Some(placement);
        Ok(())
    }

    /// A sample frame for locating the placement (copied). Only before the first frame.
    pub fn add_sample(&mut self, stream: Stream, frame: &FrameRef<'_>) -> Result<()> {
        if self.started() || self.finished {
            return Err(Error::bad_state("add_sample must come before the first frame"));
        }
        let st = &mut self.streams[stream as usize];
        if let Some(first) = st.samples.first()
            && (first.format(), first.width(), first.height()) != (frame.format(), frame.width(), frame.height())
        {
            return Err(FrameError::Mismatch { expected: first.as_frame().describe(), got: frame.describe() }.into());
        }
        st.samples.push(FrameBuf::from_frame(frame)?);
        Ok(())
    }

    /// The placement, once known.
    pub fn placement(&self) -> Option<&Placement> {
        self.placement.as_ref()
    }

    /// Pushes the next frame of a stream; `None` ends the stream.
    pub fn push(&mut self, stream: Stream, frame: Option<&FrameRef<'_>>) -> Result<()> {
        if self.finished {
            return Err(Error::bad_state("the analyzer has finished"));
        }
        let si = stream as usize;
        let Some(frame) = frame else {
            self.streams[si].ended = true;
            return Ok(());
        };
        if self.streams[si].ended {
            return Err(Error::bad_state(format!("{} frame after the end of its stream", stream.name())));
        }
        self.streams[si].check_shape(frame)?;
        let seconds = self.streams[si].clock.time_of(frame, stream.name())?;
        if self.placement.is_none() && self.streams.iter().all(|s| !s.samples.is_empty()) {
            self.locate_from_samples()?;
        }
        // fg's compared rectangle depends on bg's size (when the placement overhangs bg), so
        // fg waits for the first bg frame, within the holding bounds; past them it is
        // described assuming no overhang, which bg's first frame then confirms or refuses.
        let fg_waits = si == 0 && self.streams[1].count == 0 && self.can_hold(0);
        if self.placement.is_none() || fg_waits {
            self.hold(si, frame, seconds)?;
        } else {
            if si == 0 {
                self.describe_held(0)?;
            }
            self.describe(si, frame, seconds)?;
            if si == 1 && self.streams[1].count == 1 {
                self.describe_held(0)?;
            }
        }
        if self.streams[si].time_base == TimeBase::NONE && frame.pts != NO_PTS && frame.time_base.is_valid() {
            self.streams[si].time_base = frame.time_base;
        }
        self.streams[si].clock.accept(seconds);
        if self.placement.is_none()
            && self.streams.iter().all(|s| s.held.len() >= AUTO_BUFFER || (s.ended && !s.held.is_empty()))
        {
            self.locate_from_buffer()?;
        }
        Ok(())
    }

    /// Whether one more frame of a stream may be held.
    fn can_hold(&self, si: usize) -> bool {
        let held = self.streams[si].held.len();
        let total_bytes: usize = self.streams.iter().map(StreamState::held_bytes).sum();
        held < AUTO_BUFFER || (held < MAX_HELD_FRAMES && total_bytes < MAX_HELD_BYTES)
    }

    /// Keeps a copy of a frame that cannot be described yet, within the bounds.
    fn hold(&mut self, si: usize, frame: &FrameRef<'_>, seconds: f64) -> Result<()> {
        let held = self.streams[si].held.len();
        let total_bytes: usize = self.streams.iter().map(StreamState::held_bytes).sum();
        if !self.can_hold(si) {
            let name = if si == 0 { "fg" } else { "bg" };
            let waiting = if self.placement.is_none() { "the placement" } else { "the first bg frame" };
            return Err(Error::bad_state(format!(
                "{held} {name} frames ({} MiB) are held waiting for {waiting}, the most the analyzer holds ({MAX_HELD_FRAMES} frames or {} MiB): push the streams interleaved by time, or give samples (add_sample) or a placement first",
                total_bytes >> 20,
                MAX_HELD_BYTES >> 20
            )));
        }
        self.streams[si].held.push((FrameBuf::from_frame(frame)?, seconds));
        Ok(())
    }

    /// Describes the frames a stream holds, in order, and lets them go.
    fn describe_held(&mut self, si: usize) -> Result<()> {
        let held = std::mem::take(&mut self.streams[si].held);
        for (f, seconds) in &held {
            self.describe(si, &f.as_frame(), *seconds)?;
        }
        Ok(())
    }

    fn locate_from_samples(&mut self) -> Result<()> {
        let fg: Vec<FrameRef<'_>> = self.streams[0].samples.iter().map(|f| f.as_frame()).collect();
        let bg: Vec<FrameRef<'_>> = self.streams[1].samples.iter().map(|f| f.as_frame()).collect();
        let placement = locate(&fg, &bg, &self.settings)?;
        self.placed(placement, "samples");
        for s in &mut self.streams {
            s.samples = Vec::new();
        }
        Ok(())
    }

    /// Locates from evenly spaced held frames, then describes everything held (bg first, so
    /// that fg's rectangle is chosen knowing bg's size).
    fn locate_from_buffer(&mut self) -> Result<()> {
        let k = self.settings.placement_samples as usize;
        let fg_held = &self.streams[0].held;
        let bg_held = &self.streams[1].held;
        if fg_held.is_empty() || bg_held.is_empty() {
            return Err(Error::bad_state("automatic placement needs frames of both streams"));
        }
        // bg samples: every held frame (cheap at the coarse level, and fg may start late).
        let fg: Vec<FrameRef<'_>> = crate::spatial::evenly_spaced(fg_held.len(), k.max(1))
            .into_iter()
            .map(|i| fg_held[i].0.as_frame())
            .collect();
        let bg: Vec<FrameRef<'_>> = bg_held.iter().map(|(f, _)| f.as_frame()).collect();
        let placement = locate(&fg, &bg, &self.settings)?;
        self.placed(placement, "the first frames");
        self.describe_held(1)?;
        self.describe_held(0)
    }

    fn describe(&mut self, si: usize, frame: &FrameRef<'_>, seconds: f64) -> Result<()> {
        if self.streams[si].fingerprinter.is_none() {
            let p = self.placement.as_ref().expect("placement is known here");
            // fg described before any bg frame (past the holding bounds): as if bg were
            // unbounded to the right and below; bg's first frame checks that assumption.
            let (bg_w, bg_h) = self.streams[1].shape.map_or((u32::MAX / 2, u32::MAX / 2), |(_, w, h)| (w, h));
            let (fg_rect, bg_rect) = matched_rects(p, bg_w, bg_h)
                .ok_or_else(|| Error::invalid("the placement puts fg entirely outside bg"))?;
            if si == 1 && self.streams[0].fingerprinter.is_some() && self.streams[0].rect != fg_rect {
                return Err(Error::bad_state(format!(
                    "the placement reaches beyond bg's {bg_w}x{bg_h} frame, and {} fg frames were pushed before bg's first frame (more than the analyzer holds): push bg's first frame earlier",
                    self.streams[0].count
                )));
            }
            let rect = if si == 0 { fg_rect } else { bg_rect };
            let (w, h) = (frame.width(), frame.height());
            if !rect.fits_in(w, h) {
                return Err(Error::invalid(format!(
                    "the placement's {} rectangle {:?} does not fit the {}x{} frames",
                    if si == 0 { "fg" } else { "bg" },
                    rect,
                    w,
                    h
                )));
            }
            self.streams[si].rect = rect;
            self.streams[si].fingerprinter = Some(Fingerprinter::new(rect.width, rect.height));
        }
        let st = &mut self.streams[si];
        let d = st.fingerprinter.as_mut().expect("set above").compute(frame, st.rect);
        st.track.push(&d, seconds);
        st.count += 1;
        let (nf, nb) = (self.streams[0].count, self.streams[1].count);
        if let Some(progress) = &mut self.progress {
            progress(nf, nb);
        }
        Ok(())
    }

    /// Ends both streams and computes the alignment.
    pub fn finish(&mut self) -> Result<Alignment> {
        if self.finished {
            return Err(Error::bad_state("finish was already called"));
        }
        let seen = |s: &StreamState| s.count + s.held.len();
        if self.streams.iter().any(|s| seen(s) == 0) {
            return Err(Error::bad_state(format!(
                "both streams need at least one frame (fg: {}, bg: {})",
                seen(&self.streams[0]),
                seen(&self.streams[1])
            )));
        }
        for s in &mut self.streams {
            s.ended = true;
        }
        if self.placement.is_none() {
            self.locate_from_buffer()?;
        } else if !self.streams[0].held.is_empty() {
            self.describe_held(0)?;
        }
        let time = align(&self.streams[0].track, &self.streams[1].track, &self.settings)?;
        self.finished = true;
        let (n, outside, confidence) = (time.map.len(), time.outside.len(), time.overall_confidence);
        let share = self.settings.min_matched_share;
        if ((n - outside) as f64) < share * n as f64 {
            return Err(Error::NotInBg(format!(
                "{outside} of {n} fg frames have no counterpart in bg (at least {:.0} % must have one: min_matched_share {share})",
                share * 100.0
            )));
        }
        self.log(LogLevel::Info, || {
            format!("time map: {n} fg frames, {outside} outside bg, confidence {confidence:.3}")
        });
        if confidence < 0.5 && outside < n {
            self.log(LogLevel::Warning, || format!("low time-map confidence {confidence:.3}: check the result"));
        }
        Ok(Alignment {
            placement: self.placement.expect("located above"),
            fg_frames: self.streams[0].track.len(),
            bg_frames: self.streams[1].track.len(),
            time,
            media: Some(MediaIdentity { fg: self.streams[0].info(), bg: self.streams[1].info() }),
        })
    }
}
