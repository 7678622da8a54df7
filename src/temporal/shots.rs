//! Runs of fg frames the monotone map leaves outside bg, looked for again on their own.
//!
//! The banded DP keeps the map monotone. An edit that goes back in bg (a shot of earlier
//! footage after a later one) therefore comes out as a run of outside frames, and so can a jump
//! forward too far for the DP to re-acquire. Each run of at least `MIN_RUN` frames is aligned
//! again, alone, against all of bg. When most of the run clearly matches there, the run takes
//! that match: between the matches around the run the map stays monotone; elsewhere (back
//! before frames already used, or past those after it) the map jumps, as the edit did. Such a
//! map is made of legs, each monotone ([`crate::alignment::Alignment::legs`]); a compositor
//! fed forward asks for bg to be sought back at the start of a leg that goes back.
//!
//! Before that, a run is tried as a freeze frame: an editor holding the picture of the bg frame
//! just before the run (or just after it) leaves a run the DP, which moves along bg, cannot
//! follow; aligned alone, its identical frames would drift along bg's neighbouring frames.
//!
//! Footage bg lacks (inserted, flipped, from another programme) matches nowhere and stays
//! outside, as before.
//!
//! # Design notes (measured)
//!
//! **Shots in another order** (`src/temporal/shots.rs`): see the accuracy table's note; a run of 12
//! or more outside frames is searched alone in all of bg and placed where it clearly matches, back
//! or forward; the map is then made of legs, and pass 2 seeks bg back at a leg that goes back
//! (`Compositor::bg_rewind`).

use super::{TimeMap, Track, align_into, chance_cost_of, frame_confidence, frame_cost_of};
use crate::settings::Settings;

/// Shortest run of outside frames looked for again (0.5 s at 24 fps): a shorter one is a
/// transition or a few damaged frames.
pub const MIN_RUN: usize = 12;
/// Runs looked for again at most, longest first (each costs an offset search over all of bg).
const MAX_RUNS: usize = 16;
/// Share of a run that must match for the run to be placed (or refused).
const MATCHED_SHARE: f64 = 0.8;
/// Median confidence its matched frames must reach: true shots have medians of 0.89 and
/// above (the calibration in `frame_confidence`); a lookalike in another shot stays below.
const CLEAR_CONFIDENCE: f32 = 0.85;

/// Looks for each long outside run of `time` alone in bg and places it where it clearly
/// matches (see the module's docs).
pub fn follow_outside_runs(fg: &Track, bg: &Track, settings: &Settings, time: &mut TimeMap) {
    let mut runs = outside_runs(time);
    runs.sort_by_key(|&(a, b)| std::cmp::Reverse(b - a));
    runs.truncate(MAX_RUNS);
    let mut changed = recheck_reentries(fg, bg, settings, &runs, time);
    for (a, b) in runs {
        if hold_frame(fg, bg, a, b, time) {
            changed = true;
            continue;
        }
        let Some(run_time) = align_run(fg, bg, settings, a, b) else { continue };
        let (floor, ceiling) = bounds_around(time, a, b, bg.len());
        let matched: Vec<usize> = (0..b - a).filter(|&k| !run_time.is_outside(k)).collect();
        let within = matched.iter().all(|&k| (floor..=ceiling).contains(&run_time.map[k]));
        // Between its neighbours' matches only the matched frames move; a run that goes back
        // or jumps ahead takes its own map whole, so its outside frames keep a background
        // from its own part of bg and the compositor does not jump back and forth.
        for k in 0..b - a {
            let i = a + k;
            if !run_time.is_outside(k) {
                time.map[i] = run_time.map[k];
                time.cost[i] = run_time.cost[k];
                time.confidence[i] = run_time.confidence[k];
            } else if !within {
                time.map[i] = run_time.map[k];
            }
        }
        time.outside.retain(|&i| (i as usize) < a || (i as usize) >= b || run_time.is_outside(i as usize - a));
        changed = true;
    }
    if changed {
        let matched = time.map.len() - time.outside.len();
        time.overall_confidence = time.confidence.iter().map(|&c| c as f64).sum::<f64>() / matched.max(1) as f64;
    }
}

/// Aligns alone the matched stretch the DP re-entered bg with after each outside run, and
/// takes that map where it matches clearly closer. The DP's band follows a line drawn from
/// the matches around, so a shot that jumps back after footage bg lacks (or after a shot
/// matched elsewhere) may be clipped to the band's edge onto a lookalike of the same scene.
/// Measured on the clips (bg 150-189, 40-79, then 150-179 again): the third shot was put 12
/// frames early, its confidence rising from 0.51 to 0.99; aligned alone it is exact. Whether
/// anything changed.
fn recheck_reentries(fg: &Track, bg: &Track, settings: &Settings, runs: &[(usize, usize)], time: &mut TimeMap) -> bool {
    let mut changed = false;
    for &(_, b) in runs {
        let end = stretch_end(time, b);
        if end - b < MIN_RUN || (b == 0 && end == time.map.len()) {
            continue;
        }
        let Some(alone) = align_run(fg, bg, settings, b, end) else { continue };
        let matched: Vec<usize> = (0..end - b).filter(|&k| !alone.is_outside(k)).collect();
        let mean =
            |cost: &dyn Fn(usize) -> f32| matched.iter().map(|&k| cost(k) as f64).sum::<f64>() / matched.len() as f64;
        let (now, alone_cost) = (mean(&|k| time.cost[b + k]), mean(&|k| alone.cost[k]));
        if alone_cost * CLEARLY_CLOSER >= now {
            continue;
        }
        for &k in &matched {
            time.map[b + k] = alone.map[k];
            time.cost[b + k] = alone.cost[k];
            time.confidence[b + k] = alone.confidence[k];
        }
        changed = true;
    }
    changed
}

/// How much closer (mean descriptor cost) a stretch aligned alone must match to replace the
/// DP's map of it.
const CLEARLY_CLOSER: f64 = 1.5;

/// The end of the stretch of matched frames from `from` that follows bg without a jump: up to
/// the next outside frame or the next step back or beyond a few frames forward.
fn stretch_end(time: &TimeMap, from: usize) -> usize {
    let mut i = from + 1;
    while i < time.map.len() && !time.is_outside(i) {
        let (before, here) = (time.map[i - 1], time.map[i]);
        if here < before || here > before + STRETCH_STEP {
            break;
        }
        i += 1;
    }
    i.min(time.map.len())
}

/// Largest step forward in bg between neighbouring fg frames of one stretch (a 1:4 re-timing).
const STRETCH_STEP: u32 = 4;

/// Runs `a..b` of consecutive outside frames, at least `MIN_RUN` long.
pub fn outside_runs(time: &TimeMap) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for &i in &time.outside {
        let i = i as usize;
        start = match start {
            Some((a, last)) if last + 1 == i => Some((a, i)),
            Some((a, last)) => {
                runs.push((a, last + 1));
                Some((i, i))
            }
            None => Some((i, i)),
        };
    }
    runs.extend(start.map(|(a, last)| (a, last + 1)));
    runs.retain(|&(a, b)| b - a >= MIN_RUN);
    runs
}

/// Maps the outside run `a..b` onto one bg frame when it is a freeze of the bg frame matched
/// just before it or just after it: most of its frames clearly match that frame. Whether it
/// did.
fn hold_frame(fg: &Track, bg: &Track, a: usize, b: usize, time: &mut TimeMap) -> bool {
    let before = (0..a).rev().find(|&i| !time.is_outside(i)).map(|i| time.map[i] as usize);
    let after = (b..time.map.len()).find(|&i| !time.is_outside(i)).map(|i| time.map[i] as usize);
    let held = |j: usize| -> Option<(f32, Vec<(f32, f32)>)> {
        let scored: Vec<(f32, f32)> = (a..b)
            .map(|i| {
                let cost = frame_cost_of(fg, i, bg, j);
                (cost, frame_confidence(cost, chance_cost_of(fg, i, bg, j)))
            })
            .collect();
        let mut confidences: Vec<f32> = scored.iter().map(|s| s.1).collect();
        confidences.sort_by(f32::total_cmp);
        let clear = confidences.iter().filter(|&&c| c >= CLEAR_CONFIDENCE).count();
        let median = confidences[confidences.len() / 2];
        (clear as f64 >= MATCHED_SHARE * (b - a) as f64).then_some((median, scored))
    };
    let best = [before, after]
        .into_iter()
        .flatten()
        .filter_map(|j| held(j).map(|(median, scored)| (j, median, scored)))
        .max_by(|x, y| x.1.total_cmp(&y.1));
    let Some((j, _, scored)) = best else { return false };
    for (k, (cost, confidence)) in scored.into_iter().enumerate() {
        time.map[a + k] = j as u32;
        time.cost[a + k] = cost;
        time.confidence[a + k] = confidence;
    }
    time.outside.retain(|&i| (i as usize) < a || (i as usize) >= b);
    true
}

/// fg frames `a..b` aligned alone against bg, when most of them clearly match.
fn align_run(fg: &Track, bg: &Track, settings: &Settings, a: usize, b: usize) -> Option<TimeMap> {
    let run = Track {
        hashes: fg.hashes[a..b].to_vec(),
        thumbs: fg.thumbs[a..b].to_vec(),
        seconds: fg.seconds[a..b].to_vec(),
    };
    let mut time = TimeMap::default();
    align_into(&run, bg, settings, &mut Default::default(), &mut time).ok()?;
    let mut confidences: Vec<f32> = (0..b - a).filter(|&k| !time.is_outside(k)).map(|k| time.confidence[k]).collect();
    if (confidences.len() as f64) < MATCHED_SHARE * (b - a) as f64 {
        return None;
    }
    confidences.sort_by(f32::total_cmp);
    (confidences[confidences.len() / 2] >= CLEAR_CONFIDENCE).then_some(time)
}

/// The bg frames a run must stay between for the map to stay monotone: the match of the last
/// matched frame before it (or 0) and of the first after it (or bg's last frame).
fn bounds_around(time: &TimeMap, a: usize, b: usize, bg_frames: usize) -> (u32, u32) {
    let floor = (0..a).rev().find(|&i| !time.is_outside(i)).map_or(0, |i| time.map[i]);
    let ceiling =
        (b..time.map.len()).find(|&i| !time.is_outside(i)).map_or(bg_frames.saturating_sub(1) as u32, |i| time.map[i]);
    (floor, ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_outside(n: usize, outside: &[u32]) -> TimeMap {
        TimeMap {
            map: (0..n as u32).collect(),
            outside: outside.to_vec(),
            cost: vec![0.0; n],
            confidence: vec![1.0; n],
            ..Default::default()
        }
    }

    #[test]
    fn runs_of_outside_frames_at_least_min_run_long() {
        let mut outside: Vec<u32> = (5..5 + MIN_RUN as u32).collect();
        outside.extend(40..43);
        outside.extend(60..60 + MIN_RUN as u32 + 3);
        let time = with_outside(100, &outside);
        assert_eq!(outside_runs(&time), vec![(5, 5 + MIN_RUN), (60, 60 + MIN_RUN + 3)]);
        assert_eq!(outside_runs(&with_outside(10, &[])), vec![]);
    }

    #[test]
    fn a_run_s_bounds_are_the_matches_around_it() {
        let time = with_outside(100, &(20..40).collect::<Vec<u32>>());
        assert_eq!(bounds_around(&time, 20, 40, 500), (19, 40));
        let time = with_outside(100, &(0..40).collect::<Vec<u32>>());
        assert_eq!(bounds_around(&time, 0, 40, 500), (0, 40));
        let time = with_outside(100, &(60..100).collect::<Vec<u32>>());
        assert_eq!(bounds_around(&time, 60, 100, 500), (59, 499));
    }
}
