//! A repetitive scene: a tiled texture scrolling at a pixel a frame repeats itself every tile
//! in space and every tile's width in frames, so many placements and many starts look alike.
//! A faint aperiodic component (a slowly drifting blob) makes one of them right. The analyzer
//! must find that one exactly, or refuse (as ambiguous, or as not matching), never answer a
//! lookalike with OK.

mod common;

use vidkompy::session::{Analyzer, Stream};
use vidkompy::{FrameBuf, PixelFormat, Rect, Settings, Status, TimeBase};

const TILE: usize = 25;
const W: u32 = 640;
const H: u32 = 360;

fn tile_value(x: usize, y: usize) -> f64 {
    // A fixed pseudo-random tile.
    let h = ((x % TILE) * 7919 + (y % TILE) * 104729) as u64;
    let h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56;
    60.0 + h as f64 * 0.5
}

fn bg_frame(t: usize, blob: f64) -> FrameBuf {
    let mut f = FrameBuf::new(PixelFormat::Gray8, W, H).unwrap();
    let (bx, by) = (100.0 + 1.3 * t as f64, 120.0 + 0.4 * t as f64);
    for y in 0..H as usize {
        for (x, v) in f.row_mut(0, y).iter_mut().enumerate() {
            let d2 = ((x as f64 - bx).powi(2) + (y as f64 - by).powi(2)) / (2.0 * 60.0f64.powi(2));
            *v = (tile_value(x + t, y) + blob * (-d2).exp()).clamp(0.0, 255.0) as u8;
        }
    }
    f
}

fn crop(src: &FrameBuf, r: Rect) -> FrameBuf {
    let mut f = FrameBuf::new(PixelFormat::Gray8, r.width, r.height).unwrap();
    for y in 0..r.height as usize {
        let row = src.as_frame().row(0, r.y as usize + y)[r.x as usize..(r.x + r.width) as usize].to_vec();
        f.row_mut(0, y).copy_from_slice(&row);
    }
    f
}

/// fg's place in bg, and the bg frame under fg's first frame.
const AT: Rect = Rect { x: 112, y: 66, width: 320, height: 180 };
const START: usize = 150;

/// bg (300 frames) and fg (100 frames of it from `START`, cropped at `AT`).
fn scene(blob: f64) -> (Vec<FrameBuf>, Vec<FrameBuf>) {
    let bg: Vec<FrameBuf> = (0..300).map(|t| bg_frame(t, blob)).collect();
    let fg = (START..START + 100).map(|t| crop(&bg[t], AT)).collect();
    (bg, fg)
}

/// Before: placement (16, 16) and a start 79 frames early, confidences 0.998 and 0.996, OK.
#[test]
fn a_scrolling_tiled_scene_is_exact_or_refused_as_ambiguous() {
    for blob in [20.0, 8.0, 3.0] {
        let (bg, fg) = scene(blob);
        let (at, start) = (AT, START);
        let mut a = Analyzer::new(Settings::default());
        let tb = TimeBase::new(1, 25);
        for (j, f) in bg.iter().enumerate() {
            a.push(Stream::Bg, Some(&f.as_frame().with_pts(j as i64, tb))).unwrap();
        }
        for (i, f) in fg.iter().enumerate() {
            a.push(Stream::Fg, Some(&f.as_frame().with_pts(i as i64, tb))).unwrap();
        }
        a.push(Stream::Fg, None).unwrap();
        a.push(Stream::Bg, None).unwrap();
        match a.finish() {
            Ok(al) => {
                let p = al.placement;
                let exact = (0..fg.len()).filter(|&i| al.time.map[i] as usize == start + i).count();
                eprintln!(
                    "blob {blob}: placement ({}, {}) conf {:.3}, {exact} of {} exact, time conf {:.3}, start {}",
                    p.x,
                    p.y,
                    p.confidence,
                    fg.len(),
                    al.time.overall_confidence,
                    al.time.map[0]
                );
                assert_eq!((p.x, p.y), (at.x as i32, at.y as i32), "blob {blob}: a lookalike placement with OK");
                assert_eq!(exact, fg.len(), "blob {blob}: a lookalike start with OK");
            }
            // Refused as ambiguous, or as matching too few frames at the place it settled on.
            Err(e) => {
                eprintln!("blob {blob}: refused: {e}");
                assert!(matches!(e.status(), Status::Ambiguous | Status::NoMatch), "blob {blob}: {e}");
            }
        }
    }
}

/// The same scene through `vidkompy comp` on both paths: exit 1 naming both places, nothing
/// written.
#[test]
fn comp_refuses_the_repetitive_scene_on_both_paths() {
    let d = common::TempDir::new("repetitive", "comp");
    let (bg, fg) = scene(20.0);
    let (bg_path, fg_path) = (d.join("bg.y4m"), d.join("fg.y4m"));
    common::write_y4m(&bg_path, &bg, 25);
    common::write_y4m(&fg_path, &fg, 25);
    for path in ["two-pass", "one-pass", "auto"] {
        let (out, report) = (d.join(format!("out-{path}.y4m")), d.join(format!("report-{path}.json")));
        let r = std::process::Command::new(env!("CARGO_BIN_EXE_vidkompy"))
            .args(["comp", "-q", "--path", path, "--bg"])
            .arg(&bg_path)
            .arg("--fg")
            .arg(&fg_path)
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&report)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{path}: {stderr}");
        assert!(stderr.contains("two placements score alike"), "{path}: {stderr}");
        assert!(!out.exists() && !report.exists(), "{path}: something was written");
    }
}
