//! The descriptor definition is pinned by golden vectors; robustness to grading and noise and
//! the separation of neighbouring frames are checked on generated frames.

use vidkompy::fingerprint::{Fingerprinter, hamming};
use vidkompy::kernels::{self, THUMB_BYTES};
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, PixelFormat, Rect};

/// A fixed analytic picture: gradients and two frequencies of ripple.
fn pattern(width: u32, height: u32) -> FrameBuf {
    let mut f = FrameBuf::new(PixelFormat::Gray8, width, height).unwrap();
    for y in 0..height as usize {
        for (x, p) in f.row_mut(0, y).iter_mut().enumerate() {
            let (xf, yf) = (x as f64, y as f64);
            let v = 100.0 + 0.4 * xf - 0.3 * yf
                + 40.0 * (xf / 9.0).sin() * (yf / 13.0).cos()
                + 25.0 * ((xf + 2.0 * yf) / 23.0).sin();
            *p = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    f
}

fn thumb_checksum(t: &[i8; THUMB_BYTES]) -> (i32, i64) {
    let sum: i32 = t.iter().map(|&v| v as i32).sum();
    let weighted: i64 = t.iter().enumerate().map(|(i, &v)| (i as i64 + 1) * v as i64).sum();
    (sum, weighted)
}

#[test]
fn golden_vectors() {
    let cases = [
        (160u32, 90u32, Rect::new(0, 0, 160, 90)),
        (200, 120, Rect::new(13, 7, 150, 101)),
        (64, 64, Rect::new(0, 0, 32, 32)),
    ];
    let mut got = Vec::new();
    for (w, h, rect) in cases {
        let frame = pattern(w, h);
        let mut fp = Fingerprinter::new(rect.width, rect.height);
        let d = fp.compute(&frame.as_frame(), rect);
        got.push((d.phash, thumb_checksum(&d.thumb), d.thumb[..8].to_vec()));
    }
    let want: [(u64, (i32, i64), [i8; 8]); 3] = GOLDEN;
    for (g, w) in got.iter().zip(want.iter()) {
        assert_eq!(g.0, w.0, "pHash changed: the descriptor definition is a contract");
        assert_eq!(g.1, w.1, "thumb changed: the descriptor definition is a contract");
        assert_eq!(g.2[..], w.2[..]);
    }
}

const GOLDEN: [(u64, (i32, i64), [i8; 8]); 3] = [
    (0x23c833c8333fcd35, (-5, -266062), [31, 96, 78, -18, -57, 26, 91, 88]),
    (0x67126f12676d9165, (1, -284232), [88, 57, -33, -60, -17, 44, 49, -10]),
    (0xe9fc93fca9d40103, (15, -1189098), [-63, -32, 13, 47, 71, 90, 107, 117]),
];

#[test]
fn flat_frames_give_zero_thumbs_and_no_nan() {
    let f = FrameBuf::new(PixelFormat::I420, 64, 48).unwrap();
    let mut fp = Fingerprinter::new(64, 48);
    let d = fp.compute(&f.as_frame(), Rect::full(64, 48));
    assert!(d.thumb.iter().all(|&v| v == 0));
}

fn graded(pair: &SyntheticPair, i: usize) -> FrameBuf {
    pair.fg_frame(i)
}

#[test]
fn grading_and_noise_move_few_bits_and_little_thumb() {
    let base = PairSpec { fg_frames: 60, ..PairSpec::default() };
    let plain = SyntheticPair::new(base.clone());
    let grades = [
        Grade { brightness: 0.1, contrast: 1.0, gamma: 1.0 },
        Grade { brightness: -0.1, contrast: 1.0, gamma: 1.0 },
        Grade { brightness: 0.0, contrast: 0.8, gamma: 1.0 },
        Grade { brightness: 0.0, contrast: 1.25, gamma: 1.0 },
        Grade { brightness: 0.0, contrast: 1.0, gamma: 0.8 },
        Grade { brightness: 0.0, contrast: 1.0, gamma: 1.25 },
    ];
    let sad = kernels::active().sad_thumb;
    let rect = Rect::full(base.fg_width, base.fg_height);
    let mut fp = Fingerprinter::new(rect.width, rect.height);
    let mut worst_bits = 0;
    let mut worst_ratio = 0.0f64;
    for grade in grades {
        let pair = SyntheticPair::new(PairSpec { grade, fg_noise: 2.0, ..base.clone() });
        for i in (0..60).step_by(6) {
            let a = fp.compute(&plain.fg_frame(i).as_frame(), rect);
            let b = fp.compute(&graded(&pair, i).as_frame(), rect);
            // The neighbouring frame of the ungraded stream, for scale.
            let n = fp.compute(&plain.fg_frame(i + 2).as_frame(), rect);
            worst_bits = worst_bits.max(hamming(a.phash, b.phash));
            let same = sad(&a.thumb, &b.thumb) as f64;
            let neighbour = sad(&a.thumb, &n.thumb).max(1) as f64;
            if !plain.bg_same_picture(plain.truth(i).unwrap_or(0), plain.truth(i + 2).unwrap_or(0)) {
                worst_ratio = worst_ratio.max(same / neighbour);
            }
        }
    }
    eprintln!("grading: worst pHash distance {worst_bits} bits, worst thumb SAD vs a frame two apart {worst_ratio:.2}");
    assert!(worst_bits <= 8, "grading moved {worst_bits} of 64 bits");
    assert!(worst_ratio < 1.0, "a graded frame is farther than a neighbouring frame ({worst_ratio:.2})");
}

#[test]
fn thumbs_tell_neighbouring_frames_apart() {
    let pair = SyntheticPair::new(PairSpec::default());
    let rect = Rect::new(64, 36, 192, 108);
    let mut fp = Fingerprinter::new(rect.width, rect.height);
    let sad = kernels::active().sad_thumb;
    let mut separated = 0;
    let mut moving = 0;
    for j in 0..200 {
        if pair.bg_same_picture(j, j + 1) {
            continue;
        }
        moving += 1;
        let a = fp.compute(&pair.bg_frame(j).as_frame(), rect);
        let b = fp.compute(&pair.bg_frame(j + 1).as_frame(), rect);
        if sad(&a.thumb, &b.thumb) > 0 {
            separated += 1;
        }
    }
    assert!(moving > 100);
    assert_eq!(separated, moving, "thumbs of neighbouring moving frames must differ");
}
