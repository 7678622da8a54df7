//! Frames: pixel formats, a borrowed strided view (`FrameRef`), an owned 64-byte-aligned buffer
//! (`FrameBuf`), luma access and the exact area-filter downsample every analysis step starts from.
//!
//! A `FrameRef` is validated once, when it is made; after that every row access is a plain,
//! bounds-checked slice of memory the frame is known to own, so no later code can read outside a
//! plane whatever the host passed in.
//!
//! Plane layout. Row `r` of a plane starts at `origin + r * stride` inside the plane's slice. For a
//! positive stride the origin is 0; for a negative stride (bottom-up images) the slice starts at the
//! lowest address, which is the *last* row, so the origin is `(rows - 1) * |stride|`.
//! 4:2:0 chroma planes have `ceil(width / 2)` × `ceil(height / 2)` samples (odd sizes are allowed).

use std::fmt;

/// Largest width or height accepted. Keeps every size product far from overflow.
pub const MAX_DIMENSION: u32 = 16384;

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
}

impl PixelFormat {
    pub const ALL: [PixelFormat; 12] = [
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
        }
    }

    /// The format [`PixelFormat::name`] names.
    pub fn from_name(name: &str) -> Option<PixelFormat> {
        PixelFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn plane_count(self) -> usize {
        match self {
            PixelFormat::Gray8 | PixelFormat::Rgba | PixelFormat::Bgra | PixelFormat::Rgb24 => 1,
            PixelFormat::Nv12 | PixelFormat::P010 => 2,
            _ => 3,
        }
    }

    /// Bits of one sample (10 for the 10-bit formats, else 8).
    pub fn bit_depth(self) -> u32 {
        match self {
            PixelFormat::I420P10 | PixelFormat::P010 | PixelFormat::I422P10 | PixelFormat::I444P10 => 10,
            _ => 8,
        }
    }

    /// Bytes of one sample (2 for the 10-bit formats).
    pub fn sample_bytes(self) -> usize {
        if self.bit_depth() > 8 { 2 } else { 1 }
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

    pub fn is_yuv(self) -> bool {
        !matches!(self, PixelFormat::Rgba | PixelFormat::Bgra | PixelFormat::Rgb24)
    }

    /// (bytes per row, rows) of a plane, without padding.
    pub fn plane_size(self, plane: usize, width: u32, height: u32) -> (usize, usize) {
        let (w, h) = (width as usize, height as usize);
        let (hs, vs) = self.chroma_shift();
        let (cw, ch) = (w.div_ceil(1 << hs), h.div_ceil(1 << vs));
        let s = self.sample_bytes();
        match (self, plane) {
            (PixelFormat::Rgba | PixelFormat::Bgra, 0) => (w * 4, h),
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

/// A frame's colour description: its range and YCbCr matrix (`None`: the settings' matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameColor {
    pub range: ColorRange,
    pub matrix: Option<ColorMatrix>,
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

/// Why a frame was rejected. Each invalid case has its own variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    UnknownFormat(i32),
    ZeroSize {
        width: u32,
        height: u32,
    },
    TooLarge {
        width: u32,
        height: u32,
    },
    WrongPlaneCount {
        format: PixelFormat,
        expected: usize,
        got: usize,
    },
    NullPlane {
        plane: usize,
    },
    /// A stride beyond `MAX_STRIDE`.
    StrideTooLarge {
        plane: usize,
        stride: isize,
    },
    /// A plane that, with its pointer and stride, would wrap around the address space.
    OutsideMemory {
        plane: usize,
        stride: isize,
    },
    StrideTooSmall {
        plane: usize,
        stride: isize,
        row_bytes: usize,
    },
    MisalignedStride {
        plane: usize,
        stride: isize,
    },
    PlaneTooShort {
        plane: usize,
        needed: usize,
        got: usize,
    },
    /// A frame whose format or size differs from the earlier frames of its stream.
    Mismatch {
        expected: String,
        got: String,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::UnknownFormat(v) => write!(f, "unknown pixel format {v}"),
            FrameError::ZeroSize { width, height } => write!(f, "zero size {width}x{height}"),
            FrameError::TooLarge { width, height } => {
                write!(f, "size {width}x{height} exceeds the maximum of {MAX_DIMENSION} per side")
            }
            FrameError::WrongPlaneCount { format, expected, got } => {
                write!(f, "format {format} has {expected} plane(s), got {got}")
            }
            FrameError::NullPlane { plane } => write!(f, "plane {plane} is missing (null data)"),
            FrameError::StrideTooLarge { plane, stride } => {
                write!(f, "plane {plane}: stride {stride} is beyond the largest accepted ({MAX_STRIDE} bytes)")
            }
            FrameError::OutsideMemory { plane, stride } => {
                write!(f, "plane {plane}: with stride {stride} its rows would lie outside the address space")
            }
            FrameError::StrideTooSmall { plane, stride, row_bytes } => {
                write!(f, "plane {plane} stride {stride} is smaller than its row of {row_bytes} bytes")
            }
            FrameError::MisalignedStride { plane, stride } => {
                write!(f, "plane {plane} stride {stride} is odd but samples are 2 bytes")
            }
            FrameError::PlaneTooShort { plane, needed, got } => {
                write!(f, "plane {plane} has {got} bytes, needs {needed}")
            }
            FrameError::Mismatch { expected, got } => {
                write!(f, "frame changed mid-stream: expected {expected}, got {got}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// One plane of a frame: the bytes it spans and its stride (negative for bottom-up rows).
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    pub stride: isize,
}

impl<'a> Plane<'a> {
    pub fn new(data: &'a [u8], stride: isize) -> Plane<'a> {
        Plane { data, stride }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct PlaneView<'a> {
    data: &'a [u8],
    stride: isize,
    origin: usize,
    row_bytes: usize,
}

/// A validated, borrowed frame.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    format: PixelFormat,
    width: u32,
    height: u32,
    planes: [PlaneView<'a>; 4],
    pub pts: i64,
    pub time_base: TimeBase,
    pub color: FrameColor,
}

/// Checks width and height against the format's rules.
pub fn validate_size(width: u32, height: u32) -> Result<(), FrameError> {
    if width == 0 || height == 0 {
        return Err(FrameError::ZeroSize { width, height });
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(FrameError::TooLarge { width, height });
    }
    Ok(())
}

/// Largest row stride accepted, in bytes: far beyond any real picture's row (a 16384-pixel
/// RGBA row is 64 KiB), and small enough that a plane's extent cannot overflow.
pub const MAX_STRIDE: usize = 1 << 28;

/// Bytes a plane of `rows` rows with this stride must span (from its lowest to its highest
/// byte). `None` when the stride is beyond `MAX_STRIDE`. With `rows ≤ MAX_DIMENSION`, the
/// product is below 2⁴², so nothing here can overflow.
fn plane_extent(stride: isize, rows: usize, row_bytes: usize) -> Option<usize> {
    let step = stride.unsigned_abs();
    if step > MAX_STRIDE {
        return None;
    }
    rows.checked_sub(1)?.checked_mul(step)?.checked_add(row_bytes)
}

/// The lowest byte of a plane whose row 0 starts at `row0` (rows go down in memory when the
/// stride is negative), when the plane's `extent` bytes from there lie inside the address
/// space; `None` for a plane that would wrap around it (a bogus pointer or stride).
fn lowest_byte(row0: *const u8, stride: isize, rows: usize, extent: usize) -> Option<*const u8> {
    let below = if stride < 0 { (rows - 1) * stride.unsigned_abs() } else { 0 };
    let start = (row0 as usize).checked_sub(below)?;
    start.checked_add(extent)?;
    Some(row0.wrapping_sub(below))
}

fn check_stride(format: PixelFormat, plane: usize, stride: isize, row_bytes: usize) -> Result<(), FrameError> {
    if stride.unsigned_abs() < row_bytes {
        return Err(FrameError::StrideTooSmall { plane, stride, row_bytes });
    }
    if format.sample_bytes() == 2 && stride % 2 != 0 {
        return Err(FrameError::MisalignedStride { plane, stride });
    }
    Ok(())
}

impl<'a> FrameRef<'a> {
    /// Validates and wraps host memory. `planes` must hold exactly the format's planes.
    pub fn new(format: PixelFormat, width: u32, height: u32, planes: &[Plane<'a>]) -> Result<FrameRef<'a>, FrameError> {
        validate_size(width, height)?;
        if planes.len() != format.plane_count() {
            return Err(FrameError::WrongPlaneCount { format, expected: format.plane_count(), got: planes.len() });
        }
        let mut views = [PlaneView::default(); 4];
        for (i, p) in planes.iter().enumerate() {
            let (row_bytes, rows) = format.plane_size(i, width, height);
            check_stride(format, i, p.stride, row_bytes)?;
            let needed = plane_extent(p.stride, rows, row_bytes)
                .ok_or(FrameError::StrideTooLarge { plane: i, stride: p.stride })?;
            if p.data.len() < needed {
                return Err(FrameError::PlaneTooShort { plane: i, needed, got: p.data.len() });
            }
            let origin = if p.stride < 0 { (rows - 1) * p.stride.unsigned_abs() } else { 0 };
            views[i] = PlaneView { data: p.data, stride: p.stride, origin, row_bytes };
        }
        Ok(FrameRef {
            format,
            width,
            height,
            planes: views,
            pts: 0,
            time_base: TimeBase::NONE,
            color: FrameColor::default(),
        })
    }

    /// Wraps raw plane pointers as a C host passes them: `data[i]` points at the first byte of row 0
    /// of plane `i`, rows are `stride[i]` bytes apart (negative: rows go down in memory).
    /// Only the format's planes are read; the other entries are ignored.
    ///
    /// # Safety
    /// For each of the format's planes, every row `r` in `0..rows` must be readable for its row
    /// length at `data[i] + r * stride[i]`, and stay unmodified and alive for `'a`. Sizes and
    /// strides are validated here before any slice is formed, so a null pointer or a stride smaller
    /// than a row is an error, not undefined behaviour.
    pub unsafe fn from_raw(
        format: PixelFormat,
        width: u32,
        height: u32,
        data: [*const u8; 4],
        stride: [isize; 4],
    ) -> Result<FrameRef<'a>, FrameError> {
        validate_size(width, height)?;
        let mut planes = [Plane { data: &[], stride: 0 }; 4];
        for i in 0..format.plane_count() {
            let (row_bytes, rows) = format.plane_size(i, width, height);
            if data[i].is_null() {
                return Err(FrameError::NullPlane { plane: i });
            }
            check_stride(format, i, stride[i], row_bytes)?;
            let extent = plane_extent(stride[i], rows, row_bytes)
                .ok_or(FrameError::StrideTooLarge { plane: i, stride: stride[i] })?;
            let lowest = lowest_byte(data[i], stride[i], rows, extent)
                .ok_or(FrameError::OutsideMemory { plane: i, stride: stride[i] })?;
            // SAFETY: the caller guarantees every row of the plane is readable; `lowest` is the
            // start of the lowest row and `extent` ends at the end of the highest one, and the
            // stride check above makes rows that span exactly that range. `lowest_byte` checked
            // that the range lies within the address space; MAX_STRIDE and MAX_DIMENSION keep
            // `extent` far below isize::MAX.
            planes[i] = Plane { data: unsafe { std::slice::from_raw_parts(lowest, extent) }, stride: stride[i] };
        }
        FrameRef::new(format, width, height, &planes[..format.plane_count()])
    }

    pub fn with_pts(mut self, pts: i64, time_base: TimeBase) -> FrameRef<'a> {
        self.pts = pts;
        self.time_base = time_base;
        self
    }

    pub fn with_color(mut self, color: FrameColor) -> FrameRef<'a> {
        self.color = color;
        self
    }

    pub fn format(&self) -> PixelFormat {
        self.format
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Timestamp in seconds, if the frame carries one.
    pub fn seconds(&self) -> Option<f64> {
        self.time_base.seconds(self.pts)
    }

    /// Row `r` of plane `plane`, exactly its row length (no padding).
    #[inline]
    pub fn row(&self, plane: usize, r: usize) -> &'a [u8] {
        let p = &self.planes[plane];
        let start = (p.origin as isize + r as isize * p.stride) as usize;
        &p.data[start..start + p.row_bytes]
    }

    /// Pointer to the first byte of row 0 of a plane, and the plane's stride (for handing the
    /// frame to C).
    pub fn plane_origin(&self, plane: usize) -> (*const u8, isize) {
        let p = &self.planes[plane];
        (p.data[p.origin..].as_ptr(), p.stride)
    }

    /// "format WxH", used in mismatch messages.
    pub fn describe(&self) -> String {
        format!("{} {}x{}", self.format, self.width, self.height)
    }

    /// Luma of row `r`, columns `x0..x0 + out.len()`, as 8-bit. Y-plane formats are read directly
    /// when possible; RGB is converted with BT.601 weights (analysis is normalized, so the matrix
    /// only needs to be consistent).
    #[inline]
    pub fn luma_row<'s>(&self, r: usize, x0: usize, scratch: &'s mut [u8]) -> &'s [u8]
    where
        'a: 's,
    {
        let n = scratch.len();
        let row = self.row(0, r);
        match self.format {
            PixelFormat::Gray8 | PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::I422 | PixelFormat::I444 => {
                &row[x0..x0 + n]
            }
            PixelFormat::I420P10 | PixelFormat::I422P10 | PixelFormat::I444P10 => {
                for (o, s) in scratch.iter_mut().zip(row[x0 * 2..(x0 + n) * 2].chunks_exact(2)) {
                    *o = (u16::from_le_bytes([s[0], s[1]]).min(1023) >> 2) as u8;
                }
                scratch
            }
            PixelFormat::P010 => {
                for (o, s) in scratch.iter_mut().zip(row[x0 * 2..(x0 + n) * 2].chunks_exact(2)) {
                    *o = s[1];
                }
                scratch
            }
            PixelFormat::Rgba | PixelFormat::Rgb24 | PixelFormat::Bgra => {
                let bpp = if self.format == PixelFormat::Rgb24 { 3 } else { 4 };
                let (ri, bi) = if self.format == PixelFormat::Bgra { (2, 0) } else { (0, 2) };
                for (o, px) in scratch.iter_mut().zip(row[x0 * bpp..(x0 + n) * bpp].chunks_exact(bpp)) {
                    *o = ((77 * px[ri] as u32 + 150 * px[1] as u32 + 29 * px[bi] as u32 + 128) >> 8) as u8;
                }
                scratch
            }
        }
    }
}

/// A validated, mutably borrowed frame: where composition writes (a library-owned
/// [`FrameBuf`] or, zero-copy, a host's frame).
#[derive(Debug)]
pub struct FrameMut<'a> {
    format: PixelFormat,
    width: u32,
    height: u32,
    planes: [(&'a mut [u8], isize, usize, usize); 4],
}

impl<'a> FrameMut<'a> {
    /// Wraps writable host planes, laid out as for [`FrameRef::from_raw`].
    ///
    /// # Safety
    /// As for [`FrameRef::from_raw`], and the planes must be writable, not overlap one another,
    /// and not be accessed by anything else for `'a`.
    pub unsafe fn from_raw(
        format: PixelFormat,
        width: u32,
        height: u32,
        data: [*mut u8; 4],
        stride: [isize; 4],
    ) -> Result<FrameMut<'a>, FrameError> {
        // Validation (null planes, strides, sizes) is FrameRef's; it forms only shared views,
        // which end here before the mutable ones are made.
        // SAFETY: forwarded caller contract.
        unsafe { FrameRef::from_raw(format, width, height, data.map(|p| p as *const u8), stride) }?;
        let mut planes: [(&'a mut [u8], isize, usize, usize); 4] = Default::default();
        for i in 0..format.plane_count() {
            let (row_bytes, rows) = format.plane_size(i, width, height);
            let extent = plane_extent(stride[i], rows, row_bytes).expect("validated above");
            let origin = if stride[i] < 0 { (rows - 1) * stride[i].unsigned_abs() } else { 0 };
            let lowest = data[i].wrapping_sub(origin);
            // SAFETY: validated above exactly as FrameRef does (extent, address range); the caller guarantees the plane
            // is writable and exclusively ours for 'a.
            planes[i] = (unsafe { std::slice::from_raw_parts_mut(lowest, extent) }, stride[i], origin, row_bytes);
        }
        Ok(FrameMut { format, width, height, planes })
    }

    pub fn format(&self) -> PixelFormat {
        self.format
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Row `r` of plane `plane`, exactly its row length.
    #[inline]
    pub fn row_mut(&mut self, plane: usize, r: usize) -> &mut [u8] {
        let (data, stride, origin, row_bytes) = &mut self.planes[plane];
        let start = (*origin as isize + r as isize * *stride) as usize;
        &mut data[start..start + *row_bytes]
    }

    /// Copies a frame of the same format and size.
    pub fn copy_from(&mut self, src: &FrameRef<'_>) -> Result<(), FrameError> {
        if src.format() != self.format || src.width() != self.width || src.height() != self.height {
            return Err(FrameError::Mismatch {
                expected: format!("{} {}x{}", self.format, self.width, self.height),
                got: src.describe(),
            });
        }
        for i in 0..self.format.plane_count() {
            for r in 0..self.format.plane_size(i, self.width, self.height).1 {
                self.row_mut(i, r).copy_from_slice(src.row(i, r));
            }
        }
        Ok(())
    }
}

/// An owned frame with 64-byte-aligned planes and 64-byte-multiple strides.
#[derive(Clone)]
pub struct FrameBuf {
    format: PixelFormat,
    width: u32,
    height: u32,
    storage: Vec<u8>,
    /// Offset of the first aligned byte in `storage` (moving a Vec keeps its heap address).
    base: usize,
    offsets: [usize; 4],
    strides: [usize; 4],
    pub pts: i64,
    pub time_base: TimeBase,
    pub color: FrameColor,
}

impl fmt::Debug for FrameBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrameBuf({} {}x{})", self.format, self.width, self.height)
    }
}

impl FrameBuf {
    /// A frame filled with black (limited-range YUV black, opaque RGB black).
    pub fn new(format: PixelFormat, width: u32, height: u32) -> Result<FrameBuf, FrameError> {
        validate_size(width, height)?;
        let mut offsets = [0; 4];
        let mut strides = [0; 4];
        let mut total = 0;
        for i in 0..format.plane_count() {
            let (row_bytes, rows) = format.plane_size(i, width, height);
            strides[i] = row_bytes.next_multiple_of(64);
            offsets[i] = total;
            total += strides[i] * rows;
        }
        let storage = vec![0u8; total + 63];
        let base = storage.as_ptr().align_offset(64);
        let mut buf = FrameBuf {
            format,
            width,
            height,
            storage,
            base,
            offsets,
            strides,
            pts: 0,
            time_base: TimeBase::NONE,
            color: FrameColor::default(),
        };
        buf.fill_black();
        Ok(buf)
    }

    pub fn format(&self) -> PixelFormat {
        self.format
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn stride(&self, plane: usize) -> usize {
        self.strides[plane]
    }

    fn plane_len(&self, plane: usize) -> usize {
        self.strides[plane] * self.format.plane_size(plane, self.width, self.height).1
    }

    /// The whole plane, rows `stride(plane)` bytes apart.
    /// Bytes of heap the buffer holds.
    pub fn byte_size(&self) -> usize {
        self.storage.capacity()
    }

    pub fn plane(&self, plane: usize) -> &[u8] {
        let start = self.base + self.offsets[plane];
        &self.storage[start..start + self.plane_len(plane)]
    }

    pub fn plane_mut(&mut self, plane: usize) -> &mut [u8] {
        let start = self.base + self.offsets[plane];
        let len = self.plane_len(plane);
        &mut self.storage[start..start + len]
    }

    pub fn row_mut(&mut self, plane: usize, r: usize) -> &mut [u8] {
        let row_bytes = self.format.plane_size(plane, self.width, self.height).0;
        let stride = self.strides[plane];
        &mut self.plane_mut(plane)[r * stride..r * stride + row_bytes]
    }

    pub fn as_frame(&self) -> FrameRef<'_> {
        let mut views = [PlaneView::default(); 4];
        for (i, view) in views.iter_mut().enumerate().take(self.format.plane_count()) {
            let row_bytes = self.format.plane_size(i, self.width, self.height).0;
            *view = PlaneView { data: self.plane(i), stride: self.strides[i] as isize, origin: 0, row_bytes };
        }
        FrameRef {
            format: self.format,
            width: self.width,
            height: self.height,
            planes: views,
            pts: self.pts,
            time_base: self.time_base,
            color: self.color,
        }
    }

    /// A mutable view of the planes.
    pub fn as_frame_mut(&mut self) -> FrameMut<'_> {
        let mut planes: [(&mut [u8], isize, usize, usize); 4] = Default::default();
        let (format, width, height) = (self.format, self.width, self.height);
        let mut lens = [0usize; 4];
        for (i, len) in lens.iter_mut().enumerate().take(format.plane_count()) {
            *len = self.plane_len(i);
        }
        let mut rest = &mut self.storage[self.base..];
        for (i, &len) in lens.iter().enumerate().take(format.plane_count()) {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(len);
            planes[i] = (head, self.strides[i] as isize, 0, format.plane_size(i, width, height).0);
            rest = tail;
        }
        FrameMut { format, width, height, planes }
    }

    pub fn fill_black(&mut self) {
        let format = self.format;
        for i in 0..format.plane_count() {
            let plane = self.plane_mut(i);
            // Limited-range black: luma 16, chroma 128 (times 4 at 10 bits; P010 in the high bits).
            let (black, grey): (u16, u16) = match format {
                PixelFormat::P010 => (64 << 6, 512 << 6),
                f if f.bit_depth() == 10 => (64, 512),
                _ => (16, 128),
            };
            let value = if i == 0 { black } else { grey };
            match format {
                PixelFormat::Gray8 | PixelFormat::Rgb24 => plane.fill(0),
                PixelFormat::Rgba | PixelFormat::Bgra => {
                    for px in plane.chunks_exact_mut(4) {
                        px.copy_from_slice(&[0, 0, 0, 255]);
                    }
                }
                f if f.sample_bytes() == 2 => fill_u16(plane, value),
                _ => plane.fill(value as u8),
            }
        }
    }

    /// Copies a frame of the same format and size into this buffer.
    pub fn copy_from(&mut self, frame: &FrameRef<'_>) -> Result<(), FrameError> {
        self.as_frame_mut().copy_from(frame)?;
        self.pts = frame.pts;
        self.time_base = frame.time_base;
        self.color = frame.color;
        Ok(())
    }

    pub fn from_frame(frame: &FrameRef<'_>) -> Result<FrameBuf, FrameError> {
        let mut buf = FrameBuf::new(frame.format(), frame.width(), frame.height())?;
        buf.copy_from(frame)?;
        Ok(buf)
    }
}

fn fill_u16(plane: &mut [u8], value: u16) {
    for s in plane.chunks_exact_mut(2) {
        s.copy_from_slice(&value.to_le_bytes());
    }
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn new(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    pub fn full(width: u32, height: u32) -> Rect {
        Rect { x: 0, y: 0, width, height }
    }

    pub fn fits_in(&self, width: u32, height: u32) -> bool {
        self.width > 0
            && self.height > 0
            && self.x as u64 + self.width as u64 <= width as u64
            && self.y as u64 + self.height as u64 <= height as u64
    }
}

/// How one output sample of an area filter is formed from input samples along one axis:
/// `first` with weight `w_first`, the next `count - 2` with weight 1, the last with `w_last`.
#[derive(Debug, Clone, Copy)]
struct AreaTap {
    first: usize,
    count: usize,
    w_first: f32,
    w_last: f32,
}

fn area_taps(src: usize, dst: usize) -> Vec<AreaTap> {
    (0..dst)
        .map(|j| {
            // Exact rational bin edges, as f64 from integers: j*src/dst.
            let x0 = (j * src) as f64 / dst as f64;
            let x1 = ((j + 1) * src) as f64 / dst as f64;
            let first = x0.floor() as usize;
            let last = ((x1.ceil() as usize).max(first + 1) - 1).min(src - 1);
            let count = last - first + 1;
            if count == 1 {
                AreaTap { first, count, w_first: (x1 - x0) as f32, w_last: 0.0 }
            } else {
                AreaTap { first, count, w_first: ((first + 1) as f64 - x0) as f32, w_last: (x1 - last as f64) as f32 }
            }
        })
        .collect()
}

/// Exact area-filter resampler from a fixed source rectangle size to a fixed destination size,
/// reading luma. All buffers are allocated at construction; `resample` allocates nothing.
///
/// Vertical pass first: the source rows under one output row are summed, with their weights,
/// into a column accumulator (the SIMD `accumulate_row` kernel, one multiply-add per source
/// pixel); the horizontal bins then run once per output row instead of once per source row.
#[derive(Debug, Clone)]
pub struct AreaResampler {
    src_w: usize,
    src_h: usize,
    dst_w: usize,
    dst_h: usize,
    xtaps: Vec<AreaTap>,
    ytaps: Vec<AreaTap>,
    columns: Vec<f32>,
    luma: Vec<u8>,
    scale: f32,
}

impl AreaResampler {
    pub fn new(src_w: u32, src_h: u32, dst_w: u32, dst_h: u32) -> AreaResampler {
        assert!(src_w > 0 && src_h > 0 && dst_w > 0 && dst_h > 0, "resampler sizes must be positive");
        let (sw, sh, dw, dh) = (src_w as usize, src_h as usize, dst_w as usize, dst_h as usize);
        AreaResampler {
            src_w: sw,
            src_h: sh,
            dst_w: dw,
            dst_h: dh,
            xtaps: area_taps(sw, dw),
            ytaps: area_taps(sh, dh),
            columns: vec![0.0; sw],
            luma: vec![0; sw],
            scale: ((dw * dh) as f64 / (sw * sh) as f64) as f32,
        }
    }

    pub fn src_size(&self) -> (usize, usize) {
        (self.src_w, self.src_h)
    }

    pub fn dst_size(&self) -> (usize, usize) {
        (self.dst_w, self.dst_h)
    }

    /// Area-averages the luma of `rect` of `frame` into `out` (`dst_w * dst_h`, row-major, 0..255).
    pub fn resample(&mut self, frame: &FrameRef<'_>, rect: Rect, out: &mut [f32]) {
        assert_eq!(
            (rect.width as usize, rect.height as usize),
            (self.src_w, self.src_h),
            "rect size must match the resampler"
        );
        assert!(rect.fits_in(frame.width(), frame.height()), "rect must lie inside the frame");
        assert_eq!(out.len(), self.dst_w * self.dst_h);
        let accumulate = crate::kernels::active().accumulate_row;
        for (oy, ty) in self.ytaps.iter().enumerate() {
            self.columns.fill(0.0);
            for k in 0..ty.count {
                let wy = tap_weight(ty, k);
                let src_row = frame.luma_row(rect.y as usize + ty.first + k, rect.x as usize, &mut self.luma);
                accumulate(&mut self.columns, src_row, wy);
            }
            let out_row = &mut out[oy * self.dst_w..(oy + 1) * self.dst_w];
            for (o, tx) in out_row.iter_mut().zip(&self.xtaps) {
                let cols = &self.columns[tx.first..tx.first + tx.count];
                let mut sum = 0.0f32;
                for (k, c) in cols.iter().enumerate() {
                    sum += tap_weight(tx, k) * c;
                }
                *o = sum * self.scale;
            }
        }
    }
}

#[inline]
fn tap_weight(tap: &AreaTap, k: usize) -> f32 {
    if k == 0 {
        tap.w_first
    } else if k + 1 == tap.count {
        tap.w_last
    } else {
        1.0
    }
}
