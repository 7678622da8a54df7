//! The ABI stays stable: only additions. Each list in tests/abi/ records what a built host
//! relies on — function prototypes, struct sizes and field offsets (from a C compiler), the
//! values of constants, and the symbols the shared library exports. A change to anything
//! listed fails here; something new must be added to its list (a deliberate act in review).

mod common;

use common::{build_cdylib, library_dir};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn header() -> String {
    std::fs::read_to_string(root().join("include/vidkompy.h")).unwrap()
}

fn list(name: &str) -> Vec<String> {
    std::fs::read_to_string(root().join("tests/abi").join(name))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Every prototype of the header, on one line with single spaces.
fn prototypes(header: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in header.lines() {
        let starts =
            !line.starts_with(' ') && line.contains("vidkompy_") && line.contains('(') && !line.starts_with('#');
        if current.is_none() && starts {
            current = Some(String::new());
        }
        if let Some(text) = &mut current {
            text.push(' ');
            text.push_str(line.trim());
            if line.trim_end().ends_with(");") {
                out.insert(text.split_whitespace().collect::<Vec<_>>().join(" "));
                current = None;
            }
        }
    }
    out
}

fn function_name(prototype: &str) -> String {
    let before = &prototype[..prototype.find('(').unwrap()];
    before.rsplit([' ', '*']).next().unwrap().to_string()
}

#[test]
fn every_listed_prototype_is_unchanged_and_every_new_one_is_listed() {
    let header = prototypes(&header());
    let listed: BTreeSet<String> = list("functions.txt").into_iter().collect();
    let changed: Vec<_> = listed.difference(&header).collect();
    assert!(changed.is_empty(), "functions removed or changed (an ABI break):\n{changed:#?}");
    let new: Vec<_> = header.difference(&listed).collect();
    assert!(new.is_empty(), "new functions: add them to tests/abi/functions.txt:\n{new:#?}");
}

#[test]
fn every_listed_constant_keeps_its_value() {
    let header = header();
    let defined: BTreeSet<String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define VIDKOMPY_"))
        .filter(|l| !l.starts_with("H") && !l.starts_with("VERSION_MINOR") && !l.starts_with("VERSION_PATCH"))
        .map(|l| format!("VIDKOMPY_{}", l.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    let listed: BTreeSet<String> = list("constants.txt").into_iter().collect();
    let changed: Vec<_> = listed.difference(&defined).collect();
    assert!(changed.is_empty(), "constants removed or changed:\n{changed:#?}");
    let new: Vec<_> = defined.difference(&listed).collect();
    assert!(new.is_empty(), "new constants: add them to tests/abi/constants.txt:\n{new:#?}");
}

/// The recorded layout is x86_64 Linux's (the platform CI runs on).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[test]
fn struct_sizes_and_field_offsets_are_unchanged() {
    let layout = list("layout.txt");
    // Every struct the header defines with a body is listed.
    let defined: BTreeSet<String> = header()
        .lines()
        .filter_map(|l| l.strip_prefix("typedef struct "))
        .filter(|l| l.trim_end().ends_with('{'))
        .map(|l| l.trim_end_matches('{').trim().to_string())
        .collect();
    let listed: BTreeSet<String> = layout.iter().map(|l| l.split(['.', ' ']).next().unwrap().to_string()).collect();
    let unlisted: Vec<_> = defined.difference(&listed).collect();
    assert!(unlisted.is_empty(), "structs without a layout in tests/abi/layout.txt: {unlisted:?}");

    let mut program =
        String::from("#include <stddef.h>\n#include <stdio.h>\n#include \"vidkompy.h\"\nint main(void) {\n");
    for line in &layout {
        let item = line.split_whitespace().next().unwrap();
        match item.split_once('.') {
            Some((s, field)) => {
                program.push_str(&format!("    printf(\"{item} %zu\\n\", offsetof({s}, {}));\n", field))
            }
            None => program.push_str(&format!("    printf(\"{item} %zu\\n\", sizeof({item}));\n")),
        }
    }
    program.push_str("    return 0;\n}\n");
    let dir = library_dir().join("abi-test");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("layout.c");
    std::fs::write(&source, program).unwrap();
    let exe = dir.join("layout");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Werror", "-I"])
        .arg(root().join("include"))
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler '{cc}' (install gcc): {e}"));
    assert!(out.status.success(), "a listed struct or field is gone:\n{}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).output().unwrap();
    let measured: Vec<String> = String::from_utf8_lossy(&run.stdout).lines().map(String::from).collect();
    assert_eq!(measured, layout, "a struct's size or a field's offset changed (an ABI break)");
}

#[cfg(target_os = "linux")]
#[test]
fn the_shared_library_exports_exactly_the_header_functions() {
    build_cdylib();
    let lib = library_dir().join("libvidkompy.so");
    assert!(lib.exists(), "{} is missing", lib.display());
    let nm = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run nm (binutils): {e}"));
    let exported: BTreeSet<String> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|s| s.starts_with("vidkompy_"))
        .map(String::from)
        .collect();
    let declared: BTreeSet<String> = prototypes(&header()).iter().map(|p| function_name(p)).collect();
    assert_eq!(exported, declared, "exported vidkompy_* symbols differ from the header's functions");
}

/// The static library exports every header function. (What else it exports depends on the
/// profile: a debug archive exposes Rust symbols between its objects; the release archive, built
/// with LTO, only the Rust runtime's allocator shims and compiler-rt builtins, which .ci/run
/// checks on the installed library; README, "Linking", says how to live with them.)
#[cfg(target_os = "linux")]
#[test]
fn the_static_library_exports_every_header_function() {
    build_cdylib();
    let lib = library_dir().join("libvidkompy.a");
    assert!(lib.exists(), "{} is missing", lib.display());
    // The archive's index, not its members' symbol tables: with LTO (release) the members are
    // LLVM bitcode that binutils cannot read, while the index lists what a C linker finds.
    let nm = Command::new("nm")
        .arg("--print-armap")
        .arg(&lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run nm (binutils): {e}"));
    let listing = String::from_utf8_lossy(&nm.stdout);
    let index = listing.split("Archive index:").nth(1).unwrap_or_else(|| panic!("{} has no index", lib.display()));
    let exported: BTreeSet<String> = index
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_once(" in ").map(|(name, _)| name.trim().to_string()))
        .collect();
    let declared: BTreeSet<String> = prototypes(&header()).iter().map(|p| function_name(p)).collect();
    let ours: BTreeSet<String> = exported.iter().filter(|s| s.starts_with("vidkompy_")).cloned().collect();
    assert_eq!(ours, declared, "the static library's vidkompy_* symbols differ from the header's functions");
}

/// The error rule: a call whose object cannot keep its message can hand it to the host in a
/// `VidkompyError *err` passed last. That is every constructor (it fails before there is a
/// handle), every call without a handle, and every call on an alignment (immutable and shared
/// between threads, so it keeps no message). Calls made since 0.2 take `err` themselves; the
/// earlier ones keep their prototypes (the ABI) and have an `_ex` twin that takes it. Calls on
/// the other handles keep their message in the handle (`vidkompy_*_last_error`).
#[test]
fn every_call_without_a_message_slot_takes_err() {
    const HANDLES_WITH_MESSAGES: [&str; 5] =
        ["VidkompySettings", "VidkompyAnalyzer", "VidkompyCompositor", "VidkompyLive", "VidkompyScout"];
    let all = prototypes(&header());
    let takes_err = |p: &String| p.ends_with("struct VidkompyError *err);");
    let by_name: std::collections::BTreeMap<String, &String> = all.iter().map(|p| (function_name(p), p)).collect();
    let mut lacking = Vec::new();
    for prototype in &all {
        let name = function_name(prototype);
        if !prototype.starts_with("int ") || takes_err(prototype) {
            continue; // void (free), strings and numbers (0 for NULL) cannot fail
        }
        let first = prototype[prototype.find('(').unwrap() + 1..].trim_start_matches("const ");
        let on_handle = HANDLES_WITH_MESSAGES.iter().any(|h| first.starts_with(&format!("struct {h} *")));
        if on_handle && !name.ends_with("_new") {
            continue;
        }
        if !by_name.get(&format!("{name}_ex")).is_some_and(|twin| takes_err(twin)) {
            lacking.push(name);
        }
    }
    assert!(
        lacking.is_empty(),
        "calls with no way to hand their message to the host (add err or an _ex twin): {lacking:?}"
    );
}

/// A call that has an `_ex` twin says so where a host reads it: its own documentation sends new
/// code to the twin (the form without `err` is kept for the ABI).
#[test]
fn every_form_without_err_names_its_twin() {
    let text = header();
    let all = prototypes(&text);
    let names: BTreeSet<String> = all.iter().map(|p| function_name(p)).collect();
    let mut silent = Vec::new();
    for name in &names {
        if !names.contains(&format!("{name}_ex")) {
            continue;
        }
        let at = text.find(&format!("\nint {name}(")).expect("forms with a twin return a status");
        let doc = &text[text[..at].rfind("/*").unwrap()..at];
        if !doc.contains(&format!("new code calls {name}_ex")) {
            silent.push(name.clone());
        }
    }
    assert!(silent.is_empty(), "forms without err whose documentation does not name their _ex twin: {silent:?}");
}
