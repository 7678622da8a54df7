//! Scaling of the pasted picture's planes to their size in bg: the exact area filter when
//! shrinking, bilinear when enlarging (the scale is uniform, so one rule serves both axes).
//! Only the window that lands inside bg is computed.

/// The part of the pasted rectangle that lands inside bg, in the rectangle's own coordinates:
/// only this part is scaled, so memory and time follow bg's size, not the nominal paste size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

/// Scales one plane of `sw × sh` samples to `dw × dh` and keeps `window` of the result in
/// `dst` (window-sized rows). `row` is scratch.
pub(super) fn scale_plane(
    src: &[u16],
    (sw, sh): (usize, usize),
    dst: &mut [u16],
    (dw, dh): (usize, usize),
    window: Window,
    row: &mut Vec<f32>,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    if (sw, sh) == (dw, dh) {
        for r in 0..wh {
            dst[r * ww..(r + 1) * ww].copy_from_slice(&src[(wy + r) * sw + wx..(wy + r) * sw + wx + ww]);
        }
    } else if dw <= sw && dh <= sh {
        shrink(src, (sw, sh), dst, (dw, dh), window, row);
    } else {
        enlarge(src, (sw, sh), dst, (dw, dh), window);
    }
}

#[inline]
fn quantize(v: f32) -> u16 {
    v.round().clamp(0.0, 65535.0) as u16
}

/// Area filter: vertical accumulation into `row`, then horizontal bins.
fn shrink(
    src: &[u16],
    (sw, sh): (usize, usize),
    dst: &mut [u16],
    (dw, dh): (usize, usize),
    window: Window,
    row: &mut Vec<f32>,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    row.resize(sw, 0.0);
    for oy in wy..wy + wh {
        let (y0, y1) = (oy as f64 * sh as f64 / dh as f64, (oy + 1) as f64 * sh as f64 / dh as f64);
        row.fill(0.0);
        let mut sy = y0.floor() as usize;
        while (sy as f64) < y1 && sy < sh {
            let weight = (((sy + 1) as f64).min(y1) - (sy as f64).max(y0)) as f32;
            for (a, &s) in row.iter_mut().zip(&src[sy * sw..(sy + 1) * sw]) {
                *a += weight * s as f32;
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
            dst[(oy - wy) * ww + ox - wx] = quantize(acc / (norm * (x1 - x0) as f32));
        }
    }
}

/// Bilinear with pixel centres aligned.
fn enlarge(src: &[u16], (sw, sh): (usize, usize), dst: &mut [u16], (dw, dh): (usize, usize), window: Window) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
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
            dst[(oy - wy) * ww + ox - wx] = quantize(top * (1.0 - ty) + bottom * ty);
        }
    }
}
