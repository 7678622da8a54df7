//! One pass: fg and bg frames in as they arrive, composited fg frames out after a bounded
//! latency of `live_lag` fg frames.
//!
//! The session first holds fg's first `lag + 1` frames and a window of bg frames, and runs the
//! analyzer on them: placement (searched, or the one given) and where fg starts in bg. Until
//! that succeeds it says AGAIN with the stream it needs and drops bg frames from the front of
//! a full window, wherever in bg fg starts; NO_MATCH when bg ends first. Once locked, each
//! fg frame and each bg frame is described as it arrives, and fg frame i is decided once fg
//! frame i + lag and the bg frames its lookahead may match have arrived: the time map of the
//! window (the last `lag` decided fg frames, the pending ones, the bg frames described) is
//! computed as the analyzer would, and frame i takes its bg frame from it, never going back.
//!
//! Memory: at most `lag + 1` fg pictures, the bg pictures from the last decision to the
//! lookahead's reach plus the band, and descriptors of about twice that; none of it grows with
//! the video's length.
//!
//! # Design notes (measured)
//!
//! **The live session** (`src/session/live.rs`, DESIGN.md §6). The design's online DP with a fixed
//! lag would need its own offset search and could not follow cuts the way the offline map does;
//! instead each decision reuses the offline machinery on a bounded window: the analyzer runs once
//! on the held start (fg's first `live_lag + 1` frames and a window of bg: two lookaheads and two
//! bands), giving the placement and the rectangles it compares on (without fg's graphics,
//! `Analyzer::compared_rects`); then each arriving frame is described there, and fg frame i is
//! decided from `temporal::align` over the last `live_lag` decided fg frames, the pending ones and
//! the bg frames described, once fg frame i + `live_lag` and the bg its matches may reach are in. A
//! match is never left behind; an outside frame stays over the last matched bg frame, so the map
//! comes back after inserted footage; when the window's newest fg frame finds nothing, or only bg's
//! newest frames (a cut forward past the lookahead's reach, into a look-alike scene), bg's window
//! grows to the seeking size before deciding. The start waits for bg when fg's last held frames lie
//! beyond bg's window, and slides the window (a quarter lookahead per attempt) until fg's start is
//! found or bg ends: NO_MATCH, and everything is freed. Past the first window, one the scout rules
//! out (a sure miss, or only near looks) is dropped but for its last band, one where it sees fg
//! clearly ahead of the window's middle first slides to hold fg's start a band in, and one
//! analysed without a match slides a whole lookahead: fg 17 s into the bench's 31 s programme took
//! 95 s and was refused after two windows; it is found in 1.9 s, every frame exact. Pictures are held in
//! reused buffers, and each window's time map is computed into buffers kept from frame to frame
//! (`temporal::align_into` with an `AlignScratch`): over 100 steady-state frames the session
//! allocates nothing (`tests/alloc.rs`). Measured: 125 fg frames/s on 1080p bg with a 720p fg, one
//! thread, decoding excluded (`cargo bench --bench live`, 120 frames with the start analysis; 98
//! with the placement searched). Through `comp --path one-pass` (table above) every family passes,
//! all 15 matching ones and all 3 refusals (measured before the table's speed group, which the
//! session refuses: see below). Each matched decision is checked on the full-size
//! pictures of the bg frames either side of the descriptors' match (`src/session/picture_match.rs`)
//! when that match is off the line the recent matches lie on: a window of descriptors is short, and
//! on a crf 38 pan or the first frames after inserted footage it picked a frame one off, which the
//! pictures do not.
//!
//! **fg at another speed than its timestamps.** The time map finds fg sped up or slowed down
//! (`temporal`, step 5), but the session's reach into bg, its line of recent matches and its
//! picture checks follow the timestamps' rate: with the map's speed taken, the film at 1.25
//! times still had 56 of 134 frames right, at 0.8 times 24 of 120. A window whose map runs at
//! another speed ends the session with UNSUPPORTED (the command line then takes two passes,
//! exact on all six speeds measured); a speed ramp's slow stretch does too, which the session
//! had followed exactly.
//!
//! **The scout before each start analysis.** A start analysis of a held window costs about 2 s
//! on 720p (placement on copies of every frame, the parts of fg when the whole matches poorly,
//! the time map, the checks), and a pair that does not match, or fg far into bg, slides through
//! a window per quarter lookahead: 25 windows and 54 s to refuse the interview's crop against the
//! film at `live_lag` 12 (117 s on a loaded machine). Each window is first shown to the scout
//! (`session::scout`, the same code a seeking host uses on bg's keyframes): on 240×135 grey
//! copies of the held pictures it places fg and compares every bg picture with every fg picture
//! there; when none comes near (`SURE_MISS_SCORE`) the window is ruled out and no analysis runs.
//! That refusal took 3.7 s on the same loaded machine, every window ruled out
//! (`tests/cli_ffmpeg.rs`). A near score, a hit or an error leaves the window to the analyzer,
//! so the scout only ever saves work: it never accepts a start. The generator's textures come
//! near each other (0.87 between two seeds), so on generated pairs every window is analysed.

use std::collections::VecDeque;

use crate::alignment::Alignment;
use crate::compose::{ComposeScratch, PasteSpec, compose};
use crate::error::{Error, Result, Status};
use crate::fingerprint::Fingerprinter;
use crate::frame::{FrameBuf, FrameMut, FrameRef, PixelFormat, Rect, TimeBase};
use crate::media::MediaIdentity;
use crate::session::analyzer::{Analyzer, CancelFn, LogFn, Stage, StageFn, StageTimes};
use crate::session::compositor::{Received, Sent};
use crate::session::picture_match::{PictureMatch, RATE_PENALTY, best_picture, on_the_line};
use crate::session::scout::{Scout, ScoutAnswer, ScoutReport};
use crate::session::stream::{PerStream, Shape, Stream, StreamIntake};
use crate::settings::Settings;
use crate::spatial::Placement;
use crate::temporal::{AlignScratch, CHANCE_RATIO, TimeMap, Track, align_into, frame_cost_of, no_better_than_chance};
use crate::workers;

/// bg frames beyond the lookahead's expected reach that a decision waits for (the band's
/// search may find a frame a little further on).
const REACH_MARGIN: usize = 2;
/// A window's newest fg frame matched under this confidence has not found its counterpart.
const TAIL_CONFIDENCE: f32 = 0.5;

/// One held picture of a stream.
struct Held {
    index: usize,
    seconds: f64,
    buf: FrameBuf,
}

/// One input stream as the session sees it.
struct Side {
    intake: StreamIntake,
    /// Pictures held, in index order.
    pictures: VecDeque<Held>,
    /// Spent picture buffers, reused for the next frames (no allocation in steady state).
    spare: Vec<FrameBuf>,
    /// Descriptors of frames `track_first..track_first + track.len()` (once locked).
    track: Track,
    track_first: usize,
    fingerprinter: Option<Fingerprinter>,
    rect: Rect,
}

impl Side {
    fn new(stream: Stream) -> Side {
        Side {
            intake: StreamIntake::new(stream),
            pictures: VecDeque::new(),
            spare: Vec::new(),
            track: Track::new(),
            track_first: 0,
            fingerprinter: None,
            rect: Rect::default(),
        }
    }

    /// Copies `frame` into a spare buffer (or a new one while the spares warm up).
    fn hold(&mut self, frame: &FrameRef<'_>, seconds: f64) -> Result<()> {
        let buf = match self.spare.pop() {
            Some(mut b) => {
                b.copy_from(frame)?;
                b
            }
            None => FrameBuf::from_frame(frame)?,
        };
        self.pictures.push_back(Held { index: self.intake.count, seconds, buf });
        Ok(())
    }

    /// Releases the pictures before frame `index` to the spares.
    fn release_pictures_before(&mut self, index: usize) {
        while self.pictures.front().is_some_and(|h| h.index < index) {
            let held = self.pictures.pop_front().expect("checked");
            self.spare.push(held.buf);
        }
    }

    /// Forgets the descriptors before frame `index`.
    fn forget_descriptors_before(&mut self, index: usize) {
        let k = index.saturating_sub(self.track_first).min(self.track.len());
        if k > 0 {
            self.track.hashes.drain(..k);
            self.track.thumbs.drain(..k);
            self.track.seconds.drain(..k);
            self.track_first += k;
        }
    }

    fn picture(&self, index: usize) -> Option<&Held> {
        let first = self.pictures.front()?.index;
        self.pictures.get(index.checked_sub(first)?)
    }

    /// Describes a picture at the locked rectangle and appends it to the track.
    fn describe(&mut self, frame: &FrameRef<'_>, seconds: f64) {
        let rect = self.rect;
        let d = self.fingerprinter.as_mut().expect("locked").compute(frame, rect);
        self.track.push(&d, seconds);
    }

    fn newest_seconds(&self) -> Option<f64> {
        self.pictures.back().map(|h| h.seconds)
    }

    fn held_bytes(&self) -> usize {
        self.pictures.iter().map(|h| h.buf.byte_size()).sum::<usize>()
            + self.spare.iter().map(FrameBuf::byte_size).sum::<usize>()
    }

    /// Frames per second so far, when two frames have been seen.
    fn fps(&self) -> Option<f64> {
        let (_, fps, _) = self.intake.clock.rate();
        (fps > 0.0).then_some(fps)
    }
}

/// The line the recent matches lie on: each matched output frame's bg index minus its time in
/// bg frames, since the last jump (a cut) and over at most `lag` frames. Their mean is the
/// line's sub-frame offset: each match rounds its frame's position, and the roundings average
/// out.
#[derive(Default)]
struct RecentLine {
    offsets: VecDeque<f64>,
    sum: f64,
}

impl RecentLine {
    /// A jump between two matches larger than this starts a new line.
    const JUMP: f64 = 1.5;

    fn add(&mut self, offset: f64, keep: usize) {
        if self.offsets.back().is_some_and(|last| (offset - last).abs() > Self::JUMP) {
            self.offsets.clear();
            self.sum = 0.0;
        }
        if self.offsets.len() == keep.max(1) {
            self.sum -= self.offsets.pop_front().unwrap_or(0.0);
        }
        self.offsets.push_back(offset);
        self.sum += offset;
    }

    fn offset(&self) -> Option<f64> {
        (!self.offsets.is_empty()).then(|| self.sum / self.offsets.len() as f64)
    }
}

/// Refuses frames of these shapes, at `bg_per_fg` bg frames per fg frame, whose largest
/// window of pictures in a live session (seeking: two lookaheads and two bands of bg,
/// `live_lag + 1` fg, the output and a spare of each) would take more than
/// `live_memory_mib`: at 4K or 8K the window of a long lag is gigabytes. What a session
/// says once both first frames are in; a host choosing its path asks before opening one.
pub(crate) fn check_window_fits(settings: &Settings, fg: Shape, bg: Shape, bg_per_fg: f64) -> Result<()> {
    let bytes = |(format, w, h): Shape| format.picture_bytes(w, h) as u64;
    let lag = settings.live_lag.max(1) as usize;
    let lookahead = (bg_per_fg * (lag + 1) as f64).ceil() as usize;
    let bg_frames = (2 * lookahead + 2 * settings.band as usize + 3) as u64;
    let fg_frames = (lag + 2) as u64;
    let needed = bytes(bg).saturating_mul(bg_frames).saturating_add(bytes(fg).saturating_mul(fg_frames));
    let budget = settings.live_memory_mib as u64 * (1 << 20);
    if needed <= budget {
        return Ok(());
    }
    Err(Error::Unsupported(format!(
        "the live session's window ({bg_frames} bg frames of {}x{}, {fg_frames} fg frames of {}x{}) needs {} MiB, over live_memory_mib {}: use two passes, a shorter live_lag or a larger budget",
        bg.1,
        bg.2,
        fg.1,
        fg.2,
        needed >> 20,
        settings.live_memory_mib
    )))
}

/// What locking found: where fg's content lands in bg, and how it is pasted.
struct Lock {
    placement: Placement,
    /// The start analysis could not check the placement on full-size frames.
    placement_approximate: bool,
    spec: PasteSpec,
    /// bg time minus fg time at the last window's time map (seconds).
    bg_minus_fg: f64,
}

/// A start analysis's match.
#[derive(Clone, Copy)]
struct Found {
    placement: Placement,
    placement_approximate: bool,
    /// fg's and bg's compared rectangles (fg's content without graphics bg lacks).
    rects: (Rect, Rect),
    bg_minus_fg: f64,
    /// The first bg frame fg's start needs (with the band before it).
    keep_from: usize,
    /// Whether every held fg frame up to the last found a counterpart: when the last ones did
    /// not, bg's window may end too early for them.
    covered: bool,
}

/// What the session's scout saw in a held window while seeking fg's start.
#[derive(Clone, Copy, PartialEq)]
enum WindowLook {
    /// No held bg picture came near a held fg picture (`scout::SURE_MISS_SCORE`).
    SureMiss,
    /// One came near, none showed fg clearly (`scout::HIT_SCORE`).
    Near,
    /// One showed fg; fg's earliest estimated start (bg seconds, less the scout's margin).
    Hit { start_seconds: f64 },
    /// Not looked at (a given placement, the host's scout, a match waiting for more bg,
    /// frames the scout cannot take).
    Unjudged,
}

impl WindowLook {
    /// Whether the window goes without a start analysis: a sure miss always; a near look
    /// once past the first reach (`Live::within_first_reach`), where a pair whose copies
    /// score only near is searched no further (NO_MATCH at bg's end), and a window of a
    /// lookalike scene costs no analysis.
    fn rules_out(self, within_first_reach: bool) -> bool {
        match self {
            WindowLook::SureMiss => true,
            WindowLook::Near => !within_first_reach,
            WindowLook::Hit { .. } | WindowLook::Unjudged => false,
        }
    }

    fn why(self) -> &'static str {
        match self {
            WindowLook::Near => {
                "no bg frame of the window clearly showed fg's (the scout's look, past the first reach)"
            }
            _ => "no bg frame of the window came near fg's (the scout's sure miss)",
        }
    }
}

/// One look at the held window while seeking.
enum Attempt {
    /// fg's start (bg seconds) lies beyond the window's middle: slide there first.
    SlideTo(f64),
    /// The scout ruled the window out.
    RuledOut(WindowLook),
    Analysed(Result<Found>),
}

/// Counts of a live session so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStatus {
    pub fg_received: usize,
    pub bg_received: usize,
    /// Composited frames output.
    pub output: usize,
    /// Output fg frames the time map put outside bg (composited over the bg frame between
    /// their neighbours' matches).
    pub outside: usize,
    /// Whether the placement and fg's start in bg are found.
    pub locked: bool,
    /// bg frames dropped unseen by any fg frame while fg's start was sought.
    pub bg_dropped: usize,
    /// Start analyses run (one per window position tried).
    pub start_attempts: usize,
    /// Of those, the windows the scout ruled out on small copies, without the analyzer.
    pub sure_misses: usize,
    /// Decisions the full-resolution comparison moved to the bg frame next to the
    /// descriptors' match (`picture_match`).
    pub picture_moves: usize,
    /// Matched output frames whose match was no closer than `temporal::CHANCE_RATIO` of
    /// matching by chance.
    pub chance_like: usize,
}

/// Milliseconds a live session spent, by stage.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LiveTimes {
    /// Start analyses (placement and fg's start in bg), every attempt.
    pub lock: f64,
    /// Parts of `lock`: the analyzer's stages, summed over the attempts.
    pub lock_stages: StageTimes,
    /// Describing frames and the windows' time maps.
    pub align: f64,
    pub compose: f64,
}

/// The decision for one output fg frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveDecision {
    pub fg_index: usize,
    pub bg_index: usize,
    pub outside: bool,
    /// The descriptor distance of the pair and its confidence, as the offline time map gives
    /// them (0 for an outside frame).
    pub cost: f32,
    pub confidence: f32,
}

/// The live (one-pass) session.
pub struct Live {
    settings: Settings,
    lag: usize,
    sides: PerStream<Side>,
    given_placement: Option<Placement>,
    lock: Option<Lock>,
    /// Compares each decided fg frame with the bg frames next to its match (once locked).
    pictures: Option<PictureMatch>,
    /// The last window's time map, and the buffers it is computed in (reused frame to frame).
    time: TimeMap,
    align_scratch: AlignScratch,
    /// bg index of the last matched output frame.
    last_matched: Option<usize>,
    /// The recent matches' line, where the rate expects the next frame.
    line: RecentLine,
    /// The last window's newest fg frame found no counterpart: bg's window may grow.
    reaching: bool,
    /// Start analyses that found no match (limited by the setting "live_start_windows").
    failed_starts: usize,
    /// The host's scout found fg where bg's frames begin: the first window is analysed
    /// without the session's own scout (`set_start_scouted`).
    start_scouted: bool,
    /// The last decision waited for bg (reaching): `wants` names bg until a bg frame (or bg's
    /// end) arrives, so `receive`'s AGAIN and `wants` always agree.
    decision_needs_bg: bool,
    /// A match found whose last fg frames bg's window did not reach yet.
    waiting: Option<Found>,
    /// bg frames taken since the last start analysis (while seeking).
    bg_since_attempt: usize,
    /// bg frames the window moves on by before the next start analysis (see `try_lock`).
    next_attempt_after: usize,
    /// What a window past the first reach found ambiguous (told if bg ends before fg's start).
    ambiguous_window: Option<String>,
    /// Decisions of the fg frames whose descriptors are still in the window, oldest first.
    history: VecDeque<LiveDecision>,
    next_out: usize,
    last: Option<LiveDecision>,
    out: Option<FrameBuf>,
    scratch: ComposeScratch,
    status: LiveStatus,
    times: LiveTimes,
    /// Lent to each start analysis, which tells where the placement came from.
    log: Option<LogFn>,
    /// What tells the session to stop, and whether it did.
    cancel: Option<CancelFn>,
    cancelled: bool,
    /// What is told of each start analysis (and of its stages).
    stage: Option<StageFn>,
    /// NO_MATCH (or another error that ended the session), repeated on every later call.
    failed: Option<String>,
    /// fg's first frame's time (seconds).
    fg_first_seconds: Option<f64>,
    /// The pts and time base of the last frame out.
    last_fg_pts: Option<(i64, TimeBase)>,
    /// The first window's start analysis, fed as its pictures arrive (see `feed_early`).
    early: Option<EarlyStart>,
}

/// A start analysis fed while the first window fills, in the order the analysis takes the
/// held pictures (by time), so that its copies of them (90 of a 1080p window's 390 ms of
/// start analysis on the main thread) are made while the decoders are what the session waits
/// for. Let go when a picture of the window goes or an attempt is made without it.
struct EarlyStart {
    analyzer: Analyzer,
    /// How many of each stream's held pictures, from the first, it was given.
    pushed: [usize; 2],
}

impl Live {
    /// A live session with `settings.live_lag` fg frames of latency (settings are checked
    /// where they are set).
    pub fn new(settings: Settings) -> Live {
        Live {
            lag: settings.live_lag.max(1) as usize,
            settings,
            sides: PerStream::new(Side::new),
            given_placement: None,
            lock: None,
            pictures: None,
            time: TimeMap::default(),
            align_scratch: AlignScratch::default(),
            waiting: None,
            last_matched: None,
            line: RecentLine::default(),
            reaching: false,
            decision_needs_bg: false,
            failed_starts: 0,
            start_scouted: false,
            bg_since_attempt: 0,
            next_attempt_after: 1,
            ambiguous_window: None,
            history: VecDeque::new(),
            next_out: 0,
            last: None,
            out: None,
            scratch: ComposeScratch::default(),
            status: LiveStatus::default(),
            times: LiveTimes::default(),
            log: None,
            cancel: None,
            cancelled: false,
            stage: None,
            failed: None,
            fg_first_seconds: None,
            last_fg_pts: None,
            early: None,
        }
    }

    /// Sets (or clears) what tells the session to stop: asked before each frame is taken and
    /// inside each start analysis (as the analyzer asks it). When it answers true, the running
    /// call returns `Error::Cancelled`, everything held is let go, and later calls answer
    /// `Error::BadState`.
    pub fn set_cancel(&mut self, cancel: Option<CancelFn>) {
        self.cancel = cancel;
    }

    /// Sets (or clears) the stage callback: each start analysis is told as
    /// `Stage::LiveStart` (0 before, 1 after), and its analyzer's stages inside it.
    pub fn set_stage_progress(&mut self, stage: Option<StageFn>) {
        self.stage = stage;
    }

    /// `Error::Cancelled` (the session ended) when the host asked to stop.
    fn checkpoint(&mut self) -> Result<()> {
        if self.cancel.as_ref().is_some_and(|cancelled| cancelled()) {
            return Err(self.cancel_now());
        }
        Ok(())
    }

    fn cancel_now(&mut self) -> Error {
        self.cancelled = true;
        self.fail(Error::Cancelled("the live session stopped".into()))
    }

    /// Sets (or clears) the log callback: the start analyses tell through it where the
    /// placement came from and what the time map found. It runs on the thread calling `send`
    /// or `receive`.
    pub fn set_log(&mut self, log: Option<LogFn>) {
        self.log = log;
    }

    /// Uses `placement` instead of searching for it; before the first frame.
    pub fn set_placement(&mut self, placement: Placement) -> Result<()> {
        if self.sides.iter().any(|s| s.intake.count > 0) {
            return Err(Error::bad_state("set the placement before the first frame"));
        }
        placement.validate()?;
        self.given_placement = Some(placement);
        Ok(())
    }

    /// Tells the session that the host scouted bg (`Scout`, on a seekable source) and sends
    /// bg from the keyframe before the span where fg was found: the first window then goes
    /// straight to the start analysis. The session's own scout on small copies (which rules
    /// out windows that hold nothing like fg) would look again at what the host's scout has
    /// just seen to hold fg. Later windows are scouted as usual. Before the first frame.
    pub fn set_start_scouted(&mut self, scouted: bool) -> Result<()> {
        if self.sides.iter().any(|s| s.intake.count > 0) {
            return Err(Error::bad_state("say that bg was scouted before the first frame"));
        }
        self.start_scouted = scouted;
        Ok(())
    }

    /// The placement, once locked.
    pub fn placement(&self) -> Option<&Placement> {
        self.lock.as_ref().map(|l| &l.placement)
    }

    pub fn status(&self) -> LiveStatus {
        self.status
    }

    /// Where the session's time went so far.
    pub fn times(&self) -> LiveTimes {
        self.times
    }

    /// The decision behind the last frame `receive` gave.
    pub fn last_decision(&self) -> Option<LiveDecision> {
        self.last
    }

    /// Bytes of pictures held now (for bounds and tests).
    pub fn held_bytes(&self) -> usize {
        self.sides.iter().map(Side::held_bytes).sum::<usize>() + self.out.as_ref().map_or(0, FrameBuf::byte_size)
    }

    fn check_alive(&self) -> Result<()> {
        if self.cancelled {
            return Err(Error::BadState("the live session was cancelled".into()));
        }
        match &self.failed {
            Some(m) => Err(Error::NotInBg(format!("the session has ended: {m}"))),
            None => Ok(()),
        }
    }

    /// Ends the session with `error`: everything held is freed, and every later call repeats it.
    fn fail(&mut self, error: Error) -> Error {
        if error.status() == Status::NoMatch {
            self.failed = Some(error.to_string());
        }
        for side in self.sides.iter_mut() {
            side.pictures.clear();
            side.spare.clear();
            side.track = Track::new();
        }
        self.let_early_go();
        self.out = None;
        error
    }

    /// Sends the next frame of a stream; `None` ends it. AGAIN: call `receive`, then send the
    /// same frame again.
    pub fn send(&mut self, stream: Stream, frame: Option<&FrameRef<'_>>) -> Result<Sent> {
        self.check_alive()?;
        self.checkpoint()?;
        let Some(frame) = frame else {
            self.sides[stream].intake.ended = true;
            self.decision_needs_bg &= stream != Stream::Bg;
            return Ok(Sent::Accepted);
        };
        let seconds = self.sides[stream].intake.check(frame)?;
        if let Err(e) = self.check_memory_budget() {
            return Err(self.fail(e));
        }
        if self.is_full(stream) {
            if self.lock.is_none() && stream == Stream::Bg && (self.sides.fg.intake.ended || self.fg_ready_to_lock()) {
                // Seeking with a full window: analysing finds fg's start, or it is not in the
                // window's oldest frame, which goes.
                if self.ready_to_lock() {
                    self.try_lock()?;
                }
                if self.lock.is_none() {
                    self.drop_oldest_bg()?;
                }
            }
            if self.is_full(stream) {
                return Ok(Sent::Again);
            }
        }
        self.decision_needs_bg &= stream != Stream::Bg;
        let side = &mut self.sides[stream];
        side.hold(frame, seconds)?;
        if side.fingerprinter.is_some() {
            let started = std::time::Instant::now();
            side.describe(frame, seconds);
            self.times.align += started.elapsed().as_secs_f64() * 1e3;
        }
        side.intake.taken(frame, seconds);
        self.feed_early();
        match stream {
            Stream::Fg => {
                self.status.fg_received += 1;
                self.fg_first_seconds.get_or_insert(seconds);
            }
            Stream::Bg => {
                self.status.bg_received += 1;
                self.bg_since_attempt += 1;
            }
        }
        Ok(Sent::Accepted)
    }

    /// Whether `stream` holds as many pictures as it may.
    fn is_full(&self, stream: Stream) -> bool {
        let held = self.sides[stream].pictures.len();
        match stream {
            Stream::Fg => held > self.lag,
            Stream::Bg => held >= self.bg_capacity(),
        }
    }

    /// bg frames per fg frame, from the streams' rates so far (1 until both are known).
    pub fn rate(&self) -> f64 {
        match (self.sides.fg.fps(), self.sides.bg.fps()) {
            (Some(f), Some(b)) => b / f,
            _ => 1.0,
        }
    }

    /// bg frames the lookahead of `lag + 1` fg frames spans.
    fn lookahead_bg(&self) -> usize {
        (self.rate() * (self.lag + 1) as f64).ceil() as usize
    }

    /// Most bg pictures held: while seeking (or reaching for fg's frames after a cut), two
    /// lookaheads and both sides of the band (so the window holds fg's whole first stretch
    /// wherever in its first half fg starts); once locked, a lookahead past the last decision
    /// and the band.
    fn bg_capacity(&self) -> usize {
        let band = self.settings.band as usize;
        if self.lock.is_none() || self.reaching {
            2 * self.lookahead_bg() + 2 * band
        } else {
            self.lookahead_bg() + band + REACH_MARGIN + 1
        }
    }

    /// Refuses a session whose largest window of pictures would not fit `live_memory_mib`
    /// (`check_window_fits`), once both frame sizes are known and before it holds that much.
    fn check_memory_budget(&self) -> Result<()> {
        let (Some(fg), Some(bg)) = (self.sides.fg.intake.shape, self.sides.bg.intake.shape) else { return Ok(()) };
        check_window_fits(&self.settings, fg, bg, self.rate())
    }

    fn fg_ready_to_lock(&self) -> bool {
        self.sides.fg.pictures.len() > self.lag
    }

    /// Which stream `receive` needs next, or `None` when it can output a frame (or is done).
    pub fn wants(&self) -> Option<Stream> {
        match self.next_step() {
            Step::Need(s) => Some(s),
            _ => None,
        }
    }

    /// The next composited frame (library-owned, valid until the next call), or AGAIN with
    /// the stream needed, or EOF once every fg frame is out.
    pub fn receive(&mut self) -> Result<Received<'_>> {
        match self.advance(None)? {
            Some(missing_or_end) => Ok(missing_or_end),
            None => Ok(Received::Frame(self.out.as_ref().expect("written").as_frame())),
        }
    }

    /// Like `receive`, but composites straight into the host's frame (zero copy), which must
    /// have bg's format and size: `Ok(None)` when a frame was written (its pts is
    /// `last_pts`), else AGAIN or EOF as `receive` says them.
    pub fn receive_into(&mut self, out: &mut FrameMut<'_>) -> Result<Option<Received<'static>>> {
        self.advance(Some(out))
    }

    /// The format and size of the frames out (bg's), once bg's first frame is in.
    pub fn output_shape(&self) -> Option<(PixelFormat, u32, u32)> {
        self.sides.bg.intake.shape
    }

    /// Refuses a host frame of another format or size than bg's (once bg's is known: before,
    /// nothing can be composited), before anything is decided.
    fn check_output_shape(&self, host: &FrameMut<'_>) -> Result<()> {
        let got = (host.format(), host.width(), host.height());
        match self.output_shape() {
            Some(shape) if shape != got => Err(Error::invalid(format!(
                "the frame to write into is {:?} {}x{}; bg's frames are {:?} {}x{}",
                got.0, got.1, got.2, shape.0, shape.1, shape.2
            ))),
            _ => Ok(()),
        }
    }

    /// The pts and time base of the last frame out (fg's frame's), once one is out.
    pub fn last_pts(&self) -> Option<(i64, TimeBase)> {
        self.last_fg_pts
    }

    /// `receive`'s work: `None` once a frame is composited (into `into`, or the session's own
    /// frame), else what is missing or the end.
    fn advance(&mut self, into: Option<&mut FrameMut<'_>>) -> Result<Option<Received<'static>>> {
        self.check_alive()?;
        if let Some(host) = into.as_deref() {
            self.check_output_shape(host)?;
        }
        if self.lock.is_none()
            && self.sides.bg.intake.ended
            && self.sides.bg.intake.count == 0
            && self.sides.fg.intake.count > 0
        {
            return Err(Error::bad_state("bg ended before its first frame"));
        }
        if self.lock.is_none() && self.ready_to_lock() {
            self.try_lock()?;
            if self.lock.is_none() {
                if self.sides.bg.intake.ended {
                    return Err(self.no_match_at_end());
                }
                return self.again(Stream::Bg).map(Some);
            }
        }
        match self.next_step() {
            Step::Need(s) => self.again(s).map(Some),
            Step::Done => self.verdict().map(|()| Some(Received::Eof)),
            Step::Output => {
                let started = std::time::Instant::now();
                let decision = match self.decide() {
                    Ok(Some(d)) => self.check_picture(d),
                    Ok(None) => {
                        self.times.align += started.elapsed().as_secs_f64() * 1e3;
                        self.decision_needs_bg = true;
                        return self.again(Stream::Bg).map(Some);
                    }
                    Err(e) => return Err(self.fail(e)),
                };
                let decided = std::time::Instant::now();
                self.times.align += (decided - started).as_secs_f64() * 1e3;
                self.output(decision, into)?;
                self.times.compose += decided.elapsed().as_secs_f64() * 1e3;
                Ok(None)
            }
        }
    }

    /// AGAIN naming `stream`, which `wants` names too. A stream that has ended can give
    /// nothing more: the session fails with the reason instead of leaving the host waiting.
    fn again(&mut self, stream: Stream) -> Result<Received<'static>> {
        if self.sides[stream].intake.ended || self.wants() != Some(stream) {
            let e = Error::Internal(format!(
                "the session needs more {} frames than the stream gave (it ended after {}); nothing more can be composited",
                stream.name(),
                self.sides[stream].intake.count
            ));
            return Err(self.fail(e));
        }
        Ok(Received::Again(stream))
    }

    /// At the end: NO_MATCH when fewer fg frames than `min_matched_share` found a
    /// counterpart, or when most of those that did match no better than by chance (a fixed
    /// camera's other instants), as the analyzer refuses (the frames are out already; a host
    /// writing a file discards it). `min_matched_share` 0 accepts either.
    fn verdict(&mut self) -> Result<()> {
        let (n, outside, chance_like) = (self.status.output, self.status.outside, self.status.chance_like);
        let share = self.settings.min_matched_share;
        if share <= 0.0 || n == 0 {
            return Ok(());
        }
        let matched = n - outside;
        let e = if (matched as f64) < share * n as f64 {
            Error::NotInBg(format!(
                "{outside} of {n} fg frames have no counterpart in bg (at least {:.0} % must have one: min_matched_share {share})",
                share * 100.0
            ))
        } else if 2 * chance_like > matched {
            Error::NotInBg(format!(
                "{chance_like} of fg's {matched} matched frames match bg no better than by chance (a match must be under {CHANCE_RATIO} of chance; min_matched_share 0 accepts it)"
            ))
        } else {
            return Ok(());
        };
        Err(self.fail(e))
    }

    /// bg time minus fg time (seconds) at the last decision, once locked.
    pub fn bg_minus_fg_seconds(&self) -> Option<f64> {
        self.lock.as_ref().map(|l| l.bg_minus_fg)
    }

    /// bg's time at fg's first frame on the line of the last decision (seconds), once locked:
    /// what an offline time map's `offset_seconds` says.
    pub fn offset_seconds(&self) -> Option<f64> {
        Some(self.bg_minus_fg_seconds()? + self.fg_first_seconds?)
    }

    /// The alignment the decisions of a whole run make (fg frame `k`'s decision is
    /// `decisions[k]`), as the analyzer would report it: for a host that keeps the decisions
    /// (the session does not: they grow with the video).
    pub fn alignment_of(&self, decisions: &[LiveDecision]) -> Result<Alignment> {
        let placement = *self.placement().ok_or_else(|| Error::bad_state("the session has not locked"))?;
        if decisions.iter().enumerate().any(|(k, d)| d.fg_index != k) {
            return Err(Error::invalid("decisions must be every output frame's, in order"));
        }
        let n = decisions.len();
        let outside: Vec<u32> = decisions.iter().filter(|d| d.outside).map(|d| d.fg_index as u32).collect();
        let confidence: Vec<f32> = decisions.iter().map(|d| d.confidence).collect();
        let matched = n - outside.len();
        let overall_confidence =
            if matched == 0 { 0.0 } else { confidence.iter().map(|&c| c as f64).sum::<f64>() / matched as f64 };
        Ok(Alignment {
            placement,
            fg_frames: n,
            bg_frames: self.status.bg_received,
            time: TimeMap {
                map: decisions.iter().map(|d| d.bg_index as u32).collect(),
                outside,
                cost: decisions.iter().map(|d| d.cost).collect(),
                confidence,
                overall_confidence,
                offset_seconds: self.offset_seconds().unwrap_or(0.0),
                rate: self.rate(),
            },
            media: Some(MediaIdentity {
                fg: self.sides.fg.intake.info(n),
                bg: self.sides.bg.intake.info(self.status.bg_received),
            }),
            placement_approximate: self.lock.as_ref().is_some_and(|l| l.placement_approximate),
        })
    }

    /// What the session can do now.
    fn next_step(&self) -> Step {
        let (fg, bg) = (&self.sides.fg, &self.sides.bg);
        if fg.intake.ended && self.next_out >= fg.intake.count {
            return Step::Done;
        }
        if self.lock.is_none() {
            if !(fg.intake.ended || self.fg_ready_to_lock()) {
                return Step::Need(Stream::Fg);
            }
            return Step::Need(Stream::Bg);
        }
        if !fg.intake.ended && fg.intake.count < self.next_out + self.lag + 1 {
            return Step::Need(Stream::Fg);
        }
        if bg.pictures.is_empty() && !bg.intake.ended {
            return Step::Need(Stream::Bg);
        }
        if !bg.intake.ended && !self.is_full(Stream::Bg) && (self.decision_needs_bg || !self.bg_reaches_lookahead()) {
            return Step::Need(Stream::Bg);
        }
        Step::Output
    }

    /// Whether bg has arrived past where the newest fg frame should match, and the band's
    /// margin beyond.
    fn bg_reaches_lookahead(&self) -> bool {
        let (fg, bg) = (&self.sides.fg, &self.sides.bg);
        let (Some(lock), Some(fg_newest), Some(bg_newest)) = (&self.lock, fg.newest_seconds(), bg.newest_seconds())
        else {
            return false;
        };
        let bg_period = bg.fps().map_or(1.0 / crate::session::clock::DEFAULT_FPS, |f| 1.0 / f);
        bg_newest >= fg_newest + lock.bg_minus_fg + (self.settings.band as usize / 2 + REACH_MARGIN) as f64 * bg_period
    }

    /// Whether the held frames are worth analysing: fg's first stretch is held, bg's window is
    /// full (or bg ended), and bg moved on since the last attempt by `next_attempt_after`.
    fn ready_to_lock(&self) -> bool {
        let (fg, bg) = (&self.sides.fg, &self.sides.bg);
        let fg_ready = fg.intake.ended || self.fg_ready_to_lock();
        let bg_ready = bg.intake.ended || self.is_full(Stream::Bg);
        let moved_on = if bg.intake.ended { 1 } else { self.next_attempt_after.max(1) };
        fg_ready && bg_ready && fg.intake.count > 0 && bg.intake.count > 0 && self.bg_since_attempt >= moved_on
    }

    /// Looks at the held window and, unless the session's scout rules it out or fg's start
    /// lies beyond its middle (`hit_ahead`: the window first slides to it), runs the analyzer
    /// on it; on a match that bg's window covers, locks the placement and describes the held
    /// frames. A match whose last fg frames lie beyond bg's newest frame waits for more bg
    /// (`waiting`); NO_MATCH leaves the session seeking; other errors end it.
    fn try_lock(&mut self) -> Result<()> {
        if self.sides.iter().any(|s| s.pictures.is_empty()) {
            return Ok(());
        }
        self.bg_since_attempt = 0;
        self.status.start_attempts += 1;
        let started = std::time::Instant::now();
        // The held pictures are lent to the scout, the analyzer and its frame provider
        // (shared, not copied: a window of 1080p frames is hundreds of MiB), and taken back.
        let held = std::sync::Arc::new([Stream::Fg, Stream::Bg].map(|s| std::mem::take(&mut self.sides[s].pictures)));
        // The host's scout saw fg here; or a match found waits for more bg (the window must
        // not move past its start): the window goes to the analyzer as it is.
        let scouted = self.start_scouted && self.status.start_attempts == 1;
        let look = if scouted || self.waiting.is_some() { WindowLook::Unjudged } else { self.scout_window(&held) };
        let first_reach = self.within_first_reach();
        let attempt = match self.hit_ahead(look, &held[1]) {
            Some(start) => Attempt::SlideTo(start),
            None if look.rules_out(first_reach) => Attempt::RuledOut(look),
            None => Attempt::Analysed(self.analyse_window(&held)),
        };
        let [fg, bg] = std::sync::Arc::try_unwrap(held)
            .map_err(|_| Error::Internal("the analyzer kept the held frames".into()))?;
        (self.sides.fg.pictures, self.sides.bg.pictures) = (fg, bg);
        self.times.lock += started.elapsed().as_secs_f64() * 1e3;
        match attempt {
            // Analysed now, fg's start would lie at the window's end, its first stretch beyond
            // it (where the window's last frames lend it lookalike matches): the window moves
            // on to hold it from a band before, then is analysed.
            Attempt::SlideTo(start) => {
                self.release_bg_before(start - self.settings.band as f64 * self.bg_period());
                self.next_attempt_after = 1;
                Ok(())
            }
            // No frame of the window can be fg's start, but the newest band may be the band
            // before it.
            Attempt::RuledOut(look) => {
                self.status.sure_misses += 1;
                self.release_bg_but_newest(self.settings.band as usize);
                self.next_attempt_after = self.lookahead_bg().div_ceil(4);
                self.window_failed(Error::NotInBg(look.why().into()))
            }
            Attempt::Analysed(analysed) => self.settle_analysis(analysed, first_reach),
        }
    }

    /// Locks on (or waits with) the analysis's match, or moves on from a window without one:
    /// by a quarter lookahead in the first reach, by a lookahead past it (fg's start lies in
    /// the first half of a window that moved on by less, wherever it is). Past the first
    /// reach, two placements alike in a window are that window's verdict, not the pair's:
    /// the search moves on, and says so if bg ends first.
    fn settle_analysis(&mut self, analysed: Result<Found>, first_reach: bool) -> Result<()> {
        self.next_attempt_after = self.lookahead_bg().div_ceil(4);
        match analysed {
            Ok(found) if found.covered || self.sides.bg.intake.ended => {
                self.waiting = None;
                self.lock_at(found)
            }
            Ok(found) => {
                self.waiting = Some(found);
                Ok(())
            }
            Err(Error::Ambiguous(m)) if !first_reach => {
                self.ambiguous_window = Some(m);
                self.next_attempt_after = self.lookahead_bg();
                self.window_failed(Error::NotInBg("two placements alike in the window".into()))
            }
            Err(e) if e.status() == Status::NoMatch => {
                if !first_reach {
                    self.next_attempt_after = self.lookahead_bg();
                }
                self.window_failed(e)
            }
            Err(e) if e.status() == Status::Cancelled => Err(self.cancel_now()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// A window without fg's start: the session seeks on, unless it has failed as many start
    /// analyses as "live_start_windows" allows (NO_MATCH, naming the limit).
    fn window_failed(&mut self, e: Error) -> Result<()> {
        self.waiting = None;
        self.failed_starts += 1;
        let limit = self.settings.live_start_windows as usize;
        if limit > 0 && self.failed_starts >= limit {
            let e = Error::NotInBg(format!(
                "fg's start was not in the first {limit} window(s) of bg ({} bg frames; live_start_windows {limit}): {e}",
                self.sides.bg.intake.count
            ));
            return Err(self.fail(e));
        }
        Ok(())
    }

    /// The scout's look at the held window (see `WindowLook`): at the placement it finds on
    /// small grey copies, how the held bg pictures compare with the held fg pictures. A start
    /// analysis costs about a hundred times more: a pair that does not match, or fg far into
    /// bg, slides through many windows. A given placement, or anything the scout cannot take,
    /// leaves the window to the analyzer.
    fn scout_window(&self, held: &[VecDeque<Held>; 2]) -> WindowLook {
        if self.given_placement.is_some() {
            return WindowLook::Unjudged;
        }
        let mut scout = Scout::new(self.settings.clone());
        for (stream, pictures) in [(Stream::Fg, &held[0]), (Stream::Bg, &held[1])] {
            for h in pictures {
                // The scout times frames by pts; the session's clock has timed each already.
                let mut frame = h.buf.as_frame();
                (frame.pts, frame.time_base) = ((h.seconds * 1e6).round() as i64, TimeBase::new(1, 1_000_000));
                if scout.push(stream, &frame).is_err() {
                    return WindowLook::Unjudged;
                }
            }
        }
        match scout.finish() {
            Err(e) if e.status() == Status::NoMatch => WindowLook::SureMiss,
            Ok(ScoutReport { answer: ScoutAnswer::Found { spans, .. }, .. }) => {
                WindowLook::Hit { start_seconds: spans.iter().map(|s| s.start_seconds).fold(f64::INFINITY, f64::min) }
            }
            Ok(report) if report.answer == ScoutAnswer::Unsure => WindowLook::Near,
            _ => WindowLook::Unjudged,
        }
    }

    /// Whether bg's window is still the first (nothing dropped): a near look is analysed
    /// there (fg from bg's start whose small copies score low, generated textures). Beyond it
    /// only a hit is, so that each bg frame costs about the same however far fg starts.
    fn within_first_reach(&self) -> bool {
        self.status.bg_dropped == 0
    }

    /// Past the first reach, fg's start as a hit puts it, when it lies beyond the middle of the
    /// held bg window `bg` (which then cannot hold fg's first stretch).
    fn hit_ahead(&self, look: WindowLook, bg: &VecDeque<Held>) -> Option<f64> {
        let WindowLook::Hit { start_seconds } = look else { return None };
        let middle = bg.get(bg.len() / 2)?.seconds;
        (!self.within_first_reach() && start_seconds > middle).then_some(start_seconds)
    }

    /// Lets the held bg pictures before `seconds` go.
    fn release_bg_before(&mut self, seconds: f64) {
        let count = self.sides.bg.pictures.iter().take_while(|h| h.seconds < seconds).count();
        self.release_oldest_bg(count);
    }

    /// Lets every held bg picture go but the newest `keep`.
    fn release_bg_but_newest(&mut self, keep: usize) {
        self.release_oldest_bg(self.sides.bg.pictures.len().saturating_sub(keep));
    }

    /// Lets the `count` oldest held bg pictures go (to the spares), counted as dropped.
    fn release_oldest_bg(&mut self, count: usize) {
        if count > 0 {
            self.let_early_go();
        }
        let bg = &mut self.sides.bg;
        let count = count.min(bg.pictures.len());
        for h in bg.pictures.drain(..count) {
            bg.spare.push(h.buf);
        }
        self.status.bg_dropped += count;
    }

    /// The start analysis of the held window (its stages' times added to the session's).
    fn analyse_window(&mut self, held: &std::sync::Arc<[VecDeque<Held>; 2]>) -> Result<Found> {
        let first = self.status.start_attempts == 1 && self.status.bg_dropped == 0;
        if !first {
            self.let_early_go();
        }
        let (mut analyzer, pushed) = match self.early.take() {
            Some(early) => (early.analyzer, early.pushed),
            None => (self.start_analyzer()?, [0, 0]),
        };
        // The log lent to the early analysis stays with it unless the host set another since.
        if self.log.is_some() {
            analyzer.set_log(self.log.take());
        }
        analyzer.set_cancel(self.cancel.clone());
        analyzer.set_stage_progress(self.stage.clone());
        let tell = |done: f64| {
            if let Some(f) = &self.stage {
                f(Stage::LiveStart, done);
            }
        };
        tell(0.0);
        let analysed = self.analyse_held(&mut analyzer, held, pushed);
        tell(1.0);
        self.log = analyzer.take_log();
        let stages = analyzer.stage_times();
        let t = &mut self.times.lock_stages;
        (t.placement, t.time_map, t.placement_check) =
            (t.placement + stages.placement, t.time_map + stages.time_map, t.placement_check + stages.placement_check);
        analysed
    }

    /// An analyzer for a start analysis: the given placement, and a frame provider (the held
    /// pictures are given at the analysis; one is set from the first frame so that the
    /// analyzer keeps no full-size frames of its own).
    fn start_analyzer(&self) -> Result<Analyzer> {
        let mut analyzer = Analyzer::new(self.settings.clone());
        if let Some(p) = self.given_placement {
            analyzer.set_placement(p)?;
        }
        analyzer.set_frame_provider(Some(Box::new(|_: Stream, _: usize| None)));
        Ok(analyzer)
    }

    /// Gives the first window's analysis the held pictures whose place in time order is
    /// settled (a picture of each stream held after it), while no attempt has been made and
    /// no picture has gone. A push that fails lets it go: the attempt then pushes all again
    /// and meets the failure where it would have.
    fn feed_early(&mut self) {
        if self.lock.is_some() || self.status.start_attempts > 0 || self.status.bg_dropped > 0 {
            self.let_early_go();
            return;
        }
        if self.early.is_none() {
            let Ok(mut analyzer) = self.start_analyzer() else { return };
            // Lent now: the analyzer may tell while it is fed (copies over their budget).
            analyzer.set_log(self.log.take());
            self.early = Some(EarlyStart { analyzer, pushed: [0, 0] });
        }
        // A stream holds no more pictures before the attempt once it is full or has ended: the
        // other's later pictures then follow all of its.
        let settled = [Stream::Fg, Stream::Bg].map(|s| self.is_full(s) || self.sides[s].intake.ended);
        let Some(early) = self.early.as_mut() else { return };
        let (fg, bg) = (&self.sides.fg.pictures, &self.sides.bg.pictures);
        while let Some((stream, picture)) = next_in_time([fg.get(early.pushed[0]), bg.get(early.pushed[1])], settled) {
            if early.analyzer.push(stream, Some(&picture.buf.as_frame())).is_err() {
                self.let_early_go();
                return;
            }
            early.pushed[stream as usize] += 1;
        }
    }

    /// Lets the early analysis go, taking back the log lent to it (unless the host set
    /// another since).
    fn let_early_go(&mut self) {
        if let Some(mut early) = self.early.take()
            && self.log.is_none()
        {
            self.log = early.analyzer.take_log();
        }
    }

    /// The analyzer on the held pictures, pushed in time order (after the first `pushed` of
    /// each stream, given to it already by `feed_early` in the same order).
    fn analyse_held(
        &self,
        analyzer: &mut Analyzer,
        held: &std::sync::Arc<[VecDeque<Held>; 2]>,
        pushed: [usize; 2],
    ) -> Result<Found> {
        let provided = std::sync::Arc::clone(held);
        analyzer.set_frame_provider(Some(Box::new(move |stream: Stream, index: usize| {
            provided[stream as usize].get(index).map(|h| h.buf.clone())
        })));
        let (fg, bg) = (&held[0], &held[1]);
        let mut next = pushed;
        while let Some((stream, picture)) = next_in_time([fg.get(next[0]), bg.get(next[1])], [true, true]) {
            analyzer.push(stream, Some(&picture.buf.as_frame()))?;
            next[stream as usize] += 1;
        }
        analyzer.push(Stream::Fg, None)?;
        analyzer.push(Stream::Bg, None)?;
        let alignment = analyzer.finish()?;
        self.follows_timestamps(&alignment.time)?;
        let rects = analyzer.compared_rects()?;
        let time = &alignment.time;
        let matched = |k: &usize| !time.is_outside(*k);
        let first_match = (0..time.map.len()).find(matched).map_or(0, |k| time.map[k] as usize);
        let last_matched = (0..time.map.len()).rev().find(matched).unwrap_or(0);
        Ok(Found {
            placement: alignment.placement,
            placement_approximate: alignment.placement_approximate,
            rects,
            bg_minus_fg: time.offset_seconds - fg[0].seconds,
            keep_from: bg[0].index + first_match.saturating_sub(self.settings.band as usize),
            covered: last_matched + 1 == time.map.len(),
        })
    }

    fn lock_at(&mut self, found: Found) -> Result<()> {
        let Found { placement, placement_approximate, rects: (fg_rect, bg_rect), bg_minus_fg, .. } = found;
        let helpers = workers::helpers(self.settings.threads);
        for (side, rect) in self.sides.iter_mut().zip([fg_rect, bg_rect]) {
            side.rect = rect;
            side.fingerprinter = Some(Fingerprinter::new(rect.width, rect.height));
            side.track = Track::with_capacity(4 * (self.lag + 1) + 4 * self.settings.band as usize);
            side.track_first = side.pictures.front().map_or(side.intake.count, |h| h.index);
            for (d, h) in described(&side.pictures, rect, helpers).iter().zip(&side.pictures) {
                side.track.push(d, h.seconds);
            }
        }
        self.pictures = Some(PictureMatch::new(fg_rect, bg_rect));
        let spec = PasteSpec::new(&placement, &self.settings);
        self.lock = Some(Lock { placement, placement_approximate, spec, bg_minus_fg });
        self.status.locked = true;
        Ok(())
    }

    /// Drops the oldest bg picture while seeking (or locks on the match found, when dropping
    /// would lose its start).
    fn drop_oldest_bg(&mut self) -> Result<()> {
        if let Some(w) = self.waiting
            && self.sides.bg.pictures.front().is_some_and(|h| h.index >= w.keep_from)
        {
            // The window cannot move on without losing fg's start: the match found stands.
            self.waiting = None;
            return self.lock_at(w);
        }
        self.release_oldest_bg(1);
        Ok(())
    }

    fn no_match_at_end(&mut self) -> Error {
        let (bg, fg) = (self.sides.bg.intake.count, self.sides.fg.pictures.len());
        let lookalikes = self.ambiguous_window.take().map_or(String::new(), |m| format!(" (in a window of it, {m})"));
        let (tried, ruled_out) = (self.status.start_attempts, self.status.sure_misses);
        self.fail(Error::NotInBg(format!(
            "bg ended after {bg} frames and fg's first {fg} frames matched none of them ({tried} windows tried, {ruled_out} of them ruled out by the scout){lookalikes}"
        )))
    }

    /// The bg frame of the oldest pending fg frame, from the window's time map; `None` when
    /// the window's newest fg frame found no counterpart and bg may still bring it (a cut
    /// forward in fg, further than the lookahead's usual reach): the window then grows, up to
    /// the seeking window's size.
    fn decide(&mut self) -> Result<Option<LiveDecision>> {
        let i = self.next_out;
        let (fg, bg) = (&self.sides.fg, &self.sides.bg);
        align_into(&fg.track, &bg.track, &self.settings, &mut self.align_scratch, &mut self.time)?;
        self.follows_timestamps(&self.time)?;
        let (fg, bg) = (&self.sides.fg, &self.sides.bg);
        let time = &self.time;
        let newest = time.map.len() - 1;
        let newest_unmatched = time.is_outside(newest) || time.confidence[newest] < TAIL_CONFIDENCE;
        // Matched within half a band of bg's newest frame: pressed against the window's edge
        // (after a cut forward, a look-alike scene matches there while the true frame is to come).
        let bg_newest = bg.track_first + bg.track.len() - 1;
        let pressed = time.map[newest] as usize + bg.track_first + self.settings.band as usize / 2 > bg_newest;
        self.reaching = (newest_unmatched || pressed) && !bg.intake.ended;
        if self.reaching && bg.pictures.len() < self.bg_capacity() {
            return Ok(None);
        }
        let local = i - fg.track_first;
        let outside = time.is_outside(local);
        let mapped = time.map[local] as usize + bg.track_first;
        // Never back from the last match; an outside frame stays over the last matched bg
        // frame (the next match, still to come, may lie anywhere after it).
        let bg_index = match (self.last_matched, outside) {
            (Some(last), true) => last,
            (Some(last), false) => mapped.max(last),
            (None, _) => mapped,
        };
        let lock = self.lock.as_mut().expect("locked");
        lock.bg_minus_fg = time.offset_seconds - fg.track.seconds[0];
        let (cost, confidence) = (time.cost[local], if outside { 0.0 } else { time.confidence[local] });
        Ok(Some(LiveDecision { fg_index: i, bg_index, outside, cost, confidence }))
    }

    fn bg_period(&self) -> f64 {
        self.sides.bg.fps().map_or(1.0 / crate::session::clock::DEFAULT_FPS, |f| 1.0 / f)
    }

    /// UNSUPPORTED when a window's time map found fg's pictures running at another speed than
    /// its timestamps give (fg sped up or slowed down throughout, `temporal::align`): the
    /// session's reach into bg, its line of recent matches and its picture checks all follow
    /// the timestamps' rate, and on the film at twice its speed it decided 50 of 84 frames
    /// right. Two passes map such a fg (every frame, measured at 0.5, 0.8 and 2 times).
    fn follows_timestamps(&self, time: &TimeMap) -> Result<()> {
        let speed = time.rate / self.rate();
        if (speed - 1.0).abs() <= crate::temporal::SPEED_TOLERANCE {
            return Ok(());
        }
        Err(Error::Unsupported(format!(
            "fg's pictures run at {speed:.2} times the speed its timestamps give; the live session follows the timestamps (two passes map such a fg)"
        )))
    }

    /// A matched decision moved to the bg frame next to it whose picture matches fg's clearly
    /// better at full resolution (`picture_match`), never before the last match.
    fn check_picture(&mut self, d: LiveDecision) -> LiveDecision {
        let bg_period = self.bg_period();
        if d.outside || self.pictures.is_none() {
            return d;
        }
        if let Some(held) = self.held_picture(&d) {
            return held;
        }
        let (Some(pictures), (fg, bg)) = (self.pictures.as_mut(), (&self.sides.fg, &self.sides.bg)) else { return d };
        let Some(fg_picture) = fg.picture(d.fg_index) else { return d };
        // Where the recent matches' line puts this frame; on it, the match stands and the
        // pictures are not compared (most frames: this is the hot path).
        let expected = self.line.offset().map(|o| o + fg_picture.seconds / bg_period);
        if on_the_line(d.bg_index, expected) {
            return d;
        }
        pictures.set_fg(&fg_picture.buf.as_frame());
        let floor = self.last_matched.unwrap_or(0);
        let (mut scores, mut n) = ([(0usize, 0f64); 3], 0);
        for j in d.bg_index.saturating_sub(1)..=d.bg_index + 1 {
            if let Some(h) = bg.picture(j).filter(|_| j >= floor) {
                scores[n] = (j, pictures.score(&h.buf.as_frame()));
                n += 1;
            }
        }
        let bg_index = best_picture(&scores[..n], d.bg_index, expected);
        self.status.picture_moves += (bg_index != d.bg_index) as usize;
        LiveDecision { bg_index, ..d }
    }

    /// A decision moved back onto the last matched bg frame when fg repeats its previous
    /// picture (a freeze frame, a frame doubled by re-timing) and that bg frame's picture
    /// matches clearly better; `None` otherwise. The line of recent matches moves on through a
    /// freeze, so the rate line cannot tell: the descriptors say fg held its picture, and the
    /// pictures say which bg frame it holds (measured on a 25-frame freeze of the film: 0.9994
    /// against 0.9807 for the next bg frame; on fg at crf 38, 0.002 apart at most).
    fn held_picture(&mut self, d: &LiveDecision) -> Option<LiveDecision> {
        let last = self.last_matched.filter(|&last| last != d.bg_index)?;
        let (fg, bg) = (&self.sides.fg, &self.sides.bg);
        let local = d.fg_index.checked_sub(fg.track_first + 1)? + 1;
        let bg_local = d.bg_index.checked_sub(bg.track_first)?;
        let repeated = frame_cost_of(&fg.track, local, &fg.track, local - 1);
        if repeated >= frame_cost_of(&fg.track, local, &bg.track, bg_local) {
            return None;
        }
        let pictures = self.pictures.as_mut()?;
        let (fg_picture, held, mapped) = (fg.picture(d.fg_index)?, bg.picture(last)?, bg.picture(d.bg_index)?);
        pictures.set_fg(&fg_picture.buf.as_frame());
        // Going back to the held frame pays a frame off the rate line (a strongly compressed fg
        // repeats parts of the frame before, and correlates a little better with it), and must
        // halve the mismatch (graphics bg lacks lower both scores alike: a static box over a
        // slow scene, 0.856 against 0.846).
        let (held_score, mapped_score) = (pictures.score(&held.buf.as_frame()), pictures.score(&mapped.buf.as_frame()));
        let clearly = held_score > mapped_score + RATE_PENALTY && 1.0 - mapped_score >= 2.0 * (1.0 - held_score);
        clearly.then(|| {
            self.status.picture_moves += 1;
            LiveDecision { bg_index: last, ..*d }
        })
    }

    /// Composites the decided frame (into `into`, or the session's own frame) and releases
    /// what no later decision needs.
    fn output(&mut self, d: LiveDecision, into: Option<&mut FrameMut<'_>>) -> Result<()> {
        let (fg_side, bg_side) = (&self.sides.fg, &self.sides.bg);
        let fg =
            fg_side.picture(d.fg_index).ok_or_else(|| Error::Internal("the pending fg frame is not held".into()))?;
        // bg ended before the frame decided: its last frame stands in.
        let bg = bg_side
            .picture(d.bg_index)
            .or(bg_side.pictures.back())
            .ok_or_else(|| Error::Internal("no bg frame is held".into()))?;
        let bgf = bg.buf.as_frame();
        let spec = &self.lock.as_ref().expect("locked").spec;
        if let Some(host) = into {
            compose(&bgf, &fg.buf.as_frame(), spec, &mut self.scratch, host)?;
        } else {
            if self
                .out
                .as_ref()
                .is_none_or(|o| (o.format(), o.width(), o.height()) != (bgf.format(), bgf.width(), bgf.height()))
            {
                self.out = Some(FrameBuf::new(bgf.format(), bgf.width(), bgf.height())?);
            }
            let out = self.out.as_mut().expect("allocated above");
            compose(&bgf, &fg.buf.as_frame(), spec, &mut self.scratch, &mut out.as_frame_mut())?;
            out.pts = fg.buf.pts;
            out.time_base = fg.buf.time_base;
            out.color = bg.buf.color;
        }
        self.last_fg_pts = Some((fg.buf.pts, fg.buf.time_base));
        let (bg_index, fg_seconds) = (bg.index, fg.seconds);
        let d = LiveDecision { bg_index, ..d };
        self.last = Some(d);
        if !d.outside {
            self.last_matched = Some(bg_index);
            let offset = bg_index as f64 - fg_seconds / self.bg_period();
            self.line.add(offset, self.lag);
        }
        self.next_out += 1;
        self.status.output += 1;
        self.status.outside += d.outside as usize;
        self.status.chance_like += (!d.outside && no_better_than_chance(d.confidence)) as usize;
        self.history.push_back(d);
        self.sides.fg.release_pictures_before(self.next_out);
        self.sides.bg.release_pictures_before(bg_index);
        // The window keeps `lag` decided fg frames, and bg's descriptors back to the oldest's match.
        while self.history.len() > self.lag {
            self.history.pop_front();
        }
        let (fg_from, bg_from) =
            self.history.front().map_or((self.next_out, bg_index), |h| (h.fg_index, h.bg_index.min(bg_index)));
        let keep_back = self.settings.band as usize / 2;
        self.sides.fg.forget_descriptors_before(fg_from);
        self.sides.bg.forget_descriptors_before(bg_from.saturating_sub(keep_back));
        Ok(())
    }
}

/// The descriptors of the held `pictures` at `rect`, in order: the window's pictures split
/// into a run per thread (the setting "threads"), each described with a fingerprinter of its
/// own. At the lock the whole window is described at once (110 pictures at the default lag),
/// while the host and its encoder wait.
fn described(pictures: &VecDeque<Held>, rect: Rect, helpers: usize) -> Vec<crate::fingerprint::Descriptor> {
    let pictures: Vec<&Held> = pictures.iter().collect();
    let runs: Vec<&[&Held]> = pictures.chunks(pictures.len().div_ceil(helpers + 1).max(1)).collect();
    workers::map(helpers, &runs, |run| {
        let mut fingerprinter = Fingerprinter::new(rect.width, rect.height);
        run.iter().map(|h| fingerprinter.compute(&h.buf.as_frame(), rect)).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

enum Step {
    Need(Stream),
    Output,
    Done,
}

/// The next held picture a start analysis takes, of the next unpushed one of each stream
/// (fg's, bg's): the earlier, fg's on a tie; a stream's alone only when the other is
/// `settled` (no picture of it can come before). One rule for the early feed and the
/// attempt, so the early analysis is given the pictures in the order the attempt gives them.
fn next_in_time(next: [Option<&Held>; 2], settled: [bool; 2]) -> Option<(Stream, &Held)> {
    match next {
        [Some(f), Some(b)] if f.seconds <= b.seconds => Some((Stream::Fg, f)),
        [Some(_), Some(b)] => Some((Stream::Bg, b)),
        [None, Some(b)] if settled[0] => Some((Stream::Bg, b)),
        [Some(f), None] if settled[1] => Some((Stream::Fg, f)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a host asks before opening a session is what the session says at its first
    /// frames: a 4K bg's window is over the default 512 MiB, a 1080p one's under it.
    #[test]
    fn a_window_too_large_is_told_before_a_session_opens() {
        let settings = Settings::default();
        let fg = (PixelFormat::I420, 1920, 1080);
        let k4 = (PixelFormat::I420, 3840, 2160);
        let e = check_window_fits(&settings, fg, k4, 1.0).unwrap_err();
        assert_eq!(e.status(), Status::Unsupported);
        assert!(check_window_fits(&settings, fg, fg, 1.0).is_ok());
        let mut live = Live::new(settings);
        let first = |format, w, h| {
            let mut f = FrameBuf::new(format, w, h).unwrap();
            f.time_base = TimeBase::new(1, 24);
            f
        };
        let (fg_frame, bg_frame) = (first(fg.0, fg.1, fg.2), first(k4.0, k4.1, k4.2));
        live.send(Stream::Fg, Some(&fg_frame.as_frame())).unwrap();
        let said = live.send(Stream::Bg, Some(&bg_frame.as_frame())).map(|_| ()).unwrap_err();
        assert_eq!(said.to_string(), e.to_string());
    }
}

#[cfg(test)]
mod early_tests {
    use super::*;

    /// A 24 fps frame `k` of a gradient that moves with `k`.
    fn frame(width: u32, height: u32, k: i64) -> FrameBuf {
        let mut f = FrameBuf::new(PixelFormat::I420, width, height).unwrap();
        for y in 0..height as usize {
            for (x, p) in f.row_mut(0, y)[..width as usize].iter_mut().enumerate() {
                *p = ((x * 3 + y * 2) as i64 + 5 * k) as u8;
            }
        }
        (f.pts, f.time_base) = (k, TimeBase::new(1, 24));
        f
    }

    /// While the first window fills, every held picture whose place in time order is settled
    /// is given to the start analysis: once fg holds all it may, all of the window so far; and
    /// a picture of the window let go lets that analysis go (the attempt starts afresh).
    #[test]
    fn the_first_window_is_analysed_as_it_fills() {
        let mut live = Live::new(Settings { live_lag: 8, ..Settings::default() });
        let send = |live: &mut Live, stream: Stream, f: FrameBuf| live.send(stream, Some(&f.as_frame())).unwrap();
        for j in 0..6 {
            assert_eq!(send(&mut live, Stream::Bg, frame(128, 72, j)), Sent::Accepted);
        }
        for i in 0..9 {
            assert_eq!(send(&mut live, Stream::Fg, frame(64, 36, i + 12)), Sent::Accepted);
        }
        for j in 6..20 {
            assert_eq!(send(&mut live, Stream::Bg, frame(128, 72, j)), Sent::Accepted);
        }
        // fg's last held picture (at 20/24 s) lies after every bg picture held: it waits.
        assert_eq!(live.early.as_ref().map(|e| e.pushed), Some([8, 20]), "a picture not yet settled waits");
        for j in 20..24 {
            assert_eq!(send(&mut live, Stream::Bg, frame(128, 72, j)), Sent::Accepted);
        }
        assert!(live.is_full(Stream::Fg), "fg holds lag + 1 pictures");
        let held = [live.sides.fg.pictures.len(), live.sides.bg.pictures.len()];
        assert_eq!(live.early.as_ref().map(|e| e.pushed), Some(held), "every held picture given");
        live.release_oldest_bg(1);
        assert!(live.early.is_none(), "a picture let go lets the early analysis go");
    }
}
