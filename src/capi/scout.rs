//! The scout at the C boundary: fg's frames and a sparse sample of bg in, the spans of bg that
//! can hold fg out. Translation only; the logic is in `session::scout`.

use std::ffi::{CString, c_char, c_int};

use super::{
    LastError, VIDKOMPY_OK, VidkompyAlignment, VidkompyError, VidkompyFrame, VidkompyPlacement, VidkompySettings,
    frame_from_c, free_handle, new_handle, settings_or_default, stream_from_c, with_error, with_handle,
};
use super::{cancel_from_flag, query};
use crate::Error;
use crate::{Scout, ScoutAnswer, ScoutReport, WindowCuts, window_held_fg};

/// vidkompy_scout_finish's answer: fg can lie in the spans (vidkompy_scout_span).
pub const VIDKOMPY_SCOUT_FOUND: c_int = 0;
/// vidkompy_scout_finish's answer: no sample showed fg and the samples are too far apart to
/// rule it out: sample bg at least every `every_seconds` and scout again.
pub const VIDKOMPY_SCOUT_NEED_DENSER: c_int = 1;
/// vidkompy_scout_finish's answer: no sample clearly showed fg, but one came near it (its
/// best_score between a sure miss, 0.8, and a hit, 0.9: a small or scaled fg scores lower on
/// the scout's copies). The scout cannot rule fg out: analyse all of bg densely.
pub const VIDKOMPY_SCOUT_UNSURE: c_int = 2;

/// Opaque scout. Used by one thread at a time; may move between threads.
pub struct VidkompyScout {
    scout: Scout,
    report: Option<ScoutReport>,
    last_error: CString,
}

last_error_field!(VidkompyScout);

/// What vidkompy_scout_finish found.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VidkompyScoutResult {
    /// VIDKOMPY_SCOUT_FOUND, VIDKOMPY_SCOUT_NEED_DENSER or VIDKOMPY_SCOUT_UNSURE.
    pub answer: c_int,
    /// FOUND: spans, most hits first (vidkompy_scout_span); 0 otherwise.
    pub span_count: usize,
    /// FOUND: where fg sits, as precise as the scout's small copies (bg at most 240x135):
    /// the dense pass refines it.
    pub placement: VidkompyPlacement,
    /// NEED_DENSER: the largest time between bg samples that can show fg (a quarter of fg's
    /// length); 0 otherwise.
    pub every_seconds: f64,
    /// bg samples and fg frames sent.
    pub bg_samples: usize,
    pub fg_frames: usize,
    /// The largest time between consecutive bg samples.
    pub largest_gap_seconds: f64,
    /// The best correlation (0..1) of any bg sample with any fg frame at the placement: the
    /// evidence for a refusal too (in the last error's message).
    pub best_score: f64,
}

/// A stretch of bg, in seconds of bg's timestamps, that can hold fg.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VidkompyScoutSpan {
    /// fg's estimated start less a margin (may be before bg's first frame).
    pub start_seconds: f64,
    /// fg's estimated end plus a margin.
    pub end_seconds: f64,
    /// bg samples that showed fg in this span.
    pub hits: usize,
    /// The best of their correlations with fg (0..1).
    pub best_score: f64,
}

/// Creates a scout: where in a long bg fg can lie, from fg's frames and a sparse sample of bg.
/// `settings` may be NULL.
///
/// For a host that can seek (files, an editor's media): send every fg frame (or an even sample
/// of them) and a sample of bg, its keyframes say, or every Nth frame, each with its pts and
/// time base, in ascending time within each stream, in any interleaving. Then
/// vidkompy_scout_finish: FOUND gives the spans of bg (seconds of bg's timestamps) to decode
/// densely, for vidkompy_analyzer or vidkompy_live, from the keyframe before the first span's
/// start; NEED_DENSER asks for a denser sample (a 250-frame GOP around a short fg); UNSURE
/// (a sample came near fg, none clearly showed it) asks for all of bg densely; the error
/// VIDKOMPY_ERROR_NO_MATCH refuses a pair nothing in bg matches, naming the best score. Several
/// spans (a repeated shot, shots reordered) are all given, most hits first: the dense pass
/// decides. A live source that cannot seek needs no scout: vidkompy_live searches as bg comes.
///
/// Memory: a 240x135 grey copy per bg sample (at most 2048 samples, else
/// VIDKOMPY_ERROR_UNSUPPORTED) and at most 256 copies of fg.
///
/// ```c
/// VidkompyScout *sc = NULL;
/// vidkompy_scout_new(NULL, &sc);
/// while (next_fg(&f)) vidkompy_scout_send(sc, VIDKOMPY_STREAM_FG, &f);
/// while (next_bg_keyframe(&f)) vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, &f);
/// VidkompyScoutResult r;
/// if (vidkompy_scout_finish(sc, &r) == VIDKOMPY_OK && r.answer == VIDKOMPY_SCOUT_FOUND) {
///     VidkompyScoutSpan span;
///     vidkompy_scout_span(sc, 0, &span);
///     seek_bg(span.start_seconds);   // then decode bg densely up to span.end_seconds
/// }
/// vidkompy_scout_free(&sc);
/// ```
///
/// The form without `err`, kept for the ABI: new code calls vidkompy_scout_new_ex.
///
/// # Safety
/// `settings` NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_new(settings: *const VidkompySettings, out: *mut *mut VidkompyScout) -> c_int {
    // SAFETY: `settings` NULL or live, `out` NULL or writable, by contract.
    unsafe {
        new_handle(out, || {
            Ok(VidkompyScout {
                scout: Scout::new(settings_or_default(settings)),
                report: None,
                last_error: CString::default(),
            })
        })
    }
}

/// vidkompy_scout_new, with its outcome in `*err` (NULL to skip): the form for hosts that read
/// no thread-local state (a failed constructor has no handle to keep its message).
///
/// # Safety
/// As vidkompy_scout_new; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_new_ex(
    settings: *const VidkompySettings,
    out: *mut *mut VidkompyScout,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_error(err, || vidkompy_scout_new(settings, out)) }
}

/// Frees a scout and sets `*scout` to NULL. Accepts NULL.
///
/// # Safety
/// `scout` must be NULL or point at NULL or a live scout.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_free(scout: *mut *mut VidkompyScout) {
    // SAFETY: forwarded caller contract.
    unsafe { free_handle(scout) }
}

/// The message of the scout's last call if it failed, "" if it succeeded (or for NULL).
///
/// # Safety
/// `scout` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_last_error(scout: *const VidkompyScout) -> *const c_char {
    // SAFETY: NULL-checked; otherwise live.
    unsafe { scout.as_ref() }.map_or(c"".as_ptr(), |s| s.last_error.as_ptr())
}

/// Tells the scout bg's extent: the time of its first frame and the time just past its last, in
/// seconds of bg's timestamps (a file's index knows them). The stretches between them and the
/// nearest samples then count as gaps (a short clip with one keyframe asks for a denser sample
/// instead of being refused). Optional; VIDKOMPY_ERROR_INVALID_ARGUMENT unless start <= end,
/// both finite.
///
/// # Safety
/// `scout` must be NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_set_bg_extent(
    scout: *mut VidkompyScout,
    start_seconds: f64,
    end_seconds: f64,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(scout, "scout", |s| {
            s.scout.set_bg_extent(start_seconds, end_seconds)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Sets (or, with NULL, clears) the scout's cancel flag: an int the host sets to nonzero, from
/// any thread, to stop it. It is read (an atomic load) before each frame is taken and around
/// vidkompy_scout_finish's search. When set, the running call returns
/// VIDKOMPY_ERROR_CANCELLED, the copies are let go, later calls answer
/// VIDKOMPY_ERROR_BAD_STATE, and it only remains to free it.
///
/// # Safety
/// `scout` must be NULL or live; `flag` NULL, or an aligned int that stays valid for as long
/// as it is set, written only by atomic stores.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_set_cancel_flag(scout: *mut VidkompyScout, flag: *const c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(scout, "scout", |s| {
            s.scout.set_cancel(cancel_from_flag(flag)?);
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Sends a frame of `stream` (copied to a small grey copy): an fg frame, or a bg sample. Each
/// needs its pts and time base, later than the stream's previous frame. After
/// vidkompy_scout_finish: VIDKOMPY_ERROR_BAD_STATE.
///
/// # Safety
/// `scout` must be NULL or live; `frame` NULL or a valid frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_send(
    scout: *mut VidkompyScout,
    stream: c_int,
    frame: *const VidkompyFrame,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(scout, "scout", |s| {
            if s.report.is_some() {
                return Err(Error::bad_state("the scout has finished: make a new one for a new sample"));
            }
            let stream = stream_from_c(stream)?;
            if frame.is_null() {
                return Err(Error::invalid("frame is NULL"));
            }
            s.scout.push(stream, &frame_from_c(frame)?)?;
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Answers where fg can lie, into `*out`: VIDKOMPY_OK with the answer (FOUND, NEED_DENSER or
/// UNSURE), or an error: VIDKOMPY_ERROR_NO_MATCH when the samples are dense enough and none
/// came near fg (each scored under 0.8: a refusal a host may give at once),
/// VIDKOMPY_ERROR_INVALID_ARGUMENT without an fg frame and a bg sample. May be called again
/// (the same answer).
///
/// # Safety
/// `scout` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_finish(scout: *mut VidkompyScout, out: *mut VidkompyScoutResult) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(scout, "scout", |s| {
            let out = out.as_mut().ok_or_else(|| Error::invalid("out is NULL"))?;
            if s.report.is_none() {
                s.report = Some(s.scout.finish()?);
            }
            *out = result_to_c(s.report.as_ref().expect("set above"));
            Ok(VIDKOMPY_OK)
        })
    }
}

fn result_to_c(report: &ScoutReport) -> VidkompyScoutResult {
    let mut r = VidkompyScoutResult {
        bg_samples: report.bg_samples,
        fg_frames: report.fg_frames,
        largest_gap_seconds: report.largest_gap_seconds,
        best_score: report.best_score,
        ..VidkompyScoutResult::default()
    };
    match &report.answer {
        ScoutAnswer::Found { placement, spans } => {
            r.answer = VIDKOMPY_SCOUT_FOUND;
            r.span_count = spans.len();
            r.placement = (*placement).into();
        }
        ScoutAnswer::NeedDenser { every_seconds } => {
            r.answer = VIDKOMPY_SCOUT_NEED_DENSER;
            r.every_seconds = *every_seconds;
        }
        ScoutAnswer::Unsure => r.answer = VIDKOMPY_SCOUT_UNSURE,
    }
    r
}

/// Span `index` (0 = most hits) of a FOUND answer into `*out`. VIDKOMPY_ERROR_BAD_STATE before
/// vidkompy_scout_finish answered FOUND; VIDKOMPY_ERROR_INVALID_ARGUMENT for an index past
/// span_count.
///
/// # Safety
/// `scout` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_span(
    scout: *mut VidkompyScout,
    index: usize,
    out: *mut VidkompyScoutSpan,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(scout, "scout", |s| {
            let out = out.as_mut().ok_or_else(|| Error::invalid("out is NULL"))?;
            let Some(ScoutReport { answer: ScoutAnswer::Found { spans, .. }, .. }) = &s.report else {
                return Err(Error::bad_state("no spans: vidkompy_scout_finish has not answered FOUND"));
            };
            let span = spans.get(index).ok_or_else(|| Error::invalid(format!("span {index} of {}", spans.len())))?;
            *out = VidkompyScoutSpan {
                start_seconds: span.start_seconds,
                end_seconds: span.end_seconds,
                hits: span.hits,
                best_score: span.best_score,
            };
            Ok(VIDKOMPY_OK)
        })
    }
}

/// The stretch of bg to decode densely after a FOUND answer, into `*out`: span 0 alone when it
/// has at least twice the hits of span 1 (a near-still shot gives stray hits elsewhere), else
/// the union of all spans (a repeated shot, shots reordered: the dense pass decides); `hits`
/// counts the hits of the spans it covers and `best_score` is their best. Decode bg from the
/// keyframe at or before `start_seconds` to the last frame at or before `end_seconds`, analyse
/// fg against those frames alone, then ask vidkompy_alignment_check_window whether the window
/// held fg. A NO_MATCH from the analyzer on the window alone is the window's, not the pair's (a
/// keyframe's lookalike may have placed it): analyse all of bg then too, as comp does.
/// VIDKOMPY_ERROR_BAD_STATE before vidkompy_scout_finish answered FOUND.
///
/// # Safety
/// `scout` must be NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_scout_window(scout: *mut VidkompyScout, out: *mut VidkompyScoutSpan) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(scout, "scout", |s| {
            let out = out.as_mut().ok_or_else(|| Error::invalid("out is NULL"))?;
            let Some(report @ ScoutReport { answer: ScoutAnswer::Found { spans, .. }, .. }) = &s.report else {
                return Err(Error::bad_state("no window: vidkompy_scout_finish has not answered FOUND"));
            };
            let window = report.dense_window().ok_or_else(|| Error::bad_state("the scout's spans make no window"))?;
            let covered = spans
                .iter()
                .filter(|sp| sp.start_seconds >= window.start_seconds && sp.end_seconds <= window.end_seconds);
            let (hits, best_score) = covered.fold((0, 0.0f64), |(h, b), sp| (h + sp.hits, b.max(sp.best_score)));
            *out = VidkompyScoutSpan {
                start_seconds: window.start_seconds,
                end_seconds: window.end_seconds,
                hits,
                best_score,
            };
            Ok(VIDKOMPY_OK)
        })
    }
}

/// Whether an alignment made from a window of bg alone (bg frames numbered from the window's
/// first, as the analyzer numbers what it is given) saw all of fg: VIDKOMPY_OK when it did.
/// `bg_before` / `bg_after`: non-zero when bg has frames before the window's first / after its
/// last. VIDKOMPY_ERROR_NO_MATCH (the message says which) when fg's match reaches an end the
/// window cut (fg's first or last frames outside bg there, or matched on the window's first or
/// last frame: fg may go on beyond it), a run of 12 or more fg frames matched nothing (they
/// may lie elsewhere in bg: a shot from earlier footage), or a frame is matched no better than
/// by chance: the window's answer may be wrong, so analyse fg against the whole of bg instead
/// (the analyzer looks for such runs in all of bg, and maps a shot that goes back in bg
/// there). Never keep a window's alignment without this check.
///
/// # Safety
/// `alignment` NULL or live; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_alignment_check_window(
    alignment: *const VidkompyAlignment,
    bg_before: c_int,
    bg_after: c_int,
    err: *mut VidkompyError,
) -> c_int {
    // SAFETY: pointers checked or forwarded under the contract above.
    unsafe {
        query(alignment, err, |al| {
            let cuts = WindowCuts { start: bg_before != 0, end: bg_after != 0 };
            window_held_fg(al, cuts)
                .map_err(|why| Error::NotInBg(format!("the window of bg did not hold all of fg: {why}")))?;
            Ok(VIDKOMPY_OK)
        })
    }
}
