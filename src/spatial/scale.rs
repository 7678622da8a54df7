//! Measuring fg's scale in bg (bg pixels per fg pixel) on one sample pair, cheaply enough to
//! be on by default.
//!
//! 1. **Sweep.** For log-spaced scales over the allowed range (and 1 itself), a full NCC search
//!    at the bg level where the template is about `SWEEP_TEMPLATE_WIDTH` px wide: tiny maps,
//!    a fraction of the scale-1 search's cost altogether.
//! 2. **Narrowing.** Around the sweep's best scale, eighths of a sweep step, each searched in a
//!    small window around the sweep's peak at the level where the template is about
//!    `NARROW_TEMPLATE_WIDTH` px wide.
//! 3. **Fine.** Steps of `FINE_STEP` within ±`FINE_SPAN`, in a window at the level where the
//!    template is about `FINE_TEMPLATE_WIDTH` px wide, where a step moves the template's far
//!    edge by about a pixel.
//!
//! 4. **Polish.** At the finest level, the template widths (whole pixels) next to the fine
//!    stage's, in a ±2 px window: a scaled copy has a whole-pixel size, and a template one
//!    pixel too wide or narrow would shift the placement by a pixel.
//!
//! When the sweep's best is scale 1, only the fine stage runs, around scale 1's placement.
//! Scale 1 is kept when its score at the fine level is within `SCALE_ONE_MARGIN` of the best.
//! The caller then searches the chosen scale as usual (all sample pairs, coarse to fine).

use super::{BgPyramid, Found, Image, SCALE_ONE_MARGIN, Template, level_size, ncc_at, ncc_full};
use crate::settings::Settings;

/// Template width in the sweep's full searches.
pub(super) const SWEEP_TEMPLATE_WIDTH: f64 = 32.0;
/// Scales in the sweep (log-spaced over the allowed range), scale 1 added.
const SCALE_SWEEP: usize = 15;
/// Template width while narrowing.
const NARROW_TEMPLATE_WIDTH: f64 = 128.0;
/// Template width for the fine scale steps.
const FINE_TEMPLATE_WIDTH: f64 = 320.0;
/// Relative scale step of the fine stage, and how far it looks either way.
const FINE_STEP: f64 = 0.0025;
const FINE_SPAN: i32 = 6;
/// Template widths either side of the fine stage's tried by the polish.
const POLISH_WIDTHS: i32 = 3;

/// The sweep's scales: log-spaced over `lo..=hi`, and 1 when it is in range.
pub(super) fn sweep_scales(lo: f64, hi: f64) -> Vec<f64> {
    let mut scales = Vec::with_capacity(SCALE_SWEEP + 1);
    if lo <= 1.0 && 1.0 <= hi {
        scales.push(1.0);
    }
    if hi > lo {
        for k in 0..SCALE_SWEEP {
            let s = lo * (hi / lo).powf(k as f64 / (SCALE_SWEEP - 1) as f64);
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

/// A scale tried: the bg level it was searched at, the best position there and its score.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    scale: f64,
    factor: f64,
    x: usize,
    y: usize,
    score: f32,
}

/// The coarsest level of `bg` where a template `width` px wide (at full resolution) is at
/// least two thirds of `target` px wide.
fn level_for(bg: &BgPyramid, width: f64, target: f64) -> f64 {
    let finest = *bg.factors.last().expect("one level");
    bg.factors.iter().copied().find(|&f| width / f >= target * 0.67).unwrap_or(finest)
}

fn full_search(bg: &BgPyramid, fg: &FgLevels, scale: f64) -> Option<Candidate> {
    let factor = level_for(bg, fg.content.0 as f64 * scale, SWEEP_TEMPLATE_WIDTH);
    let level = bg.level(factor)?;
    let tpl = fg.template(scale, factor);
    if tpl.width > level.width || tpl.height > level.height {
        return None;
    }
    let rw = level.width - tpl.width + 1;
    let scores = ncc_full(level, &tpl);
    let (best, &score) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    Some(Candidate { scale, factor, x: best % rw, y: best / rw, score })
}

/// The best position of the template at `scale` within `radius` px of (cx, cy) on level `factor`.
fn window_search(
    bg: &BgPyramid,
    fg: &FgLevels,
    scale: f64,
    factor: f64,
    (cx, cy): (i64, i64),
    radius: i64,
) -> Option<Candidate> {
    let level = bg.level(factor)?;
    let tpl_img = fg.template(scale, factor);
    if tpl_img.width > level.width || tpl_img.height > level.height {
        return None;
    }
    let tpl = Template::new(&tpl_img);
    let (rw, rh) = ((level.width - tpl.width + 1) as i64, (level.height - tpl.height + 1) as i64);
    let mut best: Option<Candidate> = None;
    for y in (cy - radius).max(0)..=(cy + radius).min(rh - 1) {
        for x in (cx - radius).max(0)..=(cx + radius).min(rw - 1) {
            let score = ncc_at(level, &tpl, x as usize, y as usize);
            if best.is_none_or(|b| score > b.score) {
                best = Some(Candidate { scale, factor, x: x as usize, y: y as usize, score });
            }
        }
    }
    best
}

/// The best of `scales`, each searched around `from`'s position at the level where the
/// template of `from`'s scale is about `target` px wide.
fn refine(
    bg: &BgPyramid,
    fg: &FgLevels,
    from: Candidate,
    scales: impl Iterator<Item = f64>,
    target: f64,
) -> Option<Candidate> {
    let factor = level_for(bg, fg.content.0 as f64 * from.scale, target);
    let ratio = from.factor / factor;
    let centre = ((from.x as f64 * ratio).round() as i64, (from.y as f64 * ratio).round() as i64);
    let radius = ratio.ceil() as i64 + 1;
    scales.filter_map(|s| window_search(bg, fg, s, factor, centre, radius)).max_by(|a, b| a.score.total_cmp(&b.score))
}

/// The whole-pixel template widths next to `from`'s, at the finest level.
fn polish(bg: &BgPyramid, fg: &FgLevels, from: Candidate, allowed: impl Fn(&f64) -> bool) -> Option<Candidate> {
    let finest = *bg.factors.last()?;
    let ratio = from.factor / finest;
    let centre = ((from.x as f64 * ratio).round() as i64, (from.y as f64 * ratio).round() as i64);
    let cw = fg.content.0 as f64;
    let w0 = (cw * from.scale / finest).round();
    (-POLISH_WIDTHS..=POLISH_WIDTHS)
        .map(|k| (w0 + k as f64) * finest / cw)
        .filter(|s| allowed(s))
        .filter_map(|s| window_search(bg, fg, s, finest, centre, 2))
        .max_by(|a, b| a.score.total_cmp(&b.score))
}

/// fg's scale in bg, measured on one sample pair (`at_one`: scale 1's placement on it, when
/// scale 1 fits). `None` when no allowed scale fits.
pub(super) fn measure(
    fg: &FgLevels,
    bg: &BgPyramid,
    scales: &[f64],
    at_one: Option<Found>,
    settings: &Settings,
) -> Option<f64> {
    let (lo, hi) = (settings.scale_min * 0.995, settings.scale_max * 1.005);
    let allowed = move |s: &f64| (lo..=hi).contains(s);
    let swept = scales.iter().filter_map(|&s| full_search(bg, fg, s)).max_by(|a, b| a.score.total_cmp(&b.score))?;
    // Scale 1's placement is at the pyramid's finest level.
    let finest = *bg.factors.last()?;
    let one = at_one.map(|f| Candidate { scale: 1.0, factor: finest, x: f.x, y: f.y, score: f.score });
    let fine_steps = |c: Candidate| (-FINE_SPAN..=FINE_SPAN).map(move |k| c.scale * (1.0 + FINE_STEP * k as f64));
    let fine = match one {
        // Scale 1 won the sweep: look closely around it only.
        Some(one) if swept.scale == 1.0 => refine(bg, fg, one, fine_steps(one).filter(allowed), FINE_TEMPLATE_WIDTH)?,
        _ => {
            let sweep_step = (settings.scale_max / settings.scale_min).powf(1.0 / (SCALE_SWEEP - 1) as f64);
            let narrow = (-8..=8).map(|k| swept.scale * sweep_step.powf(k as f64 / 8.0));
            let narrowed = refine(bg, fg, swept, narrow.filter(allowed), NARROW_TEMPLATE_WIDTH)?;
            refine(bg, fg, narrowed, fine_steps(narrowed).filter(allowed), FINE_TEMPLATE_WIDTH)?
        }
    };
    let fine = if fine.scale == 1.0 { fine } else { polish(bg, fg, fine, allowed).unwrap_or(fine) };
    // Scale 1 is preferred when it is nearly as good on the same level.
    if let Some(one) = one
        && allowed(&1.0)
        && fine.scale != 1.0
    {
        let ratio = fine.factor / finest;
        let centre = ((one.x as f64 / ratio).round() as i64, (one.y as f64 / ratio).round() as i64);
        if let Some(at_one) = window_search(bg, fg, 1.0, fine.factor, centre, 1)
            && at_one.score >= fine.score - SCALE_ONE_MARGIN
        {
            return Some(1.0);
        }
    }
    Some(fine.scale)
}
