//! Issue 13 ("loses nothing, crashes on nothing"): the CLI-level defects a
//! controller or an auditor would hit, each pinned by a test that failed
//! before its fix. RELIABILITY.md rows are cited per test.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ITEMS: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n\
                     INV-1,C1,ACME GmbH,EUR,100.00,100.00,2026-02-01,2026-03-01\n";
const GOOD: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n\
                    DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-1,G1\n";

/// Runs `cmd`, killing it after `limit` so a hang fails the test instead of
/// blocking the suite.
fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("command still running after {limit:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn run_over(dir: &Path, bank: &Path, extra: &[&str]) -> Output {
    let items = dir.join("items.csv");
    fs::write(&items, ITEMS).unwrap();
    output_within(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(bank)
            .arg("--open-items")
            .arg(&items)
            .args(["--as-of", "2026-03-31", "--out"])
            .arg(dir.join("out"))
            .args(extra),
        Duration::from_secs(60),
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Errors and rejections go to stderr; stdout carries results. A rejected
/// file's message used to be printed on stdout with the summary.
#[test]
fn a_rejected_file_is_reported_on_stderr_not_stdout() {
    let dir = tempdir();
    let bank = dir.path().join("bank");
    fs::create_dir(&bank).unwrap();
    fs::write(bank.join("good.csv"), GOOD).unwrap();
    fs::write(bank.join("empty.csv"), "").unwrap();
    let o = run_over(dir.path(), &bank, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("rejected: ") && stderr(&o).contains("empty.csv"),
        "stderr: {}",
        stderr(&o)
    );
    assert!(
        !stdout(&o).contains("empty.csv"),
        "stdout carries results only: {}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("outputs written to"), "{}", stdout(&o));
}

/// RELIABILITY B1-5: a FIFO in the bank folder used to be opened and read,
/// and the run hung forever. Only regular files are bank inputs.
#[test]
fn a_fifo_in_the_bank_folder_is_refused_not_read() {
    let dir = tempdir();
    let bank = dir.path().join("bank");
    fs::create_dir(&bank).unwrap();
    fs::write(bank.join("good.csv"), GOOD).unwrap();
    let fifo = bank.join("pipe.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = run_over(dir.path(), &bank, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("pipe.csv"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    assert!(!dir.path().join("out/manifest.json").exists());
}

/// RELIABILITY B1-5: a FIFO passed directly is refused too.
#[test]
fn a_fifo_passed_as_the_bank_file_is_refused() {
    let dir = tempdir();
    let fifo = dir.path().join("statement.bai2");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let o = run_over(dir.path(), &fifo, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

/// RELIABILITY B4-42 (paths from outside the input root): the folder walk
/// used to follow any symbolic link, so a link in a bank folder could pull
/// in any file on the machine. A link leading outside the folder is refused,
/// naming both; a link to a file inside it is read once.
#[test]
fn symlinks_are_resolved_inside_the_bank_folder_only() {
    let dir = tempdir();
    let bank = dir.path().join("bank");
    fs::create_dir(&bank).unwrap();
    fs::write(bank.join("good.csv"), GOOD).unwrap();
    std::os::unix::fs::symlink(bank.join("good.csv"), bank.join("same.csv")).unwrap();
    let o = run_over(dir.path(), &bank, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    let bank_inputs = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["name"].as_str().unwrap().starts_with("bank/"))
        .count();
    assert_eq!(bank_inputs, 1, "a link beside its target is read once");

    let outside = dir.path().join("secret.csv");
    fs::write(&outside, GOOD).unwrap();
    std::os::unix::fs::symlink(&outside, bank.join("link.csv")).unwrap();
    let o = run_over(dir.path(), &bank, &["--no-state"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("link.csv") && stderr(&o).contains("outside the folder"),
        "{}",
        stderr(&o)
    );
}

/// Issue 13: `[matching] reference_patterns` were never compiled by the
/// config check, so a bad regex was dropped silently and the run went on
/// without it. The run now stops before reading anything, naming the key.
#[test]
fn a_bad_reference_pattern_stops_the_run_naming_the_key() {
    let dir = tempdir();
    let bank = dir.path().join("good.csv");
    fs::write(&bank, GOOD).unwrap();
    let cfg = dir.path().join("rules.toml");
    fs::write(&cfg, "[matching]\nreference_patterns = [\"RE-(\\\\d+\"]\n").unwrap();
    let cfg = cfg.to_string_lossy().into_owned();
    let o = run_over(dir.path(), &bank, &["--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("reference_patterns[0]"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out/manifest.json").exists());
}

/// Issue 13: `[gl] deduction` was accepted but unused, so a short payment's
/// deduction stayed on the receivable and the deductions team had nothing to
/// work from. On the demo (21 short payments), the deduction account carries
/// exactly Σ `deduction_amount`, each line names its invoice, every journal
/// still balances, and each such invoice is `cleared_with_deduction`.
#[test]
fn the_demo_posts_its_deductions_to_the_deduction_account() {
    let dir = tempdir();
    let out = dir.path().join("out");
    run_ok(cashmatch().arg("demo").arg("--out").arg(&out));
    let apps = read_parquet(&out.join("applications.parquet"));
    let deducted: rust_decimal::Decimal = money(&apps, "deduction_amount").into_iter().sum();
    assert!(!deducted.is_zero(), "the demo has short payments");
    let postings = read_parquet(&out.join("postings.parquet"));
    let gl = text(&postings, "gl_account");
    let debit = money(&postings, "debit");
    let credit = money(&postings, "credit");
    let invoices = texts(&postings, "invoice_id");
    let mut on_deduction = rust_decimal::Decimal::ZERO;
    for i in 0..gl.len() {
        if gl[i] == "1260" {
            on_deduction += debit[i];
            assert!(invoices[i].is_some(), "a deduction line names its invoice");
        }
    }
    assert_eq!(on_deduction, deducted);
    let balance: rust_decimal::Decimal =
        debit.iter().sum::<rust_decimal::Decimal>() - credit.iter().sum::<rust_decimal::Decimal>();
    assert!(balance.is_zero());
    let items = read_parquet(&out.join("open_items.parquet"));
    let status = text(&items, "status");
    let after = money(&items, "amount_open_after");
    let cleared: Vec<usize> = (0..status.len())
        .filter(|&i| status[i] == "cleared_with_deduction")
        .collect();
    assert!(!cleared.is_empty());
    assert!(cleared.iter().all(|&i| after[i].is_zero()));
}

/// Every output file of a run directory (not the state), by name.
fn output_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// README: "no clock, host name or random value is in any output"
/// (RELIABILITY C9, B5-49). The demo run under two extreme time zones and
/// two locales gives the same bytes in every output and the manifest, and
/// the machine's host name appears in none of them.
#[test]
fn outputs_do_not_depend_on_time_zone_locale_or_host() {
    let dir = tempdir();
    let mut runs = Vec::new();
    for (tz, lang) in [
        ("Pacific/Kiritimati", "de_DE.UTF-8"),
        ("Pacific/Pago_Pago", "C"),
    ] {
        let out = dir.path().join(tz.replace('/', "_"));
        run_ok(
            cashmatch()
                .env("TZ", tz)
                .env("LANG", lang)
                .env("LC_ALL", lang)
                .arg("demo")
                .arg("--out")
                .arg(&out),
        );
        runs.push(output_files(&out));
    }
    assert!(
        runs[0].len() >= 8,
        "outputs and manifest: {:?}",
        runs[0].len()
    );
    assert_eq!(
        runs[0].iter().map(|(n, _)| n).collect::<Vec<_>>(),
        runs[1].iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in runs[0].iter().zip(&runs[1]) {
        assert!(a == b, "{name} differs between time zones or locales");
    }
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string();
    if host.len() >= 4 {
        for (name, bytes) in &runs[0] {
            assert!(
                !bytes.windows(host.len()).any(|w| w == host.as_bytes()),
                "{name} contains the host name `{host}`"
            );
        }
    }
}

/// RELIABILITY B1-5: an open-item extract that is a FIFO used to be read
/// with `std::fs::read` and hung the run; only regular files are read, and
/// never more than `[open_items] file_bytes_max`.
#[test]
fn a_fifo_passed_as_the_open_item_extract_is_refused() {
    let dir = tempdir();
    let bank = dir.path().join("good.csv");
    fs::write(&bank, GOOD).unwrap();
    let fifo = dir.path().join("items.csv");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let o = output_within(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(&bank)
            .arg("--open-items")
            .arg(&fifo)
            .args(["--as-of", "2026-03-31", "--out"])
            .arg(dir.path().join("out")),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("items.csv"), "{}", stderr(&o));
    assert!(!dir.path().join("out/manifest.json").exists());
}

/// Issue 13: an extract over the configured size cap is refused before it
/// is parsed, naming the setting to raise.
#[test]
fn an_extract_over_its_size_cap_names_the_setting() {
    let dir = tempdir();
    let bank = dir.path().join("good.csv");
    fs::write(&bank, GOOD).unwrap();
    let cfg = dir.path().join("rules.toml");
    fs::write(&cfg, "[open_items]\nfile_bytes_max = 10\n").unwrap();
    let cfg = cfg.to_string_lossy().into_owned();
    let o = run_over(dir.path(), &bank, &["--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("file_bytes_max"), "{}", stderr(&o));
}
