//! Helpers shared by the integration tests: descriptor tracks of synthetic pairs and scoring a
//! time map against the truth.
#![allow(dead_code)]

use vidkompy::Rect;
use vidkompy::fingerprint::Fingerprinter;
use vidkompy::synth::SyntheticPair;
use vidkompy::temporal::{TimeMap, Track};

/// Descriptors of every fg frame (content rectangle) and of every bg frame (under the true
/// placement, rounded to whole pixels).
pub fn tracks(pair: &SyntheticPair) -> (Track, Track) {
    let s = &pair.spec;
    let (lr, lc) = s.letterbox;
    let fg_rect = Rect::new(lc, lr, s.fg_width - 2 * lc, s.fg_height - 2 * lr);
    let bg_rect = Rect::new(
        (s.x + lc as f64 * s.scale).round() as u32,
        (s.y + lr as f64 * s.scale).round() as u32,
        (fg_rect.width as f64 * s.scale).round() as u32,
        (fg_rect.height as f64 * s.scale).round() as u32,
    );
    let mut fp_fg = Fingerprinter::new(fg_rect.width, fg_rect.height);
    let mut fp_bg = Fingerprinter::new(bg_rect.width, bg_rect.height);
    let mut fg = Track::new();
    for i in 0..s.fg_frames {
        let f = pair.fg_frame(i);
        fg.push(&fp_fg.compute(&f.as_frame(), fg_rect), pair.fg_time(i));
    }
    let mut bg = Track::new();
    for j in 0..s.bg_frames {
        let f = pair.bg_frame(j);
        bg.push(&fp_bg.compute(&f.as_frame(), bg_rect), pair.bg_time(j));
    }
    (fg, bg)
}

#[derive(Debug, Default)]
pub struct Score {
    pub frames: usize,
    pub exact: usize,
    pub off_by_one: usize,
    pub worse: usize,
    pub missed_outside: usize,
    pub false_outside: usize,
    pub first_errors: Vec<String>,
}

impl Score {
    pub fn exact_fraction(&self) -> f64 {
        self.exact as f64 / self.frames.max(1) as f64
    }
}

/// Scores a map against the truth; frames of one identical-picture run count as equal.
pub fn score(pair: &SyntheticPair, map: &TimeMap) -> Score {
    let mut s = Score { frames: pair.spec.fg_frames, ..Score::default() };
    for i in 0..pair.spec.fg_frames {
        let got = map.map[i] as usize;
        let out = map.is_outside(i);
        match pair.truth(i) {
            None => {
                if out {
                    s.exact += 1;
                } else {
                    s.missed_outside += 1;
                    s.first_errors.push(format!("fg {i}: truth outside, got bg {got}"));
                }
            }
            Some(t) => {
                if out {
                    s.false_outside += 1;
                    s.first_errors.push(format!("fg {i}: truth bg {t}, got outside"));
                } else if pair.accepts(i, got) {
                    s.exact += 1;
                } else if got.abs_diff(t) <= 1 {
                    s.off_by_one += 1;
                    s.first_errors.push(format!("fg {i}: truth bg {t}, got {got}"));
                } else {
                    s.worse += 1;
                    s.first_errors.push(format!("fg {i}: truth bg {t}, got {got}"));
                }
            }
        }
    }
    s.first_errors.truncate(12);
    s
}
