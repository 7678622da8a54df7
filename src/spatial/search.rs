//! One placement search: fg's `content` box over every pair of samples, at scale 1 and, when
//! the settings allow, at the scale the sweep measures. [`best_placement`] runs it in named
//! stages: the scales that fit, the pyramids within the pixel budget, the sample pairs ranked
//! per scale (a prescreen keeps the best when there are many), the search coarse to fine, the
//! choice of scale, and for frames beyond the budget the chosen pair again at full size.

use super::locate::{Found, RIVAL_DISTANCE, RankedPairs};
use super::*;
use crate::workers;

/// The best placement of fg's `content` box (fg pixels) over every pair of samples, whatever
/// its score, and a rival place that scored nearly as well (see `Located::rival`).
pub(super) fn best_placement(
    fg_samples: &[FrameRef<'_>],
    bg_samples: &[FrameRef<'_>],
    content: Rect,
    settings: &Settings,
    min_template: (f64, f64),
) -> Result<(Placement, Option<Placement>)> {
    let bg = (bg_samples[0].width() as f64, bg_samples[0].height() as f64);
    let scales = allowed_scales(content, bg, settings, min_template)?;
    let search = PlacementSearch::new(fg_samples, bg_samples, content, settings, &scales);
    let (scale, found, fi, bi) = search.choose_scale(&scales)?;
    // Under min_confidence nothing matched (`locate` says so): rivals there are noise.
    let rival = found
        .rival
        .filter(|&(score, _)| found.score as f64 >= settings.min_confidence && found.score - score < AMBIGUITY_MARGIN);
    let (finest, beyond_budget) = (search.finest, search.beyond_budget);
    let found = if beyond_budget {
        // The other samples' levels are let go before the full-size search.
        drop(search);
        full_size_search(&fg_samples[fi], &bg_samples[bi], content, scale)?
    } else {
        found
    };
    let placement = placement_of(&found, content, scale);
    let rival = rival.map(|(score, (x, y))| {
        let (x, y) = ((x as f64 * finest).round(), (y as f64 * finest).round());
        Placement { x: x as i32, y: y as i32, confidence: score as f64, x_subpixel: x, y_subpixel: y, ..placement }
    });
    Ok((placement, rival))
}

/// The scales searched: 1 alone, or the sweep within the settings' range; each must fit bg and
/// leave a template of at least `min_template` px, large enough to correlate.
fn allowed_scales(
    content: Rect,
    (bw, bh): (f64, f64),
    settings: &Settings,
    (min_w, min_h): (f64, f64),
) -> Result<Vec<f64>> {
    let (cw, ch) = (content.width as f64, content.height as f64);
    let fits = |s: f64| cw * s <= bw && ch * s <= bh;
    let big_enough = |s: f64| s == 1.0 || (cw * s >= min_w && ch * s >= min_h);
    let (lo, hi) = if settings.scale_search { (settings.scale_min, settings.scale_max) } else { (1.0, 1.0) };
    let scales: Vec<f64> = scale::sweep_scales(lo, hi).into_iter().filter(|&s| fits(s) && big_enough(s)).collect();
    if scales.is_empty() {
        return Err(Error::invalid(format!("fg content {cw}x{ch} does not fit in bg {bw}x{bh} at any allowed scale")));
    }
    Ok(scales)
}

/// The samples prepared for searching: fg's content at the finest level kept, and one bg
/// pyramid per sample that serves every scale.
struct PlacementSearch<'s> {
    content: Rect,
    settings: &'s Settings,
    /// Whether scale 1 fits inside bg and is among the scales searched.
    one_allowed: bool,
    fg_images: Vec<Image>,
    bg_pyramids: Vec<BgPyramid>,
    /// Shrink factors of the pyramid levels kept (coarse to fine), and the finest of them.
    factors: Vec<f64>,
    finest: f64,
    /// The frames are larger than the budget allows at full size.
    beyond_budget: bool,
}

impl<'s> PlacementSearch<'s> {
    /// Builds the pyramids: coarse enough for the scale sweep's small templates at the largest
    /// scale, fine down to full resolution or the pixel budget.
    fn new(
        fg_samples: &[FrameRef<'_>],
        bg_samples: &[FrameRef<'_>],
        content: Rect,
        settings: &'s Settings,
        scales: &[f64],
    ) -> PlacementSearch<'s> {
        let (bw, bh) = (bg_samples[0].width() as usize, bg_samples[0].height() as usize);
        let (cw, ch) = (content.width as usize, content.height as usize);
        let largest = scales.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let coarse_width = if settings.scale_search { scale::SWEEP_TEMPLATE_WIDTH } else { COARSE_TEMPLATE_WIDTH };
        let all_factors = pyramid_factors(cw as f64 * largest, coarse_width);
        let within_budget = all_factors
            .iter()
            .position(|&f| level_size(bw, f) * level_size(bh, f) > LEVEL_BUDGET_PIXELS)
            .unwrap_or(all_factors.len())
            .max(1);
        let factors = all_factors[..within_budget].to_vec();
        let finest = factors[factors.len() - 1];
        // Each sample on a thread of its own (the setting "threads"), as each pair's search.
        let helpers = workers::helpers(settings.threads);
        let fg_images = workers::map(helpers, fg_samples, |f| {
            Image::from_frame(f, content, level_size(cw, finest), level_size(ch, finest))
        });
        let bg_pyramids = workers::map(helpers, bg_samples, |f| BgPyramid::new(f, &factors));
        PlacementSearch {
            content,
            settings,
            one_allowed: cw <= bw && ch <= bh && scales.contains(&1.0),
            fg_images,
            bg_pyramids,
            beyond_budget: factors.len() < all_factors.len(),
            factors,
            finest,
        }
    }

    /// Helper threads for the searches (the setting "threads").
    fn helpers(&self) -> usize {
        workers::helpers(self.settings.threads)
    }

    /// The levels a search at `scale` uses: its template about COARSE_TEMPLATE_WIDTH px wide
    /// at the coarsest, within the budget.
    fn factors_for(&self, scale: f64) -> Vec<f64> {
        let own = pyramid_factors(self.content.width as f64 * scale, COARSE_TEMPLATE_WIDTH);
        let kept: Vec<f64> = own.into_iter().filter(|f| self.factors.contains(f)).collect();
        if kept.is_empty() { vec![self.finest] } else { kept }
    }

    /// The (fg sample, bg sample) pairs worth searching with these templates: all of them when
    /// few, else the PRESCREEN_KEEP best where the template is about 48 px wide.
    fn prescreen(&self, templates: &[TemplatePyramid]) -> Vec<(usize, usize)> {
        let bgs = self.bg_pyramids.len();
        let pairs: Vec<(usize, usize)> = (0..templates.len()).flat_map(|fi| (0..bgs).map(move |bi| (fi, bi))).collect();
        if pairs.len() <= PRESCREEN_KEEP {
            return pairs;
        }
        // Shrink so the template is about PRESCREEN_TEMPLATE_WIDTH px wide (never enlarge).
        let coarsest = templates[0].levels.len();
        let shrink = (templates[0].coarsest.width as f64 / PRESCREEN_TEMPLATE_WIDTH).max(1.0);
        let smaller = |c: &Image| c.resized(level_size(c.width, shrink), level_size(c.height, shrink));
        let small_tpls: Vec<Image> = templates.iter().map(|t| smaller(&t.coarsest)).collect();
        let small_bgs: Vec<Image> =
            self.bg_pyramids.iter().map(|b| smaller(&b.levels[b.levels.len() - coarsest])).collect();
        let score = |&(fi, bi): &(usize, usize)| -> f32 {
            let (t, b) = (&small_tpls[fi], &small_bgs[bi]);
            if t.width > b.width || t.height > b.height {
                return f32::NEG_INFINITY;
            }
            ncc_full(b, t).into_iter().fold(f32::NEG_INFINITY, f32::max)
        };
        let scores: Vec<f32> = workers::map(self.helpers(), &pairs, score);
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        order.into_iter().take(PRESCREEN_KEEP).map(|k| pairs[k]).collect()
    }

    /// fg's templates at `scale` and the sample pairs worth searching there.
    fn ranked_pairs(&self, scale: f64) -> Option<RankedPairs> {
        let factors = self.factors_for(scale);
        let templates: Vec<TemplatePyramid> =
            workers::map(self.helpers(), &self.fg_images, |fg| TemplatePyramid::new(fg, self.content, scale, &factors))
                .into_iter()
                .collect::<Option<_>>()?;
        let pairs = self.prescreen(&templates);
        Some(RankedPairs { factors, templates, pairs })
    }

    /// The best of the ranked pairs, searched coarse to fine, with the best other pair's place
    /// far from it as its rival.
    fn search_ranked(&self, r: &RankedPairs) -> Option<(Found, usize, usize)> {
        let all: Vec<(Found, usize, usize)> = workers::map(self.helpers(), &r.pairs, |&(fi, bi)| {
            let levels = self.bg_pyramids[bi].levels_for(&r.factors);
            search(&r.templates[fi], levels, &r.factors, false).map(|found| (found, fi, bi))
        })
        .into_iter()
        .flatten()
        .collect();
        let (mut best, fi, bi) = *all.iter().max_by(|a, b| a.0.score.total_cmp(&b.0.score))?;
        let far = (r.templates[fi].levels.last()?.width as f64 * RIVAL_DISTANCE).max(2.0) as usize;
        best.rival = all
            .iter()
            .filter(|(f, _, _)| f.x.abs_diff(best.x).max(f.y.abs_diff(best.y)) > far)
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score))
            .map(|(f, _, _)| (f.score, (f.x, f.y)));
        Some((best, fi, bi))
    }

    /// Scale 1's best, replaced by the measured scale's when the sweep measures another scale
    /// and it wins the full search by more than SCALE_ONE_MARGIN.
    fn choose_scale(&self, scales: &[f64]) -> Result<(f64, Found, usize, usize)> {
        if let [pinned] = scales
            && *pinned != 1.0
        {
            // One scale allowed, not 1 (a search pinned to a measured scale): nothing to measure.
            let found = self.ranked_pairs(*pinned).and_then(|r| self.search_ranked(&r));
            return found.map(|(found, fi, bi)| (*pinned, found, fi, bi)).ok_or_else(unfit);
        }
        let ranked_at_one = if self.one_allowed { self.ranked_pairs(1.0) } else { None };
        let at_one = ranked_at_one.as_ref().and_then(|r| self.search_ranked(r));
        let mut chosen = at_one.map(|(found, fi, bi)| (1.0, found, fi, bi));
        // Another scale replaces scale 1 only by scoring more than SCALE_ONE_MARGIN over it,
        // and every score is clamped to 1 (`ncc::normalize`): when scale 1 scores within the
        // margin of 1, the scale cannot change. `scale::measure` already skips its coarse sweep
        // from CONFIDENT_AT_ONE; this also skips the widths it tries around scale 1 and the
        // full search at the scale they measure (the film pair's placement stage 53 -> 48 ms).
        let one_cannot_lose = at_one.is_some_and(|(one, _, _)| one.score + SCALE_ONE_MARGIN >= 1.0);
        if self.settings.scale_search && !one_cannot_lose {
            // The scale is measured on the pairs the scale-1 prescreen ranks best (all of them
            // when there are few): the pair that matches best at scale 1 need not be the true one.
            let pairs = match ranked_at_one {
                Some(r) => r.pairs,
                None => self.ranked_pairs(scales[0]).map(|r| r.pairs).unwrap_or_default(),
            };
            let size = (self.content.width as usize, self.content.height as usize);
            let fg_levels: Vec<scale::FgLevels> =
                self.fg_images.iter().map(|img| scale::FgLevels::new(img.clone(), size)).collect();
            let at_one_found = at_one.map(|(f, fi, bi)| (f, (fi, bi)));
            let sweep_len = scale::sweep_count(self.settings.scale_min, self.settings.scale_max);
            if let Some(s) = scale::measure(&fg_levels, &self.bg_pyramids, &pairs, scales, sweep_len, at_one_found)
                && s != 1.0
                && let Some((found, fi, bi)) = self.ranked_pairs(s).and_then(|r| self.search_ranked(&r))
                // The measured scale must also win the full search, by more than scale 1's margin.
                && at_one.is_none_or(|(one, _, _)| found.score > one.score + SCALE_ONE_MARGIN)
            {
                chosen = Some((s, found, fi, bi));
            }
        }
        chosen.ok_or_else(unfit)
    }
}

/// The chosen sample pair searched again down to full resolution (frames beyond the budget).
fn full_size_search(fg: &FrameRef<'_>, bg: &FrameRef<'_>, content: Rect, scale: f64) -> Result<Found> {
    let full = pyramid_factors(content.width as f64 * scale, COARSE_TEMPLATE_WIDTH);
    let fg_full = Image::from_frame(fg, content, content.width as usize, content.height as usize);
    let template = TemplatePyramid::new(&fg_full, content, scale, &full).ok_or_else(unfit)?;
    let bg_full = BgPyramid::new(bg, &full);
    search(&template, &bg_full.levels, &full, false).ok_or_else(unfit)
}

/// No sample pair holds fg's template at the scale chosen.
fn unfit() -> Error {
    Error::invalid("fg does not fit inside bg at the chosen scale")
}

fn placement_of(found: &Found, content: Rect, scale: f64) -> Placement {
    Placement {
        x: found.x as i32,
        y: found.y as i32,
        width: (content.width as f64 * scale).round() as u32,
        height: (content.height as f64 * scale).round() as u32,
        scale,
        confidence: found.score.max(0.0) as f64,
        content,
        x_subpixel: found.x_sub,
        y_subpixel: found.y_sub,
    }
}
