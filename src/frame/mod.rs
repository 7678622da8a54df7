//! Frames: pixel formats, a borrowed strided view (`FrameRef`), an owned 64-byte-aligned buffer
//! (`FrameBuf`), luma access and the exact area-filter downsample every analysis step starts from.
//!
//! A `FrameRef` is validated once, when it is made; after that every row access is a plain,
//! bounds-checked slice of memory the frame is known to own, so no later code can read outside a
//! plane whatever the host passed in.
//!
//! Plane layout. Row `r` of a plane starts at `origin + r * stride` inside the plane's slice. For a
//! positive stride the origin is 0; for a negative stride (bottom-up images) the slice starts at the
//! lowest address, which is the *last* row, so the origin is `(rows - 1) * |stride|`.
//! 4:2:0 chroma planes have `ceil(width / 2)` × `ceil(height / 2)` samples (odd sizes are allowed).
//!
//! Files: `format` (pixel formats, colour, time bases), `view` (`FrameRef`, `FrameMut` and their
//! checks), `buf` (`FrameBuf`), `resample` (the area filter), `wide_rgba` (16-bit, half and
//! float RGBA pixels as normalised floats); this file holds the frame errors
//! and `Rect`.

use std::fmt;

mod buf;
mod format;
mod resample;
mod view;
pub mod wide_rgba;
pub use buf::*;
pub use format::*;
pub use resample::*;
pub use view::*;

/// Largest width or height accepted. Keeps every size product far from overflow.
pub const MAX_DIMENSION: u32 = 16384;

/// Why a frame was rejected. Each invalid case has its own variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    UnknownFormat(i32),
    ZeroSize {
        width: u32,
        height: u32,
    },
    TooLarge {
        width: u32,
        height: u32,
    },
    WrongPlaneCount {
        format: PixelFormat,
        expected: usize,
        got: usize,
    },
    NullPlane {
        plane: usize,
    },
    /// A stride beyond `MAX_STRIDE`.
    StrideTooLarge {
        plane: usize,
        stride: isize,
    },
    /// A plane that, with its pointer and stride, would wrap around the address space.
    OutsideMemory {
        plane: usize,
        stride: isize,
    },
    StrideTooSmall {
        plane: usize,
        stride: isize,
        row_bytes: usize,
    },
    /// A stride that is not a multiple of the format's sample size.
    MisalignedStride {
        plane: usize,
        stride: isize,
        sample: usize,
    },
    PlaneTooShort {
        plane: usize,
        needed: usize,
        got: usize,
    },
    /// An alpha description on a format that has no alpha.
    NoAlpha {
        format: PixelFormat,
    },
    /// A frame whose format or size differs from the earlier frames of its stream.
    Mismatch {
        expected: String,
        got: String,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::UnknownFormat(v) => write!(f, "unknown pixel format {v}"),
            FrameError::ZeroSize { width, height } => write!(f, "zero size {width}x{height}"),
            FrameError::TooLarge { width, height } => {
                write!(f, "size {width}x{height} exceeds the maximum of {MAX_DIMENSION} per side")
            }
            FrameError::WrongPlaneCount { format, expected, got } => {
                write!(f, "format {format} has {expected} plane(s), got {got}")
            }
            FrameError::NullPlane { plane } => write!(f, "plane {plane} is missing (null data)"),
            FrameError::StrideTooLarge { plane, stride } => {
                write!(f, "plane {plane}: stride {stride} is beyond the largest accepted ({MAX_STRIDE} bytes)")
            }
            FrameError::OutsideMemory { plane, stride } => {
                write!(f, "plane {plane}: with stride {stride} its rows would lie outside the address space")
            }
            FrameError::StrideTooSmall { plane, stride, row_bytes } => {
                write!(f, "plane {plane} stride {stride} is smaller than its row of {row_bytes} bytes")
            }
            FrameError::MisalignedStride { plane, stride, sample } => {
                write!(f, "plane {plane} stride {stride} is not a multiple of the {sample}-byte sample")
            }
            FrameError::PlaneTooShort { plane, needed, got } => {
                write!(f, "plane {plane} has {got} bytes, needs {needed}")
            }
            FrameError::NoAlpha { format } => {
                write!(f, "format {format} has no alpha (the ALPHA flags are for RGBA and BGRA)")
            }
            FrameError::Mismatch { expected, got } => {
                write!(f, "frame changed mid-stream: expected {expected}, got {got}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn new(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    pub fn full(width: u32, height: u32) -> Rect {
        Rect { x: 0, y: 0, width, height }
    }

    pub fn fits_in(&self, width: u32, height: u32) -> bool {
        self.width > 0
            && self.height > 0
            && self.x as u64 + self.width as u64 <= width as u64
            && self.y as u64 + self.height as u64 <= height as u64
    }
}
