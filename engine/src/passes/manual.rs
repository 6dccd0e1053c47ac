//! Pass 0: what people decided (`cashmatch run --decisions FILE`).
//!
//! The clerks who clear exceptions decide, per bank transaction, that it
//! pays one or more invoices (`apply`, one row per invoice), that the money
//! stays on a customer's account (`on_account`), goes back to the payer
//! (`refund`) or is not for cash application at all (`ignore`). Those
//! decisions are applied before any matching pass, with rule `MANUAL` and
//! confidence 1, and the explanation names who decided and why.
//!
//! A decision file is checked whole against the run's data before anything
//! is applied ([`plan`]): one row that conflicts with the data (unknown
//! transaction or invoice, invoice held or with nothing open, more than the
//! invoice's open amount or the payment's unapplied amount, other currency)
//! rejects the file, so nothing is ever half-applied. The CLI reads the CSV
//! (the engine does no I/O) and words the errors with the file name.

use crate::allocate::{Ledger, Proposal, ProposalLine};
use crate::config::{PassRule, Pilot};
use crate::model::{Batch, ItemIdx, PassStats, ReasonCode, Rule, TxnIdx};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What a person decided for (part of) a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionAction {
    /// The payment (or `amount` of it) pays the invoice.
    Apply,
    /// The rest of the payment stays on the customer's account.
    OnAccount,
    /// The rest of the payment goes back to the payer.
    Refund,
    /// The payment is not a customer receipt for cash application.
    Ignore,
}

impl DecisionAction {
    /// Reads the `action` column (case-insensitive, `on-account` also).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "apply" => Some(DecisionAction::Apply),
            "on_account" => Some(DecisionAction::OnAccount),
            "refund" => Some(DecisionAction::Refund),
            "ignore" => Some(DecisionAction::Ignore),
            _ => None,
        }
    }

    /// The word of the `action` column.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionAction::Apply => "apply",
            DecisionAction::OnAccount => "on_account",
            DecisionAction::Refund => "refund",
            DecisionAction::Ignore => "ignore",
        }
    }

    /// The exception reason the rest of a payment gets under this decision.
    fn reason(self) -> Option<ReasonCode> {
        match self {
            DecisionAction::Apply => None,
            DecisionAction::OnAccount => Some(ReasonCode::DecidedOnAccount),
            DecisionAction::Refund => Some(ReasonCode::DecidedRefund),
            DecisionAction::Ignore => Some(ReasonCode::DecidedIgnore),
        }
    }
}

/// One row of a decisions file, as read by the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// 1-based line in the decisions file (errors name it).
    pub line: u64,
    /// The bank transaction decided (`transaction_id` of the outputs).
    pub transaction_id: String,
    /// The invoice paid (`apply`), or an invoice naming the customer
    /// (`on_account`, `refund`); may be empty for those.
    pub invoice_id: String,
    /// Optional: the customer whose account the rest goes to.
    pub customer_id: String,
    /// The amount; `None` means the invoice's open amount (`apply`) or the
    /// rest of the payment (the other actions).
    pub amount: Option<Decimal>,
    /// What was decided.
    pub action: DecisionAction,
    /// Why, in the clerk's words.
    pub reason: String,
    /// Who decided.
    pub decided_by: String,
}

/// A row that conflicts with the data. The CLI adds the file name and the
/// column number from the file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionError {
    /// 1-based line in the decisions file.
    pub line: u64,
    /// The column at fault (its header name).
    pub column: &'static str,
    /// What is wrong, naming the values.
    pub message: String,
}

/// The decisions of one transaction, checked against the data.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTxn {
    /// The transaction.
    pub txn: TxnIdx,
    /// Invoices paid and the cash taken for each, in file order.
    pub lines: Vec<(ItemIdx, Decimal)>,
    /// What happens to the rest: on account, refund or ignore, with the
    /// customer the decision names (if any). `None`: the rest (if any) is an
    /// overpayment on the applied customer's account, as for any payment.
    pub rest: Option<(DecisionAction, Option<String>)>,
    /// Who decided and why, for the applications and exceptions.
    pub explanation: Arc<str>,
}

/// A decisions file checked against the run: what [`apply`] applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManualPlan {
    /// One entry per decided transaction, in transaction order.
    pub txns: Vec<PlannedTxn>,
    /// Rows per action, for the manifest (action order).
    pub rows_by_action: BTreeMap<DecisionAction, u64>,
}

impl ManualPlan {
    /// True when no transaction is decided.
    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }
}

/// Checks every decision against the batch (transaction ids assigned) and
/// returns what to apply, or every conflict found (in line order): a file
/// with one conflict is rejected whole.
pub fn plan(batch: &Batch, decisions: &[Decision]) -> Result<ManualPlan, Vec<DecisionError>> {
    let mut errors = Vec::new();
    let mut err = |line: u64, column: &'static str, message: String| {
        errors.push(DecisionError {
            line,
            column,
            message,
        })
    };
    let txn_by_id: HashMap<&str, TxnIdx> = batch
        .transactions
        .iter()
        .enumerate()
        .map(|(i, t)| (t.transaction_id(), i as TxnIdx))
        .collect();
    let mut items_by_id: HashMap<&str, Vec<ItemIdx>> = HashMap::new();
    for (i, item) in batch.open_items.iter().enumerate() {
        items_by_id
            .entry(item.invoice_id())
            .or_default()
            .push(i as ItemIdx);
    }
    // The decisions of each transaction, in file order.
    let mut by_txn: BTreeMap<TxnIdx, Vec<&Decision>> = BTreeMap::new();
    let mut rows_by_action: BTreeMap<DecisionAction, u64> = BTreeMap::new();
    for d in decisions {
        *rows_by_action.entry(d.action).or_default() += 1;
        if d.decided_by.trim().is_empty() {
            err(
                d.line,
                "decided_by",
                "who decided is missing: every decision names the person (audit trail)".into(),
            );
        }
        let id = d.transaction_id.trim();
        match txn_by_id.get(id) {
            Some(&t) => by_txn.entry(t).or_default().push(d),
            None => err(
                d.line,
                "transaction_id",
                format!(
                    "transaction `{id}` is not among this run's bank transactions (unknown, or ingested by an earlier run with this state)"
                ),
            ),
        }
    }
    // Cleared per invoice across the whole file: two transactions may not
    // together clear more than is open.
    let mut cleared: HashMap<ItemIdx, Decimal> = HashMap::new();
    let mut txns = Vec::with_capacity(by_txn.len());
    for (t, rows) in by_txn {
        let txn = batch.transactions.get(t as usize);
        let amount = txn.amount();
        if amount <= Decimal::ZERO {
            err(
                rows[0].line,
                "transaction_id",
                format!(
                    "transaction `{}` is not a receipt (amount {amount}): only receipts are decided",
                    txn.transaction_id()
                ),
            );
            continue;
        }
        let currency = txn.currency();
        let exponent = crate::allocate::currency_exponent(currency);
        let mut lines: Vec<(ItemIdx, Decimal)> = Vec::new();
        let mut spent = Decimal::ZERO;
        let mut rest: Option<(&Decision, Option<String>)> = None;
        let mut customers_applied: Vec<&str> = Vec::new();
        for d in &rows {
            if let Some(a) = d.amount {
                if a <= Decimal::ZERO {
                    err(d.line, "amount", format!("amount {a} must be positive"));
                    continue;
                }
                if a.normalize().scale() > exponent {
                    err(
                        d.line,
                        "amount",
                        format!("amount {a} has more decimals than {currency} allows ({exponent})"),
                    );
                    continue;
                }
            }
            // The invoice, when one is named.
            let invoice = d.invoice_id.trim();
            let item = if invoice.is_empty() {
                None
            } else {
                match items_by_id.get(invoice).map(Vec::as_slice) {
                    None => {
                        err(
                            d.line,
                            "invoice_id",
                            format!("invoice `{invoice}` is not in the open items (unknown, or already paid)"),
                        );
                        continue;
                    }
                    Some(&[i, ..]) => Some(i),
                    Some(&[]) => None,
                }
            };
            match d.action {
                DecisionAction::Apply => {
                    let Some(i) = item else {
                        err(
                            d.line,
                            "invoice_id",
                            "an `apply` decision names the invoice it pays".into(),
                        );
                        continue;
                    };
                    let it = batch.open_items.get(i as usize);
                    if let Some(hold) = it.hold() {
                        err(
                            d.line,
                            "invoice_id",
                            format!(
                                "invoice `{invoice}` is held ({}: {}): correct the extract first",
                                hold.reason.as_str(),
                                hold.detail
                            ),
                        );
                        continue;
                    }
                    if it.currency() != currency {
                        err(
                            d.line,
                            "invoice_id",
                            format!(
                                "invoice `{invoice}` is in {}, transaction `{}` in {currency}: no FX in cash application",
                                it.currency(),
                                txn.transaction_id()
                            ),
                        );
                        continue;
                    }
                    let done = cleared.get(&i).copied().unwrap_or_default();
                    let open = it.amount_open() - done;
                    if open <= Decimal::ZERO {
                        err(
                            d.line,
                            "invoice_id",
                            if done.is_zero() {
                                format!("invoice `{invoice}` is already paid (nothing open)")
                            } else {
                                format!("invoice `{invoice}` is already cleared by earlier rows of this file")
                            },
                        );
                        continue;
                    }
                    let a = d.amount.unwrap_or(open);
                    if a > open {
                        err(
                            d.line,
                            "amount",
                            format!(
                                "amount {a} is more than the {open} open on invoice `{invoice}`"
                            ),
                        );
                        continue;
                    }
                    if spent + a > amount {
                        err(
                            d.line,
                            "amount",
                            format!(
                                "amount {a} is more than the {} unapplied on transaction `{}` (amount {amount})",
                                amount - spent,
                                txn.transaction_id()
                            ),
                        );
                        continue;
                    }
                    spent += a;
                    *cleared.entry(i).or_default() += a;
                    lines.push((i, a));
                    customers_applied.push(it.customer_id());
                }
                _ => {
                    if let Some((first, _)) = &rest {
                        err(
                            d.line,
                            "action",
                            format!(
                                "transaction `{}` already has a `{}` decision on line {}: one decision for the rest of a payment",
                                txn.transaction_id(),
                                first.action.as_str(),
                                first.line
                            ),
                        );
                        continue;
                    }
                    let customer = if !d.customer_id.trim().is_empty() {
                        Some(d.customer_id.trim().to_string())
                    } else {
                        item.map(|i| batch.open_items.get(i as usize).customer_id().to_string())
                    };
                    rest = Some((d, customer));
                }
            }
        }
        let mut planned_rest = None;
        if let Some((d, customer)) = rest {
            let left = amount - spent;
            if d.action == DecisionAction::Ignore && !lines.is_empty() {
                err(
                    d.line,
                    "action",
                    format!(
                        "`ignore` says transaction `{}` is not for cash application, but other rows apply it",
                        txn.transaction_id()
                    ),
                );
            } else if left.is_zero() {
                err(
                    d.line,
                    "action",
                    format!(
                        "nothing is left of transaction `{}` for `{}`: the other rows apply all of it",
                        txn.transaction_id(),
                        d.action.as_str()
                    ),
                );
            } else if d.amount.is_some_and(|a| a != left) {
                err(
                    d.line,
                    "amount",
                    format!(
                        "`{}` takes the rest of transaction `{}`, which is {left}, not {}",
                        d.action.as_str(),
                        txn.transaction_id(),
                        d.amount.unwrap_or_default()
                    ),
                );
            } else {
                // On account needs an account: the one named, else the
                // customer the other rows applied to.
                let customer = customer.or_else(|| {
                    customers_applied
                        .first()
                        .filter(|c| customers_applied.iter().all(|x| x == *c))
                        .map(|c| c.to_string())
                });
                if d.action == DecisionAction::OnAccount && customer.is_none() {
                    err(
                        d.line,
                        "customer_id",
                        "`on_account` needs the customer: fill `customer_id` or name one of their invoices in `invoice_id`".into(),
                    );
                } else {
                    planned_rest = Some((d.action, customer));
                }
            }
        }
        txns.push(PlannedTxn {
            txn: t,
            lines,
            rest: planned_rest,
            explanation: explanation(&rows).into(),
        });
    }
    if errors.is_empty() {
        Ok(ManualPlan {
            txns,
            rows_by_action,
        })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// `decided by alice (line 2): customer confirmed by phone`: who, where in
/// the file, why; several rows of one payment are listed in file order.
fn explanation(rows: &[&Decision]) -> String {
    let mut out = String::from("decided by ");
    for (k, d) in rows.iter().enumerate() {
        if k > 0 {
            out.push_str("; ");
        }
        out.push_str(d.decided_by.trim());
        out.push_str(&format!(
            " (decisions line {}, {})",
            d.line,
            d.action.as_str()
        ));
        let reason = d.reason.trim();
        if !reason.is_empty() {
            out.push_str(": ");
            out.push_str(reason);
        }
    }
    out
}

/// Applies a checked plan to the ledger before the cascade: one proposal
/// per transaction with rule `MANUAL`, confidence 1, outside the pilot
/// filter (a person decided). The rest of each decided payment gets the
/// decision's exception reason and customer. Returns the stage's statistics.
pub fn apply(batch: &Batch, plan: &ManualPlan, ledger: &mut Ledger) -> PassStats {
    let proposals: Vec<Proposal> = plan
        .txns
        .iter()
        .map(|p| Proposal {
            txns: vec![p.txn],
            lines: p
                .lines
                .iter()
                .map(|&(item, amount)| ProposalLine::cash(p.txn, item, amount))
                .collect(),
            rule: Rule::Manual,
            confidence: 1.0,
            explanation: crate::model::Explanation::Text(p.explanation.clone()),
            customer: None,
            customer_id: None,
        })
        .collect();
    let always = PassRule {
        enabled: true,
        auto_apply_min: 0.0,
        suggest_min: 0.0,
    };
    let stats = ledger.accept(batch, "manual", always, &Pilot::default(), proposals);
    for p in &plan.txns {
        let Some((action, customer)) = &p.rest else {
            continue;
        };
        let Some(reason) = action.reason() else {
            continue;
        };
        // Above every pass's note: the decision is the explanation.
        ledger.note(p.txn, reason, u8::MAX, p.explanation.to_string());
        let note = &mut ledger.notes[p.txn as usize];
        note.reason = Some(reason);
        note.priority = u8::MAX;
        note.customer_id = customer.clone();
        note.customer = customer.as_deref().and_then(|c| {
            batch
                .customers
                .iter()
                .position(|m| m.customer_id() == c)
                .map(|i| i as crate::model::CustomerIdx)
        });
    }
    stats
}
