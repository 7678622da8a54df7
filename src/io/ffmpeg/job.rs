//! The composite of two files through FFmpeg: the format-neutral passes of `io::pipeline`
//! over FFmpeg's inputs and output, plus what only FFmpeg files have (audio, pictures).

use std::path::Path;

use super::{AudioPlan, VideoInfo, VideoInput, VideoOutput};
use crate::alignment::Alignment;
use crate::error::{Error, Result};
use crate::frame::FrameBuf;
use crate::io::job::{AudioChoice, BG_SAMPLES, CompJob, JobObserver, JobPath, Silent};
use crate::io::pipeline::{self, Pass1};
use crate::io::report::Timings;
use crate::settings::Settings;
use crate::spatial::{Placement, locate};

/// Where fg sits in bg, from frames sampled evenly over both (pictures are one sample).
pub fn locate_files(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let (fg_frames, bg_frames) = std::thread::scope(|s| {
        let fg_samples = s.spawn(|| VideoInput::open(fg)?.samples(settings.placement_samples as usize));
        let bg_frames = VideoInput::open(bg).and_then(|mut input| input.samples(BG_SAMPLES));
        Ok::<_, Error>((
            fg_samples.join().map_err(|_| Error::Internal("a sampling thread panicked".into()))??,
            bg_frames?,
        ))
    })?;
    let f: Vec<_> = fg_frames.iter().map(FrameBuf::as_frame).collect();
    let b: Vec<_> = bg_frames.iter().map(FrameBuf::as_frame).collect();
    locate(&f, &b, settings)
}

/// Where fg sits in bg, for `align`: for two videos, what the analyzer finds over every frame
/// of both (checked on frames the time map matched); for a picture, from samples.
pub fn align_files(fg: &Path, bg: &Path, settings: &Settings) -> Result<Placement> {
    let videos = [fg, bg]
        .iter()
        .map(|p| VideoInput::open(p).map(|i| i.info().frame_estimate.unwrap_or(1) > 1))
        .collect::<Result<Vec<_>>>()?;
    if videos.contains(&false) {
        return locate_files(fg, bg, settings);
    }
    let job = CompJob::analysis_only(fg, bg, settings);
    Ok(pipeline::analyze::<VideoInput>(&job, &mut Silent, None)?.alignment.placement)
}

/// The audio the output carries, as asked and as the inputs allow.
/// Whether the output carries bg's audio, which moves onto fg's clock by the whole time map
/// (two passes: the one pass knows the map only at its end).
fn wants_bg_audio(job: &CompJob, fg: &VideoInfo, bg: &VideoInfo) -> bool {
    let y4m = job.output.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
    match job.audio {
        AudioChoice::Bg => true,
        AudioChoice::Auto => !y4m && fg.audio_stream.is_none() && bg.audio_stream.is_some(),
        _ => false,
    }
}

/// The audio the output carries; bg's needs pass 1's frames (`pass`).
fn audio_plan(job: &CompJob, pass: Option<&Pass1>, fg: &VideoInfo, bg: &VideoInfo) -> Result<AudioPlan> {
    let y4m = job.output.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
    let from_fg = || AudioPlan::Copy { path: job.fg.clone(), shift_seconds: 0.0, window: None };
    let from_bg = || {
        let Some(pass) = pass else {
            return Err(Error::Internal("bg's audio needs the two passes".into()));
        };
        // bg audio moves onto fg's clock and covers exactly fg's frames.
        let tb = fg.time_base;
        let first = pass.fg_pts.first().and_then(|&p| tb.seconds(p)).unwrap_or(0.0);
        let last = pass.fg_pts.last().and_then(|&p| tb.seconds(p)).unwrap_or(0.0) + fg.frame_period();
        Ok(AudioPlan::Copy {
            path: job.bg.clone(),
            shift_seconds: pass.alignment.time.offset_seconds,
            window: Some((first, last)),
        })
    };
    let (has_fg, has_bg) = (fg.audio_stream.is_some(), bg.audio_stream.is_some());
    Ok(match job.audio {
        AudioChoice::None => AudioPlan::None,
        AudioChoice::Auto if y4m => AudioPlan::None,
        AudioChoice::Auto if has_fg => from_fg(),
        AudioChoice::Auto if has_bg => from_bg()?,
        AudioChoice::Auto => AudioPlan::None,
        AudioChoice::Fg if has_fg => from_fg(),
        AudioChoice::Bg if has_bg => from_bg()?,
        AudioChoice::Fg => return Err(Error::InvalidArgument(format!("{}: no audio stream", job.fg.display()))),
        AudioChoice::Bg => return Err(Error::InvalidArgument(format!("{}: no audio stream", job.bg.display()))),
    })
}

/// Runs both passes on any files FFmpeg reads, writing by the output's extension.
pub fn composite(job: &CompJob, observer: &mut dyn JobObserver) -> Result<(Alignment, Timings)> {
    let fg_info = VideoInput::open(&job.fg)?.info().clone();
    let bg_info = VideoInput::open(&job.bg)?.info().clone();
    let mut audio_note = "no audio";
    let one_pass_allowed = !wants_bg_audio(job, &fg_info, &bg_info);
    if job.path == JobPath::OnePass && !one_pass_allowed {
        // Refused before any work: the one pass learns the map only at its end, too late for
        // the audio it writes as it goes.
        return Err(Error::Unsupported(format!(
            "--path one-pass cannot move bg's audio onto fg's timing ({} has no audio of its own): add --audio none, or use --path two-pass",
            job.fg.display()
        )));
    }
    let done = pipeline::run::<VideoInput, VideoOutput>(job, observer, one_pass_allowed, |staged, shape, pass| {
        let audio = audio_plan(job, pass, &fg_info, &bg_info)?;
        let output = VideoOutput::create(staged, shape, fg_info.frame_rate, fg_info.time_base, &job.encode, &audio)?;
        audio_note = match (output.has_audio(), output.audio_transcoded()) {
            (false, _) => "no audio",
            (true, false) => "audio copied",
            (true, true) => "audio re-encoded to AAC (its codec does not fit the container)",
        };
        Ok(output)
    })?;
    observer.status(audio_note);
    Ok(done)
}
