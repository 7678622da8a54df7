//! The line the second DP pass follows: the first path cut into segments, each segment's
//! offset re-chosen, and each cut moved to where the pictures put it.
//!
//! An edited fg (jump cuts, inserted footage) maps onto bg in segments, runs of frames on one
//! line with their own offset. The first pass finds them, but near a cut it keeps the old line
//! for a few frames (leaving it costs a restart), and on a near-static shot it can settle a few
//! frames off (neighbouring frames look alike to the descriptors one by one, and the rate
//! penalty holds the path where it landed). Over a whole segment the small differences add up,
//! so each segment's offset is re-chosen as the whole-frame shift with the lowest total cost;
//! then each cut is moved to the frame where the two lines' summed costs are lowest, with an
//! outside run between them where that costs less.
//!
//! # Design notes (measured)
//!
//! **Segments for edited fg** (`src/temporal/segments.rs`). The design's DP takes a cut as a
//! restart; on real cuts the first path kept the old line for up to 14 frames and settled on a
//! near-static shot 6 frames off, because each descriptor alone barely tells neighbouring frames
//! apart. The local line is now built per segment of the first path: each segment's offset is
//! re-chosen as the whole-frame shift with the lowest summed cost, put onto whole bg frames when it
//! steps by whole frames (an edited fg has no single sub-frame phase, and a line midway between
//! frames rounds either way), and each cut is moved to where the two lines' summed costs are
//! lowest, with an outside run between them where that costs less. Outside frames hold a bg frame
//! between the matches around them, so the map never goes back. Five shots cut from the clips: 180
//! of 180 exact (123 before). Within a segment the offset is the mean of the first path's over ±15
//! frames, except where it bends (a speed ramp: fg at half speed shifts it half a frame per frame),
//! where the mean lags the knee by up to two frames: where mean and median differ by more than 0.75
//! frame the median, exact on any monotone run, is taken (a ramp to half speed and back: 154 of 180
//! exact through `--path two-pass`, now 179, the last a tie of ffmpeg's frame doubling;
//! `tests/temporal.rs` holds a synthetic ramp to every frame).

use super::OUTSIDE_COST;

/// Half-width, in fg frames, of the window over which the first path's offset is smoothed.
const LOCAL_WINDOW: usize = 15;
/// Shortest segment whose offset is re-chosen on its own evidence (a shorter one can only
/// grow, shrink or vanish at its cuts).
const MIN_SHIFTED: usize = 8;
/// Frames of a segment sampled for its shift, at most.
const SHIFT_SAMPLES: usize = 256;
/// Where a window's mean and median differ by more than this (bg frames), the offset bends
/// inside the window (a speed ramp's knee) and the median, exact on any monotone run, is taken.
const KNEE_FRAMES: f64 = 0.75;
/// A new shift or cut must lower the summed cost by this much: ties keep the first path.
const MARGIN: f32 = 1e-3;

/// Frames `start..end`, matched on one line.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start: usize,
    end: usize,
}

/// For each fg frame, the fractional bg position the second pass centres on: the rate-line
/// `position` plus its segment's offset (outside frames take the previous segment's).
/// `cost(i, j)`: fg frame i against bg frame j (the outside cost beyond bg); `reach`: how far,
/// in bg frames, a segment's offset may move.
/// The result goes into `local`; `scratch` keeps the buffers between calls.
pub(super) fn local_line(
    first: &[(i64, bool)],
    position: &[f64],
    cost: impl Fn(usize, i64) -> f32,
    reach: i64,
    scratch: &mut Scratch,
    local: &mut Vec<f64>,
) {
    split(first, position, scratch);
    let Scratch { segments, offset, samples, line, residuals, costs, .. } = scratch;
    for segment in segments.iter() {
        shift_to_best(*segment, offset, position, &cost, reach, samples, line, residuals);
    }
    move_cuts(segments, offset, position, &cost, 2 * reach.max(1) as usize, costs);
    fill_outside(segments, offset);
    local.clear();
    local.extend(position.iter().zip(offset.iter()).map(|(p, d)| p + d));
}

/// Buffers kept between calls of [`local_line`].
#[derive(Debug, Default)]
pub(super) struct Scratch {
    segments: Vec<Segment>,
    raw: Vec<f64>,
    offset: Vec<f64>,
    window: Vec<f64>,
    samples: Vec<usize>,
    line: Vec<f64>,
    residuals: Vec<f64>,
    costs: CutCosts,
}

/// A cut window's costs on either line, and their prefix sums.
#[derive(Debug, Default)]
struct CutCosts {
    before: Vec<Option<f32>>,
    after: Vec<Option<f32>>,
    prefix_before: Vec<f32>,
    prefix_after: Vec<f32>,
}

/// The first path's segments (they end where its offset jumps by more than 1.5 frames or it
/// leaves bg) and each matched frame's offset, the mean within ±`LOCAL_WINDOW` frames of its
/// segment: a slight rate error drifts smoothly, and a path that alternates between the two
/// bg frames around a line midway between them gives that line (a median would step from one
/// to the other inside the segment). Where the offset bends (a speed ramp: fg at half speed
/// shifts it half a frame per frame), the mean lags the bend by up to a quarter of the window's
/// change, two frames; the median of a monotone run is its centre exactly, so where the two
/// differ by more than `KNEE_FRAMES` the median is taken.
fn split(first: &[(i64, bool)], position: &[f64], scratch: &mut Scratch) {
    let n = first.len();
    let Scratch { segments, raw, offset, window, .. } = scratch;
    segments.clear();
    raw.clear();
    raw.resize(n, 0.0);
    let mut previous: Option<f64> = None;
    for i in 0..n {
        let (j, out) = first[i];
        if out {
            previous = None;
            continue;
        }
        let d = j as f64 - position[i];
        match segments.last_mut() {
            Some(s) if previous.is_some_and(|p| (d - p).abs() <= 1.5) => s.end = i + 1,
            _ => segments.push(Segment { start: i, end: i + 1 }),
        }
        previous = Some(d);
        raw[i] = d;
    }
    offset.clear();
    offset.resize(n, 0.0);
    for s in segments.iter() {
        for (i, o) in offset.iter_mut().enumerate().take(s.end).skip(s.start) {
            let (a, b) = (i.saturating_sub(LOCAL_WINDOW).max(s.start), (i + LOCAL_WINDOW + 1).min(s.end));
            let mean = raw[a..b].iter().sum::<f64>() / (b - a) as f64;
            window.clear();
            window.extend_from_slice(&raw[a..b]);
            let middle = window.len() / 2;
            let median = *window.select_nth_unstable_by(middle, f64::total_cmp).1;
            *o = if (mean - median).abs() > KNEE_FRAMES { median } else { mean };
        }
    }
}

/// Moves a segment's offsets by the whole-frame shift within ±`reach` bg frames whose summed
/// cost is lowest (ties keep the smallest), then onto whole bg frames when it steps by whole
/// frames (`whole_frame_phase`), else by the sub-frame shift its own frames give
/// (`sub_frame_shift`).
#[allow(clippy::too_many_arguments)]
fn shift_to_best(
    s: Segment,
    offset: &mut [f64],
    position: &[f64],
    cost: &impl Fn(usize, i64) -> f32,
    reach: i64,
    frames: &mut Vec<usize>,
    line: &mut Vec<f64>,
    residuals: &mut Vec<f64>,
) {
    if s.end - s.start < MIN_SHIFTED {
        return;
    }
    let step = (s.end - s.start).div_ceil(SHIFT_SAMPLES);
    let margin = MARGIN * ((s.end - s.start) / step) as f32;
    let total = |shift: i64| -> f32 {
        (s.start..s.end).step_by(step).map(|i| cost(i, (position[i] + offset[i]).round() as i64 + shift)).sum()
    };
    let mut best = (total(0), 0i64);
    for distance in 1..=reach {
        for shift in [-distance, distance] {
            let c = total(shift);
            if c < best.0 - margin {
                best = (c, shift);
            }
        }
    }
    offset[s.start..s.end].iter_mut().for_each(|d| *d += best.1 as f64);
    line.clear();
    line.extend((s.start..s.end).step_by(step).map(|i| position[i] + offset[i]));
    if let Some(phase) = whole_frame_phase(line) {
        for i in s.start..s.end {
            offset[i] = (position[i] + offset[i] - phase).round() - position[i];
        }
        return;
    }
    frames.clear();
    frames.extend((s.start..s.end).step_by(step));
    let shift = sub_frame_shift(frames, line, cost, residuals);
    offset[s.start..s.end].iter_mut().for_each(|d| *d += shift);
}

/// For a line that steps by whole bg frames (fg at bg's rate, or at a whole fraction of it),
/// its sub-frame phase: each frame then goes onto the whole bg frame nearest its line minus
/// the phase. Such an fg's frames are bg's own pictures (a copy re-graded, cropped, cut), so
/// each sits on a bg frame; on a near-static shot the costs around it are too flat to say
/// where (`sub_frame_shift` finds nothing there), and a line left midway between frames would
/// round either way. `None` when the line's sub-frame parts spread over more than a quarter
/// of a frame around their mean (another rate relation).
fn whole_frame_phase(line: &[f64]) -> Option<f64> {
    let part = |x: &f64| x - x.round();
    let (mut sin, mut cos) = (0.0, 0.0);
    for x in line {
        let angle = std::f64::consts::TAU * part(x);
        sin += angle.sin();
        cos += angle.cos();
    }
    // The circular mean, so that parts near +0.5 and -0.5 count as one phase.
    let phase = sin.atan2(cos) / std::f64::consts::TAU;
    let spread = line.iter().map(|x| ((part(x) - phase + 0.5).rem_euclid(1.0) - 0.5).abs()).fold(0.0, f64::max);
    (!line.is_empty() && spread <= 0.25).then_some(phase)
}

/// The sub-frame shift that puts a segment's line (`line[k]`, the bg position of fg frame
/// `frames[k]`) as far from rounding flips as its frames allow, as the global offset is
/// refined: each frame with a clear best bg frame j gets its own position from the costs at
/// j - 1, j, j + 1, and the line moves by the midrange of the 5th and 95th percentiles of
/// their differences from it. After a cut this matters: the global offset has no single phase
/// for an edited fg, and a line midway between two bg frames leaves every frame a near-tie.
fn sub_frame_shift(frames: &[usize], line: &[f64], cost: &impl Fn(usize, i64) -> f32, residuals: &mut Vec<f64>) -> f64 {
    residuals.clear();
    residuals.extend(frames.iter().zip(line).filter_map(|(&i, &x)| {
        let j = x.round() as i64;
        let (cm, c0, cp) = (cost(i, j - 1), cost(i, j), cost(i, j + 1));
        let a = cm.max(cp) - c0;
        if c0 > cm || c0 > cp || a < 0.03 || c0 > 0.5 * OUTSIDE_COST {
            return None;
        }
        Some(j as f64 + ((cm - cp) / (2.0 * a)).clamp(-0.5, 0.5) as f64 - x)
    }));
    if residuals.len() < 3 {
        return 0.0;
    }
    residuals.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| residuals[((residuals.len() - 1) as f64 * q).round() as usize];
    0.5 * (at(0.05) + at(0.95))
}

/// Moves every cut (between consecutive segments, and before the first and after the last)
/// to where the summed costs are lowest within `window` frames of it. A segment the cuts
/// leave empty is dropped, and the cut before it is moved again.
fn move_cuts(
    segments: &mut Vec<Segment>,
    offset: &mut [f64],
    position: &[f64],
    cost: &impl Fn(usize, i64) -> f32,
    window: usize,
    costs: &mut CutCosts,
) {
    if segments.is_empty() {
        return;
    }
    let n = offset.len();
    // Cut k lies before segment k (k = segments.len(): after the last).
    let mut k = 0;
    while k <= segments.len() {
        let before = k.checked_sub(1).map(|a| segments[a]);
        let after = segments.get(k).copied();
        let lo = before
            .map_or(after.map_or(0, |b| b.start.saturating_sub(window)), |a| a.start.max(a.end.saturating_sub(window)));
        let hi = after.map_or(before.map_or(n, |a| (a.end + window).min(n)), |b| b.end.min(b.start + window));
        let line =
            |s: Option<Segment>, at_end: bool| s.map(|s| if at_end { offset[s.end - 1] } else { offset[s.start] });
        let (a_offset, b_offset) = (line(before, true), line(after, false));
        let on = |d: Option<f64>, i: usize| d.map(|d| cost(i, (position[i] + d).round() as i64));
        costs.before.clear();
        costs.before.extend((lo..hi).map(|i| on(a_offset, i)));
        costs.after.clear();
        costs.after.extend((lo..hi).map(|i| on(b_offset, i)));
        let current = (before.map_or(lo, |a| a.end), after.map_or(hi, |b| b.start));
        let (k1, k2) = best_cut(costs, (current.0 - lo, current.1 - lo));
        let (k1, k2) = (lo + k1, lo + k2);
        if let (Some(a), Some(d)) = (before, a_offset) {
            offset[a.end..k1.max(a.end)].iter_mut().for_each(|o| *o = d);
            segments[k - 1].end = k1;
        }
        if let (Some(b), Some(d)) = (after, b_offset) {
            offset[k2.min(b.start)..b.start].iter_mut().for_each(|o| *o = d);
            segments[k].start = k2;
        }
        if let Some(empty) = [k.checked_sub(1), Some(k)]
            .into_iter()
            .flatten()
            .find(|&s| s < segments.len() && segments[s].start >= segments[s].end)
        {
            segments.remove(empty);
            // The cut that now lies where the empty segment was.
            k = empty;
            continue;
        }
        k += 1;
    }
}

/// The cut points `k1 <= k2` over a window of frames labelled A before `k1`, outside between,
/// B from `k2`, with the lowest summed cost (`None`: that side has no segment, so its label
/// cannot be used). `current` is kept unless another labelling is cheaper by `MARGIN` a frame.
fn best_cut(costs: &mut CutCosts, current: (usize, usize)) -> (usize, usize) {
    let CutCosts { before: ca, after: cb, prefix_before: pa, prefix_after: pb } = costs;
    let len = ca.len();
    let prefix = |c: &[Option<f32>], p: &mut Vec<f32>| {
        p.clear();
        p.push(0.0);
        for i in 0..len {
            p.push(p[i] + c[i].unwrap_or(0.0));
        }
    };
    prefix(ca, pa);
    prefix(cb, pb);
    let total = |k1: usize, k2: usize| pa[k1] + OUTSIDE_COST * (k2 - k1) as f32 + (pb[len] - pb[k2]);
    // Each side's costs are all present or all absent.
    let (has_a, has_b) = (ca.first().is_some_and(Option::is_some), cb.first().is_some_and(Option::is_some));
    let mut best = (total(current.0, current.1), current);
    for k1 in if has_a { 0..=len } else { 0..=0 } {
        for k2 in if has_b { k1..=len } else { len..=len } {
            let c = total(k1, k2);
            if c < best.0 - MARGIN * len as f32 {
                best = (c, (k1, k2));
            }
        }
    }
    best.1
}

/// Outside frames take the offset of the segment before them (before the first segment, its
/// offset).
fn fill_outside(segments: &[Segment], offset: &mut [f64]) {
    let Some(first) = segments.first() else { return };
    let lead = offset[first.start];
    offset[..first.start].iter_mut().for_each(|d| *d = lead);
    for (k, s) in segments.iter().enumerate() {
        let next = segments.get(k + 1).map_or(offset.len(), |t| t.start);
        let tail = offset[s.end - 1];
        offset[s.end..next].iter_mut().for_each(|d| *d = tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(first: &[(i64, bool)], position: &[f64], cost: impl Fn(usize, i64) -> f32, reach: i64) -> Vec<f64> {
        let mut local = Vec::new();
        local_line(first, position, cost, reach, &mut Scratch::default(), &mut local);
        local
    }

    /// A pair with a cut: fg 0..20 is bg 100.., fg 20..40 is bg 150..; costs 0.05 on the true
    /// frame, 0.3 elsewhere.
    fn cut_cost(i: usize, j: i64) -> f32 {
        let truth = if i < 20 { 100 + i as i64 } else { 130 + i as i64 };
        if j == truth { 0.05 } else { 0.3 }
    }

    #[test]
    fn a_late_cut_is_moved_to_the_frame_the_pictures_put_it() {
        // The first path kept the old line for 4 frames after the cut.
        let first: Vec<(i64, bool)> = (0..40).map(|i| (if i < 24 { 100 + i } else { 130 + i }, false)).collect();
        let position: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let local = line_of(&first, &position, cut_cost, 24);
        let got: Vec<i64> = local.iter().map(|x| x.round() as i64).collect();
        let truth: Vec<i64> = (0..40).map(|i| if i < 20 { 100 + i } else { 130 + i }).collect();
        assert_eq!(got, truth);
    }

    #[test]
    fn a_segment_settled_off_its_line_is_shifted_back() {
        // The second segment landed 5 frames early; a stray 2-frame segment sits between.
        let first: Vec<(i64, bool)> = (0..40)
            .map(|i| match i {
                0..20 => (100 + i, false),
                20..22 => (140 + i, false),
                _ => (125 + i, false),
            })
            .collect();
        let position: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let local = line_of(&first, &position, cut_cost, 24);
        let got: Vec<i64> = local.iter().map(|x| x.round() as i64).collect();
        let truth: Vec<i64> = (0..40).map(|i| if i < 20 { 100 + i } else { 130 + i }).collect();
        assert_eq!(got, truth);
    }

    #[test]
    fn frames_no_line_fits_become_an_outside_run() {
        // fg 0..10 on bg 100.., 10..20 inserted (every cost high), 20..30 on bg 110..; the
        // first path put the whole run on the first line.
        let cost = |i: usize, j: i64| -> f32 {
            match i {
                0..10 if j == 100 + i as i64 => 0.05,
                20.. if j == 90 + i as i64 => 0.05,
                _ => 0.6,
            }
        };
        let first: Vec<(i64, bool)> = (0..30).map(|i| (if i < 20 { 100 + i } else { 90 + i }, false)).collect();
        let position: Vec<f64> = (0..30).map(|i| i as f64).collect();
        let local = line_of(&first, &position, cost, 24);
        let got: Vec<i64> = local.iter().map(|x| x.round() as i64).collect();
        assert_eq!(&got[..10], &(100..110).collect::<Vec<_>>()[..]);
        assert_eq!(&got[20..], &(110..120).collect::<Vec<_>>()[..]);
    }
}
