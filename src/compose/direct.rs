//! The direct paste: an 8-bit 4:2:0 planar fg onto an 8-bit 4:2:0 planar bg of the same colour
//! description, opaque and unfeathered (what decoders and editors hand over most), scaled or at
//! an odd offset. Each of bg's planes is filtered straight from fg's plane of the same kind
//! (`fixed_filter.rs`) into the output's rows: no 16-bit intermediate, and chroma is computed
//! on bg's chroma grid, a quarter of the samples the general path scales.
//!
//! It is the general path's filter on fg's picture (luma within a unit of 255): when shrinking,
//! each bg chroma sample is the area mean of fg's chroma over the part of fg its block covers,
//! which is the mean of the block's area-filtered samples that the general path takes; when
//! enlarging, bilinear on fg's chroma plane at the block's centre (the general path blends
//! bilinear samples of chroma repeated to luma resolution: the same within a few units on
//! real pictures). A chroma block the paste covers in part blends with bg by the part covered,
//! as on the general path.

use super::fixed_filter::{AxisTaps, FilterScratch, filter_plane};
use super::{PasteSpec, Visible};
use crate::frame::{FrameMut, FrameRef, PixelFormat};

/// What the direct paste keeps between calls: the filter's tables for luma and chroma, built
/// for `built_for` (a video's frames share one paste, so they are built once, not per frame).
#[derive(Debug, Clone, Default)]
pub(super) struct DirectScratch {
    luma: (AxisTaps, AxisTaps),
    chroma: (AxisTaps, AxisTaps),
    built_for: Option<(PasteSpec, Visible)>,
    filter: FilterScratch,
}

/// Whether the direct paste applies: both frames 8-bit 4:2:0 planar, the same colour, no
/// feather (fg's I420 has no alpha).
pub(super) fn applies(bg: &FrameRef<'_>, fg: &FrameRef<'_>, spec: &PasteSpec, same_color: bool) -> bool {
    bg.format() == PixelFormat::I420 && fg.format() == PixelFormat::I420 && same_color && spec.feather == 0
}

/// One axis of the paste: where the pasted rectangle starts in bg, its size there, fg's
/// content start and size along the axis.
#[derive(Debug, Clone, Copy)]
struct Axis {
    at: i64,
    size: usize,
    content_at: usize,
    content_size: usize,
}

impl Axis {
    /// fg's luma position of bg's luma position `p` (continuous coordinates).
    fn fg_of(&self, p: f64) -> f64 {
        self.content_at as f64 + (p - self.at as f64) * self.content_size as f64 / self.size as f64
    }

    fn shrinks(&self) -> bool {
        self.size <= self.content_size
    }

    /// Luma taps for bg pixels `from..to`.
    fn luma(&self, taps: &mut AxisTaps, shrink: bool, (from, to): (i64, i64)) {
        let limits = (self.content_at, self.content_at + self.content_size);
        if shrink {
            taps.area((from..to).map(|p| (self.fg_of(p as f64), self.fg_of((p + 1) as f64))), limits);
        } else {
            taps.bilinear((from..to).map(|p| self.fg_of(p as f64 + 0.5) - 0.5), limits);
        }
    }

    /// Chroma taps for bg chroma samples over bg pixels `from..to`: each sample's block, cut
    /// to the covered part, in fg's chroma coordinates (half of luma's).
    fn chroma(&self, taps: &mut AxisTaps, shrink: bool, (from, to): (i64, i64)) {
        let limits = (self.content_at >> 1, (self.content_at + self.content_size).div_ceil(2));
        let blocks = move || chroma_span(from, to).map(move |c| ((c * 2).max(from), (c * 2 + 2).min(to)));
        if shrink {
            taps.area(blocks().map(|(a, b)| (self.fg_of(a as f64) / 2.0, self.fg_of(b as f64) / 2.0)), limits);
        } else {
            taps.bilinear(blocks().map(|(a, b)| self.fg_of((a + b) as f64 / 2.0) / 2.0 - 0.5), limits);
        }
    }
}

/// bg chroma samples whose blocks meet bg pixels `from..to`.
fn chroma_span(from: i64, to: i64) -> std::ops::Range<i64> {
    from >> 1..(to + 1) >> 1
}

/// Pastes fg over `out` (a copy of bg) on `covered`, the part of bg the paste covers.
pub(super) fn paste(
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    covered: Visible,
    scratch: &mut DirectScratch,
    out: &mut FrameMut<'_>,
) {
    let c = spec.content;
    let across =
        Axis { at: spec.x as i64, size: spec.width as usize, content_at: c.x as usize, content_size: c.width as usize };
    let down = Axis {
        at: spec.y as i64,
        size: spec.height as usize,
        content_at: c.y as usize,
        content_size: c.height as usize,
    };
    let (xs, ys) = ((covered.x0, covered.x1), (covered.y0, covered.y1));
    let DirectScratch { luma, chroma, built_for, filter } = scratch;
    if *built_for != Some((*spec, covered)) {
        // One rule for both axes, as on the general path (the scale is uniform).
        let shrink = across.shrinks() && down.shrinks();
        across.luma(&mut luma.1, shrink, xs);
        down.luma(&mut luma.0, shrink, ys);
        across.chroma(&mut chroma.1, shrink, xs);
        down.chroma(&mut chroma.0, shrink, ys);
        *built_for = Some((*spec, covered));
    }
    filter_plane(
        |r| fg.row(0, r),
        &luma.0,
        &luma.1,
        filter,
        |r, line| {
            let at = covered.x0 as usize;
            out.row_mut(0, covered.y0 as usize + r)[at..at + line.len()].copy_from_slice(line);
        },
    );
    let (cx, cy) = (chroma_span(covered.x0, covered.x1), chroma_span(covered.y0, covered.y1));
    for plane in 1..3 {
        filter_plane(
            |r| fg.row(plane, r),
            &chroma.0,
            &chroma.1,
            filter,
            |r, line| {
                let y = cy.start + r as i64;
                let rows_covered = block_share(y, ys);
                let share = |j: usize| rows_covered * block_share(cx.start + j as i64, xs);
                let dst = &mut out.row_mut(plane, y as usize)[cx.start as usize..cx.end as usize];
                let last = dst.len() - 1;
                if rows_covered == 2 {
                    // Whole blocks but perhaps at the row's two ends.
                    let ends = [(0, share(0), dst[0]), (last, share(last), dst[last])];
                    dst.copy_from_slice(line);
                    for (j, pixels, old) in ends {
                        dst[j] = blend(old, line[j], pixels);
                    }
                } else {
                    for (j, (o, &v)) in dst.iter_mut().zip(line).enumerate() {
                        *o = blend(*o, v, share(j));
                    }
                }
            },
        );
    }
}

/// How many of chroma sample `c`'s two luma pixels lie in `from..to`.
fn block_share(c: i64, (from, to): (i64, i64)) -> u32 {
    ((c * 2 + 2).min(to) - (c * 2).max(from)) as u32
}

/// bg's chroma blended with the paste's by the block's covered share (`pixels` of 4), with
/// the general path's alpha (255 per covered pixel, summed and divided by four): the paste's
/// own value when the block is covered.
fn blend(bg: u8, fg: u8, pixels: u32) -> u8 {
    let alpha = (255 * pixels) >> 2;
    ((fg as u32 * alpha + bg as u32 * (255 - alpha) + 127) / 255) as u8
}

#[cfg(test)]
mod tests {
    use super::super::{ComposeScratch, Paths, compose_with};
    use super::*;
    use crate::frame::{FrameBuf, Rect};
    use crate::settings::ColorMatrix;

    /// An I420 frame of smooth gradients with a little texture (what real pictures are like at
    /// the scale of a filter's taps), chroma included.
    fn picture(width: u32, height: u32, seed: usize) -> FrameBuf {
        let mut f = FrameBuf::new(PixelFormat::I420, width, height).unwrap();
        for plane in 0..3 {
            let (w, h) = if plane == 0 { (width, height) } else { (width.div_ceil(2), height.div_ceil(2)) };
            for y in 0..h as usize {
                for (x, p) in f.row_mut(plane, y)[..w as usize].iter_mut().enumerate() {
                    let wave = ((x as f64 * 0.11 + y as f64 * 0.07 + (seed + plane) as f64).sin() * 60.0) as i64;
                    *p = (128 + wave + ((x * 3 + y * 5 + seed) % 7) as i64) as u8;
                }
            }
        }
        f
    }

    fn composite(bg: &FrameBuf, fg: &FrameBuf, spec: &PasteSpec, paths: Paths) -> FrameBuf {
        let mut out = FrameBuf::new(PixelFormat::I420, bg.width(), bg.height()).unwrap();
        compose_with(
            &bg.as_frame(),
            &fg.as_frame(),
            spec,
            &mut ComposeScratch::default(),
            &mut out.as_frame_mut(),
            paths,
        )
        .unwrap();
        out
    }

    /// The largest difference between two frames' planes.
    fn worst(a: &FrameBuf, b: &FrameBuf, plane: usize) -> u8 {
        let rows = if plane == 0 { a.height() } else { a.height().div_ceil(2) };
        (0..rows as usize)
            .flat_map(|y| {
                a.as_frame()
                    .row(plane, y)
                    .iter()
                    .zip(b.as_frame().row(plane, y))
                    .map(|(&p, &q)| p.abs_diff(q))
                    .collect::<Vec<_>>()
            })
            .max()
            .unwrap_or(0)
    }

    /// Scales from half to twice, at odd and even offsets, content at odd offsets, the paste
    /// partly outside bg, bg of odd size: luma within a unit of the general path, chroma
    /// within one when shrinking (the same filter) and a few when enlarging (bilinear on
    /// the chroma plane, where the general path blends repeated chroma).
    #[test]
    fn the_direct_paste_equals_the_general_path() {
        let bg = picture(157, 95, 1);
        let fg = picture(120, 80, 2);
        let cases = [
            (Rect::new(0, 0, 120, 80), (11, 7), (90, 60)),
            (Rect::new(3, 5, 101, 67), (10, 9), (50, 33)),
            (Rect::new(0, 0, 120, 80), (-13, 40), (120, 80)),
            (Rect::new(1, 1, 117, 77), (5, 3), (117, 77)),
            (Rect::new(0, 0, 120, 80), (101, -9), (180, 120)),
            (Rect::new(7, 2, 60, 40), (-1, 1), (149, 99)),
            (Rect::new(0, 0, 120, 80), (0, 0), (60, 40)),
        ];
        for (content, (x, y), (width, height)) in cases {
            let spec = PasteSpec { content, x, y, width, height, feather: 0, matrix: ColorMatrix::Bt709 };
            let (ours, general) =
                (composite(&bg, &fg, &spec, Paths::All), composite(&bg, &fg, &spec, Paths::GeneralOnly));
            let enlarging = width > content.width;
            assert!(worst(&ours, &general, 0) <= 1, "{spec:?}: luma {}", worst(&ours, &general, 0));
            for plane in 1..3 {
                let limit = if enlarging { 3 } else { 1 };
                assert!(
                    worst(&ours, &general, plane) <= limit,
                    "{spec:?}: plane {plane}: {}",
                    worst(&ours, &general, plane)
                );
            }
        }
    }

    /// The tables are kept between calls: one scratch through pastes that change and change
    /// back gives what a fresh scratch gives each time.
    #[test]
    fn a_kept_scratch_follows_each_paste() {
        let (bg, fg) = (picture(96, 64, 5), picture(60, 40, 6));
        let spec = |x, width, height| PasteSpec {
            content: Rect::new(0, 0, 60, 40),
            x,
            y: 3,
            width,
            height,
            feather: 0,
            matrix: ColorMatrix::Bt709,
        };
        let mut kept = ComposeScratch::default();
        for s in [spec(5, 45, 30), spec(7, 90, 60), spec(5, 45, 30), spec(4, 45, 30)] {
            let mut out = FrameBuf::new(PixelFormat::I420, 96, 64).unwrap();
            compose_with(&bg.as_frame(), &fg.as_frame(), &s, &mut kept, &mut out.as_frame_mut(), Paths::All).unwrap();
            let fresh = composite(&bg, &fg, &s, Paths::All);
            for plane in 0..3 {
                assert_eq!(worst(&out, &fresh, plane), 0, "{s:?} plane {plane}");
            }
        }
    }

    /// Where the paste does not reach, the output is bg's, byte for byte.
    #[test]
    fn bg_outside_the_paste_is_untouched() {
        let bg = picture(64, 48, 3);
        let fg = picture(40, 30, 4);
        let spec = PasteSpec {
            content: Rect::new(0, 0, 40, 30),
            x: 9,
            y: 7,
            width: 30,
            height: 22,
            feather: 0,
            matrix: ColorMatrix::Bt709,
        };
        let out = composite(&bg, &fg, &spec, Paths::All);
        for y in 0..48usize {
            for x in 0..64usize {
                if !(9..39).contains(&x) || !(7..29).contains(&y) {
                    assert_eq!(out.as_frame().row(0, y)[x], bg.as_frame().row(0, y)[x], "luma at ({x}, {y})");
                }
            }
        }
        for y in 0..24usize {
            for x in 0..32usize {
                // Chroma blocks 4..=19 across and 3..=14 down meet the paste.
                if !(4..20).contains(&x) || !(3..15).contains(&y) {
                    assert_eq!(out.as_frame().row(1, y)[x], bg.as_frame().row(1, y)[x], "chroma at ({x}, {y})");
                }
            }
        }
    }
}
