//! `cashmatch replay`: the auditor's reproduction of a published run
//! (RELIABILITY.md D4, invariant C9).
//!
//! Everything a run depends on is in its `manifest.json`: engine version,
//! the full effective configuration, the as-of date, `accept_unbalanced`,
//! and every input (bank files, extracts, state segments) by role, name,
//! SHA-256 and path. Replay finds each input (by its recorded path, taken
//! relative to the run directory, or by its recorded *name* under
//! `--inputs DIR`), refuses any whose hash changed, re-runs the whole
//! pipeline into a private temporary directory with the recorded options
//! and the recorded state, and compares every output and the manifest byte
//! for byte.

use crate::config::RunConfig;
use crate::inputs::{BankInput, InputFile};
use crate::manifest::{InputRole, Manifest, MANIFEST_NAME};
use crate::output::sha256_hex;
use crate::run::{self, CustomersSource, OpenItemsSource, RunRequest, RunStatus, StateMode};
use crate::CliError;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// The outcome of a replay.
#[derive(Debug)]
pub struct ReplayReport {
    /// One line per compared file, for the terminal.
    pub text: String,
    /// True when every output and the manifest are byte-identical.
    pub identical: bool,
    /// Names of the files that differ.
    pub differences: Vec<String>,
}

/// Where an input of the manifest is found.
fn locate(run_dir: &Path, inputs_dir: Option<&Path>, input: &InputFile) -> PathBuf {
    match (inputs_dir, input.role) {
        // State segments belong to the state directory, not to the inputs.
        (Some(dir), role) if role != InputRole::State => dir.join(&input.name),
        _ => match &input.path {
            Some(p) => run_dir.join(p),
            None => run_dir.join("inputs").join(&input.name),
        },
    }
}

/// Every input of a manifest, found with its recorded hash (else the
/// replay stops, naming each one that changed or is missing).
fn locate_inputs(
    run_dir: &Path,
    inputs_dir: Option<&Path>,
    inputs: &[InputFile],
) -> Result<Vec<(InputFile, PathBuf, Vec<u8>)>, CliError> {
    let mut changed = Vec::new();
    let mut located: Vec<(InputFile, PathBuf, Vec<u8>)> = Vec::new();
    for input in inputs {
        let path = locate(run_dir, inputs_dir, input);
        match std::fs::read(&path) {
            Err(e) => changed.push(format!(
                "{} input `{}` not found at `{}`: {e}",
                input.role,
                input.name,
                path.display()
            )),
            Ok(bytes) => {
                let sha = sha256_hex(&bytes);
                if sha != input.sha256 {
                    changed.push(format!(
                        "{} input `{}` (`{}`) changed: sha256 {sha}, the manifest recorded {}",
                        input.role,
                        input.name,
                        path.display(),
                        input.sha256
                    ));
                } else {
                    located.push((input.clone(), path, bytes));
                }
            }
        }
    }
    if !changed.is_empty() {
        return Err(CliError::Mismatch(changed.join("; ")));
    }
    Ok(located)
}

/// Replays the run in `run_dir`.
pub fn replay(run_dir: &Path, inputs_dir: Option<&Path>) -> Result<ReplayReport, CliError> {
    replay_partition(run_dir, inputs_dir, None)
}

/// Replays the run in `run_dir`; of a partitioned run, only `partition`
/// when given (`currency=EUR`), else every partition, the statements and
/// the top manifest.
pub fn replay_partition(
    run_dir: &Path,
    inputs_dir: Option<&Path>,
    partition: Option<&str>,
) -> Result<ReplayReport, CliError> {
    let manifest_path = run_dir.join(MANIFEST_NAME);
    let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| {
        CliError::Mismatch(format!("cannot read `{}`: {e}", manifest_path.display()))
    })?;
    match crate::partition::read_top_manifest(&manifest_bytes) {
        Ok(Some(top)) => return replay_partitioned(run_dir, inputs_dir, &top, partition),
        Ok(None) if partition.is_some() => {
            return Err(CliError::Input(format!(
                "`{}` is not a partitioned run: replay it without --partition",
                run_dir.display()
            )))
        }
        _ => {}
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        CliError::Mismatch(format!(
            "`{}` is not a manifest: {e}",
            manifest_path.display()
        ))
    })?;
    if manifest.engine_version != env!("CARGO_PKG_VERSION") {
        return Err(CliError::Mismatch(format!(
            "the run was made by cashmatch {}, this is {}: replay with the recorded version",
            manifest.engine_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let config = RunConfig::parse(&manifest.config)
        .map_err(|e| CliError::Mismatch(format!("the manifest's config does not parse: {e}")))?;
    let config_sha = sha256_hex(config.canonical_toml().as_bytes());
    if config_sha != manifest.config_sha256 {
        return Err(CliError::Mismatch(format!(
            "the manifest's config hashes to {config_sha}, not the recorded {}",
            manifest.config_sha256
        )));
    }
    let as_of = NaiveDate::parse_from_str(&manifest.as_of, "%Y-%m-%d").map_err(|_| {
        CliError::Mismatch(format!(
            "bad as-of date `{}` in the manifest",
            manifest.as_of
        ))
    })?;

    let located = locate_inputs(run_dir, inputs_dir, &manifest.inputs)?;

    let bank_inputs: Vec<BankInput> = located
        .iter()
        .filter(|(i, _, _)| i.role == InputRole::Bank)
        .map(|(i, p, _)| BankInput {
            path: p.clone(),
            name: i.name.clone(),
        })
        .collect();
    let remittance_inputs: Vec<BankInput> = located
        .iter()
        .filter(|(i, _, _)| i.role == InputRole::Remittance)
        .map(|(i, p, _)| BankInput {
            path: p.clone(),
            name: i.name.clone(),
        })
        .collect();
    let open_items = located
        .iter()
        .find(|(i, _, _)| i.role == InputRole::OpenItems)
        .map(|(_, p, _)| p.clone())
        .ok_or_else(|| CliError::Mismatch("the manifest lists no open-item extract".into()))?;
    let customers = located
        .iter()
        .find(|(i, _, _)| i.role == InputRole::Customers)
        .map(|(_, p, _)| p.clone());
    // State inputs are segments, and (format `json`) the remittance
    // advices that were waiting when the run started.
    let decisions = located
        .iter()
        .find(|(i, _, _)| i.role == InputRole::Decisions)
        .map(|(_, p, _)| p.clone());
    let rates = located
        .iter()
        .find(|(i, _, _)| i.role == InputRole::Rates)
        .map(|(_, p, _)| p.clone());
    let segments: Vec<(InputFile, Vec<u8>)> = located
        .iter()
        .filter(|(i, _, _)| i.role == InputRole::State && i.format != "json")
        .map(|(i, _, b)| (i.clone(), b.clone()))
        .collect();
    let waiting = located
        .iter()
        .find(|(i, _, _)| i.role == InputRole::State && i.format == "json")
        .map(|(_, _, b)| b.clone());
    let state_inputs: Vec<InputFile> = located
        .iter()
        .filter(|(i, _, _)| i.role == InputRole::State)
        .map(|(i, _, _)| i.clone())
        .collect();
    let processed = cashmatch_store::state::processed_from_segments(&segments)?;

    let scratch = tempfile::Builder::new()
        .prefix("cashmatch-replay-")
        .tempdir()
        .map_err(|e| CliError::Io(format!("cannot create a temporary directory: {e}")))?;
    let out = scratch.path().join("run");
    let req = RunRequest {
        bank: Vec::new(),
        bank_inputs: Some(bank_inputs),
        open_items: OpenItemsSource::File(open_items),
        customers: customers.map(CustomersSource::File),
        config,
        as_of: Some(as_of),
        out: out.clone(),
        accept_unbalanced: manifest.accept_unbalanced,
        quiet: true,
        state: StateMode::Replay {
            processed: std::sync::Arc::new(processed),
            inputs: state_inputs,
            dir: manifest.state.clone(),
            waiting,
        },
        recorded_inputs: Some(manifest.inputs.clone()),
        // Replay compares the run's outputs; `report RUN_DIR` redoes the
        // analytics set from the files.
        analytics: None,
        remittance: Vec::new(),
        remittance_inputs: Some(remittance_inputs),
        decisions,
        rates,
    };
    match run::run(&req)? {
        RunStatus::Published(_) => {}
        RunStatus::AlreadyProcessed { .. } => {
            return Err(CliError::Mismatch(
                "replay unexpectedly found the run already processed".into(),
            ))
        }
    }

    let mut text = format!(
        "replay of run {} (as of {}) in {}\n",
        manifest.run_id,
        manifest.as_of,
        run_dir.display()
    );
    let mut differences = Vec::new();
    let names: Vec<String> = manifest
        .outputs
        .iter()
        .map(|o| o.name.clone())
        .chain(std::iter::once(MANIFEST_NAME.to_string()))
        .collect();
    for name in names {
        let published = std::fs::read(run_dir.join(&name)).ok();
        let replayed = std::fs::read(out.join(&name)).ok();
        let same = published.is_some() && published == replayed;
        let sha = |b: &Option<Vec<u8>>| b.as_deref().map_or("missing".to_string(), sha256_hex);
        if same {
            text.push_str(&format!("identical  {name:<22} {}\n", sha(&published)));
        } else {
            text.push_str(&format!(
                "DIFFERS    {name:<22} published {} replayed {}\n",
                sha(&published),
                sha(&replayed)
            ));
            differences.push(name);
        }
    }
    let identical = differences.is_empty();
    text.push_str(if identical {
        "replay: every output is byte-identical\n"
    } else {
        "replay: DIFFERENT\n"
    });
    Ok(ReplayReport {
        text,
        identical,
        differences,
    })
}

/// Replays a partitioned run (issue 12): its inputs from the top manifest,
/// the partitions recomputed in memory (only `only` when given), and each
/// partition's files and manifest compared byte for byte; without `only`
/// also the statements file and the top manifest.
fn replay_partitioned(
    run_dir: &Path,
    inputs_dir: Option<&Path>,
    top: &crate::partition::PartitionedManifest,
    only: Option<&str>,
) -> Result<ReplayReport, CliError> {
    use crate::partition;
    if top.engine_version != env!("CARGO_PKG_VERSION") {
        return Err(CliError::Mismatch(format!(
            "the run was made by cashmatch {}, this is {}: replay with the recorded version",
            top.engine_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    if let Some(p) = only {
        if !top.partitions.iter().any(|e| e.partition == p) {
            return Err(CliError::Input(format!(
                "the run has no partition `{p}`; it has {}",
                top.partitions
                    .iter()
                    .map(|e| e.partition.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let config = RunConfig::parse(&top.config)
        .map_err(|e| CliError::Mismatch(format!("the manifest's config does not parse: {e}")))?;
    if sha256_hex(top.config.as_bytes()) != top.config_sha256 {
        return Err(CliError::Mismatch(
            "the manifest's config does not hash to its config_sha256".into(),
        ));
    }
    let as_of = NaiveDate::parse_from_str(&top.as_of, "%Y-%m-%d").map_err(|_| {
        CliError::Mismatch(format!("bad as-of date `{}` in the manifest", top.as_of))
    })?;
    let located = locate_inputs(run_dir, inputs_dir, &top.inputs)?;
    let by_role = |role: InputRole| -> Vec<(&InputFile, &PathBuf)> {
        located
            .iter()
            .filter(|(i, _, _)| i.role == role)
            .map(|(i, p, _)| (i, p))
            .collect()
    };
    let req = RunRequest {
        bank: Vec::new(),
        bank_inputs: Some(
            by_role(InputRole::Bank)
                .into_iter()
                .map(|(i, p)| BankInput {
                    path: p.clone(),
                    name: i.name.clone(),
                })
                .collect(),
        ),
        open_items: OpenItemsSource::File(
            by_role(InputRole::OpenItems)
                .first()
                .map(|(_, p)| (*p).clone())
                .ok_or_else(|| {
                    CliError::Mismatch("the manifest lists no open-item extract".into())
                })?,
        ),
        customers: by_role(InputRole::Customers)
            .first()
            .map(|(_, p)| CustomersSource::File((*p).clone())),
        config,
        as_of: Some(as_of),
        // Nothing is written: the run is computed in memory.
        out: run_dir.to_path_buf(),
        accept_unbalanced: top.accept_unbalanced,
        quiet: true,
        state: StateMode::Off,
        recorded_inputs: Some(top.inputs.clone()),
        analytics: None,
        remittance: Vec::new(),
        remittance_inputs: None,
        decisions: None,
        rates: None,
    };
    let computed = partition::compute(&req, only)?;
    let mut text = format!(
        "replay of run {} (as of {}, partitioned by {}) in {}\n",
        top.run_id,
        top.as_of,
        top.partition_by.join(","),
        run_dir.display()
    );
    let mut differences = Vec::new();
    let mut compare = |name: &str, replayed: Option<&[u8]>| {
        let published = std::fs::read(run_dir.join(name)).ok();
        let sha = |b: Option<&[u8]>| b.map_or("missing".to_string(), sha256_hex);
        if published.is_some() && published.as_deref() == replayed {
            text.push_str(&format!("identical  {name} {}\n", sha(replayed)));
        } else {
            text.push_str(&format!(
                "DIFFERS    {name} published {} replayed {}\n",
                sha(published.as_deref()),
                sha(replayed)
            ));
            differences.push(name.to_string());
        }
    };
    for p in &computed.partitions {
        for f in &p.files {
            compare(&f.path, Some(&f.bytes));
        }
        compare(&p.manifest.path, Some(&p.manifest.bytes));
    }
    // A partition the run has and the replay does not (or the reverse).
    let replayed: Vec<&str> = computed
        .partitions
        .iter()
        .map(|p| p.partition.as_str())
        .collect();
    for e in &top.partitions {
        if only.is_none_or(|o| o == e.partition) && !replayed.contains(&e.partition.as_str()) {
            compare(&e.manifest, None);
        }
    }
    if only.is_none() {
        compare(&computed.statements.path, Some(&computed.statements.bytes));
        let entries: Vec<_> = computed
            .partitions
            .iter()
            .map(partition::PartitionEntry::of)
            .collect();
        let again = partition::top_manifest(
            &computed.spec,
            &computed.run,
            &computed.statements,
            &entries,
        )?;
        compare(MANIFEST_NAME, Some(&again));
    }
    let identical = differences.is_empty();
    text.push_str(if identical {
        "replay: every output is byte-identical\n"
    } else {
        "replay: DIFFERENT\n"
    });
    Ok(ReplayReport {
        text,
        identical,
        differences,
    })
}
