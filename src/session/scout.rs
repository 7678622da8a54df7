//! The scout: where in a long bg fg can lie, from a sparse sample of bg.
//!
//! A host that can seek (files, an editor's media) decodes only a sample of bg, its keyframes
//! say, and all of fg; the scout answers which spans of bg (in seconds of bg's clock) can hold
//! fg, with the placement it found and the evidence, so that the host then decodes bg densely
//! only there. A live source cannot seek and needs no scout (the live session searches as bg
//! comes).
//!
//! Both streams are kept as small grey copies at one shrink (`SCOUT_PIXELS` for bg), fg thinned
//! in time to at most `FG_COPIES` copies. At the end, fg is located on the copies (the bg samples
//! most like fg first, as the analyzer does), and every bg sample is compared at that placement
//! with every fg copy: a sample that shows one of them (`HIT_SCORE`) is a hit, and says where fg
//! starts in bg (the sample's time minus the matched copy's time into fg). Hits that agree on
//! the start form a span. Several spans (a repeated shot, shots reordered) are all returned,
//! most hits first: the dense pass decides between them. No hit: when samples are further apart
//! than half fg's length, fg may lie between two of them and the scout asks for a denser sample
//! (`ScoutAnswer::NeedDenser`); otherwise NO_MATCH, with the best score seen, when no sample
//! came near fg (`SURE_MISS_SCORE`), and `ScoutAnswer::Unsure` when one did.
//!
//! # Design notes (measured)
//!
//! **Scout first, then one pass over the span** (`src/session/scout.rs`,
//! `src/session/scout_window.rs`, `src/io/scouting.rs`). The first default path searched fg's start
//! by sliding the live session's window along bg, a full start analysis per slide: fg 8 s into a 30
//! s bg took 58 s, a pair that does not match 13–46 s. Files are seekable, so bg is now searched
//! cheaply first (its keyframes against fg, on 240×135 grey copies) and decoded densely only where
//! fg can be, once. The scout decides nothing the dense pass cannot check: the one pass's result is
//! kept only when it stays inside the scout's span with every frame matched better than chance
//! (`window_held_fg`, in the library so that every host checks alike; C:
//! `vidkompy_alignment_check_window`); else the two passes read all of bg. On the dense pass's
//! short stretch of bg, a panning scene showed a weakness of the analyzer: a placement found on
//! copies from different instants can be a pan's lookalike (fg frame i at the true place looks like
//! bg frame i + k a few pixels over), and the time map follows it, so the matched pairs agree with
//! it. The matched pairs shifted in time by up to 8 frames, each searched alone on copies at most
//! 320 px wide, now catch it: the true pairs score better on average (`analyzer::lookalike_shift`;
//! it had put fg 2 px off and every frame one late at confidence 0.98; `tests/c/test_scout.c`).

use crate::error::{Error, Result};
use crate::frame::{FrameRef, Rect};
use crate::session::Stream;
use crate::session::analyzer::{CancelFn, matched_rects};
use crate::session::store::{LumaStore, placement_to_full, shrink_for};
use crate::settings::Settings;
use crate::spatial::{
    Image, Located, Placement, evenly_spaced, likeliest_bg, locate_near, locate_parts, locate_parts_on_copies,
    most_confident, narrowed, widened,
};
use crate::workers;

/// Largest bg copy, in pixels (a 240×135 picture): enough to place fg and to tell its content
/// from another picture's, and 32 KB a sample.
const SCOUT_PIXELS: u64 = 240 * 135;
/// fg copies kept at most: fg is thinned in time beyond this.
const FG_COPIES: usize = 256;
/// bg samples kept at most (64 MiB of copies at `SCOUT_PIXELS`): a denser sample of a longer
/// bg is refused with UNSUPPORTED.
pub const MAX_BG_SAMPLES: usize = 2048;
/// fg copies the placement is searched with.
const PLACEMENT_FG: usize = 3;
/// bg samples, most like fg, the placement is searched in (and as many evenly spaced).
const PLACEMENT_BG: usize = 12;
/// Width, in pixels, of the pictures a sample is compared by: the placed part of bg and fg's
/// content, both area-averaged to this width.
const COMPARE_WIDTH: usize = 32;
/// Correlation of a bg sample's placed part with an fg copy at which the sample shows fg.
/// Calibrated on pairs made from the clips (tests/scout.rs): true samples score 0.95 and above
/// (graded, re-encoded), another picture at most about 0.8.
pub const HIT_SCORE: f64 = 0.9;
/// A best hit under this may be a lookalike at the wrong scale (true samples score 0.95 and
/// above): the scout then also tries the scales the first look left out.
const CLEAR_HIT_SCORE: f64 = 0.95;
/// Dense samples that all scored under this are a sure miss (NO_MATCH): none came near fg.
/// Another picture scores up to about 0.8 (0.73-0.77 on the bench's refusal), a true sample of
/// a fg at half scale scored 0.897 (tests/cli.rs): between the two the scout is unsure.
pub const SURE_MISS_SCORE: f64 = 0.8;
/// Hits whose starts differ by at most this share of fg's length (or `MIN_AGREE_SECONDS`) tell
/// of the same span.
const AGREE_SHARE: f64 = 0.25;
const MIN_AGREE_SECONDS: f64 = 1.0;
/// A hit's estimate of fg's start (its end) is uncertain by this share of the time from it
/// back to fg's start (on to fg's end), for fg re-timed, plus `MIN_MARGIN_SECONDS` (a thinned
/// fg's copies, decoding's rounding): an early hit says where fg starts closely.
const MARGIN_SHARE: f64 = 0.25;
const MIN_MARGIN_SECONDS: f64 = 1.0;

/// A stretch of bg (seconds of bg's clock) that can hold fg, and its evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoutSpan {
    /// From this time (fg's estimated start, less a margin) ...
    pub start_seconds: f64,
    /// ... to this one (fg's estimated end, plus a margin).
    pub end_seconds: f64,
    /// bg samples that showed fg within the span.
    pub hits: usize,
    /// The best of their correlations with fg (0..1).
    pub best_score: f64,
}

/// What the scout found.
#[derive(Debug, Clone, PartialEq)]
pub enum ScoutAnswer {
    /// fg can lie in these spans, most hits first; the placement in full-resolution pixels
    /// (as precise as the copies: the dense pass refines it).
    Found { placement: Placement, spans: Vec<ScoutSpan> },
    /// No sample showed fg, and the samples are too far apart to say fg is not there: sample bg
    /// at least every this many seconds and ask again (a new scout).
    NeedDenser { every_seconds: f64 },
    /// No sample clearly showed fg, but one came near it (`SURE_MISS_SCORE` to `HIT_SCORE`: a
    /// small or scaled fg scores lower on the copies): the scout cannot rule fg out, and a host
    /// analyses all of bg densely.
    Unsure,
}

/// The scout's answer and what it was based on.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoutReport {
    pub answer: ScoutAnswer,
    pub bg_samples: usize,
    pub fg_frames: usize,
    /// The largest time between consecutive bg samples.
    pub largest_gap_seconds: f64,
    /// The best correlation any bg sample had with any fg copy at the placement.
    pub best_score: f64,
}

/// Collects fg's frames and a sample of bg's, then answers where fg can lie (`finish`).
pub struct Scout {
    settings: Settings,
    fg: Option<LumaStore>,
    bg: Option<LumaStore>,
    /// The shrink both streams' copies share (the larger either stream needs).
    shrink: u32,
    last_seconds: [Option<f64>; 2],
    /// bg's first frame's time and the time past its last, when the host knows them.
    bg_extent: Option<(f64, f64)>,
    /// What tells the scout to stop, and whether it did.
    cancel: Option<CancelFn>,
    cancelled: bool,
}

impl Scout {
    pub fn new(settings: Settings) -> Scout {
        Scout {
            settings,
            fg: None,
            bg: None,
            shrink: 1,
            last_seconds: [None, None],
            bg_extent: None,
            cancel: None,
            cancelled: false,
        }
    }

    /// Sets (or clears) what tells the scout to stop: asked before each frame is taken and
    /// between the stages of `finish`. When it answers true, the running call returns
    /// `Error::Cancelled`, the copies are let go, and later calls answer `Error::BadState`.
    pub fn set_cancel(&mut self, cancel: Option<CancelFn>) {
        self.cancel = cancel;
    }

    /// `Error::BadState` once cancelled; `Error::Cancelled` (and the copies let go) when the
    /// host asks to stop now.
    fn checkpoint(&mut self, stage: &str) -> Result<()> {
        if self.cancelled {
            return Err(Error::BadState("the scout was cancelled".into()));
        }
        if self.cancel.as_ref().is_some_and(|cancelled| cancelled()) {
            (self.cancelled, self.fg, self.bg) = (true, None, None);
            return Err(Error::Cancelled(format!("the scout stopped {stage}")));
        }
        Ok(())
    }

    /// Tells the time of bg's first frame and the time just past its last (a file's index
    /// knows them): fg may lie between an end and the sample nearest it, so those stretches
    /// count as gaps too (one keyframe in a short clip cannot rule fg out).
    pub fn set_bg_extent(&mut self, start_seconds: f64, end_seconds: f64) -> Result<()> {
        if !(start_seconds.is_finite() && end_seconds.is_finite() && start_seconds <= end_seconds) {
            return Err(Error::invalid(format!("bg's extent {start_seconds}..{end_seconds} s is not a time span")));
        }
        self.bg_extent = Some((start_seconds, end_seconds));
        Ok(())
    }

    /// Takes the next frame of `stream`: every fg frame (or an even sample of them), and bg's
    /// samples, each with its pts, in ascending time within each stream. Frames of one stream
    /// share one size.
    pub fn push(&mut self, stream: Stream, frame: &FrameRef<'_>) -> Result<()> {
        self.checkpoint("before taking a frame")?;
        let seconds =
            frame.seconds().ok_or_else(|| Error::invalid("the scout needs each frame's pts and time base"))?;
        let k = stream as usize;
        if self.last_seconds[k].is_some_and(|last| seconds <= last) {
            return Err(Error::invalid(format!("{} frames must come in ascending time", stream.name())));
        }
        if stream == Stream::Bg && self.bg.as_ref().is_some_and(|b| b.len() >= MAX_BG_SAMPLES) {
            return Err(Error::Unsupported(format!(
                "the scout keeps at most {MAX_BG_SAMPLES} bg samples: sample a long bg more sparsely"
            )));
        }
        self.store_for(stream, frame)?.push(frame, seconds)?;
        self.last_seconds[k] = Some(seconds);
        if stream == Stream::Fg
            && let Some(fg) = self.fg.as_mut()
            && fg.len() > FG_COPIES
        {
            fg.thin();
        }
        Ok(())
    }

    /// The store of `stream`, made at its first frame; a larger shrink than the other stream's
    /// is then given to both.
    fn store_for(&mut self, stream: Stream, frame: &FrameRef<'_>) -> Result<&mut LumaStore> {
        let (w, h) = (frame.width(), frame.height());
        let slot = if stream == Stream::Fg { &mut self.fg } else { &mut self.bg };
        if let Some(store) = slot {
            if store.full_size() != (w, h) {
                return Err(Error::invalid(format!("{} frames change size", stream.name())));
            }
        } else {
            self.shrink = self.shrink.max(shrink_for(w, h, SCOUT_PIXELS));
            *slot = Some(LumaStore::new(w, h, self.shrink));
        }
        for other in [self.fg.as_mut(), self.bg.as_mut()].into_iter().flatten() {
            while other.shrink() < self.shrink {
                other.halve()?;
            }
        }
        Ok(if stream == Stream::Fg { self.fg.as_mut() } else { self.bg.as_mut() }.expect("made above"))
    }

    /// Where fg can lie, from what was pushed.
    pub fn finish(&mut self) -> Result<ScoutReport> {
        self.checkpoint("before its search")?;
        let report = self.search();
        // The search is one stage; a cancel during it is honoured as it returns.
        self.checkpoint("after its search")?;
        report
    }

    fn search(&self) -> Result<ScoutReport> {
        let (Some(fg), Some(bg)) = (&self.fg, &self.bg) else {
            return Err(Error::invalid("the scout needs at least one fg frame and one bg sample"));
        };
        let fg_length = fg_duration(fg);
        let gap = largest_gap(bg, self.bg_extent);
        let report = |answer, best_score| ScoutReport {
            answer,
            bg_samples: bg.len(),
            fg_frames: fg.frames_pushed(),
            largest_gap_seconds: gap,
            best_score,
        };
        let too_sparse = gap > fg_length / 2.0;
        let denser = || ScoutAnswer::NeedDenser { every_seconds: fg_length / 4.0 };
        // Nothing came near fg: NO_MATCH when the samples are dense enough to say so.
        let missed = |best_score: f64| {
            if too_sparse {
                Ok(report(denser(), best_score))
            } else if best_score < SURE_MISS_SCORE {
                Err(Error::NotInBg(format!(
                    "no bg sample came near fg: the best scored {best_score:.3}, under a sure miss's {SURE_MISS_SCORE} (a sample that shows fg scores {HIT_SCORE} and above)"
                )))
            } else {
                Ok(report(ScoutAnswer::Unsure, best_score))
            }
        };
        let mut look = looked(fg, bg, &self.settings, Smallest::FullResolution, too_sparse)?;
        // A scaled fg whose template on the copies is under the full-resolution minimum was not
        // tried at its scale: the whole misses and scores in the unsure band, or only a half
        // comes near (an 854×480 fg at 0.75 in a 720p bg: 0.84 and 0.985), or a lookalike at
        // scale 1 scores a weak hit (0.93, fg's dark side taken for a bar). Then, and only
        // then, it is looked at again down to the copies' own minimum, and the better look
        // kept: searched every time, those scales doubled the bench refusal's placement on the
        // copies (51 -> 98 ms).
        let unsure = match look {
            Look::Missed { best_score } => best_score >= SURE_MISS_SCORE,
            Look::Found { best_score, .. } => best_score < CLEAR_HIT_SCORE,
        };
        if unsure && self.settings.scale_search && !too_sparse {
            look = look.or_better(looked(fg, bg, &self.settings, Smallest::OnCopies, too_sparse)?);
        }
        match look {
            Look::Found { placement, spans, best_score } => {
                let placement = placement_to_full(&placement, fg, bg);
                Ok(report(ScoutAnswer::Found { placement, spans }, best_score))
            }
            Look::Missed { best_score } => missed(best_score),
        }
    }
}

/// The smallest template a scale other than 1 may give in the placement search on the copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Smallest {
    /// As at full resolution ([`locate_parts`]): the cheap first look.
    FullResolution,
    /// The copies' own minimum ([`locate_parts_on_copies`]).
    OnCopies,
}

/// What one look at the samples found: spans at a placement on the copies, or the best score
/// of a miss.
#[derive(Debug, Clone, PartialEq)]
enum Look {
    Found { placement: Placement, spans: Vec<ScoutSpan>, best_score: f64 },
    Missed { best_score: f64 },
}

impl Look {
    fn best_score(&self) -> f64 {
        match self {
            Look::Found { best_score, .. } | Look::Missed { best_score } => *best_score,
        }
    }

    fn found(&self) -> bool {
        matches!(self, Look::Found { .. })
    }

    /// This look or `again`, whichever found fg with the better score (two misses: the better
    /// score, for the report).
    fn or_better(self, again: Look) -> Look {
        match (self, again) {
            (Look::Missed { best_score: a }, Look::Missed { best_score: b }) => Look::Missed { best_score: a.max(b) },
            (first, again) => {
                if again.found() && (!first.found() || again.best_score() > first.best_score()) {
                    again
                } else {
                    first
                }
            }
        }
    }
}

/// fg placed on the copies, then every sample compared with it there.
fn looked(fg: &LumaStore, bg: &LumaStore, settings: &Settings, smallest: Smallest, too_sparse: bool) -> Result<Look> {
    let fg_length = fg_duration(fg);
    let located = match place_on_copies(fg, bg, settings, smallest) {
        Ok(l) => l,
        Err(Error::NoMatch { score, .. }) => return Ok(Look::Missed { best_score: score }),
        Err(e) => return Err(e),
    };
    let helpers = workers::helpers(settings.threads);
    let Compared { placement, best_score, spans } = compared(fg, bg, located.placement, None, fg_length, helpers);
    if !spans.is_empty() {
        return Ok(Look::Found { placement, spans, best_score });
    }
    // Graphics burned into fg (a logo, a ticker) that bg lacks lower the whole's score (the
    // logo box: 0.50): the part of fg the placement was found from, compared alone, may come
    // near. It says only that fg cannot be ruled out, not where it lies (a half of a pan or
    // of a still scene matches other instants too), nor when the samples are sparse (the
    // whole then scores low for want of a sample at fg's instants).
    let on_part = located
        .matched_part
        .filter(|_| !too_sparse)
        .map_or(0.0, |part| compared(fg, bg, located.placement, Some(part), fg_length, helpers).best_score);
    Ok(Look::Missed { best_score: best_score.max(on_part) })
}

/// The samples compared with fg at a placement: the spans their hits make.
struct Compared {
    placement: Placement,
    best_score: f64,
    spans: Vec<ScoutSpan>,
}

/// Every sample compared with every fg copy at `placement` (on fg's `part` of its content,
/// or all of it), after the placement is searched again on the best hits (see `refined`;
/// when that moves it, the samples are compared again at the new place).
fn compared(
    fg: &LumaStore,
    bg: &LumaStore,
    placement: Placement,
    part: Option<Rect>,
    fg_length: f64,
    helpers: usize,
) -> Compared {
    let content = placement.content;
    let narrow = |p: &Placement| part.map_or(*p, |part| narrowed(p, part));
    let widen = |p: Placement| if part.is_some() { widened(&p, content) } else { p };
    let mut placement = placement;
    let mut matches = sample_matches(fg, bg, &narrow(&placement));
    let better = widen(refined(fg, bg, &matches, narrow(&placement), helpers));
    if (better.x, better.y, better.width, better.height)
        != (placement.x, placement.y, placement.width, placement.height)
    {
        placement = better;
        matches = sample_matches(fg, bg, &narrow(&placement));
    }
    let best_score = matches.iter().map(|m| m.score).fold(0.0, f64::max);
    let spans = spans_of(fg, bg, &matches, fg_length);
    Compared { placement, best_score, spans }
}

/// fg's length: from its first frame to past its last (one frame period more).
fn fg_duration(fg: &LumaStore) -> f64 {
    let n = fg.frames_pushed();
    let (first, last) = (fg.seconds_of(0), fg.seconds_of(n - 1));
    let period = if n > 1 { (last - first) / (n - 1) as f64 } else { 0.0 };
    last - first + period
}

/// The largest time between consecutive bg samples, and between bg's ends and the samples
/// nearest them when they are known.
fn largest_gap(bg: &LumaStore, extent: Option<(f64, f64)>) -> f64 {
    let inner = (1..bg.len()).map(|k| bg.frame(k).1 - bg.frame(k - 1).1).fold(0.0, f64::max);
    let Some((start, end)) = extent else { return inner };
    let (first, last) = (bg.frame(0).1, bg.frame(bg.len() - 1).1);
    inner.max(first - start).max(end - last)
}

/// fg located on the copies: a few evenly spaced fg copies against the bg samples most like
/// them and evenly spaced ones.
fn place_on_copies(fg: &LumaStore, bg: &LumaStore, settings: &Settings, smallest: Smallest) -> Result<Located> {
    let fg_picks: Vec<FrameRef<'_>> =
        evenly_spaced(fg.len(), PLACEMENT_FG).into_iter().map(|k| fg.frame(k).0).collect();
    let all_bg: Vec<FrameRef<'_>> = (0..bg.len()).map(|k| bg.frame(k).0).collect();
    let mut picks = likeliest_bg(&fg_picks, &all_bg, PLACEMENT_BG);
    picks.extend(evenly_spaced(bg.len(), PLACEMENT_BG));
    picks.sort_unstable();
    picks.dedup();
    let bg_picks: Vec<FrameRef<'_>> = picks.into_iter().map(|k| all_bg[k]).collect();
    match smallest {
        Smallest::FullResolution => locate_parts(&fg_picks, &bg_picks, settings),
        Smallest::OnCopies => locate_parts_on_copies(&fg_picks, &bg_picks, settings),
    }
}

/// Hits whose samples the placement is searched on again.
const REFINE_PAIRS: usize = 2;
/// fg copies, evenly spaced, each of those samples is searched with (then the copies around
/// the best of them).
const REFINE_COPIES: usize = 48;

/// The placement searched again on the best hits' samples, each against fg copies over all of
/// fg: the first search compared copies of different instants (bg samples are sparse), so a
/// pan could shift it, and the copy a sample matched best at the shifted place is a pan's
/// lookalike, off the sample's instant; the copy of the sample's own instant matches it best,
/// at the true place. The best of these and the first is kept. A pan moves the lookalike by
/// the pan's travel between the instants compared, so each copy is searched within
/// `refine_radius` of the first place (at its scale), not over the whole sample.
fn refined(fg: &LumaStore, bg: &LumaStore, matches: &[SampleMatch], first: Placement, helpers: usize) -> Placement {
    let mut best_hits: Vec<usize> = (0..matches.len()).filter(|&j| matches[j].score >= HIT_SCORE).collect();
    best_hits.sort_by(|&a, &b| matches[b].score.total_cmp(&matches[a].score));
    let radius = refine_radius(&first);
    // Each fg copy's search on a thread of its own (the setting "threads"): the answer is the
    // one thread's, the searches' order kept.
    let searched = |copies: Vec<usize>, j: usize| {
        workers::map(helpers, &copies, |&k| locate_near(&fg.frame(k).0, &bg.frame(j).0, &first, radius).map(|p| (k, p)))
    };
    let mut best = first;
    for j in best_hits.into_iter().take(REFINE_PAIRS) {
        let picks = evenly_spaced(fg.len(), REFINE_COPIES);
        let step = fg.len().div_ceil(REFINE_COPIES.max(1));
        let Some((k0, p0)) = most_confident(searched(picks, j).into_iter().flatten(), |(_, p)| p) else {
            continue;
        };
        let around: Vec<usize> = (k0.saturating_sub(step)..(k0 + step + 1).min(fg.len())).collect();
        let local = searched(around, j)
            .into_iter()
            .flatten()
            .map(|(_, p)| p)
            .fold(p0, |b, p| if p.confidence > b.confidence { p } else { b });
        if local.confidence > best.confidence {
            best = local;
        }
    }
    best
}

/// How far (copy pixels) `refined` looks from the first place: half the placed width or
/// height, whichever is larger (a pan that carried the picture further between the instants
/// compared would have left little of it to match).
fn refine_radius(first: &Placement) -> u32 {
    first.width.max(first.height) / 2
}

/// How one bg sample compares with fg at the placement: its best fg copy and their
/// correlation, and the first and last fg copies that score within `TIE_SCORE` of it (a still
/// shot matches many: the sample then says less about where fg starts).
#[derive(Debug, Clone, Copy)]
struct SampleMatch {
    fg_copy: usize,
    score: f64,
    tied: (usize, usize),
}

/// fg copies scoring within this of a sample's best are as likely its instant.
const TIE_SCORE: f64 = 0.05;

/// Every bg sample compared with every fg copy at the placement (on the copies).
fn sample_matches(fg: &LumaStore, bg: &LumaStore, placement: &Placement) -> Vec<SampleMatch> {
    let (bw, bh) = {
        let f = bg.frame(0).0;
        (f.width(), f.height())
    };
    let Some((fg_rect, bg_rect)) = matched_rects(placement, bw, bh) else {
        return Vec::new();
    };
    let (w, h) = compare_size(bg_rect);
    let templates: Vec<Vec<f32>> = (0..fg.len()).map(|k| normalized(&fg.frame(k).0, fg_rect, w, h)).collect();
    (0..bg.len())
        .map(|j| {
            let region = normalized(&bg.frame(j).0, bg_rect, w, h);
            let scores: Vec<f64> =
                templates.iter().map(|t| t.iter().zip(&region).map(|(a, b)| (a * b) as f64).sum::<f64>()).collect();
            let (fg_copy, score) = scores
                .iter()
                .copied()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |b, (k, v)| if v > b.1 { (k, v) } else { b });
            let near = |k: &usize| scores[*k] >= score - TIE_SCORE;
            let tied = (
                (0..scores.len()).find(near).unwrap_or(fg_copy),
                (0..scores.len()).rev().find(near).unwrap_or(fg_copy),
            );
            SampleMatch { fg_copy, score, tied }
        })
        .collect()
}

/// The size pictures are compared at: `COMPARE_WIDTH` across (or the rectangle's width when
/// smaller), the rectangle's shape kept.
fn compare_size(rect: Rect) -> (usize, usize) {
    let w = (rect.width as usize).clamp(1, COMPARE_WIDTH);
    let h = ((rect.height as f64 * w as f64 / rect.width as f64).round() as usize).max(1);
    (w, h)
}

/// `rect` of `frame` at `w × h`, less its mean, of unit length (all zeros when flat): the dot
/// product of two is their correlation.
fn normalized(frame: &FrameRef<'_>, rect: Rect, w: usize, h: usize) -> Vec<f32> {
    let mut data = Image::from_frame(frame, rect, w, h).data;
    let mean = data.iter().sum::<f32>() / data.len() as f32;
    data.iter_mut().for_each(|v| *v -= mean);
    let norm = data.iter().map(|v| v * v).sum::<f32>().sqrt();
    let scale = if norm > 1e-3 { 1.0 / norm } else { 0.0 };
    data.iter_mut().for_each(|v| *v *= scale);
    data
}

/// A bg sample that showed fg (see `spans_of`).
struct Hit {
    start: f64,
    earliest: f64,
    latest: f64,
    at: f64,
    score: f64,
}

/// A sample scoring under this with every fg copy shows none of fg: fg's span does not reach
/// it.
const CLEAR_MISS: f64 = 0.6;

/// `span` kept between the clear misses nearest its first and last hits (`first`, `last`):
/// a still shot matches fg all along, so its hits alone say little of where fg starts, but
/// the samples of the shots around it do not match at all (keyframes often fall on cuts).
fn within_misses(mut span: ScoutSpan, first: f64, last: f64, misses: &[f64]) -> ScoutSpan {
    if let Some(&before) = misses.iter().rev().find(|&&t| t < first) {
        span.start_seconds = span.start_seconds.max(before);
    }
    if let Some(&after) = misses.iter().find(|&&t| t > last) {
        span.end_seconds = span.end_seconds.min(after);
    }
    span
}

/// The hits grouped by where they say fg starts, as spans of bg, most hits first.
fn spans_of(fg: &LumaStore, bg: &LumaStore, matches: &[SampleMatch], fg_length: f64) -> Vec<ScoutSpan> {
    let fg_start = fg.seconds_of(0);
    let margin = |seconds: f64| MIN_MARGIN_SECONDS + MARGIN_SHARE * seconds.max(0.0);
    // Every hit: fg's start in bg by its best copy; the earliest start and latest end its tied
    // copies allow; the sample's time and score.
    let mut hits: Vec<Hit> = matches
        .iter()
        .enumerate()
        .filter(|(_, m)| m.score >= HIT_SCORE)
        .map(|(j, m)| {
            let at = bg.frame(j).1;
            let into = |k: usize| fg.frame(k).1 - fg_start;
            let (first, last) = (into(m.tied.0), into(m.tied.1));
            Hit {
                start: at - into(m.fg_copy),
                earliest: at - last - margin(last),
                latest: at + (fg_length - first) + margin(fg_length - first),
                at,
                score: m.score,
            }
        })
        .collect();
    hits.sort_by(|a, b| a.start.total_cmp(&b.start));
    let agree = (fg_length * AGREE_SHARE).max(MIN_AGREE_SECONDS);
    // Each span with the times of its first and last hit.
    let mut spans: Vec<(ScoutSpan, f64, f64)> = Vec::new();
    let mut last_start = f64::NEG_INFINITY;
    for h in hits {
        match spans.last_mut() {
            Some((span, first, last)) if h.start - last_start <= agree => {
                span.start_seconds = span.start_seconds.min(h.earliest);
                span.end_seconds = span.end_seconds.max(h.latest);
                span.hits += 1;
                span.best_score = span.best_score.max(h.score);
                (*first, *last) = (first.min(h.at), last.max(h.at));
            }
            _ => spans.push((
                ScoutSpan { start_seconds: h.earliest, end_seconds: h.latest, hits: 1, best_score: h.score },
                h.at,
                h.at,
            )),
        }
        last_start = h.start;
    }
    let misses: Vec<f64> =
        matches.iter().enumerate().filter(|(_, m)| m.score < CLEAR_MISS).map(|(j, _)| bg.frame(j).1).collect();
    let mut spans: Vec<ScoutSpan> =
        spans.into_iter().map(|(span, first, last)| within_misses(span, first, last, &misses)).collect();
    spans.sort_by(|a, b| b.hits.cmp(&a.hits).then(a.start_seconds.total_cmp(&b.start_seconds)));
    spans
}
