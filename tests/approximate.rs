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
    analyse_with(pair, with_provider.then(|| common::pair_provider(pair)))
}

/// Both streams pushed frame by frame, bg first, with `provider` (or none).
fn analyse_with(pair: &Arc<SyntheticPair>, provider: Option<Box<dyn vidkompy::FrameProvider>>) -> Alignment {
    let mut a = Analyzer::new(Settings::default());
    a.set_frame_provider(provider);
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

/// A provider of a fg with one keyframe, at its start (giving frame i decodes i frames), that
/// notes which fg frames it was asked for.
struct SeekingProvider {
    pair: Arc<SyntheticPair>,
    fg_asked: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl vidkompy::FrameProvider for SeekingProvider {
    fn frames(&mut self, wanted: &[(Stream, usize)]) -> Vec<Option<vidkompy::FrameBuf>> {
        wanted
            .iter()
            .map(|&(stream, k)| match stream {
                Stream::Fg => {
                    self.fg_asked.lock().unwrap().push(k);
                    (k < self.pair.spec.fg_frames).then(|| self.pair.fg_frame(k))
                }
                Stream::Bg => (k < self.pair.spec.bg_frames).then(|| self.pair.bg_frame(k)),
            })
            .collect()
    }

    fn decode_cost(&self, stream: Stream, index: usize) -> Option<u64> {
        Some(if stream == Stream::Fg { index as u64 } else { 0 })
    }
}

/// fg frames its provider would decode others to give again are kept at full size as they
/// are pushed, and the check takes those: the provider is asked for none but its keyframe.
#[test]
fn with_a_seeking_provider_the_check_takes_fg_frames_kept_at_full_size() {
    let pair = Arc::new(SyntheticPair::new(PairSpec { fg_frames: 30, bg_frames: 60, ..PairSpec::placement_bench() }));
    let fg_asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let provider = SeekingProvider { pair: Arc::clone(&pair), fg_asked: Arc::clone(&fg_asked) };
    let al = analyse_with(&pair, Some(Box::new(provider)));
    assert!(!al.placement_approximate, "{:?}", al.placement);
    assert_eq!((al.placement.x, al.placement.y), (311, 173));
    let asked = fg_asked.lock().unwrap().clone();
    assert!(asked.iter().all(|&i| i == 0), "the provider was asked for fg frames {asked:?}");
}
