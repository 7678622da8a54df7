//! Random access: one fg frame composited onto its bg frame, in any order, on any thread.
//!
//! An editor renders frame N on demand, often on several threads at once. This call needs no
//! handle and keeps no state between calls: the alignment is only read, so one alignment may
//! serve every thread. Each thread reuses its own scratch buffers, so after the first frame a
//! call allocates nothing.

use std::cell::RefCell;

use crate::alignment::Alignment;
use crate::compose::{ComposeScratch, PasteSpec, compose};
use crate::error::{Error, Result};
use crate::frame::{FrameMut, FrameRef};
use crate::media::StreamInfo;
use crate::session::clock::NO_PTS;
use crate::settings::Settings;

thread_local! {
    static SCRATCH: RefCell<ComposeScratch> = RefCell::new(ComposeScratch::default());
}

/// Composites fg frame `fg_index` onto `bg` (which must be bg frame `alignment.bg_index(fg_index)`)
/// straight into `out` (bg's format and size). The result is byte for byte what the
/// [`crate::session::Compositor`] gives for that frame.
///
/// Checked: the index, the frame sizes against the alignment's media, and, when a frame has a
/// pts and its stream a constant rate, that the frame is the one the index names.
pub fn composite_frame(
    alignment: &Alignment,
    settings: &Settings,
    fg_index: usize,
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    out: &mut FrameMut<'_>,
) -> Result<()> {
    let bg_index = alignment.bg_index(fg_index).ok_or_else(|| {
        Error::invalid(format!("fg index {fg_index} is beyond the alignment's {} fg frames", alignment.fg_frames))
    })?;
    alignment.placement.validate().map_err(|e| Error::invalid_data(e.to_string()))?;
    if let Some(media) = &alignment.media {
        media.fg.check_frame("fg", fg)?;
        media.bg.check_frame("bg", bg)?;
        check_timestamp(&media.fg, "fg", fg, fg_index)?;
        check_timestamp(&media.bg, "bg", bg, bg_index as usize)?;
    }
    let spec = PasteSpec::new(&alignment.placement, settings);
    SCRATCH.with(|scratch| compose(bg, fg, &spec, &mut scratch.borrow_mut(), out))
}

/// A frame with a pts must be the frame the index names (when the stream's rate is constant).
fn check_timestamp(info: &StreamInfo, stream: &str, frame: &FrameRef<'_>, index: usize) -> Result<()> {
    let Some(seconds) = (frame.pts != NO_PTS).then(|| frame.seconds()).flatten() else {
        return Ok(());
    };
    match info.index_at(seconds) {
        Some(found) if found != index as i64 => Err(Error::invalid(format!(
            "the {stream} frame at {seconds:.6} s is {stream} frame {found}, but frame {index} (at {:.6} s) is needed",
            info.seconds_of(index)
        ))),
        _ => Ok(()),
    }
}
