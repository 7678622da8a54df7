//! The settings key/value parser through the C API: any key and value (split at the first
//! NUL, '=' or end) is accepted or refused with a message, never an internal error.
#![no_main]

use std::ffi::{CString, c_char};

use libfuzzer_sys::fuzz_target;
use vidkompy::capi::*;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0 || b == b'=').unwrap_or(data.len());
    let key_bytes: Vec<u8> = data[..split].iter().copied().filter(|&b| b != 0).collect();
    let value_bytes: Vec<u8> = data.get(split + 1..).unwrap_or(&[]).iter().copied().filter(|&b| b != 0).collect();
    let (key, value) = (CString::new(key_bytes).unwrap(), CString::new(value_bytes).unwrap());
    let mut settings = std::ptr::null_mut();
    // SAFETY: valid pointers to NUL-terminated strings and an out-pointer; the handle is freed.
    unsafe {
        assert_eq!(vidkompy_settings_new(&mut settings), VIDKOMPY_OK);
        let r = vidkompy_settings_set(settings, key.as_ptr() as *const c_char, value.as_ptr() as *const c_char);
        assert!(r == VIDKOMPY_OK || r == VIDKOMPY_ERROR_INVALID_ARGUMENT, "status {r}");
        if r != VIDKOMPY_OK {
            assert!(*vidkompy_settings_last_error(settings) != 0, "a refusal without a message");
        }
        // The typed getters' view must stay usable: set the same key twice.
        let _ = vidkompy_settings_set(settings, key.as_ptr(), value.as_ptr());
        vidkompy_settings_free(&mut settings);
    }
    assert!(settings.is_null());
});
