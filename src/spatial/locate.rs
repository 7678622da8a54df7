//! The placement search: every fg sample against every bg sample, coarse to fine, scale 1 and a
//! scale sweep, parts of fg when graphics pull the whole elsewhere, rivals kept for the analyzer.
//!
//! # Design notes (measured)
//!
//! **Placement within a budget.** Every sample's pyramid is kept only up to about 2 Mpx (a 1080p
//! frame fits); the sample pair and the scale are chosen there, and on larger frames only the
//! chosen pair is searched again at full resolution.

use super::*;

/// The pyramid levels of a scale, fg's templates at that scale, and the sample pairs worth
/// searching there (all, or the prescreen's best).
pub(super) struct RankedPairs {
    pub(super) factors: Vec<f64>,
    pub(super) templates: Vec<TemplatePyramid>,
    pub(super) pairs: Vec<(usize, usize)>,
}

/// Search result of one (fg sample, bg sample, scale).
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    pub(super) x: usize,
    pub(super) y: usize,
    pub(super) score: f32,
    pub(super) x_sub: f64,
    pub(super) y_sub: f64,
    /// The best score of another sample pair at a place more than `RIVAL_DISTANCE` of the
    /// template's width away, and that place (set by the search over sample pairs).
    pub(super) rival: Option<(f32, (usize, usize))>,
}

/// How far (a share of the template's width) another sample pair's best place must lie from
/// the chosen one to count as a rival placement.
pub(super) const RIVAL_DISTANCE: f64 = 0.125;

/// A place another sample pair scores within this much of the chosen one is its rival (see
/// `Located::rival`). True pairs from the clips (graded, crf 38, cut, ramp, reordered): the
/// best other place scores 0.06-0.22 under the chosen one; a tiled texture scrolling a pixel a
/// frame with a faint drifting blob (tests/repetitive.rs): 0.0014; the C tests' panning
/// scene, whose other instants match shifted places but for a sweeping bar: 0.003.
pub(super) const AMBIGUITY_MARGIN: f32 = 0.02;

/// Coarse-to-fine search of a template pyramid in the bg levels of the same `factors`.
pub(super) fn search(tpls: &TemplatePyramid, levels: &[Image], factors: &[f64], coarse_only: bool) -> Option<Found> {
    let mut peaks: Vec<Peak> = Vec::new();
    for (li, img) in levels.iter().enumerate() {
        let (tpl_img, tpl) = &tpls.levels[li];
        let (tw, th) = (tpl_img.width, tpl_img.height);
        if tw > img.width || th > img.height {
            return None;
        }
        let (rw, rh) = (img.width - tw + 1, img.height - th + 1);
        if li == 0 {
            let scores = ncc_full(img, tpl_img);
            peaks = top_peaks(&scores, rw, PEAKS, (tw / 4).max(2));
            if coarse_only {
                break;
            }
        } else {
            let ratio = factors[li - 1] / factors[li];
            // Right after the full search a peak may be off by a coarse pixel: ±2. Below that
            // one finer level halves the uncertainty: ±1, and only the best peak goes on.
            let radius = if li == 1 { 2 } else { 1 };
            if li >= 2 {
                peaks.sort_by(|a, b| b.score.total_cmp(&a.score));
                peaks.truncate(1);
            }
            for p in &mut peaks {
                let (cx, cy) = ((p.x as f64 * ratio).round() as i64, (p.y as f64 * ratio).round() as i64);
                let mut best = Peak { x: 0, y: 0, score: f32::NEG_INFINITY };
                for dy in -radius..=radius {
                    for dx in -radius..=radius {
                        let (x, y) = (cx + dx, cy + dy);
                        if x < 0 || y < 0 || x >= rw as i64 || y >= rh as i64 {
                            continue;
                        }
                        let s = ncc_at(img, tpl, x as usize, y as usize);
                        if s > best.score {
                            best = Peak { x: x as usize, y: y as usize, score: s };
                        }
                    }
                }
                *p = best;
            }
        }
        if li + 1 == levels.len() {
            let best = *peaks.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
            // Sub-pixel: a parabola through the neighbours on each axis.
            let at = |x: i64, y: i64| {
                if x < 0 || y < 0 || x >= rw as i64 || y >= rh as i64 {
                    None
                } else {
                    Some(ncc_at(img, tpl, x as usize, y as usize) as f64)
                }
            };
            let (bx, by) = (best.x as i64, best.y as i64);
            let c = best.score as f64;
            let x_sub = best.x as f64 + parabola_vertex(at(bx - 1, by), c, at(bx + 1, by));
            let y_sub = best.y as f64 + parabola_vertex(at(bx, by - 1), c, at(bx, by + 1));
            return Some(Found { x: best.x, y: best.y, score: best.score, x_sub, y_sub, rival: None });
        }
    }
    let best = *peaks.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    Some(Found { x: best.x, y: best.y, score: best.score, x_sub: best.x as f64, y_sub: best.y as f64, rival: None })
}

/// Below this score of fg's whole content, each half of it is searched as well: graphics
/// burned into fg (a logo, a caption box) that bg lacks can pull the whole content's best
/// match elsewhere, and a half without them still matches.
pub(super) const PART_RETRY: f64 = 0.9;
/// A half replaces the whole content only when it scores this much better.
pub(super) const PART_MARGIN: f64 = 0.05;
/// Halves scoring within this of the chosen one are alike.
pub(super) const PART_TIE: f64 = 0.05;
/// A chosen half with less than this share of an alike half's detail is featureless.
const FEATURELESS_SHARE: f64 = 0.25;

/// An alike half (`PART_TIE`) with four times the chosen half's detail, the most detailed of
/// them: a half that is all black backdrop or clear sky places fg as well as the half with
/// the picture in it, but cannot tell bg's frames apart, and the time map compares frames on
/// it (a box over the person's half of the film: 0.05 against 14.4, and 32 of 48 frames were
/// put on one bg frame). Halves of like detail keep the first choice.
fn more_detailed_alike(
    fg: &[FrameRef<'_>],
    found: &[(Rect, Placement, Option<Placement>)],
    chosen: Rect,
) -> Option<Rect> {
    let score = found.iter().find(|(h, _, _)| *h == chosen)?.1.confidence;
    let chosen_detail = detail(fg, chosen);
    found
        .iter()
        .filter(|(h, p, _)| *h != chosen && p.confidence >= score - PART_TIE)
        .map(|(h, _, _)| (detail(fg, *h), *h))
        .filter(|(d, _)| chosen_detail < FEATURELESS_SHARE * d)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h)
}

/// The detail of fg's `part` over the samples: the mean standard deviation of its luma.
fn detail(samples: &[FrameRef<'_>], part: Rect) -> f64 {
    let mut row = vec![0u8; part.width as usize];
    let each = samples.iter().map(|f| {
        let (mut sum, mut sum_sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
        for y in part.y..part.y + part.height {
            for &v in f.luma_row(y as usize, part.x as usize, &mut row) {
                let v = v as f64;
                (sum, sum_sq, n) = (sum + v, sum_sq + v * v, n + 1.0);
            }
        }
        let mean = sum / n.max(1.0);
        (sum_sq / n.max(1.0) - mean * mean).max(0.0).sqrt()
    });
    each.sum::<f64>() / samples.len().max(1) as f64
}

/// A placement, and the part of fg's content (fg pixels) it was found from when that is not
/// the whole content (see `PART_RETRY`): the part to compare frames by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    pub placement: Placement,
    pub matched_part: Option<Rect>,
    /// Another place that scored within `AMBIGUITY_MARGIN` of this one (from another sample
    /// pair, away from it): a repetitive picture, or a pan's lookalike. The analyzer settles
    /// it on the time map (`Analyzer::settle_rival`).
    pub rival: Option<Placement>,
}

/// Locates fg in bg from sample frames of each. Every fg sample is tried against every bg
/// sample; the best score wins. Fails with NO_MATCH when the best score is below
/// `settings.min_confidence`.
pub fn locate(fg_samples: &[FrameRef<'_>], bg_samples: &[FrameRef<'_>], settings: &Settings) -> Result<Placement> {
    locate_parts(fg_samples, bg_samples, settings).map(|l| l.placement)
}

/// [`locate`], saying which part of fg's content matched: the whole, or (when the whole
/// scores under `PART_RETRY`, as graphics burned into fg make it) a half that scores clearly
/// better, its placement widened to the whole content.
pub fn locate_parts(fg_samples: &[FrameRef<'_>], bg_samples: &[FrameRef<'_>], settings: &Settings) -> Result<Located> {
    let (Some(fg0), Some(bg0)) = (fg_samples.first(), bg_samples.first()) else {
        return Err(Error::invalid("locate needs at least one fg and one bg sample"));
    };
    for s in fg_samples {
        if (s.width(), s.height()) != (fg0.width(), fg0.height()) {
            return Err(Error::invalid("fg samples differ in size"));
        }
    }
    for s in bg_samples {
        if (s.width(), s.height()) != (bg0.width(), bg0.height()) {
            return Err(Error::invalid("bg samples differ in size"));
        }
    }
    let content = content_rect(fg_samples);
    let (whole, rival) = best_placement(fg_samples, bg_samples, content, settings)?;
    let mut best = Located { placement: whole, matched_part: None, rival };
    if whole.confidence < PART_RETRY {
        let mut found: Vec<(Rect, Placement, Option<Placement>)> = Vec::new();
        for part in halves(content) {
            let Ok((p, rival)) = best_placement(fg_samples, bg_samples, part, settings) else { continue };
            if p.confidence > best.placement.confidence + PART_MARGIN {
                best = Located { placement: widened(&p, content), matched_part: Some(part), rival: None };
            }
            found.push((part, p, rival));
        }
        if let Some(part) = best.matched_part {
            let chosen = more_detailed_alike(fg_samples, &found, part).unwrap_or(part);
            let (_, p, rival) = found.into_iter().find(|(h, _, _)| *h == chosen).expect("a searched half");
            best = Located {
                placement: widened(&p, content),
                matched_part: Some(chosen),
                rival: rival.map(|r| widened(&r, content)),
            };
        }
    }
    let confidence = best.placement.confidence;
    if confidence < settings.min_confidence {
        return Err(Error::NoMatch { score: confidence, min_confidence: settings.min_confidence });
    }
    Ok(best)
}

/// The left, right, top and bottom halves of `content` (none of a side under 2 px).
pub(super) fn halves(content: Rect) -> Vec<Rect> {
    let (w, h) = (content.width / 2, content.height / 2);
    if w < 2 || h < 2 {
        return Vec::new();
    }
    vec![
        Rect::new(content.x, content.y, w, content.height),
        Rect::new(content.x + content.width - w, content.y, w, content.height),
        Rect::new(content.x, content.y, content.width, h),
        Rect::new(content.x, content.y + content.height - h, content.width, h),
    ]
}

/// The best placement of fg's `content` box (fg pixels) over every pair of samples, whatever
/// its score.
/// [`locate`] of a given part of fg (`content`, fg pixels), without detecting bars: what a
/// check on one frame pair searches, since one frame's dark edges are not bars.
pub fn locate_content(fg: &FrameRef<'_>, bg: &FrameRef<'_>, content: Rect, settings: &Settings) -> Result<Placement> {
    best_placement(&[*fg], &[*bg], content, settings).map(|(p, _)| p)
}

pub(super) fn best_placement(
    fg_samples: &[FrameRef<'_>],
    bg_samples: &[FrameRef<'_>],
    content: Rect,
    settings: &Settings,
) -> Result<(Placement, Option<Placement>)> {
    let bg0 = &bg_samples[0];
    let (bw, bh) = (bg0.width() as f64, bg0.height() as f64);
    let (cw, ch) = (content.width as usize, content.height as usize);
    let fits = |s: f64| cw as f64 * s <= bw && ch as f64 * s <= bh;
    let (lo, hi) = if settings.scale_search { (settings.scale_min, settings.scale_max) } else { (1.0, 1.0) };
    let big_enough = |s: f64| {
        s == 1.0 || (cw as f64 * s >= scale::MIN_SCALED_TEMPLATE.0 && ch as f64 * s >= scale::MIN_SCALED_TEMPLATE.1)
    };
    let scales: Vec<f64> = scale::sweep_scales(lo, hi).into_iter().filter(|&s| fits(s) && big_enough(s)).collect();
    let Some(&largest) = scales.iter().max_by(|a, b| a.total_cmp(b)) else {
        return Err(Error::invalid(format!("fg content {cw}x{ch} does not fit in bg {bw}x{bh} at any allowed scale")));
    };
    // One bg pyramid per sample serves every scale: coarse enough for the scale sweep's small
    // templates at the largest scale, fine down to full resolution or the budget.
    let coarse_width = if settings.scale_search { scale::SWEEP_TEMPLATE_WIDTH } else { COARSE_TEMPLATE_WIDTH };
    let all_factors = pyramid_factors(cw as f64 * largest, coarse_width);
    let within_budget = all_factors
        .iter()
        .position(|&f| level_size(bw as usize, f) * level_size(bh as usize, f) > LEVEL_BUDGET_PIXELS)
        .unwrap_or(all_factors.len())
        .max(1);
    let factors = all_factors[..within_budget].to_vec();
    let finest = factors[factors.len() - 1];
    // The levels a search at `scale` uses: its template about COARSE_TEMPLATE_WIDTH px wide at
    // the coarsest, within the budget.
    let factors_for = |scale: f64| -> Vec<f64> {
        let own = pyramid_factors(cw as f64 * scale, COARSE_TEMPLATE_WIDTH);
        let kept: Vec<f64> = own.into_iter().filter(|f| factors.contains(f)).collect();
        if kept.is_empty() { vec![finest] } else { kept }
    };
    let fg_images: Vec<Image> = fg_samples
        .iter()
        .map(|f| Image::from_frame(f, content, level_size(cw, finest), level_size(ch, finest)))
        .collect();
    let bg_pyramids: Vec<BgPyramid> = bg_samples.iter().map(|f| BgPyramid::new(f, &factors)).collect();

    // Best (fg sample, bg sample) pair at a scale, searched coarse to fine. With many sample
    // pairs, a prescreen where the template is ~48 px wide keeps the PRESCREEN_KEEP most
    // promising pairs for the real search.
    let prescreen = |tpls: &[TemplatePyramid]| -> Vec<(usize, usize)> {
        let mut pairs: Vec<(usize, usize)> =
            (0..tpls.len()).flat_map(|fi| (0..bg_pyramids.len()).map(move |bi| (fi, bi))).collect();
        if pairs.len() <= PRESCREEN_KEEP {
            return pairs;
        }
        // Shrink so the template is about PRESCREEN_TEMPLATE_WIDTH px wide (never enlarge).
        let coarsest = tpls[0].levels.len();
        let shrink = (tpls[0].levels[0].0.width as f64 / PRESCREEN_TEMPLATE_WIDTH).max(1.0);
        let smaller = |c: &Image| c.resized(level_size(c.width, shrink), level_size(c.height, shrink));
        let small_tpls: Vec<Image> = tpls.iter().map(|t| smaller(&t.levels[0].0)).collect();
        let small_bgs: Vec<Image> = bg_pyramids.iter().map(|b| smaller(&b.levels[b.levels.len() - coarsest])).collect();
        let score = |&(fi, bi): &(usize, usize)| -> f32 {
            let (t, b) = (&small_tpls[fi], &small_bgs[bi]);
            if t.width > b.width || t.height > b.height {
                return f32::NEG_INFINITY;
            }
            ncc_full(b, t).into_iter().fold(f32::NEG_INFINITY, f32::max)
        };
        let scores: Vec<f32> = pairs.iter().map(score).collect();
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        pairs = order.into_iter().take(PRESCREEN_KEEP).map(|k| pairs[k]).collect();
        pairs
    };
    // The sample pairs worth searching at a scale (all, or the prescreen's best), and the
    // best of them searched coarse to fine.
    let ranked_pairs = |scale: f64| -> Option<RankedPairs> {
        let factors = factors_for(scale);
        let templates: Vec<TemplatePyramid> =
            fg_images.iter().map(|fg| TemplatePyramid::new(fg, content, scale, &factors)).collect::<Option<_>>()?;
        let pairs = prescreen(&templates);
        Some(RankedPairs { factors, templates, pairs })
    };
    let search_ranked = |r: &RankedPairs| -> Option<(Found, usize, usize)> {
        let mut all: Vec<(Found, usize, usize)> = Vec::with_capacity(r.pairs.len());
        for &(fi, bi) in &r.pairs {
            if let Some(found) = search(&r.templates[fi], bg_pyramids[bi].levels_for(&r.factors), &r.factors, false) {
                all.push((found, fi, bi));
            }
        }
        let (mut best, fi, bi) = *all.iter().max_by(|a, b| a.0.score.total_cmp(&b.0.score))?;
        let far = (r.templates[fi].levels.last()?.0.width as f64 * RIVAL_DISTANCE).max(2.0) as usize;
        best.rival = all
            .iter()
            .filter(|(f, _, _)| f.x.abs_diff(best.x).max(f.y.abs_diff(best.y)) > far)
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score))
            .map(|(f, _, _)| (f.score, (f.x, f.y)));
        Some((best, fi, bi))
    };
    let best_for_scale = |scale: f64| ranked_pairs(scale).and_then(|r| search_ranked(&r));

    let ranked_at_one = if fits(1.0) { ranked_pairs(1.0) } else { None };
    let at_one = ranked_at_one.as_ref().and_then(search_ranked);
    let mut chosen = at_one.map(|(found, fi, bi)| (1.0, found, fi, bi));
    if settings.scale_search {
        // The scale is measured on the pairs the scale-1 prescreen ranks best (all of them when
        // there are few): the pair that matches best at scale 1 need not be the true one.
        let pairs = match ranked_at_one {
            Some(r) => r.pairs,
            None => ranked_pairs(scales[0]).map(|r| r.pairs).unwrap_or_default(),
        };
        let fg_levels: Vec<scale::FgLevels> =
            fg_images.iter().map(|img| scale::FgLevels::new(img.clone(), (cw, ch))).collect();
        let at_one_found = at_one.map(|(f, fi, bi)| (f, (fi, bi)));
        if let Some(s) = scale::measure(&fg_levels, &bg_pyramids, &pairs, &scales, at_one_found)
            && s != 1.0
            && let Some((found, fi, bi)) = best_for_scale(s)
            // The measured scale must also win the full search, by more than scale 1's margin.
            && at_one.is_none_or(|(one, _, _)| found.score > one.score + SCALE_ONE_MARGIN)
        {
            chosen = Some((s, found, fi, bi));
        }
    }
    let (chosen_scale, mut found, fi, bi) =
        chosen.ok_or_else(|| Error::invalid("fg does not fit inside bg at the chosen scale"))?;
    // Under min_confidence nothing matched (`locate` says so): rivals there are noise.
    let rival = found
        .rival
        .filter(|&(score, _)| found.score as f64 >= settings.min_confidence && found.score - score < AMBIGUITY_MARGIN);
    if factors.len() < all_factors.len() {
        // Frames beyond the budget: the chosen pair alone, searched down to full resolution
        // (the other samples' levels are let go first).
        drop(bg_pyramids);
        let full = pyramid_factors(cw as f64 * chosen_scale, COARSE_TEMPLATE_WIDTH);
        let fg_full = Image::from_frame(&fg_samples[fi], content, cw, ch);
        let tpl = TemplatePyramid::new(&fg_full, content, chosen_scale, &full)
            .ok_or_else(|| Error::invalid("fg does not fit inside bg at the chosen scale"))?;
        let bg_full = BgPyramid::new(&bg_samples[bi], &full);
        found = search(&tpl, &bg_full.levels, &full, false)
            .ok_or_else(|| Error::invalid("fg does not fit inside bg at the chosen scale"))?;
    }
    let confidence = found.score.max(0.0) as f64;
    let placement = Placement {
        x: found.x as i32,
        y: found.y as i32,
        width: (content.width as f64 * chosen_scale).round() as u32,
        height: (content.height as f64 * chosen_scale).round() as u32,
        scale: chosen_scale,
        confidence,
        content,
        x_subpixel: found.x_sub,
        y_subpixel: found.y_sub,
    };
    let rival = rival.map(|(score, (x, y))| {
        let (x, y) = ((x as f64 * finest).round(), (y as f64 * finest).round());
        Placement { x: x as i32, y: y as i32, confidence: score as f64, x_subpixel: x, y_subpixel: y, ..placement }
    });
    Ok((placement, rival))
}

/// Width, in pixels, of fg's content when bg frames are ranked by likeness
/// ([`likeliest_bg`]): small, so that ranking thousands of frames costs about one search.
pub(super) const RANK_TEMPLATE_WIDTH: f64 = 24.0;

/// The indices of the `keep` bg frames most like any of the fg frames, best first: fg's
/// content searched at scale 1 in each bg frame, both shrunk until the content is about
/// `RANK_TEMPLATE_WIDTH` px wide, scored by the best NCC. For choosing which frames of a
/// long bg a search looks at, where fg's content appears in few of them.
pub fn likeliest_bg(fg: &[FrameRef<'_>], bg: &[FrameRef<'_>], keep: usize) -> Vec<usize> {
    if fg.is_empty() || bg.is_empty() {
        return Vec::new();
    }
    let content = content_rect(fg);
    let shrink = (content.width as f64 / RANK_TEMPLATE_WIDTH).max(1.0);
    let (tw, th) = (level_size(content.width as usize, shrink), level_size(content.height as usize, shrink));
    let templates: Vec<Image> = fg.iter().map(|f| Image::from_frame(f, content, tw, th)).collect();
    let score = |b: &FrameRef<'_>| -> f32 {
        let (bw, bh) = (level_size(b.width() as usize, shrink), level_size(b.height() as usize, shrink));
        if tw > bw || th > bh {
            return f32::NEG_INFINITY;
        }
        let img = Image::from_frame(b, Rect::full(b.width(), b.height()), bw, bh);
        templates.iter().flat_map(|t| ncc_full(&img, t)).fold(f32::NEG_INFINITY, f32::max)
    };
    let scores: Vec<f32> = bg.iter().map(score).collect();
    let mut order: Vec<usize> = (0..bg.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order.truncate(keep);
    order
}
