//! Coarse-to-fine levels of fg templates and bg frames, and peaks on a score map.

use super::*;

/// One candidate: position at some level, its score.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peak {
    pub(super) x: usize,
    pub(super) y: usize,
    pub(super) score: f32,
}

pub(super) fn top_peaks(scores: &[f32], rw: usize, k: usize, min_dist: usize) -> Vec<Peak> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut peaks: Vec<Peak> = Vec::new();
    for idx in order {
        let (x, y) = (idx % rw, idx / rw);
        if peaks.iter().all(|p| p.x.abs_diff(x) > min_dist || p.y.abs_diff(y) > min_dist) {
            peaks.push(Peak { x, y, score: scores[idx] });
            if peaks.len() == k {
                break;
            }
        }
    }
    peaks
}

/// A bg sample prepared for searching: its pyramid (coarsest first, last = full resolution
/// unless the budget cut it). Each scale searches a suffix of these levels.
pub(super) struct BgPyramid {
    pub(super) levels: Vec<Image>,
    pub(super) factors: Vec<f64>,
}

impl BgPyramid {
    /// The levels of `factors` (coarsest first); the finest is `factors`' last, which is full
    /// resolution only when it is 1.
    pub(super) fn new(frame: &FrameRef<'_>, factors: &[f64]) -> BgPyramid {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let finest = *factors.last().expect("at least one level");
        // Finest first, each level from the one before (the area filter composes).
        let mut levels = Vec::with_capacity(factors.len());
        levels.push(Image::from_frame(
            frame,
            Rect::full(w as u32, h as u32),
            level_size(w, finest),
            level_size(h, finest),
        ));
        for &f in factors.iter().rev().skip(1) {
            let next = levels.last().expect("one level").resized(level_size(w, f), level_size(h, f));
            levels.push(next);
        }
        levels.reverse();
        BgPyramid { levels, factors: factors.to_vec() }
    }

    /// The levels of `factors`, a suffix of this pyramid's factors.
    pub(super) fn levels_for(&self, factors: &[f64]) -> &[Image] {
        debug_assert!(self.factors.ends_with(factors));
        &self.levels[self.levels.len() - factors.len()..]
    }

    /// The level of downsampling factor `f` (one of this pyramid's).
    pub(super) fn level(&self, f: f64) -> Option<&Image> {
        self.factors.iter().position(|&g| g == f).map(|i| &self.levels[i])
    }
}

pub(super) fn level_size(n: usize, factor: f64) -> usize {
    ((n as f64 / factor).round() as usize).max(1)
}

/// The pyramid's downsampling factors, coarsest first, for a template `tw` px wide in bg that
/// should be about `coarse_width` px wide at the coarsest level.
pub(super) fn pyramid_factors(tw: f64, coarse_width: f64) -> Vec<f64> {
    let mut f = 1.0;
    let mut factors = vec![1.0];
    while tw / (f * 2.0) >= coarse_width * 0.67 {
        f *= 2.0;
        factors.push(f);
    }
    factors.reverse();
    factors
}

/// fg's content at bg scale at every pyramid level (coarsest first), each level made from the
/// next finer one: the levels' templates, and the coarsest level's picture (the prescreen
/// shrinks it further). A finer level's picture is not kept: its template is all the search
/// reads, and at full size each picture was another 3.7 MB to map for a 1280x720 fg.
pub(super) struct TemplatePyramid {
    pub(super) coarsest: Image,
    pub(super) levels: Vec<Template>,
}

impl TemplatePyramid {
    /// `fg_content` may be smaller than the content's full size `content` (fg pixels): it is
    /// only resampled to the levels of `factors`.
    pub(super) fn new(fg_content: &Image, content: Rect, scale: f64, factors: &[f64]) -> Option<TemplatePyramid> {
        let tw_full = (content.width as f64 * scale).round() as usize;
        let th_full = (content.height as f64 * scale).round() as usize;
        if tw_full == 0 || th_full == 0 {
            return None;
        }
        factors.last()?;
        // Finest first, each level from the one before (the area filter composes); a level of
        // the size of the one before is that one (resampling it would copy it).
        let mut finer = std::borrow::Cow::Borrowed(fg_content);
        let mut levels = Vec::with_capacity(factors.len());
        for &f in factors.iter().rev() {
            let (w, h) = (level_size(tw_full, f), level_size(th_full, f));
            if (finer.width, finer.height) != (w, h) {
                finer = std::borrow::Cow::Owned(finer.resized(w, h));
            }
            levels.push(Template::new(&finer));
        }
        levels.reverse();
        Some(TemplatePyramid { coarsest: finer.into_owned(), levels })
    }
}

/// Where the parabola through scores `m`, `c`, `p` at -1, 0, +1 peaks (within ±0.5); 0 when a
/// neighbour is missing or the scores do not bend down.
pub(super) fn parabola_vertex(m: Option<f64>, c: f64, p: Option<f64>) -> f64 {
    match (m, p) {
        (Some(m), Some(p)) if m + p - 2.0 * c < 0.0 => (0.5 * (m - p) / (m + p - 2.0 * c)).clamp(-0.5, 0.5),
        _ => 0.0,
    }
}
