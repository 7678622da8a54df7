//! The vidkompy binary on Y4M files made from generated pairs with known truth: `comp` and
//! `align` results, output frame count and rate, and every error case with its exit code,
//! leaving no partial output.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use vidkompy::FrameBuf;
use vidkompy::alignment::Alignment;
use vidkompy::io::y4m::{Y4mReader, Y4mWriter};
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vidkompy"))
}

/// `vidkompy comp -q --bg BG --fg FG -o OUT`, to add options to.
fn comp_cmd(bg: &Path, fg: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.args(["comp", "-q", "--bg"]).arg(bg).arg("--fg").arg(fg).arg("-o").arg(out);
    c
}

/// A temporary folder for one test, removed when the test ends.
fn dir(name: &str) -> common::TempDir {
    common::TempDir::new("cli", name)
}

/// Writes the pair's bg and fg as Y4M files.
fn write_pair(pair: &SyntheticPair, d: &Path) -> (PathBuf, PathBuf) {
    let s = &pair.spec;
    let (bg, fg) = (d.join("bg.y4m"), d.join("fg.y4m"));
    let mut w = Y4mWriter::new(
        std::fs::File::create(&bg).unwrap(),
        vidkompy::PixelFormat::I420,
        s.bg_width,
        s.bg_height,
        s.bg_fps as u32,
        1,
    )
    .unwrap();
    for j in 0..s.bg_frames {
        w.write_frame(&pair.bg_frame(j).as_frame()).unwrap();
    }
    let mut w = Y4mWriter::new(
        std::fs::File::create(&fg).unwrap(),
        vidkompy::PixelFormat::I420,
        s.fg_width,
        s.fg_height,
        s.fg_fps as u32,
        1,
    )
    .unwrap();
    for i in 0..s.fg_frames {
        w.write_frame(&pair.fg_frame(i).as_frame()).unwrap();
    }
    (bg, fg)
}

fn spec() -> PairSpec {
    PairSpec {
        bg_frames: 150,
        fg_frames: 90,
        bg_fps: 25.0,
        fg_fps: 30.0,
        fg_start: 0.52,
        grade: Grade { brightness: 0.05, contrast: 1.1, gamma: 0.95 },
        ..PairSpec::default()
    }
}

#[test]
fn comp_on_y4m_files_matches_the_truth() {
    let d = dir("comp");
    let pair = SyntheticPair::new(spec());
    let (bg, fg) = write_pair(&pair, &d);
    let report = d.join("report.json");
    let out =
        bin().args(["comp", "-q", "--bg"]).arg(&bg).arg("--fg").arg(&fg).arg("--report").arg(&report).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Default name: {bg_stem}_overlay_{fg_stem}.y4m beside bg (.mp4 with FFmpeg).
    let composite = d.join(if cfg!(feature = "ffmpeg") { "bg_overlay_fg.mp4" } else { "bg_overlay_fg.y4m" });
    if cfg!(feature = "ffmpeg") {
        let probe = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-count_frames",
                "-show_entries",
                "stream=nb_read_frames,r_frame_rate",
                "-of",
                "csv=p=0",
            ])
            .arg(&composite)
            .output()
            .expect("ffprobe comes with FFmpeg");
        assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "30/1,90", "fg's rate and frame count");
    } else {
        let mut r = Y4mReader::new(std::fs::File::open(&composite).unwrap()).unwrap();
        assert_eq!((r.header().fps_num, r.header().fps_den), (30, 1), "fg's rate");
        let mut frames = 0;
        while r.read_frame().unwrap().is_some() {
            frames += 1;
        }
        assert_eq!(frames, 90, "one output frame per fg frame");
    }
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("\"timings_ms\""));
    let a = Alignment::from_json(&json).unwrap();
    // fg at 30 fps over bg at 25 fps in a pan: the placement is located on frame pairs that
    // are at most a fraction of a frame apart, where the pan and a pixel of shift trade off.
    let p = a.placement;
    assert!((p.x - 64).abs() <= 2 && (p.y - 36).abs() <= 2 && p.scale == 1.0, "{p:?}");
    let exact = (0..90).filter(|&i| pair.accepts(i, a.time.map[i] as usize)).count();
    assert!(exact >= 90 * 995 / 1000, "{exact} of 90 exact");
    // No temporary files left.
    let names: Vec<String> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");

    // An existing output is not overwritten without -y, and is left untouched.
    let before = std::fs::metadata(&composite).unwrap().len();
    let again = bin().args(["comp", "-q", "--bg"]).arg(&bg).arg("--fg").arg(&fg).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists (use -y to overwrite)"));
    assert_eq!(std::fs::metadata(&composite).unwrap().len(), before);
    let forced = bin()
        .args(["comp", "-q", "-y", "--placement", "64,36", "--bg"])
        .arg(&bg)
        .arg("--fg")
        .arg(&fg)
        .output()
        .unwrap();
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
}

#[test]
fn comp_finds_the_exact_placement_when_frames_coincide() {
    let d = dir("exact");
    let pair = SyntheticPair::new(PairSpec { fg_fps: 25.0, fg_frames: 60, bg_frames: 100, fg_start: 0.8, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let report = d.join("r.json");
    let out = bin()
        .args(["comp", "-q", "--bg"])
        .arg(&bg)
        .arg("--fg")
        .arg(&fg)
        .arg("-o")
        .arg(d.join("o.y4m"))
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!((a.placement.x, a.placement.y, a.placement.scale), (64, 36, 1.0));
    assert!((0..60).all(|i| pair.accepts(i, a.time.map[i] as usize)));
}

#[test]
fn align_prints_the_placement() {
    let d = dir("align");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 60, fg_frames: 30, fg_fps: 25.0, fg_start: 0.4, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let out = bin().arg("align").arg(&fg).arg(&bg).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"x\": 64, \"y\": 36"), "{text}");
}

#[test]
fn errors_have_their_exit_codes_and_leave_nothing_behind() {
    let d = dir("errors");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 40, fg_frames: 20, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let out_path = d.join("out.y4m");
    let run = |args: &[&str]| bin().args(args).output().unwrap();
    let s = |p: &Path| p.to_string_lossy().to_string();

    // Missing input: exit 2, the message names the file.
    let missing = d.join("nope.y4m");
    let r = run(&["comp", "-q", "--bg", &s(&missing), "--fg", &s(&fg), "-o", &s(&out_path)]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("nope.y4m"));

    // Not Y4M: without the ffmpeg feature, exit 2 saying why; with it, not a video.
    let mp4 = d.join("clip.mp4");
    std::fs::write(&mp4, b"not really").unwrap();
    let r = run(&["comp", "-q", "--bg", &s(&mp4), "--fg", &s(&fg), "-o", &s(&out_path)]);
    assert_eq!(r.status.code(), Some(2));
    let why = if cfg!(feature = "ffmpeg") { "clip.mp4" } else { "ffmpeg" };
    assert!(String::from_utf8_lossy(&r.stderr).contains(why), "{}", String::from_utf8_lossy(&r.stderr));

    // Corrupt input: a truncated Y4M. (FFmpeg reads such a file up to its last whole frame;
    // tests/cli_ffmpeg.rs covers corrupt input there.)
    #[cfg(not(feature = "ffmpeg"))]
    {
        let bytes = std::fs::read(&bg).unwrap();
        let cut = d.join("cut.y4m");
        std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
        let r = run(&["comp", "-q", "--placement", "64,36", "--bg", &s(&cut), "--fg", &s(&fg), "-o", &s(&out_path)]);
        assert_eq!(r.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&r.stderr).contains("truncated"), "{}", String::from_utf8_lossy(&r.stderr));
    }

    // No match: exit 1, with the score.
    let other = SyntheticPair::new(PairSpec { seed: 99, bg_frames: 40, fg_frames: 20, ..spec() });
    let od = d.join("other");
    std::fs::create_dir_all(&od).unwrap();
    let (_, other_fg) = write_pair(&other, &od);
    let r =
        run(&["comp", "-q", "--min-confidence", "0.9", "--bg", &s(&bg), "--fg", &s(&other_fg), "-o", &s(&out_path)]);
    assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no match"));

    // An unwritable directory.
    let r =
        run(&["comp", "-q", "--placement", "64,36", "--bg", &s(&bg), "--fg", &s(&fg), "-o", "/proc/vidkompy/out.y4m"]);
    assert_eq!(r.status.code(), Some(2));

    // Usage errors.
    assert_eq!(run(&["comp", "--fg", &s(&fg)]).status.code(), Some(2));
    assert_eq!(run(&["comp", "--bg", &s(&bg), "--fg", &s(&fg), "--placement", "1,x"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));

    // None of the failures left an output or a temporary file.
    assert!(!out_path.exists());
    let names: Vec<String> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    assert!(names.iter().all(|n| !n.contains("partial") && n != "out.y4m"), "{names:?}");
}

#[test]
fn outputs_never_overwrite_inputs_or_each_other() {
    let d = dir("identity");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 20, fg_frames: 10, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let (bg_bytes, fg_bytes) = (std::fs::read(&bg).unwrap(), std::fs::read(&fg).unwrap());
    let s = |p: &Path| p.to_string_lossy().to_string();
    let link = d.join("link.y4m");
    std::os::unix::fs::symlink(&bg, &link).unwrap();
    let out = d.join("out.y4m");
    let cases: [(&[String], &str); 5] = [
        (&["-o".into(), s(&bg)], "-o"),
        (&["-o".into(), s(&d.join("sub/../fg.y4m"))], "-o"),
        (&["-o".into(), s(&link)], "-o"),
        (&["-o".into(), s(&out), "--report".into(), s(&fg)], "--report"),
        (&["-o".into(), s(&out), "--report".into(), s(&out)], "--report"),
    ];
    std::fs::create_dir_all(d.join("sub")).unwrap();
    for (extra, named) in cases {
        let r = bin()
            .args(["comp", "-q", "-y", "--placement", "64,36", "--bg", &s(&bg), "--fg", &s(&fg)])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(&format!("{named} ")) && err.contains("same file as"), "{extra:?}: {err}");
    }
    assert_eq!(std::fs::read(&bg).unwrap(), bg_bytes, "bg was changed");
    assert_eq!(std::fs::read(&fg).unwrap(), fg_bytes, "fg was changed");
    let mut names: Vec<String> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    assert_eq!(names, ["bg.y4m", "fg.y4m", "link.y4m", "sub"], "nothing else was written");
}

/// A given placement that overhangs bg's right edge: the analysis matches the part of fg
/// inside bg, whichever stream the job reads first.
#[test]
fn a_placement_overhanging_bg_composites() {
    let d = dir("overhang");
    let pair = SyntheticPair::new(PairSpec { x: 200.0, bg_frames: 60, fg_frames: 30, fg_start: 0.4, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let (out, report) = (d.join("out.y4m"), d.join("out.json"));
    let r = bin()
        .args(["comp", "-q", "--placement", "200,36", "--bg"])
        .arg(&bg)
        .arg("--fg")
        .arg(&fg)
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let exact = (0..30).filter(|&i| pair.accepts(i, a.time.map[i] as usize)).count();
    assert!(exact >= 30 * 995 / 1000, "{exact} of 30 exact");
}

/// fg from another world: the time map finds none of its frames in bg, so `comp` refuses
/// with exit 1 and writes nothing, unless --accept-partial.
#[test]
fn fg_not_in_bg_is_refused_unless_accepted() {
    let d = dir("notinbg");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 60, fg_frames: 30, fg_start: 0.4, ..spec() });
    let (bg, _) = write_pair(&pair, &d);
    let other = SyntheticPair::new(PairSpec { seed: 99, bg_frames: 60, fg_frames: 30, ..spec() });
    let od = d.join("other");
    std::fs::create_dir_all(&od).unwrap();
    let (_, other_fg) = write_pair(&other, &od);
    let (out, report) = (d.join("out.y4m"), d.join("out.json"));
    let run = |extra: &[&str]| {
        bin()
            .args(["comp", "-q", "--placement", "64,36", "--bg"])
            .arg(&bg)
            .arg("--fg")
            .arg(&other_fg)
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&report)
            .args(extra)
            .output()
            .unwrap()
    };
    let r = run(&[]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(err.contains("fg frames have no counterpart in bg"), "{err}");
    assert!(!out.exists() && !report.exists());
    let r = run(&["--accept-partial"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(a.time.outside.len() * 2 > a.fg_frames, "the report names the frames outside bg");
}

/// Writes frames (all of one format and size) as a Y4M file at `fps`.
/// Every placement family (scales 0.5 to 2, letterbox and pillarbox, burned-in graphics, a
/// 10-bit fg) through `comp` on Y4M files, no placement given: the exact position of fg's
/// content, the scale within 0.5 %, and at least 99.5 % of frames exact.
#[test]
fn comp_places_every_family_exactly() {
    for family in common::families::all() {
        let d = dir("families");
        let pair = SyntheticPair::new(family.spec.clone());
        let s = &pair.spec;
        let fg: Vec<FrameBuf> = (0..s.fg_frames).map(|i| (family.edit)(i, pair.fg_frame(i))).collect();
        let bg: Vec<FrameBuf> = (0..s.bg_frames).map(|j| pair.bg_frame(j)).collect();
        let (fg_path, bg_path, report) = (d.join("fg.y4m"), d.join("bg.y4m"), d.join("r.json"));
        common::write_y4m(&fg_path, &fg, s.fg_fps as u32);
        common::write_y4m(&bg_path, &bg, s.bg_fps as u32);
        let out = bin()
            .args(["comp", "-q", "--bg"])
            .arg(&bg_path)
            .arg("--fg")
            .arg(&fg_path)
            .arg("-o")
            .arg(d.join("out.y4m"))
            .arg("--report")
            .arg(&report)
            .output()
            .unwrap();
        let name = family.name;
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let p = a.placement;
        assert_eq!((p.x, p.y), (s.x.round() as i32, s.y.round() as i32), "{name}: {p:?}");
        assert!((p.scale / s.scale - 1.0).abs() <= 0.005, "{name}: {p:?}");
        assert_eq!((p.content.x, p.content.y), (s.letterbox.1, s.letterbox.0), "{name}: {p:?}");
        let score = common::score(&pair, &a.time);
        assert!(score.exact * 1000 >= score.frames * 995, "{name}: {score:?}");
    }
}

/// fg starting beyond the live session's first window of bg: `--path one-pass` slides the
/// window on to it (it used to give up after two windows: exit 1). `--path auto` on Y4M (no
/// keyframes to scout) falls back to two passes after one window and says so in the report (it
/// did not when the window's end came from a send rather than a receive); on a container the
/// scout finds fg's span first and the one pass reads bg there.
#[test]
fn path_auto_falls_back_to_two_passes_when_fg_starts_beyond_the_window() {
    let d = dir("auto");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 300, fg_frames: 60, fg_start: 8.0, ..PairSpec::default() });
    let (bg, fg) = write_pair(&pair, &d);
    let comp = |path: &str, out: &Path, report: &Path| {
        bin()
            // The placement given keeps each start analysis cheap (the time map alone).
            .args(["comp", "-q", "--live-lag", "8", "--placement", "64,36", "--path", path, "--bg"])
            .arg(&bg)
            .arg("--fg")
            .arg(&fg)
            .arg("-o")
            .arg(out)
            .arg("--report")
            .arg(report)
            .output()
            .unwrap()
    };
    let ext = if cfg!(feature = "ffmpeg") { "mkv" } else { "y4m" };
    let (out, report) = (d.join(format!("once.{ext}")), d.join("once.json"));
    let r = comp("one-pass", &out, &report);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let a = vidkompy::alignment::Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!((0..60).all(|i| pair.accepts(i, a.time.map[i] as usize)), "{:?}", a.time.map);
    let (out, report) = (d.join(format!("auto.{ext}")), d.join("auto.json"));
    let r = comp("auto", &out, &report);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let json = std::fs::read_to_string(&report).unwrap();
    let path = if cfg!(feature = "ffmpeg") { "scout+one-pass" } else { "two-pass" };
    assert!(json.contains(&format!("\"path\": \"{path}\"")), "{json}");
    let a = vidkompy::alignment::Alignment::from_json(&json).unwrap();
    assert!((0..60).all(|i| pair.accepts(i, a.time.map[i] as usize)), "{:?}", a.time.map);
}

/// A run whose stderr is closed (`2>&1 | head -c1`) still writes its composite: status lines
/// are lost, not fatal.
#[test]
fn a_closed_stderr_does_not_fail_the_run() {
    let d = dir("closed-stderr");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 40, fg_frames: 20, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let out_path = d.join("out.y4m");
    let mut child = bin()
        .args(["comp", "-v", "--bg"])
        .arg(&bg)
        .arg("--fg")
        .arg(&fg)
        .arg("-o")
        .arg(&out_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(out_path.exists());
    // `demo` prints on stdout: a closed stdout does not fail it either.
    let mut demo = bin().args(["demo", "-o"]).arg(d.join("demo")).stdout(std::process::Stdio::piped()).spawn().unwrap();
    drop(demo.stdout.take());
    assert!(demo.wait().unwrap().success());
}

/// File names are bytes: a Latin-1 name (not UTF-8) works as input and output.
#[test]
fn file_names_need_not_be_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let d = dir("latin1");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 40, fg_frames: 20, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let latin1 = |stem: &[u8]| d.join(std::ffi::OsStr::from_bytes(&[stem, b"-caf\xe9.y4m"].concat()));
    let (bg_l, fg_l, out_l) = (latin1(b"bg"), latin1(b"fg"), latin1(b"out"));
    std::fs::rename(&bg, &bg_l).unwrap();
    std::fs::rename(&fg, &fg_l).unwrap();
    let r =
        bin().args(["comp", "-q", "--bg"]).arg(&bg_l).arg("--fg").arg(&fg_l).arg("-o").arg(&out_l).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out_l.exists());
    let r = bin().arg("align").arg(&fg_l).arg(&bg_l).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}

/// Signals that end the process remove its temporary files first; the process still ends by
/// the signal.
#[test]
fn ending_signals_leave_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    let d = dir("signals");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 150, fg_frames: 90, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    for signal in [libc::SIGUSR1, libc::SIGALRM, libc::SIGXCPU, libc::SIGTERM] {
        let mut child = comp_cmd(&bg, &fg, &d.join("out.y4m")).spawn().unwrap();
        let partial =
            || std::fs::read_dir(&*d).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".partial"));
        let started = std::time::Instant::now();
        while !partial() && started.elapsed().as_secs() < 20 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // SAFETY: signals our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(signal), "signal {signal}: {status:?}");
        assert!(!partial(), "signal {signal} left a temporary file");
        assert!(!d.join("out.y4m").exists());
    }
}

/// A usage error is one line (the usage is `--help`); encoder values no encoder takes are
/// refused before any work.
#[test]
fn usage_errors_are_one_line_and_bad_values_are_refused() {
    let d = dir("usage");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 40, fg_frames: 20, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let r = bin().args(["comp", "--frobnicate"]).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&r.stderr).lines().count(), 1, "{}", String::from_utf8_lossy(&r.stderr));
    let help = bin().arg("--help").output().unwrap();
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("vidkompy comp"));
    for (flag, value) in [("--crf", "99999999999999999999"), ("--crf", "-1"), ("--bitrate", "0"), ("--preset", "")] {
        let r = comp_cmd(&bg, &fg, &d.join("out.y4m")).args([flag, value]).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
    assert!(!d.join("out.y4m").exists());
}

/// A full disk: the run fails with exit 2 naming the output (not its hidden temporary) and
/// the cause, and leaves nothing. Needs root to mount a 1 MiB tmpfs; says so otherwise.
#[test]
fn a_full_disk_is_named_and_leaves_nothing() {
    let d = dir("disk-full");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 60, fg_frames: 40, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    let small = d.join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"]).arg(&small).output();
    if !mounted.as_ref().is_ok_and(|m| m.status.success()) {
        eprintln!("NOT RUN: mounting a 1 MiB tmpfs needs root: {mounted:?}");
        return;
    }
    let unmount = || Command::new("umount").arg(&small).status();
    for path in ["auto", "two-pass"] {
        let r = comp_cmd(&bg, &fg, &small.join("out.y4m")).args(["--path", path]).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr).to_string();
        let left = std::fs::read_dir(&small).unwrap().count();
        let ok = r.status.code() == Some(2)
            && err.to_lowercase().contains("no space left on device")
            && err.contains("out.y4m")
            && !err.contains(".partial")
            && left == 0;
        if !ok {
            let _ = unmount();
            panic!("--path {path}: exit {:?}, {left} files left: {err}", r.status.code());
        }
    }
    unmount().unwrap();
}

/// Every failure names the files it is about, even when the library's message cannot (it
/// knows frames, not files).
#[test]
fn failures_name_the_files() {
    let d = dir("named");
    let pair = SyntheticPair::new(PairSpec { bg_frames: 30, fg_frames: 20, fg_start: 0.2, ..spec() });
    let (bg, fg) = write_pair(&pair, &d);
    // fg and bg swapped, scale pinned to 1: the bigger picture cannot sit in the smaller one.
    let r = comp_cmd(&fg, &bg, &d.join("out.y4m")).args(["--scale", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("bg.y4m") && err.contains("fg.y4m"), "{err}");
    // A bg with a header and no frame.
    let empty = d.join("empty.y4m");
    let header: Vec<u8> = std::fs::read(&bg).unwrap().into_iter().take_while(|&b| b != b'\n').chain([b'\n']).collect();
    std::fs::write(&empty, header).unwrap();
    let r = bin()
        .args(["comp", "-q", "--bg"])
        .arg(&empty)
        .arg("--fg")
        .arg(&fg)
        .arg("-o")
        .arg(d.join("out.y4m"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("empty.y4m"), "{err}");
    assert!(!d.join("out.y4m").exists());
}

/// fg's shots in another order than bg's (a later shot, then an earlier one), through `comp`
/// on Y4M files, which cannot seek: pass 2 reopens bg and reads it again up to the second
/// shot's first frame. Every frame's map is the truth, and each output frame shows its own bg
/// frame around fg (row 0 lies above fg's placement).
#[test]
fn shots_in_another_order_are_composited_over_their_own_bg_frames() {
    let d = dir("reordered");
    let pair = SyntheticPair::new(PairSpec { fg_start: 1.0, fg_frames: 200, bg_frames: 300, ..PairSpec::default() });
    let picked: Vec<usize> = (120..200).chain(10..70).collect();
    let fg: Vec<FrameBuf> = picked.iter().map(|&k| pair.fg_frame(k)).collect();
    let bg: Vec<FrameBuf> = (0..pair.spec.bg_frames).map(|j| pair.bg_frame(j)).collect();
    let (fg_path, bg_path, out_path, report) =
        (d.join("fg.y4m"), d.join("bg.y4m"), d.join("out.y4m"), d.join("r.json"));
    common::write_y4m(&fg_path, &fg, pair.spec.fg_fps as u32);
    common::write_y4m(&bg_path, &bg, pair.spec.bg_fps as u32);
    let out =
        comp_cmd(&bg_path, &fg_path, &out_path).args(["--path", "two-pass", "--report"]).arg(&report).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let truth: Vec<usize> = picked.iter().map(|&k| pair.truth(k).unwrap()).collect();
    let got: Vec<usize> = a.time.map.iter().map(|&j| j as usize).collect();
    assert_eq!(got, truth);
    assert_eq!(a.legs().len(), 2);
    let mut reader = vidkompy::io::y4m::Y4mReader::new(std::fs::File::open(&out_path).unwrap()).unwrap();
    let mut i = 0;
    while let Some(frame) = reader.read_frame().unwrap() {
        assert_eq!(frame.row(0, 0), bg[truth[i]].as_frame().row(0, 0), "output frame {i} over bg frame {}", truth[i]);
        i += 1;
    }
    assert_eq!(i, picked.len());
}
