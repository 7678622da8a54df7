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

/// What scaling keeps between calls: a row of sums and the axes' tables (no allocation per
/// frame once they have grown).
#[derive(Debug, Clone, Default)]
pub(super) struct ScaleScratch {
    row: Vec<f32>,
    rows: AreaBins,
    cols: AreaBins,
    row_taps: Vec<(usize, usize, f32)>,
    col_taps: Vec<(usize, usize, f32)>,
}

/// Scales one plane of `sw × sh` samples to `dw × dh` and keeps `window` of the result in
/// `dst` (window-sized rows).
pub(super) fn scale_plane(
    src: &[u16],
    (sw, sh): (usize, usize),
    dst: &mut [u16],
    (dw, dh): (usize, usize),
    window: Window,
    scratch: &mut ScaleScratch,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    if (sw, sh) == (dw, dh) {
        for r in 0..wh {
            dst[r * ww..(r + 1) * ww].copy_from_slice(&src[(wy + r) * sw + wx..(wy + r) * sw + wx + ww]);
        }
    } else if dw <= sw && dh <= sh {
        shrink(src, (sw, sh), dst, (dw, dh), window, scratch);
    } else {
        enlarge(src, (sw, sh), dst, (dw, dh), window, scratch);
    }
}

/// `v.round().clamp(0.0, 65535.0) as u16`, without the library call `round` is on targets
/// without SSE4.1 (13 % of a scaled paste): for `v > 0`, adding a half in `f64` is exact and
/// truncating it is rounding half away from zero.
#[inline]
fn quantize(v: f32) -> u16 {
    if v > 0.0 { ((v as f64 + 0.5) as u64).min(65535) as u16 } else { 0 }
}

/// Each output sample's source bins along one axis, for the output samples of a window: the
/// first source sample, and the weight of each it covers (the part of the sample inside the
/// output's bin). Computed once a call instead of once a row: the bins' `f64` edges, found per
/// output sample per row, were most of a scaled paste (about 10 ms a 720p frame).
#[derive(Debug, Clone, Default)]
struct AreaBins {
    first: Vec<usize>,
    /// Where output sample `k`'s weights start in `weights` (`k + 1`'s is where they end).
    starts: Vec<usize>,
    weights: Vec<f32>,
    /// The bin's width in source samples.
    span: Vec<f32>,
}

impl AreaBins {
    /// The bins of output samples `from..from + count`, in the buffers of the last call (no
    /// allocation once they have grown).
    fn fill(&mut self, from: usize, count: usize, source: usize, dest: usize) {
        let bins = self;
        bins.first.clear();
        bins.starts.clear();
        bins.weights.clear();
        bins.span.clear();
        for o in from..from + count {
            let (x0, x1) = (o as f64 * source as f64 / dest as f64, (o + 1) as f64 * source as f64 / dest as f64);
            let mut sx = x0.floor() as usize;
            bins.first.push(sx);
            bins.starts.push(bins.weights.len());
            while (sx as f64) < x1 && sx < source {
                bins.weights.push((((sx + 1) as f64).min(x1) - (sx as f64).max(x0)) as f32);
                sx += 1;
            }
            bins.span.push((x1 - x0) as f32);
        }
        bins.starts.push(bins.weights.len());
    }

    fn weights(&self, k: usize) -> &[f32] {
        &self.weights[self.starts[k]..self.starts[k + 1]]
    }
}

/// Area filter: vertical accumulation into `row`, then horizontal bins (the same sums, in the
/// same order, as `reference::shrink`).
fn shrink(
    src: &[u16],
    (sw, sh): (usize, usize),
    dst: &mut [u16],
    (dw, dh): (usize, usize),
    window: Window,
    scratch: &mut ScaleScratch,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    let ScaleScratch { row, rows, cols, .. } = scratch;
    rows.fill(wy, wh, sh, dh);
    cols.fill(wx, ww, sw, dw);
    row.resize(sw, 0.0);
    for r in 0..wh {
        row.fill(0.0);
        for (k, &weight) in rows.weights(r).iter().enumerate() {
            let sy = rows.first[r] + k;
            for (a, &s) in row.iter_mut().zip(&src[sy * sw..(sy + 1) * sw]) {
                *a += weight * s as f32;
            }
        }
        let norm = rows.span[r];
        let out = &mut dst[r * ww..(r + 1) * ww];
        for (c, o) in out.iter_mut().enumerate() {
            let weights = cols.weights(c);
            let acc = weights.iter().zip(&row[cols.first[c]..]).fold(0f32, |acc, (w, v)| acc + w * v);
            *o = quantize(acc / (norm * cols.span[c]));
        }
    }
}

/// One output sample's bilinear taps along one axis: the two source samples and the second's
/// weight (pixel centres aligned), computed once a call.
fn bilinear_taps(from: usize, count: usize, source: usize, dest: usize, taps: &mut Vec<(usize, usize, f32)>) {
    taps.clear();
    taps.extend((from..from + count).map(|o| {
        let f = ((o as f64 + 0.5) * source as f64 / dest as f64 - 0.5).clamp(0.0, (source - 1) as f64);
        let (first, t) = (f.floor() as usize, (f - f.floor()) as f32);
        (first, (first + 1).min(source - 1), t)
    }));
}

/// Bilinear with pixel centres aligned (the same arithmetic as `reference::enlarge`).
fn enlarge(
    src: &[u16],
    (sw, sh): (usize, usize),
    dst: &mut [u16],
    (dw, dh): (usize, usize),
    window: Window,
    scratch: &mut ScaleScratch,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    let ScaleScratch { row_taps: rows, col_taps: cols, .. } = scratch;
    bilinear_taps(wy, wh, sh, dh, rows);
    bilinear_taps(wx, ww, sw, dw, cols);
    for (r, &(y0, y1, ty)) in rows.iter().enumerate() {
        let (top_row, bottom_row) = (&src[y0 * sw..(y0 + 1) * sw], &src[y1 * sw..(y1 + 1) * sw]);
        for (o, &(x0, x1, tx)) in dst[r * ww..(r + 1) * ww].iter_mut().zip(cols.iter()) {
            let top = top_row[x0] as f32 * (1.0 - tx) + top_row[x1] as f32 * tx;
            let bottom = bottom_row[x0] as f32 * (1.0 - tx) + bottom_row[x1] as f32 * tx;
            *o = quantize(top * (1.0 - ty) + bottom * ty);
        }
    }
}

/// The filters as first written, bin edges found per sample: the reference the tables above
/// must equal sample for sample.
#[cfg(test)]
mod reference {
    use super::Window;

    fn quantize(v: f32) -> u16 {
        v.round().clamp(0.0, 65535.0) as u16
    }

    /// Area filter: vertical accumulation into `row`, then horizontal bins.
    pub(super) fn shrink(
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
    pub(super) fn enlarge(
        src: &[u16],
        (sw, sh): (usize, usize),
        dst: &mut [u16],
        (dw, dh): (usize, usize),
        window: Window,
    ) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_as_round_does() {
        let edges = [-1.0f32, -0.5, -0.49999997, 0.0, 0.49999997, 0.5, 1.5, 2.5, 65534.5, 65535.0, 65535.5, 1e9];
        let steps = (0..2_000_000u32).map(|k| k as f32 * 0.0337);
        for v in edges.into_iter().chain(steps).chain([f32::NAN, f32::INFINITY, f32::NEG_INFINITY]) {
            assert_eq!(quantize(v), v.round().clamp(0.0, 65535.0) as u16, "{v}");
        }
    }

    /// Every scale the paste meets (a 3x4 box to 2.5 times up), every window: equal to the
    /// reference sample for sample.
    #[test]
    fn the_tables_equal_the_reference_filters() {
        let (sw, sh) = (37usize, 23usize);
        let src: Vec<u16> = (0..sw * sh).map(|i| ((i * 7919) % 65536) as u16).collect();
        let (mut row, mut scratch) = (Vec::new(), ScaleScratch::default());
        for (dw, dh) in [(3, 4), (18, 11), (27, 17), (36, 22), (37, 23), (38, 24), (55, 35), (93, 58)] {
            for window in [
                Window { x: 0, y: 0, width: dw, height: dh },
                Window { x: dw / 3, y: dh / 4, width: dw - dw / 3, height: dh - dh / 2 },
            ] {
                let (mut ours, mut theirs) =
                    (vec![0u16; window.width * window.height], vec![0u16; window.width * window.height]);
                if dw <= sw && dh <= sh {
                    shrink(&src, (sw, sh), &mut ours, (dw, dh), window, &mut scratch);
                    reference::shrink(&src, (sw, sh), &mut theirs, (dw, dh), window, &mut row);
                } else {
                    enlarge(&src, (sw, sh), &mut ours, (dw, dh), window, &mut scratch);
                    reference::enlarge(&src, (sw, sh), &mut theirs, (dw, dh), window);
                }
                assert_eq!(ours, theirs, "{dw}x{dh}, {window:?}");
            }
        }
    }
}
