//! Helpers shared by the integration tests: descriptor tracks of synthetic pairs and scoring a
//! time map against the truth.
#![allow(dead_code)]

pub mod families;
pub mod plugin_pairs;

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
/// A frame provider over a generated pair's frames (by index; `None` past each stream's end).
pub fn pair_provider(pair: &std::sync::Arc<SyntheticPair>) -> Box<dyn vidkompy::session::analyzer::FrameProvider> {
    let given = std::sync::Arc::clone(pair);
    Box::new(move |stream: vidkompy::session::Stream, k: usize| -> Option<vidkompy::FrameBuf> {
        match stream {
            vidkompy::session::Stream::Fg => (k < given.spec.fg_frames).then(|| given.fg_frame(k)),
            vidkompy::session::Stream::Bg => (k < given.spec.bg_frames).then(|| given.bg_frame(k)),
        }
    })
}

pub fn score(pair: &SyntheticPair, map: &TimeMap) -> Score {
    let mut s = Score { frames: pair.spec.fg_frames, ..Score::default() };
    for i in 0..pair.spec.fg_frames {
        let got = map.map[i] as usize;
        let out = map.is_outside(i);
        match pair.truth(i) {
            None => {
                if out || pair.accepts(i, got) {
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

use std::path::Path;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use vidkompy::io::y4m::Y4mReader;
use vidkompy::{FrameBuf, PixelFormat};

/// `../shared/media/NAME`, if present. When it is missing the test explains why it cannot run;
/// with `VIDKOMPY_REQUIRE_MEDIA=1` (set by CI) it fails instead.
pub fn media(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media").join(name);
    if path.exists() {
        Some(path)
    } else {
        cannot_run(&format!("{} is missing", path.display()));
        None
    }
}

pub fn cannot_run(why: &str) {
    if std::env::var("VIDKOMPY_REQUIRE_MEDIA").as_deref() == Ok("1") {
        panic!("this test needs real media and FFmpeg, and VIDKOMPY_REQUIRE_MEDIA=1: {why}");
    }
    eprintln!("NOT RUN: this test needs ../shared/media and the ffmpeg command: {why}");
}

/// Decodes the first `seconds` of a video with the ffmpeg command, scaled to `width × height`,
/// as I420 frames.
pub fn decode(path: &std::path::Path, width: u32, height: u32, seconds: f64) -> Option<(Vec<FrameBuf>, f64)> {
    decode_filtered(path, &format!("scale={width}:{height}:flags=area"), seconds)
}

/// Decodes the first `seconds` of a video with the ffmpeg command through the video `filters`
/// (frames a filter drops are left out, not repeated), as I420 frames.
pub fn decode_filtered(path: &std::path::Path, filters: &str, seconds: f64) -> Option<(Vec<FrameBuf>, f64)> {
    let child = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-t", &seconds.to_string(), "-vf", filters, "-vsync", "passthrough", "-pix_fmt", "yuv420p"])
        .args(["-f", "yuv4mpegpipe", "-"])
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            cannot_run(&format!("cannot run ffmpeg: {e}"));
            return None;
        }
    };
    let stdout = child.stdout.take().unwrap();
    let mut reader = Y4mReader::new(stdout).expect("ffmpeg writes valid Y4M");
    let fps = reader.header().fps_num as f64 / reader.header().fps_den as f64;
    let mut frames = Vec::new();
    while let Some(f) = reader.read_frame().expect("ffmpeg writes whole frames") {
        frames.push(FrameBuf::from_frame(&f).unwrap());
    }
    assert!(child.wait().unwrap().success(), "ffmpeg failed on {}", path.display());
    Some((frames, fps))
}

/// A crop of an I420 frame, luma graded as in `vidkompy::synth::Grade`, with hash noise.
pub fn crop_grade(src: &FrameBuf, rect: Rect, grade: vidkompy::synth::Grade, noise: f64, seed: u64) -> FrameBuf {
    assert_eq!(src.format(), PixelFormat::I420);
    assert!(rect.x.is_multiple_of(2) && rect.y.is_multiple_of(2));
    let mut out = FrameBuf::new(PixelFormat::I420, rect.width, rect.height).unwrap();
    let f = src.as_frame();
    let mut state = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    for y in 0..rect.height as usize {
        let row = &f.row(0, rect.y as usize + y)[rect.x as usize..(rect.x + rect.width) as usize];
        for (o, &v) in out.row_mut(0, y).iter_mut().zip(row) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let n = ((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 2.0 * noise;
            let g = (v as f64 / 255.0).powf(grade.gamma);
            *o = (((g - 0.5) * grade.contrast + 0.5 + grade.brightness) * 255.0 + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    for p in 1..3 {
        for y in 0..rect.height.div_ceil(2) as usize {
            let row = &f.row(p, rect.y as usize / 2 + y)[rect.x as usize / 2..][..rect.width.div_ceil(2) as usize];
            out.row_mut(p, y).copy_from_slice(row);
        }
    }
    out
}

/// Mean absolute luma difference of two frames of the same size.
pub fn luma_mad(a: &FrameBuf, b: &FrameBuf) -> f64 {
    let (fa, fb) = (a.as_frame(), b.as_frame());
    let mut total = 0u64;
    for y in 0..a.height() as usize {
        total += fa.row(0, y).iter().zip(fb.row(0, y)).map(|(&x, &y)| x.abs_diff(y) as u64).sum::<u64>();
    }
    total as f64 / (a.width() as f64 * a.height() as f64)
}

/// target/<profile> of the running test binary (where the cdylib is).
pub fn library_dir() -> PathBuf {
    // target/<profile>/deps/c_api-<hash> -> target/<profile>
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf()
}

/// Builds examples/c/vidkompy_host.c (a C host decoding with libavformat) against the cdylib,
/// once per test binary; `None` (having said why) when the FFmpeg development libraries are
/// missing.
pub fn build_c_host() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let pkg = Command::new("pkg-config")
                .args(["--cflags", "--libs", "libavformat", "libavcodec", "libswscale", "libavutil"])
                .output();
            let flags = match pkg {
                Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).to_string(),
                _ => {
                    cannot_run("the FFmpeg development libraries (libavformat-dev ...) are not installed");
                    return None;
                }
            };
            build_cdylib();
            let lib_dir = library_dir();
            let dir = lib_dir.join("example-host");
            std::fs::create_dir_all(&dir).unwrap();
            let exe = dir.join("vidkompy_host");
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
                .args(["-std=c99", "-Wall", "-Wextra", "-Werror"])
                .arg(root.join("examples/c/vidkompy_host.c"))
                .arg("-I")
                .arg(root.join("include"))
                .arg(format!("-L{}", lib_dir.display()))
                .arg(format!("-Wl,-rpath,{}", lib_dir.join("c-tests").display()))
                .arg("-lvidkompy")
                .args(flags.split_whitespace())
                .arg("-o")
                .arg(&exe)
                .output()
                .expect("run the C compiler");
            assert!(out.status.success(), "cc examples/c/vidkompy_host.c: {}", String::from_utf8_lossy(&out.stderr));
            Some(exe)
        })
        .clone()
}

/// Writes `frames` (all of one shape) as a Y4M file at `fps`.
pub fn write_y4m(path: &Path, frames: &[FrameBuf], fps: u32) {
    let f0 = &frames[0];
    let file = std::fs::File::create(path).unwrap();
    let mut w = vidkompy::io::y4m::Y4mWriter::new(file, f0.format(), f0.width(), f0.height(), fps, 1).unwrap();
    for f in frames {
        w.write_frame(&f.as_frame()).unwrap();
    }
    w.flush().unwrap();
}

/// `cargo test` builds the library only as an rlib for the tests; build the cdylib once.
pub fn build_cdylib() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--lib", "--manifest-path"]).arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        if library_dir().file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build for the cdylib");
        assert!(status.success(), "cargo build --lib failed");
        // The cdylib's SONAME is libvidkompy.so.MAJOR, as an installed library would be named;
        // give the loader that name beside the test programs.
        let lib_dir = library_dir();
        let out_dir = lib_dir.join("c-tests");
        std::fs::create_dir_all(&out_dir).unwrap();
        let soname = out_dir.join(format!("libvidkompy.so.{}", env!("CARGO_PKG_VERSION_MAJOR")));
        let _ = std::fs::remove_file(&soname);
        std::os::unix::fs::symlink(lib_dir.join("libvidkompy.so"), &soname).expect("link the SONAME");
    });
}

/// A fresh folder under the system's temporary folder, removed with everything in it when the
/// test is done with it (also when the test fails), so test runs do not fill the disk.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// `vidkompy-{group}-{process id}-{name}`, emptied if a killed run left it behind.
    pub fn new(group: &str, name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("vidkompy-{group}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // VIDKOMPY_KEEP_TEMP=1 keeps the pairs a test made, to look at them.
        if std::env::var_os("VIDKOMPY_KEEP_TEMP").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
