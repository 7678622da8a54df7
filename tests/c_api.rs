//! Compiles every C program in tests/c/ against include/vidkompy.h and the built cdylib, as C99 and
//! as C++17 with warnings as errors, and every C++ program in tests/cpp/ (which use
//! include/vidkompy.hpp), and runs them. Set `VIDKOMPY_C_TEST_WRAPPER` (for example to
//! `valgrind --error-exitcode=1 --leak-check=full`) to run the programs under a tool.

mod common;

use common::{build_cdylib, library_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn compile_and_run(source: &Path, cpp: bool) {
    build_cdylib();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib_dir = library_dir();
    assert!(
        lib_dir.join("libvidkompy.so").exists() || lib_dir.join("libvidkompy.dylib").exists(),
        "the cdylib is missing in {}: build the library first",
        lib_dir.display()
    );
    let out_dir = lib_dir.join("c-tests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let stem = source.file_stem().unwrap().to_string_lossy().to_string();
    let exe = out_dir.join(format!("{stem}{}", if cpp { "_cpp" } else { "" }));
    let compiler = if cpp {
        std::env::var("CXX").unwrap_or_else(|_| "c++".into())
    } else {
        std::env::var("CC").unwrap_or_else(|_| "cc".into())
    };
    let mut cmd = Command::new(&compiler);
    if cpp {
        cmd.args(["-x", "c++", "-std=c++17"]);
    } else {
        cmd.arg("-std=c99");
    }
    cmd.args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-pthread"])
        .arg("-I")
        .arg(root.join("include"))
        .arg(source)
        .arg("-o")
        .arg(&exe);
    if cpp {
        cmd.args(["-x", "none"]);
    }
    cmd.arg(format!("-L{}", lib_dir.display()))
        .arg(format!("-Wl,-rpath,{}", out_dir.display()))
        .arg("-lvidkompy")
        .arg("-lm");
    let output =
        cmd.output().unwrap_or_else(|e| panic!("cannot run the C compiler '{compiler}' (install gcc/g++): {e}"));
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    // The wrapper (valgrind) runs the C build; the C++ build checks the header compiles as C++
    // and runs natively, which keeps the slow wrapped runs to one per program.
    let cpp_only = source.extension().is_some_and(|e| e == "cpp");
    let wrapper =
        if cpp && !cpp_only { String::new() } else { std::env::var("VIDKOMPY_C_TEST_WRAPPER").unwrap_or_default() };
    let mut words = wrapper.split_whitespace();
    let mut run = match words.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    run.current_dir(root);
    let output = run.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    assert!(
        output.status.success(),
        "{} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        exe.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The programs print to stderr only when a check fails, and the library never does: an
    // unwrapped run's stderr must be empty (a wrapper such as valgrind writes its own).
    if wrapper.is_empty() {
        assert!(
            output.stderr.is_empty(),
            "{} wrote to stderr:\n{}",
            exe.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn sources(folder: &str, extension: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no tests in {}", dir.display());
    v
}

fn c_sources() -> Vec<PathBuf> {
    sources("tests/c", "c")
}

#[test]
fn c_programs_pass_as_c99() {
    for source in c_sources() {
        compile_and_run(&source, false);
    }
}

/// The C++ programs use include/vidkompy.hpp (RAII, exceptions) as a C++ host would.
#[test]
fn cpp_programs_pass() {
    for source in sources("tests/cpp", "cpp") {
        compile_and_run(&source, true);
    }
}

#[test]
fn c_programs_pass_as_cpp17() {
    for source in c_sources() {
        compile_and_run(&source, true);
    }
}

/// README's link line works as written from the build tree: `-L target/<profile> -lvidkompy`
/// with an rpath, no install step (build.rs links libvidkompy.so.MAJOR beside the library).
#[cfg(target_os = "linux")]
#[test]
fn a_program_linked_from_the_build_tree_starts() {
    build_cdylib();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib_dir = library_dir();
    let exe = lib_dir.join("c-tests").join("build_tree_link");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .arg(root.join("tests/install/check_install.c"))
        .arg("-I")
        .arg(root.join("include"))
        .arg(format!("-L{}", lib_dir.display()))
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .args(["-lvidkompy", "-o"])
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler '{cc}': {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success(), "{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
}
