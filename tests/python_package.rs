//! The Python package (`python/`, issue 12) through README's one test
//! command: builds a virtual environment under the target directory, installs
//! the package with `pip install ./python` (maturin, sharing this build's
//! target directory so the workspace's crates are not compiled twice) and
//! runs its pytest suite (`python/tests/`), which compares the package's
//! tables with the files this build's `cashmatch` binary writes.
//!
//! Needs `python3` (>= 3.10) with `venv`, Java >= 17 for the local Spark,
//! and network access to PyPI for maturin and the test extras of
//! `python/pyproject.toml` (pytest, pyarrow, pyspark, pandas) on the first
//! run; `.ci/run` checks the versions and installs what is missing. Later
//! runs reuse the environment and pip's cache. Time: SCALING.md and
//! BENCHMARKS.md, "Python package test".

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `<target>/tmp`, a directory cargo gives integration tests for their
/// files; its parent is the target directory maturin shares.
fn target_tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn check(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run(what: &str, cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    check(what, out)
}

/// The test tools: `python/pyproject.toml`'s `test` extras, the one list
/// (pins included, such as pandas below 3 for pyspark).
fn test_requirements() -> Vec<String> {
    let path = repo().join("python/pyproject.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", path.display()));
    let test = doc
        .get("project")
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(|o| o.get("test"))
        .and_then(|t| t.as_array())
        .unwrap_or_else(|| {
            panic!(
                "{}: no [project.optional-dependencies] test",
                path.display()
            )
        });
    let reqs: Vec<String> = test
        .iter()
        .map(|r| {
            r.as_str()
                .unwrap_or_else(|| panic!("{}: test extras must be strings", path.display()))
                .to_string()
        })
        .collect();
    assert!(
        reqs.iter().any(|r| r.starts_with("pyspark")),
        "{}: the test extras must bring pyspark (python/tests/test_spark.py)",
        path.display()
    );
    reqs
}

/// The virtual environment with the test tools, created once; brought up to
/// date when the test extras change (pip leaves what already fits).
fn venv() -> PathBuf {
    let dir = target_tmp().join("python-venv");
    let python = dir.join("bin/python");
    if !python.exists() {
        run(
            "python3 -m venv (install Debian's python3-venv if this fails)",
            Command::new("python3").args(["-m", "venv"]).arg(&dir),
        );
    }
    let reqs = test_requirements();
    let stamp = dir.join("cashmatch-test-requirements.txt");
    let wanted = reqs.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        run(
            "pip install (python/pyproject.toml, test extras)",
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(&reqs),
        );
        std::fs::write(&stamp, &wanted)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", stamp.display()));
    }
    dir
}

fn target_dir() -> PathBuf {
    target_tmp()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(target_tmp)
}

/// `pip install ./python`, as README says, then the pytest suite (with the
/// local Spark test, `python/tests/test_spark.py`).
///
/// Cost (BENCHMARKS.md, "Python package test"): the first build of the
/// module recompiles the polars chain with pyo3's features (~15 CPU
/// minutes on top of a cold workspace build, estimated), pyspark and
/// pandas come from PyPI (~5 min), the suite ~3 min; inside the CI's 90
/// minutes beside a cold workspace build of 20-25 minutes.
#[test]
fn python_package_installs_and_its_tests_pass() {
    let venv = venv();
    let python = venv.join("bin/python");
    let started = std::time::Instant::now();
    run(
        "pip install ./python",
        Command::new(&python)
            .current_dir(repo())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--force-reinstall",
                "--no-deps",
                "./python",
            ])
            // The package's crate shares this build's target directory.
            .env("CARGO_TARGET_DIR", target_dir()),
    );
    eprintln!(
        "pip install ./python: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let out = run(
        "pytest python/tests",
        Command::new(&python)
            .current_dir(repo())
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "python/tests",
            ])
            .env("CASHMATCH_BIN", env!("CARGO_BIN_EXE_cashmatch"))
            // A missing pyspark or Java fails the Spark test instead of
            // skipping it.
            .env("CASHMATCH_REQUIRE_SPARK", "1")
            .env("CASHMATCH_REPO", repo()),
    );
    eprintln!(
        "pytest: {:.1} s\n{}",
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout)
    );
}
