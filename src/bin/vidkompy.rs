//! The vidkompy command line. It only translates: arguments to library calls, results to text.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use vidkompy::io::job::{AudioChoice, CompJob, EncodeOptions, JobObserver, JobPath};
use vidkompy::io::report::Timings;
use vidkompy::io::staging::{remove_temporaries_on_signals, write_atomically};
use vidkompy::io::y4m::Y4mWriter;
use vidkompy::io::{locate_inputs, run};
use vidkompy::session::{Analyzer, Compositor, Stream};
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};
use vidkompy::{Error, Settings};

const USAGE: &str = "usage:
  vidkompy comp --bg BG --fg FG [-o OUT] [--report REPORT.json] [--placement X,Y[,SCALE]]
                [--scale 1|auto] [--feather PX] [--audio fg|bg|none] [--min-confidence C]
                [--codec NAME] [--crf N] [--preset NAME] [--bitrate B] [--accept-partial]
                [--path auto|one-pass|two-pass] [--live-lag N] [--threads N] [-y] [-q] [-v]
        composite FG onto BG at FG's frame count, rate and timestamps; refused (exit 1) when
        fewer than half of FG's frames are found in BG, or they match no better than by
        chance, unless --accept-partial; --path one-pass decodes each frame once (the live
        session, --live-lag fg frames behind), auto (the default) scouts bg's keyframes
        first and does so over the span that can hold fg, falling back to two passes when
        unsure or when bg's audio is wanted; two-pass analyses all of both first;
        --threads: threads the analysis computes on (0, the default: one per core)
        (default OUT: {bg_stem}_overlay_{fg_stem}.mp4, or .y4m without the `ffmpeg` feature)
  vidkompy align FG BG [--scale 1|auto] [--min-confidence C] [--json]
        where FG sits in BG (pictures or videos)
  vidkompy demo [-o DIR]
        a generated pair with known truth through the whole pipeline; writes
        DIR/vidkompy-demo.y4m and DIR/vidkompy-demo.json (DIR: .)
  vidkompy --version
Without the `ffmpeg` feature, files are Y4M. Exit codes: 0 success, 1 no match, 2 bad input.";

/// The output's extension when none is given.
#[cfg(feature = "ffmpeg")]
const DEFAULT_EXTENSION: &str = "mp4";
#[cfg(not(feature = "ffmpeg"))]
const DEFAULT_EXTENSION: &str = "y4m";

/// A line on stderr that never fails the run: a closed or full stderr (`2>&1 | head -c1`)
/// loses the line, not the composite.
macro_rules! status_line {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// A line on stdout (results of `align` and `demo`), never failing the run either.
macro_rules! result_line {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    // Arguments as the system gives them: file names need not be UTF-8.
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    remove_temporaries_on_signals();
    let result = match args.first().and_then(|a| a.to_str()) {
        Some("--version") | Some("-V") => {
            result_line!("vidkompy {}", vidkompy::VERSION);
            return ExitCode::SUCCESS;
        }
        Some("--help") | Some("-h") => {
            result_line!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("demo") => parse_demo(&args[1..]).and_then(|dir| demo(&dir)).map_err(Failure::from),
        Some("align") => align(&args[1..]),
        Some("comp") => comp(&args[1..]),
        None if args.is_empty() => {
            status_line!("{USAGE}");
            return ExitCode::from(2);
        }
        _ => Err(Failure::from(usage_error(format!("unknown command {:?}", args[0])))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Exit codes: 0 success, 1 NO_MATCH, 2 bad input or usage.
        Err(f) => {
            status_line!("vidkompy: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// A usage error is one line; `--help` has the whole usage.
fn usage_error(message: String) -> Error {
    Error::InvalidArgument(format!("{message} (vidkompy --help lists the commands and options)"))
}

type Args<'a> = std::slice::Iter<'a, OsString>;

/// The argument after `flag`, as given (a file name).
fn path_value<'a>(it: &mut Args<'a>, flag: &str) -> vidkompy::Result<&'a OsStr> {
    it.next().map(OsString::as_os_str).ok_or_else(|| usage_error(format!("{flag} needs a value")))
}

/// The argument after `flag`, as text (numbers, names).
fn value<'a>(it: &mut Args<'a>, flag: &str) -> vidkompy::Result<&'a str> {
    let v = path_value(it, flag)?;
    v.to_str().ok_or_else(|| usage_error(format!("{flag}: {v:?} is not text")))
}

/// An option's name, or a file name when it is not text (only files may be any bytes).
fn flag(a: &OsStr) -> &str {
    a.to_str().unwrap_or("")
}

fn set(settings: &mut Settings, key: &str, v: &str, flag: &str) -> vidkompy::Result<()> {
    settings.set(key, v).map_err(|e| usage_error(format!("{flag}: {e}")))
}

/// `--scale 1` pins scale 1; `--scale auto` (the default) searches it.
fn scale_choice(v: &str) -> vidkompy::Result<&'static str> {
    match v {
        "1" => Ok("0"),
        "auto" => Ok("auto"),
        other => Err(usage_error(format!("--scale takes 1 or auto, got '{other}'"))),
    }
}

fn align(args: &[OsString]) -> Result<(), Failure> {
    let mut settings = Settings::default();
    let (mut json, mut files) = (false, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match flag(a) {
            "--scale" => set(&mut settings, "scale_search", scale_choice(value(&mut it, "--scale")?)?, "--scale")?,
            "--json" => json = true,
            "--min-confidence" => {
                set(&mut settings, "min_confidence", value(&mut it, "--min-confidence")?, "--min-confidence")?
            }
            other if other.starts_with('-') => {
                return Err(usage_error(format!("align: unknown option '{other}'")).into());
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    let [fg, bg] = files.as_slice() else { return Err(usage_error("align needs FG and BG".into()).into()) };
    #[cfg(feature = "ffmpeg")]
    vidkompy::io::ffmpeg::quiet_library_log(false);
    let p = locate_inputs(fg, bg, &settings).map_err(|e| not_found(e, fg, bg, &[]))?;
    if json {
        result_line!(
            "{{\"x\": {}, \"y\": {}, \"width\": {}, \"height\": {}, \"scale\": {}, \"confidence\": {:.6}}}",
            p.x,
            p.y,
            p.width,
            p.height,
            p.scale,
            p.confidence
        );
    } else {
        result_line!(
            "x={} y={} width={} height={} scale={:.4} confidence={:.3}",
            p.x,
            p.y,
            p.width,
            p.height,
            p.scale,
            p.confidence
        );
    }
    Ok(())
}

/// A failed command: its one-line message and exit code.
struct Failure {
    message: String,
    code: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let code = match e {
            Error::NoMatch { .. } | Error::NotInBg(_) | Error::Ambiguous(_) => 1,
            _ => 2,
        };
        Failure { message: e.to_string(), code }
    }
}

/// NO_MATCH names both files; so does any other failure whose message names neither ("fg
/// content 640x360 does not fit in bg 320x180"), so every failure says which files.
fn not_found(e: Error, fg: &Path, bg: &Path, outputs: &[&Path]) -> Failure {
    let named = matches!(e, Error::NoMatch { .. } | Error::NotInBg(_));
    let mut failure = Failure::from(e);
    let mentions = |p: &Path| {
        failure.message.contains(&p.display().to_string())
            || p.file_name().is_some_and(|n| failure.message.contains(&*n.to_string_lossy()))
    };
    if named {
        failure.message = format!("{} not found in {}: {}", fg.display(), bg.display(), failure.message);
    } else if !mentions(fg) && !mentions(bg) && !outputs.iter().any(|o| mentions(o)) {
        failure.message = format!("{} on {}: {}", fg.display(), bg.display(), failure.message);
    }
    failure
}

fn comp(args: &[OsString]) -> Result<(), Failure> {
    let mut settings = Settings::default();
    let (mut bg, mut fg, mut output, mut report, mut placement) = (None, None, None, None, None);
    let (mut overwrite, mut quiet, mut verbose) = (false, false, false);
    let (mut encode, mut audio) = (EncodeOptions::default(), AudioChoice::Auto);
    let mut path = JobPath::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = flag(a);
        match a {
            "--bg" => bg = Some(PathBuf::from(path_value(&mut it, a)?)),
            "--fg" => fg = Some(PathBuf::from(path_value(&mut it, a)?)),
            "-o" | "--output" => output = Some(PathBuf::from(path_value(&mut it, a)?)),
            "--report" => report = Some(PathBuf::from(path_value(&mut it, a)?)),
            "--placement" => {
                let v = value(&mut it, a)?;
                let parts: Vec<&str> = v.split(',').collect();
                let bad = || usage_error(format!("--placement takes X,Y[,SCALE], got '{v}'"));
                let x = parts.first().and_then(|s| s.trim().parse::<i32>().ok()).ok_or_else(bad)?;
                let y = parts.get(1).and_then(|s| s.trim().parse::<i32>().ok()).ok_or_else(bad)?;
                let scale = match parts.get(2) {
                    Some(s) => s.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s > 0.0).ok_or_else(bad)?,
                    None => 1.0,
                };
                if parts.len() > 3 {
                    return Err(bad().into());
                }
                placement = Some((x, y, scale));
            }
            "--scale" => set(&mut settings, "scale_search", scale_choice(value(&mut it, a)?)?, a)?,
            "--feather" => set(&mut settings, "feather", value(&mut it, a)?, a)?,
            "--min-confidence" => set(&mut settings, "min_confidence", value(&mut it, a)?, a)?,
            "--accept-partial" => set(&mut settings, "min_matched_share", "0", a)?,
            "--live-lag" => set(&mut settings, "live_lag", value(&mut it, a)?, a)?,
            "--threads" => set(&mut settings, "threads", value(&mut it, a)?, a)?,
            "-y" => overwrite = true,
            "-q" => quiet = true,
            "-v" => verbose = true,
            "--audio" => {
                audio = match value(&mut it, a)? {
                    "fg" => AudioChoice::Fg,
                    "bg" => AudioChoice::Bg,
                    "none" => AudioChoice::None,
                    other => return Err(usage_error(format!("--audio takes fg, bg or none, got '{other}'")).into()),
                }
            }
            "--path" => {
                path = match value(&mut it, a)? {
                    "auto" => JobPath::Auto,
                    "one-pass" => JobPath::OnePass,
                    "two-pass" => JobPath::TwoPass,
                    other => {
                        return Err(
                            usage_error(format!("--path takes auto, one-pass or two-pass, got '{other}'")).into()
                        );
                    }
                }
            }
            "--codec" => encode.codec = Some(value(&mut it, a)?.to_string()),
            "--crf" => encode.crf = Some(value(&mut it, a)?.to_string()),
            "--preset" => encode.preset = Some(value(&mut it, a)?.to_string()),
            "--bitrate" => encode.bitrate = Some(value(&mut it, a)?.to_string()),
            "" => return Err(usage_error("comp: file names follow --bg, --fg, -o or --report".into()).into()),
            other => return Err(usage_error(format!("comp: unknown argument '{other}'")).into()),
        }
    }
    let bg = bg.ok_or_else(|| usage_error("comp needs --bg".into()))?;
    let fg = fg.ok_or_else(|| usage_error("comp needs --fg".into()))?;
    let output = output.unwrap_or_else(|| {
        let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        bg.with_file_name(format!("{}_overlay_{}.{DEFAULT_EXTENSION}", stem(&bg), stem(&fg)))
    });
    #[cfg(feature = "ffmpeg")]
    vidkompy::io::ffmpeg::quiet_library_log(verbose);
    let job = CompJob { bg, fg, output: output.clone(), report, placement, overwrite, settings, encode, audio, path };
    remove_temporaries_on_signals();
    let mut bar = ProgressBar::new(quiet, verbose);
    let result = run(&job, &mut bar);
    bar.end_line();
    let (alignment, timings) = result.map_err(|e| {
        let outputs: Vec<&Path> = std::iter::once(job.output.as_path()).chain(job.report.as_deref()).collect();
        not_found(e, &job.fg, &job.bg, &outputs)
    })?;
    if !quiet {
        status_line!(
            "vidkompy: wrote {} ({} frames) in {:.0} ms",
            output.display(),
            alignment.fg_frames,
            timings.total
        );
    }
    Ok(())
}

/// Status lines and a progress bar (frames, fps, ETA) on stderr. On a terminal the bar
/// redraws in place; elsewhere each pass ends with one line.
struct ProgressBar {
    quiet: bool,
    verbose: bool,
    terminal: bool,
    pass: String,
    started: Instant,
    drawn: Option<Instant>,
    /// The final count of the pass, once drawn.
    done_drawn: Option<usize>,
    open_line: bool,
}

impl ProgressBar {
    fn new(quiet: bool, verbose: bool) -> ProgressBar {
        // SAFETY: isatty only inspects the descriptor.
        let terminal = unsafe { libc::isatty(2) } == 1;
        ProgressBar {
            quiet,
            verbose,
            terminal,
            pass: String::new(),
            started: Instant::now(),
            drawn: None,
            done_drawn: None,
            open_line: false,
        }
    }

    fn end_line(&mut self) {
        if self.open_line {
            status_line!();
            self.open_line = false;
        }
    }

    fn draw(&mut self, done: usize, total: Option<usize>) {
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-6);
        let fps = done as f64 / elapsed;
        let (bar, eta) = match total {
            Some(t) if t > 0 => {
                let filled = (done.min(t) * 24) / t;
                let eta = if fps > 0.0 { (t.saturating_sub(done)) as f64 / fps } else { 0.0 };
                (
                    format!("[{}{}] {done}/{t}", "#".repeat(filled), "-".repeat(24 - filled)),
                    format!("ETA {}:{:02}", eta as u64 / 60, eta as u64 % 60),
                )
            }
            _ => (done.to_string(), String::new()),
        };
        // A rate over the first instants says nothing (one frame in a microsecond).
        let rate = if elapsed >= 0.2 { format!("{fps:.1} fps") } else { String::new() };
        let line = format!("{:>8} {bar} frames  {rate}  {eta}", self.pass);
        if self.terminal {
            let _ = write!(std::io::stderr(), "\r{line}\x1b[K");
            self.open_line = true;
        } else {
            status_line!("{line}");
        }
    }
}

impl JobObserver for ProgressBar {
    fn status(&mut self, line: &str) {
        if !self.quiet {
            self.end_line();
            status_line!("vidkompy: {line}");
        }
    }

    fn progress(&mut self, pass: &str, done: usize, total: Option<usize>) {
        if self.quiet {
            return;
        }
        if pass != self.pass {
            self.end_line();
            self.pass = pass.to_string();
            self.started = Instant::now();
            self.drawn = None;
            self.done_drawn = None;
        }
        let finished = total.is_some_and(|t| done >= t);
        if finished && self.done_drawn == Some(done) {
            return;
        }
        let due = self.drawn.is_none_or(|d| d.elapsed().as_millis() >= 100);
        // A terminal redraws in place; a log gets the end of each pass (and, with -v, more).
        if finished || (due && (self.terminal || self.verbose)) {
            self.draw(done, total);
            self.drawn = Some(Instant::now());
            self.done_drawn = finished.then_some(done);
        }
    }
}

fn parse_demo(args: &[OsString]) -> vidkompy::Result<PathBuf> {
    let mut dir = PathBuf::from(".");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match flag(a) {
            "-o" | "--output" => dir = PathBuf::from(path_value(&mut it, "-o")?),
            _ => return Err(usage_error(format!("demo: unknown argument {a:?}"))),
        }
    }
    Ok(dir)
}

fn demo(dir: &Path) -> vidkompy::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    let spec = PairSpec {
        seed: 7,
        bg_width: 480,
        bg_height: 270,
        bg_fps: 25.0,
        bg_frames: 250,
        fg_width: 288,
        fg_height: 162,
        x: 97.0,
        y: 61.0,
        scale: 1.0,
        fg_fps: 30.0,
        fg_frames: 150,
        fg_start: 2.3,
        grade: Grade { brightness: 0.06, contrast: 1.15, gamma: 0.9 },
        fg_noise: 2.0,
        ..PairSpec::default()
    };
    result_line!(
        "vidkompy demo: bg {}x{} at {} fps ({} frames); fg {}x{} at {} fps ({} frames), cropped at ({}, {}), graded, starting {} s into bg",
        spec.bg_width,
        spec.bg_height,
        spec.bg_fps,
        spec.bg_frames,
        spec.fg_width,
        spec.fg_height,
        spec.fg_fps,
        spec.fg_frames,
        spec.x,
        spec.y,
        spec.fg_start
    );
    let pair = SyntheticPair::new(spec.clone());
    let settings = Settings::default();

    // Pass 1: analyze, streams interleaved by time as a host would decode them.
    let total = Instant::now();
    let mut analyze_ms = 0.0;
    let mut analyzer = Analyzer::new(settings.clone());
    let (mut i, mut j) = (0, 0);
    while i < spec.fg_frames || j < spec.bg_frames {
        let fg_next = i < spec.fg_frames && (j >= spec.bg_frames || pair.fg_time(i) + spec.fg_start <= pair.bg_time(j));
        let frame = if fg_next { pair.fg_frame(i) } else { pair.bg_frame(j) };
        let t = Instant::now();
        analyzer.push(if fg_next { Stream::Fg } else { Stream::Bg }, Some(&frame.as_frame()))?;
        analyze_ms += t.elapsed().as_secs_f64() * 1e3;
        if fg_next { i += 1 } else { j += 1 }
    }
    let t = Instant::now();
    let alignment = analyzer.finish()?;
    analyze_ms += t.elapsed().as_secs_f64() * 1e3;

    let p = &alignment.placement;
    result_line!(
        "placement: found x={} y={} scale={:.3} (confidence {:.3}); true x={} y={} scale={:.3}",
        p.x,
        p.y,
        p.scale,
        p.confidence,
        spec.x,
        spec.y,
        spec.scale
    );
    let exact = (0..spec.fg_frames)
        .filter(|&i| match pair.truth(i) {
            Some(_) => !alignment.time.is_outside(i) && pair.accepts(i, alignment.time.map[i] as usize),
            None => alignment.time.is_outside(i),
        })
        .count();
    result_line!(
        "time map: {exact} of {} fg frames exact ({:.2} %), {} outside, confidence {:.3}",
        spec.fg_frames,
        100.0 * exact as f64 / spec.fg_frames as f64,
        alignment.time.outside.len(),
        alignment.time.overall_confidence
    );

    // Pass 2: composite, sending whatever the compositor asks for.
    let out_path = dir.join("vidkompy-demo.y4m");
    let mut compositor = Compositor::new(alignment.clone(), &settings)?;
    let (mut fg, mut bg) = (pair.fg_stream(), pair.bg_stream());
    let pass2 = Instant::now();
    write_atomically(&out_path, true, |w| {
        // Output frames have bg's format and size, at fg's rate.
        let (fps, format) = (spec.fg_fps.round() as u32, vidkompy::PixelFormat::I420);
        let mut writer = Y4mWriter::new(w, format, spec.bg_width, spec.bg_height, fps, 1)?;
        compositor.run(&mut fg, &mut bg, |frame| writer.write_frame(frame))?;
        Ok(())
    })?;
    let compose_ms = pass2.elapsed().as_secs_f64() * 1e3 - fg.render_ms - bg.render_ms;
    let report = dir.join("vidkompy-demo.json");
    let timings = Timings {
        analyze: analyze_ms,
        compose: compose_ms,
        total: total.elapsed().as_secs_f64() * 1e3,
        ..Timings::default()
    };
    write_atomically(&report, true, |w| {
        w.write_all(vidkompy::io::report::report_json(&alignment, &timings).as_bytes()).map_err(Error::from)
    })?;
    result_line!(
        "wrote {} ({} frames at {} fps) and {}",
        out_path.display(),
        spec.fg_frames,
        spec.fg_fps,
        report.display()
    );
    result_line!(
        "time (ms, frame generation excluded): analyze {:.1}, compose and write {:.1}",
        analyze_ms,
        compose_ms
    );
    Ok(())
}
