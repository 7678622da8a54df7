//! Files through FFmpeg's libraries (feature `ffmpeg`): decoding any input FFmpeg reads, encoding
//! and muxing by the output's extension, audio carried over. Every FFmpeg object lives in one
//! owner here whose `Drop` frees it, so an early return on error leaks nothing.
//!
//! # Design notes (measured)
//!
//! **`io/ffmpeg/` is a folder, not one file**: `input.rs` (demux and decode), `output.rs` (encode
//! and mux), `audio.rs` (copy or re-encode), `job.rs` (what only FFmpeg files have: audio,
//! pictures): each with its FFmpeg objects freed by its own `Drop`.

mod audio;
mod input;
mod job;
mod output;
mod rotation;

pub use input::{DecodedFrame, VideoInfo, VideoInput};
pub use job::{align_files, composite, locate_files};
pub use output::{AudioPlan, VideoOutput};

use std::ffi::{CStr, CString};
use std::path::Path;

use ffmpeg_sys_next as ff;

use crate::error::{Error, Result};
use crate::frame::{PixelFormat, TimeBase};

/// FFmpeg's message for an error code.
fn av_message(code: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: av_strerror writes at most `buf.len()` bytes, NUL-terminated, into `buf`.
    unsafe { ff::av_strerror(code, buf.as_mut_ptr(), buf.len()) };
    // SAFETY: NUL-terminated by av_strerror (it fills in a generic message on unknown codes).
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// An error naming the file, what was being done and FFmpeg's reason.
fn av_error(path: &Path, doing: &str, code: i32) -> Error {
    let message = format!("{}: {doing}: {}", path.display(), av_message(code));
    if code == ff::AVERROR_INVALIDDATA || code == ff::AVERROR(libc::EINVAL) {
        Error::InvalidData(message)
    } else {
        Error::Io(message)
    }
}

fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::InvalidArgument(format!("{}: a path with a NUL byte", path.display())))
}

fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidArgument(format!("'{s}' holds a NUL byte")))
}

/// The library's format for an FFmpeg pixel format it can use as is.
fn pixel_format_of(av: i32) -> Option<PixelFormat> {
    use ff::AVPixelFormat as F;
    let table = [
        (F::AV_PIX_FMT_GRAY8, PixelFormat::Gray8),
        (F::AV_PIX_FMT_YUV420P, PixelFormat::I420),
        (F::AV_PIX_FMT_NV12, PixelFormat::Nv12),
        (F::AV_PIX_FMT_RGBA, PixelFormat::Rgba),
        (F::AV_PIX_FMT_BGRA, PixelFormat::Bgra),
        (F::AV_PIX_FMT_RGB24, PixelFormat::Rgb24),
        (F::AV_PIX_FMT_YUV420P10LE, PixelFormat::I420P10),
        (F::AV_PIX_FMT_P010LE, PixelFormat::P010),
        (F::AV_PIX_FMT_YUV422P, PixelFormat::I422),
        (F::AV_PIX_FMT_YUV444P, PixelFormat::I444),
        (F::AV_PIX_FMT_YUV422P10LE, PixelFormat::I422P10),
        (F::AV_PIX_FMT_YUV444P10LE, PixelFormat::I444P10),
        (F::AV_PIX_FMT_RGBA64LE, PixelFormat::Rgba64),
    ];
    table.iter().find(|(f, _)| *f as i32 == av).map(|&(_, p)| p)
}

fn av_pixel_format(format: PixelFormat) -> ff::AVPixelFormat {
    use ff::AVPixelFormat as F;
    match format {
        PixelFormat::Gray8 => F::AV_PIX_FMT_GRAY8,
        PixelFormat::I420 => F::AV_PIX_FMT_YUV420P,
        PixelFormat::Nv12 => F::AV_PIX_FMT_NV12,
        PixelFormat::Rgba => F::AV_PIX_FMT_RGBA,
        PixelFormat::Bgra => F::AV_PIX_FMT_BGRA,
        PixelFormat::Rgb24 => F::AV_PIX_FMT_RGB24,
        PixelFormat::I420P10 => F::AV_PIX_FMT_YUV420P10LE,
        PixelFormat::P010 => F::AV_PIX_FMT_P010LE,
        PixelFormat::I422 => F::AV_PIX_FMT_YUV422P,
        PixelFormat::I444 => F::AV_PIX_FMT_YUV444P,
        PixelFormat::I422P10 => F::AV_PIX_FMT_YUV422P10LE,
        PixelFormat::I444P10 => F::AV_PIX_FMT_YUV444P10LE,
        PixelFormat::Rgba64 => F::AV_PIX_FMT_RGBA64LE,
        // FFmpeg 5.1 has no packed half or float RGBA; its decoders never give them.
        PixelFormat::RgbaF16 | PixelFormat::RgbaF32 => F::AV_PIX_FMT_NONE,
    }
}

fn pixel_format_name(av: i32) -> String {
    // SAFETY: `av` comes from FFmpeg (a frame's or codec's format), so it is one of the enum's
    // values, whose representation is that int; the function returns NULL or a static string.
    let name = unsafe { ff::av_get_pix_fmt_name(std::mem::transmute::<i32, ff::AVPixelFormat>(av)) };
    if name.is_null() {
        format!("pixel format {av}")
    } else {
        // SAFETY: a static NUL-terminated name.
        unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned()
    }
}

fn time_base(r: ff::AVRational) -> TimeBase {
    TimeBase::new(r.num, r.den)
}

fn rational(num: i32, den: i32) -> ff::AVRational {
    ff::AVRational { num, den }
}

/// An owned `AVFrame`, freed on drop.
struct AvFrame(*mut ff::AVFrame);

impl AvFrame {
    fn new() -> Result<AvFrame> {
        // SAFETY: plain allocation; NULL is checked.
        let f = unsafe { ff::av_frame_alloc() };
        if f.is_null() { Err(Error::Io("out of memory for a frame".into())) } else { Ok(AvFrame(f)) }
    }
}

impl Drop for AvFrame {
    fn drop(&mut self) {
        // SAFETY: we own the frame; av_frame_free unreferences its buffers and nulls the pointer.
        unsafe { ff::av_frame_free(&mut self.0) };
    }
}

// SAFETY: an AVFrame's buffers are reference-counted with atomic counts, and the frame itself is
// only touched by whichever thread owns this value.
unsafe impl Send for AvFrame {}

/// An owned `AVPacket`, freed on drop.
struct AvPacket(*mut ff::AVPacket);

impl AvPacket {
    fn new() -> Result<AvPacket> {
        // SAFETY: plain allocation; NULL is checked.
        let p = unsafe { ff::av_packet_alloc() };
        if p.is_null() { Err(Error::Io("out of memory for a packet".into())) } else { Ok(AvPacket(p)) }
    }
}

impl Drop for AvPacket {
    fn drop(&mut self) {
        // SAFETY: we own the packet.
        unsafe { ff::av_packet_free(&mut self.0) };
    }
}

// SAFETY: as for AvFrame.
unsafe impl Send for AvPacket {}

/// A scaler converting between two fixed shapes, freed on drop.
struct Scaler {
    context: *mut ff::SwsContext,
    key: (i32, i32, i32, i32, i32, i32),
}

impl Scaler {
    /// A scaler for `src` → `dst` (width, height, FFmpeg pixel format), reused when the shape
    /// has not changed.
    fn get(slot: &mut Option<Scaler>, src: (i32, i32, i32), dst: (i32, i32, i32)) -> Result<&mut Scaler> {
        let key = (src.0, src.1, src.2, dst.0, dst.1, dst.2);
        if slot.as_ref().is_none_or(|s| s.key != key) {
            *slot = None;
            // SAFETY: sizes are positive and the formats come from FFmpeg or our table; the
            // transmutes turn FFmpeg's int pixel formats back into its enum, whose
            // representation is that int. NULL is checked.
            let context = unsafe {
                ff::sws_getContext(
                    src.0,
                    src.1,
                    std::mem::transmute::<i32, ff::AVPixelFormat>(src.2),
                    dst.0,
                    dst.1,
                    std::mem::transmute::<i32, ff::AVPixelFormat>(dst.2),
                    ff::SWS_BILINEAR | ff::SWS_ACCURATE_RND | ff::SWS_FULL_CHR_H_INT,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null(),
                )
            };
            if context.is_null() {
                return Err(Error::Unsupported(format!(
                    "cannot convert {} to {}",
                    pixel_format_name(src.2),
                    pixel_format_name(dst.2)
                )));
            }
            *slot = Some(Scaler { context, key });
        }
        Ok(slot.as_mut().expect("set above"))
    }

    /// Converts a whole picture.
    ///
    /// # Safety
    /// `src` and `dst` must describe pictures of this scaler's shapes and formats.
    unsafe fn convert(&mut self, src: ([*const u8; 4], [i32; 4]), dst: ([*mut u8; 4], [i32; 4])) {
        // SAFETY: forwarded to the caller.
        unsafe {
            ff::sws_scale(self.context, src.0.as_ptr(), src.1.as_ptr(), 0, self.key.1, dst.0.as_ptr(), dst.1.as_ptr());
        }
    }
}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: we own the context.
        unsafe { ff::sws_freeContext(self.context) };
    }
}

// SAFETY: a SwsContext is used by one thread at a time (its owner's).
unsafe impl Send for Scaler {}

/// Quiets FFmpeg's own logging and the encoders that print for themselves (x265 through
/// `x265-params`, see output.rs; SVT-AV1 through its SVT_LOG variable): errors reach the user
/// through our messages. Call it at the start of a program, before any thread starts.
pub fn quiet_library_log(verbose: bool) {
    let level = if verbose { ff::AV_LOG_WARNING } else { ff::AV_LOG_FATAL };
    // SAFETY: sets a global integer.
    unsafe { ff::av_log_set_level(level) };
    if !verbose && std::env::var_os("SVT_LOG").is_none() {
        // SAFETY: called at the program's start, before any thread that could read the
        // environment exists (the contract above). 1 = errors only.
        unsafe { std::env::set_var("SVT_LOG", "1") };
    }
}

/// Whether FFmpeg's log is quieted (encoders with logs of their own are told to be quiet too).
pub(crate) fn library_log_quiet() -> bool {
    // SAFETY: reads a global integer.
    unsafe { ff::av_log_get_level() < ff::AV_LOG_WARNING }
}
