//! Every function of the C API (tests/abi/functions.txt) has a binding in C++
//! (include/vidkompy.hpp), Go (bindings/go) and Python (bindings/python), or is listed below
//! as not yet bound. A function counts as bound when the binding calls it, or its `_ex` twin
//! (the same call with its own error record), or, for a typed settings setter, the generic
//! `vidkompy_settings_set`. The lists must be exact: binding one of them fails the test until
//! it is taken off, so the lists (and README's counts) cannot go stale.

use std::path::Path;

/// Not yet bound in Go.
const GO_NOT_YET: &[&str] = &[
    // Never: a goroutine may move between OS threads, so Go reads each call's VidkompyError or
    // its handle's message, not the per-thread one.
    "vidkompy_last_error",
];

/// Not yet bound in Python.
const PYTHON_NOT_YET: &[&str] = &[];

/// Not yet bound in C++ (the C calls work from C++ as they are).
const CPP_NOT_YET: &[&str] = &[
    // Never: every exception carries its own call's message (VidkompyError or the handle's).
    "vidkompy_last_error",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The C API's function names, from the released list.
fn c_functions() -> Vec<String> {
    let list = read("tests/abi/functions.txt");
    let mut names: Vec<String> = list
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let at = l.find("vidkompy_")?;
            let rest = &l[at..];
            Some(rest[..rest.find('(')?].to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `text` names `name` as a whole word.
fn names(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

fn unbound(binding: &str) -> Vec<String> {
    c_functions()
        .into_iter()
        .filter(|f| {
            let mut twins = vec![f.clone(), format!("{f}_ex")];
            twins.extend(f.strip_suffix("_ex").map(String::from));
            if f.starts_with("vidkompy_settings_set_") {
                twins.push("vidkompy_settings_set".into());
            }
            !twins.iter().any(|t| names(binding, t))
        })
        .collect()
}

fn check(what: &str, binding: &str, not_yet: &[&str]) {
    let all = c_functions();
    assert!(all.len() >= 80, "the released list holds the C API: {}", all.len());
    let missing = unbound(binding);
    let newly: Vec<&String> = missing.iter().filter(|f| !not_yet.contains(&f.as_str())).collect();
    assert!(newly.is_empty(), "{what} lacks a binding of {newly:?} (bind them, or list them with why)");
    let done: Vec<&&str> = not_yet.iter().filter(|f| !missing.iter().any(|m| m == **f)).collect();
    assert!(done.is_empty(), "{what} now binds {done:?}: take them off its list");
    eprintln!("{what}: {} of {} C functions bound", all.len() - missing.len(), all.len());
}

#[test]
fn go_binds_every_c_function_but_its_list() {
    let go = read("bindings/go/vidkompy.go") + &read("bindings/go/callbacks.go");
    check("Go", &go, GO_NOT_YET);
}

#[test]
fn python_binds_every_c_function_but_its_list() {
    check("Python", &read("bindings/python/vidkompy/__init__.py"), PYTHON_NOT_YET);
}

#[test]
fn cpp_binds_every_c_function_but_its_list() {
    check("C++", &read("include/vidkompy.hpp"), CPP_NOT_YET);
}
