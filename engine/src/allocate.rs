//! Allocation: the only place that changes balances.
//!
//! Passes only *propose*. The ledger accepts proposals in one deterministic
//! order (best confidence first, then earlier booking date, then bank
//! reference, then input position), so the outcome does not depend on which
//! thread produced a proposal or when. A proposal is accepted whole or not
//! at all: every transaction it names must still be unapplied and every
//! invoice must still have the open amount it clears.
//!
//! Credit notes are open items with a negative amount. A proposal may
//! consume one with a negative line (the payer netted it: cash + credit =
//! invoice); such a line never takes more than the credit note has open,
//! and a transaction's lines never add up to less than zero.

use crate::config::{PassRule, Pilot};
use crate::model::{
    Application, Batch, CustomerIdx, DeductionReason, Explanation, ItemIdx, PassStats, ReasonCode,
    Rule, Suggestion, TxnIdx,
};
use rust_decimal::{Decimal, RoundingStrategy};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Decimal places of a currency's minor unit: the one ISO 4217 table of
/// the project, shared with the parsers.
pub use cashmatch_parsers::currency::currency_exponent;

/// The engine's one rounding function: half-even ("banker's") to the
/// currency's minor unit, so that a discount of exactly half a cent rounds
/// the same way every time and has no bias over many invoices.
pub fn round_to_minor_unit(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        currency_exponent(currency),
        RoundingStrategy::MidpointNearestEven,
    )
}

/// One line of a proposal: money from one transaction to one invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalLine {
    /// The paying transaction.
    pub txn: TxnIdx,
    /// The invoice paid.
    pub item: ItemIdx,
    /// Cash taken from the transaction; negative on a credit note the
    /// payer netted (the credit note's open amount consumed, so that cash
    /// plus credit clears the invoice).
    pub applied: Decimal,
    /// Early-payment discount granted.
    pub discount: Decimal,
    /// Small difference written off.
    pub writeoff: Decimal,
    /// Shortfall the payer deducted (posted to the deduction account).
    pub deduction: Decimal,
    /// Why the payer deducted, when `deduction` is not zero.
    pub deduction_reason: Option<DeductionReason>,
}

impl ProposalLine {
    /// A line that applies `applied` cash and nothing else.
    pub fn cash(txn: TxnIdx, item: ItemIdx, applied: Decimal) -> Self {
        ProposalLine {
            txn,
            item,
            applied,
            discount: Decimal::ZERO,
            writeoff: Decimal::ZERO,
            deduction: Decimal::ZERO,
            deduction_reason: None,
        }
    }

    /// What the line takes off the invoice (same sum as
    /// [`Application::cleared_amount`]).
    fn cleared(&self) -> Decimal {
        self.applied + self.discount + self.writeoff + self.deduction
    }
}

/// What a cross-currency line gives in the payment's currency: the
/// line's `applied` is in the invoice's currency (what it clears), this is
/// the cash it takes from the payment (see [`crate::fx`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FxLine {
    /// Cash taken from the payment, in the payment's currency.
    pub payment_amount: Decimal,
    /// `payment_amount` converted at `rate` (invoice currency).
    pub invoice_amount: Decimal,
    /// Units of the invoice currency per unit of the payment currency.
    pub rate: Decimal,
    /// The rate's date.
    pub rate_date: chrono::NaiveDate,
    /// Who quoted the rate.
    pub rate_source: std::sync::Arc<str>,
}

/// A pass's claim: these transactions pay these invoices, for this reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Every transaction the proposal consumes (also those that contribute no
    /// line, e.g. a payment fully left on account is not proposed at all).
    pub txns: Vec<TxnIdx>,
    /// The money moved, line by line.
    pub lines: Vec<ProposalLine>,
    /// The rule that made the proposal.
    pub rule: Rule,
    /// In [0, 1]; compared with the pass's auto-apply and suggest thresholds.
    pub confidence: f64,
    /// Why, in words a collector reads (as data).
    pub explanation: Explanation,
    /// Customer the proposal is for (pilot filter, exceptions).
    pub customer: Option<CustomerIdx>,
    /// That customer's id, also when it came from an open item.
    pub customer_id: Option<String>,
}

/// Per-transaction findings that explain an exception if nothing applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Note {
    /// The exception reason this finding stands for.
    pub reason: Option<ReasonCode>,
    /// Higher wins; equal keeps the earlier note.
    pub priority: u8,
    /// What was found, for the exceptions queue.
    pub detail: String,
    /// The payer, when identified.
    pub customer: Option<CustomerIdx>,
    /// The payer's customer id, when known.
    pub customer_id: Option<String>,
    /// Ranked alternatives a person can accept.
    pub suggestions: Vec<Suggestion>,
}

/// The transactions' notes, stored only for those that have one: most
/// transactions are applied without a finding, so a dense `Vec<Note>` (~90
/// bytes each) was mostly empty defaults (issue 8: ~85 MiB per million
/// payments). A transaction's note is created the first time it is written
/// (`notes[t]` as a place, or [`Notes::get_mut`]); reading one that was
/// never written gives an empty note.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    /// Per transaction, the position of its note in `stored`, or [`NO_NOTE`].
    position: Vec<u32>,
    /// The notes written so far with their transaction, in order of first write.
    stored: Vec<(TxnIdx, Note)>,
}

/// `Notes::position` of a transaction without a note.
const NO_NOTE: u32 = u32::MAX;

/// What a transaction without a note reads.
static EMPTY_NOTE: Note = Note {
    reason: None,
    priority: 0,
    detail: String::new(),
    customer: None,
    customer_id: None,
    suggestions: Vec::new(),
};

impl Notes {
    /// No notes, for `txns` transactions.
    pub fn new(txns: usize) -> Self {
        Notes {
            position: vec![NO_NOTE; txns],
            stored: Vec::new(),
        }
    }

    /// Transactions covered (noted or not).
    pub fn len(&self) -> usize {
        self.position.len()
    }

    /// True when there are no transactions.
    pub fn is_empty(&self) -> bool {
        self.position.is_empty()
    }

    /// Transactions that have a note.
    pub fn noted(&self) -> usize {
        self.stored.len()
    }

    /// The note of `txn` (empty when none was written).
    pub fn get(&self, txn: usize) -> &Note {
        match self.position[txn] {
            NO_NOTE => &EMPTY_NOTE,
            k => &self.stored[k as usize].1,
        }
    }

    /// The note of `txn`, created empty on first use.
    pub fn get_mut(&mut self, txn: usize) -> &mut Note {
        let k = match self.position[txn] {
            NO_NOTE => {
                let k = self.stored.len();
                debug_assert!(k < NO_NOTE as usize, "fewer notes than transactions");
                self.stored.push((txn as TxnIdx, Note::default()));
                self.position[txn] = k as u32;
                k
            }
            k => k as usize,
        };
        &mut self.stored[k].1
    }

    /// Every written note with its transaction, in order of first write.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (TxnIdx, &mut Note)> {
        self.stored.iter_mut().map(|(t, n)| (*t, n))
    }
}

impl std::ops::Index<usize> for Notes {
    type Output = Note;
    fn index(&self, txn: usize) -> &Note {
        self.get(txn)
    }
}

impl std::ops::IndexMut<usize> for Notes {
    fn index_mut(&mut self, txn: usize) -> &mut Note {
        self.get_mut(txn)
    }
}

/// Running balances of one run.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Open amount left on each invoice.
    pub item_open: Vec<Decimal>,
    /// Cash left on each transaction (receipts only; 0 for debits).
    pub txn_remaining: Vec<Decimal>,
    /// True once a proposal consumed the transaction.
    pub txn_done: Vec<bool>,
    /// The transaction that first cleared each invoice in this run (duplicate detection).
    pub item_paid_by: Vec<Option<TxnIdx>>,
    /// Accepted applications, in acceptance order.
    pub applications: Vec<Application>,
    /// Per transaction, the best finding so far (explains its exception).
    pub notes: Notes,
    /// Legal entities: a line whose invoice belongs to a company the
    /// receiving account may not clear is refused, whichever pass proposed
    /// it (the passes' candidate lookups already leave such invoices out;
    /// this is the guarantee). Empty (every pair allowed) until the run sets it.
    pub companies: std::sync::Arc<crate::company::Companies>,
    /// Cross-currency applications, in acceptance order (what the payment
    /// gave for each; see [`crate::fx::FxApplication`]).
    pub fx: Vec<crate::fx::FxApplication>,
}

impl Ledger {
    /// Opening balances: every receipt unapplied, every open item as
    /// delivered (held items at zero).
    pub fn new(batch: &Batch) -> Self {
        Ledger {
            // A held item has nothing a payment may clear; passes that meet
            // it by reference report HELD_INVOICE instead of a match.
            item_open: batch
                .open_items
                .iter()
                .map(|i| {
                    if i.hold().is_some() {
                        Decimal::ZERO
                    } else {
                        i.amount_open()
                    }
                })
                .collect(),
            txn_remaining: batch
                .transactions
                .iter()
                .map(|t| {
                    if t.amount() > Decimal::ZERO {
                        t.amount()
                    } else {
                        Decimal::ZERO
                    }
                })
                .collect(),
            txn_done: batch
                .transactions
                .iter()
                .map(|t| t.amount() <= Decimal::ZERO)
                .collect(),
            item_paid_by: vec![None; batch.open_items.len()],
            applications: Vec::new(),
            notes: Notes::new(batch.transactions.len()),
            companies: Default::default(),
            fx: Vec::new(),
        }
    }

    /// True when the transaction is still waiting for a match.
    pub fn is_open(&self, txn: TxnIdx) -> bool {
        !self.txn_done[txn as usize]
    }

    /// Records why a transaction did not match, keeping the most specific note.
    pub fn note(&mut self, txn: TxnIdx, reason: ReasonCode, priority: u8, detail: String) {
        let n = &mut self.notes[txn as usize];
        if n.reason.is_none() || priority > n.priority {
            n.reason = Some(reason);
            n.priority = priority;
            n.detail = detail;
        }
    }

    /// Adds a ranked alternative for the exceptions queue.
    pub fn suggest(&mut self, txn: TxnIdx, suggestion: Suggestion) {
        let list = &mut self.notes[txn as usize].suggestions;
        if !list.iter().any(|s| {
            s.invoice_id == suggestion.invoice_id && s.customer_id == suggestion.customer_id
        }) {
            list.push(suggestion);
        }
    }

    fn fits(
        &self,
        p: &Proposal,
        fx: Option<&[FxLine]>,
        batch: &Batch,
    ) -> Result<(), (ReasonCode, String)> {
        // Cash a line takes from its transaction: in the payment's
        // currency, which differs from `applied` on a cross-currency line.
        let paid = |k: usize| match fx {
            Some(f) => f[k].payment_amount,
            None => p.lines[k].applied,
        };
        for &t in &p.txns {
            if self.txn_done[t as usize] {
                return Err((
                    ReasonCode::AmbiguousMatch,
                    "transaction already applied by a better proposal".into(),
                ));
            }
        }
        // Several lines may hit the same transaction or invoice; sum per key.
        // A transaction's lines are summed whole, not as a running prefix: a
        // credit-note line (negative) nets the invoice lines before or after
        // it, and for all-positive lines the whole sum is the largest prefix.
        if fx.is_some_and(|f| f.len() != p.lines.len()) {
            return Err((ReasonCode::NoMatch, "FX data for every line".into()));
        }
        for line in &p.lines {
            let spent: Decimal = p
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.txn == line.txn)
                .map(|(k, _)| paid(k))
                .sum();
            if spent > self.txn_remaining[line.txn as usize] || spent < Decimal::ZERO {
                return Err((
                    ReasonCode::AmbiguousMatch,
                    "proposal applies more than the payment".into(),
                ));
            }
        }
        for line in &p.lines {
            if !self.companies.allows(line.txn, line.item) {
                let invoice = batch.open_items.get(line.item as usize).invoice_id();
                return Err((
                    ReasonCode::OtherCompanyInvoice,
                    format!(
                        "invoice {invoice} belongs to company {}, the receiving account to company {}",
                        self.companies.item_code(line.item),
                        self.companies.txn_code(line.txn)
                    ),
                ));
            }
        }
        for (i, line) in p.lines.iter().enumerate() {
            let open = self.item_open[line.item as usize];
            if line.applied < Decimal::ZERO {
                // A credit note consumed: only an item that is itself a
                // credit (negative open amount), never more than it has
                // open, and nothing but the credit itself on the line.
                let consumed: Decimal = p.lines[..=i]
                    .iter()
                    .filter(|l| l.item == line.item)
                    .map(ProposalLine::cleared)
                    .sum();
                if open >= Decimal::ZERO
                    || consumed < open
                    || !line.discount.is_zero()
                    || !line.writeoff.is_zero()
                    || !line.deduction.is_zero()
                {
                    return Err((
                        ReasonCode::NoMatch,
                        "negative line on an item that is not an open credit note".into(),
                    ));
                }
                continue;
            }
            let cleared: Decimal = p.lines[..=i]
                .iter()
                .filter(|l| l.item == line.item)
                .map(ProposalLine::cleared)
                .sum();
            if cleared > open {
                let invoice = &batch.open_items.get(line.item as usize).invoice_id();
                return Err(match self.item_paid_by[line.item as usize] {
                    Some(_) => (
                        ReasonCode::DuplicatePayment,
                        format!(
                            "invoice {invoice} was already paid by an earlier payment in this run"
                        ),
                    ),
                    None => (
                        ReasonCode::AmountMismatch,
                        format!("invoice {invoice} has less open than the proposal clears"),
                    ),
                });
            }
            if line.discount < Decimal::ZERO
                || line.writeoff < Decimal::ZERO
                || line.deduction < Decimal::ZERO
            {
                return Err((ReasonCode::NoMatch, "negative line".into()));
            }
        }
        Ok(())
    }

    fn apply(&mut self, p: Proposal, fx: Option<Vec<FxLine>>) {
        for &t in &p.txns {
            self.txn_done[t as usize] = true;
        }
        let mut fx = fx.map(Vec::into_iter);
        for line in p.lines {
            match fx.as_mut().and_then(Iterator::next) {
                Some(f) => {
                    self.txn_remaining[line.txn as usize] -= f.payment_amount;
                    self.fx.push(crate::fx::FxApplication {
                        txn: line.txn,
                        item: line.item,
                        payment_amount: f.payment_amount,
                        invoice_amount: f.invoice_amount,
                        rate: f.rate,
                        rate_date: f.rate_date,
                        rate_source: f.rate_source,
                        gain_loss: f.invoice_amount - line.cleared(),
                    });
                }
                None => self.txn_remaining[line.txn as usize] -= line.applied,
            }
            self.item_open[line.item as usize] -= line.cleared();
            self.item_paid_by[line.item as usize].get_or_insert(line.txn);
            self.applications.push(Application {
                txn: line.txn,
                item: line.item,
                applied_amount: line.applied,
                discount_amount: line.discount,
                writeoff_amount: line.writeoff,
                deduction_amount: line.deduction,
                deduction_reason: line.deduction_reason,
                rule: p.rule,
                confidence: p.confidence,
                explanation: p.explanation.clone(),
            });
        }
    }

    /// Accepts a pass's proposals in the deterministic order. Proposals under
    /// the auto-apply threshold, or for customers outside the pilot, become
    /// suggestions on their transactions instead.
    pub fn accept(
        &mut self,
        batch: &Batch,
        pass: &str,
        rule_cfg: PassRule,
        pilot: &Pilot,
        proposals: Vec<Proposal>,
    ) -> PassStats {
        let proposals = proposals.into_iter().map(|p| (p, None)).collect();
        self.accept_fx(batch, pass, rule_cfg, pilot, proposals)
    }

    /// [`Ledger::accept`] for proposals that may be cross-currency: a
    /// proposal with FX lines (one per line) takes each line's
    /// `payment_amount` from its transaction instead of `applied`.
    pub fn accept_fx(
        &mut self,
        batch: &Batch,
        pass: &str,
        rule_cfg: PassRule,
        pilot: &Pilot,
        mut proposals: Vec<(Proposal, Option<Vec<FxLine>>)>,
    ) -> PassStats {
        let mut stats = PassStats {
            pass: pass.to_string(),
            proposals: proposals.len() as u64,
            ..Default::default()
        };
        proposals.sort_by(|a, b| proposal_order(batch, &a.0, &b.0));
        let pilot_set = PilotSet::new(batch, pilot);
        for (p, fx) in proposals {
            let auto = p.confidence >= rule_cfg.auto_apply_min;
            let pilot_ok = pilot_set.allows(batch, &p);
            if !auto || !pilot_ok {
                if p.confidence >= rule_cfg.suggest_min || !pilot_ok {
                    stats.suggestions += 1;
                    let (reason, why) = if pilot_ok {
                        (
                            ReasonCode::BelowThreshold,
                            format!(
                                "{} scored {:.2}, below auto-apply {:.2}",
                                p.rule.as_str(),
                                p.confidence,
                                rule_cfg.auto_apply_min
                            ),
                        )
                    } else {
                        (
                            ReasonCode::PilotExcluded,
                            format!(
                                "customer outside the pilot; {} would apply",
                                p.rule.as_str()
                            ),
                        )
                    };
                    self.record_suggestions(batch, &p, reason, why);
                }
                continue;
            }
            match self.fits(&p, fx.as_deref(), batch) {
                Ok(()) => {
                    stats.accepted += 1;
                    stats.transactions_applied += p.txns.len() as u64;
                    stats.amount_applied += p.lines.iter().map(|l| l.applied).sum::<Decimal>();
                    self.apply(p, fx);
                }
                Err((reason, detail)) => {
                    for &t in &p.txns {
                        if !self.txn_done[t as usize] {
                            self.note(t, reason, 30, detail.clone());
                        }
                    }
                }
            }
        }
        stats
    }

    fn record_suggestions(
        &mut self,
        batch: &Batch,
        p: &Proposal,
        reason: ReasonCode,
        detail: String,
    ) {
        for &t in &p.txns {
            if self.txn_done[t as usize] {
                continue;
            }
            self.note(t, reason, 20, detail.clone());
            if p.customer.is_some() && self.notes[t as usize].customer.is_none() {
                self.notes[t as usize].customer = p.customer;
                self.notes[t as usize].customer_id = p.customer_id.clone();
            }
            for line in p.lines.iter().filter(|l| l.txn == t) {
                let item = batch.open_items.get(line.item as usize);
                self.suggest(
                    t,
                    Suggestion {
                        customer_id: item.customer_id().to_string(),
                        invoice_id: item.invoice_id().to_string(),
                        score: p.confidence,
                        rule: p.rule,
                    },
                );
            }
        }
    }
}

/// The customers auto-application is allowed for; `None` when the pilot is
/// off. Built once per pass so that checking a proposal is a hash lookup,
/// not a scan of the customer master.
struct PilotSet<'b>(Option<HashSet<&'b str>>);

impl<'b> PilotSet<'b> {
    fn new(batch: &'b Batch, pilot: &'b Pilot) -> Self {
        if !pilot.enabled {
            return PilotSet(None);
        }
        let mut allowed: HashSet<&str> = pilot.customers.iter().map(String::as_str).collect();
        allowed.extend(
            batch
                .customers
                .iter()
                .filter(|c| {
                    c.segment()
                        .as_ref()
                        .is_some_and(|seg| pilot.segments.iter().any(|s| s == seg))
                })
                .map(|c| c.customer_id()),
        );
        PilotSet(Some(allowed))
    }

    /// True when every invoice of the proposal belongs to a pilot customer.
    fn allows(&self, batch: &Batch, p: &Proposal) -> bool {
        let Some(allowed) = &self.0 else {
            return true;
        };
        p.lines
            .iter()
            .all(|l| allowed.contains(batch.open_items.get(l.item as usize).customer_id()))
    }
}

/// Best confidence first, then earlier booking date (else value date), then
/// bank reference, then input position: a total order, so sorting is
/// deterministic.
fn proposal_order(batch: &Batch, a: &Proposal, b: &Proposal) -> Ordering {
    let first = |p: &Proposal| p.txns.iter().copied().min().unwrap_or(TxnIdx::MAX);
    // Booking date, not value date: of two transfers competing for one
    // invoice (a payer's duplicate), the one the bank booked first pays and
    // the later booking is the duplicate, even when its value date is a day
    // earlier (value dates are the sender's, booking order is the bank's).
    let date = |p: &Proposal| {
        p.txns
            .iter()
            .filter_map(|&t| {
                let txn = batch.transactions.get(t as usize);
                txn.booking_date().or(txn.value_date())
            })
            .min()
    };
    let bank_ref = |p: &Proposal| {
        let t = first(p) as usize;
        if t < batch.transactions.len() {
            batch.transactions.get(t).bank_reference()
        } else {
            ""
        }
    };
    let item = |p: &Proposal| p.lines.iter().map(|l| l.item).min().unwrap_or(ItemIdx::MAX);
    b.confidence
        .total_cmp(&a.confidence)
        .then_with(|| date(a).cmp(&date(b)))
        .then_with(|| bank_ref(a).cmp(bank_ref(b)))
        .then_with(|| first(a).cmp(&first(b)))
        .then_with(|| item(a).cmp(&item(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noted(reason: ReasonCode, priority: u8, detail: &str) -> Note {
        Note {
            reason: Some(reason),
            priority,
            detail: detail.to_string(),
            ..Note::default()
        }
    }

    #[test]
    fn notes_are_stored_only_for_transactions_written_to() {
        let mut notes = Notes::new(5);
        assert_eq!((notes.len(), notes.noted()), (5, 0));
        // Reading a transaction without a note neither creates one nor
        // differs from an empty note.
        assert_eq!(notes[3], Note::default());
        assert_eq!(notes.noted(), 0);
        notes[3] = noted(ReasonCode::NoMatch, 7, "no invoice quoted");
        notes[1].customer_id = Some("C-1".into());
        notes[3].priority = 9;
        assert_eq!(notes.noted(), 2);
        assert_eq!(notes[3].priority, 9);
        assert_eq!(notes[3].detail, "no invoice quoted");
        assert_eq!(notes[1].customer_id.as_deref(), Some("C-1"));
        assert_eq!(notes[0], Note::default());
        assert_eq!(notes[4], Note::default());
        // In order of first write, each with its transaction.
        let seen: Vec<(TxnIdx, u8)> = notes.iter_mut().map(|(t, n)| (t, n.priority)).collect();
        assert_eq!(seen, vec![(3, 9), (1, 0)]);
    }

    #[test]
    fn a_note_keeps_the_most_specific_finding_when_stored_sparsely() {
        let batch = Batch::default();
        let mut ledger = Ledger::new(&batch);
        ledger.notes = Notes::new(2);
        ledger.note(1, ReasonCode::NoMatch, 5, "first".into());
        ledger.note(1, ReasonCode::AmbiguousMatch, 3, "lower".into());
        assert_eq!(ledger.notes[1], noted(ReasonCode::NoMatch, 5, "first"));
        ledger.note(1, ReasonCode::AmbiguousMatch, 8, "higher".into());
        assert_eq!(
            ledger.notes[1],
            noted(ReasonCode::AmbiguousMatch, 8, "higher")
        );
        assert_eq!(ledger.notes[0], Note::default());
        assert_eq!(ledger.notes.noted(), 1);
    }
}
