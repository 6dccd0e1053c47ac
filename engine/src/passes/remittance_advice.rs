//! Pass 0, before the reference cascade: a remittance advice linked to a
//! receipt (see [`crate::remittance`]) says which invoices the money pays,
//! how much of each, the discount taken and the deduction with its reason.
//! Its lines drive the application line by line with rule
//! `REMITTANCE_ADVICE`; the payer's own statement beats anything the
//! cascade could infer from the bank text.
//!
//! Per line: the invoice is found by its exact reference key; the cash is
//! the amount paid (else the invoice amount less discount and deduction),
//! the discount is the one the advice states, and a negative adjustment is
//! a deduction with the advice's reason mapped through
//! `[remittance.deduction_reasons]`. A line that cannot be applied (unknown
//! invoice, held, other currency, nothing open, clears more than is open)
//! is reported with its own status and leaves a note on the transaction,
//! so the exception that carries the unapplied rest says why.
//!
//! The proposal is one per receipt, accepted whole or not at all: one
//! advice, or every advice of a deposit (a lockbox batch, several 820s
//! under one trace number) together. When no
//! line can be applied, nothing is proposed and the receipt goes through
//! the normal cascade. When some lines apply, the rest of the receipt stays
//! on account (`UNKNOWN_REFERENCE` when a line named an unknown invoice,
//! else `OVERPAYMENT`): the payer said what the money is for, so the
//! cascade must not spend the rest on invoices the payer did not name.

use super::support::fmt_money;
use super::Context;
use crate::allocate::{Ledger, Proposal, ProposalLine};
use crate::config::RemittanceRules;
use crate::model::{DeductionReason, ItemIdx, ReasonCode, Rule, TxnIdx};
use crate::normalize::{key_equals_tokens, reference_hash};
use crate::remittance::{Advice, AdviceOutcome, LineStatus, Link, LinkRule, Linked};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A unique key linked the advice: as sure as an exact reference.
const KEY_LINK_CONFIDENCE: f64 = 0.99;
/// Linked by amount, date and payer: the lines are the payer's own, the
/// link is inferred.
const AMOUNT_LINK_CONFIDENCE: f64 = 0.96;
/// The file failed its own control totals: never applied automatically.
const CHECK_FAILED_CONFIDENCE: f64 = 0.6;
/// The priority of this pass's notes: above every cascade note, since the
/// payer's advice is the most specific evidence there is.
pub const NOTE_PRIORITY: u8 = 95;

/// A note this pass leaves on a transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct AdviceNote {
    /// The receipt.
    pub txn: TxnIdx,
    /// The exception reason if the note explains the unapplied money.
    pub reason: ReasonCode,
    /// Words for the exceptions queue.
    pub detail: String,
}

/// Proposals (one per linked advice whose lines apply), notes, and the
/// outcome of every advice as far as this pass knows it; `proposed[i]` is
/// true when advice `i` has a proposal (its lines are `Applied` only if the
/// ledger accepts it: see [`settle`]).
pub struct Proposed {
    /// For [`Ledger::accept`].
    pub proposals: Vec<Proposal>,
    /// For the exceptions stage.
    pub notes: Vec<AdviceNote>,
    /// One per advice, in advice order.
    pub outcomes: Vec<AdviceOutcome>,
    /// The advices each proposal came from, in proposal order (the
    /// advices of a deposit share one proposal and are listed together).
    pub proposal_advice: Vec<usize>,
}

/// Builds the proposals of every linked advice.
pub fn propose(
    ctx: &Context<'_>,
    ledger: &Ledger,
    advices: &[Advice],
    links: &[Linked],
    rules: &RemittanceRules,
    waiting_allowed: bool,
) -> Proposed {
    let mut out = Proposed {
        proposals: Vec::new(),
        notes: Vec::new(),
        outcomes: Vec::with_capacity(advices.len()),
        proposal_advice: Vec::new(),
    };
    let mut outcomes: Vec<Option<AdviceOutcome>> = vec![None; advices.len()];
    // The advices of one receipt (one advice, or the several of a deposit)
    // make one proposal: the ledger closes a transaction with the first
    // proposal it accepts on it.
    let mut by_txn: std::collections::BTreeMap<TxnIdx, Vec<usize>> = Default::default();
    for (i, (a, l)) in advices.iter().zip(links).enumerate() {
        let n = a.lines.len().max(1);
        match l {
            Linked::To(link) => by_txn.entry(link.txn).or_default().push(i),
            Linked::Ambiguous(why) => {
                outcomes[i] = Some(AdviceOutcome {
                    link: None,
                    detail: why.clone(),
                    lines: vec![LineStatus::AmbiguousLink; n],
                });
            }
            Linked::NotFound => {
                let s = if waiting_allowed {
                    LineStatus::Waiting
                } else {
                    LineStatus::Unlinked
                };
                outcomes[i] = Some(AdviceOutcome {
                    link: None,
                    detail: String::new(),
                    lines: vec![s; n],
                });
            }
        }
    }
    let mut first_of: Vec<(usize, TxnIdx)> = by_txn.iter().map(|(&t, m)| (m[0], t)).collect();
    first_of.sort_unstable();
    for (_, t) in first_of {
        let members = &by_txn[&t];
        // Only linked advices were grouped.
        let group: Vec<(&Advice, Link)> = members
            .iter()
            .filter_map(|&i| match &links[i] {
                Linked::To(link) => Some((&advices[i], *link)),
                _ => None,
            })
            .collect();
        let (group_outcomes, proposal, notes) = one(ctx, ledger, &group, rules);
        out.notes.extend(notes);
        if let Some(p) = proposal {
            out.proposals.push(p);
            out.proposal_advice.extend(members.iter().copied());
        }
        for (&i, o) in members.iter().zip(group_outcomes) {
            outcomes[i] = Some(o);
        }
    }
    // Every advice got its outcome above (linked ones through their group).
    out.outcomes = outcomes
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    out
}

/// The proposal of the advices linked to one receipt (one advice, or the
/// several of a deposit), and each advice's outcome in `group` order.
fn one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    group: &[(&Advice, Link)],
    rules: &RemittanceRules,
) -> (Vec<AdviceOutcome>, Option<Proposal>, Vec<AdviceNote>) {
    let t = group[0].1.txn;
    let batch = ctx.batch;
    let txn = batch.transactions.get(t as usize);
    let mut lines: Vec<ProposalLine> = Vec::new();
    let mut notes = Vec::new();
    let mut taken: HashMap<ItemIdx, Decimal> = HashMap::new();
    let mut all_statuses: Vec<Vec<LineStatus>> = Vec::with_capacity(group.len());
    let mut parts: Vec<String> = Vec::with_capacity(group.len());
    for &(a, link) in group {
        let mut statuses = Vec::with_capacity(a.lines.len().max(1));
        let mut words: Vec<String> = Vec::new();
        if a.lines.is_empty() {
            statuses.push(LineStatus::CreditNote);
        }
        for line in &a.lines {
            let lookup = |reference: &str| -> Vec<ItemIdx> {
                if reference.is_empty() {
                    return Vec::new();
                }
                ctx.references
                    .lookup(reference_hash(reference))
                    .iter()
                    .copied()
                    .filter(|&i| {
                        key_equals_tokens(
                            batch.open_items.get(i as usize).invoice_id(),
                            &[reference],
                        )
                    })
                    .collect()
            };
            let mut reference = line.invoice_reference.trim();
            let mut found: Vec<ItemIdx> = lookup(reference);
            // The line's own number names nothing (a PO or RGA number): the
            // invoice number the remitter gave beside it (X12 `REF*IV`).
            if found.is_empty() {
                for other in &line.other_invoice_references {
                    let hit = lookup(other.trim());
                    if !hit.is_empty() {
                        reference = other.trim();
                        found = hit;
                        break;
                    }
                }
            }
            let paid = line.amount_paid.or_else(|| {
                line.invoice_amount.map(|x| {
                    x - line.discount.unwrap_or_default() + line.adjustment.unwrap_or_default()
                })
            });
            let paid = paid.filter(|p| *p > Decimal::ZERO && !line.credit);
            let status = match (found.as_slice(), paid) {
                (_, None) => LineStatus::CreditNote,
                ([], _) => LineStatus::UnknownInvoice,
                ([_, _, ..], _) => LineStatus::AmbiguousInvoice,
                ([item], Some(paid)) => {
                    let it = batch.open_items.get(*item as usize);
                    let discount = line.discount.unwrap_or_default().max(Decimal::ZERO);
                    let deduction = (-line.adjustment.unwrap_or_default()).max(Decimal::ZERO);
                    let clears = paid + discount + deduction;
                    let open = ledger.item_open[*item as usize]
                        - taken.get(item).copied().unwrap_or_default();
                    if it.hold().is_some() {
                        LineStatus::HeldInvoice
                    } else if it.currency() != txn.currency() {
                        LineStatus::CurrencyMismatch
                    } else if open <= Decimal::ZERO {
                        LineStatus::AlreadyPaid
                    } else if clears > open {
                        LineStatus::ExceedsOpen
                    } else {
                        *taken.entry(*item).or_default() += clears;
                        let reason = (!deduction.is_zero()).then(|| {
                            if line.adjustment_reason.trim().is_empty() {
                                DeductionReason::Unspecified
                            } else {
                                rules.deduction_reason(&line.adjustment_reason)
                            }
                        });
                        let mut w = format!("{} paid {}", it.invoice_id(), fmt_money(paid));
                        if !discount.is_zero() {
                            w.push_str(&format!(", discount {}", fmt_money(discount)));
                        }
                        if !deduction.is_zero() {
                            w.push_str(&format!(
                                ", deduction {} (advice reason {})",
                                fmt_money(deduction),
                                if line.adjustment_reason.is_empty() {
                                    "not stated"
                                } else {
                                    line.adjustment_reason.as_str()
                                }
                            ));
                        }
                        words.push(w);
                        lines.push(ProposalLine {
                            txn: t,
                            item: *item,
                            applied: paid,
                            discount,
                            writeoff: Decimal::ZERO,
                            deduction,
                            deduction_reason: reason,
                        });
                        LineStatus::Applied
                    }
                }
            };
            if !matches!(status, LineStatus::Applied | LineStatus::CreditNote) {
                notes.push(AdviceNote {
                    txn: t,
                    reason: match status {
                        LineStatus::UnknownInvoice => ReasonCode::UnknownReference,
                        LineStatus::HeldInvoice => ReasonCode::HeldInvoice,
                        LineStatus::CurrencyMismatch => ReasonCode::CurrencyMismatch,
                        LineStatus::AlreadyPaid => ReasonCode::DuplicatePayment,
                        LineStatus::AmbiguousInvoice => ReasonCode::AmbiguousMatch,
                        _ => ReasonCode::AmountMismatch,
                    },
                    detail: format!(
                        "remittance advice {} ({}) line for invoice {}: {}",
                        a.advice_id,
                        a.format,
                        if reference.is_empty() {
                            "(none)"
                        } else {
                            reference
                        },
                        status.as_str()
                    ),
                });
            }
            statuses.push(status);
        }
        parts.push(format!(
            "remittance advice {} ({}) linked by {} {}: {}",
            a.advice_id,
            a.format,
            link.rule.as_str(),
            if link.rule == LinkRule::AmountDatePayer {
                a.payer_name.as_str()
            } else if link.rule == LinkRule::AccountServicerReference {
                a.alt_reference.as_str()
            } else if link.rule == LinkRule::DepositTotal {
                a.deposit_reference.as_str()
            } else {
                a.payment_reference.as_str()
            },
            words.join("; ")
        ));
        all_statuses.push(statuses);
    }
    let cash: Decimal = lines.iter().map(|l| l.applied).sum();
    if cash > ledger.txn_remaining[t as usize] {
        for s in all_statuses
            .iter_mut()
            .flatten()
            .filter(|s| **s == LineStatus::Applied)
        {
            *s = LineStatus::ExceedsPayment;
        }
        let a = group[0].0;
        notes.push(AdviceNote {
            txn: t,
            reason: ReasonCode::AmountMismatch,
            detail: format!(
                "remittance advice {} ({}){} pays {} but its bank line carries {}",
                a.advice_id,
                a.format,
                if group.len() > 1 {
                    format!(" and {} more of its deposit", group.len() - 1)
                } else {
                    String::new()
                },
                fmt_money(cash),
                fmt_money(ledger.txn_remaining[t as usize])
            ),
        });
        lines.clear();
    }
    let outcomes: Vec<AdviceOutcome> = group
        .iter()
        .zip(all_statuses)
        .map(|(&(_, link), statuses)| AdviceOutcome {
            link: Some(link),
            detail: String::new(),
            lines: statuses,
        })
        .collect();
    if lines.is_empty() {
        return (outcomes, None, notes);
    }
    // The weakest member decides: one failed file or inferred link makes
    // the whole deposit a suggestion as it would alone.
    let confidence = group
        .iter()
        .map(|&(a, link)| {
            if a.check_failed {
                CHECK_FAILED_CONFIDENCE
            } else if link.rule == LinkRule::AmountDatePayer {
                AMOUNT_LINK_CONFIDENCE
            } else {
                KEY_LINK_CONFIDENCE
            }
        })
        .fold(KEY_LINK_CONFIDENCE, f64::min);
    let explanation = parts.join(" | ");
    let p = super::support::proposal(
        ctx,
        vec![t],
        lines,
        Rule::RemittanceAdvice,
        confidence,
        explanation,
    );
    (outcomes, Some(p), notes)
}

/// After the ledger accepted (or refused) the proposals: lines of a refused
/// proposal become `Suggested` (or `CheckFailed`).
pub fn settle(proposed: &mut Proposed, ledger: &Ledger, advices: &[Advice]) {
    for &i in &proposed.proposal_advice {
        let outcome = &mut proposed.outcomes[i];
        let Some(link) = outcome.link else { continue };
        let applied = ledger
            .applications
            .iter()
            .any(|x| x.txn == link.txn && x.rule == Rule::RemittanceAdvice);
        if !applied {
            let s = if advices[i].check_failed {
                LineStatus::CheckFailed
            } else {
                LineStatus::Suggested
            };
            for l in outcome
                .lines
                .iter_mut()
                .filter(|l| **l == LineStatus::Applied)
            {
                *l = s;
            }
        }
    }
}
