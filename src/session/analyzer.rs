//! Pass 1: frames of both streams in, an [`Alignment`] out.
//!
//! Frames may arrive in any interleaving of the two streams, in order within each stream:
//! interleaved by time, one stream whole before the other, or in chunks; fg may start
//! anywhere in bg. The result does not depend on the order.
//!
//! The placement is given (`set_placement`), located from host-chosen sample frames
//! (`add_sample`), or found by the analyzer. Until it is known, each frame is kept as a small
//! grey copy (`store.rs`); the copies of both streams share a fixed budget
//! (`STORE_BUDGET`), kept by halving their resolution. The placement is searched on evenly
//! spaced copies of both streams, so it sees the whole of each, and the descriptors are
//! computed from the copies. Only when the copies would get too small to describe from (long
//! streams) is the placement decided early, from what is kept, if it is clear; later frames
//! are then described at full resolution as they arrive. If it is not clear, the stream with
//! more copies is thinned in time instead (`LumaStore::thin`): the placement is then also
//! searched on the copies most like fg's, and the frames without a copy that the time map
//! needs are described from frames the provider gives. Without a provider, some frames are
//! also kept at full size for the check below, within their own budget (`kept.rs`); with one,
//! fg's frames it would decode others to give again (its `decode_cost`), in the same budget.
//!
//! A placement the analyzer found is then checked on frame pairs the time map matched
//! (`placement_check.rs`), at full resolution on frames the host provides on request
//! (`set_frame_provider`) or, without a provider, on kept frames the map matched (the bg
//! frames up to 4 either side of each match); else it is reported approximate (C:
//! `VIDKOMPY_APPROXIMATE`). When the check moves it, the frames are described again at the
//! checked placement and the map recomputed.
//! Timestamps are checked as each frame arrives (`clock.rs`).
//!
//! # Design notes (measured)
//!
//! **The analyzer finds the placement itself, in any push order** (`src/session/analyzer.rs`,
//! `store.rs`, `placement_check.rs`). Until the placement is known, each frame is kept as a small
//! grey copy: both streams share one shrink (a power of two, so scale 1 on the copies is scale 1),
//! at most 960×540 per copy, and together at most 48 MiB, halved whenever that is reached. At
//! `finish` the placement and scale are searched on evenly spaced copies of both whole streams (so
//! fg may start anywhere in bg, and neither push order nor chunking changes the result), the
//! descriptors are computed from the copies, and the placement is then searched again on the copies
//! of pairs the time map matched (the first search pairs copies from instants far apart, which a
//! pan shifts). Last, a few matched pairs are checked at full resolution on frames the host
//! provides on request (`set_frame_provider`, `vidkompy_analyzer_set_frame_provider`; the CLI
//! decodes forward or seeks to them): the scale is measured again (the copies measure it to a few
//! percent), graphics burned into fg are found as tiles of fg that match on no candidate bg frame
//! as well as the typical tile and are left out of the comparison (a flat box otherwise pulls the
//! match a pixel or two), and the bg frame around the match that scores best wins. When that moves
//! the placement, the copies are described again and the map recomputed. Graphics that cover much
//! of fg (a logo box over 15 % of a low-contrast picture carries half of its variance) can pull the
//! first search elsewhere: when fg's whole content scores under 0.9, each half of it (left, right,
//! top, bottom) is searched too, and a half that scores 0.05 better gives the placement; frames are
//! then described and compared on that half (`spatial::locate_parts`; `tests/c/test_families.c`:
//! the box had put fg at (69, 36) instead of (50, 30) and every frame outside, now exact and 30 of
//! 30). Without a provider the analyzer keeps some frames at full size (`kept.rs`: 16 MiB of fg,
//! every so many frames, and 32 MiB of bg in runs of 9) and checks on the kept frames the map
//! matched (the logo-box pair of the accuracy table went from 6 px and 3 frames off to exact).
//! When none was matched (a long 1080p bg keeps one run), the placement is as precise as the
//! copies (measured: 1 px off on a 1.5× scaled pair, 9 px off on an 8-minute bg), and the
//! alignment says so (`finish` from C answers `VIDKOMPY_APPROXIMATE`):
//! `vidkompy_alignment_placement_approximate` is 1 (JSON `placement.approximate: true`, Python
//! `placement_approximate`, Go `PlacementApproximate()`, a line from `comp`) whenever the placement
//! was found on reduced copies and never checked on full-size frames; set a frame provider to have
//! it checked (`tests/approximate.rs`: a 1280×720 crop of 1080p, approximate without one, exact and
//! not approximate with one). Long streams: when the copies would get smaller than 160×90, the
//! placement is decided from what is kept if it scores 0.97 or more, and later frames are described
//! at full size as they come. Otherwise (one stream far ahead, or fg's content not yet seen in bg)
//! the stream with more copies is thinned in time: every second copy goes, then every fourth, so a
//! push never fails for length. The placement is then also searched on the 12 copies most like fg's
//! (fg's content at about 24 px wide, found anywhere in each copy), and the frames without a copy
//! that the time map needs (bg's around the copies most like fg's and around fg's matches, fg's
//! all) are described from frames the provider gives; without a provider `finish` is BAD_STATE and
//! says what to do. A 10-minute bg (15189 frames) with a 5-second fg near its end, from the clips
//! (`tests/cli_ffmpeg.rs`): exact placement and 125 of 125 frames, the analysis 1.7 s against 2.7 s
//! of decoding. Memory: `tests/alloc.rs` pushes 100 frames of 1080p bg before 60 of 720p fg and the
//! other way round; the analyzer's peak, placement, check and descriptors included, is 55.0 and
//! 51.6 MiB (holding bg's frames would take 200 MiB).

use crate::alignment::Alignment;
use crate::error::{Error, Result};
use crate::fingerprint::{Descriptor, Fingerprinter};
use crate::frame::{FrameBuf, FrameError, FrameRef, PixelFormat, Rect, TimeBase};
use crate::media::{MediaIdentity, StreamInfo};
use crate::session::clock::NO_PTS;
use crate::session::kept::{KeptFrames, RUN as KEPT_RUN};
use crate::session::picture_match::PictureMatch;
use crate::session::placement_check::{
    CHECK_PAIRS, CHECK_ROUNDS, Checked, FRAMES_ALIKE, FRAMES_ALIKE_ON_COPIES, PairFrames, PairsChecked, near_radius,
    pick_pairs, refine_scale, same_box, scores_alike, small_move,
};
use crate::session::store::{Copies, LumaStore, placement_to_full};
use crate::session::stream::{PerStream, Stream, StreamIntake};
use crate::settings::Settings;
use crate::spatial::{
    Located, Placement, evenly_spaced, likeliest_bg, locate, locate_content, locate_parts, most_confident, narrowed,
    widened,
};
use crate::temporal::{
    CHANCE_RATIO, RepeatedSpan, SPANS_ALIKE, TimeMap, Track, align, chance_evidence, closest_shift,
    follow_outside_runs, rate_prior,
};
use crate::workers;

pub use crate::session::kept::{KEPT_BG_BYTES, KEPT_FG_BYTES};
pub use crate::session::store::STORE_BUDGET;
/// A placement from copies of the frames so far is taken before the end only when it scores at
/// least this (clearly fg's content, not merely texture that correlates).
const EARLY_CONFIDENCE: f64 = 0.97;
/// The scale is searched again on matched copies within this factor of the first estimate.
const RELOCATE_SCALE: f64 = 1.1;
/// bg frames the matched pairs are shifted by, each way, when the placement is searched again
/// on them (see `relocate_on_copies`).
const TIME_SHIFTS: i64 = 8;
/// How much better pairs shifted in time must match to move the placement.
const TIME_SHIFT_MARGIN: f64 = 0.005;
/// bg copies, evenly spaced, the placement search compares with every fg copy it picks.
const BG_PICKS: usize = 24;
/// bg copies most like fg's that the search looks at when the evenly spaced ones do not
/// show fg's content clearly.
const LIKELY_PICKS: usize = 12;
/// fg copies bg's are ranked against.
const RANKING_FG: usize = 3;
/// bg copies most like fg's around which a thinned bg's frames are described from the provider
/// before the first map (see `describe_near_likely_copies`).
const NEAR_LIKELY: usize = 3;

/// Gives the analyzer frames it asks for by stream and index (0 = the stream's first frame
/// pushed): copies, in the order asked, `None` for a frame the host cannot give. A check
/// request is one fg frame and the bg frames around its match, in ascending order of fg frame
/// across requests; frames a thinned store kept no copy of come one at a time, ascending
/// within each stream; so a host reading files can mostly decode forward. Any
/// `FnMut(Stream, usize) -> Option<FrameBuf>` is one.
pub trait FrameProvider: Send {
    fn frames(&mut self, wanted: &[(Stream, usize)]) -> Vec<Option<FrameBuf>>;

    /// The same, told each wanted frame's pts and time base as it was pushed (`pushed[k]` for
    /// `wanted[k]`; pts `NO_PTS` for a frame pushed without): a host that seeks its source by
    /// pts needs no table of its own. What the analyzer calls; by default `frames`.
    fn frames_pushed_as(&mut self, wanted: &[(Stream, usize)], pushed: &[(i64, TimeBase)]) -> Vec<Option<FrameBuf>> {
        let _ = pushed;
        self.frames(wanted)
    }

    /// Frames the host decodes to give frame `index` of `stream` (0 for a frame that decodes
    /// alone: a keyframe), when it knows: among pairs about as good, the placement check then
    /// takes those cheap to give (a 4K bg with a keyframe every 2 s cost 98 decodes for 9
    /// frames). By default unknown: the most confident pairs.
    fn decode_cost(&self, stream: Stream, index: usize) -> Option<u64> {
        let _ = (stream, index);
        None
    }
}

impl<F: FnMut(Stream, usize) -> Option<FrameBuf> + Send> FrameProvider for F {
    fn frames(&mut self, wanted: &[(Stream, usize)]) -> Vec<Option<FrameBuf>> {
        wanted.iter().map(|&(stream, index)| self(stream, index)).collect()
    }
}

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
    intake: StreamIntake,
    track: Track,
    /// Describes full-resolution frames, once the placement is known.
    fingerprinter: Option<Fingerprinter>,
    rect: Rect,
    samples: Vec<FrameBuf>,
    /// Frames (by index; none past the end) whose descriptors are their nearest kept copy's,
    /// because the store was thinned: described for real when the time map needs them.
    borrowed: Vec<bool>,
    /// Describes the frames the provider gives, for the rectangle it was made for (one per
    /// rectangle, not one per frame: the provider may give hundreds).
    provided: Option<(Rect, Fingerprinter)>,
    /// Each frame's pts as pushed (`NO_PTS` for none), for the provider
    /// (`FrameProvider::frames_pushed_as`).
    pts: Vec<i64>,
}

impl StreamState {
    fn new(stream: Stream) -> StreamState {
        StreamState {
            intake: StreamIntake::new(stream),
            track: Track::new(),
            fingerprinter: None,
            rect: Rect::default(),
            samples: Vec::new(),
            borrowed: Vec::new(),
            provided: None,
            pts: Vec::new(),
        }
    }

    /// The stream as analysed, for the alignment's media identity.
    fn info(&self) -> StreamInfo {
        self.intake.info(self.track.len())
    }
}

/// Pass 1 of the pipeline.
pub struct Analyzer {
    settings: Settings,
    placement: Option<Placement>,
    /// The placement was found here (not given), so it is checked on matched pairs.
    placement_found: bool,
    /// The placement is as precise as full-size frames: given by the host, found on its
    /// full-size samples or copies that are not reduced, or checked on frames the provider gave.
    placement_full_size: bool,
    /// A place that scored nearly as well as the placement found (`Located::rival`), settled
    /// on the time map in `finish`.
    rival: Option<Placement>,
    streams: PerStream<StreamState>,
    /// fg was described before bg's first frame, assuming the placement lies inside bg.
    fg_described_early: bool,
    finished: bool,
    provider: Option<Box<dyn FrameProvider>>,
    /// Asked between frames and between the stages of `finish`: true stops the call.
    cancel: Option<CancelFn>,
    stage: Option<StageFn>,
    log: Option<LogFn>,
    progress: Option<ProgressFn>,
    warned_thinning: bool,
    /// Grey copies of the frames not described at full resolution.
    copies: Copies,
    /// Without a provider, some full-size frames to check a found placement on.
    kept: KeptFrames,
    /// The part of fg's content (fg pixels) the placement was found from, when graphics
    /// burned into fg kept the whole from matching (see `spatial::locate_parts`).
    matched_part: Option<Rect>,
    /// From the last check on matched pairs: (pairs, those whose mapped bg frame its
    /// neighbours score alike, `placement_check::FRAMES_ALIKE`, and where they were compared).
    frames_alike: Option<(usize, usize, &'static str)>,
    stage_ms: StageTimes,
}

/// Milliseconds the analyzer spent in its stages (the rest of its time is describing frames
/// as they are pushed).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    /// Searching the placement (from samples or copies), including tries that were not clear
    /// enough to keep.
    pub placement: f64,
    /// Describing the copies at the placement and the time map, with any frames asked of the
    /// provider for it.
    pub time_map: f64,
    /// The placement check on matched pairs (frames asked of the provider included) and any
    /// analysis again after it moved the placement.
    pub placement_check: f64,
}

fn elapsed_ms(since: std::time::Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
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
/// The long stages of a call that takes no frame, for [`StageFn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Stage {
    /// `finish`: the placement search over every frame's copy.
    Placement = 1,
    /// `finish`: describing the frames at the placement and the time map.
    TimeMap = 2,
    /// `finish`: checking the placement on full-size frames (the frame provider's).
    PlacementCheck = 3,
    /// A live session's start analysis of its window (the analyzer's stages run inside it).
    LiveStart = 4,
}

/// Receives progress through the stages: (stage, share done 0..1), at each stage's start (0)
/// and end (1) at least. Shared, so that a live session hands it to each start analysis.
pub type StageFn = std::sync::Arc<dyn Fn(Stage, f64) + Send + Sync>;

/// Whether the host asked to stop (see [`Analyzer::set_cancel`]): shared, so that a live
/// session hands it to each start analysis it runs.
pub type CancelFn = std::sync::Arc<dyn Fn() -> bool + Send + Sync>;

impl Analyzer {
    pub fn new(settings: Settings) -> Analyzer {
        Analyzer {
            settings,
            placement: None,
            placement_found: false,
            placement_full_size: false,
            rival: None,
            streams: PerStream::new(StreamState::new),
            fg_described_early: false,
            finished: false,
            provider: None,
            cancel: None,
            stage: None,
            log: None,
            progress: None,
            kept: KeptFrames::default(),
            warned_thinning: false,
            copies: Copies::new(),
            matched_part: None,
            frames_alike: None,
            stage_ms: StageTimes::default(),
        }
    }

    /// Time spent in each stage so far.
    pub fn stage_times(&self) -> StageTimes {
        self.stage_ms
    }

    /// Sets (or clears) the log callback. It runs on the thread calling the analyzer.
    pub fn set_log(&mut self, log: Option<LogFn>) {
        self.log = log;
    }

    /// Takes the log callback back (a host that lends it to one analyzer after another).
    pub fn take_log(&mut self) -> Option<LogFn> {
        self.log.take()
    }

    /// Sets (or clears) the progress callback. It runs on the thread calling the analyzer,
    /// after each frame is taken.
    pub fn set_progress(&mut self, progress: Option<ProgressFn>) {
        self.progress = progress;
    }

    /// Sets (or clears) the stage callback: `finish` tells it where it is (see [`Stage`]). It
    /// runs on the thread calling the analyzer.
    pub fn set_stage_progress(&mut self, stage: Option<StageFn>) {
        self.stage = stage;
    }

    /// Tells the stage callback, if any.
    fn tell_stage(&self, stage: Stage, done: f64) {
        if let Some(f) = &self.stage {
            f(stage, done);
        }
    }

    /// Sets (or clears) the frame provider: `finish` asks it for a few frames by index to
    /// check a placement it found at full resolution. Without one (or when it answers
    /// `None`) the check runs on the analyzer's low-resolution copies.
    pub fn set_frame_provider(&mut self, provider: Option<Box<dyn FrameProvider>>) {
        if provider.is_some() {
            self.kept.clear_stream(Stream::Bg);
        }
        self.provider = provider;
    }

    /// Sets (or clears) what tells the analyzer to stop: asked before each frame is taken,
    /// between the stages of `finish` and between the frames it asks the provider for. When
    /// it answers true, the running call returns `Error::Cancelled` and the analyzer is
    /// finished, its copies let go.
    pub fn set_cancel(&mut self, cancel: Option<CancelFn>) {
        self.cancel = cancel;
    }

    /// `Error::Cancelled` (the analyzer finished, its copies let go) when the host asked to
    /// stop; `stage` says where.
    fn checkpoint(&mut self, stage: &str) -> Result<()> {
        if self.cancel.as_ref().is_some_and(|cancelled| cancelled()) {
            self.finished = true;
            self.drop_stores();
            self.kept.clear();
            return Err(Error::Cancelled(format!("the analyzer stopped {stage}")));
        }
        Ok(())
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
        self.streams.iter().any(|s| s.intake.count > 0)
    }

    /// Uses this placement instead of locating one. Only before the first frame is pushed.
    pub fn set_placement(&mut self, placement: Placement) -> Result<()> {
        if self.started() || self.finished {
            return Err(Error::bad_state("set_placement must come before the first frame"));
        }
        placement.validate()?;
        self.placement = Some(placement);
        self.placement_full_size = true;
        Ok(())
    }

    /// A sample frame for locating the placement (copied). Only before the first frame.
    pub fn add_sample(&mut self, stream: Stream, frame: &FrameRef<'_>) -> Result<()> {
        if self.started() || self.finished {
            return Err(Error::bad_state("add_sample must come before the first frame"));
        }
        let st = &mut self.streams[stream];
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

    /// Bytes of frame copies held now, reduced and kept at full size (for bounds and tests).
    pub fn held_bytes(&self) -> usize {
        self.copies.bytes() + self.kept.bytes()
    }

    /// Pushes the next frame of a stream; `None` ends the stream.
    pub fn push(&mut self, stream: Stream, frame: Option<&FrameRef<'_>>) -> Result<()> {
        if self.finished {
            return Err(Error::bad_state("the analyzer has finished"));
        }
        self.checkpoint("before taking a frame")?;
        let Some(frame) = frame else {
            self.streams[stream].intake.ended = true;
            return Ok(());
        };
        let seconds = self.streams[stream].intake.check(frame)?;
        let index = self.streams[stream].intake.count;
        if self.keeps_full_size_frames() || self.keeps_costly_fg(stream, index) {
            self.kept.offer(stream, index, frame)?;
        }
        if self.placement.is_none() && self.streams.iter().all(|s| !s.samples.is_empty()) {
            self.locate_from_samples()?;
        }
        if self.describes_at_once(stream) {
            if self.held_bytes() > 0 {
                self.describe_stores()?;
                self.drop_stores();
            }
            self.describe(stream, frame, seconds)?;
        } else {
            self.copies.push(stream, frame, seconds)?;
        }
        self.streams[stream].intake.taken(frame, seconds);
        self.streams[stream].pts.push(if frame.pts != NO_PTS && frame.time_base.is_valid() {
            frame.pts
        } else {
            NO_PTS
        });
        self.keep_within_budget()?;
        let (nf, nb) = (self.streams.fg.intake.count, self.streams.bg.intake.count);
        if let Some(progress) = &mut self.progress {
            progress(nf, nb);
        }
        Ok(())
    }

    /// Whether some full-size frames are kept for the placement check: no provider will give
    /// them, and the placement is not the host's (which is not checked).
    fn keeps_full_size_frames(&self) -> bool {
        self.provider.is_none() && (self.placement.is_none() || self.placement_found)
    }

    /// Whether fg frame `index` is kept at full size although a provider gives frames: it
    /// would decode other frames to give this one again (its `decode_cost`), and `kept.rs`
    /// spaces fg's frames within their budget. The check then takes such a kept frame among
    /// pairs about as good: on the 4K pair (fg 1080p with one keyframe) the provider decoded
    /// 62 fg frames to give three.
    fn keeps_costly_fg(&self, stream: Stream, index: usize) -> bool {
        stream == Stream::Fg
            && (self.placement.is_none() || self.placement_found)
            && self.provider.as_ref().is_some_and(|p| p.decode_cost(Stream::Fg, index).is_some_and(|c| c > 0))
    }

    /// Whether a frame of stream `si` is described as it arrives: the placement is known and
    /// so is bg's size (fg's compared rectangle depends on it when the placement overhangs).
    fn describes_at_once(&self, stream: Stream) -> bool {
        self.placement.is_some()
            && (stream == Stream::Bg || self.streams.bg.intake.shape.is_some() || self.fg_described_early)
    }

    /// Keeps the copies within `STORE_BUDGET`: halves them while they stay describable; past
    /// that, decides the placement from what is kept when it is clear, else thins the stream
    /// with more copies in time (or, with a placement and no bg frame yet, describes fg
    /// assuming the placement lies inside bg).
    fn keep_within_budget(&mut self) -> Result<()> {
        while self.copies.over_budget() {
            if self.copies.can_halve() {
                self.copies.halve()?;
                continue;
            }
            let both_stored = self.copies.stored(Stream::Fg) > 0 && self.copies.stored(Stream::Bg) > 0;
            if self.placement.is_none() && both_stored {
                // Decided early only when clear: fg's content may not have appeared in bg yet
                // (fg from ten minutes in).
                let started = std::time::Instant::now();
                let found = self.located_from_stores();
                self.stage_ms.placement += elapsed_ms(started);
                if let Ok(found) = found
                    && found.placement.confidence >= EARLY_CONFIDENCE
                {
                    self.take_located(found, "copies of the frames so far (the copies reached their budget)");
                }
            }
            if self.placement.is_some() {
                if self.streams.bg.intake.shape.is_none() {
                    self.fg_described_early = true;
                }
                self.describe_stores()?;
                self.drop_stores();
                return Ok(());
            }
            self.thin_longer_stream();
        }
        Ok(())
    }

    /// Lets every other copy of the stream with more copies go (see `store.rs`).
    fn thin_longer_stream(&mut self) {
        let (longer, stride) = self.copies.thin_longer();
        if !self.warned_thinning {
            self.warned_thinning = true;
            self.log(LogLevel::Info, || {
                format!(
                    "the copies reached their budget before the placement was clear (one stream far ahead, or fg's content not yet seen in bg): a copy of 1 in {stride} {} frames is kept, and the frames the time map needs will be asked of the frame provider",
                    longer.name()
                )
            });
        }
    }

    fn locate_from_samples(&mut self) -> Result<()> {
        let started = std::time::Instant::now();
        let fg: Vec<FrameRef<'_>> = self.streams.fg.samples.iter().map(|f| f.as_frame()).collect();
        let bg: Vec<FrameRef<'_>> = self.streams.bg.samples.iter().map(|f| f.as_frame()).collect();
        let placement = locate(&fg, &bg, &self.settings);
        self.stage_ms.placement += elapsed_ms(started);
        let placement = placement?;
        self.placed(placement, "samples");
        self.placement_found = true;
        self.placement_full_size = true;
        for s in &mut self.streams {
            s.samples = Vec::new();
        }
        Ok(())
    }

    /// Locates from evenly spaced copies of both streams.
    fn locate_from_stores(&mut self, from: &str) -> Result<()> {
        let started = std::time::Instant::now();
        let found = self.located_from_stores();
        self.stage_ms.placement += elapsed_ms(started);
        let found = found?;
        self.take_located(found, from);
        Ok(())
    }

    /// Takes a placement the analyzer found, and the part of fg's content it matched on.
    fn take_located(&mut self, found: Located, from: &str) {
        if let Some(part) = found.matched_part {
            self.log(LogLevel::Info, || {
                format!("fg's content matched only on its part {part:?}: fg carries graphics bg lacks elsewhere, so frames are compared on that part")
            });
        }
        self.matched_part = found.matched_part;
        self.rival = found.rival;
        self.placed(found.placement, from);
        self.placement_found = true;
        self.placement_full_size = self.copies.shrink <= 1;
    }

    /// The placement searched on evenly spaced copies of both streams.
    fn located_from_stores(&self) -> Result<Located> {
        let (Some(fg_store), Some(bg_store)) = (&self.copies.stores.fg, &self.copies.stores.bg) else {
            return Err(Error::bad_state("finding the placement needs frames of both streams"));
        };
        let fg = evenly_spaced_copies(fg_store, self.settings.placement_samples as usize);
        let bg = evenly_spaced_copies(bg_store, BG_PICKS);
        let mut found = locate_parts(&fg, &bg, &self.settings);
        let score = |l: &Located| l.placement.confidence;
        // Not clearly found on bg's evenly spaced copies: fg's content may be in few of them (a
        // short fg from far into a long bg); searched again on the copies most like fg's.
        if found.as_ref().map_or(true, |l| score(l) < EARLY_CONFIDENCE) && bg_store.len() > BG_PICKS {
            let likely = likeliest_copies(fg_store, bg_store);
            let again = locate_parts(&fg, &likely, &self.settings);
            if again.as_ref().is_ok_and(|b| found.as_ref().map_or(true, |a| score(b) > score(a))) {
                found = again;
            }
        }
        let found = found?;
        let placement = placement_to_full(&found.placement, fg_store, bg_store);
        placement.validate()?;
        let rival = found.rival.map(|r| placement_to_full(&r, fg_store, bg_store));
        Ok(Located { placement, matched_part: found.matched_part.map(|part| fg_store.to_full(part)), rival })
    }

    /// fg's and bg's rectangles the time map compared (after `finish`): at the placement,
    /// on the part of fg's content without graphics bg lacks. A host describing more frames
    /// the same way (the live session) gets the same descriptors.
    pub fn compared_rects(&self) -> Result<(Rect, Rect)> {
        if self.placement.is_none() {
            return Err(Error::bad_state("no placement yet"));
        }
        self.rects()
    }

    /// fg's and bg's compared rectangles at the placement, in full-resolution pixels.
    fn rects(&self) -> Result<(Rect, Rect)> {
        let whole = self.placement.as_ref().expect("placement is known here");
        // Frames are compared on the part of fg's content the placement was found from (fg
        // carries graphics elsewhere), or on all of it.
        let p = &self.matched_part.map_or(*whole, |part| narrowed(whole, part));
        // fg described before any bg frame: as if bg were unbounded to the right and below;
        // bg's first frame checks that assumption.
        let (bg_w, bg_h) = self.streams.bg.intake.shape.map_or((u32::MAX / 2, u32::MAX / 2), |(_, w, h)| (w, h));
        matched_rects(p, bg_w, bg_h).ok_or_else(|| Error::invalid("the placement puts fg entirely outside bg"))
    }

    /// Describes every stream's copies into its track (from scratch), at the placement.
    fn describe_stores(&mut self) -> Result<()> {
        let (fg_rect, bg_rect) = self.rects()?;
        for (stream, full_rect) in [(Stream::Fg, fg_rect), (Stream::Bg, bg_rect)] {
            let st = &mut self.streams[stream];
            let Some(store) = self.copies.stores[stream].as_ref().filter(|s| !s.is_empty()) else { continue };
            let (w, h) = st.intake.shape.map(|(_, w, h)| (w, h)).expect("a stored stream has a shape");
            check_fits(stream, full_rect, w, h)?;
            let rect = store.to_stored(full_rect);
            let mut fingerprinter = Fingerprinter::new(rect.width, rect.height);
            let copies: Vec<Descriptor> =
                (0..store.len()).map(|k| fingerprinter.compute(&store.frame(k).0, rect)).collect();
            // A frame without a copy (a thinned store) borrows its nearest kept neighbour's.
            let pushed = store.frames_pushed();
            st.track = Track::with_capacity(pushed);
            st.borrowed = Vec::new();
            for j in 0..pushed {
                let k = store.nearest_copy(j);
                st.track.push(&copies[k], store.seconds_of(j));
                if !store.is_whole() {
                    st.borrowed.push(k * store.stride() != j);
                }
            }
            st.rect = full_rect;
        }
        Ok(())
    }

    /// The copies hold every frame taken of both streams, so they can be described again.
    fn copies_are_whole(&self) -> bool {
        [Stream::Fg, Stream::Bg].into_iter().all(|stream| {
            let taken = self.streams[stream].intake.count;
            taken > 0 && self.copies.stored(stream) == taken
        })
    }

    fn drop_stores(&mut self) {
        self.copies.drop_all();
    }

    fn describe(&mut self, stream: Stream, frame: &FrameRef<'_>, seconds: f64) -> Result<()> {
        if self.streams[stream].fingerprinter.is_none() {
            let (fg_rect, bg_rect) = self.rects()?;
            let fg_track_rect = self.streams.fg.rect;
            if stream == Stream::Bg && self.fg_described_early && fg_track_rect != fg_rect {
                return Err(Error::bad_state(format!(
                    "the placement reaches beyond bg's {}x{} frame, and {} fg frames were pushed before bg's first frame (more than the analyzer keeps): push bg's first frame earlier",
                    frame.width(),
                    frame.height(),
                    self.streams.fg.intake.count
                )));
            }
            let rect = if stream == Stream::Fg { fg_rect } else { bg_rect };
            check_fits(stream, rect, frame.width(), frame.height())?;
            self.streams[stream].rect = rect;
            self.streams[stream].fingerprinter = Some(Fingerprinter::new(rect.width, rect.height));
        }
        let st = &mut self.streams[stream];
        let d = st.fingerprinter.as_mut().expect("set above").compute(frame, st.rect);
        st.track.push(&d, seconds);
        Ok(())
    }

    /// Ends both streams and computes the alignment.
    pub fn finish(&mut self) -> Result<Alignment> {
        let result = self.finish_stages();
        self.kept.clear();
        result
    }

    fn finish_stages(&mut self) -> Result<Alignment> {
        if self.finished {
            return Err(Error::bad_state("finish was already called"));
        }
        self.checkpoint("before finishing")?;
        if self.streams.iter().any(|s| s.intake.count == 0) {
            return Err(Error::bad_state(format!(
                "both streams need at least one frame (fg: {}, bg: {})",
                self.streams.fg.intake.count, self.streams.bg.intake.count
            )));
        }
        for s in self.streams.iter_mut() {
            s.intake.ended = true;
        }
        self.finished = true;
        if self.placement.is_none() {
            self.checkpoint("before the placement search")?;
            self.tell_stage(Stage::Placement, 0.0);
            self.locate_from_stores("copies of every frame")?;
            self.tell_stage(Stage::Placement, 1.0);
        }
        self.checkpoint("before the time map")?;
        self.tell_stage(Stage::TimeMap, 0.0);
        let started = std::time::Instant::now();
        let mut time = self.describe_and_align()?;
        self.stage_ms.time_map += elapsed_ms(started);
        self.tell_stage(Stage::TimeMap, 1.0);
        if self.placement_found {
            self.checkpoint("before the placement check")?;
            self.tell_stage(Stage::PlacementCheck, 0.0);
            let started = std::time::Instant::now();
            time = self.check_placement(time)?;
            self.stage_ms.placement_check += elapsed_ms(started);
            self.tell_stage(Stage::PlacementCheck, 1.0);
        }
        // After the check, which may already have moved a pan's lookalike onto the truth.
        if let Some(rival) = self.rival.take() {
            self.checkpoint("before settling the placement's rival")?;
            time = self.settle_rival(time, rival)?;
        }
        if self.frames_alike.is_none() {
            self.frames_alike = self.frames_alike_on_copies(&time);
        }
        self.checkpoint("before the decision")?;
        self.drop_stores();
        self.decide(time)
    }

    /// The placement or its rival, whichever the time map matches clearly better (its median
    /// match distance under chance's, `chance_evidence`, `DECISIVE` times smaller), and its
    /// time map; `Error::Ambiguous` naming both when neither is. A repetitive picture (tiles
    /// scrolling) matches many places and starts almost alike, and a lookalike answered with
    /// OK is the worst answer; a pan's other instants match shifted places too, but the true
    /// one matches every frame better.
    fn settle_rival(&mut self, time: TimeMap, rival: Placement) -> Result<TimeMap> {
        let chosen = self.placement.expect("located before the time map");
        let at_chosen = self.accepted_ratio(&time);
        self.placement = Some(rival);
        let rival_time = self.describe_and_align();
        let at_rival = rival_time.as_ref().ok().and_then(|t| self.accepted_ratio(t));
        self.log(LogLevel::Info, || {
            format!(
                "placement ({}, {}) and its rival ({}, {}) scored {:.4} and {:.4}; their time maps match at {at_chosen:?} and {at_rival:?} of chance",
                chosen.x, chosen.y, rival.x, rival.y, chosen.confidence, rival.confidence
            )
        });
        let alike = |why: String| {
            Err(Error::Ambiguous(format!(
                "two placements score alike: ({}, {}) at {:.4} and ({}, {}) at {:.4}, {why} (a repetitive picture); give the placement to choose",
                chosen.x, chosen.y, chosen.confidence, rival.x, rival.y, rival.confidence
            )))
        };
        let clear = |r: f32| r <= CLEAR_MATCH;
        match (at_chosen, at_rival, &rival_time) {
            (Some(a), Some(b), _) if b * DECISIVE <= a => return rival_time,
            (Some(a), Some(b), _) if a * DECISIVE > b && !clear(a) => {
                return alike(format!("their time maps matching at {a:.3} and {b:.3} of chance"));
            }
            // Only the rival's map would be accepted: taken when it matches clearly.
            (None, Some(b), _) if clear(b) => return rival_time,
            (None, Some(b), _) => return alike(format!("the second's time map matching at {b:.3} of chance")),
            // No accepted map at the rival (its runs matched out of order, or a live session's
            // window cut it short) is no evidence against it: in a repetitive picture the
            // chosen place is as likely a lookalike, unless its own map is clear.
            (Some(a), None, Err(e)) if !clear(a) => {
                return alike(format!("and the time map at the second failed ({e})"));
            }
            (Some(a), None, Ok(_)) if !clear(a) => {
                return alike(format!("the first's time map matching at {a:.3} of chance, the second's refused"));
            }
            // The chosen place stands (or neither map would be accepted, and `decide` says why).
            _ => {}
        }
        self.placement = Some(chosen);
        self.describe_and_align()
    }

    /// A time map's median match distance over chance's (`chance_evidence`), when the map
    /// would be accepted (`decide`'s rules); `None` when it would be refused.
    fn accepted_ratio(&self, time: &TimeMap) -> Option<f32> {
        let (n, outside) = (time.map.len(), time.outside.len());
        if ((n - outside) as f64) < self.settings.min_matched_share * n as f64 {
            return None;
        }
        let e = chance_evidence(&self.streams.fg.track, &self.streams.bg.track, time)?;
        let ratio = e.matched_cost / e.chance_cost.max(f32::MIN_POSITIVE);
        (self.settings.min_matched_share == 0.0 || ratio <= CHANCE_RATIO).then_some(ratio)
    }

    /// Describes the kept copies at the placement and aligns; then describes, on frames the
    /// provider gives, the frames a thinned store kept no copy of where the map needs them
    /// (all of fg, bg around its matches), and aligns again until they are all described.
    fn describe_and_align(&mut self) -> Result<TimeMap> {
        self.describe_stores()?;
        self.describe_near_likely_copies()?;
        let mut time = align(&self.streams.fg.track, &self.streams.bg.track, &self.settings)?;
        while self.describe_borrowed(&time)? {
            time = align(&self.streams.fg.track, &self.streams.bg.track, &self.settings)?;
        }
        follow_outside_runs(&self.streams.fg.track, &self.streams.bg.track, &self.settings, &mut time);
        Ok(time)
    }

    /// Describes at full resolution the borrowed frames the map needs: every fg frame, and bg
    /// frames within a stride of a matched one. False when none was left to describe.
    fn describe_borrowed(&mut self, time: &TimeMap) -> Result<bool> {
        let fg_wanted: Vec<usize> =
            (0..self.streams.fg.borrowed.len()).filter(|&i| self.streams.fg.borrowed[i]).collect();
        let bg_wanted = self.borrowed_bg_near_matches(time);
        // Nothing matched on a thinned bg: the frames without a copy may hold the match.
        let unmatched_thinned = time.outside.len() == time.map.len() && self.streams.bg.borrowed.iter().any(|&b| b);
        if fg_wanted.is_empty() && bg_wanted.is_empty() && !(unmatched_thinned && self.provider.is_none()) {
            return Ok(false);
        }
        if self.provider.is_none() {
            return Err(Error::bad_state(format!(
                "one stream ran far ahead of the other before the placement was clear (or fg's content came late in bg), so the analyzer kept a copy of only some of {} frames: {}. Set a frame provider, give a placement or samples first, or push the streams interleaved by time",
                if fg_wanted.is_empty() { "bg's" } else { "fg's" },
                if fg_wanted.is_empty() && bg_wanted.is_empty() {
                    "no fg frame matched those it kept, and the others may hold the match".to_string()
                } else {
                    format!("a frame-exact map needs {} of the others", fg_wanted.len() + bg_wanted.len())
                }
            )));
        }
        for (stream, wanted) in [(Stream::Fg, fg_wanted), (Stream::Bg, bg_wanted)] {
            for j in wanted {
                self.describe_provided(stream, j)?;
            }
        }
        Ok(true)
    }

    /// With a thinned bg and a provider, describes the borrowed bg frames around the copies
    /// most like fg's, over fg's length: a map from borrowed descriptors alone may match no
    /// frame to start from (a pan whose neighbouring frames differ by a moving detail).
    fn describe_near_likely_copies(&mut self) -> Result<()> {
        if self.provider.is_none() || !self.streams.bg.borrowed.iter().any(|&b| b) {
            return Ok(());
        }
        let (Some(fg_store), Some(bg_store)) = (&self.copies.stores.fg, &self.copies.stores.bg) else {
            return Ok(());
        };
        let stride = bg_store.stride();
        let reach = (self.streams.fg.intake.count as f64 * rate_prior(&self.streams.fg.track, &self.streams.bg.track))
            .ceil() as usize
            + stride;
        let fg = evenly_spaced_copies(fg_store, RANKING_FG);
        let all: Vec<FrameRef<'_>> = (0..bg_store.len()).map(|k| bg_store.frame(k).0).collect();
        let centres: Vec<usize> = likeliest_bg(&fg, &all, NEAR_LIKELY).into_iter().map(|k| k * stride).collect();
        let borrowed = &self.streams.bg.borrowed;
        let mut wanted: Vec<usize> = centres
            .iter()
            .flat_map(|&c| c.saturating_sub(reach)..(c + reach + 1).min(borrowed.len()))
            .filter(|&j| borrowed[j])
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        for j in wanted {
            self.describe_provided(Stream::Bg, j)?;
        }
        Ok(())
    }

    /// Borrowed bg frames within a stride of a bg frame the map matches.
    fn borrowed_bg_near_matches(&self, time: &TimeMap) -> Vec<usize> {
        let borrowed = &self.streams.bg.borrowed;
        let reach = self.copies.stores.bg.as_ref().map_or(1, LumaStore::stride);
        let mut wanted = vec![false; borrowed.len()];
        for (i, &j) in time.map.iter().enumerate() {
            if time.is_outside(i) {
                continue;
            }
            let end = (j as usize + reach + 1).min(borrowed.len());
            let near = (j as usize).saturating_sub(reach).min(end)..end;
            wanted[near.clone()].copy_from_slice(&borrowed[near]);
        }
        (0..wanted.len()).filter(|&w| wanted[w]).collect()
    }

    /// Describes frame `j` of `stream` at full resolution, from the provider, in place of the
    /// descriptor it borrowed.
    fn describe_provided(&mut self, stream: Stream, j: usize) -> Result<()> {
        self.checkpoint("while asking the frame provider for frames")?;
        let shape = self.streams[stream].intake.shape;
        let pushed = [self.pushed_as(stream, j)];
        let frame = self
            .provider
            .as_mut()
            .and_then(|p| p.frames_pushed_as(&[(stream, j)], &pushed).pop().flatten())
            .filter(|f| Some((f.format(), f.width(), f.height())) == shape)
            .ok_or_else(|| {
                Error::bad_state(format!(
                    "the frame provider did not give {} frame {j} (of the stream's format and size), which the analyzer kept no copy of",
                    stream.name()
                ))
            })?;
        let st = &mut self.streams[stream];
        let rect = st.rect;
        let fingerprinter = match &mut st.provided {
            Some((r, f)) if *r == rect => f,
            slot => &mut slot.insert((rect, Fingerprinter::new(rect.width, rect.height))).1,
        };
        let d = fingerprinter.compute(&frame.as_frame(), rect);
        st.track.set(j, &d);
        st.borrowed[j] = false;
        Ok(())
    }

    /// Checks a placement the analyzer found on pairs the map matched; analyses again when
    /// it moves and the copies allow, until it stands.
    fn check_placement(&mut self, mut time: TimeMap) -> Result<TimeMap> {
        // First on the copies, while they hold every frame: the placement was searched on
        // copies from instants far apart (a pan shifts it), the map now says which match.
        for round in 0..CHECK_ROUNDS {
            let before = self.placement.expect("found");
            let Some(found) = self.relocate_on_copies(&time, round == 0) else { break };
            if same_box(&before, &found) {
                break;
            }
            self.placed(found, "copies of frame pairs the time map matched");
            self.placement_full_size = self.copies.shrink <= 1;
            time = self.describe_and_align()?;
        }
        let mut content_given_back = None;
        for _ in 0..CHECK_ROUNDS {
            let before = self.placement.expect("found");
            let Some(Checked { placement: checked, map_agrees, pairs, frames_alike, content_given_back: back }) =
                self.check_on_matched_pairs(&time)?
            else {
                break;
            };
            content_given_back = back;
            self.frames_alike = Some((pairs, frames_alike, "at full size"));
            self.placement_full_size = true;
            if same_box(&before, &checked) {
                break;
            }
            self.placed(checked, "the check on matched frame pairs");
            // Copies of every frame, or of some with the provider for the rest (see
            // `describe_borrowed`), can be described again; after an early decision they are gone.
            let describable = self.copies.stores.iter().all(Option::is_some);
            if map_agrees && small_move(&before, &checked) || !describable {
                if !map_agrees {
                    self.log(LogLevel::Warning, || {
                        "the placement moved on matched frames, and the frames described before cannot be described again: the time map is from the first placement".into()
                    });
                }
                break;
            }
            time = self.describe_and_align()?;
        }
        if let Some(back) = content_given_back {
            self.placed(
                widened(&self.placement.expect("found"), back),
                "bars that are no bars on matched pairs given back",
            );
        }
        Ok(time)
    }

    /// The placement searched again (position and, near the current one, scale) on the copies
    /// of a few fg frames and the bg frames the map gave them; `None` unless the copies hold
    /// every frame of both streams.
    fn relocate_on_copies(&self, time: &TimeMap, shifts_in_time: bool) -> Option<Placement> {
        if !self.copies_are_whole() {
            return None;
        }
        let (fg_store, bg_store) = (self.copies.stores.fg.as_ref()?, self.copies.stores.bg.as_ref()?);
        let around = self.placement?;
        let picks = self.pick_pairs(time);
        let fg: Vec<FrameRef<'_>> = picks.iter().map(|&i| fg_store.frame(i).0).collect();
        let near = Settings {
            scale_min: (around.scale / RELOCATE_SCALE).max(self.settings.scale_min),
            scale_max: (around.scale * RELOCATE_SCALE).min(self.settings.scale_max),
            min_confidence: 0.0,
            ..self.settings.clone()
        };
        let last = bg_store.len().saturating_sub(1) as i64;
        let bg_at = |shift: i64| -> Vec<FrameRef<'_>> {
            picks.iter().map(|&i| bg_store.frame((time.map[i] as i64 + shift).clamp(0, last) as usize).0).collect()
        };
        let located_at = |shift: i64, settings: &Settings| locate(&fg, &bg_at(shift), settings).ok();
        // Shifted, only each fg copy with its own pair's bg copy: the pairs are what a shift
        // tests, and fg against another pair's instant is a third of the work for nothing (a
        // scaled fg's 16 shifts took 240 ms against every pair). Each pair is searched for
        // `content` alone, as `lookalike_shift` does: one frame's dark edges are no bars, and
        // a single pair needs no halves retried.
        let helpers = workers::helpers(self.settings.threads);
        let matched_at = |shift: i64, content: Rect, settings: &Settings| {
            let pairs: Vec<(FrameRef<'_>, FrameRef<'_>)> = fg.iter().copied().zip(bg_at(shift)).collect();
            most_confident(
                workers::map(helpers, &pairs, |(f, b)| locate_content(f, b, content, settings).ok())
                    .into_iter()
                    .flatten(),
                |p| p,
            )
        };
        // On a few copies the bars may be seen differently (a dark picture): the same position
        // with the content box the descriptors use.
        let at_full = |found: &Placement| {
            let p = placement_to_full(found, fg_store, bg_store);
            let (c, k) = (around.content, p.scale);
            let (dx, dy) = ((c.x as f64 - p.content.x as f64) * k, (c.y as f64 - p.content.y as f64) * k);
            p.with_box(c, k, p.x_subpixel + dx, p.y_subpixel + dy)
        };
        let mut found = located_at(0, &near)?;
        // A pan makes fg's frame i at the true place and bg's frame i + k a few pixels over
        // look alike, and a placement found on frames from different instants can settle on
        // the latter, the time map following it. When the matched pairs move that first
        // placement, the pairs shifted in time by up to `TIME_SHIFTS` bg frames (at the scale
        // just found, which keeps it cheap) say whether it was a pan's lookalike: the true pairs
        // match clearly better. Only on the first map; later maps come from a placement found
        // on matched pairs, and a shift there only finds another pan's lookalike. Not for a
        // move of a copy's pixel or less either: that is the copies' precision, and the
        // check on full-size pairs (a bg frame either side of each) settles it.
        let moved = at_full(&found);
        let within_a_copy_pixel = (moved.x - around.x).abs() <= self.copies.shrink as i32
            && (moved.y - around.y).abs() <= self.copies.shrink as i32
            && (moved.width, moved.height) == (around.width, around.height);
        let pinned = Settings { scale_min: found.scale, scale_max: found.scale, ..near.clone() };
        // A score is at most 1: past `1 - TIME_SHIFT_MARGIN` no shift can win.
        let beatable = |p: &Placement| p.confidence + TIME_SHIFT_MARGIN < 1.0;
        if shifts_in_time && !same_box(&moved, &around) && !within_a_copy_pixel {
            for shift in (1..=TIME_SHIFTS).flat_map(|k| [-k, k]) {
                if !beatable(&found) {
                    break;
                }
                if let Some(other) = matched_at(shift, found.content, &pinned)
                    && other.confidence > found.confidence + TIME_SHIFT_MARGIN
                {
                    found = other;
                }
            }
        }
        // When the map follows the lookalike, the matched pairs agree with it and do not move
        // it; the best of all pairs cannot tell either (a frame where the moving detail that
        // tells them apart is out of view matches both equally). Each pair searched alone
        // does: the true pairs, shifted, score better on average.
        if shifts_in_time && let Some(shifted) = lookalike_shift(&fg, &picks, time, bg_store, &pinned, &found) {
            found = shifted;
        }
        let placement = at_full(&found);
        placement.validate().is_ok().then_some(placement)
    }

    /// fg frames to check the placement on (see `pick_pairs`).
    fn pick_pairs(&self, time: &TimeMap) -> Vec<usize> {
        self.pick_pairs_by(time, |_| 0)
    }

    /// fg frames to check the placement on full-size frames from the provider: as
    /// `pick_pairs`, and among a part's pairs about as good, the one the provider gives with
    /// the fewest pixels decoded (fg's frame, and bg's from the one before its match).
    fn pick_provided_pairs(&self, time: &TimeMap) -> Vec<usize> {
        let Some(provider) = self.provider.as_ref() else { return self.pick_pairs(time) };
        let pixels = |s: Stream| self.streams[s].intake.shape.map_or(1, |(_, w, h)| w as u64 * h as u64);
        let cost_of = |s: Stream, k: usize| {
            let kept = s == Stream::Fg && self.kept.frame(s, k).is_some();
            if kept { 0 } else { provider.decode_cost(s, k).unwrap_or(0).saturating_mul(pixels(s)) }
        };
        self.pick_pairs_by(time, |i| {
            let before_match = (time.map[i] as usize).saturating_sub(1);
            cost_of(Stream::Fg, i).saturating_add(cost_of(Stream::Bg, before_match))
        })
    }

    /// `pick_pairs` with the cost of giving each fg frame's pair.
    fn pick_pairs_by(&self, time: &TimeMap, cost: impl Fn(usize) -> u64) -> Vec<usize> {
        let probe = Alignment {
            placement: self.placement.expect("found"),
            fg_frames: self.streams.fg.track.len(),
            bg_frames: self.streams.bg.track.len(),
            time: time.clone(),
            media: None,
            placement_approximate: false,
        };
        pick_pairs(&probe, &self.streams.fg.track, &self.streams.bg.track, CHECK_PAIRS, cost)
    }

    /// Without full-size frames (no provider, or a given placement): the mapped bg frame and
    /// its neighbours compared with fg on the copies, for the pairs the check would take
    /// (pairs, those alike within `FRAMES_ALIKE_ON_COPIES`); `None` unless the copies hold
    /// every frame.
    fn frames_alike_on_copies(&self, time: &TimeMap) -> Option<(usize, usize, &'static str)> {
        if !self.copies_are_whole() || self.placement.is_none() {
            return None;
        }
        let (fg_store, bg_store) = (self.copies.stores.fg.as_ref()?, self.copies.stores.bg.as_ref()?);
        let (fg_rect, bg_rect) = self.rects().ok()?;
        let mut pictures = PictureMatch::new(fg_store.to_stored(fg_rect), bg_store.to_stored(bg_rect));
        let (mut pairs, mut alike) = (0, 0);
        for i in self.pick_pairs(time) {
            if time.is_outside(i) {
                continue;
            }
            let mapped = time.map[i] as usize;
            pictures.set_fg(&fg_store.frame(i).0);
            let at_mapped = pictures.score(&bg_store.frame(mapped).0);
            let neighbours = [mapped.checked_sub(1), Some(mapped + 1).filter(|&j| j < bg_store.len())]
                .into_iter()
                .flatten()
                .map(|j| pictures.score(&bg_store.frame(j).0));
            pairs += 1;
            alike += scores_alike(at_mapped, neighbours, FRAMES_ALIKE_ON_COPIES) as usize;
        }
        Some((pairs, alike, "on the analyzer's reduced copies"))
    }

    /// The placement checked on a few matched pairs at full resolution, on frames the
    /// provider gives or, without one, the frames the analyzer kept (`kept.rs`); `None` when
    /// neither can give them.
    fn check_on_matched_pairs(&mut self, time: &TimeMap) -> Result<Option<Checked>> {
        let mut around = self.placement.expect("found");
        let picks = if self.provider.is_some() { self.pick_provided_pairs(time) } else { self.pick_kept_pairs(time) };
        let bg_frames = self.streams.bg.track.len();
        // The provider's frames: a bg frame either side; the kept frames: the run around the
        // match (see `kept::RUN`).
        let reach = if self.provider.is_some() { 1 } else { KEPT_RUN / 2 };
        let neighbours = |j: usize| j.saturating_sub(reach)..(j + reach + 1).min(bg_frames);
        if !picks.is_empty() {
            // One pair's frames at a time: four full-size frames held at most.
            let mut checked = PairsChecked::default();
            let (mut provided, mut rescaled) = (true, false);
            let helpers = workers::helpers(self.settings.threads);
            for &i in &picks {
                let mapped = time.map[i] as usize;
                let Some((fg, bgs)) = self.fetch_pair(i, neighbours(mapped)) else {
                    provided = false;
                    break;
                };
                let pair =
                    PairFrames { fg: fg.as_frame(), bg: bgs.iter().map(|(j, f)| (*j, f.as_frame())).collect(), mapped };
                // The copies measure the scale to a few percent: measured again, once, here.
                // On each bg frame around the match: a pair a frame apart in a pan or zoom
                // shows another scale, the simultaneous one matches best.
                if !rescaled
                    && let Some(better) = most_confident(
                        workers::map(helpers, &pair.bg, |(_, bg)| refine_scale(&pair.fg, bg, &around, &self.settings))
                            .into_iter()
                            .flatten(),
                        |p| p,
                    )
                {
                    around = better;
                }
                rescaled = true;
                checked.add(&pair, &around, near_radius(self.copies.shrink), &self.settings);
            }
            if provided {
                return Ok(checked.result());
            }
        }
        Ok(None)
    }

    /// Matched fg frames whose frames the analyzer kept (see `KeptFrames::can_check`), picked
    /// as `pick_pairs` picks; none when fewer than `CHECK_PAIRS` can be checked (one or two
    /// pairs could move a right placement onto a lookalike).
    fn pick_kept_pairs(&self, time: &TimeMap) -> Vec<usize> {
        let checkable: Vec<bool> =
            (0..time.map.len()).map(|i| !time.is_outside(i) && self.kept.can_check(i, time.map[i] as usize)).collect();
        if checkable.iter().filter(|&&c| c).count() < CHECK_PAIRS {
            return Vec::new();
        }
        let mut only_checkable = time.clone();
        only_checkable.outside = (0..time.map.len()).filter(|&i| !checkable[i]).map(|i| i as u32).collect();
        self.pick_pairs(&only_checkable)
    }

    /// fg frame `i` and bg frames `bg` from the provider or, without one, those of them the
    /// analyzer kept; `None` when it cannot give one of them (or gives a frame of another
    /// shape than its stream's).
    fn fetch_pair(&mut self, i: usize, bg: std::ops::Range<usize>) -> Option<(FrameBuf, Vec<(usize, FrameBuf)>)> {
        if self.provider.is_none() {
            let fg = self.kept.frame(Stream::Fg, i)?.clone();
            let bgs = bg.filter_map(|j| self.kept.frame(Stream::Bg, j).map(|f| (j, f.clone()))).collect();
            return Some((fg, bgs));
        }
        // An fg frame kept at full size (see `keeps_costly_fg`) is not asked for again.
        let kept_fg = self.kept.frame(Stream::Fg, i).cloned();
        let mut wanted = if kept_fg.is_some() { Vec::new() } else { vec![(Stream::Fg, i)] };
        wanted.extend(bg.clone().map(|j| (Stream::Bg, j)));
        let pushed: Vec<(i64, TimeBase)> = wanted.iter().map(|&(s, k)| self.pushed_as(s, k)).collect();
        let provider = self.provider.as_mut().expect("matched above");
        let mut given = provider.frames_pushed_as(&wanted, &pushed).into_iter();
        let shapes = PerStream { fg: self.streams.fg.intake.shape, bg: self.streams.bg.intake.shape };
        let mut next = |stream: Stream| {
            given.next().flatten().filter(|f| Some((f.format(), f.width(), f.height())) == shapes[stream])
        };
        let fg = match kept_fg {
            Some(f) => f,
            None => next(Stream::Fg)?,
        };
        let bgs = bg.map(|j| next(Stream::Bg).map(|f| (j, f))).collect::<Option<Vec<_>>>()?;
        Some((fg, bgs))
    }

    /// The pts and time base frame `k` of `stream` was pushed with.
    fn pushed_as(&self, stream: Stream, k: usize) -> (i64, TimeBase) {
        let st = &self.streams[stream];
        (st.pts.get(k).copied().unwrap_or(NO_PTS), st.intake.time_base)
    }

    /// The alignment, or NO_MATCH when too few fg frames found a counterpart.
    fn decide(&mut self, time: TimeMap) -> Result<Alignment> {
        let (n, outside, confidence) = (time.map.len(), time.outside.len(), time.overall_confidence);
        let share = self.settings.min_matched_share;
        let evidence = chance_evidence(&self.streams.fg.track, &self.streams.bg.track, &time);
        let against_chance = evidence.map_or(String::new(), |e| {
            format!("; median match distance {:.2} against {:.2} by chance", e.matched_cost, e.chance_cost)
        });
        if ((n - outside) as f64) < share * n as f64 {
            return Err(Error::NotInBg(format!(
                "{outside} of {n} fg frames have no counterpart in bg{against_chance} (at least {:.0} % must have one: min_matched_share {share})",
                share * 100.0
            )));
        }
        if share > 0.0
            && let Some(e) = evidence
            && e.matched_cost > CHANCE_RATIO * e.chance_cost
        {
            return Err(Error::NotInBg(format!(
                "fg's {} matched frames match bg no better than by chance{against_chance}, time-map confidence {confidence:.2} (a match must be under {CHANCE_RATIO} of chance; min_matched_share 0 accepts it)",
                e.frames
            )));
        }
        if share > 0.0
            && let Some((pairs, alike, how)) = self.frames_alike
            && 2 * alike > pairs
        {
            return Err(Error::Ambiguous(format!(
                "which bg frame fg shows cannot be verified: on {alike} of {pairs} matched pairs checked ({how}), the bg frames either side of the match look alike (scores within {FRAMES_ALIKE:e}; a nearly still picture), so the map may be frames off while bg elsewhere moves; min_matched_share 0 accepts it"
            )));
        }
        if let Some(e) = evidence {
            let closest = closest_shift(&self.streams.fg.track, &self.streams.bg.track, &time, e.chance_cost);
            if let Some(r) = closest {
                self.log(LogLevel::Info, || {
                    format!(
                        "the map shifted by {} bg frames comes {:.2} of the way from its match to chance (under {SPANS_ALIKE}: bg shows the footage twice)",
                        r.shift, r.closeness
                    )
                });
            }
            if share > 0.0
                && let Some(r) = closest.filter(|r| r.closeness <= SPANS_ALIKE)
            {
                return Err(Error::Ambiguous(two_spans_message(&time, r)));
            }
        }
        self.log(LogLevel::Info, || {
            format!("time map: {n} fg frames, {outside} outside bg, confidence {confidence:.3}{against_chance}")
        });
        if confidence < 0.5 && outside < n {
            self.log(LogLevel::Warning, || format!("low time-map confidence {confidence:.3}: check the result"));
        }
        Ok(Alignment {
            placement: self.placement.expect("located above"),
            fg_frames: self.streams.fg.track.len(),
            bg_frames: self.streams.bg.track.len(),
            time,
            media: Some(MediaIdentity { fg: self.streams.fg.info(), bg: self.streams.bg.info() }),
            placement_approximate: !self.placement_full_size,
        })
    }
}

/// AMBIGUOUS's message for a map bg matches twice (`temporal::repeated_span`).
fn two_spans_message(time: &TimeMap, repeat: RepeatedSpan) -> String {
    let matched = (0..time.map.len()).filter(|&i| !time.is_outside(i)).map(|i| time.map[i] as i64);
    let (first, last) = matched.fold((i64::MAX, i64::MIN), |(a, b), j| (a.min(j), b.max(j)));
    let shift = repeat.shift;
    format!(
        "fg matches two spans of bg alike, bg frames {first}-{last} and {}-{} (bg shows this footage twice: the map shifted by {shift} frames comes {:.2} of the way from its match to chance, under {SPANS_ALIKE}), so which one fg was cut from cannot be told; cut bg to one of them, or min_matched_share 0 accepts the first",
        first + shift,
        last + shift,
        repeat.closeness.max(0.0)
    )
}

/// How many times smaller (relative to chance) one placement's median match distance must be
/// than its rival's to be taken (`Analyzer::settle_rival`).
/// Measured on a tiled texture scrolling under a faint blob (tests/repetitive.rs): lookalikes
/// 0.14-0.36 of chance, one lookalike 2x another's in a live session's window; the C tests'
/// panning scene: the truth 0.001, its pan lookalike 0.054.
const DECISIVE: f32 = 4.0;
/// A placement whose time map matches under this fraction of chance stands against a rival
/// that is not decisively better: the repetitive picture's lookalikes stayed above 0.14; the
/// panning scene's truth at scale 2, on copies a quarter its size, 0.054 (its rival 0.066).
const CLEAR_MATCH: f32 = 0.1;

/// The placement of the matched pairs shifted in time by up to `TIME_SHIFTS` bg frames, each
/// pair searched alone (at `pinned`'s scale), when their mean score beats the unshifted
/// pairs' by `TIME_SHIFT_MARGIN` and their best pair is as good as `found` (the best of all
/// pairs): a pan's lookalike the map followed. `None` otherwise (when the first map is poor,
/// shifted pairs are no truer than unshifted ones).
fn lookalike_shift(
    fg: &[FrameRef<'_>],
    picks: &[usize],
    time: &TimeMap,
    bg_store: &LumaStore,
    pinned: &Settings,
    found: &Placement,
) -> Option<Placement> {
    // On copies of a large picture the searches (3 pairs, 17 shifts) cost more than the rest
    // of a short clip's analysis; a pan's lookalike shows as well on copies a few times smaller.
    let by = fg.first().map_or(1, |f| {
        let width = bg_store.frame(0).0.width().max(f.width());
        (width / LOOKALIKE_WIDTH).max(1).next_power_of_two()
    });
    let fg: Vec<FrameBuf> = fg.iter().map(|f| reduced(f, by)).collect::<Option<_>>()?;
    let c = found.content;
    let content = Rect::new(c.x / by, c.y / by, (c.width / by).max(1), (c.height / by).max(1));
    let last = bg_store.len().saturating_sub(1) as i64;
    let at = |i: usize, shift: i64| (time.map[i] as i64 + shift).clamp(0, last) as usize;
    // The reduced bg frames the pairs at some shifts need (a frame that cannot be reduced is
    // left out, and a shift needing it has no mean).
    let mut bg: std::collections::BTreeMap<usize, FrameBuf> = Default::default();
    let reduce_for = |bg: &mut std::collections::BTreeMap<usize, FrameBuf>, shifts: &[i64]| {
        for j in shifts.iter().flat_map(|&shift| picks.iter().map(move |&i| at(i, shift))) {
            if let std::collections::btree_map::Entry::Vacant(e) = bg.entry(j)
                && let Some(copy) = reduced(&bg_store.frame(j).0, by)
            {
                e.insert(copy);
            }
        }
    };
    let pairs = picks.len().max(1) as f64;
    // The pairs at `shift`, or `None` as soon as their mean cannot exceed `to_beat` (a score
    // is at most 1): an exact shortcut, the same answer for less work.
    let pairs_at = |bg: &std::collections::BTreeMap<usize, FrameBuf>, shift: i64, to_beat: f64| {
        let mut total = 0.0;
        let mut best: Option<Placement> = None;
        for (k, (f, &i)) in fg.iter().zip(picks).enumerate() {
            let unseen = (picks.len() - k) as f64;
            if total + unseen <= to_beat * pairs {
                return None;
            }
            // The content box alone: no bars to detect on one frame, no halves to retry.
            let p = locate_content(&f.as_frame(), &bg.get(&at(i, shift))?.as_frame(), content, pinned).ok()?;
            total += p.confidence;
            best = Some(best.filter(|b| b.confidence >= p.confidence).unwrap_or(p));
        }
        Some((total / pairs, best?))
    };
    reduce_for(&mut bg, &[0]);
    let (mut best_mean, _) = pairs_at(&bg, 0, f64::NEG_INFINITY)?;
    let mut shifted = None;
    // As many shifts at once as there are threads (the setting "threads"), each cut short
    // against the best mean before them: a shift cut short would have been cut short, or not
    // taken, after its predecessors too, so the answer is the one-at-a-time answer.
    let helpers = workers::helpers(pinned.threads);
    let shifts: Vec<i64> = (1..=TIME_SHIFTS).flat_map(|k| [-k, k]).collect();
    for batch in shifts.chunks(helpers + 1) {
        reduce_for(&mut bg, batch);
        let to_beat = best_mean + TIME_SHIFT_MARGIN;
        for result in crate::workers::map(helpers, batch, |&shift| pairs_at(&bg, shift, to_beat)) {
            if let Some((mean, p)) = result
                && mean > best_mean + TIME_SHIFT_MARGIN
                && p.confidence + TIME_SHIFT_MARGIN >= found.confidence
            {
                (best_mean, shifted) = (mean, Some(p));
            }
        }
    }
    shifted.map(|p| p.with_box(found.content, p.scale, p.x_subpixel * by as f64, p.y_subpixel * by as f64))
}

/// Widest copy the pan-lookalike check searches (see `lookalike_shift`).
const LOOKALIKE_WIDTH: u32 = 320;

/// A grey copy of `frame` `by` times smaller each way (itself, copied, for 1); `None` for a
/// frame too small to reduce.
fn reduced(frame: &FrameRef<'_>, by: u32) -> Option<FrameBuf> {
    let (w, h) = (frame.width() / by, frame.height() / by);
    if w == 0 || h == 0 {
        return None;
    }
    let img =
        crate::spatial::Image::from_frame(frame, Rect::full(frame.width(), frame.height()), w as usize, h as usize);
    let mut buf = FrameBuf::new(PixelFormat::Gray8, w, h).ok()?;
    for (y, row) in img.data.chunks_exact(w as usize).enumerate() {
        for (o, &v) in buf.row_mut(0, y).iter_mut().zip(row) {
            *o = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    Some(buf)
}

/// The `LIKELY_PICKS` bg copies most like fg's (see `likeliest_bg`), in time order.
fn likeliest_copies<'a>(fg_store: &LumaStore, bg_store: &'a LumaStore) -> Vec<FrameRef<'a>> {
    let fg = evenly_spaced_copies(fg_store, RANKING_FG);
    let all: Vec<FrameRef<'_>> = (0..bg_store.len()).map(|k| bg_store.frame(k).0).collect();
    let mut picks = likeliest_bg(&fg, &all, LIKELY_PICKS);
    picks.sort_unstable();
    picks.into_iter().map(|k| bg_store.frame(k).0).collect()
}

/// `count` evenly spaced copies of a store (first and last included).
fn evenly_spaced_copies(store: &LumaStore, count: usize) -> Vec<FrameRef<'_>> {
    evenly_spaced(store.len(), count.max(1)).into_iter().map(|i| store.frame(i).0).collect()
}

/// Refuses a compared rectangle that does not fit the stream's frames.
fn check_fits(stream: Stream, rect: Rect, width: u32, height: u32) -> Result<()> {
    if rect.fits_in(width, height) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "the placement's {} rectangle {:?} does not fit the {}x{} frames",
        stream.name(),
        rect,
        width,
        height
    )))
}
