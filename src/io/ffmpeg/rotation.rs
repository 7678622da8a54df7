//! Streams stored turned (a phone's portrait video: landscape pixels and a display matrix
//! saying "show this turned by 90°") are read upright, as players show them: the matrix's
//! quarter turns are applied to each decoded picture. Only quarter turns exist in practice;
//! another angle is refused rather than shown wrong.

use ffmpeg_sys_next as ff;

use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameRef};

/// Quarter turns clockwise that show `stream` upright (0 to 3), from its display matrix.
///
/// # Safety
/// `stream` must be a stream of an open format context.
pub(super) unsafe fn quarter_turns(stream: *const ff::AVStream) -> Result<u8> {
    let mut size = 0usize;
    // SAFETY: the caller's contract; the side data is owned by the stream.
    let matrix =
        unsafe { ff::av_stream_get_side_data(stream, ff::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX, &mut size) };
    if matrix.is_null() || size < 9 * 4 {
        return Ok(0);
    }
    // SAFETY: nine 32-bit numbers, checked above (FFmpeg aligns side data).
    let counter_clockwise = unsafe { ff::av_display_rotation_get(matrix as *const i32) };
    if !counter_clockwise.is_finite() {
        return Ok(0);
    }
    let clockwise = (-counter_clockwise).rem_euclid(360.0);
    let turns = (clockwise / 90.0).round();
    if (clockwise - turns * 90.0).abs() > 1.0 {
        return Err(Error::Unsupported(format!(
            "the video is shown turned by {clockwise:.1}°; only quarter turns are read"
        )));
    }
    Ok(turns as u8 % 4)
}

/// `frame` turned clockwise by `turns` quarter turns, into `out` (reused when its shape fits).
/// Every plane turns as a grid of its own samples (a pixel of RGBA, a UV pair of NV12), so
/// 4:2:0 chroma stays 4:2:0; 4:2:2 becomes I420 before this (see input.rs).
pub(super) fn turned(frame: &FrameRef<'_>, turns: u8, out: &mut Option<FrameBuf>) -> Result<()> {
    let format = frame.format();
    let (w, h) = (frame.width(), frame.height());
    let (tw, th) = if turns % 2 == 1 { (h, w) } else { (w, h) };
    if out.as_ref().is_none_or(|b| (b.format(), b.width(), b.height()) != (format, tw, th)) {
        *out = Some(FrameBuf::new(format, tw, th)?);
    }
    let dst = out.as_mut().expect("made above");
    for p in 0..format.plane_count() {
        let (row_bytes, rows) = format.plane_size(p, w, h);
        // Samples across this plane's rows, and the bytes of one (a pixel of RGBA, a UV pair).
        let (hs, _) = format.chroma_shift();
        let across = if p == 0 { w as usize } else { (w as usize).div_ceil(1 << hs) };
        let sample = row_bytes / across.max(1);
        let stride = dst.stride(p);
        let plane = dst.plane_mut(p);
        for y in 0..rows {
            let src = frame.row(p, y);
            for x in 0..across {
                let (dx, dy) = match turns % 4 {
                    1 => (rows - 1 - y, x),
                    2 => (across - 1 - x, rows - 1 - y),
                    3 => (y, across - 1 - x),
                    _ => (x, y),
                };
                let at = dy * stride + dx * sample;
                plane[at..at + sample].copy_from_slice(&src[x * sample..x * sample + sample]);
            }
        }
    }
    dst.pts = frame.pts;
    dst.time_base = frame.time_base;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    /// A 6x4 picture with distinct samples in every plane.
    fn numbered(format: PixelFormat) -> FrameBuf {
        let mut f = FrameBuf::new(format, 6, 4).unwrap();
        for p in 0..format.plane_count() {
            let stride = f.stride(p);
            let (row_bytes, rows) = format.plane_size(p, 6, 4);
            let plane = f.plane_mut(p);
            for y in 0..rows {
                for x in 0..row_bytes {
                    plane[y * stride + x] = (16 * y + x + 40 * p) as u8;
                }
            }
        }
        f
    }

    #[test]
    fn four_quarter_turns_come_back_and_one_moves_each_sample_where_it_belongs() {
        for format in
            [PixelFormat::Gray8, PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Rgba, PixelFormat::I420P10]
        {
            let start = numbered(format);
            let mut current = start.clone();
            for _ in 0..4 {
                let mut out = None;
                turned(&current.as_frame(), 1, &mut out).unwrap();
                current = out.unwrap();
            }
            for p in 0..format.plane_count() {
                assert_eq!(current.plane(p), start.plane(p), "{format:?} plane {p}");
            }
            let mut once = None;
            turned(&start.as_frame(), 1, &mut once).unwrap();
            let once = once.unwrap();
            assert_eq!((once.width(), once.height()), (4, 6), "{format:?}");
            // Clockwise: the top-left sample goes to the top-right.
            let bytes = format.plane_size(0, 6, 1).0 / 6;
            let (row, _) = format.plane_size(0, 4, 6);
            assert_eq!(once.as_frame().row(0, 0)[row - bytes..], start.as_frame().row(0, 0)[..bytes], "{format:?}");
            let mut half = None;
            turned(&start.as_frame(), 2, &mut half).unwrap();
            let mut twice = None;
            turned(&once.as_frame(), 1, &mut twice).unwrap();
            for p in 0..format.plane_count() {
                assert_eq!(half.as_ref().unwrap().plane(p), twice.as_ref().unwrap().plane(p), "{format:?} plane {p}");
            }
        }
    }
}
