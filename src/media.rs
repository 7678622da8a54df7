//! What an alignment was made from: each stream's frame size, format, count and timing.
//!
//! Saved with the alignment, it lets a host (and the compositor) tell when an alignment no
//! longer fits the frames it is used with, and turns frame indices into timestamps and back,
//! so pass 2 can match frames by pts instead of by count.

use crate::error::{Error, Result};
use crate::frame::{FrameError, FrameRef, PixelFormat, TimeBase};

/// One stream as the analyzer saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamInfo {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub frames: usize,
    /// Time of the first frame, in seconds.
    pub start_seconds: f64,
    /// Mean frames per second over the stream (0 for a single frame).
    pub frame_rate: f64,
    /// Whether every frame period was within a quarter of the mean: only then does a timestamp
    /// name a frame index (a variable-rate stream is matched by count).
    pub constant_rate: bool,
    /// The time base of the stream's first frame (0/0 when it had no timestamp).
    pub time_base: TimeBase,
    /// A print of the first frame's picture ([`PicturePrint`]; `None` in alignments saved
    /// before it was kept): with `frames` and the size, what tells a host that its media
    /// changed since the alignment was made.
    pub print: Option<PicturePrint>,
}

/// A picture's print: its luma averaged over a 9x8 grid, one bit per pair of horizontal
/// neighbours (set: the left one darker), and a mask of the pairs that differ by more than a
/// luma level (a flat pair's order is left to noise). A grade keeps the order of the pairs
/// that differ, noise averages out over a cell; another picture flips about half of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PicturePrint {
    pub bits: u64,
    pub mask: u64,
}

/// Fewest pairs that differ in both pictures for the prints to be compared at all: below it
/// (a black or flat first frame) only the size and the frame count can tell.
const PRINT_PAIRS: u32 = 8;

impl PicturePrint {
    pub fn of(frame: &FrameRef<'_>) -> PicturePrint {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let mut sums = [[0u64; 9]; 8];
        let mut counts = [[0u64; 9]; 8];
        let mut row = vec![0u8; w];
        for y in 0..h {
            let luma = frame.luma_row(y, 0, &mut row);
            let cell_y = y * 8 / h;
            for (x, &v) in luma.iter().enumerate() {
                sums[cell_y][x * 9 / w] += v as u64;
                counts[cell_y][x * 9 / w] += 1;
            }
        }
        let mean = |r: usize, c: usize| sums[r][c] as f64 / counts[r][c].max(1) as f64;
        let (mut bits, mut mask) = (0u64, 0u64);
        for r in 0..8 {
            for c in 0..8 {
                let (left, right) = (mean(r, c), mean(r, c + 1));
                bits = (bits << 1) | u64::from(left < right);
                mask = (mask << 1) | u64::from((left - right).abs() > 1.0);
            }
        }
        PicturePrint { bits, mask }
    }

    /// Whether two prints show the same picture: of the pairs that differ in both, at most one
    /// in eight in the other order. Prints of flat pictures (fewer than 8 such pairs) agree.
    pub fn same_picture(&self, other: &PicturePrint) -> bool {
        let both = self.mask & other.mask;
        let flipped = ((self.bits ^ other.bits) & both).count_ones();
        both.count_ones() < PRINT_PAIRS || flipped * 8 <= both.count_ones()
    }
}

/// Both streams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MediaIdentity {
    pub fg: StreamInfo,
    pub bg: StreamInfo,
}

impl StreamInfo {
    /// The nominal time of frame `index`: start + index / rate.
    pub fn seconds_of(&self, index: usize) -> f64 {
        if self.frame_rate > 0.0 { self.start_seconds + index as f64 / self.frame_rate } else { self.start_seconds }
    }

    /// The nominal pts of frame `index` in the stream's time base, if it had timestamps.
    pub fn pts_of(&self, index: usize) -> Option<i64> {
        let tb = self.time_base;
        tb.is_valid().then(|| (self.seconds_of(index) * tb.den as f64 / tb.num as f64).round() as i64)
    }

    /// The frame showing at a time (the last whose nominal time is not after it, to a
    /// microsecond), for a constant-rate stream; `None` when frames can only be matched by
    /// count.
    pub fn showing_at(&self, seconds: f64) -> Option<i64> {
        (self.constant_rate && self.frame_rate > 0.0 && seconds.is_finite())
            .then(|| ((seconds - self.start_seconds) * self.frame_rate + 1e-6 * self.frame_rate).floor() as i64)
    }

    /// Whether a medium with this first frame and frame count is the one recorded (size and
    /// count equal, the first frame's print the same picture's); an error when the record has
    /// no print.
    pub fn matches(&self, first_frame: &FrameRef<'_>, frames: usize) -> Result<bool> {
        let print = self.print.ok_or_else(|| {
            Error::bad_state("this alignment has no print of its media's first frames (saved by an older version)")
        })?;
        let same_shape = (first_frame.width(), first_frame.height(), frames) == (self.width, self.height, self.frames);
        Ok(same_shape && PicturePrint::of(first_frame).same_picture(&print))
    }

    /// The frame index a time names, for a constant-rate stream; `None` when frames can only be
    /// matched by count.
    pub fn index_at(&self, seconds: f64) -> Option<i64> {
        (self.constant_rate && self.frame_rate > 0.0 && seconds.is_finite())
            .then(|| ((seconds - self.start_seconds) * self.frame_rate).round() as i64)
    }

    /// Refuses a frame whose size differs from the one analysed (the format may differ: the
    /// placement is in pixels, not in samples).
    pub fn check_frame(&self, stream: &str, frame: &FrameRef<'_>) -> Result<()> {
        if (frame.width(), frame.height()) != (self.width, self.height) {
            return Err(FrameError::Mismatch {
                expected: format!("{stream} frame of {}x{} (as analysed)", self.width, self.height),
                got: frame.describe(),
            }
            .into());
        }
        Ok(())
    }

    /// Checks the numbers of a loaded identity.
    pub fn validate(&self, stream: &str) -> Result<()> {
        crate::frame::validate_size(self.width, self.height)
            .map_err(|e| Error::invalid_data(format!("media.{stream}: {e}")))?;
        let numbers_ok = self.start_seconds.is_finite() && self.frame_rate.is_finite() && self.frame_rate >= 0.0;
        if !numbers_ok {
            return Err(Error::invalid_data(format!("media.{stream}: start and frame rate must be finite, rate ≥ 0")));
        }
        if self.time_base.den != 0 && !self.time_base.is_valid() {
            return Err(Error::invalid_data(format!(
                "media.{stream}: time base {}/{} must be positive (0/0: no timestamps)",
                self.time_base.num, self.time_base.den
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_and_timestamps_round_trip_at_a_constant_rate() {
        let info = StreamInfo {
            format: PixelFormat::I420,
            width: 64,
            height: 36,
            frames: 100,
            start_seconds: 1.5,
            frame_rate: 30000.0 / 1001.0,
            constant_rate: true,
            time_base: TimeBase::new(1001, 30000),
            print: None,
        };
        for i in [0usize, 1, 17, 99] {
            let pts = info.pts_of(i).unwrap();
            assert_eq!(pts, 45 + i as i64);
            assert_eq!(info.index_at(info.time_base.seconds(pts).unwrap()), Some(i as i64));
        }
        let variable = StreamInfo { constant_rate: false, ..info };
        assert_eq!(variable.index_at(2.0), None);
    }
}
