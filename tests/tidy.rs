//! The architecture invariants ARCHITECTURE.md states, checked on the source
//! tree (rust-analyzer's `tidy` habit): a review remark that would repeat is
//! a test instead.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, with its text.
fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

/// Lines of non-comment code (good enough for these checks: comments that
/// mention a forbidden name are allowed to explain why it is forbidden).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.starts_with("//"))
}

fn manifest(crate_dir: &str) -> String {
    fs::read_to_string(root().join(crate_dir).join("Cargo.toml")).unwrap()
}

/// Architecture invariant: the pure crates (the engine, analytics) do no
/// I/O, read no clock or environment variable and never see clap.
#[test]
fn the_pure_crates_do_no_io_read_no_clock_or_environment_and_never_see_clap() {
    let forbidden = [
        "std::fs",
        "std::env",
        "std::net",
        "std::process",
        "SystemTime",
        "Instant::now",
        "Utc::now",
        "Local::now",
        "clap::",
        "File::open",
        "File::create",
        "OpenOptions",
    ];
    for krate in ["engine", "analytics"] {
        for (path, text) in rust_files(&root().join(krate).join("src")) {
            for (n, line) in code_lines(&text) {
                for f in forbidden {
                    assert!(
                        !line.contains(f),
                        "{}:{n}: {krate} must not use `{f}`: {line}",
                        path.display()
                    );
                }
            }
        }
        let deps = manifest(krate);
        for dep in ["clap", "polars", "parquet", "indicatif", "memmap2"] {
            assert!(
                !deps.lines().any(|l| l.trim_start().starts_with(dep)),
                "{krate}/Cargo.toml must not depend on {dep}"
            );
        }
    }
}

/// Architecture invariant: parsers know nothing about matching.
#[test]
fn parsers_do_not_depend_on_the_engine_or_the_cli() {
    let deps = manifest("parsers");
    for dep in ["cashmatch-engine", "cashmatch-store", "clap"] {
        assert!(
            !deps.contains(dep),
            "parsers/Cargo.toml must not depend on {dep}"
        );
    }
    for (path, text) in rust_files(&root().join("parsers/src")) {
        assert!(
            !text.contains("cashmatch_engine"),
            "{} uses the engine",
            path.display()
        );
    }
}

/// Architecture invariant: the only environment variables read anywhere
/// are the fault-injection switches of the store (crash tests).
#[test]
fn the_only_environment_reads_are_the_fault_switches() {
    let allowed = [
        "CASHMATCH_FAULT_AFTER",
        "CASHMATCH_FAULT_ENOSPC_AT",
        "CASHMATCH_FAULT_EIO_AT",
    ];
    let mut readers = Vec::new();
    for dir in [
        "src",
        "engine/src",
        "parsers/src",
        "datasets/src",
        "store/src",
    ] {
        let d = root().join(dir);
        if !d.exists() {
            continue;
        }
        for (path, text) in rust_files(&d) {
            let reads: Vec<(usize, &str)> = code_lines(&text)
                .filter(|(_, l)| l.contains("env::var"))
                .collect();
            if reads.is_empty() {
                continue;
            }
            // The one reader is the store's fault-injection module: one read
            // site, in the file that names every switch.
            assert!(
                reads.len() == 1 && allowed.iter().all(|a| text.contains(a)),
                "{}: environment read outside the fault switches: {reads:?}",
                path.display()
            );
            readers.push(path);
        }
    }
    assert_eq!(
        readers.len(),
        1,
        "exactly one module reads the environment: {readers:?}"
    );
}

/// Every `pub` item of the library crates is documented: the compiler
/// enforces it once the lint is denied at the crate root.
#[test]
fn library_crates_deny_missing_docs() {
    for lib in [
        "engine/src/lib.rs",
        "parsers/src/lib.rs",
        "store/src/lib.rs",
        "analytics/src/lib.rs",
    ] {
        let text = fs::read_to_string(root().join(lib)).unwrap();
        assert!(
            text.contains("#![deny(missing_docs)]"),
            "{lib} must deny missing_docs"
        );
    }
}

/// `.ci/run` runs exactly README's test command, plus the format and lint
/// checks, so a green CI means what a newcomer's green run means.
#[test]
fn ci_runs_the_readme_test_command_and_the_checks() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    let test_command = "cargo test --workspace --release";
    assert!(
        readme.contains(test_command),
        "README names the test command"
    );
    assert!(
        ci.contains(test_command),
        ".ci/run runs README's test command"
    );
    assert!(
        ci.contains("cargo fmt --all --check"),
        ".ci/run checks formatting"
    );
    assert!(
        ci.contains("cargo clippy --workspace --all-targets") && ci.contains("-D warnings"),
        ".ci/run denies clippy warnings"
    );
}

/// The tests read only the vendored sample corpus, and the documents the
/// code cites (RELIABILITY.md, PERFORMANCE.md) are in the repository: a
/// fresh clone without `../shared` beside it passes and reads whole.
#[test]
fn no_test_reads_outside_the_repository() {
    for doc in ["docs/RELIABILITY.md", "docs/PERFORMANCE.md"] {
        assert!(
            root().join(doc).is_file(),
            "{doc} is carried in the repository"
        );
    }
    for dir in ["tests", "parsers/tests", "engine/tests", "datasets/tests"] {
        for (path, text) in rust_files(&root().join(dir)) {
            if path.ends_with("tidy.rs") {
                continue;
            }
            for (n, line) in code_lines(&text) {
                assert!(
                    !line.contains("../shared") && !line.contains("../../shared"),
                    "{}:{n}: tests must use the vendored corpus: {line}",
                    path.display()
                );
            }
        }
    }
}

/// A merge left half-done must never land: a conflict marker in a document
/// once survived into main (ARCHITECTURE.md, session 2) and was read as the map.
#[test]
fn no_merge_conflict_markers_in_sources_or_documents() {
    let mut found = Vec::new();
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "samples" {
                    stack.push(path);
                }
                continue;
            }
            let text_like = ["rs", "md", "toml", "sh", "py", "csv", "txt", "html"]
                .iter()
                .any(|ext| name.ends_with(&format!(".{ext}")));
            if !text_like {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                let marker = ["<<<<<<< ", ">>>>>>> "].iter().any(|m| line.starts_with(m))
                    || line == "=======";
                if marker {
                    found.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "merge conflict markers: {found:#?}");
}
