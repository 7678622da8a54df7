//! The file jobs behind the command line: placement of one file in another, and the two-pass
//! composite (`pipeline.rs`). With the `ffmpeg` feature they read and write what FFmpeg does
//! (`io::ffmpeg`); without it, Y4M files, whose adapters are here. Output goes to a temporary
//! file beside the target, renamed only on success and removed on failure, so no half-written
//! file is ever left behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::alignment::{Alignment, Timings};
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameRef, PixelFormat, Rect, TimeBase};
use crate::io::pipeline::{self, InputFile, InputFrame, OutputFile};
use crate::io::staging::{Staged, check_distinct, commit, write_staged};
use crate::io::y4m::{Y4mReader, Y4mWriter};
use crate::settings::Settings;
use crate::spatial::Placement;

/// bg frames sampled for the placement of a picture (fg frames: `settings.placement_samples`).
pub const BG_SAMPLES: usize = 24;

fn with_path(path: &Path, e: Error) -> Error {
    match e {
        Error::InvalidData(m) => Error::InvalidData(format!("{}: {m}", path.display())),
        Error::Io(m) => Error::Io(format!("{}: {m}", path.display())),
        Error::Unsupported(m) => Error::Unsupported(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// A Y4M file read forward; its errors name the file.
pub struct Y4mFile {
    reader: Y4mReader<File>,
    path: PathBuf,
    time_base: TimeBase,
    decoded: u64,
}

impl InputFrame for FrameBuf {
    fn as_frame(&self) -> FrameRef<'_> {
        FrameBuf::as_frame(self)
    }
}

impl InputFile for Y4mFile {
    type Frame = FrameBuf;

    fn open(path: &Path) -> Result<Y4mFile> {
        let is_y4m = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
        if !is_y4m {
            return Err(Error::Unsupported(format!(
                "{}: only Y4M files can be read without the `ffmpeg` feature",
                path.display()
            )));
        }
        let file = File::open(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        let reader = Y4mReader::new(file).map_err(|e| with_path(path, e))?;
        let time_base = reader.header().time_base();
        Ok(Y4mFile { reader, path: path.to_path_buf(), time_base, decoded: 0 })
    }

    fn next_frame(&mut self) -> Result<Option<FrameBuf>> {
        let Some(frame) = self.reader.read_frame().map_err(|e| with_path(&self.path, e))? else { return Ok(None) };
        self.decoded += 1;
        let pts = frame.pts;
        Ok(Some(FrameBuf::from_frame(&frame.with_pts(pts, self.time_base))?))
    }

    fn frames_decoded(&self) -> u64 {
        self.decoded
    }
}

/// A Y4M file written at fg's rate into a staged file.
pub struct Y4mOutput {
    writer: Y4mWriter<BufWriter<File>>,
}

impl Y4mOutput {
    fn create(staged: &Staged, (width, height, format): (u32, u32, PixelFormat), fps: (u32, u32)) -> Result<Y4mOutput> {
        let file = BufWriter::new(staged.open()?);
        Ok(Y4mOutput { writer: Y4mWriter::new(file, format, width, height, fps.0, fps.1)? })
    }
}

impl OutputFile for Y4mOutput {
    fn write(&mut self, frame: &FrameRef<'_>, _pts: i64) -> Result<()> {
        self.writer.write_frame(frame)
    }

    fn finish(mut self) -> Result<()> {
        self.writer.flush()
    }
}

/// Where fg sits in bg (Y4M files): what the analyzer finds over every frame of both.
pub fn locate_y4m(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let job = CompJob {
        bg: bg.to_path_buf(),
        fg: fg.to_path_buf(),
        output: PathBuf::new(),
        report: None,
        placement: None,
        overwrite: false,
        settings: settings.clone(),
        encode: EncodeOptions::default(),
        audio: AudioChoice::None,
    };
    Ok(pipeline::analyze::<Y4mFile>(&job, &mut Silent)?.alignment.placement)
}

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
    return locate_y4m(fg, bg, settings);
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

/// Runs both passes on Y4M files.
pub fn composite(job: &CompJob, observer: &mut dyn JobObserver) -> Result<(Alignment, Timings)> {
    if job.encode != EncodeOptions::default() || job.audio != AudioChoice::Auto {
        return Err(Error::Unsupported(
            "--audio, --codec, --crf, --preset and --bitrate need the `ffmpeg` feature (this build reads and writes Y4M)"
                .into(),
        ));
    }
    let fps = {
        let fg = Y4mFile::open(&job.fg)?;
        (fg.reader.header().fps_num, fg.reader.header().fps_den)
    };
    pipeline::run::<Y4mFile, Y4mOutput>(job, observer, |staged, shape, _| Y4mOutput::create(staged, shape, fps))
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
