//! Composition in every pixel format against a simple reference: the pasted region carries
//! fg's picture, everything else is bg untouched, clipping, odd offsets, scaling and feather.

use vidkompy::compose::{ComposeScratch, PasteSpec, compose};
use vidkompy::{ColorMatrix, FrameBuf, FrameRef, PixelFormat, Rect};

/// A frame of `format` whose luma is `f(x, y)` (8-bit scale), grey chroma.
fn frame(format: PixelFormat, w: u32, h: u32, f: impl Fn(usize, usize) -> u8) -> FrameBuf {
    let mut buf = FrameBuf::new(format, w, h).unwrap();
    for y in 0..h as usize {
        let row = buf.row_mut(0, y);
        for x in 0..w as usize {
            let v = f(x, y);
            match format {
                PixelFormat::Gray8 | PixelFormat::I420 | PixelFormat::Nv12 => row[x] = v,
                PixelFormat::I420P10 => row[2 * x..2 * x + 2].copy_from_slice(&((v as u16) << 2).to_le_bytes()),
                PixelFormat::P010 => row[2 * x..2 * x + 2].copy_from_slice(&((v as u16) << 8).to_le_bytes()),
                PixelFormat::Rgba | PixelFormat::Bgra => row[4 * x..4 * x + 4].copy_from_slice(&[v, v, v, 255]),
                PixelFormat::Rgb24 => row[3 * x..3 * x + 3].copy_from_slice(&[v, v, v]),
            }
        }
    }
    buf
}

/// Luma of a pixel on the 8-bit limited-range scale used by YUV formats (RGB and gray are
/// full range and are mapped the same way, so every format compares alike).
fn luma(f: &FrameRef<'_>, x: usize, y: usize) -> f64 {
    let row = f.row(0, y);
    let full = |v: u8| 16.0 + v as f64 * 219.0 / 255.0;
    match f.format() {
        PixelFormat::I420 | PixelFormat::Nv12 => row[x] as f64,
        PixelFormat::Gray8 => full(row[x]),
        PixelFormat::I420P10 => u16::from_le_bytes([row[2 * x], row[2 * x + 1]]) as f64 / 4.0,
        PixelFormat::P010 => u16::from_le_bytes([row[2 * x], row[2 * x + 1]]) as f64 / 256.0,
        PixelFormat::Rgba | PixelFormat::Bgra => full(row[4 * x + 1]),
        PixelFormat::Rgb24 => full(row[3 * x + 1]),
    }
}

fn spec(x: i32, y: i32, w: u32, h: u32, content: Rect) -> PasteSpec {
    PasteSpec { content, x, y, width: w, height: h, feather: 0, matrix: ColorMatrix::Bt709 }
}

#[test]
fn every_bg_format_and_every_fg_format() {
    let (bw, bh, fw, fh) = (40u32, 30u32, 16u32, 10u32);
    for bg_fmt in PixelFormat::ALL {
        for fg_fmt in PixelFormat::ALL {
            let bg = frame(bg_fmt, bw, bh, |x, y| (40 + x * 3 + y) as u8);
            let fg = frame(fg_fmt, fw, fh, |x, y| (120 + x * 5 + y * 3) as u8);
            let mut out = FrameBuf::new(bg_fmt, bw, bh).unwrap();
            let mut scratch = ComposeScratch::default();
            let (px, py) = (7, 5);
            compose(
                &bg.as_frame(),
                &fg.as_frame(),
                &spec(px, py, fw, fh, Rect::full(fw, fh)),
                &mut scratch,
                &mut out.as_frame_mut(),
            )
            .unwrap();
            let (o, b, f) = (out.as_frame(), bg.as_frame(), fg.as_frame());
            for y in 0..bh as usize {
                for x in 0..bw as usize {
                    let inside = x >= px as usize
                        && x < (px as u32 + fw) as usize
                        && y >= py as usize
                        && y < (py as u32 + fh) as usize;
                    let want = if inside { luma(&f, x - px as usize, y - py as usize) } else { luma(&b, x, y) };
                    let got = luma(&o, x, y);
                    assert!((got - want).abs() <= 1.5, "{fg_fmt} on {bg_fmt} at ({x}, {y}): {got} vs {want}");
                }
            }
        }
    }
}

#[test]
fn clipping_negative_and_odd_offsets() {
    let bg = frame(PixelFormat::I420, 20, 12, |_, _| 50);
    let fg = frame(PixelFormat::I420, 8, 6, |x, y| (100 + x + 10 * y) as u8);
    let mut scratch = ComposeScratch::default();
    for (px, py) in [(-3, -2), (15, 9), (-8, 0), (19, 11), (3, 5), (100, 100)] {
        let mut out = FrameBuf::new(PixelFormat::I420, 20, 12).unwrap();
        compose(
            &bg.as_frame(),
            &fg.as_frame(),
            &spec(px, py, 8, 6, Rect::full(8, 6)),
            &mut scratch,
            &mut out.as_frame_mut(),
        )
        .unwrap();
        let o = out.as_frame();
        for y in 0..12i32 {
            for x in 0..20i32 {
                let (u, v) = (x - px, y - py);
                let want = if (0..8).contains(&u) && (0..6).contains(&v) { (100 + u + 10 * v) as u8 } else { 50 };
                assert_eq!(o.row(0, y as usize)[x as usize], want, "offset ({px}, {py}) at ({x}, {y})");
            }
        }
    }
}

#[test]
fn content_rect_scaling_and_feather() {
    let bg = frame(PixelFormat::I420, 64, 48, |_, _| 60);
    // fg with 2-px bars; its content is a 2x2 checker of 100/200 blocks.
    let fg = frame(PixelFormat::I420, 20, 16, |x, y| {
        if !(2..18).contains(&x) || !(2..14).contains(&y) {
            16
        } else if ((x - 2) / 2 + (y - 2) / 2) % 2 == 0 {
            100
        } else {
            200
        }
    });
    let content = Rect::new(2, 2, 16, 12);
    let mut scratch = ComposeScratch::default();
    let mut out = FrameBuf::new(PixelFormat::I420, 64, 48).unwrap();
    // Half size: every 2x2 block averages to its value (area filter).
    compose(&bg.as_frame(), &fg.as_frame(), &spec(10, 10, 8, 6, content), &mut scratch, &mut out.as_frame_mut())
        .unwrap();
    let o = out.as_frame();
    assert_eq!(o.row(0, 10)[10], 100);
    assert_eq!(o.row(0, 10)[11], 200);
    assert_eq!(o.row(0, 9)[10], 60, "bars are not pasted");
    // Double size: bilinear keeps block centres.
    compose(&bg.as_frame(), &fg.as_frame(), &spec(0, 0, 32, 24, content), &mut scratch, &mut out.as_frame_mut())
        .unwrap();
    assert_eq!(out.as_frame().row(0, 0)[0], 100);
    // Feather: ramps on edges inside bg, hard on bg's border.
    let flat = frame(PixelFormat::I420, 16, 16, |_, _| 200);
    let mut s = spec(0, 20, 16, 16, Rect::full(16, 16));
    s.feather = 4;
    compose(&bg.as_frame(), &flat.as_frame(), &s, &mut scratch, &mut out.as_frame_mut()).unwrap();
    let o = out.as_frame();
    assert_eq!(o.row(0, 28)[0], 200, "left edge on bg's border stays hard");
    let ramp: Vec<u8> = (0..5).map(|k| o.row(0, 28)[15 - k]).collect();
    assert!(ramp[0] < ramp[1] && ramp[1] < ramp[2] && ramp[2] < ramp[3] && ramp[4] == 200, "{ramp:?}");
    let top: Vec<u8> = (0..5).map(|k| o.row(0, 20 + k)[8]).collect();
    assert!(top[0] < top[1] && top[3] < top[4], "{top:?}");
}

#[test]
fn bad_requests_are_errors() {
    let bg = frame(PixelFormat::I420, 20, 12, |_, _| 50);
    let fg = frame(PixelFormat::I420, 8, 6, |_, _| 90);
    let mut scratch = ComposeScratch::default();
    let mut wrong = FrameBuf::new(PixelFormat::Nv12, 20, 12).unwrap();
    assert!(
        compose(
            &bg.as_frame(),
            &fg.as_frame(),
            &spec(0, 0, 8, 6, Rect::full(8, 6)),
            &mut scratch,
            &mut wrong.as_frame_mut()
        )
        .is_err()
    );
    let mut out = FrameBuf::new(PixelFormat::I420, 20, 12).unwrap();
    assert!(
        compose(
            &bg.as_frame(),
            &fg.as_frame(),
            &spec(0, 0, 8, 6, Rect::new(2, 2, 8, 6)),
            &mut scratch,
            &mut out.as_frame_mut()
        )
        .is_err()
    );
    assert!(
        compose(
            &bg.as_frame(),
            &fg.as_frame(),
            &spec(0, 0, 0, 6, Rect::full(8, 6)),
            &mut scratch,
            &mut out.as_frame_mut()
        )
        .is_err()
    );
}

#[test]
fn same_format_even_offsets_copy_samples_exactly() {
    let mut bg = frame(PixelFormat::I420, 40, 30, |x, y| (x * 2 + y) as u8);
    let mut fg = frame(PixelFormat::I420, 16, 12, |x, y| (150 + x + y) as u8);
    for y in 0..15 {
        bg.row_mut(1, y).iter_mut().enumerate().for_each(|(x, v)| *v = (x * 3 + y) as u8);
    }
    for y in 0..6 {
        fg.row_mut(1, y).iter_mut().enumerate().for_each(|(x, v)| *v = (200 + x + 2 * y) as u8);
    }
    let mut scratch = ComposeScratch::default();
    for (px, py) in [(6, 4), (-4, -2), (30, 24)] {
        let mut out = FrameBuf::new(PixelFormat::I420, 40, 30).unwrap();
        compose(
            &bg.as_frame(),
            &fg.as_frame(),
            &spec(px, py, 16, 12, Rect::full(16, 12)),
            &mut scratch,
            &mut out.as_frame_mut(),
        )
        .unwrap();
        let (o, b, f) = (out.as_frame(), bg.as_frame(), fg.as_frame());
        for y in 0..30i32 {
            for x in 0..40i32 {
                let (u, v) = (x - px, y - py);
                let inside = (0..16).contains(&u) && (0..12).contains(&v);
                let want = if inside { f.row(0, v as usize)[u as usize] } else { b.row(0, y as usize)[x as usize] };
                assert_eq!(o.row(0, y as usize)[x as usize], want, "luma ({x}, {y}) at offset ({px}, {py})");
            }
        }
        for cy in 0..15i32 {
            for cx in 0..20i32 {
                let (u, v) = (cx - px / 2, cy - py / 2);
                let inside = (0..8).contains(&u) && (0..6).contains(&v);
                let want = if inside { f.row(1, v as usize)[u as usize] } else { b.row(1, cy as usize)[cx as usize] };
                assert_eq!(o.row(1, cy as usize)[cx as usize], want, "chroma ({cx}, {cy}) at offset ({px}, {py})");
            }
        }
    }
}
