//! Discrepancy and fraud signals (`signals.parquet`): things a person should
//! look at, each with a code, a severity, the evidence in words and the ids
//! it concerns. Every signal is computed from the files (the run, the
//! customer master its manifest names, `--invoices`, `--cleared-items` and
//! the AR history); a check whose input is missing writes one row with
//! severity `not_checked` and the reason instead of staying silent.
//!
//! | code | what | needs |
//! |---|---|---|
//! | `PAYER_MULTIPLE_CUSTOMERS` | one payer account paid invoices of two or more customers the master does not link to it | counterparty accounts |
//! | `PAYER_ACCOUNT_CHANGED` | a customer paid from an account that is neither in its master record nor among the accounts it paid from before: `high` when it paid from other accounts before (changed), `low` when only the master knows it (new) | counterparty accounts; master or history |
//! | `UNKNOWN_ACCOUNT_PAYMENT` | unapplied money from an account no customer is known by (master, history, this run) | counterparty accounts; master or history |
//! | `REMITTANCE_UNKNOWN_INVOICE` | a remittance names a number shaped like the ERP's invoice numbers that the ERP does not know | remittance text |
//! | `DUPLICATE_INVOICE` | two invoices of one customer, currency and amount with near-identical numbers ([`near_identical`]) or dates | open items (+ `--invoices`, history) |
//! | `DISCOUNT_AFTER_DISCOUNT_DATE` | a cash discount granted on a payment after invoice date + discount days | discount terms |
//! | `OVERPAYMENT_REFUND_OTHER_ACCOUNT` | unapplied money refunded (outgoing, the same amount or a partial refund of at least `refund_partial_min_percent` of it) to another account within `refund_days` | counterparty accounts |
//! | `UNAPPLIED_CASH_GROWING` | unapplied cash grew strictly over the last `unapplied_growth_runs` runs | AR history |

use crate::config::SignalsConfig;
use crate::history::PastRun;
use crate::model::{ClearedItem, Invoice, RunData, RunDetails};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The codes, in the order rows are written.
pub const CODES: [&str; 8] = [
    "PAYER_MULTIPLE_CUSTOMERS",
    "PAYER_ACCOUNT_CHANGED",
    "UNKNOWN_ACCOUNT_PAYMENT",
    "REMITTANCE_UNKNOWN_INVOICE",
    "DUPLICATE_INVOICE",
    "DISCOUNT_AFTER_DISCOUNT_DATE",
    "OVERPAYMENT_REFUND_OTHER_ACCOUNT",
    "UNAPPLIED_CASH_GROWING",
];

/// Severity of a check that could not run.
pub const NOT_CHECKED: &str = "not_checked";

/// One row of `signals.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// One of [`CODES`].
    pub code: &'static str,
    /// `high`, `medium`, `low` or `not_checked`.
    pub severity: &'static str,
    /// Customer concerned, when one is.
    pub customer_id: Option<String>,
    /// ISO 4217 code, when an amount is.
    pub currency: Option<String>,
    /// Transaction(s) concerned, `;`-separated.
    pub transaction_id: Option<String>,
    /// Invoice(s) concerned, `;`-separated.
    pub invoice_id: Option<String>,
    /// The amount at stake.
    pub amount: Option<Decimal>,
    /// What was seen, in words; for `not_checked` the missing input.
    pub evidence: String,
}

impl Signal {
    fn new(code: &'static str, severity: &'static str, evidence: String) -> Self {
        Signal {
            code,
            severity,
            customer_id: None,
            currency: None,
            transaction_id: None,
            invoice_id: None,
            amount: None,
            evidence,
        }
    }
}

/// Everything the signals read.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The run.
    pub data: &'a RunData,
    /// Counterparty, remittance, discount terms, customer master.
    pub details: Option<&'a RunDetails>,
    /// Earlier runs, oldest first.
    pub history: &'a [PastRun],
    /// `--invoices`.
    pub invoices: Option<&'a [Invoice]>,
    /// `--cleared-items`.
    pub cleared: Option<&'a [ClearedItem]>,
    /// Thresholds.
    pub config: &'a SignalsConfig,
}

const NO_ACCOUNTS: &str = "needs the counterparty accounts of transactions.parquet";

/// Computes every check; rows sorted by code (in [`CODES`] order), then
/// severity, customer, transaction, invoice.
pub fn compute(inputs: &Inputs<'_>) -> Vec<Signal> {
    let mut out = Vec::new();
    payer_checks(inputs, &mut out);
    remittance_unknown_invoice(inputs, &mut out);
    duplicate_invoices(inputs, &mut out);
    discount_after_date(inputs, &mut out);
    refund_to_other_account(inputs, &mut out);
    unapplied_growing(inputs, &mut out);
    let order = |c: &str| CODES.iter().position(|x| *x == c).unwrap_or(CODES.len());
    out.sort_by(|a, b| {
        (
            order(a.code),
            a.severity,
            &a.customer_id,
            &a.transaction_id,
            &a.invoice_id,
        )
            .cmp(&(
                order(b.code),
                b.severity,
                &b.customer_id,
                &b.transaction_id,
                &b.invoice_id,
            ))
    });
    out
}

fn accounts_of<'a>(inputs: &Inputs<'a>) -> Option<HashMap<&'a str, &'a str>> {
    inputs
        .details
        .and_then(|d| d.transactions.as_ref())
        .map(|t| {
            t.iter()
                .map(|t| (t.transaction_id.as_str(), t.counterparty_account.as_str()))
                .collect()
        })
}

/// Account comparison ignores spaces and case (IBANs are printed in groups).
fn norm_account(a: &str) -> String {
    a.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn payer_checks(inputs: &Inputs<'_>, out: &mut Vec<Signal>) {
    let codes = [
        "PAYER_MULTIPLE_CUSTOMERS",
        "PAYER_ACCOUNT_CHANGED",
        "UNKNOWN_ACCOUNT_PAYMENT",
    ];
    let Some(accounts) = accounts_of(inputs) else {
        for c in codes {
            out.push(Signal::new(c, NOT_CHECKED, NO_ACCOUNTS.into()));
        }
        return;
    };
    let data = inputs.data;
    let master: Option<HashMap<String, BTreeSet<String>>> =
        inputs.details.and_then(|d| d.customers.as_ref()).map(|c| {
            c.iter()
                .map(|c| {
                    (
                        c.customer_id.clone(),
                        c.bank_accounts.iter().map(|a| norm_account(a)).collect(),
                    )
                })
                .collect()
        });
    let master_accounts: HashSet<String> = master
        .iter()
        .flat_map(|m| m.values().flatten().cloned())
        .collect();
    // Earlier payers: account → customers, customer → accounts.
    let mut hist_customers: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut hist_accounts: HashMap<String, BTreeSet<String>> = HashMap::new();
    for run in inputs.history {
        for e in run.of("payer") {
            let a = norm_account(&e.code);
            *hist_customers
                .entry(a.clone())
                .or_default()
                .entry(e.customer_id.clone())
                .or_default() += 1;
            hist_accounts
                .entry(e.customer_id.clone())
                .or_default()
                .insert(a);
        }
    }
    // This run's payers: (transaction, customer) with applied cash.
    let mut run_pairs: BTreeMap<(&str, &str), (&str, Decimal)> = BTreeMap::new();
    for a in data
        .applications
        .iter()
        .filter(|a| a.applied_amount > Decimal::ZERO)
    {
        let e = run_pairs
            .entry((a.transaction_id.as_str(), a.customer_id.as_str()))
            .or_insert((a.currency.as_str(), Decimal::ZERO));
        e.1 += a.applied_amount;
    }
    let mut all_customers = hist_customers.clone();
    let mut run_txns: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (txn, customer) in run_pairs.keys() {
        let a = norm_account(accounts.get(txn).copied().unwrap_or_default());
        if a.is_empty() {
            continue;
        }
        *all_customers
            .entry(a.clone())
            .or_default()
            .entry((*customer).to_string())
            .or_default() += 1;
        run_txns.entry(a).or_default().push(*txn);
    }

    // PAYER_MULTIPLE_CUSTOMERS: only accounts that paid in this run.
    for (account, txns) in &run_txns {
        let customers = &all_customers[account];
        if customers.len() < 2 {
            continue;
        }
        let linked = master.as_ref().is_some_and(|m| {
            customers
                .keys()
                .all(|c| m.get(c).is_some_and(|acc| acc.contains(account)))
        });
        if linked {
            continue;
        }
        let list: Vec<String> = customers
            .iter()
            .map(|(c, n)| format!("{c} ({n} payment(s))"))
            .collect();
        let mut txns = txns.clone();
        txns.sort_unstable();
        txns.dedup();
        out.push(Signal {
            customer_id: Some(customers.keys().cloned().collect::<Vec<_>>().join(";")),
            transaction_id: Some(txns.join(";")),
            ..Signal::new(
                "PAYER_MULTIPLE_CUSTOMERS",
                "medium",
                format!(
                    "account {account} paid invoices of {} customers: {}{}",
                    customers.len(),
                    list.join(", "),
                    if master.is_some() {
                        "; the customer master does not list the account for all of them"
                    } else {
                        "; no customer master to tell related customers apart"
                    }
                ),
            )
        });
    }

    // PAYER_ACCOUNT_CHANGED.
    if master.is_none() && inputs.history.is_empty() {
        out.push(Signal::new(
            "PAYER_ACCOUNT_CHANGED",
            NOT_CHECKED,
            "needs the customer master (named in the run's manifest) or the AR history of earlier runs".into(),
        ));
    } else {
        // One row per customer, currency and new account.
        let mut changed: BTreeMap<(&str, &str, String), (Vec<&str>, Decimal)> = BTreeMap::new();
        for ((txn, customer), (currency, amount)) in &run_pairs {
            let a = norm_account(accounts.get(txn).copied().unwrap_or_default());
            if a.is_empty() {
                continue;
            }
            let e = changed.entry((*customer, *currency, a)).or_default();
            e.0.push(*txn);
            e.1 += *amount;
        }
        for ((customer, currency, a), (txns, amount)) in changed {
            let mut known: BTreeSet<String> = BTreeSet::new();
            if let Some(m) = master.as_ref().and_then(|m| m.get(customer)) {
                known.extend(m.iter().cloned());
            }
            let paid_before = hist_accounts.get(customer);
            if let Some(h) = paid_before {
                known.extend(h.iter().cloned());
            }
            if known.is_empty() || known.contains(&a) {
                continue;
            }
            let (severity, what) = if paid_before.is_some() {
                ("high", "changed: it paid from other accounts before")
            } else {
                ("low", "new: not in its master record")
            };
            out.push(Signal {
                customer_id: Some(customer.to_string()),
                currency: Some(currency.to_string()),
                transaction_id: Some(txns.join(";")),
                amount: Some(amount),
                ..Signal::new(
                    "PAYER_ACCOUNT_CHANGED",
                    severity,
                    format!(
                        "customer {customer} paid {amount} {currency} in {} payment(s) from {a}, {what} (known: {})",
                        txns.len(),
                        known.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            });
        }
    }

    // UNKNOWN_ACCOUNT_PAYMENT: unapplied receipts from unknown accounts.
    if master.is_none() && inputs.history.is_empty() {
        out.push(Signal::new(
            "UNKNOWN_ACCOUNT_PAYMENT",
            NOT_CHECKED,
            "needs the customer master (named in the run's manifest) or the AR history of earlier runs".into(),
        ));
        return;
    }
    let mut unapplied: BTreeMap<&str, (Decimal, &str)> = BTreeMap::new();
    for e in data.exceptions.iter().filter(|e| e.amount > Decimal::ZERO) {
        let x = unapplied
            .entry(e.transaction_id.as_str())
            .or_insert((Decimal::ZERO, e.currency.as_str()));
        x.0 += e.amount;
    }
    for (txn, (amount, currency)) in unapplied {
        let a = norm_account(accounts.get(txn).copied().unwrap_or_default());
        if a.is_empty() || master_accounts.contains(&a) || all_customers.contains_key(&a) {
            continue;
        }
        out.push(Signal {
            currency: Some(currency.to_string()),
            transaction_id: Some(txn.to_string()),
            amount: Some(amount),
            ..Signal::new(
                "UNKNOWN_ACCOUNT_PAYMENT",
                "medium",
                format!(
                    "{amount} {currency} unapplied from account {a}, which no customer is known by (customer master, earlier payments, this run)"
                ),
            )
        });
    }
}

/// The character classes of an invoice number: digits → `9`, letters →
/// `A`, the rest kept (`INV-2026-000123` → `AAA-9999-999999`).
pub fn shape(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_alphabetic() {
                'A'
            } else {
                c
            }
        })
        .collect()
}

fn remittance_unknown_invoice(inputs: &Inputs<'_>, out: &mut Vec<Signal>) {
    let code = "REMITTANCE_UNKNOWN_INVOICE";
    let Some(details) = inputs.details.and_then(|d| d.transactions.as_ref()) else {
        out.push(Signal::new(
            code,
            NOT_CHECKED,
            "needs the remittance text of transactions.parquet".into(),
        ));
        return;
    };
    let mut known: HashSet<String> = HashSet::new();
    known.extend(
        inputs
            .data
            .open_items
            .iter()
            .map(|i| i.invoice_id.to_uppercase()),
    );
    for i in inputs.invoices.unwrap_or_default() {
        known.insert(i.invoice_id.to_uppercase());
    }
    for c in inputs.cleared.unwrap_or_default() {
        known.insert(c.invoice_id.to_uppercase());
    }
    for run in inputs.history {
        for e in run.events.iter().filter(|e| !e.invoice_id.is_empty()) {
            known.insert(e.invoice_id.to_uppercase());
        }
    }
    let shapes: HashSet<String> = known
        .iter()
        .filter(|k| k.chars().any(|c| c.is_ascii_digit()))
        .map(|k| shape(k))
        .collect();
    let receipts: HashMap<&str, &crate::model::Transaction> = inputs
        .data
        .transactions
        .iter()
        .filter(|t| t.is_receipt())
        .map(|t| (t.transaction_id.as_str(), t))
        .collect();
    for t in details {
        let Some(receipt) = receipts.get(t.transaction_id.as_str()) else {
            continue;
        };
        let mut named: BTreeSet<String> = BTreeSet::new();
        let text = std::iter::once(t.remittance_info.as_str())
            .chain(t.structured_refs.iter().map(String::as_str));
        for part in text {
            for token in
                part.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '/' || c == '_'))
            {
                let token = token.trim_matches(|c: char| c == '-' || c == '/' || c == '_');
                let upper = token.to_uppercase();
                if token.is_empty() || known.contains(&upper) || !shapes.contains(&shape(&upper)) {
                    continue;
                }
                named.insert(upper);
            }
        }
        if named.is_empty() {
            continue;
        }
        let list: Vec<String> = named.into_iter().collect();
        out.push(Signal {
            currency: Some(receipt.currency.clone()),
            transaction_id: Some(t.transaction_id.clone()),
            invoice_id: Some(list.join(";")),
            amount: Some(receipt.amount),
            ..Signal::new(
                code,
                "medium",
                format!(
                    "remittance of {} {} names {} shaped like the ERP's invoice numbers but unknown to it (open items, --invoices, --cleared-items, history)",
                    receipt.amount,
                    receipt.currency,
                    list.join(", ")
                ),
            )
        });
    }
}

/// An invoice number reduced for comparison: letters upper-cased, digits
/// kept, everything else dropped, leading zeros of each digit run dropped
/// (`inv 0012` and `INV-12` reduce alike).
fn reduce(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut in_digits = false;
    for c in id.chars().filter(|c| c.is_alphanumeric()) {
        if c.is_ascii_digit() {
            if c == '0' && !in_digits {
                continue;
            }
            in_digits = true;
            out.push(c);
        } else {
            in_digits = false;
            out.extend(c.to_uppercase());
        }
    }
    out
}

/// Whether two invoice numbers are near-identical: the same once reduced
/// (case, separators, leading zeros), or the same but for two neighbouring
/// characters swapped (a typing slip). A single changed digit is not: ERP
/// numbers are sequential, so neighbours differ by one digit every day.
pub fn near_identical(a: &str, b: &str) -> bool {
    let (a, b) = (reduce(a), reduce(b));
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    differ.len() == 2
        && differ[1] == differ[0] + 1
        && a[differ[0]] == b[differ[1]]
        && a[differ[1]] == b[differ[0]]
}

struct Candidate {
    id: String,
    customer: String,
    currency: String,
    amount: Decimal,
    date: Option<NaiveDate>,
    current: bool,
}

fn duplicate_invoices(inputs: &Inputs<'_>, out: &mut Vec<Signal>) {
    let mut seen: HashSet<String> = HashSet::new();
    let mut all: Vec<Candidate> = Vec::new();
    for i in &inputs.data.open_items {
        if i.amount_original > Decimal::ZERO && seen.insert(i.invoice_id.clone()) {
            all.push(Candidate {
                id: i.invoice_id.clone(),
                customer: i.customer_id.clone(),
                currency: i.currency.clone(),
                amount: i.amount_original,
                date: i.invoice_date,
                current: true,
            });
        }
    }
    for i in inputs.invoices.unwrap_or_default() {
        if i.amount > Decimal::ZERO && seen.insert(i.invoice_id.clone()) {
            all.push(Candidate {
                id: i.invoice_id.clone(),
                customer: i.customer_id.clone(),
                currency: i.currency.clone(),
                amount: i.amount,
                date: Some(i.invoice_date),
                current: true,
            });
        }
    }
    for run in inputs.history {
        for e in run.of("invoice") {
            if let Some(a) = e.amount.filter(|a| *a > Decimal::ZERO) {
                if seen.insert(e.invoice_id.clone()) {
                    all.push(Candidate {
                        id: e.invoice_id.clone(),
                        customer: e.customer_id.clone(),
                        currency: e.currency.clone(),
                        amount: a,
                        date: e.invoice_date,
                        current: false,
                    });
                }
            }
        }
    }
    let mut groups: BTreeMap<(&str, &str, Decimal), Vec<&Candidate>> = BTreeMap::new();
    for c in &all {
        groups
            .entry((
                c.customer.as_str(),
                c.currency.as_str(),
                c.amount.normalize(),
            ))
            .or_default()
            .push(c);
    }
    let days = i64::from(inputs.config.duplicate_invoice_days);
    for ((customer, currency, amount), mut list) in groups {
        if list.len() < 2 {
            continue;
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if !(a.current || b.current) {
                    continue;
                }
                let close_dates = match (a.date, b.date) {
                    (Some(x), Some(y)) => (x - y).num_days().abs() <= days,
                    _ => false,
                };
                let close_numbers = near_identical(&a.id, &b.id);
                if !(close_dates || close_numbers) {
                    continue;
                }
                let why = match (close_numbers, close_dates) {
                    (true, true) => "near-identical numbers and dates".to_string(),
                    (true, false) => "near-identical numbers".to_string(),
                    _ => format!("dates at most {days} day(s) apart"),
                };
                out.push(Signal {
                    customer_id: Some(customer.to_string()),
                    currency: Some(currency.to_string()),
                    invoice_id: Some(format!("{};{}", a.id, b.id)),
                    amount: Some(amount),
                    ..Signal::new(
                        "DUPLICATE_INVOICE",
                        if close_numbers && close_dates { "high" } else { "medium" },
                        format!(
                            "{} ({}) and {} ({}) of customer {customer}, both {amount} {currency}: {why}",
                            a.id,
                            a.date.map(|d| d.to_string()).unwrap_or_else(|| "no date".into()),
                            b.id,
                            b.date.map(|d| d.to_string()).unwrap_or_else(|| "no date".into()),
                        ),
                    )
                });
            }
        }
    }
}

fn discount_after_date(inputs: &Inputs<'_>, out: &mut Vec<Signal>) {
    let code = "DISCOUNT_AFTER_DISCOUNT_DATE";
    let Some(terms) = inputs.details.and_then(|d| d.terms.as_ref()) else {
        out.push(Signal::new(
            code,
            NOT_CHECKED,
            "needs the discount terms of open_items.parquet".into(),
        ));
        return;
    };
    let terms: HashMap<&str, Option<u32>> = terms
        .iter()
        .map(|t| (t.invoice_id.as_str(), t.discount_days))
        .collect();
    let items: HashMap<&str, &crate::model::OpenItem> = inputs
        .data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i))
        .collect();
    let received: HashMap<&str, Option<NaiveDate>> = inputs
        .data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    for a in inputs
        .data
        .applications
        .iter()
        .filter(|a| a.discount_amount > Decimal::ZERO)
    {
        let paid_on = received.get(a.transaction_id.as_str()).copied().flatten();
        let invoice_date = items
            .get(a.invoice_id.as_str())
            .and_then(|i| i.invoice_date);
        let days = terms.get(a.invoice_id.as_str()).copied().flatten();
        let evidence = match (paid_on, invoice_date, days) {
            (Some(p), Some(d), Some(n)) => {
                let last = d + chrono::Days::new(u64::from(n));
                if p <= last {
                    continue;
                }
                format!(
                    "discount of {} {} granted on a payment with value date {p}, after the last discount day {last} (invoice {d} + {n} days): {} day(s) late",
                    a.discount_amount,
                    a.currency,
                    (p - last).num_days()
                )
            }
            (Some(p), _, None) => format!(
                "discount of {} {} granted on a payment with value date {p} to an item without discount terms",
                a.discount_amount, a.currency
            ),
            _ => continue,
        };
        out.push(Signal {
            customer_id: Some(a.customer_id.clone()),
            currency: Some(a.currency.clone()),
            transaction_id: Some(a.transaction_id.clone()),
            invoice_id: Some(a.invoice_id.clone()),
            amount: Some(a.discount_amount),
            ..Signal::new(code, "low", evidence)
        });
    }
}

/// An unapplied receipt: (transaction, account, amount, currency, date).
type Unapplied = (String, String, Decimal, String, NaiveDate);

fn refund_to_other_account(inputs: &Inputs<'_>, out: &mut Vec<Signal>) {
    let code = "OVERPAYMENT_REFUND_OTHER_ACCOUNT";
    let Some(accounts) = accounts_of(inputs) else {
        out.push(Signal::new(code, NOT_CHECKED, NO_ACCOUNTS.into()));
        return;
    };
    let data = inputs.data;
    let received: HashMap<&str, Option<NaiveDate>> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    let mut unapplied: Vec<Unapplied> = Vec::new();
    for run in inputs.history {
        for e in run.of("unapplied") {
            if let (Some(a), Some(d)) = (e.amount, e.date) {
                unapplied.push((
                    e.transaction_id.clone(),
                    norm_account(&e.code),
                    a,
                    e.currency.clone(),
                    d,
                ));
            }
        }
    }
    let mut here: BTreeMap<&str, (Decimal, &str)> = BTreeMap::new();
    for e in data.exceptions.iter().filter(|e| e.amount > Decimal::ZERO) {
        let x = here
            .entry(e.transaction_id.as_str())
            .or_insert((Decimal::ZERO, e.currency.as_str()));
        x.0 += e.amount;
    }
    for (txn, (amount, currency)) in here {
        if let Some(d) = received.get(txn).copied().flatten() {
            let account = norm_account(accounts.get(txn).copied().unwrap_or_default());
            unapplied.push((txn.to_string(), account, amount, currency.to_string(), d));
        }
    }
    let window = u64::from(inputs.config.refund_days);
    for t in data
        .transactions
        .iter()
        .filter(|t| t.amount < Decimal::ZERO)
    {
        let Some(paid) = t.received_on() else {
            continue;
        };
        let to = norm_account(
            accounts
                .get(t.transaction_id.as_str())
                .copied()
                .unwrap_or_default(),
        );
        // The unapplied receipts this payment may refund: received from
        // another account, same currency, at most `refund_days` before.
        let refunded = -t.amount;
        let candidates: Vec<&Unapplied> = unapplied
            .iter()
            .filter(|(_, from, _, currency, day)| {
                *currency == t.currency
                    && paid >= *day
                    && paid <= *day + chrono::Days::new(window)
                    && !to.is_empty()
                    && to != *from
            })
            .collect();
        let exact: Vec<_> = candidates
            .iter()
            .filter(|(_, _, amount, _, _)| *amount == refunded)
            .collect();
        // A partial refund (most of an overpayment sent back, the rest
        // kept to look like a fee or a rounding) is matched only when no
        // receipt has the exact amount, and to one receipt: the smallest
        // that covers it (then the latest, then by id), so one payment
        // never raises a signal per unapplied receipt of the window.
        let min_share = inputs.config.refund_partial_min_percent / Decimal::ONE_HUNDRED;
        let partial = candidates
            .iter()
            .filter(|(_, _, amount, _, _)| *amount > refunded && refunded >= *amount * min_share)
            .min_by(|a, b| a.2.cmp(&b.2).then(b.4.cmp(&a.4)).then(a.0.cmp(&b.0)));
        let hits: Vec<(&Unapplied, bool)> = if exact.is_empty() {
            partial.into_iter().map(|c| (*c, true)).collect()
        } else {
            exact.into_iter().map(|c| (*c, false)).collect()
        };
        for ((txn, from, amount, currency, day), is_partial) in hits {
            let from = if from.is_empty() {
                "an unnamed account"
            } else {
                from.as_str()
            };
            let evidence = if is_partial {
                format!(
                    "{amount} {currency} received on {day} from {from} and left unapplied, then {refunded} of it (a partial refund) paid out on {paid} to {to}, another account"
                )
            } else {
                format!(
                    "{amount} {currency} received on {day} from {from} and left unapplied, then paid out on {paid} to {to}, another account"
                )
            };
            out.push(Signal {
                currency: Some(currency.clone()),
                transaction_id: Some(format!("{txn};{}", t.transaction_id)),
                amount: Some(refunded),
                ..Signal::new(code, "high", evidence)
            });
        }
    }
}

fn unapplied_growing(inputs: &Inputs<'_>, out: &mut Vec<Signal>) {
    let code = "UNAPPLIED_CASH_GROWING";
    let runs = inputs.config.unapplied_growth_runs as usize;
    for (currency, series) in crate::history::unapplied_series(inputs.history, inputs.data) {
        if series.len() < runs {
            out.push(Signal {
                currency: Some(currency.clone()),
                ..Signal::new(
                    code,
                    NOT_CHECKED,
                    format!(
                        "needs {runs} runs of {currency} in the AR history, this one included (found {})",
                        series.len()
                    ),
                )
            });
            continue;
        }
        let last = &series[series.len() - runs..];
        let growing = last.windows(2).all(|w| w[1].1 > w[0].1);
        if !growing {
            continue;
        }
        let list: Vec<String> = last.iter().map(|(d, a)| format!("{d}: {a}")).collect();
        out.push(Signal {
            currency: Some(currency.clone()),
            amount: last.last().map(|x| x.1),
            ..Signal::new(
                code,
                "medium",
                format!(
                    "unapplied {currency} cash grew over the last {runs} runs ({})",
                    list.join(", ")
                ),
            )
        });
    }
}
