//! Scoring an engine's applications against the truth.
//!
//! The unit is the *line*: one (bank reference, invoice) pair with the cash
//! applied. A predicted line is correct when the truth has the same pair and
//! the same applied amount. Every predicted line that is not correct is
//! exactly one of `wrong_invoice`, `wrong_amount` or `applied_unmatchable`;
//! every truth line that was not predicted at all is `missed`. So
//! `predicted = correct + wrong_invoice + wrong_amount + applied_unmatchable`
//! and `truth = correct + wrong_amount + missed`, which the tests assert.
//!
//! Beyond the pair, [`evaluate_with`] scores what an engine decided about
//! the money around it: the discount, write-off and deduction of every
//! correct line (`*_mismatch`, and `adjusted_right` of the `adjusted_truth`
//! lines that carry any of them) and the reason code of the unapplied money
//! of the payments whose scenario expects one
//! ([`Scenario::expected_exception`]: `exception_reason_right`, `_wrong`,
//! `exception_missing`).

use crate::config::Scenario;
use crate::truth::{PredictedExtras, PredictedLine, TruthLine};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Line counts for one scenario or for the whole dataset.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Bank lines (payments) in the truth.
    pub payments: u64,
    /// Truth lines that name an invoice (the recall denominator).
    pub truth_lines: u64,
    /// Distinct predicted (bank reference, invoice) pairs (the precision denominator).
    pub predicted_lines: u64,
    /// Predicted lines with the right invoice and the right cash amount.
    pub correct: u64,
    /// Predicted lines applying a payment to an invoice it does not pay
    /// (including payments the truth does not know).
    pub wrong_invoice: u64,
    /// Predicted lines with the right invoice but another cash amount.
    pub wrong_amount: u64,
    /// Truth lines whose (bank reference, invoice) pair was not predicted.
    pub missed: u64,
    /// Predicted lines on payments whose truth is "pays nothing".
    pub applied_unmatchable: u64,
    /// Correct lines whose discount or write-off differs from the truth
    /// (informational: such lines still count as correct).
    pub adjustment_mismatch: u64,
    /// Payments whose predicted lines equal their truth exactly (for a
    /// payment that pays nothing: no predicted line at all).
    pub payments_exact: u64,
    /// Correct lines whose discount differs from the truth.
    pub discount_mismatch: u64,
    /// Correct lines whose write-off differs from the truth.
    pub writeoff_mismatch: u64,
    /// Correct lines whose deduction differs from the truth (scored only by
    /// [`evaluate_with`]).
    pub deduction_mismatch: u64,
    /// Truth lines with a discount, write-off or deduction.
    pub adjusted_truth: u64,
    /// Of those, lines predicted correctly with all three amounts right.
    pub adjusted_right: u64,
    /// Payments whose scenario expects an exception reason (scored only by
    /// [`evaluate_with`]).
    pub exceptions_expected: u64,
    /// Of those, payments whose exception has an expected reason code.
    pub exception_reason_right: u64,
    /// Of those, payments whose exception has another reason code.
    pub exception_reason_wrong: u64,
    /// Of those, payments the engine raised no exception for.
    pub exception_missing: u64,
    /// `correct / predicted_lines`; `None` when nothing was predicted.
    pub precision: Option<f64>,
    /// `correct / truth_lines`; `None` when the truth names no invoice.
    pub recall: Option<f64>,
}

impl Counts {
    fn finish(&mut self) {
        self.precision = ratio(self.correct, self.predicted_lines);
        self.recall = ratio(self.correct, self.truth_lines);
    }
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The result of [`evaluate`]: totals, and the same counts per scenario.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Counts over every line.
    pub total: Counts,
    /// Counts per scenario of the payment (only scenarios present in the truth).
    pub per_scenario: BTreeMap<Scenario, Counts>,
    /// Predicted lines whose bank reference is not in the truth at all
    /// (counted as `wrong_invoice` in the total, in no scenario).
    pub unknown_bank_references: u64,
    /// Whether deductions and exception reasons were scored
    /// ([`evaluate_with`] with extras).
    pub extras_scored: bool,
}

/// Cash, discount, write-off and deduction of one line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Amounts {
    applied: Decimal,
    discount: Decimal,
    writeoff: Decimal,
    deduction: Decimal,
}

impl Amounts {
    fn add(&mut self, other: Amounts) {
        self.applied += other.applied;
        self.discount += other.discount;
        self.writeoff += other.writeoff;
        self.deduction += other.deduction;
    }
}

/// The truth about one payment.
struct PaymentTruth<'a> {
    scenario: Scenario,
    /// Whether the truth says the line pays nothing.
    pays_nothing: bool,
    /// Invoice id → amounts; empty when the payment pays nothing.
    lines: BTreeMap<&'a str, Amounts>,
}

/// Scores `predicted` against `truth`.
///
/// Predicted rows with an empty invoice id (cash left unapplied) are not
/// applications and are ignored. Rows repeating a (bank reference, invoice)
/// pair are added up, in the truth and in the prediction alike.
pub fn evaluate(truth: &[TruthLine], predicted: &[PredictedLine]) -> Evaluation {
    evaluate_with(truth, predicted, None)
}

/// [`evaluate`], and with `extras` also the deduction of every correct line
/// and the reason code of the unapplied money of each payment whose
/// scenario expects an exception.
pub fn evaluate_with(
    truth: &[TruthLine],
    predicted: &[PredictedLine],
    extras: Option<&PredictedExtras>,
) -> Evaluation {
    let payments = index_truth(truth);
    let mut applications: BTreeMap<(&str, &str), Amounts> = BTreeMap::new();
    for p in predicted.iter().filter(|p| !p.invoice_id.is_empty()) {
        applications
            .entry((p.bank_reference.as_str(), p.invoice_id.as_str()))
            .or_default()
            .add(Amounts {
                applied: p.applied_amount,
                discount: p.discount_amount,
                writeoff: p.writeoff_amount,
                deduction: Decimal::ZERO,
            });
    }
    for d in extras.iter().flat_map(|e| &e.deductions) {
        if let Some(a) = applications.get_mut(&(d.bank_reference.as_str(), d.invoice_id.as_str())) {
            a.deduction += d.deduction_amount;
        }
    }
    let mut reasons: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in extras.iter().flat_map(|e| &e.exceptions) {
        reasons
            .entry(e.bank_reference.as_str())
            .or_default()
            .push(e.reason.as_str());
    }

    let mut evaluation = Evaluation {
        extras_scored: extras.is_some(),
        ..Evaluation::default()
    };
    let mut per_scenario: BTreeMap<Scenario, Counts> = BTreeMap::new();
    // Per payment: did every predicted line of it turn out correct?
    let mut payment_clean: HashMap<&str, (u64, bool)> = HashMap::new();
    for (&(reference, invoice), got) in &applications {
        let Some(payment) = payments.get(reference) else {
            evaluation.unknown_bank_references += 1;
            evaluation.total.predicted_lines += 1;
            evaluation.total.wrong_invoice += 1;
            continue;
        };
        let counts = per_scenario.entry(payment.scenario).or_default();
        counts.predicted_lines += 1;
        let correct = if payment.lines.is_empty() {
            counts.applied_unmatchable += 1;
            false
        } else {
            match payment.lines.get(invoice) {
                None => {
                    counts.wrong_invoice += 1;
                    false
                }
                Some(want) if want.applied != got.applied => {
                    counts.wrong_amount += 1;
                    false
                }
                Some(want) => {
                    counts.correct += 1;
                    if want.discount != got.discount || want.writeoff != got.writeoff {
                        counts.adjustment_mismatch += 1;
                    }
                    counts.discount_mismatch += u64::from(want.discount != got.discount);
                    counts.writeoff_mismatch += u64::from(want.writeoff != got.writeoff);
                    let deduction_scored = extras.is_some();
                    let deduction_right = !deduction_scored || want.deduction == got.deduction;
                    counts.deduction_mismatch += u64::from(!deduction_right);
                    let adjusted = !want.discount.is_zero()
                        || !want.writeoff.is_zero()
                        || !want.deduction.is_zero();
                    if adjusted
                        && want.discount == got.discount
                        && want.writeoff == got.writeoff
                        && deduction_right
                    {
                        counts.adjusted_right += 1;
                    }
                    true
                }
            }
        };
        let entry = payment_clean.entry(reference).or_insert((0, true));
        entry.0 += 1;
        entry.1 &= correct;
    }

    for (reference, payment) in &payments {
        let counts = per_scenario.entry(payment.scenario).or_default();
        counts.payments += 1;
        counts.truth_lines += payment.lines.len() as u64;
        counts.adjusted_truth += payment
            .lines
            .values()
            .filter(|a| !a.discount.is_zero() || !a.writeoff.is_zero() || !a.deduction.is_zero())
            .count() as u64;
        let expected = payment.scenario.expected_exception(payment.pays_nothing);
        if extras.is_some() && !expected.is_empty() {
            counts.exceptions_expected += 1;
            match reasons.get(reference) {
                None => counts.exception_missing += 1,
                Some(got) if got.iter().any(|r| expected.contains(r)) => {
                    counts.exception_reason_right += 1;
                }
                Some(_) => counts.exception_reason_wrong += 1,
            }
        }
        for invoice in payment.lines.keys() {
            if !applications.contains_key(&(*reference, *invoice)) {
                counts.missed += 1;
            }
        }
        let exact = match payment_clean.get(reference) {
            None => payment.lines.is_empty(),
            Some(&(predicted, all_correct)) => {
                all_correct && predicted == payment.lines.len() as u64
            }
        };
        if exact {
            counts.payments_exact += 1;
        }
    }

    for counts in per_scenario.values_mut() {
        counts.finish();
        add_counts(&mut evaluation.total, counts);
    }
    evaluation.total.finish();
    evaluation.per_scenario = per_scenario;
    evaluation
}

fn index_truth(truth: &[TruthLine]) -> BTreeMap<&str, PaymentTruth<'_>> {
    let mut payments: BTreeMap<&str, PaymentTruth<'_>> = BTreeMap::new();
    for t in truth {
        let payment = payments
            .entry(t.bank_reference.as_str())
            .or_insert_with(|| PaymentTruth {
                scenario: t.scenario,
                pays_nothing: true,
                lines: BTreeMap::new(),
            });
        payment.pays_nothing &= t.pays_nothing();
        if !t.pays_nothing() {
            payment
                .lines
                .entry(t.invoice_id.as_str())
                .or_default()
                .add(Amounts {
                    applied: t.applied_amount,
                    discount: t.discount_amount,
                    writeoff: t.writeoff_amount,
                    deduction: t.deduction_amount,
                });
        }
    }
    payments
}

fn add_counts(total: &mut Counts, part: &Counts) {
    total.payments += part.payments;
    total.truth_lines += part.truth_lines;
    total.predicted_lines += part.predicted_lines;
    total.correct += part.correct;
    total.wrong_invoice += part.wrong_invoice;
    total.wrong_amount += part.wrong_amount;
    total.missed += part.missed;
    total.applied_unmatchable += part.applied_unmatchable;
    total.adjustment_mismatch += part.adjustment_mismatch;
    total.payments_exact += part.payments_exact;
    total.discount_mismatch += part.discount_mismatch;
    total.writeoff_mismatch += part.writeoff_mismatch;
    total.deduction_mismatch += part.deduction_mismatch;
    total.adjusted_truth += part.adjusted_truth;
    total.adjusted_right += part.adjusted_right;
    total.exceptions_expected += part.exceptions_expected;
    total.exception_reason_right += part.exception_reason_right;
    total.exception_reason_wrong += part.exception_reason_wrong;
    total.exception_missing += part.exception_missing;
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

impl fmt::Display for Evaluation {
    /// A table with one row per scenario and a total row: payments, lines,
    /// the error kinds, precision, recall and the share of payments that came
    /// out exactly right.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<24} {:>8} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7} {:>9} {:>9} {:>7} {:>8}",
            "scenario",
            "payments",
            "truth",
            "pred",
            "correct",
            "wrong_inv",
            "wrong_amt",
            "missed",
            "unmatch_ap",
            "precision",
            "recall",
            "exact"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, c: &Counts| {
            writeln!(
                f,
                "{:<24} {:>8} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7} {:>10} {:>9} {:>7} {:>8}",
                name,
                c.payments,
                c.truth_lines,
                c.predicted_lines,
                c.correct,
                c.wrong_invoice,
                c.wrong_amount,
                c.missed,
                c.applied_unmatchable,
                percent(c.precision),
                percent(c.recall),
                percent(ratio(c.payments_exact, c.payments)),
            )
        };
        for (scenario, counts) in &self.per_scenario {
            row(f, scenario.as_str(), counts)?;
        }
        row(f, "TOTAL", &self.total)?;
        if self.unknown_bank_references > 0 {
            writeln!(
                f,
                "{} predicted lines name a bank reference missing from the truth (counted as wrong_inv)",
                self.unknown_bank_references
            )?;
        }
        if self.total.adjustment_mismatch > 0 {
            writeln!(
                f,
                "{} correct lines differ from the truth in discount or write-off",
                self.total.adjustment_mismatch
            )?;
        }
        let scored = |c: &Counts| {
            c.adjusted_truth > 0
                || c.exceptions_expected > 0
                || c.discount_mismatch + c.writeoff_mismatch + c.deduction_mismatch > 0
        };
        if self.per_scenario.values().any(scored) {
            writeln!(
                f,
                "\n{:<24} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                "adjustments/exceptions",
                "adj_true",
                "adj_ok",
                "disc_mm",
                "woff_mm",
                "ded_mm",
                "exc_exp",
                "exc_ok",
                "exc_wrong",
                "exc_none"
            )?;
            let row = |f: &mut fmt::Formatter<'_>, name: &str, c: &Counts| {
                writeln!(
                    f,
                    "{:<24} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    name,
                    c.adjusted_truth,
                    c.adjusted_right,
                    c.discount_mismatch,
                    c.writeoff_mismatch,
                    c.deduction_mismatch,
                    c.exceptions_expected,
                    c.exception_reason_right,
                    c.exception_reason_wrong,
                    c.exception_missing
                )
            };
            for (scenario, counts) in self.per_scenario.iter().filter(|(_, c)| scored(c)) {
                row(f, scenario.as_str(), counts)?;
            }
            row(f, "TOTAL", &self.total)?;
            if !self.extras_scored {
                writeln!(
                    f,
                    "(deductions and exception reasons not scored: no exceptions given)"
                )?;
            }
        }
        Ok(())
    }
}

/// The evaluation as a JSON object (keys as in [`Counts`]; `null` for an
/// undefined ratio), for dashboards and regression tracking.
pub fn evaluation_json(evaluation: &Evaluation) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("{\"total\":");
    counts_json(&mut out, &evaluation.total);
    out.push_str(",\"per_scenario\":{");
    for (n, (scenario, counts)) in evaluation.per_scenario.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(scenario.as_str());
        out.push_str("\":");
        counts_json(&mut out, counts);
    }
    out.push_str("},\"unknown_bank_references\":");
    out.push_str(&evaluation.unknown_bank_references.to_string());
    out.push_str(",\"extras_scored\":");
    out.push_str(if evaluation.extras_scored {
        "true"
    } else {
        "false"
    });
    out.push('}');
    out
}

fn counts_json(out: &mut String, c: &Counts) {
    use std::fmt::Write as _;
    let ratio = |v: Option<f64>| v.map_or_else(|| "null".to_string(), |v| format!("{v:.6}"));
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{{\"payments\":{},\"truth_lines\":{},\"predicted_lines\":{},\"correct\":{},\"wrong_invoice\":{},\"wrong_amount\":{},\"missed\":{},\"applied_unmatchable\":{},\"adjustment_mismatch\":{},\"payments_exact\":{},\"precision\":{},\"recall\":{},\"discount_mismatch\":{},\"writeoff_mismatch\":{},\"deduction_mismatch\":{},\"adjusted_truth\":{},\"adjusted_right\":{},\"exceptions_expected\":{},\"exception_reason_right\":{},\"exception_reason_wrong\":{},\"exception_missing\":{}}}",
        c.payments,
        c.truth_lines,
        c.predicted_lines,
        c.correct,
        c.wrong_invoice,
        c.wrong_amount,
        c.missed,
        c.applied_unmatchable,
        c.adjustment_mismatch,
        c.payments_exact,
        ratio(c.precision),
        ratio(c.recall),
        c.discount_mismatch,
        c.writeoff_mismatch,
        c.deduction_mismatch,
        c.adjusted_truth,
        c.adjusted_right,
        c.exceptions_expected,
        c.exception_reason_right,
        c.exception_reason_wrong,
        c.exception_missing,
    );
}
