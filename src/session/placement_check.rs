//! The placement checked on frame pairs the time map matched.
//!
//! A placement found on sample frames taken at different instants can be a pixel or several
//! off when the picture moves (a pan shifts the best match with the time difference). Once
//! the time map says which bg frame shows each fg frame's instant, the placement is searched
//! again on a few such pairs, with the bg frames either side of each (a placement a little off
//! matches the neighbouring bg frame about as well as the right one matches the right frame;
//! the true pair matches best). Every host gets this through the analyzer.

use crate::alignment::Alignment;
use crate::frame::FrameRef;
use crate::settings::Settings;
use crate::spatial::{Placement, locate, locate_near};
use crate::temporal::Track;

/// Matched frame pairs the placement is checked on.
pub const CHECK_PAIRS: usize = 3;
/// How far (pixels of the frames checked) a pair is searched around the placement.
pub const NEAR_RADIUS: u32 = 8;
/// At most this many times a moved placement is analysed again.
pub const CHECK_ROUNDS: usize = 3;

/// A placement checked on matched frame pairs.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub placement: Placement,
    /// Every pair matched best with the bg frame the time map gave it (not a neighbour), so
    /// the map stands with the checked placement.
    pub map_agrees: bool,
}

/// A move of a pixel or two changes the time map too little to be worth analysing again.
pub fn small_move(a: &Placement, b: &Placement) -> bool {
    (a.width, a.height) == (b.width, b.height) && (a.x - b.x).abs() <= 2 && (a.y - b.y).abs() <= 2
}

/// Whether two placements put the same rectangle at the same place.
pub fn same_box(a: &Placement, b: &Placement) -> bool {
    (a.x, a.y, a.width, a.height, a.content) == (b.x, b.y, b.width, b.height, b.content)
}

/// fg frames to check on their matched bg frames: preferably frames whose time falls on a bg
/// frame's time (bg then shows the very same instant, so motion cannot shift the match), then
/// the most confident. Spread over the matched frames so one shot does not decide alone.
pub fn pick_pairs(alignment: &Alignment, fg: &Track, bg: &Track, count: usize) -> Vec<usize> {
    let t = &alignment.time;
    let bg_period = bg.period().unwrap_or(1.0).max(1e-9);
    let off_grid = |i: usize| {
        let (Some(&fs), Some(&bs)) = (fg.seconds.get(i), bg.seconds.first()) else { return 0.5 };
        let pos = (fs + t.offset_seconds - bs) / bg_period;
        (pos - pos.round()).abs()
    };
    let matched: Vec<usize> = (0..alignment.fg_frames.min(t.map.len())).filter(|&i| !t.is_outside(i)).collect();
    if matched.is_empty() {
        return Vec::new();
    }
    // The best frame of each of `count` equal parts of the matched frames.
    let parts = count.min(matched.len()).max(1);
    let mut picks: Vec<usize> = (0..parts)
        .filter_map(|p| {
            let part = &matched[p * matched.len() / parts..(p + 1) * matched.len() / parts];
            part.iter().copied().min_by(|&a, &b| {
                let key = |i: usize| ((off_grid(i) * 20.0).round(), -(t.confidence[i] as f64));
                let (ka, kb) = (key(a), key(b));
                ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
            })
        })
        .collect();
    picks.sort_unstable();
    picks
}

/// The placement on one matched pair: a search near `around`, or of the whole frame when the
/// best lies on the edge of that neighbourhood (it may be further out).
pub fn check_pair(fg: &FrameRef<'_>, bg: &FrameRef<'_>, around: &Placement, settings: &Settings) -> Option<Placement> {
    match locate_near(fg, bg, around, NEAR_RADIUS) {
        Some(p) if (p.x - around.x).abs() < NEAR_RADIUS as i32 && (p.y - around.y).abs() < NEAR_RADIUS as i32 => {
            Some(p)
        }
        // A search of the whole frame, kept only when it sees the same content box (one frame's
        // dark rows are not bars).
        _ => {
            let pinned = Settings { scale_search: false, ..settings.clone() };
            locate(&[*fg], &[*bg], &pinned)
                .ok()
                .filter(|p| p.content == around.content && (p.scale - around.scale).abs() < 1e-9)
        }
    }
}

/// Scales within this factor of a placement's are searched again at full resolution: the
/// copies a placement is first found on measure the scale to a few percent.
const SCALE_RECHECK: f64 = 1.08;

/// The scale measured again on one full-size matched pair, near `around`'s (which the
/// analyzer's small copies measured), when `around` is not at scale 1. `None` when the search
/// does not see the same content box.
pub fn refine_scale(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    settings: &Settings,
) -> Option<Placement> {
    if !settings.scale_search || around.scale == 1.0 {
        return None;
    }
    let near = Settings {
        scale_min: (around.scale / SCALE_RECHECK).max(settings.scale_min),
        scale_max: (around.scale * SCALE_RECHECK).min(settings.scale_max),
        min_confidence: 0.0,
        ..settings.clone()
    };
    locate(&[*fg], &[*bg], &near).ok().filter(|p| p.content == around.content)
}

/// One fg frame and the bg frames around its match, as the check sees them.
pub struct PairFrames<'a> {
    pub fg: FrameRef<'a>,
    /// (bg frame index, frame) for the matched bg frame and its neighbours.
    pub bg: Vec<(usize, FrameRef<'a>)>,
    /// The bg frame the time map gave.
    pub mapped: usize,
}

/// Checks `around` on each pair's frames: the best-scoring placement over all pairs, and
/// whether each pair's best bg frame was the mapped one. `None` when no pair could be checked.
pub fn check_on_pairs(pairs: &[PairFrames<'_>], around: &Placement, settings: &Settings) -> Option<Checked> {
    let mut best = PairsChecked::default();
    for pair in pairs {
        best.add(pair, around, settings);
    }
    best.result()
}

/// The check over pairs seen one at a time (so only one pair's frames need be held).
#[derive(Default)]
pub struct PairsChecked {
    best: Option<Placement>,
    disagreed: bool,
}

impl PairsChecked {
    pub fn add(&mut self, pair: &PairFrames<'_>, around: &Placement, settings: &Settings) {
        let mut pick_best: Option<(Placement, usize)> = None;
        for (j, bg) in &pair.bg {
            if let Some(p) = check_pair(&pair.fg, bg, around, settings)
                && pick_best.as_ref().is_none_or(|(q, _)| p.confidence > q.confidence)
            {
                pick_best = Some((p, *j));
            }
        }
        if let Some((p, j)) = pick_best {
            self.disagreed |= j != pair.mapped;
            if self.best.is_none_or(|b| p.confidence > b.confidence) {
                self.best = Some(p);
            }
        }
    }

    pub fn result(&self) -> Option<Checked> {
        self.best.map(|placement| Checked { placement, map_agrees: !self.disagreed })
    }
}
