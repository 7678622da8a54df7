//! The settings handle: string keys, typed setters.

use super::*;

/// Opaque settings handle. Create with vidkompy_settings_new, free with vidkompy_settings_free.
pub struct VidkompySettings {
    pub(super) settings: Settings,
    pub(super) last_error: CString,
}

last_error_field!(VidkompySettings);

/// Creates settings with every key at its default. `*out` receives the handle.
/// Returns VIDKOMPY_OK or VIDKOMPY_ERROR_INVALID_ARGUMENT when `out` is NULL.
///
/// The form without `err`, kept for the ABI: new code calls vidkompy_settings_new_ex.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_new(out: *mut *mut VidkompySettings) -> c_int {
    // SAFETY: `out` NULL or writable by the caller's contract.
    unsafe {
        new_handle(out, || Ok(VidkompySettings { settings: Settings::default(), last_error: CString::default() }))
    }
}

/// Frees settings and sets `*settings` to NULL. Accepts NULL and a pointer to NULL.
///
/// # Safety
/// `settings` must be NULL or point at a handle from vidkompy_settings_new (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_free(settings: *mut *mut VidkompySettings) {
    ffi_call_free(|| {
        // SAFETY: NULL-checked; the handle came from Box::into_raw in vidkompy_settings_new.
        if let Some(slot) = unsafe { settings.as_mut() } {
            if !slot.is_null() {
                drop(unsafe { Box::from_raw(*slot) });
            }
            *slot = std::ptr::null_mut();
        }
        Ok(VIDKOMPY_OK)
    });
}

/// The message of this settings handle's last call if it failed, "" if it succeeded. Valid
/// until the next call on it.
/// Returns "" for a NULL handle.
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_last_error(settings: *const VidkompySettings) -> *const c_char {
    // SAFETY: NULL-checked; otherwise a live handle by contract.
    match unsafe { settings.as_ref() } {
        Some(s) => s.last_error.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Sets one setting from a string. On error nothing changes. Keys and values:
///
/// - "min_confidence": 0..1 (default 0.6). Placement score below which locating fails with
///   VIDKOMPY_ERROR_NO_MATCH.
/// - "scale_search": 0, 1 or auto (default auto). Search fg's scale inside bg (scale 1 is kept
///   when it matches nearly as well as the best); 0 pins scale 1.
/// - "scale_min": 0.1..1 (default 0.25). Smallest scale tried by the scale search.
/// - "scale_max": 1..10 (default 4). Largest scale tried by the scale search.
/// - "feather": 0..1024 pixels (default 0). Alpha ramp on fg edges where bg stays visible.
/// - "color_matrix": bt601 or bt709, or 0 or 1 (default bt709). RGB<->YUV conversion matrix.
/// - "band": 1..1000 frames (default 24). Half-width of the time-map search band.
/// - "live_lag": 1..1000 frames (default 30). Latency of live (one-pass) alignment.
/// - "live_start_windows": 0..100000 (default 0, no limit). Start analyses a live session may
///   fail (windows of bg without fg's start) before it answers VIDKOMPY_ERROR_NO_MATCH: a host
///   that can fall back to two passes (seekable files) sets 1 or 2 rather than slide the
///   window over a whole programme.
/// - "live_memory_mib": 16..1048576 MiB (default 512). Most memory the frames a live session
///   holds may take, at any frame size; a session whose window would need more fails with
///   VIDKOMPY_ERROR_UNSUPPORTED (naming the sizes) as soon as both frame sizes are known,
///   before it holds that much.
/// - "placement_samples": 1..64 (default 6). fg and bg frames sampled for placement.
/// - "rate_penalty": 0..10 (default 0.3). Time-map cost of leaving the frame-rate line.
/// - "min_matched_share": 0..1 (default 0.5). Least share of fg frames that must find a
///   counterpart in bg; below it vidkompy_analyzer_finish is VIDKOMPY_ERROR_NO_MATCH with the
///   counts in the message. Also NO_MATCH: the matched frames' median descriptor distance is
///   not under 0.6 of the distance of the same fg frames to bg frames a third and two thirds
///   of bg away (matching no better than by chance). 0 accepts either.
/// - "threads": 0..256 (default 0, one per core). Threads the analysis computes on, the
///   calling one included (see Threading at the top of this header); 1 keeps it on the
///   calling thread. Callbacks and frame providers are called on the calling thread only.
///
/// Returns VIDKOMPY_OK or VIDKOMPY_ERROR_INVALID_ARGUMENT (NULL, unknown key, bad value).
///
/// # Safety
/// `settings` must be NULL or a live handle; `key` and `value` NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set(
    settings: *mut VidkompySettings,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    // SAFETY: forwarded caller contract for all three pointers.
    unsafe {
        with_handle(settings, "settings", |h| {
            let key = c_str(key, "key")?;
            let value = c_str(value, "value")?;
            h.settings.set(key, value).map(|_| VIDKOMPY_OK)
        })
    }
}

/// Typed setter for "min_confidence" (0..1).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_min_confidence(
    settings: *mut VidkompySettings,
    value: c_double,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "min_confidence", value.to_string()) }
}

/// Typed setter for "scale_search" (0 = scale 1 only, 1 = search).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_scale_search(settings: *mut VidkompySettings, enabled: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "scale_search", enabled.to_string()) }
}

/// Typed setter for "feather" (0..1024 pixels).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_feather(settings: *mut VidkompySettings, pixels: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "feather", pixels.to_string()) }
}

/// Typed setter for "color_matrix" (VIDKOMPY_COLOR_MATRIX_*).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_color_matrix(settings: *mut VidkompySettings, matrix: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "color_matrix", matrix.to_string()) }
}

/// Typed setter for "band" (1..1000 frames).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_band(settings: *mut VidkompySettings, frames: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "band", frames.to_string()) }
}

/// Typed setter for "live_lag" (1..1000 frames).
///
/// # Safety
/// `settings` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_settings_set_live_lag(settings: *mut VidkompySettings, frames: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { set_typed(settings, "live_lag", frames.to_string()) }
}

/// # Safety
/// `settings` must be NULL or a live handle.
unsafe fn set_typed(settings: *mut VidkompySettings, key: &str, value: String) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(settings, "settings", |h| h.settings.set(key, &value).map(|_| VIDKOMPY_OK)) }
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
