//! Area resampling of a frame's luma to f32 (the descriptors' and the search's input).

use super::*;

/// How one output sample of an area filter is formed from input samples along one axis:
/// `first` with weight `w_first`, the next `count - 2` with weight 1, the last with `w_last`.
#[derive(Debug, Clone, Copy)]
pub(super) struct AreaTap {
    pub(super) first: usize,
    pub(super) count: usize,
    pub(super) w_first: f32,
    pub(super) w_last: f32,
}

pub(super) fn area_taps(src: usize, dst: usize) -> Vec<AreaTap> {
    (0..dst)
        .map(|j| {
            // Exact rational bin edges, as f64 from integers: j*src/dst.
            let x0 = (j * src) as f64 / dst as f64;
            let x1 = ((j + 1) * src) as f64 / dst as f64;
            let first = x0.floor() as usize;
            let last = ((x1.ceil() as usize).max(first + 1) - 1).min(src - 1);
            let count = last - first + 1;
            if count == 1 {
                AreaTap { first, count, w_first: (x1 - x0) as f32, w_last: 0.0 }
            } else {
                AreaTap { first, count, w_first: ((first + 1) as f64 - x0) as f32, w_last: (x1 - last as f64) as f32 }
            }
        })
        .collect()
}

/// Exact area-filter resampler from a fixed source rectangle size to a fixed destination size,
/// reading luma. All buffers are allocated at construction; `resample` allocates nothing.
///
/// Vertical pass first: the source rows under one output row are summed, with their weights,
/// into a column accumulator (the SIMD `accumulate_row` kernel, one multiply-add per source
/// pixel); the horizontal bins then run once per output row instead of once per source row.
#[derive(Debug, Clone)]
pub struct AreaResampler {
    pub(super) src_w: usize,
    pub(super) src_h: usize,
    pub(super) dst_w: usize,
    pub(super) dst_h: usize,
    pub(super) xtaps: Vec<AreaTap>,
    pub(super) ytaps: Vec<AreaTap>,
    pub(super) columns: Vec<f32>,
    pub(super) luma: Vec<u8>,
    pub(super) scale: f32,
}

impl AreaResampler {
    pub fn new(src_w: u32, src_h: u32, dst_w: u32, dst_h: u32) -> AreaResampler {
        assert!(src_w > 0 && src_h > 0 && dst_w > 0 && dst_h > 0, "resampler sizes must be positive");
        let (sw, sh, dw, dh) = (src_w as usize, src_h as usize, dst_w as usize, dst_h as usize);
        AreaResampler {
            src_w: sw,
            src_h: sh,
            dst_w: dw,
            dst_h: dh,
            xtaps: area_taps(sw, dw),
            ytaps: area_taps(sh, dh),
            columns: vec![0.0; sw],
            luma: vec![0; sw],
            scale: ((dw * dh) as f64 / (sw * sh) as f64) as f32,
        }
    }

    pub fn src_size(&self) -> (usize, usize) {
        (self.src_w, self.src_h)
    }

    pub fn dst_size(&self) -> (usize, usize) {
        (self.dst_w, self.dst_h)
    }

    /// Area-averages the luma of `rect` of `frame` into `out` (`dst_w * dst_h`, row-major, 0..255).
    pub fn resample(&mut self, frame: &FrameRef<'_>, rect: Rect, out: &mut [f32]) {
        assert_eq!(
            (rect.width as usize, rect.height as usize),
            (self.src_w, self.src_h),
            "rect size must match the resampler"
        );
        assert!(rect.fits_in(frame.width(), frame.height()), "rect must lie inside the frame");
        assert_eq!(out.len(), self.dst_w * self.dst_h);
        let accumulate = crate::kernels::active().accumulate_row;
        for (oy, ty) in self.ytaps.iter().enumerate() {
            self.columns.fill(0.0);
            for k in 0..ty.count {
                let wy = tap_weight(ty, k);
                let src_row = frame.luma_row(rect.y as usize + ty.first + k, rect.x as usize, &mut self.luma);
                accumulate(&mut self.columns, src_row, wy);
            }
            let out_row = &mut out[oy * self.dst_w..(oy + 1) * self.dst_w];
            for (o, tx) in out_row.iter_mut().zip(&self.xtaps) {
                let cols = &self.columns[tx.first..tx.first + tx.count];
                let mut sum = 0.0f32;
                for (k, c) in cols.iter().enumerate() {
                    sum += tap_weight(tx, k) * c;
                }
                *o = sum * self.scale;
            }
        }
    }
}

#[inline]
pub(super) fn tap_weight(tap: &AreaTap, k: usize) -> f32 {
    if k == 0 {
        tap.w_first
    } else if k + 1 == tap.count {
        tap.w_last
    } else {
        1.0
    }
}
