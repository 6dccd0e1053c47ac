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
pub mod instalment;
pub mod manual;
pub mod many_to_many;
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
    /// Canonical and one-edit reference keys.
    pub repair: RepairIndex,
    /// Customers, their open items and the account and name indexes.
    pub parties: Parties,
    /// What each transaction quotes, in transaction order.
    pub refs: RefsStore,
    /// Who paid each transaction, in transaction order.
    pub identities: Identities,
    /// What people's decisions taught (`LEARNED_PAYER`), when anything was.
    pub learned: Option<&'a crate::learned::LearnedIndex>,
}

impl<'a> Context<'a> {
    /// Builds the blocking indexes, extracts references and identifies payers.
    pub fn new(batch: &'a Batch, rules: &'a Rules) -> Self {
        let m = &rules.matching;
        let references = ReferenceIndex::build(batch);
        let repair = RepairIndex::build(batch, m.near_reference_chars_min);
        // Invalid patterns are skipped: the CLI reports them when it loads
        // the rules (see `Matching::reference_regexes`).
        let patterns: Vec<regex::Regex> = m.reference_regexes().into_iter().flatten().collect();
        let refs = crate::references::extract_all(
            batch,
            &references,
            &repair,
            &patterns,
            m.reference_window_tokens_max.max(1),
        );
        let parties = Parties::build(batch);
        // Identification is the costliest index (BENCHMARKS.md, index
        // stage). When no pass that matches by payer runs, it is skipped:
        // the run then matches on references alone and exceptions carry no
        // identified customer, which is what such a configuration asks for.
        let identify_needed = m.fuzzy_reference.enabled
            || m.customer_amount.enabled
            || m.subset_sum.enabled
            || m.many_to_many.enabled;
        let identities = if identify_needed {
            parties.identify_all(
                batch,
                &refs,
                m.name_similarity_min,
                m.name_margin_min,
                m.name_candidates_max.max(1),
            )
        } else {
            Identities::none(batch.transactions.len())
        };
        Context {
            batch,
            rules,
            references,
            repair,
            parties,
            refs,
            identities,
            learned: None,
        }
    }
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
