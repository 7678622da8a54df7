//! The output's audio: one input's audio stream, its timestamps moved onto the output's clock
//! and cut to a window, copied packet by packet when the container can hold its codec and
//! re-encoded to AAC when it cannot.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use ffmpeg_sys_next as ff;

use super::{AvFrame, AvPacket, VideoInput, av_error, rational};
use crate::error::{Error, Result};

/// An audio stream being carried into an output.
pub(super) struct AudioTrack {
    path: PathBuf,
    input: VideoInput,
    source_index: i32,
    source_time_base: ff::AVRational,
    output_index: i32,
    /// Subtracted from source timestamps (source time base).
    shift: i64,
    /// Packets starting outside this span (source time base, after the shift) are dropped.
    window: Option<(i64, i64)>,
    packet: AvPacket,
    /// A packet read but not yet due.
    pending: bool,
    ended: bool,
    transcoder: Option<Transcoder>,
}

// SAFETY: the FFmpeg contexts inside are owned by this value and used through `&mut self`.
unsafe impl Send for AudioTrack {}

/// Whether the container `format` holds a stream of `parameters` as it is: not when its table
/// says no (`avformat_query_codec`), nor when its muxer refuses the stream as it starts (FLAC
/// in MP4: in the table, refused at the header as experimental), found on a scratch muxer
/// started on a memory buffer.
///
/// # Safety
/// `format` is a muxer and `parameters` live codec parameters.
unsafe fn container_holds(format: *const ff::AVOutputFormat, parameters: *const ff::AVCodecParameters) -> bool {
    // SAFETY: per the contract; the scratch context and its memory buffer are ours and freed
    // before returning (muxers look at their output's flags as they start, so it has one).
    unsafe {
        if ff::avformat_query_codec(format, (*parameters).codec_id, ff::FF_COMPLIANCE_NORMAL) == 0 {
            return false;
        }
        let mut scratch: *mut ff::AVFormatContext = std::ptr::null_mut();
        let r = ff::avformat_alloc_output_context2(&mut scratch, format, std::ptr::null(), std::ptr::null());
        if r < 0 || scratch.is_null() {
            return false;
        }
        let stream = ff::avformat_new_stream(scratch, std::ptr::null());
        let holds = !stream.is_null()
            && ff::avcodec_parameters_copy((*stream).codecpar, parameters) >= 0
            && ff::avio_open_dyn_buf(&mut (*scratch).pb) >= 0
            && {
                (*(*stream).codecpar).codec_tag = 0;
                ff::avformat_init_output(scratch, std::ptr::null_mut()) >= 0
            };
        if !(*scratch).pb.is_null() {
            let mut written: *mut u8 = std::ptr::null_mut();
            ff::avio_close_dyn_buf((*scratch).pb, &mut written);
            ff::av_free(written.cast());
            (*scratch).pb = std::ptr::null_mut();
        }
        ff::avformat_free_context(scratch);
        holds
    }
}

impl AudioTrack {
    /// Adds a stream carrying `path`'s best audio to `context` (before its header is written);
    /// `None` when the file has no audio.
    pub(super) fn add(
        context: *mut ff::AVFormatContext,
        path: &Path,
        shift_seconds: f64,
        window: Option<(f64, f64)>,
    ) -> Result<Option<AudioTrack>> {
        let input = VideoInput::open(path)?;
        let Some(index) = input.info().audio_stream else { return Ok(None) };
        let (parameters, source_time_base) = input.stream_parameters(index).expect("index from av_find_best_stream");
        let to_source = |s: f64| (s * source_time_base.den as f64 / source_time_base.num as f64).round() as i64;
        // SAFETY: the output context is set up and its header not yet written; `parameters`
        // belongs to the open input.
        unsafe {
            let held = container_holds((*context).oformat, parameters);
            let stream = ff::avformat_new_stream(context, std::ptr::null());
            if stream.is_null() {
                return Err(Error::Io("out of memory for a stream".into()));
            }
            let transcoder = if !held {
                Some(Transcoder::new(context, stream, parameters, source_time_base, path)?)
            } else {
                let r = ff::avcodec_parameters_copy((*stream).codecpar, parameters);
                if r < 0 {
                    return Err(av_error(path, "cannot copy the audio stream's parameters", r));
                }
                (*(*stream).codecpar).codec_tag = 0;
                (*stream).time_base = source_time_base;
                None
            };
            Ok(Some(AudioTrack {
                path: path.to_path_buf(),
                input,
                source_index: index,
                source_time_base,
                output_index: (*stream).index,
                shift: to_source(shift_seconds),
                window: window.map(|(a, b)| (to_source(a), to_source(b))),
                packet: AvPacket::new()?,
                pending: false,
                ended: false,
                transcoder,
            }))
        }
    }

    /// Whether the audio is re-encoded (its codec does not fit the container).
    pub(super) fn is_transcoded(&self) -> bool {
        self.transcoder.is_some()
    }

    /// Writes the packets that start before `seconds` of output time.
    pub(super) fn write_until(&mut self, context: *mut ff::AVFormatContext, seconds: f64) -> Result<()> {
        while !self.ended {
            if !self.pending && !self.read_next()? {
                break;
            }
            // SAFETY: the pending packet is valid.
            let p = unsafe { &mut *self.packet.0 };
            let tb = self.source_time_base;
            if p.pts as f64 * tb.num as f64 / tb.den as f64 > seconds {
                break;
            }
            self.pending = false;
            match &mut self.transcoder {
                Some(t) => t.decode(self.packet.0, context, self.output_index, &self.path)?,
                // SAFETY: the header is written, so the stream's time base is final; the muxer
                // takes the packet's reference.
                None => unsafe {
                    let stream_tb = (**(*context).streams.add(self.output_index as usize)).time_base;
                    p.stream_index = self.output_index;
                    p.pos = -1;
                    ff::av_packet_rescale_ts(p, tb, stream_tb);
                    let r = ff::av_interleaved_write_frame(context, p);
                    if r < 0 {
                        return Err(av_error(&self.path, "cannot write its audio", r));
                    }
                },
            }
        }
        Ok(())
    }

    /// Reads the next packet of the stream that falls in the window; `Ok(false)` at the end.
    fn read_next(&mut self) -> Result<bool> {
        loop {
            if !self.input.read_packet(self.packet.0)? {
                self.ended = true;
                return Ok(false);
            }
            // SAFETY: just read.
            let p = unsafe { &mut *self.packet.0 };
            if p.stream_index != self.source_index || p.pts == ff::AV_NOPTS_VALUE {
                // SAFETY: a packet we read.
                unsafe { ff::av_packet_unref(p) };
                continue;
            }
            p.pts -= self.shift;
            if p.dts != ff::AV_NOPTS_VALUE {
                p.dts -= self.shift;
            }
            if let Some((start, end)) = self.window {
                if p.pts >= end {
                    // SAFETY: a packet we read.
                    unsafe { ff::av_packet_unref(p) };
                    self.ended = true;
                    return Ok(false);
                }
                if p.pts < start {
                    // SAFETY: a packet we read.
                    unsafe { ff::av_packet_unref(p) };
                    continue;
                }
            }
            self.pending = true;
            return Ok(true);
        }
    }

    /// Writes everything left, draining the re-encoder.
    pub(super) fn finish(&mut self, context: *mut ff::AVFormatContext) -> Result<()> {
        self.write_until(context, f64::INFINITY)?;
        if let Some(t) = &mut self.transcoder {
            t.drain(context, self.output_index, &self.path)?;
        }
        Ok(())
    }
}

/// Decoder → resampler → FIFO of encoder-sized frames → AAC encoder.
struct Transcoder {
    decoder: *mut ff::AVCodecContext,
    encoder: *mut ff::AVCodecContext,
    resampler: *mut ff::SwrContext,
    fifo: *mut ff::AVAudioFifo,
    decoded: AvFrame,
    packet: AvPacket,
    /// Timestamp (in samples) of the next encoded frame; set from the first decoded frame.
    next_pts: Option<i64>,
}

impl Drop for Transcoder {
    fn drop(&mut self) {
        // SAFETY: all ours; each function accepts NULL.
        unsafe {
            ff::avcodec_free_context(&mut self.decoder);
            ff::avcodec_free_context(&mut self.encoder);
            ff::swr_free(&mut self.resampler);
            if !self.fifo.is_null() {
                ff::av_audio_fifo_free(self.fifo);
            }
        }
    }
}

/// The bit rate of re-encoded audio.
const AAC_BIT_RATE: i64 = 192_000;

impl Transcoder {
    /// # Safety
    /// `context` is an output context before its header; `stream` is its new audio stream;
    /// `parameters` are the source stream's.
    unsafe fn new(
        context: *mut ff::AVFormatContext,
        stream: *mut ff::AVStream,
        parameters: *const ff::AVCodecParameters,
        source_time_base: ff::AVRational,
        path: &Path,
    ) -> Result<Transcoder> {
        let mut t = Transcoder {
            decoder: std::ptr::null_mut(),
            encoder: std::ptr::null_mut(),
            resampler: std::ptr::null_mut(),
            fifo: std::ptr::null_mut(),
            decoded: AvFrame::new()?,
            packet: AvPacket::new()?,
            next_pts: None,
        };
        // SAFETY: each result is checked before use; Drop frees whatever was made.
        unsafe {
            let decoder = ff::avcodec_find_decoder((*parameters).codec_id);
            let encoder = ff::avcodec_find_encoder(ff::AVCodecID::AV_CODEC_ID_AAC);
            if decoder.is_null() || encoder.is_null() {
                let codec = CStr::from_ptr(ff::avcodec_get_name((*parameters).codec_id)).to_string_lossy();
                return Err(Error::Unsupported(format!(
                    "{}: its {codec} audio needs re-encoding for this container, and this FFmpeg cannot; use --audio none",
                    path.display()
                )));
            }
            t.decoder = ff::avcodec_alloc_context3(decoder);
            t.encoder = ff::avcodec_alloc_context3(encoder);
            if t.decoder.is_null() || t.encoder.is_null() {
                return Err(Error::Io("out of memory for an audio codec".into()));
            }
            let r = ff::avcodec_parameters_to_context(t.decoder, parameters);
            if r < 0 {
                return Err(av_error(path, "bad audio stream parameters", r));
            }
            (*t.decoder).pkt_timebase = source_time_base;
            let r = ff::avcodec_open2(t.decoder, decoder, std::ptr::null_mut());
            if r < 0 {
                return Err(av_error(path, "cannot open the audio decoder", r));
            }
            let (d, e) = (&mut *t.decoder, &mut *t.encoder);
            e.sample_rate = d.sample_rate;
            let r = ff::av_channel_layout_copy(&mut e.ch_layout, &d.ch_layout);
            if r < 0 {
                return Err(av_error(path, "bad audio channel layout", r));
            }
            e.sample_fmt = ff::AVSampleFormat::AV_SAMPLE_FMT_FLTP;
            e.bit_rate = AAC_BIT_RATE;
            e.time_base = rational(1, d.sample_rate);
            if (*(*context).oformat).flags & ff::AVFMT_GLOBALHEADER != 0 {
                e.flags |= ff::AV_CODEC_FLAG_GLOBAL_HEADER as i32;
            }
            let r = ff::avcodec_open2(t.encoder, encoder, std::ptr::null_mut());
            if r < 0 {
                return Err(av_error(path, "cannot open the AAC encoder for its audio", r));
            }
            let r = ff::avcodec_parameters_from_context((*stream).codecpar, t.encoder);
            if r < 0 {
                return Err(av_error(path, "cannot set the audio stream up", r));
            }
            (*stream).time_base = e.time_base;
            let r = ff::swr_alloc_set_opts2(
                &mut t.resampler,
                &mut e.ch_layout,
                e.sample_fmt,
                e.sample_rate,
                &mut d.ch_layout,
                d.sample_fmt,
                d.sample_rate,
                0,
                std::ptr::null_mut(),
            );
            if r < 0 || ff::swr_init(t.resampler) < 0 {
                return Err(Error::Unsupported(format!("{}: cannot convert its audio for AAC", path.display())));
            }
            t.fifo = ff::av_audio_fifo_alloc(e.sample_fmt, e.ch_layout.nb_channels, e.frame_size.max(1024));
            if t.fifo.is_null() {
                return Err(Error::Io("out of memory for audio".into()));
            }
        }
        Ok(t)
    }

    /// Decodes one packet (its reference is taken) and encodes what it completes.
    fn decode(
        &mut self,
        packet: *mut ff::AVPacket,
        context: *mut ff::AVFormatContext,
        index: i32,
        path: &Path,
    ) -> Result<()> {
        // SAFETY: decoder open; the packet is valid and unreferenced after sending.
        let r = unsafe {
            let r = ff::avcodec_send_packet(self.decoder, packet);
            ff::av_packet_unref(packet);
            r
        };
        if r < 0 && r != ff::AVERROR(libc::EAGAIN) {
            return Err(av_error(path, "corrupt audio", r));
        }
        self.receive_decoded(context, index, path)
    }

    fn receive_decoded(&mut self, context: *mut ff::AVFormatContext, index: i32, path: &Path) -> Result<()> {
        loop {
            // SAFETY: decoder open, frame owned.
            let r = unsafe { ff::avcodec_receive_frame(self.decoder, self.decoded.0) };
            if r == ff::AVERROR(libc::EAGAIN) || r == ff::AVERROR_EOF {
                return Ok(());
            }
            if r < 0 {
                return Err(av_error(path, "corrupt audio", r));
            }
            // SAFETY: a decoded frame; the resampler and FIFO were made for these formats.
            unsafe {
                let f = &*self.decoded.0;
                if self.next_pts.is_none() {
                    let ts = if f.best_effort_timestamp != ff::AV_NOPTS_VALUE { f.best_effort_timestamp } else { 0 };
                    self.next_pts = Some(ff::av_rescale_q(ts, (*self.decoder).pkt_timebase, (*self.encoder).time_base));
                }
                self.resample(f.extended_data as *mut *const u8, f.nb_samples, path)?;
                ff::av_frame_unref(self.decoded.0);
            }
            self.encode_full_frames(context, index, path, false)?;
        }
    }

    /// Converts `count` input samples (NULL input: what the resampler still holds) into the FIFO.
    ///
    /// # Safety
    /// `input` holds `count` samples in the decoder's format, or is NULL with `count` 0.
    unsafe fn resample(&mut self, input: *mut *const u8, count: i32, path: &Path) -> Result<()> {
        // SAFETY: forwarded; the output buffer is sized by swr_get_out_samples.
        unsafe {
            let room = ff::swr_get_out_samples(self.resampler, count);
            if room <= 0 {
                return Ok(());
            }
            let e = &*self.encoder;
            let mut planes: Vec<*mut u8> = vec![std::ptr::null_mut(); e.ch_layout.nb_channels as usize];
            let r = ff::av_samples_alloc(
                planes.as_mut_ptr(),
                std::ptr::null_mut(),
                e.ch_layout.nb_channels,
                room,
                e.sample_fmt,
                0,
            );
            if r < 0 {
                return Err(Error::Io("out of memory for audio".into()));
            }
            let converted = ff::swr_convert(self.resampler, planes.as_mut_ptr(), room, input, count);
            let result = if converted < 0 {
                Err(av_error(path, "cannot convert its audio", converted))
            } else if ff::av_audio_fifo_write(self.fifo, planes.as_mut_ptr() as *mut *mut libc::c_void, converted)
                < converted
            {
                Err(Error::Io("out of memory for audio".into()))
            } else {
                Ok(())
            };
            ff::av_freep(planes.as_mut_ptr() as *mut libc::c_void);
            result
        }
    }

    /// Encodes whole encoder frames from the FIFO (and, at the end, the short remainder).
    fn encode_full_frames(
        &mut self,
        context: *mut ff::AVFormatContext,
        index: i32,
        path: &Path,
        last: bool,
    ) -> Result<()> {
        // SAFETY: encoder and FIFO open; each frame gets its own buffers.
        unsafe {
            let e = &*self.encoder;
            let size = if e.frame_size > 0 { e.frame_size } else { 1024 };
            loop {
                let available = ff::av_audio_fifo_size(self.fifo);
                if available == 0 || (available < size && !last) {
                    return Ok(());
                }
                let n = available.min(size);
                let frame = AvFrame::new()?;
                let f = &mut *frame.0;
                f.nb_samples = n;
                f.format = e.sample_fmt as i32;
                f.sample_rate = e.sample_rate;
                let r = ff::av_channel_layout_copy(&mut f.ch_layout, &e.ch_layout);
                if r < 0 || ff::av_frame_get_buffer(frame.0, 0) < 0 {
                    return Err(Error::Io("out of memory for audio".into()));
                }
                ff::av_audio_fifo_read(self.fifo, f.data.as_mut_ptr() as *mut *mut libc::c_void, n);
                let pts = self.next_pts.unwrap_or(0);
                f.pts = pts;
                self.next_pts = Some(pts + n as i64);
                self.encode(frame.0, context, index, path)?;
            }
        }
    }

    fn encode(
        &mut self,
        frame: *const ff::AVFrame,
        context: *mut ff::AVFormatContext,
        index: i32,
        path: &Path,
    ) -> Result<()> {
        // SAFETY: encoder open; `frame` is a filled frame or NULL (drain).
        let r = unsafe { ff::avcodec_send_frame(self.encoder, frame) };
        if r < 0 && r != ff::AVERROR_EOF {
            return Err(av_error(path, "the AAC encoder failed", r));
        }
        loop {
            // SAFETY: encoder open, packet owned and unreferenced.
            let r = unsafe { ff::avcodec_receive_packet(self.encoder, self.packet.0) };
            if r == ff::AVERROR(libc::EAGAIN) || r == ff::AVERROR_EOF {
                return Ok(());
            }
            if r < 0 {
                return Err(av_error(path, "the AAC encoder failed", r));
            }
            // SAFETY: the header is written; the muxer takes the packet's reference.
            let r = unsafe {
                let p = &mut *self.packet.0;
                p.stream_index = index;
                let stream_tb = (**(*context).streams.add(index as usize)).time_base;
                ff::av_packet_rescale_ts(p, (*self.encoder).time_base, stream_tb);
                ff::av_interleaved_write_frame(context, p)
            };
            if r < 0 {
                return Err(av_error(path, "cannot write its audio", r));
            }
        }
    }

    /// Flushes the decoder, the resampler, the FIFO and the encoder.
    fn drain(&mut self, context: *mut ff::AVFormatContext, index: i32, path: &Path) -> Result<()> {
        // SAFETY: a NULL packet starts draining the decoder.
        unsafe { ff::avcodec_send_packet(self.decoder, std::ptr::null()) };
        self.receive_decoded(context, index, path)?;
        // SAFETY: NULL input with count 0 flushes the resampler.
        unsafe { self.resample(std::ptr::null_mut(), 0, path)? };
        self.encode_full_frames(context, index, path, true)?;
        self.encode(std::ptr::null(), context, index, path)
    }
}
