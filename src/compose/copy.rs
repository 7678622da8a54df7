//! The paste as row copies: scale 1, no feather, even offsets and sizes, fg and bg planar
//! Y'CbCr (or grey) of one chroma layout and one colour. There the general path's result is
//! fg's samples at bg's depth: the same 8-bit format is copied byte for byte, and
//! limited-range samples change depth by a shift (8 to 10 bits: times 4; 10 to 8: rounded),
//! which is what the general path's 16-bit intermediate gives them. A 10-bit bg under an
//! 8-bit fg took 3.3 ms a 720p frame on the general path.

use super::{PasteSpec, Visible};
use crate::frame::{FrameMut, FrameRef, PixelFormat};

/// Pastes fg over `out` (a copy of bg) on `visible` by row copies; false, touching nothing,
/// when the general path is needed. `limited`: both pictures' samples are limited range (their
/// colour is already known to be the same).
pub(super) fn paste_by_copy(
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    visible: Visible,
    limited: bool,
    out: &mut FrameMut<'_>,
) -> bool {
    if !applies(fg.format(), out.format(), spec, visible, limited) {
        return false;
    }
    let c = spec.content;
    // fg coordinates of the visible part.
    let (fx0, fy0) = (c.x as i64 + visible.x0 - spec.x as i64, c.y as i64 + visible.y0 - spec.y as i64);
    let (from, to) = (fg.format(), out.format());
    let (hs, vs) = to.chroma_shift();
    for plane in 0..to.plane_count() {
        let (h, v) = if plane == 0 { (0, 0) } else { (hs, vs) };
        let (x0, y0, x1, y1) = (visible.x0 >> h, visible.y0 >> v, visible.x1 >> h, visible.y1 >> v);
        let (sx, sy) = ((fx0 >> h) as usize, (fy0 >> v) as usize);
        let count = (x1 - x0) as usize;
        for r in 0..(y1 - y0) as usize {
            let src = &fg.row(plane, sy + r)[sx * from.sample_bytes()..(sx + count) * from.sample_bytes()];
            let dst = &mut out.row_mut(plane, y0 as usize + r)
                [x0 as usize * to.sample_bytes()..(x0 as usize + count) * to.sample_bytes()];
            convert_row(src, from, dst, to);
        }
    }
    true
}

/// Whether fg's samples, at bg's depth, are exactly the general path's result. Not where bg's
/// odd width or height cuts a chroma block: the general path blends that block's chroma by the
/// share of it the paste covers, as if bg went on.
fn applies(from: PixelFormat, to: PixelFormat, spec: &PasteSpec, visible: Visible, limited: bool) -> bool {
    let c = spec.content;
    let (hs, vs) = to.chroma_shift();
    let whole_blocks = visible.x1 % (1 << hs) == 0 && visible.y1 % (1 << vs) == 0;
    let even = [spec.x as i64, spec.y as i64, c.x as i64, c.y as i64, c.width as i64, c.height as i64]
        .into_iter()
        .all(|v| v % 2 == 0)
        && whole_blocks;
    let layout = (from == to && matches!(from, PixelFormat::I420 | PixelFormat::Gray8))
        || (limited && from.is_planar_yuv() && to.is_planar_yuv() && from.chroma_shift() == to.chroma_shift());
    layout && even && spec.feather == 0 && (spec.width, spec.height) == (c.width, c.height)
}

/// The 10-bit formats' largest code value: the general path reads anything above it as it.
const MAX_10BIT: u16 = 1023;

/// One row of samples from `from`'s depth to `to`'s (8 or 10 bits, 10-bit samples little-endian
/// in 16 bits), as the general path converts limited-range code values.
fn convert_row(src: &[u8], from: PixelFormat, dst: &mut [u8], to: PixelFormat) {
    match (from.sample_bytes(), to.sample_bytes()) {
        (1, 1) => dst.copy_from_slice(src),
        (1, _) => {
            for (d, &s) in dst.chunks_exact_mut(2).zip(src) {
                d.copy_from_slice(&((s as u16) << 2).to_le_bytes());
            }
        }
        (_, 1) => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                let v = u16::from_le_bytes([s[0], s[1]]).min(MAX_10BIT);
                *d = ((v + 2) >> 2).min(255) as u8;
            }
        }
        _ => {
            for (d, s) in dst.chunks_exact_mut(2).zip(src.chunks_exact(2)) {
                let v = u16::from_le_bytes([s[0], s[1]]).min(MAX_10BIT);
                d.copy_from_slice(&v.to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ComposeScratch, Paths, compose_with};
    use super::*;
    use crate::frame::{ColorRange, FrameBuf, Rect};
    use crate::settings::ColorMatrix;

    /// A picture of pseudo-random samples in `range`, 10-bit ones up to 1100 (above the largest
    /// code value, which the general path reads as 1023).
    fn noise(format: PixelFormat, width: u32, height: u32, seed: u32, range: ColorRange) -> FrameBuf {
        let mut f = FrameBuf::new(format, width, height).unwrap();
        f.color.range = range;
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for plane in 0..format.plane_count() {
            let (bytes, rows) = format.plane_size(plane, width, height);
            for y in 0..rows {
                let row = &mut f.row_mut(plane, y)[..bytes];
                if format.sample_bytes() == 1 {
                    row.iter_mut().for_each(|b| *b = next() as u8);
                } else {
                    for s in row.chunks_exact_mut(2) {
                        s.copy_from_slice(&((next() % 1101) as u16).to_le_bytes());
                    }
                }
            }
        }
        f
    }

    fn composite(bg: &FrameBuf, fg: &FrameBuf, spec: &PasteSpec, paths: Paths) -> FrameBuf {
        let mut out = FrameBuf::new(bg.format(), bg.width(), bg.height()).unwrap();
        let mut scratch = ComposeScratch::default();
        compose_with(&bg.as_frame(), &fg.as_frame(), spec, &mut scratch, &mut out.as_frame_mut(), paths).unwrap();
        out
    }

    fn same_planes(a: &FrameBuf, b: &FrameBuf) -> bool {
        (0..a.format().plane_count()).all(|p| {
            let (bytes, rows) = a.format().plane_size(p, a.width(), a.height());
            (0..rows).all(|y| a.as_frame().row(p, y)[..bytes] == b.as_frame().row(p, y)[..bytes])
        })
    }

    /// Every pair of planar formats of one chroma layout (8 and 10 bits either way), both
    /// ranges, pastes inside, across each edge and over bg's odd border: the copies give the
    /// general path's bytes exactly, and apply where the module says.
    #[test]
    fn copies_equal_the_general_path() {
        use PixelFormat::*;
        let pairs = [
            (I420, I420),
            (I420, I420P10),
            (I420P10, I420),
            (I420P10, I420P10),
            (I422, I422P10),
            (I422P10, I422),
            (I444, I444P10),
            (I444P10, I444P10),
            (I422, I422),
            (Gray8, Gray8),
        ];
        let places = [
            (Rect::new(0, 0, 24, 16), (6, 4)),
            (Rect::new(2, 4, 20, 10), (-4, -2)),
            (Rect::new(0, 0, 24, 16), (30, 24)),
        ];
        for (from, to) in pairs {
            for range in [ColorRange::Limited, ColorRange::Full] {
                let (fg, bg) = (noise(from, 24, 16, 1, range), noise(to, 41, 31, 2, range));
                for (content, (x, y)) in places {
                    let spec = PasteSpec {
                        content,
                        x,
                        y,
                        width: content.width,
                        height: content.height,
                        feather: 0,
                        matrix: ColorMatrix::Bt709,
                    };
                    let (ours, general) =
                        (composite(&bg, &fg, &spec, Paths::All), composite(&bg, &fg, &spec, Paths::GeneralOnly));
                    assert!(same_planes(&ours, &general), "{from} onto {to}, {range:?}, {spec:?}");
                }
                let spec = |x, width| PasteSpec {
                    content: Rect::new(0, 0, 24, 16),
                    x,
                    y: 2,
                    width,
                    height: 16,
                    feather: 0,
                    matrix: ColorMatrix::Bt709,
                };
                let limited = range == ColorRange::Limited;
                let inside = Visible { x0: 2, y0: 2, x1: 26, y1: 18 };
                let expected = limited || (from == to && matches!(from, I420 | Gray8));
                assert_eq!(applies(from, to, &spec(2, 24), inside, limited), expected, "{from} onto {to}, {range:?}");
                assert!(!applies(from, to, &spec(3, 24), inside, limited), "odd offset");
                assert!(!applies(from, to, &spec(2, 26), inside, limited), "scaled");
                let cut = Visible { x1: 25, ..inside };
                assert_eq!(applies(from, to, &spec(2, 24), cut, limited), expected && to.chroma_shift().0 == 0);
            }
        }
    }
}
