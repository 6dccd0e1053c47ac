//! The journal: one balanced entry per bank transaction.
//!
//! Receipt: debit the bank's cash account with the amount; credit the
//! receivable per invoice with what the application cleared; debit discount
//! and write-off accounts with what was granted and the deduction account with
//! what the payer deducted (short pay with a reason); debit the receivable
//! with each credit note the payer netted (consumed: cash + credit note =
//! invoice); credit unapplied cash (payer known) or suspense (payer unknown)
//! with the rest; a rest a person decided to refund goes to `[gl] refund`,
//! one they excluded stays in suspense. A bank debit credits
//! cash and debits suspense, so every line of the statement is journalled.
//!
//! Legal entities: a line is booked in the company of the receiving bank
//! account, except the lines of an invoice (receivable, discount,
//! deduction, write-off, credit note), which are booked in the invoice's
//! company. When `[intercompany]` let a receipt clear another company's
//! invoice, each journal gets the intercompany pair per other company:
//! in the invoice's company the receivable from the receiving company
//! (`[intercompany] due_from`, debited with the cash it received for it),
//! in the receiving company the payable to the invoice's company
//! (`due_to`, credited). So every journal balances per company and
//! currency (a journal's lines are in its transaction's currency, except
//! the invoice-currency lines of a cross-currency receipt: below).
//!
//! Cross-currency receipt (a payment in P for an invoice in I, see
//! [`crate::fx`]): the journal has lines in two currencies and balances in
//! each. In P: debit the bank with the amount, credit the FX position
//! account (`[fx] position_account`, or the pair's) with the cash each
//! invoice took. In I: debit the position account with that cash
//! converted, credit the receivable with what the invoice cleared, and the
//! difference to `[fx] gain_account` (credit) or `[fx] loss_account`
//! (debit). The position account is the bridge between the currencies: its
//! two lines are the same money at the rate recorded on the application.
//! Bank charges (`BANK_CHARGES`) debit `[fx] bank_charges_account` with the
//! shortfall instead of the write-off account. With both, the intercompany
//! pair is made per company and per currency side of the journal.

use crate::company::Companies;
use crate::config::{GlAccounts, IntercompanyConfig};
use crate::fx::{FxApplication, FxRules};
use crate::model::{
    Application, Batch, ExceptionRecord, GlIdx, ItemIdx, Memo, Posting, PostingCustomer,
    ReasonCode, TxnIdx,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The run's GL accounts, interned: journal lines hold an index, the
/// strings exist once (written out with `postings.parquet`).
struct GlTable<'g> {
    accounts: Vec<String>,
    bank_by_account: BTreeMap<&'g str, GlIdx>,
    /// `[intercompany] due_from`, `due_to`: interned only when a journal
    /// needs them, so a single-company run names the accounts it did.
    due: Option<(GlIdx, GlIdx)>,
}

const GL_BANK: GlIdx = 0;
const GL_RECEIVABLE: GlIdx = 1;
const GL_UNAPPLIED_CASH: GlIdx = 2;
const GL_SUSPENSE: GlIdx = 3;
const GL_DISCOUNT: GlIdx = 4;
const GL_WRITEOFF: GlIdx = 5;
const GL_DEDUCTION: GlIdx = 6;
const GL_REFUND: GlIdx = 7;

impl<'g> GlTable<'g> {
    fn new(gl: &'g GlAccounts) -> Self {
        let mut accounts = vec![
            gl.bank.clone(),
            gl.receivable.clone(),
            gl.unapplied_cash.clone(),
            gl.suspense.clone(),
            gl.discount.clone(),
            gl.writeoff.clone(),
            gl.deduction.clone(),
            gl.refund.clone(),
        ];
        let mut bank_by_account = BTreeMap::new();
        for (account, cash) in &gl.bank_by_account {
            bank_by_account.insert(account.as_str(), accounts.len() as GlIdx);
            accounts.push(cash.clone());
        }
        GlTable {
            accounts,
            bank_by_account,
            due: None,
        }
    }

    fn due(&mut self, ic: &IntercompanyConfig) -> (GlIdx, GlIdx) {
        *self.due.get_or_insert_with(|| {
            let at = self.accounts.len() as GlIdx;
            self.accounts.push(ic.due_from.clone());
            self.accounts.push(ic.due_to.clone());
            (at, at + 1)
        })
    }

    /// The index of `account`, interned on first use (FX and bank-charge
    /// accounts: a run without them keeps its account list).
    fn intern(&mut self, account: &str) -> GlIdx {
        match self.accounts.iter().position(|a| a == account) {
            Some(k) => k as GlIdx,
            None => {
                self.accounts.push(account.to_string());
                (self.accounts.len() - 1) as GlIdx
            }
        }
    }

    /// [`GlAccounts::bank_for`], as an index.
    fn bank_for(&self, account: &str) -> GlIdx {
        if self.bank_by_account.is_empty() {
            return GL_BANK;
        }
        self.bank_by_account
            .get(account)
            .copied()
            .unwrap_or(GL_BANK)
    }
}

/// Builds the journal and the GL accounts its lines name (see
/// [`crate::model::Outcome::gl_accounts`]). `applications` must be grouped
/// by transaction in transaction order (as the engine emits them), and
/// `exceptions` in transaction order.
pub fn build(
    batch: &Batch,
    gl: &GlAccounts,
    applications: &[Application],
    exceptions: &[ExceptionRecord],
) -> (Vec<Posting>, Vec<String>) {
    build_full(
        batch,
        gl,
        &FxRules::default(),
        &IntercompanyConfig::default(),
        &Companies::default(),
        applications,
        exceptions,
        &[],
    )
}

/// [`build`] with the run's legal entities, cross-currency applications
/// (`fx` sorted by transaction and invoice) and bank charges: each line
/// names its company, a journal that clears another company's invoice gets
/// the intercompany pair, and FX lines use the `[fx]` accounts (see the
/// module documentation).
#[allow(clippy::too_many_arguments)]
pub fn build_full(
    batch: &Batch,
    gl: &GlAccounts,
    fx_rules: &FxRules,
    intercompany: &IntercompanyConfig,
    companies: &Companies,
    applications: &[Application],
    exceptions: &[ExceptionRecord],
    fx: &[FxApplication],
) -> (Vec<Posting>, Vec<String>) {
    let mut table = GlTable::new(gl);
    let fx_of = |a: &Application| {
        if fx.is_empty() {
            return None;
        }
        fx.binary_search_by(|f| (f.txn, f.item).cmp(&(a.txn, a.item)))
            .ok()
            .map(|k| &fx[k])
    };
    debug_assert!(
        applications.windows(2).all(|w| w[0].txn <= w[1].txn),
        "applications grouped by transaction"
    );
    debug_assert!(
        exceptions.windows(2).all(|w| w[0].txn < w[1].txn),
        "one exception per transaction, in transaction order"
    );
    let mut out = Vec::with_capacity(applications.len() * 2 + batch.transactions.len());
    // Both inputs are in transaction order: walk them alongside instead of
    // building per-transaction lookup tables.
    let mut next_app = 0;
    let mut next_exc = 0;
    for (ti, txn) in batch.transactions.iter().enumerate() {
        let t = ti as TxnIdx;
        let apps_start = next_app;
        while next_app < applications.len() && applications[next_app].txn == t {
            next_app += 1;
        }
        let exception = match exceptions.get(next_exc) {
            Some(e) if e.txn == t => {
                next_exc += 1;
                Some((next_exc - 1) as u32)
            }
            _ => None,
        };
        if txn.amount().is_zero() {
            continue;
        }
        let start = out.len();
        let mut j = Journal {
            out: &mut out,
            txn: t,
            line: 0,
            debit: Decimal::ZERO,
            credit: Decimal::ZERO,
            home: companies.of_txn(t),
            companies,
            foreign_debit: Decimal::ZERO,
            foreign_credit: Decimal::ZERO,
            foreign: false,
        };
        let bank_gl = table.bank_for(txn.account());
        let returned = next_app > apps_start
            || exception.is_some_and(|e| {
                exceptions[e as usize].reason == crate::model::ReasonCode::ReturnedPayment
            });
        if txn.amount() < Decimal::ZERO && returned {
            let fx_accounts = |a: &Application| {
                fx_of(a).map(|f| {
                    let item_cur = batch.open_items.get(a.item as usize).currency();
                    (
                        f,
                        table.intern(fx_rules.position_for(txn.currency(), item_cur)),
                        table.intern(&fx_rules.gain_account),
                        table.intern(&fx_rules.loss_account),
                    )
                })
            };
            let fx_lines: Vec<_> = applications[apps_start..next_app]
                .iter()
                .map(fx_accounts)
                .collect();
            reversal_journal(
                &mut j,
                bank_gl,
                -txn.amount(),
                &applications[apps_start..next_app],
                &fx_lines,
                exception.map(|e| (e, &exceptions[e as usize])),
            );
            intercompany_pairs(&mut out, start, &mut table, intercompany);
            continue;
        }
        if txn.amount() < Decimal::ZERO {
            j.push(
                bank_gl,
                Decimal::ZERO,
                -txn.amount(),
                None,
                None,
                Memo::BankDebit,
            );
            j.push(
                GL_SUSPENSE,
                -txn.amount(),
                Decimal::ZERO,
                None,
                None,
                Memo::BankDebitSuspense,
            );
            j.assert_balanced();
            continue;
        }
        j.push(
            bank_gl,
            txn.amount(),
            Decimal::ZERO,
            None,
            None,
            Memo::CashReceived,
        );
        for a in &applications[apps_start..next_app] {
            let inv = Some(a.item);
            let cust = Some(PostingCustomer::OfItem(a.item));
            if let Some(f) = fx_of(a) {
                // The payment's side in its currency, then the invoice's
                // side in the invoice's currency (module documentation).
                let item_cur = batch.open_items.get(a.item as usize).currency();
                let position = table.intern(fx_rules.position_for(txn.currency(), item_cur));
                j.push(
                    position,
                    Decimal::ZERO,
                    f.payment_amount,
                    inv,
                    cust,
                    Memo::FxPosition,
                );
                j.foreign = true;
                j.push(
                    position,
                    f.invoice_amount,
                    Decimal::ZERO,
                    inv,
                    cust,
                    Memo::FxPosition,
                );
                if f.gain_loss > Decimal::ZERO {
                    let g = table.intern(&fx_rules.gain_account);
                    j.push(g, Decimal::ZERO, f.gain_loss, inv, cust, Memo::FxGain);
                } else if f.gain_loss < Decimal::ZERO {
                    let l = table.intern(&fx_rules.loss_account);
                    j.push(l, -f.gain_loss, Decimal::ZERO, inv, cust, Memo::FxLoss);
                }
            }
            if a.applied_amount < Decimal::ZERO {
                // A credit note the payer netted: its credit balance leaves
                // the receivable (debit), and with the cash it pays the
                // invoice credited below.
                j.push(
                    GL_RECEIVABLE,
                    -a.cleared_amount(),
                    Decimal::ZERO,
                    inv,
                    cust,
                    Memo::CreditNoteConsumed,
                );
                continue;
            }
            if !a.discount_amount.is_zero() {
                j.push(
                    GL_DISCOUNT,
                    a.discount_amount,
                    Decimal::ZERO,
                    inv,
                    cust,
                    Memo::Discount,
                );
            }
            if !a.deduction_amount.is_zero() {
                j.push(
                    GL_DEDUCTION,
                    a.deduction_amount,
                    Decimal::ZERO,
                    inv,
                    cust,
                    Memo::Deduction(a.deduction_reason),
                );
            }
            if !a.writeoff_amount.is_zero() {
                let (account, memo) = if a.rule == crate::model::Rule::BankCharges {
                    (
                        table.intern(&fx_rules.bank_charges_account),
                        Memo::BankCharges,
                    )
                } else {
                    (GL_WRITEOFF, Memo::Writeoff)
                };
                j.push(account, a.writeoff_amount, Decimal::ZERO, inv, cust, memo);
            }
            j.push(
                GL_RECEIVABLE,
                Decimal::ZERO,
                a.cleared_amount(),
                inv,
                cust,
                Memo::Receivable(a.rule),
            );
            j.foreign = false;
        }
        if let Some(e) = exception {
            let exc = &exceptions[e as usize];
            let known = exc
                .customer_id
                .as_ref()
                .map(|_| PostingCustomer::OfException(e));
            let (account, memo, customer) = match &exc.customer_id {
                // A person's decision names where the money goes.
                _ if exc.reason == ReasonCode::DecidedRefund => (GL_REFUND, Memo::Refund, known),
                _ if exc.reason == ReasonCode::DecidedIgnore => (GL_SUSPENSE, Memo::Ignored, known),
                Some(_) => (
                    GL_UNAPPLIED_CASH,
                    Memo::OnAccount,
                    Some(PostingCustomer::OfException(e)),
                ),
                None => (GL_SUSPENSE, Memo::Suspense, None),
            };
            j.push(account, Decimal::ZERO, exc.amount, None, customer, memo);
        }
        j.assert_balanced();
        intercompany_pairs(&mut out, start, &mut table, intercompany);
    }
    debug_assert_eq!(next_app, applications.len(), "every application journalled");
    debug_assert_eq!(next_exc, exceptions.len(), "every exception journalled");
    (out, table.accounts)
}

/// A reversed cross-currency application and the accounts its FX lines go
/// to: (negated application, FX position, gain, loss).
type FxReversal<'a> = (&'a FxApplication, GlIdx, GlIdx, GlIdx);

/// The journal of a returned payment linked to its original receipt: the
/// receipt's journal turned around. Credit the bank with what went back;
/// per reversed invoice debit the receivable with what the receipt cleared
/// and credit back the discount, deduction and write-off it granted; debit
/// unapplied cash (payer known) or suspense with what the receipt had left
/// unapplied. `apps` are the return's [`crate::model::Rule::ReturnReversal`]
/// rows (negative amounts).
///
/// A cross-currency reversal (its negated [`FxApplication`], one per row of
/// `apps`) turns the receipt's FX lines around too: the FX position is
/// debited with the payment-currency cash and credited, in the invoice's
/// currency, with what it was worth; the realised gain is debited back (a
/// loss credited back).
fn reversal_journal(
    j: &mut Journal<'_>,
    bank_gl: GlIdx,
    amount: Decimal,
    apps: &[Application],
    fx: &[Option<FxReversal<'_>>],
    exception: Option<(u32, &ExceptionRecord)>,
) {
    j.push(
        bank_gl,
        Decimal::ZERO,
        amount,
        None,
        None,
        Memo::ReturnDebit,
    );
    for (k, a) in apps.iter().enumerate() {
        let inv = Some(a.item);
        let cust = Some(PostingCustomer::OfItem(a.item));
        if let Some(&Some((f, position, gain, loss))) = fx.get(k) {
            j.push(
                position,
                -f.payment_amount,
                Decimal::ZERO,
                inv,
                cust,
                Memo::FxPosition,
            );
            j.foreign = true;
            j.push(
                position,
                Decimal::ZERO,
                -f.invoice_amount,
                inv,
                cust,
                Memo::FxPosition,
            );
            if f.gain_loss < Decimal::ZERO {
                j.push(gain, -f.gain_loss, Decimal::ZERO, inv, cust, Memo::FxGain);
            } else if f.gain_loss > Decimal::ZERO {
                j.push(loss, Decimal::ZERO, f.gain_loss, inv, cust, Memo::FxLoss);
            }
        }
        j.push(
            GL_RECEIVABLE,
            -a.cleared_amount(),
            Decimal::ZERO,
            inv,
            cust,
            Memo::ReceivableReopened,
        );
        for (gl, value, memo) in [
            (GL_DISCOUNT, a.discount_amount, Memo::DiscountTakenBack),
            (GL_DEDUCTION, a.deduction_amount, Memo::DeductionTakenBack),
            (GL_WRITEOFF, a.writeoff_amount, Memo::WriteoffTakenBack),
        ] {
            if !value.is_zero() {
                j.push(gl, Decimal::ZERO, -value, inv, cust, memo);
            }
        }
        j.foreign = false;
    }
    if let Some((e, exc)) = exception {
        let (account, memo, customer) = match &exc.customer_id {
            Some(_) => (
                GL_UNAPPLIED_CASH,
                Memo::OnAccountReturned,
                Some(PostingCustomer::OfException(e)),
            ),
            None => (GL_SUSPENSE, Memo::SuspenseReturned, None),
        };
        j.push(account, -exc.amount, Decimal::ZERO, None, customer, memo);
    }
    j.assert_balanced();
}

/// Balances one journal (`out[start..]`) per company: for each company
/// other than the receiving one whose lines do not net to zero, the pair
/// of intercompany lines (`due_from` there, `due_to` in the receiving
/// company) that makes both balance. Nothing for a single-company journal.
fn intercompany_pairs(
    out: &mut Vec<Posting>,
    start: usize,
    table: &mut GlTable<'_>,
    ic: &IntercompanyConfig,
) {
    let Some(first) = out.get(start) else {
        return;
    };
    // The first line is the bank line: the receiving company's.
    let home = first.company;
    if out[start..].iter().all(|p| p.company == home) {
        return;
    }
    // Per company and currency side (an FX journal's invoice-currency lines
    // balance on their own).
    // A foreign line's currency is its invoice's, so the pair's foreign
    // lines name an invoice of that side.
    let mut net: BTreeMap<(u32, bool), (Decimal, Option<ItemIdx>)> = BTreeMap::new();
    for p in &out[start..] {
        if p.company != home {
            let e = net.entry((p.company, p.foreign)).or_default();
            e.0 += p.debit - p.credit;
            if p.foreign && e.1.is_none() {
                e.1 = p.item;
            }
        }
    }
    let (due_from, due_to) = table.due(ic);
    let (txn, mut line) = (first.txn, out.last().map_or(0, |p| p.line));
    for ((company, foreign), (n, item)) in net {
        if n.is_zero() {
            continue;
        }
        // Credits exceed debits in the invoice's company (its receivable was
        // cleared with cash the receiving company holds): debit what it is
        // owed there, credit the payable in the receiving company. A
        // reversal runs the other way.
        let (there, here) = if n < Decimal::ZERO {
            ((-n, Decimal::ZERO), (Decimal::ZERO, -n))
        } else {
            ((Decimal::ZERO, n), (n, Decimal::ZERO))
        };
        for (gl, (debit, credit), memo, c) in [
            (due_from, there, Memo::IntercompanyDueFrom, company),
            (due_to, here, Memo::IntercompanyDueTo, home),
        ] {
            line += 1;
            out.push(Posting {
                txn,
                line,
                gl,
                debit,
                credit,
                item: if foreign { item } else { None },
                customer: None,
                memo,
                company: c,
                foreign,
            });
        }
    }
}

/// The lines of one journal being written, with running totals for the
/// paired assertion (the invariant check proves the same on the output).
struct Journal<'o> {
    out: &'o mut Vec<Posting>,
    txn: TxnIdx,
    line: u32,
    debit: Decimal,
    credit: Decimal,
    /// The receiving account's company: lines without an invoice.
    home: u32,
    companies: &'o Companies,
    /// Totals of the lines in the invoice's currency (cross-currency).
    foreign_debit: Decimal,
    foreign_credit: Decimal,
    /// Lines pushed now are in the invoice's currency.
    foreign: bool,
}

impl Journal<'_> {
    fn push(
        &mut self,
        gl: GlIdx,
        debit: Decimal,
        credit: Decimal,
        item: Option<ItemIdx>,
        customer: Option<PostingCustomer>,
        memo: Memo,
    ) {
        self.line += 1;
        if self.foreign {
            self.foreign_debit += debit;
            self.foreign_credit += credit;
        } else {
            self.debit += debit;
            self.credit += credit;
        }
        self.out.push(Posting {
            txn: self.txn,
            line: self.line,
            gl,
            debit,
            credit,
            item,
            customer,
            memo,
            // An invoice's lines are booked in the invoice's company.
            company: item.map_or(self.home, |i| self.companies.of_item(i)),
            foreign: self.foreign,
        });
    }

    /// Paired with `invariants::check_journals`: a journal balances as it
    /// is written (debug builds), and again when the outcome is checked.
    fn assert_balanced(&self) {
        debug_assert_eq!(
            self.debit, self.credit,
            "journal of transaction {} balances",
            self.txn
        );
        debug_assert_eq!(
            self.foreign_debit, self.foreign_credit,
            "journal of transaction {} balances in the invoice currency",
            self.txn
        );
    }
}
