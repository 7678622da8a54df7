//! Colour in composition: fg's samples are read into 16-bit limited-range Y'CbCr in the
//! output's matrix, and written back in bg's format, range and depth.
//!
//! 16 bits hold 8-bit code values times 256 and 10-bit ones times 64, so a sample that needs no
//! conversion passes through exactly, whatever the depth: an I420P10 fg over I420P10 bg keeps
//! all 10 bits, and P010 and I420P10 round alike (both are 10-bit code values here). Samples
//! that do need converting (full range, another matrix, RGB) go through normalised floats.

use crate::frame::{AlphaMode, FrameColor, FrameRef, PixelFormat, Rect, wide_rgba};
use crate::settings::ColorMatrix;

/// One sample of a format at its own depth (P010's high bits shifted down).
#[inline]
pub(super) fn read_sample(row: &[u8], i: usize, format: PixelFormat) -> u32 {
    match format.sample_bytes() {
        1 => row[i] as u32,
        _ => {
            let v = u16::from_le_bytes([row[2 * i], row[2 * i + 1]]) as u32;
            if format == PixelFormat::P010 { v >> 6 } else { v.min(1023) }
        }
    }
}

/// Writes one sample given at the format's own depth.
#[inline]
pub(super) fn write_sample(row: &mut [u8], i: usize, format: PixelFormat, value: u32) {
    match format.sample_bytes() {
        1 => row[i] = value as u8,
        _ => {
            let v = if format == PixelFormat::P010 { value << 6 } else { value } as u16;
            row[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// (Kr, Kb) of a matrix.
fn coefficients(m: ColorMatrix) -> (f32, f32) {
    match m {
        ColorMatrix::Bt601 => (0.299, 0.114),
        ColorMatrix::Bt709 => (0.2126, 0.0722),
    }
}

/// Normalised Y' (0..1) and Cb, Cr (-0.5..0.5) to R'G'B' (0..1).
#[inline]
fn yuv_to_rgb(y: f32, cb: f32, cr: f32, m: ColorMatrix) -> [f32; 3] {
    let (kr, kb) = coefficients(m);
    let r = y + 2.0 * (1.0 - kr) * cr;
    let b = y + 2.0 * (1.0 - kb) * cb;
    let g = (y - kr * r - kb * b) / (1.0 - kr - kb);
    [r, g, b]
}

/// R'G'B' (0..1) to normalised Y', Cb, Cr.
#[inline]
fn rgb_to_yuv([r, g, b]: [f32; 3], m: ColorMatrix) -> (f32, f32, f32) {
    let (kr, kb) = coefficients(m);
    let y = kr * r + (1.0 - kr - kb) * g + kb * b;
    (y, (b - y) / (2.0 * (1.0 - kb)), (r - y) / (2.0 * (1.0 - kr)))
}

/// Normalised Y'CbCr to the 16-bit limited-range intermediate.
#[inline]
fn to_intermediate(y: f32, cb: f32, cr: f32) -> (u16, u16, u16) {
    let q = |v: f32| (v * 256.0).round().clamp(0.0, 65535.0) as u16;
    (q(16.0 + 219.0 * y), q(128.0 + 224.0 * cb), q(128.0 + 224.0 * cr))
}

/// The 16-bit intermediate to normalised Y'CbCr.
#[inline]
fn from_intermediate(y: u16, u: u16, v: u16) -> (f32, f32, f32) {
    let n = |s: u16| s as f32 / 256.0;
    ((n(y) - 16.0) / 219.0, (n(u) - 128.0) / 224.0, (n(v) - 128.0) / 224.0)
}

/// Code values of a YUV format at `depth` bits, as normalised Y'CbCr.
#[inline]
fn normalise_yuv(y: u32, u: u32, v: u32, depth: u32, full: bool) -> (f32, f32, f32) {
    if full {
        let max = ((1u32 << depth) - 1) as f32;
        let mid = (1u32 << (depth - 1)) as f32;
        (y as f32 / max, (u as f32 - mid) / max, (v as f32 - mid) / max)
    } else {
        let k = (1u32 << (depth - 8)) as f32;
        (
            (y as f32 - 16.0 * k) / (219.0 * k),
            (u as f32 - 128.0 * k) / (224.0 * k),
            (v as f32 - 128.0 * k) / (224.0 * k),
        )
    }
}

/// What a frame's samples mean once the defaults are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Resolved {
    pub full_range: bool,
    pub matrix: ColorMatrix,
}

impl Resolved {
    pub fn of(frame: &FrameRef<'_>, default_matrix: ColorMatrix) -> Resolved {
        Resolved::new(frame.color, frame.format(), default_matrix)
    }

    pub fn new(color: FrameColor, format: PixelFormat, default_matrix: ColorMatrix) -> Resolved {
        Resolved { full_range: color.is_full_range(format), matrix: color.matrix.unwrap_or(default_matrix) }
    }
}

/// Planes of 16-bit intermediate samples (see the module's description).
#[derive(Debug, Clone, Default)]
pub(super) struct Planes {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u16>,
    pub u: Vec<u16>,
    pub v: Vec<u16>,
    /// fg's alpha (8-bit values times 256), filled only when fg's alpha is read.
    pub a: Vec<u16>,
}

impl Planes {
    pub fn resize(&mut self, width: usize, height: usize) {
        if (self.width, self.height) != (width, height) {
            self.width = width;
            self.height = height;
            self.y.resize(width * height, 0);
            self.u.resize(width * height, 0);
            self.v.resize(width * height, 0);
        }
    }
}

/// fg's content rectangle as intermediate planes at full resolution (chroma repeated), in the
/// output's matrix `target`.
pub(super) fn read_content(fg: &FrameRef<'_>, rect: Rect, source: Resolved, target: ColorMatrix, out: &mut Planes) {
    let (w, h) = (rect.width as usize, rect.height as usize);
    out.resize(w, h);
    let format = fg.format();
    let (x0, y0) = (rect.x as usize, rect.y as usize);
    let (hs, vs) = format.chroma_shift();
    let depth = format.bit_depth();
    // Limited range in the output's matrix: a shift, exact at any depth.
    let exact = format.is_yuv() && format != PixelFormat::Gray8 && !source.full_range && source.matrix == target;
    for r in 0..h {
        let sy = y0 + r;
        let luma = fg.row(0, sy);
        let o = r * w;
        if exact && format.sample_bytes() == 1 && format.is_planar_yuv() {
            read_planar_8bit_row(fg, (x0, sy), o, w, out);
            continue;
        }
        match format {
            PixelFormat::Gray8 => {
                for c in 0..w {
                    let (y, _, _) = normalise_yuv(luma[x0 + c] as u32, 128, 128, 8, source.full_range);
                    (out.y[o + c], out.u[o + c], out.v[o + c]) = to_intermediate(y, 0.0, 0.0);
                }
            }
            PixelFormat::Rgba | PixelFormat::Bgra | PixelFormat::Rgb24 => {
                let bpp = if format == PixelFormat::Rgb24 { 3 } else { 4 };
                let (ri, bi) = if format == PixelFormat::Bgra { (2, 0) } else { (0, 2) };
                let level = |v: u8| if source.full_range { v as f32 / 255.0 } else { (v as f32 - 16.0) / 219.0 };
                let premultiplied = fg.color.alpha == AlphaMode::Premultiplied;
                for c in 0..w {
                    let px = &luma[(x0 + c) * bpp..(x0 + c + 1) * bpp];
                    let mut rgb = [level(px[ri]), level(px[1]), level(px[bi])];
                    if premultiplied && px[3] > 0 {
                        // The colour as if opaque, which the blend multiplies by alpha again.
                        rgb = rgb.map(|v| (v * 255.0 / px[3] as f32).min(1.0));
                    }
                    let (y, cb, cr) = rgb_to_yuv(rgb, target);
                    (out.y[o + c], out.u[o + c], out.v[o + c]) = to_intermediate(y, cb, cr);
                }
            }
            PixelFormat::Rgba64 | PixelFormat::RgbaF16 | PixelFormat::RgbaF32 => {
                let premultiplied = fg.color.alpha == AlphaMode::Premultiplied;
                for c in 0..w {
                    let [r, g, b, a] = wide_rgba::read(luma, x0 + c, format);
                    let k = if premultiplied && a > 0.0 { 1.0 / a } else { 1.0 };
                    let rgb = [r, g, b].map(|v| if v.is_nan() { 0.0 } else { (v * k).clamp(0.0, 1.0) });
                    let (y, cb, cr) = rgb_to_yuv(rgb, target);
                    (out.y[o + c], out.u[o + c], out.v[o + c]) = to_intermediate(y, cb, cr);
                }
            }
            _ => {
                let semi = format.is_semi_planar();
                let (urow, vrow) = (fg.row(1, sy >> vs), fg.row(if semi { 1 } else { 2 }, sy >> vs));
                for c in 0..w {
                    let sx = x0 + c;
                    let ci = sx >> hs;
                    let y = read_sample(luma, sx, format);
                    let (u, v) = if semi {
                        (read_sample(urow, 2 * ci, format), read_sample(urow, 2 * ci + 1, format))
                    } else {
                        (read_sample(urow, ci, format), read_sample(vrow, ci, format))
                    };
                    (out.y[o + c], out.u[o + c], out.v[o + c]) = if exact {
                        let s = 16 - depth;
                        ((y << s) as u16, (u << s) as u16, (v << s) as u16)
                    } else {
                        let (yn, cb, cr) = normalise_yuv(y, u, v, depth, source.full_range);
                        let (yn, cb, cr) = if source.matrix == target {
                            (yn, cb, cr)
                        } else {
                            rgb_to_yuv(yuv_to_rgb(yn, cb, cr, source.matrix), target)
                        };
                        to_intermediate(yn, cb, cr)
                    };
                }
            }
        }
    }
}

/// fg's alpha over its content rectangle into `out.a` (RGBA and BGRA: the fourth byte).
pub(super) fn read_alpha(fg: &FrameRef<'_>, rect: Rect, out: &mut Planes) {
    let (w, h) = (rect.width as usize, rect.height as usize);
    out.a.resize(w * h, 0);
    let format = fg.format();
    for r in 0..h {
        let row = fg.row(0, rect.y as usize + r);
        let dst = &mut out.a[r * w..(r + 1) * w];
        if format.is_wide_rgba() {
            for (c, d) in dst.iter_mut().enumerate() {
                let a = wide_rgba::read(row, rect.x as usize + c, format)[3];
                *d = if a.is_nan() { 0 } else { (a.clamp(0.0, 1.0) * 65280.0).round() as u16 };
            }
        } else {
            let pixels = &row[rect.x as usize * 4..(rect.x as usize + w) * 4];
            for (d, px) in dst.iter_mut().zip(pixels.chunks_exact(4)) {
                *d = (px[3] as u16) << 8;
            }
        }
    }
}

/// One row of 8-bit planar limited-range Y'CbCr in the output's matrix: shifts only.
fn read_planar_8bit_row(fg: &FrameRef<'_>, (x0, sy): (usize, usize), o: usize, w: usize, out: &mut Planes) {
    let (hs, vs) = fg.format().chroma_shift();
    let (luma, urow, vrow) = (fg.row(0, sy), fg.row(1, sy >> vs), fg.row(2, sy >> vs));
    for (d, &s) in out.y[o..o + w].iter_mut().zip(&luma[x0..x0 + w]) {
        *d = (s as u16) << 8;
    }
    for c in 0..w {
        let ci = (x0 + c) >> hs;
        out.u[o + c] = (urow[ci] as u16) << 8;
        out.v[o + c] = (vrow[ci] as u16) << 8;
    }
}

/// How intermediate samples become the output's code values.
#[derive(Debug, Clone, Copy)]
pub(super) struct Writer {
    format: PixelFormat,
    color: Resolved,
}

impl Writer {
    pub fn new(format: PixelFormat, color: Resolved) -> Writer {
        Writer { format, color }
    }

    /// Whether the output is 8-bit limited-range Y'CbCr (a plain shift from the intermediate).
    pub fn is_limited_8bit(&self) -> bool {
        self.format.is_yuv() && self.format.sample_bytes() == 1 && !self.color.full_range
    }

    /// A luma or chroma code value of a YUV or gray output from an intermediate sample.
    #[inline]
    pub fn yuv(&self, sample: u16, chroma: bool) -> u32 {
        let depth = self.format.bit_depth();
        let max = (1u32 << depth) - 1;
        if !self.color.full_range {
            let shift = 16 - depth;
            return ((sample as u32 + (1 << (shift - 1))) >> shift).min(max);
        }
        let n = sample as f32 / 256.0;
        let v = if chroma {
            (n - 128.0) / 224.0 * max as f32 + (1u32 << (depth - 1)) as f32
        } else {
            (n - 16.0) / 219.0 * max as f32
        };
        v.round().clamp(0.0, max as f32) as u32
    }

    /// R', G', B' of an RGB output from intermediate samples, normalised (0..1).
    #[inline]
    pub fn rgb_normalised(&self, y: u16, u: u16, v: u16) -> [f32; 3] {
        let (yn, cb, cr) = from_intermediate(y, u, v);
        yuv_to_rgb(yn, cb, cr, self.color.matrix).map(|c| c.clamp(0.0, 1.0))
    }

    /// R', G', B' code values of an RGB output from intermediate samples.
    #[inline]
    pub fn rgb(&self, y: u16, u: u16, v: u16) -> [u8; 3] {
        let (yn, cb, cr) = from_intermediate(y, u, v);
        let rgb = yuv_to_rgb(yn, cb, cr, self.color.matrix);
        let full = self.color.full_range;
        rgb.map(|c| (if full { c * 255.0 } else { 16.0 + c * 219.0 }).round().clamp(0.0, 255.0) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_conversions_round_trip() {
        for m in [ColorMatrix::Bt601, ColorMatrix::Bt709] {
            let writer = Writer::new(PixelFormat::Rgb24, Resolved { full_range: true, matrix: m });
            for rgb in [[0u8, 0, 0], [255, 255, 255], [200, 30, 90], [12, 240, 128]] {
                let (y, cb, cr) = rgb_to_yuv(rgb.map(|c| c as f32 / 255.0), m);
                let (y, u, v) = to_intermediate(y, cb, cr);
                let back = writer.rgb(y, u, v);
                assert!(rgb.iter().zip(back).all(|(a, b)| a.abs_diff(b) <= 1), "{m:?} {rgb:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn limited_range_samples_pass_through_at_every_depth() {
        for format in [PixelFormat::I420, PixelFormat::I420P10, PixelFormat::P010, PixelFormat::I444P10] {
            let writer = Writer::new(format, Resolved { full_range: false, matrix: ColorMatrix::Bt709 });
            let depth = format.bit_depth();
            for code in [0u32, 1, 16, 100, 235, 240, (1 << depth) - 1] {
                let sample = (code << (16 - depth)) as u16;
                assert_eq!(writer.yuv(sample, false), code, "{format} {code}");
            }
        }
    }

    #[test]
    fn full_range_maps_onto_limited_range_ends() {
        let (y, cb, _) = normalise_yuv(255, 0, 128, 8, true);
        let (y16, u16_, _) = to_intermediate(y, cb, 0.0);
        assert_eq!((y16 >> 8, (u16_ as u32 + 128) >> 8), (235, 16));
        let writer = Writer::new(PixelFormat::I420, Resolved { full_range: true, matrix: ColorMatrix::Bt709 });
        assert_eq!(writer.yuv(235 << 8, false), 255);
        assert_eq!(writer.yuv(16 << 8, false), 0);
    }
}
