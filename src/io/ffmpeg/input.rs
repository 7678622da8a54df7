//! Reading the video stream of any file FFmpeg opens (containers, raw streams, JPEG/PNG
//! pictures), decoded into frames the library can take as they are or after one conversion.

use std::path::{Path, PathBuf};

use ffmpeg_sys_next as ff;

use super::{AvFrame, AvPacket, Scaler, av_error, av_pixel_format, c_path, pixel_format_of, time_base};
use crate::error::{Error, Result};
use crate::frame::{AlphaMode, FrameBuf, FrameColor, FrameRef, PixelFormat, TimeBase};

/// Shortest input whose unreferenced frames the scout's decoding skips (see
/// `VideoInput::skip_unreferenced_in_long_input`).
const UNREFERENCED_SKIP_SECONDS: f64 = 2.0;

/// What a video input holds.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub width: u32,
    pub height: u32,
    /// The stream's time base: the unit of every frame's pts.
    pub time_base: TimeBase,
    /// Nominal frame rate (average when known, else the container's guess).
    pub frame_rate: (i32, i32),
    pub start_seconds: f64,
    pub duration_seconds: Option<f64>,
    /// Frame count from the container, or duration × rate; `None` when neither is known.
    pub frame_estimate: Option<usize>,
    /// Index of the file's best audio stream, if it has one.
    pub audio_stream: Option<i32>,
}

impl VideoInfo {
    pub fn frame_period(&self) -> f64 {
        let (n, d) = self.frame_rate;
        if n > 0 && d > 0 { d as f64 / n as f64 } else { 1.0 / 25.0 }
    }
}

/// A decoded frame, owned: it can move to another thread.
pub struct DecodedFrame {
    frame: AvFrame,
    /// The picture converted to a format the library takes, when the decoder's is not one.
    converted: Option<FrameBuf>,
    format: PixelFormat,
    pub pts: i64,
    pub time_base: TimeBase,
}

impl DecodedFrame {
    /// Whether the frame decodes on its own (seeking to it costs no earlier frames).
    pub fn is_key(&self) -> bool {
        // SAFETY: the frame is ours and decoded.
        unsafe { (*self.frame.0).key_frame != 0 }
    }

    pub fn as_frame(&self) -> FrameRef<'_> {
        // FFmpeg's alpha is straight (unassociated).
        let alpha = if self.format.has_alpha() { AlphaMode::Straight } else { AlphaMode::Ignored };
        let color = FrameColor { alpha, ..FrameColor::default() };
        if let Some(buf) = &self.converted {
            return buf.as_frame().with_pts(self.pts, self.time_base).with_color(color);
        }
        let f = self.frame.0;
        // SAFETY: the frame is ours and decoded; its planes stay alive and unchanged while we
        // hold it, which outlives the returned borrow. `frame_view` validated the same view
        // when the frame was decoded.
        let view = unsafe { frame_view(f, self.format) }.expect("validated when decoded");
        view.with_pts(self.pts, self.time_base).with_color(color)
    }
}

/// The library's view of a decoded AVFrame of a format it takes as is.
///
/// # Safety
/// `f` must be a valid decoded frame whose planes outlive `'a` unchanged.
unsafe fn frame_view<'a>(f: *const ff::AVFrame, format: PixelFormat) -> Result<FrameRef<'a>> {
    // SAFETY: the caller passes a valid frame; FrameRef::from_raw checks sizes, strides and
    // NULL planes before forming any slice.
    unsafe {
        let f = &*f;
        let data = [f.data[0] as *const u8, f.data[1], f.data[2], f.data[3]];
        let stride = [0, 1, 2, 3].map(|p| f.linesize[p] as isize);
        FrameRef::from_raw(format, f.width as u32, f.height as u32, data, stride)
            .map_err(|e| Error::InvalidData(format!("a decoded frame does not fit its format: {e}")))
    }
}

/// The decoder of a file's best video stream.
pub struct VideoInput {
    path: PathBuf,
    context: *mut ff::AVFormatContext,
    decoder: *mut ff::AVCodecContext,
    stream: i32,
    packet: AvPacket,
    scaler: Option<Scaler>,
    draining: bool,
    decoded: u64,
    info: VideoInfo,
    /// Where the video stream ends by the container's own count (its index), in seconds.
    declared_end: Option<f64>,
    /// The end of the last video packet read, in seconds.
    read_until: Option<f64>,
    /// Quarter turns clockwise that show the stream upright (its display matrix).
    turns: u8,
    /// While scanning for keyframes: every video packet's pts (`None` in it: one had none).
    packet_pts: Option<Vec<Option<i64>>>,
}

// SAFETY: the FFmpeg contexts are owned by this value and used only through `&mut self`, so by
// one thread at a time; FFmpeg keeps no thread affinity for them.
unsafe impl Send for VideoInput {}

impl Drop for VideoInput {
    fn drop(&mut self) {
        // SAFETY: both are ours (or NULL, which both functions accept).
        unsafe {
            ff::avcodec_free_context(&mut self.decoder);
            ff::avformat_close_input(&mut self.context);
        }
    }
}

impl VideoInput {
    pub fn open(path: &Path) -> Result<VideoInput> {
        let c = c_path(path)?;
        let mut input = VideoInput {
            path: path.to_path_buf(),
            context: std::ptr::null_mut(),
            decoder: std::ptr::null_mut(),
            stream: -1,
            packet: AvPacket::new()?,
            scaler: None,
            draining: false,
            decoded: 0,
            declared_end: None,
            read_until: None,
            turns: 0,
            packet_pts: None,
            info: VideoInfo {
                width: 0,
                height: 0,
                time_base: TimeBase::NONE,
                frame_rate: (0, 1),
                start_seconds: 0.0,
                duration_seconds: None,
                frame_estimate: None,
                audio_stream: None,
            },
        };
        // SAFETY: each stage passes valid pointers (or NULL where FFmpeg allows it) and checks
        // each result before the next call; whatever was allocated is freed by Drop.
        unsafe {
            let r = ff::avformat_open_input(&mut input.context, c.as_ptr(), std::ptr::null(), std::ptr::null_mut());
            if r < 0 {
                return Err(av_error(path, "cannot open", r));
            }
            let r = ff::avformat_find_stream_info(input.context, std::ptr::null_mut());
            if r < 0 {
                return Err(av_error(path, "cannot read stream information", r));
            }
            let stream = input.open_decoder()?;
            input.info = input.read_info(stream)?;
        }
        Ok(input)
    }

    /// Finds the best video stream and opens its decoder (FFmpeg's threads, the stream's time
    /// base on its packets).
    ///
    /// # Safety
    /// The container is open and its stream information read; called once, from `open`.
    unsafe fn open_decoder(&mut self) -> Result<*mut ff::AVStream> {
        let path = self.path.as_path();
        // SAFETY: by contract; results checked before use.
        unsafe {
            let mut codec: *const ff::AVCodec = std::ptr::null();
            let r = ff::av_find_best_stream(self.context, ff::AVMediaType::AVMEDIA_TYPE_VIDEO, -1, -1, &mut codec, 0);
            if r == ff::AVERROR_DECODER_NOT_FOUND {
                return Err(Error::Unsupported(format!("{}: no decoder for its video stream", path.display())));
            }
            if r < 0 {
                return Err(Error::InvalidData(format!("{}: no video stream", path.display())));
            }
            self.stream = r;
            let stream = *(*self.context).streams.add(r as usize);
            self.decoder = ff::avcodec_alloc_context3(codec);
            if self.decoder.is_null() {
                return Err(Error::Io("out of memory for a decoder".into()));
            }
            let r = ff::avcodec_parameters_to_context(self.decoder, (*stream).codecpar);
            if r < 0 {
                return Err(av_error(path, "bad video stream parameters", r));
            }
            (*self.decoder).thread_count = 0;
            (*self.decoder).pkt_timebase = (*stream).time_base;
            let r = ff::avcodec_open2(self.decoder, codec, std::ptr::null_mut());
            if r < 0 {
                return Err(av_error(path, "cannot open the video decoder", r));
            }
            Ok(stream)
        }
    }

    /// What the container says of the video: the picture as shown (turned by its display
    /// matrix), time base, rate, start, duration, a frame count estimate, and the audio stream
    /// beside it. Sets the quarter turns and the declared end on the way.
    ///
    /// # Safety
    /// `stream` is this input's video stream, its decoder open.
    unsafe fn read_info(&mut self, stream: *mut ff::AVStream) -> Result<VideoInfo> {
        let path = self.path.as_path();
        // SAFETY: by contract.
        unsafe {
            let par = &*(*stream).codecpar;
            if par.width <= 0 || par.height <= 0 {
                return Err(Error::InvalidData(format!("{}: the video stream has no picture size", path.display())));
            }
            self.turns = super::rotation::quarter_turns(stream).map_err(|e| with_path(path, e))?;
            let (shown_width, shown_height) =
                if self.turns % 2 == 1 { (par.height, par.width) } else { (par.width, par.height) };
            let tb = (*stream).time_base;
            let rate = if (*stream).avg_frame_rate.num > 0 && (*stream).avg_frame_rate.den > 0 {
                (*stream).avg_frame_rate
            } else {
                (*stream).r_frame_rate
            };
            let seconds = |ts: i64| (ts as f64) * tb.num as f64 / tb.den as f64;
            let start = if (*stream).start_time != ff::AV_NOPTS_VALUE { seconds((*stream).start_time) } else { 0.0 };
            let declared = (*stream).duration != ff::AV_NOPTS_VALUE && (*stream).duration > 0;
            if declared {
                self.declared_end = Some(start + seconds((*stream).duration));
            }
            let duration = if declared {
                Some(seconds((*stream).duration))
            } else if (*self.context).duration > 0 {
                Some((*self.context).duration as f64 / ff::AV_TIME_BASE as f64)
            } else {
                None
            };
            let period = if rate.num > 0 && rate.den > 0 { rate.den as f64 / rate.num as f64 } else { 0.0 };
            let estimate = if (*stream).nb_frames > 0 {
                Some((*stream).nb_frames as usize)
            } else {
                duration.filter(|_| period > 0.0).map(|d| (d / period).round() as usize)
            };
            // The audio stream beside the video (FFmpeg prefers one of the same program).
            let audio = ff::av_find_best_stream(
                self.context,
                ff::AVMediaType::AVMEDIA_TYPE_AUDIO,
                -1,
                self.stream,
                std::ptr::null_mut(),
                0,
            );
            Ok(VideoInfo {
                width: shown_width as u32,
                height: shown_height as u32,
                time_base: time_base(tb),
                frame_rate: (rate.num, rate.den),
                start_seconds: start,
                duration_seconds: duration,
                frame_estimate: estimate,
                audio_stream: (audio >= 0).then_some(audio),
            })
        }
    }

    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stream's codec parameters and time base, for copying a stream of this file.
    pub(super) fn stream_parameters(&self, index: i32) -> Option<(*const ff::AVCodecParameters, ff::AVRational)> {
        // SAFETY: the context is open; the index is checked against the stream count.
        unsafe {
            let c = &*self.context;
            if index < 0 || index as u32 >= c.nb_streams {
                return None;
            }
            let s = *c.streams.add(index as usize);
            Some(((*s).codecpar as *const _, (*s).time_base))
        }
    }

    /// The next packet of any stream (for copying audio); `Ok(false)` at the end.
    pub(super) fn read_packet(&mut self, packet: *mut ff::AVPacket) -> Result<bool> {
        // SAFETY: the context is open and the packet is a valid, unreferenced packet.
        let r = unsafe { ff::av_read_frame(self.context, packet) };
        if r == ff::AVERROR_EOF {
            return Ok(false);
        }
        if r < 0 {
            return Err(av_error(&self.path, "cannot read", r));
        }
        Ok(true)
    }

    /// The next decoded frame, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<DecodedFrame>> {
        let frame = AvFrame::new()?;
        loop {
            // SAFETY: decoder open, frame allocated.
            let r = unsafe { ff::avcodec_receive_frame(self.decoder, frame.0) };
            if r == 0 {
                return self.finish_frame(frame).map(Some);
            }
            if r == ff::AVERROR_EOF {
                return Ok(None);
            }
            if r != ff::AVERROR(libc::EAGAIN) {
                return Err(self.corrupt(r));
            }
            if self.draining {
                return Ok(None);
            }
            // SAFETY: context open, packet owned and unreferenced between reads.
            let r = unsafe { ff::av_read_frame(self.context, self.packet.0) };
            if r == ff::AVERROR_EOF {
                self.check_whole()?;
                self.draining = true;
                // SAFETY: a NULL packet starts draining.
                let r = unsafe { ff::avcodec_send_packet(self.decoder, std::ptr::null()) };
                if r < 0 && r != ff::AVERROR_EOF {
                    return Err(self.corrupt(r));
                }
                continue;
            }
            if r < 0 {
                return Err(self.corrupt(r));
            }
            // SAFETY: the packet was just filled by av_read_frame.
            let result = unsafe {
                let r = if (*self.packet.0).stream_index == self.stream {
                    self.note_packet_end();
                    ff::avcodec_send_packet(self.decoder, self.packet.0)
                } else {
                    0
                };
                ff::av_packet_unref(self.packet.0);
                r
            };
            if result < 0 && result != ff::AVERROR(libc::EAGAIN) {
                return Err(self.corrupt(result));
            }
        }
    }

    /// A read or decode failure, said the same way wherever the file was cut or damaged.
    fn corrupt(&self, code: i32) -> Error {
        let e = av_error(&self.path, &self.cut_short_message(), code);
        match e {
            Error::Io(m) => Error::InvalidData(m),
            other => other,
        }
    }

    fn cut_short_message(&self) -> String {
        let at = self.read_until.unwrap_or(self.decoded as f64 * self.info.frame_period());
        format!("the video stream is cut short or corrupt near {at:.2} s")
    }

    /// At the end of the packets: refuses a stream that ends more than a frame and a half
    /// before the container's own count says (a file cut short while its index survived: the
    /// frames after the cut would otherwise just be missing).
    fn check_whole(&self) -> Result<()> {
        let (Some(declared), period) = (self.declared_end, self.info.frame_period()) else { return Ok(()) };
        let read = self.read_until.unwrap_or(self.info.start_seconds);
        if read + 1.5 * period.max(1e-3) < declared {
            return Err(Error::InvalidData(format!(
                "{}: {} (its index goes on to {declared:.2} s)",
                self.path.display(),
                self.cut_short_message()
            )));
        }
        Ok(())
    }

    /// Records where the video packet just read ends.
    ///
    /// # Safety
    /// `self.packet` holds a packet from av_read_frame.
    unsafe fn note_packet_end(&mut self) {
        // SAFETY: the caller's contract.
        let p = unsafe { &*self.packet.0 };
        if let Some(all) = self.packet_pts.as_mut() {
            all.push((p.pts != ff::AV_NOPTS_VALUE).then_some(p.pts));
        }
        let ts = if p.pts != ff::AV_NOPTS_VALUE { p.pts } else { p.dts };
        if ts == ff::AV_NOPTS_VALUE {
            return;
        }
        let tb = self.info.time_base;
        let end = (ts + p.duration.max(0)) as f64 * tb.num as f64 / tb.den.max(1) as f64;
        self.read_until = Some(self.read_until.map_or(end, |r| r.max(end)));
    }

    /// Timestamps a decoded frame and brings it into a format the library takes.
    fn finish_frame(&mut self, frame: AvFrame) -> Result<DecodedFrame> {
        let mut decoded = self.taken_frame(frame)?;
        if self.turns != 0 {
            let mut upright = None;
            super::rotation::turned(&decoded.as_frame(), self.turns, &mut upright)?;
            let upright = upright.expect("turned fills it");
            decoded.format = upright.format();
            decoded.converted = Some(upright);
        }
        Ok(decoded)
    }

    /// A decoded frame timestamped, in a format the library takes (as stored: not turned).
    fn taken_frame(&mut self, frame: AvFrame) -> Result<DecodedFrame> {
        let period_ticks = {
            let tb = self.info.time_base;
            self.info.frame_period() * tb.den as f64 / tb.num.max(1) as f64
        };
        // SAFETY: a frame the decoder just returned.
        let (av_format, width, height, best, negative) = unsafe {
            let f = &*frame.0;
            (f.format, f.width, f.height, f.best_effort_timestamp, f.linesize.iter().any(|&s| s < 0))
        };
        let pts = if best != ff::AV_NOPTS_VALUE { best } else { (self.decoded as f64 * period_ticks).round() as i64 };
        self.decoded += 1;
        let tb = self.info.time_base;
        // 4:2:2 turned by a quarter would be 4:4:0: such frames become I420 first.
        let turns_sideways = self.turns % 2 == 1;
        let direct = pixel_format_of(av_format).filter(|f| !(negative || turns_sideways && f.chroma_shift() == (1, 0)));
        if let Some(format) = direct {
            // SAFETY: a decoded frame we own, checked now so that `as_frame` cannot fail.
            unsafe { frame_view(frame.0, format) }.map_err(|e| with_path(&self.path, e))?;
            return Ok(DecodedFrame { frame, converted: None, format, pts, time_base: tb });
        }
        // Anything else (4:2:2, 4:4:4, full-range JPEG YUV, palettes, ...) becomes I420, or
        // RGBA when it carries alpha.
        // SAFETY: FFmpeg's descriptor table covers every format a decoder returns.
        let has_alpha = unsafe {
            let d = ff::av_pix_fmt_desc_get(std::mem::transmute::<i32, ff::AVPixelFormat>(av_format));
            !d.is_null() && (*d).flags & ff::AV_PIX_FMT_FLAG_ALPHA as u64 != 0
        };
        let target = if has_alpha { PixelFormat::Rgba } else { PixelFormat::I420 };
        let mut buf = FrameBuf::new(target, width as u32, height as u32)
            .map_err(|e| Error::InvalidData(format!("{}: {e}", self.path.display())))?;
        let scaler =
            Scaler::get(&mut self.scaler, (width, height, av_format), (width, height, av_pixel_format(target) as i32))?;
        let mut dst_ptrs = [std::ptr::null_mut(); 4];
        let mut dst_strides = [0i32; 4];
        for p in 0..target.plane_count() {
            dst_strides[p] = buf.stride(p) as i32;
            dst_ptrs[p] = buf.plane_mut(p).as_mut_ptr();
        }
        // SAFETY: the source is the decoded frame of the scaler's input shape; the destination
        // planes are `buf`'s, sized for the output shape with the strides given.
        unsafe {
            let f = &*frame.0;
            let src = [f.data[0] as *const u8, f.data[1], f.data[2], f.data[3]];
            scaler.convert((src, [0, 1, 2, 3].map(|p| f.linesize[p])), (dst_ptrs, dst_strides));
        }
        Ok(DecodedFrame { frame, converted: Some(buf), format: target, pts, time_base: tb })
    }

    /// Moves to the last keyframe at or before `seconds`; `Ok(false)` when the file cannot seek.
    pub fn seek(&mut self, seconds: f64) -> Result<bool> {
        let tb = self.info.time_base;
        let ts = (seconds * tb.den as f64 / tb.num.max(1) as f64).floor() as i64;
        // SAFETY: context and decoder open.
        let r = unsafe { ff::av_seek_frame(self.context, self.stream, ts, ff::AVSEEK_FLAG_BACKWARD) };
        if r < 0 {
            return Ok(false);
        }
        // SAFETY: decoder open; flushing drops frames of the old position.
        unsafe { ff::avcodec_flush_buffers(self.decoder) };
        self.draining = false;
        Ok(true)
    }

    /// Skips the deblocking filter from now on: for analysis, whose descriptors look at the
    /// picture's coarse structure, H.264 then decodes markedly faster.
    pub fn skip_deblocking(&mut self) {
        // SAFETY: the decoder is open; the field may change between packets.
        unsafe { (*self.decoder).skip_loop_filter = ff::AVDiscard::AVDISCARD_ALL };
    }

    /// Skips, from now on, the frames no other frame refers to (an H.264 fg's B-frames: about
    /// half its frames, and half its decoding time), when the input lasts at least
    /// `UNREFERENCED_SKIP_SECONDS`: the frames left are then still at most a few frame
    /// periods apart and many, where a clip of a few frames could be left with one.
    pub fn skip_unreferenced_in_long_input(&mut self) {
        if self.info.duration_seconds.is_some_and(|d| d >= UNREFERENCED_SKIP_SECONDS) {
            // SAFETY: the decoder is open; the field may change between packets.
            unsafe { (*self.decoder).skip_frame = ff::AVDiscard::AVDISCARD_NONREF };
        }
    }

    /// Seeks to the frame with timestamp `pts` and returns it; `None` when the file cannot
    /// seek or the frame is not found there (the input is then somewhere after it).
    pub fn seek_to_frame(&mut self, pts: i64) -> Result<Option<DecodedFrame>> {
        let Some(seconds) = self.info.time_base.seconds(pts) else { return Ok(None) };
        if !self.seek(seconds)? {
            return Ok(None);
        }
        while let Some(frame) = self.next_frame()? {
            if frame.pts == pts {
                return Ok(Some(frame));
            }
            if frame.pts > pts {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// Reads the whole file once, decoding only its keyframes (each handed to `each`, which
    /// answers false to stop), and returns every frame's pts in presentation order, read from
    /// the packets: what a scout needs to sample bg cheaply and to name the frames of a span.
    /// `None` when a packet has no pts or two share one (frames are then known only by
    /// decoding them all).
    pub fn scan_keyframes(&mut self, each: &mut dyn FnMut(DecodedFrame) -> bool) -> Result<Option<Vec<i64>>> {
        // SAFETY: the decoder is open; these fields may change between packets.
        unsafe {
            (*self.decoder).skip_loop_filter = ff::AVDiscard::AVDISCARD_ALL;
            (*self.decoder).skip_frame = ff::AVDiscard::AVDISCARD_NONKEY;
        }
        self.packet_pts = Some(Vec::new());
        while let Some(frame) = self.next_frame()? {
            if !each(frame) {
                return Ok(None);
            }
        }
        let all = self.packet_pts.take().unwrap_or_default();
        let Some(mut pts) = all.into_iter().collect::<Option<Vec<i64>>>() else { return Ok(None) };
        pts.sort_unstable();
        let distinct = pts.windows(2).all(|w| w[0] < w[1]);
        Ok((distinct && !pts.is_empty()).then_some(pts))
    }

    /// `count` frames spread evenly over the file, found by seeking (for placement). A
    /// picture or a file that cannot seek gives what a forward read finds.
    pub fn samples(&mut self, count: usize) -> Result<Vec<FrameBuf>> {
        let count = count.max(1);
        // Placement samples only need the picture's structure: skipping the deblocking filter
        // makes H.264 decoding markedly faster. Set before the first packet is decoded.
        // SAFETY: the decoder is open; these fields may change between packets.
        // Frames nothing refers to (B-frames, mostly) need not be decoded at all.
        unsafe {
            (*self.decoder).skip_loop_filter = ff::AVDiscard::AVDISCARD_ALL;
            (*self.decoder).skip_frame = ff::AVDiscard::AVDISCARD_NONREF;
        }
        let info = self.info.clone();
        let duration = info.duration_seconds.unwrap_or(0.0);
        let period = info.frame_period();
        let mut out: Vec<FrameBuf> = Vec::with_capacity(count);
        let mut position = f64::NEG_INFINITY;
        for s in 0..count {
            // From the first frame to the last, as a reader of every frame would pick them.
            let span = (duration - period).max(0.0);
            let target = info.start_seconds + if count > 1 { span * s as f64 / (count - 1) as f64 } else { 0.0 };
            // Far ahead: seek (to the keyframe before it); near: decoding on is cheaper.
            if target > position + SEEK_AHEAD_SECONDS && s > 0 && !self.seek(target)? {
                position = f64::NEG_INFINITY;
            }
            let mut decoded = 0;
            let frame = loop {
                let Some(frame) = self.next_frame()? else { break None };
                decoded += 1;
                position = info.time_base.seconds(frame.pts).unwrap_or(position);
                if position >= target - period / 2.0 || decoded >= MAX_DECODE_PER_SAMPLE {
                    break Some(frame);
                }
            };
            match frame {
                Some(f) => {
                    let view = f.as_frame();
                    if out.last().is_none_or(|last| last.pts != view.pts) {
                        out.push(FrameBuf::from_frame(&view).map_err(|e| with_path(&self.path, e.into()))?);
                    }
                }
                None => break,
            }
        }
        if out.is_empty() {
            return Err(Error::InvalidData(format!("{}: no video frames", self.path.display())));
        }
        Ok(out)
    }
}

/// Targets closer than this are reached by decoding on rather than seeking.
const SEEK_AHEAD_SECONDS: f64 = 2.0;
/// A sample is the frame reached after this many decoded frames at the latest, so a long GOP
/// cannot make sampling cost a whole decode.
const MAX_DECODE_PER_SAMPLE: usize = 48;

fn with_path(path: &Path, e: Error) -> Error {
    match e {
        Error::InvalidData(m) => Error::InvalidData(format!("{}: {m}", path.display())),
        other => other,
    }
}

impl crate::io::files::InputFrame for DecodedFrame {
    fn as_frame(&self) -> FrameRef<'_> {
        DecodedFrame::as_frame(self)
    }

    fn is_key(&self) -> bool {
        DecodedFrame::is_key(self)
    }
}

impl crate::io::files::InputFile for VideoInput {
    type Frame = DecodedFrame;

    fn open(path: &Path) -> Result<VideoInput> {
        VideoInput::open(path)
    }

    fn next_frame(&mut self) -> Result<Option<DecodedFrame>> {
        VideoInput::next_frame(self)
    }

    fn frames_decoded(&self) -> u64 {
        self.decoded
    }

    fn for_analysis(&mut self) {
        self.skip_deblocking();
    }

    fn for_scouting(&mut self) {
        self.skip_deblocking();
        self.skip_unreferenced_in_long_input();
    }

    fn seek_to_frame(&mut self, pts: i64) -> Result<Option<DecodedFrame>> {
        VideoInput::seek_to_frame(self, pts)
    }

    fn scan_keyframes(&mut self, each: &mut dyn FnMut(DecodedFrame) -> bool) -> Result<Option<Vec<i64>>> {
        VideoInput::scan_keyframes(self, each)
    }

    fn scans_keyframes() -> bool {
        true
    }
}
