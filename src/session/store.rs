//! Low-resolution luma copies of the frames the analyzer cannot describe yet.
//!
//! Until the placement is known, a frame cannot be reduced to its descriptors (bg's compared
//! rectangle is the placement), so the analyzer keeps a small grey copy of it instead of the
//! frame: the placement is then searched on these copies, and the descriptors are computed
//! from them. Every frame is kept, so nothing needs decoding again; the memory is bounded by
//! halving the resolution of a stream's copies whenever the budget is reached (see
//! `Analyzer`), down to a floor. Past the floor, a stream is thinned in time instead: every
//! other copy is let go, so every `stride`-th frame is kept, each at a size still worth
//! searching and describing. The frames between are then described like their nearest kept
//! neighbour until the analyzer asks the host for the ones the time map needs.

use crate::error::Result;
use crate::frame::{AreaResampler, FrameBuf, FrameRef, PixelFormat, Rect};
use crate::session::stream::{PerStream, Stream};
use crate::spatial::Placement;

/// Bytes the grey copies of both streams may take together.
pub const STORE_BUDGET: usize = 48 << 20;

/// Largest copy kept of a frame, in pixels: 960×540 (1080p halved).
pub const START_PIXELS: u64 = 960 * 540;
/// Smallest copy worth describing from, in pixels (a 160×90 picture): below this the
/// compared rectangles get too few pixels for the 32×32 descriptor grid.
pub const FLOOR_PIXELS: u64 = 160 * 90;

/// Both streams' copies, at the shrink they share, and their memory budget.
pub(crate) struct Copies {
    pub stores: PerStream<Option<LumaStore>>,
    /// The copies' shrink, shared by both streams (0 before the first copy).
    pub shrink: u32,
}

impl Copies {
    pub fn new() -> Copies {
        Copies { stores: PerStream::default(), shrink: 0 }
    }

    /// Keeps a copy of the next frame of `stream`. The stream's first copy opens its store
    /// at the shrink both streams share: coarse enough that this stream's copies fit
    /// `START_PIXELS` (the other's are halved to match).
    pub fn push(&mut self, stream: Stream, frame: &FrameRef<'_>, seconds: f64) -> Result<()> {
        if self.stores[stream].is_none() {
            let needed = shrink_for(frame.width(), frame.height(), START_PIXELS);
            while self.shrink < needed {
                self.halve()?;
            }
            self.stores[stream] = Some(LumaStore::new(frame.width(), frame.height(), self.shrink));
        }
        self.stores[stream].as_mut().expect("opened above").push(frame, seconds)
    }

    /// Bytes held by both streams' copies.
    pub fn bytes(&self) -> usize {
        self.stores.iter().flatten().map(LumaStore::bytes).sum()
    }

    pub fn over_budget(&self) -> bool {
        self.bytes() > STORE_BUDGET
    }

    /// Copies kept of `stream`'s frames.
    pub fn stored(&self, stream: Stream) -> usize {
        self.stores[stream].as_ref().map_or(0, LumaStore::len)
    }

    /// Whether another halving keeps the larger stream's copies describable (`FLOOR_PIXELS`).
    pub fn can_halve(&self) -> bool {
        self.stores.iter().flatten().map(LumaStore::halved_pixels).max().unwrap_or(0) >= FLOOR_PIXELS
    }

    /// Halves the copies of both streams.
    pub fn halve(&mut self) -> Result<()> {
        for store in self.stores.iter_mut().flatten() {
            store.halve()?;
        }
        self.shrink = (self.shrink * 2).max(1);
        Ok(())
    }

    /// Lets every other copy of the stream with more copies go; that stream and its new
    /// stride.
    pub fn thin_longer(&mut self) -> (Stream, usize) {
        let longer = if self.stored(Stream::Fg) > self.stored(Stream::Bg) { Stream::Fg } else { Stream::Bg };
        let store = self.stores[longer].as_mut().expect("the budget is full, so a stream has copies");
        store.thin();
        (longer, store.stride())
    }

    /// Lets every copy go (the frames are described).
    pub fn drop_all(&mut self) {
        self.stores = PerStream::default();
    }
}

/// Grey copies of one stream's frames, all of one size.
pub struct LumaStore {
    full: (u32, u32),
    size: (u32, u32),
    shrink: u32,
    /// Copies of frames 0, stride, 2·stride, … (a power of two), with their times.
    frames: Vec<(FrameBuf, f64)>,
    stride: usize,
    /// The time of every frame pushed, kept or not (eight bytes a frame).
    seconds: Vec<f64>,
    resampler: Option<AreaResampler>,
    scratch: Vec<f32>,
    sums: Vec<u16>,
    wide_sums: Vec<u32>,
    luma: Vec<u8>,
}

/// The smallest power-of-two shrink that brings `width × height` to at most `pixels`.
pub fn shrink_for(width: u32, height: u32, pixels: u64) -> u32 {
    let mut shrink = 1u32;
    while (width.div_ceil(shrink) as u64) * (height.div_ceil(shrink) as u64) > pixels && shrink < 1 << 15 {
        shrink *= 2;
    }
    shrink
}

impl LumaStore {
    /// For frames of `width × height`, copied at 1/`shrink` of their width and height (a
    /// power of two, the same for both streams, so that scale 1 on the copies is scale 1).
    pub fn new(width: u32, height: u32, shrink: u32) -> LumaStore {
        LumaStore {
            full: (width, height),
            size: (width.div_ceil(shrink), height.div_ceil(shrink)),
            shrink,
            frames: Vec::new(),
            stride: 1,
            seconds: Vec::new(),
            resampler: None,
            scratch: Vec::new(),
            sums: Vec::new(),
            wide_sums: Vec::new(),
            luma: Vec::new(),
        }
    }

    /// The size of the frames copied.
    pub fn full_size(&self) -> (u32, u32) {
        self.full
    }

    /// Full-size pixels per copy pixel, across and down (rounded up at the edges).
    pub fn shrink(&self) -> u32 {
        self.shrink
    }

    /// Copies kept.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Frames pushed, kept or not.
    pub fn frames_pushed(&self) -> usize {
        self.seconds.len()
    }

    /// Copy `k` is of frame `k × stride`.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The time of frame `j` (kept or not).
    pub fn seconds_of(&self, j: usize) -> f64 {
        self.seconds[j]
    }

    /// The kept copy nearest in time to frame `j`.
    pub fn nearest_copy(&self, j: usize) -> usize {
        ((j + self.stride / 2) / self.stride).min(self.frames.len().saturating_sub(1))
    }

    /// Bytes the copies take.
    pub fn bytes(&self) -> usize {
        self.frames.first().map_or(0, |(f, _)| self.frames.len() * f.byte_size())
    }

    /// Bytes one copy takes.
    pub fn frame_bytes(&self) -> usize {
        self.size.0 as usize * self.size.1 as usize
    }

    /// Pixels of one copy.
    pub fn frame_pixels(&self) -> u64 {
        self.size.0 as u64 * self.size.1 as u64
    }

    /// Pixels of one copy after another halving.
    pub fn halved_pixels(&self) -> u64 {
        let s = self.shrink * 2;
        self.full.0.div_ceil(s) as u64 * self.full.1.div_ceil(s) as u64
    }

    /// Takes `frame` (of the store's full size) shown at `seconds`: its time always, a grey
    /// copy when it falls on the stride.
    pub fn push(&mut self, frame: &FrameRef<'_>, seconds: f64) -> Result<()> {
        if self.seconds.len().is_multiple_of(self.stride) {
            let copy = self.copy_of(frame)?;
            self.frames.push((copy, seconds));
        }
        self.seconds.push(seconds);
        Ok(())
    }

    /// Lets every other copy go: the stride doubles, the copies' size stays.
    pub fn thin(&mut self) {
        self.stride *= 2;
        let mut k = 0;
        self.frames.retain(|_| {
            k += 1;
            (k - 1) % 2 == 0
        });
        self.frames.shrink_to_fit();
    }

    fn copy_of(&mut self, frame: &FrameRef<'_>) -> crate::error::Result<FrameBuf> {
        let (sw, sh) = (frame.width(), frame.height());
        let (w, h) = self.size;
        let mut copy = FrameBuf::new(PixelFormat::Gray8, w, h)?;
        let k = sw / w;
        if k * w == sw && k * h == sh && k < 256 {
            self.box_average(frame, k, &mut copy);
            return Ok(copy);
        }
        let resampler = match &mut self.resampler {
            Some(r) if r.src_size() == (sw as usize, sh as usize) && r.dst_size() == (w as usize, h as usize) => r,
            slot => slot.insert(AreaResampler::new(sw, sh, w, h)),
        };
        self.scratch.resize(w as usize * h as usize, 0.0);
        resampler.resample(frame, Rect::full(sw, sh), &mut self.scratch);
        for (y, row) in self.scratch.chunks_exact(w as usize).enumerate() {
            for (o, &v) in copy.row_mut(0, y).iter_mut().zip(row) {
                *o = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        Ok(copy)
    }

    /// The area mean when the frame is exactly `k` times the copy across and down (the usual
    /// case: sizes divisible by the shrink), in integers: each copy pixel is the rounded mean
    /// of its k x k block. About four times faster than the general resampler at 1080p. Up
    /// to `k = 16` a block's sum fits 16 bits (16 x 16 x 255): column sums in u16 take twice
    /// the lanes a vector add does in u32, and the usual block widths run unrolled.
    fn box_average(&mut self, frame: &FrameRef<'_>, k: u32, copy: &mut FrameBuf) {
        let (sw, k) = (frame.width() as usize, k as usize);
        let (w, h) = (self.size.0 as usize, self.size.1 as usize);
        let (sums, wide_sums, luma) = (&mut self.sums, &mut self.wide_sums, &mut self.luma);
        luma.resize(sw, 0);
        let divide = Reciprocal::new((k * k) as u32);
        if k > 16 {
            wide_sums.resize(sw, 0);
            for y in 0..h {
                wide_sums.fill(0);
                for r in y * k..(y + 1) * k {
                    for (s, &v) in wide_sums.iter_mut().zip(frame.luma_row(r, 0, luma)) {
                        *s += v as u32;
                    }
                }
                for (o, block) in copy.row_mut(0, y)[..w].iter_mut().zip(wide_sums.chunks_exact(k)) {
                    *o = divide.rounded(block.iter().sum::<u32>()) as u8;
                }
            }
            return;
        }
        sums.resize(sw, 0);
        for y in 0..h {
            sums.fill(0);
            for r in y * k..(y + 1) * k {
                for (s, &v) in sums.iter_mut().zip(frame.luma_row(r, 0, luma)) {
                    *s += v as u16;
                }
            }
            let out = &mut copy.row_mut(0, y)[..w];
            match k {
                2 => block_means::<2>(sums, out, divide),
                4 => block_means::<4>(sums, out, divide),
                8 => block_means::<8>(sums, out, divide),
                _ => {
                    for (o, block) in out.iter_mut().zip(sums.chunks_exact(k)) {
                        *o = divide.rounded(block.iter().map(|&s| s as u32).sum()) as u8;
                    }
                }
            }
        }
    }

    /// Halves every copy's width and height (area average), freeing three quarters.
    pub fn halve(&mut self) -> Result<()> {
        self.shrink *= 2;
        self.size = (self.full.0.div_ceil(self.shrink), self.full.1.div_ceil(self.shrink));
        let frames = std::mem::take(&mut self.frames);
        self.frames.reserve_exact(frames.len());
        for (f, seconds) in frames {
            let smaller = self.copy_of(&f.as_frame())?;
            drop(f);
            self.frames.push((smaller, seconds));
        }
        Ok(())
    }

    /// The copy of the `k`-th kept frame, and its time.
    pub fn frame(&self, k: usize) -> (FrameRef<'_>, f64) {
        let (f, seconds) = &self.frames[k];
        (f.as_frame(), *seconds)
    }

    /// Full-resolution pixels per stored pixel, across and down.
    pub fn ratio(&self) -> (f64, f64) {
        (self.full.0 as f64 / self.size.0 as f64, self.full.1 as f64 / self.size.1 as f64)
    }

    /// `rect` (in full-resolution pixels) in the copies' pixels: the stored pixels it covers
    /// most of, at least one.
    pub fn to_stored(&self, rect: Rect) -> Rect {
        let (rx, ry) = self.ratio();
        let (w, h) = self.size;
        let x0 = ((rect.x as f64 / rx).round() as u32).min(w - 1);
        let y0 = ((rect.y as f64 / ry).round() as u32).min(h - 1);
        let x1 = (((rect.x + rect.width) as f64 / rx).round() as u32).clamp(x0 + 1, w);
        let y1 = (((rect.y + rect.height) as f64 / ry).round() as u32).clamp(y0 + 1, h);
        Rect::new(x0, y0, x1 - x0, y1 - y0)
    }

    /// `rect` in stored pixels as full-resolution pixels.
    pub fn to_full(&self, rect: Rect) -> Rect {
        let (rx, ry) = self.ratio();
        let (fw, fh) = self.full;
        let x0 = ((rect.x as f64 * rx).round() as u32).min(fw - 1);
        let y0 = ((rect.y as f64 * ry).round() as u32).min(fh - 1);
        let x1 = (((rect.x + rect.width) as f64 * rx).round() as u32).clamp(x0 + 1, fw);
        let y1 = (((rect.y + rect.height) as f64 * ry).round() as u32).clamp(y0 + 1, fh);
        Rect::new(x0, y0, x1 - x0, y1 - y0)
    }

    /// Lets every copy go (the size stays, for later rectangles).
    pub fn clear(&mut self) {
        self.frames = Vec::new();
    }

    /// Whether every frame pushed has its own copy.
    pub fn is_whole(&self) -> bool {
        self.stride == 1
    }
}

/// A placement found on the stores' copies in full-resolution pixels. A scale within the
/// copies' precision of 1 (half a copy pixel over the content's width) is 1.
pub fn placement_to_full(p: &Placement, fg: &LumaStore, bg: &LumaStore) -> Placement {
    let mut full = rescale(p, fg.to_full(p.content), bg.ratio().0 / fg.ratio().0, bg.ratio());
    if (full.scale - 1.0).abs() <= 0.5 / p.content.width.max(1) as f64 {
        full.scale = 1.0;
        full.width = full.content.width;
        full.height = full.content.height;
    }
    full
}

/// `p` with content box `content`, its scale times `scale_factor`, and bg positions times
/// `(fx, fy)`.
fn rescale(p: &Placement, content: Rect, scale_factor: f64, (fx, fy): (f64, f64)) -> Placement {
    p.with_box(content, p.scale * scale_factor, p.x_subpixel * fx, p.y_subpixel * fy)
}

/// The rounded mean of each `K` column sums (one copy row).
fn block_means<const K: usize>(sums: &[u16], out: &mut [u8], divide: Reciprocal) {
    for (o, block) in out.iter_mut().zip(sums.chunks_exact(K)) {
        let mut sum = 0u32;
        for &s in block {
            sum += s as u32;
        }
        *o = divide.rounded(sum) as u8;
    }
}

/// Rounded division of a block's sum by its pixel count, by a multiplication: a division per
/// copy pixel was most of the box average's time. Exact (the test compares every sum): for
/// sums under 2^24 and divisors under 2^16, the reciprocal's error stays under 2^-16, less than
/// the distance 1/divisor from a quotient's fraction to the next integer.
#[derive(Debug, Clone, Copy)]
struct Reciprocal {
    multiplier: u64,
    half: u32,
}

impl Reciprocal {
    const SHIFT: u32 = 40;

    fn new(divisor: u32) -> Reciprocal {
        debug_assert!((1..1 << 16).contains(&divisor));
        Reciprocal { multiplier: (1u64 << Self::SHIFT).div_ceil(divisor as u64), half: divisor / 2 }
    }

    /// `(sum + divisor / 2) / divisor`, for sums under 2^24.
    fn rounded(self, sum: u32) -> u32 {
        (((sum + self.half) as u64 * self.multiplier) >> Self::SHIFT) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reciprocal_divides_every_block_sum_exactly() {
        for k in (1..=24).chain([31, 32, 64, 255]) {
            let area = k * k;
            let divide = Reciprocal::new(area);
            let step = if k > 32 { 97 } else { 1 };
            for sum in (0..=255 * area).step_by(step).chain([255 * area]) {
                assert_eq!(divide.rounded(sum), (sum + area / 2) / area, "sum {sum}, k {k}");
            }
        }
    }

    #[test]
    fn copies_shrink_to_the_start_size_and_halve_within_the_floor() {
        let f = FrameBuf::new(PixelFormat::I420, 1920, 1080).unwrap();
        let mut s = LumaStore::new(1920, 1080, shrink_for(1920, 1080, START_PIXELS));
        s.push(&f.as_frame(), 0.0).unwrap();
        assert_eq!(s.frame_bytes(), 960 * 540);
        let mut halvings = 0;
        while s.halved_pixels() >= FLOOR_PIXELS {
            s.halve().unwrap();
            halvings += 1;
        }
        assert_eq!(halvings, 2);
        assert_eq!(s.frame_bytes(), 240 * 135);
        assert!((s.frame_bytes()..s.frame_bytes() + 64 * 136).contains(&s.bytes()), "{}", s.bytes());
        assert_eq!(s.frame(0).0.width(), 240);
    }

    #[test]
    fn thinning_keeps_every_stride_th_frame_and_every_time() {
        let f = FrameBuf::new(PixelFormat::Gray8, 8, 8).unwrap();
        let mut s = LumaStore::new(8, 8, 1);
        for j in 0..5 {
            s.push(&f.as_frame(), j as f64).unwrap();
        }
        s.thin();
        assert_eq!((s.len(), s.stride()), (3, 2));
        for j in 5..11 {
            s.push(&f.as_frame(), j as f64).unwrap();
        }
        // Frames 0, 2, 4, 6, 8, 10 kept; times of all eleven.
        assert_eq!(s.len(), 6);
        assert_eq!((0..s.len()).map(|k| s.frame(k).1).collect::<Vec<_>>(), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!((s.frames_pushed(), s.seconds_of(7)), (11, 7.0));
        assert_eq!((s.nearest_copy(3), s.nearest_copy(10)), (2, 5));
        s.thin();
        assert_eq!((0..s.len()).map(|k| s.frame(k).1).collect::<Vec<_>>(), [0.0, 4.0, 8.0]);
        assert!(!s.is_whole());
    }

    #[test]
    fn rectangles_map_both_ways() {
        let s = LumaStore::new(1920, 1080, 2);
        let r = Rect::new(480, 270, 960, 540);
        assert_eq!(s.to_stored(r), Rect::new(240, 135, 480, 270));
        assert_eq!(s.to_full(s.to_stored(r)), r);
        // A rectangle smaller than a stored pixel still covers one.
        let tiny = LumaStore::new(16, 16, 8).to_stored(Rect::new(3, 3, 1, 1));
        assert!(tiny.width >= 1 && tiny.height >= 1);
    }

    #[test]
    fn a_copy_is_the_area_mean() {
        let mut f = FrameBuf::new(PixelFormat::Gray8, 4, 2).unwrap();
        f.row_mut(0, 0).copy_from_slice(&[0, 100, 200, 200]);
        f.row_mut(0, 1).copy_from_slice(&[100, 200, 0, 0]);
        let mut s = LumaStore::new(4, 2, 1);
        s.push(&f.as_frame(), 0.0).unwrap();
        s.halve().unwrap();
        assert_eq!(s.frame(0).0.row(0, 0), &[100, 100]);
    }

    /// Every block width the integer paths take (unrolled 2, 4, 8; any up to 16 in 16 bits;
    /// wider in 32 bits): each copy pixel the rounded mean of its block.
    #[test]
    fn box_averages_are_the_rounded_block_means() {
        for k in [2u32, 3, 4, 5, 8, 16, 17, 20] {
            let (w, h) = (7u32, 3u32);
            let mut f = FrameBuf::new(PixelFormat::Gray8, w * k, h * k).unwrap();
            for y in 0..(h * k) as usize {
                for (x, p) in f.row_mut(0, y).iter_mut().enumerate() {
                    *p = if (x + y) % 5 == 0 { 255 } else { ((x * 31 + y * 17) % 256) as u8 };
                }
            }
            let mut s = LumaStore::new(w * k, h * k, k);
            s.push(&f.as_frame(), 0.0).unwrap();
            let copy = s.frame(0).0;
            for (cy, cx) in (0..h as usize).flat_map(|y| (0..w as usize).map(move |x| (y, x))) {
                let k = k as usize;
                let sum: u32 = (cy * k..(cy + 1) * k)
                    .map(|y| f.as_frame().row(0, y)[cx * k..(cx + 1) * k].iter().map(|&v| v as u32).sum::<u32>())
                    .sum();
                let n = (k * k) as u32;
                assert_eq!(copy.row(0, cy)[cx] as u32, (sum + n / 2) / n, "k {k} at ({cx}, {cy})");
            }
        }
    }
}
