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
    /// Every pixel compared.
    pub(super) fn new(img: &Image) -> Template {
        let n = img.data.len().max(1) as f64;
        let mean = lane_sum(&img.data, f64::from) / n;
        let centred: Vec<f32> = img.data.iter().map(|&v| (v as f64 - mean) as f32).collect();
        Template { width: img.width, height: img.height, energy: energy_of(&centred), centred }
    }

    /// The template with the pixels inside `holes` (x, y, width, height in template pixels)
    /// left out: they get weight 0 (the score then ignores what the image shows there), and
    /// the mean is of those counted. The holes are filled in a mask rather than each pixel
    /// tested against each hole: a check near a placement builds a 640×360 template per frame
    /// pair, and the test per pixel took 14-31 ms of the film pair's 41-100 ms placement check (perf).
    pub(super) fn with_holes(img: &Image, holes: &[(usize, usize, usize, usize)]) -> Template {
        if holes.is_empty() {
            return Template::new(img);
        }
        let w = img.width;
        let mut keep = vec![true; img.data.len()];
        for &(hx, hy, hw, hh) in holes {
            for y in hy.min(img.height)..(hy + hh).min(img.height) {
                keep[y * w + hx.min(w)..y * w + (hx + hw).min(w)].fill(false);
            }
        }
        let n = keep.iter().filter(|&&k| k).count().max(1) as f64;
        let kept: Vec<f32> = img.data.iter().zip(&keep).map(|(&v, &k)| if k { v } else { 0.0 }).collect();
        let mean = lane_sum(&kept, f64::from) / n;
        let centred: Vec<f32> =
            kept.iter().zip(&keep).map(|(&v, &k)| if k { (v as f64 - mean) as f32 } else { 0.0 }).collect();
        Template { width: img.width, height: img.height, energy: energy_of(&centred), centred }
    }
}

/// Σ v² of a centred template.
fn energy_of(centred: &[f32]) -> f64 {
    lane_sum(centred, |v| v as f64 * v as f64)
}

/// Σ term(v) over `values`, in eight interleaved lanes folded in a fixed order: the same sum
/// on every machine, and no addition waits on the one before (summed one after another, a
/// 1280×720 template's mean and energy took 2.3 of `locate`'s 11 ms on the real pair).
fn lane_sum(values: &[f32], term: impl Fn(f32) -> f64) -> f64 {
    let mut lanes = [0f64; 8];
    let chunks = values.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| term(v)).sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += term(v);
        }
    }
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])) + tail
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

/// The score of a window of the template's size from its sums: Σ I·T (T centred), Σ I, Σ I².
fn score_from_sums(num: f64, sum: f64, sq: f64, tpl: &Template) -> f32 {
    let n = (tpl.width * tpl.height) as f64;
    normalize(num, tpl, (sq - sum * sum / n).max(0.0))
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
    let (w, h) = (tpl.width, tpl.height);
    let rw = img.width - w + 1;
    let rh = img.height - h + 1;
    let num = ncc_numerators(img, tpl);
    let n = (w * h - holes.iter().map(|&(_, _, hw, hh)| hw * hh).sum::<usize>()) as f64;
    let kept = |s1: f64, s2: f64| if n > 0.0 { (s2 - s1 * s1 / n).max(0.0) } else { 0.0 };
    if rw * rh * h <= img.width * img.height {
        // A search near a placement: few positions, each window's sums added directly, and
        // its holes' (integral images of a 4K bg's window are 34 MB of fresh pages a search).
        let mut sums = window_sums_direct(img, w, h);
        for &(hx, hy, hw, hh) in holes {
            for (sum, hole) in sums.iter_mut().zip(rect_sums(img, (hx, hy), (hw, hh), (rw, rh))) {
                *sum = (sum.0 - hole.0, sum.1 - hole.1);
            }
        }
        return num
            .iter()
            .zip(sums)
            .map(|(&numerator, (s1, s2))| normalize(numerator as f64, tpl, kept(s1, s2)))
            .collect();
    }
    let integrals = Integrals::new(img);
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
            normalize(numerator as f64, tpl, kept(s1, s2))
        })
        .collect()
}

/// Σ I and Σ I² of every `w × h` window of `img` (row-major, `(H − h + 1) × (W − w + 1)`):
/// each row's sums over the windows' widths from its running sums, then `h` of them added per
/// window. For the few positions a search near a placement scores (a 17×17 neighbourhood of a
/// 640×360 template) this is one pass over the pixels, where integral images allocate, zero
/// and fill two frame-sized f64 arrays (22 of the film pair's 77 ms placement check in one
/// perf run; the analyzer's placement on 10 frames of 720p in 1080p, criterion: 290 -> 215 ms
/// with the template's mask alone changed either way).
pub(super) fn window_sums_direct(img: &Image, w: usize, h: usize) -> Vec<(f64, f64)> {
    rect_sums(img, (0, 0), (w, h), (img.width - w + 1, img.height - h + 1))
}

/// Σ I and Σ I² of the `w × h` rectangles at (`x0 + x`, `y0 + y`) for every position
/// `x < rw`, `y < rh` (row-major), added as [`window_sums_direct`] adds them: a template's
/// hole moves with the window, so its sums are these at the hole's offset. The rectangles
/// must lie inside `img`.
fn rect_sums(
    img: &Image,
    (x0, y0): (usize, usize),
    (w, h): (usize, usize),
    (rw, rh): (usize, usize),
) -> Vec<(f64, f64)> {
    let mut row_sums = vec![(0f64, 0f64); (rh + h - 1) * rw];
    let mut running = vec![(0f64, 0f64); rw + w];
    for r in 0..rh + h - 1 {
        let (mut s1, mut s2) = (0f64, 0f64);
        for (x, &v) in img.row(y0 + r)[x0..x0 + rw + w - 1].iter().enumerate() {
            s1 += v as f64;
            s2 += v as f64 * v as f64;
            running[x + 1] = (s1, s2);
        }
        for x in 0..rw {
            let (a, b) = (running[x], running[x + w]);
            row_sums[r * rw + x] = (b.0 - a.0, b.1 - a.1);
        }
    }
    let mut sums = vec![(0f64, 0f64); rw * rh];
    for y in 0..rh {
        for x in 0..rw {
            sums[y * rw + x] = (y..y + h).map(|r| row_sums[r * rw + x]).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        }
    }
    sums
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
    score_from_sums(num, sum, sq, tpl)
}

/// NCC scores at the positions of a square about a centre, `radius` each way, those outside
/// `0..rw × 0..rh` left out. Each score is `ncc_at`'s, bit for bit (each row's kernel result
/// added in row order), but the rows are read once for all positions rather than once a
/// position: at full size a 1280x720 template's 13 positions read about 96 MB, and the search's
/// finest level waited on memory.
pub(super) struct Around {
    /// Top-left position of the square, and its side.
    x0: i64,
    y0: i64,
    side: i64,
    scores: Vec<Option<f32>>,
}

impl Around {
    pub(super) fn new(
        img: &Image,
        tpl: &Template,
        (cx, cy): (i64, i64),
        radius: i64,
        (rw, rh): (usize, usize),
    ) -> Around {
        let (x0, y0, side) = (cx - radius, cy - radius, 2 * radius + 1);
        let inside = |x: i64, y: i64| x >= 0 && y >= 0 && x < rw as i64 && y < rh as i64;
        let positions: Vec<(usize, usize)> = (y0..y0 + side)
            .flat_map(|y| (x0..x0 + side).map(move |x| (x, y)))
            .filter(|&(x, y)| inside(x, y))
            .map(|(x, y)| (x as usize, y as usize))
            .collect();
        let mut sums = vec![(0f64, 0f64, 0f64); positions.len()];
        let dot_sum_sq = crate::kernels::active().dot_sum_sq;
        for i in 0..tpl.height {
            let trow = &tpl.centred[i * tpl.width..(i + 1) * tpl.width];
            for (acc, &(x, y)) in sums.iter_mut().zip(&positions) {
                let (d, s1, s2) = dot_sum_sq(&img.row(y + i)[x..x + tpl.width], trow);
                *acc = (acc.0 + d as f64, acc.1 + s1 as f64, acc.2 + s2 as f64);
            }
        }
        let mut scores = vec![None; (side * side) as usize];
        for (&(x, y), &(num, sum, sq)) in positions.iter().zip(&sums) {
            let k = (y as i64 - y0) * side + (x as i64 - x0);
            scores[k as usize] = Some(score_from_sums(num, sum, sq, tpl));
        }
        Around { x0, y0, side, scores }
    }

    /// The score at (x, y): `None` outside the square or outside the positions allowed.
    pub(super) fn at(&self, x: i64, y: i64) -> Option<f32> {
        let (dx, dy) = (x - self.x0, y - self.y0);
        if dx < 0 || dy < 0 || dx >= self.side || dy >= self.side {
            return None;
        }
        self.scores[(dy * self.side + dx) as usize]
    }

    /// The best position, the first in row order among equal scores (as a scan with `>`
    /// finds it); `None` when no position was allowed.
    pub(super) fn best(&self) -> Option<(i64, i64, f32)> {
        let mut best: Option<(i64, i64, f32)> = None;
        for (k, s) in self.scores.iter().enumerate() {
            let Some(s) = *s else { continue };
            if best.is_none_or(|b| s > b.2) {
                best = Some((self.x0 + k as i64 % self.side, self.y0 + k as i64 / self.side, s));
            }
        }
        best
    }
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

    /// The scores of a square equal `ncc_at`'s bit for bit, positions outside the allowed
    /// ones are left out, and the best is the one a scan in row order with `>` keeps.
    #[test]
    fn a_square_of_scores_equals_each_position_scored_alone() {
        let (w, h) = (61, 40);
        let data: Vec<f32> = (0..w * h).map(|k| ((k * 7919 % 251) as f32) * 0.5 + (k % 13) as f32).collect();
        let img = Image { width: w, height: h, data };
        let tpl_img = Image {
            width: 45,
            height: 30,
            data: (0..45 * 30).map(|k| img.data[(k / 45 + 4) * w + k % 45 + 7]).collect(),
        };
        let tpl = Template::new(&tpl_img);
        let (rw, rh) = (w - 45 + 1, h - 30 + 1);
        for (centre, radius) in [((7, 4), 1), ((0, 0), 2), ((rw as i64 - 1, rh as i64), 2), ((9, 5), 0)] {
            let around = Around::new(&img, &tpl, centre, radius, (rw, rh));
            let mut scan: Option<(i64, i64, f32)> = None;
            for y in centre.1 - radius - 1..=centre.1 + radius + 1 {
                for x in centre.0 - radius - 1..=centre.0 + radius + 1 {
                    let in_square = (x - centre.0).abs() <= radius && (y - centre.1).abs() <= radius;
                    let allowed = x >= 0 && y >= 0 && x < rw as i64 && y < rh as i64;
                    let alone = (in_square && allowed).then(|| ncc_at(&img, &tpl, x as usize, y as usize));
                    assert_eq!(around.at(x, y).map(f32::to_bits), alone.map(f32::to_bits), "({x}, {y})");
                    if let Some(s) = alone
                        && scan.is_none_or(|b| s > b.2)
                    {
                        scan = Some((x, y, s));
                    }
                }
            }
            assert_eq!(around.best(), scan, "{centre:?} radius {radius}");
        }
        assert_eq!(Around::new(&img, &tpl, (7, 4), 1, (rw, rh)).best().map(|b| (b.0, b.1)), Some((7, 4)));
    }

    /// The direct window sums agree with the integral images' at every position, and so do
    /// the scores a search near a placement takes from them.
    #[test]
    fn direct_window_sums_agree_with_the_integral_images() {
        let (w, h) = (37, 23);
        let data: Vec<f32> = (0..w * h).map(|k| ((k * 7919 % 251) as f32) * 0.5 + (k % 13) as f32).collect();
        let img = Image { width: w, height: h, data };
        let integrals = Integrals::new(&img);
        for (tw, th) in [(30, 20), (37, 23), (5, 3)] {
            let direct = window_sums_direct(&img, tw, th);
            let rw = w - tw + 1;
            for (k, &(s1, s2)) in direct.iter().enumerate() {
                let (i1, i2) = integrals.window_sums(k % rw, k / rw, tw, th);
                assert!((s1 - i1).abs() <= 1e-9 * i1.abs().max(1.0), "{tw}x{th} at {k}: {s1} vs {i1}");
                assert!((s2 - i2).abs() <= 1e-9 * i2.abs().max(1.0), "{tw}x{th} at {k}: {s2} vs {i2}");
            }
        }
        let tpl_img = Image { width: 30, height: 20, data: img.data.iter().rev().take(600).copied().collect() };
        let tpl = Template::new(&tpl_img);
        let near = ncc_full_holes(&img, &tpl, &[]);
        let full = ncc_full_of(&img, &integrals, &tpl);
        assert_eq!(near.len(), full.len());
        for (a, b) in near.iter().zip(&full) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    /// A search near a placement with holes in the template (graphics left out) takes its
    /// windows' and holes' sums directly; its scores are those the integral images give.
    #[test]
    fn direct_sums_with_holes_agree_with_the_integral_images() {
        let (w, h) = (44, 28);
        let data: Vec<f32> = (0..w * h).map(|k| ((k * 7919 % 251) as f32) * 0.5 + (k % 13) as f32).collect();
        let img = Image { width: w, height: h, data };
        let tpl_img = Image { width: 40, height: 24, data: img.data.iter().rev().take(960).copied().collect() };
        let holes = [(2, 3, 10, 6), (30, 0, 10, 24), (15, 20, 5, 4)];
        let tpl = Template::with_holes(&tpl_img, &holes);
        let (rw, rh) = (w - 40 + 1, h - 24 + 1);
        assert!(rw * rh * 24 <= w * h, "the direct path is the one taken");
        let scores = ncc_full_holes(&img, &tpl, &holes);
        let integrals = Integrals::new(&img);
        let n = (40 * 24 - holes.iter().map(|h| h.2 * h.3).sum::<usize>()) as f64;
        let num = ncc_numerators(&img, &tpl);
        assert_eq!(scores.len(), rw * rh);
        for (k, &score) in scores.iter().enumerate() {
            let (x, y) = (k % rw, k / rw);
            let (mut s1, mut s2) = integrals.window_sums(x, y, 40, 24);
            for &(hx, hy, hw, hh) in &holes {
                let (a, b) = integrals.window_sums(x + hx, y + hy, hw, hh);
                (s1, s2) = (s1 - a, s2 - b);
            }
            let expected = normalize(num[k] as f64, &tpl, (s2 - s1 * s1 / n).max(0.0));
            assert!((score - expected).abs() < 1e-5, "at ({x}, {y}): {score} vs {expected}");
        }
        assert!(scores.iter().any(|&s| s.abs() > 0.05), "the scores are not all flat");
    }

    /// The template without holes is the one with an empty hole, to the bit; a hole's pixels
    /// are left out, and only they.
    #[test]
    fn a_template_s_holes_leave_out_their_pixels_only() {
        let data: Vec<f32> = (0..41 * 17).map(|k| ((k * 7919 % 251) as f32) * 0.37).collect();
        let img = Image { width: 41, height: 17, data };
        let (plain, empty_hole) = (Template::new(&img), Template::with_holes(&img, &[(3, 3, 0, 5)]));
        assert_eq!(plain.centred, empty_hole.centred);
        assert_eq!(plain.energy.to_bits(), empty_hole.energy.to_bits());
        let holed = Template::with_holes(&img, &[(39, 0, 5, 2), (0, 16, 1, 1)]);
        let left_out: Vec<usize> = (0..holed.centred.len()).filter(|&k| holed.centred[k] == 0.0).collect();
        assert_eq!(left_out, vec![39, 40, 41 + 39, 41 + 40, 16 * 41]);
    }

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
