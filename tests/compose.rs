//! Composition in every pixel format against a simple reference: the pasted region carries
//! fg's picture, everything else is bg untouched, clipping, odd offsets, scaling and feather.

use vidkompy::compose::{ComposeScratch, PasteSpec, compose};
use vidkompy::frame::wide_rgba;
use vidkompy::{ColorMatrix, FrameBuf, FrameRef, PixelFormat, Rect};

/// A frame of `format` whose luma is `f(x, y)` (8-bit scale), grey chroma.
fn frame(format: PixelFormat, w: u32, h: u32, f: impl Fn(usize, usize) -> u8) -> FrameBuf {
    let mut buf = FrameBuf::new(format, w, h).unwrap();
    for y in 0..h as usize {
        let row = buf.row_mut(0, y);
        for x in 0..w as usize {
            let v = f(x, y);
            match format {
                PixelFormat::P010 => row[2 * x..2 * x + 2].copy_from_slice(&((v as u16) << 8).to_le_bytes()),
                PixelFormat::Rgba | PixelFormat::Bgra => row[4 * x..4 * x + 4].copy_from_slice(&[v, v, v, 255]),
                f if f.is_wide_rgba() => {
                    for (c, n) in [v as f32 / 255.0, v as f32 / 255.0, v as f32 / 255.0, 1.0].into_iter().enumerate() {
                        wide_rgba::write_channel(row, x, c, f, n);
                    }
                }
                PixelFormat::Rgb24 => row[3 * x..3 * x + 3].copy_from_slice(&[v, v, v]),
                f if f.bit_depth() == 10 => row[2 * x..2 * x + 2].copy_from_slice(&((v as u16) << 2).to_le_bytes()),
                _ => row[x] = v,
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
        PixelFormat::Gray8 => full(row[x]),
        PixelFormat::P010 => u16::from_le_bytes([row[2 * x], row[2 * x + 1]]) as f64 / 256.0,
        PixelFormat::Rgba | PixelFormat::Bgra => full(row[4 * x + 1]),
        f if f.is_wide_rgba() => 16.0 + wide_rgba::read(row, x, f)[1] as f64 * 219.0,
        PixelFormat::Rgb24 => full(row[3 * x + 1]),
        f if f.bit_depth() == 10 => u16::from_le_bytes([row[2 * x], row[2 * x + 1]]) as f64 / 4.0,
        _ => row[x] as f64,
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

/// Writes a code value (at the format's depth) into plane `p` at sample (x, y).
fn put(buf: &mut FrameBuf, p: usize, x: usize, y: usize, code: u16) {
    let format = buf.format();
    let row = buf.row_mut(p, y);
    match format.sample_bytes() {
        1 => row[x] = code as u8,
        _ => {
            let v = if format == PixelFormat::P010 { code << 6 } else { code };
            row[2 * x..2 * x + 2].copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// Reads a code value (at the format's depth) from plane `p` at sample (x, y).
fn get(f: &FrameRef<'_>, p: usize, x: usize, y: usize) -> u16 {
    let row = f.row(p, y);
    match f.format().sample_bytes() {
        1 => row[x] as u16,
        _ => {
            let v = u16::from_le_bytes([row[2 * x], row[2 * x + 1]]);
            if f.format() == PixelFormat::P010 { v >> 6 } else { v }
        }
    }
}

/// A planar or semi-planar YUV frame with luma `l(x, y)` and chroma `c(plane, cx, cy)` as code
/// values (plane 1 = U, 2 = V; semi-planar formats interleave them).
fn yuv_frame(
    format: PixelFormat,
    w: u32,
    h: u32,
    l: impl Fn(usize, usize) -> u16,
    c: impl Fn(usize, usize, usize) -> u16,
) -> FrameBuf {
    let mut buf = FrameBuf::new(format, w, h).unwrap();
    for y in 0..h as usize {
        for x in 0..w as usize {
            put(&mut buf, 0, x, y, l(x, y));
        }
    }
    let (hs, vs) = format.chroma_shift();
    let (cw, ch) = ((w as usize).div_ceil(1 << hs), (h as usize).div_ceil(1 << vs));
    for cy in 0..ch {
        for cx in 0..cw {
            for p in 1..3 {
                if format.is_semi_planar() {
                    put(&mut buf, 1, 2 * cx + p - 1, cy, c(p, cx, cy));
                } else {
                    put(&mut buf, p, cx, cy, c(p, cx, cy));
                }
            }
        }
    }
    buf
}

fn paste(bg: &FrameBuf, fg: &FrameBuf, spec: &PasteSpec) -> FrameBuf {
    let mut out = FrameBuf::new(bg.format(), bg.width(), bg.height()).unwrap();
    compose(&bg.as_frame(), &fg.as_frame(), spec, &mut ComposeScratch::default(), &mut out.as_frame_mut()).unwrap();
    out.color = bg.color;
    out
}

#[test]
fn ten_bit_composites_keep_every_bit_and_p010_rounds_like_i420p10() {
    let luma = |x: usize, y: usize| (64 + (x * 37 + y * 11) % 877) as u16;
    let chroma = |p: usize, x: usize, y: usize| (300 + p * 50 + (x * 13 + y * 7) % 301) as u16;
    let (fw, fh) = (24u32, 16u32);
    let make = |format| {
        let fg = yuv_frame(format, fw, fh, luma, chroma);
        let bg = yuv_frame(format, 48, 32, |x, y| (100 + x + y) as u16, |_, _, _| 512);
        (fg, bg)
    };
    // Scale 1 at an odd offset (the general path): every pasted luma sample is fg's, all 10 bits.
    for format in [PixelFormat::I420P10, PixelFormat::P010, PixelFormat::I422P10, PixelFormat::I444P10] {
        let (fg, bg) = make(format);
        let out = paste(&bg, &fg, &spec(7, 5, fw, fh, Rect::full(fw, fh)));
        for y in 0..fh as usize {
            for x in 0..fw as usize {
                assert_eq!(get(&out.as_frame(), 0, x + 7, y + 5), luma(x, y), "{format} luma at ({x}, {y})");
            }
        }
    }
    // Scaled by 0.75: P010 and I420P10 give the same code values everywhere.
    let scaled = spec(7, 5, 18, 12, Rect::full(fw, fh));
    let (fg_a, bg_a) = make(PixelFormat::I420P10);
    let (fg_b, bg_b) = make(PixelFormat::P010);
    let (a, b) = (paste(&bg_a, &fg_a, &scaled), paste(&bg_b, &fg_b, &scaled));
    for y in 0..32 {
        for x in 0..48 {
            assert_eq!(get(&a.as_frame(), 0, x, y), get(&b.as_frame(), 0, x, y), "luma ({x}, {y})");
        }
    }
    for cy in 0..16 {
        for cx in 0..24 {
            assert_eq!(get(&a.as_frame(), 1, cx, cy), get(&b.as_frame(), 1, 2 * cx, cy), "U ({cx}, {cy})");
            assert_eq!(get(&a.as_frame(), 2, cx, cy), get(&b.as_frame(), 1, 2 * cx + 1, cy), "V ({cx}, {cy})");
        }
    }
}

#[test]
fn chroma_of_422_and_444_in_8_and_10_bits_lands_on_its_samples() {
    for format in [PixelFormat::I422, PixelFormat::I444, PixelFormat::I422P10, PixelFormat::I444P10] {
        let k = if format.bit_depth() == 10 { 4 } else { 1 };
        let chroma = move |p: usize, x: usize, y: usize| ((40 + p * 60 + x * 3 + y * 5) * k) as u16;
        let (fw, fh) = (16u32, 10u32);
        let fg = yuv_frame(format, fw, fh, |x, y| ((50 + x + y) * k) as u16, chroma);
        let bg = yuv_frame(format, 40, 30, |_, _| (80 * k) as u16, |_, _, _| (128 * k) as u16);
        let (px, py) = (8usize, 6usize);
        let out = paste(&bg, &fg, &spec(px as i32, py as i32, fw, fh, Rect::full(fw, fh)));
        let (hs, _) = format.chroma_shift();
        for cy in 0..30 {
            for cx in 0..(40 >> hs) {
                let (x, y) = (cx << hs, cy);
                let inside = x >= px && x < px + fw as usize && y >= py && y < py + fh as usize;
                for p in 1..3 {
                    let want = if inside { chroma(p, (x - px) >> hs, y - py) } else { (128 * k) as u16 };
                    assert_eq!(get(&out.as_frame(), p, cx, cy), want, "{format} plane {p} at ({cx}, {cy})");
                }
            }
        }
    }
}

#[test]
fn full_range_fg_maps_onto_limited_range_bg_and_back() {
    use vidkompy::frame::{ColorRange, FrameColor};
    let full = FrameColor { range: ColorRange::Full, ..FrameColor::default() };
    let (fw, fh) = (8u32, 4u32);
    let mut fg = yuv_frame(PixelFormat::I420, fw, fh, |x, _| if x < 4 { 0 } else { 255 }, |_, _, _| 128);
    fg.color = full;
    let bg = yuv_frame(PixelFormat::I420, 16, 8, |_, _| 100, |_, _, _| 128);
    let out = paste(&bg, &fg, &spec(4, 2, fw, fh, Rect::full(fw, fh)));
    assert_eq!((get(&out.as_frame(), 0, 4, 2), get(&out.as_frame(), 0, 11, 2)), (16, 235));
    // A limited-range fg onto a full-range bg: 16 and 235 become 0 and 255.
    let fg = yuv_frame(PixelFormat::I420, fw, fh, |x, _| if x < 4 { 16 } else { 235 }, |_, _, _| 128);
    let mut bg = yuv_frame(PixelFormat::I420, 16, 8, |_, _| 100, |_, _, _| 128);
    bg.color = full;
    let out = paste(&bg, &fg, &spec(4, 2, fw, fh, Rect::full(fw, fh)));
    assert_eq!((get(&out.as_frame(), 0, 4, 2), get(&out.as_frame(), 0, 11, 2)), (0, 255));
    assert_eq!(get(&out.as_frame(), 0, 0, 0), 100, "bg outside fg is untouched");
}

#[test]
fn an_fg_in_another_matrix_is_converted_to_bg_s() {
    use vidkompy::frame::FrameColor;
    // Limited-range 8-bit Y'CbCr of an RGB colour under a matrix (Kr, Kb).
    let ycbcr = |(kr, kb): (f64, f64), [r, g, b]: [f64; 3]| {
        let y = kr * r + (1.0 - kr - kb) * g + kb * b;
        let (cb, cr) = ((b - y) / (2.0 * (1.0 - kb)), (r - y) / (2.0 * (1.0 - kr)));
        [16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr].map(|v| v.round() as u16)
    };
    let rgb = [200.0 / 255.0, 30.0 / 255.0, 90.0 / 255.0];
    let (bt601, bt709) = ((0.299, 0.114), (0.2126, 0.0722));
    let src = ycbcr(bt601, rgb);
    let want = ycbcr(bt709, rgb);
    assert_ne!(src, want, "the matrices must differ on this colour");
    let mut fg = yuv_frame(PixelFormat::I444, 8, 8, |_, _| src[0], |p, _, _| src[p]);
    fg.color = FrameColor { matrix: Some(ColorMatrix::Bt601), ..FrameColor::default() };
    let mut bg = yuv_frame(PixelFormat::I444, 16, 16, |_, _| 60, |_, _, _| 128);
    bg.color = FrameColor { matrix: Some(ColorMatrix::Bt709), ..FrameColor::default() };
    let out = paste(&bg, &fg, &spec(4, 4, 8, 8, Rect::full(8, 8)));
    for (p, want) in want.into_iter().enumerate() {
        let got = get(&out.as_frame(), p, 6, 6);
        assert!(got.abs_diff(want) <= 1, "plane {p}: {got} vs {want}");
    }
}

/// An RGBA fg with alpha: the left columns transparent, the middle half covered, the right
/// opaque, in 8-bit, 16-bit, half and float RGBA, over YUV, RGBA and float bg. Straight alpha
/// shows bg, the blend, and fg; premultiplied colour gives the same; without a description
/// the alpha is not read; and scaled, the alpha scales with fg.
#[test]
fn rgba_fg_is_pasted_with_its_alpha() {
    use vidkompy::frame::{AlphaMode, FrameColor};
    let (fw, fh) = (12u32, 6u32);
    let alpha_at = |x: usize| [0u8, 128, 255][x / 4];
    let fg_formats = [PixelFormat::Rgba, PixelFormat::Rgba64, PixelFormat::RgbaF16, PixelFormat::RgbaF32];
    for (bg_fmt, fg_fmt) in [PixelFormat::I420, PixelFormat::Rgba, PixelFormat::I444P10, PixelFormat::RgbaF32]
        .into_iter()
        .flat_map(|b| fg_formats.map(|f| (b, f)))
    {
        let rgba = |premultiplied: bool| {
            let mut fg = FrameBuf::new(fg_fmt, fw, fh).unwrap();
            for y in 0..fh as usize {
                for x in 0..fw as usize {
                    let a = alpha_at(x);
                    let c = if premultiplied { (200 * a as u32 + 127) / 255 } else { 200 } as u8;
                    if fg_fmt == PixelFormat::Rgba {
                        fg.row_mut(0, y)[4 * x..4 * x + 4].copy_from_slice(&[c, c, c, a]);
                    } else {
                        for (k, v) in [c, c, c, a].into_iter().enumerate() {
                            wide_rgba::write_channel(fg.row_mut(0, y), x, k, fg_fmt, v as f32 / 255.0);
                        }
                    }
                }
            }
            fg
        };
        let bg = frame(bg_fmt, 24, 12, |_, _| 40);
        let at = |out: &FrameBuf, x: usize| luma(&out.as_frame(), 6 + x, 4);
        let (bg_luma, fg_luma) = (luma(&bg.as_frame(), 6, 4), 16.0 + 200.0 * 219.0 / 255.0);
        let mut results = Vec::new();
        for mode in [AlphaMode::Straight, AlphaMode::Premultiplied] {
            let mut fg = rgba(mode == AlphaMode::Premultiplied);
            fg.color = FrameColor { alpha: mode, ..FrameColor::default() };
            let out = paste(&bg, &fg, &spec(6, 3, fw, fh, Rect::full(fw, fh)));
            assert!((at(&out, 1) - bg_luma).abs() <= 1.0, "{bg_fmt} {fg_fmt} {mode:?}: transparent shows bg");
            let half = bg_luma + (fg_luma - bg_luma) * 128.0 / 255.0;
            assert!(
                (at(&out, 5) - half).abs() <= 1.5,
                "{bg_fmt} {fg_fmt} {mode:?}: half alpha {} vs {half}",
                at(&out, 5)
            );
            assert!((at(&out, 10) - fg_luma).abs() <= 1.0, "{bg_fmt} {fg_fmt} {mode:?}: opaque shows fg");
            results.push(out);
        }
        let (a, b) = (results[0].as_frame(), results[1].as_frame());
        for x in 0..24 {
            assert!(
                (luma(&a, x, 4) - luma(&b, x, 4)).abs() <= 1.0,
                "{bg_fmt} {fg_fmt}: premultiplied and straight agree"
            );
        }
        let ignored = paste(&bg, &rgba(false), &spec(6, 3, fw, fh, Rect::full(fw, fh)));
        assert!((at(&ignored, 1) - fg_luma).abs() <= 1.0, "{bg_fmt} {fg_fmt}: undescribed alpha is not read");
        // Twice the size: the transparent third of fg covers columns 6..14 of bg.
        let mut fg = rgba(false);
        fg.color = FrameColor { alpha: AlphaMode::Straight, ..FrameColor::default() };
        let big = paste(&bg, &fg, &spec(0, 0, 2 * fw, 2 * fh, Rect::full(fw, fh)));
        let got = |x: usize| luma(&big.as_frame(), x, 5);
        assert!((got(2) - bg_luma).abs() <= 1.0 && (got(22) - fg_luma).abs() <= 1.0, "{bg_fmt} {fg_fmt}: scaled alpha");
    }
}

/// Float RGBA: bg's samples outside 0..1 (and NaN) that fg does not cover keep their bytes,
/// also under fg's transparent pixels; fg's over-range is clipped to 1 where it is pasted.
#[test]
fn float_bg_keeps_what_fg_does_not_cover() {
    use vidkompy::frame::{AlphaMode, FrameColor};
    let mut bg = FrameBuf::new(PixelFormat::RgbaF32, 16, 8).unwrap();
    for y in 0..8 {
        for x in 0..16 {
            for (c, v) in [4.0, f32::NAN, -0.5, 1.0].into_iter().enumerate() {
                wide_rgba::write_channel(bg.row_mut(0, y), x, c, PixelFormat::RgbaF32, v);
            }
        }
    }
    let mut fg = FrameBuf::new(PixelFormat::RgbaF32, 8, 4).unwrap();
    for y in 0..4 {
        for x in 0..8 {
            let a = if x < 4 { 0.0 } else { 1.0 };
            for (c, v) in [2.0, 2.0, 2.0, a].into_iter().enumerate() {
                wide_rgba::write_channel(fg.row_mut(0, y), x, c, PixelFormat::RgbaF32, v);
            }
        }
    }
    fg.color = FrameColor { alpha: AlphaMode::Straight, ..FrameColor::default() };
    let out = paste(&bg, &fg, &spec(4, 2, 8, 4, Rect::full(8, 4)));
    let px = |x: usize, y: usize| out.as_frame().row(0, y)[x * 16..x * 16 + 16].to_vec();
    let original = bg.as_frame().row(0, 0)[..16].to_vec();
    assert_eq!(px(0, 0), original, "outside fg: bg's bytes");
    assert_eq!(px(5, 3), original, "under fg's transparent pixels: bg's bytes");
    let pasted = wide_rgba::read(out.as_frame().row(0, 3), 10, PixelFormat::RgbaF32);
    assert!(pasted[..3].iter().all(|&v| (v - 1.0).abs() < 1e-3), "fg's 2.0 clipped to 1: {pasted:?}");
    assert_eq!(pasted[3], 1.0, "bg's alpha kept");
}
