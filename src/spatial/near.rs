//! Searches near a known placement (a check on one frame pair), optionally except some rectangles.

use super::*;

/// Re-locates fg in bg within `radius` pixels of an earlier placement, at full resolution and
/// the placement's scale: one NCC map over a window just larger than the placed rectangle.
/// For checking a placement on a matched frame pair, this costs a fraction of [`locate`] on the
/// whole frame. `None` when the window does not fit in bg.
pub fn locate_near(fg: &FrameRef<'_>, bg: &FrameRef<'_>, around: &Placement, radius: u32) -> Option<Placement> {
    locate_near_except(fg, bg, around, radius, &[])
}

/// [`locate_near`] with parts of fg's content left out of the comparison: `except` lists
/// rectangles in fg pixels (e.g. graphics burned into fg that bg lacks).
pub fn locate_near_except(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    radius: u32,
    except: &[Rect],
) -> Option<Placement> {
    let surface = near_scores_except(fg, bg, around, radius, except)?;
    let (dx, dy) = surface.best()?;
    Some(surface.placement_at(dx, dy, around))
}

/// NCC scores of fg's content at every position within a radius of a placement, in bg pixels:
/// position (`x0 + dx`, `y0 + dy`) scores `scores[dy * width + dx]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NearScores {
    pub x0: i32,
    pub y0: i32,
    pub width: usize,
    pub height: usize,
    pub scores: Vec<f32>,
}

impl NearScores {
    pub fn at(&self, dx: i32, dy: i32) -> Option<f64> {
        ((0..self.width as i32).contains(&dx) && (0..self.height as i32).contains(&dy))
            .then(|| self.scores[dy as usize * self.width + dx as usize] as f64)
    }

    /// The best position, relative to (`x0`, `y0`).
    pub fn best(&self) -> Option<(i32, i32)> {
        let (k, _) = self.scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        Some(((k % self.width) as i32, (k / self.width) as i32))
    }

    /// `around` moved to position (`dx`, `dy`), with its score and the sub-pixel vertex of a
    /// parabola through it and its neighbours.
    pub fn placement_at(&self, dx: i32, dy: i32, around: &Placement) -> Placement {
        let c = self.at(dx, dy).unwrap_or(0.0);
        let vertex = |m: Option<f64>, p: Option<f64>| parabola_vertex(m, c, p);
        Placement {
            x: self.x0 + dx,
            y: self.y0 + dy,
            confidence: c.max(0.0),
            x_subpixel: (self.x0 + dx) as f64 + vertex(self.at(dx - 1, dy), self.at(dx + 1, dy)),
            y_subpixel: (self.y0 + dy) as f64 + vertex(self.at(dx, dy - 1), self.at(dx, dy + 1)),
            ..*around
        }
    }
}

/// The scores [`locate_near_except`] picks its best from.
pub fn near_scores_except(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    radius: u32,
    except: &[Rect],
) -> Option<NearScores> {
    NearTemplate::new(fg, around, except)?.scores_in(bg, radius)
}

/// fg's content as a template at a placement's size, parts left out: made once for the bg
/// frames a check compares one fg frame with (a bg frame either side of the mapped one), where
/// each search made it again (at 4K, a 1920x1080 fg's picture and template, 16 MB freshly
/// mapped, three times a pair).
pub struct NearTemplate {
    around: Placement,
    holes: Vec<(usize, usize, usize, usize)>,
    template: Template,
}

impl NearTemplate {
    /// `None` when the placement's content does not fit fg or its size is zero.
    pub fn new(fg: &FrameRef<'_>, around: &Placement, except: &[Rect]) -> Option<NearTemplate> {
        let content = around.content;
        if !content.fits_in(fg.width(), fg.height()) || around.width == 0 || around.height == 0 {
            return None;
        }
        let tpl = Image::from_frame(fg, content, around.width as usize, around.height as usize);
        // The left-out rectangles in template pixels (fg pixels times the scale).
        let to_tpl = |v: u32, origin: u32, limit: usize| {
            (((v - origin.min(v)) as f64 * around.scale).round() as usize).min(limit)
        };
        let holes: Vec<(usize, usize, usize, usize)> = except
            .iter()
            .map(|r| {
                let (x0, y0) = (to_tpl(r.x, content.x, tpl.width), to_tpl(r.y, content.y, tpl.height));
                let (x1, y1) =
                    (to_tpl(r.x + r.width, content.x, tpl.width), to_tpl(r.y + r.height, content.y, tpl.height));
                (x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0))
            })
            .filter(|&(_, _, w, h)| w > 0 && h > 0)
            .collect();
        let template = Template::with_holes(&tpl, &holes);
        Some(NearTemplate { around: *around, holes, template })
    }

    /// The scores within `radius` of the placement in `bg`; `None` when the window does not
    /// fit in bg.
    pub fn scores_in(&self, bg: &FrameRef<'_>, radius: u32) -> Option<NearScores> {
        let around = &self.around;
        let r = radius as i32;
        let x0 = (around.x - r).max(0);
        let y0 = (around.y - r).max(0);
        let x1 = (around.x + around.width as i32 + r).min(bg.width() as i32);
        let y1 = (around.y + around.height as i32 + r).min(bg.height() as i32);
        if x1 - x0 < around.width as i32 || y1 - y0 < around.height as i32 {
            return None;
        }
        let window = Rect::new(x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32);
        let img = Image::from_frame(bg, window, window.width as usize, window.height as usize);
        let scores = ncc_full_holes(&img, &self.template, &self.holes);
        let width = img.width - self.template.width + 1;
        Some(NearScores { x0, y0, width, height: scores.len() / width, scores })
    }
}
