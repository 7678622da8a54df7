//! Composition: bg frame with fg pasted at the placement, in bg's pixel format.
//!
//! fg's content rectangle is converted to 8-bit Y, Cb, Cr planes at full resolution (4:2:0
//! chroma is repeated, RGB converted with the BT.601 or BT.709 matrix, limited range, 10-bit
//! samples rounded to 8 bits), scaled to its size in bg (area filter when shrinking, bilinear
//! when enlarging), then written over a copy of bg, clipped to bg. With a feather of N px, fg
//! fades in over N px from each edge where bg stays visible (edges on bg's border stay hard).
//! 4:2:0 chroma of the pasted region is the mean of each 2×2 block of the scaled chroma, placed
//! at (x/2, y/2) rounded down: an odd x or y shifts chroma by half a luma pixel.
//!
//! All buffers live in [`ComposeScratch`] and are reused, so composing allocates nothing once
//! the sizes are known.

use crate::error::{Error, Result};
use crate::frame::{FrameError, FrameMut, FrameRef, PixelFormat, Rect};
use crate::settings::ColorMatrix;

/// Where and how to paste fg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PasteSpec {
    /// fg's content rectangle (fg pixels).
    pub content: Rect,
    /// Top-left of the content in bg, and its size there.
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub feather: u32,
    pub matrix: ColorMatrix,
}

impl PasteSpec {
    /// The paste an alignment's placement describes, with the settings' feather and matrix.
    pub fn new(placement: &crate::spatial::Placement, settings: &crate::settings::Settings) -> PasteSpec {
        PasteSpec {
            content: placement.content,
            x: placement.x,
            y: placement.y,
            width: placement.width,
            height: placement.height,
            feather: settings.feather,
            matrix: settings.color_matrix,
        }
    }
}

/// Planes of 8-bit samples.
#[derive(Debug, Clone, Default)]
struct Planes {
    width: usize,
    height: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Planes {
    fn resize(&mut self, width: usize, height: usize) {
        if (self.width, self.height) != (width, height) {
            self.width = width;
            self.height = height;
            self.y.resize(width * height, 0);
            self.u.resize(width * height, 0);
            self.v.resize(width * height, 0);
        }
    }
}

/// Reusable buffers for composing.
#[derive(Debug, Clone, Default)]
pub struct ComposeScratch {
    source: Planes,
    scaled: Planes,
    alpha: Vec<u8>,
    row: Vec<f32>,
}

/// (Kr, Kb) of a matrix.
fn coefficients(m: ColorMatrix) -> (f32, f32) {
    match m {
        ColorMatrix::Bt601 => (0.299, 0.114),
        ColorMatrix::Bt709 => (0.2126, 0.0722),
    }
}

/// Full-range RGB to limited-range YCbCr.
#[inline]
fn rgb_to_yuv(r: u8, g: u8, b: u8, m: ColorMatrix) -> (u8, u8, u8) {
    let (kr, kb) = coefficients(m);
    let (r, g, b) = (r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0);
    let y = kr * r + (1.0 - kr - kb) * g + kb * b;
    let cb = (b - y) / (2.0 * (1.0 - kb));
    let cr = (r - y) / (2.0 * (1.0 - kr));
    let q = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    (q(16.0 + 219.0 * y), q(128.0 + 224.0 * cb), q(128.0 + 224.0 * cr))
}

/// Limited-range YCbCr to full-range RGB.
#[inline]
fn yuv_to_rgb(y: u8, u: u8, v: u8, m: ColorMatrix) -> (u8, u8, u8) {
    let (kr, kb) = coefficients(m);
    let y = (y as f32 - 16.0) / 219.0;
    let cb = (u as f32 - 128.0) / 224.0;
    let cr = (v as f32 - 128.0) / 224.0;
    let r = y + 2.0 * (1.0 - kr) * cr;
    let b = y + 2.0 * (1.0 - kb) * cb;
    let g = (y - kr * r - kb * b) / (1.0 - kr - kb);
    let q = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
    (q(r), q(g), q(b))
}

#[inline]
fn sample16(row: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([row[2 * i], row[2 * i + 1]])
}

/// fg's content as 8-bit Y, Cb, Cr planes at full resolution.
fn to_yuv444(fg: &FrameRef<'_>, rect: Rect, m: ColorMatrix, out: &mut Planes) {
    let (w, h) = (rect.width as usize, rect.height as usize);
    out.resize(w, h);
    let (x0, y0) = (rect.x as usize, rect.y as usize);
    for r in 0..h {
        let sy = y0 + r;
        let luma = fg.row(0, sy);
        let o = r * w;
        match fg.format() {
            PixelFormat::Gray8 => {
                for c in 0..w {
                    // Gray is full range: map to limited-range luma.
                    out.y[o + c] = (16.0 + luma[x0 + c] as f32 * 219.0 / 255.0).round() as u8;
                    out.u[o + c] = 128;
                    out.v[o + c] = 128;
                }
            }
            PixelFormat::I420 | PixelFormat::Nv12 => {
                let interleaved = fg.format() == PixelFormat::Nv12;
                let (urow, vrow) = (fg.row(1, sy / 2), fg.row(if interleaved { 1 } else { 2 }, sy / 2));
                for c in 0..w {
                    let sx = x0 + c;
                    out.y[o + c] = luma[sx];
                    let ci = sx / 2;
                    (out.u[o + c], out.v[o + c]) =
                        if interleaved { (urow[2 * ci], urow[2 * ci + 1]) } else { (urow[ci], vrow[ci]) };
                }
            }
            PixelFormat::I420P10 | PixelFormat::P010 => {
                let high = fg.format() == PixelFormat::P010;
                let to8 = |v: u16| if high { (v >> 8) as u8 } else { ((v.min(1023) + 2) >> 2).min(255) as u8 };
                let (urow, vrow) = (fg.row(1, sy / 2), fg.row(if high { 1 } else { 2 }, sy / 2));
                for c in 0..w {
                    let sx = x0 + c;
                    out.y[o + c] = to8(sample16(luma, sx));
                    let ci = sx / 2;
                    (out.u[o + c], out.v[o + c]) = if high {
                        (to8(sample16(urow, 2 * ci)), to8(sample16(urow, 2 * ci + 1)))
                    } else {
                        (to8(sample16(urow, ci)), to8(sample16(vrow, ci)))
                    };
                }
            }
            PixelFormat::Rgba | PixelFormat::Bgra | PixelFormat::Rgb24 => {
                let bpp = if fg.format() == PixelFormat::Rgb24 { 3 } else { 4 };
                let (ri, bi) = if fg.format() == PixelFormat::Bgra { (2, 0) } else { (0, 2) };
                for c in 0..w {
                    let px = &luma[(x0 + c) * bpp..(x0 + c + 1) * bpp];
                    let (y, u, v) = rgb_to_yuv(px[ri], px[1], px[bi], m);
                    (out.y[o + c], out.u[o + c], out.v[o + c]) = (y, u, v);
                }
            }
        }
    }
}

/// The part of the pasted rectangle that lands inside bg, in the rectangle's own coordinates:
/// only this part is scaled, so memory and time follow bg's size, not the nominal paste size.
#[derive(Debug, Clone, Copy)]
struct Window {
    x: usize,
    y: usize,
    width: usize,
    height: usize,
}

/// Scales one plane to `dw × dh` and keeps `window` of the result: exact area filter when
/// shrinking, bilinear when enlarging (the scale is uniform, so one rule serves both axes).
fn scale_plane(
    src: &[u8],
    (sw, sh): (usize, usize),
    dst: &mut [u8],
    (dw, dh): (usize, usize),
    window: Window,
    row: &mut Vec<f32>,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    if (sw, sh) == (dw, dh) {
        for r in 0..wh {
            dst[r * ww..(r + 1) * ww].copy_from_slice(&src[(wy + r) * sw + wx..(wy + r) * sw + wx + ww]);
        }
        return;
    }
    if dw <= sw && dh <= sh {
        // Area: vertical accumulation then horizontal bins, as frame::AreaResampler.
        row.resize(sw, 0.0);
        for oy in wy..wy + wh {
            let (y0, y1) = (oy as f64 * sh as f64 / dh as f64, (oy + 1) as f64 * sh as f64 / dh as f64);
            row.fill(0.0);
            let mut sy = y0.floor() as usize;
            while (sy as f64) < y1 && sy < sh {
                let wy = (((sy + 1) as f64).min(y1) - (sy as f64).max(y0)) as f32;
                for (a, &s) in row.iter_mut().zip(&src[sy * sw..(sy + 1) * sw]) {
                    *a += wy * s as f32;
                }
                sy += 1;
            }
            let norm = (y1 - y0) as f32;
            for ox in wx..wx + ww {
                let (x0, x1) = (ox as f64 * sw as f64 / dw as f64, (ox + 1) as f64 * sw as f64 / dw as f64);
                let mut acc = 0f32;
                let mut sx = x0.floor() as usize;
                while (sx as f64) < x1 && sx < sw {
                    acc += (((sx + 1) as f64).min(x1) - (sx as f64).max(x0)) as f32 * row[sx];
                    sx += 1;
                }
                dst[(oy - wy) * ww + ox - wx] = (acc / (norm * (x1 - x0) as f32)).round().clamp(0.0, 255.0) as u8;
            }
        }
    } else {
        // Bilinear with pixel centres aligned.
        for oy in wy..wy + wh {
            let fy = ((oy as f64 + 0.5) * sh as f64 / dh as f64 - 0.5).clamp(0.0, (sh - 1) as f64);
            let (y0, ty) = (fy.floor() as usize, (fy - fy.floor()) as f32);
            let y1 = (y0 + 1).min(sh - 1);
            for ox in wx..wx + ww {
                let fx = ((ox as f64 + 0.5) * sw as f64 / dw as f64 - 0.5).clamp(0.0, (sw - 1) as f64);
                let (x0, tx) = (fx.floor() as usize, (fx - fx.floor()) as f32);
                let x1 = (x0 + 1).min(sw - 1);
                let p = |x: usize, y: usize| src[y * sw + x] as f32;
                let top = p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx;
                let bottom = p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx;
                dst[(oy - wy) * ww + ox - wx] = (top * (1.0 - ty) + bottom * ty).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[inline]
fn blend(bg: u8, fg: u8, alpha: u8) -> u8 {
    ((fg as u32 * alpha as u32 + bg as u32 * (255 - alpha as u32) + 127) / 255) as u8
}

#[inline]
fn blend16(bg: u16, fg: u16, alpha: u8) -> u16 {
    ((fg as u32 * alpha as u32 + bg as u32 * (255 - alpha as u32) + 127) / 255) as u16
}

/// Output = bg with fg pasted as `spec` says. `out` must have bg's format and size.
pub fn compose(
    bg: &FrameRef<'_>,
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    scratch: &mut ComposeScratch,
    out: &mut FrameMut<'_>,
) -> Result<()> {
    if out.format() != bg.format() || out.width() != bg.width() || out.height() != bg.height() {
        return Err(FrameError::Mismatch {
            expected: bg.describe(),
            got: format!("{} {}x{}", out.format(), out.width(), out.height()),
        }
        .into());
    }
    if !spec.content.fits_in(fg.width(), fg.height()) {
        return Err(Error::invalid(format!(
            "content rectangle {:?} does not fit fg {}x{}",
            spec.content,
            fg.width(),
            fg.height()
        )));
    }
    if spec.width == 0 || spec.height == 0 {
        return Err(Error::invalid("pasted size is zero"));
    }
    out.copy_from(bg)?;
    let (bw, bh) = (bg.width() as i64, bg.height() as i64);
    let (dw, dh) = (spec.width as usize, spec.height as usize);
    // Visible part of the pasted rectangle, in bg coordinates.
    let (vx0, vy0) = ((spec.x as i64).max(0), (spec.y as i64).max(0));
    let (vx1, vy1) = ((spec.x as i64 + dw as i64).min(bw), (spec.y as i64 + dh as i64).min(bh));
    if vx0 >= vx1 || vy0 >= vy1 {
        return Ok(()); // fg lies entirely outside bg
    }
    if paste_by_copy(bg, fg, spec, (vx0, vy0, vx1, vy1), out) {
        return Ok(());
    }
    to_yuv444(fg, spec.content, spec.matrix, &mut scratch.source);
    let window = Window {
        x: (vx0 - spec.x as i64) as usize,
        y: (vy0 - spec.y as i64) as usize,
        width: (vx1 - vx0) as usize,
        height: (vy1 - vy0) as usize,
    };
    scratch.scaled.resize(window.width, window.height);
    let source_size = (scratch.source.width, scratch.source.height);
    let ComposeScratch { source, scaled, alpha, row } = scratch;
    scale_plane(&source.y, source_size, &mut scaled.y, (dw, dh), window, row);
    scale_plane(&source.u, source_size, &mut scaled.u, (dw, dh), window, row);
    scale_plane(&source.v, source_size, &mut scaled.v, (dw, dh), window, row);
    feather_alpha(spec, bw, bh, window, alpha);

    let fmt = bg.format();
    // Samples of the visible window, by bg coordinates.
    let at = |px: i64, py: i64| (py - vy0) as usize * window.width + (px - vx0) as usize;
    let a = |px: i64, py: i64| alpha[at(px, py)];
    let s = |plane: &Vec<u8>, px: i64, py: i64| plane[at(px, py)];
    // Luma or RGB. Opaque 8-bit luma (no feather) is a row copy of the scaled plane.
    let opaque_luma = spec.feather == 0 && matches!(fmt, PixelFormat::I420 | PixelFormat::Nv12);
    for py in vy0..vy1 {
        let row_out = out.row_mut(0, py as usize);
        if opaque_luma {
            let start = at(vx0, py);
            row_out[vx0 as usize..vx1 as usize].copy_from_slice(&scaled.y[start..start + window.width]);
            continue;
        }
        for px in vx0..vx1 {
            let (al, x) = (a(px, py), px as usize);
            let (y, u, v) = (s(&scaled.y, px, py), s(&scaled.u, px, py), s(&scaled.v, px, py));
            match fmt {
                PixelFormat::Gray8 => {
                    let full = ((y as f32 - 16.0) * 255.0 / 219.0).round().clamp(0.0, 255.0) as u8;
                    row_out[x] = blend(row_out[x], full, al);
                }
                PixelFormat::I420 | PixelFormat::Nv12 => row_out[x] = blend(row_out[x], y, al),
                PixelFormat::I420P10 | PixelFormat::P010 => {
                    let shift = if fmt == PixelFormat::P010 { 8 } else { 2 };
                    let old = u16::from_le_bytes([row_out[2 * x], row_out[2 * x + 1]]);
                    let new = blend16(old, (y as u16) << shift, al);
                    row_out[2 * x..2 * x + 2].copy_from_slice(&new.to_le_bytes());
                }
                PixelFormat::Rgba | PixelFormat::Bgra | PixelFormat::Rgb24 => {
                    let bpp = if fmt == PixelFormat::Rgb24 { 3 } else { 4 };
                    let (r, g, b) = yuv_to_rgb(y, u, v, spec.matrix);
                    let (ri, bi) = if fmt == PixelFormat::Bgra { (2, 0) } else { (0, 2) };
                    let p = &mut row_out[x * bpp..(x + 1) * bpp];
                    p[ri] = blend(p[ri], r, al);
                    p[1] = blend(p[1], g, al);
                    p[bi] = blend(p[bi], b, al);
                }
            }
        }
    }
    // 4:2:0 chroma: each chroma sample averages the pasted pixels of its 2×2 block.
    if fmt.is_420() {
        let (cx0, cy0) = (vx0 / 2, vy0 / 2);
        let (cx1, cy1) = ((vx1 + 1) / 2, (vy1 + 1) / 2);
        for cy in cy0..cy1 {
            for cx in cx0..cx1 {
                let (mut su, mut sv, mut sa, mut n) = (0u32, 0u32, 0u32, 0u32);
                for (px, py) in [(2 * cx, 2 * cy), (2 * cx + 1, 2 * cy), (2 * cx, 2 * cy + 1), (2 * cx + 1, 2 * cy + 1)]
                {
                    if px >= vx0 && px < vx1 && py >= vy0 && py < vy1 {
                        su += s(&scaled.u, px, py) as u32;
                        sv += s(&scaled.v, px, py) as u32;
                        sa += a(px, py) as u32;
                        n += 1;
                    }
                }
                if n == 0 {
                    continue;
                }
                // Blocks only partly covered by fg blend by their covered share.
                let (u, v, al) = (((su + n / 2) / n) as u8, ((sv + n / 2) / n) as u8, (sa / 4) as u8);
                let c = cx as usize;
                match fmt {
                    PixelFormat::I420 => {
                        let r = out.row_mut(1, cy as usize);
                        r[c] = blend(r[c], u, al);
                        let r = out.row_mut(2, cy as usize);
                        r[c] = blend(r[c], v, al);
                    }
                    PixelFormat::Nv12 => {
                        let r = out.row_mut(1, cy as usize);
                        r[2 * c] = blend(r[2 * c], u, al);
                        r[2 * c + 1] = blend(r[2 * c + 1], v, al);
                    }
                    PixelFormat::I420P10 | PixelFormat::P010 => {
                        let (shift, interleaved) = if fmt == PixelFormat::P010 { (8, true) } else { (2, false) };
                        let mut put = |plane: usize, i: usize, val: u8| {
                            let r = out.row_mut(plane, cy as usize);
                            let old = u16::from_le_bytes([r[2 * i], r[2 * i + 1]]);
                            let new = blend16(old, (val as u16) << shift, al);
                            r[2 * i..2 * i + 2].copy_from_slice(&new.to_le_bytes());
                        };
                        if interleaved {
                            put(1, 2 * c, u);
                            put(1, 2 * c + 1, v);
                        } else {
                            put(1, c, u);
                            put(2, c, v);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// The common case as plain row copies: same planar 8-bit format, scale 1, no feather, and
/// even offsets and sizes, where the general path's result is exactly fg's samples. Returns
/// false when the general path is needed.
fn paste_by_copy(
    bg: &FrameRef<'_>,
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    visible: (i64, i64, i64, i64),
    out: &mut FrameMut<'_>,
) -> bool {
    let format = bg.format();
    let c = spec.content;
    let even = |v: i64| v % 2 == 0;
    if fg.format() != format
        || !matches!(format, PixelFormat::I420 | PixelFormat::Gray8)
        || (spec.width, spec.height) != (c.width, c.height)
        || spec.feather != 0
        || ![spec.x as i64, spec.y as i64, c.x as i64, c.y as i64, c.width as i64, c.height as i64]
            .into_iter()
            .all(even)
    {
        return false;
    }
    let (vx0, vy0, vx1, vy1) = visible;
    // fg coordinates of the visible part.
    let (fx0, fy0) = (c.x as i64 + vx0 - spec.x as i64, c.y as i64 + vy0 - spec.y as i64);
    let w = (vx1 - vx0) as usize;
    for r in 0..(vy1 - vy0) as usize {
        let src = &fg.row(0, fy0 as usize + r)[fx0 as usize..fx0 as usize + w];
        out.row_mut(0, vy0 as usize + r)[vx0 as usize..vx0 as usize + w].copy_from_slice(src);
    }
    if format == PixelFormat::I420 {
        // Visible edges are even except where bg's own odd size clips: ceil covers them.
        let (cx0, cy0, cx1, cy1) = (vx0 / 2, vy0 / 2, (vx1 + 1) / 2, (vy1 + 1) / 2);
        let (fcx, fcy) = (fx0 / 2, fy0 / 2);
        let cw = (cx1 - cx0) as usize;
        for plane in 1..3 {
            for r in 0..(cy1 - cy0) as usize {
                let src = &fg.row(plane, fcy as usize + r)[fcx as usize..fcx as usize + cw];
                out.row_mut(plane, cy0 as usize + r)[cx0 as usize..cx0 as usize + cw].copy_from_slice(src);
            }
        }
    }
    true
}

/// Per-pixel alpha of the visible window of the pasted rectangle: 255 inside, ramping to 0
/// towards edges that lie inside bg (where bg stays visible around fg).
fn feather_alpha(spec: &PasteSpec, bw: i64, bh: i64, window: Window, alpha: &mut Vec<u8>) {
    let (dw, dh) = (spec.width as usize, spec.height as usize);
    alpha.resize(window.width * window.height, 255);
    alpha.fill(255);
    let n = spec.feather as f32;
    if spec.feather == 0 {
        return;
    }
    let (x, y) = (spec.x as i64, spec.y as i64);
    let soft_left = x > 0;
    let soft_top = y > 0;
    let soft_right = x + (dw as i64) < bw;
    let soft_bottom = y + (dh as i64) < bh;
    let ramp = |d: usize| ((d as f32 + 0.5) / n).min(1.0);
    for (k, r) in (window.y..window.y + window.height).enumerate() {
        let fy = (if soft_top { ramp(r) } else { 1.0 }).min(if soft_bottom { ramp(dh - 1 - r) } else { 1.0 });
        for (j, c) in (window.x..window.x + window.width).enumerate() {
            let fx = (if soft_left { ramp(c) } else { 1.0 }).min(if soft_right { ramp(dw - 1 - c) } else { 1.0 });
            alpha[k * window.width + j] = (255.0 * fx.min(fy)).round() as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_conversions_round_trip() {
        for m in [ColorMatrix::Bt601, ColorMatrix::Bt709] {
            for (r, g, b) in [(0u8, 0u8, 0u8), (255, 255, 255), (200, 30, 90), (12, 240, 128)] {
                let (y, u, v) = rgb_to_yuv(r, g, b, m);
                let (r2, g2, b2) = yuv_to_rgb(y, u, v, m);
                assert!(r.abs_diff(r2) <= 2 && g.abs_diff(g2) <= 2 && b.abs_diff(b2) <= 2, "{m:?} {r},{g},{b}");
            }
            assert_eq!(rgb_to_yuv(0, 0, 0, m), (16, 128, 128));
            assert_eq!(rgb_to_yuv(255, 255, 255, m), (235, 128, 128));
        }
    }
}
