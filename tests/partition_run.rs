//! Partitioned runs (issue 12): `cashmatch run --partition-by`, and
//! `verify` and `replay --partition` on its directory.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/demo")
}

fn run(out: &Path, extra: &[&str]) -> std::process::Output {
    let d = demo();
    common::run_ok(
        common::cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(d.join("bank.csv"))
            .arg("--open-items")
            .arg(d.join("open_items.csv"))
            .arg("--customers")
            .arg(d.join("customers.csv"))
            .arg("--out")
            .arg(out)
            .args(extra),
    )
}

fn top(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn partitions_by_currency_are_hive_folders_with_manifests_and_verify() {
    let tmp = common::tempdir();
    let out = tmp.path().join("run");
    run(&out, &["--partition-by", "currency"]);
    let m = top(&out);
    assert_eq!(m["format"], "cashmatch-partitioned/1");
    assert_eq!(m["partition_by"], serde_json::json!(["currency"]));
    let parts: Vec<&str> = m["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partition"].as_str().unwrap())
        .collect();
    // The demo's open items are in EUR, GBP and USD.
    assert_eq!(parts, ["currency=EUR", "currency=GBP", "currency=USD"]);
    for p in &parts {
        assert!(out
            .join("_partitions")
            .join(p)
            .join("manifest.json")
            .is_file());
        for table in [
            "applications",
            "exceptions",
            "postings",
            "open_items",
            "aging",
        ] {
            let files: Vec<_> = std::fs::read_dir(out.join(table).join(p))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(files.len(), 1, "{table}/{p}: {files:?}");
            assert!(files[0].starts_with("part-") && files[0].ends_with(".parquet"));
        }
    }
    // A partition's rows are all of its currency.
    let gbp = std::fs::read_dir(out.join("open_items/currency=GBP"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cur = common::text(&common::read_parquet(&gbp), "currency");
    assert!(!cur.is_empty() && cur.iter().all(|c| c == "GBP"));
    // Money adds up across partitions as in one run: every transaction once.
    let flat = tmp.path().join("flat");
    run(&flat, &["--no-state", "--no-analytics"]);
    let flat_m = top(&flat);
    assert_eq!(
        m["counts"]["transactions"],
        flat_m["counts"]["transactions"]
    );
    assert_eq!(m["counts"]["open_items"], flat_m["counts"]["open_items"]);
    let v = common::run_ok(common::cashmatch().arg("verify").arg(&out));
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains("verify: all checks passed"), "{text}");
    assert!(text.contains("3 partitions"), "{text}");
}

#[test]
fn one_partition_equals_the_unpartitioned_run_byte_for_byte() {
    // Until open items carry a company code every row is the one default
    // company, so partitioning by it gives one partition holding the whole
    // run: its files must be the unpartitioned run's (the interchange
    // tables lose no digit and no order).
    let tmp = common::tempdir();
    let part = tmp.path().join("part");
    let flat = tmp.path().join("flat");
    run(&part, &["--partition-by", "company_code"]);
    run(&flat, &["--no-state", "--no-analytics"]);
    let m = top(&part);
    let parts = m["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "{parts:?}");
    let p = parts[0]["partition"].as_str().unwrap().to_string();
    assert!(p.starts_with("company_code="), "{p}");
    let partition_manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(part.join(parts[0]["manifest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let mut compared = 0;
    for o in partition_manifest["outputs"].as_array().unwrap() {
        let name = o["name"].as_str().unwrap();
        let table = name.split('/').next().unwrap();
        let mine = std::fs::read(part.join(name)).unwrap();
        let theirs = std::fs::read(flat.join(format!("{table}.parquet"))).unwrap();
        assert!(mine == theirs, "{name} differs from {table}.parquet");
        compared += 1;
    }
    assert_eq!(compared, 7);
    let st = m["statements"]["name"].as_str().unwrap();
    assert_eq!(
        std::fs::read(part.join(st)).unwrap(),
        std::fs::read(flat.join("statements.parquet")).unwrap()
    );
}

#[test]
fn the_plan_is_part_of_the_config_hash_and_run_id() {
    let tmp = common::tempdir();
    let ids: Vec<(String, String)> = [
        vec!["--no-state", "--no-analytics"],
        vec!["--partition-by", "currency"],
        vec!["--partition-by", "company_code,currency"],
    ]
    .iter()
    .enumerate()
    .map(|(i, extra)| {
        let out = tmp.path().join(format!("r{i}"));
        run(&out, extra);
        let m = top(&out);
        (
            m["run_id"].as_str().unwrap().to_string(),
            m["config_sha256"].as_str().unwrap().to_string(),
        )
    })
    .collect();
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
    assert_ne!(ids[0], ids[2]);
    let m = top(&tmp.path().join("r2"));
    assert!(m["config"].as_str().unwrap().contains("[partition]"));
    // Keys in path order: company first, as given.
    let first = m["partitions"][0]["partition"].as_str().unwrap();
    assert!(
        first.starts_with("company_code=") && first.contains("/currency="),
        "{first}"
    );
    // The same plan given in the rules file is the same run.
    let cfg = tmp.path().join("rules.toml");
    std::fs::write(&cfg, "[partition]\nby = [\"currency\"]\n").unwrap();
    let out = tmp.path().join("r3");
    run(&out, &["--config", cfg.to_str().unwrap()]);
    assert_eq!(top(&out)["run_id"].as_str().unwrap(), ids[1].0);
}

#[test]
fn replay_reproduces_a_partition_and_the_whole_run_and_verify_catches_edits() {
    let tmp = common::tempdir();
    let out = tmp.path().join("run");
    run(&out, &["--partition-by", "currency"]);
    let before = tree(&out);
    let r = common::run_ok(
        common::cashmatch()
            .args(["replay", "--partition", "currency=USD"])
            .arg(&out),
    );
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("every output is byte-identical"), "{text}");
    assert!(
        text.contains("currency=USD") && !text.contains("currency=EUR"),
        "{text}"
    );
    let r = common::run_ok(common::cashmatch().arg("replay").arg(&out));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("identical  manifest.json"), "{text}");
    // Replay and verify only read.
    assert_eq!(tree(&out), before);
    // An unknown partition is named.
    let bad = common::cashmatch()
        .args(["replay", "--partition", "currency=JPY"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("currency=EUR"));

    // A partition file edited: its hash check fails for that partition.
    let dir = out.join("applications/currency=GBP");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let v = common::cashmatch()
        .arg("verify")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(6));
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("FAIL")
            && l.contains("manifest_hashes_match_files")
            && l.contains("currency=GBP")),
        "{text}"
    );
    let r = common::cashmatch()
        .args(["replay", "--partition", "currency=GBP"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(6));
    std::fs::write(
        &file,
        before[&file
            .strip_prefix(&out)
            .unwrap()
            .to_string_lossy()
            .into_owned()]
            .clone(),
    )
    .unwrap();

    // A stray data file in a partition folder would be read by any Hive
    // reader: verify names it.
    std::fs::write(dir.join("part-0000000000000000.parquet"), b"x").unwrap();
    let v = common::cashmatch()
        .arg("verify")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&v.stdout).contains("part-0000000000000000.parquet"));
    std::fs::remove_file(dir.join("part-0000000000000000.parquet")).unwrap();

    // A partition manifest edited: the top manifest's hash catches it.
    let pm = out.join("_partitions/currency=EUR/manifest.json");
    let text = std::fs::read_to_string(&pm).unwrap();
    std::fs::write(&pm, text.replace("\"as_of\"", "\"as_of\" ")).unwrap();
    let v = common::cashmatch()
        .arg("verify")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&v.stdout).contains("FAIL partition_manifests_match"));
}

#[test]
fn a_bad_partition_key_is_a_usage_error() {
    let d = demo();
    let out = common::tempdir();
    let o = common::cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(d.join("bank.csv"))
        .arg("--open-items")
        .arg(d.join("open_items.csv"))
        .arg("--out")
        .arg(out.path())
        .args(["--partition-by", "country"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("country"));
    assert!(!out.path().join("manifest.json").exists());
}

/// Partitions by legal entity: a payment goes to the company owning its
/// receiving account (`[company.accounts]`), an open item to its
/// `company_code`; each partition's rows are of its company, kept as text
/// (`0100`), and the partitioned run verifies and replays.
#[test]
fn partitions_by_company_follow_the_receiving_account_and_the_extract() {
    let tmp = common::tempdir();
    let data = tmp.path().join("data");
    common::run_ok(
        common::cashmatch()
            .args(["generate", "--customers", "60", "--invoices", "400"])
            .args(["--payments", "200", "--seed", "5", "--companies", "2"])
            .arg("--out")
            .arg(&data),
    );
    // The generated config allows intercompany application, which a plan
    // by company cannot honour (refused: see the test below).
    let rules = no_intercompany(&data);
    let out = tmp.path().join("run");
    common::run_ok(
        common::cashmatch()
            .args(["run", "--bank"])
            .arg(data.join("bank.csv"))
            .arg("--open-items")
            .arg(data.join("open_items.csv"))
            .arg("--customers")
            .arg(data.join("customers.csv"))
            .arg("--config")
            .arg(&rules)
            .args(["--as-of", "2026-03-31", "--partition-by", "company_code"])
            .arg("--out")
            .arg(&out),
    );
    let m = top(&out);
    let parts: Vec<&str> = m["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partition"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["company_code=0100", "company_code=0200"]);
    for (p, code) in [("company_code=0100", "0100"), ("company_code=0200", "0200")] {
        for table in ["transactions", "open_items"] {
            let file = std::fs::read_dir(out.join(table).join(p))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            let codes = common::text(&common::read_parquet(&file), "company_code");
            assert!(
                !codes.is_empty() && codes.iter().all(|c| c == code),
                "{table}/{p}: {codes:?}"
            );
        }
    }
    let v = common::run_ok(common::cashmatch().arg("verify").arg(&out));
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains("verify: all checks passed"), "{text}");
    let r = common::run_ok(
        common::cashmatch()
            .args(["replay", "--partition", "company_code=0200"])
            .arg(&out),
    );
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("every output is byte-identical"), "{text}");
}

/// The generated `companies.toml` with `[intercompany] allow = false`.
fn no_intercompany(data: &Path) -> PathBuf {
    let text = std::fs::read_to_string(data.join("companies.toml")).unwrap();
    assert!(text.contains("allow = true"), "{text}");
    let path = data.join("companies_no_intercompany.toml");
    std::fs::write(&path, text.replace("allow = true", "allow = false")).unwrap();
    path
}

/// `[intercompany] allow` lets a receipt of one company clear another's
/// invoice; partitions by company never hold both, so the run is refused
/// before anything is read or written, naming the setting and the way out.
/// By currency alone every company of a currency shares a partition, so the
/// same config runs.
#[test]
fn intercompany_is_refused_when_partitions_split_companies() {
    let tmp = common::tempdir();
    let data = tmp.path().join("data");
    common::run_ok(
        common::cashmatch()
            .args(["generate", "--customers", "40", "--invoices", "200"])
            .args(["--payments", "100", "--seed", "3", "--companies", "2"])
            .arg("--out")
            .arg(&data),
    );
    let run = |out: &Path, plan: &str| {
        common::cashmatch()
            .args(["run", "--bank"])
            .arg(data.join("bank.csv"))
            .arg("--open-items")
            .arg(data.join("open_items.csv"))
            .arg("--config")
            .arg(data.join("companies.toml"))
            .args(["--as-of", "2026-03-31", "--partition-by", plan])
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    for plan in ["company_code", "currency,company_code"] {
        let out = tmp.path().join(plan.replace(',', "_"));
        let o = run(&out, plan);
        assert_eq!(o.status.code(), Some(1), "{plan}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("[intercompany] allow = true")
                && err.contains("company_code")
                && err.contains("--partition-by currency")
                && err.contains("allow = false"),
            "{plan}: {err}"
        );
        assert!(!out.join("manifest.json").exists(), "{plan}");
    }
    let out = tmp.path().join("by_currency");
    let o = run(&out, "currency");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("manifest.json").is_file());
}

/// Every application of a run as comparable rows.
fn applications(files: &[PathBuf]) -> Vec<String> {
    let mut rows = Vec::new();
    for f in files {
        let b = common::read_parquet(f);
        let txn = common::text(&b, "transaction_id");
        let inv = common::texts(&b, "invoice_id");
        let rule = common::text(&b, "rule");
        let amount = common::money(&b, "applied_amount");
        let writeoff = common::money(&b, "writeoff_amount");
        for i in 0..txn.len() {
            rows.push(format!(
                "{} {:?} {} {} {}",
                txn[i], inv[i], rule[i], amount[i], writeoff[i]
            ));
        }
    }
    rows.sort();
    rows
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = tree(dir)
        .keys()
        .filter(|k| k.ends_with(".parquet"))
        .map(|k| dir.join(k))
        .collect();
    files.sort();
    files
}

/// Bank charges (`[fx]` charge tolerance) are a same-currency rule: inside
/// currency partitions they clear exactly the payments a plain run clears,
/// with the same shortfall posted.
#[test]
fn bank_charges_apply_inside_partitions_as_in_a_plain_run() {
    let tmp = common::tempdir();
    let rules = tmp.path().join("charges.toml");
    std::fs::write(
        &rules,
        "[fx]\nbank_charges_account = \"6760\"\ncharge_max_percent = \"1.5\"\n\
         [fx.charge_max_amount]\nEUR = \"25.00\"\nUSD = \"25.00\"\nGBP = \"20.00\"\n",
    )
    .unwrap();
    let flat = tmp.path().join("flat");
    let part = tmp.path().join("part");
    run(
        &flat,
        &[
            "--no-state",
            "--no-analytics",
            "--config",
            rules.to_str().unwrap(),
        ],
    );
    run(
        &part,
        &[
            "--partition-by",
            "currency",
            "--config",
            rules.to_str().unwrap(),
        ],
    );
    let flat_rows = applications(&[flat.join("applications.parquet")]);
    let part_rows = applications(&parquet_files(&part.join("applications")));
    let charges = part_rows
        .iter()
        .filter(|r| r.contains(" BANK_CHARGES "))
        .count();
    assert!(charges > 0, "no BANK_CHARGES in the partitioned run");
    assert_eq!(
        flat_rows
            .iter()
            .filter(|r| r.contains(" BANK_CHARGES "))
            .count(),
        charges
    );
    assert_eq!(part_rows, flat_rows);
    // The shortfall is booked to the bank charges account in the
    // partitions' journals, as in the plain run's.
    let accounts = |files: &[PathBuf]| {
        let mut n = 0;
        for f in files {
            n += common::text(&common::read_parquet(f), "gl_account")
                .iter()
                .filter(|a| *a == "6760")
                .count();
        }
        n
    };
    let booked = accounts(&parquet_files(&part.join("postings")));
    assert!(booked >= charges, "{booked} postings for {charges} charges");
    assert_eq!(booked, accounts(&[flat.join("postings.parquet")]));
}
