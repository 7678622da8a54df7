//! The saved alignment: a format version and the media's identity, checked when read.

use vidkompy::Error;
use vidkompy::alignment::{Alignment, FORMAT_VERSION};
use vidkompy::session::{Analyzer, Stream};
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::{PixelFormat, Settings};

fn analysed() -> (Alignment, SyntheticPair) {
    let pair = SyntheticPair::new(PairSpec { bg_frames: 60, fg_frames: 30, fg_start: 0.6, ..PairSpec::default() });
    let mut a = Analyzer::new(Settings::default());
    for j in 0..pair.spec.bg_frames {
        a.push(Stream::Bg, Some(&pair.bg_frame(j).as_frame())).unwrap();
    }
    for i in 0..pair.spec.fg_frames {
        a.push(Stream::Fg, Some(&pair.fg_frame(i).as_frame())).unwrap();
    }
    (a.finish().unwrap(), pair)
}

#[test]
fn the_media_identity_is_recorded_and_survives_a_round_trip() {
    let (alignment, pair) = analysed();
    let media = alignment.media.expect("an analyzer's alignment records its media");
    let s = &pair.spec;
    assert_eq!((media.fg.width, media.fg.height, media.fg.frames), (s.fg_width, s.fg_height, s.fg_frames));
    assert_eq!((media.bg.width, media.bg.height, media.bg.frames), (s.bg_width, s.bg_height, s.bg_frames));
    assert_eq!(media.bg.format, PixelFormat::I420);
    assert!(media.fg.constant_rate && media.bg.constant_rate);
    assert!((media.bg.seconds_of(1) - pair.bg_time(1)).abs() < 1e-6, "{:?}", media.bg);
    let json = alignment.to_json();
    assert!(json.starts_with(&format!("{{\"format_version\": {FORMAT_VERSION},")), "{json}");
    let back = Alignment::from_json(&json).unwrap();
    assert_eq!(back.media, alignment.media);
    let key =
        |a: &Alignment| (a.placement.x, a.placement.y, a.placement.scale, a.placement.content, a.time.map.clone());
    assert_eq!(key(&back), key(&alignment));
}

#[test]
fn a_version_1_file_is_read_without_media_and_a_newer_one_is_refused() {
    let (alignment, _) = analysed();
    let json = alignment.to_json();
    let media_at = json.find(",\n \"media\"").unwrap();
    let version_1 = format!("{{{}}}\n", &json[json.find('\n').unwrap() + 1..media_at]);
    let old = Alignment::from_json(&version_1).unwrap();
    assert_eq!(old.media, None);
    assert_eq!(old.time.map, alignment.time.map);

    let newer = json.replacen(&format!("\"format_version\": {FORMAT_VERSION}"), "\"format_version\": 3", 1);
    match Alignment::from_json(&newer) {
        Err(e @ Error::InvalidData(_)) => assert!(e.to_string().contains("version 3"), "{e}"),
        other => panic!("expected INVALID_DATA, got {other:?}"),
    }
}

#[test]
fn a_media_record_that_contradicts_the_rest_is_refused() {
    let (alignment, pair) = analysed();
    let json = alignment.to_json();
    let frames = format!("\"frames\": {}", pair.spec.bg_frames);
    let wrong = json.replacen(&frames, "\"frames\": 7", 1);
    assert_ne!(wrong, json);
    let e = Alignment::from_json(&wrong).unwrap_err();
    assert!(e.to_string().contains("media gives"), "{e}");
    let bad_format = json.replacen("\"format\": \"i420\"", "\"format\": \"yuv9\"", 1);
    assert!(Alignment::from_json(&bad_format).unwrap_err().to_string().contains("unknown pixel format"));
}
