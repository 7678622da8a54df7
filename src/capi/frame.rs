//! Frames across the boundary: `VidkompyFrame`, its format word (pixel format, colour range
//! and matrix bits), and the stream numbers.

use super::*;

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
/// rgba64le: one plane of R, G, B, A as 16-bit little-endian samples (8 bytes a pixel).
pub const VIDKOMPY_PIXEL_FORMAT_RGBA64: c_int = 12;
/// One plane of R, G, B, A as IEEE half floats, little-endian, nominally 0..1 (8 bytes a
/// pixel; OpenFX's half RGBA). Values outside 0..1 are clipped where fg is composited.
pub const VIDKOMPY_PIXEL_FORMAT_RGBAF16: c_int = 13;
/// One plane of R, G, B, A as IEEE single floats, little-endian, nominally 0..1 (16 bytes a
/// pixel; OpenFX's float RGBA). Values outside 0..1 are clipped where fg is composited; bg's
/// pixels that fg does not cover keep their bytes. The transfer (gamma, PQ, HLG) is not
/// interpreted: code values pass through.
pub const VIDKOMPY_PIXEL_FORMAT_RGBAF32: c_int = 14;

/// The bits of VidkompyFrame.format that hold the VIDKOMPY_PIXEL_FORMAT_*.
///
/// A frame's colour description shares the `format` field, so that VidkompyFrame keeps its
/// layout and every call that takes a frame understands it: `format` = pixel format |
/// VIDKOMPY_FRAME_RANGE_* | VIDKOMPY_FRAME_MATRIX_*. Without these bits a frame is read as
/// before (YUV limited range, RGB and gray full range, the settings' "color_matrix"). An older
/// library refuses a described frame as an unknown format rather than misreading it. Frames the
/// library returns carry bg's description. VIDKOMPY_FRAME_ALPHA_* say what RGBA's alpha means.
pub const VIDKOMPY_FRAME_FORMAT_MASK: c_int = 0xff;
/// Limited ("TV", "MPEG") range: luma 16..235, chroma 16..240, times 4 at 10 bits.
pub const VIDKOMPY_FRAME_RANGE_LIMITED: c_int = 0x100;
/// Full ("PC", "JPEG") range: every code value, as in FFmpeg's yuvj formats.
pub const VIDKOMPY_FRAME_RANGE_FULL: c_int = 0x200;
/// The frame's Y'CbCr is BT.601 (standard definition).
pub const VIDKOMPY_FRAME_MATRIX_BT601: c_int = 0x1000;
/// The frame's Y'CbCr is BT.709 (high definition).
pub const VIDKOMPY_FRAME_MATRIX_BT709: c_int = 0x2000;

/// An RGBA fg (any of the RGBA and BGRA formats) whose alpha is straight (unassociated,
/// FFmpeg's): colour as if opaque, the fourth sample its coverage. fg is composited with its alpha (times the feather's); bg's own
/// alpha is kept in the composite. Without an ALPHA flag the fourth sample is not read and
/// fg covers its rectangle. Refused (VIDKOMPY_ERROR_INVALID_FRAME) on a format without alpha.
pub const VIDKOMPY_FRAME_ALPHA_STRAIGHT: c_int = 0x10000;
/// An RGBA fg whose colour is premultiplied by its alpha (associated alpha).
pub const VIDKOMPY_FRAME_ALPHA_PREMULTIPLIED: c_int = 0x20000;

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
pub(super) fn format_from_c(word: c_int) -> Result<(PixelFormat, FrameColor)> {
    let unknown = || crate::FrameError::UnknownFormat(word);
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
    let alpha = match word & 0xf0000 {
        0 => AlphaMode::Ignored,
        VIDKOMPY_FRAME_ALPHA_STRAIGHT => AlphaMode::Straight,
        VIDKOMPY_FRAME_ALPHA_PREMULTIPLIED => AlphaMode::Premultiplied,
        _ => return Err(unknown().into()),
    };
    if word & !0xfffff != 0 {
        return Err(unknown().into());
    }
    if alpha != AlphaMode::Ignored && !format.has_alpha() {
        return Err(crate::FrameError::NoAlpha { format }.into());
    }
    Ok((format, FrameColor { range, matrix, alpha }))
}

/// The VidkompyFrame.format word of a frame: pixel format and colour description.
pub(super) fn format_to_c(format: PixelFormat, color: FrameColor) -> c_int {
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
    let alpha = match color.alpha {
        AlphaMode::Ignored => 0,
        AlphaMode::Straight => VIDKOMPY_FRAME_ALPHA_STRAIGHT,
        AlphaMode::Premultiplied => VIDKOMPY_FRAME_ALPHA_PREMULTIPLIED,
    };
    format as c_int | range | matrix | alpha
}

/// Borrows a host frame's planes for writing.
///
/// # Safety
/// The planes of `d` must be writable as it describes and used by nothing else during the call.
pub(super) unsafe fn frame_mut_from_c<'a>(d: &VidkompyFrame) -> Result<FrameMut<'a>> {
    // The composite has bg's colour: a description in `dst` is checked but not used.
    let (format, _) = format_from_c(d.format)?;
    let width = u32::try_from(d.width).map_err(|_| Error::invalid(format!("negative width {}", d.width)))?;
    let height = u32::try_from(d.height).map_err(|_| Error::invalid(format!("negative height {}", d.height)))?;
    // SAFETY: forwarded caller contract; from_raw validates sizes and strides first.
    Ok(unsafe { FrameMut::from_raw(format, width, height, d.data.map(|p| p as *mut u8), d.stride) }?)
}

/// Checks a frame as every push/send function would, without using it: format, size (at most
/// 16384 per side), plane pointers, and strides (at least a row, at most 2^28 bytes, rows
/// inside the address space), with every size computed with overflow checks.
/// Returns VIDKOMPY_OK, VIDKOMPY_ERROR_INVALID_ARGUMENT (NULL frame, negative size) or
/// VIDKOMPY_ERROR_INVALID_FRAME; vidkompy_last_error() names the exact cause.
///
/// The form without `err`, kept for the ABI: new code calls vidkompy_frame_validate_ex.
///
/// # Safety
/// `frame` must be NULL or point at a VidkompyFrame whose planes are readable as it describes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_frame_validate(frame: *const VidkompyFrame) -> c_int {
    // SAFETY: forwarded caller contract.
    ffi_call_free(|| unsafe { frame_from_c(frame) }.map(|_| VIDKOMPY_OK))
}

/// # Safety
/// `frames` must be NULL (with `count == 0`) or point at `count` valid VidkompyFrame values.
pub(super) unsafe fn frames_from_c<'a>(
    frames: *const VidkompyFrame,
    count: usize,
    what: &str,
) -> Result<Vec<FrameRef<'a>>> {
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

/// fg, the foreground stream (for VIDKOMPY_STREAM arguments).
pub const VIDKOMPY_STREAM_FG: c_int = 0;
/// bg, the background stream.
pub const VIDKOMPY_STREAM_BG: c_int = 1;

pub(super) fn frame_to_c(f: &FrameRef<'_>) -> VidkompyFrame {
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

/// What `vidkompy_compositor_wants` answers when no input is needed: receive can produce a
/// frame, or every fg frame is out.
pub const VIDKOMPY_STREAM_NONE: c_int = -1;

/// vidkompy_frame_validate, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_frame_validate; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_frame_validate_ex(frame: *const VidkompyFrame, err: *mut VidkompyError) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_frame_validate(frame)) }
}
