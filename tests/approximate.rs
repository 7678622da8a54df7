//! A placement found on reduced copies and never checked on full-size frames says so: the
//! alignment's `placement_approximate` (JSON `placement.approximate`; from C, finish answers
//! `VIDKOMPY_APPROXIMATE`), true without a frame provider on frames larger than the copies when
//! none of the full-size frames the analyzer keeps (`session/kept.rs`) was matched, false when
//! they were, false with a provider, false on frames the copies hold whole, and kept through
//! JSON.

mod common;

use std::sync::Arc;

use vidkompy::Settings;
use vidkompy::alignment::Alignment;
use vidkompy::session::{Analyzer, Stream};
use vidkompy::synth::{PairSpec, SyntheticPair};

fn analyse(pair: &Arc<SyntheticPair>, with_provider: bool) -> Alignment {
    let mut a = Analyzer::new(Settings::default());
    if with_provider {
        a.set_frame_provider(Some(common::pair_provider(pair)));
    }
    for j in 0..pair.spec.bg_frames {
        a.push(Stream::Bg, Some(&pair.bg_frame(j).as_frame())).unwrap();
        if j < pair.spec.fg_frames {
            a.push(Stream::Fg, Some(&pair.fg_frame(j).as_frame())).unwrap();
        }
    }
    a.push(Stream::Fg, None).unwrap();
    a.push(Stream::Bg, None).unwrap();
    a.finish().unwrap()
}

#[test]
fn a_placement_never_checked_on_full_size_frames_is_marked_approximate() {
    // 1920x1080 bg, a 1280x720 crop at (311, 173): the copies are reduced. 60 bg frames: the
    // analyzer keeps bg's first 9 at full size (3 MB each, 32 MiB), and fg shows bg 30-39.
    let spec = PairSpec { bg_frames: 60, fg_start: 30.0 / 25.0, ..PairSpec::placement_bench() };
    assert_eq!(spec.bg_fps, 25.0);
    let pair = Arc::new(SyntheticPair::new(spec));
    let without = analyse(&pair, false);
    assert!(without.placement_approximate, "no provider: {:?}", without.placement);
    let json = without.to_json();
    assert!(json.contains("\"approximate\": true"), "{json}");
    assert!(Alignment::from_json(&json).unwrap().placement_approximate);
    let with = analyse(&pair, true);
    assert!(!with.placement_approximate, "with a provider: {:?}", with.placement);
    assert_eq!((with.placement.x, with.placement.y), (311, 173));
    assert!(!Alignment::from_json(&with.to_json()).unwrap().placement_approximate);
}

#[test]
fn frames_the_analyzer_kept_check_the_placement_without_a_provider() {
    // The same pair, 10 frames each: bg's frames are all kept, and the check corrects the
    // copies' placement to the pixel.
    let pair = Arc::new(SyntheticPair::new(PairSpec::placement_bench()));
    let a = analyse(&pair, false);
    assert!(!a.placement_approximate, "{:?}", a.placement);
    assert_eq!((a.placement.x, a.placement.y), (311, 173));
}

#[test]
fn small_frames_the_copies_hold_whole_are_not_approximate() {
    let pair =
        Arc::new(SyntheticPair::new(PairSpec { fg_frames: 40, bg_frames: 60, fg_start: 0.4, ..PairSpec::default() }));
    let a = analyse(&pair, false);
    assert!(!a.placement_approximate, "{}x{} bg", pair.spec.bg_width, pair.spec.bg_height);
}

#[test]
fn an_alignment_without_the_field_reads_as_checked() {
    let pair =
        Arc::new(SyntheticPair::new(PairSpec { fg_frames: 20, bg_frames: 30, fg_start: 0.2, ..PairSpec::default() }));
    let json = analyse(&pair, false).to_json().replace(", \"approximate\": false", "");
    assert!(!json.contains("approximate"));
    assert!(!Alignment::from_json(&json).unwrap().placement_approximate);
}
