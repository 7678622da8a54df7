//! File formats. Y4M is always available; FFmpeg-backed I/O comes with the `ffmpeg` feature.

#[cfg(feature = "ffmpeg")]
pub mod ffmpeg;
pub mod files;
pub mod job;
pub mod one_pass;
pub mod pipeline;
pub mod report;
pub mod scouting;
pub mod staging;
pub mod threads;
pub mod two_pass;
pub mod y4m;
pub mod y4m_files;

use std::path::Path;

use crate::alignment::Alignment;
use crate::error::Result;
use crate::io::report::Timings;
use crate::settings::Settings;
use crate::spatial::Placement;
use job::{CompJob, JobObserver};

/// Where fg sits in bg: pictures or videos, through FFmpeg when the feature is on.
pub fn locate_inputs(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    #[cfg(feature = "ffmpeg")]
    return crate::io::ffmpeg::align_files(fg, bg, settings);
    #[cfg(not(feature = "ffmpeg"))]
    return y4m_files::locate_y4m(fg, bg, settings);
}

/// Runs a composite job: through FFmpeg when the feature is on, else on Y4M files.
pub fn run(job: &CompJob, observer: &mut dyn JobObserver) -> Result<(Alignment, Timings)> {
    job.encode.validate()?;
    #[cfg(feature = "ffmpeg")]
    return crate::io::ffmpeg::composite(job, observer);
    #[cfg(not(feature = "ffmpeg"))]
    return y4m_files::composite(job, observer);
}
