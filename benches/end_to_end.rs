//! End-to-end benchmark: a whole `cashmatch run` in-process, on a generated
//! dataset, with per-stage timings, rows per second and peak memory.
//!
//! ```sh
//! cargo bench --bench end_to_end                                # 1M payments
//! CASHMATCH_BENCH_ROWS=100000 CASHMATCH_BENCH_REPS=5 cargo bench --bench end_to_end
//! CASHMATCH_BENCH_ROWS=10000000 CASHMATCH_BENCH_REPS=1 cargo bench --bench end_to_end  # 10M, see BENCHMARKS.md
//! ```
//!
//! Environment:
//! - `CASHMATCH_BENCH_ROWS`: bank lines (payments), default 1,000,000.
//! - `CASHMATCH_BENCH_INVOICES`: open items, default 1.3 × rows (the
//!   generator's payment mix consumes ~1.25 invoices per line; with fewer,
//!   late events degrade to unknown payments).
//! - `CASHMATCH_BENCH_CUSTOMERS`: default 15 % of rows (150k per 1M).
//! - `CASHMATCH_BENCH_SEED`: default 7.
//! - `CASHMATCH_BENCH_REPS`: repetitions per configuration, default 3
//!   (medians are printed).
//! - `CASHMATCH_BENCH_CONFIGS`: comma-separated, from `full` (every pass)
//!   and `exact-only` (only the exact-reference pass: the job the DuckDB and
//!   Polars peers in `benches/peers/` do). Default both.
//!
//! The dataset is generated once and cached under the target directory,
//! keyed by its size and seed (`<target>/cashmatch-bench-data/`). Peak
//! memory is the process's `VmHWM`, reset before each repetition through
//! `/proc/self/clear_refs`, so it covers one run (the dataset is on disk;
//! nothing else is resident).

use cashmatch::config::RunConfig;
use cashmatch::run::{self, CustomersSource, OpenItemsSource, RunRequest, RunStatus, StateMode};
use cashmatch_datasets::GeneratorConfig;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Default bank lines per run.
const ROWS_DEFAULT: u64 = 1_000_000;
/// Invoices per payment by default, in tenths (see the module docs).
const INVOICES_PER_PAYMENT_TENTHS: u64 = 13;
/// Customers per payment by default, in percent.
const CUSTOMERS_PER_PAYMENT_PERCENT: u64 = 15;
const SEED_DEFAULT: u64 = 7;
const REPS_DEFAULT: usize = 3;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .replace('_', "")
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v}: {e}")),
        Err(_) => default,
    }
}

/// `<target>` of the running bench binary (`<target>/release/deps/end_to_end-…`).
fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
}

/// A dataset of the given size, generated on first use.
fn dataset(rows: u64, invoices: u64, customers: u64, seed: u64) -> PathBuf {
    let dir = target_dir()
        .join("cashmatch-bench-data")
        .join(format!("p{rows}-i{invoices}-c{customers}-s{seed}"));
    let done = dir.join(".complete");
    if done.exists() {
        return dir;
    }
    eprintln!("generating {} ...", dir.display());
    let started = Instant::now();
    let config = GeneratorConfig {
        customers: u32::try_from(customers).expect("customers fit u32"),
        invoices: u32::try_from(invoices).expect("invoices fit u32"),
        payments: u32::try_from(rows).expect("rows fit u32"),
        seed,
        ..GeneratorConfig::default()
    };
    let summary = cashmatch_datasets::generate(&config, &dir).expect("generate dataset");
    std::fs::write(&done, b"").expect("mark dataset complete");
    eprintln!(
        "generated {} invoices, {} bank lines in {:.1} s",
        summary.invoices,
        summary.payments,
        started.elapsed().as_secs_f64()
    );
    dir
}

/// Peak resident memory of this process since the last reset, in bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn config_named(name: &str) -> RunConfig {
    let mut config = RunConfig::default();
    match name {
        "full" => {}
        "exact-only" => {
            let m = &mut config.matching;
            for rule in [
                &mut m.structured_reference,
                &mut m.fuzzy_reference,
                &mut m.reference_with_difference,
                &mut m.customer_amount,
                &mut m.subset_sum,
                &mut m.many_to_many,
                &mut m.instalment,
            ] {
                rule.enabled = false;
            }
            m.exact_reference.enabled = true;
        }
        other => panic!("unknown configuration `{other}` (full, exact-only)"),
    }
    config
}

/// One measured run.
struct Sample {
    total_s: f64,
    stages: Vec<(String, f64)>,
    peak_bytes: Option<u64>,
}

fn run_once(data: &Path, config: &RunConfig, out: &Path) -> Sample {
    let _ = std::fs::remove_dir_all(out);
    let req = RunRequest {
        bank: vec![data.join("bank.csv")],
        bank_inputs: None,
        open_items: OpenItemsSource::File(data.join("open_items.csv")),
        customers: Some(CustomersSource::File(data.join("customers.csv"))),
        config: config.clone(),
        as_of: None,
        out: out.to_path_buf(),
        accept_unbalanced: false,
        quiet: true,
        state: StateMode::Off,
        recorded_inputs: None,
        // Matching and its outputs only, as before issue 10.
        analytics: None,
        remittance: Vec::new(),
        remittance_inputs: None,
        decisions: None,
        rates: None,
    };
    reset_peak_rss();
    let started = Instant::now();
    let status = run::run(&req).unwrap_or_else(|e| panic!("run failed: {e}"));
    let total_s = started.elapsed().as_secs_f64();
    let peak_bytes = peak_rss_bytes();
    let stages = match status {
        RunStatus::Published(report) => report.timings,
        RunStatus::AlreadyProcessed { .. } => {
            panic!("state is off: nothing can be processed already")
        }
    };
    let _ = std::fs::remove_dir_all(out);
    Sample {
        total_s,
        stages,
        peak_bytes,
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes `--bench` (and filters); this harness has no options.
    let rows = env_u64("CASHMATCH_BENCH_ROWS", ROWS_DEFAULT);
    let invoices = env_u64(
        "CASHMATCH_BENCH_INVOICES",
        rows * INVOICES_PER_PAYMENT_TENTHS / 10,
    );
    let customers = env_u64(
        "CASHMATCH_BENCH_CUSTOMERS",
        (rows * CUSTOMERS_PER_PAYMENT_PERCENT / 100).max(1),
    );
    let seed = env_u64("CASHMATCH_BENCH_SEED", SEED_DEFAULT);
    let reps = env_u64("CASHMATCH_BENCH_REPS", REPS_DEFAULT as u64).max(1) as usize;
    let configs =
        std::env::var("CASHMATCH_BENCH_CONFIGS").unwrap_or_else(|_| "full,exact-only".into());
    let data = dataset(rows, invoices, customers, seed);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "end_to_end: {rows} bank lines, {invoices} open items, {customers} customers, seed {seed}, \
         {reps} repetitions, {threads} threads"
    );
    for name in configs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let config = config_named(name);
        let out = data.join(format!("out-{name}"));
        let samples: Vec<Sample> = (0..reps)
            .map(|rep| {
                let s = run_once(&data, &config, &out);
                eprintln!(
                    "  {name} #{}: {:.2} s, peak {:.0} MiB",
                    rep + 1,
                    s.total_s,
                    s.peak_bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0)
                );
                s
            })
            .collect();
        let total = median(samples.iter().map(|s| s.total_s).collect());
        let peak = samples
            .iter()
            .filter_map(|s| s.peak_bytes)
            .max()
            .unwrap_or(0);
        println!("\n[{name}] median of {reps}: {total:.2} s total, {:.0} bank lines/s, peak RSS {:.2} GiB",
            rows as f64 / total,
            peak as f64 / (1024.0 * 1024.0 * 1024.0)
        );
        println!("  {:<24} {:>10} {:>8}", "stage", "median s", "share");
        for (i, (stage, _)) in samples[0].stages.iter().enumerate() {
            let m = median(
                samples
                    .iter()
                    .filter_map(|s| s.stages.get(i).map(|x| x.1))
                    .collect(),
            );
            println!("  {stage:<24} {m:>10.3} {:>7.1}%", 100.0 * m / total);
        }
    }
}
