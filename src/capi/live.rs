//! The live session at the C boundary: one pass, frames in as they arrive, composited frames
//! out after `live_lag` fg frames. Translation only; the logic is in `session::live`.

use std::ffi::{CString, c_char, c_int, c_void};

use super::analyzer::VidkompyStageCallback;
use super::cancel_from_flag;
use super::{
    LastError, VIDKOMPY_AGAIN, VIDKOMPY_EOF, VIDKOMPY_OK, VIDKOMPY_STREAM_NONE, VidkompyError, VidkompyFrame,
    VidkompyPlacement, VidkompySettings, frame_from_c, frame_mut_from_c, frame_to_c, free_handle, new_handle,
    settings_or_default, stream_from_c, with_error, with_handle, written_into,
};
use crate::Error;
use crate::{Live, Received, Sent};

/// Opaque live (one-pass) session. Used by one thread at a time; may move between threads.
pub struct VidkompyLive {
    live: Live,
    last_error: CString,
}

last_error_field!(VidkompyLive);

/// Creates a live session: send fg and bg frames as they arrive (any interleaving, in order
/// within a stream), receive each fg frame composited onto its bg frame once `live_lag` more
/// fg frames (setting "live_lag", default 30) and the bg frames they may match have arrived.
/// `settings` may be NULL.
///
/// It first holds fg's first live_lag + 1 frames and a window of bg frames, and finds the
/// placement (searched, or the one set with vidkompy_live_set_placement) and where fg starts
/// in bg. Until then receive answers VIDKOMPY_AGAIN and vidkompy_live_wants names the stream
/// it needs. fg may start anywhere in bg: the window slides on as bg comes (a window where
/// small copies of bg show nothing clearly like fg costs no start analysis past the first),
/// and when bg ends before fg's start is found (or after "live_start_windows" failed
/// analyses), VIDKOMPY_ERROR_NO_MATCH, everything held is freed, and every later call
/// answers NO_MATCH. At the end, NO_MATCH also when fewer fg frames than "min_matched_share"
/// found a counterpart (the frames were out already). Memory: live_lag + 1 fg frames and about
/// two lookaheads and two bands of bg frames, whatever the video's length, and never more than
/// the setting "live_memory_mib" (default 512 MiB): frames so large that the window would need
/// more fail with VIDKOMPY_ERROR_UNSUPPORTED at the send that shows it (use two passes, a
/// shorter live_lag, or a larger budget). The session follows fg's timestamps: a fg whose
/// pictures run at another speed over a window (sped up or slowed down throughout, or a
/// speed ramp's slower stretch; by more than 6 %, seen over at least 24 fg frames) fails
/// with VIDKOMPY_ERROR_UNSUPPORTED naming the speed when a window shows it: at the start
/// analysis, before any output, when fg runs so from its start. An analyzer (two passes)
/// maps such a fg.
///
/// Call sequence (never deadlocks: after AGAIN from send, receive produces output or names the
/// other stream):
/// ```c
/// VidkompyLive *lv = NULL;
/// vidkompy_live_new(settings, &lv);
/// VidkompyFrame *again[2];                                      // a frame send answered AGAIN to
/// int has_again[2] = {0, 0};
/// for (;;) {
///     VidkompyFrame out;
///     int r = vidkompy_live_receive(lv, &out);
///     if (r == VIDKOMPY_OK) { show(&out); continue; }          // valid until the next call
///     if (r == VIDKOMPY_EOF) break;
///     if (r != VIDKOMPY_AGAIN) { puts(vidkompy_live_last_error(lv)); break; }
///     int s = vidkompy_live_wants(lv);                          // VIDKOMPY_STREAM_FG or _BG
///     VidkompyFrame *f = has_again[s] ? again[s] : next_frame_or_null(s);  // NULL: ended
///     has_again[s] = vidkompy_live_send(lv, s, f) == VIDKOMPY_AGAIN;       // not taken yet:
///     again[s] = f;                                             // send it again when wanted
/// }
/// vidkompy_live_free(&lv);
/// ```
///
/// The form without `err`, kept for the ABI: new code calls vidkompy_live_new_ex.
///
/// # Safety
/// `settings` NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_new(settings: *const VidkompySettings, out: *mut *mut VidkompyLive) -> c_int {
    // SAFETY: `settings` NULL or live, `out` NULL or writable, by contract.
    unsafe {
        new_handle(out, || {
            Ok(VidkompyLive { live: Live::new(settings_or_default(settings)), last_error: CString::default() })
        })
    }
}

/// vidkompy_live_new, with its outcome in `*err` (NULL to skip): the form for hosts that read
/// no thread-local state (a failed constructor has no handle to keep its message).
///
/// # Safety
/// As vidkompy_live_new; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_new_ex(
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyLive,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || vidkompy_live_new(settings, out)) }
}

/// Frees a live session and sets `*live` to NULL. Accepts NULL.
///
/// # Safety
/// `live` must be NULL or point at NULL or a live session.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_free(live: *mut *mut VidkompyLive) {
    // SAFETY: forwarded caller contract.
    unsafe { free_handle(live) }
}

/// The message of the session's last call if it failed, "" if it succeeded (or for NULL).
///
/// # Safety
/// `live` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_last_error(live: *const VidkompyLive) -> *const c_char {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { live.as_ref() }.map_or(c"".as_ptr(), |l| l.last_error.as_ptr())
}

/// Uses this placement instead of searching for it. Before the first frame only, else
/// VIDKOMPY_ERROR_BAD_STATE.
///
/// # Safety
/// `live` must be NULL or live; `placement` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_set_placement(
    live: *mut VidkompyLive,
    placement: *const VidkompyPlacement,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            let p = placement.as_ref().ok_or_else(|| Error::invalid("placement is NULL"))?;
            l.live.set_placement(p.into())?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Tells the session (nonzero `scouted`) that the host scouted bg with vidkompy_scout and sends
/// bg from the keyframe before the span where fg was found: the first window of bg then goes
/// straight to the start analysis, without the session's own look on small copies (which rules
/// out windows holding nothing like fg, and would look again at what the host's scout has just
/// seen to hold fg). Later windows are looked at as usual. Before the first frame only, else
/// VIDKOMPY_ERROR_BAD_STATE.
///
/// # Safety
/// `live` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_set_scouted(live: *mut VidkompyLive, scouted: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            l.live.set_start_scouted(scouted != 0)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Sets (or, with NULL, clears) the session's stage callback and its user pointer: each start
/// analysis is told as VIDKOMPY_STAGE_LIVE_START (0 before, 1 after) and the analyzer's stages
/// inside it, the progress a host shows while a send or receive analyses its window. Called on
/// the thread that calls the session; it may call other handles, not this one.
///
/// # Safety
/// `live` must be NULL or live; the callback must be safe to call with `user` from the thread
/// that calls the session, for as long as it is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_set_stage_callback(
    live: *mut VidkompyLive,
    callback: VidkompyStageCallback,
    user: *mut c_void,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            l.live.set_stage_progress(super::analyzer::stage_fn(callback, user));
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Sets (or, with NULL, clears) the session's cancel flag: an int the host sets to nonzero,
/// from any thread, to stop it. It is read (an atomic load) before each frame is taken and
/// inside each start analysis, as the analyzer reads its own (vidkompy_analyzer_set_cancel_flag:
/// between its stages and the frames it compares), so a start search of a long window stops
/// promptly. When set, the running call returns VIDKOMPY_ERROR_CANCELLED, the frames held are
/// let go, later calls answer VIDKOMPY_ERROR_BAD_STATE, and it only remains to free it.
///
/// # Safety
/// `live` must be NULL or live; `flag` NULL, or an aligned int that stays valid for as long as
/// it is set, written only by atomic stores.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_set_cancel_flag(live: *mut VidkompyLive, flag: *const c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            l.live.set_cancel(cancel_from_flag(flag)?);
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Sends the next frame of `stream` (copied); NULL ends that stream. VIDKOMPY_OK (taken),
/// VIDKOMPY_AGAIN (the session holds all it may: call receive, then send the same frame
/// again), or an error.
///
/// # Safety
/// `live` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_send(
    live: *mut VidkompyLive,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            let stream = stream_from_c(stream)?;
            let sent = if frame.is_null() {
                l.live.send(stream, None)?
            } else {
                let frame = frame_from_c(frame)?;
                l.live.send(stream, Some(&frame))?
            };
            Ok(match sent {
                Sent::Accepted => VIDKOMPY_OK,
                Sent::Again => VIDKOMPY_AGAIN,
            })
        })
    }
}

/// Gets the next composited frame: VIDKOMPY_OK fills `*out` with a library-owned frame (bg's
/// format and size, fg's pts and time base) valid until the next call on this session;
/// VIDKOMPY_AGAIN when input is needed (vidkompy_live_wants says which stream);
/// VIDKOMPY_EOF after the last fg frame.
///
/// # Safety
/// `live` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_receive(live: *mut VidkompyLive, out: *mut VidkompyFrame) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            let out = out.as_mut().ok_or_else(|| Error::invalid("out is NULL"))?;
            match l.live.receive()? {
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

/// Like vidkompy_live_receive, but composites straight into the host's frame `*dst` (zero
/// copy): its planes must be writable, of bg's format and size (else
/// VIDKOMPY_ERROR_INVALID_ARGUMENT, and the session is unchanged). On VIDKOMPY_OK the planes hold
/// the composite and `dst->pts` and its time base are set to the fg frame's; VIDKOMPY_AGAIN and
/// VIDKOMPY_EOF as vidkompy_live_receive says them, `*dst` untouched.
///
/// # Safety
/// `live` must be NULL or live; `dst` NULL or a frame whose planes are writable and not used by
/// anything else during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_receive_into(live: *mut VidkompyLive, dst: *mut VidkompyFrame) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            let d = dst.as_mut().ok_or_else(|| Error::invalid("dst is NULL"))?;
            let mut out = frame_mut_from_c(d)?;
            let received = l.live.receive_into(&mut out)?;
            Ok(written_into(d, received, l.live.last_pts()))
        })
    }
}

/// The stream receive needs next (VIDKOMPY_STREAM_FG or _BG), or VIDKOMPY_STREAM_NONE when it
/// can produce output or is done (or for NULL).
///
/// # Safety
/// `live` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_wants(live: *const VidkompyLive) -> c_int {
    // SAFETY: NULL-checked; otherwise live.
    match unsafe { live.as_ref() }.and_then(|l| l.live.wants()) {
        Some(s) => s as c_int,
        None => VIDKOMPY_STREAM_NONE,
    }
}

/// The frame the last VIDKOMPY_OK from receive gave: its fg frame index, the bg frame index
/// under it, and whether the time map put it outside bg (over the last matched bg frame).
/// Any output pointer may be NULL. VIDKOMPY_ERROR_BAD_STATE before the first frame.
///
/// # Safety
/// `live` must be NULL or live; each output NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_last_frame(
    live: *mut VidkompyLive,
    fg_index: *mut i64,
    bg_index: *mut i64,
    outside: *mut c_int,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(live, "live", |l| {
            let d = l.live.last_decision().ok_or_else(|| Error::bad_state("no frame has come out yet"))?;
            if let Some(p) = fg_index.as_mut() {
                *p = d.fg_index as i64;
            }
            if let Some(p) = bg_index.as_mut() {
                *p = d.bg_index as i64;
            }
            if let Some(p) = outside.as_mut() {
                *p = d.outside as c_int;
            }
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Bytes of frames the session holds now (pictures and spares): bounded by live_lag and the
/// band, not by the video's length. 0 for NULL.
///
/// # Safety
/// `live` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_held_bytes(live: *const VidkompyLive) -> usize {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { live.as_ref() }.map_or(0, |l| l.live.held_bytes())
}

/// The placement found (or set), once the session has locked; else VIDKOMPY_AGAIN.
///
/// # Safety
/// `live` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_placement(live: *mut VidkompyLive, out: *mut VidkompyPlacement) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(live, "live", |l| written_once_locked(out, l.live.placement().map(|p| (*p).into()))) }
}

/// bg's time at fg's first frame (seconds, in the streams' own timestamps) on the line of the
/// last decision, once the session has locked: what an offline alignment's
/// `vidkompy_alignment_offset_seconds` gives. VIDKOMPY_AGAIN before the lock.
///
/// # Safety
/// `live` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_live_offset_seconds(live: *mut VidkompyLive, out: *mut f64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(live, "live", |l| written_once_locked(out, l.live.offset_seconds())) }
}

/// What the session knows once locked, into `out`: OK, or AGAIN before the lock (`out`
/// untouched); INVALID_ARGUMENT for a NULL `out`.
///
/// # Safety
/// `out` NULL or writable.
unsafe fn written_once_locked<T>(out: *mut T, value: Option<T>) -> crate::Result<c_int> {
    // SAFETY: forwarded caller contract.
    let out = unsafe { super::writable(out, "out") }?;
    Ok(match value {
        Some(v) => {
            *out = v;
            VIDKOMPY_OK
        }
        None => VIDKOMPY_AGAIN,
    })
}
