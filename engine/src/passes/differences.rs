//! Pass 6: the payer quoted the invoice (structured or exact reference) but
//! paid a different amount. In order:
//!
//! * nothing of the invoice is open any more: a duplicate payment, left on
//!   account (`DUPLICATE_PAYMENT`), never pushed onto another invoice;
//! * more than open: the invoice is cleared and the rest stays on account
//!   (`OVERPAYMENT`);
//! * short by exactly the open credit note(s) the payer quoted (`INV-1001
//!   less credit note CN-2001`): the invoice is cleared in full with the cash
//!   and the credit note, consumed by a negative application (credit notes
//!   are open items with a negative amount);
//! * exactly the discounted amount within the discount terms: early-payment
//!   discount granted;
//! * short by exactly the one open credit note of the customer that has that
//!   amount, quoted or not: netted the same way;
//! * short by no more than `writeoff_max_amount` and `writeoff_max_percent`
//!   (and no dispute keyword): the difference is written off;
//! * short otherwise (one invoice): the cash is applied and the shortfall is
//!   a deduction (`deduction_amount`, with the reason the remittance gives).
//!
//! Every difference is checked against the payer first: a payer identified
//! by its own evidence (account, customer number, purchase order, name) who
//! is not the quoted invoices' customer, nor of its group, gets a person
//! instead of an automatic difference.
//!
//! Deduction semantics (as SAP's and HighRadius' deduction management do it):
//! the deduction clears the rest of the invoice from the receivable and the
//! journal debits it to the deduction account (`[gl] deduction`), where the
//! deductions team resolves it (credit note, or collection). The invoice's
//! status after the run is `cleared_with_deduction`.

use super::support::{
    each_open_txn, fmt_money, held_note, identified, invoice_ids, note, priority, proposal,
    suggest_item,
};
use super::{Context, Pass, PassNote};
use crate::allocate::{round_to_minor_unit, Ledger, Proposal, ProposalLine};
use crate::config::{PassRule, Rules};
use crate::identify::IdMethod;
use crate::model::{DeductionReason, ItemIdx, ReasonCode, Rule, TxnIdx};
use rust_decimal::Decimal;
use std::sync::LazyLock;

/// How payers say they netted a credit note, one phrase per line
/// (`engine/data/credit_note_words.txt`), as lower-case word sequences.
static CREDIT_NOTE_WORDS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    include_str!("../../data/credit_note_words.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| crate::normalize::tokens(l).map(str::to_lowercase).collect())
        .collect()
});

/// True when the remittance says a credit note was netted (`less credit
/// note`, `abzgl. Gutschrift`, `moins avoir`, ...): a phrase of
/// [`CREDIT_NOTE_WORDS`] appears as whole words.
pub fn states_credit_note(text: &str) -> bool {
    let words: Vec<String> = crate::normalize::tokens(text)
        .take(64)
        .map(str::to_lowercase)
        .collect();
    CREDIT_NOTE_WORDS.iter().any(|phrase| {
        !phrase.is_empty()
            && words
                .windows(phrase.len())
                .any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
    })
}

/// Exactly the discounted amount within terms: the arithmetic confirms it.
const DISCOUNT_CONFIDENCE: f64 = 0.95;
/// More than open: the invoice is certainly paid; the rest waits on account.
const OVERPAYMENT_CONFIDENCE: f64 = 0.93;
/// Scales an overpayment beyond `overpayment_max_percent` below auto-apply.
const FAR_OVERPAYMENT_FACTOR: f64 = 0.8;
/// Some quoted invoices already paid, the others' open amounts equal the payment.
const PARTLY_PAID_CONFIDENCE: f64 = 0.9;
/// A few cents short.
const WRITEOFF_CONFIDENCE: f64 = 0.93;
/// Short with a stated reason.
const SHORT_PAY_REASON_CONFIDENCE: f64 = 0.9;
/// Short without a reason: still the quoted invoice (B3-26), slightly less sure.
const SHORT_PAY_CONFIDENCE: f64 = 0.87;
/// Score of the quoted invoices when nothing applies.
const DIFFERENCE_SCORE: f64 = 0.6;
/// The payer quoted the credit note and the invoice, and the payment is
/// exactly the invoice less the credit.
const CREDIT_NOTE_QUOTED_CONFIDENCE: f64 = 0.95;
/// Not quoted, but the remittance says a credit note was netted and the
/// customer has exactly one open credit note of the shortfall.
const CREDIT_NOTE_STATED_CONFIDENCE: f64 = 0.92;
/// Neither quoted nor stated: the customer's one open credit note of
/// exactly the shortfall. Arithmetic to the cent, so still above auto-apply.
const CREDIT_NOTE_INFERRED_CONFIDENCE: f64 = 0.88;
/// Percent → fraction.
const PERCENT: Decimal = Decimal::ONE_HUNDRED;

/// Stems of short-payment reasons in the main EU languages, in file order
/// (`engine/data/deduction_reason_words.txt`: `CODE stem` per line), matched
/// anywhere in the lower-cased remittance. A line whose code is not a
/// reason is a mistake in the list, caught by its test.
static REASON_WORDS: LazyLock<Vec<(String, DeductionReason)>> = LazyLock::new(|| {
    include_str!("../../data/deduction_reason_words.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (code, stem) = l.split_once(char::is_whitespace)?;
            let reason = DeductionReason::from_code(code)?;
            Some((stem.trim().to_lowercase(), reason))
        })
        .filter(|(stem, _)| !stem.is_empty())
        .collect()
});

/// The deduction reason a remittance text states, if any: the reason of the
/// stem found first in the text.
pub fn deduction_reason(text: &str) -> Option<DeductionReason> {
    let lower = text.to_lowercase();
    REASON_WORDS
        .iter()
        .filter_map(|(k, r)| lower.find(k.as_str()).map(|pos| (pos, *r)))
        .min_by_key(|&(pos, _)| pos)
        .map(|(_, r)| r)
}

/// Payment differences.
pub struct Differences;

impl Pass for Differences {
    fn name(&self) -> &'static str {
        "differences"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.reference_with_difference
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        each_open_txn(ctx, ledger, notes, |t| propose_one(ctx, ledger, t))
    }
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
) -> (Option<Proposal>, Option<PassNote>) {
    let txn = ctx.batch.transactions.get(t as usize);
    let refs = ctx.refs.get(t as usize);
    // Credit notes (open items with a negative open amount) the payer
    // quoted: they explain a shortfall, they are not invoices paid.
    let is_credit = |i: ItemIdx| ledger.item_open[i as usize] < Decimal::ZERO;
    let mut quoted_credits: Vec<ItemIdx> = refs.resolved().filter(|&i| is_credit(i)).collect();
    quoted_credits.sort_unstable();
    quoted_credits.dedup();
    let mut items: Vec<ItemIdx> = refs.strict().filter(|&i| !is_credit(i)).collect();
    items.dedup();
    if items.is_empty()
        || items
            .iter()
            .chain(&quoted_credits)
            .any(|&i| ctx.batch.open_items.get(i as usize).currency() != txn.currency())
    {
        return (None, None);
    }
    if let Some(n) = held_note(ctx, t, &items) {
        return (None, Some(n));
    }
    let (live, paid): (Vec<ItemIdx>, Vec<ItemIdx>) = items
        .iter()
        .partition(|&&i| ledger.item_open[i as usize] > Decimal::ZERO);
    if live.is_empty() {
        return (None, Some(duplicate(ctx, ledger, t, &paid)));
    }
    let open: Decimal = live.iter().map(|&i| ledger.item_open[i as usize]).sum();
    let ids = invoice_ids(ctx, &live);
    if txn.amount() != open {
        if let Some(n) = payer_misfit(ctx, t, &live, open) {
            return (None, Some(n));
        }
    }
    let clear = |confidence: f64, explanation: String| {
        let lines = live
            .iter()
            .map(|&i| ProposalLine::cash(t, i, ledger.item_open[i as usize]))
            .collect();
        Some(proposal(
            ctx,
            vec![t],
            lines,
            Rule::ReferenceWithDifference,
            confidence,
            explanation,
        ))
    };
    if txn.amount() > open {
        let rest = fmt_money(txn.amount() - open);
        let confidence = if (txn.amount() - open) * PERCENT
            <= open * ctx.rules.differences.overpayment_max_percent
        {
            OVERPAYMENT_CONFIDENCE
        } else {
            // Far more than the invoice: more likely a wrong reference than
            // an overpayment, so a person looks first.
            OVERPAYMENT_CONFIDENCE * FAR_OVERPAYMENT_FACTOR
        };
        let explanation = format!(
            "invoice(s) {ids} in remittance; paid {} against open {}: {rest} left on account",
            fmt_money(txn.amount()),
            fmt_money(open)
        );
        return (clear(confidence, explanation), None);
    }
    if txn.amount() == open {
        let explanation = format!(
            "invoice(s) {} already paid; open amounts of {ids} equal the payment",
            invoice_ids(ctx, &paid)
        );
        return (clear(PARTLY_PAID_CONFIDENCE, explanation), None);
    }
    if let Some(p) = credit_note_quoted(ctx, ledger, t, &live, &quoted_credits, open) {
        return (Some(p), None);
    }
    if let Some(p) = discount(ctx, ledger, t, &live) {
        return (Some(p), None);
    }
    let shortfall = open - txn.amount();
    if quoted_credits.is_empty() {
        if let Some(p) = credit_note_unquoted(ctx, ledger, t, &live, shortfall) {
            return (Some(p), None);
        }
    }
    let d = &ctx.rules.differences;
    let reason = deduction_reason(txn.remittance_info());
    if reason.is_none()
        && shortfall <= d.writeoff_max_amount
        && shortfall * PERCENT <= open * d.writeoff_max_percent
    {
        return (Some(writeoff(ctx, ledger, t, &live, shortfall)), None);
    }
    if let ([item], true) = (live.as_slice(), d.short_pay_enabled) {
        let reason = reason.unwrap_or(DeductionReason::Unspecified);
        let line = ProposalLine {
            deduction: shortfall,
            deduction_reason: Some(reason),
            ..ProposalLine::cash(t, *item, txn.amount())
        };
        let confidence = if reason == DeductionReason::Unspecified {
            SHORT_PAY_CONFIDENCE
        } else {
            SHORT_PAY_REASON_CONFIDENCE
        };
        let explanation = format!(
            "invoice {ids} in remittance; short by {} ({}), posted to the deduction account",
            fmt_money(shortfall),
            reason.as_str()
        );
        return (
            Some(proposal(
                ctx,
                vec![t],
                vec![line],
                Rule::ReferenceWithDifference,
                confidence,
                explanation,
            )),
            None,
        );
    }
    let mut n = note(
        ctx,
        t,
        ReasonCode::AmountMismatch,
        priority::DIFFERENCE,
        format!(
            "invoice(s) {ids} in remittance; open {} vs paid {}: no discount, write-off or short-pay rule fits",
            fmt_money(open),
            fmt_money(txn.amount())
        ),
    );
    n.suggestions = live
        .iter()
        .map(|&i| suggest_item(ctx, i, DIFFERENCE_SCORE, Rule::ReferenceWithDifference))
        .collect();
    (None, Some(n))
}

/// A note when the payer is known by evidence of its own (account, customer
/// number, purchase order or name) and is not the customer of the quoted
/// invoices (nor of its group): applying a difference against the evidence
/// would clear someone else's invoice on a guess, so a person decides.
fn payer_misfit(ctx: &Context<'_>, t: TxnIdx, live: &[ItemIdx], open: Decimal) -> Option<PassNote> {
    let (payer, _, evidence, method) = identified(ctx, t)?;
    if method == IdMethod::InvoiceReference {
        // Identified *by* these invoices: nothing independent to compare.
        return None;
    }
    let other = live.iter().copied().find(|&i| {
        !ctx.parties
            .same_group(payer, ctx.parties.of_item(ctx.batch, i))
    })?;
    let owner = ctx.batch.open_items.get(other as usize).customer_id();
    let txn = ctx.batch.transactions.get(t as usize);
    let mut n = note(
        ctx,
        t,
        ReasonCode::AmountMismatch,
        priority::DIFFERENCE,
        format!(
            "invoice(s) {} in remittance belong to customer {owner}, but {evidence}; open {} vs paid {}: a difference is not applied against the payer's identity",
            invoice_ids(ctx, live),
            fmt_money(open),
            fmt_money(txn.amount())
        ),
    );
    n.suggestions = live
        .iter()
        .map(|&i| suggest_item(ctx, i, DIFFERENCE_SCORE, Rule::ReferenceWithDifference))
        .collect();
    Some(n)
}

/// The quoted invoices cleared in full with the cash and `credits`, each
/// consumed whole (a negative application: cash + credit = invoice).
fn net_credit_notes(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    live: &[ItemIdx],
    credits: &[ItemIdx],
    confidence: f64,
    how: &str,
) -> Proposal {
    let mut lines: Vec<ProposalLine> = live
        .iter()
        .map(|&i| ProposalLine::cash(t, i, ledger.item_open[i as usize]))
        .collect();
    lines.extend(
        credits
            .iter()
            .map(|&c| ProposalLine::cash(t, c, ledger.item_open[c as usize])),
    );
    let credit: Decimal = credits.iter().map(|&c| -ledger.item_open[c as usize]).sum();
    let explanation = format!(
        "invoice(s) {} in remittance; paid {} = open {} less credit note(s) {} of {} ({how}): credit note consumed",
        invoice_ids(ctx, live),
        fmt_money(ctx.batch.transactions.get(t as usize).amount()),
        fmt_money(live.iter().map(|&i| ledger.item_open[i as usize]).sum()),
        invoice_ids(ctx, credits),
        fmt_money(credit)
    );
    proposal(
        ctx,
        vec![t],
        lines,
        Rule::ReferenceWithDifference,
        confidence,
        explanation,
    )
}

/// Credit notes the payer quoted whose open credits are exactly the
/// shortfall, all of the quoted invoices' customer.
fn credit_note_quoted(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    live: &[ItemIdx],
    credits: &[ItemIdx],
    open: Decimal,
) -> Option<Proposal> {
    if credits.is_empty() {
        return None;
    }
    let txn = ctx.batch.transactions.get(t as usize);
    let credit: Decimal = credits.iter().map(|&c| -ledger.item_open[c as usize]).sum();
    let owner = ctx.parties.of_item(ctx.batch, live[0]);
    let one_customer = live
        .iter()
        .chain(credits)
        .all(|&i| ctx.parties.of_item(ctx.batch, i) == owner);
    (one_customer && open - credit == txn.amount()).then(|| {
        net_credit_notes(
            ctx,
            ledger,
            t,
            live,
            credits,
            CREDIT_NOTE_QUOTED_CONFIDENCE,
            "quoted",
        )
    })
}

/// The invoices' customer has exactly one open credit note of exactly the
/// shortfall: the payer netted it without quoting it.
fn credit_note_unquoted(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    live: &[ItemIdx],
    shortfall: Decimal,
) -> Option<Proposal> {
    let txn = ctx.batch.transactions.get(t as usize);
    let owner = ctx.parties.of_item(ctx.batch, live[0]);
    if live
        .iter()
        .any(|&i| ctx.parties.of_item(ctx.batch, i) != owner)
    {
        return None;
    }
    let mut fitting = ctx.parties.items[owner as usize]
        .iter()
        .copied()
        .filter(|&c| {
            -ledger.item_open[c as usize] == shortfall
                && ctx.batch.open_items.get(c as usize).currency() == txn.currency()
                && ctx.companies.allows(t, c)
        });
    let only = fitting.next()?;
    if fitting.next().is_some() {
        return None;
    }
    let (confidence, how) = if states_credit_note(txn.remittance_info()) {
        (
            CREDIT_NOTE_STATED_CONFIDENCE,
            "stated, the customer's one credit note of that amount",
        )
    } else {
        (
            CREDIT_NOTE_INFERRED_CONFIDENCE,
            "not quoted, the customer's one credit note of that amount",
        )
    };
    Some(net_credit_notes(
        ctx,
        ledger,
        t,
        live,
        &[only],
        confidence,
        how,
    ))
}

fn duplicate(ctx: &Context<'_>, ledger: &Ledger, t: TxnIdx, paid: &[ItemIdx]) -> PassNote {
    let by = paid
        .iter()
        .find_map(|&i| ledger.item_paid_by[i as usize])
        .map(|other| {
            format!(
                "by transaction {} in this run",
                ctx.batch.transactions.get(other as usize).transaction_id()
            )
        })
        .unwrap_or_else(|| "before this run".to_string());
    let mut n = note(
        ctx,
        t,
        ReasonCode::DuplicatePayment,
        priority::DUPLICATE,
        format!(
            "invoice(s) {} in remittance already paid {by}: left on account",
            invoice_ids(ctx, paid)
        ),
    );
    let customer = &ctx.batch.open_items.get(paid[0] as usize).customer_id();
    n.customer_id.get_or_insert_with(|| customer.to_string());
    n
}

/// Discount when every invoice is within its terms and the payment equals
/// the sum of the discounted amounts exactly.
fn discount(ctx: &Context<'_>, ledger: &Ledger, t: TxnIdx, live: &[ItemIdx]) -> Option<Proposal> {
    let txn = ctx.batch.transactions.get(t as usize);
    let paid_on = txn.effective_date()?;
    let grace = i64::from(ctx.rules.differences.discount_grace_days);
    let mut lines = Vec::with_capacity(live.len());
    let mut expected_total = Decimal::ZERO;
    let mut late = None;
    for &i in live {
        let item = ctx.batch.open_items.get(i as usize);
        let (pct, days, issued) = (
            item.discount_percent()?,
            item.discount_days()?,
            item.invoice_date()?,
        );
        let open = ledger.item_open[i as usize];
        let expected = round_to_minor_unit(open * (Decimal::ONE - pct / PERCENT), txn.currency());
        let deadline = issued + chrono::Duration::days(i64::from(days) + grace);
        if paid_on > deadline {
            late = Some(deadline);
        }
        expected_total += expected;
        lines.push(ProposalLine {
            discount: open - expected,
            ..ProposalLine::cash(t, i, expected)
        });
    }
    if expected_total != txn.amount() || late.is_some() {
        return None;
    }
    let granted: Decimal = lines.iter().map(|l| l.discount).sum();
    let item = ctx.batch.open_items.get(live[0] as usize);
    let explanation = format!(
        "invoice(s) {} in remittance; paid {paid_on}, within {} days of {}: {}% discount of {} granted",
        invoice_ids(ctx, live),
        item.discount_days().unwrap_or_default(),
        item.invoice_date().map(|d| d.to_string()).unwrap_or_default(),
        item.discount_percent().unwrap_or_default().normalize(),
        fmt_money(granted)
    );
    Some(proposal(
        ctx,
        vec![t],
        lines,
        Rule::ReferenceWithDifference,
        DISCOUNT_CONFIDENCE,
        explanation,
    ))
}

/// Cash to the invoices in order; what the last ones miss is written off.
fn writeoff(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    live: &[ItemIdx],
    shortfall: Decimal,
) -> Proposal {
    let mut cash = ctx.batch.transactions.get(t as usize).amount();
    let lines = live
        .iter()
        .map(|&i| {
            let open = ledger.item_open[i as usize];
            let applied = cash.min(open);
            cash -= applied;
            ProposalLine {
                writeoff: open - applied,
                ..ProposalLine::cash(t, i, applied)
            }
        })
        .collect();
    let explanation = format!(
        "invoice(s) {} in remittance; short by {}, within the write-off limits: written off",
        invoice_ids(ctx, live),
        fmt_money(shortfall)
    );
    proposal(
        ctx,
        vec![t],
        lines,
        Rule::ReferenceWithDifference,
        WRITEOFF_CONFIDENCE,
        explanation,
    )
}

#[cfg(test)]
mod tests {
    use super::{deduction_reason, states_credit_note, REASON_WORDS};
    use crate::model::DeductionReason::{self, *};

    fn reasons(texts: &[(&str, DeductionReason)]) {
        for &(text, want) in texts {
            assert_eq!(deduction_reason(text), Some(want), "{text}");
        }
    }

    #[test]
    fn every_line_of_the_reason_list_is_read() {
        let lines = include_str!("../../data/deduction_reason_words.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
            .count();
        assert_eq!(REASON_WORDS.len(), lines, "a line with an unknown code");
        assert!(REASON_WORDS.iter().all(|(_, r)| *r != Unspecified));
    }

    #[test]
    fn deduction_reasons_in_english() {
        reasons(&[
            ("INV-1001 short 40.00 damaged goods", Damaged),
            ("INV-1001 pricing difference", Pricing),
            ("INV-1001 less freight", Freight),
            ("INV-1001 promo allowance", Promotion),
            ("INV-1001 returned items", Returns),
        ]);
        assert_eq!(deduction_reason("INV-1001 thank you"), None);
    }

    #[test]
    fn deduction_reasons_in_german() {
        reasons(&[
            ("RE 4711 abzgl. Transportschaden", Damaged),
            ("RE 4711 Qualitätsmängel", Damaged),
            ("RE 4711 Preisdifferenz", Pricing),
            ("RE 4711 abzgl. Frachtkosten", Freight),
            ("RE 4711 abzgl. Werbekostenzuschuss", Promotion),
            ("RE 4711 Retoure", Returns),
            ("RE 4711 Rücksendung 3 Stk", Returns),
        ]);
        // `Transaktion` holds no promotion.
        assert_eq!(deduction_reason("Transaktion RE 4711"), None);
    }

    #[test]
    fn deduction_reasons_in_french() {
        reasons(&[
            ("Facture 12 marchandise endommagée", Damaged),
            ("Facture 12 écart de prix", Pricing),
            ("Facture 12 moins frais de port", Freight),
            ("Facture 12 remise promotionnelle", Promotion),
            ("Facture 12 retour marchandise", Returns),
        ]);
    }

    #[test]
    fn deduction_reasons_in_dutch() {
        reasons(&[
            ("Factuur 9 beschadigde goederen", Damaged),
            ("Factuur 9 prijsverschil", Pricing),
            ("Factuur 9 vrachtkosten", Freight),
            ("Factuur 9 promotiekorting", Promotion),
            ("Factuur 9 retourzending", Returns),
        ]);
    }

    #[test]
    fn deduction_reasons_in_italian() {
        reasons(&[
            ("Fattura 7 merce danneggiata", Damaged),
            ("Fattura 7 differenza prezzo", Pricing),
            ("Fattura 7 spese di trasporto", Freight),
            ("Fattura 7 sconto promozionale", Promotion),
            ("Fattura 7 restituzione merce", Returns),
        ]);
    }

    #[test]
    fn deduction_reasons_in_spanish() {
        reasons(&[
            ("Factura 5 mercancía dañada", Damaged),
            ("Factura 5 diferencia de precio", Pricing),
            ("Factura 5 menos flete", Freight),
            ("Factura 5 descuento promocional", Promotion),
            ("Factura 5 devolución de mercancía", Returns),
        ]);
        // `importe` holds no freight (`porte` is not a stem).
        assert_eq!(deduction_reason("Factura 5 importe"), None);
    }

    #[test]
    fn deduction_reasons_in_polish() {
        reasons(&[
            ("Faktura 3 towar uszkodzony", Damaged),
            ("Faktura 3 różnica cenowa", Pricing),
            ("Faktura 3 koszty transportu", Freight),
            ("Faktura 3 rabat promocyjny", Promotion),
            ("Faktura 3 zwrot towaru", Returns),
        ]);
    }

    #[test]
    fn the_reason_named_first_wins() {
        assert_eq!(
            deduction_reason("Retoure wegen Transportschaden"),
            Some(Returns)
        );
        assert_eq!(
            deduction_reason("Transportschaden, Retoure folgt"),
            Some(Damaged)
        );
    }

    #[test]
    fn credit_note_phrases_are_whole_words_in_any_case() {
        for text in [
            "INV-1001 less credit note CN-2001",
            "RE 4711 abzgl. Gutschrift GS0004711",
            "Facture 12 moins AVOIR AV-0815",
            "minus Credit Memo CM123",
            "Factuur 9 min creditnota 7",
        ] {
            assert!(states_credit_note(text), "{text}");
        }
        // Whole words only: `savoir` is not `avoir`.
        for text in ["Invoice 1001 damaged", "Savoir-faire 12", "creditor 4711"] {
            assert!(!states_credit_note(text), "{text}");
        }
    }
}
