//! The newcomer's path: `cashmatch demo` writes every contracted output, and
//! the outputs obey the money invariants when read back from Parquet alone.

mod common;
use common::*;
use rust_decimal::Decimal;
use std::collections::HashMap;

const OUTPUTS: [&str; 8] = [
    "transactions.parquet",
    "applications.parquet",
    "exceptions.parquet",
    "postings.parquet",
    "open_items.parquet",
    "aging.parquet",
    "statements.parquet",
    "manifest.json",
];

#[test]
fn demo_writes_all_outputs_and_they_reconcile() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let o = run_ok(cashmatch().arg("demo").arg("--out").arg(&out));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("received"),
        "summary mentions money received:\n{stdout}"
    );
    assert!(
        stdout.contains("precision"),
        "summary shows the evaluation:\n{stdout}"
    );
    for f in OUTPUTS {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );

    let txns = read_parquet(&out.join("transactions.parquet"));
    let apps = read_parquet(&out.join("applications.parquet"));
    let excs = read_parquet(&out.join("exceptions.parquet"));
    let posts = read_parquet(&out.join("postings.parquet"));
    let items = read_parquet(&out.join("open_items.parquet"));
    let aging = read_parquet(&out.join("aging.parquet"));

    // Money columns are exact decimals with the contracted scale.
    let schema = apps[0].schema();
    assert_eq!(
        schema
            .field_with_name("applied_amount")
            .unwrap()
            .data_type(),
        &arrow_schema::DataType::Decimal128(38, 4)
    );

    // Conservation per transaction: applied + unapplied = amount, exactly once.
    let ids = text(&txns, "transaction_id");
    let amounts = money(&txns, "amount");
    let mut applied: HashMap<String, Decimal> = HashMap::new();
    // A cross-currency application (the demo's USD payment) takes its
    // payment amount from the transaction, in the payment's currency.
    for ((id, a), fx) in text(&apps, "transaction_id")
        .into_iter()
        .zip(money(&apps, "applied_amount"))
        .zip(
            texts(&apps, "payment_currency")
                .into_iter()
                .zip(money(&apps, "payment_amount")),
        )
    {
        *applied.entry(id).or_default() += if fx.0.is_some() { fx.1 } else { a };
    }
    assert!(
        text(&apps, "rule").iter().any(|r| r == "FX_REFERENCE"),
        "the demo applies its USD payment to an EUR invoice"
    );
    let mut unapplied: HashMap<String, Decimal> = HashMap::new();
    for (id, a) in text(&excs, "transaction_id")
        .into_iter()
        .zip(money(&excs, "amount"))
    {
        assert!(
            unapplied.insert(id, a).is_none(),
            "one exception row per transaction"
        );
    }
    assert!(!applied.is_empty(), "the demo applies something");
    for (id, amount) in ids.iter().zip(&amounts) {
        let a = applied.get(id).copied().unwrap_or_default();
        let u = unapplied.get(id).copied().unwrap_or_default();
        assert!(
            applied.contains_key(id) || unapplied.contains_key(id),
            "{id} accounted for"
        );
        assert_eq!(a + u, *amount, "conservation for {id}");
    }

    // No invoice over-applied; open after = open before − applied.
    let open = money(&items, "amount_open");
    let cleared = money(&items, "amount_applied");
    let after = money(&items, "amount_open_after");
    for i in 0..open.len() {
        assert!(cleared[i] <= open[i] || open[i] < Decimal::ZERO);
        assert_eq!(after[i], open[i] - cleared[i]);
    }

    // Every journal balances, per currency.
    let mut journals: HashMap<(String, String), Decimal> = HashMap::new();
    for (((j, cur), d), c) in text(&posts, "journal_id")
        .into_iter()
        .zip(text(&posts, "currency"))
        .zip(money(&posts, "debit"))
        .zip(money(&posts, "credit"))
    {
        *journals.entry((j, cur)).or_default() += d - c;
    }
    assert!(
        journals.values().all(|v| v.is_zero()),
        "all journals balance"
    );

    // Aging adds up to what is still open.
    let aged: Decimal = money(&aging, "amount").into_iter().sum();
    assert_eq!(aged, after.iter().copied().sum::<Decimal>());

    // The manifest hashes match the files.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for o in manifest["outputs"].as_array().unwrap() {
        let bytes = std::fs::read(out.join(o["name"].as_str().unwrap())).unwrap();
        assert_eq!(
            o["sha256"].as_str().unwrap(),
            cashmatch::output::sha256_hex(&bytes)
        );
    }
}

#[test]
fn same_inputs_give_identical_bytes_at_any_thread_count() {
    let dir = tempdir();
    let one = dir.path().join("one");
    let four = dir.path().join("four");
    run_ok(
        cashmatch()
            .args(["--threads", "1", "demo", "--out"])
            .arg(&one),
    );
    run_ok(
        cashmatch()
            .args(["--threads", "4", "demo", "--out"])
            .arg(&four),
    );
    for f in OUTPUTS {
        assert_eq!(
            std::fs::read(one.join(f)).unwrap(),
            std::fs::read(four.join(f)).unwrap(),
            "{f} identical"
        );
    }
}
