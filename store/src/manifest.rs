//! `manifest.json`: what an auditor needs to reproduce and trust a run.
//! It holds no wall-clock time, so the same run gives the same manifest.

use cashmatch_engine::model::{ControlSums, PassStats};
use serde::{Deserialize, Serialize};

/// Name of the manifest file in a run directory.
pub const MANIFEST_NAME: &str = "manifest.json";

/// What an input file is to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    /// A bank statement file.
    Bank,
    /// The open-item extract.
    OpenItems,
    /// The customer master.
    Customers,
    /// A state segment of an earlier run.
    State,
    /// A remittance advice file (X12 820, lockbox, NACHA, remt.001,
    /// camt.054, remittance CSV).
    Remittance,
    /// People's decisions on earlier exceptions (`run --decisions`).
    Decisions,
    /// Exchange rates for cross-currency payments (`run --rates`).
    Rates,
}

impl InputRole {
    /// The name written to the manifest (and hashed into the run id).
    pub fn as_str(self) -> &'static str {
        match self {
            InputRole::Bank => "bank",
            InputRole::OpenItems => "open_items",
            InputRole::Customers => "customers",
            InputRole::State => "state",
            InputRole::Remittance => "remittance",
            InputRole::Decisions => "decisions",
            InputRole::Rates => "rates",
        }
    }
}

impl std::fmt::Display for InputRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the run did with an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputStatus {
    /// Read and used.
    Accepted,
    /// Its own totals failed, ingested because the run accepts unbalanced statements.
    AcceptedUnbalanced,
    /// Its own totals failed: excluded.
    RejectedUnbalanced,
    /// Unusable (parse error, structural defect, conflicting re-issue): excluded whole.
    Rejected,
    /// Already processed (byte-identical or same statements): skipped, no new money.
    Duplicate,
}

impl InputStatus {
    /// The name written to the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            InputStatus::Accepted => "accepted",
            InputStatus::AcceptedUnbalanced => "accepted_unbalanced",
            InputStatus::RejectedUnbalanced => "rejected_unbalanced",
            InputStatus::Rejected => "rejected",
            InputStatus::Duplicate => "duplicate",
        }
    }

    /// True when nothing of the file entered the run.
    pub fn is_rejected(self) -> bool {
        matches!(
            self,
            InputStatus::Rejected | InputStatus::RejectedUnbalanced
        )
    }
}

impl From<cashmatch_engine::ingest::Disposition> for InputStatus {
    fn from(d: cashmatch_engine::ingest::Disposition) -> Self {
        use cashmatch_engine::ingest::Disposition as D;
        match d {
            D::Accepted => InputStatus::Accepted,
            D::AcceptedUnbalanced => InputStatus::AcceptedUnbalanced,
            D::RejectedUnbalanced => InputStatus::RejectedUnbalanced,
            D::Duplicate => InputStatus::Duplicate,
            D::RejectedConflict => InputStatus::Rejected,
        }
    }
}

/// One input file as the manifest records it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct InputFile {
    /// What the file is to the run.
    pub role: InputRole,
    /// Stable name, independent of the working directory.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Format name (`bai2`, `camt.053`, `mt940`, `bank_csv`, ...).
    pub format: String,
    /// Records ingested from it (transactions, items, customers, segment rows).
    pub rows: u64,
    /// What the run did with it.
    pub status: InputStatus,
    /// Why it was rejected or skipped, or what was noted; empty otherwise.
    pub detail: String,
    /// Where the file was read from, relative to the run directory when
    /// possible (what `cashmatch replay` opens by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One written output, for the manifest.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct WrittenFile {
    /// File name inside the run directory.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// The manifest of one run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Package name of the engine (`cashmatch`).
    pub engine: String,
    /// Engine version; replay refuses another one.
    pub engine_version: String,
    /// Version of the output schema.
    pub schema_version: String,
    /// Derived from the input hashes, config hash, engine version and as-of date.
    pub run_id: String,
    /// The accounting date used for aging (given or derived).
    pub as_of: String,
    /// SHA-256 of `config`.
    pub config_sha256: String,
    /// The full effective configuration (defaults filled in), as TOML.
    pub config: String,
    /// SHA-256 of the ISO 4217 table the run validated currencies against.
    #[serde(default)]
    pub currency_table_sha256: String,
    /// Whether statements failing their own totals were ingested.
    pub accept_unbalanced: bool,
    /// The state directory the run read and extended, relative to the run
    /// directory when possible; absent when the run used no state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The pinned Parquet writer settings, in words.
    pub parquet_writer: String,
    /// Every input: bank files, extracts and state segments.
    pub inputs: Vec<InputFile>,
    /// Every output with its SHA-256, size and rows.
    pub outputs: Vec<WrittenFile>,
    /// Money per currency: received, debits, applied, unapplied, discounts, write-offs.
    pub control_sums: Vec<ControlSums>,
    /// Row counts per category.
    pub counts: Counts,
    /// Proposals made and accepted per matching pass.
    pub passes: Vec<PassStats>,
    /// Files rejected whole, each message naming the file and why.
    pub rejections: Vec<String>,
    /// Non-fatal findings.
    pub warnings: Vec<String>,
    /// The legal entities (company codes) of the run, sorted: every code a
    /// transaction's receiving account or an open item belongs to. Absent
    /// in manifests written before legal entities, and for `ingest`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<String>,
}

/// Row counts per output category.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Counts {
    /// Rows of `transactions.parquet`.
    pub transactions: u64,
    /// Rows of `applications.parquet`.
    pub applications: u64,
    /// Rows of `exceptions.parquet`.
    pub exceptions: u64,
    /// Rows of `postings.parquet`.
    pub postings: u64,
    /// Rows of `open_items.parquet`.
    pub open_items: u64,
    /// Rows of `aging.parquet`.
    pub aging_rows: u64,
    /// Rows of `statements.parquet`.
    pub statements: u64,
    /// Bank files rejected whole.
    pub files_rejected: u64,
    /// Entries not booked by the bank, left out.
    pub pending_entries_skipped: u64,
    /// Bank files skipped as byte-identical re-deliveries (B1-7).
    #[serde(default)]
    pub files_duplicate: u64,
    /// Transactions skipped because an earlier run (or an earlier file of
    /// this batch) already ingested them (B1-9).
    #[serde(default)]
    pub transactions_already_processed: u64,
}

/// The run id: a hash of the batch (input hashes, config hash, engine
/// name and version, as-of date, `accept_unbalanced`). State segments are left out on
/// purpose: the id names the *batch*, so re-running it after its state was
/// extended is recognised as "already processed" (B5-44). The manifest, which
/// lists the state segments too, pins the exact run.
pub fn run_id(
    engine: &str,
    engine_version: &str,
    inputs: &[InputFile],
    config_sha256: &str,
    as_of: &str,
    accept_unbalanced: bool,
) -> String {
    let mut key = format!("{engine}|{engine_version}|{config_sha256}|{as_of}|{accept_unbalanced}");
    for f in inputs.iter().filter(|f| f.role != InputRole::State) {
        key.push('|');
        key.push_str(f.role.as_str());
        key.push(':');
        key.push_str(&f.sha256);
    }
    let hex = crate::sha256_hex(key.as_bytes());
    format!("R{}", &hex[..20])
}

/// `target` relative to `base` (both made absolute first), so a manifest
/// does not depend on where the run directory is mounted; falls back to the
/// absolute path when no relative form exists (another drive).
pub fn relative_path(base: &std::path::Path, target: &std::path::Path) -> String {
    let abs = |p: &std::path::Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (base, target) = (abs(base), abs(target));
    let b: Vec<_> = base.components().collect();
    let t: Vec<_> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return target.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = Vec::new();
    for _ in common..b.len() {
        parts.push("..".into());
    }
    for c in &t[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_walk_up_and_down() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("inputs")).unwrap();
        assert_eq!(
            relative_path(&out, &out.join("inputs/bank.csv")),
            "inputs/bank.csv"
        );
        assert_eq!(
            relative_path(&out, &dir.path().join("bank.csv")),
            "../bank.csv"
        );
    }
}
