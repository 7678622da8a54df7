//! The C ABI. Thin `extern "C"` wrappers that translate between C and the Rust API; no logic
//! lives here.
//!
//! Conventions (see include/vidkompy.h): functions return an `int` status (0 = VIDKOMPY_OK,
//! positive = VIDKOMPY_AGAIN / VIDKOMPY_EOF, negative = error). Every entry point runs inside
//! `ffi_call`, which turns a Rust panic into VIDKOMPY_ERROR_INTERNAL; no panic unwinds into C.
//! A failing call stores its message in the handle (`vidkompy_*_last_error`) and in a
//! thread-local slot (`vidkompy_last_error`).

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_double, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::alignment::Alignment;
use crate::error::{Error, Result, Status};
use crate::frame::{ColorRange, FrameColor, FrameMut, FrameRef, PixelFormat, TimeBase};
use crate::session::analyzer::LogLevel;
use crate::session::{Analyzer, Compositor, Received, Sent, Stream};
use crate::settings::ColorMatrix;
use crate::settings::Settings;
use crate::spatial::{Placement, locate};

mod editor;
mod live;
mod scout;
pub use editor::*;
pub use live::*;
pub use scout::*;

/// Major version. Part of the SONAME (libvidkompy.so.MAJOR); changes on ABI breaks.
pub const VIDKOMPY_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const VIDKOMPY_VERSION_MINOR: u32 = 3;
/// Patch version.
pub const VIDKOMPY_VERSION_PATCH: u32 = 0;

/// Success.
pub const VIDKOMPY_OK: c_int = 0;
/// Not an error: the call needs more input first, or has output waiting (see each function).
pub const VIDKOMPY_AGAIN: c_int = 1;
/// Not an error: the end of the stream was reached.
pub const VIDKOMPY_EOF: c_int = 2;
/// An argument was NULL, out of range, or an unknown key/value.
pub const VIDKOMPY_ERROR_INVALID_ARGUMENT: c_int = -1;
/// A frame failed validation (size, planes, strides); the message names the cause.
pub const VIDKOMPY_ERROR_INVALID_FRAME: c_int = -2;
/// A valid request this build cannot do.
pub const VIDKOMPY_ERROR_UNSUPPORTED: c_int = -3;
/// The foreground was not found in the background (score below min_confidence).
pub const VIDKOMPY_ERROR_NO_MATCH: c_int = -4;
/// The call is not allowed in the handle's current state.
pub const VIDKOMPY_ERROR_BAD_STATE: c_int = -5;
/// Reading or writing failed.
pub const VIDKOMPY_ERROR_IO: c_int = -6;
/// Input data (a saved alignment, a file) is malformed.
pub const VIDKOMPY_ERROR_INVALID_DATA: c_int = -7;
/// A bug inside vidkompy (a caught panic). The handle should be freed.
pub const VIDKOMPY_ERROR_INTERNAL: c_int = -8;
/// Two answers score alike (two placements in a repetitive picture): the message names both.
/// Nothing is guessed; a host may give the placement ("placement" setting) and analyse again.
pub const VIDKOMPY_ERROR_AMBIGUOUS: c_int = -9;

/// 8-bit luma only. One plane.
pub const VIDKOMPY_PIXEL_FORMAT_GRAY8: c_int = 0;
/// yuv420p: planes Y, U, V; chroma is ceil(w/2) x ceil(h/2).
pub const VIDKOMPY_PIXEL_FORMAT_I420: c_int = 1;
/// Y plane, then interleaved UV plane (4:2:0).
pub const VIDKOMPY_PIXEL_FORMAT_NV12: c_int = 2;
/// One plane, 4 bytes per pixel: R, G, B, A.
pub const VIDKOMPY_PIXEL_FORMAT_RGBA: c_int = 3;
/// One plane, 4 bytes per pixel: B, G, R, A.
pub const VIDKOMPY_PIXEL_FORMAT_BGRA: c_int = 4;
/// One plane, 3 bytes per pixel: R, G, B.
pub const VIDKOMPY_PIXEL_FORMAT_RGB24: c_int = 5;
/// yuv420p10le: like I420 with 16-bit little-endian samples (10 low bits used).
pub const VIDKOMPY_PIXEL_FORMAT_I420P10: c_int = 6;
/// Like NV12 with 16-bit little-endian samples (10 high bits used).
pub const VIDKOMPY_PIXEL_FORMAT_P010: c_int = 7;
/// yuv422p: planes Y, U, V; chroma is ceil(w/2) x h.
pub const VIDKOMPY_PIXEL_FORMAT_I422: c_int = 8;
/// yuv444p: planes Y, U, V, all w x h.
pub const VIDKOMPY_PIXEL_FORMAT_I444: c_int = 9;
/// yuv422p10le: like I422 with 16-bit little-endian samples (10 low bits used).
pub const VIDKOMPY_PIXEL_FORMAT_I422P10: c_int = 10;
/// yuv444p10le: like I444 with 16-bit little-endian samples (10 low bits used).
pub const VIDKOMPY_PIXEL_FORMAT_I444P10: c_int = 11;

/// The bits of VidkompyFrame.format that hold the VIDKOMPY_PIXEL_FORMAT_*.
///
/// A frame's colour description shares the `format` field, so that VidkompyFrame keeps its
/// layout and every call that takes a frame understands it: `format` = pixel format |
/// VIDKOMPY_FRAME_RANGE_* | VIDKOMPY_FRAME_MATRIX_*. Without these bits a frame is read as
/// before (YUV limited range, RGB and gray full range, the settings' "color_matrix"). An older
/// library refuses a described frame as an unknown format rather than misreading it. Frames the
/// library returns carry bg's description.
pub const VIDKOMPY_FRAME_FORMAT_MASK: c_int = 0xff;
/// Limited ("TV", "MPEG") range: luma 16..235, chroma 16..240, times 4 at 10 bits.
pub const VIDKOMPY_FRAME_RANGE_LIMITED: c_int = 0x100;
/// Full ("PC", "JPEG") range: every code value, as in FFmpeg's yuvj formats.
pub const VIDKOMPY_FRAME_RANGE_FULL: c_int = 0x200;
/// The frame's Y'CbCr is BT.601 (standard definition).
pub const VIDKOMPY_FRAME_MATRIX_BT601: c_int = 0x1000;
/// The frame's Y'CbCr is BT.709 (high definition).
pub const VIDKOMPY_FRAME_MATRIX_BT709: c_int = 0x2000;

/// BT.601 matrix (standard definition).
pub const VIDKOMPY_COLOR_MATRIX_BT601: c_int = 0;
/// BT.709 matrix (high definition). The default.
pub const VIDKOMPY_COLOR_MATRIX_BT709: c_int = 1;

/// A frame borrowed from the host for the duration of one call.
///
/// `format` is a VIDKOMPY_PIXEL_FORMAT_*, optionally or-ed with a VIDKOMPY_FRAME_RANGE_* and a
/// VIDKOMPY_FRAME_MATRIX_* that describe the frame's colour (see VIDKOMPY_FRAME_FORMAT_MASK).
///
/// `data[i]` points at the first byte of row 0 (the top row) of plane i; rows are `stride[i]`
/// bytes apart, and a negative stride means bottom-up storage. Only the planes of `format` are
/// read; the other entries are ignored. `pts` is in units of `time_base_num / time_base_den`
/// seconds; set `time_base_den = 0` (or `pts` to INT64_MIN, FFmpeg's AV_NOPTS_VALUE) when
/// the frame has no timestamp: it is then placed one frame period after the previous frame of
/// its stream. A stride's magnitude may not exceed 2^28 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VidkompyFrame {
    /// One of VIDKOMPY_PIXEL_FORMAT_*, optionally or-ed with one VIDKOMPY_FRAME_RANGE_* and one
    /// VIDKOMPY_FRAME_MATRIX_* (see VIDKOMPY_FRAME_FORMAT_MASK).
    pub format: c_int,
    pub width: c_int,
    pub height: c_int,
    pub data: [*const u8; 4],
    pub stride: [isize; 4],
    pub pts: i64,
    pub time_base_num: c_int,
    pub time_base_den: c_int,
}

/// A call's outcome, for the functions that take a `VidkompyError *err` argument (NULL to
/// skip it). The host owns it (on its stack, or in memory it manages); nothing is freed, and
/// nothing is shared with other threads, so it is the way to get messages from hosts whose
/// code moves between threads (goroutines).
#[repr(C)]
pub struct VidkompyError {
    /// The status the call returned.
    pub status: c_int,
    /// The message: NUL-terminated, "" on success, cut at a UTF-8 character boundary to fit.
    pub message: [c_char; 512],
}

/// Opaque settings handle. Create with vidkompy_settings_new, free with vidkompy_settings_free.
pub struct VidkompySettings {
    settings: Settings,
    last_error: CString,
}

thread_local! {
    static THREAD_LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn to_cstring(message: &str) -> CString {
    CString::new(message.replace('\0', " ")).unwrap_or_default()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Handles that keep their last error message.
trait LastError {
    fn set_last_error(&mut self, message: CString);
}

impl LastError for VidkompySettings {
    fn set_last_error(&mut self, message: CString) {
        self.last_error = message;
    }
}

thread_local! {
    /// Whether this thread is inside `ffi_call` (where a panic is caught and reported).
    static IN_BOUNDARY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the last panic caught at the boundary happened.
    static PANIC_LOCATION: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Makes panics caught at the C boundary silent: the default hook would print the message and
/// a backtrace on the host's stderr, which a library must never write to. The message reaches
/// the host as the call's error instead. Panics elsewhere (a Rust host's own) still go to the
/// hook that was installed before.
fn silence_panics_at_the_boundary() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_BOUNDARY.with(|b| b.get()) {
                let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                PANIC_LOCATION.with(|p| *p.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f` behind the panic boundary and turns its result into a status code. A failure's
/// message goes to the thread-local slot and to `handle` (when given); a success clears the
/// handle's message.
fn ffi_call<H: LastError>(handle: Option<&mut H>, f: impl FnOnce(Option<&mut H>) -> Result<c_int>) -> c_int {
    silence_panics_at_the_boundary();
    let mut handle = handle;
    let outer = IN_BOUNDARY.with(|b| b.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| f(handle.as_deref_mut())));
    IN_BOUNDARY.with(|b| b.set(outer));
    let error = match outcome {
        Ok(Ok(code)) => {
            if let Some(h) = handle {
                h.set_last_error(CString::default());
            }
            return code;
        }
        Ok(Err(e)) => e,
        Err(payload) => {
            let location = PANIC_LOCATION.with(|p| std::mem::take(&mut *p.borrow_mut()));
            Error::Internal(format!("panic at {location}: {}", panic_message(payload.as_ref())))
        }
    };
    let message = to_cstring(&error.to_string());
    if let Some(h) = handle {
        h.set_last_error(message.clone());
    }
    THREAD_LAST_ERROR.with(|slot| *slot.borrow_mut() = message);
    error.status().code()
}

/// `ffi_call` for functions that have no handle.
fn ffi_call_free(f: impl FnOnce() -> Result<c_int>) -> c_int {
    ffi_call::<VidkompySettings>(None, |_| f())
}

/// Runs a C entry point (which catches its own panics and records its message in this thread's
/// slot) and copies its outcome into the host's `err`. The copy happens inside the same call,
/// on the same thread, so no other call can come between.
///
/// # Safety
/// `err` must be NULL or writable.
unsafe fn with_error(err: *mut VidkompyError, call: impl FnOnce() -> c_int) -> c_int {
    let code = call();
    // SAFETY: NULL-checked; writable by the caller's contract.
    if let Some(err) = unsafe { err.as_mut() } {
        err.status = code;
        err.message = [0; 512];
        if code < 0 {
            THREAD_LAST_ERROR.with(|slot| {
                let message = slot.borrow();
                let text = message.to_str().unwrap_or("");
                let mut end = text.len().min(err.message.len() - 1);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                for (dst, &src) in err.message.iter_mut().zip(&text.as_bytes()[..end]) {
                    *dst = src as c_char;
                }
            });
        }
    }
    code
}

/// Reads a C string argument.
///
/// # Safety
/// A non-null `ptr` must point at a NUL-terminated string.
unsafe fn c_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// Validates a host frame and borrows its planes.
///
/// # Safety
/// `frame` must be NULL or point at a VidkompyFrame whose planes are readable as it describes.
pub(crate) unsafe fn frame_from_c<'a>(frame: *const VidkompyFrame) -> Result<FrameRef<'a>> {
    // SAFETY: NULL is checked by as_ref; otherwise the caller's contract.
    let f = unsafe { frame.as_ref() }.ok_or_else(|| Error::invalid("frame is NULL"))?;
    let (format, color) = format_from_c(f.format)?;
    let width = u32::try_from(f.width).map_err(|_| Error::invalid(format!("negative width {}", f.width)))?;
    let height = u32::try_from(f.height).map_err(|_| Error::invalid(format!("negative height {}", f.height)))?;
    // SAFETY: the host guarantees the planes are readable as described; from_raw validates sizes,
    // strides and null pointers before forming any slice.
    let frame = unsafe { FrameRef::from_raw(format, width, height, f.data, f.stride) }?;
    Ok(frame.with_pts(f.pts, TimeBase::new(f.time_base_num, f.time_base_den)).with_color(color))
}

/// Splits VidkompyFrame.format into the pixel format and the colour description.
fn format_from_c(word: c_int) -> Result<(PixelFormat, FrameColor)> {
    let unknown = || crate::frame::FrameError::UnknownFormat(word);
    let format = PixelFormat::from_raw(word & VIDKOMPY_FRAME_FORMAT_MASK).ok_or_else(unknown)?;
    let range = match word & 0xf00 {
        0 => ColorRange::Unspecified,
        VIDKOMPY_FRAME_RANGE_LIMITED => ColorRange::Limited,
        VIDKOMPY_FRAME_RANGE_FULL => ColorRange::Full,
        _ => return Err(unknown().into()),
    };
    let matrix = match word & 0xf000 {
        0 => None,
        VIDKOMPY_FRAME_MATRIX_BT601 => Some(ColorMatrix::Bt601),
        VIDKOMPY_FRAME_MATRIX_BT709 => Some(ColorMatrix::Bt709),
        _ => return Err(unknown().into()),
    };
    if word & !0xffff != 0 {
        return Err(unknown().into());
    }
    Ok((format, FrameColor { range, matrix }))
}

/// The VidkompyFrame.format word of a frame: pixel format and colour description.
fn format_to_c(format: PixelFormat, color: FrameColor) -> c_int {
    let range = match color.range {
        ColorRange::Unspecified => 0,
        ColorRange::Limited => VIDKOMPY_FRAME_RANGE_LIMITED,
        ColorRange::Full => VIDKOMPY_FRAME_RANGE_FULL,
    };
    let matrix = match color.matrix {
        None => 0,
        Some(ColorMatrix::Bt601) => VIDKOMPY_FRAME_MATRIX_BT601,
        Some(ColorMatrix::Bt709) => VIDKOMPY_FRAME_MATRIX_BT709,
    };
    format as c_int | range | matrix
}

/// Borrows a host frame's planes for writing.
///
/// # Safety
/// The planes of `d` must be writable as it describes and used by nothing else during the call.
unsafe fn frame_mut_from_c<'a>(d: &VidkompyFrame) -> Result<FrameMut<'a>> {
    // The composite has bg's colour: a description in `dst` is checked but not used.
    let (format, _) = format_from_c(d.format)?;
    let width = u32::try_from(d.width).map_err(|_| Error::invalid(format!("negative width {}", d.width)))?;
    let height = u32::try_from(d.height).map_err(|_| Error::invalid(format!("negative height {}", d.height)))?;
    // SAFETY: forwarded caller contract; from_raw validates sizes and strides first.
    Ok(unsafe { FrameMut::from_raw(format, width, height, d.data.map(|p| p as *mut u8), d.stride) }?)
}

/// Returns a static, NUL-terminated description of a status code ("unknown status" for others).
#[unsafe(no_mangle)]
pub extern "C" fn vidkompy_status_str(status: c_int) -> *const c_char {
    let text: &'static CStr = match Status::from_code(status) {
        Some(Status::Ok) => c"success",
        Some(Status::Again) => c"try again: more input is needed or output is waiting",
        Some(Status::Eof) => c"end of stream",
        Some(Status::InvalidArgument) => c"invalid argument",
        Some(Status::InvalidFrame) => c"invalid frame",
        Some(Status::Unsupported) => c"unsupported",
        Some(Status::NoMatch) => c"no match: the foreground was not found in the background",
        Some(Status::BadState) => c"call not allowed in the current state",
        Some(Status::Io) => c"input/output error",
        Some(Status::InvalidData) => c"invalid or corrupt data",
        Some(Status::Internal) => c"internal error",
        Some(Status::Ambiguous) => c"ambiguous: two answers score alike",
        None => c"unknown status",
    };
    text.as_ptr()
}

/// The run-time library version: (MAJOR << 16) | (MINOR << 8) | PATCH.
#[unsafe(no_mangle)]
pub extern "C" fn vidkompy_version() -> u32 {
    (VIDKOMPY_VERSION_MAJOR << 16) | (VIDKOMPY_VERSION_MINOR << 8) | VIDKOMPY_VERSION_PATCH
}

/// The run-time library version as a static string, e.g. "0.3.0".
#[unsafe(no_mangle)]
pub extern "C" fn vidkompy_version_string() -> *const c_char {
    static VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(s) => s,
        Err(_) => c"unknown",
    };
    VERSION.as_ptr()
}

/// The message of the last failed call on this thread (any handle), or "" if none failed.
/// Valid until the next failing call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn vidkompy_last_error() -> *const c_char {
    THREAD_LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// Checks a frame as every push/send function would, without using it: format, size (at most
/// 16384 per side), plane pointers, and strides (at least a row, at most 2^28 bytes, rows
/// inside the address space), with every size computed with overflow checks.
/// Returns VIDKOMPY_OK, VIDKOMPY_ERROR_INVALID_ARGUMENT (NULL frame, negative size) or
/// VIDKOMPY_ERROR_INVALID_FRAME; vidkompy_last_error() names the exact cause.
///
/// # Safety
/// `frame` must be NULL or point at a VidkompyFrame whose planes are readable as it describes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_frame_validate(frame: *const VidkompyFrame) -> c_int {
    // SAFETY: forwarded caller contract.
    ffi_call_free(|| unsafe { frame_from_c(frame) }.map(|_| VIDKOMPY_OK))
}

/// Creates settings with every key at its default. `*out` receives the handle.
/// Returns VIDKOMPY_OK or VIDKOMPY_ERROR_INVALID_ARGUMENT when `out` is NULL.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_new(out: *mut *mut VidkompySettings) -> c_int {
    ffi_call_free(|| {
        if out.is_null() {
            return Err(Error::invalid("out is NULL"));
        }
        let handle = Box::new(VidkompySettings { settings: Settings::default(), last_error: CString::default() });
        // SAFETY: `out` is non-null and writable by the caller's contract.
        unsafe { *out = Box::into_raw(handle) };
        Ok(VIDKOMPY_OK)
    })
}

/// Frees settings and sets `*settings` to NULL. Accepts NULL and a pointer to NULL.
///
/// # Safety
/// `settings` must be NULL or point at a handle from vidkompy_settings_new (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_free(settings: *mut *mut VidkompySettings) {
    ffi_call_free(|| {
        // SAFETY: NULL-checked; the handle came from Box::into_raw in vidkompy_settings_new.
        if let Some(slot) = unsafe { settings.as_mut() } {
            if !slot.is_null() {
                drop(unsafe { Box::from_raw(*slot) });
            }
            *slot = std::ptr::null_mut();
        }
        Ok(VIDKOMPY_OK)
    });
}

/// The message of this settings handle's last call if it failed, "" if it succeeded. Valid
/// until the next call on it.
/// Returns "" for a NULL handle.
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_last_error(settings: *const VidkompySettings) -> *const c_char {
    // SAFETY: NULL-checked; otherwise a live handle by contract.
    match unsafe { settings.as_ref() } {
        Some(s) => s.last_error.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Sets one setting from a string. On error nothing changes. Keys and values:
///
/// - "min_confidence": 0..1 (default 0.6). Placement score below which locating fails with
///   VIDKOMPY_ERROR_NO_MATCH.
/// - "scale_search": 0, 1 or auto (default auto). Search fg's scale inside bg (scale 1 is kept
///   when it matches nearly as well as the best); 0 pins scale 1.
/// - "scale_min": 0.1..1 (default 0.25). Smallest scale tried by the scale search.
/// - "scale_max": 1..10 (default 4). Largest scale tried by the scale search.
/// - "feather": 0..1024 pixels (default 0). Alpha ramp on fg edges where bg stays visible.
/// - "color_matrix": bt601 or bt709, or 0 or 1 (default bt709). RGB<->YUV conversion matrix.
/// - "band": 1..1000 frames (default 24). Half-width of the time-map search band.
/// - "live_lag": 1..1000 frames (default 30). Latency of live (one-pass) alignment.
/// - "live_start_windows": 0..100000 (default 0, no limit). Start analyses a live session may
///   fail (windows of bg without fg's start) before it answers VIDKOMPY_ERROR_NO_MATCH: a host
///   that can fall back to two passes (seekable files) sets 1 or 2 rather than slide the
///   window over a whole programme.
/// - "live_memory_mib": 16..1048576 MiB (default 512). Most memory the frames a live session
///   holds may take, at any frame size; a session whose window would need more fails with
///   VIDKOMPY_ERROR_UNSUPPORTED (naming the sizes) as soon as both frame sizes are known,
///   before it holds that much.
/// - "placement_samples": 1..64 (default 6). fg and bg frames sampled for placement.
/// - "rate_penalty": 0..10 (default 0.3). Time-map cost of leaving the frame-rate line.
/// - "min_matched_share": 0..1 (default 0.5). Least share of fg frames that must find a
///   counterpart in bg; below it vidkompy_analyzer_finish is VIDKOMPY_ERROR_NO_MATCH with the
///   counts in the message. Also NO_MATCH: the matched frames' median descriptor distance is
///   not under 0.6 of the distance of the same fg frames to bg frames a third and two thirds
///   of bg away (matching no better than by chance). 0 accepts either.
///
/// Returns VIDKOMPY_OK or VIDKOMPY_ERROR_INVALID_ARGUMENT (NULL, unknown key, bad value).
///
/// # Safety
/// `settings` must be NULL or a live handle; `key` and `value` NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set(
    settings: *mut VidkompySettings,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    // SAFETY: forwarded caller contract for all three pointers.
    let handle = unsafe { settings.as_mut() };
    if handle.is_none() {
        return ffi_call_free(|| Err(Error::invalid("settings is NULL")));
    }
    ffi_call(handle, |h| {
        let h = h.ok_or_else(|| Error::invalid("settings is NULL"))?;
        let key = unsafe { c_str(key, "key") }?;
        let value = unsafe { c_str(value, "value") }?;
        h.settings.set(key, value).map(|_| VIDKOMPY_OK)
    })
}

/// Typed setter for "min_confidence" (0..1).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_min_confidence(
    settings: *mut VidkompySettings,
    value: c_double,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "min_confidence", value.to_string()) }
}

/// Typed setter for "scale_search" (0 = scale 1 only, 1 = search).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_scale_search(settings: *mut VidkompySettings, enabled: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "scale_search", enabled.to_string()) }
}

/// Typed setter for "feather" (0..1024 pixels).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_feather(settings: *mut VidkompySettings, pixels: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "feather", pixels.to_string()) }
}

/// Typed setter for "color_matrix" (VIDKOMPY_COLOR_MATRIX_*).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_color_matrix(settings: *mut VidkompySettings, matrix: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "color_matrix", matrix.to_string()) }
}

/// Typed setter for "band" (1..1000 frames).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_band(settings: *mut VidkompySettings, frames: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "band", frames.to_string()) }
}

/// Typed setter for "live_lag" (1..1000 frames).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_live_lag(settings: *mut VidkompySettings, frames: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "live_lag", frames.to_string()) }
}

/// # Safety
/// `settings` must be NULL or a live handle.
unsafe fn set_typed(settings: *mut VidkompySettings, key: &str, value: String) -> c_int {
    // SAFETY: forwarded caller contract.
    let handle = unsafe { settings.as_mut() };
    if handle.is_none() {
        return ffi_call_free(|| Err(Error::invalid("settings is NULL")));
    }
    ffi_call(handle, |h| {
        let h = h.ok_or_else(|| Error::invalid("settings is NULL"))?;
        h.settings.set(key, &value).map(|_| VIDKOMPY_OK)
    })
}

/// Where fg's content sits in bg (the result of vidkompy_locate).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VidkompyPlacement {
    /// Top-left of fg's content in bg pixels.
    pub x: i32,
    pub y: i32,
    /// Size of fg's content in bg pixels (content size times scale).
    pub width: u32,
    pub height: u32,
    /// bg pixels per fg pixel.
    pub scale: f64,
    /// The correlation score of the match, 0..1.
    pub confidence: f64,
    /// fg's content rectangle without black bars, in fg pixels.
    pub content_x: u32,
    pub content_y: u32,
    pub content_width: u32,
    pub content_height: u32,
    /// Sub-pixel estimates of x and y.
    pub x_subpixel: f64,
    pub y_subpixel: f64,
}

impl From<Placement> for VidkompyPlacement {
    fn from(p: Placement) -> VidkompyPlacement {
        VidkompyPlacement {
            x: p.x,
            y: p.y,
            width: p.width,
            height: p.height,
            scale: p.scale,
            confidence: p.confidence,
            content_x: p.content.x,
            content_y: p.content.y,
            content_width: p.content.width,
            content_height: p.content.height,
            x_subpixel: p.x_subpixel,
            y_subpixel: p.y_subpixel,
        }
    }
}

/// A host's placement: its sub-pixel fields follow x and y (a host sets whole pixels).
impl From<&VidkompyPlacement> for Placement {
    fn from(p: &VidkompyPlacement) -> Placement {
        Placement {
            x: p.x,
            y: p.y,
            width: p.width,
            height: p.height,
            scale: p.scale,
            confidence: p.confidence,
            content: crate::frame::Rect::new(p.content_x, p.content_y, p.content_width, p.content_height),
            x_subpixel: p.x as f64,
            y_subpixel: p.y as f64,
        }
    }
}

/// # Safety
/// `frames` must be NULL (with `count == 0`) or point at `count` valid VidkompyFrame values.
unsafe fn frames_from_c<'a>(frames: *const VidkompyFrame, count: usize, what: &str) -> Result<Vec<FrameRef<'a>>> {
    if count == 0 {
        return Err(Error::invalid(format!("{what}: no frames")));
    }
    if frames.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null, and `count` elements by the caller's contract.
    let slice = unsafe { std::slice::from_raw_parts(frames, count) };
    slice
        .iter()
        // SAFETY: each element is a valid frame by the caller's contract.
        .map(|f| unsafe { frame_from_c(f) }.map_err(|e| Error::invalid(format!("{what}: {e}"))))
        .collect()
}

/// Finds where fg's content sits in bg from sample frames of each (any number, any times:
/// every fg sample is tried against every bg sample). `settings` may be NULL for defaults
/// ("min_confidence", "scale_search", "scale_min", "scale_max" apply).
///
/// Returns VIDKOMPY_OK and fills `*out`; VIDKOMPY_ERROR_NO_MATCH when the best score is below
/// min_confidence (the message gives the score); VIDKOMPY_ERROR_INVALID_ARGUMENT or
/// VIDKOMPY_ERROR_INVALID_FRAME for bad input. `*out` is left unchanged on error.
///
/// # Safety
/// Frame arrays must hold `*_count` valid frames; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_locate(
    settings: *const VidkompySettings,
    fg_samples: *const VidkompyFrame,
    fg_count: usize,
    bg_samples: *const VidkompyFrame,
    bg_count: usize,
    out: *mut VidkompyPlacement,
) -> c_int {
    ffi_call_free(|| {
        if out.is_null() {
            return Err(Error::invalid("out is NULL"));
        }
        // SAFETY: NULL-checked; a live handle otherwise.
        let settings = unsafe { settings.as_ref() }.map(|s| s.settings.clone()).unwrap_or_default();
        // SAFETY: forwarded caller contract.
        let fg = unsafe { frames_from_c(fg_samples, fg_count, "fg_samples") }?;
        let bg = unsafe { frames_from_c(bg_samples, bg_count, "bg_samples") }?;
        let placement = locate(&fg, &bg, &settings)?;
        // SAFETY: non-null and writable by the caller's contract.
        unsafe { *out = placement.into() };
        Ok(VIDKOMPY_OK)
    })
}

/// fg, the foreground stream (for VIDKOMPY_STREAM arguments).
pub const VIDKOMPY_STREAM_FG: c_int = 0;
/// bg, the background stream.
pub const VIDKOMPY_STREAM_BG: c_int = 1;

/// Opaque pass-1 handle: frames in, an alignment out. See vidkompy_analyzer_new.
pub struct VidkompyAnalyzer {
    analyzer: Analyzer,
    last_error: CString,
}

/// Opaque, immutable result of analysis. May be shared between threads.
pub struct VidkompyAlignment {
    alignment: Alignment,
}

/// Opaque pass-2 handle: frames in, composited frames out. See vidkompy_compositor_new.
pub struct VidkompyCompositor {
    compositor: Compositor,
    last_error: CString,
}

impl LastError for VidkompyAnalyzer {
    fn set_last_error(&mut self, message: CString) {
        self.last_error = message;
    }
}

impl LastError for VidkompyCompositor {
    fn set_last_error(&mut self, message: CString) {
        self.last_error = message;
    }
}

/// Runs `f` on a live handle behind the panic boundary; NULL is INVALID_ARGUMENT.
///
/// # Safety
/// `ptr` must be NULL or a live handle of its type.
unsafe fn with_handle<H: LastError>(ptr: *mut H, what: &str, f: impl FnOnce(&mut H) -> Result<c_int>) -> c_int {
    if ptr.is_null() {
        return ffi_call_free(|| Err(Error::invalid(format!("{what} is NULL"))));
    }
    let Some(_turn) = HandleInUse::enter(ptr as usize) else { return refused_inside_callback(what) };
    // SAFETY: non-null, a live handle by the caller's contract, and not in use further up this
    // thread's stack (a callback calling back into its own handle is refused above).
    let h = unsafe { &mut *ptr };
    ffi_call(Some(h), |h| f(h.expect("handle is non-null")))
}

/// BAD_STATE (thread-local message) for a call on a handle that is running one of its own
/// callbacks: the handle is not touched, so its running call keeps a consistent state.
fn refused_inside_callback(what: &str) -> c_int {
    ffi_call_free(|| {
        Err(Error::bad_state(format!(
            "the {what} was called from inside one of its own callbacks (log, progress or frame provider): call it after the callback returns"
        )))
    })
}

/// Handles a call on this thread is using now: a host callback (progress, log, frame
/// provider) that calls back into the same handle would otherwise hold a second `&mut` to it
/// (pushing, finishing, replacing the running callback or freeing the handle under it).
struct HandleInUse(usize);

thread_local! {
    static HANDLES_IN_USE: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl HandleInUse {
    fn enter(address: usize) -> Option<HandleInUse> {
        HANDLES_IN_USE
            .with(|used| {
                let mut used = used.borrow_mut();
                (!used.contains(&address)).then(|| used.push(address))
            })
            .map(|()| HandleInUse(address))
    }

    fn is_in_use(address: usize) -> bool {
        HANDLES_IN_USE.with(|used| used.borrow().contains(&address))
    }
}

impl Drop for HandleInUse {
    fn drop(&mut self) {
        HANDLES_IN_USE.with(|used| used.borrow_mut().retain(|&a| a != self.0));
    }
}

/// Frees a boxed handle and NULLs the caller's pointer.
///
/// # Safety
/// `slot` must be NULL or point at NULL or at a handle made by the matching _new function.
unsafe fn free_handle<H>(slot: *mut *mut H) {
    ffi_call_free(|| {
        // SAFETY: NULL-checked; the handle came from Box::into_raw.
        if let Some(slot) = unsafe { slot.as_mut() } {
            if HandleInUse::is_in_use(*slot as usize) {
                // Freed from inside its own callback: left alive (the running call uses it).
                return Err(Error::bad_state("a handle was freed from inside one of its own callbacks; it was not"));
            }
            if !slot.is_null() {
                drop(unsafe { Box::from_raw(*slot) });
            }
            *slot = std::ptr::null_mut();
        }
        Ok(VIDKOMPY_OK)
    });
}

fn stream_from_c(stream: c_int) -> Result<Stream> {
    Stream::from_raw(stream).ok_or_else(|| Error::invalid(format!("unknown stream {stream} (0 = fg, 1 = bg)")))
}

/// # Safety
/// `settings` must be NULL or a live handle.
unsafe fn settings_or_default(settings: *const VidkompySettings) -> Settings {
    // SAFETY: NULL-checked; otherwise a live handle.
    unsafe { settings.as_ref() }.map(|s| s.settings.clone()).unwrap_or_default()
}

/// Log callback: `level` is VIDKOMPY_LOG_ERROR, _WARNING or _INFO; `message` is valid during
/// the call only. Called on the thread that calls the analyzer function that logs.
pub type VidkompyLogCallback = Option<unsafe extern "C" fn(user: *mut c_void, level: c_int, message: *const c_char)>;
/// Progress callback: fg and bg frames taken so far. Called on the thread that calls
/// vidkompy_analyzer_push, after each frame is taken.
pub type VidkompyProgressCallback = Option<unsafe extern "C" fn(user: *mut c_void, fg_frames: usize, bg_frames: usize)>;

/// An error.
pub const VIDKOMPY_LOG_ERROR: c_int = 0;
/// A warning (e.g. a low-confidence result).
pub const VIDKOMPY_LOG_WARNING: c_int = 1;
/// Information (e.g. the placement found).
pub const VIDKOMPY_LOG_INFO: c_int = 2;

/// The host's user pointer, handed back to its callbacks only.
struct UserPointer(*mut c_void);
// SAFETY: vidkompy never dereferences it; it goes back to the host's callbacks on the thread
// that calls the analyzer, which the host controls (documented on the callbacks).
unsafe impl Send for UserPointer {}

impl UserPointer {
    /// A method, so closures capture the whole (Send) wrapper rather than its raw field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Sets the analyzer's log and progress callbacks (either may be NULL to clear it) and the
/// user pointer passed to them. A callback (this pair or the frame provider) may call other
/// handles, but not its own analyzer: any call on it from inside its callbacks, freeing
/// included, does nothing and answers VIDKOMPY_ERROR_BAD_STATE (the reason in
/// vidkompy_last_error).
///
/// # Safety
/// `analyzer` must be NULL or live; the callbacks must be safe to call with `user` from the
/// thread that calls the analyzer, for as long as they are set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_callbacks(
    analyzer: *mut VidkompyAnalyzer,
    log: VidkompyLogCallback,
    progress: VidkompyProgressCallback,
    user: *mut c_void,
) -> c_int {
    let set = |a: &mut VidkompyAnalyzer| {
        a.analyzer.set_log(log.map(|f| {
            let user = UserPointer(user);
            Box::new(move |level: LogLevel, message: &str| {
                let text = to_cstring(message);
                // SAFETY: the host's callback and pointer, per the contract above.
                unsafe { f(user.get(), level as c_int, text.as_ptr()) }
            }) as crate::session::analyzer::LogFn
        }));
        a.analyzer.set_progress(progress.map(|f| {
            let user = UserPointer(user);
            Box::new(move |fg: usize, bg: usize| {
                // SAFETY: the host's callback and pointer, per the contract above.
                unsafe { f(user.get(), fg, bg) }
            }) as crate::session::analyzer::ProgressFn
        }));
        Ok(VIDKOMPY_OK)
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(analyzer, "analyzer", set) }
}

/// Frame provider: fills `frame` with frame `index` of `stream` (0 is the first frame pushed
/// of that stream, as pushed: same format and size) and returns 0, or returns any other value
/// when it cannot (the analyzer then works from what it kept). The frame is copied before the
/// provider is called again or vidkompy_analyzer_finish returns, whichever comes first; its
/// memory must stay valid until then. Called on the thread that calls
/// vidkompy_analyzer_finish, by index: for a few frames (about 12) to check the placement,
/// and, after a stream ran far ahead of the other (see vidkompy_analyzer_new), for the frames
/// the analyzer kept no copy of that the time map needs (all of fg's, bg's around fg's
/// matches: one at a time, ascending within each stream). No particular order otherwise.
pub type VidkompyFrameProvider =
    Option<unsafe extern "C" fn(user: *mut c_void, stream: c_int, index: i64, frame: *mut VidkompyFrame) -> c_int>;

/// Sets (or, with NULL, clears) the analyzer's frame provider and its user pointer. When the
/// analyzer found the placement itself, vidkompy_analyzer_finish asks the provider for a few
/// frames the time map matched, to check the placement at full resolution (a host that can
/// seek its inputs gets the exact placement in any push order; without a provider it is exact
/// to the analyzer's copies, half a copy pixel), and for frames it kept no copy of (long
/// streams pushed far apart; without a provider those fail, see vidkompy_analyzer_new).
///
/// # Safety
/// `analyzer` must be NULL or live; the provider must be safe to call with `user` from the
/// thread that calls the analyzer, for as long as it is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_frame_provider(
    analyzer: *mut VidkompyAnalyzer,
    provider: VidkompyFrameProvider,
    user: *mut c_void,
) -> c_int {
    let set = |a: &mut VidkompyAnalyzer| {
        a.analyzer.set_frame_provider(provider.map(|f| {
            let user = UserPointer(user);
            Box::new(move |stream: Stream, index: usize| {
                // SAFETY: a zeroed VidkompyFrame is a valid value (null pointers, zero sizes).
                let mut frame: VidkompyFrame = unsafe { std::mem::zeroed() };
                // SAFETY: the host's callback and pointer, per the contract above; `frame` is
                // a live, writable struct for the duration of the call.
                let status = unsafe { f(user.get(), stream as c_int, index as i64, &mut frame) };
                if status != 0 {
                    return None;
                }
                // SAFETY: the provider filled `frame` with memory valid until we return here.
                let view = unsafe { frame_from_c(&frame) }.ok()?;
                crate::frame::FrameBuf::from_frame(&view).ok()
            }) as Box<dyn crate::session::analyzer::FrameProvider>
        }));
        Ok(VIDKOMPY_OK)
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(analyzer, "analyzer", set) }
}

/// Creates an analyzer (pass 1). `settings` may be NULL for defaults; it is copied.
///
/// Call sequence:
/// ```c
/// VidkompyAnalyzer *an = NULL;
/// vidkompy_analyzer_new(settings, &an);
/// // optional: vidkompy_analyzer_set_placement(an, &p) or vidkompy_analyzer_add_sample(...)
/// while (decoding) vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG or _BG, &frame);
/// VidkompyAlignment *al = NULL;
/// if (vidkompy_analyzer_finish(an, &al) != VIDKOMPY_OK) puts(vidkompy_analyzer_last_error(an));
/// vidkompy_analyzer_free(&an);
/// ```
/// Streams may come in any order: interleaved by time, one whole before the other, or in
/// chunks; fg may start anywhere in bg. Without a placement (set_placement or add_sample),
/// the analyzer finds it: until then each frame is kept as a small grey copy (both streams
/// together within 48 MiB, at most 960x540 each, halved as needed), the placement and scale
/// are searched on evenly spaced copies of both whole streams, and the descriptors are
/// computed from the copies. On long streams, when the copies would get smaller than 160x90,
/// the placement is decided from what is kept if it is clear (score 0.97) and later frames
/// are described as they come; if it is not clear (fg's content not yet seen in bg), a copy of
/// only every second frame of the stream with more copies is kept, then every fourth, and
/// so on, and the placement is searched on the copies most like fg's as well.
/// A placement the analyzer found is checked in vidkompy_analyzer_finish on frame pairs the
/// time map matched: at full resolution when a frame provider is set
/// (vidkompy_analyzer_set_frame_provider), else on the copies (exact to half a copy pixel).
/// With a placement, fg frames pushed before bg's first frame are kept as copies until bg's
/// size is known. Pushes never fail for length: memory stays within the bound whatever the
/// order. The frames without a copy that the time map needs are asked of the frame provider
/// in vidkompy_analyzer_finish; without one, finish fails with VIDKOMPY_ERROR_BAD_STATE and a
/// message saying to set a provider, give a placement or samples, or interleave the streams.
///
/// # Safety
/// `settings` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_new(
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyAnalyzer,
) -> c_int {
    ffi_call_free(|| {
        if out.is_null() {
            return Err(Error::invalid("out is NULL"));
        }
        // SAFETY: forwarded caller contract.
        let settings = unsafe { settings_or_default(settings) };
        let handle = Box::new(VidkompyAnalyzer { analyzer: Analyzer::new(settings), last_error: CString::default() });
        // SAFETY: non-null and writable by contract.
        unsafe { *out = Box::into_raw(handle) };
        Ok(VIDKOMPY_OK)
    })
}

/// Frees an analyzer and sets `*analyzer` to NULL. Accepts NULL.
///
/// # Safety
/// `analyzer` must be NULL or point at NULL or a live analyzer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_free(analyzer: *mut *mut VidkompyAnalyzer) {
    // SAFETY: forwarded caller contract.
    unsafe { free_handle(analyzer) }
}

/// The message of the analyzer's last call if it failed, "" if it succeeded (or for NULL).
/// Valid until its next call.
///
/// # Safety
/// `analyzer` must be NULL or a live analyzer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_last_error(analyzer: *const VidkompyAnalyzer) -> *const c_char {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { analyzer.as_ref() }.map_or(c"".as_ptr(), |a| a.last_error.as_ptr())
}

/// Uses this placement instead of locating one. Before the first frame only, else
/// VIDKOMPY_ERROR_BAD_STATE.
///
/// # Safety
/// `analyzer` must be NULL or live; `placement` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_placement(
    analyzer: *mut VidkompyAnalyzer,
    placement: *const VidkompyPlacement,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let p = placement.as_ref().ok_or_else(|| Error::invalid("placement is NULL"))?;
            a.analyzer.set_placement(p.into())?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Adds a sample frame (copied) for locating the placement, e.g. a frame the host seeked to.
/// Before the first pushed frame only. With samples of both streams, the placement is located
/// from them when the first frame is pushed.
///
/// # Safety
/// `analyzer` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_add_sample(
    analyzer: *mut VidkompyAnalyzer,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let stream = stream_from_c(stream)?;
            let frame = frame_from_c(frame)?;
            a.analyzer.add_sample(stream, &frame)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Pushes the next frame of `stream` (VIDKOMPY_STREAM_FG or _BG); NULL ends that stream.
/// Streams may interleave in any order. Timestamps are checked here, at the frame: a time
/// that does not come after the previous frame's of the stream (a duplicate or out-of-order
/// pts), or a negative time base, is INVALID_ARGUMENT naming the frame, and the frame is not
/// taken. Returns VIDKOMPY_OK, or an error that leaves the analyzer usable: INVALID_FRAME
/// (bad frame, or its size/format changed), BAD_STATE (after the end of the stream or after
/// finish, or too many frames held: see vidkompy_analyzer_new), INVALID_ARGUMENT (unknown
/// stream, bad timestamp), NO_MATCH (the automatic placement failed).
///
/// # Safety
/// `analyzer` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_push(
    analyzer: *mut VidkompyAnalyzer,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let stream = stream_from_c(stream)?;
            if frame.is_null() {
                a.analyzer.push(stream, None)?;
            } else {
                let frame = frame_from_c(frame)?;
                a.analyzer.push(stream, Some(&frame))?;
            }
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Ends both streams and computes the alignment into `*out` (free it with
/// vidkompy_alignment_free). Once only. BAD_STATE when a stream has no frame; NO_MATCH when
/// the placement is not found, when fewer than "min_matched_share" of the fg frames find a
/// counterpart in bg, or when they match no better than by chance (the message gives the
/// counts and the match distance against chance; see vidkompy_settings_set). A run of fg
/// frames that clearly matches bg earlier than the frames before it (fg's shots in another
/// order than bg's) is mapped there: the map then goes back in bg, and the compositor asks for
/// bg to be sought back (vidkompy_compositor_bg_rewind). AMBIGUOUS when another place scored nearly as well
/// as the placement found and the time maps at the two do not tell them apart (a repetitive
/// picture; the message names both places: give the placement to choose).
///
/// # Safety
/// `analyzer` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_finish(
    analyzer: *mut VidkompyAnalyzer,
    out: *mut *mut VidkompyAlignment,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            if out.is_null() {
                return Err(Error::invalid("out is NULL"));
            }
            let alignment = a.analyzer.finish()?;
            *out = Box::into_raw(Box::new(VidkompyAlignment { alignment }));
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Frees an alignment and sets `*alignment` to NULL. Accepts NULL.
///
/// # Safety
/// `alignment` must be NULL or point at NULL or a live alignment.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_free(alignment: *mut *mut VidkompyAlignment) {
    // SAFETY: forwarded caller contract.
    unsafe { free_handle(alignment) }
}

/// The placement of an alignment.
///
/// # Safety
/// `alignment` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_placement(
    alignment: *const VidkompyAlignment,
    out: *mut VidkompyPlacement,
) -> c_int {
    ffi_call_free(|| {
        // SAFETY: NULL-checked; otherwise live / writable by contract.
        let al = unsafe { alignment.as_ref() }.ok_or_else(|| Error::invalid("alignment is NULL"))?;
        let out = unsafe { out.as_mut() }.ok_or_else(|| Error::invalid("out is NULL"))?;
        *out = al.alignment.placement.into();
        Ok(VIDKOMPY_OK)
    })
}

/// Number of fg frames in the alignment (0 for NULL).
///
/// # Safety
/// `alignment` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_fg_frames(alignment: *const VidkompyAlignment) -> usize {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { alignment.as_ref() }.map_or(0, |a| a.alignment.fg_frames)
}

/// Number of bg frames the alignment was made from (0 for NULL).
///
/// # Safety
/// `alignment` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_bg_frames(alignment: *const VidkompyAlignment) -> usize {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { alignment.as_ref() }.map_or(0, |a| a.alignment.bg_frames)
}

/// Overall confidence of the time map, 0..1 (0 for NULL): the mean of the matched frames'
/// confidences (vidkompy_alignment_frame_confidence). Measured with the CLI on pairs made from
/// the clips: true pairs 0.85-1.00 (a noisy fg the lowest), a fixed camera's other instants
/// (refused) 0.03; generated true pairs at 0.8 or more in every accuracy test.
///
/// # Safety
/// `alignment` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_confidence(alignment: *const VidkompyAlignment) -> c_double {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { alignment.as_ref() }.map_or(0.0, |a| a.alignment.time.overall_confidence)
}

/// Confidence in the placement, 0..1 (0 for NULL): 1 / (1 + ((1 - score) / 0.2)^4) of its
/// correlation score (VidkompyPlacement.confidence), one half at score 0.8. Measured on pairs
/// made from the clips: true pairs (graded, blurred, noisy, crf 38, logo box, ticker) 0.99 and
/// above; fg from another film 0.02-0.03, refused under min_confidence 0.6 (0.06). It speaks of
/// the position only: the time map's confidence says whether the instants match.
///
/// # Safety
/// `alignment` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_placement_confidence(alignment: *const VidkompyAlignment) -> c_double {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { alignment.as_ref() }.map_or(0.0, |a| a.alignment.placement.calibrated_confidence())
}

/// The bg frame under fg frame `fg_index`, and whether that fg frame is outside bg (no
/// counterpart; the nearest bg frame is then given). Either output may be NULL.
///
/// # Safety
/// `alignment` must be NULL or live; outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_bg_index(
    alignment: *const VidkompyAlignment,
    fg_index: usize,
    bg_index: *mut u32,
    outside: *mut c_int,
) -> c_int {
    ffi_call_free(|| {
        // SAFETY: NULL-checked; otherwise live / writable by contract.
        let al = unsafe { alignment.as_ref() }.ok_or_else(|| Error::invalid("alignment is NULL"))?;
        let j = al.alignment.bg_index(fg_index).ok_or_else(|| {
            Error::invalid(format!("fg index {fg_index} is beyond the {} fg frames", al.alignment.fg_frames))
        })?;
        if let Some(b) = unsafe { bg_index.as_mut() } {
            *b = j;
        }
        if let Some(o) = unsafe { outside.as_mut() } {
            *o = al.alignment.time.is_outside(fg_index) as c_int;
        }
        Ok(VIDKOMPY_OK)
    })
}

/// Writes the alignment as JSON (the report format) into `buffer` of `size` bytes, NUL
/// terminated. `*needed` (if not NULL) receives the size needed including the NUL. With a
/// buffer too small (or NULL with size 0) nothing is written and VIDKOMPY_ERROR_INVALID_ARGUMENT
/// is returned; call again with `*needed` bytes.
///
/// # Safety
/// `alignment` must be NULL or live; `buffer` NULL or writable for `size` bytes; `needed` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_to_json(
    alignment: *const VidkompyAlignment,
    buffer: *mut c_char,
    size: usize,
    needed: *mut usize,
) -> c_int {
    ffi_call_free(|| {
        // SAFETY: NULL-checked; otherwise live by contract.
        let al = unsafe { alignment.as_ref() }.ok_or_else(|| Error::invalid("alignment is NULL"))?;
        let json = al.alignment.to_json(None);
        let n = json.len() + 1;
        // SAFETY: NULL-checked; writable by contract.
        if let Some(nd) = unsafe { needed.as_mut() } {
            *nd = n;
        }
        if buffer.is_null() || size < n {
            return Err(Error::invalid(format!("buffer of {size} bytes is too small: {n} needed")));
        }
        // SAFETY: `buffer` is writable for `size >= n` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(json.as_ptr(), buffer.cast::<u8>(), json.len());
            *buffer.add(json.len()) = 0;
        }
        Ok(VIDKOMPY_OK)
    })
}

/// Reads an alignment from JSON (as written by vidkompy_alignment_to_json or the CLI report).
/// Every field is checked before anything is sized from it: finite numbers only, a content
/// box within 16384 px per side, a scale within 1/64..64, a size equal to the content's times
/// the scale, a corner within 2^20 px, a time map that names existing bg frames in order.
/// Returns VIDKOMPY_ERROR_INVALID_DATA with the reason for anything else.
///
/// # Safety
/// `json` must be NULL or a NUL-terminated string; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_from_json(json: *const c_char, out: *mut *mut VidkompyAlignment) -> c_int {
    ffi_call_free(|| {
        if out.is_null() {
            return Err(Error::invalid("out is NULL"));
        }
        // SAFETY: forwarded caller contract.
        let text = unsafe { c_str(json, "json") }?;
        let alignment = Alignment::from_json(text)?;
        // SAFETY: non-null and writable by contract.
        unsafe { *out = Box::into_raw(Box::new(VidkompyAlignment { alignment })) };
        Ok(VIDKOMPY_OK)
    })
}

/// Creates a compositor (pass 2) from an alignment (copied: the alignment may be freed after).
/// `settings` may be NULL ("feather" and "color_matrix" apply).
///
/// Call sequence (never deadlocks: after AGAIN from send, receive produces output):
/// ```c
/// VidkompyCompositor *c = NULL;
/// vidkompy_compositor_new(al, settings, &c);
/// for (;;) {
///     VidkompyFrame out;
///     int r = vidkompy_compositor_receive(c, &out);
///     if (r == VIDKOMPY_OK) { write(&out); continue; }        // valid until the next call
///     if (r == VIDKOMPY_EOF) break;
///     if (r != VIDKOMPY_AGAIN) { puts(vidkompy_compositor_last_error(c)); break; }
///     int s = vidkompy_compositor_wants(c);                    // VIDKOMPY_STREAM_FG or _BG
///     VidkompyFrame *f = next_frame_or_null(s);                // NULL: that stream ended
///     vidkompy_compositor_send(c, s, f);
/// }
/// vidkompy_compositor_free(&c);
/// ```
/// Zero copy into frames the host allocates: vidkompy_alignment_stream_info(al,
/// VIDKOMPY_STREAM_BG, ...) gives the composite's size (bg's); call
/// vidkompy_compositor_receive_into(c, dst) in place of receive. It answers AGAIN or EOF even
/// with dst NULL, so a host may allocate only once a frame is ready (VIDKOMPY_OK from
/// vidkompy_compositor_receive_into(c, NULL) would be an error: a frame is waiting).
///
/// Seeking: vidkompy_compositor_first_bg gives the first bg frame needed (index and pts). With
/// pts on the frames and an alignment that records the media (format version 2), frames are
/// matched by pts: bg may start anywhere up to that frame, and a frame the decoder dropped or
/// repeated is counted (vidkompy_compositor_stats) instead of shifting every later frame.
/// Where fg's shots go back in bg (an edit to earlier footage), the next bg frame needed was
/// passed: vidkompy_compositor_bg_rewind then answers 1 with it, and the host seeks bg back and
/// calls vidkompy_compositor_seek_bg before sending bg again (a host that cannot seek gets
/// BAD_STATE there, never a wrong background).
///
/// # Safety
/// `alignment` must be NULL or live; `settings` NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_new(
    alignment: *const VidkompyAlignment,
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyCompositor,
) -> c_int {
    ffi_call_free(|| {
        if out.is_null() {
            return Err(Error::invalid("out is NULL"));
        }
        // SAFETY: NULL-checked; otherwise live by contract.
        let al = unsafe { alignment.as_ref() }.ok_or_else(|| Error::invalid("alignment is NULL"))?;
        let settings = unsafe { settings_or_default(settings) };
        let compositor = Compositor::new(al.alignment.clone(), &settings)?;
        // SAFETY: non-null and writable by contract.
        unsafe { *out = Box::into_raw(Box::new(VidkompyCompositor { compositor, last_error: CString::default() })) };
        Ok(VIDKOMPY_OK)
    })
}

/// Frees a compositor and sets `*compositor` to NULL. Accepts NULL.
///
/// # Safety
/// `compositor` must be NULL or point at NULL or a live compositor.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_free(compositor: *mut *mut VidkompyCompositor) {
    // SAFETY: forwarded caller contract.
    unsafe { free_handle(compositor) }
}

/// The message of the compositor's last call if it failed, "" if it succeeded (or for NULL).
///
/// # Safety
/// `compositor` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_last_error(compositor: *const VidkompyCompositor) -> *const c_char {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { compositor.as_ref() }.map_or(c"".as_ptr(), |c| c.last_error.as_ptr())
}

/// Sends the next frame of `stream`; NULL ends that stream. Returns VIDKOMPY_OK (taken, or a
/// bg frame no fg frame needs was skipped), VIDKOMPY_AGAIN (not taken: call receive, then send
/// the same frame again), or an error that leaves the compositor usable.
///
/// # Safety
/// `compositor` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_send(
    compositor: *mut VidkompyCompositor,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(compositor, "compositor", |c| {
            let stream = stream_from_c(stream)?;
            let sent = if frame.is_null() {
                c.compositor.send(stream, None)?
            } else {
                let frame = frame_from_c(frame)?;
                c.compositor.send(stream, Some(&frame))?
            };
            Ok(match sent {
                Sent::Accepted => VIDKOMPY_OK,
                Sent::Again => VIDKOMPY_AGAIN,
            })
        })
    }
}

/// Gets the next composited frame: VIDKOMPY_OK fills `*out` with a library-owned frame (bg's
/// format and size, fg's pts and time base) valid until the next call on this compositor;
/// VIDKOMPY_AGAIN when input is needed (vidkompy_compositor_wants says which stream);
/// VIDKOMPY_EOF after the last fg frame.
///
/// # Safety
/// `compositor` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_receive(
    compositor: *mut VidkompyCompositor,
    out: *mut VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(compositor, "compositor", |c| {
            let out = out.as_mut().ok_or_else(|| Error::invalid("out is NULL"))?;
            match c.compositor.receive()? {
                Received::Frame(f) => {
                    *out = frame_to_c(&f);
                    Ok(VIDKOMPY_OK)
                }
                Received::Again(_) => Ok(VIDKOMPY_AGAIN),
                Received::Eof => Ok(VIDKOMPY_EOF),
            }
        })
    }
}

/// Like vidkompy_compositor_receive, but composites straight into the host's frame `*dst`
/// (zero copy): its planes must be writable, of bg's format and size. On VIDKOMPY_OK the planes
/// hold the composite and `dst->pts` / time base are set to the fg frame's.
///
/// # Safety
/// `compositor` must be NULL or live; `dst` NULL or a frame whose planes are writable and not
/// used by anything else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_receive_into(
    compositor: *mut VidkompyCompositor,
    dst: *mut VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(compositor, "compositor", |c| {
            let Some(d) = dst.as_mut() else {
                // Without a destination the answer may still be AGAIN or EOF.
                return match editor::poll(c)? {
                    VIDKOMPY_OK => Err(Error::invalid("dst is NULL, and a composited frame is ready to be written")),
                    code => Ok(code),
                };
            };
            let mut out = frame_mut_from_c(d)?;
            match c.compositor.receive_into(&mut out)? {
                None => {
                    if let Some((pts, tb)) = c.compositor.last_pts() {
                        d.pts = pts;
                        d.time_base_num = tb.num;
                        d.time_base_den = tb.den;
                    }
                    Ok(VIDKOMPY_OK)
                }
                Some(Received::Eof) => Ok(VIDKOMPY_EOF),
                Some(_) => Ok(VIDKOMPY_AGAIN),
            }
        })
    }
}

/// The stream receive needs next (VIDKOMPY_STREAM_FG or _BG), or VIDKOMPY_STREAM_NONE (-1)
/// when it can produce output or is done (or for NULL).
///
/// # Safety
/// `compositor` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_wants(compositor: *const VidkompyCompositor) -> c_int {
    // SAFETY: NULL-checked; otherwise live.
    match unsafe { compositor.as_ref() }.and_then(|c| c.compositor.wants()) {
        Some(s) => s as c_int,
        None => -1,
    }
}

fn frame_to_c(f: &FrameRef<'_>) -> VidkompyFrame {
    let mut data = [std::ptr::null(); 4];
    let mut stride = [0isize; 4];
    for (p, (d, s)) in data.iter_mut().zip(stride.iter_mut()).enumerate().take(f.format().plane_count()) {
        let (ptr, st) = f.plane_origin(p);
        *d = ptr;
        *s = st;
    }
    VidkompyFrame {
        format: format_to_c(f.format(), f.color),
        width: f.width() as c_int,
        height: f.height() as c_int,
        data,
        stride,
        pts: f.pts,
        time_base_num: f.time_base.num,
        time_base_den: f.time_base.den,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ColorMatrix;

    /// Run by `caught_panics_print_nothing`, in a child process whose stderr it reads.
    #[test]
    #[ignore = "run in a child process by caught_panics_print_nothing"]
    fn panicking_call_in_child() {
        let mut settings = VidkompySettings { settings: Settings::default(), last_error: CString::new("old").unwrap() };
        let code = ffi_call(Some(&mut settings), |_| -> Result<c_int> { panic!("boom at the boundary") });
        assert_eq!(code, VIDKOMPY_ERROR_INTERNAL);
        let message = settings.last_error.to_string_lossy().to_string();
        assert!(message.contains("panic at src/capi/mod.rs:") && message.contains("boom"), "{message}");
        // A success clears the handle's message.
        assert_eq!(ffi_call(Some(&mut settings), |_| Ok(VIDKOMPY_OK)), VIDKOMPY_OK);
        assert!(settings.last_error.is_empty());
    }

    #[test]
    fn caught_panics_print_nothing() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["capi::tests::panicking_call_in_child", "--exact", "--include-ignored", "--nocapture"])
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && stdout.contains("1 passed"), "{stdout}\n{stderr}");
        assert!(!stderr.contains("boom") && !stderr.contains("panicked"), "the panic reached stderr: {stderr}");
    }

    #[test]
    fn committed_header_is_fresh() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/vidkompy.h"));
        let committed = include_str!("../../include/vidkompy.h");
        assert!(
            generated == committed,
            "include/vidkompy.h is stale: regenerate it with `VIDKOMPY_WRITE_HEADER=1 cargo build` and commit it"
        );
    }

    #[test]
    fn header_documents_every_settings_key_and_status() {
        let header = include_str!("../../include/vidkompy.h");
        for key in Settings::KEYS {
            assert!(header.contains(&format!("\"{}\"", key.name)), "header does not document key {}", key.name);
        }
        for name in
            ["VIDKOMPY_OK", "VIDKOMPY_AGAIN", "VIDKOMPY_EOF", "VIDKOMPY_ERROR_INTERNAL", "VIDKOMPY_VERSION_MAJOR"]
        {
            assert!(header.contains(name), "header lacks {name}");
        }
    }

    #[test]
    fn version_constants_match_the_crate() {
        assert_eq!(VIDKOMPY_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(VIDKOMPY_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(VIDKOMPY_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
        let s = unsafe { CStr::from_ptr(vidkompy_version_string()) };
        assert_eq!(s.to_str().unwrap(), crate::VERSION);
    }

    #[test]
    fn enum_constants_match_the_rust_enums() {
        let formats = [
            (VIDKOMPY_PIXEL_FORMAT_GRAY8, PixelFormat::Gray8),
            (VIDKOMPY_PIXEL_FORMAT_I420, PixelFormat::I420),
            (VIDKOMPY_PIXEL_FORMAT_NV12, PixelFormat::Nv12),
            (VIDKOMPY_PIXEL_FORMAT_RGBA, PixelFormat::Rgba),
            (VIDKOMPY_PIXEL_FORMAT_BGRA, PixelFormat::Bgra),
            (VIDKOMPY_PIXEL_FORMAT_RGB24, PixelFormat::Rgb24),
            (VIDKOMPY_PIXEL_FORMAT_I420P10, PixelFormat::I420P10),
            (VIDKOMPY_PIXEL_FORMAT_P010, PixelFormat::P010),
            (VIDKOMPY_PIXEL_FORMAT_I422, PixelFormat::I422),
            (VIDKOMPY_PIXEL_FORMAT_I444, PixelFormat::I444),
            (VIDKOMPY_PIXEL_FORMAT_I422P10, PixelFormat::I422P10),
            (VIDKOMPY_PIXEL_FORMAT_I444P10, PixelFormat::I444P10),
        ];
        assert_eq!(formats.len(), PixelFormat::ALL.len());
        for (c, f) in formats {
            assert_eq!(PixelFormat::from_raw(c), Some(f));
        }
        assert_eq!(ColorMatrix::from_raw(VIDKOMPY_COLOR_MATRIX_BT601), Some(ColorMatrix::Bt601));
        assert_eq!(ColorMatrix::from_raw(VIDKOMPY_COLOR_MATRIX_BT709), Some(ColorMatrix::Bt709));
        for s in Status::ALL {
            let c = match s {
                Status::Ok => VIDKOMPY_OK,
                Status::Again => VIDKOMPY_AGAIN,
                Status::Eof => VIDKOMPY_EOF,
                Status::InvalidArgument => VIDKOMPY_ERROR_INVALID_ARGUMENT,
                Status::InvalidFrame => VIDKOMPY_ERROR_INVALID_FRAME,
                Status::Unsupported => VIDKOMPY_ERROR_UNSUPPORTED,
                Status::NoMatch => VIDKOMPY_ERROR_NO_MATCH,
                Status::BadState => VIDKOMPY_ERROR_BAD_STATE,
                Status::Io => VIDKOMPY_ERROR_IO,
                Status::InvalidData => VIDKOMPY_ERROR_INVALID_DATA,
                Status::Internal => VIDKOMPY_ERROR_INTERNAL,
                Status::Ambiguous => VIDKOMPY_ERROR_AMBIGUOUS,
            };
            assert_eq!(c, s.code());
        }
    }

    #[test]
    fn status_strings_match_rust_descriptions() {
        for s in Status::ALL {
            let c = unsafe { CStr::from_ptr(vidkompy_status_str(s.code())) };
            assert_eq!(c.to_str().unwrap(), s.description());
        }
    }

    #[test]
    fn a_panic_becomes_internal_error_with_message() {
        let code = ffi_call_free(|| panic!("boom"));
        assert_eq!(code, VIDKOMPY_ERROR_INTERNAL);
        let msg = unsafe { CStr::from_ptr(vidkompy_last_error()) };
        assert!(msg.to_str().unwrap().contains("boom"));
    }
}
