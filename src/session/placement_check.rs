//! The placement checked on frame pairs the time map matched.
//!
//! A placement found on sample frames taken at different instants can be a pixel or several
//! off when the picture moves (a pan shifts the best match with the time difference). Once
//! the time map says which bg frame shows each fg frame's instant, the placement is searched
//! again on a few such pairs, with the bg frames either side of each (a placement a little off
//! matches the neighbouring bg frame about as well as the right one matches the right frame;
//! the true pair matches best). Every host gets this through the analyzer.

use crate::alignment::Alignment;
use crate::frame::{FrameRef, Rect};
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

/// The placement on one pair: a search near `around`, or of the whole frame when the best
/// lies on the edge of that neighbourhood (it may be further out); then the position voted by
/// tiles of fg (`tile_vote`), with each tile's score.
pub fn check_pair(fg: &FrameRef<'_>, bg: &FrameRef<'_>, around: &Placement, settings: &Settings) -> Option<TileVote> {
    let whole = match locate_near(fg, bg, around, NEAR_RADIUS) {
        Some(p) if (p.x - around.x).abs() < NEAR_RADIUS as i32 && (p.y - around.y).abs() < NEAR_RADIUS as i32 => p,
        // A search of the whole frame, kept only when it sees the same content box (one frame's
        // dark rows are not bars).
        _ => {
            let pinned = Settings { scale_search: false, ..settings.clone() };
            locate(&[*fg], &[*bg], &pinned)
                .ok()
                .filter(|p| p.content == around.content && (p.scale - around.scale).abs() < 1e-9)?
        }
    };
    Some(tile_vote(fg, bg, &whole).unwrap_or(TileVote { placement: whole, tiles: Vec::new() }))
}

/// Tiles of fg's content, per side, that vote on the position.
const TILES: u32 = 3;
/// How far (pixels) each tile is searched around the whole template's position.
const TILE_RADIUS: u32 = 3;
/// Tiles scoring under this count as not found.
const TILE_MIN_SCORE: f64 = 0.5;
/// Tiles whose best score is further than this below the typical tile's are left out when
/// choosing between bg frames.
const TILE_KEEP_MARGIN: f64 = 0.05;

/// A position voted by tiles, and each tile's best score there (`None`: not found).
#[derive(Debug, Clone)]
pub struct TileVote {
    pub placement: Placement,
    pub tiles: Vec<Option<f64>>,
}

/// The position as the median of a 3x3 grid of fg's tiles, each searched near `whole`.
/// Graphics burned into fg that bg lacks (a logo box, a caption, a moving box) pull the whole
/// template's best match a pixel or two towards wherever bg's brightness suits them; they
/// cover few tiles, and the median of the tiles' offsets ignores those. `None` when fewer
/// than half the tiles were found.
fn tile_vote(fg: &FrameRef<'_>, bg: &FrameRef<'_>, whole: &Placement) -> Option<TileVote> {
    let c = whole.content;
    if c.width < 8 * TILES || c.height < 8 * TILES {
        return None;
    }
    let (mut dx, mut dy, mut tiles) = (Vec::new(), Vec::new(), Vec::new());
    for ty in 0..TILES {
        for tx in 0..TILES {
            let x0 = c.x + c.width * tx / TILES;
            let y0 = c.y + c.height * ty / TILES;
            let tile = Rect::new(x0, y0, c.x + c.width * (tx + 1) / TILES - x0, c.y + c.height * (ty + 1) / TILES - y0);
            let at = |from: u32, origin: u32, start: f64| start + (from - origin) as f64 * whole.scale;
            let (ex, ey) = (at(tile.x, c.x, whole.x_subpixel), at(tile.y, c.y, whole.y_subpixel));
            let expected = Placement {
                x: ex.round() as i32,
                y: ey.round() as i32,
                width: ((tile.width as f64 * whole.scale).round() as u32).max(1),
                height: ((tile.height as f64 * whole.scale).round() as u32).max(1),
                content: tile,
                x_subpixel: ex,
                y_subpixel: ey,
                ..*whole
            };
            let found = locate_near(fg, bg, &expected, TILE_RADIUS).filter(|f| f.confidence >= TILE_MIN_SCORE);
            if let Some(f) = &found {
                dx.push(f.x_subpixel - ex);
                dy.push(f.y_subpixel - ey);
            }
            tiles.push(found.map(|f| f.confidence));
        }
    }
    if dx.len() * 2 < (TILES * TILES) as usize {
        return None;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
    };
    let (x_subpixel, y_subpixel) = (whole.x_subpixel + median(&mut dx), whole.y_subpixel + median(&mut dy));
    let placement =
        Placement { x: x_subpixel.round() as i32, y: y_subpixel.round() as i32, x_subpixel, y_subpixel, ..*whole };
    Some(TileVote { placement, tiles })
}

/// Of the votes on one fg frame against several bg frames, the bg frame that matches best.
/// Tiles that match well on none of them (their best score well below the typical tile's)
/// show something bg lacks (graphics): they are left out of every frame's score, so they cannot tilt the choice, while tiles showing motion (found on the
/// right frame only) decide it. Each frame's score is the mean over the tiles kept (the whole
/// template's score when there are no tiles). Returns the index into `votes` and the score.
pub fn best_frame(votes: &[TileVote]) -> Option<(usize, f64)> {
    let tiles = votes.iter().map(|v| v.tiles.len()).max()?;
    // Each tile's best score over the frames: graphics keep a tile's best low everywhere.
    let best: Vec<Option<f64>> = (0..tiles)
        .map(|t| votes.iter().filter_map(|v| v.tiles.get(t).copied().flatten()).max_by(f64::total_cmp))
        .collect();
    let mut found: Vec<f64> = best.iter().flatten().copied().collect();
    found.sort_by(f64::total_cmp);
    let typical = found.get(found.len() / 2).copied().unwrap_or(0.0);
    let kept: Vec<usize> = (0..tiles).filter(|&t| best[t].is_some_and(|b| b >= typical - TILE_KEEP_MARGIN)).collect();
    let score = |v: &TileVote| -> f64 {
        if kept.is_empty() || v.tiles.is_empty() {
            return v.placement.confidence;
        }
        kept.iter().map(|&t| v.tiles.get(t).copied().flatten().unwrap_or(0.0)).sum::<f64>() / kept.len() as f64
    };
    votes.iter().enumerate().map(|(k, v)| (k, score(v))).max_by(|a, b| a.1.total_cmp(&b.1))
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

/// The check over pairs seen one at a time (so only one pair's frames need be held).
#[derive(Default)]
pub struct PairsChecked {
    best: Option<Placement>,
    disagreed: bool,
}

impl PairsChecked {
    pub fn add(&mut self, pair: &PairFrames<'_>, around: &Placement, settings: &Settings) {
        let votes: Vec<(usize, TileVote)> =
            pair.bg.iter().filter_map(|(j, bg)| check_pair(&pair.fg, bg, around, settings).map(|v| (*j, v))).collect();
        let just_votes: Vec<TileVote> = votes.iter().map(|(_, v)| v.clone()).collect();
        if let Some((k, score)) = best_frame(&just_votes) {
            let (j, vote) = &votes[k];
            self.disagreed |= *j != pair.mapped;
            let p = Placement { confidence: score, ..vote.placement };
            if self.best.is_none_or(|b| p.confidence > b.confidence) {
                self.best = Some(p);
            }
        }
    }

    pub fn result(&self) -> Option<Checked> {
        self.best.map(|placement| Checked { placement, map_agrees: !self.disagreed })
    }
}
