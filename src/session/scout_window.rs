//! After the scout: the stretch of bg a host decodes densely, and the check that the analysis
//! over that stretch alone saw all of fg.
//!
//! Which stretch: the span with the most hits when it has `DOMINANT_HITS` times the hits of
//! every other (a near-still shot gives stray hits elsewhere; reading only the dominant span
//! keeps the dense pass's start window near fg's start), else the union of all spans (a
//! repeated shot, reordered shots: the dense pass decides between them).
//!
//! Whether it was enough: a window that left bg frames out before it (after it) may have cut fg
//! off there. The alignment over the window then shows fg's first (last) frames outside bg, or
//! its match reaching the window's first (last) frame. A frame matched no better than by chance
//! says its true match may lie outside the window (fg's first frames put at the start of a
//! near-still shot before them). A run of `MIN_RUN` or more fg frames that match nothing in the
//! window may match elsewhere in bg (an edit that goes back to earlier footage: the window's
//! monotone map leaves it outside, and compositing it there would be wrong); the whole-bg
//! analysis finds it or refuses. Any of these: analyse fg against the whole of bg instead. A
//! window's answer is never kept unverified: this check is what makes the scout's shortcut safe.

use crate::alignment::Alignment;
use crate::session::{ScoutAnswer, ScoutReport, ScoutSpan};
use crate::temporal::{no_better_than_chance, outside_runs};

/// A span with at least this many times the hits of every other is read alone.
pub const DOMINANT_HITS: usize = 2;

/// A stretch of bg, in seconds of bg's clock, to decode densely (from the keyframe at or
/// before `start_seconds` to the last frame at or before `end_seconds`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseWindow {
    pub start_seconds: f64,
    pub end_seconds: f64,
}

impl ScoutReport {
    /// The stretch of bg to decode densely; None unless the answer is FOUND with finite spans.
    pub fn dense_window(&self) -> Option<DenseWindow> {
        let read = self.read_spans();
        let start_seconds = read.iter().map(|s| s.start_seconds).fold(f64::INFINITY, f64::min);
        let end_seconds = read.iter().map(|s| s.end_seconds).fold(f64::NEG_INFINITY, f64::max);
        (start_seconds.is_finite() && end_seconds.is_finite() && start_seconds <= end_seconds)
            .then_some(DenseWindow { start_seconds, end_seconds })
    }
}

impl ScoutReport {
    /// The spans the dense window is made of: the dominant one, else all (see the module's
    /// comment); none unless the answer is FOUND.
    pub fn read_spans(&self) -> &[ScoutSpan] {
        let ScoutAnswer::Found { spans, .. } = &self.answer else { return &[] };
        let dominant = match spans.as_slice() {
            [] => return &[],
            [_] => true,
            [first, second, ..] => first.hits >= DOMINANT_HITS * second.hits,
        };
        if dominant { &spans[..1] } else { &spans[..] }
    }
}

/// `Err` when the map over a window (bg frames numbered from the window's first) entered none
/// of the frames of one of the spans the scout read (`spans`: the window's frames in each,
/// inclusive). The scout saw fg there too: bg may show fg's footage twice (a repeated shot),
/// and a one pass that locked on the first cannot tell; the whole-bg analysis decides
/// (`temporal::repeated_span`: AMBIGUOUS when both match alike). Reordered shots enter every
/// span and pass.
pub fn map_entered_every_span(alignment: &Alignment, spans: &[(u32, u32)]) -> Result<(), String> {
    let time = &alignment.time;
    let matched: Vec<u32> = (0..time.map.len()).filter(|&i| !time.is_outside(i)).map(|i| time.map[i]).collect();
    match spans.iter().find(|(a, b)| !matched.iter().any(|j| (a..=b).contains(&j))) {
        Some((a, b)) => Err(format!(
            "the scout saw fg in the window's bg frames {a}-{b} too, which the map never entered: bg may show fg's footage twice"
        )),
        None => Ok(()),
    }
}

/// Which ends of bg a dense window left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowCuts {
    /// bg has frames before the window's first.
    pub start: bool,
    /// bg has frames after the window's last.
    pub end: bool,
}

/// `Err` when `MIN_RUN` or more consecutive fg frames matched nothing in the bg the alignment
/// was made from: they may lie in bg that was not searched (before a window, or behind a live
/// session's history), so the alignment is not verified; the whole-bg analysis (which looks
/// for such runs alone, `temporal::follow_outside_runs`) decides.
pub fn no_run_matched_nowhere(alignment: &Alignment) -> Result<(), String> {
    match outside_runs(&alignment.time).first() {
        Some(&(a, b)) => Err(format!(
            "fg frames {a}-{} match nothing in the bg searched: they may lie elsewhere in bg (a shot from earlier footage)",
            b - 1
        )),
        None => Ok(()),
    }
}

/// Whether the alignment of fg against a window of bg alone (bg frames numbered from the
/// window's first) saw all of fg's match: `Err` says why not, and the host then analyses fg
/// against the whole of bg.
pub fn window_held_fg(alignment: &Alignment, cuts: WindowCuts) -> Result<(), String> {
    let time = &alignment.time;
    let n = time.map.len();
    if n == 0 || alignment.bg_frames == 0 {
        return Err("the analysis of the window has no frames".into());
    }
    let matched = |i: usize| !time.is_outside(i);
    let (lowest, highest) =
        (0..n).filter(|&i| matched(i)).map(|i| time.map[i]).fold((u32::MAX, 0), |(lo, hi), j| (lo.min(j), hi.max(j)));
    let last_bg = alignment.bg_frames as u32 - 1;
    if cuts.start && (!matched(0) || lowest == 0) {
        return Err("fg's match reaches the window's first frame, and bg goes on before it".into());
    }
    if cuts.end && (!matched(n - 1) || highest >= last_bg) {
        return Err("fg's match reaches the window's last frame, and bg goes on after it".into());
    }
    no_run_matched_nowhere(alignment)?;
    if let Some(i) = (0..n).find(|&i| matched(i) && no_better_than_chance(time.confidence[i])) {
        return Err(format!("fg frame {i} is matched no better than by chance: its match may lie outside the window"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Rect;
    use crate::session::ScoutSpan;
    use crate::spatial::Placement;
    use crate::temporal::{MIN_RUN, TimeMap};

    const CUT_BOTH: WindowCuts = WindowCuts { start: true, end: true };

    /// An alignment of 10 fg frames over a window of 60 bg frames: fg frame i on `first + i`.
    fn relative(first: u32) -> Alignment {
        let content = Rect::new(0, 0, 16, 16);
        let placement = Placement {
            x: 0,
            y: 0,
            width: 16,
            height: 16,
            scale: 1.0,
            confidence: 1.0,
            content,
            x_subpixel: 0.0,
            y_subpixel: 0.0,
        };
        let time = TimeMap {
            map: (first..first + 10).collect(),
            outside: Vec::new(),
            cost: vec![0.0; 10],
            confidence: vec![1.0; 10],
            overall_confidence: 1.0,
            offset_seconds: 0.0,
            rate: 1.0,
        };
        Alignment { placement, fg_frames: 10, bg_frames: 60, time, media: None, placement_approximate: false }
    }

    #[test]
    fn a_match_inside_the_window_is_held() {
        assert_eq!(window_held_fg(&relative(20), CUT_BOTH), Ok(()));
    }

    #[test]
    fn a_match_at_a_cut_edge_or_outside_there_or_at_chance_is_not_held() {
        // fg's first frame on the window's first frame: fg may start before it.
        assert!(window_held_fg(&relative(0), CUT_BOTH).unwrap_err().contains("first frame"));
        // fg's last frame on the window's last: fg may go on after it.
        assert!(window_held_fg(&relative(50), CUT_BOTH).unwrap_err().contains("last frame"));
        // Either end outside bg.
        for end in [0u32, 9] {
            let mut a = relative(20);
            a.time.outside = vec![end];
            assert!(window_held_fg(&a, CUT_BOTH).is_err(), "outside at {end}");
        }
        // A long run matched nowhere in the window, even where the window cut nothing.
        let mut a = relative(20);
        a.time.map = (20..20 + MIN_RUN as u32 + 10).collect();
        a.time.cost = vec![0.0; MIN_RUN + 10];
        a.time.confidence = vec![1.0; MIN_RUN + 10];
        a.time.outside = (5..5 + MIN_RUN as u32).collect();
        let why = window_held_fg(&a, WindowCuts::default()).unwrap_err();
        assert!(why.contains(&format!("fg frames 5-{}", 4 + MIN_RUN)), "{why}");
        a.time.outside.pop();
        assert_eq!(window_held_fg(&a, WindowCuts::default()), Ok(()));
        let mut a = relative(20);
        a.time.confidence[5] = 0.0;
        assert!(window_held_fg(&a, CUT_BOTH).unwrap_err().contains("fg frame 5"));
        // An edge the window did not cut (bg's own start, end) holds.
        let uncut = WindowCuts::default();
        assert_eq!(window_held_fg(&relative(0), uncut), Ok(()));
        assert_eq!(window_held_fg(&relative(50), uncut), Ok(()));
        let mut empty = relative(0);
        empty.time.map.clear();
        assert!(window_held_fg(&empty, uncut).is_err());
    }

    #[test]
    fn a_span_the_map_never_entered_is_not_held() {
        // fg on window frames 20-29: a span there is entered, one at 40-55 (bg showing the
        // footage again) is not.
        let a = relative(20);
        assert_eq!(map_entered_every_span(&a, &[(15, 32)]), Ok(()));
        let why = map_entered_every_span(&a, &[(15, 32), (40, 55)]).unwrap_err();
        assert!(why.contains("bg frames 40-55") && why.contains("twice"), "{why}");
        // Frames outside bg do not enter a span.
        let mut a = relative(20);
        a.time.outside = (0..10).collect();
        assert!(map_entered_every_span(&a, &[(15, 32)]).is_err());
        // Shots in another order enter every span.
        let mut a = relative(20);
        a.time.map = (40..45).chain(20..25).collect();
        assert_eq!(map_entered_every_span(&a, &[(18, 26), (38, 46)]), Ok(()));
    }

    #[test]
    fn the_spans_read_are_the_dominant_one_or_all() {
        let dominant = found(vec![span(10.0, 20.0, 8), span(40.0, 45.0, 3)]);
        assert_eq!(dominant.read_spans().len(), 1);
        let alike = found(vec![span(10.0, 20.0, 8), span(40.0, 50.0, 7)]);
        assert_eq!(alike.read_spans().len(), 2);
    }

    fn found(spans: Vec<ScoutSpan>) -> ScoutReport {
        let placement = relative(0).placement;
        ScoutReport {
            answer: ScoutAnswer::Found { placement, spans },
            bg_samples: 30,
            fg_frames: 50,
            largest_gap_seconds: 2.0,
            best_score: 0.99,
        }
    }

    fn span(start: f64, end: f64, hits: usize) -> ScoutSpan {
        ScoutSpan { start_seconds: start, end_seconds: end, hits, best_score: 0.99 }
    }

    #[test]
    fn the_window_is_the_dominant_span_else_the_union() {
        let window = |spans| found(spans).dense_window().map(|w| (w.start_seconds, w.end_seconds));
        assert_eq!(window(vec![span(10.0, 20.0, 4), span(40.0, 50.0, 2)]), Some((10.0, 20.0)));
        assert_eq!(window(vec![span(10.0, 20.0, 3), span(40.0, 50.0, 2)]), Some((10.0, 50.0)));
        assert_eq!(window(vec![span(40.0, 50.0, 3), span(10.0, 20.0, 2)]), Some((10.0, 50.0)));
        assert_eq!(window(vec![]), None);
        let denser = ScoutReport { answer: ScoutAnswer::NeedDenser { every_seconds: 0.5 }, ..found(vec![]) };
        assert_eq!(denser.dense_window(), None);
    }
}
