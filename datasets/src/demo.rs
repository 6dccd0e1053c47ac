//! The bundled demo set: 150 customers, 1,000 open items and 600 bank lines
//! generated with seed 42 as of 2026-03-31 (see `demo/README.md`).
//!
//! Embedded so that examples, documentation tests and the CLI's demo mode
//! work without files on disk. A test regenerates the set and compares it
//! byte for byte, so the files cannot drift from the generator silently.

use crate::GeneratorConfig;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// `open_items.csv` of the demo set.
pub const OPEN_ITEMS: &str = include_str!("../demo/open_items.csv");
/// `customers.csv` of the demo set.
pub const CUSTOMERS: &str = include_str!("../demo/customers.csv");
/// `bank.csv` of the demo set (the canonical bank CSV).
pub const BANK_CSV: &str = include_str!("../demo/bank.csv");
/// `truth.csv` of the demo set.
pub const TRUTH: &str = include_str!("../demo/truth.csv");
/// The as-of date the demo set was generated for.
pub const AS_OF: &str = "2026-03-31";

/// Customers in the demo set.
pub const CUSTOMER_COUNT: u32 = 150;
/// Open items in the demo set.
pub const INVOICE_COUNT: u32 = 1_000;
/// Bank lines in the demo set.
pub const PAYMENT_COUNT: u32 = 600;
/// Seed of the demo set.
pub const SEED: u64 = 42;

/// The configuration that produces the demo set.
pub fn config() -> GeneratorConfig {
    GeneratorConfig {
        customers: CUSTOMER_COUNT,
        invoices: INVOICE_COUNT,
        payments: PAYMENT_COUNT,
        seed: SEED,
        as_of: NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("AS_OF is a valid date"),
        ..GeneratorConfig::default()
    }
}

/// The first booking day of the demo's bank statements: history mode
/// writes only items cleared before it.
pub const STATEMENTS_FROM: &str = "2026-03-02";

/// Months of history the demo carries.
pub const HISTORY_MONTHS: u32 = 14;

/// The demo's history (`invoices.csv`, `cleared_items.csv`): history mode
/// on the demo's open items, seed [`SEED`], from its own PRNG stream so the
/// other demo files are unchanged.
pub fn history() -> crate::history::HistoryFiles {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid date");
    crate::history::generate(
        OPEN_ITEMS,
        &crate::history::HistoryConfig {
            seed: SEED,
            as_of: day(AS_OF),
            months: HISTORY_MONTHS,
            cleared_before: day(STATEMENTS_FROM),
        },
    )
}

/// The first day of the demo's follow-up month.
pub const FOLLOW_UP_FROM: &str = "2026-04-01";
/// The as-of date of the demo's follow-up run.
pub const FOLLOW_UP_AS_OF: &str = "2026-04-30";

/// The demo's next month (`inputs/next/`): the disputes of its short
/// payments resolved by a payment or a credit note, for the dispute
/// register across runs.
pub fn follow_up() -> crate::history::FollowUp {
    crate::history::follow_up(
        OPEN_ITEMS,
        CUSTOMERS,
        BANK_CSV,
        TRUTH,
        NaiveDate::parse_from_str(FOLLOW_UP_FROM, "%Y-%m-%d").expect("valid date"),
    )
}

/// The demo's foreign-currency payment (issue 11, part 2): a second bank
/// file (`inputs/bank_fx.csv`, one USD receipt for the demo's first EUR
/// invoice that no demo payment pays) and the rates that convert it
/// (`inputs/rates.csv`). Separate files, so the demo's `bank.csv` keeps its
/// bytes. See [`crate::fx::demo_payment`].
pub fn fx_payment() -> crate::fx::DemoFx {
    crate::fx::demo_payment(BANK_CSV, OPEN_ITEMS, TRUTH)
}

/// The demo's remittance advice (`inputs/remittance.820`): an X12 820 for
/// the first bank line paying several invoices by reference, linked by its
/// bank reference as trace number (see [`crate::advices::demo_advice`]).
pub fn remittance_820() -> String {
    crate::advices::demo_advice(BANK_CSV, TRUTH).unwrap_or_default()
}

/// The demo's returned payment (`inputs/returns.csv`, issue 11): the
/// bank takes back, the same night, the first receipt that paid one
/// invoice by its exact reference (`RETURN R01 ORIG <its reference>`, ACH
/// R01 insufficient funds), so `cashmatch demo` reverses its application
/// (`RETURN_REVERSAL`, the invoice open again, `returns.parquet`). A bank
/// file of its own: the demo's `bank.csv` keeps its bytes.
pub fn returned_payment() -> String {
    let mut out = format!("{}\n", crate::BANK_HEADER);
    let mut fields = Vec::new();
    let mut truth: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut lines = TRUTH.lines();
    lines.next();
    for line in lines {
        crate::truth::split_record(line, &mut fields);
        if fields.len() >= 4 {
            truth
                .entry(fields[0].clone())
                .or_default()
                .push((fields[2].clone(), fields[3].clone()));
        }
    }
    for record in BANK_CSV.lines().skip(1) {
        crate::truth::split_record(record, &mut fields);
        if fields.len() != 9 || fields[3].starts_with('-') {
            continue;
        }
        let Some([(applied, scenario)]) = truth.get(&fields[8]).map(Vec::as_slice) else {
            continue;
        };
        if scenario != "exact_reference" || *applied != fields[3] {
            continue;
        }
        let quote = |f: &str| {
            if f.contains([',', '"']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        };
        out.push_str(&format!(
            "{},{},{},-{},{},{},{},RETURN R01 ORIG {},RT{}\n",
            fields[0],
            fields[1],
            fields[1],
            fields[3],
            fields[4],
            quote(&fields[5]),
            quote(&fields[6]),
            fields[8],
            fields[8]
        ));
        break;
    }
    out
}
