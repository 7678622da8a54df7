//! File formats. Y4M is always available; FFmpeg-backed I/O comes with the `ffmpeg` feature.

#[cfg(feature = "ffmpeg")]
pub mod ffmpeg;
pub mod job;
pub mod pipeline;
pub mod staging;
pub mod y4m;
