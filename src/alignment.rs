//! The result of analysis, and its JSON form (the report format of the design).
//!
//! ```json
//! {"format_version": 2,
//!  "placement": {"x": 64, "y": 36, "width": 192, "height": 108, "scale": 1.0, "confidence": 0.99,
//!                "content": [0, 0, 192, 108], "approximate": false},
//!  "temporal": {"fg_frames": 150, "bg_frames": 250, "map": [50, 51, ...], "outside": [],
//!               "confidence": 0.97, "offset_seconds": 2.0, "rate": 1.0, "frame_confidence": [...]},
//!  "media": {"fg": {"format": "i420", "width": 192, "height": 108, "frames": 150,
//!                   "start_seconds": 0.0, "frame_rate": 25.0, "constant_rate": true,
//!                   "time_base": [1, 25]}, "bg": {...}},
//!  "frames_decoded": {"fg": 303, "bg": 410, "analysis": {"fg": 150, "bg": 250},
//!                     "placement_check": {"fg": 3, "bg": 9}, "composite": {"fg": 150, "bg": 151},
//!                     "one_pass": {"fg": 0, "bg": 0}},
//!  "path": "two-pass",
//!  "timings_ms": {"decode": 0, "decode_analysis": 0, "decode_composite": 0, "analyze": 12.5, "placement": 3.1, "time_map": 2.2, "placement_check": 1.9, "compose": 0, "encode": 0, "total": 12.5}}
//! ```
//! `frames_decoded`, `path` (which engine composited: "one-pass", the live session decoding
//! each frame once, or "two-pass"; "scout+" before either when bg was read only in the
//! scout's span) and `timings_ms` are written when known and ignored when read. `format_version` is 2; a file
//! without it is version 1 (no `media`), still read. A newer version is refused, since its
//! fields may mean something this library does not know.
//!
//! # Design notes (measured)
//!
//! **Saved alignments are validated** (`Alignment::validate`, also run by every compositor) against
//! the frame limits before anything is sized from them, and composition scales only the part of fg
//! that lands inside bg.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::frame::{PixelFormat, Rect, TimeBase};
use crate::media::{MediaIdentity, StreamInfo};
use crate::spatial::Placement;
use crate::temporal::TimeMap;

/// Where fg sits in bg and which bg frame belongs under each fg frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    pub placement: Placement,
    pub fg_frames: usize,
    pub bg_frames: usize,
    pub time: TimeMap,
    /// The streams the alignment was made from (absent in version-1 files).
    pub media: Option<MediaIdentity>,
    /// The placement was found on reduced copies and never checked on full-size frames (no
    /// frame provider, frames larger than the copies): it can be a pixel or more off. Written
    /// as `placement.approximate` (absent: false).
    pub placement_approximate: bool,
}

/// The alignment JSON's format version written by this library, and the newest it reads.
pub const FORMAT_VERSION: u32 = 2;

/// A JSON number: finite values as Rust prints them (shortest round-trip form), anything
/// else as `null` (JSON has no infinity or NaN, and a reader refuses `null` there).
pub(crate) struct Num(pub(crate) f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match f.precision() {
            _ if !self.0.is_finite() => f.write_str("null"),
            Some(p) => write!(f, "{:.*}", p, self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut s = String::new();
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v}");
    }
    s
}

impl Alignment {
    /// The bg frame under fg frame `i`.
    pub fn bg_index(&self, i: usize) -> Option<u32> {
        self.time.map.get(i).copied()
    }

    /// The bg frame under fg frame `i`, or the error a call taking an fg index answers.
    pub fn mapped_bg(&self, i: usize) -> Result<u32> {
        self.bg_index(i).ok_or_else(|| self.beyond_fg(i))
    }

    /// The error for an fg index past fg's frames.
    pub fn beyond_fg(&self, i: usize) -> Error {
        Error::invalid(format!("fg index {i} is beyond the {} fg frames", self.fg_frames))
    }

    /// The fg frame showing at `time` (units of `time_base`, on fg's own clock: fg's first
    /// frame at its first pts), as a timeline in any rational time base asks: the last frame
    /// whose nominal time is not after it.
    pub fn fg_index_at(&self, time: i64, time_base: TimeBase) -> Result<usize> {
        let fg = self.media_record()?.fg;
        let seconds = time_base
            .seconds(time)
            .ok_or_else(|| Error::invalid(format!("time base {}/{} is not positive", time_base.num, time_base.den)))?;
        let index = fg.showing_at(seconds).ok_or_else(|| {
            Error::bad_state("fg's frames are not evenly timed (variable rate): a time names no frame")
        })?;
        usize::try_from(index).ok().filter(|&i| i < self.fg_frames).ok_or_else(|| {
            Error::invalid(format!(
                "time {time} x {}/{} s ({seconds:.6} s) is outside fg's {} frames from {:.6} s",
                time_base.num, time_base.den, self.fg_frames, fg.start_seconds
            ))
        })
    }

    /// The nominal time of the bg frame under fg frame `fg_index`, in units of `time_base`
    /// (rounded to the nearest), on bg's own clock: what `bg_pts` gives in bg's time base, in a
    /// timeline's.
    pub fn bg_time_in(&self, fg_index: usize, time_base: TimeBase) -> Result<i64> {
        if !time_base.is_valid() {
            return Err(Error::invalid(format!("time base {}/{} is not positive", time_base.num, time_base.den)));
        }
        let j = self.mapped_bg(fg_index)?;
        let seconds = self.media_record()?.bg.seconds_of(j as usize);
        Ok((seconds * time_base.den as f64 / time_base.num as f64).round() as i64)
    }

    /// The record of both streams' media (`Error::BadState` for a version-1 alignment).
    pub fn media_record(&self) -> Result<&MediaIdentity> {
        self.media
            .as_ref()
            .ok_or_else(|| Error::bad_state("this alignment was saved without its media (format version 1)"))
    }

    /// The map's legs: runs of fg frames whose bg frames never go back, in fg order. One leg
    /// for a map that follows bg forward; an edit that goes back in bg (a shot of earlier
    /// footage after a later one) starts a new leg, and a compositor fed forward has bg sought
    /// back to the leg's first bg frame there.
    pub fn legs(&self) -> Vec<std::ops::Range<usize>> {
        let map = &self.time.map;
        let mut legs = Vec::new();
        let mut start = 0;
        for i in 1..map.len() {
            if map[i] < map[i - 1] {
                legs.push(start..i);
                start = i;
            }
        }
        if !map.is_empty() {
            legs.push(start..map.len());
        }
        legs
    }

    /// The alignment as versioned JSON (what [`Alignment::from_json`] reads). A file job's
    /// report adds its costs (`io::report`).
    pub fn to_json(&self) -> String {
        let p = &self.placement;
        let t = &self.time;
        let mut s = format!("{{\"format_version\": {FORMAT_VERSION},\n");
        let _ = writeln!(
            s,
            " \"placement\": {{\"x\": {}, \"y\": {}, \"width\": {}, \"height\": {}, \"scale\": {}, \"confidence\": {:.6}, \"content\": [{}, {}, {}, {}], \"approximate\": {}}},",
            p.x,
            p.y,
            p.width,
            p.height,
            Num(p.scale),
            Num(p.confidence),
            p.content.x,
            p.content.y,
            p.content.width,
            p.content.height,
            self.placement_approximate
        );
        let _ = write!(
            s,
            " \"temporal\": {{\"fg_frames\": {}, \"bg_frames\": {}, \"map\": [{}], \"outside\": [{}], \"confidence\": {:.6}, \"offset_seconds\": {}, \"rate\": {}, \"frame_confidence\": [{}]}}",
            self.fg_frames,
            self.bg_frames,
            join(&t.map),
            join(&t.outside),
            Num(t.overall_confidence),
            Num(t.offset_seconds),
            Num(t.rate),
            join(t.confidence.iter().map(|&c| format!("{:.3}", Num(c as f64))))
        );
        if let Some(media) = &self.media {
            let (fg, bg) = (stream_json(&media.fg), stream_json(&media.bg));
            let _ = write!(s, ",\n \"media\": {{\"fg\": {fg}, \"bg\": {bg}}}");
        }
        s.push_str("}\n");
        s
    }

    /// Checks that the alignment is whole and within limits: a valid placement, one bg index
    /// per fg frame that names a bg frame (it may go back: see [`Alignment::legs`]), increasing "outside" indices,
    /// finite numbers. A compositor refuses an alignment that fails this.
    pub fn validate(&self) -> Result<()> {
        self.placement.validate().map_err(|e| Error::invalid_data(e.to_string()))?;
        let t = &self.time;
        let (fg_frames, bg_frames) = (self.fg_frames, self.bg_frames);
        if t.map.len() != fg_frames || t.confidence.len() != fg_frames || t.cost.len() != fg_frames {
            return Err(Error::invalid_data(format!(
                "temporal.map has {} entries (frame_confidence {}) for {fg_frames} fg frames",
                t.map.len(),
                t.confidence.len()
            )));
        }
        if let Some(&j) = t.map.iter().find(|&&j| j as usize >= bg_frames.max(1)) {
            return Err(Error::invalid_data(format!("temporal.map names bg frame {j} of {bg_frames}")));
        }
        if t.outside.windows(2).any(|w| w[1] <= w[0]) || t.outside.last().is_some_and(|&i| i as usize >= fg_frames) {
            return Err(Error::invalid_data("temporal.outside must be increasing fg indices"));
        }
        let finite = [t.overall_confidence, t.offset_seconds, t.rate].iter().all(|v| v.is_finite())
            && t.confidence.iter().chain(&t.cost).all(|v| v.is_finite());
        if !finite {
            return Err(Error::invalid_data("the alignment holds a number that is not finite"));
        }
        if t.rate <= 0.0 {
            return Err(Error::invalid_data(format!("temporal.rate {} must be positive", t.rate)));
        }
        if let Some(media) = &self.media {
            self.validate_media(media)?;
        }
        Ok(())
    }

    /// The identity agrees with itself and with the rest: frame counts, content box in fg.
    fn validate_media(&self, media: &MediaIdentity) -> Result<()> {
        media.fg.validate("fg")?;
        media.bg.validate("bg")?;
        if (media.fg.frames, media.bg.frames) != (self.fg_frames, self.bg_frames) {
            return Err(Error::invalid_data(format!(
                "media gives {} fg and {} bg frames, temporal {} and {}",
                media.fg.frames, media.bg.frames, self.fg_frames, self.bg_frames
            )));
        }
        if !self.placement.content.fits_in(media.fg.width, media.fg.height) {
            return Err(Error::invalid_data(format!(
                "placement.content {:?} does not fit fg's {}x{}",
                self.placement.content, media.fg.width, media.fg.height
            )));
        }
        Ok(())
    }

    /// Reads an alignment written by [`Alignment::to_json`], validated ([`Alignment::validate`]).
    pub fn from_json(text: &str) -> Result<Alignment> {
        let mut root = json::parse(text)?;
        let version = match root.get("format_version") {
            Ok(v) => v.uint()?,
            Err(_) => 1,
        };
        if version == 0 || version > FORMAT_VERSION {
            return Err(Error::invalid_data(format!(
                "alignment format version {version}: this library reads versions 1 to {FORMAT_VERSION}"
            )));
        }
        let media = match root.get("media") {
            Ok(m) => Some(MediaIdentity { fg: stream_from_json(m.get("fg")?)?, bg: stream_from_json(m.get("bg")?)? }),
            Err(_) => None,
        };
        // The long arrays are taken out of the document, not copied (a 40 MB map is read
        // within three times its size, the text included).
        let (map, outside, confidence) = {
            let temporal = root.get_mut("temporal")?;
            let fg_frames = temporal.get("fg_frames")?.uint()? as usize;
            let map = temporal.take("map")?.into_uints()?;
            // Refused before anything is sized from the map's length.
            if map.len() != fg_frames {
                return Err(Error::invalid_data(format!(
                    "temporal.map has {} entries for {fg_frames} fg frames",
                    map.len()
                )));
            }
            let outside = temporal.take("outside")?.into_uints()?;
            let confidence: Vec<f32> = match temporal.take("frame_confidence") {
                Ok(v) => v.numbers()?.into_iter().map(|f| f as f32).collect(),
                Err(_) => vec![0.0; map.len()],
            };
            (map, outside, confidence)
        };
        let placement = root.get("placement")?;
        let temporal = root.get("temporal")?;
        let content = placement.get("content")?.uints()?;
        if content.len() != 4 {
            return Err(Error::invalid_data("placement.content must have 4 numbers"));
        }
        let c = |k: usize| -> Result<u32> { Ok(content[k]) };
        let fg_frames = temporal.get("fg_frames")?.uint()? as usize;
        let bg_frames = temporal.get("bg_frames")?.uint()? as usize;
        let x = placement.get("x")?.int()?;
        let y = placement.get("y")?.int()?;
        let alignment = Alignment {
            placement: Placement {
                x,
                y,
                width: placement.get("width")?.uint()?,
                height: placement.get("height")?.uint()?,
                scale: placement.get("scale")?.number()?,
                confidence: placement.get("confidence")?.number()?,
                content: Rect::new(c(0)?, c(1)?, c(2)?, c(3)?),
                x_subpixel: x as f64,
                y_subpixel: y as f64,
            },
            fg_frames,
            bg_frames,
            time: TimeMap {
                cost: vec![0.0; map.len()],
                confidence,
                map,
                outside,
                overall_confidence: temporal.get("confidence")?.number()?,
                offset_seconds: temporal.get("offset_seconds").and_then(|v| v.number()).unwrap_or(0.0),
                rate: temporal.get("rate").and_then(|v| v.number()).unwrap_or(1.0),
            },
            media,
            placement_approximate: placement.get("approximate").and_then(|v| v.bool()).unwrap_or(false),
        };
        alignment.validate()?;
        Ok(alignment)
    }
}

fn stream_json(info: &StreamInfo) -> String {
    let print =
        info.print.map_or(String::new(), |p| format!(", \"print\": [\"{:016x}\", \"{:016x}\"]", p.bits, p.mask));
    format!(
        "{{\"format\": \"{}\", \"width\": {}, \"height\": {}, \"frames\": {}, \"start_seconds\": {}, \"frame_rate\": {}, \"constant_rate\": {}, \"time_base\": [{}, {}]{print}}}",
        info.format,
        info.width,
        info.height,
        info.frames,
        Num(info.start_seconds),
        Num(info.frame_rate),
        info.constant_rate,
        info.time_base.num,
        info.time_base.den
    )
}

fn stream_from_json(v: &json::Value) -> Result<StreamInfo> {
    let name = v.get("format")?.str()?;
    let format = PixelFormat::from_name(name)
        .ok_or_else(|| Error::invalid_data(format!("media: unknown pixel format \"{name}\"")))?;
    let time_base: Vec<json::Value> = v.get("time_base")?.numbers()?.into_iter().map(json::Value::Number).collect();
    if time_base.len() != 2 {
        return Err(Error::invalid_data("media: time_base must be [num, den]"));
    }
    Ok(StreamInfo {
        format,
        width: v.get("width")?.uint()?,
        height: v.get("height")?.uint()?,
        frames: v.get("frames")?.uint()? as usize,
        start_seconds: v.get("start_seconds")?.number()?,
        frame_rate: v.get("frame_rate")?.number()?,
        constant_rate: v.get("constant_rate")?.bool()?,
        time_base: TimeBase::new(time_base[0].int()?, time_base[1].int()?),
        print: match v.get("print") {
            Ok(p) => Some(print_from_json(p)?),
            Err(_) => None,
        },
    })
}

/// A media record's print: ["bits", "mask"], each 16 hexadecimal digits.
fn print_from_json(v: &json::Value) -> Result<crate::media::PicturePrint> {
    let bad = || Error::invalid_data("media: print must be two strings of 16 hexadecimal digits");
    let json::Value::Array(items) = v else { return Err(bad()) };
    let hex = |i: usize| -> Result<u64> {
        let text = items.get(i).ok_or_else(bad)?.str()?;
        if text.len() != 16 {
            return Err(bad());
        }
        u64::from_str_radix(text, 16).map_err(|_| bad())
    };
    if items.len() != 2 {
        return Err(bad());
    }
    Ok(crate::media::PicturePrint { bits: hex(0)?, mask: hex(1)? })
}

/// A small JSON reader: enough for the report format, with clear errors.
mod json {
    use crate::error::{Error, Result};

    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        Str(String),
        Array(Vec<Value>),
        /// An array of non-negative integers (frame indices): 4 bytes an item.
        Uints(Vec<u32>),
        /// An array of other numbers (confidences): 8 bytes an item.
        Numbers(Vec<f64>),
        Object(Vec<(String, Value)>),
    }

    /// The largest document read: a day of 60 fps frames is under 100 MB.
    pub const MAX_BYTES: usize = 256 << 20;
    /// The most keys one object may have (the format has at most 10).
    const MAX_KEYS: usize = 256;

    impl Value {
        pub fn get_mut(&mut self, key: &str) -> Result<&mut Value> {
            match self {
                Value::Object(fields) => fields
                    .iter_mut()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v)
                    .ok_or_else(|| Error::invalid_data(format!("alignment JSON lacks \"{key}\""))),
                _ => Err(Error::invalid_data(format!("alignment JSON: \"{key}\" looked up in a non-object"))),
            }
        }

        pub fn get(&self, key: &str) -> Result<&Value> {
            match self {
                Value::Object(fields) => fields
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v)
                    .ok_or_else(|| Error::invalid_data(format!("alignment JSON lacks \"{key}\""))),
                _ => Err(Error::invalid_data(format!("alignment JSON: \"{key}\" looked up in a non-object"))),
            }
        }

        /// The array's items as non-negative integers.
        pub fn uints(&self) -> Result<Vec<u32>> {
            match self {
                Value::Uints(v) => Ok(v.clone()),
                Value::Numbers(v) => v.iter().map(|&n| Value::Number(n).uint()).collect(),
                Value::Array(v) => v.iter().map(Value::uint).collect(),
                _ => Err(Error::invalid_data("alignment JSON: expected an array")),
            }
        }

        /// The array's items as numbers.
        pub fn numbers(&self) -> Result<Vec<f64>> {
            match self {
                Value::Uints(v) => Ok(v.iter().map(|&n| n as f64).collect()),
                Value::Numbers(v) => Ok(v.clone()),
                Value::Array(v) => v.iter().map(Value::number).collect(),
                _ => Err(Error::invalid_data("alignment JSON: expected an array")),
            }
        }

        /// Takes a key's value out of an object (no copy of a long array).
        pub fn take(&mut self, key: &str) -> Result<Value> {
            match self {
                Value::Object(fields) => fields
                    .iter_mut()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| std::mem::replace(v, Value::Null))
                    .ok_or_else(|| Error::invalid_data(format!("alignment JSON lacks \"{key}\""))),
                _ => Err(Error::invalid_data(format!("alignment JSON: \"{key}\" looked up in a non-object"))),
            }
        }

        /// A long array of indices without a copy (see [`Value::take`]).
        pub fn into_uints(self) -> Result<Vec<u32>> {
            match self {
                Value::Uints(v) => Ok(v),
                other => other.uints(),
            }
        }

        pub fn number(&self) -> Result<f64> {
            match self {
                Value::Number(n) => Ok(*n),
                _ => Err(Error::invalid_data("alignment JSON: expected a number")),
            }
        }

        pub fn str(&self) -> Result<&str> {
            match self {
                Value::Str(s) => Ok(s),
                _ => Err(Error::invalid_data("alignment JSON: expected a string")),
            }
        }

        pub fn bool(&self) -> Result<bool> {
            match self {
                Value::Bool(b) => Ok(*b),
                _ => Err(Error::invalid_data("alignment JSON: expected true or false")),
            }
        }

        pub fn uint(&self) -> Result<u32> {
            let n = self.number()?;
            if n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0 {
                Ok(n as u32)
            } else {
                Err(Error::invalid_data(format!("alignment JSON: {n} is not a non-negative integer")))
            }
        }

        pub fn int(&self) -> Result<i32> {
            let n = self.number()?;
            if n >= i32::MIN as f64 && n <= i32::MAX as f64 && n.fract() == 0.0 {
                Ok(n as i32)
            } else {
                Err(Error::invalid_data(format!("alignment JSON: {n} is not an integer")))
            }
        }
    }

    pub fn parse(text: &str) -> Result<Value> {
        if text.len() > MAX_BYTES {
            return Err(Error::invalid_data(format!(
                "alignment JSON of {} bytes: this library reads at most {MAX_BYTES}",
                text.len()
            )));
        }
        let mut p = Parser { b: text.as_bytes(), i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != p.b.len() {
            return Err(p.err("trailing characters"));
        }
        Ok(v)
    }

    struct Parser<'a> {
        b: &'a [u8],
        i: usize,
        depth: usize,
    }

    impl Parser<'_> {
        fn err(&self, what: &str) -> Error {
            Error::invalid_data(format!("alignment JSON: {what} at byte {}", self.i))
        }

        fn ws(&mut self) {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }

        fn eat(&mut self, c: u8) -> Result<()> {
            self.ws();
            if self.b.get(self.i) == Some(&c) {
                self.i += 1;
                Ok(())
            } else {
                Err(self.err(&format!("expected '{}'", c as char)))
            }
        }

        fn value(&mut self) -> Result<Value> {
            self.ws();
            self.depth += 1;
            if self.depth > 64 {
                return Err(self.err("nesting too deep"));
            }
            let v = match self.b.get(self.i) {
                Some(b'{') => {
                    self.i += 1;
                    let mut fields = Vec::new();
                    self.ws();
                    if self.b.get(self.i) == Some(&b'}') {
                        self.i += 1;
                    } else {
                        loop {
                            self.ws();
                            let k = self.string()?;
                            if fields.iter().any(|(f, _): &(String, Value)| *f == k) {
                                return Err(self.err(&format!("duplicate key \"{k}\"")));
                            }
                            if fields.len() >= MAX_KEYS {
                                return Err(self.err("too many keys in one object"));
                            }
                            self.eat(b':')?;
                            let v = self.value()?;
                            fields.push((k, v));
                            if self.closed_after_item(b'}')? {
                                break;
                            }
                        }
                    }
                    Value::Object(fields)
                }
                Some(b'[') if self.numbers_ahead().is_some() => self.number_array()?,
                Some(b'[') => {
                    self.i += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.b.get(self.i) == Some(&b']') {
                        self.i += 1;
                    } else {
                        loop {
                            items.push(self.value()?);
                            if self.closed_after_item(b']')? {
                                break;
                            }
                        }
                    }
                    Value::Array(items)
                }
                Some(b'"') => Value::Str(self.string()?),
                Some(b't') if self.b[self.i..].starts_with(b"true") => {
                    self.i += 4;
                    Value::Bool(true)
                }
                Some(b'f') if self.b[self.i..].starts_with(b"false") => {
                    self.i += 5;
                    Value::Bool(false)
                }
                Some(b'n') if self.b[self.i..].starts_with(b"null") => {
                    self.i += 4;
                    Value::Null
                }
                Some(c) if *c == b'-' || c.is_ascii_digit() => {
                    let start = self.i;
                    while self.i < self.b.len()
                        && matches!(self.b[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        self.i += 1;
                    }
                    let s = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("bad number"))?;
                    let n: f64 = s.parse().map_err(|_| self.err("bad number"))?;
                    // JSON has no infinity or NaN; 1e999 would parse as infinity.
                    if !n.is_finite() {
                        return Err(self.err("number out of range"));
                    }
                    Value::Number(n)
                }
                _ => return Err(self.err("unexpected character or end")),
            };
            self.depth -= 1;
            Ok(v)
        }

        /// After an item of a list: a comma (more follow, `false`) or `close` (the end, `true`).
        fn closed_after_item(&mut self, close: u8) -> Result<bool> {
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    Ok(false)
                }
                Some(&c) if c == close => {
                    self.i += 1;
                    Ok(true)
                }
                _ => Err(self.err(&format!("expected ',' or '{}'", close as char))),
            }
        }

        /// How many items the array starting here has, when all of them are numbers (only
        /// number characters, commas and spaces up to its ']'): read then into a vector sized
        /// once, 4 or 8 bytes an item instead of a value each.
        fn numbers_ahead(&self) -> Option<usize> {
            let (mut commas, mut digits) = (0, false);
            for &c in &self.b[self.i + 1..] {
                match c {
                    b']' => return digits.then_some(commas + 1),
                    b',' => commas += 1,
                    b'0'..=b'9' => digits = true,
                    b'-' | b'+' | b'.' | b'e' | b'E' => {}
                    c if c.is_ascii_whitespace() => {}
                    _ => return None,
                }
            }
            None
        }

        fn number_array(&mut self) -> Result<Value> {
            let count = self.numbers_ahead().unwrap_or(0);
            self.i += 1;
            let mut uints: Vec<u32> = Vec::with_capacity(count);
            let mut numbers: Option<Vec<f64>> = None;
            loop {
                let Value::Number(n) = self.value()? else { return Err(self.err("expected a number")) };
                match &mut numbers {
                    Some(all) => all.push(n),
                    None if n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0 => uints.push(n as u32),
                    None => {
                        let mut all = Vec::with_capacity(count);
                        all.extend(uints.drain(..).map(|u| u as f64));
                        all.push(n);
                        uints = Vec::new();
                        numbers = Some(all);
                    }
                }
                if self.closed_after_item(b']')? {
                    break;
                }
            }
            Ok(numbers.map_or(Value::Uints(uints), Value::Numbers))
        }

        fn string(&mut self) -> Result<String> {
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a string"));
            }
            self.i += 1;
            let mut out = String::new();
            loop {
                match self.b.get(self.i) {
                    None => return Err(self.err("unterminated string")),
                    Some(b'"') => {
                        self.i += 1;
                        return Ok(out);
                    }
                    Some(b'\\') => {
                        let c = *self.b.get(self.i + 1).ok_or_else(|| self.err("bad escape"))?;
                        out.push(match c {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'n' => '\n',
                            b't' => '\t',
                            _ => return Err(self.err("unsupported escape")),
                        });
                        self.i += 2;
                    }
                    Some(_) => {
                        let start = self.i;
                        while self.i < self.b.len() && self.b[self.i] != b'"' && self.b[self.i] != b'\\' {
                            self.i += 1;
                        }
                        out.push_str(
                            std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("invalid UTF-8"))?,
                        );
                    }
                }
            }
        }
    }
}
