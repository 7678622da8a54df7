//! The time of each frame of a stream, checked as the frame arrives.
//!
//! A frame's timestamp is `pts × time_base`. A frame without one (time base 0/0 or a zero
//! denominator, or FFmpeg's AV_NOPTS_VALUE = INT64_MIN as pts) is placed one frame period after
//! the previous frame, the period being the stream's mean so far (1/25 s before two frames are
//! known). A negative time base, or a time that does not come after the previous frame's (a
//! duplicate or out-of-order pts), is refused at once, naming the frame, so a host learns of it
//! at the frame and not after the whole pass.
//!
//! # Design notes (measured)
//!
//! **Timestamps are checked at the frame.** A duplicate or out-of-order pts, or a negative time
//! base, fails that push, naming the frame. A frame without a timestamp (time base denominator 0,
//! or pts AV_NOPTS_VALUE) is placed one frame period (the stream's mean so far, 1/25 s before that)
//! after the previous one.

use crate::error::{Error, Result};
use crate::frame::FrameRef;

/// Frame rate assumed for frames without a timestamp before the stream's own rate is known.
pub const DEFAULT_FPS: f64 = 25.0;

/// FFmpeg's "no timestamp" pts.
pub const NO_PTS: i64 = i64::MIN;

/// The times of one stream's frames so far.
#[derive(Debug, Clone, Default)]
pub struct StreamClock {
    first: Option<f64>,
    last: Option<f64>,
    count: usize,
    /// Shortest and longest period between two frames so far.
    min_period: f64,
    max_period: f64,
}

impl StreamClock {
    /// The time of the stream's next frame, checked against the previous one. Nothing is
    /// recorded until [`StreamClock::accept`], so a refused frame leaves the clock as it was.
    pub fn time_of(&self, frame: &FrameRef<'_>, stream: &str) -> Result<f64> {
        let index = self.count;
        let tb = frame.time_base;
        let stamped = frame.pts != NO_PTS && tb.den != 0;
        let seconds = if stamped {
            if tb.num <= 0 || tb.den < 0 {
                return Err(Error::invalid(format!(
                    "{stream} frame {index}: time base {}/{} must be positive (den 0: no timestamp)",
                    tb.num, tb.den
                )));
            }
            frame.pts as f64 * tb.num as f64 / tb.den as f64
        } else {
            self.next_untimed()
        };
        if let Some(last) = self.last
            && seconds.partial_cmp(&last) != Some(std::cmp::Ordering::Greater)
        {
            return Err(Error::invalid(format!(
                "{stream} frame {index}: its time {seconds:.6} s does not come after frame {}'s {last:.6} s (a duplicate or out-of-order pts)",
                index - 1
            )));
        }
        Ok(seconds)
    }

    /// Records the time of a frame that was taken.
    pub fn accept(&mut self, seconds: f64) {
        if let Some(last) = self.last {
            let period = seconds - last;
            self.min_period = if self.count == 1 { period } else { self.min_period.min(period) };
            self.max_period = self.max_period.max(period);
        }
        self.first.get_or_insert(seconds);
        self.last = Some(seconds);
        self.count += 1;
    }

    /// (time of the first frame, mean frames per second, whether every period was within a
    /// quarter of the mean).
    pub fn rate(&self) -> (f64, f64, bool) {
        match (self.first, self.last) {
            (Some(first), Some(last)) if self.count >= 2 && last > first => {
                let mean = (last - first) / (self.count - 1) as f64;
                let steady = self.max_period - self.min_period <= 0.25 * mean;
                (first, 1.0 / mean, steady)
            }
            (first, _) => (first.unwrap_or(0.0), 0.0, true),
        }
    }

    /// One period after the last frame.
    fn next_untimed(&self) -> f64 {
        match (self.first, self.last) {
            (Some(first), Some(last)) if self.count >= 2 => last + (last - first) / (self.count - 1) as f64,
            (_, Some(last)) => last + 1.0 / DEFAULT_FPS,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameBuf, PixelFormat, TimeBase};

    fn times(stamps: &[(i64, i32, i32)]) -> std::result::Result<Vec<f64>, String> {
        let buf = FrameBuf::new(PixelFormat::Gray8, 4, 4).unwrap();
        let mut clock = StreamClock::default();
        let mut out = Vec::new();
        for &(pts, num, den) in stamps {
            let frame = buf.as_frame().with_pts(pts, TimeBase::new(num, den));
            let t = clock.time_of(&frame, "fg").map_err(|e| e.to_string())?;
            clock.accept(t);
            out.push(t);
        }
        Ok(out)
    }

    #[test]
    fn missing_timestamps_follow_the_stream_rate() {
        assert_eq!(times(&[(0, 0, 0), (0, 0, 0), (0, 0, 0)]).unwrap(), [0.0, 0.04, 0.08]);
        // 30 fps stamps, then two frames without: one period each.
        let t = times(&[(0, 1, 30), (1, 1, 30), (NO_PTS, 1, 30), (3, 1, 30), (0, 1, 0)]).unwrap();
        for (k, v) in t.iter().enumerate() {
            assert!((v - k as f64 / 30.0).abs() < 1e-9, "{t:?}");
        }
    }

    #[test]
    fn the_rate_is_steady_only_when_every_period_is_near_the_mean() {
        let clock = |times: &[f64]| {
            let mut c = StreamClock::default();
            times.iter().for_each(|&t| c.accept(t));
            c.rate()
        };
        let (start, fps, steady) = clock(&[1.0, 1.04, 1.08, 1.12]);
        assert!((start - 1.0).abs() < 1e-12 && (fps - 25.0).abs() < 1e-9 && steady);
        assert!(!clock(&[0.0, 0.04, 0.12, 0.16]).2, "a dropped frame makes the stream variable");
    }

    #[test]
    fn bad_timestamps_are_refused_at_the_frame() {
        let e = times(&[(0, 1, 25), (1, 1, 25), (1, 1, 25)]).unwrap_err();
        assert!(e.contains("fg frame 2") && e.contains("duplicate"), "{e}");
        let e = times(&[(5, 1, 25), (4, 1, 25)]).unwrap_err();
        assert!(e.contains("fg frame 1"), "{e}");
        let e = times(&[(0, 1, 25), (1, -1, 25)]).unwrap_err();
        assert!(e.contains("fg frame 1") && e.contains("time base -1/25"), "{e}");
    }
}
