//! Per-frame descriptors of a rectangle: pHash-64 and the 16×16 "thumb".
//!
//! Definition (pinned by golden vectors in the tests; changing it changes saved alignments):
//!
//! 1. The luma of the rectangle is area-resampled (exact area filter, [`AreaResampler`]) to
//!    32×32 values `x[r][c]` in 0..255.
//! 2. **pHash-64.** `C = D · x · Dᵀ` with `D` the 8×32 matrix of the unnormalized DCT-II,
//!    `D[k][n] = cos(π/32 · (n + ½) · k)`: the 8×8 lowest frequencies (computed with faer).
//!    Bit `8·u + v` of the hash is 1 when `C[u][v]` is greater than the median of the 64
//!    coefficients (the mean of the 32nd and 33rd smallest). A gain on the picture scales every
//!    coefficient and an offset changes only `C[0][0]`, so grading moves few bits.
//! 3. **Thumb.** Each 2×2 block of the 32×32 grid is averaged to 16×16 (the same as an area
//!    resample to 16×16). The 256 values are replaced by their ranks (0..255, sorted ascending;
//!    a run of sorted values each within 0.1 grey level of the previous shares the run's mean
//!    rank), mapped to i8 as `round((rank − 127.5) · 127 / 127.5)`. Ranks do not change under
//!    any monotone grade (brightness, contrast, gamma, and their mixes), which the earlier
//!    z-score thumb did not survive: gamma biased matches of moving content by a tenth of a
//!    frame. A flat picture gives all zeros. Compared by the sum of absolute differences, it
//!    separates neighbouring frames that pHash cannot.
//!
//! A descriptor is 264 bytes. `Fingerprinter` owns every buffer it needs, so `compute` does not
//! allocate.
//!
//! # Design notes (measured)
//!
//! **Thumb = ranks.** The thumb holds the ranks of its 256 values, not z-scores: ranks do not
//! change under any monotone grade, and gamma had biased z-score matches of moving content by a
//! tenth of a frame.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::frame::{AreaResampler, FrameRef, Rect};
use crate::kernels::{THUMB_BYTES, Thumb};

/// Side of the grid every rectangle is resampled to.
pub const GRID: usize = 32;
/// Side of the thumb.
pub const THUMB_SIDE: usize = 16;

/// The descriptors of one frame.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    pub phash: u64,
    pub thumb: Thumb,
}

impl std::fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Descriptor {{ phash: {:016x}, thumb: [{}, {}, ...] }}", self.phash, self.thumb[0], self.thumb[1])
    }
}

impl Default for Descriptor {
    fn default() -> Descriptor {
        Descriptor { phash: 0, thumb: [0; THUMB_BYTES] }
    }
}

/// Computes descriptors of fixed-size rectangles.
pub struct Fingerprinter {
    resampler: AreaResampler,
    grid: Vec<f32>,
    dct: Mat<f32>,
    partial: Mat<f32>,
    coefficients: Mat<f32>,
    sorted: [f32; 64],
}

fn dct_matrix() -> Mat<f32> {
    Mat::from_fn(8, GRID, |k, n| (std::f64::consts::PI / GRID as f64 * (n as f64 + 0.5) * k as f64).cos() as f32)
}

impl Fingerprinter {
    /// For rectangles of `width × height` pixels.
    pub fn new(width: u32, height: u32) -> Fingerprinter {
        Fingerprinter {
            resampler: AreaResampler::new(width, height, GRID as u32, GRID as u32),
            grid: vec![0.0; GRID * GRID],
            dct: dct_matrix(),
            partial: Mat::zeros(8, GRID),
            coefficients: Mat::zeros(8, 8),
            sorted: [0.0; 64],
        }
    }

    /// Size of the rectangles this fingerprinter takes.
    pub fn rect_size(&self) -> (u32, u32) {
        let (w, h) = self.resampler.src_size();
        (w as u32, h as u32)
    }

    /// Descriptors of `rect` of `frame`. `rect` must have the size given to `new`.
    pub fn compute(&mut self, frame: &FrameRef<'_>, rect: Rect) -> Descriptor {
        self.resampler.resample(frame, rect, &mut self.grid);
        Descriptor { phash: self.phash_of_grid(), thumb: thumb_of_grid(&self.grid) }
    }

    /// Descriptors of an already resampled 32×32 grid (row-major).
    pub fn compute_grid(&mut self, grid: &[f32]) -> Descriptor {
        assert_eq!(grid.len(), GRID * GRID);
        self.grid.copy_from_slice(grid);
        Descriptor { phash: self.phash_of_grid(), thumb: thumb_of_grid(&self.grid) }
    }

    fn phash_of_grid(&mut self) -> u64 {
        let x = MatRef::from_row_major_slice(&self.grid, GRID, GRID);
        matmul(self.partial.as_mut(), Accum::Replace, self.dct.as_ref(), x, 1.0f32, Par::Seq);
        matmul(
            self.coefficients.as_mut(),
            Accum::Replace,
            self.partial.as_ref(),
            self.dct.transpose(),
            1.0f32,
            Par::Seq,
        );
        for u in 0..8 {
            for v in 0..8 {
                self.sorted[8 * u + v] = self.coefficients[(u, v)];
            }
        }
        let coefficients = self.sorted;
        self.sorted.sort_unstable_by(f32::total_cmp);
        let median = 0.5 * (self.sorted[31] + self.sorted[32]);
        coefficients.iter().enumerate().fold(0u64, |h, (i, &c)| if c > median { h | (1 << i) } else { h })
    }
}

fn thumb_of_grid(grid: &[f32]) -> Thumb {
    let mut values = [0f32; THUMB_BYTES];
    for r in 0..THUMB_SIDE {
        for c in 0..THUMB_SIDE {
            let g = |dr: usize, dc: usize| grid[(2 * r + dr) * GRID + 2 * c + dc];
            values[r * THUMB_SIDE + c] = 0.25 * (g(0, 0) + g(0, 1) + g(1, 0) + g(1, 1));
        }
    }
    // Ranks, not values: any monotone grade (brightness, contrast, gamma) leaves them as they
    // are. Equal values share their mean rank, so a flat picture gives all zeros.
    let mut order: [u16; THUMB_BYTES] = std::array::from_fn(|i| i as u16);
    order.sort_unstable_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
    let mut thumb = [0i8; THUMB_BYTES];
    let mut k = 0;
    while k < THUMB_BYTES {
        let mut end = k + 1;
        while end < THUMB_BYTES && values[order[end] as usize] - values[order[k] as usize] < TIE {
            end += 1;
        }
        let mean_rank = 0.5 * (k + end - 1) as f32;
        let q = ((mean_rank - 127.5) * (127.0 / 127.5)).round() as i8;
        for &idx in &order[k..end] {
            thumb[idx as usize] = q;
        }
        k = end;
    }
    thumb
}

/// Sorted thumb values closer than this (grey levels) to their neighbour share a rank: flat
/// areas, where noise alone would order the values, get one rank.
const TIE: f32 = 0.1;

/// Hamming distance between two hashes.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}
