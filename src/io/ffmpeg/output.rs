//! Writing a video file: the container chosen by the target's extension, video encoded (H.264
//! by libx264 unless told otherwise), an audio stream carried in (`audio.rs`). The
//! file is written to the temporary file its [`Staged`] reserved; the job renames it once every
//! output is complete.

use std::ffi::CStr;
use std::path::PathBuf;

use ffmpeg_sys_next as ff;

use super::audio::AudioTrack;
use super::{AvFrame, AvPacket, Scaler, av_error, av_pixel_format, c_path, c_string, rational};
use crate::error::{Error, Result};
use crate::frame::{FrameRef, PixelFormat, TimeBase};
use crate::io::job::EncodeOptions;
use crate::io::staging::Staged;

/// Which audio goes into the output.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioPlan {
    None,
    /// The best audio stream of `path`, copied with timestamps moved back by `shift_seconds`,
    /// keeping only packets that start within `window` (output seconds) when one is given.
    Copy {
        path: PathBuf,
        shift_seconds: f64,
        window: Option<(f64, f64)>,
    },
}

/// A video file being written.
pub struct VideoOutput {
    target: PathBuf,
    context: *mut ff::AVFormatContext,
    encoder: *mut ff::AVCodecContext,
    encoder_time_base: ff::AVRational,
    encoder_format: i32,
    source_format: PixelFormat,
    width: u32,
    height: u32,
    frame: AvFrame,
    packet: AvPacket,
    scaler: Option<Scaler>,
    audio: Option<AudioTrack>,
    header_written: bool,
    /// The container has no timestamps and takes its rate from the stream's time base (Y4M):
    /// frames are stamped by count in a time base of one frame period.
    stamped_by_count: bool,
    pub frames_written: u64,
}

// SAFETY: the FFmpeg contexts are owned by this value and used only through `&mut self`.
unsafe impl Send for VideoOutput {}

/// The default video encoder: libx264 where the container takes H.264, else the container's own.
fn default_encoder(format: *const ff::AVOutputFormat) -> Result<*const ff::AVCodec> {
    // SAFETY: `format` is a muxer from av_guess_format; the lookups return NULL or static codecs.
    unsafe {
        let h264 = ff::avformat_query_codec(format, ff::AVCodecID::AV_CODEC_ID_H264, ff::FF_COMPLIANCE_NORMAL) == 1;
        if h264 {
            let x264 = ff::avcodec_find_encoder_by_name(c"libx264".as_ptr());
            if !x264.is_null() {
                return Ok(x264);
            }
        }
        let codec = ff::avcodec_find_encoder((*format).video_codec);
        if codec.is_null() {
            return Err(Error::Unsupported("no encoder for this container's video; name one with --codec".into()));
        }
        Ok(codec)
    }
}

fn codec_name(codec: *const ff::AVCodec) -> String {
    // SAFETY: a static codec with a static NUL-terminated name.
    unsafe { CStr::from_ptr((*codec).name) }.to_string_lossy().into_owned()
}

/// The encoder the host named (a video encoder the container can hold), or the container's
/// default (libx264 for MP4/MOV/MKV when present).
///
/// # Safety
/// `container` is FFmpeg's static description of the container.
unsafe fn chosen_encoder(
    target: &std::path::Path,
    container: *const ff::AVOutputFormat,
    options: &EncodeOptions,
) -> Result<*const ff::AVCodec> {
    // SAFETY: FFmpeg's static codec and container descriptions; results checked before use.
    unsafe {
        let codec = match &options.codec {
            Some(name) => {
                let c = ff::avcodec_find_encoder_by_name(c_string(name)?.as_ptr());
                if c.is_null() {
                    return Err(Error::Unsupported(format!("no video encoder named '{name}' in this FFmpeg")));
                }
                if (*c).type_ != ff::AVMediaType::AVMEDIA_TYPE_VIDEO {
                    return Err(Error::InvalidArgument(format!("'{name}' is not a video encoder")));
                }
                c
            }
            None => default_encoder(container)?,
        };
        if ff::avformat_query_codec(container, (*codec).id, ff::FF_COMPLIANCE_NORMAL) == 0 {
            let container = CStr::from_ptr((*container).name).to_string_lossy();
            return Err(Error::Unsupported(format!(
                "{}: {container} cannot hold {} video (choose another --codec, or another extension such as .mkv)",
                target.display(),
                codec_name(codec)
            )));
        }
        Ok(codec)
    }
}

/// The host's --crf, --preset and --bitrate as encoder options (x264/x265: crf 18 and preset
/// medium unless told otherwise; x265 kept off stderr). The caller frees the dictionary.
fn encoder_options(codec: &str, options: &EncodeOptions) -> Result<*mut ff::AVDictionary> {
    let x26x = matches!(codec, "libx264" | "libx265");
    let crf = options.crf.clone().or_else(|| (x26x && options.bitrate.is_none()).then(|| "18".to_string()));
    let preset = options.preset.clone().or_else(|| x26x.then(|| "medium".to_string()));
    // x265 prints its own banner and statistics on stderr unless told otherwise.
    let x265_quiet = (codec == "libx265" && super::library_log_quiet()).then(|| "log-level=error".into());
    // Every string is checked before the dictionary is made, so an error leaks nothing.
    let mut pairs = Vec::new();
    for (key, value) in [("crf", crf), ("preset", preset), ("b", options.bitrate.clone()), ("x265-params", x265_quiet)]
    {
        if let Some(v) = value {
            pairs.push((c_string(key)?, c_string(&v)?));
        }
    }
    let mut dict: *mut ff::AVDictionary = std::ptr::null_mut();
    for (key, value) in &pairs {
        // SAFETY: valid C strings; av_dict_set copies them.
        unsafe { ff::av_dict_set(&mut dict, key.as_ptr(), value.as_ptr(), 0) };
    }
    Ok(dict)
}

impl VideoOutput {
    /// Opens the staged file (its container chosen by the target's extension) for frames of
    /// bg's shape at fg's rate and time base.
    pub fn create(
        staged: &Staged,
        (width, height, source_format): (u32, u32, PixelFormat),
        frame_rate: (i32, i32),
        time_base: TimeBase,
        options: &EncodeOptions,
        audio: &AudioPlan,
    ) -> Result<VideoOutput> {
        let (target, temp) = (staged.target(), staged.temp());
        let mut out = VideoOutput {
            target: target.to_path_buf(),
            context: std::ptr::null_mut(),
            encoder: std::ptr::null_mut(),
            encoder_time_base: rational(time_base.num, time_base.den),
            encoder_format: -1,
            source_format,
            width,
            height,
            frame: AvFrame::new()?,
            packet: AvPacket::new()?,
            scaler: None,
            audio: None,
            header_written: false,
            stamped_by_count: false,
            frames_written: 0,
        };
        let c_target = c_path(target)?;
        // SAFETY: each stage gets valid pointers and checks FFmpeg's results before use;
        // everything allocated is owned by `out`, whose Drop frees it.
        unsafe {
            let container = out.container_for(&c_target, frame_rate)?;
            let codec = chosen_encoder(target, container, options)?;
            let stream = ff::avformat_new_stream(out.context, std::ptr::null());
            if stream.is_null() {
                return Err(Error::Io("out of memory for a stream".into()));
            }
            out.open_encoder(container, codec, frame_rate, options)?;
            out.describe_video_stream(stream, frame_rate)?;
            if let AudioPlan::Copy { path, shift_seconds, window } = audio {
                out.audio = AudioTrack::add(out.context, path, *shift_seconds, *window)?;
            }
            out.start_writing(container, temp)?;
        }
        Ok(out)
    }

    /// The container the target's extension names, and the muxer context for it.
    ///
    /// # Safety
    /// Called once, from `create`, on an output without a context.
    unsafe fn container_for(&mut self, c_target: &CStr, frame_rate: (i32, i32)) -> Result<*const ff::AVOutputFormat> {
        // SAFETY: valid C strings; results checked before use.
        unsafe {
            let guessed = ff::av_guess_format(std::ptr::null(), c_target.as_ptr(), std::ptr::null());
            if guessed.is_null() {
                return Err(Error::Unsupported(format!(
                    "{}: no container known for this extension (use .mp4, .mov, .mkv or .y4m)",
                    self.target.display()
                )));
            }
            // FFmpeg's Y4M muxer writes the stream's time base as the frame rate: give it one
            // frame period, so the header says fg's rate (25:1, 30000:1001), not 1/15360.
            if CStr::from_ptr((*guessed).name).to_bytes() == b"yuv4mpegpipe" && frame_rate.0 > 0 && frame_rate.1 > 0 {
                self.stamped_by_count = true;
                self.encoder_time_base = rational(frame_rate.1, frame_rate.0);
            }
            let r = ff::avformat_alloc_output_context2(&mut self.context, guessed, std::ptr::null(), c_target.as_ptr());
            if r < 0 {
                return Err(av_error(&self.target, "cannot set up the container", r));
            }
            Ok(guessed)
        }
    }

    /// Makes and opens the encoder for frames of bg's size at fg's rate, in the pixel format
    /// nearest the source's the codec takes, with the host's quality options (x264 and x265
    /// default to crf 18, preset medium). An option the encoder did not use is refused.
    ///
    /// # Safety
    /// `container` and `codec` are FFmpeg's static descriptions; called once, from `create`.
    unsafe fn open_encoder(
        &mut self,
        container: *const ff::AVOutputFormat,
        codec: *const ff::AVCodec,
        frame_rate: (i32, i32),
        options: &EncodeOptions,
    ) -> Result<()> {
        let name = codec_name(codec);
        let (width, height) = (self.width, self.height);
        // SAFETY: `codec` and `container` valid by contract; the encoder is checked non-null
        // before use and owned by `self` (freed by Drop); the dictionary is freed here.
        unsafe {
            self.encoder = ff::avcodec_alloc_context3(codec);
            if self.encoder.is_null() {
                return Err(Error::Io("out of memory for an encoder".into()));
            }
            let e = &mut *self.encoder;
            e.width = width as i32;
            e.height = height as i32;
            e.time_base = self.encoder_time_base;
            e.framerate = rational(frame_rate.0, frame_rate.1);
            e.sample_aspect_ratio = rational(1, 1);
            e.thread_count = 0;
            let wanted = av_pixel_format(self.source_format);
            e.pix_fmt = if (*codec).pix_fmts.is_null() {
                wanted
            } else {
                ff::avcodec_find_best_pix_fmt_of_list((*codec).pix_fmts, wanted, 0, std::ptr::null_mut())
            };
            self.encoder_format = e.pix_fmt as i32;
            if (*container).flags & ff::AVFMT_GLOBALHEADER != 0 {
                e.flags |= ff::AV_CODEC_FLAG_GLOBAL_HEADER as i32;
            }
            let mut dict = encoder_options(&name, options)?;
            let r = ff::avcodec_open2(self.encoder, codec, &mut dict);
            let unused = if dict.is_null() {
                None
            } else {
                let entry = ff::av_dict_get(dict, c"".as_ptr(), std::ptr::null(), ff::AV_DICT_IGNORE_SUFFIX);
                (!entry.is_null()).then(|| CStr::from_ptr((*entry).key).to_string_lossy().into_owned())
            };
            ff::av_dict_free(&mut dict);
            if r < 0 && (width % 2 == 1 || height % 2 == 1) && chroma_subsampled(e.pix_fmt) {
                return Err(Error::Unsupported(format!(
                    "{}: the {name} encoder cannot take bg's odd size {width}x{height} in {}: write .y4m, or give bg an even width and height",
                    self.target.display(),
                    super::pixel_format_name(e.pix_fmt as i32)
                )));
            }
            if r < 0 {
                return Err(av_error(
                    &self.target,
                    &format!("cannot open the {name} encoder (check --crf/--preset/--bitrate)"),
                    r,
                ));
            }
            if let Some(key) = unused {
                let flag = if key == "b" { "bitrate".to_string() } else { key };
                return Err(Error::InvalidArgument(format!("the {name} encoder takes no --{flag}")));
            }
        }
        Ok(())
    }

    /// The video stream's parameters, from the opened encoder.
    ///
    /// # Safety
    /// `stream` is this output's new stream; the encoder is open.
    unsafe fn describe_video_stream(&mut self, stream: *mut ff::AVStream, frame_rate: (i32, i32)) -> Result<()> {
        // SAFETY: by contract.
        unsafe {
            let r = ff::avcodec_parameters_from_context((*stream).codecpar, self.encoder);
            if r < 0 {
                return Err(av_error(&self.target, "cannot set the video stream up", r));
            }
            (*stream).time_base = self.encoder_time_base;
            (*stream).avg_frame_rate = rational(frame_rate.0, frame_rate.1);
            (*stream).r_frame_rate = rational(frame_rate.0, frame_rate.1);
        }
        Ok(())
    }

    /// Creates the staged file, writes the container's header and allocates the frame the
    /// composites are converted into.
    ///
    /// # Safety
    /// Called once, from `create`, after every stream was added.
    unsafe fn start_writing(&mut self, container: *const ff::AVOutputFormat, temp: &std::path::Path) -> Result<()> {
        let c_temp = c_path(temp)?;
        // SAFETY: the context and frame are this output's, valid; results checked.
        unsafe {
            if (*container).flags & ff::AVFMT_NOFILE == 0 {
                let r = ff::avio_open(&mut (*self.context).pb, c_temp.as_ptr(), ff::AVIO_FLAG_WRITE);
                if r < 0 {
                    return Err(av_error(temp, "cannot create the output", r));
                }
            }
            let r = ff::avformat_write_header(self.context, std::ptr::null_mut());
            if r < 0 {
                return Err(av_error(&self.target, "cannot write the container header", r));
            }
            self.header_written = true;
            let f = &mut *self.frame.0;
            f.format = self.encoder_format;
            f.width = self.width as i32;
            f.height = self.height as i32;
            let r = ff::av_frame_get_buffer(self.frame.0, 0);
            if r < 0 {
                return Err(av_error(&self.target, "cannot allocate a frame", r));
            }
        }
        Ok(())
    }

    /// Whether an audio stream is being written.
    pub fn has_audio(&self) -> bool {
        self.audio.is_some()
    }

    /// Whether the audio is re-encoded to AAC (its codec does not fit the container).
    pub fn audio_transcoded(&self) -> bool {
        self.audio.as_ref().is_some_and(AudioTrack::is_transcoded)
    }

    /// Encodes one frame (bg's shape and format); `pts` is in the time base given at creation.
    pub fn write(&mut self, frame: &FrameRef<'_>, pts: i64) -> Result<()> {
        if (frame.format(), frame.width(), frame.height()) != (self.source_format, self.width, self.height) {
            return Err(Error::invalid(format!(
                "a {} frame for an output of {}x{} {}",
                frame.describe(),
                self.width,
                self.height,
                self.source_format.name()
            )));
        }
        // SAFETY: our frame was allocated for the encoder's shape; make_writable gives it
        // buffers nobody else references (the encoder may hold on to the previous ones).
        unsafe {
            let r = ff::av_frame_make_writable(self.frame.0);
            if r < 0 {
                return Err(av_error(&self.target, "cannot allocate a frame", r));
            }
            let f = &mut *self.frame.0;
            let planes = self.source_format.plane_count();
            if self.encoder_format == av_pixel_format(self.source_format) as i32 {
                for p in 0..planes {
                    let (row_bytes, rows) = self.source_format.plane_size(p, self.width, self.height);
                    for r in 0..rows {
                        let src = frame.row(p, r);
                        let dst = f.data[p].offset(r as isize * f.linesize[p] as isize);
                        std::ptr::copy_nonoverlapping(src.as_ptr(), dst, row_bytes);
                    }
                }
            } else {
                let src_ptrs: [*const u8; 4] =
                    std::array::from_fn(|p| if p < planes { frame.plane_origin(p).0 } else { std::ptr::null() });
                let src_strides: [i32; 4] =
                    std::array::from_fn(|p| if p < planes { frame.plane_origin(p).1 as i32 } else { 0 });
                let (w, h) = (self.width as i32, self.height as i32);
                let scaler = Scaler::get(
                    &mut self.scaler,
                    (w, h, av_pixel_format(self.source_format) as i32),
                    (w, h, self.encoder_format),
                )?;
                scaler.convert(
                    (src_ptrs, src_strides),
                    (f.data[..4].try_into().expect("4 planes"), f.linesize[..4].try_into().expect("4 planes")),
                );
            }
            f.pts = if self.stamped_by_count { self.frames_written as i64 } else { pts };
        }
        self.send(self.frame.0)?;
        self.frames_written += 1;
        Ok(())
    }

    fn send(&mut self, frame: *const ff::AVFrame) -> Result<()> {
        // SAFETY: the encoder is open; `frame` is ours or NULL (drain).
        let r = unsafe { ff::avcodec_send_frame(self.encoder, frame) };
        if r < 0 {
            return Err(av_error(&self.target, "the video encoder failed", r));
        }
        loop {
            // SAFETY: encoder open, packet owned and unreferenced.
            let r = unsafe { ff::avcodec_receive_packet(self.encoder, self.packet.0) };
            if r == ff::AVERROR(libc::EAGAIN) || r == ff::AVERROR_EOF {
                return Ok(());
            }
            if r < 0 {
                return Err(av_error(&self.target, "the video encoder failed", r));
            }
            // SAFETY: a packet from the encoder; stream 0 is the video stream.
            let seconds = unsafe {
                let p = &mut *self.packet.0;
                p.stream_index = 0;
                let stream_tb = (**(*self.context).streams).time_base;
                ff::av_packet_rescale_ts(p, self.encoder_time_base, stream_tb);
                p.dts as f64 * stream_tb.num as f64 / stream_tb.den as f64
            };
            if let Some(a) = &mut self.audio {
                a.write_until(self.context, seconds + AUDIO_LEAD_SECONDS)?;
            }
            // SAFETY: the header is written; the muxer takes the packet's reference.
            let r = unsafe { ff::av_interleaved_write_frame(self.context, self.packet.0) };
            if r < 0 {
                return Err(av_error(&self.target, "cannot write", r));
            }
        }
    }

    /// Drains the encoder, writes the rest of the audio and the trailer, and closes the file.
    pub fn finish(mut self) -> Result<()> {
        self.send(std::ptr::null())?;
        if let Some(a) = &mut self.audio {
            a.finish(self.context)?;
        }
        // SAFETY: the header was written; the trailer closes the container.
        let r = unsafe { ff::av_write_trailer(self.context) };
        if r < 0 {
            return Err(av_error(&self.target, "cannot finish the container", r));
        }
        // SAFETY: the IO context is ours (NULL for NOFILE formats, which avio_closep accepts).
        let r = unsafe { ff::avio_closep(&mut (*self.context).pb) };
        if r < 0 {
            return Err(av_error(&self.target, "cannot close the output", r));
        }
        Ok(())
    }
}

/// Audio is written up to this far ahead of the video, so the muxer interleaves without
/// buffering much.
const AUDIO_LEAD_SECONDS: f64 = 0.5;

impl Drop for VideoOutput {
    fn drop(&mut self) {
        // SAFETY: everything freed here is ours; each function accepts NULL.
        unsafe {
            ff::avcodec_free_context(&mut self.encoder);
            if !self.context.is_null() {
                if !(*self.context).pb.is_null() {
                    ff::avio_closep(&mut (*self.context).pb);
                }
                ff::avformat_free_context(self.context);
                self.context = std::ptr::null_mut();
            }
        }
    }
}

/// Whether a pixel format stores chroma at less than full resolution (4:2:0, 4:2:2).
fn chroma_subsampled(format: ff::AVPixelFormat) -> bool {
    // SAFETY: returns NULL or a static descriptor.
    let desc = unsafe { ff::av_pix_fmt_desc_get(format) };
    // SAFETY: non-null descriptors are static.
    !desc.is_null() && unsafe { (*desc).log2_chroma_w > 0 || (*desc).log2_chroma_h > 0 }
}

impl crate::io::files::OutputFile for VideoOutput {
    fn write(&mut self, frame: &FrameRef<'_>, pts: i64) -> Result<()> {
        VideoOutput::write(self, frame, pts)
    }

    fn finish(self) -> Result<()> {
        VideoOutput::finish(self)
    }
}
