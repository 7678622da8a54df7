//! The time map: which bg frame belongs under each fg frame.
//!
//! 1. **Rate prior.** Frame timestamps give each stream's clock; fg frame i is expected at bg
//!    time `fg_time(i) - fg_time(0) + T` for an unknown offset `T`. This covers 25↔30,
//!    23.976↔24, 29.97↔25 and variable frame rates alike: the expected bg frame is the one whose
//!    timestamp is nearest.
//! 2. **Global offset.** Every whole-frame offset over the entire bg range (fg may start anywhere
//!    in bg, or before it) is scored by the mean pHash Hamming distance of a sample of fg frames
//!    against the bg frames the offset puts under them, one SIMD Hamming row per sample. The best
//!    few offsets are re-scored with the full frame cost at sub-frame steps.
//! 3. **Banded monotone DP.** Each fg frame gets one bg frame; the bg index never decreases and
//!    steps at most `ceil(2s) + 1` frames (s = bg frames per fg frame). A frame's cost is its
//!    descriptor distance; changing the offset from the rate line costs `rate_penalty` per
//!    frame of change, so static shots follow the rate instead of wandering. An "outside" layer
//!    carries fg frames that bg does not have (fg longer than bg, inserted footage) at a fixed
//!    cost, so they are reported rather than forced onto a wrong match. The band (±`band`
//!    frames) follows the best path, so memory is O(N · band): no N×M matrix.
//! 4. The optimal path is traced back at the end (offline mode).
//! 5. **Content speed.** When the path's slope over half its length says the pictures run at
//!    another speed than the timestamps (more than `SPEED_TOLERANCE` off: fg sped up or slowed
//!    down throughout), steps 2 and 3 run again with fg's times scaled by the speed whose line
//!    the sampled frames match best, and that map is kept when its frames' total cost is
//!    clearly lower; the map's `rate` is then the pictures'.
//!
//! # Design notes (measured)
//!
//! **Rate penalty on the integer deviation.** The DP charges `rate_penalty` for changes of the
//! deviation from the *rounded* rate line; charging the step's distance from the fractional rate
//! favours drifting paths at 25→30. A second DP pass, in a band around the first path, uses a local
//! line (the first path's offset, smoothed within segments) so that near a rounding tie the
//! pictures decide.
//!
//! **Sub-frame offset.** Frames re-timed by repetition need the offset to about 2 % of a frame:
//! V-fit residuals are centred by their 5–95 % midrange, then the centre of the lowest plateau of
//! the line cost is taken.
//!
//! **Content speed.** The rate line comes from the timestamps, and the band follows a drift
//! of a frame in twenty (the film at 1.1 times mapped exactly). Beyond that the path lags and
//! catches up in steps: through `comp` on the film, fg sped up 2 times had 14 of 84 frames
//! right, 1.25 times 69 of 134, slowed to 0.8 and 0.5 times 22 and 50 of 120, every frame at
//! confidence about 1 and exit 0. The path's slope (a mean of the middle half of the slopes
//! between frames half the path apart, which the path's steps do not bend) is a few percent
//! off (1.244 for 1.25, 0.539 for 0.5), so the speed is chosen around it by the sampled
//! frames' line cost, in 1 % steps and then a quarter frame over fg's length. All six then
//! mapped every frame (`tests/temporal.rs`, and the accuracy table's speed group). A speed
//! is taken only when its map's total cost is under 0.95 of the timestamps' (1.6 against
//! 2.8 at 0.8 times, 3.4 against 5.3 at 1.25): a static shot, where every speed matches
//! alike, keeps the timestamps.
//!
//! **Refusal.** `Analyzer::finish` (and so `comp`, `align` on videos and
//! `vidkompy_analyzer_finish`) is NO_MATCH when fewer than `min_matched_share` of fg's frames find
//! a counterpart in bg, or when the matched frames match no better than by chance: their median
//! descriptor distance must be under 0.6 of the median distance of the same fg frames to the bg
//! frames a third and two thirds of bg away from their matches (`temporal::chance_evidence`). The
//! message gives both ("median match distance 0.22 against 0.22 by chance"). Measured with `comp`
//! on pairs made from the clips: true pairs 0.03/0.24 (interview crop), 0.14/0.77 (film at 30 fps),
//! 0.02/0.75 (blurred), 0.21/0.62 (noise 25), 0.10/0.74 (crf 38); the interview's later instants
//! against its first 3.8 s matched all 72 frames at 0.22/0.22 and composited with exit 0 before;
//! now refused. Another film, and the film's part that bg lacks, are refused by the share rule
//! (every frame outside).
//!
//! **Time-map confidence against chance.** A frame's confidence is 1 / (1 + (r / 0.5)^5), r its
//! match's distance over its distance to the bg frames a third and two thirds of bg away; the map's
//! is the mean over matched frames. With `comp` on the pairs above: interview crop 0.997, film at
//! 30 fps 0.992, blurred 1.000, noise 25 0.847, crf 38 0.998; the refused fixed camera 0.03, and 0
//! where every frame is outside. The generated pairs of `tests/temporal.rs` and the real pairs of
//! `tests/cli_ffmpeg.rs` assert at least 0.8. The placement's confidence is its NCC score and is
//! not calibrated this way.

use crate::error::{Error, Result};
use crate::fingerprint::Descriptor;
use crate::kernels::{self, Thumb};
use crate::settings::Settings;

mod repeats;
mod segments;
mod shots;

pub use repeats::{RepeatedSpan, SPANS_ALIKE, closest_shift, repeated_span};
pub use shots::{MIN_RUN, follow_outside_runs, outside_runs};

/// Weight of the pHash distance (normalized by 32, the distance of unrelated frames).
const WEIGHT_HASH: f32 = 0.15;
/// Weight of the thumb SAD (normalized by the SAD of unrelated frames).
const WEIGHT_THUMB: f32 = 0.85;
/// SAD of two unrelated thumbs: 256 values, E|a - b| = 2/√π σ√2... ≈ 36 units each.
const SAD_UNRELATED: f32 = 256.0 * 85.0;
/// Cost of a frame in the outside layer: a match must be better than this to be taken.
const OUTSIDE_COST: f32 = 0.4;
/// Cost of entering or leaving the outside layer.
const SWITCH_COST: f32 = 0.5;
/// Offset-search cost of a sample that falls outside bg (between a match and a mismatch).
const OUTSIDE_SAMPLE_COST: f32 = 0.8;
/// fg frames sampled for the offset search and for re-scoring candidates.
const OFFSET_SAMPLES: usize = 64;
const RESCORE_SAMPLES: usize = 256;
const CANDIDATES: usize = 6;
/// While the best state is outside, look for the fg frame in all of bg every this many frames.
const REACQUIRE_EVERY: usize = 4;
/// Cost under which a re-acquired match is trusted.
const REACQUIRE_COST: f32 = 0.3;

/// Descriptors and timestamps of one stream, in frame order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Track {
    pub hashes: Vec<u64>,
    pub thumbs: Vec<Thumb>,
    pub seconds: Vec<f64>,
}

impl Track {
    pub fn new() -> Track {
        Track::default()
    }

    pub fn with_capacity(n: usize) -> Track {
        Track { hashes: Vec::with_capacity(n), thumbs: Vec::with_capacity(n), seconds: Vec::with_capacity(n) }
    }

    pub fn push(&mut self, d: &Descriptor, seconds: f64) {
        self.hashes.push(d.phash);
        self.thumbs.push(d.thumb);
        self.seconds.push(seconds);
    }

    /// Replaces frame `k`'s descriptors.
    pub fn set(&mut self, k: usize, d: &Descriptor) {
        self.hashes[k] = d.phash;
        self.thumbs[k] = d.thumb;
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    fn validate(&self, name: &str) -> Result<()> {
        if self.is_empty() {
            return Err(Error::invalid(format!("{name} has no frames")));
        }
        if self.thumbs.len() != self.len() || self.seconds.len() != self.len() {
            return Err(Error::invalid(format!("{name}: descriptor and timestamp counts differ")));
        }
        if self.seconds.iter().any(|s| !s.is_finite()) {
            return Err(Error::invalid(format!("{name}: timestamps must be finite")));
        }
        if let Some(i) = self.seconds.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::invalid(format!(
                "{name}: timestamps must increase (frame {} at {}s, frame {} at {}s)",
                i,
                self.seconds[i],
                i + 1,
                self.seconds[i + 1]
            )));
        }
        if self.seconds.iter().any(|s| !s.is_finite()) {
            return Err(Error::invalid(format!("{name}: timestamps must be finite")));
        }
        Ok(())
    }

    /// Mean frame period in seconds (None for a single frame).
    pub fn period(&self) -> Option<f64> {
        (self.len() > 1).then(|| (self.seconds[self.len() - 1] - self.seconds[0]) / (self.len() - 1) as f64)
    }
}

/// bg frames per fg frame, from the timestamps (1 when either stream has a single frame).
pub fn rate_prior(fg: &Track, bg: &Track) -> f64 {
    match (fg.period(), bg.period()) {
        (Some(f), Some(b)) if b > 0.0 => f / b,
        _ => 1.0,
    }
}

/// The result of temporal alignment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeMap {
    /// For every fg frame, the bg frame under it. Outside frames hold the nearest bg frame of
    /// the path (clamped to bg), so a compositor always has a background.
    pub map: Vec<u32>,
    /// fg frames with no counterpart in bg.
    pub outside: Vec<u32>,
    /// Descriptor cost of every fg frame's match (the outside cost for outside frames).
    pub cost: Vec<f32>,
    /// Per-frame confidence in 0..1 (0 for outside frames): how much closer the match is than
    /// matching by chance (see `frame_confidence`).
    pub confidence: Vec<f32>,
    /// Mean confidence over the frames that were matched.
    pub overall_confidence: f64,
    /// bg time minus fg time on the rate line found by the offset search.
    pub offset_seconds: f64,
    /// bg frames per fg frame.
    pub rate: f64,
}

impl TimeMap {
    pub fn is_outside(&self, i: usize) -> bool {
        self.outside.binary_search(&(i as u32)).is_ok()
    }
}

/// Descriptor cost of fg frame `i` against bg frame `j`, from a precomputed Hamming distance.
#[inline]
fn frame_cost(hamming: u32, fg_thumb: &Thumb, bg_thumb: &Thumb, sad: fn(&Thumb, &Thumb) -> u32) -> f32 {
    WEIGHT_HASH * hamming as f32 / 32.0 + WEIGHT_THUMB * sad(fg_thumb, bg_thumb) as f32 / SAD_UNRELATED
}

/// fg frames sampled to measure what matching by chance costs.
const CHANCE_SAMPLES: usize = 64;

/// How well the matched fg frames match, against how well they match by chance: the median
/// descriptor cost of the matched frames, and the median cost of the same fg frames against
/// the bg frames a third and two thirds of bg away from their match (certainly not theirs,
/// unless bg shows one picture throughout).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChanceEvidence {
    pub matched_cost: f32,
    pub chance_cost: f32,
    /// Matched fg frames the medians are over.
    pub frames: usize,
}

/// [`ChanceEvidence`] of a time map; `None` when no frame is matched or bg has under 3 frames.
pub fn chance_evidence(fg: &Track, bg: &Track, time: &TimeMap) -> Option<ChanceEvidence> {
    let m = bg.len();
    let matched: Vec<usize> = (0..time.map.len()).filter(|&i| !time.is_outside(i)).collect();
    if matched.is_empty() || m < 3 {
        return None;
    }
    let cost = |i: usize, j: usize| frame_cost_of(fg, i, bg, j);
    let picks: Vec<usize> = sample_indices(matched.len(), CHANCE_SAMPLES).into_iter().map(|k| matched[k]).collect();
    let mut own: Vec<f32> = picks.iter().map(|&i| time.cost[i]).collect();
    let mut chance: Vec<f32> =
        picks.iter().flat_map(|&i| [m / 3, 2 * m / 3].map(|d| cost(i, (time.map[i] as usize + d) % m))).collect();
    Some(ChanceEvidence { matched_cost: median(&mut own), chance_cost: median(&mut chance), frames: matched.len() })
}

/// The matched frames' median descriptor distance must be under this fraction of the distance
/// by chance (`chance_evidence`). True pairs measured 0.02-0.33 (a noisy fg the most),
/// unrelated frames a match is forced on about 0.7-1.
pub const CHANCE_RATIO: f32 = 0.6;

/// Whether a match of this confidence (`TimeMap::confidence`) is no closer than
/// `CHANCE_RATIO` of matching by chance: more than half of a map's matches being so is the
/// same refusal as its median distance being so.
pub fn no_better_than_chance(confidence: f32) -> bool {
    confidence < frame_confidence(CHANCE_RATIO, Some(1.0))
}

/// A match's cost, as a share of the chance cost, at which its confidence is one half.
const HALF_CONFIDENT_RATIO: f32 = 0.5;
/// How sharply confidence falls around `HALF_CONFIDENT_RATIO`.
const CONFIDENCE_STEEPNESS: i32 = 5;

/// Confidence of a match of descriptor cost `cost` where matching by chance costs `chance`:
/// 1 / (1 + (ratio / 0.5)^5), ratio = cost / chance. Calibrated on pairs made from the
/// clips with `comp`: true pairs have median ratios of 0.02-0.33 (0.89-1), a fixed camera's
/// other instants 1.0 (0.03); the analyzer refuses a median ratio over 0.6 (0.29). Without a
/// chance level (bg of under 3 frames), the cost against the outside cost.
fn frame_confidence(cost: f32, chance: Option<f32>) -> f32 {
    match chance {
        Some(chance) if chance > 0.0 => {
            let ratio = cost / chance / HALF_CONFIDENT_RATIO;
            1.0 / (1.0 + ratio.powi(CONFIDENCE_STEEPNESS))
        }
        Some(_) => 0.0,
        None => (1.0 - cost / OUTSIDE_COST).clamp(0.0, 1.0),
    }
}

/// Mean cost of fg frame `i` against the bg frames a third and two thirds of bg away from its
/// match `j`: what matching it by chance costs. `None` for a bg of under 3 frames.
fn chance_cost_of(fg: &Track, i: usize, bg: &Track, j: usize) -> Option<f32> {
    let m = bg.len();
    (m >= 3).then(|| 0.5 * (frame_cost_of(fg, i, bg, (j + m / 3) % m) + frame_cost_of(fg, i, bg, (j + 2 * m / 3) % m)))
}

/// Descriptor cost of fg frame `i` against bg frame `j` (what `TimeMap::cost` holds for a
/// match).
pub fn frame_cost_of(fg: &Track, i: usize, bg: &Track, j: usize) -> f32 {
    let kern = kernels::active();
    let distance = crate::fingerprint::hamming(fg.hashes[i], bg.hashes[j]);
    frame_cost(distance, &fg.thumbs[i], &bg.thumbs[j], kern.sad_thumb)
}

fn median(values: &mut [f32]) -> f32 {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { 0.5 * (values[n / 2 - 1] + values[n / 2]) }
}

/// Maps times to bg frame indices, extrapolating beyond bg's ends with its mean period.
struct BgClock<'a> {
    seconds: &'a [f64],
    period: f64,
}

impl BgClock<'_> {
    fn nearest_index(&self, t: f64) -> i64 {
        let s = self.seconds;
        let last = s.len() - 1;
        if t <= s[0] {
            return ((t - s[0]) / self.period).round() as i64;
        }
        if t >= s[last] {
            return last as i64 + ((t - s[last]) / self.period).round() as i64;
        }
        let k = self.first_at_or_after(t);
        if t - s[k - 1] <= s[k] - t { k as i64 - 1 } else { k as i64 }
    }

    /// The first frame at or after `t`, for `t` strictly between bg's first and last frames:
    /// `partition_point`'s answer, found from where the mean period puts `t` in a few steps on
    /// a steady clock (the offset search asks this thousands of times a time map: a bisection
    /// was 41 % of the live session's per-frame alignment), by bisection when that is far off.
    fn first_at_or_after(&self, t: f64) -> usize {
        const STEPS: usize = 4;
        let s = self.seconds;
        let last = s.len() - 1;
        let guess = (t - s[0]) / self.period;
        if guess.is_finite() && guess >= 0.0 {
            // In 1..=last, where s[0] < t < s[last] keeps each step: at 1 the first test
            // fails, at `last` the second does.
            // The frame after the one the guess falls on (a float-to-int cast saturates).
            let mut k = (guess as usize).saturating_add(1).clamp(1, last);
            for _ in 0..STEPS {
                if s[k - 1] >= t {
                    k -= 1;
                } else if s[k] < t {
                    k += 1;
                } else {
                    return k;
                }
            }
        }
        s.partition_point(|&x| x < t)
    }

    /// Fractional bg index of a time (linear between frames, extrapolated beyond the ends).
    fn fractional_index(&self, t: f64) -> f64 {
        let s = self.seconds;
        let last = s.len() - 1;
        if t <= s[0] {
            return (t - s[0]) / self.period;
        }
        if t >= s[last] {
            return last as f64 + (t - s[last]) / self.period;
        }
        let k = self.first_at_or_after(t);
        (k - 1) as f64 + (t - s[k - 1]) / (s[k] - s[k - 1])
    }

    fn time_of(&self, j: i64) -> f64 {
        let last = self.seconds.len() as i64 - 1;
        if j < 0 {
            self.seconds[0] + j as f64 * self.period
        } else if j > last {
            self.seconds[last as usize] + (j - last) as f64 * self.period
        } else {
            self.seconds[j as usize]
        }
    }
}

fn sample_indices(n: usize, k: usize) -> Vec<usize> {
    let mut out = Vec::new();
    sample_indices_into(n, k, &mut out);
    out
}

/// `k` indices spread evenly over `0..n` (both ends included), into `out`.
fn sample_indices_into(n: usize, k: usize, out: &mut Vec<usize>) {
    let k = k.min(n);
    out.clear();
    out.extend((0..k).map(|s| if k == 1 { 0 } else { s * (n - 1) / (k - 1) }));
}

/// Buffers [`align_into`] reuses from call to call: a caller that aligns again and again (the
/// live session, once a frame) allocates nothing once they have grown to its window.
#[derive(Debug, Default)]
pub struct AlignScratch {
    nominal: Vec<i64>,
    score: Vec<f32>,
    inside: Vec<u32>,
    row: Vec<u32>,
    samples: Vec<usize>,
    totals: Vec<f32>,
    order: Vec<usize>,
    candidates: Vec<i64>,
    rescore: Vec<usize>,
    costs: Vec<(f64, f32)>,
    /// Per rescored fg frame, the last bg frames its cost was computed against.
    pair_costs: Vec<PairCosts>,
    residuals: Vec<f64>,
    line: Vec<i64>,
    position: Vec<f64>,
    centres: Vec<i64>,
    first: Vec<(i64, bool)>,
    path: Vec<(i64, bool)>,
    dp: DpScratch,
    segments: segments::Scratch,
    local: Vec<f64>,
    /// fg's frame times from its first, times the content speed being tried.
    relative: Vec<f64>,
    /// The path at the timestamps' speed, kept while another speed is tried.
    kept_path: Vec<(i64, bool)>,
    slopes: Vec<f64>,
    matches: Vec<(usize, usize)>,
}

/// Finds the time map of `fg` inside `bg`.
pub fn align(fg: &Track, bg: &Track, settings: &Settings) -> Result<TimeMap> {
    let mut time = TimeMap::default();
    align_into(fg, bg, settings, &mut AlignScratch::default(), &mut time)?;
    Ok(time)
}

/// [`align`] into `time`, with `scratch`'s buffers (no allocation once they have grown).
/// The map is monotone: fg's shots in another order than bg's leave runs of outside frames,
/// which [`follow_outside_runs`] then looks for on their own.
pub fn align_into(
    fg: &Track,
    bg: &Track,
    settings: &Settings,
    scratch: &mut AlignScratch,
    time: &mut TimeMap,
) -> Result<()> {
    fg.validate("fg")?;
    bg.validate("bg")?;
    let kern = kernels::active();
    let rate = rate_prior(fg, bg);
    let ws = scratch;
    let mut relative = std::mem::take(&mut ws.relative);
    relative_times(fg, 1.0, &mut relative);
    let mut found = path_at_speed(fg, bg, settings, rate, &relative, ws, kern);
    let mut speed = 1.0;
    if found.is_ok() {
        // The pictures may run at another speed than the timestamps say (fg sped up or slowed
        // down throughout): the map is found again on the line of the pictures' speed, and
        // kept when its frames match clearly better.
        let at_timestamps = path_cost(fg, bg, &ws.path);
        let estimate = path_speed(&ws.path, rate, &mut ws.slopes)
            .or_else(|| speed_of_best_matches(fg, bg, rate, &mut ws.samples, &mut ws.slopes, &mut ws.matches));
        if let Some(first) = estimate.filter(|s| (s - 1.0).abs() > SPEED_TOLERANCE) {
            std::mem::swap(&mut ws.path, &mut ws.kept_path);
            match at_content_speed(fg, bg, settings, (rate, first), &mut relative, ws, kern) {
                Some((s, o)) if speed_map_stands(path_cost(fg, bg, &ws.path), at_timestamps, fg.len()) => {
                    (speed, found) = (s, Ok(o));
                }
                _ => std::mem::swap(&mut ws.path, &mut ws.kept_path),
            }
        }
    }
    ws.relative = relative;
    let offset_seconds = found?;

    // --- 4. The map, its costs and confidences. ---
    fill_time_map(fg, bg, &ws.path, kern, time);
    hold_repeated_pictures(fg, bg, time);
    time.offset_seconds = offset_seconds;
    time.rate = rate * speed;
    Ok(())
}

/// Content speeds within this share of the timestamps' are left to the DP's band: it follows
/// a drift of one frame in twenty (measured: the film sped up by 1.1 mapped exactly).
pub const SPEED_TOLERANCE: f64 = 0.06;
/// A map at another speed replaces the one at the timestamps' only when its frames' total
/// cost is under this share of the other's (on a static shot both match alike, and the
/// timestamps stand) ...
const CLEARLY_BETTER: f32 = 0.95;
/// ... and its frames match: their mean cost (outside ones at `OUTSIDE_COST`) under this.
/// Measured: fg at 0.5 to 2 times on the film 0.007-0.025; fg from a part of the film bg
/// lacks (a pair to refuse), against bg's other instants, at 0.3 times 0.34 with half its
/// frames outside, which `CLEARLY_BETTER` alone took (0.93 of the timestamps' map).
const SPEED_MATCH_COST: f32 = 0.1;

/// Whether a map at another speed (total cost `cost`) replaces the one at the timestamps'
/// (`at_timestamps`) for `n` fg frames.
fn speed_map_stands(cost: f32, at_timestamps: f32, n: usize) -> bool {
    cost < CLEARLY_BETTER * at_timestamps && cost < SPEED_MATCH_COST * n as f32
}

/// fg's frame times from its first, times `speed`, into `out`.
fn relative_times(fg: &Track, speed: f64, out: &mut Vec<f64>) {
    let t0 = fg.seconds[0];
    out.clear();
    out.extend(fg.seconds.iter().map(|t| (t - t0) * speed));
}

/// The speed of fg's pictures against `rate` (bg frames per fg frame), from a path: the
/// slope between matched frames half the path apart (over a long stretch, which the steps
/// of a path that lags and catches up do not change), the middle half of them averaged.
/// `None` when too few frames matched to say.
fn path_speed(path: &[(i64, bool)], rate: f64, slopes: &mut Vec<f64>) -> Option<f64> {
    let half = path.len() / 2;
    if half < MIN_SPEED_BASELINE || rate <= 0.0 {
        return None;
    }
    slopes.clear();
    slopes.extend(
        (0..path.len() - half)
            .filter(|&i| !path[i].1 && !path[i + half].1)
            .map(|i| (path[i + half].0 - path[i].0) as f64 / half as f64),
    );
    if slopes.len() < half / 2 {
        return None;
    }
    let slope = middle_mean(slopes);
    (slope > 0.0).then_some(slope / rate)
}

/// The mean of the middle half of `values` (sorted here): as robust as the median, and finer
/// than one frame over a baseline (slopes of a path at 1.25 are 83 or 84 frames over 67).
fn middle_mean(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let middle = &values[values.len() / 4..values.len() - values.len() / 4];
    middle.iter().sum::<f64>() / middle.len() as f64
}

/// The map (into `ws.path`) at the content speed nearest `estimate` whose line the sampled
/// frames match best (`refined_speed`); that speed and the map's offset. `None` when no map
/// was found.
fn at_content_speed(
    fg: &Track,
    bg: &Track,
    settings: &Settings,
    (rate, estimate): (f64, f64),
    relative: &mut Vec<f64>,
    ws: &mut AlignScratch,
    kern: &'static kernels::Kernels,
) -> Option<(f64, f64)> {
    let speed = refined_speed(fg, bg, (rate, estimate), relative, ws, kern);
    relative_times(fg, speed, relative);
    let offset = path_at_speed(fg, bg, settings, rate * speed, relative, ws, kern).ok()?;
    Some((speed, offset))
}

/// The speed within `SPEED_SEARCH` of `estimate` (a path's slope: a path that lags and
/// catches up bends it, and its whole frames quantize it) whose line, at its best offset,
/// the sampled fg frames match best: in steps of `SPEED_STEP`, then around the best in steps
/// of a quarter frame over fg's length, so the line drifts at most an eighth of a frame from
/// the pictures' (at 1.25 times, the path's slope said 1.244, and 27 of 134 frames were one
/// off; at half speed it said 0.539).
fn refined_speed(
    fg: &Track,
    bg: &Track,
    (rate, estimate): (f64, f64),
    relative: &mut Vec<f64>,
    ws: &mut AlignScratch,
    kern: &kernels::Kernels,
) -> f64 {
    let coarse = best_speed_of(fg, bg, (estimate, SPEED_STEP, SPEED_SEARCH), relative, ws, kern);
    let fine = (0.25 / (rate * coarse * fg.len() as f64)).min(SPEED_STEP);
    best_speed_of(fg, bg, (coarse, fine, SPEED_STEP), relative, ws, kern)
}

/// Of the speeds `centre · (1 + k · step)` within `reach` of it (at most `MAX_SPEED_STEPS`
/// either side), the one whose line the sampled fg frames match best at its best offset.
fn best_speed_of(
    fg: &Track,
    bg: &Track,
    (centre, step, reach): (f64, f64, f64),
    relative: &mut Vec<f64>,
    ws: &mut AlignScratch,
    kern: &kernels::Kernels,
) -> f64 {
    let bg_period = bg.period().or(fg.period()).unwrap_or(1.0 / 25.0);
    let clock = BgClock { seconds: &bg.seconds, period: bg_period };
    let steps = ((reach / step).round() as i64).min(MAX_SPEED_STEPS);
    let mut best = (f32::INFINITY, centre);
    for k in -steps..=steps {
        let speed = centre * (1.0 + k as f64 * step);
        relative_times(fg, speed, relative);
        if speed <= 0.0 || offset_candidates(fg, bg, relative, &clock, ws, kern).is_err() {
            continue;
        }
        let (_, cost) = best_offset(fg, bg, relative, &clock, ws, kern);
        if cost < best.0 {
            best = (cost, speed);
        }
    }
    best.1
}

/// How far (a share of the estimate) `refined_speed` looks, in steps of `SPEED_STEP` first;
/// at most `MAX_SPEED_STEPS` either side in either search.
const SPEED_SEARCH: f64 = 0.1;
const SPEED_STEP: f64 = 0.01;
const MAX_SPEED_STEPS: i64 = 24;

/// The speed of fg's pictures against `rate`, from where sampled fg frames match best in all
/// of bg (each at a cost under `REACQUIRE_COST`): the slopes between samples at least a
/// quarter of fg apart, the middle half averaged. For a path that found next to nothing at
/// the timestamps' speed (fast motion sped up: every frame drifts off the rate line within a
/// few, and the DP takes them as outside). `None` with fewer than `MIN_SPEED_MATCHES`.
fn speed_of_best_matches(
    fg: &Track,
    bg: &Track,
    rate: f64,
    samples: &mut Vec<usize>,
    slopes: &mut Vec<f64>,
    matches: &mut Vec<(usize, usize)>,
) -> Option<f64> {
    let n = fg.len();
    if n / 2 < MIN_SPEED_BASELINE || bg.is_empty() || rate <= 0.0 {
        return None;
    }
    sample_indices_into(n, OFFSET_SAMPLES, samples);
    matches.clear();
    for &i in samples.iter() {
        let best = (0..bg.len()).map(|j| (frame_cost_of(fg, i, bg, j), j)).min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, j)) = best.filter(|b| b.0 < REACQUIRE_COST) {
            matches.push((i, j));
        }
    }
    if matches.len() < MIN_SPEED_MATCHES {
        return None;
    }
    slopes.clear();
    for (k, &(a, ja)) in matches.iter().enumerate() {
        for &(b, jb) in &matches[k + 1..] {
            if 4 * (b - a) >= n {
                slopes.push((jb as f64 - ja as f64) / (b - a) as f64);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    let slope = middle_mean(slopes);
    (slope > 0.0).then_some(slope / rate)
}

/// Fewest sampled fg frames matched in bg that `speed_of_best_matches` measures from.
const MIN_SPEED_MATCHES: usize = 8;

/// Fewest fg frames between the ends of a slope `path_speed` measures.
const MIN_SPEED_BASELINE: usize = 12;

/// The total cost of a path's frames (outside ones at `OUTSIDE_COST`).
fn path_cost(fg: &Track, bg: &Track, path: &[(i64, bool)]) -> f32 {
    let inside = |j: i64| j >= 0 && (j as usize) < bg.len();
    path.iter()
        .enumerate()
        .map(|(i, &(j, out))| if !out && inside(j) { frame_cost_of(fg, i, bg, j as usize) } else { OUTSIDE_COST })
        .sum()
}

/// Steps 2 and 3 for fg's frames at `relative` times (seconds from its first, at the speed
/// tried) and `rate` bg frames per fg frame: the offset, and the path into `ws.path`.
fn path_at_speed(
    fg: &Track,
    bg: &Track,
    settings: &Settings,
    rate: f64,
    relative: &[f64],
    ws: &mut AlignScratch,
    kern: &'static kernels::Kernels,
) -> Result<f64> {
    let bg_period = bg.period().or(fg.period()).unwrap_or(1.0 / 25.0);
    let clock = BgClock { seconds: &bg.seconds, period: bg_period };
    offset_candidates(fg, bg, relative, &clock, ws, kern)?;
    let (offset_seconds, _) = best_offset(fg, bg, relative, &clock, ws, kern);

    // --- 3. Banded monotone DP, twice: the first pass finds the path with a band that follows
    // its best state; the second re-runs the DP in a band centred on that path, which recovers
    // frames the first band could not see (its start, and the edges of jumps). ---
    ws.line.clear();
    ws.line.extend(relative.iter().map(|t| clock.nearest_index(t + offset_seconds)));
    let dp = BandedDp {
        fg,
        bg,
        line: &ws.line,
        half: settings.band as i64,
        max_step: ((2.0 * rate).ceil() as i64 + 1).min(126),
        penalty: settings.rate_penalty as f32,
        kern,
        local: None,
    };
    dp.run(None, &mut ws.dp, &mut ws.first);
    ws.position.clear();
    ws.position.extend(relative.iter().map(|t| clock.fractional_index(t + offset_seconds)));
    let m = bg.len();
    let frame_cost_at = |i: usize, j: i64| {
        if j >= 0 && (j as usize) < m { frame_cost_of(fg, i, bg, j as usize) } else { OUTSIDE_COST }
    };
    segments::local_line(&ws.first, &ws.position, frame_cost_at, settings.band as i64, &mut ws.segments, &mut ws.local);
    ws.centres.clear();
    ws.centres.extend(ws.local.iter().map(|&x| x.round() as i64));
    let second = BandedDp { local: Some(&ws.local), ..dp };
    second.run(Some(&ws.centres), &mut ws.dp, &mut ws.path);
    Ok(offset_seconds)
}

/// An fg frame that repeats the picture before it (a frame doubled by re-timing, a speed ramp's
/// slow part) shows the bg frame that one shows: where the rate line moved it on to the next bg
/// frame, it is moved back when its descriptors match that frame clearly better. On a static
/// shot neighbouring bg frames match alike, and nothing moves.
///
/// Measured on the clips' speed ramp (bg 100-129 at half speed): the frame left one on had a
/// repeat cost of 0.006, 0.041 against the held bg frame and 0.067 against the one it was put
/// on.
fn hold_repeated_pictures(fg: &Track, bg: &Track, time: &mut TimeMap) {
    for i in 1..time.map.len() {
        let (before, here) = (time.map[i - 1], time.map[i]);
        if here <= before || time.is_outside(i) || time.is_outside(i - 1) {
            continue;
        }
        let repeated = frame_cost_of(fg, i, fg, i - 1);
        let held = frame_cost_of(fg, i, bg, before as usize);
        if REPEAT_RATIO * repeated <= held && HELD_RATIO * held <= time.cost[i] {
            time.map[i] = before;
            time.cost[i] = held;
            time.confidence[i] = frame_confidence(held, chance_cost_of(fg, i, bg, before as usize));
        }
    }
}

/// How much closer an fg frame must be to the frame before it than to the held bg frame to be
/// a repeat (`hold_repeated_pictures`).
const REPEAT_RATIO: f32 = 4.0;
/// How much closer it must match the held bg frame than the one the rate line put it on.
const HELD_RATIO: f32 = 1.5;

/// --- 2. Global offset search over whole bg frames: the best `CANDIDATES` offsets, at least
/// three frames apart, into `ws.candidates`.
fn offset_candidates(
    fg: &Track,
    bg: &Track,
    relative: &[f64],
    clock: &BgClock<'_>,
    ws: &mut AlignScratch,
    kern: &kernels::Kernels,
) -> Result<()> {
    let (n, m) = (fg.len(), bg.len());
    ws.nominal.clear();
    ws.nominal.extend(relative.iter().map(|t| (t / clock.period).round() as i64));
    let o_min = -ws.nominal[n - 1];
    let o_max = m as i64 - 1;
    let offsets = (o_max - o_min + 1) as usize;
    ws.score.clear();
    ws.score.resize(offsets, 0.0);
    ws.inside.clear();
    ws.inside.resize(offsets, 0);
    ws.row.clear();
    ws.row.resize(m, 0);
    sample_indices_into(n, OFFSET_SAMPLES, &mut ws.samples);
    for &i in &ws.samples {
        (kern.hamming_row)(fg.hashes[i], &bg.hashes, &mut ws.row);
        let d = ws.nominal[i];
        // Offsets o with 0 <= o + d < m.
        let lo = o_min.max(-d);
        let hi = o_max.min(m as i64 - 1 - d);
        for o in lo..=hi {
            let slot = (o - o_min) as usize;
            ws.score[slot] += ws.row[(o + d) as usize] as f32 / 32.0;
            ws.inside[slot] += 1;
        }
    }
    let k = ws.samples.len() as f32;
    ws.totals.clear();
    ws.totals.extend(
        ws.score
            .iter()
            .zip(&ws.inside)
            .map(|(&s, &c)| if c == 0 { f32::INFINITY } else { (s + (k - c as f32) * OUTSIDE_SAMPLE_COST) / k }),
    );
    let totals = &ws.totals;
    ws.order.clear();
    ws.order.extend((0..offsets).filter(|&s| totals[s].is_finite()));
    // Ties in slot order (as a stable sort would leave them), without a stable sort's buffer.
    ws.order.sort_unstable_by(|&a, &b| totals[a].total_cmp(&totals[b]).then(a.cmp(&b)));
    ws.candidates.clear();
    for &slot in &ws.order {
        let o = slot as i64 + o_min;
        if ws.candidates.iter().all(|&c| (c - o).abs() > 2) {
            ws.candidates.push(o);
            if ws.candidates.len() == CANDIDATES {
                break;
            }
        }
    }
    if ws.candidates.is_empty() {
        return Err(Error::invalid("fg and bg do not overlap at any offset"));
    }
    Ok(())
}

/// The last few bg frames one fg frame's cost was computed against (most recent first), and
/// those costs.
#[derive(Debug, Clone, Copy, Default)]
struct PairCosts {
    seen: [(i64, f32); 4],
    len: usize,
}

impl PairCosts {
    fn get_or_insert(&mut self, j: i64, cost: impl FnOnce() -> f32) -> f32 {
        if let Some(&(_, c)) = self.seen[..self.len].iter().find(|&&(k, _)| k == j) {
            return c;
        }
        let c = cost();
        self.seen.copy_within(0..3, 1);
        self.seen[0] = (j, c);
        self.len = (self.len + 1).min(4);
        c
    }
}

/// The offset (seconds) among the candidates: each re-scored with the full cost at
/// tenth-of-a-frame steps, refined to a fraction of a frame, then centred on its plateau; and
/// the line's cost there (the sampled frames' capped costs, summed).
fn best_offset(
    fg: &Track,
    bg: &Track,
    relative: &[f64],
    clock: &BgClock<'_>,
    ws: &mut AlignScratch,
    kern: &kernels::Kernels,
) -> (f64, f32) {
    let m = bg.len();
    let bg_period = clock.period;
    sample_indices_into(fg.len(), RESCORE_SAMPLES, &mut ws.rescore);
    let AlignScratch { rescore, pair_costs, candidates, costs, residuals, .. } = ws;
    pair_costs.clear();
    pair_costs.resize(rescore.len(), PairCosts::default());
    // The line is moved by fractions of a frame, so each sampled frame meets the same two or
    // three bg frames over and over: their costs are remembered (the same sums; what remains
    // is finding each frame's nearest bg frame).
    let mut line_cost = |offset_seconds: f64| -> f32 {
        let mut total = 0.0;
        for (&i, memo) in rescore.iter().zip(pair_costs.iter_mut()) {
            let j = clock.nearest_index(relative[i] + offset_seconds);
            total += if j >= 0 && (j as usize) < m {
                memo.get_or_insert(j, || {
                    let ju = j as usize;
                    frame_cost(
                        (fg.hashes[i] ^ bg.hashes[ju]).count_ones(),
                        &fg.thumbs[i],
                        &bg.thumbs[ju],
                        kern.sad_thumb,
                    )
                    .min(OUTSIDE_COST)
                })
            } else {
                OUTSIDE_COST
            };
        }
        total
    };
    let mut best = (f32::INFINITY, 0.0f64);
    for &o in candidates.iter() {
        for tenth in -10..=10 {
            let t = clock.time_of(o) + tenth as f64 * 0.1 * bg_period;
            let c = line_cost(t);
            // Ties keep the earliest, which with `tenth` ascending is the first of a flat run;
            // prefer the centre of a flat run instead so rounding sits mid-interval.
            if c < best.0 - 1e-6 {
                best = (c, t);
            }
        }
    }
    let refined = refine_offset(fg, bg, relative, clock, best.1, rescore, kern.sad_thumb, residuals);
    // Then the line's own cost, which is piecewise constant in the offset (it changes only where
    // a sampled frame's nearest bg frame flips): the centre of the lowest plateau within a frame
    // of the estimate puts every frame as far from a flip as the data allows.
    const STEPS: i32 = 100;
    let step = bg_period / STEPS as f64;
    costs.clear();
    costs.extend((-STEPS..=STEPS).map(|k| {
        let t = refined + k as f64 * step;
        (t, line_cost(t))
    }));
    let min = costs.iter().map(|c| c.1).fold(f32::INFINITY, f32::min);
    let tolerance = 1e-5 * (1.0 + min.abs());
    let (mut run_start, mut best_run) = (None, (0usize, 0usize, usize::MAX));
    for (k, c) in costs.iter().enumerate() {
        if c.1 <= min + tolerance {
            let start = *run_start.get_or_insert(k);
            // Prefer the widest plateau; among equals, the one nearest the estimate.
            let width = k - start;
            let dist = (start + k).abs_diff(2 * STEPS as usize);
            if width > best_run.1 - best_run.0 || (width == best_run.1 - best_run.0 && dist < best_run.2) {
                best_run = (start, k, dist);
            }
        } else {
            run_start = None;
        }
    }
    (0.5 * (costs[best_run.0].0 + costs[best_run.1].0), min)
}

/// The time map from the DP's path: each frame's bg frame, cost, confidence, and the outside
/// frames, into `time`'s vectors.
fn fill_time_map(fg: &Track, bg: &Track, path: &[(i64, bool)], kern: &kernels::Kernels, time: &mut TimeMap) {
    let (n, m) = (fg.len(), bg.len());
    time.map.clear();
    time.map.resize(n, 0);
    time.outside.clear();
    time.cost.clear();
    time.cost.resize(n, 0.0);
    time.confidence.clear();
    time.confidence.resize(n, 0.0);
    for (i, &(j, out)) in path.iter().enumerate() {
        time.map[i] = j.clamp(0, m as i64 - 1) as u32;
        // A state beyond bg's frames cannot be a match (the DP gives such states no finite
        // cost); taken as outside should one ever be chosen.
        if out || j < 0 || j >= m as i64 {
            time.outside.push(i as u32);
            time.cost[i] = OUTSIDE_COST;
        } else {
            let ju = j as usize;
            let c =
                frame_cost((fg.hashes[i] ^ bg.hashes[ju]).count_ones(), &fg.thumbs[i], &bg.thumbs[ju], kern.sad_thumb);
            time.cost[i] = c;
            time.confidence[i] = frame_confidence(c, chance_cost_of(fg, i, bg, ju));
        }
    }
    keep_outside_between_matches(&mut time.map, &time.outside);
    let matched = n - time.outside.len();
    time.overall_confidence =
        if matched == 0 { 0.0 } else { time.confidence.iter().map(|&c| c as f64).sum::<f64>() / matched as f64 };
}

/// Outside frames hold a bg frame between the matches around them (the DP's own position for
/// them, kept within those bounds and never going back). The DP's position for an outside run
/// follows the line before it, which inserted footage can carry past where bg resumes; a map
/// that went back there would be refused by the compositor.
fn keep_outside_between_matches(map: &mut [u32], outside: &[u32]) {
    let is_outside = |i: usize| outside.binary_search(&(i as u32)).is_ok();
    let mut floor = 0u32;
    let mut i = 0;
    while i < map.len() {
        if !is_outside(i) {
            floor = map[i];
            i += 1;
            continue;
        }
        let end = (i..map.len()).find(|&k| !is_outside(k)).unwrap_or(map.len());
        let ceiling = map.get(end).copied().unwrap_or(u32::MAX);
        for j in &mut map[i..end] {
            *j = (*j).clamp(floor, ceiling.max(floor));
            floor = *j;
        }
        i = end;
    }
}

/// The banded monotone DP over (fg frame, bg frame) with an inside and an outside layer.
struct BandedDp<'a> {
    fg: &'a Track,
    bg: &'a Track,
    /// Expected bg frame of each fg frame (the rate line through the global offset).
    line: &'a [i64],
    half: i64,
    max_step: i64,
    penalty: f32,
    kern: &'static kernels::Kernels,
    /// The second pass's fractional local line: the first path's offset from the rate line,
    /// smoothed within each segment. A frame pays `penalty` per frame of distance beyond the
    /// half frame around it, so near a rounding tie the pictures decide, and far from it the
    /// line does; offset changes between frames are then nearly free.
    local: Option<&'a [f64]>,
}

impl BandedDp<'_> {
    /// The optimal path: for each fg frame, its bg frame (possibly outside bg's range in the
    /// outside layer) and whether it is outside. With `centres`, the band of frame i is
    /// centred on `centres[i]`; without, it follows the best state of the previous frame.
    fn run(&self, centres: Option<&[i64]>, scratch: &mut DpScratch, path: &mut Vec<(i64, bool)>) {
        let (fg, bg, line, kern) = (self.fg, self.bg, self.line, self.kern);
        let (n, m) = (fg.len(), bg.len());
        let half = self.half;
        let width = (2 * half + 1) as usize;
        let max_step = self.max_step;
        // With a local line the node cost holds the path; transitions only break ties.
        let penalty = if self.local.is_some() { 0.1 * self.penalty } else { self.penalty };
        const INF: f32 = f32::INFINITY;
        const FROM_OUTSIDE: u8 = 0x80;
        const RESTART: u8 = 0x7f;

        scratch.size(n, width, m);
        let DpScratch { band_lo, back, best_state, prev, cur, node, ham, row } = scratch;

        let mut deviation = 0i64;
        let mut last_inside = i64::MIN;
        for i in 0..n {
            let lo = match centres {
                Some(c) => c[i] - half,
                None => line[i] + deviation - half,
            };
            band_lo[i] = lo;
            node.fill(INF);
            let j0 = lo.max(0);
            let j1 = (lo + width as i64).min(m as i64);
            if j1 > j0 {
                let (a, b) = ((j0 - lo) as usize, (j1 - lo) as usize);
                (kern.hamming_row)(fg.hashes[i], &bg.hashes[j0 as usize..j1 as usize], &mut ham[a..b]);
                for s in a..b {
                    let j = lo + s as i64;
                    node[s] = frame_cost(ham[s], &fg.thumbs[i], &bg.thumbs[j as usize], kern.sad_thumb);
                    if let Some(local) = self.local {
                        node[s] += self.penalty * ((j as f64 - local[i]).abs() - 0.5).max(0.0) as f32;
                    }
                }
            }
            let backs = &mut back[i * 2 * width..(i + 1) * 2 * width];
            if i == 0 {
                for s in 0..width {
                    cur[s] = node[s];
                    cur[width + s] = OUTSIDE_COST;
                    backs[s] = RESTART;
                    backs[width + s] = RESTART;
                }
            } else {
                let plo = band_lo[i - 1];
                let pbest = prev[best_state[i - 1] as usize];
                let pbest_j = plo + (best_state[i - 1] as usize % width) as i64;
                for s in 0..width {
                    let j = lo + s as i64;
                    let dev_here = j - line[i];
                    let (mut best_in, mut back_in) = (INF, RESTART);
                    let (mut best_out, mut back_out) = (INF, RESTART);
                    for step in 0..=max_step {
                        let ps = j - step - plo;
                        if ps < 0 || ps >= width as i64 {
                            continue;
                        }
                        let ps = ps as usize;
                        let (p_in, p_out) = (prev[ps], prev[width + ps]);
                        let dev_prev = j - step - line[i - 1];
                        let in_in = p_in + penalty * (dev_here - dev_prev).abs() as f32;
                        let out_in = p_out + SWITCH_COST;
                        if in_in < best_in {
                            (best_in, back_in) = (in_in, step as u8);
                        }
                        if out_in < best_in {
                            (best_in, back_in) = (out_in, step as u8 | FROM_OUTSIDE);
                        }
                        let in_out = p_in + SWITCH_COST;
                        if p_out < best_out {
                            (best_out, back_out) = (p_out, step as u8 | FROM_OUTSIDE);
                        }
                        if in_out < best_out {
                            (best_out, back_out) = (in_out, step as u8);
                        }
                    }
                    // Unreachable from the previous band (a jump wider than the band): restart
                    // from the previous best state at a price, rather than lose the path.
                    // Only forward: the map never goes back in bg from its last match (an
                    // outside state's position holds no match: after a re-acquisition that
                    // found fg earlier in bg than the rate line put it, the band starts there).
                    let resume_from = if (best_state[i - 1] as usize) < width { pbest_j } else { last_inside };
                    let restart = if j >= resume_from { pbest + 2.0 * SWITCH_COST } else { INF };
                    if best_in > restart {
                        (best_in, back_in) = (restart, RESTART);
                    }
                    if best_out > restart {
                        (best_out, back_out) = (restart, RESTART);
                    }
                    cur[s] = best_in + node[s];
                    cur[width + s] = best_out + OUTSIDE_COST;
                    backs[s] = back_in;
                    backs[width + s] = back_out;
                }
            }
            let (slot, _) = cur.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).expect("band is not empty");
            best_state[i] = slot as u16;
            if slot < width {
                deviation = lo + slot as i64 - line[i];
                last_inside = lo + slot as i64;
            } else if centres.is_none() && i % REACQUIRE_EVERY == 0 {
                // Lost (inserted footage, or bg resumed far from the line): look for this frame
                // in all of bg after the last match and move the band there when it is clear.
                if let Some(j) = reacquire(fg, bg, i, last_inside.max(0) as usize, row, kern) {
                    deviation = j as i64 - line[i];
                }
            }
            std::mem::swap(prev, cur);
        }

        path.clear();
        path.resize(n, (0i64, false));
        let mut slot = best_state[n - 1] as usize;
        for i in (0..n).rev() {
            let j = band_lo[i] + (slot % width) as i64;
            path[i] = (j, slot >= width);
            if i == 0 {
                break;
            }
            let b = back[i * 2 * width + slot];
            slot = if b == RESTART {
                best_state[i - 1] as usize
            } else {
                let ps = (j - (b & 0x7f) as i64 - band_lo[i - 1]) as usize;
                if b & FROM_OUTSIDE != 0 { width + ps } else { ps }
            };
        }
    }
}

/// The DP's buffers, kept between runs.
#[derive(Debug, Default)]
struct DpScratch {
    band_lo: Vec<i64>,
    back: Vec<u8>,
    best_state: Vec<u16>,
    prev: Vec<f32>,
    cur: Vec<f32>,
    node: Vec<f32>,
    ham: Vec<u32>,
    row: Vec<u32>,
}

impl DpScratch {
    /// Sizes the buffers for `n` fg frames, a band `width` wide and `m` bg frames (contents
    /// reset as a fresh run expects).
    fn size(&mut self, n: usize, width: usize, m: usize) {
        fn reset<T: Clone>(v: &mut Vec<T>, len: usize, value: T) {
            v.clear();
            v.resize(len, value);
        }
        reset(&mut self.band_lo, n, 0);
        reset(&mut self.back, n * 2 * width, 0);
        reset(&mut self.best_state, n, 0);
        reset(&mut self.prev, 2 * width, f32::INFINITY);
        reset(&mut self.cur, 2 * width, f32::INFINITY);
        reset(&mut self.node, width, f32::INFINITY);
        reset(&mut self.ham, width, 0);
        reset(&mut self.row, m, 0);
    }
}

/// Best match of fg frame `i` in bg frames `from..`, if its cost is clearly a match.
fn reacquire(fg: &Track, bg: &Track, i: usize, from: usize, row: &mut [u32], kern: &kernels::Kernels) -> Option<usize> {
    let m = bg.len();
    if from >= m {
        return None;
    }
    let row = &mut row[..m - from];
    (kern.hamming_row)(fg.hashes[i], &bg.hashes[from..], row);
    let min_hamming = *row.iter().min()?;
    let mut best: Option<(f32, usize)> = None;
    for (k, &h) in row.iter().enumerate() {
        if h <= min_hamming + 4 {
            let c = frame_cost(h, &fg.thumbs[i], &bg.thumbs[from + k], kern.sad_thumb);
            if best.is_none_or(|(bc, _)| c < bc) {
                best = Some((c, from + k));
            }
        }
    }
    best.filter(|&(c, _)| c < REACQUIRE_COST).map(|(_, j)| j)
}

/// Refines the offset (seconds) to a fraction of a frame.
///
/// Each sampled fg frame with a clear best bg frame `j` gets a sub-frame position from the
/// costs at `j - 1, j, j + 1`: near its true position `x₀` a frame's cost grows linearly,
/// `c(x) = floor + a·|x − x₀|`, so `x₀ = j + (c(j−1) − c(j+1)) / (2a)` with
/// `a = max(c(j−1), c(j+1)) − c(j)`. The residuals `x₀ − expected position` are then centred by
/// the midpoint of their 5th and 95th percentiles, not their median: when fg was re-timed by
/// repeating source frames, each residual is a rounding error in (−½, ½], and the midrange puts
/// every frame as far from a rounding flip as the data allows; with continuous motion the
/// residuals share one value and any centre finds it.
#[allow(clippy::too_many_arguments)]
fn refine_offset(
    fg: &Track,
    bg: &Track,
    relative: &[f64],
    clock: &BgClock<'_>,
    start: f64,
    samples: &[usize],
    sad: fn(&Thumb, &Thumb) -> u32,
    residuals: &mut Vec<f64>,
) -> f64 {
    let m = bg.len() as i64;
    let cost = |i: usize, j: i64| {
        let ju = j as usize;
        frame_cost((fg.hashes[i] ^ bg.hashes[ju]).count_ones(), &fg.thumbs[i], &bg.thumbs[ju], sad)
    };
    let mut offset = start;
    for _ in 0..3 {
        residuals.clear();
        for &i in samples {
            let t = relative[i] + offset;
            let near = clock.nearest_index(t);
            // The best of the three frames around the expected one.
            let Some(j) = (near - 1..=near + 1)
                .filter(|&j| j >= 1 && j < m - 1)
                .min_by(|&a, &b| cost(i, a).total_cmp(&cost(i, b)))
            else {
                continue;
            };
            let (cm, c0, cp) = (cost(i, j - 1), cost(i, j), cost(i, j + 1));
            let a = cm.max(cp) - c0;
            if c0 > cm || c0 > cp || a < 0.03 || c0 > 0.5 * OUTSIDE_COST {
                continue;
            }
            let x0 = j as f64 + ((cm - cp) / (2.0 * a)).clamp(-0.5, 0.5) as f64;
            let expected = near as f64 + (t - clock.time_of(near)) / clock.period;
            residuals.push(x0 - expected);
        }
        if residuals.len() < 3 {
            break;
        }
        residuals.sort_unstable_by(f64::total_cmp);
        let at = |q: f64| residuals[((residuals.len() - 1) as f64 * q).round() as usize];
        let shift = 0.5 * (at(0.05) + at(0.95));
        offset += shift * clock.period;
        if shift.abs() < 0.01 {
            break;
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::THUMB_BYTES;

    /// The clock's walk from the period's guess answers what a bisection does, on a steady
    /// clock, a jittered one, one whose rate changes (the guess far off: bisection), one with
    /// repeated times and one whose given period is wrong, at frame times and between them.
    #[test]
    fn first_at_or_after_is_the_bisections_answer() {
        let steady: Vec<f64> = (0..200).map(|j| 10.0 + j as f64 / 24.0).collect();
        let jittered: Vec<f64> = (0..200).map(|j| j as f64 / 25.0 + if j % 3 == 0 { 0.013 } else { -0.004 }).collect();
        let ramp: Vec<f64> =
            (0..200).map(|j| if j < 100 { j as f64 / 30.0 } else { 100.0 / 30.0 + (j - 100) as f64 / 10.0 }).collect();
        let repeated: Vec<f64> = (0..200).map(|j| (j / 2) as f64 / 24.0).collect();
        let clocks =
            [(&steady, 1.0 / 24.0), (&jittered, 1.0 / 25.0), (&ramp, 0.066), (&repeated, 1.0 / 48.0), (&steady, 0.5)];
        let mut asked = 0;
        for (seconds, period) in clocks {
            let clock = BgClock { seconds, period };
            let (first, last) = (seconds[0], seconds[seconds.len() - 1]);
            for k in 1..4000 {
                let t = first + (last - first) * k as f64 / 4000.0;
                for t in [t, seconds[k % seconds.len()]] {
                    if t > first && t < last {
                        assert_eq!(clock.first_at_or_after(t), seconds.partition_point(|&x| x < t), "t {t}");
                        asked += 1;
                    }
                }
            }
        }
        assert!(asked > 30_000);
    }

    /// A thumb of pseudo-random values from `seed`, plus `noise` on every value.
    fn thumb(seed: u32, noise: i8) -> Thumb {
        let mut t = [0i8; THUMB_BYTES];
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        for (k, v) in t.iter_mut().enumerate() {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *v = ((s >> 16) as i8 / 2).saturating_add(if k % 2 == 0 { noise } else { -noise });
        }
        t
    }

    fn track(thumbs: Vec<Thumb>) -> Track {
        let n = thumbs.len();
        Track { hashes: vec![0; n], thumbs, seconds: (0..n).map(|k| k as f64 / 25.0).collect() }
    }

    /// `map` with every frame matched, costs and confidences as `fill_time_map` would set.
    fn matched(fg: &Track, bg: &Track, map: Vec<u32>) -> TimeMap {
        let cost: Vec<f32> = map.iter().enumerate().map(|(i, &j)| frame_cost_of(fg, i, bg, j as usize)).collect();
        let n = map.len();
        TimeMap { map, outside: Vec::new(), cost, confidence: vec![1.0; n], ..Default::default() }
    }

    #[test]
    fn a_repeated_fg_picture_put_on_the_next_bg_frame_is_held() {
        // bg frames 0..4 differ; fg (graded: 4 off) shows 0, 1, 1 again (re-encoded: 1 more), 2.
        let bg = track((0..4).map(|j| thumb(j, 0)).collect());
        let fg = track(vec![thumb(0, 4), thumb(1, 4), thumb(1, 5), thumb(2, 4)]);
        let mut time = matched(&fg, &bg, vec![0, 1, 2, 2]);
        hold_repeated_pictures(&fg, &bg, &mut time);
        assert_eq!(time.map, vec![0, 1, 1, 2]);
    }

    #[test]
    fn a_static_shot_is_not_held_back() {
        // bg frames alike but for noise (a static shot); fg repeats its pictures too.
        let bg = track((0..4).map(|j| thumb(7, j as i8)).collect());
        let fg = track((0..4).map(|i| thumb(7, i as i8 + 1)).collect());
        let mut time = matched(&fg, &bg, vec![0, 1, 2, 3]);
        hold_repeated_pictures(&fg, &bg, &mut time);
        assert_eq!(time.map, vec![0, 1, 2, 3]);
    }
}
