//! vidkompy finds where a foreground video (fg) sits inside a background video (bg) — position,
//! scale, and which bg frame belongs under each fg frame — and composites fg onto bg at fg's own
//! timing.
//!
//! The data flows one way: host frame -> [`FrameRef`] -> luma downsample -> descriptors ->
//! alignment -> composition. The C ABI (`include/vidkompy.h`) wraps the same API.

pub mod alignment;
pub mod capi;
pub mod compose;
pub mod error;
pub mod fingerprint;
pub mod frame;
pub mod io;
pub mod kernels;
pub mod media;
pub mod session;
pub mod settings;
pub mod spatial;
pub mod synth;
pub mod temporal;

pub use error::{Error, Result, Status};
pub use frame::{FrameBuf, FrameError, FrameRef, PixelFormat, Plane, Rect, TimeBase};
pub use settings::{ColorMatrix, Settings};

/// The library version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
