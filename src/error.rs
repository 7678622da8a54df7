//! The one error type of the library and the status codes it maps to at the C boundary.

use std::ffi::CStr;
use std::fmt;

use crate::frame::FrameError;

/// Result of every fallible library call.
pub type Result<T> = std::result::Result<T, Error>;

/// Status codes shared by the Rust API and the C ABI (`VIDKOMPY_*` in the header).
///
/// Zero and positive values are not errors: `Again` and `Eof` steer push/pull loops, and
/// `Approximate` is a result that could not be verified (see `VIDKOMPY_APPROXIMATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    Ok = 0,
    Again = 1,
    Eof = 2,
    Approximate = 3,
    InvalidArgument = -1,
    InvalidFrame = -2,
    Unsupported = -3,
    NoMatch = -4,
    BadState = -5,
    Io = -6,
    InvalidData = -7,
    Internal = -8,
    Ambiguous = -9,
    Cancelled = -10,
}

impl Status {
    pub const ALL: [Status; 14] = [
        Status::Ok,
        Status::Again,
        Status::Eof,
        Status::Approximate,
        Status::InvalidArgument,
        Status::InvalidFrame,
        Status::Unsupported,
        Status::NoMatch,
        Status::BadState,
        Status::Io,
        Status::InvalidData,
        Status::Internal,
        Status::Ambiguous,
        Status::Cancelled,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// A static, human-readable description (what `vidkompy_status_str` returns).
    pub fn description(self) -> &'static str {
        self.c_description().to_str().expect("the descriptions are ASCII")
    }

    /// [`Status::description`], NUL-terminated for the C boundary: the one table of them.
    pub fn c_description(self) -> &'static CStr {
        match self {
            Status::Ok => c"success",
            Status::Again => c"try again: more input is needed or output is waiting",
            Status::Eof => c"end of stream",
            Status::Approximate => {
                c"done, not verified: the placement was found on reduced copies and could not be checked on full-size frames"
            }
            Status::InvalidArgument => c"invalid argument",
            Status::InvalidFrame => c"invalid frame",
            Status::Unsupported => c"unsupported",
            Status::NoMatch => c"no match: the foreground was not found in the background",
            Status::BadState => c"call not allowed in the current state",
            Status::Io => c"input/output error",
            Status::InvalidData => c"invalid or corrupt data",
            Status::Internal => c"internal error",
            Status::Ambiguous => c"ambiguous: two answers score alike",
            Status::Cancelled => c"cancelled by the host",
        }
    }
}

/// Every error the library reports. The message always names the cause; `status()` gives the code.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    InvalidArgument(String),
    InvalidFrame(FrameError),
    Unsupported(String),
    /// The best placement score was below the configured minimum confidence.
    NoMatch {
        score: f64,
        min_confidence: f64,
    },
    /// The time map found too few fg frames in bg; the message gives the evidence.
    NotInBg(String),
    BadState(String),
    Io(String),
    InvalidData(String),
    Internal(String),
    /// Two answers (placements, or spans of bg) score alike; the message names both.
    Ambiguous(String),
    /// The host cancelled the call; the message says where it stopped.
    Cancelled(String),
}

impl Error {
    pub fn status(&self) -> Status {
        match self {
            Error::InvalidArgument(_) => Status::InvalidArgument,
            Error::InvalidFrame(_) => Status::InvalidFrame,
            Error::Unsupported(_) => Status::Unsupported,
            Error::NoMatch { .. } | Error::NotInBg(_) => Status::NoMatch,
            Error::BadState(_) => Status::BadState,
            Error::Io(_) => Status::Io,
            Error::InvalidData(_) => Status::InvalidData,
            Error::Internal(_) => Status::Internal,
            Error::Ambiguous(_) => Status::Ambiguous,
            Error::Cancelled(_) => Status::Cancelled,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::InvalidArgument(msg.into())
    }

    pub(crate) fn bad_state(msg: impl Into<String>) -> Error {
        Error::BadState(msg.into())
    }

    pub(crate) fn invalid_data(msg: impl Into<String>) -> Error {
        Error::InvalidData(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::InvalidFrame(e) => write!(f, "invalid frame: {e}"),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::NoMatch { score, min_confidence } => {
                write!(f, "no match: best placement score {score:.3} is below min_confidence {min_confidence:.3}")
            }
            Error::NotInBg(m) => write!(f, "no match: {m}"),
            Error::BadState(m) => write!(f, "bad state: {m}"),
            Error::Io(m) => write!(f, "i/o error: {m}"),
            Error::InvalidData(m) => write!(f, "invalid data: {m}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
            Error::Ambiguous(m) => write!(f, "ambiguous: {m}"),
            Error::Cancelled(m) => write!(f, "cancelled: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<FrameError> for Error {
    fn from(e: FrameError) -> Error {
        Error::InvalidFrame(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e.to_string())
    }
}
