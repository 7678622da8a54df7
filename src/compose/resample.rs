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
/// without SSE4.1 (13 % of a scaled paste): for `v >= 0`, adding a half in `f64` is exact and
/// truncating it is rounding half away from zero. Clamped first (`max` drops a NaN), so the
/// conversion is one instruction: through `u64` it was a third of the area filter's time.
#[inline]
#[allow(clippy::manual_clamp)] // `clamp` keeps a NaN, which the conversion must then check for
fn quantize(v: f32) -> u16 {
    (v.max(0.0).min(65535.0) as f64 + 0.5) as u32 as u16
}

/// Each output sample's source bins along one axis, for the output samples of a window, as a
/// filter of `taps` taps per sample: the first source sample, and the weight of each sample
/// from there (the part of the source sample inside the output's bin, divided by the bin's
/// width, so that the weights sum to one), zero past the bin's end. Computed once a call: the
/// bins' `f64` edges, found per output sample per row, were most of a scaled paste, and the
/// fixed tap count lets the sums run without a loop of varying length or a division.
#[derive(Debug, Clone, Default)]
struct AreaBins {
    first: Vec<usize>,
    /// `taps` weights per output sample.
    weights: Vec<f32>,
    taps: usize,
}

impl AreaBins {
    /// The bins of output samples `from..from + count`, in the buffers of the last call (no
    /// allocation once they have grown). No tap reads past `source`: a bin at the end starts
    /// early enough to fit, with zero weights before its samples.
    fn fill(&mut self, from: usize, count: usize, source: usize, dest: usize) {
        let bins = self;
        // A bin spans source/dest samples and may straddle one more on each side.
        bins.taps = (source.div_ceil(dest) + 1).min(source);
        bins.first.clear();
        bins.weights.clear();
        for o in from..from + count {
            let (x0, x1) = (o as f64 * source as f64 / dest as f64, (o + 1) as f64 * source as f64 / dest as f64);
            let begin = x0.floor() as usize;
            let first = begin.min(source - bins.taps);
            bins.first.push(first);
            for sx in first..first + bins.taps {
                let covered = ((sx + 1) as f64).min(x1) - (sx as f64).max(x0);
                let weight = if sx < begin || covered <= 0.0 { 0.0 } else { covered / (x1 - x0) };
                bins.weights.push(weight as f32);
            }
        }
    }

    fn weights(&self, k: usize) -> &[f32] {
        &self.weights[k * self.taps..(k + 1) * self.taps]
    }
}

/// Area filter: vertical sums into `row` over the source columns the window reads, then the
/// horizontal bins with a tap count fixed for the call.
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
    // The source columns the window's bins read.
    let (c0, c1) = (cols.first[0], cols.first[ww - 1] + cols.taps);
    row.resize(c1 - c0, 0.0);
    for r in 0..wh {
        row.fill(0.0);
        for (k, &weight) in rows.weights(r).iter().enumerate() {
            if weight == 0.0 {
                continue;
            }
            let sy = rows.first[r] + k;
            for (a, &s) in row.iter_mut().zip(&src[sy * sw + c0..sy * sw + c1]) {
                *a += weight * s as f32;
            }
        }
        let out = &mut dst[r * ww..(r + 1) * ww];
        match cols.taps {
            2 => horizontal_bins::<2>(row, c0, cols, out),
            3 => horizontal_bins::<3>(row, c0, cols, out),
            4 => horizontal_bins::<4>(row, c0, cols, out),
            _ => {
                for (c, o) in out.iter_mut().enumerate() {
                    let at = &row[cols.first[c] - c0..];
                    *o = quantize(cols.weights(c).iter().zip(at).fold(0f32, |acc, (w, v)| acc + w * v));
                }
            }
        }
    }
}

/// One row of output samples from the vertical sums `row` (source column `c0` first), with
/// `TAPS` weights each: a loop the compiler unrolls.
#[inline]
fn horizontal_bins<const TAPS: usize>(row: &[f32], c0: usize, cols: &AreaBins, out: &mut [u16]) {
    for ((o, &first), weights) in out.iter_mut().zip(&cols.first).zip(cols.weights.chunks_exact(TAPS)) {
        let at = &row[first - c0..first - c0 + TAPS];
        let mut acc = 0f32;
        for k in 0..TAPS {
            acc += weights[k] * at[k];
        }
        *o = quantize(acc);
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

/// Bilinear with pixel centres aligned: each output row blends its two source rows over the
/// columns the window reads into `row` (a loop the compiler vectorises), then each sample
/// blends two of those.
fn enlarge(
    src: &[u16],
    (sw, sh): (usize, usize),
    dst: &mut [u16],
    (dw, dh): (usize, usize),
    window: Window,
    scratch: &mut ScaleScratch,
) {
    let Window { x: wx, y: wy, width: ww, height: wh } = window;
    let ScaleScratch { row, row_taps: rows, col_taps: cols, .. } = scratch;
    bilinear_taps(wy, wh, sh, dh, rows);
    bilinear_taps(wx, ww, sw, dw, cols);
    let (c0, c1) = (cols[0].0, cols[ww - 1].1 + 1);
    row.resize(c1 - c0, 0.0);
    for (r, &(y0, y1, ty)) in rows.iter().enumerate() {
        let (top_row, bottom_row) = (&src[y0 * sw + c0..y0 * sw + c1], &src[y1 * sw + c0..y1 * sw + c1]);
        for ((a, &top), &bottom) in row.iter_mut().zip(top_row).zip(bottom_row) {
            *a = top as f32 * (1.0 - ty) + bottom as f32 * ty;
        }
        for (o, &(x0, x1, tx)) in dst[r * ww..(r + 1) * ww].iter_mut().zip(cols.iter()) {
            *o = quantize(row[x0 - c0] * (1.0 - tx) + row[x1 - c0] * tx);
        }
    }
}

/// The filters as first written, bin edges found per sample: the reference the tables above
/// must equal (to a unit of the 16-bit intermediate).
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
    /// reference within a unit.
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
                // The tables divide each weight by the bin's width where the reference divides
                // the sum: the same filter rounded differently, one unit of 65535 at most.
                let worst = ours.iter().zip(&theirs).map(|(&a, &b)| a.abs_diff(b)).max();
                assert!(worst <= Some(1), "{dw}x{dh}, {window:?}: {worst:?}");
            }
        }
    }
}
