//! Settings shared by every session: one struct, typed fields, and string keys for the C ABI and
//! the CLI. Every key is listed in `Settings::KEYS` (and so in the C header's documentation).

use crate::error::{Error, Result};
/// The settings give the default of a frame's colour matrix; it lives with the frame's colour,
/// so that `frame` needs nothing of the settings.
pub use crate::frame::ColorMatrix;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Placement score under which locating fails with NO_MATCH (0..1).
    pub min_confidence: f64,
    /// Search fg's scale in bg (otherwise scale 1).
    pub scale_search: bool,
    /// Smallest and largest scale tried by the scale search.
    pub scale_min: f64,
    pub scale_max: f64,
    /// Width in pixels of the alpha ramp on fg edges where bg stays visible.
    pub feather: u32,
    pub color_matrix: ColorMatrix,
    /// Half-width, in bg frames, of the DP band around the rate line.
    pub band: u32,
    /// Frames of latency in live (one-pass) mode.
    pub live_lag: u32,
    /// Most MiB of frames a live session may hold (its window of full-size pictures); a
    /// window that would need more is refused (UNSUPPORTED) before it is filled.
    pub live_memory_mib: u32,
    /// Start analyses a live session may fail (windows of bg without fg's start) before it
    /// answers NO_MATCH; 0 lets it slide its window over the whole of bg.
    pub live_start_windows: u32,
    /// fg and bg frames sampled to find the placement.
    pub placement_samples: u32,
    /// Cost per bg frame of deviation from the rate line (keeps static shots on the rate).
    pub rate_penalty: f64,
    /// Least share of fg frames that must find a counterpart in bg; below it the analysis is
    /// NO_MATCH. 0 accepts any share (the frames outside bg are named in the alignment).
    pub min_matched_share: f64,
    /// Threads an analysis may compute on, the calling one included (0: one per core); the
    /// host's callbacks run on the calling thread only.
    pub threads: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            min_confidence: 0.6,
            scale_search: true,
            scale_min: 0.25,
            scale_max: 4.0,
            feather: 0,
            color_matrix: ColorMatrix::Bt709,
            band: 24,
            live_lag: 30,
            live_memory_mib: 512,
            live_start_windows: 0,
            placement_samples: 6,
            rate_penalty: 0.3,
            min_matched_share: 0.5,
            threads: 0,
        }
    }
}

/// A settings key: its name, the values it takes, and what it does.
pub struct Key {
    pub name: &'static str,
    pub values: &'static str,
    pub doc: &'static str,
}

impl Settings {
    pub const KEYS: &'static [Key] = &[
        Key {
            name: "min_confidence",
            values: "0..1, default 0.6",
            doc: "placement score below which locating fails with NO_MATCH",
        },
        Key {
            name: "scale_search",
            values: "0|1|auto, default auto",
            doc: "search fg's scale in bg (1/auto) or assume scale 1 (0)",
        },
        Key { name: "scale_min", values: "0.1..1, default 0.25", doc: "smallest scale the scale search tries" },
        Key { name: "scale_max", values: "1..10, default 4", doc: "largest scale the scale search tries" },
        Key {
            name: "feather",
            values: "0..1024 px, default 0",
            doc: "alpha ramp width on fg edges where bg stays visible",
        },
        Key {
            name: "color_matrix",
            values: "bt601|bt709 (0|1), default bt709",
            doc: "matrix for RGB<->YUV conversion",
        },
        Key { name: "band", values: "1..1000 frames, default 24", doc: "half-width of the time-map search band" },
        Key { name: "live_lag", values: "1..1000 frames, default 30", doc: "latency of live (one-pass) alignment" },
        Key {
            name: "live_start_windows",
            values: "0..100000, default 0 (no limit)",
            doc: "failed start analyses after which a live session answers NO_MATCH",
        },
        Key {
            name: "live_memory_mib",
            values: "16..1048576 MiB, default 512",
            doc: "most memory a live session's frames may take; a window needing more is refused",
        },
        Key { name: "placement_samples", values: "1..64, default 6", doc: "fg and bg frames sampled for placement" },
        Key { name: "rate_penalty", values: "0..10, default 0.3", doc: "time-map cost of leaving the frame-rate line" },
        Key {
            name: "min_matched_share",
            values: "0..1, default 0.5",
            doc: "least share of fg frames with a counterpart in bg; below it, or when the matched frames match no better than by chance, NO_MATCH (0 accepts either)",
        },
        Key {
            name: "threads",
            values: "0..256, default 0 (one per core)",
            doc: "threads an analysis computes on, the calling one included; callbacks and frame providers are called on the calling thread only",
        },
    ];

    /// Sets one key from its string value, with range checks. The settings are unchanged on error.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let v = value.trim();
        match key {
            "min_confidence" => self.min_confidence = parse_f64(key, v, 0.0, 1.0)?,
            "scale_search" => {
                self.scale_search = match v {
                    "0" | "false" | "off" | "no" => false,
                    "1" | "true" | "on" | "yes" | "auto" => true,
                    _ => return Err(bad_value(key, v, "0, 1 or auto")),
                }
            }
            "scale_min" => self.scale_min = parse_f64(key, v, 0.1, 1.0)?,
            "scale_max" => self.scale_max = parse_f64(key, v, 1.0, 10.0)?,
            "feather" => self.feather = parse_u32(key, v, 0, 1024)?,
            "color_matrix" => {
                self.color_matrix = match v {
                    "bt601" | "0" => ColorMatrix::Bt601,
                    "bt709" | "1" => ColorMatrix::Bt709,
                    _ => return Err(bad_value(key, v, "bt601 or bt709")),
                }
            }
            "band" => self.band = parse_u32(key, v, 1, 1000)?,
            "live_lag" => self.live_lag = parse_u32(key, v, 1, 1000)?,
            "live_memory_mib" => self.live_memory_mib = parse_u32(key, v, 16, 1 << 20)?,
            "live_start_windows" => self.live_start_windows = parse_u32(key, v, 0, 100_000)?,
            "placement_samples" => self.placement_samples = parse_u32(key, v, 1, 64)?,
            "rate_penalty" => self.rate_penalty = parse_f64(key, v, 0.0, 10.0)?,
            "min_matched_share" => self.min_matched_share = parse_f64(key, v, 0.0, 1.0)?,
            "threads" => self.threads = parse_u32(key, v, 0, 256)?,
            _ => {
                let known: Vec<&str> = Settings::KEYS.iter().map(|k| k.name).collect();
                return Err(Error::invalid(format!("unknown settings key '{key}' (known: {})", known.join(", "))));
            }
        }
        Ok(())
    }
}

fn bad_value(key: &str, value: &str, expected: &str) -> Error {
    Error::invalid(format!("bad value '{value}' for '{key}': expected {expected}"))
}

fn parse_f64(key: &str, v: &str, lo: f64, hi: f64) -> Result<f64> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
        _ => Err(bad_value(key, v, &format!("a number in {lo}..{hi}"))),
    }
}

fn parse_u32(key: &str, v: &str, lo: u32, hi: u32) -> Result<u32> {
    match v.parse::<u32>() {
        Ok(x) if (lo..=hi).contains(&x) => Ok(x),
        _ => Err(bad_value(key, v, &format!("an integer in {lo}..{hi}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_is_settable_and_rejects_garbage() {
        for key in Settings::KEYS {
            let mut s = Settings::default();
            let before = s.clone();
            assert!(s.set(key.name, "not-a-value").is_err(), "{}", key.name);
            assert_eq!(s, before, "a failed set must not change settings ({})", key.name);
        }
        let mut s = Settings::default();
        s.set("min_confidence", "0.75").unwrap();
        s.set("scale_search", "auto").unwrap();
        s.set("feather", "8").unwrap();
        s.set("color_matrix", "bt601").unwrap();
        assert_eq!((s.min_confidence, s.scale_search, s.feather, s.color_matrix), (0.75, true, 8, ColorMatrix::Bt601));
    }

    #[test]
    fn out_of_range_and_unknown_keys_are_errors() {
        let mut s = Settings::default();
        assert!(s.set("min_confidence", "1.5").is_err());
        assert!(s.set("min_confidence", "NaN").is_err());
        assert!(s.set("band", "0").is_err());
        assert!(s.set("feather", "-1").is_err());
        let e = s.set("no_such_key", "1").unwrap_err();
        assert!(e.to_string().contains("unknown settings key 'no_such_key'"));
    }
}
