//! Push/pull sessions: the analyzer (pass 1) and the compositor (pass 2).

pub mod analyzer;
pub mod clock;
pub mod compositor;

pub use analyzer::Analyzer;
pub use compositor::{BufferedFrames, Compositor, FrameSource, Received, Sent, Stream};
