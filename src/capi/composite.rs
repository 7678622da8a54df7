//! Random access: one fg frame composited onto its bg frame, no handle.

use super::*;

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
        query(alignment, err, |al| {
            let settings = settings_or_default(settings);
            let (fg, bg) = (frame_from_c(fg)?, frame_from_c(bg)?);
            let d = dst.as_mut().ok_or_else(|| Error::invalid("dst is NULL"))?;
            let mut out = frame_mut_from_c(d)?;
            composite_frame(al, &settings, fg_index, &fg, &bg, &mut out)?;
            (d.pts, d.time_base_num, d.time_base_den) = (fg.pts, fg.time_base.num, fg.time_base.den);
            Ok(VIDKOMPY_OK)
        })
    }
}
