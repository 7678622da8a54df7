//! The report a file job writes beside its output: the alignment's JSON, then what the job
//! cost (frames decoded per stage, the path taken, the scout's verdict, milliseconds per stage).
//! These are the command line's numbers, not the library's: the alignment a C host saves has
//! none of them.

use std::fmt::Write as _;

use crate::alignment::{Alignment, Num};

/// Milliseconds spent in each stage (for reports).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Decoding, both passes (`decode_analysis + decode_composite`).
    pub decode: f64,
    /// Decoding in pass 1 (the analysis), on the decoder threads.
    pub decode_analysis: f64,
    /// Decoding in pass 2 (the composite), on the decoder threads.
    pub decode_composite: f64,
    /// The analyzer, all of it (describing frames, placement, time map, check).
    pub analyze: f64,
    /// Parts of `analyze`: the placement search, the time map, the placement check.
    pub placement: f64,
    pub time_map: f64,
    pub placement_check: f64,
    pub compose: f64,
    pub encode: f64,
    pub total: f64,
    /// Frames decoded per input (`[fg, bg]`) for each stage, when a job knows them.
    pub frames_decoded: Option<FramesDecoded>,
    /// Whether the job ran in one pass (the live session) rather than two.
    pub one_pass: bool,
    /// What the scout did, when the job ran it.
    pub scout: Option<ScoutCost>,
}

/// A job's scout: its verdict (`"window"` when bg was read only in the span it found, else
/// why all of bg was read), the span (seconds of bg) and its time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoutCost {
    pub verdict: &'static str,
    pub span_seconds: Option<(f64, f64)>,
    pub ms: f64,
}

/// Frames a job decoded from each input (`[fg, bg]`), per stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramesDecoded {
    /// Pass 1: the analysis (every frame once).
    pub analysis: [u64; 2],
    /// Frames the analyzer asked for to check its placement on matched pairs (including
    /// those decoded on the way to them).
    pub placement_check: [u64; 2],
    /// Pass 2: the composite.
    pub composite: [u64; 2],
    /// The one pass of a job that ran the live session (its only decoding).
    pub one_pass: [u64; 2],
    /// The scout: fg whole, bg's keyframes.
    pub scout: [u64; 2],
}

impl FramesDecoded {
    /// Every frame decoded from each input, `[fg, bg]`.
    pub fn total(&self) -> [u64; 2] {
        [0, 1]
            .map(|k| self.analysis[k] + self.placement_check[k] + self.composite[k] + self.one_pass[k] + self.scout[k])
    }
}

/// The alignment's JSON with `timings` added.
pub fn report_json(alignment: &Alignment, timings: &Timings) -> String {
    let mut s = alignment.to_json();
    // The alignment's object is closed last: reopened to add the job's fields.
    debug_assert!(s.ends_with("}\n"));
    s.truncate(s.len() - 2);
    if let Some(d) = timings.frames_decoded {
        let pair = |[fg, bg]: [u64; 2]| format!("{{\"fg\": {fg}, \"bg\": {bg}}}");
        let [fg, bg] = d.total();
        let _ = write!(
            s,
            ",\n \"frames_decoded\": {{\"fg\": {fg}, \"bg\": {bg}, \"scout\": {}, \"analysis\": {}, \"placement_check\": {}, \"composite\": {}, \"one_pass\": {}}}",
            pair(d.scout),
            pair(d.analysis),
            pair(d.placement_check),
            pair(d.composite),
            pair(d.one_pass)
        );
    }
    {
        let tm = timings;
        let windowed = tm.scout.is_some_and(|c| c.span_seconds.is_some());
        let path = match (windowed, tm.one_pass) {
            (true, true) => "scout+one-pass",
            (_, true) => "one-pass",
            (true, false) => "scout+two-pass",
            (false, false) => "two-pass",
        };
        let _ = write!(s, ",\n \"path\": \"{path}\"");
        if let Some(c) = tm.scout {
            let span = c.span_seconds.map_or("null".to_string(), |(a, b)| format!("[{:.3}, {:.3}]", Num(a), Num(b)));
            let _ = write!(
                s,
                ",\n \"scout\": {{\"verdict\": \"{}\", \"span_seconds\": {span}, \"ms\": {:.3}}}",
                c.verdict,
                Num(c.ms)
            );
        }
        let _ = write!(
            s,
            ",\n \"timings_ms\": {{\"decode\": {:.3}, \"decode_analysis\": {:.3}, \"decode_composite\": {:.3}, \"analyze\": {:.3}, \"placement\": {:.3}, \"time_map\": {:.3}, \"placement_check\": {:.3}, \"compose\": {:.3}, \"encode\": {:.3}, \"total\": {:.3}}}",
            Num(tm.decode),
            Num(tm.decode_analysis),
            Num(tm.decode_composite),
            Num(tm.analyze),
            Num(tm.placement),
            Num(tm.time_map),
            Num(tm.placement_check),
            Num(tm.compose),
            Num(tm.encode),
            Num(tm.total)
        );
    }
    s.push_str("}\n");
    s
}
