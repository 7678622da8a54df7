//! The layering of src/lib.rs holds: each module uses only the modules it is allowed (those
//! below it), so there is no cycle, and the C API reaches the library only through the API
//! that lib.rs re-exports. A new use across layers fails here until the table (and lib.rs's
//! order) says why it belongs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module of the crate, lowest layer first, with the modules it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("kernels", &[]),
    ("workers", &[]),
    ("frame", &["kernels"]),
    ("error", &["frame"]),
    ("settings", &["error", "frame"]),
    ("media", &["error", "frame"]),
    ("fingerprint", &["frame", "kernels"]),
    ("spatial", &["error", "frame", "kernels", "settings", "workers"]),
    ("compose", &["error", "frame", "kernels", "settings", "spatial"]),
    ("temporal", &["error", "fingerprint", "kernels", "settings"]),
    ("alignment", &["error", "frame", "media", "spatial", "temporal"]),
    (
        "session",
        &[
            "alignment",
            "compose",
            "error",
            "fingerprint",
            "frame",
            "media",
            "settings",
            "spatial",
            "temporal",
            "workers",
        ],
    ),
    ("synth", &["error", "frame", "session"]),
    ("io", &["alignment", "error", "frame", "session", "settings", "spatial", "temporal"]),
    // The C API: the re-exported API only (`crate::Analyzer`, never `crate::session::…`).
    ("capi", &[]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without comments (`//` to the end of the line), so doc links do not count.
fn code_of(text: &str) -> String {
    text.lines().map(|l| l.find("//").map_or(l, |at| &l[..at])).collect::<Vec<_>>().join("\n")
}

/// The crate's modules that `code` names: `crate::m::…` and `use crate::{m::…, …}`.
fn modules_named(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let module_of = |path: &str| -> Option<String> {
        let path = path.trim();
        let first = path.split("::").next()?;
        (path.contains("::") && first.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()))
            .then(|| first.to_string())
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            // A use list: items up to the matching brace (nested lists name their module first).
            let mut depth = 1;
            let end = list
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(list.len(), |(i, _)| i);
            let mut item = String::new();
            let mut depth = 0;
            for c in list[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        named.extend(module_of(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            named.extend(module_of(&path));
        }
    }
    named
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    let mut seen = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "bin" {
            continue; // the facade itself, and the CLI (a host outside the crate)
        }
        let Some(may_use) = allowed.get(top.as_str()) else {
            panic!("src/{top} is not in LAYERS: give it its place in the layering");
        };
        seen.insert(top.clone());
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for used in modules_named(&code) {
            if used != top && !may_use.contains(&used.as_str()) {
                broken.push(format!("src/{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(broken.is_empty(), "uses across the layering (tests/layering.rs):\n{}", broken.join("\n"));
    let listed: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(seen, listed, "LAYERS names a module src/ does not have");
}

#[test]
fn each_layer_uses_only_layers_listed_before_it() {
    for (at, (module, uses)) in LAYERS.iter().enumerate() {
        for used in *uses {
            let below = LAYERS[..at].iter().any(|(m, _)| m == used);
            assert!(below, "{module} may use {used}, which is not below it: a cycle");
        }
    }
}

#[test]
fn the_scanner_sees_module_paths_and_use_lists() {
    let named = modules_named(
        "use crate::{Alignment, session::{Live, Stream}, frame::Rect};\nlet x = crate::spatial::locate();\n// crate::io::x\n",
    );
    assert_eq!(named, ["frame", "session", "spatial", "io"].iter().map(|s| s.to_string()).collect());
    let code = code_of("use crate::Alignment; // crate::io::x\n");
    assert!(modules_named(&code).is_empty());
}
