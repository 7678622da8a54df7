//! Which of a few neighbouring bg frames shows an fg frame's picture, compared at full
//! resolution on the locked rectangles.
//!
//! The time map works on descriptors (a 16x16 thumb and a 64-bit hash of each frame), which
//! barely see a pan of a pixel a frame, or a frame repeated by re-timing next to its
//! neighbour: on a short stretch of frames (a live window, the first frames after a cut) the
//! descriptors can favour a bg frame one off. The pictures themselves do not: fg is bg's
//! picture cropped, so the right bg frame correlates best at the placement. The live session
//! asks this module about the frames next to each descriptor match before it decides.
//!
//! Everything is sized once, when the session locks: deciding a frame allocates nothing.

use crate::frame::{FrameRef, Rect};

/// Every this many bg pixels, across and down, is compared (a quarter of the pixels: a pan's
/// pixel still shows in every sampled row and column).
const STEP: usize = 2;
/// A neighbouring bg frame must correlate better than the descriptor match by this much to
/// replace it (static pictures correlate alike with every frame).
pub const PICTURE_MARGIN: f64 = 1e-3;

/// fg's compared rectangle against bg's, sampled on bg's pixel grid.
pub struct PictureMatch {
    /// bg columns and rows sampled (absolute), and the fg column and row each shows.
    bg_cols: Vec<usize>,
    bg_rows: Vec<usize>,
    fg_cols: Vec<usize>,
    fg_rows: Vec<usize>,
    /// fg's samples minus their mean, row by row; and their sum of squares.
    template: Vec<f32>,
    energy: f64,
    /// Conversion room for formats whose luma is not 8-bit bytes.
    fg_row: Vec<u8>,
    bg_row: Vec<u8>,
}

impl PictureMatch {
    /// Compares fg's `fg_rect` with bg's `bg_rect` (the same content at the placement's scale).
    pub fn new(fg_rect: Rect, bg_rect: Rect) -> PictureMatch {
        let (bw, bh) = (bg_rect.width as usize, bg_rect.height as usize);
        let along = |n: usize, origin: u32| (0..n).step_by(STEP).map(|k| origin as usize + k).collect::<Vec<_>>();
        let to_fg = |k: usize, n: usize, origin: u32, fg_n: u32| {
            // The fg sample nearest the bg sample's centre.
            let at = ((k as f64 + 0.5) * fg_n as f64 / n as f64).floor() as usize;
            origin as usize + at.min(fg_n as usize - 1)
        };
        let fg_cols = (0..bw).step_by(STEP).map(|u| to_fg(u, bw, fg_rect.x, fg_rect.width)).collect();
        let fg_rows = (0..bh).step_by(STEP).map(|v| to_fg(v, bh, fg_rect.y, fg_rect.height)).collect();
        let bg_cols = along(bw, bg_rect.x);
        let bg_rows = along(bh, bg_rect.y);
        let samples = bg_cols.len() * bg_rows.len();
        PictureMatch {
            template: Vec::with_capacity(samples),
            energy: 0.0,
            fg_row: vec![0; fg_rect.width as usize],
            bg_row: vec![0; bw],
            bg_cols,
            bg_rows,
            fg_cols,
            fg_rows,
        }
    }

    /// Takes `fg`'s samples as the template the next scores compare with.
    pub fn set_fg(&mut self, fg: &FrameRef<'_>) {
        self.template.clear();
        let x0 = self.fg_cols.first().copied().unwrap_or(0);
        let width = self.fg_cols.last().map_or(0, |&c| c + 1 - x0);
        for &r in &self.fg_rows {
            let row = fg.luma_row(r, x0, &mut self.fg_row[..width]);
            self.template.extend(self.fg_cols.iter().map(|&c| row[c - x0] as f32));
        }
        let mean = self.template.iter().map(|&v| v as f64).sum::<f64>() / self.template.len().max(1) as f64;
        let mut energy = 0.0;
        for v in &mut self.template {
            *v -= mean as f32;
            energy += (*v as f64) * (*v as f64);
        }
        self.energy = energy;
    }

    /// Normalized cross-correlation of `bg`'s samples with the template (0 for a flat picture).
    pub fn score(&mut self, bg: &FrameRef<'_>) -> f64 {
        let n = self.template.len();
        if n == 0 || self.energy <= 0.0 {
            return 0.0;
        }
        let x0 = self.bg_cols.first().copied().unwrap_or(0);
        let width = self.bg_cols.last().map_or(0, |&c| c + 1 - x0);
        let (mut cross, mut sum, mut squares) = (0f64, 0f64, 0f64);
        let cols = self.bg_cols.len();
        for (k, &r) in self.bg_rows.iter().enumerate() {
            let row = bg.luma_row(r, x0, &mut self.bg_row[..width]);
            let template = &self.template[k * cols..(k + 1) * cols];
            let (mut c, mut s, mut q) = (0f32, 0f32, 0f32);
            for (&col, &t) in self.bg_cols.iter().zip(template) {
                let b = row[col - x0] as f32;
                c += b * t;
                s += b;
                q += b * b;
            }
            (cross, sum, squares) = (cross + c as f64, sum + s as f64, squares + q as f64);
        }
        let variance = squares - sum * sum / n as f64;
        if variance <= 0.0 { 0.0 } else { cross / (self.energy * variance).sqrt() }
    }
}

/// Score a bg frame loses per frame it lies off the rate line beyond half a frame. A strongly
/// compressed fg repeats parts of the frame before (skipped blocks), so a frame can correlate
/// a little better with the bg frame before its own; and an fg sampled between bg's instants
/// (30 fps of a scene bg shows at 25) correlates with either neighbour about alike. Breaking
/// the line for either must pay.
pub const RATE_PENALTY: f64 = 1e-2;

/// Whether the descriptors' match `mapped` lies within half a frame of the line's `expected`
/// position: then it stands, and the pictures need not be compared.
pub fn on_the_line(mapped: usize, expected: Option<f64>) -> bool {
    expected.is_some_and(|e| (mapped as f64 - e).abs() <= 0.5)
}

/// Of `candidates` (bg index, score), the descriptor match `mapped` unless another scores
/// better by `PICTURE_MARGIN`; `mapped` when it is not among them.
///
/// `expected`: the fractional bg index the recent matches' line puts the frame at. A match
/// within half a frame of it stands (the time map and the line agree; the pictures of an fg
/// sampled between bg's instants would pick either neighbour). Off the line, the pictures
/// arbitrate, and a candidate off it by more than half a frame pays `RATE_PENALTY` a frame,
/// unless the match is off it by more than a frame and a half (a cut, where the line says
/// nothing).
pub fn best_picture(candidates: &[(usize, f64)], mapped: usize, expected: Option<f64>) -> usize {
    if on_the_line(mapped, expected) {
        return mapped;
    }
    let expected = expected.filter(|e| (mapped as f64 - e).abs() <= 1.5);
    let adjusted =
        |(j, s): (usize, f64)| s - expected.map_or(0.0, |e| RATE_PENALTY * ((j as f64 - e).abs() - 0.5).max(0.0));
    let Some(&at_mapped) = candidates.iter().find(|(j, _)| *j == mapped) else { return mapped };
    let bar = adjusted(at_mapped) + PICTURE_MARGIN;
    candidates
        .iter()
        .map(|&c| (c.0, adjusted(c)))
        .filter(|(_, s)| *s > bar)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(mapped, |(j, _)| j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameBuf, PixelFormat};

    /// A textured gray frame whose picture is shifted `shift` pixels to the left.
    fn panned(width: u32, height: u32, shift: usize) -> FrameBuf {
        let mut f = FrameBuf::new(PixelFormat::Gray8, width, height).unwrap();
        for r in 0..height as usize {
            for (c, v) in f.row_mut(0, r).iter_mut().enumerate() {
                let x = (c + shift) as f64;
                *v = (128.0 + 60.0 * (x * 0.37).sin() + 50.0 * ((r as f64) * 0.23 + x * 0.05).cos()) as u8;
            }
        }
        f
    }

    fn crop(frame: &FrameBuf, rect: Rect) -> FrameBuf {
        let mut f = FrameBuf::new(PixelFormat::Gray8, rect.width, rect.height).unwrap();
        for r in 0..rect.height as usize {
            let src = frame.as_frame().row(0, rect.y as usize + r);
            f.row_mut(0, r).copy_from_slice(&src[rect.x as usize..(rect.x + rect.width) as usize]);
        }
        f
    }

    #[test]
    fn the_frame_showing_the_picture_scores_best_in_a_pan() {
        let bg: Vec<FrameBuf> = (0..3).map(|k| panned(96, 64, k)).collect();
        let rect = Rect::new(20, 10, 48, 40);
        let fg = crop(&bg[1], rect);
        let mut m = PictureMatch::new(Rect::full(48, 40), rect);
        m.set_fg(&fg.as_frame());
        let scores: Vec<(usize, f64)> = bg.iter().enumerate().map(|(j, b)| (j, m.score(&b.as_frame()))).collect();
        assert!((scores[1].1 - 1.0).abs() < 1e-6, "{scores:?}");
        assert!(scores[0].1 < 0.99 && scores[2].1 < 0.99, "{scores:?}");
        assert_eq!(best_picture(&scores, 0, None), 1);
        assert_eq!(best_picture(&scores, 2, None), 1);
        assert_eq!(best_picture(&scores, 1, None), 1);
    }

    #[test]
    fn a_neighbour_within_the_margin_leaves_the_descriptor_match() {
        assert_eq!(best_picture(&[(4, 0.9800), (5, 0.9805), (6, 0.97)], 4, None), 4);
        assert_eq!(best_picture(&[(4, 0.9800), (5, 0.9900)], 4, None), 5);
        assert_eq!(best_picture(&[(5, 0.99)], 4, None), 4);
    }

    #[test]
    fn a_move_off_the_rate_line_must_win_by_more() {
        // Measured on a crf 38 pan: the frame before correlated better by 0.0019 (skipped
        // blocks repeat it); the recent matches' line puts the frame on 65.
        let scores = [(64, 0.98039), (65, 0.97845), (66, 0.96969)];
        assert_eq!(best_picture(&scores, 65, Some(65.0)), 65);
        assert_eq!(best_picture(&scores, 65, None), 64);
        // Off the line by 0.6, a win by the penalty and the margin moves it.
        assert_eq!(best_picture(&scores, 65, Some(65.6)), 65);
        assert_eq!(best_picture(&[(64, 0.99), (65, 0.97845)], 65, Some(64.4)), 64);
        // 30 fps on 25: at 176.65 the frame before correlated better by 0.0032.
        let between = [(176, 0.98099), (177, 0.97775), (178, 0.97030)];
        assert_eq!(best_picture(&between, 177, Some(176.65)), 177);
        // Back onto the line, a smaller win is enough (the match repeated the last frame).
        assert_eq!(best_picture(&[(40, 0.98287), (41, 0.98461)], 40, Some(41.0)), 41);
        // After a cut the rate says nothing.
        assert_eq!(best_picture(&scores, 65, Some(30.0)), 64);
    }

    #[test]
    fn a_flat_picture_scores_zero() {
        let flat = FrameBuf::new(PixelFormat::Gray8, 32, 32).unwrap();
        let mut m = PictureMatch::new(Rect::full(32, 32), Rect::full(32, 32));
        m.set_fg(&flat.as_frame());
        assert_eq!(m.score(&flat.as_frame()), 0.0);
    }
}
