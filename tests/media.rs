//! Accuracy on pairs derived from the real clips in ../shared/media: fg is a crop of the clip,
//! re-graded, with noise, re-timed to another frame rate and trimmed; the truth is the source
//! frame each fg frame was made from.

mod common;

use vidkompy::fingerprint::Fingerprinter;
use vidkompy::synth::Grade;
use vidkompy::temporal::{Track, align};
use vidkompy::{Rect, Settings};

struct Case {
    clip: &'static str,
    fg_fps: f64,
    start: f64,
    fg_seconds: f64,
    rect: Rect,
    grade: Grade,
}

fn run(case: &Case) {
    let Some(path) = common::media(case.clip) else { return };
    let Some((bg_frames, bg_fps)) = common::decode(&path, 480, 270, 8.0) else { return };
    let n_fg = (case.fg_seconds * case.fg_fps) as usize;
    // fg frame i shows the source frame nearest to its time.
    let position: Vec<f64> = (0..n_fg).map(|i| (case.start + i as f64 / case.fg_fps) * bg_fps).collect();
    let truth: Vec<usize> = position.iter().map(|p| p.round() as usize).collect();
    assert!(*truth.last().unwrap() < bg_frames.len(), "clip too short for the case");

    let mut fp_fg = Fingerprinter::new(case.rect.width, case.rect.height);
    let mut fp_bg = Fingerprinter::new(case.rect.width, case.rect.height);
    let mut fg = Track::new();
    for (i, &k) in truth.iter().enumerate() {
        let f = common::crop_grade(&bg_frames[k], case.rect, case.grade, 3.0, i as u64);
        let full = Rect::full(case.rect.width, case.rect.height);
        fg.push(&fp_fg.compute(&f.as_frame(), full), i as f64 / case.fg_fps);
    }
    let mut bg = Track::new();
    for (j, f) in bg_frames.iter().enumerate() {
        bg.push(&fp_bg.compute(&f.as_frame(), case.rect), j as f64 / bg_fps);
    }
    let map = align(&fg, &bg, &Settings::default()).unwrap();
    let mut exact = 0;
    let mut errors = Vec::new();
    for (i, &t) in truth.iter().enumerate() {
        let got = map.map[i] as usize;
        let same_picture = common::luma_mad(&bg_frames[got], &bg_frames[t]) < 0.5;
        // Within 10 % of a frame period of a tie, the source frame was picked by a rounding
        // convention, not by the picture: either neighbour is right.
        let tie = (got as f64 - position[i]).abs() <= 0.6;
        if !map.is_outside(i) && (got == t || same_picture || tie) {
            exact += 1;
        } else {
            errors.push(format!("fg {i}: truth {t}, got {got}{}", if map.is_outside(i) { " (outside)" } else { "" }));
        }
    }
    let fraction = exact as f64 / n_fg as f64;
    eprintln!(
        "{} at {} fps from {}s: {n_fg} frames, exact {:.2}%, confidence {:.3}",
        case.clip,
        case.fg_fps,
        case.start,
        100.0 * fraction,
        map.overall_confidence
    );
    let worst = truth.iter().enumerate().map(|(i, &t)| (map.map[i] as i64 - t as i64).abs()).max().unwrap();
    assert!(
        fraction >= 0.995 && worst <= 1,
        "{}: exact {:.2}%, worst {worst}: {:?}",
        case.clip,
        100.0 * fraction,
        &errors[..errors.len().min(10)]
    );
}

const GRADE: Grade = Grade { brightness: 0.06, contrast: 1.15, gamma: 0.9 };

#[test]
fn interview_cropped_graded_retimed_to_25() {
    run(&Case {
        clip: "interview-1080p24.mp4",
        fg_fps: 25.0,
        start: 1.02,
        fg_seconds: 5.0,
        rect: Rect::new(96, 40, 288, 180),
        grade: GRADE,
    });
}

#[test]
fn interview_retimed_to_30() {
    run(&Case {
        clip: "interview-1080p24.mp4",
        fg_fps: 30.0,
        start: 0.51,
        fg_seconds: 6.0,
        rect: Rect::new(40, 20, 400, 230),
        grade: GRADE,
    });
}

#[test]
fn film_cropped_graded_same_rate_trimmed() {
    run(&Case {
        clip: "film-720p24.mp4",
        fg_fps: 24.0,
        start: 2.0,
        fg_seconds: 4.5,
        rect: Rect::new(120, 30, 240, 200),
        grade: Grade { brightness: -0.05, contrast: 0.85, gamma: 1.2 },
    });
}

#[test]
fn film_retimed_to_29_97() {
    run(&Case {
        clip: "film-720p24.mp4",
        fg_fps: 30000.0 / 1001.0,
        start: 0.7,
        fg_seconds: 6.5,
        rect: Rect::new(0, 0, 480, 270),
        grade: GRADE,
    });
}

/// The media record's print of a first frame: a regrade with noise of the same picture is the
/// same picture, the picture two seconds later and another clip are not; a black frame leaves
/// it to the size and count.
#[test]
fn a_first_frames_print_tells_the_same_picture_from_another() {
    use vidkompy::media::PicturePrint;
    let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
    else {
        return;
    };
    let Some((frames, _)) = common::decode(&film, 640, 360, 3.5) else { return };
    let Some((other, _)) = common::decode(&interview, 640, 360, 0.2) else { return };
    let grade = Grade { brightness: 0.06, contrast: 1.15, gamma: 0.9 };
    // The film opens nearly black (a print with few pairs that differ): a picture a second in.
    let print = PicturePrint::of(&frames[24].as_frame());
    let of = |f: &vidkompy::FrameBuf| PicturePrint::of(&f.as_frame());
    for seed in 0..4 {
        let regraded = common::crop_grade(&frames[24], Rect::full(640, 360), grade, 3.0, seed);
        assert!(print.same_picture(&of(&regraded)), "regraded ({seed}): {print:?} {:?}", of(&regraded));
    }
    assert!(print.mask.count_ones() >= 16, "the picture has pairs that differ: {print:?}");
    assert!(!print.same_picture(&of(&frames[72])), "two seconds later: {print:?} {:?}", of(&frames[72]));
    assert!(!print.same_picture(&of(&other[0])), "another clip: {print:?} {:?}", of(&other[0]));
    let black = vidkompy::FrameBuf::new(vidkompy::PixelFormat::I420, 640, 360).unwrap();
    assert_eq!(of(&black).mask, 0, "a black frame has no pair that differs");
    assert!(of(&black).same_picture(&print), "left to the size and count");
}
