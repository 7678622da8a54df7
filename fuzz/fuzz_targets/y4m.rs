//! The Y4M reader on arbitrary bytes: every input is frames or a clear error, never a panic,
//! and memory follows the bytes present (a header alone allocates no frame).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vidkompy::io::y4m::Y4mReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Y4mReader::new(data) else { return };
    let header = reader.header().clone();
    for _ in 0..64 {
        match reader.read_frame() {
            Ok(Some(frame)) => {
                assert_eq!((frame.width(), frame.height()), (header.width, header.height));
                assert_eq!(frame.format(), header.pixel_format());
            }
            Ok(None) | Err(_) => break,
        }
    }
});
