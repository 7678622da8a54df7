//! The file jobs behind the command line: placement of one file in another, and the two-pass
//! composite. With the `ffmpeg` feature they read and write what FFmpeg does (`io::ffmpeg`);
//! without it, Y4M files, handled here. Output goes to a temporary file beside the target,
//! renamed only on success and removed on failure, so no half-written file is ever left behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::alignment::{Alignment, Timings};
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, Rect};
use crate::io::staging::{Staged, check_distinct, commit, write_staged};
use crate::io::y4m::{Y4mReader, Y4mWriter};
use crate::session::{Analyzer, Compositor, FrameSource, Stream};
use crate::settings::Settings;
pub use crate::spatial::evenly_spaced;
use crate::spatial::{Placement, locate};

/// bg frames sampled for placement (fg frames: `settings.placement_samples`).
pub const BG_SAMPLES: usize = 24;

fn open(path: &Path) -> Result<Y4mReader<File>> {
    let is_y4m = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
    if !is_y4m {
        return Err(Error::Unsupported(format!(
            "{}: only Y4M files can be read without the `ffmpeg` feature",
            path.display()
        )));
    }
    let file = File::open(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    Y4mReader::new(file).map_err(|e| with_path(path, e))
}

fn with_path(path: &Path, e: Error) -> Error {
    match e {
        Error::InvalidData(m) => Error::InvalidData(format!("{}: {m}", path.display())),
        Error::Io(m) => Error::Io(format!("{}: {m}", path.display())),
        Error::Unsupported(m) => Error::Unsupported(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// A Y4M file as a frame source whose errors name the file.
struct NamedSource<'a> {
    reader: Y4mReader<File>,
    path: &'a Path,
}

impl FrameSource for NamedSource<'_> {
    fn next_frame(&mut self) -> Result<Option<crate::frame::FrameRef<'_>>> {
        let path = self.path;
        self.reader.read_frame().map_err(|e| with_path(path, e))
    }
}

/// `count` frames spread evenly over a Y4M file: one pass counts the frames, a second copies
/// just those, so memory stays at `count` frames whatever the file's length.
fn evenly_spaced_frames(path: &Path, count: usize) -> Result<Vec<FrameBuf>> {
    let mut reader = open(path)?;
    let mut n = 0usize;
    while reader.read_frame().map_err(|e| with_path(path, e))?.is_some() {
        n += 1;
    }
    if n == 0 {
        return Err(Error::InvalidData(format!("{}: no frames", path.display())));
    }
    frames_at(path, &evenly_spaced(n, count))
}

/// Where fg sits in bg, from frames sampled evenly over both files.
pub fn locate_files(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let fg_frames = evenly_spaced_frames(fg, settings.placement_samples as usize)?;
    let bg_frames = evenly_spaced_frames(bg, BG_SAMPLES)?;
    let f: Vec<_> = fg_frames.iter().map(|f| f.as_frame()).collect();
    let b: Vec<_> = bg_frames.iter().map(|f| f.as_frame()).collect();
    locate(&f, &b, settings)
}

/// Pass 1 over both files with a known placement.
fn analyze(job: &CompJob, placement: Placement, observer: &mut dyn JobObserver) -> Result<Alignment> {
    observer.status(&format!(
        "placement x={} y={} scale={:.3} confidence={:.3}",
        placement.x, placement.y, placement.scale, placement.confidence
    ));
    let mut analyzer = Analyzer::new(job.settings.clone());
    analyzer.set_placement(placement)?;
    let (mut bg, mut fg) = (open(&job.bg)?, open(&job.fg)?);
    let (bg_rate, fg_rate) = (bg.header().time_base(), fg.header().time_base());
    let mut bg_frame =
        bg.read_frame().map_err(|e| with_path(&job.bg, e))?.map(|f| FrameBuf::from_frame(&f)).transpose()?;
    let mut fg_frame =
        fg.read_frame().map_err(|e| with_path(&job.fg, e))?.map(|f| FrameBuf::from_frame(&f)).transpose()?;
    let mut count = 0usize;
    while bg_frame.is_some() || fg_frame.is_some() {
        let tb = bg_frame.as_ref().and_then(|f| bg_rate.seconds(f.pts)).unwrap_or(f64::INFINITY);
        let tf = fg_frame.as_ref().and_then(|f| fg_rate.seconds(f.pts)).unwrap_or(f64::INFINITY);
        if tf <= tb {
            analyzer.push(Stream::Fg, fg_frame.as_ref().map(|f| f.as_frame()).as_ref())?;
            fg_frame =
                fg.read_frame().map_err(|e| with_path(&job.fg, e))?.map(|f| FrameBuf::from_frame(&f)).transpose()?;
        } else {
            analyzer.push(Stream::Bg, bg_frame.as_ref().map(|f| f.as_frame()).as_ref())?;
            bg_frame =
                bg.read_frame().map_err(|e| with_path(&job.bg, e))?.map(|f| FrameBuf::from_frame(&f)).transpose()?;
        }
        count += 1;
        if count.is_multiple_of(25) {
            observer.progress("analyze", count, None);
        }
    }
    analyzer.finish()
}

/// Frames at the given (sorted) indices of a file.
fn frames_at(path: &Path, indices: &[usize]) -> Result<Vec<FrameBuf>> {
    let mut reader = open(path)?;
    let mut out = Vec::with_capacity(indices.len());
    let mut k = 0usize;
    while let Some(f) = reader.read_frame().map_err(|e| with_path(path, e))? {
        for _ in indices.iter().filter(|&&i| i == k) {
            out.push(FrameBuf::from_frame(&f)?);
        }
        k += 1;
        if out.len() == indices.len() {
            break;
        }
    }
    Ok(out)
}

/// The best placement over a few matched (fg, bg) frame pairs of the time map.
fn refine_placement(job: &CompJob, alignment: &Alignment) -> Result<Placement> {
    let t = &alignment.time;
    let (fg_period, bg_period) = {
        let (f, b) = (open(&job.fg)?, open(&job.bg)?);
        let period = |h: &crate::io::y4m::Y4mHeader| h.fps_den as f64 / h.fps_num as f64;
        (period(f.header()), period(b.header()))
    };
    let off_grid = |i: usize| {
        let pos = (i as f64 * fg_period + t.offset_seconds) / bg_period;
        (pos - pos.round()).abs()
    };
    let picks = refine_picks(alignment, off_grid, |_| 0.0, REFINE_PAIRS);
    if picks.is_empty() {
        return Ok(alignment.placement);
    }
    let mut bg_idx: Vec<usize> = picks.iter().map(|&i| t.map[i] as usize).collect();
    bg_idx.sort_unstable();
    let fg = frames_at(&job.fg, &picks)?;
    let bg = frames_at(&job.bg, &bg_idx)?;
    let mut best = alignment.placement;
    best.confidence = f64::NEG_INFINITY;
    for (k, &i) in picks.iter().enumerate() {
        let j = t.map[i] as usize;
        let Some(bi) = bg_idx.iter().position(|&x| x == j) else { continue };
        if let Ok(p) = locate(&[fg[k].as_frame()], &[bg[bi].as_frame()], &job.settings)
            && p.confidence > best.confidence
        {
            best = p;
        }
    }
    if best.confidence == f64::NEG_INFINITY { Ok(alignment.placement) } else { Ok(best) }
}

/// Matched frame pairs used to refine a sampled placement.
pub const REFINE_PAIRS: usize = 3;

/// Encoder settings; `None` leaves the encoder's choice (for libx264: crf 18, preset medium).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncodeOptions {
    /// An FFmpeg encoder name (`libx264`, `libx265`, `mpeg4`, ...).
    pub codec: Option<String>,
    pub crf: Option<String>,
    pub preset: Option<String>,
    /// Bits per second, FFmpeg's syntax (`8M`, `2500k`).
    pub bitrate: Option<String>,
}

/// Which audio the composite carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AudioChoice {
    /// fg's audio if it has some, else bg's moved onto fg's timing, else none.
    #[default]
    Auto,
    Fg,
    Bg,
    None,
}

/// What a running job reports.
pub trait JobObserver {
    /// A line worth telling (placement found, time map summary, ...).
    fn status(&mut self, line: &str);
    /// `done` of `total` (when known) frames of a pass.
    fn progress(&mut self, pass: &str, done: usize, total: Option<usize>);
}

/// An observer that ignores everything.
pub struct Silent;

impl JobObserver for Silent {
    fn status(&mut self, _: &str) {}
    fn progress(&mut self, _: &str, _: usize, _: Option<usize>) {}
}

/// A composite job.
#[derive(Debug, Clone)]
pub struct CompJob {
    pub bg: PathBuf,
    pub fg: PathBuf,
    pub output: PathBuf,
    pub report: Option<PathBuf>,
    /// x, y and scale; located from the files when absent.
    pub placement: Option<(i32, i32, f64)>,
    pub overwrite: bool,
    pub settings: Settings,
    pub encode: EncodeOptions,
    pub audio: AudioChoice,
}

/// Where fg sits in bg: pictures or videos, through FFmpeg when the feature is on.
pub fn locate_inputs(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    #[cfg(feature = "ffmpeg")]
    return crate::io::ffmpeg::align_files(fg, bg, settings);
    #[cfg(not(feature = "ffmpeg"))]
    return locate_files(fg, bg, settings);
}

/// Runs a composite job: through FFmpeg when the feature is on, else on Y4M files.
pub fn run(job: &CompJob, observer: &mut dyn JobObserver) -> Result<(Alignment, Timings)> {
    #[cfg(feature = "ffmpeg")]
    return crate::io::ffmpeg::composite(job, observer);
    #[cfg(not(feature = "ffmpeg"))]
    return composite(job, observer);
}

/// A composite job's outputs, reserved before any work: the video and, when asked for, the
/// report, each through its own temporary file, renamed into place together at the end.
pub struct JobOutputs {
    pub video: Staged,
    pub report: Option<Staged>,
}

impl JobOutputs {
    /// Refuses outputs that are an input or each other (even with overwrite), an existing
    /// output without overwrite, or a folder that cannot take a file, before any work is done.
    pub fn reserve(job: &CompJob) -> Result<JobOutputs> {
        let mut outputs = vec![("-o", job.output.as_path())];
        outputs.extend(job.report.as_deref().map(|r| ("--report", r)));
        check_distinct(&[("--fg", &job.fg), ("--bg", &job.bg)], &outputs)?;
        let video = Staged::new(&job.output, job.overwrite)?;
        let report = job.report.as_deref().map(|r| Staged::new(r, job.overwrite)).transpose()?;
        Ok(JobOutputs { video, report })
    }

    /// Writes the report (when asked for), then renames every output into place: nothing is
    /// renamed unless everything was written.
    pub fn commit(self, alignment: &Alignment, timings: &Timings) -> Result<()> {
        let mut files = vec![self.video];
        if let Some(report) = self.report {
            write_staged(&report, |w| w.write_all(alignment.to_json(Some(timings)).as_bytes()).map_err(Error::from))?;
            files.push(report);
        }
        commit(files)
    }
}

/// A placement the user gave as x, y and scale, for fg frames of `width × height`.
pub fn given_placement((x, y, scale): (i32, i32, f64), width: u32, height: u32) -> Placement {
    Placement {
        x,
        y,
        width: (width as f64 * scale).round() as u32,
        height: (height as f64 * scale).round() as u32,
        scale,
        confidence: 1.0,
        content: Rect::full(width, height),
        x_subpixel: x as f64,
        y_subpixel: y as f64,
    }
}

/// fg frames to locate again on their matched bg frames: preferably frames whose time falls on
/// a bg frame's time (bg then shows the very same instant, so motion cannot shift the match),
/// weighed against the cost of reaching them (`cost(i)`, in twentieths of a bg frame period
/// of timing error it is worth), then the most confident. `off_grid(i)` is the distance in bg
/// frame periods.
pub fn refine_picks(
    alignment: &Alignment,
    off_grid: impl Fn(usize) -> f64,
    cost: impl Fn(usize) -> f64,
    count: usize,
) -> Vec<usize> {
    let t = &alignment.time;
    let mut candidates: Vec<usize> = (0..alignment.fg_frames).filter(|&i| !t.is_outside(i)).collect();
    candidates.sort_by(|&a, &b| {
        let key = |i: usize| [((off_grid(i) * 20.0).round() + cost(i)).round(), -t.confidence[i] as f64];
        let (ka, kb) = (key(a), key(b));
        ka[0].total_cmp(&kb[0]).then(ka[1].total_cmp(&kb[1]))
    });
    let mut picks: Vec<usize> = candidates.into_iter().take(count).collect();
    picks.sort_unstable();
    picks
}

/// Runs both passes on Y4M files.
pub fn composite(job: &CompJob, observer: &mut dyn JobObserver) -> Result<(Alignment, Timings)> {
    let total = Instant::now();
    if job.encode != EncodeOptions::default() || job.audio != AudioChoice::Auto {
        return Err(Error::Unsupported(
            "--audio, --codec, --crf, --preset and --bitrate need the `ffmpeg` feature (this build reads and writes Y4M)"
                .into(),
        ));
    }
    let outputs = JobOutputs::reserve(job)?;
    let t = Instant::now();
    let (placement, located) = match job.placement {
        Some(given) => {
            let fg = open(&job.fg)?;
            (given_placement(given, fg.header().width, fg.header().height), false)
        }
        None => (locate_files(&job.fg, &job.bg, &job.settings)?, true),
    };
    let mut alignment = analyze(job, placement, observer)?;
    if located {
        // Samples taken at arbitrary times can be a little off when the picture moves; the
        // time map says which frames match, so locate again on matched pairs and, when that
        // moves the placement, analyze again with it.
        let refined = refine_placement(job, &alignment)?;
        if (refined.x, refined.y, refined.width, refined.height)
            != (placement.x, placement.y, placement.width, placement.height)
        {
            observer.status(&format!("placement refined on matched frames to x={} y={}", refined.x, refined.y));
            alignment = analyze(job, refined, observer)?;
        }
    }
    let analyze_ms = t.elapsed().as_secs_f64() * 1e3;
    observer.status(&format!(
        "time map: {} fg frames, {} outside, confidence {:.3}",
        alignment.fg_frames,
        alignment.time.outside.len(),
        alignment.time.overall_confidence
    ));

    // Pass 2: send what the compositor asks for, write Y4M at fg's rate.
    let t = Instant::now();
    let (bg, fg) = (open(&job.bg)?, open(&job.fg)?);
    let (bw, bh) = (bg.header().width, bg.header().height);
    let (num, den) = (fg.header().fps_num, fg.header().fps_den);
    let mut compositor = Compositor::new(alignment.clone(), &job.settings)?;
    let format = bg.header().pixel_format();
    let (mut fg, mut bg) = (NamedSource { reader: fg, path: &job.fg }, NamedSource { reader: bg, path: &job.bg });
    write_staged(&outputs.video, |w| {
        let mut writer = Y4mWriter::new(w, format, bw, bh, num, den)?;
        let mut written = 0usize;
        compositor.run(&mut fg, &mut bg, |frame| {
            writer.write_frame(frame)?;
            written += 1;
            if written.is_multiple_of(25) {
                observer.progress("compose", written, Some(alignment.fg_frames));
            }
            Ok(())
        })?;
        writer.flush()
    })?;
    let compose_ms = t.elapsed().as_secs_f64() * 1e3;
    let timings = Timings {
        decode: 0.0,
        analyze: analyze_ms,
        compose: compose_ms,
        encode: 0.0,
        total: total.elapsed().as_secs_f64() * 1e3,
    };
    outputs.commit(&alignment, &timings)?;
    Ok((alignment, timings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_in(dir: &Path) -> CompJob {
        CompJob {
            bg: dir.join("bg.y4m"),
            fg: dir.join("fg.y4m"),
            output: dir.join("out.y4m"),
            report: Some(dir.join("out.json")),
            placement: None,
            overwrite: false,
            settings: Settings::default(),
            encode: EncodeOptions::default(),
            audio: AudioChoice::Auto,
        }
    }

    #[test]
    fn nothing_is_renamed_unless_every_output_was_written() {
        let _turn = crate::io::staging::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!("vidkompy-job-outputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let job = job_in(&dir);
        let outputs = JobOutputs::reserve(&job).unwrap();
        std::fs::write(outputs.video.temp(), b"the composite").unwrap();
        // The report cannot be written: its temporary file became a folder.
        let report_temp = outputs.report.as_ref().unwrap().temp().to_path_buf();
        std::fs::remove_file(&report_temp).unwrap();
        std::fs::create_dir(&report_temp).unwrap();
        let alignment = Alignment::from_json(
            r#"{"placement": {"x": 0, "y": 0, "width": 8, "height": 8, "scale": 1, "confidence": 1, "content": [0, 0, 8, 8]},
                "temporal": {"fg_frames": 1, "bg_frames": 1, "map": [0], "outside": [], "confidence": 1}}"#,
        )
        .unwrap();
        assert!(outputs.commit(&alignment, &Timings::default()).is_err());
        assert!(!job.output.exists(), "the video was renamed although the report failed");
        std::fs::remove_dir(&report_temp).unwrap();
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(left.is_empty(), "temporary files remain: {left:?}");

        let outputs = JobOutputs::reserve(&job).unwrap();
        std::fs::write(outputs.video.temp(), b"the composite").unwrap();
        outputs.commit(&alignment, &Timings::default()).unwrap();
        assert_eq!(std::fs::read(&job.output).unwrap(), b"the composite");
        assert!(std::fs::read_to_string(job.report.as_ref().unwrap()).unwrap().contains("\"placement\""));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
