//! YUV4MPEG2 (Y4M) reading and writing, streaming one frame at a time.
//!
//! Written here rather than taken from a crate so that frames land directly in a reused
//! [`FrameBuf`] (no allocation per frame), 10-bit and mono map onto our pixel formats, and every
//! malformed header or truncated frame gets a message naming the exact problem.
//!
//! Colour spaces read: 420jpeg, 420mpeg2, 420paldv and 420 (all as I420: the chroma siting differs
//! but not the sample layout), 420p10 (I420P10), mono (Gray8), and 444, which is converted to I420
//! on read by averaging each 2×2 block of chroma (vidkompy works in 4:2:0 or RGB).
//! Written: I420 (as 420jpeg), I420P10 (420p10), Gray8 (mono); NV12 and P010 are written as
//! their planar equivalents. RGB formats have no Y4M colour space and are refused.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::error::{Error, Result};
use crate::frame::{FrameBuf, FrameRef, MAX_DIMENSION, PixelFormat, TimeBase};

/// Longest header line accepted (the spec has no limit; real headers are under 100 bytes).
const MAX_HEADER: usize = 4096;

/// Sample layout of a Y4M stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colorspace {
    C420,
    C420p10,
    Mono,
    C444,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Y4mHeader {
    pub width: u32,
    pub height: u32,
    /// Frame rate as a fraction (frames per second = num / den).
    pub fps_num: u32,
    pub fps_den: u32,
    pub colorspace: Colorspace,
}

impl Y4mHeader {
    /// The pixel format frames are delivered in.
    pub fn pixel_format(&self) -> PixelFormat {
        match self.colorspace {
            Colorspace::C420 | Colorspace::C444 => PixelFormat::I420,
            Colorspace::C420p10 => PixelFormat::I420P10,
            Colorspace::Mono => PixelFormat::Gray8,
        }
    }

    /// One frame tick as a time base (den/num seconds per frame).
    pub fn time_base(&self) -> TimeBase {
        TimeBase::new(self.fps_den as i32, self.fps_num as i32)
    }

    fn frame_bytes(&self) -> usize {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        match self.colorspace {
            Colorspace::C420 => w * h + 2 * cw * ch,
            Colorspace::C420p10 => 2 * (w * h + 2 * cw * ch),
            Colorspace::Mono => w * h,
            Colorspace::C444 => 3 * w * h,
        }
    }

    fn parse(line: &str) -> Result<Y4mHeader> {
        let mut tokens = line.split(' ');
        if tokens.next() != Some("YUV4MPEG2") {
            return Err(Error::invalid_data("not a Y4M stream: missing the YUV4MPEG2 signature"));
        }
        let (mut width, mut height, mut fps) = (None, None, None);
        let mut colorspace = Colorspace::C420;
        for token in tokens.filter(|t| !t.is_empty()) {
            // The tag is the first character (split on a character, not a byte: a token may
            // start with a multi-byte one).
            let mut chars = token.chars();
            let tag = chars.next().unwrap_or(' ');
            let value = chars.as_str();
            match tag {
                'W' => width = Some(parse_dimension("width", value)?),
                'H' => height = Some(parse_dimension("height", value)?),
                'F' => fps = Some(parse_ratio(value)?),
                'C' => {
                    colorspace = match value {
                        "420jpeg" | "420mpeg2" | "420paldv" | "420" => Colorspace::C420,
                        "420p10" => Colorspace::C420p10,
                        "mono" => Colorspace::Mono,
                        "444" => Colorspace::C444,
                        other => {
                            return Err(Error::Unsupported(format!("Y4M colour space C{other}")));
                        }
                    }
                }
                'I' if !matches!(value, "p" | "?" | "") => {
                    return Err(Error::Unsupported(format!("interlaced Y4M (I{value})")));
                }
                // Aspect ratio and extensions do not change the sample layout.
                _ => {}
            }
        }
        let width = width.ok_or_else(|| Error::invalid_data("Y4M header has no width (W)"))?;
        let height = height.ok_or_else(|| Error::invalid_data("Y4M header has no height (H)"))?;
        let (fps_num, fps_den) = fps.unwrap_or((25, 1));
        Ok(Y4mHeader { width, height, fps_num, fps_den, colorspace })
    }
}

fn parse_dimension(what: &str, value: &str) -> Result<u32> {
    match value.parse::<u32>() {
        Ok(v) if v > 0 && v <= MAX_DIMENSION => Ok(v),
        _ => Err(Error::invalid_data(format!("Y4M header has a bad {what} '{value}' (1..{MAX_DIMENSION})"))),
    }
}

fn parse_ratio(value: &str) -> Result<(u32, u32)> {
    let bad = || Error::invalid_data(format!("Y4M header has a bad frame rate 'F{value}'"));
    let (n, d) = value.split_once(':').ok_or_else(bad)?;
    let (n, d) = (n.parse::<u32>().map_err(|_| bad())?, d.parse::<u32>().map_err(|_| bad())?);
    if n == 0 || d == 0 || n > i32::MAX as u32 || d > i32::MAX as u32 {
        return Err(bad());
    }
    Ok((n, d))
}

/// Reads frames one at a time into one reused buffer.
pub struct Y4mReader<R: Read> {
    input: BufReader<R>,
    header: Y4mHeader,
    /// Allocated once the first frame was read whole, so that a header alone (which may
    /// declare any size) costs nothing.
    frame: Option<FrameBuf>,
    /// Raw chroma of a 4:4:4 frame before it is averaged down.
    chroma444: Vec<u8>,
    line: Vec<u8>,
    index: i64,
}

impl<R: Read> crate::session::FrameSource for Y4mReader<R> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>> {
        self.read_frame()
    }
}

/// Reads up to and excluding `\n`, refusing lines longer than `MAX_HEADER`.
/// Returns false at a clean end of input (nothing read).
fn read_line<R: Read>(input: &mut BufReader<R>, line: &mut Vec<u8>, what: &str) -> Result<bool> {
    line.clear();
    let n = input.by_ref().take(MAX_HEADER as u64 + 1).read_until(b'\n', line)?;
    if n == 0 {
        return Ok(false);
    }
    if line.last() != Some(&b'\n') {
        return Err(Error::invalid_data(if n > MAX_HEADER {
            format!("Y4M {what} line is longer than {MAX_HEADER} bytes")
        } else {
            format!("Y4M {what} line is truncated (no newline)")
        }));
    }
    line.pop();
    Ok(true)
}

impl<R: Read> Y4mReader<R> {
    pub fn new(input: R) -> Result<Y4mReader<R>> {
        let mut input = BufReader::with_capacity(1 << 20, input);
        let mut line = Vec::with_capacity(128);
        if !read_line(&mut input, &mut line, "header")? {
            return Err(Error::invalid_data("empty input: no Y4M header"));
        }
        let text = std::str::from_utf8(&line).map_err(|_| Error::invalid_data("Y4M header is not ASCII"))?;
        let header = Y4mHeader::parse(text)?;
        Ok(Y4mReader { input, header, frame: None, chroma444: Vec::new(), line, index: 0 })
    }

    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// The next frame, or `None` at the end of the stream. The frame is valid until the next call.
    pub fn read_frame(&mut self) -> Result<Option<FrameRef<'_>>> {
        if !read_line(&mut self.input, &mut self.line, "FRAME")? {
            return Ok(None);
        }
        if !self.line.starts_with(b"FRAME") {
            return Err(Error::invalid_data(format!("frame {}: expected a FRAME marker", self.index)));
        }
        let mut frame = match self.frame.take() {
            Some(frame) => frame,
            None => self.read_first()?,
        };
        // The first frame was filled by read_first; later ones are read in place.
        if self.index > 0 {
            let got = fill_frame(&self.header, &mut frame, &mut self.chroma444, &mut self.input)?;
            if got != self.header.frame_bytes() {
                return Err(self.truncated(got));
            }
        }
        let frame = self.frame.insert(frame);
        frame.pts = self.index;
        frame.time_base = self.header.time_base();
        self.index += 1;
        Ok(Some(frame.as_frame()))
    }

    fn truncated(&self, got: usize) -> Error {
        Error::invalid_data(format!(
            "frame {} is truncated: got {got} of {} bytes",
            self.index,
            self.header.frame_bytes()
        ))
    }

    /// The first frame: its bytes are read in chunks into memory that grows with what the
    /// input holds, and only a whole frame gets a frame buffer. A header that declares a huge
    /// picture over a short input thus fails on the data, not on an allocation.
    fn read_first(&mut self) -> Result<FrameBuf> {
        const CHUNK: usize = 1 << 20;
        let expected = self.header.frame_bytes();
        let mut raw = Vec::new();
        while raw.len() < expected {
            let want = (expected - raw.len()).min(CHUNK);
            let start = raw.len();
            raw.resize(start + want, 0);
            let got = read_fully(&mut self.input, &mut raw[start..])?;
            raw.truncate(start + got);
            if got < want {
                return Err(self.truncated(raw.len()));
            }
        }
        let mut frame = FrameBuf::new(self.header.pixel_format(), self.header.width, self.header.height)?;
        fill_frame(&self.header, &mut frame, &mut self.chroma444, &mut &raw[..])?;
        Ok(frame)
    }
}

/// Reads one frame's samples into `frame` (4:4:4 chroma through `chroma444`, averaged down);
/// returns the bytes read, short when the input ends early.
fn fill_frame(
    header: &Y4mHeader,
    frame: &mut FrameBuf,
    chroma444: &mut Vec<u8>,
    input: &mut impl Read,
) -> Result<usize> {
    let mut got = 0;
    let format = frame.format();
    let c444 = header.colorspace == Colorspace::C444;
    let planes = if c444 { 1 } else { format.plane_count() };
    for p in 0..planes {
        let (_, rows) = format.plane_size(p, header.width, header.height);
        for r in 0..rows {
            got += read_fully(input, frame.row_mut(p, r))?;
        }
    }
    if c444 {
        chroma444.resize(2 * header.width as usize * header.height as usize, 0);
        got += read_fully(input, chroma444)?;
        if got == header.frame_bytes() {
            average_chroma444(header, chroma444, frame);
        }
    }
    Ok(got)
}

/// 4:4:4 chroma averaged over each 2×2 block into the frame's 4:2:0 chroma planes.
fn average_chroma444(header: &Y4mHeader, chroma444: &[u8], frame: &mut FrameBuf) {
    let (w, h) = (header.width as usize, header.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    for plane in 0..2 {
        let src = &chroma444[plane * w * h..(plane + 1) * w * h];
        for cy in 0..ch {
            let (y0, y1) = (2 * cy, (2 * cy + 1).min(h - 1));
            let out = frame.row_mut(1 + plane, cy);
            for (cx, o) in out.iter_mut().enumerate().take(cw) {
                let (x0, x1) = (2 * cx, (2 * cx + 1).min(w - 1));
                let sum = src[y0 * w + x0] as u32
                    + src[y0 * w + x1] as u32
                    + src[y1 * w + x0] as u32
                    + src[y1 * w + x1] as u32;
                *o = ((sum + 2) / 4) as u8;
            }
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_fully<R: Read>(input: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// Writes frames of one fixed format and size.
pub struct Y4mWriter<W: Write> {
    output: W,
    format: PixelFormat,
    width: u32,
    height: u32,
    /// One de-interleaved chroma row (NV12/P010 are written planar).
    row: Vec<u8>,
}

impl<W: Write> Y4mWriter<W> {
    pub fn new(
        mut output: W,
        format: PixelFormat,
        width: u32,
        height: u32,
        fps_num: u32,
        fps_den: u32,
    ) -> Result<Y4mWriter<W>> {
        crate::frame::validate_size(width, height)?;
        let colorspace = match format {
            PixelFormat::I420 | PixelFormat::Nv12 => "420jpeg",
            PixelFormat::I420P10 | PixelFormat::P010 => "420p10",
            PixelFormat::Gray8 => "mono",
            other => {
                return Err(Error::Unsupported(format!("Y4M cannot store {other}; convert to i420 first")));
            }
        };
        if fps_num == 0 || fps_den == 0 {
            return Err(Error::invalid(format!("frame rate {fps_num}:{fps_den} must be positive")));
        }
        writeln!(output, "YUV4MPEG2 W{width} H{height} F{fps_num}:{fps_den} Ip A1:1 C{colorspace}")?;
        Ok(Y4mWriter { output, format, width, height, row: vec![0; 2 * width as usize + 2] })
    }

    pub fn write_frame(&mut self, frame: &FrameRef<'_>) -> Result<()> {
        if frame.format() != self.format || frame.width() != self.width || frame.height() != self.height {
            return Err(Error::InvalidFrame(crate::frame::FrameError::Mismatch {
                expected: format!("{} {}x{}", self.format, self.width, self.height),
                got: frame.describe(),
            }));
        }
        self.output.write_all(b"FRAME\n")?;
        let (_, rows) = self.format.plane_size(0, self.width, self.height);
        for r in 0..rows {
            if self.format == PixelFormat::P010 {
                // P010 keeps 10 bits high; Y4M 420p10 keeps them low.
                for (o, s) in self.row.chunks_exact_mut(2).zip(frame.row(0, r).chunks_exact(2)) {
                    o.copy_from_slice(&(u16::from_le_bytes([s[0], s[1]]) >> 6).to_le_bytes());
                }
                self.output.write_all(&self.row[..2 * self.width as usize])?;
            } else {
                self.output.write_all(frame.row(0, r))?;
            }
        }
        match self.format {
            PixelFormat::I420 | PixelFormat::I420P10 => {
                for p in 1..3 {
                    for r in 0..self.format.plane_size(p, self.width, self.height).1 {
                        self.output.write_all(frame.row(p, r))?;
                    }
                }
            }
            PixelFormat::Nv12 | PixelFormat::P010 => {
                let s = self.format.sample_bytes();
                let (row_bytes, rows) = self.format.plane_size(1, self.width, self.height);
                let half = row_bytes / 2;
                for component in 0..2 {
                    for r in 0..rows {
                        let src = frame.row(1, r);
                        for (i, px) in src.chunks_exact(2 * s).enumerate() {
                            let sample = &px[component * s..(component + 1) * s];
                            if s == 1 {
                                self.row[i] = sample[0];
                            } else {
                                // P010 keeps 10 bits high; Y4M 420p10 keeps them low.
                                let v = u16::from_le_bytes([sample[0], sample[1]]) >> 6;
                                self.row[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
                            }
                        }
                        self.output.write_all(&self.row[..half])?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.output.flush()?;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(header: &str, frames: &[Vec<u8>]) -> Vec<u8> {
        let mut v = header.as_bytes().to_vec();
        v.push(b'\n');
        for f in frames {
            v.extend_from_slice(b"FRAME\n");
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn reads_420_variants_with_odd_sizes() {
        for c in ["420jpeg", "420mpeg2", "420paldv", "420"] {
            let (w, h) = (5usize, 3usize);
            let n = w * h + 2 * 3 * 2;
            let data: Vec<u8> = (0..n as u32).map(|i| i as u8).collect();
            let bytes = stream(&format!("YUV4MPEG2 W5 H3 F30000:1001 Ip A1:1 C{c}"), &[data.clone(), data.clone()]);
            let mut r = Y4mReader::new(&bytes[..]).unwrap();
            assert_eq!(r.header().fps_num, 30000);
            let mut count = 0;
            while let Some(f) = r.read_frame().unwrap() {
                assert_eq!(f.format(), PixelFormat::I420);
                assert_eq!(f.row(0, 2), &data[10..15]);
                assert_eq!(f.row(1, 0), &data[15..18]);
                assert_eq!(f.row(2, 1), &data[24..27]);
                assert_eq!(f.pts, count);
                count += 1;
            }
            assert_eq!(count, 2);
        }
    }

    #[test]
    fn reads_mono_10bit_and_444() {
        let mono = stream("YUV4MPEG2 W4 H2 F25:1 Cmono", &[vec![7; 8]]);
        let mut r = Y4mReader::new(&mono[..]).unwrap();
        assert_eq!(r.read_frame().unwrap().unwrap().format(), PixelFormat::Gray8);

        let p10 = stream("YUV4MPEG2 W2 H2 F25:1 C420p10", &[vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]);
        let mut r = Y4mReader::new(&p10[..]).unwrap();
        let f = r.read_frame().unwrap().unwrap();
        assert_eq!(f.format(), PixelFormat::I420P10);
        assert_eq!(f.row(2, 0), &[11, 12]);

        let mut f444 = vec![50u8; 4];
        f444.extend_from_slice(&[10, 20, 30, 40]);
        f444.extend_from_slice(&[200, 200, 100, 100]);
        let s = stream("YUV4MPEG2 W2 H2 F25:1 C444", &[f444]);
        let mut r = Y4mReader::new(&s[..]).unwrap();
        let f = r.read_frame().unwrap().unwrap();
        assert_eq!(f.format(), PixelFormat::I420);
        assert_eq!(f.row(1, 0), &[25]);
        assert_eq!(f.row(2, 0), &[150]);
    }

    #[test]
    fn malformed_headers_have_clear_errors() {
        let cases = [
            ("", "empty input"),
            ("RIFF1234", "missing the YUV4MPEG2 signature"),
            ("YUV4MPEG2 H2 F25:1", "no width"),
            ("YUV4MPEG2 W2 F25:1", "no height"),
            ("YUV4MPEG2 W0 H2", "bad width"),
            ("YUV4MPEG2 W2 H99999", "bad height"),
            ("YUV4MPEG2 W2 H2 F25", "bad frame rate"),
            ("YUV4MPEG2 W2 H2 F0:1", "bad frame rate"),
            ("YUV4MPEG2 W2 H2 C411", "colour space C411"),
            ("YUV4MPEG2 W2 H2 It", "interlaced"),
        ];
        for (header, want) in cases {
            let bytes = if header.is_empty() { Vec::new() } else { format!("{header}\n").into_bytes() };
            let err = Y4mReader::new(&bytes[..]).err().unwrap_or_else(|| panic!("{header:?} was accepted"));
            assert!(err.to_string().contains(want), "{header:?}: {err}");
        }
        let no_newline = b"YUV4MPEG2 W2 H2".to_vec();
        assert!(Y4mReader::new(&no_newline[..]).err().unwrap().to_string().contains("truncated"));
        let long = format!("YUV4MPEG2 W2 H2 X{}\n", "a".repeat(5000));
        assert!(Y4mReader::new(long.as_bytes()).err().unwrap().to_string().contains("longer than"));
    }

    #[test]
    fn truncated_and_garbled_frames_are_errors() {
        let mut bytes = stream("YUV4MPEG2 W4 H2 F25:1 C420jpeg", &[vec![0; 12]]);
        bytes.extend_from_slice(b"FRAME\n");
        bytes.extend_from_slice(&[1, 2, 3]);
        let mut r = Y4mReader::new(&bytes[..]).unwrap();
        assert!(r.read_frame().unwrap().is_some());
        let e = r.read_frame().unwrap_err();
        assert!(e.to_string().contains("frame 1 is truncated: got 3 of 12 bytes"), "{e}");

        let bad = b"YUV4MPEG2 W4 H2 F25:1\nFRAMX\n".to_vec();
        let mut r = Y4mReader::new(&bad[..]).unwrap();
        assert!(r.read_frame().unwrap_err().to_string().contains("expected a FRAME marker"));
    }

    #[test]
    fn write_then_read_round_trips_every_writable_format() {
        for format in
            [PixelFormat::I420, PixelFormat::Nv12, PixelFormat::I420P10, PixelFormat::P010, PixelFormat::Gray8]
        {
            let (w, h) = (7, 5);
            let mut buf = FrameBuf::new(format, w, h).unwrap();
            for p in 0..format.plane_count() {
                let rows = format.plane_size(p, w, h).1;
                for r in 0..rows {
                    for (i, b) in buf.row_mut(p, r).iter_mut().enumerate() {
                        // Keep 10-bit samples in range: low byte anything, high byte small.
                        *b = if format.sample_bytes() == 2 && i % 2 == 1 {
                            (r % 3) as u8
                        } else {
                            (i * 7 + r * 13 + p) as u8
                        };
                    }
                }
            }
            if format == PixelFormat::P010 {
                // P010 keeps its 10 bits high: clear the low 6 bits so the round trip is exact.
                for p in 0..2 {
                    for r in 0..format.plane_size(p, w, h).1 {
                        for s in buf.row_mut(p, r).chunks_exact_mut(2) {
                            let v = (u16::from_le_bytes([s[0], s[1]]) & 0xffc0).to_le_bytes();
                            s.copy_from_slice(&v);
                        }
                    }
                }
            }
            let mut out = Vec::new();
            let mut wr = Y4mWriter::new(&mut out, format, w, h, 24, 1).unwrap();
            wr.write_frame(&buf.as_frame()).unwrap();
            wr.write_frame(&buf.as_frame()).unwrap();
            let mut rd = Y4mReader::new(&out[..]).unwrap();
            let f = rd.read_frame().unwrap().unwrap();
            // Luma survives every format unchanged (after P010's shift to the low bits).
            for r in 0..h as usize {
                let want: Vec<u8> = buf.as_frame().row(0, r).to_vec();
                let got = f.row(0, r).to_vec();
                if format == PixelFormat::P010 {
                    let shifted: Vec<u8> = want
                        .chunks_exact(2)
                        .flat_map(|s| (u16::from_le_bytes([s[0], s[1]]) >> 6).to_le_bytes())
                        .collect();
                    assert_eq!(got, shifted);
                } else {
                    assert_eq!(got, want, "{format}");
                }
            }
            if format == PixelFormat::Nv12 {
                let uv = buf.as_frame().row(1, 1).to_vec();
                let u: Vec<u8> = uv.iter().step_by(2).copied().collect();
                let v: Vec<u8> = uv.iter().skip(1).step_by(2).copied().collect();
                assert_eq!(f.row(1, 1), &u[..]);
                assert_eq!(f.row(2, 1), &v[..]);
            }
            assert!(rd.read_frame().unwrap().is_some());
            assert!(rd.read_frame().unwrap().is_none());
        }
    }

    #[test]
    fn writer_refuses_rgb_and_mismatched_frames() {
        assert!(matches!(Y4mWriter::new(Vec::new(), PixelFormat::Rgba, 4, 4, 25, 1), Err(Error::Unsupported(_))));
        let mut w = Y4mWriter::new(Vec::new(), PixelFormat::I420, 4, 4, 25, 1).unwrap();
        let other = FrameBuf::new(PixelFormat::I420, 6, 4).unwrap();
        assert!(matches!(w.write_frame(&other.as_frame()), Err(Error::InvalidFrame(_))));
    }
}
