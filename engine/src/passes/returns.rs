//! Returned payments: link each return to its original receipt, then
//! reverse what that receipt applied (see [`crate::returns`]).
//!
//! Not a cascade pass: it proposes nothing. [`link`] runs before the
//! cascade (it may add re-opened items, which the passes must see as
//! invoices that exist, paid), [`reverse`] after it (a same-night original
//! has its applications only then), and [`settle_exceptions`] rewrites the
//! returns' exception rows once the exceptions are built.

use crate::allocate::Ledger;
use crate::config::Rules;
use crate::model::{
    Batch, CustomerId, ExceptionDetail, ExceptionRecord, ItemIdx, OpenItem, OpenItems, ReasonCode,
    TxnIdx,
};
use crate::returns::{
    marker_from_text, reversal_of, LinkRule, Original, PriorReceipt, ReturnInputs, ReturnRecord,
    ReturnStatus,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The outcome of linking, before anything is reversed.
#[derive(Debug, Default)]
pub struct Plan {
    /// One per return, in transaction order.
    pub returns: Vec<Planned>,
}

/// One return as linked.
#[derive(Debug)]
pub struct Planned {
    /// The return.
    pub txn: TxnIdx,
    /// Reason code as given.
    pub reason: String,
    /// How and to what it was linked; `Err` says why it was not.
    pub link: Result<(LinkRule, Original), String>,
    /// For a prior original: the item each of its applications reverses
    /// (same order as [`PriorReceipt::applications`]).
    pub prior_items: Vec<ItemIdx>,
}

/// How and to what a return was linked, or why not.
type Link = Result<(LinkRule, Original), String>;

/// One link rule's test on a candidate.
type LinkTest<'a> = dyn Fn(&CandidateView<'_>) -> bool + 'a;

/// A receipt a return may take back.
#[derive(Debug, Clone, Copy)]
enum Candidate<'a> {
    Here(TxnIdx),
    Prior(u32, &'a PriorReceipt),
}

struct CandidateView<'a> {
    transaction_id: &'a str,
    bank_reference: &'a str,
    end_to_end_id: &'a str,
    account: &'a str,
    counterparty_name: &'a str,
    counterparty_account: &'a str,
    date: Option<chrono::NaiveDate>,
}

fn view<'a>(batch: &'a Batch, c: Candidate<'a>) -> CandidateView<'a> {
    match c {
        Candidate::Here(t) => {
            let t = batch.transactions.get(t as usize);
            CandidateView {
                transaction_id: t.transaction_id(),
                bank_reference: t.bank_reference(),
                end_to_end_id: t.end_to_end_id(),
                account: t.account(),
                counterparty_name: t.counterparty_name(),
                counterparty_account: t.counterparty_account(),
                date: t.value_date().or(t.booking_date()),
            }
        }
        Candidate::Prior(_, p) => CandidateView {
            transaction_id: &p.transaction_id,
            bank_reference: &p.bank_reference,
            end_to_end_id: &p.end_to_end_id,
            account: &p.account,
            counterparty_name: &p.counterparty_name,
            counterparty_account: &p.counterparty_account,
            date: p.date,
        },
    }
}

fn key(c: Candidate<'_>) -> (u8, u32) {
    match c {
        Candidate::Here(t) => (0, t),
        Candidate::Prior(p, _) => (1, p),
    }
}

/// Payer account or name, compared without case, spaces or punctuation.
fn party(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// End-to-end ids that say "none" carry no link.
fn real_e2e(id: &str) -> bool {
    !id.is_empty() && !id.eq_ignore_ascii_case("NOTPROVIDED")
}

/// Finds the returns of the batch (bank markers and debits whose text says
/// so) and links each to its original receipt. Re-opened items for prior
/// originals whose invoice is not in the extract are appended to the
/// batch's open items (amount open zero: paid, until the reversal).
pub fn link(batch: &mut Batch, rules: &Rules, inputs: &ReturnInputs) -> Plan {
    let mut markers: BTreeMap<TxnIdx, String> = BTreeMap::new();
    for m in &inputs.markers {
        if (m.txn as usize) < batch.transactions.len()
            && batch.transactions.get(m.txn as usize).amount() < Decimal::ZERO
        {
            markers.entry(m.txn).or_insert_with(|| m.reason.clone());
        }
    }
    for (i, t) in batch.transactions.iter().enumerate() {
        if t.amount() < Decimal::ZERO && !markers.contains_key(&(i as TxnIdx)) {
            if let Some(reason) = marker_from_text(t.remittance_info()) {
                markers.insert(i as TxnIdx, reason);
            }
        }
    }
    if markers.is_empty() {
        return Plan::default();
    }
    // Candidates by (currency, amount): a return takes back the whole receipt.
    let mut by_amount: HashMap<(&str, Decimal), Vec<Candidate<'_>>> = HashMap::new();
    for (i, t) in batch.transactions.iter().enumerate() {
        if t.amount() > Decimal::ZERO {
            by_amount
                .entry((t.currency(), t.amount().normalize()))
                .or_default()
                .push(Candidate::Here(i as TxnIdx));
        }
    }
    for (p, r) in inputs.prior_receipts.iter().enumerate() {
        by_amount
            .entry((r.currency.as_str(), r.amount.normalize()))
            .or_default()
            .push(Candidate::Prior(p as u32, r));
    }
    let window = i64::from(rules.returns.window_days);
    let mut used: HashSet<(u8, u32)> = HashSet::new();
    let mut planned: Vec<(TxnIdx, String, Link)> = Vec::new();
    for (&r, reason) in &markers {
        let ret = batch.transactions.get(r as usize);
        let date = ret.value_date().or(ret.booking_date());
        let amount = -ret.amount();
        let pool: Vec<Candidate<'_>> = by_amount
            .get(&(ret.currency(), amount.normalize()))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&c| {
                        let v = view(batch, c);
                        // Same receiving account; the original is not later
                        // than its return.
                        (v.account.is_empty()
                            || ret.account().is_empty()
                            || v.account == ret.account())
                            && match (v.date, date) {
                                (Some(o), Some(d)) => o <= d,
                                _ => true,
                            }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let e2e = ret.end_to_end_id();
        let words: HashSet<&str> = ret
            .remittance_info()
            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .filter(|w| w.len() >= 4)
            .collect();
        let names_it = |v: &CandidateView<'_>| {
            [v.bank_reference, v.end_to_end_id, v.transaction_id]
                .iter()
                .any(|k| k.len() >= 4 && words.contains(k))
        };
        let ret_account = party(ret.counterparty_account());
        let ret_name = party(ret.counterparty_name());
        let same_payer = |v: &CandidateView<'_>| {
            let within = match (v.date, date) {
                (Some(o), Some(d)) => (d - o).num_days() <= window,
                _ => false,
            };
            within
                && if !ret_account.is_empty() && !v.counterparty_account.is_empty() {
                    party(v.counterparty_account) == ret_account
                } else {
                    !ret_name.is_empty() && party(v.counterparty_name) == ret_name
                }
        };
        let rules: [(LinkRule, &LinkTest<'_>); 3] = [
            (LinkRule::EndToEndId, &|v| {
                real_e2e(e2e) && v.end_to_end_id == e2e
            }),
            (LinkRule::OriginalReference, &names_it),
            (LinkRule::AmountPayerDate, &same_payer),
        ];
        let mut result = Err(if pool.is_empty() {
            format!(
                "no receipt of {amount} {} on account {} before the return (this run or the state)",
                ret.currency(),
                ret.account()
            )
        } else {
            format!(
                "{} receipt(s) of {amount} {} exist but none carries the return's end-to-end id or reference, or the same payer within {window} days",
                pool.len(),
                ret.currency()
            )
        });
        for (rule, test) in rules {
            let hits: Vec<Candidate<'_>> = pool
                .iter()
                .copied()
                .filter(|c| test(&view(batch, *c)))
                .collect();
            if hits.is_empty() {
                continue;
            }
            let free: Vec<Candidate<'_>> = hits
                .iter()
                .copied()
                .filter(|c| !used.contains(&key(*c)))
                .collect();
            result = match free.as_slice() {
                [one] if hits.len() == 1 => {
                    used.insert(key(*one));
                    Ok((
                        rule,
                        match *one {
                            Candidate::Here(t) => Original::ThisRun(t),
                            Candidate::Prior(p, _) => Original::Prior(p),
                        },
                    ))
                }
                [] => Err(format!(
                    "its original (by {}) {} was already returned",
                    rule.as_str(),
                    view(batch, hits[0]).transaction_id
                )),
                _ => Err(format!(
                    "{} receipts match by {}: a person decides",
                    hits.len(),
                    rule.as_str()
                )),
            };
            break;
        }
        planned.push((r, reason.clone(), result));
    }
    // Prior originals: find each invoice in the extract, or re-open it.
    let mut by_invoice: HashMap<(&str, &str), ItemIdx> = HashMap::new();
    for (i, item) in batch.open_items.iter().enumerate() {
        if item.hold().is_none() {
            by_invoice
                .entry((item.invoice_id(), item.currency()))
                .or_insert(i as ItemIdx);
        }
    }
    let mut appended: Vec<OpenItem> = Vec::new();
    let mut appended_at: HashMap<(String, String), ItemIdx> = HashMap::new();
    let base = batch.open_items.len() as ItemIdx;
    let mut out = Plan::default();
    for (txn, reason, link) in planned {
        let mut prior_items = Vec::new();
        if let Ok((_, Original::Prior(p))) = &link {
            for a in &inputs.prior_receipts[*p as usize].applications {
                let k = (a.invoice_id.as_str(), a.currency.as_str());
                let idx = match by_invoice.get(&k) {
                    Some(&i) => i,
                    None => *appended_at
                        .entry((a.invoice_id.clone(), a.currency.clone()))
                        .or_insert_with(|| {
                            appended.push(OpenItem {
                                invoice_id: a.invoice_id.clone(),
                                customer_id: a.customer_id.clone(),
                                customer_name: a.customer_name.clone(),
                                currency: a.currency.clone(),
                                amount_open: Decimal::ZERO,
                                amount_original: a.amount_original,
                                invoice_date: a.invoice_date,
                                due_date: a.due_date,
                                ..Default::default()
                            });
                            base + appended.len() as ItemIdx - 1
                        }),
                };
                prior_items.push(idx);
            }
        }
        out.returns.push(Planned {
            txn,
            reason,
            link,
            prior_items,
        });
    }
    if !appended.is_empty() {
        let items: OpenItems = batch
            .open_items
            .iter()
            .map(|i| i.to_row())
            .chain(appended)
            .collect();
        batch.open_items = items;
    }
    out
}

/// Reverses what each linked return's original applied: negative
/// applications on the ledger, invoices re-opened. Returns one record per
/// return (the unapplied part is settled in [`settle_exceptions`]).
pub fn reverse(
    batch: &Batch,
    inputs: &ReturnInputs,
    plan: &Plan,
    ledger: &mut Ledger,
) -> Vec<ReturnRecord> {
    let mut out = Vec::with_capacity(plan.returns.len());
    for p in &plan.returns {
        let ret = batch.transactions.get(p.txn as usize);
        let mut rec = ReturnRecord {
            txn: p.txn,
            reason: p.reason.clone(),
            status: ReturnStatus::Unlinked,
            link: None,
            original: None,
            original_transaction_id: String::new(),
            original_run_id: String::new(),
            customer_id: None,
            invoices_reopened: 0,
            applied_reversed: Decimal::ZERO,
            allowances_reversed: Decimal::ZERO,
            unapplied_reversed: Decimal::ZERO,
            detail: String::new(),
        };
        let (rule, original) = match &p.link {
            Err(why) => {
                rec.detail = format!("return not linked: {why}");
                out.push(rec);
                continue;
            }
            Ok(l) => *l,
        };
        // (item, applied, discount, write-off, deduction, what a
        // cross-currency application took from the payment) to take back.
        type Line = (
            ItemIdx,
            Decimal,
            Decimal,
            Decimal,
            Decimal,
            Option<crate::fx::FxApplication>,
        );
        let lines: Vec<Line> = match original {
            Original::ThisRun(t) => {
                let orig = batch.transactions.get(t as usize);
                rec.original_transaction_id = orig.transaction_id().to_string();
                ledger
                    .applications
                    .iter()
                    .filter(|a| a.txn == t)
                    .map(|a| {
                        (
                            a.item,
                            a.applied_amount,
                            a.discount_amount,
                            a.writeoff_amount,
                            a.deduction_amount,
                            ledger
                                .fx
                                .iter()
                                .find(|f| f.txn == t && f.item == a.item)
                                .cloned(),
                        )
                    })
                    .collect()
            }
            Original::Prior(i) => {
                let r = &inputs.prior_receipts[i as usize];
                rec.original_transaction_id = r.transaction_id.clone();
                rec.original_run_id = r.run_id.clone();
                r.applications
                    .iter()
                    .zip(&p.prior_items)
                    .map(|(a, &item)| {
                        let fx = a.fx.as_ref().map(|f| crate::fx::FxApplication {
                            txn: p.txn,
                            item,
                            payment_amount: f.payment_amount,
                            invoice_amount: f.invoice_amount,
                            rate: f.rate,
                            rate_date: f.rate_date,
                            rate_source: f.rate_source.as_str().into(),
                            gain_loss: f.gain_loss,
                        });
                        (item, a.applied, a.discount, a.writeoff, a.deduction, fx)
                    })
                    .collect()
            }
        };
        let reason_words = if p.reason.is_empty() {
            String::new()
        } else {
            format!(" (reason {})", p.reason)
        };
        let explanation: std::sync::Arc<str> = format!(
            "returned payment{reason_words} linked by {} to receipt {}: application reversed, invoice re-opened",
            rule.as_str(),
            rec.original_transaction_id
        )
        .into();
        for (item, applied, discount, writeoff, deduction, fx) in &lines {
            let (item, applied, discount, writeoff, deduction) =
                (*item, *applied, *discount, *writeoff, *deduction);
            ledger.item_open[item as usize] += applied + discount + writeoff + deduction;
            // Cross-currency: the cash going back is the payment-currency
            // amount, and the FX result booked is taken back with it.
            let cash = match fx {
                Some(f) => {
                    ledger.fx.push(crate::returns::fx_reversal_of(p.txn, f));
                    f.payment_amount
                }
                None => applied,
            };
            ledger.applications.push(reversal_of(
                p.txn,
                item,
                applied,
                discount,
                writeoff,
                deduction,
                explanation.clone(),
            ));
            rec.applied_reversed += cash;
            rec.allowances_reversed += discount + writeoff + deduction;
        }
        rec.invoices_reopened = lines.len() as u32;
        rec.unapplied_reversed = -ret.amount() - rec.applied_reversed;
        rec.customer_id = match (lines.first(), original) {
            (Some(&(item, ..)), _) => Some(
                batch
                    .open_items
                    .get(item as usize)
                    .customer_id()
                    .to_string(),
            ),
            (None, Original::Prior(i)) => inputs.prior_receipts[i as usize]
                .on_account_customer
                .clone(),
            (None, Original::ThisRun(_)) => None,
        };
        rec.status = ReturnStatus::Reversed;
        rec.link = Some(rule);
        rec.original = Some(original);
        rec.detail = explanation.to_string();
        out.push(rec);
    }
    out
}

/// Rewrites the exception rows of the returns: a linked return keeps a row
/// only for what its original left unapplied (`RETURNED_PAYMENT`, on the
/// customer that money was on account for); an unlinked one is
/// `UNLINKED_RETURN` for its whole amount. `exceptions` is in transaction
/// order and keeps it.
pub fn settle_exceptions(
    batch: &Batch,
    records: &[ReturnRecord],
    exceptions: &mut Vec<ExceptionRecord>,
) {
    if records.is_empty() {
        return;
    }
    let mut drop: HashSet<TxnIdx> = HashSet::new();
    for r in records {
        let Ok(e) = exceptions.binary_search_by_key(&r.txn, |e| e.txn) else {
            continue;
        };
        let exc = &mut exceptions[e];
        match r.status {
            ReturnStatus::Unlinked => {
                exc.reason = ReasonCode::UnlinkedReturn;
                exc.detail = ExceptionDetail::Note(r.detail.clone());
            }
            ReturnStatus::Reversed if r.unapplied_reversed.is_zero() => {
                drop.insert(r.txn);
            }
            ReturnStatus::Reversed => {
                exc.amount = -r.unapplied_reversed;
                exc.reason = ReasonCode::ReturnedPayment;
                exc.detail = ExceptionDetail::Note(format!(
                    "{}; {} the receipt had left unapplied is taken back",
                    r.detail, r.unapplied_reversed
                ));
                // The original's own exception row names who the money
                // was on account for; otherwise the customer of the
                // invoices reversed (already set from the applications).
                if let Some(Original::ThisRun(t)) = r.original {
                    if let Ok(o) = exceptions.binary_search_by_key(&t, |e| e.txn) {
                        let (customer, id) = (
                            exceptions[o].customer,
                            exceptions[o]
                                .customer_id
                                .as_ref()
                                .map(|c| c.as_str(batch).to_string()),
                        );
                        let exc = &mut exceptions[e];
                        exc.customer = customer;
                        exc.customer_id = id.map(CustomerId::Found);
                    }
                } else if let Some(c) = &r.customer_id {
                    if exc.customer_id.is_none() {
                        exc.customer_id = Some(CustomerId::Found(c.clone()));
                    }
                }
            }
        }
    }
    if !drop.is_empty() {
        exceptions.retain(|e| !drop.contains(&e.txn));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BankTransaction, ItemStatus, OpenItem, Outcome, Rule};
    use crate::returns::{PriorApplication, PriorReceipt, ReturnMarker};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 3, d)
    }

    fn receipt(reference: &str, amount: Decimal, text: &str, d: u32) -> BankTransaction {
        BankTransaction {
            bank_reference: reference.into(),
            account: "DE01".into(),
            currency: "EUR".into(),
            amount,
            booking_date: day(d),
            value_date: day(d),
            counterparty_name: "ACME GmbH".into(),
            counterparty_account: "DE99ACME".into(),
            remittance_info: text.into(),
            end_to_end_id: format!("E2E-{reference}"),
            ..Default::default()
        }
    }

    fn item(id: &str, amount: Decimal) -> OpenItem {
        OpenItem {
            invoice_id: id.into(),
            customer_id: "C1".into(),
            customer_name: "ACME GmbH".into(),
            currency: "EUR".into(),
            amount_open: amount,
            amount_original: amount,
            invoice_date: day(1),
            due_date: day(1),
            ..Default::default()
        }
    }

    fn run(
        txns: Vec<BankTransaction>,
        items: Vec<OpenItem>,
        inputs: &ReturnInputs,
    ) -> crate::RunResult {
        let batch = Batch {
            transactions: txns.into(),
            open_items: items.into(),
            customers: Default::default(),
            as_of: day(31).unwrap(),
        };
        crate::apply_cash_with(
            batch,
            &Rules::default(),
            &crate::RunExtras {
                returns: Some(inputs),
                ..Default::default()
            },
            &mut (),
        )
        .expect("invariants hold")
    }

    fn open_after(r: &crate::RunResult, invoice: &str) -> Decimal {
        let i = (0..r.batch.open_items.len())
            .find(|&i| r.batch.open_items.get(i).invoice_id() == invoice)
            .expect("item present");
        r.outcome.items_after[i].amount_open_after
    }

    fn debit_balance(o: &Outcome, gl: &str) -> Decimal {
        o.postings
            .iter()
            .filter(|p| o.gl_accounts[p.gl as usize] == gl)
            .map(|p| p.debit - p.credit)
            .sum()
    }

    #[test]
    fn a_same_night_return_linked_by_end_to_end_id_reopens_the_invoice() {
        let mut ret = receipt("RET1", Decimal::new(-10000, 2), "SEPA return", 3);
        ret.end_to_end_id = "E2E-R1".into();
        let r = run(
            vec![
                receipt("R1", Decimal::new(10000, 2), "Invoice INV-1", 2),
                ret,
            ],
            vec![item("INV-1", Decimal::new(10000, 2))],
            &ReturnInputs {
                markers: vec![ReturnMarker {
                    txn: 1,
                    reason: "AC04".into(),
                }],
                prior_receipts: vec![],
            },
        );
        let o = &r.outcome;
        assert_eq!(open_after(&r, "INV-1"), Decimal::new(10000, 2));
        assert_eq!(o.items_after[0].status, ItemStatus::Open);
        assert_eq!(o.returns.len(), 1);
        assert_eq!(o.returns[0].link, Some(LinkRule::EndToEndId));
        assert_eq!(o.returns[0].reason, "AC04");
        assert_eq!(o.returns[0].customer_id.as_deref(), Some("C1"));
        let reversal = o.applications.iter().find(|a| a.txn == 1).unwrap();
        assert_eq!(reversal.rule, Rule::ReturnReversal);
        assert_eq!(reversal.applied_amount, Decimal::new(-10000, 2));
        // Nothing left over: no exception for either transaction.
        assert!(o.exceptions.is_empty(), "{:?}", o.exceptions);
        // Receivable and bank net to zero over the two journals.
        assert_eq!(debit_balance(o, "1200"), Decimal::ZERO);
        assert_eq!(debit_balance(o, "1000"), Decimal::ZERO);
    }

    #[test]
    fn a_return_of_an_earlier_run_reopens_an_invoice_missing_from_the_extract() {
        let prior = PriorReceipt {
            run_id: "RUN-1".into(),
            transaction_id: "T-OLD".into(),
            bank_reference: "TRACE0001".into(),
            end_to_end_id: String::new(),
            account: "DE01".into(),
            currency: "EUR".into(),
            amount: Decimal::new(9800, 2),
            date: day(1),
            counterparty_name: "ACME GmbH".into(),
            counterparty_account: "DE99ACME".into(),
            applications: vec![PriorApplication {
                invoice_id: "INV-9".into(),
                customer_id: "C1".into(),
                customer_name: "ACME GmbH".into(),
                currency: "EUR".into(),
                applied: Decimal::new(9800, 2),
                discount: Decimal::new(200, 2),
                writeoff: Decimal::ZERO,
                deduction: Decimal::ZERO,
                amount_original: Decimal::new(10000, 2),
                invoice_date: day(1),
                due_date: day(1),
                fx: None,
            }],
            on_account_customer: None,
        };
        let mut ret = receipt(
            "RET2",
            Decimal::new(-9800, 2),
            "ACH RETURN R01 ORIG TRACE TRACE0001",
            4,
        );
        ret.end_to_end_id.clear();
        let r = run(
            vec![ret],
            vec![item("INV-2", Decimal::new(500, 2))],
            &ReturnInputs {
                markers: vec![],
                prior_receipts: vec![prior],
            },
        );
        let o = &r.outcome;
        assert_eq!(o.returns[0].link, Some(LinkRule::OriginalReference));
        assert_eq!(o.returns[0].reason, "R01");
        assert_eq!(o.returns[0].original_run_id, "RUN-1");
        // Re-opened with the discount taken back: the whole invoice is due.
        assert_eq!(open_after(&r, "INV-9"), Decimal::new(10000, 2));
        assert_eq!(open_after(&r, "INV-2"), Decimal::new(500, 2));
        assert_eq!(debit_balance(o, "1200"), Decimal::new(10000, 2));
        assert_eq!(debit_balance(o, "4930"), Decimal::new(-200, 2));
        assert_eq!(debit_balance(o, "1000"), Decimal::new(-9800, 2));
        assert!(o.aging.iter().map(|a| a.amount).sum::<Decimal>() >= Decimal::new(10000, 2));
    }

    #[test]
    fn a_return_without_a_unique_original_is_unlinked_and_nothing_is_reversed() {
        // Two receipts of the same amount from the same payer, no reference.
        let mut ret = receipt("RET3", Decimal::new(-5000, 2), "cheque bounced", 5);
        ret.end_to_end_id.clear();
        let r = run(
            vec![
                receipt("R1", Decimal::new(5000, 2), "Invoice INV-1", 2),
                receipt("R2", Decimal::new(5000, 2), "Invoice INV-2", 3),
                ret,
            ],
            vec![
                item("INV-1", Decimal::new(5000, 2)),
                item("INV-2", Decimal::new(5000, 2)),
            ],
            &ReturnInputs::default(),
        );
        let o = &r.outcome;
        assert_eq!(o.returns[0].status, ReturnStatus::Unlinked);
        let e = o.exceptions.iter().find(|e| e.txn == 2).unwrap();
        assert_eq!(e.reason, ReasonCode::UnlinkedReturn);
        assert_eq!(e.amount, Decimal::new(-5000, 2));
        assert!(o
            .applications
            .iter()
            .all(|a| a.rule != Rule::ReturnReversal));
        assert_eq!(open_after(&r, "INV-1"), Decimal::ZERO);
        assert_eq!(open_after(&r, "INV-2"), Decimal::ZERO);
    }

    #[test]
    fn an_ordinary_debit_is_still_not_a_receipt() {
        let r = run(
            vec![receipt("D1", Decimal::new(-5000, 2), "bank fees March", 5)],
            vec![],
            &ReturnInputs::default(),
        );
        assert!(r.outcome.returns.is_empty());
        assert_eq!(r.outcome.exceptions[0].reason, ReasonCode::NotAReceipt);
    }

    #[test]
    fn an_overpayment_returned_takes_back_the_amount_on_account() {
        let r = run(
            vec![
                receipt("R1", Decimal::new(15000, 2), "Invoice INV-1", 2),
                receipt("RET", Decimal::new(-15000, 2), "RETURN MS03", 4),
            ],
            vec![item("INV-1", Decimal::new(10000, 2))],
            &ReturnInputs::default(),
        );
        let o = &r.outcome;
        assert_eq!(o.returns[0].link, Some(LinkRule::AmountPayerDate));
        let e = o.exceptions.iter().find(|e| e.txn == 1).unwrap();
        assert_eq!(e.reason, ReasonCode::ReturnedPayment);
        assert_eq!(e.amount, Decimal::new(-5000, 2));
        assert_eq!(open_after(&r, "INV-1"), Decimal::new(10000, 2));
        // On account and back: the unapplied-cash account nets to zero.
        assert_eq!(debit_balance(o, "2410"), Decimal::ZERO);
    }

    proptest! {
        /// Receipt + its return leaves every invoice and the customer's
        /// balance as before, and every journal balances.
        #[test]
        fn a_receipt_and_its_return_leave_the_receivable_as_before(
            amounts in proptest::collection::vec(1i64..100_000, 1..6),
            pay_count in 1usize..6,
            extra in 0i64..5_000,
            discount_bps in 0u32..2,
            return_ref in any::<bool>(),
        ) {
            let items: Vec<OpenItem> = amounts
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let mut it = item(&format!("INV-{k:04}"), Decimal::new(*a, 2));
                    if discount_bps == 1 {
                        it.discount_percent = Some(Decimal::new(2, 0));
                        it.discount_days = Some(30);
                    }
                    it
                })
                .collect();
            let paid: Vec<&OpenItem> = items.iter().take(pay_count).collect();
            let total: Decimal = paid.iter().map(|i| i.amount_open).sum::<Decimal>()
                + Decimal::new(extra, 2);
            let text = paid.iter().map(|i| i.invoice_id.as_str()).collect::<Vec<_>>().join(" ");
            let mut ret = receipt(
                "RET",
                -total,
                if return_ref { "RETURN R02 ORIG R1" } else { "RETURN R02" },
                9,
            );
            ret.end_to_end_id.clear();
            let before = run(
                vec![],
                items.clone(),
                &ReturnInputs::default(),
            );
            let after = run(
                vec![receipt("R1", total, &text, 2), ret],
                items.clone(),
                &ReturnInputs::default(),
            );
            prop_assert_eq!(after.outcome.returns[0].status, ReturnStatus::Reversed);
            for it in &items {
                prop_assert_eq!(open_after(&after, &it.invoice_id), open_after(&before, &it.invoice_id));
            }
            let balance = |r: &crate::RunResult| -> Decimal {
                r.outcome.items_after.iter().map(|a| a.amount_open_after).sum()
            };
            prop_assert_eq!(balance(&after), balance(&before));
            // The receivable, the unapplied cash and the bank net to zero;
            // a discount granted was taken back.
            for gl in ["1200", "2410", "2490", "1000", "4930", "6850", "1260"] {
                prop_assert_eq!(debit_balance(&after.outcome, gl), Decimal::ZERO, "GL {}", gl);
            }
            crate::invariants::check(&after.batch, &after.outcome).unwrap();
        }
    }
}
