//! Times `locate` on one core for the placement comparison script
//! (benches/placement_vs_opencv.sh): a 1280×720 fg in a 1920×1080 bg (the criterion bench's
//! pair, and a real frame pair when given), written as PGM for the other side of the
//! comparison. Usage: placement_timing OUT_DIR [FG.pgm BG.pgm]
use std::time::Instant;

use vidkompy::spatial::locate;
use vidkompy::synth::{PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, PixelFormat, Settings};

fn write_pgm(path: &std::path::Path, f: &FrameBuf) {
    let mut bytes = format!("P5\n{} {}\n255\n", f.width(), f.height()).into_bytes();
    for y in 0..f.height() as usize {
        bytes.extend_from_slice(&f.as_frame().row(0, y)[..f.width() as usize]);
    }
    std::fs::write(path, bytes).unwrap();
}

fn read_pgm(path: &str) -> FrameBuf {
    let data = std::fs::read(path).unwrap();
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while data[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !data[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..at]).to_string());
    }
    at += 1;
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let mut f = FrameBuf::new(PixelFormat::Gray8, w, h).unwrap();
    for y in 0..h as usize {
        let row = &data[at + y * w as usize..at + (y + 1) * w as usize];
        f.row_mut(0, y).copy_from_slice(row);
    }
    f
}

/// Median milliseconds of `runs` calls.
fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms[runs / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).expect("usage: placement_timing OUT_DIR [FG.pgm BG.pgm]"));
    let (fg, bg, name) = match (args.get(2), args.get(3)) {
        (Some(f), Some(b)) => (read_pgm(f), read_pgm(b), "real"),
        _ => {
            let spec = PairSpec::placement_bench();
            let pair = SyntheticPair::new(spec);
            (pair.fg_frame(3), pair.bg_frame(3), "synthetic")
        }
    };
    write_pgm(&out.join(format!("{name}-fg.pgm")), &fg);
    write_pgm(&out.join(format!("{name}-bg.pgm")), &bg);
    let (f, b) = ([fg.as_frame()], [bg.as_frame()]);
    let defaults = Settings::default();
    let pinned = Settings { scale_search: false, ..Settings::default() };
    let p = locate(&f, &b, &defaults).unwrap();
    let default_ms = time(15, || drop(locate(&f, &b, &defaults)));
    let pinned_ms = time(15, || drop(locate(&f, &b, &pinned)));
    println!(
        "{name}: vidkompy locate found ({}, {}) scale {}: default {default_ms:.1} ms, scale 1 pinned {pinned_ms:.1} ms (ratio {:.2})",
        p.x,
        p.y,
        p.scale,
        default_ms / pinned_ms
    );
}
