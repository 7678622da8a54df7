//! Frame validation, layout (padding, negative strides, odd sizes), luma and the area filter.

use vidkompy::frame::{AreaResampler, FrameError, MAX_DIMENSION};
use vidkompy::{FrameBuf, FrameRef, PixelFormat, Plane, Rect};

/// Builds the planes of a frame with `pad` bytes of padding per row and a recognizable pattern.
fn planes_for(format: PixelFormat, w: u32, h: u32, pad: usize) -> Vec<(Vec<u8>, usize)> {
    (0..format.plane_count())
        .map(|p| {
            let (row_bytes, rows) = format.plane_size(p, w, h);
            let stride = row_bytes + pad;
            let data = (0..stride * rows).map(|i| ((i % stride) * 3 + (i / stride) * 7 + p) as u8).collect();
            (data, stride)
        })
        .collect()
}

#[test]
fn every_format_accepts_odd_sizes_padding_and_negative_strides() {
    for format in PixelFormat::ALL {
        for (w, h) in [(1, 1), (2, 2), (3, 5), (17, 9), (64, 36)] {
            for pad in [0usize, 6, 64] {
                // Strides are whole samples (4 bytes for float).
                let pad = pad.next_multiple_of(format.sample_bytes());
                let planes = planes_for(format, w, h, pad);
                let views: Vec<Plane> = planes.iter().map(|(d, s)| Plane::new(d, *s as isize)).collect();
                let f = FrameRef::new(format, w, h, &views).unwrap_or_else(|e| panic!("{format} {w}x{h}: {e}"));
                // Bottom-up: the same memory with a negative stride reads the rows in reverse.
                let flipped: Vec<Plane> = planes.iter().map(|(d, s)| Plane::new(d, -(*s as isize))).collect();
                let g = FrameRef::new(format, w, h, &flipped).unwrap();
                for p in 0..format.plane_count() {
                    let rows = format.plane_size(p, w, h).1;
                    for r in 0..rows {
                        assert_eq!(f.row(p, r), g.row(p, rows - 1 - r), "{format} plane {p} row {r}");
                        let (d, s) = &planes[p];
                        assert_eq!(f.row(p, r), &d[r * s..r * s + format.plane_size(p, w, h).0]);
                    }
                }
                // The same frame through the raw (C) constructor, top-down and bottom-up.
                let mut ptrs = [std::ptr::null::<u8>(); 4];
                let mut strides = [0isize; 4];
                let mut ptrs_up = [std::ptr::null::<u8>(); 4];
                let mut strides_up = [0isize; 4];
                for (i, (d, s)) in planes.iter().enumerate() {
                    let rows = format.plane_size(i, w, h).1;
                    ptrs[i] = d.as_ptr();
                    strides[i] = *s as isize;
                    ptrs_up[i] = d[(rows - 1) * s..].as_ptr();
                    strides_up[i] = -(*s as isize);
                }
                let raw = unsafe { FrameRef::from_raw(format, w, h, ptrs, strides) }.unwrap();
                let raw_up = unsafe { FrameRef::from_raw(format, w, h, ptrs_up, strides_up) }.unwrap();
                let rows = format.plane_size(0, w, h).1;
                for r in 0..rows {
                    assert_eq!(raw.row(0, r), f.row(0, r));
                    assert_eq!(raw_up.row(0, r), f.row(0, rows - 1 - r));
                }
            }
        }
    }
}

#[test]
fn every_invalid_case_has_its_own_error() {
    let data = vec![0u8; 4096];
    let p = |n: usize, s: isize| Plane::new(&data[..n], s);
    let i420 = PixelFormat::I420;
    let cases: Vec<(Result<FrameRef, FrameError>, FrameError)> = vec![
        (FrameRef::new(i420, 0, 4, &[p(16, 4), p(4, 2), p(4, 2)]), FrameError::ZeroSize { width: 0, height: 4 }),
        (FrameRef::new(i420, 4, 0, &[p(16, 4), p(4, 2), p(4, 2)]), FrameError::ZeroSize { width: 4, height: 0 }),
        (
            FrameRef::new(i420, MAX_DIMENSION + 1, 4, &[p(16, 4)]),
            FrameError::TooLarge { width: MAX_DIMENSION + 1, height: 4 },
        ),
        (
            FrameRef::new(i420, 4, 4, &[p(16, 4), p(4, 2)]),
            FrameError::WrongPlaneCount { format: i420, expected: 3, got: 2 },
        ),
        (
            FrameRef::new(i420, 4, 4, &[p(16, 3), p(4, 2), p(4, 2)]),
            FrameError::StrideTooSmall { plane: 0, stride: 3, row_bytes: 4 },
        ),
        (
            FrameRef::new(i420, 4, 4, &[p(16, 4), p(4, -1), p(4, 2)]),
            FrameError::StrideTooSmall { plane: 1, stride: -1, row_bytes: 2 },
        ),
        (
            FrameRef::new(i420, 4, 4, &[p(15, 4), p(4, 2), p(4, 2)]),
            FrameError::PlaneTooShort { plane: 0, needed: 16, got: 15 },
        ),
        (
            FrameRef::new(i420, 4, 4, &[p(16, 4), p(4, 2), p(3, 2)]),
            FrameError::PlaneTooShort { plane: 2, needed: 4, got: 3 },
        ),
        (
            FrameRef::new(PixelFormat::P010, 4, 4, &[p(64, 9), p(64, 8)]),
            FrameError::MisalignedStride { plane: 0, stride: 9, sample: 2 },
        ),
        (
            FrameRef::new(PixelFormat::Rgba, 4, 2, &[p(31, 16)]),
            FrameError::PlaneTooShort { plane: 0, needed: 32, got: 31 },
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got.unwrap_err(), want);
    }
    // Null planes can only come from C.
    let e = unsafe {
        FrameRef::from_raw(i420, 4, 4, [data.as_ptr(), std::ptr::null(), data.as_ptr(), std::ptr::null()], [4, 2, 2, 0])
    };
    assert_eq!(e.unwrap_err(), FrameError::NullPlane { plane: 1 });
    // Distinct messages, too.
    let msgs: std::collections::HashSet<String> = [
        FrameError::ZeroSize { width: 0, height: 1 }.to_string(),
        FrameError::TooLarge { width: 1, height: 99999 }.to_string(),
        FrameError::NullPlane { plane: 0 }.to_string(),
        FrameError::UnknownFormat(42).to_string(),
        FrameError::PlaneTooShort { plane: 0, needed: 2, got: 1 }.to_string(),
        FrameError::StrideTooSmall { plane: 0, stride: 1, row_bytes: 2 }.to_string(),
        FrameError::MisalignedStride { plane: 0, stride: 3, sample: 2 }.to_string(),
    ]
    .into_iter()
    .collect();
    assert_eq!(msgs.len(), 7);
}

#[test]
fn framebuf_is_aligned_black_and_copies() {
    for format in PixelFormat::ALL {
        let buf = FrameBuf::new(format, 33, 17).unwrap();
        for p in 0..format.plane_count() {
            assert_eq!(buf.plane(p).as_ptr() as usize % 64, 0, "{format} plane {p}");
            assert_eq!(buf.stride(p) % 64, 0);
        }
        let mut luma = vec![0u8; 33];
        let f = buf.as_frame();
        let y = f.luma_row(0, 0, &mut luma);
        let black = if format.is_yuv() && format != PixelFormat::Gray8 { 16 } else { 0 };
        assert!(y.iter().all(|&v| v == black), "{format}: {y:?}");
        let copy = FrameBuf::from_frame(&f).unwrap();
        assert_eq!(copy.as_frame().row(0, 16), f.row(0, 16));
    }
    assert!(FrameBuf::new(PixelFormat::I420, 0, 2).is_err());
}

#[test]
fn luma_of_rgb_formats_agrees() {
    let (r, g, b) = (200u8, 100u8, 50u8);
    let rgba = [r, g, b, 255];
    let bgra = [b, g, r, 255];
    let rgb = [r, g, b];
    let want = ((77 * r as u32 + 150 * g as u32 + 29 * b as u32 + 128) >> 8) as u8;
    for (fmt, px) in [(PixelFormat::Rgba, &rgba[..]), (PixelFormat::Bgra, &bgra[..]), (PixelFormat::Rgb24, &rgb[..])] {
        let f = FrameRef::new(fmt, 1, 1, &[Plane::new(px, px.len() as isize)]).unwrap();
        let mut s = [0u8; 1];
        assert_eq!(f.luma_row(0, 0, &mut s), &[want]);
    }
    // 10-bit formats: 800 (10 bits) -> 200 (8 bits).
    let p10 = 800u16.to_le_bytes();
    let y = [p10[0], p10[1]];
    let c = [0u8; 2];
    let f =
        FrameRef::new(PixelFormat::I420P10, 1, 1, &[Plane::new(&y, 2), Plane::new(&c, 2), Plane::new(&c, 2)]).unwrap();
    let mut s = [0u8; 1];
    assert_eq!(f.luma_row(0, 0, &mut s), &[200]);
    let hi = (800u16 << 6).to_le_bytes();
    let uv = [0u8; 4];
    let f = FrameRef::new(PixelFormat::P010, 1, 1, &[Plane::new(&hi, 2), Plane::new(&uv, 4)]).unwrap();
    assert_eq!(f.luma_row(0, 0, &mut s), &[200]);
}

/// Exact area average by brute force over a fine grid, for comparison.
fn reference_area(src: &[u8], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f64> {
    let mut out = vec![0.0; dw * dh];
    for oy in 0..dh {
        for ox in 0..dw {
            let (x0, x1) = (ox as f64 * sw as f64 / dw as f64, (ox + 1) as f64 * sw as f64 / dw as f64);
            let (y0, y1) = (oy as f64 * sh as f64 / dh as f64, (oy + 1) as f64 * sh as f64 / dh as f64);
            let mut acc = 0.0;
            for y in 0..sh {
                let wy = ((y + 1) as f64).min(y1) - (y as f64).max(y0);
                if wy <= 0.0 {
                    continue;
                }
                for x in 0..sw {
                    let wx = ((x + 1) as f64).min(x1) - (x as f64).max(x0);
                    if wx > 0.0 {
                        acc += wx * wy * src[y * sw + x] as f64;
                    }
                }
            }
            out[oy * dw + ox] = acc / ((x1 - x0) * (y1 - y0));
        }
    }
    out
}

#[test]
fn area_filter_matches_the_exact_average() {
    let (w, h) = (37usize, 23usize);
    let src: Vec<u8> = (0..w * h).map(|i| ((i * 37) ^ (i / 5)) as u8).collect();
    let frame = FrameRef::new(PixelFormat::Gray8, w as u32, h as u32, &[Plane::new(&src, w as isize)]).unwrap();
    for (rx, ry, rw, rh) in [(0, 0, 37, 23), (3, 2, 30, 17), (5, 7, 9, 4)] {
        for (dw, dh) in [(1, 1), (4, 3), (9, 4), (16, 16), (32, 32), (50, 30)] {
            let mut rs = AreaResampler::new(rw, rh, dw, dh);
            let mut out = vec![0f32; (dw * dh) as usize];
            rs.resample(&frame, Rect::new(rx, ry, rw, rh), &mut out);
            let sub: Vec<u8> = (0..rh as usize)
                .flat_map(|y| src[(ry as usize + y) * w + rx as usize..][..rw as usize].to_vec())
                .collect();
            let want = reference_area(&sub, rw as usize, rh as usize, dw as usize, dh as usize);
            for (i, (g, r)) in out.iter().zip(&want).enumerate() {
                assert!((*g as f64 - r).abs() < 1e-3, "rect {rw}x{rh} -> {dw}x{dh} at {i}: {g} vs {r}");
            }
        }
    }
}
