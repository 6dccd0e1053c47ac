//! The bad-input suite: one test per case of RELIABILITY.md section B
//! (row numbers in the comments), each asserting its disposition through
//! the real binary:
//!
//! - REJECT-FILE: exit 3, the file is named in the manifest's rejections
//!   with status `rejected*`, none of its transactions is ingested, and the
//!   good file of the same batch is still processed;
//! - EXCEPTION-RECORD: the run completes and the transaction is a row of
//!   `exceptions.parquet` with its reason code;
//! - ABORT-RUN: non-zero exit and nothing published (no manifest written,
//!   or the previous one unchanged).

mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};

const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";
const ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n";
/// Open items every case runs against.
const ITEMS: &str = "INV-1,C1,ACME GmbH,EUR,100.00,100.00,2026-02-01,2026-03-01\n\
                     INV-2,C2,Beta AG,EUR,250.00,250.00,2026-02-01,2026-03-01\n\
                     INV-3,C3,Gamma Ltd,USD,80.00,80.00,2026-02-01,2026-03-01\n";

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(name);
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn sample(path: &str) -> Vec<u8> {
    fs::read(samples().join(path)).unwrap()
}

fn csv(rows: &str) -> Vec<u8> {
    format!("{BANK_HEADER}{rows}").into_bytes()
}

/// One run of the binary over a bank folder, and what it left behind.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    out: PathBuf,
    dir: tempfile::TempDir,
}

impl Outcome {
    fn manifest(&self) -> serde_json::Value {
        let bytes = fs::read(self.out.join("manifest.json"))
            .unwrap_or_else(|e| panic!("manifest: {e}\n{}\n{}", self.stdout, self.stderr));
        serde_json::from_slice(&bytes).unwrap()
    }

    fn input(&self, name: &str) -> serde_json::Value {
        self.manifest()["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == format!("bank/{name}"))
            .cloned()
            .unwrap_or_else(|| panic!("input {name} in manifest"))
    }

    fn reasons(&self) -> Vec<String> {
        text(
            &read_parquet(&self.out.join("exceptions.parquet")),
            "reason",
        )
    }

    fn transaction_refs(&self) -> Vec<String> {
        text(
            &read_parquet(&self.out.join("transactions.parquet")),
            "bank_reference",
        )
    }

    /// REJECT-FILE: exit 3, named with its reason, nothing of it ingested,
    /// the good file still processed, and the published run verifies.
    fn assert_rejects_file(&self, name: &str, reason_part: &str) {
        assert_eq!(
            self.code,
            Some(3),
            "completed with rejections:\n{}\n{}",
            self.stdout,
            self.stderr
        );
        let m = self.manifest();
        let rejections = m["rejections"].to_string();
        assert!(
            rejections.contains(name) && rejections.contains(reason_part),
            "rejection names `{name}` and `{reason_part}`: {rejections}"
        );
        let input = self.input(name);
        assert!(
            input["status"].as_str().unwrap().starts_with("rejected"),
            "{input}"
        );
        assert_eq!(input["rows"], 0, "nothing of a rejected file is ingested");
        assert!(
            !input["sha256"].as_str().unwrap().is_empty(),
            "named by hash too"
        );
        let sources = text(
            &read_parquet(&self.out.join("transactions.parquet")),
            "source_file",
        );
        assert!(
            sources.iter().all(|s| s != &format!("bank/{name}")),
            "no transaction from the rejected file"
        );
        assert!(
            sources.contains(&"bank/good.csv".to_string()),
            "the rest of the batch still runs"
        );
        self.assert_verifies();
    }

    /// ABORT-RUN: the given exit code, no manifest published.
    fn assert_aborted(&self, code: i32, message_part: &str) {
        assert_eq!(self.code, Some(code), "{}\n{}", self.stdout, self.stderr);
        assert!(
            self.stderr.contains(message_part),
            "stderr names `{message_part}`: {}",
            self.stderr
        );
        assert!(
            !self.out.join("manifest.json").exists(),
            "nothing published"
        );
    }

    fn assert_verifies(&self) {
        run_ok(cashmatch().arg("verify").arg(&self.out));
    }
}

/// Runs `cashmatch run` on a bank folder holding `files`.
fn run_batch(files: &[(&str, Vec<u8>)], extra: &[&str]) -> Outcome {
    let dir = tempdir();
    run_in(dir, files, extra)
}

fn run_in(dir: tempfile::TempDir, files: &[(&str, Vec<u8>)], extra: &[&str]) -> Outcome {
    let bank = dir.path().join("bank");
    let _ = fs::remove_dir_all(&bank);
    fs::create_dir_all(&bank).unwrap();
    for (name, bytes) in files {
        fs::write(bank.join(name), bytes).unwrap();
    }
    let items = dir.path().join("items.csv");
    if !items.exists() {
        fs::write(&items, format!("{ITEMS_HEADER}{ITEMS}")).unwrap();
    }
    let out = dir.path().join("out");
    let o = cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .args(["--as-of", "2026-03-31", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    Outcome {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out,
        dir,
    }
}

fn good() -> (&'static str, Vec<u8>) {
    ("good.csv", fixture("good.csv"))
}

/// A bad file next to a good one.
fn with_good(name: &'static str, bytes: Vec<u8>) -> Vec<(&'static str, Vec<u8>)> {
    vec![good(), (name, bytes)]
}

// ---------------------------------------------------------------- REJECT-FILE

#[test]
fn empty_file_rejects_file() {
    // B1-4: a 0-byte file is "empty", never a valid statement.
    run_batch(&with_good("empty.csv", Vec::new()), &[]).assert_rejects_file("empty.csv", "empty");
}

#[test]
fn whitespace_only_file_rejects_file() {
    // B1-4
    run_batch(&with_good("blank.mt940", b"\n\n  \r\n".to_vec()), &[])
        .assert_rejects_file("blank.mt940", "empty");
}

#[test]
fn binary_garbage_rejects_file() {
    // B1-1 / B5-51: bytes that are no format at all; never a panic.
    run_batch(&with_good("garbage.bin", fixture("garbage.bin")), &[])
        .assert_rejects_file("garbage.bin", "garbage.bin");
}

#[test]
fn truncated_bai2_without_99_rejects_file() {
    // B1-3: BAI2 needs its 98/99 trailers.
    run_batch(&with_good("cut.bai2", fixture("truncated.bai2")), &[])
        .assert_rejects_file("cut.bai2", "truncated");
}

#[test]
fn truncated_mt940_without_closing_balance_rejects_file_even_with_accept_unbalanced() {
    // B1-3: a message cut before :62F: is a fragment; --accept-unbalanced
    // (which admits statements whose totals fail) must not let it in.
    run_batch(
        &with_good("cut.mt940", fixture("truncated.mt940")),
        &["--accept-unbalanced"],
    )
    .assert_rejects_file("cut.mt940", "truncated");
}

#[test]
fn truncated_camt_with_unclosed_root_rejects_file() {
    // B1-3: a closed XML root is required.
    run_batch(&with_good("cut.xml", fixture("truncated.xml")), &[])
        .assert_rejects_file("cut.xml", "truncated");
}

#[test]
fn bai2_wrong_control_total_rejects_file() {
    // B2-16: the 49 account trailer disagrees with the recomputed total.
    run_batch(
        &with_good(
            "bad.bai2",
            sample("bai2/venturehacks-invalid_checksum_eod.bai2"),
        ),
        &[],
    )
    .assert_rejects_file("bad.bai2", "control total");
}

#[test]
fn mt940_balance_not_reconciling_rejects_file() {
    // B2-19: opening + entries != closing.
    run_batch(&with_good("off.mt940", fixture("unbalanced.mt940")), &[])
        .assert_rejects_file("off.mt940", "balance check");
}

#[test]
fn mt940_without_20_rejects_file() {
    // B2-18: a message without :20: is never silently zero statements.
    run_batch(&with_good("no20.mt940", fixture("no20.mt940")), &[])
        .assert_rejects_file("no20.mt940", ":20:");
}

#[test]
fn camt_with_doctype_and_entities_rejects_file() {
    // B2-24: billion laughs / XXE: any DTD is refused.
    run_batch(&with_good("dtd.xml", fixture("doctype.xml")), &[])
        .assert_rejects_file("dtd.xml", "DOCTYPE");
}

#[test]
fn camt_with_undefined_entity_rejects_file() {
    // B2-24: only the five predefined entities and character references.
    run_batch(&with_good("entity.xml", fixture("entity.xml")), &[])
        .assert_rejects_file("entity.xml", "&xxe;");
}

#[test]
fn camt_deep_nesting_rejects_file() {
    // B2-24 / B1-5: depth is capped, never a stack overflow.
    run_batch(&with_good("deep.xml", fixture("deep.xml")), &[])
        .assert_rejects_file("deep.xml", "xml_depth_max");
}

#[test]
fn camt_unknown_namespace_rejects_file() {
    // B2-20: an explicit allow-list of camt versions.
    run_batch(
        &with_good(
            "ns.xml",
            sample("camt053/kedder-iso20022-unsupported-namespace.xml"),
        ),
        &[],
    )
    .assert_rejects_file("ns.xml", "unsupported namespace");
}

#[test]
fn csv_ragged_row_rejects_file() {
    // B2-25: row width must equal header width.
    run_batch(&with_good("ragged.csv", fixture("ragged.csv")), &[])
        .assert_rejects_file("ragged.csv", "fields");
}

#[test]
fn csv_header_without_rows_rejects_file() {
    // B2-25: never silently import zero rows.
    run_batch(&with_good("header.csv", fixture("header_only.csv")), &[])
        .assert_rejects_file("header.csv", "no statement");
}

#[test]
fn huge_line_rejects_file() {
    // B1-5: a 70 KB record exceeds the 64 KiB line cap.
    run_batch(&with_good("huge.csv", fixture("huge_line.csv")), &[])
        .assert_rejects_file("huge.csv", "line_bytes_max");
}

#[test]
fn file_over_the_configured_size_limit_rejects_file() {
    // B1-5 / D1: caps come from config `[limits]`.
    let dir = tempdir();
    let cfg = dir.path().join("rules.toml");
    fs::write(&cfg, "[limits]\nfile_bytes_max = 1000\n").unwrap();
    let mut rows = String::new();
    for i in 0..30 {
        rows.push_str(&format!(
            "DE01,2026-03-03,2026-03-03,1.00,EUR,A,B,text,BIG{i}\n"
        ));
    }
    let cfg_arg = cfg.to_string_lossy().into_owned();
    run_in(
        dir,
        &with_good("big.csv", csv(&rows)),
        &["--config", &cfg_arg],
    )
    .assert_rejects_file("big.csv", "file_bytes_max");
}

#[test]
fn latin1_without_configured_encoding_rejects_file() {
    // B1-1: decode strictly, never guess an encoding.
    run_batch(&with_good("latin1.csv", fixture("latin1.csv")), &[])
        .assert_rejects_file("latin1.csv", "not valid UTF-8");
}

#[test]
fn eur_amount_with_three_decimals_rejects_file() {
    // B1-11: `10.005 EUR` is never rounded.
    run_batch(&with_good("eur.csv", fixture("eur3dec.csv")), &[])
        .assert_rejects_file("eur.csv", "more decimals than EUR");
}

#[test]
fn jpy_amount_with_decimals_rejects_file() {
    // B1-11: `1500.5 JPY`, JPY has no minor unit.
    run_batch(&with_good("jpy.csv", fixture("jpy.csv")), &[])
        .assert_rejects_file("jpy.csv", "more decimals than JPY");
}

#[test]
fn unknown_currency_rejects_file() {
    // B1-11: an unknown ISO 4217 code is treated like excess scale.
    run_batch(&with_good("xqz.csv", fixture("unknown_ccy.csv")), &[])
        .assert_rejects_file("xqz.csv", "ISO 4217");
}

#[test]
fn impossible_booking_date_feb_30_rejects_file() {
    // B1-13: an impossible booking date is never clamped.
    run_batch(&with_good("feb30.csv", fixture("feb30.csv")), &[])
        .assert_rejects_file("feb30.csv", "2026-02-30");
}

#[test]
fn reissued_statement_with_different_content_rejects_file_naming_both() {
    // B1-8: same account, :20:, :28C: and dates, different content.
    let first = run_batch(&[good(), ("day1.mt940", fixture("good.mt940"))], &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let reissue = String::from_utf8(fixture("good.mt940"))
        .unwrap()
        .replace("C100,00", "C90,00")
        .replace("EUR1100,00", "EUR1090,00");
    let second = run_in(
        first.dir,
        &[good(), ("day1-again.mt940", reissue.into_bytes())],
        &[],
    );
    assert_eq!(second.code, Some(3), "{}", second.stderr);
    let rejections = second.manifest()["rejections"].to_string();
    assert!(
        rejections.contains("bank/day1-again.mt940")
            && rejections.contains("bank/day1.mt940")
            && rejections.contains("conflicting re-issue"),
        "names both files: {rejections}"
    );
    assert_eq!(second.input("day1-again.mt940")["status"], "rejected");
}

// ------------------------------------------------- accepted, idempotent skips

#[test]
fn utf8_bom_before_a_quoted_header_is_stripped_and_file_accepted() {
    // B1-2: exactly one leading EF BB BF is stripped.
    let o = run_batch(&[("bom.csv", fixture("bom.csv"))], &[]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(o.transaction_refs(), ["BOM1"]);
}

#[test]
fn latin1_with_configured_encoding_is_accepted() {
    // B1-1: the encoding is configured per source, then decoded strictly.
    let dir = tempdir();
    let cfg = dir.path().join("rules.toml");
    fs::write(&cfg, "[bank]\nencoding = \"iso-8859-1\"\n").unwrap();
    let cfg_arg = cfg.to_string_lossy().into_owned();
    let o = run_in(
        dir,
        &[("latin1.csv", fixture("latin1.csv"))],
        &["--config", &cfg_arg],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let names = text(
        &read_parquet(&o.out.join("transactions.parquet")),
        "counterparty_name",
    );
    assert_eq!(names, ["Müller GmbH"]);
}

#[test]
fn camt_statement_without_entries_is_valid() {
    // B1-4: a well-formed statement with no entries is ingested.
    let o = run_batch(
        &[
            good(),
            (
                "empty-day.xml",
                sample("camt053/oca-test-camt053-no-ntry_001_04.xml"),
            ),
        ],
        &[],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(o.input("empty-day.xml")["status"], "accepted");
}

#[test]
fn same_file_twice_in_one_batch_is_an_idempotent_skip() {
    // B1-7: a byte-identical re-delivery adds no money.
    let o = run_batch(&[good(), ("resent.csv", fixture("good.csv"))], &[]);
    assert_eq!(o.code, Some(0), "not an error: {}", o.stderr);
    assert_eq!(o.transaction_refs(), ["G1"], "counted once");
    let copy = o.input("resent.csv");
    assert_eq!(copy["status"], "duplicate");
    assert_eq!(copy["detail"], "duplicate_of=this run/bank/good.csv");
    assert_eq!(o.manifest()["counts"]["files_duplicate"], 1);
}

#[test]
fn same_file_in_a_later_run_is_an_idempotent_skip() {
    // B1-7 across runs: the state remembers the file's hash.
    let first = run_batch(&[good()], &[]);
    assert_eq!(first.code, Some(0));
    let run1 = first.manifest()["run_id"].as_str().unwrap().to_string();
    let second = run_in(
        first.dir,
        &[
            good(),
            (
                "other.csv",
                csv("DE01,2026-03-04,2026-03-04,250.00,EUR,Beta AG,DE03,INV-2,N1\n"),
            ),
        ],
        &[],
    );
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(
        second.transaction_refs(),
        ["N1"],
        "only the new file's money"
    );
    assert_eq!(
        second.input("good.csv")["detail"],
        format!("duplicate_of={run1}/bank/good.csv")
    );
}

#[test]
fn rerunning_the_same_batch_is_a_noop() {
    // B5-44: same run id already published: exit 0, "already processed".
    let first = run_batch(&[good()], &[]);
    let before = fs::read(first.out.join("manifest.json")).unwrap();
    let second = run_in(first.dir, &[good()], &[]);
    assert_eq!(second.code, Some(0));
    assert!(
        second.stdout.contains("already processed"),
        "{}",
        second.stdout
    );
    assert_eq!(fs::read(second.out.join("manifest.json")).unwrap(), before);
}

#[test]
fn overlapping_statements_add_only_new_transactions() {
    // B1-9: days 1-7 then days 5-10 of the same account.
    let week1 = csv(
        "DE01,2026-03-01,2026-03-01,100.00,EUR,ACME GmbH,DE02,INV-1,R1\n\
         DE01,2026-03-05,2026-03-05,7.00,EUR,X,DE09,misc,R2\n",
    );
    let first = run_batch(&[("week1.csv", week1)], &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let week2 = csv("DE01,2026-03-05,2026-03-05,7.00,EUR,X,DE09,misc,R2\n\
         DE01,2026-03-08,2026-03-08,250.00,EUR,Beta AG,DE03,INV-2,R3\n");
    let second = run_in(first.dir, &[("week2.csv", week2)], &[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(second.transaction_refs(), ["R3"], "R2 was already applied");
    assert_eq!(
        second.manifest()["counts"]["transactions_already_processed"],
        1
    );
    second.assert_verifies();
}

#[test]
fn two_identical_payments_in_one_statement_are_both_kept() {
    // B1-9: N identical rows stay N rows (occurrence index).
    let o = run_batch(
        &[(
            "twice.csv",
            csv("DE01,2026-03-02,2026-03-02,50.00,EUR,X,DE09,misc,\n\
                 DE01,2026-03-02,2026-03-02,50.00,EUR,X,DE09,misc,\n"),
        )],
        &[],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let ids = text(
        &read_parquet(&o.out.join("transactions.parquet")),
        "transaction_id",
    );
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn same_bank_reference_twice_in_one_statement_keeps_both() {
    // B1-9: the reference is scoped to the account; the occurrence index
    // keeps a repeated reference from merging two bookings.
    let o = run_batch(
        &[(
            "sameref.csv",
            csv(
                "DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-1,DUP\n\
                 DE01,2026-03-02,2026-03-02,250.00,EUR,Beta AG,DE03,INV-2,DUP\n",
            ),
        )],
        &[],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(o.transaction_refs(), ["DUP", "DUP"]);
    let apps = read_parquet(&o.out.join("applications.parquet"));
    assert_eq!(text(&apps, "invoice_id"), ["INV-1", "INV-2"]);
}

// ----------------------------------------------------------- EXCEPTION-RECORD

fn single(rows: &str) -> Outcome {
    let o = run_batch(&[("bank.csv", csv(rows))], &[]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    o.assert_verifies();
    o
}

#[test]
fn negative_amount_is_an_exception_not_a_receipt() {
    // B1-12: a debit keeps its sign and is never applied to an invoice.
    let o = single("DE01,2026-03-02,2026-03-02,-100.00,EUR,ACME GmbH,DE02,INV-1,NEG\n");
    assert_eq!(o.reasons(), ["NOT_A_RECEIPT"]);
}

#[test]
fn zero_amount_is_kept_as_a_zero_amount_exception() {
    // B3-34: ingested and counted, never dropped.
    let o = single("DE01,2026-03-02,2026-03-02,0.00,EUR,ACME GmbH,DE02,INV-1,ZERO\n");
    assert_eq!(o.reasons(), ["ZERO_AMOUNT"]);
    assert_eq!(o.manifest()["counts"]["transactions"], 1);
}

#[test]
fn payment_in_a_currency_without_invoices_is_an_exception() {
    // B3-31: no implicit FX; the money stays visible as unapplied.
    let o = single("DE01,2026-03-02,2026-03-02,100.00,CHF,ACME GmbH,DE02,INV-1,CHF1\n");
    assert_eq!(o.reasons().len(), 1);
    assert!(
        ["CURRENCY_MISMATCH", "NO_MATCH", "UNKNOWN_REFERENCE"].contains(&o.reasons()[0].as_str()),
        "{:?}",
        o.reasons()
    );
    let apps = read_parquet(&o.out.join("applications.parquet"));
    assert!(text(&apps, "invoice_id").is_empty());
}

#[test]
fn payment_referencing_an_invoice_in_another_currency_is_not_applied() {
    // B3-31: USD invoice, EUR payment quoting it.
    let o = single("DE01,2026-03-02,2026-03-02,80.00,EUR,Gamma Ltd,DE05,INV-3,FX1\n");
    let apps = read_parquet(&o.out.join("applications.parquet"));
    assert!(
        text(&apps, "invoice_id").is_empty(),
        "never applied across currencies"
    );
    assert_eq!(o.reasons().len(), 1);
}

#[test]
fn mixed_currencies_in_one_file_keep_separate_control_sums() {
    // B3-31: conservation holds per currency.
    let o = single(
        "DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-1,M1\n\
         DE01,2026-03-02,2026-03-02,80.00,USD,Gamma Ltd,DE05,INV-3,M2\n",
    );
    let sums = o.manifest()["control_sums"].clone();
    let currencies: Vec<&str> = sums
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["EUR", "USD"]);
}

#[test]
fn overpayment_leaves_the_remainder_unapplied() {
    // B3-27: the invoice never goes below zero; the rest stays on account.
    let o = single("DE01,2026-03-02,2026-03-02,130.00,EUR,ACME GmbH,DE02,INV-1,OVER\n");
    let items = read_parquet(&o.out.join("open_items.parquet"));
    let after = money(&items, "amount_open_after");
    assert!(after.iter().all(|a| !a.is_sign_negative()));
    let excs = read_parquet(&o.out.join("exceptions.parquet"));
    assert_eq!(text(&excs, "reason"), ["OVERPAYMENT"]);
    assert_eq!(money(&excs, "amount")[0].to_string(), "30.0000");
}

#[test]
fn credit_note_in_the_open_items_is_never_over_applied() {
    // B3-32: a negative open item (a credit note) is never a target for a
    // receipt's cash. Issue 9: a payer who nets it against an invoice
    // (100.00 − 40.00 = 60.00, both quoted) consumes it exactly, never
    // beyond; a payment it does not explain leaves it as it was.
    for (paid, invoice_after, credit_after) in [
        ("60.00", "0.0000", "0.0000"),
        ("50.00", "0.0000", "-40.0000"),
    ] {
        let dir = tempdir();
        fs::write(
            dir.path().join("items.csv"),
            format!(
                "{ITEMS_HEADER}{ITEMS}CN-1,C1,ACME GmbH,EUR,-40.00,-40.00,2026-02-10,2026-02-10\n"
            ),
        )
        .unwrap();
        let o = run_in(
            dir,
            &[(
                "bank.csv",
                csv(&format!(
                    "DE01,2026-03-02,2026-03-02,{paid},EUR,ACME GmbH,DE02,CN-1 INV-1,CN\n"
                )),
            )],
            &[],
        );
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        o.assert_verifies();
        let items = read_parquet(&o.out.join("open_items.parquet"));
        let ids = text(&items, "invoice_id");
        let after = money(&items, "amount_open_after");
        let cn = ids.iter().position(|i| i == "CN-1").unwrap();
        let inv = ids.iter().position(|i| i == "INV-1").unwrap();
        assert_eq!(
            after[cn].to_string(),
            credit_after,
            "credit note, paid {paid}"
        );
        assert_eq!(
            after[inv].to_string(),
            invoice_after,
            "invoice, paid {paid}"
        );
    }
}

/// Issue 13 (RELIABILITY B1-11 by analogy): duplicate invoice ids in the
/// extract used to abort the whole run. Every row of a duplicated id is now
/// held: kept in `open_items.parquet` as delivered with status `held` and
/// reason `DUPLICATE_INVOICE_ID`, never matched; the payment that names it
/// waits as `HELD_INVOICE`; the rest of the extract runs.
#[test]
fn duplicate_invoice_ids_become_held_items() {
    let dir = tempdir();
    fs::write(
        dir.path().join("items.csv"),
        format!("{ITEMS_HEADER}{ITEMS}INV-1,C1,ACME GmbH,EUR,5.00,5.00,2026-02-01,2026-03-01\n"),
    )
    .unwrap();
    let o = run_in(
        dir,
        &[
            good(),
            (
                "more.csv",
                csv("DE01,2026-03-03,2026-03-03,250.00,EUR,Beta AG,DE03,INV-2,G2\n"),
            ),
        ],
        &[],
    );
    assert_eq!(o.code, Some(0), "{}\n{}", o.stdout, o.stderr);
    o.assert_verifies();
    let items = read_parquet(&o.out.join("open_items.parquet"));
    let ids = text(&items, "invoice_id");
    let status = text(&items, "status");
    let reason = texts(&items, "hold_reason");
    let after = money(&items, "amount_open_after");
    let inv1: Vec<usize> = (0..ids.len()).filter(|&i| ids[i] == "INV-1").collect();
    assert_eq!(inv1.len(), 2, "both rows kept");
    for i in inv1 {
        assert_eq!(status[i], "held");
        assert_eq!(reason[i].as_deref(), Some("DUPLICATE_INVOICE_ID"));
    }
    assert_eq!(o.reasons(), vec!["HELD_INVOICE".to_string()]);
    assert!(
        o.stdout.contains("DUPLICATE_INVOICE_ID"),
        "the summary counts held items by reason: {}",
        o.stdout
    );
    let inv2 = ids.iter().position(|i| i == "INV-2").unwrap();
    assert_eq!(status[inv2], "paid", "the rest of the extract still runs");
    assert!(after[inv2].is_zero());
}

/// B1-11 EXCEPTION-RECORD `INVALID_SCALE`: an invoice amount finer than
/// its currency used to refuse the whole extract (exit 1). The row is now
/// held as delivered (`status = held`, `hold_reason = INVALID_SCALE`, the row
/// and column named), never matched, and the rest of the extract runs.
#[test]
fn invoice_amount_with_too_many_decimals_is_a_held_item() {
    let dir = tempdir();
    fs::write(
        dir.path().join("items.csv"),
        format!("{ITEMS_HEADER}{ITEMS}INV-9,C9,Z,EUR,10.005,10.005,2026-02-01,2026-03-01\n"),
    )
    .unwrap();
    let o = run_in(dir, &[good()], &[]);
    assert_eq!(o.code, Some(0), "{}\n{}", o.stdout, o.stderr);
    o.assert_verifies();
    let items = read_parquet(&o.out.join("open_items.parquet"));
    let ids = text(&items, "invoice_id");
    let i = ids.iter().position(|x| x == "INV-9").unwrap();
    assert_eq!(text(&items, "status")[i], "held");
    assert_eq!(
        texts(&items, "hold_reason")[i].as_deref(),
        Some("INVALID_SCALE")
    );
    assert!(texts(&items, "hold_detail")[i]
        .as_deref()
        .unwrap()
        .contains("amount_open"));
    assert_eq!(money(&items, "amount_open_after")[i].to_string(), "10.0050");
    let inv1 = ids.iter().position(|x| x == "INV-1").unwrap();
    assert_eq!(text(&items, "status")[inv1], "paid", "the rest still runs");
}

// ------------------------------------------------------------------ ABORT-RUN

#[test]
fn unknown_config_key_aborts_run() {
    // Config errors abort before anything is read or written.
    let dir = tempdir();
    let cfg = dir.path().join("rules.toml");
    fs::write(&cfg, "[limits]\nfile_bytes_maxx = 1\n").unwrap();
    let cfg_arg = cfg.to_string_lossy().into_owned();
    run_in(dir, &[good()], &["--config", &cfg_arg]).assert_aborted(1, "file_bytes_maxx");
}

#[test]
fn unwritable_output_directory_aborts_run() {
    // B5-47: a clear error and nothing half-written. Root ignores file
    // modes, so the output path is put under a regular file instead.
    let dir = tempdir();
    let blocker = dir.path().join("not-a-dir");
    fs::write(&blocker, "x").unwrap();
    let items = dir.path().join("items.csv");
    fs::write(&items, format!("{ITEMS_HEADER}{ITEMS}")).unwrap();
    let bank = dir.path().join("good.csv");
    fs::write(&bank, fixture("good.csv")).unwrap();
    let o = cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .arg("--out")
        .arg(blocker.join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not-a-dir") && err.contains("hint:"), "{err}");
}

#[test]
fn disk_full_while_staging_aborts_run_and_keeps_the_previous_outputs() {
    // B4-36 / B5-47: ENOSPC on a write (injected at the 3rd file write) is
    // an error, the staging area is removed, the previous run is intact.
    let first = run_batch(&[good()], &[]);
    let before = fs::read(first.out.join("manifest.json")).unwrap();
    let bank = first.dir.path().join("bank");
    fs::write(
        bank.join("more.csv"),
        csv("DE01,2026-03-05,2026-03-05,250.00,EUR,Beta AG,DE03,INV-2,N1\n"),
    )
    .unwrap();
    let o = cashmatch()
        .env("CASHMATCH_FAULT_ENOSPC_AT", "3")
        .arg("run")
        .arg("--bank")
        .arg(&bank)
        .arg("--open-items")
        .arg(first.dir.path().join("items.csv"))
        .args(["--as-of", "2026-03-31", "--out"])
        .arg(&first.out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(fs::read(first.out.join("manifest.json")).unwrap(), before);
    let leftovers: Vec<String> = fs::read_dir(&first.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "nothing half-written: {leftovers:?}");
    first.assert_verifies();
}

#[test]
fn locked_output_directory_aborts_run() {
    // B5-46: a second run on the same directory fails fast, naming the holder.
    let dir = tempdir();
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    // This test process is alive, so its pid makes a live lock.
    fs::write(
        out.join(".cashmatch.lock"),
        format!("pid={}\nholder=Rother\n", std::process::id()),
    )
    .unwrap();
    let o = run_in(dir, &[good()], &[]);
    o.assert_aborted(7, "locked by pid");
    assert!(o.stderr.contains("Rother"), "{}", o.stderr);
}

#[test]
fn stale_lock_of_a_dead_process_is_reported_and_replaced() {
    // B5-46: stale locks are detected explicitly, never broken silently.
    let dir = tempdir();
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join(".cashmatch.lock"), "pid=4999999\nholder=Rgone\n").unwrap();
    let o = run_in(dir, &[good()], &[]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stderr.contains("stale lock"), "{}", o.stderr);
    assert!(
        !o.out.join(".cashmatch.lock").exists(),
        "released after the run"
    );
}

#[test]
fn output_file_names_never_come_from_input() {
    // B4-42: statement ids and file names with path tricks stay data.
    let mt = String::from_utf8(fixture("good.mt940"))
        .unwrap()
        .replace(":20:STMT1", ":20:../../evil");
    let o = run_batch(&[good(), ("..%2Fevil.mt940", mt.into_bytes())], &[]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let mut names: Vec<String> = fs::read_dir(&o.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "aging.parquet",
            "analytics",
            "applications.parquet",
            "exceptions.parquet",
            "manifest.json",
            "open_items.parquet",
            "postings.parquet",
            "returns.parquet",
            "state",
            "statements.parquet",
            "transactions.parquet"
        ]
    );
    assert!(!o.dir.path().join("evil").exists());
}
