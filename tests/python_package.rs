//! The Python package (`python/`, issue 12) through README's one test
//! command: builds a virtual environment under the target directory, installs
//! the package with `pip install ./python` (maturin, sharing this build's
//! target directory so the workspace's crates are not compiled twice) and
//! runs its pytest suite (`python/tests/`), which compares the package's
//! tables with the files this build's `cashmatch` binary writes.
//!
//! Needs `python3` (>= 3.10) with `venv` and network access to PyPI for
//! maturin, pytest and pyarrow on the first run; `.ci/run` installs
//! Debian's `python3-venv` when it is missing. Later runs reuse the
//! environment and pip's cache. Time: BENCHMARKS.md, "Python package test".

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

/// The virtual environment with the test tools, created once.
fn venv() -> PathBuf {
    let dir = target_tmp().join("python-venv");
    let python = dir.join("bin/python");
    if !python.exists() {
        run(
            "python3 -m venv (install Debian's python3-venv if this fails)",
            Command::new("python3").args(["-m", "venv"]).arg(&dir),
        );
    }
    let ready = Command::new(&python)
        .args(["-c", "import pytest, pyarrow, pyspark, pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        run(
            "pip install pytest pyarrow pyspark pandas",
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "pytest",
                "pyarrow",
                // The Spark job's test (python/tests/test_spark.py, issue 12).
                "pyspark>=4,<5",
                // pyspark's Arrow UDFs import pandas.
                "pandas",
            ]),
        );
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
