//! What a frame's samples mean: pixel formats, colour range and matrix, time bases.

use super::*;

/// Pixel formats, as integers at the C boundary (`VIDKOMPY_PIXEL_FORMAT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum PixelFormat {
    /// One 8-bit luma plane.
    Gray8 = 0,
    /// yuv420p: Y, U, V planes; chroma subsampled 2×2.
    I420 = 1,
    /// Y plane, then one interleaved UV plane subsampled 2×2.
    Nv12 = 2,
    /// One plane of 4 bytes per pixel: R, G, B, A.
    Rgba = 3,
    /// One plane of 4 bytes per pixel: B, G, R, A.
    Bgra = 4,
    /// One plane of 3 bytes per pixel: R, G, B.
    Rgb24 = 5,
    /// yuv420p10le: like I420 with 16-bit little-endian samples holding 10 bits (low bits).
    I420P10 = 6,
    /// Like NV12 with 16-bit little-endian samples holding 10 bits in the high bits.
    P010 = 7,
    /// yuv422p: Y, U, V planes; chroma subsampled horizontally only.
    I422 = 8,
    /// yuv444p: Y, U, V planes at full resolution.
    I444 = 9,
    /// yuv422p10le: like I422 with 16-bit little-endian samples holding 10 bits (low bits).
    I422P10 = 10,
    /// yuv444p10le: like I444 with 16-bit little-endian samples holding 10 bits (low bits).
    I444P10 = 11,
    /// rgba64le: one plane of 8 bytes per pixel, R, G, B, A as 16-bit little-endian samples.
    Rgba64 = 12,
    /// One plane of R, G, B, A as IEEE half floats (little-endian), 0..1 (OpenFX's half RGBA).
    RgbaF16 = 13,
    /// One plane of R, G, B, A as IEEE single floats (little-endian), 0..1 (OpenFX's float RGBA).
    RgbaF32 = 14,
}

impl PixelFormat {
    pub const ALL: [PixelFormat; 15] = [
        PixelFormat::Gray8,
        PixelFormat::I420,
        PixelFormat::Nv12,
        PixelFormat::Rgba,
        PixelFormat::Bgra,
        PixelFormat::Rgb24,
        PixelFormat::I420P10,
        PixelFormat::P010,
        PixelFormat::I422,
        PixelFormat::I444,
        PixelFormat::I422P10,
        PixelFormat::I444P10,
        PixelFormat::Rgba64,
        PixelFormat::RgbaF16,
        PixelFormat::RgbaF32,
    ];

    pub fn from_raw(value: i32) -> Option<PixelFormat> {
        PixelFormat::ALL.into_iter().find(|f| *f as i32 == value)
    }

    pub fn name(self) -> &'static str {
        match self {
            PixelFormat::Gray8 => "gray8",
            PixelFormat::I420 => "i420",
            PixelFormat::Nv12 => "nv12",
            PixelFormat::Rgba => "rgba",
            PixelFormat::Bgra => "bgra",
            PixelFormat::Rgb24 => "rgb24",
            PixelFormat::I420P10 => "i420p10",
            PixelFormat::P010 => "p010",
            PixelFormat::I422 => "i422",
            PixelFormat::I444 => "i444",
            PixelFormat::I422P10 => "i422p10",
            PixelFormat::I444P10 => "i444p10",
            PixelFormat::Rgba64 => "rgba64",
            PixelFormat::RgbaF16 => "rgbaf16",
            PixelFormat::RgbaF32 => "rgbaf32",
        }
    }

    /// The format [`PixelFormat::name`] names.
    pub fn from_name(name: &str) -> Option<PixelFormat> {
        PixelFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn plane_count(self) -> usize {
        match self {
            PixelFormat::Gray8 | PixelFormat::Rgb24 => 1,
            f if f.has_alpha() => 1,
            PixelFormat::Nv12 | PixelFormat::P010 => 2,
            _ => 3,
        }
    }

    /// Bits of one sample (10 for the 10-bit formats, 16 for RGBA64 and half, 32 for float).
    pub fn bit_depth(self) -> u32 {
        match self {
            PixelFormat::I420P10 | PixelFormat::P010 | PixelFormat::I422P10 | PixelFormat::I444P10 => 10,
            PixelFormat::Rgba64 | PixelFormat::RgbaF16 => 16,
            PixelFormat::RgbaF32 => 32,
            _ => 8,
        }
    }

    /// Bytes of one sample (2 for the 10-bit, 16-bit and half formats, 4 for float).
    pub fn sample_bytes(self) -> usize {
        (self.bit_depth() as usize).div_ceil(8).next_power_of_two()
    }

    /// RGBA of more than 8 bits a sample (RGBA64, half, float): read and written as
    /// normalised floats (`frame::wide_rgba`).
    pub fn is_wide_rgba(self) -> bool {
        matches!(self, PixelFormat::Rgba64 | PixelFormat::RgbaF16 | PixelFormat::RgbaF32)
    }

    /// Chroma subsampling as (horizontal, vertical) shifts: (1, 1) for 4:2:0, (1, 0) for
    /// 4:2:2, (0, 0) for 4:4:4 and for formats without chroma planes.
    pub fn chroma_shift(self) -> (u32, u32) {
        match self {
            PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::I420P10 | PixelFormat::P010 => (1, 1),
            PixelFormat::I422 | PixelFormat::I422P10 => (1, 0),
            _ => (0, 0),
        }
    }

    /// Y, U and V in three planes (I420, I422, I444 and their 10-bit forms).
    pub fn is_planar_yuv(self) -> bool {
        self.plane_count() == 3
    }

    /// Chroma in one plane, U and V interleaved (NV12, P010).
    pub fn is_semi_planar(self) -> bool {
        matches!(self, PixelFormat::Nv12 | PixelFormat::P010)
    }

    /// Whether the format carries alpha (RGBA, BGRA and the wide RGBA formats).
    pub fn has_alpha(self) -> bool {
        matches!(self, PixelFormat::Rgba | PixelFormat::Bgra) || self.is_wide_rgba()
    }

    pub fn is_yuv(self) -> bool {
        !matches!(self, PixelFormat::Rgb24) && !self.has_alpha()
    }

    /// Bytes of a picture's planes, without padding.
    pub fn picture_bytes(self, width: u32, height: u32) -> usize {
        (0..self.plane_count()).map(|p| self.plane_size(p, width, height)).map(|(row, rows)| row * rows).sum()
    }

    /// (bytes per row, rows) of a plane, without padding.
    pub fn plane_size(self, plane: usize, width: u32, height: u32) -> (usize, usize) {
        let (w, h) = (width as usize, height as usize);
        let (hs, vs) = self.chroma_shift();
        let (cw, ch) = (w.div_ceil(1 << hs), h.div_ceil(1 << vs));
        let s = self.sample_bytes();
        match (self, plane) {
            (PixelFormat::Rgba | PixelFormat::Bgra, 0) => (w * 4, h),
            (f, 0) if f.is_wide_rgba() => (w * 4 * s, h),
            (PixelFormat::Rgb24, 0) => (w * 3, h),
            (_, 0) => (w * s, h),
            (PixelFormat::Nv12 | PixelFormat::P010, 1) => (cw * 2 * s, ch),
            (f, 1 | 2) if f.is_planar_yuv() => (cw * s, ch),
            _ => (0, 0),
        }
    }
}

impl fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a frame's sample values map to colour. Unspecified keeps the library's long-standing
/// reading: YUV limited range, RGB and gray full range, the matrix of the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorRange {
    #[default]
    Unspecified,
    /// Luma 16..235, chroma 16..240 (times 4 for 10 bits).
    Limited,
    /// Every code value (yuvj, JPEG).
    Full,
}

/// RGB <-> YUV matrix: a frame's YCbCr matrix, or the settings' default for frames that do not
/// say (used when fg and bg pixel formats differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ColorMatrix {
    Bt601 = 0,
    Bt709 = 1,
}

impl ColorMatrix {
    pub fn from_raw(v: i32) -> Option<ColorMatrix> {
        match v {
            0 => Some(ColorMatrix::Bt601),
            1 => Some(ColorMatrix::Bt709),
            _ => None,
        }
    }
}

/// What an RGBA or BGRA frame's fourth byte means when the frame is fg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlphaMode {
    /// Not read: fg covers its rectangle (the library's behaviour before alpha was read, kept
    /// for frames that do not say).
    #[default]
    Ignored,
    /// Straight (unassociated) alpha, FFmpeg's: colour as if opaque, alpha its coverage.
    Straight,
    /// Premultiplied (associated) alpha: colour already multiplied by alpha.
    Premultiplied,
}

/// A frame's colour description: its range and YCbCr matrix (`None`: the settings' matrix),
/// and what its alpha means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameColor {
    pub range: ColorRange,
    pub matrix: Option<ColorMatrix>,
    pub alpha: AlphaMode,
}

impl FrameColor {
    /// Whether the samples span every code value, once the format's default is applied.
    pub fn is_full_range(self, format: PixelFormat) -> bool {
        match self.range {
            ColorRange::Full => true,
            ColorRange::Limited => false,
            ColorRange::Unspecified => !format.is_yuv() || format == PixelFormat::Gray8,
        }
    }
}

/// A rational time base, as in FFmpeg (`pts * num / den` seconds). `den == 0` means "no timestamps".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeBase {
    pub num: i32,
    pub den: i32,
}

impl TimeBase {
    pub const NONE: TimeBase = TimeBase { num: 0, den: 0 };

    pub fn new(num: i32, den: i32) -> TimeBase {
        TimeBase { num, den }
    }

    pub fn is_valid(self) -> bool {
        self.num > 0 && self.den > 0
    }

    pub fn seconds(self, pts: i64) -> Option<f64> {
        self.is_valid().then(|| pts as f64 * self.num as f64 / self.den as f64)
    }
}
