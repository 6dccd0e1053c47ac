//! Remittance advices as the engine sees them, and how each is linked to
//! the bank line that carries its money.
//!
//! An advice (X12 820, lockbox cheque, remt.001, camt.054 detail,
//! remittance spreadsheet row group) arrives apart from the cash. Before
//! the matching cascade, every advice is linked to at most one receipt by
//! the strongest key both sides carry, and the rule that linked it is
//! recorded:
//!
//! 1. the advice's payment reference (X12 `TRN02` or NACHA trace number,
//!    lockbox cheque number, ISO `EndToEndId`, a spreadsheet's payment
//!    reference) or its second key (camt.054 `AcctSvcrRef`) equal to the
//!    bank line's bank reference, end-to-end id, or a token of its
//!    remittance text (BAI2 88 text `TRN*1*…`, `:86:` `EREF+…`, `CHK 123`);
//! 2. only when no key links: the same amount and currency, a value date
//!    within `link_window_days` of the advice's payment date, and the same
//!    payer (account, else name).
//!
//! A link must be unique in both directions: a key that names two bank
//! lines, or a bank line claimed by two advices, links nothing and is
//! reported (`ambiguous_link`), never guessed.

use crate::config::RemittanceRules;
use crate::model::{Batch, TxnIdx};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One advice: one payment as the remitter announced it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Advice {
    /// Stable identity across runs: file format, advice id and payment
    /// reference (what the state remembers of a waiting advice).
    pub key: String,
    /// `x12.820`, `bai_lockbox`, `nacha`, `remt.001`, `camt.054`, `remittance_csv`, `remittance_xlsx`.
    pub format: String,
    /// The advice's id within its file.
    pub advice_id: String,
    /// Trace number, cheque number, end-to-end id or payment reference.
    pub payment_reference: String,
    /// A second key the bank line may carry (camt.054 `AcctSvcrRef`).
    pub alt_reference: String,
    /// Who paid, as the advice names them.
    pub payer_name: String,
    /// The payer's account (MICR routing/account, IBAN).
    pub payer_account: String,
    /// ISO 4217 currency of the payment.
    pub currency: String,
    /// The payment's amount, when the advice states it.
    pub amount: Option<Decimal>,
    /// Effective, deposit or execution date.
    pub payment_date: Option<NaiveDate>,
    /// The file's own control totals failed for this advice (accepted with
    /// `--accept-unbalanced`): its lines are suggestions, never applied.
    pub check_failed: bool,
    /// The documents it pays, in file order.
    pub lines: Vec<AdviceLine>,
    /// The deposit the advice is part of (a lockbox `lockbox/batch`): the
    /// advices sharing it are one bank credit, linked together by their
    /// total. Empty for an advice that is its own payment.
    #[serde(default)]
    pub deposit_reference: String,
}

/// One document an advice pays.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdviceLine {
    /// The invoice number as the remitter wrote it.
    pub invoice_reference: String,
    /// A credit note, or a line that takes money off the payment.
    pub credit: bool,
    /// Cash paid against the document.
    pub amount_paid: Option<Decimal>,
    /// The document's amount as the remitter sees it.
    pub invoice_amount: Option<Decimal>,
    /// Discount taken.
    pub discount: Option<Decimal>,
    /// Adjustment, a deduction when negative.
    pub adjustment: Option<Decimal>,
    /// The remitter's reason code for the adjustment.
    pub adjustment_reason: String,
    /// Other invoice numbers the remitter gave for the same document (X12
    /// `REF*IV` in the RMR loop, e.g. behind a PO number): tried, in order,
    /// when `invoice_reference` names no open item.
    #[serde(default)]
    pub other_invoice_references: Vec<String>,
}

/// How an advice was linked to its bank line (stable codes in outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LinkRule {
    /// X12 `TRN02` or NACHA trace number.
    TraceNumber,
    /// Lockbox cheque number.
    ChequeNumber,
    /// ISO `EndToEndId`.
    EndToEndId,
    /// camt `AcctSvcrRef` (a camt.054 detailing a camt.053 entry).
    AccountServicerReference,
    /// The payment reference of a remittance spreadsheet.
    PaymentReference,
    /// No key: same amount, date within the window, same payer.
    AmountDatePayer,
    /// A deposit of several advices (a lockbox batch): their total, the
    /// deposit date within the window, and the lockbox number on the bank
    /// line when several credits have that total.
    DepositTotal,
}

impl LinkRule {
    /// The stable code written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkRule::TraceNumber => "TRACE_NUMBER",
            LinkRule::ChequeNumber => "CHEQUE_NUMBER",
            LinkRule::EndToEndId => "END_TO_END_ID",
            LinkRule::AccountServicerReference => "ACCOUNT_SERVICER_REFERENCE",
            LinkRule::PaymentReference => "PAYMENT_REFERENCE",
            LinkRule::AmountDatePayer => "AMOUNT_DATE_PAYER",
            LinkRule::DepositTotal => "DEPOSIT_TOTAL",
        }
    }

    /// The key rule of an advice format, when its payment reference links.
    fn for_reference(format: &str) -> LinkRule {
        match format {
            "x12.820" | "nacha" => LinkRule::TraceNumber,
            "bai_lockbox" => LinkRule::ChequeNumber,
            "remittance_csv" | "remittance_xlsx" => LinkRule::PaymentReference,
            _ => LinkRule::EndToEndId,
        }
    }
}

/// An advice's bank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The receipt carrying the advice's money.
    pub txn: TxnIdx,
    /// Which evidence linked them.
    pub rule: LinkRule,
}

/// What linking decided for one advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linked {
    /// Linked to exactly one receipt.
    To(Link),
    /// A key or the amount named several receipts, or the receipt is
    /// claimed by another advice too.
    Ambiguous(String),
    /// Nothing in this batch carries the advice's money (yet).
    NotFound,
}

/// Keys shorter than this never link: `1`, `01` or `CHK` name too much.
const KEY_CHARS_MIN: usize = 4;

/// Upper-case alphanumerics of a key (`TRN*1*0012345` and `0012345` compare
/// through their tokens; dashes and spaces never matter).
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Which bank-line field a key was found in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    BankReference,
    EndToEnd,
    Text,
}

/// Links every advice to at most one receipt of `batch` (see the module
/// documentation). Pure and deterministic: the result depends only on the
/// batch and the advices in their order.
pub fn link(batch: &Batch, advices: &[Advice], rules: &RemittanceRules) -> Vec<Linked> {
    // Key → receipts carrying it, for receipts only (a debit never carries
    // an advice's money). Only keys some advice asks for are kept, so the
    // map stays the size of the advices, not of the statements.
    let mut wanted: HashMap<String, Vec<(TxnIdx, Field)>> = HashMap::new();
    for a in advices {
        for k in [&a.payment_reference, &a.alt_reference] {
            let k = norm(k);
            if k.len() >= KEY_CHARS_MIN {
                wanted.entry(k).or_default();
            }
        }
    }
    if !wanted.is_empty() {
        for (i, t) in batch.transactions.iter().enumerate() {
            if t.amount() <= Decimal::ZERO {
                continue;
            }
            let mut push = |key: String, field: Field| {
                if let Some(list) = wanted.get_mut(&key) {
                    if !list.iter().any(|&(x, _)| x == i as TxnIdx) {
                        list.push((i as TxnIdx, field));
                    }
                }
            };
            push(norm(t.bank_reference()), Field::BankReference);
            push(norm(t.end_to_end_id()), Field::EndToEnd);
            for tok in crate::normalize::tokens(t.remittance_info()) {
                if tok.len() >= KEY_CHARS_MIN {
                    push(norm(tok), Field::Text);
                }
            }
        }
    }
    let mut out: Vec<Linked> = advices
        .iter()
        .map(|a| link_by_key(batch, a, &wanted))
        .collect();
    link_deposits(batch, advices, rules, &mut out);
    link_by_amount(batch, advices, rules, &mut out);
    // Unique in both directions: a receipt two advices claim links neither,
    // unless they are one deposit: every claim made by a key (several 820s
    // under one trace number, the cheques of a lockbox batch) and their
    // amounts adding up to the receipt exactly.
    let mut claims: HashMap<TxnIdx, Vec<usize>> = HashMap::new();
    for (i, l) in out.iter().enumerate() {
        if let Linked::To(link) = l {
            claims.entry(link.txn).or_default().push(i);
        }
    }
    let deposit = |txn: TxnIdx, members: &[usize]| {
        let total: Option<Decimal> = members
            .iter()
            .try_fold(Decimal::ZERO, |acc, &i| acc.checked_add(advices[i].amount?));
        members
            .iter()
            .all(|&i| matches!(out[i], Linked::To(l) if l.rule != LinkRule::AmountDatePayer))
            && total == Some(batch.transactions.get(txn as usize).amount())
    };
    let shared: HashMap<TxnIdx, bool> = claims
        .iter()
        .filter(|(_, m)| m.len() > 1)
        .map(|(&t, m)| (t, deposit(t, m)))
        .collect();
    for l in &mut out {
        if let Linked::To(link) = *l {
            if shared.get(&link.txn) == Some(&false) {
                *l = Linked::Ambiguous(format!(
                    "bank line {} is claimed by {} advices",
                    batch.transactions.get(link.txn as usize).transaction_id(),
                    claims[&link.txn].len()
                ));
            }
        }
    }
    out
}

fn link_by_key(
    batch: &Batch,
    a: &Advice,
    wanted: &HashMap<String, Vec<(TxnIdx, Field)>>,
) -> Linked {
    for (key, is_alt) in [(&a.payment_reference, false), (&a.alt_reference, true)] {
        let k = norm(key);
        let Some(found) = wanted.get(&k) else {
            continue;
        };
        let same_currency: Vec<(TxnIdx, Field)> = found
            .iter()
            .copied()
            .filter(|&(t, _)| {
                a.currency.is_empty() || batch.transactions.get(t as usize).currency() == a.currency
            })
            .collect();
        // A key in a reference field beats the same key in free text.
        let strong: Vec<(TxnIdx, Field)> = same_currency
            .iter()
            .copied()
            .filter(|&(_, f)| f != Field::Text)
            .collect();
        let pick = if strong.is_empty() {
            same_currency
        } else {
            strong
        };
        match pick.as_slice() {
            [] => continue,
            [(t, field)] => {
                let rule = if is_alt {
                    LinkRule::AccountServicerReference
                } else if *field == Field::EndToEnd {
                    LinkRule::EndToEndId
                } else {
                    LinkRule::for_reference(&a.format)
                };
                return Linked::To(Link { txn: *t, rule });
            }
            many => {
                return Linked::Ambiguous(format!(
                    "reference {key} is carried by {} bank lines",
                    many.len()
                ))
            }
        }
    }
    Linked::NotFound
}

/// Deposits: the advices of one deposit (same `deposit_reference` and
/// currency, none linked by a key, every amount known) are one bank
/// credit of their total, valued within the window of their date. One
/// credit of that total links them all; among several, the ones whose
/// bank reference, end-to-end id or text carries the deposit's key (or
/// its first part, the lockbox number) as a token; still several, none.
fn link_deposits(batch: &Batch, advices: &[Advice], rules: &RemittanceRules, out: &mut [Linked]) {
    let mut groups: std::collections::BTreeMap<(&str, &str), Vec<usize>> = Default::default();
    for (i, a) in advices.iter().enumerate() {
        if !a.deposit_reference.is_empty() {
            groups
                .entry((a.deposit_reference.as_str(), a.currency.as_str()))
                .or_default()
                .push(i);
        }
    }
    let window = i64::from(rules.link_window_days);
    let mut taken: std::collections::HashSet<TxnIdx> = out
        .iter()
        .filter_map(|l| match l {
            Linked::To(link) => Some(link.txn),
            _ => None,
        })
        .collect();
    for ((key, currency), members) in groups {
        if members.iter().any(|&i| out[i] != Linked::NotFound) {
            continue;
        }
        let Some(total) = members
            .iter()
            .try_fold(Decimal::ZERO, |acc, &i| acc.checked_add(advices[i].amount?))
        else {
            continue;
        };
        if total <= Decimal::ZERO {
            continue;
        }
        let date = advices[members[0]].payment_date;
        let fit: Vec<TxnIdx> = (0..batch.transactions.len())
            .filter(|&t| !taken.contains(&(t as TxnIdx)))
            .filter(|&t| {
                let txn = batch.transactions.get(t);
                txn.amount() == total
                    && (currency.is_empty() || txn.currency() == currency)
                    && match (date, txn.value_date().or(txn.booking_date())) {
                        (Some(p), Some(d)) => (d - p).num_days().abs() <= window,
                        _ => false,
                    }
            })
            .map(|t| t as TxnIdx)
            .collect();
        let carries = |t: TxnIdx, k: &str| {
            let txn = batch.transactions.get(t as usize);
            let k = norm(k);
            k.len() >= KEY_CHARS_MIN
                && (norm(txn.bank_reference()) == k
                    || norm(txn.end_to_end_id()) == k
                    || crate::normalize::tokens(txn.remittance_info()).any(|x| norm(x) == k))
        };
        let mut pick = fit.clone();
        for k in [key, key.split('/').next().unwrap_or_default()] {
            if pick.len() > 1 {
                let narrowed: Vec<TxnIdx> =
                    fit.iter().copied().filter(|&t| carries(t, k)).collect();
                if !narrowed.is_empty() {
                    pick = narrowed;
                }
            }
        }
        match pick.as_slice() {
            [] => {}
            [t] => {
                taken.insert(*t);
                for &i in &members {
                    out[i] = Linked::To(Link {
                        txn: *t,
                        rule: LinkRule::DepositTotal,
                    });
                }
            }
            many => {
                for &i in &members {
                    out[i] = Linked::Ambiguous(format!(
                        "deposit {key} of {total} fits {} bank lines",
                        many.len()
                    ));
                }
            }
        }
    }
}

/// The last resort, for advices no key linked: amount + currency, date
/// within the window, same payer. Unique in both directions.
fn link_by_amount(batch: &Batch, advices: &[Advice], rules: &RemittanceRules, out: &mut [Linked]) {
    let open: Vec<usize> = (0..advices.len())
        .filter(|&i| out[i] == Linked::NotFound)
        .filter(|&i| advices[i].amount.is_some_and(|x| x > Decimal::ZERO))
        .collect();
    if open.is_empty() {
        return;
    }
    let mut by_amount: HashMap<(String, Decimal), Vec<TxnIdx>> = HashMap::new();
    for &i in &open {
        let a = &advices[i];
        by_amount
            .entry((a.currency.clone(), a.amount.unwrap_or_default().normalize()))
            .or_default();
    }
    for (t, txn) in batch.transactions.iter().enumerate() {
        if txn.amount() <= Decimal::ZERO {
            continue;
        }
        if let Some(list) =
            by_amount.get_mut(&(txn.currency().to_string(), txn.amount().normalize()))
        {
            list.push(t as TxnIdx);
        }
    }
    let window = i64::from(rules.link_window_days);
    let mut candidates: Vec<(usize, Vec<TxnIdx>)> = Vec::new();
    for &i in &open {
        let a = &advices[i];
        let Some(list) =
            by_amount.get(&(a.currency.clone(), a.amount.unwrap_or_default().normalize()))
        else {
            continue;
        };
        let fit: Vec<TxnIdx> = list
            .iter()
            .copied()
            .filter(|&t| {
                let txn = batch.transactions.get(t as usize);
                let date_ok = match (a.payment_date, txn.value_date().or(txn.booking_date())) {
                    (Some(p), Some(d)) => (d - p).num_days().abs() <= window,
                    _ => false,
                };
                date_ok && same_payer(a, txn.counterparty_account(), txn.counterparty_name())
            })
            .collect();
        candidates.push((i, fit));
    }
    let mut claimed: HashMap<TxnIdx, usize> = HashMap::new();
    for (_, fit) in &candidates {
        if let [t] = fit.as_slice() {
            *claimed.entry(*t).or_default() += 1;
        }
    }
    for (i, fit) in candidates {
        out[i] = match fit.as_slice() {
            [] => Linked::NotFound,
            [t] if claimed[t] == 1 => Linked::To(Link {
                txn: *t,
                rule: LinkRule::AmountDatePayer,
            }),
            _ => Linked::Ambiguous(format!(
                "amount {} of {} within {} days fits {} bank lines or another advice",
                advices[i].amount.unwrap_or_default(),
                advices[i].payer_name,
                window,
                fit.len().max(2)
            )),
        };
    }
}

/// The payer's account equals the bank line's counterparty account, or
/// (no account on either side) the names agree after normalisation; a
/// bank truncates names to 35 characters, so a prefix of at least 8
/// characters counts.
fn same_payer(a: &Advice, account: &str, name: &str) -> bool {
    let (aa, ta) = (norm(&a.payer_account), norm(account));
    if !aa.is_empty() && !ta.is_empty() {
        return aa == ta
            || (aa.len() >= 8 && ta.ends_with(&aa))
            || (ta.len() >= 8 && aa.ends_with(&ta));
    }
    let (an, tn) = (norm(&a.payer_name), norm(name));
    if an.is_empty() || tn.is_empty() {
        return false;
    }
    an == tn || (tn.len() >= 8 && an.starts_with(&tn)) || (an.len() >= 8 && tn.starts_with(&an))
}

/// What became of one advice line (stable codes in `remittances.parquet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineStatus {
    /// Applied to its invoice with `REMITTANCE_ADVICE`.
    Applied,
    /// The advice's cash has not arrived: it waits for a later run.
    Waiting,
    /// No bank line carries the advice's money and there is no state to wait in.
    Unlinked,
    /// The link was not unique: a person decides.
    AmbiguousLink,
    /// The line names an invoice that is not among the open items.
    UnknownInvoice,
    /// The reference names several open items.
    AmbiguousInvoice,
    /// The invoice is held out of matching.
    HeldInvoice,
    /// The invoice's currency is not the payment's.
    CurrencyMismatch,
    /// Nothing of the invoice is open any more.
    AlreadyPaid,
    /// The line clears more than the invoice has open.
    ExceedsOpen,
    /// The advice's lines pay more than its bank line carries.
    ExceedsPayment,
    /// A credit note or a line without a positive amount: it explains the
    /// payment, it does not move money.
    CreditNote,
    /// The file failed its control totals (accepted unbalanced): suggested only.
    CheckFailed,
    /// Proposed, but not applied (below threshold, pilot, or a better
    /// claim took the payment or invoice first): a suggestion.
    Suggested,
}

impl LineStatus {
    /// The stable code written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Applied => "applied",
            LineStatus::Waiting => "waiting",
            LineStatus::Unlinked => "unlinked",
            LineStatus::AmbiguousLink => "ambiguous_link",
            LineStatus::UnknownInvoice => "unknown_invoice",
            LineStatus::AmbiguousInvoice => "ambiguous_invoice",
            LineStatus::HeldInvoice => "held_invoice",
            LineStatus::CurrencyMismatch => "currency_mismatch",
            LineStatus::AlreadyPaid => "already_paid",
            LineStatus::ExceedsOpen => "exceeds_open",
            LineStatus::ExceedsPayment => "exceeds_payment",
            LineStatus::CreditNote => "credit_note",
            LineStatus::CheckFailed => "check_failed",
            LineStatus::Suggested => "suggested",
        }
    }
}

/// What the run did with one advice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdviceOutcome {
    /// Its bank line, when linked.
    pub link: Option<Link>,
    /// Why it was not linked, when ambiguous.
    pub detail: String,
    /// One status per advice line, in line order (one for an advice without lines).
    pub lines: Vec<LineStatus>,
}

impl AdviceOutcome {
    /// True when the advice's cash was not in this batch (it may wait for a later run).
    pub fn is_waiting(&self) -> bool {
        self.link.is_none() && self.lines.iter().all(|s| *s == LineStatus::Waiting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BankTransaction;

    fn txn(r: &str, amount: i64, text: &str) -> BankTransaction {
        BankTransaction {
            bank_reference: r.into(),
            account: "A".into(),
            currency: "USD".into(),
            amount: Decimal::new(amount, 2),
            value_date: NaiveDate::from_ymd_opt(2026, 3, 2),
            counterparty_name: "ACME CORPORATION".into(),
            remittance_info: text.into(),
            ..Default::default()
        }
    }

    fn advice(r: &str, amount: i64) -> Advice {
        Advice {
            format: "x12.820".into(),
            payment_reference: r.into(),
            currency: "USD".into(),
            amount: Some(Decimal::new(amount, 2)),
            payment_date: NaiveDate::from_ymd_opt(2026, 3, 1),
            payer_name: "Acme Corporation".into(),
            ..Default::default()
        }
    }

    fn batch(t: Vec<BankTransaction>) -> Batch {
        Batch {
            transactions: t.into(),
            open_items: Vec::new().into(),
            customers: Default::default(),
            as_of: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        }
    }

    #[test]
    fn a_trace_number_in_the_bank_text_links_and_a_reference_field_wins() {
        let b = batch(vec![
            txn("X1", 500, "TRN*1*998877*1234"),
            txn("998877", 500, ""),
            txn("X3", 700, "TRN*1*445566*1234"),
        ]);
        let l = link(
            &b,
            &[advice("998877", 500), advice("445566", 700)],
            &RemittanceRules::default(),
        );
        assert_eq!(
            l,
            vec![
                Linked::To(Link {
                    txn: 1,
                    rule: LinkRule::TraceNumber
                }),
                Linked::To(Link {
                    txn: 2,
                    rule: LinkRule::TraceNumber
                })
            ]
        );
    }

    #[test]
    fn amount_date_and_payer_link_only_when_unique_and_within_the_window() {
        let b = batch(vec![
            txn("B1", 1000, ""),
            txn("B2", 2000, ""),
            txn("B3", 2000, ""),
        ]);
        let rules = RemittanceRules::default();
        let l = link(&b, &[advice("", 1000), advice("", 2000)], &rules);
        assert_eq!(
            l[0],
            Linked::To(Link {
                txn: 0,
                rule: LinkRule::AmountDatePayer
            })
        );
        assert!(matches!(l[1], Linked::Ambiguous(_)));
        let mut late = advice("", 1000);
        late.payment_date = NaiveDate::from_ymd_opt(2026, 2, 20);
        assert_eq!(link(&b, &[late], &rules), vec![Linked::NotFound]);
    }

    #[test]
    fn two_advices_claiming_one_bank_line_link_neither() {
        let b = batch(vec![txn("777777", 1000, "")]);
        let l = link(
            &b,
            &[advice("777777", 1000), advice("777777", 1000)],
            &RemittanceRules::default(),
        );
        assert!(l.iter().all(|x| matches!(x, Linked::Ambiguous(_))));
    }

    #[test]
    fn several_advices_under_one_trace_link_when_they_add_up_to_the_credit() {
        let b = batch(vec![txn("X1", 1500, "TRN*1*998877")]);
        let rules = RemittanceRules::default();
        let l = link(&b, &[advice("998877", 1000), advice("998877", 500)], &rules);
        assert!(l.iter().all(|x| matches!(x, Linked::To(k) if k.txn == 0)));
        // Two copies of one advice do not add up: neither links.
        let l = link(
            &b,
            &[advice("998877", 1500), advice("998877", 1500)],
            &rules,
        );
        assert!(l.iter().all(|x| matches!(x, Linked::Ambiguous(_))));
    }

    #[test]
    fn a_lockbox_batch_links_to_the_deposit_of_its_total() {
        let cheque = |n: &str, amount: i64| Advice {
            format: "bai_lockbox".into(),
            payment_reference: n.into(),
            deposit_reference: "0417330/001".into(),
            payer_name: String::new(),
            ..advice(n, amount)
        };
        let b = batch(vec![
            txn("D1", 1500, "LOCKBOX 0417330 BATCH 001 DEPOSIT"),
            txn("D2", 1000, ""),
        ]);
        let rules = RemittanceRules::default();
        let l = link(
            &b,
            &[cheque("80000001", 1000), cheque("80000002", 500)],
            &rules,
        );
        assert_eq!(
            l,
            vec![
                Linked::To(Link {
                    txn: 0,
                    rule: LinkRule::DepositTotal
                });
                2
            ]
        );
        // Two credits of the total: the one naming the lockbox wins.
        let b = batch(vec![
            txn("D0", 1500, "OTHER"),
            txn("D1", 1500, "LOCKBOX 0417330 BATCH 001 DEPOSIT"),
        ]);
        let l = link(
            &b,
            &[cheque("80000001", 1000), cheque("80000002", 500)],
            &rules,
        );
        assert!(l.iter().all(|x| matches!(x, Linked::To(k) if k.txn == 1)));
        // Neither names it: nothing is guessed.
        let b = batch(vec![txn("D0", 1500, "A"), txn("D1", 1500, "B")]);
        let l = link(
            &b,
            &[cheque("80000001", 1000), cheque("80000002", 500)],
            &rules,
        );
        assert!(l.iter().all(|x| matches!(x, Linked::Ambiguous(_))));
    }
}
