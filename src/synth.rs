//! A deterministic procedural video generator that makes fg/bg pairs with known truth.
//!
//! The world is an endless textured plane (multi-octave value noise) with a few moving blobs,
//! filmed by a camera that follows a schedule of shots: pans, static stretches (identical frames)
//! and cuts to another part of the world. bg films the world at its frame rate; fg films a
//! rectangle of bg's view (placement `x, y, scale`) at its own frame rate and start time,
//! optionally graded, with jittered timestamps, letterboxed, or with inserted footage that bg
//! does not have. Everything is a pure function of the spec, so any frame can be rendered on
//! demand and the truth (which bg frame belongs under each fg frame) is exact.
//!
//! Used by the tests, the benches and `vidkompy demo`.

use crate::frame::{FrameBuf, PixelFormat, TimeBase};

/// Side of the tileable world texture.
const TEX: usize = 1024;
/// Time base of generated fg timestamps (90 kHz, as MPEG-TS).
pub const FG_TIME_BASE: TimeBase = TimeBase { num: 1, den: 90000 };

/// Colour grade applied to fg: `out = ((in/255)^gamma - 0.5) * contrast + 0.5 + brightness`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub brightness: f64,
    pub contrast: f64,
    pub gamma: f64,
}

impl Grade {
    pub const NONE: Grade = Grade { brightness: 0.0, contrast: 1.0, gamma: 1.0 };

    fn apply(&self, luma: f64) -> f64 {
        let v = (luma / 255.0).clamp(0.0, 1.0).powf(self.gamma);
        (((v - 0.5) * self.contrast + 0.5 + self.brightness) * 255.0).clamp(0.0, 255.0)
    }
}

/// Everything that defines a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct PairSpec {
    pub seed: u64,
    pub bg_width: u32,
    pub bg_height: u32,
    pub bg_fps: f64,
    pub bg_frames: usize,
    /// fg frame size (including letterbox bars).
    pub fg_width: u32,
    pub fg_height: u32,
    /// Where fg's content sits in bg: bg pixel = (x, y) + fg pixel * scale.
    pub x: f64,
    pub y: f64,
    pub scale: f64,
    pub fg_fps: f64,
    pub fg_frames: usize,
    /// bg time (seconds) shown by fg frame 0. Negative: fg starts before bg.
    pub fg_start: f64,
    /// Timestamp jitter of fg frames, as a fraction of fg's frame period (variable frame rate).
    pub fg_jitter: f64,
    pub grade: Grade,
    /// Black bars: rows at top and bottom, columns left and right of fg's content.
    pub letterbox: (u32, u32),
    /// Foreign footage inserted into fg: (first fg frame, number of frames). bg resumes after it.
    pub insert: Option<(usize, usize)>,
    /// Per-pixel noise amplitude on fg (like re-encoding), in grey levels.
    pub fg_noise: f64,
}

impl PairSpec {
    /// The placement benches' pair: a 1280×720 crop of a 1920×1080 bg at (311, 173), graded;
    /// fg frame i shows bg frame i.
    pub fn placement_bench() -> PairSpec {
        PairSpec {
            bg_width: 1920,
            bg_height: 1080,
            fg_width: 1280,
            fg_height: 720,
            x: 311.0,
            y: 173.0,
            fg_start: 0.0,
            bg_frames: 10,
            fg_frames: 10,
            grade: Grade { brightness: 0.05, contrast: 1.1, gamma: 0.95 },
            ..PairSpec::default()
        }
    }
}

impl Default for PairSpec {
    fn default() -> PairSpec {
        PairSpec {
            seed: 1,
            bg_width: 320,
            bg_height: 180,
            bg_fps: 25.0,
            bg_frames: 250,
            fg_width: 192,
            fg_height: 108,
            x: 64.0,
            y: 36.0,
            scale: 1.0,
            fg_fps: 25.0,
            fg_frames: 150,
            fg_start: 2.0,
            fg_jitter: 0.0,
            grade: Grade::NONE,
            letterbox: (0, 0),
            insert: None,
            fg_noise: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Shot {
    start: f64,
    end: f64,
    origin: (f64, f64),
    velocity: (f64, f64),
    /// Static shots freeze everything: their frames are identical pictures.
    frozen: bool,
}

/// A generated pair: render frames on demand and ask for the truth.
pub struct SyntheticPair {
    pub spec: PairSpec,
    texture: Vec<f32>,
    shots: Vec<Shot>,
    foreign: Vec<Shot>,
}

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

fn hash2(seed: u64, x: i64, y: i64) -> f64 {
    let mut r = Rng(seed ^ (x as u64).wrapping_mul(0x9E3779B97F4A7C15) ^ (y as u64).wrapping_mul(0xC2B2AE3D27D4EB4F));
    r.next_u64();
    r.unit()
}

fn make_texture(seed: u64) -> Vec<f32> {
    let mut tex = vec![0f32; TEX * TEX];
    // Octaves from 64 px down to 4 px cells, tileable because the lattice wraps.
    let octaves = [(64usize, 0.45), (32, 0.25), (16, 0.15), (8, 0.1), (4, 0.05)];
    for (o, &(cell, amp)) in octaves.iter().enumerate() {
        let n = TEX / cell;
        let s = seed.wrapping_add(o as u64 * 7919);
        let lattice: Vec<f64> = (0..n * n).map(|k| hash2(s, (k % n) as i64, (k / n) as i64)).collect();
        let at = |gx: usize, gy: usize| lattice[(gy % n) * n + gx % n];
        for y in 0..TEX {
            let (gy, fy) = (y / cell, (y % cell) as f64 / cell as f64);
            let sy = fy * fy * (3.0 - 2.0 * fy);
            for x in 0..TEX {
                let (gx, fx) = (x / cell, (x % cell) as f64 / cell as f64);
                let sx = fx * fx * (3.0 - 2.0 * fx);
                let top = at(gx, gy) * (1.0 - sx) + at(gx + 1, gy) * sx;
                let bottom = at(gx, gy + 1) * (1.0 - sx) + at(gx + 1, gy + 1) * sx;
                tex[y * TEX + x] += (amp * (top * (1.0 - sy) + bottom * sy)) as f32;
            }
        }
    }
    for v in &mut tex {
        *v = (*v * 255.0).clamp(0.0, 255.0);
    }
    tex
}

fn make_shots(rng: &mut Rng, total: f64) -> Vec<Shot> {
    let mut shots = Vec::new();
    let mut t = -60.0;
    while t < total + 60.0 {
        let len = rng.range(1.5, 4.5);
        let frozen = rng.unit() < 0.2;
        let speed = if frozen { 0.0 } else { rng.range(15.0, 90.0) };
        let angle = rng.range(0.0, std::f64::consts::TAU);
        shots.push(Shot {
            start: t,
            end: t + len,
            origin: (rng.range(0.0, TEX as f64), rng.range(0.0, TEX as f64)),
            velocity: (speed * angle.cos(), speed * angle.sin()),
            frozen,
        });
        t += len;
    }
    shots
}

impl SyntheticPair {
    pub fn new(spec: PairSpec) -> SyntheticPair {
        let mut rng = Rng(spec.seed);
        let texture = make_texture(spec.seed);
        let total = (spec.bg_frames as f64 / spec.bg_fps).max(spec.fg_start + spec.fg_frames as f64 / spec.fg_fps);
        let shots = make_shots(&mut rng, total);
        let foreign = make_shots(&mut Rng(spec.seed ^ 0xdead_beef), total);
        SyntheticPair { spec, texture, shots, foreign }
    }

    fn shot_at(shots: &[Shot], t: f64) -> &Shot {
        let i = shots.partition_point(|s| s.end <= t).min(shots.len() - 1);
        &shots[i]
    }

    /// The scene time whose picture a time shows: frozen shots map every time to their start.
    fn picture_time(shots: &[Shot], t: f64) -> f64 {
        let s = Self::shot_at(shots, t);
        if s.frozen { s.start } else { t }
    }

    fn sample_texture(&self, x: f64, y: f64) -> f64 {
        let (fx, fy) = (x.floor(), y.floor());
        let (ax, ay) = (x - fx, y - fy);
        let m = TEX as i64;
        let xi = (fx as i64).rem_euclid(m) as usize;
        let yi = (fy as i64).rem_euclid(m) as usize;
        let x1 = (xi + 1) % TEX;
        let y1 = (yi + 1) % TEX;
        let t = &self.texture;
        let top = t[yi * TEX + xi] as f64 * (1.0 - ax) + t[yi * TEX + x1] as f64 * ax;
        let bottom = t[y1 * TEX + xi] as f64 * (1.0 - ax) + t[y1 * TEX + x1] as f64 * ax;
        top * (1.0 - ay) + bottom * ay
    }

    /// Luma of bg-view pixel (x, y) (fractional) at scene time t.
    fn luma_at(&self, shots: &[Shot], x: f64, y: f64, t: f64) -> f64 {
        let shot = Self::shot_at(shots, t);
        let dt = if shot.frozen { 0.0 } else { t - shot.start };
        let wx = shot.origin.0 + shot.velocity.0 * dt + x;
        let wy = shot.origin.1 + shot.velocity.1 * dt + y;
        let mut v = self.sample_texture(wx, wy);
        // Two blobs moving across the view give motion inside pans and slow shots alike.
        for k in 0..2 {
            let phase = shot.origin.0 * 0.01 + k as f64 * 2.1;
            let (cx, cy) = (
                self.spec.bg_width as f64 * (0.5 + 0.35 * (phase + 0.9 * dt).sin()),
                self.spec.bg_height as f64 * (0.5 + 0.35 * (phase * 1.3 + 1.4 * dt).cos()),
            );
            let r2 = ((x - cx).powi(2) + (y - cy).powi(2)) / (0.02 * (self.spec.bg_width as f64).powi(2));
            v += (if k == 0 { 90.0 } else { -90.0 }) * (-r2).exp();
        }
        v.clamp(0.0, 255.0)
    }

    /// Seconds of bg frame j.
    pub fn bg_time(&self, j: usize) -> f64 {
        j as f64 / self.spec.bg_fps
    }

    /// fg frame i's timestamp in seconds (jittered when the spec asks for VFR).
    pub fn fg_time(&self, i: usize) -> f64 {
        let period = 1.0 / self.spec.fg_fps;
        let jitter = if self.spec.fg_jitter > 0.0 && i > 0 {
            (hash2(self.spec.seed ^ 0x5eed, i as i64, 0) - 0.5) * self.spec.fg_jitter * period
        } else {
            0.0
        };
        i as f64 * period + jitter
    }

    /// fg frame i's pts in [`FG_TIME_BASE`].
    pub fn fg_pts(&self, i: usize) -> i64 {
        (self.fg_time(i) * FG_TIME_BASE.den as f64).round() as i64
    }

    /// bg frame j's pts in a 1/bg_fps time base where possible (else 90 kHz).
    pub fn bg_pts(&self, j: usize) -> (i64, TimeBase) {
        ((self.bg_time(j) * 90000.0).round() as i64, TimeBase::new(1, 90000))
    }

    fn inserted(&self, i: usize) -> bool {
        matches!(self.spec.insert, Some((a, n)) if i >= a && i < a + n)
    }

    /// The bg scene time fg frame i shows (None for inserted foreign footage).
    fn fg_scene_time(&self, i: usize) -> Option<f64> {
        if self.inserted(i) {
            return None;
        }
        let skipped = match self.spec.insert {
            Some((a, n)) if i >= a + n => self.fg_time(a + n) - self.fg_time(a),
            _ => 0.0,
        };
        Some(self.spec.fg_start + self.fg_time(i) - skipped)
    }

    fn shot_index(shots: &[Shot], t: f64) -> usize {
        shots.partition_point(|s| s.end <= t).min(shots.len() - 1)
    }

    /// The bg frame that belongs under fg frame i, or None when bg has no such frame: the bg
    /// frame nearest in time that shows the same shot (a frame across a cut shows other
    /// content, however near in time).
    pub fn truth(&self, i: usize) -> Option<usize> {
        let t = self.fg_scene_time(i)?;
        // Before bg's first or after its last frame, a frozen shot still shows bg's picture.
        let last = self.spec.bg_frames - 1;
        for edge in [0, last] {
            let outside = if edge == 0 { t < self.bg_time(0) } else { t > self.bg_time(last) };
            if outside && Self::picture_time(&self.shots, t) == Self::picture_time(&self.shots, self.bg_time(edge)) {
                return Some(edge);
            }
        }
        let shot = Self::shot_index(&self.shots, t);
        let pos = t * self.spec.bg_fps;
        let nearest = pos.round();
        let mut best: Option<(f64, usize)> = None;
        for j in [nearest - 1.0, nearest, nearest + 1.0] {
            if j < 0.0 || j as usize >= self.spec.bg_frames {
                continue;
            }
            let j = j as usize;
            if Self::shot_index(&self.shots, self.bg_time(j)) != shot {
                continue;
            }
            let d = (j as f64 - pos).abs();
            if d <= 1.0 && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, j));
            }
        }
        best.map(|(_, j)| j)
    }

    /// Whether bg frame j is a right answer for fg frame i: the truth, a frame with the
    /// identical picture, or — when fg's time falls within 10 % of a frame period of the midpoint
    /// between two bg frames of the same shot — either of the two (a tie no picture can break).
    pub fn accepts(&self, i: usize, j: usize) -> bool {
        let Some(truth) = self.truth(i) else {
            // Within 1.5 frame periods before bg's first (after its last) frame, bg's edge frame
            // is what any compositor shows under fg (outside frames hold it too), and the picture
            // there differs from bg's edge by little more than from a neighbouring frame:
            // matching it is not an error.
            let Some(t) = self.fg_scene_time(i) else { return false };
            let pos = t * self.spec.bg_fps;
            let last = self.spec.bg_frames - 1;
            return (j == 0 && pos >= -1.501) || (j == last && pos <= last as f64 + 1.501);
        };
        if self.bg_same_picture(j, truth) {
            return true;
        }
        let t = self.fg_scene_time(i).expect("truth exists");
        let pos = t * self.spec.bg_fps;
        (j as f64 - pos).abs() <= 0.6
            && Self::shot_index(&self.shots, self.bg_time(j)) == Self::shot_index(&self.shots, t)
    }

    /// Whether two bg frames show the identical picture (same frozen shot, or the same frame).
    pub fn bg_same_picture(&self, a: usize, b: usize) -> bool {
        a == b || Self::picture_time(&self.shots, self.bg_time(a)) == Self::picture_time(&self.shots, self.bg_time(b))
    }

    /// Renders bg frame j as I420.
    pub fn bg_frame(&self, j: usize) -> FrameBuf {
        let (w, h) = (self.spec.bg_width, self.spec.bg_height);
        let t = self.bg_time(j);
        let mut buf = FrameBuf::new(PixelFormat::I420, w, h).expect("spec sizes are valid");
        for y in 0..h as usize {
            let row = buf.row_mut(0, y);
            for (x, px) in row.iter_mut().enumerate() {
                *px = self.luma_at(&self.shots, x as f64, y as f64, t).round() as u8;
            }
        }
        self.fill_chroma(&mut buf, &self.shots, t, |x, y| (x, y));
        let (pts, tb) = self.bg_pts(j);
        buf.pts = pts;
        buf.time_base = tb;
        buf
    }

    /// Renders fg frame i as I420: bg's view through the placement, graded, with noise and bars.
    pub fn fg_frame(&self, i: usize) -> FrameBuf {
        let s = &self.spec;
        let (w, h) = (s.fg_width, s.fg_height);
        let (lb_rows, lb_cols) = s.letterbox;
        let mut buf = FrameBuf::new(PixelFormat::I420, w, h).expect("spec sizes are valid");
        let (shots, t) = match self.fg_scene_time(i) {
            Some(t) => (&self.shots, t),
            None => (&self.foreign, self.fg_time(i)),
        };
        let to_bg = |u: f64, v: f64| {
            (s.x + (u - lb_cols as f64 + 0.5) * s.scale - 0.5, s.y + (v - lb_rows as f64 + 0.5) * s.scale - 0.5)
        };
        for v in 0..h as usize {
            let inside_rows = v as u32 >= lb_rows && (v as u32) < h - lb_rows;
            let row = buf.row_mut(0, v);
            for (u, px) in row.iter_mut().enumerate() {
                let inside = inside_rows && u as u32 >= lb_cols && (u as u32) < w - lb_cols;
                *px = if inside {
                    let (bx, by) = to_bg(u as f64, v as f64);
                    let luma = s.grade.apply(self.luma_at(shots, bx, by, t));
                    let noise = (hash2(s.seed ^ i as u64, u as i64, v as i64) - 0.5) * 2.0 * s.fg_noise;
                    (luma + noise).round().clamp(0.0, 255.0) as u8
                } else {
                    16
                };
            }
        }
        self.fill_chroma(&mut buf, shots, t, to_bg);
        buf.pts = self.fg_pts(i);
        buf.time_base = FG_TIME_BASE;
        buf
    }

    fn fill_chroma(&self, buf: &mut FrameBuf, shots: &[Shot], t: f64, to_bg: impl Fn(f64, f64) -> (f64, f64)) {
        let (cw, ch) = (buf.width().div_ceil(2) as usize, buf.height().div_ceil(2) as usize);
        for plane in 1..3 {
            for cy in 0..ch {
                let row = buf.row_mut(plane, cy);
                for (cx, px) in row.iter_mut().enumerate().take(cw) {
                    let (bx, by) = to_bg(2.0 * cx as f64 + 0.5, 2.0 * cy as f64 + 0.5);
                    let shot = Self::shot_at(shots, t);
                    let dt = if shot.frozen { 0.0 } else { t - shot.start };
                    let wx = shot.origin.0 + shot.velocity.0 * dt + bx + plane as f64 * 300.0;
                    let wy = shot.origin.1 + shot.velocity.1 * dt + by;
                    *px = (128.0 + (self.sample_texture(wx * 0.5, wy * 0.5) - 128.0) * 0.5).round() as u8;
                }
            }
        }
    }
}

/// One stream of a pair as a frame source, rendered on demand (one frame buffer reused per
/// call; rendering time is kept so callers can leave it out of their timings).
pub struct SyntheticStream<'a> {
    pair: &'a SyntheticPair,
    fg: bool,
    next: usize,
    frame: Option<FrameBuf>,
    /// Milliseconds spent rendering so far.
    pub render_ms: f64,
}

impl SyntheticPair {
    /// The fg frames as a source.
    pub fn fg_stream(&self) -> SyntheticStream<'_> {
        SyntheticStream { pair: self, fg: true, next: 0, frame: None, render_ms: 0.0 }
    }

    /// The bg frames as a source.
    pub fn bg_stream(&self) -> SyntheticStream<'_> {
        SyntheticStream { pair: self, fg: false, next: 0, frame: None, render_ms: 0.0 }
    }
}

impl crate::session::FrameSource for SyntheticStream<'_> {
    fn next_frame(&mut self) -> crate::error::Result<Option<crate::frame::FrameRef<'_>>> {
        let count = if self.fg { self.pair.spec.fg_frames } else { self.pair.spec.bg_frames };
        if self.next >= count {
            return Ok(None);
        }
        let t = std::time::Instant::now();
        let i = self.next;
        self.frame = Some(if self.fg { self.pair.fg_frame(i) } else { self.pair.bg_frame(i) });
        self.render_ms += t.elapsed().as_secs_f64() * 1e3;
        self.next += 1;
        Ok(self.frame.as_ref().map(FrameBuf::as_frame))
    }
}
