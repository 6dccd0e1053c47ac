//! Dunning, letters and disputes on a hand-made run (as of 2026-03-31,
//! default levels: 1 at 1 day, 2 at 15 days with a 5.00 fee, 3 at 30 days
//! with a 10.00 fee and 8 % interest; minimum 10.00; grace 5 days).

mod common;
use cashmatch_analytics::config::{AnalyticsConfig, DunningConfig};
use cashmatch_analytics::dunning::{self, interest, letter_file_name, DunningItem, DunningOutcome};
use cashmatch_analytics::model::RunData;
use cashmatch_analytics::{disputes, letters, Extras};
use common::*;

fn fixture() -> RunData {
    let mut r = run("2026-03-31");
    let mut held = item("C1", "CUST-C", "2025-12-01", "2026-01-01", "700");
    held.status = "held".into();
    held.hold_reason = Some("DUPLICATE_INVOICE_ID".into());
    let mut deducted = item("E1", "CUST-E", "2026-01-15", "2026-02-15", "0");
    deducted.status = "cleared_with_deduction".into();
    r.open_items = vec![
        // 30 days past due, 25 after grace: level 2.
        item("A1", "CUST-A", "2026-01-30", "2026-03-01", "1000"),
        // 58 days past due, 53 after grace: level 3.
        item("A2", "CUST-A", "2026-01-02", "2026-02-01", "500"),
        // 21 days past due, level 2 by days, but 5.00 < minimum 10.00.
        item("B1", "CUST-B", "2026-02-08", "2026-03-10", "5"),
        held,
        item("D1", "CUST-D", "2025-12-01", "2026-01-01", "300"),
        deducted,
        // 3 days past due: inside the grace days, not listed.
        item("F1", "CUST-F", "2026-02-26", "2026-03-28", "400"),
        // Paid: not listed.
        item("G1", "CUST-G", "2025-10-01", "2025-11-01", "0"),
    ];
    r.transactions = vec![receipt("T9", "120", Some("2026-03-20"), "2026-03-21")];
    let mut short = applied("T9", "E1", "CUST-E", "120");
    short.deduction_amount = d("80");
    short.deduction_reason = Some("DAMAGED_GOODS".into());
    r.applications = vec![short];
    r
}

fn config() -> DunningConfig {
    DunningConfig {
        blocked_customers: vec!["CUST-D".into()],
        ..DunningConfig::default()
    }
}

fn outcome() -> DunningOutcome {
    let data = fixture();
    dunning::compute(&data, &disputes::compute(&data), &config())
}

fn row<'a>(o: &'a DunningOutcome, invoice: &str) -> &'a DunningItem {
    o.items
        .iter()
        .find(|i| i.invoice_id == invoice)
        .unwrap_or_else(|| panic!("no row for {invoice}"))
}

#[test]
fn levels_follow_days_after_grace_and_the_customer_minimum() {
    let o = outcome();
    let ids: Vec<&str> = o.items.iter().map(|i| i.invoice_id.as_str()).collect();
    assert_eq!(
        ids,
        ["A1", "A2", "B1", "C1", "D1", "E1"],
        "F1 is in grace, G1 paid"
    );
    let a1 = row(&o, "A1");
    assert_eq!(
        (a1.level_by_days, a1.level, a1.status),
        (Some(2), Some(2), "dunned")
    );
    // Reaches level 3 at due + 5 grace + 30 days.
    assert_eq!(a1.next_level_on, Some(day("2026-04-05")));
    let a2 = row(&o, "A2");
    assert_eq!(
        (a2.level_by_days, a2.level, a2.interest_days),
        (Some(3), Some(3), 53)
    );
    assert_eq!(a2.next_level_on, None, "no level above 3");
    let b1 = row(&o, "B1");
    assert_eq!(
        (b1.level_by_days, b1.level, b1.status),
        (Some(2), None, "below_minimum")
    );
    assert_eq!(b1.letter, None);
}

#[test]
fn held_disputed_and_blocked_items_are_excluded_with_the_reason() {
    let o = outcome();
    let reason = |id: &str| {
        let r = row(&o, id);
        assert_eq!(
            (r.status, r.level, r.interest_amount),
            ("excluded", None, d("0"))
        );
        r.exclusion_reason.clone().unwrap()
    };
    assert_eq!(reason("C1"), "HELD_ITEM: DUPLICATE_INVOICE_ID");
    assert_eq!(reason("D1"), "DUNNING_BLOCK");
    assert_eq!(reason("E1"), "IN_DISPUTE: DAMAGED_GOODS T9/E1");
    // The disputed amount, not the (zero) open amount.
    assert_eq!(row(&o, "E1").amount_overdue, d("80"));
}

/// A2: 500.00 × 8 % × 53 / 365 = 5.808219… → 5.81; A1 is dunned at level
/// 2 (no interest). Letter at level 3: 1,500.00 + 5.81 + fee 10.00 = 1,515.81.
#[test]
fn interest_and_fee_on_the_letter() {
    let o = outcome();
    assert_eq!(row(&o, "A2").interest_amount, d("5.81"));
    assert_eq!(row(&o, "A1").interest_amount, d("0"));
    assert_eq!(o.letters.len(), 1);
    let l = &o.letters[0];
    assert_eq!((l.customer_id.as_str(), l.level, l.items), ("CUST-A", 3, 2));
    assert_eq!(
        (l.amount_overdue, l.interest, l.fee, l.total_due),
        (d("1500"), d("5.81"), d("10.00"), d("1515.81"))
    );
    assert_eq!(row(&o, "A1").letter.as_deref(), Some(l.file_name.as_str()));
    // A1 reaches level 3 on 2026-04-05; A2 is at the top level.
    assert_eq!(l.next_level_on, Some(day("2026-04-05")));
}

#[test]
fn interest_rounds_half_even_to_the_minor_unit() {
    // 912.50 × 1 % × 1 / 365 = 0.025 → 0.02 (even); 1,277.50 → 0.035 → 0.04.
    assert_eq!(interest(d("912.50"), d("1"), 1, "EUR"), d("0.02"));
    assert_eq!(interest(d("1277.50"), d("1"), 1, "EUR"), d("0.04"));
    // JPY has no minor unit: 36,500 × 5 % × 3 / 365 = 15.
    assert_eq!(interest(d("36500"), d("5"), 3, "JPY"), d("15"));
    assert_eq!(interest(d("1000"), d("8"), 0, "EUR"), d("0"));
}

#[test]
fn letter_file_names_come_from_code_not_input() {
    let n = letter_file_name("../../etc/passwd", "EUR", 2);
    assert!(
        n.starts_with("L2-etcpasswd-EUR-") && n.ends_with(".txt"),
        "{n}"
    );
    assert!(!n.contains('/'));
    assert_ne!(
        letter_file_name("A/B", "EUR", 1),
        letter_file_name("AB", "EUR", 1),
        "ids that reduce alike stay apart"
    );
}

#[test]
fn letters_render_the_default_and_a_custom_template() {
    let data = fixture();
    let o = outcome();
    let text = letters::render(
        &o.letters[0],
        &o.items,
        data.as_of,
        letters::DEFAULT_TEMPLATE,
    )
    .unwrap();
    assert!(text.contains("Final notice (level 3)"), "{text}");
    assert!(
        text.contains("A1") && text.contains("A2") && !text.contains("B1"),
        "{text}"
    );
    assert!(text.contains("Total:    EUR 1,515.81"), "{text}");
    assert!(text.contains("interest 5.81"), "{text}");
    let custom = "{{ customer_id }} owes {{ currency }} {{ total_due }} at level {{ level }} ({{ items | length }} items)";
    assert_eq!(
        letters::render(&o.letters[0], &o.items, data.as_of, custom).unwrap(),
        "CUST-A owes EUR 1,515.81 at level 3 (2 items)"
    );
    let e = letters::render(&o.letters[0], &o.items, data.as_of, "{{ amount_due }}").unwrap_err();
    assert!(
        e.to_string().contains(&o.letters[0].file_name) && e.to_string().contains("undefined"),
        "{e}"
    );
}

#[test]
fn disputes_are_the_deductions_of_the_run() {
    let d0 = disputes::compute(&fixture());
    assert_eq!(d0.len(), 1);
    let x = &d0[0];
    assert_eq!(
        (x.reason_code.as_str(), x.amount, x.status),
        ("DAMAGED_GOODS", d("80"), "open")
    );
    // Opened on the value date 2026-03-20: 11 days before as-of.
    assert_eq!(
        (x.opened_on, x.age_days),
        (Some(day("2026-03-20")), Some(11))
    );
    assert_eq!(x.customer_name, "Customer CUST-E");
}

#[test]
fn a_config_level_with_a_template_file_is_used_by_build() {
    let config = AnalyticsConfig {
        dunning: config(),
        ..AnalyticsConfig::default()
    };
    let templates = vec![(3, "L3 {{ customer_id }}".to_string())];
    let extras = Extras {
        run_id: "R1",
        templates: &templates,
        ..Extras::default()
    };
    let report = cashmatch_analytics::build(&fixture(), &extras, &config).unwrap();
    assert_eq!(report.letters.len(), 1);
    assert_eq!(report.letters[0].1, "L3 CUST-A");
    assert!(report.html.contains("CUST-A"));
}
