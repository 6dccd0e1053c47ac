//! `cashmatch verify`: the independent checker. It re-checks a published
//! run from its files alone (no engine, no inputs): the manifest's hashes
//! and row counts, and the money invariants recomputed from the Parquet
//! outputs (RELIABILITY.md section C, the "pair assertion": the engine
//! checks them before publishing, this checks them again after).
//!
//! It only reads: it takes no lock, finishes no publish and writes no byte.
//! A run directory with an unfinished commit (`.commit-*`) is refused with
//! [`CliError::Locked`] (exit 7), naming `cashmatch recover`.

use crate::manifest::{Manifest, MANIFEST_NAME};
use crate::output::sha256_hex;
use crate::CliError;
use arrow_array::RecordBatch;
use cashmatch_store::table::{money_column, read_parquet, text_column};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One check and its outcome.
#[derive(Debug, Clone)]
pub struct Check {
    /// Stable name of the check.
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was checked, or the offenders.
    pub detail: String,
}

/// Everything `verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Every check, in a fixed order.
    pub checks: Vec<Check>,
}

impl VerifyReport {
    fn push(&mut self, name: &'static str, result: Result<String, String>) {
        let (passed, detail) = match result {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        self.checks.push(Check {
            name,
            passed,
            detail,
        });
    }

    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// Names of the failed checks.
    pub fn failed_names(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name)
            .collect()
    }

    /// One line per check, for the terminal.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.checks {
            s.push_str(&format!(
                "{:<4} {:<34} {}\n",
                if c.passed { "ok" } else { "FAIL" },
                c.name,
                c.detail
            ));
        }
        s.push_str(if self.passed() {
            "verify: all checks passed\n"
        } else {
            "verify: FAILED\n"
        });
        s
    }
}

/// Tables of a run, read back; a table that cannot be read is an `Err`
/// naming why, and every check needing it fails with that reason.
struct Tables {
    tables: HashMap<&'static str, Result<Vec<RecordBatch>, String>>,
}

impl Tables {
    fn get(&self, name: &str) -> Result<&[RecordBatch], String> {
        match self.tables.get(name) {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(format!("`{name}`: {e}")),
            None => Err(format!("`{name}` is missing")),
        }
    }
}

const TABLES: [&str; 7] = [
    "transactions.parquet",
    "applications.parquet",
    "exceptions.parquet",
    "postings.parquet",
    "open_items.parquet",
    "aging.parquet",
    "statements.parquet",
];

/// Outputs a run lists when its version or its inputs call for them (runs
/// published before returned payments have no `returns.parquet`; only a run
/// given remittance advices writes `remittances.parquet`); hashed like the
/// others.
const OPTIONAL_TABLES: [&str; 2] = ["returns.parquet", "remittances.parquet"];

/// Verifies the run in `dir`, reading only. A directory whose publish is
/// unfinished, or that changes while it is read, is refused (exit 7); a
/// directory without a manifest is an error, not a failed check.
pub fn verify(dir: &Path) -> Result<VerifyReport, CliError> {
    let mut report = VerifyReport::default();
    refuse_unfinished_commit(dir)?;
    let manifest_path = dir.join(MANIFEST_NAME);
    let bytes = std::fs::read(&manifest_path).map_err(|e| {
        CliError::Mismatch(format!(
            "`{}`: {e}; a run directory without a manifest is incomplete and must not be trusted",
            manifest_path.display()
        ))
    })?;
    let top = crate::partition::read_top_manifest(&bytes).map_err(|e| {
        CliError::Mismatch(format!(
            "`{}` is not a manifest: {e}",
            manifest_path.display()
        ))
    })?;
    if let Some(top) = top {
        verify_partitioned(dir, &top, &mut report);
        return finish(dir, &manifest_path, &bytes, report);
    }
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Mismatch(format!(
            "`{}` is not a manifest: {e}",
            manifest_path.display()
        ))
    })?;
    let mut tables = Tables {
        tables: HashMap::new(),
    };
    report.push(
        "manifest_hashes_match_files",
        check_hashes(dir, &manifest, &mut tables, false),
    );
    report.push(
        "manifest_row_counts_match",
        check_rows(&manifest, &tables, false),
    );
    report.push("conservation_per_transaction", check_conservation(&tables));
    report.push("every_transaction_accounted_for", check_partition(&tables));
    report.push("no_invoice_over_applied", check_invoices(&tables));
    report.push("journals_balance", check_journals(&tables));
    report.push("aging_adds_up", check_aging(&tables));
    report.push("control_sums_match", check_control_sums(&manifest, &tables));
    finish(dir, &manifest_path, &bytes, report)
}

/// The last look: the directory did not change while it was read.
fn finish(
    dir: &Path,
    manifest_path: &Path,
    bytes: &[u8],
    report: VerifyReport,
) -> Result<VerifyReport, CliError> {
    // A run that committed while we read would mix two runs' files: the
    // checks above would then be about neither.
    refuse_unfinished_commit(dir)?;
    if std::fs::read(manifest_path).ok().as_deref() != Some(bytes) {
        return Err(CliError::Locked(format!(
            "`{}` changed while it was verified (another run is publishing into it); verify it again when that run has finished",
            dir.display()
        )));
    }
    Ok(report)
}

/// A partitioned run (issue 12): the top manifest's partitions and
/// statements file, then every check of an unpartitioned run on each
/// partition (its manifest, its files), each check reported once for all
/// partitions with the failing partitions named; and no data file that no
/// manifest lists (a Hive reader would read it as data).
fn verify_partitioned(
    dir: &Path,
    top: &crate::partition::PartitionedManifest,
    report: &mut VerifyReport,
) {
    let mut problems = Vec::new();
    let mut parts: Vec<(String, Manifest)> = Vec::new();
    for p in &top.partitions {
        if p.manifest != crate::partition::partition_manifest_path(&p.partition) {
            problems.push(format!(
                "{}: manifest at unexpected `{}`",
                p.partition, p.manifest
            ));
            continue;
        }
        match std::fs::read(dir.join(&p.manifest)) {
            Err(e) => problems.push(format!("`{}`: {e}", p.manifest)),
            Ok(bytes) => {
                if sha256_hex(&bytes) != p.sha256 || bytes.len() as u64 != p.bytes {
                    problems.push(format!(
                        "`{}` differs from the top manifest's sha256/size",
                        p.manifest
                    ));
                }
                match serde_json::from_slice::<Manifest>(&bytes) {
                    Ok(m) if m.run_id == top.run_id && m.counts == p.counts => {
                        parts.push((p.partition.clone(), m))
                    }
                    Ok(_) => problems.push(format!(
                        "`{}` is of another run or its counts differ from the top manifest's",
                        p.manifest
                    )),
                    Err(e) => problems.push(format!("`{}` is not a manifest: {e}", p.manifest)),
                }
            }
        }
    }
    report.push(
        "partition_manifests_match",
        if problems.is_empty() {
            Ok(format!("{} partitions", top.partitions.len()))
        } else {
            Err(problems.join("; "))
        },
    );
    let st = &top.statements;
    report.push(
        "statements_match",
        match std::fs::read(dir.join(&st.name)) {
            Err(e) => Err(format!("`{}`: {e}", st.name)),
            Ok(bytes) if sha256_hex(&bytes) != st.sha256 || bytes.len() as u64 != st.bytes => Err(
                format!("`{}` differs from the manifest's sha256/size", st.name),
            ),
            Ok(bytes) => match read_parquet(bytes) {
                Ok(b) if rows(&b) == st.rows && st.rows == top.counts.statements => {
                    Ok(format!("{} statements", st.rows))
                }
                Ok(b) => Err(format!(
                    "`{}` has {} rows, the manifest says {}",
                    st.name,
                    rows(&b),
                    st.rows
                )),
                Err(e) => Err(format!("`{}`: {e}", st.name)),
            },
        },
    );
    type CheckFn = fn(&Path, &Manifest, &mut Tables) -> Result<String, String>;
    let checks: [(&'static str, CheckFn); 8] = [
        ("manifest_hashes_match_files", |d, m, t| {
            check_hashes(d, m, t, true)
        }),
        ("manifest_row_counts_match", |_, m, t| {
            check_rows(m, t, true)
        }),
        ("conservation_per_transaction", |_, _, t| {
            check_conservation(t)
        }),
        ("every_transaction_accounted_for", |_, _, t| {
            check_partition(t)
        }),
        ("no_invoice_over_applied", |_, _, t| check_invoices(t)),
        ("journals_balance", |_, _, t| check_journals(t)),
        ("aging_adds_up", |_, _, t| check_aging(t)),
        ("control_sums_match", |_, m, t| check_control_sums(m, t)),
    ];
    let mut results: Vec<Vec<String>> = vec![Vec::new(); checks.len()];
    let mut listed = std::collections::BTreeSet::new();
    for (partition, m) in &parts {
        let mut tables = Tables {
            tables: HashMap::new(),
        };
        listed.extend(m.outputs.iter().map(|o| o.name.clone()));
        for (k, (_, check)) in checks.iter().enumerate() {
            if let Err(e) = check(dir, m, &mut tables) {
                results[k].push(format!("{partition}: {e}"));
            }
        }
    }
    for ((name, _), bad) in checks.iter().zip(results) {
        report.push(
            name,
            if bad.is_empty() {
                Ok(format!("{} partitions", parts.len()))
            } else {
                Err(bad.join("; "))
            },
        );
    }
    listed.insert(st.name.clone());
    let mut unlisted = Vec::new();
    for table in TABLES.iter().chain(&OPTIONAL_TABLES) {
        let stem = table.trim_end_matches(".parquet");
        collect_unlisted(dir, Path::new(stem), &listed, &mut unlisted);
    }
    report.push(
        "no_unlisted_data_files",
        verdict(unlisted, "every data file is listed".into()),
    );
}

/// Data files under `dir/rel` that no manifest lists (hidden and temporary
/// files aside: Hive readers skip names starting with `.` or `_`).
fn collect_unlisted(
    dir: &Path,
    rel: &Path,
    listed: &std::collections::BTreeSet<String>,
    out: &mut Vec<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir.join(rel)) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = rel.join(&name);
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            collect_unlisted(dir, &path, listed, out);
        } else {
            let key = path.to_string_lossy().replace('\\', "/");
            if !listed.contains(&key) {
                out.push(format!("`{key}` is not listed in any manifest"));
            }
        }
    }
}

/// Refuses a directory holding a commit that was not rolled forward: its
/// files are a mix of two runs until a writer finishes the publish.
fn refuse_unfinished_commit(dir: &Path) -> Result<(), CliError> {
    let pending = cashmatch_store::publish::pending_commits(dir)?;
    if let Some(run) = pending.first() {
        return Err(CliError::Locked(format!(
            "`{}` has an unfinished commit of run {run} (`.commit-{run}`): its publish was interrupted or is still running; run `cashmatch recover {}` (or the next `cashmatch run` into it) to finish it, then verify again",
            dir.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// The table an output of a manifest is: `applications.parquet` itself, or
/// (a partition's file) `applications/<partition>/part-….parquet`.
fn table_of(output: &str, partitioned: bool) -> Option<&'static str> {
    let stem = if partitioned {
        let (stem, rest) = output.split_once('/')?;
        // A partition file stays inside its table's folder.
        if rest
            .split('/')
            .any(|seg| seg.is_empty() || seg == ".." || seg == ".")
        {
            return None;
        }
        stem
    } else {
        output.strip_suffix(".parquet")?
    };
    TABLES
        .iter()
        .chain(&OPTIONAL_TABLES)
        .find(|t| t.strip_suffix(".parquet") == Some(stem))
        .copied()
}

fn check_hashes(
    dir: &Path,
    m: &Manifest,
    tables: &mut Tables,
    partitioned: bool,
) -> Result<String, String> {
    let mut problems = Vec::new();
    for name in TABLES {
        if partitioned && name == "statements.parquet" {
            continue;
        }
        if !m
            .outputs
            .iter()
            .any(|o| table_of(&o.name, partitioned) == Some(name))
        {
            problems.push(format!("`{name}` is not listed in the manifest"));
        }
    }
    for o in &m.outputs {
        let Some(name) = table_of(&o.name, partitioned) else {
            problems.push(format!("unexpected output `{}` in the manifest", o.name));
            continue;
        };
        match std::fs::read(dir.join(&o.name)) {
            Err(e) => {
                tables.tables.insert(name, Err(format!("cannot read: {e}")));
                problems.push(format!("`{name}`: {e}"));
            }
            Ok(bytes) => {
                let sha = sha256_hex(&bytes);
                if sha != o.sha256 {
                    problems.push(format!(
                        "`{name}` sha256 {sha} differs from the manifest's {}",
                        o.sha256
                    ));
                }
                if bytes.len() as u64 != o.bytes {
                    problems.push(format!(
                        "`{name}` has {} bytes, the manifest says {}",
                        bytes.len(),
                        o.bytes
                    ));
                }
                tables.tables.insert(name, read_parquet(bytes));
            }
        }
    }
    if problems.is_empty() {
        Ok(format!("{} outputs", m.outputs.len()))
    } else {
        Err(problems.join("; "))
    }
}

fn rows(batches: &[RecordBatch]) -> u64 {
    batches.iter().map(|b| b.num_rows() as u64).sum()
}

fn check_rows(m: &Manifest, t: &Tables, partitioned: bool) -> Result<String, String> {
    let c = &m.counts;
    let expected = [
        ("transactions.parquet", c.transactions),
        ("applications.parquet", c.applications),
        ("exceptions.parquet", c.exceptions),
        ("postings.parquet", c.postings),
        ("open_items.parquet", c.open_items),
        ("aging.parquet", c.aging_rows),
        ("statements.parquet", c.statements),
    ];
    let mut problems = Vec::new();
    for (name, count) in expected {
        if partitioned && name == "statements.parquet" {
            // A partitioned run's statements are the run's, not a partition's.
            continue;
        }
        let batches = t.get(name)?;
        let n = rows(batches);
        let listed = m
            .outputs
            .iter()
            .find(|o| table_of(&o.name, partitioned) == Some(name))
            .map(|o| o.rows);
        if n != count || listed != Some(n) {
            problems.push(format!(
                "`{name}` has {n} rows; counts say {count}, outputs say {listed:?}"
            ));
        }
    }
    if problems.is_empty() {
        Ok("row counts agree".into())
    } else {
        Err(problems.join("; "))
    }
}

/// Σ applied + unapplied per transaction, from the files.
struct Money {
    ids: Vec<String>,
    amounts: Vec<Decimal>,
    applied: HashMap<String, Decimal>,
    unapplied: HashMap<String, Decimal>,
    exception_rows: HashMap<String, u32>,
}

/// Per application row, the payment's currency and amount of a
/// cross-currency application (issue 11), `None` on a same-currency row.
/// Runs of earlier versions have no such columns: every row is `None`.
fn fx_payments(apps: &[RecordBatch]) -> Result<Vec<Option<(String, Decimal)>>, String> {
    let rows: usize = apps.iter().map(|b| b.num_rows()).sum();
    if apps
        .first()
        .is_none_or(|b| b.schema().index_of("payment_currency").is_err())
    {
        return Ok(vec![None; rows]);
    }
    Ok(text_column(apps, "payment_currency")?
        .into_iter()
        .zip(money_column(apps, "payment_amount")?)
        .map(|(c, a)| (!c.is_empty()).then_some((c, a)))
        .collect())
}

fn money(t: &Tables) -> Result<Money, String> {
    let txns = t.get("transactions.parquet")?;
    let apps = t.get("applications.parquet")?;
    let excs = t.get("exceptions.parquet")?;
    let mut m = Money {
        ids: text_column(txns, "transaction_id")?,
        amounts: money_column(txns, "amount")?,
        applied: HashMap::new(),
        unapplied: HashMap::new(),
        exception_rows: HashMap::new(),
    };
    // A cross-currency application takes its payment amount from the
    // transaction; its applied amount is in the invoice's currency.
    for ((id, a), fx) in text_column(apps, "transaction_id")?
        .into_iter()
        .zip(money_column(apps, "applied_amount")?)
        .zip(fx_payments(apps)?)
    {
        *m.applied.entry(id).or_default() += fx.map_or(a, |(_, p)| p);
    }
    for (id, a) in text_column(excs, "transaction_id")?
        .into_iter()
        .zip(money_column(excs, "amount")?)
    {
        *m.unapplied.entry(id.clone()).or_default() += a;
        *m.exception_rows.entry(id).or_default() += 1;
    }
    Ok(m)
}

fn check_conservation(t: &Tables) -> Result<String, String> {
    let m = money(t)?;
    let mut bad = Vec::new();
    for (id, amount) in m.ids.iter().zip(&m.amounts) {
        let a = m.applied.get(id).copied().unwrap_or_default();
        let u = m.unapplied.get(id).copied().unwrap_or_default();
        if a + u != *amount {
            bad.push(format!(
                "{id}: applied {a} + unapplied {u} != amount {amount}"
            ));
        }
    }
    verdict(bad, format!("{} transactions", m.ids.len()))
}

fn check_partition(t: &Tables) -> Result<String, String> {
    let m = money(t)?;
    let mut bad = Vec::new();
    let known: std::collections::HashSet<&String> = m.ids.iter().collect();
    if known.len() != m.ids.len() {
        bad.push("transaction ids are not unique".to_string());
    }
    for id in &m.ids {
        if !m.applied.contains_key(id) && !m.unapplied.contains_key(id) {
            bad.push(format!(
                "{id} appears in neither applications nor exceptions"
            ));
        }
        if m.exception_rows.get(id).copied().unwrap_or(0) > 1 {
            bad.push(format!("{id} has more than one exception row"));
        }
    }
    for id in m.applied.keys().chain(m.unapplied.keys()) {
        if !known.contains(id) {
            bad.push(format!("{id} is applied or excepted but not a transaction"));
        }
    }
    verdict(bad, "each transaction applied or excepted, once".into())
}

fn check_invoices(t: &Tables) -> Result<String, String> {
    let items = t.get("open_items.parquet")?;
    let apps = t.get("applications.parquet")?;
    let ids = text_column(items, "invoice_id")?;
    let open = money_column(items, "amount_open")?;
    let applied = money_column(items, "amount_applied")?;
    let after = money_column(items, "amount_open_after")?;
    let mut cleared: HashMap<String, Decimal> = HashMap::new();
    let (a_ids, a_applied, a_disc, a_wo, a_ded) = (
        text_column(apps, "invoice_id")?,
        money_column(apps, "applied_amount")?,
        money_column(apps, "discount_amount")?,
        money_column(apps, "writeoff_amount")?,
        money_column(apps, "deduction_amount")?,
    );
    for i in 0..a_ids.len() {
        // A deduction clears the invoice into the deduction account.
        *cleared.entry(a_ids[i].clone()).or_default() +=
            a_applied[i] + a_disc[i] + a_wo[i] + a_ded[i];
    }
    let mut bad = Vec::new();
    for i in 0..ids.len() {
        if open[i] >= Decimal::ZERO && applied[i] > open[i] {
            bad.push(format!(
                "{}: applied {} > open {}",
                ids[i], applied[i], open[i]
            ));
        }
        if after[i] != open[i] - applied[i] {
            bad.push(format!(
                "{}: open after {} != open {} - applied {}",
                ids[i], after[i], open[i], applied[i]
            ));
        }
        let c = cleared.remove(&ids[i]).unwrap_or_default();
        if c != applied[i] {
            bad.push(format!(
                "{}: applications clear {c}, open_items says {}",
                ids[i], applied[i]
            ));
        }
    }
    for id in cleared.keys() {
        bad.push(format!("application to `{id}`, which is not in open_items"));
    }
    verdict(bad, format!("{} invoices", ids.len()))
}

fn check_journals(t: &Tables) -> Result<String, String> {
    let p = t.get("postings.parquet")?;
    let (j, cur, d, c) = (
        text_column(p, "journal_id")?,
        text_column(p, "currency")?,
        money_column(p, "debit")?,
        money_column(p, "credit")?,
    );
    let mut sums: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
    for i in 0..j.len() {
        *sums.entry((&j[i], &cur[i])).or_default() += d[i] - c[i];
    }
    let bad: Vec<String> = sums
        .iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|((j, c), v)| format!("journal {j} {c} off by {v}"))
        .collect();
    verdict(bad, format!("{} journals", sums.len()))
}

fn check_aging(t: &Tables) -> Result<String, String> {
    let aging = t.get("aging.parquet")?;
    let items = t.get("open_items.parquet")?;
    let mut by: BTreeMap<String, Decimal> = BTreeMap::new();
    for (c, a) in text_column(aging, "currency")?
        .into_iter()
        .zip(money_column(aging, "amount")?)
    {
        *by.entry(c).or_default() += a;
    }
    for (c, a) in text_column(items, "currency")?
        .into_iter()
        .zip(money_column(items, "amount_open_after")?)
    {
        *by.entry(c).or_default() -= a;
    }
    let bad: Vec<String> = by
        .iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|(c, v)| format!("{c}: aging minus open after = {v}"))
        .collect();
    verdict(bad, "aging total = Σ open after, per currency".into())
}

fn check_control_sums(m: &Manifest, t: &Tables) -> Result<String, String> {
    let txns = t.get("transactions.parquet")?;
    let apps = t.get("applications.parquet")?;
    let excs = t.get("exceptions.parquet")?;
    #[derive(Default, PartialEq, Debug)]
    struct Sums {
        received: Decimal,
        debits: Decimal,
        applied: Decimal,
        unapplied: Decimal,
        discounts: Decimal,
        writeoffs: Decimal,
        transactions: u64,
    }
    // Totals are per company (of the receiving account) and currency; a
    // run written before legal entities has no `company_code` column and
    // its manifest no company: "" for both.
    let company_of_txn: BTreeMap<String, String> = {
        let ids = text_column(txns, "transaction_id")?;
        let codes =
            text_column(txns, "company_code").unwrap_or_else(|_| vec![String::new(); ids.len()]);
        ids.into_iter().zip(codes).collect()
    };
    let company = |id: &str| company_of_txn.get(id).cloned().unwrap_or_default();
    let mut by: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for ((c, a), id) in text_column(txns, "currency")?
        .into_iter()
        .zip(money_column(txns, "amount")?)
        .zip(text_column(txns, "transaction_id")?)
    {
        let e = by.entry((company(&id), c)).or_default();
        e.transactions += 1;
        if a > Decimal::ZERO {
            e.received += a;
        } else {
            e.debits += a;
        }
    }
    let (cur, ap, di, wo, ids) = (
        text_column(apps, "currency")?,
        money_column(apps, "applied_amount")?,
        money_column(apps, "discount_amount")?,
        money_column(apps, "writeoff_amount")?,
        text_column(apps, "transaction_id")?,
    );
    let fx = fx_payments(apps)?;
    for i in 0..cur.len() {
        // Cash is counted in the payment's currency (cross-currency rows).
        if let Some((c, paid)) = &fx[i] {
            by.entry((company(&ids[i]), c.clone())).or_default().applied += *paid;
            continue;
        }
        let e = by.entry((company(&ids[i]), cur[i].clone())).or_default();
        e.applied += ap[i];
        e.discounts += di[i];
        e.writeoffs += wo[i];
    }
    for ((c, a), id) in text_column(excs, "currency")?
        .into_iter()
        .zip(money_column(excs, "amount")?)
        .zip(text_column(excs, "transaction_id")?)
    {
        if a > Decimal::ZERO {
            by.entry((company(&id), c)).or_default().unapplied += a;
        }
    }
    let mut bad = Vec::new();
    let mut listed: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for c in &m.control_sums {
        listed.insert(
            (c.company_code.clone(), c.currency.clone()),
            Sums {
                received: c.received,
                debits: c.debits,
                applied: c.applied,
                unapplied: c.unapplied,
                discounts: c.discounts,
                writeoffs: c.writeoffs,
                transactions: c.transactions,
            },
        );
    }
    let name = |(company, currency): &(String, String)| {
        if company.is_empty() {
            currency.clone()
        } else {
            format!("company {company} {currency}")
        }
    };
    for (key, s) in &by {
        let c = name(key);
        match listed.get(key) {
            Some(l) if l == s => {}
            Some(l) => bad.push(format!("{c}: files give {s:?}, manifest says {l:?}")),
            None => bad.push(format!("{c}: no control sums in the manifest")),
        }
    }
    for key in listed.keys() {
        if !by.contains_key(key) {
            let c = name(key);
            bad.push(format!(
                "{c}: control sums in the manifest but no such money in the files"
            ));
        }
    }
    verdict(bad, format!("{} currencies", by.len()))
}

/// At most this many offenders are named in a failed check's detail.
const OFFENDERS_SHOWN_MAX: usize = 5;

fn verdict(bad: Vec<String>, ok: String) -> Result<String, String> {
    if bad.is_empty() {
        return Ok(ok);
    }
    let more = bad.len().saturating_sub(OFFENDERS_SHOWN_MAX);
    let mut s = bad
        .into_iter()
        .take(OFFENDERS_SHOWN_MAX)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    Err(s)
}
