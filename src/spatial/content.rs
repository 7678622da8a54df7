//! fg's content rectangle: black bars (letterbox, pillarbox) cut off.

use super::*;

/// Finds the content rectangle of fg frames: black bars at the edges (rows or columns whose
/// luma stays dark and flat in every sample) are cut off.
pub fn content_rect(samples: &[FrameRef<'_>]) -> Rect {
    let Some(first) = samples.first() else { return Rect::default() };
    let (w, h) = (first.width() as usize, first.height() as usize);
    let mut row_dark = vec![true; h];
    let mut col_dark = vec![true; w];
    let mut luma = vec![0u8; w];
    for f in samples {
        let mut col_max = vec![0u8; w];
        for (y, dark) in row_dark.iter_mut().enumerate() {
            let row = f.luma_row(y, 0, &mut luma);
            let max = *row.iter().max().unwrap_or(&0);
            if max > BAR_LUMA {
                *dark = false;
            }
            for (c, &v) in col_max.iter_mut().zip(row) {
                *c = (*c).max(v);
            }
        }
        for (d, &m) in col_dark.iter_mut().zip(&col_max) {
            if m > BAR_LUMA {
                *d = false;
            }
        }
    }
    let top = row_dark.iter().take_while(|&&d| d).count();
    let bottom = row_dark.iter().rev().take_while(|&&d| d).count();
    let left = col_dark.iter().take_while(|&&d| d).count();
    let right = col_dark.iter().rev().take_while(|&&d| d).count();
    if top + bottom >= h || left + right >= w {
        return Rect::full(w as u32, h as u32);
    }
    // Bars thinner than 2 px, or bars leaving less than MIN_CONTENT of the frame, are more
    // likely dark picture than bars (letterbox 2.39:1 in 16:9 keeps 74 %).
    let keep = |n: usize| if n >= 2 { n } else { 0 };
    let (mut top, mut bottom, mut left, mut right) = (keep(top), keep(bottom), keep(left), keep(right));
    if ((h - top - bottom) as f64) < MIN_CONTENT * h as f64 {
        (top, bottom) = (0, 0);
    }
    if ((w - left - right) as f64) < MIN_CONTENT * w as f64 {
        (left, right) = (0, 0);
    }
    Rect::new(left as u32, top as u32, (w - left - right) as u32, (h - top - bottom) as u32)
}

/// Smallest fraction of fg's width or height that bars may leave.
pub(super) const MIN_CONTENT: f64 = 0.6;

/// Luma at or below this (in every sample) marks a bar row or column (limited-range black is 16).
pub(super) const BAR_LUMA: u8 = 24;
