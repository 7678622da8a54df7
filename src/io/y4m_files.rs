//! Y4M files as the file job's input and output (always available; FFmpeg reads Y4M too).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::alignment::Alignment;
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameRef, PixelFormat, TimeBase};
use crate::io::files::{InputFile, InputFrame, OutputFile};
use crate::io::job::{AudioChoice, CompJob, EncodeOptions, JobObserver, Silent};
use crate::io::pipeline;
use crate::io::report::Timings;
use crate::io::staging::Staged;
use crate::io::y4m::{Y4mReader, Y4mWriter};
use crate::settings::Settings;
use crate::spatial::Placement;

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
    /// The file the user named (errors name it, not the hidden temporary).
    target: std::path::PathBuf,
}

impl Y4mOutput {
    fn create(staged: &Staged, (width, height, format): (u32, u32, PixelFormat), fps: (u32, u32)) -> Result<Y4mOutput> {
        let file = BufWriter::new(staged.open()?);
        let target = staged.target().to_path_buf();
        let writer = Y4mWriter::new(file, format, width, height, fps.0, fps.1).map_err(|e| named(&target, e))?;
        Ok(Y4mOutput { writer, target })
    }
}

/// A write error with the output's name ("out.y4m: no space left on device").
fn named(target: &Path, e: Error) -> Error {
    match e {
        Error::Io(message) => Error::Io(format!("{}: {}", target.display(), lowercase_first(&message))),
        other => other,
    }
}

fn lowercase_first(text: &str) -> String {
    let text = text.split(" (os error").next().unwrap_or(text);
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

impl OutputFile for Y4mOutput {
    fn write(&mut self, frame: &FrameRef<'_>, _pts: i64) -> Result<()> {
        self.writer.write_frame(frame).map_err(|e| named(&self.target, e))
    }

    fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| named(&self.target, e))
    }
}

/// Where fg sits in bg (Y4M files): what the analyzer finds over every frame of both.
pub fn locate_y4m(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let job = CompJob::analysis_only(fg, bg, settings);
    Ok(pipeline::analyze::<Y4mFile>(&job, &mut Silent, None)?.alignment.placement)
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
    pipeline::run::<Y4mFile, Y4mOutput>(job, observer, true, |staged, shape, _| Y4mOutput::create(staged, shape, fps))
}
