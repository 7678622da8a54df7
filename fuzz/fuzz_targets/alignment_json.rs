//! A saved alignment on arbitrary text: `Alignment::from_json` accepts it or says why; what it
//! accepts writes back to JSON that reads again to the same text, and drives a compositor
//! over small frames (seeking bg back where the map goes back) without a panic or an
//! allocation beyond the frames' size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vidkompy::alignment::Alignment;
use vidkompy::session::{Compositor, Received, Stream};
use vidkompy::{FrameBuf, PixelFormat, Settings};

/// Largest fg or bg frame the target composites (pixels), so one input stays fast.
const MAX_PIXELS: u64 = 256 * 256;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(alignment) = Alignment::from_json(text) else { return };
    let json = alignment.to_json();
    let again = Alignment::from_json(&json).expect("what was accepted writes back as valid JSON");
    assert_eq!(again.to_json(), json, "a second round trip changes nothing");
    composite(alignment, data.len());
});

fn composite(alignment: Alignment, seed: usize) {
    let c = alignment.placement.content;
    let (fw, fh) = (c.x + c.width, c.y + c.height);
    let (bw, bh) = (8 + (seed % 97) as u32, 8 + (seed % 61) as u32);
    if fw as u64 * fh as u64 > MAX_PIXELS || alignment.fg_frames > 64 {
        return;
    }
    let settings = Settings { feather: (seed % 5) as u32, ..Settings::default() };
    let Ok(mut compositor) = Compositor::new(alignment, &settings) else { return };
    let fg = FrameBuf::new(PixelFormat::I420, fw, fh).unwrap();
    let bg = FrameBuf::new(PixelFormat::Nv12, bw, bh).unwrap();
    for _ in 0..10_000 {
        match compositor.receive() {
            Ok(Received::Frame(f)) => assert_eq!((f.width(), f.height()), (bw, bh)),
            Ok(Received::Again(Stream::Fg)) => compositor.send(Stream::Fg, Some(&fg.as_frame())).map(|_| ()).unwrap(),
            Ok(Received::Again(Stream::Bg)) => {
                // A map that goes back in bg (shots in another order) has bg sought back.
                if let Some(j) = compositor.bg_rewind() {
                    compositor.seek_bg(j).unwrap();
                }
                compositor.send(Stream::Bg, Some(&bg.as_frame())).map(|_| ()).unwrap()
            }
            Ok(Received::Eof) | Err(_) => return,
        }
    }
}
