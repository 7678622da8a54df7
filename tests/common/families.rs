//! The placement families with known truth, shared by the analyzer's tests and the CLI's:
//! pair specs and what is done to fg's frames after the generator made them.

use vidkompy::synth::{Grade, PairSpec};
use vidkompy::{FrameBuf, PixelFormat};

/// What is done to each fg frame after the generator made it.
pub type Edit = fn(usize, FrameBuf) -> FrameBuf;

/// One family: a name, the pair, and the edit of fg's frames.
pub struct Family {
    pub name: &'static str,
    pub spec: PairSpec,
    pub edit: Edit,
}

/// fg from the middle of a 160-frame bg, 90 frames, graded.
pub fn plain() -> PairSpec {
    PairSpec { bg_frames: 160, fg_frames: 90, fg_start: 1.6, ..PairSpec::default() }
}

/// Every family but the long bg, one pair each.
pub fn all() -> Vec<Family> {
    let family = |name, spec, edit| Family { name, spec, edit };
    vec![
        family("scale 0.5", scaled(0.5, 320, 180), unedited as Edit),
        family("scale 0.75", scaled(0.75, 256, 144), unedited),
        family("scale 1.5", scaled(1.5, 128, 72), unedited),
        family("scale 2", scaled(2.0, 96, 54), unedited),
        family("letterbox", PairSpec { letterbox: (14, 0), ..plain() }, unedited),
        family("pillarbox", PairSpec { letterbox: (0, 24), ..plain() }, unedited),
        family("static box", plain(), static_box),
        family("moving box", plain(), moving_box),
        family("10-bit fg", plain(), ten_bit),
    ]
}

pub fn unedited(_: usize, f: FrameBuf) -> FrameBuf {
    f
}

pub fn scaled(scale: f64, fg_width: u32, fg_height: u32) -> PairSpec {
    PairSpec {
        scale,
        fg_width,
        fg_height,
        x: 70.0,
        y: 40.0,
        bg_frames: 160,
        fg_frames: 90,
        fg_start: 1.6,
        grade: Grade { brightness: 0.03, contrast: 1.1, gamma: 0.95 },
        ..PairSpec::default()
    }
}

/// An opaque grey box over 15 % of fg (a logo bg does not have).
pub fn static_box(_: usize, mut f: FrameBuf) -> FrameBuf {
    let (w, h) = (f.width() as usize, f.height() as usize);
    let (bw, bh) = (w * 2 / 5, h * 3 / 8); // 0.4 x 0.375 = 15 %
    for y in 4..4 + bh {
        f.row_mut(0, y)[w - bw - 4..w - 4].fill(200);
    }
    f
}

/// A 24x16 opaque box crossing fg, 2 px a frame.
pub fn moving_box(i: usize, mut f: FrameBuf) -> FrameBuf {
    let w = f.width() as usize;
    let x0 = (2 * i) % (w - 24);
    for y in 60..76 {
        f.row_mut(0, y)[x0..x0 + 24].fill(235);
    }
    f
}

/// fg as I420P10: each 8-bit sample times 4, plus the two low bits the 8-bit picture lost.
pub fn ten_bit(i: usize, f: FrameBuf) -> FrameBuf {
    let (w, h) = (f.width(), f.height());
    let mut out = FrameBuf::new(PixelFormat::I420P10, w, h).unwrap();
    for p in 0..3 {
        let rows = if p == 0 { h } else { h.div_ceil(2) } as usize;
        let cols = if p == 0 { w } else { w.div_ceil(2) } as usize;
        for y in 0..rows {
            let src: Vec<u8> = f.as_frame().row(p, y)[..cols].to_vec();
            for (x, pair) in out.row_mut(p, y)[..2 * cols].chunks_exact_mut(2).enumerate() {
                let v = (src[x] as u16) * 4 + ((x + y + i) % 4) as u16;
                pair.copy_from_slice(&v.to_le_bytes());
            }
        }
    }
    (out.pts, out.time_base) = (f.pts, f.time_base);
    out
}
