//! Generates a dataset.
//!
//! ```text
//! cargo run --release -p cashmatch-datasets --example generate -- \
//!     <customers> <invoices> <payments> <seed> <out_dir> [<profile>]
//! ```
//!
//! With no arguments it regenerates the bundled demo set into
//! `datasets/demo/`.

use cashmatch_datasets::{demo, generate, GeneratorConfig, Profile};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, out_dir) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!("usage: generate [<customers> <invoices> <payments> <seed> <out_dir>]");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match generate(&config, &out_dir) {
        Ok(summary) => {
            eprintln!(
                "wrote {} customers, {} open items, {} bank lines, {} truth lines to {} in {:.2} s ({} events downgraded)",
                summary.customers,
                summary.invoices,
                summary.payments,
                summary.truth_lines,
                out_dir.display(),
                started.elapsed().as_secs_f64(),
                summary.events_downgraded,
            );
            for (scenario, lines) in &summary.payments_by_scenario {
                eprintln!("  {scenario:<24} {lines:>9}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot generate into `{}`: {e}", out_dir.display());
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<(GeneratorConfig, PathBuf), String> {
    if args.is_empty() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo");
        return Ok((demo::config(), dir));
    }
    let (args, profile) = match args {
        [rest @ .., p] if rest.len() == 5 => (
            rest,
            Profile::from_name(p).ok_or_else(|| format!("unknown profile `{p}`"))?,
        ),
        _ => (args, Profile::Default),
    };
    let [customers, invoices, payments, seed, out_dir] = args else {
        return Err(format!("expected 0, 5 or 6 arguments, got {}", args.len()));
    };
    let number = |name: &str, text: &str| -> Result<u64, String> {
        text.parse::<u64>()
            .map_err(|_| format!("`{name}` must be a whole number, got `{text}`"))
    };
    let count = |name: &str, text: &str| -> Result<u32, String> {
        u32::try_from(number(name, text)?).map_err(|_| format!("`{name}` is too large"))
    };
    let config = GeneratorConfig {
        customers: count("customers", customers)?,
        invoices: count("invoices", invoices)?,
        payments: count("payments", payments)?,
        seed: number("seed", seed)?,
        as_of: demo::config().as_of,
        profile,
        scenario_weights: profile.scenario_weights(),
        ..GeneratorConfig::default()
    };
    Ok((config, PathBuf::from(out_dir)))
}
