use vidkompy::Settings;
use vidkompy::spatial::locate;
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};
fn run(scale: f64, fw: u32, fh: u32, x: f64, y: f64, search: bool) {
    let spec = PairSpec {
        bg_width: 1920,
        bg_height: 1080,
        fg_width: fw,
        fg_height: fh,
        x,
        y,
        scale,
        fg_start: 0.0,
        bg_frames: 10,
        fg_frames: 10,
        grade: Grade { brightness: 0.05, contrast: 1.1, gamma: 0.95 },
        ..PairSpec::default()
    };
    let pair = SyntheticPair::new(spec);
    let (fg, bg) = (pair.fg_frame(3), pair.bg_frame(3));
    let settings = Settings { scale_search: search, ..Settings::default() };
    let t = std::time::Instant::now();
    let n = 5;
    let mut p = None;
    for _ in 0..n {
        p = Some(locate(&[fg.as_frame()], &[bg.as_frame()], &settings));
    }
    let ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    match p.unwrap() {
        Ok(p) => println!(
            "truth {scale} ({x},{y}) search={search}: found {} ({},{}) conf {:.3} in {ms:.1} ms",
            p.scale, p.x, p.y, p.confidence
        ),
        Err(e) => println!("truth {scale}: {e} in {ms:.1} ms"),
    }
}
fn main() {
    run(1.0, 1280, 720, 311.0, 173.0, false);
    run(1.0, 1280, 720, 311.0, 173.0, true);
    run(0.5, 1280, 720, 311.0, 173.0, true);
    run(0.75, 1280, 720, 311.0, 173.0, true);
    run(1.5, 640, 360, 311.0, 173.0, true);
    run(2.0, 640, 360, 311.0, 173.0, true);
}
