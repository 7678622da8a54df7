//! Placements, and `vidkompy_locate` (one search, no handle).

use super::*;

/// Where fg's content sits in bg (the result of vidkompy_locate).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VidkompyPlacement {
    /// Top-left of fg's content in bg pixels.
    pub x: i32,
    pub y: i32,
    /// Size of fg's content in bg pixels (content size times scale).
    pub width: u32,
    pub height: u32,
    /// bg pixels per fg pixel.
    pub scale: f64,
    /// The correlation score of the match, 0..1.
    pub confidence: f64,
    /// fg's content rectangle without black bars, in fg pixels.
    pub content_x: u32,
    pub content_y: u32,
    pub content_width: u32,
    pub content_height: u32,
    /// Sub-pixel estimates of x and y: the vertex of a parabola through the correlation at
    /// (x, y) and its neighbours (x and y, the best whole-pixel position, lie within half a
    /// pixel of these). Measured error: at most 0.1 px on generated
    /// pictures at known quarter-pixel positions (tests/subpixel.rs), 0.3 px on real footage
    /// (a crop at 333, 217 read 332.70, 216.68): an estimate, not a promise of accuracy.
    /// Without a frame provider (VIDKOMPY_APPROXIMATE) as precise as the reduced copies.
    pub x_subpixel: f64,
    pub y_subpixel: f64,
}

impl From<Placement> for VidkompyPlacement {
    fn from(p: Placement) -> VidkompyPlacement {
        VidkompyPlacement {
            x: p.x,
            y: p.y,
            width: p.width,
            height: p.height,
            scale: p.scale,
            confidence: p.confidence,
            content_x: p.content.x,
            content_y: p.content.y,
            content_width: p.content.width,
            content_height: p.content.height,
            x_subpixel: p.x_subpixel,
            y_subpixel: p.y_subpixel,
        }
    }
}

/// A host's placement: its sub-pixel fields follow x and y (a host sets whole pixels).
impl From<&VidkompyPlacement> for Placement {
    fn from(p: &VidkompyPlacement) -> Placement {
        Placement {
            x: p.x,
            y: p.y,
            width: p.width,
            height: p.height,
            scale: p.scale,
            confidence: p.confidence,
            content: crate::Rect::new(p.content_x, p.content_y, p.content_width, p.content_height),
            x_subpixel: p.x as f64,
            y_subpixel: p.y as f64,
        }
    }
}

/// Finds where fg's content sits in bg from sample frames of each (any number, any times:
/// every fg sample is tried against every bg sample). `settings` may be NULL for defaults
/// ("min_confidence", "scale_search", "scale_min", "scale_max" apply).
///
/// Returns VIDKOMPY_OK and fills `*out`; VIDKOMPY_ERROR_NO_MATCH when the best score is below
/// min_confidence (the message gives the score); VIDKOMPY_ERROR_INVALID_ARGUMENT or
/// VIDKOMPY_ERROR_INVALID_FRAME for bad input. `*out` is left unchanged on error.
///
/// The form without `err`, kept for the ABI: new code calls vidkompy_locate_ex.
///
/// # Safety
/// Frame arrays must hold `*_count` valid frames; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vidkompy_locate(
    settings: *const VidkompySettings,
    fg_samples: *const VidkompyFrame,
    fg_count: usize,
    bg_samples: *const VidkompyFrame,
    bg_count: usize,
    out: *mut VidkompyPlacement,
) -> c_int {
    ffi_call_free(|| {
        // SAFETY: the caller's contract: `out` NULL or writable, `settings` NULL or live, the
        // sample arrays as documented.
        unsafe {
            let out = writable(out, "out")?;
            let settings = settings_or_default(settings);
            let fg = frames_from_c(fg_samples, fg_count, "fg_samples")?;
            let bg = frames_from_c(bg_samples, bg_count, "bg_samples")?;
            *out = locate(&fg, &bg, &settings)?.into();
        }
        Ok(VIDKOMPY_OK)
    })
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
