//! The C calls an editor needs beyond the two passes: random access, seeking, per-call errors,
//! and questions to an alignment. Translation only; the logic is in `session` and `alignment`.

use std::ffi::{c_char, c_double, c_int};

use super::{
    VIDKOMPY_AGAIN, VIDKOMPY_EOF, VIDKOMPY_OK, VidkompyAlignment, VidkompyAnalyzer, VidkompyCompositor, VidkompyError,
    VidkompyFrame, VidkompyPlacement, VidkompySettings, ffi_call_free, frame_from_c, frame_mut_from_c,
    settings_or_default, stream_from_c, with_error, with_handle,
};
use crate::error::{Error, Result};
use crate::media::StreamInfo;
use crate::session::clock::NO_PTS;
use crate::session::{Received, Stream, composite_frame};

/// What `vidkompy_compositor_wants` answers when no input is needed: receive can produce a
/// frame, or every fg frame is out.
pub const VIDKOMPY_STREAM_NONE: c_int = -1;

/// # Safety
/// `alignment` must be NULL or live.
pub(super) unsafe fn alignment_ref<'a>(alignment: *const VidkompyAlignment) -> Result<&'a crate::alignment::Alignment> {
    // SAFETY: NULL-checked; otherwise live by the caller's contract.
    unsafe { alignment.as_ref() }.map(|a| &a.alignment).ok_or_else(|| Error::invalid("alignment is NULL"))
}

/// Writes `value` through an output pointer that must not be NULL.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn put<T>(out: *mut T, what: &str, value: T) -> Result<()> {
    // SAFETY: NULL-checked; writable by the caller's contract.
    let out = unsafe { out.as_mut() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))?;
    *out = value;
    Ok(())
}

/// Composites fg frame `fg_index` onto its bg frame, straight into the host's `dst` (bg's format
/// and size, planes writable). Random access: no handle and no state, so frames may be rendered
/// in any order and on any number of threads at once, sharing one alignment and one settings
/// handle. `bg` must be bg frame vidkompy_alignment_bg_index(fg_index); when a frame has a pts
/// and the alignment records its stream's timing (alignments made by this version), a frame
/// that is not the one the index names is refused. The result is byte for byte what the
/// compositor gives for that frame. `settings` may be NULL ("feather" and "color_matrix").
/// Returns VIDKOMPY_OK, or an error (also in `*err` when not NULL).
///
/// # Safety
/// `alignment` and `settings` NULL or live; `fg` and `bg` NULL or valid frames; `dst` NULL or a
/// frame whose planes are writable and used by nothing else during the call; `err` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_composite(
    alignment: *const VidkompyAlignment,
    settings: *const VidkompySettings,
    fg_index: usize,
    fg: *const VidkompyFrame,
    bg: *const VidkompyFrame,
    dst: *mut VidkompyFrame,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: each pointer is checked or forwarded under the caller's contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                let settings = settings_or_default(settings);
                let (fg, bg) = (frame_from_c(fg)?, frame_from_c(bg)?);
                let d = dst.as_mut().ok_or_else(|| Error::invalid("dst is NULL"))?;
                let mut out = frame_mut_from_c(d)?;
                composite_frame(al, &settings, fg_index, &fg, &bg, &mut out)?;
                (d.pts, d.time_base_num, d.time_base_den) = (fg.pts, fg.time_base.num, fg.time_base.den);
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// One stream as the analyzer saw it (the alignment's record of its media).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VidkompyStreamInfo {
    /// VIDKOMPY_PIXEL_FORMAT_* of the frames analysed. For bg, the composite's format when bg
    /// frames are sent in that format (the composite always has the format bg frames come in).
    pub format: c_int,
    pub width: c_int,
    pub height: c_int,
    pub frames: usize,
    /// Time of the first frame in seconds, and mean frames per second (0 for one frame).
    pub start_seconds: c_double,
    pub frame_rate: c_double,
    /// 1 when every frame period was within a quarter of the mean: frames are then matched by
    /// pts. 0: by count.
    pub constant_rate: c_int,
    /// The time base of the first frame (0/0 when the frames had no timestamps).
    pub time_base_num: c_int,
    pub time_base_den: c_int,
}

impl From<StreamInfo> for VidkompyStreamInfo {
    fn from(s: StreamInfo) -> VidkompyStreamInfo {
        VidkompyStreamInfo {
            format: s.format as c_int,
            width: s.width as c_int,
            height: s.height as c_int,
            frames: s.frames,
            start_seconds: s.start_seconds,
            frame_rate: s.frame_rate,
            constant_rate: s.constant_rate as c_int,
            time_base_num: s.time_base.num,
            time_base_den: s.time_base.den,
        }
    }
}

/// What the alignment records of `stream` (VIDKOMPY_STREAM_FG or _BG): format, size, frame
/// count and timing. bg's record gives the size of the composite, for allocating the frames
/// of vidkompy_compositor_receive_into and vidkompy_composite. Returns VIDKOMPY_ERROR_BAD_STATE
/// for an alignment read from a version-1 file, which has no such record.
///
/// # Safety
/// `alignment` NULL or live; `out` NULL or writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_stream_info(
    alignment: *const VidkompyAlignment,
    stream: c_int,
    out: *mut VidkompyStreamInfo,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                let stream = stream_from_c(stream)?;
                let media = al
                    .media
                    .as_ref()
                    .ok_or_else(|| Error::bad_state("this alignment was saved without its media (format version 1)"))?;
                let info = if stream == Stream::Fg { media.fg } else { media.bg };
                put(out, "out", info.into())?;
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// The nominal pts of the bg frame under fg frame `fg_index`, in bg's time base (`*time_base_num`
/// / `*time_base_den`, either output may be NULL): bg's first time plus its index over bg's
/// frame rate, exact for a constant-rate bg. Returns VIDKOMPY_ERROR_BAD_STATE when the
/// alignment has no record of bg's timestamps.
///
/// # Safety
/// `alignment` NULL or live; outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_bg_pts(
    alignment: *const VidkompyAlignment,
    fg_index: usize,
    pts: *mut i64,
    time_base_num: *mut c_int,
    time_base_den: *mut c_int,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                let j = al.bg_index(fg_index).ok_or_else(|| {
                    Error::invalid(format!("fg index {fg_index} is beyond the {} fg frames", al.fg_frames))
                })?;
                let bg = al
                    .media
                    .as_ref()
                    .map(|m| m.bg)
                    .filter(|b| b.time_base.is_valid())
                    .ok_or_else(|| Error::bad_state("the alignment has no record of bg's timestamps"))?;
                put(pts, "pts", bg.pts_of(j as usize).unwrap_or(NO_PTS))?;
                if let Some(n) = time_base_num.as_mut() {
                    *n = bg.time_base.num;
                }
                if let Some(d) = time_base_den.as_mut() {
                    *d = bg.time_base.den;
                }
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// bg's time minus fg's time on the time map's rate line, in seconds (fg from 14 s into bg
/// gives 14). 0 for NULL.
///
/// # Safety
/// `alignment` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_offset_seconds(alignment: *const VidkompyAlignment) -> c_double {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { alignment.as_ref() }.map_or(0.0, |a| a.alignment.time.offset_seconds)
}

/// bg frames per fg frame along the time map's rate line (1 at the same frame rate; 25/30 for a
/// 30 fps fg in a 25 fps bg). 0 for NULL.
///
/// # Safety
/// `alignment` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_rate(alignment: *const VidkompyAlignment) -> c_double {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { alignment.as_ref() }.map_or(0.0, |a| a.alignment.time.rate)
}

/// The confidence of fg frame `fg_index`'s match, 0..1, into `*out` (0 for a frame outside
/// bg): 1 / (1 + (r / 0.5)^5), where r is the match's descriptor distance over the distance of
/// the same fg frame to the bg frames a third and two thirds of bg away (matching by chance).
/// One half at r = 0.5; see vidkompy_alignment_confidence for the calibration.
///
/// # Safety
/// `alignment` NULL or live; `out` and `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_frame_confidence(
    alignment: *const VidkompyAlignment,
    fg_index: usize,
    out: *mut c_double,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                let c = al.time.confidence.get(fg_index).ok_or_else(|| {
                    Error::invalid(format!("fg index {fg_index} is beyond the {} fg frames", al.fg_frames))
                })?;
                put(out, "out", *c as c_double)?;
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// Whether the placement is approximate: found on the analyzer's reduced copies and never
/// checked on full-size frames (no frame provider, or one that gave no frames, on frames larger
/// than the copies). `*out` is 1 then (it can be a pixel or more off: set a frame provider, or
/// correct it with vidkompy_alignment_set_placement), 0 when it was found or checked at full
/// size or given by the host. Saved in the JSON as `placement.approximate`.
///
/// # Safety
/// `alignment` NULL or live; `out` and `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_placement_approximate(
    alignment: *const VidkompyAlignment,
    out: *mut c_int,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                put(out, "out", c_int::from(al.placement_approximate))?;
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// The fg frames that have no counterpart in bg, in increasing order: `*count` (not NULL)
/// receives how many there are, and up to `capacity` of them are written to `indices` (which
/// may be NULL when `capacity` is 0, to ask for the count).
///
/// # Safety
/// `alignment` NULL or live; `indices` NULL or writable for `capacity` values; `count` and
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_outside_frames(
    alignment: *const VidkompyAlignment,
    indices: *mut u32,
    capacity: usize,
    count: *mut usize,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                let outside = &al.time.outside;
                put(count, "count", outside.len())?;
                let n = outside.len().min(capacity);
                if n > 0 {
                    if indices.is_null() {
                        return Err(Error::invalid("indices is NULL with a capacity above 0"));
                    }
                    // SAFETY: non-null and writable for `capacity >= n` values by contract.
                    std::ptr::copy_nonoverlapping(outside.as_ptr(), indices, n);
                }
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// A new alignment equal to `alignment` but with the placement `*placement` (a correction made
/// by hand, for example). Its x, y, width, height, scale and content rectangle are used (the
/// sub-pixel fields follow x and y) and checked as vidkompy_alignment_from_json checks them.
/// `*out` receives the new alignment, freed with vidkompy_alignment_free.
///
/// # Safety
/// `alignment` NULL or live; `placement` NULL or readable; `out` and `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_with_placement(
    alignment: *const VidkompyAlignment,
    placement: *const VidkompyPlacement,
    out: *mut *mut VidkompyAlignment,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_error(err, || {
            ffi_call_free(|| {
                let al = alignment_ref(alignment)?;
                let p = placement.as_ref().ok_or_else(|| Error::invalid("placement is NULL"))?;
                if out.is_null() {
                    return Err(Error::invalid("out is NULL"));
                }
                let mut alignment = al.clone();
                alignment.placement = p.into();
                // The host's placement stands on its own word.
                alignment.placement_approximate = false;
                alignment.validate()?;
                *out = Box::into_raw(Box::new(VidkompyAlignment { alignment }));
                Ok(VIDKOMPY_OK)
            })
        })
    }
}

/// The first bg frame any fg frame needs, so a host that can seek may start bg there: its index
/// into `*index` and its nominal pts in bg's time base into `*pts` (INT64_MIN when the alignment
/// has no record of bg's timestamps). Either output may be NULL. Send bg from that frame on:
/// with pts the compositor places each frame by its pts; without, call
/// vidkompy_compositor_start_bg_at first.
///
/// # Safety
/// `compositor` NULL or live; outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_first_bg(
    compositor: *mut VidkompyCompositor,
    index: *mut usize,
    pts: *mut i64,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_handle(compositor, "compositor", |c| {
            if let Some(i) = index.as_mut() {
                *i = c.compositor.first_needed_bg();
            }
            if let Some(p) = pts.as_mut() {
                *p = c.compositor.first_needed_bg_pts().map_or(NO_PTS, |(pts, _)| pts);
            }
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Declares that the first bg frame sent will be bg frame `index` (the host sought there and
/// its frames have no pts). Only before the first bg frame, and not past
/// vidkompy_compositor_first_bg; VIDKOMPY_ERROR_BAD_STATE or _INVALID_ARGUMENT otherwise.
///
/// # Safety
/// `compositor` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_start_bg_at(compositor: *mut VidkompyCompositor, index: usize) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(compositor, "compositor", |c| c.compositor.start_bg_at(index).map(|_| VIDKOMPY_OK)) }
}

/// Whether bg must be sought back before the compositor can go on: 1 when the next fg frame
/// starts a leg of the map that goes back in bg (fg's shots in another order than bg's, an edit
/// to earlier footage), with that bg frame's index into `*index` and its nominal pts in bg's
/// time base into `*pts` (INT64_MIN when the alignment has no record of bg's timestamps); 0
/// when bg goes on forward. Either output may be NULL. When receive answers AGAIN for bg, a host
/// that can seek asks this, seeks its bg decoder to the keyframe at or before that frame, calls
/// vidkompy_compositor_seek_bg, and sends bg from there. A bg frame sent forward instead is
/// refused (VIDKOMPY_ERROR_BAD_STATE, naming both frames): never a wrong background.
///
/// # Safety
/// `compositor` NULL or live; outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_bg_rewind(
    compositor: *mut VidkompyCompositor,
    index: *mut usize,
    pts: *mut i64,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_handle(compositor, "compositor", |c| {
            let Some(need) = c.compositor.bg_rewind() else { return Ok(0) };
            if let Some(i) = index.as_mut() {
                *i = need;
            }
            if let Some(p) = pts.as_mut() {
                *p = c.compositor.bg_rewind_pts().map_or(NO_PTS, |(pts, _)| pts);
            }
            Ok(1)
        })
    }
}

/// Declares that bg was sought back: the next bg frame sent is bg frame `index` (frames with pts
/// are placed by their pts, and those before the needed one skipped). Only while
/// vidkompy_compositor_bg_rewind answers 1, and not past the frame it names;
/// VIDKOMPY_ERROR_BAD_STATE or _INVALID_ARGUMENT otherwise. A bg stream ended (NULL sent) before
/// the seek may send frames again.
///
/// # Safety
/// `compositor` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_seek_bg(compositor: *mut VidkompyCompositor, index: usize) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(compositor, "compositor", |c| c.compositor.seek_bg(index).map(|_| VIDKOMPY_OK)) }
}

/// Frames the host's decoder dropped or repeated in pass 2, as their pts show (frames without
/// pts, or of a variable-rate stream, are matched by count and cannot be checked).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VidkompyPassStats {
    /// fg frames whose pts was skipped over: they have no output.
    pub fg_missing: usize,
    /// fg frames whose pts named a frame already sent: ignored.
    pub fg_repeated: usize,
    /// bg frames whose pts was skipped over (after the first bg frame sent).
    pub bg_missing: usize,
    /// bg frames whose pts named a frame already sent: ignored.
    pub bg_repeated: usize,
    /// fg frames composited over the bg frame before the one they need, which never came.
    pub bg_stand_ins: usize,
}

/// The compositor's count of dropped and repeated frames so far, into `*out`.
///
/// # Safety
/// `compositor` NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_stats(
    compositor: *mut VidkompyCompositor,
    out: *mut VidkompyPassStats,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        with_handle(compositor, "compositor", |c| {
            let s = c.compositor.stats();
            let stats = VidkompyPassStats {
                fg_missing: s.fg_missing,
                fg_repeated: s.fg_repeated,
                bg_missing: s.bg_missing,
                bg_repeated: s.bg_repeated,
                bg_stand_ins: s.bg_stand_ins,
            };
            put(out, "out", stats)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// What vidkompy_compositor_receive would answer, without producing a frame: VIDKOMPY_OK when
/// a frame is ready, VIDKOMPY_AGAIN (vidkompy_compositor_wants says which stream), VIDKOMPY_EOF.
///
/// # Safety
/// `compositor` NULL or live.
pub(super) unsafe fn poll(compositor: &VidkompyCompositor) -> Result<c_int> {
    Ok(match compositor.compositor.poll()? {
        None => VIDKOMPY_OK,
        Some(Received::Eof) => VIDKOMPY_EOF,
        Some(_) => VIDKOMPY_AGAIN,
    })
}

/// vidkompy_frame_validate, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_frame_validate; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_frame_validate_ex(frame: *const VidkompyFrame, err: *mut VidkompyError) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_frame_validate(frame)) }
}

/// vidkompy_locate, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_locate; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_locate_ex(
    settings: *const VidkompySettings,
    fg_samples: *const VidkompyFrame,
    fg_count: usize,
    bg_samples: *const VidkompyFrame,
    bg_count: usize,
    out: *mut VidkompyPlacement,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_locate(settings, fg_samples, fg_count, bg_samples, bg_count, out)) }
}

/// vidkompy_analyzer_new, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_analyzer_new; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_new_ex(
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyAnalyzer,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_analyzer_new(settings, out)) }
}

/// vidkompy_compositor_new, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_compositor_new; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_new_ex(
    alignment: *const VidkompyAlignment,
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyCompositor,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_compositor_new(alignment, settings, out)) }
}

/// vidkompy_alignment_from_json, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_alignment_from_json; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_from_json_ex(
    json: *const c_char,
    out: *mut *mut VidkompyAlignment,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_alignment_from_json(json, out)) }
}

/// vidkompy_settings_new, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_settings_new; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_new_ex(out: *mut *mut VidkompySettings, err: *mut VidkompyError) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_settings_new(out)) }
}

/// vidkompy_alignment_placement, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_alignment_placement; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_placement_ex(
    alignment: *const VidkompyAlignment,
    out: *mut VidkompyPlacement,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_alignment_placement(alignment, out)) }
}

/// vidkompy_alignment_bg_index, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_alignment_bg_index; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_bg_index_ex(
    alignment: *const VidkompyAlignment,
    fg_index: usize,
    bg_index: *mut u32,
    outside: *mut c_int,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_alignment_bg_index(alignment, fg_index, bg_index, outside)) }
}

/// vidkompy_alignment_to_json, with its outcome in `*err` (NULL to skip).
///
/// # Safety
/// As vidkompy_alignment_to_json; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_to_json_ex(
    alignment: *const VidkompyAlignment,
    buffer: *mut c_char,
    size: usize,
    needed: *mut usize,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || super::vidkompy_alignment_to_json(alignment, buffer, size, needed)) }
}
