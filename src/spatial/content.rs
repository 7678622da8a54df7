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

/// bg's luma at or below this where fg's bars land shows a dark picture there too: a little
/// above `BAR_LUMA`, for the noise and grade between the two.
pub(super) const DARK_IN_BG_LUMA: u8 = 32;

/// fg's content rectangle (`placement.content`) with the bars given back under which bg, on
/// this matched pair of frames, is as dark as they are: a dark picture fg shares with bg (the
/// unlit side of a room), where bars fg added land on bg's picture. Cut off, such a side was
/// not pasted, and a regraded fg showed bg's grade there behind a straight edge. What fg shows
/// in the strip does not decide: a letterbox bar may carry subtitles, and pasted it would
/// cover bg's picture. A side whose strip would land outside bg stays cut.
pub fn bars_given_back(fg: &FrameRef<'_>, bg: &FrameRef<'_>, placement: &Placement) -> Rect {
    let c = placement.content;
    let (fw, fh) = (fg.width(), fg.height());
    let (right, bottom) = (fw - c.x - c.width, fh - c.y - c.height);
    let back = |strip: Rect| {
        strip.width > 0
            && strip.height > 0
            && bg_under(bg, placement, strip).is_some_and(|r| all_at_most(bg, r, DARK_IN_BG_LUMA))
    };
    let (x0, x1) = (if back(Rect::new(0, c.y, c.x, c.height)) { 0 } else { c.x }, {
        if back(Rect::new(c.x + c.width, c.y, right, c.height)) { fw } else { c.x + c.width }
    });
    let (y0, y1) = (if back(Rect::new(c.x, 0, c.width, c.y)) { 0 } else { c.y }, {
        if back(Rect::new(c.x, c.y + c.height, c.width, bottom)) { fh } else { c.y + c.height }
    });
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// Where `strip` (fg pixels, outside the placement's content) lands in bg, when wholly inside.
fn bg_under(bg: &FrameRef<'_>, placement: &Placement, strip: Rect) -> Option<Rect> {
    let c = placement.content;
    let to_bg = |f: u32, origin: u32, start: f64| start + (f as f64 - origin as f64) * placement.scale;
    let (x0, y0) =
        (to_bg(strip.x, c.x, placement.x_subpixel).floor(), to_bg(strip.y, c.y, placement.y_subpixel).floor());
    let (x1, y1) = (
        to_bg(strip.x + strip.width, c.x, placement.x_subpixel).ceil(),
        to_bg(strip.y + strip.height, c.y, placement.y_subpixel).ceil(),
    );
    let inside = x0 >= 0.0 && y0 >= 0.0 && x1 <= bg.width() as f64 && y1 <= bg.height() as f64 && x1 > x0 && y1 > y0;
    inside.then(|| Rect::new(x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32))
}

/// Whether the frame's luma over `r` is at most `limit` everywhere.
fn all_at_most(frame: &FrameRef<'_>, r: Rect, limit: u8) -> bool {
    let mut luma = vec![0u8; r.width as usize];
    (r.y..r.y + r.height).all(|y| frame.luma_row(y as usize, r.x as usize, &mut luma).iter().all(|&v| v <= limit))
}
