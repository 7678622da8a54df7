//! Placement: where fg's content sits in bg (x, y, scale), by normalized cross-correlation.
//!
//! The score is the mean-removed normalized cross-correlation (OpenCV's `TM_CCOEFF_NORMED`):
//! `R(y, x) = Σ T'·I(y + i, x + j) / sqrt(Σ T'² · Σ (I − Ī_window)²)` with `T' = T − mean(T)`.
//! Because `Σ T' = 0`, the numerator needs no window mean. It is computed with faer: for each
//! image row `r`, the overlapping view `X_r[x, j] = I[r, x + j]` (a matrix over the same memory,
//! row stride 1, column stride 1) times `T'ᵀ` gives `P_r[x, i]`, the contribution of image row
//! `r` to result row `r − i`. One small GEMM per image row is much faster than one big GEMM over
//! the whole image. Window sums of `I` and `I²` come from f64 integral images. Flat windows
//! score 0 (no NaN).
//!
//! Search is coarse to fine: a full search at the pyramid level where the template is about
//! 64–128 px wide, the top peaks (non-maximum suppressed) refined in a ±2 px window at each
//! finer level, an exact integer placement at full resolution and a sub-pixel estimate from a
//! parabola through the neighbours. Scale 1 is tried first and kept when within
//! `SCALE_ONE_MARGIN` of the best; with scale search on, a log-spaced sweep and a local
//! refinement find fg's scale in bg. Every fg sample is paired with every bg sample, so a time
//! offset between the streams does not defeat placement. Black bars (letterbox, pillarbox) in
//! fg are detected and only the content rectangle is matched.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::error::{Error, Result};
use crate::frame::{AreaResampler, FrameRef, Rect};
use crate::settings::Settings;

mod scale;

/// Width the template has at the coarsest level (the full search runs there).
const COARSE_TEMPLATE_WIDTH: f64 = 96.0;
/// Scale 1 wins when its score is at most this much below the best scale's.
const SCALE_ONE_MARGIN: f32 = 0.01;
/// Peaks kept from the coarse search.
const PEAKS: usize = 3;
/// Sample pairs searched in full after the prescreen.
const PRESCREEN_KEEP: usize = 12;
/// Template width at the prescreen.
const PRESCREEN_TEMPLATE_WIDTH: f64 = 48.0;
/// Most pixels of the finest level kept for every sample (a 1080p frame fits). Sample pair and
/// scale are chosen within this budget; on larger frames only the chosen pair is then
/// searched at full resolution, so time and memory stay bounded whatever the frame size.
const LEVEL_BUDGET_PIXELS: usize = 1 << 21;

/// Where fg's content sits in bg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Top-left of fg's content in bg (may be negative or beyond bg when fg is partly outside).
    pub x: i32,
    pub y: i32,
    /// Size of fg's content in bg pixels (content size × scale, rounded).
    pub width: u32,
    pub height: u32,
    /// bg pixels per fg pixel.
    pub scale: f64,
    /// The best correlation score, 0..1.
    pub confidence: f64,
    /// fg's content rectangle (without black bars), in fg pixels.
    pub content: Rect,
    /// Sub-pixel estimate of x and y.
    pub x_subpixel: f64,
    pub y_subpixel: f64,
}

/// Indices of `count` evenly spaced picks of `n` frames (first and last included).
pub fn evenly_spaced(n: usize, count: usize) -> Vec<usize> {
    let k = count.min(n);
    (0..k).map(|s| if k == 1 { 0 } else { s * (n - 1) / (k - 1) }).collect()
}

/// Smallest and largest scale a placement may have (bg pixels per fg pixel).
pub const MIN_SCALE: f64 = 1.0 / 64.0;
pub const MAX_SCALE: f64 = 64.0;
/// Farthest a placement's corner may lie from bg's origin, in bg pixels.
pub const MAX_OFFSET: i64 = 1 << 20;

impl Placement {
    /// Checks every field against the frame limits before anything is sized from it: a
    /// content box inside the largest frame, a scale within `MIN_SCALE..=MAX_SCALE`, a size
    /// that is the content's times the scale, a corner within `MAX_OFFSET`, finite numbers.
    pub fn validate(&self) -> Result<()> {
        let c = self.content;
        let bad = |what: String| Err(Error::invalid(format!("placement: {what}")));
        if c.width == 0 || c.height == 0 {
            return bad(format!("the content box {}x{} is empty", c.width, c.height));
        }
        let max = crate::frame::MAX_DIMENSION as u64;
        if c.x as u64 + c.width as u64 > max || c.y as u64 + c.height as u64 > max {
            return bad(format!("the content box {c:?} exceeds the largest frame ({max} per side)"));
        }
        if !(self.scale.is_finite() && (MIN_SCALE..=MAX_SCALE).contains(&self.scale)) {
            return bad(format!("scale {} is outside {MIN_SCALE}..{MAX_SCALE}", self.scale));
        }
        let expected = |n: u32| n as f64 * self.scale;
        if (self.width as f64 - expected(c.width)).abs() > 2.0 || (self.height as f64 - expected(c.height)).abs() > 2.0
        {
            return bad(format!(
                "size {}x{} is not the content {}x{} at scale {}",
                self.width, self.height, c.width, c.height, self.scale
            ));
        }
        if self.width == 0 || self.height == 0 {
            return bad("the size is zero".into());
        }
        if (self.x as i64).abs() > MAX_OFFSET || (self.y as i64).abs() > MAX_OFFSET {
            return bad(format!("corner ({}, {}) is beyond {MAX_OFFSET} px", self.x, self.y));
        }
        if ![self.confidence, self.x_subpixel, self.y_subpixel].iter().all(|v| v.is_finite()) {
            return bad("confidence and sub-pixel position must be finite".into());
        }
        Ok(())
    }
}

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

    /// The luma of `rect` of `frame`, area-resampled to `width × height`.
    pub fn from_frame(frame: &FrameRef<'_>, rect: Rect, width: usize, height: usize) -> Image {
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
    fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }
}

/// Exact area resample of an f32 image (separable; used for templates and pyramid levels).
fn resample_f32(src: &Image, width: usize, height: usize) -> Image {
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

/// Integral images of `I` and `I²` (f64, (w+1)×(h+1)).
struct Integrals {
    stride: usize,
    sum: Vec<f64>,
    sq: Vec<f64>,
}

impl Integrals {
    fn new(img: &Image) -> Integrals {
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
    fn window_variance_sum(&self, x: usize, y: usize, w: usize, h: usize) -> f64 {
        let n = (w * h) as f64;
        let (s1, s2) = self.window_sums(x, y, w, h);
        (s2 - s1 * s1 / n).max(0.0)
    }

    /// Σ I and Σ I² over the window at (x, y) of size w×h.
    #[inline]
    fn window_sums(&self, x: usize, y: usize, w: usize, h: usize) -> (f64, f64) {
        let s = self.stride;
        let at = |v: &[f64], xx: usize, yy: usize| v[yy * s + xx];
        let rect = |v: &[f64]| at(v, x + w, y + h) - at(v, x, y + h) - at(v, x + w, y) + at(v, x, y);
        (rect(&self.sum), rect(&self.sq))
    }
}

/// A mean-removed template and its energy.
struct Template {
    width: usize,
    height: usize,
    /// T − mean(T), row-major.
    centred: Vec<f32>,
    energy: f64,
}

impl Template {
    fn new(img: &Image) -> Template {
        Template::masked(img, |_, _| true)
    }

    /// The template with only the pixels `counted(x, y)` compared: the others get weight 0
    /// (the score then ignores what the image shows there), and the mean is of those counted.
    fn masked(img: &Image, counted: impl Fn(usize, usize) -> bool) -> Template {
        let w = img.width;
        let keep: Vec<bool> = (0..img.data.len()).map(|k| counted(k % w, k / w)).collect();
        let n = keep.iter().filter(|&&k| k).count().max(1) as f64;
        let mean = img.data.iter().zip(&keep).filter(|(_, k)| **k).map(|(&v, _)| v as f64).sum::<f64>() / n;
        let centred: Vec<f32> =
            img.data.iter().zip(&keep).map(|(&v, &k)| if k { (v as f64 - mean) as f32 } else { 0.0 }).collect();
        let energy = centred.iter().map(|&v| v as f64 * v as f64).sum();
        Template { width: img.width, height: img.height, centred, energy }
    }
}

/// Below this (per pixel) a window or template counts as flat: its score is 0.
const FLAT_VARIANCE: f64 = 1e-6;

fn normalize(num: f64, tpl: &Template, var_sum: f64) -> f32 {
    let n = (tpl.width * tpl.height) as f64;
    if tpl.energy <= FLAT_VARIANCE * n || var_sum <= FLAT_VARIANCE * n {
        return 0.0;
    }
    (num / (tpl.energy * var_sum).sqrt()).clamp(-1.0, 1.0) as f32
}

/// The full NCC map: `(H − h + 1) × (W − w + 1)` scores, row-major. The template must fit.
pub fn ncc_full(img: &Image, tpl_img: &Image) -> Vec<f32> {
    ncc_full_with(img, &Integrals::new(img), tpl_img)
}

fn ncc_full_with(img: &Image, integrals: &Integrals, tpl_img: &Image) -> Vec<f32> {
    ncc_full_of(img, integrals, &Template::new(tpl_img))
}

fn ncc_full_of(img: &Image, integrals: &Integrals, tpl: &Template) -> Vec<f32> {
    let num = ncc_numerators(img, tpl);
    let (w, h) = (tpl.width, tpl.height);
    let rw = img.width - w + 1;
    num.iter()
        .enumerate()
        .map(|(k, &n)| normalize(n as f64, tpl, integrals.window_variance_sum(k % rw, k / rw, w, h)))
        .collect()
}

/// `Σ T'·I` at every position (row-major, `(H − h + 1) × (W − w + 1)`).
fn ncc_numerators(img: &Image, tpl: &Template) -> Vec<f32> {
    let (w, h) = (tpl.width, tpl.height);
    assert!(w <= img.width && h <= img.height, "template larger than image");
    let (rw, rh) = (img.width - w + 1, img.height - h + 1);
    let mut num = vec![0f32; rw * rh];
    // T'ᵀ: (w × h) view of the row-major (h × w) template.
    let tt = MatRef::from_row_major_slice(&tpl.centred, h, w).transpose();
    // The products of one image row with the template's rows, in a buffer this thread keeps:
    // a fresh zeroed matrix per search was a tenth of a placement search's time in page
    // faults (every element is written by the Replace product before it is read).
    PRODUCTS.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        if buffer.len() < rw * h {
            buffer.resize(rw * h, 0.0);
        }
        let products = MatMut::from_column_major_slice_mut(&mut buffer[..rw * h], rw, h);
        add_row_products(img, &tt, products, (w, h, rw, rh), &mut num);
    });
    num
}

thread_local! {
    /// [`ncc_numerators`]' working matrix, reused between searches on this thread.
    static PRODUCTS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Adds each image row's products with the template rows into the numerators `num`.
fn add_row_products(
    img: &Image,
    tt: &MatRef<'_, f32>,
    mut products: MatMut<'_, f32>,
    (w, h, rw, rh): (usize, usize, usize, usize),
    num: &mut [f32],
) {
    for r in 0..img.height {
        // Result rows this image row contributes to: y = r − i for 0 ≤ i < h, 0 ≤ y < rh.
        let i_min = r.saturating_sub(rh - 1);
        let i_max = r.min(h - 1);
        if i_min > i_max {
            continue;
        }
        let row = img.row(r);
        // SAFETY: the view reads row[x + j] for x < rw and j < w, so at most index
        // rw − 1 + w − 1 = img.width − 1, inside `row`. Overlapping reads are fine: it is a
        // shared (read-only) view, alive only during this call.
        let x_view = unsafe { MatRef::<f32>::from_raw_parts(row.as_ptr(), rw, w, 1, 1) };
        let cols = tt.subcols(i_min, i_max - i_min + 1);
        let dst = products.as_mut().subcols_mut(0, i_max - i_min + 1);
        matmul(dst, Accum::Replace, x_view, cols, 1.0f32, Par::Seq);
        for i in i_min..=i_max {
            let y = r - i;
            let col = products.as_ref().col(i - i_min);
            let out = &mut num[y * rw..(y + 1) * rw];
            for (x, o) in out.iter_mut().enumerate() {
                *o += col[x];
            }
        }
    }
}

/// The NCC map of a template with holes (disjoint rectangles in template pixels, where the
/// template is 0): the image's variance is taken over the compared pixels only, so what the
/// image shows under the holes changes neither the score nor where it peaks.
fn ncc_full_holes(img: &Image, tpl: &Template, holes: &[(usize, usize, usize, usize)]) -> Vec<f32> {
    let integrals = Integrals::new(img);
    let num = ncc_numerators(img, tpl);
    let (w, h) = (tpl.width, tpl.height);
    let rw = img.width - w + 1;
    let n = (w * h - holes.iter().map(|&(_, _, hw, hh)| hw * hh).sum::<usize>()) as f64;
    num.iter()
        .enumerate()
        .map(|(k, &numerator)| {
            let (x, y) = (k % rw, k / rw);
            let (mut s1, mut s2) = integrals.window_sums(x, y, w, h);
            for &(hx, hy, hw, hh) in holes {
                let (a, b) = integrals.window_sums(x + hx, y + hy, hw, hh);
                s1 -= a;
                s2 -= b;
            }
            let kept = if n > 0.0 { (s2 - s1 * s1 / n).max(0.0) } else { 0.0 };
            normalize(numerator as f64, tpl, kept)
        })
        .collect()
}

/// The NCC score at one position, by direct summation (window statistics included, so the
/// finer pyramid levels need no integral images).
fn ncc_at(img: &Image, tpl: &Template, x: usize, y: usize) -> f32 {
    let (mut num, mut sum, mut sq) = (0f64, 0f64, 0f64);
    let dot_sum_sq = crate::kernels::active().dot_sum_sq;
    for i in 0..tpl.height {
        let irow = &img.row(y + i)[x..x + tpl.width];
        let trow = &tpl.centred[i * tpl.width..(i + 1) * tpl.width];
        let (d, s1, s2) = dot_sum_sq(irow, trow);
        num += d as f64;
        sum += s1 as f64;
        sq += s2 as f64;
    }
    let n = (tpl.width * tpl.height) as f64;
    normalize(num, tpl, (sq - sum * sum / n).max(0.0))
}

/// Naive reference NCC, for tests: every term summed directly in f64.
pub fn ncc_reference(img: &Image, tpl: &Image, x: usize, y: usize) -> f64 {
    let n = (tpl.width * tpl.height) as f64;
    let tm = tpl.data.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mut im = 0.0;
    for i in 0..tpl.height {
        for j in 0..tpl.width {
            im += img.data[(y + i) * img.width + x + j] as f64;
        }
    }
    im /= n;
    let (mut num, mut tt, mut ii) = (0.0, 0.0, 0.0);
    for i in 0..tpl.height {
        for j in 0..tpl.width {
            let t = tpl.data[i * tpl.width + j] as f64 - tm;
            let v = img.data[(y + i) * img.width + x + j] as f64 - im;
            num += t * v;
            tt += t * t;
            ii += v * v;
        }
    }
    if tt <= FLAT_VARIANCE * n || ii <= FLAT_VARIANCE * n { 0.0 } else { num / (tt * ii).sqrt() }
}

/// Finds the content rectangle of fg frames: black bars at the edges (rows or columns whose
/// luma stays dark and flat in every sample) are cut off.
pub fn content_rect(samples: &[FrameRef<'_>]) -> Rect {
    let Some(first) = samples.first() else { return Rect::default() };
    let (w, h) = (first.width() as usize, first.height() as usize);
    let mut row_dark = vec![true; h];
    let mut col_dark = vec![true; w];
    let mut luma = vec![0u8; w];
    for f in samples {
        let mut col_max = vec![0u8; w];
        for (y, dark) in row_dark.iter_mut().enumerate() {
            let row = f.luma_row(y, 0, &mut luma);
            let max = *row.iter().max().unwrap_or(&0);
            if max > BAR_LUMA {
                *dark = false;
            }
            for (c, &v) in col_max.iter_mut().zip(row) {
                *c = (*c).max(v);
            }
        }
        for (d, &m) in col_dark.iter_mut().zip(&col_max) {
            if m > BAR_LUMA {
                *d = false;
            }
        }
    }
    let top = row_dark.iter().take_while(|&&d| d).count();
    let bottom = row_dark.iter().rev().take_while(|&&d| d).count();
    let left = col_dark.iter().take_while(|&&d| d).count();
    let right = col_dark.iter().rev().take_while(|&&d| d).count();
    if top + bottom >= h || left + right >= w {
        return Rect::full(w as u32, h as u32);
    }
    // Bars thinner than 2 px, or bars leaving less than MIN_CONTENT of the frame, are more
    // likely dark picture than bars (letterbox 2.39:1 in 16:9 keeps 74 %).
    let keep = |n: usize| if n >= 2 { n } else { 0 };
    let (mut top, mut bottom, mut left, mut right) = (keep(top), keep(bottom), keep(left), keep(right));
    if ((h - top - bottom) as f64) < MIN_CONTENT * h as f64 {
        (top, bottom) = (0, 0);
    }
    if ((w - left - right) as f64) < MIN_CONTENT * w as f64 {
        (left, right) = (0, 0);
    }
    Rect::new(left as u32, top as u32, (w - left - right) as u32, (h - top - bottom) as u32)
}

/// Smallest fraction of fg's width or height that bars may leave.
const MIN_CONTENT: f64 = 0.6;

/// Luma at or below this (in every sample) marks a bar row or column (limited-range black is 16).
const BAR_LUMA: u8 = 24;

/// One candidate: position at some level, its score.
#[derive(Debug, Clone, Copy)]
struct Peak {
    x: usize,
    y: usize,
    score: f32,
}

fn top_peaks(scores: &[f32], rw: usize, k: usize, min_dist: usize) -> Vec<Peak> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut peaks: Vec<Peak> = Vec::new();
    for idx in order {
        let (x, y) = (idx % rw, idx / rw);
        if peaks.iter().all(|p| p.x.abs_diff(x) > min_dist || p.y.abs_diff(y) > min_dist) {
            peaks.push(Peak { x, y, score: scores[idx] });
            if peaks.len() == k {
                break;
            }
        }
    }
    peaks
}

/// A bg sample prepared for searching: its pyramid (coarsest first, last = full resolution
/// unless the budget cut it). Each scale searches a suffix of these levels.
struct BgPyramid {
    levels: Vec<Image>,
    factors: Vec<f64>,
}

impl BgPyramid {
    /// The levels of `factors` (coarsest first); the finest is `factors`' last, which is full
    /// resolution only when it is 1.
    fn new(frame: &FrameRef<'_>, factors: &[f64]) -> BgPyramid {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let finest = *factors.last().expect("at least one level");
        // Finest first, each level from the one before (the area filter composes).
        let mut levels = Vec::with_capacity(factors.len());
        levels.push(Image::from_frame(
            frame,
            Rect::full(w as u32, h as u32),
            level_size(w, finest),
            level_size(h, finest),
        ));
        for &f in factors.iter().rev().skip(1) {
            let next = levels.last().expect("one level").resized(level_size(w, f), level_size(h, f));
            levels.push(next);
        }
        levels.reverse();
        BgPyramid { levels, factors: factors.to_vec() }
    }

    /// The levels of `factors`, a suffix of this pyramid's factors.
    fn levels_for(&self, factors: &[f64]) -> &[Image] {
        debug_assert!(self.factors.ends_with(factors));
        &self.levels[self.levels.len() - factors.len()..]
    }

    /// The level of downsampling factor `f` (one of this pyramid's).
    fn level(&self, f: f64) -> Option<&Image> {
        self.factors.iter().position(|&g| g == f).map(|i| &self.levels[i])
    }
}

fn level_size(n: usize, factor: f64) -> usize {
    ((n as f64 / factor).round() as usize).max(1)
}

/// The pyramid's downsampling factors, coarsest first, for a template `tw` px wide in bg that
/// should be about `coarse_width` px wide at the coarsest level.
fn pyramid_factors(tw: f64, coarse_width: f64) -> Vec<f64> {
    let mut f = 1.0;
    let mut factors = vec![1.0];
    while tw / (f * 2.0) >= coarse_width * 0.67 {
        f *= 2.0;
        factors.push(f);
    }
    factors.reverse();
    factors
}

/// The pyramid levels of a scale, fg's templates at that scale, and the sample pairs worth
/// searching there (all, or the prescreen's best).
struct RankedPairs {
    factors: Vec<f64>,
    templates: Vec<TemplatePyramid>,
    pairs: Vec<(usize, usize)>,
}

/// Search result of one (fg sample, bg sample, scale).
#[derive(Debug, Clone, Copy)]
struct Found {
    x: usize,
    y: usize,
    score: f32,
    x_sub: f64,
    y_sub: f64,
    /// The best score of another sample pair at a place more than `RIVAL_DISTANCE` of the
    /// template's width away, and that place (set by the search over sample pairs).
    rival: Option<(f32, (usize, usize))>,
}

/// fg's content at bg scale at every pyramid level (coarsest first), each level made from the
/// next finer one.
struct TemplatePyramid {
    levels: Vec<(Image, Template)>,
}

impl TemplatePyramid {
    /// `fg_content` may be smaller than the content's full size `content` (fg pixels): it is
    /// only resampled to the levels of `factors`.
    fn new(fg_content: &Image, content: Rect, scale: f64, factors: &[f64]) -> Option<TemplatePyramid> {
        let tw_full = (content.width as f64 * scale).round() as usize;
        let th_full = (content.height as f64 * scale).round() as usize;
        if tw_full == 0 || th_full == 0 {
            return None;
        }
        let finest = *factors.last()?;
        let mut img = fg_content.resized(level_size(tw_full, finest), level_size(th_full, finest));
        let mut levels = Vec::with_capacity(factors.len());
        for &f in factors.iter().rev() {
            img = img.resized(level_size(tw_full, f), level_size(th_full, f));
            let tpl = Template::new(&img);
            levels.push((img.clone(), tpl));
        }
        levels.reverse();
        Some(TemplatePyramid { levels })
    }
}

/// How far (a share of the template's width) another sample pair's best place must lie from
/// the chosen one to count as a rival placement.
const RIVAL_DISTANCE: f64 = 0.125;

/// A place another sample pair scores within this much of the chosen one is its rival (see
/// `Located::rival`). True pairs from the clips (graded, crf 38, cut, ramp, reordered): the
/// best other place scores 0.06-0.22 under the chosen one; a tiled texture scrolling a pixel a
/// frame with a faint drifting blob (tests/repetitive.rs): 0.0014; the C tests' panning
/// scene, whose other instants match shifted places but for a sweeping bar: 0.003.
const AMBIGUITY_MARGIN: f32 = 0.02;

/// Coarse-to-fine search of a template pyramid in the bg levels of the same `factors`.
fn search(tpls: &TemplatePyramid, levels: &[Image], factors: &[f64], coarse_only: bool) -> Option<Found> {
    let mut peaks: Vec<Peak> = Vec::new();
    for (li, img) in levels.iter().enumerate() {
        let (tpl_img, tpl) = &tpls.levels[li];
        let (tw, th) = (tpl_img.width, tpl_img.height);
        if tw > img.width || th > img.height {
            return None;
        }
        let (rw, rh) = (img.width - tw + 1, img.height - th + 1);
        if li == 0 {
            let scores = ncc_full(img, tpl_img);
            peaks = top_peaks(&scores, rw, PEAKS, (tw / 4).max(2));
            if coarse_only {
                break;
            }
        } else {
            let ratio = factors[li - 1] / factors[li];
            // Right after the full search a peak may be off by a coarse pixel: ±2. Below that
            // one finer level halves the uncertainty: ±1, and only the best peak goes on.
            let radius = if li == 1 { 2 } else { 1 };
            if li >= 2 {
                peaks.sort_by(|a, b| b.score.total_cmp(&a.score));
                peaks.truncate(1);
            }
            for p in &mut peaks {
                let (cx, cy) = ((p.x as f64 * ratio).round() as i64, (p.y as f64 * ratio).round() as i64);
                let mut best = Peak { x: 0, y: 0, score: f32::NEG_INFINITY };
                for dy in -radius..=radius {
                    for dx in -radius..=radius {
                        let (x, y) = (cx + dx, cy + dy);
                        if x < 0 || y < 0 || x >= rw as i64 || y >= rh as i64 {
                            continue;
                        }
                        let s = ncc_at(img, tpl, x as usize, y as usize);
                        if s > best.score {
                            best = Peak { x: x as usize, y: y as usize, score: s };
                        }
                    }
                }
                *p = best;
            }
        }
        if li + 1 == levels.len() {
            let best = *peaks.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
            // Sub-pixel: a parabola through the neighbours on each axis.
            let at = |x: i64, y: i64| {
                if x < 0 || y < 0 || x >= rw as i64 || y >= rh as i64 {
                    None
                } else {
                    Some(ncc_at(img, tpl, x as usize, y as usize) as f64)
                }
            };
            let (bx, by) = (best.x as i64, best.y as i64);
            let c = best.score as f64;
            let x_sub = best.x as f64 + parabola_vertex(at(bx - 1, by), c, at(bx + 1, by));
            let y_sub = best.y as f64 + parabola_vertex(at(bx, by - 1), c, at(bx, by + 1));
            return Some(Found { x: best.x, y: best.y, score: best.score, x_sub, y_sub, rival: None });
        }
    }
    let best = *peaks.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    Some(Found { x: best.x, y: best.y, score: best.score, x_sub: best.x as f64, y_sub: best.y as f64, rival: None })
}

/// Where the parabola through scores `m`, `c`, `p` at -1, 0, +1 peaks (within ±0.5); 0 when a
/// neighbour is missing or the scores do not bend down.
fn parabola_vertex(m: Option<f64>, c: f64, p: Option<f64>) -> f64 {
    match (m, p) {
        (Some(m), Some(p)) if m + p - 2.0 * c < 0.0 => (0.5 * (m - p) / (m + p - 2.0 * c)).clamp(-0.5, 0.5),
        _ => 0.0,
    }
}

/// Below this score of fg's whole content, each half of it is searched as well: graphics
/// burned into fg (a logo, a caption box) that bg lacks can pull the whole content's best
/// match elsewhere, and a half without them still matches.
const PART_RETRY: f64 = 0.9;
/// A half replaces the whole content only when it scores this much better.
const PART_MARGIN: f64 = 0.05;

/// A placement, and the part of fg's content (fg pixels) it was found from when that is not
/// the whole content (see `PART_RETRY`): the part to compare frames by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    pub placement: Placement,
    pub matched_part: Option<Rect>,
    /// Another place that scored within `AMBIGUITY_MARGIN` of this one (from another sample
    /// pair, away from it): a repetitive picture, or a pan's lookalike. The analyzer settles
    /// it on the time map (`Analyzer::settle_rival`).
    pub rival: Option<Placement>,
}

/// Locates fg in bg from sample frames of each. Every fg sample is tried against every bg
/// sample; the best score wins. Fails with NO_MATCH when the best score is below
/// `settings.min_confidence`.
pub fn locate(fg_samples: &[FrameRef<'_>], bg_samples: &[FrameRef<'_>], settings: &Settings) -> Result<Placement> {
    locate_parts(fg_samples, bg_samples, settings).map(|l| l.placement)
}

/// [`locate`], saying which part of fg's content matched: the whole, or (when the whole
/// scores under `PART_RETRY`, as graphics burned into fg make it) a half that scores clearly
/// better, its placement widened to the whole content.
pub fn locate_parts(fg_samples: &[FrameRef<'_>], bg_samples: &[FrameRef<'_>], settings: &Settings) -> Result<Located> {
    let (Some(fg0), Some(bg0)) = (fg_samples.first(), bg_samples.first()) else {
        return Err(Error::invalid("locate needs at least one fg and one bg sample"));
    };
    for s in fg_samples {
        if (s.width(), s.height()) != (fg0.width(), fg0.height()) {
            return Err(Error::invalid("fg samples differ in size"));
        }
    }
    for s in bg_samples {
        if (s.width(), s.height()) != (bg0.width(), bg0.height()) {
            return Err(Error::invalid("bg samples differ in size"));
        }
    }
    let content = content_rect(fg_samples);
    let (whole, rival) = best_placement(fg_samples, bg_samples, content, settings)?;
    let mut best = Located { placement: whole, matched_part: None, rival };
    if whole.confidence < PART_RETRY {
        for part in halves(content) {
            if let Ok((p, rival)) = best_placement(fg_samples, bg_samples, part, settings)
                && p.confidence > best.placement.confidence + PART_MARGIN
            {
                let rival = rival.map(|r| widened(&r, content));
                best = Located { placement: widened(&p, content), matched_part: Some(part), rival };
            }
        }
    }
    let confidence = best.placement.confidence;
    if confidence < settings.min_confidence {
        return Err(Error::NoMatch { score: confidence, min_confidence: settings.min_confidence });
    }
    Ok(best)
}

/// The left, right, top and bottom halves of `content` (none of a side under 2 px).
fn halves(content: Rect) -> Vec<Rect> {
    let (w, h) = (content.width / 2, content.height / 2);
    if w < 2 || h < 2 {
        return Vec::new();
    }
    vec![
        Rect::new(content.x, content.y, w, content.height),
        Rect::new(content.x + content.width - w, content.y, w, content.height),
        Rect::new(content.x, content.y, content.width, h),
        Rect::new(content.x, content.y + content.height - h, content.width, h),
    ]
}

/// Correlation score at which the placement confidence is one half.
const HALF_CONFIDENT_SCORE: f64 = 0.8;
/// How sharply the placement confidence falls around `HALF_CONFIDENT_SCORE`.
const SCORE_STEEPNESS: i32 = 4;

/// The confidence in a placement of correlation score `score`: 1 / (1 + ((1 - score) / 0.2)^4),
/// one half at 0.8. Calibrated on pairs made from the clips (README "Accuracy"): true pairs,
/// graded, blurred, noisy, coded at crf 38, with logo boxes or a ticker, score 0.97-1.00 (0.99
/// and above); fg from another film scores 0.49-0.52 (0.02-0.03) and is refused under
/// `min_confidence` 0.6 (0.06). It speaks of the position only: fg at instants bg lacks, with
/// bg's framing, is placed confidently and refused by the time map.
pub fn placement_confidence(score: f64) -> f64 {
    if !score.is_finite() {
        return 0.0;
    }
    let miss = ((1.0 - score).max(0.0) / (1.0 - HALF_CONFIDENT_SCORE)).powi(SCORE_STEEPNESS);
    1.0 / (1.0 + miss)
}

impl Placement {
    /// [`placement_confidence`] of this placement's score.
    pub fn calibrated_confidence(&self) -> f64 {
        placement_confidence(self.confidence)
    }

    /// fg's content box `content` at `scale` with its corner at (`x_subpixel`, `y_subpixel`)
    /// in bg: the rounded corner and size follow; the confidence is this placement's.
    pub fn with_box(&self, content: Rect, scale: f64, x_subpixel: f64, y_subpixel: f64) -> Placement {
        Placement {
            x: x_subpixel.round() as i32,
            y: y_subpixel.round() as i32,
            width: ((content.width as f64 * scale).round() as u32).max(1),
            height: ((content.height as f64 * scale).round() as u32).max(1),
            scale,
            confidence: self.confidence,
            content,
            x_subpixel,
            y_subpixel,
        }
    }
}

/// The placement of the part `part` (fg pixels, inside `p.content`) of fg's content.
pub fn narrowed(p: &Placement, part: Rect) -> Placement {
    let (dx, dy) = ((part.x as f64 - p.content.x as f64) * p.scale, (part.y as f64 - p.content.y as f64) * p.scale);
    p.with_box(part, p.scale, p.x_subpixel + dx, p.y_subpixel + dy)
}

/// A placement of a part of fg's content as the placement of the whole `content`.
fn widened(part: &Placement, content: Rect) -> Placement {
    let (dx, dy) = (
        (part.content.x as f64 - content.x as f64) * part.scale,
        (part.content.y as f64 - content.y as f64) * part.scale,
    );
    part.with_box(content, part.scale, part.x_subpixel - dx, part.y_subpixel - dy)
}

/// The best placement of fg's `content` box (fg pixels) over every pair of samples, whatever
/// its score.
/// [`locate`] of a given part of fg (`content`, fg pixels), without detecting bars: what a
/// check on one frame pair searches, since one frame's dark edges are not bars.
pub fn locate_content(fg: &FrameRef<'_>, bg: &FrameRef<'_>, content: Rect, settings: &Settings) -> Result<Placement> {
    best_placement(&[*fg], &[*bg], content, settings).map(|(p, _)| p)
}

fn best_placement(
    fg_samples: &[FrameRef<'_>],
    bg_samples: &[FrameRef<'_>],
    content: Rect,
    settings: &Settings,
) -> Result<(Placement, Option<Placement>)> {
    let bg0 = &bg_samples[0];
    let (bw, bh) = (bg0.width() as f64, bg0.height() as f64);
    let (cw, ch) = (content.width as usize, content.height as usize);
    let fits = |s: f64| cw as f64 * s <= bw && ch as f64 * s <= bh;
    let (lo, hi) = if settings.scale_search { (settings.scale_min, settings.scale_max) } else { (1.0, 1.0) };
    let big_enough = |s: f64| {
        s == 1.0 || (cw as f64 * s >= scale::MIN_SCALED_TEMPLATE.0 && ch as f64 * s >= scale::MIN_SCALED_TEMPLATE.1)
    };
    let scales: Vec<f64> = scale::sweep_scales(lo, hi).into_iter().filter(|&s| fits(s) && big_enough(s)).collect();
    let Some(&largest) = scales.iter().max_by(|a, b| a.total_cmp(b)) else {
        return Err(Error::invalid(format!("fg content {cw}x{ch} does not fit in bg {bw}x{bh} at any allowed scale")));
    };
    // One bg pyramid per sample serves every scale: coarse enough for the scale sweep's small
    // templates at the largest scale, fine down to full resolution or the budget.
    let coarse_width = if settings.scale_search { scale::SWEEP_TEMPLATE_WIDTH } else { COARSE_TEMPLATE_WIDTH };
    let all_factors = pyramid_factors(cw as f64 * largest, coarse_width);
    let within_budget = all_factors
        .iter()
        .position(|&f| level_size(bw as usize, f) * level_size(bh as usize, f) > LEVEL_BUDGET_PIXELS)
        .unwrap_or(all_factors.len())
        .max(1);
    let factors = all_factors[..within_budget].to_vec();
    let finest = factors[factors.len() - 1];
    // The levels a search at `scale` uses: its template about COARSE_TEMPLATE_WIDTH px wide at
    // the coarsest, within the budget.
    let factors_for = |scale: f64| -> Vec<f64> {
        let own = pyramid_factors(cw as f64 * scale, COARSE_TEMPLATE_WIDTH);
        let kept: Vec<f64> = own.into_iter().filter(|f| factors.contains(f)).collect();
        if kept.is_empty() { vec![finest] } else { kept }
    };
    let fg_images: Vec<Image> = fg_samples
        .iter()
        .map(|f| Image::from_frame(f, content, level_size(cw, finest), level_size(ch, finest)))
        .collect();
    let bg_pyramids: Vec<BgPyramid> = bg_samples.iter().map(|f| BgPyramid::new(f, &factors)).collect();

    // Best (fg sample, bg sample) pair at a scale, searched coarse to fine. With many sample
    // pairs, a prescreen where the template is ~48 px wide keeps the PRESCREEN_KEEP most
    // promising pairs for the real search.
    let prescreen = |tpls: &[TemplatePyramid]| -> Vec<(usize, usize)> {
        let mut pairs: Vec<(usize, usize)> =
            (0..tpls.len()).flat_map(|fi| (0..bg_pyramids.len()).map(move |bi| (fi, bi))).collect();
        if pairs.len() <= PRESCREEN_KEEP {
            return pairs;
        }
        // Shrink so the template is about PRESCREEN_TEMPLATE_WIDTH px wide (never enlarge).
        let coarsest = tpls[0].levels.len();
        let shrink = (tpls[0].levels[0].0.width as f64 / PRESCREEN_TEMPLATE_WIDTH).max(1.0);
        let smaller = |c: &Image| c.resized(level_size(c.width, shrink), level_size(c.height, shrink));
        let small_tpls: Vec<Image> = tpls.iter().map(|t| smaller(&t.levels[0].0)).collect();
        let small_bgs: Vec<Image> = bg_pyramids.iter().map(|b| smaller(&b.levels[b.levels.len() - coarsest])).collect();
        let score = |&(fi, bi): &(usize, usize)| -> f32 {
            let (t, b) = (&small_tpls[fi], &small_bgs[bi]);
            if t.width > b.width || t.height > b.height {
                return f32::NEG_INFINITY;
            }
            ncc_full(b, t).into_iter().fold(f32::NEG_INFINITY, f32::max)
        };
        let scores: Vec<f32> = pairs.iter().map(score).collect();
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        pairs = order.into_iter().take(PRESCREEN_KEEP).map(|k| pairs[k]).collect();
        pairs
    };
    // The sample pairs worth searching at a scale (all, or the prescreen's best), and the
    // best of them searched coarse to fine.
    let ranked_pairs = |scale: f64| -> Option<RankedPairs> {
        let factors = factors_for(scale);
        let templates: Vec<TemplatePyramid> =
            fg_images.iter().map(|fg| TemplatePyramid::new(fg, content, scale, &factors)).collect::<Option<_>>()?;
        let pairs = prescreen(&templates);
        Some(RankedPairs { factors, templates, pairs })
    };
    let search_ranked = |r: &RankedPairs| -> Option<(Found, usize, usize)> {
        let mut all: Vec<(Found, usize, usize)> = Vec::with_capacity(r.pairs.len());
        for &(fi, bi) in &r.pairs {
            if let Some(found) = search(&r.templates[fi], bg_pyramids[bi].levels_for(&r.factors), &r.factors, false) {
                all.push((found, fi, bi));
            }
        }
        let (mut best, fi, bi) = *all.iter().max_by(|a, b| a.0.score.total_cmp(&b.0.score))?;
        let far = (r.templates[fi].levels.last()?.0.width as f64 * RIVAL_DISTANCE).max(2.0) as usize;
        best.rival = all
            .iter()
            .filter(|(f, _, _)| f.x.abs_diff(best.x).max(f.y.abs_diff(best.y)) > far)
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score))
            .map(|(f, _, _)| (f.score, (f.x, f.y)));
        Some((best, fi, bi))
    };
    let best_for_scale = |scale: f64| ranked_pairs(scale).and_then(|r| search_ranked(&r));

    let ranked_at_one = if fits(1.0) { ranked_pairs(1.0) } else { None };
    let at_one = ranked_at_one.as_ref().and_then(search_ranked);
    let mut chosen = at_one.map(|(found, fi, bi)| (1.0, found, fi, bi));
    if settings.scale_search {
        // The scale is measured on the pairs the scale-1 prescreen ranks best (all of them when
        // there are few): the pair that matches best at scale 1 need not be the true one.
        let pairs = match ranked_at_one {
            Some(r) => r.pairs,
            None => ranked_pairs(scales[0]).map(|r| r.pairs).unwrap_or_default(),
        };
        let fg_levels: Vec<scale::FgLevels> =
            fg_images.iter().map(|img| scale::FgLevels::new(img.clone(), (cw, ch))).collect();
        let at_one_found = at_one.map(|(f, fi, bi)| (f, (fi, bi)));
        if let Some(s) = scale::measure(&fg_levels, &bg_pyramids, &pairs, &scales, at_one_found)
            && s != 1.0
            && let Some((found, fi, bi)) = best_for_scale(s)
            // The measured scale must also win the full search, by more than scale 1's margin.
            && at_one.is_none_or(|(one, _, _)| found.score > one.score + SCALE_ONE_MARGIN)
        {
            chosen = Some((s, found, fi, bi));
        }
    }
    let (chosen_scale, mut found, fi, bi) =
        chosen.ok_or_else(|| Error::invalid("fg does not fit inside bg at the chosen scale"))?;
    // Under min_confidence nothing matched (`locate` says so): rivals there are noise.
    let rival = found
        .rival
        .filter(|&(score, _)| found.score as f64 >= settings.min_confidence && found.score - score < AMBIGUITY_MARGIN);
    if factors.len() < all_factors.len() {
        // Frames beyond the budget: the chosen pair alone, searched down to full resolution
        // (the other samples' levels are let go first).
        drop(bg_pyramids);
        let full = pyramid_factors(cw as f64 * chosen_scale, COARSE_TEMPLATE_WIDTH);
        let fg_full = Image::from_frame(&fg_samples[fi], content, cw, ch);
        let tpl = TemplatePyramid::new(&fg_full, content, chosen_scale, &full)
            .ok_or_else(|| Error::invalid("fg does not fit inside bg at the chosen scale"))?;
        let bg_full = BgPyramid::new(&bg_samples[bi], &full);
        found = search(&tpl, &bg_full.levels, &full, false)
            .ok_or_else(|| Error::invalid("fg does not fit inside bg at the chosen scale"))?;
    }
    let confidence = found.score.max(0.0) as f64;
    let placement = Placement {
        x: found.x as i32,
        y: found.y as i32,
        width: (content.width as f64 * chosen_scale).round() as u32,
        height: (content.height as f64 * chosen_scale).round() as u32,
        scale: chosen_scale,
        confidence,
        content,
        x_subpixel: found.x_sub,
        y_subpixel: found.y_sub,
    };
    let rival = rival.map(|(score, (x, y))| {
        let (x, y) = ((x as f64 * finest).round(), (y as f64 * finest).round());
        Placement { x: x as i32, y: y as i32, confidence: score as f64, x_subpixel: x, y_subpixel: y, ..placement }
    });
    Ok((placement, rival))
}

/// Width, in pixels, of fg's content when bg frames are ranked by likeness
/// ([`likeliest_bg`]): small, so that ranking thousands of frames costs about one search.
const RANK_TEMPLATE_WIDTH: f64 = 24.0;

/// The indices of the `keep` bg frames most like any of the fg frames, best first: fg's
/// content searched at scale 1 in each bg frame, both shrunk until the content is about
/// `RANK_TEMPLATE_WIDTH` px wide, scored by the best NCC. For choosing which frames of a
/// long bg a search looks at, where fg's content appears in few of them.
pub fn likeliest_bg(fg: &[FrameRef<'_>], bg: &[FrameRef<'_>], keep: usize) -> Vec<usize> {
    if fg.is_empty() || bg.is_empty() {
        return Vec::new();
    }
    let content = content_rect(fg);
    let shrink = (content.width as f64 / RANK_TEMPLATE_WIDTH).max(1.0);
    let (tw, th) = (level_size(content.width as usize, shrink), level_size(content.height as usize, shrink));
    let templates: Vec<Image> = fg.iter().map(|f| Image::from_frame(f, content, tw, th)).collect();
    let score = |b: &FrameRef<'_>| -> f32 {
        let (bw, bh) = (level_size(b.width() as usize, shrink), level_size(b.height() as usize, shrink));
        if tw > bw || th > bh {
            return f32::NEG_INFINITY;
        }
        let img = Image::from_frame(b, Rect::full(b.width(), b.height()), bw, bh);
        templates.iter().flat_map(|t| ncc_full(&img, t)).fold(f32::NEG_INFINITY, f32::max)
    };
    let scores: Vec<f32> = bg.iter().map(score).collect();
    let mut order: Vec<usize> = (0..bg.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order.truncate(keep);
    order
}

/// Re-locates fg in bg within `radius` pixels of an earlier placement, at full resolution and
/// the placement's scale: one NCC map over a window just larger than the placed rectangle.
/// For checking a placement on a matched frame pair, this costs a fraction of [`locate`] on the
/// whole frame. `None` when the window does not fit in bg.
pub fn locate_near(fg: &FrameRef<'_>, bg: &FrameRef<'_>, around: &Placement, radius: u32) -> Option<Placement> {
    locate_near_except(fg, bg, around, radius, &[])
}

/// [`locate_near`] with parts of fg's content left out of the comparison: `except` lists
/// rectangles in fg pixels (e.g. graphics burned into fg that bg lacks).
pub fn locate_near_except(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    radius: u32,
    except: &[Rect],
) -> Option<Placement> {
    let surface = near_scores_except(fg, bg, around, radius, except)?;
    let (dx, dy) = surface.best()?;
    Some(surface.placement_at(dx, dy, around))
}

/// NCC scores of fg's content at every position within a radius of a placement, in bg pixels:
/// position (`x0 + dx`, `y0 + dy`) scores `scores[dy * width + dx]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NearScores {
    pub x0: i32,
    pub y0: i32,
    pub width: usize,
    pub height: usize,
    pub scores: Vec<f32>,
}

impl NearScores {
    pub fn at(&self, dx: i32, dy: i32) -> Option<f64> {
        ((0..self.width as i32).contains(&dx) && (0..self.height as i32).contains(&dy))
            .then(|| self.scores[dy as usize * self.width + dx as usize] as f64)
    }

    /// The best position, relative to (`x0`, `y0`).
    pub fn best(&self) -> Option<(i32, i32)> {
        let (k, _) = self.scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        Some(((k % self.width) as i32, (k / self.width) as i32))
    }

    /// `around` moved to position (`dx`, `dy`), with its score and the sub-pixel vertex of a
    /// parabola through it and its neighbours.
    pub fn placement_at(&self, dx: i32, dy: i32, around: &Placement) -> Placement {
        let c = self.at(dx, dy).unwrap_or(0.0);
        let vertex = |m: Option<f64>, p: Option<f64>| parabola_vertex(m, c, p);
        Placement {
            x: self.x0 + dx,
            y: self.y0 + dy,
            confidence: c.max(0.0),
            x_subpixel: (self.x0 + dx) as f64 + vertex(self.at(dx - 1, dy), self.at(dx + 1, dy)),
            y_subpixel: (self.y0 + dy) as f64 + vertex(self.at(dx, dy - 1), self.at(dx, dy + 1)),
            ..*around
        }
    }
}

/// The scores [`locate_near_except`] picks its best from.
pub fn near_scores_except(
    fg: &FrameRef<'_>,
    bg: &FrameRef<'_>,
    around: &Placement,
    radius: u32,
    except: &[Rect],
) -> Option<NearScores> {
    let content = around.content;
    if !content.fits_in(fg.width(), fg.height()) || around.width == 0 || around.height == 0 {
        return None;
    }
    let r = radius as i32;
    let x0 = (around.x - r).max(0);
    let y0 = (around.y - r).max(0);
    let x1 = (around.x + around.width as i32 + r).min(bg.width() as i32);
    let y1 = (around.y + around.height as i32 + r).min(bg.height() as i32);
    if x1 - x0 < around.width as i32 || y1 - y0 < around.height as i32 {
        return None;
    }
    let window = Rect::new(x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32);
    let img = Image::from_frame(bg, window, window.width as usize, window.height as usize);
    let tpl = Image::from_frame(fg, content, around.width as usize, around.height as usize);
    // The left-out rectangles in template pixels (fg pixels times the scale).
    let to_tpl =
        |v: u32, origin: u32, limit: usize| (((v - origin.min(v)) as f64 * around.scale).round() as usize).min(limit);
    let holes: Vec<(usize, usize, usize, usize)> = except
        .iter()
        .map(|r| {
            let (x0, y0) = (to_tpl(r.x, content.x, tpl.width), to_tpl(r.y, content.y, tpl.height));
            let (x1, y1) = (to_tpl(r.x + r.width, content.x, tpl.width), to_tpl(r.y + r.height, content.y, tpl.height));
            (x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0))
        })
        .filter(|&(_, _, w, h)| w > 0 && h > 0)
        .collect();
    let inside = |x: usize, y: usize| {
        holes.iter().any(|&(hx, hy, hw, hh)| (hx..hx + hw).contains(&x) && (hy..hy + hh).contains(&y))
    };
    let template = Template::masked(&tpl, |x, y| !inside(x, y));
    let scores = ncc_full_holes(&img, &template, &holes);
    let width = img.width - tpl.width + 1;
    Some(NearScores { x0, y0, width, height: scores.len() / width, scores })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_s_placement_widens_back_to_the_whole() {
        let content = Rect::new(0, 14, 128, 72);
        let whole = Placement {
            x: 50,
            y: 30,
            width: 256,
            height: 144,
            scale: 2.0,
            confidence: 0.9,
            content,
            x_subpixel: 50.25,
            y_subpixel: 30.0,
        };
        for part in halves(content) {
            let p = narrowed(&whole, part);
            assert_eq!((p.content, p.width), (part, part.width * 2));
            assert_eq!(widened(&p, content), whole, "{part:?}");
        }
        // The right half of the content starts 64 fg pixels, 128 bg pixels, to the right.
        assert_eq!(narrowed(&whole, halves(content)[1]).x_subpixel, 178.25);
    }

    fn noise(w: usize, h: usize, seed: u64) -> Image {
        let mut state = seed | 1;
        let mut img = Image::new(w, h);
        for v in &mut img.data {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *v = (state % 256) as f32;
        }
        img
    }

    /// The masked NCC summed directly in f64 over the pixels outside the holes.
    fn masked_reference(img: &Image, tpl: &Image, holes: &[(usize, usize, usize, usize)], x: usize, y: usize) -> f64 {
        let inside = |tx: usize, ty: usize| {
            holes.iter().any(|&(hx, hy, hw, hh)| (hx..hx + hw).contains(&tx) && (hy..hy + hh).contains(&ty))
        };
        let kept: Vec<(usize, usize)> = (0..tpl.height)
            .flat_map(|ty| (0..tpl.width).map(move |tx| (tx, ty)))
            .filter(|&(tx, ty)| !inside(tx, ty))
            .collect();
        let n = kept.len() as f64;
        let t_mean = kept.iter().map(|&(tx, ty)| tpl.data[ty * tpl.width + tx] as f64).sum::<f64>() / n;
        let i_mean = kept.iter().map(|&(tx, ty)| img.data[(y + ty) * img.width + x + tx] as f64).sum::<f64>() / n;
        let (mut num, mut tt, mut ii) = (0.0, 0.0, 0.0);
        for &(tx, ty) in &kept {
            let t = tpl.data[ty * tpl.width + tx] as f64 - t_mean;
            let i = img.data[(y + ty) * img.width + x + tx] as f64 - i_mean;
            num += t * i;
            tt += t * t;
            ii += i * i;
        }
        num / (tt * ii).sqrt()
    }

    #[test]
    fn ncc_with_holes_matches_the_direct_sum() {
        let img = noise(40, 30, 3);
        let tpl = noise(17, 13, 4);
        let holes = [(2, 1, 5, 4), (10, 8, 7, 5)];
        let inside = |x: usize, y: usize| {
            holes.iter().any(|&(hx, hy, hw, hh)| (hx..hx + hw).contains(&x) && (hy..hy + hh).contains(&y))
        };
        let template = Template::masked(&tpl, |x, y| !inside(x, y));
        let scores = ncc_full_holes(&img, &template, &holes);
        let rw = img.width - tpl.width + 1;
        for (k, &s) in scores.iter().enumerate() {
            let want = masked_reference(&img, &tpl, &holes, k % rw, k / rw);
            assert!((s as f64 - want).abs() < 1e-4, "at {k}: {s} vs {want}");
        }
    }

    #[test]
    fn a_hole_over_a_foreign_box_keeps_the_match_exact() {
        // The template is the image at (9, 6) with an opaque bright box painted over a
        // quarter of it: left out, the box cannot pull the best match off (9, 6).
        let img = noise(48, 36, 5);
        let mut tpl = Image::new(24, 16);
        for y in 0..16 {
            for x in 0..24 {
                tpl.data[y * 24 + x] = if x < 12 && y < 8 { 250.0 } else { img.data[(y + 6) * 48 + x + 9] };
            }
        }
        let holes = [(0, 0, 12, 8)];
        let template = Template::masked(&tpl, |x, y| !(x < 12 && y < 8));
        let scores = ncc_full_holes(&img, &template, &holes);
        let rw = 48 - 24 + 1;
        let (best, score) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_eq!((best % rw, best / rw), (9, 6));
        assert!(*score > 0.999, "{score}");
    }
}
