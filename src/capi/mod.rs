//! The C ABI. Thin `extern "C"` wrappers that translate between C and the Rust API; no logic
//! lives here.
//!
//! Conventions (see include/vidkompy.h): functions return an `int` status (0 = VIDKOMPY_OK,
//! positive = VIDKOMPY_AGAIN / VIDKOMPY_EOF, negative = error). Every entry point runs inside
//! `ffi_call`, which turns a Rust panic into VIDKOMPY_ERROR_INTERNAL; no panic unwinds into C.
//! A failing call stores its message in the handle (`vidkompy_*_last_error`) and in a
//! thread-local slot (`vidkompy_last_error`).
//!
//! # Design notes (measured)
//!
//! **Per-handle error getters** (`vidkompy_analyzer_last_error(a)`, …) instead of one
//! `vidkompy_last_error(void *)`: type-checked by the C compiler. `vidkompy_last_error()` is the
//! per-thread message.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_double, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::Alignment;
use crate::ColorMatrix;
use crate::LogLevel;
use crate::NO_PTS;
use crate::Settings;
use crate::StreamInfo;
use crate::composite_frame;
use crate::{AlphaMode, ColorRange, FrameColor, FrameMut, FrameRef, PixelFormat, TimeBase};
use crate::{Analyzer, Compositor, Received, Sent, Stream};
use crate::{Error, Result, Status};
use crate::{Placement, locate};

/// `LastError` for a handle that keeps its message in a `last_error` field (every handle).
macro_rules! last_error_field {
    ($handle:ty) => {
        impl LastError for $handle {
            fn set_last_error(&mut self, message: CString) {
                self.last_error = message;
            }
        }
    };
}

/// A host's cancel flag (an int it sets to nonzero with an atomic store) as the library's
/// `CancelFn`; NULL clears. Shared by the analyzer, the live session and the scout.
///
/// # Safety
/// `flag` must be NULL, or an int that stays valid for as long as it is set and is written
/// only by atomic stores.
unsafe fn cancel_from_flag(flag: *const c_int) -> Result<Option<crate::CancelFn>> {
    if flag.is_null() {
        return Ok(None);
    }
    if !flag.cast::<std::sync::atomic::AtomicI32>().is_aligned() {
        return Err(Error::invalid("the cancel flag is not an aligned int"));
    }
    let flag = CancelFlag(flag);
    Ok(Some(std::sync::Arc::new(move || flag.is_set())))
}

/// The host's cancel flag, read with an atomic load.
struct CancelFlag(*const c_int);

// SAFETY: the host's contract makes the int valid while set and written only atomically, so
// reading it from any thread (the one that calls the handle, wherever the handle moved) is
// sound, and so is sharing the reader between the calls a live session makes.
unsafe impl Send for CancelFlag {}
unsafe impl Sync for CancelFlag {}

impl CancelFlag {
    fn is_set(&self) -> bool {
        // SAFETY: non-null, aligned (checked when set) and valid by the caller's contract; the
        // host writes it only with atomic stores, so an atomic view of it races with nothing.
        unsafe { std::sync::atomic::AtomicI32::from_ptr(self.0.cast_mut()) }.load(std::sync::atomic::Ordering::Relaxed)
            != 0
    }
}

mod alignment;
mod analyzer;
mod composite;
mod compositor;
mod frame;
mod live;
mod placement;
mod scout;
mod settings;
mod status;
pub use alignment::*;
pub use analyzer::*;
pub use composite::*;
pub use compositor::*;
pub use frame::*;
pub use live::*;
pub use placement::*;
pub use scout::*;
pub use settings::*;
pub use status::*;

/// Handles that keep their last error message.
trait LastError {
    fn set_last_error(&mut self, message: CString);
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

/// # Safety
/// `alignment` must be NULL or live.
pub(super) unsafe fn alignment_ref<'a>(alignment: *const VidkompyAlignment) -> Result<&'a crate::Alignment> {
    // SAFETY: NULL-checked; otherwise live by the caller's contract.
    unsafe { alignment.as_ref() }.map(|a| &a.alignment).ok_or_else(|| Error::invalid("alignment is NULL"))
}

/// A call on an alignment, for every entry point that takes one with an `err`: the alignment
/// checked, panics caught, the outcome also in `*err`.
///
/// # Safety
/// `alignment` NULL or live; `err` NULL or writable.
pub(super) unsafe fn query(
    alignment: *const VidkompyAlignment,
    err: *mut VidkompyError,
    f: impl FnOnce(&crate::Alignment) -> Result<c_int>,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || ffi_call_free(|| f(alignment_ref(alignment)?))) }
}

/// The status of a `receive_into` on a host frame: VIDKOMPY_OK once a composite was written
/// (`dst`'s pts and time base set to fg's frame's, `pts`), else AGAIN or EOF.
fn written_into(dst: &mut VidkompyFrame, received: Option<Received<'_>>, pts: Option<(i64, TimeBase)>) -> c_int {
    match received {
        None => {
            if let Some((pts, tb)) = pts {
                dst.pts = pts;
                dst.time_base_num = tb.num;
                dst.time_base_den = tb.den;
            }
            VIDKOMPY_OK
        }
        Some(Received::Eof) => VIDKOMPY_EOF,
        Some(_) => VIDKOMPY_AGAIN,
    }
}

/// An output pointer that must not be NULL, checked before the call does its work (so a
/// NULL costs nothing and loses nothing).
///
/// # Safety
/// `out` must be NULL or writable, and stay so for `'a`.
unsafe fn writable<'a, T>(out: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: NULL-checked; writable by the caller's contract.
    unsafe { out.as_mut() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// Writes `value` through an output pointer that must not be NULL.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn put<T>(out: *mut T, what: &str, value: T) -> Result<()> {
    // SAFETY: forwarded caller contract.
    *unsafe { writable(out, what) }? = value;
    Ok(())
}

/// Hands a new object to the host through `out`: the one shape of every call that makes one
/// (the `*_new` calls, reading or changing an alignment, finishing an analyzer). `out` is
/// checked before `make` runs; the host frees the object with its `*_free`.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn hand_over<H>(out: *mut *mut H, make: impl FnOnce() -> Result<H>) -> Result<c_int> {
    // SAFETY: forwarded caller contract.
    let out = unsafe { writable(out, "out") }?;
    *out = Box::into_raw(Box::new(make()?));
    Ok(VIDKOMPY_OK)
}

/// A `*_new` call: `hand_over` behind the panic boundary, with no handle yet to keep a message.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn new_handle<H>(out: *mut *mut H, make: impl FnOnce() -> Result<H>) -> c_int {
    // SAFETY: forwarded caller contract.
    ffi_call_free(|| unsafe { hand_over(out, make) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ColorMatrix;

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
            (VIDKOMPY_PIXEL_FORMAT_RGBA64, PixelFormat::Rgba64),
            (VIDKOMPY_PIXEL_FORMAT_RGBAF16, PixelFormat::RgbaF16),
            (VIDKOMPY_PIXEL_FORMAT_RGBAF32, PixelFormat::RgbaF32),
        ];
        assert_eq!(formats.len(), PixelFormat::ALL.len());
        for (c, f) in formats {
            assert_eq!(PixelFormat::from_raw(c), Some(f));
        }
        for (c, stage) in [
            (VIDKOMPY_STAGE_PLACEMENT, crate::Stage::Placement),
            (VIDKOMPY_STAGE_TIME_MAP, crate::Stage::TimeMap),
            (VIDKOMPY_STAGE_PLACEMENT_CHECK, crate::Stage::PlacementCheck),
            (VIDKOMPY_STAGE_LIVE_START, crate::Stage::LiveStart),
        ] {
            assert_eq!(c, stage as c_int);
        }
        assert_eq!(ColorMatrix::from_raw(VIDKOMPY_COLOR_MATRIX_BT601), Some(ColorMatrix::Bt601));
        assert_eq!(ColorMatrix::from_raw(VIDKOMPY_COLOR_MATRIX_BT709), Some(ColorMatrix::Bt709));
        for s in Status::ALL {
            let c = match s {
                Status::Ok => VIDKOMPY_OK,
                Status::Again => VIDKOMPY_AGAIN,
                Status::Eof => VIDKOMPY_EOF,
                Status::Approximate => VIDKOMPY_APPROXIMATE,
                Status::InvalidArgument => VIDKOMPY_ERROR_INVALID_ARGUMENT,
                Status::InvalidFrame => VIDKOMPY_ERROR_INVALID_FRAME,
                Status::Unsupported => VIDKOMPY_ERROR_UNSUPPORTED,
                Status::NoMatch => VIDKOMPY_ERROR_NO_MATCH,
                Status::BadState => VIDKOMPY_ERROR_BAD_STATE,
                Status::Io => VIDKOMPY_ERROR_IO,
                Status::InvalidData => VIDKOMPY_ERROR_INVALID_DATA,
                Status::Internal => VIDKOMPY_ERROR_INTERNAL,
                Status::Ambiguous => VIDKOMPY_ERROR_AMBIGUOUS,
                Status::Cancelled => VIDKOMPY_ERROR_CANCELLED,
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
