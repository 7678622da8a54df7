//! `FrameBuf`: a frame the library owns (its planes allocated once and reused).

use super::*;

/// An owned frame with 64-byte-aligned planes and 64-byte-multiple strides.
pub struct FrameBuf {
    pub(super) format: PixelFormat,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) storage: Vec<u8>,
    /// Offset of the first aligned byte in `storage` (moving a Vec keeps its heap address).
    pub(super) base: usize,
    pub(super) offsets: [usize; 4],
    pub(super) strides: [usize; 4],
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
        let mut buf = FrameBuf::zeroed(format, width, height)?;
        buf.fill_black();
        Ok(buf)
    }

    /// A frame of zero bytes, for a caller that writes every sample: the zeros come from the
    /// allocator's fresh pages, where filling with black first wrote each page twice (7 % of a
    /// one-pass run at 720p, measured).
    fn zeroed(format: PixelFormat, width: u32, height: u32) -> Result<FrameBuf, FrameError> {
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
        let mut storage = vec![0u8; total + 63];
        prefault(&mut storage);
        let base = storage.as_ptr().align_offset(64);
        Ok(FrameBuf {
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
        })
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

    pub(super) fn plane_len(&self, plane: usize) -> usize {
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

    /// Fills the picture with black. The stride's padding is left as it is: zero, as every
    /// `FrameBuf` allocates it and nothing writes it, so that two buffers with the same
    /// picture have the same planes however they were made.
    pub fn fill_black(&mut self) {
        let format = self.format;
        // Limited-range black: luma 16, chroma 128 (times 4 at 10 bits; P010 in the high bits).
        let (black, grey): (u16, u16) = match format {
            PixelFormat::P010 => (64 << 6, 512 << 6),
            f if f.bit_depth() == 10 => (64, 512),
            _ => (16, 128),
        };
        for i in 0..format.plane_count() {
            let value = if i == 0 { black } else { grey };
            for r in 0..format.plane_size(i, self.width, self.height).1 {
                let row = self.row_mut(i, r);
                match format {
                    PixelFormat::Gray8 | PixelFormat::Rgb24 => row.fill(0),
                    PixelFormat::Rgba | PixelFormat::Bgra => {
                        for px in row.chunks_exact_mut(4) {
                            px.copy_from_slice(&[0, 0, 0, 255]);
                        }
                    }
                    f if f.is_wide_rgba() => {
                        for x in 0..row.len() / (4 * f.sample_bytes()) {
                            for (c, v) in [0.0, 0.0, 0.0, 1.0].into_iter().enumerate() {
                                super::wide_rgba::write_channel(row, x, c, f, v);
                            }
                        }
                    }
                    f if f.sample_bytes() == 2 => fill_u16(row, value),
                    _ => row.fill(value as u8),
                }
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
        let mut buf = FrameBuf::zeroed(frame.format(), frame.width(), frame.height())?;
        buf.copy_from(frame)?;
        Ok(buf)
    }
}

impl Clone for FrameBuf {
    /// A copy in freshly mapped pages (see `prefault`), its planes 64-byte aligned in the new
    /// allocation too (a derived clone kept the old offset, which need not be aligned there).
    fn clone(&self) -> FrameBuf {
        let mut storage = vec![0u8; self.storage.len()];
        prefault(&mut storage);
        let base = storage.as_ptr().align_offset(64);
        let planes = self.storage.len() - 63;
        storage[base..base + planes].copy_from_slice(&self.storage[self.base..self.base + planes]);
        FrameBuf {
            format: self.format,
            width: self.width,
            height: self.height,
            storage,
            base,
            offsets: self.offsets,
            strides: self.strides,
            pts: self.pts,
            time_base: self.time_base,
            color: self.color,
        }
    }
}

/// Buffers at least this large have their pages mapped by one call before they are written.
const PREFAULT_BYTES: usize = 1 << 20;

/// Maps the pages of a fresh, large allocation in one call (Linux `MADV_POPULATE_WRITE`), where
/// the first write to each 4 KiB page would otherwise trap into the kernel once per page: a
/// held window of 110 720p frames took 105 ms of page faults on the film pair. The contents
/// stay as they are (zeros, as allocated). Elsewhere, or on a kernel without it, nothing
/// happens and the pages are mapped as they are first written, as before.
fn prefault(storage: &mut [u8]) {
    #[cfg(target_os = "linux")]
    if storage.len() >= PREFAULT_BYTES {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let Ok(page) = usize::try_from(page) else { return };
        if page == 0 {
            return;
        }
        let start = storage.as_mut_ptr() as usize;
        let (first, end) = (start.next_multiple_of(page), (start + storage.len()) / page * page);
        if end > first {
            // SAFETY: [first, end) lies inside `storage`, which the caller owns exclusively;
            // MADV_POPULATE_WRITE maps those pages writable as a write would, without changing
            // a byte of them. Its failure (an older kernel) leaves them to fault in as written.
            unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_POPULATE_WRITE) };
        }
    }
}

pub(super) fn fill_u16(plane: &mut [u8], value: u16) {
    for s in plane.chunks_exact_mut(2) {
        s.copy_from_slice(&value.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past PREFAULT_BYTES the pages are mapped by `prefault`: still zeros, and every byte
    /// writable.
    #[test]
    fn a_large_buffer_is_zero_and_writable() {
        let mut buf = FrameBuf::zeroed(PixelFormat::I420, 1920, 1080).unwrap();
        assert!(buf.byte_size() >= PREFAULT_BYTES);
        for p in 0..3 {
            assert!(buf.plane(p).iter().all(|&b| b == 0));
            buf.plane_mut(p).fill(7 + p as u8);
            assert!(buf.plane(p).iter().all(|&b| b == 7 + p as u8));
        }
    }

    /// A clone has every sample and its own 64-byte-aligned planes, small or large.
    #[test]
    fn a_clone_keeps_every_sample_and_aligns_its_planes() {
        for (w, h) in [(64, 36), (1920, 1080)] {
            let mut buf = FrameBuf::new(PixelFormat::I420, w, h).unwrap();
            for p in 0..3 {
                for (k, b) in buf.plane_mut(p).iter_mut().enumerate() {
                    *b = (k * 7 + p) as u8;
                }
            }
            buf.pts = 42;
            let copy = buf.clone();
            assert_eq!(copy.pts, 42);
            for p in 0..3 {
                assert_eq!(copy.plane(p), buf.plane(p));
                assert_eq!(copy.plane(p).as_ptr() as usize % 64, 0);
                assert_ne!(copy.plane(p).as_ptr(), buf.plane(p).as_ptr());
            }
        }
    }
}
