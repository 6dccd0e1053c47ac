//! `cashmatch run --remittance` (issue 11): advices linked to their bank
//! lines, their lines applied with `REMITTANCE_ADVICE` before the cascade,
//! unknown invoices reported, advices waiting across runs in the state,
//! files failing their control totals excluded, replay byte-identical, and
//! conservation per transaction with advice-driven applications.

mod common;
use cashmatch_engine::config::{RemittanceRules, Rules};
use cashmatch_engine::model::{BankTransaction, Batch, OpenItem, Rule};
use cashmatch_engine::remittance::{Advice, AdviceLine, LineStatus};
use cashmatch_engine::{apply_cash_with, RemittanceInput, RunExtras};
use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::fs;
use std::path::Path;

const ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,discount_percent,discount_days,po_number\n";
const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";

/// An 820 of 250.00 with trace TRACE55555: INV-1 paid 100.00 of 110.00
/// with a 10.00 ADX reason 01, INV-2 paid 50.00, and INV-404 (unknown).
fn x12(bpr_amount: &str) -> String {
    [
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260301*1200*U*00401*000000001*0*P*>~",
        "GS*RA*SENDER*RECEIVER*20260301*1200*1*X*004010~",
        "ST*820*0001~",
        &format!("BPR*C*{bpr_amount}*C*ACH*CTX*01*111000025*DA*123456*1234567890**01*222000111*DA*987654*20260302~"),
        "TRN*1*TRACE55555~",
        "N1*PR*ACME CORP~",
        "ENT*1~",
        "RMR*IV*INV-1**100.00*110.00~",
        "ADX*-10.00*01~",
        "RMR*IV*INV-2**50.00~",
        "RMR*IV*INV-404**100.00~",
        "SE*10*0001~",
        "GE*1*1~",
        "IEA*1*000000001~",
    ]
    .join("\n")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn items(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "items.csv",
        &format!(
            "{ITEMS_HEADER}INV-1,C1,Acme,USD,110.00,110.00,2026-02-01,2026-03-01,,,\nINV-2,C1,Acme,USD,50.00,50.00,2026-02-01,2026-03-01,,,\nINV-9,C2,Other,USD,50.00,50.00,2026-02-01,2026-03-01,,,\n"
        ),
    )
}

fn config(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "rules.toml",
        "[remittance.deduction_reasons]\n\"01\" = \"PRICING_DISPUTE\"\n",
    )
}

/// The real public 820 (Wikipedia's example, vendored with attribution in
/// `parsers/tests/samples/remittance/SOURCES.md`): a lump sum of 77.77
/// whose bank line carries only the trace number.
#[test]
fn a_real_820_drives_the_application_of_its_lump_sum_by_trace_number() {
    let dir = tempdir();
    let d = dir.path();
    let bank = write(
        d,
        "bank.csv",
        &format!("{BANK_HEADER}US01,2003-10-16,2003-10-16,77.77,USD,WHIZCO OF AMERICA,,ACH CTX TRN*1*0310162359,B1\nUS01,2003-10-16,2003-10-16,50.00,USD,OTHER CO,,INV-9,B2\n"),
    );
    let items = write(
        d,
        "items.csv",
        &format!("{ITEMS_HEADER}1111111111111111,C1,Whizco,USD,11.11,11.11,2003-09-01,2003-10-01,,,\n2222222222222222,C1,Whizco,USD,22.22,22.22,2003-09-01,2003-10-01,,,\n4444444444444444,C1,Whizco,USD,44.44,44.44,2003-09-01,2003-10-01,,,\nINV-9,C2,Other,USD,50.00,50.00,2003-09-01,2003-10-01,,,\n"),
    );
    let sample =
        samples().join("remittance/x12-820/Inteligenz-X12Parser-820-Example5_Wikipedia.txt");
    let out = d.join("out");
    run_ok(
        cashmatch()
            .args(["run", "--no-state", "--bank"])
            .arg(&bank)
            .arg("--open-items")
            .arg(&items)
            .arg("--remittance")
            .arg(&sample)
            .arg("--out")
            .arg(&out),
    );
    let r = read_parquet(&out.join("remittances.parquet"));
    assert_eq!(text(&r, "status"), ["applied"; 3]);
    assert_eq!(text(&r, "link_rule"), ["TRACE_NUMBER"; 3]);
    let a = read_parquet(&out.join("applications.parquet"));
    let rules = text(&a, "rule");
    let invoices = text(&a, "invoice_id");
    let by_advice: Vec<&str> = invoices
        .iter()
        .zip(&rules)
        .filter(|(_, r)| *r == "REMITTANCE_ADVICE")
        .map(|(i, _)| i.as_str())
        .collect();
    assert_eq!(
        by_advice,
        ["1111111111111111", "2222222222222222", "4444444444444444"]
    );
    // The bank line of the advice is the one linked.
    let txn_of_advice = texts(&r, "transaction_id")[0].clone().unwrap();
    let t = read_parquet(&out.join("transactions.parquet"));
    let refs = text(&t, "bank_reference");
    let ids = text(&t, "transaction_id");
    assert_eq!(
        refs[ids.iter().position(|i| *i == txn_of_advice).unwrap()],
        "B1"
    );
    assert!(read_parquet(&out.join("exceptions.parquet"))
        .iter()
        .all(|b| b.num_rows() == 0));
    // The manifest lists the advice with its hash; replay and verify agree.
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"role\": \"remittance\""), "{manifest}");
    assert!(manifest.contains("a92f80f43d1d38e65ccfcbfe06cf0aa875753dd1d57a9b8ce7b14babb2d054fb"));
    run_ok(cashmatch().arg("replay").arg(&out));
    run_ok(cashmatch().arg("verify").arg(&out));
}

/// An advice read before its cash waits in the state; the next run applies
/// it line by line (deduction with the mapped reason) and reports the line
/// naming an unknown invoice, whose money stays on account with that reason.
#[test]
fn an_advice_waits_for_its_cash_across_runs_and_unknown_invoices_are_reported() {
    let dir = tempdir();
    let d = dir.path();
    let (items, cfg) = (items(d), config(d));
    let advice = write(d, "acme.820", &x12("250.00"));
    let bank1 = write(
        d,
        "bank1.csv",
        &format!("{BANK_HEADER}US01,2026-03-01,2026-03-01,50.00,USD,OTHER CO,,INV-9,B2\n"),
    );
    let bank2 = write(
        d,
        "bank2.csv",
        &format!("{BANK_HEADER}US01,2026-03-02,2026-03-02,250.00,USD,ACME CORP,,ACH CTX TRN*1*TRACE55555,B7\n"),
    );
    let state = d.join("state");
    let run = |bank: &Path, out: &Path, remittance: Option<&Path>| {
        let mut c = cashmatch();
        c.args(["run", "--bank"])
            .arg(bank)
            .arg("--open-items")
            .arg(&items)
            .arg("--config")
            .arg(&cfg)
            .arg("--state")
            .arg(&state)
            .arg("--out")
            .arg(out);
        if let Some(r) = remittance {
            c.arg("--remittance").arg(r);
        }
        run_ok(&mut c);
    };
    let (o1, o2) = (d.join("o1"), d.join("o2"));
    run(&bank1, &o1, Some(&advice));
    let r1 = read_parquet(&o1.join("remittances.parquet"));
    assert_eq!(text(&r1, "status"), ["waiting"; 3]);
    assert!(texts(&r1, "transaction_id").iter().all(Option::is_none));
    run(&bank2, &o2, None);
    let r2 = read_parquet(&o2.join("remittances.parquet"));
    assert_eq!(
        text(&r2, "status"),
        ["applied", "applied", "unknown_invoice"]
    );
    let a = read_parquet(&o2.join("applications.parquet"));
    assert_eq!(text(&a, "rule"), ["REMITTANCE_ADVICE"; 2]);
    assert_eq!(text(&a, "invoice_id"), ["INV-1", "INV-2"]);
    assert_eq!(
        money(&a, "deduction_amount"),
        [Decimal::new(10, 0), Decimal::ZERO]
    );
    assert_eq!(
        texts(&a, "deduction_reason")[0].as_deref(),
        Some("PRICING_DISPUTE")
    );
    let x = read_parquet(&o2.join("exceptions.parquet"));
    assert_eq!(text(&x, "reason"), ["UNKNOWN_REFERENCE"]);
    assert_eq!(money(&x, "amount"), [Decimal::new(100, 0)]);
    assert!(text(&x, "detail")[0].contains("INV-404"));
    // The second run read the waiting advices from the state: listed in
    // its manifest, and its replay reads them again.
    let manifest = fs::read_to_string(o2.join("manifest.json")).unwrap();
    assert!(manifest.contains("remittance-waiting/"), "{manifest}");
    run_ok(cashmatch().arg("replay").arg(&o2));
    run_ok(cashmatch().arg("verify").arg(&o2));
    // Applied: nothing waits any more.
    let o3 = d.join("o3");
    run(&bank1, &o3, None);
    assert!(!o3.join("remittances.parquet").exists());
}

/// An RMR naming a purchase order carries the invoice in its `REF*IV`
/// (and the invoice date in `DTM*003`): the line is applied to that
/// invoice, also after waiting in the state for its cash.
#[test]
fn an_invoice_number_in_the_rmr_loop_ref_applies_a_purchase_order_line() {
    let dir = tempdir();
    let d = dir.path();
    let (items, cfg) = (items(d), config(d));
    let text820 = x12("250.00")
        .replace(
            "RMR*IV*INV-2**50.00~",
            "RMR*PO*PO-2**50.00~\nREF*IV*INV-2~\nDTM*003*20260201~",
        )
        .replace("SE*10*0001~", "SE*12*0001~");
    let advice = write(d, "acme.820", &text820);
    let bank1 = write(
        d,
        "bank1.csv",
        &format!("{BANK_HEADER}US01,2026-03-01,2026-03-01,50.00,USD,OTHER CO,,INV-9,B2\n"),
    );
    let bank2 = write(
        d,
        "bank2.csv",
        &format!("{BANK_HEADER}US01,2026-03-02,2026-03-02,250.00,USD,ACME CORP,,ACH CTX TRN*1*TRACE55555,B7\n"),
    );
    let state = d.join("state");
    let (o1, o2) = (d.join("o1"), d.join("o2"));
    for (bank, out, remittance) in [(&bank1, &o1, Some(&advice)), (&bank2, &o2, None)] {
        let mut c = cashmatch();
        c.args(["run", "--bank"])
            .arg(bank)
            .arg("--open-items")
            .arg(&items)
            .arg("--config")
            .arg(&cfg)
            .arg("--state")
            .arg(&state)
            .arg("--out")
            .arg(out);
        if let Some(r) = remittance {
            c.arg("--remittance").arg(r);
        }
        run_ok(&mut c);
    }
    let r2 = read_parquet(&o2.join("remittances.parquet"));
    assert_eq!(
        text(&r2, "status"),
        ["applied", "applied", "unknown_invoice"]
    );
    let a = read_parquet(&o2.join("applications.parquet"));
    assert_eq!(text(&a, "invoice_id"), ["INV-1", "INV-2"]);
    assert_eq!(text(&a, "rule"), ["REMITTANCE_ADVICE"; 2]);
}

/// A file failing its own control totals (BPR says 260.00, the lines 250.00)
/// is excluded like an unbalanced statement (exit 3); accepted unbalanced,
/// its lines are suggestions, never applied.
#[test]
fn an_advice_failing_its_control_totals_is_excluded_or_only_suggested() {
    let dir = tempdir();
    let d = dir.path();
    let items = items(d);
    let advice = write(d, "bad.820", &x12("260.00"));
    let bank = write(
        d,
        "bank.csv",
        &format!(
            "{BANK_HEADER}US01,2026-03-02,2026-03-02,260.00,USD,ACME CORP,,TRN*1*TRACE55555,B7\n"
        ),
    );
    let out = d.join("out");
    let res = cashmatch()
        .args(["run", "--no-state", "--bank"])
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .arg("--remittance")
        .arg(&advice)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("bad.820") && stderr.contains("control totals"),
        "{stderr}"
    );
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("rejected_unbalanced"), "{manifest}");
    assert!(
        !text(&read_parquet(&out.join("applications.parquet")), "rule")
            .iter()
            .any(|r| r == "REMITTANCE_ADVICE")
    );

    let out2 = d.join("out2");
    let res = cashmatch()
        .args(["run", "--no-state", "--accept-unbalanced", "--bank"])
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .arg("--remittance")
        .arg(&advice)
        .arg("--out")
        .arg(&out2)
        .output()
        .unwrap();
    assert_eq!(
        res.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let r = read_parquet(&out2.join("remittances.parquet"));
    assert_eq!(
        text(&r, "status"),
        ["check_failed", "check_failed", "unknown_invoice"]
    );
    assert!(
        !text(&read_parquet(&out2.join("applications.parquet")), "rule")
            .iter()
            .any(|r| r == "REMITTANCE_ADVICE")
    );
}

/// A file that is no remittance format is named and rejected (exit 3);
/// the batch still runs.
#[test]
fn a_file_that_is_not_an_advice_is_rejected_by_name() {
    let dir = tempdir();
    let d = dir.path();
    let items = items(d);
    let junk = write(d, "notes.txt", "hello, this is not an advice\n");
    let bank = write(
        d,
        "bank.csv",
        &format!("{BANK_HEADER}US01,2026-03-01,2026-03-01,50.00,USD,OTHER CO,,INV-9,B2\n"),
    );
    let out = d.join("out");
    let res = cashmatch()
        .args(["run", "--no-state", "--bank"])
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .arg("--remittance")
        .arg(&junk)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&res.stderr).contains("notes.txt"));
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the advices say (lines over or under the open amounts,
    /// unknown invoices, discounts, deductions, several advices per bank
    /// line), every receipt is applied at most once in full, no invoice is
    /// over-cleared, and the engine's invariant check passes.
    #[test]
    fn conservation_holds_with_advice_driven_applications(
        payments in prop::collection::vec(1i64..50_000, 1..6),
        lines in prop::collection::vec((0usize..8, 0usize..10, 1i64..30_000, 0i64..500, -800i64..200), 0..16),
    ) {
        let transactions: Vec<BankTransaction> = payments
            .iter()
            .enumerate()
            .map(|(i, &c)| BankTransaction {
                bank_reference: format!("TRACE{i:05}"),
                account: "US01".into(),
                currency: "USD".into(),
                amount: cents(c),
                value_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
                ..Default::default()
            })
            .collect();
        let open_items: Vec<OpenItem> = (0..8)
            .map(|i| OpenItem {
                invoice_id: format!("INV-{i:04}"),
                customer_id: format!("C{}", i % 3),
                currency: "USD".into(),
                amount_open: cents(10_000 + 1_000 * i as i64),
                amount_original: cents(10_000 + 1_000 * i as i64),
                ..Default::default()
            })
            .collect();
        let mut advices: Vec<Advice> = (0..payments.len() + 2)
            .map(|i| Advice {
                key: format!("k{i}"),
                format: "x12.820".into(),
                advice_id: format!("A{i}"),
                payment_reference: format!("TRACE{i:05}"),
                currency: "USD".into(),
                ..Default::default()
            })
            .collect();
        for (k, (advice, item, paid, discount, adjustment)) in lines.into_iter().enumerate() {
            let n = advices.len();
            advices[advice % n].lines.push(AdviceLine {
                invoice_reference: if k % 7 == 6 { "NOPE-1".into() } else { format!("INV-{item:04}") },
                amount_paid: Some(cents(paid)),
                discount: Some(cents(discount)),
                adjustment: Some(cents(adjustment)),
                adjustment_reason: "01".into(),
                ..Default::default()
            });
        }
        let batch = Batch {
            transactions: transactions.clone().into(),
            open_items: open_items.clone().into(),
            customers: Default::default(),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        };
        let input = RemittanceInput { advices, rules: RemittanceRules::default(), waiting_allowed: true };
        let extras = RunExtras { remittance: Some(&input), ..Default::default() };
        let r = apply_cash_with(batch, &Rules::default(), &extras, &mut ()).expect("invariants hold");
        let mut applied = vec![Decimal::ZERO; transactions.len()];
        let mut excepted = vec![Decimal::ZERO; transactions.len()];
        for a in &r.outcome.applications {
            applied[a.txn as usize] += a.applied_amount;
        }
        for x in &r.outcome.exceptions {
            excepted[x.txn as usize] += x.amount;
        }
        for (t, txn) in transactions.iter().enumerate() {
            prop_assert_eq!(applied[t] + excepted[t], txn.amount);
        }
        let mut cleared = vec![Decimal::ZERO; open_items.len()];
        for a in &r.outcome.applications {
            cleared[a.item as usize] += a.cleared_amount();
        }
        for (i, item) in open_items.iter().enumerate() {
            prop_assert!(cleared[i] <= item.amount_open);
        }
        // An applied advice line is an application of REMITTANCE_ADVICE on
        // its linked bank line.
        for o in &r.remittance {
            if o.lines.contains(&LineStatus::Applied) {
                let t = o.link.expect("applied lines are linked").txn;
                prop_assert!(r.outcome.applications.iter().any(|a| a.txn == t && a.rule == Rule::RemittanceAdvice));
            }
        }
    }
}
