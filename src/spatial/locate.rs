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
    // The squares the last level scored, for the sub-pixel step's neighbours.
    let mut last_squares: Vec<Around> = Vec::new();
    for (li, img) in levels.iter().enumerate() {
        let tpl = &tpls.levels[li];
        let (tw, th) = (tpl.width, tpl.height);
        if tw > img.width || th > img.height {
            return None;
        }
        let (rw, rh) = (img.width - tw + 1, img.height - th + 1);
        if li == 0 {
            let scores = ncc_full_of(img, &Integrals::new(img), tpl);
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
            last_squares.clear();
            for p in &mut peaks {
                let (cx, cy) = ((p.x as f64 * ratio).round() as i64, (p.y as f64 * ratio).round() as i64);
                let around = Around::new(img, tpl, (cx, cy), radius, (rw, rh));
                *p = match around.best() {
                    Some((x, y, score)) => Peak { x: x as usize, y: y as usize, score },
                    None => Peak { x: 0, y: 0, score: f32::NEG_INFINITY },
                };
                last_squares.push(around);
            }
        }
        if li + 1 == levels.len() {
            let best = *peaks.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
            // Sub-pixel: a parabola through the neighbours on each axis (most of them scored
            // already, in the square about the best).
            let at = |x: i64, y: i64| {
                if x < 0 || y < 0 || x >= rw as i64 || y >= rh as i64 {
                    None
                } else {
                    let scored = last_squares.iter().find_map(|a| a.at(x, y));
                    Some(scored.unwrap_or_else(|| ncc_at(img, tpl, x as usize, y as usize)) as f64)
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
    locate_parts_of_at_least(fg_samples, bg_samples, settings, scale::MIN_SCALED_TEMPLATE)
}

/// [`locate_parts`] on small copies of both streams, down to their own smallest template
/// (`scale::MIN_SCALED_TEMPLATE_ON_COPIES`). A place found so is only a candidate: the caller
/// compares samples there before trusting it.
pub fn locate_parts_on_copies(
    fg_samples: &[FrameRef<'_>],
    bg_samples: &[FrameRef<'_>],
    settings: &Settings,
) -> Result<Located> {
    locate_parts_of_at_least(fg_samples, bg_samples, settings, scale::MIN_SCALED_TEMPLATE_ON_COPIES)
}

/// [`locate_parts`], trying scales other than 1 only where fg's template is at least
/// `min_template` (width, height) in bg's pixels.
fn locate_parts_of_at_least(
    fg_samples: &[FrameRef<'_>],
    bg_samples: &[FrameRef<'_>],
    settings: &Settings,
    min_template: (f64, f64),
) -> Result<Located> {
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
    let (whole, rival) = best_placement(fg_samples, bg_samples, content, settings, min_template)?;
    let mut best = Located { placement: whole, matched_part: None, rival };
    if whole.confidence < PART_RETRY {
        let mut found: Vec<(Rect, Placement, Option<Placement>)> = Vec::new();
        for part in halves(content) {
            let Ok((p, rival)) = best_placement(fg_samples, bg_samples, part, settings, min_template) else { continue };
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

/// [`locate`] of a given part of fg (`content`, fg pixels), without detecting bars: what a
/// check on one frame pair searches, since one frame's dark edges are not bars.
pub fn locate_content(fg: &FrameRef<'_>, bg: &FrameRef<'_>, content: Rect, settings: &Settings) -> Result<Placement> {
    best_placement(&[*fg], &[*bg], content, settings, scale::MIN_SCALED_TEMPLATE).map(|(p, _)| p)
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
