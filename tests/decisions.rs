//! Issue 9, "learning from the people who clear exceptions": decisions fed
//! back with `run --decisions` are applied first (`MANUAL`), what they teach
//! is remembered in the state and used later (`LEARNED_PAYER`), listed and
//! forgotten with `state show` / `state forget`.
//!
//! The decisions file and the re-sent payer's statement are the README's
//! (`docs/decisions-demo/`), read from the repository.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The demo's inputs, written by `cashmatch demo` into `<dir>/demo/inputs`.
fn demo_inputs(dir: &Path) -> PathBuf {
    let out = dir.join("demo");
    run_ok(cashmatch().arg("demo").arg("--out").arg(&out));
    out.join("inputs")
}

fn run_cmd(inputs: &Path, bank: &[PathBuf], out: &Path) -> std::process::Command {
    let mut c = cashmatch();
    c.arg("run").arg("--bank");
    for b in bank {
        c.arg(b);
    }
    c.arg("--open-items")
        .arg(inputs.join("open_items.csv"))
        .arg("--customers")
        .arg(inputs.join("customers.csv"))
        .arg("--out")
        .arg(out);
    c
}

/// (transaction, invoice, rule, explanation) of every application.
fn applications(out: &Path) -> Vec<(String, String, String, String)> {
    let b = read_parquet(&out.join("applications.parquet"));
    let (t, i, r, e) = (
        text(&b, "transaction_id"),
        text(&b, "invoice_id"),
        text(&b, "rule"),
        text(&b, "explanation"),
    );
    (0..t.len())
        .map(|k| (t[k].clone(), i[k].clone(), r[k].clone(), e[k].clone()))
        .collect()
}

const LATER_TXN_INVOICE: &str = "INV-2026-000336";

#[test]
fn the_loop_on_the_demo_shows_manual_then_learned_payer_and_replays() {
    let dir = tempdir();
    let inputs = demo_inputs(dir.path());
    let decided = dir.path().join("decided");
    let o = run_ok(
        run_cmd(
            &inputs,
            &[
                inputs.join("bank.csv"),
                repo("docs/decisions-demo/later.csv"),
            ],
            &decided,
        )
        .arg("--decisions")
        .arg(repo("docs/decisions-demo/decisions.csv")),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("MANUAL"), "{stdout}");
    assert!(stdout.contains("LEARNED_PAYER"), "{stdout}");
    let apps = applications(&decided);
    let manual: Vec<_> = apps.iter().filter(|a| a.2 == "MANUAL").collect();
    assert_eq!(manual.len(), 3, "the three apply rows: {manual:?}");
    assert!(manual.iter().any(|a| a.0 == "T65ad9275f0afa2bfb55235f3"
        && a.1 == "INV-2025-000194"
        && a.3.contains("decided by a.kowalski")
        && a.3.contains("treasury account")));
    // The re-sent payer (unknown name, account taught by line 4) in the same run.
    let learned: Vec<_> = apps.iter().filter(|a| a.2 == "LEARNED_PAYER").collect();
    assert!(
        learned
            .iter()
            .any(|a| a.1 == LATER_TXN_INVOICE && a.3.contains("DE25370400445980263495")),
        "{learned:?}"
    );
    // on_account / refund / ignore: exception rows with the decision, and
    // the journal puts the money where the decision says.
    let x = read_parquet(&decided.join("exceptions.parquet"));
    let (xt, xr, xc) = (
        text(&x, "transaction_id"),
        text(&x, "reason"),
        texts(&x, "customer_id"),
    );
    let reason_of = |t: &str| {
        let k = xt.iter().position(|x| x == t).expect("exception row");
        (xr[k].clone(), xc[k].clone())
    };
    assert_eq!(
        reason_of("T3e1cfaa657da6547f572b6ec"),
        ("DECIDED_ON_ACCOUNT".into(), Some("10075".into()))
    );
    assert_eq!(
        reason_of("T9336f24d1a377217ec2113b8"),
        ("DECIDED_REFUND".into(), Some("10052".into()))
    );
    assert_eq!(reason_of("T946c0a46b7826b3897591cac").0, "DECIDED_IGNORE");
    let p = read_parquet(&decided.join("postings.parquet"));
    let (pt, pg, pc, pd) = (
        text(&p, "transaction_id"),
        text(&p, "gl_account"),
        money(&p, "credit"),
        money(&p, "debit"),
    );
    let credit_to = |t: &str, gl: &str| {
        (0..pt.len())
            .filter(|&k| pt[k] == t && pg[k] == gl)
            .map(|k| pc[k])
            .sum::<rust_decimal::Decimal>()
    };
    assert_eq!(
        credit_to("T9336f24d1a377217ec2113b8", "2420").to_string(),
        "10000.0000"
    );
    assert_eq!(
        credit_to("T3e1cfaa657da6547f572b6ec", "2410").to_string(),
        "2548.6500"
    );
    assert_eq!(
        credit_to("T946c0a46b7826b3897591cac", "2490").to_string(),
        "311.4700"
    );
    assert_eq!(pc.iter().sum::<rust_decimal::Decimal>(), pd.iter().sum());
    // The decisions file is an input of the run, with its hash and counts.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(decided.join("manifest.json")).unwrap()).unwrap();
    let input = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["role"] == "decisions")
        .expect("decisions input in the manifest");
    assert_eq!(input["rows"], 6);
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64);
    assert!(
        input["detail"].as_str().unwrap().contains("apply 3"),
        "{input}"
    );
    // Replay reproduces the run byte for byte.
    let o = run_ok(cashmatch().arg("replay").arg(&decided));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("every output is byte-identical"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    run_ok(cashmatch().arg("verify").arg(&decided));

    // A following run with the taught state (the payer sends again, a new
    // bank reference): known without any decision; without that state not.
    let resent = dir.path().join("resent.csv");
    std::fs::write(
        &resent,
        std::fs::read_to_string(repo("docs/decisions-demo/later.csv"))
            .unwrap()
            .replace("BRL000000001", "BRL000000002")
            .replace("2026-04-01", "2026-04-02"),
    )
    .unwrap();
    let next = dir.path().join("next");
    run_ok(
        run_cmd(&inputs, std::slice::from_ref(&resent), &next)
            .arg("--state")
            .arg(decided.join("state")),
    );
    let apps = applications(&next);
    assert_eq!(apps.len(), 1, "{apps:?}");
    assert_eq!(apps[0].1, LATER_TXN_INVOICE);
    assert_eq!(apps[0].2, "LEARNED_PAYER");
    let fresh = dir.path().join("fresh");
    run_ok(run_cmd(&inputs, &[resent], &fresh).arg("--no-state"));
    assert!(applications(&fresh).is_empty());
}

#[test]
fn conflicting_decisions_reject_the_whole_file_naming_line_and_column() {
    let dir = tempdir();
    let inputs = demo_inputs(dir.path());
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "transaction_id,invoice_id,amount,action,reason,decided_by\n\
         T6013e2056179991fe558bce5,INV-2026-000017,2000.00,apply,ok,j.martin\n\
         T5df4e2ca893e00de27188dbc,INV-2026-000679,1600.00,apply,too much,j.martin\n\
         TNOSUCH,INV-2026-000017,1.00,apply,unknown,j.martin\n\
         T65ad9275f0afa2bfb55235f3,INV-NOSUCH,,apply,unknown invoice,j.martin\n\
         T65ad9275f0afa2bfb55235f3,INV-2025-000194,,maybe,bad action,j.martin\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run_cmd(&inputs, &[inputs.join("bank.csv")], &out)
        .arg("--decisions")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    // Malformed rows are reported first (the file is not read further).
    assert!(
        err.contains(
            "decisions file `bad.csv`, line 6, column 4 (action): `maybe` is not an action"
        ),
        "{err}"
    );
    assert!(err.contains("rejected whole"), "{err}");
    assert!(!out.join("manifest.json").exists());

    // Without the malformed row: every data conflict, with line and column.
    let text = std::fs::read_to_string(&file).unwrap();
    let text: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let o = run_cmd(&inputs, &[inputs.join("bank.csv")], &out)
        .arg("--decisions")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    for needle in [
        "line 3, column 3 (amount): amount 1600.00 is more than the 1500.00 open on invoice `INV-2026-000679`",
        "line 4, column 1 (transaction_id): transaction `TNOSUCH` is not among",
        "line 5, column 2 (invoice_id): invoice `INV-NOSUCH` is not in the open items",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    // Nothing half-applied: no output, no state.
    assert!(!out.join("manifest.json").exists());
    assert!(!out.join("state").join("log.json").exists());

    // Two rows clearing more than the payment: the second is named.
    std::fs::write(
        &file,
        "transaction_id,invoice_id,amount,action,reason,decided_by\n\
         T65ad9275f0afa2bfb55235f3,INV-2025-000194,400.00,apply,split,j.martin\n\
         T65ad9275f0afa2bfb55235f3,INV-2026-000079,200.00,apply,split,j.martin\n",
    )
    .unwrap();
    let o = run_cmd(&inputs, &[inputs.join("bank.csv")], &out)
        .arg("--decisions")
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3, column 3 (amount): amount 200.00 is more than the 100.00 unapplied"),
        "{err}"
    );
}

#[test]
fn a_payment_split_across_invoices_applies_every_row() {
    let dir = tempdir();
    let inputs = demo_inputs(dir.path());
    let file = dir.path().join("split.csv");
    std::fs::write(
        &file,
        "transaction_id,invoice_id,amount,action,reason,decided_by\n\
         T65ad9275f0afa2bfb55235f3,INV-2025-000194,300.00,apply,split by the customer,j.martin\n\
         T65ad9275f0afa2bfb55235f3,INV-2026-000079,150.00,apply,split by the customer,j.martin\n\
         T65ad9275f0afa2bfb55235f3,,,on_account,rest kept for the next invoice,j.martin\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(
        run_cmd(&inputs, &[inputs.join("bank.csv")], &out)
            .arg("--decisions")
            .arg(&file),
    );
    let apps = applications(&out);
    let mut mine: Vec<_> = apps
        .iter()
        .filter(|a| a.0 == "T65ad9275f0afa2bfb55235f3")
        .map(|a| (a.1.as_str(), a.2.as_str()))
        .collect();
    mine.sort();
    assert_eq!(
        mine,
        [("INV-2025-000194", "MANUAL"), ("INV-2026-000079", "MANUAL")]
    );
    let x = read_parquet(&out.join("exceptions.parquet"));
    let k = text(&x, "transaction_id")
        .iter()
        .position(|t| t == "T65ad9275f0afa2bfb55235f3")
        .unwrap();
    assert_eq!(text(&x, "reason")[k], "DECIDED_ON_ACCOUNT");
    assert_eq!(money(&x, "amount")[k].to_string(), "50.0000");
    assert_eq!(texts(&x, "customer_id")[k].as_deref(), Some("10120"));
}

#[test]
fn state_show_and_forget_round_trip() {
    let dir = tempdir();
    let inputs = demo_inputs(dir.path());
    let decided = dir.path().join("decided");
    run_ok(
        run_cmd(&inputs, &[inputs.join("bank.csv")], &decided)
            .arg("--decisions")
            .arg(repo("docs/decisions-demo/decisions.csv")),
    );
    let state = decided.join("state");
    let show = |json: bool| {
        let mut c = cashmatch();
        c.arg("state").arg("show").arg("--state").arg(&state);
        if json {
            c.arg("--json");
        }
        String::from_utf8_lossy(&run_ok(&mut c).stdout).into_owned()
    };
    let facts: serde_json::Value = serde_json::from_str(&show(true)).unwrap();
    let facts = facts.as_array().unwrap();
    assert_eq!(facts.len(), 6, "{facts:?}");
    let account = facts
        .iter()
        .find(|f| f["subject"] == "DE25370400445980263495")
        .expect("the taught account");
    assert_eq!(account["kind"], "payer_account");
    assert_eq!(account["customer_id"], "10120");
    assert_eq!(account["status"], "active");
    // Stable order: the same listing twice, sorted by kind and subject.
    assert_eq!(show(false), show(false));
    let keys: Vec<(String, String)> = facts
        .iter()
        .map(|f| (f["kind"].to_string(), f["subject"].to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // Forget by the account as people write it (spaces, lower case).
    let o = run_ok(
        cashmatch()
            .arg("state")
            .arg("forget")
            .arg("--payer-account")
            .arg("de25 3704 0044 5980 2634 95")
            .arg("--state")
            .arg(&state),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("forgot 1 fact"));
    let facts: serde_json::Value = serde_json::from_str(&show(true)).unwrap();
    assert_eq!(facts.as_array().unwrap().len(), 5);
    assert!(!show(false).contains("DE25370400445980263495"));
    // Forget by id.
    let id = facts[0]["id"].as_str().unwrap().to_string();
    run_ok(
        cashmatch()
            .arg("state")
            .arg("forget")
            .arg(&id)
            .arg("--state")
            .arg(&state),
    );
    assert!(!show(false).contains(&id));
    // Forgetting what is not remembered is an error, and changes nothing.
    let o = cashmatch()
        .arg("state")
        .arg("forget")
        .arg(&id)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    // A later run no longer knows the forgotten account.
    let next = dir.path().join("next");
    run_ok(
        run_cmd(&inputs, &[repo("docs/decisions-demo/later.csv")], &next)
            .arg("--state")
            .arg(&state),
    );
    assert!(applications(&next).is_empty());
}

/// Issue 9 note: a statement's re-issue identity is its money (account,
/// dates, amounts, bank references, balances), not the text parsers keep
/// learning to read; statements an earlier version recorded (hash over the
/// parsed text) are recognised by their known transactions.
#[test]
fn a_statement_sent_again_with_better_parsed_text_is_not_a_conflicting_reissue() {
    let dir = tempdir();
    let bank = dir.path().join("bank");
    std::fs::create_dir_all(&bank).unwrap();
    let original = std::fs::read_to_string(repo("tests/fixtures/bad/good.mt940")).unwrap();
    std::fs::write(bank.join("day1.mt940"), &original).unwrap();
    let items = dir.path().join("open_items.csv");
    std::fs::write(
        &items,
        "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n\
         INV-9,C1,Acme,EUR,5.00,5.00,2026-01-01,2026-02-01\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = |file: &str, text: &str| {
        std::fs::write(bank.join(file), text).unwrap();
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(bank.join(file))
            .arg("--open-items")
            .arg(&items)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let o = run("day1.mt940", &original);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The same statement, its :86: now read with the payer's name.
    let richer = original.replace(":86:INV-1 ACME", ":86:INV-1 ACME NAME ACME GMBH");
    let o = run("day1-again.mt940", &richer);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A state written by an earlier version: its statement hash covered the
    // parsed text and has no `m1:` prefix.
    let state = out.join("state");
    let log_path = state.join("log.json");
    let mut log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&log_path).unwrap()).unwrap();
    let first = log["segments"][0].clone();
    let seg_path = state.join(first["file"].as_str().unwrap());
    let batches = cashmatch_store::table::read_parquet(std::fs::read(&seg_path).unwrap()).unwrap();
    let col = |n: &str| cashmatch_store::table::text_column(&batches, n).unwrap();
    let (kind, key, content, source) = (
        col("kind"),
        col("key"),
        col("content_sha256"),
        col("source_file"),
    );
    let rows: Vec<cashmatch_store::state::SegmentRow> = (0..kind.len())
        .map(|i| cashmatch_store::state::SegmentRow {
            kind: match kind[i].as_str() {
                "file" => "file",
                "statement" => "statement",
                _ => "transaction",
            },
            key: key[i].clone(),
            content_sha256: if kind[i] == "statement" {
                "0".repeat(64)
            } else {
                content[i].clone()
            },
            source_file: source[i].clone(),
            fact: None,
        })
        .collect();
    let bytes =
        cashmatch_store::state::segment_bytes(&rows, first["run_id"].as_str().unwrap()).unwrap();
    std::fs::write(&seg_path, &bytes).unwrap();
    log["segments"][0]["sha256"] = cashmatch_store::sha256_hex(&bytes).into();
    log["segments"].as_array_mut().unwrap().truncate(1);
    std::fs::write(&log_path, serde_json::to_vec_pretty(&log).unwrap()).unwrap();
    let o = run("day1-again.mt940", &richer);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["rejections"].as_array().unwrap().len(), 0);
    assert_eq!(manifest["counts"]["transactions_already_processed"], 1);
    // Against that old state, a statement with a payment it never saw is
    // still a conflicting re-issue.
    let more = richer.replace(
        ":62F:C260302EUR1100,00",
        ":61:2603020302C5,00NTRFREF2//B2\n:86:INV-9\n:62F:C260302EUR1105,00",
    );
    let o = run("day1-more.mt940", &more);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A customer's reference style learned from one decision (issue 9): run 1
/// leaves a payment quoting `VR19846` (the payer's own prefix before our
/// number's core) as an exception; the clerk applies it to
/// INV-2026-019846; run 2, with that state, applies a new payment quoting
/// `VR19847` with `LEARNED_REFERENCE`. The style is listed by `state show`
/// and, once forgotten, no longer used.
#[test]
fn a_learned_reference_style_applies_in_the_next_run_and_can_be_forgotten() {
    const HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";
    const ITEMS: &str = "\
invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date
INV-2026-019846,C1,Verbund Handel GmbH,EUR,100.00,100.00,2026-03-01,2026-03-31
INV-2026-019847,C1,Verbund Handel GmbH,EUR,100.00,100.00,2026-03-01,2026-03-31
INV-2026-019848,C1,Verbund Handel GmbH,EUR,250.00,250.00,2026-03-01,2026-03-31
SO-019847,C2,Other Trading BV,EUR,100.00,100.00,2026-03-01,2026-03-31
";
    const CUSTOMERS: &str = "\
customer_id,name,bank_accounts,aliases
C1,Verbund Handel GmbH,DE12500105170648489890,
C2,Other Trading BV,NL91ABNA0417164300,
";
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("open_items.csv"), ITEMS).unwrap();
    std::fs::write(d.join("customers.csv"), CUSTOMERS).unwrap();
    let bank = |name: &str, date: &str, amount: &str, text: &str, reference: &str| {
        let path = d.join(name);
        std::fs::write(
            &path,
            format!(
                "{HEADER}DE89370400440532013000,{date},{date},{amount},EUR,VERBUND HANDEL,DE12500105170648489890,{text},{reference}\n"
            ),
        )
        .unwrap();
        path
    };
    let run = |bank: &Path, out: &Path| {
        let mut c = run_cmd(d, &[bank.to_path_buf()], out);
        c.args(["--as-of", "2026-04-10"]);
        c
    };
    // Run 1: the payment quotes a form nobody knows: an exception.
    let first = d.join("first");
    run_ok(&mut run(
        &bank("day1.csv", "2026-04-01", "100.00", "Zahlung VR19846", "BR1"),
        &first,
    ));
    assert!(
        applications(&first).is_empty(),
        "{:?}",
        applications(&first)
    );
    let x = read_parquet(&first.join("exceptions.parquet"));
    let txn = text(&x, "transaction_id");
    assert_eq!(txn.len(), 1);

    // The clerk's decision, fed back with the same bank file: MANUAL, and
    // the style is learned into the state.
    let decisions = d.join("decisions.csv");
    std::fs::write(
        &decisions,
        format!(
            "transaction_id,invoice_id,amount,action,reason,decided_by\n{},INV-2026-019846,,apply,their VR number is our invoice,j.martin\n",
            txn[0]
        ),
    )
    .unwrap();
    let decided = d.join("decided");
    run_ok(
        run(&d.join("day1.csv"), &decided)
            .arg("--decisions")
            .arg(&decisions),
    );
    let apps = applications(&decided);
    assert_eq!(apps.len(), 1, "{apps:?}");
    assert_eq!(
        (apps[0].1.as_str(), apps[0].2.as_str()),
        ("INV-2026-019846", "MANUAL")
    );
    let state = decided.join("state");
    let show = || {
        let o = run_ok(
            cashmatch()
                .args(["state", "show", "--json", "--state"])
                .arg(&state),
        );
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let facts = show();
    let style = facts
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "reference_style")
        .unwrap_or_else(|| panic!("a reference style fact: {facts}"))
        .clone();
    assert_eq!(style["subject"], "VR{core}");
    assert_eq!(style["customer_id"], "C1");
    assert_eq!(style["status"], "active");

    // Run 2 with the state: the next payment quotes INV-2026-019847 in
    // the learned style (the open items as the ERP now has them).
    std::fs::write(
        d.join("open_items.csv"),
        ITEMS.replace(
            "INV-2026-019846,C1,Verbund Handel GmbH,EUR,100.00,100.00,2026-03-01,2026-03-31\n",
            "",
        ),
    )
    .unwrap();
    let day2 = bank("day2.csv", "2026-04-02", "100.00", "Zahlung VR19847", "BR2");
    let second = d.join("second");
    run_ok(run(&day2, &second).arg("--state").arg(&state));
    let apps = applications(&second);
    assert_eq!(apps.len(), 1, "{apps:?}");
    assert_eq!(apps[0].1, "INV-2026-019847");
    assert_eq!(apps[0].2, "LEARNED_REFERENCE");
    assert!(apps[0].3.contains("VR{core}"), "{}", apps[0].3);
    assert!(apps[0].3.contains("j.martin"), "{}", apps[0].3);
    run_ok(cashmatch().arg("verify").arg(&second));

    // Forgotten, the style is no longer used.
    let id = style["id"].as_str().unwrap();
    run_ok(
        cashmatch()
            .args(["state", "forget", id, "--state"])
            .arg(&state),
    );
    assert!(show()
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["kind"] != "reference_style"));
    // The next payment, quoting INV-2026-019848 in that style, is not
    // applied by it (a customer pass may still find it by amount).
    let day3 = bank("day3.csv", "2026-04-03", "250.00", "Zahlung VR19848", "BR3");
    let third = d.join("third");
    run_ok(run(&day3, &third).arg("--state").arg(&state));
    assert!(
        applications(&third)
            .iter()
            .all(|a| a.2 != "LEARNED_REFERENCE"),
        "{:?}",
        applications(&third)
    );
}
