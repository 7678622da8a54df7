//! Placement: where fg's content sits in bg (x, y, scale), by normalized cross-correlation.
//!
//! The score is the mean-removed normalized cross-correlation (OpenCV's `TM_CCOEFF_NORMED`):
//! `R(y, x) = Σ T'·I(y + i, x + j) / sqrt(Σ T'² · Σ (I − Ī_window)²)` with `T' = T − mean(T)`.
//! Because `Σ T' = 0`, the numerator needs no window mean. It is computed with faer: for each
//! image row `r`, the overlapping view `X_r[x, j] = I[r, x + j]` (a matrix over the same memory,
//! row stride 1, column stride 1) times `T'ᵀ` gives `P_r[x, i]`, the contribution of image row
//! `r` to result row `r − i`. One small GEMM per image row is much faster than one big GEMM over
//! the whole image. Window sums of `I` and `I²` come from f64 integral images. Flat windows
//! score 0 (no NaN).
//!
//! Search is coarse to fine: a full search at the pyramid level where the template is about
//! 64–128 px wide, the top peaks (non-maximum suppressed) refined in a ±2 px window at each
//! finer level, an exact integer placement at full resolution and a sub-pixel estimate from a
//! parabola through the neighbours. Scale 1 is tried first and kept when within
//! `SCALE_ONE_MARGIN` of the best; with scale search on, a log-spaced sweep and a local
//! refinement find fg's scale in bg. Every fg sample is paired with every bg sample, so a time
//! offset between the streams does not defeat placement. Black bars (letterbox, pillarbox) in
//! fg are detected and only the content rectangle is matched.
//!
//! Files: `image` (f32 luma images, resampling, integral images), `ncc` (the kernel), `content`
//! (black bars), `pyramid` (levels and peaks), `locate` (the search), `near` (searches near a
//! known placement), `fit` (a box to a fraction of a pixel), `scale` (the scale sweep); this file holds the [`Placement`] they find.

use crate::error::{Error, Result};
use crate::frame::{AreaResampler, FrameRef, Rect};
use crate::settings::Settings;

mod content;
mod fit;
mod image;
mod locate;
mod ncc;
mod near;
mod pyramid;
mod scale;
mod search;
pub use content::*;
pub use fit::*;
pub use image::*;
pub use locate::*;
pub use ncc::*;
pub use near::*;
use pyramid::*;
use search::best_placement;

/// Width the template has at the coarsest level (the full search runs there).
const COARSE_TEMPLATE_WIDTH: f64 = 96.0;
/// Scale 1 wins when its score is at most this much below the best scale's.
const SCALE_ONE_MARGIN: f32 = 0.01;
/// Peaks kept from the coarse search.
const PEAKS: usize = 3;
/// Sample pairs searched in full after the prescreen.
const PRESCREEN_KEEP: usize = 12;
/// Template width at the prescreen.
const PRESCREEN_TEMPLATE_WIDTH: f64 = 48.0;
/// Most pixels of the finest level kept for every sample (a 1080p frame fits). Sample pair and
/// scale are chosen within this budget; on larger frames only the chosen pair is then
/// searched at full resolution, so time and memory stay bounded whatever the frame size.
const LEVEL_BUDGET_PIXELS: usize = 1 << 21;

/// Where fg's content sits in bg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Top-left of fg's content in bg (may be negative or beyond bg when fg is partly outside).
    pub x: i32,
    pub y: i32,
    /// Size of fg's content in bg pixels (content size × scale, rounded).
    pub width: u32,
    pub height: u32,
    /// bg pixels per fg pixel.
    pub scale: f64,
    /// The best correlation score, 0..1.
    pub confidence: f64,
    /// fg's content rectangle (without black bars), in fg pixels.
    pub content: Rect,
    /// Sub-pixel estimate of x and y.
    pub x_subpixel: f64,
    pub y_subpixel: f64,
}

/// Indices of `count` evenly spaced picks of `n` frames (first and last included).
pub fn evenly_spaced(n: usize, count: usize) -> Vec<usize> {
    let k = count.min(n);
    (0..k).map(|s| if k == 1 { 0 } else { s * (n - 1) / (k - 1) }).collect()
}

/// Smallest and largest scale a placement may have (bg pixels per fg pixel).
pub const MIN_SCALE: f64 = 1.0 / 64.0;
pub const MAX_SCALE: f64 = 64.0;
/// Farthest a placement's corner may lie from bg's origin, in bg pixels.
pub const MAX_OFFSET: i64 = 1 << 20;

impl Placement {
    /// Checks every field against the frame limits before anything is sized from it: a
    /// content box inside the largest frame, a scale within `MIN_SCALE..=MAX_SCALE`, a size
    /// that is the content's times the scale, a corner within `MAX_OFFSET`, finite numbers.
    pub fn validate(&self) -> Result<()> {
        let c = self.content;
        let bad = |what: String| Err(Error::invalid(format!("placement: {what}")));
        if c.width == 0 || c.height == 0 {
            return bad(format!("the content box {}x{} is empty", c.width, c.height));
        }
        let max = crate::frame::MAX_DIMENSION as u64;
        if c.x as u64 + c.width as u64 > max || c.y as u64 + c.height as u64 > max {
            return bad(format!("the content box {c:?} exceeds the largest frame ({max} per side)"));
        }
        if !(self.scale.is_finite() && (MIN_SCALE..=MAX_SCALE).contains(&self.scale)) {
            return bad(format!("scale {} is outside {MIN_SCALE}..{MAX_SCALE}", self.scale));
        }
        let expected = |n: u32| n as f64 * self.scale;
        if (self.width as f64 - expected(c.width)).abs() > 2.0 || (self.height as f64 - expected(c.height)).abs() > 2.0
        {
            return bad(format!(
                "size {}x{} is not the content {}x{} at scale {}",
                self.width, self.height, c.width, c.height, self.scale
            ));
        }
        if self.width == 0 || self.height == 0 {
            return bad("the size is zero".into());
        }
        if (self.x as i64).abs() > MAX_OFFSET || (self.y as i64).abs() > MAX_OFFSET {
            return bad(format!("corner ({}, {}) is beyond {MAX_OFFSET} px", self.x, self.y));
        }
        if ![self.confidence, self.x_subpixel, self.y_subpixel].iter().all(|v| v.is_finite()) {
            return bad("confidence and sub-pixel position must be finite".into());
        }
        Ok(())
    }
}

/// Correlation score at which the placement confidence is one half.
const HALF_CONFIDENT_SCORE: f64 = 0.8;
/// How sharply the placement confidence falls around `HALF_CONFIDENT_SCORE`.
const SCORE_STEEPNESS: i32 = 4;

/// The confidence in a placement of correlation score `score`: 1 / (1 + ((1 - score) / 0.2)^4),
/// one half at 0.8. Calibrated on pairs made from the clips (README "Accuracy"): true pairs,
/// graded, blurred, noisy, coded at crf 38, with logo boxes or a ticker, score 0.97-1.00 (0.99
/// and above); fg from another film scores 0.49-0.52 (0.02-0.03) and is refused under
/// `min_confidence` 0.6 (0.06). It speaks of the position only: fg at instants bg lacks, with
/// bg's framing, is placed confidently and refused by the time map.
pub fn placement_confidence(score: f64) -> f64 {
    if !score.is_finite() {
        return 0.0;
    }
    let miss = ((1.0 - score).max(0.0) / (1.0 - HALF_CONFIDENT_SCORE)).powi(SCORE_STEEPNESS);
    1.0 / (1.0 + miss)
}

/// The most confident of `found` (each item's placement given by `placement`); on a tie the
/// last, so a map that keeps its items' order picks what one thread's loop would.
pub fn most_confident<T>(found: impl IntoIterator<Item = T>, placement: impl Fn(&T) -> &Placement) -> Option<T> {
    found.into_iter().max_by(|a, b| placement(a).confidence.total_cmp(&placement(b).confidence))
}

impl Placement {
    /// [`placement_confidence`] of this placement's score.
    pub fn calibrated_confidence(&self) -> f64 {
        placement_confidence(self.confidence)
    }

    /// fg's content box `content` at `scale` with its corner at (`x_subpixel`, `y_subpixel`)
    /// in bg: the rounded corner and size follow; the confidence is this placement's.
    pub fn with_box(&self, content: Rect, scale: f64, x_subpixel: f64, y_subpixel: f64) -> Placement {
        Placement {
            x: x_subpixel.round() as i32,
            y: y_subpixel.round() as i32,
            width: ((content.width as f64 * scale).round() as u32).max(1),
            height: ((content.height as f64 * scale).round() as u32).max(1),
            scale,
            confidence: self.confidence,
            content,
            x_subpixel,
            y_subpixel,
        }
    }
}

/// The placement of the part `part` (fg pixels, inside `p.content`) of fg's content.
pub fn narrowed(p: &Placement, part: Rect) -> Placement {
    let (dx, dy) = ((part.x as f64 - p.content.x as f64) * p.scale, (part.y as f64 - p.content.y as f64) * p.scale);
    p.with_box(part, p.scale, p.x_subpixel + dx, p.y_subpixel + dy)
}

/// A placement of a part of fg's content as the placement of the whole `content`.
pub fn widened(part: &Placement, content: Rect) -> Placement {
    let (dx, dy) = (
        (part.content.x as f64 - content.x as f64) * part.scale,
        (part.content.y as f64 - content.y as f64) * part.scale,
    );
    part.with_box(content, part.scale, part.x_subpixel - dx, part.y_subpixel - dy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_s_placement_widens_back_to_the_whole() {
        let content = Rect::new(0, 14, 128, 72);
        let whole = Placement {
            x: 50,
            y: 30,
            width: 256,
            height: 144,
            scale: 2.0,
            confidence: 0.9,
            content,
            x_subpixel: 50.25,
            y_subpixel: 30.0,
        };
        for part in halves(content) {
            let p = narrowed(&whole, part);
            assert_eq!((p.content, p.width), (part, part.width * 2));
            assert_eq!(widened(&p, content), whole, "{part:?}");
        }
        // The right half of the content starts 64 fg pixels, 128 bg pixels, to the right.
        assert_eq!(narrowed(&whole, halves(content)[1]).x_subpixel, 178.25);
    }

    fn noise(w: usize, h: usize, seed: u64) -> Image {
        let mut state = seed | 1;
        let mut img = Image::new(w, h);
        for v in &mut img.data {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *v = (state % 256) as f32;
        }
        img
    }

    /// The masked NCC summed directly in f64 over the pixels outside the holes.
    fn masked_reference(img: &Image, tpl: &Image, holes: &[(usize, usize, usize, usize)], x: usize, y: usize) -> f64 {
        let inside = |tx: usize, ty: usize| {
            holes.iter().any(|&(hx, hy, hw, hh)| (hx..hx + hw).contains(&tx) && (hy..hy + hh).contains(&ty))
        };
        let kept: Vec<(usize, usize)> = (0..tpl.height)
            .flat_map(|ty| (0..tpl.width).map(move |tx| (tx, ty)))
            .filter(|&(tx, ty)| !inside(tx, ty))
            .collect();
        let n = kept.len() as f64;
        let t_mean = kept.iter().map(|&(tx, ty)| tpl.data[ty * tpl.width + tx] as f64).sum::<f64>() / n;
        let i_mean = kept.iter().map(|&(tx, ty)| img.data[(y + ty) * img.width + x + tx] as f64).sum::<f64>() / n;
        let (mut num, mut tt, mut ii) = (0.0, 0.0, 0.0);
        for &(tx, ty) in &kept {
            let t = tpl.data[ty * tpl.width + tx] as f64 - t_mean;
            let i = img.data[(y + ty) * img.width + x + tx] as f64 - i_mean;
            num += t * i;
            tt += t * t;
            ii += i * i;
        }
        num / (tt * ii).sqrt()
    }

    #[test]
    fn ncc_with_holes_matches_the_direct_sum() {
        let img = noise(40, 30, 3);
        let tpl = noise(17, 13, 4);
        let holes = [(2, 1, 5, 4), (10, 8, 7, 5)];
        let template = Template::with_holes(&tpl, &holes);
        let scores = ncc_full_holes(&img, &template, &holes);
        let rw = img.width - tpl.width + 1;
        for (k, &s) in scores.iter().enumerate() {
            let want = masked_reference(&img, &tpl, &holes, k % rw, k / rw);
            assert!((s as f64 - want).abs() < 1e-4, "at {k}: {s} vs {want}");
        }
    }

    #[test]
    fn a_hole_over_a_foreign_box_keeps_the_match_exact() {
        // The template is the image at (9, 6) with an opaque bright box painted over a
        // quarter of it: left out, the box cannot pull the best match off (9, 6).
        let img = noise(48, 36, 5);
        let mut tpl = Image::new(24, 16);
        for y in 0..16 {
            for x in 0..24 {
                tpl.data[y * 24 + x] = if x < 12 && y < 8 { 250.0 } else { img.data[(y + 6) * 48 + x + 9] };
            }
        }
        let holes = [(0, 0, 12, 8)];
        let template = Template::with_holes(&tpl, &holes);
        let scores = ncc_full_holes(&img, &template, &holes);
        let rw = 48 - 24 + 1;
        let (best, score) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_eq!((best % rw, best / rw), (9, 6));
        assert!(*score > 0.999, "{score}");
    }
}
