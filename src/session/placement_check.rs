//! The placement checked on frame pairs the time map matched.
//!
//! A placement found on sample frames taken at different instants can be a pixel or several
//! off when the picture moves (a pan shifts the best match with the time difference). Once
//! the time map says which bg frame shows each fg frame's instant, the placement is searched
//! again on a few such pairs, with the bg frames either side of each (a placement a little off
//! matches the neighbouring bg frame about as well as the right one matches the right frame;
//! the true pair matches best, and a neighbour wins only by a clear margin, since a blurred
//! pan makes near-ties). Every host gets this through the analyzer.

use crate::alignment::Alignment;
use crate::frame::{FrameRef, Rect};
use crate::settings::Settings;
use crate::spatial::{
    NearScores, NearTemplate, Placement, bars_given_back, fit_box, locate_content, locate_near, locate_near_except,
    most_confident,
};
use crate::temporal::Track;
use crate::workers;

/// Matched frame pairs the placement is checked on.
pub const CHECK_PAIRS: usize = 3;
/// Most pixels a pair is searched around the placement (the search costs the square of it;
/// callers pass what their placement's precision needs, `near_radius`).
pub const NEAR_RADIUS: u32 = 8;

/// The search radius for a placement found on copies `shrink` times smaller than the frames:
/// a copy pixel and a pixel more, within 2..=`NEAR_RADIUS`.
pub fn near_radius(shrink: u32) -> u32 {
    (shrink + 1).clamp(2, NEAR_RADIUS)
}
/// At most this many times a moved placement is analysed again.
pub const CHECK_ROUNDS: usize = 3;

/// A placement checked on matched frame pairs.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub placement: Placement,
    /// Every pair matched best with the bg frame the time map gave it (not a neighbour), so
    /// the map stands with the checked placement.
    pub map_agrees: bool,
    /// Pairs checked at one position for all, and those of them whose mapped bg frame and
    /// its neighbours score within `FRAMES_ALIKE` of each other there (0 of 0 when the pairs
    /// were judged alone).
    pub pairs: usize,
    pub frames_alike: usize,
    /// fg's content with the bars every pair gave back (`bars_given_back`), when wider than
    /// the placement's: the content to paste once the placement stands. The time map needs no
    /// second look, as what is given back is black in fg's samples.
    pub content_given_back: Option<Rect>,
}

/// Neighbouring bg frames whose full-size pictures score within this of each other against
/// fg's cannot be told apart: which of them fg shows is not verified. Measured on the
/// accuracy table's pairs (3 checked pairs each): a dark, nearly still corner of the
/// interview scores its mapped frame at most 2.3e-5 from its neighbours; every other
/// matching family's mapped frame beats its neighbours by at least 1.3e-3.
pub const FRAMES_ALIKE: f64 = 1e-4;
/// Whether every neighbour's score lies within `threshold` of the mapped frame's. A bg of one
/// frame has no neighbour to mistake: that is not a tie.
pub fn scores_alike(mapped: f64, neighbours: impl IntoIterator<Item = f64>, threshold: f64) -> bool {
    let mut any = false;
    neighbours.into_iter().all(|n| {
        any = true;
        (n - mapped).abs() < threshold
    }) && any
}

/// The same on the analyzer's reduced copies, when no full-size frame is at hand. Measured
/// there (3 pairs each): the still backdrop 1.4e-5 at most, every other matching family
/// 7.9e-4 or more.
pub const FRAMES_ALIKE_ON_COPIES: f64 = 1e-4;

/// A move of a pixel or two changes the time map too little to be worth analysing again.
pub fn small_move(a: &Placement, b: &Placement) -> bool {
    (a.width, a.height) == (b.width, b.height) && (a.x - b.x).abs() <= 2 && (a.y - b.y).abs() <= 2
}

/// Whether two placements put the same rectangle at the same place.
pub fn same_box(a: &Placement, b: &Placement) -> bool {
    (a.x, a.y, a.width, a.height, a.content) == (b.x, b.y, b.width, b.height, b.content)
}

/// Confidence a pick may give up, within its part, for a pair cheaper to give (see
/// `pick_pairs`): matched frames mostly score above 0.98, so this keeps to the good ones.
pub const CHEAP_PICK_SLACK: f32 = 0.01;

/// fg frames to check on their matched bg frames: preferably frames whose time falls on a bg
/// frame's time (bg then shows the very same instant, so motion cannot shift the match), then
/// the most confident, or within `CHEAP_PICK_SLACK` of it the cheapest by `cost` (what
/// fetching fg frame i's pair costs the host; ties go to the more confident). Spread over the
/// matched frames so one shot does not decide alone.
pub fn pick_pairs(
    alignment: &Alignment,
    fg: &Track,
    bg: &Track,
    count: usize,
    cost: impl Fn(usize) -> u64,
) -> Vec<usize> {
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
    // The pick of each of `count` equal parts of the matched frames.
    let parts = count.min(matched.len()).max(1);
    let mut picks: Vec<usize> = (0..parts)
        .filter_map(|p| {
            let part = &matched[p * matched.len() / parts..(p + 1) * matched.len() / parts];
            let grid = |i: usize| (off_grid(i) * 20.0).round();
            let nearest = part.iter().map(|&i| grid(i)).min_by(f64::total_cmp)?;
            let on_grid: Vec<usize> = part.iter().copied().filter(|&i| grid(i) == nearest).collect();
            let top = on_grid.iter().map(|&i| t.confidence[i]).fold(f32::NEG_INFINITY, f32::max);
            on_grid
                .into_iter()
                .filter(|&i| t.confidence[i] >= top - CHEAP_PICK_SLACK)
                .min_by(|&a, &b| cost(a).cmp(&cost(b)).then(t.confidence[b].total_cmp(&t.confidence[a])))
        })
        .collect();
    picks.sort_unstable();
    picks
}

/// Tiles of fg's content, per side.
const TILES: u32 = 3;
/// Tiles scoring under this count as not found.
const TILE_MIN_SCORE: f64 = 0.5;
/// Fewest tiles that must match somewhere for the rest to be left out. Not half of them: in a
/// dark picture the tiles over black match nowhere (a flat tile has no correlation), and
/// leaving them out costs nothing, while comparing on a box they surround moved the match.
const MIN_TILES_FOUND: usize = 3;
/// Tiles whose best score is further than this below the typical tile's are left out.
const TILE_KEEP_MARGIN: f64 = 0.05;

/// The tiles of a content box (3x3 grid, row by row).
fn tiles_of(c: Rect) -> Vec<Rect> {
    let mut tiles = Vec::with_capacity((TILES * TILES) as usize);
    for ty in 0..TILES {
        for tx in 0..TILES {
            let x0 = c.x + c.width * tx / TILES;
            let y0 = c.y + c.height * ty / TILES;
            tiles.push(Rect::new(
                x0,
                y0,
                c.x + c.width * (tx + 1) / TILES - x0,
                c.y + c.height * (ty + 1) / TILES - y0,
            ));
        }
    }
    tiles
}

/// A tile's best score within `radius` of where `around` puts it; `None` under
/// `TILE_MIN_SCORE` or on the edge of the window (the true position may lie beyond).
fn tile_score(fg: &FrameRef<'_>, bg: &FrameRef<'_>, around: &Placement, tile: Rect, radius: u32) -> Option<f64> {
    let c = around.content;
    let at = |from: u32, origin: u32, start: f64| start + (from - origin) as f64 * around.scale;
    let (ex, ey) = (at(tile.x, c.x, around.x_subpixel), at(tile.y, c.y, around.y_subpixel));
    let expected = Placement {
        x: ex.round() as i32,
        y: ey.round() as i32,
        width: ((tile.width as f64 * around.scale).round() as u32).max(1),
        height: ((tile.height as f64 * around.scale).round() as u32).max(1),
        content: tile,
        x_subpixel: ex,
        y_subpixel: ey,
        ..*around
    };
    let f = locate_near(fg, bg, &expected, radius)?;
    let r = radius as i32;
    let inside = (f.x - expected.x).abs() < r && (f.y - expected.y).abs() < r;
    (f.confidence >= TILE_MIN_SCORE && inside).then_some(f.confidence)
}

/// The parts of fg's content that show something bg lacks (a logo box, a caption plate, a
/// moving box): the tiles that match on none of the `bg` frames as well as the typical tile
/// does on its best. Left out of the comparison, they can pull neither the position (a flat
/// box correlates with bg's local brightness and moved the match by a pixel or two) nor the
/// choice of bg frame; tiles showing motion match well on the right frame, so they stay and
/// decide it. `None` when fewer than `MIN_TILES_FOUND` tiles match anywhere.
pub fn graphics_tiles(
    fg: &FrameRef<'_>,
    bg: &[FrameRef<'_>],
    around: &Placement,
    radius: u32,
    helpers: usize,
) -> Option<Vec<Rect>> {
    let c = around.content;
    if c.width < 8 * TILES || c.height < 8 * TILES {
        return Some(Vec::new());
    }
    let tiles = tiles_of(c);
    let best: Vec<Option<f64>> = workers::map(helpers, &tiles, |&t| {
        bg.iter().filter_map(|b| tile_score(fg, b, around, t, radius)).max_by(f64::total_cmp)
    });
    let mut found: Vec<f64> = best.iter().flatten().copied().collect();
    if found.len() < MIN_TILES_FOUND {
        return None;
    }
    found.sort_by(f64::total_cmp);
    let typical = found[found.len() / 2];
    Some(
        tiles
            .into_iter()
            .zip(best)
            .filter(|(_, b)| b.is_none_or(|b| b < typical - TILE_KEEP_MARGIN))
            .map(|(t, _)| t)
            .collect(),
    )
}

/// The placement on one pair whose best within `radius` of `around` lay on that
/// neighbourhood's edge (or whose neighbourhood did not fit): the whole template, `except`
/// left out, searched within `NEAR_RADIUS` when that is wider, else over the whole frame (it
/// may be further out).
pub fn check_pair_beyond(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    radius: u32,
    except: &[Rect],
    settings: &Settings,
) -> Option<Placement> {
    if NEAR_RADIUS > radius {
        let r = NEAR_RADIUS;
        if let Some(p) = locate_near_except(fg, bg, around, r, except)
            && (p.x - around.x).abs() < r as i32
            && (p.y - around.y).abs() < r as i32
        {
            return Some(p);
        }
    }
    // A search of the whole frame for the same content box at the same scale.
    let pinned = Settings { scale_search: false, min_confidence: 0.0, ..settings.clone() };
    locate_content(fg, bg, around.content, &pinned).ok().filter(|p| (p.scale - around.scale).abs() < 1e-9)
}

/// Scales within this factor of a placement's are searched again at full resolution: the
/// copies a placement is first found on measure the scale to a few percent.
const SCALE_RECHECK: f64 = 1.08;

/// The scale measured again on one full-size matched pair, near `around`'s (which the
/// analyzer's small copies measured), when `around` is not at scale 1: the width climbed a
/// bg pixel at a time while the full-size score improves, each width searched near the best
/// centre so far, at most `SCALE_RECHECK` away. The copies measure the scale to a pixel of
/// theirs, several of bg's: on the film's crop enlarged to 854x480 (truth 640 wide, 0.7494)
/// the copies gave 643, where the full-size scores peak at 640 (0.9934 against 0.9910 at
/// 643). Then the box is fitted to a fraction of a pixel (`fitted`). `None` when no width can
/// be searched (the box leaves bg).
pub fn refine_scale(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    settings: &Settings,
) -> Option<Placement> {
    if !settings.scale_search || around.scale == 1.0 {
        return None;
    }
    let c = around.content;
    let allowed = |w: i64| {
        let scale = w as f64 / c.width as f64;
        w >= 1
            && scale >= (around.scale / SCALE_RECHECK).max(settings.scale_min)
            && scale <= (around.scale * SCALE_RECHECK).min(settings.scale_max)
    };
    // The best placement at width `w`, searched around `from`'s centre.
    let at_width = |w: i64, from: &Placement| {
        let (cx, cy) = (from.x_subpixel + from.width as f64 / 2.0, from.y_subpixel + from.height as f64 / 2.0);
        let scale = w as f64 / c.width as f64;
        let h = c.height as f64 * scale;
        let candidate = from.with_box(c, scale, cx - w as f64 / 2.0, cy - h / 2.0);
        allowed(w).then(|| locate_near(fg, bg, &candidate, CLIMB_RADIUS)).flatten()
    };
    let w0 = around.width as i64;
    let mut best = at_width(w0, around)?;
    for step in [-1i64, 1] {
        let mut w = w0;
        while let Some(next) = at_width(w + step, &best).filter(|n| n.confidence > best.confidence) {
            (best, w) = (next, w + step);
        }
        if w != w0 {
            break; // climbed one way: the other side of the peak is lower
        }
    }
    Some(fitted(fg, bg, &best, allowed).unwrap_or(best))
}

/// A fitted box may score this much below the climb's best and still be taken: where the
/// scores are this flat in the width, their peak is noise (see `spatial::fit`).
const FIT_SLACK: f64 = 1e-3;

/// `climbed` moved to the box `fit_box` measures, at the whole pixels nearest it, when that
/// scores within `FIT_SLACK` of `climbed` (a fit gone astray scores lower) at an allowed
/// width. Where the score is flat in the width, the climb stops at the first width that
/// scores lower: on the film's crop enlarged twice, 636 or 638 wide by the pair, where the
/// fit says 639.6-639.9 from wherever it starts. Taking the fit also ends the climb's
/// dependence on where it started, which made the check's rounds swing between two widths.
fn fitted(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    climbed: &Placement,
    allowed: impl Fn(i64) -> bool,
) -> Option<Placement> {
    let fit = fit_box(fg, bg, climbed)?;
    let candidate = climbed.with_box(climbed.content, fit.scale, fit.x, fit.y);
    if !allowed(candidate.width as i64) {
        return None;
    }
    locate_near(fg, bg, &candidate, 1).filter(|p| p.confidence >= climbed.confidence - FIT_SLACK)
}

/// Pixels the position is searched around at each width of the climb (the centre moves by
/// half a pixel a width).
const CLIMB_RADIUS: u32 = 2;

/// A neighbouring bg frame must match better than the mapped one by this much to win. In a
/// blurred pan, the frame before at a pixel over scores within 2e-4 of the true pair (the
/// blur hides the pixel the pan adds): a tie, which the time map, from every frame, decides.
/// A map a frame off loses by far more (0.98 against 0.999 on the pans measured).
const NEIGHBOUR_MARGIN: f64 = 1e-3;

/// The mapped bg frame's placement, unless a neighbour's scores clearly better
/// (`NEIGHBOUR_MARGIN`); the best when the mapped frame gave none.
fn mapped_unless_beaten(found: &[(usize, Placement)], mapped: usize) -> Option<(usize, Placement)> {
    let best = most_confident(found.iter().copied(), |(_, p)| p)?;
    match found.iter().find(|(j, _)| *j == mapped) {
        Some(&m) if best.1.confidence <= m.1.confidence + NEIGHBOUR_MARGIN => Some(m),
        _ => Some(best),
    }
}

/// One fg frame and the bg frames around its match, as the check sees them.
pub struct PairFrames<'a> {
    pub fg: FrameRef<'a>,
    /// (bg frame index, frame) for the matched bg frame and its neighbours.
    pub bg: Vec<(usize, FrameRef<'a>)>,
    /// The bg frame the time map gave.
    pub mapped: usize,
}

/// One pair's scores around the placement: the mapped bg frame's and its neighbours'.
struct PairScores {
    mapped: NearScores,
    neighbours: Vec<NearScores>,
    /// Which of `neighbours` are the mapped frame's next neighbours (a frame either side):
    /// those are what `FRAMES_ALIKE` is measured against.
    next_to_mapped: Vec<bool>,
}

/// The check over pairs seen one at a time (so only one pair's frames need be held).
///
/// Every pair's scores around the placement are kept, and the placement is the one position
/// that scores best summed over the pairs: on the mapped bg frames, unless letting each pair
/// take a neighbour instead scores clearly better (`NEIGHBOUR_MARGIN` a pair). One position
/// for all pairs is what tells a pan's lookalike from the truth: a bg frame a frame off at a
/// pixel over matches one pair as well as the right one does, but pairs where the pan runs
/// at another speed, or the other way, put that lookalike elsewhere. When a pair's best lies
/// beyond the searched neighbourhood, each pair is judged on its own (its best position, the
/// mapped frame unless a neighbour beats it), and the best-scoring pair's position wins.
#[derive(Default)]
pub struct PairsChecked {
    best: Option<Placement>,
    disagreed: bool,
    around: Option<Placement>,
    pairs: Vec<PairScores>,
    /// A pair was judged beyond the neighbourhood (or without its mapped frame): no common
    /// position.
    judged_alone: bool,
    radius: u32,
    /// fg's content with the bars every pair so far gave back (`bars_given_back`); `None`
    /// before the first pair.
    given_back: Option<Rect>,
}

impl PairsChecked {
    /// Checks `around` on one pair: graphics left out (`graphics_tiles`), the bg frame whose
    /// search scores best wins.
    pub fn add(&mut self, pair: &PairFrames<'_>, around: &Placement, radius: u32, settings: &Settings) {
        self.note_bars_given_back(pair, around);
        let frames: Vec<FrameRef<'_>> = pair.bg.iter().map(|(_, f)| *f).collect();
        let helpers = workers::helpers(settings.threads);
        let except = graphics_tiles(&pair.fg, &frames, around, radius, helpers)
            .or_else(|| graphics_tiles(&pair.fg, &frames, around, NEAR_RADIUS, helpers))
            .unwrap_or_default();
        let r = radius as i32;
        let within = |s: &NearScores| {
            s.best().is_some_and(|(dx, dy)| ((s.x0 + dx) - around.x).abs() < r && ((s.y0 + dy) - around.y).abs() < r)
        };
        let template = NearTemplate::new(&pair.fg, around, &except);
        // Each bg frame on a thread of its own (the setting "threads"): full-size searches,
        // with the graphics tiles above most of a check's time.
        let searched = workers::map(helpers, &pair.bg, |(j, bg)| {
            let surface = template.as_ref().and_then(|t| t.scores_in(bg, radius));
            let p = match surface.as_ref().filter(|s| within(s)) {
                Some(s) => s.best().map(|(dx, dy)| s.placement_at(dx, dy, around)),
                // The neighbourhood's scores are in hand: searched only beyond it.
                None => check_pair_beyond(&pair.fg, bg, around, radius, &except, settings),
            };
            ((*j, surface), p.map(|p| (*j, p)))
        });
        let found: Vec<(usize, Placement)> = searched.iter().filter_map(|(_, p)| *p).collect();
        let surfaces: Vec<(usize, Option<NearScores>)> = searched.into_iter().map(|(surface, _)| surface).collect();
        if let Some((j, p)) = mapped_unless_beaten(&found, pair.mapped) {
            self.disagreed |= j != pair.mapped;
            if self.best.is_none_or(|b| p.confidence > b.confidence) {
                self.best = Some(p);
            }
        }
        self.keep_scores(surfaces, pair.mapped, around, radius);
    }

    fn keep_scores(
        &mut self,
        surfaces: Vec<(usize, Option<NearScores>)>,
        mapped: usize,
        around: &Placement,
        radius: u32,
    ) {
        if self.around.is_some_and(|a| !same_box(&a, around)) || surfaces.iter().any(|(_, s)| s.is_none()) {
            self.judged_alone = true;
            return;
        }
        (self.around, self.radius) = (Some(*around), radius);
        let (mut at_mapped, mut neighbours, mut next_to_mapped) = (None, Vec::new(), Vec::new());
        for (j, s) in surfaces.into_iter() {
            let s = s.expect("checked above");
            if j == mapped {
                at_mapped = Some(s)
            } else {
                neighbours.push(s);
                next_to_mapped.push(j.abs_diff(mapped) == 1);
            }
        }
        match at_mapped {
            Some(mapped) => self.pairs.push(PairScores { mapped, neighbours, next_to_mapped }),
            None => self.judged_alone = true,
        }
    }

    /// Narrows `given_back` to what this pair also gives back with its mapped bg frame (a pair
    /// without its mapped frame gives nothing back).
    fn note_bars_given_back(&mut self, pair: &PairFrames<'_>, around: &Placement) {
        let back = match pair.bg.iter().find(|(j, _)| *j == pair.mapped) {
            Some((_, bg)) => bars_given_back(&pair.fg, bg, around),
            None => around.content,
        };
        self.given_back = Some(match self.given_back {
            None => back,
            Some(d) => {
                let (x0, y0) = (d.x.max(back.x), d.y.max(back.y));
                let (x1, y1) = ((d.x + d.width).min(back.x + back.width), (d.y + d.height).min(back.y + back.height));
                Rect::new(x0, y0, x1 - x0, y1 - y0)
            }
        });
    }

    pub fn result(&self) -> Option<Checked> {
        let checked = self.common_position().or_else(|| {
            self.best.map(|placement| Checked {
                placement,
                map_agrees: !self.disagreed,
                pairs: 0,
                frames_alike: 0,
                content_given_back: None,
            })
        })?;
        let content_given_back = self.given_back.filter(|back| *back != checked.placement.content);
        Some(Checked { content_given_back, ..checked })
    }

    /// The position best summed over the pairs (see the type's comment); `None` when the
    /// pairs were judged alone.
    fn common_position(&self) -> Option<Checked> {
        let around = self.around?;
        let first = &self.pairs.first()?.mapped;
        let shape = |s: &NearScores| (s.x0, s.y0, s.width, s.height);
        let same_shape = self
            .pairs
            .iter()
            .all(|p| shape(&p.mapped) == shape(first) && p.neighbours.iter().all(|n| shape(n) == shape(first)));
        if self.judged_alone || !same_shape {
            return None;
        }
        let len = first.scores.len();
        let mut on_mapped = vec![0f32; len];
        let mut on_any = vec![0f32; len];
        for p in &self.pairs {
            for k in 0..len {
                let m = p.mapped.scores[k];
                on_mapped[k] += m;
                on_any[k] += p.neighbours.iter().map(|n| n.scores[k]).fold(m, f32::max);
            }
        }
        let argmax = |v: &[f32]| v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, &s)| (k, s));
        let ((k_mapped, s_mapped), (k_any, s_any)) = (argmax(&on_mapped)?, argmax(&on_any)?);
        let pairs = self.pairs.len() as f32;
        let neighbours_win = s_any > s_mapped + NEIGHBOUR_MARGIN as f32 * pairs;
        let (k, summed) = if neighbours_win { (k_any, on_any) } else { (k_mapped, on_mapped) };
        let map_agrees = !neighbours_win
            || self.pairs.iter().all(|p| p.neighbours.iter().all(|n| n.scores[k] <= p.mapped.scores[k]));
        // The position's score is the best pair's there, as a single pair's search gives it.
        let score = |p: &PairScores| {
            let m = p.mapped.scores[k];
            if neighbours_win { p.neighbours.iter().map(|n| n.scores[k]).fold(m, f32::max) } else { m }
        };
        let best_pair = self.pairs.iter().map(score).fold(f32::MIN, f32::max) as f64;
        let mean = NearScores { scores: summed.iter().map(|s| s / pairs).collect(), ..first.clone() };
        let (dx, dy) = ((k % first.width) as i32, (k / first.width) as i32);
        let r = self.radius as i32;
        if (first.x0 + dx - around.x).abs() >= r || (first.y0 + dy - around.y).abs() >= r {
            // On the neighbourhood's edge: the best may lie beyond it.
            return None;
        }
        let placement = Placement { confidence: best_pair.max(0.0), ..mean.placement_at(dx, dy, &around) };
        let alike = |p: &&PairScores| {
            let next = p.neighbours.iter().zip(&p.next_to_mapped).filter(|&(_, &next)| next);
            let neighbours = next.map(|(n, _)| n.scores[k] as f64);
            scores_alike(p.mapped.scores[k] as f64, neighbours, FRAMES_ALIKE)
        };
        let frames_alike = self.pairs.iter().filter(alike).count();
        Some(Checked { placement, map_agrees, pairs: self.pairs.len(), frames_alike, content_given_back: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::temporal::TimeMap;

    fn scored(x: i32, confidence: f64) -> Placement {
        let content = Rect::new(0, 0, 40, 30);
        Placement {
            x,
            y: 5,
            width: 40,
            height: 30,
            scale: 1.0,
            confidence,
            content,
            x_subpixel: x as f64,
            y_subpixel: 5.0,
        }
    }

    /// Scores at x = 94..=98 (y fixed): a row of a pair's neighbourhood.
    fn row(scores: [f32; 5]) -> NearScores {
        NearScores { x0: 94, y0: 54, width: 5, height: 1, scores: scores.to_vec() }
    }

    /// The crf 38 pan measured: on the map a frame early, each pair's mapped bg frame peaks a
    /// pixel or two left of the truth (96), and the next bg frame peaks at 96. Alone, the
    /// first pair keeps its mapped frame (the next wins by under the margin) and, scoring
    /// best, puts the placement at 95; at one position for all pairs, 96 wins.
    fn pan_a_frame_early() -> PairsChecked {
        let around = Placement { y: 54, ..scored(96, 0.98) };
        let pairs = vec![
            PairScores {
                mapped: row([0.9790, 0.9813, 0.9790, 0.9700, 0.9600]),
                neighbours: vec![row([0.9600, 0.9780, 0.98219, 0.9780, 0.9600])],
                next_to_mapped: vec![true],
            },
            PairScores {
                mapped: row([0.9743, 0.9720, 0.9680, 0.9600, 0.9500]),
                neighbours: vec![row([0.9500, 0.9700, 0.97696, 0.9700, 0.9500])],
                next_to_mapped: vec![true],
            },
        ];
        let best = Some(Placement { y: 54, ..scored(95, 0.9813) });
        PairsChecked {
            best,
            disagreed: true,
            around: Some(around),
            pairs,
            judged_alone: false,
            radius: 2,
            given_back: None,
        }
    }

    #[test]
    fn one_position_for_all_pairs_finds_the_pan_lookalike() {
        let checked = pan_a_frame_early().result().unwrap();
        assert_eq!((checked.placement.x, checked.placement.y), (96, 54));
        assert!(!checked.map_agrees, "the pairs chose the next bg frames");
        assert!((checked.placement.confidence - 0.98219).abs() < 1e-6);
    }

    #[test]
    fn bg_frames_that_score_alike_are_counted() {
        // The pan: every pair's frames score far apart at the common position.
        assert_eq!(pan_a_frame_early().result().map(|c| (c.pairs, c.frames_alike)), Some((2, 0)));
        // A nearly still picture (the still backdrop measured: 2.3e-5 apart at most): the
        // mapped frame and its neighbours alike on the pair changed, the other pair not.
        let mut still = pan_a_frame_early();
        still.pairs[0].mapped = row([0.95, 0.96, 0.997650, 0.96, 0.95]);
        still.pairs[0].neighbours =
            vec![row([0.95, 0.96, 0.997628, 0.96, 0.95]), row([0.95, 0.96, 0.997640, 0.96, 0.95])];
        still.pairs[0].next_to_mapped = vec![true, true];
        let checked = still.result().unwrap();
        assert_eq!(checked.placement.x, 96);
        assert_eq!((checked.pairs, checked.frames_alike), (2, 1));
        // Frames further off (a run of kept frames) may differ: only the next ones count.
        still.pairs[0].neighbours.push(row([0.95, 0.96, 0.990, 0.96, 0.95]));
        still.pairs[0].next_to_mapped.push(false);
        assert_eq!(still.result().map(|c| (c.pairs, c.frames_alike)), Some((2, 1)));
        // Judged alone, the pairs give no count (and the analyzer does not refuse on it).
        let alone = PairsChecked { judged_alone: true, ..pan_a_frame_early() }.result().unwrap();
        assert_eq!((alone.pairs, alone.frames_alike), (0, 0));
    }

    #[test]
    fn pairs_judged_alone_keep_the_best_pair() {
        let checked = PairsChecked { judged_alone: true, ..pan_a_frame_early() }.result().unwrap();
        assert_eq!(checked.placement.x, 95);
    }

    #[test]
    fn a_common_best_on_the_edge_leaves_the_pairs_alone() {
        let mut edge = pan_a_frame_early();
        for p in &mut edge.pairs {
            p.mapped.scores[4] = 0.999;
        }
        assert_eq!(edge.result().unwrap().placement.x, 95);
    }

    #[test]
    fn a_neighbour_within_the_margin_leaves_the_mapped_frame() {
        let found = [(9, scored(95, 0.9732)), (10, scored(96, 0.9730)), (11, scored(97, 0.90))];
        assert_eq!(mapped_unless_beaten(&found, 10).map(|(j, p)| (j, p.x)), Some((10, 96)));
    }

    #[test]
    fn a_neighbour_clearly_better_wins() {
        let found = [(9, scored(95, 0.999)), (10, scored(104, 0.983))];
        assert_eq!(mapped_unless_beaten(&found, 10).map(|(j, p)| (j, p.x)), Some((9, 95)));
    }

    #[test]
    fn without_the_mapped_frame_the_best_wins() {
        let found = [(9, scored(95, 0.95)), (11, scored(97, 0.97))];
        assert_eq!(mapped_unless_beaten(&found, 10).map(|(j, p)| (j, p.x)), Some((11, 97)));
        assert!(mapped_unless_beaten(&[], 10).is_none());
    }

    /// 30 fg frames at 24 fps matched to bg frames 10.. at the same rate (every frame on
    /// bg's grid), confident 0.999 but frame 3 (1.0) and frame 25 (0.95).
    fn matched_thirty() -> (Alignment, Track, Track) {
        let track = |frames: usize| Track {
            hashes: vec![0; frames],
            seconds: (0..frames).map(|k| k as f64 / 24.0).collect(),
            ..Track::default()
        };
        let (fg, bg) = (track(30), track(60));
        let mut confidence = vec![0.999f32; 30];
        (confidence[3], confidence[25]) = (1.0, 0.95);
        let time = TimeMap {
            map: (10..40).collect(),
            confidence,
            offset_seconds: 10.0 / 24.0,
            rate: 1.0,
            ..TimeMap::default()
        };
        let alignment = Alignment {
            placement: scored(0, 1.0),
            fg_frames: 30,
            bg_frames: 60,
            time,
            media: None,
            placement_approximate: false,
        };
        (alignment, fg, bg)
    }

    #[test]
    fn pairs_without_a_cost_are_the_most_confident_of_each_part() {
        let (alignment, fg, bg) = matched_thirty();
        assert_eq!(pick_pairs(&alignment, &fg, &bg, 3, |_| 0), vec![3, 10, 20]);
    }

    #[test]
    fn pairs_about_as_good_go_to_the_cheapest_but_not_below_the_slack() {
        let (alignment, fg, bg) = matched_thirty();
        // A keyframe every 8 frames: frames 0, 8, 16 and 24 cost nothing to decode; 25 (right
        // after a keyframe, but 0.95) is never taken for its cost.
        let since_key = |i: usize| (i % 8) as u64;
        assert_eq!(pick_pairs(&alignment, &fg, &bg, 3, since_key), vec![0, 16, 24]);
        let only_25_cheap = |i: usize| if i == 25 { 0 } else { 5 };
        assert_eq!(pick_pairs(&alignment, &fg, &bg, 3, only_25_cheap), vec![3, 10, 20]);
    }
}
