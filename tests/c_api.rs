//! Compiles every C program in tests/c/ against include/vidkompy.h and the built cdylib, as C99 and
//! as C++17 with warnings as errors, and every C++ program in tests/cpp/ (which use
//! include/vidkompy.hpp), and runs them. Set `VIDKOMPY_C_TEST_WRAPPER` (for example to
//! `valgrind --error-exitcode=1 --leak-check=full`) to run the programs under a tool.

mod common;

use common::{build_cdylib, library_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn compile_and_run(source: &Path, cpp: bool) {
    compile_and_run_with(source, cpp, &[], true);
}

/// `args` are given to the program; `wrapped`: whether `VIDKOMPY_C_TEST_WRAPPER` applies.
fn compile_and_run_with(source: &Path, cpp: bool, args: &[&Path], wrapped: bool) {
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
    let wrapper = if (cpp && !cpp_only) || !wrapped {
        String::new()
    } else {
        std::env::var("VIDKOMPY_C_TEST_WRAPPER").unwrap_or_default()
    };
    let mut words = wrapper.split_whitespace();
    let mut run = match words.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    run.args(args);
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

/// Each C program is a test of its own, so that the test threads run them side by side (under
/// valgrind an analysis costs minutes).
macro_rules! c_programs {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c").join(format!("{}.c", stringify!($name)));
                compile_and_run(&source, false);
            }
        )*
        const C_PROGRAMS: &[&str] = &[$(stringify!($name)),*];
    };
}

c_programs!(
    test_ambiguous,
    test_basics,
    test_editor,
    test_families,
    test_hostile,
    test_live,
    test_locate,
    test_push_orders,
    test_scout,
    test_session,
    test_threads
);

/// A C program added to tests/c without a test above would never run.
#[test]
fn every_c_program_has_a_test() {
    let listed: Vec<String> =
        c_sources().iter().map(|p| p.file_stem().unwrap().to_string_lossy().to_string()).collect();
    assert_eq!(listed, C_PROGRAMS, "tests/c and the c_programs! list differ");
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

/// Pairs made from the real clips, through the C API (tests/c_media/test_real_pairs.c): two
/// true pairs matched exactly, and the three kinds of pair that do not match (another film,
/// the part of a continuous shot bg lacks, a fixed camera's other instants) refused with
/// NO_MATCH. The clips are decoded here to 8-bit luma at 320x180 and 25 fps; fg is a crop of
/// bg's frames, re-graded.
#[test]
fn real_pairs_from_c() {
    let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
    else {
        return;
    };
    let dir = common::TempDir::new("c", "real-pairs");
    let (Some(film), Some(interview)) = (luma_frames(&film, &dir), luma_frames(&interview, &dir)) else { return };
    let mut list = String::new();
    let mut pair = |name: &str,
                    fg_from: &[Vec<u8>],
                    fg: std::ops::Range<usize>,
                    bg_from: &[Vec<u8>],
                    bg: std::ops::Range<usize>,
                    truth: Option<usize>| {
        let fg_bytes: Vec<u8> = fg_from[fg.clone()].iter().flat_map(|f| graded_crop(f)).collect();
        let bg_bytes: Vec<u8> = bg_from[bg.clone()].concat();
        std::fs::write(dir.join(format!("{name}.fg")), fg_bytes).unwrap();
        std::fs::write(dir.join(format!("{name}.bg")), bg_bytes).unwrap();
        let (fw, fh, w, h) = (CROP.2, CROP.3, SIZE.0, SIZE.1);
        list += &format!("{name} {fw} {fh} {} {w} {h} {} ", fg.len(), bg.len());
        list += &match truth {
            Some(first) => format!("match {} {} {first}\n", CROP.0, CROP.1),
            None => "refuse\n".to_string(),
        };
    };
    pair("interview", &interview, 20..80, &interview, 0..125, Some(20));
    pair("film", &film, 40..100, &film, 0..150, Some(40));
    pair("another-film", &interview, 20..80, &film, 0..150, None);
    pair("part-bg-lacks", &film, 120..180, &film, 0..100, None);
    pair("fixed-camera-later", &interview, 105..165, &interview, 0..95, None);
    std::fs::write(dir.join("pairs.txt"), list).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c_media/test_real_pairs.c");
    // Not under the wrapper: valgrind takes over 15 minutes for these five analyses of real
    // frames, and the other C programs run the same entry points under it.
    compile_and_run_with(&source, false, &[&dir], false);
}

/// Frame size of the decoded clips, and fg's crop of them (x, y, width, height).
const SIZE: (usize, usize) = (320, 180);
const CROP: (usize, usize, usize, usize) = (48, 28, 240, 136);

/// Every frame of a clip as 8-bit luma at `SIZE`, played at 25 fps (each frame once).
fn luma_frames(clip: &Path, dir: &Path) -> Option<Vec<Vec<u8>>> {
    let raw = dir.join("frames.gray");
    let filter = format!("scale={}:{},setsar=1,setpts=N/(25*TB),format=gray", SIZE.0, SIZE.1);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(clip)
        .args(["-vf", &filter, "-f", "rawvideo"])
        .arg(&raw)
        .status();
    match status {
        Ok(s) => assert!(s.success(), "ffmpeg could not decode {}", clip.display()),
        Err(e) => {
            common::cannot_run(&format!("cannot run ffmpeg: {e}"));
            return None;
        }
    }
    let bytes = std::fs::read(&raw).unwrap();
    Some(bytes.chunks_exact(SIZE.0 * SIZE.1).map(<[u8]>::to_vec).collect())
}

/// fg's picture: `CROP` of a frame, re-graded (contrast 1.1, brighter by 8).
fn graded_crop(frame: &[u8]) -> Vec<u8> {
    let (x, y, w, h) = CROP;
    (y..y + h)
        .flat_map(|r| frame[r * SIZE.0 + x..r * SIZE.0 + x + w].iter())
        .map(|&v| ((v as f32 - 16.0) * 1.1 + 24.0).clamp(0.0, 255.0) as u8)
        .collect()
}
