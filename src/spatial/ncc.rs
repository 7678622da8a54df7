//! The normalised cross-correlation kernel: numerators by faer GEMM per image row, window
//! statistics from integral images, templates with holes, a direct score at one position, and
//! the f64 reference the tests hold it to.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::*;

/// A mean-removed template and its energy.
pub(super) struct Template {
    pub(super) width: usize,
    pub(super) height: usize,
    /// T − mean(T), row-major.
    pub(super) centred: Vec<f32>,
    pub(super) energy: f64,
}

impl Template {
    pub(super) fn new(img: &Image) -> Template {
        Template::masked(img, |_, _| true)
    }

    /// The template with only the pixels `counted(x, y)` compared: the others get weight 0
    /// (the score then ignores what the image shows there), and the mean is of those counted.
    pub(super) fn masked(img: &Image, counted: impl Fn(usize, usize) -> bool) -> Template {
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
pub(super) const FLAT_VARIANCE: f64 = 1e-6;

pub(super) fn normalize(num: f64, tpl: &Template, var_sum: f64) -> f32 {
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

pub(super) fn ncc_full_with(img: &Image, integrals: &Integrals, tpl_img: &Image) -> Vec<f32> {
    ncc_full_of(img, integrals, &Template::new(tpl_img))
}

pub(super) fn ncc_full_of(img: &Image, integrals: &Integrals, tpl: &Template) -> Vec<f32> {
    let num = ncc_numerators(img, tpl);
    let (w, h) = (tpl.width, tpl.height);
    let rw = img.width - w + 1;
    num.iter()
        .enumerate()
        .map(|(k, &n)| normalize(n as f64, tpl, integrals.window_variance_sum(k % rw, k / rw, w, h)))
        .collect()
}

/// `Σ T'·I` at every position (row-major, `(H − h + 1) × (W − w + 1)`).
pub(super) fn ncc_numerators(img: &Image, tpl: &Template) -> Vec<f32> {
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
pub(super) fn add_row_products(
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
pub(super) fn ncc_full_holes(img: &Image, tpl: &Template, holes: &[(usize, usize, usize, usize)]) -> Vec<f32> {
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
pub(super) fn ncc_at(img: &Image, tpl: &Template, x: usize, y: usize) -> f32 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `choose_scale` skips the scale sweep when scale 1 scores within SCALE_ONE_MARGIN of 1,
    /// which is exact only because no score exceeds 1, rounding included.
    #[test]
    fn a_score_never_exceeds_one() {
        let img = Image { width: 3, height: 1, data: vec![1.0, 2.0, 4.0] };
        let tpl = Template::new(&img);
        let n = tpl.energy;
        // The numerator of an exact match, and one rounding made a little too large.
        assert_eq!(normalize(n, &tpl, n), 1.0);
        assert_eq!(normalize(n * (1.0 + 1e-6), &tpl, n), 1.0);
        assert_eq!(normalize(-n * (1.0 + 1e-6), &tpl, n), -1.0);
    }
}
