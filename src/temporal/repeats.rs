//! bg showing fg's footage twice (a repeated shot, a recap, a loop): the whole time map shifted
//! by some number of bg frames matches about as well as the map itself. The pictures cannot
//! tell which of the two spans fg was cut from, and an editor placing fg on the timeline by the
//! map would put it at one of them by chance, so the analyzer answers AMBIGUOUS naming both.
//!
//! Only shifts of at least `MIN_SHIFT_SECONDS` are looked at: a map a few frames off on a
//! nearly still picture is the placement check's business (`FRAMES_ALIKE`), and a shift within
//! one continuous shot that matches as well means a still shot where fg's instant cannot be
//! verified either.

use super::{TimeMap, Track, frame_cost_of, median, sample_indices};

/// Shifts shorter than this (in seconds of bg) are not a second span.
const MIN_SHIFT_SECONDS: f64 = 1.0;
/// Matched fg frames sampled to compare the map with its shifts.
const SAMPLES: usize = 32;
/// Shifts (the best by hash distance) rescored with the full descriptor cost.
const RESCORED: usize = 4;
/// A shifted map within this share of the way from the map's median cost to chance's
/// (`closest_shift`) matches alike. Measured on the accuracy table's matching families: their
/// closest shift of a second or more lies at 0.25 or beyond (a static shot, a slow one across
/// a cut in bg); a shot bg repeats at 0.00 as an exact copy (tests/c/test_session.c) and at
/// 0.037 with the two copies' own noise, as re-encodes give (tests/accuracy.rs "bg repeats the
/// shot").
pub const SPANS_ALIKE: f32 = 0.1;
/// The share of sampled frames a shifted map must match about as well as the map itself.
const ALL_BUT: f32 = 0.8;
/// Fewest sampled frames a shifted map must keep inside bg.
const MIN_INSIDE: usize = 8;

/// A second span of bg that fg's map matches about as well.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatedSpan {
    /// bg frames the whole map is shifted by.
    pub shift: i64,
    /// `(shifted - matched) / (chance - matched)` of the median costs (0: alike).
    pub closeness: f32,
}

/// The closest shift of the whole map (see the module's comment), when it matches within
/// `SPANS_ALIKE`; `None` otherwise, or when too few frames are matched to tell.
pub fn repeated_span(fg: &Track, bg: &Track, time: &TimeMap, chance_cost: f32) -> Option<RepeatedSpan> {
    let closest = closest_shift(fg, bg, time, chance_cost)?;
    (closest.closeness <= SPANS_ALIKE).then_some(closest)
}

/// The shift of a second or more that comes closest to the map, in how much worse it matches
/// `ALL_BUT` of the sampled frames, as a share of the way from the map's median cost to chance.
pub fn closest_shift(fg: &Track, bg: &Track, time: &TimeMap, chance_cost: f32) -> Option<RepeatedSpan> {
    let m = bg.len() as i64;
    let matched: Vec<usize> = (0..time.map.len()).filter(|&i| !time.is_outside(i)).collect();
    if matched.len() < MIN_INSIDE {
        return None;
    }
    let picks: Vec<usize> = sample_indices(matched.len(), SAMPLES).into_iter().map(|k| matched[k]).collect();
    let min_shift = (MIN_SHIFT_SECONDS / bg.period()?).ceil().max(1.0) as i64;
    let mut own: Vec<f32> = picks.iter().map(|&i| time.cost[i]).collect();
    let own = median(&mut own);
    if chance_cost <= own {
        return None;
    }
    // Each sampled frame's cost at the shifted match over its cost at its own (`cost`); the
    // `ALL_BUT` quantile of them: a repeat matches nearly every frame alike, while a partly
    // still shot a second on matches only its still frames alike.
    let excess = |shift: i64, cost: &dyn Fn(usize, usize) -> f32, own: &dyn Fn(usize) -> f32| -> Option<f32> {
        let mut excess: Vec<f32> = picks
            .iter()
            .filter_map(|&i| {
                let j = time.map[i] as i64 + shift;
                (0..m).contains(&j).then(|| cost(i, j as usize) - own(i))
            })
            .collect();
        (excess.len() >= MIN_INSIDE.min(picks.len())).then(|| quantile(&mut excess, ALL_BUT))
    };
    // Every shift by hash distance alone (cheap), then the best few with the full cost.
    let hashes = |i: usize, j: usize| (fg.hashes[i] ^ bg.hashes[j]).count_ones() as f32;
    let own_hash = |i: usize| hashes(i, time.map[i] as usize);
    let mut by_hash: Vec<(f32, i64)> = (-(m - 1)..m)
        .filter(|s| s.abs() >= min_shift)
        .filter_map(|s| excess(s, &hashes, &own_hash).map(|c| (c, s)))
        .collect();
    by_hash.sort_by(|a, b| a.0.total_cmp(&b.0));
    let full = |i: usize, j: usize| frame_cost_of(fg, i, bg, j);
    let own_full = |i: usize| time.cost[i];
    by_hash
        .iter()
        .take(RESCORED)
        .filter_map(|&(_, shift)| {
            excess(shift, &full, &own_full).map(|e| RepeatedSpan { shift, closeness: e / (chance_cost - own) })
        })
        .min_by(|a, b| a.closeness.total_cmp(&b.closeness))
}

/// The `q` quantile (0..1) of `values` (reordered).
fn quantile(values: &mut [f32], q: f32) -> f32 {
    values.sort_by(f32::total_cmp);
    let k = ((values.len() - 1) as f32 * q).round() as usize;
    values[k]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Descriptor;
    use crate::kernels::Thumb;

    /// A track of pictures `ids` (each id a distinct picture) at 25 fps.
    fn track(ids: &[u64]) -> Track {
        let mut t = Track::new();
        for (k, &id) in ids.iter().enumerate() {
            let mut thumb: Thumb = [0; crate::kernels::THUMB_BYTES];
            let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for v in thumb.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *v = x as i8;
            }
            t.push(&Descriptor { phash: x, thumb }, k as f64 / 25.0);
        }
        t
    }

    fn map_of(fg: &Track, bg: &Track, start: u32) -> TimeMap {
        let n = fg.len();
        TimeMap {
            map: (0..n as u32).map(|i| start + i).collect(),
            cost: (0..n).map(|i| frame_cost_of(fg, i, bg, start as usize + i)).collect(),
            confidence: vec![1.0; n],
            ..TimeMap::default()
        }
    }

    #[test]
    fn a_shot_bg_shows_twice_is_found_and_a_single_one_is_not() {
        // bg: pictures 0..200, then 40..100 again; fg: 40..100.
        let bg_ids: Vec<u64> = (0..200).chain(40..100).collect();
        let fg = track(&(40..100).collect::<Vec<_>>());
        let bg = track(&bg_ids);
        let time = map_of(&fg, &bg, 40);
        let chance = 0.8;
        let found = repeated_span(&fg, &bg, &time, chance).expect("the repeat");
        assert_eq!(found.shift, 160);
        assert!(found.closeness < 0.01, "{found:?}");
        let once = track(&(0..260).collect::<Vec<_>>());
        let time = map_of(&fg, &once, 40);
        assert!(repeated_span(&fg, &once, &time, chance).is_none());
    }
}
