//! vidkompy finds where a foreground video (fg) sits inside a background video (bg) — position,
//! scale, and which bg frame belongs under each fg frame — and composites fg onto bg at fg's own
//! timing.
//!
//! The data flows one way: host frame -> [`FrameRef`] -> luma downsample -> descriptors ->
//! alignment -> composition. The C ABI (`include/vidkompy.h`) wraps the same API.

// The modules, lowest layer first. Each uses only modules listed above it (tests/layering.rs
// holds this): `frame` and `kernels` are the leaves; `session` ties the analysis and the
// composition together; `capi`, `io` and `synth` are hosts of the library and `capi` reaches it
// only through the API below. The modules are public so that the tests, the benches (every
// SIMD level against its scalar reference) and `cargo doc` (the design guide) reach them; a
// host needs only the API.
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
pub mod workers;

// The API: what a Rust host uses, and all that the C API (src/capi) uses.
pub use alignment::Alignment;
pub use error::{Error, Result, Status};
pub use frame::{
    AlphaMode, ColorRange, FrameBuf, FrameColor, FrameError, FrameMut, FrameRef, PixelFormat, Plane, Rect, TimeBase,
};
pub use media::StreamInfo;
pub use session::analyzer::{CancelFn, FrameProvider, LogFn, LogLevel, ProgressFn, Stage, StageFn};
pub use session::clock::NO_PTS;
pub use session::{
    Analyzer, Compositor, Live, Received, Scout, ScoutAnswer, ScoutReport, Sent, Stream, WindowCuts, composite_frame,
    window_held_fg,
};
pub use settings::{ColorMatrix, Settings};
pub use spatial::{Placement, locate};

/// The library version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
