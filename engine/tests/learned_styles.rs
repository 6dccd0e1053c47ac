//! A customer's reference style, learned from a clerk's decision (issue 9,
//! "remember what the decisions teach ... a customer's reference style"),
//! through the public boundary: the decision of run 1 teaches the style
//! (`learned::taught`), and run 2 applies a later payment quoting another
//! invoice in that style with rule `LEARNED_REFERENCE`, only among the
//! customer's own open items.

// Amounts are written in cents as `units_cents` (100_00 is 100.00).
#![allow(clippy::inconsistent_digit_grouping)]

use cashmatch_engine::config::Rules;
use cashmatch_engine::learned::{taught, Fact, FactKind, LearnedIndex, ReferenceStyle};
use cashmatch_engine::model::*;
use cashmatch_engine::passes::manual::{plan, Decision, DecisionAction};
use cashmatch_engine::{apply_cash_with, RunExtras, RunResult};

#[path = "common/records.rs"]
mod records;
use records::{customer, day, item, txn};

const C1_IBAN: &str = "DE12500105170648489890";
const C2_IBAN: &str = "NL91ABNA0417164300";

fn from(mut t: BankTransaction, iban: &str) -> BankTransaction {
    t.counterparty_account = iban.into();
    t
}

fn batch(transactions: Vec<BankTransaction>, items: Vec<OpenItem>) -> Batch {
    let mut b = Batch {
        transactions: transactions.into(),
        open_items: items.into(),
        customers: vec![
            customer("C1", "Verbund Handel GmbH", C1_IBAN),
            customer("C2", "Other Trading BV", C2_IBAN),
        ]
        .into(),
        as_of: day(31),
    };
    cashmatch_engine::identity::assign_store_ids(&mut b.transactions);
    b
}

/// Two equal open items of C1, one of C2 with the same digits.
fn items() -> Vec<OpenItem> {
    vec![
        item("INV-2026-019846", "C1", 100_00),
        item("INV-2026-019847", "C1", 100_00),
        item("INV-2026-019848", "C1", 250_00),
        item("SO-019847", "C2", 100_00),
    ]
}

fn run(b: Batch, learned: Option<&LearnedIndex>) -> RunResult {
    let extras = RunExtras {
        learned,
        ..RunExtras::default()
    };
    apply_cash_with(b, &Rules::default(), &extras, &mut ()).expect("invariants hold")
}

/// (invoice, rule, explanation) of every application.
fn applied(r: &RunResult) -> Vec<(String, Rule, String)> {
    let mut text = String::new();
    r.outcome
        .applications
        .iter()
        .map(|a| {
            text.clear();
            a.explanation.render_into(&r.batch.open_items, &mut text);
            (
                r.batch
                    .open_items
                    .get(a.item as usize)
                    .invoice_id()
                    .to_string(),
                a.rule,
                text.clone(),
            )
        })
        .collect()
}

/// The style run 1's decision teaches: the clerk applies C1's payment
/// quoting `VR19846` (the customer's own prefix before the number's core)
/// to INV-2026-019846.
fn taught_facts() -> Vec<Fact> {
    let b = batch(
        vec![from(txn("B1", 100_00, "Zahlung VR19846"), C1_IBAN)],
        items(),
    );
    let id = b.transactions.get(0).transaction_id().to_string();
    let decisions = [Decision {
        line: 2,
        transaction_id: id,
        invoice_id: "INV-2026-019846".into(),
        customer_id: String::new(),
        amount: None,
        action: DecisionAction::Apply,
        reason: "their VR number is our invoice".into(),
        decided_by: "j.martin".into(),
    }];
    let p = plan(&b, &decisions).expect("the decision fits the data");
    taught(&b, &p)
}

#[test]
fn run_one_leaves_the_payment_as_an_exception_and_the_decision_teaches_the_style() {
    let b = batch(
        vec![from(txn("B1", 100_00, "Zahlung VR19846"), C1_IBAN)],
        items(),
    );
    let r = run(b, None);
    assert!(applied(&r).is_empty(), "{:?}", applied(&r));
    assert_eq!(r.outcome.exceptions.len(), 1);

    let facts = taught_facts();
    let styles: Vec<&Fact> = facts
        .iter()
        .filter(|f| f.kind == FactKind::ReferenceStyle)
        .collect();
    assert_eq!(styles.len(), 1, "{facts:?}");
    assert_eq!(styles[0].subject, "VR{core}");
    assert_eq!(styles[0].customer_id, "C1");
    assert!(
        styles[0]
            .evidence
            .contains("quoted `VR19846` for invoice INV-2026-019846"),
        "{}",
        styles[0].evidence
    );
    assert!(styles[0].evidence.contains("j.martin"));
}

#[test]
fn run_two_applies_another_invoice_quoted_in_the_learned_style() {
    let facts = taught_facts();
    let index = LearnedIndex::build(&facts);
    let b = batch(
        vec![from(txn("B2", 100_00, "Zahlung VR19847"), C1_IBAN)],
        items(),
    );
    let r = run(b.clone(), Some(&index));
    let apps = applied(&r);
    assert_eq!(apps.len(), 1, "{apps:?}");
    assert_eq!(apps[0].0, "INV-2026-019847");
    assert_eq!(apps[0].1, Rule::LearnedReference);
    assert_eq!(apps[0].1.as_str(), "LEARNED_REFERENCE");
    assert!(apps[0].2.contains("style `VR{core}`"), "{}", apps[0].2);
    assert!(apps[0].2.contains("j.martin"), "{}", apps[0].2);
    let conf = r.outcome.applications[0].confidence;
    assert!(conf > 0.9 && conf < 1.0, "{conf}");
    // Without the learned style the same payment stays an exception.
    assert!(applied(&run(b, None)).is_empty());
}

#[test]
fn a_style_never_reaches_another_customers_items() {
    let index = LearnedIndex::build(&taught_facts());
    // C2 pays quoting `VR19847`: C2 learned no style, and C1's style does
    // not apply to C2's payment nor to C2's `SO-019847`.
    let b = batch(
        vec![from(txn("B3", 100_00, "Zahlung VR19847"), C2_IBAN)],
        items(),
    );
    let r = run(b, Some(&index));
    assert!(
        applied(&r)
            .iter()
            .all(|(_, rule, _)| *rule != Rule::LearnedReference),
        "{:?}",
        applied(&r)
    );
}

#[test]
fn the_amount_must_confirm_and_an_unknown_payer_gets_nothing() {
    let index = LearnedIndex::build(&taught_facts());
    // The amount is not the open amount of INV-2026-019847.
    let b = batch(
        vec![from(txn("B4", 90_00, "Zahlung VR19847"), C1_IBAN)],
        items(),
    );
    assert!(applied(&run(b, Some(&index)))
        .iter()
        .all(|(_, rule, _)| *rule != Rule::LearnedReference));
    // Nobody knows the payer: the style of which customer?
    let b = batch(
        vec![from(
            txn("B5", 100_00, "Zahlung VR19847"),
            "FR7630006000011234567890189",
        )],
        items(),
    );
    assert!(applied(&run(b, Some(&index)))
        .iter()
        .all(|(_, rule, _)| *rule != Rule::LearnedReference));
}

#[test]
fn a_form_that_fits_two_of_the_customers_items_names_none() {
    // Learned: the last four digits. `9846` fits INV-2026-019846 and
    // INV-2025-029846 alike (neither has it as its core).
    let facts = [Fact {
        kind: FactKind::ReferenceStyle,
        subject: "{last4}".into(),
        customer_id: "C1".into(),
        evidence: "test".into(),
    }];
    let index = LearnedIndex::build(&facts);
    let mut its = items();
    its.push(item("INV-2025-029846", "C1", 100_00));
    let b = batch(vec![from(txn("B6", 100_00, "Ref 9846"), C1_IBAN)], its);
    assert!(applied(&run(b, Some(&index)))
        .iter()
        .all(|(_, rule, _)| *rule != Rule::LearnedReference));
}

#[test]
fn styles_read_write_and_fit() {
    for (token, invoice, code) in [
        ("VR19846", "INV-2026-019846", "VR{core}"),
        ("2026019846", "INV-2026-019846", "{digits}"),
        ("9846", "INV-2026-019846", "{last4}"),
        ("0030146", "SI0030146", "{digits}"),
    ] {
        let s = ReferenceStyle::of(token, invoice).unwrap_or_else(|| panic!("{token}"));
        assert_eq!(s.code(), code, "{token}");
        assert_eq!(ReferenceStyle::parse(code), Some(s.clone()));
        assert_eq!(s.render(invoice).as_deref(), Some(token));
    }
    // The number as written, too few digits, other digits: no style.
    assert_eq!(ReferenceStyle::of("INV2026019846", "INV-2026-019846"), None);
    assert_eq!(ReferenceStyle::of("846", "INV-2026-019846"), None);
    assert_eq!(ReferenceStyle::of("19847", "INV-2026-019846"), None);
    assert_eq!(ReferenceStyle::parse("{last2}"), None);
    assert_eq!(ReferenceStyle::parse("vr{core}"), None);
}
