//! The generator's contract: exact headers, determinism, money conservation
//! between bank lines, truth and open items, and the shape of each scenario.
//!
//! Every generated dataset goes through one `check` helper, so the property
//! test and the fixed-size tests assert the same invariants.

use cashmatch_datasets::{
    demo, generate, read_truth, GeneratorConfig, Profile, Scenario, ScenarioWeights, TruthLine,
    BANK_HEADER, CUSTOMERS_HEADER, CUSTOMERS_HEADER_WITH_PARENT, OPEN_ITEMS_HEADER, TRUTH_HEADER,
};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "cashmatch-datasets-{label}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Splits one CSV record (RFC 4180 quotes, no embedded line breaks).
fn split(record: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// Rows of a CSV file as header-keyed maps, after checking the header.
fn rows(path: &Path, header: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "header of {}", path.display());
    let names = split(header);
    lines
        .map(|line| {
            let fields = split(line);
            assert_eq!(fields.len(), names.len(), "field count in {line:?}");
            names.iter().cloned().zip(fields).collect()
        })
        .collect()
}

fn money(text: &str) -> Decimal {
    let (_, cents) = text
        .split_once('.')
        .unwrap_or_else(|| panic!("amount {text:?} has no decimal point"));
    assert_eq!(
        cents.len(),
        2,
        "amount {text:?} must have exactly 2 decimals"
    );
    Decimal::from_str(text).unwrap()
}

struct OpenItem {
    customer_id: String,
    amount_open: Decimal,
    discount_percent: Option<Decimal>,
}

/// Everything `check` learned, for scenario-specific assertions.
struct Checked {
    truth: Vec<TruthLine>,
    lines_per_scenario: BTreeMap<Scenario, u64>,
}

/// Asserts the invariants every generated dataset must satisfy.
fn check(dir: &Path, config: &GeneratorConfig) -> Checked {
    let customers_header = if config.profile == Profile::Other {
        CUSTOMERS_HEADER_WITH_PARENT
    } else {
        CUSTOMERS_HEADER
    };
    let customers = rows(&dir.join("customers.csv"), customers_header);
    // A parent is another customer of the master (profile `other`).
    for c in &customers {
        if let Some(parent) = c.get("parent_id").filter(|p| !p.is_empty()) {
            assert_ne!(parent, &c["customer_id"]);
            assert!(
                customers.iter().any(|o| &o["customer_id"] == parent),
                "{parent}"
            );
        }
    }
    let open_items = rows(&dir.join("open_items.csv"), OPEN_ITEMS_HEADER);
    let bank = rows(&dir.join("bank.csv"), BANK_HEADER);
    let truth_text = std::fs::read_to_string(dir.join("truth.csv")).unwrap();
    assert_eq!(truth_text.lines().next(), Some(TRUTH_HEADER));
    let truth = read_truth(&dir.join("truth.csv")).unwrap();
    assert_eq!(customers.len(), config.customers as usize);
    // Profile `other` adds its credit notes (negative open items) after the invoices.
    let credit_notes = open_items
        .iter()
        .filter(|r| money(&r["amount_open"]) < Decimal::ZERO)
        .count();
    assert!(config.profile == Profile::Other || credit_notes == 0);
    assert_eq!(open_items.len(), config.invoices as usize + credit_notes);
    assert_eq!(bank.len(), config.payments as usize);

    // Customers: unique ids, names and accounts.
    let mut master_accounts = HashSet::new();
    let mut names = HashSet::new();
    let mut customer_ids = HashSet::new();
    for c in &customers {
        assert!(customer_ids.insert(c["customer_id"].clone()));
        assert!(
            names.insert(c["name"].clone()),
            "duplicate name {}",
            c["name"]
        );
        for account in c["bank_accounts"].split(';').filter(|a| !a.is_empty()) {
            assert!(account.len() >= 15 && account[..2].chars().all(|c| c.is_ascii_uppercase()));
            assert!(
                master_accounts.insert(account.to_string()),
                "shared account {account}"
            );
        }
    }

    // Open items.
    let mut items: HashMap<String, OpenItem> = HashMap::new();
    for row in &open_items {
        let amount_open = money(&row["amount_open"]);
        let amount_original = money(&row["amount_original"]);
        if amount_open < Decimal::ZERO {
            assert_eq!(
                amount_open, amount_original,
                "a credit note is open in full"
            );
        } else {
            assert!(amount_open > Decimal::ZERO && amount_open <= amount_original);
        }
        assert!(customer_ids.contains(&row["customer_id"]));
        assert!(row["invoice_date"] <= row["due_date"]);
        assert!(row["invoice_date"].as_str() <= config.as_of.to_string().as_str());
        let discount_percent =
            (!row["discount_percent"].is_empty()).then(|| money(&row["discount_percent"]));
        assert_eq!(discount_percent.is_some(), !row["discount_days"].is_empty());
        let id = row["invoice_id"].clone();
        if config.profile != Profile::Other {
            assert!(
                id.starts_with("INV-20") && id.len() >= "INV-2026-000001".len(),
                "{id}"
            );
        }
        let previous = items.insert(
            id,
            OpenItem {
                customer_id: row["customer_id"].clone(),
                amount_open,
                discount_percent,
            },
        );
        assert!(previous.is_none(), "duplicate invoice id");
    }

    // Bank lines: unique references, credits, dates inside the period.
    let mut bank_by_reference = HashMap::new();
    for row in &bank {
        let amount = money(&row["amount"]);
        assert!(amount > Decimal::ZERO);
        assert!(row["booking_date"].as_str() <= config.as_of.to_string().as_str());
        assert!(row["bank_reference"].starts_with("BR"));
        assert!(
            bank_by_reference
                .insert(row["bank_reference"].clone(), row)
                .is_none(),
            "duplicate bank reference"
        );
    }

    // Truth: every line known, every invoice exists, money conserved.
    let mut per_payment: BTreeMap<&str, Vec<&TruthLine>> = BTreeMap::new();
    let mut settled_per_invoice: HashMap<&str, Decimal> = HashMap::new();
    for t in &truth {
        assert!(
            bank_by_reference.contains_key(&t.bank_reference),
            "{} not in bank.csv",
            t.bank_reference
        );
        per_payment.entry(&t.bank_reference).or_default().push(t);
        if t.pays_nothing() {
            assert!(
                t.applied_amount.is_zero()
                    && t.discount_amount.is_zero()
                    && t.writeoff_amount.is_zero()
            );
            continue;
        }
        assert!(
            items.contains_key(&t.invoice_id),
            "truth names missing invoice {}",
            t.invoice_id
        );
        if items[&t.invoice_id].amount_open < Decimal::ZERO {
            // A credit note is consumed whole, as a negative application.
            assert_eq!(t.applied_amount, items[&t.invoice_id].amount_open);
            continue;
        }
        assert!(t.applied_amount > Decimal::ZERO);
        *settled_per_invoice.entry(&t.invoice_id).or_default() +=
            t.applied_amount + t.discount_amount + t.writeoff_amount;
    }
    assert_eq!(per_payment.len(), bank.len(), "every bank line has truth");
    for (invoice, settled) in &settled_per_invoice {
        let open = items[*invoice].amount_open;
        assert!(
            *settled <= open,
            "{invoice}: settled {settled} > open {open}"
        );
    }
    let mut lines_per_scenario = BTreeMap::new();
    for (reference, lines) in &per_payment {
        let row = bank_by_reference[*reference];
        let amount = money(&row["amount"]);
        let scenario = lines[0].scenario;
        assert!(
            lines.iter().all(|l| l.scenario == scenario),
            "{reference}: mixed scenarios"
        );
        *lines_per_scenario.entry(scenario).or_insert(0) += 1;
        let applied: Decimal = lines.iter().map(|l| l.applied_amount).sum();
        assert!(
            applied <= amount,
            "{reference}: applies {applied} of {amount}"
        );
        if lines.iter().any(|l| l.pays_nothing()) {
            assert_eq!(lines.len(), 1, "{reference}: pays-nothing row is not alone");
        }
        if config.profile == Profile::Other {
            // Other numbering and languages: the text checks below are the
            // default profile's; money and truth are checked above.
            if scenario == Scenario::CreditNoteNetted
                || scenario == Scenario::PaymentProvider
                || scenario == Scenario::ParentPays
            {
                check_scenario(scenario, lines, row, amount, &items, &master_accounts);
            }
            continue;
        }
        check_scenario(scenario, lines, row, amount, &items, &master_accounts);
    }
    // Customer-level story: a whole-balance payment settles every open item.
    for lines in per_payment
        .values()
        .filter(|l| l[0].scenario == Scenario::WholeBalance)
    {
        let customer = &items[&lines[0].invoice_id].customer_id;
        let of_customer = items
            .values()
            .filter(|i| &i.customer_id == customer)
            .count();
        assert_eq!(lines.len(), of_customer, "whole_balance leaves items open");
    }
    Checked {
        truth,
        lines_per_scenario,
    }
}

/// Assertions that only hold for one scenario.
fn check_scenario(
    scenario: Scenario,
    lines: &[&TruthLine],
    row: &HashMap<String, String>,
    amount: Decimal,
    items: &HashMap<String, OpenItem>,
    master_accounts: &HashSet<String>,
) {
    let remittance = &row["remittance_info"];
    let first = lines[0];
    let open = || items[&first.invoice_id].amount_open;
    let no_adjustments = lines
        .iter()
        .all(|l| l.discount_amount.is_zero() && l.writeoff_amount.is_zero());
    match scenario {
        Scenario::ExactReference => {
            assert!(remittance.contains(&first.invoice_id), "{remittance}");
            assert_eq!(amount, open());
            assert!(no_adjustments);
        }
        Scenario::MultiReference => {
            assert!((2..=5).contains(&lines.len()));
            assert_eq!(
                amount,
                lines
                    .iter()
                    .map(|l| items[&l.invoice_id].amount_open)
                    .sum::<Decimal>()
            );
        }
        Scenario::NoisyReference => {
            // As a whole token: a doubled last digit leaves the canonical
            // number as a prefix of a longer, different one.
            let mut tokens = remittance.split(|c: char| c.is_whitespace() || c == ',');
            assert!(
                tokens.all(|t| t != first.invoice_id),
                "{remittance} is not noisy"
            );
            assert_eq!(amount, open());
        }
        Scenario::NoReferenceSingle | Scenario::NameOnly => {
            assert!(!remittance.contains("INV"), "{remittance}");
            assert_eq!(amount, open());
            if scenario == Scenario::NameOnly {
                assert!(!master_accounts.contains(&row["counterparty_account"]));
                assert!(row["counterparty_name"].chars().count() <= 35);
            }
        }
        Scenario::NoReferenceMulti | Scenario::WholeBalance => {
            assert!(!remittance.contains("INV"), "{remittance}");
            assert!(lines.len() >= 2);
            let customer = &items[&first.invoice_id].customer_id;
            assert!(lines
                .iter()
                .all(|l| &items[&l.invoice_id].customer_id == customer));
        }
        Scenario::RoundAmountAmbiguous => {
            assert_eq!(amount, open());
            assert_eq!(amount, amount.trunc(), "{amount} is not round");
            let twins = items.values().filter(|i| i.amount_open == amount).count();
            assert!(twins >= 2, "round amount {amount} is not ambiguous");
        }
        Scenario::UnknownPayment | Scenario::DuplicatePayment | Scenario::WrongCurrency
            if first.pays_nothing() =>
        {
            if scenario == Scenario::UnknownPayment {
                assert!(!master_accounts.contains(&row["counterparty_account"]));
            }
        }
        Scenario::CreditNoteNetted => {
            // The invoice in full, the credit note consumed negative: cash
            // + credit = invoice.
            assert_eq!(lines.len(), 2);
            let credit = lines[1];
            assert!(credit.applied_amount < Decimal::ZERO);
            assert_eq!(items[&credit.invoice_id].amount_open, credit.applied_amount);
            assert_eq!(first.applied_amount, open());
            assert_eq!(amount, open() + credit.applied_amount);
            assert_eq!(
                items[&credit.invoice_id].customer_id,
                items[&first.invoice_id].customer_id
            );
        }
        Scenario::PaymentProvider | Scenario::ParentPays => {
            assert_eq!(amount, open());
            assert!(!remittance.is_empty());
        }
        Scenario::UnknownPayment => panic!("unknown payment pays an invoice"),
        Scenario::WrongCurrency => panic!("wrong-currency payment pays an invoice"),
        Scenario::DuplicatePayment => assert_eq!(amount, open()),
        Scenario::Overpayment => {
            assert!(amount > first.applied_amount);
            assert_eq!(first.applied_amount, open());
        }
        Scenario::Discount => {
            let percent = items[&first.invoice_id]
                .discount_percent
                .expect("discount terms");
            let cash = (open() * (Decimal::ONE - percent / Decimal::from(100)))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
            assert_eq!(first.applied_amount, cash);
            assert_eq!(first.discount_amount, open() - cash);
            assert!(first.discount_amount > Decimal::ZERO);
        }
        Scenario::ShortPay => {
            assert!(remittance.contains(&first.invoice_id));
            assert!(first.applied_amount < open());
            assert!(no_adjustments);
        }
        Scenario::Instalment => {
            assert!(remittance.contains(&first.invoice_id));
            assert!(first.applied_amount < open());
        }
        Scenario::BatchManyToMany => {
            for l in lines {
                assert!(remittance.contains(&l.invoice_id));
            }
        }
        Scenario::WriteoffSmall => {
            assert!(first.writeoff_amount > Decimal::ZERO);
            assert_eq!(first.applied_amount + first.writeoff_amount, open());
            assert!(
                first.writeoff_amount * Decimal::from(200) < open(),
                "write-off over 0.5 %"
            );
        }
    }
}

fn config(customers: u32, invoices: u32, payments: u32, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        customers,
        invoices,
        payments,
        seed,
        ..GeneratorConfig::default()
    }
}

#[test]
fn same_config_gives_byte_identical_files() {
    let (a, b) = (TempDir::new("det-a"), TempDir::new("det-b"));
    let cfg = config(80, 600, 400, 7);
    assert_eq!(generate(&cfg, &a.0).unwrap(), generate(&cfg, &b.0).unwrap());
    for name in ["customers.csv", "open_items.csv", "bank.csv", "truth.csv"] {
        let (x, y) = (
            std::fs::read(a.0.join(name)).unwrap(),
            std::fs::read(b.0.join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between two runs");
    }
    let other = TempDir::new("det-c");
    generate(&config(80, 600, 400, 8), &other.0).unwrap();
    assert_ne!(
        std::fs::read(a.0.join("bank.csv")).unwrap(),
        std::fs::read(other.0.join("bank.csv")).unwrap(),
        "the seed has no effect"
    );
}

#[test]
fn no_temporary_files_are_left_behind() {
    let dir = TempDir::new("tmp");
    generate(&config(10, 50, 30, 1), &dir.0).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["bank.csv", "customers.csv", "open_items.csv", "truth.csv"]
    );
}

#[test]
fn every_scenario_appears_in_2000_payments_and_truth_is_consistent() {
    let dir = TempDir::new("all");
    let cfg = config(300, 4_000, 2_000, 42);
    let summary = generate(&cfg, &dir.0).unwrap();
    let checked = check(&dir.0, &cfg);
    assert_eq!(summary.truth_lines as usize, checked.truth.len());
    for scenario in Scenario::ALL {
        let lines = checked
            .lines_per_scenario
            .get(&scenario)
            .copied()
            .unwrap_or(0);
        // The profile scenarios are drawn only by profile `other`.
        assert_eq!(
            lines > 0,
            cfg.scenario_weights.get(scenario) > 0,
            "{scenario}"
        );
        assert_eq!(summary.payments_by_scenario[&scenario], lines, "{scenario}");
    }
    assert!(
        summary.events_downgraded < 20,
        "{} downgrades",
        summary.events_downgraded
    );
}

#[test]
fn one_scenario_alone_is_generated_as_asked() {
    for scenario in Scenario::ALL {
        let dir = TempDir::new("one");
        let profile_only = Profile::Default.scenario_weights().get(scenario) == 0;
        let cfg = GeneratorConfig {
            scenario_weights: ScenarioWeights::none().with(scenario, 1),
            profile: if profile_only {
                Profile::Other
            } else {
                Profile::Default
            },
            ..config(200, 1_000, 60, 3)
        };
        let summary = generate(&cfg, &dir.0).unwrap();
        check(&dir.0, &cfg);
        // A multi-line event may not fit into the last line and fall back.
        assert!(summary.events_downgraded <= 1, "{scenario}: {summary:?}");
        assert!(
            summary.payments_by_scenario[&scenario] >= 58,
            "{scenario}: {summary:?}"
        );
    }
}

#[test]
fn profile_other_keeps_the_invariants_and_tells_its_stories() {
    let dir = TempDir::new("other");
    let cfg = GeneratorConfig {
        profile: Profile::Other,
        scenario_weights: Profile::Other.scenario_weights(),
        ..config(300, 4_000, 2_000, 42)
    };
    let summary = generate(&cfg, &dir.0).unwrap();
    let checked = check(&dir.0, &cfg);
    for s in [
        Scenario::CreditNoteNetted,
        Scenario::PaymentProvider,
        Scenario::ParentPays,
    ] {
        assert!(
            checked.lines_per_scenario.get(&s).copied().unwrap_or(0) > 0,
            "{s}"
        );
    }
    assert!(
        summary.events_downgraded < 60,
        "{}",
        summary.events_downgraded
    );
    let open_items = std::fs::read_to_string(dir.0.join("open_items.csv")).unwrap();
    let bank = std::fs::read_to_string(dir.0.join("bank.csv")).unwrap();
    // All four numbering schemes, and the forms the issue names.
    for scheme in ["\nSI00", "\n90", "\n26/", "\nINV-20"] {
        assert!(open_items.contains(scheme), "{scheme}");
    }
    for word in ["Rechnung", "Factuur", "Fattura", "N° client", "Kd-Nr."] {
        assert!(bank.contains(word), "{word}");
    }
    // Full-width digits, credit note phrases and a payment provider.
    assert!(
        bank.contains('\u{FF10}') || bank.chars().any(|c| ('\u{FF10}'..='\u{FF19}').contains(&c))
    );
    assert!(
        bank.contains("abzgl. Gutschrift")
            || bank.contains("less credit note")
            || bank.contains("moins avoir")
    );
    assert!(bank.contains("STRIPE") || bank.contains("ADYEN") || bank.contains("MOLLIE"));
}

#[test]
fn profile_texttags_writes_bai2_and_mt940_without_a_bank_csv() {
    let dir = TempDir::new("tags");
    let cfg = GeneratorConfig {
        profile: Profile::TextTags,
        ..config(100, 1_000, 300, 9)
    };
    generate(&cfg, &dir.0).unwrap();
    assert!(!dir.0.join("bank.csv").exists());
    let bai2 = std::fs::read_to_string(dir.0.join("bank.bai2")).unwrap();
    let mt940 = std::fs::read_to_string(dir.0.join("bank.mt940")).unwrap();
    assert!(bai2.starts_with("01,") && bai2.contains("ORIG CO NAME:") && bai2.contains("B/O: "));
    assert!(mt940.starts_with(":20:") && mt940.contains("?32") && mt940.contains("/CNTP/"));
    // Every bank reference of the truth is in one of the two files.
    let truth = read_truth(&dir.0.join("truth.csv")).unwrap();
    for t in &truth {
        assert!(
            bai2.contains(&t.bank_reference) || mt940.contains(&t.bank_reference),
            "{}",
            t.bank_reference
        );
    }
}

#[test]
fn running_out_of_invoices_degrades_to_unknown_payments() {
    let dir = TempDir::new("dry");
    let cfg = config(5, 10, 50, 5);
    let summary = generate(&cfg, &dir.0).unwrap();
    check(&dir.0, &cfg);
    assert!(summary.events_downgraded > 0);
    assert!(summary.payments_by_scenario[&Scenario::UnknownPayment] >= 35);
}

#[test]
fn empty_ledger_and_bad_configs() {
    let dir = TempDir::new("empty");
    let cfg = config(0, 0, 0, 1);
    generate(&cfg, &dir.0).unwrap();
    check(&dir.0, &cfg);
    let err = generate(&config(0, 10, 10, 1), &dir.0).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("`invoices`"), "{err}");
    let no_weights = GeneratorConfig {
        scenario_weights: ScenarioWeights::none(),
        ..config(10, 10, 10, 1)
    };
    assert!(generate(&no_weights, &dir.0).is_err());
}

#[test]
fn demo_set_is_what_the_generator_produces() {
    // If this fails after an intended change, regenerate with
    // `cargo run -p cashmatch-datasets --example generate` and commit.
    let dir = TempDir::new("demo");
    let cfg = demo::config();
    generate(&cfg, &dir.0).unwrap();
    check(&dir.0, &cfg);
    for (name, embedded) in [
        ("open_items.csv", demo::OPEN_ITEMS),
        ("customers.csv", demo::CUSTOMERS),
        ("bank.csv", demo::BANK_CSV),
        ("truth.csv", demo::TRUTH),
    ] {
        let fresh = std::fs::read_to_string(dir.0.join(name)).unwrap();
        assert!(fresh == embedded, "demo/{name} is stale: regenerate it");
    }
    assert_eq!(cfg.as_of.to_string(), demo::AS_OF);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_small_config_keeps_the_invariants(
        seed in any::<u64>(),
        customers in 1u32..40,
        invoices in 1u32..400,
        payments in 0u32..200,
        foreign in 0u32..=100,
    ) {
        let dir = TempDir::new("prop");
        let cfg = GeneratorConfig {
            foreign_currency_percent: foreign,
            ..config(customers, invoices, payments, seed)
        };
        let summary = generate(&cfg, &dir.0).unwrap();
        let checked = check(&dir.0, &cfg);
        prop_assert_eq!(summary.truth_lines as usize, checked.truth.len());
    }
}
