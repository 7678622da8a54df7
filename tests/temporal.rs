//! Time-map accuracy against known truth on generated pairs.

mod common;

use vidkompy::Settings;
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};
use vidkompy::temporal::{Track, align, chance_evidence, follow_outside_runs, rate_prior};

fn check(name: &str, spec: PairSpec) {
    let pair = SyntheticPair::new(spec);
    let (fg, bg) = common::tracks(&pair);
    let mut map = align(&fg, &bg, &Settings::default()).unwrap();
    // Every family also goes through the search for outside runs: none moves or refuses.
    let before = map.clone();
    follow_outside_runs(&fg, &bg, &Settings::default(), &mut map);
    assert_eq!(map, before, "{name}: an outside run was moved");
    let s = common::score(&pair, &map);
    eprintln!(
        "{name}: {} frames, exact {:.2}%, off-by-one {}, worse {}, missed outside {}, false outside {}, confidence {:.3}",
        s.frames,
        100.0 * s.exact_fraction(),
        s.off_by_one,
        s.worse,
        s.missed_outside,
        s.false_outside,
        map.overall_confidence
    );
    assert!(map.overall_confidence >= 0.8, "{name}: time-map confidence {}", map.overall_confidence);
    assert!(
        s.exact_fraction() >= 0.995 && s.worse == 0,
        "{name}: exact {:.2}% (need 99.5%), worse {}, missed outside {}, false outside {}: {:#?}",
        100.0 * s.exact_fraction(),
        s.worse,
        s.missed_outside,
        s.false_outside,
        s.first_errors
    );
}

const GRADED: Grade = Grade { brightness: 0.08, contrast: 1.2, gamma: 0.85 };

#[test]
fn same_rate_trimmed_start() {
    check("same rate", PairSpec { fg_start: 3.04, grade: GRADED, fg_noise: 2.0, ..PairSpec::default() });
}

#[test]
fn fg_from_the_first_bg_frame_and_to_the_end() {
    check("start of bg", PairSpec { fg_start: 0.0, fg_frames: 120, ..PairSpec::default() });
    check("end of bg", PairSpec { fg_start: 4.0, fg_frames: 150, bg_frames: 250, ..PairSpec::default() });
}

#[test]
fn rate_25_to_30_and_30_to_25() {
    check(
        "bg 25 fg 30",
        PairSpec { bg_fps: 25.0, fg_fps: 30.0, fg_frames: 180, fg_start: 1.713, grade: GRADED, ..PairSpec::default() },
    );
    check(
        "bg 30 fg 25",
        PairSpec { bg_fps: 30.0, bg_frames: 300, fg_fps: 25.0, fg_start: 2.51, grade: GRADED, ..PairSpec::default() },
    );
}

#[test]
fn rate_24_to_25_and_ntsc() {
    check("bg 24 fg 25", PairSpec { bg_fps: 24.0, bg_frames: 240, fg_fps: 25.0, fg_start: 1.3, ..PairSpec::default() });
    check(
        "bg 25 fg 29.97",
        PairSpec { bg_fps: 25.0, fg_fps: 30000.0 / 1001.0, fg_frames: 180, fg_start: 2.2, ..PairSpec::default() },
    );
    check(
        "bg 24 fg 23.976",
        PairSpec {
            bg_fps: 24.0,
            bg_frames: 240,
            fg_fps: 24000.0 / 1001.0,
            fg_frames: 150,
            fg_start: 1.01,
            ..PairSpec::default()
        },
    );
}

#[test]
fn variable_frame_rate_fg() {
    check("vfr", PairSpec { fg_fps: 30.0, fg_frames: 180, fg_jitter: 0.3, fg_start: 2.0, ..PairSpec::default() });
}

#[test]
fn fg_starting_before_bg_and_longer_than_bg() {
    check("fg before bg", PairSpec { fg_start: -1.5, fg_frames: 150, ..PairSpec::default() });
    check("fg longer", PairSpec { fg_start: -1.0, bg_frames: 100, fg_frames: 160, ..PairSpec::default() });
}

#[test]
fn inserted_footage_is_reported_outside() {
    check("insert", PairSpec { fg_start: 1.0, fg_frames: 160, insert: Some((60, 25)), ..PairSpec::default() });
}

#[test]
fn rate_prior_from_timestamps() {
    let pair = SyntheticPair::new(PairSpec {
        bg_fps: 25.0,
        fg_fps: 30000.0 / 1001.0,
        fg_frames: 30,
        bg_frames: 30,
        ..PairSpec::default()
    });
    let mut fg = vidkompy::temporal::Track::new();
    let mut bg = vidkompy::temporal::Track::new();
    for i in 0..30 {
        fg.push(&Default::default(), pair.fg_time(i));
        bg.push(&Default::default(), pair.bg_time(i));
    }
    assert!((rate_prior(&fg, &bg) - 25.0 * 1001.0 / 30000.0).abs() < 1e-9);
}

#[test]
fn other_worlds_and_offsets() {
    for seed in 2..6u64 {
        let spec = PairSpec {
            seed,
            bg_fps: [25.0, 30.0, 24.0, 25.0][seed as usize % 4],
            bg_frames: 260,
            fg_fps: [30.0, 25.0, 25.0, 30000.0 / 1001.0][seed as usize % 4],
            fg_frames: 150,
            fg_start: 0.37 * seed as f64,
            grade: GRADED,
            fg_noise: 2.0,
            ..PairSpec::default()
        };
        check(&format!("seed {seed}"), spec);
    }
}

/// The matched frames of a true pair are far closer than chance; the same fg forced onto
/// another pair's bg (a map made of matches the aligner had to take) is not.
#[test]
fn matches_are_measured_against_chance() {
    let spec = PairSpec { bg_frames: 150, fg_frames: 90, fg_start: 1.0, ..PairSpec::default() };
    let (fg, bg) = common::tracks(&SyntheticPair::new(spec.clone()));
    let time = align(&fg, &bg, &Settings::default()).unwrap();
    let e = chance_evidence(&fg, &bg, &time).unwrap();
    assert!(e.matched_cost < 0.2 * e.chance_cost, "{e:?}");
    assert_eq!(e.frames, 90 - time.outside.len());
    // Another world for bg: every match is forced, none is closer than chance.
    let (_, other_bg) = common::tracks(&SyntheticPair::new(PairSpec { seed: spec.seed + 7, ..spec }));
    let mut forced = time.clone();
    forced.outside.clear();
    for i in 0..forced.map.len() {
        forced.cost[i] = vidkompy::temporal::frame_cost_of(&fg, i, &other_bg, forced.map[i] as usize);
    }
    let e = chance_evidence(&fg, &other_bg, &forced).unwrap();
    assert!(e.matched_cost > 0.6 * e.chance_cost, "{e:?}");
}

/// The frame-rate relations of the accuracy families: 2:1 and 1:2, and NTSC over 25 fps for
/// 15 s (450 fg frames, many near-ties where fg's instant falls near the midpoint of two bg
/// frames).
#[test]
fn rate_two_to_one_one_to_two_and_ntsc_over_fifteen_seconds() {
    let base = PairSpec { bg_fps: 25.0, bg_frames: 300, grade: GRADED, ..PairSpec::default() };
    check("bg 25 fg 50", PairSpec { fg_fps: 50.0, fg_frames: 400, fg_start: 1.52, ..base.clone() });
    check("bg 25 fg 12.5", PairSpec { fg_fps: 12.5, fg_frames: 100, fg_start: 1.52, ..base.clone() });
    check(
        "bg 25 fg 29.97 for 15 s",
        PairSpec { fg_fps: 30000.0 / 1001.0, fg_frames: 450, bg_frames: 750, fg_start: 3.3, ..base },
    );
}

/// bg repeating its 60 frames over and over (a loop), fg one pass of it with timestamps from
/// zero: fg is mapped onto one of the repetitions, every frame to its own picture.
#[test]
fn a_looping_bg_maps_fg_onto_one_of_its_repetitions() {
    let spec = PairSpec { bg_frames: 60, fg_frames: 30, fg_start: 14.0 / 25.0, ..PairSpec::default() };
    let pair = SyntheticPair::new(spec);
    let (fg, once) = common::tracks(&pair);
    let mut bg = vidkompy::temporal::Track::new();
    for j in 0..7200 {
        let k = j % 60;
        let d = vidkompy::fingerprint::Descriptor { phash: once.hashes[k], thumb: once.thumbs[k] };
        bg.push(&d, j as f64 / 25.0);
    }
    let time = align(&fg, &bg, &Settings::default()).unwrap();
    assert!(time.outside.is_empty(), "{:?}", time.outside);
    for i in 0..30 {
        assert!(pair.accepts(i, time.map[i] as usize % 60), "fg {i} -> bg {}", time.map[i]);
    }
}

/// The frames of an fg made of `picked` fg frames of `pair` that `map` puts outside or off
/// their picture's bg frame: (fg frame, got, truth).
fn frames_off(pair: &SyntheticPair, picked: &[usize], map: &vidkompy::temporal::TimeMap) -> Vec<(usize, u32, usize)> {
    let off = |(i, &k): (usize, &usize)| {
        let truth = pair.truth(k).unwrap();
        (map.is_outside(i) || map.map[i] as usize != truth).then_some((i, map.map[i], truth))
    };
    picked.iter().enumerate().filter_map(off).collect()
}

/// fg frames `order` of `fg`, renumbered at fg's own rate (an edit of fg's shots).
fn edited(fg: &Track, order: &[std::ops::Range<usize>]) -> Track {
    let period = fg.period().unwrap();
    let mut out = Track::new();
    for i in order.iter().flat_map(|r| r.clone()) {
        out.hashes.push(fg.hashes[i]);
        out.thumbs.push(fg.thumbs[i]);
        out.seconds.push(out.seconds.len() as f64 * period);
    }
    out
}

/// A later shot, then an earlier one (an edit that goes back in bg): the monotone map leaves
/// the second shot outside; the run is found alone in bg, before the first shot's frames, and
/// the map goes back there, frame-exact, in two legs.
#[test]
fn shots_in_another_order_than_bg_s_are_followed_not_left_outside() {
    let pair = SyntheticPair::new(PairSpec { fg_start: 1.0, fg_frames: 200, ..PairSpec::default() });
    let (fg, bg) = common::tracks(&pair);
    let order = [120..200, 10..70];
    let back = edited(&fg, &order);
    let mut map = align(&back, &bg, &Settings::default()).unwrap();
    let outside_before = map.outside.len();
    follow_outside_runs(&back, &bg, &Settings::default(), &mut map);
    assert!(outside_before >= 40, "the monotone map left {outside_before} frames outside");
    let picked: Vec<usize> = order.iter().flat_map(|r| r.clone()).collect();
    assert_eq!(frames_off(&pair, &picked, &map), vec![]);
    let turns = map.map.windows(2).filter(|w| w[1] < w[0]).count();
    assert_eq!(turns, 1, "one step back: two legs");
}

/// A speed ramp: fg at speed 1, then half speed for 2.4 s (each frame shown twice), then
/// speed 1 again. Every fg frame must land on its own picture's bg frame: before, the second
/// pass's line (a windowed mean of the first path's offsets) lagged the ramp's knees by up to
/// two frames and pulled 26 of 180 frames one off at confidence 1.00 (through `comp` on the
/// clips); the median, exact on a monotone run, is taken where the two differ.
#[test]
fn a_speed_ramp_to_half_speed_and_back_is_frame_exact() {
    let pair = SyntheticPair::new(PairSpec { fg_start: 1.0, fg_frames: 200, ..PairSpec::default() });
    let (fg, bg) = common::tracks(&pair);
    let mut picked: Vec<usize> = (0..60).collect();
    picked.extend((60..90).flat_map(|k| [k, k]));
    picked.extend(90..150);
    let ramp = edited(&fg, &picked.iter().map(|&k| k..k + 1).collect::<Vec<_>>());
    let map = align(&ramp, &bg, &Settings::default()).unwrap();
    let wrong = frames_off(&pair, &picked, &map);
    assert!(wrong.is_empty(), "{} of {} frames off (fg, got, truth): {wrong:?}", wrong.len(), picked.len());
    assert!(map.overall_confidence >= 0.9, "confidence {}", map.overall_confidence);
}

/// A freeze frame: fg holds one picture for a second, then goes on from the next bg frame. On
/// the clips the DP, which moves along bg, left the held run outside (the synthetic scene's
/// DP holds it; the run is put outside here as there); aligned alone, its identical frames
/// drifted along bg's neighbouring frames, earlier than the frames before the run, and the
/// pair was refused as shots in another order. The run is the bg frame matched just before
/// it, held.
#[test]
fn a_freeze_frame_left_outside_holds_its_bg_frame() {
    let pair = SyntheticPair::new(PairSpec { fg_start: 1.0, fg_frames: 200, ..PairSpec::default() });
    let (fg, bg) = common::tracks(&pair);
    let mut picked: Vec<usize> = (0..50).collect();
    picked.extend(std::iter::repeat_n(49, 25));
    picked.extend(50..100);
    let frozen = edited(&fg, &picked.iter().map(|&k| k..k + 1).collect::<Vec<_>>());
    let mut map = align(&frozen, &bg, &Settings::default()).unwrap();
    map.outside = (50..75).collect();
    follow_outside_runs(&frozen, &bg, &Settings::default(), &mut map);
    let wrong = frames_off(&pair, &picked, &map);
    assert!(wrong.is_empty(), "{} of {} frames off (fg, got, truth): {wrong:?}", wrong.len(), picked.len());
}

/// fg's pictures at another speed than its timestamps say, throughout (an editor's "speed
/// 125 %", a slow motion): fg frame k shows bg frame `start + k · speed` (rounded down), at
/// fg's own timestamps. The DP's rate line follows the timestamps and its band drifts a frame
/// every few: on the film sped up 2 times, 14 of 84 frames were right, 1.25 times 69 of 134,
/// every one at confidence about 1, exit 0. The map is found again on the line of the
/// pictures' speed, which the report's rate then gives.
#[test]
fn fg_sped_up_or_slowed_down_throughout_is_frame_exact() {
    let pair = SyntheticPair::new(PairSpec { fg_start: 1.0, fg_frames: 400, bg_frames: 460, ..PairSpec::default() });
    let (fg, bg) = common::tracks(&pair);
    for (num, den) in [(5, 4), (2, 1), (3, 2), (4, 5), (1, 2)] {
        let count = if num > den { 360 * den / num } else { 300 };
        let picked: Vec<usize> = (0..count).map(|k| 10 + k * num / den).collect();
        let sped = edited(&fg, &picked.iter().map(|&k| k..k + 1).collect::<Vec<_>>());
        let map = align(&sped, &bg, &Settings::default()).unwrap();
        let wrong = frames_off(&pair, &picked, &map);
        let speed = num as f64 / den as f64;
        assert!(wrong.is_empty(), "speed {speed}: {} of {count} frames off (fg, got, truth): {wrong:?}", wrong.len());
        assert!((map.rate - speed).abs() < 0.01 * speed, "speed {speed}: the map's rate is {}", map.rate);
    }
}

/// At the timestamps' speed, or near it, the map stays on the timestamps' line: its rate is
/// theirs (a static shot, where every speed matches alike, keeps it too).
#[test]
fn fg_at_its_timestamps_speed_keeps_their_rate() {
    let pair = SyntheticPair::new(PairSpec { fg_start: 1.0, fg_frames: 200, ..PairSpec::default() });
    let (fg, bg) = common::tracks(&pair);
    let map = align(&fg, &bg, &Settings::default()).unwrap();
    assert_eq!(map.rate, rate_prior(&fg, &bg));
}
