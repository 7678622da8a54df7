//! Pass 2: the compositor handle (send/receive, seeking bg, pass statistics).

use super::*;

/// Opaque pass-2 handle: frames in, composited frames out. See vidkompy_compositor_new.
pub struct VidkompyCompositor {
    compositor: Compositor,
    last_error: CString,
}

last_error_field!(VidkompyCompositor);

/// Creates a compositor (pass 2) from an alignment (copied: the alignment may be freed after).
/// `settings` may be NULL ("feather" and "color_matrix" apply).
///
/// Call sequence (never deadlocks: after AGAIN from send, receive produces output):
/// ```c
/// VidkompyCompositor *c = NULL;
/// vidkompy_compositor_new(al, settings, &c);
/// VidkompyFrame *again[2];                                     // a frame send answered AGAIN to
/// int has_again[2] = {0, 0};
/// for (;;) {
///     VidkompyFrame out;
///     int r = vidkompy_compositor_receive(c, &out);
///     if (r == VIDKOMPY_OK) { write(&out); continue; }        // valid until the next call
///     if (r == VIDKOMPY_EOF) break;
///     if (r != VIDKOMPY_AGAIN) { puts(vidkompy_compositor_last_error(c)); break; }
///     int s = vidkompy_compositor_wants(c);                    // VIDKOMPY_STREAM_FG or _BG
///     VidkompyFrame *f = has_again[s] ? again[s] : next_frame_or_null(s);  // NULL: ended
///     has_again[s] = vidkompy_compositor_send(c, s, f) == VIDKOMPY_AGAIN;  // not taken yet:
///     again[s] = f;                                            // send it again when wanted
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
/// The form without `err`, kept for the ABI: new code calls vidkompy_compositor_new_ex.
///
/// # Safety
/// `alignment` must be NULL or live; `settings` NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_compositor_new(
    alignment: *const VidkompyAlignment,
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyCompositor,
) -> c_int {
    // SAFETY: `alignment` and `settings` NULL or live, `out` NULL or writable, by contract.
    unsafe {
        new_handle(out, || {
            let alignment = alignment_ref(alignment)?.clone();
            let compositor = Compositor::new(alignment, &settings_or_default(settings))?;
            Ok(VidkompyCompositor { compositor, last_error: CString::default() })
        })
    }
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
                return match poll(c)? {
                    VIDKOMPY_OK => Err(Error::invalid("dst is NULL, and a composited frame is ready to be written")),
                    code => Ok(code),
                };
            };
            let mut out = frame_mut_from_c(d)?;
            let received = c.compositor.receive_into(&mut out)?;
            Ok(written_into(d, received, c.compositor.last_pts()))
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
