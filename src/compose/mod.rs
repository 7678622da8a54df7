//! Composition: bg frame with fg pasted at the placement, in bg's pixel format.
//!
//! fg's content rectangle is read into 16-bit limited-range Y'CbCr planes at full resolution in
//! bg's matrix (`color.rs`: chroma repeated, full range, other matrices and RGB converted, 8-
//! and 10-bit samples kept whole), scaled to its size in bg (`resample.rs`: area filter when
//! shrinking, bilinear when enlarging), then written over a copy of bg in bg's format, range and
//! depth, clipped to bg. With a feather of N px, fg fades in over N px from each edge where bg
//! stays visible (edges on bg's border stay hard). An RGBA or BGRA fg whose alpha is described
//! (straight or premultiplied) is pasted with its alpha, scaled as the colour is, times the
//! feather's; premultiplied colour is divided by alpha first. Subsampled chroma of the pasted region is the
//! mean of each chroma block (2×2 for 4:2:0, 2×1 for 4:2:2) of the scaled chroma, placed at
//! (x >> 1, y >> 1) rounded down: an odd x or y shifts chroma by half a luma pixel.
//!
//! Three paths, the cheapest that applies: row copies (`copy.rs`: planar Y'CbCr of one chroma
//! layout and colour, scale 1, even offsets: fg's samples at bg's depth); the direct paste (`direct.rs`: 8-bit 4:2:0
//! of one colour, opaque, unfeathered, any scale or offset: each plane filtered straight from
//! fg's into the output in fixed point, chroma on bg's chroma grid); and the general path
//! above for everything else, which the others are tested against.
//!
//! All buffers live in [`ComposeScratch`] and are reused, so composing allocates nothing once
//! the sizes are known.

mod color;
mod copy;
mod direct;
mod fixed_filter;
mod resample;

use crate::error::{Error, Result};
use crate::frame::{AlphaMode, FrameError, FrameMut, FrameRef, PixelFormat, Rect, wide_rgba};
use crate::settings::ColorMatrix;
use color::{Planes, Resolved, Writer, read_alpha, read_content};
use resample::{ScaleScratch, Window, scale_plane};

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

/// Reusable buffers for composing.
#[derive(Debug, Clone, Default)]
pub struct ComposeScratch {
    source: Planes,
    scaled: Planes,
    alpha: Vec<u8>,
    scale: ScaleScratch,
    chroma_row: Vec<(u32, u32, u8)>,
    direct: direct::DirectScratch,
}

#[inline]
fn blend(bg: u32, fg: u32, alpha: u8) -> u32 {
    (fg * alpha as u32 + bg * (255 - alpha as u32) + 127) / 255
}

/// Output = bg with fg pasted as `spec` says. `out` must have bg's format and size; the
/// composite has bg's colour description.
pub fn compose(
    bg: &FrameRef<'_>,
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    scratch: &mut ComposeScratch,
    out: &mut FrameMut<'_>,
) -> Result<()> {
    compose_with(bg, fg, spec, scratch, out, Paths::All)
}

/// Which paths `compose_with` may take: all, or the general one only (the reference the
/// others are tested against).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Paths {
    All,
    #[cfg_attr(not(test), allow(dead_code))]
    GeneralOnly,
}

fn compose_with(
    bg: &FrameRef<'_>,
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    scratch: &mut ComposeScratch,
    out: &mut FrameMut<'_>,
    paths: Paths,
) -> Result<()> {
    check_request(bg, fg, spec, out)?;
    out.copy_from(bg)?;
    let (bw, bh) = (bg.width() as i64, bg.height() as i64);
    let (dw, dh) = (spec.width as usize, spec.height as usize);
    // Visible part of the pasted rectangle, in bg coordinates.
    let (vx0, vy0) = ((spec.x as i64).max(0), (spec.y as i64).max(0));
    let (vx1, vy1) = ((spec.x as i64 + dw as i64).min(bw), (spec.y as i64 + dh as i64).min(bh));
    if vx0 >= vx1 || vy0 >= vy1 {
        return Ok(()); // fg lies entirely outside bg
    }
    let visible = Visible { x0: vx0, y0: vy0, x1: vx1, y1: vy1 };
    let (source, target) = (Resolved::of(fg, spec.matrix), Resolved::of(bg, spec.matrix));
    let limited = !source.full_range && !target.full_range;
    if paths == Paths::All && source == target && copy::paste_by_copy(fg, spec, visible, limited, out) {
        return Ok(());
    }
    if paths == Paths::All && direct::applies(bg, fg, spec, source == target) {
        direct::paste(fg, spec, visible, &mut scratch.direct, out);
        return Ok(());
    }
    paste_general(bg, fg, spec, visible, scratch, out);
    Ok(())
}

/// Any pair of formats: fg's content read into 16-bit planes in bg's colour, scaled at luma
/// resolution, written in bg's format over `out` (a copy of bg) on `visible`.
fn paste_general(
    bg: &FrameRef<'_>,
    fg: &FrameRef<'_>,
    spec: &PasteSpec,
    visible: Visible,
    scratch: &mut ComposeScratch,
    out: &mut FrameMut<'_>,
) {
    let (source, target) = (Resolved::of(fg, spec.matrix), Resolved::of(bg, spec.matrix));
    let (bw, bh) = (bg.width() as i64, bg.height() as i64);
    let (dw, dh) = (spec.width as usize, spec.height as usize);
    read_content(fg, spec.content, source, target.matrix, &mut scratch.source);
    let window = Window {
        x: (visible.x0 - spec.x as i64) as usize,
        y: (visible.y0 - spec.y as i64) as usize,
        width: (visible.x1 - visible.x0) as usize,
        height: (visible.y1 - visible.y0) as usize,
    };
    scratch.scaled.resize(window.width, window.height);
    let source_size = (scratch.source.width, scratch.source.height);
    let ComposeScratch { source, scaled, alpha, scale, chroma_row, .. } = scratch;
    scale_plane(&source.y, source_size, &mut scaled.y, (dw, dh), window, scale);
    scale_plane(&source.u, source_size, &mut scaled.u, (dw, dh), window, scale);
    scale_plane(&source.v, source_size, &mut scaled.v, (dw, dh), window, scale);
    feather_alpha(spec, bw, bh, window, alpha);
    if fg.format().has_alpha() && fg.color.alpha != AlphaMode::Ignored {
        read_alpha(fg, spec.content, source);
        scaled.a.resize(window.width * window.height, 0);
        scale_plane(&source.a, source_size, &mut scaled.a, (dw, dh), window, scale);
        // The paste's coverage: the feather's times fg's own.
        for (a, &s) in alpha.iter_mut().zip(&scaled.a) {
            *a = ((*a as u32 * ((s as u32 + 128) >> 8).min(255) + 127) / 255) as u8;
        }
    }
    let writer = Writer::new(bg.format(), target);
    write_first_plane(scaled, alpha, visible, writer, out);
    if bg.format().is_planar_yuv() || bg.format().is_semi_planar() {
        write_chroma(scaled, alpha, visible, writer, chroma_row, out);
    }
}

fn check_request(bg: &FrameRef<'_>, fg: &FrameRef<'_>, spec: &PasteSpec, out: &FrameMut<'_>) -> Result<()> {
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
    Ok(())
}

/// The visible part of the pasted rectangle in bg pixels: columns x0..x1, rows y0..y1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Visible {
    x0: i64,
    y0: i64,
    x1: i64,
    y1: i64,
}

impl Visible {
    /// Index into the window-sized scaled planes of bg pixel (px, py).
    #[inline]
    fn at(&self, px: i64, py: i64) -> usize {
        (py - self.y0) as usize * (self.x1 - self.x0) as usize + (px - self.x0) as usize
    }
}

/// Luma (YUV and gray) or the pixels (RGB) of the visible window.
fn write_first_plane(scaled: &Planes, alpha: &[u8], visible: Visible, writer: Writer, out: &mut FrameMut<'_>) {
    let format = out.format();
    let bpp = match format {
        PixelFormat::Rgb24 => 3,
        _ => 4,
    };
    let (ri, bi) = if format == PixelFormat::Bgra { (2, 0) } else { (0, 2) };
    if writer.is_limited_8bit() {
        write_limited_8bit_luma(scaled, alpha, visible, out);
        return;
    }
    for py in visible.y0..visible.y1 {
        let row = out.row_mut(0, py as usize);
        for px in visible.x0..visible.x1 {
            let (k, x) = (visible.at(px, py), px as usize);
            let a = alpha[k];
            if format.is_yuv() {
                let fg = writer.yuv(scaled.y[k], false);
                let old = color::read_sample(row, x, format);
                color::write_sample(row, x, format, blend(old, fg, a));
            } else if format.is_wide_rgba() {
                // bg's alpha stays; R, G, B blend in floats. Uncovered pixels keep bg's bytes
                // (over-range and NaN included).
                if a == 0 {
                    continue;
                }
                let rgb = writer.rgb_normalised(scaled.y[k], scaled.u[k], scaled.v[k]);
                let (old, t) = (wide_rgba::read(row, x, format), a as f32 / 255.0);
                for (c, fg) in rgb.into_iter().enumerate() {
                    let bg = if old[c].is_nan() { 0.0 } else { old[c] };
                    wide_rgba::write_channel(row, x, c, format, fg * t + bg * (1.0 - t));
                }
            } else {
                let rgb = writer.rgb(scaled.y[k], scaled.u[k], scaled.v[k]);
                let p = &mut row[x * bpp..(x + 1) * bpp];
                for (i, c) in [(ri, rgb[0]), (1, rgb[1]), (bi, rgb[2])] {
                    p[i] = blend(p[i] as u32, c as u32, a) as u8;
                }
            }
        }
    }
}

/// The common output (8-bit limited-range luma) without per-sample format decisions; opaque
/// pixels skip the blend.
fn write_limited_8bit_luma(scaled: &Planes, alpha: &[u8], visible: Visible, out: &mut FrameMut<'_>) {
    let width = (visible.x1 - visible.x0) as usize;
    for py in visible.y0..visible.y1 {
        let start = visible.at(visible.x0, py);
        let row = &mut out.row_mut(0, py as usize)[visible.x0 as usize..visible.x1 as usize];
        for ((o, &s), &a) in row.iter_mut().zip(&scaled.y[start..start + width]).zip(&alpha[start..start + width]) {
            let v = ((s as u32 + 128) >> 8).min(255);
            *o = if a == 255 { v as u8 } else { blend(*o as u32, v, a) as u8 };
        }
    }
}

/// Chroma of the visible window: each chroma sample takes the mean of the pasted pixels of its
/// block, blended by the block's covered share. One chroma row at a time: the block means go to
/// `row` (reused), then into each chroma plane's row.
fn write_chroma(
    scaled: &Planes,
    alpha: &[u8],
    visible: Visible,
    writer: Writer,
    row: &mut Vec<(u32, u32, u8)>,
    out: &mut FrameMut<'_>,
) {
    let format = out.format();
    let (hs, vs) = format.chroma_shift();
    let (bw, bh) = (1i64 << hs, 1i64 << vs);
    let (cx0, cx1) = (visible.x0 >> hs, (visible.x1 + bw - 1) >> hs);
    for cy in (visible.y0 >> vs)..((visible.y1 + bh - 1) >> vs) {
        let (py0, py1) = ((cy * bh).max(visible.y0), ((cy + 1) * bh).min(visible.y1));
        row.clear();
        let whole_rows = py1 - py0 == bh;
        for cx in cx0..cx1 {
            let (px0, px1) = ((cx * bw).max(visible.x0), ((cx + 1) * bw).min(visible.x1));
            if whole_rows && px1 - px0 == 2 && bh == 2 {
                // A whole 2×2 block (most of 4:2:0): fixed indices, shifts only.
                let (k, w) = (visible.at(px0, py0), (visible.x1 - visible.x0) as usize);
                let sum = |p: &[u16]| p[k] as u32 + p[k + 1] as u32 + p[k + w] as u32 + p[k + w + 1] as u32;
                let sa = alpha[k] as u32 + alpha[k + 1] as u32 + alpha[k + w] as u32 + alpha[k + w + 1] as u32;
                let (u, v) = (((sum(&scaled.u) + 2) >> 2) as u16, ((sum(&scaled.v) + 2) >> 2) as u16);
                row.push((writer.yuv(u, true), writer.yuv(v, true), (sa >> 2) as u8));
                continue;
            }
            let (mut su, mut sv, mut sa) = (0u32, 0u32, 0u32);
            for py in py0..py1 {
                let span = visible.at(px0, py)..visible.at(px0, py) + (px1 - px0) as usize;
                su += scaled.u[span.clone()].iter().map(|&s| s as u32).sum::<u32>();
                sv += scaled.v[span.clone()].iter().map(|&s| s as u32).sum::<u32>();
                sa += alpha[span].iter().map(|&s| s as u32).sum::<u32>();
            }
            let n = ((py1 - py0) * (px1 - px0)) as u32;
            // Whole blocks (all but the window's edges) divide by a power of two: a shift.
            let shift = hs + vs;
            let mean = |s: u32| if n == 1 << shift { (s + (n >> 1)) >> shift } else { (s + n / 2) / n } as u16;
            let a = (sa >> shift) as u8;
            row.push((writer.yuv(mean(su), true), writer.yuv(mean(sv), true), a));
        }
        // (plane, first sample, step, which mean): U and V, planar or interleaved.
        let targets = if format.is_semi_planar() { [(1, 0, 2, 0), (1, 1, 2, 1)] } else { [(1, 0, 1, 0), (2, 0, 1, 1)] };
        for (plane, first, step, which) in targets {
            let dst = out.row_mut(plane, cy as usize);
            for (j, &(u, v, a)) in row.iter().enumerate() {
                let i = (cx0 as usize + j) * step + first;
                let value = if which == 0 { u } else { v };
                if format.sample_bytes() == 1 {
                    dst[i] = if a == 255 { value as u8 } else { blend(dst[i] as u32, value, a) as u8 };
                } else {
                    let old = color::read_sample(dst, i, format);
                    color::write_sample(dst, i, format, blend(old, value, a));
                }
            }
        }
    }
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
