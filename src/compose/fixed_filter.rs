//! A separable filter on 8-bit planes in 14-bit fixed point: the scaling of the direct paste
//! (`direct.rs`). Each output sample along an axis reads `taps` consecutive source samples
//! from its `first`, with integer weights summing to exactly `ONE` (a flat picture stays flat,
//! 0 and 255 stay 0 and 255). The vertical sums come first, over the source columns the output
//! reads, then the horizontal taps: both are kernels (`kernels::weigh_row`, `taps_row`) with a
//! SIMD level per CPU. The tables are built once a call into reused buffers: no allocation
//! once they have grown.

use crate::kernels::{self, TapsRow};

/// The sum of one output sample's weights.
const ONE_BITS: u32 = 14;
const ONE: u32 = 1 << ONE_BITS;
/// The vertical sums keep this many bits below the sample's unit before the horizontal taps
/// (`255 << 7` times `ONE` stays within a u32).
const MID_BITS: u32 = 7;
const _: () = assert!(kernels::TAPS_SHIFT == ONE_BITS + MID_BITS);

/// One axis of the filter: for each output sample the first source sample it reads and
/// `taps` weights from there (tap-major, as the kernels read them).
#[derive(Debug, Clone, Default)]
pub(super) struct AxisTaps {
    first: Vec<u32>,
    weights: Vec<u32>,
    taps: usize,
    /// Scratch for one output's weights while they are quantised, and the weights output by
    /// output before they are laid out tap-major.
    exact: Vec<f64>,
    staged: Vec<u32>,
}

impl AxisTaps {
    /// The area filter: output k is the mean of the source over `spans[k]` (source
    /// coordinates, sample s covering `s..s + 1`), for spans within `lo..hi`.
    pub fn area(&mut self, spans: impl Iterator<Item = (f64, f64)> + Clone, (lo, hi): (usize, usize)) {
        let width = |(x0, x1): (f64, f64)| (x1.ceil() as usize).saturating_sub(x0.floor() as usize).max(1);
        self.taps = spans.clone().map(width).max().unwrap_or(1).min(hi - lo);
        self.first.clear();
        self.staged.clear();
        for (x0, x1) in spans {
            let begin = (x0.floor() as usize).clamp(lo, hi - 1);
            let first = begin.min(hi - self.taps);
            self.exact.clear();
            for s in first..first + self.taps {
                let covered = ((s + 1) as f64).min(x1) - (s as f64).max(x0);
                self.exact.push(if s < begin || covered <= 0.0 { 0.0 } else { covered / (x1 - x0) });
            }
            self.push(first);
        }
        self.lay_out();
    }

    /// Bilinear: output k blends the two source samples around `centres[k]` (a position in
    /// samples, sample s centred on `s`), clamped to `lo..hi`.
    pub fn bilinear(&mut self, centres: impl Iterator<Item = f64>, (lo, hi): (usize, usize)) {
        self.taps = 2.min(hi - lo);
        self.first.clear();
        self.staged.clear();
        for centre in centres {
            let f = centre.clamp(lo as f64, (hi - 1) as f64);
            let at = f.floor() as usize;
            let first = at.min(hi - self.taps);
            let t = f - at as f64;
            self.exact.clear();
            self.exact.resize(self.taps, 0.0);
            self.exact[at - first] += 1.0 - t;
            if self.taps == 2 {
                self.exact[(at + 1).min(hi - 1) - first] += t;
            }
            self.push(first);
        }
        self.lay_out();
    }

    /// Quantises `exact` to integers summing to `ONE`: rounded, the remainder given to the
    /// largest weight.
    fn push(&mut self, first: usize) {
        self.first.push(first as u32);
        let start = self.staged.len();
        self.staged.extend(self.exact.iter().map(|&w| (w * ONE as f64).round() as u32));
        let own = &mut self.staged[start..];
        let sum: u32 = own.iter().sum();
        let largest = (0..own.len()).max_by_key(|&k| own[k]).expect("taps >= 1");
        own[largest] = (own[largest] as i64 + ONE as i64 - sum as i64) as u32;
    }

    /// The staged weights, tap-major.
    fn lay_out(&mut self) {
        let n = self.first.len();
        self.weights.clear();
        self.weights.extend((0..self.taps * n).map(|i| self.staged[(i % n) * self.taps + i / n]));
    }

    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// Output k's first source sample and its weights.
    fn taps_of(&self, k: usize) -> (usize, impl Iterator<Item = u32> + '_) {
        let n = self.first.len();
        (self.first[k] as usize, (0..self.taps).map(move |t| self.weights[t * n + k]))
    }

    /// The source samples the outputs read.
    fn reach(&self) -> std::ops::Range<usize> {
        match (self.first.first(), self.first.last()) {
            (Some(&a), Some(&b)) => a as usize..b as usize + self.taps,
            _ => 0..0,
        }
    }
}

/// What filtering keeps between calls.
#[derive(Debug, Clone, Default)]
pub(super) struct FilterScratch {
    sums: Vec<u32>,
    line: Vec<u8>,
}

/// Filters a plane, whose row `r` is `source(r)`, with `rows` and `cols`, handing each output
/// row (index, samples) to `emit`.
pub(super) fn filter_plane<'a>(
    source: impl Fn(usize) -> &'a [u8],
    rows: &AxisTaps,
    cols: &AxisTaps,
    scratch: &mut FilterScratch,
    mut emit: impl FnMut(usize, &[u8]),
) {
    let k = kernels::active();
    let reach = cols.reach();
    let FilterScratch { sums, line } = scratch;
    sums.resize(reach.len(), 0);
    line.resize(cols.len(), 0);
    let horizontal = TapsRow::new(&cols.first, &cols.weights, cols.taps, reach.start as u32, reach.len())
        .expect("the columns' taps lie within their reach");
    let half = 1 << (ONE_BITS - MID_BITS - 1);
    for r in 0..rows.len() {
        sums.fill(0);
        let (first, weights) = rows.taps_of(r);
        for (t, weight) in weights.enumerate() {
            if weight != 0 {
                (k.weigh_row)(sums, &source(first + t)[reach.clone()], weight);
            }
        }
        for a in sums.iter_mut() {
            *a = (*a + half) >> (ONE_BITS - MID_BITS);
        }
        (k.taps_row)(&horizontal, sums, line);
        emit(r, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter in floating point, straight from the tables' definition.
    fn reference(src: &[u8], width: usize, rows: &AxisTaps, cols: &AxisTaps) -> Vec<f64> {
        let mut out = Vec::new();
        for r in 0..rows.len() {
            for c in 0..cols.len() {
                let mut acc = 0.0;
                let ((fr, wrs), (fc, _)) = (rows.taps_of(r), cols.taps_of(c));
                for (i, wr) in wrs.enumerate() {
                    for (j, wc) in cols.taps_of(c).1.enumerate() {
                        let s = src[(fr + i) * width + fc + j] as f64;
                        acc += s * wr as f64 * wc as f64 / (ONE as f64 * ONE as f64);
                    }
                }
                out.push(acc);
            }
        }
        out
    }

    fn run(src: &[u8], width: usize, rows: &AxisTaps, cols: &AxisTaps) -> Vec<u8> {
        let mut out = Vec::new();
        filter_plane(
            |r| &src[r * width..(r + 1) * width],
            rows,
            cols,
            &mut FilterScratch::default(),
            |_, line| out.extend_from_slice(line),
        );
        out
    }

    /// Every tap count from 1 to 6, area and bilinear, against the weights' exact sum: within
    /// the rounding of the vertical sums (half a unit, plus the final rounding).
    #[test]
    fn the_fixed_point_filter_equals_its_weights_within_a_unit() {
        let (sw, sh) = (41usize, 29usize);
        let src: Vec<u8> = (0..sw * sh).map(|i| ((i * 7919) % 256) as u8).collect();
        for (dw, dh) in [(7, 5), (10, 8), (20, 14), (31, 22), (41, 29), (60, 45), (97, 70)] {
            let (mut rows, mut cols) = (AxisTaps::default(), AxisTaps::default());
            if dw <= sw {
                let spans = |n: usize, d: usize| {
                    (0..d).map(move |o| (o as f64 * n as f64 / d as f64, (o + 1) as f64 * n as f64 / d as f64))
                };
                rows.area(spans(sh, dh), (0, sh));
                cols.area(spans(sw, dw), (0, sw));
            } else {
                let centres = |n: usize, d: usize| (0..d).map(move |o| (o as f64 + 0.5) * n as f64 / d as f64 - 0.5);
                rows.bilinear(centres(sh, dh), (0, sh));
                cols.bilinear(centres(sw, dw), (0, sw));
            }
            for k in 0..cols.len() {
                assert_eq!(cols.taps_of(k).1.sum::<u32>(), ONE);
            }
            let ours = run(&src, sw, &rows, &cols);
            let exact = reference(&src, sw, &rows, &cols);
            let worst = ours.iter().zip(&exact).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max);
            assert!(worst <= 0.51, "{dw}x{dh}: {worst}");
        }
    }

    #[test]
    fn a_flat_picture_stays_flat_at_both_ends() {
        for value in [0u8, 1, 128, 254, 255] {
            let src = vec![value; 23 * 17];
            let (mut rows, mut cols) = (AxisTaps::default(), AxisTaps::default());
            rows.area((0..6).map(|o| (o as f64 * 17.0 / 6.0, (o + 1) as f64 * 17.0 / 6.0)), (0, 17));
            cols.bilinear((0..50).map(|o| (o as f64 + 0.5) * 23.0 / 50.0 - 0.5), (0, 23));
            assert!(run(&src, 23, &rows, &cols).iter().all(|&v| v == value));
        }
    }

    #[test]
    fn spans_that_start_on_an_odd_half_weigh_the_half_sample() {
        let mut t = AxisTaps::default();
        // A chroma span from a luma column of odd index: half of sample 2, all of 3, half of 4.
        t.area([(2.5, 4.5)].into_iter(), (0, 10));
        let (first, weights) = t.taps_of(0);
        assert_eq!((first, weights.collect::<Vec<_>>()), (2, vec![ONE / 4, ONE / 2, ONE / 4]));
    }
}
