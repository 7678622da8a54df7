//! What a file job is: its inputs, outputs, settings and observer, and its outputs reserved
//! before any work (`JobOutputs`). Output goes to a temporary file beside the target, renamed
//! only on success and removed on failure, so no half-written file is ever left behind. The
//! passes are in `pipeline.rs`, the formats in `y4m_files.rs` and `ffmpeg/`.

use std::io::Write;
use std::path::PathBuf;

use crate::alignment::Alignment;
use crate::error::{Error, Result};
use crate::frame::Rect;
use crate::io::report::Timings;
use crate::io::staging::{Staged, check_distinct, commit, write_staged};
use crate::settings::Settings;
use crate::spatial::Placement;

/// bg frames sampled for the placement of a picture (fg frames: `settings.placement_samples`).
pub const BG_SAMPLES: usize = 24;

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

impl EncodeOptions {
    /// Refuses values no encoder takes, before any work: a quality outside 0-63, a bitrate
    /// that is not a positive number of bits per second, an empty name.
    pub fn validate(&self) -> Result<()> {
        if let Some(crf) = &self.crf {
            let ok = crf.trim().parse::<f64>().is_ok_and(|v| (0.0..=63.0).contains(&v));
            if !ok {
                return Err(Error::InvalidArgument(format!("--crf takes a number from 0 to 63, got '{crf}'")));
            }
        }
        if let Some(bitrate) = &self.bitrate
            && !valid_bitrate(bitrate)
        {
            return Err(Error::InvalidArgument(format!(
                "--bitrate takes a positive number of bits per second (2500k, 8M), got '{bitrate}'"
            )));
        }
        for (flag, name) in [("--preset", &self.preset), ("--codec", &self.codec)] {
            if let Some(name) = name {
                let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    return Err(Error::InvalidArgument(format!("{flag} takes a name, got '{name}'")));
                }
            }
        }
        Ok(())
    }
}

/// FFmpeg's bitrate syntax, kept to what makes sense: digits, an optional fraction, an optional
/// k, M or G; above zero and at most 10 Gb/s.
fn valid_bitrate(text: &str) -> bool {
    let (number, unit) = match text.strip_suffix(['k', 'K']) {
        Some(n) => (n, 1e3),
        None => match text.strip_suffix('M') {
            Some(n) => (n, 1e6),
            None => match text.strip_suffix('G') {
                Some(n) => (n, 1e9),
                None => (text, 1.0),
            },
        },
    };
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    digits && number.parse::<f64>().is_ok_and(|v| v * unit >= 1.0 && v * unit <= 1e10)
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
    /// Which engine composites: one pass (each frame decoded once) or two.
    pub path: JobPath,
}

/// The engine a composite job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobPath {
    /// One pass when the job allows it (fg starts within the live session's window of bg, and
    /// the output needs no bg audio shifted onto fg's clock), else two passes. The default: the
    /// one pass is frame-exact on every family of the accuracy table (README, "Accuracy").
    #[default]
    Auto,
    /// The live session only: NO_MATCH when fg's start is not within its window.
    OnePass,
    /// Analysis first, then the composite: each frame decoded about twice.
    TwoPass,
}

impl CompJob {
    /// A job that only analyses fg against bg (for `align`): no output, no audio.
    pub fn analysis_only(fg: &std::path::Path, bg: &std::path::Path, settings: &Settings) -> CompJob {
        CompJob {
            bg: bg.to_path_buf(),
            fg: fg.to_path_buf(),
            output: PathBuf::new(),
            report: None,
            placement: None,
            overwrite: false,
            settings: settings.clone(),
            encode: EncodeOptions::default(),
            audio: AudioChoice::None,
            path: JobPath::TwoPass,
        }
    }
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
            write_staged(&report, |w| {
                w.write_all(crate::io::report::report_json(alignment, timings).as_bytes()).map_err(Error::from)
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
            path: JobPath::TwoPass,
        }
    }

    #[test]
    fn encode_options_out_of_range_are_refused() {
        let with = |crf: Option<&str>, bitrate: Option<&str>, preset: Option<&str>| EncodeOptions {
            codec: None,
            crf: crf.map(String::from),
            preset: preset.map(String::from),
            bitrate: bitrate.map(String::from),
        };
        for bad in [
            with(Some("99999999999999999999"), None, None),
            with(Some("-1"), None, None),
            with(Some("x"), None, None),
            with(None, Some("0"), None),
            with(None, Some("-5M"), None),
            with(None, Some("fast"), None),
            with(None, None, Some("")),
            with(None, None, Some("a b")),
        ] {
            assert!(bad.validate().is_err(), "{bad:?} was taken");
        }
        for good in [
            with(Some("18"), None, None),
            with(Some("23.5"), Some("2500k"), Some("veryfast")),
            with(None, Some("8M"), None),
        ] {
            good.validate().unwrap();
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
