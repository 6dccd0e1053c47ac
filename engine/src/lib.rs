//! The cashmatch engine: decides which payment pays which invoice, and
//! produces the applications, exceptions, journal, updated open items and
//! aging snapshot of one run. Pure logic on typed records: it never opens a
//! file, reads the clock or an environment variable.
//!
//! Pipeline: identify transactions → build blocking indexes → run the
//! matching cascade (each pass proposes, [`allocate::Ledger`] accepts) →
//! exceptions → postings → open items after → aging → invariant checks.
//!
//! ```
//! use cashmatch_engine::{apply_cash, model::*, config::Rules};
//! use rust_decimal::Decimal;
//! let batch = Batch {
//!     transactions: vec![BankTransaction {
//!         bank_reference: "R1".into(), account: "DE01".into(), currency: "EUR".into(),
//!         amount: Decimal::new(10000, 2), remittance_info: "Invoice INV-2026-000001".into(),
//!         ..Default::default()
//!     }].into(),
//!     open_items: vec![OpenItem {
//!         invoice_id: "INV-2026-000001".into(), customer_id: "C1".into(), currency: "EUR".into(),
//!         amount_open: Decimal::new(10000, 2), amount_original: Decimal::new(10000, 2),
//!         ..Default::default()
//!     }].into(),
//!     customers: Default::default(),
//!     as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
//! };
//! let outcome = apply_cash(batch.clone(), &Rules::default(), &mut ()).unwrap();
//! assert_eq!(outcome.outcome.applications.len(), 1);
//! assert!(outcome.outcome.exceptions.is_empty());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod aging;
pub mod allocate;
pub mod columns;
pub mod company;
pub mod config;
pub mod exceptions;
pub mod fx;
pub mod identify;
pub mod identity;
pub mod index;
pub mod ingest;
pub mod invariants;
pub mod learned;
pub mod model;
pub mod normalize;
pub mod passes;
pub mod postings;
pub mod references;
pub mod remittance;
pub mod returns;

use config::Rules;
use invariants::InvariantViolation;
use model::{Application, Batch, ControlSums, ItemAfter, ItemStatus, Outcome, PassStats};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Hooks for progress and timing; the engine reports, the caller measures.
pub trait Observer {
    /// A stage (index build, a pass, emit) begins.
    fn stage_started(&mut self, _stage: &str) {}
    /// A stage ended; passes report their statistics.
    fn stage_finished(&mut self, _stage: &str, _stats: Option<&PassStats>) {}
}

impl Observer for () {}

/// A finished run: the batch (with transaction ids assigned) and its outcome.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The input, with transaction ids assigned.
    pub batch: Batch,
    /// Everything the run decided.
    pub outcome: Outcome,
    /// What became of each remittance advice, in advice order (empty when
    /// the run had none).
    pub remittance: Vec<remittance::AdviceOutcome>,
}

/// The remittance advices of a run and how to use them.
#[derive(Debug, Clone, Default)]
pub struct RemittanceInput {
    /// Advices in input order (this run's files, then those waiting from
    /// earlier runs).
    pub advices: Vec<remittance::Advice>,
    /// Linking window, thresholds, deduction reason map.
    pub rules: config::RemittanceRules,
    /// True when an unlinked advice can wait in a state for a later run
    /// (its lines are `waiting`; otherwise `unlinked`).
    pub waiting_allowed: bool,
}

/// Runs the whole cash application on `batch`.
///
/// Transaction ids are assigned here when missing. Returns an error only
/// when an invariant is broken, which means an engine bug: nothing of such
/// a run may be published.
pub fn apply_cash(
    batch: Batch,
    rules: &Rules,
    observer: &mut dyn Observer,
) -> Result<RunResult, InvariantViolation> {
    apply_cash_with(batch, rules, &RunExtras::default(), observer)
}

/// What a run may bring besides the batch and the rules. Each is optional;
/// a run without any is exactly [`apply_cash`] (no pass statistics added).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunExtras<'a> {
    /// Remittance advices: each is linked to its receipt
    /// ([`remittance::link`]) and its lines are applied with
    /// `REMITTANCE_ADVICE` before the reference cascade
    /// ([`passes::remittance_advice`]).
    pub remittance: Option<&'a RemittanceInput>,
    /// What returned payments need: the bank's return markers and the
    /// receipts earlier runs applied (see [`returns`]). A return's original
    /// is linked before the cascade (re-opened invoices of earlier runs join
    /// the open items), and reversed after it.
    pub returns: Option<&'a returns::ReturnInputs>,
    /// People's decisions on earlier exceptions, checked against this batch
    /// ([`passes::manual::plan`]; its transaction ids assigned, as the CLI
    /// does), applied before the cascade with rule `MANUAL`.
    pub decisions: Option<&'a passes::manual::ManualPlan>,
    /// Payer facts earlier decisions taught; the `learned_payer` pass runs
    /// only when some are known.
    pub learned: Option<&'a learned::LearnedIndex>,
    /// Exchange rates and `[fx]` rules: cross-currency payments are applied
    /// (`FX_REFERENCE`, `FX_CUSTOMER_AMOUNT`) and referenced payments short
    /// by bank charges cleared (`BANK_CHARGES`; see [`passes::fx`]). A run
    /// without rates and without a charge tolerance runs no FX stage.
    pub fx: Option<&'a fx::FxInput>,
}

/// [`apply_cash`] with the run's extras ([`RunExtras`]).
pub fn apply_cash_with(
    mut batch: Batch,
    rules: &Rules,
    extras: &RunExtras<'_>,
    observer: &mut dyn Observer,
) -> Result<RunResult, InvariantViolation> {
    let no_remittance = RemittanceInput::default();
    let remittance_input = extras.remittance.unwrap_or(&no_remittance);
    let no_returns = returns::ReturnInputs::default();
    let return_inputs = extras.returns.unwrap_or(&no_returns);
    if batch
        .transactions
        .iter()
        .any(|t| t.transaction_id().is_empty())
    {
        identity::assign_store_ids(&mut batch.transactions);
    }
    observer.stage_started("returns");
    let return_plan = passes::returns::link(&mut batch, rules, return_inputs);
    observer.stage_finished("returns", None);
    observer.stage_started("index");
    let mut ctx = passes::Context::for_cascade(&batch, rules);
    let learned = extras
        .learned
        .filter(|l| !l.is_empty() && rules.matching.learned_payer.enabled);
    ctx.learned = learned;
    observer.stage_finished("index", None);
    let mut ledger = allocate::Ledger::new(&batch);
    ledger.companies = ctx.companies.clone();
    let companies = ctx.companies.clone();
    let mut pass_stats = Vec::new();
    // People first: a decision is applied before any pass proposes.
    if let Some(plan) = extras.decisions.filter(|p| !p.is_empty()) {
        observer.stage_started("manual");
        let stats = passes::manual::apply(&batch, plan, &mut ledger);
        observer.stage_finished("manual", Some(&stats));
        pass_stats.push(stats);
    }
    let mut advice_outcomes = Vec::new();
    if !remittance_input.advices.is_empty() {
        let name = "remittance_advice";
        observer.stage_started(name);
        let r = remittance_input;
        let links = remittance::link(&batch, &r.advices, &r.rules);
        let mut proposed = passes::remittance_advice::propose(
            &ctx,
            &ledger,
            &r.advices,
            &links,
            &r.rules,
            r.waiting_allowed,
        );
        for n in std::mem::take(&mut proposed.notes) {
            ledger.note(
                n.txn,
                n.reason,
                passes::remittance_advice::NOTE_PRIORITY,
                n.detail,
            );
        }
        let stats = ledger.accept(
            &batch,
            name,
            r.rules.pass,
            &rules.pilot,
            std::mem::take(&mut proposed.proposals),
        );
        passes::remittance_advice::settle(&mut proposed, &ledger, &r.advices);
        advice_outcomes = proposed.outcomes;
        observer.stage_finished(name, Some(&stats));
        pass_stats.push(stats);
    }
    let mut cascade = passes::cascade(rules);
    if let Some(learned) = learned {
        // After the reference passes (a quoted reference is stronger
        // evidence), before the customer passes (a remembered decision is
        // stronger than a name likeness). Only in runs that know facts of
        // their kind, so other runs' pass statistics are unchanged. A
        // learned reference style names the invoice, a learned payer only
        // the customer: styles first.
        let at = cascade
            .iter()
            .position(|p| {
                !matches!(
                    p.name(),
                    "structured_reference" | "exact_reference" | "fuzzy_reference"
                )
            })
            .unwrap_or(cascade.len());
        if learned.has_payers() {
            cascade.insert(at, Box::new(learned::LearnedPayer));
        }
        if learned.has_styles() {
            cascade.insert(at, Box::new(learned::LearnedReference));
        }
    }
    let fx_input = extras
        .fx
        .filter(|f| !f.rates.is_empty() || f.rules.charges_enabled());
    let mut fx_references_done = fx_input.is_none();
    let mut fx_customers_done = fx_input.is_none();
    for pass in cascade {
        if let Some(fx) = fx_input {
            // References in another currency (and bank charges) after the
            // reference passes, before any customer pass or differences.
            if !fx_references_done
                && !matches!(
                    pass.name(),
                    "structured_reference" | "exact_reference" | "fuzzy_reference"
                )
            {
                fx_references_done = true;
                run_fx_stage(
                    &mut ctx,
                    &batch,
                    rules,
                    fx,
                    &mut ledger,
                    observer,
                    &mut pass_stats,
                    true,
                );
            }
            // A customer's foreign-currency item by amount: last, when the
            // same-currency passes had their chance.
            if !fx_customers_done && pass.name() == "unmatched" {
                fx_customers_done = true;
                run_fx_stage(
                    &mut ctx,
                    &batch,
                    rules,
                    fx,
                    &mut ledger,
                    observer,
                    &mut pass_stats,
                    false,
                );
            }
        }
        observer.stage_started(pass.name());
        if pass.reads_refs() {
            // Deferred references (exact-only configurations): extracted
            // here for the transactions still open, timed with this pass;
            // only the exact ones for a pass that reads no more.
            if pass.reads_exact_refs_only() {
                ctx.extract_pending_exact_refs(&ledger);
            } else {
                ctx.extract_pending_refs(&ledger);
            }
        }
        let mut notes = Vec::new();
        let proposals = pass.propose(&ctx, &ledger, &mut notes);
        for n in notes {
            ledger.note(n.txn, n.reason, n.priority, n.detail);
            let note = &mut ledger.notes[n.txn as usize];
            if note.customer_id.is_none() {
                note.customer_id = n.customer_id;
            }
            if note.customer.is_none() {
                note.customer = n.customer;
            }
            for s in n.suggestions {
                ledger.suggest(n.txn, s);
            }
        }
        let stats = ledger.accept(
            &batch,
            pass.name(),
            pass.rule(rules),
            &rules.pilot,
            proposals,
        );
        observer.stage_finished(pass.name(), Some(&stats));
        pass_stats.push(stats);
    }
    if let Some(fx) = fx_input {
        if !fx_references_done {
            run_fx_stage(
                &mut ctx,
                &batch,
                rules,
                fx,
                &mut ledger,
                observer,
                &mut pass_stats,
                true,
            );
        }
        if !fx_customers_done {
            run_fx_stage(
                &mut ctx,
                &batch,
                rules,
                fx,
                &mut ledger,
                observer,
                &mut pass_stats,
                false,
            );
        }
    }
    // Reads the references: extracted now if no pass needed them.
    ctx.extract_pending_refs(&ledger);
    note_other_company(&ctx, &mut ledger);
    exceptions::drop_unevidenced_customers(&ctx, &mut ledger);
    drop(ctx);
    let return_records = passes::returns::reverse(&batch, return_inputs, &return_plan, &mut ledger);
    observer.stage_started("emit");
    let outcome = emit(
        &batch,
        rules,
        extras.fx.map(|f| &f.rules),
        ledger,
        pass_stats,
        return_records,
        companies,
    );
    observer.stage_finished("emit", None);
    observer.stage_started("invariants");
    invariants::check(&batch, &outcome)?;
    observer.stage_finished("invariants", None);
    Ok(RunResult {
        batch,
        outcome,
        remittance: advice_outcomes,
    })
}

/// `OTHER_COMPANY_INVOICE` for a receipt left open whose quoted invoice
/// belongs to a company its receiving account may not clear (the
/// reference filter took it out of the candidates, see
/// [`passes::Context::other_company`]). Above "already paid": the invoice
/// may well be open, in the other company's books.
fn note_other_company(ctx: &passes::Context<'_>, ledger: &mut allocate::Ledger) {
    use references::RefKind;
    for &(t, i, kind) in &ctx.other_company {
        if !ledger.is_open(t)
            || matches!(
                kind,
                RefKind::Near | RefKind::Alternative | RefKind::Short | RefKind::ShortLoose
            )
        {
            continue;
        }
        let item = ctx.batch.open_items.get(i as usize);
        let txn = ctx.batch.transactions.get(t as usize);
        let (theirs, ours) = (ctx.companies.item_code(i), ctx.companies.txn_code(t));
        let detail = format!(
            "invoice {} belongs to company {theirs}; the receipt came in on account {} of company {ours}, and [intercompany] does not allow applying across them: transfer the cash to company {theirs}, or allow the pair {ours} -> {theirs} in [intercompany]",
            item.invoice_id(),
            txn.account()
        );
        ledger.note(
            t,
            model::ReasonCode::OtherCompanyInvoice,
            OTHER_COMPANY_PRIORITY,
            detail,
        );
        let note = &mut ledger.notes[t as usize];
        if note.customer_id.is_none() {
            note.customer_id = Some(item.customer_id().to_string());
        }
        ledger.suggest(
            t,
            model::Suggestion {
                customer_id: item.customer_id().to_string(),
                invoice_id: item.invoice_id().to_string(),
                score: 1.0,
                rule: if kind == RefKind::Structured {
                    model::Rule::StructuredReference
                } else {
                    model::Rule::ExactReference
                },
            },
        );
    }
}

/// Priority of the `OTHER_COMPANY_INVOICE` note: above "already paid" (55),
/// below a held invoice (60).
const OTHER_COMPANY_PRIORITY: u8 = 58;

/// One of the two FX stages ([`passes::fx`]): proposals accepted by the
/// ledger like a pass's, notes kept like a pass's.
#[allow(clippy::too_many_arguments)]
fn run_fx_stage(
    ctx: &mut passes::Context<'_>,
    batch: &Batch,
    rules: &Rules,
    fx: &fx::FxInput,
    ledger: &mut allocate::Ledger,
    observer: &mut dyn Observer,
    pass_stats: &mut Vec<PassStats>,
    references: bool,
) {
    let name = if references {
        "fx_reference"
    } else {
        "fx_customer_amount"
    };
    observer.stage_started(name);
    ctx.extract_pending_refs(ledger);
    let (proposals, notes) = if references {
        passes::fx::propose_references(ctx, ledger, fx)
    } else {
        passes::fx::propose_customer_amounts(ctx, ledger, fx)
    };
    for n in notes {
        ledger.note(n.txn, n.reason, n.priority, n.detail);
        let note = &mut ledger.notes[n.txn as usize];
        if note.customer_id.is_none() {
            note.customer_id = n.customer_id;
        }
        if note.customer.is_none() {
            note.customer = n.customer;
        }
    }
    let stats = ledger.accept_fx(batch, name, fx.rules.pass, &rules.pilot, proposals);
    observer.stage_finished(name, Some(&stats));
    pass_stats.push(stats);
}

fn emit(
    batch: &Batch,
    rules: &Rules,
    fx_rules: Option<&fx::FxRules>,
    mut ledger: allocate::Ledger,
    pass_stats: Vec<PassStats>,
    returns: Vec<returns::ReturnRecord>,
    companies: std::sync::Arc<company::Companies>,
) -> Outcome {
    // Exceptions first: they read the applications (a remainder after an
    // application is an overpayment, and the applied customer is known).
    // They take the ledger's notes (texts, suggestions) by move.
    let mut exceptions = exceptions::build(batch, &mut ledger);
    passes::returns::settle_exceptions(batch, &returns, &mut exceptions);
    let mut applications = std::mem::take(&mut ledger.applications);
    // Group by transaction, then invoice: the order every output uses.
    applications.sort_by(|a, b| a.txn.cmp(&b.txn).then(a.item.cmp(&b.item)));
    let mut fx = std::mem::take(&mut ledger.fx);
    fx.sort_by_key(|a| (a.txn, a.item));
    let no_fx_rules = fx::FxRules::default();
    let (postings, gl_accounts) = postings::build_full(
        batch,
        &rules.gl,
        fx_rules.unwrap_or(&no_fx_rules),
        &rules.intercompany,
        &companies,
        &applications,
        &exceptions,
        &fx,
    );
    let items_after = items_after(batch, &applications);
    let aging = aging::build_by_company(batch, &items_after, &companies);
    let control_sums = control_sums_full(batch, &applications, &exceptions, &companies, &fx);
    // Paired with the ledger: what the outcome says was applied per
    // transaction is what the ledger left (debug builds; the invariant
    // check proves conservation on every run).
    #[cfg(debug_assertions)]
    {
        let mut applied = vec![Decimal::ZERO; batch.transactions.len()];
        for a in &applications {
            applied[a.txn as usize] += fx
                .binary_search_by(|f| (f.txn, f.item).cmp(&(a.txn, a.item)))
                .map_or(a.applied_amount, |k| fx[k].payment_amount);
        }
        for (t, txn) in batch.transactions.iter().enumerate() {
            if txn.amount > Decimal::ZERO {
                debug_assert_eq!(
                    applied[t] + ledger.txn_remaining[t],
                    txn.amount,
                    "ledger and applications agree on transaction {t}"
                );
            }
        }
        for (i, after) in items_after.iter().enumerate() {
            if batch.open_items[i].hold.is_none() {
                debug_assert_eq!(
                    after.amount_open_after, ledger.item_open[i],
                    "ledger and items after agree on item {i}"
                );
            }
        }
    }
    Outcome {
        applications,
        exceptions,
        postings,
        gl_accounts,
        items_after,
        aging,
        control_sums,
        pass_stats,
        returns,
        companies,
        fx,
    }
}

fn items_after(batch: &Batch, applications: &[Application]) -> Vec<ItemAfter> {
    let mut cleared = vec![Decimal::ZERO; batch.open_items.len()];
    let mut deducted = vec![false; batch.open_items.len()];
    for a in applications {
        cleared[a.item as usize] += a.cleared_amount();
        deducted[a.item as usize] |= !a.deduction_amount.is_zero();
    }
    batch
        .open_items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let open_after = item.amount_open() - cleared[i];
            let status = if item.hold().is_some() {
                ItemStatus::Held
            } else if open_after.is_zero() && deducted[i] {
                ItemStatus::ClearedWithDeduction
            } else if open_after.is_zero() {
                ItemStatus::Paid
            } else if open_after != item.amount_original() {
                ItemStatus::PartiallyPaid
            } else {
                ItemStatus::Open
            };
            ItemAfter {
                item: i as u32,
                amount_applied: cleared[i],
                amount_open_after: open_after,
                status,
            }
        })
        .collect()
}

/// Totals per currency, in currency order (one company: the default).
pub fn control_sums(
    batch: &Batch,
    applications: &[Application],
    exceptions: &[model::ExceptionRecord],
) -> Vec<ControlSums> {
    let companies = company::Companies::build(
        batch,
        &config::CompanyConfig::default(),
        &config::IntercompanyConfig::default(),
    );
    control_sums_full(batch, applications, exceptions, &companies, &[])
}

/// Totals per company and currency, in (company, currency) order. Cash
/// totals belong to the company of the receiving account: a receipt's
/// applications count there also when they clear another company's invoice
/// (intercompany), so that per company received = applied + unapplied.
/// Cross-currency applications (`fx` sorted by transaction and invoice)
/// count as applied in the payment's currency, in the payment's amount,
/// like every application.
pub fn control_sums_full(
    batch: &Batch,
    applications: &[Application],
    exceptions: &[model::ExceptionRecord],
    companies: &company::Companies,
    fx: &[fx::FxApplication],
) -> Vec<ControlSums> {
    let mut by: BTreeMap<(&str, &str), ControlSums> = BTreeMap::new();
    for t in batch.transactions.iter() {
        let company = companies.txn_code(t.index() as u32);
        let e = by
            .entry((company, t.currency()))
            .or_insert_with(|| ControlSums {
                currency: t.currency().to_string(),
                company_code: company.to_string(),
                ..Default::default()
            });
        e.transactions += 1;
        if t.amount() > Decimal::ZERO {
            e.received += t.amount();
        } else {
            e.debits += t.amount();
        }
    }
    for a in applications {
        let c = batch.transactions.get(a.txn as usize).currency();
        let paid = if fx.is_empty() {
            a.applied_amount
        } else {
            fx.binary_search_by(|f| (f.txn, f.item).cmp(&(a.txn, a.item)))
                .map_or(a.applied_amount, |k| fx[k].payment_amount)
        };
        if let Some(e) = by.get_mut(&(companies.txn_code(a.txn), c)) {
            e.applied += paid;
            e.discounts += a.discount_amount;
            e.writeoffs += a.writeoff_amount;
        }
    }
    for x in exceptions {
        let c = batch.transactions.get(x.txn as usize).currency();
        if let Some(e) = by.get_mut(&(companies.txn_code(x.txn), c)) {
            if x.amount > Decimal::ZERO {
                e.unapplied += x.amount;
            }
        }
    }
    by.into_values().collect()
}
