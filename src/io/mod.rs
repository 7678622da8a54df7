//! File formats. Y4M is always available; FFmpeg-backed I/O comes with the `ffmpeg` feature.

pub mod job;
pub mod y4m;
