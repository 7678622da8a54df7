//! Full-size frames the analyzer keeps when the host gives no frame provider, so that a
//! placement found on reduced copies can still be checked at full size on a few pairs the time
//! map matched (`placement_check.rs`) instead of being reported approximate; with a provider,
//! fg's frames that it would decode others to give again (`Analyzer::keeps_costly_fg`).
//!
//! Which frames, within a fixed budget per stream (`KEPT_BUDGET`):
//! - fg: every `fg_stride`-th frame, a power of two, doubled while over budget;
//! - bg: runs of `RUN` frames (`j % bg_period < RUN`), `bg_period` a power of three, tripled
//!   while over budget, so a kept bg frame keeps neighbours to be compared with.
//!
//! A power of two and a power of three share no factor, so for any offset between the streams
//! some kept fg frame lands on a kept bg run within `fg_stride * bg_period` fg frames (at 1:1
//! rates; other rates only move where). What the check can use is known only at `finish`:
//! when no matched fg frame lands on a kept run (long bg, large frames), nothing is checked
//! and the placement stays reported approximate.

use crate::frame::{FrameBuf, FrameError, FrameRef};
use crate::session::stream::{PerStream, Stream};

/// Bytes of full-size fg frames kept: 86 frames of 480x270 4:2:0.
pub const KEPT_FG_BYTES: usize = 16 << 20;
/// Bytes of full-size bg frames kept (twice fg's: bg's come in runs): 640x360 4:2:0 keeps 63
/// frames (a run of 9 in every 81 of a 565-frame bg); a 1080p bg one run.
pub const KEPT_BG_BYTES: usize = 32 << 20;
const KEPT_BUDGET: PerStream<usize> = PerStream { fg: KEPT_FG_BYTES, bg: KEPT_BG_BYTES };
/// Kept bg frames come in runs of this many (a power of three): the check compares a matched
/// fg frame with the bg frames up to 4 either side of its match, so a map a few frames off
/// (a pan's lookalike: the logo-box pair without a provider was 3 off) shows.
pub const RUN: usize = 9;

/// The kept frames of both streams (see the module's comment).
pub struct KeptFrames {
    frames: PerStream<Vec<(usize, FrameBuf)>>,
    /// fg frame `i` is kept when `i % fg_stride == 0`; bg frame `j` when `j % bg_period < RUN`.
    fg_stride: usize,
    bg_period: usize,
    /// A single frame (bg: a run) exceeds the budget: the stream keeps nothing.
    too_large: PerStream<bool>,
}

impl Default for KeptFrames {
    fn default() -> Self {
        KeptFrames {
            frames: PerStream::new(|_| Vec::new()),
            fg_stride: 1,
            bg_period: RUN,
            too_large: PerStream::new(|_| false),
        }
    }
}

impl KeptFrames {
    /// Whether frame `index` of `stream` is one to keep at the current spacing.
    pub fn keeps(&self, stream: Stream, index: usize) -> bool {
        !self.too_large[stream]
            && match stream {
                Stream::Fg => index.is_multiple_of(self.fg_stride),
                Stream::Bg => index % self.bg_period < RUN,
            }
    }

    /// Keeps a copy of frame `index` of `stream` if it is one to keep, then spaces the
    /// stream's frames wider while it is over budget.
    pub fn offer(&mut self, stream: Stream, index: usize, frame: &FrameRef<'_>) -> Result<(), FrameError> {
        if !self.keeps(stream, index) {
            return Ok(());
        }
        let least = picture_bytes(frame) * if stream == Stream::Bg { RUN } else { 1 };
        if least > KEPT_BUDGET[stream] {
            self.too_large[stream] = true;
            self.frames[stream].clear();
            return Ok(());
        }
        self.frames[stream].push((index, FrameBuf::from_frame(frame)?));
        while self.bytes_of(stream) > KEPT_BUDGET[stream] {
            self.space_wider(stream);
        }
        Ok(())
    }

    fn space_wider(&mut self, stream: Stream) {
        match stream {
            Stream::Fg => self.fg_stride *= 2,
            Stream::Bg => self.bg_period *= RUN,
        }
        let (stride, period) = (self.fg_stride, self.bg_period);
        self.frames[stream].retain(|(i, _)| match stream {
            Stream::Fg => i.is_multiple_of(stride),
            Stream::Bg => i % period < RUN,
        });
    }

    fn bytes_of(&self, stream: Stream) -> usize {
        self.frames[stream].iter().map(|(_, f)| f.byte_size()).sum()
    }

    /// Bytes held by both streams.
    pub fn bytes(&self) -> usize {
        self.bytes_of(Stream::Fg) + self.bytes_of(Stream::Bg)
    }

    /// Frame `index` of `stream`, if kept.
    pub fn frame(&self, stream: Stream, index: usize) -> Option<&FrameBuf> {
        let frames = &self.frames[stream];
        frames.binary_search_by_key(&index, |(i, _)| *i).ok().map(|k| &frames[k].1)
    }

    /// Whether fg frame `i` matched to bg frame `j` can be checked: both kept, and a bg
    /// neighbour of `j` too.
    pub fn can_check(&self, i: usize, j: usize) -> bool {
        let bg = |j: usize| self.frame(Stream::Bg, j).is_some();
        self.frame(Stream::Fg, i).is_some() && bg(j) && (j.checked_sub(1).is_some_and(bg) || bg(j + 1))
    }

    /// Lets every frame go.
    pub fn clear(&mut self) {
        *self = KeptFrames::default();
    }

    /// Lets `stream`'s frames go (a frame provider was set: it gives bg's frames, and the
    /// analyzer keeps only fg's that it would give at a cost).
    pub fn clear_stream(&mut self, stream: Stream) {
        self.frames[stream].clear();
    }
}

/// Bytes of a frame's planes (rows by row bytes, no padding).
fn picture_bytes(frame: &FrameRef<'_>) -> usize {
    frame.format().picture_bytes(frame.width(), frame.height())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    fn frame(width: u32, height: u32) -> FrameBuf {
        FrameBuf::new(PixelFormat::I420, width, height).unwrap()
    }

    #[test]
    fn spacing_widens_within_the_budget_and_keeps_checkable_pairs() {
        let (fg, bg) = (frame(480, 270), frame(640, 360));
        let mut kept = KeptFrames::default();
        for i in 0..600 {
            kept.offer(Stream::Bg, i, &bg.as_frame()).unwrap();
        }
        for i in 0..100 {
            kept.offer(Stream::Fg, i, &fg.as_frame()).unwrap();
        }
        assert!(kept.bytes_of(Stream::Bg) <= KEPT_BUDGET.bg && kept.bytes_of(Stream::Fg) <= KEPT_BUDGET.fg);
        assert_eq!((kept.fg_stride, kept.bg_period), (2, 81));
        // Every offset up to a period gives fg frames that can be checked.
        for offset in 0..81 {
            let pairs = (0..100).filter(|&i| kept.can_check(i, i + offset)).count();
            assert!(pairs >= 3, "offset {offset}: {pairs} pairs");
        }
    }

    #[test]
    fn a_frame_larger_than_the_budget_keeps_nothing() {
        let huge = frame(7680, 4320);
        let mut kept = KeptFrames::default();
        for i in 0..RUN {
            kept.offer(Stream::Bg, i, &huge.as_frame()).unwrap();
        }
        assert_eq!(kept.bytes(), 0);
        assert!(!kept.keeps(Stream::Bg, 0));
    }
}
