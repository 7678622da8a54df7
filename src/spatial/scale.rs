//! Measuring fg's scale in bg (bg pixels per fg pixel) on one sample pair, cheaply enough to
//! be on by default.
//!
//! 1. **Sweep.** For log-spaced scales over the allowed range (and 1 itself), a full NCC search
//!    at the bg level where the template is about `SWEEP_TEMPLATE_WIDTH` px wide: tiny maps,
//!    a fraction of the scale-1 search's cost altogether.
//! 2. **Narrowing.** Around the sweep's best scale, eighths of a sweep step, each searched in a
//!    small window around the sweep's peak at the level where the template is about
//!    `NARROW_TEMPLATE_WIDTH` px wide.
//! 3. **Descent.** Level by level down to the finest, a climb over whole-pixel template widths
//!    from the previous level's, each in a ±2 px window: a scaled copy has a whole-pixel size,
//!    and a template a pixel too wide or narrow would shift the placement by a pixel, so the
//!    scale is settled where the position is, at full resolution.
//!
//! When scale 1 already scores `CONFIDENT_AT_ONE`, the sweep is skipped. When it is skipped or
//! its best is scale 1, the widths next to scale 1's are tried at the level where
//! the template is about `FINE_TEMPLATE_WIDTH` px wide, around scale 1's placement; only when
//! another width wins does the descent run.
//! Scale 1 is kept when its score at the fine level is within `SCALE_ONE_MARGIN` of the best.
//! The caller then searches the chosen scale as usual (all sample pairs, coarse to fine).
//!
//! # Design notes (measured)
//!
//! **Scale is searched by default** (0.25–4; `--scale 1` or `scale_search=0` pins scale 1), and
//! measured in stages on the sample pairs the scale-1 prescreen ranks best: a full search per scale
//! with templates about 32 px wide, then eighths of a sweep step in a window at about 128 px, then
//! a descent over whole-pixel template widths down to full resolution (a scaled copy has a
//! whole-pixel size, and a template one pixel off would move the placement by one). Windows follow
//! the template's centre, which a scale change keeps, not its corner. Scale 1 wins whenever it
//! matches within 0.01 of the best, and a measured scale must also win the full search. Templates
//! under 96×54 px in bg are not tried at scales other than 1: they correlate with almost anything.
//! When scale 1 already scores 0.95 (or wins the sweep), only the widths next to its own are
//! checked, at a 160 px template, and the descent runs only if one of them wins: the default costs
//! 1.09–1.13× the scale-1 search on 720p in 1080p (`benches/placement_vs_opencv.sh`, which also
//! times OpenCV's `matchTemplate` on the same images).

use super::{BgPyramid, Found, Image, SCALE_ONE_MARGIN, Template, level_size, ncc_at, ncc_full};

/// Template width in the sweep's full searches.
pub(super) const SWEEP_TEMPLATE_WIDTH: f64 = 32.0;
/// Smallest bg level the sweep searches (px): coarser levels of a small frame leave too
/// little picture for a scale to stand out.
const SWEEP_MIN_BG: (usize, usize) = (120, 68);
/// Sample pairs whose best sweep result is narrowed down.
const SWEEP_KEEP: usize = 3;
/// Smallest template, at full resolution, a scale other than 1 may give: smaller ones
/// correlate with almost anything.
pub(super) const MIN_SCALED_TEMPLATE: (f64, f64) = (96.0, 54.0);
/// The same on small copies (copy pixels, each the average of many): the full-resolution
/// minimum would leave out every scale under 0.9 for an 854×480 fg in a 720p bg, whose scout
/// copies are 107×60 and 160×90.
pub(super) const MIN_SCALED_TEMPLATE_ON_COPIES: (f64, f64) = (48.0, 27.0);
/// Most scales in the sweep (log-spaced over the allowed range), scale 1 added.
const SCALE_SWEEP: usize = 15;
/// Largest ratio between neighbouring swept scales of a narrow range: a placement searched
/// again within 10 % of its scale is swept at 5 scales, not 15 (the relocation on matched
/// pairs of the bench's scaled pair: 15 full searches per pair, then the narrowing).
const NARROW_SWEEP_STEP: f64 = 1.05;
/// Template width while narrowing.
const NARROW_TEMPLATE_WIDTH: f64 = 128.0;
/// Template width where scale 1 is checked against its neighbours.
const FINE_TEMPLATE_WIDTH: f64 = 160.0;
/// A scale-1 score from which the sweep is skipped: a template matching this well is within a
/// percent or two of its true scale, which the widths next to scale 1's and the descent reach.
const CONFIDENT_AT_ONE: f32 = 0.95;
/// Whole-pixel template widths either side of scale 1's tried when the sweep favours it.
const FIRST_WIDTHS: i32 = 2;
/// Whole-pixel template widths either side of the previous level's tried at each level of the
/// descent, and the most one-pixel steps beyond them.
const SPREAD: i32 = 4;
const MAX_CLIMB: usize = 48;

/// How many log-spaced scales the sweep of `lo..=hi` tries: `SCALE_SWEEP`, or fewer when they
/// would be closer than `NARROW_SWEEP_STEP` (at least 2).
pub(super) fn sweep_count(lo: f64, hi: f64) -> usize {
    let steps = ((hi / lo).ln() / NARROW_SWEEP_STEP.ln()).ceil().max(1.0) as usize;
    (steps + 1).min(SCALE_SWEEP)
}

/// The sweep's scales: log-spaced over `lo..=hi`, and 1 when it is in range; `lo` alone when
/// the range is one scale (a search pinned to a measured scale).
pub(super) fn sweep_scales(lo: f64, hi: f64) -> Vec<f64> {
    let count = sweep_count(lo, hi);
    let mut scales = Vec::with_capacity(count + 1);
    if lo <= 1.0 && 1.0 <= hi {
        scales.push(1.0);
    } else if lo == hi {
        scales.push(lo);
    }
    if hi > lo {
        for k in 0..count {
            let s = lo * (hi / lo).powf(k as f64 / (count - 1) as f64);
            if (s - 1.0).abs() > 1e-9 {
                scales.push(s);
            }
        }
    }
    scales
}

/// fg's content and its successive halvings, to cut templates of any scale for any bg level
/// from a nearby size.
pub(super) struct FgLevels {
    levels: Vec<Image>,
    /// Content size in fg pixels.
    content: (usize, usize),
}

impl FgLevels {
    pub(super) fn new(content_image: Image, content: (usize, usize)) -> FgLevels {
        let mut levels = vec![content_image];
        loop {
            let last = levels.last().expect("one level");
            if last.width < 64 || last.height < 64 {
                break;
            }
            let next = last.resized(last.width / 2, last.height / 2);
            levels.push(next);
        }
        FgLevels { levels, content }
    }

    /// The content at `scale` for the bg level of factor `f`, sized as the searches size it.
    fn template(&self, scale: f64, f: f64) -> Image {
        let tw = level_size((self.content.0 as f64 * scale).round() as usize, f);
        let th = level_size((self.content.1 as f64 * scale).round() as usize, f);
        let source = self.levels.iter().rev().find(|l| l.width >= tw && l.height >= th).unwrap_or(&self.levels[0]);
        source.resized(tw, th)
    }
}

/// A scale tried on a sample pair: the bg level it was searched at, the best position there
/// and its score.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    pair: (usize, usize),
    scale: f64,
    factor: f64,
    /// Top-left of the template, and its size, at the level.
    x: usize,
    y: usize,
    size: (usize, usize),
    score: f32,
}

impl Candidate {
    /// The template's centre in the coordinates of the level of `factor`: scale changes keep
    /// the centre where it is, not the corner.
    fn centre_at(&self, factor: f64) -> (f64, f64) {
        let r = self.factor / factor;
        ((self.x as f64 + self.size.0 as f64 / 2.0) * r, (self.y as f64 + self.size.1 as f64 / 2.0) * r)
    }
}

/// One (fg sample, bg sample) pair.
#[derive(Clone, Copy)]
struct Pair<'a> {
    fg: &'a FgLevels,
    bg: &'a BgPyramid,
    ids: (usize, usize),
}

/// The coarsest level of `bg` where a template `width` px wide (at full resolution) is at
/// least two thirds of `target` px wide.
fn level_for(bg: &BgPyramid, width: f64, target: f64) -> f64 {
    let finest = *bg.factors.last().expect("one level");
    bg.factors.iter().copied().find(|&f| width / f >= target * 0.67).unwrap_or(finest)
}

fn full_search(p: Pair<'_>, scale: f64) -> Option<Candidate> {
    let coarsest = level_for(p.bg, p.fg.content.0 as f64 * scale, SWEEP_TEMPLATE_WIDTH);
    // The coarsest level at or below that one that keeps SWEEP_MIN_BG of picture.
    let factor =
        p.bg.factors
            .iter()
            .zip(&p.bg.levels)
            .find(|&(&f, l)| f <= coarsest && l.width >= SWEEP_MIN_BG.0 && l.height >= SWEEP_MIN_BG.1)
            .map_or(*p.bg.factors.last()?, |(&f, _)| f);
    let level = p.bg.level(factor)?;
    let tpl = p.fg.template(scale, factor);
    if tpl.width > level.width || tpl.height > level.height {
        return None;
    }
    let rw = level.width - tpl.width + 1;
    let scores = ncc_full(level, &tpl);
    let (best, &score) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    Some(Candidate { pair: p.ids, scale, factor, x: best % rw, y: best / rw, size: (tpl.width, tpl.height), score })
}

/// The best position of the template at `scale` on level `factor`, its centre within `radius`
/// px of `centre`.
fn window_search(p: Pair<'_>, scale: f64, factor: f64, centre: (f64, f64), radius: i64) -> Option<Candidate> {
    let level = p.bg.level(factor)?;
    let tpl_img = p.fg.template(scale, factor);
    if tpl_img.width > level.width || tpl_img.height > level.height {
        return None;
    }
    let tpl = Template::new(&tpl_img);
    let cx = (centre.0 - tpl.width as f64 / 2.0).round() as i64;
    let cy = (centre.1 - tpl.height as f64 / 2.0).round() as i64;
    let (rw, rh) = ((level.width - tpl.width + 1) as i64, (level.height - tpl.height + 1) as i64);
    let mut best: Option<Candidate> = None;
    for y in (cy - radius).max(0)..=(cy + radius).min(rh - 1) {
        for x in (cx - radius).max(0)..=(cx + radius).min(rw - 1) {
            let score = ncc_at(level, &tpl, x as usize, y as usize);
            if best.is_none_or(|b| score > b.score) {
                let size = (tpl.width, tpl.height);
                best = Some(Candidate { pair: p.ids, scale, factor, x: x as usize, y: y as usize, size, score });
            }
        }
    }
    best
}

/// The best of `scales` on `from`'s pair, each searched around `from`'s position at the level
/// where the template of `from`'s scale is about `target` px wide.
fn refine(p: Pair<'_>, from: Candidate, scales: impl Iterator<Item = f64>, target: f64) -> Option<Candidate> {
    let factor = level_for(p.bg, p.fg.content.0 as f64 * from.scale, target);
    let radius = (from.factor / factor).ceil() as i64 + 1;
    let centre = from.centre_at(factor);
    scales.filter_map(|s| window_search(p, s, factor, centre, radius)).max_by(|a, b| a.score.total_cmp(&b.score))
}

/// The scales whose templates at level `factor` are `spread` whole pixels either side of
/// the template of `scale`.
fn widths_around(cw: f64, scale: f64, factor: f64, spread: i32) -> impl Iterator<Item = f64> {
    let w0 = (cw * scale / factor).round();
    (-spread..=spread).map(move |k| (w0 + k as f64) * factor / cw).filter(|&s| s > 0.0)
}

/// From `from` down to the finest level: at each level, the whole-pixel template widths next
/// to the previous level's, and a climb onwards when the best is at the edge, each width
/// searched within 2 px of the template's centre. Real footage (blurred,
/// re-encoded, resampled) has a broad score ridge along the scale, so the climb may travel.
fn descend(p: Pair<'_>, from: Candidate, allowed: impl Fn(&f64) -> bool) -> Option<Candidate> {
    let cw = p.fg.content.0 as f64;
    let mut current = from;
    let finer: Vec<f64> = p.bg.factors.iter().copied().filter(|&f| f < from.factor).collect();
    let levels = if finer.is_empty() { vec![from.factor] } else { finer };
    for f in levels {
        let at_width = |w: f64, centre: (f64, f64)| {
            let s = w * f / cw;
            if w < 1.0 || !allowed(&s) { None } else { window_search(p, s, f, centre, 2) }
        };
        // The widths within SPREAD of the previous level's, then onwards from an edge while
        // the score improves, following the best match's centre (the centre drifts along
        // the score ridge).
        let (centre, w0) = (current.centre_at(f), (cw * current.scale / f).round());
        let (mut best, mut best_w) = (-SPREAD..=SPREAD)
            .filter_map(|k| at_width(w0 + k as f64, centre).map(|c| (c, w0 + k as f64)))
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score))?;
        let step = (best_w - w0).signum();
        if (best_w - w0).abs() == SPREAD as f64 {
            for _ in 0..MAX_CLIMB {
                match at_width(best_w + step, best.centre_at(f)) {
                    Some(c) if c.score > best.score => (best, best_w) = (c, best_w + step),
                    _ => break,
                }
            }
        }
        current = best;
    }
    Some(current)
}

/// fg's scale in bg, measured on the sample `pairs` (indices into `fg` and `bg`) over the
/// allowed `scales` (those that fit, of a sweep of `sweep_len` log-spaced ones); `at_one` is
/// scale 1's placement and pair, when scale 1 fits. `None` when nothing fits.
pub(super) fn measure(
    fg: &[FgLevels],
    bg: &[BgPyramid],
    pairs: &[(usize, usize)],
    scales: &[f64],
    sweep_len: usize,
    at_one: Option<(Found, (usize, usize))>,
) -> Option<f64> {
    let pair = |ids: (usize, usize)| Pair { fg: &fg[ids.0], bg: &bg[ids.1], ids };
    // Within the swept scales' span (they are the allowed ones that fit and are big enough).
    let lo = scales.iter().copied().fold(f64::INFINITY, f64::min) * 0.995;
    let hi = scales.iter().copied().fold(f64::NEG_INFINITY, f64::max) * 1.005;
    let allowed = move |s: &f64| (lo..=hi).contains(s);
    // The sweep runs unless scale 1 already matches almost perfectly.
    let confident_at_one = at_one.is_some_and(|(f, _)| f.score >= CONFIDENT_AT_ONE);
    let mut swept: Vec<Candidate> = if confident_at_one {
        Vec::new()
    } else {
        pairs.iter().flat_map(|&ids| scales.iter().filter_map(move |&s| full_search(pair(ids), s))).collect()
    };
    swept.sort_by(|a, b| b.score.total_cmp(&a.score));
    let sweep_favours_one = confident_at_one || swept.first()?.scale == 1.0;
    // Scale 1's placement is at the pyramid's finest level.
    let finest = *bg.first()?.factors.last()?;
    let cw = fg.first()?.content.0 as f64;
    let size_at_one = |ids: (usize, usize)| {
        let c = fg[ids.0].content;
        (level_size(c.0, finest), level_size(c.1, finest))
    };
    let one = at_one.map(|(f, ids)| Candidate {
        pair: ids,
        scale: 1.0,
        factor: finest,
        x: f.x,
        y: f.y,
        size: size_at_one(ids),
        score: f.score,
    });
    let start = match one {
        // Scale 1 won the sweep: the widths next to its own, around its placement.
        Some(one) if sweep_favours_one => {
            let p = pair(one.pair);
            let factor = level_for(p.bg, cw, FINE_TEMPLATE_WIDTH);
            let centre = one.centre_at(factor);
            let tried: Vec<Candidate> = widths_around(cw, 1.0, factor, FIRST_WIDTHS)
                .filter(|s| allowed(s))
                .filter_map(|s| window_search(p, s, factor, centre, 2))
                .collect();
            let best = *tried.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
            let own_width = (cw / factor).round();
            let at_own = tried.iter().find(|c| (cw * c.scale / factor).round() == own_width);
            if at_own.is_some_and(|c| c.score >= best.score - SCALE_ONE_MARGIN) {
                return Some(1.0);
            }
            best
        }
        _ => {
            // The sweep's best scale on each of the best few pairs is narrowed; the best
            // narrowed one goes on.
            let (smin, smax) = (lo / 0.995, hi / 1.005);
            let sweep_step = (smax / smin).powf(1.0 / (sweep_len - 1) as f64).max(1.01);
            let mut per_pair: Vec<Candidate> = Vec::new();
            for c in &swept {
                if per_pair.len() < SWEEP_KEEP && per_pair.iter().all(|p| p.pair != c.pair) {
                    per_pair.push(*c);
                }
            }
            per_pair
                .iter()
                .filter_map(|&c| {
                    let narrow = (-8..=8).map(move |k| c.scale * sweep_step.powf(k as f64 / 8.0));
                    refine(pair(c.pair), c, narrow.filter(allowed), NARROW_TEMPLATE_WIDTH)
                })
                .max_by(|a, b| a.score.total_cmp(&b.score))?
        }
    };
    let fine = descend(pair(start.pair), start, allowed)?;
    // Scale 1 is preferred when it is nearly as good: compared with scale 1's own search when
    // both are at the finest level, else on the same pair and level.
    if allowed(&1.0) && fine.scale != 1.0 {
        let score_at_one = match one {
            Some(one) if fine.factor == finest => Some(one.score),
            _ => window_search(pair(fine.pair), 1.0, fine.factor, fine.centre_at(fine.factor), 2).map(|c| c.score),
        };
        if score_at_one.is_some_and(|s| s >= fine.score - SCALE_ONE_MARGIN) {
            return Some(1.0);
        }
    }
    Some(fine.scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default range keeps its 15 log-spaced scales (1 is the middle one); a narrow range is swept with
    /// neighbours at most `NARROW_SWEEP_STEP` apart, ends included; a range of one scale is it.
    #[test]
    fn a_narrow_range_is_swept_at_fewer_scales() {
        let default = sweep_scales(0.25, 4.0);
        assert_eq!(default.len(), 15);
        for k in 0..15 {
            let want = 0.25 * 16f64.powf(k as f64 / 14.0);
            assert!(default.iter().any(|&s| (s - want).abs() < 1e-12), "{want} missing from {default:?}");
        }
        let (lo, hi) = (0.75 / 1.1, 0.75 * 1.1);
        let narrow = sweep_scales(lo, hi);
        assert_eq!(narrow.len(), 5, "{narrow:?}");
        assert!((narrow[0] - lo).abs() < 1e-12 && (narrow[4] - hi).abs() < 1e-12, "{narrow:?}");
        assert!(narrow.windows(2).all(|w| w[1] / w[0] <= NARROW_SWEEP_STEP + 1e-12), "{narrow:?}");
        assert_eq!(sweep_scales(0.75, 0.75), vec![0.75]);
    }
}
