//! RGBA of more than 8 bits a sample (RGBA64, half and single floats, as OpenFX hosts hand
//! them over): one pixel read and written as normalised floats, 0..1. Values outside 0..1
//! (float's over-range) are clipped where they are composited; the transfer (gamma, PQ, HLG)
//! is not interpreted, so an HDR picture's code values pass through as they are.

use super::PixelFormat;

/// IEEE half to single (every half is exact in a single: subnormals, infinities, NaN).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exponent = ((h >> 10) & 0x1f) as u32;
    let mantissa = (h & 0x3ff) as u32;
    let bits = match exponent {
        0 if mantissa == 0 => sign,
        // Subnormal: the value is mantissa * 2^-24, exact in a single.
        0 => {
            let v = mantissa as f32 / 16_777_216.0;
            return if sign != 0 { -v } else { v };
        }
        0x1f => sign | 0x7f80_0000 | (mantissa << 13),
        _ => sign | ((exponent + 112) << 23) | (mantissa << 13),
    };
    f32::from_bits(bits)
}

/// Single to IEEE half, rounded to nearest even; values beyond the half range become infinity.
pub fn f32_to_f16(v: f32) -> u16 {
    let bits = v.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exponent == 0xff {
        return sign | 0x7c00 | if mantissa != 0 { 0x200 } else { 0 };
    }
    let e = exponent - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Subnormal half (or zero): the value in units of 2^-24, rounded to nearest even.
        let units = (v.abs() * 16_777_216.0).round_ties_even() as u16;
        return sign | units;
    }
    let half = ((e as u32) << 10) | (mantissa >> 13);
    let rest = mantissa & 0x1fff;
    let round_up = rest > 0x1000 || (rest == 0x1000 && half & 1 == 1);
    sign | (half + round_up as u32) as u16
}

/// Pixel `x` of a row of a wide RGBA format as normalised R, G, B, A.
#[inline]
pub fn read(row: &[u8], x: usize, format: PixelFormat) -> [f32; 4] {
    match format {
        PixelFormat::Rgba64 => {
            let p = &row[x * 8..x * 8 + 8];
            [0, 2, 4, 6].map(|i| u16::from_le_bytes([p[i], p[i + 1]]) as f32 / 65535.0)
        }
        PixelFormat::RgbaF16 => {
            let p = &row[x * 8..x * 8 + 8];
            [0, 2, 4, 6].map(|i| f16_to_f32(u16::from_le_bytes([p[i], p[i + 1]])))
        }
        _ => {
            let p = &row[x * 16..x * 16 + 16];
            [0, 4, 8, 12].map(|i| f32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]))
        }
    }
}

/// Writes channel `c` (0..4) of pixel `x`, given normalised.
#[inline]
pub fn write_channel(row: &mut [u8], x: usize, c: usize, format: PixelFormat, value: f32) {
    match format {
        PixelFormat::Rgba64 => {
            let v = (value * 65535.0).round().clamp(0.0, 65535.0) as u16;
            row[x * 8 + 2 * c..x * 8 + 2 * c + 2].copy_from_slice(&v.to_le_bytes());
        }
        PixelFormat::RgbaF16 => row[x * 8 + 2 * c..x * 8 + 2 * c + 2].copy_from_slice(&f32_to_f16(value).to_le_bytes()),
        _ => row[x * 16 + 4 * c..x * 16 + 4 * c + 4].copy_from_slice(&value.to_le_bytes()),
    }
}

/// Luma of pixel `x` on the 8-bit scale the analysis reads, R'G'B' weighted as for 8-bit RGB.
#[inline]
pub fn luma8(row: &[u8], x: usize, format: PixelFormat) -> u8 {
    let [r, g, b, _] = read(row, x, format).map(|c| if c.is_nan() { 0.0 } else { c.clamp(0.0, 1.0) * 255.0 });
    ((77.0 * r + 150.0 * g + 29.0 * b) / 256.0).round().min(255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_half_converts_to_single_and_back() {
        for h in 0..=u16::MAX {
            let v = f16_to_f32(h);
            if v.is_nan() {
                assert!(f16_to_f32(f32_to_f16(v)).is_nan());
            } else {
                assert_eq!(f32_to_f16(v), h, "half {h:#06x} = {v}");
            }
        }
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0x3800), 0.5);
        assert_eq!(f32_to_f16(1.0 + 1.0 / 4096.0), 0x3c00, "ties to even");
        assert_eq!(f32_to_f16(1e6), 0x7c00, "beyond the range: infinity");
    }

    #[test]
    fn pixels_round_trip_in_each_format() {
        for format in [PixelFormat::Rgba64, PixelFormat::RgbaF16, PixelFormat::RgbaF32] {
            let mut row = vec![0u8; 3 * 16];
            let px = [0.25f32, 0.5, 1.0, 0.75];
            for (c, &v) in px.iter().enumerate() {
                write_channel(&mut row, 1, c, format, v);
            }
            let back = read(&row, 1, format);
            assert!(px.iter().zip(back).all(|(a, b)| (a - b).abs() < 1e-4), "{format}: {back:?}");
            assert_eq!(read(&row, 0, format), [0.0; 4], "{format}: the pixel before is untouched");
        }
    }
}
