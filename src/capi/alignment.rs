//! The alignment handle: questions, JSON, a moved placement.

use super::*;

/// Opaque, immutable result of analysis. May be shared between threads.
pub struct VidkompyAlignment {
    pub(super) alignment: Alignment,
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
/// The form without `err`, kept for the ABI: new code calls vidkompy_alignment_placement_ex.
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
/// The form without `err`, kept for the ABI: new code calls vidkompy_alignment_bg_index_ex.
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
        let j = al.alignment.mapped_bg(fg_index)?;
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
/// The form without `err`, kept for the ABI: new code calls vidkompy_alignment_to_json_ex.
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
        let json = al.alignment.to_json();
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
/// The form without `err`, kept for the ABI: new code calls vidkompy_alignment_from_json_ex.
///
/// # Safety
/// `json` must be NULL or a NUL-terminated string; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_from_json(json: *const c_char, out: *mut *mut VidkompyAlignment) -> c_int {
    // SAFETY: `json` NULL or NUL-terminated, `out` NULL or writable, by contract.
    unsafe { new_handle(out, || Ok(VidkompyAlignment { alignment: Alignment::from_json(c_str(json, "json")?)? })) }
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
        query(alignment, err, |al| {
            put(out, "out", (*stream_record(al, stream)?).into())?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// The record of the stream a C stream number names.
fn stream_record(al: &crate::Alignment, stream: c_int) -> Result<&StreamInfo> {
    let media = al.media_record()?;
    Ok(if stream_from_c(stream)? == Stream::Fg { &media.fg } else { &media.bg })
}

/// Whether a medium is still the one an alignment was made from, as a project reopened after
/// its files may have changed asks: `*matches` is 1 when `first_frame` (the medium's first
/// frame, decoded as the host decodes it) and `frames` (its frame count) agree with the record
/// of `stream` (VIDKOMPY_STREAM_FG or _BG), else 0. They agree when the size and the count are
/// the same and the first frame's print shows the same picture: the print orders the luma
/// means of neighbouring cells of a 9x8 grid, and of the pairs that differ by more than a luma
/// level in both pictures at most one in eight may be in the other order (a regrade with noise
/// keeps them; a picture two seconds later, or another clip, does not). A flat first frame (a
/// black one: fewer than 8 such pairs) cannot be told by its picture, and then the size and
/// the count alone decide. The print is saved in the alignment's JSON ("media" ... "print").
/// Returns VIDKOMPY_ERROR_BAD_STATE for an alignment saved without prints.
///
/// # Safety
/// `alignment` NULL or live; `first_frame` NULL or a valid frame; `matches` NULL or writable;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_media_matches(
    alignment: *const VidkompyAlignment,
    stream: c_int,
    first_frame: *const VidkompyFrame,
    frames: usize,
    matches: *mut c_int,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        query(alignment, err, |al| {
            let record = stream_record(al, stream)?;
            put(matches, "matches", c_int::from(record.matches(&frame_from_c(first_frame)?, frames)?))?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// The fg frame showing at `time`, in units of `time_base_num / time_base_den` seconds (a
/// timeline's own time base, MPEG's 1/90000 say) on fg's clock (fg's first frame at its first
/// pts): the last frame whose nominal time is not after it, into `*fg_index`. Returns
/// VIDKOMPY_ERROR_INVALID_ARGUMENT for a time outside fg's frames or a time base that is not
/// positive, VIDKOMPY_ERROR_BAD_STATE for a variable-rate fg (frames matched by count) or an
/// alignment without its media record.
///
/// # Safety
/// `alignment` NULL or live; `fg_index` NULL or writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_fg_index_at(
    alignment: *const VidkompyAlignment,
    time: i64,
    time_base_num: c_int,
    time_base_den: c_int,
    fg_index: *mut usize,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        query(alignment, err, |al| {
            put(fg_index, "fg_index", al.fg_index_at(time, TimeBase::new(time_base_num, time_base_den))?)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// The nominal time of the bg frame under fg frame `fg_index` in a time base of the host's
/// choosing (`time_base_num / time_base_den` seconds a unit, rounded to the nearest), on bg's
/// clock: vidkompy_alignment_bg_pts in a timeline's time base. Returns
/// VIDKOMPY_ERROR_INVALID_ARGUMENT for an index beyond fg or a time base that is not
/// positive, VIDKOMPY_ERROR_BAD_STATE for an alignment without its media record.
///
/// # Safety
/// `alignment` NULL or live; `time` NULL or writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_bg_time(
    alignment: *const VidkompyAlignment,
    fg_index: usize,
    time_base_num: c_int,
    time_base_den: c_int,
    time: *mut i64,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        query(alignment, err, |al| {
            put(time, "time", al.bg_time_in(fg_index, TimeBase::new(time_base_num, time_base_den))?)?;
            Ok(VIDKOMPY_OK)
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
        query(alignment, err, |al| {
            let j = al.mapped_bg(fg_index)?;
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
        query(alignment, err, |al| {
            let c = al.time.confidence.get(fg_index).ok_or_else(|| al.beyond_fg(fg_index))?;
            put(out, "out", *c as c_double)?;
            Ok(VIDKOMPY_OK)
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
        query(alignment, err, |al| {
            put(out, "out", c_int::from(al.placement_approximate))?;
            Ok(VIDKOMPY_OK)
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
        query(alignment, err, |al| {
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
        query(alignment, err, |al| {
            let p = placement.as_ref().ok_or_else(|| Error::invalid("placement is NULL"))?;
            hand_over(out, || {
                let mut alignment = al.clone();
                alignment.placement = p.into();
                // The host's placement stands on its own word.
                alignment.placement_approximate = false;
                alignment.validate()?;
                Ok(VidkompyAlignment { alignment })
            })
        })
    }
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
