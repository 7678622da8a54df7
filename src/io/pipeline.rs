//! A file job: the command line is one more host of the library's sessions. The job chooses
//! the one pass (`one_pass`, over the window of bg the scout found) or the two passes
//! (`two_pass`), and commits the outputs only when all were written. The formats only
//! translate: [`InputFile`] and [`OutputFile`] (`files`).
//!
//! # Design notes (measured)
//!
//! **One file job for every format** (`src/io/pipeline.rs` chooses; `src/io/two_pass.rs`,
//! `src/io/one_pass.rs` run; `src/io/threads.rs` and `src/io/files.rs` are what both share): the
//! command line is a host of the same analyzer and compositor. Pass 1 decodes each input once and
//! pushes by time; the analyzer's provider re-reads only the frames it checks its placement on;
//! pass 2 composites, reopening bg where fg's shots go back in it. The report's `frames_decoded`
//! gives, per input, the frames decoded for the analysis, for the placement check, and for the
//! composite.

use std::time::Instant;

use crate::alignment::Alignment;
use crate::error::{Result, Status};
use crate::frame::PixelFormat;
pub use crate::io::files::{InputFile, InputFrame, OutputFile};
use crate::io::job::{CompJob, JobObserver, JobOutputs, JobPath};
use crate::io::one_pass::{self, Outcome};
use crate::io::report::{FramesDecoded, ScoutCost, Timings};
use crate::io::scouting::{self, BgWindow, ScoutRun};
use crate::io::staging::Staged;
pub use crate::io::two_pass::{Pass1, Pass2, analyze, compose};
use crate::session::live::check_window_fits;

/// A whole composite job: outputs reserved first; then, when `one_pass_allowed` and the job's
/// path permit, the live session's one pass (under `--path auto`, over the window of bg the
/// scout found, when the input can be scouted and the scout is sure, and the session's window
/// fits its memory budget at these frame sizes), else (or when fg's start lies beyond the
/// session's window of bg, or fg reached an edge of the scout's window) pass 1 and pass 2:
/// pass 1 over the scout's window when no one pass ran over it, and again over the whole of
/// both when that window did not hold all of fg's match; the output made by `create` (from
/// the staged video file, bg's shape and, for two passes, what pass 1 learned); then the
/// report, and every output renamed into place only when all were written.
pub fn run<I: InputFile, O: OutputFile>(
    job: &CompJob,
    observer: &mut dyn JobObserver,
    one_pass_allowed: bool,
    mut create: impl FnMut(&Staged, (u32, u32, PixelFormat), Option<&Pass1>) -> Result<O>,
) -> Result<(Alignment, Timings)> {
    let total = Instant::now();
    let outputs = JobOutputs::reserve(job)?;
    let one_pass = match job.path {
        JobPath::TwoPass => false,
        JobPath::OnePass => true,
        JobPath::Auto => one_pass_allowed,
    };
    // The scout runs under `--path auto` even when the job must take two passes (bg's audio
    // follows fg's timing): its refusal costs a decode of fg and bg's keyframes, the two
    // passes' a decode of both and a search of bg at every scale.
    let scouted = if job.path == JobPath::Auto && I::scans_keyframes() {
        let run = scouting::scout::<I>(job)?;
        observer.status(&run.summary());
        Some(run)
    } else {
        None
    };
    let window = scouted.as_ref().and_then(ScoutRun::window);
    // No keyframe near fg where keyframes are dense enough (at most half fg's length apart,
    // so that some keyframe falls within fg's span and shows one of its frames): refused
    // here. A job that accepts any share of fg matched (`--accept-partial`) asks the two
    // passes for what they find, and so does a keyframe that came close (a small fg scores
    // lower on the scout's copies). A scout that could not say (keyframes too far apart, no
    // index) leaves the one pass to read bg from its start.
    let accepts_any = job.settings.min_matched_share <= 0.0;
    if let Some(refusal) = scouted.as_ref().and_then(ScoutRun::refusal).filter(|_| !accepts_any) {
        return Err(refusal);
    }
    // Frames too large for the live session's window at these sizes (4K and 8K): straight to
    // the two passes, without opening a one pass that would refuse at its first frames.
    let too_large = scouted
        .as_ref()
        .and_then(|s| s.shapes)
        .and_then(|[fg, bg]| check_window_fits(&job.settings, fg, bg, 1.0).err());
    if let Some(e) = too_large.as_ref().filter(|_| one_pass) {
        observer.status(&format!("one pass: {e}; two passes instead"));
    }
    let try_one_pass = one_pass && too_large.is_none() && !scouted.as_ref().is_some_and(ScoutRun::found_nothing);
    if try_one_pass {
        match one_pass::composite::<I, O>(job, observer, window, |shape| create(&outputs.video, shape, None))? {
            Outcome::Done(done) => {
                tell_alignment(&done.alignment, observer);
                let timings = one_pass_timings(&done, scouted.as_ref(), total);
                outputs.commit(&done.alignment, &timings)?;
                return Ok((done.alignment, timings));
            }
            Outcome::NotInWindow(e) if job.path == JobPath::OnePass => return Err(e),
            Outcome::NotInWindow(e) => {
                observer.status(&format!("one pass: {e}; analysing the whole of both files instead"));
            }
            Outcome::WindowTooNarrow => {
                observer.status("one pass: not trusted; analysing the whole of both files instead")
            }
        }
    }
    // A bad input fails here, before any work: analyze opens both inputs first. The scout's
    // window holds fg unless the one pass over it found otherwise.
    let (pass, window) = analyze_scouted::<I>(job, observer, window.filter(|_| !try_one_pass))?;
    tell_alignment(&pass.alignment, observer);
    let composed = compose::<I, O>(job, &pass, |shape| create(&outputs.video, shape, Some(&pass)), observer)?;
    let mut decoded = pass.frames_decoded(Some(&composed));
    decoded.scout = scouted.as_ref().map_or([0, 0], |s| s.decoded);
    let timings = Timings {
        decode: pass.decode_ms + composed.decode_ms,
        decode_analysis: pass.decode_ms,
        decode_composite: composed.decode_ms,
        analyze: pass.analyze_ms,
        placement: pass.stages.placement,
        time_map: pass.stages.time_map,
        placement_check: pass.stages.placement_check,
        compose: composed.compose_ms,
        encode: composed.encode_ms,
        total: total.elapsed().as_secs_f64() * 1e3,
        frames_decoded: Some(decoded),
        one_pass: false,
        // The span only when pass 1 read bg there.
        scout: scouted.as_ref().map(|s| ScoutCost { span_seconds: window.and(s.span), ..s.cost() }),
    };
    let alignment = window.map_or_else(|| pass.alignment.clone(), |w| w.in_whole_bg(pass.alignment.clone()));
    outputs.commit(&alignment, &timings)?;
    Ok((alignment, timings))
}

/// Pass 1 over the scout's `window` of bg, when there is one and it held all of fg's match
/// (and bg's frames there followed its packets); else over the whole of both, the window's
/// pass counted in its costs. Returns the window the pass read.
fn analyze_scouted<'w, I: InputFile>(
    job: &CompJob,
    observer: &mut dyn JobObserver,
    window: Option<&'w BgWindow>,
) -> Result<(Pass1, Option<&'w BgWindow>)> {
    let Some(w) = window else { return Ok((analyze::<I>(job, observer, None)?, None)) };
    let (why, spent) = match analyze::<I>(job, observer, Some(w)) {
        Ok(pass) => match w.read_as_packed(&pass.bg_pts).and_then(|()| w.held_fg(&pass.alignment)) {
            Ok(()) => return Ok((pass, Some(w))),
            Err(why) => (why, Some(pass)),
        },
        // A refusal in a window cut from bg may be the window's: fg may lie partly beyond it.
        Err(e) if e.status() == Status::NoMatch && (w.cuts.start || w.cuts.end) => (e.to_string(), None),
        Err(e) => return Err(e),
    };
    observer.status(&format!("pass 1 over the scout's window: {why}; analysing the whole of both files instead"));
    let mut whole = analyze::<I>(job, observer, None)?;
    if let Some(spent) = spent {
        (whole.decode_ms, whole.analyze_ms) = (whole.decode_ms + spent.decode_ms, whole.analyze_ms + spent.analyze_ms);
        for k in 0..2 {
            whole.decoded[k] += spent.decoded[k];
            whole.check_decoded[k] += spent.check_decoded[k];
        }
    }
    Ok((whole, None))
}

/// The report's timings of a job done in one pass (after the scout, when it ran).
fn one_pass_timings(done: &one_pass::OnePass, scouted: Option<&ScoutRun>, total: Instant) -> Timings {
    Timings {
        decode: done.decode_ms,
        decode_analysis: 0.0,
        decode_composite: done.decode_ms,
        analyze: done.live.lock + done.live.align,
        // The start analysis's stages; the windows' time maps and describing count as time map.
        placement: done.live.lock_stages.placement,
        time_map: done.live.align + done.live.lock_stages.time_map,
        placement_check: done.live.lock_stages.placement_check,
        compose: done.live.compose,
        encode: done.encode_ms,
        total: total.elapsed().as_secs_f64() * 1e3,
        frames_decoded: Some(FramesDecoded {
            one_pass: done.decoded,
            scout: scouted.map_or([0, 0], |s| s.decoded),
            ..FramesDecoded::default()
        }),
        one_pass: true,
        scout: scouted.map(ScoutRun::cost),
    }
}

fn tell_alignment(a: &Alignment, observer: &mut dyn JobObserver) {
    let p = &a.placement;
    observer.status(&format!(
        "placement x={} y={} {}x{} scale={:.4} confidence={:.3}; bg - fg = {:.3} s, {:.4} bg frames per fg frame",
        p.x, p.y, p.width, p.height, p.scale, p.confidence, a.time.offset_seconds, a.time.rate
    ));
    if a.placement_approximate {
        observer.status("the placement is approximate: found on reduced copies, never checked on full-size frames");
    }
}
