//! Frames as a C host describes them, from arbitrary bytes: format, size, strides and
//! timestamps are fuzzed; planes point into real memory whenever the description fits in a
//! megabyte (else only validation runs, which must not read them). Frames go through
//! validate, the analyzer, the compositor and locate. Every call answers a status; an
//! internal error (a caught panic) fails the target.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vidkompy::capi::*;

/// Largest plane memory the target allocates for one frame.
const MAX_BYTES: usize = 1 << 20;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(std::array::from_fn(|_| self.u8()))
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A frame description and the memory behind it (when it fits).
struct HostFrame {
    frame: VidkompyFrame,
    _memory: Vec<Vec<u8>>,
}

/// Row bytes and rows of plane `p` as the header documents them, or None for an unknown format.
fn plane_shape(format: i32, p: usize, w: usize, h: usize) -> Option<(usize, usize)> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    Some(match (format & 0xff, p) {
        (0, 0) | (1, 0) | (2, 0) => (w, h),
        (1, _) => (cw, ch),
        (2, 1) => (2 * cw, ch),
        (3, 0) | (4, 0) => (4 * w, h),
        (5, 0) => (3 * w, h),
        (6, 0) | (7, 0) => (2 * w, h),
        (6, _) => (2 * cw, ch),
        (7, 1) => (4 * cw, ch),
        (8, 0) | (9, _) => (w, h),
        (8, _) => (cw, h),
        (10, 0) | (11, _) => (2 * w, h),
        (10, _) => (2 * cw, h),
        (12, 0) | (13, 0) => (8 * w, h),
        (14, 0) => (16 * w, h),
        _ => return None,
    })
}

fn planes(format: i32) -> usize {
    match format & 0xff {
        1 | 6 | 8..=11 => 3,
        2 | 7 => 2,
        _ => 1,
    }
}

fn host_frame(b: &mut Bytes<'_>) -> HostFrame {
    let mut format = (b.u8() % 17) as i32 - 1; // -1 and 15 are unknown formats
    if b.u8() % 4 == 0 {
        // Colour bits: range and matrix 0..2 are defined, 3 is not; alpha 0..2 are defined
        // (on the RGBA formats), 3 is not.
        format |= ((b.u8() % 4) as i32) << 8 | ((b.u8() % 4) as i32) << 12 | ((b.u8() % 4) as i32) << 16;
    }
    let size = |b: &mut Bytes<'_>| -> i32 {
        match b.u8() % 8 {
            0 => b.i64() as i32,
            _ => (b.u8() % 72) as i32 - 2,
        }
    };
    let (width, height) = (size(b), size(b));
    let mut frame = VidkompyFrame {
        format,
        width,
        height,
        data: [std::ptr::null(); 4],
        stride: [0; 4],
        pts: if b.u8() % 16 == 0 { i64::MIN } else { (b.u8() as i64) - 8 },
        time_base_num: (b.u8() % 4) as i32 - 1,
        time_base_den: (b.u8() % 32) as i32 - 1,
    };
    let mut memory = Vec::new();
    let (w, h) = (width.max(0) as usize, height.max(0) as usize);
    for p in 0..planes(format) {
        let (row_bytes, rows) = plane_shape(format, p, w, h).unwrap_or((w, h));
        let stride: isize = match b.u8() % 8 {
            0 => b.i64() as isize,
            1 => -(row_bytes as isize) - (b.u8() % 8) as isize,
            2 => row_bytes as isize - 1,
            _ => row_bytes as isize + (b.u8() % 8) as isize,
        };
        frame.stride[p] = stride;
        let extent = rows.checked_sub(1).and_then(|r| r.checked_mul(stride.unsigned_abs())).and_then(|e| e.checked_add(row_bytes));
        match extent {
            Some(e) if e <= MAX_BYTES && b.u8() % 32 != 0 => {
                let buf = vec![b.u8(); e.max(1)];
                let row0 = if stride < 0 { e - row_bytes } else { 0 };
                frame.data[p] = buf[row0.min(buf.len() - 1)..].as_ptr();
                memory.push(buf);
            }
            _ => frame.data[p] = std::ptr::null(),
        }
    }
    HostFrame { frame, _memory: memory }
}

/// Whether every plane pointer of the frame points at the memory the description needs.
fn backed(f: &HostFrame) -> bool {
    (0..planes(f.frame.format)).all(|p| !f.frame.data[p].is_null())
}

fn ok_or_refused(status: i32) {
    assert!(status != VIDKOMPY_ERROR_INTERNAL, "internal error: {:?}", unsafe {
        std::ffi::CStr::from_ptr(vidkompy_last_error())
    });
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let mut analyzer = std::ptr::null_mut();
    let mut compositor = std::ptr::null_mut();
    // SAFETY: every frame handed over is either backed by memory of the size its description
    // needs, or given only to vidkompy_frame_validate (which must refuse it before reading);
    // handles are created and freed here.
    unsafe {
        assert_eq!(vidkompy_analyzer_new(std::ptr::null(), &mut analyzer), VIDKOMPY_OK);
        let json = c"{\"placement\": {\"x\": 2, \"y\": 1, \"width\": 6, \"height\": 4, \"scale\": 1, \"confidence\": 1, \"content\": [1, 1, 6, 4]}, \"temporal\": {\"fg_frames\": 3, \"bg_frames\": 4, \"map\": [0, 1, 3], \"outside\": [], \"confidence\": 1}}";
        let mut alignment = std::ptr::null_mut();
        assert_eq!(vidkompy_alignment_from_json(json.as_ptr(), &mut alignment), VIDKOMPY_OK);
        assert_eq!(vidkompy_compositor_new(alignment, std::ptr::null(), &mut compositor), VIDKOMPY_OK);
        let mut samples: Vec<HostFrame> = Vec::new();
        for _ in 0..16 {
            if b.is_empty() {
                break;
            }
            let op = b.u8() % 7;
            let f = host_frame(&mut b);
            let status = vidkompy_frame_validate(&f.frame);
            ok_or_refused(status);
            if !backed(&f) {
                continue;
            }
            let stream = (op % 2) as i32;
            match op {
                0 | 1 => ok_or_refused(vidkompy_analyzer_push(analyzer, stream, &f.frame)),
                2 | 3 => {
                    ok_or_refused(vidkompy_compositor_send(compositor, stream, &f.frame));
                    let mut out = std::mem::zeroed::<VidkompyFrame>();
                    ok_or_refused(vidkompy_compositor_receive(compositor, &mut out));
                }
                5 => {
                    // Random access: this frame as fg (or bg) with the last sample as the other,
                    // into a destination of the other's description (refused unless it fits).
                    if let Some(other) = samples.last() {
                        let (fg, bg) = if stream == 0 { (&f, other) } else { (other, &f) };
                        let mut memory: Vec<Vec<u8>> = bg._memory.clone();
                        let mut dst = bg.frame;
                        for (p, m) in memory.iter_mut().enumerate() {
                            let offset = bg.frame.data[p] as usize - bg._memory[p].as_ptr() as usize;
                            dst.data[p] = m.as_mut_ptr().add(offset);
                        }
                        let index = (b.u8() % 4) as usize;
                        let mut err = std::mem::zeroed::<VidkompyError>();
                        let status = vidkompy_composite(alignment, std::ptr::null(), index, &fg.frame, &bg.frame, &mut dst, &mut err);
                        ok_or_refused(status);
                        assert_eq!(err.status, status);
                    }
                }
                4 => {
                    let mut placement = std::mem::zeroed::<VidkompyPlacement>();
                    if let Some(bg) = samples.last() {
                        ok_or_refused(vidkompy_locate(std::ptr::null(), &f.frame, 1, &bg.frame, 1, &mut placement));
                    }
                    samples.push(f);
                }
                _ => {
                    let mut done = std::ptr::null_mut();
                    ok_or_refused(vidkompy_analyzer_finish(analyzer, &mut done));
                    vidkompy_alignment_free(&mut done);
                }
            }
        }
        vidkompy_compositor_free(&mut compositor);
        vidkompy_alignment_free(&mut alignment);
        vidkompy_analyzer_free(&mut analyzer);
    }
});
