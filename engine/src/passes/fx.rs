//! Cross-currency application and bank charges (issue 11, part 2; rules
//! and rates in [`crate::fx`]). Two stages, run by [`crate::apply_cash_with`]
//! only when a run has rates or a charge tolerance ([`crate::RunExtras::fx`]):
//!
//! - [`propose_references`], after the reference passes and before the
//!   customer passes: a payment whose references name invoices in another
//!   currency is converted at the rate of the pair and date and applied
//!   when it matches their open amount within the rate tolerance
//!   (`FX_REFERENCE`); no rate is `FX_RATE_MISSING`. A same-currency
//!   referenced payment short by no more than the bank-charge tolerance
//!   clears its invoices with the shortfall as bank charges
//!   (`BANK_CHARGES`), before the differences pass would call it a write-off
//!   or a short pay.
//! - [`propose_customer_amounts`], just before `unmatched`: a payment
//!   without references from an identified customer, none of whose
//!   same-currency items matched, pays the customer's one open item in
//!   another currency whose open amount the converted payment matches
//!   (`FX_CUSTOMER_AMOUNT`).

use super::support::{fmt_money, held_note, identified, invoice_ids, note, priority, proposal};
use super::{Context, PassNote};
use crate::allocate::round_to_minor_unit;
use crate::allocate::{FxLine, Ledger, Proposal, ProposalLine};
use crate::fx::{convert, FxInput};
use crate::model::{ItemIdx, ReasonCode, Rule, TxnIdx};
use crate::references::RefKind;
use rayon::prelude::*;
use rust_decimal::Decimal;

/// A referenced invoice paid in another currency, within the tolerance.
const FX_REFERENCE_CONFIDENCE: f64 = 0.95;
/// Several referenced invoices paid together in another currency.
const FX_REFERENCE_MANY_CONFIDENCE: f64 = 0.93;
/// The customer's one foreign-currency item of the converted amount;
/// multiplied by the identification confidence.
const FX_CUSTOMER_CONFIDENCE: f64 = 0.93;
/// A referenced payment short by bank charges.
const BANK_CHARGES_CONFIDENCE: f64 = 0.95;
/// Note priority of a missing rate: above the reference passes' currency
/// mismatch (40), which it explains better.
const RATE_MISSING_PRIORITY: u8 = 45;
/// Note priority of a converted amount outside the tolerance.
const OUT_OF_TOLERANCE_PRIORITY: u8 = 42;

/// A proposal and, when cross-currency, what each line takes from the
/// payment in its own currency.
pub type FxProposal = (Proposal, Option<Vec<FxLine>>);

/// Why a conversion did not produce lines.
enum Miss {
    /// No rate for the pair and date (or no date to pick one by).
    Rate(String),
    /// The converted payment is outside the tolerance.
    Tolerance(String),
}

/// Stage 1: references naming invoices in another currency, and
/// same-currency references short by bank charges.
pub fn propose_references(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
) -> (Vec<FxProposal>, Vec<PassNote>) {
    gather(ctx, ledger, |t| reference_one(ctx, ledger, input, t))
}

/// Stage 2: an identified customer's one foreign-currency item of the
/// converted amount.
pub fn propose_customer_amounts(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
) -> (Vec<FxProposal>, Vec<PassNote>) {
    if input.rates.is_empty() {
        return (Vec::new(), Vec::new());
    }
    gather(ctx, ledger, |t| customer_one(ctx, ledger, input, t))
}

fn gather<F>(ctx: &Context<'_>, ledger: &Ledger, one: F) -> (Vec<FxProposal>, Vec<PassNote>)
where
    F: Fn(TxnIdx) -> (Option<FxProposal>, Option<PassNote>) + Sync + Send,
{
    // In transaction order whatever the thread count.
    let results: Vec<(Option<FxProposal>, Option<PassNote>)> = (0..ctx.batch.transactions.len()
        as TxnIdx)
        .into_par_iter()
        .filter(|&t| ledger.is_open(t))
        .map(one)
        .collect();
    let mut proposals = Vec::new();
    let mut notes = Vec::new();
    for (p, n) in results {
        proposals.extend(p);
        notes.extend(n);
    }
    (proposals, notes)
}

fn reference_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
    t: TxnIdx,
) -> (Option<FxProposal>, Option<PassNote>) {
    let txn = ctx.batch.transactions.get(t as usize);
    // The invoices the payment names, found as the exact pass finds them
    // (the index over the whole text, kept where the extraction rules
    // agree, plus structured fields), and the payer's short forms.
    let refs = ctx.refs.get(t as usize);
    let window = ctx.rules.matching.reference_window_tokens_max.max(1);
    let mut items: Vec<ItemIdx> = Vec::new();
    ctx.references
        .find_in_text(ctx.batch, txn.remittance_info(), window, &mut items);
    items.retain(|&i| {
        matches!(
            refs.kind_of(i),
            Some(RefKind::Exact | RefKind::Structured | RefKind::ShortOfPayer)
        )
    });
    for r in txn.structured_refs() {
        let mut more = Vec::new();
        ctx.references.find_in_text(ctx.batch, r, window, &mut more);
        items.extend(more);
    }
    for i in refs.strict() {
        items.push(i);
    }
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(*i));
    // Short forms and repaired numbers of invoices in another currency: the
    // reference passes resolve them only in the payment's currency (the
    // amount or the payer's same-currency items confirm them there), so a
    // payment quoting `INV-2026-000123, 124` in USD for EUR invoices would
    // lose the second. Here the converted amount confirms them: they join
    // only when the whole set is worth the payment within the tolerance.
    let foreign = foreign_short_forms(ctx, ledger, t, &items);
    if !foreign.is_empty() && !input.rates.is_empty() {
        let mut with: Vec<ItemIdx> = items.clone();
        with.extend(foreign.iter().copied().filter(|i| seen.insert(*i)));
        if let Some(found) = referenced_fx(ctx, ledger, input, t, &with) {
            return (Some(found), None);
        }
    }
    if items.is_empty() {
        return (None, None);
    }
    if let Some(n) = held_note(ctx, t, &items) {
        return (None, Some(n));
    }
    if items
        .iter()
        .any(|&i| ledger.item_open[i as usize] <= Decimal::ZERO)
    {
        // Paid already or a credit note: the other passes explain it.
        return (None, None);
    }
    let open_items = &ctx.batch.open_items;
    let first_currency = open_items.get(items[0] as usize).currency();
    if items
        .iter()
        .any(|&i| open_items.get(i as usize).currency() != first_currency)
    {
        return (None, None);
    }
    if first_currency == txn.currency() {
        if input.rules.charges_enabled() {
            return (bank_charges(ctx, ledger, input, t, &items), None);
        }
        return (None, None);
    }
    if input.rates.is_empty() {
        // No `--rates` (charges only): CURRENCY_MISMATCH as before.
        return (None, None);
    }
    match fx_lines(ctx, ledger, input, t, &items, txn.amount()) {
        Ok((lines, fx, why)) => {
            let confidence = if items.len() == 1 {
                FX_REFERENCE_CONFIDENCE
            } else {
                FX_REFERENCE_MANY_CONFIDENCE
            };
            let what = if items.len() == 1 {
                "invoice"
            } else {
                "invoices"
            };
            let explanation = format!(
                "{what} {} in remittance, in {first_currency}; {why}",
                invoice_ids(ctx, &items)
            );
            let p = proposal(
                ctx,
                vec![t],
                lines,
                Rule::FxReference,
                confidence,
                explanation,
            );
            (Some((p, Some(fx))), None)
        }
        Err(miss) => {
            let (reason, prio, detail) = match miss {
                Miss::Rate(d) => (ReasonCode::FxRateMissing, RATE_MISSING_PRIORITY, d),
                Miss::Tolerance(d) => (ReasonCode::AmountMismatch, OUT_OF_TOLERANCE_PRIORITY, d),
            };
            let mut n = note(ctx, t, reason, prio, detail);
            n.customer_id
                .get_or_insert_with(|| open_items.get(items[0] as usize).customer_id().to_string());
            (None, Some(n))
        }
    }
}

/// Short-form and repaired references of transaction `t` to open items in
/// another currency than the payment's: candidates only (see
/// [`reference_one`]). A loose short number counts only among the items of
/// the payer identified by other evidence; an announced short form of an
/// identified payer only among the payer's items; and each numeric core must
/// name one item, or none of that core is taken.
fn foreign_short_forms(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    strong: &[ItemIdx],
) -> Vec<ItemIdx> {
    let txn = ctx.batch.transactions.get(t as usize);
    let refs = ctx.refs.get(t as usize);
    let payer_items = identified(ctx, t).map(|(party, ..)| &ctx.parties.items[party as usize]);
    let open_items = &ctx.batch.open_items;
    let candidates: Vec<ItemIdx> = refs
        .found
        .iter()
        .filter(|&&(i, kind)| {
            let it = open_items.get(i as usize);
            let of_payer = payer_items.map(|items| items.contains(&i));
            let kind_ok = match kind {
                RefKind::Canonical => of_payer != Some(false),
                RefKind::Short => of_payer != Some(false),
                RefKind::ShortLoose => of_payer == Some(true),
                _ => false,
            };
            kind_ok
                && !strong.contains(&i)
                && it.currency() != txn.currency()
                && it.hold().is_none()
                && ledger.item_open[i as usize] > Decimal::ZERO
        })
        .map(|&(i, _)| i)
        .collect();
    let core =
        |i: ItemIdx| crate::references::numeric_core(open_items.get(i as usize).invoice_id());
    candidates
        .iter()
        .copied()
        .filter(|&i| candidates.iter().filter(|&&j| core(j) == core(i)).count() == 1)
        .collect()
}

/// `FX_REFERENCE` for `items` when they are one currency other than the
/// payment's, all open, and worth the payment within the tolerance; `None`
/// otherwise (no note: the caller falls back to the references alone).
fn referenced_fx(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
    t: TxnIdx,
    items: &[ItemIdx],
) -> Option<FxProposal> {
    let txn = ctx.batch.transactions.get(t as usize);
    let open_items = &ctx.batch.open_items;
    let first_currency = open_items.get(*items.first()? as usize).currency();
    if first_currency == txn.currency()
        || items
            .iter()
            .any(|&i| open_items.get(i as usize).currency() != first_currency)
        || items
            .iter()
            .any(|&i| ledger.item_open[i as usize] <= Decimal::ZERO)
        || held_note(ctx, t, items).is_some()
    {
        return None;
    }
    let (lines, fx, why) = fx_lines(ctx, ledger, input, t, items, txn.amount()).ok()?;
    let confidence = if items.len() == 1 {
        FX_REFERENCE_CONFIDENCE
    } else {
        FX_REFERENCE_MANY_CONFIDENCE
    };
    let explanation = format!(
        "invoice(s) {} in remittance (short forms confirmed by the converted amount), in {first_currency}; {why}",
        invoice_ids(ctx, items)
    );
    let p = proposal(
        ctx,
        vec![t],
        lines,
        Rule::FxReference,
        confidence,
        explanation,
    );
    Some((p, Some(fx)))
}

/// Lines converting `amount` (payment currency) into `items` (one other
/// currency): each item cleared in full, the payment split over them in
/// proportion to what each is worth in the payment currency (the last
/// takes the rounding rest, so the lines add up to the payment exactly).
fn fx_lines(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
    t: TxnIdx,
    items: &[ItemIdx],
    amount: Decimal,
) -> Result<(Vec<ProposalLine>, Vec<FxLine>, String), Miss> {
    let txn = ctx.batch.transactions.get(t as usize);
    let pay_cur = txn.currency();
    let rules = &input.rules;
    let mut hits = Vec::with_capacity(items.len());
    let mut expected = Vec::with_capacity(items.len());
    for &i in items {
        let it = ctx.batch.open_items.get(i as usize);
        let date = match rules.rate_date {
            crate::fx::RateDate::ValueDate => txn.value_date().or(txn.booking_date()),
            crate::fx::RateDate::InvoiceDate => it.invoice_date(),
        };
        let Some(date) = date else {
            return Err(Miss::Rate(format!(
                "invoice {} is in {}, payment in {pay_cur}: no {} to pick a rate by",
                it.invoice_id(),
                it.currency(),
                rules.rate_date.as_str()
            )));
        };
        let Some(hit) = input
            .rates
            .find(pay_cur, it.currency(), date, rules.rate_max_age_days)
        else {
            return Err(Miss::Rate(format!(
                "invoice {} is in {cur}, payment in {pay_cur}: no {pay_cur}/{cur} rate dated {date} or up to {} days before",
                it.invoice_id(),
                rules.rate_max_age_days,
                cur = it.currency(),
            )));
        };
        let open = ledger.item_open[i as usize];
        let worth = open
            .checked_div(hit.rate)
            .map(|x| round_to_minor_unit(x, pay_cur))
            .ok_or_else(|| Miss::Tolerance("conversion overflow".into()))?;
        expected.push(worth);
        hits.push(hit);
    }
    let worth: Decimal = expected.iter().sum();
    let tolerance = rules.rate_tolerance_percent;
    if worth <= Decimal::ZERO || (amount - worth).abs() * Decimal::ONE_HUNDRED > worth * tolerance {
        return Err(Miss::Tolerance(format!(
            "invoice(s) {} open {} {} are worth {} {pay_cur} at {}; paid {}: more than {tolerance}% apart",
            invoice_ids(ctx, items),
            fmt_money(items.iter().map(|&i| ledger.item_open[i as usize]).sum()),
            ctx.batch.open_items.get(items[0] as usize).currency(),
            fmt_money(worth),
            hits.iter().map(|h| h.rate.to_string()).collect::<Vec<_>>().join("/"),
            fmt_money(amount)
        )));
    }
    let mut lines = Vec::with_capacity(items.len());
    let mut fx = Vec::with_capacity(items.len());
    let mut given = Decimal::ZERO;
    let mut gain = Decimal::ZERO;
    for (k, (&i, hit)) in items.iter().zip(&hits).enumerate() {
        let inv_cur = ctx.batch.open_items.get(i as usize).currency();
        let share = if k + 1 == items.len() {
            amount - given
        } else {
            round_to_minor_unit(amount * expected[k] / worth, pay_cur)
        };
        if share <= Decimal::ZERO {
            return Err(Miss::Tolerance("payment too small to split".into()));
        }
        given += share;
        let converted = convert(share, hit.rate, inv_cur)
            .ok_or_else(|| Miss::Tolerance("conversion overflow".into()))?;
        let open = ledger.item_open[i as usize];
        gain += converted - open;
        lines.push(ProposalLine::cash(t, i, open));
        fx.push(FxLine {
            payment_amount: share,
            invoice_amount: converted,
            rate: hit.rate,
            rate_date: hit.date,
            rate_source: hit.source.clone(),
        });
    }
    let inv_cur = ctx.batch.open_items.get(items[0] as usize).currency();
    let h = &hits[0];
    let result = if gain >= Decimal::ZERO {
        format!("realised FX gain {} {inv_cur}", fmt_money(gain))
    } else {
        format!("realised FX loss {} {inv_cur}", fmt_money(-gain))
    };
    let why = format!(
        "paid {} {pay_cur} at {pay_cur}/{inv_cur} {} ({} {}), within {tolerance}%; {result}",
        fmt_money(amount),
        h.rate.normalize(),
        h.source,
        h.date,
    );
    Ok((lines, fx, why))
}

fn bank_charges(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
    t: TxnIdx,
    items: &[ItemIdx],
) -> Option<FxProposal> {
    let txn = ctx.batch.transactions.get(t as usize);
    let cur = txn.currency();
    let open: Decimal = items.iter().map(|&i| ledger.item_open[i as usize]).sum();
    let shortfall = open - txn.amount();
    if !input.rules.is_charge(shortfall, open, cur) {
        return None;
    }
    // A shortfall that is exactly the discount the terms grant is the
    // discount (the differences pass), not a bank charge.
    let terms: Decimal = items
        .iter()
        .filter_map(|&i| {
            let it = ctx.batch.open_items.get(i as usize);
            it.discount_percent()
                .map(|p| round_to_minor_unit(it.amount_original() * p / Decimal::ONE_HUNDRED, cur))
        })
        .sum();
    if !terms.is_zero() && terms == shortfall {
        return None;
    }
    let (&last, rest) = items.split_last()?;
    let last_open = ledger.item_open[last as usize];
    if last_open <= shortfall {
        return None;
    }
    let mut lines: Vec<ProposalLine> = rest
        .iter()
        .map(|&i| ProposalLine::cash(t, i, ledger.item_open[i as usize]))
        .collect();
    let mut line = ProposalLine::cash(t, last, last_open - shortfall);
    line.writeoff = shortfall;
    lines.push(line);
    let explanation = format!(
        "invoice(s) {} in remittance, open {}, paid {}: the shortfall of {} {cur} is within the bank-charge tolerance (charges deducted in transit, SHA/OUR/BEN)",
        invoice_ids(ctx, items),
        fmt_money(open),
        fmt_money(txn.amount()),
        fmt_money(shortfall)
    );
    let p = proposal(
        ctx,
        vec![t],
        lines,
        Rule::BankCharges,
        BANK_CHARGES_CONFIDENCE,
        explanation,
    );
    Some((p, None))
}

fn customer_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    input: &FxInput,
    t: TxnIdx,
) -> (Option<FxProposal>, Option<PassNote>) {
    let Some((party, id_confidence, evidence, _)) = identified(ctx, t) else {
        return (None, None);
    };
    if ctx.refs.get(t as usize).has_any() {
        return (None, None);
    }
    let txn = ctx.batch.transactions.get(t as usize);
    let foreign: Vec<ItemIdx> = ctx.parties.items[party as usize]
        .iter()
        .copied()
        .filter(|&i| {
            let it = ctx.batch.open_items.get(i as usize);
            ledger.item_open[i as usize] > Decimal::ZERO
                && it.hold().is_none()
                && it.currency() != txn.currency()
        })
        .collect();
    let mut matched = Vec::new();
    for &i in &foreign {
        if let Ok(found) = fx_lines(ctx, ledger, input, t, &[i], txn.amount()) {
            matched.push((i, found));
            if matched.len() > 1 {
                break;
            }
        }
    }
    match matched.len() {
        1 => {
            let (i, (lines, fx, why)) = matched.pop().expect("one match");
            let it = ctx.batch.open_items.get(i as usize);
            let explanation = format!(
                "{evidence}; one open item in {} of the converted amount: {}; {why}",
                it.currency(),
                it.invoice_id()
            );
            let p = proposal(
                ctx,
                vec![t],
                lines,
                Rule::FxCustomerAmount,
                FX_CUSTOMER_CONFIDENCE * id_confidence,
                explanation,
            );
            (Some((p, Some(fx))), None)
        }
        0 => (None, None),
        _ => (
            None,
            Some(note(
                ctx,
                t,
                ReasonCode::AmbiguousMatch,
                priority::AMBIGUOUS,
                format!(
                    "several open items in other currencies match {} {} converted",
                    fmt_money(txn.amount()),
                    txn.currency()
                ),
            )),
        ),
    }
}
