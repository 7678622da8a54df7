//! Luma images in f32 for the search, their resampling, and integral images for window sums.

use super::*;

/// A single-channel f32 image, row-major and contiguous.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Image {
    pub fn new(width: usize, height: usize) -> Image {
        Image { width, height, data: vec![0.0; width * height] }
    }

    /// The luma of `rect` of `frame` at `width × height`: area-resampled when shrinking,
    /// bilinear when enlarging on both axes, as the compositor enlarges fg (`compose::resample`).
    /// An area filter enlarging a whole number of times repeats each pixel in blocks, and a
    /// template of blocks scores the true box below its neighbours: the film's crop enlarged 3
    /// times scored 0.9938 at its 960 px against 0.9949 at 962.
    pub fn from_frame(frame: &FrameRef<'_>, rect: Rect, width: usize, height: usize) -> Image {
        let (rw, rh) = (rect.width as usize, rect.height as usize);
        if (width, height) != (rw, rh) && width >= rw && height >= rh {
            return enlarge_bilinear(&Image::from_frame(frame, rect, rw, rh), width, height);
        }
        let mut img = Image::new(width, height);
        if (rect.width as usize, rect.height as usize) == (width, height) {
            let mut luma = vec![0u8; width];
            for (y, out) in img.data.chunks_exact_mut(width).enumerate() {
                let row = frame.luma_row(rect.y as usize + y, rect.x as usize, &mut luma);
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = v as f32;
                }
            }
            return img;
        }
        let mut rs = AreaResampler::new(rect.width, rect.height, width as u32, height as u32);
        rs.resample(frame, rect, &mut img.data);
        img
    }

    /// Area-resampled copy at another size.
    pub fn resized(&self, width: usize, height: usize) -> Image {
        resample_f32(self, width, height)
    }

    #[inline]
    pub(super) fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }
}

/// Exact area resample of an f32 image (separable; used for templates and pyramid levels).
pub(super) fn resample_f32(src: &Image, width: usize, height: usize) -> Image {
    if (src.width, src.height) == (width, height) {
        return src.clone();
    }
    if src.width == 2 * width && src.height == 2 * height {
        // Exact halving: each output is the mean of a 2×2 block.
        let mut out = Image::new(width, height);
        for (y, o) in out.data.chunks_exact_mut(width).enumerate() {
            let (a, b) = (src.row(2 * y), src.row(2 * y + 1));
            for (x, v) in o.iter_mut().enumerate() {
                *v = 0.25 * ((a[2 * x] + a[2 * x + 1]) + (b[2 * x] + b[2 * x + 1]));
            }
        }
        return out;
    }
    let taps = |s: usize, d: usize| -> Vec<Vec<(usize, f32)>> {
        (0..d)
            .map(|j| {
                let x0 = (j * s) as f64 / d as f64;
                let x1 = ((j + 1) * s) as f64 / d as f64;
                let mut v = Vec::new();
                let mut k = x0.floor() as usize;
                while (k as f64) < x1 && k < s {
                    let w = ((k + 1) as f64).min(x1) - (k as f64).max(x0);
                    if w > 0.0 {
                        v.push((k, (w / (x1 - x0)) as f32));
                    }
                    k += 1;
                }
                v
            })
            .collect()
    };
    let (xt, yt) = (taps(src.width, width), taps(src.height, height));
    let mut tmp = Image::new(width, src.height);
    for y in 0..src.height {
        let row = src.row(y);
        for (x, t) in xt.iter().enumerate() {
            tmp.data[y * width + x] = t.iter().map(|&(k, w)| w * row[k]).sum();
        }
    }
    let mut out = Image::new(width, height);
    for (y, t) in yt.iter().enumerate() {
        for &(k, w) in t {
            let src_row = &tmp.data[k * width..(k + 1) * width];
            for (o, &v) in out.data[y * width..(y + 1) * width].iter_mut().zip(src_row) {
                *o += w * v;
            }
        }
    }
    out
}

/// `src` enlarged to `width × height` bilinearly, pixel centres aligned (an output pixel's
/// centre maps to `(x + 0.5) · src / dst − 0.5`, clamped to the source).
fn enlarge_bilinear(src: &Image, width: usize, height: usize) -> Image {
    // Along one axis: each output sample's two source samples and the second's weight.
    let taps = |s: usize, d: usize| -> Vec<(usize, usize, f32)> {
        (0..d)
            .map(|j| {
                let at = ((j as f64 + 0.5) * s as f64 / d as f64 - 0.5).clamp(0.0, (s - 1) as f64);
                let first = at.floor() as usize;
                (first, (first + 1).min(s - 1), (at - first as f64) as f32)
            })
            .collect()
    };
    let (xt, yt) = (taps(src.width, width), taps(src.height, height));
    let mut out = Image::new(width, height);
    let mut row = vec![0f32; src.width];
    for (y, &(r0, r1, wy)) in yt.iter().enumerate() {
        for (v, (&a, &b)) in row.iter_mut().zip(src.row(r0).iter().zip(src.row(r1))) {
            *v = a + (b - a) * wy;
        }
        for (o, &(c0, c1, wx)) in out.data[y * width..(y + 1) * width].iter_mut().zip(&xt) {
            *o = row[c0] + (row[c1] - row[c0]) * wx;
        }
    }
    out
}

/// Integral images of `I` and `I²` (f64, (w+1)×(h+1)).
pub(super) struct Integrals {
    pub(super) stride: usize,
    pub(super) sum: Vec<f64>,
    pub(super) sq: Vec<f64>,
}

impl Integrals {
    pub(super) fn new(img: &Image) -> Integrals {
        let stride = img.width + 1;
        let mut sum = vec![0f64; stride * (img.height + 1)];
        let mut sq = vec![0f64; stride * (img.height + 1)];
        for y in 0..img.height {
            let (mut rs, mut rq) = (0f64, 0f64);
            for x in 0..img.width {
                let v = img.data[y * img.width + x] as f64;
                rs += v;
                rq += v * v;
                sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rs;
                sq[(y + 1) * stride + x + 1] = sq[y * stride + x + 1] + rq;
            }
        }
        Integrals { stride, sum, sq }
    }

    /// Sum of squared deviations from the mean over the window at (x, y) of size w×h.
    #[inline]
    pub(super) fn window_variance_sum(&self, x: usize, y: usize, w: usize, h: usize) -> f64 {
        let n = (w * h) as f64;
        let (s1, s2) = self.window_sums(x, y, w, h);
        (s2 - s1 * s1 / n).max(0.0)
    }

    /// Σ I and Σ I² over the window at (x, y) of size w×h.
    #[inline]
    pub(super) fn window_sums(&self, x: usize, y: usize, w: usize, h: usize) -> (f64, f64) {
        let s = self.stride;
        let at = |v: &[f64], xx: usize, yy: usize| v[yy * s + xx];
        let rect = |v: &[f64]| at(v, x + w, y + h) - at(v, x, y + h) - at(v, x + w, y) + at(v, x, y);
        (rect(&self.sum), rect(&self.sq))
    }
}
