//! Pass 2: fg and bg frames in (send), composited frames out (receive), following an
//! [`Alignment`]. Every fg frame comes out once, at fg's timing, over the bg frame the map
//! names. Like FFmpeg's send/receive: when `send` answers AGAIN, a `receive` will produce
//! output, so a host that alternates as told can never deadlock. At most one bg frame and one
//! fg frame are held (copied into reused buffers).
//!
//! Frames are matched to the alignment's frame indices by timestamp when the alignment records
//! the media (format version 2) and the stream has a constant rate and the frame a pts;
//! otherwise by count. So a decoder that drops or repeats a frame in pass 2 is detected and
//! counted ([`PassStats`]), not silently shifted: a missing bg frame is stood in for by the one
//! before it, a missing fg frame has no output, a repeated frame is ignored.

use crate::alignment::Alignment;
use crate::compose::{ComposeScratch, PasteSpec, compose};
use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameMut, FrameRef};
use crate::session::stream::{Shape, Stream, check_shape};
use crate::settings::Settings;

/// What `send` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The frame was taken (or skipped: a bg frame no fg frame needs).
    Accepted,
    /// Not taken: call `receive` first, then send the same frame again.
    Again,
}

/// What `receive` answers.
#[derive(Debug)]
pub enum Received<'a> {
    /// The next composited frame (valid until the next call), with fg's pts and time base.
    Frame(FrameRef<'a>),
    /// More input is needed, from this stream.
    Again(Stream),
    /// Every fg frame has been output.
    Eof,
}

struct Held {
    buf: Option<FrameBuf>,
    /// The buffer of a frame let go at a seek, kept for reuse: after a seek back no picture
    /// from the leg before may stand in for a frame of the next.
    spare: Option<FrameBuf>,
    index: usize,
    shape: Option<Shape>,
    /// Time of the last frame sent with a timestamp, and how many frames were sent.
    last_seconds: Option<f64>,
    sent: usize,
}

impl Held {
    fn new() -> Held {
        Held { buf: None, spare: None, index: 0, shape: None, last_seconds: None, sent: 0 }
    }

    /// The frame's time, refused when it goes back: a decoder's stream never does, and
    /// matching by pts would take such a frame for an old one. The same time again is a
    /// repeated frame, counted and ignored by the caller. Recorded by [`Held::taken_at`].
    fn checked_time(&self, stream: Stream, frame: &FrameRef<'_>) -> Result<Option<f64>> {
        let seconds = if frame.pts == crate::session::clock::NO_PTS { None } else { frame.seconds() };
        if let (Some(t), Some(last)) = (seconds, self.last_seconds)
            && t.partial_cmp(&last).is_none_or(|o| o == std::cmp::Ordering::Less)
        {
            return Err(Error::invalid(format!(
                "{} frame {}: its time {t:.6} s comes before the previous frame's {last:.6} s (an out-of-order pts)",
                stream.name(),
                self.sent
            )));
        }
        Ok(seconds)
    }

    /// Records a frame that was taken (or ignored as a repeat).
    fn taken_at(&mut self, seconds: Option<f64>) {
        if seconds.is_some() {
            self.last_seconds = seconds;
        }
        self.sent += 1;
    }

    fn store(&mut self, frame: &FrameRef<'_>, index: usize) -> Result<()> {
        if self.buf.is_none() {
            self.buf = self.spare.take();
        }
        match &mut self.buf {
            Some(b) => b.copy_from(frame)?,
            None => self.buf = Some(FrameBuf::from_frame(frame)?),
        }
        self.index = index;
        Ok(())
    }

    /// Lets the held frame go and forgets the stream's last time: the host sought back.
    fn sought(&mut self) {
        if let Some(buf) = self.buf.take() {
            self.spare = Some(buf);
        }
        self.last_seconds = None;
    }
}

/// Irregularities of the frames sent, found by their timestamps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    /// fg frames whose pts was skipped over: they have no output.
    pub fg_missing: usize,
    /// fg frames whose pts named a frame already sent: ignored.
    pub fg_repeated: usize,
    /// bg frames whose pts was skipped over.
    pub bg_missing: usize,
    /// bg frames whose pts named a frame already sent: ignored.
    pub bg_repeated: usize,
    /// fg frames composited over a stand-in because the bg frame they need never came.
    pub bg_stand_ins: usize,
}

/// Pass 2 of the pipeline.
pub struct Compositor {
    alignment: Alignment,
    spec: PasteSpec,
    /// The first bg frame the map's first leg needs (its lowest).
    first_needed: usize,
    /// Next fg frame to output.
    next_fg: usize,
    /// fg frames sent so far.
    fg_sent: usize,
    /// bg frames sent so far.
    bg_sent: usize,
    fg: Held,
    fg_pending: bool,
    bg: Held,
    ended: [bool; 2],
    out: Option<FrameBuf>,
    scratch: ComposeScratch,
    stats: PassStats,
}

impl Compositor {
    pub fn new(alignment: Alignment, settings: &Settings) -> Result<Compositor> {
        if alignment.fg_frames == 0 {
            return Err(Error::invalid("the alignment has no fg frames"));
        }
        // Everything sized from the alignment (the pasted area) is checked before use.
        alignment.validate()?;
        let spec = PasteSpec::new(&alignment.placement, settings);
        let first_leg = alignment.legs().into_iter().next().unwrap_or(0..0);
        let first_needed = alignment.time.map[first_leg].iter().copied().min().unwrap_or(0) as usize;
        Ok(Compositor {
            alignment,
            spec,
            first_needed,
            next_fg: 0,
            fg_sent: 0,
            bg_sent: 0,
            fg: Held::new(),
            fg_pending: false,
            bg: Held::new(),
            ended: [false; 2],
            out: None,
            scratch: ComposeScratch::default(),
            stats: PassStats::default(),
        })
    }

    fn needed_bg(&self) -> Option<usize> {
        self.alignment.time.map.get(self.next_fg).map(|&j| j as usize)
    }

    /// The bg frame bg must be sought back to: `Some` when the next fg frame starts a leg of
    /// the map that goes back to a bg frame already passed (an edit to earlier footage, see
    /// [`Alignment::legs`]). Until [`Compositor::seek_bg`], `receive` waits for bg and a bg
    /// frame sent forward is refused.
    pub fn bg_rewind(&self) -> Option<usize> {
        let need = self.needed_bg()?;
        let have = self.bg.buf.is_some() && self.bg.index == need;
        (need < self.bg_sent && !have).then_some(need)
    }

    /// The nominal pts of [`Compositor::bg_rewind`]'s frame in bg's time base, when the
    /// alignment records bg's timing.
    pub fn bg_rewind_pts(&self) -> Option<(i64, crate::frame::TimeBase)> {
        let bg = self.alignment.media.as_ref()?.bg;
        Some((bg.pts_of(self.bg_rewind()?)?, bg.time_base))
    }

    /// Declares that bg was sought back: the next bg frame sent is bg frame `index` (or, with
    /// pts, is placed by its pts; frames before the one needed are skipped). Only while
    /// [`Compositor::bg_rewind`] names a frame, and not past it. A bg stream ended before the
    /// seek may send again.
    pub fn seek_bg(&mut self, index: usize) -> Result<()> {
        let Some(need) = self.bg_rewind() else {
            return Err(Error::bad_state("bg need not be sought back: the next fg frame's bg frame is ahead"));
        };
        if index > need {
            return Err(Error::invalid(format!("bg cannot restart at frame {index}: fg needs frame {need}")));
        }
        self.bg.sought();
        self.bg_sent = index;
        self.ended[1] = false;
        Ok(())
    }

    /// Why a bg frame cannot be taken now: the map went back and bg was not sought.
    fn rewind_error(&self, need: usize) -> Error {
        Error::bad_state(format!(
            "fg frame {} needs bg frame {need}, which bg has passed (fg's shots go back in bg here): seek bg back to it and call seek_bg",
            self.next_fg
        ))
    }

    /// Which stream `receive` needs next, or None when it can produce output (or is done).
    pub fn wants(&self) -> Option<Stream> {
        if self.next_fg >= self.alignment.fg_frames {
            return None;
        }
        if !self.fg_pending {
            return (!self.ended[0]).then_some(Stream::Fg);
        }
        if self.bg_rewind().is_some() {
            return Some(Stream::Bg);
        }
        let need = self.needed_bg()?;
        let have = self.bg.buf.is_some() && self.bg.index == need;
        if have || self.ended[1] { None } else { Some(Stream::Bg) }
    }

    /// Sends the next frame of a stream; `None` ends the stream.
    pub fn send(&mut self, stream: Stream, frame: Option<&FrameRef<'_>>) -> Result<Sent> {
        let si = stream as usize;
        let Some(frame) = frame else {
            self.ended[si] = true;
            return Ok(Sent::Accepted);
        };
        if self.ended[si] {
            return Err(Error::bad_state(format!("{} frame after the end of its stream", stream.name())));
        }
        if let Some(media) = &self.alignment.media {
            let info = if stream == Stream::Fg { &media.fg } else { &media.bg };
            info.check_frame(stream.name(), frame)?;
        }
        match stream {
            Stream::Fg => {
                check_shape(&mut self.fg.shape, stream, frame)?;
                if self.fg_pending {
                    return Ok(Sent::Again);
                }
                let seconds = self.fg.checked_time(stream, frame)?;
                let index = self.index_of(Stream::Fg, frame, self.fg_sent);
                self.check_within(stream, index, self.alignment.fg_frames)?;
                self.fg.taken_at(seconds);
                if index < self.fg_sent as i64 {
                    self.stats.fg_repeated += 1;
                    return Ok(Sent::Accepted);
                }
                let index = index as usize;
                if index > self.fg_sent && index < self.alignment.fg_frames {
                    self.stats.fg_missing += index - self.fg_sent;
                    (self.fg_sent, self.next_fg) = (index, index);
                }
                if self.fg_sent >= self.alignment.fg_frames {
                    return Err(Error::bad_state(format!(
                        "more fg frames than the alignment's {}",
                        self.alignment.fg_frames
                    )));
                }
                if let Some((_, w, h)) = self.fg.shape
                    && !self.spec.content.fits_in(w, h)
                {
                    return Err(Error::invalid(format!(
                        "fg frames are {w}x{h} but the alignment's content rectangle is {:?}",
                        self.spec.content
                    )));
                }
                self.fg.store(frame, self.fg_sent)?;
                self.fg_sent += 1;
                self.fg_pending = true;
                Ok(Sent::Accepted)
            }
            Stream::Bg => {
                check_shape(&mut self.bg.shape, stream, frame)?;
                if let Some(need) = self.bg_rewind() {
                    return Err(self.rewind_error(need));
                }
                let seconds = self.bg.checked_time(stream, frame)?;
                let index = self.index_of(Stream::Bg, frame, self.bg_sent);
                self.check_within(stream, index, self.alignment.bg_frames)?;
                if index < self.bg_sent as i64 {
                    self.stats.bg_repeated += 1;
                    self.bg.taken_at(seconds);
                    return Ok(Sent::Accepted);
                }
                let index = index as usize;
                if let Some(need) = self.needed_bg()
                    && index > need
                    && self.bg.buf.is_some()
                {
                    // The held frame serves the next fg frame: if it is not the one the map
                    // names, that one never came, and the frame before it stands in.
                    if self.bg.index != need {
                        self.stats.bg_stand_ins += 1;
                        self.bg.index = need;
                    }
                    return Ok(Sent::Again);
                }
                self.bg.taken_at(seconds);
                if self.bg.buf.is_some() {
                    // Frames before the first one received were skipped by a seek, not lost.
                    self.stats.bg_missing += index - self.bg_sent;
                }
                self.bg_sent = index + 1;
                let needed = self.needed_bg().is_some_and(|need| index == need);
                // A frame no fg frame needs is skipped, unless nothing is held yet (it is then
                // the fallback should bg end early).
                if needed || self.bg.buf.is_none() {
                    self.bg.store(frame, index)?;
                }
                Ok(Sent::Accepted)
            }
        }
    }

    /// Refuses a frame whose timestamp puts it after the stream's last frame in the alignment
    /// (more than one frame past it): a stream analysed with that many frames has no such frame,
    /// and taking it would leave every later frame looking like a repeat.
    fn check_within(&self, stream: Stream, index: i64, frames: usize) -> Result<()> {
        if index > frames as i64 {
            return Err(Error::invalid(format!(
                "{} frame at index {index} by its timestamp: the alignment has {frames} {} frames",
                stream.name(),
                stream.name()
            )));
        }
        Ok(())
    }

    /// The alignment's index of a frame: from its pts when the stream's timing is known and
    /// constant, else the count of frames sent so far.
    fn index_of(&self, stream: Stream, frame: &FrameRef<'_>, count: usize) -> i64 {
        let info = self.alignment.media.as_ref().map(|m| if stream == Stream::Fg { m.fg } else { m.bg });
        let seconds = (frame.pts != crate::session::clock::NO_PTS).then(|| frame.seconds()).flatten();
        match (info, seconds) {
            (Some(info), Some(seconds)) => info.index_at(seconds).unwrap_or(count as i64),
            _ => count as i64,
        }
    }

    /// Frames dropped or repeated by the host's decoder so far, as their timestamps show.
    pub fn stats(&self) -> PassStats {
        self.stats
    }

    /// What `receive` would answer without producing anything: `None` when a frame is ready,
    /// otherwise AGAIN (with the stream needed) or EOF.
    pub fn poll(&self) -> Result<Option<Received<'static>>> {
        Ok(self.ready()?.err())
    }

    /// Whether the next fg frame can be composited now; otherwise what is missing.
    fn ready(&self) -> Result<std::result::Result<(), Received<'static>>> {
        if self.next_fg >= self.alignment.fg_frames {
            return Ok(Err(Received::Eof));
        }
        if !self.fg_pending {
            if self.ended[0] {
                return Err(Error::bad_state(format!(
                    "fg ended after {} frames; the alignment has {}",
                    self.fg_sent, self.alignment.fg_frames
                )));
            }
            return Ok(Err(Received::Again(Stream::Fg)));
        }
        if let Some(need) = self.bg_rewind() {
            return if self.ended[1] { Err(self.rewind_error(need)) } else { Ok(Err(Received::Again(Stream::Bg))) };
        }
        let need = self.needed_bg().expect("next_fg < fg_frames");
        if !(self.bg.buf.is_some() && self.bg.index == need) {
            if !self.ended[1] {
                return Ok(Err(Received::Again(Stream::Bg)));
            }
            if self.bg.buf.is_none() {
                return Err(Error::bad_state("bg ended before its first frame"));
            }
            // bg ended early: the last bg frame stays under the remaining fg frames.
        }
        Ok(Ok(()))
    }

    /// Composites the pending fg frame into `out` and moves on.
    fn compose_into(&mut self, out: &mut FrameMut<'_>) -> Result<()> {
        let bg = self.bg.buf.as_ref().expect("ready() checked bg");
        let fg = self.fg.buf.as_ref().expect("pending fg is held");
        compose(&bg.as_frame(), &fg.as_frame(), &self.spec, &mut self.scratch, out)?;
        self.next_fg += 1;
        self.fg_pending = false;
        Ok(())
    }

    /// The next composited frame (library-owned, valid until the next call), or what is
    /// missing.
    pub fn receive(&mut self) -> Result<Received<'_>> {
        if let Err(missing) = self.ready()? {
            return Ok(missing);
        }
        let bgf = self.bg.buf.as_ref().expect("ready() checked bg").as_frame();
        if self
            .out
            .as_ref()
            .is_none_or(|o| (o.format(), o.width(), o.height()) != (bgf.format(), bgf.width(), bgf.height()))
        {
            self.out = Some(FrameBuf::new(bgf.format(), bgf.width(), bgf.height())?);
        }
        let mut out = self.out.take().expect("allocated above");
        let result = self.compose_into(&mut out.as_frame_mut());
        let fg = self.fg.buf.as_ref().expect("held");
        out.pts = fg.pts;
        out.time_base = fg.time_base;
        out.color = self.bg.buf.as_ref().expect("ready() checked bg").color;
        self.out = Some(out);
        result?;
        Ok(Received::Frame(self.out.as_ref().expect("kept").as_frame()))
    }

    /// Like `receive`, but composites straight into the host's frame (zero copy), which must
    /// have bg's format and size. Returns `Ok(None)` when a frame was written.
    pub fn receive_into(&mut self, out: &mut FrameMut<'_>) -> Result<Option<Received<'static>>> {
        if let Err(missing) = self.ready()? {
            return Ok(Some(missing));
        }
        self.compose_into(out)?;
        Ok(None)
    }

    /// The first bg frame any fg frame of the map's first leg needs: a host that can seek may
    /// start bg there.
    pub fn first_needed_bg(&self) -> usize {
        self.first_needed
    }

    /// The nominal pts of [`Compositor::first_needed_bg`] in bg's time base, when the
    /// alignment records bg's timing.
    pub fn first_needed_bg_pts(&self) -> Option<(i64, crate::frame::TimeBase)> {
        let bg = self.alignment.media.as_ref()?.bg;
        Some((bg.pts_of(self.first_needed_bg())?, bg.time_base))
    }

    /// Declares that the first bg frame sent will be bg frame `index` (the host sought there,
    /// skipping frames no fg frame needs). Only before any bg frame is sent, and not past
    /// [`Compositor::first_needed_bg`].
    pub fn start_bg_at(&mut self, index: usize) -> Result<()> {
        if self.bg_sent != 0 || self.bg.buf.is_some() {
            return Err(Error::bad_state("bg frames were already sent"));
        }
        if index > self.first_needed_bg() {
            return Err(Error::invalid(format!(
                "bg cannot start at frame {index}: fg needs frame {}",
                self.first_needed_bg()
            )));
        }
        self.bg_sent = index;
        Ok(())
    }

    /// pts and time base of the fg frame most recently output.
    pub fn last_pts(&self) -> Option<(i64, crate::frame::TimeBase)> {
        self.fg.buf.as_ref().map(|f| (f.pts, f.time_base))
    }

    pub fn alignment(&self) -> &Alignment {
        &self.alignment
    }

    /// Drives the whole pass: sends whatever `receive` asks for, from `fg` and `bg`, and hands
    /// each composited frame to `sink`, until every fg frame is out. Returns the frame count.
    pub fn run(
        &mut self,
        fg: &mut impl FrameSource,
        bg: &mut impl FrameSource,
        mut sink: impl FnMut(&FrameRef<'_>) -> Result<()>,
    ) -> Result<usize> {
        let mut written = 0;
        loop {
            let stream = match self.receive()? {
                Received::Frame(frame) => {
                    sink(&frame)?;
                    written += 1;
                    continue;
                }
                Received::Again(stream) => stream,
                Received::Eof => return Ok(written),
            };
            if stream == Stream::Bg
                && let Some(need) = self.bg_rewind()
            {
                if !bg.seek_to(need)? {
                    return Err(self.rewind_error(need));
                }
                self.seek_bg(need)?;
            }
            let source: &mut dyn FrameSource = if stream == Stream::Fg { fg } else { bg };
            let frame = source.next_frame()?;
            // AGAIN: the frame after one the source lost (its pts skips one); the frame before
            // stands in for the lost one, whose output comes first, then this frame is sent.
            while self.send(stream, frame.as_ref())? == Sent::Again {
                match self.receive()? {
                    Received::Frame(out) => {
                        sink(&out)?;
                        written += 1;
                    }
                    Received::Eof => return Ok(written),
                    Received::Again(_) => {
                        return Err(Error::Internal("send asked for a receive, which asked for input".into()));
                    }
                }
            }
        }
    }
}

/// Something that yields the frames of one stream in order (a decoder, a file, a generator).
pub trait FrameSource {
    /// The next frame, valid until the next call, or `None` at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>>;
    /// Moves back so that the next frame is frame `index` (a map that goes back in bg needs
    /// it); false when the source cannot.
    fn seek_to(&mut self, index: usize) -> Result<bool> {
        let _ = index;
        Ok(false)
    }
}

/// Frames already in memory, in order.
pub struct BufferedFrames<'a> {
    frames: &'a [FrameBuf],
    next: usize,
}

impl<'a> BufferedFrames<'a> {
    pub fn new(frames: &'a [FrameBuf]) -> BufferedFrames<'a> {
        BufferedFrames { frames, next: 0 }
    }
}

impl FrameSource for BufferedFrames<'_> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>> {
        let frame = self.frames.get(self.next).map(FrameBuf::as_frame);
        self.next += 1;
        Ok(frame)
    }

    fn seek_to(&mut self, index: usize) -> Result<bool> {
        self.next = index.min(self.frames.len());
        Ok(true)
    }
}
