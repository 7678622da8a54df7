//! Borrowed frames: `FrameRef` (read) and `FrameMut` (write) over a host's planes, with every
//! size and stride checked before use.

use super::*;

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
pub(super) struct PlaneView<'a> {
    pub(super) data: &'a [u8],
    pub(super) stride: isize,
    pub(super) origin: usize,
    pub(super) row_bytes: usize,
}

/// A validated, borrowed frame.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    pub(super) format: PixelFormat,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) planes: [PlaneView<'a>; 4],
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
pub(super) fn plane_extent(stride: isize, rows: usize, row_bytes: usize) -> Option<usize> {
    let step = stride.unsigned_abs();
    if step > MAX_STRIDE {
        return None;
    }
    rows.checked_sub(1)?.checked_mul(step)?.checked_add(row_bytes)
}

/// The lowest byte of a plane whose row 0 starts at `row0` (rows go down in memory when the
/// stride is negative), when the plane's `extent` bytes from there lie inside the address
/// space; `None` for a plane that would wrap around it (a bogus pointer or stride).
pub(super) fn lowest_byte(row0: *const u8, stride: isize, rows: usize, extent: usize) -> Option<*const u8> {
    let below = if stride < 0 { (rows - 1) * stride.unsigned_abs() } else { 0 };
    let start = (row0 as usize).checked_sub(below)?;
    start.checked_add(extent)?;
    Some(row0.wrapping_sub(below))
}

pub(super) fn check_stride(
    format: PixelFormat,
    plane: usize,
    stride: isize,
    row_bytes: usize,
) -> Result<(), FrameError> {
    if stride.unsigned_abs() < row_bytes {
        return Err(FrameError::StrideTooSmall { plane, stride, row_bytes });
    }
    if stride % format.sample_bytes() as isize != 0 {
        return Err(FrameError::MisalignedStride { plane, stride, sample: format.sample_bytes() });
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
            PixelFormat::Rgba64 | PixelFormat::RgbaF16 | PixelFormat::RgbaF32 => {
                for (k, o) in scratch.iter_mut().enumerate() {
                    *o = super::wide_rgba::luma8(row, x0 + k, self.format);
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
    pub(super) format: PixelFormat,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) planes: [(&'a mut [u8], isize, usize, usize); 4],
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
