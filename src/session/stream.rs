//! The two input streams and what every session keeps of each before its own work.
//!
//! The analyzer, the live session and the compositor all take frames of fg and bg one at a
//! time. Each refuses a frame after its stream's end and a frame of another shape than the
//! stream's first; the analyzer and the live session also time each frame on the stream's
//! clock and count it. [`StreamIntake`] is that step, written once; [`PerStream`] holds one
//! value per stream, indexed by [`Stream`] instead of 0 and 1.

use std::ops::{Index, IndexMut};

use crate::error::{Error, Result};
use crate::frame::{FrameError, FrameRef, PixelFormat, TimeBase};
use crate::media::StreamInfo;
use crate::session::clock::{NO_PTS, StreamClock};

/// The two input streams (integers at the C boundary: 0 = fg, 1 = bg).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum Stream {
    Fg = 0,
    Bg = 1,
}

impl Stream {
    pub fn from_raw(v: i32) -> Option<Stream> {
        match v {
            0 => Some(Stream::Fg),
            1 => Some(Stream::Bg),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stream::Fg => "fg",
            Stream::Bg => "bg",
        }
    }
}

/// One value per stream: `streams[Stream::Bg]`, or `.fg` / `.bg` by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct PerStream<T> {
    pub fg: T,
    pub bg: T,
}

impl<T> PerStream<T> {
    /// One value per stream, made from the stream.
    pub fn new(mut make: impl FnMut(Stream) -> T) -> PerStream<T> {
        PerStream { fg: make(Stream::Fg), bg: make(Stream::Bg) }
    }

    /// fg's, then bg's.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        [&self.fg, &self.bg].into_iter()
    }

    /// fg's, then bg's.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        [&mut self.fg, &mut self.bg].into_iter()
    }
}

impl<'a, T> IntoIterator for &'a mut PerStream<T> {
    type Item = &'a mut T;
    type IntoIter = std::array::IntoIter<&'a mut T, 2>;
    fn into_iter(self) -> Self::IntoIter {
        [&mut self.fg, &mut self.bg].into_iter()
    }
}

impl<T> Index<Stream> for PerStream<T> {
    type Output = T;
    fn index(&self, stream: Stream) -> &T {
        match stream {
            Stream::Fg => &self.fg,
            Stream::Bg => &self.bg,
        }
    }
}

impl<T> IndexMut<Stream> for PerStream<T> {
    fn index_mut(&mut self, stream: Stream) -> &mut T {
        match stream {
            Stream::Fg => &mut self.fg,
            Stream::Bg => &mut self.bg,
        }
    }
}

/// A stream's frame shape: format and size, set by its first frame.
pub(crate) type Shape = (PixelFormat, u32, u32);

/// Takes `frame`'s shape as the stream's when it has none yet; refuses another shape.
pub(crate) fn check_shape(shape: &mut Option<Shape>, stream: Stream, frame: &FrameRef<'_>) -> Result<()> {
    let got = (frame.format(), frame.width(), frame.height());
    match *shape {
        Some(s) if s != got => Err(FrameError::Mismatch {
            expected: format!("{} frame of {} {}x{}", stream.name(), s.0, s.1, s.2),
            got: frame.describe(),
        }
        .into()),
        _ => {
            *shape = Some(got);
            Ok(())
        }
    }
}

/// What a session knows of one stream from the frames it took: their shape, how many, their
/// times, whether the stream ended.
pub(crate) struct StreamIntake {
    pub stream: Stream,
    pub shape: Option<Shape>,
    /// Frames taken so far.
    pub count: usize,
    pub ended: bool,
    pub clock: StreamClock,
    /// The time base of the stream's first timestamped frame (for the alignment's media record).
    pub time_base: TimeBase,
    /// The first frame's print (for the media record).
    pub print: Option<crate::media::PicturePrint>,
}

impl StreamIntake {
    pub fn new(stream: Stream) -> StreamIntake {
        StreamIntake {
            stream,
            shape: None,
            count: 0,
            ended: false,
            clock: StreamClock::default(),
            time_base: TimeBase::NONE,
            print: None,
        }
    }

    /// Checks the next frame before the session takes it: not after the stream's end, of the
    /// stream's shape, and its time (seconds) after the previous frame's. Nothing is recorded
    /// but the shape of a first frame; [`StreamIntake::taken`] records the frame.
    pub fn check(&mut self, frame: &FrameRef<'_>) -> Result<f64> {
        if self.ended {
            return Err(Error::bad_state(format!("{} frame after the end of its stream", self.stream.name())));
        }
        check_shape(&mut self.shape, self.stream, frame)?;
        self.clock.time_of(frame, self.stream.name())
    }

    /// Records a frame taken at `seconds` (from [`StreamIntake::check`]).
    pub fn taken(&mut self, frame: &FrameRef<'_>, seconds: f64) {
        self.clock.accept(seconds);
        if self.count == 0 {
            self.print = Some(crate::media::PicturePrint::of(frame));
        }
        self.count += 1;
        if self.time_base == TimeBase::NONE && frame.pts != NO_PTS && frame.time_base.is_valid() {
            self.time_base = frame.time_base;
        }
    }

    /// The stream as the session saw it, for the alignment's media record (`frames` of it).
    pub fn info(&self, frames: usize) -> StreamInfo {
        let (format, width, height) = self.shape.unwrap_or((PixelFormat::Gray8, 0, 0));
        let (start_seconds, frame_rate, constant_rate) = self.clock.rate();
        StreamInfo {
            format,
            width,
            height,
            frames,
            start_seconds,
            frame_rate,
            constant_rate,
            time_base: self.time_base,
            print: self.print,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameBuf;

    fn gray(width: u32, height: u32, pts: i64) -> FrameBuf {
        let mut f = FrameBuf::new(PixelFormat::Gray8, width, height).unwrap();
        f.pts = pts;
        f.time_base = TimeBase::new(1, 25);
        f
    }

    #[test]
    fn intake_refuses_another_shape_a_time_going_back_and_frames_after_the_end() {
        let mut intake = StreamIntake::new(Stream::Bg);
        let first = gray(16, 8, 3);
        let t = intake.check(&first.as_frame()).unwrap();
        intake.taken(&first.as_frame(), t);
        assert_eq!((intake.count, intake.shape), (1, Some((PixelFormat::Gray8, 16, 8))));
        assert_eq!(intake.time_base, TimeBase::new(1, 25));
        let other = intake.check(&gray(8, 8, 4).as_frame()).unwrap_err().to_string();
        assert!(other.contains("bg frame of"), "{other}");
        assert!(intake.check(&gray(16, 8, 2).as_frame()).is_err(), "a time going back is refused");
        intake.ended = true;
        assert!(intake.check(&gray(16, 8, 5).as_frame()).unwrap_err().to_string().contains("after the end"));
        assert_eq!(intake.count, 1, "refused frames are not counted");
    }

    #[test]
    fn per_stream_indexes_by_stream() {
        let mut counts = PerStream::new(|s| s as usize * 10);
        counts[Stream::Bg] += 1;
        assert_eq!((counts.fg, counts.bg, counts[Stream::Fg]), (0, 11, 0));
        assert_eq!(counts.iter().sum::<usize>(), 11);
    }
}
