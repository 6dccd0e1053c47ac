//! Legal entities (issue 11, part 4): matching stays within the company of
//! the receiving account, whichever pass finds the invoice; intercompany
//! application, when allowed, posts the due-from/due-to pair and every
//! journal balances per company and currency; control sums and aging are
//! per company.

#[path = "common/records.rs"]
mod records;

use cashmatch_engine::config::{CompanyConfig, IntercompanyConfig, Rules};
use cashmatch_engine::model::*;
use cashmatch_engine::{apply_cash, RunResult};
use records::{customer, day, eur, item, txn};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const OURS: &str = "0100";
const THEIRS: &str = "0200";

/// The receiving accounts: `DE00BANK` (the records' account) belongs to
/// company 0100, `DE99BANK` to 0200.
fn rules(intercompany: bool) -> Rules {
    Rules {
        company: CompanyConfig {
            default_code: OURS.into(),
            accounts: [
                ("DE00BANK".to_string(), OURS.to_string()),
                ("DE99BANK".to_string(), THEIRS.to_string()),
            ]
            .into(),
        },
        intercompany: IntercompanyConfig {
            allow: intercompany,
            ..Default::default()
        },
        ..Rules::default()
    }
}

/// One scenario per pass: the receipts and the open items that the pass
/// (and only it) matches, all items of customer C1 (account DE11PAYER).
struct Case {
    pass: &'static str,
    rule: Rule,
    txns: Vec<BankTransaction>,
    items: Vec<OpenItem>,
}

fn payer(mut t: BankTransaction) -> BankTransaction {
    t.counterparty_name = "Acme Trading GmbH".into();
    t.counterparty_account = "DE11PAYER".into();
    t
}

fn cases() -> Vec<Case> {
    let c1 = |id: &str, cents: i64| item(id, "C1", cents);
    vec![
        Case {
            pass: "exact_reference",
            rule: Rule::ExactReference,
            txns: vec![payer(txn("R1", 123_456, "Invoice INV-2026-004711"))],
            items: vec![c1("INV-2026-004711", 123_456)],
        },
        Case {
            pass: "fuzzy_reference",
            rule: Rule::FuzzyReference,
            txns: vec![payer(txn("R1", 123_456, "Invoice INV-2026-004717"))],
            items: vec![c1("INV-2026-004711", 123_456)],
        },
        Case {
            pass: "customer_amount",
            rule: Rule::CustomerSingleAmount,
            txns: vec![payer(txn("R1", 98_765, "payment"))],
            items: vec![c1("INV-2026-000001", 98_765), c1("INV-2026-000002", 11_111)],
        },
        Case {
            pass: "subset_sum",
            rule: Rule::CustomerSubsetSum,
            txns: vec![payer(txn("R1", 50_000 + 27_300, "payment"))],
            items: vec![
                c1("INV-2026-000001", 50_000),
                c1("INV-2026-000002", 27_300),
                c1("INV-2026-000003", 91_919),
            ],
        },
        Case {
            pass: "differences",
            rule: Rule::ReferenceWithDifference,
            txns: vec![{
                let mut t = payer(txn(
                    "R1",
                    98_000,
                    "Invoice INV-2026-004711 less 2% discount",
                ));
                t.value_date = Some(day(5));
                t.booking_date = Some(day(5));
                t
            }],
            items: vec![{
                let mut i = c1("INV-2026-004711", 100_000);
                i.discount_percent = Some(Decimal::new(2, 0));
                i.discount_days = Some(10);
                i
            }],
        },
        Case {
            pass: "instalment",
            rule: Rule::Instalment,
            txns: vec![
                payer(txn("R1", 40_000, "Invoice INV-2026-004711 1st instalment")),
                payer(txn("R2", 30_000, "Invoice INV-2026-004711 2nd instalment")),
            ],
            items: vec![c1("INV-2026-004711", 100_000)],
        },
    ]
}

fn run(case: &Case, item_company: &str, intercompany: bool) -> RunResult {
    let batch = Batch {
        transactions: case.txns.clone().into(),
        open_items: case
            .items
            .iter()
            .cloned()
            .map(|mut i| {
                i.company_code = item_company.into();
                i
            })
            .collect::<Vec<_>>()
            .into(),
        customers: vec![customer("C1", "Acme Trading GmbH", "DE11PAYER")].into(),
        as_of: day(31),
    };
    apply_cash(batch, &rules(intercompany), &mut ()).expect("invariants hold")
}

fn rules_of(r: &RunResult) -> Vec<Rule> {
    r.outcome.applications.iter().map(|a| a.rule).collect()
}

/// Every pass obeys the company filter: each case matches with its rule
/// when the invoices are the receiving company's, applies nothing when they
/// are another company's, and applies again when `[intercompany]` allows.
#[test]
fn no_pass_applies_across_companies() {
    for case in cases() {
        let same = run(&case, OURS, false);
        assert!(
            rules_of(&same).contains(&case.rule),
            "{}: the case matches within one company with {:?} (got {:?}, exceptions {:?})",
            case.pass,
            case.rule,
            rules_of(&same),
            same.outcome
                .exceptions
                .iter()
                .map(|e| e.reason)
                .collect::<Vec<_>>()
        );
        let other = run(&case, THEIRS, false);
        assert!(
            other.outcome.applications.is_empty(),
            "{}: nothing applied across companies, got {:?}",
            case.pass,
            rules_of(&other)
        );
        assert_eq!(
            other.outcome.exceptions.len(),
            case.txns.len(),
            "{}",
            case.pass
        );
        let allowed = run(&case, THEIRS, true);
        assert!(
            rules_of(&allowed).contains(&case.rule),
            "{}: intercompany allowed, the same rule applies (got {:?})",
            case.pass,
            rules_of(&allowed)
        );
        assert_balanced_per_company(&allowed);
    }
}

/// A receipt whose only evidence is another company's invoice number goes
/// to exceptions as OTHER_COMPANY_INVOICE, with that invoice suggested.
#[test]
fn a_quoted_invoice_of_another_company_is_an_exception_with_a_suggestion() {
    let case = &cases()[0];
    let r = run(case, THEIRS, false);
    let e = &r.outcome.exceptions[0];
    assert_eq!(e.reason, ReasonCode::OtherCompanyInvoice);
    assert!(
        e.detail_text().contains("company 0200"),
        "{}",
        e.detail_text()
    );
    assert_eq!(e.suggestions[0].invoice_id, "INV-2026-004711");
    // Not matched by amount to a same-company invoice of the same amount:
    // the payer named an invoice.
    let mut with_decoy = cases().remove(0);
    with_decoy.items.push(OpenItem {
        company_code: OURS.into(),
        ..item("INV-2026-000999", "C1", 123_456)
    });
    let batch = Batch {
        transactions: with_decoy.txns.clone().into(),
        open_items: with_decoy
            .items
            .iter()
            .cloned()
            .map(|mut i| {
                if i.company_code.is_empty() {
                    i.company_code = THEIRS.into();
                }
                i
            })
            .collect::<Vec<_>>()
            .into(),
        customers: vec![customer("C1", "Acme Trading GmbH", "DE11PAYER")].into(),
        as_of: day(31),
    };
    let r = apply_cash(batch, &rules(false), &mut ()).unwrap();
    assert!(r.outcome.applications.is_empty(), "{:?}", rules_of(&r));
    assert_eq!(
        r.outcome.exceptions[0].reason,
        ReasonCode::OtherCompanyInvoice
    );
}

fn assert_balanced_per_company(r: &RunResult) {
    let mut net: BTreeMap<(u32, String, &str), Decimal> = BTreeMap::new();
    for p in &r.outcome.postings {
        *net.entry((
            p.txn,
            p.currency(&r.batch).to_string(),
            p.company_code(&r.outcome),
        ))
        .or_default() += p.debit - p.credit;
    }
    for (k, n) in net {
        assert!(
            n.is_zero(),
            "journal {k:?} does not balance per company: {n}"
        );
    }
}

/// Intercompany: the cash is booked in the receiving company, the
/// receivable cleared in the invoice's, and the pair (due from the
/// receiving company in the invoice's books, due to the invoice's company
/// in the receiving books) makes each company's part balance.
#[test]
fn intercompany_journal_balances_per_company_and_currency() {
    let case = &cases()[0];
    let r = run(case, THEIRS, true);
    assert_eq!(r.outcome.applications.len(), 1);
    assert_balanced_per_company(&r);
    let lines: Vec<(&str, &str, Decimal, Decimal)> = r
        .outcome
        .postings
        .iter()
        .map(|p| {
            (
                p.company_code(&r.outcome),
                p.gl_account(&r.outcome),
                p.debit,
                p.credit,
            )
        })
        .collect();
    let amount = eur(123_456);
    assert!(
        lines.contains(&(OURS, "1000", amount, Decimal::ZERO)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(THEIRS, "1200", Decimal::ZERO, amount)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(THEIRS, "1290", amount, Decimal::ZERO)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(OURS, "2290", Decimal::ZERO, amount)),
        "{lines:?}"
    );
    // Allowed pairs restrict the direction.
    let mut only_back = rules(true);
    only_back.intercompany.pairs = vec![(THEIRS.into(), OURS.into())];
    let batch = run(case, THEIRS, false).batch;
    let r = apply_cash(batch, &only_back, &mut ()).unwrap();
    assert!(
        r.outcome.applications.is_empty(),
        "0100 -> 0200 is not an allowed pair"
    );
}

/// Control sums and aging are per company and currency; the manifest's
/// list of companies is every code the run met.
#[test]
fn control_sums_and_aging_are_per_company() {
    let mut theirs = txn("R2", 7_000, "Invoice INV-2026-000002");
    theirs.account = "DE99BANK".into();
    let batch = Batch {
        transactions: vec![txn("R1", 10_000, "Invoice INV-2026-000001"), theirs].into(),
        open_items: vec![
            OpenItem {
                company_code: OURS.into(),
                ..item("INV-2026-000001", "C1", 10_000)
            },
            OpenItem {
                company_code: THEIRS.into(),
                ..item("INV-2026-000002", "C1", 7_000)
            },
            // No code: the default company.
            item("INV-2026-000003", "C1", 3_000),
            OpenItem {
                company_code: THEIRS.into(),
                ..item("INV-2026-000004", "C1", 2_000)
            },
        ]
        .into(),
        customers: Default::default(),
        as_of: day(31),
    };
    let r = apply_cash(batch, &rules(false), &mut ()).unwrap();
    let sums: Vec<(&str, &str, Decimal, Decimal)> = r
        .outcome
        .control_sums
        .iter()
        .map(|c| {
            (
                c.company_code.as_str(),
                c.currency.as_str(),
                c.received,
                c.applied,
            )
        })
        .collect();
    assert_eq!(
        sums,
        vec![
            (OURS, "EUR", eur(10_000), eur(10_000)),
            (THEIRS, "EUR", eur(7_000), eur(7_000)),
        ]
    );
    assert_eq!(r.outcome.companies.codes(), [OURS, THEIRS]);
    let aging: Vec<(&str, Decimal)> = r
        .outcome
        .aging
        .iter()
        .map(|a| (r.outcome.companies.item_code(a.item), a.amount))
        .collect();
    assert_eq!(aging, vec![(OURS, eur(3_000)), (THEIRS, eur(2_000))]);
}
