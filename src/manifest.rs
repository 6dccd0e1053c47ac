//! `manifest.json`: what an auditor needs to reproduce and trust a run.
//! It holds no wall-clock time, so the same run gives the same manifest.

use crate::inputs::InputFile;
use crate::output::WrittenFile;
use cashmatch_engine::model::{ControlSums, PassStats};
use serde::{Deserialize, Serialize};

/// Name of the manifest file in a run directory.
pub const MANIFEST_NAME: &str = "manifest.json";

/// The manifest of one run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub engine: String,
    pub engine_version: String,
    pub schema_version: String,
    /// Derived from the input hashes, config hash, engine version and as-of date.
    pub run_id: String,
    pub as_of: String,
    pub config_sha256: String,
    /// The full effective configuration (defaults filled in), as TOML.
    pub config: String,
    pub accept_unbalanced: bool,
    pub parquet_writer: String,
    pub inputs: Vec<InputFile>,
    pub outputs: Vec<WrittenFile>,
    pub control_sums: Vec<ControlSums>,
    pub counts: Counts,
    pub passes: Vec<PassStats>,
    pub rejections: Vec<String>,
    pub warnings: Vec<String>,
}

/// Row counts per output category.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Counts {
    pub transactions: u64,
    pub applications: u64,
    pub exceptions: u64,
    pub postings: u64,
    pub open_items: u64,
    pub aging_rows: u64,
    pub statements: u64,
    pub files_rejected: u64,
    pub pending_entries_skipped: u64,
}

/// The run id: a hash of everything that determines the outputs.
pub fn run_id(
    inputs: &[InputFile],
    config_sha256: &str,
    as_of: &str,
    accept_unbalanced: bool,
) -> String {
    let mut key = format!(
        "{}|{}|{config_sha256}|{as_of}|{accept_unbalanced}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    for f in inputs {
        key.push('|');
        key.push_str(&f.role);
        key.push(':');
        key.push_str(&f.sha256);
    }
    let hex = crate::output::sha256_hex(key.as_bytes());
    format!("R{}", &hex[..20])
}
