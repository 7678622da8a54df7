//! Status codes, versions and the thread-local last error.

use super::*;

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
/// Not an error, and not verified: vidkompy_analyzer_finish made the alignment (`*out` is set,
/// free it as after OK), but its placement was found on the analyzer's reduced copies and
/// could not be checked on full-size frames (no frame provider, and none of the frames the
/// analyzer keeps for the check was matched; see vidkompy_analyzer_set_frame_provider). The
/// placement may then be a few pixels off, and the time map a few frames;
/// vidkompy_alignment_placement_approximate is 1. Give a frame provider to have it checked.
pub const VIDKOMPY_APPROXIMATE: c_int = 3;
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
/// Two answers score alike (two placements in a repetitive picture, bg frames a few apart
/// where fg lies, or two spans of bg showing fg's footage): the message names them.
/// Nothing is guessed; for two placements a host may give one ("placement" setting) and
/// analyse again.
pub const VIDKOMPY_ERROR_AMBIGUOUS: c_int = -9;
/// The host cancelled the call (vidkompy_analyzer_set_cancel_flag, vidkompy_live_set_cancel_flag,
/// vidkompy_scout_set_cancel_flag); the handle is finished.
pub const VIDKOMPY_ERROR_CANCELLED: c_int = -10;

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

/// Returns a static, NUL-terminated description of a status code ("unknown status" for others).
#[unsafe(no_mangle)]
pub extern "C" fn vidkompy_status_str(status: c_int) -> *const c_char {
    Status::from_code(status).map_or(c"unknown status", Status::c_description).as_ptr()
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
