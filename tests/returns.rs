//! Returned payments end to end (issue 11, part 3): a return is linked to
//! its original receipt (same night, or an earlier night through the
//! state), the original applications are reversed, the invoice is open
//! again in `open_items.parquet`, `returns.parquet` records the return and
//! `verify` accepts the outputs. A return that cannot be linked is
//! `UNLINKED_RETURN`.

mod common;
use common::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";
const ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn run(bank: &Path, items: &Path, as_of: &str, out: &Path, state: Option<&Path>) {
    let mut cmd = cashmatch();
    cmd.arg("run")
        .arg("--bank")
        .arg(bank)
        .arg("--open-items")
        .arg(items)
        .args(["--as-of", as_of, "--out"])
        .arg(out);
    if let Some(s) = state {
        cmd.arg("--state").arg(s);
    }
    run_ok(&mut cmd);
    run_ok(cashmatch().arg("verify").arg(out));
}

fn open_after(out: &Path, invoice: &str) -> Option<(Decimal, String)> {
    let items = read_parquet(&out.join("open_items.parquet"));
    let ids = text(&items, "invoice_id");
    let open = money(&items, "amount_open_after");
    let status = text(&items, "status");
    ids.iter()
        .position(|i| i == invoice)
        .map(|k| (open[k], status[k].clone()))
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// An MT940 whose second line is a debit the bank marks `/RTRN/AC04/`,
/// carrying the first line's end-to-end id: the parser's marker reaches
/// the engine, which links by end-to-end id and reverses the same night.
#[test]
fn a_same_night_return_marked_by_the_bank_is_reversed() {
    let dir = tempdir();
    let bank = write(
        dir.path(),
        "bank.940",
        ":20:P260302000000001\r\n:25:NL77INGB0574908765EUR\r\n:28C:00001\r\n:60F:C260301EUR1000,00\r\n\
         :61:2603020302C100,00NTRFEREF//B1\r\n\
         :86:/EREF/E2E-0001//CNTP/NL32INGB0000012345/INGBNL2A/ACME BV///REMI/USTD//INV-2026-000001/\r\n\
         :61:2603030303D100,00NRTIEREF//B2\r\n\
         :86:/RTRN/AC04//EREF/E2E-0001//CNTP/NL32INGB0000012345/INGBNL2A/ACME BV///REMI/USTD//INV-2026-000001/\r\n\
         :62F:C260303EUR1000,00\r\n-\r\n",
    );
    let items = write(
        dir.path(),
        "items.csv",
        &format!(
            "{ITEMS_HEADER}INV-2026-000001,C1,ACME BV,EUR,100.00,100.00,2026-02-01,2026-03-01\n"
        ),
    );
    let out = dir.path().join("out");
    run(&bank, &items, "2026-03-31", &out, None);
    let returns = read_parquet(&out.join("returns.parquet"));
    assert_eq!(text(&returns, "status"), ["reversed"]);
    assert_eq!(text(&returns, "return_reason"), ["AC04"]);
    assert_eq!(text(&returns, "link_rule"), ["END_TO_END_ID"]);
    assert_eq!(text(&returns, "customer_id"), ["C1"]);
    let apps = read_parquet(&out.join("applications.parquet"));
    assert_eq!(text(&apps, "rule"), ["EXACT_REFERENCE", "RETURN_REVERSAL"]);
    assert_eq!(money(&apps, "applied_amount"), [d("100.00"), d("-100.00")]);
    assert_eq!(
        open_after(&out, "INV-2026-000001"),
        Some((d("100.00"), "open".into()))
    );
    // Nothing left in exceptions: the debit is fully explained.
    assert!(text(&read_parquet(&out.join("exceptions.parquet")), "reason").is_empty());
}

/// Night one applies a receipt; night two's extract no longer has the
/// invoice, and a return naming the receipt's reference arrives: the state
/// finds the original, the invoice is re-opened with the discount taken
/// back. Night three sees a second return of the same receipt: unlinked.
#[test]
fn a_next_night_return_finds_its_original_through_the_state() {
    let dir = tempdir();
    let state = dir.path().join("state");
    let bank1 = write(
        dir.path(),
        "bank1.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-2026-000001,TRACE000123\n"
        ),
    );
    let items1 = write(
        dir.path(),
        "items1.csv",
        &format!(
            "{ITEMS_HEADER}INV-2026-000001,C1,ACME GmbH,EUR,100.00,100.00,2026-02-01,2026-03-01\n\
             INV-2026-000002,C2,Beta AG,EUR,70.00,70.00,2026-02-01,2026-03-01\n"
        ),
    );
    let out1 = dir.path().join("night1");
    run(&bank1, &items1, "2026-03-02", &out1, Some(&state));
    assert_eq!(
        open_after(&out1, "INV-2026-000001"),
        Some((d("0"), "paid".into()))
    );

    let bank2 = write(
        dir.path(),
        "bank2.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-04,2026-03-04,-100.00,EUR,ACME GmbH,DE02,ACH RETURN R01 ORIG TRACE000123,RET001\n"
        ),
    );
    let items2 = write(
        dir.path(),
        "items2.csv",
        &format!(
            "{ITEMS_HEADER}INV-2026-000002,C2,Beta AG,EUR,70.00,70.00,2026-02-01,2026-03-01\n"
        ),
    );
    let out2 = dir.path().join("night2");
    run(&bank2, &items2, "2026-03-04", &out2, Some(&state));
    let returns = read_parquet(&out2.join("returns.parquet"));
    assert_eq!(text(&returns, "status"), ["reversed"]);
    assert_eq!(text(&returns, "return_reason"), ["R01"]);
    assert_eq!(text(&returns, "link_rule"), ["ORIGINAL_REFERENCE"]);
    let manifest1: serde_json::Value =
        serde_json::from_slice(&fs::read(out1.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        texts(&returns, "original_run_id")[0].as_deref(),
        manifest1["run_id"].as_str()
    );
    let apps = read_parquet(&out2.join("applications.parquet"));
    assert_eq!(text(&apps, "rule"), ["RETURN_REVERSAL"]);
    assert_eq!(text(&apps, "invoice_id"), ["INV-2026-000001"]);
    assert_eq!(money(&apps, "applied_amount"), [d("-100.00")]);
    // Re-opened although the extract no longer had it; the other invoice
    // is untouched.
    assert_eq!(
        open_after(&out2, "INV-2026-000001"),
        Some((d("100.00"), "open".into()))
    );
    assert_eq!(
        open_after(&out2, "INV-2026-000002"),
        Some((d("70.00"), "open".into()))
    );
    let postings = read_parquet(&out2.join("postings.parquet"));
    let gl = text(&postings, "gl_account");
    let debit = money(&postings, "debit");
    let credit = money(&postings, "credit");
    let net = |acct: &str| -> Decimal {
        (0..gl.len())
            .filter(|&k| gl[k] == acct)
            .map(|k| debit[k] - credit[k])
            .sum()
    };
    assert_eq!(net("1200"), d("100.00"), "receivable debited again");
    assert_eq!(net("1000"), d("-100.00"), "bank credited");

    // The same receipt cannot be returned twice.
    let bank3 = write(
        dir.path(),
        "bank3.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-05,2026-03-05,-100.00,EUR,ACME GmbH,DE02,ACH RETURN R01 ORIG TRACE000123,RET002\n"
        ),
    );
    let out3 = dir.path().join("night3");
    run(&bank3, &items2, "2026-03-05", &out3, Some(&state));
    assert_eq!(
        text(&read_parquet(&out3.join("exceptions.parquet")), "reason"),
        ["UNLINKED_RETURN"]
    );
    assert_eq!(
        text(&read_parquet(&out3.join("returns.parquet")), "status"),
        ["unlinked"]
    );
}

/// A return with no original anywhere goes to exceptions for a person;
/// an ordinary debit stays `NOT_A_RECEIPT`.
#[test]
fn an_unlinked_return_is_an_exception_and_nothing_is_reversed() {
    let dir = tempdir();
    let bank = write(
        dir.path(),
        "bank.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-04,2026-03-04,-55.00,EUR,Gamma SA,DE09,RETURNED CHEQUE 000451 UNPAID,RET9\n\
             DE01,2026-03-04,2026-03-04,-20.00,EUR,Bank,,fees,FEE1\n"
        ),
    );
    let items = write(
        dir.path(),
        "items.csv",
        &format!(
            "{ITEMS_HEADER}INV-2026-000009,C9,Gamma SA,EUR,55.00,55.00,2026-02-01,2026-03-01\n"
        ),
    );
    let out = dir.path().join("out");
    run(&bank, &items, "2026-03-04", &out, None);
    assert_eq!(
        text(&read_parquet(&out.join("exceptions.parquet")), "reason"),
        ["UNLINKED_RETURN", "NOT_A_RECEIPT"]
    );
    assert!(text(&read_parquet(&out.join("applications.parquet")), "rule").is_empty());
    assert_eq!(
        open_after(&out, "INV-2026-000009"),
        Some((d("55.00"), "open".into()))
    );
}

/// The demo set with the generator's returns (seeded, with truth): same
/// night in the first run, next night in the second through the state
/// (the second run reads the first's `open_items.parquet`). Each run's
/// reversals re-open the invoices the truth names.
#[test]
fn generated_returns_of_the_demo_are_linked_and_reverse_the_truth_invoices() {
    use cashmatch_datasets::{demo, returns};
    let set = returns::returns_for(demo::BANK_CSV, demo::TRUTH, demo::SEED, 5);
    let dir = tempdir();
    let state = dir.path().join("state");
    let night1 = dir.path().join("bank1");
    fs::create_dir_all(&night1).unwrap();
    write(&night1, "bank.csv", demo::BANK_CSV);
    write(&night1, "returns.csv", &set.same_night_csv);
    let items = write(dir.path(), "open_items.csv", demo::OPEN_ITEMS);
    let night2 = write(dir.path(), "returns_next.csv", &set.next_night_csv);
    let out1 = dir.path().join("out1");
    run(&night1, &items, demo::AS_OF, &out1, Some(&state));
    let out2 = dir.path().join("out2");
    run(
        &night2,
        &out1.join("open_items.parquet"),
        "2026-04-01",
        &out2,
        Some(&state),
    );
    // Truth: return reference → invoices it must re-open.
    let mut truth: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in set.truth_csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        truth
            .entry(f[0].to_string())
            .or_default()
            .push(f[4].to_string());
    }
    let (mut right, mut wrong, mut linked) = (0usize, 0usize, 0usize);
    for out in [&out1, &out2] {
        let apps = read_parquet(&out.join("applications.parquet"));
        let rule = text(&apps, "rule");
        let refs = text(&apps, "bank_reference");
        let inv = text(&apps, "invoice_id");
        for k in (0..rule.len()).filter(|&k| rule[k] == "RETURN_REVERSAL") {
            if truth.get(&refs[k]).is_some_and(|v| v.contains(&inv[k])) {
                right += 1;
            } else {
                wrong += 1;
            }
        }
        let r = read_parquet(&out.join("returns.parquet"));
        linked += text(&r, "status")
            .iter()
            .filter(|s| *s == "reversed")
            .count();
    }
    let total = set.returns as usize;
    assert!(total >= 10);
    assert!(
        linked * 100 >= total * 90,
        "{linked} of {total} returns linked"
    );
    assert!(
        right * 100 >= (right + wrong) * 97,
        "reversals: {right} right, {wrong} wrong"
    );
}

/// Cross-currency receipts returned (issue 11, parts 2 and 3): a USD
/// receipt paying a EUR invoice comes back the same night, a EUR receipt
/// paying a USD invoice the next night (found through the state). Each
/// reversal re-opens the invoice in full, takes the payment-currency cash
/// back (nothing left in exceptions), and turns the FX lines around: over
/// receipt and return the FX position and the gain/loss accounts net to
/// zero per currency, and every journal balances per currency. The bank
/// references are bank-length (`BR000001`): the return quotes its original
/// by reference only when the reference has at least four characters.
#[test]
fn a_returned_cross_currency_receipt_reverses_its_fx_result_too() {
    let dir = tempdir();
    let p = dir.path();
    let state = p.join("state");
    let rates = write(
        p,
        "rates.csv",
        "date,from,to,rate,source\n2026-03-02,EUR,USD,1.0850,ECB\n2026-03-03,EUR,USD,1.0900,ECB\n2026-03-04,EUR,USD,1.0900,ECB\n",
    );
    let rules = write(
        p,
        "rules.toml",
        "[fx]\nrate_tolerance_percent = \"1.0\"\ngain_account = \"7110\"\nloss_account = \"7210\"\nposition_account = \"1090\"\n",
    );
    let bank1 = write(
        p,
        "bank1.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-02,2026-03-02,920.00,EUR,Acme Corp,US111,INV-2026-000101,BR000001\n\
             DE01,2026-03-03,2026-03-03,1095.00,USD,Yankee Inc,US444,INV-2026-000105,BR000005\n\
             DE01,2026-03-03,2026-03-03,-1095.00,USD,Yankee Inc,US444,RETURN R01 ORIG BR000005,RT5\n"
        ),
    );
    let items1 = write(
        p,
        "items1.csv",
        &format!(
            "{ITEMS_HEADER}INV-2026-000101,C1,Acme Corp,USD,1000.00,1000.00,2026-02-01,2026-03-01\n\
             INV-2026-000105,C4,Yankee Inc,EUR,1000.00,1000.00,2026-02-01,2026-03-01\n"
        ),
    );
    let night = |bank: &Path, items: &Path, as_of: &str, out: &Path| {
        run_ok(
            cashmatch()
                .args(["run", "--no-analytics", "--bank"])
                .arg(bank)
                .arg("--open-items")
                .arg(items)
                .arg("--rates")
                .arg(&rates)
                .arg("--config")
                .arg(&rules)
                .arg("--state")
                .arg(&state)
                .args(["--as-of", as_of, "--out"])
                .arg(out),
        );
        run_ok(cashmatch().arg("verify").arg(out));
    };
    // Per (journal, currency): debits equal credits; and the net of the FX
    // accounts per currency.
    let check_journals = |out: &Path| -> BTreeMap<(String, String), Decimal> {
        let postings = read_parquet(&out.join("postings.parquet"));
        let (journal, cur, gl) = (
            text(&postings, "journal_id"),
            text(&postings, "currency"),
            text(&postings, "gl_account"),
        );
        let (debit, credit) = (money(&postings, "debit"), money(&postings, "credit"));
        let mut per_journal: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        let mut fx_net: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for k in 0..journal.len() {
            *per_journal
                .entry((journal[k].clone(), cur[k].clone()))
                .or_default() += debit[k] - credit[k];
            if ["1090", "7110", "7210"].contains(&gl[k].as_str()) {
                *fx_net.entry((gl[k].clone(), cur[k].clone())).or_default() += debit[k] - credit[k];
            }
        }
        for (k, net) in &per_journal {
            assert!(net.is_zero(), "journal {k:?} nets {net}");
        }
        fx_net
    };
    let out1 = p.join("night1");
    night(&bank1, &items1, "2026-03-03", &out1);
    let apps = read_parquet(&out1.join("applications.parquet"));
    assert_eq!(
        text(&apps, "rule"),
        ["FX_REFERENCE", "FX_REFERENCE", "RETURN_REVERSAL"]
    );
    let returns = read_parquet(&out1.join("returns.parquet"));
    assert_eq!(text(&returns, "status"), ["reversed"]);
    assert_eq!(
        open_after(&out1, "INV-2026-000105"),
        Some((d("1000.00"), "open".into()))
    );
    assert_eq!(
        open_after(&out1, "INV-2026-000101"),
        Some((d("0"), "paid".into()))
    );
    // The return took back all 1,095.00 USD: no exception row is left.
    assert!(text(&read_parquet(&out1.join("exceptions.parquet")), "reason").is_empty());
    let fx1 = check_journals(&out1);
    // Night 1 keeps only BR000001's FX result: a loss of 1.80 USD (920 EUR at
    // 1.0850 is 998.20 USD for 1,000.00 USD); BR000005's gain came back out.
    assert_eq!(fx1.get(&("7210".into(), "USD".into())), Some(&d("1.80")));
    assert!(fx1
        .iter()
        .filter(|((gl, cur), _)| gl.as_str() != "1090" && cur.as_str() == "EUR")
        .all(|(_, v)| v.is_zero()));

    let bank2 = write(
        p,
        "bank2.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-04,2026-03-04,-920.00,EUR,Acme Corp,US111,RETURN AC04 ORIG BR000001,RT1\n"
        ),
    );
    let out2 = p.join("night2");
    night(
        &bank2,
        &out1.join("open_items.parquet"),
        "2026-03-04",
        &out2,
    );
    let returns = read_parquet(&out2.join("returns.parquet"));
    assert_eq!(text(&returns, "status"), ["reversed"]);
    assert_eq!(text(&returns, "link_rule"), ["ORIGINAL_REFERENCE"]);
    let apps = read_parquet(&out2.join("applications.parquet"));
    assert_eq!(text(&apps, "rule"), ["RETURN_REVERSAL"]);
    assert_eq!(money(&apps, "applied_amount"), [d("-1000.00")]);
    assert_eq!(
        open_after(&out2, "INV-2026-000101"),
        Some((d("1000.00"), "open".into()))
    );
    assert!(text(&read_parquet(&out2.join("exceptions.parquet")), "reason").is_empty());
    let fx2 = check_journals(&out2);
    // The loss is taken back, and over both nights every FX account nets
    // to zero in each currency.
    assert_eq!(fx2.get(&("7210".into(), "USD".into())), Some(&d("-1.80")));
    let mut total = fx1.clone();
    for (k, v) in fx2 {
        *total.entry(k).or_default() += v;
    }
    assert!(total.values().all(|v| v.is_zero()), "{total:?}");
}
