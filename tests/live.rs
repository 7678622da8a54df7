//! The live (one-pass) session against the offline analyzer and known truth, in the push
//! orders a host may use, with bounded memory and NO_MATCH for streams that never meet.

use vidkompy::FrameBuf;
use vidkompy::Settings;
use vidkompy::error::{Result, Status};
use vidkompy::session::{Analyzer, Live, LiveDecision, Received, Sent, Stream};
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};

fn frames(pair: &SyntheticPair) -> (Vec<FrameBuf>, Vec<FrameBuf>) {
    let fg = (0..pair.spec.fg_frames).map(|i| pair.fg_frame(i)).collect();
    let bg = (0..pair.spec.bg_frames).map(|j| pair.bg_frame(j)).collect();
    (fg, bg)
}

/// How the host chooses what to send when the session asks for nothing in particular.
#[derive(Clone, Copy, Debug)]
enum Order {
    /// Whatever `receive` asks for, and nothing more.
    AsAsked,
    /// bg whenever the session takes it, fg only when asked.
    BgFirst,
    /// fg whenever the session takes it, bg only when asked.
    FgFirst,
}

/// Runs a live session over the frames; the decision of each output frame, and the most
/// bytes it held.
fn run(live: &mut Live, fg: &[FrameBuf], bg: &[FrameBuf], order: Order) -> Result<(Vec<LiveDecision>, usize)> {
    let (mut i, mut j) = (0usize, 0usize);
    let mut out = Vec::new();
    let mut most_held = 0;
    let send = |live: &mut Live, stream: Stream, k: &mut usize| -> Result<Sent> {
        let all = if stream == Stream::Fg { fg } else { bg };
        let sent = live.send(stream, all.get(*k).map(FrameBuf::as_frame).as_ref())?;
        if sent == Sent::Accepted && *k <= all.len() {
            *k += 1;
        }
        Ok(sent)
    };
    for _ in 0..100_000 {
        match order {
            Order::AsAsked => {}
            Order::BgFirst => while j <= bg.len() && send(live, Stream::Bg, &mut j)? == Sent::Accepted {},
            Order::FgFirst => while i <= fg.len() && send(live, Stream::Fg, &mut i)? == Sent::Accepted {},
        }
        most_held = most_held.max(live.held_bytes());
        match live.receive()? {
            Received::Frame(f) => {
                let pts = f.pts;
                let d = live.last_decision().unwrap();
                assert_eq!(pts, fg[d.fg_index].pts, "output {} carries fg's pts", d.fg_index);
                out.push(d);
            }
            Received::Again(Stream::Fg) => {
                assert_eq!(live.wants(), Some(Stream::Fg), "receive's AGAIN and wants() agree");
                assert!(i <= fg.len(), "fg asked for after its end");
                send(live, Stream::Fg, &mut i)?;
            }
            Received::Again(Stream::Bg) => {
                assert_eq!(live.wants(), Some(Stream::Bg), "receive's AGAIN and wants() agree");
                assert!(j <= bg.len(), "bg asked for after its end");
                send(live, Stream::Bg, &mut j)?;
            }
            Received::Eof => return Ok((out, most_held)),
        }
    }
    panic!("the session neither finished nor failed");
}

fn offline(fg: &[FrameBuf], bg: &[FrameBuf]) -> vidkompy::alignment::Alignment {
    let mut a = Analyzer::new(Settings::default());
    // As the CLI does: the analyzer may ask for frames again to check the placement.
    let copies = [fg.to_vec(), bg.to_vec()];
    a.set_frame_provider(Some(Box::new(move |s: Stream, k: usize| copies[s as usize].get(k).cloned())));
    for f in bg {
        a.push(Stream::Bg, Some(&f.as_frame())).unwrap();
    }
    for f in fg {
        a.push(Stream::Fg, Some(&f.as_frame())).unwrap();
    }
    a.finish().unwrap()
}

const GRADED: Grade = Grade { brightness: 0.08, contrast: 1.2, gamma: 0.85 };

fn pair(spec: PairSpec) -> (SyntheticPair, Vec<FrameBuf>, Vec<FrameBuf>) {
    let p = SyntheticPair::new(spec);
    let (fg, bg) = frames(&p);
    (p, fg, bg)
}

#[test]
fn live_equals_offline_and_truth_in_every_push_order() {
    let (p, fg, bg) =
        pair(PairSpec { fg_start: 1.2, grade: GRADED, fg_noise: 2.0, bg_frames: 260, ..PairSpec::default() });
    let reference = offline(&fg, &bg);
    for order in [Order::AsAsked, Order::BgFirst, Order::FgFirst] {
        let mut live = Live::new(Settings::default());
        let (out, _) = run(&mut live, &fg, &bg, order).unwrap();
        assert_eq!(out.len(), fg.len(), "{order:?}: every fg frame comes out once");
        assert!(out.iter().enumerate().all(|(k, d)| d.fg_index == k), "{order:?}: in order");
        let placement = live.placement().unwrap();
        assert_eq!((placement.x, placement.y), (reference.placement.x, reference.placement.y), "{order:?}");
        let same = out.iter().filter(|d| d.bg_index == reference.time.map[d.fg_index] as usize).count();
        let exact = out.iter().filter(|d| p.accepts(d.fg_index, d.bg_index)).count();
        eprintln!("{order:?}: live = offline on {same} of {}, exact {exact}", out.len());
        assert_eq!(same, out.len(), "{order:?}: live equals offline");
        assert_eq!(exact, out.len(), "{order:?}: live is exact");
        // The run's alignment as the session reports it: the offline one's map and offset (to
        // a tenth of a frame).
        let a = live.alignment_of(&out).unwrap();
        assert_eq!(a.time.map, reference.time.map, "{order:?}");
        let period = 1.0 / p.spec.bg_fps;
        let off_by = live.offset_seconds().unwrap() - reference.time.offset_seconds;
        assert!(off_by.abs() < 0.1 * period, "{order:?}: offset off by {off_by} s");
        assert!(live.alignment_of(&out[1..]).is_err(), "decisions must start at fg frame 0");
    }
}

#[test]
fn live_follows_a_frame_rate_change_and_a_late_start() {
    let (p, fg, bg) = pair(PairSpec {
        fg_fps: 30.0,
        fg_frames: 180,
        fg_start: 3.1,
        bg_frames: 300,
        grade: GRADED,
        ..PairSpec::default()
    });
    let mut live = Live::new(Settings { live_lag: 20, ..Settings::default() });
    let (out, _) = run(&mut live, &fg, &bg, Order::BgFirst).unwrap();
    let exact = out.iter().filter(|d| p.accepts(d.fg_index, d.bg_index)).count();
    eprintln!("30 on 25, late start: exact {exact} of {}", out.len());
    let wrong: Vec<(usize, usize, Option<usize>)> = out
        .iter()
        .filter(|d| !p.accepts(d.fg_index, d.bg_index))
        .map(|d| (d.fg_index, d.bg_index, p.truth(d.fg_index)))
        .collect();
    eprintln!("{wrong:?} {:?}", live.placement());
    let reference = offline(&fg, &bg);
    let off_exact = (0..fg.len()).filter(|&k| p.accepts(k, reference.time.map[k] as usize)).count();
    let same = out.iter().filter(|d| d.bg_index == reference.time.map[d.fg_index] as usize).count();
    eprintln!("offline: exact {off_exact}, placement {:?}; live = offline on {same}", reference.placement);
    assert_eq!(out.len(), fg.len());
    assert!(exact as f64 >= 0.995 * fg.len() as f64, "exact {exact} of {}", fg.len());
}

#[test]
fn memory_stays_bounded_by_the_lag_and_band() {
    let (_, fg, bg) = pair(PairSpec { fg_frames: 600, bg_frames: 700, fg_start: 0.6, ..PairSpec::default() });
    let frame = fg[0].byte_size().max(bg[0].byte_size());
    let settings = Settings { live_lag: 10, band: 8, ..Settings::default() };
    // fg: lag + 1 pictures; bg: its seeking window (two lookaheads, both sides of the band);
    // one spare of each and the output.
    let bound = frame * ((10 + 2) + (2 * 11 + 2 * 8 + 2) + 1);
    let mut live = Live::new(settings);
    let (out, most) = run(&mut live, &fg, &bg, Order::BgFirst).unwrap();
    assert_eq!(out.len(), fg.len());
    assert!(most <= bound, "held {most} bytes, bound {bound}");
}

/// fg may start anywhere in bg: the session slides its window over all of bg, and NO_MATCH
/// comes when bg ends.
#[test]
fn streams_that_never_meet_end_with_no_match_when_bg_ends() {
    let (_, fg, _) = pair(PairSpec { seed: 7, fg_frames: 60, ..PairSpec::default() });
    let (_, _, bg) = pair(PairSpec { seed: 99, bg_frames: 400, ..PairSpec::default() });
    let mut live = Live::new(Settings { live_lag: 10, ..Settings::default() });
    let err = run(&mut live, &fg, &bg, Order::AsAsked).unwrap_err();
    assert_eq!(err.status(), Status::NoMatch, "{err}");
    assert!(err.to_string().contains("bg ended after 400 frames"), "{err}");
    let status = live.status();
    eprintln!("{err}; {status:?}");
    assert_eq!(status.bg_received, 400);
    assert_eq!(live.held_bytes(), 0, "everything is freed");
    let again = live.send(Stream::Bg, Some(&bg[0].as_frame())).unwrap_err();
    assert_eq!(again.status(), Status::NoMatch, "the session stays ended: {again}");
}

/// fg starting far into bg (14 s, 350 frames in): the window slides on past the first window,
/// each later window analysed only where the session's scout sees fg clearly. On the
/// generator's panning texture the first such window can be a pan's lookalike (fg frame i a
/// few pixels over on an earlier bg frame), where the session may lock and then find most
/// frames without a counterpart: the result is then refused, never accepted. Real footage
/// (tests/cli_ffmpeg.rs, `fg_late_in_bg_through_the_one_pass`) is found exactly.
#[test]
fn fg_far_into_bg_is_right_or_refused() {
    let (p, fg, bg) = pair(PairSpec { fg_start: 14.0, fg_frames: 50, bg_frames: 450, ..PairSpec::default() });
    let mut live = Live::new(Settings { live_lag: 10, ..Settings::default() });
    let result = run(&mut live, &fg, &bg, Order::AsAsked);
    let status = live.status();
    eprintln!("{status:?}");
    assert!(status.bg_received > 300, "the window slid past the first: {status:?}");
    match result {
        Ok((out, _)) => {
            let exact = out.iter().filter(|d| p.accepts(d.fg_index, d.bg_index)).count();
            assert_eq!(exact, out.len(), "exact {exact} of {}", out.len());
        }
        Err(e) => assert_eq!(e.status(), Status::NoMatch, "{e}"),
    }
}

#[test]
fn a_host_that_stops_early_gets_every_frame_it_sent() {
    let (p, fg, bg) = pair(PairSpec { fg_start: 0.8, ..PairSpec::default() });
    let (fg, bg) = (&fg[..70], &bg[..110]);
    let mut live = Live::new(Settings::default());
    let (out, _) = run(&mut live, fg, bg, Order::AsAsked).unwrap();
    assert_eq!(out.len(), 70);
    assert!(out.iter().all(|d| p.accepts(d.fg_index, d.bg_index)));
}

#[test]
fn too_few_matched_frames_end_with_no_match_after_the_frames() {
    // fg: 20 frames of bg's scene, then 100 frames of footage bg lacks: 100 of 120 outside.
    let (_, fg, bg) = pair(PairSpec { fg_frames: 120, insert: Some((20, 100)), fg_start: 0.4, ..PairSpec::default() });
    let mut live = Live::new(Settings { live_lag: 10, ..Settings::default() });
    let err = run(&mut live, &fg, &bg, Order::AsAsked).unwrap_err();
    assert_eq!(err.status(), Status::NoMatch, "{err}");
    assert!(err.to_string().contains("have no counterpart"), "{err}");
    let status = live.status();
    assert_eq!(status.output, 120, "every frame came out before the verdict: {status:?}");
    assert!(status.outside >= 60, "{status:?}");
    assert_eq!(live.held_bytes(), 0);
}

/// fg cuts forward in bg further than the lookahead reaches, at short lags: the session grows
/// bg's window to find the frames after the cut. Every AGAIN names the stream `wants` names
/// (the run's driver checks it): a host following the documented loop never waits forever, and
/// the map after the cut is exact or the session refuses.
#[test]
fn a_cut_forward_beyond_the_lookahead_keeps_again_and_wants_in_step() {
    let (p, fg, bg) = pair(PairSpec { fg_start: 0.4, fg_frames: 200, bg_frames: 260, ..PairSpec::default() });
    // fg: its frames 0..40, then 100..160 (a cut forward by 60 fg frames, 2.4 s).
    let kept: Vec<usize> = (0..40).chain(100..160).collect();
    let cut: Vec<FrameBuf> = kept
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let mut f = fg[i].clone();
            f.pts = fg[k].pts;
            f
        })
        .collect();
    for lag in [4, 8, 12] {
        let mut settings = Settings::default();
        settings.set("live_lag", &lag.to_string()).unwrap();
        for order in [Order::AsAsked, Order::BgFirst, Order::FgFirst] {
            let mut live = Live::new(settings.clone());
            match run(&mut live, &cut, &bg, order) {
                Ok((out, _)) => {
                    assert_eq!(out.len(), cut.len(), "lag {lag} {order:?}");
                    let exact = out.iter().filter(|d| p.accepts(kept[d.fg_index], d.bg_index)).count();
                    eprintln!("lag {lag} {order:?}: {exact} of {} exact", out.len());
                    assert!(exact * 100 >= out.len() * 95, "lag {lag} {order:?}: {exact} of {} exact", out.len());
                }
                Err(e) => {
                    assert!(matches!(e.status(), Status::NoMatch), "lag {lag} {order:?}: {e}");
                    eprintln!("lag {lag} {order:?}: refused: {e}");
                }
            }
        }
    }
}

/// The session's pictures are bounded in bytes at any frame size: a window that would take more
/// than `live_memory_mib` is refused (UNSUPPORTED, naming the sizes) at the send that shows it,
/// before it is held, and everything is freed.
#[test]
fn a_window_over_the_memory_budget_is_refused_before_it_is_held() {
    let bg = FrameBuf::new(vidkompy::PixelFormat::I420, 3840, 2160).unwrap();
    let fg = FrameBuf::new(vidkompy::PixelFormat::I420, 1920, 1080).unwrap();
    let mut settings = Settings::default();
    settings.set("live_memory_mib", "256").unwrap();
    let mut live = Live::new(settings);
    fn stamp(f: &FrameBuf, k: i64) -> vidkompy::frame::FrameRef<'_> {
        f.as_frame().with_pts(k, vidkompy::frame::TimeBase::new(1, 25))
    }
    assert_eq!(live.send(Stream::Fg, Some(&stamp(&fg, 0))).unwrap(), Sent::Accepted);
    let e = live.send(Stream::Bg, Some(&stamp(&bg, 0))).unwrap_err();
    assert_eq!(e.status(), Status::Unsupported, "{e}");
    assert!(e.to_string().contains("3840x2160") && e.to_string().contains("live_memory_mib"), "{e}");
    assert_eq!(live.held_bytes(), 0, "everything is freed");
    // The default budget (512 MiB) holds a 1080p window at the default lag.
    let mut live = Live::new(Settings::default());
    let bg = FrameBuf::new(vidkompy::PixelFormat::I420, 1920, 1080).unwrap();
    let fg = FrameBuf::new(vidkompy::PixelFormat::I420, 1280, 720).unwrap();
    assert!(live.send(Stream::Fg, Some(&stamp(&fg, 0))).is_ok());
    assert!(live.send(Stream::Bg, Some(&stamp(&bg, 0))).is_ok());
}

/// "live_start_windows" bounds the start search: a host that can run two passes instead sets
/// 1 and hears NO_MATCH after one start analysis when fg starts beyond the first window; with
/// no limit the window slides on and finds it.
#[test]
fn the_start_search_stops_after_the_windows_allowed() {
    let (p, fg, bg) = pair(PairSpec { fg_start: 4.0, fg_frames: 60, bg_frames: 200, ..PairSpec::default() });
    let mut settings = Settings::default();
    settings.set("live_lag", "8").unwrap();
    let mut limited = settings.clone();
    limited.set("live_start_windows", "1").unwrap();
    let mut live = Live::new(limited);
    let e = run(&mut live, &fg, &bg, Order::AsAsked).unwrap_err();
    assert_eq!(e.status(), Status::NoMatch, "{e}");
    assert!(e.to_string().contains("live_start_windows"), "{e}");
    assert_eq!(live.status().start_attempts, 1);
    let mut live = Live::new(settings);
    let (out, _) = run(&mut live, &fg, &bg, Order::AsAsked).unwrap();
    let exact = out.iter().filter(|d| p.accepts(d.fg_index, d.bg_index)).count();
    assert_eq!(exact, out.len(), "without a limit the window slides to fg's start");
    assert!(live.status().start_attempts > 1);
}

/// A cancel asked while the session analyses its window stops that analysis (the session hands
/// its cancel to the analyzer): the call returns CANCELLED, everything held is let go, and
/// later calls answer BAD_STATE. The cancel answers true only once the session has asked it
/// as many times as frames were sent, so only a check inside the start analysis can see it.
#[test]
fn a_cancel_stops_the_start_analysis_under_way() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (_, fg, bg) = pair(PairSpec { fg_start: 1.2, bg_frames: 200, ..PairSpec::default() });
    let asked = Arc::new(AtomicUsize::new(0));
    let sends = Arc::new(AtomicUsize::new(0));
    let (a, s) = (Arc::clone(&asked), Arc::clone(&sends));
    let mut live = Live::new(Settings { live_lag: 12, ..Settings::default() });
    live.set_cancel(Some(Arc::new(move || a.fetch_add(1, Ordering::SeqCst) + 1 > s.load(Ordering::SeqCst))));
    let counting = |live: &mut Live, stream: Stream, frame: &FrameBuf| {
        sends.fetch_add(1, Ordering::SeqCst);
        live.send(stream, Some(&frame.as_frame()))
    };
    let mut cancelled = None;
    'feed: for k in 0..bg.len() {
        for (stream, frames) in [(Stream::Bg, &bg), (Stream::Fg, &fg)] {
            if let Some(frame) = frames.get(k) {
                match counting(&mut live, stream, frame) {
                    Ok(_) => {}
                    Err(e) => {
                        cancelled = Some(e);
                        break 'feed;
                    }
                }
            }
        }
    }
    let e = cancelled.expect("the start analysis asked the cancel");
    assert_eq!(e.status(), Status::Cancelled, "{e}");
    assert!(asked.load(Ordering::SeqCst) > sends.load(Ordering::SeqCst), "asked inside the analysis");
    assert_eq!(live.held_bytes(), 0, "everything held is let go");
    let later = live.send(Stream::Bg, Some(&bg[0].as_frame())).unwrap_err();
    assert_eq!(later.status(), Status::BadState, "{later}");
}
