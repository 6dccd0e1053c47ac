//! The matching cascade: ordered passes, each proposing applications for
//! the transactions earlier passes left open.
//!
//! A pass reads the batch, the shared indexes and the ledger (read-only,
//! from many threads) and returns proposals; [`crate::allocate::Ledger`]
//! accepts them. Adding a pass means adding a module here and a line in
//! [`cascade`].
//!
//! Order, strongest evidence first: structured references, exact
//! references, repaired references, amounts within an identified customer
//! (single item, whole balance, past-due items, then subsets), several
//! payments together (many-to-many, instalments), references whose amount
//! differs (discount, write-off, short pay, overpayment), and finally
//! suggestions for everything left.
//!
//! Architecture invariant: a transaction that quotes an invoice reference is
//! never matched by amount alone to a *different* invoice (a duplicate or an
//! overpayment stays on account).

pub mod customer_amount;
pub mod differences;
pub mod exact_reference;
pub mod fuzzy_reference;
pub mod fx;
pub mod instalment;
pub mod manual;
pub mod many_to_many;
pub mod remittance_advice;
pub mod returns;
pub mod structured_reference;
pub mod subset_sum;
pub mod support;
pub mod unmatched;

use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::identify::{Identities, Parties};
use crate::index::ReferenceIndex;
use crate::model::{Batch, CustomerIdx, ReasonCode, Suggestion, TxnIdx};
use crate::references::{RefsStore, RepairIndex};

/// Read-only state shared by all passes of a run.
pub struct Context<'a> {
    /// The run's input.
    pub batch: &'a Batch,
    /// The run's rules.
    pub rules: &'a Rules,
    /// Exact invoice-number keys.
    pub references: ReferenceIndex,
    /// Customers, their open items and the account and name indexes.
    pub parties: Parties,
    /// What each transaction quotes, in transaction order.
    pub refs: RefsStore,
    /// Who paid each transaction, in transaction order.
    pub identities: Identities,
    /// References not extracted yet (see [`Context::for_cascade`]).
    refs_pending: bool,
    /// [`Context::refs`] holds only the exact references of the open
    /// transactions (see [`Context::extract_pending_exact_refs`]); the full
    /// extraction is still pending.
    refs_exact_only: bool,
    /// What people's decisions taught (`LEARNED_PAYER`), when anything was.
    pub learned: Option<&'a crate::learned::LearnedIndex>,
    /// Legal entities: which transaction may clear which open item
    /// ([`crate::company`]). References to invoices it may not clear are
    /// taken out of [`Context::refs`] when they are extracted.
    pub companies: std::sync::Arc<crate::company::Companies>,
    /// References dropped because their invoice belongs to a company the
    /// receiving account may not clear: `(transaction, item, kind)`, in
    /// transaction order. They explain an `OTHER_COMPANY_INVOICE` exception.
    pub other_company: Vec<(TxnIdx, crate::model::ItemIdx, crate::references::RefKind)>,
}

impl<'a> Context<'a> {
    /// Builds the blocking indexes, extracts every transaction's references
    /// and identifies payers.
    pub fn new(batch: &'a Batch, rules: &'a Rules) -> Self {
        let mut ctx = Context::indexes(batch, rules);
        ctx.extract_refs(|_| true);
        ctx.identify();
        ctx
    }

    /// The context [`crate::apply_cash`] runs the cascade with: as
    /// [`Context::new`], except that when no pass matches by payer (no
    /// identification, which reads every transaction's references) the
    /// references are extracted only when the first pass that reads them
    /// runs, and only for the transactions still open then
    /// ([`Context::extract_pending_refs`]). The exact-only job then extracts
    /// references for the payments the exact pass left, not for all.
    pub fn for_cascade(batch: &'a Batch, rules: &'a Rules) -> Self {
        let mut ctx = Context::indexes(batch, rules);
        if identify_needed(rules) {
            ctx.extract_refs(|_| true);
            ctx.identify();
        } else {
            ctx.refs_pending = true;
        }
        ctx
    }

    /// Extracts the references of the transactions still open in `ledger`
    /// if they were deferred; a no-op otherwise.
    pub fn extract_pending_refs(&mut self, ledger: &Ledger) {
        if self.refs_pending {
            self.extract_refs(|t| ledger.is_open(t as TxnIdx));
        }
    }

    /// For a pass that reads only the exact references
    /// ([`Pass::reads_exact_refs_only`]): when references are deferred,
    /// extracts just those of the open transactions
    /// ([`crate::references::extract_exact_where`]: no repair index, no
    /// near or short-form search), leaving the full extraction pending for
    /// the transactions still open when a pass reads more. Falls back to
    /// the full extraction when the cheap one could differ from it.
    pub fn extract_pending_exact_refs(&mut self, ledger: &Ledger) {
        if !self.refs_pending || self.refs_exact_only {
            return;
        }
        let m = &self.rules.matching;
        let patterns: Vec<regex::Regex> = m.reference_regexes().into_iter().flatten().collect();
        match crate::references::extract_exact_where(
            self.batch,
            &self.references,
            &patterns,
            m.reference_window_tokens_max.max(1),
            |t| ledger.is_open(t as TxnIdx),
        ) {
            Some(refs) => {
                self.refs = refs;
                self.refs_exact_only = true;
            }
            None => self.extract_pending_refs(ledger),
        }
    }

    /// The exact index and the parties; references and identities empty.
    fn indexes(batch: &'a Batch, rules: &'a Rules) -> Self {
        Context {
            batch,
            rules,
            references: ReferenceIndex::build(batch),
            parties: Parties::build(batch),
            refs: RefsStore::default(),
            identities: Identities::none(batch.transactions.len()),
            refs_pending: false,
            refs_exact_only: false,
            learned: None,
            companies: std::sync::Arc::new(crate::company::Companies::build(
                batch,
                &rules.company,
                &rules.intercompany,
            )),
            other_company: Vec::new(),
        }
    }

    fn extract_refs(&mut self, wanted: impl Fn(usize) -> bool + Sync) {
        let m = &self.rules.matching;
        // The repair index serves reference extraction only: it is built
        // here and dropped when the references are out (~400 MiB per
        // million open items that the passes would otherwise keep).
        let repair = RepairIndex::build(self.batch, m.near_reference_chars_min);
        // Invalid patterns are skipped: the CLI reports them when it loads
        // the rules (see `Matching::reference_regexes`).
        let patterns: Vec<regex::Regex> = m.reference_regexes().into_iter().flatten().collect();
        self.refs = crate::references::extract_all_where(
            self.batch,
            &self.references,
            &repair,
            &patterns,
            m.reference_window_tokens_max.max(1),
            wanted,
        );
        // The company filter sits here, at the candidate lookup every pass
        // and identification read: an invoice the receiving company may not
        // clear is no candidate for any pass.
        let (companies, items) = (&self.companies, &self.batch.open_items);
        if companies.is_multi() {
            let dropped = self.refs.retain_items(
                |t, i| companies.allows(t as TxnIdx, i),
                |i| items.get(i as usize).invoice_id().to_string(),
            );
            self.other_company.extend(dropped);
        }
        self.refs_pending = false;
        self.refs_exact_only = false;
    }

    /// Identification is the costliest index (BENCHMARKS.md, index stage).
    /// When no pass that matches by payer runs, it is skipped: the run then
    /// matches on references alone and exceptions carry no identified
    /// customer, which is what such a configuration asks for.
    fn identify(&mut self) {
        if identify_needed(self.rules) {
            let m = &self.rules.matching;
            self.identities = self.parties.identify_all(
                self.batch,
                &self.refs,
                m.name_similarity_min,
                m.name_margin_min,
                m.name_candidates_max.max(1),
            );
            // Short forms resolve against the payer the other evidence named
            // (issue 9, pattern 1).
            let (batch, parties, identities) = (self.batch, &self.parties, &self.identities);
            self.refs.promote_payer_short_forms(
                batch,
                |t| identities.get(t).id.map(|id| id.party),
                |payer, i| parties.pays_for(payer, parties.of_item(batch, i)),
            );
        }
    }
}

/// True when a pass that matches by payer runs.
fn identify_needed(rules: &Rules) -> bool {
    let m = &rules.matching;
    m.fuzzy_reference.enabled
        || m.customer_amount.enabled
        || m.subset_sum.enabled
        || m.many_to_many.enabled
}

/// One stage of the cascade.
pub trait Pass: Sync {
    /// Stable name used in statistics and benchmarks.
    fn name(&self) -> &'static str;
    /// Thresholds and on/off switch for this pass.
    fn rule(&self, rules: &Rules) -> PassRule;
    /// Proposes applications for open transactions. May also leave notes on
    /// transactions (why they did not match) through `notes`.
    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal>;
    /// False for a pass that never reads [`Context::refs`]: deferred
    /// references are extracted before the first pass that does.
    fn reads_refs(&self) -> bool {
        true
    }
    /// True for a pass that reads only the exact references
    /// ([`crate::references::RefKind::Exact`] and `Structured`) of
    /// [`Context::refs`]: deferred references are then extracted only that
    /// far ([`Context::extract_pending_exact_refs`]).
    fn reads_exact_refs_only(&self) -> bool {
        false
    }
}

/// A note a pass leaves for the exceptions stage (applied by the caller so
/// that passes can run with a shared `&Ledger`).
#[derive(Debug, Clone, PartialEq)]
pub struct PassNote {
    /// The transaction the note explains.
    pub txn: TxnIdx,
    /// Reason code the exception gets if this note wins.
    pub reason: ReasonCode,
    /// Higher wins (see `passes::support::priority`).
    pub priority: u8,
    /// One line for the person who resolves the exception.
    pub detail: String,
    /// The customer, when known (from the master or an open item).
    pub customer_id: Option<String>,
    /// The customer in the master, when identified.
    pub customer: Option<CustomerIdx>,
    /// Ranked alternatives for the exceptions queue.
    pub suggestions: Vec<Suggestion>,
}

impl PassNote {
    /// A note without customer or suggestions.
    pub fn new(txn: TxnIdx, reason: ReasonCode, priority: u8, detail: String) -> Self {
        PassNote {
            txn,
            reason,
            priority,
            detail,
            customer_id: None,
            customer: None,
            suggestions: Vec::new(),
        }
    }
}

/// The passes of a run, in order.
pub fn cascade(rules: &Rules) -> Vec<Box<dyn Pass>> {
    let all: Vec<Box<dyn Pass>> = vec![
        Box::new(structured_reference::StructuredReference),
        Box::new(exact_reference::ExactReference),
        Box::new(fuzzy_reference::FuzzyReference),
        Box::new(customer_amount::CustomerAmount),
        Box::new(subset_sum::SubsetSum),
        Box::new(many_to_many::ManyToMany),
        Box::new(instalment::Instalment),
        Box::new(differences::Differences),
        Box::new(unmatched::Unmatched),
    ];
    all.into_iter().filter(|p| p.rule(rules).enabled).collect()
}
