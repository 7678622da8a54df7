//! What an input or output format gives the file jobs: frames read forward (seeking and
//! keyframe scans when the container allows), and frames written. Y4M always, FFmpeg with the
//! `ffmpeg` feature.

use std::path::Path;

use crate::error::Result;
use crate::frame::FrameRef;

/// A decoded frame an input hands out: owned, so it can cross to the calling thread.
pub trait InputFrame: Send + 'static {
    /// The frame with its pts and time base.
    fn as_frame(&self) -> FrameRef<'_>;
    /// Whether the frame decodes alone (a keyframe: seeking to it decodes no earlier frame).
    /// Every frame of an intra-only input does.
    fn is_key(&self) -> bool {
        true
    }
}

/// One input file, read forward.
pub trait InputFile: Send + Sized + 'static {
    type Frame: InputFrame;
    fn open(path: &Path) -> Result<Self>;
    fn next_frame(&mut self) -> Result<Option<Self::Frame>>;
    /// Frames decoded since opening (including those skipped on the way to a seek target).
    fn frames_decoded(&self) -> u64;
    /// Decoding that is good enough for descriptors and cheaper (FFmpeg skips deblocking).
    fn for_analysis(&mut self) {}
    /// Decoding for the scout, which takes an uneven sample of fg as well as every frame
    /// (FFmpeg also skips, in a long enough fg, the frames no other frame refers to).
    fn for_scouting(&mut self) {
        self.for_analysis();
    }
    /// The frame with this pts, by seeking; `None` when the input cannot seek there.
    fn seek_to_frame(&mut self, pts: i64) -> Result<Option<Self::Frame>> {
        let _ = pts;
        Ok(None)
    }
    /// Reads the input once decoding only keyframes, each handed to `each` (false: stop), and
    /// returns every frame's pts in presentation order; `None` when the input cannot say
    /// (no keyframe index, no timestamps: a scout cannot help, read it all).
    fn scan_keyframes(&mut self, each: &mut dyn FnMut(Self::Frame) -> bool) -> Result<Option<Vec<i64>>> {
        let _ = each;
        Ok(None)
    }
    /// Whether `scan_keyframes` can say (a container with keyframes and timestamps may).
    fn scans_keyframes() -> bool {
        false
    }
}

/// The composite's destination.
pub trait OutputFile: Send + 'static {
    /// Writes one composited frame at `pts` (in fg's time base).
    fn write(&mut self, frame: &FrameRef<'_>, pts: i64) -> Result<()>;
    /// Completes the file. Without it the output is incomplete (and never renamed into place).
    fn finish(self) -> Result<()>;
}
