//! Generates the C header with cbindgen and gives the cdylib its SONAME.
//!
//! The header is written to `$OUT_DIR/vidkompy.h` on every build. The committed copy in
//! `include/vidkompy.h` is only rewritten when `VIDKOMPY_WRITE_HEADER=1` is set, so a test
//! (`capi::tests::committed_header_is_fresh`) can catch a stale committed header.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    println!("cargo:rerun-if-changed=src/capi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=VIDKOMPY_WRITE_HEADER");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    // Only src/capi is the C ABI: parsing just that file keeps the library's other public
    // constants out of the header.
    let header = cbindgen::Builder::new()
        .with_src(crate_dir.join("src").join("capi").join("mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the C header");
    let generated = out_dir.join("vidkompy.h");
    header.write_to_file(&generated);
    if env::var("VIDKOMPY_WRITE_HEADER").as_deref() == Ok("1") {
        header.write_to_file(crate_dir.join("include").join("vidkompy.h"));
    }

    // The SONAME carries the ABI version (the major version), so an incompatible release gets a
    // new file name and old binaries keep loading the library they were built against.
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvidkompy.so.{major}");
        link_soname_beside_the_library(&out_dir, &major);
    }
}

/// The loader looks for the SONAME (libvidkompy.so.MAJOR), but cargo writes only libvidkompy.so:
/// a symlink of that name beside it (target/<profile>/, three levels above OUT_DIR) lets a
/// program linked with `-L target/release -lvidkompy` start without an install step. It may
/// dangle until the library itself is linked. Best effort: a read-only or unusual target
/// directory only loses the convenience.
fn link_soname_beside_the_library(out_dir: &std::path::Path, major: &str) {
    let Some(profile_dir) = out_dir.ancestors().nth(3) else { return };
    let link = profile_dir.join(format!("libvidkompy.so.{major}"));
    if std::fs::read_link(&link).is_err() {
        let _ = std::fs::remove_file(&link);
        #[cfg(unix)]
        let _ = std::os::unix::fs::symlink("libvidkompy.so", &link);
    }
}
