//! Pass 1: the analyzer handle, its callbacks and frame provider.

use super::*;

/// Opaque pass-1 handle: frames in, an alignment out. See vidkompy_analyzer_new.
pub struct VidkompyAnalyzer {
    analyzer: Analyzer,
    last_error: CString,
}

last_error_field!(VidkompyAnalyzer);

/// Log callback: `level` is VIDKOMPY_LOG_ERROR, _WARNING or _INFO; `message` is valid during
/// the call only. Called on the thread that calls the analyzer function that logs.
pub type VidkompyLogCallback = Option<unsafe extern "C" fn(user: *mut c_void, level: c_int, message: *const c_char)>;
/// Progress callback: fg and bg frames taken so far. Called on the thread that calls
/// vidkompy_analyzer_push, after each frame is taken.
pub type VidkompyProgressCallback = Option<unsafe extern "C" fn(user: *mut c_void, fg_frames: usize, bg_frames: usize)>;
/// Stage callback: where a call that takes no frame is (`stage`, a VIDKOMPY_STAGE_*) and the
/// share of that stage done, 0..1 (0 as it starts, 1 as it ends, at least). Called on the
/// thread that calls the handle (vidkompy_analyzer_finish, vidkompy_live_send or _receive).
pub type VidkompyStageCallback = Option<unsafe extern "C" fn(user: *mut c_void, stage: c_int, done: c_double)>;

/// vidkompy_analyzer_finish: the placement search over every frame's copy.
pub const VIDKOMPY_STAGE_PLACEMENT: c_int = 1;
/// vidkompy_analyzer_finish: describing the frames at the placement, and the time map.
pub const VIDKOMPY_STAGE_TIME_MAP: c_int = 2;
/// vidkompy_analyzer_finish: the placement checked on full-size frames (the frame provider's).
pub const VIDKOMPY_STAGE_PLACEMENT_CHECK: c_int = 3;
/// A live session's start analysis of its window (the analyzer's stages are told inside it).
pub const VIDKOMPY_STAGE_LIVE_START: c_int = 4;

/// An error.
pub const VIDKOMPY_LOG_ERROR: c_int = 0;
/// A warning (e.g. a low-confidence result).
pub const VIDKOMPY_LOG_WARNING: c_int = 1;
/// Information (e.g. the placement found).
pub const VIDKOMPY_LOG_INFO: c_int = 2;

/// The host's user pointer, handed back to its callbacks only.
struct UserPointer(*mut c_void);
// SAFETY: vidkompy never dereferences it; it goes back to the host's callbacks on the thread
// that calls the analyzer, which the host controls (documented on the callbacks).
unsafe impl Send for UserPointer {}
// SAFETY: as above; a live session shares a stage callback between the analyses it runs, all
// on the thread that calls it.
unsafe impl Sync for UserPointer {}

impl UserPointer {
    /// A method, so closures capture the whole (Send) wrapper rather than its raw field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Sets the analyzer's log and progress callbacks (either may be NULL to clear it) and the
/// user pointer passed to them. A callback (this pair or the frame provider) may call other
/// handles, but not its own analyzer: any call on it from inside its callbacks, freeing
/// included, does nothing and answers VIDKOMPY_ERROR_BAD_STATE (the reason in
/// vidkompy_last_error).
///
/// # Safety
/// `analyzer` must be NULL or live; the callbacks must be safe to call with `user` from the
/// thread that calls the analyzer, for as long as they are set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_callbacks(
    analyzer: *mut VidkompyAnalyzer,
    log: VidkompyLogCallback,
    progress: VidkompyProgressCallback,
    user: *mut c_void,
) -> c_int {
    let set = |a: &mut VidkompyAnalyzer| {
        a.analyzer.set_log(log.map(|f| {
            let user = UserPointer(user);
            Box::new(move |level: LogLevel, message: &str| {
                let text = to_cstring(message);
                // SAFETY: the host's callback and pointer, per the contract above.
                unsafe { f(user.get(), level as c_int, text.as_ptr()) }
            }) as crate::LogFn
        }));
        a.analyzer.set_progress(progress.map(|f| {
            let user = UserPointer(user);
            Box::new(move |fg: usize, bg: usize| {
                // SAFETY: the host's callback and pointer, per the contract above.
                unsafe { f(user.get(), fg, bg) }
            }) as crate::ProgressFn
        }));
        Ok(VIDKOMPY_OK)
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(analyzer, "analyzer", set) }
}

/// The stage callback with the host's pointer, as the library's `StageFn`.
pub(super) fn stage_fn(callback: VidkompyStageCallback, user: *mut c_void) -> Option<crate::StageFn> {
    callback.map(|f| {
        let user = UserPointer(user);
        std::sync::Arc::new(move |stage: crate::Stage, done: f64| {
            // SAFETY: the host's callback and pointer, per the setters' contracts.
            unsafe { f(user.get(), stage as c_int, done) }
        }) as crate::StageFn
    })
}

/// Sets (or, with NULL, clears) the analyzer's stage callback and its user pointer:
/// vidkompy_analyzer_finish tells it each stage as it starts and ends (VIDKOMPY_STAGE_PLACEMENT,
/// _TIME_MAP, _PLACEMENT_CHECK), the progress a host shows while finish runs (1.6 s on a 10 s
/// 1080p pair with a provider). The rules of vidkompy_analyzer_set_callbacks apply.
///
/// # Safety
/// `analyzer` must be NULL or live; the callback must be safe to call with `user` from the
/// thread that calls the analyzer, for as long as it is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_stage_callback(
    analyzer: *mut VidkompyAnalyzer,
    callback: VidkompyStageCallback,
    user: *mut c_void,
) -> c_int {
    let set = |a: &mut VidkompyAnalyzer| {
        a.analyzer.set_stage_progress(stage_fn(callback, user));
        Ok(VIDKOMPY_OK)
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(analyzer, "analyzer", set) }
}

/// Frame provider: fills `frame` with frame `index` of `stream` (0 is the first frame pushed
/// of that stream, as pushed: same format and size) and returns 0, or returns any other value
/// when it cannot (the analyzer then works from what it kept). The frame is copied before the
/// provider is called again or vidkompy_analyzer_finish returns, whichever comes first; its
/// memory must stay valid until then. Called on the thread that calls
/// vidkompy_analyzer_finish, by index: for a few frames (about 12) to check the placement,
/// and, after a stream ran far ahead of the other (see vidkompy_analyzer_new), for the frames
/// the analyzer kept no copy of that the time map needs (all of fg's, bg's around fg's
/// matches: one at a time, ascending within each stream). No particular order otherwise.
/// On entry `frame->pts`, `time_base_num` and `time_base_den` hold the pts and time base the
/// frame was pushed with (pts INT64_MIN when it had none): a host that seeks its source by pts
/// needs no table of its own (and may leave them, or set the frame's own).
pub type VidkompyFrameProvider =
    Option<unsafe extern "C" fn(user: *mut c_void, stream: c_int, index: i64, frame: *mut VidkompyFrame) -> c_int>;

/// Decode cost: how many frames the host decodes to give frame `index` of `stream` again
/// through its frame provider: 0 for a frame that decodes alone (a keyframe), the frames
/// from the keyframe before it otherwise; negative when the host does not know. Called on
/// the thread that calls the analyzer, when the analyzer searches the placement itself (a
/// placement the host gives is not checked): by vidkompy_analyzer_push for fg frames pushed,
/// and by vidkompy_analyzer_finish while it picks the frames to ask the provider for.
pub type VidkompyDecodeCost = Option<unsafe extern "C" fn(user: *mut c_void, stream: c_int, index: i64) -> i64>;

/// A host's frame provider: asked one frame at a time, `frame` filled in with the pts and
/// time base the frame was pushed with before the call; and what giving a frame costs, when
/// the host said.
struct CProvider {
    f: unsafe extern "C" fn(user: *mut c_void, stream: c_int, index: i64, frame: *mut VidkompyFrame) -> c_int,
    cost: VidkompyDecodeCost,
    user: UserPointer,
}

impl CProvider {
    fn one(&mut self, stream: Stream, index: usize, pushed: (i64, crate::TimeBase)) -> Option<crate::FrameBuf> {
        // SAFETY: a zeroed VidkompyFrame is a valid value (null pointers, zero sizes).
        let mut frame: VidkompyFrame = unsafe { std::mem::zeroed() };
        (frame.pts, frame.time_base_num, frame.time_base_den) = (pushed.0, pushed.1.num, pushed.1.den);
        // SAFETY: the host's callback and pointer, per the contract of
        // vidkompy_analyzer_set_frame_provider; `frame` is a live, writable struct for the
        // duration of the call.
        let status = unsafe { (self.f)(self.user.get(), stream as c_int, index as i64, &mut frame) };
        if status != 0 {
            return None;
        }
        // SAFETY: the provider filled `frame` with memory valid until we return here.
        let view = unsafe { frame_from_c(&frame) }.ok()?;
        crate::FrameBuf::from_frame(&view).ok()
    }
}

impl crate::FrameProvider for CProvider {
    fn frames(&mut self, wanted: &[(Stream, usize)]) -> Vec<Option<crate::FrameBuf>> {
        wanted.iter().map(|&(stream, index)| self.one(stream, index, (i64::MIN, crate::TimeBase::NONE))).collect()
    }

    fn frames_pushed_as(
        &mut self,
        wanted: &[(Stream, usize)],
        pushed: &[(i64, crate::TimeBase)],
    ) -> Vec<Option<crate::FrameBuf>> {
        wanted.iter().zip(pushed).map(|(&(stream, index), &at)| self.one(stream, index, at)).collect()
    }

    fn decode_cost(&self, stream: Stream, index: usize) -> Option<u64> {
        let cost = self.cost?;
        // SAFETY: the host's callback and pointer, per the contract of
        // vidkompy_analyzer_set_frame_provider_with_cost.
        let frames = unsafe { cost(self.user.get(), stream as c_int, index as i64) };
        u64::try_from(frames).ok()
    }
}

/// Sets (or, with NULL, clears) the analyzer's frame provider and its user pointer. When the
/// analyzer found the placement itself, vidkompy_analyzer_finish asks the provider for a few
/// frames the time map matched, to check the placement at full resolution (a host that can
/// seek its inputs gets the exact placement in any push order; without a provider it is exact
/// to the analyzer's copies, half a copy pixel), and for frames it kept no copy of (long
/// streams pushed far apart; without a provider those fail, see vidkompy_analyzer_new).
///
/// # Safety
/// `analyzer` must be NULL or live; the provider must be safe to call with `user` from the
/// thread that calls the analyzer, for as long as it is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_frame_provider(
    analyzer: *mut VidkompyAnalyzer,
    provider: VidkompyFrameProvider,
    user: *mut c_void,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { vidkompy_analyzer_set_frame_provider_with_cost(analyzer, provider, None, user) }
}

/// As vidkompy_analyzer_set_frame_provider, with what giving each frame costs the host
/// (`decode_cost`, NULL when unknown; see VidkompyDecodeCost). A host whose provider seeks
/// and decodes forward from a keyframe says so: the analyzer then keeps the fg frames that
/// would be dear to give again at full size as they are pushed (within a fixed budget, 16
/// MiB), and the placement check takes those and, among pairs about as good, the ones cheap
/// to give (a 4K pair: 62 fg frames decoded for the check without it, none with it). Set
/// it before pushing fg: frames pushed earlier were not kept. The answer is the same
/// either way, up to which pairs the check looked at.
///
/// # Safety
/// `analyzer` must be NULL or live; `provider` and `decode_cost` must be safe to call with
/// `user` from the thread that calls the analyzer, for as long as they are set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_frame_provider_with_cost(
    analyzer: *mut VidkompyAnalyzer,
    provider: VidkompyFrameProvider,
    decode_cost: VidkompyDecodeCost,
    user: *mut c_void,
) -> c_int {
    let set = |a: &mut VidkompyAnalyzer| {
        let provider = provider.map(|f| CProvider { f, cost: decode_cost, user: UserPointer(user) });
        a.analyzer.set_frame_provider(provider.map(|p| Box::new(p) as Box<dyn crate::FrameProvider>));
        Ok(VIDKOMPY_OK)
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(analyzer, "analyzer", set) }
}

/// Sets (or, with NULL, clears) the analyzer's cancel flag: an int the host sets to nonzero,
/// from any thread, to stop the analyzer. It is read (an atomic load) before each frame is
/// taken, between the stages of vidkompy_analyzer_finish (placement search, time map,
/// placement check) and between the frames asked of the frame provider. When set, the running
/// call returns VIDKOMPY_ERROR_CANCELLED and the analyzer is finished: its copies are let go,
/// later calls answer VIDKOMPY_ERROR_BAD_STATE, and it only remains to free it. Set the flag
/// with an atomic store (C11 `atomic_store` on an `_Atomic int`, or `__atomic_store_n`).
///
/// # Safety
/// `analyzer` must be NULL or live; `flag` NULL, or an aligned int that stays valid for as
/// long as it is set, written only by atomic stores.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_cancel_flag(
    analyzer: *mut VidkompyAnalyzer,
    flag: *const c_int,
) -> c_int {
    let set = |a: &mut VidkompyAnalyzer| {
        // SAFETY: forwarded caller contract (the flag valid while set, written atomically).
        a.analyzer.set_cancel(unsafe { cancel_from_flag(flag) }?);
        Ok(VIDKOMPY_OK)
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(analyzer, "analyzer", set) }
}

/// Creates an analyzer (pass 1). `settings` may be NULL for defaults; it is copied.
///
/// Call sequence:
/// ```c
/// VidkompyAnalyzer *an = NULL;
/// vidkompy_analyzer_new(settings, &an);
/// // optional: vidkompy_analyzer_set_placement(an, &p) or vidkompy_analyzer_add_sample(...)
/// while (decoding) vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG or _BG, &frame);
/// VidkompyAlignment *al = NULL;
/// if (vidkompy_analyzer_finish(an, &al) != VIDKOMPY_OK) puts(vidkompy_analyzer_last_error(an));
/// vidkompy_analyzer_free(&an);
/// ```
/// Streams may come in any order: interleaved by time, one whole before the other, or in
/// chunks; fg may start anywhere in bg. Without a placement (set_placement or add_sample),
/// the analyzer finds it: until then each frame is kept as a small grey copy (both streams
/// together within 48 MiB, at most 960x540 each, halved as needed), the placement and scale
/// are searched on evenly spaced copies of both whole streams, and the descriptors are
/// computed from the copies. On long streams, when the copies would get smaller than 160x90,
/// the placement is decided from what is kept if it is clear (score 0.97) and later frames
/// are described as they come; if it is not clear (fg's content not yet seen in bg), a copy of
/// only every second frame of the stream with more copies is kept, then every fourth, and
/// so on, and the placement is searched on the copies most like fg's as well.
/// A placement the analyzer found is checked in vidkompy_analyzer_finish on frame pairs the
/// time map matched: at full resolution when a frame provider is set
/// (vidkompy_analyzer_set_frame_provider), else on the copies (exact to half a copy pixel).
/// With a placement, fg frames pushed before bg's first frame are kept as copies until bg's
/// size is known. Pushes never fail for length: memory stays within the bound whatever the
/// order. The frames without a copy that the time map needs are asked of the frame provider
/// in vidkompy_analyzer_finish; without one, finish fails with VIDKOMPY_ERROR_BAD_STATE and a
/// message saying to set a provider, give a placement or samples, or interleave the streams.
///
/// The form without `err`, kept for the ABI: new code calls vidkompy_analyzer_new_ex.
///
/// # Safety
/// `settings` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_new(
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyAnalyzer,
) -> c_int {
    // SAFETY: `settings` NULL or live, `out` NULL or writable, by contract.
    unsafe {
        new_handle(out, || {
            Ok(VidkompyAnalyzer {
                analyzer: Analyzer::new(settings_or_default(settings)),
                last_error: CString::default(),
            })
        })
    }
}

/// Frees an analyzer and sets `*analyzer` to NULL. Accepts NULL.
///
/// # Safety
/// `analyzer` must be NULL or point at NULL or a live analyzer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_free(analyzer: *mut *mut VidkompyAnalyzer) {
    // SAFETY: forwarded caller contract.
    unsafe { free_handle(analyzer) }
}

/// The message of the analyzer's last call if it failed, "" if it succeeded (or for NULL).
/// Valid until its next call.
///
/// # Safety
/// `analyzer` must be NULL or a live analyzer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_last_error(analyzer: *const VidkompyAnalyzer) -> *const c_char {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { analyzer.as_ref() }.map_or(c"".as_ptr(), |a| a.last_error.as_ptr())
}

/// Uses this placement instead of locating one. Before the first frame only, else
/// VIDKOMPY_ERROR_BAD_STATE.
///
/// # Safety
/// `analyzer` must be NULL or live; `placement` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_set_placement(
    analyzer: *mut VidkompyAnalyzer,
    placement: *const VidkompyPlacement,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let p = placement.as_ref().ok_or_else(|| Error::invalid("placement is NULL"))?;
            a.analyzer.set_placement(p.into())?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Adds a sample frame (copied) for locating the placement, e.g. a frame the host seeked to.
/// Before the first pushed frame only. With samples of both streams, the placement is located
/// from them when the first frame is pushed.
///
/// # Safety
/// `analyzer` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_add_sample(
    analyzer: *mut VidkompyAnalyzer,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let stream = stream_from_c(stream)?;
            let frame = frame_from_c(frame)?;
            a.analyzer.add_sample(stream, &frame)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Pushes the next frame of `stream` (VIDKOMPY_STREAM_FG or _BG); NULL ends that stream.
/// Streams may interleave in any order. Timestamps are checked here, at the frame: a time
/// that does not come after the previous frame's of the stream (a duplicate or out-of-order
/// pts), or a negative time base, is INVALID_ARGUMENT naming the frame, and the frame is not
/// taken. Returns VIDKOMPY_OK, or an error that leaves the analyzer usable: INVALID_FRAME
/// (bad frame, or its size/format changed), BAD_STATE (after the end of the stream or after
/// finish, or too many frames held: see vidkompy_analyzer_new), INVALID_ARGUMENT (unknown
/// stream, bad timestamp), NO_MATCH (the automatic placement failed).
///
/// # Safety
/// `analyzer` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_push(
    analyzer: *mut VidkompyAnalyzer,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let stream = stream_from_c(stream)?;
            if frame.is_null() {
                a.analyzer.push(stream, None)?;
            } else {
                let frame = frame_from_c(frame)?;
                a.analyzer.push(stream, Some(&frame))?;
            }
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Ends both streams and computes the alignment into `*out` (free it with
/// vidkompy_alignment_free). Once only. BAD_STATE when a stream has no frame; NO_MATCH when
/// the placement is not found, when fewer than "min_matched_share" of the fg frames find a
/// counterpart in bg, or when they match no better than by chance (the message gives the
/// counts and the match distance against chance; see vidkompy_settings_set). A run of fg
/// frames that clearly matches bg earlier than the frames before it (fg's shots in another
/// order than bg's) is mapped there: the map then goes back in bg, and the compositor asks for
/// bg to be sought back (vidkompy_compositor_bg_rewind). AMBIGUOUS when another place scored nearly as well
/// as the placement found and the time maps at the two do not tell them apart (a repetitive
/// picture; the message names both places: give the placement to choose); AMBIGUOUS too when
/// on most of the matched pairs checked, the bg frames either side of the match look as much
/// like fg as the match (a nearly still picture: which frame fg shows cannot be verified while
/// bg around fg moves); AMBIGUOUS too when bg shows fg's footage twice (a repeated shot: the
/// whole map shifted by a second or more matches about as well; the message names both spans
/// of bg frames). "min_matched_share" 0 accepts the map then.
///
/// APPROXIMATE (a positive status: `*out` is set, as after OK) when the placement the
/// analyzer found could not be checked on full-size frames: no frame provider was set and
/// none of the full-size frames the analyzer keeps without one (up to 48 MiB: runs of bg
/// frames and every so many fg frames, spaced wider as the streams grow) was matched, as on a
/// long 1080p bg. The placement is then as precise as the analyzer's reduced copies and
/// vidkompy_alignment_placement_approximate is 1; set a frame provider to have it checked.
///
/// # Safety
/// `analyzer` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_analyzer_finish(
    analyzer: *mut VidkompyAnalyzer,
    out: *mut *mut VidkompyAlignment,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(analyzer, "analyzer", |a| {
            let mut approximate = false;
            hand_over(out, || {
                let alignment = a.analyzer.finish()?;
                approximate = alignment.placement_approximate;
                Ok(VidkompyAlignment { alignment })
            })?;
            Ok(if approximate { VIDKOMPY_APPROXIMATE } else { VIDKOMPY_OK })
        })
    }
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
